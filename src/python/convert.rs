//! Conversions shared by the binding classes (awaitables are in `aio.rs`).

use std::future::Future;

use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyFloat, PyFrozenSet, PyInt, PyMapping, PySequence, PySet,
    PyString,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::error::{Error, ValidationError};

/// A Python object (dict/list/str…) from serde data.
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value)
        .map_err(|e| super::errors::internal(format!("conversion failed: {e}")))
}

/// Deepest nesting of lists and mappings taken (as a REST body, server/models.py
/// `_json_value`); it also bounds the recursion of [`json`] (a dict that contains itself).
const MAX_NESTING: usize = 64;

/// One step into an argument: a mapping's key or a list's index.
enum Step {
    Key(String),
    Index(usize),
}

/// A place inside an argument, as Python writes it: `['x'][0]` (empty: the argument itself).
fn place(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => format!("[{k:?}]"),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect()
}

/// A problem at a place inside an argument.
struct Problem {
    at: Vec<Step>,
    rule: String,
}

/// Python data as JSON, by the rules a REST body is held to (server/models.py
/// `_json_value`, body.py), so the Python API takes what the REST API takes: None, bool,
/// int (within 64 bits), finite float, str (valid UTF-8: no lone surrogate), lists (tuples,
/// sets) and mappings with str keys. True stays a boolean, so a field that wants a number
/// refuses it when the typed value is read ([`from_py`]); NaN is not made null.
fn json(obj: &Bound<'_, PyAny>, at: &mut Vec<Step>) -> Result<Value, Problem> {
    let problem = |at: &mut Vec<Step>, rule: String| Problem {
        at: std::mem::take(at),
        rule,
    };
    if at.len() > MAX_NESTING {
        return Err(problem(
            at,
            format!("is nested deeper than {MAX_NESTING} levels"),
        ));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: Python's True is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(problem(at, "must be an integer within 64 bits".into()));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return serde_json::Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| problem(at, "must be a finite number (not NaN or infinity)".into()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return match s.to_cow() {
            Ok(s) => Ok(Value::String(s.into_owned())),
            Err(_) => Err(problem(at, TEXT_RULE.into())),
        };
    }
    let kind = || {
        obj.get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into())
    };
    if obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
        return Err(problem(at, format!("must be text (str), not {}", kind())));
    }
    if let Ok(map) = obj.cast::<PyMapping>() {
        let items = map
            .items()
            .map_err(|e| problem(at, format!("cannot be read: {e}")))?;
        let mut out = serde_json::Map::new();
        for item in items.iter() {
            let (k, v) = item
                .extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()
                .map_err(|e| problem(at, format!("cannot be read: {e}")))?;
            let key = match k.cast::<PyString>() {
                Ok(k) => k
                    .to_cow()
                    .map_err(|_| problem(at, format!("keys {TEXT_RULE}")))?,
                Err(_) => {
                    let kk = k
                        .get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default();
                    return Err(problem(at, format!("keys must be strings, not {kk}")));
                }
            }
            .into_owned();
            at.push(Step::Key(key.clone()));
            let v = json(&v, at)?;
            at.pop();
            out.insert(key, v);
        }
        return Ok(Value::Object(out));
    }
    let items: Vec<Bound<'_, PyAny>> = if let Ok(seq) = obj.cast::<PySequence>() {
        seq.try_iter()
            .and_then(|it| it.collect::<PyResult<_>>())
            .map_err(|e| problem(at, format!("cannot be read: {e}")))?
    } else if obj.is_instance_of::<PySet>() || obj.is_instance_of::<PyFrozenSet>() {
        obj.try_iter()
            .and_then(|it| it.collect::<PyResult<_>>())
            .map_err(|e| problem(at, format!("cannot be read: {e}")))?
    } else {
        return Err(problem(
            at,
            format!(
                "must be JSON data (str, int, float, bool, None, list or dict), not {}",
                kind()
            ),
        ));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        at.push(Step::Index(i));
        out.push(json(item, at)?);
        at.pop();
    }
    Ok(Value::Array(out))
}

/// What text must be to cross into Rust.
const TEXT_RULE: &str = "must be valid UTF-8 text (no lone surrogates such as \"\\ud800\")";

