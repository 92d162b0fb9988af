//! Test doubles: a host that reads nothing ([`NullTransport`]), resources with fixed facts,
//! and helpers to evaluate a snippet.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::job::ControlResult;
use crate::native::resources::{Resource, ResourceError};
use crate::native::ruby::value::{Table, Value};
use crate::transport::testing::NullTransport;
use crate::transport::Host;

/// For the outcome tables of fixture-host tests: why `c` (control `id` on `host`) is not
/// InSpec's `inspec` outcome, with its checks' descriptions and messages; None when it is.
pub fn wrong_outcome(
    host: &str,
    id: &str,
    c: &ControlResult,
    inspec: crate::job::ControlStatus,
) -> Option<String> {
    if c.status == inspec {
        return None;
    }
    let msgs: Vec<String> = c
        .results
        .iter()
        .map(|r| format!("{} {:?} {:?}", r.code_desc, r.message, r.skip_message))
        .collect();
    Some(format!(
        "{host} {id}: {:?}, InSpec {inspec:?}: {msgs:?}",
        c.status
    ))
}

/// The fixture host states the outcome tables are written for, in their column order.
pub const FIXTURE_HOSTS: [&str; 3] = ["debian12", "ubuntu2004", "rhel8"];

pub fn fixtures_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A host answering from the recorded state in `dir` (`fixture://`).
pub fn fixture_host_at(dir: &std::path::Path) -> Arc<Host> {
    let t = crate::transport::fixture::FixtureTransport::open(dir);
    Arc::new(Host::new(Box::new(t), None, CancellationToken::new()))
}

/// The recorded host state `name` of tests/fixtures/hosts.
pub fn fixture_host(name: &str) -> Arc<Host> {
    fixture_host_at(&fixtures_dir().join("hosts").join(name))
}

/// The profile `name` of tests/fixtures/fixture-profiles.
pub fn fixture_profile(name: &str) -> crate::profile::Profile {
    crate::profile::load(fixtures_dir().join("fixture-profiles").join(name))
        .expect("fixture profile loads")
}

/// Fixture profile `profile` evaluated on the recorded host state `host`.
pub fn evaluate_on(host: &str, profile: &str) -> Vec<ControlResult> {
    crate::native::evaluate(
        &fixture_profile(profile),
        fixture_host(host),
        &serde_json::Map::new(),
    )
}

/// Every way `profile`'s results on the [`FIXTURE_HOSTS`] differ from InSpec's outcome
/// table (one status per host): a wrong status, a missing control, a count that differs, or
/// an example stopped at a construct the evaluator lacks or a command the state lacks.
pub fn wrong_outcomes_on_fixture_hosts(
    profile: &str,
    expected: &[(&str, [crate::job::ControlStatus; 3])],
) -> Vec<String> {
    let mut wrong = Vec::new();
    for (i, h) in FIXTURE_HOSTS.iter().enumerate() {
        let results = evaluate_on(h, profile);
        if results.len() != expected.len() {
            wrong.push(format!(
                "{h}: {} results for {} controls",
                results.len(),
                expected.len()
            ));
        }
        for (id, statuses) in expected {
            let Some(c) = results.iter().find(|c| c.id == *id) else {
                wrong.push(format!("{h} {id}: no result"));
                continue;
            };
            wrong.extend(wrong_outcome(h, id, c, statuses[i]));
            for r in &c.results {
                let text = format!("{:?} {:?}", r.message, r.skip_message);
                if text.contains("native evaluator") || text.contains("no recorded output") {
                    wrong.push(format!("{h} {id}: {text}"));
                }
            }
        }
    }
    wrong
}

/// The result of control `id` (the test fails when there is none).
pub fn one(results: &[ControlResult], id: &str) -> ControlResult {
    results
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("no control {id} in {results:#?}"))
}

pub fn host() -> Arc<Host> {
    Arc::new(Host::new(
        Box::<NullTransport>::default(),
        None,
        CancellationToken::new(),
    ))
}

