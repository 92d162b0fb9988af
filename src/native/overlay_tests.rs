//! Overlay profiles (tests/fixtures/overlay-profiles): `overlay` depends on `base` (a
//! `path:` dependency with a library resource and an input the overlay sets), on
//! `remote-baseline` (a git dependency read only from vendor/ through inspec.lock) and on
//! `windows-only` (whose `supports` excludes Linux), and includes them with
//! `skip_control`, overrides and `require_controls`. Evaluated on the recorded Debian 12
//! host, the outcomes are InSpec's, read from `lib/inspec/dsl.rb`, `rule.rb` (`merge`),
//! `input_registry.rb` and `profile.rb` (`load_libraries`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::inspec::overlay::dependency_report;
use super::resources::detect_platform;
use super::testing::{fixture_host, fixtures_dir};
use crate::job::{ControlResult, ControlStatus};
use crate::transport::Host;

pub(crate) fn debian() -> Arc<Host> {
    fixture_host("debian12")
}

pub(crate) fn overlay() -> crate::profile::Profile {
    crate::profile::load(fixtures_dir().join("overlay-profiles/overlay")).unwrap()
}

pub(crate) fn run(profile: &crate::profile::Profile) -> Vec<ControlResult> {
    super::evaluate(profile, debian(), &serde_json::Map::new())
}

/// (id, profile it is reported under, status, impact, title)
type Row = (String, Option<String>, ControlStatus, f64, Option<String>);

fn rows(results: &[ControlResult]) -> Vec<Row> {
    results
        .iter()
        .map(|c| {
            (
                c.id.clone(),
                c.profile.clone(),
                c.status,
                c.impact,
                c.title.clone(),
            )
        })
        .collect()
}

#[test]
fn dependencies_resolve_from_path_and_vendor() {
    let p = overlay();
    assert!(
        p.dependency_errors().is_empty(),
        "{:?}",
        p.dependency_errors()
    );
    let names: Vec<&str> = p.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["base", "remote-baseline", "windows-only"]);
    let remote = p.dependency("remote-baseline").unwrap();
    let dir = &remote.resolved.as_ref().unwrap().dir;
    assert!(
        dir.ends_with("vendor/0123456789abcdef0123456789abcdef01234567/remote-baseline-main"),
        "{dir:?}"
    );
    // `name-version`, as include_controls "ssh-2.6.0" names a versioned dependency.
    assert!(p.dependency("remote-baseline-1.0.0").is_some());
    assert!(p.dependency("nope").is_none());
}

#[test]
fn an_overlay_runs_its_controls_then_the_included_ones_as_inspec_merges_them() {
    let s = |x: &str| Some(x.to_string());
    let want: Vec<Row> = vec![
        // The overlay's own controls first (all_rules: own rules, then subcontexts);
        // overlay-2 uses the library resource of its dependency.
        ("overlay-1".into(), None, ControlStatus::Passed, 0.3, None),
        ("overlay-2".into(), None, ControlStatus::Passed, 0.5, None),
        // base: its input set by the overlay's `profile: base` entry (35 over 30).
        (
            "base-input".into(),
            s("base"),
            ControlStatus::Passed,
            0.7,
            s("The overlay sets this input"),
        ),
        // `impact 0.2` overrides; the title stays.
        (
            "base-impact".into(),
            s("base"),
            ControlStatus::Passed,
            0.2,
            s("Base impact"),
        ),
        // base-skipped: skip_control. base-replaced: the override's checks replace the
        // failing ones, its title replaces, the impact it does not set stays.
        (
            "base-replaced".into(),
            s("base"),
            ControlStatus::Passed,
            0.9,
            s("Replaced by the overlay"),
        ),
        (
            "base-library".into(),
            s("base"),
            ControlStatus::Passed,
            0.5,
            None,
        ),
        // require_controls: remote-1 only (remote-2 would fail). windows-only: none.
        (
            "remote-1".into(),
            s("remote-baseline"),
            ControlStatus::Passed,
            0.6,
            None,
        ),
    ];
    let got = run(&overlay());
    assert_eq!(rows(&got), want, "{got:#?}");
    let replaced = got.iter().find(|c| c.id == "base-replaced").unwrap();
    assert_eq!(replaced.results.len(), 1);
    assert_eq!(
        replaced.results[0].code_desc,
        "mine is expected to eq \"mine\""
    );
}

