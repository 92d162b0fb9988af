//! How hosts are checked. Two shapes:
//! - per host (`command`, `inspec`): one argv per host, run here or over SSH, with
//!   retries for transient failures; see [`run_host`];
//! - per job (`ansible`): one `ansible-playbook` over the whole host list; see
//!   [`ansible::run_playbook`].
//!
//! [`plan`] turns a template and its host list into one of them.

pub mod ansible;
pub mod inspec;
pub mod native;
pub mod process;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

pub use crate::error::RunnerError;
use crate::host::{target_for, Target};
use crate::inventory::Inventory;
use crate::job::{last_line, EventKind, HostResult, HostStatus};
use crate::policy::Policy;
use crate::template::{Action, ProfileRunner, Template};

// The SSH client settings live in the transport layer below; the run context carries them.
pub use crate::transport::openssh::{HostKeyChecking, RuntimeDir, SshSettings};

/// The longest pause between two attempts, whatever `retry_backoff` doubles to.
pub const RETRY_DELAY_MAX: f64 = 60.0;
/// The exit code ssh uses for "could not connect": a transient failure worth retrying.
pub const EXIT_TRANSIENT: i32 = 255;

#[cfg(test)]
pub const PANIC_HOST_FOR_TESTS: &str = "panic-injected-by-test";

pub type Emit<'a> = &'a (dyn Fn(EventKind) + Send + Sync);

/// What every run of one executor shares: settings, the private runtime directory,
/// where to find the tools.
#[derive(Debug)]
pub struct RunContext {
    pub tail_bytes: usize,
    pub ssh: SshSettings,
    pub runtime: RuntimeDir,
    /// Directories searched for `ansible-playbook`, `inspec`, `cinc-auditor` before PATH.
    pub tool_path: Vec<PathBuf>,
    /// Held to again when each job runs (paths may have changed since it was queued).
    pub policy: Policy,
}

impl RunContext {
    pub fn new(
        tail_bytes: usize,
        ssh: SshSettings,
        tool_path: Vec<PathBuf>,
    ) -> std::io::Result<Self> {
        Ok(RunContext {
            runtime: RuntimeDir::create(&ssh.program)?,
            tail_bytes,
            ssh,
            tool_path,
            policy: Policy::default(),
        })
    }

    /// A tool by name: in `tool_path` first, then PATH.
    pub fn find_tool(&self, name: &str) -> Option<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let path = std::env::var_os("PATH");
        self.tool_path
            .iter()
            .cloned()
            .chain(path.iter().flat_map(std::env::split_paths))
            .map(|d| d.join(name))
            .find(|p| {
                std::fs::metadata(p)
                    .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            })
    }
}

/// What runs on each host of a per-host job.
#[derive(Debug)]
pub enum HostAction {
    /// The template's argv (`{host}` substituted), here or over SSH.
    Command(Vec<String>),
    /// `inspec exec` (or `cinc-auditor exec`), always run here, reaching the host itself.
    Inspec(inspec::InspecPlan),
    /// The profile evaluated here, in Rust, reaching the host itself (boxed: the largest).
    Native(Box<native::NativePlan>),
}

/// A job, ready to run.
#[derive(Debug)]
pub enum Plan {
    PerHost {
        action: HostAction,
        /// One per job host, in order; Err: the host cannot be checked (why).
        targets: Vec<Result<Target, RunnerError>>,
    },
    Ansible(ansible::AnsiblePlan),
}

