//! `ssh://`: facts read over the system OpenSSH client, one multiplexed connection per host.
//! Every operation is one ssh run of a small POSIX `sh` script ([`AGENT`]) whose data (paths,
//! commands) travel as quoted positional arguments, never spliced into script text; locally
//! ssh is run from an argv list.

use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::{child, CommandOutput, Fact, FactValue, FileInfo, Transport, TransportError};
use crate::host::SshTarget;
use crate::runner::ssh::{ssh_argv_at, SshSettings};

/// The most output kept of one remote operation (a prefetch batch included).
pub const OUTPUT_CAP: usize = 16 << 20;

/// The remote side. It first prints `R`, so our side can tell "the remote command ran and
/// exited 255" from "ssh could not connect" (also 255). Commands run in their own session
/// (`setsid`, when present) beside a watcher that kills that session when stdin closes:
/// killing our ssh client closes the channel, which is how a cancel stops remote work.
pub const AGENT: &str = r#"printf R
exec 3<&0
_stat() {
  s=$(stat -c '%f %u %g %s %Y %U %G' -- "$1" 2>/dev/null) || {
    if [ -e "$1" ] || [ -L "$1" ]; then echo 'stat -c failed'; return 4; fi
    return 3
  }
  printf '%s\n' "$s"
  if [ -L "$1" ]; then
    stat -L -c '%f' -- "$1" 2>/dev/null || echo
    printf '%s' "$(readlink -- "$1")"
  fi
}
_file() {
  if [ -d "$1" ] || [ ! -r "$1" ]; then return 3; fi
  cat -- "$1" 2>/dev/null || return 3
}
_run() {
  # `kill -KILL -PGID`, without `--`: dash's kill rejects `--`.
  if command -v setsid >/dev/null 2>&1; then
    setsid sh -c "$1" </dev/null 3<&- &
    p=$!
    setsid sh -c 'cat >/dev/null; kill -KILL -"$1"' airs "$p" <&3 >/dev/null 2>&1 3<&- &
    w=$!
    wait "$p"; rc=$?
    kill -KILL -"$w" 2>/dev/null
    return $rc
  fi
  sh -c "$1" </dev/null 3<&-
}
op=$1; shift
case $op in
  run) _run "$1" ;;
  stat) _stat "$1" ;;
  file) _file "$1" ;;
  batch)
    n=$1; shift
    e=$(mktemp) || exit 97
    while [ $# -ge 2 ]; do
      printf '%s\n' "$n"
      case $1 in
        s) _stat "$2" ;;
        f) _file "$2" ;;
        c) _run "$2" 2>"$e" ;;
      esac
      printf '\n%s %s\n' "$n" "$?"
      if [ "$1" = c ]; then
        printf '%s\n' "$n"; cat "$e"; printf '\n%s 0\n' "$n"
      fi
      shift 2
    done
    rm -f "$e"
    ;;
esac"#;

/// One SSH target. Cheap to create: the connection is opened by the first operation and
/// shared through `control_path` (see [`crate::runner::RuntimeDir::control_path`]).
#[derive(Debug)]
pub struct SshTransport {
    settings: SshSettings,
    control_path: String,
    target: SshTarget,
    connect_timeout: u32,
}

impl SshTransport {
    pub fn new(
        settings: &SshSettings,
        control_path: String,
        target: &SshTarget,
        connect_timeout: u32,
    ) -> Self {
        SshTransport {
            settings: settings.clone(),
            control_path,
            target: target.clone(),
            connect_timeout,
        }
    }

