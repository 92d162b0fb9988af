//! Methods of strings. Each group of methods is a table of names (what static coverage
//! reads, through [`is_string_method`]) and one small function implementing them.

use crate::native::ruby::matchdata::MatchData;
use crate::native::ruby::methods::collections::each_value;
use crate::native::ruby::methods::*;

/// Conversions to other types.
const CONVERT: &[&str] = &[
    "to_s",
    "to_str",
    "to_sym",
    "intern",
    "to_i",
    "hex",
    "oct",
    "to_f",
    "ord",
    "lines",
    "chars",
    "bytes",
    "encoding",
    "force_encoding",
    "encode",
    "unicode_normalize",
    "scrub",
];
/// New strings made from this one.
const EDIT: &[&str] = &[
    "strip",
    "lstrip",
    "rstrip",
    "chomp",
    "chop",
    "downcase",
    "upcase",
    "swapcase",
    "capitalize",
    "tr",
    "delete",
    "squeeze",
    "reverse",
    "ljust",
    "rjust",
    "center",
    "%",
    "delete_prefix",
    "delete_suffix",
];
/// Questions about the string.
const QUERY: &[&str] = &[
    "length",
    "size",
    "bytesize",
    "empty?",
    "start_with?",
    "end_with?",
    "include?",
    "casecmp",
    "casecmp?",
    "between?",
    "count",
];
/// Methods taking a pattern (a Regexp, or a String matched literally).
const PATTERN: &[&str] = &[
    "split",
    "gsub",
    "sub",
    "scan",
    "match",
    "match?",
    "=~",
    "[]",
    "slice",
    "index",
    "partition",
    "rpartition",
];
const ITERATE: &[&str] = &["each_line", "each_char"];
/// Methods changing the receiver (written back to the variable by the interpreter).
const MUTATE: &[&str] = &[
    "strip!",
    "chomp!",
    "downcase!",
    "upcase!",
    "squeeze!",
    "gsub!",
    "sub!",
    "slice!",
    "<<",
    "concat",
];
const OPERATORS: &[&str] = &["+", "*", "<", "<=", ">", ">=", "<=>"];

/// Every String method implemented here.
pub const STRING_METHODS: &[&[&str]] = &[CONVERT, EDIT, QUERY, PATTERN, ITERATE, MUTATE, OPERATORS];

pub fn is_string_method(name: &str) -> bool {
    STRING_METHODS.iter().any(|g| g.contains(&name))
}

/// A name in a group's table that its function does not handle (a bug, caught by the table
/// test).
fn missing(name: &str) -> Flow {
    Flow::raise("NotImplementedError", format!("String#{name}"))
}

pub(super) fn string_method<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &mut Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let Value::Str(s) = &*recv else {
        return None;
    };
    let s = s.clone();
    Some(if CONVERT.contains(&name) {
        convert(&s, name, args)
    } else if EDIT.contains(&name) {
        edit(&s, name, args)
    } else if QUERY.contains(&name) {
        query(recv, &s, name, args)
    } else if PATTERN.contains(&name) {
        with_pattern(me, recv, &s, name, args, blk, off)
    } else if ITERATE.contains(&name) {
        each(me, recv, &s, name, args, blk, off)
    } else if MUTATE.contains(&name) {
        mutate(me, recv, &s, name, args, blk, off)
    } else if OPERATORS.contains(&name) {
        let op = match name {
            "+" => BinOp::Add,
            "*" => BinOp::Mul,
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            ">" => BinOp::Gt,
            ">=" => BinOp::Ge,
            _ => BinOp::Cmp,
        };
        binop(
            op,
            recv.clone(),
            args.first().cloned().unwrap_or(Value::Nil),
        )
    } else if name == "to_a" {
        Err(no_method(name, recv))
    } else {
        return None;
    })
}