/// Turns a template and the job's hosts into a plan. `inventory`: the template's inventory
/// as read when the hosts were selected (None: read it here, when the template has one).
/// Err: the job cannot run at all (missing tool, unreadable inventory, refused by the policy).
pub fn plan(
    template: &Template,
    hosts: &[String],
    extra_vars: &Map<String, Value>,
    inventory: Option<Inventory>,
    job_id: &str,
    ctx: &RunContext,
) -> Result<Plan, RunnerError> {
    // Checked again as the job runs, and every path below is the resolved one.
    let template = &ctx.policy.admit(template).map_err(RunnerError::refused)?;
    let inventory = match inventory {
        Some(read) => Some(read),
        None => Inventory::for_template(template)?,
    };
    let native =
        matches!(template.action(), Action::Profile(_)) && template.runner != ProfileRunner::Inspec;
    let targets = || -> Vec<Result<Target, RunnerError>> {
        hosts
            .iter()
            .map(|h| {
                let vars = inventory.as_ref().and_then(|i| i.vars_for(h));
                match target_for(h, vars.as_ref(), template.connection) {
                    Ok(Target::Local) if !ctx.policy.allow_local => Err(RunnerError::LocalDisabled),
                    Ok(Target::Fixture(_)) if !native => Err(RunnerError::FixtureNativeOnly),
                    // Held to the roots again as it runs (the path may be a symlink now).
                    Ok(Target::Fixture(dir)) => ctx
                        .policy
                        .check_fixture(&dir.to_string_lossy())
                        .map(Target::Fixture)
                        .map_err(RunnerError::refused),
                    other => other.map_err(RunnerError::BadHost),
                }
            })
            .collect()
    };
    match template.action() {
        Action::Command(argv) => Ok(Plan::PerHost {
            action: HostAction::Command(argv.to_vec()),
            targets: targets(),
        }),
        Action::Profile(profile) => Ok(Plan::PerHost {
            action: match template.runner {
                ProfileRunner::Inspec => HostAction::Inspec(inspec::InspecPlan::new(
                    template, profile, extra_vars, job_id, ctx,
                )?),
                ProfileRunner::Native | ProfileRunner::Auto => HostAction::Native(Box::new(
                    native::NativePlan::new(template, profile, extra_vars, job_id, ctx)?,
                )),
            },
            targets: targets(),
        }),
        Action::Playbook(_)
            if !ctx.policy.allow_local
                && targets()
                    .iter()
                    .any(|t| matches!(t, Err(RunnerError::LocalDisabled))) =>
        {
            Err(RunnerError::LocalDisabled)
        }
        Action::Playbook(playbook) => Ok(Plan::Ansible(ansible::AnsiblePlan::new(
            template,
            playbook,
            hosts,
            extra_vars,
            inventory.as_ref(),
            job_id,
            ctx,
        )?)),
    }
}

/// One host's run of a per-host job.
pub struct HostCheck<'a> {
    pub action: &'a HostAction,
    pub host: &'a str,
    pub target: &'a Target,
    pub retries: u32,
    pub retry_backoff: f64,
    pub connect_timeout: u32,
    pub ctx: &'a RunContext,
}

impl HostCheck<'_> {
    /// The local argv of one attempt, and the report file it writes (inspec).
    pub fn argv(&self) -> (Vec<String>, Option<PathBuf>) {
        match self.action {
            HostAction::Command(argv) => {
                let argv = expand_argv(argv, self.host);
                let argv = match self.target {
                    // `plan` refuses fixture hosts for commands.
                    Target::Local | Target::Fixture(_) => argv,
                    Target::Ssh(t) => crate::transport::openssh::ssh_argv(
                        &self.ctx.ssh,
                        &self.ctx.runtime,
                        self.connect_timeout,
                        t,
                        &crate::transport::openssh::watched(&argv),
                    ),
                };
                (argv, None)
            }
            HostAction::Inspec(p) => {
                let (argv, report) = p.argv(self.target, self.connect_timeout, &self.ctx.ssh);
                (argv, Some(report))
            }
            // Runs no local program: see `native::attempt`.
            HostAction::Native(_) => (Vec::new(), None),
        }
    }
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

