//! The one walk over the syntax tree. [`Visitor`] knows every child of every node once; its
//! default methods descend, so a user overrides only the nodes it cares about and calls the
//! matching `walk_*` function where it wants the default descent. [`each_expr`] is the
//! closure form (every expression, depth-first, source order) and [`for_each_branch`] the
//! statement lists a compound statement runs (what the model and coverage look for controls in).

use super::ast::{BeginExpr, Block, DefExpr, Expr, ExprKind, HashEntry, Param, StrPart, When};

/// A walk over the tree. `'a` is the tree's lifetime: a visitor may keep references to nodes.
pub trait Visitor<'a> {
    fn expr(&mut self, e: &'a Expr) {
        walk_expr(self, e)
    }
    /// A list of statements (or of values: arguments, array items).
    fn body(&mut self, body: &'a [Expr]) {
        for e in body {
            self.expr(e)
        }
    }
    fn block(&mut self, b: &'a Block) {
        walk_block(self, b)
    }
    fn param(&mut self, p: &'a Param) {
        walk_param(self, p)
    }
    fn str_part(&mut self, p: &'a StrPart) {
        walk_str_part(self, p)
    }
    fn hash_entry(&mut self, h: &'a HashEntry) {
        walk_hash_entry(self, h)
    }
}

pub fn walk_block<'a, V: Visitor<'a> + ?Sized>(v: &mut V, b: &'a Block) {
    for p in &b.params {
        v.param(p);
    }
    v.body(&b.body);
}

pub fn walk_param<'a, V: Visitor<'a> + ?Sized>(v: &mut V, p: &'a Param) {
    match p {
        Param::Optional(_, e) | Param::Key(_, Some(e)) => v.expr(e),
        Param::Destructure(ps) => ps.iter().for_each(|p| v.param(p)),
        Param::Required(_)
        | Param::Rest(_)
        | Param::Key(_, None)
        | Param::KeyRest(_)
        | Param::Block(_) => {}
    }
}

pub fn walk_str_part<'a, V: Visitor<'a> + ?Sized>(v: &mut V, p: &'a StrPart) {
    if let StrPart::Code(c) = p {
        v.body(c);
    }
}

pub fn walk_parts<'a, V: Visitor<'a> + ?Sized>(v: &mut V, parts: &'a [StrPart]) {
    for p in parts {
        v.str_part(p);
    }
}

pub fn walk_hash_entry<'a, V: Visitor<'a> + ?Sized>(v: &mut V, h: &'a HashEntry) {
    match h {
        HashEntry::Pair(k, x) => {
            v.expr(k);
            v.expr(x);
        }
        HashEntry::Splat(x) => v.expr(x),
    }
}

