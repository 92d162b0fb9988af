//! A resource that cannot read what it needs (resource.rb `supersuper_initialize`): its
//! `initialize` raising ResourceSkipped / ResourceFailed (or calling `skip_resource` /
//! `fail_resource`) leaves an object in that state. A `describe` of it (or of a FilterTable
//! of it, runner.rb `get_check_example`) is one skipped or failed result named by it; its
//! methods still run and answer what InSpec's code answers in that state, and the control
//! goes on. Each expected row is InSpec 7.1.16's (`inspec exec -t local://` of the same
//! controls on this machine, or on the fixture host's state where named).

use crate::job::{ControlResult, ControlStatus};
use crate::native::testing::snippet_profile;

fn run_local(controls: &str, libraries: &[(&str, &str)]) -> Vec<ControlResult> {
    let profile = snippet_profile(controls, libraries, None);
    crate::native::evaluate(
        &profile,
        crate::transport::local::test_host(),
        &serde_json::Map::new(),
    )
}

type Row = (String, ControlStatus, Option<String>);

fn rows(r: &[ControlResult], id: &str) -> Vec<Row> {
    crate::native::testing::status_rows(r, id)
}

fn row(d: &str, s: ControlStatus, m: Option<&str>) -> Row {
    (d.to_string(), s, m.map(String::from))
}

fn passed(d: &str) -> Row {
    row(d, ControlStatus::Passed, None)
}

const LIBRARY: &str = r#"
class GoneProc < Inspec.resource(1)
  name 'gone_proc'
  def initialize(process = nil)
    @process = process || 'nosuchproc'
    return skip_resource "Process #{@process} does not exist on the target node." unless inspec.processes(@process).exist?
  end
  def method_missing(name)
    params[name.to_s]
  end
  def params
    @params ||= {}
  end
  def to_s
    "Process arguments for #{@process}"
  end
end
class RaisedConf < Inspec.resource(1)
  name 'raised_conf'
  def initialize(path = '/nonexistent/x.conf')
    @path = path
    @before = 'set'
    raise Inspec::Exceptions::ResourceSkipped, "Can't read #{path}" unless inspec.file(path).exist?
    @after = 'never'
  end
  attr_reader :before, :after
  def exist?
    inspec.file(@path).exist?
  end
  def to_s
    "Raised Conf #{@path}"
  end
end
class FailedConf < Inspec.resource(1)
  name 'failed_conf'
  def initialize
    fail_resource 'no tool'
  end
  def value
    42
  end
  def to_s
    'Failed Conf'
  end
end
"#;

/// A library resource skipped or failed in `initialize`: a describe of it is one result named
/// by its `to_s`; its methods run on what `initialize` set (the rest is nil), and
/// `resource_skipped?` / `resource_failed?` / `resource_exception_message` say so.
#[test]
fn a_library_resource_skipped_in_initialize_still_answers_its_methods() {
    let r = run_local(
        r#"control 'lib-skip' do
  describe gone_proc do
    its('port') { should cmp 0 }
  end
  describe gone_proc.port do
    it { should be_nil }
  end
  describe raised_conf do
    its('before') { should eq 'set' }
  end
  describe raised_conf.before do
    it { should eq 'set' }
  end
  describe raised_conf.after do
    it { should be_nil }
  end
  describe raised_conf.exist? do
    it { should eq false }
  end
  describe failed_conf do
    its('value') { should eq 42 }
  end
  describe failed_conf.value do
    it { should eq 42 }
  end
  describe 'flags' do
    subject { [gone_proc.resource_skipped?, failed_conf.resource_failed?, gone_proc.resource_exception_message] }
    it { should eq [true, true, 'Process nosuchproc does not exist on the target node.'] }
  end
end
"#,
        &[("libraries/gone.rb", LIBRARY)],
    );
    let skipped = |d: &str, m: &str| row(d, ControlStatus::Skipped, Some(m));
    assert_eq!(
        rows(&r, "lib-skip"),
        vec![
            skipped(
                "Process arguments for nosuchproc",
                "Process nosuchproc does not exist on the target node."
            ),
            passed("is expected to be nil"),
            skipped("Raised Conf /nonexistent/x.conf", "Can't read /nonexistent/x.conf"),
            passed("set is expected to eq \"set\""),
            passed("is expected to be nil"),
            passed("false is expected to eq false"),
            row("Failed Conf ", ControlStatus::Failed, Some("no tool")),
            passed("42 is expected to eq 42"),
            passed(
                "flags is expected to eq [true, true, \"Process nosuchproc does not exist on the target node.\"]"
            ),
        ]
    );
}

