//! `linux_audit_system` (linux_audit_system.rb): `enabled?` and `running?` from the
//! `enabled` and `pid` lines of `auditctl -s`, `rules` as `auditctl -l` prints them.

use std::sync::Arc;

use crate::native::resources::support::{first_program, ruby_to_i, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &["enabled?", "rules", "running?"];

/// Where linux_audit_system.rb looks for auditctl, in order.
const AUDITCTL: &[&str] = &["/usr/sbin/auditctl", "/sbin/auditctl", "auditctl"];

pub struct LinuxAuditSystem {
    host: Arc<Host>,
    auditctl: Lazy<&'static str>,
}

pub fn create(_args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(LinuxAuditSystem {
        host: host.clone(),
        auditctl: Lazy::default(),
    }))
}

impl LinuxAuditSystem {
    fn auditctl(&self) -> Res<&'static str> {
        self.auditctl
            .get(|| {
                first_program(
                    &self.host,
                    AUDITCTL,
                    "Could not find `auditctl`. This resource requires `auditctl` utility to be available on the system.",
                )
            })
            .copied()
    }

    /// The words of `auditctl -s | grep WORD` (InSpec's pipeline; grep here is a line
    /// filter), or its failure when no line matches.
    fn status_words(&self, word: &str) -> Res<Vec<String>> {
        let auditctl = self.auditctl()?;
        let out = self.host.run(&format!("{auditctl} -s"))?;
        let lines: Vec<&str> = out.stdout.lines().filter(|l| l.contains(word)).collect();
        if lines.is_empty() {
            return Err(ResourceError::Failed(format!(
                "Executing {auditctl} -s | grep enabled failed: {}",
                out.stderr
            )));
        }
        Ok(lines
            .iter()
            .flat_map(|l| l.split_whitespace())
            .map(str::to_string)
            .collect())
    }
}

impl Resource for LinuxAuditSystem {
    fn name(&self) -> &str {
        "linux_audit_system"
    }

    fn to_s(&self) -> String {
        "linux_audit_system".into()
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "enabled?" => {
                let w = self.status_words("enabled")?;
                Ok(Value::Bool(w.get(1).map_or(0, |v| ruby_to_i(v)) == 1))
            }
            "running?" => {
                let w = self.status_words("pid")?;
                Ok(Value::Bool(w.get(1).is_some_and(|p| ruby_to_i(p) != 0)))
            }
            "rules" => {
                let auditctl = self.auditctl()?;
                let out = self.host.run(&format!("{auditctl} -l"))?;
                if out.exit_status != Some(0) {
                    return Err(ResourceError::Failed(format!(
                        "Executing {auditctl} -l: {}",
                        out.stderr
                    )));
                }
                Ok(Value::Array(
                    out.stdout.trim().split('\n').map(Value::str).collect(),
                ))
            }
            _ => Err(unsupported("linux_audit_system", method)),
        }
    }
}
