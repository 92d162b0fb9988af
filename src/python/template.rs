//! `Template`: a validated template, immutable from Python.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyCFunction, PyDict};
use serde_json::{Map, Value};

use super::convert::{from_py, to_py, Naming};
use crate::error::ValidationError;
use crate::schema::template_field_names;
use crate::template::{Template, TemplateSpec};

/// A validated job template: what to check (exactly one of ``profile``, ``playbook``,
/// ``command``) and how. Construction validates in Rust and raises ValidationError naming
/// the field; a local profile or playbook must exist. ``None`` means the default.
#[pyclass(name = "Template", module = "ansible_inspec_rs._core", frozen)]
pub struct PyTemplate {
    pub(crate) inner: Arc<Template>,
    /// The fields' serde form, made on the first attribute read (`add_field_properties`).
    fields: OnceLock<Map<String, Value>>,
}

impl PyTemplate {
    pub(crate) fn wrap(t: Template) -> Self {
        PyTemplate {
            inner: Arc::new(t),
            fields: OnceLock::new(),
        }
    }

    /// One field as Python sees it: its serde form through pythonize, so an enum is its
    /// name, a list a new list on each read, as `to_dict()` gives them.
    fn field<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let fields = match self.fields.get() {
            Some(f) => f,
            None => match serde_json::to_value(&*self.inner) {
                Ok(Value::Object(m)) => self.fields.get_or_init(|| m),
                _ => return Err(super::errors::internal("a template did not serialize")),
            },
        };
        to_py(py, fields.get(name).unwrap_or(&Value::Null))
    }
}

/// A read-only property per template field (`Template.timeout`…), documented by the schema's
/// description: a field added to `template::with_template_fields!` is an attribute here, as
/// it is a keyword of `Template(...)`, without another edit.
pub(crate) fn add_field_properties(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let property = py.import("builtins")?.getattr("property")?;
    let schema = crate::schema::schema();
    let described = &schema["$defs"]["Template"]["properties"];
    let cls = py.get_type::<PyTemplate>();
    for &name in template_field_names() {
        let get = PyCFunction::new_closure(py, None, None, move |args, _kwargs| {
            let this = args.get_item(0)?;
            let this = this.cast::<PyTemplate>()?;
            this.get().field(args.py(), name).map(Bound::unbind)
        })?;
        let doc = described[name]["description"].as_str().unwrap_or_default();
        cls.setattr(name, property.call1((get, py.None(), py.None(), doc))?)?;
    }
    Ok(())
}

pub(crate) fn spec_from(obj: &Bound<'_, PyAny>) -> PyResult<TemplateSpec> {
    from_py(obj, Naming::Fields { whole: "template" })
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
            // A keyword that cannot be UTF-8 (a lone surrogate) names no field either.
            let key = k
                .cast::<pyo3::types::PyString>()
                .ok()
                .and_then(|s| s.to_cow().ok())
                .map(std::borrow::Cow::into_owned);
            let Some(key) =
                key.filter(|key| key != "name" && template_field_names().contains(&key.as_str()))
            else {
                return Err(PyTypeError::new_err(format!(
                    "Template() got an unexpected keyword argument '{k}'"
                )));
            };
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
        Ok(PyTemplate::wrap(t))
    }

    /// A template from a dict (for example one read from JSON); keeps `id` and timestamps when given.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let t = Template::restore(spec_from(data)?)?;
        Ok(PyTemplate::wrap(t))
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
