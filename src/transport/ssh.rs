//! `ssh://`: facts read over the system OpenSSH client. One multiplexed connection per
//! host, and over it one long-lived session running a small POSIX `sh` agent ([`AGENT`]):
//! each operation is a request line on its stdin, so it costs a pipe round trip, not a new
//! ssh client and remote session. Requests carry data (paths, commands) as escaped lines
//! the agent reads with `read -r`, never spliced into script text; locally ssh is run from
//! an argv list.

use std::sync::Mutex;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::openssh::{ssh_argv_at, SshSettings};
use super::session::Session;
use super::{CommandOutput, Fact, FactValue, FileInfo, Transport, TransportError};
use crate::host::SshTarget;

/// The most output kept of one request (a prefetch batch included).
pub const OUTPUT_CAP: usize = 16 << 20;

/// The remote side: `sh -c AGENT airs NONCE`. It first prints `R`, so our side can tell "the
/// agent runs" from "ssh could not connect". Then, per request (a line with the count of
/// facts, then a kind line and an argument line per fact, `\\` and `\n` escaped as `printf
/// %b` reads them) it prints one section per fact, `NONCE\n` payload `\nNONCE rc\n` (a
/// command's stderr is a second section), and `NONCE .\n`.
///
/// The session ends when its stdin closes: our side closing it, or our ssh client being
/// killed on a cancel or the deadline. `cat` then ends and kills the whole session: sshd
/// makes each session its own process group, so a command still running dies with it.
pub const AGENT: &str = r#"printf R
n=$1
e=$(mktemp) || exit 97
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
_facts() {
  while [ $# -ge 2 ]; do
    printf '%s\n' "$n"
    case $1 in
      s) _stat "$2" ;;
      f) _file "$2" ;;
      c) sh -c "$2" </dev/null 2>"$e" ;;
    esac
    printf '\n%s %s\n' "$n" "$?"
    if [ "$1" = c ]; then
      printf '%s\n' "$n"
      if [ -s "$e" ]; then cat "$e"; fi
      printf '\n%s 0\n' "$n"
    fi
    shift 2
  done
}
{ cat; rm -f "$e"; kill -KILL 0; } | while IFS= read -r k; do
  set --
  while [ "$k" -gt 0 ]; do
    IFS= read -r t && IFS= read -r a || exit 0
    case $a in *\\*) a=$(printf '%bx' "$a"); a=${a%x} ;; esac
    set -- "$@" "$t" "$a"
    k=$((k - 1))
  done
  _facts "$@"
  printf '%s .\n' "$n"
done"#;