fn convert(s: &str, name: &str, args: &[Value]) -> R {
    Ok(match name {
        // Strings are UTF-8 here; encoding conversions keep the text.
        "to_s" | "to_str" | "force_encoding" | "encode" | "unicode_normalize" | "scrub" => {
            Value::str(s)
        }
        "encoding" => Value::str("UTF-8"),
        "to_sym" | "intern" => Value::Sym(s.to_string()),
        "to_i" => Value::Int(str_to_i(
            s,
            int_arg(args, 0).map_or(10, |b| b.clamp(2, 36) as u32),
        )),
        "hex" => Value::Int(str_to_i(s, 16)),
        "oct" => Value::Int(str_to_i(s, 8)),
        "to_f" => Value::Float(str_to_f(s)),
        "ord" => Value::Int(s.chars().next().map_or(0, |c| c as i64)),
        "lines" => Value::Array(lines(s)),
        "chars" => Value::Array(s.chars().map(|c| Value::Str(c.to_string())).collect()),
        "bytes" => Value::Array(s.bytes().map(|b| Value::Int(i64::from(b))).collect()),
        _ => return Err(missing(name)),
    })
}

/// `tr`'s character sets: `a-z` ranges expanded.
fn char_set(p: &str) -> Vec<char> {
    let cs: Vec<char> = p.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        if i + 2 < cs.len() && cs[i + 1] == '-' {
            let (a, b) = (cs[i] as u32, cs[i + 2] as u32);
            out.extend((a..=b).filter_map(char::from_u32));
            i += 3;
        } else {
            out.push(cs[i]);
            i += 1;
        }
    }
    out
}

fn str_arg(args: &[Value], i: usize) -> R<&str> {
    match args.get(i) {
        Some(Value::Str(p)) => Ok(p),
        _ => Err(Flow::raise(
            "TypeError",
            "no implicit conversion into String",
        )),
    }
}

fn pad(s: &str, name: &str, args: &[Value]) -> R {
    let w = int_arg(args, 0).unwrap_or(0).max(0) as usize;
    let fill_with = match args.get(1) {
        Some(Value::Str(p)) if !p.is_empty() => p.clone(),
        _ => " ".into(),
    };
    let n = s.chars().count();
    if n >= w {
        return Ok(Value::str(s));
    }
    check_len(w)?;
    let fill = |k: usize| -> String { fill_with.chars().cycle().take(k).collect() };
    Ok(Value::Str(match name {
        "ljust" => format!("{s}{}", fill(w - n)),
        "rjust" => format!("{}{s}", fill(w - n)),
        _ => {
            let left = (w - n) / 2;
            format!("{}{s}{}", fill(left), fill(w - n - left))
        }
    }))
}

fn edit(s: &str, name: &str, args: &[Value]) -> R {
    let a0 = args.first();
    Ok(match name {
        "strip" => Value::str(s.trim_matches(|c: char| c.is_whitespace() || c == '\0')),
        "lstrip" => Value::str(s.trim_start()),
        "rstrip" => Value::str(s.trim_end_matches(|c: char| c.is_whitespace() || c == '\0')),
        "chomp" => Value::Str(chomp(s, a0)),
        "chop" => {
            let mut t = s.to_string();
            t.pop();
            Value::Str(t)
        }
        "downcase" => Value::Str(s.to_lowercase()),
        "upcase" => Value::Str(s.to_uppercase()),
        "swapcase" => Value::Str(
            s.chars()
                .map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().collect::<String>()
                    } else {
                        c.to_uppercase().collect()
                    }
                })
                .collect(),
        ),
        "capitalize" => {
            let mut cs = s.chars();
            Value::Str(match cs.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(cs.as_str().to_lowercase().chars())
                    .collect(),
                None => String::new(),
            })
        }
        "tr" => {
            let (f, t) = (char_set(str_arg(args, 0)?), char_set(str_arg(args, 1)?));
            Value::Str(
                s.chars()
                    .filter_map(|c| match f.iter().position(|x| *x == c) {
                        Some(i) => t.get(i).or(t.last()).copied(),
                        None => Some(c),
                    })
                    .collect(),
            )
        }
        "delete" => {
            let set = char_set(str_arg(args, 0)?);
            Value::Str(s.chars().filter(|c| !set.contains(c)).collect())
        }
        "squeeze" => {
            let mut out = String::new();
            for c in s.chars() {
                if !out.ends_with(c) {
                    out.push(c);
                }
            }
            Value::Str(out)
        }
        "reverse" => Value::Str(s.chars().rev().collect()),
        "ljust" | "rjust" | "center" => pad(s, name, args)?,
        "delete_prefix" => Value::str(s.strip_prefix(str_arg(args, 0)?).unwrap_or(s)),
        "delete_suffix" => Value::str(s.strip_suffix(str_arg(args, 0)?).unwrap_or(s)),
        "%" => Value::Str(format(
            s,
            &match a0 {
                Some(Value::Array(a)) => a.clone(),
                Some(v) => vec![v.clone()],
                None => vec![],
            },
        )?),
        _ => return Err(missing(name)),
    })
}