#[test]
fn the_dependency_alone_keeps_its_own_input() {
    let base = crate::profile::load(fixtures_dir().join("overlay-profiles/base")).unwrap();
    let got = run(&base);
    let input = got.iter().find(|c| c.id == "base-input").unwrap();
    assert_eq!(input.status, ControlStatus::Failed, "{input:#?}");
    assert_eq!(input.profile, None);
    // All five controls run when nothing filters them.
    assert_eq!(got.len(), 5);
}

#[test]
fn the_job_inputs_reach_dependencies_above_the_overlays_metadata() {
    let mut inputs = serde_json::Map::new();
    inputs.insert("base_greeting".into(), "from-the-job".into());
    let got = super::evaluate(&overlay(), debian(), &inputs);
    let input = got.iter().find(|c| c.id == "base-input").unwrap();
    assert_eq!(input.status, ControlStatus::Failed);
    let msg = input.results[0].message.as_deref().unwrap_or("");
    assert!(msg.contains("from-the-job"), "{msg}");
}

#[test]
fn the_report_lists_loaded_and_skipped_dependencies() {
    let p = overlay();
    let platform = detect_platform(&debian()).unwrap();
    let (depends, loaded) = dependency_report(&p, Some(&platform));
    let status: Vec<(&str, &str)> = depends
        .iter()
        .map(|d| (d["name"].as_str().unwrap(), d["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("base", "loaded"),
            ("remote-baseline", "loaded"),
            ("windows-only", "skipped")
        ]
    );
    assert_eq!(
        depends[2]["skip_message"],
        "Skipping profile: 'windows-only' on unsupported platform: 'debian/12.11'."
    );
    assert_eq!(depends[0]["path"], "../base");
    assert_eq!(
        depends[1]["git"],
        "https://example.invalid/remote-baseline.git"
    );
    let names: Vec<(&str, Option<&str>)> = loaded
        .iter()
        .map(|i| (i.name.as_str(), i.parent_profile.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("base", Some("overlay")),
            ("remote-baseline", Some("overlay"))
        ]
    );
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("airs-deps-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_dependency_that_is_not_vendored_is_an_error_naming_it() {
    let d = temp("novendor");
    write(
        &d,
        "inspec.yml",
        "name: o\ndepends:\n  - name: linux-baseline\n    url: https://example.invalid/l.tar.gz\n",
    );
    write(&d, "controls/a.rb", "include_controls 'linux-baseline'\n");
    let p = crate::profile::load(&d).unwrap();
    let errs = p.dependency_errors();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, "linux-baseline");
    assert!(errs[0].1.contains("no inspec.lock"), "{}", errs[0].1);
    // With a lock entry but no vendor/ directory.
    write(
        &d,
        "inspec.lock",
        "lockfile_version: 1\ndepends:\n- name: linux-baseline\n  resolved_source:\n    url: https://example.invalid/l.tar.gz\n    sha256: abc123\n",
    );
    let errs = crate::profile::load(&d).unwrap().dependency_errors();
    assert!(
        errs[0].1.contains("vendor/abc123 does not exist"),
        "{errs:?}"
    );
    // A lock of another version is refused when loading.
    write(&d, "inspec.lock", "lockfile_version: 2\ndepends: []\n");
    let e = crate::profile::load(&d).unwrap_err().to_string();
    assert!(e.contains("lockfile_version 2"), "{e}");
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn cycles_and_unknown_dependencies_are_errors() {
    let d = temp("cycle");
    write(
        &d,
        "a/inspec.yml",
        "name: a\ndepends:\n  - name: b\n    path: ../b\n",
    );
    write(&d, "a/controls/a.rb", "include_controls 'b'\n");
    write(
        &d,
        "b/inspec.yml",
        "name: b\ndepends:\n  - name: a\n    path: ../a\n",
    );
    write(&d, "b/controls/b.rb", "control 'b-1' do\nend\n");
    let a = crate::profile::load(d.join("a")).unwrap();
    let errs = a.dependency_errors();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].0, "a");
    assert!(errs[0].1.contains("cycle"), "{errs:?}");

    write(
        &d,
        "c/inspec.yml",
        "name: c\ndepends:\n  - name: b2\n    path: ../b2\n    version: '>= 2.0'\n",
    );
    write(
        &d,
        "c/controls/c.rb",
        "include_controls 'nope'\ncontrol 'c-1' do\nend\n",
    );
    write(&d, "b2/inspec.yml", "name: b2\nversion: 1.5.0\n");
    let c = crate::profile::load(d.join("c")).unwrap();
    let errs = c.dependency_errors();
    assert!(errs[0].1.contains("doesn't match >= 2.0"), "{errs:?}");

    // Including something that is not a dependency raises while the file loads: InSpec's
    // ProfileLoadFailed, the whole profile failed and none of its controls run.
    write(&d, "b2/inspec.yml", "name: b2\nversion: 2.5.0\n");
    let c = crate::profile::load(d.join("c")).unwrap();
    assert!(c.dependency_errors().is_empty());
    let got = super::evaluate_selected(
        &c,
        debian(),
        &serde_json::Map::new(),
        Arc::new(crate::job::ControlSelection::default()),
    );
    let msg = got.err().map(|f| f.0).unwrap_or_default();
    assert!(
        msg.starts_with("Failed to load source for controls/c.rb: ")
            && msg.contains("Cannot load 'nope' since it is not listed as a dependency of c"),
        "{msg}"
    );
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn coverage_counts_the_included_controls() {
    let cov = super::coverage(&overlay());
    let got: Vec<(&str, &str, bool)> = cov
        .controls
        .iter()
        .map(|c| (c.id.as_str(), c.file.as_str(), c.supported))
        .collect();
    assert_eq!(
        got,
        [
            ("overlay-1", "controls/overlay.rb", true),
            ("base-input", "base/controls/base.rb", true),
            ("base-impact", "base/controls/base.rb", true),
            ("base-replaced", "base/controls/base.rb", true),
            ("base-library", "base/controls/base.rb", true),
            ("remote-1", "remote-baseline/controls/remote.rb", true),
            ("win-1", "windows-only/controls/win.rb", true),
            ("overlay-2", "controls/overlay.rb", true),
        ],
        "{:#?}",
        cov.controls
    );
    assert_eq!((cov.total, cov.supported), (8, 8));
    // An override's construct blocks the control it overrides.
    let d = temp("cov");
    write(&d, "dep/inspec.yml", "name: dep\n");
    write(
        &d,
        "dep/controls/d.rb",
        "control 'd-1' do\n  describe file('/x') do\n    it { should exist }\n  end\nend\n",
    );
    write(
        &d,
        "top/inspec.yml",
        "name: top\ndepends:\n  - name: dep\n    path: ../dep\n",
    );
    write(
        &d,
        "top/controls/t.rb",
        "include_controls 'dep' do\n  control 'd-1' do\n    describe `id` do\n      it { should exist }\n    end\n  end\nend\n",
    );
    let cov = super::coverage(&crate::profile::load(d.join("top")).unwrap());
    assert_eq!(cov.total, 1);
    assert!(!cov.controls[0].supported, "{:#?}", cov.controls);
    std::fs::remove_dir_all(&d).ok();
}

#[test]
fn require_resource_names_one_dependencys_resource() {
    let d = temp("reqres");
    for (dep, text) in [("d1", "one"), ("d2", "two")] {
        write(&d, &format!("{dep}/inspec.yml"), &format!("name: {dep}\n"));
        write(
            &d,
            &format!("{dep}/libraries/g.rb"),
            &format!("class G < Inspec.resource(1)\n  name 'greeting'\n  def text\n    '{text}'\n  end\nend\n"),
        );
    }
    write(
        &d,
        "top/inspec.yml",
        "name: top\ndepends:\n  - name: d1\n    path: ../d1\n  - name: d2\n    path: ../d2\n",
    );
    write(
        &d,
        "top/controls/t.rb",
        "require_resource(profile: 'd1', resource: 'greeting', as: 'greeting_one')\n\
         require_resource(profile: 'd2', resource: 'greeting', as: 'greeting_two')\n\
         control 't-1' do\n\
           describe greeting_one do\n    its('text') { should eq 'one' }\n  end\n\
           describe greeting_two do\n    its('text') { should eq 'two' }\n  end\n\
         end\n",
    );
    let top = crate::profile::load(d.join("top")).unwrap();
    let got = run(&top);
    assert_eq!(got.len(), 1);
    let statuses: Vec<ControlStatus> = got[0].results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [ControlStatus::Passed, ControlStatus::Passed],
        "{got:#?}"
    );
    let cov = super::coverage(&top);
    assert_eq!((cov.total, cov.supported), (1, 1), "{:#?}", cov.controls);
    std::fs::remove_dir_all(&d).ok();
}

