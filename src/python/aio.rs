//! Rust futures handed to asyncio as real coroutines, and the exit gate.
//!
//! Every awaitable method returns a coroutine made by `ansible_inspec_rs._aio` (so
//! `asyncio.create_task` and `TaskGroup.create_task` take it). The work itself starts when
//! the method is called: finished at once, its outcome is wrapped in a coroutine that only
//! returns it (no trip through the event loop); otherwise it runs on the tokio runtime and a
//! blocking thread delivers its outcome to the loop with `call_soon_threadsafe`.
//!
//! A delivering thread holds Python only inside the exit gate. The interpreter calls
//! `close_gate` from `atexit`, before it finalizes: from then on no tokio thread enters
//! Python, and the threads already inside are waited for. (A thread that needs the GIL
//! while the interpreter finalizes is unwound by CPython through Rust frames: SIGABRT.)

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use futures::FutureExt;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::IntoPyObjectExt;
use tokio::sync::oneshot;

use super::errors::internal;

/// The Python side: `wait(fut)`, `value(v)`, `fail(exc)` make coroutines, `complete(...)`
/// runs on the loop's thread, and `asyncio.get_running_loop`.
struct Helpers {
    wait: Py<PyAny>,
    value: Py<PyAny>,
    fail: Py<PyAny>,
    complete: Py<PyAny>,
    get_running_loop: Py<PyAny>,
}

static HELPERS: PyOnceLock<Helpers> = PyOnceLock::new();

fn helpers(py: Python<'_>) -> PyResult<&Helpers> {
    HELPERS.get_or_try_init(py, || {
        let m = py.import("ansible_inspec_rs._aio")?;
        let get = |name: &str| m.getattr(name).map(Bound::unbind);
        Ok(Helpers {
            wait: get("wait")?,
            value: get("value")?,
            fail: get("fail")?,
            complete: get("complete")?,
            get_running_loop: py.import("asyncio")?.getattr("get_running_loop")?.unbind(),
        })
    })
}

/// Counts the threads inside Python on behalf of the runtime; closed at interpreter exit.
struct Gate {
    state: Mutex<(bool, usize)>, // (closed, threads inside)
    left: Condvar,
}

static GATE: Gate = Gate {
    state: Mutex::new((false, 0)),
    left: Condvar::new(),
};

/// Inside the gate until dropped.
struct Pass;

impl Gate {
    fn enter(&'static self) -> Option<Pass> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.0 {
            return None;
        }
        s.1 += 1;
        Some(Pass)
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let mut s = GATE.state.lock().unwrap_or_else(|e| e.into_inner());
        s.1 -= 1;
        if s.1 == 0 {
            GATE.left.notify_all();
        }
    }
}

/// How long interpreter exit waits for deliveries under way (each takes microseconds; the
/// bound only keeps a wedged thread from hanging the exit).
const EXIT_WAIT: Duration = Duration::from_secs(10);

/// Registered with `atexit` by the module: closes the gate and waits, without the GIL,
/// until no runtime thread is inside Python. Outcomes finishing later are dropped: their
/// loops are gone.
#[pyfunction]
pub(crate) fn close_gate(py: Python<'_>) {
    py.detach(|| {
        let mut s = GATE.state.lock().unwrap_or_else(|e| e.into_inner());
        s.0 = true;
        let _ = GATE
            .left
            .wait_timeout_while(s, EXIT_WAIT, |s| s.1 > 0)
            .map(drop);
    });
}

/// A coroutine that returns `result` (or raises its error) when awaited.
pub(crate) fn ready<'py, T, E>(py: Python<'py>, result: Result<T, E>) -> PyResult<Bound<'py, PyAny>>
where
    T: IntoPyObject<'py>,
    E: Into<PyErr>,
{
    let h = helpers(py)?;
    match result
        .map_err(Into::into)
        .and_then(|v| v.into_bound_py_any(py))
    {
        Ok(v) => h.value.bind(py).call1((v,)),
        Err(e) => h.fail.bind(py).call1((e.into_value(py),)),
    }
}

