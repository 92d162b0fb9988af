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
use crate::native::inspec::overlay::OVERLAY_FUNCTIONS;
use crate::native::inspec::resource_classes::resource_class;
use crate::native::inspec::table::TABLE_METHODS;
use crate::native::resources;
use crate::native::ruby::classes::{
    class_alias, class_constant, has_class_method, is_object_method, is_scoped_class,
    SCOPED_CLASSES,
};
use crate::native::ruby::library::{enumerable_answers, MATCHER_DSL};
use crate::native::ruby::library::{
    prelude, FILTER_BUILDER_METHODS, INSTANCE_BASE_METHODS, LIBRARY_CLASS_METHODS, PRELUDE_FILE,
    RESOURCES_NAMESPACE,
};
use crate::native::ruby::methods::{is_builtin, KERNEL_FUNCTIONS, NEEDS_BLOCK};
use crate::native::ruby::objects::{
    load_library, matcher_class, matcher_definition, ClassDef, CLASS_BODY_FUNCTIONS,
    CLASS_METADATA, CORE_BASES, KNOWN_CLASSES,
};
use crate::native::ruby::syntax::{construct_name, scoped_name};
use crate::profile::ast::{BeginExpr, BinOp, Block, Expr, ExprKind, Param};
use crate::profile::model::Lines;
use crate::profile::visit::{
    any_expr, each_expr_in, for_each_branch, walk_block, walk_expr, walk_parts, Visitor,
};
use crate::profile::Profile;

/// The native resources and what each answers (`*`: any property, for resources whose
/// properties are the keys of a configuration file).
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    resources: BTreeMap<String, HashSet<String>>,
}