/// describe_base.rb: `describe.one` checks no resource before its examples run, so the
/// examples of a skipped library resource run on its state.
#[test]
fn describe_one_runs_the_examples_of_a_skipped_library_resource() {
    let r = run_local(
        r#"control 'lib-one' do
  describe.one do
    describe gone_proc do
      its('port') { should cmp 0 }
    end
    describe raised_conf do
      its('before') { should cmp 0 }
    end
  end
end
"#,
        &[("libraries/gone.rb", LIBRARY)],
    );
    let got = rows(&r, "lib-one");
    assert_eq!(
        got.iter().map(|g| (g.0.as_str(), g.1)).collect::<Vec<_>>(),
        [
            (
                "Process arguments for nosuchproc port is expected to cmp == 0",
                ControlStatus::Failed
            ),
            (
                "Raised Conf /nonexistent/x.conf before is expected to cmp == 0",
                ControlStatus::Failed
            ),
        ],
        "{got:?}"
    );
}

/// RSpec's example-group `skip` without a reason: an example with no description, skipped
/// (formatters/base.rb: code_desc is its full description, "group ", and skip_message its
/// empty description); with a reason, code_desc is the group and skip_message the reason.
#[test]
fn a_describe_level_skip_without_reason_has_an_empty_message() {
    let r = crate::native::testing::run(
        "control 'bare-skip' do\n  describe 'nothing to say' do\n    skip\n  end\n  describe 'something to say' do\n    skip 'why'\n  end\nend\n",
    );
    assert_eq!(
        rows(&r, "bare-skip"),
        vec![
            row("nothing to say ", ControlStatus::Skipped, Some("")),
            row("something to say", ControlStatus::Skipped, Some("why")),
        ]
    );
}

/// filter.rb: a FilterTable over a resource skipped in `initialize` has no rows (its raw data
/// nil, `[] if nil`) and is named `to_s + " with" + criteria`; described directly it is one
/// skipped result named so (runner.rb `resource.resource`), as a subject its examples run.
#[test]
fn a_filter_table_of_a_skipped_resource_is_empty_and_named_by_its_criteria() {
    let r = run_local(
        r#"control 'aide' do
  describe aide_conf('/nonexistent/aide.conf') do
    it { should exist }
  end
  describe 'aide conf' do
    subject { aide_conf('/nonexistent/aide.conf') }
    it { should exist }
  end
  describe 'aide rule' do
    subject { aide_conf('/nonexistent/aide.conf').where { selection_line == '/bin' } }
    it { should exist }
    its('rules.flatten') { should include 'p' }
  end
  describe aide_conf('/nonexistent/aide.conf').where { selection_line == '/bin' } do
    its('rules') { should include 'p' }
  end
  describe aide_conf('/nonexistent/aide.conf').exist? do
    it { should eq false }
  end
  describe aide_conf('/nonexistent/aide.conf').where { selection_line == '/bin' }.entries do
    it { should be_empty }
  end
end
control 'hba' do
  describe postgres_hba_conf('/nonexistent/pg_hba.conf').where { type == 'local' } do
    its('auth_method') { should_not include 'trust' }
  end
  describe postgres_hba_conf('/nonexistent/pg_hba.conf').where(type: 'host') do
    its('auth_method') { should_not include 'trust' }
  end
end
"#,
        &[],
    );
    let aide = "Can't find file: /nonexistent/aide.conf";
    let failed = |d: &str, m: &str| row(d, ControlStatus::Failed, Some(m));
    assert_eq!(
        rows(&r, "aide"),
        vec![
            row("AIDE Config", ControlStatus::Skipped, Some(aide)),
            failed(
                "aide conf is expected to exist",
                "expected AIDE Config to exist"
            ),
            failed(
                "aide rule is expected to exist",
                "expected AIDE Config with selection_line == \"/bin\" to exist"
            ),
            failed(
                "aide rule rules.flatten is expected to include \"p\"",
                "expected [] to include \"p\""
            ),
            row(
                "AIDE Config with selection_line == \"/bin\"",
                ControlStatus::Skipped,
                Some(aide)
            ),
            passed("false is expected to eq false"),
            passed("[] is expected to be empty"),
        ]
    );
    let hba = "Can't find file: /nonexistent/pg_hba.conf";
    assert_eq!(
        rows(&r, "hba"),
        vec![
            row(
                "Postgres Hba Config /nonexistent/pg_hba.conf with type == \"local\"",
                ControlStatus::Skipped,
                Some(hba)
            ),
            row(
                "Postgres Hba Config /nonexistent/pg_hba.conf with type == \"host\"",
                ControlStatus::Skipped,
                Some(hba)
            ),
        ]
    );
}

