//! The executor: jobs queued in a store, `workers` tokio tasks claiming them, and per-job
//! fan-out over hosts with at most `forks` checks at once. Several executors may share one
//! PostgreSQL store: each claims jobs atomically, heartbeats, and recovers the running jobs
//! of executors that stopped heartbeating.

mod counters;
pub mod events;
mod health;
mod job_handle;
mod run;
mod writer;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Map, Value};
use tokio::runtime::Handle;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use counters::CounterSnapshot;
use counters::WorkerCounters;
pub use events::Subscription;
pub use health::{StoreHealth, PROBE_STALE, STORE_PROBE_INTERVAL};
pub use job_handle::{EndSummary, JobEnd, JobHandle, StatusCounts};
use job_handle::{LiveMap, WriterMsg};
pub use run::panic_message;

use crate::error::{Error, Result, ValidationError};
use crate::host::validate_hosts;
use crate::inventory::select_hosts;
pub use crate::inventory::EmptySelection;
use crate::job::{EventKind, JobStatus};
use crate::policy::Policy;
use crate::runner::{RunContext, SshSettings};
use crate::store::{self, JobFilter, JobOrder, JobRecord, RecoveryPolicy, Store};
use crate::template::{Template, TemplateSpec};
use crate::transport::priority::{self, NICE_MAX};

pub const WORKERS_MAX: usize = 4096;
pub const QUEUE_MAX: usize = 10_000_000;
/// Events waiting for the store writer; beyond it output lines are not stored (still sent live).
const EVENT_QUEUE: usize = 65_536;
/// How long `job_stats` reuses a read of the store (a metrics scrape every few seconds,
/// from any number of scrapers, costs one query per this).
const JOB_STATS_TTL: Duration = Duration::from_secs(2);
/// A `job_stats` read taking longer fails (a scrape during an outage answers at once).
const JOB_STATS_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone, Debug)]
pub struct ExecutorConfig {
    /// Jobs run at once by this executor (0: submit and read only, as a server whose jobs
    /// run on separate worker processes).
    pub workers: usize,
    /// Pending jobs at most; a submit beyond it fails with `QueueFull`.
    pub queue_size: usize,
    /// None / `memory://`, `sqlite:///path/file.db` or `postgresql://…`.
    pub store: Option<String>,
    /// Bytes of stdout and of stderr kept per host result (the last ones).
    pub output_tail_bytes: usize,
    /// Output-line events kept per job (in memory for late subscribers, and in the store).
    pub event_history: usize,
    /// What happens to jobs whose executor died while running them.
    pub recovery: RecoveryPolicy,
    /// Attempts a job gets when `recovery` is requeue.
    pub max_attempts: u32,
    pub heartbeat_interval: Duration,
    /// An executor silent for this long is presumed dead and its running jobs recovered.
    pub stale_after: Duration,
    /// How often idle workers look at the queue without being woken (a safety net for
    /// notices lost while a connection was down; not busy polling).
    pub poll_interval: Duration,
    /// How hosts are reached over SSH (multiplexing, host keys, default key).
    pub ssh: SshSettings,
    /// Directories searched for ansible-playbook / inspec / cinc-auditor before PATH.
    pub tool_path: Vec<std::path::PathBuf>,
    /// Allowed path roots, command templates, local connections (see [`Policy`]).
    pub policy: Policy,
    /// The nice value (0–[`NICE_MAX`]) check processes start at: the caller's own threads
    /// (its event loop) and the runtime get the CPU first (see [`priority`]). Process-wide:
    /// the highest value any executor of the process asked for applies.
    pub nice: i32,
    /// Check processes also run under Linux's `SCHED_IDLE` policy: a waking thread of normal
    /// priority (the event loop) takes a core from them at once instead of after their time
    /// slice, and they still get every cycle nobody else wants. Off, they only run at `nice`
    /// and keep a share of the CPU against other busy work. Process-wide: on if any executor
    /// of the process asked for it.
    pub idle_checks: bool,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        ExecutorConfig {
            workers: 8,
            queue_size: 10_000,
            store: None,
            output_tail_bytes: 64 * 1024,
            event_history: 10_000,
            recovery: RecoveryPolicy::Requeue,
            max_attempts: 3,
            heartbeat_interval: Duration::from_secs(5),
            stale_after: Duration::from_secs(30),
            poll_interval: Duration::from_secs(5),
            ssh: SshSettings::default(),
            tool_path: Vec::new(),
            policy: Policy::default(),
            nice: 10,
            idle_checks: true,
        }
    }
}

