//! `docker`: the Docker host through the `docker` CLI on the target (containers and images
//! as FilterTables, `info`, `version`, `object(id)`). As inspec-docker-resources' docker.rb
//! does, a CLI that fails (no `docker`, no daemon) gives what its output holds: no
//! containers or images, an empty `info` / `version` / `object`.

use std::sync::Arc;

use crate::native::resources::config_file::from_json;
use crate::native::resources::support::{
    need_str, run_argv, table, table_call, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::mash::mash;
use crate::native::ruby::objects::{next_object_address, object_to_s};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const METHODS: &[&str] = &["containers", "images", "info", "object", "version"];

pub struct Docker {
    host: Arc<Host>,
}

pub fn create(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Docker { host: host.clone() }))
}

impl Docker {
    /// `docker ARGS`: its standard output, and whether it succeeded (docker.rb reads the
    /// output of `ps` / `images` whatever the exit status).
    fn docker(&self, args: &[&str]) -> Res<(String, bool)> {
        let mut argv = vec!["docker"];
        argv.extend_from_slice(args);
        let out = run_argv(&self.host, &argv)?;
        Ok((out.stdout, out.exit_status == Some(0)))
    }

    /// `info` / `version` (docker.rb: JSON of a successful run, else an empty Mash) and
    /// `object` (JSON of the output; unparsable output is an empty Mash).
    fn json(&self, args: &[&str], need_success: bool) -> Res<Value> {
        let (text, ok) = self.docker(args)?;
        if need_success && !ok {
            return Ok(Value::Hash(Vec::new()));
        }
        Ok(serde_json::from_str(&text)
            .map(|v| from_json(&v))
            .unwrap_or(Value::Hash(Vec::new())))
    }

    /// `docker inspect ID`'s first object (empty when none).
    fn object_data(&self, id: &str) -> Res<Value> {
        Ok(match self.json(&["inspect", "--", id], false)? {
            Value::Array(mut items) if !items.is_empty() => items.remove(0),
            Value::Array(_) => Value::Hash(Vec::new()),
            other => other,
        })
    }
}

impl Resource for Docker {
    fn name(&self) -> &str {
        "docker"
    }

    fn to_s(&self) -> String {
        "Docker Host".into()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "containers" => {
                let (text, _) =
                    self.docker(&["ps", "-a", "--no-trunc", "--format", "{{ json . }}"])?;
                Ok(Value::Resource(Arc::new(DockerList {
                    kind: ListKind::Containers,
                    table: containers_table(&text),
                })))
            }
            "images" => {
                let (text, _) =
                    self.docker(&["images", "-a", "--no-trunc", "--format", "{{ json . }}"])?;
                Ok(Value::Resource(Arc::new(DockerList {
                    kind: ListKind::Images,
                    table: images_table(&text),
                })))
            }
            // docker.rb answers these as Hashie::Mashes (`info.Swarm.LocalNodeState`).
            "info" => Ok(as_mash(
                self.json(&["info", "--format", "{{ json . }}"], true)?,
            )),
            "version" => Ok(as_mash(
                self.json(&["version", "--format", "{{ json . }}"], true)?,
            )),
            "object" => {
                let id = need_str("docker", args, 0, "a container or image id")?;
                Ok(as_mash(self.object_data(&id)?))
            }
            _ => Err(unsupported("docker", method)),
        }
    }
}

/// A Hash as a Hashie::Mash; anything else as it is.
fn as_mash(v: Value) -> Value {
    match v {
        Value::Hash(pairs) => mash(pairs),
        other => other,
    }
}

/// One JSON object per line (`--format '{{ json . }}'`), keys lowercased as InSpec does.
fn json_lines(text: &str) -> Vec<Vec<(String, Value)>> {
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(l).ok())
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.to_lowercase(), from_json(v)))
                .collect()
        })
        .collect()
}

fn rows(text: &str, fields: &[&str]) -> Vec<Vec<Value>> {
    json_lines(text)
        .into_iter()
        .map(|obj| {
            fields
                .iter()
                .map(|f| {
                    obj.iter()
                        .find(|(k, _)| k == f)
                        .map_or(Value::Nil, |(_, v)| v.clone())
                })
                .collect()
        })
        .collect()
}