/// auditd_conf.rb skipped: `log_file` is nil, and `file(nil)` is "File " (file.rb's to_s of
/// a nil path), which does not exist.
#[test]
fn a_file_of_a_skipped_resources_nil_path_is_named_file_and_missing() {
    let r = run_local(
        "control 'auditd' do\n  describe file(auditd_conf('/nonexistent/auditd.conf').log_file) do\n    it { should exist }\n  end\nend\n",
        &[],
    );
    assert_eq!(
        rows(&r, "auditd"),
        vec![row(
            "File  is expected to exist",
            ControlStatus::Failed,
            Some("expected File  to exist")
        )]
    );
}

/// json.rb skipped in `initialize` keeps `@params = {}`: inside `describe.one` (no check of
/// the resource first) a key is nil, so `be_nil` passes and the group succeeds.
#[test]
fn describe_one_of_a_skipped_yaml_answers_nil_keys() {
    let r = run_local(
        r#"control 'yaml-one' do
  describe.one do
    describe yaml('/nonexistent/mongod.conf') do
      its(%w{net http enabled}) { should cmp 'false' }
    end
    describe yaml('/nonexistent/mongod.conf') do
      its(%w{net http enabled}) { should be_nil }
    end
  end
end
"#,
        &[],
    );
    assert_eq!(
        rows(&r, "yaml-one"),
        vec![passed(
            "YAML /nonexistent/mongod.conf [\"net\", \"http\", \"enabled\"] is expected to be nil"
        )]
    );
}

/// A library resource's FilterTable (`install_filter_methods_on_resource(self, :params)`)
/// over a resource skipped before it set its rows: filter.rb's Table of `[]`, named by the
/// resource and its criteria, a describe of it skipped (runner.rb `resource.resource`).
#[test]
fn a_library_filter_table_of_a_skipped_resource_is_empty() {
    let library = r#"
class GoneTable < Inspec.resource(1)
  name 'gone_table'
  attr_reader :params
  def initialize
    raise Inspec::Exceptions::ResourceSkipped, 'no table here'
    @params = [{ 'name' => 'a' }]
  end
  filter = FilterTable.create
  filter.register_column(:names, field: 'name')
  filter.install_filter_methods_on_resource(self, :params)
  def to_s
    'Gone Table'
  end
end
"#;
    let r = run_local(
        r#"control 'lib-table' do
  describe gone_table.where { name == 'a' } do
    its('names') { should include 'a' }
  end
  describe gone_table.names do
    it { should be_empty }
  end
  describe gone_table.exist? do
    it { should eq false }
  end
  describe 'subject' do
    subject { gone_table.where(name: 'a') }
    it { should exist }
  end
end
"#,
        &[("libraries/t.rb", library)],
    );
    assert_eq!(
        rows(&r, "lib-table"),
        vec![
            row(
                "Gone Table with name == \"a\"",
                ControlStatus::Skipped,
                Some("no table here")
            ),
            passed("[] is expected to be empty"),
            passed("false is expected to eq false"),
            row(
                "subject is expected to exist",
                ControlStatus::Failed,
                Some("expected Gone Table with name == \"a\" to exist")
            ),
        ]
    );
}

