//! The native SSH transport against real sshd test hosts (tests/hosts/setup.sh): commands,
//! stat, file reads, prefetch batching in one ssh run, an unreachable host, cancel and
//! deadline stopping remote work. Needs root (network namespaces or loopback sshd).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ansible_inspec_rs::host::SshTarget;
use ansible_inspec_rs::native::resources;
use ansible_inspec_rs::native::ruby::value::Value;
use ansible_inspec_rs::transport::openssh::{HostKeyChecking, RuntimeDir, SshSettings};
use ansible_inspec_rs::transport::{
    prefetch, Fact, Host, LocalTransport, SshTransport, Transport, TransportError,
};
use tokio_util::sync::CancellationToken;

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The test hosts for this test's life; teardown.sh runs on drop, even after a failure.
struct TestHosts {
    state: PathBuf,
    info: serde_json::Value,
}

impl TestHosts {
    fn start() -> Option<TestHosts> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIPPED: the SSH test hosts need root");
            return None;
        }
        let state = std::env::temp_dir().join(format!("airs-native-{}", std::process::id()));
        let mut hosts = TestHosts {
            state,
            info: serde_json::Value::Null,
        };
        // Other sessions may set up test hosts at the same moment and race for the same
        // address block: a second attempt after a clean teardown picks another.
        let mut out = hosts.setup();
        if !out.status.success() {
            hosts.teardown();
            out = hosts.setup();
        }
        assert!(
            out.status.success(),
            "setup.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let last = text.lines().last().unwrap_or("");
        hosts.info = serde_json::from_str(last).expect("hosts.json");
        Some(hosts)
    }

    fn setup(&self) -> std::process::Output {
        Command::new(format!("{REPO}/tests/hosts/setup.sh"))
            .arg(&self.state)
            .arg("1")
            .output()
            .expect("setup.sh runs")
    }

    fn teardown(&self) {
        let _ = Command::new(format!("{REPO}/tests/hosts/teardown.sh"))
            .arg(&self.state)
            .status();
    }

    fn host(&self, reachable: bool) -> SshTarget {
        let h = self.info["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["reachable"] == reachable)
            .unwrap();
        SshTarget {
            host: h["address"].as_str().unwrap().into(),
            user: Some("root".into()),
            port: Some(h["port"].as_u64().unwrap() as u16),
            identity_file: Some(self.info["key"].as_str().unwrap().into()),
        }
    }

    /// The network namespace of the reachable host (None in loopback mode).
    fn netns(&self) -> Option<String> {
        let list = std::fs::read_to_string(self.state.join("netns")).ok()?;
        list.lines().next().map(str::to_string)
    }
}

impl Drop for TestHosts {
    fn drop(&mut self) {
        self.teardown();
    }
}

