//! `inspec.yml`: profile metadata. ERB tags are not executed: they are reported as warnings
//! and blanked out (keeping line and column positions) before the YAML is read.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::ProfileError;
use super::warning::Warning;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metadata {
    pub name: Option<String>,
    pub title: Option<String>,
    pub maintainer: Option<String>,
    pub copyright: Option<String>,
    pub copyright_email: Option<String>,
    pub license: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub version: Option<String>,
    pub inspec_version: Option<String>,
    pub maintainer_email: Option<String>,
    pub entitlement_id: Option<String>,
    /// Each entry keeps the keys as written (`platform-family`, `os-family`, `release`, ...).
    pub supports: Vec<Map<String, Value>>,
    pub depends: Vec<Dependency>,
    pub inputs: Vec<InputSpec>,
    /// True when the inputs came from the legacy `attributes:` key.
    pub inputs_from_attributes: bool,
    pub gem_dependencies: Vec<GemDependency>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Dependency {
    pub name: Option<String>,
    /// `path`, `url`, `git`, `supermarket`, `compliance` (or None when no source is given).
    pub source: Option<String>,
    pub path: Option<String>,
    pub url: Option<String>,
    pub git: Option<String>,
    pub branch: Option<String>,
    pub tag: Option<String>,
    pub commit: Option<String>,
    pub version: Option<String>,
    pub relative_path: Option<String>,
    pub supermarket: Option<String>,
    pub compliance: Option<String>,
    pub username: Option<String>,
    /// Whether a password was given (the password itself is never kept).
    pub has_password: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InputSpec {
    pub name: String,
    pub value: Option<Value>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub required: Option<bool>,
    pub sensitive: Option<bool>,
    pub description: Option<String>,
    pub priority: Option<i64>,
    pub pattern: Option<String>,
    pub profile: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GemDependency {
    pub name: String,
    pub version: Option<String>,
}

/// Keys InSpec knows in `inspec.yml` (a `match` compares by length first: no scan of a list).
fn known_key(key: &str) -> bool {
    matches!(
        key,
        "name"
            | "title"
            | "maintainer"
            | "copyright"
            | "copyright_email"
            | "license"
            | "summary"
            | "description"
            | "version"
            | "inspec_version"
            | "maintainer_email"
            | "entitlement_id"
            | "supports"
            | "depends"
            | "inputs"
            | "attributes"
            | "gem_dependencies"
            | "owner"
            | "readme"
            | "status"
            | "status_message"
    )
}

/// Blanks ERB tags (`<% ... %>`) with spaces, keeping newlines, and warns about each.
/// Without tags (the usual case) the text is used as it is, not copied.
fn strip_erb<'a>(text: &'a str, file: &str, warnings: &mut Vec<Warning>) -> Cow<'a, str> {
    if !text.contains("<%") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0usize;
    while let Some(i) = rest.find("<%") {
        out.push_str(&rest[..i]);
        let tag_start = offset + i;
        let after = &rest[i..];
        let len = after.find("%>").map(|j| j + 2).unwrap_or(after.len());
        let tag = &after[..len];
        let (line, column) = super::parser::line_col(text, tag_start);
        let shown: String = tag.chars().take(60).collect();
        warnings.push(Warning {
            file: file.to_string(),
            line: Some(line),
            column: Some(column),
            message: format!("ERB tag {shown:?} is not executed; it was read as blank"),
        });
        for ch in tag.chars() {
            if ch == '\n' {
                out.push('\n');
            } else {
                out.push(' ');
            }
        }
        offset += i + len;
        rest = &after[len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

pub(super) fn yaml_to_json(v: serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or(Value::Null)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match yaml_to_json(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// A scalar as a string (numbers such as `version: 1.0` become "1.0").
fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// YAML as Ruby's Psych reads it: a key repeated in one mapping keeps its first place and
/// its last value (Ruby's `Hash#[]=`), where serde_yaml_ng refuses the document. Public
/// profiles' inspec.yml files repeat keys in long input hashes.
pub(super) fn yaml_from_str(text: &str) -> Result<serde_yaml_ng::Value, serde_yaml_ng::Error> {
    serde_yaml_ng::from_str::<LastWins>(text).map(|v| v.0)
}

struct LastWins(serde_yaml_ng::Value);

impl<'de> serde::Deserialize<'de> for LastWins {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LastWinsVisitor).map(LastWins)
    }
}

struct LastWinsVisitor;

impl<'de> serde::de::Visitor<'de> for LastWinsVisitor {
    type Value = serde_yaml_ng::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(serde_yaml_ng::Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Self::Value, E> {
        Ok(serde_yaml_ng::Value::Number(i.into()))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Self::Value, E> {
        Ok(serde_yaml_ng::Value::Number(u.into()))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Self::Value, E> {
        Ok(serde_yaml_ng::Value::Number(f.into()))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(serde_yaml_ng::Value::String(s.to_owned()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_yaml_ng::Value::Null)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_yaml_ng::Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(LastWinsVisitor)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(LastWins(v)) = a.next_element()? {
            items.push(v);
        }
        Ok(serde_yaml_ng::Value::Sequence(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
        let mut map = serde_yaml_ng::Mapping::new();
        while let Some((LastWins(k), LastWins(v))) = a.next_entry()? {
            map.insert(k, v);
        }
        Ok(serde_yaml_ng::Value::Mapping(map))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, a: A) -> Result<Self::Value, A::Error> {
        use serde::de::VariantAccess;
        let (tag, contents) = a.variant::<String>()?;
        let LastWins(value) = contents.newtype_variant()?;
        Ok(serde_yaml_ng::Value::Tagged(Box::new(
            serde_yaml_ng::value::TaggedValue {
                tag: serde_yaml_ng::value::Tag::new(tag),
                value,
            },
        )))
    }
}

pub fn parse_metadata(
    text: &str,
    file: &str,
    warnings: &mut Vec<Warning>,
) -> Result<Metadata, ProfileError> {
    let cleaned = strip_erb(text, file, warnings);
    let yaml = yaml_from_str(&cleaned).map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line() as u32, l.column() as u32))
            .unwrap_or((1, 1));
        ProfileError::Parse {
            file: file.to_string(),
            line,
            column,
            message: format!("invalid YAML: {e}"),
        }
    })?;
    let doc = yaml_to_json(yaml);
    let map = match doc {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        _ => return Err(ProfileError::Parse {
            file: file.to_string(),
            line: 1,
            column: 1,
            message:
                "expected a mapping of metadata keys (name, title, version, ...) at the top level"
                    .into(),
        }),
    };
    let warn = |warnings: &mut Vec<Warning>, message: String| {
        warnings.push(Warning {
            file: file.to_string(),
            line: None,
            column: None,
            message,
        })
    };
    let mut md = Metadata {
        name: scalar(map.get("name")),
        title: scalar(map.get("title")),
        maintainer: scalar(map.get("maintainer")),
        copyright: scalar(map.get("copyright")),
        copyright_email: scalar(map.get("copyright_email")),
        license: scalar(map.get("license")),
        summary: scalar(map.get("summary")),
        description: scalar(map.get("description")),
        version: scalar(map.get("version")),
        inspec_version: scalar(map.get("inspec_version")),
        maintainer_email: scalar(map.get("maintainer_email")),
        entitlement_id: scalar(map.get("entitlement_id")),
        ..Metadata::default()
    };
    for key in map.keys() {
        if !known_key(key) {
            warn(warnings, format!("unknown inspec.yml key '{key}'"));
        }
    }
    if md.name.is_none() {
        warn(warnings, "inspec.yml has no 'name'".into());
    }
    if let Some(n) = &md.name {
        if n.contains('/') || n.contains('\\') {
            warn(
                warnings,
                format!("profile name '{n}' must not contain '/' or '\\'"),
            );
        }
    }

    // supports: list of maps, a single map, or a bare string (deprecated os-family)
    match map.get("supports") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::Object(m) => md.supports.push(normalize_support(m)),
                    Value::String(s) => {
                        let mut m = Map::new();
                        m.insert("os-family".into(), Value::String(s.clone()));
                        md.supports.push(m);
                    }
                    other => warn(warnings, format!("ignored 'supports' entry {other}")),
                }
            }
        }
        Some(Value::Object(m)) => md.supports.push(normalize_support(m)),
        Some(Value::String(s)) => {
            let mut m = Map::new();
            m.insert("os-family".into(), Value::String(s.clone()));
            md.supports.push(m);
        }
        Some(other) => warn(warnings, format!("ignored 'supports' value {other}")),
    }

    // depends
    if let Some(v) = map.get("depends") {
        match v {
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(m) => md.depends.push(parse_dependency(m)),
                        other => warn(warnings, format!("ignored 'depends' entry {other}")),
                    }
                }
            }
            Value::Null => {}
            other => warn(warnings, format!("'depends' must be a list, found {other}")),
        }
    }

    // inputs / attributes
    let (inputs, legacy) = match (map.get("inputs"), map.get("attributes")) {
        (Some(v), _) => (Some(v), false),
        (None, Some(v)) => (Some(v), true),
        _ => (None, false),
    };
    md.inputs_from_attributes = legacy;
    if let Some(v) = inputs {
        match v {
            Value::Array(items) => {
                for item in items {
                    match item {
                        Value::Object(m) => match scalar(m.get("name")) {
                            Some(name) => md.inputs.push(InputSpec {
                                name,
                                value: m.get("value").or_else(|| m.get("default")).cloned(),
                                type_: scalar(m.get("type")),
                                required: m.get("required").and_then(Value::as_bool),
                                sensitive: m.get("sensitive").and_then(Value::as_bool),
                                description: scalar(m.get("description")),
                                priority: m.get("priority").and_then(Value::as_i64),
                                pattern: scalar(m.get("pattern")),
                                profile: scalar(m.get("profile")),
                            }),
                            None => warn(warnings, "an input without 'name' was ignored".into()),
                        },
                        other => warn(warnings, format!("ignored input entry {other}")),
                    }
                }
            }
            Value::Null => {}
            other => warn(warnings, format!("'inputs' must be a list, found {other}")),
        }
    }

    if let Some(Value::Array(items)) = map.get("gem_dependencies") {
        for item in items {
            if let Value::Object(m) = item {
                if let Some(name) = scalar(m.get("name")) {
                    md.gem_dependencies.push(GemDependency {
                        name,
                        version: scalar(m.get("version")),
                    });
                }
            }
        }
    }
    Ok(md)
}

