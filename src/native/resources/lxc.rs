//! `lxc`: a Linux container as LXD's `lxc info NAME` describes it (YAML), as InSpec's
//! resources/lxc.rb reads it.

use std::sync::Arc;

use crate::native::resources::config_file::from_yaml;
use crate::native::resources::os::skip_unless_platform;
use crate::native::resources::support::{
    dig, first_program, need_str, run_argv, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &[
    "architecture",
    "container_info",
    "container_name",
    "created_at",
    "exist?",
    "exists?",
    "last_used_at",
    "name",
    "pid",
    "resources",
    "running?",
    "status",
    "type",
];

pub struct Lxc {
    container: String,
    host: Arc<Host>,
    info: Lazy<Value>,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Lxc {
        container: need_str("lxc", args, 0, "a container name")?,
        host: host.clone(),
        info: Lazy::default(),
    }))
}

/// `lxc info` output as lxc.rb's `YAML.load`: a Hash, or empty when it is not YAML.
pub fn parse_info(stdout: &str) -> Value {
    match serde_yaml_ng::from_str::<serde_yaml_ng::Value>(stdout) {
        Ok(v) => match from_yaml(&v) {
            h @ Value::Hash(_) => h,
            _ => Value::Hash(Vec::new()),
        },
        Err(_) => Value::Hash(Vec::new()),
    }
}

impl Lxc {
    fn info(&self) -> Res<&Value> {
        self.info.get(|| {
            skip_unless_platform(
                &self.host,
                &["linux"],
                "The `lxc` resource is not supported on your OS yet.",
            )?;
            let lxc = first_program(
                &self.host,
                &["/usr/sbin/lxc", "/sbin/lxc", "lxc"],
                "Could not find `lxc`",
            )?;
            let out = run_argv(&self.host, &[lxc, "info", &self.container])?;
            if out.exit_status == Some(0) {
                Ok(parse_info(&out.stdout))
            } else if out.stderr.contains("Error: Instance not found") {
                Ok(Value::Hash(Vec::new()))
            } else {
                Err(ResourceError::Failed(format!(
                    "Unable to retrieve information for {}.\n{}",
                    self.container, out.stderr
                )))
            }
        })
    }

    fn get(&self, key: &str) -> Res<Value> {
        Ok(dig(self.info()?, &[Value::str(key)]))
    }
}

impl Resource for Lxc {
    fn name(&self) -> &str {
        "lxc"
    }

    fn to_s(&self) -> String {
        format!("lxc {}", self.container)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        let field = match method {
            "exist?" | "exists?" => {
                return Ok(Value::Bool(
                    matches!(self.info()?, Value::Hash(h) if !h.is_empty()),
                ))
            }
            "running?" => {
                return Ok(Value::Bool(matches!(
                    self.get("Status")?,
                    Value::Str(s) if s.eq_ignore_ascii_case("running")
                )))
            }
            "container_info" => return Ok(self.info()?.clone()),
            "container_name" => return Ok(Value::str(&self.container)),
            "name" => "Name",
            "status" => "Status",
            "type" => "Type",
            "architecture" => "Architecture",
            "pid" => "PID",
            "created_at" => "Created",
            "last_used_at" => "Last Used",
            "resources" => "Resources",
            _ => return Err(unsupported("lxc", method)),
        };
        self.get(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lxc_info_is_yaml() {
        let v = parse_info("Name: web\nStatus: RUNNING\nPID: 1378\nResources:\n  Processes: 12\n");
        assert_eq!(dig(&v, &[Value::str("PID")]), Value::Int(1378));
        assert_eq!(parse_info(": : [\n"), Value::Hash(Vec::new()));
        assert_eq!(parse_info("just text"), Value::Hash(Vec::new()));
    }
}
