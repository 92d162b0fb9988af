//! Conversions and awaitable helpers shared by the binding classes.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::IntoPyObjectExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::errors::py_error;
use crate::error::{Error, ValidationError};

/// A Python object (dict/list/str…) from serde data.
pub(crate) fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value)
        .map_err(|e| Error::Internal(format!("conversion failed: {e}")).into())
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

static GET_RUNNING_LOOP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An already-completed asyncio future: awaiting it costs no trip through the event loop.
/// Used where the work is done synchronously (in-memory operations) but the API is async.
pub(crate) fn ready<'py>(
    py: Python<'py>,
    result: PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let get_loop = GET_RUNNING_LOOP.import(py, "asyncio", "get_running_loop")?;
    let fut = get_loop.call0()?.call_method0("create_future")?;
    match result {
        Ok(v) => fut.call_method1("set_result", (v,))?,
        Err(e) => fut.call_method1("set_exception", (e.into_value(py),))?,
    };
    Ok(fut)
}

pub(crate) fn ready_value<'py, T: IntoPyObject<'py>>(
    py: Python<'py>,
    result: PyResult<T>,
) -> PyResult<Bound<'py, PyAny>> {
    ready(py, result.and_then(|v| v.into_bound_py_any(py)))
}

/// Runs `fut` on the tokio runtime; Python awaits it without holding the GIL. A panic in
/// it becomes `InternalError`, never a crash.
pub(crate) fn spawn<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    pyo3_async_runtimes::tokio::future_into_py(py, async move {
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(r) => r,
            Err(p) => Python::attach(|py| {
                Err(py_error(
                    py,
                    "InternalError",
                    format!("internal error: {}", crate::executor::panic_message(&*p)),
                    &[],
                ))
            }),
        }
    })
}

/// Runs `fut`: polled once right here (inside the runtime's context, with the GIL held
/// only for that non-blocking poll); finished then, its result is a ready future (the
/// memory store's operations finish at once), otherwise it continues on the runtime.
pub(crate) fn run_async<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let mut fut = Box::pin(fut);
    let polled = {
        let _rt = pyo3_async_runtimes::tokio::get_runtime().enter();
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)))
    };
    match polled {
        Ok(std::task::Poll::Ready(r)) => ready_value(py, r),
        Ok(std::task::Poll::Pending) => spawn(py, fut),
        Err(p) => ready(
            py,
            Err(py_error(
                py,
                "InternalError",
                format!("internal error: {}", crate::executor::panic_message(&*p)),
                &[],
            )),
        ),
    }
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