/// The layout of a real chain of overlays (a CMS overlay of an overlay of a STIG baseline,
/// its inspec.lock written by `inspec vendor`): path dependencies whose own url dependency
/// is listed under `dependencies:` of their lock entry and vendored in the top profile.
#[test]
fn a_chain_of_overlays_finds_the_nested_vendored_dependency() {
    let d = temp("chain");
    let sha = "7e89cb69f25966eae04f2f14e994efd32b3e4f5ff5e3c35ef0494e76bf64f81a";
    write(
        &d,
        "top/inspec.yml",
        "name: top\ndepends:\n  - name: mid\n    path: mid\n",
    );
    write(&d, "top/controls/top.rb", "include_controls 'mid'\n");
    write(
        &d,
        "top/inspec.lock",
        &format!(
            "---\nlockfile_version: 1\ndepends:\n- name: mid\n  resolved_source:\n    path: \"/Users/someone/top/mid\"\n  version_constraints: []\n  dependencies:\n  - name: stig\n    resolved_source:\n      url: https://example.invalid/stig/archive/v2.1.0.tar.gz\n      sha256: {sha}\n    version_constraints: []\n"
        ),
    );
    write(
        &d,
        "top/mid/inspec.yml",
        "name: mid\ndepends:\n  - name: stig\n    url: https://example.invalid/stig/archive/v2.1.0.tar.gz\n",
    );
    write(
        &d,
        "top/mid/controls/mid.rb",
        "include_controls \"stig\" do\n    control \"SV-1\" do\n        impact 0.0\n        desc \"caveat\", \"High HVA\"\n    end\nend\n",
    );
    let stig = format!("top/vendor/{sha}/stig-2.1.0");
    write(
        &d,
        &format!("{stig}/inspec.yml"),
        "name: stig\nversion: 2.1.0\n",
    );
    write(
        &d,
        &format!("{stig}/controls/sv.rb"),
        "control 'SV-1' do\n  impact 0.7\n  desc 'The default text'\n  describe file('/etc/os-release') do\n    it { should exist }\n  end\nend\n\ncontrol 'SV-2' do\n  impact 0.5\n  describe file('/etc/group') do\n    it { should exist }\n  end\nend\n",
    );
    let top = crate::profile::load(d.join("top")).unwrap();
    assert!(
        top.dependency_errors().is_empty(),
        "{:?}",
        top.dependency_errors()
    );
    let got = run(&top);
    let rows = got
        .iter()
        .map(|c| {
            (
                c.id.as_str(),
                c.profile.as_deref(),
                c.impact,
                c.desc.as_deref(),
                c.status,
            )
        })
        .collect::<Vec<_>>();
    assert_eq!(
        rows,
        [
            (
                "SV-1",
                Some("stig"),
                0.0,
                Some("The default text"),
                ControlStatus::Passed
            ),
            ("SV-2", Some("stig"), 0.5, None, ControlStatus::Passed),
        ]
    );
    // The report: mid under top, stig under mid.
    let (_, loaded) = dependency_report(&top, None);
    let heads: Vec<(&str, Option<&str>)> = loaded
        .iter()
        .map(|i| (i.name.as_str(), i.parent_profile.as_deref()))
        .collect();
    assert_eq!(heads, [("mid", Some("top")), ("stig", Some("mid"))]);
    std::fs::remove_dir_all(&d).ok();
}

