//! How often a profile reaches its target. The mitre Ubuntu STIG shapes — a library resource
//! (their `virtualization`) built again in every control's `only_if`, one `command` whose
//! lines each become a `describe directory(...)`, several `its` on one command, the same
//! command and file in many controls — must ask each fact of the target once per host, as
//! InSpec's backend cache does (`inspec exec --backend-cache`, the default). A resource
//! re-read per `its`, per control or per instance would multiply the commands by the
//! number of controls; bounded here by count, not by time.

use std::collections::HashMap;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::job::ControlStatus;
use crate::native::resources::create;
use crate::transport::testing::CountingTransport;
use crate::transport::{Host, LocalTransport};

const LIBRARY: &str = r#"
class Virt < Inspec.resource(1)
  name 'virt'

  def initialize
    @cgroup = inspec.file('/proc/self/cgroup').content.to_s
    @container = inspec.file('/.dockerenv').exist? || inspec.command('echo container-probe').stdout.include?('probe')
  end

  def container?
    @container
  end

  def to_s
    'Virt'
  end
end
"#;

/// `n` controls in the STIG shape; control `c0` also lists directories from one command.
fn controls(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            r#"
control 'c{i}' do
  only_if('not in a container') {{ virt.container? }}
  dirs = command("printf '/tmp\n/var/tmp\n/tmp\n'").stdout.strip.split("\n")
  dirs.each do |d|
    describe directory(d) do
      it {{ should be_directory }}
      its('mode') {{ should cmp '01777' }}
      it {{ should be_sticky }}
    end
  end
  describe command('echo same') do
    its('stdout') {{ should eq "same\n" }}
    its('stderr') {{ should eq '' }}
    its('exit_status') {{ should eq 0 }}
  end
  describe file('/etc/hostname').content.to_s.length do
    it {{ should be >= 0 }}
  end
end
"#
        ));
    }
    text
}

#[test]
fn each_fact_is_asked_once_however_many_controls_ask_for_it() {
    let n = 25;
    let src = crate::profile::ProfileSources {
        path: "test".into(),
        metadata: None,
        controls: vec![("controls/stig.rb".into(), controls(n).into())],
        libraries: vec![("libraries/virt.rb".into(), Arc::from(LIBRARY))],
    };
    let profile = crate::profile::build(&src).expect("profile parses");
    let counting = CountingTransport::new(Box::new(LocalTransport::new()));
    let asked = counting.asked.clone();
    let host = Arc::new(Host::new(
        Box::new(counting),
        None,
        CancellationToken::new(),
    ));
    let results =
        crate::native::inspec::run::evaluate_with(&profile, host, &serde_json::Map::new(), &create);
    assert_eq!(results.len(), n);
    for c in &results {
        // 3 directories x 3 checks + 3 its + 1 describe: every example ran.
        assert_eq!(c.results.len(), 13, "{}: {:#?}", c.id, c.results);
        assert!(
            c.results.iter().all(|r| r.status != ControlStatus::Skipped),
            "{}: {:#?}",
            c.id,
            c.results
        );
    }
    let asked = asked.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut times: HashMap<&str, usize> = HashMap::new();
    for a in &asked {
        *times.entry(a.as_str()).or_default() += 1;
    }
    let repeated: Vec<(&&str, &usize)> = times.iter().filter(|(_, &k)| k > 1).collect();
    assert!(repeated.is_empty(), "asked more than once: {repeated:#?}");
    for wanted in [
        "run:printf '/tmp\n/var/tmp\n/tmp\n'",
        "run:echo same",
        "read:/etc/hostname",
        "read:/proc/self/cgroup",
    ] {
        assert_eq!(times.get(wanted), Some(&1), "{wanted} in {asked:#?}");
    }
    // Platform detection and the like add a few facts; none grows with the controls.
    assert!(
        asked.len() < 40,
        "{} facts for {n} controls: {asked:#?}",
        asked.len()
    );
}
