//! Ruby's `CSV.parse` for profiles that read the tabular output of a command (`mysql -e`
//! prints tab-separated rows): options `col_sep:`, `quote_char:`, `headers: true` (rows by
//! header, as `CSV::Row`s) and `header_converters:` (a proc, `:downcase` or `:symbol`).
//! A `CSV::Table` is answered by an Array of its rows.

use crate::native::ruby::methods::to_s;
use crate::native::ruby::objects::{as_native, native};
use crate::native::ruby::procs::Closure;
use crate::native::ruby::value::{NativeObject, Value};
use crate::native::ruby::{Embedding, Flow, Interp, MAX_ITEMS, R};

pub const CLASS_METHODS: &[&str] = &["parse"];
pub const ROW_METHODS: &[&str] = &["to_h", "to_hash", "fields", "headers", "field"];

/// `CSV::Row`: the headers and this row's fields, in order.
pub struct Row {
    headers: Vec<Value>,
    fields: Vec<Value>,
}

impl NativeObject for Row {
    fn class_name(&self) -> Option<&'static str> {
        Some("CSV::Row")
    }
}

impl Row {
    /// The field under `header` (the first such header), or at an Integer index.
    fn get(&self, key: &Value) -> Value {
        let i = match key {
            Value::Int(i) => usize::try_from(*i).ok(),
            k => self.headers.iter().position(|h| h == k),
        };
        i.and_then(|i| self.fields.get(i))
            .cloned()
            .unwrap_or(Value::Nil)
    }

    /// `to_h`: header => field; a repeated header keeps its first field.
    fn to_h(&self) -> Value {
        let mut out: Vec<(Value, Value)> = Vec::new();
        for (i, h) in self.headers.iter().enumerate() {
            if !out.iter().any(|(k, _)| k == h) {
                out.push((h.clone(), self.fields.get(i).cloned().unwrap_or(Value::Nil)));
            }
        }
        Value::Hash(out)
    }
}

/// A method of a `CSV::Row`. None: not one.
pub fn call_row(row: &Row, name: &str, args: &[Value]) -> Option<R> {
    Some(Ok(match (name, args.first()) {
        ("to_h" | "to_hash", None) => row.to_h(),
        ("[]" | "field", Some(k)) => row.get(k),
        ("fields", None) => Value::Array(row.fields.clone()),
        ("headers", None) => Value::Array(row.headers.clone()),
        _ => return None,
    }))
}

/// Why a text is not CSV: Ruby's exception class and message.
#[derive(Debug, PartialEq)]
pub struct CsvError {
    pub class: &'static str,
    pub message: &'static str,
}

/// Splits `text` into rows of fields. A field starting with `quote` runs to the closing
/// quote (a doubled quote is one quote character); an unquoted empty field is nil.
/// Shared by `CSV.parse` and the `csv` resource.
pub fn split(text: &str, sep: &str, quote: Option<char>) -> Result<Vec<Vec<Value>>, CsvError> {
    let mut rows = Vec::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if rows.len() > MAX_ITEMS {
            return Err(CsvError {
                class: "RuntimeError",
                message: "array too large",
            });
        }
        if line.is_empty() {
            rows.push(Vec::new());
            continue;
        }
        let mut fields = Vec::new();
        let mut rest = line;
        loop {
            let q = quote.filter(|q| rest.starts_with(*q));
            if let Some(q) = q {
                let mut field = String::new();
                let mut chars = rest[q.len_utf8()..].char_indices();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    if c != q {
                        field.push(c);
                    } else if rest[q.len_utf8() + i + c.len_utf8()..].starts_with(q) {
                        field.push(q);
                        chars.next();
                    } else {
                        end = Some(q.len_utf8() + i + c.len_utf8());
                        break;
                    }
                }
                let Some(end) = end else {
                    return Err(CsvError {
                        class: "CSV::MalformedCSVError",
                        message: "Unclosed quoted field",
                    });
                };
                fields.push(Value::Str(field));
                rest = &rest[end..];
                match rest.strip_prefix(sep) {
                    Some(r) => rest = r,
                    None if rest.is_empty() => break,
                    None => {
                        return Err(CsvError {
                            class: "CSV::MalformedCSVError",
                            message: "Any value after quoted field isn't allowed",
                        })
                    }
                }
            } else {
                let (field, next) = match rest.find(sep) {
                    Some(i) => (&rest[..i], Some(&rest[i + sep.len()..])),
                    None => (rest, None),
                };
                fields.push(if field.is_empty() {
                    Value::Nil
                } else {
                    Value::str(field)
                });
                match next {
                    Some(r) => rest = r,
                    None => break,
                }
            }
        }
        rows.push(fields);
    }
    // A final line break ends the last row; it does not start an empty one.
    if text.ends_with('\n') || text.is_empty() {
        rows.pop();
    }
    Ok(rows)
}

/// `CSV.parse(text, **options)`.
pub fn parse<E: Embedding>(me: &mut Interp<'_, E>, args: &[Value]) -> R {
    let text = args.first().map(to_s).unwrap_or_default();
    let opts = args.get(1).filter(|o| matches!(o, Value::Hash(_)));
    let opt = |k: &str| {
        opts.and_then(|o| o.hash_get(&Value::Sym(k.into())))
            .cloned()
    };
    let sep = opt("col_sep").map_or_else(|| ",".to_string(), |v| to_s(&v));
    if sep.is_empty() {
        return Err(Flow::raise(
            "ArgumentError",
            ":col_sep must be 1 or more characters",
        ));
    }
    let quote = match opt("quote_char") {
        None => Some('"'),
        Some(Value::Nil) => None,
        Some(v) => to_s(&v).chars().next(),
    };
    let mut rows = split(&text, &sep, quote).map_err(|e| Flow::raise(e.class, e.message))?;
    if !opt("headers").is_some_and(|v| v.truthy()) {
        return Ok(Value::Array(rows.into_iter().map(Value::Array).collect()));
    }
    if rows.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let mut headers = rows.remove(0);
    if let Some(conv) = opt("header_converters") {
        for h in headers.iter_mut() {
            let Value::Str(_) = h else { continue };
            *h = match &conv {
                Value::Sym(s) if s == "downcase" => Value::Str(to_s(h).to_lowercase()),
                Value::Sym(s) if s == "symbol" => Value::Sym(
                    to_s(h)
                        .trim()
                        .to_lowercase()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join("_")
                        .chars()
                        .filter(|c| c.is_alphanumeric() || *c == '_')
                        .collect(),
                ),
                c => match as_native::<Closure>(c) {
                    Some(p) => me.call_closure(p, vec![h.clone()])?,
                    None => {
                        return Err(Flow::raise(
                            "ArgumentError",
                            format!("unknown header converter: {}", to_s(c)),
                        ))
                    }
                },
            };
        }
    }
    Ok(Value::Array(
        rows.into_iter()
            .map(|fields| {
                native(Row {
                    headers: headers.clone(),
                    fields,
                })
            })
            .collect(),
    ))
}
