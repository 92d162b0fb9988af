//! Classes and modules of `libraries/` at run time, as InSpec's library context loads them:
//! class bodies run once (constants, `define_method`, FilterTable set-up), custom resources
//! are registered by `name` (replacing a built-in resource of the same name), constants
//! resolve lexically then through ancestors, and instances dispatch through their class,
//! its included modules and superclasses (`super`, `method_missing`, `respond_to?`,
//! private methods, `skip_resource` / `fail_resource` and InSpec's resource exceptions).

use std::sync::{Arc, Mutex};

use crate::native::ruby::methods::{self, to_s};
use crate::native::ruby::objects::{
    as_native, load_library, matcher_class, matcher_definition, native, object_to_s, struct_class,
    struct_constant, ClassDef, ClassRef, Instance, MethodDef, Poison, TableSpec, CLASS_METADATA,
    CORE_BASES, MATCHERS_NAMESPACE,
};
use crate::native::ruby::value::{NativeObject, ResourceError, Table, Value};
use crate::native::ruby::{BaseIvar, Blk, Embedding, Flow, Interp, ResourceClass, RubyError, R};
use crate::profile::ast::{Expr, ExprKind};

use crate::native::ruby::objects::{RESOURCE_FAILED, RESOURCE_SKIPPED};

/// The namespace of InSpec's resource classes (`Inspec::Resources::FileResource`).
pub const RESOURCES_NAMESPACE: &str = "Inspec::Resources";

/// Class methods of library-independent classes the interpreter answers here.
pub const LIBRARY_CLASS_METHODS: &[(&str, &str)] = &[
    ("JSON", "parse"),
    ("Inspec::Log", "debug"),
    ("Inspec::Log", "info"),
    ("Inspec::Log", "warn"),
    ("Inspec::Log", "error"),
    ("FilterTable", "create"),
    ("Struct", "new"),
    ("Hashie::Mash", "new"),
];

/// Methods of a FilterTable under construction in a class body.
pub const FILTER_BUILDER_METHODS: &[&str] = &[
    "register_column",
    "add_accessor",
    "register_custom_matcher",
    "register_custom_property",
    "install_filter_methods_on_resource",
    "connect",
];

/// Methods every library instance answers (Ruby's `Object` and InSpec's resource base).
pub const INSTANCE_BASE_METHODS: &[&str] = &[
    "to_s",
    "inspect",
    "resource_id",
    "respond_to?",
    "class",
    "is_a?",
    "kind_of?",
    "instance_of?",
    "nil?",
    "==",
    "!=",
    "equal?",
    "eql?",
    "send",
    "public_send",
    "instance_variable_get",
    "methods",
    "public_methods",
    "skip_resource",
    "fail_resource",
    "resource_failed?",
    "resource_skipped?",
    "resource_exception_message",
    "inspec",
];

/// What an instance answers as itself even when a core value or built-in resource answers
/// its other methods: the object's own methods but its value's `to_s`, `==` and `nil?`.
fn is_identity_method(name: &str) -> bool {
    INSTANCE_BASE_METHODS.contains(&name)
        && !matches!(name, "to_s" | "inspect" | "==" | "!=" | "eql?" | "nil?")
}

/// What a custom matcher's definition calls to say how it matches (RSpec's matcher DSL).
pub const MATCHER_DSL: &[&str] = &[
    "match",
    "match_when_negated",
    "chain",
    "description",
    "failure_message",
    "failure_message_when_negated",
    "diffable",
    "supports_block_expectations",
];

/// A block a custom matcher's definition gave (`match do |actual| ... end`), with the
/// definition's local variables (`expected`).
pub struct MatcherBlock(pub Arc<MethodDef>);

impl NativeObject for MatcherBlock {}

/// Enumerable's methods (doc/Enumerable) that a class including it gets from its `each`:
/// the builtin Enumerable methods and those Array answers outside them.
pub fn enumerable_answers(name: &str) -> bool {
    (methods::is_enumerable_method(name) && !matches!(name, "each" | "index"))
        || matches!(
            name,
            "sort"
                | "uniq"
                | "take"
                | "drop"
                | "to_h"
                | "to_set"
                | "reverse_each"
                | "each_cons"
                | "compact"
                | "chunk_while"
                | "slice_when"
        )
}

/// The file name InSpec's helper modules are reported under.
pub const PRELUDE_FILE: &str = "(inspec)/prelude.rb";

/// InSpec's helper modules (`FileReader`), parsed once; loaded before `libraries/`.
pub fn prelude() -> &'static [Expr] {
    static PRELUDE: std::sync::LazyLock<Vec<Expr>> = std::sync::LazyLock::new(|| {
        crate::profile::parser::parse_program(include_str!("prelude.rb"))
            .map(|p| p.body.clone())
            .unwrap_or_default()
    });
    &PRELUDE
}

/// `FilterTable.create` with its registrations so far.
pub struct FilterBuilder(pub Mutex<TableSpec>);

impl NativeObject for FilterBuilder {}

/// The class InSpec evaluates a control's block in (lib/inspec/rule.rb).
const RULE_CLASS: &str = "Inspec::Rule";

/// `::Inspec::Rule`, named from the top: a library runs in a context class of its own
/// (lib/inspec/profile_context.rb `load_with_context`, an instance_eval), where a plain
/// `Inspec::Rule` is an uninitialized constant.
fn is_rule_class(e: &Expr) -> bool {
    let mut innermost = e;
    while let ExprKind::Const { scope: Some(s), .. } = &innermost.kind {
        innermost = s;
    }
    matches!(&innermost.kind, ExprKind::Const { top: true, .. })
        && crate::native::ruby::syntax::scoped_name(e).as_deref() == Some(RULE_CLASS)
}

/// The classes a file-level library statement mixes into every control: the modules of
/// [`rule_includes`], or `Inspec::Rule` itself for `class ::Inspec::Rule … end`.
pub fn rule_mixins(stmt: &Expr) -> Vec<String> {
    match &stmt.kind {
        ExprKind::Class { path, .. } if is_rule_class(path) => vec![RULE_CLASS.to_string()],
        _ => rule_includes(stmt).unwrap_or_default(),
    }
}

/// `::Inspec::Rule.include(M, …)` or `::Inspec::Rule.send(:include, M, …)`: the modules named.
fn rule_includes(stmt: &Expr) -> Option<Vec<String>> {
    let ExprKind::Call {
        recv: Some(recv),
        name,
        args,
        ..
    } = &stmt.kind
    else {
        return None;
    };
    if !is_rule_class(recv) {
        return None;
    }
    let modules = match name.as_str() {
        "include" => args.as_slice(),
        "send" | "__send__" | "public_send"
            if args.first().and_then(|a| a.as_str_or_sym()).as_deref() == Some("include") =>
        {
            &args[1..]
        }
        _ => return None,
    };
    modules
        .iter()
        .map(crate::native::ruby::syntax::scoped_name)
        .collect()
}

fn parent(scope: &str) -> Option<&str> {
    if scope.is_empty() {
        return None;
    }
    Some(scope.rfind("::").map_or("", |i| &scope[..i]))
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}::{name}")
    }
}

