//! Static coverage: which controls the native evaluator can run completely, without a
//! target. Each control's syntax tree is walked with the rules the interpreter applies
//! (the same construct names, the same DSL, builtin methods, matchers, the resource
//! catalogue and the profile's library resources), so a control reported as supported is
//! not skipped as unsupported by [`evaluate`](super::evaluate). The analysis is
//! conservative where it cannot know a value's type.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use crate::native::inspec::dsl::DSL_FUNCTIONS;
use crate::native::inspec::matchers::{is_matcher, predicate_of, CHAINS};
use crate::native::inspec::table::TABLE_METHODS;
use crate::native::resources;
use crate::native::ruby::classes::{has_class_method, is_object_method, SCOPED_CLASSES};
use crate::native::ruby::eval::{construct_name, scoped_name};
use crate::native::ruby::methods::{is_builtin, KERNEL_FUNCTIONS, NEEDS_BLOCK};
use crate::native::ruby::objects::{load_library, ResourceClass, KNOWN_CLASSES};
use crate::profile::ast::{BeginExpr, BinOp, Block, Expr, ExprKind, HashEntry, Param, StrPart};
use crate::profile::model::{visit, Lines};
use crate::profile::Profile;

/// The native resources and what each answers (`*`: any property, for resources whose
/// properties are the keys of a configuration file).
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    resources: BTreeMap<String, HashSet<String>>,
}

impl Catalogue {
    /// The native registry ([`resources::names`] and [`resources::methods`]).
    pub fn native() -> Self {
        Catalogue::new(
            resources::names()
                .iter()
                .map(|n| (*n, resources::methods(n).unwrap_or(&[]).to_vec())),
        )
    }

    pub fn new<'a>(list: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>) -> Self {
        Catalogue {
            resources: list
                .into_iter()
                .map(|(n, ms)| (n.to_string(), ms.into_iter().map(str::to_string).collect()))
                .collect(),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.resources.contains_key(name)
    }

    /// A resource listing `*` answers any name (configuration keys: `sshd_config`, `json`).
    fn answers(&self, resource: &str, method: &str) -> bool {
        self.resources
            .get(resource)
            .is_some_and(|m| m.contains(method) || m.contains("*"))
    }

    /// What the interpreter can call on the resource: its own methods, `exists?` for the
    /// `exist` matcher, and the FilterTable methods of table resources (those with `where`).
    fn resource_answers(&self, resource: &str, method: &str) -> bool {
        self.answers(resource, method)
            || (method == "exist?" && self.answers(resource, "exists?"))
            || (TABLE_METHODS.contains(&method) && self.answers(resource, "where"))
    }

    fn any_answers(&self, method: &str) -> bool {
        self.resources.values().any(|m| m.contains(method))
    }
}

/// A construct outside the native subset and where it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Blocker {
    pub construct: String,
    pub at: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ControlCoverage {
    pub id: String,
    pub file: String,
    pub line: u32,
    pub supported: bool,
    pub blockers: Vec<Blocker>,
}

/// A construct blocking controls, with how many and one place it occurs.
#[derive(Clone, Debug, Serialize)]
pub struct BlockerCount {
    pub construct: String,
    pub controls: usize,
    pub example: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Coverage {
    pub profile: String,
    pub total: usize,
    pub supported: usize,
    /// Percentage of controls evaluated natively (100 for a profile without controls).
    pub percent: f64,
    pub controls: Vec<ControlCoverage>,
    /// Most frequent first.
    pub blockers: Vec<BlockerCount>,
}

/// Coverage against the native resource registry.
pub fn coverage(profile: &Profile) -> Coverage {
    coverage_with(profile, &Catalogue::native())
}

/// Coverage against a given resource catalogue.
pub fn coverage_with(profile: &Profile, catalogue: &Catalogue) -> Coverage {
    let mut an = Analyzer::new(profile, catalogue);
    an.run();
    let controls = an.out;
    let supported = controls.iter().filter(|c| c.supported).count();
    let mut counts: HashMap<String, (usize, String)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for c in &controls {
        let mut seen = HashSet::new();
        for b in &c.blockers {
            if !seen.insert(b.construct.clone()) {
                continue;
            }
            let e = counts.entry(b.construct.clone()).or_insert_with(|| {
                order.push(b.construct.clone());
                (0, b.at.clone())
            });
            e.0 += 1;
        }
    }
    let mut blockers: Vec<BlockerCount> = order
        .into_iter()
        .filter_map(|k| {
            counts.remove(&k).map(|(n, ex)| BlockerCount {
                construct: k,
                controls: n,
                example: ex,
            })
        })
        .collect();
    blockers.sort_by_key(|b| std::cmp::Reverse(b.controls));
    let total = controls.len();
    Coverage {
        profile: profile
            .metadata
            .name
            .clone()
            .unwrap_or_else(|| profile.path.clone()),
        total,
        supported,
        percent: if total == 0 {
            100.0
        } else {
            supported as f64 * 100.0 / total as f64
        },
        controls,
        blockers,
    }
}

/// What is statically known about a value.
#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Unknown,
    Resource(String),
    Custom(String),
    Matcher(String),
    Expect,
}

