//! `file` and `directory`: what `stat` says of a path (following symlinks, as InSpec's
//! train does), its content, and InSpec's permission predicates.

use std::sync::Arc;

use sha2::Digest;

use crate::native::resources::support::{
    has_program, need_str, opt_str, read_text, run_argv, str_arg, unsupported, Lazy, Res,
};
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;
use crate::transport::{FileInfo, Host};

/// Every predicate (`…?` method) a `file` or `directory` resource answers in InSpec:
/// file.rb's own and delegated ones, Inspec::Resource's, and Object's. RSpec's `be_x`
/// on any other finds no `x?` (nor `xs?`) and fails "expected File P to respond to `x?`"
/// (BePredicate#validity_message), as `be_empty` on a directory does.
const INSPEC_PREDICATES: &[&str] = &[
    "exist?",
    "file?",
    "block_device?",
    "character_device?",
    "socket?",
    "directory?",
    "symlink?",
    "pipe?",
    "mode?",
    "owned_by?",
    "grouped_into?",
    "linked_to?",
    "immutable?",
    "version?",
    "inherited?",
    "readable?",
    "writable?",
    "executable?",
    "allowed?",
    "mounted?",
    "more_permissive_than?",
    "setuid?",
    "setgid?",
    "sticky?",
    "resource_skipped?",
    "resource_failed?",
    "nil?",
    "frozen?",
    "is_a?",
    "kind_of?",
    "instance_of?",
    "respond_to?",
    "eql?",
    "equal?",
    "instance_variable_defined?",
];

/// Whether InSpec's `file` (and `directory`) resource has no predicate `name` (a name
/// ending in `?`): RSpec then reports that it does not respond to it.
pub fn lacks_predicate(name: &str) -> bool {
    name.ends_with('?') && !INSPEC_PREDICATES.contains(&name)
}

pub const METHODS: &[&str] = &[
    "basename",
    "content_as_json",
    "content_as_yaml",
    "file_version",
    "immutable?",
    "md5sum",
    "mode?",
    "product_version",
    "selinux_label",
    "source",
    "source_path",
    "version?",
    "block_device?",
    "character_device?",
    "content",
    "directory?",
    "executable?",
    "exist?",
    "file?",
    "gid",
    "group",
    "grouped_into?",
    "link_path",
    "linked_to?",
    "mode",
    "more_permissive_than?",
    "mtime",
    "owned_by?",
    "owner",
    "path",
    "pipe?",
    "readable?",
    "setgid?",
    "setuid?",
    "sgid",
    "sha256sum",
    "shallow_link_path",
    "size",
    "socket?",
    "sticky",
    "sticky?",
    "suid",
    "symlink?",
    "type",
    "uid",
    "writable?",
];

/// Symlink hops followed before giving up (the kernel's own limit).
const MAX_LINKS: usize = 40;

pub struct File {
    /// `file` or `directory`.
    name: &'static str,
    path: String,
    host: Arc<Host>,
    facts: Lazy<Facts>,
}

struct Facts {
    /// lstat of the path itself.
    own: Option<FileInfo>,
    /// What the path resolves to (the same as `own` for anything but a symlink); None when
    /// missing or dangling.
    target: Option<FileInfo>,
    /// The resolved path of a symlink.
    resolved: Option<String>,
}

pub fn create(name: &'static str, args: &[Value], host: &Arc<Host>) -> Res<Arc<dyn Resource>> {
    // file.rb keeps whatever path it is given: `file(nil)` (a path read from a config that
    // is not there) is `File ` and exists not.
    let path = match args.first() {
        Some(Value::Nil) => String::new(),
        _ => need_str(name, args, 0, "a path")?,
    };
    Ok(Arc::new(File {
        name,
        path,
        host: host.clone(),
        facts: Lazy::default(),
    }))
}

impl File {
    fn facts(&self) -> Res<&Facts> {
        self.facts.get(|| {
            let own = if self.path.is_empty() {
                None
            } else {
                self.host.stat(&self.path)?
            };
            let mut target = own.clone();
            let mut resolved = None;
            let mut at = self.path.clone();
            for _ in 0..MAX_LINKS {
                let Some(info) = &target else { break };
                if info.kind != "symlink" {
                    break;
                }
                at = join_link(&at, info.link_path.as_deref().unwrap_or(""));
                target = self.host.stat(&at)?;
                resolved = Some(at.clone());
            }
            if target.as_ref().is_some_and(|t| t.kind == "symlink") {
                target = None; // a loop
            }
            Ok(Facts {
                own,
                target,
                resolved,
            })
        })
    }

