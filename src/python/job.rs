//! `Job`, `HostResult`, `Event` and `EventStream`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::aio::{raising, ready, run_async, spawn};
use super::convert::{seconds, to_py};
use super::errors::internal;
use crate::error::Error;
use crate::executor::{JobHandle, Subscription};
use crate::job::{Event, EventKind, HostResult};
use crate::report::{render, Format};

/// Each argument's extractor, so that its errors name it (`convert::named`).
mod arg {
    use super::super::convert::{named, optional_number};
    named!(optional_number => Option<f64>: timeout);
}

/// A handle on a submitted job; the properties read its live state. ``await job`` (or
/// ``await job.wait(timeout)``) waits for it to end and returns it.
#[pyclass(name = "Job", module = "ansible_inspec_rs._core", frozen)]
pub struct PyJob {
    pub(crate) inner: Arc<JobHandle>,
}

#[pymethods]
impl PyJob {
    /// Waits for the job to end and returns it. `timeout` bounds the waiting only
    /// (WaitTimeout); cancelling the awaiting task never cancels the job.
    #[pyo3(signature = (timeout=None))]
    fn wait<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = arg::timeout)] timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let timeout = match seconds(timeout, "timeout") {
            Ok(t) => t,
            Err(e) => return raising(py, e),
        };
        let job = self.inner.clone();
        if job.status().is_terminal() {
            return ready(py, Ok::<_, PyErr>(PyJob { inner: job }));
        }
        spawn(py, async move {
            job.wait(timeout).await?;
            Ok::<_, Error>(PyJob { inner: job })
        })
    }

    /// ``await job``: ``await job.wait()``.
    fn __await__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.wait(py, None)?.call_method0("__await__")
    }

    /// Cancels the job (kills its running checks). False when it had already finished.
    fn cancel<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let job = self.inner.clone();
        run_async(py, async move { job.cancel().await })
    }

    /// The job's events: what happened so far, then live ones; ends when the job ends.
    fn events(&self) -> PyEventStream {
        PyEventStream {
            job: self.inner.clone(),
            sub: Arc::new(tokio::sync::Mutex::new(self.inner.subscribe())),
        }
    }

    /// The job as a dict (its fields and every host result), as the REST API shows it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.snapshot())
    }

    /// The job as compact JSON (the fields of `to_dict()`), written without the GIL: the
    /// REST API sends these bytes as they are.
    fn to_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let job = self.inner.clone();
        let bytes = py
            .detach(move || serde_json::to_vec(&job.snapshot()))
            .map_err(|e| internal(format!("conversion failed: {e}")))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The job's report as text: "json" (InSpec's JSON reporter format), "junit" (JUnit
    /// XML), "html" (a self-contained summary) or "cli" (`inspec exec`'s terminal report;
    /// `color`: with ANSI colours). Works on a running job too (hosts so far).
    #[pyo3(signature = (format="json", *, color=false))]
    fn report(&self, py: Python<'_>, format: &str, color: bool) -> PyResult<String> {
        let format = match Format::parse(format)? {
            Format::Cli { .. } => Format::Cli { color },
            f => f,
        };
        let snapshot = self.inner.snapshot();
        Ok(py.detach(|| render(&snapshot, format)))
    }

    /// The names `report` takes.
    #[classattr]
    #[allow(non_snake_case)]
    fn REPORT_FORMATS() -> Vec<&'static str> {
        Format::ALL.iter().map(|f| f.name()).collect()
    }

    /// The HTTP `Content-Type` of a report in `format`.
    #[staticmethod]
    fn report_media_type(format: &str) -> PyResult<&'static str> {
        Ok(Format::parse(format)?.media_type())
    }

    /// ``job == JobStatus.SUCCESSFUL`` (or any status name) is true when the job is in that
    /// status now, as ``job.status == ...`` is; two Job objects are equal when they are the
    /// same job. Anything else is not equal.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        if let Ok(job) = other.cast::<PyJob>() {
            return job.get().inner.id == self.inner.id;
        }
        other
            .extract::<String>()
            .is_ok_and(|status| status == self.inner.status().as_str())
    }

    /// By id, so jobs stay usable as dict keys and set members (equal jobs hash alike).
    fn __hash__(&self) -> u64 {
        let (hi, lo) = self.inner.id.as_u64_pair();
        hi ^ lo
    }

    fn __repr__(&self) -> String {
        format!(
            "Job(id='{}', template={:?}, status='{}', hosts={})",
            self.inner.id,
            self.inner.template.name,
            self.inner.status().as_str(),
            self.inner.hosts.len()
        )
    }

    /// The job's id (a UUID).
    #[getter]
    fn id(&self) -> String {
        self.inner.id.to_string()
    }
    /// The name of the template it runs.
    #[getter]
    fn template_name(&self) -> &str {
        &self.inner.template.name
    }
    /// The stored template's id; None for an ad-hoc ``Template``.
    #[getter]
    fn template_id(&self) -> Option<String> {
        self.inner.template_id.map(|u| u.to_string())
    }
    /// The hosts it checks.
    #[getter]
    fn hosts(&self) -> Vec<String> {
        self.inner.hosts.clone()
    }
    /// The template's extra_vars updated with the job's own.
    #[getter]
    fn extra_vars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.extra_vars)
    }
    /// ``pending``, ``running``, ``successful``, ``failed``, ``error``, ``timeout`` or
    /// ``canceled`` (equal to the ``JobStatus`` members).
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status().as_str()
    }
    /// True once the job ended (any status but pending and running).
    #[getter]
    fn done(&self) -> bool {
        self.inner.status().is_terminal()
    }
    /// When it was submitted (UTC).
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.inner.created_at
    }
    /// When a worker started it; None while pending.
    #[getter]
    fn started_at(&self) -> Option<DateTime<Utc>> {
        self.inner.times().0
    }
    /// When it ended; None until then.
    #[getter]
    fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.inner.times().1
    }
    /// One ``HostResult`` per host checked so far.
    #[getter]
    fn results(&self) -> Vec<PyHostResult> {
        self.inner
            .results()
            .into_iter()
            .map(|inner| PyHostResult { inner })
            .collect()
    }
    /// Why the job could not run (status ``error``); None otherwise.
    #[getter]
    fn error(&self) -> Option<String> {
        self.inner.error()
    }
}

