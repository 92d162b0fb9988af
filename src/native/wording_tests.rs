//! RSpec's and InSpec's wording of `code_desc` and failure messages for the common matchers
//! (issue 14, section 2, finding 8), one row per expectation: the text RSpec 3 / InSpec 7
//! (lib/matchers/matchers.rb, lib/inspec/rspec_extensions.rb) give for it.

use crate::job::ControlStatus;
use crate::native::testing::{run, run_on};

/// (expectation inside `describe 'x' do it { ... } end`, code_desc, failure message or None
/// when it passes).
const TABLE: &[(&str, &str, Option<&str>)] = &[
    (
        "expect([]).to be_empty",
        "x is expected to be empty",
        None,
    ),
    (
        "expect([1]).to be_empty",
        "x is expected to be empty",
        Some("expected `[1].empty?` to be truthy, got false"),
    ),
    (
        "expect([]).not_to be_empty",
        "x is expected not to be empty",
        Some("expected `[].empty?` to be falsey, got true"),
    ),
    (
        "expect('/etc/x').to match(%r{^/usr})",
        "x is expected to match /^\\/usr/",
        Some("expected \"/etc/x\" to match /^\\/usr/"),
    ),
    (
        "expect('a/b').to match(/a\\/b/i)",
        "x is expected to match /a\\/b/i",
        None,
    ),
    (
        "expect('abc').to eq 'abd'",
        "x is expected to eq \"abd\"",
        Some("\nexpected: \"abd\"\n     got: \"abc\"\n\n(compared using ==)\n"),
    ),
    (
        "expect(1).not_to eq 1",
        "x is expected not to eq 1",
        Some("\nexpected: value != 1\n     got: 1\n\n(compared using ==)\n"),
    ),
    (
        "expect('1').to cmp 2",
        "x is expected to cmp == 2",
        Some("\nexpected: 2\n     got: 1\n\n(compared using `cmp` matcher)\n"),
    ),
    (
        "expect([1, 2]).to include 3",
        "x is expected to include 3",
        Some("expected [1, 2] to include 3"),
    ),
    (
        "expect(nil).to be",
        "x is expected to be",
        Some("expected nil to evaluate to true"),
    ),
    (
        "expect(1).not_to be",
        "x is expected not to be",
        Some("expected 1 to evaluate to false"),
    ),
    (
        "expect(3).to be > 5",
        "x is expected to be > 5",
        Some("expected: > 5\n     got:   3"),
    ),
    (
        // BeComparedTo#description: the operand's words (`to_s`, `_` read as a space), not
        // its inspect; the failure message formats it.
        "expect('b').to be <= 'a_3'",
        "x is expected to be <= a 3",
        Some("expected: <= \"a_3\"\n     got:    \"b\""),
    ),
    (
        "expect(3).not_to be < 5",
        "x is expected not to be < 5",
        Some("`expect(3).not_to be < 5`"),
    ),
    (
        "expect(nil).to be_truthy",
        "x is expected to be truthy",
        Some("expected: truthy value\n     got: nil"),
    ),
    (
        "expect(1).to be_nil",
        "x is expected to be nil",
        Some("expected: nil\n     got: 1"),
    ),
    (
        "expect('c').to be_in ['a', 'b']",
        "x is expected to be in \"a\" and \"b\"",
        Some("expected `c` to be in the list: `[\"a\", \"b\"]`"),
    ),
    (
        "expect(['a', 'c']).to be_in ['a', 'b']",
        "x is expected to be in \"a\" and \"b\"",
        Some("expected `[\"a\", \"c\"]` to be in the list: `[\"a\", \"b\"]` \nDiff:\n [\"c\"]"),
    ),
    (
        "expect(['a', 'c']).not_to be_in ['a', 'b']",
        "x is expected not to be in \"a\" and \"b\"",
        Some("expected `[\"a\", \"c\"]` not to be in the list: `[\"a\", \"b\"]` \nComm:\n [\"a\"]"),
    ),
    (
        "expect('INFO').to be_in ['INFO', 'VERBOSE', 'DEBUG']",
        "x is expected to be in \"INFO\", \"VERBOSE\", and \"DEBUG\"",
        None,
    ),
    (
        "expect([1, 2]).to include 1, 2, 3",
        "x is expected to include 1, 2, and 3",
        Some("expected [1, 2] to include 3"),
    ),
    (
        "expect(['a']).not_to include 'a', 'b'",
        "x is expected not to include \"a\" and \"b\"",
        Some("expected [\"a\"] not to include \"a\""),
    ),
    (
        "expect(nil.strip).to eq 1",
        "x ",
        Some("undefined method `strip' for nil:NilClass"),
    ),
    (
        "expect(file('/etc/passwd')).to exist",
        "x is expected to exist",
        None,
    ),
    (
        "expect(file('/nope')).to exist",
        "x is expected to exist",
        Some("expected File /nope to exist"),
    ),
    (
        "expect(package('telnet')).to be_installed",
        "x is expected to be installed",
        Some("expected that `System Package telnet` is installed"),
    ),
    (
        "expect(package('openssh-server')).not_to be_installed",
        "x is expected not to be installed",
        Some("expected System Package openssh-server not to be installed"),
    ),
    (
        "expect(etc_fstab.entries.first).to be_nil",
        "x is expected to be nil",
        Some("expected: nil\n     got: #<struct device_name=\"/dev/sda1\", mount_point=\"/\", mount_options=[\"defaults\"]>"),
    ),
];