fn normalize_support(m: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in m {
        let v = match v {
            // `release: 20.04` and wildcards are strings in InSpec's model
            Value::Number(n) => Value::String(n.to_string()),
            other => other.clone(),
        };
        out.insert(k.clone(), v);
    }
    out
}

fn parse_dependency(m: &Map<String, Value>) -> Dependency {
    let mut d = Dependency {
        name: scalar(m.get("name")),
        path: scalar(m.get("path")),
        url: scalar(m.get("url")),
        git: scalar(m.get("git")),
        branch: scalar(m.get("branch")),
        tag: scalar(m.get("tag")),
        commit: scalar(m.get("commit")),
        version: scalar(m.get("version")),
        relative_path: scalar(m.get("relative_path")),
        supermarket: scalar(m.get("supermarket")),
        compliance: scalar(m.get("compliance")),
        username: scalar(m.get("username")),
        has_password: m.contains_key("password"),
        source: None,
    };
    d.source = if d.path.is_some() {
        Some("path".into())
    } else if d.git.is_some() {
        Some("git".into())
    } else if d.url.is_some() {
        Some("url".into())
    } else if d.supermarket.is_some() {
        Some("supermarket".into())
    } else if d.compliance.is_some() {
        Some("compliance".into())
    } else {
        None
    };
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_metadata() {
        let y = r#"
name: demo
title: Demo
version: 1.0
supports:
  - platform-family: linux
  - platform-name: ubuntu
    release: 20.04
  - os-family: unix
depends:
  - name: base
    path: ../base
  - name: remote
    git: https://example.invalid/x.git
    tag: v1.2
    relative_path: sub
  - name: market
    supermarket: dev-sec/linux-baseline
inputs:
  - name: port
    value: 22
    type: Numeric
    required: true
    priority: 60
gem_dependencies:
  - name: rubocop
    version: ">= 1"
"#;
        let mut w = Vec::new();
        let md = parse_metadata(y, "inspec.yml", &mut w).unwrap_or_else(|e| panic!("{e}"));
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(md.version.as_deref(), Some("1.0"));
        assert_eq!(md.supports.len(), 3);
        assert_eq!(
            md.supports[1].get("release"),
            Some(&Value::String("20.04".into()))
        );
        assert_eq!(md.depends[1].source.as_deref(), Some("git"));
        assert_eq!(md.depends[1].tag.as_deref(), Some("v1.2"));
        assert_eq!(md.depends[2].source.as_deref(), Some("supermarket"));
        assert_eq!(md.inputs[0].value, Some(Value::from(22)));
        assert_eq!(md.inputs[0].priority, Some(60));
        assert_eq!(md.gem_dependencies[0].version.as_deref(), Some(">= 1"));
    }

    #[test]
    fn erb_is_a_warning_not_executed() {
        let y = "name: x\nversion: <%= ENV['V'] %>\ntitle: t\n";
        let mut w = Vec::new();
        let md = parse_metadata(y, "inspec.yml", &mut w).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(md.name.as_deref(), Some("x"));
        assert_eq!(md.title.as_deref(), Some("t"));
        assert_eq!(md.version, None);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, Some(2));
        assert_eq!(w[0].column, Some(10));
    }

    #[test]
    fn attributes_legacy_key() {
        let y = "name: x\nattributes:\n  - name: a\n    value: b\n    type: string\n";
        let mut w = Vec::new();
        let md = parse_metadata(y, "inspec.yml", &mut w).unwrap_or_else(|e| panic!("{e}"));
        assert!(md.inputs_from_attributes);
        assert_eq!(md.inputs[0].type_.as_deref(), Some("string"));
    }

    #[test]
    fn yaml_error_has_position() {
        let mut w = Vec::new();
        let e = parse_metadata("name: x\n  bad: [\n", "inspec.yml", &mut w).err();
        match e {
            Some(ProfileError::Parse { line, .. }) => assert!(line >= 2),
            other => panic!("{other:?}"),
        }
    }

    /// Psych keeps the last value of a repeated key, at the key's first place; tags,
    /// anchors and nested mappings read as before.
    #[test]
    fn repeated_mapping_keys_keep_the_last_value_as_ruby() {
        let y = "name: x\ninputs:\n  - name: h\n    value: {'/a': 1, '/b': 2, '/a': 3}\n  - name: t\n    value: &v !custom [1, 2]\n  - name: r\n    value: *v\n";
        let mut w = Vec::new();
        let md = parse_metadata(y, "inspec.yml", &mut w).unwrap_or_else(|e| panic!("{e}"));
        let v = md.inputs[0].value.as_ref().unwrap();
        assert_eq!(serde_json::to_string(v).unwrap(), r#"{"/a":3,"/b":2}"#);
        assert_eq!(md.inputs[1].value, md.inputs[2].value);
        assert!(md.inputs[1].value.is_some());
    }
}
