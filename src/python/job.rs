//! `Job`, `HostResult`, `Event` and `EventStream`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pyo3::exceptions::PyStopAsyncIteration;
use pyo3::prelude::*;

use super::convert::{ready, ready_value, run_async, seconds, spawn, to_py};
use crate::executor::{JobHandle, Subscription};
use crate::job::{Event, EventKind, HostResult};
use crate::report::{render, Format};

#[pyclass(name = "Job", module = "ansible_inspec_rs._core", frozen)]
pub struct PyJob {
    pub(crate) inner: Arc<JobHandle>,
}

#[pymethods]
impl PyJob {
    /// Waits for the job to end and returns it. `timeout` bounds the waiting only
    /// (WaitTimeout); cancelling the awaiting task never cancels the job.
    #[pyo3(signature = (timeout=None))]
    fn wait<'py>(&self, py: Python<'py>, timeout: Option<f64>) -> PyResult<Bound<'py, PyAny>> {
        let timeout = seconds(timeout, "timeout")?;
        let job = self.inner.clone();
        if job.status().is_terminal() {
            return ready_value(py, Ok(PyJob { inner: job }));
        }
        spawn(py, async move {
            job.wait(timeout).await?;
            Ok(PyJob { inner: job })
        })
    }

    fn __await__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.wait(py, None)?.call_method0("__await__")
    }

    /// Cancels the job (kills its running checks). False when it had already finished.
    fn cancel<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let job = self.inner.clone();
        run_async(py, async move { Ok(job.cancel().await?) })
    }

    /// The job's events: what happened so far, then live ones; ends when the job ends.
    fn events(&self) -> PyEventStream {
        PyEventStream {
            job: self.inner.clone(),
            sub: Arc::new(tokio::sync::Mutex::new(self.inner.subscribe())),
        }
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.snapshot())
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

    fn __repr__(&self) -> String {
        format!(
            "Job(id='{}', template={:?}, status='{}', hosts={})",
            self.inner.id,
            self.inner.template.name,
            self.inner.status().as_str(),
            self.inner.hosts.len()
        )
    }

    #[getter]
    fn id(&self) -> String {
        self.inner.id.to_string()
    }
    #[getter]
    fn template_name(&self) -> &str {
        &self.inner.template.name
    }
    #[getter]
    fn template_id(&self) -> Option<String> {
        self.inner.template_id.map(|u| u.to_string())
    }
    #[getter]
    fn hosts(&self) -> Vec<String> {
        self.inner.hosts.clone()
    }
    #[getter]
    fn extra_vars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.extra_vars)
    }
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status().as_str()
    }
    #[getter]
    fn done(&self) -> bool {
        self.inner.status().is_terminal()
    }
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.inner.created_at
    }
    #[getter]
    fn started_at(&self) -> Option<DateTime<Utc>> {
        self.inner.times().0
    }
    #[getter]
    fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.inner.times().1
    }
    #[getter]
    fn results(&self) -> Vec<PyHostResult> {
        self.inner
            .results()
            .into_iter()
            .map(|inner| PyHostResult { inner })
            .collect()
    }
    #[getter]
    fn error(&self) -> Option<String> {
        self.inner.error()
    }
}

#[pyclass(name = "HostResult", module = "ansible_inspec_rs._core", frozen)]
pub struct PyHostResult {
    inner: HostResult,
}

#[pymethods]
impl PyHostResult {
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner)
    }
    fn __repr__(&self) -> String {
        format!(
            "HostResult(host={:?}, status='{}', exit_code={:?}, attempts={})",
            self.inner.host,
            self.inner.status.as_str(),
            self.inner.exit_code,
            self.inner.attempts
        )
    }
    #[getter]
    fn host(&self) -> &str {
        &self.inner.host
    }
    #[getter]
    fn status(&self) -> &'static str {
        self.inner.status.as_str()
    }
    #[getter]
    fn exit_code(&self) -> Option<i32> {
        self.inner.exit_code
    }
    #[getter]
    fn duration(&self) -> f64 {
        self.inner.duration
    }
    #[getter]
    fn attempts(&self) -> u32 {
        self.inner.attempts
    }
    #[getter]
    fn stdout(&self) -> &str {
        &self.inner.stdout
    }
    #[getter]
    fn stderr(&self) -> &str {
        &self.inner.stderr
    }
    #[getter]
    fn message(&self) -> Option<&str> {
        self.inner.message.as_deref()
    }
    #[getter]
    fn started_at(&self) -> Option<DateTime<Utc>> {
        self.inner.started_at
    }
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

#[pyclass(name = "Event", module = "ansible_inspec_rs._core", frozen)]
pub struct PyEvent {
    inner: Event,
}

#[pymethods]
impl PyEvent {
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
    #[getter]
    fn job_id(&self) -> String {
        self.inner.job_id.to_string()
    }
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq
    }
    #[getter]
    fn time(&self) -> DateTime<Utc> {
        self.inner.time
    }
    #[getter(r#type)]
    fn kind(&self) -> &'static str {
        self.inner.kind.name()
    }
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
