//! `Executor` and its `templates` registry.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyType;
use serde_json::{Map, Value};

use super::aio::{raising, ready, run_async, spawn};
use super::convert::{block_on, from_py, seconds, to_py, Naming};
use super::job::PyJob;
use super::template::{spec_from, PyTemplate};
use crate::error::{Error, ValidationError};
use crate::executor::{EmptySelection, Executor, ExecutorConfig, TemplateRef};
use crate::job::JobStatus;
use crate::policy::{PathRoots, Policy};
use crate::runner::{HostKeyChecking, SshSettings};
use crate::store::{JobOrder, RecoveryPolicy};
use crate::template::Template;

/// Each argument's extractor, so that its errors name it (`convert::named`).
mod arg {
    use super::super::convert::{
        clamped_int, clamped_optional_int, named, number, optional_text, text,
    };
    named!(clamped_int => i64: workers, queue_size, output_tail_bytes, event_history,
        max_attempts, nice, offset);
    named!(clamped_optional_int => Option<i64>: limit);
    named!(number => f64: heartbeat_interval, stale_after, poll_interval);
    // (`recovery`, `ssh_host_key_checking` and `order` stay `&str`: pyo3 needs a default of
    // the argument's own type, and a choice no name matches is refused by its parser.)
    named!(text => String: job_id, name_or_id);
    named!(optional_text => Option<String>: store, ssh_known_hosts, ssh_identity_file, status,
        template);
}

fn count(v: i64, field: &str) -> PyResult<usize> {
    usize::try_from(v)
        .map_err(|_| Error::from(ValidationError::new(field, "must not be negative")).into())
}

fn status_filter(status: Option<&str>) -> PyResult<Option<JobStatus>> {
    status
        .map(|s| {
            JobStatus::parse(s).ok_or_else(|| {
                let names: Vec<_> = JobStatus::ALL.iter().map(|s| s.as_str()).collect();
                Error::from(ValidationError::new(
                    "status",
                    format!("must be one of {}", names.join(", ")),
                ))
                .into()
            })
        })
        .transpose()
}

fn duration(v: f64, field: &str) -> PyResult<Duration> {
    seconds(Some(v), field)?
        .ok_or_else(|| Error::from(ValidationError::new(field, "is required")).into())
}

/// Queue + tokio worker pool that runs compliance jobs: ``async with Executor(...) as ex:``.
///
/// Opens the store (``None``: memory; ``sqlite:///path``; ``postgresql://…``), creating or
/// migrating it, recovers the jobs of executors that died (``recovery``: ``requeue`` or
/// ``error``) and starts ``workers`` workers (``0``: this one only submits and reads).
/// Check processes start at nice value ``nice`` (0–19, default 10) and, with ``idle_checks``
/// (default), under Linux's ``SCHED_IDLE`` policy, so the caller's event loop gets a core
/// first and at once; they still use every cycle nobody else wants. Process-wide: the
/// highest ``nice`` asked for applies, and ``idle_checks`` if any executor asked for it.
///
/// Methods that read or write the store, or wait, are coroutines (``submit``, ``get``,
/// ``list``, ``count``, ``delete``, ``shutdown``, and those of ``templates``); ``stats()`` and
/// the properties read in-memory state and return at once.
#[pyclass(name = "Executor", module = "ansible_inspec_rs._core", frozen)]
pub struct PyExecutor {
    inner: Executor,
}

