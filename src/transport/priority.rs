//! Check processes start below the caller's CPU priority: at the nice value the executors of
//! this process asked for (`ExecutorConfig::nice`). On a machine the checks saturate, the
//! caller's threads (an API server's event loop, a script awaiting jobs) and the runtime threads
//! serving its requests then get a core first when they wake, instead of queueing behind check
//! processes.
//!
//! A child inherits the nice value of the thread that starts it, and setting it in the child
//! would need `pre_exec`, which loses the fast posix_spawn path. So each thread that starts
//! checks hands the start to a helper thread of its own holding that value; the calling thread
//! keeps its priority (a thread's nice value cannot be lowered again without privileges).

use std::cell::RefCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::mpsc;

/// The highest nice value (the lowest priority).
pub const NICE_MAX: i32 = 19;

/// The checks' nice value: the highest any executor of this process asked for.
static CHECK_NICE: AtomicI32 = AtomicI32::new(0);

/// Checks started from now on run at a nice value of at least `nice`.
pub fn lower_checks_to(nice: i32) {
    CHECK_NICE.fetch_max(nice.clamp(0, NICE_MAX), Ordering::Relaxed);
}

type Work = Box<dyn FnOnce() + Send>;

thread_local! {
    /// This thread's helper and the nice value it holds; it ends with this thread.
    static HELPER: RefCell<Option<(i32, mpsc::Sender<Work>)>> = const { RefCell::new(None) };
}

/// Runs `start` (a process start; it must not block) where a child it starts inherits the
/// checks' nice value, and returns its result. Without a nice value, or when no helper thread
/// can be made, it runs right here.
pub fn start_check<T: Send + 'static>(start: impl FnOnce() -> T + Send + 'static) -> T {
    let nice = CHECK_NICE.load(Ordering::Relaxed);
    if nice == 0 {
        return start();
    }
    let Some(helper) = helper(nice) else {
        return start();
    };
    let (reply, answer) = mpsc::sync_channel(1);
    let work: Work = Box::new(move || {
        let _ = reply.send(catch_unwind(AssertUnwindSafe(start)));
    });
    if let Err(mpsc::SendError(work)) = helper.send(work) {
        // The helper is gone: run here (it replies on `answer` all the same).
        work();
    }
    match answer.recv() {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => unreachable!("the work always replies, or panics inside catch_unwind"),
    }
}

/// This thread's helper at `nice`, made on first use (or when the value rose).
fn helper(nice: i32) -> Option<mpsc::Sender<Work>> {
    HELPER.with(|cell| {
        let mut cell = cell.borrow_mut();
        if let Some((held, tx)) = cell.as_ref() {
            if *held == nice {
                return Some(tx.clone());
            }
        }
        let (tx, rx) = mpsc::channel::<Work>();
        std::thread::Builder::new()
            .name("check-start".into())
            .spawn(move || {
                set_thread_nice(nice);
                while let Ok(work) = rx.recv() {
                    work();
                }
            })
            .ok()?;
        *cell = Some((nice, tx.clone())); // the previous helper ends with its sender
        Some(tx)
    })
}

#[cfg(target_os = "linux")]
fn set_thread_nice(nice: i32) {
    // On Linux a nice value belongs to a thread (`PRIO_PROCESS` with a thread id).
    // SAFETY: plain syscalls on this thread's own id, no memory handed over.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        // -1 may be a real value or an error: either way only ever raise the value.
        if libc::getpriority(libc::PRIO_PROCESS, tid) < nice {
            libc::setpriority(libc::PRIO_PROCESS, tid, nice);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn set_thread_nice(_nice: i32) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice_of(out: std::process::Output) -> i32 {
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("nice prints a number")
    }

    fn thread_nice() -> i32 {
        // SAFETY: as above.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    #[test]
    fn checks_start_at_the_nice_value_and_the_caller_keeps_its_own() {
        lower_checks_to(7);
        lower_checks_to(3); // lower: the highest asked for stays
        std::thread::spawn(|| {
            let before = thread_nice();
            let out = start_check(|| std::process::Command::new("nice").output());
            assert!(nice_of(out.expect("nice runs")) >= 7);
            assert_eq!(thread_nice(), before);
            // A panic inside reaches the caller.
            let panicked = catch_unwind(|| start_check(|| panic!("inside")));
            assert!(panicked.is_err());
            let again = start_check(|| std::process::Command::new("nice").output());
            assert!(nice_of(again.expect("nice runs")) >= 7);
        })
        .join()
        .expect("thread");
    }
}
