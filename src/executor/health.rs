//! The store probe behind `/health`: a background task asks the store every
//! [`STORE_PROBE_INTERVAL`] whether it answers, so a health check reads memory instead of
//! waiting for a store read (milliseconds on a loaded SQLite file) on every request. The
//! answer carries its age; an answer older than [`PROBE_STALE`] counts as "no answer".

use std::sync::{Mutex, Weak};
use std::time::{Duration, Instant};

use super::Inner;
use crate::store::LiveWorker;

/// How often the store is probed. An outage shows in `store_health` within this plus the
/// store's own check timeout (2 s).
pub const STORE_PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// A probe answer older than this (the probe task stalled or the runtime is wedged) no
/// longer says the store answers.
pub const PROBE_STALE: Duration = Duration::from_secs(5);

/// What the last store probe found.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreHealth {
    /// Seconds since the probe that gave `outcome` started.
    pub age_seconds: f64,
    /// The executors holding a live lease on the store, or why the store does not answer.
    pub outcome: Result<Vec<LiveWorker>, String>,
}

/// The last probe's outcome and when that probe started.
pub(super) struct Probe(Mutex<(Instant, Result<Vec<LiveWorker>, String>)>);

impl Probe {
    pub(super) fn new(first: Result<Vec<LiveWorker>, String>, started: Instant) -> Self {
        Probe(Mutex::new((started, first)))
    }

    pub(super) fn set(&self, started: Instant, outcome: Result<Vec<LiveWorker>, String>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = (started, outcome);
    }

    pub(super) fn read(&self, now: Instant) -> StoreHealth {
        let (started, outcome) = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        judge(now.saturating_duration_since(started), outcome)
    }
}

/// The rule: a stale answer is reported as unreachable, with its age.
fn judge(age: Duration, outcome: Result<Vec<LiveWorker>, String>) -> StoreHealth {
    let outcome = if age > PROBE_STALE {
        Err(format!(
            "the store probe has not answered for {:.0} s",
            age.as_secs_f64()
        ))
    } else {
        outcome
    };
    StoreHealth {
        age_seconds: age.as_secs_f64(),
        outcome,
    }
}

/// Probes the store every [`STORE_PROBE_INTERVAL`] while the executor lives.
pub(super) async fn store_probe(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(STORE_PROBE_INTERVAL).await;
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let started = Instant::now();
        let outcome = inner.check_store().await.map_err(|e| e.to_string());
        inner.probe.set(started, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker() -> LiveWorker {
        LiveWorker {
            id: "w".into(),
            heartbeat_at: "t".into(),
            lease_until: None,
        }
    }

    #[test]
    fn a_fresh_answer_is_reported_as_it_is_with_its_age() {
        let fresh = judge(Duration::from_millis(300), Ok(vec![worker()]));
        assert_eq!(fresh.outcome, Ok(vec![worker()]));
        assert!((fresh.age_seconds - 0.3).abs() < 1e-9);
        let down = judge(Duration::from_millis(300), Err("locked".into()));
        assert_eq!(down.outcome, Err("locked".into()));
    }

    #[test]
    fn a_stale_answer_reads_as_unreachable() {
        let stale = judge(PROBE_STALE + Duration::from_secs(2), Ok(vec![worker()]));
        assert_eq!(
            stale.outcome,
            Err("the store probe has not answered for 7 s".into())
        );
        let probe = Probe::new(Ok(vec![worker()]), Instant::now());
        let later = Instant::now() + PROBE_STALE + Duration::from_secs(1);
        assert!(probe.read(later).outcome.is_err());
        assert!(probe.read(Instant::now()).outcome.is_ok());
    }
}
