//! Where templates, jobs, per-host results and events are kept: in memory, in an embedded
//! SQLite file, or in PostgreSQL shared by several executors on several machines.
//!
//! The executor writes every state change here before it announces it (event, `wait()`
//! return), so an announcement never describes something a restart would forget.

mod held_conns;
pub mod memory;
pub mod sql;
mod sqlite_writer;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{Result, ValidationError};
use crate::job::{Event, EventKind, HostResult, JobSnapshot, JobStatus};
use crate::template::Template;

pub use memory::MemoryStore;
pub use sql::{SqlStore, WRITE_LINGER};

/// A job as stored: what the API shows plus what the queue needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: Uuid,
    /// The template as it was at submission (later edits do not change a queued job).
    pub template: Arc<Template>,
    pub template_id: Option<Uuid>,
    pub hosts: Vec<String>,
    pub extra_vars: Map<String, Value>,
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub results: Vec<HostResult>,
    pub error: Option<String>,
    /// 1 for the first run; a job re-queued after its worker died runs again as attempt 2…
    pub attempt: u32,
    /// The worker that claimed the current attempt.
    pub worker: Option<String>,
    /// A process streams this job (PostgreSQL's `watched` mark, as a claim read it): its
    /// runner stores what it sends as it comes, not with its end.
    #[serde(skip)]
    pub watched: bool,
}

impl JobRecord {
    /// A new job, pending and never claimed, submitted now.
    pub fn pending(
        template: Arc<Template>,
        template_id: Option<Uuid>,
        hosts: Vec<String>,
        extra_vars: Map<String, Value>,
    ) -> Self {
        JobRecord {
            id: Uuid::new_v4(),
            template,
            template_id,
            hosts,
            extra_vars,
            status: JobStatus::Pending,
            // At the stores' precision: a worker's copy of the `queued` event, made from the
            // stored record, equals the stored event.
            created_at: now(),
            started_at: None,
            finished_at: None,
            results: Vec::new(),
            error: None,
            attempt: 0,
            worker: None,
            watched: false,
        }
    }

    pub fn snapshot(&self) -> JobSnapshot {
        JobSnapshot {
            id: self.id,
            template_id: self.template_id,
            template_name: self.template.name.clone(),
            hosts: self.hosts.clone(),
            extra_vars: self.extra_vars.clone(),
            status: self.status,
            created_at: self.created_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
            results: self.results.clone(),
            error: self.error.clone(),
            attempt: self.attempt,
            worker: self.worker.clone(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    /// A template name or id.
    pub template: Option<String>,
    /// The listing order (ignored by counts).
    pub order: JobOrder,
}

/// The order of a job listing, by submission: newest first unless asked otherwise (what
/// people expect of a job list; Python and REST share this default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JobOrder {
    /// Oldest first ("asc").
    Asc,
    /// Newest first ("desc").
    #[default]
    Desc,
}

impl JobOrder {
    pub const ALL: [JobOrder; 2] = [JobOrder::Asc, JobOrder::Desc];

    pub fn as_str(self) -> &'static str {
        match self {
            JobOrder::Asc => "asc",
            JobOrder::Desc => "desc",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| ValidationError::new("order", "must be \"asc\" or \"desc\""))
    }
}

/// What happens to a job whose worker stopped heartbeating while it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecoveryPolicy {
    /// Run it again while it has attempts left, otherwise `error` (interrupted).
    Requeue,
    /// Mark it `error` with reason `interrupted` at once.
    Fail,
}

impl RecoveryPolicy {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "requeue" => Ok(RecoveryPolicy::Requeue),
            "fail" => Ok(RecoveryPolicy::Fail),
            _ => Err(ValidationError::new(
                "recovery",
                "must be \"requeue\" or \"fail\"",
            )),
        }
    }
}

pub const INTERRUPTED: &str = "interrupted: the worker running this job stopped";

/// A new job's first event, as `submit` stores it.
pub fn queued(rec: &JobRecord) -> Event {
    Event {
        job_id: rec.id,
        seq: 1,
        time: rec.created_at,
        kind: EventKind::Queued,
    }
}

