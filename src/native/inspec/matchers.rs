//! InSpec's matchers: their RSpec descriptions (for `code_desc`), how they match, and the
//! failure messages InSpec prints.

use crate::native::inspec::cmp;
use crate::native::inspec::self_returning::SelfReturning;
use crate::native::ruby::methods::row::Row;
use crate::native::ruby::methods::{
    case_eq, compare, find, hash_order, is_a, is_match, pattern, to_s,
};
use crate::native::ruby::objects::{as_native, ClassRef};
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::{Flow, R};

/// How a matcher matches: the call, and the interpreter for predicates and blocks.
type MatchFn = fn(&Call<'_>, &mut dyn Predicates) -> R<(bool, String)>;

/// Matchers with their own semantics, or a predicate of their own (`exist`, `be_installed`),
/// and how each matches (others: `be_xxx` → `xxx?`, `have_xxx` → `has_xxx?`, by
/// [`predicate`]). Evaluation dispatches on it; [`is_matcher`] and coverage read its names.
const MATCHERS: &[(&str, MatchFn)] = &[
    ("eq", m_eq),
    ("eql", m_eq),
    ("equal", m_eq),
    ("cmp", m_cmp),
    ("match", m_match),
    ("include", m_include),
    ("be_in", m_be_in),
    ("be_nil", m_be_nil),
    ("be_empty", m_be_empty),
    ("be_truthy", m_be_truthy),
    ("be_falsey", m_be_falsey),
    ("be_falsy", m_be_falsey),
    ("be", m_be),
    (OPERATOR, m_operator),
    ("exist", predicate),
    ("start_with", m_start_with),
    ("end_with", m_start_with),
    ("all", m_all),
    ("contain_match", m_contain_match),
    ("contain_duplicates", m_contain_duplicates),
    ("match_array", m_match_array),
    ("contain_exactly", m_match_array),
    ("be_a", m_be_a),
    ("be_an", m_be_a),
    ("be_kind_of", m_be_a),
    ("be_a_kind_of", m_be_a),
    ("be_instance_of", m_be_a),
    ("be_an_instance_of", m_be_a),
    ("be_readable", predicate),
    ("be_writable", predicate),
    ("be_executable", predicate),
    ("be_installed", predicate),
    ("be_enabled", predicate),
    ("be_running", predicate),
    ("be_mounted", predicate),
    // user.rb's serverspec matchers.
    ("belong_to_primary_group", predicate),
    ("belong_to_group", predicate),
    ("be_within", m_be_within),
    ("be_between", m_be_between),
    ("satisfy", m_satisfy),
];

/// The name of RSpec's operator matcher, which `should` without a matcher answers (no
/// profile can name it).
pub const OPERATOR: &str = "(operator)";

/// How `name` matches, if it has semantics of its own.
fn own(name: &str) -> Option<MatchFn> {
    MATCHERS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Methods chained on a matcher.
pub const CHAINS: &[&str] = &[
    "by",
    "by_user",
    "or",
    "and",
    "with",
    "only_with",
    "of",
    "inclusive",
    "exclusive",
];

/// Whether `name` makes a matcher.
pub fn is_matcher(name: &str) -> bool {
    own(name).is_some() || name.starts_with("be_") || name.starts_with("have_")
}

/// The resource predicate a generic matcher calls (`be_owned_by` → `owned_by?`,
/// `exist` → `exist?`, `have_rule` → `has_rule?`). None: not a predicate matcher.
pub fn predicate_of(name: &str) -> Option<String> {
    match name {
        "exist" => Some("exist?".into()),
        "be_readable" => Some("readable?".into()),
        "be_writable" => Some("writable?".into()),
        "be_executable" => Some("executable?".into()),
        "be_installed" | "be_enabled" | "be_running" | "be_mounted" => {
            Some(format!("{}?", &name[3..]))
        }
        "belong_to_primary_group" => Some("belongs_to_primary_group?".into()),
        "belong_to_group" => Some("belongs_to_group?".into()),
        n if own(n).is_some() => None,
        n => n
            .strip_prefix("be_")
            .map(|p| format!("{p}?"))
            .or_else(|| n.strip_prefix("have_").map(|p| format!("has_{p}?"))),
    }
}

#[derive(Clone, Debug)]
pub struct Matcher {
    pub name: String,
    pub args: Vec<Value>,
    /// `cmp >= 5`, `be < 3`.
    pub op: Option<(String, Value)>,
    /// Chains: `by('owner')`, `by_user('x')`, `with(opts)`, `only_with(opts)`.
    pub chains: Vec<(String, Vec<Value>)>,
    /// `.or` / `.and` composition: (is_and, other).
    pub compound: Option<(bool, Box<Matcher>, Box<Matcher>)>,
    /// `satisfy { |x| ... }`: the block and its source text.
    pub block: Option<(std::sync::Arc<crate::profile::ast::Block>, String)>,
    /// A library's custom matcher (`RSpec::Matchers.define`) in a compound (`.and`/`.or`):
    /// the matcher object and its description.
    pub custom: Option<(Value, String)>,
}

/// RSpec::Support::ObjectFormatter shows a matcher by its description
/// (`DescribableMatcherInspector`): `eq [match /z/]`.
impl NativeObject for Matcher {
    fn inspect(&self) -> Option<String> {
        Some(self.description())
    }
}

/// A matcher as RSpec's `surface_descriptions_in` shows it in `include` and
/// `contain_exactly` (composable.rb `DescribableItem#inspect`): its description in
/// parentheses, `include (match /b/)`.
struct DescribedItem(String);

impl NativeObject for DescribedItem {
    fn inspect(&self) -> Option<String> {
        Some(format!("({})", self.0))
    }
}

/// `surface_descriptions_in`: matchers in `v` (also inside arrays and hashes) as
/// [`DescribedItem`]s.
fn surfaced(v: &Value) -> Value {
    match v {
        Value::Native(_) => match as_native::<Matcher>(v) {
            Some(m) => crate::native::ruby::objects::native(DescribedItem(m.description())),
            None => v.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(surfaced).collect()),
        Value::Hash(pairs) => Value::Hash(
            pairs
                .iter()
                .map(|(k, x)| (surfaced(k), surfaced(x)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn surfaced_all(items: &[Value]) -> Vec<Value> {
    items.iter().map(surfaced).collect()
}

/// RSpec's `values_match?(expected, actual)` as `include` and `contain_exactly` use it: a
/// composed matcher matches, a Regexp or Range matches as `===`, anything else by `==`.
fn values_match(expected: &Value, actual: &Value, cx: &mut dyn Predicates) -> R<bool> {
    if let Some(m) = as_native::<Matcher>(expected) {
        return Ok(m.check(actual, false, cx)?.passed);
    }
    Ok(expected == actual
        || (matches!(expected, Value::Regex { .. } | Value::Range { .. })
            && case_eq(expected, actual)?))
}

/// The verdict of one expectation.
pub struct Verdict {
    pub passed: bool,
    pub message: String,
}

/// What matchers need from the interpreter: predicates on resources and objects.
pub trait Predicates {
    fn predicate(&mut self, actual: &Value, name: &str, args: &[Value]) -> R;
    fn describe_value(&mut self, v: &Value) -> String;
    /// Runs a `satisfy` block with the actual value.
    fn call_block(&mut self, block: &crate::profile::ast::Block, arg: Value) -> R;
    /// Runs a custom matcher: whether `actual` passes it with this polarity, and the failure
    /// message.
    fn run_custom(&mut self, matcher: &Value, actual: &Value, negated: bool) -> R<(bool, String)>;
    /// Whether `actual` has no method `name` at all (a resource whose InSpec class lacks
    /// it). False: it has, or that is not known.
    fn lacks(&mut self, _actual: &Value, _name: &str) -> bool {
        false
    }
}

/// RSpec's formatting of a value (`inspect`; resources by `to_s`, as InSpec's
/// ResourceInspector; FilterTable rows as the Struct they are in InSpec).
fn inspect(v: &Value) -> String {
    match v {
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inspect).collect::<Vec<_>>().join(", ")
        ),
        Value::Hash(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{}=>{}", inspect(k), inspect(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Native(_) => match as_native::<Row>(v) {
            Some(row) => format!(
                "#<struct {}>",
                row.table
                    .fields
                    .iter()
                    .map(|f| format!("{f}={}", inspect(&row.get(f).unwrap_or(Value::Nil))))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => to_s(v),
        },
        other => format!("{other:?}"),
    }
}

/// RSpec::Support::ObjectFormatter.format, what RSpec's descriptions and messages show of
/// a value: its inspect, cut to the first 101 and last 100 characters around "..." when
/// 200 or longer (object_formatter.rb, max_formatted_output_length 200).
fn formatted(v: &Value) -> String {
    const MAX: usize = 200;
    let s = inspect(v);
    let n = s.chars().count();
    if n < MAX {
        return s;
    }
    let head: String = s.chars().take(MAX / 2 + 1).collect();
    let tail: String = s.chars().skip(n - MAX / 2).collect();
    format!("{head}...{tail}")
}

/// Ruby's string interpolation of a value (`"#{x}"`): strings bare, the rest inspected.
fn interpolated(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Nil => String::new(),
        other => inspect(other),
    }
}

/// RSpec's `EnglishPhrasing.list`: ` a`, ` a and b`, ` a, b, and c`.
fn sentence(args: &[Value]) -> String {
    match args {
        [] => String::new(),
        [one] => format!(" {}", formatted(one)),
        [a, b] => format!(" {} and {}", formatted(a), formatted(b)),
        [head @ .., last] => {
            let head: Vec<String> = head.iter().map(formatted).collect();
            format!(" {}, and {}", head.join(", "), formatted(last))
        }
    }
}

/// BaseMatcher#description's `EnglishPhrasing.list(expected)`: one argument is phrased as
/// `Array(list)`: an Array's or a Range's items (`be ["ALL"]` is "equal \"ALL\"", `be []` is
/// "equal"); a Hash, nil or anything else inspected whole.
fn listed(args: &[Value]) -> String {
    match args {
        [Value::Array(items)] => sentence(items),
        [r @ Value::Range { .. }] => match crate::native::ruby::methods::iterate(r) {
            Ok(items) => sentence(&items),
            Err(_) => sentence(args),
        },
        args => sentence(args),
    }
}

impl Matcher {
    pub fn new(name: &str, args: Vec<Value>) -> Self {
        Matcher {
            name: name.to_string(),
            args,
            op: None,
            chains: Vec::new(),
            compound: None,
            block: None,
            custom: None,
        }
    }

    /// A custom matcher, to be joined with others by `.and` / `.or`.
    pub fn custom(matcher: Value, description: String) -> Self {
        Matcher {
            custom: Some((matcher, description)),
            ..Matcher::new("custom", Vec::new())
        }
    }

    /// `cmp <op> x` / `be <op> x`. None: no such operator for this matcher.
    pub fn with_operator(&self, op: &str, rhs: Value) -> Option<Matcher> {
        let ok_cmp = ["==", "!=", "<", "<=", ">", ">=", "===", "=~"].contains(&op);
        let ok_be = ["==", "<", "<=", ">", ">=", "===", "=~"].contains(&op);
        if (self.name == "cmp" && ok_cmp) || (self.name == "be" && ok_be && self.args.is_empty()) {
            let mut m = self.clone();
            m.op = Some((op.to_string(), rhs));
            return Some(m);
        }
        None
    }

    /// A chained method (`.by('owner')`, `.or(other)`). None: not supported.
    pub fn chain(&self, name: &str, args: &[Value]) -> Option<Matcher> {
        match name {
            "or" | "and" => {
                let other = args.first().and_then(as_native::<Matcher>)?.clone();
                Some(Matcher {
                    compound: Some((name == "and", Box::new(self.clone()), Box::new(other))),
                    ..Matcher::new(name, Vec::new())
                })
            }
            "by" | "by_user"
                if matches!(
                    self.name.as_str(),
                    "be_readable" | "be_writable" | "be_executable"
                ) =>
            {
                let mut m = self.clone();
                m.chains.push((name.to_string(), args.to_vec()));
                Some(m)
            }
            "inclusive" | "exclusive" if self.name == "be_between" => {
                let mut m = self.clone();
                m.chains.push((name.to_string(), Vec::new()));
                Some(m)
            }
            "with" | "only_with" if self.name == "be_mounted" => {
                let mut m = self.clone();
                m.chains.push((name.to_string(), args.to_vec()));
                Some(m)
            }
            _ => None,
        }
    }

    fn chained(&self, name: &str) -> Option<&Value> {
        self.chains
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, a)| a.first())
    }

    /// The exception RSpec meets generating the description of a matcher of its DSL
    /// (`be_in`): EnglishPhrasing.list calls `Array(expected)`, which refuses an object
    /// whose `to_ary` answers no Array (an input without a value). None: it describes.
    pub fn description_error(&self) -> Option<String> {
        match (self.name.as_str(), self.args.as_slice()) {
            ("be_in", [one]) => match crate::native::ruby::methods::check_array(one) {
                Err(Flow::Raise(e)) => Some(format!("{}: {}", e.class, e.message)),
                _ => None,
            },
            _ => None,
        }
    }

    /// RSpec's description: `eq "root"`, `cmp == 2`, `be owned by "root"`, `exist`.
    pub fn description(&self) -> String {
        if let Some((_, d)) = &self.custom {
            return d.clone();
        }
        if let Some((is_and, a, b)) = &self.compound {
            let j = if *is_and { "and" } else { "or" };
            return format!("{} {j} {}", a.description(), b.description());
        }
        let n = self.name.as_str();
        match n {
            "cmp" => {
                let (op, e) = match &self.op {
                    Some((op, e)) => (op.as_str(), e.clone()),
                    None => ("==", self.args.first().cloned().unwrap_or(Value::Nil)),
                };
                format!("cmp {op} {}", inspect(&e))
            }
            OPERATOR => match &self.op {
                Some((op, e)) => format!("{op} {}", inspect(e)),
                None => String::new(),
            },
            "be_between" => format!(
                "be between {} and {} ({})",
                formatted(self.args.first().unwrap_or(&Value::Nil)),
                formatted(self.args.get(1).unwrap_or(&Value::Nil)),
                between_mode(self)
            ),
            "be" => match &self.op {
                // RSpec's BeComparedTo: `expected_to_sentence`, the operand's words.
                Some((op, e)) => format!("be {op} {}", to_s(e).replace('_', " ")),
                None if self.args.is_empty() => "be".into(),
                None => format!("equal{}", listed(&self.args)),
            },
            "be_readable" | "be_writable" | "be_executable" => {
                let mut d = n.replace('_', " ");
                if let Some(by) = self.chained("by") {
                    d.push_str(&format!(" by {}", to_s(by)));
                }
                if let Some(u) = self.chained("by_user") {
                    d.push_str(&format!(" by user {}", to_s(u)));
                }
                d
            }
            "be_a" | "be_an" | "be_kind_of" | "be_a_kind_of" => {
                format!(
                    "be a kind of {}",
                    self.args.first().map(to_s).unwrap_or_default()
                )
            }
            "be_instance_of" | "be_an_instance_of" => {
                format!(
                    "be an instance of {}",
                    self.args.first().map(to_s).unwrap_or_default()
                )
            }
            "all" => improve_hash_formatting(&format!(
                "all {}",
                self.args
                    .first()
                    .and_then(as_native::<Matcher>)
                    .map(|m| m.description())
                    .unwrap_or_default()
            )),
            "match_array" | "contain_exactly" => {
                let items = match self.args.as_slice() {
                    [Value::Array(a)] if n == "match_array" => a.clone(),
                    other => other.to_vec(),
                };
                format!("contain exactly{}", sentence(&surfaced_all(&items)))
            }
            "include" => {
                improve_hash_formatting(&format!("include{}", sentence(&surfaced_all(&self.args))))
            }
            // RSpec's Match#description inspects its pattern whole (`"match #{...inspect}"`,
            // built_in/match.rb), not through ObjectFormatter's 200-character cut.
            "match" if self.args.len() == 1 => {
                format!("match {}", inspect(&surfaced(&self.args[0])))
            }
            // A matcher of RSpec's DSL without a description of its own (matchers.rb).
            "be_in" => format!("be in{}", listed(&self.args)),
            "equal" => format!("equal{}", listed(&self.args)),
            "satisfy" => match &self.block {
                Some((_, code)) if !code.is_empty() => format!("satisfy expression `{code}`"),
                _ => "satisfy block".to_string(),
            },
            "be_mounted" => {
                let mut d = "be mounted".to_string();
                for (c, a) in &self.chains {
                    d.push_str(&format!(" {}{}", c.replace('_', " "), sentence(a)));
                }
                d
            }
            _ => format!("{}{}", n.replace('_', " "), sentence(&self.args)),
        }
    }

    /// Matches `actual`; `negated` for `should_not` / `not_to`.
    pub fn check(&self, actual: &Value, negated: bool, cx: &mut dyn Predicates) -> R<Verdict> {
        if let Some((is_and, a, b)) = &self.compound {
            let va = a.check(actual, false, cx)?;
            let vb = if *is_and && !va.passed || !*is_and && va.passed {
                None
            } else {
                Some(b.check(actual, false, cx)?)
            };
            let passed = match (&vb, is_and) {
                (None, _) => va.passed,
                (Some(vb), _) => vb.passed,
            };
            let message = match (&vb, passed != negated) {
                (_, true) => String::new(),
                (Some(vb), false) if !va.message.is_empty() && !*is_and => {
                    format!(
                        "   {}\n\n...or:\n\n   {}",
                        va.message.trim(),
                        vb.message.trim()
                    )
                }
                (Some(vb), false) => vb.message.clone(),
                (None, false) => va.message.clone(),
            };
            let message = if negated && passed {
                format!(
                    "expected {} not to {}",
                    cx.describe_value(actual),
                    self.description()
                )
            } else {
                message
            };
            return Ok(Verdict {
                passed: passed != negated,
                message,
            });
        }
        let (ok, msg) = self.matches(actual, negated, cx)?;
        Ok(Verdict {
            passed: ok != negated,
            message: if ok != negated { String::new() } else { msg },
        })
    }

    /// (whether it matches, the failure message for the given polarity).
    fn matches(&self, actual: &Value, negated: bool, cx: &mut dyn Predicates) -> R<(bool, String)> {
        if let Some((m, _)) = &self.custom {
            let (passed, message) = cx.run_custom(m, actual, negated)?;
            return Ok((passed != negated, message));
        }
        // A Hashie::Mash is matched as the Hash it is (RSpec formats it as one too).
        let as_hash = match actual {
            Value::Native(n) => n.hash_pairs().map(Value::Hash),
            _ => None,
        };
        let actual = as_hash.as_ref().unwrap_or(actual);
        let n = self.name.as_str();
        let call = Call {
            m: self,
            actual,
            negated,
            not: if negated { "not " } else { "" },
            n,
        };
        own(n).unwrap_or(predicate)(&call, cx)
    }
}

/// One matcher applied to one actual value.
struct Call<'a> {
    m: &'a Matcher,
    actual: &'a Value,
    negated: bool,
    /// `"not "` when negated: the messages say "expected x not to ...".
    not: &'static str,
    n: &'a str,
}

impl Call<'_> {
    fn default_msg(&self, cx: &mut dyn Predicates) -> String {
        format!(
            "expected {} {}to {}",
            cx.describe_value(self.actual),
            self.not,
            self.m.description()
        )
    }
}

/// A library class's instance: its own methods (`==`, Comparable's `>=`) decide
/// comparisons, as Ruby dispatches `actual == expected` to the receiver.
fn is_instance(v: &Value) -> bool {
    as_native::<crate::native::ruby::objects::Instance>(v).is_some()
}

fn m_eq(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let actual = c.actual;
    let negated = c.negated;
    let a0 = c.m.args.first().cloned().unwrap_or(Value::Nil);
    let n = c.n;
    if n == "equal" {
        return Ok(identity(actual, &a0));
    }
    Ok({
        let ok = if n == "eq" && is_instance(actual) {
            cx.predicate(actual, "==", std::slice::from_ref(&a0))?
                .truthy()
        } else {
            *actual == a0
        };
        let exp = if negated {
            format!("value != {}", formatted(&a0))
        } else {
            formatted(&a0)
        };
        let how = if n == "eq" {
            "=="
        } else if n == "eql" {
            "eql?"
        } else {
            "equal?"
        };
        (
            ok,
            format!(
                "\nexpected: {exp}\n     got: {}\n\n(compared using {how})\n",
                formatted(actual)
            ),
        )
    })
}

fn m_cmp(c: &Call<'_>, _cx: &mut dyn Predicates) -> R<(bool, String)> {
    let m = c.m;
    let actual = c.actual;
    let negated = c.negated;
    let a0 = c.m.args.first().cloned().unwrap_or(Value::Nil);
    Ok({
        let (op, e) = match &m.op {
            Some((op, e)) => (op.clone(), e.clone()),
            None => ("==".to_string(), a0),
        };
        if let Value::Regex { source, flags } = &e {
            crate::native::ruby::rx::check_for_match(source, flags).map_err(|construct| {
                Flow::Unsupported {
                    construct,
                    at: String::new(),
                }
            })?;
        }
        let ok = cmp::cmp(actual, &op, &e);
        (ok, cmp::failure_message(actual, &op, &e, negated, inspect))
    })
}

/// `actual OP expected` as Ruby sends it (`be >= 5`, `should >= 5`).
fn compared(actual: &Value, op: &str, e: &Value, cx: &mut dyn Predicates) -> R<bool> {
    Ok(match op {
        _ if is_instance(actual) => cx.predicate(actual, op, std::slice::from_ref(e))?.truthy(),
        "==" => actual == e,
        "===" => case_eq(e, actual)?,
        "=~" => matches!(actual, Value::Str(_)) && is_match(&pattern(e)?, &to_s(actual))?,
        _ if hash_order(op, actual, e).is_some() => hash_order(op, actual, e).unwrap_or(false),
        _ => {
            let o = compare(actual, e).ok_or_else(|| {
                Flow::raise(
                    "ArgumentError",
                    format!(
                        "comparison of {} with {} failed",
                        actual.class_name(),
                        inspect(e)
                    ),
                )
            })?;
            match op {
                "<" => o.is_lt(),
                "<=" => o.is_le(),
                ">" => o.is_gt(),
                _ => o.is_ge(),
            }
        }
    })
}

/// RSpec's OperatorMatcher (`should >= 5`, `should == 'x'`, operators.rb): the operator
/// sent to the subject; its own failure messages.
fn m_operator(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let Some((op, e)) = &c.m.op else {
        return Ok((false, String::new()));
    };
    let ok = compared(c.actual, op, e, cx)?;
    let (e, a) = (formatted(e), formatted(c.actual));
    let pad = " ".repeat(op.len());
    let message = if c.negated {
        format!("expected not: {op} {e}\n         got: {pad} {a}")
    } else if matches!(op.as_str(), "==" | "===" | "=~") {
        format!("expected: {e}\n     got: {a} (using {op})")
    } else {
        format!("expected: {op} {e}\n     got: {pad} {a}")
    };
    Ok((ok, message))
}

/// `.inclusive` (the default) or `.exclusive`: the last one chained.
fn between_mode(m: &Matcher) -> &'static str {
    match m
        .chains
        .iter()
        .rev()
        .find(|(c, _)| c == "exclusive" || c == "inclusive")
    {
        Some((c, _)) if c == "exclusive" => "exclusive",
        _ => "inclusive",
    }
}

