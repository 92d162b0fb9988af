//! `Profile`: the InSpec profile model, parsed in Rust with the GIL released. The Rust model
//! is kept in an `Arc` and converted to Python objects (pythonize) only when a property is read.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use serde::Serialize;

use crate::profile as core;

use super::convert::to_py;
use super::errors::internal;
use crate::error::Error;

/// A parsed InSpec profile.
#[pyclass(frozen, name = "Profile", module = "ansible_inspec_rs._core")]
pub(crate) struct Profile {
    inner: Arc<core::Profile>,
}

#[pymethods]
impl Profile {
    /// Loads a profile directory (inspec.yml, controls/*.rb, libraries/*.rb). Parsing runs with
    /// the GIL released. Raises ProfileError / ProfileParseError.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Profile> {
        match py.detach(move || core::load(&path)) {
            Ok(p) => Ok(Profile { inner: Arc::new(p) }),
            Err(e) => Err(e.into()),
        }
    }

    /// `await Profile.load_async(path)`: the parse runs on a blocking tokio thread.
    #[staticmethod]
    fn load_async(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyAny>> {
        super::aio::spawn(py, async move {
            match tokio::task::spawn_blocking(move || core::load(&path)).await {
                Ok(Ok(p)) => Ok(Profile { inner: Arc::new(p) }),
                Ok(Err(e)) => Err(Error::from(e)),
                Err(join) => Err(Error::Internal(format!(
                    "profile parser task failed: {join}"
                ))),
            }
        })
    }

    /// Parses the text of one controls file (no inspec.yml).
    #[staticmethod]
    #[pyo3(signature = (text, filename = "controls/inline.rb"))]
    fn from_source(py: Python<'_>, text: String, filename: &str) -> PyResult<Profile> {
        let filename = filename.to_string();
        match py.detach(move || core::from_source(&text, &filename)) {
            Ok(p) => Ok(Profile { inner: Arc::new(p) }),
            Err(e) => Err(e.into()),
        }
    }

    /// The directory it was loaded from (or the file name given to from_source).
    #[getter]
    fn path(&self) -> String {
        self.inner.path.clone()
    }

    /// `name` from inspec.yml.
    #[getter]
    fn name(&self) -> Option<String> {
        self.inner.metadata.name.clone()
    }

    /// The fields of inspec.yml.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.metadata)
    }

    /// The controls, as dicts (id, title, impact, tags, …).
    #[getter]
    fn controls<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.controls)
    }

    /// The profile's inputs (inspec.yml and ``input()`` calls).
    #[getter]
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.inputs)
    }

    /// The controls files, each with its title and control ids.
    #[getter]
    fn groups<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.groups)
    }

    /// The files under libraries/.
    #[getter]
    fn libraries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.libraries)
    }

    /// Variables assigned in the controls files.
    #[getter]
    fn variables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.variables)
    }

    /// ``include_controls`` / ``require_controls`` of other profiles.
    #[getter]
    fn includes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.includes)
    }

    /// What the parser could not read, and where.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.warnings)
    }

    /// SHA-256 of the profile's content.
    #[getter]
    fn sha256(&self) -> String {
        self.inner.sha256().to_string()
    }

    /// Static native coverage: for each control whether the native evaluator runs it
    /// completely, totals, and the blocking constructs (most frequent first).
    fn coverage<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        let cov = py.detach(move || crate::native::coverage(&inner));
        to_py(py, &cov)
    }

    /// The profile in the shape of InSpec's profile JSON (`inspec json`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = core::json::profile_json(&self.inner);
        to_py(py, &v)
    }

    /// `to_dict()` as a JSON string (`indent` spaces per level, or compact).
    #[pyo3(signature = (indent = None))]
    fn to_json(&self, py: Python<'_>, indent: Option<usize>) -> PyResult<String> {
        let inner = self.inner.clone();
        py.detach(move || {
            let v = core::json::profile_json(&inner);
            let out = match indent {
                None => serde_json::to_vec(&v),
                Some(n) => {
                    let pad = vec![b' '; n.min(16)];
                    let mut buf = Vec::new();
                    let fmt = serde_json::ser::PrettyFormatter::with_indent(&pad);
                    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
                    v.serialize(&mut ser).map(|_| buf)
                }
            };
            out.map_err(|e| e.to_string())
                .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()))
        })
        .map_err(internal)
    }

    /// The number of controls.
    fn __len__(&self) -> usize {
        self.inner.controls.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<Profile {:?} controls={} warnings={}>",
            self.inner
                .metadata
                .name
                .as_deref()
                .unwrap_or(&self.inner.path),
            self.inner.controls.len(),
            self.inner.warnings.len()
        )
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Profile>()?;
    Ok(())
}
