//! Tokenizer for the Ruby subset of InSpec profiles.
//!
//! Ruby's lexing is context-sensitive (`/` is a regexp or a division, `%w(` a literal or a
//! modulo, `<<~X` a heredoc or a shift, `?x` a character or a ternary). The lexer tracks the
//! state the previous token leaves (a value is expected / a value just ended / an identifier
//! that may take command arguments) plus the whitespace around the ambiguous character, as the
//! Ruby lexer does. Newlines are tokens only where they can end a statement.

use super::ast::BinOp;
use super::error::SyntaxError;
use smallvec::{smallvec, SmallVec};
use std::borrow::Cow;

/// Deepest nesting of `#{}` interpolations.
pub const MAX_INTERP_DEPTH: u32 = 64;

/// A literal's parts: most have one, stored inline.
pub type LexParts = SmallVec<[LexPart; 1]>;

#[derive(Debug, Clone, PartialEq)]
pub enum LexPart {
    Lit(String),
    /// `#{...}` code between these byte offsets.
    Code(usize, usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kw {
    If,
    Unless,
    Elsif,
    Else,
    Case,
    When,
    In,
    While,
    Until,
    For,
    Do,
    End,
    Begin,
    Rescue,
    Ensure,
    Then,
    Def,
    Class,
    Module,
    Return,
    Break,
    Next,
    Redo,
    Retry,
    Yield,
    Super,
    SelfKw,
    Nil,
    True,
    False,
    And,
    Or,
    Not,
    Defined,
    Alias,
    Undef,
    File,
    Line,
}

/// Every keyword (spelled by [`Kw::as_str`], at most 8 bytes: looked up as one integer).
const KEYWORDS: [Kw; 38] = [
    Kw::If,
    Kw::Unless,
    Kw::Elsif,
    Kw::Else,
    Kw::Case,
    Kw::When,
    Kw::In,
    Kw::While,
    Kw::Until,
    Kw::For,
    Kw::Do,
    Kw::End,
    Kw::Begin,
    Kw::Rescue,
    Kw::Ensure,
    Kw::Then,
    Kw::Def,
    Kw::Class,
    Kw::Module,
    Kw::Return,
    Kw::Break,
    Kw::Next,
    Kw::Redo,
    Kw::Retry,
    Kw::Yield,
    Kw::Super,
    Kw::SelfKw,
    Kw::Nil,
    Kw::True,
    Kw::False,
    Kw::And,
    Kw::Or,
    Kw::Not,
    Kw::Defined,
    Kw::Alias,
    Kw::Undef,
    Kw::File,
    Kw::Line,
];

/// Up to 8 bytes as a little-endian integer, zero-padded (never 0 for a non-empty name).
const fn pack(b: &[u8]) -> u64 {
    let mut w = 0u64;
    let mut i = 0;
    while i < b.len() && i < 8 {
        w |= (b[i] as u64) << (8 * i);
        i += 1;
    }
    w
}

/// Slot of a packed keyword in [`KW_TABLE`]: a multiplier found to give the 38 keywords 38
/// distinct slots of 64 (the table's construction checks it at compile time).
const fn kw_slot(w: u64) -> usize {
    (w.wrapping_mul(0x1ea5_11b7_e57e_29b1) >> 58) as usize
}

/// Perfect-hash table of the keywords: (packed spelling, keyword); empty slots hold 0, which
/// no name packs to. One multiply and one compare per identifier instead of a string match.
static KW_TABLE: [(u64, Option<Kw>); 64] = {
    let mut t = [(0u64, None); 64];
    let mut i = 0;
    while i < KEYWORDS.len() {
        let w = pack(KEYWORDS[i].as_str().as_bytes());
        let slot = kw_slot(w);
        assert!(t[slot].1.is_none(), "keyword hash collision");
        t[slot] = (w, Some(KEYWORDS[i]));
        i += 1;
    }
    t
};

impl Kw {
    /// The keyword whose spelling packs to `w` (see [`pack`]; names longer than 8 bytes are
    /// no keyword and must not be looked up).
    fn from_packed(w: u64) -> Option<Kw> {
        match KW_TABLE.get(kw_slot(w)) {
            Some(&(k, kw)) if k == w => kw,
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Kw::If => "if",
            Kw::Unless => "unless",
            Kw::Elsif => "elsif",
            Kw::Else => "else",
            Kw::Case => "case",
            Kw::When => "when",
            Kw::In => "in",
            Kw::While => "while",
            Kw::Until => "until",
            Kw::For => "for",
            Kw::Do => "do",
            Kw::End => "end",
            Kw::Begin => "begin",
            Kw::Rescue => "rescue",
            Kw::Ensure => "ensure",
            Kw::Then => "then",
            Kw::Def => "def",
            Kw::Class => "class",
            Kw::Module => "module",
            Kw::Return => "return",
            Kw::Break => "break",
            Kw::Next => "next",
            Kw::Redo => "redo",
            Kw::Retry => "retry",
            Kw::Yield => "yield",
            Kw::Super => "super",
            Kw::SelfKw => "self",
            Kw::Nil => "nil",
            Kw::True => "true",
            Kw::False => "false",
            Kw::And => "and",
            Kw::Or => "or",
            Kw::Not => "not",
            Kw::Defined => "defined?",
            Kw::Alias => "alias",
            Kw::Undef => "undef",
            Kw::File => "__FILE__",
            Kw::Line => "__LINE__",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum P {
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Dot,
    AndDot,
    ColonColon,
    Colon,
    Question,
    FatArrow,
    Lambda,
    Assign,
    /// `+=`, `||=`, ... with the operator applied.
    OpAssign(BinOp),
    Plus,
    Minus,
    Star,
    Pow,
    Slash,
    Percent,
    EqEq,
    NotEq,
    EqEqEq,
    Match,
    NotMatch,
    Cmp,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Amp,
    Pipe,
    Caret,
    Tilde,
    Bang,
    Shl,
    Shr,
    Dot2,
    Dot3,
}

impl P {
    /// Is this token an operator Ruby lets a method be named (`op` in Ruby's grammar:
    /// `def ==(o)`, `x.+(1)`, `alias eql? ==`)? `[]` and `[]=` are two or three tokens; the
    /// parser joins them.
    pub fn is_operator_method(self) -> bool {
        matches!(
            self,
            P::Plus
                | P::Minus
                | P::Star
                | P::Pow
                | P::Slash
                | P::Percent
                | P::EqEq
                | P::NotEq
                | P::EqEqEq
                | P::Match
                | P::NotMatch
                | P::Cmp
                | P::Lt
                | P::Le
                | P::Gt
                | P::Ge
                | P::Amp
                | P::Pipe
                | P::Caret
                | P::Tilde
                | P::Bang
                | P::Shl
                | P::Shr
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            P::LParen => "(",
            P::RParen => ")",
            P::LBracket => "[",
            P::RBracket => "]",
            P::LBrace => "{",
            P::RBrace => "}",
            P::Comma => ",",
            P::Semi => ";",
            P::Dot => ".",
            P::AndDot => "&.",
            P::ColonColon => "::",
            P::Colon => ":",
            P::Question => "?",
            P::FatArrow => "=>",
            P::Lambda => "->",
            P::Assign => "=",
            P::OpAssign(op) => op.as_str(),
            P::Plus => "+",
            P::Minus => "-",
            P::Star => "*",
            P::Pow => "**",
            P::Slash => "/",
            P::Percent => "%",
            P::EqEq => "==",
            P::NotEq => "!=",
            P::EqEqEq => "===",
            P::Match => "=~",
            P::NotMatch => "!~",
            P::Cmp => "<=>",
            P::Lt => "<",
            P::Le => "<=",
            P::Gt => ">",
            P::Ge => ">=",
            P::AndAnd => "&&",
            P::OrOr => "||",
            P::Amp => "&",
            P::Pipe => "|",
            P::Caret => "^",
            P::Tilde => "~",
            P::Bang => "!",
            P::Shl => "<<",
            P::Shr => ">>",
            P::Dot2 => "..",
            P::Dot3 => "...",
        }
    }
}

/// Index of a literal's parts in [`Lexed::lits`].
pub type LitId = u32;

/// Names borrow the source text: most are copied into the syntax tree once, or never. Literal
/// parts live in [`Lexed::lits`], so tokens own nothing: no drop per token, copied freely.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tok<'a> {
    Int(i64),
    Float(f64),
    Str(LitId),
    XStr(LitId),
    Sym(&'a str),
    DSym(LitId),
    /// Parts and flags.
    Regex(LitId, &'a str),
    /// `%w %W` (symbols = false) or `%i %I` (symbols = true): the items are `count` literals
    /// from `first` on.
    Words {
        symbols: bool,
        first: LitId,
        count: u32,
    },
    Ident(&'a str),
    Const(&'a str),
    IVar(&'a str),
    GVar(&'a str),
    CVar(&'a str),
    /// `key:` in a hash or argument list.
    Label(&'a str),
    Kw(Kw),
    P(P),
    NewLine,
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Token<'a> {
    pub tok: Tok<'a>,
    /// Byte offsets as u32 (`start()`, `end()`): every token is written and read again, so
    /// its size counts; `tokenize` refuses texts of 4 GiB or more.
    pub from: u32,
    pub to: u32,
    pub space_before: bool,
}

impl Token<'_> {
    #[inline]
    pub fn start(&self) -> usize {
        self.from as usize
    }

    #[inline]
    pub fn end(&self) -> usize {
        self.to as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A value is expected (start of statement, after an operator, `(`, `,` ...).
    Beg,
    /// A value just ended.
    End,
    /// After an identifier: a method call that may take command arguments.
    Arg,
    /// After `.`, `&.`, `::` or `def`: the next identifier is a method name, never a keyword.
    Dot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Escapes and interpolation (`"..."`, `%Q`, `<<~X`).
    Double,
    /// Only `\\` and escaped delimiters (`'...'`, `%q`).
    Single,
    /// Raw text with interpolation (regexps).
    Regex,
    /// Raw text, nothing processed (`<<~'X'`).
    Raw,
}

struct Pending<'a> {
    token: usize,
    lit: LitId,
    id: &'a str,
    indent_ok: bool,
    squiggly: bool,
    style: Style,
    kind: HeredocKind,
}

#[derive(Clone, Copy)]
enum HeredocKind {
    Str,
    XStr,
}

pub struct Lexer<'a> {
    text: &'a str,
    /// `text[..limit]` as bytes: one bounds check per byte read.
    src: &'a [u8],
    pos: usize,
    limit: usize,
    state: State,
    tokens: Vec<Token<'a>>,
    lits: Vec<LexParts>,
    pending: Vec<Pending<'a>>,
    depth: u32,
    /// Inside `#{}`: stop at the unmatched `}`.
    interp: bool,
    brace_depth: u32,
    end_marker: Option<usize>,
    paren_depth: u32,
}

/// The bytes as a String without copying when they are valid UTF-8 (escapes like `\xff` may
/// make them invalid; those bytes are replaced).
fn bytes_to_string(buf: Vec<u8>) -> String {
    match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

/// Bytes that continue an identifier: ASCII letters, digits, `_` and every byte of a
/// multi-byte character (a table: identifier scanning is the lexer's hottest loop).
static IDENT_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        i += 1;
    }
    t
};

/// The main loop's dispatch byte: letters other than `_` and the bytes of multi-byte characters
/// fold to `a`, digits to `0`, every other byte is itself. The dispatch then matches exact
/// values only, which compiles to one jump table (ranges become compare chains).
static DISPATCH: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_alphabetic() || c >= 0x80 {
            b'a'
        } else if c.is_ascii_digit() {
            b'0'
        } else {
            c
        };
        i += 1;
    }
    t
};

fn is_ident_char(c: u8) -> bool {
    IDENT_CHAR[c as usize]
}

fn closing(open: u8) -> Option<u8> {
    match open {
        b'(' => Some(b')'),
        b'[' => Some(b']'),
        b'{' => Some(b'}'),
        b'<' => Some(b'>'),
        _ => None,
    }
}

/// Result of tokenizing a whole file.
pub struct Lexed<'a> {
    pub tokens: Vec<Token<'a>>,
    /// The parts of the string, symbol, regexp and word-list tokens.
    pub lits: Vec<LexParts>,
    pub end_marker: Option<usize>,
}

/// Tokenizes `text[start..limit]`. `depth` counts enclosing interpolations.
pub fn tokenize(
    text: &str,
    start: usize,
    limit: usize,
    depth: u32,
) -> Result<Lexed<'_>, SyntaxError> {
    if text.len() > u32::MAX as usize {
        return Err(SyntaxError::new(
            0,
            "the text is too large to parse (4 GiB or more)",
        ));
    }
    let mut lx = Lexer::new(text, start, limit, depth, false);
    lx.run()?;
    Ok(Lexed {
        tokens: lx.tokens,
        lits: lx.lits,
        end_marker: lx.end_marker,
    })
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str, start: usize, limit: usize, depth: u32, interp: bool) -> Self {
        let limit = limit.min(text.len());
        Lexer {
            text,
            src: text.as_bytes().get(..limit).unwrap_or(&[]),
            pos: start.min(limit),
            limit,
            state: State::Beg,
            // Profiles average about 13 bytes per token, some files 8: growing the vector
            // (copying every token) costs more than the spare capacity. An interpolation's
            // scan (`interp`) runs to its `}`, usually a few tokens, not to `limit`.
            tokens: Vec::with_capacity(if interp {
                8
            } else {
                limit.saturating_sub(start) / 8 + 4
            }),
            // About one literal per 100 bytes in profiles; an interpolation's scan keeps none.
            lits: Vec::with_capacity(if interp {
                0
            } else {
                limit.saturating_sub(start) / 64
            }),
            pending: Vec::new(),
            depth,
            interp,
            brace_depth: 0,
            end_marker: None,
            paren_depth: 0,
        }
    }

    /// Stores a literal's parts for its token.
    fn lit(&mut self, parts: LexParts) -> LitId {
        self.lits.push(parts);
        (self.lits.len() - 1) as LitId
    }

    #[inline]
    fn at(&self, i: usize) -> u8 {
        self.src.get(i).copied().unwrap_or(0)
    }

    /// Moves the end of the scanned text (heredoc bodies, `__END__`).
    fn set_limit(&mut self, limit: usize) {
        self.limit = limit.min(self.text.len());
        self.src = self.text.as_bytes().get(..self.limit).unwrap_or(&[]);
    }

    fn peek(&self) -> u8 {
        self.at(self.pos)
    }

    fn err<T>(&self, at: usize, msg: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError::new(at, msg))
    }

    fn push(&mut self, tok: Tok<'a>, start: usize, space_before: bool) {
        let after_dot = self.state == State::Dot;
        // `alias new old`: the first name is followed by a second one (Ruby's EXPR_FNAME).
        let alias_first =
            after_dot && matches!(self.tokens.last().map(|t| &t.tok), Some(Tok::Kw(Kw::Alias)));
        self.state = match &tok {
            _ if alias_first => State::Dot,
            // An operator after `.` (or `def`) is a method name, like an identifier there:
            // `limits_conf(f).*` ends its line.
            Tok::P(p) if after_dot && p.is_operator_method() => State::Arg,
            Tok::Ident(_) => State::Arg,
            Tok::Label(_) | Tok::NewLine => State::Beg,
            Tok::Kw(k) => match k {
                Kw::End
                | Kw::SelfKw
                | Kw::Nil
                | Kw::True
                | Kw::False
                | Kw::Redo
                | Kw::Retry
                | Kw::File
                | Kw::Line => State::End,
                Kw::Def | Kw::Alias | Kw::Undef => State::Dot,
                Kw::Super | Kw::Yield => State::Arg,
                _ => State::Beg,
            },
            Tok::P(p) => match p {
                P::RParen | P::RBracket | P::RBrace => State::End,
                P::Dot | P::AndDot | P::ColonColon => State::Dot,
                _ => State::Beg,
            },
            _ => State::End,
        };
        self.tokens.push(Token {
            tok,
            // In range: `tokenize` checked the text's length.
            from: start as u32,
            to: self.pos as u32,
            space_before,
        });
    }

    /// After `rescue`, `return`, `break` or `next` a value may follow, but a newline ends the
    /// statement (Ruby's EXPR_MID): `rescue` on its own line has no exception classes.
    fn value_optional(&self) -> bool {
        matches!(
            self.tokens.last().map(|t| &t.tok),
            Some(Tok::Kw(Kw::Rescue | Kw::Return | Kw::Break | Kw::Next))
        )
    }

    fn at_line_start(&self, i: usize) -> bool {
        i == 0 || self.src.get(i - 1) == Some(&b'\n')
    }

    fn starts_with(&self, i: usize, s: &str) -> bool {
        let b = s.as_bytes();
        i + b.len() <= self.limit && self.src.get(i..i + b.len()) == Some(b)
    }

    fn line_end(&self, i: usize) -> usize {
        match self.src.get(i..self.limit) {
            Some(rest) => i + memchr::memchr(b'\n', rest).unwrap_or(rest.len()),
            None => i,
        }
    }

    /// The end of the identifier characters starting at `i` (`i` itself when there are none).
    fn ident_end(&self, mut i: usize) -> usize {
        // Two bytes per step (one bounds check for both): names average about 6 bytes.
        loop {
            match self.src.get(i..i + 2) {
                Some(&[a, b]) => {
                    if !is_ident_char(a) {
                        return i;
                    }
                    if !is_ident_char(b) {
                        return i + 1;
                    }
                    i += 2;
                }
                // One byte left at most (`at` reads 0, no identifier byte, past the limit).
                _ => return if is_ident_char(self.at(i)) { i + 1 } else { i },
            }
        }
    }

    /// The keyword spelled by `text[start..end]`, if any.
    fn keyword(&self, start: usize, end: usize) -> Option<Kw> {
        let len = end.wrapping_sub(start);
        if len == 0 || len > 8 {
            return None;
        }
        // One 8-byte load where the source has the bytes (masked to the name), else byte by byte.
        let w = match self
            .src
            .get(start..start + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
        {
            Some(b) => u64::from_le_bytes(b) & (u64::MAX >> (64 - 8 * len)),
            None => pack(self.src.get(start..end).unwrap_or(&[])),
        };
        Kw::from_packed(w)
    }

    /// At the limit: the final NewLine and Eof tokens, or the error for what is left open.
    #[cold]
    fn finish(&mut self, space: bool) -> Result<usize, SyntaxError> {
        if self.interp {
            return self.err(self.pos, "unterminated interpolation: expected '}'");
        }
        if let Some(p) = self.pending.first() {
            let at = self
                .tokens
                .get(p.token)
                .map(|t| t.start())
                .unwrap_or(self.pos);
            return self.err(
                at,
                format!("unterminated heredoc: expected terminator '{}'", p.id),
            );
        }
        let at = self.pos;
        if !matches!(
            self.tokens.last().map(|t| &t.tok),
            Some(Tok::NewLine) | None
        ) {
            self.tokens.push(Token {
                tok: Tok::NewLine,
                from: at as u32,
                to: at as u32,
                space_before: space,
            });
        }
        self.tokens.push(Token {
            tok: Tok::Eof,
            from: at as u32,
            to: at as u32,
            space_before: space,
        });
        Ok(at)
    }

    /// Runs to the end (or, to its closing brace; returns its offset).
    fn run(&mut self) -> Result<usize, SyntaxError> {
        // Whitespace goes through the same one-jump dispatch as tokens and only sets this flag,
        // which every other byte takes (and clears): the token after it has space before it.
        let mut pending_space = false;
        loop {
            let mut space = std::mem::replace(&mut pending_space, false);
            // Most whitespace is one space between tokens: skipped here, without a dispatch.
            while self.peek() == b' ' {
                self.pos += 1;
                space = true;
            }
            let start = self.pos;
            let c = self.peek();
            match DISPATCH[c as usize] {
                b' ' | b'\t' | b'\r' | 0x0c | 0x0b => {
                    self.pos += 1;
                    pending_space = true;
                }
                b'\\' if self.at(self.pos + 1) == b'\n' => {
                    self.pos += 2;
                    pending_space = true;
                }
                b'\\' if self.at(self.pos + 1) == b'\r' && self.at(self.pos + 2) == b'\n' => {
                    self.pos += 3;
                    pending_space = true;
                }
                // `peek` reads 0 past the limit; a NUL byte inside it is an unexpected character.
                0 if self.pos >= self.limit => return self.finish(space),
                // Line-start constructs (`=begin`, `__END__`) are looked for only on their first
                // byte, and only where no whitespace was skipped (the line start is then the
                // token start): cheaper than looking back for a newline before every token.
                b'=' if !space
                    && self.at_line_start(start)
                    && self.starts_with(start, "=begin")
                    && matches!(self.at(start + 6), b' ' | b'\t' | b'\n' | b'\r' | 0) =>
                {
                    let mut i = self.line_end(start);
                    loop {
                        if i >= self.limit {
                            return self.err(start, "unterminated =begin comment: expected =end");
                        }
                        i += 1; // past '\n'
                        if self.starts_with(i, "=end")
                            && matches!(self.at(i + 4), b' ' | b'\t' | b'\n' | b'\r' | 0)
                        {
                            self.pos = self.line_end(i);
                            break;
                        }
                        i = self.line_end(i);
                    }
                }
                b'_' if !space
                    && !self.interp
                    && self.at_line_start(start)
                    && self.starts_with(start, "__END__")
                    && matches!(self.at(start + 7), b'\n' | b'\r' | 0) =>
                {
                    self.end_marker = Some(start);
                    self.set_limit(start);
                }
                b'\n' => {
                    self.pos += 1;
                    if !self.pending.is_empty() {
                        self.read_heredocs()?;
                    }
                    if matches!(self.state, State::Beg | State::Dot) && !self.value_optional() {
                        continue;
                    }
                    if self.leading_dot_follows() {
                        continue;
                    }
                    self.push(Tok::NewLine, start, space);
                }
                b'#' => {
                    self.pos = self.line_end(self.pos);
                }
                b'0' => self.number(start, space)?,
                b'"' => {
                    self.pos += 1;
                    let parts = self.scan_str(None, b'"', Style::Double, 0)?;
                    let id = self.lit(parts);
                    self.push(Tok::Str(id), start, space);
                }
                b'\'' => {
                    self.pos += 1;
                    let parts = self.scan_str(None, b'\'', Style::Single, 0)?;
                    let id = self.lit(parts);
                    self.push(Tok::Str(id), start, space);
                }
                b'`' => {
                    if self.state == State::Dot {
                        self.pos += 1;
                        self.push(Tok::Ident("`"), start, space);
                    } else {
                        self.pos += 1;
                        let parts = self.scan_str(None, b'`', Style::Double, 0)?;
                        let id = self.lit(parts);
                        self.push(Tok::XStr(id), start, space);
                    }
                }
                b'@' => {
                    let cvar = self.at(self.pos + 1) == b'@';
                    let name_start = self.pos + if cvar { 2 } else { 1 };
                    let mut i = name_start;
                    i = self.ident_end(i);
                    if i == name_start || self.at(name_start).is_ascii_digit() {
                        return self.err(start, "expected an instance variable name after '@'");
                    }
                    self.pos = i;
                    let name = self.slice(start, i);
                    self.push(
                        if cvar {
                            Tok::CVar(name)
                        } else {
                            Tok::IVar(name)
                        },
                        start,
                        space,
                    );
                }
                b'$' => {
                    let mut i = self.pos + 1;
                    if is_ident_start(self.at(i)) {
                        i = self.ident_end(i);
                    } else if self.at(i).is_ascii_digit() {
                        while self.at(i).is_ascii_digit() {
                            i += 1;
                        }
                    } else if b"~*$?!@/\\;,.=:<>\"&`'+0_".contains(&self.at(i)) && self.at(i) != 0 {
                        i += 1;
                    } else if self.at(i) == b'-' && is_ident_char(self.at(i + 1)) {
                        i += 2;
                    } else {
                        return self.err(start, "expected a global variable name after '$'");
                    }
                    self.pos = i;
                    let name = self.slice(start, i);
                    self.push(Tok::GVar(name), start, space);
                }
                b'a' | b'_' => self.ident(start, space)?,
                b':' => self.colon(start, space)?,
                b'/' => {
                    let regex = match self.state {
                        State::Beg => true,
                        State::Arg => {
                            space && !matches!(self.at(self.pos + 1), b' ' | b'=' | b'\n')
                        }
                        _ => false,
                    };
                    if regex {
                        self.pos += 1;
                        let parts = self.scan_str(None, b'/', Style::Regex, 0)?;
                        let flags = self.regex_flags();
                        let id = self.lit(parts);
                        self.push(Tok::Regex(id, flags), start, space);
                    } else if self.at(self.pos + 1) == b'=' {
                        self.pos += 2;
                        self.push(Tok::P(P::OpAssign(BinOp::Div)), start, space);
                    } else {
                        self.pos += 1;
                        self.push(Tok::P(P::Slash), start, space);
                    }
                }
                b'%' => {
                    let n = self.at(self.pos + 1);
                    let literal = match self.state {
                        State::Beg => n != 0 && n != b' ' && n != b'=' && n != b'\n',
                        State::Arg => space && !matches!(n, b' ' | b'=' | b'\n' | 0),
                        _ => false,
                    };
                    if literal {
                        self.percent_literal(start, space)?;
                    } else if n == b'=' {
                        self.pos += 2;
                        self.push(Tok::P(P::OpAssign(BinOp::Mod)), start, space);
                    } else {
                        self.pos += 1;
                        self.push(Tok::P(P::Percent), start, space);
                    }
                }
                b'<' => {
                    if self.at(self.pos + 1) == b'<' && self.heredoc_start(space)? {
                        // token pushed by heredoc_start
                    } else {
                        self.operator(start, space)?;
                    }
                }
                b'?' => {
                    let n = self.at(self.pos + 1);
                    let n2 = self.at(self.pos + 2);
                    let char_lit = (self.state == State::Beg
                        || (self.state == State::Arg && space))
                        && n != 0
                        && !n.is_ascii_whitespace()
                        && (n == b'\\' || !is_ident_char(n2) || !is_ident_char(n));
                    if char_lit {
                        self.pos += 1;
                        let s = if n == b'\\' {
                            self.pos += 1;
                            let mut out = Vec::new();
                            self.escape(&mut out)?;
                            String::from_utf8_lossy(&out).into_owned()
                        } else {
                            let ch = self
                                .text
                                .get(self.pos..)
                                .and_then(|t| t.chars().next())
                                .unwrap_or(' ');
                            self.pos += ch.len_utf8();
                            ch.to_string()
                        };
                        let id = self.lit(smallvec![LexPart::Lit(s)]);
                        self.push(Tok::Str(id), start, space);
                    } else {
                        self.pos += 1;
                        self.push(Tok::P(P::Question), start, space);
                    }
                }
                b'{' => {
                    self.pos += 1;
                    self.brace_depth += 1;
                    self.push(Tok::P(P::LBrace), start, space);
                }
                b'}' => {
                    if self.interp && self.brace_depth == 0 {
                        return Ok(start);
                    }
                    self.brace_depth = self.brace_depth.saturating_sub(1);
                    self.pos += 1;
                    self.push(Tok::P(P::RBrace), start, space);
                }
                b'(' => {
                    self.pos += 1;
                    self.paren_depth += 1;
                    self.push(Tok::P(P::LParen), start, space);
                }
                b')' => {
                    self.pos += 1;
                    self.paren_depth = self.paren_depth.saturating_sub(1);
                    self.push(Tok::P(P::RParen), start, space);
                }
                _ => self.operator(start, space)?,
            }
        }
    }

    fn slice(&self, a: usize, b: usize) -> &'a str {
        self.text.get(a..b).unwrap_or("")
    }

    /// After a newline that could end a statement: does the next code line start with `.foo`
    /// or `&.foo` (a method chain continued on the next line)?
    fn leading_dot_follows(&self) -> bool {
        let mut i = self.pos;
        loop {
            match self.at(i) {
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                b'#' => i = self.line_end(i),
                b'.' => return self.at(i + 1) != b'.',
                b'&' => return self.at(i + 1) == b'.',
                _ => return false,
            }
        }
    }

    fn ident(&mut self, start: usize, space: bool) -> Result<(), SyntaxError> {
        // The first byte starts the identifier: the scan goes on after it.
        let mut i = self.ident_end(start + 1);
        // `name?` / `name!` method names (but `a!=b`, `a?==` are operators after `a`).
        if matches!(self.at(i), b'?' | b'!')
            && (self.at(i + 1) != b'=' || matches!(self.at(i + 2), b'=' | b'~'))
        {
            i += 1;
        }
        // Borrowed until the token is known: keywords need no String. The name is sliced
        // (a checked `&str`) only where it is used.
        let text = self.text;
        let first = self.at(start);
        // Labels: `key: value` (not `a ? b : c`, not `A::B`).
        if self.state != State::Dot
            && self.at(i) == b':'
            && self.at(i + 1) != b':'
            && !(self.state == State::End && space)
        {
            let name = text.get(start..i).unwrap_or("");
            if !name.ends_with('?') {
                self.pos = i + 1;
                self.push(Tok::Label(name), start, space);
                return Ok(());
            }
        }
        self.pos = i;
        if self.state == State::Dot {
            let name = text.get(start..i).unwrap_or("");
            let prev_is_def = matches!(self.tokens.last().map(|t| &t.tok), Some(Tok::Kw(Kw::Def)));
            if prev_is_def && name == "self" {
                self.push(Tok::Kw(Kw::SelfKw), start, space);
                return Ok(());
            }
            let tok = if first.is_ascii_uppercase() {
                Tok::Const(name)
            } else {
                Tok::Ident(name)
            };
            self.push(tok, start, space);
            // `def name` leaves a state where `(`/newline follow; method names after `.` end in Arg.
            return Ok(());
        }
        // Keywords are ASCII: their bytes match only where the slice below would be valid.
        if let Some(kw) = self.keyword(start, i) {
            self.push(Tok::Kw(kw), start, space);
            return Ok(());
        }
        let name = text.get(start..i).unwrap_or("");
        if first.is_ascii_uppercase() {
            self.push(Tok::Const(name), start, space);
        } else {
            self.push(Tok::Ident(name), start, space);
        }
        Ok(())
    }

    fn number(&mut self, start: usize, space: bool) -> Result<(), SyntaxError> {
        let mut i = self.pos;
        let radix = if self.at(i) == b'0' {
            match self.at(i + 1) {
                b'x' | b'X' => 16,
                b'b' | b'B' => 2,
                b'o' | b'O' => 8,
                b'd' | b'D' => 10,
                b'0'..=b'7' | b'_' => 8,
                _ => 0,
            }
        } else {
            0
        };
        if radix != 0 {
            i += if matches!(self.at(i + 1), b'0'..=b'7' | b'_') {
                1
            } else {
                2
            };
            let ds = i;
            while self.at(i).is_ascii_alphanumeric() || self.at(i) == b'_' {
                i += 1;
            }
            let digits: String = self.slice(ds, i).chars().filter(|c| *c != '_').collect();
            self.pos = i;
            let v = if digits.is_empty() {
                Ok(0)
            } else {
                i64::from_str_radix(&digits, radix)
            };
            match v {
                Ok(v) => self.push(Tok::Int(v), start, space),
                Err(_) => {
                    return self.err(
                        start,
                        format!("invalid number literal '{}'", self.slice(start, i)),
                    )
                }
            }
            return Ok(());
        }
        while self.at(i).is_ascii_digit() || (self.at(i) == b'_' && self.at(i + 1).is_ascii_digit())
        {
            i += 1;
        }
        let mut float = false;
        if self.at(i) == b'.' && self.at(i + 1).is_ascii_digit() {
            float = true;
            i += 1;
            while self.at(i).is_ascii_digit()
                || (self.at(i) == b'_' && self.at(i + 1).is_ascii_digit())
            {
                i += 1;
            }
        }
        if matches!(self.at(i), b'e' | b'E')
            && (self.at(i + 1).is_ascii_digit()
                || (matches!(self.at(i + 1), b'+' | b'-') && self.at(i + 2).is_ascii_digit()))
        {
            float = true;
            i += 2;
            while self.at(i).is_ascii_digit() {
                i += 1;
            }
        }
        // Copied only to drop `_` separators.
        let text: Cow<str> = match self.slice(start, i) {
            t if t.contains('_') => Cow::Owned(t.chars().filter(|c| *c != '_').collect()),
            t => Cow::Borrowed(t),
        };
        // Rational/imaginary suffixes are read and ignored.
        if matches!(self.at(i), b'r' | b'i') && !is_ident_char(self.at(i + 1)) {
            i += 1;
        }
        self.pos = i;
        if float {
            let v: f64 = text.parse().unwrap_or(0.0);
            self.push(Tok::Float(v), start, space);
        } else {
            match text.parse::<i64>() {
                Ok(v) => self.push(Tok::Int(v), start, space),
                Err(_) => {
                    let v: f64 = text.parse().unwrap_or(0.0);
                    self.push(Tok::Float(v), start, space);
                }
            }
        }
        Ok(())
    }

    fn colon(&mut self, start: usize, space: bool) -> Result<(), SyntaxError> {
        let n = self.at(self.pos + 1);
        if n == b':' {
            self.pos += 2;
            // `::Const` at the start of an expression vs `A::B`: both are ColonColon; the parser
            // uses space_before to tell them apart.
            self.push(Tok::P(P::ColonColon), start, space);
            return Ok(());
        }
        let sym_ok =
            matches!(self.state, State::Beg | State::Arg) || (space && self.state != State::End);
        if sym_ok {
            if n == b'"' {
                self.pos += 2;
                let parts = self.scan_str(None, b'"', Style::Double, 0)?;
                let id = self.lit(parts);
                self.push(Tok::DSym(id), start, space);
                return Ok(());
            }
            if n == b'\'' {
                self.pos += 2;
                let parts = self.scan_str(None, b'\'', Style::Single, 0)?;
                let id = self.lit(parts);
                self.push(Tok::DSym(id), start, space);
                return Ok(());
            }
            if is_ident_start(n) || n == b'@' || n == b'$' {
                let mut i = self.pos + 1;
                while matches!(self.at(i), b'@' | b'$') {
                    i += 1;
                }
                i = self.ident_end(i);
                if (matches!(self.at(i), b'?' | b'!') && self.at(i + 1) != b'=')
                    || (self.at(i) == b'=' && !matches!(self.at(i + 1), b'=' | b'~' | b'>'))
                {
                    i += 1;
                }
                let name = self.slice(self.pos + 1, i);
                self.pos = i;
                self.push(Tok::Sym(name), start, space);
                return Ok(());
            }
            static OPS: [&str; 24] = [
                "[]=", "[]", "<=>", "===", "==", "=~", "!=", "!~", "**", "+@", "-@", "<<", ">>",
                "<=", ">=", "+", "-", "*", "/", "%", "<", ">", "!", "~",
            ];
            for op in OPS.iter() {
                if self.starts_with(self.pos + 1, op) {
                    self.pos += 1 + op.len();
                    self.push(Tok::Sym(op), start, space);
                    return Ok(());
                }
            }
            for op in ["&", "|", "^"] {
                if self.starts_with(self.pos + 1, op) {
                    self.pos += 2;
                    self.push(Tok::Sym(op), start, space);
                    return Ok(());
                }
            }
        }
        self.pos += 1;
        self.push(Tok::P(P::Colon), start, space);
        Ok(())
    }

    fn regex_flags(&mut self) -> &'a str {
        let s = self.pos;
        while matches!(
            self.peek(),
            b'i' | b'm' | b'x' | b'o' | b'u' | b'n' | b'e' | b's'
        ) {
            self.pos += 1;
        }
        self.slice(s, self.pos)
    }

    fn percent_literal(&mut self, start: usize, space: bool) -> Result<(), SyntaxError> {
        let mut i = self.pos + 1;
        let mut kind = b'Q';
        let c = self.at(i);
        if c.is_ascii_alphabetic() {
            if !b"qQwWiIrsx".contains(&c) {
                return self.err(start, format!("unknown %-literal type '%{}'", c as char));
            }
            kind = c;
            i += 1;
        }
        let open = self.at(i);
        if open == 0 || open.is_ascii_alphanumeric() || open.is_ascii_whitespace() || open >= 0x80 {
            return self.err(i, "expected a delimiter after '%' literal type");
        }
        let close = closing(open).unwrap_or(open);
        let nest = if closing(open).is_some() {
            Some(open)
        } else {
            None
        };
        self.pos = i + 1;
        match kind {
            b'q' => {
                let parts = self.scan_str(nest, close, Style::Single, 0)?;
                let id = self.lit(parts);
                self.push(Tok::Str(id), start, space);
            }
            b'Q' => {
                let parts = self.scan_str(nest, close, Style::Double, 0)?;
                let id = self.lit(parts);
                self.push(Tok::Str(id), start, space);
            }
            b'x' => {
                let parts = self.scan_str(nest, close, Style::Double, 0)?;
                let id = self.lit(parts);
                self.push(Tok::XStr(id), start, space);
            }
            b's' => {
                let parts = self.scan_str(nest, close, Style::Single, 0)?;
                let id = self.lit(parts);
                self.push(Tok::DSym(id), start, space);
            }
            b'r' => {
                let parts = self.scan_str(nest, close, Style::Regex, 0)?;
                let flags = self.regex_flags();
                let id = self.lit(parts);
                self.push(Tok::Regex(id, flags), start, space);
            }
            _ => {
                let interp = kind == b'W' || kind == b'I';
                let items = self.scan_words(nest, close, interp)?;
                let first = self.lits.len() as LitId;
                let count = items.len() as u32;
                self.lits.extend(items);
                self.push(
                    Tok::Words {
                        symbols: kind == b'i' || kind == b'I',
                        first,
                        count,
                    },
                    start,
                    space,
                );
            }
        }
        Ok(())
    }

    /// `<<~ID`, `<<-ID`, `<<ID`, `<<~'ID'`, `<<~"ID"`. Returns false when this `<<` is an operator.
    fn heredoc_start(&mut self, space: bool) -> Result<bool, SyntaxError> {
        let start = self.pos;
        let value_pos = match self.state {
            State::Beg => true,
            State::Arg => space && !matches!(self.at(self.pos + 2), b' ' | b'\n' | b'='),
            _ => false,
        };
        if !value_pos {
            return Ok(false);
        }
        let mut i = self.pos + 2;
        let (indent_ok, squiggly) = match self.at(i) {
            b'~' => {
                i += 1;
                (true, true)
            }
            b'-' => {
                i += 1;
                (true, false)
            }
            _ => (false, false),
        };
        let q = self.at(i);
        let (id, style, kind) = if matches!(q, b'\'' | b'"' | b'`') {
            let s = i + 1;
            let mut j = s;
            while j < self.limit && self.at(j) != q && self.at(j) != b'\n' {
                j += 1;
            }
            if self.at(j) != q {
                return self.err(start, "unterminated heredoc identifier");
            }
            i = j + 1;
            let style = if q == b'\'' {
                Style::Raw
            } else {
                Style::Double
            };
            let kind = if q == b'`' {
                HeredocKind::XStr
            } else {
                HeredocKind::Str
            };
            (self.slice(s, j), style, kind)
        } else if is_ident_start(q) {
            let s = i;
            i = self.ident_end(i);
            (self.slice(s, i), Style::Double, HeredocKind::Str)
        } else {
            return Ok(false);
        };
        self.pos = i;
        let index = self.tokens.len();
        // The body is read at the end of the line; its parts are filled in then.
        let lit = self.lit(LexParts::new());
        self.push(Tok::Str(lit), start, space);
        self.pending.push(Pending {
            token: index,
            lit,
            id,
            indent_ok,
            squiggly,
            style,
            kind,
        });
        Ok(true)
    }

    /// Reads the bodies of the pending heredocs; `self.pos` is just after the newline.
    fn read_heredocs(&mut self) -> Result<(), SyntaxError> {
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            let body_start = self.pos;
            let mut ls = body_start;
            let body_end;
            loop {
                if ls >= self.limit {
                    let at = self.tokens.get(p.token).map(|t| t.start()).unwrap_or(ls);
                    return self.err(
                        at,
                        format!("unterminated heredoc: expected terminator '{}'", p.id),
                    );
                }
                let le = self.line_end(ls);
                let line = self.text.get(ls..le).unwrap_or("");
                let line = line.strip_suffix('\r').unwrap_or(line);
                let candidate = if p.indent_ok { line.trim_start() } else { line };
                if candidate == p.id {
                    body_end = ls;
                    self.pos = if le < self.limit { le + 1 } else { le };
                    break;
                }
                ls = if le < self.limit { le + 1 } else { le };
            }
            let dedent = if p.squiggly {
                self.squiggly_indent(body_start, body_end)
            } else {
                0
            };
            let saved_pos = self.pos;
            let saved_limit = self.limit;
            self.pos = body_start;
            self.set_limit(body_end);
            let parts = self.scan_str(None, 0, p.style, dedent);
            self.pos = saved_pos;
            self.set_limit(saved_limit);
            let parts = parts?;
            if let Some(slot) = self.lits.get_mut(p.lit as usize) {
                *slot = parts;
            }
            if let Some(t) = self.tokens.get_mut(p.token) {
                t.tok = match p.kind {
                    HeredocKind::Str => Tok::Str(p.lit),
                    HeredocKind::XStr => Tok::XStr(p.lit),
                };
            }
        }
        Ok(())
    }

    fn squiggly_indent(&self, start: usize, end: usize) -> usize {
        let mut min = usize::MAX;
        let mut ls = start;
        while ls < end {
            let le = self.line_end(ls).min(end);
            let mut w = 0;
            let mut i = ls;
            while i < le {
                match self.at(i) {
                    b' ' => w += 1,
                    b'\t' => w = (w / 8 + 1) * 8,
                    _ => break,
                }
                i += 1;
            }
            let blank = i >= le || matches!(self.at(i), b'\r');
            if !blank {
                min = min.min(w);
            }
            ls = le + 1;
        }
        if min == usize::MAX {
            0
        } else {
            min
        }
    }

    /// Skips up to `dedent` columns of leading whitespace at `self.pos`.
    fn skip_indent(&mut self, dedent: usize) {
        let mut w = 0;
        while w < dedent && self.pos < self.limit {
            match self.peek() {
                b' ' => w += 1,
                b'\t' => {
                    let next = (w / 8 + 1) * 8;
                    if next > dedent {
                        break;
                    }
                    w = next;
                }
                _ => break,
            }
            self.pos += 1;
        }
    }

    /// Scans string content up to the unnested `close` (consumed) or, when `close` is 0, to
    /// `self.limit` (heredoc bodies).
    #[inline(always)]
    fn scan_str(
        &mut self,
        open: Option<u8>,
        close: u8,
        style: Style,
        dedent: usize,
    ) -> Result<LexParts, SyntaxError> {
        // Fast path (inlined where the arguments are constants): text up to the delimiter with
        // nothing to process is a slice of the source (already valid UTF-8: no byte buffer, no
        // re-validation).
        if open.is_none() && close != 0 && dedent == 0 && !matches!(style, Style::Raw) {
            let hay = self.src.get(self.pos..self.limit).unwrap_or(&[]);
            let found = if matches!(style, Style::Double | Style::Regex) {
                memchr::memchr3(close, b'\\', b'#', hay)
            } else {
                memchr::memchr2(close, b'\\', hay)
            };
            if let Some(k) = found {
                let stop = self.pos + k;
                if self.at(stop) == close {
                    if let Some(text) = self.text.get(self.pos..stop) {
                        self.pos = stop + 1;
                        // Ruby's lexer reads a source CR LF as LF (parse.y `parser_cr`).
                        let text = if text.contains("\r\n") {
                            text.replace("\r\n", "\n")
                        } else {
                            text.to_owned()
                        };
                        return Ok(smallvec![LexPart::Lit(text)]);
                    }
                }
            }
        }
        self.scan_str_parts(open, close, style, dedent)
    }

    /// [`Self::scan_str`] for text with escapes, interpolation, nesting or dedent.
    #[inline(never)]
    fn scan_str_parts(
        &mut self,
        open: Option<u8>,
        close: u8,
        style: Style,
        dedent: usize,
    ) -> Result<LexParts, SyntaxError> {
        let start = self.pos.saturating_sub(1);
        let mut parts = LexParts::new();
        // Sized for the text up to the next delimiter byte (escapes and interpolations only
        // shorten it) or the heredoc's end: one allocation, not a growth per copied run.
        let rest = self.src.get(self.pos..self.limit).unwrap_or(&[]);
        let size = match close {
            0 => rest.len(),
            _ => memchr::memchr(close, rest).unwrap_or(rest.len()),
        };
        let mut buf: Vec<u8> = Vec::with_capacity(size);
        let mut nest = 0u32;
        if dedent > 0 {
            self.skip_indent(dedent);
        }
        loop {
            if self.pos >= self.limit {
                if close == 0 {
                    break;
                }
                return self.err(
                    start,
                    format!("unterminated literal: expected '{}'", close as char),
                );
            }
            let c = self.peek();
            if close != 0 && c == close && nest == 0 {
                self.pos += 1;
                break;
            }
            if Some(c) == open {
                nest += 1;
            } else if close != 0 && c == close {
                nest -= 1;
            }
            match c {
                b'\\' => match style {
                    Style::Raw => {
                        buf.push(c);
                        self.pos += 1;
                    }
                    Style::Single => {
                        let n = self.at(self.pos + 1);
                        if n == b'\\' || (n == close && close != 0) || Some(n) == open {
                            buf.push(n);
                            self.pos += 2;
                        } else {
                            buf.push(c);
                            self.pos += 1;
                        }
                    }
                    Style::Regex => {
                        let n = self.at(self.pos + 1);
                        if n == close && close == b'/' {
                            buf.push(b'/');
                            self.pos += 2;
                        } else if n != 0 {
                            buf.push(c);
                            // Copy the escaped byte raw (keeps multi-byte chars whole below).
                            self.pos += 1;
                            if n < 0x80 {
                                buf.push(n);
                                self.pos += 1;
                            }
                        } else {
                            buf.push(c);
                            self.pos += 1;
                        }
                    }
                    Style::Double => {
                        self.pos += 1;
                        if self.peek() == b'\r' && self.at(self.pos + 1) == b'\n' {
                            self.pos += 1;
                        }
                        if self.peek() == b'\n' {
                            self.pos += 1;
                            if dedent > 0 {
                                self.skip_indent(dedent);
                            }
                        } else {
                            self.escape(&mut buf)?;
                        }
                    }
                },
                b'#' if matches!(style, Style::Double | Style::Regex) => {
                    let n = self.at(self.pos + 1);
                    if n == b'{' {
                        if self.depth >= MAX_INTERP_DEPTH {
                            return self.err(self.pos, "interpolation nested too deeply");
                        }
                        if !buf.is_empty() {
                            parts.push(LexPart::Lit(bytes_to_string(std::mem::take(&mut buf))));
                        }
                        let code_start = self.pos + 2;
                        let mut sub =
                            Lexer::new(self.text, code_start, self.limit, self.depth + 1, true);
                        let code_end = sub.run()?;
                        parts.push(LexPart::Code(code_start, code_end));
                        self.pos = code_end + 1;
                    } else if (n == b'@' || n == b'$') && is_ident_start(self.at(self.pos + 2))
                        || (n == b'@'
                            && self.at(self.pos + 2) == b'@'
                            && is_ident_start(self.at(self.pos + 3)))
                    {
                        if !buf.is_empty() {
                            parts.push(LexPart::Lit(bytes_to_string(std::mem::take(&mut buf))));
                        }
                        let vs = self.pos + 1;
                        let mut i = vs + 1;
                        while self.at(i) == b'@' {
                            i += 1;
                        }
                        i = self.ident_end(i);
                        parts.push(LexPart::Code(vs, i));
                        self.pos = i;
                    } else {
                        buf.push(c);
                        self.pos += 1;
                    }
                }
                b'\n' => {
                    // A source CR LF is LF (parse.y `parser_cr`); an escaped `\r` stays.
                    if self.pos > 0 && self.at(self.pos - 1) == b'\r' && buf.last() == Some(&b'\r')
                    {
                        buf.pop();
                    }
                    buf.push(c);
                    self.pos += 1;
                    if dedent > 0 {
                        self.skip_indent(dedent);
                    }
                }
                _ => {
                    // Copy a run of ordinary bytes at once.
                    let interp = matches!(style, Style::Double | Style::Regex);
                    let run_start = self.pos;
                    let mut i = self.pos + 1;
                    // Common case (no nesting delimiter): jump with memchr to the next byte that
                    // matters; the byte loop below then finds the exact stop.
                    if open.is_none() && close != 0 && i < self.limit {
                        let hay = self.src.get(i..self.limit).unwrap_or(&[]);
                        let found = if interp {
                            memchr::memchr3(close, b'\\', b'#', hay)
                        } else {
                            memchr::memchr2(close, b'\\', hay)
                        };
                        let stop = found.map(|k| i + k).unwrap_or(self.limit);
                        // newlines in between are ordinary text here (no dedent outside heredocs)
                        if dedent == 0 {
                            i = stop;
                        }
                    }
                    while i < self.limit {
                        let b = self.at(i);
                        if b == b'\\'
                            || (b == close && close != 0)
                            || Some(b) == open
                            || (b == b'#' && interp)
                            || b == b'\n'
                        {
                            break;
                        }
                        i += 1;
                    }
                    if let Some(run) = self.src.get(run_start..i) {
                        // A source CR LF is LF (parse.y `parser_cr`).
                        if memchr::memmem::find(run, b"\r\n").is_some() {
                            for (k, &b) in run.iter().enumerate() {
                                if !(b == b'\r' && run.get(k + 1) == Some(&b'\n')) {
                                    buf.push(b);
                                }
                            }
                        } else {
                            buf.extend_from_slice(run);
                        }
                    }
                    self.pos = i;
                }
            }
        }
        if !buf.is_empty() || parts.is_empty() {
            parts.push(LexPart::Lit(bytes_to_string(buf)));
        }
        Ok(parts)
    }

    /// One escape sequence of a double-quoted string; `self.pos` is after the backslash.
    fn escape(&mut self, buf: &mut Vec<u8>) -> Result<(), SyntaxError> {
        let c = self.peek();
        self.pos += 1;
        match c {
            b'n' => buf.push(b'\n'),
            b't' => buf.push(b'\t'),
            b'r' => buf.push(b'\r'),
            b's' => buf.push(b' '),
            b'e' => buf.push(0x1b),
            b'a' => buf.push(0x07),
            b'b' => buf.push(0x08),
            b'f' => buf.push(0x0c),
            b'v' => buf.push(0x0b),
            b'0'..=b'7' => {
                let mut v = (c - b'0') as u32;
                for _ in 0..2 {
                    let d = self.peek();
                    if (b'0'..=b'7').contains(&d) {
                        v = v * 8 + (d - b'0') as u32;
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                buf.push((v & 0xff) as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 && self.peek().is_ascii_hexdigit() {
                    v = v * 16 + (self.peek() as char).to_digit(16).unwrap_or(0);
                    self.pos += 1;
                    n += 1;
                }
                if n == 0 {
                    return self.err(
                        self.pos,
                        "invalid hex escape: expected a hex digit after \\x",
                    );
                }
                buf.push(v as u8);
            }
            b'u' => {
                let push_cp = |v: u32, buf: &mut Vec<u8>| {
                    let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                    let mut tmp = [0u8; 4];
                    buf.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
                };
                if self.peek() == b'{' {
                    self.pos += 1;
                    loop {
                        while self.peek() == b' ' {
                            self.pos += 1;
                        }
                        if self.peek() == b'}' {
                            self.pos += 1;
                            break;
                        }
                        let mut v = 0u32;
                        let mut n = 0;
                        while self.peek().is_ascii_hexdigit() && n < 6 {
                            v = v * 16 + (self.peek() as char).to_digit(16).unwrap_or(0);
                            self.pos += 1;
                            n += 1;
                        }
                        if n == 0 {
                            return self.err(
                                self.pos,
                                "invalid Unicode escape: expected hex digits or '}'",
                            );
                        }
                        push_cp(v, buf);
                    }
                } else {
                    let mut v = 0u32;
                    for _ in 0..4 {
                        if !self.peek().is_ascii_hexdigit() {
                            return self.err(
                                self.pos,
                                "invalid Unicode escape: expected 4 hex digits after \\u",
                            );
                        }
                        v = v * 16 + (self.peek() as char).to_digit(16).unwrap_or(0);
                        self.pos += 1;
                    }
                    push_cp(v, buf);
                }
            }
            0 if self.pos > self.limit => {
                return self.err(self.pos - 1, "unterminated escape sequence");
            }
            _ => {
                // Any other character stands for itself (multi-byte chars are copied whole).
                buf.push(c);
            }
        }
        Ok(())
    }

    fn scan_words(
        &mut self,
        open: Option<u8>,
        close: u8,
        interp: bool,
    ) -> Result<Vec<LexParts>, SyntaxError> {
        let start = self.pos;
        let mut items = Vec::new();
        let mut parts = LexParts::new();
        let mut buf: Vec<u8> = Vec::new();
        let mut nest = 0u32;
        let mut in_word = false;
        loop {
            if self.pos >= self.limit {
                return self.err(
                    start,
                    format!("unterminated word list: expected '{}'", close as char),
                );
            }
            let c = self.peek();
            if c == close && nest == 0 {
                self.pos += 1;
                break;
            }
            if c.is_ascii_whitespace() {
                if in_word {
                    if !buf.is_empty() || parts.is_empty() {
                        parts.push(LexPart::Lit(String::from_utf8_lossy(&buf).into_owned()));
                    }
                    buf.clear();
                    items.push(std::mem::take(&mut parts));
                    in_word = false;
                }
                self.pos += 1;
                continue;
            }
            in_word = true;
            if Some(c) == open {
                nest += 1;
            } else if c == close {
                nest -= 1;
            }
            if c == b'\\' {
                let n = self.at(self.pos + 1);
                if interp {
                    self.pos += 1;
                    if n.is_ascii_whitespace() {
                        buf.push(n);
                        self.pos += 1;
                    } else {
                        self.escape(&mut buf)?;
                    }
                } else if n.is_ascii_whitespace() || n == b'\\' || n == close || Some(n) == open {
                    buf.push(n);
                    self.pos += 2;
                } else {
                    buf.push(c);
                    self.pos += 1;
                }
                continue;
            }
            if interp && c == b'#' && self.at(self.pos + 1) == b'{' {
                if self.depth >= MAX_INTERP_DEPTH {
                    return self.err(self.pos, "interpolation nested too deeply");
                }
                if !buf.is_empty() {
                    parts.push(LexPart::Lit(String::from_utf8_lossy(&buf).into_owned()));
                    buf.clear();
                }
                let code_start = self.pos + 2;
                let mut sub = Lexer::new(self.text, code_start, self.limit, self.depth + 1, true);
                let code_end = sub.run()?;
                parts.push(LexPart::Code(code_start, code_end));
                self.pos = code_end + 1;
                continue;
            }
            buf.push(c);
            self.pos += 1;
        }
        if in_word {
            if !buf.is_empty() || parts.is_empty() {
                parts.push(LexPart::Lit(String::from_utf8_lossy(&buf).into_owned()));
            }
            items.push(parts);
        }
        Ok(items)
    }

    fn operator(&mut self, start: usize, space: bool) -> Result<(), SyntaxError> {
        // Longest match, decided by the next two bytes (`at` is 0 past the limit).
        let (n1, n2) = (self.at(self.pos + 1), self.at(self.pos + 2));
        let op = match self.peek() {
            b'*' => match (n1, n2) {
                (b'*', b'=') => Some((3, P::OpAssign(BinOp::Pow))),
                (b'*', _) => Some((2, P::Pow)),
                (b'=', _) => Some((2, P::OpAssign(BinOp::Mul))),
                _ => Some((1, P::Star)),
            },
            b'|' => match (n1, n2) {
                (b'|', b'=') => Some((3, P::OpAssign(BinOp::Or))),
                (b'|', _) => Some((2, P::OrOr)),
                (b'=', _) => Some((2, P::OpAssign(BinOp::BitOr))),
                _ => Some((1, P::Pipe)),
            },
            b'&' => match (n1, n2) {
                (b'&', b'=') => Some((3, P::OpAssign(BinOp::And))),
                (b'&', _) => Some((2, P::AndAnd)),
                (b'=', _) => Some((2, P::OpAssign(BinOp::BitAnd))),
                (b'.', _) => Some((2, P::AndDot)),
                _ => Some((1, P::Amp)),
            },
            b'<' => match (n1, n2) {
                (b'<', b'=') => Some((3, P::OpAssign(BinOp::Shl))),
                (b'=', b'>') => Some((3, P::Cmp)),
                (b'<', _) => Some((2, P::Shl)),
                (b'=', _) => Some((2, P::Le)),
                _ => Some((1, P::Lt)),
            },
            b'>' => match (n1, n2) {
                (b'>', b'=') => Some((3, P::OpAssign(BinOp::Shr))),
                (b'>', _) => Some((2, P::Shr)),
                (b'=', _) => Some((2, P::Ge)),
                _ => Some((1, P::Gt)),
            },
            b'=' => match (n1, n2) {
                (b'=', b'=') => Some((3, P::EqEqEq)),
                (b'=', _) => Some((2, P::EqEq)),
                (b'~', _) => Some((2, P::Match)),
                (b'>', _) => Some((2, P::FatArrow)),
                _ => Some((1, P::Assign)),
            },
            b'.' => match (n1, n2) {
                (b'.', b'.') => Some((3, P::Dot3)),
                (b'.', _) => Some((2, P::Dot2)),
                _ => Some((1, P::Dot)),
            },
            b'+' if n1 == b'=' => Some((2, P::OpAssign(BinOp::Add))),
            b'+' => Some((1, P::Plus)),
            b'-' if n1 == b'=' => Some((2, P::OpAssign(BinOp::Sub))),
            b'-' if n1 == b'>' => Some((2, P::Lambda)),
            b'-' => Some((1, P::Minus)),
            b'^' if n1 == b'=' => Some((2, P::OpAssign(BinOp::BitXor))),
            b'^' => Some((1, P::Caret)),
            b'!' if n1 == b'=' => Some((2, P::NotEq)),
            b'!' if n1 == b'~' => Some((2, P::NotMatch)),
            b'!' => Some((1, P::Bang)),
            b'~' => Some((1, P::Tilde)),
            b',' => Some((1, P::Comma)),
            b';' => Some((1, P::Semi)),
            b'[' => Some((1, P::LBracket)),
            b']' => Some((1, P::RBracket)),
            _ => None,
        };
        if let Some((len, p)) = op {
            self.pos += len;
            self.push(Tok::P(p), start, space);
            return Ok(());
        }
        let ch = self
            .text
            .get(start..)
            .and_then(|t| t.chars().next())
            .unwrap_or('?');
        self.err(start, format!("unexpected character {ch:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token with its literal parts resolved.
    #[derive(Debug, PartialEq)]
    enum T<'a> {
        Tok(Tok<'a>),
        Str(LexParts),
        Regex(LexParts, &'a str),
        Words(bool, Vec<LexParts>),
    }

    fn toks(src: &str) -> Vec<T<'_>> {
        let l = tokenize(src, 0, src.len(), 0).unwrap_or_else(|e| panic!("lex error {e:?}"));
        let lit = |i: LitId| l.lits[i as usize].clone();
        l.tokens
            .iter()
            .map(|t| match t.tok {
                Tok::Str(i) => T::Str(lit(i)),
                Tok::Regex(i, f) => T::Regex(lit(i), f),
                Tok::Words {
                    symbols,
                    first,
                    count,
                } => T::Words(symbols, (first..first + count).map(lit).collect()),
                tok => T::Tok(tok),
            })
            .collect()
    }

    fn lit(s: &str) -> LexParts {
        smallvec![LexPart::Lit(s.to_string())]
    }

    #[test]
    fn keywords_by_table() {
        for kw in KEYWORDS {
            let name = kw.as_str();
            // At the end of the input (byte-wise packing) and with text after it (8-byte load).
            assert_eq!(toks(name)[0], T::Tok(Tok::Kw(kw)), "{name}");
            let src = format!("{name} xxxxxxxxx");
            assert_eq!(toks(&src)[0], T::Tok(Tok::Kw(kw)), "{name}");
        }
        for name in [
            "i",
            "iff",
            "ends",
            "en",
            "defined",
            "__FILE",
            "__FILE__x",
            "x",
            "_",
        ] {
            let src = format!("{name} xxxxxxxxx");
            assert_eq!(toks(&src)[0], T::Tok(Tok::Ident(name)), "{name}");
            assert_eq!(toks(name)[0], T::Tok(Tok::Ident(name)), "{name}");
        }
    }

    #[test]
    fn strings_single_and_double() {
        let t = toks(r#"'a\'b\n' "x\ty\u00e9""#);
        assert_eq!(t[0], T::Str(lit("a'b\\n")));
        assert_eq!(t[1], T::Str(lit("x\ty\u{e9}")));
    }

    #[test]
    fn interpolation_parts() {
        let src = r#""a#{b + "c#{d}"}e""#;
        let t = toks(src);
        match &t[0] {
            T::Str(parts) => {
                assert_eq!(parts.len(), 3);
                assert_eq!(parts[0], LexPart::Lit("a".into()));
                match parts[1] {
                    LexPart::Code(s, e) => assert_eq!(&src[s..e], "b + \"c#{d}\""),
                    _ => panic!("expected code"),
                }
                assert_eq!(parts[2], LexPart::Lit("e".into()));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn percent_literals_any_delimiter() {
        let t = toks("x = %w(a b  c)\ny = %q{a{b}c}\nz = %i[x y]\nr = %r{^/a}i\nq = %Q|v#{1}|");
        assert_eq!(t[2], T::Words(false, vec![lit("a"), lit("b"), lit("c")]));
        assert_eq!(t[6], T::Str(lit("a{b}c")));
        assert_eq!(t[10], T::Words(true, vec![lit("x"), lit("y")]));
        assert_eq!(t[14], T::Regex(lit("^/a"), "i"));
        assert!(matches!(&t[18], T::Str(p) if p.len() == 2));
    }

    #[test]
    fn slash_ambiguity() {
        // division after a value, regexp at the start of a value and after a command name
        let t = toks("a = b / c\nx =~ /re/\nfoo /x/m");
        assert!(t.contains(&T::Tok(Tok::P(P::Slash))));
        assert!(t.contains(&T::Regex(lit("re"), "")));
        assert!(t.contains(&T::Regex(lit("x"), "m")));
        let t = toks("a/2");
        assert_eq!(t[1], T::Tok(Tok::P(P::Slash)));
    }

    #[test]
    fn heredocs() {
        let t = toks("x = <<~EOS\n    a\n      b #{c}\n  EOS\ny = <<-'T'\n raw #{x}\n   T\n");
        match &t[2] {
            T::Str(parts) => {
                assert_eq!(parts[0], LexPart::Lit("a\n  b ".into()));
                assert!(matches!(parts[1], LexPart::Code(..)));
                assert_eq!(parts[2], LexPart::Lit("\n".into()));
            }
            other => panic!("{other:?}"),
        }
        assert!(t.contains(&T::Str(lit(" raw #{x}\n"))));
        // `a << b` stays an operator
        let t = toks("a << b");
        assert_eq!(t[1], T::Tok(Tok::P(P::Shl)));
    }

    #[test]
    fn symbols_labels_ternary() {
        let t = toks("f(a: 1, :b => :c?) ? x : :y");
        assert!(t.contains(&T::Tok(Tok::Label("a"))));
        assert!(t.contains(&T::Tok(Tok::Sym("b"))));
        assert!(t.contains(&T::Tok(Tok::Sym("c?"))));
        assert!(t.contains(&T::Tok(Tok::P(P::Question))));
        assert!(t.contains(&T::Tok(Tok::P(P::Colon))));
        assert!(t.contains(&T::Tok(Tok::Sym("y"))));
    }

    #[test]
    fn comments_begin_end_and_end_marker() {
        let src = "a # c\n=begin\nnot code '\n=end\nb\n__END__\n'garbage";
        let l = tokenize(src, 0, src.len(), 0).unwrap_or_else(|e| panic!("{e:?}"));
        let t: Vec<Tok> = l.tokens.into_iter().map(|t| t.tok).collect();
        assert_eq!(
            t,
            vec![
                Tok::Ident("a"),
                Tok::NewLine,
                Tok::Ident("b"),
                Tok::NewLine,
                Tok::Eof
            ]
        );
        assert_eq!(l.end_marker, Some(src.find("__END__").unwrap_or(0)));
    }

    #[test]
    fn numbers() {
        let t = toks("1_000 0x1f 0b11 017 1.5 2e3 1..2");
        assert_eq!(
            &t[..7],
            &[
                T::Tok(Tok::Int(1000)),
                T::Tok(Tok::Int(31)),
                T::Tok(Tok::Int(3)),
                T::Tok(Tok::Int(15)),
                T::Tok(Tok::Float(1.5)),
                T::Tok(Tok::Float(2000.0)),
                T::Tok(Tok::Int(1))
            ]
        );
        assert_eq!(t[7], T::Tok(Tok::P(P::Dot2)));
    }

    #[test]
    fn method_names_with_punctuation() {
        let t = toks("os.redhat? ? '077' : '027'");
        assert_eq!(t[2], T::Tok(Tok::Ident("redhat?")));
        assert_eq!(t[3], T::Tok(Tok::P(P::Question)));
        let t = toks("a!=b");
        assert_eq!(t[1], T::Tok(Tok::P(P::NotEq)));
    }

    #[test]
    fn newline_continuation_rules() {
        // after an operator and before a leading `.` the newline is not a statement end
        let t = toks("a = 1 +\n 2\nb\n  .c");
        let nl = t.iter().filter(|t| **t == T::Tok(Tok::NewLine)).count();
        assert_eq!(nl, 2);
    }

    #[test]
    fn errors_have_offsets() {
        let e = tokenize("x = 'abc", 0, 8, 0).err();
        assert_eq!(e.map(|e| e.offset), Some(4));
        let e = tokenize("x = \"a#{b\"", 0, 10, 0).err();
        assert!(e.is_some());
    }
}
