//! Ruby regexps on `fancy-regex` (Ruby's engine is Onigmo, a fork of Oniguruma; fancy-regex
//! has an Oniguruma mode, but in it `^` needs the backtracking VM, 30 times slower on the
//! profiles' anchored patterns, so the few differences that matter are translated here). fancy-regex is pure Rust (no C build), hands every part without look-around or
//! backreferences to the `regex` crate (plain patterns keep its speed), and bounds
//! backtracking, so a pathological pattern fails with an error instead of hanging.
//!
//! Ruby's dialect differs from the engine's in a few places, translated here:
//! - `^`/`$` are always line anchors (the engine's multi-line mode is always on);
//! - Ruby's `m` flag, and `m` in inline groups (`(?m)`, `(?m:…)`, `(?-m)`), is
//!   dot-matches-newline (the engine's `s`);
//! - `\d`, `\w`, `\s` are ASCII classes (the engine's are Unicode);
//! - `\/` is a slash, `\ ` a space (also in `x` mode), `\<` and `\>` the characters.

use std::cell::RefCell;
use std::collections::HashMap;

pub use fancy_regex::{Error, Regex};

/// The groups of one match in a string.
pub type Captures<'t> = fancy_regex::Captures<'t, str>;

/// Largest compiled program accepted (a profile must not exhaust memory with one regexp).
const SIZE_LIMIT: usize = 4 << 20;
/// Backtracking steps one match may take before it fails (Ruby 3.2's `Regexp.timeout` role).
const BACKTRACK_LIMIT: usize = 1_000_000;
const CACHE_LIMIT: usize = 512;

thread_local! {
    static CACHE: RefCell<HashMap<(String, String), Result<Regex, String>>> =
        RefCell::new(HashMap::new());
}

/// ASCII classes of Ruby's `\d \w \s` (inside a bracket, and as a whole class).
fn ascii_class(c: char) -> Option<&'static str> {
    Some(match c {
        'd' => "0-9",
        'w' => "a-zA-Z0-9_",
        's' => r" \t\n\x0B\x0C\r",
        _ => return None,
    })
}

/// Ruby source to the engine's syntax (flags are set on the builder by [`compile`]).
pub fn translate(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 8);
    let mut chars = source.chars().peekable();
    let mut in_class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(k @ ('d' | 'w' | 's')) => {
                    let class = ascii_class(k).unwrap_or_default();
                    if in_class > 0 {
                        out.push_str(class);
                    } else {
                        out.push('[');
                        out.push_str(class);
                        out.push(']');
                    }
                }
                Some(k @ ('D' | 'W' | 'S')) if in_class == 0 => {
                    out.push_str("[^");
                    out.push_str(ascii_class(k.to_ascii_lowercase()).unwrap_or_default());
                    out.push(']');
                }
                Some('/') => out.push('/'),
                // Ruby's `\<` and `\>` are the characters, not word boundaries.
                Some(c @ ('<' | '>')) => out.push(c),
                Some(' ') => out.push_str(r"\x20"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str(r"\\"),
            },
            '[' => {
                // A POSIX bracket (`[:alpha:]`) inside a class is copied whole.
                if in_class > 0 && chars.peek() == Some(&':') {
                    out.push('[');
                    for p in chars.by_ref() {
                        out.push(p);
                        if p == ']' {
                            break;
                        }
                    }
                    continue;
                }
                in_class += 1;
                out.push('[');
                // A leading `]` or `^]` is literal in both dialects.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(']');
            }
            '(' if in_class == 0 && chars.peek() == Some(&'?') => {
                out.push_str("(?");
                chars.next();
                // Inline options `(?imx-imx)` / `(?imx-imx:`: Ruby's `m` is the engine's `s`.
                let rest: String = chars
                    .clone()
                    .take_while(|c| !matches!(c, ')' | ':'))
                    .collect();
                let is_flags = !rest.is_empty()
                    && rest.chars().all(|c| matches!(c, 'i' | 'm' | 'x' | '-'))
                    && chars.clone().nth(rest.chars().count()).is_some();
                if is_flags {
                    for f in rest.chars() {
                        out.push(if f == 'm' { 's' } else { f });
                        chars.next();
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Ruby's extended mode (`x`): whitespace outside a character class and `#` comments to
/// the end of the line are not part of the pattern; escaped ones (`\ `, `\#`) are. Done
/// here rather than by the engine so a comment's brackets or parentheses are never read as
/// syntax by [`translate`].
fn strip_extended(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars();
    let mut in_class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                out.extend(chars.next());
            }
            '[' => {
                in_class += 1;
                out.push(c);
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(c);
            }
            '#' if in_class == 0 => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            c if in_class == 0 && c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Compiles without the cache (what a benchmark of compilation measures).
pub fn build(source: &str, flags: &str) -> Result<Regex, String> {
    let stripped;
    let pattern = if flags.contains('x') {
        stripped = strip_extended(source);
        stripped.as_str()
    } else {
        source
    };
    fancy_regex::RegexBuilder::new(&translate(pattern))
        .multi_line(true)
        .case_insensitive(flags.contains('i'))
        .dot_matches_new_line(flags.contains('m'))
        .backtrack_limit(BACKTRACK_LIMIT)
        .delegate_size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let first = e.to_string();
            let detail = first.lines().last().unwrap_or("").trim().to_string();
            format!("regexp /{source}/{flags} ({detail})")
        })
}

/// Compiles a Ruby regexp (cached per thread). Err: why it cannot be compiled natively.
pub fn compile(source: &str, flags: &str) -> Result<Regex, String> {
    let key = (source.to_string(), flags.to_string());
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return hit;
    }
    let result = build(source, flags);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(key, result.clone());
    });
    result
}