/// The outcome of checking one host.
#[pyclass(name = "HostResult", module = "ansible_inspec_rs._core", frozen)]
pub struct PyHostResult {
    inner: HostResult,
}

#[pymethods]
impl PyHostResult {
    /// All fields as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        let exit_code = self
            .inner
            .exit_code
            .map_or_else(|| "None".to_string(), |c| c.to_string());
        format!(
            "HostResult(host={:?}, status='{}', exit_code={exit_code}, attempts={})",
            self.inner.host,
            self.inner.status.as_str(),
            self.inner.attempts
        )
    }
    /// The host as given (``local://``, ``ssh://user@host:port``, an inventory name).
    #[getter]
    fn host(&self) -> &str {
        &self.inner.host
    }
    /// ``passed``, ``failed``, ``skipped``, ``error``, ``timeout``, ``canceled`` or
    /// ``unreachable`` (equal to the ``HostStatus`` members).
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    /// The check's exit code; None when it did not exit by itself (killed, not started).
    #[getter]
    fn exit_code(&self) -> Option<i32> {
        self.inner.exit_code
    }
    /// Seconds the check took (all attempts).
    #[getter]
    fn duration(&self) -> f64 {
        self.inner.duration
    }
    /// How many times the check ran (1 + retries used).
    #[getter]
    fn attempts(&self) -> u32 {
        self.inner.attempts
    }
    /// The tail of the check's standard output (at most ``output_tail_bytes``).
    #[getter]
    fn stdout(&self) -> &str {
        &self.inner.stdout
    }
    /// The tail of the check's standard error (at most ``output_tail_bytes``).
    #[getter]
    fn stderr(&self) -> &str {
        &self.inner.stderr
    }
    /// Why the host did not pass, when there is more to say than the output.
    #[getter]
    fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }
    /// When the check started (UTC).
    #[getter]
    fn started_at(&self) -> Option<DateTime<Utc>> {
        self.inner.started_at
    }
    /// When the check ended (UTC).
    #[getter]
    fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.inner.finished_at
    }
    /// Per-control results (inspec): dicts shaped as in InSpec's JSON report.
    #[getter]
    fn controls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.controls)
    }
    /// Per-task results (ansible): dicts with task, status, message, duration.
    #[getter]
    fn tasks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.tasks)
    }
}

/// One thing that happened to a job; ``to_dict()`` gives every field, flat, with ``type``.
#[pyclass(name = "Event", module = "ansible_inspec_rs._core", frozen)]
pub struct PyEvent {
    inner: Event,
}

#[pymethods]
impl PyEvent {
    /// All fields as a flat dict, with ``type``.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        let host = self
            .host()
            .map(|h| format!(", host={h:?}"))
            .unwrap_or_default();
        format!(
            "Event(seq={}, type='{}'{host})",
            self.inner.seq,
            self.inner.kind.name()
        )
    }
    /// The job's id.
    #[getter]
    fn job_id(&self) -> String {
        self.inner.job_id.to_string()
    }
    /// Position in the job's events, from 1.
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq
    }
    /// When it happened (UTC).
    #[getter]
    fn time(&self) -> DateTime<Utc> {
        self.inner.time
    }
    /// ``queued``, ``started``, ``host_started``, ``host_output``, ``host_retry``,
    /// ``host_finished``, ``finished`` or ``lagged``.
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        self.inner.kind.name()
    }
    /// The host it is about, for host events; None otherwise.
    #[getter]
    fn host(&self) -> Option<&str> {
        match &self.inner.kind {
            EventKind::HostStarted { host, .. }
            | EventKind::HostOutput { host, .. }
            | EventKind::HostRetry { host, .. }
            | EventKind::HostFinished { host, .. } => Some(host),
            _ => None,
        }
    }
}

/// ``async for event in job.events()``: the history so far, then live events; ends with the job.
#[pyclass(name = "EventStream", module = "ansible_inspec_rs._core", frozen)]
pub struct PyEventStream {
    job: Arc<JobHandle>,
    sub: Arc<tokio::sync::Mutex<Subscription>>,
}

fn next_item(e: Option<Event>) -> PyResult<PyEvent> {
    e.map(|inner| PyEvent { inner })
        .ok_or_else(|| PyStopAsyncIteration::new_err(()))
}

#[pymethods]
impl PyEventStream {
    fn __aiter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// A coroutine returning the next event (StopAsyncIteration after the last).
    fn __anext__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let id = self.job.id;
        // Buffered events are handed over without a trip through the runtime.
        if let Ok(mut sub) = self.sub.try_lock() {
            if let Some(e) = sub.try_next(id) {
                let item = next_item(e).and_then(|ev| Ok(Bound::new(py, ev)?.into_any()));
                return ready(py, item);
            }
        }
        let sub = self.sub.clone();
        spawn(
            py,
            async move { next_item(sub.lock().await.next(id).await) },
        )
    }
}
