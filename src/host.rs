//! Host strings as users give them (`local://`, `ssh://user@host:22`, `web01`,
//! `fixture:///path/to/state`).
//! Hosts are data, never shell: they are validated here and only ever passed as argv items.

use serde_json::{Map, Value};

use crate::error::ValidationError;
use crate::template::Connection;

pub const HOST_MAX: usize = 255;
pub const HOSTS_MAX: usize = 100_000;
pub const LOCAL: &str = "local://";
/// A recorded host state answered by the native evaluator's fixture transport: the rest of
/// the string is a directory path (`fixture:///abs/dir`, or `fixture://rel/dir` from the
/// current directory).
pub const FIXTURE: &str = "fixture://";

/// Checks one host string: bounded length, no whitespace or control characters, and no
/// leading `-` (which a program such as ssh would read as an option).
pub fn validate_host(host: &str) -> Result<(), ValidationError> {
    let rule = if host.is_empty() || host.len() > HOST_MAX {
        format!("each host must be 1-{HOST_MAX} bytes")
    } else if host.chars().any(|c| c.is_control() || c.is_whitespace()) {
        "hosts must not contain whitespace or control characters".to_string()
    } else if host.starts_with('-') {
        "hosts must not start with '-'".to_string()
    } else {
        return Ok(());
    };
    Err(ValidationError::new("hosts", format!("{rule}: {host:?}")))
}

pub fn validate_hosts(hosts: &[String]) -> Result<(), ValidationError> {
    if hosts.len() > HOSTS_MAX {
        return Err(ValidationError::new(
            "hosts",
            format!("at most {HOSTS_MAX} hosts per job"),
        ));
    }
    // A host with a scheme is checked whole here, at submission, as its check would read it
    // (`ssh://-oX` is a refusal naming `hosts`, not a job that ends `error`).
    hosts
        .iter()
        .try_for_each(|h| validate_host(h).and_then(|()| scheme_target(h).map(drop)))
}

/// What a host string with a scheme names (`fixture://DIR`, `local://`, `ssh://…`), checked;
/// None for a bare name (an inventory name or an address, read with its variables).
fn scheme_target(host: &str) -> Result<Option<Target>, ValidationError> {
    if let Some(path) = host.strip_prefix(FIXTURE) {
        if path.is_empty() {
            return Err(bad(host, "the fixture state directory is empty"));
        }
        return Ok(Some(Target::Fixture(path.into())));
    }
    if host == LOCAL {
        return Ok(Some(Target::Local));
    }
    if let Some(rest) = host.strip_prefix("ssh://") {
        let t = parse_authority(host, rest.trim_end_matches('/'))?;
        return Ok(Some(Target::Ssh(t)));
    }
    if let Some((scheme, _)) = host.split_once("://") {
        return Err(bad(
            host,
            &format!("unknown scheme {scheme:?} (use local://, ssh:// or fixture://)"),
        ));
    }
    Ok(None)
}

/// Where one host's check runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// On this machine.
    Local,
    /// Over the system OpenSSH client.
    Ssh(SshTarget),
    /// A recorded host state (a directory): only the native runner can check it.
    Fixture(std::path::PathBuf),
}

/// An SSH destination. `host` never starts with '-' and is always passed after `--`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshTarget {
    /// Host name or address, without IPv6 brackets.
    pub host: String,
    pub user: Option<String>,
    pub port: Option<u16>,
    pub identity_file: Option<String>,
}

impl SshTarget {
    /// `ssh://user@host:port` (InSpec's `-t` form and our own host form).
    pub fn uri(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        let user = self
            .user
            .as_deref()
            .map(|u| format!("{u}@"))
            .unwrap_or_default();
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("ssh://{user}{host}{port}")
    }
}

fn bad(host: &str, rule: &str) -> ValidationError {
    ValidationError::new("hosts", format!("{rule}: {host:?}"))
}

