//! The store's event writer: what running jobs send (events, host results, ends) is
//! stored in batches, shared across jobs, in the order each job sent it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use uuid::Uuid;

use super::job_handle::WriterMsg;
use crate::job::{Event, HostResult};
use crate::store::{Fence, JobEnding, Store};

/// Events stored per write.
const EVENT_BATCH: usize = 512;

/// How long the writer waits, on PostgreSQL, after a job's end arrives first, for the ends
/// of other jobs (the jobs of a claim end together, see `run::EndGroup`): a commit and a
/// wake-up of every listening process per batch of ends instead of per job.
const FINISH_LINGER: Duration = Duration::from_millis(5);

/// How long the writer may hold a job's events and results for its end (see
/// `JobHandle::hold_writes`) before it stores them without it: how late, at most, other
/// processes see a running job's progress (its results so far, its events) when none of
/// them streams it. A stream started elsewhere has what is held stored at once.
const HOLD_MAX: Duration = Duration::from_secs(1);

/// Rows held per job at most: a chatty job's output is stored as it comes past this.
const HOLD_ROWS: usize = 256;

/// A job's events and host results the writer holds for its end.
struct Held {
    since: tokio::time::Instant,
    events: Vec<(Event, Fence)>,
    results: Vec<(Uuid, u32, HostResult)>,
}

/// What one write of the writer stores, gathered from its queue.
#[derive(Default)]
struct Flush {
    /// What was held (answered already): a job's held rows come before its newer ones.
    held: Held,
    events: Vec<(Event, Fence)>,
    results: Vec<(Uuid, u32, HostResult)>,
    /// Who waits for the results' outcome.
    told: Vec<tokio::sync::oneshot::Sender<std::result::Result<(), String>>>,
    ends: Vec<JobEnding>,
    ended: Vec<tokio::sync::oneshot::Sender<std::result::Result<bool, String>>>,
    flushes: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Default for Held {
    fn default() -> Self {
        Held {
            since: tokio::time::Instant::now(),
            events: Vec::new(),
            results: Vec::new(),
        }
    }
}

impl Flush {
    /// Adds what was held of `job`.
    fn take_held(&mut self, held: &mut HashMap<Uuid, Held>, job: Uuid) {
        if let Some(h) = held.remove(&job) {
            self.held.events.extend(h.events);
            self.held.results.extend(h.results);
        }
    }

