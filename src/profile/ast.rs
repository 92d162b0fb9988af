//! The syntax tree of the Ruby subset that InSpec profiles use. It is designed to be
//! evaluated later (a small interpreter), not only listed: every node has a byte span, strings
//! keep their interpolated parts, calls keep receiver, arguments and block.

use std::sync::Arc;

use serde::Serialize;

/// A method, variable or symbol name: stored inline up to 24 bytes (nearly every name), so
/// building and freeing a tree allocates nothing for its names.
pub type Name = compact_str::CompactString;

/// The parts of a string, symbol or regexp literal: most have one, stored inline (no
/// allocation for the list).
pub type Parts = smallvec::SmallVec<[StrPart; 1]>;

/// Byte offsets `[start, end)` into the file's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Self {
            start: start as u32,
            end: end as u32,
        }
    }
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One part of a string, symbol, regexp or heredoc literal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum StrPart {
    /// Literal text (escapes already processed, except in regexps where the text is raw).
    Lit(String),
    /// `#{...}`: the statements inside.
    Code(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnaryOp {
    Not,
    Neg,
    Pos,
    BitNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eq,
    NotEq,
    CaseEq,
    Match,
    NotMatch,
    Cmp,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::Eq => "==",
            BinOp::NotEq => "!=",
            BinOp::CaseEq => "===",
            BinOp::Match => "=~",
            BinOp::NotMatch => "!~",
            BinOp::Cmp => "<=>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
        }
    }
}

/// A parameter of a block, lambda or method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Param {
    Required(String),
    Optional(String, Expr),
    Rest(Option<String>),
    Key(String, Option<Expr>),
    KeyRest(Option<String>),
    Block(String),
    /// `|(a, b)|`
    Destructure(Vec<Param>),
}

