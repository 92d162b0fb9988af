//! The few Ruby and InSpec classes profiles call directly: `Regexp.new`, `Gem::Version`,
//! `MatchData`, InSpec's `SimpleConfig` parser; the core library's (`File`, `Set`, `Time`…)
//! through [`corelib`].

use std::cell::RefCell;
use std::cmp::Ordering;

use crate::native::ruby::corelib;
use crate::native::ruby::eval::Blk;
use crate::native::ruby::methods::{matched, regex, to_s};
use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::rx;
use crate::native::ruby::value::Value;
use crate::native::ruby::version::version_cmp_str;
use crate::native::ruby::{Embedding, Flow, Interp, R};

/// Class methods implemented here (`Class.method`); [`has_class_method`] adds the core
/// library's.
const CLASS_METHODS: &[(&str, &str)] = &[
    ("Regexp", "new"),
    ("Regexp", "compile"),
    ("Regexp", "escape"),
    ("Regexp", "quote"),
    ("Regexp", "last_match"),
    ("Gem::Version", "new"),
    ("SimpleConfig", "new"),
    ("Numeric", "method_defined?"),
    ("Integer", "method_defined?"),
    ("Float", "method_defined?"),
];

/// Operators of Ruby's numbers (Numeric, Comparable and Integer/Float's own), which
/// `Numeric.method_defined?(:<=)` reports.
const NUMERIC_OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "%", "**", "<", "<=", ">", ">=", "==", "!=", "<=>", "===", "between?",
    "clamp",
];

/// Whether the interpreter implements `class.name` (read by static coverage).
pub fn has_class_method(class: &str, name: &str) -> bool {
    CLASS_METHODS.contains(&(class, name))
        || corelib::class_methods(class).is_some_and(|m| m.contains(&name))
}

/// Whether `name` is a method of some object made by these classes.
pub fn is_object_method(name: &str) -> bool {
    OBJECT_METHODS.contains(&name) || corelib::object_method(name)
}

/// Methods of the objects these classes make (for static coverage).
const OBJECT_METHODS: &[&str] = &[
    "params",
    "to_s",
    "version",
    "captures",
    "named_captures",
    "to_a",
    "pre_match",
    "post_match",
];

/// Classes reachable by a scoped name.
pub const SCOPED_CLASSES: &[&str] = &[
    "Gem::Version",
    "Inspec::Exceptions::ResourceSkipped",
    "Inspec::Exceptions::ResourceFailed",
    "Inspec::Log",
    "JSON::ParserError",
    "Hashie::Mash",
    "Errno::ENOENT",
    "Errno::EACCES",
    "Date::Error",
    "Regexp::TimeoutError",
];

/// Constants of core classes (`Regexp::EXTENDED`): Ruby's values, as `Regexp.new` takes them.
pub const CLASS_CONSTANTS: &[(&str, i64)] = &[
    ("Regexp::IGNORECASE", 1),
    ("Regexp::EXTENDED", 2),
    ("Regexp::MULTILINE", 4),
];

/// The value of a core class's constant (`Regexp::IGNORECASE`).
pub fn class_constant(full: &str) -> Option<Value> {
    CLASS_CONSTANTS
        .iter()
        .find(|(n, _)| *n == full)
        .map(|(_, v)| Value::Int(*v))
}

/// Whether `name` is one of [`SCOPED_CLASSES`] or a namespace of one (`Inspec::Exceptions`).
pub fn is_scoped_class(name: &str) -> bool {
    SCOPED_CLASSES
        .iter()
        .any(|c| *c == name || c.strip_prefix(name).is_some_and(|r| r.starts_with("::")))
}

/// `Gem::Version.new('1.2')`.
pub struct Version(pub String);

/// InSpec's `SimpleConfig.new(text, options)`: the parsed `params`.
pub struct SimpleConfig(pub Value);

thread_local! {
    /// Ruby's `$~`: the last match of `=~`, `match` or `case`/`when` (Ruby keeps it per
    /// method frame; one evaluation runs on one thread, so per thread is the same here).
    static LAST_MATCH: RefCell<Value> = const { RefCell::new(Value::Nil) };
}

