//! A job's event log: a bounded history for late subscribers plus a bounded live channel
//! (created on first subscribe, so a job nobody watches costs no channel). Jobs this
//! process does not run are streamed from the store instead.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use tokio::sync::{broadcast, Notify};
use uuid::Uuid;

use crate::job::{Event, EventKind};
use crate::store::Store;

/// Live events buffered per subscriber before it lags (and is told how many it missed).
pub const LIVE_BUFFER: usize = 1024;

/// How often a view of a job run elsewhere (another executor on a shared store) looks at
/// the store while waiting or streaming events, where the store sends no notices.
pub const REMOTE_POLL: std::time::Duration = std::time::Duration::from_millis(100);
/// Where the store announces stored events (PostgreSQL), a stream of a job run elsewhere
/// reads when told, and otherwise only this often (a notice lost while the listening
/// connection was down).
pub const STREAM_RECHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Rung when another process stored events of the job a stream follows. Whoever made it
/// keeps `registration` inside: dropping the doorbell unregisters it.
pub struct Doorbell {
    pub bell: Arc<Notify>,
    pub registration: Box<dyn Send + Sync>,
    /// Told once the store listens for the job's event notices (a stream's first read
    /// waits for it, so that nothing stored after the read goes unannounced).
    pub ready: Option<tokio::sync::oneshot::Receiver<()>>,
}

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
    pub fn new(history_cap: usize) -> Self {
        EventLog {
            inner: Mutex::new(LogInner {
                next_seq: 1,
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

    /// Starts the history with what the store already holds (a job claimed from the
    /// store: its `queued` event, earlier attempts), so late subscribers see it all.
    pub fn seed(&self, stored: Vec<Event>) {
        let mut inner = self.lock();
        if let Some(last) = stored.last() {
            inner.next_seq = inner.next_seq.max(last.seq + 1);
        }
        let cap = inner.history_cap;
        for e in stored {
            if !matches!(e.kind, EventKind::HostOutput { .. }) || inner.history.len() < cap {
                inner.history.push_back(e);
            }
        }
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

    /// Announces an event the store holds already, numbered there: later events follow it.
    pub fn commit_stored(&self, event: Event) {
        {
            let mut inner = self.lock();
            inner.next_seq = inner.next_seq.max(event.seq + 1);
        }
        self.commit(event);
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
    /// A `finished` event was read: the stream may end.
    finished_seen: bool,
    /// When the stored status was first seen ended without a stored `finished` event (the
    /// end is stored before its event).
    ended_unannounced: Option<std::time::Instant>,
    /// Without one, the stream polls every `REMOTE_POLL`.
    doorbell: Option<Doorbell>,
}

/// A store read that failed is retried after this long (an outage is not the job's end).
const READ_RETRY: std::time::Duration = std::time::Duration::from_millis(500);
/// How long a stream waits for the `finished` event of a job whose stored status has
/// ended before it announces that end itself (its worker died in between).
const FINISHED_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

pub struct Subscription {
    history: VecDeque<Event>,
    live: Option<broadcast::Receiver<Event>>,
    stored: Option<StoredStream>,
}

impl Subscription {
    fn from_store(
        store: Arc<dyn Store>,
        job: Uuid,
        follow: bool,
        doorbell: Option<Doorbell>,
    ) -> Self {
        Subscription {
            history: VecDeque::new(),
            live: None,
            stored: Some(StoredStream {
                store,
                job,
                after: 0,
                follow,
                fetched: false,
                finished_seen: false,
                ended_unannounced: None,
                doorbell,
            }),
        }
    }

    /// A finished job's stored events.
    pub fn stored(store: Arc<dyn Store>, job: Uuid) -> Self {
        Self::from_store(store, job, false, None)
    }

    /// A job run by another executor: stored events, then new ones until it ends (read
    /// when the doorbell rings, if there is one, otherwise polled).
    pub fn remote(store: Arc<dyn Store>, job: Uuid, doorbell: Option<Doorbell>) -> Self {
        Self::from_store(store, job, true, doorbell)
    }

    /// Fills `history` from the store; false when the stream has ended.
    async fn pull(&mut self) -> bool {
        let Some(s) = self.stored.as_mut() else {
            return false;
        };
        if let Some(ready) = s.doorbell.as_mut().and_then(|d| d.ready.take()) {
            let _ = tokio::time::timeout(STREAM_RECHECK, ready).await;
        }
        loop {
            if s.fetched && !s.follow {
                return false;
            }
            // Made before looking: events stored after the look still ring it.
            let bell = s.doorbell.as_ref().map(|d| d.bell.clone());
            let rung = bell.as_ref().map(|b| b.notified());
            // Read the status first: events stored before it are all there to fetch. A read
            // that fails (the store is down) is retried: it is not the job's end.
            let record = if s.follow {
                match s.store.get_job(s.job).await {
                    Ok(r) => r,
                    Err(_) => {
                        tokio::time::sleep(READ_RETRY).await;
                        continue;
                    }
                }
            } else {
                None
            };
            let ended = !s.follow || record.as_ref().is_none_or(|r| r.status.is_terminal());
            let Ok(batch) = s.store.events(s.job, s.after).await else {
                tokio::time::sleep(READ_RETRY).await;
                continue;
            };
            s.fetched = true;
            if let Some(last) = batch.last() {
                s.after = last.seq;
            }
            s.finished_seen |= batch
                .iter()
                .any(|e| matches!(e.kind, EventKind::Finished { .. }));
            if !batch.is_empty() {
                self.history.extend(batch);
                return true;
            }
            if ended {
                let Some(r) = record.filter(|_| s.follow && !s.finished_seen) else {
                    s.follow = false;
                    return false;
                };
                // Ended, but its `finished` event is not stored yet: wait for it a little,
                // then say the stored end ourselves, so the stream always ends with it.
                let since = *s
                    .ended_unannounced
                    .get_or_insert_with(std::time::Instant::now);
                if since.elapsed() >= FINISHED_GRACE {
                    let kind = EventKind::Finished {
                        status: r.status,
                        error: r.error,
                    };
                    self.history.push_back(Event {
                        job_id: s.job,
                        seq: s.after + 1,
                        time: r.finished_at.unwrap_or_else(Utc::now),
                        kind,
                    });
                    s.follow = false;
                    return true;
                }
            }
            match rung {
                Some(rung) => {
                    // Ended without its event: look again soon, not at the next recheck.
                    let wait = if s.ended_unannounced.is_some() {
                        REMOTE_POLL
                    } else {
                        STREAM_RECHECK
                    };
                    tokio::select! {
                        _ = rung => {}
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
                None => tokio::time::sleep(REMOTE_POLL).await,
            }
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

    fn started() -> EventKind {
        EventKind::Started {
            attempt: 1,
            worker: None,
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
        let log = EventLog::new(100);
        let id = Uuid::nil();
        log.publish(id, EventKind::Queued);
        let mut sub = log.subscribe();
        log.publish(id, started());
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
        assert!(log.publish(id, started()).is_none()); // ignored once closed
        assert_eq!(log.history().len(), 3);
    }

    #[tokio::test]
    async fn history_is_bounded_but_keeps_lifecycle() {
        let log = EventLog::new(5);
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
        let log = EventLog::new(0);
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

    /// The memory store, whose job and event reads fail while `down` is set: a database
    /// outage as a remote stream sees it (a failed read), which a real server gives only
    /// by chance (its pool mostly waits for a connection instead).
    #[derive(Default)]
    struct Flaky {
        inner: crate::store::MemoryStore,
        down: std::sync::atomic::AtomicBool,
        event_reads: std::sync::atomic::AtomicUsize,
    }

    impl Flaky {
        fn check(&self) -> crate::error::Result<()> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(
                    crate::error::StoreError::Unavailable("connection refused".into()).into(),
                );
            }
            Ok(())
        }
    }

    use crate::error::Result as R;
    use crate::job::HostResult;
    use crate::store::{Fence, JobFilter, JobRecord, RecoveryPolicy};
    use crate::template::Template;
    use chrono::DateTime;
    use std::collections::BTreeMap;

    #[async_trait::async_trait]
    impl Store for Flaky {
        fn backend(&self) -> &'static str {
            "flaky"
        }
        async fn create_template(&self, t: &Template) -> R<()> {
            self.inner.create_template(t).await
        }
        async fn get_template(&self, key: &str) -> R<Arc<Template>> {
            self.inner.get_template(key).await
        }
        async fn list_templates(&self) -> R<Vec<Template>> {
            self.inner.list_templates().await
        }
        async fn replace_template(&self, old: &Template, new: &Template) -> R<()> {
            self.inner.replace_template(old, new).await
        }
        async fn delete_template(&self, key: &str) -> R<()> {
            self.inner.delete_template(key).await
        }
        async fn insert_job(&self, job: &JobRecord, events: &[Event], queue: usize) -> R<()> {
            self.inner.insert_job(job, events, queue).await
        }
        async fn claim_job(&self, worker: &str) -> R<Option<JobRecord>> {
            self.inner.claim_job(worker).await
        }
        async fn save_host_result(&self, job: Uuid, attempt: u32, r: &HostResult) -> R<()> {
            self.inner.save_host_result(job, attempt, r).await
        }
        async fn finish_job(&self, attempt: u32, end: &Event, note: &str) -> R<bool> {
            self.inner.finish_job(attempt, end, note).await
        }
        async fn cancel_pending(&self, job: Uuid, at: DateTime<Utc>) -> R<bool> {
            self.inner.cancel_pending(job, at).await
        }
        async fn request_cancel(&self, job: Uuid) -> R<bool> {
            self.inner.request_cancel(job).await
        }
        async fn cancel_requests(&self, worker: &str) -> R<Vec<Uuid>> {
            self.inner.cancel_requests(worker).await
        }
        async fn get_job(&self, id: Uuid) -> R<Option<JobRecord>> {
            self.check()?;
            self.inner.get_job(id).await
        }
        async fn list_jobs(&self, f: &JobFilter, l: Option<usize>, o: usize) -> R<Vec<JobRecord>> {
            self.inner.list_jobs(f, l, o).await
        }
        async fn count_jobs(&self, f: &JobFilter) -> R<usize> {
            self.inner.count_jobs(f).await
        }
        async fn count_by_status(&self) -> R<BTreeMap<JobStatus, usize>> {
            self.inner.count_by_status().await
        }
        async fn delete_job(&self, id: Uuid) -> R<()> {
            self.inner.delete_job(id).await
        }
        async fn append_events(&self, events: &[(Event, Fence)], keep: usize) -> R<()> {
            self.inner.append_events(events, keep).await
        }
        async fn events(&self, job: Uuid, after: u64) -> R<Vec<Event>> {
            self.event_reads
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.check()?;
            self.inner.events(job, after).await
        }
        async fn last_event_seq(&self, job: Uuid) -> R<u64> {
            self.inner.last_event_seq(job).await
        }
        async fn heartbeat(&self, w: &str, lease: std::time::Duration) -> R<()> {
            self.inner.heartbeat(w, lease).await
        }
        async fn recover(
            &self,
            stale: DateTime<Utc>,
            p: RecoveryPolicy,
            max: u32,
        ) -> R<Vec<(Uuid, JobStatus)>> {
            self.inner.recover(stale, p, max).await
        }
        async fn retire_worker(&self, w: &str) -> R<()> {
            self.inner.retire_worker(w).await
        }
    }

    fn event(job_id: Uuid, kind: EventKind) -> Event {
        Event {
            job_id,
            seq: 0,
            time: Utc::now(),
            kind,
        }
    }

    async fn running_job(store: &Flaky) -> Uuid {
        let t = Template::create(crate::template::TemplateSpec {
            name: Some("t".into()),
            command: Some(vec!["true".into()]),
            ..Default::default()
        })
        .unwrap();
        let rec = JobRecord::pending(Arc::new(t), None, vec!["h".into()], Default::default());
        let id = rec.id;
        let queued = Event {
            job_id: id,
            seq: 1,
            time: Utc::now(),
            kind: EventKind::Queued,
        };
        store.insert_job(&rec, &[queued], 10).await.unwrap();
        store.claim_job("w").await.unwrap().unwrap();
        id
    }

    /// With a doorbell (the store sends notices), a stream reads when rung, at once, and
    /// otherwise only every `STREAM_RECHECK`, not every `REMOTE_POLL`.
    #[tokio::test]
    async fn a_remote_stream_with_a_doorbell_reads_when_rung() {
        use std::sync::atomic::Ordering::SeqCst;
        let store = Arc::new(Flaky::default());
        let id = running_job(&store).await;
        let bell = Arc::new(Notify::new());
        let doorbell = Doorbell {
            bell: bell.clone(),
            registration: Box::new(()),
            ready: None,
        };
        let mut sub = Subscription::remote(store.clone(), id, Some(doorbell));
        assert_eq!(sub.next(id).await.unwrap().kind.name(), "queued");
        assert_eq!(sub.next(id).await.unwrap().kind.name(), "started"); // stored by the claim
        let reader = tokio::spawn(async move { sub.next(id).await.map(|e| e.kind.name()) });
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        // Polling would have read about ten times by now.
        assert!(
            store.event_reads.load(SeqCst) <= 3,
            "{:?}",
            store.event_reads
        );
        store
            .append_events(
                &[(
                    Event {
                        seq: 3,
                        ..event(id, out(1))
                    },
                    Fence::Attempt(1),
                )],
                100,
            )
            .await
            .unwrap();
        let rung = std::time::Instant::now();
        bell.notify_waiters();
        let next = tokio::time::timeout(std::time::Duration::from_secs(5), reader)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(next, Some("host_output"));
        assert!(rung.elapsed() < STREAM_RECHECK / 2, "{:?}", rung.elapsed());
    }

    /// Reads failing for a while (an outage) are not the job's end: the stream resumes
    /// and ends with the stored `finished` event.
    #[tokio::test]
    async fn a_remote_stream_outlives_failed_reads_and_ends_with_finished() {
        let store = Arc::new(Flaky::default());
        let id = running_job(&store).await;
        store.down.store(true, std::sync::atomic::Ordering::SeqCst);
        let mut sub = Subscription::remote(store.clone(), id, None);
        let reader = tokio::spawn(async move {
            let mut kinds = Vec::new();
            while let Some(e) = sub.next(id).await {
                kinds.push(e.kind.name());
            }
            kinds
        });
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert!(!reader.is_finished(), "the stream ended at a failed read");
        store.down.store(false, std::sync::atomic::Ordering::SeqCst);
        let end = Event {
            job_id: id,
            seq: 3,
            time: Utc::now(),
            kind: finished(),
        };
        assert!(store.finish_job(1, &end, "").await.unwrap());
        let kinds = tokio::time::timeout(std::time::Duration::from_secs(10), reader)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kinds, ["queued", "started", "finished"]);
    }

    /// The end is stored before its event; should the event never come (its worker died
    /// in between), the stream still ends with the stored end.
    #[tokio::test]
    async fn a_remote_stream_of_an_ended_job_without_its_event_ends_with_the_stored_end() {
        let store = Arc::new(Flaky::default());
        let id = running_job(&store).await;
        // Its `finished` event never stored: numbered 2, the seq `started` took already.
        let kind = EventKind::Finished {
            status: JobStatus::Failed,
            error: Some("1 failed".into()),
        };
        let end = Event {
            seq: 2,
            ..event(id, kind)
        };
        assert!(store.finish_job(1, &end, "").await.unwrap());
        assert_eq!(store.events(id, 1).await.unwrap().len(), 1);
        let mut sub = Subscription::remote(store.clone(), id, None);
        let mut last = None;
        let read = async {
            while let Some(e) = sub.next(id).await {
                last = Some(e);
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), read)
            .await
            .unwrap();
        let last = last.unwrap();
        assert_eq!(last.seq, 3);
        assert!(matches!(
            last.kind,
            EventKind::Finished { status: JobStatus::Failed, error: Some(ref e) } if e == "1 failed"
        ));
    }
}