/// The `started` event of `job`'s first attempt, claimed by `worker` at `at`, which the
/// claim stores (seq 2: after `queued`, the only event of a job never claimed).
pub fn first_started(job: Uuid, worker: Option<String>, at: DateTime<Utc>) -> Event {
    Event {
        job_id: job,
        seq: 2,
        time: at,
        kind: EventKind::Started { attempt: 1, worker },
    }
}

/// The status and error a `finished` event ends its job with; an Internal error for another
/// kind of event.
pub(crate) fn end_of(end: &Event) -> Result<(JobStatus, Option<&str>)> {
    match &end.kind {
        EventKind::Finished { status, error } => Ok((*status, error.as_deref())),
        other => Err(crate::error::Error::Internal(format!(
            "a job ends with a finished event, not {}",
            other.name()
        ))),
    }
}

#[async_trait]
pub trait Store: Send + Sync {
    /// "memory", "sqlite" or "postgresql".
    fn backend(&self) -> &'static str;

    async fn create_template(&self, t: &Template) -> Result<()>;
    /// By name, or by id. Shared: every job of a template points at one copy.
    async fn get_template(&self, key: &str) -> Result<Arc<Template>>;
    async fn list_templates(&self) -> Result<Vec<Template>>;
    /// Replaces `old` (matched by id) with `new`; `TemplateExists` when a rename collides.
    async fn replace_template(&self, old: &Template, new: &Template) -> Result<()>;
    async fn delete_template(&self, key: &str) -> Result<()>;

    /// Stores a new pending job with its first events (its `queued` event), so that a
    /// worker claiming it at once finds them and numbers its own events after them.
    /// Admission is atomic: `QueueFull` when `queue_size` jobs are pending already, counted
    /// and inserted under one lock (memory), one write transaction (SQLite: one writer at a
    /// time across processes) or one transaction holding an advisory lock (PostgreSQL: every
    /// executor sharing the database admits through the same lock). Where the store sends
    /// notices, the new job's `queued` notice goes with its insert.
    async fn insert_job(&self, job: &JobRecord, events: &[Event], queue_size: usize) -> Result<()>;
    /// Atomically takes the oldest pending job for `worker` (pending → running, attempt + 1).
    /// A first attempt's `started` event ([`first_started`]) is stored with the claim, in the
    /// same statement or transaction: a never-claimed job's history is its `queued` event
    /// alone ([`queued`]), so its worker reads no history back.
    async fn claim_job(&self, worker: &str) -> Result<Option<JobRecord>>;
    /// Takes up to `n` of the oldest pending jobs for `worker`, each as [`Store::claim_job`]
    /// does (one attempt per job, its `started` event with it), in one write where the store
    /// can (PostgreSQL: one statement, which also renews `worker`'s lease for `lease`, so a
    /// job is never claimed under a lease that ran out meanwhile: [`Claimed::lease_renewed`]).
    async fn claim_jobs(
        &self,
        worker: &str,
        n: usize,
        _lease: std::time::Duration,
    ) -> Result<Claimed> {
        claim_each(self, worker, n).await
    }
    async fn save_host_result(&self, job: Uuid, attempt: u32, result: &HostResult) -> Result<()>;
    /// Ends attempt `attempt` of a running job with `end`, its `finished` event: the job's
    /// status, error and end time are the event's, and the event is stored with them in one
    /// statement or transaction (with a `finished` notice where the store sends notices), so
    /// a stored end always has its event. False, storing nothing, when the job is no longer
    /// that attempt's to end (finished, re-queued after its worker was thought dead).
    /// `note`: what the notice tells followers besides the job (its [`EndSummary`], so
    /// that they read nothing back); ignored where the store sends no notices.
    ///
    /// [`EndSummary`]: crate::executor::EndSummary
    async fn finish_job(&self, attempt: u32, end: &Event, note: &str) -> Result<bool>;
    /// Ends several jobs, each as [`Store::finish_job`] does (fenced by its own attempt), in
    /// one write where the store can (PostgreSQL: one statement, whose `finished` notices
    /// carry several ends each); per end, whether it was stored. `Err` when none could be.
    async fn finish_jobs(&self, ends: &[JobEnding]) -> Result<Vec<bool>> {
        finish_each(self, ends).await
    }
    /// pending → canceled at `at`. False when it was no longer pending.
    async fn cancel_pending(&self, job: Uuid, at: DateTime<Utc>) -> Result<bool>;
    /// Flags a running job for cancellation by whichever worker runs it.
    async fn request_cancel(&self, job: Uuid) -> Result<bool>;
    /// Running jobs of `worker` that were flagged for cancellation.
    async fn cancel_requests(&self, worker: &str) -> Result<Vec<Uuid>>;
    async fn get_job(&self, id: Uuid) -> Result<Option<JobRecord>>;
    /// Jobs by submission, in `filter.order`.
    async fn list_jobs(
        &self,
        filter: &JobFilter,
        limit: Option<usize>,
        offset: usize,
    ) -> Result<Vec<JobRecord>>;
    async fn count_jobs(&self, filter: &JobFilter) -> Result<usize>;
    async fn count_by_status(&self) -> Result<BTreeMap<JobStatus, usize>>;
    /// Counts of the whole store (every executor's jobs) for metrics, in one read: jobs by
    /// status, attempts, re-queues, the oldest pending job, executors with a live lease.
    async fn job_stats(&self) -> Result<JobStats> {
        let mut stats = JobStats::default();
        for (status, n) in self.count_by_status().await? {
            stats.add(status, n, 0, 0, None);
        }
        Ok(stats)
    }
    /// Deletes a finished job with its results and events. `JobNotFinished` otherwise.
    async fn delete_job(&self, id: Uuid) -> Result<()>;

