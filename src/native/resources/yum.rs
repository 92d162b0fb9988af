//! `yum`: the repositories of `yum -v repolist all` (`repos`, `repositories`, and
//! `repo(id)` with `exist?`/`enabled?`), on Red Hat's family only.

use std::sync::Arc;

use crate::native::resources::os::detect;
use crate::native::resources::support::{need_str, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["repo", "repos", "repositories"];

pub const REPOLIST: &str = "yum -v repolist all";

/// Each `Repo-id : x` block's `key: value` lines, keys as InSpec names them (`Repo-id` →
/// `id`, `Repo-status` → `status`, lowercased, spaces as `_`).
pub fn parse_repolist(text: &str) -> Vec<Vec<(String, String)>> {
    let mut repos = Vec::new();
    let mut current: Option<Vec<(String, String)>> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        let kv = trimmed
            .split_once(':')
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()));
        if let Some((k, _)) = &kv {
            if k == "Repo-id" {
                if let Some(done) = current.take() {
                    repos.push(done);
                }
                current = Some(Vec::new());
            }
        }
        if trimmed.is_empty() || trimmed.starts_with("Total packages") {
            if let Some(done) = current.take() {
                repos.push(done);
            }
            continue;
        }
        if let (Some(repo), Some((k, v))) = (current.as_mut(), kv) {
            let key = k
                .trim_start_matches("Repo-")
                .to_lowercase()
                .replace([' ', '-'], "_");
            // The id line may carry `/arch` or `/$releasever`: InSpec keeps the id only.
            let v = if key == "id" {
                v.split('/').next().unwrap_or("").to_string()
            } else {
                v
            };
            repo.push((key, v));
        }
    }
    if let Some(done) = current {
        repos.push(done);
    }
    repos
}

pub struct Yum {
    host: Arc<Host>,
    repos: Lazy<Vec<Vec<(String, String)>>>,
}

pub fn create(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Yum {
        host: host.clone(),
        repos: Lazy::default(),
    }))
}

impl Yum {
    fn repos(&self) -> Res<&Vec<Vec<(String, String)>>> {
        self.repos.get(|| {
            let p = detect(&self.host)?;
            if !(p.is("redhat") || p.is("fedora") || p.is("amazon")) {
                return Err(ResourceError::Skip(format!(
                    "The `yum` resource is not supported on {}",
                    p.name
                )));
            }
            let out = self.host.run(REPOLIST)?;
            if out.exit_status != Some(0) {
                return Err(ResourceError::Failed(format!(
                    "`{REPOLIST}` failed: {}",
                    out.stderr.trim()
                )));
            }
            Ok(parse_repolist(&out.stdout))
        })
    }
}

fn as_hash(repo: &[(String, String)]) -> Value {
    Value::Hash(
        repo.iter()
            .map(|(k, v)| (Value::str(k), Value::str(v)))
            .collect(),
    )
}

impl Resource for Yum {
    fn name(&self) -> &str {
        "yum"
    }

    fn to_s(&self) -> String {
        "Yum Repository".into()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let field = |r: &[(String, String)], k: &str| {
            r.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
        };
        match method {
            "repositories" => Ok(Value::Array(
                self.repos()?.iter().map(|r| as_hash(r)).collect(),
            )),
            "repos" => Ok(Value::Array(
                self.repos()?
                    .iter()
                    .filter_map(|r| field(r, "id"))
                    .map(Value::Str)
                    .collect(),
            )),
            "repo" => {
                let id = need_str("yum", args, 0, "a repository id")?;
                let repo = self
                    .repos()?
                    .iter()
                    .find(|r| field(r, "id").as_deref() == Some(id.as_str()))
                    .cloned();
                Ok(Value::Resource(Arc::new(YumRepo { id, repo })))
            }
            _ => Err(unsupported("yum", method)),
        }
    }
}

/// `yum.repo('base')`.
struct YumRepo {
    id: String,
    repo: Option<Vec<(String, String)>>,
}

impl Resource for YumRepo {
    fn name(&self) -> &str {
        "yum_repo"
    }

    fn to_s(&self) -> String {
        format!("YumRepo {}", self.id)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        let get = |k: &str| {
            self.repo
                .as_ref()
                .and_then(|r| r.iter().find(|(key, _)| key == k))
                .map_or(Value::Nil, |(_, v)| Value::str(v))
        };
        match method {
            "exist?" | "exists?" => Ok(Value::Bool(self.repo.is_some())),
            "enabled?" => Ok(Value::Bool(get("status") == Value::str("enabled"))),
            "info" => Ok(self.repo.as_deref().map_or(Value::Nil, as_hash)),
            "baseurl" | "name" | "status" | "mirrors" | "expire" | "filename" | "revision"
            | "updated" | "pkgs" | "size" => Ok(get(method)),
            _ => Err(unsupported("yum_repo", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::LocalTransport;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn repolist_blocks_parse() {
        let text = "Loading \"fastestmirror\" plugin\nRepo-id      : base/7/x86_64\nRepo-name    : CentOS-7 - Base\nRepo-status  : enabled\nRepo-baseurl : http://mirror/centos/7/os/x86_64/\n\nRepo-id      : extras\nRepo-status  : disabled\nTotal packages: 10\n";
        let repos = parse_repolist(text);
        assert_eq!(repos.len(), 2);
        assert_eq!(repos[0][0], ("id".into(), "base".into()));
        assert!(repos[0].contains(&("status".into(), "enabled".into())));
        assert!(repos[1].contains(&("status".into(), "disabled".into())));
        for junk in ["", ":", "Repo-id", "Repo-id:\n\n\n:"] {
            let _ = parse_repolist(junk);
        }
    }

    #[test]
    fn skipped_off_red_hat() {
        let host = Arc::new(Host::new(
            Box::new(LocalTransport::new()),
            None,
            CancellationToken::new(),
        ));
        let y = create(&[], &host).unwrap();
        let p = detect(&host).unwrap();
        if !(p.is("redhat") || p.is("fedora") || p.is("amazon")) {
            assert!(matches!(y.call("repos", &[]), Err(ResourceError::Skip(_))));
        }
    }
}
