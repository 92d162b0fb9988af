//! `Template`: a validated template, immutable from Python.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{from_py, to_py};
use crate::template::{Template, TemplateSpec};

#[pyclass(name = "Template", module = "ansible_inspec_rs._core", frozen)]
pub struct PyTemplate {
    pub(crate) inner: Arc<Template>,
}

/// The keyword arguments of `Template(...)`; None means "the default".
const FIELDS: &[&str] = &[
    "description",
    "profile",
    "playbook",
    "command",
    "inventory",
    "target",
    "limit",
    "tags",
    "skip_tags",
    "extra_vars",
    "reporter",
    "supermarket",
    "job_type",
    "timeout",
    "forks",
    "retries",
    "retry_backoff",
    "verbosity",
    "connection",
    "connect_timeout",
    "runner",
    "allow_ansible_vars",
];

pub(crate) fn spec_from(obj: &Bound<'_, PyAny>) -> PyResult<TemplateSpec> {
    from_py(obj, "template")
}

#[pymethods]
impl PyTemplate {
    #[new]
    #[pyo3(signature = (
        name, *, description=None, profile=None, playbook=None, command=None, inventory=None,
        target=None, limit=None, tags=None, skip_tags=None, extra_vars=None, reporter=None,
        supermarket=None, job_type=None, timeout=None, forks=None, retries=None,
        retry_backoff=None, verbosity=None, connection=None, connect_timeout=None,
        runner=None, allow_ansible_vars=None
    ))]
    #[allow(clippy::too_many_arguments, unused_variables)]
    fn new(
        py: Python<'_>,
        name: Bound<'_, PyAny>,
        description: Option<Bound<'_, PyAny>>,
        profile: Option<Bound<'_, PyAny>>,
        playbook: Option<Bound<'_, PyAny>>,
        command: Option<Bound<'_, PyAny>>,
        inventory: Option<Bound<'_, PyAny>>,
        target: Option<Bound<'_, PyAny>>,
        limit: Option<Bound<'_, PyAny>>,
        tags: Option<Bound<'_, PyAny>>,
        skip_tags: Option<Bound<'_, PyAny>>,
        extra_vars: Option<Bound<'_, PyAny>>,
        reporter: Option<Bound<'_, PyAny>>,
        supermarket: Option<Bound<'_, PyAny>>,
        job_type: Option<Bound<'_, PyAny>>,
        timeout: Option<Bound<'_, PyAny>>,
        forks: Option<Bound<'_, PyAny>>,
        retries: Option<Bound<'_, PyAny>>,
        retry_backoff: Option<Bound<'_, PyAny>>,
        verbosity: Option<Bound<'_, PyAny>>,
        connection: Option<Bound<'_, PyAny>>,
        connect_timeout: Option<Bound<'_, PyAny>>,
        runner: Option<Bound<'_, PyAny>>,
        allow_ansible_vars: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let values = [
            description,
            profile,
            playbook,
            command,
            inventory,
            target,
            limit,
            tags,
            skip_tags,
            extra_vars,
            reporter,
            supermarket,
            job_type,
            timeout,
            forks,
            retries,
            retry_backoff,
            verbosity,
            connection,
            connect_timeout,
            runner,
            allow_ansible_vars,
        ];
        let d = PyDict::new(py);
        d.set_item("name", name)?;
        for (k, v) in FIELDS.iter().zip(values) {
            if let Some(v) = v {
                // A bare string is not an argv: refuse it rather than split it into letters.
                if *k == "command" && v.is_instance_of::<pyo3::types::PyString>() {
                    return Err(
                        crate::error::Error::from(crate::error::ValidationError::new(
                            "command",
                            "must be a list of arguments (argv), not a string",
                        ))
                        .into(),
                    );
                }
                d.set_item(k, v)?;
            }
        }
        let t = Template::create(spec_from(d.as_any())?)?;
        Ok(PyTemplate { inner: Arc::new(t) })
    }

    /// A template from a dict (for example one read from JSON); keeps `id` and timestamps when given.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let t = Template::restore(spec_from(data)?)?;
        Ok(PyTemplate { inner: Arc::new(t) })
    }

    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &*self.inner)
    }

    fn __repr__(&self) -> String {
        let t = &self.inner;
        let what = match t.action() {
            crate::template::Action::Profile(p) => format!("profile={p:?}"),
            crate::template::Action::Playbook(p) => format!("playbook={p:?}"),
            crate::template::Action::Command(c) => format!("command={c:?}"),
        };
        format!(
            "Template(name={:?}, {what}, timeout={}, forks={})",
            t.name, t.timeout, t.forks
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyTemplate>()
            .map(|o| *o.get().inner == *self.inner)
            .unwrap_or(false)
    }

    #[getter]
    fn id(&self) -> String {
        self.inner.id.to_string()
    }
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    #[getter]
    fn description(&self) -> &str {
        &self.inner.description
    }
    #[getter]
    fn profile(&self) -> Option<&str> {
        self.inner.profile.as_deref()
    }
    #[getter]
    fn playbook(&self) -> Option<&str> {
        self.inner.playbook.as_deref()
    }
    #[getter]
    fn command(&self) -> Option<Vec<String>> {
        self.inner.command.clone()
    }
    #[getter]
    fn inventory(&self) -> Option<&str> {
        self.inner.inventory.as_deref()
    }
    #[getter]
    fn target(&self) -> Option<&str> {
        self.inner.target.as_deref()
    }
    #[getter]
    fn limit(&self) -> Option<&str> {
        self.inner.limit.as_deref()
    }
    #[getter]
    fn tags(&self) -> Vec<String> {
        self.inner.tags.clone()
    }
    #[getter]
    fn skip_tags(&self) -> Vec<String> {
        self.inner.skip_tags.clone()
    }
    #[getter]
    fn extra_vars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.extra_vars)
    }
    #[getter]
    fn reporter(&self) -> Option<&str> {
        self.inner.reporter.as_deref()
    }
    #[getter]
    fn supermarket(&self) -> bool {
        self.inner.supermarket
    }
    #[getter]
    fn job_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.job_type)
    }
    #[getter]
    fn timeout(&self) -> u32 {
        self.inner.timeout
    }
    #[getter]
    fn forks(&self) -> u32 {
        self.inner.forks
    }
    #[getter]
    fn retries(&self) -> u32 {
        self.inner.retries
    }
    #[getter]
    fn retry_backoff(&self) -> f64 {
        self.inner.retry_backoff
    }
    #[getter]
    fn verbosity(&self) -> u8 {
        self.inner.verbosity
    }
    #[getter]
    fn connection<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.connection)
    }
    #[getter]
    fn connect_timeout(&self) -> u32 {
        self.inner.connect_timeout
    }
    #[getter]
    fn runner<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.runner)
    }
    #[getter]
    fn allow_ansible_vars(&self) -> Vec<String> {
        self.inner.allow_ansible_vars.clone()
    }
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.inner.created_at
    }
    #[getter]
    fn modified_at(&self) -> DateTime<Utc> {
        self.inner.modified_at
    }
}
