//! A long-lived child answering requests: we write a request to its stdin and read its
//! stdout up to an end marker. The SSH transport keeps one per host, so an operation costs
//! a pipe round trip instead of a new ssh client and remote session. The caller's thread
//! does the reading (poll on both pipes): a session costs no thread of its own.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Stdio};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::child;
use super::TransportError;

/// How often a waiting request looks at the cancellation token.
const TICK: Duration = Duration::from_millis(10);
/// How long the last error output of a session whose answer ended is awaited.
const GRACE: Duration = Duration::from_secs(2);
/// The most error output kept (it only explains why a session ended).
const STDERR_CAP: usize = 64 << 10;

pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
    stderr: Option<ChildStderr>,
    errors: Vec<u8>,
    /// The child printed its greeting (`greeting`, once, before the first answer).
    greeted: bool,
    greeting: u8,
    /// Why the session can no longer answer (its output ended, or it was stopped).
    dead: Option<TransportError>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("pid", &self.child.id())
            .field("dead", &self.dead)
            .finish()
    }
}

/// What one wait on the child's pipes brought.
enum Read2 {
    Out,
    Err,
    OutClosed,
    Nothing,
}

impl Session {
    /// Starts `argv`; it must print `greeting` before anything else, which tells "it runs"
    /// from "it could not start" (an ssh client that cannot connect prints nothing).
    pub fn spawn(argv: &[String], greeting: u8) -> Result<Self, TransportError> {
        let mut child = child::spawn(argv, Stdio::piped())?;
        Ok(Session {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            child,
            errors: Vec::new(),
            greeted: false,
            greeting,
            dead: None,
        })
    }

    /// Sends `request` and returns the answer: what the child printed up to `end` (which
    /// must follow a newline or start the answer), without it. At most `cap` bytes. A
    /// cancel, the deadline or an oversized answer kill the session; so does any failure,
    /// after which every request fails the same way.
    pub fn ask(
        &mut self,
        request: &[u8],
        end: &[u8],
        cap: usize,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Vec<u8>, TransportError> {
        if let Some(e) = &self.dead {
            return Err(e.clone());
        }
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(request).and_then(|()| stdin.flush()),
            None => Err(std::io::ErrorKind::BrokenPipe.into()),
        };
        if written.is_err() {
            // The child is gone: its error output says why.
            return Err(self.ended());
        }
        let mut answer: Vec<u8> = Vec::new();
        loop {
            if cancel.is_cancelled() {
                return Err(self.stop(TransportError::Canceled));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(self.stop(TransportError::TimedOut));
            }
            let tick = deadline
                .map(|d| d.saturating_duration_since(Instant::now()).min(TICK))
                .unwrap_or(TICK)
                .max(Duration::from_millis(1));
            match self.read(&mut answer, tick) {
                Read2::Out => {
                    if !self.greeted {
                        if answer.first() != Some(&self.greeting) {
                            return Err(self.ended());
                        }
                        self.greeted = true;
                        answer.remove(0);
                    }
                    if answer.len() > cap.saturating_add(end.len()) {
                        return Err(self.stop(TransportError::Failed(format!(
                            "the output passed {} MiB",
                            cap >> 20
                        ))));
                    }
                    if let Some(body) = complete(&answer, end) {
                        answer.truncate(body);
                        return Ok(answer);
                    }
                }
                Read2::OutClosed => return Err(self.ended()),
                Read2::Err | Read2::Nothing => {}
            }
        }
    }

