//! The JSON Schema (2020-12) of the core's data: template input and output, jobs, host,
//! control and task results, events, and every status enum. Built from the same constants
//! and enums the validation in `template.rs` and `job.rs` uses, so a range or a status
//! changes in one place; the Python face (`_core.schema()`), the REST models and the docs
//! read it from here. The tests below fail when a field is serialized that the schema does
//! not describe (or the reverse), and an enum variant added without being listed here does
//! not compile.

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::job::{
    ControlStatus, HostStatus, JobStatus, Stream, TaskStatus, CONTROLS_MAX, CONTROL_ENTRY_MAX,
};
use crate::template::{
    Connection, JobType, ProfileRunner, Template, ALLOW_ANSIBLE_VARS_MAX, ARGV_MAX, ARG_MAX_LEN,
    CONNECT_TIMEOUT_RANGE, DESCRIPTION_MAX, FORKS_RANGE, NAME_MAX, PATH_MAX, RETRIES_MAX,
    RETRY_BACKOFF_MAX, TIMEOUT_RANGE, VERBOSITY_RANGE,
};

/// Text without control characters (Unicode Cc: C0, DEL, C1; Rust's `char::is_control`).
pub const NO_CONTROL: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";
/// An argv item: anything but NUL.
pub const NO_NUL: &str = r"^[^\x00]*$";
/// One tag: non-empty, no commas, no control characters.
pub const TAG: &str = r"^[^,\x00-\x1f\x7f-\x9f]+$";

/// A character a host name may hold: no whitespace, no control character.
const HOST_CHAR: &str = r"[^\s\x00-\x1f\x7f-\x9f]";
/// The same, in a list where commas separate hosts.
const LISTED_HOST_CHAR: &str = r"[^\s,\x00-\x1f\x7f-\x9f]";

/// One host (`host::validate_host`): no whitespace or control characters, no leading '-'
/// (1–`HOST_MAX` bytes: the schema's `maxLength`).
pub fn host_pattern() -> String {
    let first = HOST_CHAR.replace(']', "-]");
    format!("^{first}{HOST_CHAR}*$")
}

/// Hosts separated by commas, blanks around the commas allowed (REST's `target`).
pub fn host_list_pattern() -> String {
    let host = format!("{}{LISTED_HOST_CHAR}*", LISTED_HOST_CHAR.replace(']', "-]"));
    format!(r"^\s*(?:{host})?(?:\s*,\s*(?:{host})?)*\s*$")
}

/// A template name (`template::validate_name`).
pub fn name_pattern() -> String {
    format!("^[A-Za-z0-9][A-Za-z0-9._-]{{0,{}}}$", NAME_MAX - 1)
}

/// `reporter` (`template::validate_reporter`): space-separated `NAME` or `NAME:PATH`, NAME
/// being `cli` or a report format.
pub fn reporter_pattern() -> String {
    let mut names: Vec<&str> = crate::report::Format::ALL
        .iter()
        .map(|f| f.name())
        .collect();
    names.push("cli");
    names.sort_unstable();
    names.dedup();
    let item = format!("(?:{})(?::\\S*)?", names.join("|"));
    format!(r"^\s*{item}(?:\s+{item})*\s*$")
}

/// The names an enum serializes to, as a JSON Schema `enum`.
fn enum_of<T: Serialize>(variants: &[T]) -> Value {
    let names: Vec<Value> = variants
        .iter()
        .filter_map(|v| serde_json::to_value(v).ok())
        .collect();
    json!({"type": "string", "enum": names})
}

/// `enum_of` over every variant of a fieldless enum; a variant added to the enum and not
/// listed here is a compile error (the match is exhaustive).
macro_rules! variants {
    ($t:ident: $($v:ident),+ $(,)?) => {{
        #[allow(dead_code)]
        fn exhaustive(x: $t) {
            match x {
                $($t::$v)|+ => {}
            }
        }
        enum_of(&[$($t::$v),+])
    }};
}

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/$defs/{name}")})
}

fn nullable(schema: Value) -> Value {
    json!({"anyOf": [schema, {"type": "null"}]})
}

