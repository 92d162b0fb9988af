//! Ruby's `File`, `Dir` and `Pathname` as profiles use them. Path arithmetic (`join`,
//! `basename`, `dirname`, `extname`, `expand_path`) is pure. Questions about the file system
//! go to the target through InSpec's `file` and `command` resources (the transport), never
//! to the machine running the profile unless the target is `local://` — in InSpec a bare
//! `File.exist?` reads the runner's disk, the classic mistake its docs warn about; here it
//! reads the target, which is what a profile means.

use crate::native::ruby::methods::to_s;
use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::Blk;
use crate::native::ruby::{Embedding, Flow, Interp, R};

/// `File.x` answered from the path alone.
pub const FILE_PURE: &[&str] = &[
    "join",
    "basename",
    "dirname",
    "extname",
    "expand_path",
    "absolute_path",
    "absolute_path?",
    "split",
];
/// `File.x` answered by the target's `file` resource (same-named property, or mapped).
pub const FILE_ON_TARGET: &[(&str, &str)] = &[
    ("exist?", "exist?"),
    ("exists?", "exist?"),
    ("file?", "file?"),
    ("directory?", "directory?"),
    ("symlink?", "symlink?"),
    ("size", "size"),
    ("size?", "size"),
    ("zero?", "size"),
    ("empty?", "size"),
    ("read", "content"),
    ("readlines", "content"),
    ("foreach", "content"),
    ("mtime", "mtime"),
];
/// `File.x?` answered by `test -r/-w/-x` on the target, as the connected user.
pub const FILE_ACCESS: &[(&str, &str)] = &[
    ("readable?", "-r"),
    ("writable?", "-w"),
    ("executable?", "-x"),
];
pub const DIR_METHODS: &[&str] = &["exist?", "exists?"];
pub const PATHNAME_CLASS_METHODS: &[&str] = &["new"];
pub const PATHNAME_METHODS: &[&str] = &[
    "to_s",
    "to_path",
    "basename",
    "dirname",
    "parent",
    "extname",
    "join",
    "+",
    "/",
    "absolute?",
    "relative?",
    "exist?",
    "file?",
    "directory?",
    "read",
    "==",
];

/// A `Pathname`.
pub struct Pathname(pub String);

impl NativeObject for Pathname {
    fn class_name(&self) -> Option<&'static str> {
        Some("Pathname")
    }
    fn equals(&self, other: &dyn NativeObject) -> bool {
        other
            .downcast_ref::<Pathname>()
            .is_some_and(|o| o.0 == self.0)
    }
    fn inspect(&self) -> Option<String> {
        Some(format!("#<Pathname:{}>", self.0))
    }
    fn to_s(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

/// Ruby's `File.join`: parts joined by one `/` (arrays flattened).
pub fn join(parts: &[Value]) -> String {
    let mut flat: Vec<String> = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Native(_) => match as_native::<Pathname>(v) {
                Some(p) => out.push(p.0.clone()),
                None => out.push(to_s(v)),
            },
            other => out.push(to_s(other)),
        }
    }
    parts.iter().for_each(|p| walk(p, &mut flat));
    let mut out = String::new();
    for (i, p) in flat.iter().enumerate() {
        if i == 0 {
            out.push_str(p);
            continue;
        }
        match (out.ends_with('/'), p.starts_with('/')) {
            (true, true) => out.push_str(&p[1..]),
            (false, false) => {
                out.push('/');
                out.push_str(p);
            }
            _ => out.push_str(p),
        }
    }
    out
}

/// Ruby's `File.basename(path, suffix)` (`".*"`: any extension).
pub fn basename(path: &str, suffix: Option<&str>) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "" } else { "/" }.to_string();
    }
    let base = trimmed.rsplit('/').next().unwrap_or(trimmed);
    match suffix {
        Some(".*") => match base.rfind('.') {
            Some(i) if i > 0 => base[..i].to_string(),
            _ => base.to_string(),
        },
        Some(s) if !s.is_empty() && base != s => base.strip_suffix(s).unwrap_or(base).to_string(),
        _ => base.to_string(),
    }
}

/// Ruby's `File.dirname`.
pub fn dirname(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.starts_with('/') { "/" } else { "." }.to_string();
    }
    match trimmed.rfind('/') {
        None => ".".to_string(),
        Some(i) => {
            let d = trimmed[..i].trim_end_matches('/');
            if d.is_empty() {
                "/".to_string()
            } else {
                d.to_string()
            }
        }
    }
}

/// Ruby's `File.extname` (`""` for dotfiles and names without a dot).
pub fn extname(path: &str) -> String {
    let base = basename(path, None);
    let name = base.trim_start_matches('.');
    match name.rfind('.') {
        Some(i) => name[i..].to_string(),
        None => String::new(),
    }
}

