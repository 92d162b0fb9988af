//! The binding layer: the only code that touches pyo3. It converts types (pythonize) and
//! errors (`errors.rs`); all behaviour lives in the core.

mod convert;
mod errors;
mod executor;
mod job;
mod profile;
mod template;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<executor::PyExecutor>()?;
    m.add_class::<executor::PyTemplates>()?;
    m.add_class::<executor::PyJobEnds>()?;
    m.add_class::<template::PyTemplate>()?;
    m.add_class::<job::PyJob>()?;
    m.add_class::<job::PyHostResult>()?;
    m.add_class::<job::PyEvent>()?;
    m.add_class::<job::PyEventStream>()?;
    profile::register(m)?;
    Ok(())
}