const CONTAINER_FIELDS: &[&str] = &[
    "id",
    "image",
    "command",
    "createdat",
    "runningfor",
    "ports",
    "status",
    "size",
    "names",
    "labels",
    "localvolumes",
    "mounts",
    "networks",
];

pub fn containers_table(text: &str) -> Arc<Table> {
    // docker.rb's DockerContainerFilter / DockerImageFilter have no `to_s`: Ruby's
    // Object#to_s names them.
    table(
        &object_to_s("DockerContainerFilter", next_object_address()),
        CONTAINER_FIELDS,
        &[
            ("ids", "id"),
            ("images", "image"),
            ("commands", "command"),
            ("ports", "ports"),
            ("statuses", "status"),
            ("sizes", "size"),
            ("names", "names"),
            ("labels", "labels"),
            ("local_volumes", "localvolumes"),
            ("mounts", "mounts"),
            ("networks", "networks"),
        ],
        rows(text, CONTAINER_FIELDS),
    )
}

const IMAGE_FIELDS: &[&str] = &[
    "id",
    "repository",
    "tag",
    "digest",
    "createdat",
    "createdsince",
    "size",
];

pub fn images_table(text: &str) -> Arc<Table> {
    table(
        &object_to_s("DockerImageFilter", next_object_address()),
        IMAGE_FIELDS,
        &[
            ("ids", "id"),
            ("repositories", "repository"),
            ("tags", "tag"),
            ("digests", "digest"),
            ("sizes", "size"),
        ],
        rows(text, IMAGE_FIELDS),
    )
}

#[derive(Clone, Copy)]
enum ListKind {
    Containers,
    Images,
}

/// `docker.containers` / `docker.images`: a FilterTable with InSpec's `running?` (the
/// containers whose status is `Up ...`).
struct DockerList {
    kind: ListKind,
    table: Arc<Table>,
}

impl Resource for DockerList {
    fn name(&self) -> &str {
        match self.kind {
            ListKind::Containers => "docker_containers",
            ListKind::Images => "docker_images",
        }
    }