/// `.` and `..` resolved in an absolute path.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Ruby's `File.expand_path(path, dir)`. A relative path needs an absolute `dir`: the
/// working directory of the target is not known.
pub fn expand_path(path: &str, dir: Option<&str>) -> R<String> {
    if path.starts_with('/') {
        return Ok(normalize(path));
    }
    match dir {
        Some(d) if d.starts_with('/') => Ok(normalize(&format!("{d}/{path}"))),
        Some(d) if !d.starts_with('~') => expand_path(&format!("{d}/{path}"), None),
        _ => Err(Flow::Unsupported {
            construct: "`File.expand_path` of a relative path (the target's working directory)"
                .into(),
            at: String::new(),
        }),
    }
}

fn path_arg(args: &[Value]) -> R<String> {
    match args.first() {
        Some(Value::Str(s)) => Ok(s.clone()),
        Some(v) => match as_native::<Pathname>(v) {
            Some(p) => Ok(p.0.clone()),
            None => Err(Flow::raise(
                "TypeError",
                format!("no implicit conversion of {} into String", v.class_name()),
            )),
        },
        None => Err(Flow::raise("ArgumentError", "wrong number of arguments")),
    }
}

/// A property of the target's `file(path)` resource.
fn on_target<E: Embedding>(me: &mut Interp<'_, E>, path: &str, prop: &str, off: u32) -> R {
    let res = match me.create_resource("file", &[Value::str(path)], off) {
        Some(r) => r?,
        None => return Err(me.unsupported("the `file` resource", off)),
    };
    me.call_method(res, prop, Vec::new(), None, off)
}

/// `test -r path` on the target: access as the connected user.
fn access<E: Embedding>(me: &mut Interp<'_, E>, path: &str, flag: &str, off: u32) -> R {
    let cmd = format!("test {flag} {}", crate::transport::openssh::quote(path));
    let res = match me.create_resource("command", &[Value::Str(cmd)], off) {
        Some(r) => r?,
        None => return Err(me.unsupported("the `command` resource", off)),
    };
    let status = me.call_method(res, "exit_status", Vec::new(), None, off)?;
    Ok(Value::Bool(status == Value::Int(0)))
}

/// `File.read` and friends: the content, or the Errno Ruby raises when there is none: a
/// directory (EISDIR), a file the user may not read (EACCES, an unprivileged scan's
/// /etc/shadow), nothing there (ENOENT).
fn read<E: Embedding>(me: &mut Interp<'_, E>, path: &str, off: u32) -> R<String> {
    if let Value::Str(s) = on_target(me, path, "content", off)? {
        return Ok(s);
    }
    let (class, why) = if on_target(me, path, "directory?", off)?.truthy() {
        ("Errno::EISDIR", "Is a directory @ io_fread")
    } else if on_target(me, path, "exist?", off)?.truthy() {
        ("Errno::EACCES", "Permission denied @ rb_sysopen")
    } else {
        ("Errno::ENOENT", "No such file or directory @ rb_sysopen")
    };
    Err(Flow::raise(class, format!("{why} - {path}")))
}

pub fn call_file<E: Embedding>(
    me: &mut Interp<'_, E>,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let str_at = |i: usize| args.get(i).map(to_s);
    let r = (|| -> R {
        Ok(match name {
            "join" => Value::Str(join(args)),
            "basename" => Value::Str(basename(&path_arg(args)?, str_at(1).as_deref())),
            "dirname" => Value::Str(dirname(&path_arg(args)?)),
            "extname" => Value::Str(extname(&path_arg(args)?)),
            "expand_path" | "absolute_path" => {
                Value::Str(expand_path(&path_arg(args)?, str_at(1).as_deref())?)
            }
            "absolute_path?" => Value::Bool(path_arg(args)?.starts_with('/')),
            "split" => {
                let p = path_arg(args)?;
                Value::Array(vec![
                    Value::Str(dirname(&p)),
                    Value::Str(basename(&p, None)),
                ])
            }
            "read" => Value::Str(read(me, &path_arg(args)?, off)?),
            "readlines" | "foreach" => {
                let text = read(me, &path_arg(args)?, off)?;
                let lines: Vec<Value> = text.split_inclusive('\n').map(Value::str).collect();
                match (name, blk) {
                    ("foreach", Some(b)) => {
                        for l in lines {
                            me.call_block(b, vec![l], off)?;
                        }
                        Value::Nil
                    }
                    _ => Value::Array(lines),
                }
            }
            "size?" | "zero?" | "empty?" => {
                let p = path_arg(args)?;
                let size = if on_target(me, &p, "file?", off)?.truthy() {
                    on_target(me, &p, "size", off)?
                } else {
                    Value::Nil
                };
                match (name, size) {
                    ("size?", Value::Int(0)) | ("size?", Value::Nil) => Value::Nil,
                    ("size?", n) => n,
                    (_, n) => Value::Bool(n == Value::Int(0)),
                }
            }
            _ => {
                if let Some((_, prop)) = FILE_ON_TARGET.iter().find(|(n, _)| *n == name) {
                    return on_target(me, &path_arg(args)?, prop, off);
                }
                if let Some((_, flag)) = FILE_ACCESS.iter().find(|(n, _)| *n == name) {
                    return access(me, &path_arg(args)?, flag, off);
                }
                return Err(Flow::Next(Value::Nil));
            }
        })
    })();
    match r {
        Err(Flow::Next(_)) => None,
        other => Some(other),
    }
}