impl Catalogue {
    /// The native registry ([`resources::names`] and [`resources::methods`]), and InSpec's
    /// Windows-only resources: on the evaluator's (unix) targets they raise InSpec's
    /// "Unsupported resource/backend combination" when created, so nothing after is read.
    pub fn native() -> Self {
        Catalogue::new(
            resources::names()
                .iter()
                .map(|n| (*n, resources::methods(n).unwrap_or(&[]).to_vec()))
                .chain(
                    crate::native::inspec::supports::windows_only()
                        .filter(|n| resources::methods(n).is_none())
                        .map(|n| (n, vec!["*"])),
                ),
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
            // Sent by `its`, a name no `def` makes is NoMethodError (evaluated).
            || !crate::native::ruby::is_method_name(method)
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
    class: Option<Arc<ClassDef>>,
    /// Inside a method (`yield`, `block_given?` and `&block` have its block).
    in_def: bool,
    /// The subject of the innermost describe and the example's `its` (if any).
    subject: Option<Ty>,
    its: bool,
    /// Names of the `let`s (and named subjects) of the enclosing describes.
    lets: Vec<String>,
}

struct Analyzer<'a> {
    profile: &'a Profile,
    cat: &'a Catalogue,
    lines: HashMap<String, Lines>,
    file: String,
    /// Custom resources by resource name.
    classes: HashMap<String, Arc<ClassDef>>,
    /// Names a library `method_missing` answers: the symbols and strings its
    /// `respond_to_missing?` / `method_missing` name (`%i{major minor}`).
    missing_names: HashSet<String>,
    /// Attributes the profile writes on some object (`m.Defaults ||= …`, `s.name = …`): in
    /// Ruby a writer goes with its reader (Hashie::Mash keys, Struct, OpenStruct,
    /// `attr_accessor`), so the name is answered where the receiver's type is unknown.
    written_attributes: HashSet<String>,
    /// Instance variables holding the `inspec` handle (`@inspec = inspec`): calls on them
    /// are calls on `inspec`.
    inspec_ivars: HashSet<String>,
    /// The libraries' custom matchers (`RSpec::Matchers.define`) by name, and their chains.
    custom_matchers: HashMap<String, Arc<ClassDef>>,
    matcher_chains: HashSet<String>,
    /// Every class and module of `libraries/`, by full name.
    lib_classes: HashMap<String, Arc<ClassDef>>,
    /// Methods of the class being walked that its walked methods call without receiver.
    self_calls: Vec<String>,
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
            lib_classes: HashMap::new(),
            missing_names: HashSet::new(),
            written_attributes: HashSet::new(),
            inspec_ivars: HashSet::new(),
            custom_matchers: HashMap::new(),
            matcher_chains: HashSet::new(),
            self_calls: Vec::new(),
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
        for c in load_library(PRELUDE_FILE, prelude(), &|_| format!("{PRELUDE_FILE}:0")) {
            self.lib_classes.insert(c.name.clone(), Arc::new(c));
        }
        // The dependencies' resources, then the profile's own (as the evaluator loads them),
        // and the modules they include into `::Inspec::Rule`.
        let deps = self.profile.dependency_libraries();
        let mut mixed = Vec::new();
        for f in deps.into_iter().chain(self.profile.files.iter()) {
            if f.path.starts_with("libraries/") {
                self.file = f.path.clone();
                let this = &*self;
                let matchers: Vec<(String, ClassDef)> = f
                    .program
                    .body
                    .iter()
                    .filter_map(matcher_definition)
                    .map(|(name, block)| {
                        (
                            name.clone(),
                            matcher_class(&name, block, &f.path, &|o| this.at(o)),
                        )
                    })
                    .collect();
                for (name, class) in matchers {
                    for st in &class.statements {
                        if let ExprKind::Call {
                            recv: None,
                            name: dsl,
                            args,
                            ..
                        } = &st.kind
                        {
                            if dsl == "chain" {
                                self.matcher_chains
                                    .extend(args.first().and_then(|a| a.as_str_or_sym()));
                            }
                        }
                    }
                    let class = Arc::new(class);
                    self.lib_classes.insert(class.name.clone(), class.clone());
                    self.custom_matchers.insert(name, class);
                }
                let this = &*self;
                for c in load_library(&f.path, &f.program.body, &|o| this.at(o)) {
                    let c = Arc::new(c);
                    if let (Some(r), true) = (&c.resource, c.is_resource) {
                        self.classes.insert(r.clone(), c.clone());
                    }
                    self.lib_classes.insert(c.name.clone(), c);
                }
                // File-level helpers and constants of libraries are visible everywhere.
                for stmt in &f.program.body {
                    mixed.extend(crate::native::ruby::library::rule_mixins(stmt));
                    match &stmt.kind {
                        ExprKind::Def(d) if d.singleton.is_none() => {
                            self.defs.insert(d.name.clone(), d.body.clone());
                        }
                        ExprKind::Assign { target, .. } => {
                            if let ExprKind::Const { name, .. } = &target.kind {
                                self.consts.insert(name.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        // Modules included into `::Inspec::Rule` (or its reopened body): their methods answer
        // bare calls in every control, as the evaluator's `mix_into_controls`.
        for m in mixed {
            let Some(class) = self.lib_classes.get(&m).cloned() else {
                continue;
            };
            let included = class
                .includes
                .iter()
                .filter_map(|i| self.lib_classes.get(i));
            for c in std::iter::once(&class).chain(included) {
                for (name, def) in &c.methods {
                    self.defs.insert(name.clone(), def.body.clone());
                }
            }
        }
        let profile = self.profile;
        for f in profile
            .dependency_libraries()
            .into_iter()
            .chain(profile.files.iter())
        {
            each_expr_in(&f.program.body, |e| {
                if let ExprKind::Assign { target, value } = &e.kind {
                    if let ExprKind::IVar(v) = &target.kind {
                        if names_inspec(value) {
                            self.inspec_ivars.insert(v.to_string());
                        }
                    }
                }
                if let ExprKind::Assign { target, .. } | ExprKind::OpAssign { target, .. } = &e.kind
                {
                    if let ExprKind::Call {
                        recv: Some(_),
                        name,
                        args,
                        ..
                    } = &target.kind
                    {
                        if args.is_empty() {
                            self.written_attributes.insert(name.to_string());
                        }
                    }
                }
            });
        }
        for c in self.lib_classes.values() {
            for (name, m) in &c.methods {
                if name == "method_missing" || name == "respond_to_missing?" {
                    each_expr_in(&m.body, |e| {
                        if let Some(n) = e.as_str_or_sym() {
                            self.missing_names.insert(n);
                        }
                    });
                }
            }
        }
        // A class deriving from a built-in resource class is a resource (`name 'os'`
        // replaces the built-in one), and so is one deriving from a library resource of
        // another file (`class KubeAPIServer < KubeProcessBaseResource`).
        let derived: Vec<Arc<ClassDef>> = self
            .lib_classes
            .values()
            .filter(|c| !c.is_resource && c.resource.is_some())
            .filter(|c| {
                self.external_base(c)
                    .and_then(|b| resource_class(&b))
                    .is_some()
                    || self.lib_ancestors(c).iter().any(|a| a.is_resource)
            })
            .cloned()
            .collect();
        for c in derived {
            if let Some(r) = &c.resource {
                self.classes.insert(r.clone(), c.clone());
            }
        }
        let class_consts: Vec<String> = self
            .lib_classes
            .values()
            .flat_map(|c| c.statements.iter())
            .filter_map(|s| match &s.kind {
                ExprKind::Assign { target, .. } => match &target.kind {
                    ExprKind::Const { name, .. } => Some(name.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        self.consts.extend(class_consts);
        // Helpers and constants are visible to every control file.
        for f in &self.profile.files {
            if f.path.starts_with("libraries/") {
                continue;
            }
            each_expr_in(&f.program.body, |e| match &e.kind {
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
            } if OVERLAY_FUNCTIONS.contains(&name.as_str()) => {
                self.include(e, name, args, block.as_deref(), inherited, file_blockers);
            }
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
                self.control_block(block.as_deref(), &mut bs);
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
                    .unwrap_or_else(|| {
                        format!(
                            "(generated from {}:{line})",
                            crate::profile::model::generated_location_file(&self.file)
                        )
                    });
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

    /// The syntax tree's own descent ([`Visitor`]) with every expression checked in `cx`.
    fn scan<'s>(&'s mut self, cx: &'s Cx, bs: &'s mut Vec<Blocker>) -> Scan<'s, 'a> {
        Scan { an: self, cx, bs }
    }

    fn body(&mut self, body: &[Expr], cx: &Cx, bs: &mut Vec<Blocker>) {
        self.scan(cx, bs).body(body)
    }

    fn expr(&mut self, e: &Expr, cx: &Cx, bs: &mut Vec<Blocker>) {
        let off = e.span.start;
        match &e.kind {
            // A regexp operand of `=~` may use what only matching supports.
            ExprKind::Binary {
                op: BinOp::Match | BinOp::NotMatch,
                lhs,
                rhs,
            } => {
                self.pattern_arg(lhs, cx, bs);
                self.pattern_arg(rhs, cx, bs);
            }
            // Supported as they are: their children are checked.
            ExprKind::Nil
            | ExprKind::True
            | ExprKind::False
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Sym(_)
            | ExprKind::File
            | ExprKind::Line(_)
            | ExprKind::IVar(_)
            | ExprKind::Str(_)
            | ExprKind::DSym(_)
            | ExprKind::Hash { .. }
            | ExprKind::Unary { .. }
            | ExprKind::Binary { .. }
            | ExprKind::While { .. }
            | ExprKind::Paren(_)
            | ExprKind::Return(_)
            | ExprKind::Break(_)
            | ExprKind::Next(_) => walk_expr(&mut self.scan(cx, bs), e),
            ExprKind::Regex { parts, flags } => {
                if let Some(src) = crate::profile::ast::plain(parts) {
                    if let Err(construct) = crate::native::ruby::rx::compile(&src, flags) {
                        bs.push(self.block(construct, off));
                    }
                } else {
                    walk_parts(&mut self.scan(cx, bs), parts);
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
                } else if !self.const_known(name) && !self.const_uninitialized(name) {
                    bs.push(self.block(format!("constant `{name}`"), off));
                }
            }
            ExprKind::Const { .. } => {
                let known = scoped_name(e).is_some_and(|n| {
                    is_scoped_class(&n)
                        || class_constant(&n).is_some()
                        || resource_class(&n).is_some()
                        || n == RESOURCES_NAMESPACE
                        || self.lib_class(&n).is_some()
                        || n.rsplit("::")
                            .next()
                            .is_some_and(|last| self.consts.contains(last))
                });
                // `Foo::Bar` of an uninitialized `Foo` is NameError.
                let unknown_scope = scoped_name(e).is_some_and(|n| {
                    let first = n.split("::").next().unwrap_or_default();
                    !n.starts_with("::")
                        && !self.const_known(first)
                        && !is_scoped_class(first)
                        && self.const_uninitialized(first)
                });
                if !known && !unknown_scope {
                    let n = scoped_name(e).unwrap_or_default();
                    bs.push(self.block(format!("constant `{n}`"), off));
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
                // A Windows-only branch runs on no natively evaluated host (unless the
                // profile is for Windows alone): see `windows_branch_reachable`.
                if !is_windows_check(cond) || windows_branch_reachable(self.profile) {
                    self.body(then_body, cx, bs);
                }
                self.body(else_body, cx, bs);
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
                let on_platform = subject.as_deref().is_some_and(is_platform_name);
                for w in whens {
                    for p in &w.patterns {
                        match &p.kind {
                            ExprKind::Splat(x) => self.expr(x, cx, bs),
                            _ => self.expr(p, cx, bs),
                        }
                    }
                    // `case @platform.name when 'windows'`: a Windows-only branch, as above.
                    let windows_only = on_platform
                        && !w.patterns.is_empty()
                        && w.patterns
                            .iter()
                            .all(|p| p.as_str_or_sym().as_deref() == Some("windows"));
                    if !windows_only || windows_branch_reachable(self.profile) {
                        self.body(&w.body, cx, bs);
                    }
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
            ExprKind::Def(d) if d.singleton.is_none() => {}
            ExprKind::Super { args, .. } if cx.class.is_some() => {
                if let Some(a) = args {
                    self.args(a, cx, bs);
                }
            }
            ExprKind::SelfRef if cx.class.is_some() => {}
            ExprKind::Lambda(b) => self.blk(Some(b), cx, bs),
            ExprKind::Yield(args) if cx.in_def => self.args(args, cx, bs),
            ExprKind::Defined(inner)
                if matches!(
                    inner.kind,
                    ExprKind::IVar(_) | ExprKind::Var(_) | ExprKind::Const { .. }
                ) => {}
            ExprKind::Defined(inner) if matches!(&inner.kind, ExprKind::GVar(g) if is_match_global(g)) =>
                {}
            ExprKind::GVar(g) if is_match_global(g) => {}
            // Class variables of a library class (`@@cache`).
            ExprKind::CVar(_) if cx.class.is_some() => {}
            ExprKind::Defined(inner)
                if matches!(inner.kind, ExprKind::CVar(_)) && cx.class.is_some() => {}
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
                None => walk_parts(&mut self.scan(cx, bs), parts),
            },
            _ => self.expr(e, cx, bs),
        }
    }

    fn target(&mut self, t: &Expr, cx: &Cx, bs: &mut Vec<Blocker>) {
        match &t.kind {
            ExprKind::Var(_) | ExprKind::Const { scope: None, .. } => {}
            ExprKind::IVar(_) | ExprKind::CVar(_) if cx.class.is_some() => {}
            // A control body's own (`self` is the control); RSpec's blocks have none.
            ExprKind::IVar(_) if cx.in_control && !cx.in_describe && !cx.in_example => {}
            ExprKind::IVar(_) => {
                bs.push(self.block("instance variable outside a resource", t.span.start))
            }
            ExprKind::Call {
                recv: None, args, ..
            } if args.is_empty() => {}
            // `obj.attr = v`: the writer is called on the evaluated receiver.
            ExprKind::Call {
                recv: Some(r),
                args,
                ..
            } if args.is_empty() => self.expr(r, cx, bs),
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
                // `&:sym`, a method's own `&block`, or a proc or lambda (in a variable or
                // written there).
                ExprKind::BlockPass(inner) => match &inner.kind {
                    ExprKind::Sym(_) => {}
                    _ => self.expr(inner, cx, bs),
                },
                ExprKind::Splat(x) => self.expr(x, cx, bs),
                _ => self.expr(a, cx, bs),
            }
        }
    }

    fn blk(&mut self, b: Option<&Block>, cx: &Cx, bs: &mut Vec<Blocker>) {
        if let Some(b) = b {
            walk_block(&mut self.scan(cx, bs), b);
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
                let via_inspec = recv.as_deref().is_some_and(|r| self.is_inspec(r));
                if recv.is_none() || via_inspec {
                    if self.classes.contains_key(name.as_str()) {
                        return Ty::Custom(name.to_string());
                    }
                    if recv.is_none()
                        && (is_matcher(name) || self.custom_matchers.contains_key(name.as_str()))
                    {
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
                    match self.ty(r) {
                        Ty::Matcher(_) if CHAINS.contains(&name.as_str()) => {
                            return Ty::Matcher(name.to_string());
                        }
                        // A configuration resource's section (`mysql_conf.params.mysqld`,
                        // `.params('mysqld')`): its keys are methods too (MysqlConfEntry's
                        // and Hashie::Mash's method_missing).
                        Ty::Resource(res)
                            if self.cat.answers(&res, "*")
                                && !is_builtin(name)
                                && name != "content" =>
                        {
                            return Ty::Resource(res);
                        }
                        _ => {}
                    }
                }
                Ty::Unknown
            }
            _ => Ty::Unknown,
        }
    }

    /// `inspec`, or an instance variable holding it.
    /// Whether the evaluator answers the top-level constant `name` (the profile's, a class
    /// it models, a resource class).
    fn const_known(&self, name: &str) -> bool {
        self.consts.contains(name)
            || KNOWN_CLASSES.contains(&name)
            || class_alias(name).is_some()
            || self.lib_class(name).is_some()
            || resource_class(name).is_some()
    }

    /// Whether reading `name` is Ruby's NameError, which the evaluator raises.
    fn const_uninitialized(&self, name: &str) -> bool {
        crate::native::ruby::constants::uninitialized(self.profile, name)
    }

    fn is_inspec(&self, r: &Expr) -> bool {
        names_inspec(r)
            || matches!(&r.kind, ExprKind::IVar(v) if self.inspec_ivars.contains(v.as_str()))
    }

    fn class_blockers(&mut self, name: &str) -> Vec<Blocker> {
        match self.classes.get(name).cloned() {
            Some(class) => self.lib_class_blockers(&class),
            None => Vec::new(),
        }
    }

    /// The library class a constant path names: exactly, or as seen from inside a module
    /// (`Rules` for `Pam::Rules`).
    fn lib_class(&self, path: &str) -> Option<Arc<ClassDef>> {
        self.lib_classes.get(path).cloned().or_else(|| {
            let suffix = format!("::{path}");
            let mut hits = self
                .lib_classes
                .values()
                .filter(|c| c.name.ends_with(&suffix));
            match (hits.next(), hits.next()) {
                (Some(c), None) => Some(c.clone()),
                _ => None,
            }
        })
    }

    /// The class, its included modules and its superclasses (those of `libraries/`).
    fn lib_ancestors(&self, class: &Arc<ClassDef>) -> Vec<Arc<ClassDef>> {
        let mut out: Vec<Arc<ClassDef>> = Vec::new();
        let mut todo = vec![class.clone()];
        while let Some(c) = todo.pop() {
            if out.iter().any(|o| o.name == c.name) {
                continue;
            }
            for m in c.includes.iter().chain(c.superclass.iter()) {
                if let Some(x) = self.lib_class(m) {
                    todo.push(x);
                }
            }
            out.push(c);
        }
        out
    }

    /// The superclass outside `libraries/` a class derives from (`Array`, `PlatformResource`).
    fn external_base(&self, class: &Arc<ClassDef>) -> Option<String> {
        let mut cur = class.clone();
        for _ in 0..32 {
            let sc = cur.superclass.clone()?;
            match self.lib_class(&sc) {
                Some(next) if next.name != cur.name => cur = next,
                Some(_) => return None,
                None => return Some(sc),
            }
        }
        None
    }

    /// What instances answer beyond their library methods: the core value's methods
    /// (`class X < Array`), the built-in resource's (`class X < PlatformResource`),
    /// Enumerable's over `each`.
    fn base_answers(&self, class: &Arc<ClassDef>, name: &str) -> bool {
        let base = self.external_base(class);
        let base = base.as_deref().map(|b| b.trim_start_matches("::"));
        if base.is_some_and(|b| CORE_BASES.contains(&b)) && is_builtin(name) {
            return true;
        }
        // A Mash answers each of its keys as a method.
        if base == Some("Hashie::Mash") {
            return true;
        }
        if let Some(rc) = base.and_then(resource_class) {
            if self.cat.resource_answers(rc.resource, name) || name == "[]" {
                return true;
            }
        }
        enumerable_answers(name)
            && self
                .lib_ancestors(class)
                .iter()
                .any(|c| c.includes.iter().any(|m| m == "Enumerable"))
    }

    /// Whether instances (or, `singleton`, the class itself) answer `name` as written.
    fn lib_class_defines(&self, class: &Arc<ClassDef>, name: &str, singleton: bool) -> bool {
        if !singleton && self.base_answers(class, name) {
            return true;
        }
        // The prelude's Enumerable calls the `each` of the class including it.
        if !singleton && class.name == "Enumerable" && name == "each" {
            return true;
        }
        self.lib_ancestors(class).iter().any(|c| {
            if singleton {
                c.singleton.contains_key(name)
            } else {
                c.defines(name) || c.table.is_some()
            }
        })
    }

    /// What blocks a library class: its class-level constructs, its class-body statements
    /// and the bodies of its (and its ancestors') methods.
    fn lib_class_blockers(&mut self, class: &Arc<ClassDef>) -> Vec<Blocker> {
        let key = format!("class {}", class.name);
        if let Some(b) = self.class_cache.get(&key) {
            return b.clone();
        }
        if !self.in_progress.insert(key.clone()) {
            return Vec::new();
        }
        let mut bs = Vec::new();
        let saved_file = std::mem::take(&mut self.file);
        let saved_types = std::mem::take(&mut self.var_types);
        let saved_calls = std::mem::take(&mut self.self_calls);
        // Public methods (a control may call any) and class bodies; private methods only
        // when a walked method calls them (so a Windows-only helper reached only from a
        // Windows branch does not count on a Linux-only profile).
        let mut pending: Vec<(Arc<ClassDef>, Arc<crate::native::ruby::objects::MethodDef>)> =
            Vec::new();
        let ancestors = self.lib_ancestors(class);
        for c in &ancestors {
            if let Some((construct, at)) = &c.blocked {
                bs.push(Blocker {
                    construct: format!("{construct} (class `{}`)", c.name),
                    at: at.clone(),
                });
            }
            let cx = Cx {
                class: Some(c.clone()),
                ..Cx::default()
            };
            self.file = c.file.clone();
            self.body(&c.statements, &cx, &mut bs);
            let mut methods: Vec<_> = c
                .methods
                .values()
                .filter(|m| !c.private.contains(&m.name))
                .chain(c.singleton.values())
                .cloned()
                .collect();
            methods.sort_by(|a, b| a.name.cmp(&b.name));
            pending.extend(methods.into_iter().map(|m| (c.clone(), m)));
        }
        let mut walked: HashSet<String> = HashSet::new();
        loop {
            while let Some((c, m)) = pending.pop() {
                if !walked.insert(format!("{}#{}", c.name, m.name)) {
                    continue;
                }
                let cx = Cx {
                    class: Some(c.clone()),
                    in_def: true,
                    ..Cx::default()
                };
                self.file = m.file.clone();
                for p in &m.params {
                    if let Param::Optional(_, d) | Param::Key(_, Some(d)) = p {
                        self.expr(d, &cx, &mut bs);
                    }
                }
                self.body(&m.body, &cx, &mut bs);
            }
            let called = std::mem::take(&mut self.self_calls);
            for name in called {
                for c in &ancestors {
                    if let Some(m) = c.methods.get(&name) {
                        pending.push((c.clone(), m.clone()));
                    }
                }
            }
            if pending.is_empty() {
                break;
            }
        }
        self.self_calls = saved_calls;
        self.file = saved_file;
        self.var_types = saved_types;
        self.in_progress.remove(&key);
        self.class_cache.insert(key, bs.clone());
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
        let cx = Cx {
            in_def: true,
            ..Cx::default()
        };
        self.body(&body, &cx, &mut bs);
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
        if let Some(lib) = scoped_name(r).and_then(|n| self.lib_class(&n)) {
            let extra = self.lib_class_blockers(&lib);
            bs.extend(extra);
            if name != "new" && !self.lib_class_defines(&lib, name, true) {
                bs.push(self.block(format!("`{}.{name}`", lib.name), off));
            }
            self.blk(block, cx, bs);
            return;
        }
        if let Some(class) = class_name(r) {
            if !has_class_method(&class, name)
                && !LIBRARY_CLASS_METHODS.contains(&(class.as_str(), name))
                && !matches!(name, "name" | "to_s" | "==" | "===")
            {
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
                if block.is_some()
                    && crate::native::ruby::may_take_block(name)
                    && !TABLE_METHODS.contains(&name)
                {
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
                if !CHAINS.contains(&name) && !self.matcher_chains.contains(name) {
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
                (literal_lacks(r, name)
                    && !crate::native::ruby::method_tables::profile_may_define(self.profile, name))
                    || is_builtin(name)
                    || TABLE_METHODS.contains(&name)
                    || is_object_method(name)
                    || CHAINS.contains(&name)
                    || matches!(name, "to" | "not_to" | "to_not" | "message" | "name")
                    || self.cat.any_answers(name)
                    || FILTER_BUILDER_METHODS.contains(&name)
                    || INSTANCE_BASE_METHODS.contains(&name)
                    || self.lib_classes.values().any(|c| c.defines(name))
                    || self.missing_names.contains(name)
                    || self.written_attributes.contains(name)
                    || (self.is_inspec(r)
                        && (self.cat.has(name) || self.classes.contains_key(name)))
                    // InSpec's RuntimeProfile: `inspec.profile.file(name)`, `.files`.
                    || (self.is_inspec(r) && name == "profile")
                    || (matches!(name, "file" | "files")
                        && matches!(&r.kind, ExprKind::Call { recv: Some(x), name: p, args, .. }
                            if p == "profile" && args.is_empty() && self.is_inspec(x)))
            }
        };
        if !ok {
            let via_inspec = self.is_inspec(r);
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
            // A predicate InSpec's file resource lacks fails as RSpec's BePredicate fails.
            Some(Ty::Resource(r))
                if matches!(r.as_str(), "file" | "directory")
                    && mname.starts_with("be_")
                    && crate::native::resources::file_lacks_predicate(&pred) => {}
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
        if args.is_empty() && block.is_none() && (cx.in_where || cx.lets.iter().any(|l| l == name))
        {
            return;
        }
        // A custom matcher's definition: RSpec's matcher DSL, `expected` and `actual`.
        if cx
            .class
            .as_ref()
            .is_some_and(|c| c.matcher_params.is_some())
            && (MATCHER_DSL.contains(&name) || matches!(name, "expected" | "actual"))
        {
            self.args(args, cx, bs);
            self.blk(block, cx, bs);
            return;
        }
        if let Some(m) = self.custom_matchers.get(name).cloned() {
            self.args(args, cx, bs);
            let extra = self.lib_class_blockers(&m);
            bs.extend(extra);
            return;
        }
        if DSL_FUNCTIONS.contains(&name) {
            return self.dsl(name, args, block, cx, bs, off);
        }
        if matches!(name, "lambda" | "proc") && block.is_some() && args.is_empty() {
            self.blk(block, cx, bs);
            return;
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
            if self.lib_class_defines(class, name, false) {
                self.self_calls.push(name.to_string());
            }
            // A name the class's own `method_missing` answers.
            if self.missing_names.contains(name)
                && self.lib_class_defines(class, "method_missing", false)
            {
                self.args(args, cx, bs);
                self.blk(block, cx, bs);
                return;
            }
            if self.lib_class_defines(class, name, false)
                || INSTANCE_BASE_METHODS.contains(&name)
                || CLASS_BODY_FUNCTIONS.contains(&name)
                || CLASS_METADATA.contains(&name)
            {
                self.blk(block, cx, bs);
                return;
            }
        }
        if self.defs.contains_key(name) {
            let extra = self.def_blockers(name);
            bs.extend(extra);
        } else if name == "inspec" || (name == "block_given?" && cx.in_def) {
        } else if self.classes.contains_key(name) {
            let extra = self.class_blockers(name);
            bs.extend(extra);
        } else if self.cat.has(name) {
            // A resource's block is ignored (the evaluator's `call_bare`).
        } else if !KERNEL_FUNCTIONS.contains(&name)
            && !(matches!(name, "catch" | "throw") && (name == "throw" || block.is_some()))
            // A name no InSpec context answers: the evaluator raises Ruby's NameError.
            && !crate::native::inspec::context_names::is_unknown_name(name)
            && !self.undefined_there(name, cx)
        {
            bs.push(self.block(format!("method or resource `{name}`"), off));
        }
        self.blk(block, cx, bs);
    }

    /// A name InSpec does not define where it is called (an example, a control's body):
    /// evaluated, as Ruby's NameError that InSpec reports (the evaluator's rule).
    fn undefined_there(&self, name: &str, cx: &Cx) -> bool {
        use crate::native::inspec::context_names::Context;
        use crate::native::inspec::undefined::undefined;
        use crate::native::ruby::method_tables::profile_may_define;
        let at = if cx.class.is_some() || cx.in_def || cx.in_where {
            return false;
        } else if cx.in_example {
            Context::Example
        } else if cx.in_control && !cx.in_describe {
            Context::ControlBody
        } else {
            return false;
        };
        undefined(at, name, profile_may_define(self.profile, name))
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
            // NoMethodError for the Inspec::Rule running the outer control: evaluated.
            "control" | "rule" => {}
            "describe" | "context" => {
                if cx.in_example {
                    bs.push(self.block("`describe` inside an example", off));
                }
                if block.is_none() {
                    bs.push(self.block("`describe` without a block", off));
                }
                self.args(args, cx, bs);
                let mut subject = args.first().map(|a| self.ty(a));
                if let Some(Ty::Custom(c)) = &subject {
                    let extra = self.class_blockers(c);
                    bs.extend(extra);
                }
                let mut lets = cx.lets.clone();
                for stmt in block.map_or(&[][..], |b| &b.body[..]) {
                    if let ExprKind::Call {
                        recv: None,
                        name,
                        args,
                        block: Some(_),
                        ..
                    } = &stmt.kind
                    {
                        if name == "subject" {
                            // The examples' subject is the block's value, of unknown type.
                            subject = None;
                        }
                        if matches!(name.as_str(), "let" | "let!" | "subject") {
                            lets.extend(args.first().and_then(|a| a.as_str_or_sym()));
                        }
                    }
                }
                let inner = Cx {
                    in_describe: true,
                    subject,
                    its: false,
                    lets,
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
            "let" | "let!" | "subject" if block.is_some() && cx.in_describe && !cx.in_example => {
                // Evaluated inside the examples that use it.
                let inner = Cx {
                    in_example: true,
                    its: false,
                    ..cx.clone()
                };
                self.blk(block, &inner, bs);
            }
            "let" | "let!" if !cx.in_describe => {
                bs.push(self.block("`let` / `subject` outside a describe", off));
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
            "input" | "attribute" | "input_object" => {
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
                // A method's body runs where it is called: in a control, `skip` is InSpec's
                // (in an example, RSpec's: the example is skipped).
                if !(cx.in_control || cx.in_def) {
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

/// `inspec`: the DSL's, or a parameter of that name it was passed as
/// (`def initialize(inspec)`).
fn names_inspec(e: &Expr) -> bool {
    e.bare_call_name() == Some("inspec") || matches!(&e.kind, ExprKind::Var(v) if v == "inspec")
}

/// `os.windows?` / `inspec.os.windows?` / `platform.windows?`.
fn is_windows_check(cond: &Expr) -> bool {
    match &cond.kind {
        ExprKind::Call {
            recv: Some(r),
            name,
            args,
            ..
        } => {
            name == "windows?"
                && args.is_empty()
                && matches!(r.bare_call_name(), Some("os" | "platform"))
                || name == "windows?"
                    && matches!(&r.kind, ExprKind::Call { recv: Some(i), name: n, .. }
                        if matches!(n.as_str(), "os" | "platform") && i.bare_call_name() == Some("inspec"))
        }
        _ => false,
    }
}

/// `os.name`, `platform.family`, `@platform.name` (a platform resource's), `inspec.os.name`.
fn is_platform_name(e: &Expr) -> bool {
    let ExprKind::Call {
        recv: Some(r),
        name,
        args,
        ..
    } = &e.kind
    else {
        return false;
    };
    if !matches!(name.as_str(), "name" | "family") || !args.is_empty() {
        return false;
    }
    match &r.kind {
        ExprKind::IVar(v) => v == "@platform",
        ExprKind::Call {
            recv: Some(i),
            name: n,
            ..
        } => matches!(n.as_str(), "os" | "platform") && i.bare_call_name() == Some("inspec"),
        _ => matches!(r.bare_call_name(), Some("os" | "platform")),
    }
}

/// Whether a Windows-only branch (`if os.windows?`, `case os.name when 'windows'`) can run
/// where the profile is evaluated natively. The native evaluator reaches its hosts through a
/// POSIX `sh` (locally or over SSH) and detects only POSIX platforms, so such a branch runs
/// only where InSpec itself would take it on no native target — except in a profile that
/// supports Windows alone (each `supports` entry admits Windows and no Unix platform): there
/// the Windows branch is the profile's reason to exist, and it counts.
fn windows_branch_reachable(profile: &Profile) -> bool {
    let platform = |name: &str, families: &[&str]| crate::native::resources::Platform {
        name: name.into(),
        families: families.iter().map(|f| f.to_string()).collect(),
        release: String::new(),
        arch: String::new(),
    };
    let windows = platform("windows", &["windows", "os"]);
    let unix = platform("linux", &["linux", "unix", "os"]);
    let entries = &profile.metadata.supports;
    !entries.is_empty()
        && entries.iter().all(|e| {
            let mut e = e.clone();
            e.remove("release");
            let one = [e];
            crate::native::inspec::supports::supported(&one, &windows)
                && !crate::native::inspec::supports::supported(&one, &unix)
        })
}

/// `$~` and `$1`..`$9`: the last regexp match.
fn is_match_global(g: &str) -> bool {
    let n = g.trim_start_matches('$');
    n == "~" || n.parse::<u8>().is_ok_and(|i| (1..=9).contains(&i))
}

/// The class a constant receiver names (`Regexp`, `Gem::Version`), if it is a class.
fn class_name(e: &Expr) -> Option<String> {
    let n = scoped_name(e)?;
    let n = class_alias(&n).map_or(n, String::from);
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

impl Analyzer<'_> {
    /// A control's block, its file-level variable types restored afterwards.
    fn control_block(&mut self, block: Option<&Block>, bs: &mut Vec<Blocker>) {
        if let Some(b) = block {
            let saved = self.var_types.clone();
            let cx = Cx {
                in_control: true,
                ..Cx::default()
            };
            self.body(&b.body, &cx, bs);
            self.var_types = saved;
        }
    }

    /// `include_controls` / `require_controls`: the dependency's own coverage (its
    /// libraries, its dependencies), less the skipped or not required controls, each
    /// override's blockers added to its control; files named `DEPENDENCY/controls/x.rb`.
    /// A dependency that cannot be read blocks the file (the evaluator fails it so).
    fn include(
        &mut self,
        e: &Expr,
        name: &str,
        args: &[Expr],
        block: Option<&Block>,
        inherited: &[Blocker],
        file_blockers: &mut Vec<Blocker>,
    ) {
        if name == "require_resource" {
            // An alias of a (dependency's) resource class; a dependency's is already known.
            let opts = args.first().and_then(crate::profile::model::literal);
            let get = |k: &str| {
                opts.as_ref()
                    .and_then(|o| o.get(k))
                    .and_then(|v| v.as_str())
                    .map(String::from)
            };
            if let (Some(res), Some(alias)) = (get("resource"), get("as")) {
                if let Some(c) = self.classes.get(&res).cloned() {
                    self.classes.insert(alias, c);
                }
            }
            return;
        }
        if name.starts_with("skip_") {
            return;
        }
        let profile: &Profile = self.profile;
        let dep = args
            .first()
            .and_then(|a| a.as_str_or_sym())
            .and_then(|n| profile.dependency(&n).map(|d| (n, d)));
        let Some((dep_name, dep)) = dep else {
            file_blockers.push(self.block(
                format!("`{name}` of a profile that is not a dependency"),
                e.span.start,
            ));
            return;
        };
        let dep_profile = match &dep.resolved {
            Ok(r) => Arc::clone(&r.profile),
            Err(why) => {
                file_blockers
                    .push(self.block(format!("dependency '{dep_name}': {why}"), e.span.start));
                return;
            }
        };
        let mut skipped: HashSet<String> = HashSet::new();
        let mut named: Vec<String> = Vec::new();
        let mut overrides: HashMap<String, Vec<Blocker>> = HashMap::new();
        for stmt in block.map(|b| b.body.as_slice()).unwrap_or_default() {
            let ExprKind::Call {
                recv: None,
                name,
                args,
                block,
                ..
            } = &stmt.kind
            else {
                let mut bs = Vec::new();
                self.expr(stmt, &Cx::default(), &mut bs);
                file_blockers.extend(bs);
                continue;
            };
            let id = args.first().and_then(|a| a.as_str_or_sym());
            match (name.as_str(), id) {
                ("skip_control" | "skip_rule", Some(id)) => {
                    skipped.insert(id);
                }
                ("control" | "rule", Some(id)) => {
                    let mut bs = inherited.to_vec();
                    self.control_block(block.as_deref(), &mut bs);
                    named.push(id.clone());
                    overrides.insert(id, bs);
                }
                _ => {
                    let mut bs = Vec::new();
                    self.expr(stmt, &Cx::default(), &mut bs);
                    file_blockers.extend(bs);
                }
            }
        }
        let require = name.starts_with("require");
        let prefix = dep_profile
            .metadata
            .name
            .clone()
            .unwrap_or_else(|| dep.name.clone());
        for mut c in coverage_with(&dep_profile, self.cat).controls {
            if skipped.contains(&c.id) || (require && !named.contains(&c.id)) {
                continue;
            }
            if let Some(bs) = overrides.remove(&c.id) {
                c.blockers.extend(bs);
            }
            c.blockers.extend(inherited.iter().cloned());
            c.supported = c.blockers.is_empty();
            c.file = format!("{prefix}/{}", c.file);
            self.out.push(c);
        }
        // An override of an id the dependency lacks adds that control.
        for id in named {
            if let Some(bs) = overrides.remove(&id) {
                self.push_control(id, e.span.start, bs);
            }
        }
    }
}

fn contains_control(e: &Expr) -> bool {
    any_expr(e, is_control_call)
}

/// The outermost control calls inside `e`.
fn collect_controls<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    if is_control_call(e) {
        out.push(e);
        return;
    }
    let mut kids: Vec<&'e Expr> = Vec::new();
    if let ExprKind::Call {
        recv, args, block, ..
    } = &e.kind
    {
        kids.extend(recv.as_deref());
        kids.extend(args.iter());
        if let Some(b) = block {
            kids.extend(b.body.iter());
        }
    }
    for_each_branch(e, false, |body, _| kids.extend(body));
    for k in kids {
        collect_controls(k, out);
    }
}

/// [`Analyzer::expr`] on every child the syntax tree's descent reaches, in one context.
struct Scan<'s, 'a> {
    an: &'s mut Analyzer<'a>,
    cx: &'s Cx,
    bs: &'s mut Vec<Blocker>,
}

impl Visitor<'_> for Scan<'_, '_> {
    fn expr(&mut self, e: &Expr) {
        self.an.expr(e, self.cx, self.bs)
    }
}

/// Whether a literal receiver's class (Array, String, Integer) lacks `name`: Ruby's
/// NoMethodError, which the evaluator raises as InSpec reports it.
fn literal_lacks(r: &Expr, name: &str) -> bool {
    let sample = match &r.kind {
        ExprKind::Array(_) => crate::native::ruby::value::Value::Array(Vec::new()),
        ExprKind::Str(_) => crate::native::ruby::value::Value::str(""),
        ExprKind::Int(_) => crate::native::ruby::value::Value::Int(0),
        _ => return false,
    };
    crate::native::ruby::core_methods::lacks(&sample, name)
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
            ("mysql_conf", vec!["*", "content", "params"]),
            ("os", vec!["family", "debian?"]),
        ])
    }

    fn cov(code: &str) -> Coverage {
        let profile =
            crate::profile::from_source(code, "controls/t.rb").unwrap_or_else(|e| panic!("{e}"));
        coverage_with(&profile, &cat())
    }

    #[test]
    fn methods_mixed_into_inspec_rule_are_helpers() {
        let lib = "module Routing\n  def routed?\n    file('/etc/passwd').exist?\n  end\nend\n::Inspec::Rule.include(Routing)\n";
        let profile = crate::native::testing::snippet_profile(
            "control 'a' do\n  only_if { routed? }\n  describe file('/x') do\n    it { should exist }\n  end\nend\n",
            &[("libraries/r.rb", lib)],
            None,
        );
        let c = coverage_with(&profile, &cat());
        assert_eq!((c.total, c.supported), (1, 1), "{:#?}", c.controls);
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

    /// A configuration resource's sections answer their keys as methods at any depth
    /// (mysql_conf.rb's MysqlConfEntry, Hashie::Mash), at file level as in a control.
    #[test]
    fn config_sections_answer_keys_as_methods() {
        let c = cov("d = if mysql_conf&.params&.mysqld&.datadir\n  mysql_conf.params.mysqld.datadir\nelse\n  'x'\nend\nlog = mysql_conf.params.mysqld['log-error']\ncontrol 'a' do\n  describe file(d) do\n    it { should exist }\n  end\n  describe log do\n    it { should eq 'y' }\n  end\nend\n");
        assert!(c.controls[0].supported, "{:#?}", c.controls);
        // A resource without configuration keys still names what it lacks.
        let c = cov("x = file('/x').no_such_property.y\ncontrol 'a' do\n  describe x do\n    it { should eq 1 }\n  end\nend\n");
        assert!(!c.controls[0].supported);
    }

    #[test]
    fn builtins_matchers_regexps_and_libraries() {
        let c = cov("control 'a' do\n  l = file('/x').content.lines.map(&:strip).reject(&:empty?)\n  describe l do\n    it { should all(match(/^a/)) }\n    its('size') { should be > 1 }\n  end\n  describe 'a' do\n    it { should match /a\\X/ }\n  end\n  describe 'b' do\n    it { should match /(?=.*x)(?=.*y)/ }\n  end\nend\n");
        assert_eq!(c.controls[0].blockers.len(), 1, "{:#?}", c.controls);
        assert!(c.controls[0].blockers[0]
            .construct
            .starts_with("regexp /a\\X/"));
    }

    /// A constant nothing defines is NameError, which the evaluator raises (the control is
    /// evaluated); one Ruby has but the evaluator does not model still blocks.
    #[test]
    fn uninitialized_constants_are_evaluated_and_unmodeled_ones_block() {
        let c = cov("control 'a' do\n  describe SSLCertificateFile do\n    it { should be_nil }\n  end\n  describe Foo::Bar do\n    it { should be_nil }\n  end\nend\ncontrol 'b' do\n  describe Etc do\n    it { should be_nil }\n  end\nend\n");
        assert!(c.controls[0].supported, "{:#?}", c.controls);
        assert_eq!(c.controls[1].blockers[0].construct, "constant `Etc`");
    }
}
