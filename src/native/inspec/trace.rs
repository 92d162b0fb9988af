//! How InSpec describes a `where { ... }` block: FilterTable (lib/inspec/utils/filter.rb,
//! `Trace`) evaluates the block once more with a recorder as `self`; every method called on it
//! (a field name, then `to_i`, `==`, `!~`, ...) is written down, and `Trace.to_ruby` prints the
//! record, e.g. `where { uid.to_i < 1000 }` → ` uid to_i < 1000`. An exception stops the
//! recording and keeps what was written. Here the block's syntax tree is walked the same way;
//! only closed expressions (literals, variables, constants, strings built from them and
//! methods of them) are evaluated, as arguments.

use crate::native::inspec::Interp;
use crate::native::ruby::value::Value;
use crate::profile::ast::{BinOp, Block, Expr, ExprKind, Param, UnaryOp};

/// The calls recorded on one recorder: `(method, inspected arguments, the recorder returned)`.
type Chain = Vec<(String, Vec<String>, usize)>;

/// What an expression is while tracing: a recorder (an index into the chains) or a value.
enum Traced {
    Recorder(usize),
    Plain(Value),
}

/// Object's own methods: a recorder answers them itself, so they are not recorded (and their
/// results are not recorders).
const OBJECT_METHODS: &[&str] = &[
    "to_s",
    "inspect",
    "nil?",
    "is_a?",
    "kind_of?",
    "instance_of?",
    "class",
    "respond_to?",
    "frozen?",
    "hash",
    "object_id",
    "equal?",
    "eql?",
    "itself",
    "dup",
    "tap",
    "then",
    "send",
    "public_send",
    "instance_variable_get",
];

struct Tracer<'a, 'i> {
    interp: &'a mut Interp<'i>,
    chains: Vec<Chain>,
    /// Block parameters: instance_eval passes the recorder itself as the argument.
    params: Vec<String>,
}

/// ` uid to_i < 1000` for `where { uid.to_i < 1000 }` ("" when nothing was recorded).
pub fn describe_block(interp: &mut Interp<'_>, block: &Block) -> String {
    let params = block
        .params
        .iter()
        .filter_map(|p| match p {
            Param::Required(n) | Param::Optional(n, _) => Some(n.clone()),
            _ => None,
        })
        .collect();
    let mut t = Tracer {
        interp,
        chains: vec![Vec::new()],
        params,
    };
    for e in &block.body {
        if t.eval(e).is_none() {
            break;
        }
    }
    to_ruby(&t.chains, 0)
}

/// filter.rb `Trace.to_ruby`.
fn to_ruby(chains: &[Chain], at: usize) -> String {
    let Some(chain) = chains.get(at) else {
        return String::new();
    };
    if chain.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = chain
        .iter()
        .map(|(m, args, next)| {
            let rest = to_ruby(chains, *next);
            match args.as_slice() {
                [] => format!("{m}{rest}"),
                [one] => format!("{m} {one}{rest}"),
                many => format!("{m}({}){rest}", many.join(", ")),
            }
        })
        .collect();
    format!(" {}", parts.join(" "))
}

impl Tracer<'_, '_> {
    /// Records `method(args)` on recorder `on`; the new recorder it returns.
    fn record(&mut self, on: usize, method: &str, args: Vec<String>) -> usize {
        let next = self.chains.len();
        self.chains.push(Vec::new());
        if let Some(chain) = self.chains.get_mut(on) {
            chain.push((method.to_string(), args, next));
        }
        next
    }

    /// Arguments given to a recorder: values only (None: something we do not trace).
    fn args(&mut self, args: &[Expr]) -> Option<Vec<String>> {
        args.iter()
            .map(|a| match self.eval(a)? {
                Traced::Plain(v) => Some(format!("{v:?}")),
                Traced::Recorder(_) => None,
            })
            .collect()
    }