#[test]
fn code_desc_and_messages_have_rspecs_wording() {
    let mut src = String::new();
    for (i, (expectation, _, _)) in TABLE.iter().enumerate() {
        src.push_str(&format!(
            "control 'w{i}' do\n  describe 'x' do\n    it {{ {expectation} }}\n  end\nend\n"
        ));
    }
    let results = run(&src);
    let mut wrong = Vec::new();
    for (i, (expectation, code_desc, message)) in TABLE.iter().enumerate() {
        let id = format!("w{i}");
        let Some(c) = results.iter().find(|c| c.id == id) else {
            wrong.push(format!("{expectation}: no result"));
            continue;
        };
        let got: Vec<(String, ControlStatus, Option<String>)> = c
            .results
            .iter()
            .map(|r| (r.code_desc.clone(), r.status, r.message.clone()))
            .collect();
        let want = vec![(
            code_desc.to_string(),
            if message.is_some() {
                ControlStatus::Failed
            } else {
                ControlStatus::Passed
            },
            message.map(str::to_string),
        )];
        if got != want {
            wrong.push(format!("{expectation}:\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_filter_table_row_is_described_by_its_criteria() {
    let r = run(
        "control 'row' do\n  describe etc_fstab.where { mount_point == '/home' }.entries.first do\n    its('device_name') { should eq '/dev/sda2' }\n  end\nend\n",
    );
    let c = &r[0];
    assert_eq!(c.status, ControlStatus::Passed, "{c:#?}");
    assert!(
        c.results[0]
            .code_desc
            .ends_with(" one entry device_name is expected to eq \"/dev/sda2\""),
        "{c:#?}"
    );
    assert!(!c.results[0].code_desc.contains("#<Object>"), "{c:#?}");
}

/// filter.rb's `Trace`: a `where` block is described by the calls it makes on its rows
/// (`where { uid.to_i < 1000 }` → "with uid to_i < 1000"); hash criteria come first.
#[test]
fn a_where_block_is_described_as_filter_rb_traces_it() {
    let cases = [
        (
            "where { mount_point == '/home' }",
            "(fstab) with mount_point == \"/home\" count",
        ),
        (
            "where { device_name.start_with?('/dev/sda') && mount_point != '/' }",
            "(fstab) with device_name start_with? \"/dev/sda\" mount_point != \"/\" count",
        ),
        (
            "where(mount_point: '/home') { device_name =~ /sda/ }",
            "(fstab) with mount_point == \"/home\" device_name =~ /sda/ count",
        ),
        (
            "where { |row| row.mount_point.size > 1 }",
            "(fstab) with mount_point size > 1 count",
        ),
        (
            "where { mount_point || nope }",
            "(fstab) with mount_point count",
        ),
        (
            "where(mount_point: '/home').where { device_name != '' }",
            "(fstab) with mount_point == \"/home\" device_name != \"\" count",
        ),
        // An element of an outer local is a value Ruby computes before `==` records it.
        (
            "where { mount_point == want['mp'] }",
            "(fstab) with mount_point == \"/home\" count",
        ),
    ];
    let mut src = String::from("want = { 'mp' => '/home' }\n");
    for (i, (filter, _)) in cases.iter().enumerate() {
        src.push_str(&format!(
            "control 't{i}' do\n  describe etc_fstab.{filter} do\n    its('count') {{ should eq 1 }}\n  end\nend\n"
        ));
    }
    let results = run(&src);
    let mut wrong = Vec::new();
    for (i, (filter, want)) in cases.iter().enumerate() {
        let c = results.iter().find(|c| c.id == format!("t{i}"));
        let got = c
            .and_then(|c| c.results.first())
            .map(|r| r.code_desc.clone());
        if !got.as_deref().is_some_and(|d| d.contains(want)) {
            wrong.push(format!("{filter}: want …{want}…, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// runner.rb `get_check_example`: a described resource that skipped while loading gives one
/// skipped result named by the resource, not one per `its`.
#[test]
fn a_skipped_resource_gives_one_result_for_its_describe() {
    let r = run(
        "control 'gone' do\n  describe rpm_only('x') do\n    its('version') { should eq '1' }\n    it { should be_installed }\n  end\n  describe file('/etc/passwd') do\n    it { should exist }\n  end\nend\n",
    );
    let got: Vec<(String, ControlStatus, Option<String>)> = r[0]
        .results
        .iter()
        .map(|c| (c.code_desc.clone(), c.status, c.skip_message.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "RPM only".to_string(),
                ControlStatus::Skipped,
                Some("The `rpm_only` resource is not supported on your OS".to_string())
            ),
            (
                "File /etc/passwd is expected to exist".to_string(),
                ControlStatus::Passed,
                None
            ),
        ]
    );
}

/// Controls evaluated with the native resources on this machine.
fn run_local(controls: &str) -> Vec<crate::job::ControlResult> {
    run_on(crate::transport::local::test_host(), controls)
}

/// json.rb / parse_config.rb read their file in `initialize`: a missing one skips the
/// resource there. Described, it is one skipped result; used as a value, `params` is `{}`
/// (pre-set "so that it can be called outside of a describe") and a key is nil — the
/// control runs on, as in InSpec.
#[test]
fn a_config_file_skipped_in_initialize_is_one_result_and_an_empty_value() {
    let r = run_local(
        "control 'described' do\n  describe yaml('/nonexistent/x.yml') do\n    its('a') { should eq 1 }\n    its(['b']) { should eq 2 }\n  end\nend\ncontrol 'value' do\n  conf = parse_config_file('/nonexistent/pwquality.conf')\n  describe conf.params['ucredit'] do\n    it { should be_nil }\n  end\n  describe json('/nonexistent/daemon.json').params do\n    it { should be_empty }\n  end\nend\n",
    );
    let got = |id: &str| -> Vec<(String, ControlStatus, Option<String>)> {
        r.iter()
            .find(|c| c.id == id)
            .map(|c| {
                c.results
                    .iter()
                    .map(|x| (x.code_desc.clone(), x.status, x.skip_message.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        got("described"),
        vec![(
            "YAML /nonexistent/x.yml".to_string(),
            ControlStatus::Skipped,
            Some("Can't find file: /nonexistent/x.yml".to_string())
        )]
    );
    let value = got("value");
    assert_eq!(
        value.iter().map(|v| v.1).collect::<Vec<_>>(),
        [ControlStatus::Passed, ControlStatus::Passed],
        "{value:?}"
    );
}

/// `should` is sent to the subject first: an `its` whose value raises ran no matcher, and
/// RSpec's full_description ends with the empty example description (InSpec: "File
/// /proc/sys/crypto/fips_enabled content.strip ").
#[test]
fn an_its_whose_subject_raises_has_no_matcher_description() {
    let r = run(
        "control 'raises' do\n  describe nil do\n    its('strip') { should cmp 1 }\n  end\nend\n",
    );
    let c = &r[0].results[0];
    assert_eq!(c.status, ControlStatus::Failed, "{c:#?}");
    assert_eq!(c.code_desc, "strip ", "{c:#?}");
}

/// Controls evaluated with the native resources on a fixture host.
fn run_on_fixture(host: &str, controls: &str) -> Vec<crate::job::ControlResult> {
    run_on(crate::native::testing::fixture_host(host), controls)
}

/// docker.rb's `info` / `version` are Hashie::Mashes (empty without a daemon): a dotted
/// `its` sends each name in turn (rspec-its), a missing key is nil and the next name
/// raises on it, as InSpec reports it (docker-ce CIS 1.3 without Docker).
#[test]
fn a_dotted_its_on_a_docker_mash_sends_each_name() {
    let r = run_on_fixture(
        "debian12",
        "control 'd' do\n  describe docker.version do\n    its('Client.Version') { should cmp >= '17.03' }\n  end\n  describe Hashie::Mash.new({'Swarm' => {'LocalNodeState' => 'active'}}) do\n    its('Swarm.LocalNodeState') { should eq 'active' }\n  end\nend\n",
    );
    assert_eq!(
        crate::native::testing::status_rows(&r, "d"),
        vec![
            (
                "#<Hashie::Mash> Client.Version ".to_string(),
                ControlStatus::Failed,
                Some("undefined method `Version' for nil:NilClass".to_string())
            ),
            (
                "#<Hashie::Mash Swarm=#<Hashie::Mash LocalNodeState=\"active\">> Swarm.LocalNodeState is expected to eq \"active\"".to_string(),
                ControlStatus::Passed,
                None
            ),
        ]
    );
}

/// What has no `to_s` of its own is named by Ruby's `Object#to_s`, `#<Class:0x…>` (the
/// address 16 hex digits): etc_group.rb's `where` answers an EtcGroupView, docker.rb's
/// `containers` a DockerContainerFilter, as the InSpec oracle prints them.
#[test]
fn objects_without_to_s_are_named_by_class_and_address() {
    let r = run_on_fixture(
        "debian12",
        "control 'g' do\n  describe etc_group.where(group_name: 'nope') do\n    its('users') { should include 'vagrant' }\n  end\n  describe docker.containers do\n    its('ids') { should be_empty }\n  end\nend\n",
    );
    let got: Vec<(String, ControlStatus, Option<String>)> = r[0]
        .results
        .iter()
        .map(|c| (c.code_desc.clone(), c.status, c.message.clone()))
        .collect();
    let address = regex::Regex::new(r"^#<([A-Za-z:]+):0x[0-9a-f]{16}> (.*)$").unwrap();
    let named: Vec<(String, String, ControlStatus, Option<String>)> = got
        .iter()
        .filter_map(|(d, s, m)| {
            let c = address.captures(d)?;
            Some((c[1].to_string(), c[2].to_string(), *s, m.clone()))
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (
                "Inspec::Resources::EtcGroupView".to_string(),
                "users is expected to include \"vagrant\"".to_string(),
                ControlStatus::Failed,
                Some("expected [] to include \"vagrant\"".to_string())
            ),
            (
                "DockerContainerFilter".to_string(),
                "ids is expected to be empty".to_string(),
                ControlStatus::Passed,
                None
            ),
        ],
        "{got:#?}"
    );
}

/// Each result of control `id`: code_desc, status, message or skip_message.
fn results_of(
    r: &[crate::job::ControlResult],
    id: &str,
) -> Vec<(String, ControlStatus, Option<String>)> {
    r.iter()
        .find(|c| c.id == id)
        .map(|c| {
            c.results
                .iter()
                .map(|x| {
                    let m = x.message.clone().or_else(|| x.skip_message.clone());
                    (x.code_desc.clone(), x.status, m)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Resources that read their facts in `initialize` (FileReader's `read_file_content`,
/// auditd.rb's `auditctl -l`): skipped there, a describe of one is one skipped result, and
/// failed there (ResourceFailed), one failed result `Auditd Rules ` (rspec_failed_block);
/// used as values they answer the state `initialize` left, and the control runs on. Each
/// expected row is InSpec 7.1.16's (`inspec exec -t local://` of the same controls).
#[test]
fn resources_that_skip_or_fail_in_initialize_as_inspec_reports_them() {
    let r = run_on(
        crate::native::testing::fixture_host("ubuntu2004"),
        "control 'described' do
  describe auditd_conf('/nonexistent/auditd.conf') do
    its('log_file') { should eq '/var/log/audit/audit.log' }
    its('conf_path') { should eq '/nonexistent/auditd.conf' }
  end
  describe nginx_conf('/nonexistent/nginx.conf') do
    its('params') { should_not be_empty }
  end
  describe auditd do
    its('lines') { should_not be_empty }
    its('file') { should include '/etc/passwd' }
  end
end
control 'values' do
  describe auditd_conf('/nonexistent/auditd.conf').log_file do
    it { should be_nil }
  end
  describe login_defs('/nonexistent/login.defs').read_params do
    it { should eq({}) }
  end
  describe nginx_conf('/nonexistent/nginx.conf').params do
    it { should eq({}) }
  end
  describe nginx_conf('/nonexistent/nginx.conf').servers do
    it { should eq([]) }
  end
  describe mysql_conf('/nonexistent/my.cnf').content do
    it { should eq '' }
  end
  describe aide_conf('/nonexistent/aide.conf').rules do
    it { should eq([]) }
  end
  describe aide_conf('/nonexistent/aide.conf').all_have_rule('sha512') do
    it { should eq false }
  end
  describe xml('/nonexistent/x.xml').params do
    it { should eq({}) }
  end
  describe auditd.lines do
    it { should be_nil }
  end
  describe auditd.file do
    it { should eq([]) }
  end
end
",
    );
    let row = |d: &str, s: ControlStatus, m: Option<&str>| (d.to_string(), s, m.map(String::from));
    let skipped = |d: &str, m: &str| row(d, ControlStatus::Skipped, Some(m));
    assert_eq!(
        results_of(&r, "described"),
        vec![
            skipped(
                "Audit Daemon Config",
                "Can't find file: /nonexistent/auditd.conf"
            ),
            skipped(
                "nginx_conf /nonexistent/nginx.conf",
                "Can't find file: /nonexistent/nginx.conf"
            ),
            row(
                "Auditd Rules ",
                ControlStatus::Failed,
                Some("Command `/sbin/auditctl` does not exist")
            ),
        ]
    );
    let passed = |d: &str| row(d, ControlStatus::Passed, None);
    assert_eq!(
        results_of(&r, "values"),
        vec![
            passed("is expected to be nil"),
            passed("{} is expected to eq {}"),
            passed("{} is expected to eq {}"),
            passed("[] is expected to eq []"),
            passed("is expected to eq \"\""),
            passed("[] is expected to eq []"),
            passed("false is expected to eq false"),
            passed("{} is expected to eq {}"),
            passed("is expected to be nil"),
            passed("[] is expected to eq []"),
        ]
    );
}

/// grub_conf.rb reads its config in `initialize` (a skip there: one skipped result) but
/// reads it and /etc/default/grub again in `read_params`, where a ResourceSkipped fails the
/// example that asked (`Grub Config kernel `, no matcher description); and `describe.one`
/// checks no resource before its examples run (describe_base.rb), so a skipped grub_conf
/// fails there and a skipped json answers nil. InSpec 7.1.16's rows (`inspec exec -t
/// local://` on a Debian 12 without /etc/default/grub).
#[test]
fn grub_conf_skips_in_initialize_and_fails_later_as_inspec_reports_it() {
    let r = run_on(
        crate::native::testing::fixture_host("ubuntu2004"),
        "control 'grub-one' do
  describe.one do
    describe grub_conf('/nonexistent/grub.cfg') do
      its('kernel') { should include 'audit=1' }
    end
    describe json('/nonexistent/x.json') do
      its('a') { should eq 1 }
    end
  end
end
control 'grub-described' do
  describe grub_conf('/nonexistent/grub.cfg') do
    its('kernel') { should include 'audit=1' }
    its('params') { should_not be_empty }
  end
end
control 'grub-later' do
  describe grub_conf('/etc/fstab') do
    its('kernel') { should include 'audit=1' }
    its('params') { should_not be_empty }
  end
end
",
    );
    let row = |d: &str, s: ControlStatus, m: &str| (d.to_string(), s, Some(m.to_string()));
    let missing = "Can't find file: /nonexistent/grub.cfg";
    let no_defaults = "Can't find file: /etc/default/grub";
    assert_eq!(
        results_of(&r, "grub-one"),
        vec![
            row("Grub Config kernel ", ControlStatus::Failed, missing),
            row(
                "JSON /nonexistent/x.json a is expected to eq 1",
                ControlStatus::Failed,
                "\nexpected: 1\n     got: nil\n\n(compared using ==)\n"
            ),
        ]
    );
    assert_eq!(
        results_of(&r, "grub-described"),
        vec![row("Grub Config", ControlStatus::Skipped, missing)]
    );
    assert_eq!(
        results_of(&r, "grub-later"),
        vec![
            row("Grub Config kernel ", ControlStatus::Failed, no_defaults),
            row("Grub Config params ", ControlStatus::Failed, no_defaults),
        ]
    );
}

/// xml.rb requires REXML only once it read the file: on a skipped xml, `params` is `{}` but
/// an XPath is Ruby's NameError, failing the example (or the control) that asked. InSpec
/// 7.1.16's statuses and messages (its message goes on with the source line, ours ends
/// there; a describe argument that raises is InSpec's `Control Source Code Error`, ours is
/// named by its source text — the evaluator's rule for raising subjects, not this one's).
#[test]
fn a_skipped_xml_answers_params_and_fails_an_xpath() {
    let r = run_on(
        crate::native::testing::fixture_host("ubuntu2004"),
        "control 'xml-subject' do
  describe 'The cookie-config element' do
    subject { xml('/nonexistent/web.xml')['//cookie-config'] }
    it { should cmp false }
  end
end
control 'xml-value' do
  web = xml('/nonexistent/web.xml')
  describe web.params do
    it { should eq({}) }
  end
  describe web['//filter'] do
    it { should_not be_empty }
  end
end
",
    );
    let rexml = "uninitialized constant xml::REXML";
    let rows = |id: &str| -> Vec<(String, ControlStatus, bool)> {
        results_of(&r, id)
            .into_iter()
            .map(|(d, s, m)| (d, s, m.is_some_and(|m| m.starts_with(rexml))))
            .collect()
    };
    assert_eq!(
        rows("xml-subject"),
        vec![(
            "The cookie-config element ".to_string(),
            ControlStatus::Failed,
            true
        )]
    );
    let value = rows("xml-value");
    assert_eq!(
        value.iter().map(|v| (v.1, v.2)).collect::<Vec<_>>(),
        [
            (ControlStatus::Passed, false),
            (ControlStatus::Failed, true)
        ],
        "{value:?}"
    );
}

/// More resources FileReader skips in `initialize`: apache_conf, postgres_conf,
/// postgres_hba_conf, etc_hosts, etc_hosts_allow answer their empty state as values; a
/// describe of one is one skipped result; sshd_config reads its file again on each use, so
/// inside `describe.one` (no resource check) its example fails with the skip's message.
/// InSpec 7.1.16's rows (`inspec exec -t local://` of the same controls).
#[test]
fn more_file_resources_skipped_in_initialize_as_inspec_reports_them() {
    let r = run_on(
        crate::native::testing::fixture_host("ubuntu2004"),
        "control 'described' do
  describe apache_conf('/nonexistent/httpd.conf') do
    its('Listen') { should cmp 80 }
  end
  describe postgres_hba_conf('/nonexistent/pg_hba.conf') do
    its('type') { should include 'local' }
  end
  describe etc_hosts('/nonexistent/hosts') do
    its('ip_address') { should include '127.0.0.1' }
  end
end
control 'values' do
  describe apache_conf('/nonexistent/httpd.conf').content do
    it { should eq '' }
  end
  describe postgres_conf('/nonexistent/pg.conf').params do
    it { should eq({}) }
  end
  describe postgres_hba_conf('/nonexistent/pg_hba.conf').auth_method do
    it { should eq([]) }
  end
  describe etc_hosts('/nonexistent/hosts').ip_address do
    it { should eq([]) }
  end
  describe etc_hosts_allow('/nonexistent/hosts.allow').daemon do
    it { should eq([]) }
  end
end
control 'ssh-one' do
  describe.one do
    describe sshd_config('/nonexistent/sshd_config') do
      its('Ciphers') { should cmp 'aes256-ctr' }
    end
  end
end
",
    );
    let row = |d: &str, s: ControlStatus, m: Option<&str>| (d.to_string(), s, m.map(String::from));
    let skipped = |d: &str, f: &str| {
        let m = format!("Can't find file: /nonexistent/{f}");
        row(d, ControlStatus::Skipped, Some(&m))
    };
    assert_eq!(
        results_of(&r, "described"),
        vec![
            skipped("Apache Config /nonexistent/httpd.conf", "httpd.conf"),
            skipped(
                "Postgres Hba Config /nonexistent/pg_hba.conf",
                "pg_hba.conf"
            ),
            skipped("Hosts File", "hosts"),
        ]
    );
    let passed = |d: &str| row(d, ControlStatus::Passed, None);
    assert_eq!(
        results_of(&r, "values"),
        vec![
            passed("is expected to eq \"\""),
            passed("{} is expected to eq {}"),
            passed("[] is expected to eq []"),
            passed("[] is expected to eq []"),
            passed("[] is expected to eq []"),
        ]
    );
    assert_eq!(
        results_of(&r, "ssh-one"),
        vec![row(
            "SSHD Configuration Ciphers ",
            ControlStatus::Failed,
            Some("Can't find file: /nonexistent/sshd_config")
        )]
    );
}

/// A FilterTable filter of a resource that failed in `initialize` is a table of that
/// resource (runner.rb looks through it): its describe is one failed result, not one per
/// `its` on an empty column. InSpec 7.1.16 names it `Auditd Rules with file ==
/// "/var/log/faillog" `; ours is named by the source text (the evaluator's rule for a
/// subject that raises), so only the count, status and message are asserted.
#[test]
fn a_filter_of_a_resource_failed_in_initialize_is_one_failed_result() {
    let r = run_on(
        crate::native::testing::fixture_host("ubuntu2004"),
        "control 'filter' do
  describe auditd.file('/var/log/faillog') do
    its('permissions') { should include ['w', 'a'] }
    its('action.uniq') { should cmp 'always' }
  end
end
",
    );
    let got = results_of(&r, "filter");
    assert_eq!(
        got.iter().map(|g| (g.1, g.2.clone())).collect::<Vec<_>>(),
        [(
            ControlStatus::Failed,
            Some("Command `/sbin/auditctl` does not exist".to_string())
        )],
        "{got:?}"
    );
}

/// mysql_conf.rb skipped in `initialize` keeps `@params = {}`: `params('mysqld')` is a
/// MysqlConfEntry of nil, whose keys are `nil[k]`, Ruby's NoMethodError, failing each
/// example (InSpec 7.1.16 on the mysql baseline's mysql-conf-03, `inspec exec -t local://`;
/// its message goes on with the source line).
#[test]
fn a_skipped_mysql_conf_section_fails_each_key() {
    let r = run_on(
        crate::native::testing::fixture_host("ubuntu2004"),
        "control 'section' do
  describe mysql_conf('/nonexistent/my.cnf').params('mysqld') do
    its('user') { should cmp 'mysql' }
  end
end
",
    );
    assert_eq!(
        results_of(&r, "section"),
        vec![(
            "MySQL Config entry [mysqld] user ".to_string(),
            ControlStatus::Failed,
            Some("undefined method `[]' for nil:NilClass".to_string())
        )]
    );
}

/// A pending example (no block) is named by its group's own description with its own
/// description as the skip message (formatters/base.rb); a describe body's `input('x')`
/// defines one and answers the RSpec::Core::Example (rspec_extensions.rb).
#[test]
fn pending_examples_and_inputs_in_a_describe_body() {
    let r = crate::native::testing::run_with(
        r##"
control 'a' do
  describe 'Control not applicable' do
    skip 'not using' unless input('flag')
    skip 'in container'
  end
end
control 'b' do
  describe 'B' do
    skip "The #{input('dir')} directory was not found."
  end
end
control 'c' do
  describe 'G' do
    it 'pending thing'
    it('named') { skip 'why' }
    describe 'inner' do
      x = input('flag')
    end
  end
  describe 'E' do
    it { expect(input('flag')).to eq true }
  end
end
"##,
        &[],
        serde_json::json!({"flag": true, "dir": "/tmp"}),
        None,
    );
    let got: Vec<(String, ControlStatus, String, String)> = r
        .iter()
        .flat_map(|c| {
            c.results.iter().map(|x| {
                (
                    c.id.clone(),
                    x.status,
                    x.code_desc.clone(),
                    x.skip_message.clone().unwrap_or_default(),
                )
            })
        })
        .collect();
    use ControlStatus::{Passed as P, Skipped as S};
    let want = [
        ("a", S, "Control not applicable", "flag"),
        ("a", S, "Control not applicable", "in container"),
        ("b", S, "B", "dir"),
        (
            "b",
            S,
            "B",
            "The #<RSpec::Core::Example \"dir\"> directory was not found.",
        ),
        ("c", S, "G", "pending thing"),
        ("c", S, "G", "named"),
        ("c", S, "inner", "flag"),
        ("c", P, "E is expected to eq true", ""),
    ];
    let want: Vec<(String, ControlStatus, String, String)> = want
        .iter()
        .map(|(i, s, d, m)| (i.to_string(), *s, d.to_string(), m.to_string()))
        .collect();
    assert_eq!(got, want);
}

/// RSpec's ObjectFormatter cuts a value's inspect of 200 characters or more to its first
/// 101 and last 100 around "..." in descriptions and messages (object_formatter.rb).
#[test]
fn long_values_are_cut_as_rspecs_object_formatter_does() {
    let long = "ab".repeat(150);
    let r = run(&format!(
        "control 'l' do\n  describe 'x' do\n    it {{ expect(nil).to eq '{long}' }}\n  end\nend\n"
    ));
    let quoted = format!("{long:?}");
    let cut = format!("{}...{}", &quoted[..101], &quoted[quoted.len() - 100..]);
    let c = &r[0].results[0];
    assert_eq!(c.code_desc, format!("x is expected to eq {cut}"));
    assert_eq!(
        c.message.as_deref(),
        Some(format!("\nexpected: {cut}\n     got: nil\n\n(compared using ==)\n").as_str())
    );
}

/// RSpec's `before` hooks run before each example of their group, wherever the body
/// declares them; a `skip` there leaves the example skipped without a description.
#[test]
fn before_hooks_run_before_each_example_of_their_group() {
    let r = run(r##"
control 'b' do
  describe 'H' do
    subject { 'abc' }
    it { should match /b/ }
    before do
      skip if 1 == 1
    end
  end
end
control 'd' do
  describe 'J' do
    x = 1
    before { x = 2 }
    describe 'inner' do
      it { expect(x).to eq 2 }
    end
  end
end
"##);
    let b = &r[0];
    assert_eq!(b.status, ControlStatus::Skipped, "{b:#?}");
    assert_eq!(b.results[0].code_desc, "H ");
    let d = &r[1];
    assert_eq!(d.status, ControlStatus::Passed, "{d:#?}");
    assert_eq!(d.results[0].code_desc, "J inner is expected to eq 2");
}

/// matchers.rb `be_in`: an item that is no Array asks `list.include?(item)` of any list (a
/// String's substring, a Hash's key, a Range's cover, nil's NoMethodError); an Array item
/// takes `item - list`, which refuses a list that is no Array (TypeError). RSpec describes
/// the list as `Array(list)` (a Range's members). Each row is InSpec 7.1.16's on the same
/// expectations (`inspec exec -t local://`); Hash lists are checked by status alone, their
/// inspect being Ruby's of another version here.
#[test]
fn be_in_asks_any_list_include_and_an_array_item_subtracts_it() {
    use ControlStatus::{Failed, Passed};
    let r = run(r#"
control 'in' do
  describe 'ell' do
    it { should be_in 'hello' }
  end
  describe 'xyz' do
    it { should be_in 'hello' }
  end
  describe 'ell' do
    it { should_not be_in 'hello' }
  end
  describe 2.5 do
    it { should be_in 1..3 }
  end
  describe 5 do
    it { should be_in 1..3 }
  end
  describe 5 do
    it { should_not be_in 1...3 }
  end
  describe ['a'] do
    it { should be_in 'abc' }
  end
  describe ['a'] do
    it { should_not be_in 'abc' }
  end
  describe [1] do
    it { should be_in 1..3 }
  end
end
control 'hash' do
  describe 'a' do
    it { should be_in({ 'a' => 1, 'b' => 2 }) }
  end
  describe 'z' do
    it { should be_in({ 'a' => 1 }) }
  end
  describe 'z' do
    it { should_not be_in({ 'a' => 1 }) }
  end
  describe ['a'] do
    it { should be_in({ 'a' => 1 }) }
  end
end
control 'nil' do
  describe 'a' do
    it { should be_in nil }
  end
end
"#);
    let row = |d: &str, s: ControlStatus, m: Option<&str>| (d.to_string(), s, m.map(String::from));
    let refused = |class: &str| format!("no implicit conversion of {class} into Array");
    assert_eq!(
        crate::native::testing::status_rows(&r, "in"),
        vec![
            row("ell is expected to be in \"hello\"", Passed, None),
            row(
                "xyz is expected to be in \"hello\"",
                Failed,
                Some("expected `xyz` to be in the list: `hello`")
            ),
            row(
                "ell is expected not to be in \"hello\"",
                Failed,
                Some("expected `ell` not to be in the list: `hello`")
            ),
            row("2.5 is expected to be in 1, 2, and 3", Passed, None),
            row(
                "5 is expected to be in 1, 2, and 3",
                Failed,
                Some("expected `5` to be in the list: `1..3`")
            ),
            row("5 is expected not to be in 1 and 2", Passed, None),
            row(
                "[\"a\"] is expected to be in \"abc\"",
                Failed,
                Some(&refused("String"))
            ),
            row(
                "[\"a\"] is expected not to be in \"abc\"",
                Failed,
                Some(&refused("String"))
            ),
            row(
                "[1] is expected to be in 1, 2, and 3",
                Failed,
                Some(&refused("Range"))
            ),
        ]
    );
    let statuses: Vec<ControlStatus> = crate::native::testing::status_rows(&r, "hash")
        .into_iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(statuses, vec![Passed, Failed, Passed, Failed]);
    let none = crate::native::testing::status_rows(&r, "nil");
    assert_eq!(
        (none[0].0.as_str(), none[0].1),
        ("a is expected to be in nil", Failed)
    );
    assert!(
        none[0]
            .2
            .as_deref()
            .is_some_and(|m| m.starts_with("undefined method `include?' for nil:NilClass")),
        "{none:?}"
    );
}

/// RSpec describes `be_in LIST` by `Array(list)`, which an input without a value refuses
/// (its `to_ary` answers itself): rspec-core names the example by its location and the
/// error instead (InSpec 7.1.16 on mongodb V-81851: "File /etc/mongod.conf owner example at
/// …/controls/V-81851.rb:73 (Got an error when generating description from matcher:
/// TypeError: can't convert …"), the status unchanged.
#[test]
fn be_in_an_input_without_a_value_is_described_by_its_location() {
    let r = run(r#"control 'c' do
  describe 'x' do
    it { should be_in input('no_such_input') }
  end
end
"#);
    let c = &r[0].results[0];
    assert_eq!(c.status, ControlStatus::Passed);
    let want = "x example at test/controls/test.rb:3 (Got an error when generating \
                description from matcher: TypeError: can't convert Inspec::Input::NO_VALUE_SET \
                to Array (Inspec::Input::NO_VALUE_SET#to_ary gives Inspec::Input::NO_VALUE_SET) \
                -- ";
    assert!(c.code_desc.starts_with(want), "{}", c.code_desc);
}

/// service.rb interpolates its argument into commands and its to_s: a resource given as the
/// name is its to_s (`service(mysql)` is "Service MySQL"), not an argument error.
#[test]
fn a_resource_given_as_a_service_name_is_its_to_s() {
    let r = run_local(
        "control 's' do\n  describe service(os) do\n    it { should be_running }\n  end\nend\n",
    );
    let c = &r[0].results[0];
    assert_eq!(
        c.code_desc, "Service Operating System Detection is expected to be running",
        "{c:#?}"
    );
    assert_eq!(c.status, ControlStatus::Failed, "{c:#?}");
}

/// A block given to a resource property that does not yield is ignored, as Ruby ignores it:
/// `package(...).version { ... }` is the version (nil here, so only_if skips the control).
#[test]
fn a_block_given_to_a_plain_property_is_ignored() {
    let r = run_local(
        "control 'v' do\n  only_if do\n    package('airs-no-such-package').version { cmp <= '2.4.5' }\n  end\n  describe file('/etc/passwd') do\n    it { should exist }\n  end\nend\n",
    );
    let c = &r[0].results[0];
    assert_eq!(c.status, ControlStatus::Skipped, "{c:#?}");
    assert_eq!(
        c.skip_message.as_deref(),
        Some("Skipped control due to only_if condition."),
        "{c:#?}"
    );
}

/// RSpec's BePredicate asks `respond_to?` before calling (`x?`, or the present tense
/// `xs?`): `be_empty` on a file or directory, which InSpec's File resource lacks, fails
/// "expected File P to respond to `empty?`" whether or not negated, and the rest of the
/// control runs (ishigaki's tidy_files, checked against InSpec 7.1.16).
#[test]
fn a_predicate_the_file_resource_lacks_fails_as_not_responding() {
    let r = run_local(
        "control 'c' do\n  describe directory('/etc') do\n    it { should be_directory }\n    it { should be_empty }\n    it { should_not be_empty }\n  end\n  describe file('/nonexistent/x') do\n    it { should_not exist }\n    it { should be_empty }\n    it { should_not be_zero_length }\n  end\nend\n",
    );
    let c = r.iter().find(|c| c.id == "c").expect("control c");
    let got: Vec<(String, ControlStatus, Option<String>)> = c
        .results
        .iter()
        .map(|x| (x.code_desc.clone(), x.status, x.message.clone()))
        .collect();
    let respond = |p: &str| Some(format!("expected {p} to respond to `empty?`"));
    assert_eq!(
        got,
        vec![
            (
                "Directory /etc is expected to be directory".into(),
                ControlStatus::Passed,
                None
            ),
            (
                "Directory /etc is expected to be empty".into(),
                ControlStatus::Failed,
                respond("Directory /etc")
            ),
            (
                "Directory /etc is expected not to be empty".into(),
                ControlStatus::Failed,
                respond("Directory /etc")
            ),
            (
                "File /nonexistent/x is expected not to exist".into(),
                ControlStatus::Passed,
                None
            ),
            (
                "File /nonexistent/x is expected to be empty".into(),
                ControlStatus::Failed,
                respond("File /nonexistent/x")
            ),
            (
                "File /nonexistent/x is expected not to be zero length".into(),
                ControlStatus::Failed,
                Some("expected File /nonexistent/x to respond to `zero_length?`".into())
            ),
        ]
    );
    let cov = crate::native::coverage::coverage(&crate::native::testing::snippet_profile(
        "control 'c' do\n  describe file('/tmp') do\n    it { should be_empty }\n  end\nend\n",
        &[],
        None,
    ));
    assert_eq!(cov.supported, 1, "{:#?}", cov.controls);
}
