//! Expression evaluation: literals, variables, operators, control flow, calls.

use std::sync::Arc;

use crate::native::ruby::frozen;
use crate::native::ruby::methods::{self, to_s};
use crate::native::ruby::objects::{
    as_native, native, ClassRef, Exception, InspecHandle, Instance, MethodDef, Poison, ProcRef,
    RuntimeProfile, KNOWN_CLASSES,
};
use crate::native::ruby::procs::Closure;
use crate::native::ruby::syntax::{construct_name, scoped_name};
use crate::native::ruby::value::Value;
use crate::native::ruby::{
    no_method, overflow, Blk, Embedding, Flow, Interp, RubyError, MAX_ITEMS, MAX_STRING, R,
};
use crate::profile::ast::{
    BeginExpr, BinOp, Block, DefExpr, Expr, ExprKind, HashEntry, StrPart, UnaryOp,
};

/// Methods that change their receiver: the new value is written back to the variable.
const MUTATORS: &[&str] = &[
    "<<",
    "push",
    "append",
    "concat",
    "unshift",
    "prepend",
    "insert",
    "delete",
    "delete_if",
    "[]=",
    "store",
    "merge!",
    "update",
    "uniq!",
    "sort!",
    "map!",
    "collect!",
    "compact!",
    "flatten!",
    "reverse!",
    "select!",
    "filter!",
    "reject!",
    "keep_if",
    "transform_values!",
    "transform_keys!",
    "slice!",
    "delete_at",
    "strip!",
    "chomp!",
    "gsub!",
    "sub!",
    "downcase!",
    "upcase!",
    "squeeze!",
    "clear",
    "replace",
    "pop",
    "shift",
];

