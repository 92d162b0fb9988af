//! Builtin methods of plain values (String, Symbol, Integer, Float, Array, Hash, Range,
//! Regexp, nil, booleans), Kernel functions (`format`, `Integer()`, `raise`) and operators.

use std::cmp::Ordering;

use super::eval::{no_method, overflow, Blk};
use super::objects::{as_native, native, ClassRef};
use super::{Flow, Interp, MAX_ITEMS, MAX_STRING, R};
use crate::native::rx;
use crate::native::value::{float_to_s, Value};
use crate::profile::ast::BinOp;

/// Every builtin method name the interpreter implements on some plain value (for static
/// coverage: a call to a name outside this list, the DSL and the resources is unsupported).
pub const BUILTIN_METHODS: &[&str] = &[
    "!",
    "!=",
    "%",
    "&",
    "*",
    "+",
    "-",
    "/",
    "<",
    "<<",
    "<=",
    "<=>",
    "==",
    "===",
    "=~",
    ">",
    ">=",
    "[]",
    "[]=",
    "^",
    "|",
    "abs",
    "all?",
    "any?",
    "append",
    "between?",
    "bytes",
    "capitalize",
    "captures",
    "casecmp",
    "casecmp?",
    "ceil",
    "chars",
    "chomp",
    "chomp!",
    "chop",
    "class",
    "clear",
    "collect",
    "compact",
    "compact!",
    "concat",
    "count",
    "cover?",
    "delete",
    "delete_if",
    "detect",
    "dig",
    "downcase",
    "downcase!",
    "drop",
    "dup",
    "clone",
    "each",
    "each_char",
    "each_key",
    "each_line",
    "each_pair",
    "each_value",
    "each_with_index",
    "each_with_object",
    "empty?",
    "end_with?",
    "entries",
    "eql?",
    "equal?",
    "even?",
    "fetch",
    "filter",
    "filter_map",
    "find",
    "find_all",
    "find_index",
    "first",
    "flat_map",
    "flatten",
    "flatten!",
    "floor",
    "freeze",
    "frozen?",
    "gsub",
    "gsub!",
    "group_by",
    "has_key?",
    "has_value?",
    "hex",
    "include?",
    "index",
    "inject",
    "insert",
    "inspect",
    "instance_of?",
    "is_a?",
    "join",
    "keep_if",
    "key",
    "key?",
    "keys",
    "kind_of?",
    "last",
    "length",
    "lines",
    "ljust",
    "rjust",
    "lstrip",
    "map",
    "map!",
    "collect!",
    "match",
    "match?",
    "max",
    "max_by",
    "member?",
    "merge",
    "merge!",
    "min",
    "min_by",
    "negative?",
    "nil?",
    "none?",
    "nonzero?",
    "oct",
    "odd?",
    "one?",
    "partition",
    "pop",
    "positive?",
    "pred",
    "prepend",
    "push",
    "reduce",
    "reject",
    "reject!",
    "replace",
    "respond_to?",
    "reverse",
    "reverse!",
    "round",
    "rstrip",
    "scan",
    "select",
    "select!",
    "send",
    "public_send",
    "shift",
    "size",
    "slice",
    "sort",
    "sort!",
    "sort_by",
    "source",
    "split",
    "squeeze",
    "squeeze!",
    "start_with?",
    "step",
    "store",
    "strip",
    "strip!",
    "sub",
    "sub!",
    "succ",
    "sum",
    "swapcase",
    "take",
    "take_while",
    "drop_while",
    "tally",
    "times",
    "to_a",
    "to_f",
    "to_h",
    "to_i",
    "to_s",
    "to_str",
    "to_sym",
    "tr",
    "transform_values",
    "transform_keys",
    "uniq",
    "uniq!",
    "unshift",
    "upcase",
    "upcase!",
    "update",
    "upto",
    "downto",
    "value?",
    "values",
    "values_at",
    "zero?",
    "zip",
    "then",
    "tap",
    "itself",
    "grep",
    "grep_v",
    "intern",
    "each_slice",
    "sum",
    "sort_by",
    "ord",
    "chr",
    "min_max",
    "abs",
    "to_r",
    "nan?",
    "finite?",
    "integer?",
    "length",
    "exclude_end?",
    "begin",
    "end",
    "object_id",
];

/// Kernel functions callable without receiver.
pub const KERNEL_FUNCTIONS: &[&str] = &[
    "format",
    "sprintf",
    "Integer",
    "Float",
    "String",
    "Array",
    "puts",
    "p",
    "print",
    "warn",
    "raise",
    "fail",
    "require",
    "require_relative",
];

/// Ruby's `to_s` of plain values (resources give their InSpec `to_s`).
pub fn to_s(v: &Value) -> String {
    match v {
        Value::Nil => String::new(),
        Value::Str(s) | Value::Sym(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => float_to_s(*f),
        Value::Bool(b) => b.to_string(),
        Value::Regex { source, flags } => {
            let on: String = ['m', 'i', 'x']
                .iter()
                .filter(|c| flags.contains(**c))
                .collect();
            let off: String = ['m', 'i', 'x']
                .iter()
                .filter(|c| !flags.contains(**c))
                .collect();
            let off = if off.is_empty() {
                String::new()
            } else {
                format!("-{off}")
            };
            format!("(?{on}{off}:{source})")
        }
        Value::Resource(r) => r.to_s(),
        Value::Table(t) => t.name.clone(),
        Value::Native(_) => {
            if let Some(c) = as_native::<ClassRef>(v) {
                return c.0.clone();
            }
            if let Some(e) = as_native::<super::objects::Exception>(v) {
                return e.0.message.clone();
            }
            format!("{v:?}")
        }
        other => format!("{other:?}"),
    }
}

/// Inserts or replaces a key (Hash keeps insertion order).
pub fn hash_set(pairs: &mut Vec<(Value, Value)>, k: Value, v: Value) {
    if let Some(slot) = pairs.iter_mut().find(|(key, _)| *key == k) {
        slot.1 = v;
    } else {
        pairs.push((k, v));
    }
}

/// The elements an `each` would yield.
pub fn iterate(v: &Value) -> R<Vec<Value>> {
    match v {
        Value::Array(a) => Ok(a.clone()),
        Value::Hash(h) => Ok(h
            .iter()
            .map(|(k, v)| Value::Array(vec![k.clone(), v.clone()]))
            .collect()),
        Value::Range { lo, hi, exclusive } => match (&**lo, &**hi) {
            (Value::Int(a), Value::Int(b)) => {
                let end = if *exclusive { *b } else { b.saturating_add(1) };
                if end.saturating_sub(*a) > MAX_ITEMS as i64 {
                    return Err(Flow::raise("RuntimeError", "range too large"));
                }
                Ok((*a..end).map(Value::Int).collect())
            }
            _ => Err(Flow::raise(
                "TypeError",
                "can't iterate a non-integer range",
            )),
        },
        Value::Table(t) => Ok((0..t.rows.len())
            .map(|i| native(super::table::Row::new(t.clone(), i)))
            .collect()),
        other => Err(no_method("each", other)),
    }
}

pub fn is_a(v: &Value, class: &str) -> bool {
    let own = v.class_name();
    own == class
        || class == "Object"
        || (class == "Numeric" && matches!(v, Value::Int(_) | Value::Float(_)))
        || (class == "Comparable" && matches!(v, Value::Int(_) | Value::Float(_) | Value::Str(_)))
        || (class == "Enumerable"
            && matches!(v, Value::Array(_) | Value::Hash(_) | Value::Range { .. }))
}

/// `pattern === v` (case/when, `grep`, FilterTable criteria).
pub fn case_eq(pattern: &Value, v: &Value) -> R<bool> {
    Ok(match pattern {
        Value::Regex { source, flags } => match v {
            Value::Str(s) | Value::Sym(s) => regex(source, flags)?.is_match(s),
            _ => false,
        },
        Value::Range { lo, hi, exclusive } => in_range(lo, hi, *exclusive, v),
        Value::Native(_) => match as_native::<ClassRef>(pattern) {
            Some(c) => is_a(v, &c.0),
            None => pattern == v,
        },
        _ => pattern == v,
    })
}

fn in_range(lo: &Value, hi: &Value, exclusive: bool, v: &Value) -> bool {
    let (Some(a), Some(b)) = (compare(lo, v), compare(v, hi)) else {
        return false;
    };
    a != Ordering::Greater && (b == Ordering::Less || (!exclusive && b == Ordering::Equal))
}

/// Ruby's `<=>` for comparable plain values.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) | (Value::Sym(x), Value::Sym(y)) => Some(x.cmp(y)),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                match compare(p, q)? {
                    Ordering::Equal => {}
                    o => return Some(o),
                }
            }
            Some(x.len().cmp(&y.len()))
        }
        _ => None,
    }
}

