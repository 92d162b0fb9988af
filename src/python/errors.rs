//! Core errors → the Python classes of `ansible_inspec_rs.errors` (defined in Python so
//! they can carry attributes and multiple bases). This is the one place errors cross over.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::error::{Error, ValidationError};

/// Builds `ansible_inspec_rs.errors.<class>(message, **attrs)` as a `PyErr`.
pub(crate) fn py_error<'py>(
    py: Python<'py>,
    class: &str,
    message: String,
    attrs: &[(&str, Bound<'py, PyAny>)],
) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let cls = py.import("ansible_inspec_rs.errors")?.getattr(class)?;
        let kwargs = PyDict::new(py);
        for (k, v) in attrs {
            kwargs.set_item(*k, v)?;
        }
        Ok(PyErr::from_value(
            cls.call((message.clone(),), Some(&kwargs))?,
        ))
    };
    build().unwrap_or_else(|e| {
        PyRuntimeError::new_err(format!(
            "{class}: {message} (and building the error failed: {e})"
        ))
    })
}

pub(crate) fn class_of(e: &Error) -> &'static str {
    match e {
        Error::Validation(_) => "ValidationError",
        Error::PathNotAllowed(_) => "PathNotAllowed",
        Error::TemplateNotFound(_) => "TemplateNotFound",
        Error::TemplateExists(_) => "TemplateExists",
        Error::JobNotFound(_) => "JobNotFound",
        Error::JobNotFinished(_) => "JobNotFinished",
        Error::QueueFull(_) => "QueueFull",
        Error::ExecutorClosed => "ExecutorClosed",
        Error::WaitTimeout(_) => "WaitTimeout",
        Error::Store(_) => "StoreError",
        Error::Internal(_) => "InternalError",
    }
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        Python::attach(|py| {
            let attrs = match &e {
                Error::Validation(v) | Error::PathNotAllowed(v) => vec![
                    (
                        "field",
                        v.field.clone().into_pyobject(py).map(|o| o.into_any()),
                    ),
                    (
                        "rule",
                        v.rule.clone().into_pyobject(py).map(|o| o.into_any()),
                    ),
                ]
                .into_iter()
                .filter_map(|(k, v)| v.ok().map(|v| (k, v)))
                .collect(),
                _ => Vec::new(),
            };
            py_error(py, class_of(&e), e.to_string(), &attrs)
        })
    }
}

impl From<ValidationError> for PyErr {
    fn from(e: ValidationError) -> PyErr {
        Error::from(e).into()
    }
}