    /// None: Ruby would raise here, or the form is not one we follow; recording stops.
    fn eval(&mut self, e: &Expr) -> Option<Traced> {
        match &e.kind {
            ExprKind::Call {
                recv, name, args, ..
            } => {
                let on = match recv {
                    None => 0,
                    Some(r) => match self.eval(r)? {
                        Traced::Recorder(i) => i,
                        // A method of a value (`tool.upcase`): Ruby calls it, nothing is
                        // recorded; with a recorder among the arguments we stop.
                        Traced::Plain(_) => {
                            self.args(args)?;
                            return self.interp.eval(e).ok().map(Traced::Plain);
                        }
                    },
                };
                if OBJECT_METHODS.contains(&name.as_str()) {
                    return None;
                }
                let args = self.args(args)?;
                Some(Traced::Recorder(self.record(on, name, args)))
            }
            ExprKind::Index { recv, args } => match self.eval(recv)? {
                Traced::Recorder(on) => {
                    let args = self.args(args)?;
                    Some(Traced::Recorder(self.record(on, "[]", args)))
                }
                // An element of a value (`rule['daemon']`): Ruby computes it, nothing is
                // recorded; with a recorder among the indexes we stop.
                Traced::Plain(_) => {
                    self.args(args)?;
                    self.interp.eval(e).ok().map(Traced::Plain)
                }
            },
            ExprKind::Binary { op, lhs, rhs } => match op {
                // A recorder is truthy: `&&` goes on to the right, `||` stops at the left.
                BinOp::And => match self.eval(lhs)? {
                    Traced::Plain(v) if !v.truthy() => Some(Traced::Plain(v)),
                    _ => self.eval(rhs),
                },
                BinOp::Or => match self.eval(lhs)? {
                    Traced::Plain(v) if !v.truthy() => self.eval(rhs),
                    left => Some(left),
                },
                _ => match self.eval(lhs)? {
                    Traced::Recorder(on) => {
                        let args = self.args(std::slice::from_ref(rhs.as_ref()))?;
                        Some(Traced::Recorder(self.record(on, op.as_str(), args)))
                    }
                    Traced::Plain(_) => None,
                },
            },
            // `!recorder` is BasicObject#! (false, not recorded).
            ExprKind::Unary {
                op: UnaryOp::Not,
                expr,
            } => match self.eval(expr)? {
                Traced::Recorder(_) => Some(Traced::Plain(Value::Bool(false))),
                Traced::Plain(v) => Some(Traced::Plain(Value::Bool(!v.truthy()))),
            },
            ExprKind::Paren(body) => {
                let mut last = Traced::Plain(Value::Nil);
                for x in body {
                    last = self.eval(x)?;
                }
                Some(last)
            }
            ExprKind::Var(n) if self.params.iter().any(|p| p == n.as_str()) => {
                Some(Traced::Recorder(0))
            }
            // An interpolated string or regexp (`/#{tool}/`) is built before the recorder sees
            // it; a recorder inside it stops the recording.
            ExprKind::Str(parts) | ExprKind::Regex { parts, .. } => {
                for part in parts {
                    if let crate::profile::ast::StrPart::Code(exprs) = part {
                        for x in exprs {
                            if let Traced::Recorder(_) = self.eval(x)? {
                                return None;
                            }
                        }
                    }
                }
                self.interp.eval(e).ok().map(Traced::Plain)
            }
            _ if closed(e) => self.interp.eval(e).ok().map(Traced::Plain),
            _ => None,
        }
    }
}

/// Literals, variables and constants (and lists of them): safe to evaluate again.
fn closed(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Nil
        | ExprKind::True
        | ExprKind::False
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Sym(_)
        | ExprKind::Var(_)
        | ExprKind::IVar(_)
        | ExprKind::Const { .. } => true,
        ExprKind::Array(items) => items.iter().all(closed),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            expr,
        } => closed(expr),
        _ => false,
    }
}
