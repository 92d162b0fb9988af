//! `cgroup`: a control group's parameters through libcgroup's `cgget`, as InSpec's
//! resources/cgroup.rb: `its('memory.limit_in_bytes')` walks the dotted name one method at a
//! time, each step checked against the parameters `cgget -n -a GROUP` lists.

use std::sync::Arc;

use crate::native::resources::os::skip_unless_platform;
use crate::native::resources::support::{first_program, need_str, run_argv, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

/// Any parameter name is a property (method_missing).
pub const METHODS: &[&str] = &["*"];

pub struct Cgroup {
    group: String,
    host: Arc<Host>,
    state: Lazy<State>,
}

struct State {
    cgget: &'static str,
    /// Every parameter `cgget -a` lists, split at its dots.
    valid: Vec<Vec<String>>,
}

/// The parameter names of `cgget -n -a` output: each unindented line up to its colon
/// (indented lines continue a multi-line value).
pub fn parse_parameter_names(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| !l.starts_with(char::is_whitespace))
        .map(|l| l.split(':').next().unwrap_or("").to_string())
        .filter(|q| !q.is_empty())
        .collect()
}

/// cgroup.rb's reading of `cgget -n -r PARAM GROUP`: the text after the first colon, tabs
/// of continuation lines removed; an integer when a line of it is all digits.
pub fn parse_value(stdout: &str) -> Value {
    let mut parts = stdout.split(':');
    let (Some(_), Some(v)) = (parts.next(), parts.next()) else {
        return Value::Nil;
    };
    let v: String = v.trim().split('\t').collect();
    let digits = regex::Regex::new(r"(?m)^\d+$").expect("static regex");
    if digits.is_match(&v) {
        Value::Int(crate::native::resources::support::ruby_to_i(&v))
    } else {
        Value::str(v)
    }
}

impl Cgroup {
    fn state(&self) -> Res<&State> {
        self.state.get(|| {
            skip_unless_platform(
                &self.host,
                &["linux"],
                "The `cgroup` resource is not supported on your OS yet.",
            )?;
            let cgget = cgget(&self.host)?;
            let out = run_argv(&self.host, &[cgget, "-n", "-a", &self.group])?;
            if out.exit_status != Some(0) {
                return Err(failed(&out.stderr));
            }
            Ok(State {
                cgget,
                valid: parse_parameter_names(&out.stdout)
                    .iter()
                    .map(|q| q.split('.').map(str::to_string).collect())
                    .collect(),
            })
        })
    }

    /// One step of the dotted walk: the value when `path` names a parameter, the partial
    /// query when it starts one, else InSpec's failure.
    fn step(self: &Arc<Self>, path: Vec<String>) -> Res<Value> {
        let state = self.state()?;
        let depth = path.len() - 1;
        let last = &path[depth];
        let query = path.join(".");
        if !state.valid.iter().any(|v| v.get(depth) == Some(last)) {
            return Err(ResourceError::Failed(format!(
                "The query {query} does not appear to be valid."
            )));
        }
        if !state.valid.iter().any(|v| v.join(".") == query) {
            return Ok(Value::Resource(Arc::new(Partial {
                group: self.clone(),
                path,
            })));
        }
        let out = run_argv(&self.host, &[state.cgget, "-n", "-r", &query, &self.group])?;
        if out.exit_status != Some(0) {
            return Err(failed(&out.stderr));
        }
        Ok(parse_value(&out.stdout))
    }
}

fn cgget(host: &Host) -> Res<&'static str> {
    first_program(
        host,
        &["/usr/sbin/cgget", "/sbin/cgget", "cgget"],
        "Could not find `cgget`",
    )
}

fn failed(stderr: &str) -> ResourceError {
    ResourceError::Failed(format!("Executing cgget failed: {stderr}"))
}

/// The resource and the table of its walks: `Arc<Cgroup>` so a partial query can go on.
pub struct CgroupResource(Arc<Cgroup>);

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    let group = need_str("cgroup", args, 0, "a cgroup name")?;
    Ok(Arc::new(CgroupResource(Arc::new(Cgroup {
        group,
        host: host.clone(),
        state: Lazy::default(),
    }))))
}

impl Resource for CgroupResource {
    fn name(&self) -> &str {
        "cgroup"
    }

    fn to_s(&self) -> String {
        format!("cgroup {}", self.0.group)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        self.0.step(vec![method.to_string()])
    }
}

/// A query begun (`cpuset` of `cpuset.cpus`): the next name completes or extends it.
struct Partial {
    group: Arc<Cgroup>,
    path: Vec<String>,
}

impl Resource for Partial {
    fn name(&self) -> &str {
        "cgroup"
    }

    fn to_s(&self) -> String {
        format!("cgroup {}", self.group.group)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        let mut path = self.path.clone();
        path.push(method.to_string());
        self.group.step(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgget_output_reads_as_inspec_reads_it() {
        let all = "cpuset.cpus: 0-1\nmemory.limit_in_bytes: 499712\nmemory.numa_stat: total=0 N0=0\n\tfile=0 N0=0\n";
        assert_eq!(
            parse_parameter_names(all),
            ["cpuset.cpus", "memory.limit_in_bytes", "memory.numa_stat"]
        );
        assert_eq!(
            parse_value("memory.limit_in_bytes: 499712\n"),
            Value::Int(499712)
        );
        assert_eq!(parse_value("cpuset.cpus: 0-1\n"), Value::str("0-1"));
        assert_eq!(
            parse_value("memory.numa_stat: total=0 N0=0\n\tfile=0 N0=0\n"),
            Value::str("total=0 N0=0\nfile=0 N0=0")
        );
        assert_eq!(parse_value(""), Value::Nil);
    }
}
