//! The few Ruby and InSpec classes profiles call directly: `Regexp.new`, `Gem::Version`,
//! `MatchData` (its type in [`crate::native::ruby::matchdata`]), InSpec's `SimpleConfig`
//! parser; the core library's (`File`, `Set`, `Time`…) through [`corelib`].

use std::cmp::Ordering;

use crate::native::ruby::corelib;
use crate::native::ruby::matchdata::{last_match, match_global, MatchData};
use crate::native::ruby::methods::{matched, regex, to_s};
use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::rx;
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::version::version_cmp_str;
use crate::native::ruby::Blk;
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
    OBJECT_METHODS.contains(&name)
        || corelib::object_method(name)
        || crate::native::ruby::procs::METHODS.contains(&name)
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
    "Errno::EISDIR",
    "Date::Error",
    "Regexp::TimeoutError",
    "REXML::Document",
    "REXML::XPath",
    "REXML::ParseException",
    "IPAddr::Error",
    "IPAddr::InvalidAddressError",
    "IPAddr::AddressFamilyError",
    "IPAddr::InvalidPrefixError",
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

/// Short names InSpec's evaluation contexts resolve to a scoped class: `Log` is
/// `Inspec::Log` in controls and libraries alike (both are evaluated inside InSpec).
const CLASS_ALIASES: &[(&str, &str)] = &[("Log", "Inspec::Log")];

/// The class a short constant name stands for (`Log` → `Inspec::Log`).
pub fn class_alias(name: &str) -> Option<&'static str> {
    CLASS_ALIASES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, full)| *full)
}

/// Whether `name` is one of [`SCOPED_CLASSES`] or a namespace of one (`Inspec::Exceptions`).
pub fn is_scoped_class(name: &str) -> bool {
    SCOPED_CLASSES
        .iter()
        .any(|c| *c == name || c.strip_prefix(name).is_some_and(|r| r.starts_with("::")))
}

/// `Gem::Version.new('1.2')`.
pub struct Version(pub String);

impl NativeObject for Version {}

/// InSpec's `SimpleConfig.new(text, options)`: the parsed `params`.
pub struct SimpleConfig(pub Value);

impl NativeObject for SimpleConfig {}

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
        return m.call(name, args).map(Ok);
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
