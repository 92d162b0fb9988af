//! Ruby's `Set`: unordered unique elements (kept in insertion order, as Ruby's Hash-backed
//! Set iterates). A Set is an object: copies of the value share it, so `s << x` is seen
//! through every name, as in Ruby.

use std::sync::Mutex;

use crate::native::ruby::methods::{enumerable, iterate};
use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::Blk;
use crate::native::ruby::{Embedding, Flow, Interp, MAX_ITEMS, R};

pub struct RSet(Mutex<Vec<Value>>);

impl NativeObject for RSet {
    fn class_name(&self) -> Option<&'static str> {
        Some("Set")
    }
    fn equals(&self, other: &dyn NativeObject) -> bool {
        other.downcast_ref::<RSet>().is_some_and(|o| same(self, o))
    }
    fn inspect(&self) -> Option<String> {
        Some(inspect(self))
    }
}

pub const CLASS_METHODS: &[&str] = &["new", "[]"];

/// Methods of a Set beyond Enumerable's.
pub const METHODS: &[&str] = &[
    "include?",
    "member?",
    "===",
    "contain?",
    "add",
    "<<",
    "add?",
    "delete",
    "delete?",
    "subtract",
    "clear",
    "join",
    "dup",
    "clone",
    "<=>",
    "merge",
    "subset?",
    "<=",
    "superset?",
    ">=",
    "proper_subset?",
    "<",
    "proper_superset?",
    ">",
    "disjoint?",
    "intersect?",
    "-",
    "difference",
    "|",
    "+",
    "union",
    "&",
    "intersection",
    "^",
    "to_a",
    "to_set",
    "size",
    "length",
    "empty?",
    "==",
    "inspect",
    "to_s",
];