fn text(max: usize) -> Value {
    json!({"type": "string", "maxLength": max, "pattern": NO_CONTROL})
}

fn path_text() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": PATH_MAX, "pattern": NO_CONTROL})
}

fn described(mut schema: Value, description: &str) -> Value {
    if let Value::Object(m) = &mut schema {
        m.insert("description".into(), description.into());
    }
    schema
}

/// An integer from `lo` to `hi` (a range the validation checks: `template::int_in`).
fn range((lo, hi): (u32, u32)) -> Value {
    json!({"type": "integer", "minimum": lo, "maximum": hi})
}

/// Ansible tags: each non-empty, without commas or control characters.
fn tag_list() -> Value {
    json!({"type": "array", "items": {"type": "string", "minLength": 1, "pattern": TAG}})
}

/// One template field as `template::with_template_fields!` states it: its name, its value's
/// rule, how input sets it (`opt`: the stored template may hold null; `csv`: input may also
/// be one comma-separated string) and what it means (its doc comment).
struct TemplateField {
    name: &'static str,
    schema: Value,
    kind: &'static str,
    description: &'static str,
}

macro_rules! template_field_entries {
    ($(
        $(#[doc = $doc:literal])*
        $f:ident: $ty:ty = $default:expr; $kind:ident $(($($arg:tt)*))?; $rule:expr
    ),* $(,)?) => {
        vec![$(TemplateField {
            name: stringify!($f),
            schema: $rule,
            kind: stringify!($kind),
            description: concat!($($doc),*).trim_ascii(),
        }),*]
    };
}

fn template_fields() -> Vec<TemplateField> {
    crate::template::with_template_fields!(template_field_entries)
}

/// The template's fields, in order (`name` first): the keywords of Python's `Template(...)`.
pub fn template_field_names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| template_fields().iter().map(|t| t.name).collect())
}

