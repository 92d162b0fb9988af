//! InSpec's statistics of controls (formatters/base.rb `statistics`, reporters/cli.rb
//! `profile_summary`) over controls evaluated natively, through the JSON and CLI reports
//! (issue 14, section 2, finding 9).

use serde_json::Value;

use crate::job::{ControlCounts, ControlStatus, HostResult, HostStatus};

/// One control of each kind InSpec counts differently.
const CONTROLS: &str = r#"
control 'no-results' do
  title 'A control without describe blocks'
end
control 'impact-zero' do
  impact 0.0
  describe 1 do
    it { should eq 2 }
  end
end
control 'describe-raised' do
  describe 'a failing subject' do
    it { expect(nil.length).to eq 0 }
  end
end
control 'source-error' do
  describe 1 do
    it { should eq 1 }
  end
  raise ArgumentError, 'broken control'
end
control 'passed' do
  describe 1 do
    it { should eq 1 }
  end
end
control 'skipped-and-passed' do
  describe 1 do
    it { should eq 1 }
  end
  describe rpm_only('x') do
    it { should exist }
  end
end
describe 1 do
  it { should eq 1 }
end
"#;

#[test]
fn controls_are_counted_as_inspec_counts_them() {
    let controls = crate::native::testing::run(CONTROLS);
    let status = |id: &str| {
        controls
            .iter()
            .find(|c| c.id == id)
            .map(|c| (c.counted_as(), c.results.len()))
    };
    assert_eq!(status("no-results"), Some((None, 0)));
    // Impact 0 plays no part outside InSpec's enhanced outcomes.
    assert_eq!(
        status("impact-zero"),
        Some((Some(ControlStatus::Failed), 1))
    );
    assert_eq!(
        status("describe-raised"),
        Some((Some(ControlStatus::Failed), 1))
    );
    // The describe before the error counts, then InSpec's "Control Source Code Error".
    assert_eq!(
        status("source-error"),
        Some((Some(ControlStatus::Failed), 2))
    );
    assert_eq!(status("passed"), Some((Some(ControlStatus::Passed), 1)));
    assert_eq!(
        status("skipped-and-passed"),
        Some((Some(ControlStatus::Skipped), 2))
    );
    let n = ControlCounts::of(&controls);
    assert_eq!(
        (n.total(), n.passed, n.failed, n.skipped),
        (6, 2, 3, 1),
        "{controls:#?}"
    );

    let mut job = super::tests::sample_job();
    let mut host = HostResult::not_run("local://", HostStatus::Failed, "");
    host.controls = controls;
    job.hosts = vec!["local://".into()];
    job.results = vec![host];
    let v: Value = serde_json::from_str(&super::inspec_json(&job)).unwrap();
    let stats = &v["statistics"]["controls"];
    assert_eq!(
        (
            &stats["total"],
            &stats["passed"]["total"],
            &stats["failed"]["total"],
            &stats["skipped"]["total"]
        ),
        (&6.into(), &2.into(), &3.into(), &1.into())
    );
    // The control without results is still reported, with no results.
    let listed: Vec<&Value> = v["profiles"][0]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "no-results")
        .collect();
    assert_eq!(listed[0]["results"], serde_json::json!([]));
    // The CLI's profile summary also leaves out the anonymous control.
    let cli = super::cli(&job, false);
    assert!(
        cli.contains(
            "Profile Summary: 1 successful control, 3 control failures, 1 control skipped"
        ),
        "{cli}"
    );
}
