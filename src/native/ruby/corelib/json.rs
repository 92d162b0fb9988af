//! Ruby's `JSON` (`JSON.parse`, `JSON.generate`; a value's `to_json` is a builtin method)
//! for profiles that read the JSON output of a command.

use crate::native::ruby::methods::{to_json, to_s};
use crate::native::ruby::value::Value;
use crate::native::ruby::{Flow, R};

pub const CLASS_METHODS: &[&str] = &["parse", "generate", "pretty_generate", "dump"];

/// `JSON.parse(text)` (`symbolize_names: true` gives symbol keys): objects become hashes
/// in the document's key order, as Ruby's hashes keep insertion order (a repeated key keeps
/// its first place and takes the last value); bad JSON raises `JSON::ParserError`.
pub fn parse(text: &str, opts: Option<&Value>) -> R {
    let symbolize = opts
        .and_then(|o| o.hash_get(&Value::Sym("symbolize_names".into())))
        .is_some_and(Value::truthy);
    let mut de = serde_json::Deserializer::from_str(text);
    let v = serde::de::DeserializeSeed::deserialize(Ordered { symbolize }, &mut de)
        .and_then(|v| de.end().map(|_| v))
        .map_err(|e| Flow::raise("JSON::ParserError", e.to_string()))?;
    crate::native::ruby::methods::check_depth(&v)?;
    Ok(v)
}

/// Builds a [`Value`] straight from the parser, so object keys keep their order
/// (`serde_json::Map` sorts them).
#[derive(Clone, Copy)]
struct Ordered {
    symbolize: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Ordered {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Ordered {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(i64::try_from(u).map_or(Value::Float(u as f64), Value::Int))
    }
    fn visit_f64<E>(self, x: f64) -> Result<Value, E> {
        Ok(Value::Float(x))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::str(s))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut pairs: Vec<(Value, Value)> = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            let k = if self.symbolize {
                Value::Sym(k)
            } else {
                Value::Str(k)
            };
            let v = map.next_value_seed(self)?;
            match pairs.iter_mut().find(|(old, _)| *old == k) {
                Some(slot) => slot.1 = v,
                None => pairs.push((k, v)),
            }
        }
        Ok(Value::Hash(pairs))
    }
}

pub fn call_class(name: &str, args: &[Value]) -> Option<R> {
    let a0 = args.first().unwrap_or(&Value::Nil);
    Some(match name {
        "parse" => parse(&to_s(a0), args.get(1)),
        "generate" | "dump" => Ok(Value::Str(to_json(a0).to_string())),
        "pretty_generate" => Ok(Value::Str(
            serde_json::to_string_pretty(&to_json(a0)).unwrap_or_default(),
        )),
        _ => return None,
    })
}
