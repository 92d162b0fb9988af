//! The executor: a bounded queue, `workers` tokio tasks taking jobs from it, and per-job
//! fan-out over hosts with at most `forks` checks at once.

pub mod events;
mod job_handle;
mod run;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use events::Subscription;
pub use job_handle::{JobHandle, StatusCounts};
pub use run::panic_message;

use crate::error::{Error, Result, ValidationError};
use crate::host::validate_hosts;
use crate::job::{EventKind, JobStatus};
use crate::runner::{RunContext, SshSettings};
use crate::store::{self, MemoryTemplates};
use crate::template::{Template, TemplateSpec};

pub const WORKERS_MAX: usize = 4096;
pub const QUEUE_MAX: usize = 10_000_000;

#[derive(Clone, Debug)]
pub struct ExecutorConfig {
    /// Jobs run at once.
    pub workers: usize,
    /// Jobs waiting to run; a submit beyond it fails with `QueueFull`.
    pub queue_size: usize,
    /// `None` or `memory://`: in memory.
    pub store: Option<String>,
    /// Bytes of stdout and of stderr kept per host result (the last ones).
    pub output_tail_bytes: usize,
    /// Output-line events kept per job for late subscribers.
    pub event_history: usize,
    /// How hosts are reached over SSH (multiplexing, host keys, default key).
    pub ssh: SshSettings,
    /// Directories searched for ansible-playbook / inspec / cinc-auditor before PATH.
    pub tool_path: Vec<std::path::PathBuf>,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        ExecutorConfig {
            workers: 8,
            queue_size: 10_000,
            store: None,
            output_tail_bytes: 64 * 1024,
            event_history: 10_000,
            ssh: SshSettings::default(),
            tool_path: Vec::new(),
        }
    }
}