#[pymethods]
impl PyExecutor {
    #[new]
    #[pyo3(signature = (
        workers=8, queue_size=10000, store=None, *, output_tail_bytes=65536, event_history=10000,
        recovery="requeue", max_attempts=3, heartbeat_interval=5.0, stale_after=30.0, poll_interval=5.0,
        ssh_host_key_checking="yes", ssh_known_hosts=None, ssh_identity_file=None,
        ssh_multiplex=true, tool_path=None, profile_roots=None, playbook_roots=None,
        inventory_roots=None, allow_commands=true, allow_local=true, nice=10, idle_checks=true
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        #[pyo3(from_py_with = arg::workers)] workers: i64,
        #[pyo3(from_py_with = arg::queue_size)] queue_size: i64,
        #[pyo3(from_py_with = arg::store)] store: Option<String>,
        #[pyo3(from_py_with = arg::output_tail_bytes)] output_tail_bytes: i64,
        #[pyo3(from_py_with = arg::event_history)] event_history: i64,
        recovery: &str,
        #[pyo3(from_py_with = arg::max_attempts)] max_attempts: i64,
        #[pyo3(from_py_with = arg::heartbeat_interval)] heartbeat_interval: f64,
        #[pyo3(from_py_with = arg::stale_after)] stale_after: f64,
        #[pyo3(from_py_with = arg::poll_interval)] poll_interval: f64,
        ssh_host_key_checking: &str,
        #[pyo3(from_py_with = arg::ssh_known_hosts)] ssh_known_hosts: Option<String>,
        #[pyo3(from_py_with = arg::ssh_identity_file)] ssh_identity_file: Option<String>,
        ssh_multiplex: bool,
        tool_path: Option<Vec<String>>,
        profile_roots: Option<Vec<std::path::PathBuf>>,
        playbook_roots: Option<Vec<std::path::PathBuf>>,
        inventory_roots: Option<Vec<std::path::PathBuf>>,
        allow_commands: bool,
        allow_local: bool,
        #[pyo3(from_py_with = arg::nice)] nice: i64,
        idle_checks: bool,
    ) -> PyResult<Self> {
        let mut tools: Vec<std::path::PathBuf> = tool_path
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        // Tools installed beside this Python (a venv's ansible-playbook) are found even
        // when the venv is not activated.
        if let Ok(scripts) = py
            .import("sysconfig")
            .and_then(|m| m.call_method1("get_path", ("scripts",)))
            .and_then(|p| p.extract::<String>())
        {
            tools.push(scripts.into());
        }
        let config = ExecutorConfig {
            workers: count(workers, "workers")?,
            queue_size: count(queue_size, "queue_size")?,
            store,
            output_tail_bytes: count(output_tail_bytes, "output_tail_bytes")?,
            event_history: count(event_history, "event_history")?,
            recovery: RecoveryPolicy::parse(recovery)?,
            max_attempts: u32::try_from(max_attempts).map_err(|_| {
                Error::from(ValidationError::new(
                    "max_attempts",
                    "must be from 1 to 100",
                ))
            })?,
            heartbeat_interval: duration(heartbeat_interval, "heartbeat_interval")?,
            stale_after: duration(stale_after, "stale_after")?,
            poll_interval: duration(poll_interval, "poll_interval")?,
            ssh: SshSettings {
                multiplex: ssh_multiplex,
                host_key_checking: HostKeyChecking::parse(ssh_host_key_checking)?,
                known_hosts_file: ssh_known_hosts,
                identity_file: ssh_identity_file,
                ..Default::default()
            },
            tool_path: tools,
            policy: Policy {
                path_roots: PathRoots {
                    profiles: profile_roots,
                    playbooks: playbook_roots,
                    inventories: inventory_roots,
                },
                allow_commands,
                allow_local,
            },
            nice: i32::try_from(nice).unwrap_or(if nice < 0 { i32::MIN } else { i32::MAX }),
            idle_checks,
        };
        let runtime = pyo3_async_runtimes::tokio::get_runtime().handle().clone();
        let inner = block_on(py, Executor::start(config, &runtime))?;
        Ok(PyExecutor { inner })
    }

    /// Queues a job and returns it, pending. ``template`` is a stored template's name or id,
    /// or a ``Template`` to run as given. Without ``hosts`` the template's inventory and
    /// target/limit select them; a job that would check no host is a ValidationError
    /// naming ``hosts`` unless ``allow_empty=True`` (it then ends successful, checking nothing).
    /// ``overrides``: fields of a stored template changed for this job only (it stays that
    /// template's job); with a ``Template``, fields changed on it.
    #[pyo3(signature = (template, hosts=None, extra_vars=None, *, allow_empty=false, overrides=None))]
    fn submit<'py>(
        &self,
        py: Python<'py>,
        template: &Bound<'py, PyAny>,
        hosts: Option<&Bound<'py, PyAny>>,
        extra_vars: Option<&Bound<'py, PyAny>>,
        allow_empty: bool,
        overrides: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = (|| -> PyResult<_> {
            let patch = overrides.map(spec_from).transpose()?;
            let template = match (template.cast::<PyTemplate>(), patch) {
                (Ok(t), None) => TemplateRef::AdHoc(t.get().inner.clone()),
                (Ok(t), Some(patch)) => {
                    TemplateRef::AdHoc(Arc::new(t.get().inner.updated(patch).map_err(Error::from)?))
                }
                (Err(_), patch) => {
                    if !template.is_instance_of::<pyo3::types::PyString>() {
                        return Err(Error::from(ValidationError::new(
                            "template",
                            "must be a template name, id or Template",
                        ))
                        .into());
                    }
                    let key = super::convert::text(template, "template")?;
                    match patch {
                        None => TemplateRef::Stored(key),
                        Some(patch) => TemplateRef::Overridden(key, Box::new(patch)),
                    }
                }
            };
            // Data arguments by one rule (`convert::from_py`): their problems name them.
            let hosts: Vec<String> = match hosts {
                Some(h) => from_py(h, Naming::Argument("hosts"))?,
                None => Vec::new(),
            };
            let vars: Map<String, Value> = match extra_vars {
                Some(v) => from_py(v, Naming::Argument("extra_vars"))?,
                None => Map::new(),
            };
            Ok((template, hosts, vars))
        })();
        let (template, hosts, vars) = match args {
            Ok(a) => a,
            Err(e) => return raising(py, e),
        };
        let empty = if allow_empty {
            EmptySelection::Allow
        } else {
            EmptySelection::Refuse
        };
        let ex = self.inner.clone();
        run_async(py, async move {
            let inner = ex.submit_with(template, hosts, vars, empty).await?;
            Ok::<_, Error>(PyJob { inner })
        })
    }

    /// The job with this id (JobNotFound otherwise).
    fn get<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = arg::job_id)] job_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        run_async(py, async move {
            let inner = ex.get(&job_id).await?;
            Ok::<_, Error>(PyJob { inner })
        })
    }

    /// Jobs by submission, newest first (order="asc": oldest first), optionally filtered by
    /// status and template (name or id).
    #[pyo3(signature = (status=None, template=None, limit=None, offset=0, order="desc"))]
    fn list<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = arg::status)] status: Option<String>,
        #[pyo3(from_py_with = arg::template)] template: Option<String>,
        #[pyo3(from_py_with = arg::limit)] limit: Option<i64>,
        #[pyo3(from_py_with = arg::offset)] offset: i64,
        order: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = (|| -> PyResult<_> {
            Ok((
                status_filter(status.as_deref())?,
                limit.map(|l| count(l, "limit")).transpose()?,
                count(offset, "offset")?,
                JobOrder::parse(order).map_err(Error::from)?,
            ))
        })();
        let (status, limit, offset, order) = match args {
            Ok(a) => a,
            Err(e) => return raising(py, e),
        };
        let ex = self.inner.clone();
        run_async(py, async move {
            let jobs = ex
                .list(status, template.as_deref(), order, limit, offset)
                .await?;
            Ok::<_, Error>(
                jobs.into_iter()
                    .map(|inner| PyJob { inner })
                    .collect::<Vec<_>>(),
            )
        })
    }

    /// How many jobs there are, optionally filtered by status and template (name or id).
    #[pyo3(signature = (status=None, template=None))]
    fn count<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = arg::status)] status: Option<String>,
        #[pyo3(from_py_with = arg::template)] template: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let status = match status_filter(status.as_deref()) {
            Ok(s) => s,
            Err(e) => return raising(py, e),
        };
        let ex = self.inner.clone();
        run_async(
            py,
            async move { ex.count(status, template.as_deref()).await },
        )
    }

    /// Forgets a finished job (JobNotFinished otherwise).
    fn delete<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = arg::job_id)] job_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        run_async(py, async move { ex.delete(&job_id).await })
    }

    /// A snapshot of this executor's in-memory counters (workers, queue_size, pending,
    /// running, jobs_by_status, storage_backend, worker_id, closed, lease_age_seconds, and
    /// what its workers did: claimed, queue_wait_seconds, requeued, interrupted, lease_lost,
    /// store_errors). Synchronous, as the
    /// properties are: it reads no store and never waits (a metrics collector can call it).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.stats())
    }

    /// The store's counts for the whole cluster, read in one query and reused for 2 s:
    /// one entry per job status, ``attempts``, ``requeued``, ``oldest_pending_seconds`` and
    /// ``live_workers``. StoreError when the store does not answer within 2 s.
    fn job_stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        spawn(py, async move {
            let stats = ex.job_stats().await?;
            Ok::<_, Error>(stats.flat(chrono::Utc::now()))
        })
    }

    /// Ids of jobs as they end (run here, or anywhere where the store sends notices), in
    /// batches: one follower instead of a waiter per job.
    fn follow_ends(&self) -> PyJobEnds {
        PyJobEnds {
            rx: Arc::new(tokio::sync::Mutex::new(self.inner.follow_ends())),
        }
    }

    /// Checks that the store answers a cheap read now (within 2 s; StoreError otherwise):
    /// `{"workers": [{"id", "heartbeat_at", "lease_until"}…]}`, the executors with a live lease.
    fn check_store<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        spawn(py, async move {
            // Plain Rust values: converted to Python by the bridge, inside its exit gate.
            let workers: Vec<HashMap<&'static str, Option<String>>> = ex
                .check_store()
                .await?
                .into_iter()
                .map(worker_dict)
                .collect();
            Ok::<_, Error>(HashMap::from([("workers", workers)]))
        })
    }

    /// What the background store probe (every second) last found, from memory and at once:
    /// ``{"reachable", "error", "age_seconds", "workers"}``, ``workers`` as in
    /// ``check_store``. A probe silent for 5 s reads as unreachable.
    fn store_health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let health = self.inner.store_health();
        let (workers, error) = match health.outcome {
            Ok(workers) => (workers, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let workers: Vec<HashMap<&'static str, Option<String>>> =
            workers.into_iter().map(worker_dict).collect();
        let dict = pyo3::types::PyDict::new(py);
        dict.set_item("reachable", error.is_none())?;
        dict.set_item("error", error)?;
        dict.set_item("age_seconds", health.age_seconds)?;
        dict.set_item("workers", workers)?;
        Ok(dict.into_any())
    }

    /// Stops taking work; `drain=True` runs what is queued, `False` cancels everything.
    #[pyo3(signature = (drain=true))]
    fn shutdown<'py>(&self, py: Python<'py>, drain: bool) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        spawn(py, async move {
            ex.shutdown(drain).await;
            Ok::<_, Error>(())
        })
    }

    /// ``async with Executor(...) as ex``: the executor itself; ExecutorClosed once it was
    /// shut down (a block would otherwise start on an executor that refuses every job).
    fn __aenter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        if slf.get().inner.is_closed() {
            return ready(slf.py(), Err::<Bound<'py, PyAny>, _>(Error::ExecutorClosed));
        }
        ready(slf.py(), Ok::<_, PyErr>(slf.clone().into_any()))
    }

    /// Leaving `async with` drains the queue, or cancels everything when the block raised.
    fn __aexit__<'py>(
        &self,
        py: Python<'py>,
        exc_type: Option<&Bound<'py, PyType>>,
        exc: Option<&Bound<'py, PyAny>>,
        tb: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = (exc, tb);
        self.shutdown(py, exc_type.is_none())
    }

    /// The template registry (``await ex.templates.create(...)`` …).
    #[getter]
    fn templates(&self) -> PyTemplates {
        PyTemplates {
            inner: self.inner.clone(),
        }
    }
    /// True once ``shutdown`` began (or the ``async with`` block was left).
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }
    /// Jobs run at once.
    #[getter]
    fn workers(&self) -> usize {
        self.inner.config().workers
    }
    /// Pending jobs allowed before ``submit`` raises QueueFull.
    #[getter]
    fn queue_size(&self) -> usize {
        self.inner.config().queue_size
    }
    /// ``memory``, ``sqlite`` or ``postgresql``.
    #[getter]
    fn storage_backend(&self) -> &'static str {
        self.inner.storage_backend()
    }
    /// This executor's id in a shared store (which worker claimed a job).
    #[getter]
    fn worker_id(&self) -> &str {
        self.inner.worker_id()
    }
    fn __repr__(&self) -> String {
        let s = self.inner.stats();
        format!(
            "Executor(workers={}, queue_size={}, store='{}', pending={}, running={}, closed={})",
            s.workers, s.queue_size, s.storage_backend, s.pending, s.running, s.closed
        )
    }
}

