//! Check processes start below the caller's CPU priority: at the nice value the executors of
//! this process asked for (`ExecutorConfig::nice`) and, by default, under Linux's `SCHED_IDLE`
//! policy (`ExecutorConfig::idle_checks`). On a machine the checks saturate, the caller's
//! threads (an API server's event loop, a script awaiting jobs) and the runtime threads
//! serving its requests then get a core first when they wake, instead of queueing behind
//! check processes. A nice value alone only shortens that queue: the scheduler lets a running
//! check finish its slice first (measured on 2 cores with 2,000 checks: worst loop lag 3–7 ms
//! at nice 10, 1.6–2.6 ms with `SCHED_IDLE`, same throughput; `benches/executor.py`).
//!
//! A child inherits the nice value and policy of the thread that starts it, and setting them
//! in the child would need `pre_exec`, which loses the fast posix_spawn path. So each thread
//! that starts checks hands the start to a helper thread of its own holding them; the calling
//! thread keeps its priority (a thread's priority cannot be raised again without privileges).

use std::cell::RefCell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc;

/// The highest nice value (the lowest priority).
pub const NICE_MAX: i32 = 19;

/// The checks' nice value: the highest any executor of this process asked for.
static CHECK_NICE: AtomicI32 = AtomicI32::new(0);
/// Whether checks run under `SCHED_IDLE`: once any executor of this process asked for it.
static CHECK_IDLE: AtomicBool = AtomicBool::new(false);

/// How a check process is scheduled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Priority {
    nice: i32,
    idle: bool,
}

/// Checks started from now on run at a nice value of at least `nice`, and under `SCHED_IDLE`
/// if `idle`.
pub fn lower_checks_to(nice: i32, idle: bool) {
    CHECK_NICE.fetch_max(nice.clamp(0, NICE_MAX), Ordering::Relaxed);
    if idle {
        CHECK_IDLE.store(true, Ordering::Relaxed);
    }
}

type Work = Box<dyn FnOnce() + Send>;

thread_local! {
    /// This thread's helper and the priority it holds; it ends with this thread.
    static HELPER: RefCell<Option<(Priority, mpsc::Sender<Work>)>> = const { RefCell::new(None) };
}

/// Runs `start` (a process start; it must not block) where a child it starts inherits the
/// checks' priority, and returns its result. When checks keep the caller's priority, or when
/// no helper thread can be made, it runs right here.
pub fn start_check<T: Send + 'static>(start: impl FnOnce() -> T + Send + 'static) -> T {
    let wanted = Priority {
        nice: CHECK_NICE.load(Ordering::Relaxed),
        idle: CHECK_IDLE.load(Ordering::Relaxed),
    };
    if wanted.nice == 0 && !wanted.idle {
        return start();
    }
    let Some(helper) = helper(wanted) else {
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

/// This thread's helper at `wanted`, made on first use (or when the priority fell).
fn helper(wanted: Priority) -> Option<mpsc::Sender<Work>> {
    HELPER.with(|cell| {
        let mut cell = cell.borrow_mut();
        if let Some((held, tx)) = cell.as_ref() {
            if *held == wanted {
                return Some(tx.clone());
            }
        }
        let (tx, rx) = mpsc::channel::<Work>();
        std::thread::Builder::new()
            .name("check-start".into())
            .spawn(move || {
                lower_this_thread(wanted);
                while let Ok(work) = rx.recv() {
                    work();
                }
            })
            .ok()?;
        *cell = Some((wanted, tx.clone())); // the previous helper ends with its sender
        Some(tx)
    })
}

#[cfg(target_os = "linux")]
fn lower_this_thread(wanted: Priority) {
    // On Linux a nice value and a policy belong to a thread (a thread id names it).
    // SAFETY: plain syscalls on this thread's own id; `param` outlives the call.
    unsafe {
        let tid = libc::gettid();
        // -1 may be a real value or an error: either way only ever raise the value.
        if libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t) < wanted.nice {
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, wanted.nice);
        }
        if wanted.idle {
            // Lowering a policy needs no privilege; should it fail, the nice value still holds.
            let param = libc::sched_param { sched_priority: 0 };
            libc::sched_setscheduler(tid, libc::SCHED_IDLE, &param);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread(_wanted: Priority) {}

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

    /// The scheduling policy of the process that prints `/proc/self/stat` (field 41).
    fn policy_of(out: std::process::Output) -> i32 {
        let stat = String::from_utf8_lossy(&out.stdout).into_owned();
        let after_name = stat.rsplit_once(')').expect("stat has (comm)").1;
        // Field 3 (state) is the first after the name, so field 41 is the 39th.
        after_name
            .split_whitespace()
            .nth(41 - 3)
            .and_then(|f| f.parse().ok())
            .expect("policy field")
    }

    #[test]
    fn checks_start_at_the_nice_value_and_idle_and_the_caller_keeps_its_own() {
        lower_checks_to(7, true);
        lower_checks_to(3, false); // lower: the highest asked for stays, and idle
        std::thread::spawn(|| {
            let before = thread_nice();
            let out = start_check(|| std::process::Command::new("nice").output());
            assert!(nice_of(out.expect("nice runs")) >= 7);
            let stat = start_check(|| {
                std::process::Command::new("cat")
                    .arg("/proc/self/stat")
                    .output()
            });
            assert_eq!(policy_of(stat.expect("cat runs")), libc::SCHED_IDLE);
            assert_eq!(thread_nice(), before);
            // SAFETY: a plain query of this thread's policy.
            assert_eq!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_OTHER);
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
