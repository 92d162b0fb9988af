//! InSpec's `cmp` matcher, rule for rule as `lib/matchers/matchers.rb` (`try_match`): the
//! first rule whose kinds fit decides, in [`RULES`]' order; what no rule decides is Ruby's
//! own operator, false when Ruby would raise (InSpec rescues NameError and ArgumentError).

use std::cmp::Ordering;

use crate::native::ruby::methods::{compare, str_to_i, to_s};
use crate::native::ruby::value::Value;
use crate::native::ruby::version::{version, version_cmp};

/// Ruby's `\Z`: the end, or just before a final newline.
fn before_z(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

/// `integer?`: `/\A-?0+\Z|\A-?[1-9]\d*\Z/` (a sign, no leading zeros).
fn integer_str(s: &str) -> bool {
    let s = before_z(s);
    let d = s.strip_prefix('-').unwrap_or(s);
    !d.is_empty()
        && d.bytes().all(|b| b.is_ascii_digit())
        && (d.bytes().all(|b| b == b'0') || !d.starts_with('0'))
}

/// `octal?`: a String matching `/\A0+[0-7]+\Z/` (`'0644'`).
pub fn octal_str(v: &Value) -> bool {
    let Value::Str(s) = v else { return false };
    let s = before_z(s);
    s.len() >= 2 && s.starts_with('0') && s.bytes().all(|b| (b'0'..=b'7').contains(&b))
}

/// `boolean?`: `true`/`false`, or text (String, Symbol) that downcases to `true`/`false`.
fn boolean(v: &Value) -> bool {
    match v {
        Value::Bool(_) => true,
        Value::Str(s) | Value::Sym(s) => matches!(s.to_lowercase().as_str(), "true" | "false"),
        _ => false,
    }
}

/// Ruby's `Float(value)` accepts it: numbers, and strict decimal (or hex) text.
fn float_like(v: &Value) -> bool {
    match v {
        Value::Int(_) | Value::Float(_) => true,
        Value::Str(s) => strict_float(s),
        _ => false,
    }
}

/// `Float("...")`: spaces around, a sign, digits with single `_` between them, an optional
/// fraction (digits after the dot) and exponent; or `0x` hex digits.
fn strict_float(s: &str) -> bool {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return digits(hex, |c| c.is_ascii_hexdigit());
    }
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let dec = |s: &str| digits(s, |c| c.is_ascii_digit());
    (dec(int) || (int.is_empty() && frac.is_some()))
        && frac.is_none_or(dec)
        && exp.is_none_or(|e| dec(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// Digits of a kind, `_` only between two of them.
fn digits(s: &str, ok: impl Fn(char) -> bool) -> bool {
    !s.is_empty()
        && !s.starts_with('_')
        && !s.ends_with('_')
        && !s.contains("__")
        && s.chars().all(|c| c == '_' || ok(c))
}

/// Ruby's `to_f`: the longest decimal prefix (`"0x1A".to_f` is 0.0, as Ruby's).
fn to_f(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Str(s) => {
            let t = s.trim_start().replace('_', "");
            let b = t.as_bytes();
            let run = |mut k: usize| {
                while b.get(k).is_some_and(u8::is_ascii_digit) {
                    k += 1;
                }
                k
            };
            let sign = usize::from(matches!(b.first(), Some(b'+' | b'-')));
            let mut end = run(sign);
            if b.get(end) == Some(&b'.') && run(end + 1) > end + 1 {
                end = run(end + 1);
            }
            if end > sign && matches!(b.get(end), Some(b'e' | b'E')) {
                let k = end + 1 + usize::from(matches!(b.get(end + 1), Some(b'+' | b'-')));
                if run(k) > k {
                    end = run(k);
                }
            }
            t[..end].parse().unwrap_or(0.0)
        }
        _ => 0.0,
    }
}

/// `a.send(op, b)` for values with an order: false for an operator the kinds lack.
fn by_order(o: Option<Ordering>, op: &str) -> bool {
    match (o, op) {
        (Some(o), "==") => o == Ordering::Equal,
        (Some(o), "!=") => o != Ordering::Equal,
        (Some(o), "<") => o == Ordering::Less,
        (Some(o), "<=") => o != Ordering::Greater,
        (Some(o), ">") => o == Ordering::Greater,
        (Some(o), ">=") => o != Ordering::Less,
        (None, "!=") => true,
        _ => false,
    }
}

/// Ruby's `actual.send(op, expected)` (the fallback): `==`/`!=` by Ruby equality, the order
/// operators where Ruby has them (numbers, strings), false where it raises.
fn plain(actual: &Value, op: &str, expected: &Value) -> bool {
    match op {
        "==" => actual == expected,
        "!=" => actual != expected,
        "=~" => false,
        _ => match (actual, expected) {
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_))
            | (Value::Str(_), Value::Str(_)) => by_order(compare(actual, expected), op),
            _ => false,
        },
    }
}

