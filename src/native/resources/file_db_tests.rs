//! The examples of InSpec's pages for `toml`, `csv`, `key_rsa`, `ssh_key`, `dh_params`,
//! `php_config`, `cassandradb_conf`, `oracledb_listener_conf`, `mssql_session`,
//! `mssql_sys_conf`, `oracledb_session`, `oracledb_conf`, `cassandradb_session` and
//! (InSpec <= 6)
//! `docker_container`/`_image`/`_service`/`_plugin`, as controls of `tests/fixtures/fixture-profiles/file-db-resources` on the
//! recorded host states, against the outcome InSpec gives there (read from
//! inspec/inspec's resources/NAME.rb; key and parameter values checked with Ruby's OpenSSL 3
//! and net-ssh on the same files).

use crate::job::ControlStatus;
use crate::native::testing::{evaluate_on, one, wrong_outcomes_on_fixture_hosts};

use ControlStatus::{Failed as F, Passed as P, Skipped as S};

/// InSpec's status of each control on debian12, ubuntu2004, rhel8. (debian12 and rhel8 have
/// no `docker`: docker.rb reads the empty output of the failed CLI, so nothing exists there.)
const EXPECTED: &[(&str, [ControlStatus; 3])] = &[
    ("toml-doc-port", [P, S, S]),
    ("toml-doc-array", [P, S, S]),
    ("toml-doc-table", [P, S, S]),
    ("toml-example-key", [F, S, S]),
    ("toml-containers-storage", [S, S, P]),
    ("toml-containerd", [S, P, S]),
    ("toml-content", [P, P, P]),
    ("toml-invalid", [F, F, F]),
    ("csv-doc-setting", [F, S, S]),
    ("csv-doc-name", [P, S, S]),
    ("csv-doc-no-headers", [P, P, P]),
    ("csv-example-names", [S, S, P]),
    ("key-rsa-doc-snakeoil", [P, S, S]),
    ("key-rsa-doc-public-key-text", [F, S, S]),
    ("key-rsa-example-rsa-public-key", [F, S, S]),
    ("key-rsa-ssh-host-key", [F, F, P]),
    ("key-rsa-encrypted-no-passphrase", [F, S, S]),
    ("key-rsa-doc-passphrase", [P, S, S]),
    ("key-rsa-wrong-passphrase", [F, S, S]),
    ("ssh-key-doc-tilde", [S, S, S]),
    ("ssh-key-doc-rsa", [P, P, P]),
    ("ssh-key-doc-mode", [F, F, F]),
    ("ssh-key-doc-ecdsa", [P, P, S]),
    ("ssh-key-doc-ed25519-public", [P, S, P]),
    ("ssh-key-rsa-public", [P, P, P]),
    ("dh-params-doc", [P, S, S]),
    ("dh-params-doc-page-values", [F, S, S]),
    ("dh-params-ffdhe2048", [S, P, S]),
    ("php-config-doc-default", [P, F, F]),
    ("php-config-doc-ini", [P, F, F]),
    ("php-config-symbol-ini", [P, F, F]),
    ("php-config-integer", [P, F, F]),
    ("docker-container-example", [F, P, F]),
    ("docker-container-stopped", [F, P, F]),
    ("docker-image-example", [F, P, F]),
    ("docker-image-missing", [F, F, F]),
    ("docker-service-example", [F, P, F]),
    ("docker-plugin-example", [F, P, F]),
    ("docker-container-volume", [F, P, F]),
    ("docker-container-no-volumes", [F, F, F]),
    ("cassandradb-conf-doc", [S, P, S]),
    ("oracledb-listener-conf-doc", [S, S, F]),
    ("oracledb-listener-conf-values", [S, S, P]),
    ("mssql-session-doc-version", [S, S, P]),
    ("mssql-session-doc-host-instance", [S, S, P]),
    ("mssql-session-doc-database", [S, S, F]),
    ("mssql-session-doc-trust-certificate", [S, S, P]),
    ("mssql-session-doc-windows-auth", [S, S, F]),
    ("mssql-sys-conf-doc", [S, S, P]),
    ("oracledb-session-doc", [F, F, P]),
    ("oracledb-session-doc-sqlplus-bin", [F, F, P]),
    ("oracledb-session-doc-column", [F, F, F]),
    ("oracledb-conf-doc", [F, F, P]),
    ("cassandradb-session-doc", [F, P, F]),
    ("cassandradb-session-doc-sampledb", [F, F, F]),
];

#[test]
fn file_db_resource_examples_have_inspecs_outcomes_on_every_fixture_host() {
    let wrong = wrong_outcomes_on_fixture_hosts("file-db-resources", EXPECTED);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The subjects and messages InSpec gives.
#[test]
fn file_db_resource_wording() {
    let deb = evaluate_on("debian12", "file-db-resources");
    let ubu = evaluate_on("ubuntu2004", "file-db-resources");
    let msg = |c: &crate::job::ControlResult, i: usize| {
        (
            c.results[i].code_desc.clone(),
            c.results[i].message.clone(),
            c.results[i].skip_message.clone(),
        )
    };
    let c = one(&deb, "csv-doc-setting");
    assert_eq!(
        msg(&c, 0),
        (
            "CSV /srv/app/some_file.csv setting is expected to eq 1".to_string(),
            Some("\nexpected: 1\n     got: [1]\n\n(compared using ==)\n".to_string()),
            None
        )
    );
    let c = one(&ubu, "toml-doc-port");
    assert_eq!(
        c.results[0].skip_message.as_deref(),
        Some("Can't find file: /srv/app/example.toml")
    );
    let c = one(&deb, "toml-invalid");
    assert!(
        c.results[0]
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("Unable to parse TOML: ")),
        "{c:#?}"
    );
    let c = one(&deb, "key-rsa-ssh-host-key");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("passphrase error"),
        "{c:#?}"
    );
    assert_eq!(
        c.results[0].code_desc,
        "rsa_key /etc/ssh/ssh_host_rsa_key is expected to be private"
    );
    let c = one(&deb, "ssh-key-doc-tilde");
    assert_eq!(
        c.results[0].skip_message.as_deref(),
        Some("Can't find file: ~/.ssh/id_rsa")
    );
    let c = one(&deb, "ssh-key-doc-mode");
    assert_eq!(
        c.results[0].code_desc,
        "ssh_key /etc/ssh/ssh_host_rsa_key mode is expected to cmp == \"0400\""
    );
    let c = one(&ubu, "php-config-doc-default");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("Could not find `php` on your system."),
        "{c:#?}"
    );
    let c = one(&deb, "cassandradb-conf-doc");
    assert_eq!(
        c.results[0].skip_message.as_deref(),
        Some("Cassandra db conf path is not set"),
        "{c:#?}"
    );
    let c = one(&ubu, "cassandradb-conf-doc");
    assert_eq!(
        c.results[0].code_desc,
        "Cassandra Configuration /etc/cassandra/cassandra.yaml listen_address is expected to eq \"localhost\""
    );
    let c = one(&ubu, "docker-container-no-volumes");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("Could not find any mounted volumes for your container"),
        "{c:#?}"
    );
    let c = one(&deb, "dh-params-doc-page-values");
    assert_eq!(
        c.results[1].code_desc,
        "dh_params /etc/nginx/dhparam.pem text is expected to eq \"PKCS#3 DH Parameters: (2048 bit)...\""
    );
}