    /// Waits up to `tick` for output: stdout is appended to `out`, stderr kept (bounded).
    fn read(&mut self, out: &mut Vec<u8>, tick: Duration) -> Read2 {
        let fds = [
            self.stdout.as_ref().map(|p| p.as_raw_fd()),
            self.stderr.as_ref().map(|p| p.as_raw_fd()),
        ];
        let mut polled: Vec<libc::pollfd> = fds
            .iter()
            .flatten()
            .map(|&fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        if polled.is_empty() {
            return Read2::OutClosed;
        }
        let ms = tick.as_millis().clamp(1, 1000) as libc::c_int;
        // SAFETY: `polled` is a live, correctly sized array of pollfd for the call's duration.
        let n = unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, ms) };
        if n <= 0 {
            return Read2::Nothing;
        }
        let ready = |fd: Option<i32>| {
            fd.is_some_and(|fd| {
                polled.iter().any(|p| {
                    p.fd == fd && p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
                })
            })
        };
        let mut buf = [0u8; 16 << 10];
        if ready(fds[1]) {
            if let Some(err) = self.stderr.as_mut() {
                match err.read(&mut buf) {
                    Ok(0) | Err(_) => self.stderr = None,
                    Ok(k) => {
                        let room = STDERR_CAP.saturating_sub(self.errors.len());
                        self.errors.extend_from_slice(&buf[..k.min(room)]);
                    }
                }
            }
        }
        if ready(fds[0]) {
            if let Some(o) = self.stdout.as_mut() {
                return match o.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        self.stdout = None;
                        Read2::OutClosed
                    }
                    Ok(k) => {
                        out.extend_from_slice(&buf[..k]);
                        Read2::Out
                    }
                };
            }
        }
        Read2::Err
    }

    /// Ends a session that stopped answering, with the error saying why: unreachable, in
    /// ssh's own words (its error output is awaited until it closes, up to GRACE).
    fn ended(&mut self) -> TransportError {
        let until = Instant::now() + GRACE;
        self.stdin = None;
        let mut sink = Vec::new();
        while self.stderr.is_some() && Instant::now() < until {
            if let Read2::OutClosed = self.read(&mut sink, TICK) {
                // Only stderr is left to wait for.
                self.stdout = None;
            }
            sink.clear();
        }
        let why = String::from_utf8_lossy(&self.errors).trim().to_string();
        let e = TransportError::Unreachable(match (self.greeted, why.is_empty()) {
            (true, true) => "the connection closed".into(),
            (true, false) => format!("the connection closed: {why}"),
            (false, true) => "the session ended before it started".into(),
            (false, false) => why,
        });
        self.stop(e)
    }

    /// Kills the child's process group (its pipes close with it) and remembers `why`.
    fn stop(&mut self, why: TransportError) -> TransportError {
        self.stdin = None;
        child::kill_group(self.child.id() as i32);
        self.dead = Some(why.clone());
        why
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Closing stdin is the child's signal to end; killing the group makes sure it does,
        // and then it is reaped at once.
        self.stdin = None;
        child::kill_group(self.child.id() as i32);
        let _ = self.child.wait();
    }
}

/// Where the answer's body ends when `answer` ends with `end` at a line start.
fn complete(answer: &[u8], end: &[u8]) -> Option<usize> {
    let body = answer.len().checked_sub(end.len())?;
    (answer.ends_with(end) && (body == 0 || answer[body - 1] == b'\n')).then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Vec<String> {
        vec!["/bin/sh".into(), "-c".into(), script.into()]
    }

    /// A child echoing each request line back, then `END`.
    const ECHO: &str = "printf G; while IFS= read -r l; do printf '%s\\nEND\\n' \"$l\"; done";

    #[test]
    fn answers_request_after_request() {
        let mut s = Session::spawn(&sh(ECHO), b'G').unwrap();
        let t = CancellationToken::new();
        for word in ["one", "two", "END x"] {
            let got = s
                .ask(format!("{word}\n").as_bytes(), b"END\n", 1024, None, &t)
                .unwrap();
            assert_eq!(got, format!("{word}\n").as_bytes());
        }
    }

    #[test]
    fn a_child_that_does_not_greet_is_unreachable_with_its_words() {
        let mut s = Session::spawn(&sh("echo 'no route to host' >&2; exit 255"), b'G').unwrap();
        let e = s
            .ask(b"x\n", b"END\n", 64, None, &CancellationToken::new())
            .unwrap_err();
        assert!(
            matches!(&e, TransportError::Unreachable(m) if m.contains("no route")),
            "{e:?}"
        );
    }

    #[test]
    fn the_deadline_and_the_cap_kill_the_session_and_it_stays_dead() {
        let mut s = Session::spawn(&sh("printf G; sleep 30.5151"), b'G').unwrap();
        let t = CancellationToken::new();
        let started = Instant::now();
        let e = s
            .ask(
                b"x\n",
                b"END\n",
                64,
                Some(Instant::now() + Duration::from_millis(200)),
                &t,
            )
            .unwrap_err();
        assert_eq!(e, TransportError::TimedOut);
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(
            s.ask(b"y\n", b"END\n", 64, None, &t).unwrap_err(),
            TransportError::TimedOut
        );
        let mut s =
            Session::spawn(&sh("printf G; head -c 5000 /dev/zero; sleep 30"), b'G').unwrap();
        let e = s.ask(b"x\n", b"END\n", 1000, None, &t).unwrap_err();
        assert!(matches!(e, TransportError::Failed(m) if m.contains("output passed")));
    }

    #[test]
    fn cancel_stops_a_pending_answer() {
        let mut s = Session::spawn(&sh("printf G; sleep 30.6161"), b'G').unwrap();
        let t = CancellationToken::new();
        let t2 = t.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            t2.cancel();
        });
        let e = s.ask(b"x\n", b"END\n", 64, None, &t).unwrap_err();
        assert_eq!(e, TransportError::Canceled);
    }

    #[test]
    fn the_end_marker_counts_only_at_a_line_start() {
        assert_eq!(complete(b"END\n", b"END\n"), Some(0));
        assert_eq!(complete(b"a\nEND\n", b"END\n"), Some(2));
        assert_eq!(complete(b"aEND\n", b"END\n"), None);
        assert_eq!(complete(b"ND\n", b"END\n"), None);
    }
}