/// What a rule says: the outcome, or "Ruby's own operator decides".
enum Verdict {
    Is(bool),
    Plain,
}

/// One branch of `try_match`: when it applies (by the kinds of actual and expected) and
/// what it answers. `line` is the branch's line in matchers.rb (inspec/inspec 5ce9fa1).
pub struct Rule {
    pub name: &'static str,
    pub line: u32,
    applies: fn(&Value, &Value) -> bool,
    decide: fn(&Value, &str, &Value) -> Verdict,
}

fn text(v: &Value) -> &str {
    match v {
        Value::Str(s) | Value::Sym(s) => s,
        _ => "",
    }
}

/// `try_match`'s branches, in its order.
pub const RULES: &[Rule] = &[
    Rule {
        name: "two strings: case-insensitive ==, versions for the other operators",
        line: 256,
        applies: |a, e| matches!((a, e), (Value::Str(_), Value::Str(_))),
        decide: |a, op, e| {
            let (a, e) = (text(a), text(e));
            if op == "==" {
                return Verdict::Is(a.to_lowercase() == e.to_lowercase());
            }
            match (version(a), version(e)) {
                (Some(va), Some(ve)) => Verdict::Is(by_order(Some(version_cmp(&va, &ve)), op)),
                _ => Verdict::Plain,
            }
        },
    },
    Rule {
        name: "a Regexp against a String or Integer: whether it matches (any operator)",
        line: 260,
        applies: |a, e| {
            matches!(e, Value::Regex { .. }) && matches!(a, Value::Str(_) | Value::Int(_))
        },
        decide: |a, _, e| match e {
            Value::Regex { source, flags } => Verdict::Is(
                crate::native::ruby::rx::find(source, flags, &to_s(a)).is_ok_and(|p| p.is_some()),
            ),
            _ => Verdict::Plain,
        },
    },
    Rule {
        name: "an integer String against an Integer: expected.to_i",
        line: 262,
        applies: |a, e| matches!((a, e), (Value::Int(_), Value::Str(s)) if integer_str(s)),
        decide: |a, op, e| Verdict::Is(plain(a, op, &Value::Int(str_to_i(text(e), 10)))),
    },
    Rule {
        name: "a 'true'/'false' String against true or false",
        line: 264,
        applies: |a, e| matches!(e, Value::Str(_)) && boolean(e) && matches!(a, Value::Bool(_)),
        decide: |a, op, e| {
            let b = Value::Bool(text(e).eq_ignore_ascii_case("true"));
            // TrueClass has == and != only.
            Verdict::Is(matches!(op, "==" | "!=") && plain(a, op, &b))
        },
    },
    Rule {
        name: "true or false against the String 'true'/'false': expected.to_s",
        line: 266,
        applies: |a, e| boolean(e) && matches!(a, Value::Str(s) if s == "true" || s == "false"),
        decide: |a, op, e| {
            let shown = match e {
                Value::Bool(b) => b.to_string(),
                other => text(other).to_string(),
            };
            Verdict::Is(plain(a, op, &Value::Str(shown)))
        },
    },
    Rule {
        name: "an Integer against an integer String: actual.to_i",
        line: 268,
        applies: |a, e| matches!((a, e), (Value::Str(s), Value::Int(_)) if integer_str(s)),
        decide: |a, op, e| Verdict::Is(plain(&Value::Int(str_to_i(text(a), 10)), op, e)),
    },
    Rule {
        name: "a Float against anything Float() accepts: actual.to_f",
        line: 270,
        applies: |a, e| matches!(e, Value::Float(_)) && float_like(a),
        decide: |a, op, e| Verdict::Is(plain(&Value::Float(to_f(a)), op, e)),
    },
    Rule {
        name: "a Symbol against a String: as its String",
        line: 272,
        applies: |a, e| matches!((a, e), (Value::Sym(_), Value::Str(_))),
        decide: |a, op, e| Verdict::Is(try_match(&Value::str(text(a)), op, e)),
    },
    Rule {
        name: "an octal String ('0644') against an Integer: expected.to_i(8)",
        line: 274,
        applies: |a, e| octal_str(e) && matches!(a, Value::Int(_)),
        decide: |a, op, e| Verdict::Is(plain(a, op, &Value::Int(str_to_i(text(e), 8)))),
    },
];

