//! Ruby core and standard-library classes profiles call: `File`, `Dir`, `Pathname`
//! ([`file`]), `Set` ([`set`]), `Date`, `Time`, `DateTime` ([`time`]), `CSV` ([`csv`]),
//! `Proc.new`, `IPAddr` ([`ipaddr`]), `REXML` ([`rexml`]). The name tables here are what both evaluation and static coverage read.

pub mod csv;
pub mod file;
pub mod ipaddr;
pub mod json;
pub mod rexml;
pub mod set;
pub mod time;

use crate::native::ruby::methods::enumerator::{self, Enumerator};
use crate::native::ruby::objects::as_native;
use crate::native::ruby::value::Value;
use crate::native::ruby::Blk;
use crate::native::ruby::{Embedding, Interp, R};

const LOG_METHODS: &[&str] = &["debug", "info", "warn", "error", "fatal"];

/// The classes, each with its class methods.
pub fn class_methods(class: &str) -> Option<Vec<&'static str>> {
    Some(match class {
        "File" => file::FILE_PURE
            .iter()
            .copied()
            .chain(file::FILE_ON_TARGET.iter().map(|(n, _)| *n))
            .chain(file::FILE_ACCESS.iter().map(|(n, _)| *n))
            .collect(),
        "Dir" => file::DIR_METHODS.to_vec(),
        "Pathname" => file::PATHNAME_CLASS_METHODS.to_vec(),
        "Set" => set::CLASS_METHODS.to_vec(),
        "IPAddr" => ipaddr::CLASS_METHODS.to_vec(),
        "JSON" => json::CLASS_METHODS.to_vec(),
        "CSV" => csv::CLASS_METHODS.to_vec(),
        "Proc" | "String" => vec!["new"],
        "Inspec::Log" => LOG_METHODS.to_vec(),
        "REXML::Document" => rexml::DOCUMENT_CLASS_METHODS.to_vec(),
        "REXML::XPath" => rexml::XPATH_CLASS_METHODS.to_vec(),
        "Date" => time::DATE_CLASS_METHODS.to_vec(),
        "Time" => time::TIME_CLASS_METHODS.to_vec(),
        "DateTime" => time::DATETIME_CLASS_METHODS.to_vec(),
        _ => return None,
    })
}

/// Methods of the values these classes make.
pub fn object_method(name: &str) -> bool {
    set::METHODS.contains(&name)
        || time::METHODS.contains(&name)
        || file::PATHNAME_METHODS.contains(&name)
        || enumerator::METHODS.contains(&name)
        || csv::ROW_METHODS.contains(&name)
        || rexml::METHODS.contains(&name)
        || ipaddr::METHODS.contains(&name)
}

/// Methods these classes add to plain values (set.rb's `Enumerable#to_set`, for arrays).
/// None: not one of them.
pub fn plain_value_method(recv: &Value, name: &str) -> Option<R> {
    match (recv, name) {
        (Value::Array(items), "to_set") => Some(set::new_set(items.clone())),
        _ => None,
    }
}

/// `Class.name(args)`. None: not one of these classes or methods.
pub fn call_class<E: Embedding>(
    me: &mut Interp<'_, E>,
    class: &str,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    match class {
        "File" => file::call_file(me, name, args, blk, off),
        "Dir" => file::call_dir(me, name, args, off),
        "Pathname" if name == "new" => Some(
            args.first()
                .map(crate::native::ruby::methods::to_s)
                .map(|p| crate::native::ruby::objects::native(file::Pathname(p)))
                .ok_or_else(|| {
                    crate::native::ruby::Flow::raise("ArgumentError", "wrong number of arguments")
                }),
        ),
        "Set" => set::call_class(name, args),
        "IPAddr" => ipaddr::call_class(name, args),
        // `String.new(s = '')`: a new, unfrozen copy.
        "String" if name == "new" => Some(Ok(Value::Str(
            args.first()
                .map(crate::native::ruby::methods::to_s)
                .unwrap_or_default(),
        ))),
        "JSON" => json::call_class(name, args),
        "CSV" if name == "parse" => Some(csv::parse(me, args)),
        // `Proc.new { }`: a proc of the block (not a lambda).
        "Proc" if name == "new" => Some(match blk {
            Some(Blk::Ast(b)) => Ok(me.make_closure(b, false)),
            Some(Blk::Proc(i)) => Ok(me.passed_procs.get(i).cloned().unwrap_or(Value::Nil)),
            _ => Err(crate::native::ruby::Flow::raise(
                "ArgumentError",
                "tried to create Proc object without a block",
            )),
        }),
        // InSpec's logger: messages for the operator, not results.
        "Inspec::Log" if LOG_METHODS.contains(&name) => Some(Ok(Value::Nil)),
        "Date" | "Time" | "DateTime" => time::call_class(class, name, args),
        "REXML::Document" if name == "new" => Some(rexml::new_document(args)),
        "REXML::XPath" => rexml::call_xpath(me, name, args, blk, off),
        _ => None,
    }
}

/// A method of one of these values. None: not one of them (or no such method).
pub fn call_object<E: Embedding>(
    me: &mut Interp<'_, E>,
    recv: &Value,
    name: &str,
    args: &[Value],
    blk: Option<Blk<'_>>,
    off: u32,
) -> Option<R> {
    if let Some(m) = as_native::<time::Moment>(recv) {
        return time::call(m, name, args);
    }
    if let Some(e) = as_native::<Enumerator>(recv) {
        return enumerator::call(me, e, name, args, blk, off);
    }
    if let Some(r) = as_native::<csv::Row>(recv) {
        return csv::call_row(r, name, args);
    }
    if as_native::<file::Pathname>(recv).is_some() {
        return file::call_pathname(me, recv, name, args, off);
    }
    if as_native::<ipaddr::IpAddr>(recv).is_some() {
        return ipaddr::call(recv, name, args);
    }
    if let Some(r) = rexml::call(me, recv, name, args, blk, off) {
        return Some(r);
    }
    set::call(me, recv, name, args, blk, off)
}

#[cfg(test)]
mod tests;
