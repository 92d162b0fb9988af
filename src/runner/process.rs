//! Running one argv as a child process: its own process group (killed as a whole on
//! cancel, on timeout and on drop), bounded output tails, output streamed line by line.

use std::io;
use std::process::Stdio;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use crate::job::Stream;
use crate::transport::environment::inherited_env;

/// Longest line passed on as an event; the rest of a longer line is cut (the tail keeps it).
pub const MAX_LINE: usize = 8 * 1024;

/// How a run ended.
#[derive(Debug)]
pub enum Exit {
    /// The process exited (`code` is None when a signal ended it).
    Exited {
        code: Option<i32>,
        signal: Option<i32>,
    },
    /// We killed it because `cancel` fired.
    Killed,
}

#[derive(Debug)]
pub struct Output {
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
}

/// Kills the child's whole process group when dropped: a Rust future that owns a child
/// may be dropped at any await point (Python cancelled the wait, the job timed out).
struct GroupKill {
    pgid: Option<i32>,
}

impl GroupKill {
    fn kill(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            // SAFETY: killpg has no memory effects; a stale group id only yields ESRCH.
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last `cap` bytes written to it.
pub struct Tail {
    buf: Vec<u8>,
    cap: usize,
}

impl Tail {
    pub fn new(cap: usize) -> Self {
        Tail {
            buf: Vec::new(),
            cap,
        }
    }

    pub fn push(&mut self, data: &[u8]) {
        if self.cap == 0 {
            return;
        }
        if data.len() >= self.cap {
            self.buf.clear();
            self.buf.extend_from_slice(&data[data.len() - self.cap..]);
            return;
        }
        self.buf.extend_from_slice(data);
        // Trim in batches so pushing is amortised O(1), not a shift per write.
        if self.buf.len() > 2 * self.cap {
            let excess = self.buf.len() - self.cap;
            self.buf.drain(..excess);
        }
    }

    pub fn into_string(mut self) -> String {
        if self.buf.len() > self.cap {
            let excess = self.buf.len() - self.cap;
            self.buf.drain(..excess);
        }
        String::from_utf8_lossy(&self.buf).into_owned()
    }
}

/// Splits a byte stream into lines of at most `MAX_LINE` bytes without holding more
/// than one (cut) line in memory.
#[derive(Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
    overflow: bool,
}

impl LineSplitter {
    pub fn feed(&mut self, mut data: &[u8], mut emit: impl FnMut(String)) {
        while let Some(pos) = data.iter().position(|b| *b == b'\n') {
            self.take(&data[..pos]);
            emit(self.finish());
            data = &data[pos + 1..];
        }
        self.take(data);
    }

    fn take(&mut self, data: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.partial.len());
        if data.len() > room {
            self.overflow = true;
        }
        self.partial
            .extend_from_slice(&data[..data.len().min(room)]);
    }

    fn finish(&mut self) -> String {
        let mut line = String::from_utf8_lossy(&self.partial).into_owned();
        if line.ends_with('\r') {
            line.pop();
        }
        if std::mem::take(&mut self.overflow) {
            line.push_str(" …[line cut]");
        }
        self.partial.clear();
        line
    }

    /// The last line when the stream ended without a newline.
    pub fn flush(&mut self, emit: impl FnOnce(String)) {
        if !self.partial.is_empty() || self.overflow {
            emit(self.finish());
        }
    }
}

async fn pump(
    reader: Option<impl AsyncRead + Unpin>,
    stream: Stream,
    tail_cap: usize,
    on_line: &(dyn Fn(Stream, String) + Send + Sync),
) -> String {
    let mut tail = Tail::new(tail_cap);
    let Some(mut reader) = reader else {
        return String::new();
    };
    let mut lines = LineSplitter::default();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let chunk = &buf[..n];
                tail.push(chunk);
                lines.feed(chunk, |l| on_line(stream, l));
            }
        }
    }
    lines.flush(|l| on_line(stream, l));
    tail.into_string()
}