    /// Appends events, keeping at most `keep` per job (the newest). Each is stored only if
    /// its [`Fence`] lets it: a stale attempt's events are refused (and logged), so a job's
    /// stored history never mixes two attempts.
    async fn append_events(&self, events: &[(Event, Fence)], keep: usize) -> Result<()>;
    /// Stores what a process's writer gathered: host results `(job, attempt, result)`, each
    /// only while its attempt holds the job (as [`Store::save_host_result`]), and events (as
    /// [`Store::append_events`]), in one write where the store can (PostgreSQL: one
    /// statement; SQLite: one transaction), so a host's `host_finished` event is stored with
    /// its result. `Err` when they could not be stored.
    async fn store_batch(
        &self,
        results: &[(Uuid, u32, HostResult)],
        events: &[(Event, Fence)],
        keep: usize,
    ) -> Result<()> {
        for (job, attempt, result) in results {
            self.save_host_result(*job, *attempt, result).await?;
        }
        self.append_events(events, keep).await
    }
    /// What a writer's flush stores: [`Store::store_batch`], then [`Store::finish_jobs`] for
    /// `ends` (each end after its job's events and results), in one write where the store
    /// can (PostgreSQL: one statement; an end's events and results are then stored exactly
    /// when the end is). The batch's outcome, and the ends'.
    async fn store_and_finish(
        &self,
        results: &[(Uuid, u32, HostResult)],
        events: &[(Event, Fence)],
        keep: usize,
        ends: &[JobEnding],
    ) -> (Result<()>, Result<Vec<bool>>) {
        store_then_finish(self, results, events, keep, ends).await
    }
    /// A job's stored events with `seq > after`, in order.
    async fn events(&self, job: Uuid, after: u64) -> Result<Vec<Event>>;
    /// The highest stored event seq of a job (0 if none): a re-run continues after it.
    async fn last_event_seq(&self, job: Uuid) -> Result<u64>;

    /// Records that `worker` is alive and holds its jobs for `lease` from now (the length
    /// is stored with the lease, so executors with other settings judge it alike).
    async fn heartbeat(&self, worker: &str, lease: std::time::Duration) -> Result<()>;
    /// Recovers running jobs whose worker's lease ran out (or that have no live worker
    /// row; a row written before leases were stored: heartbeat older than `stale_before`). Returns the jobs and their new status.
    async fn recover(
        &self,
        stale_before: DateTime<Utc>,
        policy: RecoveryPolicy,
        max_attempts: u32,
    ) -> Result<Vec<(Uuid, JobStatus)>>;
    /// Removes `worker`'s row on a clean shutdown.
    async fn retire_worker(&self, worker: &str) -> Result<()>;

    /// Whether the store answers a cheap read now (bounded in time), and the executors
    /// whose lease is live: `/health` asks.
    async fn check(&self) -> Result<Vec<LiveWorker>> {
        Ok(Vec::new())
    }

