//! A throwaway PostgreSQL server for the Rust tests, as tests/pgserver.py starts one for
//! the Python tests: Debian's postgresql package (installed with apt-get when missing and
//! we are root), `initdb` with password authentication (scram-sha-256) in a temporary
//! directory, started on a free loopback port and stopped and removed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgServer {
    pub port: u16,
    pub user: &'static str,
    pub password: &'static str,
    /// The directory of its Unix socket.
    pub socket_dir: String,
    root: PathBuf,
    bin: PathBuf,
    as_user: Vec<String>,
}

fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn ensure_installed() -> PathBuf {
    if let Some(b) = bin_dir() {
        return b;
    }
    let root = euid() == 0;
    assert!(
        root,
        "PostgreSQL is not installed and installing it needs root (apt-get)"
    );
    for args in [
        vec!["update", "-qq"],
        vec!["install", "-y", "-qq", "postgresql"],
    ] {
        let ok = Command::new("apt-get")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "apt-get {args:?} failed");
    }
    bin_dir().expect("initdb after installing postgresql")
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn run(argv: &[String]) {
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .output()
        .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
    assert!(
        out.status.success(),
        "{argv:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl PgServer {
    pub fn start() -> PgServer {
        let bin = ensure_installed();
        let root =
            std::env::temp_dir().join(format!("airs-pg-rs-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&root).expect("a temporary directory");
        // PostgreSQL refuses to run as root: run it as the package's `postgres` user.
        let mut as_user = Vec::new();
        if euid() == 0 {
            run(&[
                "chown".into(),
                "postgres:postgres".into(),
                root.display().to_string(),
            ]);
            as_user = ["runuser", "-u", "postgres", "--"]
                .map(String::from)
                .to_vec();
        }
        let password = "s3cret pass'word$(x)";
        let pwfile = root.join("pw");
        std::fs::write(&pwfile, format!("{password}\n")).expect("the password file");
        if euid() == 0 {
            run(&[
                "chown".into(),
                "postgres:postgres".into(),
                pwfile.display().to_string(),
            ]);
        }
        let data = root.join("data");
        let mut initdb = as_user.clone();
        initdb.extend([
            bin.join("initdb").display().to_string(),
            "-D".into(),
            data.display().to_string(),
            "-A".into(),
            "scram-sha-256".into(),
            "-U".into(),
            "airs".into(),
            format!("--pwfile={}", pwfile.display()),
            "--no-sync".into(),
        ]);
        run(&initdb);
        let port = free_port();
        let mut start = as_user.clone();
        start.extend([
            bin.join("pg_ctl").display().to_string(),
            "-D".into(),
            data.display().to_string(),
            "-o".into(),
            format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                root.display()
            ),
            "-l".into(),
            root.join("log").display().to_string(),
            "-w".into(),
            "start".into(),
        ]);
        run(&start);
        PgServer {
            port,
            user: "airs",
            password,
            socket_dir: root.display().to_string(),
            root,
            bin,
            as_user,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut stop = self.as_user.clone();
        stop.extend([
            self.bin.join("pg_ctl").display().to_string(),
            "-D".into(),
            self.root.join("data").display().to_string(),
            "-m".into(),
            "immediate".into(),
            "stop".into(),
        ]);
        let _ = Command::new(&stop[0]).args(&stop[1..]).output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