/// The program as a path, looked up in our PATH (the one the child inherits). std falls
/// back from posix_spawn to fork+exec for a bare name when the child's environment is
/// set, and fork copies this whole process's page tables: ~3x the cost per check.
fn resolve_program(program: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    if program.contains('/') {
        return program.into();
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        // Not found: let the spawn report the missing program by its own name.
        .unwrap_or_else(|| program.into())
}

/// Runs `argv` (never through a shell) with an allow-listed environment, streaming each
/// output line to `on_line`. `cancel` kills the whole process group.
pub async fn run(
    argv: &[String],
    tail_cap: usize,
    cancel: &CancellationToken,
    on_line: &(dyn Fn(Stream, String) + Send + Sync),
) -> io::Result<Output> {
    run_holding_stdin(argv, false, tail_cap, cancel, on_line).await
}

/// `run`; with `hold_stdin` the child's stdin is a pipe kept open (never written) until it
/// has exited, instead of /dev/null.
pub async fn run_holding_stdin(
    argv: &[String],
    hold_stdin: bool,
    tail_cap: usize,
    cancel: &CancellationToken,
    on_line: &(dyn Fn(Stream, String) + Send + Sync),
) -> io::Result<Output> {
    spawn_and_collect(argv, &[], hold_stdin, tail_cap, cancel, on_line).await
}

/// `run` with variables set on top of the allow-list (tool settings such as ANSIBLE_*,
/// chosen by the runner, never copied from our own environment).
pub async fn run_with_env(
    argv: &[String],
    env: &[(String, String)],
    tail_cap: usize,
    cancel: &CancellationToken,
    on_line: &(dyn Fn(Stream, String) + Send + Sync),
) -> io::Result<Output> {
    spawn_and_collect(argv, env, false, tail_cap, cancel, on_line).await
}

async fn spawn_and_collect(
    argv: &[String],
    env: &[(String, String)],
    hold_stdin: bool,
    tail_cap: usize,
    cancel: &CancellationToken,
    on_line: &(dyn Fn(Stream, String) + Send + Sync),
) -> io::Result<Output> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command"))?;
    let mut cmd = Command::new(resolve_program(program));
    let stdin = if hold_stdin {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    cmd.args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_clear()
        .envs(inherited_env())
        .envs(env.iter().map(|(k, v)| (k, v)))
        // Own process group: killing it reaches grandchildren too. (Keeps the posix_spawn path.)
        .process_group(0)
        .kill_on_drop(true);
    // In the runtime's context wherever it runs: the child is reaped by this runtime.
    let runtime = tokio::runtime::Handle::current();
    let mut child = crate::transport::priority::start_check(move || {
        let _context = runtime.enter();
        cmd.spawn()
    })?;
    let pgid = child.id().and_then(|p| i32::try_from(p).ok());
    // Armed for the whole run: if this future is dropped mid-way, the group dies with it.
    let mut guard = GroupKill { pgid };
    // Closed when this function returns, after the child was reaped.
    let _stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();

    let finished = async {
        let outputs = async {
            tokio::join!(
                pump(stdout, Stream::Stdout, tail_cap, on_line),
                pump(stderr, Stream::Stderr, tail_cap, on_line),
            )
        };
        let status = async {
            let status = child.wait().await;
            // Grandchildren left behind would hold the pipes open: the check is over, end them.
            GroupKill { pgid }.kill();
            status
        };
        let ((stdout, stderr), status) = tokio::join!(outputs, status);
        (stdout, stderr, status)
    };
    let result = tokio::select! {
        r = finished => Some(r),
        _ = cancel.cancelled() => None,
    };
    let Some((stdout, stderr, status)) = result else {
        guard.kill();
        // Reap, so neither a zombie nor a straggler remains.
        let _ = child.wait().await;
        return Ok(Output {
            exit: Exit::Killed,
            stdout: String::new(),
            stderr: String::new(),
        });
    };
    guard.pgid = None; // already killed right after the child exited
    use std::os::unix::process::ExitStatusExt;
    let status = status?;
    Ok(Output {
        exit: Exit::Exited {
            code: status.code(),
            signal: status.signal(),
        },
        stdout,
        stderr,
    })
}

/// Spawn failures worth retrying (resource exhaustion), as opposed to a missing program.
pub fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EAGAIN | libc::ENOMEM | libc::EMFILE | libc::ENFILE)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tail_keeps_last_bytes() {
        let mut t = Tail::new(4);
        for chunk in [&b"ab"[..], b"cdef", b"g"] {
            t.push(chunk);
        }
        assert_eq!(t.into_string(), "defg");
        let mut t = Tail::new(3);
        t.push(b"0123456789");
        assert_eq!(t.into_string(), "789");
    }

    #[test]
    fn lines_split_and_cut() {
        let mut s = LineSplitter::default();
        let mut out = Vec::new();
        s.feed(b"a\r\nb", |l| out.push(l));
        s.feed(b"c\nlast", |l| out.push(l));
        s.flush(|l| out.push(l));
        assert_eq!(out, ["a", "bc", "last"]);
        let long = vec![b'x'; MAX_LINE + 10];
        let mut out = Vec::new();
        s.feed(&long, |l| out.push(l));
        s.feed(b"\n", |l| out.push(l));
        assert_eq!(out.len(), 1);
        assert!(out[0].ends_with("[line cut]"));
        assert!(out[0].len() < MAX_LINE + 20);
    }

    #[tokio::test]
    async fn captures_output_and_exit_code() {
        let lines = Mutex::new(Vec::new());
        let on_line = |s: Stream, l: String| lines.lock().unwrap().push((s, l));
        let out = run(
            &argv(&["sh", "-c", "echo out; echo err >&2; exit 3"]),
            1024,
            &CancellationToken::new(),
            &on_line,
        )
        .await
        .unwrap();
        assert!(matches!(out.exit, Exit::Exited { code: Some(3), .. }));
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("out\n", "err\n")
        );
        let lines = lines.into_inner().unwrap();
        assert!(lines.contains(&(Stream::Stdout, "out".into())));
        assert!(lines.contains(&(Stream::Stderr, "err".into())));
    }

    #[tokio::test]
    async fn environment_is_allow_listed() {
        std::env::set_var("AIRS_SECRET_FOR_TEST", "hunter2");
        let out = run(
            &argv(&["env"]),
            1 << 16,
            &CancellationToken::new(),
            &|_, _| {},
        )
        .await
        .unwrap();
        assert!(!out.stdout.contains("hunter2"));
        assert!(out.stdout.contains("PATH="));
    }

    #[tokio::test]
    async fn cancel_kills_the_group() {
        let token = CancellationToken::new();
        let t2 = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            t2.cancel();
        });
        let started = std::time::Instant::now();
        // The grandchild `sleep` would survive a kill of `sh` alone.
        let out = run(
            &argv(&["sh", "-c", "sleep 30 & sleep 30; wait"]),
            64,
            &token,
            &|_, _| {},
        )
        .await
        .unwrap();
        assert!(matches!(out.exit, Exit::Killed));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[tokio::test]
    async fn stragglers_do_not_hold_the_check_open() {
        let started = std::time::Instant::now();
        let out = run(
            &argv(&["sh", "-c", "sleep 30 & echo done"]),
            64,
            &CancellationToken::new(),
            &|_, _| {},
        )
        .await
        .unwrap();
        assert!(matches!(out.exit, Exit::Exited { code: Some(0), .. }));
        assert_eq!(out.stdout, "done\n");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn programs_resolve_on_path() {
        assert!(resolve_program("sh").is_absolute());
        assert_eq!(resolve_program("./x"), std::path::PathBuf::from("./x"));
        assert_eq!(
            resolve_program("no-such-program-here"),
            std::path::PathBuf::from("no-such-program-here")
        );
    }

    #[tokio::test]
    async fn missing_program_is_an_error_not_transient() {
        let e = run(
            &argv(&["/nonexistent/prog"]),
            64,
            &CancellationToken::new(),
            &|_, _| {},
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(!is_transient(&e));
    }
}