    fn with<T>(&self, f: impl FnOnce(&FileInfo) -> T) -> Res<Option<T>> {
        Ok(self.facts()?.target.as_ref().map(f))
    }

    fn is_kind(&self, kind: &str) -> Res<Value> {
        Ok(Value::Bool(self.with(|i| i.kind == kind)?.unwrap_or(false)))
    }

    fn mode_bit(&self, bit: u32) -> Res<Value> {
        Ok(Value::Bool(
            self.with(|i| i.mode & bit != 0)?.unwrap_or(false),
        ))
    }

    /// InSpec's `readable?`/`writable?`/`executable?` (by = owner|group|other|all, or a
    /// user checked with `su` on the target, as InSpec does on Linux).
    fn permission(&self, flag: char, args: &[Value]) -> Res<Value> {
        let Some(info) = self.facts()?.target.clone() else {
            return Ok(Value::Bool(false));
        };
        let by = str_arg(args, 0).filter(|s| !s.is_empty());
        let user = str_arg(args, 1).filter(|s| !s.is_empty());
        if let Some(user) = user {
            let test = format!(
                "test -{flag} {}",
                crate::transport::openssh::quote(&self.path)
            );
            let out = run_argv(&self.host, &["su", "-s", "/bin/sh", "-c", &test, &user])?;
            return Ok(Value::Bool(out.exit_status == Some(0)));
        }
        let who = match by.as_deref() {
            None => 0o777,
            Some("owner" | "user") => 0o700,
            Some("group") => 0o070,
            Some("other" | "others") => 0o007,
            Some("all") => 0o777,
            Some(other) => {
                return Err(ResourceError::Failed(format!(
                    "Invalid usergroup/owner provided: {other}"
                )))
            }
        };
        let what = match flag {
            'r' => 0o444,
            'w' => 0o222,
            _ => 0o111,
        };
        Ok(Value::Bool(info.mode & who & what != 0))
    }

    fn more_permissive_than(&self, args: &[Value]) -> Res<Value> {
        let Some(info) = self.facts()?.target.clone() else {
            return Ok(Value::Nil);
        };
        let max =
            match args.first() {
                Some(Value::Str(s)) => s.clone(),
                Some(v) => {
                    return Err(ResourceError::Failed(format!(
                "You must provide the `maximum permission target` as a `String`, you provided: {}",
                v.class_name()
            )))
                }
                None => return Err(ResourceError::Failed(
                    "You must provide a value for the `maximum allowable permission` for the file."
                        .into(),
                )),
            };
        let max = parse_octal_mode(&max).ok_or_else(|| {
            ResourceError::Failed(
                "The value of the `maximum permission target` should be a valid file mode in \
                 4-digit octal format: for example, `0644` or `0777`"
                    .into(),
            )
        })?;
        Ok(Value::Bool((0o777 ^ max) & info.mode != 0))
    }
}

/// `0644`, `644`: the mode InSpec's `to_i(8)` reads (leading octal digits).
fn parse_octal_mode(s: &str) -> Option<u32> {
    let digits: String = s.trim().chars().take_while(|c| c.is_digit(8)).collect();
    if digits.len() < 3 {
        return None;
    }
    u32::from_str_radix(&digits, 8).ok()
}