/// A resource with fixed answers: `props` by method name, or by `name(args...)` with the
/// arguments' inspect (`owned_by?("root")`).
#[derive(Clone, Default)]
pub struct Fake {
    pub name: String,
    pub title: String,
    pub props: Vec<(String, Value)>,
    pub table: Option<Arc<Table>>,
    /// Every call fails (or skips) with this.
    pub error: Option<ResourceError>,
}

impl Fake {
    pub fn new(name: &str, title: &str) -> Self {
        Fake {
            name: name.into(),
            title: title.into(),
            ..Default::default()
        }
    }
    pub fn with(mut self, prop: &str, v: Value) -> Self {
        self.props.push((prop.into(), v));
        self
    }
}

impl Resource for Fake {
    fn name(&self) -> &str {
        &self.name
    }
    fn to_s(&self) -> String {
        self.title.clone()
    }
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let key = if args.is_empty() {
            method.to_string()
        } else {
            format!(
                "{method}({})",
                args.iter()
                    .map(|a| format!("{a:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        self.props
            .iter()
            .find(|(k, _)| *k == key || *k == method)
            .map(|(_, v)| v.clone())
            .ok_or(ResourceError::Unsupported {
                resource: self.name.clone(),
                method: method.into(),
            })
    }
    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(self.table.clone())
    }
}

/// The fakes every snippet test can use, by resource name and first argument.
pub fn fakes(name: &str, args: &[Value]) -> Option<Fake> {
    let arg = args
        .first()
        .map(crate::native::ruby::methods::to_s)
        .unwrap_or_default();
    let s = Value::str;
    Some(match (name, arg.as_str()) {
        ("os", _) => Fake::new("os", "Operating System Detection")
            .with("name", s("ubuntu"))
            .with("family", s("debian"))
            .with("release", s("22.04"))
            .with("debian?", Value::Bool(true))
            .with("redhat?", Value::Bool(false))
            .with("linux?", Value::Bool(true))
            .with("suse?", Value::Bool(false))
            .with("[](:name)", s("ubuntu")),
        ("file", "/etc/passwd") => Fake::new("file", "File /etc/passwd")
            .with("exist?", Value::Bool(true))
            .with("file?", Value::Bool(true))
            .with("mode", Value::Int(0o644))
            .with("owner", s("root"))
            .with("group", s("root"))
            .with("owned_by?(\"root\")", Value::Bool(true))
            .with("readable?(\"others\", nil)", Value::Bool(true))
            .with(
                "content",
                s("root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/bin:/sbin/nologin\n"),
            ),
        ("file", "/etc/shadow") => Fake::new("file", "File /etc/shadow")
            .with("exist?", Value::Bool(true))
            .with("mode", Value::Int(0o640))
            .with("group", s("shadow"))
            .with("file?", Value::Bool(true))
            .with("owned_by?(\"root\")", Value::Bool(true))
            .with("executable?", Value::Bool(false))
            .with("readable?(\"other\", nil)", Value::Bool(false))
            .with("readable?(\"owner\", nil)", Value::Bool(true))
            .with("writable?(\"owner\", nil)", Value::Bool(true))
            .with("readable?(\"group\", nil)", Value::Bool(true))
            .with("readable?(\"others\", nil)", Value::Bool(false)),
        ("file", p) => Fake::new("file", &format!("File {p}")).with("exist?", Value::Bool(false)),
        ("kernel_parameter", p) => Fake::new("kernel_parameter", &format!("Kernel Parameter {p}"))
            .with(
                "value",
                Value::Int(if p.contains("forward") { 1 } else { 0 }),
            ),
        ("sshd_config", _) => Fake::new("sshd_config", "SSH Configuration")
            .with("Protocol", s("2"))
            .with("PermitRootLogin", s("no"))
            .with("Ciphers", s("aes256-ctr,aes128-ctr")),
        ("command", c) => Fake::new("command", &format!("Command: `{c}`"))
            .with(
                "stdout",
                s(if c == "ssh -V" {
                    "7.9\n"
                } else {
                    "line1\nline2\n"
                }),
            )
            .with("exit_status", Value::Int(0))
            .with("exist?", Value::Bool(c != "missing")),
        ("package", p) => Fake::new("package", &format!("System Package {p}"))
            .with("installed?", Value::Bool(p == "openssh-server")),
        ("json", _) => Fake::new("json", "Docker Inspect").with(
            "params",
            Value::Hash(vec![(
                s("HostConfig"),
                Value::Hash(vec![(s("Privileged"), Value::Bool(false))]),
            )]),
        ),
        ("broken", _) => Fake {
            error: Some(ResourceError::Failed(
                "cannot read /etc/broken: permission denied".into(),
            )),
            ..Fake::new("broken", "Broken")
        },
        ("rpm_only", _) => Fake {
            error: Some(ResourceError::Skip(
                "The `rpm_only` resource is not supported on your OS".into(),
            )),
            ..Fake::new("rpm_only", "RPM only")
        },
        ("etc_fstab", _) => Fake {
            table: Some(Arc::new(Table {
                name: "File System Table File (fstab)".into(),
                fields: vec![
                    "device_name".into(),
                    "mount_point".into(),
                    "mount_options".into(),
                ],
                accessors: vec![("mount_points".into(), 1), ("device_names".into(), 0)],
                rows: vec![
                    vec![s("/dev/sda1"), s("/"), Value::Array(vec![s("defaults")])],
                    vec![
                        s("/dev/sda2"),
                        s("/home"),
                        Value::Array(vec![s("nodev"), s("nosuid")]),
                    ],
                    vec![
                        s("tmpfs"),
                        s("/tmp"),
                        Value::Array(vec![s("nodev"), s("noexec")]),
                    ],
                ],
                flattened: Vec::new(),
                predicates: Vec::new(),
                view: None,
                unloaded: None,
            })),
            ..Fake::new("etc_fstab", "File System Table File (fstab)")
        },
        _ => return None,
    })
}

pub fn fake_factory(
    name: &str,
    args: &[Value],
    _host: &Arc<Host>,
) -> Option<Result<Arc<dyn Resource>, ResourceError>> {
    fakes(name, args).map(|f| Ok(Arc::new(f) as Arc<dyn Resource>))
}

/// A profile of one controls file (`controls/test.rb`), optional libraries and inspec.yml.
pub fn snippet_profile(
    controls: &str,
    libraries: &[(&str, &str)],
    yml: Option<&str>,
) -> crate::profile::Profile {
    let src = crate::profile::ProfileSources {
        path: "test".into(),
        metadata: yml.map(str::to_string),
        controls: vec![("controls/test.rb".into(), controls.into())],
        libraries: libraries
            .iter()
            .map(|(p, t)| (p.to_string(), Arc::from(*t)))
            .collect(),
    };
    crate::profile::build(&src).expect("snippet parses")
}

/// Evaluates one controls file (and optional libraries) with the fakes.
pub fn run_with(
    controls: &str,
    libraries: &[(&str, &str)],
    inputs: serde_json::Value,
    yml: Option<&str>,
) -> Vec<ControlResult> {
    let profile = snippet_profile(controls, libraries, yml);
    let inputs = inputs.as_object().cloned().unwrap_or_default();
    crate::native::inspec::run::evaluate_with(&profile, host(), &inputs, &fake_factory)
}

pub fn run(controls: &str) -> Vec<ControlResult> {
    run_with(controls, &[], serde_json::json!({}), None)
}

/// Each result of control `id`: its code_desc, status and message (else skip message).
pub fn status_rows(
    r: &[ControlResult],
    id: &str,
) -> Vec<(String, crate::job::ControlStatus, Option<String>)> {
    one(r, id)
        .results
        .iter()
        .map(|x| {
            let m = x.message.clone().or_else(|| x.skip_message.clone());
            (x.code_desc.clone(), x.status, m)
        })
        .collect()
}

/// Evaluates a controls file with the native resources on `host`.
pub fn run_on(host: Arc<Host>, controls: &str) -> Vec<ControlResult> {
    let profile = snippet_profile(controls, &[], None);
    crate::native::evaluate(&profile, host, &serde_json::Map::new())
}