/// ``executor.templates``: the template registry; every method is a coroutine.
#[pyclass(name = "Templates", module = "ansible_inspec_rs._core", frozen)]
pub struct PyTemplates {
    inner: Executor,
}

#[pymethods]
impl PyTemplates {
    /// Stores a template (a `Template` or a dict of its fields); TemplateExists on a duplicate name.
    fn create<'py>(
        &self,
        py: Python<'py>,
        template: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let t = match template.cast::<PyTemplate>() {
            Ok(t) => Ok((*t.get().inner).clone()),
            Err(_) => spec_from(template).and_then(|s| Template::build(s).map_err(PyErr::from)),
        };
        let t = match t {
            Ok(t) => t,
            Err(e) => return raising(py, e),
        };
        let ex = self.inner.clone();
        run_async(
            py,
            async move { ex.add_template(t).await.map(PyTemplate::wrap) },
        )
    }

    /// The stored template with this name or id (TemplateNotFound otherwise).
    fn get<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = arg::name_or_id)] name_or_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        run_async(py, async move {
            ex.get_template(&name_or_id).await.map(PyTemplate::wrap)
        })
    }

    /// Every stored template.
    fn list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        run_async(py, async move {
            Ok::<_, Error>(
                ex.list_templates()
                    .await?
                    .into_iter()
                    .map(PyTemplate::wrap)
                    .collect::<Vec<_>>(),
            )
        })
    }

    /// Changes the given fields; setting one of profile/playbook/command replaces the others.
    fn update<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = arg::name_or_id)] name_or_id: String,
        changes: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let patch = match spec_from(changes) {
            Ok(p) => p,
            Err(e) => return raising(py, e),
        };
        let ex = self.inner.clone();
        run_async(py, async move {
            ex.update_template(&name_or_id, patch)
                .await
                .map(PyTemplate::wrap)
        })
    }

    /// Removes a stored template (TemplateNotFound otherwise); its jobs are kept.
    fn delete<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = arg::name_or_id)] name_or_id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        run_async(py, async move { ex.delete_template(&name_or_id).await })
    }
}

