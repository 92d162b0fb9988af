//! `filesystem(PARTITION)` on Unix (filesystem.rb): size, free space and type from the
//! second line of `df PARTITION -PT`.

use std::sync::Arc;

use crate::native::resources::support::{need_str, ruby_to_i, run_argv, unsupported, Lazy, Res};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::Host;

pub const METHODS: &[&str] = &[
    "free_kb",
    "info",
    "name",
    "partition",
    "percent_free",
    "size",
    "size_kb",
    "type",
];

pub struct FileSystem {
    partition: String,
    host: Arc<Host>,
    info: Lazy<Info>,
}

/// What `df -PT` says of the partition.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    pub size_kb: i64,
    pub free_kb: i64,
    pub fs_type: String,
}

pub fn create(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(FileSystem {
        partition: need_str("filesystem", args, 0, "a partition")?,
        host: host.clone(),
        info: Lazy::default(),
    }))
}

/// The second line of `df -PT`, split on blanks: type, 1024-blocks, used, available.
/// None: no second line (InSpec's `nil.strip` fails the resource).
pub fn parse_df(stdout: &str) -> Option<Info> {
    let line = stdout.lines().nth(1)?;
    let v: Vec<&str> = line.split_whitespace().collect();
    Some(Info {
        size_kb: ruby_to_i(v.get(2).copied().unwrap_or("")),
        free_kb: ruby_to_i(v.get(4).copied().unwrap_or("")),
        fs_type: v.get(1).copied().unwrap_or("").to_string(),
    })
}

impl FileSystem {
    fn info(&self) -> Res<&Info> {
        self.info.get(|| {
            let out = run_argv(&self.host, &["df", &self.partition, "-PT"])?;
            let unable = || {
                ResourceError::Failed(format!(
                    "Unable to get available space for partition {}",
                    self.partition
                ))
            };
            if out.stdout.is_empty() || out.exit_status != Some(0) {
                return Err(unable());
            }
            parse_df(&out.stdout).ok_or_else(|| {
                ResourceError::Failed("undefined method `strip' for nil:NilClass".into())
            })
        })
    }
}

impl Resource for FileSystem {
    fn name(&self) -> &str {
        "filesystem"
    }

    fn to_s(&self) -> String {
        format!("FileSystem {}", self.partition)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "partition" | "name" => Ok(Value::str(&self.partition)),
            // `size` is the deprecated `size_kb` on Unix.
            "size_kb" | "size" => Ok(Value::Int(self.info()?.size_kb)),
            "free_kb" => Ok(Value::Int(self.info()?.free_kb)),
            "type" => Ok(Value::str(&self.info()?.fs_type)),
            "percent_free" => {
                let i = self.info()?;
                if i.size_kb == 0 {
                    return Err(ResourceError::Failed("divided by 0".into()));
                }
                Ok(Value::Int((100 * i.free_kb).div_euclid(i.size_kb)))
            }
            "info" => {
                let i = self.info()?;
                Ok(Value::Hash(vec![
                    (Value::Sym("name".into()), Value::str(&self.partition)),
                    (Value::Sym("size_kb".into()), Value::Int(i.size_kb)),
                    (Value::Sym("free_kb".into()), Value::Int(i.free_kb)),
                    (Value::Sym("type".into()), Value::str(&i.fs_type)),
                ]))
            }
            _ => Err(unsupported("filesystem", method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::test_host as host;

    #[test]
    fn df_lines_give_size_free_and_type() {
        let out = "Filesystem     Type 1024-blocks    Used Available Capacity Mounted on\n\
                   /dev/vda1      ext4    20466256 2052240  17349208      11% /\n";
        assert_eq!(
            parse_df(out),
            Some(Info {
                size_kb: 20466256,
                free_kb: 17349208,
                fs_type: "ext4".into()
            })
        );
        assert_eq!(parse_df("Filesystem Type\n"), None);
    }

    /// This machine's root, against what its own `df` prints.
    #[test]
    fn root_filesystem_here() {
        let h = host();
        let fs = create(&[Value::str("/")], &h).unwrap();
        let df = std::process::Command::new("df")
            .args(["/", "-PT"])
            .output()
            .unwrap();
        let want = parse_df(&String::from_utf8_lossy(&df.stdout)).unwrap();
        assert_eq!(fs.call("type", &[]).unwrap(), Value::str(&want.fs_type));
        assert!(matches!(fs.call("size_kb", &[]).unwrap(), Value::Int(n) if n > 0));
        assert!(matches!(
            fs.call("percent_free", &[]).unwrap(),
            Value::Int(0..=100)
        ));
        let missing = create(&[Value::str("/no/such/partition")], &h).unwrap();
        assert_eq!(
            missing.call("size_kb", &[]).unwrap_err().to_string(),
            "Unable to get available space for partition /no/such/partition"
        );
    }
}
