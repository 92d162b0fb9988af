//! The `inspec` runner: `inspec exec PROFILE -t ssh://…|local:// --reporter json:FILE`
//! (or `cinc-auditor exec`, InSpec's free rebuild) run here for each host, its JSON report
//! parsed into per-control results. Exit codes 0 (all passed), 100 (failures) and 101
//! (skips, no failures) are normal outcomes; anything else is an error or, when InSpec
//! could not connect, `unreachable`.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::RunContext;
use crate::error::RunnerError;
use crate::host::Target;
use crate::job::{
    ControlCheck, ControlResult, ControlStatus, HostResult, HostStatus, ProfileInfo, TargetPlatform,
};
use crate::template::Template;
use crate::transport::openssh::SshSettings;

/// The programs tried, in order.
pub const PROGRAMS: [&str; 2] = ["inspec", "cinc-auditor"];
/// Largest report read.
pub const REPORT_MAX_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug)]
pub struct InspecPlan {
    pub program: PathBuf,
    pub profile: String,
    /// Extra vars as InSpec inputs (`--input-file`, JSON being YAML).
    pub input_file: Option<PathBuf>,
    /// Where reports are written, one file per host and attempt.
    pub report_dir: PathBuf,
    /// `--controls`: the template's `controls` (ids and `/regex/` entries, passed as they
    /// are); empty: every control.
    pub controls: Vec<String>,
}

impl InspecPlan {
    pub fn new(
        template: &Template,
        profile: &str,
        extra_vars: &Map<String, Value>,
        job_id: &str,
        ctx: &RunContext,
    ) -> Result<Self, RunnerError> {
        let program =
            PROGRAMS
                .iter()
                .find_map(|p| ctx.find_tool(p))
                .ok_or(RunnerError::ToolMissing {
                    program: "InSpec",
                    hint: ": neither `inspec` nor `cinc-auditor` was found on PATH (install Chef \
                       InSpec or CINC Auditor to run profiles)",
                })?;
        let report_dir = ctx.runtime.path().join(format!("inspec-{job_id}"));
        std::fs::create_dir_all(&report_dir)
            .map_err(|e| RunnerError::file("create", &report_dir, e))?;
        let input_file = if extra_vars.is_empty() {
            None
        } else {
            let f = report_dir.join("inputs.yml");
            let text =
                serde_json::to_string(extra_vars).map_err(|e| RunnerError::file("write", &f, e))?;
            std::fs::write(&f, text).map_err(|e| RunnerError::file("write", &f, e))?;
            Some(f)
        };
        Ok(InspecPlan {
            program,
            // A Supermarket reference goes to InSpec as one, never as a local path.
            profile: if template.supermarket {
                format!("supermarket://{profile}")
            } else {
                profile.to_string()
            },
            input_file,
            report_dir,
            controls: template.controls.clone(),
        })
    }

    /// The argv for one host and the report file it writes.
    pub fn argv(
        &self,
        target: &Target,
        _connect_timeout: u32,
        ssh: &SshSettings,
    ) -> (Vec<String>, PathBuf) {
        let report = self
            .report_dir
            .join(format!("{}.json", uuid::Uuid::new_v4().simple()));
        let mut a = vec![
            self.program.display().to_string(),
            "exec".into(),
            // One argv item, whatever it contains.
            super::ansible::not_an_option(&self.profile),
            "-t".into(),
        ];
        match target {
            // `plan` refuses fixture hosts for the InSpec CLI.
            Target::Local | Target::Fixture(_) => a.push("local://".into()),
            Target::Ssh(t) => {
                a.push(t.uri());
                if let Some(key) = t.identity_file.as_ref().or(ssh.identity_file.as_ref()) {
                    a.extend(["-i".into(), key.clone()]);
                }
            }
        }
        a.extend([
            "--reporter".into(),
            format!("json:{}", report.display()),
            "--chef-license=accept-silent".into(),
            "--no-color".into(),
        ]);
        if let Some(f) = &self.input_file {
            a.extend(["--input-file".into(), f.display().to_string()]);
        }
        if !self.controls.is_empty() {
            // One argv item each, as given (ControlSelection refuses a leading '-', so none
            // reads as an option).
            a.push("--controls".into());
            a.extend(self.controls.iter().cloned());
        }
        (a, report)
    }
}

impl Drop for InspecPlan {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.report_dir);
    }
}

/// Messages InSpec (train) prints when it cannot reach the host.
const CONNECT_ERRORS: [&str; 6] = [
    "Failed to connect",
    "Connection refused",
    "No route to host",
    "connection closed by remote host",
    "Net::SSH::ConnectionTimeout",
    "Name or service not known",
];

