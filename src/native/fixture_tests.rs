//! Profiles evaluated on the recorded host states of tests/fixtures/hosts (the
//! `fixture://` transport), against the outcomes InSpec 7 gives on such hosts, read from
//! its source (inspec/inspec 5ce9fa1). Where the native evaluator still differs, the
//! difference is listed in [`KNOWN`] with InSpec's reason, and the test checks that it
//! still differs exactly so: fixing one fails the test until its entry is removed.

use super::inspec::supports::{skip_message, supported};
use super::resources::detect_platform;
use super::testing::{evaluate_on, fixture_host, fixture_profile, wrong_outcome, FIXTURE_HOSTS};
use crate::job::ControlStatus;

#[test]
fn os_reports_what_train_detects() {
    let want = [
        ("debian12", "debian", "debian", "12.11"),
        ("ubuntu2004", "ubuntu", "debian", "20.04"),
        ("rhel8", "redhat", "redhat", "8.10"),
    ];
    for (h, name, family, release) in want {
        let p = detect_platform(&fixture_host(h)).unwrap();
        assert_eq!(
            (
                p.name.as_str(),
                p.family(),
                p.release.as_str(),
                p.arch.as_str()
            ),
            (name, family, release, "x86_64"),
            "{h}"
        );
        assert!(p.is("linux") && p.is("unix"), "{h}: {:?}", p.families);
    }
}

use ControlStatus::{Failed as F, Passed as P, Skipped as S};

/// InSpec's status of each control of `linux-checks` on debian12, ubuntu2004, rhel8.
const EXPECTED: &[(&str, [ControlStatus; 3])] = &[
    ("os-debian-family", [P, P, F]),
    // cmp: two version strings compare as Gem::Version (matchers.rb:256).
    ("os-release-at-least-12", [P, P, F]),
    ("os-is-linux", [P, P, P]),
    ("uname-kernel", [P, P, P]),
    ("root-is-the-only-uid-0", [P, P, P]),
    // RHEL ships /etc/shadow root:root 0000.
    ("shadow-owned-by-root-group-shadow", [P, P, F]),
    ("shadow-not-more-permissive-than-0640", [P, P, P]),
    ("passwd-mode-0644", [P, P, P]),
    ("no-empty-password-hashes", [P, P, P]),
    // '022' cmp '027': two strings, == is casecmp (matchers.rb:257).
    ("login-defs-umask-027", [F, F, F]),
    // '99999' cmp <= 365: an integer String against an Integer (matchers.rb:268).
    ("login-defs-pass-max-days", [F, F, F]),
    ("admin-user", [P, P, P]),
    // etc_group's users: members split on `,`, flattened, empty ones dropped
    // (resources/etc_group.rb users); RHEL's adm has no members.
    ("adm-group-members", [P, P, F]),
    // sysctl -n prints the pair with a tab; not /^\d+$/, so a String (kernel_parameter.rb).
    ("port-range", [P, P, P]),
    // A key given once is its whole value, `LANG LC_*` (ssh_config.rb method_missing);
    // RHEL's four AcceptEnv lines make an array of four.
    ("sshd-accept-env", [P, P, F]),
    // InSpec reads sshd_config alone, no Include (ssh_config.rb read_params): Debian's
    // main file leaves PermitRootLogin commented out; RHEL's Match block repeats it.
    ("sshd-permit-root-login-no", [F, P, F]),
    // Debian's Match block repeats X11Forwarding: an array of two.
    ("sshd-x11-forwarding-yes", [F, P, P]),
    ("sshd-use-pam", [P, P, P]),
    ("sshd-config-mode", [P, P, P]),
    ("openssh-server-installed", [P, P, P]),
    // Debian's telnet is removed (rc): not installed; Ubuntu's is installed.
    ("telnet-not-installed", [P, F, P]),
    ("sshd-service-running", [P, P, P]),
    ("avahi-not-running", [P, P, P]),
    ("auditd-running", [P, F, P]),
    ("sysctl-aslr", [P, P, P]),
    ("sysctl-no-ip-forward", [P, P, P]),
    ("sysctl-no-icmp-redirects", [F, P, F]),
    ("tmp-noexec", [P, F, F]),
    ("fstab-tmp", [P, F, F]),
    // No auditd.conf on Ubuntu: FileReader raises ResourceSkipped "Can't find file"
    // (utils/file_reader.rb).
    ("auditd-log-format", [P, S, P]),
    // No iptables on Debian 12: "Could not find `iptables`", a failure
    // (resources/iptables.rb find_iptables_or_error).
    ("firewall-input-policy", [F, P, F]),
];

/// Where the native evaluator still differs from InSpec: (host, control, our status, why).
const KNOWN: &[(&str, &str, ControlStatus, &str)] = &[];

