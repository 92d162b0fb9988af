//! One child process run to completion from a blocking thread: its own process group
//! (killed as a whole when the deadline passes or the token is canceled, and for any
//! straggler once the child exits), bounded output, always reaped.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::TransportError;

/// How often a waiting run looks at the cancellation token (it has no blocking wait).
const TICK: Duration = Duration::from_millis(10);
/// How long output is awaited after the child ended (see `run`).
const GRACE: Duration = Duration::from_secs(2);

/// What a finished child printed (at most `cap` bytes of each stream, the first ones) and
/// its exit code (None when a signal ended it).
#[derive(Debug, Default)]
pub struct Finished {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub code: Option<i32>,
    /// More than `cap` bytes were written to a stream (the rest was read and dropped).
    pub truncated: bool,
}

enum Event {
    /// Output as it arrives (stream 1 or 2), so a pipe held open past the child's end loses
    /// nothing already written.
    Output(u8, Vec<u8>),
    Closed,
    Exited(std::io::Result<std::process::ExitStatus>),
}

/// Starts `argv` (never through a local shell) in its own process group, with an
/// allow-listed environment and piped stdout and stderr.
pub(super) fn spawn(argv: &[String], stdin: Stdio) -> Result<Child, TransportError> {
    spawn_with_env(argv, stdin, &[])
}

/// The shell of local commands.
pub const SHELL: &str = "/bin/sh";

/// The name `/bin/sh` is started under, as Ruby starts it for a command string.
pub const SHELL_ARG0: &str = "sh";

/// [`spawn`] with `env` added to the allow-listed environment (a client's password, which
/// must not appear in any command line).
fn spawn_with_env(
    argv: &[String],
    stdin: Stdio,
    env: &[(String, String)],
) -> Result<Child, TransportError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| TransportError::Failed("empty command".into()))?;
    let mut cmd = Command::new(program);
    if program == SHELL {
        use std::os::unix::process::CommandExt;
        cmd.arg0(SHELL_ARG0);
    }
    cmd.args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_clear()
        .envs(super::environment::inherited_env())
        .envs(env.iter().map(|(k, v)| (k, v)))
        // Own process group: killing it reaches grandchildren too (keeps posix_spawn).
        .process_group(0);
    super::priority::start_check(move || cmd.spawn())
        .map_err(|e| TransportError::Failed(format!("cannot start {program}: {e}")))
}

/// Runs `argv` to completion, stdin empty.
#[cfg(test)]
pub fn run(
    argv: &[String],
    cap: usize,
    deadline: Option<Instant>,
    cancel: &CancellationToken,
) -> Result<Finished, TransportError> {
    run_with_env(argv, &[], cap, deadline, cancel)
}