    fn to_s(&self) -> String {
        self.table.name.clone()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match (method, self.kind) {
            ("running?", ListKind::Containers) => {
                let t = &self.table;
                let status = t.field("status").unwrap_or(usize::MAX);
                Ok(Value::Table(Arc::new(Table {
                    name: format!("{} running", t.name),
                    rows: t
                        .rows
                        .iter()
                        .filter(|r| {
                            matches!(r.get(status), Some(Value::Str(s)) if s.to_lowercase().starts_with("up"))
                        })
                        .cloned()
                        .collect(),
                    ..(**t).clone()
                })))
            }
            _ => table_call(self.name(), &self.table, method, args),
        }
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.table.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::LocalTransport;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn container_lines_make_a_table_with_running() {
        let text = r#"{"ID":"abc","Image":"nginx","Status":"Up 2 hours","Names":"web"}
{"ID":"def","Image":"redis","Status":"Exited (0) 3 days ago","Names":"cache"}
not json
"#;
        let list = DockerList {
            kind: ListKind::Containers,
            table: containers_table(text),
        };
        assert_eq!(
            list.call("ids", &[]).unwrap(),
            Value::Array(vec![Value::str("abc"), Value::str("def")])
        );
        let Value::Table(running) = list.call("running?", &[]).unwrap() else {
            panic!()
        };
        assert_eq!(running.column("ids").unwrap(), vec![Value::str("abc")]);
        let images = images_table(r#"{"ID":"sha256:1","Repository":"nginx","Tag":"latest"}"#);
        assert_eq!(
            images.column("repositories").unwrap(),
            vec![Value::str("nginx")]
        );
    }

    /// The pairs of a Hashie::Mash (None: not a Mash).
    fn pairs(v: &Value) -> Option<Vec<(Value, Value)>> {
        crate::native::ruby::objects::as_native::<crate::native::ruby::mash::Mash>(v)
            .and_then(|m| m.0.lock().ok().map(|p| p.clone()))
    }

    #[test]
    fn no_daemon_or_no_cli_gives_empty_answers() {
        let host = Arc::new(Host::new(
            Box::new(LocalTransport::new()),
            None,
            CancellationToken::new(),
        ));
        let d = create(&[], &host).unwrap();
        assert_eq!(d.to_s(), "Docker Host");
        let daemon_up = std::process::Command::new("docker")
            .arg("info")
            .output()
            .is_ok_and(|o| o.status.success());
        if daemon_up {
            assert!(pairs(&d.call("info", &[]).unwrap()).is_some_and(|h| !h.is_empty()));
        } else {
            // docker.rb: no containers, empty info / version / object, never a skip.
            for m in ["info", "version"] {
                assert_eq!(pairs(&d.call(m, &[]).unwrap()), Some(Vec::new()), "{m}");
            }
            let obj = d.call("object", &[Value::str("nope")]).unwrap();
            assert_eq!(pairs(&obj), Some(Vec::new()));
            let Value::Resource(list) = d.call("containers", &[]).unwrap() else {
                panic!("containers is a table")
            };
            assert_eq!(list.call("ids", &[]).unwrap(), Value::Array(Vec::new()));
        }
    }
}

/// One Docker object by name or id (InSpec ≤ 6's docker_container, docker_image,
/// docker_service, docker_plugin): the rows of the `docker` listing that match, answered
/// only when exactly one does (docker_object.rb).
#[derive(Clone, Copy, PartialEq)]
pub enum ObjectKind {
    Container,
    Image,
    Service,
    Plugin,
}

pub const CONTAINER_METHODS: &[&str] = &[
    "command",
    "exist?",
    "has_volume?",
    "id",
    "image",
    "labels",
    "ports",
    "repo",
    "resource_id",
    "running?",
    "status",
    "tag",
];
pub const IMAGE_METHODS: &[&str] = &[
    "*",
    "exist?",
    "id",
    "image",
    "inspection",
    "repo",
    "resource_id",
    "tag",
];
pub const SERVICE_METHODS: &[&str] = &[
    "exist?",
    "id",
    "image",
    "image_name",
    "mode",
    "name",
    "ports",
    "replicas",
    "repo",
    "resource_id",
    "tag",
];
pub const PLUGIN_METHODS: &[&str] = &["enabled?", "exist?", "id", "resource_id", "version"];

type Row = Vec<(String, Value)>;

fn field<'a>(row: &'a Row, key: &str) -> &'a Value {
    row.iter()
        .find(|(k, _)| k == key)
        .map_or(&Value::Nil, |(_, v)| v)
}

/// docker_object.rb `parse_components_from_image`: repo, image name, tag.
fn image_components(image: &str) -> (String, String, Option<String>) {
    let colons = image.matches(':').count();
    let first_colon = image.find(':').map_or(-1, |i| i as i64);
    let first_slash = image.find('/').map_or(-1, |i| i as i64);
    let after_host = |repo: &str| repo.split('/').skip(1).collect::<String>();
    if colons == 2 {
        let (repo, tag) = image.rsplit_once(':').unwrap_or((image, ""));
        (repo.to_string(), after_host(repo), Some(tag.to_string()))
    } else if colons == 1 && first_colon < first_slash {
        (image.to_string(), after_host(image), None)
    } else {
        let mut parts = image.split(':');
        let repo = parts.next().unwrap_or("").to_string();
        (repo.clone(), repo, parts.next().map(str::to_string))
    }
}

pub struct DockerObject {
    kind: ObjectKind,
    name: Option<String>,
    id: Option<String>,
    /// docker_image's and docker_service's image (`repo:tag`), and its parts.
    image: Option<String>,
    repo: Option<String>,
    tag: Option<String>,
    docker: Docker,
    rows: Lazy<Vec<Row>>,
}

