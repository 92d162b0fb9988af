//! A Hashie::Mash, the hash InSpec hands out where a profile reads keys as methods
//! (SimpleConfig's `[sections]`, `x509_certificate`'s `subject` and `extensions`):
//! `section.datadir`, `subject.CN`, `section['log-error']`; a missing key is nil.

use std::sync::Arc;

use crate::native::resources::support::dig;
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::Value;

pub struct Mash {
    resource: &'static str,
    label: String,
    hash: Value,
}

impl Mash {
    /// A Hash as a Mash (nested hashes too, when read); anything else as it is.
    pub fn wrap(v: &Value, resource: &'static str, label: &str) -> Value {
        match v {
            Value::Hash(_) => Value::Resource(Arc::new(Mash {
                resource,
                label: label.to_string(),
                hash: v.clone(),
            })),
            v => v.clone(),
        }
    }

    fn get(&self, key: &str) -> Value {
        let label = format!("{} {key}", self.label);
        Mash::wrap(&dig(&self.hash, &[Value::str(key)]), self.resource, &label)
    }
}

impl Resource for Mash {
    fn name(&self) -> &str {
        self.resource
    }
    fn to_s(&self) -> String {
        self.label.clone()
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        let keys = || match &self.hash {
            Value::Hash(pairs) => pairs.iter().map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        };
        Ok(match method {
            "to_h" | "to_hash" | "params" => self.hash.clone(),
            "keys" => Value::Array(keys()),
            "key?" | "has_key?" | "include?" => {
                Value::Bool(args.first().is_some_and(|k| keys().contains(k)))
            }
            "empty?" => Value::Bool(keys().is_empty()),
            "[]" => match args.first() {
                Some(Value::Str(k) | Value::Sym(k)) => self.get(k),
                _ => Value::Nil,
            },
            _ => self.get(method),
        })
    }
}