/// `controls` (inspec exec --controls): only the selected controls run and are reported,
/// the profile's own (by id) and the included ones (by a /regex/), with the outcomes they
/// have in a full run.
#[test]
fn a_control_selection_runs_and_reports_only_its_controls() {
    let p = overlay();
    let all = run(&p);
    let own = all
        .iter()
        .find(|c| c.profile.is_none())
        .expect("own control");
    let included = all
        .iter()
        .find(|c| c.profile.is_some() && c.id != own.id)
        .expect("included control");
    let entries = vec![
        own.id.clone(),
        format!("/^{}$/", regex::escape(&included.id)),
    ];
    let selection = crate::job::ControlSelection::new(&entries).unwrap();
    let wanted = |c: &&ControlResult| c.id == own.id || c.id == included.id;
    let expected: Vec<Row> = rows(&all.iter().filter(wanted).cloned().collect::<Vec<_>>());
    let some = super::evaluate_selected(&p, debian(), &serde_json::Map::new(), Arc::new(selection))
        .expect("the profile loads");
    assert_eq!(rows(&some), expected);
    assert!(
        all.len() >= some.len() + 2,
        "the selection left controls out"
    );
    // No entry: every control, as `evaluate`.
    let every = super::evaluate_selected(
        &p,
        debian(),
        &serde_json::Map::new(),
        Arc::new(crate::job::ControlSelection::default()),
    )
    .expect("the profile loads");
    assert_eq!(rows(&every), rows(&all));
}