impl ExecutorConfig {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.workers > WORKERS_MAX {
            return Err(ValidationError::new(
                "workers",
                format!("must be from 0 to {WORKERS_MAX}"),
            ));
        }
        if !(1..=QUEUE_MAX).contains(&self.queue_size) {
            return Err(ValidationError::new(
                "queue_size",
                format!("must be from 1 to {QUEUE_MAX}"),
            ));
        }
        if self.output_tail_bytes > 64 * 1024 * 1024 {
            return Err(ValidationError::new("output_tail_bytes", "at most 64 MiB"));
        }
        if !(0..=NICE_MAX).contains(&self.nice) {
            return Err(ValidationError::new(
                "nice",
                format!("must be from 0 to {NICE_MAX}"),
            ));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(ValidationError::new(
                "max_attempts",
                "must be from 1 to 100",
            ));
        }
        let positive = |d: Duration, field: &str| {
            if d.is_zero() {
                Err(ValidationError::new(field, "must be more than 0 seconds"))
            } else {
                Ok(())
            }
        };
        positive(self.heartbeat_interval, "heartbeat_interval")?;
        positive(self.poll_interval, "poll_interval")?;
        if self.stale_after <= self.heartbeat_interval {
            return Err(ValidationError::new(
                "stale_after",
                "must be longer than heartbeat_interval",
            ));
        }
        store::backend_of(self.store.as_deref())?;
        Ok(())
    }
}

/// Which template a job runs.
pub enum TemplateRef {
    /// A stored template, by name or id.
    Stored(String),
    /// An ad-hoc template, used as given and not stored.
    AdHoc(Arc<Template>),
    /// A stored template (by name or id) with fields changed for this one job (the id-keyed
    /// REST launch's `limit`, `tags`…): the job runs the merged template, validated and held
    /// to the policy like any other, and stays the stored template's job (its id).
    Overridden(String, Box<TemplateSpec>),
}

struct Inner {
    config: ExecutorConfig,
    store: Arc<dyn Store>,
    /// Identifies this executor in the store (claims, heartbeats).
    worker_id: String,
    /// Jobs this process runs (and, with the memory store, submitted), while they are
    /// pending or running.
    live: Arc<LiveMap>,
    counts: Arc<StatusCounts>,
    wake: Notify,
    closed: AtomicBool,
    draining: AtomicBool,
    events_tx: mpsc::Sender<WriterMsg>,
    tasks: tokio::sync::Mutex<Vec<JoinHandle<()>>>,
    background: Mutex<Vec<JoinHandle<()>>>,
    /// Shared by every job: SSH settings, the private runtime directory, tool lookup.
    run_ctx: Arc<RunContext>,
    /// When this executor's lease was last renewed (the moment the renewing heartbeat was
    /// sent, in ms since `epoch`): its jobs are stopped before the lease runs out.
    epoch: std::time::Instant,
    lease_renewed_ms: std::sync::atomic::AtomicU64,
    counters: WorkerCounters,
    /// The store's last [`store::JobStats`] and when they were read (see `job_stats`).
    job_stats: tokio::sync::Mutex<Option<(std::time::Instant, store::JobStats)>>,
    /// What the background store probe last found (`store_health`).
    probe: health::Probe,
}

impl Inner {
    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<JobHandle>>> {
        self.live.jobs()
    }

    fn new_handle(&self, rec: JobRecord) -> Arc<JobHandle> {
        Arc::new(JobHandle::from_record(
            rec,
            self.store.clone(),
            Some(self.events_tx.clone()),
            Some(self.counts.clone()),
            // Live handles announce their ends there (they never read through it).
            Some(self.live.clone()),
            self.config.event_history,
        ))
    }

    fn view(&self, rec: JobRecord) -> Arc<JobHandle> {
        let view = Arc::new(JobHandle::from_record(
            rec,
            self.store.clone(),
            None,
            None,
            Some(self.live.clone()),
            0,
        ));
        self.live.add_view(&view);
        view
    }

    /// Renews this executor's lease (heartbeat); remembers when, on success.
    async fn renew_lease(&self) -> Result<()> {
        let sent = self.epoch.elapsed();
        self.store
            .heartbeat(&self.worker_id, self.config.stale_after)
            .await?;
        self.lease_renewed(sent);
        Ok(())
    }

