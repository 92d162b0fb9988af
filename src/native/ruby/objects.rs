//! The interpreter's own objects carried in [`Value::Native`]: custom resources from
//! `libraries/` (their classes and instances), `def` methods, the `inspec` handle, class
//! references, rescued exceptions and poisoned file-level values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::Blk;
use crate::native::ruby::{Embedding, Flow, Interp, RubyError, R};
use crate::profile::ast::{Block, DefExpr, Expr, ExprKind, Param};

/// InSpec's resource exceptions (`raise Inspec::Exceptions::ResourceSkipped, "why"`).
pub const RESOURCE_SKIPPED: &str = "Inspec::Exceptions::ResourceSkipped";
pub const RESOURCE_FAILED: &str = "Inspec::Exceptions::ResourceFailed";

/// A `def` (file-level helper, a class's method, or a `define_method` block).
#[derive(Debug)]
pub struct MethodDef {
    pub name: String,
    pub params: Vec<Param>,
    pub body: Vec<Expr>,
    /// The file it was written in (for `file:line` of what happens inside).
    pub file: String,
    /// The class or module it belongs to (full constant path; empty: file level): constants
    /// are looked up from there and `super` continues after it.
    pub owner: String,
    /// Local variables a `define_method` block closes over.
    pub captured: Vec<(String, Value)>,
}

/// A FilterTable built in a class body (`FilterTable.create ... .install_filter_methods_on_resource(self, :table)`).
#[derive(Clone, Debug, Default)]
pub struct TableSpec {
    /// `(accessor, field)` of each `register_column`.
    pub columns: Vec<(String, String)>,
    /// `register_custom_matcher` / `register_custom_property`: name and block.
    pub custom: Vec<(String, Option<Arc<Block>>)>,
    /// The method or instance variable holding the rows (an array of hashes).
    pub source: String,
}

/// A class or module of `libraries/` (a custom resource when it derives from
/// `Inspec.resource(1)`).
#[derive(Clone, Debug, Default)]
pub struct ClassDef {
    /// Full constant path (`Inspec::Resources::Virtualization`).
    pub name: String,
    /// The InSpec resource name (`name 'virtualization'`), for resources.
    pub resource: Option<String>,
    /// Derives from `Inspec.resource(1)` (directly or through a library class).
    pub is_resource: bool,
    pub is_module: bool,
    /// The superclass as written (`UpdateFetcher`, `StandardError`), resolved when loaded.
    pub superclass: Option<String>,
    pub methods: HashMap<String, Arc<MethodDef>>,
    /// `def self.x`.
    pub singleton: HashMap<String, Arc<MethodDef>>,
    pub attr_readers: Vec<String>,
    pub attr_writers: Vec<String>,
    pub private: Vec<String>,
    /// Included modules, as written.
    pub includes: Vec<String>,
    /// Class-body statements other than definitions, run when the library loads
    /// (constants, `define_method` loops, FilterTable set-up).
    pub statements: Vec<Expr>,
    /// A class construct outside the subset: instances cannot be made.
    pub blocked: Option<(String, String)>,
    pub file: String,
    pub table: Option<TableSpec>,
    /// `supports platform: 'unix'` entries (key, value), for InSpec's platform check.
    pub supports: Vec<Vec<(String, String)>>,
    /// An RSpec custom matcher (`RSpec::Matchers.define :name do |expected| ... end`): the
    /// block's parameters; its `def`s are the methods, its other statements (`match`,
    /// `chain`, `description`) run for each use.
    pub matcher_params: Option<Vec<Param>>,
}

/// The namespace custom matchers' classes are kept under (`RSpec::Matchers::be_even`).
pub const MATCHERS_NAMESPACE: &str = "RSpec::Matchers";

/// `RSpec::Matchers.define :name do |expected| ... end`: the matcher's name and block.
pub fn matcher_definition(stmt: &Expr) -> Option<(String, &Block)> {
    let ExprKind::Call {
        recv: Some(r),
        name,
        args,
        block: Some(block),
        ..
    } = &stmt.kind
    else {
        return None;
    };
    if name != "define"
        || crate::native::ruby::syntax::scoped_name(r).as_deref() != Some(MATCHERS_NAMESPACE)
    {
        return None;
    }
    let [arg] = args.as_slice() else {
        return None;
    };
    Some((arg.as_str_or_sym()?, block))
}

