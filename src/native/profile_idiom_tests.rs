//! Ruby and InSpec idioms of public profiles' `libraries/` found by a third held-out set
//! (issue 15): Mash keys read and written as methods, resources deriving from a library
//! resource of another file, `return` inside a proc, recursive lambdas, `eq` through a
//! library class's `==`, custom matchers joined with `.and`/`.or`, `its(['k'])` on a Hash
//! subclass. Each snippet must both count as covered and pass when evaluated; expected
//! values follow Ruby's and InSpec's documentation.

use std::sync::Arc;

use crate::native::library_class_tests::passes;

/// The snippet counts as covered (every control natively evaluated) and passes.
fn covered_and_passes(libs: &[(&str, &str)], code: &str) {
    let src = crate::profile::ProfileSources {
        path: "test".into(),
        metadata: None,
        controls: vec![("controls/test.rb".into(), code.into())],
        libraries: libs
            .iter()
            .map(|(p, t)| (p.to_string(), Arc::from(*t)))
            .collect(),
    };
    let cov = crate::native::coverage::coverage(&crate::profile::build(&src).expect("parses"));
    assert!(
        cov.total == 1 && cov.supported == 1,
        "{:#?}",
        cov.controls
    );
    match libs {
        [(_, lib)] => {
            passes(lib, code);
        }
        _ => {
            let r = crate::native::testing::run_with(code, libs, serde_json::json!({}), None);
            let c = crate::native::testing::one(&r, "c");
            assert_eq!(c.status, crate::job::ControlStatus::Passed, "{c:#?}");
        }
    }
}

#[test]
fn mash_keys_are_read_and_written_as_methods() {
    // Hashie::Mash: `m.key` reads, `m.key = v` and `m.key ||= v` write (README, "Mash").
    covered_and_passes(
        &[(
            "libraries/lib.rb",
            r#"
class SettingsTable < Inspec.resource(1)
  name 'settings_table'

  def initialize(text)
    @h = Hashie::Mash.new
    text.lines.each do |l|
      k, v = l.strip.split(/\s*=\s*/, 2)
      if k.start_with?('Defaults')
        @h.Defaults ||= Hashie::Mash.new
        @h.Defaults[k.split(' ', 2)[1]] = v.split(',')
      else
        @h[k] = v
      end
    end
  end

  def settings
    @h
  end
end
"#,
        )],
        r#"
control 'c' do
  t = settings_table("Defaults env_reset = a,b\nDefaults  use_pty = yes\nroot = ALL\n")
  describe t.settings.Defaults['env_reset'] do
    it { should eq %w[a b] }
  end
  describe t.settings.Defaults.keys do
    it { should eq ['env_reset', 'use_pty'] }
  end
  describe t.settings['root'] do
    it { should eq 'ALL' }
  end
end
"#,
    );
}

#[test]
fn a_resource_may_derive_from_a_library_resource_of_another_file() {
    covered_and_passes(
        &[
            (
                "libraries/base_process.rb",
                r#"
class BaseProcess < Inspec.resource(1)
  name 'base_process'

  def initialize(flags = nil)
    @flags = flags
  end

  def params
    @params ||= @flags.to_s.scan(/--([\w-]+)=(\S+)/).to_h
  end

  def method_missing(name)
    params[name.to_s]
  end
end
"#,
            ),
            (
                "libraries/my_daemon.rb",
                r#"
require 'base_process'

class MyDaemon < BaseProcess
  name 'my_daemon'

  def initialize(flags = '--tls-min-version=VersionTLS12 --port=0')
    super(flags)
  end
end
"#,
            ),
        ],
        r#"
control 'c' do
  describe my_daemon do
    its('tls-min-version') { should cmp 'VersionTLS12' }
    its('port') { should cmp 0 }
  end
end
"#,
    );
}