    /// Tells other executors sharing this store that a job was queued or a cancel was
    /// requested (PostgreSQL NOTIFY); a no-op where the store is not shared.
    async fn notify(&self, _what: Notice, _job: Uuid) -> Result<()> {
        Ok(())
    }
    /// A stream of notices from other executors, where the store is shared.
    async fn listen(&self) -> Result<Option<Listening>> {
        Ok(None)
    }
}

/// [`Store::claim_jobs`] as one [`Store::claim_job`] per job (stores that write one at a
/// time); the lease is left to the heartbeat.
pub(crate) async fn claim_each<S: Store + ?Sized>(
    store: &S,
    worker: &str,
    n: usize,
) -> Result<Claimed> {
    let mut jobs = Vec::new();
    while jobs.len() < n {
        match store.claim_job(worker).await? {
            Some(job) => jobs.push(job),
            None => break,
        }
    }
    Ok(Claimed {
        jobs,
        lease_renewed: false,
    })
}

/// [`Store::finish_jobs`] as one [`Store::finish_job`] per end.
pub(crate) async fn finish_each<S: Store + ?Sized>(
    store: &S,
    ends: &[JobEnding],
) -> Result<Vec<bool>> {
    let mut out = Vec::with_capacity(ends.len());
    for e in ends {
        out.push(store.finish_job(e.attempt, &e.end, &e.note).await?);
    }
    Ok(out)
}

/// [`Store::store_and_finish`] as two writes: the batch, then the ends, which are not
/// tried when the batch failed (it may hold what their jobs sent before them).
pub(crate) async fn store_then_finish<S: Store + ?Sized>(
    store: &S,
    results: &[(Uuid, u32, HostResult)],
    events: &[(Event, Fence)],
    keep: usize,
    ends: &[JobEnding],
) -> (Result<()>, Result<Vec<bool>>) {
    let stored = store.store_batch(results, events, keep).await;
    let ended = match (&stored, ends.is_empty()) {
        (_, true) => Ok(Vec::new()),
        (Err(e), false) => Err(crate::error::StoreError::Database(e.to_string()).into()),
        (Ok(()), false) => store.finish_jobs(ends).await,
    };
    (stored, ended)
}

/// What [`Store::claim_jobs`] took.
#[derive(Debug, Default)]
pub struct Claimed {
    pub jobs: Vec<JobRecord>,
    /// The claim renewed the worker's lease (from the moment it was sent).
    pub lease_renewed: bool,
}

/// One job's end for [`Store::finish_jobs`]: attempt `attempt` ends with `end`, its
/// `finished` event; `note` as for [`Store::finish_job`].
#[derive(Clone, Debug)]
pub struct JobEnding {
    pub attempt: u32,
    pub end: Event,
    pub note: String,
}

/// What [`Store::listen`] gives: the notices heard, and where to say which jobs' `events`
/// notices to hear (those go only to processes that stream the job, see [`EventsWatch`]).
pub struct Listening {
    pub heard: tokio::sync::mpsc::Receiver<Heard>,
    pub watch: tokio::sync::mpsc::UnboundedSender<EventsWatch>,
}

/// A job's `events` notices are sent on a channel of their own, heard only by processes
/// that stream the job, and only once a process marked the job watched in the store (a job
/// nobody streams costs no process a wake-up per batch of its events, and its writes send no
/// notice at all): `Start` when a process's first stream of the job begins (`ready` told once
/// it listens and the job is marked, so that the stream's first read sees what was stored
/// without a notice), `Stop` when its last one ends (the mark stays: another process may
/// stream the job).
pub enum EventsWatch {
    Start(Uuid, tokio::sync::oneshot::Sender<()>),
    Stop(Uuid),
}

/// What [`Store::job_stats`] counts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobStats {
    pub by_status: BTreeMap<JobStatus, usize>,
    /// Attempts of the stored jobs, summed (a job claimed twice counts 2).
    pub attempts: u64,
    /// Times stored jobs were re-queued after their worker died.
    pub requeued: u64,
    /// When the oldest pending job was submitted.
    pub oldest_pending: Option<DateTime<Utc>>,
    /// Executors holding a live lease (where the store keeps leases).
    pub live_workers: usize,
}