/// One SSH target. Cheap to create: the connection and the agent session are opened by the
/// first operation; the connection is shared through `control_path` (see
/// [`super::openssh::RuntimeDir::control_path`]).
#[derive(Debug)]
pub struct SshTransport {
    settings: SshSettings,
    control_path: String,
    target: SshTarget,
    connect_timeout: u32,
    /// Marks the agent's sections; random, so no file or command output forges one.
    nonce: String,
    session: Mutex<Option<Session>>,
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
            nonce: format!("@airs{}", uuid::Uuid::new_v4().simple()),
            session: Mutex::new(None),
        }
    }

    fn argv(&self) -> Vec<String> {
        let remote = [
            "sh".to_string(),
            "-c".into(),
            AGENT.into(),
            "airs".into(),
            self.nonce.clone(),
        ];
        let mut argv = ssh_argv_at(
            &self.settings,
            &self.control_path,
            self.connect_timeout,
            &self.target,
            &remote,
        );
        // ssh's own notices ("Permanently added ... to known hosts") would otherwise be
        // mixed into the error output; errors still print.
        argv.splice(1..1, ["-o".to_string(), "LogLevel=ERROR".into()]);
        argv
    }

    /// Asks the agent for `facts`; one answer per fact, in order. A failed session is
    /// dropped, so the next operation starts a new one.
    fn ask(
        &self,
        facts: &[Fact],
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Vec<FactValue>, TransportError> {
        let request = request(facts)?;
        let mut end = self.nonce.clone().into_bytes();
        end.extend_from_slice(b" .\n");
        let answer = {
            let mut session = self.session.lock().unwrap_or_else(|p| p.into_inner());
            let live = match session.take() {
                Some(s) => s,
                None => Session::spawn(&self.argv(), b'R')?,
            };
            let live = session.insert(live);
            let answer = live.ask(&request, &end, OUTPUT_CAP, deadline, cancel);
            if answer.is_err() {
                *session = None;
            }
            answer?
        };
        answers(facts, &answer, self.nonce.as_bytes())
    }

    fn one(
        &self,
        fact: Fact,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<FactValue, TransportError> {
        self.ask(std::slice::from_ref(&fact), deadline, cancel)?
            .pop()
            .ok_or_else(|| TransportError::Failed("the agent's answer was empty".into()))
    }
}

/// The request for `facts`: their count, then a kind line and an argument line per fact.
fn request(facts: &[Fact]) -> Result<Vec<u8>, TransportError> {
    let mut out = format!("{}\n", facts.len()).into_bytes();
    for f in facts {
        let (kind, arg) = match f {
            Fact::Stat(p) => ("s", p),
            Fact::File(p) => ("f", p),
            Fact::Command(c) => ("c", c),
        };
        if arg.contains('\0') {
            return Err(TransportError::Failed(format!(
                "a NUL byte cannot be sent to the target: {arg:?}"
            )));
        }
        out.extend_from_slice(kind.as_bytes());
        out.push(b'\n');
        // `printf %b` on the other side turns these back.
        for b in arg.bytes() {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                _ => out.push(b),
            }
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// The agent's answer to `facts`, read section by section.
fn answers(facts: &[Fact], answer: &[u8], nonce: &[u8]) -> Result<Vec<FactValue>, TransportError> {
    let mut sections = Sections::new(answer, nonce);
    let mut next = || {
        sections
            .next()
            .ok_or_else(|| TransportError::Failed("the agent's answer ended early".into()))
    };
    let mut values = Vec::with_capacity(facts.len());
    for f in facts {
        let (data, rc) = next()?;
        values.push(match f {
            Fact::Stat(p) => FactValue::Stat(stat_answer(p, data, rc)?),
            Fact::File(_) => FactValue::File((rc == 0).then(|| data.to_vec())),
            Fact::Command(_) => {
                let (stderr, _) = next()?;
                FactValue::Command(CommandOutput {
                    stdout: String::from_utf8_lossy(data).into_owned(),
                    stderr: String::from_utf8_lossy(stderr).into_owned(),
                    // The agent's shell reports a signal as 128+n, as sh does.
                    exit_status: Some(rc),
                })
            }
        });
    }
    Ok(values)
}

impl Transport for SshTransport {
    fn run(
        &self,
        command: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<CommandOutput, TransportError> {
        match self.one(Fact::Command(command.into()), deadline, cancel)? {
            FactValue::Command(out) => Ok(out),
            _ => Err(TransportError::Failed(
                "the agent answered another kind".into(),
            )),
        }
    }

    fn read_file(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        match self.one(Fact::File(path.into()), deadline, cancel)? {
            FactValue::File(data) => Ok(data),
            _ => Err(TransportError::Failed(
                "the agent answered another kind".into(),
            )),
        }
    }

    fn stat(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<FileInfo>, TransportError> {
        match self.one(Fact::Stat(path.into()), deadline, cancel)? {
            FactValue::Stat(info) => Ok(info),
            _ => Err(TransportError::Failed(
                "the agent answered another kind".into(),
            )),
        }
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
        self.ask(facts, deadline, cancel).map(Some)
    }
}

/// The sections of an answer: `NONCE\n` payload `\nNONCE rc\n`, one after another.
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

    const NONCE: &str = "@airsTEST";

    /// The agent itself, run by a local `sh` as the remote one would (no ssh involved).
    fn agent() -> Session {
        let argv = ["sh", "-c", AGENT, "airs", NONCE].map(String::from);
        Session::spawn(&argv, b'R').unwrap()
    }

    fn ask(s: &mut Session, facts: &[Fact]) -> Vec<FactValue> {
        let end = format!("{NONCE} .\n");
        let t = CancellationToken::new();
        let answer = s
            .ask(
                &request(facts).unwrap(),
                end.as_bytes(),
                OUTPUT_CAP,
                None,
                &t,
            )
            .unwrap();
        answers(facts, &answer, NONCE.as_bytes()).unwrap()
    }

    #[test]
    fn the_agent_stats_like_lstat() {
        let local = super::super::LocalTransport;
        let t = CancellationToken::new();
        let mut s = agent();
        for path in [
            "/etc/passwd",
            "/tmp",
            "/dev/null",
            "/proc/self",
            "/nonexistent",
        ] {
            let Some(FactValue::Stat(mut got)) = ask(&mut s, &[Fact::Stat(path.into())]).pop()
            else {
                panic!("not a stat answer");
            };
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
    fn odd_names_and_commands_reach_the_agent_intact() {
        let dir = std::env::temp_dir().join(format!("airs-odd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let name = dir.join("it's $(touch x) `id` \\n\\\\ \n -- *");
        std::fs::write(&name, b"odd\0bytes").unwrap();
        let path = name.to_str().unwrap();
        let link = dir.join("-link\nx");
        std::os::unix::fs::symlink(&name, &link).unwrap();
        let mut s = agent();
        let got = ask(
            &mut s,
            &[
                Fact::File(path.into()),
                Fact::Stat(link.to_str().unwrap().into()),
                Fact::Command("printf '%s|' 'a\\nb' \"$(printf 'c\\\\d')\"\necho\n".into()),
            ],
        );
        assert_eq!(got[0], FactValue::File(Some(b"odd\0bytes".to_vec())));
        let FactValue::Stat(Some(info)) = &got[1] else {
            panic!("{:?}", got[1]);
        };
        assert_eq!(info.link_path.as_deref(), Some(path));
        assert_eq!(info.target_kind.as_deref(), Some("file"));
        let FactValue::Command(out) = &got[2] else {
            panic!("{:?}", got[2]);
        };
        assert_eq!(out.stdout, "a\\nb|c\\d|\n");
        assert!(!dir.join("x").exists(), "nothing was evaluated");
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(request(&[Fact::File("a\0b".into())]).is_err());
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
    fn requests_answer_every_fact_in_order() {
        let mut s = agent();
        let got = ask(
            &mut s,
            &[
                Fact::File("/etc/hostname".into()),
                Fact::Stat("/nonexistent".into()),
                Fact::Command("echo out; echo err >&2; exit 5".into()),
                Fact::File("/nonexistent".into()),
                Fact::Command("true".into()),
            ],
        );
        let hostname = std::fs::read("/etc/hostname").unwrap();
        let out = |stdout: &str, stderr: &str, rc| {
            FactValue::Command(CommandOutput {
                stdout: stdout.into(),
                stderr: stderr.into(),
                exit_status: Some(rc),
            })
        };
        assert_eq!(
            got,
            [
                FactValue::File(Some(hostname)),
                FactValue::Stat(None),
                out("out\n", "err\n", 5),
                FactValue::File(None),
                // The previous command's error output does not linger.
                out("", "", 0),
            ]
        );
        // The same session answers the next request.
        assert_eq!(ask(&mut s, &[]), []);
        assert_eq!(
            ask(&mut s, &[Fact::Stat("/nonexistent".into())]),
            [FactValue::Stat(None)]
        );
    }

    #[test]
    fn a_cancel_kills_the_command_running_in_the_agent() {
        let marker = "sleep 30.2468";
        let mut s = agent();
        let t = CancellationToken::new();
        let t2 = t.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            t2.cancel();
        });
        let end = format!("{NONCE} .\n");
        let facts = [Fact::Command(format!("{marker}; echo late"))];
        let e = s
            .ask(
                &request(&facts).unwrap(),
                end.as_bytes(),
                OUTPUT_CAP,
                None,
                &t,
            )
            .unwrap_err();
        assert_eq!(e, TransportError::Canceled);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let alive = std::process::Command::new("pgrep")
            .args(["-f", marker])
            .output()
            .unwrap();
        assert!(alive.stdout.is_empty(), "the command died with the session");
    }
}
