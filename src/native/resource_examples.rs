//! The examples of InSpec's resource pages (docs-chef-io/content/inspec/resources/NAME.md)
//! as controls of `tests/fixtures/fixture-profiles/system-resources`, evaluated on the
//! recorded host states of tests/fixtures/hosts (`fixture://`), against the outcome InSpec 7
//! gives on such a host, read from its source (inspec/inspec 5ce9fa1, resources/NAME.rb).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::job::ControlStatus;
use crate::native::testing::{fixtures_dir as fixtures, wrong_outcomes_on_fixture_hosts};
use crate::transport::Host;

use ControlStatus::{Failed as F, Passed as P, Skipped as S};

/// InSpec's status of each control on debian12, ubuntu2004, rhel8.
const EXPECTED: &[(&str, [ControlStatus; 3])] = &[
    // Ubuntu has no /sbin/auditctl: "Command `/sbin/auditctl` does not exist", a
    // failure (auditd.rb initialize raises ResourceFailed).
    ("auditd-lines-sshd-config", [F, F, P]),
    ("auditd-lines-rules", [F, F, P]),
    ("auditd-status-backlog", [P, F, P]),
    // Debian has no `open` rule: the column is [], not ['always'].
    ("auditd-syscall-open", [F, F, P]),
    // RHEL watches /etc/sudoers with `-p wa`.
    ("auditd-file-sudoers-x", [F, F, F]),
    ("auditd-file-sudoers-wa", [F, F, P]),
    ("auditd-syscall-where-arch", [F, F, P]),
    // chown rules have no exit field: [nil] does not include ['-EACCES'].
    ("auditd-syscall-where-arch-doc", [F, F, F]),
    ("auditd-where-key-privileged", [F, F, P]),
    ("auditd-stig-execve", [F, F, P]),
    // config_files.rb
    ("parse-config-os-release", [P, F, F]),
    ("parse-config-options", [P, P, P]),
    // FileReader: a missing file skips (utils/file_reader.rb).
    ("parse-config-file-setting", [S, S, P]),
    ("parse-config-file-multiple-values", [P, P, P]),
    ("parse-config-file-periods", [S, P, S]),
    // Debian's limits.conf is all comments: `*` is nil.
    ("limits-conf-star", [F, S, P]),
    ("limits-conf-read-params", [F, F, P]),
    ("chrony-conf-doc", [S, S, P]),
    ("chrony-conf-drift", [S, S, P]),
    // Ubuntu: no auditd.conf, so the file's group is nil.
    ("auditd-conf-doc", [P, F, P]),
    // system.rb: no sestatus on Debian and Ubuntu: "Skipping resource: ..." (selinux.rb).
    ("selinux-installed", [S, S, P]),
    ("selinux-enforcing", [S, S, P]),
    ("selinux-policy", [S, S, P]),
    ("selinux-modules", [S, S, P]),
    ("selinux-booleans", [S, S, P]),
    ("selinux-booleans-doc", [S, S, F]),
    // `!/etc/mtab$` has no rules but itself (aide_conf.rb parse_selection_line).
    ("aide-conf-all-have-rule", [F, F, F]),
    ("aide-conf-selection", [S, S, P]),
    // /opt (CONTENT) and /var/log/audit (LOG) check no acl.
    ("aide-conf-stig-acl", [S, S, F]),
    ("etc-hosts-localhost", [F, F, P]),
    ("etc-hosts-ipv6", [P, F, P]),
    // Ubuntu's hosts.allow is all comments; RHEL 8 has none.
    ("etc-hosts-allow-all", [P, F, S]),
    ("etc-hosts-allow-sshd-options", [P, F, S]),
    ("etc-hosts-deny-paranoid", [P, P, S]),
    ("sshd-active-config-path", [P, P, P]),
    ("sshd-active-config-settings", [F, F, P]),
    ("sshd-active-config-hostkeys", [F, F, P]),
    // RHEL's Match block repeats PermitRootLogin: ["yes", "no"], and cmp unwraps a
    // one-item list only (matchers.rb).
    ("sshd-active-config-params", [F, P, F]),
    ("etc-fstab-home-configured", [F, F, F]),
    ("etc-fstab-tmp-configured", [P, F, P]),
    ("etc-fstab-params", [F, F, P]),
    ("etc-fstab-nfs", [P, P, P]),
    // network.rb: only RHEL's state has /sys/class/net, /proc/net/bonding and `ip`.
    ("interface-eth0", [F, F, P]),
    // lo's operstate is `unknown`: not up (interface.rb).
    ("interface-lo", [F, F, P]),
    ("interface-missing", [P, P, P]),
    ("interfaces-names", [F, F, P]),
    ("bond-bond0", [F, F, P]),
    ("bridge-br0", [P, P, P]),
    // No `stat` answer on Debian: no label.
    ("file-selinux-label", [F, F, P]),
    // Debian hashes with yescrypt ($y$), Ubuntu's root is locked (!).
    ("user-root-shadow", [F, F, P]),
    // grub.rb: Ubuntu's state has no GRUB files (FileReader skips); RHEL 8's grub.cfg
    // boots through blscfg, with no menuentry to read a kernel from.
    ("grub-conf-defaults", [P, S, P]),
    ("grub-conf-default-kernel", [P, S, F]),
    ("grub-conf-named-kernel", [P, S, S]),
    // accounts.rb
    ("shadow-users", [P, P, P]),
    ("shadow-expired", [P, P, P]),
    // Debian hashes with yescrypt; RHEL locks system accounts with `!!`, which the
    // page's /^[*!]$/ does not take.
    ("shadow-sha512", [F, P, F]),
    ("users-allowed", [P, P, P]),
    ("user-root-doc", [P, P, P]),
];