/// Records the outcome of a match for `$~`, `$1`…, `Regexp.last_match`.
pub fn set_last_match(m: Option<MatchData>) {
    let v = m.map_or(Value::Nil, native);
    LAST_MATCH.with(|l| *l.borrow_mut() = v);
}

fn last_match() -> Value {
    LAST_MATCH.with(|l| l.borrow().clone())
}

/// Whether a global variable is one of the match globals (`$~`, `$&`, `` $` ``, `$'`,
/// `$1`…`$9`).
pub fn is_match_global(name: &str) -> bool {
    let n = name.trim_start_matches('$');
    matches!(n, "~" | "&" | "`" | "'")
        || (n.len() == 1 && n.bytes().all(|b| b.is_ascii_digit() && b != b'0'))
}

/// The value of a match global (nil when the last match failed).
pub fn match_global(name: &str) -> Value {
    let last = last_match();
    let Some(m) = as_native::<MatchData>(&last) else {
        return Value::Nil;
    };
    match name.trim_start_matches('$') {
        "~" => last.clone(),
        "&" => m.group(&Value::Int(0)),
        "`" => Value::Str(m.pre.clone()),
        "'" => Value::Str(m.post.clone()),
        d => m.group(&Value::Int(d.parse().unwrap_or(0))),
    }
}

/// `String#match`'s result: the groups (0: the whole match), their names, and the text
/// around the match.
#[derive(Clone)]
pub struct MatchData {
    pub groups: Vec<Option<String>>,
    pub names: Vec<Option<String>>,
    pub pre: String,
    pub post: String,
}

impl MatchData {
    pub fn new(re: &rx::Regex, caps: &rx::Captures<'_>, s: &str) -> MatchData {
        let whole = caps.get(0);
        MatchData {
            groups: (0..caps.len())
                .map(|i| caps.get(i).map(|m| m.as_str().to_string()))
                .collect(),
            names: re.capture_names().map(|n| n.map(str::to_string)).collect(),
            pre: whole.map_or(String::new(), |m| s[..m.start()].to_string()),
            post: whole.map_or(String::new(), |m| s[m.end()..].to_string()),
        }
    }

    /// `md[i]`, `md[:name]`, `md["name"]` (a name that is no group raises IndexError in
    /// Ruby; nil here keeps `str[re, name]` simple).
    pub fn group(&self, key: &Value) -> Value {
        let i = match key {
            Value::Int(i) => usize::try_from(*i).ok(),
            Value::Str(n) | Value::Sym(n) => self
                .names
                .iter()
                .position(|x| x.as_deref() == Some(n.as_str())),
            _ => None,
        };
        i.and_then(|i| self.groups.get(i).cloned().flatten())
            .map_or(Value::Nil, Value::Str)
    }
}

/// `Class.name(args)`. None: not a class method the interpreter implements.
pub fn call_class<E: Embedding>(
    me: &mut Interp<'_, E>,
    class: &str,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    corelib::call_class(me, class, name, args, blk, off).or_else(|| plain_class(class, name, args))
}

/// The class methods that need no interpreter.
fn plain_class(class: &str, name: &str, args: &[Value]) -> Option<R> {
    let a0 = args.first().cloned().unwrap_or(Value::Nil);
    Some(match (class, name) {
        ("Regexp", "new" | "compile") => Ok(match a0 {
            Value::Regex { .. } => a0,
            other => {
                // Regexp.new(string, options): an Integer of IGNORECASE | EXTENDED |
                // MULTILINE, a String of option letters ("mix"), or another truthy value
                // for IGNORECASE.
                let mut flags = String::new();
                match args.get(1) {
                    Some(Value::Int(o)) => {
                        for (bit, f) in [(1, 'i'), (2, 'x'), (4, 'm')] {
                            if o & bit != 0 {
                                flags.push(f);
                            }
                        }
                    }
                    Some(Value::Str(letters)) => {
                        for f in ['i', 'x', 'm'] {
                            if letters.contains(f) {
                                flags.push(f);
                            }
                        }
                        if let Some(bad) = letters.chars().find(|c| !"mix".contains(*c)) {
                            return Some(Err(Flow::raise(
                                "ArgumentError",
                                format!("unknown regexp option: {bad}"),
                            )));
                        }
                    }
                    Some(v) if v.truthy() => flags.push('i'),
                    _ => {}
                }
                Value::Regex {
                    source: to_s(&other),
                    flags,
                }
            }
        }),
        ("Regexp", "last_match") => Ok(match args.first() {
            Some(Value::Int(i)) => match_global(&format!("${i}")),
            _ => last_match(),
        }),
        ("Regexp", "escape" | "quote") => Ok(Value::Str(rx::escape(&to_s(&a0)))),
        ("Numeric" | "Integer" | "Float", "method_defined?") => {
            let m = to_s(&a0);
            Ok(Value::Bool(
                NUMERIC_OPERATORS.contains(&m.as_str())
                    || crate::native::ruby::methods::is_builtin(&m),
            ))
        }
        ("Gem::Version", "new") => {
            let s = to_s(&a0).trim().to_string();
            if crate::native::ruby::version::is_version(&s) {
                Ok(native(Version(s)))
            } else {
                Err(Flow::raise(
                    "ArgumentError",
                    format!("Malformed version number string {s}"),
                ))
            }
        }
        ("SimpleConfig", "new") => {
            simple_config(&to_s(&a0), args.get(1)).map(|p| native(SimpleConfig(p)))
        }
        _ => return None,
    })
}

