//! Ruby's Proc objects made from literal blocks: `->(x) { }`, `lambda { |x| }`, `proc { }`,
//! called with `.call`, `.()`, `[]`, `yield` or `===`, and passed on as `&blk`. A closure
//! shares the local variables visible where it was made, as Ruby's do: it reads and assigns
//! them in their scope while that scope runs, and keeps their last values after it ends.
//! It runs with that scope's `self`.

use std::sync::{Arc, Mutex};

use crate::native::ruby::objects::native;
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::{Embedding, Flow, Interp, R};
use crate::profile::ast::{Block, Param};

/// Methods of a Proc object (read by static coverage too).
pub const METHODS: &[&str] = &[
    "call", "()", "yield", "[]", "===", "to_proc", "lambda?", "arity",
];

/// A proc or lambda: its block, what it closed over, and which kind it is.
pub struct Closure {
    pub block: Arc<Block>,
    /// Each variable closed over: its name, its value when the scope holding it (by
    /// [`Frame::id`](crate::native::ruby::Frame)) has ended, and that scope.
    captured: Mutex<Vec<(String, Value, u64)>>,
    self_value: Option<Value>,
    file: String,
    /// A lambda checks its argument count and `return` leaves only the lambda; a proc
    /// spreads one array argument over its parameters and ignores extra or missing ones.
    pub lambda: bool,
}

impl NativeObject for Closure {
    fn class_name(&self) -> Option<&'static str> {
        Some("Proc")
    }
    fn inspect(&self) -> Option<String> {
        Some(if self.lambda {
            "#<Proc:0x0000 (lambda)>".into()
        } else {
            "#<Proc:0x0000>".into()
        })
    }
}

/// The names a block's parameters bind.
fn param_names(params: &[Param]) -> Vec<&str> {
    let mut out = Vec::new();
    for p in params {
        match p {
            Param::Required(n) | Param::Optional(n, _) | Param::Key(n, _) | Param::Block(n) => {
                out.push(n.as_str())
            }
            Param::Rest(Some(n)) | Param::KeyRest(Some(n)) => out.push(n.as_str()),
            Param::Rest(None) | Param::KeyRest(None) => {}
            Param::Destructure(inner) => out.extend(param_names(inner)),
        }
    }
    out
}

/// Ruby's `Proc#arity`: the number of required arguments, negative (-n-1) when optional or
/// rest arguments follow them; a proc's optional arguments count only with a rest one.
fn arity(c: &Closure) -> i64 {
    let p = &c.block.params;
    let req = p
        .iter()
        .filter(|p| matches!(p, Param::Required(_) | Param::Destructure(_)))
        .count() as i64;
    let opt = p.iter().any(|p| matches!(p, Param::Optional(..)));
    let rest = p.iter().any(|p| matches!(p, Param::Rest(_)));
    if rest || (c.lambda && opt) {
        -req - 1
    } else {
        req
    }
}