/// Fills `r` from InSpec's exit code and report; true when the failure is transient.
pub fn interpret(code: Option<i32>, report: &Path, r: &mut HostResult) -> bool {
    let text = read_report(report);
    let _ = std::fs::remove_file(report);
    match code {
        Some(0 | 100 | 101) => match text.and_then(|t| parse_report(&t)) {
            Ok((profile, controls)) => {
                r.status = host_status(&controls);
                r.profile = profile;
                r.controls = controls;
                false
            }
            Err(e) => {
                r.status = HostStatus::Error;
                r.message = Some(format!("InSpec's report: {e}"));
                false
            }
        },
        _ => {
            if CONNECT_ERRORS
                .iter()
                .any(|m| r.stderr.contains(m) || r.stdout.contains(m))
            {
                r.status = HostStatus::Unreachable;
                r.message = Some(format!("unreachable: {}", crate::job::last_line(&r.stderr)));
                true
            } else {
                r.status = HostStatus::Error;
                r.message = Some(format!(
                    "inspec exited with {}: {}",
                    code.map_or("a signal".into(), |c| c.to_string()),
                    crate::job::last_line(&r.stderr)
                ));
                false
            }
        }
    }
}

fn read_report(path: &Path) -> Result<String, RunnerError> {
    let meta = std::fs::metadata(path).map_err(|e| RunnerError::file("read", path, e))?;
    if meta.len() > REPORT_MAX_BYTES {
        return Err(RunnerError::BadOutput(format!(
            "{} is larger than 256 MiB",
            path.display()
        )));
    }
    std::fs::read_to_string(path).map_err(|e| RunnerError::file("read", path, e))
}

/// The host's status from its controls: failed when any failed; skipped when all were
/// skipped; otherwise passed.
pub fn host_status(controls: &[ControlResult]) -> HostStatus {
    if controls.iter().any(|c| c.status == ControlStatus::Failed) {
        HostStatus::Failed
    } else if !controls.is_empty() && controls.iter().all(|c| c.status == ControlStatus::Skipped) {
        HostStatus::Skipped
    } else {
        HostStatus::Passed
    }
}

/// An array field of a report object (empty when absent).
fn list(v: &Value, k: &str) -> Vec<Value> {
    v.get(k)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(String::from)
}

fn check_status(v: &Value) -> ControlStatus {
    match v.get("status").and_then(Value::as_str) {
        Some("passed") => ControlStatus::Passed,
        Some("failed") => ControlStatus::Failed,
        _ => ControlStatus::Skipped,
    }
}

