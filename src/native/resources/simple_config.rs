//! InSpec's `SimpleConfig`: the line parser behind `sshd_config`, `login_defs`,
//! `parse_config_file`, `auditd_conf` and friends. Accepts any text without failing.

use regex::Regex;

use crate::native::ruby::value::Value;

/// How a line assigns a value.
#[derive(Clone, Debug)]
pub enum Assign {
    /// `key = value` (SimpleConfig's default).
    Equals,
    /// `key value...` (ssh configs).
    Whitespace,
    /// `KEY value` with a single-word value (login.defs).
    KeyWord,
    /// A profile's own `assignment_regex`: the key in the first group, the value in the
    /// second, or with more groups an Array of them all (InSpec's `key_values`).
    Custom(Regex),
}

#[derive(Clone, Debug)]
pub struct Options {
    pub assign: Assign,
    /// Every occurrence kept, one list item per line (`AcceptEnv LANG LC_*` is one).
    pub multiple_values: bool,
    pub comment_char: Option<char>,
    /// A comment only counts on a line of its own.
    pub standalone_comments: bool,
    /// `[section]` lines open a nested hash.
    pub groups: bool,
    /// How many groups after the key make the value (`key_values`): one is the value
    /// itself, more a list of them (`limits.conf`: type, item, value).
    pub key_values: usize,
    /// With `multiple_values`: each value split on this (`multiple_value_regex`).
    pub multiple_value_regex: Option<Regex>,
    /// Each of these characters ends a line too (`line_separator`, Ruby's `tr` to `\n`).
    pub line_separator: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            assign: Assign::Equals,
            multiple_values: false,
            comment_char: Some('#'),
            standalone_comments: false,
            groups: true,
            key_values: 1,
            multiple_value_regex: None,
            line_separator: None,
        }
    }
}

/// Key/value pairs in file order; values are Str, or Array of Str with `multiple_values`;
/// sections are nested `Hash`es.
pub fn parse(text: &str, opts: &Options) -> Value {
    let mut top: Vec<(Value, Value)> = Vec::new();
    // The section being filled: an index into `top`, None for the top level.
    let mut section: Option<usize> = None;
    let text = match &opts.line_separator {
        Some(sep) => text
            .chars()
            .map(|c| if sep.contains(c) { '\n' } else { c })
            .collect(),
        None => text.to_string(),
    };
    for raw in text.split('\n') {
        let line = strip_comment(raw, opts);
        let target: &mut Vec<(Value, Value)> = match section {
            Some(i) => match &mut top[i].1 {
                Value::Hash(pairs) => pairs,
                _ => continue,
            },
            None => &mut top,
        };
        if let Some((key, mut values)) = assignment(line, &opts.assign, opts.key_values) {
            if values.len() == 1 {
                let value = values.remove(0);
                match (&opts.multiple_value_regex, opts.multiple_values) {
                    (Some(re), true) => {
                        // Ruby's split: trailing empty parts dropped ("" gives none).
                        let mut parts: Vec<&str> = re.split(&value).collect();
                        while parts.last().is_some_and(|p| p.is_empty()) {
                            parts.pop();
                        }
                        set_default(target, &key);
                        for part in parts {
                            put(target, key.clone(), part.to_string(), true);
                        }
                    }
                    _ => put(target, key, value, opts.multiple_values),
                }
            } else if opts.multiple_values {
                // Each line's several values, one list per line (`limits.conf`).
                let entry = Value::Array(values.into_iter().map(Value::Str).collect());
                match target.iter_mut().find(|(k, _)| *k == Value::str(&key)) {
                    Some((_, Value::Array(items))) => items.push(entry),
                    _ => set(target, Value::Str(key), Value::Array(vec![entry])),
                }
            } else {
                set(
                    target,
                    Value::Str(key),
                    Value::Array(values.into_iter().map(Value::Str).collect()),
                );
            }
            continue;
        }
        if opts.groups {
            if let Some(name) = group(line) {
                top.retain(|(k, _)| k != &Value::str(name));
                top.push((Value::str(name), Value::Hash(Vec::new())));
                section = Some(top.len() - 1);
                continue;
            }
        }
        let key = line.trim();
        if !key.is_empty() {
            let empty = if opts.multiple_values {
                Value::Array(Vec::new())
            } else {
                Value::str("")
            };
            if !(opts.multiple_values && target.iter().any(|(k, _)| k == &Value::str(key))) {
                set(target, Value::str(key), empty);
            }
        }
    }
    Value::Hash(top)
}