#[test]
fn linux_checks_have_inspecs_outcomes_on_every_fixture_host() {
    let mut wrong = Vec::new();
    for (i, h) in FIXTURE_HOSTS.iter().enumerate() {
        let results = evaluate_on(h, "linux-checks");
        assert_eq!(results.len(), EXPECTED.len(), "{h}: one result per control");
        for (id, statuses) in EXPECTED {
            let Some(c) = results.iter().find(|c| c.id == *id) else {
                wrong.push(format!("{h} {id}: no result"));
                continue;
            };
            match KNOWN.iter().find(|k| k.0 == *h && k.1 == *id) {
                Some(k) if c.status != k.2 => wrong.push(format!(
                    "{h} {id}: now {:?}; InSpec {:?}: remove it from KNOWN ({})",
                    c.status, statuses[i], k.3
                )),
                Some(_) => {}
                None => wrong.extend(wrong_outcome(h, id, c, statuses[i])),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for k in KNOWN {
        assert!(EXPECTED.iter().any(|e| e.0 == k.1), "{k:?}");
    }
}

#[test]
fn a_profile_for_ubuntu_2004_is_skipped_elsewhere_with_inspecs_message() {
    let profile = fixture_profile("ubuntu-focal");
    for h in FIXTURE_HOSTS {
        let p = detect_platform(&fixture_host(h)).unwrap();
        let ok = supported(&profile.metadata.supports, &p);
        assert_eq!(ok, h == "ubuntu2004", "{h}");
    }
    let debian = detect_platform(&fixture_host("debian12")).unwrap();
    assert_eq!(
        skip_message("ubuntu-focal", &debian),
        "Skipping profile: 'ubuntu-focal' on unsupported platform: 'debian/12.11'."
    );
    let on_ubuntu = evaluate_on("ubuntu2004", "ubuntu-focal");
    assert_eq!(on_ubuntu.len(), 1);
    assert_eq!(on_ubuntu[0].status, P, "{:?}", on_ubuntu[0].results);
    // linux-checks supports both families: it runs everywhere.
    let all = fixture_profile("linux-checks");
    for h in FIXTURE_HOSTS {
        assert!(supported(
            &all.metadata.supports,
            &detect_platform(&fixture_host(h)).unwrap()
        ));
    }
}

#[test]
fn every_state_answers_what_the_resources_ask() {
    // A gap in a state is an error naming the command: none of the checks met one.
    for h in FIXTURE_HOSTS {
        for c in evaluate_on(h, "linux-checks") {
            for r in &c.results {
                let text = format!("{:?} {:?}", r.message, r.skip_message);
                assert!(!text.contains("no recorded output"), "{h} {}: {text}", c.id);
            }
        }
    }
}

/// InSpec's status of each control of `custom-resources` on debian12, ubuntu2004, rhel8
/// (resource.rb supersuper_initialize and runner.rb: a skipped resource skips its describe,
/// a failed one fails it).
const EXPECTED_CUSTOM: &[(&str, [ControlStatus; 3])] = &[
    ("module-constants-and-class-methods", [P, P, P]),
    ("plain-classes-and-inheritance", [P, P, P]),
    ("struct-classes", [P, P, P]),
    // RHEL's login.defs sets UMASK 077.
    ("custom-resource-login-defs", [P, P, F]),
    ("custom-resource-missing-file-is-skipped", [S, S, S]),
    ("skip-resource", [S, S, S]),
    ("fail-resource", [F, F, F]),
    ("failed-resource-exception", [F, F, F]),
    ("resource-methods-and-rescue", [P, P, P]),
    // Ubuntu is of the debian family (train): only RHEL skips.
    ("resource-skipped-off-debian", [P, P, S]),
    ("filter-table-resource", [P, P, P]),
    ("library-overrides-built-in", [P, P, P]),
    ("file-reader-module", [P, P, P]),
    // utils/file_reader.rb: ResourceSkipped "Can't find file: ...".
    ("file-reader-missing-file", [S, S, S]),
    // resource.rb check_supported!: ArgumentError "Unsupported resource/backend combination".
    ("resource-unsupported-platform", [F, F, F]),
    ("class-derived-from-platform-resource", [P, P, P]),
    ("class-derived-from-file-resource", [P, P, P]),
    ("class-derived-from-array", [P, P, P]),
    ("core-class-subclasses-and-enumerable", [P, P, P]),
    // A skipped result and none failed: the control counts as skipped (reporters/cli.rb).
    ("skipped-resource-skips-its-describe-only", [S, S, S]),
    ("custom-matcher", [P, P, P]),
];

#[test]
fn custom_resources_have_inspecs_outcomes_on_every_fixture_host() {
    let mut wrong = Vec::new();
    for (i, h) in FIXTURE_HOSTS.iter().enumerate() {
        let results = evaluate_on(h, "custom-resources");
        assert_eq!(
            results.len(),
            EXPECTED_CUSTOM.len(),
            "{h}: one result per control"
        );
        for (id, statuses) in EXPECTED_CUSTOM {
            let Some(c) = results.iter().find(|c| c.id == *id) else {
                wrong.push(format!("{h} {id}: no result"));
                continue;
            };
            wrong.extend(wrong_outcome(h, id, c, statuses[i]));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn custom_resource_skips_and_failures_carry_their_messages() {
    let results = evaluate_on("rhel8", "custom-resources");
    let msg = |id: &str| {
        let c = results.iter().find(|c| c.id == id).unwrap();
        let r = &c.results[0];
        (r.skip_message.clone(), r.message.clone())
    };
    assert_eq!(
        msg("skip-resource").0.as_deref(),
        Some("No such file: /etc/no-such-file")
    );
    assert_eq!(
        msg("custom-resource-missing-file-is-skipped").0.as_deref(),
        Some("Can't find file: /etc/no-such-login.defs")
    );
    assert_eq!(
        msg("resource-skipped-off-debian").0.as_deref(),
        Some("not a Debian host")
    );
    assert!(msg("fail-resource")
        .1
        .is_some_and(|m| m.contains("Not a regular file: /etc/ssh")));
    assert!(msg("failed-resource-exception")
        .1
        .is_some_and(|m| m.contains("cannot read the thing")));
    // Statically, every control of the profile runs natively.
    let cov = crate::native::coverage(&fixture_profile("custom-resources"));
    let blocked: Vec<_> = cov.controls.iter().filter(|c| !c.supported).collect();
    assert!(blocked.is_empty(), "{blocked:#?}");
}