pub fn regex(source: &str, flags: &str) -> R<regex::Regex> {
    rx::compile(source, flags).map_err(|construct| Flow::Unsupported {
        construct,
        at: String::new(),
    })
}

/// The byte position of `pattern`'s first match in `s` (lookahead conjunctions included).
pub fn find(pattern: &Value, s: &str) -> R<Option<usize>> {
    match pattern {
        Value::Regex { source, flags } => {
            rx::find(source, flags, s).map_err(|construct| Flow::Unsupported {
                construct,
                at: String::new(),
            })
        }
        other => Ok(as_regexp(other)?.find(s).map(|m| m.start())),
    }
}

/// `String#match`'s argument: a Regexp, or a String compiled as one (as Ruby does).
pub fn as_regexp(v: &Value) -> R<regex::Regex> {
    match v {
        Value::Str(s) => regex(s, ""),
        other => pattern(other),
    }
}

/// A pattern argument: a Regexp, or a String matched literally.
pub fn pattern(v: &Value) -> R<regex::Regex> {
    match v {
        Value::Regex { source, flags } => regex(source, flags),
        Value::Str(s) => regex(&regex::escape(s), ""),
        other => Err(Flow::raise(
            "TypeError",
            format!(
                "wrong argument type {} (expected Regexp)",
                other.class_name()
            ),
        )),
    }
}

