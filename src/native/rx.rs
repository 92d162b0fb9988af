//! Ruby regexps on the `regex` crate. Ruby's `^`/`$` always match at line boundaries and its
//! `m` flag is the dot-matches-newline flag, so sources are translated before compiling.
//! Lookaround and backreferences do not exist in `regex`: such patterns are reported as
//! unsupported rather than approximated.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

/// Largest compiled program accepted (a profile must not exhaust memory with one regexp).
const SIZE_LIMIT: usize = 4 << 20;
const CACHE_LIMIT: usize = 512;

thread_local! {
    static CACHE: RefCell<HashMap<(String, String), Result<Regex, String>>> =
        RefCell::new(HashMap::new());
}

/// Ruby source and flags (`i`, `m`, `x`) to a `regex` pattern.
pub fn translate(source: &str, flags: &str) -> String {
    let mut out = String::from("(?m");
    if flags.contains('i') {
        out.push('i');
    }
    if flags.contains('m') {
        out.push('s');
    }
    if flags.contains('x') {
        out.push('x');
    }
    out.push(')');
    let mut chars = source.chars().peekable();
    let mut in_class = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('h') if in_class > 0 => out.push_str("0-9a-fA-F"),
                Some('h') => out.push_str("[0-9a-fA-F]"),
                Some('H') if in_class == 0 => out.push_str("[^0-9a-fA-F]"),
                Some('Z') => out.push_str(r"(?:\n?\z)"),
                Some('/') => out.push('/'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str(r"\\"),
            },
            '[' => {
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
            _ => out.push(c),
        }
    }
    out
}

/// Compiles a Ruby regexp (cached per thread). Err: why it cannot be compiled natively.
pub fn compile(source: &str, flags: &str) -> Result<Regex, String> {
    let key = (source.to_string(), flags.to_string());
    if let Some(hit) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return hit;
    }
    let result = regex::RegexBuilder::new(&translate(source, flags))
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| {
            let first = e.to_string();
            let detail = first.lines().last().unwrap_or("").trim().to_string();
            format!("regexp /{source}/{flags} ({detail})")
        });
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_LIMIT {
            c.clear();
        }
        c.insert(key, result.clone());
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruby_anchors_are_per_line_and_m_is_dotall() {
        let re = compile("^PermitRootLogin no$", "").unwrap();
        assert!(re.is_match("X yes\nPermitRootLogin no\nY"));
        assert!(compile("a.b", "m").unwrap().is_match("a\nb"));
        assert!(!compile("a.b", "").unwrap().is_match("a\nb"));
        assert!(compile("ABC", "i").unwrap().is_match("abc"));
    }

    #[test]
    fn ruby_escapes_translate() {
        assert!(compile(r"^\h+$", "").unwrap().is_match("09af"));
        assert!(compile(r"[\h:]+\Z", "").unwrap().is_match("fe80::1\n"));
        assert!(compile(r"\/etc\/passwd", "")
            .unwrap()
            .is_match("/etc/passwd"));
        assert!(compile(r"(?<user>\w+):x", "").unwrap().is_match("root:x"));
        assert!(compile(r"[]a]", "").unwrap().is_match("]"));
    }

    #[test]
    fn lookaround_is_reported_not_approximated() {
        let err = compile("foo(?!bar)", "").unwrap_err();
        assert!(err.starts_with("regexp /foo(?!bar)/"), "{err}");
    }
}
