//! The executor's tasks: workers (claim and run jobs), housekeeping (heartbeat, recovery,
//! cancel requests), notices from other executors, and the event writer.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use uuid::Uuid;

use super::job_handle::{JobEnd, JobHandle, StopReason};
use super::Inner;
use crate::error::{Result, RunnerError};
use crate::host::Target;
use crate::job::{job_status_from, EventKind, HostResult, HostStatus, JobStatus};
use crate::runner::{self, HostAction, HostCheck, Plan, RunContext};
use crate::store::{Heard, Notice, Store};

const LEASE_LOST: &str = "this worker could not renew its lease (store unreachable) and \
     stopped the job's checks; it may run again elsewhere";

/// A store that failed is retried after this long.
const STORE_RETRY: Duration = Duration::from_secs(1);

pub fn panic_message(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

fn stopping(inner: &Inner) -> bool {
    inner.closed.load(Ordering::Acquire) && !inner.draining.load(Ordering::Acquire)
}

/// Whether waiting a few ms to share a write with other jobs pays (claims, results, ends):
/// on a shared store each write is a round trip to a server that other processes load too;
/// an embedded store writes locally and waits for nothing.
pub(super) fn batches_across_jobs(store: &dyn Store) -> bool {
    store.backend() == "postgresql"
}

/// How long a worker with some of its slots busy waits, on PostgreSQL, for more of them to
/// free before it claims: jobs claimed together start together, end at about the same time
/// and are then stored (results, ends) and claimed again in shared statements, where jobs
/// that drifted apart would cost a statement each. An idle worker claims at once.
const CLAIM_GATHER: Duration = Duration::from_millis(10);

/// Claims jobs from the store and runs each in a task of its own, at most `workers` at
/// once, until the executor closes (and, when draining, until the queue is empty). With
/// several slots free it claims that many jobs in one write (slots freed together, by job
/// ends stored together, are claimed together). Idle, it sleeps until woken or
/// `poll_interval` passes. Returns once every job it started has ended.
pub(super) async fn claimer(inner: Arc<Inner>) {
    let slots = Arc::new(Semaphore::new(inner.config.workers));
    let mut running = JoinSet::new();
    let gather = batches_across_jobs(inner.store.as_ref());
    loop {
        while running.try_join_next().is_some() {}
        if stopping(&inner) {
            break;
        }
        let Ok(first) = slots.clone().acquire_owned().await else {
            break;
        };
        // Jobs ending in the same write free their slots at about the same moment; on a
        // shared store, slots freed within CLAIM_GATHER are claimed together too.
        tokio::task::yield_now().await;
        let mut free = vec![first];
        let until = tokio::time::Instant::now() + CLAIM_GATHER;
        loop {
            while let Ok(more) = slots.clone().try_acquire_owned() {
                free.push(more);
            }
            if !gather || free.len() >= inner.config.workers {
                break;
            }
            match tokio::time::timeout_at(until, slots.clone().acquire_owned()).await {
                Ok(Ok(more)) => free.push(more),
                _ => break,
            }
        }
        if stopping(&inner) {
            break;
        }
        let wake = inner.wake.notified();
        let sent = inner.epoch.elapsed();
        let claimed = inner
            .store
            .claim_jobs(&inner.worker_id, free.len(), inner.config.stale_after)
            .await;
        match claimed {
            Ok(claimed) if !claimed.jobs.is_empty() => {
                if claimed.lease_renewed {
                    inner.lease_renewed(sent);
                }
                let group = EndGroup::new(claimed.jobs.len(), gather);
                for rec in claimed.jobs {
                    log_claim(&inner, &rec);
                    let (inner, slot, group) = (inner.clone(), free.pop(), group.clone());
                    running.spawn(async move {
                        run_claimed(&inner, rec, &group).await;
                        drop(slot);
                    });
                }
            }
            Ok(_) if inner.closed.load(Ordering::Acquire) => break,
            Ok(claimed) => {
                if claimed.lease_renewed {
                    inner.lease_renewed(sent);
                }
                drop(free);
                tokio::select! {
                    _ = wake => {}
                    _ = tokio::time::sleep(inner.config.poll_interval) => {}
                }
            }
            Err(e) => {
                drop(free);
                inner.counters.store_error();
                let fields = [("operation", "claim".into())];
                log(
                    &inner,
                    "store_error",
                    &format!("cannot claim a job: {e}"),
                    &fields,
                );
                tokio::time::sleep(STORE_RETRY).await
            }
        }
    }
    while running.join_next().await.is_some() {}
}

/// Counts a claim, and logs it where the operator asked for structured lines (a collector
/// reads them; text lines stay for what is rare).
fn log_claim(inner: &Inner, rec: &crate::store::JobRecord) {
    let waited = rec.started_at.unwrap_or_else(chrono::Utc::now) - rec.created_at;
    inner.counters.claimed(waited);
    if crate::oplog::format() != crate::oplog::LogFormat::Json {
        return;
    }
    let what = format!("claimed job {} (attempt {})", rec.id, rec.attempt);
    let fields = [
        ("job", rec.id.to_string().into()),
        ("attempt", rec.attempt.into()),
        (
            "queue_wait_seconds",
            (waited.num_milliseconds() as f64 / 1000.0).into(),
        ),
    ];
    log(inner, "claim", &what, &fields);
}

/// How long, at most, a job that ends waits for the others claimed with it to end too (on
/// a shared store): ending together, they are stored in one write, their slots free
/// together and are claimed again in one write, so the jobs of a claim stay together
/// instead of drifting apart by their start-up jitter into a write and a claim each.
/// A job whose group-mates run longer waits this long once.
const GROUP_WAIT: Duration = Duration::from_millis(50);

/// The jobs one claim took (see [`GROUP_WAIT`]): how many, and how many have ended.
#[derive(Clone)]
struct EndGroup {
    size: usize,
    ended: Arc<tokio::sync::watch::Sender<usize>>,
    /// Whether ends wait for each other (a shared store).
    wait: bool,
}

impl EndGroup {
    fn new(size: usize, wait: bool) -> Self {
        EndGroup {
            size,
            ended: Arc::new(tokio::sync::watch::channel(0).0),
            wait,
        }
    }

    /// This job ended: when `wait` (it ran to its end), waits for the rest of its group to
    /// end, at most GROUP_WAIT.
    async fn arrive(&self, wait: bool) {
        self.ended.send_modify(|n| *n += 1);
        if !(self.wait && wait) {
            return;
        }
        let mut all = self.ended.subscribe();
        let size = self.size;
        let _ = tokio::time::timeout(GROUP_WAIT, all.wait_for(|n| *n >= size)).await;
    }
}

async fn run_claimed(inner: &Arc<Inner>, rec: crate::store::JobRecord, group: &EndGroup) {
    let id = rec.id;
    let (attempt, worker, started_at) = (rec.attempt, rec.worker.clone(), rec.started_at);
    // Streamed elsewhere already: its events are stored as they come.
    let hold = batches_across_jobs(inner.store.as_ref()) && !rec.watched;
    let existing = inner.live().get(&id).cloned();
    let job = match existing {
        Some(j) => j,
        None => {
            // Submitted as a view, by another executor, or before a restart: its history
            // starts with what is stored (`queued`, earlier attempts: a first attempt has
            // `queued` only, not read back), and it is counted as it was (pending) so that
            // `start` moves it to running.
            let stored = match attempt {
                1 => vec![crate::store::queued(&rec)],
                _ => inner.store.events(id, 0).await.unwrap_or_default(),
            };
            let mut rec = rec;
            rec.status = JobStatus::Pending;
            let j = inner.new_handle(rec);
            j.seed_events(stored);
            inner.live.insert(j.clone());
            j
        }
    };
    job.hold_writes(hold);
    if job.start(attempt, worker, started_at).await {
        let ctx = inner.run_ctx.clone();
        let run = AssertUnwindSafe(run_job(&job, ctx)).catch_unwind().await;
        let (status, error) = match run {
            Ok(outcome) => outcome,
            // A bug must not take the worker (or Python) down: the job records it.
            Err(p) => (
                JobStatus::Error,
                Some(format!("internal error: {}", panic_message(&*p))),
            ),
        };
        // A stopped job (canceled, timed out, lease lost) ends at once.
        group.arrive(job.stop_reason().is_none()).await;
        finish(inner, &job, status, error).await;
    } else {
        group.arrive(false).await;
    }
    inner.live.remove(id);
}

/// Stores the terminal status with its `finished` event (and, on PostgreSQL, the notice to
/// other processes), then announces it; retries while the store is down.
async fn finish(inner: &Inner, job: &JobHandle, status: JobStatus, error: Option<String>) {
    let attempt = job.attempt();
    let Some(mut end) = job.prepare_finish(status, error) else {
        return; // announced already
    };
    // Announced here only, in the place of the end the store does not hold.
    let unstored = |mut end: crate::job::Event, why: &str| {
        end.kind = EventKind::Finished {
            status: JobStatus::Error,
            error: Some(why.into()),
        };
        end.time = crate::store::now();
        job.announce_finish(end);
    };
    // Told with the end: followers elsewhere (the server's metrics) read nothing back.
    let note = job
        .end_summary(&end)
        .and_then(|s| serde_json::to_string(&s).ok())
        .unwrap_or_default();
    for _ in 0..30 {
        // Stored after everything the attempt emitted, while it still holds the job, so a
        // replay that shows `finished` shows all that came before it.
        match job.store_end(attempt, &end, &note).await {
            Ok(true) => {
                job.announce_finish(end);
                return;
            }
            // No longer ours (recovered and re-queued while we were cut off): say so here
            // only; the store keeps the newer truth.
            Ok(false) => {
                let what = format!(
                    "store: refused the end of job {} (attempt {attempt}): a stale attempt (its job was recovered meanwhile)",
                    job.id
                );
                let fields = [
                    ("job", job.id.to_string().into()),
                    ("attempt", attempt.into()),
                    ("ends", 1.into()),
                ];
                log(inner, "stale_refused", &what, &fields);
                unstored(
                    end,
                    "this executor lost the job (it was recovered by another)",
                );
                return;
            }
            Err(e) => {
                inner.counters.store_error();
                let fields = [
                    ("operation", "finish".into()),
                    ("job", job.id.to_string().into()),
                ];
                log(
                    inner,
                    "store_error",
                    &format!("cannot store the end of job {}: {e}", job.id),
                    &fields,
                );
                tokio::time::sleep(STORE_RETRY).await;
                end.time = crate::store::now();
            }
        }
    }
    unstored(end, "the store could not record the job's end");
}

/// Runs a claimed job and says how it ended.
async fn run_job(job: &Arc<JobHandle>, ctx: Arc<RunContext>) -> (JobStatus, Option<String>) {
    let template = job.template.clone();
    let job_id = job.id.to_string();
    let inventory = job.take_inventory();
    let plan = match runner::plan(
        &template,
        &job.hosts,
        &job.extra_vars,
        inventory,
        &job_id,
        &ctx,
    ) {
        Ok(p) => p,
        Err(why) => return (JobStatus::Error, Some(why.to_string())),
    };
    let (action, targets) = match plan {
        Plan::PerHost { action, targets } => (Arc::new(action), Arc::new(targets)),
        Plan::Ansible(plan) => return run_ansible(job, &plan, &ctx).await,
    };
    let n = job.hosts.len();
    let next = Arc::new(AtomicUsize::new(0));
    let lanes = (template.forks as usize).min(n);
    let mut set = JoinSet::new();
    for _ in 0..lanes {
        let (job, next, ctx) = (job.clone(), next.clone(), ctx.clone());
        set.spawn(lane(job, next, action.clone(), targets.clone(), ctx));
    }
    let mut store_error = None;
    let timeout = tokio::time::sleep(Duration::from_secs(u64::from(template.timeout)));
    tokio::pin!(timeout);
    loop {
        tokio::select! {
            joined = set.join_next() => match joined {
                None => break,
                Some(Ok(Err(e))) => store_error = Some(e.to_string()),
                Some(_) => {}
            },
            _ = &mut timeout, if job.stop_reason().is_none() => {
                // Lanes kill their checks and record them; keep joining so nothing is left.
                job.stop(StopReason::Timeout);
            }
        }
    }
    // Hosts no lane reached.
    let started = next.load(Ordering::Acquire).min(n);
    outcome(job, started, store_error).await
}

/// Records hosts from `started` on as never run (when the job was stopped) and says how
/// the job ended.
async fn outcome(
    job: &Arc<JobHandle>,
    started: usize,
    mut store_error: Option<String>,
) -> (JobStatus, Option<String>) {
    let template = &job.template;
    let stop = job.stop_reason();
    let (not_run_status, why) = match stop {
        Some(StopReason::Timeout) => (HostStatus::Timeout, "not started: the job timed out"),
        Some(StopReason::LeaseLost) => (
            HostStatus::Canceled,
            "not started: this worker lost its lease",
        ),
        _ => (HostStatus::Canceled, "not started: the job was canceled"),
    };
    if stop.is_some() {
        for host in &job.hosts[started..] {
            if let Err(e) = job
                .record(HostResult::not_run(host, not_run_status, why))
                .await
            {
                store_error = Some(e.to_string());
            }
        }
    }
    if let Some(e) = store_error {
        return (
            JobStatus::Error,
            Some(format!("results could not be stored: {e}")),
        );
    }
    match stop {
        Some(StopReason::Timeout) => (
            JobStatus::Timeout,
            Some(format!("timed out after {} s", template.timeout)),
        ),
        Some(StopReason::Canceled) => (JobStatus::Canceled, Some("canceled".into())),
        Some(StopReason::LeaseLost) => (JobStatus::Error, Some(LEASE_LOST.into())),
        None => {
            let results = job.results();
            let status = job_status_from(&results);
            let error = (status == JobStatus::Error).then(|| summary(&results));
            (status, error)
        }
    }
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

/// Host results a lane may have on their way to the store while it checks further hosts.
const RECORDS_IN_FLIGHT: usize = 16;

/// Stores and announces a lane's results in the background, so that the lane checks its
/// next host while the previous result is written (a durable store's write takes as long
/// as a quick check). Each result is still stored before it is announced, and the lane
/// ends only once all of them are.
struct Recorder {
    job: Arc<JobHandle>,
    in_flight: JoinSet<Result<()>>,
}

impl Recorder {
    async fn record(&mut self, result: HostResult) -> Result<()> {
        while let Some(done) = self.in_flight.try_join_next() {
            flatten(done)?;
        }
        if self.in_flight.len() >= RECORDS_IN_FLIGHT {
            if let Some(done) = self.in_flight.join_next().await {
                flatten(done)?;
            }
        }
        let job = self.job.clone();
        self.in_flight
            .spawn(async move { job.record(result).await });
        Ok(())
    }

    /// Waits until every result is stored; the first error, if any.
    async fn finish(mut self) -> Result<()> {
        let mut first = Ok(());
        while let Some(done) = self.in_flight.join_next().await {
            if let Err(e) = flatten(done) {
                first = first.and(Err(e));
            }
        }
        first
    }
}

fn flatten(done: std::result::Result<Result<()>, tokio::task::JoinError>) -> Result<()> {
    done.map_err(|e| crate::error::Error::Internal(format!("storing a host result: {e}")))?
}

/// Takes hosts one at a time until none are left or the job is stopped: `forks` lanes
/// give at most `forks` checks at once without a semaphore.
async fn lane(
    job: Arc<JobHandle>,
    next: Arc<AtomicUsize>,
    action: Arc<HostAction>,
    targets: Arc<Vec<std::result::Result<Target, RunnerError>>>,
    ctx: Arc<RunContext>,
) -> Result<()> {
    let mut recorder = Recorder {
        job: job.clone(),
        in_flight: JoinSet::new(),
    };
    let checked = check_hosts(&job, &next, &action, &targets, &ctx, &mut recorder).await;
    let stored = recorder.finish().await;
    checked.and(stored)
}

async fn check_hosts(
    job: &Arc<JobHandle>,
    next: &AtomicUsize,
    action: &HostAction,
    targets: &[std::result::Result<Target, RunnerError>],
    ctx: &RunContext,
    recorder: &mut Recorder,
) -> Result<()> {
    let token = job.cancel_token().clone();
    loop {
        if token.is_cancelled() {
            return Ok(());
        }
        let i = next.fetch_add(1, Ordering::AcqRel);
        let Some(host) = job.hosts.get(i) else {
            return Ok(());
        };
        let target = match targets.get(i) {
            Some(Ok(t)) => t,
            Some(Err(why)) => {
                recorder.record(runner::invalid_target(host, why)).await?;
                continue;
            }
            None => return Ok(()),
        };
        let check = HostCheck {
            action,
            host,
            target,
            retries: job.template.retries,
            retry_backoff: job.template.retry_backoff,
            connect_timeout: job.template.connect_timeout,
            ctx,
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
        recorder.record(result.bounded(ctx.tail_bytes)).await?;
    }
}

/// A per-job (ansible-playbook) run: one process for all hosts, bounded by the timeout.
async fn run_ansible(
    job: &Arc<JobHandle>,
    plan: &runner::ansible::AnsiblePlan,
    ctx: &RunContext,
) -> (JobStatus, Option<String>) {
    let token = job.cancel_token().clone();
    let emit = |kind: EventKind| job.emit(kind);
    let run = runner::ansible::run_playbook(plan, &job.hosts, ctx, &token, &emit);
    let timeout = Duration::from_secs(u64::from(job.template.timeout));
    let results = tokio::select! {
        r = run => r,
        _ = tokio::time::sleep(timeout) => {
            // The run future was dropped: its process group is killed by the drop guard.
            job.stop(StopReason::Timeout);
            job.hosts
                .iter()
                .map(|h| HostResult::not_run(h, HostStatus::Timeout, "killed: the job timed out"))
                .collect()
        }
    };
    let stop = job.stop_reason();
    let mut store_error = None;
    for mut r in results {
        if r.status == HostStatus::Canceled && stop == Some(StopReason::Timeout) {
            r.status = HostStatus::Timeout;
        }
        if let Err(e) = job.record(r.bounded(ctx.tail_bytes)).await {
            store_error = Some(e.to_string());
        }
    }
    outcome(job, job.hosts.len(), store_error).await
}

/// Recovers running jobs of executors that stopped heartbeating.
pub(super) async fn recover(inner: &Inner) -> Result<()> {
    let stale_before = chrono::Utc::now()
        - chrono::Duration::from_std(inner.config.stale_after)
            .unwrap_or(chrono::Duration::seconds(30));
    let recovered = inner
        .store
        .recover(
            stale_before,
            inner.config.recovery,
            inner.config.max_attempts,
        )
        .await
        .inspect_err(|_| inner.counters.store_error())?;
    let requeued = recovered
        .iter()
        .filter(|(_, s)| *s == JobStatus::Pending)
        .count();
    inner
        .counters
        .recovered(requeued, recovered.len() - requeued);
    for (id, status) in &recovered {
        let (event, what) = match status {
            JobStatus::Pending => ("requeue", "re-queued"),
            _ => ("interrupted", "ended error (interrupted)"),
        };
        let what = format!("recovered job {id} of a dead worker: {what}");
        let fields = [("job", id.to_string().into())];
        log(inner, event, &what, &fields);
    }
    if requeued > 0 {
        inner.wake.notify_waiters();
    }
    for (id, status) in &recovered {
        if status.is_terminal() {
            inner.live.ended(JobEnd {
                id: *id,
                summary: None,
            });
            let _ = inner.store.notify(Notice::Finished, *id).await;
        } else {
            // Idle workers of other executors take it now, not at their next idle look
            // (`poll_interval`): the recovering executor may run no workers (an API server).
            let _ = inner.store.notify(Notice::Queued, *id).await;
        }
    }
    Ok(())
}

/// Every heartbeat interval: heartbeat, recover dead executors' jobs, pick up cancel
/// requests for jobs running here, and refresh counts a shared store changes.
pub(super) async fn housekeeping(inner: Weak<Inner>) {
    loop {
        let Some(interval) = inner.upgrade().map(|i| i.config.heartbeat_interval) else {
            return;
        };
        tokio::time::sleep(interval).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        if let Err(e) = inner.renew_lease().await {
            inner.counters.store_error();
            let fields = [("operation", "heartbeat".into())];
            log(
                &inner,
                "store_error",
                &format!("cannot renew the lease: {e}"),
                &fields,
            );
        }
        if let Err(e) = recover(&inner).await {
            let fields = [("operation", "recover".into())];
            log(
                &inner,
                "store_error",
                &format!("cannot recover jobs of dead workers: {e}"),
                &fields,
            );
        }
        if let Ok(ids) = inner.store.cancel_requests(&inner.worker_id).await {
            stop_local(&inner, &ids);
        }
        if inner.store.backend() != "memory" {
            // Other processes may share the store: take its counts as the truth.
            let _ = inner.refresh_counts().await;
        }
    }
}

/// A worker's log line on stderr (see [`crate::oplog`]): what happened, with fields.
pub(super) fn log(inner: &Inner, event: &str, what: &str, fields: &[(&str, serde_json::Value)]) {
    crate::oplog::log(event, Some(&inner.worker_id), what, fields);
}

/// Stops this executor's running jobs before its lease runs out when it cannot renew it
/// (store unreachable): by then another executor may take them, and the same checks must
/// not run twice at once. Judged by this process's own clock, with a margin of one
/// heartbeat (at least a fifth of the lease) for the time the renewal took to arrive.
pub(super) async fn lease_guard(inner: Weak<Inner>) {
    let mut lost = false;
    loop {
        let Some(every) = inner
            .upgrade()
            .map(|i| (i.config.heartbeat_interval / 2).min(Duration::from_secs(1)))
        else {
            return;
        };
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let lease = inner.config.stale_after;
        let margin = inner.config.heartbeat_interval.max(lease / 5);
        let age = inner.lease_age();
        if age + margin < lease {
            if lost {
                log(&inner, "lease_renewed", "lease renewed", &[]);
                lost = false;
            }
            continue;
        }
        let running: Vec<_> = inner
            .live()
            .values()
            .filter(|j| j.status() == JobStatus::Running && j.stop_reason().is_none())
            .cloned()
            .collect();
        if !lost || !running.is_empty() {
            let what = format!(
                "lease not renewed for {:.1} s (lease {:.1} s): stopping {} running job(s)",
                age.as_secs_f64(),
                lease.as_secs_f64(),
                running.len()
            );
            let jobs: Vec<serde_json::Value> =
                running.iter().map(|j| j.id.to_string().into()).collect();
            let fields = [
                ("lease_age_seconds", age.as_secs_f64().into()),
                ("lease_seconds", lease.as_secs_f64().into()),
                ("jobs", jobs.into()),
            ];
            log(&inner, "lease_lost", &what, &fields);
        }
        lost = true;
        inner.counters.lease_lost(running.len());
        for job in running {
            job.stop(StopReason::LeaseLost);
        }
    }
}

fn stop_local(inner: &Inner, ids: &[Uuid]) {
    let live = inner.live();
    for id in ids {
        if let Some(j) = live.get(id) {
            if j.status() == JobStatus::Running {
                j.stop(StopReason::Canceled);
            }
        }
    }
}

/// Notices from other executors sharing the store: new jobs wake a worker, cancel
/// requests stop the job when it runs here.
pub(super) async fn notices(inner: Weak<Inner>, mut rx: mpsc::Receiver<Heard>) {
    while let Some((notice, id, note)) = rx.recv().await {
        let Some(inner) = inner.upgrade() else {
            return;
        };
        match notice {
            Notice::Queued => {
                inner.wake.notify_one();
                inner.live.events_stored(id); // its `queued` event, stored with the notice
            }
            Notice::Cancel => stop_local(&inner, &[id]),
            Notice::Finished => inner.live.ended(JobEnd::heard(id, &note)),
            Notice::Events => inner.live.events_stored(id),
            Notice::Watched => {
                if let Some(job) = inner.live().get(&id) {
                    job.release_writes();
                }
            }
        }
    }
}