fn check_part(host: &str, part: &str, what: &str) -> Result<(), ValidationError> {
    if part.is_empty() {
        return Err(bad(host, &format!("the {what} is empty")));
    }
    if part.starts_with('-') {
        return Err(bad(host, &format!("the {what} must not start with '-'")));
    }
    if part
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "@/?#".contains(c))
    {
        return Err(bad(
            host,
            &format!("the {what} has a character not allowed there"),
        ));
    }
    Ok(())
}

/// `host`, `host:port`, `[v6]`, `[v6]:port`, `user@` before any of them.
fn parse_authority(full: &str, s: &str) -> Result<SshTarget, ValidationError> {
    let (user, rest) = match s.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, s),
    };
    if let Some(u) = &user {
        check_part(full, u, "user")?;
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| bad(full, "unclosed '[' in the address"))?;
        match after {
            "" => (h.to_string(), None),
            p => (
                h.to_string(),
                Some(
                    p.strip_prefix(':')
                        .ok_or_else(|| bad(full, "expected ':port' after ']'"))?,
                ),
            ),
        }
    } else if rest.matches(':').count() == 1 {
        let (h, p) = rest.split_once(':').unwrap_or((rest, ""));
        (h.to_string(), Some(p))
    } else {
        // No port, or a bare IPv6 address.
        (rest.to_string(), None)
    };
    check_part(full, &host, "host")?;
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad(full, "the port must be a number from 1 to 65535"))
        })
        .transpose()?;
    Ok(SshTarget {
        host,
        user,
        port,
        identity_file: None,
    })
}

