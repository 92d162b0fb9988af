//! The examples of InSpec's pages for resources the native catalogue lacked
//! (`kernel_parameters`, `linux_kernel_parameter`, `timezone`, `ksh`, `users`' `disabled?`,
//! `user`'s `has_authorized_key?` and `badpasswordattempts`, `postfix_conf`, `mail_alias`, `postgres_ident_conf`, `filesystem`, `cron`, `x509_private_key`, `linux_audit_system`), as controls of
//! `tests/fixtures/fixture-profiles/gap-resources` on the recorded host states, against the
//! outcome InSpec gives there (read from inspec/inspec's resources/NAME.rb).

use crate::job::ControlStatus;
use crate::native::testing::{evaluate_on, one, wrong_outcomes_on_fixture_hosts};

use ControlStatus::{Failed as F, Passed as P, Skipped as S};

/// InSpec's status of each control on debian12, ubuntu2004, rhel8.
const EXPECTED: &[(&str, [ControlStatus; 3])] = &[
    ("kernel-parameters-forwarding-doc", [F, F, F]),
    ("kernel-parameters-regex-doc", [P, P, P]),
    ("kernel-parameters-all", [P, P, P]),
    ("kernel-parameters-to-i", [P, P, F]),
    ("kernel-parameters-none", [P, P, P]),
    ("linux-kernel-parameter", [P, P, P]),
    ("timezone-doc", [F, F, F]),
    ("timezone-utc", [P, P, F]),
    ("ksh-example", [F, F, F]),
    ("users-disabled-enabled", [P, P, P]),
    // Only RHEL's login has an authorized_keys file.
    ("user-authorized-key", [S, S, P]),
    ("user-authorized-key-other", [S, S, F]),
    ("postfix-conf-doc", [S, S, F]),
    ("postfix-conf-loopback", [S, S, P]),
    ("mail-alias-daemon-doc", [F, F, P]),
    ("mail-alias-mailadmin-doc", [F, F, F]),
    ("postgres-ident-conf-doc", [P, F, F]),
    ("postgres-ident-conf-columns", [P, F, F]),
    ("filesystem-doc-root", [P, P, P]),
    ("filesystem-example-type", [P, P, F]),
    ("filesystem-audit-threshold", [P, F, P]),
    ("cron-doc-entry", [F, F, F]),
    ("cron-doc-table", [F, F, P]),
    ("cron-aide-entry", [F, F, P]),
    ("x509-private-key-snakeoil", [P, F, F]),
    ("x509-private-key-encrypted-doc", [P, F, F]),
    ("x509-private-key-no-passphrase", [P, F, F]),
    ("user-badpasswordattempts", [P, P, F]),
    ("linux-audit-system-example", [P, F, F]),
    ("linux-audit-system-rules", [P, F, P]),
];

#[test]
fn gap_resource_examples_have_inspecs_outcomes_on_every_fixture_host() {
    let wrong = wrong_outcomes_on_fixture_hosts("gap-resources", EXPECTED);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The wording InSpec gives: subjects, the skip of a login without authorized_keys.
#[test]
fn gap_resource_wording() {
    let deb = evaluate_on("debian12", "gap-resources");
    let rhel = evaluate_on("rhel8", "gap-resources");
    let c = one(&deb, "user-authorized-key");
    assert_eq!(
        c.results[0].skip_message.as_deref(),
        Some("Can't find any valid path for authorized_keys"),
        "{c:#?}"
    );
    let c = one(&rhel, "timezone-utc");
    assert_eq!(
        c.results[0].code_desc,
        "Time Zone resource identifier is expected to eq \"Etc/UTC\""
    );
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("\nexpected: \"Etc/UTC\"\n     got: \"America/New_York\"\n\n(compared using ==)\n"),
        "{c:#?}"
    );
    let c = one(&deb, "kernel-parameters-forwarding-doc");
    assert_eq!(
        c.results[0].code_desc,
        "Kernel Parameters with parameter == \"net.ipv4.conf.all.forwarding\" values is expected to eq [1]"
    );
    let c = one(&deb, "postfix-conf-doc");
    assert_eq!(
        c.results[0].skip_message.as_deref(),
        Some("Can't find file: /etc/postfix/main.cf"),
        "{c:#?}"
    );
    let c = one(&rhel, "mail-alias-mailadmin-doc");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("mailadmin is not a valid key in the aliases"),
        "{c:#?}"
    );
    assert_eq!(
        c.results[0].code_desc,
        "mail_alias mailadmin is expected to be aliased to \"inspecadmin@chef.io\""
    );
    let c = one(&rhel, "postfix-conf-loopback");
    assert_eq!(
        c.results[0].code_desc,
        "Postfix Mail Transfer Agent inet_interfaces is expected to cmp == \"localhost\""
    );
    // No PostgreSQL on Ubuntu's state: no conf_dir to find pg_ident.conf in.
    let ubuntu = evaluate_on("ubuntu2004", "gap-resources");
    let c = one(&ubuntu, "postgres-ident-conf-doc");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("PostgreSQL's conf_dir was not found"),
        "{c:#?}"
    );
    let c = one(&deb, "postgres-ident-conf-columns");
    assert_eq!(
        c.results[0].code_desc,
        "PostgreSQL Ident Config /etc/postgresql/15/main/pg_ident.conf with map_name == \"ssl-test\" system_username is expected to eq [\"acme\", \"/^(.*)@example\\\\.com$\"]"
    );
    let c = one(&deb, "cron-doc-entry");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("Error while executing crontab -l command: \nno crontab for root\n"),
        "{c:#?}"
    );
    assert_eq!(
        c.results[0].code_desc,
        "cron for current user is expected to have entry \"5 * * * * /some/scheduled/task.sh\""
    );
    let c = one(&rhel, "x509-private-key-snakeoil");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("Could not find `openssl` on your system."),
        "{c:#?}"
    );
    let c = one(&rhel, "user-badpasswordattempts");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("\nexpected: 0\n     got: 2\n\n(compared using ==)\n"),
        "{c:#?}"
    );
    let c = one(&ubuntu, "linux-audit-system-rules");
    assert!(
        c.results[0]
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("Could not find `auditctl`")),
        "{c:#?}"
    );
    // RHEL's audit configuration is locked (`enabled 2`): not enabled, but running.
    let c = one(&rhel, "linux-audit-system-example");
    let statuses: Vec<_> = c.results.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [F, P], "{c:#?}");
    let c = one(&deb, "ksh-example");
    assert_eq!(
        c.results[0].code_desc,
        "KornShell command ls -al / stdout is expected to match /bin/"
    );
}