/// An ssh program that logs each invocation, then runs the real ssh.
fn counting_ssh(dir: &Path) -> (String, PathBuf) {
    let log = dir.join("ssh-calls");
    let program = dir.join("counting-ssh");
    std::fs::write(
        &program,
        format!(
            "#!/bin/sh\necho call >> '{}'\nexec ssh \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    (program.to_str().unwrap().into(), log)
}

fn calls(log: &Path) -> usize {
    std::fs::read_to_string(log).map_or(0, |s| s.lines().count())
}

fn alive(marker: &str) -> bool {
    let out = Command::new("pgrep").args(["-f", marker]).output().unwrap();
    !out.stdout.is_empty()
}

fn wait_gone(marker: &str) -> bool {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if !alive(marker) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn ssh_transport_against_real_sshd() {
    let Some(hosts) = TestHosts::start() else {
        return;
    };
    let runtime = RuntimeDir::create("ssh").unwrap();
    let (program, log) = counting_ssh(runtime.path());
    let settings = SshSettings {
        host_key_checking: HostKeyChecking::AcceptNew,
        known_hosts_file: hosts.info["known_hosts"].as_str().map(str::to_string),
        program,
        ..Default::default()
    };
    let target = hosts.host(true);
    let ssh = SshTransport::new(&settings, runtime.control_path(), &target, 10);
    let none = CancellationToken::new();

    // Commands: streams and exit codes, including 255 (not mistaken for "unreachable").
    let out = ssh
        .run("echo out; echo err >&2; exit 7", None, &none)
        .unwrap();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("out\n", "err\n")
    );
    assert_eq!(out.exit_status, Some(7));
    assert_eq!(
        ssh.run("exit 255", None, &none).unwrap().exit_status,
        Some(255)
    );
    assert_eq!(ssh.kind(), "ssh");

    // Files and stat (the namespaces share this filesystem), odd names included.
    let dir = runtime.path().join("files");
    std::fs::create_dir(&dir).unwrap();
    let odd = dir.join("it's a $(name) `x`\nline");
    std::fs::write(&odd, b"data\0\xff\n").unwrap();
    std::os::unix::fs::chown(&odd, Some(1), Some(1)).unwrap();
    let odd = odd.to_str().unwrap();
    let sshd_conf = dir.join("sshd_config");
    std::fs::write(&sshd_conf, "Port 2222\nPermitRootLogin no\n").unwrap();
    let sshd_conf = sshd_conf.to_str().unwrap().to_string();
    let login_defs = dir.join("login.defs");
    std::fs::write(&login_defs, "PASS_MAX_DAYS 60\n").unwrap();
    let login_defs = login_defs.to_str().unwrap().to_string();
    assert_eq!(
        ssh.read_file(odd, None, &none).unwrap().as_deref(),
        Some(&b"data\0\xff\n"[..])
    );
    let info = ssh.stat(odd, None, &none).unwrap().unwrap();
    assert_eq!((info.kind.as_str(), info.size, info.uid), ("file", 7, 1));
    assert_eq!(info.owner.as_deref(), Some("daemon"));
    assert_eq!(ssh.stat("/nonexistent/x", None, &none).unwrap(), None);
    assert_eq!(ssh.read_file("/nonexistent/x", None, &none).unwrap(), None);
    assert_eq!(ssh.read_file("/etc", None, &none).unwrap(), None);

    // The remote side really is the remote side: its network sysctls are its own.
    if let Some(ns) = hosts.netns() {
        let set = Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns,
                "sysctl",
                "-qw",
                "net.ipv4.tcp_fin_timeout=37",
            ])
            .status()
            .unwrap();
        assert!(set.success());
        let remote = ssh
            .read_file("/proc/sys/net/ipv4/tcp_fin_timeout", None, &none)
            .unwrap()
            .unwrap();
        assert_eq!(remote, b"37\n");
        let here = std::fs::read("/proc/sys/net/ipv4/tcp_fin_timeout").unwrap();
        assert_ne!(here, b"37\n");
    }

    // One ssh client, the agent's session, served every operation so far.
    assert_eq!(calls(&log), 1, "one agent session per transport");

    // Prefetch: many facts in one request; afterwards the Host answers them from its cache.
    let host = Host::new(Box::new(ssh), None, CancellationToken::new());
    let before = calls(&log);
    let facts = [
        Fact::Stat("/etc/passwd".into()),
        Fact::Stat(odd.into()),
        Fact::Stat("/nonexistent/y".into()),
        Fact::File("/etc/hostname".into()),
        Fact::File(odd.into()),
        Fact::File("/nonexistent/y".into()),
        Fact::Command("echo batched; echo e2 >&2; exit 3".into()),
        Fact::Command("uname -s".into()),
    ];
    prefetch(&host, &facts).unwrap();
    assert_eq!(calls(&log), before, "the same session answered");
    assert_eq!(host.stat(odd).unwrap(), Some(info));
    assert_eq!(host.stat("/nonexistent/y").unwrap(), None);
    assert_eq!(
        host.stat("/etc/passwd").unwrap().map(|i| i.mode),
        Some(0o644)
    );
    assert_eq!(
        host.read_file("/etc/hostname").unwrap().as_deref(),
        Some(&std::fs::read("/etc/hostname").unwrap())
    );
    assert_eq!(host.read_file("/nonexistent/y").unwrap(), None);
    let out = host.run("echo batched; echo e2 >&2; exit 3").unwrap();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str(), out.exit_status),
        ("batched\n", "e2\n", Some(3))
    );
    assert_eq!(host.run("uname -s").unwrap().stdout, "Linux\n");
    assert_eq!(calls(&log), before, "every answer came from the cache");

    // Resources over SSH: after one prefetch of what a profile's resources read, they all
    // answer from the cache, and answer as they do locally (the filesystem is shared).
    let host = Arc::new(Host::new(
        Box::new(SshTransport::new(
            &settings,
            runtime.control_path(),
            &target,
            10,
        )),
        None,
        CancellationToken::new(),
    ));
    let local = Arc::new(Host::new(
        Box::new(LocalTransport::new()),
        None,
        CancellationToken::new(),
    ));
    let s = |v: &str| Value::str(v);
    let checks: Vec<(&str, Vec<Value>, &str, Vec<Value>)> = vec![
        ("file", vec![s("/etc/passwd")], "mode", vec![]),
        ("file", vec![s("/etc/passwd")], "owner", vec![]),
        ("file", vec![s(odd)], "owned_by?", vec![s("daemon")]),
        ("file", vec![s("/nonexistent/z")], "exist?", vec![]),
        (
            "kernel_parameter",
            vec![s("kernel.ostype")],
            "value",
            vec![],
        ),
        ("passwd", vec![], "uids", vec![]),
        ("etc_group", vec![], "gids", vec![]),
        ("user", vec![s("root")], "home", vec![]),
        ("os", vec![], "name", vec![]),
        ("os", vec![], "family", vec![]),
        ("package", vec![s("bash")], "installed?", vec![]),
        ("package", vec![s("bash")], "version", vec![]),
        (
            "package",
            vec![s("airs-no-such-package")],
            "installed?",
            vec![],
        ),
        ("mount", vec![s("/")], "options", vec![]),
        ("etc_fstab", vec![], "mount_point", vec![]),
        ("kernel_module", vec![s("cramfs")], "disabled?", vec![]),
        ("shadow", vec![], "users", vec![]),
        (
            "command",
            vec![s("echo hello; exit 2")],
            "exit_status",
            vec![],
        ),
        ("sshd_config", vec![s(&sshd_conf)], "Port", vec![]),
        ("login_defs", vec![s(&login_defs)], "PASS_MAX_DAYS", vec![]),
    ];
    let mut facts = Vec::new();
    for (name, args, _, _) in &checks {
        facts.extend(resources::facts(name, args));
    }
    facts.push(Fact::File("/etc/passwd".into()));
    let before = calls(&log);
    prefetch(&host, &facts).unwrap();
    assert_eq!(calls(&log), before + 1);
    for (name, args, method, margs) in &checks {
        let remote = resources::create(name, args, &host).unwrap().unwrap();
        let here = resources::create(name, args, &local).unwrap().unwrap();
        let got = remote.call(method, margs);
        assert!(got.is_ok(), "{name}.{method}: {got:?}");
        assert_eq!(got, here.call(method, margs), "{name}({args:?}).{method}");
    }
    let content = resources::create("file", &[s("/etc/passwd")], &host)
        .unwrap()
        .unwrap();
    assert_eq!(
        content.call("content", &[]).unwrap(),
        s(&std::fs::read_to_string("/etc/passwd").unwrap())
    );
    assert_eq!(
        calls(&log),
        before + 1,
        "every resource answered from the prefetch"
    );
    if let Some(ns) = hosts.netns() {
        // The remote kernel_parameter is the namespace's own value, set above.
        let p = resources::create("kernel_parameter", &[s("net.ipv4.tcp_fin_timeout")], &host)
            .unwrap()
            .unwrap();
        assert_eq!(p.call("value", &[]).unwrap(), Value::Int(37), "{ns}");
    }

    // All of the above went over one shared connection: sshd accepted one login.
    let sshd_log = hosts.info["hosts"][0]["log"].as_str().unwrap().to_string();
    let logins = || {
        std::fs::read_to_string(&sshd_log)
            .unwrap_or_default()
            .matches("Accepted publickey")
            .count()
    };
    assert_eq!(logins(), 1, "one multiplexed connection");

    // Cancel and deadline stop the remote command too, not only our ssh client.
    let ssh = SshTransport::new(&settings, runtime.control_path(), &target, 10);
    let token = CancellationToken::new();
    let t2 = token.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        t2.cancel();
    });
    let started = Instant::now();
    let err = ssh
        .run("sleep 31.2718; echo never", None, &token)
        .unwrap_err();
    assert_eq!(err, TransportError::Canceled);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(wait_gone("sleep 31.2718"), "the remote sleep was killed");
    let err = ssh
        .run(
            "sleep 32.718",
            Some(Instant::now() + Duration::from_millis(500)),
            &none,
        )
        .unwrap_err();
    assert_eq!(err, TransportError::TimedOut);
    assert!(wait_gone("sleep 32.718"));
    // The shared connection survives a canceled session.
    assert_eq!(
        ssh.run("echo still", None, &none).unwrap().stdout,
        "still\n"
    );

    // An unreachable host is Unreachable, quickly, for every operation.
    let down = SshTransport::new(&settings, runtime.control_path(), &hosts.host(false), 5);
    let started = Instant::now();
    for r in [
        down.run("true", None, &none).map(|_| ()),
        down.stat("/etc", None, &none).map(|_| ()),
        down.read_file("/etc/hostname", None, &none).map(|_| ()),
    ] {
        assert!(matches!(r, Err(TransportError::Unreachable(_))), "{r:?}");
    }
    let host = Arc::new(Host::new(Box::new(down), None, CancellationToken::new()));
    assert!(matches!(
        prefetch(&host, &facts),
        Err(TransportError::Unreachable(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(20));
}
