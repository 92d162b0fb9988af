//! `mount` (from /proc/mounts, what `mount` prints) and `etc_fstab` (a FilterTable).

use std::sync::Arc;

use crate::native::resources::file_reader::read_file_content;
use crate::native::resources::support::{
    need_str, read_text, str_arg, table, table_call, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, TablePredicate, Value};
use crate::transport::Host;

/// `\040`-style escapes of /proc/mounts and fstab fields (spaces, tabs in paths).
pub fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b.get(i + 1..i + 4);
        if b[i] == b'\\' && oct.is_some_and(|o| o.iter().all(|c| (b'0'..=b'7').contains(c))) {
            let v = oct.map_or(0u32, |o| {
                o.iter().fold(0, |n, c| n * 8 + u32::from(c - b'0'))
            });
            if let Ok(v) = u8::try_from(v) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One line of /proc/mounts: device, mount point, type, options.
pub type MountEntry = (String, String, String, Vec<String>);

pub fn parse_mounts(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((
                unescape(f.next()?),
                unescape(f.next()?),
                f.next()?.to_string(),
                f.next()?.split(',').map(str::to_string).collect(),
            ))
        })
        .collect()
}

pub const MOUNT_METHODS: &[&str] = &["count", "device", "file", "mounted?", "options", "type"];

pub struct Mount {
    path: String,
    host: Arc<Host>,
    entries: Lazy<Vec<MountEntry>>,
}

pub fn create_mount(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(Mount {
        path: need_str("mount", args, 0, "a mount point")?,
        host: host.clone(),
        entries: Lazy::default(),
    }))
}

impl Resource for Mount {
    fn name(&self) -> &str {
        "mount"
    }

    fn to_s(&self) -> String {
        format!("Mount {}", self.path)
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        if method == "file" {
            return Ok(Value::Resource(Arc::new(MountedFile {
                path: self.path.clone(),
                host: self.host.clone(),
            })));
        }
        let entries = self.entries.get(|| {
            let text = read_text(&self.host, "/proc/mounts")?.ok_or_else(|| {
                ResourceError::Skip("/proc/mounts cannot be read on this target".into())
            })?;
            // A trailing slash names the same mount point.
            let want = if self.path.len() > 1 {
                self.path.trim_end_matches('/')
            } else {
                self.path.as_str()
            };
            Ok(parse_mounts(&text)
                .into_iter()
                .filter(|m| m.1 == want)
                .collect())
        })?;
        // The last mount on a path is the one in effect (and what InSpec reports).
        let last = entries.last();
        match method {
            "mounted?" => Ok(Value::Bool(last.is_some())),
            "count" => Ok(Value::Int(entries.len() as i64)),
            "device" => Ok(last.map_or(Value::Nil, |m| Value::str(&m.0))),
            "type" => Ok(last.map_or(Value::Nil, |m| Value::str(&m.2))),
            "options" => Ok(last.map_or(Value::Nil, |m| {
                Value::Array(m.3.iter().map(Value::str).collect())
            })),
            _ => Err(unsupported("mount", method)),
        }
    }
}

/// mount.rb's `file`: train's file object of the mount point, whose `mounted` is the
/// output of `mount | grep -- ' on PATH '` (train file/remote/unix.rb) and `mounted?`
/// whether that printed anything (train file.rb).
struct MountedFile {
    path: String,
    host: Arc<Host>,
}

impl MountedFile {
    fn mounted(&self) -> Res<Arc<dyn Resource>> {
        // train interpolates the path between single quotes; a quote in it is escaped here.
        let quoted = self.path.replace('\'', "'\\''");
        let cmd = format!("mount | grep -- ' on {quoted} '");
        crate::native::resources::command::create("command", &[Value::str(cmd)], &self.host)
    }
}

impl Resource for MountedFile {
    fn name(&self) -> &str {
        "mount"
    }

    fn to_s(&self) -> String {
        self.path.clone()
    }

    fn call(&self, method: &str, _args: &[Value]) -> Result<Value, ResourceError> {
        match method {
            "path" => Ok(Value::str(&self.path)),
            "mounted" => Ok(Value::Resource(self.mounted()?)),
            "mounted?" => {
                let out = self.mounted()?.call("stdout", &[])?;
                Ok(Value::Bool(
                    !crate::native::ruby::methods::to_s(&out).is_empty(),
                ))
            }
            _ => Err(unsupported("mount", &format!("file.{method}"))),
        }
    }
}