impl RSet {
    pub fn items(&self) -> Vec<Value> {
        self.0.lock().map(|g| g.clone()).unwrap_or_default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Vec<Value>) -> T) -> T {
        match self.0.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

fn unique(items: impl IntoIterator<Item = Value>) -> R<Vec<Value>> {
    let mut out: Vec<Value> = Vec::new();
    for x in items {
        if !out.contains(&x) {
            if out.len() >= MAX_ITEMS {
                return Err(Flow::raise("RuntimeError", "set too large"));
            }
            out.push(x);
        }
    }
    Ok(out)
}

/// A new Set of `items` (duplicates dropped).
pub fn new_set(items: impl IntoIterator<Item = Value>) -> R {
    Ok(native(RSet(Mutex::new(unique(items)?))))
}

/// The elements of an enumerable argument (a Set, an Array, a Hash's pairs, a Range).
fn elements(v: &Value) -> R<Vec<Value>> {
    match as_native::<RSet>(v) {
        Some(s) => Ok(s.items()),
        None => iterate(v).map_err(|_| {
            Flow::raise(
                "ArgumentError",
                format!("value must be enumerable, not {}", v.class_name()),
            )
        }),
    }
}

pub fn call_class(name: &str, args: &[Value]) -> Option<R> {
    Some(match name {
        "new" => match args.first() {
            None | Some(Value::Nil) => new_set(Vec::new()),
            Some(v) => elements(v).and_then(new_set),
        },
        "[]" => new_set(args.to_vec()),
        _ => return None,
    })
}

/// Whether two sets hold the same elements (Ruby's `Set#==`).
pub fn same(a: &RSet, b: &RSet) -> bool {
    let (x, y) = (a.items(), b.items());
    x.len() == y.len() && x.iter().all(|v| y.contains(v))
}

pub fn inspect(s: &RSet) -> String {
    let items: Vec<String> = s.items().iter().map(|v| format!("{v:?}")).collect();
    format!("#<Set: {{{}}}>", items.join(", "))
}

/// A method of a Set (Enumerable's included). None: not a Set.
pub fn call<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let set = as_native::<RSet>(recv)?;
    let mine = set.items();
    let a0 = args.first();
    let other = || elements(a0.unwrap_or(&Value::Nil));
    let r = (|| -> R {
        Ok(match name {
            "include?" | "member?" | "===" | "contain?" => {
                Value::Bool(a0.is_some_and(|x| mine.contains(x)))
            }
            "add" | "<<" | "add?" => {
                let x = a0.cloned().unwrap_or(Value::Nil);
                let added = set.with(|v| {
                    let new = !v.contains(&x);
                    if new {
                        v.push(x);
                    }
                    new
                });
                if name == "add?" && !added {
                    Value::Nil
                } else {
                    recv.clone()
                }
            }
            "delete" => {
                let x = a0.cloned().unwrap_or(Value::Nil);
                set.with(|v| v.retain(|y| *y != x));
                recv.clone()
            }
            "delete?" => {
                let x = a0.cloned().unwrap_or(Value::Nil);
                if mine.contains(&x) {
                    set.with(|v| v.retain(|y| *y != x));
                    recv.clone()
                } else {
                    Value::Nil
                }
            }
            "subtract" => {
                let o = other()?;
                set.with(|v| v.retain(|y| !o.contains(y)));
                recv.clone()
            }
            "clear" => {
                set.with(Vec::clear);
                recv.clone()
            }
            // Ruby 3.0's `Set#join(sep = nil)`: `to_a.join(sep)`.
            "join" => me.call_builtin(&mut Value::Array(mine), "join", args.to_vec(), None, off)?,
            "dup" | "clone" => new_set(mine)?,
            // Ruby 3.0's `Set#<=>`: by inclusion, nil when neither holds the other.
            "<=>" => match a0.and_then(as_native::<RSet>) {
                Some(o) if same(set, o) => Value::Int(0),
                Some(o) => {
                    let theirs = o.items();
                    if mine.iter().all(|x| theirs.contains(x)) {
                        Value::Int(-1)
                    } else if theirs.iter().all(|x| mine.contains(x)) {
                        Value::Int(1)
                    } else {
                        Value::Nil
                    }
                }
                None => Value::Nil,
            },
            "merge" => {
                let add = other()?;
                let merged = unique(mine.into_iter().chain(add))?;
                set.with(|v| *v = merged);
                recv.clone()
            }
            "subset?" | "<=" => {
                let o = other()?;
                Value::Bool(mine.iter().all(|x| o.contains(x)))
            }
            "superset?" | ">=" => Value::Bool(other()?.iter().all(|x| mine.contains(x))),
            "proper_subset?" | "<" => {
                let o = other()?;
                Value::Bool(o.len() > mine.len() && mine.iter().all(|x| o.contains(x)))
            }
            "proper_superset?" | ">" => {
                let o = other()?;
                Value::Bool(mine.len() > o.len() && o.iter().all(|x| mine.contains(x)))
            }
            "disjoint?" | "intersect?" => {
                let o = other()?;
                let meet = mine.iter().any(|x| o.contains(x));
                Value::Bool(if name == "disjoint?" { !meet } else { meet })
            }
            "-" | "difference" => {
                let o = other()?;
                new_set(mine.into_iter().filter(|x| !o.contains(x)))?
            }
            "|" | "+" | "union" => new_set(mine.into_iter().chain(other()?))?,
            "&" | "intersection" => {
                let o = other()?;
                new_set(mine.into_iter().filter(|x| o.contains(x)))?
            }
            "^" => {
                let o = other()?;
                let both: Vec<Value> = mine
                    .iter()
                    .filter(|x| !o.contains(x))
                    .chain(o.iter().filter(|x| !mine.contains(x)))
                    .cloned()
                    .collect();
                new_set(both)?
            }
            "to_a" => Value::Array(mine),
            "to_set" => recv.clone(),
            "size" | "length" => Value::Int(mine.len() as i64),
            "empty?" => Value::Bool(mine.is_empty()),
            "==" => Value::Bool(a0.and_then(as_native::<RSet>).is_some_and(|o| same(set, o))),
            "inspect" | "to_s" => Value::Str(inspect(set)),
            _ => {
                return match enumerable(me, &Value::Array(mine.clone()), mine, name, args, blk, off)
                {
                    Some(r) => r,
                    None => Err(Flow::Next(Value::Nil)),
                }
            }
        })
    })();
    match r {
        Err(Flow::Next(_)) => None,
        other => Some(other),
    }
}