pub fn create_object(kind: ObjectKind, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let opt = |key: &str| crate::native::resources::support::hash_text(args, key);
    let given = crate::native::resources::support::str_arg(args, 0);
    let (mut name, mut id, mut image) = (opt("name"), opt("id"), opt("image"));
    match (kind, given) {
        (ObjectKind::Image, Some(s)) => image = Some(s),
        (_, Some(s)) => name = Some(s),
        _ => {}
    }
    let (mut repo, mut tag) = (None, None);
    if matches!(kind, ObjectKind::Image | ObjectKind::Service) {
        if let Some(img) = &image {
            let (r, _, t) = image_components(img);
            repo = Some(r);
            tag = t;
        }
    }
    if kind == ObjectKind::Image {
        // docker_image.rb sanitize_options: tag defaults to latest, ids get `sha256:`.
        tag = tag.or_else(|| Some("latest".into()));
        id = id.map(|i| {
            if i.contains(':') {
                i
            } else {
                format!("sha256:{i}")
            }
        });
        if let (Some(r), Some(t)) = (&repo, &tag) {
            image = Some(format!("{r}:{t}"));
        }
    }
    if name.is_none() && id.is_none() && image.is_none() {
        return Err(ResourceError::Failed(
            "docker objects are found by a name, `id:` or `image:`".into(),
        ));
    }
    Ok(Arc::new(DockerObject {
        kind,
        name,
        id,
        image,
        repo,
        tag,
        docker: Docker { host: host.clone() },
        rows: Lazy::default(),
    }))
}

impl DockerObject {
    fn id_matches(&self, row: &Row) -> bool {
        match (field(row, "id"), &self.id) {
            (Value::Str(have), Some(want)) => have == want || have.starts_with(want.as_str()),
            _ => false,
        }
    }

    /// The listing's rows that are this object (each resource's `object_info`).
    fn rows(&self) -> Res<&Vec<Row>> {
        self.rows.get(|| {
            let args: &[&str] = match self.kind {
                ObjectKind::Container => &["ps", "-a", "--no-trunc", "--format", "{{ json . }}"],
                ObjectKind::Image => &["images", "-a", "--no-trunc", "--format", "{{ json . }}"],
                ObjectKind::Service => &["service", "ls", "--format", "{{ json . }}"],
                ObjectKind::Plugin => &["plugin", "ls", "--no-trunc", "--format", "{{ json . }}"],
            };
            // docker.rb reads the output whatever the exit status: a node outside a swarm
            // (or without a daemon) lists nothing.
            let (text, _) = self.docker.docker(args)?;
            let is = |v: &Value, want: &Option<String>| {
                matches!((v, want), (Value::Str(a), Some(b)) if a == b)
            };
            Ok(json_lines(&text)
                .into_iter()
                .map(|mut row| {
                    // docker_plugin: `name:version` split as docker.rb's template does.
                    if self.kind == ObjectKind::Plugin {
                        if let Value::Str(full) = field(&row, "name").clone() {
                            let (n, v) = full.split_once(':').unwrap_or((&full, ""));
                            row.retain(|(k, _)| k != "name");
                            row.push(("name".into(), Value::str(n)));
                            row.push(("version".into(), Value::str(v)));
                        }
                    }
                    row
                })
                .filter(|row| match self.kind {
                    ObjectKind::Container | ObjectKind::Plugin => {
                        is(field(row, "names"), &self.name)
                            || is(field(row, "name"), &self.name)
                            || self.id_matches(row)
                    }
                    ObjectKind::Image => {
                        (is(field(row, "repository"), &self.repo)
                            && is(field(row, "tag"), &self.tag))
                            || self.id_matches(row)
                    }
                    ObjectKind::Service => {
                        is(field(row, "name"), &self.name)
                            || is(field(row, "image"), &self.image)
                            || self.id_matches(row)
                    }
                })
                .collect())
        })
    }

    /// A field of the one matching row; nil unless exactly one matches.
    fn one(&self, key: &str) -> Res<Value> {
        let rows = self.rows()?;
        Ok(match rows.as_slice() {
            [row] => field(row, key).clone(),
            _ => Value::Nil,
        })
    }

    fn image_text(&self) -> Res<Option<String>> {
        Ok(match self.one("image")? {
            Value::Str(s) => Some(s),
            _ => None,
        })
    }