/// A coroutine that raises `e` when awaited: an awaitable method's argument errors surface
/// where its result would.
pub(crate) fn raising(py: Python<'_>, e: impl Into<PyErr>) -> PyResult<Bound<'_, PyAny>> {
    ready::<(), _>(py, Err(e))
}

/// Tells the runtime task that Python cancelled the awaiting future.
#[pyclass]
struct CancelOnDone {
    tx: Mutex<Option<oneshot::Sender<()>>>,
}

#[pymethods]
impl CancelOnDone {
    fn __call__(&self, fut: &Bound<'_, PyAny>) -> PyResult<()> {
        if fut.call_method0("cancelled")?.is_truthy()? {
            if let Some(tx) = self.tx.lock().ok().and_then(|mut t| t.take()) {
                let _ = tx.send(());
            }
        }
        Ok(())
    }
}

/// A future's outcome on its way to the loop; converted to Python only inside the gate.
enum Outcome<T, E> {
    Done(Result<T, E>),
    Panicked(String),
}

/// Runs `fut` on the tokio runtime and returns a coroutine awaiting its outcome. Python
/// awaits it without holding the GIL; cancelling the awaiting task drops `fut`. A panic in
/// `fut` becomes `InternalError`, never a crash. Needs a running event loop.
pub(crate) fn spawn<'py, F, T, E>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    E: Into<PyErr> + Send + 'static,
{
    let h = helpers(py)?;
    let event_loop = h.get_running_loop.bind(py).call0()?;
    let py_fut = event_loop.call_method0("create_future")?;
    let (tx, rx) = oneshot::channel();
    let on_done = CancelOnDone {
        tx: Mutex::new(Some(tx)),
    };
    py_fut.call_method1("add_done_callback", (on_done,))?;
    let (event_loop, target) = (event_loop.unbind(), py_fut.clone().unbind());
    pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
        // A dropped sender (the callback ran for a plain completion) is no cancellation.
        let cancelled = async {
            if rx.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let outcome = tokio::select! {
            r = AssertUnwindSafe(fut).catch_unwind() => match r {
                Ok(r) => Outcome::Done(r),
                Err(p) => Outcome::Panicked(crate::executor::panic_message(&*p)),
            },
            () = cancelled => return,
        };
        // Taking the GIL may wait: not on a runtime worker.
        tokio::task::spawn_blocking(move || deliver(event_loop, target, outcome));
    });
    h.wait.bind(py).call1((py_fut,))
}

/// Hands `outcome` to the loop's thread, which sets it on `target` unless that was
/// cancelled meanwhile. Nothing happens once the gate is closed or the loop is closed.
fn deliver<T, E>(event_loop: Py<PyAny>, target: Py<PyAny>, outcome: Outcome<T, E>)
where
    T: for<'a> IntoPyObject<'a>,
    E: Into<PyErr>,
{
    let Some(_pass) = GATE.enter() else {
        // Dropped without the GIL: pyo3 defers the reference counts; the loop is gone.
        return;
    };
    Python::attach(|py| {
        let run = || -> PyResult<()> {
            let event_loop = event_loop.bind(py);
            if event_loop.call_method0("is_closed")?.is_truthy()? {
                return Ok(());
            }
            let (failed, value) = match outcome {
                Outcome::Done(Ok(v)) => match v.into_bound_py_any(py) {
                    Ok(v) => (false, v),
                    Err(e) => (true, e.into_value(py).into_bound(py).into_any()),
                },
                Outcome::Done(Err(e)) => (true, e.into().into_value(py).into_bound(py).into_any()),
                Outcome::Panicked(msg) => {
                    let e = internal(msg);
                    (true, e.into_value(py).into_bound(py).into_any())
                }
            };
            let complete = &helpers(py)?.complete;
            event_loop.call_method1("call_soon_threadsafe", (complete, target, failed, value))?;
            Ok(())
        };
        // The loop may close between the check and the call: then there is no one to tell.
        let _ = run();
    });
}

/// Polls `fut` once right here (inside the runtime's context, with the GIL held only for
/// that non-blocking poll): finished then, its outcome is a ready coroutine (the memory
/// store's operations finish at once); otherwise it continues on the runtime.
pub(crate) fn run_async<'py, F, T, E>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = Result<T, E>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
    E: Into<PyErr> + Send + 'static,
{
    let mut fut = Box::pin(fut);
    let polled = {
        let _rt = pyo3_async_runtimes::tokio::get_runtime().enter();
        let waker = futures::task::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)))
    };
    match polled {
        Ok(std::task::Poll::Ready(r)) => ready(py, r),
        Ok(std::task::Poll::Pending) => spawn(py, fut),
        Err(p) => raising(py, internal(crate::executor::panic_message(&*p))),
    }
}