/// Methods of the objects above. None: not one of them (or no such method).
pub fn call_object<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    corelib::call_object(me, recv, name, args, blk, off).or_else(|| plain_object(recv, name, args))
}

/// The methods of objects that need no interpreter.
fn plain_object(recv: &Value, name: &str, args: &[Value]) -> Option<R> {
    if let Some(v) = as_native::<Version>(recv) {
        let other = match args.first() {
            Some(o) => as_native::<Version>(o)
                .map(|o| o.0.clone())
                .or_else(|| match o {
                    Value::Str(s) => Some(s.clone()),
                    _ => None,
                }),
            None => None,
        };
        let cmp = other.map(|o| version_cmp_str(&v.0, &o));
        return Some(Ok(match (name, cmp) {
            ("to_s" | "version", _) => Value::Str(v.0.clone()),
            ("<=>", Some(o)) => Value::Int(o as i64),
            ("<", Some(o)) => Value::Bool(o == Ordering::Less),
            ("<=", Some(o)) => Value::Bool(o != Ordering::Greater),
            (">", Some(o)) => Value::Bool(o == Ordering::Greater),
            (">=", Some(o)) => Value::Bool(o != Ordering::Less),
            ("==", Some(o)) => Value::Bool(o == Ordering::Equal),
            ("!=", Some(o)) => Value::Bool(o != Ordering::Equal),
            _ => return None,
        }));
    }
    if let Some(m) = as_native::<MatchData>(recv) {
        let strs = |v: &[Option<String>]| {
            Value::Array(
                v.iter()
                    .map(|g| g.clone().map_or(Value::Nil, Value::Str))
                    .collect(),
            )
        };
        return Some(Ok(match name {
            "[]" => m.group(args.first().unwrap_or(&Value::Nil)),
            "to_s" => m.group(&Value::Int(0)),
            "pre_match" => Value::Str(m.pre.clone()),
            "post_match" => Value::Str(m.post.clone()),
            "names" => Value::Array(m.names.iter().flatten().cloned().map(Value::Str).collect()),
            "size" | "length" => Value::Int(m.groups.len() as i64),
            "captures" => strs(m.groups.get(1..).unwrap_or(&[])),
            "to_a" => strs(&m.groups),
            "named_captures" => Value::Hash(
                m.names
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| {
                        n.clone()
                            .map(|n| (Value::Str(n), m.group(&Value::Int(i as i64))))
                    })
                    .collect(),
            ),
            "nil?" => Value::Bool(false),
            _ => return None,
        }));
    }
    if let Some(c) = as_native::<SimpleConfig>(recv) {
        return match name {
            "params" => Some(Ok(c.0.clone())),
            _ => None,
        };
    }
    None
}

