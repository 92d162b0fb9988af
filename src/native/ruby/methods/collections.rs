//! Enumerable methods and the methods of arrays, hashes and ranges.

use crate::native::ruby::methods::*;

/// Runs the block over items, stopping at `break`.
pub(super) fn each_value<E: Embedding>(
    me: &mut Interp<'_, E>,
    b: Blk<'_>,
    items: Vec<Value>,
    off: u32,
    mut f: impl FnMut(Value, Value) -> R<bool>,
) -> R<Option<Value>> {
    for item in items {
        match me.call_block(b, vec![item.clone()], off) {
            Ok(r) => {
                if !f(item, r)? {
                    break;
                }
            }
            Err(Flow::Break(v)) => return Ok(Some(v)),
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Enumerable methods over a list of items (arrays, hashes as pairs, ranges, tables, sets).
/// Each group of methods is a table of names (what static coverage reads, through
/// [`is_enumerable_method`]) and one function implementing them.
pub fn enumerable<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    items: Vec<Value>,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    if blk.is_none() {
        if let Some(e) = enumerator::make(items.clone(), name, args) {
            return Some(e);
        }
    }
    let r = if name == "to_h" && blk.is_some() {
        // Enumerable#to_h / Array#to_h / Hash#to_h with a block: each item mapped to a pair.
        select_map(me, items, "map", args, blk, off).and_then(|pairs| match pairs {
            Value::Array(pairs) => pairs_to_hash(&pairs),
            other => Ok(other),
        })
    } else if ITERATE.contains(&name) {
        iterate_items(me, recv, items, name, args, blk, off)
    } else if SELECT_MAP.contains(&name) {
        select_map(me, items, name, args, blk, off)
    } else if SEARCH.contains(&name) {
        search(me, items, name, args, blk, off)
    } else if AGGREGATE.contains(&name) {
        aggregate(me, recv, items, name, args, blk, off)
    } else {
        return None;
    };
    match r {
        Err(Flow::Next(_)) => None,
        other => Some(other),
    }
}

/// Iteration with a block.
const ITERATE: &[&str] = &[
    "each",
    "each_entry",
    "each_with_index",
    "each_with_object",
    "each_slice",
];
/// New collections made by a block or a pattern.
const SELECT_MAP: &[&str] = &[
    "map",
    "collect",
    "flat_map",
    "filter_map",
    "select",
    "filter",
    "find_all",
    "reject",
    "partition",
    "take_while",
    "drop_while",
    "grep",
    "grep_v",
];
/// Questions about the items.
const SEARCH: &[&str] = &[
    "find",
    "detect",
    "find_index",
    "index",
    "any?",
    "all?",
    "none?",
    "one?",
    "count",
    "include?",
    "member?",
    "to_a",
    "entries",
    "first",
];
/// One value (or grouping) from all the items.
const AGGREGATE: &[&str] = &[
    "min", "max", "minmax", "min_by", "max_by", "sort_by", "group_by", "inject", "reduce", "sum",
    "tally", "zip",
];

/// Every Enumerable method implemented here.
pub const ENUMERABLE_METHODS: &[&[&str]] = &[ITERATE, SELECT_MAP, SEARCH, AGGREGATE];

pub fn is_enumerable_method(name: &str) -> bool {
    ENUMERABLE_METHODS.iter().any(|g| g.contains(&name))
}

fn iterate_items<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    items: Vec<Value>,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    let a0 = args.first();
    Ok(match name {
        // Enumerable#each_entry: `each`, several yielded values as one array (a list's
        // items are one value each).
        "each" | "each_entry" => {
            let b = block_or_err(blk, name)?;
            if let Some(v) = each_value(me, b, items, off, |_, _| Ok(true))? {
                return Ok(v);
            }
            recv.clone()
        }
        "each_with_index" => {
            let b = block_or_err(blk, name)?;
            for (i, item) in items.into_iter().enumerate() {
                match me.call_block(b, vec![item, Value::Int(i as i64)], off) {
                    Ok(_) => {}
                    Err(Flow::Break(v)) => return Ok(v),
                    Err(e) => return Err(e),
                }
            }
            recv.clone()
        }
        "each_with_object" => {
            let Some(Blk::Ast(b)) = blk else {
                return Err(without_block(name));
            };
            // The memo is a value: mutations through the block parameter are read back.
            let mut memo = a0.cloned().unwrap_or(Value::Nil);
            let memo_name = match b.params.get(1) {
                Some(crate::profile::ast::Param::Required(n)) => Some(n.clone()),
                _ => None,
            };
            for item in items {
                let r = me.scoped(false, |m| {
                    m.bind_params(&b.params, &[item, memo.clone()])?;
                    let r = m.eval_body(&b.body);
                    let back = memo_name.as_ref().and_then(|n| m.lookup(n).cloned());
                    r.map(|_| back)
                });
                match r {
                    Ok(Some(v)) => memo = v,
                    Ok(None) | Err(Flow::Next(_)) => {}
                    Err(Flow::Break(v)) => return Ok(v),
                    Err(e) => return Err(e),
                }
            }
            memo
        }
        "each_slice" => {
            let n = int_arg(args, 0)
                .filter(|n| *n > 0)
                .ok_or_else(|| Flow::raise("ArgumentError", "invalid slice size"))?
                as usize;
            let slices: Vec<Value> = items.chunks(n).map(|c| Value::Array(c.to_vec())).collect();
            match blk {
                Some(b) => {
                    each_value(me, b, slices, off, |_, _| Ok(true))?;
                    Value::Nil
                }
                None => Value::Array(slices),
            }
        }
        _ => return Err(Flow::Next(Value::Nil)),
    })
}

fn select_map<E: Embedding>(
    me: &mut Interp<'_, E>,
    items: Vec<Value>,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    let a0 = args.first();
    Ok(match name {
        "map" | "collect" | "flat_map" | "filter_map" => {
            let b = block_or_err(blk, name)?;
            let mut out = Vec::new();
            let flat = name == "flat_map";
            let fm = name == "filter_map";
            if let Some(v) = each_value(me, b, items, off, |_, r| {
                match r {
                    Value::Array(a) if flat => out.extend(a),
                    r if fm => {
                        if r.truthy() {
                            out.push(r)
                        }
                    }
                    r => out.push(r),
                }
                Ok(out.len() <= MAX_ITEMS)
            })? {
                return Ok(v);
            }
            Value::Array(out)
        }
        "select" | "filter" | "find_all" | "reject" | "partition" => {
            let b = block_or_err(blk, name)?;
            let want = name != "reject";
            let (mut yes, mut no) = (Vec::new(), Vec::new());
            if let Some(v) = each_value(me, b, items, off, |item, r| {
                if r.truthy() == want {
                    yes.push(item)
                } else {
                    no.push(item)
                }
                Ok(true)
            })? {
                return Ok(v);
            }
            if name == "partition" {
                Value::Array(vec![Value::Array(yes), Value::Array(no)])
            } else {
                Value::Array(yes)
            }
        }
        "take_while" | "drop_while" => {
            let b = block_or_err(blk, name)?;
            let mut i = 0;
            while i < items.len() && me.call_block(b, vec![items[i].clone()], off)?.truthy() {
                i += 1;
            }
            Value::Array(if name == "take_while" {
                items[..i].to_vec()
            } else {
                items[i..].to_vec()
            })
        }
        "grep" | "grep_v" => {
            let p = a0.cloned().unwrap_or(Value::Nil);
            let mut out = Vec::new();
            for x in items {
                if case_eq(&p, &x)? == (name == "grep") {
                    out.push(x);
                }
            }
            Value::Array(out)
        }
        _ => return Err(Flow::Next(Value::Nil)),
    })
}

fn search<E: Embedding>(
    me: &mut Interp<'_, E>,
    items: Vec<Value>,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    let a0 = args.first();
    Ok(match name {
        "find" | "detect" => {
            let b = block_or_err(blk, name)?;
            let mut found = Value::Nil;
            if let Some(v) = each_value(me, b, items, off, |item, r| {
                if r.truthy() {
                    found = item;
                    Ok(false)
                } else {
                    Ok(true)
                }
            })? {
                return Ok(v);
            }
            found
        }
        "find_index" | "index" if blk.is_some() || a0.is_some() => {
            for (i, item) in items.into_iter().enumerate() {
                let hit = match blk {
                    Some(b) => me.call_block(b, vec![item], off)?.truthy(),
                    None => Some(&item) == a0,
                };
                if hit {
                    return Ok(Value::Int(i as i64));
                }
            }
            Value::Nil
        }
        "any?" | "all?" | "none?" | "one?" => {
            let mut n = 0usize;
            let mut all = true;
            for item in items {
                let t = match (blk, a0) {
                    (Some(b), _) => me.call_block(b, vec![item], off)?.truthy(),
                    (None, Some(p)) => case_eq(p, &item)?,
                    (None, None) => item.truthy(),
                };
                if t {
                    n += 1
                } else {
                    all = false
                }
                if name == "any?" && t {
                    break;
                }
                if name == "all?" && !t {
                    break;
                }
            }
            Value::Bool(match name {
                "any?" => n > 0,
                "all?" => all,
                "none?" => n == 0,
                _ => n == 1,
            })
        }
        "count" => match (blk, a0) {
            (Some(b), _) => {
                let mut n = 0;
                for item in items {
                    if me.call_block(b, vec![item], off)?.truthy() {
                        n += 1;
                    }
                }
                Value::Int(n)
            }
            (None, Some(x)) => Value::Int(items.iter().filter(|i| *i == x).count() as i64),
            (None, None) => Value::Int(items.len() as i64),
        },
        "include?" | "member?" => Value::Bool(a0.is_some_and(|x| items.contains(x))),
        "to_a" | "entries" => Value::Array(items),
        "first" => match a0 {
            Some(Value::Int(n)) => {
                Value::Array(items.into_iter().take((*n).max(0) as usize).collect())
            }
            _ => items.into_iter().next().unwrap_or(Value::Nil),
        },
        _ => return Err(Flow::Next(Value::Nil)),
    })
}

fn aggregate<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    items: Vec<Value>,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> R {
    let a0 = args.first();
    Ok(match name {
        "min" | "max" => {
            let mut best: Option<Value> = None;
            for x in items {
                best = Some(match best {
                    None => x,
                    Some(b) => {
                        let o = compare(&x, &b).ok_or_else(|| cmp_err(&x, &b))?;
                        if (name == "min" && o == Ordering::Less)
                            || (name == "max" && o == Ordering::Greater)
                        {
                            x
                        } else {
                            b
                        }
                    }
                });
            }
            best.unwrap_or(Value::Nil)
        }
        "minmax" => {
            let lo = enumerable(me, recv, items.clone(), "min", &[], None, off);
            let hi = enumerable(me, recv, items, "max", &[], None, off);
            match (lo, hi) {
                (Some(lo), Some(hi)) => Value::Array(vec![lo?, hi?]),
                _ => Value::Nil,
            }
        }
        "min_by" | "max_by" | "sort_by" | "group_by" => {
            let b = block_or_err(blk, name)?;
            let mut keyed = Vec::with_capacity(items.len());
            for x in items {
                let k = me.call_block(b, vec![x.clone()], off)?;
                keyed.push((k, x));
            }
            match name {
                "group_by" => {
                    let mut groups: Vec<(Value, Value)> = Vec::new();
                    for (k, x) in keyed {
                        match groups.iter_mut().find(|(g, _)| *g == k) {
                            Some((_, Value::Array(list))) => list.push(x),
                            _ => groups.push((k, Value::Array(vec![x]))),
                        }
                    }
                    Value::Hash(groups)
                }
                _ => {
                    let mut err = None;
                    keyed.sort_by(|a, b| {
                        compare(&a.0, &b.0).unwrap_or_else(|| {
                            err = Some(cmp_err(&a.0, &b.0));
                            Ordering::Equal
                        })
                    });
                    if let Some(e) = err {
                        return Err(e);
                    }
                    match name {
                        "sort_by" => Value::Array(keyed.into_iter().map(|(_, x)| x).collect()),
                        "min_by" => keyed.into_iter().next().map_or(Value::Nil, |(_, x)| x),
                        _ => keyed.into_iter().next_back().map_or(Value::Nil, |(_, x)| x),
                    }
                }
            }
        }
        "inject" | "reduce" | "sum" => {
            let mut acc: Option<Value> = match (name, a0) {
                ("sum", None) => Some(Value::Int(0)),
                (_, Some(Value::Sym(_))) => None,
                (_, Some(init)) => Some(init.clone()),
                _ => None,
            };
            let op_sym = match (a0, args.get(1)) {
                (_, Some(Value::Sym(s))) | (Some(Value::Sym(s)), None) => Some(s.clone()),
                _ => None,
            };
            for x in items {
                acc = Some(match acc {
                    None => x,
                    Some(a) => match (&op_sym, blk) {
                        (Some(op), _) => me.call_method(a, op, vec![x], None, off)?,
                        (None, Some(b)) if name != "sum" => me.call_block(b, vec![a, x], off)?,
                        (None, Some(b)) => {
                            let y = me.call_block(b, vec![x], off)?;
                            binop(BinOp::Add, a, y)?
                        }
                        (None, None) => binop(BinOp::Add, a, x)?,
                    },
                });
            }
            acc.unwrap_or(Value::Nil)
        }
        "tally" => {
            let mut out: Vec<(Value, Value)> = Vec::new();
            for x in items {
                match out.iter_mut().find(|(k, _)| *k == x) {
                    Some((_, Value::Int(n))) => *n += 1,
                    _ => out.push((x, Value::Int(1))),
                }
            }
            Value::Hash(out)
        }
        "zip" => {
            let others: Vec<Vec<Value>> = args.iter().map(iterate).collect::<R<_>>()?;
            Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let mut row = vec![x];
                        row.extend(
                            others
                                .iter()
                                .map(|o| o.get(i).cloned().unwrap_or(Value::Nil)),
                        );
                        Value::Array(row)
                    })
                    .collect(),
            )
        }
        _ => return Err(Flow::Next(Value::Nil)),
    })
}

