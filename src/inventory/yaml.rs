//! The YAML inventory format: `all: {hosts, vars, children: {group: {hosts, vars, children}}}`
//! (top-level keys other than `all` are groups too).

use serde_json::{Map, Value as Json};
use serde_yaml_ng::{Mapping, Value};

use super::{expand_range, Inventory, SyntaxError};

const DEPTH_MAX: usize = 64;

/// A mapping as (string key, value) pairs in document order (host order matters).
fn as_map<'a>(v: &'a Value, what: &str) -> Result<Option<Vec<(String, &'a Value)>>, SyntaxError> {
    let m: &Mapping = match v {
        Value::Null => return Ok(None),
        Value::Mapping(m) => m,
        Value::Tagged(t) => return as_map(&t.value, what),
        _ => return Err(SyntaxError::new(format!("{what} must be a mapping"))),
    };
    m.iter()
        .map(|(k, v)| {
            let key = match k {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(SyntaxError::new(format!("{what}: keys must be strings"))),
            };
            Ok((key, v))
        })
        .collect::<Result<Vec<_>, SyntaxError>>()
        .map(Some)
}

/// Variables as JSON values.
fn vars_of(v: &Value, what: &str) -> Result<Option<Map<String, Json>>, SyntaxError> {
    let Some(pairs) = as_map(v, what)? else {
        return Ok(None);
    };
    let mut out = Map::new();
    for (k, v) in pairs {
        let j =
            serde_json::to_value(v).map_err(|e| SyntaxError::new(format!("{what}.{k}: {e}")))?;
        out.insert(k, j);
    }
    Ok(Some(out))
}

fn group(inv: &mut Inventory, name: &str, body: &Value, depth: usize) -> Result<(), SyntaxError> {
    if depth > DEPTH_MAX {
        return Err(SyntaxError::new(format!(
            "groups nested deeper than {DEPTH_MAX}"
        )));
    }
    inv.group_mut(name);
    let Some(body) = as_map(body, &format!("group {name:?}"))? else {
        return Ok(());
    };
    for (key, _) in &body {
        if !matches!(key.as_str(), "hosts" | "vars" | "children") {
            return Err(SyntaxError::new(format!(
                "group {name:?}: unknown key {key:?} (expected hosts, vars, children)"
            )));
        }
    }
    let get = |k: &str| body.iter().find(|(key, _)| key == k).map(|(_, v)| *v);
    if let Some(vars) = get("vars") {
        if let Some(vars) = vars_of(vars, &format!("{name}.vars"))? {
            inv.group_mut(name).vars.extend(vars);
        }
    }
    if let Some(hosts) = get("hosts") {
        if let Some(hosts) = as_map(hosts, &format!("{name}.hosts"))? {
            for (pattern, vars) in hosts {
                for host in expand_range(&pattern)? {
                    if let Some(vars) = vars_of(vars, &format!("host {host:?}"))? {
                        inv.host_vars_mut(&host).extend(vars);
                    }
                    inv.add_host(&host);
                    let g = inv.group_mut(name);
                    if !g.hosts.contains(&host) {
                        g.hosts.push(host);
                    }
                }
            }
        }
    }
    if let Some(children) = get("children") {
        if let Some(children) = as_map(children, &format!("{name}.children"))? {
            for (child, cbody) in children {
                {
                    let g = inv.group_mut(name);
                    if !g.children.contains(&child) {
                        g.children.push(child.clone());
                    }
                }
                group(inv, &child, cbody, depth + 1)?;
            }
        }
    }
    Ok(())
}

pub(super) fn parse(text: &str) -> Result<Inventory, SyntaxError> {
    let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| {
        let err = SyntaxError::new(e.to_string());
        match e.location() {
            Some(at) => err.at_line(at.line()),
            None => err,
        }
    })?;
    let mut inv = Inventory::default();
    let Some(top) = as_map(&doc, "the inventory")? else {
        return Ok(inv);
    };
    for (name, body) in top {
        group(&mut inv, &name, body, 0)?;
    }
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const YAML: &str = r#"
all:
  vars:
    env: default
    tier: none
  hosts:
    bastion:
      ansible_host: 10.0.0.1
  children:
    prod:
      vars: {env: prod, tier: base}
      children:
        web:
          vars: {tier: front}
          hosts:
            web[1:2]:
            web3: {ansible_port: 2222}
        db:
          hosts:
            db1: {ansible_connection: local}
extra:
  hosts:
    web1:
"#;

    #[test]
    fn groups_children_and_vars() {
        let inv = parse(YAML).unwrap();
        assert_eq!(inv.hosts(), ["bastion", "web1", "web2", "web3", "db1"]);
        assert_eq!(
            inv.group_hosts("prod").unwrap(),
            ["web1", "web2", "web3", "db1"]
        );
        assert_eq!(inv.group_hosts("extra").unwrap(), ["web1"]);
        let v = inv.vars_for("web3").unwrap();
        assert_eq!((&v["env"], &v["tier"]), (&json!("prod"), &json!("front")));
        assert_eq!(v["ansible_port"], json!(2222));
        assert_eq!(inv.vars_for("bastion").unwrap()["env"], json!("default"));
        assert_eq!(inv.vars_for("db1").unwrap()["tier"], json!("base"));
    }

    #[test]
    fn bad_shapes_are_errors() {
        for text in [
            "all: [1, 2]",
            "all: {hosts: [a, b]}",
            "all: {bogus: 1}",
            "all:\n  hosts:\n    h: 3",
            ":",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }
}
