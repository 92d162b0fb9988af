//! InSpec's profile JSON (`inspec json`, profile-json.schema.json) from the model.

use serde_json::{json, Map, Value};

use super::model::{Control, Profile};

fn put(m: &mut Map<String, Value>, k: &str, v: Option<&String>) {
    if let Some(v) = v {
        m.insert(k.to_string(), Value::String(v.clone()));
    }
}

pub fn control_json(c: &Control) -> Value {
    let mut descriptions = Map::new();
    for d in &c.descriptions {
        descriptions.insert(d.label.to_string(), Value::String(d.data.clone()));
    }
    let refs: Vec<Value> = c
        .refs
        .iter()
        .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        .collect();
    json!({
        "id": c.id,
        "title": c.title,
        "desc": c.desc,
        "descriptions": descriptions,
        "impact": c.impact,
        "refs": refs,
        "tags": c.tags.to_json(),
        "code": c.code,
        "source_location": {"ref": c.source_location.ref_, "line": c.source_location.line},
    })
}

/// The profile as InSpec's `inspec json` prints it (keys whose value is nil are dropped).
pub fn profile_json(p: &Profile) -> Value {
    let md = &p.metadata;
    let mut m = Map::new();
    m.insert(
        "name".into(),
        Value::String(md.name.clone().unwrap_or_else(|| p.path.clone())),
    );
    put(&mut m, "title", md.title.as_ref());
    put(&mut m, "maintainer", md.maintainer.as_ref());
    put(&mut m, "copyright", md.copyright.as_ref());
    put(&mut m, "copyright_email", md.copyright_email.as_ref());
    put(&mut m, "license", md.license.as_ref());
    put(&mut m, "summary", md.summary.as_ref());
    put(&mut m, "description", md.description.as_ref());
    put(&mut m, "version", md.version.as_ref());
    put(&mut m, "inspec_version", md.inspec_version.as_ref());
    m.insert(
        "supports".into(),
        Value::Array(md.supports.iter().cloned().map(Value::Object).collect()),
    );
    if !md.depends.is_empty() {
        let deps = md
            .depends
            .iter()
            .map(|d| {
                let mut o = Map::new();
                put(&mut o, "name", d.name.as_ref());
                put(&mut o, "path", d.path.as_ref());
                put(&mut o, "url", d.url.as_ref());
                put(&mut o, "git", d.git.as_ref());
                put(&mut o, "branch", d.branch.as_ref());
                put(&mut o, "tag", d.tag.as_ref());
                put(&mut o, "commit", d.commit.as_ref());
                put(&mut o, "version", d.version.as_ref());
                put(&mut o, "relative_path", d.relative_path.as_ref());
                put(&mut o, "supermarket", d.supermarket.as_ref());
                put(&mut o, "compliance", d.compliance.as_ref());
                Value::Object(o)
            })
            .collect();
        m.insert("depends".into(), Value::Array(deps));
    }
    let inputs: Vec<Value> = p
        .inputs
        .iter()
        .map(|i| {
            let mut o = Map::new();
            if let Some(v) = &i.value {
                o.insert(
                    "value".into(),
                    if i.sensitive == Some(true) {
                        json!("***")
                    } else {
                        v.clone()
                    },
                );
            }
            put(&mut o, "type", i.type_.as_ref());
            if let Some(r) = i.required {
                o.insert("required".into(), Value::Bool(r));
            }
            if let Some(s) = i.sensitive {
                o.insert("sensitive".into(), Value::Bool(s));
            }
            put(&mut o, "description", i.description.as_ref());
            if let Some(pr) = i.priority {
                o.insert("priority".into(), json!(pr));
            }
            put(&mut o, "pattern", i.pattern.as_ref());
            put(&mut o, "profile", i.profile.as_ref());
            json!({"name": i.name, "options": o})
        })
        .collect();
    m.insert("inputs".into(), Value::Array(inputs));
    m.insert("sha256".into(), Value::String(p.sha256().to_string()));
    m.insert("status".into(), json!("loaded"));
    m.insert(
        "generator".into(),
        json!({"name": "ansible-inspec-rs", "version": env!("CARGO_PKG_VERSION")}),
    );
    let groups: Vec<Value> = p
        .groups
        .iter()
        .map(|g| {
            let mut o = Map::new();
            o.insert("id".into(), Value::String(g.id.clone()));
            if let Some(t) = &g.title {
                o.insert("title".into(), Value::String(t.clone()));
            }
            o.insert("controls".into(), json!(g.controls));
            Value::Object(o)
        })
        .collect();
    m.insert("groups".into(), Value::Array(groups));
    m.insert(
        "controls".into(),
        Value::Array(p.controls.iter().map(control_json).collect()),
    );
    Value::Object(m)
}
