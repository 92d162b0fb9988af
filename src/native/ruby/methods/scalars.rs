//! Methods of numbers, and Kernel#format.

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