    /// docker_image's `method_missing`: a key path into `docker inspect`, dot-separated.
    fn inspect_key(&self, keys: &[Value]) -> Res<Value> {
        let path: Vec<Value> = keys
            .iter()
            .flat_map(|k| match k {
                Value::Str(s) | Value::Sym(s) => s.split('.').map(Value::str).collect(),
                other => vec![other.clone()],
            })
            .collect();
        let target = self
            .image
            .clone()
            .or_else(|| self.id.clone())
            .unwrap_or_default();
        let data = self.docker.object_data(&target)?;
        let v = crate::native::resources::support::dig(&data, &path);
        if v == Value::Nil {
            let shown: Vec<String> = path
                .iter()
                .map(crate::native::ruby::methods::to_s)
                .collect();
            return Err(ResourceError::Failed(format!(
                "{} is not a valid key for your image or has nil value.",
                shown.join(".")
            )));
        }
        Ok(v)
    }
}

impl Resource for DockerObject {
    fn name(&self) -> &str {
        match self.kind {
            ObjectKind::Container => "docker_container",
            ObjectKind::Image => "docker_image",
            ObjectKind::Service => "docker_service",
            ObjectKind::Plugin => "docker_plugin",
        }
    }

    fn to_s(&self) -> String {
        let (label, what) = match self.kind {
            ObjectKind::Container => ("Docker Container", self.name.clone().or(self.id.clone())),
            ObjectKind::Image => ("Docker Image", self.image.clone().or(self.id.clone())),
            ObjectKind::Service => ("Docker Service", self.name.clone().or(self.id.clone())),
            ObjectKind::Plugin => ("Docker plugin", self.name.clone().or(self.id.clone())),
        };
        format!("{label} {}", what.unwrap_or_default())
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let kind = self.kind;
        let single = || -> Res<bool> { Ok(self.rows()?.len() == 1) };
        match (method, kind) {
            ("exist?", ObjectKind::Plugin) => Ok(Value::Bool(single()?)),
            ("exist?", _) => Ok(Value::Bool(!self.rows()?.is_empty())),
            ("id", _) => self.one("id"),
            ("resource_id", _) => Ok(match self.one("id")? {
                Value::Nil => Value::str(
                    self.id
                        .clone()
                        .or(self.name.clone())
                        .or(self.image.clone())
                        .unwrap_or_default(),
                ),
                v => v,
            }),
            ("running?", ObjectKind::Container) => Ok(match self.one("status")? {
                Value::Str(s) => Value::Bool(s.to_lowercase().starts_with("up")),
                _ => Value::Nil,
            }),
            ("status" | "ports", ObjectKind::Container)
            | ("ports" | "mode" | "replicas" | "name", ObjectKind::Service) => self.one(method),
            ("image", ObjectKind::Container | ObjectKind::Service) => self.one("image"),
            // The listing's labels (`a=b,c=d`) as the list docker.rb splits them into.
            ("labels", ObjectKind::Container) => Ok(Value::Array(
                self.rows()?
                    .iter()
                    .flat_map(|r| match field(r, "labels") {
                        Value::Str(s) if !s.is_empty() => s.split(',').map(Value::str).collect(),
                        _ => Vec::new(),
                    })
                    .collect(),
            )),
            // `{{json .Command}}` is quoted: docker_container.rb drops the first and last
            // characters.
            ("command", ObjectKind::Container) => Ok(match self.one("command")? {
                Value::Str(s) => {
                    let chars: Vec<char> = s.chars().collect();
                    Value::str(
                        chars
                            .get(1..chars.len().saturating_sub(1))
                            .map_or(String::new(), |c| c.iter().collect()),
                    )
                }
                _ => Value::Nil,
            }),
            ("repo" | "tag" | "image_name", ObjectKind::Container | ObjectKind::Service) => {
                if !single()? {
                    return Ok(Value::Nil);
                }
                let Some(image) = self.image_text()? else {
                    return Ok(Value::Nil);
                };
                let (repo, name, tag) = image_components(&image);
                Ok(match method {
                    "repo" => Value::str(repo),
                    "image_name" => Value::str(name),
                    _ => tag.map_or(Value::Nil, Value::str),
                })
            }
            ("repo", ObjectKind::Image) => self.one("repository"),
            ("tag", ObjectKind::Image) => self.one("tag"),
            ("image", ObjectKind::Image) => Ok(match (self.one("repository")?, self.one("tag")?) {
                (Value::Str(r), Value::Str(t)) if single()? => Value::str(format!("{r}:{t}")),
                _ => Value::Nil,
            }),
            ("inspection", ObjectKind::Image) => {
                let target = self
                    .image
                    .clone()
                    .or_else(|| self.id.clone())
                    .unwrap_or_default();
                self.docker.call("object", &[Value::str(target)])
            }
            ("has_volume?", ObjectKind::Container) => {
                let (Some(Value::Str(dest)), Some(Value::Str(src))) = (args.first(), args.get(1))
                else {
                    return Err(ResourceError::Failed(
                        "have_volume needs a destination and a source".into(),
                    ));
                };
                let target = self.name.clone().or(self.id.clone()).unwrap_or_default();
                let info = self.docker.object_data(&target)?;
                let mounts = match info.hash_get(&Value::str("Mounts")) {
                    Some(Value::Array(m)) if !m.is_empty() => m.clone(),
                    _ => {
                        return Err(ResourceError::Failed(
                            "Could not find any mounted volumes for your container".into(),
                        ))
                    }
                };
                Ok(Value::Bool(mounts.iter().any(|m| {
                    m.hash_get(&Value::str("Destination")) == Some(&Value::str(dest))
                        && m.hash_get(&Value::str("Source")) == Some(&Value::str(src))
                })))
            }
            ("enabled?", ObjectKind::Plugin) => Ok(self
                .rows()?
                .first()
                .map_or(Value::Nil, |r| field(r, "enabled").clone())),
            ("version", ObjectKind::Plugin) => self.one("version"),
            ("[]", ObjectKind::Image) => self.inspect_key(args),
            (_, ObjectKind::Image) => self.inspect_key(&[Value::str(method)]),
            ("[]", _) => Err(unsupported(self.name(), "[]")),
            _ => Err(unsupported(self.name(), method)),
        }
    }
}