/// The class of a custom matcher: its `def`s (with `private`), the DSL statements to run.
pub fn matcher_class(
    name: &str,
    block: &Block,
    file: &str,
    at: &dyn Fn(u32) -> String,
) -> ClassDef {
    let mut class = ClassDef {
        name: format!("{MATCHERS_NAMESPACE}::{name}"),
        file: file.to_string(),
        matcher_params: Some(block.params.clone()),
        ..ClassDef::default()
    };
    let mut nested = Vec::new();
    load_class_body(file, &mut class, &block.body, at, &mut nested);
    class
}

impl ClassDef {
    /// Whether instances answer `name` from what is written in the class itself.
    pub fn defines(&self, name: &str) -> bool {
        self.methods.contains_key(name)
            || self.attr_readers.iter().any(|a| a == name)
            || name
                .strip_suffix('=')
                .is_some_and(|n| self.attr_writers.iter().any(|a| a == n))
    }
}

/// Ruby's `Object#to_s`: `#<Class:0x00007f…>`, the address 16 hex digits.
pub fn object_to_s(class: &str, address: usize) -> String {
    format!("#<{class}:0x{address:016x}>")
}

/// An address for an object that has none of its own here (a filtered table's view):
/// distinct per object, in the range Ruby's heap addresses print in.
pub fn next_object_address() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0x7f00_0000_0000);
    NEXT.fetch_add(0x28, Ordering::Relaxed)
}

/// An instance of a library class.
pub struct Instance {
    /// The class's full name (looked up in the interpreter, so methods added later count).
    pub class: String,
    pub ivars: Mutex<HashMap<String, Value>>,
    /// `skip_resource` / `fail_resource` (or their exceptions) during a call.
    pub exception: Mutex<Option<Flow>>,
    /// What a core or built-in resource superclass holds: the array, hash or string of a
    /// `class X < Array` (shared by every reference to the instance, as in Ruby), or the
    /// built-in resource of a `class X < PlatformResource`.
    pub base: Mutex<Option<Value>>,
    /// A custom resource skipped or failed by its `initialize` (InSpec keeps the object:
    /// a `describe` of it is one skipped or failed result, its methods still run).
    pub state: Mutex<Option<Flow>>,
}

impl Instance {
    pub fn new(class: &str) -> Self {
        Instance {
            class: class.to_string(),
            ivars: Mutex::new(HashMap::new()),
            exception: Mutex::new(None),
            base: Mutex::new(None),
            state: Mutex::new(None),
        }
    }
    pub fn state(&self) -> Option<Flow> {
        self.state.lock().ok().and_then(|s| s.clone())
    }
    pub fn base(&self) -> Option<Value> {
        self.base.lock().ok().and_then(|b| b.clone())
    }
    pub fn set_base(&self, v: Value) {
        if let Ok(mut b) = self.base.lock() {
            *b = Some(v);
        }
    }
    pub fn ivar(&self, name: &str) -> Value {
        self.ivars
            .lock()
            .map(|m| m.get(name).cloned().unwrap_or(Value::Nil))
            .unwrap_or(Value::Nil)
    }
    pub fn set_ivar(&self, name: &str, v: Value) {
        if let Ok(mut m) = self.ivars.lock() {
            m.insert(name.to_string(), v);
        }
    }
    pub fn take_exception(&self) -> Option<Flow> {
        self.exception.lock().ok().and_then(|mut e| e.take())
    }
    /// InSpec's `@resource_failed` / `@resource_skipped` and their message, as
    /// `fail_resource` / `skip_resource` left them (None when neither was called).
    pub fn resource_state(&self) -> Option<(bool, String)> {
        let pending = self.exception.lock().ok()?.clone();
        match pending.or_else(|| self.state()).as_ref()? {
            Flow::Skip(m) => Some((false, m.clone())),
            Flow::Raise(err) if err.class == RESOURCE_FAILED => Some((true, err.message.clone())),
            _ => None,
        }
    }
    pub fn set_exception(&self, f: Flow) {
        if let Ok(mut e) = self.exception.lock() {
            e.get_or_insert(f);
        }
    }
}

impl NativeObject for Instance {}