pub fn call_dir<E: Embedding>(
    me: &mut Interp<'_, E>,
    name: &str,
    args: &[Value],
    off: u32,
) -> Option<R> {
    match name {
        "exist?" | "exists?" => {
            Some(path_arg(args).and_then(|p| on_target(me, &p, "directory?", off)))
        }
        _ => None,
    }
}

pub fn call_pathname<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    name: &str,
    args: &[Value],
    off: u32,
) -> Option<R> {
    let p = &as_native::<Pathname>(recv)?.0;
    let path = |s: String| native(Pathname(s));
    Some(Ok(match name {
        "to_s" | "to_path" => Value::Str(p.clone()),
        "basename" => path(basename(p, args.first().map(to_s).as_deref())),
        "dirname" | "parent" => path(dirname(p)),
        "extname" => Value::Str(extname(p)),
        "join" | "+" | "/" => {
            // An absolute part replaces what comes before it, as Pathname#+ does.
            let mut cur = p.clone();
            for a in args {
                let part = match as_native::<Pathname>(a) {
                    Some(q) => q.0.clone(),
                    None => to_s(a),
                };
                cur = if part.starts_with('/') {
                    part
                } else {
                    join(&[Value::Str(cur), Value::Str(part)])
                };
            }
            path(cur)
        }
        "absolute?" => Value::Bool(p.starts_with('/')),
        "relative?" => Value::Bool(!p.starts_with('/')),
        "exist?" | "file?" | "directory?" => return Some(on_target(me, p, name, off)),
        "read" => return Some(read(me, p, off).map(Value::Str)),
        "==" => Value::Bool(
            args.first()
                .and_then(as_native::<Pathname>)
                .is_some_and(|q| q.0 == *p),
        ),
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values from Ruby's File documentation.
    #[test]
    fn path_arithmetic_is_rubys() {
        let j = |parts: &[&str]| join(&parts.iter().map(|p| Value::str(*p)).collect::<Vec<_>>());
        assert_eq!(j(&["usr", "mail", "gumby"]), "usr/mail/gumby");
        assert_eq!(j(&["/etc/", "/ssh", "sshd_config"]), "/etc/ssh/sshd_config");
        assert_eq!(j(&["/etc", "ssh/"]), "/etc/ssh/");
        assert_eq!(basename("/home/gumby/work/ruby.rb", None), "ruby.rb");
        assert_eq!(basename("/home/gumby/work/ruby.rb", Some(".rb")), "ruby");
        assert_eq!(basename("/home/gumby/work/ruby.rb", Some(".*")), "ruby");
        assert_eq!(basename("/etc/ssh/", None), "ssh");
        assert_eq!(basename("/", None), "/");
        assert_eq!(dirname("/home/gumby/work/ruby.rb"), "/home/gumby/work");
        assert_eq!(dirname("/etc/ssh/"), "/etc");
        assert_eq!(dirname("/etc"), "/");
        assert_eq!(dirname("file"), ".");
        assert_eq!(extname("test.rb"), ".rb");
        assert_eq!(extname("a/b/d/test.rb"), ".rb");
        assert_eq!(extname("foo.tar.gz"), ".gz");
        assert_eq!(extname(".profile"), "");
        assert_eq!(extname(".profile.sh"), ".sh");
        assert_eq!(extname("test"), "");
        assert_eq!(expand_path("/a/b/../c/./d", None).unwrap(), "/a/c/d");
        assert_eq!(expand_path("../bin", Some("/usr/lib")).unwrap(), "/usr/bin");
        assert!(matches!(
            expand_path("rel", None),
            Err(Flow::Unsupported { .. })
        ));
    }
}