#[test]
fn resource_page_examples_have_inspecs_outcomes_on_every_fixture_host() {
    let wrong = wrong_outcomes_on_fixture_hosts("system-resources", EXPECTED);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// InSpec's status of each control of `local-resources` on this machine.
const LOCAL_EXPECTED: &[(&str, ControlStatus)] = &[
    ("file-tmp", P),
    ("file-proc-version", P),
    ("file-dev-stdout", P),
    ("file-dev-zero", P),
    ("file-owners", P),
    // /proc files stat as empty.
    ("file-proc-size", P),
    ("file-checksums", P),
    ("file-content-as", P),
    ("file-permissions", P),
    ("file-wrong-checksum", F),
    ("user-root", P),
    ("users-root", P),
    ("host-localhost", P),
    // A listener the test holds open, and a port it just closed.
    ("host-tcp-port", P),
    // .invalid never resolves (RFC 6761).
    ("host-unresolvable", P),
];

#[test]
fn resource_page_examples_have_inspecs_outcomes_on_this_machine() {
    use std::os::unix::fs::PermissionsExt;
    let profile_dir = fixtures().join("fixture-profiles/local-resources");
    let dir = std::env::temp_dir().join(format!("airs-local-res-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["helloworld.json", "helloworld.yml"] {
        let to = dir.join(f);
        std::fs::copy(profile_dir.join("files").join(f), &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let host = Arc::new(Host::new(
        Box::new(crate::transport::LocalTransport::new()),
        None,
        CancellationToken::new(),
    ));
    let profile = crate::profile::load(&profile_dir).unwrap();
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let inputs = serde_json::json!({
        "dir": dir.to_str().unwrap(),
        "open_port": open.local_addr().unwrap().port(),
        "closed_port": closed_port,
    });
    let results = super::evaluate(&profile, host, inputs.as_object().unwrap());
    drop(open);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(results.len(), LOCAL_EXPECTED.len());
    let wrong: Vec<String> = LOCAL_EXPECTED
        .iter()
        .filter_map(|(id, want)| {
            let c = results.iter().find(|c| c.id == *id)?;
            (c.status != *want).then(|| {
                format!(
                    "{id}: {:?}, InSpec {want:?}: {:?}",
                    c.status,
                    c.results
                        .iter()
                        .map(|r| format!("{} {:?} {:?}", r.code_desc, r.message, r.skip_message))
                        .collect::<Vec<_>>()
                )
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