pub const FSTAB_METHODS: &[&str] = &[
    "configured?",
    "count",
    "device_name",
    "dump_options",
    "entries",
    "exist?",
    "exists?",
    "file_system_options",
    "file_system_type",
    "home_mount_options",
    "mount_options",
    "mount_point",
    "nfs_file_systems",
    "params",
    "raw_data",
    "where",
];

const FSTAB_FIELDS: &[&str] = &[
    "device_name",
    "mount_point",
    "file_system_type",
    "mount_options",
    "dump_options",
    "file_system_options",
];

/// fstab rows as InSpec's `etc_fstab` reads them (options split on commas, the two numbers
/// as Integers).
pub fn fstab_rows(text: &str) -> Vec<Vec<Value>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let text = |i: usize| f.get(i).map_or(Value::Nil, |s| Value::Str(unescape(s)));
            // Ruby's `to_i`: the leading digits, 0 without (a missing field too).
            let num = |i: usize| {
                let s = f.get(i).copied().unwrap_or("");
                let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
                Value::Int(digits.parse::<i64>().unwrap_or(0))
            };
            vec![
                text(0),
                text(1),
                text(2),
                f.get(3).map_or(Value::Nil, |o| {
                    Value::Array(o.split(',').map(Value::str).collect())
                }),
                num(4),
                num(5),
            ]
        })
        .collect()
}

pub struct EtcFstab {
    path: String,
    host: Arc<Host>,
    rows: Lazy<Arc<Table>>,
}

pub fn create_fstab(args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    Ok(Arc::new(EtcFstab {
        path: str_arg(args, 0).unwrap_or_else(|| "/etc/fstab".into()),
        host: host.clone(),
        rows: Lazy::default(),
    }))
}

impl EtcFstab {
    /// etc_fstab.rb reads the file in `initialize` (`read_file_content(path)`).
    fn table(&self) -> Res<&Arc<Table>> {
        self.rows.get(|| {
            Ok(fstab_table(fstab_rows(&read_file_content(
                &self.host, &self.path, false,
            )?)))
        })
    }
}

fn fstab_table(rows: Vec<Vec<Value>>) -> Arc<Table> {
    let accessors: Vec<(&str, &str)> = FSTAB_FIELDS.iter().map(|f| (*f, *f)).collect();
    let mut t = table(
        "File System Table File (fstab)",
        FSTAB_FIELDS,
        &accessors,
        rows,
    );
    if let Some(t) = Arc::get_mut(&mut t) {
        t.predicates = vec![("configured?".into(), TablePredicate::NotEmpty)];
    }
    t
}

impl Resource for EtcFstab {
    fn name(&self) -> &str {
        "etc_fstab"
    }

