//! The SSH transport: argv for the system OpenSSH client (never a local shell), remote
//! quoting, and connection multiplexing in a private runtime directory.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::host::SshTarget;

/// ssh's `StrictHostKeyChecking`: `yes` (default: the host key must already be known),
/// `accept-new` (trust on first use, then pinned) or `no` (tests and labs only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyChecking {
    #[default]
    Yes,
    AcceptNew,
    No,
}

impl HostKeyChecking {
    pub fn as_str(self) -> &'static str {
        match self {
            HostKeyChecking::Yes => "yes",
            HostKeyChecking::AcceptNew => "accept-new",
            HostKeyChecking::No => "no",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "yes" => Ok(Self::Yes),
            "accept-new" => Ok(Self::AcceptNew),
            "no" => Ok(Self::No),
            _ => Err(ValidationError::new(
                "ssh_host_key_checking",
                "must be one of yes, accept-new, no",
            )),
        }
    }
}

/// Executor-wide SSH settings. Keys come from `-i` (inventory `ansible_ssh_private_key_file`
/// or `identity_file`), ssh-agent or ssh config; passwords are not supported (BatchMode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshSettings {
    /// ControlMaster/ControlPersist: one connection per host, reused by every command.
    pub multiplex: bool,
    /// Seconds an idle shared connection stays open.
    pub control_persist: u32,
    pub host_key_checking: HostKeyChecking,
    /// `UserKnownHostsFile`; None: ssh's default.
    pub known_hosts_file: Option<String>,
    /// Default `-i` for hosts without their own key.
    pub identity_file: Option<String>,
    /// The ssh program.
    pub program: String,
}

impl Default for SshSettings {
    fn default() -> Self {
        SshSettings {
            multiplex: true,
            control_persist: 60,
            host_key_checking: HostKeyChecking::Yes,
            known_hosts_file: None,
            identity_file: None,
            program: "ssh".into(),
        }
    }
}

/// One executor's private runtime directory (mode 0700) holding the control sockets
/// and generated files. Dropping it closes the shared connections and removes it.
#[derive(Debug)]
pub struct RuntimeDir {
    path: PathBuf,
    ssh_program: String,
}