impl<E: Embedding> Interp<'_, E> {
    /// Loads every library file: classes first (so bodies may name each other), then class
    /// bodies and file-level statements in file order.
    pub fn load_libraries(&mut self) {
        let files: Vec<(String, Vec<Expr>)> =
            std::iter::once((PRELUDE_FILE.to_string(), prelude().to_vec()))
                .chain(
                    // The dependencies' resources first, the profile's own over them
                    // (InSpec merges each dependency's registry, then loads its own files).
                    self.profile
                        .dependency_libraries()
                        .into_iter()
                        .chain(
                            self.profile
                                .files
                                .iter()
                                .filter(|f| f.path.starts_with("libraries/")),
                        )
                        .map(|f| (f.path.clone(), f.program.body.clone())),
                )
                .collect();
        let mut order = Vec::new();
        for (path, body) in &files {
            self.file = path.clone();
            for (name, block) in body.iter().filter_map(matcher_definition) {
                let class = matcher_class(&name, block, path, &|off| self.at(off));
                self.classes.insert(class.name.clone(), Arc::new(class));
            }
            let loaded = load_library(path, body, &|off| self.at(off));
            for c in loaded {
                if !order.contains(&c.name) {
                    order.push(c.name.clone());
                }
                let merged = match self.classes.remove(&c.name) {
                    Some(old) => merge(Arc::unwrap_or_clone(old), c),
                    None => c,
                };
                self.classes.insert(merged.name.clone(), Arc::new(merged));
            }
        }
        for name in &order {
            // A class deriving from a built-in resource class is a resource too.
            if self.resource_base(name).is_some() {
                self.update_class(name, |c| c.is_resource = true);
            }
        }
        for name in &order {
            let Some(c) = self.classes.get(name).cloned() else {
                continue;
            };
            if let Some(r) = &c.resource {
                if self.class_is_resource(name) {
                    self.resources.insert(r.clone(), name.clone());
                }
            }
        }
        for name in &order {
            self.run_class_body(name);
        }
        for (path, body) in &files {
            self.file = path.clone();
            for stmt in body {
                self.steps = 0;
                self.library_statement(stmt);
            }
        }
    }

    /// Makes a module's (or a reopened `Inspec::Rule`'s) methods callable without receiver
    /// from every control: InSpec instance_evals a control's block in its `Inspec::Rule`
    /// (lib/inspec/rule.rb `initialize`), so Ruby's Module#include on that class reaches
    /// every control body and `only_if` block. Nearer ancestors win, as in Ruby's lookup.
    fn mix_into_controls(&mut self, module: &str) {
        for class in self.ancestors(module).iter().rev() {
            if let Some(def) = self.classes.get(class).cloned() {
                for (name, m) in &def.methods {
                    self.defs.insert(name.clone(), m.clone());
                }
            }
        }
    }

    /// A file-level statement of a library (classes and modules were loaded already).
    fn library_statement(&mut self, stmt: &Expr) {
        // `class ::Inspec::Rule ... end` reopened (its `def`s and `include`s) or
        // `::Inspec::Rule.include(M)`. (`module Inspec; class Rule` defines a class of the
        // library's own context instead.)
        for m in rule_mixins(stmt) {
            if let Some(m) = self.resolve_class("", &m) {
                self.mix_into_controls(&m);
            }
        }
        if rule_includes(stmt).is_some() {
            return;
        }
        match &stmt.kind {
            ExprKind::Class { .. } | ExprKind::Module { .. } => {}
            _ if struct_constant(stmt).is_some() || matcher_definition(stmt).is_some() => {}
            _ => {
                if let Err(flow) = self.eval(stmt) {
                    self.poison_const(stmt, flow);
                }
            }
        }
    }

    /// Runs a class body's statements (what the loader did not take as definitions), with
    /// the class as `self`, in a scope of its own (`filter = FilterTable.create` stays in it).
    pub fn run_class_body(&mut self, class: &str) {
        let Some(def) = self.classes.get(class).cloned() else {
            return;
        };
        if def.statements.is_empty() {
            return;
        }
        self.file = def.file.clone();
        self.class_body.push(class.to_string());
        self.self_stack.push(native(ClassRef(class.to_string())));
        let _ = self.scoped(true, |me| {
            for s in &def.statements {
                me.steps = 0;
                me.class_statement(class, s);
            }
            Ok(())
        });
        self.self_stack.pop();
        self.class_body.pop();
    }

    /// One class-body statement; a failure blocks the class (its instances say why).
    fn class_statement(&mut self, class: &str, s: &Expr) {
        if let Err(flow) = self.eval(s) {
            if self.poison_const(s, flow.clone()) {
                return;
            }
            let (construct, at) = match flow {
                Flow::Unsupported { construct, at } => (construct, at),
                Flow::Raise(e) => (
                    format!("{} in a class body: {}", e.class, e.message),
                    self.at(s.span.start),
                ),
                other => (format!("{other:?}"), self.at(s.span.start)),
            };
            self.update_class(class, |c| {
                c.blocked.get_or_insert((construct, at));
            });
        }
    }

    /// A constant assignment that failed: using the constant re-raises why.
    fn poison_const(&mut self, stmt: &Expr, flow: Flow) -> bool {
        let ExprKind::Assign { target, .. } = &stmt.kind else {
            return false;
        };
        let ExprKind::Const {
            scope: None, name, ..
        } = &target.kind
        else {
            return false;
        };
        let full = join(&self.cref(), name);
        self.consts.insert(full, native(Poison(flow)));
        true
    }

    fn update_class(&mut self, class: &str, f: impl FnOnce(&mut ClassDef)) {
        if let Some(c) = self.classes.remove(class) {
            let mut c = Arc::unwrap_or_clone(c);
            f(&mut c);
            self.classes.insert(class.to_string(), Arc::new(c));
        }
    }

    /// The lexical class: the class body being run, or the class of the running method.
    pub fn cref(&self) -> String {
        match (self.class_body.last(), self.calls.last()) {
            (Some(c), _) if self.calls.is_empty() => c.clone(),
            (_, Some(f)) => f.def.owner.clone(),
            (Some(c), None) => c.clone(),
            (None, None) => String::new(),
        }
    }

    /// A class named `name` as seen from scope `from` (innermost first).
    pub fn resolve_class(&self, from: &str, name: &str) -> Option<String> {
        let mut scope = Some(from);
        while let Some(s) = scope {
            let cand = join(s, name);
            if self.classes.contains_key(&cand) {
                return Some(cand);
            }
            scope = parent(s);
        }
        None
    }

    /// The class, its included modules (last included first), then its superclass's.
    pub fn ancestors(&self, class: &str) -> Vec<String> {
        if self
            .classes
            .get(class)
            .is_some_and(|c| c.includes.is_empty() && c.superclass.is_none())
        {
            return vec![class.to_string()];
        }
        let mut out: Vec<String> = Vec::new();
        let mut cur = Some(class.to_string());
        while let Some(c) = cur.take() {
            if out.contains(&c) {
                break;
            }
            let Some(def) = self.classes.get(&c) else {
                break;
            };
            let outer = parent(&c).unwrap_or("").to_string();
            out.push(c.clone());
            for m in def.includes.iter().rev() {
                if let Some(m) = self.resolve_class(&outer, m) {
                    if !out.contains(&m) {
                        out.push(m);
                    }
                }
            }
            cur = def
                .superclass
                .as_ref()
                .and_then(|s| self.resolve_class(&outer, s));
        }
        out
    }

    /// The superclass outside `libraries/` a class derives from, through its library
    /// superclasses (`Array`, `PlatformResource`), as written.
    pub fn external_base(&self, class: &str) -> Option<String> {
        let mut cur = class.to_string();
        let mut seen = Vec::new();
        loop {
            let def = self.classes.get(&cur)?;
            let sc = def.superclass.as_ref()?;
            let outer = parent(&cur).unwrap_or("");
            match self.resolve_class(outer, sc) {
                Some(next) if !seen.contains(&next) => {
                    seen.push(cur);
                    cur = next;
                }
                Some(_) => return None,
                None => return Some(sc.clone()),
            }
        }
    }

    /// The core class (`Array`, `Hash`, `String`, `Hashie::Mash`) a class derives from.
    pub fn core_base(&self, class: &str) -> Option<String> {
        self.external_base(class)
            .filter(|b| CORE_BASES.contains(&b.trim_start_matches("::")))
            .map(|b| b.trim_start_matches("::").to_string())
    }

    /// The embedding's resource class a class derives from (`PlatformResource`).
    pub fn resource_base(&self, class: &str) -> Option<ResourceClass> {
        self.external_base(class)
            .and_then(|b| E::resource_class(&b))
    }

    pub fn class_is_resource(&self, class: &str) -> bool {
        self.ancestors(class)
            .iter()
            .any(|c| self.classes.get(c).is_some_and(|d| d.is_resource))
    }

    /// The first class among `ancestors` holding something `pick` finds.
    fn find_in<T>(&self, ancestors: &[String], pick: impl Fn(&ClassDef) -> Option<T>) -> Option<T> {
        ancestors
            .iter()
            .filter_map(|c| self.classes.get(c))
            .find_map(|c| pick(c))
    }

    pub fn find_method(&self, class: &str, name: &str) -> Option<Arc<MethodDef>> {
        self.find_in(&self.ancestors(class), |c| c.methods.get(name).cloned())
    }

    /// A constant by name from the current lexical scope, then the ancestors of the
    /// current class, then the top level.
    pub fn lookup_const(&self, name: &str) -> Option<Value> {
        if self.class_body.is_empty() && self.calls.iter().all(|f| f.def.owner.is_empty()) {
            // Control files and file-level helpers: top-level constants only.
            return self.const_in("", name);
        }
        let cref = self.cref();
        let mut scope = Some(cref.as_str());
        while let Some(s) = scope {
            if let Some(v) = self.const_in(s, name) {
                return Some(v);
            }
            scope = parent(s);
        }
        for a in self.ancestors(&cref) {
            if let Some(v) = self.const_in(&a, name) {
                return Some(v);
            }
        }
        None
    }

    /// `scope::name` when it is a constant or a class.
    fn const_in(&self, scope: &str, name: &str) -> Option<Value> {
        let full = join(scope, name);
        if let Some(v) = self.consts.get(&full) {
            return Some(v.clone());
        }
        self.classes
            .contains_key(&full)
            .then(|| native(ClassRef(full)))
    }

    /// `Scope::Name` where `Scope` evaluated to a class.
    pub fn scoped_const(&mut self, scope: &str, name: &str, off: u32) -> R {
        if self.classes.contains_key(scope) {
            for a in self.ancestors(scope) {
                if let Some(v) = self.const_in(&a, name) {
                    if let Some(p) = as_native::<Poison>(&v) {
                        return Err(p.0.clone());
                    }
                    return Ok(v);
                }
            }
        }
        let full = join(scope, name);
        if let Some(v) = crate::native::ruby::classes::class_constant(&full) {
            return Ok(v);
        }
        if full == RESOURCES_NAMESPACE || E::resource_class(&full).is_some() {
            return Ok(native(ClassRef(full)));
        }
        if crate::native::ruby::classes::is_scoped_class(&full) {
            return Ok(native(ClassRef(full)));
        }
        Err(self.unsupported(format!("constant `{full}`"), off))
    }

    /// `Class.new(...)`: an instance with `initialize` run. For custom resources, InSpec's
    /// resource base applies: `ResourceSkipped` (or a `NoMethodError`) in `initialize` skips
    /// the resource, `ResourceFailed` (or `NotImplementedError`) fails it, and so do
    /// `skip_resource` / `fail_resource`.
    pub fn instantiate(&mut self, class: &str, args: &[Value]) -> R {
        let Some(def) = self.classes.get(class).cloned() else {
            return Err(Flow::raise(
                "NameError",
                format!("uninitialized constant {class}"),
            ));
        };
        if let Some((construct, at)) = &def.blocked {
            return Err(Flow::Unsupported {
                construct: format!("{construct} (class `{}`)", def.name),
                at: at.clone(),
            });
        }
        if def.is_module {
            return Err(Flow::raise(
                "NoMethodError",
                format!("undefined method `new' for module {class}"),
            ));
        }
        let resource = self.class_is_resource(class);
        if resource && !def.supports.is_empty() {
            // resource.rb check_supported!: raised before `initialize` runs.
            let name = def.resource.as_deref().unwrap_or(class);
            if let Err(message) = E::check_supports(self, name, &def.supports) {
                return Err(Flow::raise("ArgumentError", message));
            }
        }
        let inst = Instance::new(class);
        if let Some(core) = self.core_base(class) {
            // Ruby allocates the empty array (hash, string) before `initialize` runs.
            inst.set_base(core_new(&core, &[])?);
        }
        let inst_val = native(inst);
        let r = match self.find_method(class, "initialize") {
            Some(init) => self
                .call_def(&init, Some(inst_val.clone()), args)
                .map(|_| ()),
            None => self.base_initialize(&inst_val, class, args).map(|_| ()),
        };
        let r = if resource { resource_outcome(r) } else { r };
        let r = r.and_then(|_| match as_native::<Instance>(&inst_val) {
            Some(inst) => inst.take_exception().map_or(Ok(()), Err),
            None => Ok(()),
        });
        match r {
            // resource.rb: the resource exists, skipped or failed; what uses it says so.
            Err(f @ Flow::Skip(_)) if resource => {
                set_state(&inst_val, f);
                return Ok(inst_val);
            }
            Err(Flow::Raise(e)) if resource && e.class == RESOURCE_FAILED => {
                set_state(&inst_val, Flow::Raise(e));
                return Ok(inst_val);
            }
            other => other?,
        }
        if let Some(inst) = as_native::<Instance>(&inst_val) {
            if inst.base().is_none() && self.resource_base(class).is_some() {
                // An `initialize` that did not call `super`: the built-in resource is made
                // with the instance's arguments when it answers a method (if it can be).
                let _ = self.base_initialize(&inst_val, class, args);
            }
        }
        Ok(inst_val)
    }

    /// The `initialize` of a core or built-in resource superclass (`super` in
    /// `initialize`, or no `initialize` in the library classes): the array, hash or string
    /// from the arguments, or the built-in resource with its instance variables.
    pub fn base_initialize(&mut self, inst_val: &Value, class: &str, args: &[Value]) -> R {
        let Some(inst) = as_native::<Instance>(inst_val) else {
            return Ok(Value::Nil);
        };
        if let Some(core) = self.core_base(class) {
            inst.set_base(core_new(&core, args)?);
        } else if let Some(rc) = self.resource_base(class) {
            let at = self.file.clone();
            let res = match self.create_native(rc.resource, args) {
                Some(Ok(res)) => res,
                Some(Err(e)) => return Err(crate::native::ruby::resource_error(e, at)),
                None => {
                    return Err(Flow::Unsupported {
                        construct: format!(
                            "resource `{}` (superclass `{}`)",
                            rc.resource, rc.class
                        ),
                        at,
                    })
                }
            };
            let res = Value::Resource(res);
            for (ivar, what) in rc.ivars {
                if matches!(inst.ivar(ivar), Value::Nil) {
                    inst.set_ivar(
                        ivar,
                        match what {
                            BaseIvar::Resource => res.clone(),
                            BaseIvar::Arg(i) => args.get(*i).cloned().unwrap_or(Value::Nil),
                        },
                    );
                }
            }
            inst.set_base(res);
        }
        Ok(Value::Nil)
    }

    /// A method the library classes do not define, answered by the instance's core value
    /// (written back: `push` changes the instance) or built-in resource.
    #[allow(clippy::too_many_arguments)]
    fn call_base(
        &mut self,
        inst: &Instance,
        base: Value,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> R {
        if let Value::Native(_) = base {
            // A Mash, shared: its keys are its methods.
            return self.call_method(base, name, args.to_vec(), blk, off);
        }
        if let Value::Resource(_) = base {
            if name == "[]" {
                return self.index(base, args.to_vec(), off);
            }
            return self.call_method(base, name, args.to_vec(), blk, off);
        }
        if let Some(r) = self.equality_method(&base, name, args, off) {
            return r;
        }
        let mut core = base;
        let out = self.call_builtin(&mut core, name, args.to_vec(), blk, off);
        inst.set_base(core);
        out
    }

    /// Ruby's `==` between values that may hold library objects: a library object's own
    /// `==` (Comparable's, an alias, or its core value's), arrays element by element (as
    /// `Array#==` calls each element's `==`).
    pub fn values_eq(&mut self, l: &Value, r: &Value, off: u32) -> R<bool> {
        if as_native::<Instance>(l).is_some() {
            let v = self.call_method(l.clone(), "==", vec![r.clone()], None, off)?;
            return Ok(v.truthy());
        }
        if let Some(core) = as_native::<Instance>(r).and_then(Instance::base) {
            if !matches!(core, Value::Resource(_)) && !has_objects(l) {
                return Ok(*l == core);
            }
            if matches!(l, Value::Array(_)) {
                return self.values_eq(l, &core, off);
            }
        }
        match (l, r) {
            (Value::Array(a), Value::Array(b)) if has_objects(l) || has_objects(r) => {
                if a.len() != b.len() {
                    return Ok(false);
                }
                for (x, y) in a.iter().zip(b) {
                    if !self.rb_equal(x, y, off)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            _ => Ok(l == r),
        }
    }

    /// A stable merge sort by `<=>` (ArgumentError when two elements do not compare).
    fn sort_by_spaceship(&mut self, items: Vec<Value>, off: u32) -> R<Vec<Value>> {
        if items.len() <= 1 {
            return Ok(items);
        }
        let mut left = items;
        let right = left.split_off(left.len() / 2);
        let (left, right) = (
            self.sort_by_spaceship(left, off)?,
            self.sort_by_spaceship(right, off)?,
        );
        let mut out = Vec::with_capacity(left.len() + right.len());
        let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
        while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
            let c = self.call_method(a.clone(), "<=>", vec![b.clone()], None, off)?;
            let Value::Int(c) = c else {
                return Err(Flow::raise(
                    "ArgumentError",
                    format!(
                        "comparison of {} with {} failed",
                        self.class_of(a),
                        self.class_of(b)
                    ),
                ));
            };
            out.extend(if c <= 0 { l.next() } else { r.next() });
        }
        out.extend(l);
        out.extend(r);
        Ok(out)
    }

    fn class_of(&self, v: &Value) -> String {
        match as_native::<Instance>(v) {
            Some(i) => i.class.clone(),
            None => v.class_name().to_string(),
        }
    }

    /// Ruby's rb_equal, how collections compare elements: the same object is equal
    /// without asking its `==`.
    fn rb_equal(&mut self, l: &Value, r: &Value, off: u32) -> R<bool> {
        if let (Value::Native(a), Value::Native(b)) = (l, r) {
            if Arc::ptr_eq(a, b) {
                return Ok(true);
            }
        }
        self.values_eq(l, r, off)
    }

    /// Array methods that compare elements with `==` (`include?`, `index`, `count`, `==`),
    /// when library objects are involved: each element's own `==` decides. None: plain
    /// values (the builtin answers).
    pub fn equality_method(
        &mut self,
        recv: &Value,
        name: &str,
        args: &[Value],
        off: u32,
    ) -> Option<R> {
        let Value::Array(items) = recv else {
            return None;
        };
        if matches!(name, "sort" | "min" | "max") && args.is_empty() && has_objects(recv) {
            // Array#sort, #min, #max order library objects by their own `<=>`.
            return Some(
                self.sort_by_spaceship(items.clone(), off)
                    .map(|sorted| match name {
                        "sort" => Value::Array(sorted),
                        "min" => sorted.first().cloned().unwrap_or(Value::Nil),
                        _ => sorted.last().cloned().unwrap_or(Value::Nil),
                    }),
            );
        }
        if name == "join" && has_objects(recv) && args.len() <= 1 {
            // Array#join converts each element with its own `to_s`.
            let sep = args.first().map(to_s).unwrap_or_default();
            let mut parts = Vec::with_capacity(items.len());
            for x in items {
                match self.stringify(x) {
                    Ok(p) => parts.push(p),
                    Err(e) => return Some(Err(e)),
                }
            }
            return Some(Ok(Value::Str(parts.join(&sep))));
        }
        let [arg] = args else {
            return None;
        };
        if !matches!(
            name,
            "include?" | "member?" | "index" | "find_index" | "count" | "==" | "!=" | "eql?"
        ) || !(has_objects(recv) || as_native::<Instance>(arg).is_some())
        {
            return None;
        }
        if matches!(name, "==" | "!=" | "eql?") {
            return Some(
                self.values_eq(recv, arg, off)
                    .map(|b| Value::Bool(b != (name == "!="))),
            );
        }
        let mut hits = Vec::new();
        for (i, e) in items.iter().enumerate() {
            match self.rb_equal(e, arg, off) {
                Ok(true) => hits.push(i),
                Ok(false) => {}
                Err(e) => return Some(Err(e)),
            }
            if hits.len() == 1 && name != "count" {
                break;
            }
        }
        Some(Ok(match name {
            "include?" | "member?" => Value::Bool(!hits.is_empty()),
            "count" => Value::Int(hits.len() as i64),
            _ => hits.first().map_or(Value::Nil, |i| Value::Int(*i as i64)),
        }))
    }

    /// A method of a library instance. `explicit`: called with a receiver (private methods
    /// refuse). None: the instance does not answer it.
    pub fn call_instance(
        &mut self,
        recv: &Value,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        explicit: bool,
        off: u32,
    ) -> Option<R> {
        let inst = as_native::<Instance>(recv)?;
        // A resource skipped or failed in `initialize` is still the object (resource.rb):
        // its methods run on what `initialize` set before it stopped.
        let class = inst.class.clone();
        if let Some(r) = self.matcher_method(recv, inst, name, args) {
            return Some(r);
        }
        let ancestors = self.ancestors(&class);
        if let Some(def) = self.find_in(&ancestors, |c| c.methods.get(name).cloned()) {
            let private = self.find_in(&ancestors, |c| {
                c.private.iter().any(|p| p == name).then_some(())
            });
            if explicit && private.is_some() && name != "to_s" {
                return Some(Err(Flow::raise(
                    "NoMethodError",
                    format!("private method `{name}' called for an instance of {class}"),
                )));
            }
            let r = self.call_def_with_block(&def, Some(recv.clone()), args, blk);
            return Some(match inst.take_exception() {
                Some(f) if r.is_ok() => Err(f),
                _ => r,
            });
        }
        if self
            .find_in(&ancestors, |c| {
                c.attr_readers.iter().any(|a| a == name).then_some(())
            })
            .is_some()
        {
            return Some(Ok(inst.ivar(name)));
        }
        if let Some(attr) = name.strip_suffix('=') {
            if self
                .find_in(&ancestors, |c| {
                    c.attr_writers.iter().any(|a| a == attr).then_some(())
                })
                .is_some()
            {
                let v = args.first().cloned().unwrap_or(Value::Nil);
                inst.set_ivar(attr, v.clone());
                return Some(Ok(v));
            }
        }
        if let Some(spec) = self.find_in(&ancestors, |c| c.table.clone()) {
            if let Some(r) = self.instance_table(recv, &spec, name, args, blk, off) {
                return Some(r);
            }
        }
        if enumerable_answers(name)
            && inst.base().is_none()
            && ancestors.iter().any(|a| a == "Enumerable")
        {
            // Enumerable's methods over the elements `each` yields (prelude's `to_a`).
            let items = self.call_instance(recv, "to_a", &[], None, false, off)?;
            return Some(items.and_then(|mut items| {
                if let Some(r) = self.equality_method(&items, name, args, off) {
                    return r;
                }
                self.call_builtin(&mut items, name, args.to_vec(), blk, off)
            }));
        }
        if !is_identity_method(name) {
            if let Some(base) = inst.base().filter(|b| base_answers::<E>(b, name)) {
                return Some(self.call_base(inst, base, name, args, blk, off));
            }
        }
        self.instance_base(recv, inst, &class, name, args, blk, off)
    }

    /// The instance's `method_missing` for a method nothing else answers. None: it has none.
    pub fn call_method_missing(&mut self, recv: &Value, name: &str, args: &[Value]) -> Option<R> {
        let inst = as_native::<Instance>(recv)?;
        let ancestors = self.ancestors(&inst.class);
        let mm = self.find_in(&ancestors, |c| c.methods.get("method_missing").cloned())?;
        let mut a = vec![Value::Sym(name.to_string())];
        a.extend(args.iter().cloned());
        Some(self.call_def(&mm, Some(recv.clone()), &a))
    }

    /// What every object (and every InSpec resource) answers.
    #[allow(clippy::too_many_arguments)]
    fn instance_base(
        &mut self,
        recv: &Value,
        inst: &Instance,
        class: &str,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> Option<R> {
        let a0 = args.first().cloned().unwrap_or(Value::Nil);
        let resource = self.class_is_resource(class);
        Some(Ok(match name {
            "to_s" | "inspect" => Value::Str(match self.classes.get(class) {
                Some(c) if resource => c.resource.clone().unwrap_or_else(|| class.to_string()),
                // Ruby's Object#to_s, the instance's address its identity.
                _ => object_to_s(class, inst as *const Instance as usize),
            }),
            // InSpec's `resource_id(value = nil)`: sets it when given, "" by default.
            "resource_id" => {
                if !matches!(a0, Value::Nil) {
                    inst.set_ivar("resource_id", a0);
                }
                match inst.ivar("resource_id") {
                    Value::Nil => Value::str(""),
                    v => v,
                }
            }
            "respond_to?" => {
                let m = to_s(&a0);
                let ancestors = self.ancestors(class);
                // Private methods are not reported (Ruby's `respond_to?` without `true`).
                let private = self
                    .find_in(&ancestors, |c| c.private.contains(&m).then_some(()))
                    .is_some();
                let own = !private
                    && (self
                        .find_in(&ancestors, |c| c.defines(&m).then_some(()))
                        .is_some()
                        || INSTANCE_BASE_METHODS.contains(&m.as_str())
                        || match inst.base() {
                            Some(Value::Resource(_)) => E::knows_method(&m),
                            Some(_) => methods::is_builtin(&m),
                            None => false,
                        });
                if own {
                    Value::Bool(true)
                } else {
                    match self.find_in(&ancestors, |c| {
                        c.methods.get("respond_to_missing?").cloned()
                    }) {
                        Some(rm) => {
                            let r = self.call_def(&rm, Some(recv.clone()), &[Value::Sym(m)]);
                            return Some(r.map(|v| Value::Bool(v.truthy())));
                        }
                        None => Value::Bool(false),
                    }
                }
            }
            // Ruby's `methods`: the public methods of the class and its ancestors, then
            // Object's, as Symbols (profiles ask `obj.methods.include?(:output)`).
            "methods" | "public_methods" => {
                let ancestors = self.ancestors(class);
                let mut names: Vec<String> = Vec::new();
                for def in ancestors.iter().filter_map(|c| self.classes.get(c)) {
                    let mut own: Vec<String> = def
                        .methods
                        .keys()
                        .chain(&def.attr_readers)
                        .cloned()
                        .chain(def.attr_writers.iter().map(|w| format!("{w}=")))
                        .filter(|m| m != "initialize" && !def.private.contains(m))
                        .collect();
                    own.sort();
                    names.extend(own);
                }
                names.extend(INSTANCE_BASE_METHODS.iter().map(|m| m.to_string()));
                let mut seen = std::collections::HashSet::new();
                names.retain(|m| seen.insert(m.clone()));
                Value::Array(names.into_iter().map(Value::Sym).collect())
            }
            "class" => native(ClassRef(class.to_string())),
            "is_a?" | "kind_of?" | "instance_of?" => {
                let want = as_native::<ClassRef>(&a0).map(|c| c.0.clone());
                Value::Bool(want.is_some_and(|w| {
                    w == "Object"
                        || if name == "instance_of?" {
                            w == class
                        } else {
                            self.ancestors(class).contains(&w)
                                || self.external_base(class).is_some_and(|b| {
                                    b.trim_start_matches("::") == w
                                        || b.rsplit("::").next() == w.rsplit("::").next()
                                })
                                || inst
                                    .base()
                                    .is_some_and(|core| methods::is_a(&core, &w) && w != "Object")
                        }
                }))
            }
            "nil?" => Value::Bool(false),
            "==" | "equal?" | "eql?" => Value::Bool(*recv == a0),
            "!=" => Value::Bool(*recv != a0),
            "instance_variable_get" => inst.ivar(to_s(&a0).trim_start_matches('@')),
            "send" | "public_send" if !args.is_empty() => {
                let m = to_s(&a0);
                let rest = args.get(1..).unwrap_or(&[]).to_vec();
                let explicit = name == "public_send";
                return Some(
                    match self.call_instance(recv, &m, &rest, blk, explicit, off) {
                        Some(r) => r,
                        None => match self.call_method_missing(recv, &m, &rest) {
                            Some(r) => r,
                            None => Err(undefined(&m, class)),
                        },
                    },
                );
            }
            "skip_resource" => {
                inst.set_exception(Flow::Skip(to_s(&a0)));
                Value::Nil
            }
            "fail_resource" => {
                inst.set_exception(Flow::raise(RESOURCE_FAILED, to_s(&a0)));
                Value::Nil
            }
            // resource.rb: the flags are nil until `skip_resource` / `fail_resource` (in
            // `initialize` or a method since) set them.
            "resource_failed?" | "resource_skipped?" => match inst.resource_state() {
                Some((failed, _)) if failed == (name == "resource_failed?") => Value::Bool(true),
                _ => Value::Nil,
            },
            "resource_exception_message" => match inst.resource_state() {
                Some((_, m)) => Value::str(m),
                None => Value::Nil,
            },
            "inspec" => native(crate::native::ruby::objects::InspecHandle),
            _ => return None,
        }))
    }

    /// A FilterTable method of an instance whose class installed one.
    fn instance_table(
        &mut self,
        recv: &Value,
        spec: &TableSpec,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> Option<R> {
        let column = spec.columns.iter().any(|(a, _)| a == name);
        let custom = spec.custom.iter().find(|(n, _)| n == name).cloned();
        if !column && custom.is_none() && !E::knows_method(name) {
            return None;
        }
        if spec.columns.iter().any(|(a, _)| a == name) && spec.source == name {
            return None;
        }
        // filter.rb: the rows' exceptions make the table skipped or failed.
        let table = match self.build_table(recv, spec) {
            Ok(t) => t,
            Err(Flow::Raise(e)) if e.class == RESOURCE_SKIPPED => {
                return Some(Err(Flow::Skip(e.message)))
            }
            Err(e) => return Some(Err(e)),
        };
        if let Some((_, block)) = custom {
            let tv = Value::Table(table.clone());
            return Some(match block {
                Some(b) => self.call_block(Blk::Ast(&b), vec![tv], off),
                None => Ok(Value::Nil),
            });
        }
        Some(E::call_table(self, &table, name, args, blk, off))
    }

    fn build_table(&mut self, recv: &Value, spec: &TableSpec) -> R<Arc<Table>> {
        let inst = as_native::<Instance>(recv);
        let rows_val = match inst {
            Some(i) if self.find_method(&i.class, &spec.source).is_none() => i.ivar(&spec.source),
            _ => self.call_method(recv.clone(), &spec.source, Vec::new(), None, 0)?,
        };
        let mut fields: Vec<String> = Vec::new();
        let mut accessors = Vec::new();
        for (acc, field) in &spec.columns {
            let i = match fields.iter().position(|f| f == field) {
                Some(i) => i,
                None => {
                    fields.push(field.clone());
                    fields.len() - 1
                }
            };
            accessors.push((acc.clone(), i));
        }
        // filter.rb: `@raw_data = [] if @raw_data.nil?` (a resource that stopped in
        // `initialize` before setting its rows).
        let rows_val = match rows_val {
            Value::Nil => Value::Array(Vec::new()),
            v => v,
        };
        let rows = crate::native::ruby::methods::iterate(&rows_val)?
            .into_iter()
            .map(|row| {
                fields
                    .iter()
                    .map(|f| {
                        row.hash_get(&Value::Sym(f.clone()))
                            .or_else(|| row.hash_get(&Value::Str(f.clone())))
                            .cloned()
                            .unwrap_or(Value::Nil)
                    })
                    .collect()
            })
            .collect();
        let name = self.stringify(recv)?;
        let unloaded = inst
            .and_then(|i| i.resource_state())
            .map(|(failed, m)| match failed {
                true => ResourceError::Failed(m),
                false => ResourceError::Skip(m),
            });
        Ok(Arc::new(Table {
            name,
            fields,
            accessors,
            rows,
            flattened: Vec::new(),
            predicates: Vec::new(),
            view: None,
            unloaded,
        }))
    }

    /// `Class.method` for library classes: `new`, `def self.x`, `name`. None: not one.
    pub fn call_user_class(&mut self, class: &str, name: &str, args: &[Value]) -> Option<R> {
        if !self.classes.contains_key(class) {
            return None;
        }
        let ancestors = self.ancestors(class);
        if let Some(def) = self.find_in(&ancestors, |c| c.singleton.get(name).cloned()) {
            return Some(self.call_def(&def, Some(native(ClassRef(class.to_string()))), args));
        }
        Some(match name {
            "new" => self.instantiate(class, args),
            "name" | "to_s" | "inspect" => Ok(Value::Str(class.to_string())),
            "method_defined?" | "instance_methods" if !args.is_empty() => {
                let m = to_s(&args[0]);
                Ok(Value::Bool(
                    self.find_in(&ancestors, |c| c.defines(&m).then_some(()))
                        .is_some(),
                ))
            }
            _ => return None,
        })
    }

    /// A call without receiver while a class body runs (`self` is the class): what
    /// [`CLASS_BODY_FUNCTIONS`](crate::native::ruby::objects::CLASS_BODY_FUNCTIONS) names.
    pub fn call_class_body(
        &mut self,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
    ) -> Option<R> {
        if !self.calls.is_empty() {
            return None;
        }
        let class = self.class_body.last()?.clone();
        let names: Vec<String> = args.iter().map(to_s).collect();
        match name {
            "define_method" => {
                let (Some(m), Some(Blk::Ast(b))) = (names.first(), blk) else {
                    return Some(Err(Flow::raise(
                        "ArgumentError",
                        "define_method needs a name and a block",
                    )));
                };
                let def = Arc::new(MethodDef {
                    name: m.clone(),
                    params: b.params.clone(),
                    body: b.body.clone(),
                    file: self.file.clone(),
                    owner: class.clone(),
                    captured: self.visible_locals(),
                });
                self.update_class(&class, |c| {
                    c.methods.insert(m.clone(), def);
                });
                Some(Ok(Value::Sym(m.clone())))
            }
            "attr_reader" | "attr_accessor" | "attr_writer" => {
                self.update_class(&class, |c| {
                    if name != "attr_writer" {
                        c.attr_readers.extend(names.iter().cloned());
                    }
                    if name != "attr_reader" {
                        c.attr_writers.extend(names.iter().cloned());
                    }
                });
                Some(Ok(Value::Nil))
            }
            "private" | "private_constant" => {
                if name == "private" {
                    self.update_class(&class, |c| c.private.extend(names.iter().cloned()));
                }
                Some(Ok(args.first().cloned().unwrap_or(Value::Nil)))
            }
            "alias_method" => {
                if let [new, old, ..] = names.as_slice() {
                    if let Some(m) = self.find_method(&class, old) {
                        self.update_class(&class, |c| {
                            c.methods.insert(new.clone(), m);
                        });
                    }
                }
                Some(Ok(Value::Nil))
            }
            "include" => {
                let mods: Vec<String> = args
                    .iter()
                    .filter_map(|a| as_native::<ClassRef>(a).map(|c| c.0.clone()))
                    .collect();
                self.update_class(&class, |c| c.includes.extend(mods));
                Some(Ok(Value::Nil))
            }
            n if CLASS_METADATA.contains(&n) => Some(Ok(Value::Nil)),
            // Hashie::Mash's `disable_warnings`: silences its key-conflict log messages,
            // which the interpreter does not write.
            "disable_warnings"
                if self
                    .external_base(&class)
                    .is_some_and(|b| b.trim_start_matches("::") == "Hashie::Mash") =>
            {
                Some(Ok(Value::Nil))
            }
            _ => None,
        }
    }

    /// `super` inside a library method: the next definition up the ancestors; InSpec's
    /// resource base answers `initialize` (nothing to do) and `resource_id(value)`.
    pub fn call_super(&mut self, args: Option<Vec<Value>>, off: u32) -> R {
        let Some(frame) = self.calls.last() else {
            return Err(self.unsupported("`super` outside a method", off));
        };
        let def = frame.def.clone();
        let args = args.unwrap_or_else(|| frame.args.clone());
        let Some(me) = self.self_stack.last().cloned() else {
            return Err(self.unsupported("`super` outside a method", off));
        };
        let class = match (as_native::<Instance>(&me), as_native::<ClassRef>(&me)) {
            (Some(i), _) => i.class.clone(),
            (None, Some(c)) => c.0.clone(),
            _ => return Err(self.unsupported("`super` outside a method", off)),
        };
        let singleton = as_native::<ClassRef>(&me).is_some();
        let ancestors = self.ancestors(&class);
        let after: Vec<String> = ancestors
            .iter()
            .skip_while(|c| **c != def.owner)
            .skip(1)
            .cloned()
            .collect();
        let next = self.find_in(&after, |c| {
            if singleton {
                c.singleton.get(&def.name).cloned()
            } else {
                c.methods.get(&def.name).cloned()
            }
        });
        if let Some(next) = next {
            return self.call_def(&next, Some(me), &args);
        }
        if !singleton {
            if def.name == "initialize" {
                return self.base_initialize(&me, &class, &args);
            }
            if let Some(inst) = as_native::<Instance>(&me) {
                if let Some(base) = inst.base() {
                    return self.call_base(inst, base, &def.name, &args, None, off);
                }
            }
        }
        match def.name.as_str() {
            "initialize" => Ok(Value::Nil),
            "respond_to_missing?" => Ok(Value::Bool(false)),
            "to_s" | "resource_id" if !singleton => {
                let inst = as_native::<Instance>(&me);
                match inst {
                    Some(i) => {
                        match self.instance_base(&me, i, &class, &def.name, &args, None, off) {
                            Some(r) => r,
                            None => Ok(Value::Nil),
                        }
                    }
                    None => Ok(Value::Nil),
                }
            }
            "method_missing" => {
                let m = args.first().map(to_s).unwrap_or_default();
                Err(undefined(&m, &class))
            }
            other => Err(undefined(other, &class)),
        }
    }

    /// Whether a raised error is of `class` (library exception classes by their ancestors).
    pub fn error_is_a(&self, err: &RubyError, class: &str) -> bool {
        if err.is_a(class) {
            return true;
        }
        let ancestors = self.ancestors(&err.class);
        if ancestors.iter().any(|a| a == class) {
            return true;
        }
        // A library exception class derives from a core one (`class PamError < StandardError`).
        ancestors
            .iter()
            .filter_map(|a| self.classes.get(a))
            .filter_map(|c| c.superclass.clone())
            .any(|base| RubyError::new(&base, "").is_a(class))
    }

    /// Class methods of the classes libraries lean on (`JSON.parse`, `Inspec::Log.warn`,
    /// `FilterTable.create`). None: not one of them.
    pub fn call_library_class(
        &mut self,
        class: &str,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
    ) -> Option<R> {
        if !LIBRARY_CLASS_METHODS.contains(&(class, name)) {
            return None;
        }
        let a0 = args.first().cloned().unwrap_or(Value::Nil);
        Some(match (class, name) {
            ("JSON", "parse") => crate::native::ruby::corelib::json::parse(&to_s(&a0), args.get(1)),
            ("Inspec::Log", _) => Ok(Value::Nil),
            ("FilterTable", "create") => {
                Ok(native(FilterBuilder(Mutex::new(TableSpec::default()))))
            }
            ("Struct", "new") => self.define_struct(args, blk),
            ("Hashie::Mash", "new") => Ok(crate::native::ruby::mash::new_mash(args)),
            _ => return None,
        })
    }

    /// A method of `FilterTable.create`'s builder (chained: each returns the builder).
    pub fn call_filter_builder(
        &mut self,
        recv: &Value,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> Option<R> {
        let b = as_native::<FilterBuilder>(recv)?;
        let a0 = args.first().map(to_s).unwrap_or_default();
        let Ok(mut spec) = b.0.lock() else {
            return Some(Ok(recv.clone()));
        };
        match name {
            "register_column" | "add_accessor" => {
                let field = args
                    .get(1)
                    .and_then(|o| o.hash_get(&Value::Sym("field".into())))
                    .map(to_s)
                    .unwrap_or_else(|| a0.clone());
                spec.columns.push((a0, field));
            }
            "register_custom_matcher" | "register_custom_property" => {
                let block = match blk {
                    Some(Blk::Ast(b)) => Some(Arc::new(b.clone())),
                    _ => None,
                };
                spec.custom.push((a0, block));
            }
            "install_filter_methods_on_resource" | "connect" => {
                spec.source = args.get(1).map(to_s).unwrap_or_default();
                let spec = spec.clone();
                let target = args
                    .first()
                    .and_then(|a| as_native::<ClassRef>(a).map(|c| c.0.clone()))
                    .or_else(|| self.class_body.last().cloned());
                let Some(class) = target else {
                    return Some(Err(
                        self.unsupported(format!("FilterTable `{name}` outside a class"), off)
                    ));
                };
                self.update_class(&class, |c| c.table = Some(spec));
                return Some(Ok(Value::Nil));
            }
            _ => return None,
        }
        Some(Ok(recv.clone()))
    }

    /// `Struct.new(:a, :b) do ... end`: a class with those accessors and a positional
    /// `initialize`; the block's `def`s are its methods.
    fn define_struct(&mut self, args: &[Value], blk: Option<Blk<'_>>) -> R {
        let fields: Vec<String> = args
            .iter()
            .filter(|a| matches!(a, Value::Sym(_) | Value::Str(_)))
            .map(to_s)
            .collect();
        let name = format!("#<Struct {}>", fields.join(", "));
        let body = match blk {
            Some(Blk::Ast(b)) => b.body.as_slice(),
            _ => &[],
        };
        let class = struct_class(&name, fields, body, &self.file);
        self.classes.insert(name.clone(), Arc::new(class));
        Ok(native(ClassRef(name)))
    }
}

impl<E: Embedding> Interp<'_, E> {
    /// The local variables visible here, innermost binding of each name.
    fn visible_locals(&self) -> Vec<(String, Value)> {
        self.visible_locals_with_scopes()
            .into_iter()
            .map(|(k, v, _)| (k, v))
            .collect()
    }
}

/// InSpec's resource base around `initialize`: its exceptions become the resource's state.
fn resource_outcome(r: R<()>) -> R<()> {
    match r {
        Err(Flow::Raise(e)) if e.class == RESOURCE_SKIPPED || e.class == "NoMethodError" => {
            Err(Flow::Skip(e.message))
        }
        Err(Flow::Raise(e)) if e.class == "NotImplementedError" => {
            Err(Flow::raise(RESOURCE_FAILED, e.message))
        }
        other => other,
    }
}

fn set_state(inst_val: &Value, f: Flow) {
    if let Some(inst) = as_native::<Instance>(inst_val) {
        if let Ok(mut s) = inst.state.lock() {
            *s = Some(f);
        }
    }
}

/// Whether an instance's core value or built-in resource answers `name` (other names go on
/// to what a bare call reaches: `def`s, resources, `Array()`).
fn base_answers<E: Embedding>(base: &Value, name: &str) -> bool {
    match base {
        Value::Resource(_) => E::knows_method(name) || matches!(name, "[]" | "to_s" | "inspect"),
        // A Mash answers its keys as methods.
        v if as_native::<crate::native::ruby::mash::Mash>(v).is_some() => true,
        _ => methods::is_builtin(name),
    }
}

/// Whether an array holds library objects (whose `==` is their own).
fn has_objects(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|x| as_native::<Instance>(x).is_some()),
        _ => false,
    }
}

/// `Array.new(size = 0, default = nil)` / `Array.new(array)`, `Hash.new`, `String.new(str = "")`:
/// the value a core superclass's `initialize` makes.
fn core_new(core: &str, args: &[Value]) -> R {
    Ok(match (core, args) {
        ("Array", []) => Value::Array(Vec::new()),
        ("Array", [Value::Array(a)]) => Value::Array(a.clone()),
        ("Array", [Value::Int(n)] | [Value::Int(n), _]) => {
            if *n < 0 {
                return Err(Flow::raise("ArgumentError", "negative array size"));
            }
            let n = usize::try_from(*n).unwrap_or(usize::MAX);
            if n > crate::native::ruby::MAX_ITEMS {
                return Err(Flow::raise("ArgumentError", "array size too big"));
            }
            Value::Array(vec![args.get(1).cloned().unwrap_or(Value::Nil); n])
        }
        ("Hash", []) => Value::Hash(Vec::new()),
        ("Hashie::Mash", _) => crate::native::ruby::mash::new_mash(args),
        ("String", []) => Value::str(""),
        ("String", [Value::Str(s)]) => Value::Str(s.clone()),
        _ => {
            return Err(Flow::raise(
                "ArgumentError",
                format!("{core}.new with these arguments is outside the native subset"),
            ))
        }
    })
}

fn undefined(name: &str, class: &str) -> Flow {
    Flow::raise(
        "NoMethodError",
        format!("undefined method `{name}' for an instance of {class}"),
    )
}

/// A class reopened in another file: the later definitions win.
fn merge(mut old: ClassDef, new: ClassDef) -> ClassDef {
    old.methods.extend(new.methods);
    old.singleton.extend(new.singleton);
    old.attr_readers.extend(new.attr_readers);
    old.attr_writers.extend(new.attr_writers);
    old.private.extend(new.private);
    old.includes.extend(new.includes);
    old.statements.extend(new.statements);
    old.resource = new.resource.or(old.resource);
    old.superclass = new.superclass.or(old.superclass);
    old.is_resource |= new.is_resource;
    old.blocked = old.blocked.or(new.blocked);
    old.supports.extend(new.supports);
    old
}

/// RSpec custom matchers (rspec-expectations' `RSpec::Matchers.define`): a matcher is an
/// instance of the definition's class; running the definition's statements with the
/// matcher's arguments records its `match`, `chain`, `description` and `failure_message`
/// blocks in the instance.
impl<E: Embedding> Interp<'_, E> {
    /// The class of the custom matcher `name`, if a library defines one.
    pub fn matcher_class_of(&self, name: &str) -> Option<String> {
        let class = format!("{MATCHERS_NAMESPACE}::{name}");
        self.classes
            .get(&class)
            .is_some_and(|c| c.matcher_params.is_some())
            .then_some(class)
    }

    /// `name(args)` of a custom matcher: the definition's statements run with `self` the
    /// new matcher and its block parameters bound to `args`.
    pub fn new_matcher(&mut self, class: &str, args: &[Value]) -> R {
        let Some(def) = self.classes.get(class).cloned() else {
            return Ok(Value::Nil);
        };
        let inst = Instance::new(class);
        inst.set_ivar("\0expected", Value::Array(args.to_vec()));
        let inst_val = native(inst);
        let params = def.matcher_params.clone().unwrap_or_default();
        let saved_file = std::mem::replace(&mut self.file, def.file.clone());
        self.self_stack.push(inst_val.clone());
        let r = self.scoped(true, |me| {
            me.bind_params(&params, args)?;
            for s in &def.statements {
                me.eval(s)?;
            }
            Ok(Value::Nil)
        });
        self.self_stack.pop();
        self.file = saved_file;
        r.map(|_| inst_val)
    }

    /// Whether a custom matcher's definition is running (`self` is the matcher, outside
    /// its methods).
    pub fn defining_matcher(&self) -> bool {
        self.calls.is_empty()
            && self
                .self_stack
                .last()
                .and_then(as_native::<Instance>)
                .and_then(|i| self.classes.get(&i.class))
                .is_some_and(|c| c.matcher_params.is_some())
    }

    /// A matcher DSL call while a definition runs (`match do |actual| ... end`). None: not
    /// one, or `self` is not a matcher.
    pub fn call_matcher_dsl(
        &mut self,
        name: &str,
        args: &[Value],
        block: Option<&crate::profile::ast::Block>,
    ) -> Option<R> {
        if !MATCHER_DSL.contains(&name) || !self.calls.is_empty() {
            return None;
        }
        let me = self.self_stack.last().cloned()?;
        let inst = as_native::<Instance>(&me)?;
        let class = inst.class.clone();
        self.classes.get(&class)?.matcher_params.as_ref()?;
        let stored = |me: &Self, method: &str| {
            block.map(|b| {
                native(MatcherBlock(Arc::new(MethodDef {
                    name: method.to_string(),
                    params: b.params.clone(),
                    body: b.body.clone(),
                    file: me.file.clone(),
                    owner: class.clone(),
                    captured: me.visible_locals(),
                })))
            })
        };
        match name {
            "chain" => {
                let chain = args.first().map(to_s).unwrap_or_default();
                let v = match stored(self, &chain) {
                    Some(b) => b,
                    // `chain :name, :attr`: the chain sets @attr to its argument.
                    None => Value::Array(args.get(1..).unwrap_or(&[]).to_vec()),
                };
                inst.set_ivar(&format!("\0chain:{chain}"), v);
            }
            "diffable" | "supports_block_expectations" => {}
            _ => {
                if let Some(b) = stored(self, name) {
                    inst.set_ivar(&format!("\0{name}"), b);
                }
            }
        }
        Some(Ok(Value::Nil))
    }

    /// A custom matcher's chain (`.all_with_args(x)`, returning the matcher), `expected`
    /// and `actual`. None: not a matcher, or not one of these.
    fn matcher_method(
        &mut self,
        recv: &Value,
        inst: &Instance,
        name: &str,
        args: &[Value],
    ) -> Option<R> {
        self.classes.get(&inst.class)?.matcher_params.as_ref()?;
        match inst.ivar(&format!("\0chain:{name}")) {
            Value::Nil => {}
            Value::Array(attrs) => {
                for (a, v) in attrs.iter().zip(args) {
                    inst.set_ivar(&to_s(a), v.clone());
                }
                return Some(Ok(recv.clone()));
            }
            b => {
                let def = as_native::<MatcherBlock>(&b)?.0.clone();
                return Some(
                    self.call_def(&def, Some(recv.clone()), args)
                        .map(|_| recv.clone()),
                );
            }
        }
        if self.find_method(&inst.class, name).is_some() {
            return None;
        }
        match name {
            "expected" => Some(Ok(match inst.ivar("\0expected") {
                Value::Array(a) if a.len() == 1 => a[0].clone(),
                other => other,
            })),
            "expected_as_array" => Some(Ok(inst.ivar("\0expected"))),
            "actual" => Some(Ok(inst.ivar("actual"))),
            _ => None,
        }
    }

    /// Runs one of the matcher's recorded blocks with `self` the matcher. None: it has none.
    fn matcher_block(&mut self, m: &Value, which: &str, args: &[Value]) -> Option<R> {
        let inst = as_native::<Instance>(m)?;
        let b = inst.ivar(&format!("\0{which}"));
        let def = as_native::<MatcherBlock>(&b)?.0.clone();
        Some(self.call_def(&def, Some(m.clone()), args))
    }

    /// The matcher's description: its `description` block's, or RSpec's default (the name
    /// in words and the expected values, `match pam rule "auth required pam_unix.so"`).
    /// None: `m` is not a custom matcher.
    pub fn matcher_description(&mut self, m: &Value) -> Option<R<String>> {
        let inst = as_native::<Instance>(m)?;
        let class = inst.class.clone();
        self.classes.get(&class)?.matcher_params.as_ref()?;
        if let Some(r) = self.matcher_block(m, "description", &[]) {
            return Some(r.and_then(|v| self.stringify(&v)));
        }
        let name = class.rsplit("::").next().unwrap_or("").replace('_', " ");
        let expected = match inst.ivar("\0expected") {
            Value::Array(a) => a,
            _ => Vec::new(),
        };
        let shown: Vec<String> = expected.iter().map(|v| format!("{v:?}")).collect();
        // RSpec's EnglishPhrasing.list: " a", " a and b", " a, b, and c".
        let list = match shown.as_slice() {
            [] => String::new(),
            [a] => format!(" {a}"),
            [a, b] => format!(" {a} and {b}"),
            [init @ .., last] => format!(" {}, and {last}", init.join(", ")),
        };
        Some(Ok(format!("{name}{list}")))
    }

    /// Whether `actual` meets the custom matcher `m` (negated: `should_not`), and the
    /// failure message when it does not. None: `m` is not a custom matcher.
    pub fn run_matcher(
        &mut self,
        m: &Value,
        actual: Value,
        negated: bool,
    ) -> Option<R<(bool, String)>> {
        let inst = as_native::<Instance>(m)?;
        self.classes.get(&inst.class)?.matcher_params.as_ref()?;
        inst.set_ivar("actual", actual.clone());
        Some(self.run_matcher_blocks(m, actual, negated))
    }

    fn run_matcher_blocks(&mut self, m: &Value, actual: Value, negated: bool) -> R<(bool, String)> {
        let args = [actual];
        let passed = match (negated, self.matcher_block(m, "match_when_negated", &args)) {
            (true, Some(r)) => r?.truthy(),
            _ => match self.matcher_block(m, "match", &args) {
                Some(r) => r?.truthy() != negated,
                None => {
                    return Err(Flow::raise(
                        "NotImplementedError",
                        "the custom matcher has no `match` block",
                    ))
                }
            },
        };
        if passed {
            return Ok((true, String::new()));
        }
        let which = if negated {
            "failure_message_when_negated"
        } else {
            "failure_message"
        };
        if let Some(r) = self.matcher_block(m, which, &args) {
            let v = r?;
            return Ok((false, self.stringify(&v)?));
        }
        // RSpec's default: "expected <actual> to <description>", `actual` as the match
        // block left it.
        let shown = match as_native::<Instance>(m).map(|i| i.ivar("actual")) {
            Some(v @ (Value::Native(_) | Value::Resource(_) | Value::Table(_))) => {
                self.stringify(&v)?
            }
            Some(v) => format!("{v:?}"),
            None => String::new(),
        };
        let desc = match self.matcher_description(m) {
            Some(d) => d?,
            None => String::new(),
        };
        Ok((
            false,
            format!(
                "expected {shown} {}to {desc}",
                if negated { "not " } else { "" }
            ),
        ))
    }
}