/// Array methods, each group a table of names (what static coverage reads, through
/// [`is_array_method`]) and one function implementing them; other names are Enumerable's.
/// Answered from the items.
const ARRAY_READ: &[&str] = &[
    "size",
    "length",
    "empty?",
    "last",
    "join",
    "take",
    "drop",
    "values_at",
    "dig",
    "[]",
    "slice",
];
/// New values (arrays, a Hash) made from the items (`to_set` is the core library's Set's); `uniq` and `sort` with a block
/// are Enumerable's.
const ARRAY_COPY: &[&str] = &[
    "uniq", "sort", "reverse", "compact", "flatten", "to_h", "-", "+", "&", "|", "*",
];
/// Changes of the array itself.
const ARRAY_WRITE: &[&str] = &[
    "[]=",
    "<<",
    "push",
    "append",
    "unshift",
    "prepend",
    "concat",
    "pop",
    "shift",
    "delete",
    "delete_at",
    "slice!",
    "clear",
];
/// In-place forms of copying or block methods: the copy's result written back.
const ARRAY_IN_PLACE: &[&str] = &[
    "uniq!",
    "sort!",
    "compact!",
    "flatten!",
    "reverse!",
    "map!",
    "collect!",
    "select!",
    "reject!",
    "keep_if",
    "delete_if",
];