impl ExecutorConfig {
    pub fn validate(&self) -> Result<(), ValidationError> {
        if !(1..=WORKERS_MAX).contains(&self.workers) {
            return Err(ValidationError::new(
                "workers",
                format!("must be from 1 to {WORKERS_MAX}"),
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
        store::backend_name(self.store.as_deref())?;
        Ok(())
    }
}

/// Which template a job runs.
pub enum TemplateRef {
    /// A stored template, by name or id.
    Stored(String),
    /// An ad-hoc template, used as given and not stored.
    AdHoc(Arc<Template>),
}

struct Inner {
    config: ExecutorConfig,
    storage_backend: &'static str,
    templates: MemoryTemplates,
    jobs: RwLock<Vec<Arc<JobHandle>>>,
    index: RwLock<std::collections::HashMap<Uuid, usize>>,
    counts: Arc<StatusCounts>,
    queue_tx: async_channel::Sender<Arc<JobHandle>>,
    queue_rx: async_channel::Receiver<Arc<JobHandle>>,
    closed: AtomicBool,
    workers: tokio::sync::Mutex<Vec<JoinHandle<()>>>,
    /// Shared by every job: SSH settings, the private runtime directory, tool lookup.
    run_ctx: Arc<RunContext>,
}

/// Closes the queue when the last user-facing `Executor` clone goes away, so idle
/// workers end even if nobody called `shutdown` (they finish what was queued first).
struct CloseOnDrop(async_channel::Sender<Arc<JobHandle>>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

#[derive(Clone)]
pub struct Executor {
    inner: Arc<Inner>,
    _owner: Arc<CloseOnDrop>,
}

/// Counts for /health and metrics.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stats {
    pub workers: usize,
    pub queue_size: usize,
    pub pending: usize,
    pub running: usize,
    pub jobs_by_status: std::collections::BTreeMap<&'static str, usize>,
    pub templates: usize,
    pub storage_backend: &'static str,
    pub closed: bool,
}

impl Executor {
    /// Starts the worker tasks on `runtime`.
    pub fn new(config: ExecutorConfig, runtime: &Handle) -> Result<Self> {
        config.validate()?;
        let storage_backend = store::backend_name(config.store.as_deref())?;
        let (queue_tx, queue_rx) = async_channel::bounded(config.queue_size);
        let run_ctx = RunContext::new(
            config.output_tail_bytes,
            config.ssh.clone(),
            config.tool_path.clone(),
        )
        .map_err(|e| Error::Internal(format!("cannot create the runtime directory: {e}")))?;
        let inner = Arc::new(Inner {
            run_ctx: Arc::new(run_ctx),
            storage_backend,
            templates: MemoryTemplates::default(),
            jobs: RwLock::new(Vec::new()),
            index: RwLock::new(Default::default()),
            counts: Arc::new(StatusCounts::default()),
            queue_tx: queue_tx.clone(),
            queue_rx,
            closed: AtomicBool::new(false),
            workers: tokio::sync::Mutex::new(Vec::new()),
            config,
        });
        let handles = (0..inner.config.workers)
            .map(|_| runtime.spawn(run::worker(inner.clone())))
            .collect();
        // Not contended yet: the executor was just made.
        if let Ok(mut w) = inner.workers.try_lock() {
            *w = handles;
        }
        Ok(Executor {
            inner,
            _owner: Arc::new(CloseOnDrop(queue_tx)),
        })
    }

    pub fn config(&self) -> &ExecutorConfig {
        &self.inner.config
    }

    pub fn storage_backend(&self) -> &'static str {
        self.inner.storage_backend
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

    pub fn create_template(&self, spec: TemplateSpec) -> Result<Arc<Template>> {
        self.check_open()?;
        self.inner.templates.create(Template::create(spec)?)
    }

    pub fn add_template(&self, template: Template) -> Result<Arc<Template>> {
        self.check_open()?;
        template.validate()?;
        self.inner.templates.create(template)
    }

    pub fn get_template(&self, key: &str) -> Result<Arc<Template>> {
        self.inner.templates.get(key)
    }

    pub fn list_templates(&self) -> Vec<Arc<Template>> {
        self.inner.templates.list()
    }

    pub fn update_template(&self, key: &str, patch: TemplateSpec) -> Result<Arc<Template>> {
        self.check_open()?;
        self.inner.templates.update(key, patch)
    }

    pub fn delete_template(&self, key: &str) -> Result<()> {
        self.check_open()?;
        self.inner.templates.delete(key).map(|_| ())
    }

    // ---- jobs ----

    /// Queues a job and returns it at once, `pending`. Fails with `QueueFull` when
    /// `queue_size` jobs are already waiting.
    pub fn submit(
        &self,
        template: TemplateRef,
        hosts: Vec<String>,
        extra_vars: Map<String, Value>,
    ) -> Result<Arc<JobHandle>> {
        self.check_open()?;
        validate_hosts(&hosts)?;
        let (template, template_id) = match template {
            TemplateRef::Stored(key) => {
                let t = self.inner.templates.get(&key)?;
                let id = t.id;
                (t, Some(id))
            }
            TemplateRef::AdHoc(t) => {
                t.validate()?;
                (t, None)
            }
        };
        // No hosts given: the template's inventory + target/limit select them.
        let hosts = if hosts.is_empty() {
            crate::inventory::hosts_for_template(&template)?
        } else {
            hosts
        };
        validate_hosts(&hosts)?;
        let mut vars = template.extra_vars.clone();
        vars.extend(extra_vars);
        let job = Arc::new(JobHandle::new(
            template,
            template_id,
            hosts,
            vars,
            self.inner.config.event_history,
            self.inner.counts.clone(),
        ));
        job.emit(EventKind::Queued);
        match self.inner.queue_tx.try_send(job.clone()) {
            Ok(()) => {}
            Err(e) => {
                // Never visible to anyone: undo its count and drop it.
                self.inner.counts.removed(JobStatus::Pending);
                return Err(if e.is_full() {
                    Error::QueueFull(self.inner.config.queue_size)
                } else {
                    Error::ExecutorClosed
                });
            }
        }
        let mut jobs = self.inner.jobs.write().unwrap_or_else(|p| p.into_inner());
        self.inner
            .index
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job.id, jobs.len());
        jobs.push(job.clone());
        Ok(job)
    }

    pub fn get(&self, id: &str) -> Result<Arc<JobHandle>> {
        let not_found = || Error::JobNotFound(id.to_string());
        let uuid = Uuid::parse_str(id).map_err(|_| not_found())?;
        let pos = *self
            .inner
            .index
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&uuid)
            .ok_or_else(not_found)?;
        let jobs = self.inner.jobs.read().unwrap_or_else(|p| p.into_inner());
        jobs.get(pos).cloned().ok_or_else(not_found)
    }

    fn matching(&self, status: Option<JobStatus>, template: Option<&str>) -> Vec<Arc<JobHandle>> {
        let jobs = self.inner.jobs.read().unwrap_or_else(|p| p.into_inner());
        jobs.iter()
            .filter(|j| status.is_none_or(|s| j.status() == s))
            .filter(|j| {
                template.is_none_or(|t| j.template.name == t || j.template.id.to_string() == t)
            })
            .cloned()
            .collect()
    }

    /// Jobs in submission order, filtered, then paged.
    pub fn list(
        &self,
        status: Option<JobStatus>,
        template: Option<&str>,
        limit: Option<usize>,
        offset: usize,
    ) -> Vec<Arc<JobHandle>> {
        let all = self.matching(status, template);
        all.into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect()
    }

    pub fn count(&self, status: Option<JobStatus>, template: Option<&str>) -> usize {
        match (status, template) {
            (None, None) => self.inner.jobs.read().map(|j| j.len()).unwrap_or(0),
            (Some(s), None) => self.inner.counts.get(s),
            _ => self.matching(status, template).len(),
        }
    }

    /// Forgets a finished job.
    pub fn delete(&self, id: &str) -> Result<()> {
        let job = self.get(id)?;
        let status = job.status();
        if !status.is_terminal() {
            return Err(Error::JobNotFinished(id.to_string()));
        }
        let mut jobs = self.inner.jobs.write().unwrap_or_else(|p| p.into_inner());
        let mut index = self.inner.index.write().unwrap_or_else(|p| p.into_inner());
        if let Some(pos) = index.remove(&job.id) {
            jobs.remove(pos);
            for (i, j) in jobs.iter().enumerate().skip(pos) {
                index.insert(j.id, i);
            }
            self.inner.counts.removed(status);
        }
        Ok(())
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
            templates: self.inner.templates.len(),
            storage_backend: self.inner.storage_backend,
            closed: self.is_closed(),
        }
    }

    /// Stops taking work. `drain`: queued jobs still run; otherwise they are canceled and
    /// running jobs are stopped. Returns when every worker has ended.
    pub async fn shutdown(&self, drain: bool) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.queue_tx.close();
        if !drain {
            while let Ok(job) = self.inner.queue_rx.try_recv() {
                job.cancel();
            }
            let running = self.matching(Some(JobStatus::Running), None);
            for job in running {
                job.cancel();
            }
        }
        let mut workers = self.inner.workers.lock().await;
        for w in workers.drain(..) {
            let _ = w.await;
        }
    }
}

#[cfg(test)]
mod tests;
