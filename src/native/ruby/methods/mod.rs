//! Builtin methods of plain values (String, Symbol, Integer, Float, Array, Hash, Range,
//! Regexp, nil, booleans), Kernel functions (`format`, `Integer()`, `raise`) and operators.
//! Strings and numbers are in [`scalars`], collections in [`collections`].

mod collections;
pub mod enumerator;
pub mod row;
mod scalars;
mod strings;

use collections::{array_method, hash_method, range_method};
pub use collections::{
    enumerable, is_array_method, is_enumerable_method, is_hash_method, ENUMERABLE_METHODS,
};
pub use scalars::format;
use scalars::number_method;
use strings::string_method;
pub use strings::{is_string_method, STRING_METHODS};

use std::cmp::Ordering;

use crate::native::ruby::objects::{as_native, native, ClassRef};
use crate::native::ruby::rx;
use crate::native::ruby::value::{float_to_s, Value};
use crate::native::ruby::{no_method, overflow, Blk};
use crate::native::ruby::{Embedding, Flow, Interp, MAX_ITEMS, MAX_STRING, R};
use crate::profile::ast::BinOp;

/// Builtin method names the interpreter implements on some plain value beyond the tables
/// of arrays', hashes', strings' and Enumerable's methods (for static coverage, through
/// [`is_builtin`]: a call to a name outside these, the DSL and the resources is unsupported).
pub const BUILTIN_METHODS: &[&str] = &[
    "!",
    "!=",
    "%",
    "/",
    "<",
    "<=",
    "<=>",
    "==",
    "===",
    "=~",
    ">",
    ">=",
    "^",
    "abs",
    "all?",
    "any?",
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
    "collect",
    "cover?",
    "detect",
    "downcase",
    "downcase!",
    "dup",
    "clone",
    "each",
    "each_char",
    "each_line",
    "each_with_index",
    "each_with_object",
    "end_with?",
    "entries",
    "eql?",
    "equal?",
    "even?",
    "filter_map",
    "find",
    "find_all",
    "find_index",
    "first",
    "flat_map",
    "floor",
    "freeze",
    "frozen?",
    "gsub",
    "gsub!",
    "group_by",
    "hex",
    "index",
    "inject",
    "insert",
    "inspect",
    "instance_of?",
    "is_a?",
    "kind_of?",
    "lines",
    "ljust",
    "rjust",
    "lstrip",
    "map",
    "match",
    "match?",
    "max",
    "max_by",
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
    "positive?",
    "pred",
    "reduce",
    "replace",
    "respond_to?",
    "round",
    "rstrip",
    "scan",
    "send",
    "public_send",
    "sort_by",
    "source",
    "split",
    "squeeze",
    "squeeze!",
    "start_with?",
    "step",
    "strip",
    "strip!",
    "sub",
    "sub!",
    "succ",
    "sum",
    "swapcase",
    "take_while",
    "drop_while",
    "tally",
    "times",
    "to_f",
    "to_i",
    "to_json",
    "to_s",
    "to_str",
    "to_sym",
    "tr",
    "upcase",
    "upcase!",
    "upto",
    "downto",
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
    "minmax",
    "clamp",
    "abs",
    "to_r",
    "nan?",
    "finite?",
    "integer?",
    "exclude_end?",
    "begin",
    "end",
    "object_id",
];

/// Whether some plain value has a builtin method `name` (what static coverage asks).
pub fn is_builtin(name: &str) -> bool {
    BUILTIN_METHODS.contains(&name)
        || is_string_method(name)
        || is_array_method(name)
        || is_hash_method(name)
        || is_enumerable_method(name)
}

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
        Value::Native(n) => n.to_s().unwrap_or_else(|| format!("{v:?}")),
        other => format!("{other:?}"),
    }
}

/// A plain value as JSON (`to_json`, `JSON.generate`): hash keys as strings, other objects
/// as their `to_s`.
pub fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Nil => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) | Value::Sym(s) => J::String(s.clone()),
        Value::Array(a) => J::Array(a.iter().map(to_json).collect()),
        Value::Hash(pairs) => J::Object(pairs.iter().map(|(k, v)| (to_s(k), to_json(v))).collect()),
        other => J::String(to_s(other)),
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

