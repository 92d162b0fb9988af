//! The INI inventory format: `[group]`, `[group:vars]`, `[group:children]`, host lines
//! with `key=value` variables, hosts before any section being ungrouped.

use super::{expand_range, scalar, Inventory, SyntaxError};

enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
}

/// Splits a line into words, keeping quoted parts (`a="b c"`) together.
fn words(line: &str) -> Result<Vec<String>, SyntaxError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            None => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err(SyntaxError::new("unclosed quote"));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

const BAD_SECTION: &str =
    "unknown section kind (expected [group], [group:vars] or [group:children])";

fn strip_comment(line: &str) -> &str {
    let t = line.trim();
    if t.starts_with('#') || t.starts_with(';') {
        return "";
    }
    // A ' #' after content starts a comment (a '#' inside a value such as a#b does not).
    match t.find(" #") {
        Some(i) => t[..i].trim_end(),
        None => t,
    }
}

pub(super) fn parse(text: &str) -> Result<Inventory, SyntaxError> {
    let mut inv = Inventory::default();
    let mut section = Section::Hosts("ungrouped".into());
    for (n, raw) in text.lines().enumerate() {
        let lineno = n + 1;
        let at = |e: SyntaxError| e.at_line(lineno);
        let line = strip_comment(raw);
        if line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let name = header
                .strip_suffix(']')
                .ok_or_else(|| at(SyntaxError::new("a section header must end with ']'")))?
                .trim();
            let (group, kind) = match name.split_once(':') {
                Some((g, k)) => (g.trim(), Some(k.trim())),
                None => (name, None),
            };
            if group.is_empty() || group.chars().any(|c| c.is_whitespace()) {
                return Err(at(SyntaxError::new(
                    "a group name must be non-empty, without spaces",
                )));
            }
            section = match kind {
                None => Section::Hosts(group.into()),
                Some("vars") => Section::Vars(group.into()),
                Some("children") => Section::Children(group.into()),
                Some(_) => return Err(at(SyntaxError::new(BAD_SECTION))),
            };
            inv.group_mut(group);
            continue;
        }
        match &section {
            Section::Hosts(group) => {
                let w = words(line).map_err(at)?;
                let Some((name, vars)) = w.split_first() else {
                    continue;
                };
                for host in expand_range(name).map_err(at)? {
                    for (i, kv) in vars.iter().enumerate() {
                        // Never the word itself: a malformed line may hold a secret.
                        let (k, v) = kv.split_once('=').ok_or_else(|| {
                            at(SyntaxError::new(format!(
                                "word {} after the host name is not key=value",
                                i + 1
                            )))
                        })?;
                        inv.host_vars_mut(&host).insert(k.into(), scalar(v));
                    }
                    inv.add_host(&host);
                    let g = inv.group_mut(group);
                    if !g.hosts.contains(&host) {
                        g.hosts.push(host);
                    }
                }
            }
            Section::Vars(group) => {
                let (k, v) = line
                    .split_once('=')
                    .ok_or_else(|| at(SyntaxError::new("a [group:vars] line must be key=value")))?;
                inv.group_mut(group)
                    .vars
                    .insert(k.trim().into(), scalar(v.trim()));
            }
            Section::Children(group) => {
                let child = line.to_string();
                inv.group_mut(&child);
                let g = inv.group_mut(group);
                if !g.children.contains(&child) {
                    g.children.push(child);
                }
            }
        }
    }
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const INI: &str = r#"
# a comment
lonely ansible_host=10.0.0.9

[web]
web[1:2] ansible_user=deploy
web3 ansible_port=2222 note="two words"

[db]
db1 ansible_connection=local # a comment

[prod:children]
web
db

[prod:vars]
env=prod
tier=base

[web:vars]
tier=front

[all:vars]
env=default
tier=none
"#;

    #[test]
    fn groups_children_and_vars() {
        let inv = parse(INI).unwrap();
        assert_eq!(inv.hosts(), ["lonely", "web1", "web2", "web3", "db1"]);
        assert_eq!(
            inv.group_hosts("prod").unwrap(),
            ["web1", "web2", "web3", "db1"]
        );
        assert_eq!(inv.group_hosts("ungrouped").unwrap(), ["lonely"]);
        let v = inv.vars_for("web3").unwrap();
        // all < prod (parent) < web (child) < host
        assert_eq!(v["env"], json!("prod"));
        assert_eq!(v["tier"], json!("front"));
        assert_eq!(v["ansible_port"], json!(2222));
        assert_eq!(v["note"], json!("two words"));
        let v = inv.vars_for("db1").unwrap();
        assert_eq!(v["tier"], json!("base"));
        assert_eq!(v["ansible_connection"], json!("local"));
        assert_eq!(inv.vars_for("lonely").unwrap()["env"], json!("default"));
        assert_eq!(
            inv.vars_for("web1").unwrap()["ansible_user"],
            json!("deploy")
        );
        assert!(inv.vars_for("nope").is_none());
    }

    #[test]
    fn errors_have_line_numbers() {
        for (text, line) in [
            ("[web\nh", "line 1"),
            ("[g:bogus]", "line 1"),
            ("\n[g:vars]\nnovalue", "line 3"),
            ("h a=\"open", "line 1"),
            ("[g]\nh AKIASECRETVALUE", "line 2"),
            ("[g:vars]\nAKIASECRETVALUE", "line 2"),
            ("[AKIA SECRET]", "line 1"),
            ("[g:AKIASECRETVALUE]", "line 1"),
            ("AKIASECRET[1:x]", "line 1"),
        ] {
            let e = parse(text).unwrap_err();
            assert_eq!(Some(line), e.line.map(|n| format!("line {n}")).as_deref());
            let e = e.to_string();
            assert!(e.starts_with(line), "{text:?}: {e}");
            assert!(!e.contains("AKIA"), "the error quotes the file: {e}");
        }
    }
}