/// RSpec's BeBetween (be_between.rb): `actual >= min && actual <= max` (`>`/`<` when
/// exclusive); an ArgumentError of the comparison is a mismatch; an actual without the
/// operators fails saying so.
fn m_be_between(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let (min, max) = (
        c.m.args.first().unwrap_or(&Value::Nil),
        c.m.args.get(1).unwrap_or(&Value::Nil),
    );
    let (gt, lt) = match between_mode(c.m) {
        "exclusive" => (">", "<"),
        _ => (">=", "<="),
    };
    let comparable = !matches!(
        c.actual,
        Value::Nil | Value::Bool(_) | Value::Array(_) | Value::Regex { .. } | Value::Range { .. }
    );
    let ok = comparable
        && match compared(c.actual, gt, min, cx)
            .and_then(|ok| Ok(ok && compared(c.actual, lt, max, cx)?))
        {
            Err(Flow::Raise(e)) if e.class == "ArgumentError" => false,
            other => other?,
        };
    let mut message = c.default_msg(cx);
    if !comparable {
        message.push_str(&format!(", but it does not respond to `{lt}` and `{gt}`"));
    }
    Ok((ok, message))
}

fn m_be(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let m = c.m;
    let actual = c.actual;
    let not = c.not;
    let a0 = c.m.args.first().cloned().unwrap_or(Value::Nil);
    Ok(match &m.op {
        Some((op, e)) => {
            let ok = compared(actual, op, e, cx)?;
            let pad = " ".repeat(op.len());
            let message = if not.is_empty() {
                format!(
                    "expected: {op} {}\n     got: {pad} {}",
                    formatted(e),
                    formatted(actual)
                )
            } else {
                // RSpec's BeComparedTo#failure_message_when_negated.
                format!(
                    "`expect({}).not_to be {op} {}`",
                    formatted(actual),
                    formatted(e)
                )
            };
            (ok, message)
        }
        // RSpec's `be` without arguments.
        None if m.args.is_empty() => (
            actual.truthy(),
            format!(
                "expected {} to evaluate to {}",
                inspect(actual),
                if c.negated { "false" } else { "true" }
            ),
        ),
        None => identity(actual, &a0),
    })
}

