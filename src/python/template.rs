//! `Template`: a validated template, immutable from Python.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{from_py, to_py};
use crate::error::ValidationError;
use crate::schema::template_field_names;
use crate::template::{Template, TemplateSpec};

/// A validated job template: what to check (exactly one of ``profile``, ``playbook``,
/// ``command``) and how. Construction validates in Rust and raises ValidationError naming
/// the field; a local profile or playbook must exist. ``None`` means the default.
#[pyclass(name = "Template", module = "ansible_inspec_rs._core", frozen)]
pub struct PyTemplate {
    pub(crate) inner: Arc<Template>,
}

pub(crate) fn spec_from(obj: &Bound<'_, PyAny>) -> PyResult<TemplateSpec> {
    from_py(obj, "template")
}

#[pymethods]
impl PyTemplate {
    /// Takes the template's fields as keywords (`crate::schema::template_field_names`, the
    /// one list): a field added in Rust is a keyword here without another edit.
    #[new]
    #[pyo3(signature = (name, **fields))]
    fn new(
        py: Python<'_>,
        name: Bound<'_, PyAny>,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let d = PyDict::new(py);
        d.set_item("name", name)?;
        for (k, v) in fields.into_iter().flat_map(|f| f.iter()) {
            let key: String = k.extract()?;
            if key == "name" || !template_field_names().contains(&key.as_str()) {
                return Err(PyTypeError::new_err(format!(
                    "Template() got an unexpected keyword argument '{key}'"
                )));
            }
            if v.is_none() {
                continue;
            }
            // A bare string is not a list: refuse it rather than split it into letters.
            if v.is_instance_of::<pyo3::types::PyString>() {
                let rule = match key.as_str() {
                    "command" => Some("must be a list of arguments (argv), not a string"),
                    "controls" => {
                        Some("must be a list of control ids or /regex/ entries, not a string")
                    }
                    _ => None,
                };
                if let Some(rule) = rule {
                    return Err(ValidationError::new(key, rule).into());
                }
            }
            d.set_item(key, v)?;
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

    /// All fields as a dict (``Template.from_dict`` reads it back).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &*self.inner)
    }

    /// The constructor's signature with the real defaults (taken from a default template),
    /// for ``help(Template)`` and ``inspect.signature``.
    #[classattr]
    fn __signature__(py: Python<'_>) -> PyResult<Py<PyAny>> {
        let defaults = Template::create(crate::template::TemplateSpec {
            name: Some("defaults".into()),
            command: Some(vec!["true".into()]),
            ..Default::default()
        })?;
        let defaults = to_py(py, &defaults)?;
        let inspect = py.import("inspect")?;
        let param = inspect.getattr("Parameter")?;
        let keyword_only = param.getattr("KEYWORD_ONLY")?;
        let mut params = vec![param.call1(("name", param.getattr("POSITIONAL_OR_KEYWORD")?))?];
        for field in template_field_names().iter().filter(|f| **f != "name") {
            let default = if ["profile", "playbook", "command"].contains(field) {
                py.None().into_bound(py)
            } else {
                defaults.get_item(field)?
            };
            let kwargs = PyDict::new(py);
            kwargs.set_item("default", default)?;
            params.push(param.call((*field, &keyword_only), Some(&kwargs))?);
        }
        Ok(inspect.getattr("Signature")?.call1((params,))?.unbind())
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

    /// The template's id (a UUID).
    #[getter]
    fn id(&self) -> String {
        self.inner.id.to_string()
    }
    /// The template's name (unique in a store).
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    /// Free text.
    #[getter]
    fn description(&self) -> &str {
        &self.inner.description
    }
    /// The InSpec profile it runs (a local directory or archive, a URL, or a Supermarket name).
    #[getter]
    fn profile(&self) -> Option<&str> {
        self.inner.profile.as_deref()
    }
    /// The Ansible playbook it runs.
    #[getter]
    fn playbook(&self) -> Option<&str> {
        self.inner.playbook.as_deref()
    }
    /// The argv it runs on each host (``{host}`` is replaced; never a shell).
    #[getter]
    fn command(&self) -> Option<Vec<String>> {
        self.inner.command.clone()
    }
    /// The Ansible inventory (INI or YAML) that hosts are selected from.
    #[getter]
    fn inventory(&self) -> Option<&str> {
        self.inner.inventory.as_deref()
    }
    /// The inventory pattern that selects hosts (default: all).
    #[getter]
    fn target(&self) -> Option<&str> {
        self.inner.target.as_deref()
    }
    /// A further inventory pattern the selected hosts must match.
    #[getter]
    fn limit(&self) -> Option<&str> {
        self.inner.limit.as_deref()
    }
    /// Ansible tags to run.
    #[getter]
    fn tags(&self) -> Vec<String> {
        self.inner.tags.clone()
    }
    /// Ansible tags to skip.
    #[getter]
    fn skip_tags(&self) -> Vec<String> {
        self.inner.skip_tags.clone()
    }
    /// InSpec controls to run and report (ids and ``/regex/`` entries); empty: every control.
    #[getter]
    fn controls(&self) -> Vec<String> {
        self.inner.controls.clone()
    }
    /// Variables (Ansible extra vars, InSpec inputs).
    #[getter]
    fn extra_vars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.extra_vars)
    }
    /// InSpec-style reporters: ``cli`` or a report format, each optionally ``:PATH``.
    #[getter]
    fn reporter(&self) -> Option<&str> {
        self.inner.reporter.as_deref()
    }
    /// True when ``profile`` names a Supermarket profile.
    #[getter]
    fn supermarket(&self) -> bool {
        self.inner.supermarket
    }
    /// ``run``, ``check`` or ``scan``.
    #[getter]
    fn job_type<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.job_type)
    }
    /// Seconds allowed for the whole job.
    #[getter]
    fn timeout(&self) -> u32 {
        self.inner.timeout
    }
    /// Hosts checked at once.
    #[getter]
    fn forks(&self) -> u32 {
        self.inner.forks
    }
    /// Retries of a transient failure per host.
    #[getter]
    fn retries(&self) -> u32 {
        self.inner.retries
    }
    /// Seconds before the first retry (then doubling).
    #[getter]
    fn retry_backoff(&self) -> f64 {
        self.inner.retry_backoff
    }
    /// Ansible verbosity.
    #[getter]
    fn verbosity(&self) -> u8 {
        self.inner.verbosity
    }
    /// ``ssh`` (default: ``local://`` hosts run here, others over SSH) or ``local`` (every
    /// host's check runs here with ``{host}`` substituted).
    #[getter]
    fn connection<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.connection)
    }
    /// Seconds allowed to open an SSH connection.
    #[getter]
    fn connect_timeout(&self) -> u32 {
        self.inner.connect_timeout
    }
    /// How a profile runs: ``native`` (evaluated in Rust), ``inspec`` (the InSpec CLI) or
    /// ``auto`` (native; what it cannot run goes to the InSpec CLI when installed).
    #[getter]
    fn runner<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.runner)
    }
    /// The ``ansible_*`` keys a job's caller may set in its ``extra_vars`` (``*``: all).
    #[getter]
    fn allow_ansible_vars(&self) -> Vec<String> {
        self.inner.allow_ansible_vars.clone()
    }
    /// When it was created (UTC).
    #[getter]
    fn created_at(&self) -> DateTime<Utc> {
        self.inner.created_at
    }
    /// When it was last changed (UTC).
    #[getter]
    fn modified_at(&self) -> DateTime<Utc> {
        self.inner.modified_at
    }
}
