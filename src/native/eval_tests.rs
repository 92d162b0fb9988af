use serde_json::json;

use crate::job::{ControlResult, ControlStatus};
use crate::native::testing::{run, run_with};

fn one(results: &[ControlResult], id: &str) -> ControlResult {
    results
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .unwrap_or_else(|| panic!("no control {id} in {results:#?}"))
}

/// Each result's status, code_desc and message.
fn outcomes(c: &ControlResult) -> Vec<(ControlStatus, String, String)> {
    c.results
        .iter()
        .map(|x| {
            (
                x.status,
                x.code_desc.clone(),
                x.message.clone().unwrap_or_default(),
            )
        })
        .collect()
}

fn rows(want: &[(ControlStatus, &str, &str)]) -> Vec<(ControlStatus, String, String)> {
    want.iter()
        .map(|(s, d, m)| (*s, d.to_string(), m.to_string()))
        .collect()
}

fn descs(r: &ControlResult) -> Vec<String> {
    r.results.iter().map(|c| c.code_desc.clone()).collect()
}

#[test]
fn code_desc_wording_for_common_forms() {
    let r = run(r##"
control 'c1' do
  impact 1.0
  title 'Passwd'
  describe file('/etc/passwd') do
    it { should exist }
    it { should be_owned_by 'root' }
    its('group') { should eq 'root' }
    its('mode') { should cmp '0644' }
  end
  describe file('/etc/shadow') do
    it { should_not be_readable.by('others') }
  end
  describe kernel_parameter('net.ipv4.conf.all.rp_filter') do
    its('value') { should eq 0 }
  end
  describe sshd_config do
    its('Protocol') { should cmp 2 }
    its('PermitRootLogin') { should match /^no$/ }
    its('Ciphers') { should include 'aes256-ctr' }
  end
  describe package('openssh-server') do
    it { should be_installed }
  end
end
"##);
    let c = one(&r, "c1");
    assert_eq!(c.title.as_deref(), Some("Passwd"));
    assert_eq!(c.impact, 1.0);
    assert_eq!(
        descs(&c),
        vec![
            "File /etc/passwd is expected to exist",
            "File /etc/passwd is expected to be owned by \"root\"",
            "File /etc/passwd group is expected to eq \"root\"",
            "File /etc/passwd mode is expected to cmp == \"0644\"",
            "File /etc/shadow is expected not to be readable by others",
            "Kernel Parameter net.ipv4.conf.all.rp_filter value is expected to eq 0",
            "SSH Configuration Protocol is expected to cmp == 2",
            "SSH Configuration PermitRootLogin is expected to match /^no$/",
            "SSH Configuration Ciphers is expected to include \"aes256-ctr\"",
            "System Package openssh-server is expected to be installed",
        ]
    );
    assert!(
        c.results.iter().all(|x| x.status == ControlStatus::Passed),
        "{c:#?}"
    );
    assert_eq!(c.status, ControlStatus::Passed);
    assert_eq!(c.results[0].resource.as_deref(), Some("File /etc/passwd"));
    assert!(c.results[0].start_time.contains('T'));
}

#[test]
fn failure_messages_in_inspec_style() {
    let r = run(r##"
control 'f' do
  describe kernel_parameter('net.ipv4.ip_forward') do
    its('value') { should eq 0 }
    its('value') { should cmp '2' }
  end
  describe file('/etc/shadow') do
    its('mode') { should cmp '0644' }
  end
end
"##);
    let c = one(&r, "f");
    assert_eq!(c.status, ControlStatus::Failed);
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("\nexpected: 0\n     got: 1\n\n(compared using ==)\n")
    );
    assert_eq!(
        c.results[1].message.as_deref(),
        // `"expected: %s" % [@expected]` (matchers.rb format_expectation): no quotes.
        Some("\nexpected: 2\n     got: 1\n\n(compared using `cmp` matcher)\n")
    );
    assert_eq!(
        c.results[2].message.as_deref(),
        Some("\nexpected: 0644\n     got: 0640\n\n(compared using `cmp` matcher)\n")
    );
}

#[test]
fn interpolation_case_loops_and_file_variables() {
    let r = run(r##"
prefix = 'net.ipv4'
params = { 'ip_forward' => 0, 'conf.all.rp_filter' => 0 }
params.each do |name, want|
  control "sysctl-#{name}" do
    describe kernel_parameter("#{prefix}.#{name}") do
      its('value') { should eq want }
    end
  end
end
kind = case os.family
       when 'redhat' then 'rpm'
       when 'debian', 'ubuntu' then 'deb'
       else 'other'
       end
control 'kind' do
  describe kind do
    it { should eq 'deb' }
  end
end
"##);
    assert_eq!(one(&r, "sysctl-ip_forward").status, ControlStatus::Failed);
    assert_eq!(
        one(&r, "sysctl-conf.all.rp_filter").status,
        ControlStatus::Passed
    );
    let k = one(&r, "kind");
    assert_eq!(descs(&k), vec!["deb is expected to eq \"deb\""]);
    assert_eq!(k.status, ControlStatus::Passed);
}

#[test]
fn builtin_methods_on_strings_arrays_hashes() {
    let r = run(r##"
control 'b' do
  lines = command('x').stdout.split("\n").map(&:strip).reject(&:empty?)
  users = %w(b a c a).uniq.sort
  h = { a: 1, 'b' => [1, 2] }
  describe lines do
    its('size') { should eq 2 }
    it { should include 'line2' }
  end
  describe users.join(',') do
    it { should eq 'a,b,c' }
  end
  describe h.dig('b', 1) + h.fetch(:a) + h.keys.length do
    it { should eq 5 }
  end
  describe format('%04o', 420) do
    it { should eq '0644' }
  end
  describe 'Abc'.downcase.start_with?('ab') && !'x'.empty? do
    it { should eq true }
  end
  describe (1..4).select(&:even?).map { |x| x * 10 } do
    it { should eq [20, 40] }
  end
  describe 'a=1 b=2'.scan(/(\w)=(\d)/).to_h do
    it { should eq({ 'a' => '1', 'b' => '2' }) }
  end
  describe 'ab-cd'.gsub('-', '_').sub(/^a/) { |m| m.upcase } do
    it { should eq 'Ab_cd' }
  end
end
"##);
    let c = one(&r, "b");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert_eq!(c.results.len(), 9);
}

#[test]
fn inputs_precedence_and_typing() {
    let yml = "name: t\nversion: 1.0.0\ninputs:\n  - name: from_yml\n    value: '42'\n    type: Numeric\n  - name: overridden\n    value: yml\n";
    let code = r##"
a = input('from_yml', value: 1)
b = input('overridden', value: 'dsl')
c = input('dsl_only', value: 'dsl')
d = input('job', value: 'dsl')
control 'i' do
  describe a do
    it { should eq 42 }
  end
  describe b do
    it { should eq 'job' }
  end
  describe c do
    it { should eq 'dsl' }
  end
  describe d do
    it { should eq [1, 2] }
  end
end
"##;
    let r = run_with(
        code,
        &[],
        json!({"overridden": "job", "job": [1, 2]}),
        Some(yml),
    );
    let c = one(&r, "i");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
}

#[test]
fn metadata_hash_inputs_have_symbol_keys_below_the_top() {
    // metadata.rb symbolizes every key; the registry re-keys only the top level with strings.
    let yml = "name: t\nversion: 1.0.0\ninputs:\n  - name: modes\n    type: Hash\n    value:\n      max:\n        log_files: '0640'\n        list:\n          - a: 1\n";
    let code = r##"
control 'h' do
  describe input('modes')['max'][:log_files] do
    it { should eq '0640' }
  end
  describe input('modes')['max']['log_files'] do
    it { should eq nil }
  end
  describe input('modes')['max'][:list] do
    it { should eq [{ a: 1 }] }
  end
  describe input('job')['k'] do
    it { should eq({ 'n' => 1 }) }
  end
end
"##;
    let r = run_with(code, &[], json!({"job": {"k": {"n": 1}}}), Some(yml));
    let c = one(&r, "h");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert_eq!(c.results.len(), 4);
}

#[test]
fn its_sends_a_name_no_def_makes_and_the_resource_raises_no_method_error() {
    // rspec-its sends the string; without method_missing a resource raises NoMethodError.
    let r = run(r##"
control 'n' do
  describe file('/etc/passwd') do
    its('runlevels(?-mix:0)') { should be_enabled }
  end
end
control 'one' do
  describe.one do
    describe file('/etc/passwd') do
      it { should exist }
    end
    describe file('/etc/passwd') do
      its('runlevels(?-mix:0)') { should be_enabled }
    end
  end
end
"##);
    let n = one(&r, "n");
    assert_eq!(n.status, ControlStatus::Failed, "{n:#?}");
    let msg = n.results[0].message.clone().unwrap_or_default();
    assert!(
        msg.contains("undefined method `runlevels(?-mix:0)'"),
        "{msg}"
    );
    assert_eq!(one(&r, "one").status, ControlStatus::Passed, "{r:#?}");
}

#[test]
fn hash_order_operators_are_subset_tests() {
    // hash.c: Hash#>= is a superset test (`should be >= {...}`, RSpec's BeComparedTo).
    let r = run(r##"
h = { 'a' => '1', 'b' => '2' }
control 'h' do
  describe h do
    it { should be >= { 'a' => '1' } }
    it { should_not be >= { 'a' => '2' } }
    it { should be > { 'a' => '1' } }
    it { should_not be > h }
    it { should be <= { 'a' => '1', 'b' => '2', 'c' => 3 } }
  end
  describe [h >= {}, h < h, {} < h, h <= { 'a' => '1' }] do
    it { should eq [true, false, true, false] }
  end
end
control 'f' do
  describe({}) do
    it { should be >= { 'k' => '1' } }
  end
end
"##);
    assert_eq!(one(&r, "h").status, ControlStatus::Passed, "{r:#?}");
    let f = one(&r, "f");
    assert_eq!(f.status, ControlStatus::Failed, "{f:#?}");
    assert_eq!(
        f.results[0].message.as_deref(),
        Some("expected: >= {\"k\"=>\"1\"}\n     got:    {}")
    );
}

#[test]
fn should_without_a_matcher_is_rspecs_operator_matcher() {
    // operators.rb: `should >= 1` sends the operator to the subject; its own messages.
    let r = run(r##"
control 'o' do
  describe 'x' do
    subject { '0' }
    it { should >= '1' }
  end
  describe 5 do
    it { should >= 3 }
    it { should_not < 3 }
    it { should == 5 }
    it { should == 6 }
    it { should_not >= 3 }
  end
end
"##);
    let c = one(&r, "o");
    use ControlStatus::{Failed as F, Passed as P};
    let want = [
        (
            F,
            "x is expected to >= \"1\"",
            "expected: >= \"1\"\n     got:    \"0\"",
        ),
        (P, "5 is expected to >= 3", ""),
        (P, "5 is expected not to < 3", ""),
        (P, "5 is expected to == 5", ""),
        (
            F,
            "5 is expected to == 6",
            "expected: 6\n     got: 5 (using ==)",
        ),
        (
            F,
            "5 is expected not to >= 3",
            "expected not: >= 3\n         got:    5",
        ),
    ];
    assert_eq!(outcomes(&c), rows(&want));
}

#[test]
fn be_between_is_rspecs_be_between() {
    // be_between.rb: >= and <= (> and < when exclusive); an ArgumentError is a mismatch.
    let r = run(r##"
control 'b' do
  describe 'RHEL' do
    it 'is not a supported release' do
      expect('12.11').to be_between(7.6, 7.9), 'msg'
    end
  end
  describe 5 do
    it { should be_between(1, 7) }
    it { should be_between(6, 7) }
    it { should be_between(5, 7).exclusive }
    it { should be_between(5, 7).inclusive }
  end
  describe 'b' do
    it { should be_between('a', 'c') }
    it { should be_between(1, 2) }
  end
end
"##);
    let c = one(&r, "b");
    use ControlStatus::{Failed as F, Passed as P};
    let want = [
        (F, "RHEL is not a supported release", "msg"),
        (P, "5 is expected to be between 1 and 7 (inclusive)", ""),
        (
            F,
            "5 is expected to be between 6 and 7 (inclusive)",
            "expected 5 to be between 6 and 7 (inclusive)",
        ),
        (
            F,
            "5 is expected to be between 5 and 7 (exclusive)",
            "expected 5 to be between 5 and 7 (exclusive)",
        ),
        (P, "5 is expected to be between 5 and 7 (inclusive)", ""),
        (
            P,
            "b is expected to be between \"a\" and \"c\" (inclusive)",
            "",
        ),
        (
            F,
            "b is expected to be between 1 and 2 (inclusive)",
            "expected \"b\" to be between 1 and 2 (inclusive)",
        ),
    ];
    assert_eq!(outcomes(&c), rows(&want));
}

#[test]
fn an_inputs_value_set_in_one_control_file_holds_in_the_later_ones() {
    // input_registry.rb keeps one registry per profile: `attribute('x', default: v)` in
    // one file gives `input('x')` its value in the files evaluated after it.
    let src = crate::profile::ProfileSources {
        path: "test".into(),
        metadata: None,
        controls: vec![
            (
                "controls/a.rb".into(),
                "CONF = attribute('conf', default: '/etc/x.conf')\nFLAG = input('flag', value: 1, priority: 50)\n".into(),
            ),
            (
                "controls/b.rb".into(),
                "control 'b' do\n  describe [input('conf'), input('flag'), input('other').to_s] do\n    it { should eq ['/etc/x.conf', 1, \"Input 'other' does not have a value. Skipping test.\"] }\n  end\nend\n".into(),
            ),
        ],
        libraries: Vec::new(),
    };
    let profile = crate::profile::build(&src).expect("parses");
    let inputs = json!({"flag": 2});
    let r = crate::native::inspec::run::evaluate_with(
        &profile,
        crate::native::testing::host(),
        inputs.as_object().expect("object"),
        &crate::native::testing::fake_factory,
    );
    let c = one(&r, "b");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
}

#[test]
fn begin_rescue_ensure_and_raise() {
    let r = run(r##"
x = begin
  raise ArgumentError, 'bad'
rescue NoMethodError
  'wrong'
rescue ArgumentError => e
  "caught #{e.message}"
ensure
  nil
end
y = (nil.upcase rescue 'rescued')
control 'r' do
  describe x do
    it { should eq 'caught bad' }
  end
  describe y do
    it { should eq 'rescued' }
  end
end
"##);
    assert_eq!(one(&r, "r").status, ControlStatus::Passed, "{r:#?}");
}

#[test]
fn describe_one_passes_when_one_inner_describe_passes() {
    let r = run(r##"
control 'one' do
  describe.one do
    describe file('/etc/shadow') do
      its('group') { should eq 'root' }
    end
    describe file('/etc/shadow') do
      its('group') { should eq 'shadow' }
      it { should exist }
    end
  end
end
control 'none' do
  describe.one do
    describe file('/etc/shadow') do
      its('group') { should eq 'root' }
    end
    describe file('/etc/shadow') do
      its('group') { should eq 'wheel' }
    end
  end
end
"##);
    let c = one(&r, "one");
    assert_eq!(c.status, ControlStatus::Passed);
    assert_eq!(c.results.len(), 2);
    let n = one(&r, "none");
    assert_eq!(n.status, ControlStatus::Failed);
    assert_eq!(n.results.len(), 2);
}

/// runner.rb keeps every inner describe that ran without a failure (`tests.find_all(&:run)`),
/// not only the first: InSpec 7 reports both here (cis-dil-benchmark 1.1.22 / 1.5.4).
#[test]
fn describe_one_reports_every_successful_describe() {
    let r = run(r##"
control 'both' do
  describe.one do
    describe file('/etc/shadow') do
      its('group') { should eq 'shadow' }
    end
    describe file('/etc/shadow') do
      its('group') { should eq 'wheel' }
    end
    describe file('/etc/passwd') do
      it { should exist }
    end
  end
end
"##);
    let c = one(&r, "both");
    assert_eq!(c.status, ControlStatus::Passed);
    let descs: Vec<&str> = c.results.iter().map(|x| x.code_desc.as_str()).collect();
    assert_eq!(
        descs,
        [
            "File /etc/shadow group is expected to eq \"shadow\"",
            "File /etc/passwd is expected to exist"
        ],
        "{c:#?}"
    );
}

#[test]
fn only_if_in_control_and_at_file_level() {
    let r = run(r##"
control 'skip-plain' do
  impact 0.7
  only_if { os.redhat? }
  describe file('/etc/passwd') do
    it { should exist }
  end
end
control 'skip-msg' do
  only_if('not on debian') { !os.debian? }
  describe file('/etc/passwd') do
    it { should exist }
  end
end
control 'runs' do
  only_if { os.linux? }
  describe file('/etc/passwd') do
    it { should exist }
  end
end
"##);
    let s = one(&r, "skip-plain");
    assert_eq!(s.status, ControlStatus::Skipped);
    assert_eq!(s.impact, 0.7);
    assert_eq!(s.results[0].code_desc, "No-op");
    assert_eq!(
        s.results[0].skip_message.as_deref(),
        Some("Skipped control due to only_if condition.")
    );
    let m = one(&r, "skip-msg");
    assert_eq!(
        m.results[0].skip_message.as_deref(),
        Some("Skipped control due to only_if condition: not on debian")
    );
    assert_eq!(one(&r, "runs").status, ControlStatus::Passed);

    let r = run(r##"
control 'before' do
  describe file('/etc/passwd') do
    it { should exist }
  end
end
only_if('sshd missing') do
  command('missing').exist?
end
control 'after' do
  describe file('/etc/passwd') do
    it { should exist }
  end
end
"##);
    for id in ["before", "after"] {
        let c = one(&r, id);
        assert_eq!(c.status, ControlStatus::Skipped, "{id}");
        assert_eq!(
            c.results[0].skip_message.as_deref(),
            Some("Skipped control due to only_if condition: sshd missing")
        );
    }
}

#[test]
fn its_paths_and_expect_forms() {
    let r = run(r##"
control 'p' do
  describe json('/etc/docker/daemon.json') do
    its(%w(HostConfig Privileged)) { should eq false }
    its(['HostConfig', 'Privileged']) { should_not eq true }
  end
  describe command('x') do
    its('stdout.strip') { should eq "line1\nline2" }
  end
  describe 'users' do
    it 'have no duplicates' do
      expect(%w(a b)).to eq %w(a b)
      expect(1).not_to eq 2
    end
  end
  describe file('/etc/passwd') do
    it { is_expected.to exist }
  end
end
"##);
    let c = one(&r, "p");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert_eq!(
        descs(&c),
        vec![
            "Docker Inspect [\"HostConfig\", \"Privileged\"] is expected to eq false",
            "Docker Inspect [\"HostConfig\", \"Privileged\"] is expected not to eq true",
            "Command: `x` stdout.strip is expected to eq \"line1\\nline2\"",
            "users have no duplicates",
            "File /etc/passwd is expected to exist",
        ]
    );
}

#[test]
fn filter_table_where_by_hash_and_block() {
    let r = run(r##"
control 't' do
  describe etc_fstab.where(mount_point: '/home') do
    its('mount_options') { should eq [['nodev', 'nosuid']] }
    its('count') { should eq 1 }
  end
  describe etc_fstab.where { mount_point =~ /^\/(home|tmp)$/ && mount_options.include?('nodev') } do
    its('device_names') { should eq ['/dev/sda2', 'tmpfs'] }
    it { should exist }
  end
  describe etc_fstab.where(mount_point: '/var') do
    it { should_not exist }
  end
  describe etc_fstab.entries.map(&:mount_point) do
    it { should eq ['/', '/home', '/tmp'] }
  end
  describe etc_fstab.mount_points do
    it { should include '/tmp' }
  end
end
"##);
    let c = one(&r, "t");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert_eq!(c.results[0].code_desc, "File System Table File (fstab) with mount_point == \"/home\" mount_options is expected to eq [[\"nodev\", \"nosuid\"]]");
}

#[test]
fn unsupported_construct_skips_the_control_naming_file_and_line() {
    let r = run("control 'u' do\n  describe file('/etc/passwd') do\n    it { should exist }\n  end\n  x = `id`\nend\ncontrol 'ok' do\n  describe file('/etc/passwd') do\n    it { should exist }\n  end\nend\n");
    let u = one(&r, "u");
    assert_eq!(u.status, ControlStatus::Skipped);
    assert_eq!(u.results.len(), 1);
    assert_eq!(
        u.results[0].skip_message.as_deref(),
        Some("Not supported by the native evaluator: backtick command at controls/test.rb:5")
    );
    assert_eq!(one(&r, "ok").status, ControlStatus::Passed);

    let r = run("control 'res' do\n  describe nginx_conf do\n    its('user') { should eq 'www' }\n  end\nend\n");
    assert_eq!(
        one(&r, "res").results[0].skip_message.as_deref(),
        Some("Not supported by the native evaluator: method or resource `nginx_conf` at controls/test.rb:2")
    );
    let r = run("control 'prop' do\n  describe file('/etc/passwd') do\n    its('sha256sum') { should eq 'x' }\n  end\nend\n");
    assert_eq!(
        one(&r, "prop").results[0].skip_message.as_deref(),
        Some("Not supported by the native evaluator: `file` property `sha256sum` at controls/test.rb:3")
    );
}

#[test]
fn file_level_unsupported_value_poisons_only_its_users() {
    let r = run("v = `uname`\ncontrol 'uses' do\n  describe v do\n    it { should eq 'Linux' }\n  end\nend\ncontrol 'free' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n");
    assert_eq!(one(&r, "uses").status, ControlStatus::Skipped);
    assert!(one(&r, "uses").results[0]
        .skip_message
        .as_deref()
        .unwrap_or("")
        .contains("backtick command at controls/test.rb:1"));
    assert_eq!(one(&r, "free").status, ControlStatus::Passed);
}

#[test]
fn resource_errors_fail_or_skip_the_describe() {
    let r = run(r##"
control 'e' do
  describe broken('x') do
    its('content') { should eq 'x' }
  end
  describe rpm_only('x') do
    it { should be_installed }
  end
end
"##);
    let c = one(&r, "e");
    assert_eq!(c.status, ControlStatus::Failed);
    assert_eq!(c.results[0].status, ControlStatus::Failed);
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("cannot read /etc/broken: permission denied")
    );
    // The its value raised before `should` ran a matcher: no matcher description (RSpec).
    assert_eq!(c.results[0].code_desc, "Broken content ");
    assert_eq!(c.results[1].status, ControlStatus::Skipped);
    assert_eq!(
        c.results[1].skip_message.as_deref(),
        Some("The `rpm_only` resource is not supported on your OS")
    );
}

#[test]
fn errors_in_control_body_give_inspec_source_code_error() {
    let r = run("control 'x' do\n  describe file('/etc/passwd') do\n    it { should exist }\n  end\n  nil.upcase\nend\n");
    let c = one(&r, "x");
    assert_eq!(c.status, ControlStatus::Failed);
    let last = c
        .results
        .last()
        .cloned()
        .unwrap_or_else(|| panic!("no result"));
    assert_eq!(
        last.code_desc,
        "Control Source Code Error test/controls/test.rb:1 "
    );
    assert_eq!(last.exception.as_deref(), Some("RuntimeError"));
}

#[test]
fn runaway_loops_and_recursion_are_bounded() {
    let r = run("def f(n)\n  f(n + 1)\nend\ncontrol 'rec' do\n  f(0)\nend\ncontrol 'loop' do\n  i = 0\n  while true\n    i += 1\n  end\nend\n");
    let rec = one(&r, "rec");
    assert_eq!(rec.status, ControlStatus::Failed);
    assert_eq!(rec.results[0].exception.as_deref(), Some("RuntimeError"));
    let lp = one(&r, "loop");
    assert_eq!(lp.status, ControlStatus::Failed);
}

#[test]
fn custom_resources_from_libraries() {
    let lib = r##"
class Blacklist < Inspec.resource(1)
  name 'suid_blacklist'
  desc 'x'
  attr_reader :items
  def initialize(extra = nil)
    super()
    @items = ['/usr/bin/rcp']
    @items << extra unless extra.nil?
  end
  def default
    @items
  end
  def diff
    inspec.command('x').stdout.split(/\r?\n/) & @items + ['line2']
  end
  def to_s
    "SUID blacklist"
  end
end
"##;
    let code = r##"
control 'lib' do
  describe suid_blacklist('/bin/x') do
    its('default') { should eq ['/usr/bin/rcp', '/bin/x'] }
    its('diff') { should eq ['line2'] }
    its('items') { should include '/bin/x' }
  end
end
"##;
    let r = run_with(code, &[("libraries/b.rb", lib)], json!({}), None);
    let c = one(&r, "lib");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert_eq!(
        c.results[0].code_desc,
        "SUID blacklist default is expected to eq [\"/usr/bin/rcp\", \"/bin/x\"]"
    );
}

#[test]
fn matcher_composition_and_comparisons() {
    let r = run(r##"
control 'm' do
  describe kernel_parameter('net.ipv4.ip_forward') do
    its('value') { should eq(0).or eq(1) }
    its('value') { should be >= 1 }
    its('value') { should cmp < 5 }
    its('value') { should be_in [0, 1] }
  end
  describe [1, 2] do
    it { should all(be > 0) }
    it { should contain_exactly(2, 1) }
  end
end
"##);
    let c = one(&r, "m");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert_eq!(
        c.results[0].code_desc,
        "Kernel Parameter net.ipv4.ip_forward value is expected to eq 0 or eq 1"
    );
    assert_eq!(
        c.results[1].code_desc,
        "Kernel Parameter net.ipv4.ip_forward value is expected to be >= 1"
    );
    assert_eq!(
        c.results[2].code_desc,
        "Kernel Parameter net.ipv4.ip_forward value is expected to cmp < 5"
    );
    assert_eq!(c.results[4].code_desc, "[1, 2] is expected to all be > 0");
}

#[test]
fn top_level_describe_gets_a_generated_control() {
    let r = run("describe file('/etc/passwd') do\n  it { should exist }\nend\n");
    assert_eq!(r.len(), 1);
    assert!(
        // InSpec names the file by its base name (control_eval_context.rb, block_location).
        r[0].id.starts_with("(generated from test.rb:1 "),
        "{}",
        r[0].id
    );
    assert_eq!(r[0].status, ControlStatus::Passed);
}

#[test]
fn canceled_host_stops_and_names_why() {
    let src = crate::profile::ProfileSources {
        path: "t".into(),
        metadata: None,
        controls: vec![("controls/t.rb".into(), "control 'a' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\ncontrol 'b' do\nend\n".into())],
        libraries: Vec::new(),
    };
    let profile = crate::profile::build(&src).unwrap_or_else(|e| panic!("{e}"));
    let host = crate::native::testing::host();
    host.cancel.cancel();
    let r = crate::native::inspec::run::evaluate_with(
        &profile,
        host,
        &serde_json::Map::new(),
        &crate::native::testing::fake_factory,
    );
    assert_eq!(r.len(), 2);
    assert!(
        r.iter().all(|c| c.status == ControlStatus::Skipped),
        "{r:#?}"
    );
    assert_eq!(
        r[0].results[0].skip_message.as_deref(),
        Some("Not evaluated: canceled")
    );
}

#[test]
fn duplicate_control_ids_keep_the_last_definition() {
    let r = run("control 'd' do\n  describe 1 do\n    it { should eq 2 }\n  end\nend\ncontrol 'd' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].status, ControlStatus::Passed);
}

#[test]
fn satisfy_blocks_and_match_data() {
    let r = run(r##"
control 's' do
  describe sshd_config do
    its('PermitRootLogin') do
      should satisfy { |x| x == 'yes' || ((m = x.match(/(?<word>n)o/)) && m[:word] == 'n') }
    end
  end
  describe 'key=value'.match(/(\w+)=(\w+)/).captures do
    it { should eq ['key', 'value'] }
  end
end
"##);
    let c = one(&r, "s");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert_eq!(
        c.results[0].code_desc,
        "SSH Configuration PermitRootLogin is expected to satisfy expression `x == 'yes' || ((m = x.match(/(?<word>n)o/)) && m[:word] == 'n')`"
    );
}

/// An unchanged excerpt of linux-baseline (tests/fixtures/native), so this runs without
/// ../shared.
#[test]
fn linux_baseline_excerpt_reads_like_inspec() {
    let code = include_str!("../../tests/fixtures/native/linux_baseline_os_spec_excerpt.rb");
    let r = run(code);
    let os01 = one(&r, "os-01");
    assert_eq!(os01.status, ControlStatus::Passed);
    assert_eq!(
        descs(&os01),
        vec!["File /etc/hosts.equiv is expected not to exist"]
    );
    let os02 = one(&r, "os-02");
    assert_eq!(
        os02.title.as_deref(),
        Some("Check owner and permissions for /etc/shadow")
    );
    assert_eq!(
        descs(&os02),
        vec![
            "File /etc/shadow is expected to exist",
            "File /etc/shadow is expected to be file",
            "File /etc/shadow is expected to be owned by \"root\"",
            "File /etc/shadow group is expected to eq \"shadow\"",
            "File /etc/shadow is expected not to be executable",
            "File /etc/shadow is expected not to be readable by other",
            "File /etc/shadow is expected to be writable by owner",
            "File /etc/shadow is expected to be readable by owner",
            "File /etc/shadow is expected to be readable by group",
        ]
    );
    assert_eq!(os02.status, ControlStatus::Passed, "{os02:#?}");
}

#[test]
fn undecidable_file_level_only_if_skips_the_whole_file() {
    let r = run("control 'a' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\nonly_if { virtualization.role == 'host' }\ncontrol 'b' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n");
    for id in ["a", "b"] {
        let c = one(&r, id);
        assert_eq!(c.status, ControlStatus::Skipped, "{id}");
        assert_eq!(
            c.results[0].skip_message.as_deref(),
            Some("Not supported by the native evaluator: method or resource `virtualization` at controls/test.rb:6")
        );
    }
}

#[test]
fn a_single_file_profile_is_its_controls_file() {
    let profile = crate::profile::from_source(
        "control 'x' do\n  describe 1 do\n    it { should eq 1 }\n  end\nend\n",
        "/tmp/any/name.rb",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let r = crate::native::inspec::run::evaluate_with(
        &profile,
        crate::native::testing::host(),
        &serde_json::Map::new(),
        &crate::native::testing::fake_factory,
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].status, ControlStatus::Passed);
    assert_eq!(crate::native::coverage(&profile).supported, 1);
}

#[test]
fn deep_nesting_and_huge_strings_are_refused() {
    let r = run("control 'n' do\n  a = []\n  300.times { a = [a] }\nend\ncontrol 'w' do\n  format('%999999999999s', 'x')\nend\n");
    for id in ["n", "w"] {
        let c = one(&r, id);
        assert_eq!(c.status, ControlStatus::Failed, "{c:#?}");
        assert_eq!(c.results[0].exception.as_deref(), Some("RuntimeError"));
    }
}

#[test]
fn library_classes_modules_constants_and_dispatch() {
    let lib = r##"
module Outer
  LIMIT = 3
  class Inner
    TWICE = LIMIT * 2
  end

  class Base
    def initialize(n)
      @n = n
    end

    def describe_me
      "base #{@n}"
    end

    def self.build(n)
      new(n)
    end
  end

  class Child < Base
    def describe_me
      "child/" + super
    end
  end

  class Boom < StandardError; end
end

class Dyn
  def method_missing(name, *args)
    name.to_s.start_with?('get_') ? name.to_s.sub('get_', '') : super
  end

  def respond_to_missing?(name, include_private = false)
    name.to_s.start_with?('get_') || super
  end

  private

  def hidden
    1
  end
end
"##;
    let code = r##"
control 'x' do
  describe Outer::Child.build(2).describe_me do
    it { should eq 'child/base 2' }
  end
  describe [Outer::LIMIT, Outer::Inner::TWICE] do
    it { should eq [3, 6] }
  end
  describe Dyn.new.get_color do
    it { should eq 'color' }
  end
  describe [Dyn.new.respond_to?(:get_x), Dyn.new.respond_to?(:hidden)] do
    it { should eq [true, false] }
  end
  got = begin
    raise Outer::Boom, 'bang'
  rescue Outer::Boom => e
    "#{e.message} #{e.class}"
  end
  describe got do
    it { should eq 'bang Outer::Boom' }
  end
end
control 'private' do
  describe Dyn.new.hidden do
    it { should eq 1 }
  end
end
control 'missing' do
  describe Dyn.new.other do
    it { should eq 1 }
  end
end
"##;
    let r = run_with(code, &[("libraries/outer.rb", lib)], json!({}), None);
    let x = one(&r, "x");
    assert_eq!(x.status, ControlStatus::Passed, "{x:#?}");
    let private = one(&r, "private");
    assert_eq!(private.status, ControlStatus::Failed);
    assert!(
        private.results[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("private method `hidden' called")),
        "{private:#?}"
    );
    let missing = one(&r, "missing");
    assert!(
        missing.results[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("undefined method `other'")),
        "{missing:#?}"
    );
}

#[test]
fn mash_match_globals_defined_and_json() {
    let code = r##"
control 'mash' do
  m = Hashie::Mash.new('a' => 1)
  m[:b] = 2
  m.c = 3
  describe [m['b'], m[:a], m.a, m.c?, m.d?, m.keys] do
    it { should eq [2, 1, 1, true, false, ['a', 'b', 'c']] }
  end
end
control 'globals' do
  s = 'version 7.9'
  s =~ /(\d+)\.(\d+)/
  describe [$1, $2, $~[0]] do
    it { should eq ['7', '9', '7.9'] }
  end
  'x' =~ /y/
  describe $1 do
    it { should be_nil }
  end
  describe [defined?(s), defined?(NoSuchConst), defined?(String)] do
    it { should eq ['local-variable', nil, 'constant'] }
  end
end
control 'json' do
  describe JSON.parse('{"k": [1, {"n": null}]}') do
    it { should eq({ 'k' => [1, { 'n' => nil }] }) }
  end
  describe JSON.parse('{"k": 1}', symbolize_names: true) do
    it { should eq({ k: 1 }) }
  end
  bad = begin
    JSON.parse('{x')
  rescue JSON::ParserError
    'parse error'
  end
  describe bad do
    it { should eq 'parse error' }
  end
  Inspec::Log.warn('logged, not printed')
end
"##;
    let r = run(code);
    for id in ["mash", "globals", "json"] {
        let c = one(&r, id);
        assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    }
}

#[test]
fn coverage_reaches_private_methods_only_through_calls_and_skips_windows_branches() {
    let lib = r##"
class Probe < Inspec.resource(1)
  name 'probe'

  def initialize
    if inspec.os.windows?
      @v = windows_value
    else
      @v = linux_value
    end
  end

  def value
    @v
  end

  private

  def linux_value
    inspec.command('uname').stdout
  end

  def windows_value
    `reg query HKLM\\Thing`
  end

  def unused
    inspec.powershell('x')
  end
end
"##;
    let code = "control 'p' do\n  describe probe do\n    its('value') { should cmp 'Linux' }\n  end\nend\n";
    let build = |yml: &str| {
        let src = crate::profile::ProfileSources {
            path: "test".into(),
            metadata: Some(yml.to_string()),
            controls: vec![("controls/test.rb".into(), code.into())],
            libraries: vec![("libraries/probe.rb".into(), std::sync::Arc::from(lib))],
        };
        crate::native::coverage(&crate::profile::build(&src).unwrap())
    };
    let linux = build("name: t\nsupports:\n  - platform-family: linux\n");
    assert_eq!(linux.supported, 1, "{:#?}", linux.controls);
    // A profile for any platform, or for Linux and Windows: natively evaluated hosts are
    // POSIX ones (reached through `sh`), where the Windows branch is never taken.
    let any = build("name: t\n");
    assert_eq!(any.supported, 1, "{:#?}", any.controls);
    let both = build("name: t\nsupports:\n  - platform-name: ubuntu\n  - platform: windows\n");
    assert_eq!(both.supported, 1, "{:#?}", both.controls);
    // A profile for Windows alone: its Windows branch counts; the uncalled private method
    // (line 28) never does.
    let windows = build("name: t\nsupports:\n  - platform: windows\n");
    assert_eq!(windows.supported, 0);
    let at: Vec<&str> = windows.controls[0]
        .blockers
        .iter()
        .map(|b| b.at.as_str())
        .collect();
    assert_eq!(at, ["libraries/probe.rb:24"], "{:#?}", windows.controls);
}

/// resource.rb `check_supported!`: a built-in resource whose `supports` exclude the target
/// raises ArgumentError when created — a Windows-only one on Debian fails its control after
/// the results before it (InSpec's message, checked with the oracle); a resource supported
/// on Linux is unaffected.
#[test]
fn builtin_resources_check_their_supports_against_the_target() {
    let host = crate::native::testing::fixture_host("debian12");
    let r = crate::native::testing::run_on(
        host,
        "control 'two' do\n  describe file('/etc/passwd') do\n    it { should exist }\n  end\n  describe windows_feature('Web-Server') do\n    it { should_not be_installed }\n  end\nend\ncontrol 'reg' do\n  describe registry_key('HKLM\\\\Software') do\n    its('X') { should eq 1 }\n  end\nend\ncontrol 'linux' do\n  describe kernel_parameter('net.ipv4.ip_forward') do\n    its('value') { should_not be_nil }\n  end\nend\n",
    );
    let two = one(&r, "two");
    assert_eq!(two.status, ControlStatus::Failed);
    assert_eq!(two.results.len(), 2, "{two:#?}");
    assert_eq!(two.results[0].status, ControlStatus::Passed);
    // (How a raising describe argument is named is the evaluator's rule for raising
    // subjects, not this one's: only the error is asserted.)
    assert_eq!(two.results[1].status, ControlStatus::Failed);
    assert_eq!(two.results[1].exception.as_deref(), Some("RuntimeError"));
    assert_eq!(
        two.results[1].message.as_deref(),
        Some("Unsupported resource/backend combination: windows_feature / debian. Exiting.")
    );
    let reg = one(&r, "reg");
    assert_eq!(
        reg.results[0].message.as_deref(),
        Some("Unsupported resource/backend combination: registry_key / debian. Exiting.")
    );
    assert_eq!(reg.results[0].exception.as_deref(), Some("RuntimeError"));
    assert_ne!(one(&r, "linux").status, ControlStatus::Failed);
}

/// A bare name no InSpec context answers (a typo, a variable of another control) is Ruby's
/// NameError where it is evaluated — the control body, an `only_if` block, a describe
/// argument — failing the control as InSpec 7.1.16 does (the oracle: "undefined local
/// variable or method `cis_level'"), not a construct outside the native subset.
#[test]
fn unknown_bare_names_are_rubys_name_error() {
    let r = run("control 'body' do\n  x = no_such_thing_here\n  describe 1 do\n    it { should eq 1 }\n  end\nend\ncontrol 'only-if' do\n  only_if { cis_level == 2 }\n  describe 1 do\n    it { should eq 1 }\n  end\nend\ncontrol 'arg' do\n  describe 1 do\n    it { should eq 1 }\n  end\n  describe audit_log_maxsize do\n    it { should eq 1 }\n  end\nend\ncontrol 'call' do\n  descibe_typo('x') do\n  end\nend\n");
    for (id, n) in [("body", 1), ("only-if", 1), ("arg", 2), ("call", 1)] {
        let c = one(&r, id);
        assert_eq!(c.status, ControlStatus::Failed, "{c:#?}");
        assert_eq!(c.results.len(), n, "{c:#?}");
        let last = c.results.last().cloned().unwrap_or_else(|| panic!("{id}"));
        // rule.rb reports the body's exception with `fail e.message`: a RuntimeError.
        assert_eq!(last.exception.as_deref(), Some("RuntimeError"), "{id}");
        assert!(
            last.message
                .as_deref()
                .is_some_and(|m| m.contains("undefined")),
            "{last:#?}"
        );
    }
    assert_eq!(one(&r, "arg").results[0].status, ControlStatus::Passed);
}

/// input.rb: an input nothing gave a value (nor inspec.yml, nor the job, nor `value:`) is
/// Inspec::Input::NO_VALUE_SET, whose `method_missing` answers itself and whose `to_s` says
/// so; a `describe` of it is skipped (runner.rb asks it `resource_skipped?`, which it
/// answers truthily). `value: null` in inspec.yml is a value: nil. Rows are InSpec
/// 7.1.16's on the same controls.
#[test]
fn an_input_without_a_value_is_no_value_set() {
    let yml = "name: t\ninputs:\n  - name: declared_no_value\n    description: no value\n  - name: typed_no_value\n    type: Numeric\n  - name: nil_value\n    value: null\n";
    let code = r##"
control 'to_s' do
  describe "x#{input('missing_a')}" do
    it { should eq 'x' }
  end
  describe input('missing_b') do
    it { should eq 'x' }
  end
end
control 'values' do
  v = input('missing_c')
  describe [v.nil?, v.class.to_s, v.to_s, v.empty?.to_s, v.foo.bar.to_s == v.to_s, (v ? 'truthy' : 'falsey'), v.is_a?(String), v.respond_to?(:zzz), v == v, v == nil] do
    it { should eq [] }
  end
  describe [input('declared_no_value').to_s, input('typed_no_value').to_s, input('nil_value').inspect] do
    it { should eq [] }
  end
end
control 'iterate' do
  input('missing_d').each do |x|
    describe x do
      it { should eq 1 }
    end
  end
  describe input_object('missing_d').has_value? do
    it { should eq false }
  end
  describe input_object('nil_value').has_value? do
    it { should eq true }
  end
end
"##;
    let r = run_with(code, &[], json!({}), Some(yml));
    let none = |n: &str| format!("Input '{n}' does not have a value. Skipping test.");
    let to_s = one(&r, "to_s");
    assert_eq!(
        to_s.results
            .iter()
            .map(|x| (x.status, x.code_desc.clone(), x.skip_message.clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                ControlStatus::Failed,
                format!("x{} is expected to eq \"x\"", none("missing_a")),
                None
            ),
            (
                ControlStatus::Skipped,
                none("missing_b"),
                Some(none("missing_b"))
            ),
        ]
    );
    let values = one(&r, "values");
    assert_eq!(
        values.results[0].code_desc,
        format!(
            "[false, \"Inspec::Input::NO_VALUE_SET\", {m:?}, {m:?}, true, \"truthy\", false, true, true, false] is expected to eq []",
            m = none("missing_c")
        )
    );
    assert_eq!(
        values.results[1].code_desc,
        format!(
            "[{:?}, {:?}, \"nil\"] is expected to eq []",
            none("declared_no_value"),
            none("typed_no_value")
        )
    );
    assert_eq!(
        outcomes(&one(&r, "iterate")),
        rows(&[
            (ControlStatus::Passed, "false is expected to eq false", ""),
            (ControlStatus::Passed, "true is expected to eq true", ""),
        ])
    );
}

#[test]
fn a_describe_without_a_block_runs_its_arguments_first() {
    // rule.rb `describe(*values, &block)`: the arguments are evaluated before anything looks
    // at the block, so an exception there is the control's Control Source Code Error, after
    // the results the control had already recorded.
    let r = crate::native::testing::run(
        r#"
control 'c' do
  describe 'x' do
    it { should eq 'x' }
  end
  describe 1.upcase
  describe 'y' do
    it { should eq 'y' }
  end
end
"#,
    );
    let c = crate::native::testing::one(&r, "c");
    let got: Vec<(String, ControlStatus)> = c
        .results
        .iter()
        .map(|x| (x.code_desc.clone(), x.status))
        .collect();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got[0],
        ("x is expected to eq \"x\"".into(), ControlStatus::Passed)
    );
    assert!(got[1].0.starts_with("Control Source Code Error"), "{got:?}");
    assert_eq!(got[1].1, ControlStatus::Failed);
}

#[test]
fn a_block_given_to_a_resource_is_never_run() {
    // control_eval_context.rb `add_resource`: `define_method name do |*args|` drops the
    // block; the resource is made and the control goes on.
    let r = crate::native::testing::run_on(
        crate::native::testing::host(),
        r#"
control 'c' do
  x = json(content: '{"a": 1}') do
    raise 'never run'
  end
  describe x do
    its('a') { should eq 1 }
  end
end
"#,
    );
    let c = crate::native::testing::one(&r, "c");
    assert_eq!(c.status, ControlStatus::Passed, "{:?}", c.results);
    assert_eq!(c.results.len(), 1);
}

#[test]
fn a_source_crlf_inside_a_string_literal_is_lf() {
    // parse.y `parser_cr`: Ruby's lexer reads CR LF in the source as LF, in string literals
    // and heredocs too; an escaped "\r\n" stays as written.
    let src = "control 'c' do\r\n  describe \"a\r\nb\" do\r\n    it { should eq \"a\\nb\" }\r\n  end\r\n  describe 'c\r\nd' do\r\n    it { should eq \"c\\nd\" }\r\n  end\r\n  describe \"e#{1}\r\nf\" do\r\n    it { should eq \"e1\\nf\" }\r\n  end\r\n  describe <<~EOS do\r\n    g\r\n    h\r\n  EOS\r\n    it { should eq \"g\\nh\\n\" }\r\n  end\r\n  describe \"i\\r\\nj\".size do\r\n    it { should eq 4 }\r\n  end\r\nend\r\n";
    let r = run(src);
    let c = crate::native::testing::one(&r, "c");
    let bad: Vec<_> = c
        .results
        .iter()
        .filter(|x| x.status != ControlStatus::Passed)
        .map(|x| (x.code_desc.clone(), x.message.clone()))
        .collect();
    assert!(
        bad.is_empty() && c.results.len() == 5,
        "{bad:?} {:?}",
        c.results
    );
    assert_eq!(c.results[0].code_desc, "a\nb is expected to eq \"a\\nb\"");
}

/// matchers.rb `be_in`: `list.include?(item)`; an input without a value answers any method
/// with itself, so `be_in input('none')` passes (InSpec 7.1.16 on the same control: passed,
/// and the negated form failed).
#[test]
fn be_in_an_input_without_a_value_passes() {
    let code = r#"
control 'c' do
  describe file('/nonexistent/x') do
    its('owner') { should be_in input('no_such_input') }
  end
end
control 'n' do
  describe file('/nonexistent/x') do
    its('owner') { should_not be_in input('no_such_input') }
  end
end
"#;
    let r = crate::native::testing::run_on(crate::native::testing::host(), code);
    assert_eq!(one(&r, "c").results[0].status, ControlStatus::Passed);
    assert_eq!(one(&r, "n").results[0].status, ControlStatus::Failed);
}

/// train's local transport lets Errno::EACCES of a path execve refuses (no execute
/// permission, a directory) out of `command(...)`: each example that reads the command
/// fails with Ruby's message and no matcher description (InSpec 7.1.16 on `/etc/passwd`:
/// `Command: `/etc/passwd` exit_status `, "Permission denied - /etc/passwd").
#[test]
fn a_command_path_execve_refuses_fails_its_examples() {
    let r = crate::native::testing::run_on(
        crate::transport::local::test_host(),
        r#"
control 'c' do
  describe command('/etc/passwd') do
    its('exit_status') { should eq 0 }
    its('stdout') { should eq '' }
  end
end
"#,
    );
    let denied = Some("Permission denied - /etc/passwd".to_string());
    assert_eq!(
        crate::native::testing::status_rows(&r, "c"),
        vec![
            (
                "Command: `/etc/passwd` exit_status ".to_string(),
                ControlStatus::Failed,
                denied.clone()
            ),
            (
                "Command: `/etc/passwd` stdout ".to_string(),
                ControlStatus::Failed,
                denied
            ),
        ]
    );
}
