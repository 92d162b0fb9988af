//! What a worker has done since it started, for its operator (Prometheus through
//! `Executor.stats()`): claims, time jobs waited in the queue, recoveries, lost leases and
//! store errors. Counters only grow; they are this process's, not the cluster's.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

#[derive(Default)]
pub(super) struct WorkerCounters {
    claimed: AtomicU64,
    queue_wait_ms: AtomicU64,
    requeued: AtomicU64,
    interrupted: AtomicU64,
    lease_lost: AtomicU64,
    store_errors: AtomicU64,
}

/// A snapshot of [`WorkerCounters`], in `Stats`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CounterSnapshot {
    /// Jobs this worker claimed (each attempt counts).
    pub claimed: u64,
    /// Summed seconds the claimed jobs waited between submission and their claim.
    pub queue_wait_seconds: f64,
    /// Jobs of dead workers this process re-queued.
    pub requeued: u64,
    /// Jobs of dead workers this process ended `error` (no attempts left, or recovery `fail`).
    pub interrupted: u64,
    /// Running jobs this worker stopped because it could not renew its lease.
    pub lease_lost: u64,
    /// Store operations of the worker loop that failed (claim, storing an end, heartbeat,
    /// recovery).
    pub store_errors: u64,
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl WorkerCounters {
    pub(super) fn claimed(&self, waited: chrono::Duration) {
        add(&self.claimed, 1);
        let ms = u64::try_from(waited.num_milliseconds()).unwrap_or(0);
        add(&self.queue_wait_ms, ms);
    }

    pub(super) fn recovered(&self, requeued: usize, interrupted: usize) {
        add(&self.requeued, requeued as u64);
        add(&self.interrupted, interrupted as u64);
    }

    pub(super) fn lease_lost(&self, jobs: usize) {
        add(&self.lease_lost, jobs as u64);
    }

    pub(super) fn store_error(&self) {
        add(&self.store_errors, 1);
    }

    pub(super) fn snapshot(&self) -> CounterSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CounterSnapshot {
            claimed: get(&self.claimed),
            queue_wait_seconds: get(&self.queue_wait_ms) as f64 / 1000.0,
            requeued: get(&self.requeued),
            interrupted: get(&self.interrupted),
            lease_lost: get(&self.lease_lost),
            store_errors: get(&self.store_errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up() {
        let c = WorkerCounters::default();
        c.claimed(chrono::Duration::milliseconds(1500));
        c.claimed(chrono::Duration::milliseconds(-5)); // clocks of two machines: never negative
        c.recovered(2, 1);
        c.lease_lost(3);
        c.store_error();
        let s = c.snapshot();
        assert_eq!((s.claimed, s.requeued, s.interrupted), (2, 2, 1));
        assert_eq!((s.lease_lost, s.store_errors), (3, 1));
        assert!((s.queue_wait_seconds - 1.5).abs() < 1e-9);
    }
}
