//! The interpreter's own objects carried in [`Value::Native`]: custom resources from
//! `libraries/` (their classes and instances), `def` methods, the `inspec` handle, class
//! references, rescued exceptions and poisoned file-level values.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::native::ruby::value::Value;
use crate::native::ruby::{Embedding, Flow, Interp, RubyError, R};
use crate::profile::ast::{DefExpr, Expr, ExprKind, Param};

/// A `def` (file-level helper or a custom resource's method).
#[derive(Debug)]
pub struct MethodDef {
    pub name: String,
    pub params: Vec<Param>,
    pub body: Vec<Expr>,
    /// The file it was written in (for `file:line` of what happens inside).
    pub file: String,
}

/// `class X < Inspec.resource(1)` from `libraries/`.
#[derive(Debug)]
pub struct ResourceClass {
    pub name: String,
    pub methods: HashMap<String, Arc<MethodDef>>,
    pub attr_readers: Vec<String>,
    /// A class-body statement outside the subset: instances cannot be made.
    pub blocked: Option<(String, String)>,
}

/// An instance of a custom resource.
pub struct Instance {
    pub class: Arc<ResourceClass>,
    pub ivars: Mutex<HashMap<String, Value>>,
}

impl Instance {
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
}

/// The `inspec` receiver inside custom resources: `inspec.command(...)`.
pub struct InspecHandle;

/// A class constant used as a value (`be_a(Integer)`, `x.is_a?(String)`).
pub struct ClassRef(pub String);

/// The value of `rescue => e`.
pub struct Exception(pub RubyError);

/// A file-level variable whose value could not be computed natively: using it re-raises
/// why, so only the controls that depend on it are affected.
pub struct Poison(pub Flow);

/// Class statements of a custom resource that only describe it.
const CLASS_METADATA: &[&str] = &[
    "name",
    "desc",
    "example",
    "supports",
    "private",
    "protected",
    "public",
    "include",
    "require",
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
    "JSON",
    "Exception",
    "StandardError",
    "RuntimeError",
    "ArgumentError",
    "NoMethodError",
    "NameError",
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
];

/// Whether a superclass expression is `Inspec.resource(1)` (or a bare `Inspec::Resource`).
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

/// The custom resources of one library file.
pub fn load_library(file: &str, body: &[Expr], at: &dyn Fn(u32) -> String) -> Vec<ResourceClass> {
    let mut out = Vec::new();
    for stmt in body {
        match &stmt.kind {
            ExprKind::Class {
                superclass: Some(sc),
                body,
                ..
            } if is_resource_superclass(sc) => {
                let mut class = ResourceClass {
                    name: String::new(),
                    methods: HashMap::new(),
                    attr_readers: Vec::new(),
                    blocked: None,
                };
                for s in body {
                    match &s.kind {
                        ExprKind::Def(d) if d.singleton.is_none() => {
                            let DefExpr {
                                name, params, body, ..
                            } = &**d;
                            class.methods.insert(
                                name.clone(),
                                Arc::new(MethodDef {
                                    name: name.clone(),
                                    params: params.clone(),
                                    body: body.clone(),
                                    file: file.to_string(),
                                }),
                            );
                        }
                        ExprKind::Call {
                            recv: None,
                            name,
                            args,
                            ..
                        } if name == "attr_reader" || name == "attr_accessor" => {
                            class
                                .attr_readers
                                .extend(args.iter().filter_map(|a| a.as_str_or_sym()));
                        }
                        ExprKind::Call {
                            recv: None,
                            name,
                            args,
                            ..
                        } if CLASS_METADATA.contains(&name.as_str()) => {
                            if name == "name" {
                                if let Some(n) = args.first().and_then(|a| a.as_str_or_sym()) {
                                    class.name = n;
                                }
                            }
                        }
                        _ => {
                            if class.blocked.is_none() {
                                class.blocked = Some((
                                    "statement in the body of a custom resource class".to_string(),
                                    at(s.span.start),
                                ));
                            }
                        }
                    }
                }
                if !class.name.is_empty() {
                    out.push(class);
                }
            }
            ExprKind::Module { body, .. } => out.extend(load_library(file, body, at)),
            _ => {}
        }
    }
    out
}

pub fn native<T: Send + Sync + 'static>(x: T) -> Value {
    Value::Native(Arc::new(x))
}

pub fn as_native<T: 'static>(v: &Value) -> Option<&T> {
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
                Param::Block(n) => self.declare(n, Value::Nil),
            }
        }
        Ok(())
    }

    /// Calls a `def` with `self_value` as `self` (None: a file-level helper).
    pub fn call_def(
        &mut self,
        def: &Arc<MethodDef>,
        self_value: Option<Value>,
        args: &[Value],
    ) -> R {
        let saved_file = std::mem::replace(&mut self.file, def.file.clone());
        let pushed = self_value.is_some();
        if let Some(s) = self_value {
            self.self_stack.push(s);
        }
        let r = self.scoped(true, |me| {
            me.bind_params(&def.params, args)?;
            me.eval_body(&def.body)
        });
        if pushed {
            self.self_stack.pop();
        }
        self.file = saved_file;
        match r {
            Err(Flow::Return(v)) => Ok(v),
            other => other,
        }
    }

    /// A custom resource instance (`initialize` run with the arguments).
    pub fn instantiate(&mut self, class: &Arc<ResourceClass>, args: &[Value]) -> R {
        if let Some((construct, at)) = &class.blocked {
            return Err(Flow::Unsupported {
                construct: format!("{construct} (resource `{}`)", class.name),
                at: at.clone(),
            });
        }
        let inst = native(Instance {
            class: class.clone(),
            ivars: Mutex::new(HashMap::new()),
        });
        if let Some(init) = class.methods.get("initialize").cloned() {
            self.call_def(&init, Some(inst.clone()), args)?;
        }
        Ok(inst)
    }

    /// A method of a custom resource instance.
    pub fn call_instance(
        &mut self,
        recv: &Value,
        inst: &Instance,
        name: &str,
        args: &[Value],
    ) -> Option<R> {
        if let Some(def) = inst.class.methods.get(name).cloned() {
            return Some(self.call_def(&def, Some(recv.clone()), args));
        }
        if inst.class.attr_readers.iter().any(|a| a == name) {
            return Some(Ok(inst.ivar(name)));
        }
        match name {
            "to_s" | "inspect" => Some(Ok(Value::Str(inst.class.name.clone()))),
            "respond_to?" => Some(Ok(Value::Bool(args.first().is_some_and(|a| {
                let m = crate::native::ruby::methods::to_s(a);
                inst.class.methods.contains_key(&m) || inst.class.attr_readers.contains(&m)
            })))),
            _ => None,
        }
    }
}
