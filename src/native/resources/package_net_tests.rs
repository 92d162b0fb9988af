//! The examples of InSpec's pages for `gem`, `npm`, `pip`, `cpan`, `cran`, `http`,
//! `default_gateway`, `routing_table`, `cgroup`, `lxc`, `runit_service`, `zfs`, `zfs_pool`
//! and `zfs_dataset`, as controls of `tests/fixtures/fixture-profiles/package-net-resources`
//! on the recorded host states, against the outcome InSpec gives there (read from
//! inspec/inspec's resources/NAME.rb); and the resources that read this machine (pip, cpan,
//! netstat's routes, curl against a local `python3 -m http.server`) on local://.

use crate::job::{ControlResult, ControlStatus};
use crate::native::resources::services_tests::check;
use crate::native::testing::{evaluate_on, one, wrong_outcomes_on_fixture_hosts};

use ControlStatus::{Failed as F, Passed as P, Skipped as S};

/// InSpec's status of each control on debian12, ubuntu2004, rhel8.
const EXPECTED: &[(&str, [ControlStatus; 3])] = &[
    // Only Ubuntu has `gem`; RHEL has Chef's omnibus gem, without chef-sugar.
    ("gem-rubocop-doc", [S, P, S]),
    ("gem-versions-doc", [S, P, S]),
    ("gem-not-installed-doc", [S, F, S]),
    ("gem-omnibus-doc", [S, S, S]),
    ("gem-chef-doc", [S, S, F]),
    ("gem-chef-server-doc", [S, S, S]),
    // Ubuntu's bower is 1.8.14.
    ("npm-bower-doc", [F, F, F]),
    ("npm-bower-installed", [F, P, F]),
    ("npm-statsd-doc", [P, P, P]),
    ("npm-path-doc", [F, F, F]),
    ("npm-path-project", [F, P, F]),
    ("pip-jinja2-doc", [F, P, F]),
    ("pip-jinja2-version-doc", [F, F, F]),
    ("pip-path-doc", [F, F, F]),
    ("pip-jinja2-ubuntu", [F, P, F]),
    // RHEL: perl-DBD-Pg 3.7.4, 3.16.0 in the PERL5LIB given.
    ("cpan-dbd-pg-doc", [F, F, P]),
    ("cpan-version-doc", [F, F, F]),
    ("cpan-perl5lib-doc", [F, F, P]),
    ("cran-dbi-doc", [S, P, S]),
    ("cran-dbi-version-doc", [S, F, S]),
    ("http-localhost-doc", [P, F, F]),
    ("http-complex-doc", [F, P, F]),
    ("http-headers-doc", [F, F, F]),
    ("http-head-server", [P, F, F]),
    // Debian has no netstat (a failure, before have_entry's key check).
    ("default-gateway-doc", [F, F, F]),
    ("default-gateway-example", [F, P, F]),
    ("routing-table-doc", [F, P, F]),
    ("routing-table-doc-subnet", [F, F, F]),
    ("routing-table-doc-lxdbr0", [F, F, F]),
    ("routing-table-missing-key", [F, S, S]),
    ("cgroup-doc-cpus", [F, F, P]),
    ("cgroup-doc-limit", [F, F, P]),
    ("cgroup-doc-stat", [F, F, P]),
    ("cgroup-invalid-query", [F, F, F]),
    ("lxc-doc", [F, P, F]),
    ("lxc-missing", [F, P, F]),
    ("runit-doc", [F, F, F]),
    ("runit-path-doc", [F, P, F]),
    ("runit-down", [F, P, F]),
    // Without zpool/zfs: "zfs is not installed".
    ("zfs-doc", [S, P, S]),
    ("zfs-doc-case", [S, F, S]),
    ("zfs-new-pool", [S, P, S]),
    ("zfs-new-pool-property", [S, F, S]),
    ("zfs-pool-doc", [S, F, S]),
    ("zfs-pool-health", [S, P, S]),
    ("zfs-dataset-doc", [S, P, S]),
];

