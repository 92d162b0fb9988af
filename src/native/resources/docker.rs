//! `docker`: the Docker host through the `docker` CLI on the target (containers and images
//! as FilterTables, `info`, `version`, `object(id)`); skipped, saying why, where there is no
//! `docker` or no daemon.

use std::sync::Arc;

use crate::native::resources::config_file::from_json;
use crate::native::resources::support::{
    has_program, need_str, run_argv, table, table_call, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::Host;

pub const METHODS: &[&str] = &["containers", "images", "info", "object", "version"];

pub struct Docker {
    host: Arc<Host>,
    available: Lazy<()>,
}

pub fn create(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Docker {
        host: host.clone(),
        available: Lazy::default(),
    }))
}

impl Docker {
    /// Runs `docker ARGS`; a missing CLI or daemon skips, other failures fail.
    fn docker(&self, args: &[&str]) -> Res<String> {
        self.available.get(|| {
            if has_program(&self.host, "docker")? {
                Ok(())
            } else {
                Err(ResourceError::Skip(
                    "docker is not installed on the target".into(),
                ))
            }
        })?;
        let mut argv = vec!["docker"];
        argv.extend_from_slice(args);
        let out = run_argv(&self.host, &argv)?;
        if out.exit_status == Some(0) {
            return Ok(out.stdout);
        }
        let why = out.stderr.trim();
        if why.contains("Cannot connect to the Docker daemon") || why.contains("docker.sock") {
            return Err(ResourceError::Skip(format!(
                "the Docker daemon is not reachable: {why}"
            )));
        }
        Err(ResourceError::Failed(format!(
            "`docker {}` failed: {why}",
            args.join(" ")
        )))
    }

    fn json(&self, args: &[&str]) -> Res<Value> {
        let text = self.docker(args)?;
        serde_json::from_str(&text)
            .map(|v| from_json(&v))
            .map_err(|e| ResourceError::Failed(format!("`docker {}`: {e}", args.join(" "))))
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
                let text = self.docker(&["ps", "-a", "--no-trunc", "--format", "{{ json . }}"])?;
                Ok(Value::Resource(Arc::new(DockerList {
                    kind: ListKind::Containers,
                    table: containers_table(&text),
                })))
            }
            "images" => {
                let text =
                    self.docker(&["images", "-a", "--no-trunc", "--format", "{{ json . }}"])?;
                Ok(Value::Resource(Arc::new(DockerList {
                    kind: ListKind::Images,
                    table: images_table(&text),
                })))
            }
            "info" => self.json(&["info", "--format", "{{ json . }}"]),
            "version" => self.json(&["version", "--format", "{{ json . }}"]),
            "object" => {
                let id = need_str("docker", args, 0, "a container or image id")?;
                match self.json(&["inspect", "--", &id])? {
                    Value::Array(mut items) if !items.is_empty() => Ok(items.remove(0)),
                    _ => Ok(Value::Nil),
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
    fn no_daemon_or_no_cli_skips() {
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
            assert!(matches!(d.call("info", &[]), Ok(Value::Hash(_))));
        } else {
            for m in ["containers", "info", "version"] {
                assert!(matches!(d.call(m, &[]), Err(ResourceError::Skip(_))), "{m}");
            }
        }
    }
}