    /// Remembers that a write sent at `sent` (since `epoch`) renewed the lease.
    fn lease_renewed(&self, sent: Duration) {
        let ms = u64::try_from(sent.as_millis()).unwrap_or(u64::MAX);
        self.lease_renewed_ms.fetch_max(ms, Ordering::AcqRel);
    }

    /// How long since the lease was last renewed.
    fn lease_age(&self) -> Duration {
        let renewed = Duration::from_millis(self.lease_renewed_ms.load(Ordering::Acquire));
        self.epoch.elapsed().saturating_sub(renewed)
    }

    /// Whether the store answers a cheap read now (bounded in time by the store) and the
    /// executors holding a live lease on it (this one, where the store is not shared).
    async fn check_store(&self) -> Result<Vec<store::LiveWorker>> {
        let live = self.store.check().await?;
        if self.store.backend() == "memory" {
            let me = store::LiveWorker {
                id: self.worker_id.clone(),
                heartbeat_at: crate::job::timestamp(Utc::now()),
                lease_until: None,
            };
            return Ok(vec![me]);
        }
        Ok(live)
    }

    async fn refresh_counts(&self) -> Result<()> {
        let counts = self.store.count_by_status().await?;
        self.counts.reset(&counts);
        Ok(())
    }
}

/// Stops the background tasks when the last user-facing `Executor` clone goes away, so
/// nothing keeps running if nobody called `shutdown`.
struct Owner(Arc<Inner>);

impl Drop for Owner {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::Release);
        self.0.draining.store(true, Ordering::Release);
        self.0.wake.notify_waiters();
        for t in self
            .0
            .background
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }
}

#[derive(Clone)]
pub struct Executor {
    inner: Arc<Inner>,
    _owner: Arc<Owner>,
}

/// Counts for /health and metrics.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stats {
    pub workers: usize,
    pub queue_size: usize,
    pub pending: usize,
    pub running: usize,
    pub jobs_by_status: std::collections::BTreeMap<&'static str, usize>,
    pub storage_backend: &'static str,
    pub worker_id: String,
    pub closed: bool,
    /// Seconds since this executor last renewed its lease on the store.
    pub lease_age_seconds: f64,
    #[serde(flatten)]
    pub counters: CounterSnapshot,
}

fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into());
    let tag = Uuid::new_v4().simple().to_string();
    format!("{host}:{}:{}", std::process::id(), &tag[..8])
}

impl Executor {
    /// Opens the store (applying migrations), recovers jobs of dead executors and starts
    /// the worker, heartbeat and event-writer tasks on `runtime`.
    pub async fn start(config: ExecutorConfig, runtime: &Handle) -> Result<Self> {
        config.validate()?;
        let store = store::open(config.store.as_deref()).await?;
        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
        let mut run_ctx = RunContext::new(
            config.output_tail_bytes,
            config.ssh.clone(),
            config.tool_path.clone(),
        )
        .map_err(|e| Error::Internal(format!("cannot create the runtime directory: {e}")))?;
        run_ctx.policy = config.policy.clone();
        let inner = Arc::new(Inner {
            run_ctx: Arc::new(run_ctx),
            store,
            worker_id: worker_id(),
            live: Arc::new(LiveMap::default()),
            counts: Arc::new(StatusCounts::default()),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            events_tx,
            tasks: tokio::sync::Mutex::new(Vec::new()),
            background: Mutex::new(Vec::new()),
            config,
            epoch: std::time::Instant::now(),
            lease_renewed_ms: std::sync::atomic::AtomicU64::new(0),
            counters: WorkerCounters::default(),
            job_stats: tokio::sync::Mutex::new(None),
            probe: health::Probe::new(Err("not probed yet".into()), std::time::Instant::now()),
        });
        inner.renew_lease().await?;
        run::recover(&inner).await?;
        inner.refresh_counts().await?;
        // The first probe before the executor is handed out: `store_health` always has one.
        let started = std::time::Instant::now();
        let first = inner.check_store().await.map_err(|e| e.to_string());
        inner.probe.set(started, first);
        let listener = inner.store.listen().await?;
        inner
            .live
            .notified
            .store(listener.is_some(), Ordering::Relaxed);
        let listener = listener.map(|l| {
            inner.live.watch_events_with(l.watch);
            l.heard
        });

        priority::lower_checks_to(inner.config.nice, inner.config.idle_checks);
        let mut tasks = Vec::new();
        if inner.config.workers > 0 {
            tasks.push(runtime.spawn(run::claimer(inner.clone())));
        }
        tasks.push(runtime.spawn(writer::event_writer(
            inner.store.clone(),
            events_rx,
            inner.config.event_history,
            run::batches_across_jobs(inner.store.as_ref()),
        )));
        *inner.tasks.lock().await = tasks;
        let mut background = vec![
            runtime.spawn(run::housekeeping(Arc::downgrade(&inner))),
            runtime.spawn(health::store_probe(Arc::downgrade(&inner))),
        ];
        if inner.store.backend() != "memory" {
            background.push(runtime.spawn(run::lease_guard(Arc::downgrade(&inner))));
        }
        if let Some(rx) = listener {
            background.push(runtime.spawn(run::notices(Arc::downgrade(&inner), rx)));
        }
        *inner.background.lock().unwrap_or_else(|p| p.into_inner()) = background;
        Ok(Executor {
            _owner: Arc::new(Owner(inner.clone())),
            inner,
        })
    }

