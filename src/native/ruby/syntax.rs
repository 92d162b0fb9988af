//! Names of syntax the interpreter reports: a constant path as text (`A::B`), and what an
//! unsupported construct is called in skip messages and in static coverage (both read it
//! here, so they name it alike).

use crate::profile::ast::{Expr, ExprKind};

/// `A::B` as text.
pub fn scoped_name(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Const {
            scope: None, name, ..
        } => Some(name.clone()),
        ExprKind::Const {
            scope: Some(s),
            name,
            ..
        } => Some(format!("{}::{name}", scoped_name(s)?)),
        _ => None,
    }
}

/// How an unsupported syntax node is named in skip messages and coverage.
pub fn construct_name(k: &ExprKind) -> String {
    match k {
        ExprKind::XStr(_) => "backtick command".into(),
        ExprKind::GVar(n) => format!("global variable `{n}`"),
        ExprKind::CVar(n) => format!("class variable `{n}`"),
        ExprKind::Const { .. } => "scoped constant".into(),
        ExprKind::Splat(_) => "splat outside a call or array".into(),
        ExprKind::DoubleSplat(_) => "double splat".into(),
        ExprKind::BlockPass(_) => "block argument".into(),
        ExprKind::Defined(_) => "`defined?`".into(),
        ExprKind::Def(_) => "singleton method definition".into(),
        ExprKind::Class { .. } => "class definition in a controls file".into(),
        ExprKind::SClass { .. } => "`class << self`".into(),
        ExprKind::Module { .. } => "module definition".into(),
        ExprKind::Redo => "`redo`".into(),
        ExprKind::Retry => "`retry`".into(),
        ExprKind::Yield(_) => "`yield`".into(),
        ExprKind::Super { .. } => "`super` outside a resource".into(),
        ExprKind::Lambda(_) => "lambda".into(),
        ExprKind::Alias(..) => "`alias`".into(),
        ExprKind::Undef(_) => "`undef`".into(),
        ExprKind::SelfRef => "`self`".into(),
        _ => "syntax".into(),
    }
}