fn strip_comment<'a>(line: &'a str, opts: &Options) -> &'a str {
    let Some(c) = opts.comment_char else {
        return line;
    };
    match line.find(c) {
        Some(0) => "",
        Some(i) if !opts.standalone_comments || line[..i].trim().is_empty() => &line[..i],
        _ => line,
    }
}

/// The key and its value (several values with a many-group custom pattern).
fn assignment(line: &str, assign: &Assign, key_values: usize) -> Option<(String, Vec<String>)> {
    match assign {
        Assign::Equals => {
            let (k, v) = line.split_once('=')?;
            Some((k.trim().to_string(), vec![v.trim().to_string()]))
        }
        Assign::Whitespace => {
            let t = line.trim_start();
            let end = t.find(char::is_whitespace)?;
            let (k, v) = t.split_at(end);
            Some((k.to_string(), vec![v.trim().to_string()]))
        }
        Assign::KeyWord => {
            let mut words = line.split_whitespace();
            let k = words.next()?;
            let v = words.next()?;
            // `KEY value extra` does not match login.defs' pattern.
            words
                .next()
                .is_none()
                .then(|| (k.to_string(), vec![v.to_string()]))
        }
        Assign::Custom(re) => {
            let c = re.captures(line)?;
            let group = |i: usize| c.get(i).map_or("", |m| m.as_str()).to_string();
            let values = (2..2 + key_values.max(1)).map(group).collect();
            Some((c.get(1)?.as_str().to_string(), values))
        }
    }
}

fn group(line: &str) -> Option<&str> {
    let t = line.trim_end();
    let body = t.strip_suffix(']')?;
    let open = body.rfind('[')?;
    let name = &body[open + 1..];
    (!name.is_empty() && !name.contains(']')).then_some(name)
}

fn set(pairs: &mut Vec<(Value, Value)>, key: Value, value: Value) {
    match pairs.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => pairs.push((key, value)),
    }
}

/// The key with an empty list, unless it has values already.
fn set_default(pairs: &mut Vec<(Value, Value)>, key: &str) {
    let key = Value::str(key);
    if !pairs.iter().any(|(k, _)| *k == key) {
        pairs.push((key, Value::Array(Vec::new())));
    }
}

fn put(pairs: &mut Vec<(Value, Value)>, key: String, value: String, multiple: bool) {
    let key = Value::Str(key);
    if !multiple {
        set(pairs, key, Value::Str(value));
        return;
    }
    // Each line's value whole: InSpec splits only with `multiple_value_regex`.
    match pairs.iter_mut().find(|(k, _)| *k == key) {
        Some((_, Value::Array(items))) => items.push(Value::Str(value)),
        _ => pairs.push((key, Value::Array(vec![Value::Str(value)]))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, Value)]) -> Value {
        Value::Hash(
            pairs
                .iter()
                .map(|(k, v)| (Value::str(*k), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn equals_with_sections_and_comments() {
        let text = "a = 1 # note\n# all comment\nb=two words\n\n[sec]\nc = 3\nflag\n";
        let got = parse(text, &Options::default());
        assert_eq!(
            got,
            h(&[
                ("a", Value::str("1")),
                ("b", Value::str("two words")),
                (
                    "sec",
                    h(&[("c", Value::str("3")), ("flag", Value::str(""))])
                ),
            ])
        );
    }

    #[test]
    fn whitespace_multiple_values() {
        let opts = Options {
            assign: Assign::Whitespace,
            multiple_values: true,
            ..Options::default()
        };
        let got = parse(
            "Port 22\nAcceptEnv LANG LC_*\nPort 2222\n  Ciphers a,b\n",
            &opts,
        );
        assert_eq!(
            got,
            h(&[
                (
                    "Port",
                    Value::Array(vec![Value::str("22"), Value::str("2222")])
                ),
                ("AcceptEnv", Value::Array(vec![Value::str("LANG LC_*")])),
                ("Ciphers", Value::Array(vec![Value::str("a,b")])),
            ])
        );
    }

    #[test]
    fn anything_parses_without_panicking() {
        for text in [
            "",
            "\n\n",
            "[",
            "]",
            "[]",
            "=",
            "==",
            " = ",
            "#",
            "\u{0}\u{ff}é[x]",
            "a\r\nb = c\r\n",
        ] {
            for assign in [Assign::Equals, Assign::Whitespace, Assign::KeyWord] {
                let opts = Options {
                    assign,
                    multiple_values: true,
                    ..Options::default()
                };
                let _ = parse(text, &opts);
                let _ = parse(text, &Options::default());
            }
        }
    }
}
