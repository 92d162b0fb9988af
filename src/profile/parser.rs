//! Recursive-descent / precedence-climbing parser for the Ruby subset of InSpec profiles.
//!
//! Ruby rules that matter for profiles and are followed here:
//! - a `do ... end` block binds to the outermost command call (`describe file('x') do`), a
//!   `{ ... }` block to the nearest call (`it { should ... }`);
//! - an identifier followed by a space and something that starts a value is a command call
//!   with arguments (`should eq 'x'`, `tag cis: '1.1'`), unless it is a local variable;
//! - `foo -1`, `foo [1]`, `foo *a` are arguments when the operator touches its operand and
//!   follows a space, binary operators otherwise.
//!
//! Recursion is bounded by [`MAX_DEPTH`]; every loop consumes a token or stops, so any input
//! either parses or returns a [`SyntaxError`].

use std::sync::Arc;

use super::ast::*;
use super::error::SyntaxError;
use super::lexer::{tokenize, Kw, LexPart, LexParts, Lexed, LitId, Tok, Token, P};

/// Deepest nesting of expressions (each Ruby nesting level uses 2–3 of these).
pub const MAX_DEPTH: u32 = 256;

/// Called in parse_unary and parse_primary, which every recursion cycle passes through.
/// Runs `f` with at least 128 KiB of stack left, switching to a new 4 MiB segment when the
/// thread's stack is short: the recursion bound holds on any caller's thread (a Python thread,
/// a tokio blocking thread) and in unoptimized builds.
fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(128 * 1024, 4 * 1024 * 1024, f)
}

type PResult<T> = Result<T, SyntaxError>;

static EOF_TOKEN: Token = Token {
    tok: Tok::Eof,
    from: 0,
    to: 0,
    space_before: false,
};

struct Scope {
    vars: Vec<String>,
    /// `def`/`class`/`module` bodies do not see outer locals.
    hard: bool,
}

pub struct Parser<'a> {
    text: &'a str,
    toks: Vec<Token<'a>>,
    /// The literals' parts, each taken once by the token that refers to it.
    lits: Vec<LexParts>,
    /// Statements and arguments being collected, innermost list on top: each list is moved
    /// out at its exact size once complete (no regrowth while it is built).
    scratch: Vec<Expr>,
    i: usize,
    /// Index of the Eof token; `toks` holds `LOOKAHEAD` more copies of it after this, so
    /// `tok(k)` needs no clamping.
    last: usize,
    depth: u32,
    lex_depth: u32,
    no_do: u32,
    scopes: Vec<Scope>,
    /// An operand parsed ahead of the precedence levels (see `operand_then`): the next
    /// `parse_unary` returns it instead of reading tokens.
    pending: Option<Expr>,
}

/// The farthest `tok(k)` looks ahead.
const LOOKAHEAD: usize = 2;

impl<'a> Parser<'a> {
    fn new(
        text: &'a str,
        lexed: Lexed<'a>,
        depth: u32,
        lex_depth: u32,
        scratch: Vec<Expr>,
        scopes: Vec<Scope>,
    ) -> Self {
        let mut toks = lexed.tokens;
        let eof = match toks.last() {
            Some(t) if matches!(t.tok, Tok::Eof) => *t,
            _ => {
                let end = toks.last().map_or(0, |t| t.to);
                let t = Token {
                    tok: Tok::Eof,
                    from: end,
                    to: end,
                    space_before: false,
                };
                toks.push(t);
                t
            }
        };
        let last = toks.len() - 1;
        toks.extend([eof; LOOKAHEAD]);
        Parser {
            text,
            toks,
            lits: lexed.lits,
            scratch,
            i: 0,
            last,
            depth,
            lex_depth,
            no_do: 0,
            scopes,
            pending: None,
        }
    }
}

/// Parses a whole file.
pub fn parse_program(text: &str) -> PResult<Program> {
    let lexed = tokenize(text, 0, text.len(), 0)?;
    let end_marker = lexed.end_marker;
    let scopes = vec![Scope {
        vars: Vec::new(),
        hard: true,
    }];
    let mut p = Parser::new(text, lexed, 0, 0, Vec::with_capacity(64), scopes);
    let body = p.parse_stmts()?;
    if !matches!(p.peek(), Tok::Eof) {
        return p.unexpected("a statement");
    }
    Ok(Program {
        body,
        end_marker: end_marker.map(|e| e as u32),
    })
}

fn describe_tok(t: &Tok) -> String {
    match t {
        Tok::Int(v) => format!("number {v}"),
        Tok::Float(v) => format!("number {v}"),
        Tok::Str(_) | Tok::XStr(_) => "a string".into(),
        Tok::Sym(s) => format!("symbol :{s}"),
        Tok::DSym(_) => "a symbol".into(),
        Tok::Regex(..) => "a regexp".into(),
        Tok::Words { .. } => "a word list".into(),
        Tok::Ident(s) | Tok::Const(s) | Tok::IVar(s) | Tok::GVar(s) | Tok::CVar(s) => {
            format!("'{s}'")
        }
        Tok::Label(s) => format!("'{s}:'"),
        Tok::Kw(k) => format!("'{}'", k.as_str()),
        Tok::P(p) => format!("'{}'", p.as_str()),
        Tok::NewLine => "end of line".into(),
        Tok::Eof => "end of file".into(),
    }
}

fn binop(t: &Tok) -> Option<(u8, BinOp, bool)> {
    let Tok::P(p) = t else { return None };
    Some(match p {
        P::OrOr => (1, BinOp::Or, false),
        P::AndAnd => (2, BinOp::And, false),
        P::EqEq => (4, BinOp::Eq, false),
        P::NotEq => (4, BinOp::NotEq, false),
        P::EqEqEq => (4, BinOp::CaseEq, false),
        P::Match => (4, BinOp::Match, false),
        P::NotMatch => (4, BinOp::NotMatch, false),
        P::Cmp => (4, BinOp::Cmp, false),
        P::Lt => (5, BinOp::Lt, false),
        P::Le => (5, BinOp::Le, false),
        P::Gt => (5, BinOp::Gt, false),
        P::Ge => (5, BinOp::Ge, false),
        P::Pipe => (6, BinOp::BitOr, false),
        P::Caret => (6, BinOp::BitXor, false),
        P::Amp => (7, BinOp::BitAnd, false),
        P::Shl => (8, BinOp::Shl, false),
        P::Shr => (8, BinOp::Shr, false),
        P::Plus => (9, BinOp::Add, false),
        P::Minus => (9, BinOp::Sub, false),
        P::Star => (10, BinOp::Mul, false),
        P::Slash => (10, BinOp::Div, false),
        P::Percent => (10, BinOp::Mod, false),
        P::Pow => (12, BinOp::Pow, true),
        _ => return None,
    })
}

/// Tokens that end a statement list (they belong to the enclosing construct).
fn ends_body(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Eof
            | Tok::Kw(
                Kw::End
                    | Kw::Else
                    | Kw::Elsif
                    | Kw::When
                    | Kw::In
                    | Kw::Rescue
                    | Kw::Ensure
                    | Kw::Then
            )
            | Tok::P(P::RBrace | P::RParen | P::RBracket)
    )
}

/// A literal, name or variable: a token `parse_primary_inner` turns into a node by itself
/// (every other primary starts with punctuation or a keyword).
#[inline]
fn is_data(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Int(_)
            | Tok::Float(_)
            | Tok::Str(_)
            | Tok::XStr(_)
            | Tok::Sym(_)
            | Tok::DSym(_)
            | Tok::Regex(..)
            | Tok::Words { .. }
            | Tok::Ident(_)
            | Tok::Const(_)
            | Tok::IVar(_)
            | Tok::GVar(_)
            | Tok::CVar(_)
    )
}

/// After an operand at statement level: nothing in the statement can extend it.
fn ends_stmt(t: &Tok) -> bool {
    matches!(
        t,
        Tok::NewLine
            | Tok::Eof
            | Tok::P(P::Semi | P::RBrace | P::RParen | P::RBracket)
            | Tok::Kw(Kw::End)
    )
}

/// After an operand inside `parse_expr`: no level from assignment down can extend it (`,`,
/// `=>`, modifiers and `and`/`or` belong to the callers).
fn ends_expr(t: &Tok) -> bool {
    matches!(
        t,
        Tok::NewLine
            | Tok::Eof
            | Tok::P(P::Semi | P::RBrace | P::RParen | P::RBracket | P::Comma | P::FatArrow)
            | Tok::Kw(
                Kw::End
                    | Kw::Do
                    | Kw::Then
                    | Kw::If
                    | Kw::Unless
                    | Kw::While
                    | Kw::Until
                    | Kw::Rescue
                    | Kw::And
                    | Kw::Or
            )
    )
}

impl<'a> Parser<'a> {
    // ---- token helpers -------------------------------------------------------------------