/// A `do |params| ... end` or `{ |params| ... }` block (also a lambda body).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Block {
    pub params: Vec<Param>,
    pub body: Vec<Expr>,
    /// `do` (true) or braces (false).
    pub do_end: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct When {
    pub patterns: Vec<Expr>,
    pub body: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rescue {
    pub classes: Vec<Expr>,
    pub var: Option<Box<Expr>>,
    pub body: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum HashEntry {
    Pair(Expr, Expr),
    /// `**h`
    Splat(Expr),
}

/// The parts of `begin ... end` (boxed in [`ExprKind::Begin`]: the rare large variants are
/// boxed so every `Expr` the parser moves around stays small).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeginExpr {
    pub body: Vec<Expr>,
    pub rescues: Vec<Rescue>,
    pub else_body: Option<Vec<Expr>>,
    pub ensure: Option<Vec<Expr>>,
}

/// A method definition (boxed in [`ExprKind::Def`], like [`BeginExpr`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefExpr {
    pub singleton: Option<Box<Expr>>,
    pub name: String,
    pub params: Vec<Param>,
    pub body: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ExprKind {
    Nil,
    True,
    False,
    SelfRef,
    Int(i64),
    Float(f64),
    /// A string; a plain literal is one `Lit` part.
    Str(Parts),
    /// A backtick command string.
    XStr(Parts),
    Sym(Name),
    DSym(Parts),
    Regex {
        parts: Parts,
        flags: String,
    },
    Array(Vec<Expr>),
    /// A hash; `braces` is false for trailing `key: v` arguments of a call.
    Hash {
        entries: Vec<HashEntry>,
        braces: bool,
    },
    Range {
        lo: Option<Box<Expr>>,
        hi: Option<Box<Expr>>,
        exclusive: bool,
    },
    /// A local variable that was assigned (or is a parameter) before this point.
    Var(Name),
    IVar(String),
    GVar(String),
    CVar(String),
    /// `Name`, `Scope::Name`, `::Name` (top = true).
    Const {
        scope: Option<Box<Expr>>,
        name: String,
        top: bool,
    },
    /// A method call. A bare identifier that is not a local variable is a call without receiver
    /// and arguments.
    Call {
        recv: Option<Box<Expr>>,
        name: Name,
        args: Vec<Expr>,
        #[serde(serialize_with = "ser_opt_block")]
        block: Option<Arc<Block>>,
        safe_nav: bool,
        parens: bool,
    },
    Index {
        recv: Box<Expr>,
        args: Vec<Expr>,
    },
    Splat(Box<Expr>),
    DoubleSplat(Box<Expr>),
    /// `&blk` or `&:sym` argument.
    BlockPass(Box<Expr>),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `and` / `or` / `not` keywords are the same nodes as `&&`, `||` and `!`.
    Defined(Box<Expr>),
    Assign {
        target: Box<Expr>,
        value: Box<Expr>,
    },
    /// `a += 1`, `a ||= x` (op is the binary operator: `||` is `Or`).
    OpAssign {
        target: Box<Expr>,
        op: BinOp,
        value: Box<Expr>,
    },
    MultiAssign {
        targets: Vec<Expr>,
        value: Box<Expr>,
    },
    /// `if`, `unless` (negated), `elsif`, modifier forms and the ternary.
    If {
        cond: Box<Expr>,
        then_body: Vec<Expr>,
        else_body: Vec<Expr>,
    },
    /// `while` / `until` (negated); `do_while` for `begin ... end while c`.
    While {
        cond: Box<Expr>,
        body: Vec<Expr>,
        until: bool,
        do_while: bool,
    },
    For {
        var: Box<Expr>,
        iter: Box<Expr>,
        body: Vec<Expr>,
    },
    Case {
        subject: Option<Box<Expr>>,
        whens: Vec<When>,
        else_body: Option<Vec<Expr>>,
    },
    /// `begin ... rescue ... else ... ensure ... end`, also method and block bodies with rescue,
    /// and the `x rescue y` modifier.
    Begin(Box<BeginExpr>),
    /// `(a; b)`
    Paren(Vec<Expr>),
    Def(Box<DefExpr>),
    Class {
        path: Box<Expr>,
        superclass: Option<Box<Expr>>,
        body: Vec<Expr>,
    },
    SClass {
        target: Box<Expr>,
        body: Vec<Expr>,
    },
    Module {
        path: Box<Expr>,
        body: Vec<Expr>,
    },
    Return(Option<Box<Expr>>),
    Break(Option<Box<Expr>>),
    Next(Option<Box<Expr>>),
    Redo,
    Retry,
    Yield(Vec<Expr>),
    /// `super` (args None: forwards the caller's arguments) or `super(...)`.
    Super {
        args: Option<Vec<Expr>>,
        #[serde(serialize_with = "ser_opt_block")]
        block: Option<Arc<Block>>,
    },
    Lambda(#[serde(serialize_with = "ser_block")] Arc<Block>),
    Alias(String, String),
    Undef(Vec<String>),
    /// `__FILE__`
    File,
    /// `__LINE__` (already resolved)
    Line(u32),
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Self { kind, span }
    }

    /// The text of a string literal without interpolation.
    pub fn as_plain_str(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Str(parts) => plain(parts),
            _ => None,
        }
    }

    /// A string or symbol literal's text.
    pub fn as_str_or_sym(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Str(parts) | ExprKind::DSym(parts) => plain(parts),
            ExprKind::Sym(s) => Some(s.to_string()),
            _ => None,
        }
    }

    /// `name` when this is a call without receiver.
    pub fn bare_call_name(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Call {
                recv: None, name, ..
            } => Some(name),
            _ => None,
        }
    }
}

fn ser_opt_block<S: serde::Serializer>(b: &Option<Arc<Block>>, s: S) -> Result<S::Ok, S::Error> {
    b.as_deref().serialize(s)
}

fn ser_block<S: serde::Serializer>(b: &Arc<Block>, s: S) -> Result<S::Ok, S::Error> {
    (**b).serialize(s)
}

/// Concatenated literal parts, or None when any part is interpolated.
pub fn plain(parts: &[StrPart]) -> Option<String> {
    // Most literals are one part: a copy at its exact size, no growth path.
    if let [StrPart::Lit(s)] = parts {
        return Some(s.clone());
    }
    let mut out = String::new();
    for p in parts {
        match p {
            StrPart::Lit(s) => out.push_str(s),
            StrPart::Code(_) => return None,
        }
    }
    Some(out)
}

/// A parsed Ruby file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Program {
    pub body: Vec<Expr>,
    /// Byte offset of `__END__`, when present (the data after it is not code).
    pub end_marker: Option<u32>,
}