/// Ruby's implicit conversion to Array where its absence is no error (rb_check_array_type,
/// as `flatten` asks each element): the items of an Array or of what an object's `to_ary`
/// answers; None without `to_ary`. A `to_ary` answering no Array is TypeError (object.c
/// `convert_type_with_id`), as Inspec::Input::NO_VALUE_SET's, which answers itself.
pub fn check_array(v: &Value) -> R<Option<Vec<Value>>> {
    let answered = match v {
        Value::Array(a) => return Ok(Some(a.clone())),
        Value::Native(n) => n.to_ary(),
        _ => None,
    };
    match answered {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(other) => Err(Flow::raise(
            "TypeError",
            format!(
                "can't convert {c} to Array ({c}#to_ary gives {})",
                other.class_name(),
                c = v.class_name()
            ),
        )),
    }
}

/// Ruby's implicit conversion to Array where one is required (rb_to_array_type, as the
/// right operand of `Array#-`, `+`, `&`, `|`): without `to_ary`, TypeError "no implicit
/// conversion of String into Array".
pub fn to_array(v: &Value) -> R<Vec<Value>> {
    check_array(v)?.ok_or_else(|| {
        let of = match v {
            Value::Nil => "nil",
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
            other => other.class_name(),
        };
        Flow::raise(
            "TypeError",
            format!("no implicit conversion of {of} into Array"),
        )
    })
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
            .map(|i| native(row::Row::new(t.clone(), i)))
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
            Value::Str(s) | Value::Sym(s) => is_match(&regex(source, flags)?, s)?,
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
        (Value::Native(x), Value::Native(y)) => x.compare(&**y),
        _ => None,
    }
}

pub fn regex(source: &str, flags: &str) -> R<rx::Regex> {
    rx::compile(source, flags).map_err(|construct| Flow::Unsupported {
        construct,
        at: String::new(),
    })
}

/// A match that could not finish (backtracking beyond the limit) is Ruby 3.2's
/// `Regexp::TimeoutError`.
pub fn matched<T>(re: &rx::Regex, r: Result<T, rx::Error>) -> R<T> {
    r.map_err(|e| Flow::raise("Regexp::TimeoutError", rx::runtime_error(re.as_str(), &e)))
}

/// Whether `re` matches somewhere in `s`.
pub fn is_match(re: &rx::Regex, s: &str) -> R<bool> {
    matched(re, re.is_match(s))
}

/// The captures of every match of `re` in `s`, at most [`MAX_ITEMS`].
pub fn captures_all<'t>(re: &rx::Regex, s: &'t str) -> R<Vec<rx::Captures<'t>>> {
    let mut out = Vec::new();
    for caps in re.captures_iter(s) {
        out.push(matched(re, caps)?);
        if out.len() > MAX_ITEMS {
            break;
        }
    }
    Ok(out)
}

/// The byte position of `pattern`'s first match in `s`.
pub fn find(pattern: &Value, s: &str) -> R<Option<usize>> {
    let re = as_regexp(pattern)?;
    Ok(matched(&re, re.find(s))?.map(|m| m.start()))
}

/// `=~`: the byte position of the first match, recorded for `$~` and `$1`….
pub fn match_recorded(pattern: &Value, s: &str) -> R<Option<usize>> {
    let re = as_regexp(pattern)?;
    let caps = matched(&re, re.captures(s))?;
    let start = caps.as_ref().and_then(|c| c.get(0)).map(|m| m.start());
    let md = caps.map(|c| crate::native::ruby::matchdata::MatchData::new(&re, &c, s));
    crate::native::ruby::matchdata::set_last_match(md);
    Ok(start)
}

/// `String#match`'s argument: a Regexp, or a String compiled as one (as Ruby does).
pub fn as_regexp(v: &Value) -> R<rx::Regex> {
    match v {
        Value::Str(s) => regex(s, ""),
        other => pattern(other),
    }
}

