//! The InSpec JSON report of an overlay profile (tests/fixtures/overlay-profiles) evaluated
//! on the recorded Debian 12 host: the overlay's entry lists every control (the included
//! ones without results), each loaded dependency has its own entry with `parent_profile`
//! and its results, and `depends` carries each dependency's status (as the recorded
//! wrapper report in /work/shared/reference/inspec-json-example-wrapper.json shows).

use crate::native::inspec::overlay::dependency_report;
use crate::native::overlay_tests::{debian, overlay, run};
use crate::native::resources::detect_platform;

#[test]
fn the_json_report_has_the_overlay_and_its_dependency_profiles() {
    use crate::job::{HostResult, HostStatus, JobSnapshot, JobStatus, ProfileInfo};
    let p = overlay();
    let platform = detect_platform(&debian()).unwrap();
    let (depends, dependencies) = dependency_report(&p, Some(&platform));
    let mut r = HostResult::not_run("fixture://debian12", HostStatus::Passed, "");
    r.controls = run(&p);
    r.profile = Some(ProfileInfo {
        name: "overlay".into(),
        depends,
        dependencies,
        ..ProfileInfo::default()
    });
    let job = JobSnapshot {
        id: uuid::Uuid::new_v4(),
        template_id: None,
        template_name: "t".into(),
        hosts: vec![r.host.clone()],
        extra_vars: serde_json::Map::new(),
        status: JobStatus::Successful,
        created_at: chrono::Utc::now(),
        started_at: None,
        finished_at: None,
        results: vec![r],
        error: None,
        attempt: 1,
        worker: None,
    };
    let v: serde_json::Value = serde_json::from_str(&crate::report::inspec_json(&job)).unwrap();
    let profiles = v["profiles"].as_array().unwrap();
    let heads: Vec<(&str, Option<&str>)> = profiles
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["parent_profile"].as_str()))
        .collect();
    assert_eq!(
        heads,
        [
            ("overlay", None),
            ("base", Some("overlay")),
            ("remote-baseline", Some("overlay"))
        ]
    );
    let ids = |p: &serde_json::Value| -> Vec<(String, usize)> {
        p["controls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_string(),
                    c["results"].as_array().unwrap().len(),
                )
            })
            .collect()
    };
    // The overlay lists every control it ran; the included ones without results.
    let top = ids(&profiles[0]);
    assert_eq!(top.len(), 7);
    assert!(top.contains(&("overlay-1".into(), 1)));
    assert!(top.contains(&("base-impact".into(), 0)));
    assert_eq!(
        ids(&profiles[1]),
        [
            ("base-input".to_string(), 1),
            ("base-impact".into(), 1),
            ("base-replaced".into(), 1),
            ("base-library".into(), 1)
        ]
    );
    assert_eq!(ids(&profiles[2]), [("remote-1".to_string(), 1)]);
    assert_eq!(profiles[0]["depends"][2]["status"], "skipped");
    for p in profiles {
        for key in [
            "name",
            "sha256",
            "supports",
            "attributes",
            "groups",
            "controls",
        ] {
            assert!(p.get(key).is_some(), "{key} missing in {}", p["name"]);
        }
    }
    // Counted once each.
    assert_eq!(v["statistics"]["controls"]["total"], 7);
}