/// `try_match`: the first rule that applies, else Ruby's operator.
fn try_match(actual: &Value, op: &str, expected: &Value) -> bool {
    match RULES.iter().find(|r| (r.applies)(actual, expected)) {
        Some(r) => match (r.decide)(actual, op, expected) {
            Verdict::Is(b) => b,
            Verdict::Plain => plain(actual, op, expected),
        },
        None => plain(actual, op, expected),
    }
}

/// `actual` compared with `expected` by InSpec's `cmp` (op `==` unless chained): `===` is
/// Ruby's case equality, a one-element array stands for its element (unless an array is
/// expected), then [`RULES`].
pub fn cmp(actual: &Value, op: &str, expected: &Value) -> bool {
    if op == "===" {
        return crate::native::ruby::methods::case_eq(actual, expected).unwrap_or(false);
    }
    let actual = match actual {
        Value::Array(a) if a.len() == 1 && !matches!(expected, Value::Array(_)) => &a[0],
        other => other,
    };
    try_match(actual, op, expected)
}

/// `format_actual`'s `got:` text: an octal expectation shows an Integer in octal
/// (`"0%o" % actual`), everything else as Ruby's `%s` (`to_s`).
pub fn shown_actual(actual: &Value, expected: &Value) -> String {
    match actual {
        Value::Int(i) if octal_str(expected) => format!("0{i:o}"),
        other => to_s(other),
    }
}