/// RSpec's `equal(x)` / `be(x)`: `actual.equal?(x)`, object identity (built_in/equal.rb).
/// Every String, Array and Hash a profile builds or a resource returns is a new object, so
/// two of them are never the same one (`its('owner') { should be 'root' }` fails in InSpec);
/// nil, true, false, Integers, Floats and Symbols are one object per value.
fn identity(actual: &Value, expected: &Value) -> (bool, String) {
    let fresh = |v: &Value| matches!(v, Value::Str(_) | Value::Array(_) | Value::Hash(_));
    let same = !fresh(actual) && !fresh(expected) && actual == expected;
    let singleton = |v: &Value| matches!(v, Value::Nil | Value::Bool(_));
    let object = |v: &Value| format!("#<{}> => {}", v.class_name(), formatted(v));
    let message = if singleton(expected) {
        let got = if singleton(actual) {
            formatted(actual)
        } else {
            object(actual)
        };
        format!("\nexpected {}\n     got {got}\n", formatted(expected))
    } else {
        format!(
            "\nexpected {}\n     got {}\n\nCompared using equal?, which compares object identity,\n\
             but expected and actual are not the same object. Use\n\
             `expect(actual).to eq(expected)` if you don't care about\n\
             object identity in this example.\n",
            object(expected),
            object(actual)
        )
    };
    (same, message)
}

