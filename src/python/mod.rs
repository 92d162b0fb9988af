//! The binding layer: the only code that touches pyo3. It converts types (pythonize) and
//! errors (`errors.rs`); all behaviour lives in the core.

mod aio;
mod convert;
mod errors;
mod executor;
mod files;
mod job;
mod profile;
mod template;

use pyo3::prelude::*;

/// The JSON Schema (2020-12) of templates, jobs, host results, events and statuses, as a
/// dict: the core's rules (ranges, patterns, enums) that the REST models and docs derive from.
#[pyfunction]
fn schema(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    convert::to_py(py, &crate::schema::schema())
}

/// Sets the format of this process's operator log lines on stderr: "text" or "json".
#[pyfunction]
fn set_log_format(format: &str) -> PyResult<()> {
    let format = crate::oplog::LogFormat::parse(format).map_err(crate::Error::from)?;
    crate::oplog::set_format(format);
    Ok(())
}

/// Writes one operator log line on stderr, in the process's format.
#[pyfunction]
#[pyo3(signature = (event, message, worker=None))]
fn log(event: &str, message: &str, worker: Option<&str>) {
    crate::oplog::log(event, worker, message, &[]);
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<executor::PyExecutor>()?;
    m.add_class::<executor::PyTemplates>()?;
    m.add_class::<executor::PyJobEnds>()?;
    m.add_class::<executor::PyJobEnd>()?;
    m.add_class::<template::PyTemplate>()?;
    template::add_field_properties(m)?;
    m.add_class::<job::PyJob>()?;
    m.add_class::<job::PyHostResult>()?;
    m.add_class::<job::PyEvent>()?;
    m.add_class::<job::PyEventStream>()?;
    m.add_function(wrap_pyfunction!(schema, m)?)?;
    m.add_function(wrap_pyfunction!(set_log_format, m)?)?;
    m.add_function(wrap_pyfunction!(log, m)?)?;
    profile::register(m)?;
    files::register(m)?;
    // Before the interpreter finalizes, no runtime thread may be inside Python (aio.rs).
    let close_gate = wrap_pyfunction!(aio::close_gate, m)?;
    m.py()
        .import("atexit")?
        .call_method1("register", (close_gate,))?;
    Ok(())
}
