//! FilterTable generics over a resource's rows ([`Table`]): `where(field: v)`,
//! `where { field == v }`, `entries`, `count`, `exist?`, `raw_data`, plural accessors.

use std::sync::Arc;

use crate::native::inspec::self_returning::SelfReturning;
use crate::native::inspec::trace::describe_block;
use crate::native::inspec::Interp;
use crate::native::ruby::methods::row::Row;
use crate::native::ruby::methods::{case_eq, to_s};
use crate::native::ruby::objects::{
    native, next_object_address, object_to_s, RESOURCE_FAILED, RESOURCE_SKIPPED,
};
use crate::native::ruby::value::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::native::ruby::Blk;
use crate::native::ruby::{Flow, R};

/// Methods every FilterTable answers (besides its plural accessors and field names).
pub const TABLE_METHODS: &[&str] = &[
    "where", "entries", "count", "exist?", "exists?", "raw_data", "size", "length", "empty?",
    "to_a", "each", "map", "select", "any?", "first",
];

/// The table of the remaining rows, named as filter.rb names it: `to_s + " with" + criteria`,
/// where a table already filtered only gains the new criteria (`Auditd Rules with syscall ==
/// "open" arch == "b64"`). The " with" that filtering puts in a name tells the two apart.
fn filtered(t: &Table, rows: Vec<Vec<Value>>, criteria: &str) -> Value {
    let already = t.name.ends_with(" with") || t.name.contains(" with ");
    let with = if already { "" } else { " with" };
    let name = match &t.view {
        Some(class) => object_to_s(class, next_object_address()),
        None => format!("{}{with}{criteria}", t.name),
    };
    Value::Table(Arc::new(Table {
        name,
        fields: t.fields.clone(),
        accessors: t.accessors.clone(),
        rows,
        flattened: t.flattened.clone(),
        predicates: t.predicates.clone(),
        view: t.view.clone(),
        unloaded: t.unloaded.clone(),
    }))
}

/// Whether `name` is answered by the table itself.
pub fn is_table_method(t: &Table, name: &str) -> bool {
    TABLE_METHODS.contains(&name) || t.column(name).is_some() || t.predicate(name).is_some()
}

