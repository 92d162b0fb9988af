//! InSpec's JSON reporter format: one `profiles[]` entry per host-profile pair, each with
//! a `platform.target_id` naming the host (the top-level `platform` names them all).
//! Hosts checked without InSpec (command, ansible) get one control per check so that
//! InSpec tools show them too. Valid against InSpec's `exec-json` schema.

use serde_json::{json, Value};

use super::{cases, CaseStatus};
use crate::job::{ControlCounts, ControlResult, ControlStatus, HostResult, JobSnapshot};

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
            }
        })
        .collect()
}

pub fn inspec_json(job: &JobSnapshot) -> String {
    let platform = |target: &str| json!({"name": "ansible-inspec-rs", "release": env!("CARGO_PKG_VERSION"), "target_id": target});
    let mut all: Vec<ControlResult> = Vec::new();
    let profiles: Vec<Value> = job
        .results
        .iter()
        .map(|r| {
            // A profile InSpec skipped (`supports`) has no controls, not a synthetic one.
            let skipped = r
                .profile
                .as_ref()
                .is_some_and(|p| p.status.as_deref() == Some("skipped"));
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
                "supports": [],
                "attributes": [],
                "groups": [{"id": "controls", "controls": ids}],
                "controls": controls.iter().map(|c| control_json(c, &r.host)).collect::<Vec<_>>(),
                "status": status,
                "status_message": status_message,
                "platform": platform(&r.host),
                "host_status": r.status.as_str(),
            });
            if let Some(v) = version {
                p["version"] = json!(v);
            }
            if let Some(s) = summary {
                p["summary"] = json!(s);
            }
            p
        })
        .collect();
    let duration = match (job.started_at, job.finished_at) {
        (Some(s), Some(f)) => (f - s).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    };
    let n = ControlCounts::of(&all);
    let doc = json!({
        "platform": platform(&job.hosts.join(",")),
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
}