    pub fn config(&self) -> &ExecutorConfig {
        &self.inner.config
    }

    pub fn storage_backend(&self) -> &'static str {
        self.inner.store.backend()
    }

    pub fn worker_id(&self) -> &str {
        &self.inner.worker_id
    }

    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            Err(Error::ExecutorClosed)
        } else {
            Ok(())
        }
    }

    // ---- templates ----

    pub async fn create_template(&self, spec: TemplateSpec) -> Result<Template> {
        self.add_template(Template::build(spec)?).await
    }

    pub async fn add_template(&self, template: Template) -> Result<Template> {
        self.check_open()?;
        template.validate()?;
        // Roots first: a path outside them is refused whether or not it exists.
        self.inner
            .config
            .policy
            .admit(&template)?
            .check_local_paths()?;
        self.inner.store.create_template(&template).await?;
        Ok(template)
    }

    pub async fn get_template(&self, key: &str) -> Result<Template> {
        Ok((*self.stored_template(key).await?).clone())
    }

    /// The stored template `key` names (by name or id): the one way templates are read.
    async fn stored_template(&self, key: &str) -> Result<Arc<Template>> {
        self.inner.store.get_template(template_key(key)?).await
    }

    pub async fn list_templates(&self) -> Result<Vec<Template>> {
        self.inner.store.list_templates().await
    }

    pub async fn update_template(&self, key: &str, patch: TemplateSpec) -> Result<Template> {
        self.check_open()?;
        let old = self.stored_template(key).await?;
        let new = old.updated(patch)?;
        let admitted = self.inner.config.policy.admit(&new)?;
        if !new.same_action(&old) {
            admitted.check_local_paths()?;
        }
        self.inner.store.replace_template(&old, &new).await?;
        Ok(new)
    }

    pub async fn delete_template(&self, key: &str) -> Result<()> {
        self.check_open()?;
        self.inner.store.delete_template(template_key(key)?).await
    }

    // ---- jobs ----

    /// Stores a pending job and returns it at once. Fails with `QueueFull` when
    /// `queue_size` jobs are already pending, and with a ValidationError naming `hosts`
    /// when the job would check no host.
    pub async fn submit(
        &self,
        template: TemplateRef,
        hosts: Vec<String>,
        extra_vars: Map<String, Value>,
    ) -> Result<Arc<JobHandle>> {
        self.submit_with(template, hosts, extra_vars, EmptySelection::Refuse)
            .await
    }

    /// `submit`, saying whether a job that checks no host is allowed.
    pub async fn submit_with(
        &self,
        template: TemplateRef,
        hosts: Vec<String>,
        extra_vars: Map<String, Value>,
        empty: EmptySelection,
    ) -> Result<Arc<JobHandle>> {
        self.check_open()?;
        let policy = &self.inner.config.policy;
        let (template, template_id) = match template {
            TemplateRef::Stored(key) => {
                let t = self.stored_template(&key).await?;
                let id = t.id;
                (t, Some(id))
            }
            TemplateRef::AdHoc(t) => {
                t.validate()?;
                (t, None)
            }
            TemplateRef::Overridden(key, patch) => {
                let t = self.stored_template(&key).await?;
                let id = t.id;
                (Arc::new(t.updated(*patch)?), Some(id))
            }
        };
        // Held to the policy as it is now (the template may predate it), with its paths
        // resolved: the inventory read below is the one the roots allow.
        let admitted = policy.admit(&template)?;
        policy.check_caller_vars(&template, &extra_vars)?;
        let queue_size = self.inner.config.queue_size;
        let selection = if hosts.is_empty() && admitted.inventory.is_some() {
            // The template's inventory + target/limit select them: a file read, off the
            // async workers.
            tokio::task::spawn_blocking(move || select_hosts(&admitted, hosts, empty))
                .await
                .map_err(|e| Error::Internal(format!("reading the inventory: {e}")))??
        } else {
            select_hosts(&admitted, hosts, empty)?
        };
        // The one check of the job's hosts, given or selected.
        validate_hosts(&selection.hosts)?;
        policy.check_hosts(&selection.hosts)?;
        let hosts = selection.hosts;
        let mut vars = template.extra_vars.clone();
        vars.extend(extra_vars);
        crate::template::check_extra_vars(&vars)?;
        let rec = JobRecord::pending(template, template_id, hosts, vars);
        if self.storage_backend() == "memory" {
            // Nobody else can claim it: the handle this returns is the one that runs. It is
            // in `live`, with its `queued` event, before it is stored, so a worker claiming
            // it at once finds this handle and numbers its events after `queued`.
            let job = self.inner.new_handle(rec.clone());
            // This handle is the one that runs: it plans the job with the inventory read
            // for the selection instead of reading it again.
            job.keep_inventory(selection.inventory);
            self.inner.live.insert(job.clone());
            let queued: Vec<_> = job
                .publish_unstored(EventKind::Queued)
                .into_iter()
                .collect();
            if let Err(e) = self.inner.store.insert_job(&rec, &queued, queue_size).await {
                self.inner.live.remove(job.id);
                return Err(e);
            }
            self.inner.counts.moved(None, Some(JobStatus::Pending));
            self.inner.wake.notify_one();
            return Ok(job);
        }
        // A durable store may be shared: any executor may claim the job, so the caller
        // gets a view that follows the store (and this process's run, when it is here).
        self.inner
            .store
            .insert_job(&rec, &[store::queued(&rec)], queue_size)
            .await?;
        self.inner.counts.moved(None, Some(JobStatus::Pending));
        self.inner.wake.notify_one(); // other executors: the insert's notice
        Ok(self.inner.view(rec))
    }

    /// A job by id: the live handle when this process runs it, else a view of the store.
    pub async fn get(&self, id: &str) -> Result<Arc<JobHandle>> {
        let not_found = || Error::JobNotFound(id.to_string());
        let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
        if let Some(j) = self.inner.live().get(&uuid) {
            return Ok(j.clone());
        }
        let rec = self
            .inner
            .store
            .get_job(uuid)
            .await?
            .ok_or_else(not_found)?;
        Ok(self.inner.view(rec))
    }

    /// Jobs by submission in `order` (newest first by default), filtered, then paged.
    pub async fn list(
        &self,
        status: Option<JobStatus>,
        template: Option<&str>,
        order: JobOrder,
        limit: Option<usize>,
        offset: usize,
    ) -> Result<Vec<Arc<JobHandle>>> {
        let Some(filter) = job_filter(status, template, order) else {
            return Ok(Vec::new());
        };
        let recs = self.inner.store.list_jobs(&filter, limit, offset).await?;
        let live = self.inner.live();
        Ok(recs
            .into_iter()
            .map(|r| {
                live.get(&r.id)
                    .cloned()
                    .unwrap_or_else(|| self.inner.view(r))
            })
            .collect())
    }

    pub async fn count(&self, status: Option<JobStatus>, template: Option<&str>) -> Result<usize> {
        let Some(filter) = job_filter(status, template, JobOrder::default()) else {
            return Ok(0);
        };
        self.inner.store.count_jobs(&filter).await
    }

    /// Forgets a finished job, with its results and events.
    pub async fn delete(&self, id: &str) -> Result<()> {
        let uuid = Uuid::parse_str(id).map_err(|_| Error::JobNotFound(id.to_string()))?;
        let status = self.inner.store.get_job(uuid).await?.map(|r| r.status);
        self.inner.store.delete_job(uuid).await?;
        // A worker drops a finished job from the live map just after announcing the end;
        // a delete in that window must not leave it visible.
        self.inner.live.remove(uuid);
        self.inner.counts.moved(status, None);
        Ok(())
    }

    /// Jobs as they end (with what followers count, when told): run here, or (where the store
    /// sends notices) anywhere. Lagging more than 65,536 ends behind loses the oldest.
    pub fn follow_ends(&self) -> tokio::sync::broadcast::Receiver<JobEnd> {
        self.inner.live.follow_ends()
    }

    /// Whether the store answers a cheap read now, bounded in time, and the executors
    /// holding a live lease on it (this one, where the store is not shared): `/health`.
    pub async fn check_store(&self) -> Result<Vec<store::LiveWorker>> {
        self.inner.check_store().await
    }

    /// What the background store probe last found, with its age: answers from memory at
    /// once (`/health`), while an outage shows within [`STORE_PROBE_INTERVAL`] plus the
    /// store's 2-s check timeout, and a probe silent for [`PROBE_STALE`] reads as one.
    pub fn store_health(&self) -> StoreHealth {
        self.inner.probe.read(std::time::Instant::now())
    }

    /// The store's counts for the whole cluster (jobs by status, attempts, re-queues, the
    /// oldest pending job, live executors): one read, reused for `JOB_STATS_TTL` (by every
    /// caller meanwhile, so scrapers cost one read per TTL), bounded in time.
    pub async fn job_stats(&self) -> Result<store::JobStats> {
        let mut cached = self.inner.job_stats.lock().await;
        if let Some((at, stats)) = cached.as_ref() {
            if at.elapsed() < JOB_STATS_TTL {
                return Ok(stats.clone());
            }
        }
        let read = tokio::time::timeout(JOB_STATS_TIMEOUT, self.inner.store.job_stats()).await;
        let mut stats = read.map_err(|_| {
            crate::error::StoreError::Unavailable(format!(
                "no answer from the {} store within {} s",
                self.storage_backend(),
                JOB_STATS_TIMEOUT.as_secs()
            ))
        })??;
        if self.storage_backend() == "memory" {
            stats.live_workers = 1; // this executor: the store is its own
        }
        *cached = Some((std::time::Instant::now(), stats.clone()));
        Ok(stats)
    }

    pub fn stats(&self) -> Stats {
        let c = &self.inner.counts;
        Stats {
            workers: self.inner.config.workers,
            queue_size: self.inner.config.queue_size,
            pending: c.get(JobStatus::Pending),
            running: c.get(JobStatus::Running),
            jobs_by_status: JobStatus::ALL
                .iter()
                .map(|s| (s.as_str(), c.get(*s)))
                .collect(),
            storage_backend: self.storage_backend(),
            worker_id: self.inner.worker_id.clone(),
            closed: self.is_closed(),
            lease_age_seconds: self.inner.lease_age().as_secs_f64(),
            counters: self.inner.counters.snapshot(),
        }
    }

    /// Stops taking work. `drain`: queued jobs still run; otherwise the jobs this executor
    /// holds are canceled. Returns when every worker has ended and events are stored.
    pub async fn shutdown(&self, drain: bool) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.draining.store(drain, Ordering::Release);
        if !drain {
            let jobs: Vec<_> = self.inner.live().values().cloned().collect();
            for job in jobs {
                let _ = job.cancel().await;
            }
        }
        self.inner.wake.notify_waiters();
        let mut tasks = self.inner.tasks.lock().await;
        let writer = tasks.pop(); // the event writer ends once every sender is gone
        for t in tasks.drain(..) {
            let _ = t.await;
        }
        for t in self
            .inner
            .background
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
        let _ = self.inner.store.retire_worker(&self.inner.worker_id).await;
        if let Some(w) = writer {
            // Flush: the writer stores what is queued, then we stop it.
            let (tx, rx) = tokio::sync::oneshot::channel();
            let _ = self.inner.events_tx.send(WriterMsg::Flush(tx)).await;
            let _ = tokio::time::timeout(Duration::from_secs(10), rx).await;
            w.abort();
        }
    }
}

/// `key` when it can name a stored template, `TemplateNotFound` otherwise. Templates are
/// found by name or id, and an id (a hyphenated UUID) is itself a valid name: a key that
/// breaks the name rule names nothing, and is not handed to the store (PostgreSQL refuses
/// text holding NUL, which would make a lookup by a caller's bad key a store error, a 503).
fn template_key(key: &str) -> Result<&str> {
    match crate::template::validate_name(key) {
        Ok(()) => Ok(key),
        Err(_) => Err(Error::TemplateNotFound(key.to_string())),
    }
}

/// The store's filter for jobs of `template` (by name or id) in `status`, or None when the
/// key names no template (so no job): such a key is not handed to the store either.
fn job_filter(
    status: Option<JobStatus>,
    template: Option<&str>,
    order: JobOrder,
) -> Option<JobFilter> {
    if template.is_some_and(|key| template_key(key).is_err()) {
        return None;
    }
    Some(JobFilter {
        status,
        template: template.map(String::from),
        order,
    })
}

#[cfg(test)]
mod tests;
