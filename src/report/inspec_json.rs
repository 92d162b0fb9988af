//! InSpec's JSON reporter format: one `profiles[]` entry per host-profile pair, each with
//! a `platform.target_id` naming the host (the top-level `platform` names them all).
//! Hosts checked without InSpec (command, ansible) get one control per check so that
//! InSpec tools show them too. Valid against InSpec's `exec-json` schema.

use serde_json::{json, Value};

use super::{cases, CaseStatus};
use crate::job::{
    ControlCounts, ControlResult, ControlStatus, HostResult, JobSnapshot, TargetPlatform,
};

fn started(job: &JobSnapshot) -> String {
    job.started_at
        .unwrap_or(job.created_at)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn control_json(c: &ControlResult, host: &str) -> Value {
    let results: Vec<Value> = c
        .results
        .iter()
        .map(|r| {
            let mut v = json!({
                "status": r.status.as_str(),
                "code_desc": r.code_desc,
                "run_time": r.run_time,
                "start_time": r.start_time,
            });
            for (k, x) in [
                ("message", &r.message),
                ("skip_message", &r.skip_message),
                ("resource", &r.resource),
                ("exception", &r.exception),
            ] {
                if let Some(x) = x {
                    v[k] = json!(x);
                }
            }
            v
        })
        .collect();
    json!({
        "id": c.id,
        "title": c.title,
        "desc": c.desc,
        "descriptions": [],
        "impact": c.impact.clamp(0.0, 1.0),
        "refs": [],
        "tags": {"host": host},
        "code": "",
        "source_location": {"ref": "", "line": 0},
        "waiver_data": {},
        "results": results,
    })
}

/// A control in its host profile's entry: a dependency's control is listed there without
/// results, which sit in the dependency's own entry (as InSpec reports an overlay).
fn listed_control_json(c: &ControlResult, host: &str) -> Value {
    let mut v = control_json(c, host);
    if c.profile.is_some() {
        v["results"] = json!([]);
    }
    v
}

/// One `profiles[]` entry per dependency profile loaded for the host, with
/// `parent_profile`, its `depends` and the results of its controls.
fn dependency_profiles(
    info: &crate::job::ProfileInfo,
    controls: &[ControlResult],
    host: &str,
    platform: Value,
) -> Vec<Value> {
    info.dependencies
        .iter()
        .map(|d| {
            let own: Vec<&ControlResult> = controls
                .iter()
                .filter(|c| c.profile.as_deref() == Some(d.name.as_str()))
                .collect();
            let ids: Vec<&str> = own.iter().map(|c| c.id.as_str()).collect();
            let mut p = json!({
                "name": d.name,
                "title": d.title.clone().unwrap_or_else(|| d.name.clone()),
                "sha256": d.sha256,
                "supports": [],
                "attributes": [],
                "parent_profile": d.parent_profile,
                "groups": [{"id": "controls", "controls": ids}],
                "controls": own.iter().map(|c| control_json(c, host)).collect::<Vec<_>>(),
                "status": "loaded",
                "status_message": "",
                "platform": platform.clone(),
            });
            if !d.depends.is_empty() {
                p["depends"] = json!(d.depends);
            }
            if let Some(v) = &d.version {
                p["version"] = json!(v);
            }
            if let Some(s) = &d.summary {
                p["summary"] = json!(s);
            }
            p
        })
        .collect()
}

/// Controls for a host checked without InSpec: one per task or one for the command.
fn synthetic_controls(job: &JobSnapshot, r: &HostResult) -> Vec<ControlResult> {
    let start = started(job);
    cases(r, &job.template_name)
        .into_iter()
        .map(|c| {
            let status = match c.status {
                CaseStatus::Passed => ControlStatus::Passed,
                CaseStatus::Skipped => ControlStatus::Skipped,
                CaseStatus::Failed | CaseStatus::Error => ControlStatus::Failed,
            };
            let message = match c.status {
                CaseStatus::Error => Some(format!(
                    "{}: {}",
                    r.status.as_str(),
                    c.message.clone().unwrap_or_default()
                )),
                _ => c.message.clone(),
            };
            ControlResult {
                title: c.title.clone().or_else(|| Some(c.id.clone())),
                desc: None,
                impact: 0.5,
                status,
                results: vec![crate::job::ControlCheck {
                    status,
                    code_desc: format!("{} on {}", c.id, r.host),
                    run_time: c.time,
                    start_time: start.clone(),
                    message: if status == ControlStatus::Skipped {
                        None
                    } else {
                        message.clone()
                    },
                    skip_message: if status == ControlStatus::Skipped {
                        Some(message.unwrap_or_else(|| "skipped".into()))
                    } else {
                        None
                    },
                    resource: None,
                    exception: None,
                }],
                id: c.id,
                profile: None,
            }
        })
        .collect()
}

/// The `platform` object: the target's name and release (the `os` resource's, as InSpec),
/// or, where no platform was detected (a host not reached, a command or playbook run),
/// this tool's name and version so that the object stays schema-valid.
fn platform(known: Option<&TargetPlatform>, target: &str) -> Value {
    match known {
        Some(p) => json!({"name": p.name, "release": p.release, "target_id": target}),
        None => json!({
            "name": "ansible-inspec-rs",
            "release": env!("CARGO_PKG_VERSION"),
            "target_id": target,
        }),
    }
}

/// The report's top-level platform, for a job over several hosts: their common platform
/// when every host whose platform is known has the same one, else the tool's (as for a host
/// without one); `target_id` names every host.
fn job_platform(job: &JobSnapshot) -> Value {
    let mut known = job
        .results
        .iter()
        .filter_map(|r| r.profile.as_ref().and_then(|p| p.platform.as_ref()));
    let first = known.next();
    let common = first.filter(|f| known.all(|p| p == *f));
    platform(common, &job.hosts.join(","))
}

pub fn inspec_json(job: &JobSnapshot) -> String {
    let mut all: Vec<ControlResult> = Vec::new();
    let profiles: Vec<Value> = job
        .results
        .iter()
        .flat_map(|r| {
            // A profile InSpec skipped (`supports`) or failed to load has no controls, not
            // a synthetic one.
            let skipped = r
                .profile
                .as_ref()
                .is_some_and(|p| matches!(p.status.as_deref(), Some("skipped" | "failed")));
            let controls = if r.controls.is_empty() && !skipped {
                synthetic_controls(job, r)
            } else {
                r.controls.clone()
            };
            all.extend(controls.iter().cloned());
            let (name, version, title, summary, sha256) = match &r.profile {
                Some(p) => (
                    p.name.clone(),
                    p.version.clone(),
                    p.title.clone(),
                    p.summary.clone(),
                    p.sha256.clone(),
                ),
                None => (job.template_name.clone(), None, None, None, String::new()),
            };
            let ids: Vec<&str> = controls.iter().map(|c| c.id.as_str()).collect();
            let profile = r.profile.as_ref();
            let status = profile
                .and_then(|p| p.status.as_deref())
                .unwrap_or("loaded");
            let status_message = profile
                .and_then(|p| p.status_message.as_deref())
                .unwrap_or("");
            let mut p = json!({
                "name": name,
                "title": title.unwrap_or_else(|| format!("{} on {}", job.template_name, r.host)),
                "sha256": sha256,
                "supports": profile.map_or(&[][..], |p| &p.supports[..]),
                "attributes": profile.map_or(&[][..], |p| &p.attributes[..]),
                "groups": [{"id": "controls", "controls": ids}],
                "controls": controls.iter().map(|c| listed_control_json(c, &r.host)).collect::<Vec<_>>(),
                "status": status,
                "status_message": status_message,
                "platform": platform(profile.and_then(|p| p.platform.as_ref()), &r.host),
                "host_status": r.status.as_str(),
            });
            if let Some(v) = version {
                p["version"] = json!(v);
            }
            if let Some(s) = summary {
                p["summary"] = json!(s);
            }
            if let Some(info) = profile {
                for (k, v) in [
                    ("maintainer", &info.maintainer),
                    ("license", &info.license),
                    ("copyright", &info.copyright),
                    ("copyright_email", &info.copyright_email),
                ] {
                    if let Some(v) = v {
                        p[k] = json!(v);
                    }
                }
            }
            if status == "skipped" {
                // As InSpec's JSON reporter.
                p["skip_message"] = json!(status_message);
            }
            let mut entries = vec![p];
            if let Some(info) = profile.filter(|i| !i.depends.is_empty()) {
                entries[0]["depends"] = json!(info.depends);
                let on = platform(info.platform.as_ref(), &r.host);
                entries.extend(dependency_profiles(info, &controls, &r.host, on));
            }
            entries
        })
        .collect();
    let duration = match (job.started_at, job.finished_at) {
        (Some(s), Some(f)) => (f - s).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    let n = ControlCounts::of(&all);
    let doc = json!({
        "platform": job_platform(job),
        "profiles": profiles,
        "statistics": {
            "duration": duration,
            "controls": {
                "total": n.total(),
                "passed": {"total": n.passed},
                "skipped": {"total": n.skipped},
                "failed": {"total": n.failed},
            }
        },
        "version": env!("CARGO_PKG_VERSION"),
        "job": {"id": job.id, "template": job.template_name, "status": job.status.as_str()},
    });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_job;
    use super::*;

    #[test]
    fn one_profile_per_host_naming_it() {
        let job = sample_job();
        let v: Value = serde_json::from_str(&inspec_json(&job)).unwrap();
        let profiles = v["profiles"].as_array().unwrap();
        assert_eq!(profiles.len(), 4);
        let targets: Vec<&str> = profiles
            .iter()
            .map(|p| p["platform"]["target_id"].as_str().unwrap())
            .collect();
        assert_eq!(targets, job.hosts);
        assert_eq!(profiles[0]["controls"].as_array().unwrap().len(), 2);
        assert_eq!(profiles[0]["controls"][0]["results"][0]["status"], "failed");
        // The unreachable host shows as a failed control saying why.
        let c = &profiles[2]["controls"][0]["results"][0];
        assert_eq!(c["status"], "failed");
        assert!(c["message"].as_str().unwrap().starts_with("unreachable"));
        assert_eq!(v["statistics"]["controls"]["total"], 5);
        assert_eq!(v["statistics"]["controls"]["failed"]["total"], 2);
    }

    #[test]
    fn a_profile_skipped_for_its_platform_has_inspecs_status_and_no_controls() {
        let mut job = sample_job();
        let msg = "Skipping profile: 'p' on unsupported platform: 'debian/12.11'.";
        let r = &mut job.results[0];
        r.controls.clear();
        r.status = crate::job::HostStatus::Skipped;
        r.profile = Some(crate::job::ProfileInfo {
            name: "p".into(),
            status: Some("skipped".into()),
            status_message: Some(msg.into()),
            ..Default::default()
        });
        let v: Value = serde_json::from_str(&inspec_json(&job)).unwrap();
        let p = &v["profiles"][0];
        assert_eq!(
            (p["status"].as_str(), p["status_message"].as_str()),
            (Some("skipped"), Some(msg))
        );
        assert_eq!(p["controls"].as_array().unwrap().len(), 0);
        assert_eq!(v["profiles"][1]["status"], "loaded");
        assert_eq!(v["profiles"][1]["status_message"], "");
    }

    #[test]
    fn profiles_carry_inspec_yml_and_the_targets_platform() {
        let yml = "name: p\nmaintainer: The Authors\nlicense: Apache-2.0\ncopyright: The Authors\ncopyright_email: a@example.org\nsupports:\n  - os-family: debian\n  - platform-name: ubuntu\n    release: 20.04\ninputs:\n  - name: max_days\n    value: 60\n    type: Numeric\n    description: Days\n  - name: secret\n    value: hunter2\n    sensitive: true\n";
        let src = crate::profile::ProfileSources {
            path: "p".into(),
            metadata: Some(yml.into()),
            controls: vec![(
                "controls/c.rb".into(),
                "control 'c' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n".into(),
            )],
            libraries: Vec::new(),
        };
        let profile = crate::profile::build(&src).unwrap();
        let inputs: serde_json::Map<String, Value> =
            serde_json::from_value(json!({"max_days": 90})).unwrap();
        let mut info = crate::runner::native::profile_info(&profile, &inputs);
        info.platform = Some(TargetPlatform {
            name: "debian".into(),
            release: "12.11".into(),
        });
        let mut job = sample_job();
        job.results[0].profile = Some(info.clone());
        job.results[3].profile = Some(info);
        let v: Value = serde_json::from_str(&inspec_json(&job)).unwrap();
        let p = &v["profiles"][0];
        assert_eq!(
            p["platform"],
            json!({"name": "debian", "release": "12.11", "target_id": "ssh://root@10.0.0.1"})
        );
        for (k, want) in [
            ("maintainer", "The Authors"),
            ("license", "Apache-2.0"),
            ("copyright", "The Authors"),
            ("copyright_email", "a@example.org"),
        ] {
            assert_eq!(p[k], want, "{k}");
        }
        assert_eq!(
            p["supports"],
            json!([{"platform-family": "debian"}, {"platform-name": "ubuntu", "release": "20.04"}])
        );
        assert_eq!(
            p["attributes"],
            json!([
                {"name": "max_days", "options": {"description": "Days", "type": "Numeric", "value": 90}},
                {"name": "secret", "options": {"value": "***", "sensitive": true}},
            ])
        );
        // Hosts without a detected platform keep a schema-valid one naming this tool; the
        // top level names the hosts' common platform.
        assert_eq!(v["profiles"][1]["platform"]["name"], "ansible-inspec-rs");
        assert_eq!(v["platform"]["name"], "debian");
        assert_eq!(v["platform"]["release"], "12.11");
        // Different platforms: the top level cannot name one.
        job.results[3].profile.as_mut().unwrap().platform = Some(TargetPlatform {
            name: "redhat".into(),
            release: "8.10".into(),
        });
        let v: Value = serde_json::from_str(&inspec_json(&job)).unwrap();
        assert_eq!(v["platform"]["name"], "ansible-inspec-rs");
        assert_eq!(v["profiles"][3]["platform"]["name"], "redhat");
    }
}