    fn is_empty(&self) -> bool {
        self.held.events.is_empty()
            && self.held.results.is_empty()
            && self.events.is_empty()
            && self.results.is_empty()
            && self.ends.is_empty()
    }
}

/// Stores events, host results and job ends in batches, so a chatty job costs few writes, a
/// host's result goes with its `host_finished` event, and jobs ending together end in one
/// write. Within a write the events and results are stored first, then the ends: a job's
/// end is stored after everything it sent before it. `shared`: the store is shared by
/// several processes (see `run::batches_across_jobs`): what jobs send within a few ms goes
/// in one statement, and what a job no other process follows sends is held for its end (at
/// most [`HOLD_MAX`]) and stored with it: a short job costs a share of one write.
pub(super) async fn event_writer(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<WriterMsg>,
    keep: usize,
    shared: bool,
) {
    let mut held: HashMap<Uuid, Held> = HashMap::new();
    let mut open = true;
    while open || !held.is_empty() {
        let oldest = held.values().map(|h| h.since).min();
        // None: the queue closed (the executor stopped; what is held is stored now), or
        // the oldest held job's time is up (`timer`).
        let (first, timer) = match (open, oldest) {
            (true, None) => (rx.recv().await, false),
            (true, Some(since)) => tokio::select! {
                m = rx.recv() => (m, false),
                _ = tokio::time::sleep_until(since + HOLD_MAX) => (None, true),
            },
            (false, _) => (None, false),
        };
        open = open && (first.is_some() || timer);
        let mut flush = Flush::default();
        if let Some(first) = first {
            let linger = match &first {
                WriterMsg::Event { hold: true, .. } | WriterMsg::Result { hold: true, .. } => None,
                WriterMsg::Event { .. } | WriterMsg::Result { .. } => {
                    Some(crate::store::WRITE_LINGER)
                }
                WriterMsg::Finish { .. } => Some(FINISH_LINGER),
                WriterMsg::Flush(_) | WriterMsg::Release(_) => None,
            };
            if let (true, Some(linger)) = (shared, linger) {
                tokio::time::sleep(linger).await;
            }
            let mut msg = Some(first);
            while let Some(m) = msg.take() {
                gather(m, &mut flush, &mut held);
                if flush.events.len() < EVENT_BATCH {
                    msg = rx.try_recv().ok();
                }
            }
        }
        // When the oldest held job's time is up, or a write goes anyway, the jobs held for
        // half of HOLD_MAX go too (each would soon cost a write of its own); everything
        // once the queue closed.
        let now = tokio::time::Instant::now();
        let writing = timer || !flush.is_empty();
        let due: Vec<Uuid> = held
            .iter()
            .filter(|(_, h)| !open || (writing && now >= h.since + HOLD_MAX / 2))
            .map(|(id, _)| *id)
            .collect();
        for id in due {
            flush.take_held(&mut held, id);
        }
        write(store.as_ref(), flush, &mut held, keep).await;
        if !open {
            // Stopping: one try (the store may be down; the executor waits for this
            // write a bounded time only).
            held.clear();
        }
    }
}

/// Adds one message from the writer's queue to `flush`, or to `held`.
fn gather(m: WriterMsg, flush: &mut Flush, held: &mut HashMap<Uuid, Held>) {
    match m {
        WriterMsg::Event {
            event,
            fence,
            hold: true,
        } => {
            let job = event.job_id;
            let h = held_of(held, job);
            h.events.push((event, fence));
            if h.events.len() + h.results.len() >= HOLD_ROWS {
                flush.take_held(held, job);
            }
        }
        WriterMsg::Result {
            attempt,
            result,
            event,
            hold: true,
            stored,
        } => {
            let job = event.job_id;
            let h = held_of(held, job);
            h.results.push((job, attempt, *result));
            h.events.push((event, Fence::Attempt(attempt)));
            // Held for the job's end, which is stored with it or not at all.
            let _ = stored.send(Ok(()));
            if h.events.len() + h.results.len() >= HOLD_ROWS {
                flush.take_held(held, job);
            }
        }
        WriterMsg::Event { event, fence, .. } => {
            flush.take_held(held, event.job_id);
            flush.events.push((event, fence));
        }
        WriterMsg::Result {
            attempt,
            result,
            event,
            stored,
            ..
        } => {
            flush.take_held(held, event.job_id);
            flush.results.push((event.job_id, attempt, *result));
            flush.events.push((event, Fence::Attempt(attempt)));
            flush.told.push(stored);
        }
        WriterMsg::Release(job) => flush.take_held(held, job),
        WriterMsg::Flush(tx) => {
            let jobs: Vec<Uuid> = held.keys().copied().collect();
            for job in jobs {
                flush.take_held(held, job);
            }
            flush.flushes.push(tx);
        }
        WriterMsg::Finish { ending, stored } => {
            flush.take_held(held, ending.end.job_id);
            flush.ends.push(ending);
            flush.ended.push(stored);
        }
    }
}

/// Stores one write of the writer and answers who waits for it. When it fails, what was
/// held (answered as held already) goes back to `held`, to be stored with the next write
/// (its job's end at the latest, which is retried), and so do the rows of the jobs whose
/// end failed with it.
async fn write(store: &dyn Store, flush: Flush, held: &mut HashMap<Uuid, Held>, keep: usize) {
    let Flush {
        held:
            Held {
                events: mut all_events,
                results: mut all_results,
                ..
            },
        events,
        results,
        told,
        ends,
        ended,
        flushes,
    } = flush;
    let (was_held_events, was_held_results) = (all_events.len(), all_results.len());
    all_events.extend(events);
    all_results.extend(results);
    if !all_events.is_empty() || !all_results.is_empty() || !ends.is_empty() {
        // Lifecycle events always fit: keep everything but the oldest output lines.
        let (stored, finished) = store
            .store_and_finish(&all_results, &all_events, keep.max(64), &ends)
            .await;
        let stored = stored.map_err(|e| e.to_string());
        for tx in told {
            let _ = tx.send(stored.clone());
        }
        let failed: std::collections::HashSet<Uuid> = match &finished {
            Err(_) => ends.iter().map(|e| e.end.job_id).collect(),
            Ok(_) => Default::default(),
        };
        if stored.is_err() {
            let again =
                |i: usize, job: &Uuid, was_held: usize| i < was_held || failed.contains(job);
            for (i, (e, fence)) in all_events.into_iter().enumerate() {
                if again(i, &e.job_id, was_held_events) {
                    held_of(held, e.job_id).events.push((e, fence));
                }
            }
            for (i, r) in all_results.into_iter().enumerate() {
                if again(i, &r.0, was_held_results) {
                    held_of(held, r.0).results.push(r);
                }
            }
        }
        match finished {
            Ok(done) => {
                for (tx, ok) in ended.into_iter().zip(done) {
                    let _ = tx.send(Ok(ok));
                }
            }
            Err(e) => {
                for tx in ended {
                    let _ = tx.send(Err(e.to_string()));
                }
            }
        }
    }
    for tx in flushes {
        let _ = tx.send(());
    }
}

fn held_of(held: &mut HashMap<Uuid, Held>, job: Uuid) -> &mut Held {
    held.entry(job).or_default()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::sync::oneshot;

    use super::*;
    use crate::job::{EventKind, HostStatus, JobStatus};
    use crate::store::{JobRecord, MemoryStore};
    use crate::template::{Template, TemplateSpec};

    /// A job running as attempt 1 in `store` (the fences admit its attempt's rows).
    async fn running_job(store: &MemoryStore) -> Uuid {
        let spec = TemplateSpec {
            name: Some("t".into()),
            command: Some(vec!["true".into()]),
            ..Default::default()
        };
        let t = Template::create(spec).unwrap();
        let rec = JobRecord::pending(Arc::new(t), None, vec!["h".into()], Default::default());
        let queued = crate::store::queued(&rec);
        store.insert_job(&rec, &[queued], 10).await.unwrap();
        store.claim_job("w").await.unwrap().unwrap();
        rec.id
    }

    fn event(job_id: Uuid, seq: u64, kind: EventKind) -> Event {
        let time = crate::store::now();
        Event {
            job_id,
            seq,
            time,
            kind,
        }
    }

    fn host_started(job: Uuid, hold: bool) -> WriterMsg {
        let kind = EventKind::HostStarted {
            host: "h".into(),
            attempt: 1,
        };
        WriterMsg::Event {
            event: event(job, 3, kind),
            fence: Fence::Attempt(1),
            hold,
        }
    }

    /// The host's result with its `host_finished` event; the receiver hears the outcome.
    fn result(
        job: Uuid,
    ) -> (
        WriterMsg,
        oneshot::Receiver<std::result::Result<(), String>>,
    ) {
        let r = HostResult::not_run("h", HostStatus::Skipped, "not run");
        let kind = EventKind::HostFinished {
            host: "h".into(),
            status: r.status,
            exit_code: None,
            duration: 0.0,
        };
        let (stored, heard) = oneshot::channel();
        let msg = WriterMsg::Result {
            attempt: 1,
            result: Box::new(r),
            event: event(job, 4, kind),
            hold: true,
            stored,
        };
        (msg, heard)
    }

    fn finish(
        job: Uuid,
    ) -> (
        WriterMsg,
        oneshot::Receiver<std::result::Result<bool, String>>,
    ) {
        let kind = EventKind::Finished {
            status: JobStatus::Successful,
            error: None,
        };
        let (stored, heard) = oneshot::channel();
        let ending = JobEnding {
            attempt: 1,
            end: event(job, 5, kind),
            note: String::new(),
        };
        (WriterMsg::Finish { ending, stored }, heard)
    }

    async fn stored_kinds(store: &MemoryStore, job: Uuid) -> Vec<&'static str> {
        let events = store.events(job, 0).await.unwrap();
        events.iter().map(|e| e.kind.name()).collect()
    }