/// How a problem's place names the field of a ValidationError.
#[derive(Clone, Copy)]
pub(crate) enum Naming<'a> {
    /// The object is one argument (`extra_vars`, `hosts`): the field is its name, and a
    /// place inside it is said in the rule.
    Argument(&'a str),
    /// The object's keys are the fields (a template's, named as `Template(...)` takes them):
    /// the field is the first key of the place; `whole` when the object itself is wrong.
    Fields { whole: &'a str },
}

impl Naming<'_> {
    fn error(self, mut at: Vec<Step>, rule: String) -> PyErr {
        let (field, rest) = match self {
            Naming::Argument(name) => (name.to_string(), at),
            Naming::Fields { whole } => match at.first() {
                Some(Step::Key(k)) => {
                    let k = k.clone();
                    at.remove(0);
                    (k, at)
                }
                _ => (whole.to_string(), at),
            },
        };
        let rule = match place(&rest) {
            p if p.is_empty() => rule,
            p => format!("{p} {rule}"),
        };
        Error::from(ValidationError::new(field, rule)).into()
    }
}

/// Typed data from a Python object: first JSON by [`json`]'s rules, then the type as the
/// REST API reads it from JSON. Any problem is a ValidationError naming the field.
pub(crate) fn from_py<T: DeserializeOwned>(
    obj: &Bound<'_, PyAny>,
    naming: Naming<'_>,
) -> PyResult<T> {
    let value = json(obj, &mut Vec::new()).map_err(|p| naming.error(p.at, p.rule))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = e
            .path()
            .iter()
            .filter_map(|s| match s {
                Segment::Seq { index } => Some(Step::Index(*index)),
                Segment::Map { key } => Some(Step::Key(key.clone())),
                Segment::Enum { variant } => Some(Step::Key(variant.clone())),
                Segment::Unknown => None,
            })
            .collect();
        naming.error(at, e.into_inner().to_string())
    })
}

/// A str argument as Rust text; a ValidationError naming `field` when it cannot be UTF-8
/// (a lone surrogate), a TypeError when it is no str.
pub(crate) fn text(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    let s = obj.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "argument '{field}' must be str, not {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    match s.to_cow() {
        Ok(s) => Ok(s.into_owned()),
        Err(_) => Err(Error::from(ValidationError::new(field, TEXT_RULE)).into()),
    }
}

/// [`text`] for an argument that may be None.
pub(crate) fn optional_text(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Option<String>> {
    if obj.is_none() {
        return Ok(None);
    }
    text(obj, field).map(Some)
}

/// A bool is not a number: `workers=True` would otherwise be 1 (bool is an int in Python).
/// The REST API refuses `true` for a number the same way, naming the field.
fn not_bool(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<()> {
    if obj.is_instance_of::<PyBool>() {
        return Err(Error::from(ValidationError::new(
            field,
            "must be a number, not True or False",
        ))
        .into());
    }
    Ok(())
}

/// An integer argument named `field`, clamped to `i64`: a number past it (`10**30`) is
/// beyond every range the core checks, so that check names the argument (ValidationError)
/// where Python would raise OverflowError. A bool is a ValidationError; other types stay a
/// TypeError, as Python's own functions answer.
pub(crate) fn clamped_int(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<i64> {
    not_bool(obj, field)?;
    match obj.extract::<i64>() {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => {
            Ok(if obj.lt(0)? { i64::MIN } else { i64::MAX })
        }
        Err(e) => Err(e),
    }
}

/// [`clamped_int`] for an argument that may be None.
pub(crate) fn clamped_optional_int(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Option<i64>> {
    if obj.is_none() {
        return Ok(None);
    }
    clamped_int(obj, field).map(Some)
}

/// A number argument named `field` (int or float, never a bool); its range is the core's.
pub(crate) fn number(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<f64> {
    not_bool(obj, field)?;
    obj.extract::<f64>()
}

/// [`number`] for an argument that may be None.
pub(crate) fn optional_number(obj: &Bound<'_, PyAny>, field: &str) -> PyResult<Option<f64>> {
    if obj.is_none() {
        return Ok(None);
    }
    number(obj, field).map(Some)
}

/// Extractors for `#[pyo3(from_py_with = ...)]`, one per argument: pyo3 hands an extractor
/// the value only, and the error must name the argument. `named!(clamped_int => i64:
/// workers, nice)` defines `fn workers(obj) -> PyResult<i64>` calling
/// `clamped_int(obj, "workers")`.
macro_rules! named {
    ($conv:path => $out:ty: $($name:ident),+ $(,)?) => {
        $(
            pub(crate) fn $name(obj: &pyo3::Bound<'_, pyo3::PyAny>) -> pyo3::PyResult<$out> {
                $conv(obj, stringify!($name))
            }
        )+
    };
}
pub(crate) use named;

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