    /// Runs the agent with `args`; Ok((stdout without the `R`, stderr, exit code)).
    fn agent(
        &self,
        args: &[&str],
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<child::Finished, TransportError> {
        let mut remote = vec!["sh".to_string(), "-c".into(), AGENT.into(), "airs".into()];
        remote.extend(args.iter().map(|a| a.to_string()));
        let mut argv = ssh_argv_at(
            &self.settings,
            &self.control_path,
            self.connect_timeout,
            &self.target,
            &remote,
        );
        // ssh's own notices ("Permanently added ... to known hosts") would otherwise be
        // mixed into the command's stderr; errors still print.
        argv.splice(1..1, ["-o".to_string(), "LogLevel=ERROR".into()]);
        let mut out = child::run(&argv, true, OUTPUT_CAP, deadline, cancel)?;
        if out.stdout.first() != Some(&b'R') {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(TransportError::Unreachable(if why.is_empty() {
                format!("ssh exited with {:?}", out.code)
            } else {
                why
            }));
        }
        out.stdout.remove(0);
        if out.truncated {
            return Err(TransportError::Failed(format!(
                "the output passed {} MiB",
                OUTPUT_CAP >> 20
            )));
        }
        Ok(out)
    }
}

impl Transport for SshTransport {
    fn run(
        &self,
        command: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<CommandOutput, TransportError> {
        let out = self.agent(&["run", command], deadline, cancel)?;
        Ok(CommandOutput {
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            exit_status: out.code,
        })
    }

    fn read_file(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        let out = self.agent(&["file", path], deadline, cancel)?;
        Ok((out.code == Some(0)).then_some(out.stdout))
    }

    fn stat(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<FileInfo>, TransportError> {
        let out = self.agent(&["stat", path], deadline, cancel)?;
        stat_answer(path, &out.stdout, out.code.unwrap_or(-1))
    }

    fn kind(&self) -> &'static str {
        "ssh"
    }

    fn fetch_many(
        &self,
        facts: &[Fact],
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<FactValue>>, TransportError> {
        let nonce = format!("@airs{}", uuid::Uuid::new_v4().simple());
        let mut args = vec!["batch", nonce.as_str()];
        for f in facts {
            args.extend(match f {
                Fact::Stat(p) => ["s", p.as_str()],
                Fact::File(p) => ["f", p.as_str()],
                Fact::Command(c) => ["c", c.as_str()],
            });
        }
        let out = self.agent(&args, deadline, cancel)?;
        let mut sections = Sections::new(&out.stdout, nonce.as_bytes());
        let mut values = Vec::with_capacity(facts.len());
        for f in facts {
            let (data, rc) = sections
                .next()
                .ok_or_else(|| TransportError::Failed("the prefetch answer ended early".into()))?;
            values.push(match f {
                Fact::Stat(p) => FactValue::Stat(stat_answer(p, data, rc)?),
                Fact::File(_) => FactValue::File((rc == 0).then(|| data.to_vec())),
                Fact::Command(_) => {
                    let (stderr, _) = sections.next().ok_or_else(|| {
                        TransportError::Failed("the prefetch answer ended early".into())
                    })?;
                    FactValue::Command(CommandOutput {
                        stdout: String::from_utf8_lossy(data).into_owned(),
                        stderr: String::from_utf8_lossy(stderr).into_owned(),
                        // The agent's shell reports a signal as 128+n, as sh does.
                        exit_status: Some(rc),
                    })
                }
            });
        }
        Ok(Some(values))
    }
}

/// The records of a batch answer: `NONCE\n` payload `\nNONCE rc\n`, one after another.
struct Sections<'a> {
    data: &'a [u8],
    nonce: &'a [u8],
}

impl<'a> Sections<'a> {
    fn new(data: &'a [u8], nonce: &'a [u8]) -> Self {
        Sections { data, nonce }
    }
}

impl<'a> Iterator for Sections<'a> {
    type Item = (&'a [u8], i32);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.strip_prefix(self.nonce)?.strip_prefix(b"\n")?;
        let mut end_marker = b"\n".to_vec();
        end_marker.extend_from_slice(self.nonce);
        end_marker.push(b' ');
        let end = memchr::memmem::find(rest, &end_marker)?;
        let payload = &rest[..end];
        let after = &rest[end + end_marker.len()..];
        let nl = after.iter().position(|b| *b == b'\n')?;
        let rc = std::str::from_utf8(&after[..nl]).ok()?.parse().ok()?;
        self.data = &after[nl + 1..];
        Some((payload, rc))
    }
}

/// The agent's `_stat` answer: `%f %u %g %s %Y %U %G`, then for symlinks the target's `%f`
/// and the link text.
fn stat_answer(path: &str, data: &[u8], rc: i32) -> Result<Option<FileInfo>, TransportError> {
    match rc {
        0 => {}
        3 => return Ok(None),
        _ => {
            return Err(TransportError::Failed(format!(
                "stat {path} on the target: {}",
                String::from_utf8_lossy(data).trim()
            )))
        }
    }
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let bad = || TransportError::Failed(format!("stat {path}: unexpected answer {text:?}"));
    let fields: Vec<&str> = lines.next().unwrap_or("").split(' ').collect();
    let [raw, uid, gid, size, mtime, owner, group] = fields[..] else {
        return Err(bad());
    };
    let raw = u32::from_str_radix(raw, 16).map_err(|_| bad())?;
    let name = |n: &str| (n != "UNKNOWN").then(|| n.to_string());
    let kind = kind_of(raw);
    let (target_kind, link_path) = if kind == "symlink" {
        let target = lines
            .next()
            .and_then(|t| u32::from_str_radix(t.trim(), 16).ok())
            .map(|t| kind_of(t).to_string());
        (target, Some(lines.next().unwrap_or("").to_string()))
    } else {
        (None, None)
    };
    Ok(Some(FileInfo {
        kind: kind.to_string(),
        mode: raw & 0o7777,
        uid: uid.parse().map_err(|_| bad())?,
        gid: gid.parse().map_err(|_| bad())?,
        owner: name(owner),
        group: name(group),
        size: size.parse().map_err(|_| bad())?,
        mtime: mtime.parse().map_err(|_| bad())?,
        link_path,
        target_kind,
    }))
}

/// The kind named by the file-type bits of a raw `st_mode`.
fn kind_of(raw: u32) -> &'static str {
    match raw & 0o170000 {
        0o100000 => "file",
        0o040000 => "directory",
        0o120000 => "symlink",
        0o010000 => "pipe",
        0o140000 => "socket",
        0o020000 => "character_device",
        0o060000 => "block_device",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The agent itself, run by a local `sh` as the remote one would (no ssh involved).
    fn agent(args: &[&str]) -> child::Finished {
        let mut argv = vec!["sh".to_string(), "-c".into(), AGENT.into(), "airs".into()];
        argv.extend(args.iter().map(|a| a.to_string()));
        child::run(&argv, true, OUTPUT_CAP, None, &CancellationToken::new()).unwrap()
    }

    #[test]
    fn the_agent_stats_like_lstat() {
        let local = super::super::LocalTransport;
        let t = CancellationToken::new();
        for path in [
            "/etc/passwd",
            "/tmp",
            "/dev/null",
            "/proc/self",
            "/nonexistent",
        ] {
            let out = agent(&["stat", path]);
            assert_eq!(out.stdout[0], b'R');
            let mut got = stat_answer(path, &out.stdout[1..], out.code.unwrap()).unwrap();
            let mut want = local.stat(path, None, &t).unwrap();
            // /proc/self is the process reading it: its target differs between the two.
            if path == "/proc/self" {
                assert_eq!(got.as_ref().unwrap().kind, "symlink");
                for i in [&mut got, &mut want].into_iter().flatten() {
                    i.link_path = None;
                    i.mtime = 0;
                }
            }
            assert_eq!(got, want, "{path}");
        }
    }

    #[test]
    fn odd_names_reach_the_agent_intact() {
        let dir = std::env::temp_dir().join(format!("airs-odd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let name = dir.join("it's $(touch x) `id` \n -- *");
        std::fs::write(&name, b"odd\0bytes").unwrap();
        let path = name.to_str().unwrap();
        let out = agent(&["file", path]);
        assert_eq!((&out.stdout[1..], out.code), (&b"odd\0bytes"[..], Some(0)));
        let link = dir.join("-link\nx");
        std::os::unix::fs::symlink(&name, &link).unwrap();
        let out = agent(&["stat", link.to_str().unwrap()]);
        let info = stat_answer("l", &out.stdout[1..], 0).unwrap().unwrap();
        assert_eq!(info.link_path.as_deref(), Some(path));
        assert_eq!(info.target_kind.as_deref(), Some("file"));
        assert!(!dir.join("x").exists(), "nothing was evaluated");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn targets_get_their_transport() {
        use crate::host::Target;
        let s = SshSettings::default();
        let local = super::super::transport_for(&Target::Local, &s, String::new(), 5);
        assert_eq!(local.kind(), "local");
        let ssh = super::super::transport_for(
            &Target::Ssh(SshTarget {
                host: "h".into(),
                ..Default::default()
            }),
            &s,
            "/tmp/x/%C".into(),
            5,
        );
        assert_eq!(ssh.kind(), "ssh");
    }

    #[test]
    fn a_batch_answers_every_fact_in_order() {
        let nonce = "@airsTEST";
        let out = agent(&[
            "batch",
            nonce,
            "f",
            "/etc/hostname",
            "s",
            "/nonexistent",
            "c",
            "echo out; echo err >&2; exit 5",
            "f",
            "/nonexistent",
            "s",
            "/etc",
        ]);
        let got: Vec<(Vec<u8>, i32)> = Sections::new(&out.stdout[1..], nonce.as_bytes())
            .map(|(d, rc)| (d.to_vec(), rc))
            .collect();
        let hostname = std::fs::read("/etc/hostname").unwrap();
        assert_eq!(got.len(), 6);
        assert_eq!(got[0], (hostname, 0));
        assert_eq!(got[1].1, 3);
        assert_eq!(got[2], (b"out\n".to_vec(), 5));
        assert_eq!(got[3], (b"err\n".to_vec(), 0));
        assert_eq!(got[4].1, 3);
        assert_eq!(got[5].1, 0);
    }
}