/// Parses InSpec's JSON report (`inspec exec --reporter json`): the top profile's
/// header, and every control that has results (a wrapper profile lists its dependencies'
/// controls without results; those come from the dependency profiles).
pub fn parse_report(text: &str) -> Result<(Option<ProfileInfo>, Vec<ControlResult>), RunnerError> {
    let bad = |why: String| RunnerError::BadOutput(format!("not an InSpec JSON report: {why}"));
    let doc: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let profiles = doc
        .get("profiles")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `profiles` list".into()))?;
    let top = profiles
        .iter()
        .find(|p| p.get("parent_profile").is_none())
        .or(profiles.first());
    let header = |p: &Value| ProfileInfo {
        name: s(p, "name").unwrap_or_default(),
        version: s(p, "version"),
        title: s(p, "title"),
        summary: s(p, "summary"),
        sha256: s(p, "sha256").unwrap_or_default(),
        status: s(p, "status").filter(|st| st != "loaded"),
        status_message: s(p, "status_message").filter(|m| !m.is_empty()),
        maintainer: s(p, "maintainer"),
        license: s(p, "license"),
        copyright: s(p, "copyright"),
        copyright_email: s(p, "copyright_email"),
        supports: list(p, "supports"),
        attributes: list(p, "attributes"),
        platform: doc.get("platform").and_then(|pl| {
            Some(TargetPlatform {
                name: s(pl, "name")?,
                release: s(pl, "release")?,
            })
        }),
        parent_profile: s(p, "parent_profile"),
        depends: p
            .get("depends")
            .and_then(Value::as_array)
            .map(|d| d.iter().filter_map(|e| e.as_object().cloned()).collect())
            .unwrap_or_default(),
        dependencies: Vec::new(),
    };
    let info = top.map(|t| {
        let mut info = header(t);
        info.dependencies = profiles
            .iter()
            .filter(|p| p.get("parent_profile").is_some())
            .map(header)
            .collect();
        info
    });
    let mut seen = std::collections::HashSet::new();
    let mut controls = Vec::new();
    for p in profiles {
        let Some(list) = p.get("controls").and_then(Value::as_array) else {
            continue;
        };
        for c in list {
            let results: Vec<ControlCheck> = c
                .get("results")
                .and_then(Value::as_array)
                .map(|rs| {
                    rs.iter()
                        .map(|r| ControlCheck {
                            status: check_status(r),
                            code_desc: s(r, "code_desc").unwrap_or_default(),
                            run_time: r.get("run_time").and_then(Value::as_f64).unwrap_or(0.0),
                            start_time: s(r, "start_time").unwrap_or_default(),
                            message: s(r, "message"),
                            skip_message: s(r, "skip_message"),
                            resource: s(r, "resource"),
                            exception: s(r, "exception"),
                        })
                        .collect()
                })
                .unwrap_or_default();
            if results.is_empty() {
                continue;
            }
            let id = s(c, "id").unwrap_or_default();
            if !seen.insert(id.clone()) {
                continue;
            }
            controls.push(ControlResult {
                // Results sit under the dependency profile InSpec ran them in.
                profile: p.get("parent_profile").and(s(p, "name")),
                status: ControlStatus::of(&results),
                title: s(c, "title"),
                desc: s(c, "desc"),
                impact: c.get("impact").and_then(Value::as_f64).unwrap_or(0.5),
                id,
                results,
            });
        }
    }
    Ok((info, controls))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = include_str!("../../tests/fixtures/inspec-json-example.json");

    #[test]
    fn parses_a_recorded_report() {
        let (profile, controls) = parse_report(REPORT).unwrap();
        let profile = profile.unwrap();
        assert_eq!(profile.name, "aws-s3-baseline");
        assert_eq!(controls.len(), 2);
        let results: usize = controls.iter().map(|c| c.results.len()).sum();
        assert_eq!(results, 6);
        assert!(controls.iter().any(|c| c.status == ControlStatus::Failed));
        assert_eq!(host_status(&controls), HostStatus::Failed);
    }

    /// The template's `controls` reach `inspec exec` as its `--controls`, one item each.
    #[test]
    fn controls_become_the_controls_option() {
        let dir = std::env::temp_dir().join(format!("airs-insp-{}", uuid::Uuid::new_v4()));
        let plan = |controls: Vec<String>| InspecPlan {
            program: "/usr/bin/inspec".into(),
            profile: "/p".into(),
            input_file: None,
            report_dir: dir.clone(),
            controls,
        };
        let ssh = SshSettings::default();
        let (argv, _) =
            plan(vec!["ssh-01".into(), "/^os-0[12]$/".into()]).argv(&Target::Local, 10, &ssh);
        let at = argv
            .iter()
            .position(|a| a == "--controls")
            .expect("--controls given");
        assert_eq!(argv[at + 1..], ["ssh-01", "/^os-0[12]$/"]);
        let (argv, _) = plan(Vec::new()).argv(&Target::Local, 10, &ssh);
        assert!(!argv.iter().any(|a| a == "--controls"), "{argv:?}");
        // From a template, through its validation.
        let t = Template::build(
            serde_json::from_value(serde_json::json!({
                "name": "i", "profile": "/p", "controls": ["a", "/b/"]
            }))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(t.controls, ["a", "/b/"]);
        let bad = Template::build(
            serde_json::from_value(serde_json::json!({
                "name": "i", "profile": "/p", "controls": ["/(/"]
            }))
            .unwrap(),
        )
        .unwrap_err();
        assert_eq!(bad.field, "controls");
    }

    #[test]
    fn exit_codes() {
        let dir = std::env::temp_dir().join(format!("airs-insp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("r.json");
        std::fs::write(&f, REPORT).unwrap();
        let mut r = HostResult::not_run("h", HostStatus::Error, "");
        assert!(!interpret(Some(100), &f, &mut r));
        assert_eq!(r.status, HostStatus::Failed);
        assert!(!f.exists(), "the report file is removed once read");

        let mut r = HostResult::not_run("h", HostStatus::Error, "");
        r.stderr = "Failed to connect to 10.0.0.1".into();
        assert!(interpret(Some(1), &f, &mut r));
        assert_eq!(r.status, HostStatus::Unreachable);

        let mut r = HostResult::not_run("h", HostStatus::Error, "");
        r.stderr = "Could not fetch inspec profile".into();
        assert!(!interpret(Some(1), &f, &mut r));
        assert_eq!(r.status, HostStatus::Error);
        assert!(r.message.unwrap().contains("Could not fetch"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
