//! A reader for the plain block YAML most `inspec.yml` files are written in (block mappings
//! and sequences of simple keys, single-line plain or quoted scalars). It gives up (`None`) on
//! anything else, and the caller then uses the full YAML parser: where it answers, the result
//! equals what serde_yaml_ng's `Value` turned into JSON gives. libyaml costs more than the
//! whole Ruby parse of a small profile.

use serde_json::{Map, Value};

struct Line<'a> {
    indent: usize,
    /// The line without its indentation (never empty, never a comment).
    text: &'a str,
}

/// The document as JSON, or `None` when it uses anything this reader does not handle exactly.
pub fn parse(text: &str) -> Option<Value> {
    // Printable ASCII and newlines only: no tabs, CR, BOM, control or non-ASCII characters.
    // Checked a block at a time without an early exit inside it, which runs on byte vectors.
    let allowed = |ok: bool, &b: &u8| ok & (b == b'\n' || (b' '..=b'~').contains(&b));
    if !text
        .as_bytes()
        .chunks(64)
        .all(|c| c.iter().fold(true, allowed))
    {
        return None;
    }
    let mut lines = Vec::with_capacity(text.len() / 24 + 1);
    let mut first = true;
    for raw in text.split('\n') {
        let body = raw.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = raw.len() - body.len();
        if first && indent == 0 && body.trim_end_matches(' ') == "---" {
            first = false;
            continue;
        }
        first = false;
        // Directives, document markers, flow collections, anchors, tags, block scalars...
        if body.starts_with("---") || body.starts_with("...") || body.starts_with('%') {
            return None;
        }
        lines.push(Line { indent, text: body });
    }
    let first = lines.first()?;
    if first.indent != 0 || key_of(first.text).is_none() {
        return None;
    }
    let mut r = Reader { lines, i: 0 };
    let v = r.mapping(0)?;
    (r.i == r.lines.len()).then_some(v)
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    i: usize,
}

/// `key:` or `key: rest` with a simple key: `(key, rest)`, rest trimmed (maybe empty).
fn key_of(text: &str) -> Option<(&str, &str)> {
    let end = text.find(':')?;
    let key = &text[..end];
    let rest = &text[end + 1..];
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let mut b = key.bytes();
    if !b
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        || !b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        || matches!(
            key,
            "null" | "Null" | "NULL" | "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
        )
    {
        return None;
    }
    Some((key, rest.trim_start_matches(' ')))
}

/// The item of `- rest` (`Some("")` for a bare `-`).
fn item_of(text: &str) -> Option<&str> {
    match text.strip_prefix('-')? {
        "" => Some(""),
        rest if rest.starts_with(' ') => Some(rest.trim_start_matches(' ')),
        _ => None,
    }
}

/// After a quoted scalar: nothing, or a comment.
fn only_comment(rest: &str) -> bool {
    let t = rest.trim_start_matches(' ');
    t.is_empty() || (t.len() < rest.len() && t.starts_with('#'))
}

/// A one-line scalar (`text` starts at its first character).
fn scalar(text: &str) -> Option<Value> {
    let first = *text.as_bytes().first()?;
    match first {
        b'\'' => {
            let mut out = String::new();
            let mut rest = &text[1..];
            loop {
                let q = rest.find('\'')?;
                out.push_str(&rest[..q]);
                rest = &rest[q + 1..];
                if let Some(r) = rest.strip_prefix('\'') {
                    out.push('\'');
                    rest = r;
                } else {
                    break;
                }
            }
            only_comment(rest).then_some(Value::String(out))
        }
        b'"' => {
            let q = text[1..].find('"')? + 1;
            let s = &text[1..q];
            (!s.contains('\\') && only_comment(&text[q + 1..]))
                .then(|| Value::String(s.to_string()))
        }
        _ => {
            // A plain scalar ends at a comment; `: ` inside, or flow and other indicators,
            // are left to the full parser.
            let end = text.find(" #").unwrap_or(text.len());
            let s = text[..end].trim_end_matches(' ');
            if s.contains(": ") || s.ends_with(':') || s.contains(['[', ']', '{', '}']) {
                return None;
            }
            plain(s)
        }
    }
}

/// The type YAML gives a plain scalar, only for the unambiguous cases.
fn plain(s: &str) -> Option<Value> {
    let first = *s.as_bytes().first()?;
    if first.is_ascii_alphabetic() || first == b'_' || first == b'/' {
        return Some(match s {
            "null" | "Null" | "NULL" => Value::Null,
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => Value::String(s.to_string()),
        });
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        // No leading zero (a string in YAML 1.2) and no overflow.
        if s.len() > 18 || (s.len() > 1 && first == b'0') {
            return None;
        }
        return s.parse::<i64>().ok().map(Value::from);
    }
    // Versions such as 2.10.0: two dots make it neither an integer nor a float.
    let mut parts = 0;
    for p in s.split('.') {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        parts += 1;
    }
    (parts >= 3).then(|| Value::String(s.to_string()))
}

