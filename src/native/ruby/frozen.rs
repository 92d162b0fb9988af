//! Frozen strings: Ruby's `# frozen_string_literal: true` magic comment freezes a file's
//! plain string literals (Ruby ≥ 3.0: not interpolated ones), `freeze` freezes any string,
//! and every String method that changes its receiver raises FrozenError on a frozen one
//! (string.c: `str_modifiable` at the start of each). Values are copied in this
//! interpreter, so frozenness belongs to the expression that names the string: a literal,
//! a `.freeze` call, or a local variable last assigned one of those ([`super::Frame`]).

use crate::native::ruby::value::Value;
use crate::native::ruby::Flow;
use crate::profile::ast::{Expr, ExprKind, StrPart};

/// String's methods that modify the receiver (Ruby 3.1; `scrub!` only when it replaces).
pub const STRING_MUTATORS: &[&str] = &[
    "<<",
    "concat",
    "prepend",
    "insert",
    "replace",
    "clear",
    "[]=",
    "sub!",
    "gsub!",
    "upcase!",
    "downcase!",
    "capitalize!",
    "swapcase!",
    "strip!",
    "lstrip!",
    "rstrip!",
    "chomp!",
    "chop!",
    "squeeze!",
    "slice!",
    "tr!",
    "tr_s!",
    "delete!",
    "reverse!",
    "succ!",
    "next!",
    "force_encoding",
    "setbyte",
    "delete_prefix!",
    "delete_suffix!",
    "encode!",
    "unicode_normalize!",
];

/// Whether a file's leading comment lines carry `frozen_string_literal: true` (a magic
/// comment counts only before the first line of code; `-*- … -*-` style included).
pub fn freezes_literals(source: &str) -> bool {
    for line in source.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix('#') else {
            return false;
        };
        let comment = comment.to_ascii_lowercase().replace('-', "_");
        if let Some(i) = comment.find("frozen_string_literal:") {
            let value = comment[i + "frozen_string_literal:".len()..].trim_start();
            return value.starts_with("true");
        }
    }
    false
}

/// Whether a string literal is frozen in a file with (or without) the magic comment: only
/// plain literals are (an interpolated one is a new string each time).
pub fn literal_frozen(e: &Expr, file_freezes: bool) -> bool {
    match &e.kind {
        ExprKind::Str(parts) => file_freezes && parts.iter().all(|p| matches!(p, StrPart::Lit(_))),
        _ => false,
    }
}

/// Ruby's FrozenError for changing `s`.
pub fn frozen_error(v: &Value) -> Flow {
    Flow::raise(
        "FrozenError",
        format!("can't modify frozen {}: {v:?}", v.class_name()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_magic_comment_counts_only_before_code() {
        assert!(freezes_literals(
            "# frozen_string_literal: true\n\ncontrol 'x' do\nend\n"
        ));
        assert!(freezes_literals(
            "#!/usr/bin/env ruby\n# -*- frozen-string-literal: true -*-\n"
        ));
        assert!(!freezes_literals("# frozen_string_literal: false\n"));
        assert!(!freezes_literals("x = 1\n# frozen_string_literal: true\n"));
        assert!(!freezes_literals("# encoding: utf-8\n"));
    }
}
