//! Ruby library code and InSpec helpers that public profiles use beyond the resource
//! catalogue (`Shellwords`, `input_object`, resource flags), and the examples of the resource
//! pages added for them (`platform`, `powershell`, `xml`) on the fixture hosts.

use crate::job::ControlStatus;
use crate::native::testing::{
    evaluate_on, fixture_host_at, one, run, wrong_outcomes_on_fixture_hosts,
};

use ControlStatus::{Failed as F, Passed as P, Skipped as S};

fn passes(code: &str, id: &str) {
    let c = one(&run(code), id);
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
}

/// InSpec's status of each control of `breadth-resources` on debian12, ubuntu2004, rhel8.
const EXPECTED: &[(&str, [ControlStatus; 3])] = &[
    // platform.rb: train names RHEL `redhat`, Debian and Ubuntu are of the debian family.
    ("platform-name-doc", [F, F, P]),
    ("platform-in-family-doc", [P, P, P]),
    ("platform-not-windows", [P, P, P]),
    ("platform-families", [P, P, P]),
    ("platform-is-ubuntu", [F, P, F]),
    ("platform-key-family", [P, P, F]),
    ("os-in-family-redhat", [F, F, P]),
    ("platform-library-branch", [P, P, P]),
    // No host has `pwsh`.
    ("powershell-doc-hello", [S, S, S]),
    ("xml-doc-elements", [P, P, P]),
    ("xml-doc-second-array", [F, F, F]),
    ("xml-doc-attributes", [P, P, P]),
    ("xml-index-and-absent", [P, P, P]),
    // json.rb: "Can't find file: /etc/tomcat/server.xml".
    ("xml-missing-file", [S, S, S]),
];