    fn writer(store: &Arc<MemoryStore>) -> (mpsc::Sender<WriterMsg>, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(64);
        let task = tokio::spawn(event_writer(store.clone(), rx, 100, true));
        (tx, task)
    }

    /// A held job's events and result wait for its end and are stored with it; the result's
    /// sender hears at once that it is held (its job goes on meanwhile).
    #[tokio::test]
    async fn held_rows_wait_for_their_jobs_end_and_are_stored_with_it() {
        let store = Arc::new(MemoryStore::default());
        let job = running_job(&store).await;
        let (tx, _task) = writer(&store);
        tx.send(host_started(job, true)).await.unwrap();
        let (msg, heard) = result(job);
        tx.send(msg).await.unwrap();
        assert_eq!(heard.await.unwrap(), Ok(()));
        tokio::time::sleep(HOLD_MAX / 4).await;
        assert_eq!(stored_kinds(&store, job).await, ["queued", "started"]);
        let (msg, ended) = finish(job);
        tx.send(msg).await.unwrap();
        assert_eq!(ended.await.unwrap(), Ok(true));
        let kinds = stored_kinds(&store, job).await;
        assert_eq!(
            kinds,
            [
                "queued",
                "started",
                "host_started",
                "host_finished",
                "finished"
            ]
        );
        let stored = store.get_job(job).await.unwrap().unwrap();
        assert_eq!(stored.results.len(), 1);
    }

