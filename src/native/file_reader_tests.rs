//! InSpec's FileReader (utils/file_reader.rb `read_file_content`) as each resource that
//! reads with it meets a path that is no file ("Can't find file"), a file it may not read
//! ("Can't read file", what an unprivileged scan meets on /etc/shadow) or an empty file
//! ("File is empty", unless the resource allows it). Resources that read in `initialize`
//! are skipped there; shadow.rb reads when its FilterTable asks, where filter.rb answers an
//! ExceptionCatcher. Each expected row is InSpec 7.1.16's (`inspec exec -t local://` of the
//! same controls, as the unprivileged user `auditor` on /etc/shadow).

use crate::job::{ControlResult, ControlStatus};
use crate::native::testing::{run_on, status_rows as rows};

/// A regular file that even root cannot read: sysfs's write-only `rescan` (mode 0200).
const REFUSED: &str = "/sys/bus/pci/rescan";

fn run_local(controls: &str) -> Vec<ControlResult> {
    run_on(crate::transport::local::test_host(), controls)
}

type Row = (String, ControlStatus, Option<String>);

fn row(d: &str, s: ControlStatus, m: &str) -> Row {
    (d.to_string(), s, (!m.is_empty()).then(|| m.to_string()))
}

fn refused_file() -> &'static str {
    assert!(
        std::path::Path::new(REFUSED).is_file(),
        "{REFUSED}: a write-only file is needed"
    );
    REFUSED
}

#[test]
fn an_unreadable_shadow_answers_filter_tables_exception_catcher() {
    let p = refused_file();
    let src = format!(
        r#"
control 'describe' do
  describe shadow('{p}') do
    its('passwords') {{ should_not include '' }}
    its('count') {{ should eq 0 }}
  end
end
control 'where' do
  describe shadow('{p}').where(user: 'root') do
    its('passwords') {{ should cmp(/^[*!]/) }}
  end
end
control 'entries' do
  shadow('{p}').users(/.+/).entries.each do |u|
    describe u do
      its('max_days') {{ should cmp <= 365 }}
    end
  end
  describe 'after' do
    it {{ should eq 'after' }}
  end
end
control 'one' do
  describe.one do
    describe shadow('{p}').users('root') do
      its(:passwords) {{ should_not include('*') }}
    end
    describe shadow('{p}').where(user: 'root') do
      its('passwords.uniq.first') {{ should eq '!*' }}
    end
  end
end
control 'values' do
  s = shadow('{p}').where(user: 'root')
  describe [s.nil?, s.count.class.to_s, s.inspect, shadow('{p}').users.is_a?(Array)] do
    it {{ should eq [] }}
  end
end
"#
    );
    let r = run_local(&src);
    let caught = format!("Inspec::Resources::Shadow (Can't read file: {p})");
    use ControlStatus::{Failed, Passed, Skipped};
    assert_eq!(
        rows(&r, "describe"),
        vec![
            row(
                &format!("{p} passwords is expected not to include \"\""),
                Failed,
                &format!("expected {caught} not to include \"\""),
            ),
            row(
                &format!("{p} count is expected to eq 0"),
                Failed,
                &format!("\nexpected: 0\n     got: {caught}\n\n(compared using ==)\n"),
            ),
        ]
    );
    assert_eq!(
        rows(&r, "where"),
        vec![row(&caught, Skipped, &format!("Can't read file: {p}"))]
    );
    assert_eq!(
        rows(&r, "entries"),
        vec![row("after is expected to eq \"after\"", Passed, "")]
    );
    let one = rows(&r, "one");
    assert_eq!(
        one.iter().map(|x| (x.0.as_str(), x.1)).collect::<Vec<_>>(),
        vec![
            (
                format!("{caught} passwords is expected not to include \"*\"").as_str(),
                Failed
            ),
            (
                format!("{caught} passwords.uniq.first is expected to eq \"!*\"").as_str(),
                Failed
            ),
        ]
    );
    assert_eq!(
        one[1].2.as_deref(),
        Some(format!("\nexpected: \"!*\"\n     got: {caught}\n\n(compared using ==)\n").as_str())
    );
    let values = &rows(&r, "values")[0].0;
    assert_eq!(
        values,
        &format!(
            "[false, \"FilterTable::ExceptionCatcher\", {:?}, false] is expected to eq []",
            crate::native::ruby::value::Value::str(caught.clone())
        )
    );
}

/// One describe per resource reading `path`; InSpec's row for each.
fn readers(path: &str) -> String {
    let mut src = String::from("control 'readers' do\n");
    for (res, its) in [
        ("passwd", "its('users') { should be_empty }"),
        ("etc_group", "its('groups') { should be_empty }"),
        ("login_defs", "its('UID_MIN') { should be_nil }"),
        ("limits_conf", "its('*') { should be_nil }"),
        ("auditd_conf", "its('log_file') { should be_nil }"),
        ("json", "its('a') { should be_nil }"),
        ("yaml", "its('a') { should be_nil }"),
        ("ini", "its('a') { should be_nil }"),
        ("parse_config_file", "its('a') { should be_nil }"),
        ("aide_conf", "its('selection_lines') { should be_empty }"),
        ("etc_hosts", "its('ip_address') { should be_empty }"),
        ("etc_hosts_allow", "its('daemon') { should be_empty }"),
        ("xinetd_conf", "its('services') { should be_empty }"),
        ("grub_conf", "its('kernel') { should be_nil }"),
        ("ntp_conf", "its('server') { should be_nil }"),
        ("sshd_config", "its('Port') { should be_nil }"),
        ("etc_fstab", "its('mount_point') { should be_empty }"),
    ] {
        src.push_str(&format!(
            "  describe {res}('{path}') do\n    {its}\n  end\n"
        ));
    }
    src.push_str(&format!(
        "  describe xinetd_conf('{path}').services('telnet') do\n    it {{ should be_disabled }}\n  end\nend\n"
    ));
    src
}