fn cmp_err(a: &Value, b: &Value) -> Flow {
    Flow::raise(
        "ArgumentError",
        format!("comparison of {} with {:?} failed", a.class_name(), b),
    )
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// Deepest nesting of arrays and hashes a value may have (printing and comparing values
/// recurses through them).
pub const MAX_NESTING: usize = 256;

/// Rejects values nested deeper than [`MAX_NESTING`] (walked without recursion).
pub fn check_depth(v: &Value) -> R<()> {
    let mut stack: Vec<(&Value, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        if d > MAX_NESTING {
            return Err(Flow::raise(
                "RuntimeError",
                format!("value nested deeper than {MAX_NESTING} levels"),
            ));
        }
        match v {
            Value::Array(items) => stack.extend(
                items
                    .iter()
                    .filter(|x| matches!(x, Value::Array(_) | Value::Hash(_)))
                    .map(|x| (x, d + 1)),
            ),
            Value::Hash(pairs) => stack.extend(
                pairs
                    .iter()
                    .flat_map(|(k, x)| [k, x])
                    .filter(|x| matches!(x, Value::Array(_) | Value::Hash(_)))
                    .map(|x| (x, d + 1)),
            ),
            _ => {}
        }
    }
    Ok(())
}

fn check_len(n: usize) -> R<()> {
    if n > MAX_STRING {
        return Err(Flow::raise("RuntimeError", "value too large"));
    }
    Ok(())
}

/// Binary operators on plain values.
pub fn binop(op: BinOp, l: Value, r: Value) -> R {
    use Value::*;
    Ok(match (op, &l, &r) {
        (BinOp::Eq, _, _) => Bool(l == r),
        (BinOp::NotEq, _, _) => Bool(l != r),
        (BinOp::CaseEq, _, _) => Bool(case_eq(&l, &r)?),
        (BinOp::Match, _, _) | (BinOp::NotMatch, _, _) => {
            let (s, p) = match (&l, &r) {
                (Str(s), p @ Regex { .. }) | (p @ Regex { .. }, Str(s)) => (s.clone(), p.clone()),
                (Nil, _) | (_, Nil) => {
                    return Ok(if op == BinOp::Match { Nil } else { Bool(true) })
                }
                (Sym(s), p @ Regex { .. }) => (s.clone(), p.clone()),
                _ => return Ok(if op == BinOp::Match { Nil } else { Bool(true) }),
            };
            let pos =
                find(&p, &s)?.map(|start| Int(s.get(..start).unwrap_or("").chars().count() as i64));
            if op == BinOp::Match {
                pos.unwrap_or(Nil)
            } else {
                Bool(pos.is_none())
            }
        }
        (BinOp::Cmp, _, _) => compare(&l, &r).map_or(Nil, |o| Int(o as i64)),
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, _, _) => {
            let o = match (&l, &r) {
                (Array(_), _) | (_, Array(_)) => None,
                _ => compare(&l, &r),
            }
            .ok_or_else(|| cmp_err(&l, &r))?;
            Bool(match op {
                BinOp::Lt => o == Ordering::Less,
                BinOp::Le => o != Ordering::Greater,
                BinOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })
        }
        (BinOp::Add, Int(a), Int(b)) => Int(a.checked_add(*b).ok_or_else(overflow)?),
        (BinOp::Sub, Int(a), Int(b)) => Int(a.checked_sub(*b).ok_or_else(overflow)?),
        (BinOp::Mul, Int(a), Int(b)) => Int(a.checked_mul(*b).ok_or_else(overflow)?),
        (BinOp::Div, Int(_), Int(0)) | (BinOp::Mod, Int(_), Int(0)) => {
            return Err(Flow::raise("ZeroDivisionError", "divided by 0"))
        }
        (BinOp::Div, Int(a), Int(b)) => Int(a.checked_div_euclid(*b).map_or_else(
            || Err(overflow()),
            |_| Ok(((*a as f64) / (*b as f64)).floor() as i64),
        )?),
        (BinOp::Mod, Int(a), Int(b)) => Int(a.checked_rem_euclid(*b).ok_or_else(overflow)?
            + if *b < 0 && a.rem_euclid(*b) != 0 {
                *b
            } else {
                0
            }),
        (BinOp::Pow, Int(a), Int(b)) if *b >= 0 => Int(u32::try_from(*b)
            .ok()
            .and_then(|e| a.checked_pow(e))
            .ok_or_else(overflow)?),
        (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Pow | BinOp::Mod, _, _)
            if num(&l).is_some() && num(&r).is_some() =>
        {
            let (a, b) = (num(&l).unwrap_or(0.0), num(&r).unwrap_or(0.0));
            Float(match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                BinOp::Mod => a.rem_euclid(b),
                _ => a.powf(b),
            })
        }
        (BinOp::Add, Str(a), Str(b)) => {
            check_len(a.len() + b.len())?;
            Str(format!("{a}{b}"))
        }
        (BinOp::Mul, Str(a), Int(n)) => {
            let n = usize::try_from(*n)
                .map_err(|_| Flow::raise("ArgumentError", "negative argument"))?;
            check_len(a.len().saturating_mul(n))?;
            Str(a.repeat(n))
        }
        (BinOp::Mod, Str(f), _) => {
            let args = match &r {
                Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            Str(format(f, &args)?)
        }
        (BinOp::Add, Array(a), Array(b)) => {
            check_len(a.len() + b.len())?;
            Array(a.iter().chain(b).cloned().collect())
        }
        (BinOp::Sub, Array(a), Array(b)) => {
            Array(a.iter().filter(|x| !b.contains(x)).cloned().collect())
        }
        (BinOp::BitAnd, Array(a), Array(b)) => {
            let mut out: Vec<Value> = Vec::new();
            for x in a {
                if b.contains(x) && !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Array(out)
        }
        (BinOp::BitOr, Array(a), Array(b)) => {
            let mut out: Vec<Value> = Vec::new();
            for x in a.iter().chain(b) {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Array(out)
        }
        (BinOp::Mul, Array(a), Str(sep)) => Str(join(a, sep)),
        (BinOp::BitAnd, Int(a), Int(b)) => Int(a & b),
        (BinOp::BitOr, Int(a), Int(b)) => Int(a | b),
        (BinOp::BitXor, Int(a), Int(b)) => Int(a ^ b),
        (BinOp::Shl, Int(a), Int(b)) => Int(u32::try_from(*b)
            .ok()
            .filter(|s| *s < 63)
            .and_then(|s| a.checked_shl(s))
            .ok_or_else(overflow)?),
        (BinOp::Shr, Int(a), Int(b)) => Int(u32::try_from(*b).map_or(0, |s| a >> s.min(63))),
        (BinOp::BitAnd, Bool(a), _) => Bool(*a && r.truthy()),
        (BinOp::BitOr, Bool(a), _) => Bool(*a || r.truthy()),
        (BinOp::Shl, Array(a), _) => {
            let mut a = a.clone();
            a.push(r.clone());
            Array(a)
        }
        (BinOp::Shl, Str(a), _) => Str(format!("{a}{}", to_s(&r))),
        _ => return Err(no_method(op.as_str(), &l)),
    })
}

fn join(items: &[Value], sep: &str) -> String {
    items
        .iter()
        .map(|v| match v {
            Value::Array(a) => join(a, sep),
            other => to_s(other),
        })
        .collect::<Vec<_>>()
        .join(sep)
}

fn int_arg(args: &[Value], i: usize) -> Option<i64> {
    match args.get(i) {
        Some(Value::Int(n)) => Some(*n),
        Some(Value::Float(f)) => Some(*f as i64),
        _ => None,
    }
}

/// `String#to_i`: leading optional sign and digits (with `_`), else 0.
pub fn str_to_i(s: &str, base: u32) -> i64 {
    let t = s.trim_start();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let t = if base == 16 {
        t.strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t)
    } else if base == 8 {
        t.strip_prefix("0o").unwrap_or(t)
    } else {
        t
    };
    let mut n: i64 = 0;
    for c in t.chars() {
        if c == '_' {
            continue;
        }
        let Some(d) = c.to_digit(base) else { break };
        n = n
            .saturating_mul(i64::from(base))
            .saturating_add(i64::from(d));
    }
    if neg {
        -n
    } else {
        n
    }
}

/// `String#to_f`: the longest leading float, else 0.0.
pub fn str_to_f(s: &str) -> f64 {
    let t = s.trim_start();
    let mut end = 0;
    let b = t.as_bytes();
    let mut seen_dot = false;
    let mut seen_e = false;
    while end < b.len() {
        let c = b[end];
        let ok = c.is_ascii_digit()
            || ((c == b'-' || c == b'+') && (end == 0 || matches!(b[end - 1], b'e' | b'E')))
            || (c == b'.' && !seen_dot && !seen_e)
            || ((c == b'e' || c == b'E') && !seen_e && end > 0);
        if !ok {
            break;
        }
        seen_dot |= c == b'.';
        seen_e |= c == b'e' || c == b'E';
        end += 1;
    }
    let mut cand = &t[..end];
    while !cand.is_empty() {
        if let Ok(f) = cand.parse::<f64>() {
            return f;
        }
        cand = &cand[..cand.len() - 1];
    }
    0.0
}

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

/// Kernel functions (`format`, `Integer()`, `raise` ...). None: not one.
pub fn call_kernel(name: &str, args: &[Value]) -> Option<R> {
    let first = args.first().cloned().unwrap_or(Value::Nil);
    Some(match name {
        "format" | "sprintf" => match &first {
            Value::Str(f) => format(f, args.get(1..).unwrap_or(&[])).map(Value::Str),
            _ => Err(Flow::raise("TypeError", "format string must be a String")),
        },
        "Integer" => match &first {
            Value::Int(_) => Ok(first),
            Value::Float(f) => Ok(Value::Int(*f as i64)),
            Value::Str(s) => {
                let t = s.trim().replace('_', "");
                let parsed = if let Some(h) = t.strip_prefix("0x") {
                    i64::from_str_radix(h, 16).ok()
                } else if t.len() > 1 && t.starts_with('0') && t.chars().all(|c| c.is_ascii_digit())
                {
                    i64::from_str_radix(&t[1..], 8).ok()
                } else {
                    t.parse::<i64>().ok()
                };
                parsed.map(Value::Int).ok_or_else(|| {
                    Flow::raise(
                        "ArgumentError",
                        format!("invalid value for Integer(): {s:?}"),
                    )
                })
            }
            other => Err(Flow::raise(
                "TypeError",
                format!("can't convert {} into Integer", other.class_name()),
            )),
        },
        "Float" => match &first {
            Value::Int(i) => Ok(Value::Float(*i as f64)),
            Value::Float(_) => Ok(first),
            Value::Str(s) => s.trim().parse::<f64>().map(Value::Float).map_err(|_| {
                Flow::raise("ArgumentError", format!("invalid value for Float(): {s:?}"))
            }),
            other => Err(Flow::raise(
                "TypeError",
                format!("can't convert {} into Float", other.class_name()),
            )),
        },
        "String" => Ok(Value::Str(to_s(&first))),
        "Array" => Ok(match first {
            Value::Nil => Value::Array(Vec::new()),
            Value::Array(_) => first,
            Value::Hash(_) => Value::Array(iterate(&first).unwrap_or_default()),
            other => Value::Array(vec![other]),
        }),
        "puts" | "p" | "print" | "warn" | "require" | "require_relative" => Ok(Value::Nil),
        "raise" | "fail" => Err(match (&first, args.get(1)) {
            (Value::Native(_), msg) => {
                let class = as_native::<ClassRef>(&first)
                    .map_or("RuntimeError".to_string(), |c| c.0.clone());
                Flow::raise(&class, msg.map(to_s).unwrap_or_else(|| class.clone()))
            }
            (v, _) => Flow::raise("RuntimeError", to_s(v)),
        }),
        _ => return None,
    })
}

/// Iterators that return an Enumerator without a block (not part of the subset).
pub const NEEDS_BLOCK: &[&str] = &[
    "each",
    "each_with_index",
    "each_with_object",
    "each_line",
    "each_char",
    "each_key",
    "each_value",
    "each_pair",
    "map",
    "collect",
    "flat_map",
    "filter_map",
    "select",
    "filter",
    "find_all",
    "reject",
    "partition",
    "find",
    "detect",
    "min_by",
    "max_by",
    "sort_by",
    "group_by",
    "take_while",
    "drop_while",
    "times",
    "upto",
    "downto",
    "transform_values",
    "transform_keys",
];

fn without_block(name: &str) -> Flow {
    Flow::Unsupported {
        construct: format!("`{name}` without a block (Enumerator)"),
        at: String::new(),
    }
}

fn block_or_err<'a>(blk: Option<Blk<'a>>, name: &str) -> R<Blk<'a>> {
    blk.ok_or_else(|| without_block(name))
}

/// Ruby's `dig` through hashes and arrays.
pub fn dig(v: &Value, keys: &[Value]) -> Value {
    let mut cur = v.clone();
    for k in keys {
        cur = match (&cur, k) {
            (Value::Hash(_), _) => cur.hash_get(k).cloned().unwrap_or(Value::Nil),
            (Value::Array(a), Value::Int(i)) => index_array(a, *i).unwrap_or(Value::Nil),
            _ => return Value::Nil,
        };
    }
    cur
}

fn index_array(a: &[Value], i: i64) -> Option<Value> {
    let idx = if i < 0 { a.len() as i64 + i } else { i };
    usize::try_from(idx).ok().and_then(|i| a.get(i)).cloned()
}

