//! Core errors → the Python classes of `ansible_inspec_rs.errors`. This is the one place
//! errors cross over: every `PyErr` the binding layer raises for a core failure is built by
//! [`From<Error> for PyErr`] below.
//!
//! The classes are written in Python (they carry attributes such as `field`, and have two
//! bases, e.g. `ValidationError(AnsibleInspecError, ValueError)`, which a Rust-declared
//! exception cannot) and declared here with `import_exception!`, so each is a Rust type that
//! the compiler checks; no class is looked up by a name built at run time.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};
use pyo3::PyTypeInfo;

use crate::error::{Error, ValidationError};
use crate::profile::ProfileError;

mod classes {
    use pyo3::import_exception;
    import_exception!(ansible_inspec_rs.errors, ValidationError);
    import_exception!(ansible_inspec_rs.errors, PathNotAllowed);
    import_exception!(ansible_inspec_rs.errors, InventoryError);
    import_exception!(ansible_inspec_rs.errors, TemplateNotFound);
    import_exception!(ansible_inspec_rs.errors, TemplateExists);
    import_exception!(ansible_inspec_rs.errors, JobNotFound);
    import_exception!(ansible_inspec_rs.errors, JobNotFinished);
    import_exception!(ansible_inspec_rs.errors, QueueFull);
    import_exception!(ansible_inspec_rs.errors, ExecutorClosed);
    import_exception!(ansible_inspec_rs.errors, WaitTimeout);
    import_exception!(ansible_inspec_rs.errors, StoreError);
    import_exception!(ansible_inspec_rs.errors, ProfileError);
    import_exception!(ansible_inspec_rs.errors, ProfileParseError);
    import_exception!(ansible_inspec_rs.errors, InternalError);
}

/// The Python class an error becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Validation,
    PathNotAllowed,
    Inventory,
    TemplateNotFound,
    TemplateExists,
    JobNotFound,
    JobNotFinished,
    QueueFull,
    ExecutorClosed,
    WaitTimeout,
    Store,
    Profile,
    ProfileParse,
    Internal,
}

impl Class {
    fn type_object(self, py: Python<'_>) -> Bound<'_, PyType> {
        use classes::*;
        match self {
            Class::Validation => ValidationError::type_object(py),
            Class::PathNotAllowed => PathNotAllowed::type_object(py),
            Class::Inventory => InventoryError::type_object(py),
            Class::TemplateNotFound => TemplateNotFound::type_object(py),
            Class::TemplateExists => TemplateExists::type_object(py),
            Class::JobNotFound => JobNotFound::type_object(py),
            Class::JobNotFinished => JobNotFinished::type_object(py),
            Class::QueueFull => QueueFull::type_object(py),
            Class::ExecutorClosed => ExecutorClosed::type_object(py),
            Class::WaitTimeout => WaitTimeout::type_object(py),
            Class::Store => StoreError::type_object(py),
            Class::Profile => ProfileError::type_object(py),
            Class::ProfileParse => ProfileParseError::type_object(py),
            Class::Internal => InternalError::type_object(py),
        }
    }
}

/// Which class each error becomes.
pub(crate) fn class_of(e: &Error) -> Class {
    match e {
        Error::Validation(_) => Class::Validation,
        Error::PathNotAllowed(_) => Class::PathNotAllowed,
        Error::Inventory(_) => Class::Inventory,
        Error::TemplateNotFound(_) => Class::TemplateNotFound,
        Error::TemplateExists(_) => Class::TemplateExists,
        Error::JobNotFound(_) => Class::JobNotFound,
        Error::JobNotFinished(_) => Class::JobNotFinished,
        Error::QueueFull(_) => Class::QueueFull,
        Error::ExecutorClosed => Class::ExecutorClosed,
        Error::WaitTimeout(_) => Class::WaitTimeout,
        Error::Store(_) => Class::Store,
        // Syntax errors carry a position; the others (not a profile, unreadable, too large)
        // only the file.
        Error::Profile(ProfileError::Parse { .. }) => Class::ProfileParse,
        Error::Profile(_) => Class::Profile,
        Error::Internal(_) => Class::Internal,
    }
}

/// The keyword arguments the class takes besides the message (`field`/`rule`, `file`,
/// `line`/`column`).
fn attributes<'py>(py: Python<'py>, e: &Error) -> PyResult<Bound<'py, PyDict>> {
    let kwargs = PyDict::new(py);
    match e {
        Error::Validation(v) | Error::PathNotAllowed(v) => {
            kwargs.set_item("field", &v.field)?;
            kwargs.set_item("rule", &v.rule)?;
        }
        Error::Inventory(i) => {
            kwargs.set_item("field", i.field())?;
            kwargs.set_item("rule", i.to_string())?;
        }
        Error::Profile(p) => {
            kwargs.set_item("file", p.file())?;
            if let Some((line, column)) = p.position() {
                kwargs.set_item("line", line)?;
                kwargs.set_item("column", column)?;
            }
        }
        _ => {}
    }
    Ok(kwargs)
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        Python::attach(|py| {
            let class = class_of(&e).type_object(py);
            let message = e.to_string();
            attributes(py, &e)
                .and_then(|kwargs| class.call((&message,), Some(&kwargs)))
                .map(PyErr::from_value)
                // Building the exception itself failed (for example out of memory): raise
                // that, which says more than a guess would.
                .unwrap_or_else(|build| build)
        })
    }
}