/// cmp's failure message (`format_actual` and `format_expectation`): `expected: %s` for a
/// plain `==`, `expected it [not ]to be OP %p` otherwise. `inspect` is Ruby's `%p`.
pub fn failure_message(
    actual: &Value,
    op: &str,
    expected: &Value,
    negated: bool,
    inspect: impl Fn(&Value) -> String,
) -> String {
    let expectation = if op == "==" && !negated {
        format!("expected: {}", to_s(expected))
    } else {
        let not = if negated { "not " } else { "" };
        format!("expected it {not}to be {op} {}", inspect(expected))
    };
    format!(
        "\n{expectation}\n     got: {}\n\n(compared using `cmp` matcher)\n",
        shown_actual(actual, expected)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }
    fn i(x: i64) -> Value {
        Value::Int(x)
    }
    fn f(x: f64) -> Value {
        Value::Float(x)
    }
    fn b(x: bool) -> Value {
        Value::Bool(x)
    }
    fn re(src: &str, flags: &str) -> Value {
        Value::Regex {
            source: src.into(),
            flags: flags.into(),
        }
    }
    fn sym(x: &str) -> Value {
        Value::Sym(x.into())
    }

    /// (actual, op, expected, InSpec's outcome, why): one row per branch of `try_match`
    /// and per coercion it makes, with the cases of issue 14 and the matcher reference.
    fn table() -> Vec<(Value, &'static str, Value, bool, &'static str)> {
        vec![
            // 256: two strings
            (s("RAW"), "==", s("raw"), true, "case-insensitive =="),
            (
                s("Yes"),
                "==",
                s("yes"),
                true,
                "docs: cmp is not case sensitive",
            ),
            (s("yes"), "==", s("no"), false, "different text"),
            (s("1.0"), "==", s("1"), false, "== is casecmp, not versions"),
            (s("8.4"), ">=", s("6.6"), true, "versions"),
            (
                s("1.10"),
                ">",
                s("1.9"),
                true,
                "versions compare numerically",
            ),
            (
                s("7.35.0-1ubuntu2.10"),
                "<",
                s("7.36"),
                true,
                "docs: package versions",
            ),
            (
                s("7.4p1"),
                "<",
                s("7.4"),
                true,
                "a letter segment is a prerelease",
            ),
            (
                s("1.0.a"),
                ">=",
                s("1.a"),
                true,
                "canonical segments drop zeros",
            ),
            (
                s("1.0"),
                "!=",
                s("1"),
                false,
                "!= on versions: equal versions",
            ),
            (
                s("abc"),
                "!=",
                s("ABC"),
                true,
                "!= on non-versions: Ruby's case-sensitive !=",
            ),
            (s("b"), ">", s("a"), true, "non-versions: String order"),
            (s("B"), ">", s("a"), false, "String order is bytewise"),
            (s(""), "<", s("1"), true, "'' is version 0"),
            // 260: regexps
            (s("RAW"), "==", re("^raw$", "i"), true, "docs: cmp /raw/i"),
            (i(22), "==", re(r"^\d+$", ""), true, "an Integer as text"),
            (s("abc"), "!=", re("b", ""), true, "any operator is a match"),
            (Value::Nil, "==", re(".*", ""), false, "nil is not matched"),
            // 262: Integer actual, integer String expected
            (i(2), "==", s("2"), true, "docs: Protocol cmp '2'"),
            (i(-1), "==", s("-1"), true, "signed integer strings"),
            (i(3), "<", s("5"), true, "to_i then Integer#<"),
            (
                i(7),
                "==",
                s("007"),
                true,
                "not integer? but octal?: 007 is 7",
            ),
            // 264: String 'true'/'false' expected, boolean actual
            (b(true), "==", s("TRUE"), true, "casecmp('true')"),
            (b(false), "==", s("false"), true, "false"),
            (b(true), "!=", s("false"), true, "!="),
            (b(true), "<", s("true"), false, "TrueClass has no <"),
            // 266: boolean expected, 'true'/'false' String actual
            (s("true"), "==", b(true), true, "issue 14: 'true' cmp true"),
            (s("false"), "==", b(true), false, "'false' vs true"),
            (
                s("TRUE"),
                "==",
                b(true),
                false,
                "only lowercase actual text",
            ),
            (
                s("false"),
                "<",
                b(true),
                true,
                "String#< on 'false' < 'true'",
            ),
            (
                s("true"),
                "==",
                sym("true"),
                true,
                "a Symbol expected is boolean? too",
            ),
            // 268: integer String actual, Integer expected
            (s("2"), "==", i(2), true, "docs: Protocol cmp 2"),
            (s("-1"), "==", i(-1), true, "issue 14: '-1' cmp -1"),
            (
                s("-1"),
                "<=",
                i(35),
                true,
                "issue 14: cmp <= 35 against '-1'",
            ),
            (s("10"), ">=", i(5), true, "numerically, not as text"),
            (s("0"), "==", i(0), true, "zero"),
            (s("-0"), "==", i(0), true, "minus zero"),
            (s("2\n"), "==", i(2), true, r"\Z allows a final newline"),
            (s("007"), "==", i(7), false, "leading zeros: not integer?"),
            (
                s("1.5"),
                "==",
                i(1),
                false,
                "not an integer: String == Integer",
            ),
            (s("abc"), "<", i(5), false, "ArgumentError rescued"),
            (s("2"), "==", i(3), false, "different numbers"),
            // 270: Float expected
            (s("1.5"), "==", f(1.5), true, "Float('1.5')"),
            (i(3), "==", f(3.0), true, "Integer#to_f"),
            (
                s("1_000.5"),
                "==",
                f(1000.5),
                true,
                "underscores between digits",
            ),
            (s(" 2.5 "), ">", f(2.0), true, "spaces around"),
            (s("1e3"), "==", f(1000.0), true, "exponent"),
            (
                s("0x10"),
                "==",
                f(16.0),
                false,
                "Float() takes hex, to_f reads 0",
            ),
            (
                s("1.5abc"),
                "==",
                f(1.5),
                false,
                "not Float(): String == Float",
            ),
            (Value::Nil, "==", f(0.0), false, "Float(nil) is a TypeError"),
            // 272: Symbol actual
            (sym("Raw"), "==", s("raw"), true, "as its String"),
            (sym("2"), "==", s("2"), true, "as its String"),
            // 274: octal String expected, Integer actual
            (i(0o644), "==", s("0644"), true, "docs: mode cmp '0644'"),
            (i(0o640), "==", s("0644"), false, "different mode"),
            (i(0o600), "<=", s("0644"), true, "octal order"),
            (i(0o644), "==", s("0744\n"), false, r"\Z: 0744"),
            (
                i(9),
                "==",
                s("09"),
                false,
                "8 and 9 are not octal: Integer == String",
            ),
            // fallback: Ruby's operator
            (i(60), "<=", i(60), true, "Integer#<="),
            (i(1), "==", f(1.0), true, "1 == 1.0"),
            (f(1.5), "<", i(2), true, "Float#<"),
            (Value::Nil, "==", Value::Nil, true, "nil == nil"),
            (Value::Nil, "==", s(""), false, "nil is not ''"),
            (Value::Nil, "<", i(1), false, "NoMethodError rescued"),
            (Value::Nil, "!=", i(1), true, "nil != 1"),
            (s("x"), "==", Value::Nil, false, "String == nil"),
            (sym("raw"), "==", sym("raw"), true, "Symbols"),
            (i(1), "<", s("abc"), false, "ArgumentError rescued"),
            (
                Value::Array(vec![s("a"), s("b")]),
                "==",
                Value::Array(vec![s("a"), s("b")]),
                true,
                "Array#==",
            ),
            (
                Value::Array(vec![s("a")]),
                "<",
                Value::Array(vec![s("b")]),
                false,
                "Array has no <",
            ),
        ]
    }

    #[test]
    fn every_row_of_the_table() {
        let mut wrong = Vec::new();
        for (a, op, e, want, why) in table() {
            if cmp(&a, op, &e) != want {
                wrong.push(format!("{a:?} cmp {op} {e:?}: want {want} ({why})"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn each_rule_is_exercised_by_the_table() {
        let table = table();
        for (n, rule) in RULES.iter().enumerate() {
            let first = |a: &Value, e: &Value| RULES.iter().position(|r| (r.applies)(a, e));
            assert!(
                table.iter().any(|(a, _, e, _, _)| first(a, e) == Some(n)),
                "no row decided by rule {n} ({}, matchers.rb:{})",
                rule.name,
                rule.line
            );
        }
    }

    #[test]
    fn arrays_and_case_equality() {
        let one = Value::Array(vec![s("root")]);
        assert!(cmp(&one, "==", &s("ROOT")), "docs: users cmp 'root'");
        assert!(cmp(&one, "==", &Value::Array(vec![s("root")])));
        assert!(cmp(&Value::Array(vec![s("raw")]), "==", &re("raw", "i")));
        assert!(cmp(&Value::Array(vec![s("5")]), ">", &i(4)));
        assert!(!cmp(&Value::Array(vec![s("a"), s("b")]), "==", &s("a")));
        assert!(!cmp(&Value::Array(vec![]), "==", &Value::Nil));
        assert!(!cmp(&s("abc"), "===", &re("b", "")), "actual === expected");
        assert!(cmp(&re("b", ""), "===", &s("abc")));
    }

    #[test]
    fn messages_as_format_actual_writes_them() {
        let p = |v: &Value| format!("{v:?}");
        assert_eq!(
            failure_message(&i(0o640), "==", &s("0644"), false, p),
            "\nexpected: 0644\n     got: 0640\n\n(compared using `cmp` matcher)\n",
            "docs: expected: 0345 got: 0444"
        );
        assert_eq!(
            failure_message(&s("d.1"), "==", &s("d.1"), false, p),
            "\nexpected: d.1\n     got: d.1\n\n(compared using `cmp` matcher)\n",
            "%s, no quotes (test/unit/enhanced_outcomes_test.rb)"
        );
        assert_eq!(
            failure_message(&s("YES"), "==", &s("yes"), true, p),
            "\nexpected it not to be == \"yes\"\n     got: YES\n\n(compared using `cmp` matcher)\n"
        );
        assert_eq!(
            failure_message(&i(3), ">=", &i(5), false, p),
            "\nexpected it to be >= 5\n     got: 3\n\n(compared using `cmp` matcher)\n"
        );
    }
}
