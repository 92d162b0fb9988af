//! The binding layer: the only code that touches pyo3.

use pyo3::prelude::*;

mod profile;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