/// The `inspec` receiver inside custom resources: `inspec.command(...)`.
pub struct InspecHandle;

impl NativeObject for InspecHandle {}

/// `inspec.profile`: the running profile's data files (InSpec's RuntimeProfile,
/// runtime_profile.rb), the files under its `files/` directory.
pub struct RuntimeProfile;

impl NativeObject for RuntimeProfile {
    fn class_name(&self) -> Option<&'static str> {
        Some("Inspec::RuntimeProfile")
    }
}

/// A class constant used as a value (`be_a(Integer)`, `x.is_a?(String)`, `Foo.new`).
pub struct ClassRef(pub String);

impl NativeObject for ClassRef {
    fn to_s(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

/// The value of `rescue => e`.
pub struct Exception(pub RubyError);

impl NativeObject for Exception {
    fn to_s(&self) -> Option<String> {
        Some(self.0.message.clone())
    }
}

/// A file-level variable whose value could not be computed natively: using it re-raises
/// why, so only the controls that depend on it are affected.
pub struct Poison(pub Flow);

impl NativeObject for Poison {}

/// Class-body calls that only describe a class (InSpec's resource metadata, visibility,
/// `require`): nothing to run.
pub const CLASS_METADATA: &[&str] = &[
    "name",
    "desc",
    "example",
    "supports",
    "require",
    "require_relative",
    "extend",
    "protected",
    "public",
];

/// Calls a class body may make at load time (besides [`CLASS_METADATA`]), answered by
/// [`Interp::call_class_body`].
pub const CLASS_BODY_FUNCTIONS: &[&str] = &[
    "attr_reader",
    "attr_accessor",
    "attr_writer",
    "private",
    "include",
    "define_method",
    "alias_method",
    "private_constant",
];

pub const KNOWN_CLASSES: &[&str] = &[
    "SimpleConfig",
    "Date",
    "Time",
    "DateTime",
    "File",
    "Dir",
    "Pathname",
    "Set",
    "IPAddr",
    "JSON",
    "CSV",
    "Proc",
    "Exception",
    "StandardError",
    "RuntimeError",
    "ArgumentError",
    "NoMethodError",
    "NameError",
    "NotImplementedError",
    "TypeError",
    "KeyError",
    "IndexError",
    "ZeroDivisionError",
    "RangeError",
    "Integer",
    "String",
    "Array",
    "Hash",
    "Float",
    "Numeric",
    "Symbol",
    "NilClass",
    "TrueClass",
    "FalseClass",
    "Regexp",
    "Range",
    "Object",
    "Comparable",
    "Enumerable",
    "Inspec",
    "JSON",
    "FilterTable",
    "Struct",
];

/// Core classes a library class may derive from (`class Rules < Array`): instances hold
/// one such value, which answers the methods the class does not define.
pub const CORE_BASES: &[&str] = &["Array", "Hash", "String", "Hashie::Mash"];

/// Exception classes a library class may derive from.
const EXCEPTION_BASES: &[&str] = &[
    "Exception",
    "StandardError",
    "RuntimeError",
    "ArgumentError",
    "NotImplementedError",
    "TypeError",
];

/// Whether a superclass expression is `Inspec.resource(1)` (or `Inspec::Resource`).
pub fn is_resource_superclass(sc: &Expr) -> bool {
    match &sc.kind {
        ExprKind::Call {
            recv: Some(r),
            name,
            ..
        } => {
            name == "resource"
                && matches!(&r.kind, ExprKind::Const { name, .. } if name == "Inspec")
        }
        ExprKind::Const { name, .. } => name == "Resource",
        _ => false,
    }
}

fn join(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}::{name}")
    }
}

/// The classes and modules of one library file, nested ones with their full names.
pub fn load_library(file: &str, body: &[Expr], at: &dyn Fn(u32) -> String) -> Vec<ClassDef> {
    let mut out = Vec::new();
    load_scope(file, "", body, at, &mut out);
    // Resource-ness is inherited from library superclasses.
    loop {
        let resources: Vec<String> = out
            .iter()
            .filter(|c| c.is_resource)
            .map(|c| c.name.clone())
            .collect();
        let mut changed = false;
        for c in out.iter_mut().filter(|c| !c.is_resource) {
            if let Some(sc) = &c.superclass {
                if resources
                    .iter()
                    .any(|r| r == sc || r.ends_with(&format!("::{sc}")))
                {
                    c.is_resource = true;
                    changed = true;
                }
            }
        }
        if !changed {
            return out;
        }
    }
}

