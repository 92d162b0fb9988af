//! `auditd`: the kernel's audit rules as `auditctl -l` prints them, and `auditctl -s`.

use std::sync::Arc;

use crate::native::resources::support::{unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["lines", "status"];

pub const RULES: &str = "PATH=\"$PATH:/sbin:/usr/sbin\" auditctl -l";
pub const STATUS: &str = "PATH=\"$PATH:/sbin:/usr/sbin\" auditctl -s";

pub struct Auditd {
    host: Arc<Host>,
    rules: Lazy<Vec<String>>,
}

pub fn create(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Auditd {
        host: host.clone(),
        rules: Lazy::default(),
    }))
}

impl Auditd {
    fn auditctl(&self, command: &str) -> Res<String> {
        let out = self.host.run(command)?;
        match out.exit_status {
            Some(0) => Ok(out.stdout),
            Some(127) => Err(ResourceError::Skip(
                "auditctl is not installed on the target".into(),
            )),
            _ => Err(ResourceError::Failed(format!(
                "auditctl failed: {}",
                out.stderr.trim()
            ))),
        }
    }
}

/// `auditctl -s` lines (`enabled 1`) as a Hash, numbers as Integers.
pub fn parse_status(text: &str) -> Value {
    Value::Hash(
        text.lines()
            .filter_map(|l| {
                let (k, v) = l.trim().split_once(' ')?;
                let v = v.trim();
                Some((
                    Value::str(k),
                    v.parse::<i64>().map_or_else(|_| Value::str(v), Value::Int),
                ))
            })
            .collect(),
    )
}

impl Resource for Auditd {
    fn name(&self) -> &str {
        "auditd"
    }

    fn to_s(&self) -> String {
        "Auditd Rules".into()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "lines" => {
                let rules = self
                    .rules
                    .get(|| Ok(self.auditctl(RULES)?.lines().map(str::to_string).collect()))?;
                Ok(Value::Array(rules.iter().map(Value::str).collect()))
            }
            "status" => {
                let status = parse_status(&self.auditctl(STATUS)?);
                Ok(match args.first() {
                    Some(Value::Str(key)) => status
                        .hash_get(&Value::str(key))
                        .cloned()
                        .unwrap_or(Value::Nil),
                    _ => status,
                })
            }
            _ => Err(unsupported("auditd", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::LocalTransport;
    use tokio_util::sync::CancellationToken;

    #[test]
    fn status_parses_and_a_missing_auditctl_skips() {
        assert_eq!(
            parse_status(
                "enabled 1\nfailure 1\nbacklog_wait_time 60000\nloginuid_immutable 0 unlocked\n"
            ),
            Value::Hash(vec![
                (Value::str("enabled"), Value::Int(1)),
                (Value::str("failure"), Value::Int(1)),
                (Value::str("backlog_wait_time"), Value::Int(60000)),
                (Value::str("loginuid_immutable"), Value::str("0 unlocked")),
            ])
        );
        let host = Arc::new(Host::new(
            Box::new(LocalTransport::new()),
            None,
            CancellationToken::new(),
        ));
        let r = create(&[], &host).unwrap();
        let have = std::process::Command::new("sh")
            .args(["-c", RULES])
            .output()
            .unwrap();
        match have.status.code() {
            Some(0) => assert_eq!(
                r.call("lines", &[]).unwrap(),
                Value::Array(
                    String::from_utf8_lossy(&have.stdout)
                        .lines()
                        .map(Value::str)
                        .collect()
                )
            ),
            Some(127) => assert!(matches!(r.call("lines", &[]), Err(ResourceError::Skip(_)))),
            _ => assert!(matches!(
                r.call("lines", &[]),
                Err(ResourceError::Failed(_))
            )),
        }
    }
}