impl<E: Embedding> Interp<'_, E> {
    /// A new proc or lambda from a literal block, closing over the current scope.
    pub fn make_closure(&self, block: &Block, lambda: bool) -> Value {
        native(Closure {
            block: Arc::new(block.clone()),
            captured: Mutex::new(self.visible_locals_with_scopes()),
            self_value: self.self_stack.last().cloned(),
            file: self.file.clone(),
            lambda,
        })
    }

    /// The local variables visible here (innermost binding of each name), each with the
    /// scope holding it.
    pub(crate) fn visible_locals_with_scopes(&self) -> Vec<(String, Value, u64)> {
        let mut out: Vec<(String, Value, u64)> = Vec::new();
        for f in self.frames.iter().rev() {
            for (k, v) in &f.vars {
                if !out.iter().any(|(n, _, _)| n == k) {
                    out.push((k.clone(), v.clone(), f.id));
                }
            }
            if f.boundary {
                break;
            }
        }
        out
    }

    /// Variable `name` of scope `id`, if that scope still runs and holds it.
    fn scope_var(&self, id: u64, name: &str) -> Option<Value> {
        let f = self.frames.iter().rev().find(|f| f.id == id)?;
        f.vars.get(name).cloned()
    }

    fn set_scope_var(&mut self, id: u64, name: &str, v: Value) {
        if let Some(slot) = self
            .frames
            .iter_mut()
            .rev()
            .find(|f| f.id == id)
            .and_then(|f| f.vars.get_mut(name))
        {
            *slot = v;
        }
    }

    /// Methods of a Proc object; None: not one of them.
    pub fn call_closure_method(
        &mut self,
        c: &Closure,
        recv: &Value,
        name: &str,
        args: &[Value],
    ) -> Option<R> {
        Some(match name {
            "call" | "()" | "yield" | "[]" | "===" => self.call_closure(c, args.to_vec()),
            "to_proc" => Ok(recv.clone()),
            "lambda?" => Ok(Value::Bool(c.lambda)),
            "arity" => Ok(Value::Int(arity(c))),
            _ => return None,
        })
    }

    /// Runs a closure with `args`, in the scope it was made in.
    pub fn call_closure(&mut self, c: &Closure, args: Vec<Value>) -> R {
        let block = c.block.clone();
        let args = if c.lambda {
            let n = arity(c);
            // Keyword arguments arrive as a trailing Hash; they are not counted.
            let keywords = block
                .params
                .iter()
                .any(|p| matches!(p, Param::Key(..) | Param::KeyRest(_)));
            let kw = keywords && matches!(args.last(), Some(Value::Hash(_)));
            let given = args.len() as i64 - i64::from(kw);
            let ok = if n >= 0 { given == n } else { given >= -n - 1 };
            if !ok {
                let expected = if n >= 0 {
                    n.to_string()
                } else {
                    format!("{}+", -n - 1)
                };
                return Err(Flow::raise(
                    "ArgumentError",
                    format!("wrong number of arguments (given {given}, expected {expected})"),
                ));
            }
            args
        } else if block.params.len() > 1 && args.len() == 1 {
            match &args[0] {
                Value::Array(a) => a.clone(),
                _ => args,
            }
        } else {
            args
        };
        let pushed = c.self_value.is_some();
        if let Some(s) = &c.self_value {
            self.self_stack.push(s.clone());
        }
        let saved_file = std::mem::replace(&mut self.file, c.file.clone());
        let mut captured = match c.captured.lock() {
            Ok(v) => v.clone(),
            Err(p) => p.into_inner().clone(),
        };
        // The live value where the defining scope still runs.
        for (name, v, scope) in captured.iter_mut() {
            if let Some(live) = self.scope_var(*scope, name) {
                *v = live;
            }
        }
        let r = self.scoped(true, |me| {
            for (k, v, _) in &captured {
                me.declare(k, v.clone());
            }
            let r = me
                .bind_params(&block.params, &args)
                .and_then(|_| me.eval_body(&block.body));
            // What the body assigned goes back to the variables it closed over (a parameter
            // of the same name shadows the outer variable and is not written back).
            let params = param_names(&block.params);
            for (name, v, _) in captured.iter_mut() {
                if params.contains(&name.as_str()) {
                    continue;
                }
                if let Some(now) = me.frames.last().and_then(|f| f.vars.get(name.as_str())) {
                    *v = now.clone();
                }
            }
            r
        });
        for (name, v, scope) in &captured {
            self.set_scope_var(*scope, name, v.clone());
        }
        match c.captured.lock() {
            Ok(mut slot) => *slot = captured,
            Err(p) => *p.into_inner() = captured,
        }
        self.file = saved_file;
        if pushed {
            self.self_stack.pop();
        }
        match r {
            Err(Flow::Next(v)) => Ok(v),
            Err(Flow::Return(v) | Flow::Break(v)) if c.lambda => Ok(v),
            other => other,
        }
    }
}