impl From<ValidationError> for PyErr {
    fn from(e: ValidationError) -> PyErr {
        Error::from(e).into()
    }
}

impl From<ProfileError> for PyErr {
    fn from(e: ProfileError) -> PyErr {
        Error::from(e).into()
    }
}

/// An internal error (a bug, a failed conversion, a panicked task) as a Python exception.
pub(crate) fn internal(message: impl Into<String>) -> PyErr {
    Error::Internal(message.into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{InventoryError, StoreError};

    fn every_error() -> Vec<(Error, Class)> {
        let v = || ValidationError::new("timeout", "must be from 1 to 86400");
        vec![
            (Error::Validation(v()), Class::Validation),
            (Error::PathNotAllowed(v()), Class::PathNotAllowed),
            (
                InventoryError::Syntax {
                    path: "hosts.ini".into(),
                    line: Some(2),
                    message: "unclosed quote".into(),
                }
                .into(),
                Class::Inventory,
            ),
            (
                InventoryError::Pattern {
                    field: "limit",
                    problem: crate::error::PatternProblem::Empty,
                }
                .into(),
                Class::Inventory,
            ),
            (Error::TemplateNotFound("t".into()), Class::TemplateNotFound),
            (Error::TemplateExists("t".into()), Class::TemplateExists),
            (Error::JobNotFound("j".into()), Class::JobNotFound),
            (Error::JobNotFinished("j".into()), Class::JobNotFinished),
            (Error::QueueFull(3), Class::QueueFull),
            (Error::ExecutorClosed, Class::ExecutorClosed),
            (Error::WaitTimeout(1.5), Class::WaitTimeout),
            (
                StoreError::Unavailable("no answer".into()).into(),
                Class::Store,
            ),
            (
                StoreError::WriterStopped("SQLite writer").into(),
                Class::Store,
            ),
            (
                ProfileError::Parse {
                    file: "controls/a.rb".into(),
                    line: 3,
                    column: 7,
                    message: "expected end".into(),
                }
                .into(),
                Class::ProfileParse,
            ),
            (
                ProfileError::NotAProfile {
                    path: "/p".into(),
                    reason: "no inspec.yml".into(),
                }
                .into(),
                Class::Profile,
            ),
            (
                ProfileError::Io {
                    path: "/p".into(),
                    message: "denied".into(),
                }
                .into(),
                Class::Profile,
            ),
            (Error::Internal("bug".into()), Class::Internal),
        ]
    }

    #[test]
    fn each_error_maps_to_its_class() {
        for (e, class) in every_error() {
            assert_eq!(class_of(&e), class, "{e:?}");
        }
    }

    /// With the real `ansible_inspec_rs.errors` (PYTHONPATH=python): each error becomes an
    /// instance of its class, and every class of the hierarchy is a subclass of the base.
    #[test]
    fn each_error_becomes_an_instance_of_its_python_class() {
        Python::initialize();
        Python::attach(|py| {
            let module = py.import("ansible_inspec_rs.errors").unwrap();
            let base = module.getattr("AnsibleInspecError").unwrap();
            for (e, class) in every_error() {
                let expected = class.type_object(py);
                let err = PyErr::from(e);
                let value = err.value(py);
                assert!(
                    value.is_exact_instance(&expected),
                    "{value:?} is not {expected:?}"
                );
                assert!(value.is_instance(&base).unwrap());
            }
            let e = PyErr::from(Error::Validation(ValidationError::new("forks", "too many")));
            let v = e.value(py);
            assert_eq!(
                v.getattr("field").unwrap().extract::<String>().unwrap(),
                "forks"
            );
            assert_eq!(
                v.getattr("rule").unwrap().extract::<String>().unwrap(),
                "too many"
            );
            let e = PyErr::from(Error::from(InventoryError::Pattern {
                field: "limit",
                problem: crate::error::PatternProblem::Empty,
            }));
            let v = e.value(py);
            assert!(v
                .is_instance(&classes::ValidationError::type_object(py))
                .unwrap());
            assert_eq!(
                v.getattr("field").unwrap().extract::<String>().unwrap(),
                "limit"
            );
            assert_eq!(
                v.getattr("rule").unwrap().extract::<String>().unwrap(),
                "empty host pattern"
            );
            let e = PyErr::from(ProfileError::Parse {
                file: "c.rb".into(),
                line: 3,
                column: 7,
                message: "x".into(),
            });
            let v = e.value(py);
            assert_eq!(v.getattr("line").unwrap().extract::<u32>().unwrap(), 3);
            assert_eq!(v.getattr("column").unwrap().extract::<u32>().unwrap(), 7);
            assert_eq!(
                v.getattr("file").unwrap().extract::<String>().unwrap(),
                "c.rb"
            );
        });
    }
}