fn query(recv: &Value, s: &str, name: &str, args: &[Value]) -> R {
    let a0 = args.first();
    Ok(match name {
        "length" | "size" => Value::Int(s.chars().count() as i64),
        "bytesize" => Value::Int(s.len() as i64),
        "empty?" => Value::Bool(s.is_empty()),
        "start_with?" => Value::Bool(args.iter().any(|p| match p {
            Value::Str(p) => s.starts_with(p.as_str()),
            Value::Regex { .. } => find(p, s).ok().flatten() == Some(0),
            _ => false,
        })),
        "end_with?" => Value::Bool(
            args.iter()
                .any(|p| matches!(p, Value::Str(p) if s.ends_with(p.as_str()))),
        ),
        "include?" => Value::Bool(s.contains(str_arg(args, 0)?)),
        // Ruby's `count`: characters of the string that are in the set.
        "count" => {
            let set = char_set(str_arg(args, 0)?);
            Value::Int(s.chars().filter(|c| set.contains(c)).count() as i64)
        }
        "casecmp" => match a0 {
            Some(Value::Str(o)) => Value::Int(s.to_lowercase().cmp(&o.to_lowercase()) as i64),
            _ => Value::Nil,
        },
        "casecmp?" => match a0 {
            Some(Value::Str(o)) => Value::Bool(s.to_lowercase() == o.to_lowercase()),
            _ => Value::Nil,
        },
        "between?" => {
            let (Some(a), Some(b)) = (a0, args.get(1)) else {
                return Err(Flow::raise("ArgumentError", "between? needs 2 arguments"));
            };
            Value::Bool(
                compare(recv, a) != Some(Ordering::Less)
                    && compare(recv, b) != Some(Ordering::Greater),
            )
        }
        _ => return Err(missing(name)),
    })
}

/// `s[i]`, `s[i, n]`, `s[range]`, `s["sub"]`, `s[/re/]`, `s[/re/, group]`.
fn index(s: &str, args: &[Value]) -> R {
    Ok(match (args.first(), args.get(1)) {
        (Some(Value::Int(i)), None) => {
            let cs: Vec<char> = s.chars().collect();
            let idx = if *i < 0 { cs.len() as i64 + i } else { *i };
            usize::try_from(idx)
                .ok()
                .and_then(|i| cs.get(i))
                .map_or(Value::Nil, |c| Value::Str(c.to_string()))
        }
        (Some(Value::Int(i)), Some(Value::Int(n))) => {
            let cs: Vec<char> = s.chars().collect();
            let start = if *i < 0 { cs.len() as i64 + i } else { *i };
            if start < 0 || start as usize > cs.len() || *n < 0 {
                Value::Nil
            } else {
                Value::Str(cs.iter().skip(start as usize).take(*n as usize).collect())
            }
        }
        (Some(Value::Range { lo, hi, exclusive }), None) => {
            let cs: Vec<char> = s.chars().collect();
            match range_bounds(lo, hi, *exclusive, cs.len()) {
                Some((a, b)) => Value::Str(cs[a..b].iter().collect()),
                None => Value::Nil,
            }
        }
        (Some(Value::Str(sub)), None) => {
            if s.contains(sub.as_str()) {
                Value::Str(sub.clone())
            } else {
                Value::Nil
            }
        }
        (Some(re @ Value::Regex { .. }), cap) => {
            let re = pattern(re)?;
            match matched(&re, re.captures(s))? {
                Some(c) => MatchData::new(&re, &c, s).group(cap.unwrap_or(&Value::Int(0))),
                None => Value::Nil,
            }
        }
        _ => {
            return Err(Flow::raise(
                "TypeError",
                "no implicit conversion into Integer",
            ))
        }
    })
}