impl RuntimeDir {
    pub fn create(ssh_program: &str) -> std::io::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        // Control socket paths must stay short (108 bytes): /tmp, not a deep TMPDIR.
        let base = Path::new("/tmp");
        let path = base.join(format!("airs-{}", uuid::Uuid::new_v4().simple()));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(RuntimeDir {
            path,
            ssh_program: ssh_program.to_string(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory for control sockets (`%C` is a hash of host, port, user).
    pub fn control_path(&self) -> String {
        format!("{}/%C", self.path.display())
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        // Ask each master to exit (they would otherwise linger for ControlPersist seconds):
        // ours at the top, ansible-playbook's in cp/.
        let mut dirs = vec![self.path.clone(), self.path.join("cp")];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let is_socket = e.file_type().is_ok_and(|t| {
                    use std::os::unix::fs::FileTypeExt;
                    t.is_socket()
                });
                if is_socket {
                    let _ = std::process::Command::new(&self.ssh_program)
                        .arg("-o")
                        .arg(format!("ControlPath={}", e.path().display()))
                        .args(["-O", "exit", "--", "airs-control"])
                        .stdin(std::process::Stdio::null())
                        .stdout(std::process::Stdio::null())
                        .stderr(std::process::Stdio::null())
                        .status();
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// One argument quoted for the remote POSIX shell: `'…'`, each `'` written as `'\''`.
pub fn quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// The remote command line: every argument quoted, joined by spaces (ssh would join
/// them anyway; quoting first keeps each argument one word for the remote shell).
pub fn remote_command(argv: &[String]) -> String {
    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ")
}

/// The remote side of a command run: `sh -c WATCHED airs ARGV…`. The command's stdin is
/// /dev/null; a watcher reads the session's stdin, which our side holds open (and never
/// writes) while the run lasts. Killing our ssh client (cancel, timeout) closes the channel:
/// the watcher's read ends and it kills the session's process group (sshd makes each
/// session one), so the command does not outlive its run. When the command ends by itself
/// the watcher's shell is killed first and its `cat` ends quietly with the session.
/// No `-tt`: stdout and stderr stay apart.
pub const WATCHED: &str = r#"exec 3<&0
{ cat <&3 >/dev/null 2>&1; kill -KILL 0; } >/dev/null 2>&1 &
w=$!
exec 3<&-
"$@" </dev/null
rc=$?
kill -KILL "$w" 2>/dev/null
exit "$rc""#;

/// `argv` wrapped in [`WATCHED`], for a run whose ssh client's stdin stays open.
pub fn watched(argv: &[String]) -> Vec<String> {
    let mut w = vec!["sh".to_string(), "-c".into(), WATCHED.into(), "airs".into()];
    w.extend(argv.iter().cloned());
    w
}

/// The `-o` options shared by our ssh runs and ansible's (`ANSIBLE_SSH_ARGS`).
pub fn common_options(
    settings: &SshSettings,
    runtime: &RuntimeDir,
    connect_timeout: u32,
) -> Vec<String> {
    common_options_at(settings, &runtime.control_path(), connect_timeout)
}

/// [`common_options`] with the control path given (a transport that outlives no
/// [`RuntimeDir`] borrow keeps the path, not the directory).
pub fn common_options_at(
    settings: &SshSettings,
    control_path: &str,
    connect_timeout: u32,
) -> Vec<String> {
    let mut o = vec![
        "-o".to_string(),
        "BatchMode=yes".into(),
        "-o".into(),
        format!(
            "StrictHostKeyChecking={}",
            settings.host_key_checking.as_str()
        ),
        "-o".into(),
        format!("ConnectTimeout={connect_timeout}"),
    ];
    if let Some(k) = &settings.known_hosts_file {
        o.extend(["-o".into(), format!("UserKnownHostsFile={k}")]);
    }
    if settings.multiplex {
        o.extend([
            "-o".into(),
            "ControlMaster=auto".into(),
            "-o".into(),
            format!("ControlPath={control_path}"),
            "-o".into(),
            format!("ControlPersist={}", settings.control_persist),
        ]);
    } else {
        o.extend([
            "-o".into(),
            "ControlMaster=no".into(),
            "-o".into(),
            "ControlPath=none".into(),
        ]);
    }
    o
}

/// The full local argv that runs `argv` on `target`: options, then `--`, then the host,
/// then one quoted remote command string.
pub fn ssh_argv(
    settings: &SshSettings,
    runtime: &RuntimeDir,
    connect_timeout: u32,
    target: &SshTarget,
    argv: &[String],
) -> Vec<String> {
    ssh_argv_at(
        settings,
        &runtime.control_path(),
        connect_timeout,
        target,
        argv,
    )
}

/// [`ssh_argv`] with the control path given.
pub fn ssh_argv_at(
    settings: &SshSettings,
    control_path: &str,
    connect_timeout: u32,
    target: &SshTarget,
    argv: &[String],
) -> Vec<String> {
    let mut a = vec![settings.program.clone()];
    a.extend(common_options_at(settings, control_path, connect_timeout));
    if let Some(key) = target
        .identity_file
        .as_ref()
        .or(settings.identity_file.as_ref())
    {
        a.extend(["-i".into(), key.clone()]);
        // Only the given key: an agent full of keys could hit MaxAuthTries first.
        a.extend(["-o".into(), "IdentitiesOnly=yes".into()]);
    }
    if let Some(user) = &target.user {
        a.extend(["-l".into(), user.clone()]);
    }
    if let Some(port) = target.port {
        a.extend(["-p".into(), port.to_string()]);
    }
    a.push("--".into());
    a.push(target.host.clone());
    a.push(remote_command(argv));
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_a_real_shell() {
        let nasty = [
            "plain",
            "",
            "it's",
            "a b",
            "$(touch /tmp/x)",
            "`id`",
            "'; rm -rf / #",
            "\\",
            "line\nbreak",
            "*",
        ];
        let argv: Vec<String> = nasty.iter().map(|s| s.to_string()).collect();
        // printf '%s\0' gives each argument back as the shell split it.
        let mut cmd = vec!["printf".to_string(), "%s\\0".into()];
        cmd.extend(argv.iter().cloned());
        let line = remote_command(&cmd);
        let out = std::process::Command::new("sh")
            .args(["-c", &line])
            .output()
            .unwrap();
        let got: Vec<&str> = std::str::from_utf8(&out.stdout)
            .unwrap()
            .split('\0')
            .collect();
        assert_eq!(&got[..got.len() - 1], &nasty[..]);
        assert_eq!(quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn argv_puts_host_after_double_dash() {
        let rt = RuntimeDir::create("ssh").unwrap();
        let settings = SshSettings {
            identity_file: Some("/k".into()),
            ..Default::default()
        };
        let t = SshTarget {
            host: "h1".into(),
            user: Some("u".into()),
            port: Some(2222),
            identity_file: None,
        };
        let a = ssh_argv(&settings, &rt, 7, &t, &["echo".into(), "a b".into()]);
        let dd = a.iter().position(|x| x == "--").unwrap();
        assert_eq!(&a[dd + 1..], ["h1", "'echo' 'a b'"]);
        for want in [
            "BatchMode=yes",
            "ConnectTimeout=7",
            "StrictHostKeyChecking=yes",
            "ControlMaster=auto",
        ] {
            assert!(a.iter().any(|x| x == want), "{want} in {a:?}");
        }
        let s = a.join(" ");
        assert!(s.contains("-i /k") && s.contains("-l u") && s.contains("-p 2222"));
        assert!(a.iter().any(|x| x.starts_with("ControlPath=/tmp/airs-")));
        let meta = std::fs::metadata(rt.path()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o700);
        let p = rt.path().to_path_buf();
        drop(rt);
        assert!(!p.exists());
    }
}