    #[inline]
    fn tok(&self, k: usize) -> &Token<'a> {
        debug_assert!(k <= LOOKAHEAD);
        // In bounds for k <= LOOKAHEAD: the Eof copies after `last` answer.
        self.toks.get(self.i + k).unwrap_or(&EOF_TOKEN)
    }

    #[inline]
    fn peek(&self) -> &Tok<'a> {
        &self.tok(0).tok
    }

    /// Consumes the current token. At the end of file the Eof token stays.
    fn bump(&mut self) -> Token<'a> {
        let t = *self.tok(0);
        self.skip();
        t
    }

    /// Consumes the current token (when its value is not needed).
    #[inline]
    fn skip(&mut self) {
        if self.i < self.last {
            self.i += 1;
        }
    }

    #[inline]
    fn at_p(&self, p: P) -> bool {
        matches!(self.peek(), Tok::P(q) if *q == p)
    }

    #[inline]
    fn at_kw(&self, k: Kw) -> bool {
        matches!(self.peek(), Tok::Kw(q) if *q == k)
    }

    #[inline]
    fn eat_p(&mut self, p: P) -> bool {
        if self.at_p(p) {
            self.skip();
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, k: Kw) -> bool {
        if self.at_kw(k) {
            self.skip();
            true
        } else {
            false
        }
    }

    fn unexpected<T>(&self, expected: &str) -> PResult<T> {
        let t = self.tok(0);
        Err(SyntaxError::new(
            t.start(),
            format!("expected {expected}, found {}", describe_tok(&t.tok)),
        ))
    }

    fn expect_p(&mut self, p: P, expected: &str) -> PResult<Token<'a>> {
        if self.at_p(p) {
            Ok(self.bump())
        } else {
            self.unexpected(expected)
        }
    }

    fn expect_end(&mut self, what: &str, start: usize) -> PResult<Token<'a>> {
        if self.at_kw(Kw::End) {
            Ok(self.bump())
        } else {
            let t = self.tok(0);
            let (line, _) = line_col(self.text, start);
            Err(SyntaxError::new(
                t.start(),
                format!(
                    "expected 'end' to close '{what}' opened on line {line}, found {}",
                    describe_tok(&t.tok)
                ),
            ))
        }
    }

    /// `(` right after a name (no space): a call's argument list.
    fn paren_call_follows(&self) -> bool {
        self.at_p(P::LParen) && !self.tok(0).space_before
    }

    fn skip_terms(&mut self) {
        while matches!(self.peek(), Tok::NewLine | Tok::P(P::Semi)) {
            self.skip();
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Tok::NewLine) {
            self.skip();
        }
    }

    #[inline]
    fn prev_end(&self) -> usize {
        // At the first token, i - 1 wraps to an index past the end: 0.
        self.toks.get(self.i.wrapping_sub(1)).map_or(0, |t| t.end())
    }

    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.prev_end().max(start))
    }

    #[inline]
    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SyntaxError::new(
                self.tok(0).start(),
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    // ---- scopes --------------------------------------------------------------------------

    fn declare(&mut self, name: &str) {
        if self.is_local(name) {
            return;
        }
        if let Some(s) = self.scopes.last_mut() {
            s.vars.push(name.to_string());
        }
    }

    fn is_local(&self, name: &str) -> bool {
        for s in self.scopes.iter().rev() {
            if s.vars.iter().any(|v| v == name) {
                return true;
            }
            if s.hard {
                break;
            }
        }
        false
    }

    fn push_scope(&mut self, hard: bool) {
        self.scopes.push(Scope {
            vars: Vec::new(),
            hard,
        });
    }

    fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    // ---- statements ----------------------------------------------------------------------

    fn parse_stmts(&mut self) -> PResult<Vec<Expr>> {
        let base = self.scratch.len();
        let r = self.collect_stmts();
        self.take_scratch(base, r)
    }

    /// The list collected on the scratch stack above `base` (emptied on error too).
    fn take_scratch(&mut self, base: usize, r: PResult<()>) -> PResult<Vec<Expr>> {
        // One copy of the whole list into an allocation of its size.
        let items = self.scratch.split_off(base.min(self.scratch.len()));
        r.map(|()| items)
    }

    fn collect_stmts(&mut self) -> PResult<()> {
        loop {
            self.skip_terms();
            if ends_body(self.peek()) {
                break;
            }
            let before = self.i;
            let stmt = self.parse_stmt()?;
            self.scratch.push(stmt);
            if self.i == before {
                return self.unexpected("a statement");
            }
            if !matches!(self.peek(), Tok::NewLine | Tok::P(P::Semi)) && !ends_body(self.peek()) {
                return self.unexpected("end of line or ';' after the statement");
            }
        }
        Ok(())
    }

    #[inline]
    fn parse_stmt(&mut self) -> PResult<Expr> {
        self.enter()?;
        // The expression and unary levels lie between here and the operand.
        let r = self.operand_then(2, ends_stmt, Self::parse_stmt_inner);
        self.depth -= 1;
        r
    }

    /// Most statements and arguments are one operand (`describe file('x') do ... end`,
    /// `it { should eq 0 }`, `cis: '1.1'`). When the current token starts one, parses it
    /// first, `levels` deeper (the levels the chain would enter on the way), and returns it when
    /// `ends(next token)` says no precedence level could extend it: the tree `rest` would build,
    /// without passing a result through a dozen levels. Otherwise `rest` runs with the operand
    /// pending, and its `parse_unary` takes it; each level takes its start from it.
    #[inline]
    fn operand_then(
        &mut self,
        levels: u32,
        ends: fn(&Tok) -> bool,
        rest: fn(&mut Self) -> PResult<Expr>,
    ) -> PResult<Expr> {
        if self.pending.is_some() || !is_data(self.peek()) {
            return rest(self);
        }
        self.depth += levels;
        let e = self.parse_primary_postfix();
        self.depth -= levels;
        let e = e?;
        if ends(self.peek()) {
            return Ok(e);
        }
        self.pending = Some(e);
        rest(self)
    }

    /// Where the levels above the operand start: the pending operand's first byte, if any.
    #[inline]
    fn expr_start(&self) -> usize {
        match &self.pending {
            Some(e) => e.span.start as usize,
            None => self.tok(0).start(),
        }
    }

    #[inline]
    fn parse_stmt_inner(&mut self) -> PResult<Expr> {
        let depth0 = self.depth;
        let r = self.parse_stmt_mods();
        self.depth = depth0;
        r
    }

    fn parse_stmt_mods(&mut self) -> PResult<Expr> {
        let start = self.expr_start();
        let mut e = self.parse_expr_stmt()?;
        // `a, b = x`
        if self.at_p(P::Comma) && is_lvalue(&e) {
            let mut targets = vec![self.make_target(e)];
            while self.eat_p(P::Comma) {
                if self.at_p(P::Assign) {
                    break;
                }
                let t = if self.eat_p(P::Star) {
                    let s = self.tok(0).start();
                    let inner = self.parse_primary_postfix()?;
                    let inner = self.make_target(inner);
                    Expr::new(ExprKind::Splat(Box::new(inner)), self.span_from(s))
                } else {
                    let t = self.parse_primary_postfix()?;
                    if !is_lvalue(&t) {
                        return Err(SyntaxError::new(
                            t.span.start as usize,
                            "expected an assignable name",
                        ));
                    }
                    self.make_target(t)
                };
                targets.push(t);
            }
            self.expect_p(P::Assign, "'=' after the assignment targets")?;
            self.skip_newlines();
            let value = self.parse_rhs_list()?;
            e = Expr::new(
                ExprKind::MultiAssign {
                    targets,
                    value: Box::new(value),
                },
                self.span_from(start),
            );
        }
        while let Tok::Kw(kw @ (Kw::If | Kw::Unless | Kw::While | Kw::Until | Kw::Rescue)) =
            *self.peek()
        {
            self.skip();
            // `a if b if c ...` nests: count each modifier against MAX_DEPTH.
            self.enter()?;
            let cond = self.parse_expr_stmt()?;
            let span = self.span_from(start);
            e = match kw {
                Kw::If => Expr::new(
                    ExprKind::If {
                        cond: Box::new(cond),
                        then_body: vec![e],
                        else_body: Vec::new(),
                    },
                    span,
                ),
                Kw::Unless => Expr::new(
                    ExprKind::If {
                        cond: Box::new(cond),
                        then_body: Vec::new(),
                        else_body: vec![e],
                    },
                    span,
                ),
                Kw::While | Kw::Until => {
                    let do_while = matches!(e.kind, ExprKind::Begin(_));
                    Expr::new(
                        ExprKind::While {
                            cond: Box::new(cond),
                            body: vec![e],
                            until: kw == Kw::Until,
                            do_while,
                        },
                        span,
                    )
                }
                _ => Expr::new(
                    ExprKind::Begin(Box::new(BeginExpr {
                        body: vec![e],
                        rescues: vec![Rescue {
                            classes: Vec::new(),
                            var: None,
                            body: vec![cond],
                        }],
                        else_body: None,
                        ensure: None,
                    })),
                    span,
                ),
            };
        }
        Ok(e)
    }

    /// `not`, `and`, `or` level.
    fn parse_expr_stmt(&mut self) -> PResult<Expr> {
        let start = self.expr_start();
        let mut l = self.parse_not()?;
        let depth0 = self.depth;
        loop {
            let op = if self.at_kw(Kw::And) {
                BinOp::And
            } else if self.at_kw(Kw::Or) {
                BinOp::Or
            } else {
                break;
            };
            self.skip();
            self.skip_newlines();
            // Each operator adds a level to the (left-deep) tree: count it against MAX_DEPTH.
            self.enter()?;
            let r = self.parse_not()?;
            l = Expr::new(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                },
                self.span_from(start),
            );
        }
        self.depth = depth0;
        Ok(l)
    }

    #[inline]
    fn parse_not(&mut self) -> PResult<Expr> {
        let start = self.tok(0).start();
        if self.pending.is_none() && self.eat_kw(Kw::Not) {
            self.enter()?;
            let e = self.parse_not();
            self.depth -= 1;
            let e = e?;
            return Ok(Expr::new(
                ExprKind::Unary {
                    op: UnaryOp::Not,
                    expr: Box::new(e),
                },
                self.span_from(start),
            ));
        }
        self.parse_expr()
    }

    // ---- expressions ---------------------------------------------------------------------

    /// Assignment level (right-associative), includes the ternary and everything tighter.
    #[inline]
    pub fn parse_expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        // The unary level lies between here and the operand.
        let r = self.operand_then(1, ends_expr, Self::parse_expr_inner);
        self.depth -= 1;
        r
    }

    fn parse_expr_inner(&mut self) -> PResult<Expr> {
        let start = self.expr_start();
        let lhs = self.parse_ternary()?;
        match self.peek() {
            Tok::P(P::Assign) if is_lvalue(&lhs) => {
                self.skip();
                self.skip_newlines();
                let target = self.make_target(lhs);
                let value = self.parse_rhs()?;
                Ok(Expr::new(
                    ExprKind::Assign {
                        target: Box::new(target),
                        value: Box::new(value),
                    },
                    self.span_from(start),
                ))
            }
            Tok::P(P::OpAssign(op)) if is_lvalue(&lhs) => {
                let op = *op;
                self.skip();
                self.skip_newlines();
                let target = self.make_target(lhs);
                let value = self.parse_rhs()?;
                Ok(Expr::new(
                    ExprKind::OpAssign {
                        target: Box::new(target),
                        op,
                        value: Box::new(value),
                    },
                    self.span_from(start),
                ))
            }
            _ => Ok(lhs),
        }
    }

    /// Right-hand side of `=`: an expression, `a rescue b`, or `a, b` (an array).
    fn parse_rhs(&mut self) -> PResult<Expr> {
        let start = self.tok(0).start();
        let v = if self.at_p(P::Star) {
            self.parse_rhs_list()?
        } else {
            self.parse_expr()?
        };
        if self.at_kw(Kw::Rescue) {
            self.skip();
            let r = self.parse_expr()?;
            return Ok(Expr::new(
                ExprKind::Begin(Box::new(BeginExpr {
                    body: vec![v],
                    rescues: vec![Rescue {
                        classes: Vec::new(),
                        var: None,
                        body: vec![r],
                    }],
                    else_body: None,
                    ensure: None,
                })),
                self.span_from(start),
            ));
        }
        Ok(v)
    }

    fn parse_rhs_list(&mut self) -> PResult<Expr> {
        let start = self.tok(0).start();
        let mut items = Vec::new();
        loop {
            let s = self.tok(0).start();
            if self.eat_p(P::Star) {
                let e = self.parse_ternary()?;
                items.push(Expr::new(ExprKind::Splat(Box::new(e)), self.span_from(s)));
            } else {
                items.push(self.parse_expr()?);
            }
            if !self.eat_p(P::Comma) {
                break;
            }
            self.skip_newlines();
        }
        if items.len() == 1 && !matches!(items[0].kind, ExprKind::Splat(_)) {
            return Ok(items.remove(0));
        }
        Ok(Expr::new(ExprKind::Array(items), self.span_from(start)))
    }

    /// Turns a parsed lvalue into an assignment target (a bare name becomes a local).
    fn make_target(&mut self, e: Expr) -> Expr {
        match e.kind {
            ExprKind::Call {
                recv: None,
                ref name,
                ref args,
                block: None,
                parens: false,
                ..
            } if args.is_empty() => {
                let name = name.clone();
                self.declare(&name);
                Expr::new(ExprKind::Var(name), e.span)
            }
            _ => e,
        }
    }

    fn parse_ternary(&mut self) -> PResult<Expr> {
        let start = self.expr_start();
        let cond = self.parse_range()?;
        if !self.at_p(P::Question) {
            return Ok(cond);
        }
        self.skip();
        self.skip_newlines();
        self.enter()?;
        let a = self.parse_ternary_branch();
        let a = match a {
            Ok(a) => a,
            Err(e) => {
                self.depth -= 1;
                return Err(e);
            }
        };
        self.skip_newlines();
        // `x ? a :b` lexes `:b` as a symbol only after an identifier; require the colon here.
        if let Err(e) = self.expect_p(P::Colon, "':' of the ternary operator") {
            self.depth -= 1;
            return Err(e);
        }
        self.skip_newlines();
        let b = self.parse_ternary_branch();
        self.depth -= 1;
        let b = b?;
        Ok(Expr::new(
            ExprKind::If {
                cond: Box::new(cond),
                then_body: vec![a],
                else_body: vec![b],
            },
            self.span_from(start),
        ))
    }

    fn parse_ternary_branch(&mut self) -> PResult<Expr> {
        let start = self.tok(0).start();
        let e = self.parse_ternary()?;
        if matches!(self.peek(), Tok::P(P::Assign | P::OpAssign(_))) && is_lvalue(&e) {
            let op = match self.bump().tok {
                Tok::P(P::OpAssign(o)) => Some(o),
                _ => None,
            };
            let target = self.make_target(e);
            let value = self.parse_ternary()?;
            let kind = match op {
                Some(op) => ExprKind::OpAssign {
                    target: Box::new(target),
                    op,
                    value: Box::new(value),
                },
                None => ExprKind::Assign {
                    target: Box::new(target),
                    value: Box::new(value),
                },
            };
            return Ok(Expr::new(kind, self.span_from(start)));
        }
        Ok(e)
    }

    #[inline]
    fn parse_range(&mut self) -> PResult<Expr> {
        let start = self.expr_start();
        let lo = self.parse_binary(0)?;
        let exclusive = match self.peek() {
            Tok::P(P::Dot2) => false,
            Tok::P(P::Dot3) => true,
            _ => return Ok(lo),
        };
        self.skip();
        let hi = if self.starts_value() {
            Some(Box::new(self.parse_binary(0)?))
        } else {
            None
        };
        Ok(Expr::new(
            ExprKind::Range {
                lo: Some(Box::new(lo)),
                hi,
                exclusive,
            },
            self.span_from(start),
        ))
    }

    /// Can the current token start a value (used for endless ranges and `return x`)?
    fn starts_value(&self) -> bool {
        match self.peek() {
            Tok::NewLine | Tok::Eof => false,
            Tok::Kw(k) => matches!(
                k,
                Kw::Nil
                    | Kw::True
                    | Kw::False
                    | Kw::SelfKw
                    | Kw::Not
                    | Kw::Defined
                    | Kw::Case
                    | Kw::Begin
                    | Kw::File
                    | Kw::Line
                    | Kw::Super
                    | Kw::Yield
            ),
            Tok::P(p) => matches!(
                p,
                P::LParen
                    | P::LBracket
                    | P::LBrace
                    | P::Minus
                    | P::Bang
                    | P::Lambda
                    | P::ColonColon
                    | P::Star
                    | P::Tilde
            ),
            _ => true,
        }
    }

    fn parse_binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let start = self.expr_start();
        let mut lhs = self.parse_unary()?;
        let depth0 = self.depth;
        while let Some((prec, op, right)) = binop(self.peek()) {
            if prec < min_prec {
                break;
            }
            self.skip();
            self.skip_newlines();
            self.enter()?;
            let rhs = self.parse_binary(if right { prec } else { prec + 1 })?;
            lhs = Expr::new(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                self.span_from(start),
            );
        }
        self.depth = depth0;
        Ok(lhs)
    }

    #[inline]
    fn parse_unary(&mut self) -> PResult<Expr> {
        if let Some(e) = self.pending.take() {
            return Ok(e);
        }
        self.enter()?;
        let r = grow(|| self.parse_unary_inner());
        self.depth -= 1;
        r
    }

    fn parse_unary_inner(&mut self) -> PResult<Expr> {
        let start = self.tok(0).start();
        let op = match self.peek() {
            Tok::P(P::Bang) => UnaryOp::Not,
            Tok::P(P::Tilde) => UnaryOp::BitNot,
            Tok::P(P::Plus) => UnaryOp::Pos,
            Tok::P(P::Minus) => {
                // `-1` is a literal (so `-1.abs` is `(-1).abs`).
                let next = self.tok(1);
                if !next.space_before {
                    let lit = match next.tok {
                        Tok::Int(v) => Some(ExprKind::Int(v.wrapping_neg())),
                        Tok::Float(v) => Some(ExprKind::Float(-v)),
                        _ => None,
                    };
                    if let Some(kind) = lit {
                        if !matches!(self.tok(2).tok, Tok::P(P::Pow)) {
                            self.skip();
                            self.skip();
                            let e = Expr::new(kind, self.span_from(start));
                            return self.parse_postfix(e);
                        }
                    }
                }
                UnaryOp::Neg
            }
            Tok::Kw(Kw::Defined) => {
                self.skip();
                let paren = self.at_p(P::LParen) && !self.tok(0).space_before;
                let e = if paren {
                    self.skip();
                    self.skip_newlines();
                    let e = self.parse_expr_stmt()?;
                    self.skip_newlines();
                    self.expect_p(P::RParen, "')' after defined?(...")?;
                    e
                } else {
                    self.parse_unary()?
                };
                return Ok(Expr::new(
                    ExprKind::Defined(Box::new(e)),
                    self.span_from(start),
                ));
            }
            Tok::Kw(Kw::Not) => {
                self.skip();
                let e = self.parse_expr()?;
                return Ok(Expr::new(
                    ExprKind::Unary {
                        op: UnaryOp::Not,
                        expr: Box::new(e),
                    },
                    self.span_from(start),
                ));
            }
            _ => return self.parse_primary_postfix(),
        };
        self.skip();
        let e = self.parse_unary()?;
        // `-a ** b` is `-(a ** b)`: let the binary loop of the caller see `**` on the operand.
        Ok(Expr::new(
            ExprKind::Unary {
                op,
                expr: Box::new(e),
            },
            self.span_from(start),
        ))
    }

    #[inline]
    fn parse_primary_postfix(&mut self) -> PResult<Expr> {
        let e = self.parse_primary()?;
        self.parse_postfix(e)
    }

    #[inline]
    fn parse_postfix(&mut self, e: Expr) -> PResult<Expr> {
        let depth0 = self.depth;
        let r = self.parse_postfix_loop(e);
        self.depth = depth0;
        r
    }

    fn parse_postfix_loop(&mut self, mut e: Expr) -> PResult<Expr> {
        loop {
            // Each postfix step nests the tree one level deeper (a.b.c is left-deep).
            if !matches!(
                self.peek(),
                Tok::P(P::Dot | P::AndDot | P::ColonColon | P::LBracket | P::LBrace)
                    | Tok::Kw(Kw::Do)
            ) {
                return Ok(e);
            }
            self.enter()?;
            let (t_space, t_start) = (self.tok(0).space_before, self.tok(0).start());
            match self.peek() {
                Tok::P(P::Dot) | Tok::P(P::AndDot) => {
                    let safe = matches!(self.peek(), Tok::P(P::AndDot));
                    self.skip();
                    self.skip_newlines();
                    if let Some(op) = self.operator_method() {
                        e = self.call_rest(Some(e), op, safe)?;
                        continue;
                    }
                    let nt = self.bump();
                    let name = match nt.tok {
                        Tok::Ident(s) | Tok::Const(s) => s,
                        Tok::Kw(k) => k.as_str(),
                        Tok::Label(s) => {
                            // `a.b:` cannot happen in valid code
                            return Err(SyntaxError::new(
                                nt.start(),
                                format!("unexpected label '{s}:' after '.'"),
                            ));
                        }
                        Tok::P(P::LParen) => {
                            // `.()` is `.call()`: put the '(' back for call_rest
                            self.i -= 1;
                            "call"
                        }
                        other => {
                            return Err(SyntaxError::new(
                                nt.start(),
                                format!(
                                    "expected a method name after '.', found {}",
                                    describe_tok(&other)
                                ),
                            ))
                        }
                    };
                    e = self.call_rest(Some(e), name, safe)?;
                }
                Tok::P(P::ColonColon) if !t_space || !self.tok(1).space_before => {
                    self.skip();
                    let nt = self.bump();
                    match nt.tok {
                        Tok::Const(name) if !self.paren_call_follows() => {
                            let span = e.span.to(Span::new(nt.start(), nt.end()));
                            e = Expr::new(
                                ExprKind::Const {
                                    scope: Some(Box::new(e)),
                                    name: name.to_string(),
                                    top: false,
                                },
                                span,
                            );
                        }
                        Tok::Const(name) | Tok::Ident(name) => {
                            e = self.call_rest(Some(e), name, false)?;
                        }
                        other => {
                            return Err(SyntaxError::new(
                                nt.start(),
                                format!(
                                    "expected a constant or method name after '::', found {}",
                                    describe_tok(&other)
                                ),
                            ))
                        }
                    }
                }
                Tok::P(P::LBracket)
                    if !t_space || matches!(e.kind, ExprKind::Var(_) | ExprKind::IVar(_)) =>
                {
                    self.skip();
                    let args = self.parse_arg_list(Some(P::RBracket))?;
                    let span = e.span.to(self.span_from(t_start));
                    e = Expr::new(
                        ExprKind::Index {
                            recv: Box::new(e),
                            args,
                        },
                        span,
                    );
                }
                Tok::P(P::LBrace) if is_block_target(&e) => {
                    let blk = self.parse_brace_block()?;
                    attach_block(&mut e, blk);
                }
                Tok::Kw(Kw::Do) if self.no_do == 0 && is_block_target(&e) => {
                    let blk = self.parse_do_block()?;
                    attach_block(&mut e, blk);
                }
                _ => break,
            }
        }
        Ok(e)
    }

    /// After a method name: `(args)`, command args, or nothing.
    fn call_rest(&mut self, recv: Option<Expr>, name: &str, safe_nav: bool) -> PResult<Expr> {
        let start = recv
            .as_ref()
            .map(|r| r.span.start as usize)
            .unwrap_or_else(|| {
                self.toks
                    .get(self.i.saturating_sub(1))
                    .map(|t| t.start())
                    .unwrap_or(0)
            });
        let (args, parens) = if self.at_p(P::LParen) && !self.tok(0).space_before {
            self.skip();
            (self.parse_arg_list(Some(P::RParen))?, true)
        } else if self.command_arg_start() {
            self.no_do += 1;
            let a = self.parse_arg_list(None);
            self.no_do -= 1;
            (a?, false)
        } else {
            (Vec::new(), false)
        };
        Ok(Expr::new(
            ExprKind::Call {
                recv: recv.map(Box::new),
                name: Name::from(name),
                args,
                block: None,
                safe_nav,
                parens,
            },
            self.span_from(start),
        ))
    }

    /// Does the current token start the first argument of a command call (`foo arg`)?
    fn command_arg_start(&self) -> bool {
        let t = self.tok(0);
        if !t.space_before {
            // After a method name a quote can only open a string: `describe"x"` is
            // `describe("x")` in Ruby (parse.y reads `tIDENTIFIER tSTRING_BEG` as a command).
            return matches!(t.tok, Tok::Str(_));
        }
        let tight_next = !self.tok(1).space_before;
        match &t.tok {
            tok if is_data(tok) => true,
            Tok::Label(_) => true,
            Tok::Kw(k) => matches!(
                k,
                Kw::Nil
                    | Kw::True
                    | Kw::False
                    | Kw::SelfKw
                    | Kw::Not
                    | Kw::Defined
                    | Kw::File
                    | Kw::Line
                    | Kw::Super
                    | Kw::Yield
                    | Kw::Case
            ),
            Tok::P(p) => match p {
                P::LParen | P::LBracket | P::Lambda => true,
                P::Minus
                | P::Plus
                | P::Star
                | P::Pow
                | P::Amp
                | P::ColonColon
                | P::Bang
                | P::Tilde => tight_next,
                _ => false,
            },
            _ => false,
        }
    }

    /// Arguments up to `closing` (consumed), or command arguments (no closing token).
    fn parse_arg_list(&mut self, closing: Option<P>) -> PResult<Vec<Expr>> {
        let base = self.scratch.len();
        let r = self.collect_args(closing);
        self.take_scratch(base, r)
    }

    fn collect_args(&mut self, closing: Option<P>) -> PResult<()> {
        let mut pairs: Vec<HashEntry> = Vec::new();
        let mut pairs_start = None;
        let mut block_pass = None;
        loop {
            if let Some(c) = closing {
                self.skip_newlines();
                if self.at_p(c) {
                    break;
                }
            }
            let s = self.tok(0).start();
            match self.peek() {
                Tok::Label(_) => {
                    let k = match self.bump().tok {
                        Tok::Label(k) => k,
                        _ => "",
                    };
                    pairs_start.get_or_insert(s);
                    self.skip_newlines();
                    let key = Expr::new(ExprKind::Sym(Name::from(k)), self.span_from(s));
                    let v = self.parse_arg_value()?;
                    pairs.push(HashEntry::Pair(key, v));
                }
                Tok::Str(_)
                    if matches!(self.tok(1).tok, Tok::P(P::Colon))
                        && !self.tok(1).space_before
                        && self.tok(2).space_before =>
                {
                    let parts = match self.bump().tok {
                        Tok::Str(p) => p,
                        _ => LitId::MAX,
                    };
                    self.skip();
                    pairs_start.get_or_insert(s);
                    let key = Expr::new(ExprKind::DSym(self.str_parts(parts)?), self.span_from(s));
                    self.skip_newlines();
                    let v = self.parse_arg_value()?;
                    pairs.push(HashEntry::Pair(key, v));
                }
                Tok::P(P::Pow) => {
                    self.skip();
                    pairs_start.get_or_insert(s);
                    let v = self.parse_ternary()?;
                    pairs.push(HashEntry::Splat(v));
                }
                Tok::P(P::Star) => {
                    self.skip();
                    let v = self.parse_ternary()?;
                    let e = Expr::new(ExprKind::Splat(Box::new(v)), self.span_from(s));
                    self.scratch.push(e);
                }
                Tok::P(P::Amp) => {
                    self.skip();
                    let v = self.parse_ternary()?;
                    block_pass = Some(Expr::new(
                        ExprKind::BlockPass(Box::new(v)),
                        self.span_from(s),
                    ));
                }
                _ => {
                    let e = self.parse_arg_value()?;
                    if self.at_p(P::FatArrow) {
                        self.skip();
                        self.skip_newlines();
                        pairs_start.get_or_insert(s);
                        let v = self.parse_arg_value()?;
                        pairs.push(HashEntry::Pair(e, v));
                    } else {
                        self.scratch.push(e);
                    }
                }
            }
            if !self.eat_p(P::Comma) {
                break;
            }
            self.skip_newlines();
        }
        if pairs.is_empty() {
            // Nothing was pushed, so nothing was allocated: skip the out-of-line drop call that
            // most argument lists would otherwise pay for an empty list.
            std::mem::forget(pairs);
        } else {
            let s = pairs_start.unwrap_or(0);
            let hash = Expr::new(
                ExprKind::Hash {
                    entries: pairs,
                    braces: false,
                },
                self.span_from(s),
            );
            self.scratch.push(hash);
        }
        if let Some(b) = block_pass {
            self.scratch.push(b);
        }
        if let Some(c) = closing {
            self.skip_newlines();
            let what = match c {
                P::RParen => "')' to close the argument list",
                P::RBracket => "']' to close the list",
                _ => "a closing bracket",
            };
            self.expect_p(c, what)?;
        }
        Ok(())
    }

    /// One argument value: an expression with `rescue`-free assignment allowed.
    fn parse_arg_value(&mut self) -> PResult<Expr> {
        if self.simple_operand_follows() {
            // Same tree as parse_expr (nothing after the operand can extend it) without the
            // dozen precedence levels in between; the depth matches what they would add.
            self.depth += 2;
            let r = self.parse_primary();
            self.depth -= 2;
            return r;
        }
        self.parse_expr()
    }

    /// A literal, name or constant followed by `,` `)` `]` `}` `;` or the end of the line:
    /// the common argument (`file('/etc/passwd')`, `cis: '1.1'`, `eq 0`), which is its own
    /// whole expression.
    fn simple_operand_follows(&self) -> bool {
        let operand = matches!(
            self.peek(),
            Tok::Int(_)
                | Tok::Float(_)
                | Tok::Str(_)
                | Tok::Sym(_)
                | Tok::Ident(_)
                | Tok::Const(_)
                | Tok::IVar(_)
                | Tok::Kw(Kw::Nil | Kw::True | Kw::False)
        );
        operand
            && matches!(
                self.tok(1).tok,
                Tok::P(P::Comma | P::RParen | P::RBracket | P::RBrace | P::Semi)
                    | Tok::NewLine
                    | Tok::Eof
            )
    }

    fn str_parts(&mut self, id: LitId) -> PResult<Parts> {
        let mut parts = self
            .lits
            .get_mut(id as usize)
            .map(std::mem::take)
            .unwrap_or_default();
        if let [LexPart::Lit(s)] = parts.as_mut_slice() {
            // The common case: one text part, moved from inline storage to inline storage.
            return Ok(smallvec::smallvec![StrPart::Lit(std::mem::take(s))]);
        }
        if parts.iter().all(|p| matches!(p, LexPart::Lit(_))) {
            return Ok(parts
                .into_iter()
                .map(|p| match p {
                    LexPart::Lit(s) => StrPart::Lit(s),
                    LexPart::Code(..) => StrPart::Lit(String::new()),
                })
                .collect());
        }
        let mut out = Parts::with_capacity(parts.len());
        for p in parts {
            match p {
                LexPart::Lit(s) => out.push(StrPart::Lit(s)),
                LexPart::Code(s, e) => out.push(StrPart::Code(self.parse_code(s, e)?)),
            }
        }
        Ok(out)
    }

    /// Parses the statements of an interpolation `#{...}` at `text[start..end]`.
    fn parse_code(&mut self, start: usize, end: usize) -> PResult<Vec<Expr>> {
        if self.lex_depth >= super::lexer::MAX_INTERP_DEPTH {
            return Err(SyntaxError::new(start, "interpolation nested too deeply"));
        }
        let lexed = tokenize(self.text, start, end, self.lex_depth + 1)?;
        // The interpolation sees the locals visible here, and its own die with it: it parses on
        // this parser's scope stack (and scratch stack), lent with one more scope on top.
        let n_scopes = self.scopes.len();
        let mut scopes = std::mem::take(&mut self.scopes);
        scopes.push(Scope {
            vars: Vec::new(),
            hard: false,
        });
        let scratch = std::mem::take(&mut self.scratch);
        let mut sub = Parser::new(
            self.text,
            lexed,
            self.depth,
            self.lex_depth + 1,
            scratch,
            scopes,
        );
        let r = match sub.parse_stmts() {
            Ok(_) if !matches!(sub.peek(), Tok::Eof) => {
                sub.unexpected("'}' to close the interpolation")
            }
            r => r,
        };
        self.scratch = std::mem::take(&mut sub.scratch);
        self.scopes = std::mem::take(&mut sub.scopes);
        self.scopes.truncate(n_scopes);
        r
    }

    #[inline]
    fn parse_primary(&mut self) -> PResult<Expr> {
        self.enter()?;
        let r = grow(|| self.parse_primary_inner());
        self.depth -= 1;
        r
    }

    fn parse_primary_inner(&mut self) -> PResult<Expr> {
        let start = self.tok(0).start();
        if !is_data(self.peek()) {
            return self.parse_primary_punct(start);
        }
        let t = self.bump();
        match t.tok {
            Tok::Int(v) => Ok(Expr::new(ExprKind::Int(v), self.span_from(start))),
            Tok::Float(v) => Ok(Expr::new(ExprKind::Float(v), self.span_from(start))),
            Tok::Str(parts) => {
                let mut parts = self.str_parts(parts)?;
                // Adjacent literals concatenate: 'a' 'b'
                while let Tok::Str(_) = &self.tok(0).tok {
                    // Ruby joins juxtaposed literals with or without space between them
                    // (`"a"'b'`); in `"a" "b": 1` the second is a label.
                    let label =
                        matches!(self.tok(1).tok, Tok::P(P::Colon)) && !self.tok(1).space_before;
                    if !label {
                        let more = match self.bump().tok {
                            Tok::Str(m) => m,
                            _ => LitId::MAX,
                        };
                        let more = self.str_parts(more)?;
                        parts.extend(more);
                    } else {
                        break;
                    }
                }
                Ok(Expr::new(
                    ExprKind::Str(merge_lits(parts)),
                    self.span_from(start),
                ))
            }
            Tok::XStr(parts) => {
                let parts = self.str_parts(parts)?;
                Ok(Expr::new(ExprKind::XStr(parts), self.span_from(start)))
            }
            Tok::Sym(s) => Ok(Expr::new(
                ExprKind::Sym(Name::from(s)),
                self.span_from(start),
            )),
            Tok::DSym(parts) => {
                let parts = self.str_parts(parts)?;
                match plain(&parts) {
                    Some(s) => Ok(Expr::new(
                        ExprKind::Sym(Name::from(s)),
                        self.span_from(start),
                    )),
                    None => Ok(Expr::new(ExprKind::DSym(parts), self.span_from(start))),
                }
            }
            Tok::Regex(parts, flags) => {
                let parts = self.str_parts(parts)?;
                Ok(Expr::new(
                    ExprKind::Regex {
                        parts,
                        flags: flags.to_string(),
                    },
                    self.span_from(start),
                ))
            }
            Tok::Words {
                symbols,
                first,
                count,
            } => {
                let mut out = Vec::with_capacity(count as usize);
                for item in first..first.saturating_add(count) {
                    let parts = self.str_parts(item)?;
                    let kind = if symbols {
                        match plain(&parts) {
                            Some(s) => ExprKind::Sym(Name::from(s)),
                            None => ExprKind::DSym(parts),
                        }
                    } else {
                        ExprKind::Str(parts)
                    };
                    out.push(Expr::new(kind, self.span_from(start)));
                }
                Ok(Expr::new(ExprKind::Array(out), self.span_from(start)))
            }
            Tok::Ident(name) => {
                if self.is_local(name) && !self.paren_call_follows() {
                    return Ok(Expr::new(
                        ExprKind::Var(Name::from(name)),
                        self.span_from(start),
                    ));
                }
                self.call_rest(None, name, false)
            }
            Tok::Const(name) => {
                if self.at_p(P::LParen) && !self.tok(0).space_before {
                    return self.call_rest(None, name, false);
                }
                // `Foo 'x'` (a command call on a constant name) is rare; treat `Foo "x"` as a call.
                if matches!(self.tok(0).tok, Tok::Str(_)) && self.tok(0).space_before {
                    return self.call_rest(None, name, false);
                }
                Ok(Expr::new(
                    ExprKind::Const {
                        scope: None,
                        name: name.to_string(),
                        top: false,
                    },
                    self.span_from(start),
                ))
            }
            Tok::IVar(n) => Ok(Expr::new(
                ExprKind::IVar(n.to_string()),
                self.span_from(start),
            )),
            Tok::GVar(n) => Ok(Expr::new(
                ExprKind::GVar(n.to_string()),
                self.span_from(start),
            )),
            Tok::CVar(n) => Ok(Expr::new(
                ExprKind::CVar(n.to_string()),
                self.span_from(start),
            )),
            _ => self.unexpected("an expression"),
        }
    }

    fn parse_primary_punct(&mut self, start: usize) -> PResult<Expr> {
        match self.peek() {
            Tok::Label(_) => {
                // A bare `key: v` list at the start of an expression: a braceless hash.
                let args = self.parse_arg_list(None)?;
                let mut args = args;
                if args.len() == 1 {
                    return Ok(args.remove(0));
                }
                self.unexpected("an expression")
            }
            Tok::P(P::LParen) => {
                self.skip();
                self.skip_terms();
                let saved = self.no_do;
                self.no_do = 0;
                let body = self.parse_stmts();
                self.no_do = saved;
                let mut body = body?;
                self.skip_terms();
                self.expect_p(P::RParen, "')'")?;
                if body.len() == 1 {
                    let mut e = body.remove(0);
                    e.span = self.span_from(start);
                    return Ok(match e.kind {
                        // keep the parens visible for `(a, b)`-free single values
                        k @ ExprKind::Call { .. } => {
                            Expr::new(ExprKind::Paren(vec![Expr::new(k, e.span)]), e.span)
                        }
                        k => Expr::new(k, e.span),
                    });
                }
                if body.is_empty() {
                    return Ok(Expr::new(ExprKind::Nil, self.span_from(start)));
                }
                Ok(Expr::new(ExprKind::Paren(body), self.span_from(start)))
            }
            Tok::P(P::LBracket) => {
                self.skip();
                let saved = self.no_do;
                self.no_do = 0;
                let items = self.parse_arg_list(Some(P::RBracket));
                self.no_do = saved;
                Ok(Expr::new(ExprKind::Array(items?), self.span_from(start)))
            }
            Tok::P(P::LBrace) => {
                self.skip();
                let saved = self.no_do;
                self.no_do = 0;
                let h = self.parse_hash_body(start);
                self.no_do = saved;
                h
            }
            Tok::P(P::Lambda) => {
                self.skip();
                self.push_scope(false);
                let r = self.parse_lambda(start);
                self.pop_scope();
                r
            }
            Tok::P(P::ColonColon) => {
                self.skip();
                match self.bump().tok {
                    Tok::Const(name) => Ok(Expr::new(
                        ExprKind::Const {
                            scope: None,
                            name: name.to_string(),
                            top: true,
                        },
                        self.span_from(start),
                    )),
                    other => Err(SyntaxError::new(
                        start,
                        format!(
                            "expected a constant after '::', found {}",
                            describe_tok(&other)
                        ),
                    )),
                }
            }
            Tok::P(P::Dot2 | P::Dot3) => {
                let exclusive = self.at_p(P::Dot3);
                self.skip();
                let hi = self.parse_binary(0)?;
                Ok(Expr::new(
                    ExprKind::Range {
                        lo: None,
                        hi: Some(Box::new(hi)),
                        exclusive,
                    },
                    self.span_from(start),
                ))
            }
            Tok::P(P::Star) => {
                // splat in a value list: `[*a]` handled by parse_arg_list; here `*a` alone
                self.skip();
                let e = self.parse_ternary()?;
                Ok(Expr::new(
                    ExprKind::Splat(Box::new(e)),
                    self.span_from(start),
                ))
            }
            Tok::Kw(k) => {
                let k = *k;
                self.parse_keyword(k, start)
            }
            _ => self.unexpected("an expression"),
        }
    }

    fn parse_hash_body(&mut self, start: usize) -> PResult<Expr> {
        let mut entries = Vec::new();
        loop {
            self.skip_newlines();
            if self.at_p(P::RBrace) {
                break;
            }
            let s = self.tok(0).start();
            match self.peek() {
                Tok::Label(_) => {
                    let k = match self.bump().tok {
                        Tok::Label(k) => k,
                        _ => "",
                    };
                    self.skip_newlines();
                    let key = Expr::new(ExprKind::Sym(Name::from(k)), self.span_from(s));
                    let v = self.parse_expr()?;
                    entries.push(HashEntry::Pair(key, v));
                }
                Tok::Str(_)
                    if matches!(self.tok(1).tok, Tok::P(P::Colon)) && !self.tok(1).space_before =>
                {
                    let parts = match self.bump().tok {
                        Tok::Str(p) => p,
                        _ => LitId::MAX,
                    };
                    self.skip();
                    let key = Expr::new(ExprKind::DSym(self.str_parts(parts)?), self.span_from(s));
                    self.skip_newlines();
                    let v = self.parse_expr()?;
                    entries.push(HashEntry::Pair(key, v));
                }
                Tok::P(P::Pow) => {
                    self.skip();
                    let v = self.parse_ternary()?;
                    entries.push(HashEntry::Splat(v));
                }
                _ => {
                    let k = self.parse_expr()?;
                    self.skip_newlines();
                    self.expect_p(P::FatArrow, "'=>' after the hash key")?;
                    self.skip_newlines();
                    let v = self.parse_expr()?;
                    entries.push(HashEntry::Pair(k, v));
                }
            }
            self.skip_newlines();
            if !self.eat_p(P::Comma) {
                break;
            }
        }
        self.skip_newlines();
        self.expect_p(P::RBrace, "'}' to close the hash")?;
        Ok(Expr::new(
            ExprKind::Hash {
                entries,
                braces: true,
            },
            self.span_from(start),
        ))
    }

    fn parse_lambda(&mut self, start: usize) -> PResult<Expr> {
        let params = if self.at_p(P::LParen) {
            self.skip();
            self.parse_params(Some(P::RParen), false)?
        } else if matches!(self.peek(), Tok::Ident(_) | Tok::P(P::Star | P::Amp)) {
            self.parse_params(None, false)?
        } else {
            Vec::new()
        };
        let bs = self.tok(0).start();
        let (body, do_end) = if self.eat_p(P::LBrace) {
            let body = self.parse_stmts()?;
            self.skip_terms();
            self.expect_p(P::RBrace, "'}' to close the lambda")?;
            (body, false)
        } else if self.eat_kw(Kw::Do) {
            let body = self.parse_body_rescue(bs)?;
            self.expect_end("do", bs)?;
            (body, true)
        } else {
            return self.unexpected("'{' or 'do' after '->'");
        };
        let span = self.span_from(start);
        Ok(Expr::new(
            ExprKind::Lambda(Arc::new(Block {
                params,
                body,
                do_end,
                span: self.span_from(bs),
            })),
            span,
        ))
    }

    fn parse_brace_block(&mut self) -> PResult<Block> {
        let start = self.tok(0).start();
        self.skip(); // {
        self.push_scope(false);
        let saved = self.no_do;
        self.no_do = 0;
        let r = (|| -> PResult<Block> {
            let params = self.parse_block_params()?;
            let body = self.parse_stmts()?;
            self.skip_terms();
            self.expect_p(P::RBrace, "'}' to close the block")?;
            Ok(Block {
                params,
                body,
                do_end: false,
                span: self.span_from(start),
            })
        })();
        self.no_do = saved;
        self.pop_scope();
        r
    }

    fn parse_do_block(&mut self) -> PResult<Block> {
        let start = self.tok(0).start();
        self.skip(); // do
        self.push_scope(false);
        let saved = self.no_do;
        self.no_do = 0;
        let r = (|| -> PResult<Block> {
            let params = self.parse_block_params()?;
            let body = self.parse_body_rescue(start)?;
            self.expect_end("do", start)?;
            Ok(Block {
                params,
                body,
                do_end: true,
                span: self.span_from(start),
            })
        })();
        self.no_do = saved;
        self.pop_scope();
        r
    }

    fn parse_block_params(&mut self) -> PResult<Vec<Param>> {
        self.skip_newlines();
        if self.eat_p(P::OrOr) {
            return Ok(Vec::new());
        }
        if !self.eat_p(P::Pipe) {
            return Ok(Vec::new());
        }
        self.parse_params(Some(P::Pipe), true)
    }

    /// Parameters up to `closing` (consumed) or to the end of the line.
    fn parse_params(&mut self, closing: Option<P>, in_pipes: bool) -> PResult<Vec<Param>> {
        let mut params = Vec::new();
        loop {
            if let Some(c) = closing {
                self.skip_newlines();
                if self.at_p(c) {
                    break;
                }
            }
            let t = self.bump();
            let p = match t.tok {
                Tok::Ident(n) => {
                    self.declare(n);
                    if self.eat_p(P::Assign) {
                        let v = if in_pipes {
                            self.parse_binary(7)?
                        } else {
                            self.parse_ternary()?
                        };
                        Param::Optional(n.to_string(), v)
                    } else {
                        Param::Required(n.to_string())
                    }
                }
                Tok::Label(n) => {
                    self.declare(n);
                    let has_default = !matches!(self.peek(), Tok::P(P::Comma) | Tok::NewLine)
                        && !closing.is_some_and(|c| self.at_p(c));
                    if has_default {
                        let v = if in_pipes {
                            self.parse_binary(7)?
                        } else {
                            self.parse_ternary()?
                        };
                        Param::Key(n.to_string(), Some(v))
                    } else {
                        Param::Key(n.to_string(), None)
                    }
                }
                Tok::P(P::Star) => {
                    if let Tok::Ident(_) = self.peek() {
                        let n = match self.bump().tok {
                            Tok::Ident(n) => n,
                            _ => "",
                        };
                        self.declare(n);
                        Param::Rest(Some(n.to_string()))
                    } else {
                        Param::Rest(None)
                    }
                }
                Tok::P(P::Pow) => {
                    if let Tok::Ident(_) = self.peek() {
                        let n = match self.bump().tok {
                            Tok::Ident(n) => n,
                            _ => "",
                        };
                        self.declare(n);
                        Param::KeyRest(Some(n.to_string()))
                    } else {
                        Param::KeyRest(None)
                    }
                }
                Tok::P(P::Amp) => match self.bump().tok {
                    Tok::Ident(n) => {
                        self.declare(n);
                        Param::Block(n.to_string())
                    }
                    other => {
                        return Err(SyntaxError::new(
                            t.start(),
                            format!(
                                "expected a block parameter name after '&', found {}",
                                describe_tok(&other)
                            ),
                        ))
                    }
                },
                Tok::P(P::Dot3) => Param::Rest(None),
                Tok::P(P::LParen) => {
                    Param::Destructure(self.parse_params(Some(P::RParen), in_pipes)?)
                }
                other => {
                    return Err(SyntaxError::new(
                        t.start(),
                        format!("expected a parameter name, found {}", describe_tok(&other)),
                    ))
                }
            };
            params.push(p);
            if !self.eat_p(P::Comma) {
                break;
            }
        }
        // block-local variables: `|a; b|`
        if in_pipes && self.eat_p(P::Semi) {
            while let Tok::Ident(_) = self.peek() {
                let n = match self.bump().tok {
                    Tok::Ident(n) => n,
                    _ => "",
                };
                self.declare(n);
                if !self.eat_p(P::Comma) {
                    break;
                }
            }
        }
        if let Some(c) = closing {
            self.skip_newlines();
            self.expect_p(
                c,
                if c == P::Pipe {
                    "'|' to close the block parameters"
                } else {
                    "')' to close the parameters"
                },
            )?;
        }
        Ok(params)
    }

    /// Statements with optional `rescue`/`else`/`ensure` clauses (bodies of begin/def/do).
    fn parse_body_rescue(&mut self, start: usize) -> PResult<Vec<Expr>> {
        let body = self.parse_stmts()?;
        if !matches!(self.peek(), Tok::Kw(Kw::Rescue | Kw::Else | Kw::Ensure)) {
            return Ok(body);
        }
        let mut rescues = Vec::new();
        while self.at_kw(Kw::Rescue) {
            self.skip();
            let mut classes = Vec::new();
            let mut var = None;
            while !matches!(
                self.peek(),
                Tok::NewLine | Tok::P(P::Semi) | Tok::Kw(Kw::Then) | Tok::P(P::FatArrow)
            ) {
                classes.push(self.parse_ternary()?);
                if !self.eat_p(P::Comma) {
                    break;
                }
                self.skip_newlines();
            }
            if self.eat_p(P::FatArrow) {
                let v = self.parse_primary_postfix()?;
                var = Some(Box::new(self.make_target(v)));
            }
            self.eat_kw(Kw::Then);
            let body = self.parse_stmts()?;
            rescues.push(Rescue { classes, var, body });
        }
        let else_body = if self.eat_kw(Kw::Else) {
            Some(self.parse_stmts()?)
        } else {
            None
        };
        let ensure = if self.eat_kw(Kw::Ensure) {
            Some(self.parse_stmts()?)
        } else {
            None
        };
        Ok(vec![Expr::new(
            ExprKind::Begin(Box::new(BeginExpr {
                body,
                rescues,
                else_body,
                ensure,
            })),
            self.span_from(start),
        )])
    }

    /// An expression that starts with a keyword: one small function per construct.
    fn parse_keyword(&mut self, k: Kw, start: usize) -> PResult<Expr> {
        let kind = match k {
            Kw::Nil => ExprKind::Nil,
            Kw::True => ExprKind::True,
            Kw::False => ExprKind::False,
            Kw::SelfKw => ExprKind::SelfRef,
            Kw::File => ExprKind::File,
            Kw::Line => ExprKind::Line(line_col(self.text, start).0),
            Kw::Redo => ExprKind::Redo,
            Kw::Retry => ExprKind::Retry,
            Kw::Defined | Kw::Not => return self.parse_unary(),
            _ => {
                let parse: fn(&mut Self, Kw, usize) -> PResult<Expr> = match k {
                    Kw::If | Kw::Unless => |p, k, start| p.parse_if_rest(k == Kw::Unless, start),
                    Kw::While | Kw::Until => Self::parse_while,
                    Kw::For => |p, _, start| p.parse_for(start),
                    Kw::Case => |p, _, start| p.parse_case(start),
                    Kw::Begin => |p, _, start| p.parse_begin(start),
                    Kw::Def => |p, _, start| p.parse_def(start),
                    Kw::Class => |p, _, start| p.parse_class(start),
                    Kw::Module => |p, _, start| p.parse_module(start),
                    Kw::Return | Kw::Break | Kw::Next => Self::parse_jump,
                    Kw::Yield => |p, _, start| p.parse_yield(start),
                    Kw::Super => |p, _, start| p.parse_super(start),
                    Kw::Alias => |p, _, start| p.parse_alias(start),
                    Kw::Undef => |p, _, start| p.parse_undef(start),
                    _ => return self.unexpected("an expression"),
                };
                self.skip();
                return parse(self, k, start);
            }
        };
        self.skip();
        Ok(Expr::new(kind, self.span_from(start)))
    }

    /// `while`/`until cond [do] ... end`, after the keyword.
    fn parse_while(&mut self, k: Kw, start: usize) -> PResult<Expr> {
        self.no_do += 1;
        let cond = self.parse_expr_stmt();
        self.no_do -= 1;
        let cond = cond?;
        self.skip_terms();
        self.eat_kw(Kw::Do);
        let body = self.parse_stmts()?;
        self.expect_end(k.as_str(), start)?;
        Ok(Expr::new(
            ExprKind::While {
                cond: Box::new(cond),
                body,
                until: k == Kw::Until,
                do_while: false,
            },
            self.span_from(start),
        ))
    }

    /// `for var in iter [do] ... end`, after the keyword.
    fn parse_for(&mut self, start: usize) -> PResult<Expr> {
        let v = self.parse_primary_postfix()?;
        if !is_lvalue(&v) {
            return Err(SyntaxError::new(
                v.span.start as usize,
                "expected a variable after 'for'",
            ));
        }
        let var = self.make_target(v);
        if !self.eat_kw(Kw::In) {
            return self.unexpected("'in' after the 'for' variable");
        }
        self.no_do += 1;
        let iter = self.parse_expr_stmt();
        self.no_do -= 1;
        let iter = iter?;
        self.skip_terms();
        self.eat_kw(Kw::Do);
        let body = self.parse_stmts()?;
        self.expect_end("for", start)?;
        Ok(Expr::new(
            ExprKind::For {
                var: Box::new(var),
                iter: Box::new(iter),
                body,
            },
            self.span_from(start),
        ))
    }

    /// `case [subject] when ... [else ...] end`, after the keyword.
    fn parse_case(&mut self, start: usize) -> PResult<Expr> {
        let subject = if matches!(self.peek(), Tok::NewLine | Tok::P(P::Semi)) {
            None
        } else {
            Some(Box::new(self.parse_expr_stmt()?))
        };
        self.skip_terms();
        let mut whens = Vec::new();
        while self.eat_kw(Kw::When) {
            let mut patterns = Vec::new();
            loop {
                let s = self.tok(0).start();
                if self.eat_p(P::Star) {
                    let e = self.parse_ternary()?;
                    patterns.push(Expr::new(ExprKind::Splat(Box::new(e)), self.span_from(s)));
                } else {
                    patterns.push(self.parse_ternary()?);
                }
                if !self.eat_p(P::Comma) {
                    break;
                }
                self.skip_newlines();
            }
            if !self.eat_kw(Kw::Then) && !matches!(self.peek(), Tok::NewLine | Tok::P(P::Semi)) {
                return self.unexpected("'then' or end of line after the 'when' values");
            }
            let body = self.parse_stmts()?;
            whens.push(When { patterns, body });
        }
        if self.at_kw(Kw::In) {
            return self
                .unexpected("'when' (pattern matching with 'case ... in' is not supported)");
        }
        if whens.is_empty() {
            return self.unexpected("'when' after 'case'");
        }
        let else_body = if self.eat_kw(Kw::Else) {
            Some(self.parse_stmts()?)
        } else {
            None
        };
        self.expect_end("case", start)?;
        Ok(Expr::new(
            ExprKind::Case {
                subject,
                whens,
                else_body,
            },
            self.span_from(start),
        ))
    }

    /// `begin ... [rescue/else/ensure] end`, after the keyword.
    fn parse_begin(&mut self, start: usize) -> PResult<Expr> {
        let saved = self.no_do;
        self.no_do = 0;
        let body = self.parse_body_rescue(start);
        self.no_do = saved;
        let mut body = body?;
        self.expect_end("begin", start)?;
        let span = self.span_from(start);
        if body.len() == 1 && matches!(body[0].kind, ExprKind::Begin(_)) {
            let mut b = body.remove(0);
            b.span = span;
            return Ok(b);
        }
        Ok(Expr::new(
            ExprKind::Begin(Box::new(BeginExpr {
                body,
                rescues: Vec::new(),
                else_body: None,
                ensure: None,
            })),
            span,
        ))
    }

    /// `class Path [< Super] ... end` or `class << target ... end`, after the keyword.
    fn parse_class(&mut self, start: usize) -> PResult<Expr> {
        if self.eat_p(P::Shl) {
            let target = self.parse_expr()?;
            self.push_scope(true);
            let body = self.parse_stmts();
            self.pop_scope();
            let body = body?;
            self.expect_end("class", start)?;
            return Ok(Expr::new(
                ExprKind::SClass {
                    target: Box::new(target),
                    body,
                },
                self.span_from(start),
            ));
        }
        let path = self.parse_cpath()?;
        let superclass = if self.eat_p(P::Lt) {
            Some(Box::new(self.parse_expr()?))
        } else {
            None
        };
        self.push_scope(true);
        let body = self.parse_body_rescue(start);
        self.pop_scope();
        let body = body?;
        self.expect_end("class", start)?;
        Ok(Expr::new(
            ExprKind::Class {
                path: Box::new(path),
                superclass,
                body,
            },
            self.span_from(start),
        ))
    }

    /// `module Path ... end`, after the keyword.
    fn parse_module(&mut self, start: usize) -> PResult<Expr> {
        let path = self.parse_cpath()?;
        self.push_scope(true);
        let body = self.parse_stmts();
        self.pop_scope();
        let body = body?;
        self.expect_end("module", start)?;
        Ok(Expr::new(
            ExprKind::Module {
                path: Box::new(path),
                body,
            },
            self.span_from(start),
        ))
    }

    /// `return`/`break`/`next [value]`, after the keyword.
    fn parse_jump(&mut self, k: Kw, start: usize) -> PResult<Expr> {
        let v = if self.starts_value()
            && !matches!(
                self.peek(),
                Tok::Kw(Kw::If | Kw::Unless | Kw::While | Kw::Until)
            ) {
            Some(Box::new(self.parse_rhs_list()?))
        } else {
            None
        };
        let kind = match k {
            Kw::Return => ExprKind::Return(v),
            Kw::Break => ExprKind::Break(v),
            _ => ExprKind::Next(v),
        };
        Ok(Expr::new(kind, self.span_from(start)))
    }

    /// `yield`, `yield(args)`, `yield args`, after the keyword.
    fn parse_yield(&mut self, start: usize) -> PResult<Expr> {
        let args = if self.at_p(P::LParen) && !self.tok(0).space_before {
            self.skip();
            self.parse_arg_list(Some(P::RParen))?
        } else if self.command_arg_start() {
            self.parse_arg_list(None)?
        } else {
            Vec::new()
        };
        Ok(Expr::new(ExprKind::Yield(args), self.span_from(start)))
    }

    /// `super`, `super(args)`, `super args`, with an optional block, after the keyword.
    fn parse_super(&mut self, start: usize) -> PResult<Expr> {
        let args = if self.at_p(P::LParen) && !self.tok(0).space_before {
            self.skip();
            Some(self.parse_arg_list(Some(P::RParen))?)
        } else if self.command_arg_start() {
            self.no_do += 1;
            let a = self.parse_arg_list(None);
            self.no_do -= 1;
            Some(a?)
        } else {
            None
        };
        let mut e = Expr::new(ExprKind::Super { args, block: None }, self.span_from(start));
        if self.at_p(P::LBrace) {
            let b = self.parse_brace_block()?;
            attach_block(&mut e, b);
        } else if self.at_kw(Kw::Do) && self.no_do == 0 {
            let b = self.parse_do_block()?;
            attach_block(&mut e, b);
        }
        e.span = self.span_from(start);
        Ok(e)
    }

    /// `alias new old`, after the keyword.
    fn parse_alias(&mut self, start: usize) -> PResult<Expr> {
        let a = self.method_name_token()?;
        let b = self.method_name_token()?;
        Ok(Expr::new(ExprKind::Alias(a, b), self.span_from(start)))
    }

    /// `undef name, ...`, after the keyword.
    fn parse_undef(&mut self, start: usize) -> PResult<Expr> {
        let mut names = vec![self.method_name_token()?];
        while self.eat_p(P::Comma) {
            names.push(self.method_name_token()?);
        }
        Ok(Expr::new(ExprKind::Undef(names), self.span_from(start)))
    }

    /// An operator method name at the current token (`+`, `==`, `!`, `[]`, `[]=`, ...),
    /// consumed: after `.`, `alias` and `undef` Ruby takes these as names.
    fn operator_method(&mut self) -> Option<&'static str> {
        match *self.peek() {
            Tok::P(p) if p.is_operator_method() => {
                self.skip();
                Some(p.as_str())
            }
            Tok::P(P::LBracket)
                if matches!(self.tok(1).tok, Tok::P(P::RBracket)) && !self.tok(1).space_before =>
            {
                self.skip();
                self.skip();
                if self.at_p(P::Assign) && !self.tok(0).space_before {
                    self.skip();
                    return Some("[]=");
                }
                Some("[]")
            }
            _ => None,
        }
    }

    fn method_name_token(&mut self) -> PResult<String> {
        if let Some(op) = self.operator_method() {
            return Ok(op.to_string());
        }
        let t = self.bump();
        match t.tok {
            Tok::Ident(s) | Tok::Const(s) | Tok::Sym(s) | Tok::GVar(s) => Ok(s.to_string()),
            Tok::Kw(k) => Ok(k.as_str().to_string()),
            other => Err(SyntaxError::new(
                t.start(),
                format!("expected a method name, found {}", describe_tok(&other)),
            )),
        }
    }

    fn parse_cpath(&mut self) -> PResult<Expr> {
        let start = self.tok(0).start();
        let top = self.eat_p(P::ColonColon);
        let t = self.bump();
        let Tok::Const(name) = t.tok else {
            return Err(SyntaxError::new(
                t.start(),
                format!(
                    "expected a class or module name, found {}",
                    describe_tok(&t.tok)
                ),
            ));
        };
        let mut e = Expr::new(
            ExprKind::Const {
                scope: None,
                name: name.to_string(),
                top,
            },
            self.span_from(start),
        );
        while self.at_p(P::ColonColon) {
            self.skip();
            let t = self.bump();
            let Tok::Const(name) = t.tok else {
                return Err(SyntaxError::new(
                    t.start(),
                    "expected a constant name after '::'",
                ));
            };
            e = Expr::new(
                ExprKind::Const {
                    scope: Some(Box::new(e)),
                    name: name.to_string(),
                    top: false,
                },
                self.span_from(start),
            );
        }
        Ok(e)
    }

    fn parse_def(&mut self, start: usize) -> PResult<Expr> {
        let t = self.bump();
        let mut singleton = None;
        let mut name = match t.tok {
            Tok::Ident(s) | Tok::Const(s) => s.to_string(),
            Tok::Kw(k) => k.as_str().to_string(),
            Tok::P(P::LBracket) => {
                self.expect_p(P::RBracket, "']' in method name '[]'")?;
                if self.at_p(P::Assign) && !self.tok(0).space_before {
                    self.skip();
                    "[]=".to_string()
                } else {
                    "[]".to_string()
                }
            }
            Tok::P(p) => p.as_str().to_string(),
            other => {
                return Err(SyntaxError::new(
                    t.start(),
                    format!(
                        "expected a method name after 'def', found {}",
                        describe_tok(&other)
                    ),
                ))
            }
        };
        if self.at_p(P::Dot) && !self.tok(0).space_before {
            // def self.name / def Const.name
            let recv_kind = if name == "self" {
                ExprKind::SelfRef
            } else {
                ExprKind::Const {
                    scope: None,
                    name: name.clone(),
                    top: false,
                }
            };
            singleton = Some(Box::new(Expr::new(
                recv_kind,
                Span::new(t.start(), t.end()),
            )));
            self.skip();
            let t2 = self.bump();
            name = match t2.tok {
                Tok::Ident(s) | Tok::Const(s) => s.to_string(),
                Tok::Kw(k) => k.as_str().to_string(),
                Tok::P(p) => p.as_str().to_string(),
                other => {
                    return Err(SyntaxError::new(
                        t2.start(),
                        format!("expected a method name, found {}", describe_tok(&other)),
                    ))
                }
            };
        }
        // setter: `def name=(v)`
        if self.at_p(P::Assign)
            && !self.tok(0).space_before
            && matches!(self.tok(1).tok, Tok::P(P::LParen))
        {
            self.skip();
            name.push('=');
        }
        self.push_scope(true);
        let r = (|| -> PResult<Expr> {
            let params = if self.at_p(P::LParen) {
                self.skip();
                self.parse_params(Some(P::RParen), false)?
            } else if matches!(
                self.peek(),
                Tok::NewLine | Tok::P(P::Semi) | Tok::P(P::Assign)
            ) {
                Vec::new()
            } else {
                self.parse_params(None, false)?
            };
            if self.eat_p(P::Assign) {
                // endless method `def x = expr`
                self.skip_newlines();
                let body = vec![self.parse_stmt()?];
                return Ok(Expr::new(
                    ExprKind::Def(Box::new(DefExpr {
                        singleton: singleton.clone(),
                        name: name.clone(),
                        params,
                        body,
                    })),
                    self.span_from(start),
                ));
            }
            let body = self.parse_body_rescue(start)?;
            self.expect_end("def", start)?;
            Ok(Expr::new(
                ExprKind::Def(Box::new(DefExpr {
                    singleton: singleton.clone(),
                    name: name.clone(),
                    params,
                    body,
                })),
                self.span_from(start),
            ))
        })();
        self.pop_scope();
        r
    }

    fn parse_if_rest(&mut self, unless: bool, start: usize) -> PResult<Expr> {
        self.no_do += 1;
        let cond = self.parse_expr_stmt();
        self.no_do -= 1;
        let cond = cond?;
        if !self.eat_kw(Kw::Then) {
            if !matches!(self.peek(), Tok::NewLine | Tok::P(P::Semi)) {
                return self.unexpected(if unless {
                    "'then' or end of line after the 'unless' condition"
                } else {
                    "'then' or end of line after the 'if' condition"
                });
            }
            self.skip_terms();
            self.eat_kw(Kw::Then);
        }
        let saved = self.no_do;
        self.no_do = 0;
        let body = self.parse_stmts();
        self.no_do = saved;
        let body = body?;
        let mut else_body = Vec::new();
        if !unless && self.at_kw(Kw::Elsif) {
            let s = self.tok(0).start();
            self.skip();
            self.enter()?;
            let nested = self.parse_if_rest(false, s);
            self.depth -= 1;
            let nested = nested?;
            let span = self.span_from(start);
            return Ok(Expr::new(
                ExprKind::If {
                    cond: Box::new(cond),
                    then_body: body,
                    else_body: vec![nested],
                },
                span,
            ));
        }
        if self.eat_kw(Kw::Else) {
            let saved = self.no_do;
            self.no_do = 0;
            let e = self.parse_stmts();
            self.no_do = saved;
            else_body = e?;
        }
        self.expect_end(if unless { "unless" } else { "if" }, start)?;
        let (then_body, else_body) = if unless {
            (else_body, body)
        } else {
            (body, else_body)
        };
        Ok(Expr::new(
            ExprKind::If {
                cond: Box::new(cond),
                then_body,
                else_body,
            },
            self.span_from(start),
        ))
    }
}