fn range_bounds(lo: &Value, hi: &Value, exclusive: bool, len: usize) -> Option<(usize, usize)> {
    let (Value::Int(a), Value::Int(b)) = (lo, hi) else {
        return None;
    };
    let len = len as i64;
    let a = if *a < 0 { len + a } else { *a };
    let mut b = if *b < 0 { len + b } else { *b };
    if !exclusive {
        b += 1;
    }
    if a < 0 || a > len {
        return None;
    }
    let b = b.clamp(a, len);
    Some((a as usize, b as usize))
}

fn sub_or_gsub(
    me: &mut Interp<'_>,
    s: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    all: bool,
    off: u32,
) -> R<String> {
    let re = pattern(args.first().unwrap_or(&Value::Nil))?;
    let replacement = args.get(1).cloned();
    let mut out = String::new();
    let mut last = 0;
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        let rep = match &replacement {
            Some(Value::Str(r)) => {
                let mut t = String::new();
                let mut cs = r.chars().peekable();
                while let Some(c) = cs.next() {
                    if c == '\\' {
                        match cs.peek().copied() {
                            Some(d) if d.is_ascii_digit() => {
                                cs.next();
                                let i = d.to_digit(10).unwrap_or(0) as usize;
                                t.push_str(caps.get(i).map_or("", |g| g.as_str()));
                            }
                            Some('\\') => {
                                cs.next();
                                t.push('\\');
                            }
                            _ => t.push('\\'),
                        }
                    } else {
                        t.push(c);
                    }
                }
                t
            }
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
        if !all {
            break;
        }
    }
    out.push_str(&s[last..]);
    Ok(out)
}