impl<'a> Reader<'a> {
    fn line(&self) -> Option<&Line<'a>> {
        self.lines.get(self.i)
    }

    /// The value of a key or item whose text on its own line was empty: a nested node more
    /// indented than `col` (or a sequence at `col` when `seq_ok`), else null.
    fn nested(&mut self, col: usize, seq_ok: bool) -> Option<Value> {
        let Some(l) = self.line() else {
            return Some(Value::Null);
        };
        let (indent, text) = (l.indent, l.text);
        if indent > col {
            if item_of(text).is_some() {
                self.sequence(indent)
            } else if key_of(text).is_some() {
                self.mapping(indent)
            } else {
                None
            }
        } else if indent == col && seq_ok && item_of(text).is_some() {
            self.sequence(col)
        } else {
            Some(Value::Null)
        }
    }

    /// A one-line scalar; the next line must not continue it.
    fn inline(&mut self, text: &str, col: usize) -> Option<Value> {
        let v = scalar(text)?;
        match self.line() {
            Some(l) if l.indent > col => None,
            _ => Some(v),
        }
    }

    /// A block mapping whose keys are at column `col`; the current line is its first key.
    fn mapping(&mut self, col: usize) -> Option<Value> {
        self.mapping_from(col, None)
    }

    /// `first`: the first entry's text when it sits after a `- ` on the current line.
    fn mapping_from(&mut self, col: usize, first: Option<&'a str>) -> Option<Value> {
        let mut map = Map::new();
        let mut pending = first;
        loop {
            let text = match pending.take() {
                Some(t) => t,
                None => match self.line() {
                    Some(l) if l.indent == col => l.text,
                    Some(l) if l.indent > col => return None,
                    _ => break,
                },
            };
            let (key, rest) = key_of(text)?;
            self.i += 1;
            let v = if rest.is_empty() || rest.starts_with('#') {
                self.nested(col, true)?
            } else {
                self.inline(rest, col)?
            };
            if map.insert(key.to_string(), v).is_some() {
                return None;
            }
        }
        Some(Value::Object(map))
    }

    /// A block sequence whose `-` are at column `col`; the current line is its first item.
    fn sequence(&mut self, col: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(l) = self.line() {
            if l.indent < col {
                break;
            }
            if l.indent > col {
                return None;
            }
            let (text, item) = (l.text, item_of(l.text));
            let Some(rest) = item else { break };
            let v = if rest.is_empty() || rest.starts_with('#') {
                self.i += 1;
                self.nested(col, false)?
            } else if key_of(rest).is_some() {
                // `- key: v`: a mapping at the column of `key`.
                self.mapping_from(col + (text.len() - rest.len()), Some(rest))?
            } else if item_of(rest).is_some() {
                return None;
            } else {
                self.i += 1;
                self.inline(rest, col)?
            };
            items.push(v);
        }
        Some(Value::Array(items))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use proptest::prelude::*;

    fn full(text: &str) -> Option<serde_json::Value> {
        serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text)
            .ok()
            .map(super::super::metadata::yaml_to_json)
    }

    /// Where the fast reader answers, it agrees with the full parser.
    fn check(text: &str) -> bool {
        match parse(text) {
            Some(v) => {
                assert_eq!(Some(&v), full(text).as_ref(), "{text:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn agrees_with_the_full_parser() {
        let handled = [
            "---\nname: p\ntitle: A B\nversion: 2.10.0\ninspec_version: '>= 4.6.3'\n",
            "name: p # c\n# comment\nsupports:\n    - os-family: unix\n    - platform: linux\n",
            "inputs:\n  - name: a\n    value: 25\n    required: false\n    x: label:l:s0\n",
            "inputs:\n- name: a\n  value: 'it''s' # c\n  d: \"q 'x'\"\nk: NET_A,SYS_B\n",
            "a:\nb: x~\n",
            "a: /etc/x\nb: True\nc: null\nd: 0\ne:\n  f:\n    - 1\n    -\n      g: h\n",
            "depends:\n  - name: x\n    url: https://x/y.tar.gz\n",
            "a: Is it? (days) 'x' \"y\" x#y\n",
        ];
        for t in handled {
            assert!(check(t), "not handled: {t:?}");
        }
        let unhandled = [
            "a: 1.5\n",
            "a: 012\n",
            "a: -1\n",
            "a: ~\n",
            "a: [1]\n",
            "a: |\n  x\n",
            "a: x\n  y\n",
            "a: x\na: y\n",
            "a: &x 1\n",
            "a: !t 1\n",
            "'a': 1\n",
            "a: \"x\\n\"\n",
            "a:\tb\n",
            "a: b\r\n",
            "--- x\n",
            "a: 1\n...\n",
            "- a\n",
            "x\n",
            "",
            "a: b: c\n",
            "Null: 1\n",
            "a: 'x\n  y'\n",
            "a: 0x10\n",
            "a: 1e3\n",
            "a: .inf\n",
            "a:\n  b\n",
            "a: 99999999999999999999\n",
            "a: é\n",
        ];
        for t in unhandled {
            assert!(!check(t), "handled: {t:?}");
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/profiles");
        for e in std::fs::read_dir(root).into_iter().flatten().flatten() {
            if let Ok(t) = std::fs::read_to_string(e.path().join("inspec.yml")) {
                assert!(check(&t), "{}", e.path().display());
            }
        }
    }

    proptest! {
        #[test]
        fn random_documents_agree(lines in proptest::collection::vec(
            (0usize..4, prop::sample::select(vec![
                "a:", "a: x", "b: 1", "c: 'q'", "d: \"r\"", "- ", "- x", "- e: 2", "- f:",
                "-", "# c", "g: h # i", "j: 1.2.3", "k: true", "l: ~", "m: x: y", "n: 'a''b'",
                "o: -1", "p: 0", "q: [1]", "---", "r:s", "- - x", "s: t #", "u: 'v' w",
            ])),
            0..12,
        )) {
            let text: String = lines
                .iter()
                .map(|(i, l)| format!("{}{l}\n", " ".repeat(*i * 2)))
                .collect();
            check(&text);
        }
    }
}
