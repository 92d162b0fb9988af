//! A job's event log: a bounded history for late subscribers plus a bounded live channel
//! (created on first subscribe, so a job nobody watches costs no channel). Jobs this
//! process does not run are streamed from the store instead.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::job_handle::REMOTE_POLL;
use crate::job::{Event, EventKind};
use crate::store::Store;

/// Live events buffered per subscriber before it lags (and is told how many it missed).
pub const LIVE_BUFFER: usize = 1024;

pub struct EventLog {
    inner: Mutex<LogInner>,
}

struct LogInner {
    next_seq: u64,
    history: VecDeque<Event>,
    /// Output lines beyond this many history entries are only sent live. Lifecycle events
    /// (a few per host) are always kept, so a late subscriber still sees every host's fate.
    history_cap: usize,
    live: Option<broadcast::Sender<Event>>,
    closed: bool,
}

impl EventLog {
    /// `first_seq`: a re-run job continues after the events its earlier attempts stored.
    pub fn new(history_cap: usize, first_seq: u64) -> Self {
        EventLog {
            inner: Mutex::new(LogInner {
                next_seq: first_seq.max(1),
                history: VecDeque::new(),
                history_cap,
                live: None,
                closed: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LogInner> {
        // A poisoned lock only means another thread panicked mid-push; the log stays usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends an event and returns it. `Finished` closes the log: live subscribers end
    /// after it, and later events are dropped (None).
    pub fn publish(&self, job_id: Uuid, kind: EventKind) -> Option<Event> {
        let event = self.prepare(job_id, kind)?;
        self.commit(event.clone());
        Some(event)
    }

    /// Numbers an event without announcing it, so it can be stored first. Only for events
    /// nothing else is published beside (a job's start and end), or seqs would interleave.
    pub fn prepare(&self, job_id: Uuid, kind: EventKind) -> Option<Event> {
        let mut inner = self.lock();
        if inner.closed {
            return None;
        }
        let event = Event {
            job_id,
            seq: inner.next_seq,
            time: Utc::now(),
            kind,
        };
        inner.next_seq += 1;
        Some(event)
    }

    /// Announces a prepared event: to live subscribers and the history.
    pub fn commit(&self, event: Event) {
        let mut inner = self.lock();
        if inner.closed {
            return;
        }
        let finished = matches!(event.kind, EventKind::Finished { .. });
        if let Some(tx) = &inner.live {
            let _ = tx.send(event.clone()); // no receivers left is fine
        }
        let is_output = matches!(event.kind, EventKind::HostOutput { .. });
        if !is_output || inner.history.len() < inner.history_cap {
            inner.history.push_back(event);
        }
        if finished {
            inner.closed = true;
            inner.live = None; // receivers drain what is buffered, then see the end
        }
    }

    /// The history so far and, unless the job has ended, a receiver for what follows.
    /// Taken under one lock, so nothing is missed or seen twice.
    pub fn subscribe(&self) -> Subscription {
        let mut inner = self.lock();
        let history: VecDeque<Event> = inner.history.iter().cloned().collect();
        let live = if inner.closed {
            None
        } else {
            Some(
                inner
                    .live
                    .get_or_insert_with(|| broadcast::channel(LIVE_BUFFER).0)
                    .subscribe(),
            )
        };
        Subscription {
            history,
            live,
            stored: None,
        }
    }

    pub fn history(&self) -> Vec<Event> {
        self.lock().history.iter().cloned().collect()
    }
}

/// Streams a job from the store: what it holds, and, while the job runs elsewhere, what
/// is added (polled), until the job has ended.
struct StoredStream {
    store: Arc<dyn Store>,
    job: Uuid,
    after: u64,
    follow: bool,
    fetched: bool,
}

pub struct Subscription {
    history: VecDeque<Event>,
    live: Option<broadcast::Receiver<Event>>,
    stored: Option<StoredStream>,
}

impl Subscription {
    fn from_store(store: Arc<dyn Store>, job: Uuid, follow: bool) -> Self {
        Subscription {
            history: VecDeque::new(),
            live: None,
            stored: Some(StoredStream {
                store,
                job,
                after: 0,
                follow,
                fetched: false,
            }),
        }
    }

    /// A finished job's stored events.
    pub fn stored(store: Arc<dyn Store>, job: Uuid) -> Self {
        Self::from_store(store, job, false)
    }

    /// A job run by another executor: stored events, then new ones until it ends.
    pub fn remote(store: Arc<dyn Store>, job: Uuid) -> Self {
        Self::from_store(store, job, true)
    }

    /// Fills `history` from the store; false when the stream has ended.
    async fn pull(&mut self) -> bool {
        let Some(s) = self.stored.as_mut() else {
            return false;
        };
        loop {
            if s.fetched && !s.follow {
                return false;
            }
            // Read the status first: events stored before it are all there to fetch.
            let ended = !s.follow
                || s.store
                    .get_job(s.job)
                    .await
                    .ok()
                    .flatten()
                    .is_none_or(|r| r.status.is_terminal());
            let batch = s.store.events(s.job, s.after).await.unwrap_or_default();
            s.fetched = true;
            if let Some(last) = batch.last() {
                s.after = last.seq;
            }
            if !batch.is_empty() {
                self.history.extend(batch);
                return true;
            }
            if ended {
                s.follow = false;
                return false;
            }
            tokio::time::sleep(REMOTE_POLL).await;
        }
    }

    /// Without waiting: `Some(Some(e))` an event, `Some(None)` the end, `None` nothing yet.
    pub fn try_next(&mut self, job_id: Uuid) -> Option<Option<Event>> {
        if let Some(e) = self.history.pop_front() {
            return Some(Some(e));
        }
        if self.stored.is_some() {
            return None; // needs the store: async
        }
        let Some(rx) = self.live.as_mut() else {
            return Some(None);
        };
        match rx.try_recv() {
            Ok(e) => Some(Some(e)),
            Err(broadcast::error::TryRecvError::Empty) => None,
            Err(broadcast::error::TryRecvError::Lagged(missed)) => {
                Some(Some(lagged(job_id, missed)))
            }
            Err(broadcast::error::TryRecvError::Closed) => {
                self.live = None;
                Some(None)
            }
        }
    }

    /// The next event, or None once the job has ended and everything was delivered.
    pub async fn next(&mut self, job_id: Uuid) -> Option<Event> {
        if let Some(e) = self.history.pop_front() {
            return Some(e);
        }
        if self.stored.is_some() {
            return if self.pull().await {
                self.history.pop_front()
            } else {
                None
            };
        }
        let rx = self.live.as_mut()?;
        match rx.recv().await {
            Ok(e) => Some(e),
            Err(broadcast::error::RecvError::Lagged(missed)) => Some(lagged(job_id, missed)),
            Err(broadcast::error::RecvError::Closed) => {
                self.live = None;
                None
            }
        }
    }
}

/// Tells a subscriber how many live events it missed (seq 0: not part of the job's log).
fn lagged(job_id: Uuid, missed: u64) -> Event {
    Event {
        job_id,
        seq: 0,
        time: Utc::now(),
        kind: EventKind::Lagged { missed },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobStatus, Stream};

    fn out(i: usize) -> EventKind {
        EventKind::HostOutput {
            host: "h".into(),
            stream: Stream::Stdout,
            line: i.to_string(),
        }
    }

    fn finished() -> EventKind {
        EventKind::Finished {
            status: JobStatus::Successful,
            error: None,
        }
    }

    #[tokio::test]
    async fn late_subscriber_gets_history_then_live_then_end() {
        let log = EventLog::new(100, 1);
        let id = Uuid::nil();
        log.publish(id, EventKind::Queued);
        let mut sub = log.subscribe();
        log.publish(id, EventKind::Started);
        log.publish(id, finished());
        let mut seqs = Vec::new();
        while let Some(e) = sub.next(id).await {
            seqs.push(e.seq);
        }
        assert_eq!(seqs, [1, 2, 3]);
        // After the end: history only, no live part, no hang.
        let mut sub = log.subscribe();
        let mut n = 0;
        while sub.next(id).await.is_some() {
            n += 1;
        }
        assert_eq!(n, 3);
        assert!(log.publish(id, EventKind::Started).is_none()); // ignored once closed
        assert_eq!(log.history().len(), 3);
    }

    #[tokio::test]
    async fn history_is_bounded_but_keeps_lifecycle() {
        let log = EventLog::new(5, 1);
        let id = Uuid::nil();
        for i in 0..100 {
            log.publish(id, out(i));
        }
        log.publish(id, finished());
        let h = log.history();
        assert_eq!(h.len(), 6);
        assert!(matches!(h.last().unwrap().kind, EventKind::Finished { .. }));
        assert_eq!(h.last().unwrap().seq, 101);
    }

    #[tokio::test]
    async fn slow_subscriber_lags_instead_of_growing() {
        let log = EventLog::new(0, 1);
        let id = Uuid::nil();
        let mut sub = log.subscribe();
        for i in 0..(LIVE_BUFFER + 10) {
            log.publish(id, out(i));
        }
        log.publish(id, finished());
        let first = sub.next(id).await.unwrap();
        assert_eq!(first.kind, EventKind::Lagged { missed: 11 });
        let mut rest = 0;
        while sub.next(id).await.is_some() {
            rest += 1;
        }
        assert_eq!(rest, LIVE_BUFFER);
    }
}