/// Fills `r` from a finished process; true when the failure is transient (retry).
fn interpret(
    check: &HostCheck<'_>,
    report: Option<&std::path::Path>,
    out: process::Output,
    r: &mut HostResult,
) -> bool {
    r.stdout = out.stdout;
    r.stderr = out.stderr;
    let (code, signal) = match out.exit {
        process::Exit::Killed => {
            r.status = HostStatus::Canceled;
            r.message = Some("killed: the job was stopped".into());
            return false;
        }
        process::Exit::Exited { code, signal } => (code, signal),
    };
    r.exit_code = code;
    if let Some(sig) = signal {
        r.message = Some(format!("ended by signal {sig}"));
    }
    match check.action {
        HostAction::Command(_) => {
            r.status = match (code, check.target) {
                (Some(0), _) => HostStatus::Passed,
                (Some(EXIT_TRANSIENT), Target::Ssh(_)) if auth_failed(&r.stderr) => {
                    r.message = Some(format!(
                        "authentication failed: {} (keys only: passwords are not supported; \
                         give a key with ansible_ssh_private_key_file, ssh_identity_file, \
                         ssh-agent or ssh config)",
                        last_line(&r.stderr)
                    ));
                    // An error, not transient: retrying the same key cannot help.
                    r.status = HostStatus::Error;
                    return false;
                }
                (Some(EXIT_TRANSIENT), Target::Ssh(_)) => {
                    r.message = Some(format!("unreachable: {}", last_line(&r.stderr)));
                    HostStatus::Unreachable
                }
                _ => HostStatus::Failed,
            };
            code == Some(EXIT_TRANSIENT)
        }
        HostAction::Inspec(_) => match report {
            Some(f) => inspec::interpret(code, f, r),
            None => false,
        },
        HostAction::Native(_) => false,
    }
}

/// ssh's message when no key was accepted (BatchMode never asks for a password).
pub fn auth_failed(stderr: &str) -> bool {
    stderr.contains("Permission denied (")
}

