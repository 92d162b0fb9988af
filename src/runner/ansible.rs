//! The `ansible` runner: one `ansible-playbook` per job over all its hosts (not one per
//! host), its results read from our own stdout callback (`airs_json_callback.py`) into
//! per-host results with task-level detail. Unreachable hosts are retried (the template's
//! `retries`) by running the playbook again limited to them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Map, Value};
use tokio_util::sync::CancellationToken;

use super::{process, retry_delay, Emit, RunContext};
use crate::error::RunnerError;
use crate::host::{target_for, Target};
use crate::inventory::Inventory;
use crate::job::{EventKind, HostResult, HostStatus, Stream, TaskResult, TaskStatus};
use crate::template::{JobType, Template};

const CALLBACK: &str = include_str!("airs_json_callback.py");
const CALLBACK_NAME: &str = "airs_json";
/// Largest results file read.
const RESULTS_MAX_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug)]
pub struct AnsiblePlan {
    program: PathBuf,
    dir: PathBuf,
    playbook: String,
    /// The inventory given to ansible-playbook (the template's, or one we wrote).
    inventory: String,
    /// Inventory host name → job host (they differ when we wrote the inventory).
    names: Vec<(String, String)>,
    /// Job hosts whose target could not be worked out, with why.
    invalid: Vec<(String, RunnerError)>,
    base_args: Vec<String>,
    env: Vec<(String, String)>,
    retries: u32,
    retry_backoff: f64,
}

