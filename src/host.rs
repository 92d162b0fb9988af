//! Host strings as users give them (`local://`, `ssh://user@host:22`, `web01`).
//! Hosts are data, never shell: they are validated here and only ever passed as argv items.

use crate::error::ValidationError;

pub const HOST_MAX: usize = 255;
pub const HOSTS_MAX: usize = 100_000;
pub const LOCAL: &str = "local://";

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
    hosts.iter().try_for_each(|h| validate_host(h))
}

#[cfg(test)]
mod tests {
    use super::*;

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