fn merge_lits(parts: Parts) -> Parts {
    if parts.len() == 1 {
        return parts;
    }
    let mut out = Parts::with_capacity(parts.len());
    for p in parts {
        match (out.last_mut(), p) {
            (Some(StrPart::Lit(a)), StrPart::Lit(b)) => a.push_str(&b),
            (_, p) => out.push(p),
        }
    }
    if out.is_empty() {
        out.push(StrPart::Lit(String::new()));
    }
    out
}

fn is_lvalue(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Var(_)
        | ExprKind::IVar(_)
        | ExprKind::GVar(_)
        | ExprKind::CVar(_)
        | ExprKind::Index { .. } => true,
        ExprKind::Const { .. } => true,
        ExprKind::Call {
            args,
            block: None,
            parens: false,
            ..
        } => args.is_empty(),
        _ => false,
    }
}

fn is_block_target(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Call { block: None, .. })
}

fn attach_block(e: &mut Expr, blk: Block) {
    let end = blk.span.end;
    match &mut e.kind {
        ExprKind::Call { block, .. } | ExprKind::Super { block, .. } => {
            *block = Some(Arc::new(blk))
        }
        _ => {}
    }
    e.span.end = e.span.end.max(end);
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or_else(|| {
        // offset inside a multi-byte char: back up to a boundary
        let mut o = offset;
        while o > 0 && !text.is_char_boundary(o) {
            o -= 1;
        }
        text.get(..o).unwrap_or("")
    });
    let line = before.bytes().filter(|b| *b == b'\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before
        .get(line_start..)
        .map(|s| s.chars().count())
        .unwrap_or(0) as u32
        + 1;
    (line, col)
}
