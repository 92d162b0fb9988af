//! Check processes end with the process that started them, however it ends: a server, worker
//! or script killed with SIGKILL (or crashing) cannot kill its checks itself, and they would
//! otherwise run on, reparented to init, for as long as their timeout allowed them.
//!
//! Linux's `PR_SET_PDEATHSIG` does not fit: it must be set in the child before `exec`
//! (`pre_exec`, which loses the posix_spawn path), it fires when the *thread* that started the
//! child ends (our checks are started by per-thread helpers that end when their priority
//! changes or their runtime thread ends, which would kill running checks), and it reaches the
//! child only, not the processes of its group (`sh -c 'sleep …'`).
//!
//! Instead every check carries one environment variable naming this process ([`mark`]), which
//! everything it starts inherits, and a small watcher process (`/bin/sh`, started once, in its
//! own process group so a terminal's Ctrl-C does not reach it) holds a pipe whose only writer
//! is this process. When the pipe closes (this process ended, however), the watcher kills
//! every process that carries the mark and the process group each of them leads (a check's
//! group: its grandchildren, whatever their environment), a few rounds, so a process started
//! during a round goes in the next. A group is killed only when its leader carries the mark,
//! so a check that moved itself into someone else's group cannot take that group with it.
//! Nothing happens per check beyond the variable: no message, no extra process.

use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The variable every check process carries.
pub const MARK_VAR: &str = "ANSIBLE_INSPEC_RS_CHECK_OF";

/// Reads the mark (the whole `NAME=VALUE` entry) from its first line of input (not an
/// argument: `ps` shows those to every user), waits for its input to close, then kills what
/// carries the mark. POSIX sh (dash's `kill` takes no `--`: `kill -9 -PGID`).
const WATCHER: &str = r#"trap '' HUP INT QUIT TERM PIPE
IFS= read -r mark || exit 0
while read -r _; do :; done
rounds=0
while [ "$rounds" -lt 10 ]; do
    found=
    for f in $(grep -lsxzF -e "$mark" /proc/[0-9]*/environ); do
        p=${f#/proc/}; p=${p%/environ}
        found=1
        kill -9 "-$p" 2>/dev/null
        kill -9 "$p" 2>/dev/null
    done
    [ -n "$found" ] || exit 0
    rounds=$((rounds + 1))
    sleep 0.1
done
"#;

/// The watcher's search path (`grep`, `sleep`): the system's, never the caller's.
const WATCHER_PATH: &str = "/usr/bin:/bin:/usr/sbin:/sbin";

/// The pipe to this process's watcher, kept open for the life of the process.
static WATCHER_PIPE: Mutex<Option<ChildStdin>> = Mutex::new(None);

/// The mark's value: this process (its id, and the time it first marked a check, since an
/// id is reused once a process ended).
fn mark_value() -> &'static str {
    static VALUE: OnceLock<String> = OnceLock::new();
    VALUE.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        format!("{}-{nanos:x}", std::process::id())
    })
}

/// The variable to give a check process, once this process's watcher runs (started on the
/// first call; a start that failed is tried again on the next). Where there is no watcher
/// (not Linux, no `/bin/sh`), checks are unmarked and end only as they always did.
pub fn mark() -> Option<(&'static str, &'static str)> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let value = mark_value();
    let mut pipe = WATCHER_PIPE.lock().unwrap_or_else(|p| p.into_inner());
    if pipe.is_none() {
        let (watcher, stdin) = start_watcher(&format!("{MARK_VAR}={value}")).ok()?;
        // Never waited for: it outlives us by design, and ends right after we do.
        std::mem::forget(watcher);
        *pipe = Some(stdin);
    }
    Some((MARK_VAR, value))
}

/// Starts a watcher for `mark` (`NAME=VALUE`); closing the returned pipe sets it off.
fn start_watcher(mark: &str) -> std::io::Result<(Child, ChildStdin)> {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("/bin/sh")
        .args(["-c", WATCHER, "ansible-inspec-rs-watcher"])
        .stdin(Stdio::piped()) // its write end is close-on-exec: no check inherits it
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env_clear()
        .env("PATH", WATCHER_PATH)
        .process_group(0)
        .spawn()?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("the watcher has no stdin"))?;
    if let Err(e) = stdin.write_all(format!("{mark}\n").as_bytes()) {
        drop(stdin); // it ends at once, having read no mark
        let _ = child.wait();
        return Err(e);
    }
    Ok((child, stdin))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn alive(marker: &str) -> bool {
        let out = Command::new("pgrep").args(["-f", marker]).output().unwrap();
        !out.stdout.is_empty()
    }

    fn eventually(within: Duration, what: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if what() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        what()
    }

    #[test]
    fn closing_the_pipe_kills_the_marked_processes_and_their_groups() {
        use std::os::unix::process::CommandExt;
        let mark = format!("{MARK_VAR}=test-{}", std::process::id());
        let (name, value) = mark.split_once('=').unwrap();
        let (mut watcher, pipe) = start_watcher(&mark).unwrap();
        // The mark is no argument of the watcher: `ps` would show it to every user.
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", watcher.id())).unwrap();
        assert!(!String::from_utf8_lossy(&cmdline).contains(value));
        // A check in its own group with a grandchild that drops the variable (still in the
        // group), one that leaves the group (still marked), and an unmarked bystander.
        let mut check = Command::new("/bin/sh")
            .args([
                "-c",
                "env -u ANSIBLE_INSPEC_RS_CHECK_OF sleep 30.6101 & setsid sleep 30.6102 & \
                 sleep 30.6103; wait",
            ])
            .env(name, value)
            .process_group(0)
            .spawn()
            .unwrap();
        let mut bystander = Command::new("sleep").arg("30.6104").spawn().unwrap();
        let markers = ["30.6101", "30.6102", "30.6103"];
        assert!(eventually(Duration::from_secs(5), || markers
            .iter()
            .all(|m| alive(m))));
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            markers.iter().all(|m| alive(m)),
            "nothing happens while the pipe is open"
        );

        drop(pipe); // as when this process dies
        assert!(
            eventually(Duration::from_secs(5), || !markers.iter().any(|m| alive(m))),
            "every process of the check ended"
        );
        let _ = check.wait();
        assert!(watcher.wait().unwrap().success());
        assert!(alive("30.6104"), "an unmarked process is left alone");
        let _ = bystander.kill();
        let _ = bystander.wait();
    }

    #[test]
    fn the_mark_names_this_process_and_starts_one_watcher() {
        let (name, value) = mark().expect("a watcher on Linux");
        assert_eq!(name, MARK_VAR);
        assert!(value.starts_with(&format!("{}-", std::process::id())));
        assert_eq!(mark(), Some((name, value)));
    }
}