fn scan<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    s: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    let re = pattern(args.first().unwrap_or(&Value::Nil))?;
    let group =
        |c: &rx::Captures<'_>, i: usize| c.get(i).map_or(Value::Nil, |m| Value::str(m.as_str()));
    let items: Vec<Value> = captures_all(&re, s)?
        .iter()
        .map(|c| {
            if c.len() > 1 {
                Value::Array((1..c.len()).map(|i| group(c, i)).collect())
            } else {
                group(c, 0)
            }
        })
        .collect();
    let Some(b) = blk else {
        return Ok(Value::Array(items));
    };
    Ok(each_value(me, b, items, off, |_, _| Ok(true))?.unwrap_or_else(|| recv.clone()))
}

/// `partition`/`rpartition`: the text before, the match, the text after.
fn partition(s: &str, name: &str, args: &[Value]) -> R {
    let re = pattern(args.first().unwrap_or(&Value::Nil))?;
    let found = if name == "partition" {
        matched(&re, re.find(s))?
    } else {
        let mut last = None;
        for m in re.find_iter(s) {
            last = Some(matched(&re, m)?);
        }
        last
    };
    let parts = match found {
        Some(m) => [&s[..m.start()], m.as_str(), &s[m.end()..]],
        None if name == "partition" => [s, "", ""],
        None => ["", "", s],
    };
    Ok(Value::Array(parts.iter().map(|p| Value::str(*p)).collect()))
}

fn with_pattern<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    s: &str,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    let a0 = args.first();
    Ok(match name {
        "split" => Value::Array(split(s, a0, int_arg(args, 1))?),
        "gsub" | "sub" => Value::Str(sub_or_gsub(me, s, args, blk, name == "gsub", off)?),
        "scan" => scan(me, recv, s, args, blk, off)?,
        "match" => {
            let re = as_regexp(a0.unwrap_or(&Value::Nil))?;
            let md = matched(&re, re.captures(s))?.map(|c| MatchData::new(&re, &c, s));
            crate::native::ruby::matchdata::set_last_match(md.clone());
            md.map_or(Value::Nil, native)
        }
        "match?" => Value::Bool(find(a0.unwrap_or(&Value::Nil), s)?.is_some()),
        "=~" => binop(
            BinOp::Match,
            recv.clone(),
            a0.cloned().unwrap_or(Value::Nil),
        )?,
        "[]" | "slice" => index(s, args)?,
        "index" => match find(a0.unwrap_or(&Value::Nil), s)? {
            Some(i) => Value::Int(s[..i].chars().count() as i64),
            None => Value::Nil,
        },
        "partition" | "rpartition" => partition(s, name, args)?,
        _ => return Err(missing(name)),
    })
}

fn each<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    s: &str,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    let items = if name == "each_line" {
        lines(s)
    } else {
        s.chars().map(|c| Value::Str(c.to_string())).collect()
    };
    let Some(b) = blk else {
        return enumerator::make(items, name, args).unwrap_or_else(|| Err(missing(name)));
    };
    Ok(each_value(me, b, items, off, |_, _| Ok(true))?.unwrap_or_else(|| recv.clone()))
}

fn mutate<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &mut Value,
    s: &str,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    if matches!(name, "<<" | "concat") {
        let add = args.iter().map(to_s).collect::<String>();
        check_len(s.len() + add.len())?;
        *recv = Value::Str(format!("{s}{add}"));
        return Ok(recv.clone());
    }
    if name == "slice!" {
        return slice_out(recv, s, args);
    }
    let base = name.trim_end_matches('!');
    let mut copy = Value::str(s);
    let new = string_method(me, &mut copy, base, args, blk, off).unwrap_or(Ok(Value::Nil))?;
    let changed = new != *recv;
    *recv = new;
    Ok(if changed { recv.clone() } else { Value::Nil })
}

/// `slice!`: the part `slice` would return is cut out of the receiver and returned (nil,
/// with the receiver unchanged, when there is none).
fn slice_out(recv: &mut Value, s: &str, args: &[Value]) -> R {
    let Some((a, b)) = slice_span(s, args)? else {
        return Ok(Value::Nil);
    };
    let cut = s[a..b].to_string();
    *recv = Value::Str(format!("{}{}", &s[..a], &s[b..]));
    Ok(Value::Str(cut))
}

