//! The InSpec model extracted from the syntax tree: controls (id, title, desc, impact, tags,
//! refs, only_if, describe blocks and their expectations, code and source location), group
//! titles, inputs, file-level variables, include/require_controls and custom resources.

use std::cell::Cell;
use std::sync::Arc;

use compact_str::CompactString;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::ast::*;
use super::metadata::Metadata;
use super::visit::{each_expr_in, for_each_branch, walk_expr, Visitor};

pub use super::warning::Warning;

/// An ordered string-keyed map (tags keep the order they were written in). Keys are mostly
/// short names, stored inline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderedMap(pub Vec<(CompactString, Value)>);

impl OrderedMap {
    pub fn insert(&mut self, k: CompactString, v: Value) {
        if let Some(slot) = self.0.iter_mut().find(|(key, _)| *key == k) {
            slot.1 = v;
        } else {
            self.0.push((k, v));
        }
    }
    pub fn get(&self, k: &str) -> Option<&Value> {
        self.0.iter().find(|(key, _)| key == k).map(|(_, v)| v)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }
}

impl Serialize for OrderedMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A piece of a file's source text (a control's, an expectation's): the file's text (held by
/// the profile's sources) is shared, not copied per piece. Reads and serializes as its `str`.
#[derive(Clone, Default)]
pub struct SrcText {
    src: Arc<str>,
    start: u32,
    end: u32,
}

impl SrcText {
    /// `span` of `src`; an empty text when the span does not lie within `src`.
    fn new(src: &Arc<str>, span: Span) -> Self {
        let (start, end) = if src.get(span.start as usize..span.end as usize).is_some() {
            (span.start, span.end)
        } else {
            (0, 0)
        };
        SrcText {
            src: Arc::clone(src),
            start,
            end,
        }
    }
}

impl std::ops::Deref for SrcText {
    type Target = str;
    fn deref(&self) -> &str {
        self.src
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

impl std::fmt::Debug for SrcText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for SrcText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl PartialEq for SrcText {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl PartialEq<&str> for SrcText {
    fn eq(&self, other: &&str) -> bool {
        &**self == *other
    }
}

impl Serialize for SrcText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceLocation {
    #[serde(rename = "ref")]
    pub ref_: Arc<str>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Description {
    pub label: CompactString,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub ref_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OnlyIf {
    pub message: Option<String>,
    /// Source of the condition block.
    pub code: SrcText,
    pub line: u32,
}

/// A call argument: its literal value when it is one, and its source text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arg {
    /// The JSON value of a literal (strings, numbers, symbols as strings, arrays/hashes of
    /// literals, nil/true/false); None for anything computed.
    pub value: Option<Value>,
    /// True when `value` holds the literal (a literal `nil` is `value: null, literal: true`).
    pub literal: bool,
    pub code: SrcText,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subject {
    /// `resource` (`file('/x')`, `etc_fstab.where {...}`), `string` (`describe 'text'`),
    /// `variable`, `expression`, or `none` (`describe.one`).
    pub kind: &'static str,
    /// The resource (first method) name for `resource` subjects.
    pub resource: Option<CompactString>,
    pub args: Vec<Arg>,
    /// Methods chained on the resource: `etc_fstab.where { ... }.entries` → [where, entries].
    pub chain: Vec<CompactString>,
    pub code: SrcText,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expectation {
    /// `it`, `its`, or `expect` (an `expect(x).to ...` statement).
    pub kind: &'static str,
    /// The `its('field')` argument.
    pub its: Option<Arg>,
    /// `it 'text' do ... end` description.
    pub description: Option<String>,
    /// The `expect(x)` argument.
    pub target: Option<Arg>,
    /// `should_not` / `to_not` / `not_to`.
    pub negated: bool,
    pub matcher: Option<CompactString>,
    /// `cmp >= 5`, `be > 3`: the comparison operator applied to the matcher.
    pub operator: Option<&'static str>,
    pub args: Vec<Arg>,
    /// Methods chained on the matcher: `be_readable.by('owner')` → [{name: by, args}]
    pub chain: Vec<ChainCall>,
    pub line: u32,
    pub code: SrcText,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainCall {
    pub name: CompactString,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Describe {
    /// `describe`, `describe.one`, `context` or `describe_each`-free forms.
    pub kind: &'static str,
    pub subject: Subject,
    pub expectations: Vec<Expectation>,
    /// Nested describe blocks (`describe.one`, `describe 'x' do describe ... end end`).
    pub describes: Vec<Describe>,
    /// The describe sits inside an if/unless/case/loop of the control.
    pub conditional: bool,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Control {
    pub id: CompactString,
    /// The id is computed (interpolation, a variable): `id` then holds its source text.
    pub dynamic_id: bool,
    pub title: Option<String>,
    pub desc: Option<String>,
    pub descriptions: Vec<Description>,
    pub impact: f64,
    pub tags: OrderedMap,
    pub refs: Vec<Reference>,
    pub only_if: Option<OnlyIf>,
    pub describes: Vec<Describe>,
    pub code: SrcText,
    pub source_location: SourceLocation,
    /// Path of the file relative to the profile (e.g. `controls/os_spec.rb`), shared by the
    /// file's controls.
    pub file: Arc<str>,
    /// A describe block outside any control, with an id InSpec-style `(generated from ...)`.
    pub generated: bool,
    /// The control sits in a loop or condition at file level (its count depends on runtime).
    pub conditional: bool,
    /// The control block (`do |params| ... end`) for the native evaluator.
    #[serde(skip)]
    pub block: Option<Arc<Block>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// `controls/file.rb`
    pub id: String,
    pub title: Option<String>,
    pub controls: Vec<CompactString>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Input {
    pub name: String,
    /// Effective default: inspec.yml's value if it has one (priority 30), else the DSL's (20).
    pub value: Option<Value>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub required: Option<bool>,
    pub sensitive: Option<bool>,
    pub description: Option<String>,
    pub priority: Option<i64>,
    pub pattern: Option<String>,
    pub profile: Option<String>,
    /// Where it is declared: `inspec.yml` and/or `controls/x.rb:LINE`.
    pub sources: Vec<String>,
    /// The DSL default's source text when it is not a literal (`os.redhat? ? '077' : '027'`).
    pub value_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variable {
    pub name: CompactString,
    pub file: Arc<str>,
    pub line: u32,
    pub code: SrcText,
    pub value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControlOverride {
    pub id: CompactString,
    pub line: u32,
    pub impact: Option<f64>,
    pub title: Option<String>,
    pub tags: OrderedMap,
    pub code: SrcText,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Include {
    /// `include_controls` or `require_controls`.
    pub kind: &'static str,
    pub profile: String,
    pub file: Arc<str>,
    pub line: u32,
    pub skipped: Vec<String>,
    pub controls: Vec<ControlOverride>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomResource {
    pub name: String,
    pub class_name: String,
    pub line: u32,
    pub desc: Option<String>,
    pub methods: Vec<String>,
    pub supports: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Library {
    pub file: String,
    pub resources: Vec<CustomResource>,
    /// Whether the file parsed (a library that does not parse gives a warning, not an error).
    pub parsed: bool,
}

/// A parsed source file with its syntax tree (kept for evaluation).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFile {
    pub path: String,
    pub program: Arc<Program>,
    pub bytes: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// The directory it was loaded from (or the file name for `from_source`).
    pub path: String,
    pub metadata: Metadata,
    pub controls: Vec<Control>,
    pub groups: Vec<Group>,
    pub inputs: Vec<Input>,
    pub variables: Vec<Variable>,
    pub includes: Vec<Include>,
    pub libraries: Vec<Library>,
    pub warnings: Vec<Warning>,
    /// The files' text, kept for the checksum (computed on first use) and for evaluation.
    #[serde(skip)]
    pub sources: Arc<super::ProfileSources>,
    #[serde(skip)]
    pub sha256_cell: std::sync::OnceLock<String>,
    #[serde(skip)]
    pub files: Vec<SourceFile>,
    /// `depends` of inspec.yml, resolved by [`super::load`] ([`super::deps`]).
    #[serde(skip)]
    pub dependencies: Vec<Dependency>,
}

/// One entry of `depends`, resolved (or why not) by [`super::deps`].
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The name `include_controls` uses: the entry's `name`, else the profile's own name.
    pub name: String,
    /// The entry as written in inspec.yml.
    pub spec: super::metadata::Dependency,
    pub resolved: Result<Resolved, String>,
}

#[derive(Debug, Clone)]
pub struct Resolved {
    /// The directory the dependency was read from.
    pub dir: std::path::PathBuf,
    pub profile: Arc<Profile>,
}

impl Profile {
    /// The `libraries/` files of the profile's dependencies, transitively, deepest first
    /// (their resources are visible to the including profile, which may redefine them).
    pub fn dependency_libraries(&self) -> Vec<&SourceFile> {
        let mut out = Vec::new();
        for d in &self.dependencies {
            if let Some(p) = d.profile() {
                out.extend(p.dependency_libraries());
                out.extend(p.files.iter().filter(|f| f.path.starts_with("libraries/")));
            }
        }
        out
    }

    /// SHA-256 over the profile's files (relative path and content, in path order), computed
    /// on first use.
    pub fn sha256(&self) -> &str {
        self.sha256_cell
            .get_or_init(|| super::checksum(&self.sources))
    }
}

// ---- extraction ------------------------------------------------------------------------------

/// Line lookup for one file.
pub struct Lines {
    starts: Vec<u32>,
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0u32);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        Lines { starts }
    }
    pub fn line(&self, offset: u32) -> u32 {
        match self.starts.binary_search(&offset) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }
}

/// Line lookup for the model pass, whose lookups mostly move forward through the file: it
/// counts the newlines between the previous offset and this one (a vectorized count costs far
/// less than listing every line start of the file first).
pub struct LineCursor<'a> {
    text: &'a [u8],
    /// Last offset looked up and its line.
    at: Cell<(u32, u32)>,
}

/// Newlines in `b`.
fn count_newlines(b: &[u8]) -> u32 {
    // Per-chunk sums fit in u8 (at most 255 bytes), which lets the loop run on byte vectors.
    b.chunks(255)
        .map(|c| u32::from(c.iter().fold(0u8, |n, &x| n + u8::from(x == b'\n'))))
        .sum()
}

impl<'a> LineCursor<'a> {
    pub fn new(text: &'a str) -> Self {
        LineCursor {
            text: text.as_bytes(),
            at: Cell::new((0, 1)),
        }
    }
    /// The 1-based line of `offset` (as [`Lines::line`]).
    pub fn line(&self, offset: u32) -> u32 {
        let offset = offset.min(self.text.len() as u32);
        let (pos, line) = self.at.get();
        let line = if offset >= pos {
            let between = self.text.get(pos as usize..offset as usize).unwrap_or(&[]);
            line + count_newlines(between)
        } else if offset < pos - offset {
            // Nearer the start (the inputs pass starts over after the controls pass).
            1 + count_newlines(self.text.get(..offset as usize).unwrap_or(&[]))
        } else {
            let between = self.text.get(offset as usize..pos as usize).unwrap_or(&[]);
            line - count_newlines(between)
        };
        self.at.set((offset, line));
        line
    }
}

/// What one controls file contributes.
#[derive(Debug, Default)]
pub struct FileModel {
    pub controls: Vec<Control>,
    pub group_title: Option<String>,
    pub inputs: Vec<Input>,
    pub variables: Vec<Variable>,
    pub includes: Vec<Include>,
    pub warnings: Vec<Warning>,
}

struct Ctx<'a> {
    text: &'a str,
    file: &'a str,
    /// `file`, shared by the controls, variables and includes of the file.
    shared_file: Arc<str>,
    /// `text`, shared by the code of the controls and expectations.
    shared_text: &'a Arc<str>,
    lines: LineCursor<'a>,
    out: FileModel,
}

impl<'a> Ctx<'a> {
    /// Source text of `span` (short texts, such as most arguments, need no allocation).
    fn src(&self, span: Span) -> CompactString {
        CompactString::from(
            self.text
                .get(span.start as usize..span.end as usize)
                .unwrap_or(""),
        )
    }
    /// Source text of `span`, sharing the file's text (for the longer pieces).
    fn code(&self, span: Span) -> SrcText {
        SrcText::new(self.shared_text, span)
    }
    fn line(&self, span: Span) -> u32 {
        self.lines.line(span.start)
    }
    fn arg(&self, e: &Expr) -> Arg {
        let value = literal(e);
        Arg {
            literal: value.is_some(),
            value,
            code: self.code(e.span),
        }
    }
    fn warn(&mut self, span: Span, message: String) {
        let line = self.line(span);
        self.out.warnings.push(Warning {
            file: self.file.to_string(),
            line: Some(line),
            column: None,
            message,
        });
    }
}

/// The JSON value of a literal expression.
pub fn literal(e: &Expr) -> Option<Value> {
    Some(match &e.kind {
        ExprKind::Nil => Value::Null,
        ExprKind::True => Value::Bool(true),
        ExprKind::False => Value::Bool(false),
        ExprKind::Int(v) => Value::from(*v),
        ExprKind::Float(v) => serde_json::Number::from_f64(*v).map(Value::Number)?,
        ExprKind::Str(parts) => Value::String(plain(parts)?),
        ExprKind::Sym(s) => Value::String(s.to_string()),
        ExprKind::Array(items) => {
            Value::Array(items.iter().map(literal).collect::<Option<Vec<_>>>()?)
        }
        ExprKind::Hash { entries, .. } => {
            let mut m = serde_json::Map::new();
            for en in entries {
                match en {
                    HashEntry::Pair(k, v) => {
                        let key = match literal(k)? {
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        m.insert(key, literal(v)?);
                    }
                    HashEntry::Splat(_) => return None,
                }
            }
            Value::Object(m)
        }
        ExprKind::Paren(body) if body.len() == 1 => return body.first().and_then(literal),
        _ => return None,
    })
}

/// [`Expr::as_str_or_sym`] without the intermediate `String` (short texts stay inline).
fn str_or_sym(e: &Expr) -> Option<CompactString> {
    match &e.kind {
        ExprKind::Str(parts) => match parts.as_slice() {
            [StrPart::Lit(s)] => Some(CompactString::from(s.as_str())),
            _ => plain(parts).map(CompactString::from),
        },
        ExprKind::Sym(s) => Some(s.clone()),
        _ => e.as_str_or_sym().map(CompactString::from),
    }
}

/// [`string_template`] for short texts (labels, tag names): plain literals need no allocation.
fn short_template(text: &str, e: &Expr) -> Option<CompactString> {
    match &e.kind {
        ExprKind::Str(parts) if matches!(parts.as_slice(), [StrPart::Lit(_)]) => str_or_sym(e),
        ExprKind::Sym(s) => Some(s.clone()),
        _ => string_template(text, e).map(CompactString::from),
    }
}

/// A string literal's text, with interpolations kept as `#{source}` (for titles/descs).
fn string_template(text: &str, e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Str(parts) => {
            if let [StrPart::Lit(s)] = parts.as_slice() {
                return Some(s.clone());
            }
            let mut out = String::new();
            for p in parts.iter() {
                match p {
                    StrPart::Lit(s) => out.push_str(s),
                    StrPart::Code(code) => {
                        let (s, en) = match (code.first(), code.last()) {
                            (Some(a), Some(b)) => (a.span.start as usize, b.span.end as usize),
                            _ => (0, 0),
                        };
                        out.push_str("#{");
                        out.push_str(text.get(s..en).unwrap_or(""));
                        out.push('}');
                    }
                }
            }
            Some(out)
        }
        ExprKind::Sym(s) => Some(s.to_string()),
        _ => None,
    }
}

/// `(receiver, name, args, block)` of a call.
type CallParts<'a> = (
    Option<&'a Expr>,
    &'a str,
    &'a [Expr],
    Option<&'a Arc<Block>>,
);

fn call_parts(e: &Expr) -> Option<CallParts<'_>> {
    match &e.kind {
        ExprKind::Call {
            recv,
            name,
            args,
            block,
            ..
        } => Some((
            recv.as_deref(),
            name.as_str(),
            args.as_slice(),
            block.as_ref(),
        )),
        ExprKind::Paren(b) if b.len() == 1 => b.first().and_then(call_parts),
        _ => None,
    }
}

pub fn impact_value(e: &Expr) -> Option<f64> {
    match &e.kind {
        ExprKind::Int(v) => Some(*v as f64),
        ExprKind::Float(v) => Some(*v),
        ExprKind::Str(_) | ExprKind::Sym(_) => {
            let s = e.as_str_or_sym()?;
            match s.to_ascii_lowercase().as_str() {
                "none" => Some(0.0),
                "low" => Some(0.1),
                "medium" => Some(0.4),
                "high" => Some(0.7),
                "critical" => Some(0.9),
                other => other.parse::<f64>().ok(),
            }
        }
        _ => None,
    }
}

/// The file as a generated control's id names it: its base name, as InSpec's
/// `ControlEvalContext#block_location` writes `File.basename(path)` (control_eval_context.rb).
pub fn generated_location_file(file: &str) -> &str {
    file.rsplit('/').next().unwrap_or(file)
}

/// Short hex digest used in generated control ids (deterministic, unlike InSpec's random hex).
fn hex_id(file: &str, line: u32, code: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(file.as_bytes());
    h.update(line.to_le_bytes());
    h.update(code.as_bytes());
    let d = h.finalize();
    d.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Extracts the InSpec model of one controls file from its syntax tree.
pub fn extract_file(text: &str, file: &str, program: &Program) -> FileModel {
    extract_file_with(&Arc::from(text), file, program, true)
}

/// [`extract_file`] of a text the model's code snippets can share.
pub fn extract_file_shared(text: &Arc<str>, file: &str, program: &Program) -> FileModel {
    extract_file_with(text, file, program, true)
}

/// [`extract_file`]; `prune: false` walks the whole tree for inputs (tests compare the two).
pub(crate) fn extract_file_with(
    shared_text: &Arc<str>,
    file: &str,
    program: &Program,
    prune: bool,
) -> FileModel {
    let text: &str = shared_text;
    let mut cx = Ctx {
        text,
        file,
        shared_file: Arc::from(file),
        shared_text,
        lines: LineCursor::new(text),
        out: FileModel::default(),
    };
    walk_file_level(&mut cx, &program.body, false);
    // Inputs used anywhere (file level and inside controls). A call's name is source text
    // inside the span of the call and of every node around it, so only subtrees whose span
    // holds one of these words need a visit. Heredoc bodies lie outside the spans of their
    // nodes: with a possible heredoc, the whole tree is walked.
    let words = input_words(text.as_bytes());
    if !words.is_empty() {
        if prune && !heredoc_possible(text) {
            Around {
                words: &words,
                f: |e| collect_input(&mut cx, e),
            }
            .body(&program.body);
        } else {
            each_expr_in(&program.body, |e| collect_input(&mut cx, e));
        }
    }
    cx.out
}

/// Offsets of "input" and "attribute" in `text`, in increasing order. Both words hold "ut":
/// one scan for it finds both (two scans for the words cost twice as much).
fn input_words(text: &[u8]) -> Vec<u32> {
    let mut words = Vec::new();
    for k in memchr::memmem::find_iter(text, "ut") {
        if k >= 3 && text.get(k - 3..k + 2) == Some(b"input".as_slice()) {
            words.push((k - 3) as u32);
        } else if k >= 6 && text.get(k - 6..k + 3) == Some(b"attribute".as_slice()) {
            words.push((k - 6) as u32);
        }
    }
    // A word starts before the "ut" of any later word (they cannot overlap), so the offsets
    // come sorted, as `visit_around` needs.
    debug_assert!(words.is_sorted());
    words
}

/// `<<` followed by anything that could start a heredoc identifier.
fn heredoc_possible(text: &str) -> bool {
    memchr::memmem::find_iter(text.as_bytes(), "<<").any(|i| {
        !matches!(
            text.as_bytes().get(i + 2),
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'=')
        )
    })
}

/// [`each_expr`](super::visit::each_expr) restricted to the nodes whose span contains one of
/// `words` (sorted offsets).
struct Around<'w, F> {
    words: &'w [u32],
    f: F,
}

impl<'a, F: FnMut(&'a Expr)> Visitor<'a> for Around<'_, F> {
    fn expr(&mut self, e: &'a Expr) {
        let first = self.words.partition_point(|&w| w < e.span.start);
        if self.words.get(first).is_none_or(|&w| w >= e.span.end) {
            return;
        }
        (self.f)(e);
        walk_expr(self, e);
    }
}

fn collect_input(cx: &mut Ctx, e: &Expr) {
    let Some((None, name, args, _)) = call_parts(e) else {
        return;
    };
    if name != "input" && name != "attribute" {
        return;
    }
    let Some(input_name) = args.first().and_then(|a| a.as_str_or_sym()) else {
        return;
    };
    let line = cx.line(e.span);
    let mut input = Input {
        name: input_name,
        value: None,
        type_: None,
        required: None,
        sensitive: None,
        description: None,
        priority: None,
        pattern: None,
        profile: None,
        sources: vec![format!("{}:{}", cx.file, line)],
        value_code: None,
    };
    if let Some(Expr {
        kind: ExprKind::Hash { entries, .. },
        ..
    }) = args.get(1)
    {
        for en in entries {
            let HashEntry::Pair(k, v) = en else { continue };
            let Some(key) = k.as_str_or_sym() else {
                continue;
            };
            match key.as_str() {
                "value" | "default" => {
                    input.value = literal(v);
                    if input.value.is_none() {
                        input.value_code = Some(cx.src(v.span).into());
                    }
                }
                "type" => input.type_ = v.as_str_or_sym(),
                "required" => input.required = literal(v).and_then(|x| x.as_bool()),
                "sensitive" => input.sensitive = literal(v).and_then(|x| x.as_bool()),
                "description" => input.description = v.as_plain_str(),
                "priority" => input.priority = literal(v).and_then(|x| x.as_i64()),
                "pattern" => input.pattern = v.as_plain_str(),
                "profile" => input.profile = v.as_str_or_sym(),
                _ => {}
            }
        }
    }
    if input.priority.is_none() {
        input.priority = Some(20);
    }
    if let Some(existing) = cx.out.inputs.iter_mut().find(|i| i.name == input.name) {
        existing.sources.extend(input.sources);
        if existing.value.is_none() && existing.value_code.is_none() {
            existing.value = input.value;
            existing.value_code = input.value_code;
        }
    } else {
        cx.out.inputs.push(input);
    }
}

/// Statements at file level: controls, group title, top-level describes, variables,
/// include/require_controls. `conditional` is set inside loops and conditions.
fn walk_file_level(cx: &mut Ctx, stmts: &[Expr], conditional: bool) {
    for stmt in stmts {
        file_level_stmt(cx, stmt, conditional);
    }
}

fn file_level_stmt(cx: &mut Ctx, stmt: &Expr, conditional: bool) {
    match &stmt.kind {
        ExprKind::Call {
            recv: None,
            name,
            args,
            block,
            ..
        } => match name.as_str() {
            "control" | "rule" => {
                control_from(cx, stmt, args, block.as_ref(), conditional);
            }
            "title" if !conditional => {
                if let Some(t) = args.first().and_then(|a| string_template(cx.text, a)) {
                    cx.out.group_title = Some(t);
                }
            }
            "describe" | "describe_each" => {
                let mut describes = Vec::with_capacity(1);
                describe_from(cx, stmt, "describe", false, &mut describes);
                if !describes.is_empty() {
                    let code = cx.code(stmt.span);
                    let line = cx.line(stmt.span);
                    let id = format!(
                        "(generated from {}:{} {})",
                        generated_location_file(cx.file),
                        line,
                        hex_id(cx.file, line, &code)
                    );
                    cx.out.controls.push(Control {
                        id: id.into(),
                        dynamic_id: false,
                        title: None,
                        desc: None,
                        descriptions: Vec::new(),
                        impact: 0.5,
                        tags: OrderedMap::default(),
                        refs: Vec::new(),
                        only_if: None,
                        describes,
                        code,
                        source_location: SourceLocation {
                            ref_: Arc::clone(&cx.shared_file),
                            line,
                        },
                        file: Arc::clone(&cx.shared_file),
                        generated: true,
                        conditional,
                        block: None,
                    });
                }
            }
            "include_controls" | "require_controls" => {
                let kind = if name == "require_controls" {
                    "require_controls"
                } else {
                    "include_controls"
                };
                let inc = include_from(cx, stmt, kind, args, block.as_ref());
                cx.out.includes.push(inc);
            }
            _ => {
                // A loop such as `%w(a b).each do |x| control "id-#{x}" do ... end end`.
                if let Some(b) = block {
                    walk_file_level(cx, &b.body, true);
                }
            }
        },
        ExprKind::Call { block: Some(b), .. } => walk_file_level(cx, &b.body, true),
        ExprKind::Assign { target, value } => {
            if let ExprKind::Var(name) = &target.kind {
                if !conditional {
                    let line = cx.line(stmt.span);
                    cx.out.variables.push(Variable {
                        name: name.clone(),
                        file: Arc::clone(&cx.shared_file),
                        line,
                        code: cx.code(value.span),
                        value: literal(value),
                    });
                }
            }
            // `x = control ...` is unusual but keep looking.
            if let ExprKind::Call { block: Some(_), .. } = &value.kind {
                file_level_stmt(cx, value, conditional);
            }
        }
        _ => for_each_branch(stmt, conditional, |body, cond| {
            walk_file_level(cx, body, cond)
        }),
    }
}

fn control_from(
    cx: &mut Ctx,
    stmt: &Expr,
    args: &[Expr],
    block: Option<&Arc<Block>>,
    conditional: bool,
) {
    let Some(id_expr) = args.first() else {
        cx.warn(stmt.span, "control without an id was ignored".into());
        return;
    };
    let (id, dynamic_id) = match str_or_sym(id_expr) {
        Some(s) => (s, false),
        None => (cx.src(id_expr.span), true),
    };
    let line = cx.line(stmt.span);
    let sizes = block.map(|b| ControlSizes::of(&b.body)).unwrap_or_default();
    let mut c = Control {
        id,
        dynamic_id,
        title: None,
        desc: None,
        descriptions: Vec::with_capacity(sizes.descs),
        impact: 0.5,
        tags: OrderedMap(Vec::with_capacity(sizes.tags)),
        refs: Vec::with_capacity(sizes.refs),
        only_if: None,
        describes: Vec::with_capacity(sizes.describes),
        code: cx.code(stmt.span),
        source_location: SourceLocation {
            ref_: Arc::clone(&cx.shared_file),
            line,
        },
        file: Arc::clone(&cx.shared_file),
        generated: false,
        conditional,
        block: block.cloned(),
    };
    match block {
        Some(b) => control_body(cx, &mut c, &b.body, false),
        None => cx.warn(stmt.span, format!("control '{}' has no block", c.id)),
    }
    // Pushed here rather than returned: one copy of this large value fewer.
    cx.out.controls.push(c);
}

/// How many entries a control's lists get from the statements directly in its block (those
/// in loops and conditions come on top): the lists are allocated once, at about their size.
#[derive(Default)]
struct ControlSizes {
    descs: usize,
    tags: usize,
    refs: usize,
    describes: usize,
}

impl ControlSizes {
    fn of(stmts: &[Expr]) -> Self {
        let mut n = ControlSizes::default();
        for s in stmts {
            match &s.kind {
                ExprKind::Call {
                    recv: None,
                    name,
                    args,
                    ..
                } => match name.as_str() {
                    "desc" => n.descs += 1,
                    "tag" => {
                        n.tags += args
                            .iter()
                            .map(|a| match &a.kind {
                                ExprKind::Hash { entries, .. } => entries.len(),
                                ExprKind::Array(items) => items.len(),
                                _ => 1,
                            })
                            .sum::<usize>()
                    }
                    "ref" => n.refs += 1,
                    "describe" | "describe_each" | "context" => n.describes += 1,
                    _ => {}
                },
                ExprKind::Call { recv: Some(r), .. } if is_describe_one(s, r) => n.describes += 1,
                _ => {}
            }
        }
        n
    }
}

/// `describe.one` (`stmt` is a call on `recv`).
fn is_describe_one(stmt: &Expr, recv: &Expr) -> bool {
    recv.bare_call_name() == Some("describe")
        && matches!(&stmt.kind, ExprKind::Call { name, .. } if name == "one")
}

/// How many expectations and nested describes a describe block gets from the statements
/// directly in it (at least), to allocate its lists once.
fn describe_sizes(stmts: &[Expr]) -> (usize, usize) {
    let (mut expectations, mut describes) = (0, 0);
    for s in stmts {
        if let ExprKind::Call { recv, name, .. } = &s.kind {
            match (recv, name.as_str()) {
                (None, "it" | "its" | "specify") => expectations += 1,
                (None, "describe" | "context" | "describe_each") => describes += 1,
                (Some(r), _) if is_describe_one(s, r) => describes += 1,
                (Some(_), "to" | "to_not" | "not_to" | "should" | "should_not") => {
                    expectations += 1
                }
                _ => {}
            }
        }
    }
    (expectations, describes)
}

/// Statements inside a control (or a conditional/loop inside it).
fn control_body(cx: &mut Ctx, c: &mut Control, stmts: &[Expr], conditional: bool) {
    for stmt in stmts {
        control_stmt(cx, c, stmt, conditional);
    }
}

fn control_stmt(cx: &mut Ctx, c: &mut Control, stmt: &Expr, conditional: bool) {
    match &stmt.kind {
        ExprKind::Call {
            recv: None,
            name,
            args,
            block,
            ..
        } => match name.as_str() {
            "impact" => match args.first().and_then(impact_value) {
                Some(v) if (0.0..=1.0).contains(&v) => c.impact = v,
                Some(v) => {
                    cx.warn(
                        stmt.span,
                        format!("impact {v} of control '{}' is outside 0..1; clamped", c.id),
                    );
                    c.impact = v.clamp(0.0, 1.0);
                }
                None => {
                    let code = args.first().map(|a| cx.src(a.span)).unwrap_or_default();
                    cx.warn(
                        stmt.span,
                        format!(
                            "impact of control '{}' is computed ({code}); 0.5 assumed",
                            c.id
                        ),
                    );
                }
            },
            "title" => c.title = args.first().and_then(|a| string_template(cx.text, a)),
            "desc" => {
                // The texts move into the control: no list of them, no copies.
                let texts = match args.as_slice() {
                    [d] => string_template(cx.text, d).map(|d| (None, d)),
                    [label, d] => short_template(cx.text, label)
                        .zip(string_template(cx.text, d))
                        .map(|(l, d)| (Some(l), d)),
                    _ => None,
                };
                match texts {
                    Some((None, d)) => set_desc(c, "default", d),
                    Some((Some(label), d)) => set_desc(c, &label, d),
                    None => cx.warn(
                        stmt.span,
                        format!("desc of control '{}' is not a string", c.id),
                    ),
                }
            }
            "tag" => tag_args(cx, &mut c.tags, args),
            "ref" => {
                let mut r = Reference {
                    ref_: None,
                    url: None,
                    uri: None,
                };
                for a in args {
                    match &a.kind {
                        ExprKind::Hash { entries, .. } => {
                            for en in entries {
                                if let HashEntry::Pair(k, v) = en {
                                    match k.as_str_or_sym().as_deref() {
                                        Some("url") => r.url = string_template(cx.text, v),
                                        Some("uri") => r.uri = string_template(cx.text, v),
                                        Some("ref") => r.ref_ = string_template(cx.text, v),
                                        _ => {}
                                    }
                                }
                            }
                        }
                        _ => {
                            r.ref_ =
                                string_template(cx.text, a).or_else(|| Some(cx.src(a.span).into()))
                        }
                    }
                }
                c.refs.push(r);
            }
            "only_if" | "only_applicable_if" => {
                let message = args.first().and_then(|a| string_template(cx.text, a));
                let code = block.as_ref().map(|b| cx.code(b.span)).unwrap_or_default();
                c.only_if = Some(OnlyIf {
                    message,
                    code,
                    line: cx.line(stmt.span),
                });
            }
            "describe" | "describe_each" | "context" => {
                describe_from(cx, stmt, describe_kind(name), conditional, &mut c.describes);
            }
            "expect" => {}
            _ => {
                if let Some(b) = block {
                    control_body(cx, c, &b.body, true);
                }
            }
        },
        ExprKind::Call {
            recv: Some(r),
            name,
            block,
            ..
        } => {
            if r.bare_call_name() == Some("describe") && name == "one" {
                describe_from(cx, stmt, "describe.one", conditional, &mut c.describes);
            } else if let Some(b) = block {
                // `%w(a b).each do |x| describe ... end`, `x&.each do ... end`
                control_body(cx, c, &b.body, true);
            }
        }
        _ => for_each_branch(stmt, conditional, |body, cond| {
            control_body(cx, c, body, cond)
        }),
    }
}

fn set_desc(c: &mut Control, label: &str, data: String) {
    if label == "default" {
        c.desc = Some(data.clone());
    }
    if let Some(d) = c.descriptions.iter_mut().find(|d| d.label == label) {
        d.data = data;
    } else {
        c.descriptions.push(Description {
            label: label.into(),
            data,
        });
    }
}

fn tag_args(cx: &mut Ctx, tags: &mut OrderedMap, args: &[Expr]) {
    for a in args {
        match &a.kind {
            ExprKind::Hash { entries, .. } => {
                for en in entries {
                    if let HashEntry::Pair(k, v) = en {
                        let key = str_or_sym(k).unwrap_or_else(|| cx.src(k.span));
                        let val = literal(v)
                            .or_else(|| string_template(cx.text, v).map(Value::String))
                            .unwrap_or_else(|| Value::String(cx.src(v.span).into()));
                        tags.insert(key, val);
                    }
                }
            }
            ExprKind::Array(items) => {
                for i in items {
                    if let Some(k) = str_or_sym(i) {
                        tags.insert(k, Value::Null);
                    }
                }
            }
            _ => {
                let key = short_template(cx.text, a).unwrap_or_else(|| cx.src(a.span));
                tags.insert(key, Value::Null);
            }
        }
    }
}

fn subject_from(cx: &Ctx, args: &[Expr]) -> Subject {
    let Some(first) = args.first() else {
        return Subject {
            kind: "none",
            resource: None,
            args: Vec::new(),
            chain: Vec::new(),
            code: SrcText::default(),
        };
    };
    let code = args
        .last()
        .map(|l| cx.code(first.span.to(l.span)))
        .unwrap_or_default();
    // Walk down a method chain to its root call: etc_fstab.where { ... }.entries
    let mut chain = Vec::new();
    let mut e = first;
    loop {
        match &e.kind {
            ExprKind::Call {
                recv: Some(r),
                name,
                ..
            } => {
                chain.push(name.clone());
                e = r;
            }
            ExprKind::Index { recv, .. } => {
                chain.push(CompactString::const_new("[]"));
                e = recv;
            }
            ExprKind::Paren(b) if b.len() == 1 => match b.first() {
                Some(inner) => e = inner,
                None => break,
            },
            _ => break,
        }
    }
    chain.reverse();
    match &e.kind {
        ExprKind::Call {
            recv: None,
            name,
            args: rargs,
            ..
        } => Subject {
            kind: "resource",
            resource: Some(name.clone()),
            args: rargs.iter().map(|a| cx.arg(a)).collect(),
            chain,
            code,
        },
        ExprKind::Str(_) if chain.is_empty() => Subject {
            kind: "string",
            resource: None,
            args: args.iter().map(|a| cx.arg(a)).collect(),
            chain,
            code,
        },
        ExprKind::Var(_) | ExprKind::IVar(_) if chain.is_empty() => Subject {
            kind: "variable",
            resource: None,
            args: vec![cx.arg(first)],
            chain,
            code,
        },
        _ => Subject {
            kind: "expression",
            resource: None,
            args: vec![cx.arg(first)],
            chain,
            code,
        },
    }
}

/// The `kind` of a describe block opened by a call to `name` (`describe`, `context` or
/// `describe_each`), as a constant: no copy per block.
fn describe_kind(name: &str) -> &'static str {
    match name {
        "context" => "context",
        "describe_each" => "describe_each",
        _ => "describe",
    }
}

/// Pushes the describe block `stmt` onto `out` and fills it there (it is a large value: no
/// copy on return).
fn describe_from(
    cx: &mut Ctx,
    stmt: &Expr,
    kind: &'static str,
    conditional: bool,
    out: &mut Vec<Describe>,
) {
    let Some((_, _, args, block)) = call_parts(stmt) else {
        return;
    };
    let subject = if kind == "describe.one" {
        subject_from(cx, &[])
    } else {
        subject_from(cx, args)
    };
    let (expectations, describes) = block.map(|b| describe_sizes(&b.body)).unwrap_or_default();
    out.push(Describe {
        kind,
        subject,
        expectations: Vec::with_capacity(expectations),
        describes: Vec::with_capacity(describes),
        conditional,
        line: cx.line(stmt.span),
    });
    if let (Some(b), Some(d)) = (block, out.last_mut()) {
        describe_body(cx, d, &b.body, false);
    }
}

fn describe_body(cx: &mut Ctx, d: &mut Describe, stmts: &[Expr], conditional: bool) {
    for stmt in stmts {
        match &stmt.kind {
            ExprKind::Call {
                recv: None,
                name,
                args,
                block,
                ..
            } => match name.as_str() {
                "it" | "its" | "specify" => {
                    let its = if name == "its" {
                        args.first().map(|a| cx.arg(a))
                    } else {
                        None
                    };
                    let description = if name == "it" {
                        args.first().and_then(|a| string_template(cx.text, a))
                    } else {
                        None
                    };
                    let first = d.expectations.len();
                    if let Some(b) = block {
                        let kind = if name == "its" { "its" } else { "it" };
                        for s in &b.body {
                            expectation_from(cx, s, kind, &mut d.expectations);
                        }
                    }
                    // `its` and the description are copied into all but the last expectation
                    // of the block, which takes them (most blocks hold one).
                    if let Some((last, rest)) = d
                        .expectations
                        .get_mut(first..)
                        .and_then(|found| found.split_last_mut())
                    {
                        for ex in rest {
                            ex.its = its.clone();
                            ex.description = description.clone();
                        }
                        last.its = its;
                        last.description = description;
                    } else {
                        d.expectations.push(Expectation {
                            kind: match name.as_str() {
                                "it" => "it",
                                "its" => "its",
                                _ => "specify",
                            },
                            its,
                            description,
                            target: None,
                            negated: false,
                            matcher: None,
                            operator: None,
                            args: Vec::new(),
                            chain: Vec::new(),
                            line: cx.line(stmt.span),
                            code: cx.code(stmt.span),
                        });
                    }
                }
                "describe" | "context" | "describe_each" => {
                    describe_from(cx, stmt, describe_kind(name), conditional, &mut d.describes);
                }
                _ => {
                    if let Some(b) = block {
                        describe_body(cx, d, &b.body, true);
                    }
                }
            },
            ExprKind::Call {
                recv: Some(r),
                name,
                block,
                ..
            } => {
                if r.bare_call_name() == Some("describe") && name == "one" {
                    describe_from(cx, stmt, "describe.one", conditional, &mut d.describes);
                } else if !expectation_from(cx, stmt, "expect", &mut d.expectations) {
                    if let Some(b) = block {
                        describe_body(cx, d, &b.body, true);
                    }
                }
            }
            ExprKind::If {
                then_body,
                else_body,
                ..
            } => {
                describe_body(cx, d, then_body, true);
                describe_body(cx, d, else_body, true);
            }
            _ => {}
        }
    }
}

/// `should matcher args`, `should_not ...`, `is_expected.to ...`, `expect(x).to ...`: pushed
/// onto `out` (built in one go and moved once: an expectation is a large value).
fn expectation_from(cx: &Ctx, stmt: &Expr, kind: &'static str, out: &mut Vec<Expectation>) -> bool {
    let Some((recv, name, args, _)) = call_parts(stmt) else {
        return false;
    };
    let (negated, target) = match (recv, name) {
        (None, "should") => (false, None),
        (None, "should_not") => (true, None),
        (Some(r), "to" | "to_not" | "not_to" | "should" | "should_not") => {
            let neg = matches!(name, "to_not" | "not_to" | "should_not");
            let target = match call_parts(r) {
                Some((None, "expect", a, _)) => a.first().map(|x| cx.arg(x)),
                Some((None, "is_expected", _, _)) => None,
                _ => Some(cx.arg(r)),
            };
            (neg, target)
        }
        _ => return false,
    };
    let m = args.first().map(|m| matcher_of(cx, m)).unwrap_or_default();
    out.push(Expectation {
        kind,
        its: None,
        description: None,
        target,
        negated,
        matcher: m.matcher,
        operator: m.operator,
        args: m.args,
        chain: m.chain,
        line: cx.line(stmt.span),
        code: cx.code(stmt.span),
    });
    true
}

/// The matcher part of an expectation.
#[derive(Default)]
struct Matcher {
    matcher: Option<CompactString>,
    operator: Option<&'static str>,
    args: Vec<Arg>,
    chain: Vec<ChainCall>,
}

fn matcher_of(cx: &Ctx, m: &Expr) -> Matcher {
    let args_of = |exprs: &[Expr], extra: usize| {
        let mut v = Vec::with_capacity(exprs.len() + extra);
        v.extend(exprs.iter().map(|a| cx.arg(a)));
        v
    };
    match &m.kind {
        // `cmp >= 5`, `be > 3`
        ExprKind::Binary { op, lhs, rhs } => {
            if let Some((None, name, margs, _)) = call_parts(lhs) {
                let mut args = args_of(margs, 1);
                args.push(cx.arg(rhs));
                return Matcher {
                    matcher: Some(name.into()),
                    operator: Some(op.as_str()),
                    args,
                    chain: Vec::new(),
                };
            }
            Matcher {
                matcher: Some(CompactString::const_new(op.as_str())),
                operator: None,
                args: vec![cx.arg(lhs), cx.arg(rhs)],
                chain: Vec::new(),
            }
        }
        _ => {
            let mut chain = Vec::new();
            let mut e = m;
            while let Some((Some(r), name, args, _)) = call_parts(e) {
                chain.push(ChainCall {
                    name: name.into(),
                    args: args_of(args, 0),
                });
                e = r;
            }
            chain.reverse();
            let (matcher, args) = match call_parts(e) {
                Some((None, name, args, _)) => (Some(name.into()), args_of(args, 0)),
                _ => (None, vec![cx.arg(e)]),
            };
            Matcher {
                matcher,
                operator: None,
                args,
                chain,
            }
        }
    }
}

fn include_from(
    cx: &mut Ctx,
    stmt: &Expr,
    kind: &'static str,
    args: &[Expr],
    block: Option<&Arc<Block>>,
) -> Include {
    let profile = args
        .first()
        .and_then(|a| string_template(cx.text, a))
        .unwrap_or_else(|| {
            args.first()
                .map(|a| cx.src(a.span).into())
                .unwrap_or_default()
        });
    let mut inc = Include {
        kind,
        profile,
        file: Arc::clone(&cx.shared_file),
        line: cx.line(stmt.span),
        skipped: Vec::new(),
        controls: Vec::new(),
    };
    if let Some(b) = block {
        for s in &b.body {
            let Some((None, name, a, blk)) = call_parts(s) else {
                continue;
            };
            match name {
                "skip_control" => {
                    if let Some(id) = a.first().and_then(|x| x.as_str_or_sym()) {
                        inc.skipped.push(id);
                    }
                }
                "control" | "rule" => {
                    let Some(id) = a.first().and_then(str_or_sym) else {
                        continue;
                    };
                    let mut c = Control {
                        id: id.clone(),
                        dynamic_id: false,
                        title: None,
                        desc: None,
                        descriptions: Vec::new(),
                        impact: f64::NAN,
                        tags: OrderedMap::default(),
                        refs: Vec::new(),
                        only_if: None,
                        describes: Vec::new(),
                        code: SrcText::default(),
                        source_location: SourceLocation {
                            ref_: Arc::clone(&cx.shared_file),
                            line: 0,
                        },
                        file: Arc::clone(&cx.shared_file),
                        generated: false,
                        conditional: false,
                        block: None,
                    };
                    if let Some(bb) = blk {
                        control_body(cx, &mut c, &bb.body, false);
                    }
                    inc.controls.push(ControlOverride {
                        id,
                        line: cx.line(s.span),
                        impact: if c.impact.is_nan() {
                            None
                        } else {
                            Some(c.impact)
                        },
                        title: c.title,
                        tags: c.tags,
                        code: cx.code(s.span),
                    });
                }
                _ => {}
            }
        }
    }
    inc
}

/// Custom resources of a library file: `class X < Inspec.resource(1)` with `name 'x'`.
pub fn extract_library(text: &str, file: &str, program: &Program) -> Library {
    let lines = LineCursor::new(text);
    let mut lib = Library {
        file: file.to_string(),
        resources: Vec::new(),
        parsed: true,
    };
    fn walk(stmts: &[Expr], text: &str, lines: &LineCursor, lib: &mut Library) {
        for s in stmts {
            match &s.kind {
                ExprKind::Class {
                    path,
                    superclass,
                    body,
                } => {
                    let is_resource = superclass.as_deref().is_some_and(|sc| {
                        matches!(call_parts(sc), Some((Some(r), "resource", _, _))
                            if matches!(&r.kind, ExprKind::Const { name, .. } if name == "Inspec"))
                            || matches!(&sc.kind, ExprKind::Const { name, .. } if name == "Resource" || name == "Inspec")
                    });
                    if is_resource {
                        let class_name = match &path.kind {
                            ExprKind::Const { name, .. } => name.clone(),
                            _ => text
                                .get(path.span.start as usize..path.span.end as usize)
                                .unwrap_or("")
                                .to_string(),
                        };
                        let mut r = CustomResource {
                            name: String::new(),
                            class_name,
                            line: lines.line(s.span.start),
                            desc: None,
                            methods: Vec::new(),
                            supports: Vec::new(),
                        };
                        for b in body {
                            match call_parts(b) {
                                Some((None, "name", a, _)) => {
                                    if let Some(n) = a.first().and_then(|x| x.as_str_or_sym()) {
                                        r.name = n;
                                    }
                                }
                                Some((None, "desc", a, _)) => {
                                    r.desc = a.first().and_then(|x| x.as_plain_str())
                                }
                                Some((None, "supports", a, _)) => {
                                    r.supports.extend(a.iter().filter_map(literal));
                                }
                                _ => {}
                            }
                            if let ExprKind::Def(d) = &b.kind {
                                r.methods.push(d.name.clone());
                            }
                        }
                        if !r.name.is_empty() {
                            lib.resources.push(r);
                        }
                    } else {
                        walk(body, text, lines, lib);
                    }
                }
                ExprKind::Module { body, .. } => walk(body, text, lines, lib),
                _ => {}
            }
        }
    }
    walk(&program.body, text, &lines, &mut lib);
    lib
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_words_as_two_scans() {
        for text in [
            "",
            "ut",
            "input",
            "attribute",
            "inputattribute input",
            "attributeinput(x) output nut attribut inpu input",
            "x = input('a')\nattribute('b', default: 1) # input\n",
        ] {
            let mut want: Vec<u32> = memchr::memmem::find_iter(text.as_bytes(), "input")
                .chain(memchr::memmem::find_iter(text.as_bytes(), "attribute"))
                .map(|i| i as u32)
                .collect();
            want.sort_unstable();
            assert_eq!(input_words(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn line_cursor_any_order() {
        let text = "a\nbb\n\nccc\nd";
        let lines = Lines::new(text);
        let cursor = LineCursor::new(text);
        for off in [9u32, 0, 3, 11, 2, 7, 5, 1, 10, 4, 6, 8, 12, 0] {
            assert_eq!(cursor.line(off), lines.line(off.min(11)), "offset {off}");
        }
    }
}