const ARRAY_METHODS: &[&[&str]] = &[ARRAY_READ, ARRAY_COPY, ARRAY_WRITE, ARRAY_IN_PLACE];

pub fn is_array_method(name: &str) -> bool {
    ARRAY_METHODS.iter().any(|g| g.contains(&name))
}

/// Array#to_h: each item a `[key, value]` pair, a later key's value winning.
fn pairs_to_hash(items: &[Value]) -> R {
    let mut pairs = Vec::new();
    for x in items {
        match x {
            Value::Array(p) if p.len() == 2 => hash_set(&mut pairs, p[0].clone(), p[1].clone()),
            _ => {
                return Err(Flow::raise(
                    "TypeError",
                    "wrong element type (expected array of 2)",
                ))
            }
        }
    }
    Ok(Value::Hash(pairs))
}

pub(super) fn array_method<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &mut Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let snapshot = recv.clone();
    let Value::Array(items) = recv else {
        return None;
    };
    let r = if ARRAY_READ.contains(&name) {
        array_read(items, &snapshot, name, args)
    } else if ARRAY_COPY.contains(&name) {
        array_copy(items, &snapshot, name, args, blk)
    } else if ARRAY_WRITE.contains(&name) {
        array_write(items, name, args)
    } else if ARRAY_IN_PLACE.contains(&name) {
        array_in_place(me, items, &snapshot, name, args, blk, off)
    } else {
        None
    };
    if r.is_some() {
        return r;
    }
    let items = items.clone();
    enumerable(me, &snapshot, items, name, args, blk, off)
}

