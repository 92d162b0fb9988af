//! Ruby's Enumerator, as profiles use it: an iterator called without a block
//! (`each_with_index.map`, `map.with_index`, `each_slice(2).to_a`, `3.times.map`,
//! `each_char.select`). It holds the items its method would yield and that method's name,
//! which decides what `with_index` with a block returns.

use crate::native::ruby::methods::*;
use crate::native::ruby::value::NativeObject;

pub struct Enumerator {
    pub items: Vec<Value>,
    pub via: String,
}

impl NativeObject for Enumerator {
    fn class_name(&self) -> Option<&'static str> {
        Some("Enumerator")
    }
}

/// Iterators that give an Enumerator when called without a block.
pub const ITERATORS: &[&str] = &[
    "each",
    "each_with_index",
    "each_entry",
    "each_slice",
    "each_cons",
    "each_line",
    "each_char",
    "each_key",
    "each_value",
    "each_pair",
    "map",
    "collect",
    "flat_map",
    "filter_map",
    "select",
    "filter",
    "find_all",
    "reject",
    "partition",
    "find",
    "detect",
    "min_by",
    "max_by",
    "sort_by",
    "group_by",
    "take_while",
    "drop_while",
    "times",
    "upto",
    "downto",
];

/// Methods of an Enumerator beyond Enumerable's.
pub const METHODS: &[&str] = &[
    "with_index",
    "each_with_index",
    "with_object",
    "size",
    "next",
];

/// The Enumerator of `recv.name(args)` without a block, over the items it would yield.
/// None: `name` is not an iterator.
pub fn make(items: Vec<Value>, name: &str, args: &[Value]) -> Option<R> {
    if !ITERATORS.contains(&name) {
        return None;
    }
    let (items, via) = match name {
        "each_with_index" => (
            items
                .into_iter()
                .enumerate()
                .map(|(i, x)| Value::Array(vec![x, Value::Int(i as i64)]))
                .collect(),
            "each",
        ),
        "each_slice" | "each_cons" => {
            let n = match int_arg(args, 0) {
                Some(n) if n > 0 => n as usize,
                _ => return Some(Err(Flow::raise("ArgumentError", "invalid size"))),
            };
            let groups: Vec<Value> = if name == "each_slice" {
                items.chunks(n).map(|c| Value::Array(c.to_vec())).collect()
            } else {
                items.windows(n).map(|c| Value::Array(c.to_vec())).collect()
            };
            (groups, "each")
        }
        other => (items, other),
    };
    Some(Ok(native(Enumerator {
        items,
        via: via.to_string(),
    })))
}

/// A method of an Enumerator.
pub fn call<E: Embedding>(
    me: &mut Interp<'_, E>,
    e: &Enumerator,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let start = match name {
        "with_index" => int_arg(args, 0).unwrap_or(0),
        "each_with_index" => 0,
        "size" => return Some(Ok(Value::Int(e.items.len() as i64))),
        "next" => return Some(Ok(e.items.first().cloned().unwrap_or(Value::Nil))),
        _ => {
            let as_array = Value::Array(e.items.clone());
            return enumerable(me, &as_array, e.items.clone(), name, args, blk, off);
        }
    };
    let Some(b) = blk else {
        // `map.with_index` without a block: pairs, still mapped by `via`.
        let pairs = e
            .items
            .iter()
            .enumerate()
            .map(|(i, x)| Value::Array(vec![x.clone(), Value::Int(start + i as i64)]))
            .collect();
        return Some(Ok(native(Enumerator {
            items: pairs,
            via: e.via.clone(),
        })));
    };
    Some(with_index(me, e, start, b, off))
}

/// `enum.with_index(start) { |x, i| }`: the block's results, combined as `via` combines.
fn with_index<E: Embedding>(
    me: &mut Interp<'_, E>,
    e: &Enumerator,
    start: i64,
    b: Blk<'_>,
    off: u32,
) -> R {
    let mut results = Vec::with_capacity(e.items.len());
    for (i, x) in e.items.iter().enumerate() {
        let idx = Value::Int(start.saturating_add(i as i64));
        match me.call_block(b, vec![x.clone(), idx], off) {
            Ok(r) => results.push(r),
            Err(Flow::Break(v)) => return Ok(v),
            Err(err) => return Err(err),
        }
    }
    let keep = |want: bool| {
        e.items
            .iter()
            .zip(&results)
            .filter(|(_, r)| r.truthy() == want)
            .map(|(x, _)| x.clone())
            .collect()
    };
    Ok(match e.via.as_str() {
        "map" | "collect" => Value::Array(results),
        "flat_map" => Value::Array(
            results
                .into_iter()
                .flat_map(|r| match r {
                    Value::Array(a) => a,
                    other => vec![other],
                })
                .collect(),
        ),
        "filter_map" => Value::Array(results.into_iter().filter(Value::truthy).collect()),
        "select" | "filter" | "find_all" => Value::Array(keep(true)),
        "reject" => Value::Array(keep(false)),
        "each" | "each_entry" | "each_line" | "each_char" | "each_pair" | "each_key"
        | "each_value" | "times" | "upto" | "downto" => Value::Array(e.items.clone()),
        other => {
            return Err(Flow::Unsupported {
                construct: format!("`{other}.with_index`"),
                at: String::new(),
            })
        }
    })
}
