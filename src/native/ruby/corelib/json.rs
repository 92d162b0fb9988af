//! Ruby's `JSON` (`JSON.parse`, `JSON.generate`; a value's `to_json` is a builtin method)
//! for profiles that read the JSON output of a command.

use crate::native::ruby::methods::{to_json, to_s};
use crate::native::ruby::value::Value;
use crate::native::ruby::{Flow, R};

pub const CLASS_METHODS: &[&str] = &["parse", "generate", "pretty_generate", "dump"];

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