fn array_read(items: &[Value], snapshot: &Value, name: &str, args: &[Value]) -> Option<R> {
    let a0 = args.first();
    match name {
        "size" | "length" => Some(Ok(Value::Int(items.len() as i64))),
        "empty?" => Some(Ok(Value::Bool(items.is_empty()))),
        "last" => Some(Ok(match a0 {
            Some(Value::Int(n)) => {
                Value::Array(items[items.len().saturating_sub((*n).max(0) as usize)..].to_vec())
            }
            _ => items.last().cloned().unwrap_or(Value::Nil),
        })),
        "join" => Some(Ok(Value::Str(join(
            items,
            &a0.map(to_s).unwrap_or_default(),
        )))),
        "take" => Some(Ok(Value::Array(
            items
                .iter()
                .take(int_arg(args, 0).unwrap_or(0).max(0) as usize)
                .cloned()
                .collect(),
        ))),
        "drop" => Some(Ok(Value::Array(
            items
                .iter()
                .skip(int_arg(args, 0).unwrap_or(0).max(0) as usize)
                .cloned()
                .collect(),
        ))),
        "values_at" => Some(Ok(Value::Array(
            args.iter()
                .map(|i| match i {
                    Value::Int(n) => index_array(items, *n).unwrap_or(Value::Nil),
                    _ => Value::Nil,
                })
                .collect(),
        ))),
        "dig" => Some(Ok(dig(snapshot, args))),
        "[]" | "slice" => Some(Ok(match (a0, args.get(1)) {
            (Some(Value::Int(i)), None) => index_array(items, *i).unwrap_or(Value::Nil),
            (Some(Value::Int(i)), Some(Value::Int(n))) => {
                let start = if *i < 0 { items.len() as i64 + i } else { *i };
                if start < 0 || start as usize > items.len() || *n < 0 {
                    Value::Nil
                } else {
                    Value::Array(
                        items
                            .iter()
                            .skip(start as usize)
                            .take(*n as usize)
                            .cloned()
                            .collect(),
                    )
                }
            }
            (Some(Value::Range { lo, hi, exclusive }), None) => {
                match range_bounds(lo, hi, *exclusive, items.len()) {
                    Some((a, b)) => Value::Array(items[a..b].to_vec()),
                    None => Value::Nil,
                }
            }
            _ => {
                return Some(Err(Flow::raise(
                    "TypeError",
                    "no implicit conversion into Integer",
                )))
            }
        })),
        _ => None,
    }
}