/// [`run`] with `env` added to the child's environment.
pub fn run_with_env(
    argv: &[String],
    env: &[(String, String)],
    cap: usize,
    deadline: Option<Instant>,
    cancel: &CancellationToken,
) -> Result<Finished, TransportError> {
    let program = argv.first().map(String::as_str).unwrap_or_default();
    let mut child = spawn_with_env(argv, Stdio::null(), env)?;
    let pgid = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    let readers = [
        child.stdout.take().map(|r| reader(r, 1, tx.clone())),
        child.stderr.take().map(|r| reader(r, 2, tx.clone())),
    ];
    let pending_readers = readers.iter().flatten().count();
    let waiter = std::thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(Event::Exited(status));
    });
    let mut out = Finished::default();
    let mut open = pending_readers;
    let mut status = None;
    let mut stopped = None;
    // When the child ended or was killed: from then on, output still held open by a
    // process outside its group (a daemon it started, an ssh master) is waited for only
    // GRACE.
    let mut ended_at: Option<Instant> = None;
    while open > 0 || status.is_none() {
        if stopped.is_none() {
            if cancel.is_cancelled() {
                stopped = Some(TransportError::Canceled);
            } else if deadline.is_some_and(|d| Instant::now() >= d) {
                stopped = Some(TransportError::TimedOut);
            }
            if stopped.is_some() {
                kill_group(pgid);
                ended_at.get_or_insert_with(Instant::now);
            }
        }
        if status.is_some() && ended_at.is_some_and(|t| t.elapsed() > GRACE) {
            break;
        }
        let tick = deadline
            .map(|d| d.saturating_duration_since(Instant::now()).min(TICK))
            .unwrap_or(TICK)
            .max(Duration::from_millis(1));
        match rx.recv_timeout(tick) {
            Ok(Event::Output(stream, data)) => {
                let kept = if stream == 1 {
                    &mut out.stdout
                } else {
                    &mut out.stderr
                };
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&data[..data.len().min(room)]);
                out.truncated |= data.len() > room;
            }
            Ok(Event::Closed) => open -= 1,
            Ok(Event::Exited(s)) => {
                // Stragglers would hold the pipes open: the command is over, end them.
                kill_group(pgid);
                status = Some(s);
                ended_at.get_or_insert_with(Instant::now);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // The child was killed or has exited: the waiter has reaped it or is about to.
    let _ = waiter.join();
    for r in readers.into_iter().flatten() {
        // A reader still blocked on a pipe someone else holds ends on its own when that
        // holder closes it.
        if r.is_finished() {
            let _ = r.join();
        }
    }
    if let Some(e) = stopped {
        return Err(e);
    }
    use std::os::unix::process::ExitStatusExt;
    match status {
        Some(Ok(s)) => {
            out.code = s.code();
            if s.code().is_none() && s.signal().is_none() {
                return Err(TransportError::Failed(format!("{program} ended oddly")));
            }
            Ok(out)
        }
        Some(Err(e)) => Err(TransportError::Failed(format!(
            "waiting for {program}: {e}"
        ))),
        None => Err(TransportError::Failed(format!("{program}: no exit status"))),
    }
}

fn reader(
    mut r: impl Read + Send + 'static,
    stream: u8,
    tx: mpsc::Sender<Event>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(Event::Output(stream, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = tx.send(Event::Closed);
    })
}

pub(super) fn kill_group(pgid: i32) {
    // SAFETY: killpg has no memory effects; a group already gone only yields ESRCH.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    fn alive(marker: &str) -> bool {
        let out = Command::new("pgrep").args(["-f", marker]).output().unwrap();
        !out.stdout.is_empty()
    }

    #[test]
    fn captures_both_streams_and_the_exit_code() {
        let out = run(
            &sh("echo out; echo err >&2; exit 3"),
            1024,
            None,
            &CancellationToken::new(),
        )
        .unwrap();
        assert_eq!(
            (out.stdout.as_slice(), out.stderr.as_slice(), out.code),
            (&b"out\n"[..], &b"err\n"[..], Some(3))
        );
        let out = run(&sh("kill -9 $$"), 1024, None, &CancellationToken::new()).unwrap();
        assert_eq!(out.code, None);
    }

    #[test]
    fn output_is_bounded_and_stdin_is_empty() {
        let out = run(
            &sh("head -c 100000 /dev/zero; cat; echo rest >&2"),
            1000,
            None,
            &CancellationToken::new(),
        )
        .unwrap();
        assert_eq!(out.stdout.len(), 1000);
        assert!(out.truncated);
        assert_eq!(out.stderr, b"rest\n");
    }

    #[test]
    fn the_deadline_kills_the_whole_group() {
        let marker = "sleep 30.1234";
        let started = Instant::now();
        let err = run(
            &sh(&format!("{marker} & {marker}; wait")),
            64,
            Some(Instant::now() + Duration::from_millis(300)),
            &CancellationToken::new(),
        )
        .unwrap_err();
        assert_eq!(err, TransportError::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(!alive(marker), "no sleep survives");
    }

    #[test]
    fn cancel_kills_the_whole_group_and_reaps_it() {
        let marker = "sleep 30.4321";
        let token = CancellationToken::new();
        let t2 = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            t2.cancel();
        });
        let started = Instant::now();
        let err = run(&sh(&format!("{marker} & {marker}; wait")), 64, None, &token).unwrap_err();
        assert_eq!(err, TransportError::Canceled);
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(!alive(marker));
        // Reaped: no zombie child of ours remains.
        let me = std::process::id().to_string();
        let ps = Command::new("ps")
            .args(["-o", "stat=", "--ppid", &me])
            .output()
            .unwrap();
        assert!(!String::from_utf8_lossy(&ps.stdout).contains('Z'));
    }

    #[test]
    fn stragglers_do_not_hold_the_command_open() {
        let started = Instant::now();
        let out = run(
            &sh("sleep 30.777 & echo done"),
            64,
            None,
            &CancellationToken::new(),
        )
        .unwrap();
        assert_eq!(out.stdout, b"done\n");
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(!alive("sleep 30.777"));
    }

    #[test]
    fn a_daemon_holding_stdout_does_not_hold_the_command() {
        let started = Instant::now();
        let out = run(
            &sh("setsid sleep 30.999 & echo done"),
            64,
            None,
            &CancellationToken::new(),
        )
        .unwrap();
        assert_eq!(out.stdout, b"done\n");
        assert!(started.elapsed() < Duration::from_secs(4));
        let _ = Command::new("pkill").args(["-f", "sleep 30.999"]).status();
    }

    #[test]
    fn a_missing_program_fails() {
        let e = run(
            &["/nonexistent/prog".to_string()],
            64,
            None,
            &CancellationToken::new(),
        )
        .unwrap_err();
        assert!(matches!(e, TransportError::Failed(m) if m.contains("/nonexistent/prog")));
    }
}