/// InSpec's SimpleConfig: `key = value` lines (the `assignment_regex` option's two
/// captures), `#` comments, `[group]` sections, `multiple_values` collecting arrays.
fn simple_config(text: &str, opts: Option<&Value>) -> R<Value> {
    let opt = |k: &str| {
        opts.and_then(|o| o.hash_get(&Value::Sym(k.into())))
            .cloned()
    };
    let assignment = match opt("assignment_regex") {
        Some(Value::Regex { source, flags }) => regex(&source, &flags)?,
        _ => regex(r"^\s*([^=]*?)\s*=\s*(.*?)\s*$", "")?,
    };
    let multiple = opt("multiple_values").is_some_and(|v| v.truthy());
    let comment = match opt("comment_char") {
        Some(Value::Str(c)) => c,
        _ => "#".to_string(),
    };
    let group_re = regex(r"^\s*\[([^\]]+)\]\s*$", "")?;
    let mut top: Vec<(Value, Value)> = Vec::new();
    let mut group: Option<(String, Vec<(Value, Value)>)> = None;
    for raw in text.lines() {
        let line = match raw.find(comment.as_str()) {
            Some(i) if !comment.is_empty() => &raw[..i],
            _ => raw,
        };
        if let Some(g) = matched(&group_re, group_re.captures(line))?.and_then(|c| c.get(1)) {
            if let Some((name, pairs)) = group.take() {
                crate::native::ruby::methods::hash_set(
                    &mut top,
                    Value::Str(name),
                    Value::Hash(pairs),
                );
            }
            group = Some((g.as_str().to_string(), Vec::new()));
            continue;
        }
        let Some(caps) = matched(&assignment, assignment.captures(line))? else {
            continue;
        };
        let key = Value::str(caps.get(1).map_or("", |m| m.as_str()));
        let val = Value::str(caps.get(2).map_or("", |m| m.as_str()));
        let target = match group.as_mut() {
            Some((_, pairs)) => pairs,
            None => &mut top,
        };
        if multiple {
            match target.iter_mut().find(|(k, _)| *k == key) {
                Some((_, Value::Array(list))) => list.push(val),
                _ => target.push((key, Value::Array(vec![val]))),
            }
        } else {
            crate::native::ruby::methods::hash_set(target, key, val);
        }
    }
    if let Some((name, pairs)) = group.take() {
        crate::native::ruby::methods::hash_set(&mut top, Value::Str(name), Value::Hash(pairs));
    }
    Ok(Value::Hash(top))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_config_parses_assignments_groups_and_multiple_values() {
        let p = simple_config(
            "# c\nFragmentPath=/lib/systemd/system/docker.service\n[s]\na = 1\n",
            None,
        )
        .unwrap();
        assert_eq!(
            p.hash_get(&Value::str("FragmentPath")),
            Some(&Value::str("/lib/systemd/system/docker.service"))
        );
        assert_eq!(
            p.hash_get(&Value::str("s")),
            Some(&Value::Hash(vec![(Value::str("a"), Value::str("1"))]))
        );
        let opts = Value::Hash(vec![
            (
                Value::Sym("assignment_regex".into()),
                Value::Regex {
                    source: r"^\s*([^:]*?)\s*:\s*(.*?)\s*$".into(),
                    flags: String::new(),
                },
            ),
            (Value::Sym("multiple_values".into()), Value::Bool(true)),
        ]);
        let p = simple_config("k: a\nk: b\n", Some(&opts)).unwrap();
        assert_eq!(
            p.hash_get(&Value::str("k")),
            Some(&Value::Array(vec![Value::str("a"), Value::str("b")]))
        );
    }

    #[test]
    fn versions_compare_like_gem_version() {
        let a = plain_class("Gem::Version", "new", &[Value::str("3.10")])
            .unwrap()
            .unwrap();
        let b = plain_class("Gem::Version", "new", &[Value::str("4.9.0")])
            .unwrap()
            .unwrap();
        assert_eq!(
            plain_object(&a, "<=", std::slice::from_ref(&b))
                .unwrap()
                .unwrap(),
            Value::Bool(true)
        );
        assert_eq!(
            plain_object(&b, "<", &[a]).unwrap().unwrap(),
            Value::Bool(false)
        );
        assert!(plain_class("Gem::Version", "new", &[Value::str("x y")])
            .unwrap()
            .is_err());
        let re = plain_class("Regexp", "new", &[Value::str("^a$"), Value::Int(1)])
            .unwrap()
            .unwrap();
        assert_eq!(
            re,
            Value::Regex {
                source: "^a$".into(),
                flags: "i".into()
            }
        );
    }
}
