//! Files a user names on the command line (`exec --input-file`), read by the core's one rule
//! (`fsread::read_user_file`: regular files only, bounded by the bytes read), so the CLI does
//! not keep a second copy of it.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::error::ValidationError;

/// The bytes of a regular file of at most 16 MiB (counted as read: `/dev/zero`, FIFOs and
/// devices are refused at once, without blocking), read without the GIL. A file that cannot
/// be read is a ValidationError naming `field`, whose rule says why (never what it holds).
#[pyfunction]
#[pyo3(signature = (path, field = "path"))]
fn read_user_file<'py>(
    py: Python<'py>,
    path: PathBuf,
    field: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let read = py.detach(|| crate::fsread::read_user_file(&path));
    match read {
        Ok(bytes) => Ok(PyBytes::new(py, &bytes)),
        Err(e) => Err(ValidationError::new(field, format!("{}: {e}", path.display())).into()),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("USER_FILE_MAX_BYTES", crate::fsread::USER_FILE_MAX_BYTES)?;
    m.add_function(wrap_pyfunction!(read_user_file, m)?)
}