#[derive(Clone, Default)]
struct Cx {
    in_control: bool,
    in_describe: bool,
    in_example: bool,
    /// Inside `where { }`: bare names may be the row's fields.
    in_where: bool,
    /// Inside a custom resource's method: the class.
    class: Option<Arc<ResourceClass>>,
    /// The subject of the innermost describe and the example's `its` (if any).
    subject: Option<Ty>,
    its: bool,
}

struct Analyzer<'a> {
    profile: &'a Profile,
    cat: &'a Catalogue,
    lines: HashMap<String, Lines>,
    file: String,
    classes: HashMap<String, Arc<ResourceClass>>,
    defs: HashMap<String, Vec<Expr>>,
    def_cache: HashMap<String, Vec<Blocker>>,
    class_cache: HashMap<String, Vec<Blocker>>,
    in_progress: HashSet<String>,
    consts: HashSet<String>,
    /// File-level variables (and constants) whose value cannot be computed natively.
    poisoned: HashMap<String, Vec<Blocker>>,
    var_types: HashMap<String, Ty>,
    out: Vec<ControlCoverage>,
}

impl<'a> Analyzer<'a> {
    fn new(profile: &'a Profile, cat: &'a Catalogue) -> Self {
        let lines = profile
            .sources
            .controls
            .iter()
            .chain(profile.sources.libraries.iter())
            .map(|(p, t)| (p.clone(), Lines::new(t)))
            .collect();
        Analyzer {
            profile,
            cat,
            lines,
            file: String::new(),
            classes: HashMap::new(),
            defs: HashMap::new(),
            def_cache: HashMap::new(),
            class_cache: HashMap::new(),
            in_progress: HashSet::new(),
            consts: HashSet::new(),
            poisoned: HashMap::new(),
            var_types: HashMap::new(),
            out: Vec::new(),
        }
    }

    fn at(&self, off: u32) -> String {
        let line = self.lines.get(&self.file).map_or(0, |l| l.line(off));
        format!("{}:{line}", self.file)
    }

    fn block(&self, construct: impl Into<String>, off: u32) -> Blocker {
        Blocker {
            construct: construct.into(),
            at: self.at(off),
        }
    }

    fn run(&mut self) {
        for f in &self.profile.files {
            if f.path.starts_with("libraries/") {
                self.file = f.path.clone();
                let this = &*self;
                for c in load_library(&f.path, &f.program.body, &|o| this.at(o)) {
                    self.classes.insert(c.name.clone(), Arc::new(c));
                }
            }
        }
        // Helpers and constants are visible to every control file.
        for f in &self.profile.files {
            if f.path.starts_with("libraries/") {
                continue;
            }
            for stmt in &f.program.body {
                visit(stmt, &mut |e| match &e.kind {
                    ExprKind::Def(d) if d.singleton.is_none() => {
                        self.defs.insert(d.name.clone(), d.body.clone());
                    }
                    ExprKind::Assign { target, .. } => {
                        if let ExprKind::Const {
                            scope: None, name, ..
                        } = &target.kind
                        {
                            self.consts.insert(name.clone());
                        }
                    }
                    _ => {}
                });
            }
        }
        for f in &self.profile.files {
            if f.path.starts_with("libraries/") {
                continue;
            }
            self.file = f.path.clone();
            self.var_types.clear();
            self.poisoned
                .retain(|k, _| k.chars().next().is_some_and(|c| c.is_ascii_uppercase()));
            let first = self.out.len();
            let mut file_blockers: Vec<Blocker> = Vec::new();
            for stmt in &f.program.body {
                self.file_stmt(stmt, &[], &mut file_blockers);
            }
            if !file_blockers.is_empty() {
                for c in self.out.iter_mut().skip(first) {
                    c.blockers.extend(file_blockers.iter().cloned());
                    c.supported = false;
                }
            }
        }
    }

