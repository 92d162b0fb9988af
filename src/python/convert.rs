//! Conversions shared by the binding classes (awaitables are in `aio.rs`).

use std::future::Future;

use pyo3::exceptions::PyOverflowError;
use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, ValidationError};

/// A Python object (dict/list/str…) from serde data.
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value)
        .map_err(|e| super::errors::internal(format!("conversion failed: {e}")))
}

/// serde data from a Python object; a mismatch is a ValidationError naming the field path.
pub(crate) fn from_py<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let mut de = pythonize::Depythonizer::from_object(obj);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { what.to_string() } else { path };
        Error::from(ValidationError::new(field, e.into_inner().to_string())).into()
    })
}

/// An integer argument (`#[pyo3(from_py_with = clamped_int)]`), clamped to `i64`: a number
/// past it (`10**30`) is beyond every range the core checks, so that check names the argument
/// (ValidationError) where Python would raise OverflowError. Other types stay a TypeError, as
/// Python's own functions answer.
pub(crate) fn clamped_int(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    match obj.extract::<i64>() {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => {
            Ok(if obj.lt(0)? { i64::MIN } else { i64::MAX })
        }
        Err(e) => Err(e),
    }
}

/// `clamped_int` for an argument that may be None.
pub(crate) fn clamped_optional_int(obj: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if obj.is_none() {
        return Ok(None);
    }
    clamped_int(obj).map(Some)
}

/// Blocks on `fut` with the GIL released: for the few synchronous entry points.
pub(crate) fn block_on<F: Future + Send>(py: Python<'_>, fut: F) -> F::Output
where
    F::Output: Send,
{
    py.detach(|| pyo3_async_runtimes::tokio::get_runtime().block_on(fut))
}

pub(crate) fn seconds(value: Option<f64>, field: &str) -> PyResult<Option<std::time::Duration>> {
    match value {
        None => Ok(None),
        Some(s) if s.is_finite() && (0.0..=1e9).contains(&s) => {
            Ok(Some(std::time::Duration::from_secs_f64(s)))
        }
        Some(_) => Err(Error::from(ValidationError::new(
            field,
            "must be a number of seconds from 0 to 1e9",
        ))
        .into()),
    }
}