impl JobStats {
    /// Adds the `n` jobs in `status` whose attempts sum to `attempts`, `claimed` of them
    /// claimed at least once; `oldest`: the earliest submission among them.
    pub fn add(
        &mut self,
        status: JobStatus,
        n: usize,
        attempts: u64,
        claimed: u64,
        oldest: Option<DateTime<Utc>>,
    ) {
        *self.by_status.entry(status).or_insert(0) += n;
        self.attempts += attempts;
        // A pending job claimed before was re-queued after each claim; any other job after
        // each claim but its last.
        self.requeued += if status == JobStatus::Pending {
            attempts
        } else {
            attempts.saturating_sub(claimed)
        };
        if status == JobStatus::Pending {
            self.oldest_pending = match (self.oldest_pending, oldest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }

    /// Flat, for Python and metrics: one entry per job status (every status, 0 when none),
    /// `attempts`, `requeued`, `live_workers` and `oldest_pending_seconds` (age at `now`, 0
    /// with nothing pending).
    pub fn flat(&self, now: DateTime<Utc>) -> BTreeMap<&'static str, f64> {
        let mut out: BTreeMap<&'static str, f64> = JobStatus::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str(),
                    self.by_status.get(s).copied().unwrap_or(0) as f64,
                )
            })
            .collect();
        out.insert("attempts", self.attempts as f64);
        out.insert("requeued", self.requeued as f64);
        out.insert("live_workers", self.live_workers as f64);
        let age = self
            .oldest_pending
            .map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
        out.insert("oldest_pending_seconds", age);
        out
    }
}

/// Who may store an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fence {
    /// Anyone: a new job's `queued`, the end of a job canceled while pending (nobody runs it).
    Open,
    /// Only attempt `n`, while it holds the job: the job is running that attempt, or (for the
    /// attempt's `finished` event) that attempt stored its end.
    Attempt(u32),
}

impl Fence {
    /// Whether `event` may be stored for a job now at `attempt` in `status`.
    pub fn admits(self, event: &Event, attempt: u32, status: JobStatus) -> bool {
        match self {
            Fence::Open => true,
            Fence::Attempt(n) if n != attempt => false,
            Fence::Attempt(_) => match event.kind {
                EventKind::Finished { .. } => status.is_terminal(),
                _ => status == JobStatus::Running,
            },
        }
    }

    /// [`Fence::admits`] as a SQL condition, for the SQL stores (the memory store asks
    /// `admits`; a test checks the two agree on every input): `job` names the job row,
    /// `attempt` the fence's attempt as stored (-1: open) and `finished` 1 for a `finished`
    /// event (see [`Fence::sql_args`]).
    pub(crate) fn sql(job: &str, attempt: &str, finished: &str) -> String {
        let ended: Vec<String> = JobStatus::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!(
            "({attempt} = -1 OR ({job}.attempt = {attempt} AND (({finished} = 0 AND \
             {job}.status = '{running}') OR ({finished} = 1 AND {job}.status IN ({ended})))))",
            running = JobStatus::Running.as_str(),
            ended = ended.join(", ")
        )
    }

    /// The attempt, as stored (-1: open), and 1 for a `finished` event: the SQL fence's inputs.
    pub(crate) fn sql_args(self, event: &Event) -> (i64, i64) {
        let attempt = match self {
            Fence::Open => -1,
            Fence::Attempt(n) => i64::from(n),
        };
        let finished = matches!(event.kind, EventKind::Finished { .. });
        (attempt, i64::from(finished))
    }
}

/// Logs events refused by their fence (their attempt no longer holds the job).
pub(crate) fn stale_events_refused(n: usize) {
    if n > 0 {
        let what = format!(
            "store: refused {n} event(s) of a stale attempt (its job was recovered meanwhile)"
        );
        crate::oplog::log("stale_refused", None, &what, &[("events", n.into())]);
    }
}

/// An executor holding a live lease on a shared store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiveWorker {
    pub id: String,
    pub heartbeat_at: String,
    pub lease_until: Option<String>,
}

/// A notice from another executor: what, about which job, and its note (empty, or for
/// `finished` the note given to [`Store::finish_job`]).
pub type Heard = (Notice, Uuid, String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    Queued,
    Cancel,
    /// A job's end was stored (waiters elsewhere read it once instead of polling).
    Finished,
    /// Events of a job were stored (its streams elsewhere read them instead of polling).
    /// Sent by the store itself, with the events, on the job's own channel (see
    /// [`EventsWatch`]).
    Events,
    /// A process started streaming a running job: its runner stores what it holds of it
    /// now (see `JobHandle::hold_writes`). Sent by the store with the `watched` mark.
    Watched,
}