/// Every reader skipped with `message`, then the ExceptionCatcher of xinetd_conf's
/// `services('telnet')`, skipped with it too.
fn skipped_readers(names: &[String], message: &str) -> Vec<Row> {
    let mut rows: Vec<Row> = names
        .iter()
        .map(|n| row(n, ControlStatus::Skipped, message))
        .collect();
    rows.push(row(
        &format!("Inspec::Resources::XinetdConf ({message})"),
        ControlStatus::Skipped,
        message,
    ));
    rows
}

/// What each reader is named in its skipped result (its `to_s`).
fn reader_names(path: &str) -> Vec<String> {
    [
        "/etc/passwd",
        "/etc/group",
        "login.defs",
        "limits.conf",
        "Audit Daemon Config",
        &format!("JSON {path}"),
        &format!("YAML {path}"),
        &format!("INI {path}"),
        &format!("Parse Config File {path}"),
        "AIDE Config",
        "Hosts File",
        "hosts.allow Configuration",
        &format!("Xinetd config {path}"),
        "Grub Config",
        "ntp.conf",
        "SSHD Configuration",
        "File System Table File (fstab)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn every_file_reader_skips_an_unreadable_file_as_cant_read() {
    let p = refused_file();
    let r = run_local(&readers(p));
    let want = skipped_readers(&reader_names(p), &format!("Can't read file: {p}"));
    assert_eq!(rows(&r, "readers"), want);
}

#[test]
fn file_readers_skip_a_directory_as_not_found_and_an_empty_file_unless_allowed() {
    let dir = std::env::temp_dir().join(format!("file-reader-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("dir")).unwrap();
    let empty = dir.join("empty");
    std::fs::write(&empty, "").unwrap();
    let (empty, sub) = (
        empty.display().to_string(),
        dir.join("dir").display().to_string(),
    );
    let on_dir = run_local(&readers(&sub));
    let on_empty = run_local(&format!(
        "{}control 'shadow' do\n  describe shadow('{empty}').where(user: 'root') do\n    its('passwords') {{ should cmp 'x' }}\n  end\nend\n",
        readers(&empty)
    ));
    std::fs::remove_dir_all(&dir).unwrap();

    let want = skipped_readers(&reader_names(&sub), &format!("Can't find file: {sub}"));
    assert_eq!(rows(&on_dir, "readers"), want);

    // passwd.rb, etc_group.rb and shadow.rb allow an empty file; the others skip it.
    let m = format!("File is empty: {empty}");
    let mut want = vec![
        row(
            "/etc/passwd users is expected to be empty",
            ControlStatus::Passed,
            "",
        ),
        row(
            "/etc/group groups is expected to be empty",
            ControlStatus::Passed,
            "",
        ),
    ];
    want.extend(skipped_readers(&reader_names(&empty)[2..], &m));
    assert_eq!(rows(&on_empty, "readers"), want);
    assert_eq!(
        rows(&on_empty, "shadow"),
        vec![row(
            &format!("{empty} with user == \"root\" passwords is expected to cmp == \"x\""),
            ControlStatus::Failed,
            "\nexpected: x\n     got: []\n\n(compared using `cmp` matcher)\n",
        )]
    );
}

/// shadow.rb's methods outside its FilterTable on a file it cannot read, as InSpec 7.1.16
/// answers them (`inspec exec -t local://`, a missing and an unreadable path): `content` (a
/// custom property) answers the ExceptionCatcher, `to_s` its path, and `lines` — deprecated
/// in the `fail_control` group (deprecator.rb) — fails an example whatever the file, while
/// in a control's body it meets the read's ResourceSkipped, the control's source code error.
#[test]
fn shadows_other_methods_on_an_unread_file_answer_as_inspec() {
    use ControlStatus::{Failed, Passed};
    for p in ["/nonexistent/shadow", refused_file()] {
        let why = if p == REFUSED {
            format!("Can't read file: {p}")
        } else {
            format!("Can't find file: {p}")
        };
        let src = format!(
            r#"control 'its' do
  describe shadow('{p}') do
    its('lines') {{ should eq [] }}
    its('content') {{ should eq '' }}
    its('to_s') {{ should eq '{p}' }}
    its('user') {{ should eq [] }}
  end
end
control 'body' do
  x = shadow('{p}').lines
  describe x do
    it {{ should eq [] }}
  end
end
"#
        );
        let r = run_local(&src);
        let deprecated = |what: &str, line: u32| {
            format!(
                "DEPRECATION: The shadow `{what}` property is deprecated.{} This property was \
                 removed in InSpec 4.0. (used at test/controls/test.rb:{line})",
                if what == "user" {
                    " Please use `users` instead."
                } else {
                    ""
                }
            )
        };
        assert_eq!(
            rows(&r, "its"),
            vec![
                row(&format!("{p} lines "), Failed, &deprecated("lines", 3)),
                row(
                    &format!("{p} content is expected to eq \"\""),
                    Failed,
                    &format!(
                        "\nexpected: \"\"\n     got: Inspec::Resources::Shadow ({why})\n\n\
                         (compared using ==)\n"
                    ),
                ),
                row(&format!("{p} to_s is expected to eq {p:?}"), Passed, ""),
                row(&format!("{p} user "), Failed, &deprecated("user", 6)),
            ]
        );
        assert_eq!(
            rows(&r, "body"),
            vec![row(
                "Control Source Code Error test/controls/test.rb:9 ",
                Failed,
                &why
            )]
        );
    }
}