/// Visits each direct child of `e`, in source order.
pub fn walk_expr<'a, V: Visitor<'a> + ?Sized>(v: &mut V, e: &'a Expr) {
    match &e.kind {
        ExprKind::Nil
        | ExprKind::True
        | ExprKind::False
        | ExprKind::SelfRef
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Sym(_)
        | ExprKind::Var(_)
        | ExprKind::IVar(_)
        | ExprKind::GVar(_)
        | ExprKind::CVar(_)
        | ExprKind::Const { scope: None, .. }
        | ExprKind::Return(None)
        | ExprKind::Break(None)
        | ExprKind::Next(None)
        | ExprKind::Redo
        | ExprKind::Retry
        | ExprKind::Alias(..)
        | ExprKind::Undef(_)
        | ExprKind::File
        | ExprKind::Line(_) => {}
        ExprKind::Str(p) | ExprKind::XStr(p) | ExprKind::DSym(p) => walk_parts(v, p),
        ExprKind::Regex { parts, .. } => walk_parts(v, parts),
        ExprKind::Array(items) | ExprKind::Yield(items) | ExprKind::Paren(items) => v.body(items),
        ExprKind::Hash { entries, .. } => entries.iter().for_each(|h| v.hash_entry(h)),
        ExprKind::Range { lo, hi, .. } => {
            lo.iter().for_each(|x| v.expr(x));
            hi.iter().for_each(|x| v.expr(x));
        }
        ExprKind::Const { scope: Some(s), .. } => v.expr(s),
        ExprKind::Call {
            recv, args, block, ..
        } => {
            recv.iter().for_each(|r| v.expr(r));
            v.body(args);
            block.iter().for_each(|b| v.block(b));
        }
        ExprKind::Index { recv, args } => {
            v.expr(recv);
            v.body(args);
        }
        ExprKind::Splat(x)
        | ExprKind::DoubleSplat(x)
        | ExprKind::BlockPass(x)
        | ExprKind::Unary { expr: x, .. }
        | ExprKind::Defined(x)
        | ExprKind::Return(Some(x))
        | ExprKind::Break(Some(x))
        | ExprKind::Next(Some(x)) => v.expr(x),
        ExprKind::Binary { lhs, rhs, .. } => {
            v.expr(lhs);
            v.expr(rhs);
        }
        ExprKind::Assign { target, value } | ExprKind::OpAssign { target, value, .. } => {
            v.expr(target);
            v.expr(value);
        }
        ExprKind::MultiAssign { targets, value } => {
            v.body(targets);
            v.expr(value);
        }
        ExprKind::If {
            cond,
            then_body,
            else_body,
        } => {
            v.expr(cond);
            v.body(then_body);
            v.body(else_body);
        }
        ExprKind::While { cond, body, .. } => {
            v.expr(cond);
            v.body(body);
        }
        ExprKind::For { var, iter, body } => {
            v.expr(var);
            v.expr(iter);
            v.body(body);
        }
        ExprKind::Case {
            subject,
            whens,
            else_body,
        } => {
            subject.iter().for_each(|s| v.expr(s));
            for When { patterns, body } in whens {
                v.body(patterns);
                v.body(body);
            }
            else_body.iter().for_each(|b| v.body(b));
        }
        ExprKind::Begin(b) => {
            let BeginExpr {
                body,
                rescues,
                else_body,
                ensure,
            } = &**b;
            v.body(body);
            for r in rescues {
                v.body(&r.classes);
                r.var.iter().for_each(|x| v.expr(x));
                v.body(&r.body);
            }
            else_body.iter().for_each(|b| v.body(b));
            ensure.iter().for_each(|b| v.body(b));
        }
        ExprKind::Def(d) => {
            let DefExpr {
                singleton,
                params,
                body,
                ..
            } = &**d;
            singleton.iter().for_each(|s| v.expr(s));
            params.iter().for_each(|p| v.param(p));
            v.body(body);
        }
        ExprKind::Class {
            path,
            superclass,
            body,
        } => {
            v.expr(path);
            superclass.iter().for_each(|s| v.expr(s));
            v.body(body);
        }
        ExprKind::SClass { target: path, body } | ExprKind::Module { path, body } => {
            v.expr(path);
            v.body(body);
        }
        ExprKind::Super { args, block } => {
            args.iter().for_each(|a| v.body(a));
            block.iter().for_each(|b| v.block(b));
        }
        ExprKind::Lambda(b) => v.block(b),
    }
}

/// The closure form of [`Visitor`]: `f` on every expression.
struct EachExpr<F>(F);

impl<'a, F: FnMut(&'a Expr)> Visitor<'a> for EachExpr<F> {
    fn expr(&mut self, e: &'a Expr) {
        (self.0)(e);
        walk_expr(self, e);
    }
}

/// Calls `f` on `e` and every expression inside it (depth-first, source order).
pub fn each_expr<'a>(e: &'a Expr, f: impl FnMut(&'a Expr)) {
    EachExpr(f).expr(e)
}

/// [`each_expr`] over a list of statements.
pub fn each_expr_in<'a>(body: &'a [Expr], f: impl FnMut(&'a Expr)) {
    EachExpr(f).body(body)
}

/// Does `e` or anything inside it satisfy `pred`? Stops at the first that does.
pub fn any_expr<'a>(e: &'a Expr, pred: impl FnMut(&'a Expr) -> bool) -> bool {
    struct Any<P> {
        pred: P,
        found: bool,
    }
    impl<'a, P: FnMut(&'a Expr) -> bool> Visitor<'a> for Any<P> {
        fn expr(&mut self, e: &'a Expr) {
            if !self.found {
                self.found = (self.pred)(e);
                walk_expr(self, e);
            }
        }
    }
    let mut v = Any { pred, found: false };
    v.expr(e);
    v.found
}

/// The statement lists a compound statement (`if`, `case`, loops, `begin`, parentheses) runs,
/// with whether each runs only under a condition (`conditional` is the statement's own). The
/// places InSpec's DSL calls (controls, describes) are looked for; a call's block is the
/// caller's business.
pub fn for_each_branch<'a>(e: &'a Expr, conditional: bool, mut f: impl FnMut(&'a [Expr], bool)) {
    match &e.kind {
        ExprKind::If {
            then_body,
            else_body,
            ..
        } => {
            f(then_body, true);
            f(else_body, true);
        }
        ExprKind::Case {
            whens, else_body, ..
        } => {
            for w in whens {
                f(&w.body, true);
            }
            if let Some(b) = else_body {
                f(b, true);
            }
        }
        ExprKind::While { body, .. } | ExprKind::For { body, .. } => f(body, true),
        ExprKind::Begin(b) => {
            f(&b.body, conditional);
            for r in &b.rescues {
                f(&r.body, true);
            }
            if let Some(e) = &b.else_body {
                f(e, true);
            }
            if let Some(e) = &b.ensure {
                f(e, conditional);
            }
        }
        ExprKind::Paren(body) => f(body, conditional),
        _ => {}
    }
}
