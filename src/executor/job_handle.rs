//! A live job: its state machine, results, events, cancellation and waiting.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::events::{EventLog, Subscription};
use crate::error::{Error, Result};
use crate::job::{EventKind, HostResult, JobSnapshot, JobStatus};
use crate::template::Template;

/// Jobs per status, kept up to date on every transition (for /health and metrics).
#[derive(Default)]
pub struct StatusCounts([AtomicUsize; 7]);

impl StatusCounts {
    fn index(s: JobStatus) -> usize {
        JobStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)
    }
    fn moved(&self, from: Option<JobStatus>, to: JobStatus) {
        if let Some(f) = from {
            self.0[Self::index(f)].fetch_sub(1, Ordering::Relaxed);
        }
        self.0[Self::index(to)].fetch_add(1, Ordering::Relaxed);
    }
    pub fn get(&self, s: JobStatus) -> usize {
        self.0[Self::index(s)].load(Ordering::Relaxed)
    }
    /// Forget a deleted (finished) job.
    pub fn removed(&self, s: JobStatus) {
        self.0[Self::index(s)].fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why a running job is being stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    Canceled = 1,
    Timeout = 2,
}

struct State {
    status: JobStatus,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    results: Vec<HostResult>,
    error: Option<String>,
}

pub struct JobHandle {
    pub id: Uuid,
    pub template: Arc<Template>,
    /// The stored template's id; None for an ad-hoc template passed to `submit`.
    pub template_id: Option<Uuid>,
    pub hosts: Vec<String>,
    pub extra_vars: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    state: Mutex<State>,
    status_tx: watch::Sender<JobStatus>,
    stop: AtomicU8,
    cancel: CancellationToken,
    events: EventLog,
    counts: Arc<StatusCounts>,
}

impl std::fmt::Debug for JobHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobHandle")
            .field("id", &self.id)
            .field("template", &self.template.name)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl JobHandle {
    pub(crate) fn new(
        template: Arc<Template>,
        template_id: Option<Uuid>,
        hosts: Vec<String>,
        extra_vars: Map<String, Value>,
        event_history: usize,
        counts: Arc<StatusCounts>,
    ) -> Self {
        counts.moved(None, JobStatus::Pending);
        JobHandle {
            id: Uuid::new_v4(),
            template,
            template_id,
            hosts,
            extra_vars,
            created_at: Utc::now(),
            state: Mutex::new(State {
                status: JobStatus::Pending,
                started_at: None,
                finished_at: None,
                results: Vec::new(),
                error: None,
            }),
            status_tx: watch::channel(JobStatus::Pending).0,
            stop: AtomicU8::new(0),
            cancel: CancellationToken::new(),
            events: EventLog::new(event_history),
            counts,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status(&self) -> JobStatus {
        self.state().status
    }

    pub fn emit(&self, kind: EventKind) {
        self.events.publish(self.id, kind);
    }

    pub fn subscribe(&self) -> Subscription {
        self.events.subscribe()
    }

    pub fn events_so_far(&self) -> Vec<crate::job::Event> {
        self.events.history()
    }

    pub(crate) fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    pub(crate) fn stop_reason(&self) -> Option<StopReason> {
        match self.stop.load(Ordering::Acquire) {
            1 => Some(StopReason::Canceled),
            2 => Some(StopReason::Timeout),
            _ => None,
        }
    }

    /// Asks the running job to stop for `reason` (the first reason wins) and kills its checks.
    pub(crate) fn stop(&self, reason: StopReason) {
        let _ = self
            .stop
            .compare_exchange(0, reason as u8, Ordering::AcqRel, Ordering::Acquire);
        self.cancel.cancel();
    }

    /// pending → running. False when the job was canceled while it waited in the queue.
    pub(crate) fn start(&self) -> bool {
        {
            let mut st = self.state();
            if !st.status.can_become(JobStatus::Running) {
                return false;
            }
            st.status = JobStatus::Running;
            st.started_at = Some(Utc::now());
        }
        self.counts
            .moved(Some(JobStatus::Pending), JobStatus::Running);
        self.emit(EventKind::Started);
        self.status_tx.send_replace(JobStatus::Running);
        true
    }

    pub(crate) fn record(&self, result: HostResult) {
        self.state().results.push(result);
    }

    /// Moves to a terminal status: state first, then the `finished` event, then waiters.
    /// Returns false (and changes nothing) when the job had already ended.
    pub(crate) fn finish(&self, status: JobStatus, error: Option<String>) -> bool {
        let from = {
            let mut st = self.state();
            if !st.status.can_become(status) {
                return false;
            }
            let from = st.status;
            st.status = status;
            st.finished_at = Some(Utc::now());
            st.error = error.clone();
            let order = |h: &str| self.hosts.iter().position(|x| x == h);
            st.results.sort_by_key(|r| order(&r.host));
            from
        };
        self.counts.moved(Some(from), status);
        self.emit(EventKind::Finished { status, error });
        self.status_tx.send_replace(status);
        true
    }

    /// Cancels the job: a pending one ends at once, a running one has its checks killed.
    /// False when it had already finished.
    pub fn cancel(&self) -> bool {
        match self.status() {
            JobStatus::Pending => {
                if self.finish(
                    JobStatus::Canceled,
                    Some("canceled before it started".into()),
                ) {
                    return true;
                }
                // It started meanwhile: stop it as a running job.
                self.cancel()
            }
            JobStatus::Running => {
                self.stop(StopReason::Canceled);
                true
            }
            _ => false,
        }
    }

    /// Waits until the job has ended. `timeout` bounds the waiting, never the job.
    pub async fn wait(&self, timeout: Option<Duration>) -> Result<JobStatus> {
        let mut rx = self.status_tx.subscribe();
        let ended = async {
            match rx.wait_for(|s| s.is_terminal()).await {
                Ok(s) => *s,
                // The sender lives as long as this handle, which we borrow: unreachable,
                // but answer with the current state rather than panic.
                Err(_) => self.status(),
            }
        };
        match timeout {
            None => Ok(ended.await),
            Some(t) => tokio::time::timeout(t, ended)
                .await
                .map_err(|_| Error::WaitTimeout(t.as_secs_f64())),
        }
    }

    pub fn snapshot(&self) -> JobSnapshot {
        let st = self.state();
        JobSnapshot {
            id: self.id,
            template_id: self.template_id,
            template_name: self.template.name.clone(),
            hosts: self.hosts.clone(),
            extra_vars: self.extra_vars.clone(),
            status: st.status,
            created_at: self.created_at,
            started_at: st.started_at,
            finished_at: st.finished_at,
            results: st.results.clone(),
            error: st.error.clone(),
        }
    }

    pub fn results(&self) -> Vec<HostResult> {
        self.state().results.clone()
    }

    pub fn error(&self) -> Option<String> {
        self.state().error.clone()
    }

    pub fn times(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let st = self.state();
        (st.started_at, st.finished_at)
    }
}