#[test]
fn breadth_resource_examples_have_inspecs_outcomes_on_every_fixture_host() {
    let wrong = wrong_outcomes_on_fixture_hosts("breadth-resources", EXPECTED);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The skip message and wording InSpec gives (powershell.rb, platform.rb).
#[test]
fn platform_and_powershell_wording() {
    let results = evaluate_on("rhel8", "breadth-resources");
    let get = |id: &str| one(&results, id);
    assert_eq!(
        get("platform-name-doc").results[0].code_desc,
        "Platform Detection name is expected to eq \"redhat\""
    );
    let x = get("xml-missing-file");
    assert_eq!(
        x.results[0].skip_message.as_deref(),
        Some("Can't find file: /etc/tomcat/server.xml"),
        "{x:#?}"
    );
    let x = get("xml-doc-second-array");
    assert_eq!(
        x.results[0].message.as_deref(),
        Some("\nexpected: [\"two\"]\n     got: [nil, nil]\n\n(compared using ==)\n"),
        "{x:#?}"
    );
    let ps = get("powershell-doc-hello");
    assert_eq!(
        ps.results[0].skip_message.as_deref(),
        Some("Can not find `pwsh` command"),
        "{ps:#?}"
    );
}

/// A host with PowerShell 7 (`pwsh`), whose answer to the docs' `Write-Output 'hello'` is
/// recorded: the script reaches it as `pwsh -encodedCommand` of UTF-16LE base64 (the
/// encoding below is Python's `base64.b64encode(s.encode('utf-16-le'))`, not ours).
#[test]
fn powershell_runs_the_script_encoded_through_pwsh() {
    let dir = std::env::temp_dir().join(format!("airs-pwsh-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("root/etc")).unwrap();
    std::fs::write(
        dir.join("root/etc/os-release"),
        "ID=ubuntu\nVERSION_ID=\"22.04\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("host.yml"),
        r#"
programs: [/usr/bin/pwsh, /usr/bin/uname]
commands:
  - argv: [uname, -s]
    stdout: "Linux\n"
  - argv: [uname, -m]
    stdout: "x86_64\n"
  - command: "pwsh -encodedCommand 'JABQAHIAbwBnAHIAZQBzAHMAUAByAGUAZgBlAHIAZQBuAGMAZQA9ACcAUwBpAGwAZQBuAHQAbAB5AEMAbwBuAHQAaQBuAHUAZQAnADsAVwByAGkAdABlAC0ATwB1AHQAcAB1AHQAIAAnAGgAZQBsAGwAbwAnAA=='"
    stdout: "hello\n"
"#,
    )
    .unwrap();
    let host = fixture_host_at(&dir);
    let ps = crate::native::resources::create(
        "powershell",
        &[crate::native::ruby::value::Value::str(
            "Write-Output 'hello'",
        )],
        &host,
    );
    let _ = std::fs::remove_dir_all(&dir);
    let ps = ps.expect("a native resource").expect("created");
    use crate::native::ruby::value::Value;
    assert_eq!(ps.call("stdout", &[]).unwrap(), Value::str("hello\n"));
    assert_eq!(ps.call("strip", &[]).unwrap(), Value::str("hello"));
    assert_eq!(ps.call("exit_status", &[]).unwrap(), Value::Int(0));
    assert_eq!(ps.call("exist?", &[]).unwrap(), Value::Nil);
    assert_eq!(ps.to_s(), "Powershell");
}

/// Ruby's lib/shellwords.rb: a backslash before every character outside
/// `[A-Za-z0-9_\-.,:+/@\n]`, a newline quoted as `'\n'`, `''` for the empty string.
#[test]
fn shellwords_escape_and_join_as_ruby() {
    passes(
        r##"
control 'sw' do
  describe Shellwords.escape("it's a $test") do
    it { should eq "it\\'s\\ a\\ \\$test" }
  end
  describe Shellwords.escape('') do
    it { should eq "''" }
  end
  describe Shellwords.escape("a\nb") do
    it { should eq "a'\n'b" }
  end
  describe Shellwords.shellescape('/usr/bin/x-1.2,3:4+5@h') do
    it { should eq '/usr/bin/x-1.2,3:4+5@h' }
  end
  describe Shellwords.join(['ls', 'my file']) do
    it { should eq 'ls my\\ file' }
  end
  describe Shellwords.escape(5432) do
    it { should eq '5432' }
  end
end
"##,
        "sw",
    );
}

/// resource.rb: `fail_resource` / `skip_resource` set flags a method can read back
/// (`resource_failed?`, `resource_skipped?`: nil until set; `resource_exception_message`).
#[test]
fn library_resources_read_their_failed_and_skipped_flags() {
    let lib = r##"
class Probe < Inspec.resource(1)
  name 'probe'
  def flags
    [resource_failed?, resource_skipped?, resource_exception_message]
  end
  def failing
    fail_resource 'no connection'
    query
  end
  def query
    raise Inspec::Exceptions::ResourceFailed, "#{resource_exception_message}" if resource_failed?
    'rows'
  end
end
"##;
    let code = r##"
control 'flags' do
  describe probe do
    its('query') { should eq 'rows' }
  end
  describe probe.flags do
    it { should eq [nil, nil, nil] }
  end
end
control 'failing' do
  describe probe do
    its('failing') { should eq 'rows' }
  end
end
"##;
    let r = crate::native::testing::run_with(
        code,
        &[("libraries/p.rb", lib)],
        serde_json::json!({}),
        None,
    );
    let c = one(&r, "flags");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    let c = one(&r, "failing");
    assert_eq!(c.status, ControlStatus::Failed, "{c:#?}");
    assert_eq!(c.results[0].message.as_deref(), Some("no connection"));
}

/// control_eval_context.rb `input_object`: the Inspec::Input, with its name, value and
/// inspec.yml's description; an input nobody declared is registered with no value.
#[test]
fn input_object_answers_the_inputs_readers() {
    let yml = "name: t\ninputs:\n  - name: pass_min_days\n    description: Minimum days\n    type: Numeric\n    value: 1\n";
    let code = r##"
control 'io' do
  setting = input_object('pass_min_days').name.upcase
  describe setting do
    it { should eq 'PASS_MIN_DAYS' }
  end
  describe input_object('pass_min_days') do
    its('value') { should eq 1 }
    its('description') { should eq 'Minimum days' }
    its('type') { should eq 'Numeric' }
  end
  describe input_object('undeclared').has_value? do
    it { should eq false }
  end
end
"##;
    let r = crate::native::testing::run_with(code, &[], serde_json::json!({}), Some(yml));
    let c = one(&r, "io");
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert_eq!(
        c.results[1].code_desc,
        "Input pass_min_days with value 1 value is expected to eq 1"
    );
}

/// A control body's `self` is the control (control_eval_context.rb): `@x` set there is read
/// there, describe arguments included; each control has its own; RSpec's `it` blocks see nil.
#[test]
fn control_bodies_keep_their_instance_variables() {
    let code = r##"
control 'iv1' do
  @ciphers = 'aes256-ctr,aes128-ctr'
  @ciphers = @ciphers.split(',') unless @ciphers.nil?
  describe @ciphers do
    it { should eq ['aes256-ctr', 'aes128-ctr'] }
  end
  describe 'inside it' do
    it { expect(@ciphers).to be_nil }
  end
end
control 'iv2' do
  describe @ciphers.nil? do
    it { should eq true }
  end
end
"##;
    let r = run(code);
    for id in ["iv1", "iv2"] {
        let c = one(&r, id);
        assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    }
}