/// The byte span of what `slice(args)` returns: a character index, `start, length`, a
/// range, a substring (its first occurrence) or a regexp's match (or one of its groups).
fn slice_span(s: &str, args: &[Value]) -> R<Option<(usize, usize)>> {
    let offsets: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
    let chars = offsets.len() - 1;
    let at = |i: usize| offsets.get(i).copied();
    let from = |i: i64| {
        let i = if i < 0 { chars as i64 + i } else { i };
        usize::try_from(i).ok().filter(|i| *i <= chars)
    };
    Ok(match (args.first(), args.get(1)) {
        (Some(Value::Int(i)), None) => from(*i)
            .filter(|i| *i < chars)
            .and_then(|i| Some((at(i)?, at(i + 1)?))),
        (Some(Value::Int(i)), Some(Value::Int(n))) if *n >= 0 => from(*i).and_then(|i| {
            let end = i.saturating_add(usize::try_from(*n).ok()?).min(chars);
            Some((at(i)?, at(end)?))
        }),
        (Some(Value::Range { lo, hi, exclusive }), None) => {
            range_bounds(lo, hi, *exclusive, chars).and_then(|(a, b)| Some((at(a)?, at(b)?)))
        }
        (Some(Value::Str(sub)), None) => s.find(sub.as_str()).map(|i| (i, i + sub.len())),
        (Some(re @ Value::Regex { .. }), cap) => {
            let re = pattern(re)?;
            matched(&re, re.captures(s))?.and_then(|c| {
                let m = match cap {
                    None => c.get(0),
                    Some(Value::Int(i)) => usize::try_from(*i).ok().and_then(|i| c.get(i)),
                    Some(Value::Str(n) | Value::Sym(n)) => c.name(n),
                    Some(_) => None,
                };
                m.map(|m| (m.start(), m.end()))
            })
        }
        (Some(Value::Int(_)), Some(Value::Int(_))) => None,
        _ => {
            return Err(Flow::raise(
                "TypeError",
                "no implicit conversion into Integer",
            ))
        }
    })
}

/// Ruby's replacement string: `\0`/`\&` the match, `\1`…`\9` groups, `\k<name>` named
/// groups, `` \` `` and `\'` the text before and after, `\\` a backslash.
fn expand(rep: &str, caps: &rx::Captures<'_>, s: &str) -> String {
    let whole = caps.get(0);
    let mut t = String::new();
    let mut cs = rep.chars().peekable();
    while let Some(c) = cs.next() {
        if c != '\\' {
            t.push(c);
            continue;
        }
        match cs.peek().copied() {
            Some(d) if d.is_ascii_digit() => {
                cs.next();
                let i = d.to_digit(10).unwrap_or(0) as usize;
                t.push_str(caps.get(i).map_or("", |g| g.as_str()));
            }
            Some('&') => {
                cs.next();
                t.push_str(whole.map_or("", |m| m.as_str()));
            }
            Some('`') => {
                cs.next();
                t.push_str(whole.map_or("", |m| &s[..m.start()]));
            }
            Some('\'') => {
                cs.next();
                t.push_str(whole.map_or("", |m| &s[m.end()..]));
            }
            Some('k') => {
                let rest: String = cs.clone().skip(1).take_while(|c| *c != '>').collect();
                let closed = cs.clone().nth(1) == Some('<')
                    && cs.clone().nth(rest.chars().count() + 1) == Some('>');
                if closed {
                    let name = &rest[1..];
                    t.push_str(caps.name(name).map_or("", |g| g.as_str()));
                    for _ in 0..rest.chars().count() + 2 {
                        cs.next();
                    }
                } else {
                    t.push('\\');
                }
            }
            Some('\\') => {
                cs.next();
                t.push('\\');
            }
            _ => t.push('\\'),
        }
    }
    t
}

