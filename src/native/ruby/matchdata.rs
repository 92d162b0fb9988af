//! Ruby's `MatchData` (what `String#match` and `=~` give) and the match globals that read
//! the last one (`$~`, `$1`…, `Regexp.last_match`). Below the builtin methods, which record
//! matches, and the classes and evaluation, which read them.

use std::cell::RefCell;

use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::rx;
use crate::native::ruby::value::{NativeObject, Value};

thread_local! {
    /// Ruby's `$~`: the last match of `=~`, `match` or `case`/`when` (Ruby keeps it per
    /// method frame; one evaluation runs on one thread, so per thread is the same here).
    static LAST_MATCH: RefCell<Value> = const { RefCell::new(Value::Nil) };
}

/// Records the outcome of a match for `$~`, `$1`…, `Regexp.last_match`.
pub fn set_last_match(m: Option<MatchData>) {
    let v = m.map_or(Value::Nil, native);
    LAST_MATCH.with(|l| *l.borrow_mut() = v);
}

/// `$~`: the last match (nil when it failed).
pub fn last_match() -> Value {
    LAST_MATCH.with(|l| l.borrow().clone())
}

/// Whether a global variable is one of the match globals (`$~`, `$&`, `` $` ``, `$'`,
/// `$1`…`$9`).
pub fn is_match_global(name: &str) -> bool {
    let n = name.trim_start_matches('$');
    matches!(n, "~" | "&" | "`" | "'")
        || (n.len() == 1 && n.bytes().all(|b| b.is_ascii_digit() && b != b'0'))
}

/// The value of a match global (nil when the last match failed).
pub fn match_global(name: &str) -> Value {
    let last = last_match();
    let Some(m) = as_native::<MatchData>(&last) else {
        return Value::Nil;
    };
    match name.trim_start_matches('$') {
        "~" => last.clone(),
        "&" => m.group(&Value::Int(0)),
        "`" => Value::Str(m.pre.clone()),
        "'" => Value::Str(m.post.clone()),
        d => m.group(&Value::Int(d.parse().unwrap_or(0))),
    }
}

/// `String#match`'s result: the groups (0: the whole match), their names, and the text
/// around the match.
#[derive(Clone)]
pub struct MatchData {
    pub groups: Vec<Option<String>>,
    pub names: Vec<Option<String>>,
    pub pre: String,
    pub post: String,
}

impl NativeObject for MatchData {}

impl MatchData {
    pub fn new(re: &rx::Regex, caps: &rx::Captures<'_>, s: &str) -> MatchData {
        let whole = caps.get(0);
        MatchData {
            groups: (0..caps.len())
                .map(|i| caps.get(i).map(|m| m.as_str().to_string()))
                .collect(),
            names: re.capture_names().map(|n| n.map(str::to_string)).collect(),
            pre: whole.map_or(String::new(), |m| s[..m.start()].to_string()),
            post: whole.map_or(String::new(), |m| s[m.end()..].to_string()),
        }
    }

    /// `md[i]`, `md[:name]`, `md["name"]` (a name that is no group raises IndexError in
    /// Ruby; nil here keeps `str[re, name]` simple).
    pub fn group(&self, key: &Value) -> Value {
        let i = match key {
            Value::Int(i) => usize::try_from(*i).ok(),
            Value::Str(n) | Value::Sym(n) => self
                .names
                .iter()
                .position(|x| x.as_deref() == Some(n.as_str())),
            _ => None,
        };
        i.and_then(|i| self.groups.get(i).cloned().flatten())
            .map_or(Value::Nil, Value::Str)
    }

    /// A method of the match. None: not one of them.
    pub fn call(&self, name: &str, args: &[Value]) -> Option<Value> {
        let m = self;
        let strs = |v: &[Option<String>]| {
            Value::Array(
                v.iter()
                    .map(|g| g.clone().map_or(Value::Nil, Value::Str))
                    .collect(),
            )
        };
        Some(match name {
            "[]" => m.group(args.first().unwrap_or(&Value::Nil)),
            "to_s" => m.group(&Value::Int(0)),
            "pre_match" => Value::Str(m.pre.clone()),
            "post_match" => Value::Str(m.post.clone()),
            "names" => Value::Array(m.names.iter().flatten().cloned().map(Value::Str).collect()),
            "size" | "length" => Value::Int(m.groups.len() as i64),
            "captures" => strs(m.groups.get(1..).unwrap_or(&[])),
            "to_a" => strs(&m.groups),
            "named_captures" => Value::Hash(
                m.names
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| {
                        n.clone()
                            .map(|n| (Value::Str(n), m.group(&Value::Int(i as i64))))
                    })
                    .collect(),
            ),
            "nil?" => Value::Bool(false),
            _ => return None,
        })
    }
}