fn m_match(c: &Call<'_>, _cx: &mut dyn Predicates) -> R<(bool, String)> {
    let actual = c.actual;
    let not = c.not;
    let a0 = c.m.args.first().cloned().unwrap_or(Value::Nil);
    Ok({
        let ok = match actual {
            Value::Str(s) => find(&a0, s)?.is_some(),
            _ => false,
        };
        (
            ok,
            format!(
                "expected {} {not}to match {}",
                inspect(actual),
                inspect(&a0)
            ),
        )
    })
}

fn m_include(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let m = c.m;
    let actual = c.actual;
    let not = c.not;
    // include.rb `check_actual?`: an actual without `include?` (nil, a number, a boolean,
    // a symbol) fails `to` and `not_to` alike, and the message says why.
    if matches!(
        actual,
        Value::Nil | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Sym(_)
    ) {
        return Ok((
            c.negated,
            improve_hash_formatting(&format!(
                "expected {} {not}to include{}, but it does not respond to `include?`",
                inspect(actual),
                sentence(&m.args)
            )),
        ));
    }
    // Each expected item on its own; RSpec's message names only the divergent ones (those
    // missing, or for `not_to` those present): include.rb `excluded_from_actual`.
    let mut hits = Vec::with_capacity(m.args.len());
    for x in &m.args {
        hits.push(match actual {
            Value::Str(s) => matches!(x, Value::Str(p) if s.contains(p.as_str())),
            // RSpec's include: an equal item, or one the expected value
            // matches as `===` does (a Regexp, a Range): `values_match?`.
            Value::Array(a) => {
                let mut hit = false;
                for v in a {
                    if values_match(x, v, cx)? {
                        hit = true;
                        break;
                    }
                }
                hit
            }
            // A Hash expected: each of its pairs is in the actual Hash.
            Value::Hash(_) => match x {
                Value::Hash(pairs) => {
                    let mut all = true;
                    for (k, v) in pairs {
                        all = match actual.hash_get(k) {
                            Some(got) if as_native::<Matcher>(v).is_some() => {
                                values_match(v, got, cx)?
                            }
                            got => got == Some(v),
                        };
                        if !all {
                            break;
                        }
                    }
                    all
                }
                _ => actual.hash_get(x).is_some(),
            },
            Value::Nil => false,
            other => cx
                .predicate(other, "include?", std::slice::from_ref(x))?
                .truthy(),
        });
    }
    // `not_to include a, b` passes only when none is included (`does_not_match?`).
    let ok = if c.negated {
        hits.iter().any(|h| *h)
    } else {
        hits.iter().all(|h| *h)
    };
    let divergent: Vec<Value> = m
        .args
        .iter()
        .zip(&hits)
        .filter(|(_, hit)| **hit == c.negated)
        .map(|(x, _)| x.clone())
        .collect();
    Ok((
        ok,
        improve_hash_formatting(&format!(
            "expected {} {not}to include{}",
            inspect(actual),
            sentence(&surfaced_all(&divergent))
        )),
    ))
}

