//! Workers and the run of one job: fan-out over hosts, timeout, cancellation, panics.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::task::JoinSet;

use super::job_handle::{JobHandle, StopReason};
use super::Inner;
use crate::host::Target;
use crate::job::{job_status_from, EventKind, HostResult, HostStatus, JobStatus};
use crate::runner::{self, HostAction, HostCheck, Plan, RunContext};

pub fn panic_message(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// One worker: takes queued jobs until the queue is closed and empty.
pub(super) async fn worker(inner: Arc<Inner>) {
    while let Ok(job) = inner.queue_rx.recv().await {
        if !job.start() {
            continue; // canceled while it waited
        }
        let ctx = inner.run_ctx.clone();
        let run = AssertUnwindSafe(run_job(&job, ctx)).catch_unwind().await;
        if let Err(p) = run {
            // A bug must not take the worker (or Python) down: the job records it.
            job.finish(
                JobStatus::Error,
                Some(format!("internal error: {}", panic_message(&*p))),
            );
        }
    }
}

async fn run_job(job: &Arc<JobHandle>, ctx: Arc<RunContext>) {
    let template = job.template.clone();
    let job_id = job.id.to_string();
    let plan = match runner::plan(&template, &job.hosts, &job.extra_vars, &job_id, &ctx) {
        Ok(p) => p,
        Err(why) => {
            job.finish(JobStatus::Error, Some(why));
            return;
        }
    };
    let (action, targets) = match plan {
        Plan::PerHost { action, targets } => (Arc::new(action), Arc::new(targets)),
        Plan::Ansible(plan) => {
            run_ansible(job, &plan, &ctx).await;
            return;
        }
    };
    let n = job.hosts.len();
    let next = Arc::new(AtomicUsize::new(0));
    let lanes = (template.forks as usize).min(n);
    let mut set = JoinSet::new();
    for _ in 0..lanes {
        let (job, next, ctx) = (job.clone(), next.clone(), ctx.clone());
        set.spawn(lane(job, next, action.clone(), targets.clone(), ctx));
    }
    let all_done = async { while set.join_next().await.is_some() {} };
    let timeout = Duration::from_secs(u64::from(template.timeout));
    let timed_out = tokio::select! {
        _ = all_done => false,
        _ = tokio::time::sleep(timeout) => true,
    };
    if timed_out {
        job.stop(StopReason::Timeout);
        // Lanes kill their checks and record them; wait for that so nothing is left behind.
        while set.join_next().await.is_some() {}
    }
    // Hosts no lane reached.
    let started = next.load(Ordering::Acquire).min(n);
    finish_job(job, started);
}

/// Records hosts from `started` on as never run (when the job was stopped), then moves
/// the job to its final status.
fn finish_job(job: &Arc<JobHandle>, started: usize) {
    let template = &job.template;
    let stop = job.stop_reason();
    let (not_run_status, why) = match stop {
        Some(StopReason::Timeout) => (HostStatus::Timeout, "not started: the job timed out"),
        _ => (HostStatus::Canceled, "not started: the job was canceled"),
    };
    for host in &job.hosts[started..] {
        job.record(HostResult::not_run(host, not_run_status, why));
    }
    let (status, error) = match stop {
        Some(StopReason::Timeout) => (
            JobStatus::Timeout,
            Some(format!("timed out after {} s", template.timeout)),
        ),
        Some(StopReason::Canceled) => (JobStatus::Canceled, Some("canceled".into())),
        None => {
            let results = job.results();
            let status = job_status_from(&results);
            let error = match status {
                JobStatus::Error => Some(summary(&results)),
                _ => None,
            };
            (status, error)
        }
    };
    job.finish(status, error);
}

fn summary(results: &[HostResult]) -> String {
    let bad: Vec<_> = results
        .iter()
        .filter(|r| r.status != HostStatus::Passed && r.status != HostStatus::Skipped)
        .collect();
    let first = bad
        .first()
        .map(|r| {
            format!(
                " (first: {}: {})",
                r.host,
                r.message.as_deref().unwrap_or(r.status.as_str())
            )
        })
        .unwrap_or_default();
    format!(
        "{} of {} hosts could not be checked{first}",
        bad.len(),
        results.len()
    )
}

/// Takes hosts one at a time until none are left or the job is stopped: `forks` lanes
/// give at most `forks` checks at once without a semaphore.
async fn lane(
    job: Arc<JobHandle>,
    next: Arc<AtomicUsize>,
    action: Arc<HostAction>,
    targets: Arc<Vec<Result<Target, String>>>,
    ctx: Arc<RunContext>,
) {
    let token = job.cancel_token().clone();
    loop {
        if token.is_cancelled() {
            return;
        }
        let i = next.fetch_add(1, Ordering::AcqRel);
        let Some(host) = job.hosts.get(i) else {
            return;
        };
        let target = match targets.get(i) {
            Some(Ok(t)) => t,
            Some(Err(why)) => {
                finished(&job, runner::invalid_target(host, why));
                continue;
            }
            None => return,
        };
        let check = HostCheck {
            action: &action,
            host,
            target,
            retries: job.template.retries,
            retry_backoff: job.template.retry_backoff,
            connect_timeout: job.template.connect_timeout,
            ctx: &ctx,
        };
        let emit = |kind: EventKind| job.emit(kind);
        let run = AssertUnwindSafe(runner::run_host(&check, &token, &emit))
            .catch_unwind()
            .await;
        let mut result = run.unwrap_or_else(|p| {
            let mut r = HostResult::not_run(host, HostStatus::Error, "");
            r.message = Some(format!("internal error: {}", panic_message(&*p)));
            r
        });
        if result.status == HostStatus::Canceled && job.stop_reason() == Some(StopReason::Timeout) {
            result.status = HostStatus::Timeout;
            result.message = Some("killed: the job timed out".into());
        }
        finished(&job, result);
    }
}

/// Announces and records one host's result.
fn finished(job: &JobHandle, result: HostResult) {
    job.emit(EventKind::HostFinished {
        host: result.host.clone(),
        status: result.status,
        exit_code: result.exit_code,
        duration: result.duration,
    });
    job.record(result);
}

/// A per-job (ansible-playbook) run: one process for all hosts, bounded by the timeout.
async fn run_ansible(job: &Arc<JobHandle>, plan: &runner::ansible::AnsiblePlan, ctx: &RunContext) {
    let token = job.cancel_token().clone();
    let emit = |kind: EventKind| job.emit(kind);
    let run = runner::ansible::run_playbook(plan, &job.hosts, ctx, &token, &emit);
    let timeout = Duration::from_secs(u64::from(job.template.timeout));
    let results = tokio::select! {
        r = run => Some(r),
        _ = tokio::time::sleep(timeout) => None,
    };
    let results = match results {
        Some(r) => r,
        None => {
            // The run future was dropped: its process group is killed by the drop guard.
            job.stop(StopReason::Timeout);
            job.hosts
                .iter()
                .map(|h| HostResult::not_run(h, HostStatus::Timeout, "killed: the job timed out"))
                .collect()
        }
    };
    let stop = job.stop_reason();
    for mut r in results {
        if r.status == HostStatus::Canceled && stop == Some(StopReason::Timeout) {
            r.status = HostStatus::Timeout;
        }
        finished(job, r);
    }
    finish_job(job, job.hosts.len());
}
