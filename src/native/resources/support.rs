//! What the resources share: argument reading, errors, lazily read facts, values.

use std::sync::{Arc, OnceLock};

use crate::native::resources::ResourceError;
use crate::native::ruby::objects::{next_object_address, object_to_s};
use crate::native::ruby::value::{Table, Value};
use crate::transport::openssh::quote;
use crate::transport::{Host, TransportError};

impl From<TransportError> for ResourceError {
    fn from(e: TransportError) -> Self {
        ResourceError::Failed(e.to_string())
    }
}

pub type Res<T> = Result<T, ResourceError>;

pub fn unsupported(resource: &str, method: &str) -> ResourceError {
    ResourceError::Unsupported {
        resource: resource.to_string(),
        method: method.to_string(),
    }
}

/// Argument `i` as text (strings and symbols; numbers as Ruby's `to_s`).
pub fn str_arg(args: &[Value], i: usize) -> Option<String> {
    match args.get(i)? {
        Value::Str(s) | Value::Sym(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A required text argument, else InSpec's ArgumentError as a failure.
pub fn need_str(resource: &str, args: &[Value], i: usize, what: &str) -> Res<String> {
    str_arg(args, i)
        .ok_or_else(|| ResourceError::Failed(format!("`{resource}` needs {what} (a String)")))
}

/// A fact computed once per resource instance; a failure is kept and answered again.
pub struct Lazy<T>(OnceLock<Result<T, ResourceError>>);

impl<T> Default for Lazy<T> {
    fn default() -> Self {
        Lazy(OnceLock::new())
    }
}

impl<T> Lazy<T> {
    pub fn get(&self, load: impl FnOnce() -> Res<T>) -> Res<&T> {
        self.0.get_or_init(load).as_ref().map_err(Clone::clone)
    }
}

/// A file's text (lossy UTF-8), None when missing or unreadable.
pub fn read_text(host: &Host, path: &str) -> Res<Option<String>> {
    Ok(host
        .read_file(path)?
        .map(|d| String::from_utf8_lossy(&d).into_owned()))
}

/// The message of a load that skipped (InSpec: `skip_resource` or ResourceSkipped in
/// `initialize`), for `Resource::load_skip`.
pub fn skip_of<T>(loaded: Res<T>) -> Option<String> {
    match loaded {
        Err(ResourceError::Skip(m)) => Some(m),
        _ => None,
    }
}

/// What a skipped text config (apache_conf.rb, postgres_conf.rb: `@content = ""` and
/// `@params = {}` before the read) answers: each key nil, `params(*opts)` walking `{}` (nil
/// with any key); `conf_path` keeps the skip.
pub fn skipped_text_conf(method: &str, args: &[Value]) -> Option<Value> {
    match method {
        "content" => Some(Value::str("")),
        "params" => Some(dig(&Value::Hash(Vec::new()), args)),
        "conf_path" => None,
        _ => Some(Value::Nil),
    }
}

/// Runs a resource's own command line: `program` and quoted arguments (quoting keeps every
/// argument one word for the target's shell, local or remote).
pub fn run_argv(host: &Host, argv: &[&str]) -> Res<crate::transport::CommandOutput> {
    Ok(host.run(&shell_line(argv))?)
}

pub fn shell_line(argv: &[&str]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

/// Ruby's `String#to_i`: the leading integer (sign allowed, after blanks), else 0.
pub fn ruby_to_i(s: &str) -> i64 {
    let t = s.trim_start();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse::<i64>().map_or(0, |n| sign * n)
}

/// The first of `candidates` the target has (InSpec's `%w{/usr/sbin/x /sbin/x x}.each {
/// return cmd if inspec.command(cmd).exist? }`), else a failure saying `missing`.
pub fn first_program(host: &Host, candidates: &[&'static str], missing: &str) -> Res<&'static str> {
    for p in candidates {
        if has_program(host, p)? {
            return Ok(p);
        }
    }
    Err(ResourceError::Failed(missing.to_string()))
}

/// `command -v NAME` on the target: whether a program is installed there.
pub fn has_program(host: &Host, name: &str) -> Res<bool> {
    let out = host.run(&format!("command -v {}", quote(name)))?;
    Ok(out.exit_status == Some(0) && !out.stdout.trim().is_empty())
}

/// `key:` of a resource's options hash (its first argument), by symbol or string key.
pub fn hash_option<'a>(args: &'a [Value], key: &str) -> Option<&'a Value> {
    match args.first() {
        Some(h @ Value::Hash(_)) => h
            .hash_get(&Value::Sym(key.into()))
            .or_else(|| h.hash_get(&Value::str(key))),
        _ => None,
    }
}

/// `key:` of the options hash as text (strings, symbols, integers as Ruby's `to_s`).
pub fn hash_text(args: &[Value], key: &str) -> Option<String> {
    match hash_option(args, key)? {
        Value::Str(s) | Value::Sym(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn opt_str(s: Option<&str>) -> Value {
    s.map_or(Value::Nil, Value::str)
}

/// Digs through nested hashes and arrays with keys (strings, or integers for arrays), as
/// InSpec's `params('a', 'b')` and `its(['a', 'b'])` do; nil when a step is missing.
pub fn dig(root: &Value, path: &[Value]) -> Value {
    let mut cur = root;
    for k in path {
        let next = match (cur, k) {
            (Value::Hash(_), Value::Sym(s)) => cur
                .hash_get(k)
                .or_else(|| cur.hash_get(&Value::str(s.clone()))),
            (Value::Hash(_), _) => cur.hash_get(k),
            (Value::Array(items), Value::Int(i)) => {
                let i = if *i < 0 { items.len() as i64 + i } else { *i };
                usize::try_from(i).ok().and_then(|i| items.get(i))
            }
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return Value::Nil,
        }
    }
    cur.clone()
}

/// A FilterTable from rows of text fields, with the plural accessors given.
pub fn table(
    name: &str,
    fields: &[&str],
    accessors: &[(&str, &str)],
    rows: Vec<Vec<Value>>,
) -> Arc<Table> {
    let field_index = |f: &str| fields.iter().position(|x| *x == f).unwrap_or(0);
    Arc::new(Table {
        name: name.to_string(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
        accessors: accessors
            .iter()
            .map(|(a, f)| (a.to_string(), field_index(f)))
            .collect(),
        rows,
        flattened: Vec::new(),
        predicates: Vec::new(),
        view: None,
        unloaded: None,
    })
}

/// A table's column through its accessor (plural or field name).
#[cfg(test)]
pub fn column(t: &Table, accessor: &str) -> Value {
    Value::Array(t.column(accessor).unwrap_or_default())
}

/// Table-backed resources answer accessors and `entries`/`count`/`exist?` alike; the
/// interpreter does this too, but a direct call (`its('uids')`) must also work.
pub fn table_call(resource: &str, t: &Table, method: &str, args: &[Value]) -> Res<Value> {
    match method {
        "entries" | "raw_data" => Ok(Value::Array(
            t.rows
                .iter()
                .map(|r| {
                    Value::Hash(
                        t.fields
                            .iter()
                            .cloned()
                            .map(Value::Str)
                            .zip(r.iter().cloned())
                            .collect(),
                    )
                })
                .collect(),
        )),
        "count" => Ok(Value::Int(t.rows.len() as i64)),
        "where" => Ok(Value::Table(Arc::new(filter(t, args)?))),
        "exist?" | "exists?" => Ok(Value::Bool(!t.rows.is_empty())),
        _ if t.predicate(method).is_some() => Ok(Value::Bool(t.predicate(method) == Some(true))),
        // A column with a condition filters by it (`passwd.users('root')`), as
        // FilterTable's columns do.
        _ if !args.is_empty() => {
            let field = t
                .accessors
                .iter()
                .find(|(a, _)| a == method)
                .and_then(|(_, i)| t.fields.get(*i).cloned())
                .or_else(|| t.field(method).map(|_| method.to_string()))
                .ok_or_else(|| unsupported(resource, method))?;
            let cond = Value::Hash(vec![(Value::Str(field), args[0].clone())]);
            Ok(Value::Table(Arc::new(filter(t, &[cond])?)))
        }
        _ => t
            .column(method)
            .map(Value::Array)
            .ok_or_else(|| unsupported(resource, method)),
    }
}

/// `where(field: value, ...)`: rows whose fields equal the values (a Regexp matches the
/// text, a Range contains the number), as InSpec's FilterTable; the block form is the
/// interpreter's.
fn filter(t: &Table, args: &[Value]) -> Res<Table> {
    let Some(Value::Hash(conds)) = args.first() else {
        return Err(ResourceError::Failed(
            "`where` takes field: value conditions (or a block, evaluated by the interpreter)"
                .into(),
        ));
    };
    let mut checks = Vec::new();
    let mut desc = Vec::new();
    for (k, want) in conds {
        let (Value::Sym(name) | Value::Str(name)) = k else {
            return Err(ResourceError::Failed(format!("`where`: bad field {k:?}")));
        };
        let idx = t
            .field(name)
            .ok_or_else(|| ResourceError::Failed(format!("`where`: no field `{name}`")))?;
        let re = match want {
            Value::Regex { source, flags } => Some(
                regex::RegexBuilder::new(source)
                    .case_insensitive(flags.contains('i'))
                    .multi_line(true)
                    .dot_matches_new_line(flags.contains('m'))
                    .ignore_whitespace(flags.contains('x'))
                    .build()
                    .map_err(|e| ResourceError::Failed(format!("`where`: {e}")))?,
            ),
            _ => None,
        };
        desc.push(format!("{name} == {want:?}"));
        checks.push((idx, want.clone(), re));
    }
    let rows = t
        .rows
        .iter()
        .filter(|row| {
            checks.iter().all(|(idx, want, re)| {
                let got = row.get(*idx).unwrap_or(&Value::Nil);
                match (re, want, got) {
                    (Some(re), _, Value::Str(s)) => re.is_match(s),
                    (Some(re), _, Value::Int(n)) => re.is_match(&n.to_string()),
                    (_, Value::Range { lo, hi, exclusive }, Value::Int(_) | Value::Float(_)) => {
                        in_range(got, lo, hi, *exclusive)
                    }
                    // InSpec compares a field's text with a number given as a number.
                    (_, Value::Int(n), Value::Str(s)) | (_, Value::Str(s), Value::Int(n)) => {
                        s.trim() == n.to_string()
                    }
                    _ => got == want,
                }
            })
        })
        .cloned()
        .collect();
    Ok(Table {
        name: match &t.view {
            Some(class) => object_to_s(class, next_object_address()),
            None => format!("{} with {}", t.name, desc.join(" and ")),
        },
        rows,
        ..t.clone()
    })
}

fn in_range(v: &Value, lo: &Value, hi: &Value, exclusive: bool) -> bool {
    let num = |v: &Value| match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    };
    match (num(v), num(lo), num(hi)) {
        (Some(v), Some(lo), Some(hi)) => v >= lo && if exclusive { v < hi } else { v <= hi },
        _ => false,
    }
}