/// RSpec's HashFormatting#improve_hash_formatting (built_in/base_matcher.rb), which the
/// `include`, `all` and `have_attributes` matchers apply to their description and failure
/// message: `gsub(/(\S)=>(\S)/, '\1 => \2')`, so a Hash reads `{"k" => 1}` there even
/// on a Ruby whose Hash#inspect prints `{"k"=>1}`.
pub fn improve_hash_formatting(text: &str) -> String {
    static RX: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RX.get_or_init(|| regex::Regex::new(r"(\S)=>(\S)").expect("static regex"))
        .replace_all(text, "$1 => $2")
        .into_owned()
}

fn m_be_in(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    use crate::native::ruby::methods::binop;
    use crate::profile::ast::BinOp;
    let actual = c.actual;
    let negated = c.negated;
    let not = c.not;
    let list = c.m.args.first().cloned().unwrap_or(Value::Nil);
    // matchers.rb: an Array item is in the list when `item - list` is empty (negated:
    // `item & list`), which converts the list implicitly (a String or Hash list is
    // TypeError); any other item asks `list.include?(item)`, whatever the list is: a
    // String's substring, a Hash's key, a Range's cover, nil's NoMethodError.
    if let Value::Array(_) = actual {
        let op = if negated { BinOp::BitAnd } else { BinOp::Sub };
        let rest = binop(op, actual.clone(), list.clone())?;
        let ok = matches!(&rest, Value::Array(r) if r.is_empty());
        let label = if negated { "Comm" } else { "Diff" };
        let message = format!(
            "expected `{}` {not}to be in the list: `{}` \n{label}:\n {}",
            interpolated(actual),
            interpolated(&list),
            inspect(&rest)
        );
        // be_in has its own negation (`match_when_negated`).
        return Ok((if negated { !ok } else { ok }, message));
    }
    let included = match &list {
        Value::Array(items) => items.contains(actual),
        // An object whose every method answers itself (an input's NO_VALUE_SET,
        // FilterTable's ExceptionCatcher) answers `include?` truthily.
        l if as_native::<SelfReturning>(l).is_some() => true,
        l => cx
            .predicate(l, "include?", std::slice::from_ref(actual))?
            .truthy(),
    };
    let message = format!(
        "expected `{}` {not}to be in the list: `{}`",
        interpolated(actual),
        interpolated(&list)
    );
    Ok((included, message))
}

fn m_be_nil(c: &Call<'_>, _cx: &mut dyn Predicates) -> R<(bool, String)> {
    let actual = c.actual;
    let negated = c.negated;
    Ok((
        matches!(actual, Value::Nil),
        format!(
            "expected: {}nil\n     got: {}",
            if negated { "not " } else { "" },
            inspect(actual)
        ),
    ))
}

fn m_be_truthy(c: &Call<'_>, _cx: &mut dyn Predicates) -> R<(bool, String)> {
    let actual = c.actual;
    Ok((
        actual.truthy(),
        format!("expected: truthy value\n     got: {}", inspect(actual)),
    ))
}

fn m_be_falsey(c: &Call<'_>, _cx: &mut dyn Predicates) -> R<(bool, String)> {
    let actual = c.actual;
    Ok((
        !actual.truthy(),
        format!("expected: falsey value\n     got: {}", inspect(actual)),
    ))
}

fn m_be_empty(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let actual = c.actual;
    let negated = c.negated;
    Ok({
        let ok = match actual {
            Value::Str(s) => s.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Hash(h) => h.is_empty(),
            // RSpec's BePredicate: no `empty?` (nor `emptys?`) fails whatever the polarity.
            other if cx.lacks(other, "empty?") && cx.lacks(other, "emptys?") => {
                let shown = cx.describe_value(other);
                return Ok((negated, format!("expected {shown} to respond to `empty?`")));
            }
            other => cx.predicate(other, "empty?", &[])?.truthy(),
        };
        (
            ok,
            format!(
                "expected `{}.empty?` to be {}, got {}",
                inspect(actual),
                if negated { "falsey" } else { "truthy" },
                ok
            ),
        )
    })
}

fn m_start_with(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let actual = c.actual;
    let a0 = c.m.args.first().cloned().unwrap_or(Value::Nil);
    let n = c.n;
    Ok({
        let start = n == "start_with";
        let ok = match (actual, &a0) {
            (Value::Str(s), Value::Str(p)) => {
                if start {
                    s.starts_with(p.as_str())
                } else {
                    s.ends_with(p.as_str())
                }
            }
            (Value::Array(a), x) => {
                if start {
                    a.first() == Some(x)
                } else {
                    a.last() == Some(x)
                }
            }
            _ => false,
        };
        (ok, c.default_msg(cx))
    })
}

