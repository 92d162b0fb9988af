//! `docker`: the Docker host through the `docker` CLI on the target (containers and images
//! as FilterTables, `info`, `version`, `object(id)`). As inspec-docker-resources' docker.rb
//! does, a CLI that fails (no `docker`, no daemon) gives what its output holds: no
//! containers or images, an empty `info` / `version` / `object`.

use std::sync::Arc;

use crate::native::resources::config_file::from_json;
use crate::native::resources::support::{need_str, run_argv, table, table_call, unsupported, Res};
use crate::native::resources::{Resource, ResourceError};
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
            "info" => self.json(&["info", "--format", "{{ json . }}"], true),
            "version" => self.json(&["version", "--format", "{{ json . }}"], true),
            "object" => {
                let id = need_str("docker", args, 0, "a container or image id")?;
                match self.json(&["inspect", "--", &id], false)? {
                    Value::Array(mut items) if !items.is_empty() => Ok(items.remove(0)),
                    Value::Array(_) => Ok(Value::Hash(Vec::new())),
                    other => Ok(other),
                }
            }
            _ => Err(unsupported("docker", method)),
        }
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
    table(
        "Docker Containers",
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
        "Docker Images",
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
            assert!(matches!(d.call("info", &[]), Ok(Value::Hash(h)) if !h.is_empty()));
        } else {
            // docker.rb: no containers, empty info / version / object, never a skip.
            for m in ["info", "version"] {
                assert_eq!(d.call(m, &[]).unwrap(), Value::Hash(Vec::new()), "{m}");
            }
            let obj = d.call("object", &[Value::str("nope")]).unwrap();
            assert_eq!(obj, Value::Hash(Vec::new()));
            let Value::Resource(list) = d.call("containers", &[]).unwrap() else {
                panic!("containers is a table")
            };
            assert_eq!(list.call("ids", &[]).unwrap(), Value::Array(Vec::new()));
        }
    }
}
