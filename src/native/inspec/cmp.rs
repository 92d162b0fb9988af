//! InSpec's `cmp` matcher: numeric strings compare as numbers, strings case-insensitively,
//! octal mode strings (`'0644'`) against integer modes, version-like strings as versions,
//! regexps by match, and a one-element array as its element.

use std::cmp::Ordering;

use crate::native::ruby::methods::{compare, str_to_i, to_s};
use crate::native::ruby::value::Value;
use crate::native::ruby::version::{version, version_cmp};

/// `\A0+\Z|\A[1-9]\d*\Z`: a string InSpec's cmp treats as an integer.
fn integer_str(s: &str) -> bool {
    (!s.is_empty() && s.bytes().all(|b| b == b'0'))
        || (s
            .as_bytes()
            .first()
            .is_some_and(|b| (b'1'..=b'9').contains(b))
            && s.bytes().all(|b| b.is_ascii_digit()))
}

/// `\A0+\d+\Z`: an octal mode string such as `0644`.
pub fn octal_str(v: &Value) -> bool {
    match v {
        Value::Str(s) => {
            let zeros = s.bytes().take_while(|b| *b == b'0').count();
            zeros > 0 && s.len() > zeros && s.bytes().skip(zeros).all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

fn float_str(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => s.trim().replace('_', "").parse::<f64>().ok(),
        _ => None,
    }
}

fn apply(o: Option<Ordering>, op: &str, eq: bool) -> bool {
    match op {
        "==" => eq,
        "!=" => !eq,
        _ => match o {
            Some(o) => match op {
                "<" => o == Ordering::Less,
                "<=" => o != Ordering::Greater,
                ">" => o == Ordering::Greater,
                ">=" => o != Ordering::Less,
                _ => false,
            },
            None => false,
        },
    }
}

fn ord_op(a: &Value, op: &str, b: &Value) -> bool {
    let o = compare(a, b);
    apply(o, op, a == b)
}

/// `actual` compared with `expected` by InSpec's `cmp` (op `==` unless chained).
pub fn cmp(actual: &Value, op: &str, expected: &Value) -> bool {
    if op == "===" {
        return crate::native::ruby::methods::case_eq(actual, expected).unwrap_or(false);
    }
    let actual = match actual {
        Value::Array(a) if a.len() == 1 && !matches!(expected, Value::Array(_)) => &a[0],
        other => other,
    };
    match (actual, expected) {
        (Value::Str(a), Value::Str(e)) => {
            if op == "==" {
                return a.to_lowercase() == e.to_lowercase();
            }
            if let (Some(va), Some(ve)) = (version(a), version(e)) {
                let o = version_cmp(&va, &ve);
                return apply(Some(o), op, o == Ordering::Equal);
            }
        }
        (Value::Str(_) | Value::Int(_), Value::Regex { source, flags }) => {
            return crate::native::ruby::rx::find(source, flags, &to_s(actual))
                .is_ok_and(|p| p.is_some());
        }
        (Value::Int(a), Value::Str(e)) if integer_str(e) => {
            return ord_op(&Value::Int(*a), op, &Value::Int(str_to_i(e, 10)));
        }
        (Value::Bool(a), Value::Str(e))
            if matches!(e.to_lowercase().as_str(), "true" | "false") =>
        {
            let b = e.eq_ignore_ascii_case("true");
            return apply(None, op, *a == b);
        }
        (Value::Str(a), Value::Int(e)) if integer_str(a) => {
            return ord_op(&Value::Int(str_to_i(a, 10)), op, &Value::Int(*e));
        }
        (_, Value::Float(e)) if float_str(actual).is_some() => {
            let a = float_str(actual).unwrap_or(0.0);
            return ord_op(&Value::Float(a), op, &Value::Float(*e));
        }
        (Value::Int(a), e) if octal_str(e) => {
            return ord_op(&Value::Int(*a), op, &Value::Int(str_to_i(&to_s(e), 8)));
        }
        _ => {}
    }
    // Ruby's own operator; mismatched types do not compare (false, as InSpec rescues it).
    ord_op(actual, op, expected)
}

/// What `got:` shows in cmp's failure message (octal expectations print the mode in octal).
pub fn shown_actual(actual: &Value, expected: &Value) -> String {
    match actual {
        Value::Int(i) if octal_str(expected) => format!("\"0{:o}\"", i),
        other => to_s(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn strings_and_numbers_coerce() {
        assert!(cmp(&s("2"), "==", &Value::Int(2)));
        assert!(cmp(&Value::Int(2), "==", &s("2")));
        assert!(!cmp(&s("2"), "==", &Value::Int(3)));
        assert!(
            !cmp(&s("-1"), "==", &Value::Int(-1)),
            "InSpec's integer? has no sign"
        );
        assert!(cmp(&s("1.5"), "==", &Value::Float(1.5)));
        assert!(cmp(&Value::Int(3), "==", &Value::Float(3.0)));
        assert!(!cmp(&s("abc"), "==", &Value::Int(0)));
    }

    #[test]
    fn strings_compare_case_insensitively_only_for_equality() {
        assert!(cmp(&s("RAW"), "==", &s("raw")));
        assert!(cmp(&s("Yes"), "==", &s("yes")));
        assert!(!cmp(&s("yes"), "==", &s("no")));
        assert!(cmp(&s("no"), "!=", &s("yes")));
        assert!(!cmp(&Value::Sym("raw".into()), "==", &s("raw")));
    }

    #[test]
    fn octal_modes() {
        assert!(cmp(&Value::Int(0o644), "==", &s("0644")));
        assert!(!cmp(&Value::Int(0o640), "==", &s("0644")));
        assert!(cmp(&Value::Int(0o600), "<=", &s("0644")));
        assert_eq!(shown_actual(&Value::Int(0o640), &s("0644")), "\"0640\"");
        assert_eq!(shown_actual(&Value::Int(5), &Value::Int(2)), "5");
    }

    #[test]
    fn ordering_operators() {
        assert!(cmp(&s("10"), ">=", &Value::Int(5)));
        assert!(cmp(&Value::Int(4), "<", &s("5")));
        assert!(!cmp(&s("abc"), "<", &Value::Int(5)));
        assert!(cmp(&Value::Int(60), "<=", &Value::Int(60)));
        assert!(cmp(&s("8.4"), ">=", &s("6.6")), "version strings");
        assert!(cmp(&s("1.10"), ">", &s("1.9")));
        assert!(
            cmp(&s("7.4p1"), "<", &s("7.4")),
            "a letter segment is a prerelease"
        );
    }

    #[test]
    fn arrays_regexps_and_booleans() {
        let one = Value::Array(vec![s("root")]);
        assert!(cmp(&one, "==", &s("ROOT")));
        assert!(cmp(&one, "==", &Value::Array(vec![s("root")])));
        assert!(!cmp(&Value::Array(vec![s("a"), s("b")]), "==", &s("a")));
        let re = Value::Regex {
            source: "^raw$".into(),
            flags: "i".into(),
        };
        assert!(cmp(&s("RAW"), "==", &re));
        assert!(cmp(
            &Value::Int(22),
            "==",
            &Value::Regex {
                source: r"^\d+$".into(),
                flags: String::new()
            }
        ));
        assert!(cmp(&Value::Bool(true), "==", &s("TRUE")));
        assert!(cmp(&Value::Bool(false), "==", &s("false")));
        assert!(!cmp(&Value::Nil, "==", &s("")));
        assert!(cmp(&Value::Nil, "==", &Value::Nil));
    }
}