/// `Executor.follow_ends()`: an async iterator of lists of ended jobs.
#[pyclass(name = "JobEnds", module = "ansible_inspec_rs._core", frozen)]
pub struct PyJobEnds {
    rx: Arc<tokio::sync::Mutex<tokio::sync::broadcast::Receiver<crate::executor::JobEnd>>>,
}

/// One ended job as `follow_ends` hands it out: its id and, when whoever ended it told
/// (see `EndSummary`), its status, duration and host results by status.
#[pyclass(name = "JobEnd", module = "ansible_inspec_rs._core", frozen, get_all)]
pub struct PyJobEnd {
    id: String,
    status: Option<&'static str>,
    seconds: Option<f64>,
    hosts: Option<HashMap<String, u32>>,
}

impl From<crate::executor::JobEnd> for PyJobEnd {
    fn from(end: crate::executor::JobEnd) -> Self {
        let s = end.summary;
        PyJobEnd {
            id: end.id.to_string(),
            status: s.as_ref().map(|s| s.status.as_str()),
            seconds: s.as_ref().map(|s| s.seconds),
            hosts: s.map(|s| s.hosts.into_iter().collect()),
        }
    }
}

/// Ends handed over per batch at most.
const ENDS_BATCH: usize = 1024;

#[pymethods]
impl PyJobEnds {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        use tokio::sync::broadcast::error::{RecvError, TryRecvError};
        let rx = self.rx.clone();
        spawn(py, async move {
            let mut rx = rx.lock().await;
            let mut ends = Vec::new();
            loop {
                match rx.recv().await {
                    Ok(end) => {
                        ends.push(PyJobEnd::from(end));
                        break;
                    }
                    // Fell behind: the oldest ends are gone; carry on with the rest.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => {
                        return Err(pyo3::exceptions::PyStopAsyncIteration::new_err(()))
                    }
                }
            }
            while ends.len() < ENDS_BATCH {
                match rx.try_recv() {
                    Ok(end) => ends.push(PyJobEnd::from(end)),
                    Err(TryRecvError::Lagged(_)) => continue,
                    Err(_) => break,
                }
            }
            Ok(ends)
        })
    }
}

/// A live executor as Python sees it (`check_store`, `store_health`).
fn worker_dict(w: crate::store::LiveWorker) -> HashMap<&'static str, Option<String>> {
    HashMap::from([
        ("id", Some(w.id)),
        ("heartbeat_at", Some(w.heartbeat_at)),
        ("lease_until", w.lease_until),
    ])
}
