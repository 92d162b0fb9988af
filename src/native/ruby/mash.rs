//! `Hashie::Mash`, the hash InSpec's own resources and many profile libraries build their
//! data in: keys are stored as strings (a symbol and its string are the same key), nested
//! hashes become Mashes, `m.key` reads a key, `m.key = v` writes it, `m.key?` tests it.
//! A Mash is shared, like a Ruby object (a copy of the value is the same Mash).

use std::sync::Mutex;

use crate::native::ruby::methods;
use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::Blk;
use crate::native::ruby::{Embedding, Interp, R};

pub struct Mash(pub Mutex<Vec<(Value, Value)>>);

impl NativeObject for Mash {
    fn inspect(&self) -> Option<String> {
        Some(inspect(
            &self.0.lock().map(|p| p.clone()).unwrap_or_default(),
        ))
    }
    fn hash_pairs(&self) -> Option<Vec<(Value, Value)>> {
        Some(self.0.lock().map(|p| p.clone()).unwrap_or_default())
    }
}

/// Hashie's `inspect` (and `to_s`): `#<Hashie::Mash key=value.inspect …>`, keys sorted.
fn inspect(pairs: &[(Value, Value)]) -> String {
    let mut keyed: Vec<(String, &Value)> = pairs
        .iter()
        .map(|(k, v)| (crate::native::ruby::methods::to_s(k), v))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let body: String = keyed.iter().map(|(k, v)| format!(" {k}={v:?}")).collect();
    format!("#<Hashie::Mash{body}>")
}

/// Hash methods whose first argument is a key.
const KEYED: &[&str] = &[
    "[]", "[]=", "store", "fetch", "key?", "has_key?", "include?", "member?", "delete", "dig",
];

/// Hash methods a Mash answers as a Hash (anything else is a key).
const HASH_METHODS: &[&str] = &[
    "[]",
    "[]=",
    "store",
    "fetch",
    "key?",
    "has_key?",
    "include?",
    "member?",
    "delete",
    "dig",
    "empty?",
    "any?",
    "keys",
    "values",
    "each",
    "each_pair",
    "map",
    "select",
    "filter",
    "reject",
    "to_h",
    "to_hash",
    "to_a",
    "size",
    "length",
    "count",
    "merge",
    "nil?",
    "to_s",
    "inspect",
    "==",
    "!=",
    "find",
    "sort_by",
    "each_with_object",
    "transform_values",
    "sum",
    "min_by",
    "max_by",
    "group_by",
    "key",
    "values_at",
    "is_a?",
    "kind_of?",
    "class",
    "update",
    "merge!",
];

fn key(v: Value) -> Value {
    match v {
        Value::Sym(s) => Value::Str(s),
        other => other,
    }
}

/// A Mash of a hash's pairs (keys stringified, nested hashes made Mashes).
pub fn mash(pairs: Vec<(Value, Value)>) -> Value {
    native(Mash(Mutex::new(
        pairs
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::Hash(h) => mash(h),
                    other => other,
                };
                (key(k), v)
            })
            .collect(),
    )))
}

/// `Hashie::Mash.new(hash = {})`.
pub fn new_mash(args: &[Value]) -> Value {
    match args.first() {
        Some(Value::Hash(h)) => mash(h.clone()),
        _ => mash(Vec::new()),
    }
}

impl<E: Embedding> Interp<'_, E> {
    /// A method of a Mash. None: not a Mash.
    pub fn call_mash(
        &mut self,
        recv: &Value,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> Option<R> {
        let m = as_native::<Mash>(recv)?;
        let pairs = m.0.lock().map(|p| p.clone()).unwrap_or_default();
        let mut hash = Value::Hash(pairs.clone());
        let mut args = args.to_vec();
        if KEYED.contains(&name) && !args.is_empty() {
            let k = args.remove(0);
            args.insert(0, key(k));
        }
        let r = match name {
            "class" => {
                return Some(Ok(native(crate::native::ruby::objects::ClassRef(
                    "Hashie::Mash".into(),
                ))))
            }
            "is_a?" | "kind_of?" => {
                let c = args
                    .first()
                    .and_then(|a| as_native::<crate::native::ruby::objects::ClassRef>(a))
                    .map(|c| c.0.clone());
                return Some(Ok(Value::Bool(c.is_some_and(|c| {
                    matches!(
                        c.as_str(),
                        "Hashie::Mash" | "Hash" | "Object" | "Enumerable"
                    )
                }))));
            }
            "to_s" | "inspect" => return Some(Ok(Value::Str(inspect(&pairs)))),
            _ if HASH_METHODS.contains(&name) => self.call_builtin(&mut hash, name, args, blk, off),
            _ => {
                if let Some(k) = name.strip_suffix('=') {
                    let v = args.first().cloned().unwrap_or(Value::Nil);
                    if let Value::Hash(p) = &mut hash {
                        methods::hash_set(p, Value::str(k), v.clone());
                    }
                    Ok(v)
                } else if let Some(k) = name.strip_suffix('?') {
                    Ok(Value::Bool(
                        hash.hash_get(&Value::str(k)).is_some_and(Value::truthy),
                    ))
                } else {
                    Ok(hash
                        .hash_get(&Value::str(name))
                        .cloned()
                        .unwrap_or(Value::Nil))
                }
            }
        };
        if let (Value::Hash(new), Ok(mut p)) = (hash, m.0.lock()) {
            *p = new;
        }
        Some(r.map(|v| match v {
            // `merge` and friends answer a new Mash.
            Value::Hash(h) if matches!(name, "merge" | "select" | "reject" | "filter") => mash(h),
            other => other,
        }))
    }
}
