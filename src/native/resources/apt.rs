//! `apt` (and its old name `ppa`): whether a Debian repository is configured in
//! /etc/apt's `*.list` files, and enabled (not commented out).

use std::sync::Arc;

use crate::native::resources::os::detect;
use crate::native::resources::support::{need_str, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["enabled?", "exist?", "exists?"];

/// Every `*.list` under /etc/apt, concatenated (InSpec reads the same).
pub const LISTS: &str = r#"find /etc/apt/ -name '*.list' -exec sh -c 'cat "$1" || :' sh {} \;"#;

/// One `deb`/`deb-src` line: type, url, active.
pub fn parse_lists(text: &str) -> Vec<(String, String, bool)> {
    text.lines()
        .filter_map(|raw| {
            let line = raw.trim_start_matches(|c: char| c == '#' || c.is_whitespace());
            let active = !raw.trim_start().starts_with('#');
            let mut words = line.split_whitespace().filter(|w| !w.starts_with('['));
            let kind = words.next()?;
            let url = words.next()?;
            let _distro = words.next()?;
            // A line without components is not a repository.
            words.next()?;
            let is_http = url.starts_with("http://") || url.starts_with("https://");
            (matches!(kind, "deb" | "deb-src") && is_http)
                .then(|| (kind.to_string(), url.to_string(), active))
        })
        .collect()
}

/// `ppa:owner/repo`, `owner/repo` or a URL, as the URL InSpec compares.
pub fn repo_url(name: &str) -> String {
    if name.starts_with("http://") || name.starts_with("https://") {
        return name.to_string();
    }
    let name = name.strip_prefix("ppa:").unwrap_or(name);
    let mut parts = name.split('/');
    let owner = parts.next().unwrap_or("");
    let repo = parts.next().unwrap_or("ppa");
    format!("http://ppa.launchpad.net/{owner}/{repo}/ubuntu")
}

pub struct Apt {
    name: &'static str,
    url: String,
    host: Arc<Host>,
    found: Lazy<Vec<bool>>,
}

pub fn create(name: &'static str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Apt {
        name,
        url: repo_url(&need_str(name, args, 0, "a repository")?),
        host: host.clone(),
        found: Lazy::default(),
    }))
}

impl Apt {
    /// Whether each matching `deb` line is active.
    fn found(&self) -> Res<&Vec<bool>> {
        self.found.get(|| {
            if !detect(&self.host)?.is("debian") {
                return Err(ResourceError::Skip(
                    "The `apt` resource is not supported on your OS yet.".into(),
                ));
            }
            let out = self.host.run(LISTS)?;
            Ok(parse_lists(&out.stdout)
                .into_iter()
                .filter(|(kind, url, _)| kind == "deb" && *url == self.url)
                .map(|(_, _, active)| active)
                .collect())
        })
    }
}

impl Resource for Apt {
    fn name(&self) -> &str {
        self.name
    }

    fn to_s(&self) -> String {
        format!("Apt Repository {}", self.url)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "exist?" | "exists?" => Ok(Value::Bool(!self.found()?.is_empty())),
            "enabled?" => {
                let f = self.found()?;
                Ok(Value::Bool(!f.is_empty() && f.iter().all(|a| *a)))
            }
            _ => Err(unsupported(self.name, method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::LocalTransport;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn lists_and_names_parse() {
        let repos = parse_lists(
            "deb http://deb.debian.org/debian bookworm main\n\
             # deb [arch=amd64] https://x.example/apt stable main\n\
             deb-src http://deb.debian.org/debian bookworm main\n\
             deb cdrom:[Debian]/ bookworm main\ndeb http://short\n",
        );
        assert_eq!(repos.len(), 3);
        assert_eq!(
            repos[1],
            ("deb".into(), "https://x.example/apt".into(), false)
        );
        assert_eq!(
            repo_url("ppa:ubuntu-wine/ppa"),
            "http://ppa.launchpad.net/ubuntu-wine/ppa/ubuntu"
        );
        assert_eq!(
            repo_url("nginx"),
            "http://ppa.launchpad.net/nginx/ppa/ubuntu"
        );
        assert_eq!(repo_url("https://a/b"), "https://a/b");
    }

    #[test]
    fn this_machine_answers() {
        let host = Arc::new(Host::new(
            Box::new(LocalTransport::new()),
            None,
            CancellationToken::new(),
        ));
        let r = create("apt", &[Value::str("http://airs.invalid/none")], &host).unwrap();
        assert_eq!(r.to_s(), "Apt Repository http://airs.invalid/none");
        let debian = std::fs::read_to_string("/etc/os-release").is_ok_and(|t| {
            t.lines()
                .any(|l| l == "ID=debian" || l == "ID=ubuntu" || l.starts_with("ID_LIKE=debian"))
        });
        if debian {
            assert_eq!(r.call("exists?", &[]).unwrap(), Value::Bool(false));
            // Whatever this machine lists is found, with its state.
            let out = std::process::Command::new("sh")
                .args(["-c", LISTS])
                .output()
                .unwrap();
            if let Some((_, url, active)) = parse_lists(&String::from_utf8_lossy(&out.stdout))
                .into_iter()
                .find(|r| r.0 == "deb")
            {
                let r = create("apt", &[Value::str(url)], &host).unwrap();
                assert_eq!(r.call("exist?", &[]).unwrap(), Value::Bool(true));
                if active {
                    assert_eq!(r.call("enabled?", &[]).unwrap(), Value::Bool(true));
                }
            }
        }
    }
}