fn var_str(vars: &Map<String, Value>, key: &str) -> Option<String> {
    match vars.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Where `host` runs: `local://` (or `connection: local`, or `ansible_connection=local`
/// in the inventory) runs here; `ssh://[user@]host[:port]` and a bare `host` run over
/// SSH, a bare host taking `ansible_host`, `ansible_port`, `ansible_user` and
/// `ansible_ssh_private_key_file` from its inventory variables when it has them.
pub fn target_for(
    host: &str,
    vars: Option<&Map<String, Value>>,
    connection: Connection,
) -> Result<Target, ValidationError> {
    validate_host(host)?;
    match scheme_target(host)? {
        // A recorded state is never this machine.
        Some(fixture @ Target::Fixture(_)) => return Ok(fixture),
        _ if connection == Connection::Local => return Ok(Target::Local),
        Some(target) => return Ok(target),
        None => {}
    }
    let empty = Map::new();
    let vars = vars.unwrap_or(&empty);
    if var_str(vars, "ansible_connection").as_deref() == Some("local") {
        return Ok(Target::Local);
    }
    let mut t = match var_str(vars, "ansible_host") {
        Some(addr) => parse_authority(host, &addr)?,
        None => parse_authority(host, host)?,
    };
    if let Some(u) = var_str(vars, "ansible_user").or_else(|| var_str(vars, "ansible_ssh_user")) {
        check_part(host, &u, "user")?;
        t.user = Some(u);
    }
    if let Some(p) = var_str(vars, "ansible_port").or_else(|| var_str(vars, "ansible_ssh_port")) {
        t.port = Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad(host, "ansible_port must be a number from 1 to 65535"))?,
        );
    }
    t.identity_file = var_str(vars, "ansible_ssh_private_key_file")
        .or_else(|| var_str(vars, "ansible_private_key_file"));
    Ok(Target::Ssh(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ssh(host: &str) -> SshTarget {
        match target_for(host, None, Connection::Ssh).unwrap() {
            Target::Ssh(t) => t,
            other => panic!("{host} is {other:?}"),
        }
    }

    #[test]
    fn host_forms() {
        assert_eq!(
            target_for("local://", None, Connection::Ssh).unwrap(),
            Target::Local
        );
        assert_eq!(
            target_for("web01", None, Connection::Local).unwrap(),
            Target::Local
        );
        let t = ssh("ssh://admin@10.0.0.5:2222");
        assert_eq!(
            (t.user.as_deref(), t.host.as_str(), t.port),
            (Some("admin"), "10.0.0.5", Some(2222))
        );
        assert_eq!(t.uri(), "ssh://admin@10.0.0.5:2222");
        let t = ssh("web01");
        assert_eq!((t.user, t.host.as_str(), t.port), (None, "web01", None));
        let t = ssh("ssh://[::1]:22");
        assert_eq!((t.host.as_str(), t.port), ("::1", Some(22)));
        assert_eq!(t.uri(), "ssh://[::1]:22");
        assert_eq!(ssh("::1").host, "::1");
        assert_eq!(ssh("h:2200").port, Some(2200));
    }

    #[test]
    fn fixture_hosts_name_a_directory() {
        assert_eq!(
            target_for("fixture:///srv/states/debian12", None, Connection::Ssh).unwrap(),
            Target::Fixture("/srv/states/debian12".into())
        );
        assert_eq!(
            target_for("fixture://tests/h", None, Connection::Local).unwrap(),
            Target::Fixture("tests/h".into()),
            "a recorded state is never this machine"
        );
        assert_eq!(
            target_for("fixture://", None, Connection::Ssh)
                .unwrap_err()
                .field,
            "hosts"
        );
    }

    #[test]
    fn host_forms_are_checked_at_submission_as_when_they_run() {
        for h in [
            "ssh://-oProxyCommand=x",
            "ssh://user@-oProxyCommand=x",
            "ssh://-l@h",
            "ssh://h:99999",
            "gopher://h",
            "fixture://",
        ] {
            let e = validate_hosts(&[h.to_string()]).unwrap_err();
            assert_eq!(e.field, "hosts", "{h}");
            assert_eq!(
                e.rule,
                target_for(h, None, Connection::Ssh).unwrap_err().rule,
                "{h}: one rule, at submission and at run time"
            );
        }
        let good = [
            "local://",
            "ssh://admin@10.0.0.5:2222",
            "web01",
            "fixture:///srv/s",
            "h:2200",
        ];
        assert!(validate_hosts(&good.map(String::from)).is_ok());
    }

    #[test]
    fn bad_host_forms_name_the_field() {
        for h in [
            "ssh://-oProxyCommand=x",
            "ssh://u@",
            "ssh://-u@h",
            "ssh://h:0",
            "ssh://h:99999",
            "ssh://h:x",
            "ssh://[::1",
            "winrm://h",
        ] {
            let e = target_for(h, None, Connection::Ssh).unwrap_err();
            assert_eq!(e.field, "hosts", "{h}");
        }
    }

    #[test]
    fn inventory_vars_apply_to_bare_hosts() {
        let vars: Map<String, Value> = serde_json::from_str(
            r#"{"ansible_host":"10.1.1.1","ansible_port":"2201","ansible_user":"ops",
                "ansible_ssh_private_key_file":"/k/id"}"#,
        )
        .unwrap();
        let t = target_for("db", Some(&vars), Connection::Ssh).unwrap();
        assert_eq!(
            t,
            Target::Ssh(SshTarget {
                host: "10.1.1.1".into(),
                user: Some("ops".into()),
                port: Some(2201),
                identity_file: Some("/k/id".into()),
            })
        );
        let local: Map<String, Value> =
            serde_json::from_str(r#"{"ansible_connection":"local"}"#).unwrap();
        assert_eq!(
            target_for("db", Some(&local), Connection::Ssh).unwrap(),
            Target::Local
        );
        let evil: Map<String, Value> =
            serde_json::from_str(r#"{"ansible_host":"-oProxyCommand=x"}"#).unwrap();
        assert!(target_for("db", Some(&evil), Connection::Ssh).is_err());
    }

    #[test]
    fn accepts_usual_forms() {
        for h in ["local://", "ssh://admin@10.0.0.5:2222", "web01", "[::1]"] {
            validate_host(h).unwrap();
        }
    }

    #[test]
    fn rejects_dangerous_forms() {
        let long = "h".repeat(256);
        for h in [
            "",
            "a b",
            "a\nb",
            "-oProxyCommand=x",
            "a\u{7}",
            long.as_str(),
        ] {
            assert_eq!(validate_host(h).unwrap_err().field, "hosts", "{h:?}");
        }
    }
}
