//! A row of a FilterTable ([`Table`]) as a Ruby object: its fields are its methods. What a
//! table itself answers (`where`, `entries`, ...) is InSpec's, in `crate::native::inspec::table`.

use std::sync::Arc;

use crate::native::ruby::methods::to_s;
use crate::native::ruby::value::{NativeObject, Table, Value};

/// One row of a table: its fields are callable by name (`entry.mount_point`, `row[:uid]`).
pub struct Row {
    pub table: Arc<Table>,
    pub index: usize,
}

impl NativeObject for Row {
    /// InSpec's FilterTable row: its criteria (`... with uid == 0 one entry`).
    fn to_s(&self) -> Option<String> {
        Some(format!("{} one entry", self.table.name))
    }
}

impl Row {
    pub fn new(table: Arc<Table>, index: usize) -> Self {
        Row { table, index }
    }

    pub fn get(&self, field: &str) -> Option<Value> {
        let i = self.table.field(field)?;
        Some(
            self.table
                .rows
                .get(self.index)
                .and_then(|r| r.get(i))
                .cloned()
                .unwrap_or(Value::Nil),
        )
    }

    pub fn call(&self, name: &str, args: &[Value]) -> Option<Value> {
        match (name, args.first()) {
            ("[]", Some(k)) => self.get(&to_s(k)),
            ("to_h", None) => Some(self.to_hash()),
            (n, None) => self.get(n),
            _ => None,
        }
    }

    pub fn to_hash(&self) -> Value {
        Value::Hash(
            self.table
                .fields
                .iter()
                .map(|f| (Value::Sym(f.clone()), self.get(f).unwrap_or(Value::Nil)))
                .collect(),
        )
    }
}
