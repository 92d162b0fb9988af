//! The `toml` and `csv` resources' parsers (toml.rb, csv.rb: JsonConfig with another
//! `parse`): text into the `params` InSpec builds, keys and `its` as `json` has them.

use crate::native::ruby::corelib::csv;
use crate::native::ruby::value::Value;

/// `Tomlrb.parse`: tables as hashes in document order, integers, floats, booleans, strings
/// and arrays as themselves. Date-times are kept as their TOML text (Tomlrb gives Ruby
/// `Time`/local date objects; comparing with text through `cmp` works alike).
pub fn toml_params(text: &str) -> Result<Value, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // The crate's message spans lines (a caret under the place); its first line says it.
        e.message().to_string()
    })?;
    Ok(from_toml(&toml::Value::Table(table)))
}

fn from_toml(v: &toml::Value) -> Value {
    use toml::Value as T;
    match v {
        T::String(s) => Value::str(s),
        T::Integer(n) => Value::Int(*n),
        T::Float(f) => Value::Float(*f),
        T::Boolean(b) => Value::Bool(*b),
        T::Datetime(d) => Value::str(d.to_string()),
        T::Array(items) => Value::Array(items.iter().map(from_toml).collect()),
        T::Table(t) => Value::Hash(
            t.iter()
                .map(|(k, v)| (Value::str(k), from_toml(v)))
                .collect(),
        ),
    }
}

/// csv.rb's `parse`: `CSV.new(content, headers:, converters: %i{all blank_to_nil})`. With
/// headers, an Array of one Hash per row (header => field, a repeated header keeps its
/// first field, as `CSV::Row#to_hash`); without, an Array of rows. Fields become Integers
/// or Floats where Ruby's `Integer()`/`Float()` accept them and nil when empty. The
/// `:date_time` converter of `:all` is not applied: date fields stay text.
pub fn csv_params(text: &str, headers: bool) -> Result<Value, String> {
    let mut rows = csv::split(text, ",", Some('"')).map_err(|e| e.message.to_string())?;
    let convert = |row: Vec<Value>| -> Vec<Value> { row.into_iter().map(convert_field).collect() };
    if !headers {
        return Ok(Value::Array(
            rows.into_iter().map(|r| Value::Array(convert(r))).collect(),
        ));
    }
    if rows.is_empty() {
        return Ok(Value::Array(Vec::new()));
    }
    let names = rows.remove(0);
    Ok(Value::Array(
        rows.into_iter()
            .map(|r| {
                let fields = convert(r);
                let mut hash: Vec<(Value, Value)> = Vec::new();
                for (i, h) in names.iter().enumerate() {
                    if !hash.iter().any(|(k, _)| k == h) {
                        hash.push((h.clone(), fields.get(i).cloned().unwrap_or(Value::Nil)));
                    }
                }
                Value::Hash(hash)
            })
            .collect(),
    ))
}

/// csv.rb's `value(key)`: with headers, the non-nil fields under the first key's header
/// across rows; without, every row.
pub fn csv_value(params: &Value, headers: bool, key: &Value) -> Value {
    if !headers {
        return params.clone();
    }
    let Value::Array(rows) = params else {
        return Value::Array(Vec::new());
    };
    let key = match key {
        Value::Str(s) | Value::Sym(s) => Value::str(s),
        Value::Int(n) => Value::str(n.to_string()),
        other => other.clone(),
    };
    Value::Array(
        rows.iter()
            .filter_map(|r| r.hash_get(&key).cloned())
            .filter(|v| *v != Value::Nil)
            .collect(),
    )
}

fn convert_field(v: Value) -> Value {
    match v {
        Value::Str(s) if s.is_empty() => Value::Nil,
        Value::Str(s) => ruby_integer(&s)
            .map(Value::Int)
            .or_else(|| ruby_float(&s).map(Value::Float))
            .unwrap_or(Value::Str(s)),
        v => v,
    }
}

/// Digits with single underscores between them (Ruby's numeric literal rule).
fn digits_ok(s: &str, radix: u32) -> bool {
    !s.is_empty()
        && !s.starts_with('_')
        && !s.ends_with('_')
        && !s.contains("__")
        && s.chars().all(|c| c == '_' || c.is_digit(radix))
}

