//! `zfs_pool`, `zfs` and `zfs_dataset`: a ZFS pool's or dataset's properties from
//! `zpool get -Hp all` / `zfs get -Hp all`, as InSpec's resources/zfs_pool.rb, zfs.rb and
//! zfs_dataset.rb read them (tab-separated `NAME PROPERTY VALUE SOURCE` lines; any property
//! name is a method).

use std::sync::Arc;

use crate::native::resources::mount::create_mount;
use crate::native::resources::os::skip_unless_platform;
use crate::native::resources::support::{need_str, run_argv, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::methods::to_s;
use crate::native::ruby::value::Value;
use crate::transport::Host;

/// Any property name is a method too (method_missing).
pub const POOL_METHODS: &[&str] = &["exist?", "exists?", "*"];
pub const ZFS_METHODS: &[&str] = &["exist?", "exists?", "has_property?", "*"];
pub const DATASET_METHODS: &[&str] = &["exist?", "exists?", "mounted?", "*"];

pub struct Zfs {
    /// `zfs_pool`, `zfs` or `zfs_dataset`.
    resource: &'static str,
    target: String,
    host: Arc<Host>,
    state: Lazy<State>,
}

struct State {
    /// The zpool / zfs program found (`which`), run again by `exist?`.
    program: String,
    /// None: `get` failed (InSpec's nil params).
    params: Option<Vec<(String, String)>>,
}

pub fn create(resource: &'static str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Zfs {
        resource,
        target: need_str(resource, args, 0, "a pool or dataset name")?,
        host: host.clone(),
        state: Lazy::default(),
    }))
}

/// `get -Hp all` lines: property (second field) → value (third), as text.
pub fn parse_get(stdout: &str) -> Vec<(String, String)> {
    stdout
        .trim_end_matches('\n')
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            f.next();
            let k = f.next().unwrap_or("").to_string();
            let v = f.next().unwrap_or("").to_string();
            (k, v)
        })
        .collect()
}

impl Zfs {
    fn state(&self) -> Res<&State> {
        self.state.get(|| {
            let what = if self.resource == "zfs_dataset" {
                "zfs_dataset"
            } else {
                "zfs_pool"
            };
            skip_unless_platform(
                &self.host,
                &["bsd", "linux"],
                &format!("The `{what}` resource is not supported on your OS yet."),
            )?;
            let tool = if self.resource == "zfs_dataset" {
                "zfs"
            } else {
                "zpool"
            };
            let found = run_argv(&self.host, &["which", tool])?;
            if found.exit_status != Some(0) {
                return Err(ResourceError::Skip("zfs is not installed".into()));
            }
            let program = found.stdout.trim().to_string();
            let out = self.get_all(&program)?;
            Ok(State {
                params: (out.exit_status == Some(0)).then(|| parse_get(&out.stdout)),
                program,
            })
        })
    }

    fn get_all(&self, program: &str) -> Res<crate::transport::CommandOutput> {
        run_argv(&self.host, &[program, "get", "-Hp", "all", &self.target])
    }

    fn exists(&self) -> Res<bool> {
        let program = self.state()?.program.clone();
        Ok(self.get_all(&program)?.exit_status == Some(0))
    }

    /// A property: its text; the pool's Hash.new(0) default (0) for one it lacks; nil
    /// (NoMethodError in InSpec) when nothing could be read.
    fn property(&self, name: &str) -> Res<Value> {
        match &self.state()?.params {
            None => Err(ResourceError::Failed(format!(
                "undefined method `[]' for nil (`{}` of {})",
                name,
                self.to_s()
            ))),
            Some(params) => Ok(params
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map_or(Value::Int(0), |(_, v)| Value::str(v))),
        }
    }

    /// zfs.rb's `properties_hash <= @params`: every pair given is a property with that
    /// exact value (zfs.rb's own conversions are discarded, so keys and values compare as
    /// given: only strings can match).
    fn has_property(&self, args: &[Value]) -> Res<bool> {
        let pairs = match args.first() {
            Some(Value::Hash(p)) if !p.is_empty() => p,
            _ => {
                return Err(ResourceError::Skip(
                    "Provide a valid key-value pair of the zfs properties.".into(),
                ))
            }
        };
        // `hash <= nil` raises in Ruby.
        let Some(params) = &self.state()?.params else {
            return Err(ResourceError::Failed(
                "no implicit conversion of nil into Hash".into(),
            ));
        };
        Ok(pairs.iter().all(|(k, v)| match (k, v) {
            (Value::Str(k), Value::Str(v)) => params
                .iter()
                .rev()
                .find(|(pk, _)| pk == k)
                .is_some_and(|(_, pv)| pv == v),
            _ => false,
        }))
    }
}

impl Resource for Zfs {
    fn name(&self) -> &str {
        self.resource
    }

    fn to_s(&self) -> String {
        match self.resource {
            "zfs" => format!("zfs {}", self.target),
            "zfs_dataset" => format!("ZFS Dataset {}", self.target),
            _ => format!("ZFS Pool {}", self.target),
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "exist?" | "exists?" => Ok(Value::Bool(self.exists()?)),
            "has_property?" if self.resource == "zfs" => Ok(Value::Bool(self.has_property(args)?)),
            "mounted?" if self.resource == "zfs_dataset" => {
                if !self.exists()? {
                    return Ok(Value::Bool(false));
                }
                let at = to_s(&self.property("mountpoint")?);
                create_mount(&[Value::str(at)], &self.host)?.call("mounted?", &[])
            }
            m if m.ends_with('?') || m.ends_with('=') || m.is_empty() => {
                Err(unsupported(self.resource, method))
            }
            _ => self.property(method),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_lines_are_name_property_value_source() {
        let p = parse_get("tank\tfailmode\twait\tdefault\ntank\tcapacity\t0\t-\n");
        assert_eq!(
            p,
            vec![
                ("failmode".to_string(), "wait".to_string()),
                ("capacity".to_string(), "0".to_string())
            ]
        );
        assert!(parse_get("").is_empty());
    }
}