/// Whether a source compiles natively. Err: the construct that cannot.
pub fn check_for_match(source: &str, flags: &str) -> Result<(), String> {
    compile(source, flags).map(|_| ())
}

/// Why a match could not finish (backtracking beyond the limit).
pub fn runtime_error(source: &str, e: &fancy_regex::Error) -> String {
    format!("regexp /{source}/ match failed: {e}")
}

/// The byte position of the first match in `text` (Ruby's `=~`).
pub fn find(source: &str, flags: &str, text: &str) -> Result<Option<usize>, String> {
    compile(source, flags)?
        .find(text)
        .map(|m| m.map(|m| m.start()))
        .map_err(|e| runtime_error(source, &e))
}

/// Ruby's `Regexp.escape`: the source matching `s` literally.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '.' | '*' | '?' | '+' | '^' | '$' | '|' | '(' | ')' | '[' | ']' | '{' | '}' | '\\'
            | '-' | '#' => {
                out.push('\\');
                out.push(c);
            }
            ' ' => out.push_str("\\ "),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x0C' => out.push_str("\\f"),
            '\x0B' => out.push_str("\\v"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (source, flags, text, Ruby's `$~[0]` or None) — cases from Ruby's Regexp documentation
    /// (doc/regexp.rdoc: anchors, character classes, POSIX brackets, options, groups,
    /// look-around, backreferences).
    const CASES: &[(&str, &str, &str, Option<&str>)] = &[
        // Anchors: `^`/`$` are line anchors; `\A`, `\z`, `\Z` string anchors.
        (
            "^PermitRootLogin no$",
            "",
            "X yes\nPermitRootLogin no\nY",
            Some("PermitRootLogin no"),
        ),
        (r"\Afoo", "", "bar\nfoo", None),
        (r"bar\z", "", "bar\n", None),
        (r"bar\Z", "", "bar\n", Some("bar")),
        ("^$", "", "a\n\nb", Some("")),
        // Options: `m` makes `.` match a newline, `i` ignores case, `x` extended.
        ("a.b", "", "a\nb", None),
        ("a.b", "m", "a\nb", Some("a\nb")),
        ("ABC", "i", "xabcx", Some("abc")),
        ("a b # comment\n c", "x", "abc", Some("abc")),
        (r"a\ b", "x", "a b", Some("a b")),
        // Extended mode: a comment's brackets and parentheses are not syntax, a class keeps
        // its spaces, an escaped `#` is the character.
        (
            "^ (?<x> a+ ) # one [or more) a's\n b",
            "x",
            "aab",
            Some("aab"),
        ),
        ("[ ]b", "x", "a b", Some(" b")),
        (r"a\#b # c", "x", "a#b", Some("a#b")),
        // Inline options mean the same as the flags.
        ("(?i)abc", "", "ABC", Some("ABC")),
        ("(?m)a.b", "", "a\nb", Some("a\nb")),
        ("(?m:a.b)c", "", "a\nbc", Some("a\nbc")),
        ("(?i:a)b", "", "Ab AB", Some("Ab")),
        ("(?-m)a.b", "m", "a\nb", None),
        // Ruby's character-class escapes: `\h` hex digit, ASCII `\d \w \s`.
        (r"^\h+$", "", "09af", Some("09af")),
        (r"[\h:]+\Z", "", "fe80::1\n", Some("fe80::1")),
        (r"\H+", "", "09xyz", Some("xyz")),
        (r"\d+", "", "٣42", Some("42")),
        (r"\w+", "", "éab_1", Some("ab_1")),
        (r"[\w.]+", "", "é a.b", Some("a.b")),
        (r"\s+", "", "a \t\nb", Some(" \t\n")),
        (r"\S+", "", "  ab ", Some("ab")),
        // POSIX brackets.
        ("[[:alpha:]]+", "", "12abc3", Some("abc")),
        ("[[:digit:][:space:]]+", "", "ab1 2c", Some("1 2")),
        ("[[:upper:]]", "", "abC", Some("C")),
        // Literal `/` and a leading `]` in a class.
        (r"\/etc\/passwd", "", "/etc/passwd", Some("/etc/passwd")),
        (r"[]a]+", "", "x]a]", Some("]a]")),
        (r"\<\w+\>", "", "a <b> c", Some("<b>")),
        // Groups: named, non-capturing, atomic.
        (r"(?<user>\w+):x", "", "root:x:0", Some("root:x")),
        (r"(?:ab)+", "", "ababa", Some("abab")),
        (r"(?>a+)b", "", "aaab", Some("aaab")),
        // Look-ahead and look-behind, positive and negative.
        ("foo(?=bar)", "", "foobaz foobar", Some("foo")),
        ("foo(?!bar)", "", "foobar foobaz", Some("foo")),
        ("(?<=\\$)\\d+", "", "cost $42", Some("42")),
        ("(?<!\\$)\\b\\d+", "", "$42 17", Some("17")),
        (
            "(?=.*-A INPUT)(?=.*-j ACCEPT)",
            "",
            "-j ACCEPT -A INPUT",
            Some(""),
        ),
        (
            r"^(?!.*\bno\b).*PermitRootLogin",
            "",
            "PermitRootLogin no\n  PermitRootLogin",
            Some("  PermitRootLogin"),
        ),
        // Backreferences, numbered and named.
        (r"(\w)\1", "", "abccd", Some("cc")),
        (r"(?<q>['\x22]).*?\k<q>", "", r#"x 'a' "b""#, Some("'a'")),
        // Quantifiers: lazy, bounded.
        ("<.+?>", "", "<a><b>", Some("<a>")),
        (r"\d{2,3}", "", "1 1234", Some("123")),
    ];

    #[test]
    fn ruby_regexp_table() {
        for (src, flags, text, want) in CASES {
            let re = compile(src, flags).unwrap_or_else(|e| panic!("/{src}/{flags}: {e}"));
            let got = re.find(text).unwrap().map(|m| m.as_str());
            assert_eq!(got, *want, "/{src}/{flags} =~ {text:?}");
        }
    }

    #[test]
    fn named_groups_and_positions() {
        let re = compile(r"(?<major>\d+)\.(?<minor>\d+)", "").unwrap();
        let caps = re.captures("v 7.9").unwrap().unwrap();
        assert_eq!(caps.name("major").unwrap().as_str(), "7");
        assert_eq!(caps.name("minor").unwrap().as_str(), "9");
        assert_eq!(find("b", "", "abc").unwrap(), Some(1));
        assert_eq!(find("z", "", "abc").unwrap(), None);
    }

    #[test]
    fn escape_is_rubys_and_round_trips() {
        assert_eq!(escape("a.b*c d"), r"a\.b\*c\ d");
        assert_eq!(escape("x\ty-z#"), r"x\ty\-z\#");
        assert_eq!(escape("/etc/x"), "/etc/x");
        for s in ["a.b*c d", "(x)[y]{z}|^$?+\\", "tab\there-#", "/etc/ssh"] {
            let re = compile(&escape(s), "").unwrap();
            assert_eq!(re.find(s).unwrap().map(|m| m.as_str()), Some(s), "{s:?}");
        }
    }

    #[test]
    fn bad_patterns_are_reported_and_runaway_matches_stop() {
        let err = compile("a(b", "").unwrap_err();
        assert!(err.starts_with("regexp /a(b/"), "{err}");
        // Exponential backtracking ends with an error instead of hanging.
        let text = format!("{}c", "ab".repeat(40));
        let re = compile(r"^(?=x|y|)(a|b|ab)*\1bc$", "").unwrap();
        assert!(re.is_match(&text).is_err());
    }
}