/// `Name = Struct.new(:a, :b) do ... end`: the constant and the call's fields and block.
pub fn struct_constant(stmt: &Expr) -> Option<(String, Vec<String>, &[Expr])> {
    let ExprKind::Assign { target, value } = &stmt.kind else {
        return None;
    };
    let ExprKind::Const { name, .. } = &target.kind else {
        return None;
    };
    let (fields, body) = struct_call(value)?;
    Some((name.clone(), fields, body))
}

/// `Struct.new(:a, :b) do ... end`: the fields and the block's body.
pub fn struct_call(value: &Expr) -> Option<(Vec<String>, &[Expr])> {
    let ExprKind::Call {
        recv: Some(r),
        name: m,
        args,
        block,
        ..
    } = &value.kind
    else {
        return None;
    };
    if m != "new"
        || !matches!(&r.kind, ExprKind::Const { name, scope: None, .. } if name == "Struct")
    {
        return None;
    }
    let fields = args
        .iter()
        .map(|a| a.as_str_or_sym())
        .collect::<Option<Vec<_>>>()?;
    let body = block.as_deref().map_or(&[][..], |b| b.body.as_slice());
    Some((fields, body))
}

/// A `Struct.new` class: an accessor per field, a positional `initialize`, and the block's
/// `def`s.
pub fn struct_class(name: &str, fields: Vec<String>, body: &[Expr], file: &str) -> ClassDef {
    let span = crate::profile::ast::Span { start: 0, end: 0 };
    let method = |method: &str, params: Vec<Param>, body: Vec<Expr>| {
        Arc::new(MethodDef {
            name: method.to_string(),
            params,
            body,
            file: file.to_string(),
            owner: name.to_string(),
            captured: Vec::new(),
        })
    };
    let params = fields
        .iter()
        .map(|f| Param::Optional(f.clone(), Expr::new(ExprKind::Nil, span)))
        .collect();
    let assigns = fields
        .iter()
        .map(|f| {
            Expr::new(
                ExprKind::Assign {
                    target: Box::new(Expr::new(ExprKind::IVar(format!("@{f}")), span)),
                    value: Box::new(Expr::new(ExprKind::Var(f.as_str().into()), span)),
                },
                span,
            )
        })
        .collect();
    let mut class = ClassDef {
        name: name.to_string(),
        attr_readers: fields.clone(),
        attr_writers: fields,
        file: file.to_string(),
        ..ClassDef::default()
    };
    class
        .methods
        .insert("initialize".into(), method("initialize", params, assigns));
    for s in body {
        if let ExprKind::Def(d) = &s.kind {
            class.methods.insert(
                d.name.clone(),
                method(&d.name, d.params.clone(), d.body.clone()),
            );
        }
    }
    class
}