fn array_copy(
    items: &[Value],
    snapshot: &Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
) -> Option<R> {
    let a0 = args.first();
    match name {
        "uniq" if blk.is_none() => {
            let mut out: Vec<Value> = Vec::new();
            for x in items.iter() {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Some(Ok(Value::Array(out)))
        }
        "sort" if blk.is_none() => {
            let mut v = items.to_vec();
            let mut err = None;
            v.sort_by(|a, b| {
                compare(a, b).unwrap_or_else(|| {
                    err = Some(cmp_err(a, b));
                    Ordering::Equal
                })
            });
            Some(match err {
                Some(e) => Err(e),
                None => Ok(Value::Array(v)),
            })
        }
        "reverse" => Some(Ok(Value::Array(items.iter().rev().cloned().collect()))),
        "compact" => Some(Ok(Value::Array(
            items
                .iter()
                .filter(|v| !matches!(v, Value::Nil))
                .cloned()
                .collect(),
        ))),
        "flatten" => {
            // array.c `flatten`: each element converts implicitly (`to_ary`).
            fn flat(v: &[Value], out: &mut Vec<Value>, depth: usize) -> R<()> {
                for x in v {
                    match check_array(x)? {
                        Some(a) if depth < 64 => flat(&a, out, depth + 1)?,
                        _ => out.push(x.clone()),
                    }
                }
                Ok(())
            }
            let mut out = Vec::new();
            Some(flat(items, &mut out, 0).map(|()| Value::Array(out)))
        }
        "to_h" if blk.is_none() => Some(pairs_to_hash(items)),
        "-" | "+" | "&" | "|" | "*" => {
            let op = match name {
                "-" => BinOp::Sub,
                "+" => BinOp::Add,
                "&" => BinOp::BitAnd,
                "|" => BinOp::BitOr,
                _ => BinOp::Mul,
            };
            Some(binop(
                op,
                snapshot.clone(),
                a0.cloned().unwrap_or(Value::Nil),
            ))
        }

        _ => None,
    }
}

fn array_write(items: &mut Vec<Value>, name: &str, args: &[Value]) -> Option<R> {
    let a0 = args.first();
    match name {
        "[]=" => {
            let (Some(Value::Int(i)), Some(v)) = (a0, args.get(1)) else {
                return Some(Err(Flow::raise(
                    "TypeError",
                    "Array#[]= needs an integer index",
                )));
            };
            let idx = if *i < 0 { items.len() as i64 + i } else { *i };
            let Ok(idx) = usize::try_from(idx) else {
                return Some(Err(Flow::raise("IndexError", "index out of array")));
            };
            if idx >= MAX_ITEMS {
                return Some(Err(Flow::raise("RuntimeError", "array too large")));
            }
            if idx >= items.len() {
                items.resize(idx + 1, Value::Nil);
            }
            items[idx] = v.clone();
            Some(Ok(v.clone()))
        }
        "<<" | "push" | "append" => {
            if items.len() + args.len() > MAX_ITEMS {
                return Some(Err(Flow::raise("RuntimeError", "array too large")));
            }
            if let Err(e) = args.iter().try_for_each(check_depth) {
                return Some(Err(e));
            }
            items.extend(args.iter().cloned());
            Some(Ok(Value::Array(items.clone())))
        }
        "unshift" | "prepend" => {
            for (i, a) in args.iter().enumerate() {
                items.insert(i, a.clone());
            }
            Some(Ok(Value::Array(items.clone())))
        }
        "concat" => {
            for a in args {
                if let Value::Array(x) = a {
                    items.extend(x.iter().cloned());
                }
            }
            if items.len() > MAX_ITEMS {
                return Some(Err(Flow::raise("RuntimeError", "array too large")));
            }
            Some(Ok(Value::Array(items.clone())))
        }
        "pop" => Some(Ok(items.pop().unwrap_or(Value::Nil))),
        "shift" => Some(Ok(if items.is_empty() {
            Value::Nil
        } else {
            items.remove(0)
        })),
        "delete" => {
            let Some(x) = a0 else {
                return Some(Err(Flow::raise(
                    "ArgumentError",
                    "delete needs an argument",
                )));
            };
            let had = items.contains(x);
            items.retain(|v| v != x);
            Some(Ok(if had { x.clone() } else { Value::Nil }))
        }
        "clear" => {
            items.clear();
            Some(Ok(Value::Array(items.clone())))
        }
        // The element at an index (negative from the end), removed; nil past the end.
        "delete_at" => {
            let len = items.len() as i64;
            let i = match a0 {
                Some(Value::Int(i)) if *i < 0 => len + i,
                Some(Value::Int(i)) => *i,
                _ => {
                    return Some(Err(Flow::raise(
                        "TypeError",
                        "no implicit conversion into Integer",
                    )))
                }
            };
            Some(Ok(if (0..len).contains(&i) {
                items.remove(i as usize)
            } else {
                Value::Nil
            }))
        }
        // What `slice` returns, removed from the array.
        "slice!" => {
            let len = items.len();
            let from = |i: i64| {
                let i = if i < 0 { len as i64 + i } else { i };
                usize::try_from(i).ok().filter(|i| *i <= len)
            };
            Some(Ok(match (a0, args.get(1)) {
                (Some(Value::Int(i)), None) => match from(*i).filter(|i| *i < len) {
                    Some(i) => items.remove(i),
                    None => Value::Nil,
                },
                (Some(Value::Int(i)), Some(Value::Int(n))) if *n >= 0 => match from(*i) {
                    Some(i) => {
                        let end = i.saturating_add(*n as usize).min(len);
                        Value::Array(items.drain(i..end).collect())
                    }
                    None => Value::Nil,
                },
                (Some(Value::Range { lo, hi, exclusive }), None) => {
                    match range_bounds(lo, hi, *exclusive, len) {
                        Some((a, b)) => Value::Array(items.drain(a..b).collect()),
                        None => Value::Nil,
                    }
                }
                (Some(Value::Int(_)), Some(Value::Int(_))) => Value::Nil,
                _ => {
                    return Some(Err(Flow::raise(
                        "TypeError",
                        "no implicit conversion into Integer",
                    )))
                }
            }))
        }
        _ => None,
    }
}

fn array_in_place<E: Embedding>(
    me: &mut Interp<'_, E>,
    items: &mut Vec<Value>,
    snapshot: &Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let base = match name {
        "keep_if" => "select",
        "delete_if" => "reject",
        n => n.trim_end_matches('!'),
    };
    let mut copy = snapshot.clone();
    let r = array_method(me, &mut copy, base, args, blk, off).or_else(|| {
        enumerable(
            me,
            snapshot,
            iterate(snapshot).unwrap_or_default(),
            base,
            args,
            blk,
            off,
        )
    });
    match r {
        Some(Ok(Value::Array(new))) => {
            *items = new.clone();
            Some(Ok(Value::Array(new)))
        }
        other => other,
    }
}

/// Hash methods, grouped as the array's (static coverage reads the tables through
/// [`is_hash_method`]); other names are Enumerable's over the pairs. Answered from the pairs
/// (`count` with an argument or block, `to_h` with a block are Enumerable's).
const HASH_READ: &[&str] = &[
    "keys",
    "values",
    "size",
    "length",
    "count",
    "empty?",
    "key?",
    "has_key?",
    "include?",
    "member?",
    "value?",
    "has_value?",
    "key",
    "[]",
    "dig",
    "values_at",
    "to_h",
    "to_a",
    "invert",
    "sort",
];
/// Changes of the hash itself (`merge` makes a new one).
const HASH_WRITE: &[&str] = &["[]=", "store", "delete", "merge", "merge!", "update"];
/// Methods that call a block.
const HASH_BLOCK: &[&str] = &[
    "fetch",
    "each_key",
    "each_value",
    "each_pair",
    "select",
    "filter",
    "reject",
    "transform_values",
    "transform_keys",
];

/// In-place forms of block methods: the new hash written back.
const HASH_IN_PLACE: &[&str] = &[
    "transform_values!",
    "transform_keys!",
    "select!",
    "filter!",
    "reject!",
    "keep_if",
    "delete_if",
];

const HASH_METHODS: &[&[&str]] = &[HASH_READ, HASH_WRITE, HASH_BLOCK, HASH_IN_PLACE];

pub fn is_hash_method(name: &str) -> bool {
    HASH_METHODS.iter().any(|g| g.contains(&name))
}

pub(super) fn hash_method<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &mut Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let Value::Hash(pairs) = recv else {
        return None;
    };
    if HASH_WRITE.contains(&name) {
        return hash_write(pairs, name, args);
    }
    if HASH_BLOCK.contains(&name) {
        return hash_block(me, recv, name, args, blk, off);
    }
    if HASH_IN_PLACE.contains(&name) {
        let copying = match name {
            "keep_if" => "select",
            "delete_if" => "reject",
            other => other.trim_end_matches('!'),
        };
        let new = match hash_block(me, recv, copying, args, blk, off)? {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        // `select!`/`reject!` answer nil when nothing changed; the others the receiver.
        let unchanged = new == *recv;
        *recv = new;
        return Some(Ok(
            if unchanged && matches!(name, "select!" | "filter!" | "reject!") {
                Value::Nil
            } else {
                recv.clone()
            },
        ));
    }
    if HASH_READ.contains(&name) {
        if let Some(r) = hash_read(recv, name, args, blk) {
            return Some(r);
        }
    }
    let items = iterate(recv).unwrap_or_default();
    let orig = recv.clone();
    enumerable(me, &orig, items, name, args, blk, off)
}

/// None: `count` or `to_h` in their Enumerable forms.
fn hash_read(recv: &Value, name: &str, args: &[Value], blk: Option<Blk<'_>>) -> Option<R> {
    let Value::Hash(pairs) = recv else {
        return None;
    };
    let a0 = args.first();
    Some(match name {
        "keys" => Ok(Value::Array(pairs.iter().map(|(k, _)| k.clone()).collect())),
        "values" => Ok(Value::Array(pairs.iter().map(|(_, v)| v.clone()).collect())),
        "size" | "length" => Ok(Value::Int(pairs.len() as i64)),
        "count" if blk.is_none() && a0.is_none() => Ok(Value::Int(pairs.len() as i64)),
        "empty?" => Ok(Value::Bool(pairs.is_empty())),
        "key?" | "has_key?" | "include?" | "member?" => Ok(Value::Bool(
            a0.is_some_and(|k| pairs.iter().any(|(x, _)| x == k)),
        )),
        "value?" | "has_value?" => Ok(Value::Bool(
            a0.is_some_and(|v| pairs.iter().any(|(_, x)| x == v)),
        )),
        "key" => Ok(pairs
            .iter()
            .find(|(_, v)| Some(v) == a0)
            .map_or(Value::Nil, |(k, _)| k.clone())),
        "[]" => Ok(a0
            .and_then(|k| recv.hash_get(k))
            .cloned()
            .unwrap_or(Value::Nil)),
        "dig" => Ok(dig(recv, args)),
        "values_at" => Ok(Value::Array(
            args.iter()
                .map(|k| recv.hash_get(k).cloned().unwrap_or(Value::Nil))
                .collect(),
        )),
        "to_h" if blk.is_none() => Ok(recv.clone()),
        "to_a" => Ok(Value::Array(iterate(recv).unwrap_or_default())),
        "invert" => Ok(Value::Hash(
            pairs.iter().map(|(k, v)| (v.clone(), k.clone())).collect(),
        )),
        "sort" => {
            let mut v = iterate(recv).unwrap_or_default();
            v.sort_by(|a, b| compare(a, b).unwrap_or(Ordering::Equal));
            Ok(Value::Array(v))
        }

        _ => return None,
    })
}

fn hash_write(pairs: &mut Vec<(Value, Value)>, name: &str, args: &[Value]) -> Option<R> {
    let a0 = args.first();
    Some(match name {
        "[]=" | "store" => {
            let (Some(k), Some(v)) = (a0, args.get(1)) else {
                return Some(Err(Flow::raise(
                    "ArgumentError",
                    "[]= needs a key and a value",
                )));
            };
            if pairs.len() >= MAX_ITEMS {
                return Some(Err(Flow::raise("RuntimeError", "hash too large")));
            }
            hash_set(pairs, k.clone(), v.clone());
            Ok(v.clone())
        }
        "delete" => {
            let Some(k) = a0 else {
                return Some(Ok(Value::Nil));
            };
            let pos = pairs.iter().position(|(x, _)| x == k);
            Ok(pos.map_or(Value::Nil, |i| pairs.remove(i).1))
        }
        "merge" | "merge!" | "update" => {
            let mut out = pairs.clone();
            for a in args {
                if let Value::Hash(h) = a {
                    for (k, v) in h {
                        hash_set(&mut out, k.clone(), v.clone());
                    }
                }
            }
            if name != "merge" {
                *pairs = out.clone();
            }
            Ok(Value::Hash(out))
        }
        _ => return None,
    })
}

fn hash_block<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let Value::Hash(pairs) = recv else {
        return None;
    };
    let a0 = args.first();
    Some(match name {
        "fetch" => match a0.and_then(|k| recv.hash_get(k)) {
            Some(v) => Ok(v.clone()),
            None => match (args.get(1), blk) {
                (Some(d), _) => Ok(d.clone()),
                (None, Some(b)) => me.call_block(b, vec![a0.cloned().unwrap_or(Value::Nil)], off),
                (None, None) => Err(Flow::raise(
                    "KeyError",
                    format!("key not found: {:?}", a0.unwrap_or(&Value::Nil)),
                )),
            },
        },
        "each_key" | "each_value" => {
            let items: Vec<Value> = pairs
                .iter()
                .map(|(k, v)| {
                    if name == "each_key" {
                        k.clone()
                    } else {
                        v.clone()
                    }
                })
                .collect();
            let Some(b) = blk else {
                return enumerator::make(items, name, args);
            };
            let orig = recv.clone();
            match each_value(me, b, items, off, |_, _| Ok(true)) {
                Ok(Some(v)) => Ok(v),
                Ok(None) => Ok(orig),
                Err(e) => Err(e),
            }
        }
        "each_pair" => {
            let items = iterate(recv).unwrap_or_default();
            let orig = recv.clone();
            return enumerable(me, &orig, items, "each", args, blk, off);
        }
        "select" | "filter" | "reject" => {
            let Some(b) = blk else {
                return enumerator::make(iterate(recv).unwrap_or_default(), name, args);
            };
            let want = name != "reject";
            let mut out = Vec::new();
            for (k, v) in pairs.clone() {
                match me.call_block(b, vec![k.clone(), v.clone()], off) {
                    Ok(r) => {
                        if r.truthy() == want {
                            out.push((k, v));
                        }
                    }
                    Err(e) => return Some(Err(e)),
                }
            }
            Ok(Value::Hash(out))
        }
        "transform_values" | "transform_keys" => {
            let Some(b) = blk else {
                return Some(Err(without_block(name)));
            };
            let mut out = Vec::new();
            for (k, v) in pairs.clone() {
                let r = if name == "transform_values" {
                    me.call_block(b, vec![v], off).map(|nv| (k, nv))
                } else {
                    me.call_block(b, vec![k], off).map(|nk| (nk, v))
                };
                match r {
                    Ok((k, v)) => hash_set(&mut out, k, v),
                    Err(e) => return Some(Err(e)),
                }
            }
            Ok(Value::Hash(out))
        }
        _ => return None,
    })
}

