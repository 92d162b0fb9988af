//! The services' resources (postgres*, mysql*, apache*, nginx*) on the recorded hosts of
//! tests/fixtures/hosts: each documented example of InSpec's pages as a control, with the
//! outcome InSpec's source gives on that host's files and recorded command outputs.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::job::{ControlResult, ControlStatus};
use crate::native::testing::run_on;
use crate::transport::fixture::FixtureTransport;
use crate::transport::Host;

use ControlStatus::{Failed as F, Passed as P, Skipped as S};

pub fn fixture(name: &str) -> Arc<Host> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hosts")
        .join(name);
    Arc::new(Host::new(
        Box::new(FixtureTransport::open(&dir)),
        None,
        CancellationToken::new(),
    ))
}

/// Every control of `controls` has the status `want` names, or the failure lists them all
/// with their messages. The results, for further assertions.
pub fn check(
    host: Arc<Host>,
    controls: &str,
    want: &[(&str, ControlStatus)],
) -> Vec<ControlResult> {
    let results = run_on(host, controls);
    assert_eq!(results.len(), want.len(), "one expectation per control");
    let mut wrong = Vec::new();
    for (id, status) in want {
        let Some(c) = results.iter().find(|c| c.id == *id) else {
            wrong.push(format!("{id}: no result"));
            continue;
        };
        if c.status != *status {
            let msgs: Vec<String> = c
                .results
                .iter()
                .map(|r| format!("{} {:?} {:?}", r.code_desc, r.message, r.skip_message))
                .collect();
            wrong.push(format!("{id}: {:?}, want {status:?}: {msgs:?}", c.status));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    results
}

/// The messages of one control's results (code_desc, message, skip message).
pub fn messages(results: &[ControlResult], id: &str) -> String {
    results
        .iter()
        .filter(|c| c.id == id)
        .flat_map(|c| &c.results)
        .map(|r| format!("{} | {:?} | {:?}", r.code_desc, r.message, r.skip_message))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn postgres_finds_debians_cluster_and_rhels_data_dir() {
    check(
        fixture("debian12"),
        r#"
control 'facts' do
  describe postgres do
    its('version') { should eq '15' }
    its('cluster') { should eq 'main' }
    its('conf_dir') { should eq '/etc/postgresql/15/main' }
    its('data_dir') { should eq '/var/lib/postgresql/15/main' }
    its('conf_path') { should eq '/etc/postgresql/15/main/postgresql.conf' }
    its('service') { should eq 'postgresql-15' }
  end
end
"#,
        &[("facts", P)],
    );
    check(
        fixture("rhel8"),
        r#"
control 'facts' do
  describe postgres do
    its('version') { should eq '10' }
    its('cluster') { should be_nil }
    its('data_dir') { should eq '/var/lib/pgsql/data' }
    its('conf_dir') { should eq '/var/lib/pgsql/data' }
    its('conf_path') { should eq '/var/lib/pgsql/data/postgresql.conf' }
    its('service') { should eq 'postgresql-10' }
  end
end
"#,
        &[("facts", P)],
    );
    let controls = r#"
control 'facts' do
  describe postgres do
    its('version') { should eq '15' }
  end
end
control 'conf' do
  describe postgres_conf do
    its('port') { should eq '5432' }
  end
end
"#;
    let results = run_on(fixture("ubuntu2004"), controls);
    assert!(results.iter().all(|c| c.status == S), "{results:?}");
    assert!(messages(&results, "facts").contains("Seems like PostgreSQL is not installed"));
    assert!(messages(&results, "conf").contains("PostgreSQL conf path is not set"));
}

#[test]
fn postgres_conf_documented_examples() {
    check(
        fixture("debian12"),
        r#"
# "Test the maximum number of allowed client connections": conf.d/90-hardening.conf
# (include_dir) sets 50 after postgresql.conf's 100.
control 'max-connections-doc' do
  describe postgres_conf do
    its('max_connections') { should eq '5' }
  end
end
control 'max-connections-included' do
  describe postgres_conf do
    its('max_connections') { should eq '50' }
  end
end
# "Test system logging": Debian leaves logging_collector unset.
control 'logging-doc' do
  describe postgres_conf do
    its('logging_collector') { should eq 'on' }
    its('log_connections') { should eq 'on' }
    its('log_disconnections') { should eq 'on' }
    its('log_line_prefix') { should eq '%t %u %d %h' }
    its(['pgaudit.log_parameter']) { should cmp 'on' }
  end
end
control 'logging-here' do
  describe postgres_conf do
    its('log_connections') { should eq 'on' }
    its('log_disconnections') { should eq 'on' }
    its('log_line_prefix') { should eq '%m [%p] %q%u@%d' }
    its(['password_encryption']) { should cmp 'scram-sha-256' }
    its('logging_collector') { should be_nil }
  end
end
control 'port-doc' do
  describe postgres_conf do
    its('port') { should eq '5432' }
  end
end
control 'unix-socket-doc' do
  describe postgres_conf do
    its('unix_socket_directories') { should eq '.s.PGSQL.5432' }
    its('unix_socket_group') { should eq nil }
    its('unix_socket_permissions') { should eq '0770' }
  end
end
control 'params-and-content' do
  describe postgres_conf.params('ssl') do
    it { should eq 'on' }
  end
  describe postgres_conf('/etc/postgresql/15/main/postgresql.conf') do
    its('content') { should match(/^log_disconnections = on$/) }
    its('data_directory') { should eq '/var/lib/postgresql/15/main' }
  end
end
"#,
        &[
            ("max-connections-doc", F),
            ("max-connections-included", P),
            ("logging-doc", F),
            ("logging-here", P),
            ("port-doc", P),
            ("unix-socket-doc", F),
            ("params-and-content", P),
        ],
    );
    // include_if_exists, relative to the including file.
    check(
        fixture("rhel8"),
        r#"
control 'included' do
  describe postgres_conf do
    its('ssl') { should eq 'on' }
    its('log_connections') { should eq 'on' }
    its('max_connections') { should eq '100' }
    its('log_filename') { should eq 'postgresql-%a.log' }
  end
end
control 'missing' do
  describe postgres_conf('/nonexistent/postgresql.conf') do
    its('port') { should eq '5432' }
  end
end
"#,
        &[("included", P), ("missing", S)],
    );
}

#[test]
fn postgres_hba_conf_documented_examples() {
    check(
        fixture("debian12"),
        r#"
# The syntax example: three local lines, all peer, are not one.
control 'local-peer-doc' do
  describe postgres_hba_conf.where { type == 'local' } do
    its('auth_method') { should eq ['peer'] }
  end
end
control 'local-peer' do
  describe postgres_hba_conf.where { type == 'local' } do
    its('auth_method') { should eq ['peer', 'peer', 'peer'] }
    its('address') { should eq ['', '', ''] }
    its('user') { should eq ['postgres', 'all', 'all'] }
  end
end
control 'host-scram' do
  describe postgres_hba_conf.where { type == 'host' } do
    its('auth_method') { should_not include 'trust' }
    its('address') { should include '127.0.0.1/32' }
    its('database') { should include 'replication' }
  end
end
control 'replication-types' do
  describe postgres_hba_conf.where { database == 'replication' } do
    its('type') { should cmp ['local', 'host'] }
    its('user') { should cmp ['all', 'all'] }
  end
end
control 'auth-params' do
  describe postgres_hba_conf.where(type: 'hostssl') do
    its('auth_method') { should eq ['cert'] }
    its('auth_params') { should eq ['clientcert=verify-full'] }
  end
end
control 'entries' do
  describe postgres_hba_conf('/etc/postgresql/15/main/pg_hba.conf') do
    its('entries.count') { should eq 7 }
    its('conf_file') { should eq '/etc/postgresql/15/main/pg_hba.conf' }
  end
end
"#,
        &[
            ("local-peer-doc", F),
            ("local-peer", P),
            ("host-scram", P),
            ("replication-types", P),
            ("auth-params", P),
            ("entries", P),
        ],
    );
    check(
        fixture("rhel8"),
        r#"
control 'ident' do
  describe postgres_hba_conf.where { type == 'host' } do
    its('auth_method') { should include 'ident' }
    its('auth_method') { should_not include 'trust' }
  end
end
"#,
        &[("ident", P)],
    );
}

#[test]
fn mysql_and_mysql_conf_documented_examples() {
    check(
        fixture("debian12"),
        r#"
control 'mysql-paths' do
  describe mysql do
    its('conf_path') { should eq '/etc/mysql/my.cnf' }
    its('conf_dir') { should eq '/etc/mysql/' }
    its('service') { should eq 'mysql' }
    its('log_group') { should eq 'adm' }
    its('log_dir_group') { should eq 'root' }
  end
end
# `its([...])` is `subject[...]`, which mysql_conf.rb's one-argument method_missing
# refuses (ArgumentError): the documented array form fails in InSpec.
control 'section-array-doc' do
  describe mysql_conf do
    its(['mariadb', 'max-connections']) { should_not be_nil }
  end
end
# SimpleConfig's sections are Hashie::Mash: `mysqld.port` is a method chain.
control 'section-dotted-doc' do
  describe mysql_conf do
    its('mysqld.port') { should cmp 3306 }
  end
end
# mysql-baseline's idiom: a section's keys as methods, `[]` for dashed names.
control 'section-methods' do
  describe mysql_conf&.params&.mysqld&.datadir do
    it { should eq '/var/lib/mysql' }
  end
  describe mysql_conf.params.mysqld['log_error'] do
    it { should eq '/var/log/mysql/error.log' }
  end
  describe mysql_conf.params.nosuchsection do
    it { should be_nil }
  end
end
control 'section-params' do
  describe mysql_conf.params('mariadb') do
    its('max-connections') { should_not be_nil }
  end
  describe mysql_conf.params('mysqld') do
    its('port') { should cmp 3306 }
  end
end
# The documented top-level keys are all inside [mysqld] here: nil at the top.
control 'max-connections-doc' do
  describe mysql_conf do
    its('max_connections') { should eq '505' }
    its('max_user_connections') { should eq '500' }
  end
end
control 'port-doc' do
  describe mysql_conf do
    its('port') { should eq '3306' }
    its('socket') { should eq '/var/run/mysqld/mysql.sock' }
  end
end
control 'safe-user-create-doc' do
  describe mysql_conf.params('mysqld') do
    its('safe-user-create') { should eq('1') }
  end
end
control 'mysqld-section' do
  describe mysql_conf.params('mysqld') do
    its('bind-address') { should eq '127.0.0.1' }
    its('local-infile') { should eq '0' }
    its('skip-name-resolve') { should eq '' }
    its('user') { should eq 'mysql' }
  end
end
control 'includes-read' do
  describe mysql_conf('/etc/mysql/my.cnf') do
    its('content') { should match(/character-set-server/) }
    its('content') { should match(/^!includedir/) }
  end
  describe mysql_conf.params('client-server') do
    its('socket') { should eq '/run/mysqld/mysqld.sock' }
  end
end
"#,
        &[
            ("mysql-paths", P),
            ("section-array-doc", F),
            ("section-dotted-doc", P),
            ("section-methods", P),
            ("section-params", P),
            ("max-connections-doc", F),
            ("port-doc", F),
            ("safe-user-create-doc", F),
            ("mysqld-section", P),
            ("includes-read", P),
        ],
    );
    check(
        fixture("rhel8"),
        r#"
control 'rhel' do
  describe mysql do
    its('conf_path') { should eq '/etc/my.cnf' }
    its('service') { should eq 'mysqld' }
  end
  describe mysql_conf.params('mysqld') do
    its('local-infile') { should eq '0' }
    its('datadir') { should eq '/var/lib/mysql' }
  end
end
"#,
        &[("rhel", P)],
    );
}

#[test]
fn mysql_session_documented_examples_on_recorded_outputs() {
    check(
        fixture("debian12"),
        r#"
control 'matching-databases-doc' do
  sql = mysql_session('my_user','password')
  describe sql.query('show databases like \'test\';') do
    its('output') { should_not match(/test/) }
  end
end
control 'lines' do
  describe mysql_session('my_user', 'password').query('show databases;') do
    its('lines') { should include 'mysql' }
    its('output') { should match(/^sys$/) }
  end
end
# InSpec's Lines never sets exit_status, and a failing query raises.
control 'successful-query-doc' do
  describe mysql_session('my_user','password').query('show databases;') do
    its('exit_status') { should eq(0) }
  end
end
control 'failing-query-doc' do
  describe mysql_session('my_user','password').query('show tables in non_existent_database;') do
    its('exit_status') { should_not eq(0) }
  end
end
control 'other-port-doc' do
  describe mysql_session('my_user','password','localhost',3307).query('show databases;') do
    its('output') { should match(/mysql/) }
  end
end
# Without credentials: Debian's maintenance login from /etc/mysql/debian.cnf.
control 'debian-login' do
  describe mysql_session.query("select user from mysql.user where user='root';") do
    its('output') { should eq 'root' }
  end
end
"#,
        &[
            ("matching-databases-doc", P),
            ("lines", P),
            ("successful-query-doc", F),
            ("failing-query-doc", F),
            ("other-port-doc", F),
            ("debian-login", P),
        ],
    );
    let results = run_on(
        fixture("debian12"),
        "describe mysql_session('my_user','password').query('show tables in non_existent_database;') do\n  its('output') { should eq '' }\nend\n",
    );
    let text = format!("{results:?}");
    assert!(
        text.contains("MySQL query with errors:") && text.contains("Unknown database"),
        "{text}"
    );
}

#[test]
fn apache_conf_documented_examples() {
    // Debian's apache2.conf has ServerRoot commented out: InSpec follows no include.
    check(
        fixture("debian12"),
        r#"
control 'allow-override-doc' do
  describe apache_conf do
    its('AllowOverride') { should cmp 'None' }
  end
end
control 'listen-doc' do
  describe apache_conf do
    its('Listen') { should cmp '443' }
  end
end
control 'timeout-doc' do
  describe apache_conf do
    its('Timeout') { should cmp '300' }
    its('PidFile') { should_not eq '/var/run/httpd.pid' }
  end
end
control 'no-includes-without-server-root' do
  describe apache_conf('/etc/apache2/apache2.conf') do
    its('ServerTokens') { should be_nil }
    its('IncludeOptional') { should include 'conf-enabled/*.conf' }
    its('content') { should_not match(/^#/) }
    # The value's first quoted run, starting after `\"` (apache_conf.rb's look-behind).
    its('LogFormat') { should include '%r\" %>s %O' }
  end
end
control 'apache-env' do
  describe apache do
    its('service') { should cmp 'apache2' }
    its('conf_dir') { should cmp '/etc/apache2/' }
    its('conf_path') { should cmp '/etc/apache2/apache2.conf' }
    its('user') { should cmp 'www-data' }
  end
end
"#,
        &[
            ("allow-override-doc", P),
            ("listen-doc", F),
            ("timeout-doc", P),
            ("no-includes-without-server-root", P),
            ("apache-env", P),
        ],
    );
    check(
        fixture("rhel8"),
        r#"
control 'ports-doc' do
  describe apache_conf do
    its('Listen') { should cmp '443' }
  end
end
control 'included' do
  describe apache_conf do
    its('Listen') { should eq ['80', '443 https'] }
    its('ServerRoot') { should eq ['/etc/httpd'] }
    its('ServerTokens') { should cmp 'Prod' }
    its('TraceEnable') { should eq ['Off'] }
    its('LoadModule') { should include 'alias_module modules/mod_alias.so' }
    its('ErrorLog') { should eq ['logs/error_log'] }
    its('conf_path') { should eq '/etc/httpd/conf/httpd.conf' }
  end
end
control 'apache-env' do
  describe apache do
    its('service') { should cmp 'httpd' }
    its('conf_path') { should cmp '/etc/httpd/conf/httpd.conf' }
    its('user') { should cmp 'apache' }
  end
end
"#,
        &[("ports-doc", F), ("included", P), ("apache-env", P)],
    );
}

#[test]
fn nginx_conf_documented_examples() {
    check(
        fixture("debian12"),
        r#"
control 'pid-syntax-doc' do
  describe nginx_conf.params['pid'].flatten do
    it { should cmp 'logs/nginx.pid' }
  end
end
control 'pid-here' do
  describe nginx_conf.params['pid'].flatten do
    it { should cmp '/run/nginx.pid' }
  end
  describe nginx_conf do
    its('pid') { should cmp '/run/nginx.pid' }
  end
end
control 'worker-processes-doc' do
  describe nginx_conf.params['worker_processes'].flatten do
    it { should cmp 5 }
  end
end
control 'find-server-doc' do
  servers = nginx_conf.servers
  domain2 = servers.find { |s| s.params['server_name'].flatten.include? 'domain2.com' }
  describe 'No server serves domain2' do
    subject { domain2 }
    it { should be_nil }
  end
end
control 'includes-merged' do
  describe nginx_conf do
    its('load_module') { should eq ['modules/ngx_http_geoip_module.so'] }
    its('user') { should eq ['www-data'] }
  end
  describe nginx_conf.http.entries.first do
    its('server_tokens') { should eq ['off'] }
    its('add_header') { should include 'SAMEORIGIN' }
    its('client_max_body_size') { should eq ['1m'] }
  end
end
control 'servers-and-locations' do
  describe nginx_conf.servers.length do
    it { should eq 2 }
  end
  describe nginx_conf.servers[1] do
    its('server_name') { should eq ['domain2.com', 'www.domain2.com'] }
    its('listen') { should eq ['443', 'ssl'] }
  end
  describe nginx_conf.locations.first.params['_'] do
    it { should eq ['/'] }
  end
  describe nginx_conf.servers.first.locations.length do
    it { should eq 2 }
  end
end
control 'nginx-build' do
  describe nginx do
    its('version') { should eq '1.22.1' }
    its('prefix') { should eq '/usr/share/nginx' }
    its('error_log_path') { should eq 'stderr' }
    its('sbin_path') { should be_nil }
    its('modules') { should include 'http_ssl' }
    its('support_info') { should eq 'TLS SNI' }
    its('service') { should eq 'nginx' }
  end
  describe nginx.openssl_version['version'] do
    it { should eq '3.0.9' }
  end
end
"#,
        &[
            ("pid-syntax-doc", F),
            ("pid-here", P),
            ("worker-processes-doc", F),
            ("find-server-doc", F),
            ("includes-merged", P),
            ("servers-and-locations", P),
            ("nginx-build", P),
        ],
    );
    check(
        fixture("rhel8"),
        r#"
control 'no-nginx' do
  describe nginx_conf do
    its('pid') { should cmp '/run/nginx.pid' }
  end
  describe nginx do
    its('version') { should eq '1.22.1' }
  end
end
"#,
        &[("no-nginx", S)],
    );
}

#[test]
fn x509_certificate_documented_examples() {
    // inspec.pem: RSA 2048, 2020-01-01 .. 2120-01-01, the subject of the resource's own
    // example; expired-ec.der: P-256 in DER, 2020-01-01 .. 2021-01-01.
    check(
        fixture("debian12"),
        r#"
control 'validity' do
  describe x509_certificate('/etc/ssl/certs/inspec.pem') do
    its('validity_in_days') { should be > 30 }
    it { should be_certificate }
    it { should be_valid }
  end
  describe x509_certificate(filepath: '/etc/ssl/certs/inspec.pem') do
    its('validity_in_days') { should be > 30 }
  end
  cert_content = file('/etc/ssl/certs/inspec.pem').content
  describe x509_certificate(content: cert_content) do
    its('validity_in_days') { should be > 30 }
  end
end
control 'names' do
  describe x509_certificate('/etc/ssl/certs/inspec.pem') do
    its('subject.CN') { should eq 'inspec.io' }
    its('subject.C') { should eq 'DE' }
    its('subject.emailAddress') { should_not be_empty }
    its('subject.emailAddress') { should eq 'support@chef.io' }
    its('subject_dn') { should match 'CN=inspec.io' }
    its('subject_dn') { should eq '/C=DE/ST=Berlin/L=Berlin/O=InSpec/OU=Chef Software, Inc/CN=inspec.io/emailAddress=support@chef.io' }
    its('issuer.CN') { should eq 'inspec.io' }
    its('issuer_dn') { should eq '/C=DE/ST=Berlin/L=Berlin/O=InSpec/OU=Chef Software, Inc/CN=inspec.io/emailAddress=support@chef.io' }
    its('email') { should eq 'support@chef.io' }
  end
end
# The issuer_dn page example asks `issuer_cn`, which the resource does not have.
control 'issuer-cn-doc' do
  describe x509_certificate('/etc/ssl/certs/inspec.pem') do
    its('issuer_cn') { should match 'CN=NAME CA' }
  end
end
control 'key-and-algorithm' do
  describe x509_certificate('/etc/ssl/certs/inspec.pem') do
    its('key_length') { should be >= 2048 }
    its('keylength') { should eq 2048 }
    its('signature_algorithm') { should eq 'sha256WithRSAEncryption' }
    its('fingerprint') { should eq '33dc121d43f0e98eda9ad169d509ed5731576e10' }
    its('version') { should eq 2 }
    its('serial') { should cmp '9623283588743302433' }
    its('public_key') { should match "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvre9SR1XvC1pj9BTivM6\n" }
    its('not_before') { should eq '2020-01-01 00:00:00 UTC' }
    its('not_after') { should eq '2120-01-01 00:00:00 UTC' }
  end
end
control 'extensions-doc' do
  describe x509_certificate('/etc/ssl/certs/inspec.pem') do
    its('extensions') { should include 'keyUsage' }
    its('extensions') { should include 'extendedKeyUsage' }
    its('extensions') { should include 'subjectAltName' }
    its('extensions.keyUsage') { should include 'Digital Signature' }
    its('extensions.keyUsage') { should include 'Non Repudiation' }
    its('extensions.keyUsage') { should include 'Data Encipherment' }
    its('extensions.extendedKeyUsage') { should include 'TLS Web Server Authentication' }
    its('extensions.extendedKeyUsage') { should include 'Code Signing' }
    its('extensions.subjectAltName') { should include 'email:support@chef.io' }
  end
end
control 'extensions-as-openssl-prints' do
  describe x509_certificate('/etc/ssl/certs/inspec.pem') do
    its('extensions.keyUsage') { should eq ['critical', 'Digital Signature', 'Non Repudiation', 'Key Encipherment', 'Data Encipherment'] }
    its('extensions.basicConstraints') { should eq ['critical', 'CA:FALSE'] }
    its('extensions.subjectKeyIdentifier') { should cmp '92:11:3A:E4:01:14:53:82:40:E1:E2:CD:3B:87:9F:AB:56:13:31:E2' }
    its('extensions.authorityKeyIdentifier') { should cmp '92:11:3A:E4:01:14:53:82:40:E1:E2:CD:3B:87:9F:AB:56:13:31:E2' }
    its('extensions.crlDistributionPoints') { should eq [] }
    its('subject_alt_names') { should include 'DNS:inspec.io' }
    its('subject_alt_names') { should include 'DNS:www.inspec.io' }
    its('subject_alt_names') { should include 'IP Address:127.0.0.1' }
  end
end
control 'expired-der' do
  describe x509_certificate('/etc/ssl/certs/expired-ec.der') do
    it { should be_certificate }
    it { should_not be_valid }
    its('validity_in_days') { should be < 0 }
    its('signature_algorithm') { should eq 'ecdsa-with-SHA256' }
    its('subject_dn') { should eq '/CN=ec.example.com/O=Example' }
    its('serial') { should eq 4242 }
    its('extensions.basicConstraints') { should eq ['critical', 'CA:TRUE', 'pathlen:0'] }
  end
end
control 'not-a-certificate' do
  describe x509_certificate('/etc/ssl/certs/broken.pem') do
    it { should be_certificate }
  end
end
control 'missing' do
  describe x509_certificate('/etc/ssl/certs/none.pem') do
    it { should be_certificate }
  end
end
# Skipped in initialize (read_file_content): one skipped result, its examples never run,
# so a property the resource lacks does not matter (InSpec 7.1.16: "Can't find file").
control 'missing-issuer-cn' do
  describe x509_certificate('/etc/ssl/certs/none.pem') do
    its('issuer_cn') { should match 'CN=NAME CA' }
  end
end
"#,
        &[
            ("validity", P),
            ("names", P),
            ("issuer-cn-doc", S),
            ("key-and-algorithm", P),
            ("extensions-doc", P),
            ("extensions-as-openssl-prints", P),
            ("expired-der", P),
            ("not-a-certificate", F),
            ("missing", S),
            ("missing-issuer-cn", S),
        ],
    );
}

#[test]
fn x509_certificate_of_a_missing_file_is_skipped_whatever_its_examples_ask() {
    // x509_certificate.rb reads the file in `initialize`: runner.rb's get_check_example
    // then reports the describe as one skipped result and runs none of its examples, not
    // even one asking a property the resource lacks (`issuer_cn`, the issuer_dn page's
    // example), as InSpec 7.1.16 reports it.
    let r = run_on(
        fixture("debian12"),
        "control 'c' do\n  describe x509_certificate('/etc/ssl/certs/none.pem') do\n    its('issuer_cn') { should match 'CN=NAME CA' }\n  end\nend\n",
    );
    let c = r.iter().find(|c| c.id == "c").expect("control c");
    let got: Vec<(&str, ControlStatus, Option<&str>)> = c
        .results
        .iter()
        .map(|x| (x.code_desc.as_str(), x.status, x.skip_message.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![(
            "x509_certificate /etc/ssl/certs/none.pem",
            S,
            Some("Can't find file: /etc/ssl/certs/none.pem")
        )]
    );
}

#[test]
fn x509_has_purpose_asks_openssl_on_the_target() {
    let dir = std::env::temp_dir().join(format!("airs-x509-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("inspec.pem");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/hosts/debian12/root/etc/ssl/certs/inspec.pem"),
        &cert,
    )
    .unwrap();
    let controls = format!(
        r#"
control 'purpose-doc' do
  describe x509_certificate('{cert}') do
    it {{ should have_purpose('SSL client CA : Yes') }}
    it {{ should have_purpose('SSL server CA : Yes') }}
  end
end
control 'unreadable' do
  describe x509_certificate('{dir}/none.pem') do
    it {{ should have_purpose('SSL server : Yes') }}
  end
end
"#,
        cert = cert.display(),
        dir = dir.display(),
    );
    // x509_certificate.rb matches openssl's output with /purpose/: any purpose passes. A
    // missing file skips the resource in `initialize` (InSpec 7.1.16: "Can't find file").
    check(
        crate::transport::local::test_host(),
        &controls,
        &[("purpose-doc", P), ("unreadable", S)],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn firewalld_documented_examples() {
    check(
        fixture("rhel8"),
        r#"
control 'syntax-doc' do
  describe firewalld do
    it { should be_running }
    its('default_zone') { should eq 'public' }
    it { should have_service_enabled_in_zone('ssh', 'public') }
    it { should have_rule_enabled('family=ipv4 source address=192.168.0.14 accept', 'public') }
  end
end
# The page's zone values are an example's: this host has eth0/eth1, no sources.
control 'zone-doc' do
  describe firewalld.where { zone == 'public' } do
    its('interfaces') { should cmp ['enp0s3', 'eno2'] }
    its('sources') { should cmp ['192.168.1.0/24', '192.168.1.2'] }
    its('services') { should cmp ['ssh', 'icmp'] }
  end
end
control 'zone-here' do
  describe firewalld.where { zone == 'public' } do
    its('interfaces') { should eq [['eth0', 'eth1']] }
    its('sources') { should eq [[]] }
    its('services') { should eq [['cockpit', 'dhcpv6-client', 'ssh']] }
    its('target') { should cmp ['default'] }
    its('ports') { should eq [['80/tcp', '443/tcp']] }
    its('protocols') { should eq [[]] }
    its('rich_rules') { should eq [['rule family="ipv4" source address="192.168.0.14" accept']] }
  end
end
control 'matchers' do
  describe firewalld do
    it { should be_installed }
    it { should have_zone('public') }
    it { should_not have_zone('nosuchzone') }
    it { should have_port_enabled_in_zone('80/tcp', 'public') }
    it { should_not have_port_enabled_in_zone('22/tcp') }
    it { should_not have_service_enabled_in_zone('telnet') }
    it { should_not have_icmp_block_inversion_enabled }
    it { should_not have_masquerade_enabled }
  end
  describe firewalld.service_ports_enabled_in_zone('ssh') do
    it { should eq ['22/tcp'] }
  end
end
control 'port-doc' do
  describe firewalld do
    it { should have_port_enabled_in_zone('22/tcp', 'public') }
  end
end
"#,
        &[
            ("syntax-doc", P),
            ("zone-doc", F),
            ("zone-here", P),
            ("matchers", P),
            ("port-doc", F),
        ],
    );
    check(
        fixture("debian12"),
        r#"
control 'not-installed' do
  describe firewalld do
    it { should_not be_installed }
    it { should_not be_running }
    it { should_not have_zone('public') }
  end
  describe firewalld.where { zone == 'public' } do
    it { should_not exist }
  end
end
"#,
        &[("not-installed", P)],
    );
}

#[test]
fn nftables_documented_examples() {
    check(
        fixture("debian12"),
        r#"
control 'resource-example' do
  describe nftables(family: 'inet', table: 'filter', chain: 'input') do
    its('type') { should eq 'filter' }
    its('hook') { should eq 'input' }
    its('prio') { should eq 0 }
    its('policy') { should eq 'drop' }
    it { should have_rule('tcp dport { 22, 80, 443 } accept') }
    it { should have_rule('TCP DPORT 5432 COMMENT "postgres" ACCEPT') }
  end
end
control 'accept-policy-doc' do
  describe nftables(family: 'inet', table: 'filter', chain: 'input') do
    its('policy') { should eq 'accept' }
  end
end
control 'mangle-doc' do
  describe nftables(family: 'inet', table: 'mangle', chain: 'INPUT') do
    its('type') { should eq 'filter' }
    its('hook') { should eq 'input' }
    its('prio') { should eq (-150) }
    its('policy') { should eq 'accept' }
  end
end
control 'postgres-rule-doc' do
  describe nftables(family: 'inet', table: 'filter', chain: 'input') do
    it { should have_rule('tcp dport 5432 comment "postgres" accept') }
  end
end
control 'ignore-comments' do
  describe nftables(family: 'inet', table: 'filter', chain: 'input', ignore_comments: true) do
    it { should have_rule('tcp dport 5432 accept') }
  end
end
control 'sets' do
  describe nftables(family: 'inet', table: 'filter', set: 'OPEN_PORTS') do
    its('type') { should eq 'ipv4_addr . inet_proto . inet_service' }
    its('flags') { should include 'interval' }
    it { should have_element('1.1.1.1 . tcp . 25-27') }
    it { should have_element('10.0.0.1 . udp . 53') }
  end
  describe nftables(family: 'inet', table: 'filter', set: 'blocked') do
    it { should have_element('1.1.1.1') }
    its('size') { should eq 65535 }
    its('flags') { should eq [] }
  end
end
control 'missing-chain' do
  describe nftables(family: 'inet', table: 'filter', chain: 'missing') do
    it { should_not have_rule('accept') }
  end
end
control 'chain-or-set' do
  describe nftables(family: 'inet', table: 'filter') do
    it { should have_rule('accept') }
  end
end
control 'attribute-of-the-other-kind' do
  describe nftables(family: 'inet', table: 'filter', set: 'blocked') do
    its('hook') { should eq 'input' }
  end
end
"#,
        &[
            ("resource-example", P),
            ("accept-policy-doc", F),
            ("mangle-doc", P),
            ("postgres-rule-doc", P),
            ("ignore-comments", P),
            ("sets", P),
            ("missing-chain", P),
            ("chain-or-set", F),
            ("attribute-of-the-other-kind", S),
        ],
    );
    let results = run_on(
        fixture("rhel8"),
        "describe nftables(family: 'inet', table: 'filter', chain: 'input') do\n  its('policy') { should eq 'drop' }\nend\n",
    );
    assert!(
        format!("{results:?}").contains("Could not find `nft`"),
        "{results:?}"
    );
}
