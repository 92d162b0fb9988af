//! `postgres_session` against a real PostgreSQL server started by the test (password
//! authentication, a free loopback port), through `psql` on `local://`: the documented
//! examples, InSpec's error handling, and values that a shell would have interpreted.

use crate::job::ControlStatus::{Failed as F, Passed as P};
use crate::native::resources::pg_test_server::PgServer;
use crate::native::resources::services_tests::{check, messages};
use crate::native::testing::run_on;
use crate::transport::local::test_host;

/// A Ruby single-quoted literal of `s`.
fn ruby(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[test]
fn postgres_session_queries_a_real_server_through_psql() {
    let pg = PgServer::start();
    let (user, pass, port) = (ruby(pg.user), ruby(pg.password), pg.port);
    let marker = pg.root().join("injected");
    let controls = format!(
        r#"
control 'shadow-doc' do
  sql = postgres_session({user}, {pass}, '127.0.0.1', {port})
  describe sql.query('SELECT * FROM pg_shadow WHERE passwd IS NULL;', ['postgres']) do
    its('output') {{ should eq('') }}
  end
end
control 'risky-entries-doc' do
  describe postgres_session({user}, {pass}, '127.0.0.1', {port}).query('SELECT count (*)
                FROM pg_language
                WHERE lanpltrusted = \'f\'
                AND lanname!=\'internal\'
                AND lanname!=\'c\';', ['postgres']) do
    its('output') {{ should eq '0' }}
  end
end
control 'output-regexp-doc' do
  describe postgres_session({user}, {pass}, '127.0.0.1', {port}).query('SELECT 0;', ['postgres']) do
    its('output') {{ should match(/^0/) }}
  end
end
control 'lines' do
  describe postgres_session({user}, {pass}, '127.0.0.1', {port}).query("SELECT datname FROM pg_database WHERE datname LIKE 'template%' ORDER BY 1;", ['postgres']) do
    its('lines') {{ should eq ['template0', 'template1'] }}
    its('output') {{ should eq "template0\ntemplate1" }}
  end
end
# The database defaults to the user's name: `airs` does not exist.
control 'default-database' do
  describe postgres_session({user}, {pass}, '127.0.0.1', {port}).query('SELECT 1;') do
    its('output') {{ should match(/database "airs" does not exist/) }}
  end
end
control 'socket' do
  describe postgres_session({user}, {pass}, nil, {port}, {socket}).query('SELECT current_user;', ['postgres']) do
    its('output') {{ should eq 'airs' }}
  end
end
control 'quotes-and-dollars-stay-sql' do
  describe postgres_session({user}, {pass}, '127.0.0.1', {port}).query(%q{{SELECT '$(touch {marker})' || '`id`' || ''';"';}}, ['postgres']) do
    its('output') {{ should eq %q{{$(touch {marker})`id`';"}} }}
  end
end
control 'sql-error' do
  describe postgres_session({user}, {pass}, '127.0.0.1', {port}).query('SELECT * FROM no_such_table;', ['postgres']) do
    its('output') {{ should match(/ERROR:  relation "no_such_table" does not exist/) }}
  end
end
control 'wrong-password' do
  describe postgres_session({user}, 'wrong', '127.0.0.1', {port}).query('SELECT 1;', ['postgres']) do
    its('output') {{ should eq '1' }}
  end
end
control 'no-password' do
  describe postgres_session({user}, nil, '127.0.0.1', {port}).query('SELECT 1;', ['postgres']) do
    its('output') {{ should eq '1' }}
  end
end
"#,
        socket = ruby(&pg.socket_dir),
        marker = marker.display(),
    );
    check(
        test_host(),
        &controls,
        &[
            ("shadow-doc", P),
            ("risky-entries-doc", P),
            ("output-regexp-doc", P),
            ("lines", P),
            ("default-database", P),
            ("socket", P),
            ("quotes-and-dollars-stay-sql", P),
            ("sql-error", P),
            ("wrong-password", F),
            ("no-password", F),
        ],
    );
    assert!(!marker.exists(), "the SQL text reached a shell");
    let results = run_on(test_host(), &controls);
    let wrong = messages(&results, "wrong-password");
    assert!(
        wrong.contains("PostgreSQL connection error:")
            && wrong.contains("password authentication failed"),
        "{wrong}"
    );
    assert!(!wrong.contains(pg.password), "{wrong}");
    assert!(
        messages(&results, "no-password")
            .contains("Can't run PostgreSQL SQL checks without authentication."),
        "{results:?}"
    );
    let sql_error = messages(&results, "sql-error");
    assert!(
        sql_error.starts_with("PostgreSQL query with error: SELECT * FROM no_such_table;"),
        "{sql_error}"
    );
}

#[test]
fn a_password_reaches_the_child_environment_not_its_command_line() {
    let host = test_host();
    let env = [("PGPASSWORD".to_string(), "hunter2 'x'".to_string())];
    // The child prints its environment's value and its own command line.
    let out = host
        .run_with_env(
            "printf '%s|' \"$PGPASSWORD\"; tr '\\0' ' ' < /proc/$$/cmdline",
            &env,
        )
        .unwrap();
    let (value, cmdline) = out.stdout.split_once('|').unwrap();
    assert_eq!(value, "hunter2 'x'");
    assert!(cmdline.starts_with("sh -c"), "{cmdline}");
    assert!(!cmdline.contains("hunter2"), "{cmdline}");
    // Cached per command and environment: another value runs again.
    let other = [("PGPASSWORD".to_string(), "other".to_string())];
    let out = host
        .run_with_env("printf '%s' \"$PGPASSWORD\"", &other)
        .unwrap();
    assert_eq!(out.stdout, "other");
}