/// Ruby's `Integer(text)`: blanks around, a sign, `0x`/`0b`/`0o`/leading-`0` (octal)
/// prefixes, underscores between digits.
fn ruby_integer(s: &str) -> Option<i64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = t.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower.trim_start_matches('0').trim_start_matches('_'))
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() && radix == 8 && lower.len() > 1 {
        return Some(0); // "00"
    }
    if !digits_ok(digits, radix) {
        return None;
    }
    let n = i64::from_str_radix(&digits.replace('_', ""), radix).ok()?;
    Some(if neg { -n } else { n })
}

/// Ruby's `Float(text)`: digits on both sides of a point, an optional exponent.
fn ruby_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let exp_ok = exp.is_none_or(|e| digits_ok(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    if !digits_ok(int, 10) || !frac.is_none_or(|f| digits_ok(f, 10)) || !exp_ok {
        return None;
    }
    t.replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruby_numbers() {
        assert_eq!(ruby_integer("42"), Some(42));
        assert_eq!(ruby_integer(" -1_000 "), Some(-1000));
        assert_eq!(ruby_integer("0x1A"), Some(26));
        assert_eq!(ruby_integer("010"), Some(8));
        assert_eq!(ruby_integer("00"), Some(0));
        assert_eq!(ruby_integer("09"), None);
        assert_eq!(ruby_integer("1__0"), None);
        assert_eq!(ruby_integer("1.5"), None);
        assert_eq!(ruby_integer("abc"), None);
        assert_eq!(ruby_float("1.5"), Some(1.5));
        assert_eq!(ruby_float("-2e3"), Some(-2000.0));
        assert_eq!(ruby_float("1."), None);
        assert_eq!(ruby_float(".5"), None);
        assert_eq!(ruby_float("1.2.3"), None);
    }

    #[test]
    fn csv_with_and_without_headers() {
        let text = "name,uid,shell\nroot,0,/bin/bash\nadmin,1000,\n\"x,y\",\"\",07\n";
        let p = csv_params(text, true).unwrap();
        let Value::Array(rows) = &p else { panic!() };
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].hash_get(&Value::str("uid")), Some(&Value::Int(0)));
        assert_eq!(rows[1].hash_get(&Value::str("shell")), Some(&Value::Nil));
        assert_eq!(
            rows[2].hash_get(&Value::str("name")),
            Some(&Value::str("x,y"))
        );
        assert_eq!(rows[2].hash_get(&Value::str("uid")), Some(&Value::Nil));
        assert_eq!(rows[2].hash_get(&Value::str("shell")), Some(&Value::Int(7)));
        assert_eq!(
            csv_value(&p, true, &Value::str("shell")),
            Value::Array(vec![Value::str("/bin/bash"), Value::Int(7)])
        );
        assert_eq!(
            csv_value(&p, true, &Value::str("nope")),
            Value::Array(vec![])
        );
        let raw = csv_params(text, false).unwrap();
        let Value::Array(rows) = &raw else { panic!() };
        assert_eq!(
            rows[0],
            Value::Array(vec![
                Value::str("name"),
                Value::str("uid"),
                Value::str("shell")
            ])
        );
        assert_eq!(csv_value(&raw, false, &Value::str("x")), raw);
        assert_eq!(
            csv_params("a,\"b\n", true),
            Err("Unclosed quoted field".to_string())
        );
    }

    #[test]
    fn toml_keeps_order_and_types() {
        let p = toml_params(
            "port = 8080\nfruits = [\"apple\", \"banana\"]\nratio = 0.5\n\n[section]\nkey1 = \"value1\"\nwhen = 1979-05-27T07:32:00Z\n",
        )
        .unwrap();
        let Value::Hash(pairs) = &p else { panic!() };
        let keys: Vec<&Value> = pairs.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["port", "fruits", "ratio", "section"]
                .map(Value::str)
                .iter()
                .collect::<Vec<_>>()
        );
        assert_eq!(p.hash_get(&Value::str("port")), Some(&Value::Int(8080)));
        assert_eq!(p.hash_get(&Value::str("ratio")), Some(&Value::Float(0.5)));
        let section = p.hash_get(&Value::str("section")).unwrap();
        assert_eq!(
            section.hash_get(&Value::str("when")),
            Some(&Value::str("1979-05-27T07:32:00Z"))
        );
        let err = toml_params("a = \n").unwrap_err();
        assert!(!err.is_empty());
    }
}
