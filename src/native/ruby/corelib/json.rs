//! Ruby's `JSON` (`JSON.parse`, `JSON.generate`, `to_json`) for profiles that read the JSON
//! output of a command.

use crate::native::ruby::methods::to_s;
use crate::native::ruby::value::Value;
use crate::native::ruby::{Flow, R};

pub const CLASS_METHODS: &[&str] = &["parse", "generate", "pretty_generate", "dump"];

/// A plain value as JSON (hash keys as strings, other objects as their `to_s`).
pub fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Nil => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) | Value::Sym(s) => J::String(s.clone()),
        Value::Array(a) => J::Array(a.iter().map(to_json).collect()),
        Value::Hash(pairs) => J::Object(pairs.iter().map(|(k, v)| (to_s(k), to_json(v))).collect()),
        other => J::String(to_s(other)),
    }
}

fn symbolize(v: Value) -> Value {
    match v {
        Value::Hash(pairs) => Value::Hash(
            pairs
                .into_iter()
                .map(|(k, v)| (Value::Sym(to_s(&k)), symbolize(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(symbolize).collect()),
        other => other,
    }
}

pub fn call_class(name: &str, args: &[Value]) -> Option<R> {
    let a0 = args.first().unwrap_or(&Value::Nil);
    Some(match name {
        "parse" => {
            let text = to_s(a0);
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(j) => {
                    let v = Value::from_json(&j);
                    let sym = args
                        .get(1)
                        .and_then(|o| o.hash_get(&Value::Sym("symbolize_names".into())))
                        .is_some_and(Value::truthy);
                    crate::native::ruby::methods::check_depth(&v).map(|_| {
                        if sym {
                            symbolize(v)
                        } else {
                            v
                        }
                    })
                }
                Err(e) => Err(Flow::raise("JSON::ParserError", e.to_string())),
            }
        }
        "generate" | "dump" => Ok(Value::Str(to_json(a0).to_string())),
        "pretty_generate" => Ok(Value::Str(
            serde_json::to_string_pretty(&to_json(a0)).unwrap_or_default(),
        )),
        _ => return None,
    })
}
