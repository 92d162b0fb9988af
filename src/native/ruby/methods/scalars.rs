//! Methods of strings and numbers, and Kernel#format.

use crate::native::ruby::classes::MatchData;
use crate::native::ruby::methods::*;

/// Kernel#format with `%s %d %i %o %x %X %f %e %%` and flags, width, precision.
pub fn format(f: &str, args: &[Value]) -> R<String> {
    let mut out = String::new();
    let mut it = args.iter();
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut flags = String::new();
        while let Some(&fc) = chars.peek() {
            if "-+ 0#".contains(fc) {
                flags.push(fc);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut prec: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            prec = Some(p.parse().unwrap_or(0));
        }
        let Some(conv) = chars.next() else {
            return Err(Flow::raise("ArgumentError", "incomplete format specifier"));
        };
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = it
            .next()
            .ok_or_else(|| Flow::raise("ArgumentError", "too few arguments"))?;
        let as_int = || -> R<i64> {
            match arg {
                Value::Int(i) => Ok(*i),
                Value::Float(x) => Ok(x.floor() as i64),
                Value::Str(s) if s.trim().parse::<i64>().is_ok() => Ok(str_to_i(s, 10)),
                other => Err(Flow::raise(
                    "TypeError",
                    format!("can't convert {} into Integer", other.class_name()),
                )),
            }
        };
        let body = match conv {
            's' => {
                let s = to_s(arg);
                match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'p' => format!("{arg:?}"),
            'd' | 'i' | 'u' => {
                let n = as_int()?;
                if flags.contains('+') && n >= 0 {
                    format!("+{n}")
                } else {
                    n.to_string()
                }
            }
            'o' => {
                let n = as_int()?;
                let s = format!("{:o}", n.unsigned_abs());
                let s = if flags.contains('#') {
                    format!("0{s}")
                } else {
                    s
                };
                if n < 0 {
                    format!("-{s}")
                } else {
                    s
                }
            }
            'x' => format!("{:x}", as_int()?),
            'X' => format!("{:X}", as_int()?),
            'b' => format!("{:b}", as_int()?),
            'f' => {
                let x = num(arg).unwrap_or_else(|| str_to_f(&to_s(arg)));
                format!("{:.*}", prec.unwrap_or(6), x)
            }
            'e' => {
                let x = num(arg).unwrap_or(0.0);
                format!("{:.*e}", prec.unwrap_or(6), x)
            }
            other => {
                return Err(Flow::raise(
                    "ArgumentError",
                    format!("malformed format string - %{other}"),
                ))
            }
        };
        let w: usize = width.parse().unwrap_or(0);
        check_len(w)?;
        let len = body.chars().count();
        if len < w {
            let pad = w - len;
            if flags.contains('-') {
                out.push_str(&body);
                out.push_str(&" ".repeat(pad));
            } else if flags.contains('0') && conv != 's' {
                let (sign, digits) = match body.strip_prefix('-') {
                    Some(d) => ("-", d),
                    None => ("", body.as_str()),
                };
                out.push_str(sign);
                out.push_str(&"0".repeat(pad));
                out.push_str(digits);
            } else {
                out.push_str(&" ".repeat(pad));
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
        check_len(out.len())?;
    }
    Ok(out)
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

pub(super) fn sub_or_gsub<E: Embedding>(
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

pub(super) fn string_method<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &mut Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let Value::Str(owned) = &*recv else {
        return None;
    };
    let owned = owned.clone();
    let s = &owned;
    let a0 = args.first();
    let r: R = (|| {
        Ok(match name {
            "to_s" | "to_str" => Value::Str(s.clone()),
            "to_sym" | "intern" => Value::Sym(s.clone()),
            "to_i" => Value::Int(str_to_i(
                s,
                int_arg(args, 0).map_or(10, |b| b.clamp(2, 36) as u32),
            )),
            "hex" => Value::Int(str_to_i(s, 16)),
            "oct" => Value::Int(str_to_i(s, 8)),
            "to_f" => Value::Float(str_to_f(s)),
            "strip" => Value::str(s.trim_matches(|c: char| c.is_whitespace() || c == '\0')),
            "lstrip" => Value::str(s.trim_start()),
            "rstrip" => Value::str(s.trim_end_matches(|c: char| c.is_whitespace() || c == '\0')),
            "chomp" => Value::Str(chomp(s, a0)),
            "chop" => {
                let mut t = s.clone();
                t.pop();
                Value::Str(t)
            }
            "strip!" | "chomp!" | "downcase!" | "upcase!" | "squeeze!" | "gsub!" | "sub!" => {
                let base = name.trim_end_matches('!');
                let mut copy = Value::Str(s.clone());
                let new =
                    string_method(me, &mut copy, base, args, blk, off).unwrap_or(Ok(Value::Nil))?;
                let changed = new != *recv;
                *recv = new;
                return Ok(if changed { recv.clone() } else { Value::Nil });
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
            "length" | "size" => Value::Int(s.chars().count() as i64),
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
            "include?" => match a0 {
                Some(Value::Str(p)) => Value::Bool(s.contains(p.as_str())),
                _ => {
                    return Err(Flow::raise(
                        "TypeError",
                        "no implicit conversion into String",
                    ))
                }
            },
            "lines" => Value::Array(lines(s)),
            "chars" => Value::Array(s.chars().map(|c| Value::Str(c.to_string())).collect()),
            "bytes" => Value::Array(s.bytes().map(|b| Value::Int(i64::from(b))).collect()),
            "ord" => Value::Int(s.chars().next().map_or(0, |c| c as i64)),
            "each_line" | "each_char" => {
                let items = if name == "each_line" {
                    lines(s)
                } else {
                    s.chars().map(|c| Value::Str(c.to_string())).collect()
                };
                let Some(b) = blk else {
                    return enumerator::make(items, name, args).unwrap_or(Ok(Value::Nil));
                };
                let orig = recv.clone();
                for l in items {
                    match me.call_block(b, vec![l], off) {
                        Ok(_) => {}
                        Err(Flow::Break(v)) => return Ok(v),
                        Err(e) => return Err(e),
                    }
                }
                orig
            }
            "split" => Value::Array(split(s, a0, int_arg(args, 1))?),
            "gsub" | "sub" => Value::Str(sub_or_gsub(me, s, args, blk, name == "gsub", off)?),
            "tr" => {
                let (Some(Value::Str(from)), Some(Value::Str(to))) = (a0, args.get(1)) else {
                    return Err(Flow::raise("ArgumentError", "tr needs two strings"));
                };
                let expand = |p: &str| -> Vec<char> {
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
                };
                let (f, t) = (expand(from), expand(to));
                Value::Str(
                    s.chars()
                        .filter_map(|c| match f.iter().position(|x| *x == c) {
                            Some(i) => t.get(i).or(t.last()).copied(),
                            None => Some(c),
                        })
                        .collect(),
                )
            }
            "delete" => match a0 {
                Some(Value::Str(chars)) => {
                    Value::Str(s.chars().filter(|c| !chars.contains(*c)).collect())
                }
                _ => {
                    return Err(Flow::raise(
                        "TypeError",
                        "no implicit conversion into String",
                    ))
                }
            },
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
            "scan" => {
                let re = pattern(a0.unwrap_or(&Value::Nil))?;
                let group = |c: &rx::Captures<'_>, i: usize| {
                    c.get(i).map_or(Value::Nil, |m| Value::str(m.as_str()))
                };
                let found = captures_all(&re, s)?;
                let items: Vec<Value> = found
                    .iter()
                    .map(|c| {
                        if c.len() > 1 {
                            Value::Array((1..c.len()).map(|i| group(c, i)).collect())
                        } else {
                            group(c, 0)
                        }
                    })
                    .collect();
                match blk {
                    Some(b) => {
                        for item in items {
                            match me.call_block(b, vec![item], off) {
                                Ok(_) => {}
                                Err(Flow::Break(v)) => return Ok(v),
                                Err(e) => return Err(e),
                            }
                        }
                        recv.clone()
                    }
                    None => Value::Array(items),
                }
            }
            "match" => {
                let re = as_regexp(a0.unwrap_or(&Value::Nil))?;
                let md = matched(&re, re.captures(s.as_str()))?.map(|c| MatchData::new(&re, &c, s));
                crate::native::ruby::classes::set_last_match(md.clone());
                md.map_or(Value::Nil, native)
            }
            "match?" => Value::Bool(find(a0.unwrap_or(&Value::Nil), s)?.is_some()),
            "=~" => binop(
                BinOp::Match,
                recv.clone(),
                a0.cloned().unwrap_or(Value::Nil),
            )?,
            "casecmp" => match a0 {
                Some(Value::Str(o)) => Value::Int(s.to_lowercase().cmp(&o.to_lowercase()) as i64),
                _ => Value::Nil,
            },
            "casecmp?" => match a0 {
                Some(Value::Str(o)) => Value::Bool(s.to_lowercase() == o.to_lowercase()),
                _ => Value::Nil,
            },
            "ljust" | "rjust" => {
                let w = int_arg(args, 0).unwrap_or(0).max(0) as usize;
                let pad = match args.get(1) {
                    Some(Value::Str(p)) if !p.is_empty() => p.clone(),
                    _ => " ".into(),
                };
                let n = s.chars().count();
                if n >= w {
                    Value::Str(s.clone())
                } else {
                    check_len(w)?;
                    let fill: String = pad.chars().cycle().take(w - n).collect();
                    Value::Str(if name == "ljust" {
                        format!("{s}{fill}")
                    } else {
                        format!("{fill}{s}")
                    })
                }
            }
            "%" => Value::Str(format(
                s,
                &match a0 {
                    Some(Value::Array(a)) => a.clone(),
                    Some(v) => vec![v.clone()],
                    None => vec![],
                },
            )?),
            "between?" => {
                let (Some(a), Some(b)) = (a0, args.get(1)) else {
                    return Err(Flow::raise("ArgumentError", "between? needs 2 arguments"));
                };
                Value::Bool(
                    compare(recv, a) != Some(Ordering::Less)
                        && compare(recv, b) != Some(Ordering::Greater),
                )
            }
            "[]" | "slice" => match (a0, args.get(1)) {
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
                    match matched(&re, re.captures(s.as_str()))? {
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
            },
            "<<" | "concat" => {
                let add = args.iter().map(to_s).collect::<String>();
                check_len(s.len() + add.len())?;
                *recv = Value::Str(format!("{s}{add}"));
                recv.clone()
            }
            "+" | "*" | "<" | "<=" | ">" | ">=" | "<=>" => {
                let op = match name {
                    "+" => BinOp::Add,
                    "*" => BinOp::Mul,
                    "<" => BinOp::Lt,
                    "<=" => BinOp::Le,
                    ">" => BinOp::Gt,
                    ">=" => BinOp::Ge,
                    _ => BinOp::Cmp,
                };
                binop(op, recv.clone(), a0.cloned().unwrap_or(Value::Nil))?
            }
            "to_a" => return Err(no_method(name, recv)),
            _ => return Err(Flow::Next(Value::Nil)),
        })
    })();
    match r {
        Err(Flow::Next(_)) => None,
        other => Some(other),
    }
}

pub(super) fn number_method<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &mut Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let v = recv.clone();
    let f = num(&v).unwrap_or(0.0);
    Some(Ok(match (name, &v) {
        ("to_i", Value::Float(x)) => {
            if !x.is_finite() {
                return Some(Err(Flow::raise("FloatDomainError", float_to_s(*x))));
            }
            Value::Int(x.trunc() as i64)
        }
        ("to_i", _) => v.clone(),
        ("to_f", _) => Value::Float(f),
        ("to_s", Value::Int(i)) => match int_arg(args, 0) {
            Some(8) => Value::Str(format!("{:o}", i)),
            Some(16) => Value::Str(format!("{:x}", i)),
            Some(2) => Value::Str(format!("{:b}", i)),
            _ => Value::Str(i.to_string()),
        },
        ("zero?", _) => Value::Bool(f == 0.0),
        ("nonzero?", _) => {
            if f == 0.0 {
                Value::Nil
            } else {
                v.clone()
            }
        }
        ("positive?", _) => Value::Bool(f > 0.0),
        ("negative?", _) => Value::Bool(f < 0.0),
        ("even?", Value::Int(i)) => Value::Bool(i % 2 == 0),
        ("odd?", Value::Int(i)) => Value::Bool(i % 2 != 0),
        ("integer?", _) => Value::Bool(matches!(v, Value::Int(_))),
        ("nan?", _) => Value::Bool(f.is_nan()),
        ("finite?", _) => Value::Bool(f.is_finite()),
        ("abs", Value::Int(i)) => Value::Int(i.checked_abs().unwrap_or(i64::MAX)),
        ("abs", _) => Value::Float(f.abs()),
        ("succ", Value::Int(i)) => Value::Int(i.saturating_add(1)),
        ("pred", Value::Int(i)) => Value::Int(i.saturating_sub(1)),
        ("chr", Value::Int(i)) => Value::Str(
            u32::try_from(*i)
                .ok()
                .and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_default(),
        ),
        ("floor", Value::Float(x)) => Value::Int(x.floor() as i64),
        ("ceil", Value::Float(x)) => Value::Int(x.ceil() as i64),
        ("round", Value::Float(x)) => match int_arg(args, 0) {
            Some(d) if d > 0 => {
                let p = 10f64.powi(d.min(15) as i32);
                Value::Float((x * p).round() / p)
            }
            _ => Value::Int(x.round() as i64),
        },
        ("floor" | "ceil" | "round", Value::Int(_)) => v.clone(),
        ("clamp", _) => {
            let (lo, hi) = match (args.first(), args.get(1)) {
                (Some(Value::Range { lo, hi, .. }), None) => ((**lo).clone(), (**hi).clone()),
                (Some(lo), Some(hi)) => (lo.clone(), hi.clone()),
                _ => {
                    return Some(Err(Flow::raise(
                        "ArgumentError",
                        "wrong number of arguments (expected 1..2)",
                    )))
                }
            };
            if compare(&v, &lo) == Some(Ordering::Less) {
                lo
            } else if compare(&v, &hi) == Some(Ordering::Greater) {
                hi
            } else {
                v.clone()
            }
        }
        ("between?", _) => {
            let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
                return Some(Err(Flow::raise(
                    "ArgumentError",
                    "between? needs 2 arguments",
                )));
            };
            Value::Bool(
                compare(&v, a) != Some(Ordering::Less) && compare(&v, b) != Some(Ordering::Greater),
            )
        }
        ("times" | "upto" | "downto", Value::Int(i)) => {
            let items: Vec<i64> = match name {
                "times" => (0..*i).take(MAX_ITEMS).collect(),
                "upto" => (*i..=int_arg(args, 0).unwrap_or(*i))
                    .take(MAX_ITEMS)
                    .collect(),
                _ => (int_arg(args, 0).unwrap_or(*i)..=*i)
                    .rev()
                    .take(MAX_ITEMS)
                    .collect(),
            };
            let Some(b) = blk else {
                return enumerator::make(items.into_iter().map(Value::Int).collect(), name, args);
            };
            for n in items {
                match me.call_block(b, vec![Value::Int(n)], off) {
                    Ok(_) => {}
                    Err(Flow::Break(v)) => return Some(Ok(v)),
                    Err(e) => return Some(Err(e)),
                }
            }
            v.clone()
        }
        _ => return None,
    }))
}