fn sub_or_gsub<E: Embedding>(
    me: &mut Interp<'_, E>,
    s: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    all: bool,
    off: u32,
) -> R<String> {
    let re = pattern(args.first().unwrap_or(&Value::Nil))?;
    let replacement = args.get(1).cloned();
    let found = if all {
        captures_all(&re, s)?
    } else {
        matched(&re, re.captures(s))?.into_iter().collect()
    };
    let mut out = String::new();
    let mut last = 0;
    for caps in found {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        let rep = match &replacement {
            Some(Value::Str(r)) => expand(r, &caps, s),
            Some(h @ Value::Hash(_)) => {
                to_s(h.hash_get(&Value::str(m.as_str())).unwrap_or(&Value::Nil))
            }
            Some(other) => to_s(other),
            None => match blk {
                Some(b) => {
                    let v = me.call_block(b, vec![Value::str(m.as_str())], off)?;
                    me.stringify(&v)?
                }
                None => {
                    return Err(Flow::raise(
                        "ArgumentError",
                        "wrong number of arguments (given 1, expected 2)",
                    ))
                }
            },
        };
        out.push_str(&rep);
        last = m.end();
        check_len(out.len())?;
    }
    out.push_str(&s[last..]);
    Ok(out)
}

fn char_len_at(s: &str, i: usize) -> usize {
    s[i..].chars().next().map_or(1, char::len_utf8)
}

/// `String#split` by a regexp, as Ruby's `rb_str_split_m`: groups are part of the result, an
/// empty match splits between characters, `limit` > 0 caps the number of fields.
fn split_regex(re: &rx::Regex, s: &str, lim: i64) -> R<Vec<String>> {
    let mut parts: Vec<String> = Vec::new();
    if lim == 1 {
        if !s.is_empty() {
            parts.push(s.to_string());
        }
        return Ok(parts);
    }
    let (mut beg, mut start, mut fields) = (0usize, 0usize, 1i64);
    let mut last_null = false;
    while start <= s.len() {
        let Some(caps) = matched(re, re.captures_from_pos(s, start))? else {
            break;
        };
        let Some(m) = caps.get(0) else { break };
        if start == m.start() && m.start() == m.end() {
            if s.is_empty() {
                parts.push(String::new());
                break;
            } else if last_null {
                let n = char_len_at(s, beg);
                parts.push(s[beg..(beg + n).min(s.len())].to_string());
                beg = start;
            } else {
                start += if start == s.len() {
                    1
                } else {
                    char_len_at(s, start)
                };
                last_null = true;
                continue;
            }
        } else {
            parts.push(s[beg..m.start()].to_string());
            beg = m.end();
            start = m.end();
        }
        last_null = false;
        parts.extend((1..caps.len()).filter_map(|i| caps.get(i).map(|g| g.as_str().to_string())));
        check_len(parts.len())?;
        if lim > 0 {
            fields += 1;
            if lim <= fields {
                break;
            }
        }
    }
    if !s.is_empty() && (lim > 0 || s.len() > beg || lim < 0) {
        parts.push(s.get(beg..).unwrap_or("").to_string());
    }
    Ok(parts)
}

pub(super) fn split(s: &str, sep: Option<&Value>, limit: Option<i64>) -> R<Vec<Value>> {
    let mut parts: Vec<String> = match sep {
        None | Some(Value::Nil) => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::Str(p)) if p == " " => s.split_whitespace().map(str::to_string).collect(),
        Some(Value::Str(p)) if p.is_empty() => s.chars().map(|c| c.to_string()).collect(),
        Some(Value::Str(p)) => match limit {
            Some(n) if n > 0 => s
                .splitn(n as usize, p.as_str())
                .map(str::to_string)
                .collect(),
            _ => s.split(p.as_str()).map(str::to_string).collect(),
        },
        Some(re @ Value::Regex { .. }) => split_regex(&pattern(re)?, s, limit.unwrap_or(0))?,
        Some(other) => {
            return Err(Flow::raise(
                "TypeError",
                format!(
                    "wrong argument type {} (expected Regexp)",
                    other.class_name()
                ),
            ))
        }
    };
    if limit.is_none_or(|n| n == 0) {
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
    }
    Ok(parts.into_iter().map(Value::Str).collect())
}

pub(super) fn lines(s: &str) -> Vec<Value> {
    s.split_inclusive('\n').map(Value::str).collect()
}

pub(super) fn chomp(s: &str, arg: Option<&Value>) -> String {
    match arg {
        Some(Value::Str(suffix)) => s.strip_suffix(suffix.as_str()).unwrap_or(s).to_string(),
        _ => s
            .strip_suffix("\r\n")
            .or_else(|| s.strip_suffix('\n'))
            .or_else(|| s.strip_suffix('\r'))
            .unwrap_or(s)
            .to_string(),
    }
}