#[cfg(test)]
mod object_tests {
    use super::*;

    /// A host outside a swarm: `docker service ls` fails, and docker.rb sees no services.
    #[test]
    fn no_swarm_means_no_services() {
        let dir = std::env::temp_dir().join(format!("airs-noswarm-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("root")).unwrap();
        std::fs::write(
            dir.join("host.yml"),
            r#"programs: [/usr/bin/docker]
commands:
  - argv: ["docker", "service", "ls", "--format", "{{ json . }}"]
    stderr: "Error response from daemon: This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.\n"
    exit_status: 1
  - argv: ["docker", "plugin", "ls", "--no-trunc", "--format", "{{ json . }}"]
    stderr: "permission denied\n"
    exit_status: 1
"#,
        )
        .unwrap();
        let host = crate::native::testing::fixture_host_at(&dir);
        let service = create_object(ObjectKind::Service, &[Value::str("web")], &host).unwrap();
        let plugin = create_object(ObjectKind::Plugin, &[Value::str("p")], &host).unwrap();
        let answers = (
            service.call("exist?", &[]),
            service.call("image", &[]),
            service.to_s(),
            plugin.call("exist?", &[]),
        );
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(answers.0, Ok(Value::Bool(false)));
        assert_eq!(answers.1, Ok(Value::Nil));
        assert_eq!(answers.2, "Docker Service web");
        // docker.rb reads the output whatever the exit status: a refused listing is empty.
        assert_eq!(answers.3, Ok(Value::Bool(false)));
        assert_eq!(
            image_components("localhost:5000/app"),
            ("localhost:5000/app".into(), "app".into(), None)
        );
        assert_eq!(
            image_components("registry:5000/team/app:1.2"),
            (
                "registry:5000/team/app".into(),
                "teamapp".into(),
                Some("1.2".into())
            )
        );
        assert_eq!(
            image_components("alpine"),
            ("alpine".into(), "alpine".into(), None)
        );
    }
}