impl Notice {
    pub fn as_str(self) -> &'static str {
        match self {
            Notice::Queued => "queued",
            Notice::Cancel => "cancel",
            Notice::Finished => "finished",
            Notice::Events => "events",
            Notice::Watched => "watched",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Notice::Queued,
            Notice::Cancel,
            Notice::Finished,
            Notice::Events,
            Notice::Watched,
        ]
        .into_iter()
        .find(|n| n.as_str() == s)
    }
}

/// The time now, at the precision the stores keep (microseconds), so a time announced by
/// this process equals the one read back from the store.
pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// Opens the store a URL names: None / `memory://`, `sqlite:///path/file.db`,
/// `postgresql://user@host/db`. Migrations are applied on open.
pub async fn open(url: Option<&str>) -> Result<Arc<dyn Store>> {
    match backend_of(url)? {
        "memory" => Ok(Arc::new(MemoryStore::default())),
        _ => Ok(Arc::new(SqlStore::open(url.unwrap_or_default()).await?)),
    }
}

/// The backend a store URL names, or a ValidationError saying which forms are accepted.
pub fn backend_of(url: Option<&str>) -> Result<&'static str, ValidationError> {
    match url {
        None | Some("" | "memory" | "memory://" | ":memory:") => Ok("memory"),
        Some(u) if u.starts_with("sqlite:") => Ok("sqlite"),
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => Ok("postgresql"),
        Some(other) => Err(ValidationError::new(
            "store",
            format!(
                "unsupported store URL {:?}: use memory://, sqlite:///path/to/file.db or postgresql://user@host/db",
                redact(other)
            ),
        )),
    }
}