/// A pattern argument: a Regexp, or a String matched literally.
pub fn pattern(v: &Value) -> R<rx::Regex> {
    match v {
        Value::Regex { source, flags } => regex(source, flags),
        Value::Str(s) => regex(&rx::escape(s), ""),
        other => Err(Flow::raise(
            "TypeError",
            format!(
                "wrong argument type {} (expected Regexp)",
                other.class_name()
            ),
        )),
    }
}

/// Hash#<=, #<, #>= and #> (hash.c): subset and superset, each pair of the smaller found
/// in the larger with an `==` value. None: `op` is not one of them or a side is no Hash.
pub fn hash_order(op: &str, l: &Value, r: &Value) -> Option<bool> {
    let (Value::Hash(a), Value::Hash(b)) = (l, r) else {
        return None;
    };
    let within = |small: &[(Value, Value)], big: &Value| {
        small.iter().all(|(k, v)| big.hash_get(k) == Some(v))
    };
    Some(match op {
        "<=" => within(a, r),
        "<" => a.len() < b.len() && within(a, r),
        ">=" => within(b, l),
        ">" => a.len() > b.len() && within(b, l),
        _ => return None,
    })
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
    // Array's set operators take any right operand that converts to an Array.
    let r = match (&l, &r) {
        (Array(_), Array(_)) => r,
        (Array(_), _) if matches!(op, BinOp::Add | BinOp::Sub | BinOp::BitAnd | BinOp::BitOr) => {
            Array(to_array(&r)?)
        }
        _ => r,
    };
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
            let pos = match_recorded(&p, &s)?
                .map(|start| Int(s.get(..start).unwrap_or("").chars().count() as i64));
            if op == BinOp::Match {
                pos.unwrap_or(Nil)
            } else {
                Bool(pos.is_none())
            }
        }
        (BinOp::Cmp, _, _) => compare(&l, &r).map_or(Nil, |o| Int(o as i64)),
        (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge, Hash(_), Hash(_)) => {
            let name = match op {
                BinOp::Lt => "<",
                BinOp::Le => "<=",
                BinOp::Gt => ">",
                _ => ">=",
            };
            Bool(hash_order(name, &l, &r).unwrap_or(false))
        }
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

/// Iterators that still need a block (an Enumerator of them is not part of the subset).
pub const NEEDS_BLOCK: &[&str] = &["each_with_object", "transform_values", "transform_keys"];

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

/// Methods every value answers.
fn common<E: Embedding>(
    me: &mut Interp<'_, E>,
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
        // Strings, arrays and hashes are mutable unless frozen (a frozen string is known
        // by its expression: `Interp::frozen_expr`); the other plain values always are.
        "frozen?" => Value::Bool(!matches!(
            recv,
            Value::Str(_) | Value::Array(_) | Value::Hash(_)
        )),
        "to_json" => Value::Str(to_json(recv).to_string()),
        "respond_to?" => Value::Bool(a0.is_some_and(|m| is_builtin(&to_s(m)))),
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

/// A builtin method on a plain value. Mutating methods change `recv` in place. None: no
/// value here answers `name` (the evaluator says whether that is Ruby's NoMethodError or a
/// method outside the subset: it sees every class's methods).
pub fn call_builtin<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &mut Value,
    name: &str,
    args: Vec<Value>,
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
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
                        return Some(Ok(if name == "match?" {
                            Value::Bool(false)
                        } else {
                            Value::Nil
                        }));
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
        return Some(r.map_err(|e| locate(me, e, off)));
    }
    if let Some(r) = common(me, &recv.clone(), name, &args, blk, off) {
        return Some(r.map_err(|e| locate(me, e, off)));
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
        return Some(binop(
            op,
            recv.clone(),
            args.into_iter().next().unwrap_or(Value::Nil),
        ));
    }
    None
}

/// Places a regexp compile error at the call site.
fn locate<E: Embedding>(me: &Interp<'_, E>, e: Flow, off: u32) -> Flow {
    match e {
        Flow::Unsupported { construct, at } if at.is_empty() => Flow::Unsupported {
            construct,
            at: me.at(off),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::native::ruby::methods::strings::split;

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