/// The stored fields every template has besides its inputs.
fn template_stamps() -> [(&'static str, Value); 3] {
    [
        ("id", json!({"type": "string", "format": "uuid"})),
        (
            "created_at",
            json!({"type": "string", "format": "date-time"}),
        ),
        (
            "modified_at",
            json!({"type": "string", "format": "date-time"}),
        ),
    ]
}

/// Template input (`TemplateSpec`): every field optional and nullable (null: the default);
/// `name` and exactly one of profile, playbook, command are required to create one.
fn template_spec() -> Value {
    // The defaults are a default template's values (null: none; `name` has to be given).
    let defaults = serde_json::to_value(Template::defaults()).unwrap_or_default();
    let mut props = Map::new();
    for t in template_fields() {
        let mut schema = match t.kind {
            "csv" => json!({"anyOf": [
                t.schema,
                {"type": "string", "pattern": NO_CONTROL, "description": "comma-separated"},
            ]}),
            _ => t.schema,
        };
        match (&mut schema, &defaults[t.name]) {
            (_, Value::Null) => {}
            (Value::Object(m), default) if t.name != "name" => {
                m.insert("default".into(), default.clone());
            }
            _ => {}
        }
        props.insert(t.name.into(), described(nullable(schema), t.description));
    }
    for (name, schema) in template_stamps() {
        props.insert(
            name.into(),
            described(
                nullable(schema),
                "kept when re-loading a to_dict(); ignored on create",
            ),
        );
    }
    json!({
        "type": "object",
        "description": "template fields as given to create (name and exactly one of profile, playbook, command) or update (only the given fields change)",
        "properties": props,
        "additionalProperties": false,
        // Properties are a map (sorted once serialized): the fields' own order, for signatures.
        "x-order": template_field_names(),
    })
}

/// A stored template (`Template`, `Template.to_dict()`).
fn template() -> Value {
    let mut props = Map::new();
    for (name, schema) in template_stamps() {
        props.insert(name.into(), schema);
    }
    for t in template_fields() {
        let mut schema = t.schema;
        // An output, not an input: its defaults and the argv's first-item rule do not apply.
        if let Value::Object(m) = &mut schema {
            m.remove("default");
            m.remove("prefixItems");
        }
        let schema = if t.kind == "opt" {
            nullable(schema)
        } else {
            schema
        };
        props.insert(t.name.into(), described(schema, t.description));
    }
    let required: Vec<&String> = props.keys().collect();
    json!({"type": "object", "properties": props, "required": required})
}

fn object(props: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": props, "required": required})
}

fn time() -> Value {
    json!({"type": "string", "format": "date-time"})
}

fn host_result() -> Value {
    object(
        json!({
            "host": {"type": "string", "description": "the host as given (local://, ssh://user@host:port, an inventory name)"},
            "status": r("HostStatus"),
            "exit_code": nullable(json!({"type": "integer"})),
            "duration": {"type": "number", "minimum": 0, "description": "wall time of all attempts, seconds"},
            "attempts": {"type": "integer", "minimum": 0},
            "stdout": {"type": "string", "description": "the last bytes of the output (output_tail_bytes)"},
            "stderr": {"type": "string", "description": "the last bytes of the error output (output_tail_bytes)"},
            "message": nullable(json!({"type": "string"})),
            "started_at": nullable(time()),
            "finished_at": nullable(time()),
            "controls": {"type": "array", "items": r("ControlResult"), "description": "per InSpec control (profiles); absent when none"},
            "tasks": {"type": "array", "items": r("TaskResult"), "description": "per Ansible task (playbooks); absent when none"},
            "profile": r("ProfileInfo"),
        }),
        &[
            "host",
            "status",
            "exit_code",
            "duration",
            "attempts",
            "stdout",
            "stderr",
            "message",
            "started_at",
            "finished_at",
        ],
    )
}

fn job() -> Value {
    object(
        json!({
            "id": {"type": "string", "format": "uuid"},
            "template_id": nullable(json!({"type": "string", "format": "uuid"})),
            "template_name": {"type": "string"},
            "hosts": {"type": "array", "items": {"type": "string"}},
            "extra_vars": {"type": "object"},
            "status": r("JobStatus"),
            "created_at": time(),
            "started_at": nullable(time()),
            "finished_at": nullable(time()),
            "results": {"type": "array", "items": r("HostResult")},
            "error": nullable(json!({"type": "string", "description": "why the job could not run (status error)"})),
            "attempt": {"type": "integer", "minimum": 0, "description": "1 for the first run, 2… after a re-queue (0: never claimed)"},
            "worker": nullable(json!({"type": "string", "description": "the executor that claimed the current attempt"})),
        }),
        &[
            "id",
            "template_id",
            "template_name",
            "hosts",
            "extra_vars",
            "status",
            "created_at",
            "started_at",
            "finished_at",
            "results",
            "error",
        ],
    )
}

/// One event: `job_id`, `seq`, `time` and a `type` with that type's fields.
fn event() -> Value {
    let kind = |name: &str, props: Value, required: &[&str]| {
        let mut p = props;
        if let Value::Object(m) = &mut p {
            m.insert("type".into(), json!({"const": name}));
        }
        let mut req = vec!["type"];
        req.extend_from_slice(required);
        json!({"properties": p, "required": req})
    };
    let host = json!({"type": "string"});
    let attempt = json!({"type": "integer", "minimum": 1});
    json!({
        "type": "object",
        "properties": {
            "job_id": {"type": "string", "format": "uuid"},
            "seq": {"type": "integer", "minimum": 1, "description": "1, 2, 3… within the job; a gap means events were dropped for this subscriber"},
            "time": time(),
        },
        "required": ["job_id", "seq", "time", "type"],
        "oneOf": [
            kind("queued", json!({}), &[]),
            kind("started", json!({
                "attempt": {"type": "integer", "minimum": 1, "description": "1, or 2… after a re-queue: the events up to the next `started` are this attempt's"},
                "worker": nullable(json!({"type": "string", "description": "the executor that claimed the attempt"})),
            }), &["attempt", "worker"]),
            kind("host_started", json!({"host": host, "attempt": attempt}), &["host", "attempt"]),
            kind("host_output", json!({"host": host, "stream": r("Stream"), "line": {"type": "string"}}), &["host", "stream", "line"]),
            kind("host_retry", json!({"host": host, "attempt": attempt, "delay": {"type": "number", "minimum": 0}, "reason": {"type": "string"}}), &["host", "attempt", "delay", "reason"]),
            kind("host_finished", json!({"host": host, "status": r("HostStatus"), "exit_code": nullable(json!({"type": "integer"})), "duration": {"type": "number", "minimum": 0}}), &["host", "status", "exit_code", "duration"]),
            kind("lagged", json!({"missed": {"type": "integer", "minimum": 1}}), &["missed"]),
            kind("finished", json!({"status": r("JobStatus"), "error": nullable(json!({"type": "string"}))}), &["status", "error"]),
        ],
    })
}

/// A profile's header as a host result carries it (InSpec's JSON reporter's fields).
fn profile_info() -> Value {
    let text = || json!({"type": "string"});
    let opt_text = || nullable(text());
    let objects = || json!({"type": "array", "items": {"type": "object"}});
    let mut props = json!({
        "name": text(), "version": opt_text(), "title": opt_text(),
        "summary": opt_text(), "sha256": text(),
        "status": text(), "status_message": text(),
        "maintainer": text(), "license": text(), "copyright": text(), "copyright_email": text(),
    });
    let more = json!({
        "supports": objects(), "attributes": objects(), "depends": objects(),
        "platform": r("TargetPlatform"),
        "parent_profile": text(),
        // Each a ProfileInfo; not a `$ref` to itself, which the OpenAPI shim would inline
        // without end.
        "dependencies": {"type": "array", "items": {"type": "object"}},
    });
    if let (Some(p), Value::Object(m)) = (props.as_object_mut(), more) {
        p.extend(m);
    }
    object(props, &["name", "version", "title", "summary", "sha256"])
}

/// The whole schema: everything under `$defs`.
pub fn schema() -> Value {
    let opt_text = || nullable(json!({"type": "string"}));
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:ansible-inspec-rs:schema",
        "$defs": {
            "JobStatus": enum_of(&JobStatus::ALL),
            "HostStatus": enum_of(&HostStatus::ALL),
            "ControlStatus": variants!(ControlStatus: Passed, Failed, Skipped),
            "TaskStatus": variants!(TaskStatus: Ok, Changed, Failed, Unreachable, Skipped),
            "JobType": variants!(JobType: Run, Check, Scan),
            "Connection": variants!(Connection: Ssh, Local),
            "ProfileRunner": variants!(ProfileRunner: Native, Inspec, Auto),
            "Stream": variants!(Stream: Stdout, Stderr),
            "JobOrder": {"type": "string", "enum": crate::store::JobOrder::ALL.map(|o| o.as_str()), "default": crate::store::JobOrder::default().as_str()},
            "ReportFormat": {"type": "string", "enum": crate::report::Format::ALL.iter().map(|f| f.name()).collect::<Vec<_>>()},
            "Host": {
                "type": "string", "minLength": 1, "maxLength": crate::host::HOST_MAX,
                "pattern": host_pattern(),
                "description": "local://, ssh://user@host:22 or a name; no whitespace or control characters, no leading '-'",
            },
            "HostList": {"type": "string", "pattern": host_list_pattern(), "description": "hosts separated by commas"},
            "TemplateSpec": template_spec(),
            "Template": template(),
            "Job": job(),
            "HostResult": host_result(),
            "ControlResult": object(json!({
                "id": {"type": "string"}, "title": opt_text(), "desc": opt_text(),
                "impact": {"type": "number", "minimum": 0, "maximum": 1},
                "status": r("ControlStatus"),
                "results": {"type": "array", "items": r("ControlCheck")},
                "profile": {"type": "string", "description": "the dependency profile the control comes from (overlays)"},
            }), &["id", "title", "desc", "impact", "status", "results"]),
            "ControlCheck": object(json!({
                "status": r("ControlStatus"), "code_desc": {"type": "string"},
                "run_time": {"type": "number"}, "start_time": {"type": "string"},
                "message": {"type": "string"}, "skip_message": {"type": "string"},
                "resource": {"type": "string"}, "exception": {"type": "string"},
            }), &["status", "code_desc", "run_time", "start_time"]),
            "TaskResult": object(json!({
                "task": {"type": "string"}, "status": r("TaskStatus"),
                "message": {"type": "string"}, "duration": {"type": "number", "minimum": 0},
            }), &["task", "status", "duration"]),
            "ProfileInfo": profile_info(),
            "TargetPlatform": object(json!({
                "name": {"type": "string"}, "release": {"type": "string"},
            }), &["name", "release"]),
            "Event": event(),
        },
    })
}