    /// A file-level statement; controls nested in it inherit its blockers.
    fn file_stmt(&mut self, e: &Expr, inherited: &[Blocker], file_blockers: &mut Vec<Blocker>) {
        match &e.kind {
            ExprKind::Call {
                recv: None,
                name,
                args,
                block,
                ..
            } if name == "control" || name == "rule" => {
                let mut bs = inherited.to_vec();
                let cx = Cx::default();
                for a in args {
                    self.expr(a, &cx, &mut bs);
                }
                let id = args
                    .first()
                    .and_then(|a| a.as_str_or_sym())
                    .unwrap_or_else(|| {
                        self.profile
                            .controls
                            .iter()
                            .find(|c| {
                                *c.file == *self.file
                                    && c.source_location.line == self.line(e.span.start)
                            })
                            .map(|c| c.id.to_string())
                            .unwrap_or_default()
                    });
                if let Some(b) = block {
                    let saved = self.var_types.clone();
                    let cx = Cx {
                        in_control: true,
                        ..Cx::default()
                    };
                    self.body(&b.body, &cx, &mut bs);
                    self.var_types = saved;
                }
                self.push_control(id, e.span.start, bs);
            }
            ExprKind::Call {
                recv: None, name, ..
            } if name == "describe" || name == "context" => {
                let mut bs = inherited.to_vec();
                let cx = Cx {
                    in_control: true,
                    ..Cx::default()
                };
                self.expr(e, &cx, &mut bs);
                let line = self.line(e.span.start);
                let id = self
                    .profile
                    .controls
                    .iter()
                    .find(|c| {
                        c.generated && *c.file == *self.file && c.source_location.line == line
                    })
                    .map(|c| c.id.to_string())
                    .unwrap_or_else(|| format!("(generated from {}:{line})", self.file));
                self.push_control(id, e.span.start, bs);
            }
            ExprKind::Call {
                recv: None, name, ..
            } if name == "only_if" => {
                let mut bs = Vec::new();
                self.expr(e, &Cx::default(), &mut bs);
                file_blockers.extend(bs);
            }
            _ => {
                let mut bs = inherited.to_vec();
                let has_controls = contains_control(e);
                if has_controls {
                    // The statement's own parts, then its controls with those blockers.
                    self.shallow(e, &mut bs);
                    let mut nested: Vec<&Expr> = Vec::new();
                    collect_controls(e, &mut nested);
                    for c in nested {
                        self.file_stmt(c, &bs, file_blockers);
                    }
                } else {
                    self.expr(e, &Cx::default(), &mut bs);
                    if let ExprKind::Assign { target, value } = &e.kind {
                        let ty = self.ty(value);
                        match &target.kind {
                            ExprKind::Var(n) => {
                                self.var_types.insert(n.to_string(), ty);
                                if bs.len() > inherited.len() {
                                    self.poisoned
                                        .insert(n.to_string(), bs[inherited.len()..].to_vec());
                                } else {
                                    self.poisoned.remove(n.as_str());
                                }
                            }
                            ExprKind::Const {
                                scope: None, name, ..
                            } if bs.len() > inherited.len() => {
                                self.poisoned
                                    .insert(name.clone(), bs[inherited.len()..].to_vec());
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }

    fn line(&self, off: u32) -> u32 {
        self.lines.get(&self.file).map_or(0, |l| l.line(off))
    }

    fn push_control(&mut self, id: String, off: u32, mut blockers: Vec<Blocker>) {
        let mut seen = HashSet::new();
        blockers.retain(|b| seen.insert(b.clone()));
        let c = ControlCoverage {
            id,
            file: self.file.clone(),
            line: self.line(off),
            supported: blockers.is_empty(),
            blockers,
        };
        match self
            .out
            .iter_mut()
            .find(|o| o.id == c.id && !c.id.is_empty())
        {
            Some(slot) => *slot = c,
            None => self.out.push(c),
        }
    }

    /// The parts of a statement that holds controls, without descending into the controls.
    fn shallow(&mut self, e: &Expr, bs: &mut Vec<Blocker>) {
        match &e.kind {
            ExprKind::Call {
                recv, args, block, ..
            } => {
                if let Some(r) = recv {
                    self.expr(r, &Cx::default(), bs);
                }
                for a in args {
                    self.expr(a, &Cx::default(), bs);
                }
                if let Some(b) = block {
                    for s in &b.body {
                        if !contains_control(s) {
                            self.expr(s, &Cx::default(), bs);
                        } else {
                            self.shallow(s, bs);
                        }
                    }
                }
            }
            ExprKind::If { cond, .. } | ExprKind::While { cond, .. } => {
                self.expr(cond, &Cx::default(), bs)
            }
            ExprKind::For { iter, .. } => self.expr(iter, &Cx::default(), bs),
            ExprKind::Case {
                subject: Some(s), ..
            } => self.expr(s, &Cx::default(), bs),
            ExprKind::Begin(_) | ExprKind::Paren(_) | ExprKind::Case { .. } => {}
            _ => bs.push(self.block(construct_name(&e.kind), e.span.start)),
        }
    }

    fn body(&mut self, body: &[Expr], cx: &Cx, bs: &mut Vec<Blocker>) {
        for e in body {
            self.expr(e, cx, bs);
        }
    }

    fn parts(&mut self, parts: &[StrPart], cx: &Cx, bs: &mut Vec<Blocker>) {
        for p in parts {
            if let StrPart::Code(c) = p {
                self.body(c, cx, bs);
            }
        }
    }

    fn expr(&mut self, e: &Expr, cx: &Cx, bs: &mut Vec<Blocker>) {
        let off = e.span.start;
        match &e.kind {
            ExprKind::Nil
            | ExprKind::True
            | ExprKind::False
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Sym(_)
            | ExprKind::File
            | ExprKind::Line(_)
            | ExprKind::IVar(_) => {}
            ExprKind::Str(p) | ExprKind::DSym(p) => self.parts(p, cx, bs),
            ExprKind::Regex { parts, flags } => {
                if let Some(src) = crate::profile::ast::plain(parts) {
                    if let Err(construct) = crate::native::ruby::rx::compile(&src, flags) {
                        bs.push(self.block(construct, off));
                    }
                } else {
                    self.parts(parts, cx, bs);
                }
            }
            ExprKind::Array(items) => {
                for i in items {
                    match &i.kind {
                        ExprKind::Splat(x) => self.expr(x, cx, bs),
                        _ => self.expr(i, cx, bs),
                    }
                }
            }
            ExprKind::Hash { entries, .. } => {
                for en in entries {
                    match en {
                        HashEntry::Pair(k, v) => {
                            self.expr(k, cx, bs);
                            self.expr(v, cx, bs);
                        }
                        HashEntry::Splat(v) => self.expr(v, cx, bs),
                    }
                }
            }
            ExprKind::Range { lo, hi, .. } => match (lo, hi) {
                (Some(a), Some(b)) => {
                    self.expr(a, cx, bs);
                    self.expr(b, cx, bs);
                }
                _ => bs.push(self.block("endless range", off)),
            },
            ExprKind::Var(n) => {
                if let Some(p) = self.poisoned.get(n.as_str()) {
                    bs.extend(p.iter().cloned());
                }
            }
            ExprKind::Const {
                scope: None, name, ..
            } => {
                if let Some(p) = self.poisoned.get(name) {
                    bs.extend(p.iter().cloned());
                } else if !self.consts.contains(name) && !KNOWN_CLASSES.contains(&name.as_str()) {
                    bs.push(self.block(format!("constant `{name}`"), off));
                }
            }
            ExprKind::Const { .. } => {
                if !scoped_name(e).is_some_and(|n| SCOPED_CLASSES.contains(&n.as_str())) {
                    bs.push(self.block("scoped constant", off));
                }
            }
            ExprKind::Call {
                recv,
                name,
                args,
                block,
                ..
            } => self.call(e, recv.as_deref(), name, args, block.as_deref(), cx, bs),
            ExprKind::Index { recv, args } => {
                self.expr(recv, cx, bs);
                self.args(args, cx, bs);
                if let Ty::Resource(r) = self.ty(recv) {
                    let key = args.first().and_then(|a| a.as_str_or_sym());
                    if !self.cat.answers(&r, "[]") && !key.is_some_and(|k| self.cat.answers(&r, &k))
                    {
                        bs.push(self.block(format!("`{r}` property `[]`"), off));
                    }
                }
            }
            ExprKind::Unary { expr, .. } => self.expr(expr, cx, bs),
            ExprKind::Binary {
                op: BinOp::Match | BinOp::NotMatch,
                lhs,
                rhs,
            } => {
                self.pattern_arg(lhs, cx, bs);
                self.pattern_arg(rhs, cx, bs);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs, cx, bs);
                self.expr(rhs, cx, bs);
            }
            ExprKind::Assign { target, value } | ExprKind::OpAssign { target, value, .. } => {
                self.target(target, cx, bs);
                self.expr(value, cx, bs);
                if let ExprKind::Var(n) = &target.kind {
                    let t = self.ty(value);
                    self.var_types.insert(n.to_string(), t);
                }
            }
            ExprKind::MultiAssign { targets, value } => {
                for t in targets {
                    match &t.kind {
                        ExprKind::Splat(x) => self.target(x, cx, bs),
                        _ => self.target(t, cx, bs),
                    }
                }
                self.expr(value, cx, bs);
            }
            ExprKind::If {
                cond,
                then_body,
                else_body,
            } => {
                self.expr(cond, cx, bs);
                self.body(then_body, cx, bs);
                self.body(else_body, cx, bs);
            }
            ExprKind::While { cond, body, .. } => {
                self.expr(cond, cx, bs);
                self.body(body, cx, bs);
            }
            ExprKind::For { var, iter, body } => {
                self.target(var, cx, bs);
                self.expr(iter, cx, bs);
                self.body(body, cx, bs);
            }
            ExprKind::Case {
                subject,
                whens,
                else_body,
            } => {
                if let Some(s) = subject {
                    self.expr(s, cx, bs);
                }
                for w in whens {
                    for p in &w.patterns {
                        match &p.kind {
                            ExprKind::Splat(x) => self.expr(x, cx, bs),
                            _ => self.expr(p, cx, bs),
                        }
                    }
                    self.body(&w.body, cx, bs);
                }
                if let Some(b) = else_body {
                    self.body(b, cx, bs);
                }
            }
            ExprKind::Begin(b) => {
                let BeginExpr {
                    body,
                    rescues,
                    else_body,
                    ensure,
                } = &**b;
                self.body(body, cx, bs);
                for r in rescues {
                    if let Some(v) = &r.var {
                        self.target(v, cx, bs);
                    }
                    self.body(&r.body, cx, bs);
                }
                if let Some(b) = else_body {
                    self.body(b, cx, bs);
                }
                if let Some(b) = ensure {
                    self.body(b, cx, bs);
                }
            }
            ExprKind::Paren(body) => self.body(body, cx, bs),
            ExprKind::Def(d) if d.singleton.is_none() => {}
            ExprKind::Return(x) | ExprKind::Break(x) | ExprKind::Next(x) => {
                if let Some(x) = x {
                    self.expr(x, cx, bs);
                }
            }
            ExprKind::Super { args, .. } if cx.class.is_some() => {
                if let Some(a) = args {
                    self.args(a, cx, bs);
                }
            }
            ExprKind::GVar(n) if crate::native::ruby::classes::is_match_global(n) => {}
            other => bs.push(self.block(construct_name(other), off)),
        }
    }

    /// A regexp used only for matching (`=~`, `match?`, the `match` and `cmp` matchers):
    /// compiled as the evaluator compiles it.
    fn pattern_arg(&mut self, e: &Expr, cx: &Cx, bs: &mut Vec<Blocker>) {
        match &e.kind {
            ExprKind::Regex { parts, flags } => match crate::profile::ast::plain(parts) {
                Some(src) => {
                    if let Err(construct) = crate::native::ruby::rx::check_for_match(&src, flags) {
                        bs.push(self.block(construct, e.span.start));
                    }
                }
                None => self.parts(parts, cx, bs),
            },
            _ => self.expr(e, cx, bs),
        }
    }

    fn target(&mut self, t: &Expr, cx: &Cx, bs: &mut Vec<Blocker>) {
        match &t.kind {
            ExprKind::Var(_) | ExprKind::Const { scope: None, .. } => {}
            ExprKind::IVar(_) if cx.class.is_some() => {}
            ExprKind::IVar(_) => {
                bs.push(self.block("instance variable outside a resource", t.span.start))
            }
            ExprKind::Call {
                recv: None, args, ..
            } if args.is_empty() => {}
            ExprKind::Index { recv, args } => {
                self.expr(recv, cx, bs);
                self.args(args, cx, bs);
            }
            _ => bs.push(self.block("assignment to this kind of target", t.span.start)),
        }
    }

    fn args(&mut self, args: &[Expr], cx: &Cx, bs: &mut Vec<Blocker>) {
        for a in args {
            match &a.kind {
                ExprKind::BlockPass(inner) => {
                    if !matches!(inner.kind, ExprKind::Sym(_)) {
                        bs.push(self.block("block argument `&block`", a.span.start));
                    }
                }
                ExprKind::Splat(x) => self.expr(x, cx, bs),
                _ => self.expr(a, cx, bs),
            }
        }
    }

    fn blk(&mut self, b: Option<&Block>, cx: &Cx, bs: &mut Vec<Blocker>) {
        if let Some(b) = b {
            for p in &b.params {
                if let Param::Optional(_, d) | Param::Key(_, Some(d)) = p {
                    self.expr(d, cx, bs);
                }
            }
            self.body(&b.body, cx, bs);
        }
    }

    /// The static type of an expression's value.
    fn ty(&self, e: &Expr) -> Ty {
        match &e.kind {
            ExprKind::Var(n) => self
                .var_types
                .get(n.as_str())
                .cloned()
                .unwrap_or(Ty::Unknown),
            ExprKind::Paren(b) if b.len() == 1 => b.first().map_or(Ty::Unknown, |x| self.ty(x)),
            ExprKind::Call { recv, name, .. } => {
                let via_inspec = recv
                    .as_deref()
                    .is_some_and(|r| r.bare_call_name() == Some("inspec"));
                if recv.is_none() || via_inspec {
                    if self.classes.contains_key(name.as_str()) {
                        return Ty::Custom(name.to_string());
                    }
                    if recv.is_none() && is_matcher(name) {
                        return Ty::Matcher(name.to_string());
                    }
                    if recv.is_none() && name == "expect" {
                        return Ty::Expect;
                    }
                    if self.cat.has(name) && !self.defs.contains_key(name.as_str()) {
                        return Ty::Resource(name.to_string());
                    }
                }
                if let Some(r) = recv {
                    if let Ty::Matcher(_) = self.ty(r) {
                        if CHAINS.contains(&name.as_str()) {
                            return Ty::Matcher(name.to_string());
                        }
                    }
                }
                Ty::Unknown
            }
            _ => Ty::Unknown,
        }
    }

    fn class_blockers(&mut self, name: &str) -> Vec<Blocker> {
        if let Some(b) = self.class_cache.get(name) {
            return b.clone();
        }
        let Some(class) = self.classes.get(name).cloned() else {
            return Vec::new();
        };
        if !self.in_progress.insert(format!("class {name}")) {
            return Vec::new();
        }
        let mut bs = Vec::new();
        if let Some((construct, at)) = &class.blocked {
            bs.push(Blocker {
                construct: format!("{construct} (resource `{}`)", class.name),
                at: at.clone(),
            });
        }
        let saved_file = std::mem::take(&mut self.file);
        let saved_types = std::mem::take(&mut self.var_types);
        let cx = Cx {
            class: Some(class.clone()),
            ..Cx::default()
        };
        let mut methods: Vec<_> = class.methods.values().cloned().collect();
        methods.sort_by(|a, b| a.name.cmp(&b.name));
        for m in methods {
            self.file = m.file.clone();
            for p in &m.params {
                if let Param::Optional(_, d) | Param::Key(_, Some(d)) = p {
                    self.expr(d, &cx, &mut bs);
                }
            }
            self.body(&m.body, &cx, &mut bs);
        }
        self.file = saved_file;
        self.var_types = saved_types;
        self.in_progress.remove(&format!("class {name}"));
        self.class_cache.insert(name.to_string(), bs.clone());
        bs
    }

    fn def_blockers(&mut self, name: &str) -> Vec<Blocker> {
        if let Some(b) = self.def_cache.get(name) {
            return b.clone();
        }
        let Some(body) = self.defs.get(name).cloned() else {
            return Vec::new();
        };
        if !self.in_progress.insert(format!("def {name}")) {
            return Vec::new();
        }
        let mut bs = Vec::new();
        let saved = std::mem::take(&mut self.var_types);
        let saved_poison = std::mem::take(&mut self.poisoned);
        self.body(&body, &Cx::default(), &mut bs);
        self.var_types = saved;
        self.poisoned = saved_poison;
        self.in_progress.remove(&format!("def {name}"));
        self.def_cache.insert(name.to_string(), bs.clone());
        bs
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        e: &Expr,
        recv: Option<&Expr>,
        name: &str,
        args: &[Expr],
        block: Option<&Block>,
        cx: &Cx,
        bs: &mut Vec<Blocker>,
    ) {
        let off = e.span.start;
        let Some(r) = recv else {
            return self.bare(name, args, block, cx, bs, off);
        };
        if name == "one" && r.bare_call_name() == Some("describe") {
            if !cx.in_control {
                bs.push(self.block("`describe.one` outside a control", off));
            }
            if block.is_none() {
                bs.push(self.block("`describe.one` without a block", off));
            }
            self.blk(block, cx, bs);
            return;
        }
        self.expr(r, cx, bs);
        if name == "match?" {
            for a in args {
                self.pattern_arg(a, cx, bs);
            }
        } else {
            self.args(args, cx, bs);
        }
        if let Some(class) = class_name(r) {
            if !has_class_method(&class, name) && !matches!(name, "name" | "to_s" | "==" | "===") {
                bs.push(self.block(format!("`{class}.{name}`"), off));
            }
            self.blk(block, cx, bs);
            return;
        }
        let rt = self.ty(r);
        let ok = match &rt {
            Ty::Resource(res) => {
                let ok = self.cat.resource_answers(res, name)
                    || matches!(name, "to_s" | "inspect" | "nil?" | "class");
                if !ok {
                    bs.push(self.block(format!("`{res}` property `{name}`"), off));
                }
                if block.is_some() && !TABLE_METHODS.contains(&name) {
                    bs.push(self.block(format!("`{res}` property `{name}` with a block"), off));
                }
                true
            }
            Ty::Custom(c) => {
                let extra = self.class_blockers(c);
                bs.extend(extra);
                true
            }
            Ty::Matcher(_) => {
                if !CHAINS.contains(&name) {
                    bs.push(self.block(format!("matcher chain `.{name}`"), off));
                }
                true
            }
            Ty::Expect => {
                if !matches!(name, "to" | "not_to" | "to_not") {
                    bs.push(self.block(format!("`expect(...).{name}`"), off));
                } else if let Some(m) = args.first() {
                    self.expectation(m, cx, bs);
                }
                true
            }
            Ty::Unknown => {
                is_builtin(name)
                    || TABLE_METHODS.contains(&name)
                    || is_object_method(name)
                    || CHAINS.contains(&name)
                    || matches!(name, "to" | "not_to" | "to_not" | "message" | "name")
                    || self.cat.any_answers(name)
                    || self.classes.values().any(|c| {
                        c.methods.contains_key(name) || c.attr_readers.iter().any(|a| a == name)
                    })
                    || (r.bare_call_name() == Some("inspec")
                        && (self.cat.has(name) || self.classes.contains_key(name)))
            }
        };
        if !ok {
            let via_inspec = r.bare_call_name() == Some("inspec");
            let what = if via_inspec {
                "method or resource"
            } else {
                "method"
            };
            bs.push(self.block(format!("{what} `{name}`"), off));
        }
        let block_pass = args
            .iter()
            .any(|a| matches!(a.kind, ExprKind::BlockPass(_)));
        if block.is_none() && !block_pass && NEEDS_BLOCK.contains(&name) && rt == Ty::Unknown {
            bs.push(self.block(format!("`{name}` without a block (Enumerator)"), off));
        }
        let inner = Cx {
            in_where: cx.in_where || name == "where",
            ..cx.clone()
        };
        self.blk(block, &inner, bs);
    }

    /// A matcher used in `should` / `.to`, checked against the example's subject.
    fn expectation(&mut self, m: &Expr, cx: &Cx, bs: &mut Vec<Blocker>) {
        let Some(mname) = matcher_name(m) else { return };
        let Some(pred) = predicate_of(&mname) else {
            return;
        };
        if cx.its {
            return;
        }
        match &cx.subject {
            Some(Ty::Resource(r)) if !self.cat.resource_answers(r, &pred) => {
                bs.push(self.block(format!("`{r}` property `{pred}`"), m.span.start));
            }
            _ => {}
        }
    }

    fn bare(
        &mut self,
        name: &str,
        args: &[Expr],
        block: Option<&Block>,
        cx: &Cx,
        bs: &mut Vec<Blocker>,
        off: u32,
    ) {
        if args.is_empty() && block.is_none() && cx.in_where {
            return;
        }
        if DSL_FUNCTIONS.contains(&name) {
            return self.dsl(name, args, block, cx, bs, off);
        }
        if matches!(name, "match" | "cmp") {
            for a in args {
                self.pattern_arg(a, cx, bs);
            }
        } else {
            self.args(args, cx, bs);
        }
        if is_matcher(name) && !self.defs.contains_key(name) {
            if block.is_some() && name != "satisfy" {
                bs.push(self.block(format!("matcher `{name}` with a block"), off));
            }
            self.blk(block, cx, bs);
            return;
        }
        if let Some(class) = &cx.class {
            if class.methods.contains_key(name)
                || class.attr_readers.iter().any(|a| a == name)
                || name == "to_s"
            {
                self.blk(block, cx, bs);
                return;
            }
        }
        if self.defs.contains_key(name) {
            let extra = self.def_blockers(name);
            bs.extend(extra);
        } else if name == "inspec" {
        } else if self.classes.contains_key(name) {
            let extra = self.class_blockers(name);
            bs.extend(extra);
        } else if self.cat.has(name) {
            if block.is_some() {
                bs.push(self.block(format!("resource `{name}` with a block"), off));
            }
        } else if !KERNEL_FUNCTIONS.contains(&name) {
            bs.push(self.block(format!("method or resource `{name}`"), off));
        }
        self.blk(block, cx, bs);
    }

    #[allow(clippy::too_many_arguments)]
    fn dsl(
        &mut self,
        name: &str,
        args: &[Expr],
        block: Option<&Block>,
        cx: &Cx,
        bs: &mut Vec<Blocker>,
        off: u32,
    ) {
        match name {
            "tag" | "ref" | "tags" | "refs" => {}
            "control" | "rule" => bs.push(self.block("`control` inside a control", off)),
            "describe" | "context" => {
                if cx.in_example {
                    bs.push(self.block("`describe` inside an example", off));
                }
                if block.is_none() {
                    bs.push(self.block("`describe` without a block", off));
                }
                self.args(args, cx, bs);
                let subject = args.first().map(|a| self.ty(a));
                if let Some(Ty::Custom(c)) = &subject {
                    let extra = self.class_blockers(c);
                    bs.extend(extra);
                }
                let inner = Cx {
                    in_describe: true,
                    subject,
                    its: false,
                    ..cx.clone()
                };
                self.blk(block, &inner, bs);
            }
            "it" | "specify" | "example" => {
                if cx.in_example {
                    bs.push(self.block("an example inside an example", off));
                }
                self.args(args, cx, bs);
                let inner = Cx {
                    in_example: true,
                    its: false,
                    ..cx.clone()
                };
                self.blk(block, &inner, bs);
            }
            "its" => {
                if cx.in_example {
                    bs.push(self.block("an example inside an example", off));
                }
                self.args(args, cx, bs);
                if let (Some(Ty::Resource(r)), Some(a)) = (&cx.subject, args.first()) {
                    match &a.kind {
                        ExprKind::Str(_) | ExprKind::Sym(_) => {
                            if let Some(path) = a.as_str_or_sym() {
                                let first = path.split('.').next().unwrap_or("");
                                if !self.cat.resource_answers(r, first) {
                                    bs.push(self.block(format!("`{r}` property `{first}`"), off));
                                }
                            }
                        }
                        ExprKind::Array(_)
                            if !self.cat.answers(r, "[]") && !self.cat.answers(r, "params") =>
                        {
                            bs.push(self.block(format!("`{r}` property `params`"), off));
                        }
                        _ => {}
                    }
                }
                let inner = Cx {
                    in_example: true,
                    its: true,
                    ..cx.clone()
                };
                self.blk(block, &inner, bs);
            }
            "should" | "should_not" => {
                if cx.in_describe && !cx.in_example {
                    bs.push(self.block("`should` outside an example", off));
                }
                self.args(args, cx, bs);
                if let Some(m) = args.first() {
                    self.expectation(m, cx, bs);
                }
            }
            "is_expected" | "subject" => {
                if !cx.in_example && (name != "subject" || !cx.in_describe) {
                    bs.push(self.block(format!("`{name}` outside an example"), off));
                }
            }
            "expect" => {
                if block.is_some() {
                    bs.push(self.block("`expect { }` with a block", off));
                }
                self.args(args, cx, bs);
            }
            "input" | "attribute" => {
                self.args(args, cx, bs);
                if !args.first().is_some_and(|a| {
                    matches!(
                        a.kind,
                        ExprKind::Str(_) | ExprKind::Sym(_) | ExprKind::DSym(_)
                    )
                }) {
                    bs.push(self.block("`input` without a literal name", off));
                }
            }
            "skip" => {
                if !cx.in_control || cx.in_example {
                    bs.push(self.block(format!("method or resource `{name}`"), off));
                }
                self.args(args, cx, bs);
            }
            "title" | "desc" | "impact" => {
                if cx.in_control {
                    self.args(args, cx, bs);
                }
            }
            _ => {
                self.args(args, cx, bs);
                self.blk(block, cx, bs);
            }
        }
    }
}

/// The class a constant receiver names (`Regexp`, `Gem::Version`), if it is a class.
fn class_name(e: &Expr) -> Option<String> {
    let n = scoped_name(e)?;
    (KNOWN_CLASSES.contains(&n.as_str()) || SCOPED_CLASSES.contains(&n.as_str())).then_some(n)
}

fn matcher_name(m: &Expr) -> Option<String> {
    match &m.kind {
        ExprKind::Call {
            recv: None, name, ..
        } if is_matcher(name) => Some(name.to_string()),
        ExprKind::Call { recv: Some(r), .. } => matcher_name(r),
        ExprKind::Binary { lhs, .. } => matcher_name(lhs),
        _ => None,
    }
}

fn is_control_call(e: &Expr) -> bool {
    matches!(e.bare_call_name(), Some("control" | "rule"))
}

fn contains_control(e: &Expr) -> bool {
    let mut found = false;
    visit(e, &mut |x| found |= is_control_call(x));
    found
}

/// The outermost control calls inside `e`.
fn collect_controls<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if is_control_call(e) {
        out.push(e);
        return;
    }
    let mut kids: Vec<&'e Expr> = Vec::new();
    match &e.kind {
        ExprKind::Call {
            recv, args, block, ..
        } => {
            kids.extend(recv.as_deref());
            kids.extend(args.iter());
            if let Some(b) = block {
                kids.extend(b.body.iter());
            }
        }
        ExprKind::If {
            then_body,
            else_body,
            ..
        } => kids.extend(then_body.iter().chain(else_body)),
        ExprKind::While { body, .. } | ExprKind::For { body, .. } | ExprKind::Paren(body) => {
            kids.extend(body.iter())
        }
        ExprKind::Case {
            whens, else_body, ..
        } => {
            for w in whens {
                kids.extend(w.body.iter());
            }
            kids.extend(else_body.iter().flatten());
        }
        ExprKind::Begin(b) => {
            let BeginExpr {
                body,
                rescues,
                else_body,
                ensure,
            } = &**b;
            kids.extend(body.iter());
            for r in rescues {
                kids.extend(r.body.iter());
            }
            kids.extend(else_body.iter().flatten());
            kids.extend(ensure.iter().flatten());
        }
        _ => {}
    }
    for k in kids {
        collect_controls(k, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> Catalogue {
        Catalogue::new([
            (
                "file",
                vec!["exist?", "mode", "owner", "readable?", "content"],
            ),
            ("sshd_config", vec!["*"]),
            ("os", vec!["family", "debian?"]),
        ])
    }

    fn cov(code: &str) -> Coverage {
        let profile =
            crate::profile::from_source(code, "controls/t.rb").unwrap_or_else(|e| panic!("{e}"));
        coverage_with(&profile, &cat())
    }

    #[test]
    fn supported_controls_have_no_blockers() {
        let c = cov("x = os.debian? ? 'a' : 'b'\ncontrol 'a' do\n  describe file('/etc/passwd') do\n    it { should exist }\n    its('mode') { should cmp '0644' }\n    it { should_not be_readable.by('others') }\n  end\n  describe sshd_config do\n    its('AnyKey') { should eq x }\n  end\nend\n");
        assert_eq!((c.total, c.supported), (1, 1), "{:#?}", c.controls);
        assert_eq!(c.percent, 100.0);
    }

    #[test]
    fn blockers_name_construct_and_place_and_aggregate() {
        let c = cov("control 'a' do\n  describe file('/x') do\n    its('sha256sum') { should eq 'x' }\n    it { should be_symlink }\n  end\nend\ncontrol 'b' do\n  describe nginx do\n    it { should be_running }\n  end\nend\ncontrol 'c' do\n  x = `id`\n  describe nginx do\n  end\nend\n");
        assert_eq!((c.total, c.supported), (3, 0));
        let a = &c.controls[0];
        assert_eq!(
            a.blockers[0],
            Blocker {
                construct: "`file` property `sha256sum`".into(),
                at: "controls/t.rb:3".into()
            }
        );
        assert_eq!(a.blockers[1].construct, "`file` property `symlink?`");
        assert_eq!(c.blockers[0].construct, "method or resource `nginx`");
        assert_eq!(c.blockers[0].controls, 2);
        assert_eq!(c.blockers[0].example, "controls/t.rb:8");
        assert!(c.controls[2]
            .blockers
            .iter()
            .any(|b| b.construct == "backtick command"));
    }

    #[test]
    fn file_level_values_loops_and_only_if() {
        let c = cov("v = `uname`\n%w(a b).each do |n|\n  control \"loop-#{n}\" do\n    describe file(n) do\n      it { should exist }\n    end\n  end\nend\ncontrol 'uses' do\n  describe v do\n    it { should eq 'x' }\n  end\nend\n");
        // One entry per control definition (a loop's controls share theirs).
        assert_eq!(c.controls.len(), 2);
        assert!(c.controls[0].supported, "{:#?}", c.controls);
        assert!(!c.controls[1].supported);
        assert_eq!(c.controls[1].blockers[0].at, "controls/t.rb:1");
        let c = cov("only_if { virtualization.role == 'host' }\ncontrol 'a' do\n  describe file('/x') do\n    it { should exist }\n  end\nend\n");
        assert!(!c.controls[0].supported);
        assert_eq!(
            c.controls[0].blockers[0].construct,
            "method or resource `virtualization`"
        );
    }

    #[test]
    fn builtins_matchers_regexps_and_libraries() {
        let c = cov("control 'a' do\n  l = file('/x').content.lines.map(&:strip).reject(&:empty?)\n  describe l do\n    it { should all(match(/^a/)) }\n    its('size') { should be > 1 }\n  end\n  describe 'a' do\n    it { should match /a\\X/ }\n  end\n  describe 'b' do\n    it { should match /(?=.*x)(?=.*y)/ }\n  end\nend\n");
        assert_eq!(c.controls[0].blockers.len(), 1, "{:#?}", c.controls);
        assert!(c.controls[0].blockers[0]
            .construct
            .starts_with("regexp /a\\X/"));
    }
}