fn load_scope(
    file: &str,
    scope: &str,
    body: &[Expr],
    at: &dyn Fn(u32) -> String,
    out: &mut Vec<ClassDef>,
) {
    for stmt in body {
        match &stmt.kind {
            ExprKind::Class {
                path,
                superclass,
                body,
            } => {
                let Some(name) = crate::native::ruby::syntax::scoped_name(path) else {
                    continue;
                };
                let full = join(scope, &name);
                let mut class = take_class(out, &full, file);
                // Outer classes before the classes nested in them (their bodies run so).
                let pos = out.len();
                match superclass.as_deref() {
                    Some(sc) if is_resource_superclass(sc) => class.is_resource = true,
                    Some(sc) => match crate::native::ruby::syntax::scoped_name(sc) {
                        Some(n)
                            if KNOWN_CLASSES.contains(&n.as_str())
                                && !EXCEPTION_BASES.contains(&n.as_str())
                                && !CORE_BASES.contains(&n.as_str()) =>
                        {
                            class.blocked.get_or_insert((
                                format!("class deriving from the core class `{n}`"),
                                at(sc.span.start),
                            ));
                        }
                        Some(n) => class.superclass = Some(n),
                        // `class Point < Struct.new(:x, :y)`: the struct's class, named as
                        // Ruby shows it, is the superclass.
                        None if struct_call(sc).is_some() => {
                            let (fields, body) = struct_call(sc).unwrap_or_default();
                            let name = format!("#<Struct {}>", fields.join(", "));
                            out.push(struct_class(&name, fields, body, file));
                            class.superclass = Some(name);
                        }
                        None => {
                            class.blocked.get_or_insert((
                                "class with a computed superclass".to_string(),
                                at(sc.span.start),
                            ));
                        }
                    },
                    None => {}
                }
                load_class_body(file, &mut class, body, at, out);
                out.insert(pos, class);
            }
            ExprKind::Module { path, body } => {
                let Some(name) = crate::native::ruby::syntax::scoped_name(path) else {
                    continue;
                };
                let full = join(scope, &name);
                let mut module = take_class(out, &full, file);
                module.is_module = true;
                let pos = out.len();
                load_class_body(file, &mut module, body, at, out);
                out.insert(pos, module);
            }
            _ if scope.is_empty() => {
                if let Some((name, fields, body)) = struct_constant(stmt) {
                    out.push(struct_class(&name, fields, body, file));
                }
            }
            _ => {}
        }
    }
}

/// The class already loaded under `full` (classes reopen), or a new one.
fn take_class(out: &mut Vec<ClassDef>, full: &str, file: &str) -> ClassDef {
    match out.iter().position(|c| c.name == full) {
        Some(i) => out.remove(i),
        None => ClassDef {
            name: full.to_string(),
            file: file.to_string(),
            ..ClassDef::default()
        },
    }
}

fn load_class_body(
    file: &str,
    class: &mut ClassDef,
    body: &[Expr],
    at: &dyn Fn(u32) -> String,
    out: &mut Vec<ClassDef>,
) {
    let mut private = false;
    for s in body {
        match &s.kind {
            ExprKind::Def(d) => {
                let DefExpr {
                    singleton,
                    name,
                    params,
                    body,
                } = &**d;
                let m = Arc::new(MethodDef {
                    name: name.clone(),
                    params: params.clone(),
                    body: body.clone(),
                    file: file.to_string(),
                    owner: class.name.clone(),
                    captured: Vec::new(),
                });
                match singleton {
                    Some(_) => {
                        class.singleton.insert(name.clone(), m);
                    }
                    None => {
                        if private && name != "initialize" {
                            class.private.push(name.clone());
                        }
                        class.methods.insert(name.clone(), m);
                    }
                }
            }
            ExprKind::Class { .. } | ExprKind::Module { .. } => {
                load_scope(file, &class.name.clone(), std::slice::from_ref(s), at, out)
            }
            ExprKind::Call {
                recv: None,
                name,
                args,
                block: None,
                ..
            } if matches!(
                name.as_str(),
                "attr_reader" | "attr_accessor" | "attr_writer" | "include"
            ) || (name == "private" && args.is_empty())
                || (name == "public" && args.is_empty()) =>
            {
                let names = args.iter().filter_map(|a| match &a.kind {
                    ExprKind::Const { .. } => crate::native::ruby::syntax::scoped_name(a),
                    _ => a.as_str_or_sym(),
                });
                match name.as_str() {
                    "attr_reader" => class.attr_readers.extend(names),
                    "attr_writer" => class.attr_writers.extend(names),
                    "attr_accessor" => {
                        let names: Vec<String> = names.collect();
                        class.attr_readers.extend(names.iter().cloned());
                        class.attr_writers.extend(names);
                    }
                    "include" => class.includes.extend(names),
                    "private" => private = true,
                    _ => private = false,
                }
            }
            ExprKind::Call {
                recv: None,
                name,
                args,
                ..
            } if CLASS_METADATA.contains(&name.as_str()) => {
                if name == "name" {
                    if let Some(n) = args.first().and_then(|a| a.as_str_or_sym()) {
                        class.resource = Some(n);
                    }
                }
                if name == "supports" {
                    if let Some(ExprKind::Hash { entries, .. }) = args.first().map(|a| &a.kind) {
                        class.supports.push(
                            entries
                                .iter()
                                .filter_map(|e| match e {
                                    crate::profile::ast::HashEntry::Pair(k, v) => {
                                        Some((k.as_str_or_sym()?, v.as_str_or_sym()?))
                                    }
                                    _ => None,
                                })
                                .collect(),
                        );
                    }
                }
            }
            ExprKind::SClass { .. } => {
                class.blocked.get_or_insert((
                    crate::native::ruby::syntax::construct_name(&s.kind),
                    at(s.span.start),
                ));
            }
            ExprKind::Alias(new, old) => {
                if let Some(m) = class.methods.get(old).cloned() {
                    class.methods.insert(new.clone(), m);
                }
            }
            _ => class.statements.push(s.clone()),
        }
    }
}