/// Where a symlink at `at` with text `link` points (relative links from its directory;
/// `.` and `..` resolved lexically, as `realpath` would for real directories).
fn join_link(at: &str, link: &str) -> String {
    let base = if link.starts_with('/') {
        String::new()
    } else {
        at.rsplit_once('/').map_or("", |(dir, _)| dir).to_string()
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in base.split('/').chain(link.split('/')) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

impl Resource for File {
    fn name(&self) -> &str {
        self.name
    }

    fn to_s(&self) -> String {
        let label = if self.name == "directory" {
            "Directory"
        } else {
            "File"
        };
        format!("{label} {}", self.path)
    }

    fn lacks(&self, method: &str) -> bool {
        lacks_predicate(method)
    }

    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let int = |v: Option<i64>| v.map_or(Value::Nil, Value::Int);
        match method {
            "path" => Ok(Value::str(&self.path)),
            "basename" => Ok(Value::str(
                self.path.rsplit('/').next().unwrap_or(&self.path),
            )),
            "exist?" => Ok(Value::Bool(self.facts()?.target.is_some())),
            "file?" => self.is_kind("file"),
            "directory?" => self.is_kind("directory"),
            "pipe?" => self.is_kind("pipe"),
            "socket?" => self.is_kind("socket"),
            "character_device?" => self.is_kind("character_device"),
            "block_device?" => self.is_kind("block_device"),
            "symlink?" => Ok(Value::Bool(
                self.facts()?
                    .own
                    .as_ref()
                    .is_some_and(|i| i.kind == "symlink"),
            )),
            "type" => {
                let f = self.facts()?;
                Ok(match (&f.own, &f.target) {
                    (Some(o), _) if o.kind == "symlink" => Value::Sym("symlink".into()),
                    (_, Some(t)) => Value::Sym(t.kind.clone()),
                    _ => Value::Nil,
                })
            }
            "mode" => Ok(int(self.with(|i| i64::from(i.mode))?)),
            "uid" => Ok(int(self.with(|i| i64::from(i.uid))?)),
            "gid" => Ok(int(self.with(|i| i64::from(i.gid))?)),
            // train's local file answers `size` with Ruby's `File.size`, which raises on a
            // missing path (train file/local.rb); a remote one stats it: nil.
            "size" => match self.with(|i| i.size as i64)? {
                None if self.host.kind() == "local" => Err(ResourceError::Failed(format!(
                    "No such file or directory @ rb_file_s_size - {}",
                    self.path
                ))),
                size => Ok(int(size)),
            },
            "mtime" => Ok(int(self.with(|i| i.mtime)?)),
            "owner" => Ok(opt_str(
                self.with(|i| i.owner.clone())?.flatten().as_deref(),
            )),
            "group" => Ok(opt_str(
                self.with(|i| i.group.clone())?.flatten().as_deref(),
            )),
            "owned_by?" => {
                let want = need_str(self.name, args, 0, "a user name")?;
                Ok(Value::Bool(
                    self.with(|i| i.owner.as_deref() == Some(want.as_str()))?
                        .unwrap_or(false),
                ))
            }
            "grouped_into?" => {
                let want = need_str(self.name, args, 0, "a group name")?;
                Ok(Value::Bool(
                    self.with(|i| i.group.as_deref() == Some(want.as_str()))?
                        .unwrap_or(false),
                ))
            }
            "setuid?" | "suid" => self.mode_bit(0o4000),
            "setgid?" | "sgid" => self.mode_bit(0o2000),
            "sticky?" | "sticky" => self.mode_bit(0o1000),
            "readable?" => self.permission('r', args),
            "writable?" => self.permission('w', args),
            "executable?" => self.permission('x', args),
            "more_permissive_than?" => self.more_permissive_than(args),
            "link_path" => Ok(opt_str(self.facts()?.resolved.as_deref())),
            "shallow_link_path" => Ok(opt_str(
                self.facts()?
                    .own
                    .as_ref()
                    .and_then(|i| i.link_path.as_deref()),
            )),
            "linked_to?" => {
                let want = need_str(self.name, args, 0, "a path")?;
                Ok(Value::Bool(
                    self.facts()?.resolved.as_deref() == Some(want.as_str()),
                ))
            }
            "content" => {
                let f = self.facts()?;
                if f.target.as_ref().is_none_or(|t| t.kind == "directory") {
                    return Ok(Value::Nil);
                }
                Ok(opt_str(read_text(&self.host, &self.path)?.as_deref()))
            }
            "sha256sum" | "md5sum" => {
                if self
                    .facts()?
                    .target
                    .as_ref()
                    .is_none_or(|t| t.kind != "file")
                {
                    return Ok(Value::Nil);
                }
                let hex =
                    |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
                Ok(match self.host.read_file(&self.path)? {
                    Some(data) if method == "md5sum" => {
                        Value::Str(hex(&<md5::Md5 as md5::Digest>::digest(data.as_slice())))
                    }
                    Some(data) => Value::Str(hex(&sha2::Sha256::digest(data.as_slice()))),
                    None => Value::Nil,
                })
            }
            // train's `mode?`: the mode equals the given one.
            "mode?" => Ok(Value::Bool(
                self.with(|i| i64::from(i.mode))?.map(Value::Int).as_ref() == args.first(),
            )),
            "source" | "source_path" => Ok(Value::str(&self.path)),
            // Windows' file metadata: none on Unix (train), so `version?` is false.
            "product_version" | "file_version" => Ok(Value::Nil),
            "version?" => Ok(Value::Bool(args.first().is_none_or(|v| *v == Value::Nil))),
            // train's stat `%C`: the SELinux context, nil where there is none.
            "selinux_label" => {
                if self.facts()?.target.is_none() {
                    return Ok(Value::Nil);
                }
                let out = run_argv(&self.host, &["stat", "-L", "-c", "%C", &self.path])?;
                let label = out.stdout.trim();
                Ok(
                    if out.exit_status != Some(0) || label.is_empty() || label == "?" {
                        Value::Nil
                    } else {
                        Value::str(label)
                    },
                )
            }
            // file.rb LinuxImmutableFlagCheck: lsattr's fifth flag.
            "immutable?" => {
                let Some(lsattr) = [
                    "/usr/sbin/lsattr",
                    "/sbin/lsattr",
                    "/usr/bin/lsattr",
                    "/bin/lsattr",
                ]
                .into_iter()
                .map(|p| has_program(&self.host, p).map(|ok| ok.then_some(p)))
                .find_map(|r| r.transpose())
                .transpose()?
                else {
                    return Err(ResourceError::Failed("Could not find `lsattr`".into()));
                };
                let out = run_argv(&self.host, &[lsattr, &self.path])?;
                if out.exit_status != Some(0) {
                    return Err(ResourceError::Failed(format!(
                        "Executing {lsattr} {} failed: {}",
                        self.path, out.stderr
                    )));
                }
                let flags = out.stdout.trim().split(' ').next().unwrap_or("");
                Ok(Value::Bool(
                    flags.chars().count() == 20 && flags.chars().nth(4) == Some('i'),
                ))
            }
            "content_as_json" | "content_as_yaml" => {
                let Some(text) = read_text(&self.host, &self.path)? else {
                    return Ok(Value::Nil);
                };
                if method == "content_as_json" {
                    serde_json::from_str(&text)
                        .map(|j| crate::native::resources::config_file::from_json(&j))
                        .map_err(|e| ResourceError::Failed(format!("Unable to parse JSON: {e}")))
                } else {
                    serde_yaml_ng::from_str(&text)
                        .map(|y| crate::native::resources::config_file::from_yaml(&y))
                        .map_err(|e| ResourceError::Failed(format!("Unable to parse YAML: {e}")))
                }
            }
            _ => Err(unsupported(self.name, method)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::test_host as host;
    use std::os::unix::fs::PermissionsExt;

    fn file(host: &Arc<Host>, path: &str) -> Arc<dyn Resource> {
        create("file", &[Value::str(path)], host).unwrap()
    }

    fn call(r: &Arc<dyn Resource>, m: &str, args: &[Value]) -> Value {
        r.call(m, args).unwrap()
    }

    #[test]
    fn a_nil_path_is_a_file_that_does_not_exist() {
        let r = create("file", &[Value::Nil], &host()).unwrap();
        assert_eq!(r.to_s(), "File ");
        assert_eq!(call(&r, "exist?", &[]), Value::Bool(false));
        assert_eq!(call(&r, "file?", &[]), Value::Bool(false));
        assert_eq!(
            call(&r, "owned_by?", &[Value::str("root")]),
            Value::Bool(false)
        );
    }

    #[test]
    fn real_files_answer_like_inspec() {
        let dir = std::env::temp_dir().join(format!("airs-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let f = dir.join("sub/conf");
        std::fs::write(&f, "key = value\n").unwrap();
        std::os::unix::fs::chown(&f, Some(1), Some(1)).unwrap(); // daemon:daemon
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o4640)).unwrap();
        std::os::unix::fs::symlink("sub/../sub/conf", dir.join("link")).unwrap();
        std::os::unix::fs::symlink("/nonexistent", dir.join("dangling")).unwrap();
        let sticky = dir.join("tmp");
        std::fs::create_dir(&sticky).unwrap();
        std::fs::set_permissions(&sticky, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let h = host();
        let p = |s: &str| dir.join(s).to_str().unwrap().to_string();

        let r = file(&h, &p("sub/conf"));
        assert_eq!(r.to_s(), format!("File {}", p("sub/conf")));
        assert_eq!(call(&r, "exist?", &[]), Value::Bool(true));
        assert_eq!(call(&r, "file?", &[]), Value::Bool(true));
        assert_eq!(call(&r, "directory?", &[]), Value::Bool(false));
        assert_eq!(call(&r, "mode", &[]), Value::Int(0o4640));
        assert_eq!(call(&r, "owner", &[]), Value::str("daemon"));
        assert_eq!(call(&r, "group", &[]), Value::str("daemon"));
        assert_eq!(call(&r, "uid", &[]), Value::Int(1));
        assert_eq!(call(&r, "size", &[]), Value::Int(12));
        assert_eq!(call(&r, "content", &[]), Value::str("key = value\n"));
        assert_eq!(call(&r, "type", &[]), Value::Sym("file".into()));
        assert_eq!(call(&r, "setuid?", &[]), Value::Bool(true));
        assert_eq!(call(&r, "setgid?", &[]), Value::Bool(false));
        assert_eq!(
            call(&r, "owned_by?", &[Value::str("daemon")]),
            Value::Bool(true)
        );
        assert_eq!(
            call(&r, "owned_by?", &[Value::str("root")]),
            Value::Bool(false)
        );
        assert_eq!(
            call(&r, "grouped_into?", &[Value::str("daemon")]),
            Value::Bool(true)
        );
        let by = |who: &str| [Value::str(who), Value::Nil];
        assert_eq!(call(&r, "readable?", &by("owner")), Value::Bool(true));
        assert_eq!(call(&r, "readable?", &by("group")), Value::Bool(true));
        assert_eq!(call(&r, "readable?", &by("other")), Value::Bool(false));
        assert_eq!(call(&r, "writable?", &by("group")), Value::Bool(false));
        assert_eq!(call(&r, "writable?", &[]), Value::Bool(true));
        assert_eq!(call(&r, "executable?", &[]), Value::Bool(false));
        // by_user runs `su` as that user: daemon owns the file, nobody is "other".
        let user = |u: &str| [Value::Nil, Value::str(u)];
        assert_eq!(call(&r, "readable?", &user("daemon")), Value::Bool(true));
        assert_eq!(call(&r, "readable?", &user("nobody")), Value::Bool(false));
        assert_eq!(
            call(&r, "more_permissive_than?", &[Value::str("0644")]),
            Value::Bool(false)
        );
        assert_eq!(
            call(&r, "more_permissive_than?", &[Value::str("0600")]),
            Value::Bool(true)
        );
        assert!(r.call("more_permissive_than?", &[Value::Int(644)]).is_err());
        assert!(matches!(
            r.call("nope", &[]),
            Err(ResourceError::Unsupported { .. })
        ));

        let l = file(&h, &p("link"));
        assert_eq!(call(&l, "symlink?", &[]), Value::Bool(true));
        assert_eq!(call(&l, "file?", &[]), Value::Bool(true));
        assert_eq!(call(&l, "type", &[]), Value::Sym("symlink".into()));
        assert_eq!(
            call(&l, "mode", &[]),
            Value::Int(0o4640),
            "the target's mode"
        );
        assert_eq!(call(&l, "link_path", &[]), Value::str(p("sub/conf")));
        assert_eq!(
            call(&l, "shallow_link_path", &[]),
            Value::str("sub/../sub/conf")
        );
        assert_eq!(call(&l, "content", &[]), Value::str("key = value\n"));
        let d = file(&h, &p("dangling"));
        assert_eq!(call(&d, "exist?", &[]), Value::Bool(false));
        assert_eq!(call(&d, "symlink?", &[]), Value::Bool(true));

        let t = create("directory", &[Value::str(p("tmp"))], &h).unwrap();
        assert_eq!(t.to_s(), format!("Directory {}", p("tmp")));
        assert_eq!(call(&t, "directory?", &[]), Value::Bool(true));
        assert_eq!(call(&t, "sticky?", &[]), Value::Bool(true));
        assert_eq!(call(&t, "content", &[]), Value::Nil);

        let m = file(&h, &p("missing"));
        assert_eq!(call(&m, "exist?", &[]), Value::Bool(false));
        for prop in ["mode", "owner", "content", "type", "link_path"] {
            assert_eq!(call(&m, prop, &[]), Value::Nil, "{prop}");
        }
        // On local://, train's `File.size` raises for a missing path.
        assert_eq!(
            m.call("size", &[]),
            Err(ResourceError::Failed(format!(
                "No such file or directory @ rb_file_s_size - {}",
                p("missing")
            )))
        );
        assert_eq!(call(&m, "readable?", &[]), Value::Bool(false));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn links_join_like_realpath() {
        assert_eq!(
            join_link("/etc/localtime", "/usr/share/zoneinfo/UTC"),
            "/usr/share/zoneinfo/UTC"
        );
        assert_eq!(join_link("/a/b/c", "../d"), "/a/d");
        assert_eq!(join_link("/a/b", "./c/./d"), "/a/c/d");
        assert_eq!(parse_octal_mode("0644"), Some(0o644));
        assert_eq!(parse_octal_mode("755"), Some(0o755));
        assert_eq!(parse_octal_mode("9"), None);
    }
}