/// Runs the check with retries for transient failures only. Killed by `cancel`, the
/// result is `canceled` (the executor turns it into `timeout` when that was the reason).
pub async fn run_host(
    check: &HostCheck<'_>,
    cancel: &CancellationToken,
    emit: Emit<'_>,
) -> HostResult {
    let host = check.host;
    // Test builds only: lets executor tests prove a panic stays inside its job.
    #[cfg(test)]
    if host == PANIC_HOST_FOR_TESTS {
        panic!("injected test panic");
    }
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
        let transient = match check.action {
            HostAction::Native(plan) => {
                native::attempt(plan, check, cancel, &on_line, &mut r).await
            }
            _ => run_program(check, cancel, &on_line, &mut r).await,
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

/// One attempt of a check that is a local program (a command, here or through ssh; inspec).
async fn run_program(
    check: &HostCheck<'_>,
    cancel: &CancellationToken,
    on_line: &(dyn Fn(crate::job::Stream, String) + Send + Sync),
    r: &mut HostResult,
) -> bool {
    let (argv, report) = check.argv();
    // A command over SSH holds its client's stdin open: closing it (the client killed)
    // is what stops the remote command (see `ssh::WATCHED`).
    let hold_stdin = matches!(
        (check.action, check.target),
        (HostAction::Command(_), Target::Ssh(_))
    );
    match process::run_holding_stdin(&argv, hold_stdin, check.ctx.tail_bytes, cancel, on_line).await
    {
        Ok(out) => interpret(check, report.as_deref(), out, r),
        Err(e) => {
            r.status = HostStatus::Error;
            r.message = Some(format!(
                "cannot run {:?}: {e}",
                argv.first().map(String::as_str).unwrap_or("")
            ));
            process::is_transient(&e)
        }
    }
}

/// A result for a host whose target could not be worked out (bad inventory values).
pub fn invalid_target(host: &str, why: &RunnerError) -> HostResult {
    let mut r = HostResult::not_run(host, HostStatus::Error, &why.to_string());
    r.started_at = Some(Utc::now());
    r.finished_at = r.started_at;
    r
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
    fn refused_keys_are_told_apart_from_unreachable_hosts() {
        assert!(auth_failed(
            "root@10.0.0.1: Permission denied (publickey,password)."
        ));
        assert!(!auth_failed(
            "ssh: connect to host 10.0.0.1 port 22: Connection refused"
        ));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay(1.0, 1), 1.0);
        assert_eq!(retry_delay(1.0, 3), 4.0);
        assert_eq!(retry_delay(1.0, 10), RETRY_DELAY_MAX);
        assert_eq!(retry_delay(0.0, 5), 0.0);
    }

    fn ctx() -> RunContext {
        RunContext::new(1024, SshSettings::default(), Vec::new()).unwrap()
    }

    fn template(spec: serde_json::Value) -> Template {
        Template::build(serde_json::from_value(spec).unwrap()).unwrap()
    }

    /// Why a job or a host cannot run is a variant that says so, not a string.
    #[test]
    fn plan_failures_are_typed() {
        let mut ctx = ctx();
        let fixture = "fixture:///nonexistent-state".to_string();
        let command = template(serde_json::json!({"name": "c", "command": ["true"]}));
        let Ok(Plan::PerHost { targets, .. }) = plan(
            &command,
            &[fixture, "local://".into()],
            &Map::new(),
            None,
            "j",
            &ctx,
        ) else {
            panic!("a command job plans per host");
        };
        assert!(matches!(targets[0], Err(RunnerError::FixtureNativeOnly)));
        assert!(matches!(targets[1], Ok(Target::Local)));

        let profile = template(serde_json::json!({
            "name": "p", "profile": "/nonexistent/profile", "runner": "native"
        }));
        let e = plan(&profile, &["local://".into()], &Map::new(), None, "j", &ctx).unwrap_err();
        assert!(matches!(e, RunnerError::Profile(_)), "{e:?}");

        let inspec = template(serde_json::json!({
            "name": "i", "profile": "/nonexistent/profile", "runner": "inspec"
        }));
        if ctx.find_tool("inspec").is_none() && ctx.find_tool("cinc-auditor").is_none() {
            let e = plan(&inspec, &["local://".into()], &Map::new(), None, "j", &ctx).unwrap_err();
            assert!(
                matches!(
                    e,
                    RunnerError::ToolMissing {
                        program: "InSpec",
                        ..
                    }
                ),
                "{e:?}"
            );
        }

        ctx.policy.path_roots.profiles = Some(vec!["/nonexistent-root".into()]);
        let e = plan(&profile, &["local://".into()], &Map::new(), None, "j", &ctx).unwrap_err();
        assert!(
            matches!(&e, RunnerError::Refused(v) if v.field == "profile"),
            "{e:?}"
        );

        ctx.policy.allow_local = false;
        let local = plan(&command, &["local://".into()], &Map::new(), None, "j", &ctx);
        let Ok(Plan::PerHost { targets, .. }) = local else {
            panic!("a command job plans per host");
        };
        assert!(matches!(targets[0], Err(RunnerError::LocalDisabled)));
    }

    async fn run(argv: &[&str], target: &Target, retries: u32) -> (HostResult, Vec<&'static str>) {
        let ctx = ctx();
        let action = HostAction::Command(argv.iter().map(|s| s.to_string()).collect());
        let check = HostCheck {
            action: &action,
            host: "h",
            target,
            retries,
            retry_backoff: 0.01,
            connect_timeout: 2,
            ctx: &ctx,
        };
        let events = Mutex::new(Vec::new());
        let emit = |e: EventKind| events.lock().unwrap().push(e.name());
        let r = run_host(&check, &CancellationToken::new(), &emit).await;
        (r, events.into_inner().unwrap())
    }

    #[tokio::test]
    async fn exit_255_is_retried_plain_failure_is_not() {
        let (r, events) = run(&["sh", "-c", "exit 255"], &Target::Local, 2).await;
        assert_eq!(
            (r.status, r.attempts, r.exit_code),
            (HostStatus::Failed, 3, Some(255))
        );
        assert_eq!(events.iter().filter(|n| **n == "host_retry").count(), 2);
        let (r, _) = run(&["false"], &Target::Local, 2).await;
        assert_eq!((r.status, r.attempts), (HostStatus::Failed, 1));
    }

    #[tokio::test]
    async fn missing_program_is_error_once() {
        let (r, _) = run(&["/nonexistent/x"], &Target::Local, 3).await;
        assert_eq!((r.status, r.attempts), (HostStatus::Error, 1));
        assert!(r.message.unwrap().contains("/nonexistent/x"));
    }

    #[tokio::test]
    async fn refused_ssh_is_unreachable_and_retried() {
        // Port 1 on loopback: nothing listens, ssh exits 255 at once.
        let target = Target::Ssh(crate::host::SshTarget {
            host: "127.0.0.1".into(),
            port: Some(1),
            ..Default::default()
        });
        let (r, events) = run(&["true"], &target, 1).await;
        assert_eq!(
            (r.status, r.attempts, r.exit_code),
            (HostStatus::Unreachable, 2, Some(255))
        );
        assert!(r.message.unwrap().starts_with("unreachable"));
        assert_eq!(events.iter().filter(|n| **n == "host_retry").count(), 1);
    }
}