/// A name usable as an inventory host name as it is.
fn plain_name(h: &str) -> bool {
    !h.is_empty()
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// A path that cannot be read as an option.
pub(crate) fn not_an_option(p: &str) -> String {
    if p.starts_with('-') {
        format!("./{p}")
    } else {
        p.to_string()
    }
}

fn write(path: &std::path::Path, text: &str) -> Result<(), RunnerError> {
    std::fs::write(path, text).map_err(|e| RunnerError::file("write", path, e))
}

impl AnsiblePlan {
    pub fn new(
        template: &Template,
        playbook: &str,
        hosts: &[String],
        extra_vars: &Map<String, Value>,
        inventory: Option<&Inventory>,
        job_id: &str,
        ctx: &RunContext,
    ) -> Result<Self, RunnerError> {
        let program = ctx
            .find_tool("ansible-playbook")
            .ok_or(RunnerError::ToolMissing {
                program: "ansible-playbook",
                hint: " (pip install ansible-core) or not on PATH",
            })?;
        let dir = ctx.runtime.path().join(format!("ansible-{job_id}"));
        let plugins = dir.join("callback_plugins");
        std::fs::create_dir_all(&plugins).map_err(|e| RunnerError::file("create", &plugins, e))?;
        std::fs::create_dir_all(dir.join("tmp"))
            .map_err(|e| RunnerError::file("create", &dir, e))?;
        write(&plugins.join(format!("{CALLBACK_NAME}.py")), CALLBACK)?;

        let mut names = Vec::new();
        let mut invalid = Vec::new();
        let use_template_inventory = match (inventory, &template.inventory) {
            (Some(inv), Some(_)) => hosts.iter().all(|h| inv.contains_host(h)),
            _ => false,
        };
        let inventory_arg = if use_template_inventory {
            names = hosts.iter().map(|h| (h.clone(), h.clone())).collect();
            template.inventory.clone().unwrap_or_default()
        } else {
            // Our own inventory: each job host with the connection we worked out for it.
            let mut inv_hosts = Map::new();
            for (i, h) in hosts.iter().enumerate() {
                let vars = inventory.and_then(|inv| inv.vars_for(h));
                let target = match target_for(h, vars.as_ref(), template.connection) {
                    Ok(Target::Fixture(_)) => {
                        invalid.push((h.clone(), RunnerError::FixtureNativeOnly));
                        continue;
                    }
                    Ok(t) => t,
                    Err(e) => {
                        invalid.push((h.clone(), RunnerError::BadHost(e)));
                        continue;
                    }
                };
                let name = if plain_name(h) {
                    h.clone()
                } else {
                    format!("host_{i}")
                };
                let mut v = vars.unwrap_or_default();
                match target {
                    // Refused above.
                    Target::Fixture(_) => {}
                    Target::Local => {
                        v.insert("ansible_connection".into(), json!("local"));
                        v.insert(
                            "ansible_python_interpreter".into(),
                            json!("{{ ansible_playbook_python }}"),
                        );
                    }
                    Target::Ssh(t) => {
                        v.insert("ansible_connection".into(), json!("ssh"));
                        v.insert("ansible_host".into(), json!(t.host));
                        if let Some(p) = t.port {
                            v.insert("ansible_port".into(), json!(p));
                        }
                        if let Some(u) = t.user {
                            v.insert("ansible_user".into(), json!(u));
                        }
                        if let Some(k) = t.identity_file.or(ctx.ssh.identity_file.clone()) {
                            v.insert("ansible_ssh_private_key_file".into(), json!(k));
                        }
                    }
                }
                inv_hosts.insert(name.clone(), Value::Object(v));
                names.push((name, h.clone()));
            }
            let doc = json!({"all": {"hosts": inv_hosts}});
            let f = dir.join("inventory.json");
            write(&f, &doc.to_string())?;
            f.display().to_string()
        };

        let mut base_args = vec![
            program.display().to_string(),
            "-i".into(),
            inventory_arg.clone(),
        ];
        for (flag, tags) in [
            ("--tags", &template.tags),
            ("--skip-tags", &template.skip_tags),
        ] {
            if !tags.is_empty() {
                base_args.extend([flag.to_string(), tags.join(",")]);
            }
        }
        base_args.extend(["--forks".into(), template.forks.to_string()]);
        if template.job_type == JobType::Check {
            base_args.push("--check".into());
        }
        if !extra_vars.is_empty() {
            // A file, not the argv: extra vars may hold secrets that `ps` would show.
            let f = dir.join("extra_vars.json");
            write(&f, &Value::Object(extra_vars.clone()).to_string())?;
            base_args.extend(["-e".into(), format!("@{}", f.display())]);
        }
        if template.verbosity > 0 {
            base_args.push(format!("-{}", "v".repeat(usize::from(template.verbosity))));
        }

        let mut ssh_args = crate::transport::openssh::common_options(
            &ctx.ssh,
            &ctx.runtime,
            template.connect_timeout,
        );
        // ansible-playbook sets ControlPath itself from its control_path_dir.
        let mut i = 0;
        while i + 1 < ssh_args.len() {
            if ssh_args[i + 1].starts_with("ControlPath=") {
                ssh_args.drain(i..i + 2);
            } else {
                i += 2;
            }
        }
        let cp_dir = ctx.runtime.path().join("cp");
        let env = vec![
            ("ANSIBLE_STDOUT_CALLBACK".into(), CALLBACK_NAME.into()),
            (
                "ANSIBLE_CALLBACK_PLUGINS".into(),
                plugins.display().to_string(),
            ),
            (
                "ANSIBLE_LOCAL_TEMP".into(),
                dir.join("tmp").display().to_string(),
            ),
            ("ANSIBLE_RETRY_FILES_ENABLED".into(), "False".into()),
            ("ANSIBLE_NOCOLOR".into(), "1".into()),
            ("ANSIBLE_DEPRECATION_WARNINGS".into(), "False".into()),
            ("ANSIBLE_PYTHON_INTERPRETER".into(), "auto_silent".into()),
            (
                "ANSIBLE_TIMEOUT".into(),
                template.connect_timeout.to_string(),
            ),
            (
                "ANSIBLE_HOST_KEY_CHECKING".into(),
                if ctx.ssh.host_key_checking == super::HostKeyChecking::No {
                    "False".into()
                } else {
                    "True".into()
                },
            ),
            ("ANSIBLE_SSH_ARGS".into(), ssh_args.join(" ")),
            (
                "ANSIBLE_SSH_CONTROL_PATH_DIR".into(),
                cp_dir.display().to_string(),
            ),
            ("ANSIBLE_SSH_EXECUTABLE".into(), ctx.ssh.program.clone()),
            (
                "AIRS_RESULTS_FILE".into(),
                dir.join("results.json").display().to_string(),
            ),
        ];
        Ok(AnsiblePlan {
            program,
            dir,
            playbook: not_an_option(playbook),
            inventory: inventory_arg,
            names,
            invalid,
            base_args,
            env,
            retries: template.retries,
            retry_backoff: template.retry_backoff,
        })
    }

    /// The argv of one run limited to `limit_file`.
    pub fn argv(&self, limit_file: &std::path::Path) -> Vec<String> {
        let mut a = self.base_args.clone();
        a.extend(["--limit".into(), format!("@{}", limit_file.display())]);
        a.push(self.playbook.clone());
        a
    }

    pub fn program(&self) -> &std::path::Path {
        &self.program
    }

    pub fn inventory(&self) -> &str {
        &self.inventory
    }
}

impl Drop for AnsiblePlan {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn task_status(s: &str) -> TaskStatus {
    match s {
        "changed" => TaskStatus::Changed,
        "failed" => TaskStatus::Failed,
        "unreachable" => TaskStatus::Unreachable,
        "skipped" => TaskStatus::Skipped,
        _ => TaskStatus::Ok,
    }
}

/// Per inventory host: its tasks and its stats line.
type Parsed = HashMap<String, (Vec<TaskResult>, Option<Value>)>;

fn parse_results(text: &str) -> Result<Parsed, RunnerError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| RunnerError::BadOutput(format!("the results file is not JSON: {e}")))?;
    let mut out: Parsed = HashMap::new();
    if let Some(hosts) = doc.get("hosts").and_then(Value::as_object) {
        for (h, tasks) in hosts {
            let list = tasks
                .as_array()
                .map(|ts| {
                    ts.iter()
                        .map(|t| TaskResult {
                            task: t.get("task").and_then(Value::as_str).unwrap_or("").into(),
                            status: task_status(
                                t.get("status").and_then(Value::as_str).unwrap_or(""),
                            ),
                            message: t.get("message").and_then(Value::as_str).map(String::from),
                            duration: t.get("duration").and_then(Value::as_f64).unwrap_or(0.0),
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.entry(h.clone()).or_default().0 = list;
        }
    }
    if let Some(stats) = doc.get("stats").and_then(Value::as_object) {
        for (h, s) in stats {
            out.entry(h.clone()).or_default().1 = Some(s.clone());
        }
    }
    Ok(out)
}

fn stat(s: &Option<Value>, k: &str) -> u64 {
    s.as_ref()
        .and_then(|v| v.get(k))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// One host's status from its tasks and stats.
fn host_status(tasks: &[TaskResult], stats: &Option<Value>) -> (HostStatus, Option<String>) {
    let first = |st: TaskStatus| {
        tasks
            .iter()
            .find(|t| t.status == st)
            .map(|t| format!("{}: {}", t.task, t.message.as_deref().unwrap_or("")))
    };
    if stat(stats, "unreachable") > 0 || tasks.iter().any(|t| t.status == TaskStatus::Unreachable) {
        (HostStatus::Unreachable, first(TaskStatus::Unreachable))
    } else if stat(stats, "failures") > 0 || tasks.iter().any(|t| t.status == TaskStatus::Failed) {
        (HostStatus::Failed, first(TaskStatus::Failed))
    } else if tasks.is_empty() {
        (
            HostStatus::Skipped,
            Some("no task ran on this host (does the play's `hosts:` include it?)".into()),
        )
    } else if tasks.iter().all(|t| t.status == TaskStatus::Skipped) {
        (HostStatus::Skipped, None)
    } else {
        (HostStatus::Passed, None)
    }
}

/// Runs the playbook over the job's hosts; returns one result per job host, in order.
pub async fn run_playbook(
    plan: &AnsiblePlan,
    hosts: &[String],
    ctx: &RunContext,
    cancel: &CancellationToken,
    emit: Emit<'_>,
) -> Vec<HostResult> {
    let started_at = Utc::now();
    let t0 = Instant::now();
    let by_name: HashMap<&str, &str> = plan
        .names
        .iter()
        .map(|(n, h)| (n.as_str(), h.as_str()))
        .collect();
    let mut results: HashMap<String, HostResult> = HashMap::new();
    for (h, why) in &plan.invalid {
        results.insert(h.clone(), super::invalid_target(h, why));
    }
    let mut pending: Vec<(String, String)> = plan.names.clone();
    let mut attempt = 0;
    while !pending.is_empty() {
        attempt += 1;
        for (_, h) in &pending {
            emit(EventKind::HostStarted {
                host: h.clone(),
                attempt,
            });
        }
        let limit = plan.dir.join("limit.txt");
        let list: Vec<&str> = pending.iter().map(|(n, _)| n.as_str()).collect();
        if let Err(e) = write(&limit, &(list.join("\n") + "\n")) {
            for (_, h) in &pending {
                results.insert(h.clone(), super::invalid_target(h, &e));
            }
            break;
        }
        let results_file = plan.dir.join("results.json");
        let _ = std::fs::remove_file(&results_file);
        let on_line = |stream: Stream, line: String| {
            // Progress lines from our callback: airs<TAB>host<TAB>status<TAB>task.
            let mut parts = line.splitn(4, '\t');
            if let (Some("airs"), Some(name), Some(status), Some(task)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            {
                if let Some(h) = by_name.get(name) {
                    emit(EventKind::HostOutput {
                        host: h.to_string(),
                        stream,
                        line: format!("{status}: {task}"),
                    });
                }
            }
        };
        let argv = plan.argv(&limit);
        let run = process::run_with_env(&argv, &plan.env, ctx.tail_bytes, cancel, &on_line).await;
        let (stdout, stderr, exit) = match run {
            Ok(out) => (out.stdout, out.stderr, Some(out.exit)),
            Err(e) => (
                String::new(),
                format!("cannot run ansible-playbook: {e}"),
                None,
            ),
        };
        let killed = matches!(exit, Some(process::Exit::Killed));
        let code = match &exit {
            Some(process::Exit::Exited { code, .. }) => *code,
            _ => None,
        };
        let parsed = if killed {
            Err(RunnerError::Killed)
        } else {
            std::fs::metadata(&results_file)
                .map_err(|_| {
                    RunnerError::BadOutput(format!(
                        "ansible-playbook exited with {} before reporting results: {}",
                        code.map_or("no code".into(), |c| c.to_string()),
                        crate::job::last_line(&stderr)
                    ))
                })
                .and_then(|m| {
                    if m.len() > RESULTS_MAX_BYTES {
                        Err(RunnerError::BadOutput(
                            "results file larger than 256 MiB".into(),
                        ))
                    } else {
                        std::fs::read_to_string(&results_file)
                            .map_err(|e| RunnerError::file("read", &results_file, e))
                    }
                })
                .and_then(|t| parse_results(&t))
        };
        let mut unreachable = Vec::new();
        for (name, h) in &pending {
            let mut r = HostResult::not_run(h, HostStatus::Error, "");
            r.attempts = attempt;
            r.exit_code = code;
            r.stdout = stdout.clone();
            r.stderr = stderr.clone();
            match &parsed {
                Ok(p) => {
                    let (tasks, stats) = p.get(name).cloned().unwrap_or_default();
                    let (status, message) = host_status(&tasks, &stats);
                    r.status = status;
                    r.message = message;
                    r.tasks = tasks;
                    if status == HostStatus::Unreachable {
                        unreachable.push((name.clone(), h.clone()));
                    }
                }
                Err(e) => {
                    r.status = if killed {
                        HostStatus::Canceled
                    } else {
                        HostStatus::Error
                    };
                    r.message = Some(e.to_string());
                }
            }
            results.insert(h.clone(), r);
        }
        if unreachable.is_empty() || attempt > plan.retries || cancel.is_cancelled() {
            break;
        }
        let delay = retry_delay(plan.retry_backoff, attempt);
        for (_, h) in &unreachable {
            emit(EventKind::HostRetry {
                host: h.clone(),
                attempt,
                delay,
                reason: results
                    .get(h)
                    .and_then(|r| r.message.clone())
                    .unwrap_or_else(|| "unreachable".into()),
            });
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs_f64(delay)) => {}
            _ = cancel.cancelled() => break,
        }
        pending = unreachable;
    }
    let finished_at = Utc::now();
    let duration = t0.elapsed().as_secs_f64();
    hosts
        .iter()
        .map(|h| {
            let mut r = results
                .remove(h)
                .unwrap_or_else(|| HostResult::not_run(h, HostStatus::Error, "not run"));
            r.duration = duration;
            r.started_at = Some(started_at);
            r.finished_at = Some(finished_at);
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_map_to_host_status() {
        let text = r#"{"hosts": {
            "a": [{"task": "t1", "status": "ok"}, {"task": "t2", "status": "changed"}],
            "b": [{"task": "t1", "status": "failed", "message": "boom"}],
            "c": [{"task": "Gathering Facts", "status": "unreachable", "message": "ssh: refused"}],
            "d": [{"task": "t1", "status": "skipped"}]},
          "stats": {"a": {"ok": 2, "changed": 1, "failures": 0, "unreachable": 0},
                    "c": {"unreachable": 1}}}"#;
        let p = parse_results(text).unwrap();
        let st = |h: &str| {
            let (t, s) = p.get(h).cloned().unwrap_or_default();
            host_status(&t, &s)
        };
        assert_eq!(st("a").0, HostStatus::Passed);
        assert_eq!(st("b"), (HostStatus::Failed, Some("t1: boom".into())));
        assert_eq!(st("c").0, HostStatus::Unreachable);
        assert_eq!(st("d").0, HostStatus::Skipped);
        assert_eq!(st("zzz").0, HostStatus::Skipped);
        assert_eq!(p["a"].0[1].status, TaskStatus::Changed);
        assert!(parse_results("not json").is_err());
    }

    #[test]
    fn names_and_paths() {
        assert!(plain_name("web-01.example"));
        assert!(!plain_name("ssh://a@b"));
        assert_eq!(not_an_option("-x.yml"), "./-x.yml");
        assert_eq!(not_an_option("site.yml"), "site.yml");
    }
}
