//! How one host is checked. The `command` runner lives here; SSH, ansible and inspec
//! runners come later behind the same shape: a check in, a `HostResult` out, events emitted.

pub mod process;

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::job::{EventKind, HostResult, HostStatus};

/// The longest pause between two attempts, whatever `retry_backoff` doubles to.
pub const RETRY_DELAY_MAX: f64 = 60.0;
/// The exit code ssh uses for "could not connect": a transient failure worth retrying.
pub const EXIT_TRANSIENT: i32 = 255;

#[cfg(test)]
pub const PANIC_HOST_FOR_TESTS: &str = "panic-injected-by-test";

pub type Emit<'a> = &'a (dyn Fn(EventKind) + Send + Sync);

/// One host's run of a `command` template.
pub struct CommandCheck<'a> {
    pub argv: &'a [String],
    pub host: &'a str,
    pub retries: u32,
    pub retry_backoff: f64,
    pub tail_bytes: usize,
}

/// The argv with `{host}` replaced, as a whole argument or inside one.
pub fn expand_argv(argv: &[String], host: &str) -> Vec<String> {
    argv.iter().map(|a| a.replace("{host}", host)).collect()
}

/// The delay before attempt `attempt + 1`: backoff, doubled each try, capped.
pub fn retry_delay(backoff: f64, attempt: u32) -> f64 {
    let exp = attempt.saturating_sub(1).min(30) as i32;
    (backoff * 2f64.powi(exp)).min(RETRY_DELAY_MAX)
}

/// Runs the check with retries for transient failures only. Killed by `cancel`, the
/// result is `canceled` (the executor turns it into `timeout` when that was the reason).
pub async fn run_command(
    check: &CommandCheck<'_>,
    cancel: &CancellationToken,
    emit: Emit<'_>,
) -> HostResult {
    let host = check.host;
    // Test builds only: lets executor tests prove a panic stays inside its job.
    #[cfg(test)]
    if host == PANIC_HOST_FOR_TESTS {
        panic!("injected test panic");
    }
    let argv = expand_argv(check.argv, host);
    let started_at = Utc::now();
    let t0 = Instant::now();
    let on_line = |stream, line| {
        emit(EventKind::HostOutput {
            host: host.to_string(),
            stream,
            line,
        })
    };
    let mut attempt = 0;
    let mut result = loop {
        attempt += 1;
        emit(EventKind::HostStarted {
            host: host.to_string(),
            attempt,
        });
        let mut r = HostResult::not_run(host, HostStatus::Error, "");
        r.message = None;
        let transient = match process::run(&argv, check.tail_bytes, cancel, &on_line).await {
            Ok(out) => {
                r.stdout = out.stdout;
                r.stderr = out.stderr;
                match out.exit {
                    process::Exit::Killed => {
                        r.status = HostStatus::Canceled;
                        r.message = Some("killed: the job was stopped".into());
                        false
                    }
                    process::Exit::Exited { code, signal } => {
                        r.exit_code = code;
                        r.status = if code == Some(0) {
                            HostStatus::Passed
                        } else {
                            HostStatus::Failed
                        };
                        if let Some(sig) = signal {
                            r.message = Some(format!("ended by signal {sig}"));
                        }
                        code == Some(EXIT_TRANSIENT)
                    }
                }
            }
            Err(e) => {
                r.status = HostStatus::Error;
                r.message = Some(format!(
                    "cannot run {:?}: {e}",
                    argv.first().map(String::as_str).unwrap_or("")
                ));
                process::is_transient(&e)
            }
        };
        if !transient || attempt > check.retries || cancel.is_cancelled() {
            break r;
        }
        let delay = retry_delay(check.retry_backoff, attempt);
        emit(EventKind::HostRetry {
            host: host.to_string(),
            attempt,
            delay,
            reason: r
                .message
                .clone()
                .unwrap_or_else(|| format!("exit code {}", r.exit_code.unwrap_or(-1))),
        });
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs_f64(delay)) => {}
            _ = cancel.cancelled() => {
                r.status = HostStatus::Canceled;
                r.message = Some("killed: the job was stopped while waiting to retry".into());
                break r;
            }
        }
    };
    result.attempts = attempt;
    result.duration = t0.elapsed().as_secs_f64();
    result.started_at = Some(started_at);
    result.finished_at = Some(Utc::now());
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn argv_expansion() {
        let argv = vec![
            "ping".to_string(),
            "-c1".into(),
            "{host}".into(),
            "--to={host}:22".into(),
        ];
        assert_eq!(
            expand_argv(&argv, "h1"),
            ["ping", "-c1", "h1", "--to=h1:22"]
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay(1.0, 1), 1.0);
        assert_eq!(retry_delay(1.0, 3), 4.0);
        assert_eq!(retry_delay(1.0, 10), RETRY_DELAY_MAX);
        assert_eq!(retry_delay(0.0, 5), 0.0);
    }

    fn check<'a>(argv: &'a [String], retries: u32) -> CommandCheck<'a> {
        CommandCheck {
            argv,
            host: "h",
            retries,
            retry_backoff: 0.01,
            tail_bytes: 1024,
        }
    }

    #[tokio::test]
    async fn exit_255_is_retried_plain_failure_is_not() {
        let events = Mutex::new(Vec::new());
        let emit = |e: EventKind| events.lock().unwrap().push(e.name());
        let argv = vec!["sh".to_string(), "-c".into(), "exit 255".into()];
        let r = run_command(&check(&argv, 2), &CancellationToken::new(), &emit).await;
        assert_eq!(
            (r.status, r.attempts, r.exit_code),
            (HostStatus::Failed, 3, Some(255))
        );
        assert_eq!(
            events
                .lock()
                .unwrap()
                .iter()
                .filter(|n| **n == "host_retry")
                .count(),
            2
        );

        let argv = vec!["false".to_string()];
        let r = run_command(&check(&argv, 2), &CancellationToken::new(), &emit).await;
        assert_eq!((r.status, r.attempts), (HostStatus::Failed, 1));
    }

    #[tokio::test]
    async fn missing_program_is_error_once() {
        let argv = vec!["/nonexistent/x".to_string()];
        let r = run_command(&check(&argv, 3), &CancellationToken::new(), &|_| {}).await;
        assert_eq!((r.status, r.attempts), (HostStatus::Error, 1));
        assert!(r.message.unwrap().contains("/nonexistent/x"));
    }
}