fn m_all(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let m = c.m;
    let actual = c.actual;
    Ok({
        let Some(inner) = m.args.first().and_then(as_native::<Matcher>).cloned() else {
            return Err(Flow::raise("ArgumentError", "`all` needs a matcher"));
        };
        let items = match actual {
            Value::Array(a) => a.clone(),
            other => {
                return Ok((
                    false,
                    format!("expected {} to respond to `all?`", inspect(other)),
                ))
            }
        };
        let mut bad = Vec::new();
        for (i, x) in items.iter().enumerate() {
            let v = inner.check(x, false, cx)?;
            if !v.passed {
                bad.push(format!(
                    "object at index {i} failed to match:\n      {}",
                    v.message.trim()
                ));
            }
        }
        (
            bad.is_empty(),
            format!(
                "expected {} to all {}\n\n   {}",
                inspect(actual),
                inner.description(),
                bad.join("\n\n   ")
            ),
        )
    })
}

fn m_contain_match(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let actual = c.actual;
    let a0 = c.m.args.first().cloned().unwrap_or(Value::Nil);
    Ok({
        let ok = match actual {
            Value::Array(a) => {
                let re = pattern(&a0)?;
                let mut any = false;
                for x in a {
                    if is_match(&re, &to_s(x))? {
                        any = true;
                        break;
                    }
                }
                any
            }
            _ => false,
        };
        (ok, c.default_msg(cx))
    })
}

fn m_contain_duplicates(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let actual = c.actual;
    Ok({
        let ok = match actual {
            Value::Array(a) => a.iter().enumerate().any(|(i, x)| a[i + 1..].contains(x)),
            _ => false,
        };
        (ok, c.default_msg(cx))
    })
}

fn m_match_array(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let m = c.m;
    let actual = c.actual;
    let n = c.n;
    Ok({
        let want = match m.args.as_slice() {
            [Value::Array(a)] if n == "match_array" => a.clone(),
            other => other.to_vec(),
        };
        let ok = match actual {
            Value::Array(got) if got.len() == want.len() => {
                let mut rest = want.clone();
                let mut all = true;
                for g in got {
                    let mut found = None;
                    for (i, w) in rest.iter().enumerate() {
                        if values_match(w, g, cx)? {
                            found = Some(i);
                            break;
                        }
                    }
                    match found {
                        Some(i) => {
                            rest.remove(i);
                        }
                        None => {
                            all = false;
                            break;
                        }
                    }
                }
                all
            }
            _ => false,
        };
        (
            ok,
            format!(
                "expected collection contained:  {}\nactual collection contained:    {}",
                inspect(&Value::Array(surfaced_all(&want))),
                inspect(actual)
            ),
        )
    })
}

fn m_be_a(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let m = c.m;
    let actual = c.actual;
    let not = c.not;
    let a0 = c.m.args.first().cloned().unwrap_or(Value::Nil);
    let n = c.n;
    Ok({
        let class = as_native::<ClassRef>(&a0)
            .map(|c| c.0.clone())
            .unwrap_or_else(|| to_s(&a0));
        let ok = if matches!(actual, Value::Native(_)) {
            // Library class instances answer by their ancestors.
            let q = if n.contains("instance") {
                "instance_of?"
            } else {
                "is_a?"
            };
            match cx.predicate(actual, q, std::slice::from_ref(&a0)) {
                Ok(v) => v.truthy(),
                Err(_) => is_a(actual, &class),
            }
        } else if n.contains("instance") {
            actual.class_name() == class
        } else {
            is_a(actual, &class)
        };
        (
            ok,
            format!("expected {} {not}to {}", inspect(actual), m.description()),
        )
    })
}

fn m_satisfy(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let m = c.m;
    let actual = c.actual;
    let not = c.not;
    Ok({
        let Some((block, _)) = &m.block else {
            return Err(Flow::raise("ArgumentError", "`satisfy` needs a block"));
        };
        let ok = cx.call_block(block, actual.clone())?.truthy();
        (
            ok,
            format!("expected {} {not}to {}", inspect(actual), m.description()),
        )
    })
}

fn m_be_within(_c: &Call<'_>, _cx: &mut dyn Predicates) -> R<(bool, String)> {
    Err(Flow::raise(
        "ArgumentError",
        "`be_within` needs `.of(expected)`",
    ))
}

fn predicate(c: &Call<'_>, cx: &mut dyn Predicates) -> R<(bool, String)> {
    let m = c.m;
    let actual = c.actual;
    let negated = c.negated;
    let not = c.not;
    let n = c.n;
    Ok({
        let Some(pred) = predicate_of(n) else {
            return Err(Flow::raise("NoMethodError", format!("matcher `{n}`")));
        };
        let args = match n {
            "be_readable" | "be_writable" | "be_executable" => {
                if m.chains.is_empty() {
                    Vec::new()
                } else {
                    vec![
                        m.chained("by").cloned().unwrap_or(Value::Nil),
                        m.chained("by_user").cloned().unwrap_or(Value::Nil),
                    ]
                }
            }
            "be_mounted" => match (m.chained("with"), m.chained("only_with")) {
                (Some(o), _) => vec![o.clone(), Value::Bool(false)],
                (None, Some(o)) => vec![o.clone(), Value::Bool(true)],
                _ => Vec::new(),
            },
            _ => m.args.clone(),
        };
        // RSpec's BePredicate asks `respond_to?` first (its predicate or the present tense,
        // `be_x` → `x?` / `xs?`): an object without either fails, whatever the polarity.
        if let Some(root) = generic_be_root(n) {
            if cx.lacks(actual, &pred) && cx.lacks(actual, &format!("{root}s?")) {
                let shown = cx.describe_value(actual);
                return Ok((negated, format!("expected {shown} to respond to `{pred}`")));
            }
        }
        // RSpec's `exist` accepts `exist?` or `exists?`.
        let r = match cx.predicate(actual, &pred, &args) {
            Err(Flow::Unsupported { .. }) if n == "exist" => {
                cx.predicate(actual, "exists?", &args)?
            }
            other => other?,
        };
        let ok = match n {
            "be_installed" | "be_enabled" | "be_running" => r == Value::Bool(true),
            _ => r.truthy(),
        };
        let shown = cx.describe_value(actual);
        let msg = match n {
            "be_installed" if !negated => format!("expected that `{shown}` is installed"),
            "be_enabled" if !negated => format!("expected that `{shown}` is enabled"),
            "be_running" if !negated => format!("expected that `{shown}` is running"),
            // RSpec's default for matchers.rb's DSL matchers without a negated message.
            "be_installed" | "be_enabled" | "be_running" => {
                format!("expected {shown} not to {}", m.description())
            }
            "exist" => format!("expected {shown} {not}to exist"),
            "be_readable" | "be_writable" | "be_executable" => {
                format!("expected {shown} {not}to {}", m.description())
            }
            _ if pred.starts_with("has_") => {
                format!(
                    "expected #{pred}{} to return {}, got {}",
                    paren_args(&args),
                    !negated,
                    inspect(&r)
                )
            }
            _ => format!(
                "expected `{shown}.{pred}{}` to be {}, got {}",
                paren_args(&args),
                if negated { "falsey" } else { "truthy" },
                inspect(&r)
            ),
        };
        (ok, msg)
    })
}