/// filter.rb's Trace sees an interpolated string or regexp, and a method of a local value,
/// already evaluated: `where { user =~ /#{tool}/ }` is described `with user =~ /aide/`.
#[test]
fn a_where_block_with_interpolation_is_described_by_its_values() {
    let r = run_local(
        r##"tool = 'aide'
control 'trace' do
  describe passwd.where { user =~ /#{tool}/ } do
    its('users') { should be_empty }
  end
  describe passwd.where { user == "x#{tool}" } do
    its('users') { should be_empty }
  end
  describe passwd.where { user == "#{tool.upcase}" } do
    its('users') { should be_empty }
  end
end
"##,
        &[],
    );
    let got: Vec<String> = rows(&r, "trace").into_iter().map(|g| g.0).collect();
    assert_eq!(
        got,
        [
            "/etc/passwd with user =~ /aide/ users is expected to be empty",
            "/etc/passwd with user == \"xaide\" users is expected to be empty",
            "/etc/passwd with user == \"AIDE\" users is expected to be empty",
        ]
    );
}

#[test]
fn json_from_a_command_fails_in_initialize_and_answers_from_empty_params() {
    // json.rb: `@params = {}`, then `load_raw_from_command` raises ResourceFailed for a
    // command without stdout and `parse` for content that is not JSON. A describe of the
    // resource is one failed result named by it; a key of it elsewhere (a `subject { }`
    // block) is nil from the pre-set params.
    let r = run_local(
        r#"
control 'direct' do
  describe json(command: 'echo err >&2') do
    its('a') { should eq true }
  end
end
control 'direct-empty' do
  describe json(command: 'true') do
    its('a') { should eq true }
  end
end
control 'bad' do
  describe json(command: 'echo nojson') do
    its('a') { should eq true }
  end
end
control 'sub' do
  describe 'Sub' do
    subject { json(command: 'echo err >&2') }
    its('a') { should eq true }
  end
end
"#,
        &[],
    );
    let failed = ControlStatus::Failed;
    assert_eq!(
        rows(&r, "direct"),
        vec![row(
            "JSON from command: echo err >&2 ",
            failed,
            Some("No JSON output, STDERR:\n err\n")
        )]
    );
    assert_eq!(
        rows(&r, "direct-empty"),
        vec![row(
            "JSON from command: true ",
            failed,
            Some("No JSON output, STDERR was empty")
        )]
    );
    let bad = rows(&r, "bad");
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].0, "JSON from command: echo nojson ");
    assert_eq!(bad[0].1, failed);
    assert_eq!(
        rows(&r, "sub"),
        vec![row(
            "Sub a is expected to eq true",
            failed,
            Some("\nexpected: true\n     got: nil\n\n(compared using ==)\n")
        )]
    );
}

#[test]
fn params_with_keys_of_a_skipped_text_conf_walk_the_empty_params() {
    // apache_conf.rb / postgres_conf.rb `params(*opts)`: `res = @params` ({} after the
    // skipped read), then `res = res[opt]` for each key: nil.
    let r = run_local(
        r#"
control 'c' do
  conf = apache_conf('/nonexistent/httpd.conf')
  describe conf.params('SetHandler') do
    it { should_not include 'server-status' }
  end
  describe conf.params do
    it { should eq({}) }
  end
  pg = postgres_conf('/nonexistent/postgresql.conf')
  describe pg.params('port') do
    it { should be_nil }
  end
end
"#,
        &[],
    );
    assert_eq!(
        rows(&r, "c"),
        vec![
            row(
                "is expected not to include \"server-status\"",
                ControlStatus::Failed,
                Some("expected nil not to include \"server-status\", but it does not respond to `include?`")
            ),
            passed("{} is expected to eq {}"),
            passed("is expected to be nil"),
        ]
    );
}
