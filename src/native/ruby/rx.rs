//! Ruby regexps on the `regex` crate. Ruby's `^`/`$` always match at line boundaries and its
//! `m` flag is the dot-matches-newline flag, so sources are translated before compiling.
//! Lookaround and backreferences do not exist in `regex`: such patterns are reported as
//! unsupported rather than approximated, except the common conjunction of lookaheads
//! `(?=.*a)(?=.*b)` ("a and b on one line"), which [`find`] evaluates exactly by trying each
//! lookahead at each position.

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

/// Texts longer than this are not searched position by position for lookahead patterns.
const LOOKAHEAD_TEXT_LIMIT: usize = 1 << 20;

/// The branches of a source made only of lookaheads: `(?=A)(?=B)` → `[A, B]`.
fn lookaheads(source: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let b = source.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !source[i..].starts_with("(?=") {
            return None;
        }
        let start = i + 3;
        let mut depth = 1usize;
        let mut j = start;
        let mut in_class = false;
        while j < b.len() && depth > 0 {
            match b[j] {
                b'\\' => j += 1,
                b'[' if !in_class => in_class = true,
                b']' if in_class => in_class = false,
                b'(' if !in_class => depth += 1,
                b')' if !in_class => depth -= 1,
                _ => {}
            }
            j += 1;
        }
        if depth != 0 {
            return None;
        }
        out.push(source.get(start..j - 1)?.to_string());
        i = j;
    }
    (!out.is_empty()).then_some(out)
}

/// Whether a source compiles natively, directly or as a conjunction of lookaheads (which
/// only [`find`] evaluates). Err: the construct that cannot.
pub fn check_for_match(source: &str, flags: &str) -> Result<(), String> {
    match compile(source, flags) {
        Ok(_) => Ok(()),
        Err(e) => match lookaheads(source) {
            Some(parts) if parts.iter().all(|p| compile(p, flags).is_ok()) => Ok(()),
            _ => Err(e),
        },
    }
}

/// The byte position of the first match in `text` (Ruby's `=~`), lookahead conjunctions
/// included.
pub fn find(source: &str, flags: &str, text: &str) -> Result<Option<usize>, String> {
    let err = match compile(source, flags) {
        Ok(re) => return Ok(re.find(text).map(|m| m.start())),
        Err(e) => e,
    };
    let Some(parts) = lookaheads(source) else {
        return Err(err);
    };
    let res: Vec<Regex> = parts
        .iter()
        .map(|p| compile(p, flags))
        .collect::<Result<_, _>>()
        .map_err(|_| err.clone())?;
    if text.len() > LOOKAHEAD_TEXT_LIMIT {
        return Err(err);
    }
    // A match of each lookahead must start exactly at the same position.
    let positions = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()));
    for p in positions {
        if res
            .iter()
            .all(|re| re.find_at(text, p).is_some_and(|m| m.start() == p))
        {
            return Ok(Some(p));
        }
    }
    Ok(None)
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
    fn lookahead_conjunctions_match_exactly() {
        let src = "(?=.*-A INPUT)(?=.*-i lo)(?=.*-j ACCEPT)";
        assert_eq!(find(src, "", "-A INPUT -i lo -j ACCEPT").unwrap(), Some(0));
        assert_eq!(
            find(src, "", "-j ACCEPT -i lo -A INPUT").unwrap(),
            Some(0),
            "any order"
        );
        assert_eq!(
            find(src, "", "-A INPUT -i eth0 -j ACCEPT\n-i lo").unwrap(),
            None,
            "one line"
        );
        assert_eq!(
            find(src, "", "x\n-A INPUT -i lo -j ACCEPT").unwrap(),
            Some(2)
        );
        assert!(check_for_match(src, "").is_ok());
        assert!(check_for_match("a(?=b)", "").is_err());
        assert!(find("a(?=b)", "", "ab").is_err());
    }

    #[test]
    fn lookaround_is_reported_not_approximated() {
        let err = compile("foo(?!bar)", "").unwrap_err();
        assert!(err.starts_with("regexp /foo(?!bar)/"), "{err}");
    }
}