#[test]
fn package_net_examples_have_inspecs_outcomes_on_every_fixture_host() {
    let wrong = wrong_outcomes_on_fixture_hosts("package-net-resources", EXPECTED);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn texts(c: &ControlResult) -> Vec<(String, ControlStatus, Option<String>)> {
    c.results
        .iter()
        .map(|r| {
            (
                r.code_desc.clone(),
                r.status,
                r.message.clone().or_else(|| r.skip_message.clone()),
            )
        })
        .collect()
}

fn msg(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// Subjects and messages as InSpec words them.
#[test]
fn package_net_wording() {
    let deb = evaluate_on("debian12", "package-net-resources");
    let ubuntu = evaluate_on("ubuntu2004", "package-net-resources");
    let rhel = evaluate_on("rhel8", "package-net-resources");

    let c = one(&deb, "gem-rubocop-doc");
    assert_eq!(
        c.results[0].skip_message.as_deref(),
        Some("Unable to retrieve gem information"),
        "{c:#?}"
    );
    let c = one(&ubuntu, "gem-versions-doc");
    assert_eq!(
        c.results[1].code_desc,
        "gem package rubocop versions is expected to include /1.21.0/"
    );
    let c = one(&rhel, "gem-chef-doc");
    assert_eq!(
        texts(&c),
        [
            (
                "gem package chef-sugar is expected to be installed".to_string(),
                F,
                msg("expected that `gem package chef-sugar` is installed")
            ),
            (
                "gem package chef-sugar gem_binary is expected to eq \"/opt/chef/embedded/bin/gem\""
                    .to_string(),
                P,
                None
            )
        ]
    );
    let c = one(&ubuntu, "npm-bower-doc");
    assert_eq!(
        c.results[1].message.as_deref(),
        Some("\nexpected: \"1.4.1\"\n     got: \"1.8.14\"\n\n(compared using ==)\n")
    );
    assert_eq!(
        c.results[1].code_desc,
        "Npm Package bower version is expected to eq \"1.4.1\""
    );
    let c = one(&ubuntu, "pip-jinja2-version-doc");
    assert_eq!(
        c.results[1].message.as_deref(),
        Some("\nexpected: \"2.8\"\n     got: \"2.10.1\"\n\n(compared using ==)\n")
    );
    let c = one(&rhel, "cpan-version-doc");
    assert_eq!(
        c.results[1].message.as_deref(),
        Some("\nexpected: \"3.7.0\"\n     got: \"3.7.4\"\n\n(compared using ==)\n")
    );
    assert_eq!(
        c.results[0].code_desc,
        "Perl Module DBD::Pg is expected to be installed"
    );
    let c = one(&deb, "cran-dbi-doc");
    assert_eq!(
        c.results[0].skip_message.as_deref(),
        Some("Rscript not found")
    );
    let c = one(&ubuntu, "cran-dbi-version-doc");
    assert_eq!(
        c.results[1].message.as_deref(),
        Some("\nexpected: \"0.5.1\"\n     got: \"1.1.0\"\n\n(compared using ==)\n")
    );

    let c = one(&ubuntu, "http-complex-doc");
    assert_eq!(
        c.results[2].code_desc,
        "HTTP POST on http://localhost:8080/ping headers.Content-Type is expected to cmp == \"text/html\""
    );
    let c = one(&deb, "http-complex-doc");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("\nexpected: 200\n     got: \n\n(compared using `cmp` matcher)\n"),
        "{c:#?}"
    );
    // A failed request has no headers to describe (http.rb's `Headers.create(nil)` raises):
    // the describe's argument raised in the control's block, rule.rb's Control Source Code
    // Error at the control's line.
    let c = one(&deb, "http-headers-doc");
    let t = texts(&c);
    assert_eq!(t.len(), 1, "{c:#?}");
    assert!(
        t[0].0.starts_with("Control Source Code Error ")
            && t[0].0.ends_with("controls/network.rb:22 "),
        "{c:#?}"
    );
    assert_eq!(
        (t[0].1, t[0].2.clone()),
        (F, msg("undefined method `each_with_object' for nil")),
        "{c:#?}"
    );
    let c = one(&deb, "http-head-server");
    assert_eq!(
        c.results[1].code_desc,
        "HTTP HEAD on http://localhost/ headers.server is expected to match /^nginx/"
    );

    let c = one(&deb, "default-gateway-doc");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("Could not find `netstat` utility to view routing table information"),
        "{c:#?}"
    );
    let c = one(&rhel, "default-gateway-example");
    assert_eq!(
        texts(&c),
        [
            (
                "default_gateway ipaddress is expected to eq \"172.31.80.1\"".to_string(),
                F,
                msg("\nexpected: \"172.31.80.1\"\n     got: \"192.168.122.1\"\n\n(compared using ==)\n")
            ),
            (
                "default_gateway interface is expected to eq \"eth0\"".to_string(),
                P,
                None
            )
        ]
    );
    let c = one(&ubuntu, "routing-table-missing-key");
    assert_eq!(
        c.results[0].skip_message.as_deref(),
        Some("One or more missing key, have_entry? matcher expects a hash with 3 keys: destination, gateway and interface"),
        "{c:#?}"
    );

    let c = one(&rhel, "cgroup-invalid-query");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("The query cpuset.nope does not appear to be valid."),
        "{c:#?}"
    );
    assert_eq!(
        c.results[0].code_desc,
        // An `its` whose value raises: RSpec never reached the matcher, so no "is expected".
        "cgroup CARROTKING cpuset.nope "
    );
    let c = one(&ubuntu, "cgroup-doc-cpus");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("Could not find `cgget`")
    );

    let c = one(&ubuntu, "lxc-doc");
    assert_eq!(c.results.len(), 10);
    assert_eq!(
        c.results[6].code_desc,
        "lxc ubuntu-container pid is expected to eq 1378"
    );
    let c = one(&rhel, "lxc-missing");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("Could not find `lxc`")
    );

    let c = one(&ubuntu, "runit-down");
    assert_eq!(
        c.results[1].code_desc,
        "Service sidekiq is expected not to be running"
    );
    let c = one(&deb, "zfs-doc");
    assert_eq!(
        c.results[0].skip_message.as_deref(),
        Some("zfs is not installed")
    );
    let c = one(&ubuntu, "zfs-doc-case");
    assert_eq!(
        c.results[0].code_desc,
        "zfs tank is expected to have property {\"failmode\"=>\"WAIT\", \"capacity\"=>\"0\"}"
    );
    let c = one(&ubuntu, "zfs-new-pool-property");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("no implicit conversion of nil into Hash"),
        "{c:#?}"
    );
    let c = one(&ubuntu, "zfs-dataset-doc");
    assert_eq!(
        c.results[0].code_desc,
        "ZFS Dataset tank/tmp is expected to be mounted"
    );
    let c = one(&ubuntu, "zfs-pool-doc");
    assert_eq!(
        c.results[1].message.as_deref(),
        Some("\nexpected: \"continue\"\n     got: \"wait\"\n\n(compared using ==)\n")
    );
}