/// A URL with any password replaced, safe for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_and_redaction() {
        assert_eq!(backend_of(None).unwrap(), "memory");
        assert_eq!(backend_of(Some("sqlite:///tmp/x.db")).unwrap(), "sqlite");
        assert_eq!(
            backend_of(Some("postgresql://u:p@h/db")).unwrap(),
            "postgresql"
        );
        let e = backend_of(Some("mysql://u:secret@h/db")).unwrap_err();
        assert_eq!(e.field, "store");
        assert!(!e.rule.contains("secret"), "{}", e.rule);
        assert_eq!(
            redact("postgresql://u:pw@h:5/db"),
            "postgresql://u:***@h:5/db"
        );
        assert_eq!(redact("postgresql://u@h/db"), "postgresql://u@h/db");
        assert_eq!(RecoveryPolicy::parse("fail").unwrap(), RecoveryPolicy::Fail);
        assert!(RecoveryPolicy::parse("x").is_err());
    }

    fn event(job: Uuid, seq: u64, kind: crate::job::EventKind) -> Event {
        Event {
            job_id: job,
            seq,
            time: Utc::now(),
            kind,
        }
    }

    fn output(job: Uuid, seq: u64, line: &str) -> Event {
        let kind = crate::job::EventKind::HostOutput {
            host: "h".into(),
            stream: crate::job::Stream::Stdout,
            line: line.into(),
        };
        event(job, seq, kind)
    }

    fn finished(job: Uuid, seq: u64) -> Event {
        let kind = crate::job::EventKind::Finished {
            status: JobStatus::Successful,
            error: None,
        };
        event(job, seq, kind)
    }

    #[test]
    fn job_stats_count_requeues_and_the_oldest_pending_job() {
        use JobStatus::*;
        let t = |s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let mut stats = JobStats::default();
        // 3 pending: never claimed, re-queued once, re-queued twice (attempts 0 + 1 + 2).
        stats.add(Pending, 3, 3, 2, Some(t("2026-01-01T00:00:10Z")));
        stats.add(Pending, 0, 0, 0, None);
        // 2 ended: one canceled before a claim, one successful on its 3rd attempt.
        stats.add(Successful, 2, 3, 1, Some(t("2026-01-01T00:00:00Z")));
        assert_eq!((stats.attempts, stats.requeued), (6, 5));
        assert_eq!(stats.oldest_pending, Some(t("2026-01-01T00:00:10Z")));
        let flat = stats.flat(t("2026-01-01T00:01:10Z"));
        assert_eq!(flat["pending"], 3.0);
        assert_eq!(flat["running"], 0.0);
        assert_eq!(flat["oldest_pending_seconds"], 60.0);
        assert_eq!(flat.len(), JobStatus::ALL.len() + 4);
    }

    #[test]
    fn the_fence_admits_only_the_attempt_holding_the_job() {
        use JobStatus::*;
        let id = Uuid::nil();
        let (out, end) = (output(id, 1, "x"), finished(id, 2));
        assert!(Fence::Open.admits(&out, 3, Successful));
        assert!(Fence::Attempt(2).admits(&out, 2, Running));
        assert!(!Fence::Attempt(1).admits(&out, 2, Running)); // re-claimed
        assert!(!Fence::Attempt(1).admits(&out, 1, Pending)); // re-queued, not claimed yet
        assert!(!Fence::Attempt(1).admits(&out, 1, Error)); // ended: only its `finished`
        assert!(Fence::Attempt(1).admits(&end, 1, Successful));
        assert!(!Fence::Attempt(1).admits(&end, 1, Running)); // its end is not stored
        assert!(!Fence::Attempt(1).admits(&end, 1, Pending));
    }

    async fn sqlite_store() -> (Arc<dyn Store>, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("airs-fence-{}", Uuid::new_v4()));
        let store = open(Some(&format!("sqlite://{}/jobs.db", dir.display())))
            .await
            .unwrap();
        (store, dir)
    }

    /// A pending job with its `queued` event in `store`.
    async fn queued_job(store: &dyn Store) -> Uuid {
        let template = Template::create(crate::template::TemplateSpec {
            name: Some("t".into()),
            command: Some(vec!["true".into()]),
            ..Default::default()
        })
        .unwrap();
        let rec = JobRecord::pending(Arc::new(template), None, vec!["h".into()], Map::new());
        store.insert_job(&rec, &[queued(&rec)], 10).await.unwrap();
        rec.id
    }

    async fn stored_kinds(store: &dyn Store, id: Uuid) -> Vec<(u64, &'static str)> {
        let events = store.events(id, 0).await.unwrap();
        events.into_iter().map(|e| (e.seq, e.kind.name())).collect()
    }

    /// A first claim stores the attempt's `started` event with it (the worker reads no
    /// history back); a job's end is stored with its `finished` event, and an attempt that
    /// no longer holds the job stores neither. On memory and SQLite (PostgreSQL: the
    /// Python tests).
    #[tokio::test]
    async fn a_first_claim_stores_started_and_an_end_stores_finished() {
        let (sqlite, dir) = sqlite_store().await;
        for store in [Arc::new(MemoryStore::default()) as Arc<dyn Store>, sqlite] {
            let id = queued_job(&*store).await;
            let claimed = store.claim_job("w1").await.unwrap().unwrap();
            let events = store.events(id, 0).await.unwrap();
            let started = first_started(id, Some("w1".into()), claimed.started_at.unwrap());
            assert_eq!(events, [queued(&claimed), started], "{}", store.backend());
            let mut end = finished(id, 3);
            end.time = now();
            assert!(!store.finish_job(2, &end, "").await.unwrap()); // not attempt 2's
            assert_eq!(stored_kinds(&*store, id).await.len(), 2);
            assert!(store.finish_job(1, &end, "").await.unwrap());
            let job = store.get_job(id).await.unwrap().unwrap();
            assert_eq!(
                (job.status, job.finished_at),
                (JobStatus::Successful, Some(end.time))
            );
            assert_eq!(store.events(id, 2).await.unwrap(), [end.clone()]);
            assert!(!store.finish_job(1, &end, "").await.unwrap()); // ended already
            let not_an_end = output(id, 4, "x");
            assert!(store.finish_job(1, &not_an_end, "").await.is_err());
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Recovery that ends a job `error` stores its `finished` event after the history.
    #[tokio::test]
    async fn recovery_ending_a_job_stores_its_finished_event() {
        let (store, dir) = sqlite_store().await;
        let id = queued_job(&*store).await;
        store.claim_job("w1").await.unwrap().unwrap();
        let out = [(output(id, 3, "a1"), Fence::Attempt(1))];
        store.append_events(&out, 100).await.unwrap();
        let later = Utc::now() + chrono::Duration::hours(1);
        let recovered = store.recover(later, RecoveryPolicy::Fail, 3).await.unwrap();
        assert_eq!(recovered, [(id, JobStatus::Error)]);
        let events = store.events(id, 0).await.unwrap();
        let kinds: Vec<_> = events.iter().map(|e| (e.seq, e.kind.name())).collect();
        assert_eq!(
            kinds,
            [
                (1, "queued"),
                (2, "started"),
                (3, "host_output"),
                (4, "finished")
            ]
        );
        let want = EventKind::Finished {
            status: JobStatus::Error,
            error: Some(INTERRUPTED.into()),
        };
        assert_eq!(events[3].kind, want);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// The fence's SQL form says what `admits` says, for every status, attempt and kind of
    /// event (evaluated by SQLite; PostgreSQL runs the same text).
    #[test]
    fn the_fences_sql_form_agrees_with_admits() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE jobs (attempt BIGINT, status TEXT)")
            .unwrap();
        let id = Uuid::nil();
        let cond = Fence::sql("j", "?1", "?2");
        let sql = format!("SELECT {cond} FROM jobs j");
        let mut checked = 0;
        for status in JobStatus::ALL {
            for attempt in [1u32, 2] {
                conn.execute("DELETE FROM jobs", []).unwrap();
                conn.execute(
                    "INSERT INTO jobs VALUES (?1, ?2)",
                    rusqlite::params![attempt, status.as_str()],
                )
                .unwrap();
                for fence in [Fence::Open, Fence::Attempt(1), Fence::Attempt(2)] {
                    for event in [output(id, 1, "x"), finished(id, 1)] {
                        let (a, f) = fence.sql_args(&event);
                        let sql_says: bool = conn
                            .query_row(&sql, rusqlite::params![a, f], |r| r.get(0))
                            .unwrap();
                        let want = fence.admits(&event, attempt, status);
                        assert_eq!(sql_says, want, "{fence:?} {event:?} {attempt} {status:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, JobStatus::ALL.len() * 2 * 3 * 2);
    }

    /// On a SQLite store: a job claimed (attempt 1), re-queued by a recovery and claimed
    /// again (attempt 2). Attempt 1's late events and end are refused at every step;
    /// attempt 2's history is stored whole, its `finished` event with its end.
    #[tokio::test]
    async fn a_stale_attempts_events_are_refused() {
        let (store, dir) = sqlite_store().await;
        let id = queued_job(&*store).await;
        let first = store.claim_job("w1").await.unwrap().unwrap();
        assert_eq!(first.attempt, 1);
        let a1 = Fence::Attempt(1);
        store
            .append_events(&[(output(id, 3, "a1"), a1)], 100)
            .await
            .unwrap();
        // w1 has no live lease: re-queued.
        let later = Utc::now() + chrono::Duration::hours(1);
        let recovered = store
            .recover(later, RecoveryPolicy::Requeue, 3)
            .await
            .unwrap();
        assert_eq!(recovered, [(id, JobStatus::Pending)]);
        store
            .append_events(&[(output(id, 4, "stale"), a1)], 100)
            .await
            .unwrap();
        let second = store.claim_job("w2").await.unwrap().unwrap();
        assert_eq!(second.attempt, 2);
        let a2 = Fence::Attempt(2);
        let both = [(output(id, 5, "stale"), a1), (output(id, 4, "a2"), a2)];
        store.append_events(&both, 100).await.unwrap();
        assert!(!store.finish_job(1, &finished(id, 5), "").await.unwrap());
        assert!(store.finish_job(2, &finished(id, 5), "").await.unwrap());
        let late = [(finished(id, 6), a1), (output(id, 6, "late"), a2)];
        store.append_events(&late, 100).await.unwrap();
        let want = [
            (1, "queued"),
            (2, "started"),
            (3, "host_output"),
            (4, "host_output"),
            (5, "finished"),
        ];
        assert_eq!(stored_kinds(&*store, id).await, want);
        let lines: Vec<_> = store
            .events(id, 0)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.kind {
                crate::job::EventKind::HostOutput { line, .. } => Some(line),
                _ => None,
            })
            .collect();
        assert_eq!(lines, ["a1", "a2"]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