/// The root of a `be_x` matcher that RSpec's BePredicate runs (`be_empty` → `empty`, also
/// `be_a_x` / `be_an_x`), not one of InSpec's own matchers of that form.
fn generic_be_root(n: &str) -> Option<&str> {
    if own(n).is_some()
        || matches!(
            n,
            "be_readable"
                | "be_writable"
                | "be_executable"
                | "be_installed"
                | "be_enabled"
                | "be_running"
                | "be_mounted"
                | "be_reachable"
                | "be_resolvable"
                | "be_in"
        )
    {
        return None;
    }
    n.strip_prefix("be_")
}

fn paren_args(args: &[Value]) -> String {
    if args.is_empty() {
        String::new()
    } else {
        format!(
            "({})",
            args.iter().map(inspect).collect::<Vec<_>>().join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain values only: predicates go to a fixed table.
    struct Fixed(Vec<(&'static str, Value)>);

    impl Predicates for Fixed {
        fn predicate(&mut self, _: &Value, name: &str, _: &[Value]) -> R {
            self.0
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| Flow::raise("NoMethodError", name.to_string()))
        }
        fn describe_value(&mut self, v: &Value) -> String {
            format!("{v:?}")
        }
        fn call_block(&mut self, _: &crate::profile::ast::Block, _: Value) -> R {
            Err(Flow::raise("NoMethodError", "no blocks here"))
        }
        fn run_custom(&mut self, _: &Value, _: &Value, _: bool) -> R<(bool, String)> {
            Err(Flow::raise("NoMethodError", "no custom matchers here"))
        }
    }

    fn m(name: &str, args: Vec<Value>) -> Matcher {
        Matcher::new(name, args)
    }

    fn passes(matcher: &Matcher, actual: Value) -> bool {
        matcher
            .check(&actual, false, &mut Fixed(Vec::new()))
            .unwrap()
            .passed
    }

    fn fails_with(matcher: &Matcher, actual: Value, negated: bool) -> String {
        let v = matcher
            .check(&actual, negated, &mut Fixed(Vec::new()))
            .unwrap();
        assert!(!v.passed);
        v.message
    }

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    fn re(x: &str) -> Value {
        Value::Regex {
            source: x.into(),
            flags: String::new(),
        }
    }

    #[test]
    fn eq_is_strict_and_explains() {
        assert!(passes(&m("eq", vec![Value::Int(0)]), Value::Int(0)));
        assert!(!passes(&m("eq", vec![Value::Int(2)]), s("2")));
        assert!(
            passes(&m("eq", vec![Value::Float(1.0)]), Value::Int(1)),
            "Ruby's 1 == 1.0"
        );
        assert_eq!(
            fails_with(&m("eq", vec![s("root")]), s("adm"), false),
            "\nexpected: \"root\"\n     got: \"adm\"\n\n(compared using ==)\n"
        );
        assert_eq!(
            fails_with(&m("eq", vec![Value::Int(0)]), Value::Int(0), true),
            "\nexpected: value != 0\n     got: 0\n\n(compared using ==)\n"
        );
        assert_eq!(m("eq", vec![s("x")]).description(), "eq \"x\"");
    }

    #[test]
    fn cmp_descriptions_and_operators() {
        assert_eq!(m("cmp", vec![Value::Int(2)]).description(), "cmp == 2");
        let ge = m("cmp", vec![]).with_operator(">=", Value::Int(5)).unwrap();
        assert_eq!(ge.description(), "cmp >= 5");
        assert!(passes(&ge, s("7")));
        assert_eq!(
            fails_with(&ge, Value::Int(3), false),
            "\nexpected it to be >= 5\n     got: 3\n\n(compared using `cmp` matcher)\n"
        );
        assert_eq!(
            fails_with(&m("cmp", vec![s("yes")]), s("YES"), true),
            "\nexpected it not to be == \"yes\"\n     got: YES\n\n(compared using `cmp` matcher)\n"
        );
        assert!(m("eq", vec![]).with_operator(">", Value::Int(1)).is_none());
    }

    #[test]
    fn be_and_equal_compare_object_identity() {
        // A String, Array or Hash is a new object each time: never `equal?` another.
        for v in [
            s("root"),
            Value::Array(vec![]),
            Value::Hash(Default::default()),
        ] {
            for name in ["be", "equal"] {
                assert!(
                    !passes(&m(name, vec![v.clone()]), v.clone()),
                    "{name} {v:?}"
                );
            }
        }
        // Immediates are one object per value.
        for v in [
            Value::Int(5),
            Value::Nil,
            Value::Bool(true),
            Value::Sym("a".into()),
        ] {
            assert!(passes(&m("be", vec![v.clone()]), v.clone()), "{v:?}");
            assert!(passes(&m("equal", vec![v.clone()]), v.clone()), "{v:?}");
        }
        assert!(!passes(&m("be", vec![Value::Int(5)]), Value::Int(6)));
        assert!(fails_with(&m("be", vec![s("root")]), s("root"), false)
            .contains("Compared using equal?, which compares object identity"));
        // BaseMatcher#description lists an Array's items (EnglishPhrasing.list).
        let all = Value::Array(vec![s("ALL")]);
        assert_eq!(m("be", vec![all.clone()]).description(), "equal \"ALL\"");
        assert_eq!(m("equal", vec![all]).description(), "equal \"ALL\"");
        assert_eq!(m("be", vec![Value::Array(vec![])]).description(), "equal");
    }

    #[test]
    fn match_include_start_end() {
        assert!(passes(&m("match", vec![re("^root:")]), s("x\nroot:x:0")));
        assert!(
            passes(&m("match", vec![s("o+t")]), s("root")),
            "a string pattern is a regexp"
        );
        assert!(!passes(&m("match", vec![re("x")]), Value::Nil));
        assert_eq!(m("match", vec![re("^no$")]).description(), "match /^no$/");
        let long = "x".repeat(250);
        assert_eq!(
            m("match", vec![s(&long)]).description(),
            format!("match \"{long}\""),
            "a long pattern is described whole"
        );
        assert_eq!(
            fails_with(&m("match", vec![re("b")]), s("a"), false),
            "expected \"a\" to match /b/"
        );
        assert!(passes(
            &m("include", vec![s("b")]),
            Value::Array(vec![s("a"), s("b")])
        ));
        assert!(passes(&m("include", vec![s("ell")]), s("hello")));
        // RSpec's values_match?: a Regexp matches an item of the list.
        let re = Value::Regex {
            source: "^-w /etc".into(),
            flags: String::new(),
        };
        assert!(passes(
            &m("include", vec![re.clone()]),
            Value::Array(vec![s("x"), s("-w /etc/passwd -p wa")])
        ));
        assert!(!passes(&m("include", vec![re]), Value::Array(vec![s("x")])));
        // A Hash includes a Hash's pairs.
        let h =
            |pairs: &[(&str, &str)]| Value::Hash(pairs.iter().map(|(k, v)| (s(k), s(v))).collect());
        let conf = h(&[("gpgcheck", "1"), ("best", "True")]);
        assert!(passes(
            &m("include", vec![h(&[("gpgcheck", "1")])]),
            conf.clone()
        ));
        assert!(!passes(&m("include", vec![h(&[("gpgcheck", "0")])]), conf));
        assert!(!passes(
            &m("include", vec![s("a"), s("z")]),
            Value::Array(vec![s("a")])
        ));
        assert_eq!(
            m("include", vec![s("a"), s("b")]).description(),
            "include \"a\" and \"b\""
        );
        // include.rb runs its description through improve_hash_formatting: `=>` spaced even
        // where Hash#inspect (Ruby 3.1) prints none (InSpec 7.1.16, RHEL 9 STIG SV-258077).
        assert_eq!(
            m("include", vec![h(&[("StopIdleSessionSec", "600")])]).description(),
            "include {\"StopIdleSessionSec\" => \"600\"}"
        );
        assert_eq!(
            improve_hash_formatting("expected {\"a\"=>1, :b=>{}} to x => y"),
            "expected {\"a\" => 1, :b => {}} to x => y"
        );
        assert!(passes(
            &m("include", vec![s("k")]),
            Value::Hash(vec![(s("k"), Value::Int(1))])
        ));
        assert!(passes(&m("start_with", vec![s("/etc")]), s("/etc/passwd")));
        assert!(passes(&m("end_with", vec![s("wd")]), s("/etc/passwd")));
    }

    #[test]
    fn be_in_nil_empty_truthy_and_comparisons() {
        let list = Value::Array(vec![s("a"), s("b")]);
        assert!(passes(&m("be_in", vec![list.clone()]), s("a")));
        assert!(passes(
            &m("be_in", vec![list.clone()]),
            Value::Array(vec![s("b")])
        ));
        assert!(!passes(
            &m("be_in", vec![list.clone()]),
            Value::Array(vec![s("b"), s("c")])
        ));
        // Negated: no element may be in the list.
        let v = m("be_in", vec![list])
            .check(
                &Value::Array(vec![s("c"), s("a")]),
                true,
                &mut Fixed(Vec::new()),
            )
            .unwrap();
        assert!(!v.passed);
        assert!(passes(&m("be_nil", vec![]), Value::Nil));
        assert!(passes(&m("be_empty", vec![]), Value::Array(vec![])));
        assert!(!passes(&m("be_empty", vec![]), s("x")));
        assert!(passes(&m("be_truthy", vec![]), Value::Int(0)));
        assert!(passes(&m("be_falsey", vec![]), Value::Nil));
        let lt = m("be", vec![]).with_operator("<", Value::Int(3)).unwrap();
        assert!(passes(&lt, Value::Int(2)));
        assert_eq!(
            fails_with(&lt, Value::Int(4), false),
            "expected: < 3\n     got:   4"
        );
        assert!(matches!(
            lt.check(&s("x"), false, &mut Fixed(Vec::new())),
            Err(Flow::Raise(_))
        ));
    }

    #[test]
    fn predicates_and_permission_chains() {
        let mut cx = Fixed(vec![
            ("readable?", Value::Bool(false)),
            ("installed?", Value::Bool(true)),
            ("owned_by?", Value::Bool(true)),
            ("exist?", Value::Bool(false)),
            ("has_rule?", Value::Bool(true)),
        ]);
        let r = m("be_readable", vec![])
            .chain("by", &[s("others")])
            .unwrap();
        assert_eq!(r.description(), "be readable by others");
        assert!(r.check(&Value::Nil, true, &mut cx).unwrap().passed);
        let by_user = m("be_writable", vec![])
            .chain("by_user", &[s("bob")])
            .unwrap();
        assert_eq!(by_user.description(), "be writable by user bob");
        assert!(m("eq", vec![]).chain("by", &[s("x")]).is_none());
        assert!(
            m("be_installed", vec![])
                .check(&Value::Nil, false, &mut cx)
                .unwrap()
                .passed
        );
        let owned = m("be_owned_by", vec![s("root")]);
        assert_eq!(owned.description(), "be owned by \"root\"");
        assert!(owned.check(&Value::Nil, false, &mut cx).unwrap().passed);
        let ex = m("exist", vec![])
            .check(&s("File /x"), false, &mut cx)
            .unwrap();
        assert_eq!(ex.message, "expected \"File /x\" to exist");
        assert!(
            m("have_rule", vec![s("-P INPUT DROP")])
                .check(&Value::Nil, false, &mut cx)
                .unwrap()
                .passed
        );
        assert_eq!(
            predicate_of("be_more_permissive_than").as_deref(),
            Some("more_permissive_than?")
        );
        assert_eq!(predicate_of("eq"), None);
    }

    #[test]
    fn composition_all_and_collections() {
        let either = m("eq", vec![Value::Int(0)])
            .chain(
                "or",
                &[crate::native::ruby::objects::native(m(
                    "eq",
                    vec![Value::Int(1)],
                ))],
            )
            .unwrap();
        assert_eq!(either.description(), "eq 0 or eq 1");
        assert!(passes(&either, Value::Int(1)));
        assert!(!passes(&either, Value::Int(2)));
        let both = m("match", vec![re("a")])
            .chain(
                "and",
                &[crate::native::ruby::objects::native(m(
                    "match",
                    vec![re("b")],
                ))],
            )
            .unwrap();
        assert!(passes(&both, s("ab")));
        assert!(!passes(&both, s("a")));
        let all = m(
            "all",
            vec![crate::native::ruby::objects::native(m(
                "match",
                vec![re("^/")],
            ))],
        );
        assert!(passes(&all, Value::Array(vec![s("/a"), s("/b")])));
        assert!(!passes(&all, Value::Array(vec![s("/a"), s("b")])));
        assert!(passes(
            &m("contain_exactly", vec![Value::Int(2), Value::Int(1)]),
            Value::Array(vec![Value::Int(1), Value::Int(2)])
        ));
        assert!(passes(
            &m("match_array", vec![Value::Array(vec![Value::Int(1)])]),
            Value::Array(vec![Value::Int(1)])
        ));
        assert!(passes(
            &m("contain_duplicates", vec![]),
            Value::Array(vec![Value::Int(1), Value::Int(1)])
        ));
        let class = crate::native::ruby::objects::native(ClassRef("Integer".into()));
        assert!(passes(&m("be_a", vec![class.clone()]), Value::Int(1)));
        assert_eq!(
            m("be_kind_of", vec![class]).description(),
            "be a kind of Integer"
        );
    }
}