    /// What is held is stored without its end once HOLD_MAX passed.
    #[tokio::test]
    async fn held_rows_are_stored_by_the_hold_bound() {
        let store = Arc::new(MemoryStore::default());
        let job = running_job(&store).await;
        let (tx, _task) = writer(&store);
        tx.send(host_started(job, true)).await.unwrap();
        tokio::time::sleep(HOLD_MAX / 2).await;
        assert_eq!(stored_kinds(&store, job).await, ["queued", "started"]);
        tokio::time::sleep(HOLD_MAX / 2 + Duration::from_millis(10)).await;
        assert_eq!(
            stored_kinds(&store, job).await,
            ["queued", "started", "host_started"]
        );
    }

    /// A release (another process streams the job) stores what is held at once, and an
    /// event sent without hold goes after the held ones.
    #[tokio::test]
    async fn a_release_stores_what_is_held_at_once() {
        let store = Arc::new(MemoryStore::default());
        let job = running_job(&store).await;
        let (tx, _task) = writer(&store);
        tx.send(host_started(job, true)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        tx.send(WriterMsg::Release(job)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(
            stored_kinds(&store, job).await,
            ["queued", "started", "host_started"]
        );
    }

    /// When the queue closes (the executor stops), what is held is stored.
    #[tokio::test]
    async fn a_closing_queue_stores_what_is_held() {
        let store = Arc::new(MemoryStore::default());
        let job = running_job(&store).await;
        let (tx, task) = writer(&store);
        tx.send(host_started(job, true)).await.unwrap();
        drop(tx);
        task.await.unwrap();
        assert_eq!(
            stored_kinds(&store, job).await,
            ["queued", "started", "host_started"]
        );
    }

    /// Without hold, rows are stored within the write linger, not held.
    #[tokio::test]
    async fn rows_sent_without_hold_are_not_held() {
        let store = Arc::new(MemoryStore::default());
        let job = running_job(&store).await;
        let (tx, _task) = writer(&store);
        tx.send(host_started(job, false)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            stored_kinds(&store, job).await,
            ["queued", "started", "host_started"]
        );
    }
}