pub fn native<T: NativeObject>(x: T) -> Value {
    Value::Native(Arc::new(x))
}

pub fn as_native<T: NativeObject>(v: &Value) -> Option<&T> {
    match v {
        Value::Native(n) => n.downcast_ref::<T>(),
        _ => None,
    }
}

impl<E: Embedding> Interp<'_, E> {
    /// Binds call arguments to parameters in the current (new) scope.
    pub fn bind_params(&mut self, params: &[Param], args: &[Value]) -> R<()> {
        let mut args: Vec<Value> = args.to_vec();
        let wants_kw = params
            .iter()
            .any(|p| matches!(p, Param::Key(..) | Param::KeyRest(_)));
        let kwargs = if wants_kw && matches!(args.last(), Some(Value::Hash(_))) {
            args.pop()
        } else {
            None
        };
        let required = params
            .iter()
            .filter(|p| matches!(p, Param::Required(_) | Param::Destructure(_)))
            .count();
        let mut optional_left = args.len().saturating_sub(required);
        let mut it = args.into_iter();
        for p in params {
            match p {
                Param::Required(n) => {
                    let v = it.next().unwrap_or(Value::Nil);
                    self.declare(n, v);
                }
                Param::Destructure(inner) => {
                    let v = it.next().unwrap_or(Value::Nil);
                    let items = match v {
                        Value::Array(a) => a,
                        other => vec![other],
                    };
                    self.bind_params(inner, &items)?;
                }
                Param::Optional(n, default) => {
                    if optional_left > 0 {
                        optional_left -= 1;
                        let v = it.next().unwrap_or(Value::Nil);
                        self.declare(n, v);
                    } else {
                        let v = self.eval(default)?;
                        self.declare(n, v);
                    }
                }
                Param::Rest(n) => {
                    let rest: Vec<Value> = it.by_ref().take(optional_left).collect();
                    optional_left = 0;
                    if let Some(n) = n {
                        self.declare(n, Value::Array(rest));
                    }
                }
                Param::Key(n, default) => {
                    let key = Value::Sym(n.clone());
                    let v = match kwargs.as_ref().and_then(|h| h.hash_get(&key)) {
                        Some(v) => v.clone(),
                        None => match default {
                            Some(d) => self.eval(d)?,
                            None => {
                                return Err(Flow::raise(
                                    "ArgumentError",
                                    format!("missing keyword: :{n}"),
                                ))
                            }
                        },
                    };
                    self.declare(n, v);
                }
                Param::KeyRest(n) => {
                    if let Some(n) = n {
                        self.declare(n, kwargs.clone().unwrap_or(Value::Hash(Vec::new())));
                    }
                }
                Param::Block(n) => {
                    // A method's `&block` (binding right after its frame was pushed); a
                    // block's own `&b` gets nothing.
                    let frames = self.frames.len();
                    let given = self.calls.len().checked_sub(1).filter(|i| {
                        self.calls
                            .get(*i)
                            .is_some_and(|f| f.block.is_some() && f.frames_base + 1 == frames)
                    });
                    let v = given.map_or(Value::Nil, |i| native(ProcRef(i)));
                    self.declare(n, v)
                }
            }
        }
        Ok(())
    }

    /// Calls a `def` with `self_value` as `self` (None: a file-level helper); constants
    /// resolve from the method's class, and `super` continues after it.
    pub fn call_def(
        &mut self,
        def: &Arc<MethodDef>,
        self_value: Option<Value>,
        args: &[Value],
    ) -> R {
        self.call_def_with_block(def, self_value, args, None)
    }

    /// [`call_def`](Self::call_def) with the block the call was given (`yield` runs it).
    pub fn call_def_with_block(
        &mut self,
        def: &Arc<MethodDef>,
        self_value: Option<Value>,
        args: &[Value],
        blk: Option<Blk<'_>>,
    ) -> R {
        let block = blk.map(|b| match b {
            Blk::Ast(b) => FrameBlock::Ast(Arc::new(b.clone())),
            Blk::Sym(s) => FrameBlock::Sym(s.to_string()),
            Blk::Frame(i) => FrameBlock::Outer(i),
            Blk::Proc(i) => FrameBlock::Proc(i),
        });
        let given = block.is_some();
        let frames_base = self.frames.len();
        let self_base = self.self_stack.len();
        let saved_file = std::mem::replace(&mut self.file, def.file.clone());
        let pushed = self_value.is_some();
        if let Some(s) = self_value {
            self.self_stack.push(s);
        }
        self.calls.push(CallFrame {
            def: def.clone(),
            args: args.to_vec(),
            block,
            frames_base,
            self_base,
            file: saved_file.clone(),
        });
        let r = self.scoped(true, |me| {
            for (k, v) in &def.captured {
                me.declare(k, v.clone());
            }
            me.bind_params(&def.params, args)?;
            me.eval_body(&def.body)
        });
        self.calls.pop();
        if pushed {
            self.self_stack.pop();
        }
        self.file = saved_file;
        match r {
            Err(Flow::Return(v)) => Ok(v),
            // `break` in the block given to this call ends the call.
            Err(Flow::Break(v)) if given => Ok(v),
            other => other,
        }
    }

    /// Runs the block given to call frame `i` (`yield`, `block.call`) where it was written:
    /// with the caller's local variables, `self` and file, above nothing of the method's.
    pub fn call_frame_block(&mut self, i: usize, args: Vec<Value>, off: u32) -> R {
        let Some(frame) = self.calls.get(i) else {
            return Err(Flow::raise("LocalJumpError", "no block given (yield)"));
        };
        let block = match frame.block.clone() {
            Some(FrameBlock::Outer(j)) if j < i => return self.call_frame_block(j, args, off),
            Some(FrameBlock::Outer(_)) | None => {
                return Err(Flow::raise("LocalJumpError", "no block given (yield)"))
            }
            Some(b) => b,
        };
        let (frames_base, self_base, file) =
            (frame.frames_base, frame.self_base, frame.file.clone());
        let frames = self.frames.split_off(frames_base.min(self.frames.len()));
        let selves = self
            .self_stack
            .split_off(self_base.min(self.self_stack.len()));
        let calls = self.calls.split_off(i);
        let saved_file = std::mem::replace(&mut self.file, file);
        let r = match &block {
            FrameBlock::Ast(b) => self.call_block(Blk::Ast(b), args, off),
            FrameBlock::Sym(s) => self.call_block(Blk::Sym(s), args, off),
            FrameBlock::Proc(p) => self.call_block(Blk::Proc(*p), args, off),
            FrameBlock::Outer(_) => Ok(Value::Nil),
        };
        self.file = saved_file;
        self.frames.extend(frames);
        self.self_stack.extend(selves);
        self.calls.extend(calls);
        r
    }
}

/// The block a method was called with, kept while it runs.
#[derive(Clone)]
pub enum FrameBlock {
    Ast(Arc<Block>),
    Sym(String),
    /// The block of an outer call frame, passed on with `&block`.
    Outer(usize),
    /// A proc or lambda passed with `&blk` (index in `Interp::passed_procs`).
    Proc(usize),
}

/// A method's `&block` parameter: the block given to call frame `.0`.
pub struct ProcRef(pub usize);

impl NativeObject for ProcRef {
    fn class_name(&self) -> Option<&'static str> {
        Some("Proc")
    }
}

/// A method being run: for `super` (which method, and the arguments a bare `super` forwards)
/// and for constant lookup (its class); for `yield`, its block and where the caller's
/// scopes end.
pub struct CallFrame {
    pub def: Arc<MethodDef>,
    pub args: Vec<Value>,
    pub block: Option<FrameBlock>,
    pub frames_base: usize,
    pub self_base: usize,
    /// The caller's file (a yielded block runs there).
    pub file: String,
}