    fn to_s(&self) -> String {
        "File System Table File (fstab)".into()
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let t = self.table()?;
        match method {
            "configured?" => Ok(Value::Bool(!t.rows.is_empty())),
            "params" => table_call("etc_fstab", t, "raw_data", &[]),
            "nfs_file_systems" => Ok(Value::Table(Arc::new(Table {
                name: format!("{} with file_system_type == \"nfs\"", t.name),
                rows: t
                    .rows
                    .iter()
                    .filter(|r| matches!(r.get(2), Some(Value::Str(s)) if s.starts_with("nfs")))
                    .cloned()
                    .collect(),
                ..(**t).clone()
            }))),
            "home_mount_options" => Ok(t
                .rows
                .iter()
                .find(|r| r.get(1) == Some(&Value::str("/home")))
                .and_then(|r| r.get(3).cloned())
                .unwrap_or(Value::Nil)),
            _ => table_call("etc_fstab", t, method, args),
        }
    }

    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(Some(self.table()?.clone()))
    }

    fn load_skip(&self) -> Option<String> {
        crate::native::resources::support::skip_of(self.table())
    }

    fn empty_table(&self) -> Option<Arc<Table>> {
        Some(fstab_table(Vec::new()))
    }

    /// Skipped, etc_fstab.rb's `@params` is nil: `params` nil, and `home_mount_options`
    /// nil (no /home row is configured).
    fn skipped_answer(&self, method: &str, _args: &[Value]) -> Option<Value> {
        self.load_skip()?;
        matches!(method, "params" | "home_mount_options").then_some(Value::Nil)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::test_host as host;

    #[test]
    fn proc_mounts_and_fstab_parse() {
        let m = parse_mounts("tmpfs /my\\040dir tmpfs rw,nosuid 0 0\nbad\n");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].1, "/my dir");
        assert_eq!(m[0].3, ["rw", "nosuid"]);
        let rows = fstab_rows("# c\nUUID=x / ext4 errors=remount-ro 0 1\n\n/dev/sdb1 /home xfs defaults,nodev\nnfs:/e /mnt nfs4 ro 0 0\n");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][4], Value::Int(0));
        assert_eq!(rows[1][4], Value::Int(0));
        assert_eq!(
            rows[1][3],
            Value::Array(vec![Value::str("defaults"), Value::str("nodev")])
        );
        for junk in ["", "\\", "\\0", "\\777 x", "a\\04"] {
            let _ = (parse_mounts(junk), fstab_rows(junk), unescape(junk));
        }
    }

    #[test]
    fn file_is_trains_file_with_the_mount_commands_line() {
        // mount.rb `attr_reader :file`; train asks `mount | grep -- ' on PATH '`.
        let r = crate::native::testing::run_on(
            host(),
            r#"
line = mount('/proc').file.mounted.stdout
control 'f' do
  describe line do
    it { should match %r{^proc on /proc type proc \(} }
  end
  describe mount('/proc').file do
    it { should be_mounted }
  end
  describe mount("/no/such/mount'point").file do
    it { should_not be_mounted }
  end
end
"#,
        );
        assert_eq!(r[0].status, crate::job::ControlStatus::Passed, "{r:#?}");
        assert_eq!(r[0].results.len(), 3);
    }

    #[test]
    fn real_mounts_and_fstab() {
        let h = host();
        let text = std::fs::read_to_string("/proc/mounts").unwrap();
        let (dev, _, fstype, opts) = parse_mounts(&text)
            .into_iter()
            .rfind(|m| m.1 == "/")
            .unwrap();
        let root = create_mount(&[Value::str("/")], &h).unwrap();
        assert_eq!(root.call("mounted?", &[]).unwrap(), Value::Bool(true));
        assert_eq!(root.call("device", &[]).unwrap(), Value::str(dev));
        assert_eq!(root.call("type", &[]).unwrap(), Value::str(fstype));
        assert_eq!(
            root.call("options", &[]).unwrap(),
            Value::Array(opts.iter().map(Value::str).collect())
        );
        assert_eq!(root.to_s(), "Mount /");
        let none = create_mount(&[Value::str("/airs/not/mounted")], &h).unwrap();
        assert_eq!(none.call("mounted?", &[]).unwrap(), Value::Bool(false));
        assert_eq!(none.call("options", &[]).unwrap(), Value::Nil);

        let dir = std::env::temp_dir().join(format!("airs-fstab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("fstab");
        std::fs::write(
            &p,
            "/dev/sda1 / ext4 defaults 0 1\ntmpfs /tmp tmpfs nodev,nosuid,noexec 0 0\n",
        )
        .unwrap();
        let f = create_fstab(&[Value::str(p.to_str().unwrap())], &h).unwrap();
        let tmp = f
            .call(
                "where",
                &[Value::Hash(vec![(
                    Value::Sym("mount_point".into()),
                    Value::str("/tmp"),
                )])],
            )
            .unwrap();
        let Value::Table(tmp) = tmp else { panic!() };
        assert_eq!(
            tmp.column("mount_options").unwrap(),
            vec![Value::Array(vec![
                Value::str("nodev"),
                Value::str("nosuid"),
                Value::str("noexec")
            ])]
        );
        assert_eq!(f.call("configured?", &[]).unwrap(), Value::Bool(true));
        assert_eq!(
            f.call("file_system_options", &[]).unwrap(),
            Value::Array(vec![Value::Int(1), Value::Int(0)])
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