fn output(argv: &[&str]) -> Option<String> {
    let out = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `pip`, `cpan` and the routes of this machine against what its tools say directly.
#[test]
fn pip_cpan_and_routes_read_this_machine() {
    let Some(pip_version) =
        output(&["pip", "--version"]).and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
    else {
        return; // no pip here
    };
    let mut controls = format!(
        r#"
control 'pip-self' do
  describe pip('pip') do
    it {{ should be_installed }}
    its('version') {{ should eq '{pip_version}' }}
  end
end
control 'pip-missing' do
  describe pip("airs-no-such-package'; touch /tmp/airs-pip-pwned; '") do
    it {{ should_not be_installed }}
    its('version') {{ should be_nil }}
  end
end
control 'pip-wrong-version' do
  describe pip('pip') do
    its('version') {{ should eq '0.0.1' }}
  end
end
"#
    );
    let mut want = vec![
        ("pip-self", P),
        ("pip-missing", P),
        ("pip-wrong-version", F),
    ];
    let perl = output(&[
        "perl",
        "-MData::Dumper",
        "-e",
        "print Data::Dumper->VERSION",
    ]);
    if let Some(v) = &perl {
        controls.push_str(&format!(
            r#"
control 'cpan-data-dumper' do
  describe cpan('Data::Dumper') do
    it {{ should be_installed }}
    its('version') {{ should eq '{v}' }}
  end
end
control 'cpan-missing' do
  describe cpan('Airs::No::Such::Module') do
    it {{ should be_installed }}
  end
end
"#
        ));
        want.extend([("cpan-data-dumper", P), ("cpan-missing", F)]);
    }
    // `ip route show default`: `default via GATEWAY dev IFACE ...`.
    let route = output(&["ip", "route", "show", "default"]).and_then(|r| {
        let w: Vec<&str> = r.split_whitespace().collect();
        Some((w.get(2)?.to_string(), w.get(4)?.to_string()))
    });
    if let (Some((gw, iface)), Some(_)) = (&route, output(&["netstat", "-rn"])) {
        controls.push_str(&format!(
            r#"
control 'default-gateway-here' do
  describe default_gateway do
    its('ipaddress') {{ should eq '{gw}' }}
    its('interface') {{ should eq '{iface}' }}
  end
end
control 'routing-table-here' do
  describe routing_table do
    it {{ should have_entry(destination: '0.0.0.0', gateway: '{gw}', interface: '{iface}') }}
  end
end
control 'routing-table-not-here' do
  describe routing_table do
    it {{ should have_entry(destination: '0.0.0.0', gateway: '203.0.113.254', interface: '{iface}') }}
  end
end
"#
        ));
        want.extend([
            ("default-gateway-here", P),
            ("routing-table-here", P),
            ("routing-table-not-here", F),
        ]);
    }
    let results = check(crate::transport::local::test_host(), &controls, &want);
    assert!(!std::path::Path::new("/tmp/airs-pip-pwned").exists());
    let c = one(&results, "pip-wrong-version");
    assert_eq!(
        c.results[0].message,
        Some(format!(
            "\nexpected: \"0.0.1\"\n     got: \"{pip_version}\"\n\n(compared using ==)\n"
        ))
    );
}

/// A `python3 -m http.server` on a free loopback port, killed when dropped.
struct HttpServer {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl HttpServer {
    fn start() -> Option<HttpServer> {
        let dir = std::env::temp_dir().join(format!("airs-http-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).ok()?;
        std::fs::write(dir.join("hello.txt"), "hello\n").ok()?;
        std::fs::write(dir.join("sub/index.html"), "<p>sub</p>\n").ok()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
            ])
            .current_dir(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let server = HttpServer { child, port, dir };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if std::time::Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Some(server)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `http` through curl against a local server: status, body, headers by any case, methods,
/// params, redirects, and option text that stays one argument.
#[test]
fn http_asks_a_local_server_through_curl() {
    if output(&["curl", "--version"]).is_none() {
        return; // no curl here
    }
    let server = HttpServer::start().expect("python3 -m http.server starts");
    let base = format!("http://127.0.0.1:{}", server.port);
    let controls = format!(
        r#"
control 'http-get' do
  describe http("{base}/hello.txt", read_timeout: 5, open_timeout: 5) do
    its('status') {{ should cmp 200 }}
    its('body') {{ should eq 'hello' }}
    its('headers.Content-Type') {{ should eq 'text/plain' }}
    its('headers.content-length') {{ should cmp 6 }}
    its('http_method') {{ should eq 'GET' }}
  end
end
control 'http-headers-object' do
  describe http("{base}/hello.txt", read_timeout: 5).headers do
    its('Server') {{ should match /^SimpleHTTP/ }}
    its('X-Not-There') {{ should be_nil }}
  end
end
control 'http-missing' do
  describe http("{base}/nope", params: {{ a: 1, b: 'two' }}, read_timeout: 5) do
    its('status') {{ should eq 404 }}
  end
end
control 'http-post-unsupported' do
  describe http("{base}/hello.txt", method: 'POST', data: "x'; touch /tmp/airs-http-pwned; '", headers: {{ 'X-Test' => "a'b" }}, auth: {{ user: 'u', pass: "p'w" }}, read_timeout: 5) do
    its('status') {{ should eq 501 }}
  end
end
control 'http-head' do
  describe http("{base}/hello.txt", method: 'HEAD', read_timeout: 5) do
    its('status') {{ should eq 200 }}
    its('body') {{ should eq '' }}
  end
end
control 'http-redirect-not-followed' do
  describe http("{base}/sub", read_timeout: 5) do
    its('status') {{ should eq 301 }}
    its('headers.Location') {{ should eq '/sub/' }}
  end
end
control 'http-redirect-followed' do
  describe http("{base}/sub", max_redirects: 2, read_timeout: 5) do
    its('status') {{ should eq 200 }}
    its('body') {{ should eq '<p>sub</p>' }}
  end
end
control 'http-dash-url' do
  describe http("-o/tmp/airs-curl-pwned", read_timeout: 5) do
    its('status') {{ should be_nil }}
  end
end
control 'http-wrong-status' do
  describe http("{base}/hello.txt", read_timeout: 5) do
    its('status') {{ should eq 201 }}
  end
end
"#
    );
    let results = check(
        crate::transport::local::test_host(),
        &controls,
        &[
            ("http-get", P),
            ("http-headers-object", P),
            ("http-missing", P),
            ("http-post-unsupported", P),
            ("http-head", P),
            ("http-redirect-not-followed", P),
            ("http-redirect-followed", P),
            ("http-dash-url", P),
            ("http-wrong-status", F),
        ],
    );
    drop(server);
    assert!(!std::path::Path::new("/tmp/airs-http-pwned").exists());
    assert!(!std::path::Path::new("/tmp/airs-curl-pwned").exists());
    let c = one(&results, "http-wrong-status");
    assert_eq!(
        c.results[0].message.as_deref(),
        Some("\nexpected: 201\n     got: 200\n\n(compared using ==)\n")
    );
    assert_eq!(
        c.results[0].code_desc,
        format!("HTTP GET on {base}/hello.txt status is expected to eq 201")
    );
}

/// On a FreeBSD host with none of the tools: InSpec's skips and failures, each with its
/// message (cgroup and lxc declare `supports platform: "linux"`: resource.rb's
/// `check_supported!` raises before their `initialize` runs; zfs_pool is BSD's too but
/// needs zpool).
#[test]
fn freebsd_without_the_tools_skips_as_inspec() {
    let dir = std::env::temp_dir().join(format!("airs-freebsd-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("root")).unwrap();
    std::fs::write(
        dir.join("host.yml"),
        "programs: [/usr/bin/uname]\ncommands:\n  - argv: [uname, -s]\n    stdout: \"FreeBSD\\n\"\n  - argv: [uname, -m]\n    stdout: \"amd64\\n\"\n  - argv: [uname, -r]\n    stdout: \"13.2-RELEASE\\n\"\n",
    )
    .unwrap();
    let host = crate::native::testing::fixture_host_at(&dir);
    let results = check(
        host,
        r#"
control 'cgroup' do
  describe cgroup('x') do
    its('cpuset.cpus') { should eq 0 }
  end
end
control 'lxc' do
  describe lxc('x') do
    it { should exist }
  end
end
control 'http' do
  describe http('http://localhost/') do
    its('status') { should cmp 200 }
  end
end
control 'cran' do
  describe cran('DBI') do
    it { should be_installed }
  end
end
control 'cpan' do
  describe cpan('DBD::Pg') do
    it { should be_installed }
  end
end
control 'gem' do
  describe gem('rubocop') do
    it { should be_installed }
  end
end
control 'zfs-pool' do
  describe zfs_pool('tank') do
    its('health') { should eq 'ONLINE' }
  end
end
control 'runit' do
  describe runit_service('x') do
    it { should be_installed }
  end
end
control 'routing-table' do
  describe routing_table do
    it { should have_entry(destination: 'default', gateway: '192.0.2.1', interface: 'em0') }
  end
end
"#,
        &[
            ("cgroup", F),
            ("lxc", F),
            ("http", S),
            ("cran", S),
            ("cpan", S),
            ("gem", S),
            ("zfs-pool", S),
            ("runit", F),
            ("routing-table", F),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let said = |id: &str| {
        let r = &one(&results, id).results[0];
        r.skip_message.clone().or_else(|| r.message.clone())
    };
    assert_eq!(
        said("cgroup").as_deref(),
        Some("Unsupported resource/backend combination: cgroup / freebsd. Exiting.")
    );
    assert_eq!(
        said("lxc").as_deref(),
        Some("Unsupported resource/backend combination: lxc / freebsd. Exiting.")
    );
    assert_eq!(
        said("http").as_deref(),
        Some("curl is not available on the target machine")
    );
    assert_eq!(said("cran").as_deref(), Some("Rscript not found"));
    assert_eq!(said("cpan").as_deref(), Some("perl not found"));
    assert_eq!(
        said("gem").as_deref(),
        Some("Unable to retrieve gem information")
    );
    assert_eq!(said("zfs-pool").as_deref(), Some("zfs is not installed"));
    assert_eq!(
        said("runit").as_deref(),
        Some("expected that `Service x` is installed")
    );
    assert_eq!(
        said("routing-table").as_deref(),
        Some("Could not find `netstat` utility to view routing table information")
    );
}