pub(super) fn range_method<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &mut Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    let Value::Range { lo, hi, exclusive } = recv else {
        return None;
    };
    let a0 = args.first();
    match name {
        "include?" | "member?" | "cover?" | "===" => {
            return Some(Ok(Value::Bool(
                a0.is_some_and(|v| in_range(lo, hi, *exclusive, v)),
            )))
        }
        "first" | "begin" if a0.is_none() => return Some(Ok((**lo).clone())),
        "last" | "end" if a0.is_none() => return Some(Ok((**hi).clone())),
        "exclude_end?" => return Some(Ok(Value::Bool(*exclusive))),
        _ => {}
    }
    let items = match iterate(recv) {
        Ok(i) => i,
        Err(e) => return Some(Err(e)),
    };
    if name == "size" {
        return Some(Ok(Value::Int(items.len() as i64)));
    }
    let orig = recv.clone();
    enumerable(me, &orig, items, name, args, blk, off)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name in the tables static coverage reads has its arm in the function the table
    /// sends it to (a name without one would be "supported" and then answered by nothing).
    #[test]
    fn every_tabled_name_is_answered_by_its_function() {
        let empty = Value::Array(Vec::new());
        for name in ARRAY_READ {
            assert!(array_read(&[], &empty, name, &[]).is_some(), "Array#{name}");
        }
        for name in ARRAY_COPY {
            assert!(
                array_copy(&[], &empty, name, &[], None).is_some(),
                "Array#{name}"
            );
        }
        for name in ARRAY_WRITE {
            assert!(
                array_write(&mut Vec::new(), name, &[]).is_some(),
                "Array#{name}"
            );
        }
        let hash = Value::Hash(Vec::new());
        for name in HASH_READ {
            assert!(hash_read(&hash, name, &[], None).is_some(), "Hash#{name}");
        }
        for name in HASH_WRITE {
            assert!(
                hash_write(&mut Vec::new(), name, &[]).is_some(),
                "Hash#{name}"
            );
        }
        assert!(array_read(&[], &empty, "no_such_method", &[]).is_none());
    }
}