impl Interp<'_> {
    /// A FilterTable method on a resource that has rows. None: not a table method.
    pub fn table_of_resource(
        &mut self,
        res: &Arc<dyn Resource>,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> Option<R> {
        let at = self.at(off);
        let table = match res.table() {
            Ok(Some(t)) => t,
            Ok(None) => return None,
            // filter.rb over a resource that skipped or failed while loading its rows: a
            // table with none, named by the resource and carrying its state (`where`,
            // `exist?`, columns answer as on no rows; a describe of it is that state).
            Err(e @ (ResourceError::Skip(_) | ResourceError::Failed(_))) => {
                let empty = res.empty_table();
                if let (Some(class), Some(t)) = (res.lazy_rows_class(), &empty) {
                    if is_table_method(t, name) || res.custom_properties().contains(&name) {
                        return Some(Ok(SelfReturning::caught(class, e)));
                    }
                    // Read outside `initialize` (shadow.rb's `shadow_content`): `to_s`
                    // reads nothing, and another method meets the read's exception as any
                    // Ruby exception (no skip of the describe).
                    if res.load_skip().is_none() {
                        return Some(match name {
                            "to_s" => Ok(Value::Str(res.to_s())),
                            _ => res.skipped_answer(name, args).ok_or_else(|| {
                                let class = match &e {
                                    ResourceError::Failed(_) => RESOURCE_FAILED,
                                    _ => RESOURCE_SKIPPED,
                                };
                                Flow::raise(class, e.to_string())
                            }),
                        });
                    }
                }
                match empty {
                    Some(t) if is_table_method(&t, name) => Arc::new(Table {
                        name: res.to_s(),
                        unloaded: Some(e),
                        ..(*t).clone()
                    }),
                    // Its other methods answer from the state `initialize` left.
                    _ => {
                        return Some(
                            res.skipped_answer(name, args)
                                .ok_or_else(|| crate::native::ruby::resource_error(e, at)),
                        )
                    }
                }
            }
            Err(e) => return Some(Err(crate::native::ruby::resource_error(e, at))),
        };
        if !is_table_method(&table, name) {
            return None;
        }
        Some(self.table_call(&table, name, args, blk, off))
    }

    pub fn table_call(
        &mut self,
        t: &Arc<Table>,
        name: &str,
        args: &[Value],
        blk: Option<Blk<'_>>,
        off: u32,
    ) -> R {
        match name {
            "where" => self.table_where(t, args, blk, off),
            "entries" | "to_a" => Ok(Value::Array(
                (0..t.rows.len())
                    .map(|i| native(Row::new(t.clone(), i)))
                    .collect(),
            )),
            "count" | "size" | "length" => Ok(Value::Int(t.rows.len() as i64)),
            "exist?" | "exists?" => Ok(Value::Bool(!t.rows.is_empty())),
            "empty?" => Ok(Value::Bool(t.rows.is_empty())),
            // FilterTable's `params` is its raw data (filter.rb).
            "raw_data" | "params" => Ok(Value::Array(
                (0..t.rows.len())
                    .map(|i| Row::new(t.clone(), i).to_hash())
                    .collect(),
            )),
            "to_s" | "inspect" => Ok(Value::Str(t.name.clone())),
            "nil?" => Ok(Value::Bool(false)),
            _ if t.predicate(name).is_some() => Ok(Value::Bool(t.predicate(name) == Some(true))),
            "each" | "map" | "select" | "any?" | "first" => {
                let items = (0..t.rows.len())
                    .map(|i| native(Row::new(t.clone(), i)))
                    .collect();
                let recv = Value::Table(t.clone());
                match crate::native::ruby::methods::enumerable(
                    self, &recv, items, name, args, blk, off,
                ) {
                    Some(r) => r,
                    None => Err(self.unsupported(format!("FilterTable `{name}`"), off)),
                }
            }
            _ => match t.column(name) {
                // `uids(0)` filters like `where(uid: 0)` (InSpec's registered columns).
                Some(col) => match args.first() {
                    Some(v) => {
                        let field = t
                            .accessors
                            .iter()
                            .find(|(a, _)| a == name)
                            .and_then(|(_, i)| t.fields.get(*i).cloned())
                            .unwrap_or_else(|| name.to_string());
                        let crit = Value::Hash(vec![(Value::Sym(field), v.clone())]);
                        self.table_where(t, &[crit], None, off)
                    }
                    None => Ok(Value::Array(col)),
                },
                None => {
                    Err(self.unsupported(format!("FilterTable `{}` has no `{name}`", t.name), off))
                }
            },
        }
    }

    fn table_where(&mut self, t: &Arc<Table>, args: &[Value], blk: Option<Blk<'_>>, off: u32) -> R {
        let mut keep: Vec<usize> = (0..t.rows.len()).collect();
        // filter.rb appends ` field == value` per condition, then the block's trace.
        let mut criteria = String::new();
        if let Some(Value::Hash(pairs)) = args.first() {
            for (k, want) in pairs {
                let field = to_s(k);
                let Some(i) = t.field(&field) else {
                    return Err(Flow::raise(
                        "ArgumentError",
                        format!("`{field}` is not a field of {}", t.name),
                    ));
                };
                criteria.push_str(&format!(" {field} == {want:?}"));
                let mut next = Vec::new();
                for r in keep {
                    let v = t
                        .rows
                        .get(r)
                        .and_then(|row| row.get(i))
                        .cloned()
                        .unwrap_or(Value::Nil);
                    let hit = match want {
                        Value::Regex { .. } => case_eq(want, &Value::Str(to_s(&v)))?,
                        Value::Str(s) if !matches!(v, Value::Str(_)) => to_s(&v) == *s,
                        Value::Int(_) if matches!(v, Value::Str(_)) => to_s(&v) == to_s(want),
                        _ => case_eq(want, &v)?,
                    };
                    if hit {
                        next.push(r);
                    }
                }
                keep = next;
            }
        } else if !args.is_empty() {
            // filter.rb: `return self unless conditions.is_a?(Hash)` (the block is ignored).
            return Ok(Value::Table(t.clone()));
        }
        if let Some(b) = blk {
            if let Blk::Ast(block) = b {
                criteria.push_str(&describe_block(self, block));
            }
            let mut next = Vec::new();
            for r in keep {
                self.ext.rows.push(Row::new(t.clone(), r));
                // instance_eval passes the row's context as the block argument too.
                let row = native(Row::new(t.clone(), r));
                let hit = self.call_block(b, vec![row], off);
                self.ext.rows.pop();
                if hit?.truthy() {
                    next.push(r);
                }
            }
            keep = next;
        }
        let rows = keep
            .into_iter()
            .filter_map(|i| t.rows.get(i).cloned())
            .collect();
        Ok(filtered(t, rows, &criteria))
    }
}