fn split(s: &str, sep: Option<&Value>, limit: Option<i64>) -> R<Vec<Value>> {
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
        Some(re @ Value::Regex { .. }) => {
            let re = pattern(re)?;
            match limit {
                Some(n) if n > 0 => re.splitn(s, n as usize).map(str::to_string).collect(),
                _ => re.split(s).map(str::to_string).collect(),
            }
        }
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

fn lines(s: &str) -> Vec<Value> {
    s.split_inclusive('\n').map(Value::str).collect()
}

fn chomp(s: &str, arg: Option<&Value>) -> String {
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

/// Methods every value answers.
fn common(
    me: &mut Interp<'_>,
    recv: &Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let a0 = args.first();
    Some(Ok(match name {
        "nil?" => Value::Bool(matches!(recv, Value::Nil)),
        "to_s" => Value::Str(to_s(recv)),
        "inspect" => Value::Str(format!("{recv:?}")),
        "==" | "eql?" | "equal?" => Value::Bool(Some(recv) == a0),
        "!=" => Value::Bool(Some(recv) != a0),
        "!" => Value::Bool(!recv.truthy()),
        "===" => return Some(case_eq(recv, a0.unwrap_or(&Value::Nil)).map(Value::Bool)),
        "is_a?" | "kind_of?" | "instance_of?" => Value::Bool(
            a0.and_then(as_native::<ClassRef>)
                .is_some_and(|c| is_a(recv, &c.0)),
        ),
        "class" => native(ClassRef(recv.class_name().to_string())),
        "freeze" | "dup" | "clone" | "itself" | "to_str"
            if !matches!(name, "to_str") || matches!(recv, Value::Str(_)) =>
        {
            recv.clone()
        }
        "frozen?" => Value::Bool(true),
        "respond_to?" => {
            Value::Bool(a0.is_some_and(|m| BUILTIN_METHODS.contains(&to_s(m).as_str())))
        }
        "then" => return Some(me.call_block(blk?, vec![recv.clone()], off)),
        "tap" => {
            if let Some(b) = blk {
                if let Err(e) = me.call_block(b, vec![recv.clone()], off) {
                    return Some(Err(e));
                }
            }
            recv.clone()
        }
        "send" | "public_send" => {
            let m = to_s(a0?);
            let rest = args.get(1..).unwrap_or(&[]).to_vec();
            return Some(me.call_method(recv.clone(), &m, rest, blk, off));
        }
        _ => return None,
    }))
}

/// A builtin method on a plain value. Mutating methods change `recv` in place.
pub fn call_builtin(
    me: &mut Interp<'_>,
    recv: &mut Value,
    name: &str,
    args: Vec<Value>,
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    let r = match recv {
        Value::Str(_) => string_method(me, recv, name, &args, blk, off),
        Value::Sym(s) => {
            let mut as_str = Value::Str(s.clone());
            match name {
                "to_sym" | "intern" => Some(Ok(recv.clone())),
                "to_proc" => None,
                "upcase" | "downcase" | "capitalize" | "length" | "size" | "start_with?"
                | "end_with?" | "empty?" => string_method(me, &mut as_str, name, &args, blk, off)
                    .map(|r| {
                        r.map(|v| {
                            if let Value::Str(s) = v {
                                Value::Sym(s)
                            } else {
                                v
                            }
                        })
                    }),
                _ => None,
            }
        }
        Value::Int(_) | Value::Float(_) => number_method(me, recv, name, &args, blk, off),
        Value::Array(_) => array_method(me, recv, name, &args, blk, off),
        Value::Hash(_) => hash_method(me, recv, name, &args, blk, off),
        Value::Range { .. } => range_method(me, recv, name, &args, blk, off),
        Value::Regex { source, flags } => {
            let (source, flags) = (source.clone(), flags.clone());
            match name {
                "source" => Some(Ok(Value::Str(source))),
                "match" | "match?" | "=~" => {
                    let mut s = args.first().cloned().unwrap_or(Value::Nil);
                    if matches!(s, Value::Nil) {
                        return Ok(if name == "match?" {
                            Value::Bool(false)
                        } else {
                            Value::Nil
                        });
                    }
                    let pat = Value::Regex { source, flags };
                    string_method(me, &mut s, name, &[pat], blk, off)
                }
                _ => None,
            }
        }
        Value::Nil => match name {
            "to_a" => Some(Ok(Value::Array(Vec::new()))),
            "to_i" => Some(Ok(Value::Int(0))),
            "to_f" => Some(Ok(Value::Float(0.0))),
            "to_h" => Some(Ok(Value::Hash(Vec::new()))),
            "&" => Some(Ok(Value::Bool(false))),
            "|" => Some(Ok(Value::Bool(args.first().is_some_and(|a| a.truthy())))),
            _ => None,
        },
        Value::Bool(b) => {
            let b = *b;
            match name {
                "&" => Some(Ok(Value::Bool(
                    b && args.first().is_some_and(|a| a.truthy()),
                ))),
                "|" => Some(Ok(Value::Bool(
                    b || args.first().is_some_and(|a| a.truthy()),
                ))),
                "^" => Some(Ok(Value::Bool(
                    b != args.first().is_some_and(|a| a.truthy()),
                ))),
                _ => None,
            }
        }
        _ => None,
    };
    if let Some(r) = r {
        return r.map_err(|e| locate(me, e, off));
    }
    if let Some(r) = common(me, &recv.clone(), name, &args, blk, off) {
        return r.map_err(|e| locate(me, e, off));
    }
    let is_op = matches!(
        name,
        "+" | "-"
            | "*"
            | "/"
            | "%"
            | "**"
            | "<"
            | "<="
            | ">"
            | ">="
            | "<=>"
            | "=~"
            | "&"
            | "|"
            | "^"
            | "<<"
            | ">>"
    );
    if is_op {
        let op = match name {
            "+" => BinOp::Add,
            "-" => BinOp::Sub,
            "*" => BinOp::Mul,
            "/" => BinOp::Div,
            "%" => BinOp::Mod,
            "**" => BinOp::Pow,
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            ">" => BinOp::Gt,
            ">=" => BinOp::Ge,
            "<=>" => BinOp::Cmp,
            "=~" => BinOp::Match,
            "&" => BinOp::BitAnd,
            "|" => BinOp::BitOr,
            "^" => BinOp::BitXor,
            "<<" => BinOp::Shl,
            _ => BinOp::Shr,
        };
        return binop(
            op,
            recv.clone(),
            args.into_iter().next().unwrap_or(Value::Nil),
        );
    }
    // A name Ruby or InSpec knows elsewhere is a NoMethodError on this value, as in Ruby;
    // only names unknown everywhere are outside the subset.
    let known_elsewhere = BUILTIN_METHODS.contains(&name)
        || crate::native::interp::table::TABLE_METHODS.contains(&name)
        || super::classes::OBJECT_METHODS.contains(&name)
        || crate::native::matchers::CHAINS.contains(&name)
        || crate::native::resources::names()
            .iter()
            .any(|r| crate::native::resources::methods(r).is_some_and(|m| m.contains(&name)));
    if known_elsewhere {
        Err(no_method(name, recv))
    } else {
        Err(me.unsupported(format!("method `{name}`"), off))
    }
}

/// Places a regexp compile error at the call site.
fn locate(me: &Interp<'_>, e: Flow, off: u32) -> Flow {
    match e {
        Flow::Unsupported { construct, at } if at.is_empty() => Flow::Unsupported {
            construct,
            at: me.at(off),
        },
        other => other,
    }
}

fn string_method(
    me: &mut Interp<'_>,
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
            "start_with?" => Value::Bool(args.iter().any(|p| {
                match p {
                    Value::Str(p) => s.starts_with(p.as_str()),
                    Value::Regex { source, flags } => regex(source, flags)
                        .ok()
                        .and_then(|re| re.find(s))
                        .is_some_and(|m| m.start() == 0),
                    _ => false,
                }
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
                let b = block_or_err(blk, name)?;
                let items = if name == "each_line" {
                    lines(s)
                } else {
                    s.chars().map(|c| Value::Str(c.to_string())).collect()
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
                let mut out = Vec::new();
                for caps in re.captures_iter(s) {
                    if caps.len() > 1 {
                        out.push(Value::Array(
                            (1..caps.len())
                                .map(|i| caps.get(i).map_or(Value::Nil, |m| Value::str(m.as_str())))
                                .collect(),
                        ));
                    } else if let Some(m) = caps.get(0) {
                        out.push(Value::str(m.as_str()));
                    }
                    if out.len() > MAX_ITEMS {
                        break;
                    }
                }
                Value::Array(out)
            }
            "match" => {
                let re = as_regexp(a0.unwrap_or(&Value::Nil))?;
                match re.captures(s) {
                    Some(caps) => native(super::classes::MatchData {
                        groups: (0..caps.len())
                            .map(|i| caps.get(i).map(|m| m.as_str().to_string()))
                            .collect(),
                        names: re.capture_names().map(|n| n.map(str::to_string)).collect(),
                    }),
                    None => Value::Nil,
                }
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
                    let i = match cap {
                        Some(Value::Int(i)) => *i as usize,
                        _ => 0,
                    };
                    re.captures(s)
                        .and_then(|c| c.get(i))
                        .map_or(Value::Nil, |m| Value::str(m.as_str()))
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

fn number_method(
    me: &mut Interp<'_>,
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
            let b = match block_or_err(blk, name) {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
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

/// Runs the block over items, stopping at `break`.
fn each_value(
    me: &mut Interp<'_>,
    b: Blk<'_>,
    items: Vec<Value>,
    off: u32,
    mut f: impl FnMut(Value, Value) -> R<bool>,
) -> R<Option<Value>> {
    for item in items {
        match me.call_block(b, vec![item.clone()], off) {
            Ok(r) => {
                if !f(item, r)? {
                    break;
                }
            }
            Err(Flow::Break(v)) => return Ok(Some(v)),
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Enumerable methods over a list of items (arrays, hashes as pairs, ranges, tables).
pub fn enumerable(
    me: &mut Interp<'_>,
    recv: &Value,
    items: Vec<Value>,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let a0 = args.first();
    let r: R = (|| {
        Ok(match name {
            "each" => {
                let b = block_or_err(blk, name)?;
                if let Some(v) = each_value(me, b, items, off, |_, _| Ok(true))? {
                    return Ok(v);
                }
                recv.clone()
            }
            "each_with_index" => {
                let b = block_or_err(blk, name)?;
                for (i, item) in items.into_iter().enumerate() {
                    match me.call_block(b, vec![item, Value::Int(i as i64)], off) {
                        Ok(_) => {}
                        Err(Flow::Break(v)) => return Ok(v),
                        Err(e) => return Err(e),
                    }
                }
                recv.clone()
            }
            "each_with_object" => {
                let Some(Blk::Ast(b)) = blk else {
                    return Err(without_block(name));
                };
                // The memo is a value: mutations through the block parameter are read back.
                let mut memo = a0.cloned().unwrap_or(Value::Nil);
                let memo_name = match b.params.get(1) {
                    Some(crate::profile::ast::Param::Required(n)) => Some(n.clone()),
                    _ => None,
                };
                for item in items {
                    let r = me.scoped(false, |m| {
                        m.bind_params(&b.params, &[item, memo.clone()])?;
                        let r = m.eval_body(&b.body);
                        let back = memo_name.as_ref().and_then(|n| m.lookup(n).cloned());
                        r.map(|_| back)
                    });
                    match r {
                        Ok(Some(v)) => memo = v,
                        Ok(None) | Err(Flow::Next(_)) => {}
                        Err(Flow::Break(v)) => return Ok(v),
                        Err(e) => return Err(e),
                    }
                }
                memo
            }
            "map" | "collect" | "flat_map" | "filter_map" => {
                let b = block_or_err(blk, name)?;
                let mut out = Vec::new();
                let flat = name == "flat_map";
                let fm = name == "filter_map";
                if let Some(v) = each_value(me, b, items, off, |_, r| {
                    match r {
                        Value::Array(a) if flat => out.extend(a),
                        r if fm => {
                            if r.truthy() {
                                out.push(r)
                            }
                        }
                        r => out.push(r),
                    }
                    Ok(out.len() <= MAX_ITEMS)
                })? {
                    return Ok(v);
                }
                Value::Array(out)
            }
            "select" | "filter" | "find_all" | "reject" | "partition" => {
                let b = block_or_err(blk, name)?;
                let want = name != "reject";
                let (mut yes, mut no) = (Vec::new(), Vec::new());
                if let Some(v) = each_value(me, b, items, off, |item, r| {
                    if r.truthy() == want {
                        yes.push(item)
                    } else {
                        no.push(item)
                    }
                    Ok(true)
                })? {
                    return Ok(v);
                }
                if name == "partition" {
                    Value::Array(vec![Value::Array(yes), Value::Array(no)])
                } else {
                    Value::Array(yes)
                }
            }
            "find" | "detect" => {
                let b = block_or_err(blk, name)?;
                let mut found = Value::Nil;
                if let Some(v) = each_value(me, b, items, off, |item, r| {
                    if r.truthy() {
                        found = item;
                        Ok(false)
                    } else {
                        Ok(true)
                    }
                })? {
                    return Ok(v);
                }
                found
            }
            "find_index" | "index" if blk.is_some() || a0.is_some() => {
                for (i, item) in items.into_iter().enumerate() {
                    let hit = match blk {
                        Some(b) => me.call_block(b, vec![item], off)?.truthy(),
                        None => Some(&item) == a0,
                    };
                    if hit {
                        return Ok(Value::Int(i as i64));
                    }
                }
                Value::Nil
            }
            "any?" | "all?" | "none?" | "one?" => {
                let mut n = 0usize;
                let mut all = true;
                for item in items {
                    let t = match (blk, a0) {
                        (Some(b), _) => me.call_block(b, vec![item], off)?.truthy(),
                        (None, Some(p)) => case_eq(p, &item)?,
                        (None, None) => item.truthy(),
                    };
                    if t {
                        n += 1
                    } else {
                        all = false
                    }
                    if name == "any?" && t {
                        break;
                    }
                    if name == "all?" && !t {
                        break;
                    }
                }
                Value::Bool(match name {
                    "any?" => n > 0,
                    "all?" => all,
                    "none?" => n == 0,
                    _ => n == 1,
                })
            }
            "count" => match (blk, a0) {
                (Some(b), _) => {
                    let mut n = 0;
                    for item in items {
                        if me.call_block(b, vec![item], off)?.truthy() {
                            n += 1;
                        }
                    }
                    Value::Int(n)
                }
                (None, Some(x)) => Value::Int(items.iter().filter(|i| *i == x).count() as i64),
                (None, None) => Value::Int(items.len() as i64),
            },
            "include?" | "member?" => Value::Bool(a0.is_some_and(|x| items.contains(x))),
            "to_a" | "entries" => Value::Array(items),
            "first" => match a0 {
                Some(Value::Int(n)) => {
                    Value::Array(items.into_iter().take((*n).max(0) as usize).collect())
                }
                _ => items.into_iter().next().unwrap_or(Value::Nil),
            },
            "min" | "max" => {
                let mut best: Option<Value> = None;
                for x in items {
                    best = Some(match best {
                        None => x,
                        Some(b) => {
                            let o = compare(&x, &b).ok_or_else(|| cmp_err(&x, &b))?;
                            if (name == "min" && o == Ordering::Less)
                                || (name == "max" && o == Ordering::Greater)
                            {
                                x
                            } else {
                                b
                            }
                        }
                    });
                }
                best.unwrap_or(Value::Nil)
            }
            "min_by" | "max_by" | "sort_by" | "group_by" => {
                let b = block_or_err(blk, name)?;
                let mut keyed = Vec::with_capacity(items.len());
                for x in items {
                    let k = me.call_block(b, vec![x.clone()], off)?;
                    keyed.push((k, x));
                }
                match name {
                    "group_by" => {
                        let mut groups: Vec<(Value, Value)> = Vec::new();
                        for (k, x) in keyed {
                            match groups.iter_mut().find(|(g, _)| *g == k) {
                                Some((_, Value::Array(list))) => list.push(x),
                                _ => groups.push((k, Value::Array(vec![x]))),
                            }
                        }
                        Value::Hash(groups)
                    }
                    _ => {
                        let mut err = None;
                        keyed.sort_by(|a, b| {
                            compare(&a.0, &b.0).unwrap_or_else(|| {
                                err = Some(cmp_err(&a.0, &b.0));
                                Ordering::Equal
                            })
                        });
                        if let Some(e) = err {
                            return Err(e);
                        }
                        match name {
                            "sort_by" => Value::Array(keyed.into_iter().map(|(_, x)| x).collect()),
                            "min_by" => keyed.into_iter().next().map_or(Value::Nil, |(_, x)| x),
                            _ => keyed.into_iter().next_back().map_or(Value::Nil, |(_, x)| x),
                        }
                    }
                }
            }
            "inject" | "reduce" | "sum" => {
                let mut acc: Option<Value> = match (name, a0) {
                    ("sum", None) => Some(Value::Int(0)),
                    (_, Some(Value::Sym(_))) => None,
                    (_, Some(init)) => Some(init.clone()),
                    _ => None,
                };
                let op_sym = match (a0, args.get(1)) {
                    (_, Some(Value::Sym(s))) | (Some(Value::Sym(s)), None) => Some(s.clone()),
                    _ => None,
                };
                for x in items {
                    acc = Some(match acc {
                        None => x,
                        Some(a) => match (&op_sym, blk) {
                            (Some(op), _) => me.call_method(a, op, vec![x], None, off)?,
                            (None, Some(b)) if name != "sum" => {
                                me.call_block(b, vec![a, x], off)?
                            }
                            (None, Some(b)) => {
                                let y = me.call_block(b, vec![x], off)?;
                                binop(BinOp::Add, a, y)?
                            }
                            (None, None) => binop(BinOp::Add, a, x)?,
                        },
                    });
                }
                acc.unwrap_or(Value::Nil)
            }
            "tally" => {
                let mut out: Vec<(Value, Value)> = Vec::new();
                for x in items {
                    match out.iter_mut().find(|(k, _)| *k == x) {
                        Some((_, Value::Int(n))) => *n += 1,
                        _ => out.push((x, Value::Int(1))),
                    }
                }
                Value::Hash(out)
            }
            "grep" | "grep_v" => {
                let p = a0.cloned().unwrap_or(Value::Nil);
                let mut out = Vec::new();
                for x in items {
                    if case_eq(&p, &x)? == (name == "grep") {
                        out.push(x);
                    }
                }
                Value::Array(out)
            }
            "each_slice" => {
                let n = int_arg(args, 0)
                    .filter(|n| *n > 0)
                    .ok_or_else(|| Flow::raise("ArgumentError", "invalid slice size"))?
                    as usize;
                let slices: Vec<Value> =
                    items.chunks(n).map(|c| Value::Array(c.to_vec())).collect();
                match blk {
                    Some(b) => {
                        each_value(me, b, slices, off, |_, _| Ok(true))?;
                        Value::Nil
                    }
                    None => Value::Array(slices),
                }
            }
            "take_while" | "drop_while" => {
                let b = block_or_err(blk, name)?;
                let mut i = 0;
                while i < items.len() && me.call_block(b, vec![items[i].clone()], off)?.truthy() {
                    i += 1;
                }
                Value::Array(if name == "take_while" {
                    items[..i].to_vec()
                } else {
                    items[i..].to_vec()
                })
            }
            "zip" => {
                let others: Vec<Vec<Value>> = args.iter().map(iterate).collect::<R<_>>()?;
                Value::Array(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, x)| {
                            let mut row = vec![x];
                            row.extend(
                                others
                                    .iter()
                                    .map(|o| o.get(i).cloned().unwrap_or(Value::Nil)),
                            );
                            Value::Array(row)
                        })
                        .collect(),
                )
            }
            _ => return Err(Flow::Next(Value::Nil)),
        })
    })();
    match r {
        Err(Flow::Next(_)) => None,
        other => Some(other),
    }
}

fn array_method(
    me: &mut Interp<'_>,
    recv: &mut Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let snapshot = recv.clone();
    let Value::Array(items) = recv else {
        return None;
    };
    let a0 = args.first();
    let simple: Option<R> = match name {
        "size" | "length" => Some(Ok(Value::Int(items.len() as i64))),
        "empty?" => Some(Ok(Value::Bool(items.is_empty()))),
        "last" => Some(Ok(match a0 {
            Some(Value::Int(n)) => {
                Value::Array(items[items.len().saturating_sub((*n).max(0) as usize)..].to_vec())
            }
            _ => items.last().cloned().unwrap_or(Value::Nil),
        })),
        "join" => Some(Ok(Value::Str(join(
            items,
            &a0.map(to_s).unwrap_or_default(),
        )))),
        "uniq" if blk.is_none() => {
            let mut out: Vec<Value> = Vec::new();
            for x in items.iter() {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Some(Ok(Value::Array(out)))
        }
        "sort" if blk.is_none() => {
            let mut v = items.clone();
            let mut err = None;
            v.sort_by(|a, b| {
                compare(a, b).unwrap_or_else(|| {
                    err = Some(cmp_err(a, b));
                    Ordering::Equal
                })
            });
            Some(match err {
                Some(e) => Err(e),
                None => Ok(Value::Array(v)),
            })
        }
        "reverse" => Some(Ok(Value::Array(items.iter().rev().cloned().collect()))),
        "compact" => Some(Ok(Value::Array(
            items
                .iter()
                .filter(|v| !matches!(v, Value::Nil))
                .cloned()
                .collect(),
        ))),
        "flatten" => {
            fn flat(v: &[Value], out: &mut Vec<Value>, depth: usize) {
                for x in v {
                    match x {
                        Value::Array(a) if depth < 64 => flat(a, out, depth + 1),
                        o => out.push(o.clone()),
                    }
                }
            }
            let mut out = Vec::new();
            flat(items, &mut out, 0);
            Some(Ok(Value::Array(out)))
        }
        "to_h" => {
            let mut pairs = Vec::new();
            for x in items.iter() {
                match x {
                    Value::Array(p) if p.len() == 2 => {
                        hash_set(&mut pairs, p[0].clone(), p[1].clone())
                    }
                    _ => {
                        return Some(Err(Flow::raise(
                            "TypeError",
                            "wrong element type (expected array of 2)",
                        )))
                    }
                }
            }
            Some(Ok(Value::Hash(pairs)))
        }
        "take" => Some(Ok(Value::Array(
            items
                .iter()
                .take(int_arg(args, 0).unwrap_or(0).max(0) as usize)
                .cloned()
                .collect(),
        ))),
        "drop" => Some(Ok(Value::Array(
            items
                .iter()
                .skip(int_arg(args, 0).unwrap_or(0).max(0) as usize)
                .cloned()
                .collect(),
        ))),
        "values_at" => Some(Ok(Value::Array(
            args.iter()
                .map(|i| match i {
                    Value::Int(n) => index_array(items, *n).unwrap_or(Value::Nil),
                    _ => Value::Nil,
                })
                .collect(),
        ))),
        "dig" => Some(Ok(dig(&snapshot, args))),
        "[]" | "slice" => Some(Ok(match (a0, args.get(1)) {
            (Some(Value::Int(i)), None) => index_array(items, *i).unwrap_or(Value::Nil),
            (Some(Value::Int(i)), Some(Value::Int(n))) => {
                let start = if *i < 0 { items.len() as i64 + i } else { *i };
                if start < 0 || start as usize > items.len() || *n < 0 {
                    Value::Nil
                } else {
                    Value::Array(
                        items
                            .iter()
                            .skip(start as usize)
                            .take(*n as usize)
                            .cloned()
                            .collect(),
                    )
                }
            }
            (Some(Value::Range { lo, hi, exclusive }), None) => {
                match range_bounds(lo, hi, *exclusive, items.len()) {
                    Some((a, b)) => Value::Array(items[a..b].to_vec()),
                    None => Value::Nil,
                }
            }
            _ => {
                return Some(Err(Flow::raise(
                    "TypeError",
                    "no implicit conversion into Integer",
                )))
            }
        })),
        "[]=" => {
            let (Some(Value::Int(i)), Some(v)) = (a0, args.get(1)) else {
                return Some(Err(Flow::raise(
                    "TypeError",
                    "Array#[]= needs an integer index",
                )));
            };
            let idx = if *i < 0 { items.len() as i64 + i } else { *i };
            let Ok(idx) = usize::try_from(idx) else {
                return Some(Err(Flow::raise("IndexError", "index out of array")));
            };
            if idx >= MAX_ITEMS {
                return Some(Err(Flow::raise("RuntimeError", "array too large")));
            }
            if idx >= items.len() {
                items.resize(idx + 1, Value::Nil);
            }
            items[idx] = v.clone();
            Some(Ok(v.clone()))
        }
        "<<" | "push" | "append" => {
            if items.len() + args.len() > MAX_ITEMS {
                return Some(Err(Flow::raise("RuntimeError", "array too large")));
            }
            if let Err(e) = args.iter().try_for_each(check_depth) {
                return Some(Err(e));
            }
            items.extend(args.iter().cloned());
            Some(Ok(Value::Array(items.clone())))
        }
        "unshift" | "prepend" => {
            for (i, a) in args.iter().enumerate() {
                items.insert(i, a.clone());
            }
            Some(Ok(Value::Array(items.clone())))
        }
        "concat" => {
            for a in args {
                if let Value::Array(x) = a {
                    items.extend(x.iter().cloned());
                }
            }
            if items.len() > MAX_ITEMS {
                return Some(Err(Flow::raise("RuntimeError", "array too large")));
            }
            Some(Ok(Value::Array(items.clone())))
        }
        "pop" => Some(Ok(items.pop().unwrap_or(Value::Nil))),
        "shift" => Some(Ok(if items.is_empty() {
            Value::Nil
        } else {
            items.remove(0)
        })),
        "delete" => {
            let Some(x) = a0 else {
                return Some(Err(Flow::raise(
                    "ArgumentError",
                    "delete needs an argument",
                )));
            };
            let had = items.contains(x);
            items.retain(|v| v != x);
            Some(Ok(if had { x.clone() } else { Value::Nil }))
        }
        "clear" => {
            items.clear();
            Some(Ok(Value::Array(items.clone())))
        }
        "uniq!" | "sort!" | "compact!" | "flatten!" | "reverse!" | "map!" | "collect!"
        | "select!" | "reject!" | "keep_if" | "delete_if" => {
            let base = match name {
                "keep_if" => "select",
                "delete_if" => "reject",
                n => n.trim_end_matches('!'),
            };
            let mut copy = snapshot.clone();
            let r = array_method(me, &mut copy, base, args, blk, off).or_else(|| {
                enumerable(
                    me,
                    &snapshot,
                    iterate(&snapshot).unwrap_or_default(),
                    base,
                    args,
                    blk,
                    off,
                )
            });
            match r {
                Some(Ok(Value::Array(new))) => {
                    *items = new.clone();
                    Some(Ok(Value::Array(new)))
                }
                other => other,
            }
        }
        "-" | "+" | "&" | "|" | "*" => {
            let op = match name {
                "-" => BinOp::Sub,
                "+" => BinOp::Add,
                "&" => BinOp::BitAnd,
                "|" => BinOp::BitOr,
                _ => BinOp::Mul,
            };
            Some(binop(
                op,
                snapshot.clone(),
                a0.cloned().unwrap_or(Value::Nil),
            ))
        }
        _ => None,
    };
    if simple.is_some() {
        return simple;
    }
    let items = items.clone();
    enumerable(me, &snapshot, items, name, args, blk, off)
}

fn hash_method(
    me: &mut Interp<'_>,
    recv: &mut Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let Value::Hash(pairs) = recv else {
        return None;
    };
    let a0 = args.first();
    let r = match name {
        "keys" => Ok(Value::Array(pairs.iter().map(|(k, _)| k.clone()).collect())),
        "values" => Ok(Value::Array(pairs.iter().map(|(_, v)| v.clone()).collect())),
        "size" | "length" => Ok(Value::Int(pairs.len() as i64)),
        "count" if blk.is_none() && a0.is_none() => Ok(Value::Int(pairs.len() as i64)),
        "empty?" => Ok(Value::Bool(pairs.is_empty())),
        "key?" | "has_key?" | "include?" | "member?" => Ok(Value::Bool(
            a0.is_some_and(|k| pairs.iter().any(|(x, _)| x == k)),
        )),
        "value?" | "has_value?" => Ok(Value::Bool(
            a0.is_some_and(|v| pairs.iter().any(|(_, x)| x == v)),
        )),
        "key" => Ok(pairs
            .iter()
            .find(|(_, v)| Some(v) == a0)
            .map_or(Value::Nil, |(k, _)| k.clone())),
        "[]" => Ok(a0
            .and_then(|k| recv.hash_get(k))
            .cloned()
            .unwrap_or(Value::Nil)),
        "dig" => Ok(dig(recv, args)),
        "fetch" => match a0.and_then(|k| recv.hash_get(k)) {
            Some(v) => Ok(v.clone()),
            None => match (args.get(1), blk) {
                (Some(d), _) => Ok(d.clone()),
                (None, Some(b)) => me.call_block(b, vec![a0.cloned().unwrap_or(Value::Nil)], off),
                (None, None) => Err(Flow::raise(
                    "KeyError",
                    format!("key not found: {:?}", a0.unwrap_or(&Value::Nil)),
                )),
            },
        },
        "values_at" => Ok(Value::Array(
            args.iter()
                .map(|k| recv.hash_get(k).cloned().unwrap_or(Value::Nil))
                .collect(),
        )),
        "[]=" | "store" => {
            let (Some(k), Some(v)) = (a0, args.get(1)) else {
                return Some(Err(Flow::raise(
                    "ArgumentError",
                    "[]= needs a key and a value",
                )));
            };
            if pairs.len() >= MAX_ITEMS {
                return Some(Err(Flow::raise("RuntimeError", "hash too large")));
            }
            hash_set(pairs, k.clone(), v.clone());
            Ok(v.clone())
        }
        "delete" => {
            let Some(k) = a0 else {
                return Some(Ok(Value::Nil));
            };
            let pos = pairs.iter().position(|(x, _)| x == k);
            Ok(pos.map_or(Value::Nil, |i| pairs.remove(i).1))
        }
        "merge" | "merge!" | "update" => {
            let mut out = pairs.clone();
            for a in args {
                if let Value::Hash(h) = a {
                    for (k, v) in h {
                        hash_set(&mut out, k.clone(), v.clone());
                    }
                }
            }
            if name != "merge" {
                *pairs = out.clone();
            }
            Ok(Value::Hash(out))
        }
        "to_h" if blk.is_none() => Ok(recv.clone()),
        "to_a" => Ok(Value::Array(iterate(recv).unwrap_or_default())),
        "each_key" | "each_value" => {
            let Some(b) = blk else {
                return Some(Err(without_block(name)));
            };
            let items: Vec<Value> = pairs
                .iter()
                .map(|(k, v)| {
                    if name == "each_key" {
                        k.clone()
                    } else {
                        v.clone()
                    }
                })
                .collect();
            let orig = recv.clone();
            match each_value(me, b, items, off, |_, _| Ok(true)) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Ok(orig),
                Err(e) => Err(e),
            }
        }
        "each_pair" => {
            let items = iterate(recv).unwrap_or_default();
            let orig = recv.clone();
            return enumerable(me, &orig, items, "each", args, blk, off);
        }
        "select" | "filter" | "reject" => {
            let Some(b) = blk else {
                return Some(Err(without_block(name)));
            };
            let want = name != "reject";
            let mut out = Vec::new();
            for (k, v) in pairs.clone() {
                match me.call_block(b, vec![k.clone(), v.clone()], off) {
                    Ok(r) => {
                        if r.truthy() == want {
                            out.push((k, v));
                        }
                    }
                    Err(e) => return Some(Err(e)),
                }
            }
            Ok(Value::Hash(out))
        }
        "transform_values" | "transform_keys" => {
            let Some(b) = blk else {
                return Some(Err(without_block(name)));
            };
            let mut out = Vec::new();
            for (k, v) in pairs.clone() {
                let r = if name == "transform_values" {
                    me.call_block(b, vec![v], off).map(|nv| (k, nv))
                } else {
                    me.call_block(b, vec![k], off).map(|nk| (nk, v))
                };
                match r {
                    Ok((k, v)) => hash_set(&mut out, k, v),
                    Err(e) => return Some(Err(e)),
                }
            }
            Ok(Value::Hash(out))
        }
        "invert" => Ok(Value::Hash(
            pairs.iter().map(|(k, v)| (v.clone(), k.clone())).collect(),
        )),
        "sort" => {
            let mut v = iterate(recv).unwrap_or_default();
            v.sort_by(|a, b| compare(a, b).unwrap_or(Ordering::Equal));
            Ok(Value::Array(v))
        }
        _ => {
            let items = iterate(recv).unwrap_or_default();
            let orig = recv.clone();
            return enumerable(me, &orig, items, name, args, blk, off);
        }
    };
    Some(r)
}

fn range_method(
    me: &mut Interp<'_>,
    recv: &mut Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let Value::Range { lo, hi, exclusive } = recv else {
        return None;
    };
    let a0 = args.first();
    match name {
        "include?" | "member?" | "cover?" | "===" => {
            return Some(Ok(Value::Bool(
                a0.is_some_and(|v| in_range(lo, hi, *exclusive, v)),
            )))
        }
        "first" | "begin" if a0.is_none() => return Some(Ok((**lo).clone())),
        "last" | "end" if a0.is_none() => return Some(Ok((**hi).clone())),
        "exclude_end?" => return Some(Ok(Value::Bool(*exclusive))),
        _ => {}
    }
    let items = match iterate(recv) {
        Ok(i) => i,
        Err(e) => return Some(Err(e)),
    };
    if name == "size" {
        return Some(Ok(Value::Int(items.len() as i64)));
    }
    let orig = recv.clone();
    enumerable(me, &orig, items, name, args, blk, off)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_handles_octal_modes_and_padding() {
        assert_eq!(format("%04o", &[Value::Int(0o644)]).unwrap(), "0644");
        assert_eq!(
            format("%s-%d", &[Value::str("a"), Value::Int(3)]).unwrap(),
            "a-3"
        );
        assert_eq!(
            format("%5s|%-3s|", &[Value::str("ab"), Value::str("c")]).unwrap(),
            "   ab|c  |"
        );
        assert_eq!(format("%.2f", &[Value::Float(1.5)]).unwrap(), "1.50");
        assert!(format("%d", &[]).is_err());
    }

    #[test]
    fn string_numbers_parse_like_ruby() {
        assert_eq!(str_to_i("  42abc", 10), 42);
        assert_eq!(str_to_i("-7", 10), -7);
        assert_eq!(str_to_i("abc", 10), 0);
        assert_eq!(str_to_i("0644", 8), 0o644);
        assert_eq!(str_to_f("6.6p1"), 6.6);
        assert_eq!(str_to_f("OpenSSH"), 0.0);
        assert_eq!(str_to_f("1e3x"), 1000.0);
    }

    #[test]
    fn operators_follow_ruby() {
        assert_eq!(
            binop(BinOp::Div, Value::Int(-7), Value::Int(2)).unwrap(),
            Value::Int(-4)
        );
        assert_eq!(
            binop(BinOp::Mod, Value::Int(-7), Value::Int(2)).unwrap(),
            Value::Int(1)
        );
        assert!(
            matches!(binop(BinOp::Div, Value::Int(1), Value::Int(0)), Err(Flow::Raise(e)) if e.class == "ZeroDivisionError")
        );
        assert!(matches!(
            binop(BinOp::Add, Value::Int(i64::MAX), Value::Int(1)),
            Err(Flow::Raise(_))
        ));
        let a = Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(2)]);
        let b = Value::Array(vec![Value::Int(2), Value::Int(3)]);
        assert_eq!(
            binop(BinOp::BitAnd, a.clone(), b.clone()).unwrap(),
            Value::Array(vec![Value::Int(2)])
        );
        assert_eq!(
            binop(BinOp::Sub, a, b).unwrap(),
            Value::Array(vec![Value::Int(1)])
        );
        assert_eq!(
            binop(
                BinOp::Match,
                Value::str("abc"),
                Value::Regex {
                    source: "b".into(),
                    flags: String::new()
                }
            )
            .unwrap(),
            Value::Int(1)
        );
        assert!(
            matches!(binop(BinOp::Lt, Value::str("a"), Value::Int(1)), Err(Flow::Raise(e)) if e.class == "ArgumentError")
        );
    }

    #[test]
    fn split_drops_trailing_empties_like_ruby() {
        let v = split("a,b,,", Some(&Value::str(",")), None).unwrap();
        assert_eq!(v, vec![Value::str("a"), Value::str("b")]);
        let v = split(" a  b ", None, None).unwrap();
        assert_eq!(v, vec![Value::str("a"), Value::str("b")]);
        let v = split(
            "x\r\ny\n",
            Some(&Value::Regex {
                source: r"\r?\n".into(),
                flags: String::new(),
            }),
            None,
        )
        .unwrap();
        assert_eq!(v, vec![Value::str("x"), Value::str("y")]);
    }
}