impl<E: Embedding> Interp<'_, E> {
    /// The statements of a body; the value of the last one.
    pub fn eval_body(&mut self, body: &[Expr]) -> R {
        let mut last = Value::Nil;
        for e in body {
            last = self.eval(e)?;
        }
        Ok(last)
    }

    pub fn eval(&mut self, e: &Expr) -> R {
        self.tick()?;
        // A proc passed as `&blk` is needed until the call it was passed to ends, which is
        // within this expression.
        let procs = self.passed_procs.len();
        let r = stacker::maybe_grow(64 * 1024, 1024 * 1024, || self.eval_inner(e));
        self.passed_procs.truncate(procs);
        r
    }

    /// One node: literals here, everything else in a function per node kind.
    fn eval_inner(&mut self, e: &Expr) -> R {
        let off = e.span.start;
        match &e.kind {
            ExprKind::Nil => Ok(Value::Nil),
            ExprKind::True => Ok(Value::Bool(true)),
            ExprKind::False => Ok(Value::Bool(false)),
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Float(f) => Ok(Value::Float(*f)),
            ExprKind::Str(parts) => Ok(Value::Str(self.interpolate(parts)?)),
            ExprKind::Sym(s) => Ok(Value::Sym(s.to_string())),
            ExprKind::DSym(parts) => Ok(Value::Sym(self.interpolate(parts)?)),
            ExprKind::Regex { parts, flags } => Ok(Value::Regex {
                source: self.interpolate(parts)?,
                flags: flags.clone(),
            }),
            ExprKind::File => Ok(Value::Str(self.file.clone())),
            ExprKind::Line(n) => Ok(Value::Int(i64::from(*n))),
            ExprKind::Array(items) => {
                let v = Value::Array(self.eval_list(items)?);
                methods::check_depth(&v)?;
                Ok(v)
            }
            ExprKind::Hash { entries, .. } => self.eval_hash(entries),
            ExprKind::Range { lo, hi, exclusive } => {
                let (Some(lo), Some(hi)) = (lo, hi) else {
                    return Err(self.unsupported("endless range", off));
                };
                Ok(Value::Range {
                    lo: Box::new(self.eval(lo)?),
                    hi: Box::new(self.eval(hi)?),
                    exclusive: *exclusive,
                })
            }
            ExprKind::Var(name) => self.read_var(name),
            ExprKind::IVar(name) => Ok(match self.self_instance() {
                Some(inst) => inst.ivar(name.trim_start_matches('@')),
                None => E::ivars(self)
                    .and_then(|m| m.get(name.as_str()).cloned())
                    .unwrap_or(Value::Nil),
            }),
            ExprKind::GVar(name) => self.read_gvar(name, off),
            ExprKind::CVar(name) => match self.cvar_holder(name, off)? {
                (holder, true) => Ok(self
                    .cvars
                    .get(&(holder, name.clone()))
                    .cloned()
                    .unwrap_or(Value::Nil)),
                (holder, false) => Err(Flow::raise(
                    "NameError",
                    format!("uninitialized class variable {name} in {holder}"),
                )),
            },
            ExprKind::Const {
                scope: None, name, ..
            } => self.read_const(name, off),
            ExprKind::Const {
                scope: Some(scope),
                name,
                ..
            } => self.read_scoped_const(scope, name, off),
            ExprKind::Call {
                recv,
                name,
                args,
                block,
                safe_nav,
                ..
            } => self.eval_call(
                recv.as_deref(),
                name,
                args,
                block.as_deref(),
                *safe_nav,
                off,
            ),
            ExprKind::Index { recv, args } => {
                let r = self.eval(recv)?;
                let (a, _) = self.eval_args(args)?;
                self.index(r, a, off)
            }
            ExprKind::Unary { op, expr } => self.eval_unary(*op, expr),
            ExprKind::Binary { op, lhs, rhs } => self.eval_binary(*op, lhs, rhs, off),
            ExprKind::Assign { target, value } => {
                // A local exists (nil) from its assignment on, its own right-hand side
                // included: `fact = ->(n) { … fact.(n - 1) }` closes over `fact`.
                if let ExprKind::Var(n) = &target.kind {
                    if self.lookup(n).is_none() {
                        self.declare(n, Value::Nil);
                    }
                }
                let v = self.eval(value)?;
                self.assign_to(target, v.clone())?;
                if let ExprKind::Var(n) = &target.kind {
                    let frozen = matches!(v, Value::Str(_)) && self.frozen_expr(value);
                    self.mark_frozen(n, frozen);
                }
                Ok(v)
            }
            ExprKind::OpAssign { target, op, value } => {
                self.eval_op_assign(target, *op, value, off)
            }
            ExprKind::MultiAssign { targets, value } => self.eval_multi_assign(targets, value),
            ExprKind::If {
                cond,
                then_body,
                else_body,
            } => {
                if self.eval(cond)?.truthy() {
                    self.eval_body(then_body)
                } else {
                    self.eval_body(else_body)
                }
            }
            ExprKind::While {
                cond,
                body,
                until,
                do_while,
            } => self.eval_while(cond, body, *until, *do_while),
            ExprKind::For { var, iter, body } => self.eval_for(var, iter, body),
            ExprKind::Case {
                subject,
                whens,
                else_body,
            } => self.eval_case(subject.as_deref(), whens, else_body.as_deref()),
            ExprKind::Begin(b) => self.eval_begin(b),
            ExprKind::Paren(body) => self.eval_body(body),
            ExprKind::Def(d) => self.eval_def(d, off),
            ExprKind::Return(v) => Err(Flow::Return(self.eval_opt(v.as_deref())?)),
            ExprKind::Break(v) => Err(Flow::Break(self.eval_opt(v.as_deref())?)),
            ExprKind::Next(v) => Err(Flow::Next(self.eval_opt(v.as_deref())?)),
            ExprKind::Super { args, .. } if !self.calls.is_empty() => {
                let args = match args {
                    Some(a) => Some(self.eval_args(a)?.0),
                    None => None,
                };
                self.call_super(args, off)
            }
            ExprKind::Yield(args) if !self.calls.is_empty() => {
                let (args, _) = self.eval_args(args)?;
                let i = self.calls.len() - 1;
                self.call_frame_block(i, args, off)
            }
            ExprKind::Defined(inner) => self.eval_defined(inner, off),
            ExprKind::Lambda(b) => Ok(self.make_closure(b, true)),
            ExprKind::SelfRef if !self.self_stack.is_empty() => {
                Ok(self.self_stack.last().cloned().unwrap_or(Value::Nil))
            }
            other => Err(self.unsupported(construct_name(other), off)),
        }
    }

    /// `defined?(x)` for variables and constants: Ruby's description, or nil.
    fn eval_defined(&mut self, inner: &Expr, off: u32) -> R {
        let what = match &inner.kind {
            ExprKind::IVar(n) => self
                .self_instance()
                .is_some_and(|i| {
                    i.ivars
                        .lock()
                        .is_ok_and(|m| m.contains_key(n.trim_start_matches('@')))
                })
                .then_some("instance-variable"),
            ExprKind::Var(_) => Some("local-variable"),
            ExprKind::CVar(n) => self
                .cvar_holder(n, inner.span.start)?
                .1
                .then_some("class variable"),
            ExprKind::GVar(_) => self.eval(inner)?.truthy().then_some("global-variable"),
            ExprKind::Const { .. } => match self.eval(inner) {
                Ok(_) => Some("constant"),
                Err(Flow::Unsupported { .. }) => None,
                Err(Flow::Raise(e)) if e.class == "NameError" => None,
                Err(e) => return Err(e),
            },
            _ => return Err(self.unsupported("`defined?`", off)),
        };
        Ok(what.map_or(Value::Nil, Value::str))
    }

    fn eval_opt(&mut self, e: Option<&Expr>) -> R {
        match e {
            Some(x) => self.eval(x),
            None => Ok(Value::Nil),
        }
    }

    fn eval_hash(&mut self, entries: &[HashEntry]) -> R {
        let mut pairs: Vec<(Value, Value)> = Vec::new();
        for en in entries {
            match en {
                HashEntry::Pair(k, v) => {
                    let k = self.eval(k)?;
                    let v = self.eval(v)?;
                    methods::hash_set(&mut pairs, k, v);
                }
                HashEntry::Splat(x) => match self.eval(x)? {
                    Value::Hash(h) => {
                        for (k, v) in h {
                            methods::hash_set(&mut pairs, k, v);
                        }
                    }
                    Value::Nil => {}
                    other => {
                        return Err(Flow::raise(
                            "TypeError",
                            format!("no implicit conversion of {} into Hash", other.class_name()),
                        ))
                    }
                },
            }
        }
        let v = Value::Hash(pairs);
        methods::check_depth(&v)?;
        Ok(v)
    }

    fn eval_unary(&mut self, op: UnaryOp, expr: &Expr) -> R {
        let v = self.eval(expr)?;
        Ok(match op {
            UnaryOp::Not => Value::Bool(!v.truthy()),
            UnaryOp::Pos => v,
            UnaryOp::Neg => match v {
                Value::Int(i) => Value::Int(i.checked_neg().ok_or_else(overflow)?),
                Value::Float(f) => Value::Float(-f),
                other => return Err(no_method("-@", &other)),
            },
            UnaryOp::BitNot => match v {
                Value::Int(i) => Value::Int(!i),
                other => return Err(no_method("~", &other)),
            },
        })
    }

    fn eval_op_assign(&mut self, target: &Expr, op: BinOp, value: &Expr, off: u32) -> R {
        let cur = self.eval_target(target)?;
        let v = match op {
            BinOp::Or if cur.truthy() => return Ok(cur),
            BinOp::And if !cur.truthy() => return Ok(cur),
            BinOp::Or | BinOp::And => self.eval(value)?,
            op => {
                let r = self.eval(value)?;
                self.binop(op, cur, r, off)?
            }
        };
        self.assign_to(target, v.clone())?;
        Ok(v)
    }

    fn eval_multi_assign(&mut self, targets: &[Expr], value: &Expr) -> R {
        let v = self.eval(value)?;
        let items = match &v {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        };
        for (i, t) in targets.iter().enumerate() {
            if let ExprKind::Splat(inner) = &t.kind {
                let rest = items.get(i..).map(|s| s.to_vec()).unwrap_or_default();
                self.assign_to(inner, Value::Array(rest))?;
                break;
            }
            self.assign_to(t, items.get(i).cloned().unwrap_or(Value::Nil))?;
        }
        Ok(v)
    }

    fn eval_while(&mut self, cond: &Expr, body: &[Expr], until: bool, do_while: bool) -> R {
        let mut first = do_while;
        let mut n = 0usize;
        loop {
            if !first && self.eval(cond)?.truthy() == until {
                break;
            }
            first = false;
            n += 1;
            if n > MAX_ITEMS {
                return Err(Flow::raise("RuntimeError", "loop ran too many iterations"));
            }
            match self.eval_body(body) {
                Ok(_) | Err(Flow::Next(_)) => {}
                Err(Flow::Break(v)) => return Ok(v),
                Err(e) => return Err(e),
            }
        }
        Ok(Value::Nil)
    }

    fn eval_for(&mut self, var: &Expr, iter: &Expr, body: &[Expr]) -> R {
        let coll = self.eval(iter)?;
        for item in methods::iterate(&coll)? {
            self.assign_to(var, item)?;
            match self.eval_body(body) {
                Ok(_) | Err(Flow::Next(_)) => {}
                Err(Flow::Break(v)) => return Ok(v),
                Err(e) => return Err(e),
            }
        }
        Ok(coll)
    }

    fn eval_case(
        &mut self,
        subject: Option<&Expr>,
        whens: &[crate::profile::ast::When],
        else_body: Option<&[Expr]>,
    ) -> R {
        let subject = match subject {
            Some(s) => Some(self.eval(s)?),
            None => None,
        };
        for w in whens {
            for p in &w.patterns {
                let hit = if let ExprKind::Splat(inner) = &p.kind {
                    let list = self.eval(inner)?;
                    let mut any = false;
                    for x in methods::iterate(&list)? {
                        if let Some(s) = &subject {
                            if self.case_eq(&x, s)? {
                                any = true;
                                break;
                            }
                        }
                    }
                    any
                } else {
                    let pv = self.eval(p)?;
                    match &subject {
                        Some(s) => self.case_eq(&pv, s)?,
                        None => pv.truthy(),
                    }
                };
                if hit {
                    return self.eval_body(&w.body);
                }
            }
        }
        match else_body {
            Some(b) => self.eval_body(b),
            None => Ok(Value::Nil),
        }
    }

    /// `pattern === v`, with library classes and `$~` after a regexp `when`.
    fn case_eq(&mut self, pattern: &Value, v: &Value) -> R<bool> {
        if let Some(c) = as_native::<ClassRef>(pattern) {
            if self.classes.contains_key(&c.0) {
                return Ok(as_native::<Instance>(v)
                    .is_some_and(|i| self.ancestors(&i.class).contains(&c.0)));
            }
        }
        let hit = methods::case_eq(pattern, v)?;
        if hit && matches!(pattern, Value::Regex { .. }) {
            self.record_match(pattern, v)?;
        }
        Ok(hit)
    }

    fn eval_begin(&mut self, b: &BeginExpr) -> R {
        let BeginExpr {
            body,
            rescues,
            else_body,
            ensure,
        } = b;
        let r = match self.eval_body(body) {
            Err(Flow::Raise(err)) => self.rescue(err, rescues),
            Ok(v) => match else_body {
                Some(b) => self.eval_body(b),
                None => Ok(v),
            },
            other => other,
        };
        if let Some(ens) = ensure {
            self.eval_body(ens)?;
        }
        r
    }

    /// `def`: a file-level helper, or a method of the class whose body is running.
    fn eval_def(&mut self, d: &DefExpr, off: u32) -> R {
        let DefExpr {
            singleton,
            name,
            params,
            body,
        } = d;
        let class = self
            .class_body
            .last()
            .cloned()
            .filter(|_| self.calls.is_empty());
        let def = Arc::new(MethodDef {
            name: name.to_string(),
            params: params.clone(),
            body: body.clone(),
            file: self.file.clone(),
            owner: class.clone().unwrap_or_default(),
            captured: Vec::new(),
        });
        match (class, singleton) {
            (None, None) if E::at_file_self(self) => {
                self.file_defs.insert(name.to_string(), def);
            }
            (None, None) => {
                self.defs.insert(name.to_string(), def);
            }
            (Some(c), None) => {
                if let Some(cd) = self.classes.remove(&c) {
                    let mut cd = Arc::unwrap_or_clone(cd);
                    cd.methods.insert(name.to_string(), def);
                    self.classes.insert(c, Arc::new(cd));
                }
            }
            (_, Some(_)) => return Err(self.unsupported("singleton method definition", off)),
        }
        Ok(Value::Sym(name.to_string()))
    }

    fn rescue(&mut self, err: RubyError, rescues: &[crate::profile::ast::Rescue]) -> R {
        for r in rescues {
            let mut classes: Vec<String> = Vec::new();
            for c in &r.classes {
                match self.eval(c) {
                    Ok(v) => match as_native::<ClassRef>(&v) {
                        Some(c) => classes.push(c.0.clone()),
                        None => classes.push(to_s(&v)),
                    },
                    // An exception class the subset does not know cannot be the one raised.
                    Err(Flow::Unsupported { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            let hit = if r.classes.is_empty() {
                err.is_a("StandardError")
            } else {
                classes.iter().any(|c| self.error_is_a(&err, c))
            };
            if hit {
                if let Some(v) = &r.var {
                    self.assign_to(v, native(Exception(err.clone())))?;
                }
                return self.eval_body(&r.body);
            }
        }
        Err(Flow::Raise(err))
    }

    fn read_var(&mut self, name: &str) -> R {
        match self.lookup(name) {
            Some(v) => {
                if let Some(p) = as_native::<Poison>(v) {
                    return Err(p.0.clone());
                }
                Ok(v.clone())
            }
            None => Ok(Value::Nil),
        }
    }

    /// The match globals (`$~`, `$1`..`$9`, `$&`, `` $` ``, `$'`) after a regexp match;
    /// other globals are outside the subset.
    fn read_gvar(&mut self, name: &str, off: u32) -> R {
        if !crate::native::ruby::matchdata::is_match_global(name) {
            return Err(self.unsupported(format!("global variable `{name}`"), off));
        }
        self.match_pending()?;
        Ok(crate::native::ruby::matchdata::match_global(name))
    }

    /// Sets `$~` for a regexp matched against a value. Its groups are computed only when
    /// `$~` or `$1`.. is read (a second match of every `=~` would double its cost).
    pub fn record_match(&mut self, pattern: &Value, subject: &Value) -> R<()> {
        let (re, s) = match (pattern, subject) {
            (Value::Regex { .. }, Value::Str(s) | Value::Sym(s)) => (pattern, s.clone()),
            (Value::Str(_) | Value::Sym(_), Value::Regex { .. }) => (subject, to_s(pattern)),
            _ => return Ok(()),
        };
        self.match_source = Some((re.clone(), s));
        Ok(())
    }

    /// Matches a pending `=~` now: its `match` records the MatchData the globals read.
    fn match_pending(&mut self) -> R<()> {
        if let Some((re, s)) = self.match_source.take() {
            self.call_builtin(&mut Value::Str(s), "match", vec![re], None, 0)?;
        }
        Ok(())
    }

    fn read_const(&mut self, name: &str, off: u32) -> R {
        // A controls file's constant read while loading, before the load reached its
        // assignment (a control's body above it, or in an earlier file): Ruby's NameError,
        // as InSpec runs control bodies as it loads each file.
        let top_level =
            self.class_body.is_empty() && self.calls.iter().all(|f| f.def.owner.is_empty());
        if top_level && self.unassigned_consts.contains(name) && !E::after_load(self) {
            return Err(uninitialized_constant(name));
        }
        let v = self
            .lookup_const(name)
            .or_else(|| self.consts.get(name).cloned());
        if let Some(v) = v {
            if let Some(p) = as_native::<Poison>(&v) {
                return Err(p.0.clone());
            }
            return Ok(v);
        }
        if KNOWN_CLASSES.contains(&name)
            || crate::native::ruby::classes::is_scoped_class(name)
            || E::resource_class(name).is_some()
        {
            return Ok(native(ClassRef(name.to_string())));
        }
        if let Some(full) = crate::native::ruby::classes::class_alias(name) {
            return Ok(native(ClassRef(full.to_string())));
        }
        // A constant Ruby, InSpec and the profile all lack: NameError, named from the
        // control file's scope (the singleton class of InSpec's ControlEvalContext).
        if crate::native::ruby::constants::uninitialized(self.profile, name) {
            return Err(uninitialized_constant(name));
        }
        Err(self.unsupported(format!("constant `{name}`"), off))
    }

    /// `Scope::Name`: a library class's constant or nested class, or a known class.
    fn read_scoped_const(&mut self, scope: &Expr, name: &str, off: u32) -> R {
        let s = match self.eval(scope) {
            Ok(v) => v,
            Err(Flow::Unsupported { .. }) => {
                let full = scoped_name(scope).map(|s| format!("{s}::{name}"));
                return Err(self.unsupported(
                    format!("constant `{}`", full.unwrap_or_else(|| name.to_string())),
                    off,
                ));
            }
            Err(e) => return Err(e),
        };
        match as_native::<ClassRef>(&s) {
            Some(c) => {
                let c = c.0.clone();
                self.scoped_const(&c, name, off)
            }
            None => Err(self.unsupported("scoped constant on a value", off)),
        }
    }

    pub fn self_instance(&self) -> Option<&Instance> {
        self.self_stack.last().and_then(as_native::<Instance>)
    }

    pub fn interpolate(&mut self, parts: &[StrPart]) -> R<String> {
        let mut out = String::new();
        for p in parts {
            match p {
                StrPart::Lit(s) => out.push_str(s),
                StrPart::Code(code) => {
                    let v = self.eval_body(code)?;
                    let s = self.stringify(&v)?;
                    out.push_str(&s);
                }
            }
            if out.len() > MAX_STRING {
                return Err(Flow::raise("RuntimeError", "string too long"));
            }
        }
        Ok(out)
    }

    /// Ruby's `to_s`, including resources and custom resource instances.
    pub fn stringify(&mut self, v: &Value) -> R<String> {
        if as_native::<Instance>(v).is_some() {
            if let Some(r) = self.call_instance(v, "to_s", &[], None, false, 0) {
                return Ok(to_s(&r?));
            }
        }
        Ok(to_s(v))
    }

    pub fn eval_list(&mut self, items: &[Expr]) -> R<Vec<Value>> {
        let mut out = Vec::with_capacity(items.len());
        for it in items {
            if let ExprKind::Splat(inner) = &it.kind {
                let v = self.eval(inner)?;
                match v {
                    Value::Array(a) => out.extend(a),
                    Value::Nil => {}
                    other => out.extend(methods::iterate(&other)?),
                }
            } else {
                out.push(self.eval(it)?);
            }
            if out.len() > MAX_ITEMS {
                return Err(Flow::raise("RuntimeError", "array too large"));
            }
        }
        Ok(out)
    }

    /// Arguments, with `*splat` expanded and a `&:sym` block argument split off.
    pub fn eval_args<'e>(&mut self, args: &'e [Expr]) -> R<(Vec<Value>, Option<Blk<'e>>)> {
        let mut blk = None;
        let mut plain = Vec::with_capacity(args.len());
        for a in args {
            if let ExprKind::BlockPass(inner) = &a.kind {
                match &inner.kind {
                    ExprKind::Sym(s) => blk = Some(Blk::Sym(s)),
                    // A method's own `&block` passed on.
                    ExprKind::Var(n)
                        if self.lookup(n).is_some_and(|v| {
                            matches!(v, Value::Nil) || as_native::<ProcRef>(v).is_some()
                        }) =>
                    {
                        blk = self
                            .lookup(n)
                            .and_then(as_native::<ProcRef>)
                            .map(|p| Blk::Frame(p.0));
                    }
                    _ => {
                        let v = self.eval(inner)?;
                        if as_native::<Closure>(&v).is_some() {
                            self.passed_procs.push(v);
                            blk = Some(Blk::Proc(self.passed_procs.len() - 1));
                        } else if as_native::<ProcRef>(&v).is_some() {
                            blk = as_native::<ProcRef>(&v).map(|p| Blk::Frame(p.0));
                        } else if !matches!(v, Value::Nil) {
                            return Err(self.unsupported("block argument `&block`", a.span.start));
                        }
                    }
                }
            } else {
                plain.push(a.clone());
            }
        }
        Ok((self.eval_list(&plain)?, blk))
    }

    fn eval_target(&mut self, target: &Expr) -> R {
        match &target.kind {
            ExprKind::Var(n) => Ok(self.lookup(n).cloned().unwrap_or(Value::Nil)),
            ExprKind::Call {
                recv: None,
                name,
                args,
                ..
            } if args.is_empty() => Ok(self.lookup(name).cloned().unwrap_or(Value::Nil)),
            ExprKind::Const { name, .. } => {
                Ok(self.consts.get(name).cloned().unwrap_or(Value::Nil))
            }
            // `@@x ||= v` on a class variable not set yet: nil, as `defined?` guards it.
            ExprKind::CVar(n) => {
                let (holder, _) = self.cvar_holder(n, target.span.start)?;
                Ok(self
                    .cvars
                    .get(&(holder, n.clone()))
                    .cloned()
                    .unwrap_or(Value::Nil))
            }
            _ => self.eval(target),
        }
    }

    /// `inspec.profile.file(name)` / `.files`, as runtime_profile.rb answers them: a data
    /// file's text (`files/NAME` of the profile), RuntimeError when there is none; the
    /// names of the data files.
    fn runtime_profile(&self, name: &str, args: &[Value]) -> Option<R> {
        let dir = std::path::Path::new(&self.profile.path).join("files");
        match (name, args) {
            ("file", [Value::Str(f)]) => Some(
                std::fs::read(dir.join(f.as_str()))
                    .ok()
                    .filter(|_| !f.split('/').any(|part| part == ".."))
                    .map(|b| Value::str(String::from_utf8_lossy(&b)))
                    .ok_or_else(|| {
                        Flow::raise("RuntimeError", format!("Cannot find file {f} in profile."))
                    }),
            ),
            ("files", []) => {
                let mut names = Vec::new();
                let mut stack = vec![dir.clone()];
                while let Some(d) = stack.pop() {
                    for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                        let p = e.path();
                        if p.is_dir() {
                            stack.push(p);
                        } else if let Ok(rel) = p.strip_prefix(&dir) {
                            names.push(rel.to_string_lossy().into_owned());
                        }
                    }
                }
                names.sort();
                Some(Ok(Value::Array(
                    names.into_iter().map(Value::str).collect(),
                )))
            }
            _ => None,
        }
    }

    /// The class that holds class variable `name` as seen from the code running (its
    /// lexical class, `cref`): the first of its ancestors that has it (`true`), else the
    /// class itself (`false`), where an assignment creates it (Ruby's rb_cvar_set).
    fn cvar_holder(&self, name: &str, off: u32) -> R<(String, bool)> {
        let cref = self.cref();
        if cref.is_empty() {
            // Ruby raises RuntimeError "class variable access from toplevel".
            return Err(self.unsupported("class variable outside a class", off));
        }
        let found = self
            .ancestors(&cref)
            .into_iter()
            .find(|c| self.cvars.contains_key(&(c.clone(), name.to_string())));
        Ok(match found {
            Some(c) => (c, true),
            None => (cref, false),
        })
    }

    pub fn assign_to(&mut self, target: &Expr, v: Value) -> R<()> {
        let off = target.span.start;
        match &target.kind {
            ExprKind::Var(n) => self.assign(n, v),
            ExprKind::Call {
                recv: None,
                name,
                args,
                ..
            } if args.is_empty() => self.assign(name, v),
            ExprKind::IVar(n) => match self.self_instance() {
                Some(inst) => inst.set_ivar(n.trim_start_matches('@'), v),
                None => match E::ivars(self) {
                    Some(m) => {
                        m.insert(n.clone(), v);
                    }
                    None => {
                        return Err(self.unsupported("instance variable outside a resource", off))
                    }
                },
            },
            ExprKind::CVar(n) => {
                let (holder, _) = self.cvar_holder(n, off)?;
                self.cvars.insert((holder, n.clone()), v);
            }
            ExprKind::Const {
                scope: None, name, ..
            } => {
                let full = match self.class_body.last() {
                    Some(c) if self.calls.is_empty() => format!("{c}::{name}"),
                    _ => name.clone(),
                };
                self.consts.insert(full, v);
            }
            ExprKind::Call {
                recv: Some(recv),
                name,
                args,
                ..
            } if args.is_empty() => {
                let r = self.eval(recv)?;
                self.call_method(r, &format!("{name}="), vec![v], None, off)?;
            }
            ExprKind::Index { recv, args } => {
                let (mut a, _) = self.eval_args(args)?;
                a.push(v);
                let mut container = self.eval_target(recv)?;
                if is_object(&container) {
                    // An object changes itself (`self[k] = v` in a `Hash` subclass).
                    self.call_method(container.clone(), "[]=", a, None, off)?;
                    if !is_place(recv) {
                        return Ok(());
                    }
                } else {
                    self.call_builtin(&mut container, "[]=", a, None, off)?;
                }
                self.assign_to(recv, container)?;
            }
            _ => return Err(self.unsupported("assignment to this kind of target", off)),
        }
        Ok(())
    }

    fn eval_binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr, off: u32) -> R {
        match op {
            BinOp::And => {
                let l = self.eval(lhs)?;
                if !l.truthy() {
                    return Ok(l);
                }
                self.eval(rhs)
            }
            BinOp::Or => {
                let l = self.eval(lhs)?;
                if l.truthy() {
                    return Ok(l);
                }
                self.eval(rhs)
            }
            BinOp::Shl => {
                let mut l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                if matches!(l, Value::Str(_)) && self.frozen_expr(lhs) {
                    return Err(frozen::frozen_error(&l));
                }
                if !is_place(lhs) {
                    return self.binop(op, l, r, off);
                }
                if matches!(l, Value::Array(_) | Value::Str(_)) {
                    self.call_builtin(&mut l, "<<", vec![r], None, off)?;
                    self.assign_to(lhs, l.clone())?;
                    Ok(l)
                } else {
                    self.binop(op, l, r, off)
                }
            }
            BinOp::Match | BinOp::NotMatch => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                self.record_match(&l, &r)?;
                self.binop(op, l, r, off)
            }
            _ => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                self.binop(op, l, r, off)
            }
        }
    }

    pub fn binop(&mut self, op: BinOp, l: Value, r: Value, off: u32) -> R {
        if let Some(r) = E::operator(self, &l, op.as_str(), &r, off) {
            return r;
        }
        if matches!(op, BinOp::Eq | BinOp::NotEq)
            && (as_native::<Instance>(&l).is_some()
                || as_native::<Instance>(&r).is_some()
                || matches!(l, Value::Array(_)))
        {
            // A library object's `==` is its own (Comparable's, an alias, its array's).
            if let Some(v) = self.equality_method(&l, "==", std::slice::from_ref(&r), off) {
                return v.map(|b| Value::Bool(b.truthy() == (op == BinOp::Eq)));
            }
            if as_native::<Instance>(&l).is_some() || as_native::<Instance>(&r).is_some() {
                let eq = self.values_eq(&l, &r, off)?;
                return Ok(Value::Bool(eq == (op == BinOp::Eq)));
            }
        }
        if matches!(op, BinOp::Eq | BinOp::NotEq)
            && as_native::<crate::native::ruby::corelib::ipaddr::IpAddr>(&l).is_some()
        {
            // ipaddr.rb's `==` coerces a String operand to an IPAddr.
            let eq = self.call_method(l, "==", vec![r], None, off)?;
            return Ok(Value::Bool(eq.truthy() == (op == BinOp::Eq)));
        }
        if matches!(l, Value::Resource(_) | Value::Native(_) | Value::Table(_))
            && !matches!(op, BinOp::Eq | BinOp::NotEq)
        {
            let name = op.as_str();
            return self.call_method(l, name, vec![r], None, off);
        }
        methods::binop(op, l, r)
    }

    fn eval_call(
        &mut self,
        recv: Option<&Expr>,
        name: &str,
        args: &[Expr],
        block: Option<&Block>,
        safe_nav: bool,
        off: u32,
    ) -> R {
        let Some(recv_expr) = recv else {
            return self.call_bare(name, args, block, off);
        };
        if let Some(r) = E::call_unevaluated(self, recv_expr, name, block, off) {
            return r;
        }
        let r = self.eval(recv_expr)?;
        if safe_nav && matches!(r, Value::Nil) {
            return Ok(Value::Nil);
        }
        let (a, blk) = self.eval_args(args)?;
        let blk = block.map(Blk::Ast).or(blk);
        if matches!(r, Value::Str(_)) {
            if frozen::STRING_MUTATORS.contains(&name) && self.frozen_expr(recv_expr) {
                return Err(frozen::frozen_error(&r));
            }
            if name == "frozen?" && a.is_empty() {
                return Ok(Value::Bool(self.frozen_expr(recv_expr)));
            }
        }
        if MUTATORS.contains(&name) && is_place(recv_expr) && !is_object(&r) {
            let mut r = r;
            let out = self.call_builtin(&mut r, name, a, blk, off)?;
            self.assign_to(recv_expr, r)?;
            return Ok(out);
        }
        // A regexp `match` records its own MatchData: an earlier pending `=~` is older.
        let regexp_match = name == "match"
            && (matches!(r, Value::Regex { .. }) || matches!(a.first(), Some(Value::Regex { .. })));
        let out = self.call_method(r, name, a, blk, off)?;
        if regexp_match {
            self.match_source = None;
        }
        Ok(out)
    }

    /// A call without receiver: DSL, matchers, `def`s, the custom resource's own methods,
    /// FilterTable fields inside `where { }`, resources.
    fn call_bare(&mut self, name: &str, args: &[Expr], block: Option<&Block>, off: u32) -> R {
        if crate::native::ruby::library::MATCHER_DSL.contains(&name) && self.defining_matcher() {
            let (a, _) = self.eval_args(args)?;
            if let Some(r) = self.call_matcher_dsl(name, &a, block) {
                return r;
            }
        }
        if let Some(class) = self.matcher_class_of(name) {
            let (a, _) = self.eval_args(args)?;
            return self.new_matcher(&class, &a);
        }
        if args.is_empty() && block.is_none() {
            if let Some(v) = E::bare_value(self, name) {
                return Ok(v);
            }
            if let Some(v) = self.lookup(name) {
                return Ok(v.clone());
            }
        }
        if let Some(r) = E::call_bare(self, name, args, block, off) {
            return r;
        }
        let (a, blk) = self.eval_args(args)?;
        let blk = block.map(Blk::Ast).or(blk);
        if let Some(me) = self.self_stack.last().cloned() {
            if as_native::<Instance>(&me).is_some() {
                if let Some(r) = self.call_instance(&me, name, &a, blk, false, off) {
                    return r;
                }
            }
            if let Some(c) = as_native::<ClassRef>(&me) {
                if let Some(r) = self.call_class_body(name, &a, blk) {
                    return r;
                }
                if let Some(r) = self.call_user_class(&c.0.clone(), name, &a) {
                    return r;
                }
            }
        }
        // A method of the file's own `self` first (Ruby finds the singleton method before
        // anything mixed in), and only where `self` is that object.
        let def = E::at_file_self(self)
            .then(|| self.file_defs.get(name))
            .flatten()
            .or_else(|| self.defs.get(name))
            .cloned();
        if let Some(def) = def {
            return self.call_def_with_block(&def, None, &a, blk);
        }
        if name == "inspec" {
            return Ok(native(InspecHandle));
        }
        if let ("lambda" | "proc", Some(b)) = (name, block) {
            return Ok(self.make_closure(b, name == "lambda"));
        }
        if name == "catch" || name == "throw" {
            return self.catch_throw(name, a, blk, off);
        }
        if name == "block_given?" && !self.calls.is_empty() {
            return Ok(Value::Bool(
                self.calls.last().is_some_and(|f| f.block.is_some()),
            ));
        }
        // A block given to a resource is never run: InSpec's resource methods take `*args`
        // only (control_eval_context.rb `add_resource`: `define_method name do |*args|`).
        if let Some(r) = self.create_resource(name, &a, off) {
            return r;
        }
        if let Some(r) = methods::call_kernel(name, &a) {
            return r;
        }
        if let Some(me) = self.self_stack.last().cloned() {
            if let Some(r) = self.call_method_missing(&me, name, &a) {
                return r;
            }
        }
        if let Some(e) = E::undefined_bare(self, name, !args.is_empty() || block.is_some()) {
            return Err(e);
        }
        Err(self.unsupported(format!("method or resource `{name}`"), off))
    }

    /// Kernel#catch(tag) { } and Kernel#throw(tag, value = nil): the throw ends the block
    /// of the catch with its tag, which returns the value (doc/Kernel#catch); a throw
    /// without one is UncaughtThrowError.
    fn catch_throw(&mut self, name: &str, a: Vec<Value>, blk: Option<Blk<'_>>, off: u32) -> R {
        let tag = a.first().cloned().unwrap_or(Value::Nil);
        let uncaught = format!("uncaught throw {tag:?}");
        if name == "throw" {
            self.thrown = Some(a.get(1).cloned().unwrap_or(Value::Nil));
            return Err(Flow::raise("UncaughtThrowError", uncaught));
        }
        let Some(blk) = blk else {
            return Err(self.unsupported("`catch` without a block", off));
        };
        match self.call_block(blk, vec![tag], off) {
            Err(Flow::Raise(e)) if e.class == "UncaughtThrowError" && e.message == uncaught => {
                Ok(self.thrown.take().unwrap_or(Value::Nil))
            }
            other => other,
        }
    }

    /// A resource by name: the profile's own library resources first (they override), then
    /// the native registry. None: no such resource.
    pub fn create_resource(&mut self, name: &str, args: &[Value], off: u32) -> Option<R> {
        if let Some(class) = self.resources.get(name).cloned() {
            return Some(self.instantiate(&class, args));
        }
        // resource.rb check_supported!: a built-in resource on a platform its `supports`
        // exclude raises before it reads anything.
        let supports = E::resource_supports(name);
        if !supports.is_empty() {
            if let Err(message) = E::check_supports(self, name, &supports) {
                return Some(Err(Flow::raise("ArgumentError", message)));
            }
        }
        let at = self.at(off);
        self.create_native(name, args).map(|r| match r {
            Ok(res) => Ok(Value::Resource(res)),
            Err(e) => Err(crate::native::ruby::resource_error(e, at)),
        })
    }

    /// `recv[args]`. On a resource without `[]`, a single key reads the property of that
    /// name (`os[:name]` is `os.name`, as InSpec's resources map their params).
    pub fn index(&mut self, recv: Value, args: Vec<Value>, off: u32) -> R {
        if let (Value::Resource(res), [key @ (Value::Sym(_) | Value::Str(_))]) =
            (&recv, args.as_slice())
        {
            let at = self.at(off);
            return match call_resource(res, "[]", &args) {
                Err(crate::native::ruby::value::ResourceError::Unsupported { .. }) => {
                    call_resource(res, &to_s(key), &[])
                        .map_err(|e| crate::native::ruby::resource_error(e, at))
                }
                other => other.map_err(|e| crate::native::ruby::resource_error(e, at)),
            };
        }
        self.call_method(recv, "[]", args, None, off)
    }

    /// A method call on a value.
    pub fn call_method(
        &mut self,
        recv: Value,
        name: &str,
        args: Vec<Value>,
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> R {
        match self.dispatch(recv, name, args, blk, off) {
            // Errors raised below the call (regexps, iterators) are placed at the call.
            Err(Flow::Unsupported { construct, at }) if at.is_empty() => {
                Err(self.unsupported(construct, off))
            }
            other => other,
        }
    }

    fn dispatch(
        &mut self,
        recv: Value,
        name: &str,
        args: Vec<Value>,
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> R {
        match &recv {
            Value::Resource(res) => {
                if let Some(r) = E::call_resource(self, res, name, &args, blk, off) {
                    return r;
                }
                match name {
                    "to_s" | "inspect" => return Ok(Value::Str(res.to_s())),
                    "nil?" => return Ok(Value::Bool(false)),
                    "class" => return Ok(native(ClassRef(res.name().to_string()))),
                    "send" | "public_send" | "method" if !args.is_empty() => {}
                    _ => {
                        if blk.is_some() && crate::native::ruby::may_take_block(name) {
                            return Err(self.unsupported(
                                format!("`{}` property `{name}` with a block", res.name()),
                                off,
                            ));
                        }
                        let at = self.at(off);
                        return match call_resource(res, name, &args) {
                            // No `def` makes such a name (`its("runlevels(?-mix:0)")` sends
                            // it): a resource without `method_missing` raises NoMethodError.
                            Err(crate::native::ruby::value::ResourceError::Unsupported {
                                ..
                            }) if !crate::native::ruby::is_method_name(name) => Err(Flow::raise(
                                "NoMethodError",
                                format!("undefined method `{name}' for {}", res.to_s()),
                            )),
                            other => other.map_err(|e| crate::native::ruby::resource_error(e, at)),
                        };
                    }
                }
                let mut args = args;
                let m = to_s(&args.remove(0));
                self.call_method(recv.clone(), &m, args, blk, off)
            }
            Value::Table(t) => {
                let t = t.clone();
                E::call_table(self, &t, name, &args, blk, off)
            }
            Value::Native(_) => {
                if let Some(inst) = as_native::<Instance>(&recv) {
                    let class = inst.class.clone();
                    if let Some(r) = self.call_instance(&recv, name, &args, blk, true, off) {
                        return r;
                    }
                    if let Some(r) = self.call_method_missing(&recv, name, &args) {
                        return r;
                    }
                    // The embedding's methods of library objects (a custom matcher's `.and`).
                    if let Some(r) = E::call_native(self, &recv, name, &args, off) {
                        return r;
                    }
                    return Err(Flow::raise(
                        "NoMethodError",
                        format!("undefined method `{name}' for an instance of {class}"),
                    ));
                }
                if let Some(r) = self.call_filter_builder(&recv, name, &args, blk, off) {
                    return r;
                }
                if let Some(c) = as_native::<Closure>(&recv) {
                    if let Some(r) = self.call_closure_method(c, &recv, name, &args) {
                        return r;
                    }
                }
                if let Some(p) = as_native::<ProcRef>(&recv) {
                    if matches!(name, "call" | "()" | "yield" | "[]" | "===") {
                        return self.call_frame_block(p.0, args, off);
                    }
                    if name == "to_proc" {
                        return Ok(recv.clone());
                    }
                }
                if let Some(r) = self.call_mash(&recv, name, &args, blk, off) {
                    return r;
                }
                if as_native::<InspecHandle>(&recv).is_some()
                    && name == "profile"
                    && args.is_empty()
                {
                    return Ok(native(RuntimeProfile));
                }
                if as_native::<RuntimeProfile>(&recv).is_some() {
                    if let Some(r) = self.runtime_profile(name, &args) {
                        return r;
                    }
                }
                if as_native::<InspecHandle>(&recv).is_some() {
                    return match self.create_resource(name, &args, off) {
                        Some(r) => r,
                        None => Err(self.unsupported(format!("method or resource `{name}`"), off)),
                    };
                }
                if let Some(r) = E::call_native(self, &recv, name, &args, off) {
                    return r;
                }
                if let Some(row) = as_native::<crate::native::ruby::methods::row::Row>(&recv) {
                    if let Some(r) = row.call(name, &args) {
                        return Ok(r);
                    }
                }
                if let Some(ex) = as_native::<Exception>(&recv) {
                    match name {
                        "message" | "to_s" => return Ok(Value::Str(ex.0.message.clone())),
                        "class" => return Ok(native(ClassRef(ex.0.class.clone()))),
                        _ => {}
                    }
                }
                if let Some(r) =
                    crate::native::ruby::classes::call_object(self, &recv, name, &args, blk, off)
                {
                    return r;
                }
                if let Some(c) = as_native::<ClassRef>(&recv) {
                    let class = c.0.clone();
                    if let Some(r) = self.call_user_class(&class, name, &args) {
                        return r;
                    }
                    if let Some(r) = self.call_library_class(&class, name, &args, blk) {
                        return r;
                    }
                    if let Some(r) =
                        crate::native::ruby::classes::call_class(self, &c.0, name, &args, blk, off)
                    {
                        return r;
                    }
                    match name {
                        "name" | "to_s" | "inspect" => return Ok(Value::Str(c.0.clone())),
                        "==" | "===" => {
                            return Ok(Value::Bool(match args.first() {
                                Some(x) if name == "===" => methods::is_a(x, &c.0),
                                Some(x) => as_native::<ClassRef>(x).is_some_and(|o| o.0 == c.0),
                                None => false,
                            }))
                        }
                        _ => {
                            return Err(self.unsupported(format!("`{}.{name}`", c.0), off));
                        }
                    }
                }
                let mut recv = recv;
                self.call_builtin(&mut recv, name, args, blk, off)
            }
            _ => {
                if let Some(r) = self.equality_method(&recv, name, &args, off) {
                    return r;
                }
                let mut recv = recv;
                self.call_builtin(&mut recv, name, args, blk, off)
            }
        }
    }

    /// A builtin method on a plain value ([`methods::call_builtin`]), or one the core
    /// library adds to it ([`crate::native::ruby::corelib::plain_value_method`]). A name none
    /// answers is Ruby's NoMethodError on this value when Ruby or InSpec knows it elsewhere
    /// (another value's, a core class object's, the embedding's), as in Ruby; only names
    /// unknown everywhere are outside the subset.
    pub fn call_builtin(
        &mut self,
        recv: &mut Value,
        name: &str,
        args: Vec<Value>,
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> R {
        if let Some(r) = methods::call_builtin(self, recv, name, args, blk, off) {
            return r;
        }
        if let Some(r) = crate::native::ruby::corelib::plain_value_method(recv, name) {
            return r;
        }
        let known_elsewhere = methods::is_builtin(name)
            || crate::native::ruby::classes::is_object_method(name)
            || E::knows_method(name);
        // Core classes are closed: a name the value's class does not define is
        // NoMethodError whatever it is (`mash.Client.Version` with no `Client` key,
        // `[].empty`), unless the profile's libraries (which may reopen the class) name it;
        // nobody reopens NilClass, so a library merely naming the method (`Version`) keeps
        // nil closed.
        let class_lacks = crate::native::ruby::core_methods::lacks(recv, name)
            && (matches!(recv, Value::Nil)
                || !crate::native::ruby::method_tables::profile_may_define(self.profile, name));
        if known_elsewhere || class_lacks {
            Err(no_method(name, recv))
        } else {
            Err(self.unsupported(format!("method `{name}`"), off))
        }
    }

    /// Calls a block with arguments (Ruby's auto-splat of one array argument included).
    pub fn call_block(&mut self, blk: Blk<'_>, args: Vec<Value>, off: u32) -> R {
        match blk {
            Blk::Frame(i) => self.call_frame_block(i, args, off),
            Blk::Proc(i) => {
                let v = self.passed_procs.get(i).cloned().unwrap_or(Value::Nil);
                match as_native::<Closure>(&v) {
                    Some(c) => self.call_closure(c, args),
                    None => Err(Flow::raise("LocalJumpError", "no block given (yield)")),
                }
            }
            Blk::Sym(m) => {
                let mut it = args.into_iter();
                let recv = it.next().unwrap_or(Value::Nil);
                self.call_method(recv, m, it.collect(), None, off)
            }
            Blk::Ast(b) => {
                let args = if b.params.len() > 1 && args.len() == 1 {
                    match &args[0] {
                        Value::Array(a) => a.clone(),
                        _ => args,
                    }
                } else {
                    args
                };
                let r = self.scoped(false, |me| {
                    me.bind_params(&b.params, &args)?;
                    me.eval_body(&b.body)
                });
                match r {
                    Err(Flow::Next(v)) => Ok(v),
                    other => other,
                }
            }
        }
    }
}

fn is_place(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Var(_) | ExprKind::IVar(_) | ExprKind::Const { scope: None, .. } => true,
        ExprKind::Index { recv, .. } => is_place(recv),
        _ => false,
    }
}

fn is_object(v: &Value) -> bool {
    matches!(v, Value::Resource(_) | Value::Table(_) | Value::Native(_))
}

/// A resource's property; on a resource that skipped or failed while loading (InSpec: in
/// `initialize`), the answer its state gives, where it has one.
pub fn call_resource(
    res: &Arc<dyn crate::native::ruby::value::Resource>,
    name: &str,
    args: &[Value],
) -> Result<Value, crate::native::ruby::value::ResourceError> {
    use crate::native::ruby::value::ResourceError;
    match res.call(name, args) {
        Err(e @ (ResourceError::Skip(_) | ResourceError::Failed(_))) => {
            res.skipped_answer(name, args).ok_or(e)
        }
        other => other,
    }
}

/// Ruby's NameError for a constant a controls file's scope lacks, named from that scope
/// (the singleton class of InSpec's ControlEvalContext).
fn uninitialized_constant(name: &str) -> Flow {
    let context = crate::native::ruby::objects::object_to_s(
        "Inspec::ControlEvalContext",
        crate::native::ruby::objects::next_object_address(),
    );
    Flow::raise(
        "NameError",
        format!("uninitialized constant #<Class:{context}>::{name}"),
    )
}