/// The names of `$defs/NAME`'s properties.
#[cfg(test)]
fn property_names(schema: &Value, def: &str) -> std::collections::BTreeSet<String> {
    schema["$defs"][def]["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{
        ControlCheck, ControlResult, EventKind, HostResult, JobSnapshot, ProfileInfo, TaskResult,
    };
    use crate::template::TemplateSpec;
    use std::collections::BTreeSet;

    /// Hosts that pass and fail `host::validate_host` for each of its rules.
    const HOST_SAMPLES: &[&str] = &[
        "local://",
        "ssh://u@h:22",
        "web-1",
        "10.0.0.1",
        "[::1]",
        "é.example",
        "a-",
        "a,b",
        "",
        "-oProxyCommand=x",
        "a b",
        "a\tb",
        "a\nb",
        "a\u{7f}b",
        "a\u{85}b",
        "a\u{a0}b",
        "a\u{2003}b",
        "a\u{3000}b",
        "\u{9f}",
        "\u{1c}a",
    ];

    #[test]
    fn the_host_pattern_is_the_host_rule() {
        let host = regex::Regex::new(&host_pattern()).unwrap();
        for h in HOST_SAMPLES {
            let valid = crate::host::validate_host(h).is_ok();
            assert_eq!(host.is_match(h), valid, "{h:?}");
        }
        let long = "a".repeat(crate::host::HOST_MAX + 1);
        assert!(crate::host::validate_host(&long).is_err() && host.is_match(&long));
        assert_eq!(
            schema()["$defs"]["Host"]["maxLength"],
            crate::host::HOST_MAX
        );
    }

    #[test]
    fn a_host_list_holds_valid_hosts_between_commas() {
        let list = regex::Regex::new(&host_list_pattern()).unwrap();
        for h in HOST_SAMPLES.iter().filter(|h| !h.contains(',')) {
            let valid = h.is_empty() || crate::host::validate_host(h).is_ok();
            assert_eq!(list.is_match(&format!(" a , {h},b ")), valid, "{h:?}");
        }
    }

    fn keys(v: &impl Serialize) -> BTreeSet<String> {
        serde_json::to_value(v)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    fn full_host_result() -> HostResult {
        let mut r = HostResult::not_run("h", HostStatus::Passed, "m");
        r.controls = vec![ControlResult {
            id: "c".into(),
            title: None,
            desc: None,
            impact: 0.5,
            status: ControlStatus::Passed,
            results: vec![],
            profile: Some("dep".into()),
        }];
        r.tasks = vec![TaskResult {
            task: "t".into(),
            status: TaskStatus::Ok,
            message: Some("m".into()),
            duration: 0.0,
        }];
        let text = || Some("m".to_string());
        r.profile = Some(ProfileInfo {
            status: Some("skipped".into()),
            status_message: text(),
            maintainer: text(),
            license: text(),
            copyright: text(),
            copyright_email: text(),
            supports: vec![serde_json::json!({"platform": "linux"})],
            attributes: vec![serde_json::json!({"name": "i", "options": {}})],
            platform: Some(crate::job::TargetPlatform::default()),
            parent_profile: text(),
            depends: vec![serde_json::Map::new()],
            dependencies: vec![ProfileInfo::default()],
            ..ProfileInfo::default()
        });
        r
    }

    /// Every field the core serializes is in the schema and nothing else is: a field added
    /// to a struct fails here until the schema (and so Python, REST and the docs) has it.
    #[test]
    fn the_schema_describes_exactly_the_serialized_fields() {
        let s = schema();
        let t = Template::build(TemplateSpec {
            name: Some("t".into()),
            command: Some(vec!["true".into()]),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(keys(&t), property_names(&s, "Template"));
        assert_eq!(
            keys(&TemplateSpec::default()),
            property_names(&s, "TemplateSpec")
        );
        let r = full_host_result();
        assert_eq!(keys(&r), property_names(&s, "HostResult"));
        assert_eq!(keys(&r.controls[0]), property_names(&s, "ControlResult"));
        assert_eq!(keys(&r.tasks[0]), property_names(&s, "TaskResult"));
        assert_eq!(
            keys(r.profile.as_ref().unwrap()),
            property_names(&s, "ProfileInfo")
        );
        let check = ControlCheck {
            status: ControlStatus::Failed,
            code_desc: "d".into(),
            run_time: 0.0,
            start_time: String::new(),
            message: Some("m".into()),
            skip_message: Some("m".into()),
            resource: Some("r".into()),
            exception: Some("e".into()),
        };
        assert_eq!(keys(&check), property_names(&s, "ControlCheck"));
        let job = JobSnapshot {
            id: uuid::Uuid::new_v4(),
            template_id: None,
            template_name: "t".into(),
            hosts: vec![],
            extra_vars: Map::new(),
            status: JobStatus::Pending,
            created_at: chrono::Utc::now(),
            started_at: None,
            finished_at: None,
            results: vec![],
            error: None,
            attempt: 1,
            worker: Some("w".into()),
        };
        assert_eq!(keys(&job), property_names(&s, "Job"));
    }

    /// Each event kind's serialized fields are those of its `oneOf` branch.
    #[test]
    fn the_schema_describes_every_event_kind() {
        let s = schema();
        let branches = s["$defs"]["Event"]["oneOf"].as_array().unwrap();
        let kinds = [
            EventKind::Queued,
            EventKind::Started {
                attempt: 1,
                worker: Some("w".into()),
            },
            EventKind::HostStarted {
                host: "h".into(),
                attempt: 1,
            },
            EventKind::HostOutput {
                host: "h".into(),
                stream: Stream::Stdout,
                line: "l".into(),
            },
            EventKind::HostRetry {
                host: "h".into(),
                attempt: 1,
                delay: 1.0,
                reason: "r".into(),
            },
            EventKind::HostFinished {
                host: "h".into(),
                status: HostStatus::Passed,
                exit_code: None,
                duration: 0.0,
            },
            EventKind::Lagged { missed: 1 },
            EventKind::Finished {
                status: JobStatus::Successful,
                error: None,
            },
        ];
        assert_eq!(kinds.len(), branches.len());
        for (kind, branch) in kinds.iter().zip(branches) {
            let props: BTreeSet<String> = branch["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            assert_eq!(keys(kind), props, "{}", kind.name());
            assert_eq!(branch["properties"]["type"]["const"], kind.name());
        }
    }

    /// The ranges are the validation's: the bounds pass, one beyond fails, for each field.
    #[test]
    fn the_ranges_are_the_ones_the_validation_applies() {
        let s = schema();
        let spec = &s["$defs"]["TemplateSpec"]["properties"];
        for field in [
            "timeout",
            "forks",
            "retries",
            "verbosity",
            "connect_timeout",
        ] {
            let range = &spec[field]["anyOf"][0];
            let (lo, hi) = (
                range["minimum"].as_i64().unwrap(),
                range["maximum"].as_i64().unwrap(),
            );
            let build = |v: i64| {
                let mut d = serde_json::json!({"name": "t", "command": ["true"]});
                d[field] = v.into();
                Template::build(serde_json::from_value(d).unwrap())
            };
            assert!(build(lo).is_ok() && build(hi).is_ok(), "{field}");
            assert_eq!(build(lo - 1).unwrap_err().field, field);
            assert_eq!(build(hi + 1).unwrap_err().field, field);
        }
    }

    #[test]
    fn the_status_enums_list_every_status() {
        let s = schema();
        let names = |def: &str| s["$defs"][def]["enum"].as_array().unwrap().len();
        assert_eq!(names("JobStatus"), JobStatus::ALL.len());
        assert_eq!(names("HostStatus"), HostStatus::ALL.len());
        for st in JobStatus::ALL {
            assert!(s["$defs"]["JobStatus"]["enum"]
                .as_array()
                .unwrap()
                .contains(&st.as_str().into()));
        }
    }
}
