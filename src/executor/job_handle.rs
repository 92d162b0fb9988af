//! A job as this process sees it: a live cache of its stored record (status, results),
//! its events, cancellation and waiting. The store is the truth; the handle announces.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::events::{Doorbell, EventLog, Subscription, REMOTE_POLL};
use crate::error::{Error, Result, StoreError};
use crate::inventory::Inventory;
use crate::job::{Event, EventKind, HostResult, JobSnapshot, JobStatus};
use crate::store::{EventsWatch, Fence, JobEnding, JobRecord, Notice, Store};
use crate::template::Template;

/// Where the store sends notices (PostgreSQL), a waiting view reads the store when told
/// the job ended, and otherwise only this often (a notice lost while the listening
/// connection was down).
pub const NOTIFIED_RECHECK: Duration = Duration::from_secs(30);

/// Job ends announced by this process (local runs) or heard from others (notices), for
/// followers such as the server's metrics: one subscription instead of a waiter per job.
const ENDED_CAPACITY: usize = 65_536;

/// What followers of job ends (the server's metrics) count of an ended job, so that they
/// read nothing back: told by the process that ran it (in its `finished` notice, where the
/// store sends notices).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EndSummary {
    pub status: JobStatus,
    /// From the start (or, never started, the submission) to the end.
    pub seconds: f64,
    /// Host results by status.
    pub hosts: std::collections::BTreeMap<String, u32>,
}

/// A job's end as [`LiveMap::follow_ends`] hands it out; `summary` is None when whoever
/// ended it did not tell (a recovery, a cancel of a pending job, an older executor).
#[derive(Clone, Debug)]
pub struct JobEnd {
    pub id: Uuid,
    pub summary: Option<EndSummary>,
}

impl JobEnd {
    /// An end heard in a `finished` notice with its `note` (an [`EndSummary`] as JSON).
    pub(crate) fn heard(id: Uuid, note: &str) -> Self {
        JobEnd {
            id,
            summary: serde_json::from_str(note).ok(),
        }
    }
}

/// The jobs this process runs, by id: views look here first for fresher state.
pub(crate) struct LiveMap {
    jobs: Mutex<HashMap<Uuid, Arc<JobHandle>>>,
    /// Views waiting for their job, rung when it starts or stops running here, so that a
    /// view of a job this process claims follows it at once instead of at its next poll.
    bells: Mutex<HashMap<Uuid, Arc<Notify>>>,
    /// The views this process handed out, given their job's final state when it ends here
    /// (a view reads through its running twin, and must not fall back to what it was).
    views: Mutex<Views>,
    ended: tokio::sync::broadcast::Sender<JobEnd>,
    /// Streams of jobs run elsewhere, rung when their events are stored (a notice).
    event_bells: Mutex<HashMap<Uuid, Arc<Notify>>>,
    /// Where to say which jobs' event notices this process hears: those it streams.
    events_watch: Mutex<Option<mpsc::UnboundedSender<EventsWatch>>>,
    /// The store tells this process when jobs end elsewhere (views need not poll).
    pub(crate) notified: std::sync::atomic::AtomicBool,
}

impl Default for LiveMap {
    fn default() -> Self {
        LiveMap {
            jobs: Mutex::default(),
            bells: Mutex::default(),
            views: Mutex::default(),
            ended: tokio::sync::broadcast::channel(ENDED_CAPACITY).0,
            event_bells: Mutex::default(),
            events_watch: Mutex::default(),
            notified: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

#[derive(Default)]
struct Views {
    by_job: HashMap<Uuid, Vec<Weak<JobHandle>>>,
    /// Dropped views are swept when the map reaches this size (amortized: it doubles).
    sweep_at: usize,
}

impl LiveMap {
    pub(crate) fn jobs(&self) -> MutexGuard<'_, HashMap<Uuid, Arc<JobHandle>>> {
        lock(&self.jobs)
    }

    fn bells(&self) -> MutexGuard<'_, HashMap<Uuid, Arc<Notify>>> {
        lock(&self.bells)
    }

    pub(crate) fn insert(&self, job: Arc<JobHandle>) {
        let id = job.id;
        self.jobs().insert(id, job);
        self.ring(id);
    }

    pub(crate) fn remove(&self, id: Uuid) {
        // The views take the final state before the job leaves the map: a view read in
        // between would otherwise show the state it was handed out with.
        let ended = self.jobs().get(&id).cloned();
        let views = lock(&self.views).by_job.remove(&id).unwrap_or_default();
        if let Some(job) = ended.filter(|j| j.end_is_stored()) {
            for view in views.iter().filter_map(Weak::upgrade) {
                view.adopt(&job);
            }
        }
        self.jobs().remove(&id);
        self.ring(id);
    }

    pub(crate) fn add_view(&self, view: &Arc<JobHandle>) {
        let mut views = lock(&self.views);
        if views.by_job.len() >= views.sweep_at {
            views.by_job.retain(|_, v| {
                v.retain(|w| w.strong_count() > 0);
                !v.is_empty()
            });
            views.sweep_at = (2 * views.by_job.len()).max(64);
        }
        let weak = Arc::downgrade(view);
        views.by_job.entry(view.id).or_default().push(weak);
    }

    /// A job's end was stored (here or by another process): its waiting views look, and
    /// followers hear of it.
    pub(crate) fn ended(&self, end: JobEnd) {
        self.ring(end.id);
        self.events_stored(end.id);
        let _ = self.ended.send(end);
    }

    /// Another process stored events of this job: its streams read them.
    pub(crate) fn events_stored(&self, id: Uuid) {
        if let Some(bell) = lock(&self.event_bells).get(&id) {
            bell.notify_waiters();
        }
    }

    /// The store's listener, told which jobs' event notices to hear.
    pub(crate) fn watch_events_with(&self, watch: mpsc::UnboundedSender<EventsWatch>) {
        *lock(&self.events_watch) = Some(watch);
    }

    /// A doorbell for a stream of `id`, when the store sends notices (otherwise it polls).
    /// The first stream of a job here has the listener hear the job's event notices.
    fn doorbell(self: &Arc<Self>, id: Uuid) -> Option<Doorbell> {
        if !self.notified.load(Ordering::Relaxed) {
            return None;
        }
        let mut bells = lock(&self.event_bells);
        let first = !bells.contains_key(&id);
        let bell = bells.entry(id).or_default().clone();
        let ready = first.then(|| self.tell_watch(|ready| EventsWatch::Start(id, ready)));
        drop(bells);
        let registration = Box::new(EventWatch {
            live: self.clone(),
            id,
            bell: bell.clone(),
        });
        Some(Doorbell {
            bell,
            registration,
            ready: ready.flatten(),
        })
    }

    /// Sends the listener `make(ready)`; the receiver hears once it acted.
    fn tell_watch(
        &self,
        make: impl FnOnce(oneshot::Sender<()>) -> EventsWatch,
    ) -> Option<oneshot::Receiver<()>> {
        let (tx, rx) = oneshot::channel();
        let watch = lock(&self.events_watch);
        watch.as_ref()?.send(make(tx)).ok()?;
        Some(rx)
    }

    pub(crate) fn follow_ends(&self) -> tokio::sync::broadcast::Receiver<JobEnd> {
        self.ended.subscribe()
    }

    fn ring(&self, id: Uuid) {
        if let Some(bell) = self.bells().get(&id) {
            bell.notify_waiters();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A view's place among a job's waiters; leaving it (also when the wait is dropped by a
/// timeout) removes the bell once nobody else waits on it.
struct Watch<'a> {
    live: &'a LiveMap,
    id: Uuid,
    bell: Arc<Notify>,
}

impl<'a> Watch<'a> {
    fn new(live: &'a LiveMap, id: Uuid) -> Self {
        let bell = live.bells().entry(id).or_default().clone();
        Watch { live, id, bell }
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        let mut bells = self.live.bells();
        // The map's reference and ours: no other waiter.
        if Arc::strong_count(&self.bell) <= 2 {
            bells.remove(&self.id);
        }
    }
}

/// A stream's registration for event notices; the bell goes with its last stream.
struct EventWatch {
    live: Arc<LiveMap>,
    id: Uuid,
    bell: Arc<Notify>,
}

impl Drop for EventWatch {
    fn drop(&mut self) {
        let mut bells = lock(&self.live.event_bells);
        // The map's and ours (the doorbell drops its own first; every other stream holds
        // two more): no other stream.
        if Arc::strong_count(&self.bell) <= 3 {
            bells.remove(&self.id);
            let id = self.id;
            self.live.tell_watch(|_| EventsWatch::Stop(id));
        }
    }
}

/// Jobs per status as this process knows them (for /health and metrics without a query).
#[derive(Default)]
pub struct StatusCounts([AtomicI64; 7]);

impl StatusCounts {
    fn index(s: JobStatus) -> usize {
        JobStatus::ALL.iter().position(|x| *x == s).unwrap_or(0)
    }
    pub(crate) fn moved(&self, from: Option<JobStatus>, to: Option<JobStatus>) {
        if let Some(f) = from {
            self.0[Self::index(f)].fetch_sub(1, Ordering::Relaxed);
        }
        if let Some(t) = to {
            self.0[Self::index(t)].fetch_add(1, Ordering::Relaxed);
        }
    }
    pub fn get(&self, s: JobStatus) -> usize {
        usize::try_from(self.0[Self::index(s)].load(Ordering::Relaxed)).unwrap_or(0)
    }
    pub(crate) fn reset(&self, counts: &std::collections::BTreeMap<JobStatus, usize>) {
        for s in JobStatus::ALL {
            let n = counts.get(&s).copied().unwrap_or(0);
            self.0[Self::index(s)].store(i64::try_from(n).unwrap_or(i64::MAX), Ordering::Relaxed);
        }
    }
}

/// Why a running job is being stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    Canceled = 1,
    Timeout = 2,
    /// This executor could not renew its lease: another may take the job.
    LeaseLost = 3,
}

struct State {
    status: JobStatus,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    results: Vec<HostResult>,
    error: Option<String>,
    attempt: u32,
    /// The executor that claimed the current attempt.
    worker: Option<String>,
}

impl State {
    /// A stored record's progress, its results in host order.
    fn of(rec: &JobRecord) -> State {
        let mut results = rec.results.clone();
        crate::job::sort_in_host_order(&rec.hosts, &mut results);
        State {
            status: rec.status,
            started_at: rec.started_at,
            finished_at: rec.finished_at,
            results,
            error: rec.error.clone(),
            attempt: rec.attempt,
            worker: rec.worker.clone(),
        }
    }
}

/// What the store's event writer receives.
pub(crate) enum WriterMsg {
    /// An event, and the attempt it belongs to (the store refuses a stale attempt's); it
    /// may wait for the job's end when `hold` (see [`JobHandle::hold_writes`]).
    Event {
        event: Event,
        fence: Fence,
        hold: bool,
    },
    /// A host's result with its `host_finished` event, of attempt `attempt` (both stored
    /// only while it holds the job), stored together; `stored` hears whether the result
    /// was (its error's text), or, when `hold`, that the writer holds it for the job's end.
    Result {
        attempt: u32,
        result: Box<HostResult>,
        event: Event,
        hold: bool,
        stored: tokio::sync::oneshot::Sender<std::result::Result<(), String>>,
    },
    /// What the writer holds of this job is to be stored now, and nothing more held:
    /// another process started following it.
    Release(Uuid),
    /// Answered once everything sent before it is stored.
    Flush(tokio::sync::oneshot::Sender<()>),
    /// A job's end, stored after everything sent before it (its attempt's events and
    /// results), with the ends of other jobs that arrive meanwhile in one write (group
    /// commit); `stored` hears whether it was (false: the attempt no longer holds the job),
    /// or the store's error.
    Finish {
        ending: JobEnding,
        stored: tokio::sync::oneshot::Sender<std::result::Result<bool, String>>,
    },
}

/// Where a handle's events go besides live subscribers: the store's event writer.
pub(crate) type EventSink = mpsc::Sender<WriterMsg>;

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
    store: Arc<dyn Store>,
    /// None: a view of a stored job, which this process may or may not be running.
    sink: Option<EventSink>,
    counts: Option<Arc<StatusCounts>>,
    /// For views: where this process's running jobs are.
    live: Option<Arc<LiveMap>>,
    /// Events the store keeps for this job.
    keep_events: usize,
    /// The template's inventory as read to select the hosts, kept until the job is
    /// planned (so one job reads it once); None when it was not read at submission.
    inventory: Mutex<Option<Inventory>>,
    /// Whether this job's events and results may wait in the writer for its end (see
    /// [`JobHandle::hold_writes`]).
    hold: std::sync::atomic::AtomicBool,
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
    /// A handle from a stored record. With a `sink` (and counts) it is live: this process
    /// runs or submitted the job. Without, it is a view that polls the store.
    pub(crate) fn from_record(
        rec: JobRecord,
        store: Arc<dyn Store>,
        sink: Option<EventSink>,
        counts: Option<Arc<StatusCounts>>,
        live: Option<Arc<LiveMap>>,
        event_history: usize,
    ) -> Self {
        let state = Mutex::new(State::of(&rec));
        JobHandle {
            id: rec.id,
            template: rec.template,
            template_id: rec.template_id,
            hosts: rec.hosts,
            extra_vars: rec.extra_vars,
            created_at: rec.created_at,
            state,
            status_tx: watch::channel(rec.status).0,
            stop: AtomicU8::new(0),
            cancel: CancellationToken::new(),
            events: EventLog::new(event_history),
            store,
            sink,
            counts,
            live,
            keep_events: event_history.max(64),
            inventory: Mutex::new(None),
            hold: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Lets this job's events and host results wait in the store's writer until its end,
    /// to be stored with it in one write (with other jobs' ends), or until the writer's
    /// hold bound passes: for a job run here that no other process follows (on a shared
    /// store, where each write is a round trip that other processes load too). This
    /// process's own views and subscribers read the live job, not the store.
    pub(crate) fn hold_writes(&self, on: bool) {
        self.hold.store(on, Ordering::Release);
    }

    /// Another process follows this job now: what the writer holds of it is stored at
    /// once, and nothing more is held.
    pub(crate) fn release_writes(&self) {
        if self.hold.swap(false, Ordering::AcqRel) {
            if let Some(sink) = &self.sink {
                let _ = sink.try_send(WriterMsg::Release(self.id));
            }
        }
    }

    fn holds(&self) -> bool {
        self.hold.load(Ordering::Acquire)
    }

    /// Keeps the inventory read at submission for planning this job.
    pub(crate) fn keep_inventory(&self, inventory: Option<Inventory>) {
        *lock(&self.inventory) = inventory;
    }

    /// The inventory kept at submission, once (planning takes it).
    pub(crate) fn take_inventory(&self) -> Option<Inventory> {
        lock(&self.inventory).take()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    fn is_view(&self) -> bool {
        self.sink.is_none()
    }

    /// For a view: this process's live handle of the same job, while it runs here
    /// (views themselves are never in the live map). None once the view holds the job's
    /// end: the store has it before the twin announces it, and a waiter that read it there
    /// must not see the twin's `running` afterwards.
    fn twin(&self) -> Option<Arc<JobHandle>> {
        if !self.is_view() || self.state().status.is_terminal() {
            return None;
        }
        let twin = self.live.as_ref()?.jobs().get(&self.id).cloned();
        twin
    }

    pub fn status(&self) -> JobStatus {
        if let Some(t) = self.twin() {
            return t.status();
        }
        self.state().status
    }

    pub(crate) fn attempt(&self) -> u32 {
        self.state().attempt
    }

    /// Gives a handle made from a stored record the events stored before it.
    pub(crate) fn seed_events(&self, stored: Vec<Event>) {
        self.events.seed(stored);
    }

    /// Publishes an event to this handle's subscribers only; the caller stores it.
    pub(crate) fn publish_unstored(&self, kind: EventKind) -> Option<Event> {
        self.events.publish(self.id, kind)
    }

    /// Publishes an event to live subscribers and queues it for the store.
    pub fn emit(&self, kind: EventKind) {
        if let Some(event) = self.events.publish(self.id, kind) {
            if let Some(sink) = &self.sink {
                // A full writer queue drops the stored copy of output lines only; state
                // changes are written by the executor itself before they are announced.
                let fence = Fence::Attempt(self.attempt());
                let hold = self.holds();
                let _ = sink.try_send(WriterMsg::Event { event, fence, hold });
            }
        }
    }

    pub fn subscribe(&self) -> Subscription {
        if let Some(t) = self.twin() {
            return t.subscribe(); // run here: its live events
        }
        if self.is_view() && !self.status().is_terminal() {
            let doorbell = self.live.as_ref().and_then(|l| l.doorbell(self.id));
            return Subscription::remote(self.store.clone(), self.id, doorbell);
        }
        if self.is_view() {
            return Subscription::stored(self.store.clone(), self.id);
        }
        self.events.subscribe()
    }

    pub(crate) fn cancel_token(&self) -> &CancellationToken {
        &self.cancel
    }

    pub(crate) fn stop_reason(&self) -> Option<StopReason> {
        match self.stop.load(Ordering::Acquire) {
            1 => Some(StopReason::Canceled),
            2 => Some(StopReason::Timeout),
            3 => Some(StopReason::LeaseLost),
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

    fn set_status(&self, st: &mut State, to: JobStatus) {
        if let Some(c) = &self.counts {
            c.moved(Some(st.status), Some(to));
        }
        st.status = to;
    }

    /// Stores, then announces, an event that brackets an attempt (started, finished), so
    /// a replay after a crash shows every attempt that began or ended.
    async fn emit_durably(&self, kind: EventKind) {
        if let Some(event) = self.events.prepare(self.id, kind) {
            // A failing store must not hide the announcement: the state itself is stored.
            let fenced = [(event, Fence::Attempt(self.attempt()))];
            let _ = self.store.append_events(&fenced, self.keep_events).await;
            let [(event, _)] = fenced;
            self.events.commit(event);
        }
    }

    /// Stores this job's end (attempt `attempt`, `end` its `finished` event, `note` what
    /// followers count) through the store's writer, after every event and result this
    /// handle queued there: a running attempt's events must be stored before its end, since
    /// the store takes no events but the `finished` one of an attempt that ended. The writer
    /// stores ends that arrive together in one write. False when the attempt no longer holds
    /// the job.
    pub(crate) async fn store_end(&self, attempt: u32, end: &Event, note: &str) -> Result<bool> {
        let ending = JobEnding {
            attempt,
            end: end.clone(),
            note: note.to_string(),
        };
        let Some(sink) = &self.sink else {
            return self.store.finish_job(attempt, end, note).await;
        };
        let (stored, done) = tokio::sync::oneshot::channel();
        let gone = || StoreError::Database("the store's event writer stopped".into()).into();
        if sink
            .send(WriterMsg::Finish { ending, stored })
            .await
            .is_err()
        {
            return Err(gone());
        }
        match done.await {
            Ok(outcome) => outcome.map_err(|e| StoreError::Database(e).into()),
            Err(_) => Err(gone()),
        }
    }

    /// Announces the claim the store already recorded: → running (attempt `attempt`, by
    /// `worker`).
    pub(crate) async fn start(
        &self,
        attempt: u32,
        worker: Option<String>,
        started_at: Option<DateTime<Utc>>,
    ) -> bool {
        {
            let mut st = self.state();
            if st.status.is_terminal() {
                return false;
            }
            self.set_status(&mut st, JobStatus::Running);
            st.attempt = attempt;
            st.worker = worker.clone();
            st.started_at = started_at.or_else(|| Some(Utc::now()));
            st.results.clear();
        }
        match (attempt, started_at) {
            // The claim stored it.
            (1, Some(at)) => {
                let started = crate::store::first_started(self.id, worker, at);
                self.events.commit_stored(started);
            }
            _ => {
                self.emit_durably(EventKind::Started { attempt, worker })
                    .await
            }
        }
        self.status_tx.send_replace(JobStatus::Running);
        true
    }

    /// Announces one host's result (its `host_finished` event, numbered in order with the
    /// job's other events) and stores both in one write of the store's writer, fenced by
    /// this attempt; the result joins the job's state once stored, or once the writer holds
    /// it for the job's end (see [`JobHandle::hold_writes`]).
    pub(crate) async fn record(&self, result: HostResult) -> Result<()> {
        let attempt = self.attempt();
        let event = self.events.publish(
            self.id,
            EventKind::HostFinished {
                host: result.host.clone(),
                status: result.status,
                exit_code: result.exit_code,
                duration: result.duration,
            },
        );
        let stored = match (&self.sink, event) {
            (Some(sink), Some(event)) => {
                let (stored, done) = tokio::sync::oneshot::channel();
                let msg = WriterMsg::Result {
                    attempt,
                    result: Box::new(result.clone()),
                    event,
                    hold: self.holds(),
                    stored,
                };
                let gone = || "the store's event writer stopped".to_string();
                let outcome = match sink.send(msg).await {
                    Ok(()) => done.await.unwrap_or_else(|_| Err(gone())),
                    Err(_) => Err(gone()),
                };
                outcome.map_err(|e| StoreError::Database(e).into())
            }
            _ => self.store.save_host_result(self.id, attempt, &result).await,
        };
        self.state().results.push(result);
        stored
    }

    /// The `finished` event this job's end will be announced with, numbered and timed now
    /// (None once an end was announced): stored with the end, then announced.
    pub(crate) fn prepare_finish(&self, status: JobStatus, error: Option<String>) -> Option<Event> {
        let mut end = self
            .events
            .prepare(self.id, EventKind::Finished { status, error })?;
        end.time = crate::store::now();
        Some(end)
    }

    /// Announces a terminal status: state, `finished` event (`end`, stored by the caller or,
    /// when this attempt lost the job or the store could not record it, announced here
    /// only), waiters.
    pub(crate) fn announce_finish(&self, end: Event) -> bool {
        let EventKind::Finished { status, error } = &end.kind else {
            return false;
        };
        let status = *status;
        {
            let mut st = self.state();
            if st.status.is_terminal() {
                return false;
            }
            self.set_status(&mut st, status);
            st.finished_at = Some(end.time);
            st.error = error.clone();
            crate::job::sort_in_host_order(&self.hosts, &mut st.results);
        }
        let summary = self.end_summary(&end);
        self.events.commit(end);
        self.status_tx.send_replace(status);
        if let Some(live) = &self.live {
            live.ended(JobEnd {
                id: self.id,
                summary,
            });
        }
        true
    }

    /// What followers count of this job ending with `end` (None for another kind of event).
    pub(crate) fn end_summary(&self, end: &Event) -> Option<EndSummary> {
        let EventKind::Finished { status, .. } = &end.kind else {
            return None;
        };
        let st = self.state();
        let started = st.started_at.unwrap_or(self.created_at);
        let mut hosts = std::collections::BTreeMap::new();
        for r in &st.results {
            *hosts.entry(r.status.as_str().to_string()).or_insert(0) += 1;
        }
        Some(EndSummary {
            status: *status,
            seconds: ((end.time - started).num_microseconds().unwrap_or(0).max(0) as f64) / 1e6,
            hosts,
        })
    }

    /// Cancels the job wherever it is: a pending one ends at once, a running one has its
    /// checks killed (by this process, or by the executor running it, through the store).
    /// False when it had already finished.
    pub async fn cancel(&self) -> Result<bool> {
        let at = crate::store::now();
        if self.store.cancel_pending(self.id, at).await? {
            let kind = EventKind::Finished {
                status: JobStatus::Canceled,
                error: Some("canceled before it started".to_string()),
            };
            // Nobody runs it: its `finished` event is stored after what was stored before (a
            // view's log holds none of it; a live handle's holds it all).
            let end = match self.is_view() {
                true => Some(Event {
                    job_id: self.id,
                    seq: self.store.last_event_seq(self.id).await? + 1,
                    time: at,
                    kind,
                }),
                false => self
                    .events
                    .prepare(self.id, kind)
                    .map(|e| Event { time: at, ..e }),
            };
            if let Some(end) = end {
                // Canceled while pending: no attempt to fence.
                let open = [(end, Fence::Open)];
                self.store.append_events(&open, self.keep_events).await?;
                let [(end, _)] = open;
                self.announce_finish(end);
            }
            self.store.notify(Notice::Finished, self.id).await?;
            return Ok(true);
        }
        if self.store.request_cancel(self.id).await? {
            match (self.is_view(), self.twin()) {
                (false, _) => self.stop(StopReason::Canceled),
                (true, Some(t)) => t.stop(StopReason::Canceled),
                (true, None) => self.store.notify(Notice::Cancel, self.id).await?,
            }
            return Ok(true);
        }
        Ok(false)
    }

    /// Whether this ended handle's state is what the store holds. An error may not be: the
    /// store could not record the end, or another executor recovered the job meanwhile.
    fn end_is_stored(&self) -> bool {
        let status = self.status();
        status.is_terminal() && status != JobStatus::Error
    }

    /// Copies the state of this process's handle of the job, which has ended and whose
    /// state the store already holds, into a view (no read back from the store).
    fn adopt(&self, twin: &JobHandle) {
        let copy = {
            let t = twin.state();
            State {
                status: t.status,
                started_at: t.started_at,
                finished_at: t.finished_at,
                results: t.results.clone(),
                error: t.error.clone(),
                attempt: t.attempt,
                worker: t.worker.clone(),
            }
        };
        self.set_state(copy);
    }

    /// Copies a stored record's progress into a view handle.
    fn refresh(&self, rec: &JobRecord) {
        self.set_state(State::of(rec));
    }

    /// Takes a newer state. Reads of the store by several waiters of one view end out of
    /// order: a read begun before the job's end was stored must not bring `running` back
    /// after another waiter returned. An end is final and attempts only grow.
    fn set_state(&self, new: State) {
        let status = new.status;
        {
            let mut st = self.state();
            if st.status.is_terminal() || new.attempt < st.attempt {
                return;
            }
            *st = new;
        }
        self.status_tx.send_replace(status);
    }

    /// Waits until the job has ended. `timeout` bounds the waiting, never the job.
    pub async fn wait(&self, timeout: Option<Duration>) -> Result<JobStatus> {
        let ended = async {
            if self.is_view() {
                let watch = self.live.as_deref().map(|live| Watch::new(live, self.id));
                let notified = self
                    .live
                    .as_deref()
                    .is_some_and(|l| l.notified.load(Ordering::Relaxed));
                let recheck = if notified {
                    NOTIFIED_RECHECK
                } else {
                    REMOTE_POLL
                };
                loop {
                    // Made before looking: a start or end here after the look still rings it.
                    let rung = watch.as_ref().map(|w| w.bell.notified());
                    if let Some(t) = self.twin() {
                        let status = Box::pin(t.wait(None)).await?;
                        if t.end_is_stored() {
                            self.adopt(&t);
                        } else if let Some(rec) = self.store.get_job(self.id).await? {
                            self.refresh(&rec);
                        }
                        return Ok(status);
                    }
                    match self.store.get_job(self.id).await? {
                        Some(rec) => {
                            self.refresh(&rec);
                            if rec.status.is_terminal() {
                                return Ok(rec.status);
                            }
                        }
                        None => return Err(Error::JobNotFound(self.id.to_string())),
                    }
                    match rung {
                        Some(rung) => tokio::select! {
                            _ = rung => {}
                            _ = tokio::time::sleep(recheck) => {}
                        },
                        None => tokio::time::sleep(recheck).await,
                    }
                }
            }
            let mut rx = self.status_tx.subscribe();
            let ended = rx.wait_for(|s| s.is_terminal()).await.map(|s| *s);
            // The sender lives as long as this handle, which we borrow: Err cannot happen.
            Ok(ended.unwrap_or_else(|_| self.status()))
        };
        match timeout {
            None => ended.await,
            Some(t) => tokio::time::timeout(t, ended)
                .await
                .map_err(|_| Error::WaitTimeout(t.as_secs_f64()))?,
        }
    }

    pub fn snapshot(&self) -> JobSnapshot {
        if let Some(t) = self.twin() {
            return t.snapshot();
        }
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
            attempt: st.attempt,
            worker: st.worker.clone(),
        }
    }

    pub fn results(&self) -> Vec<HostResult> {
        match self.twin() {
            Some(t) => t.results(),
            None => self.state().results.clone(),
        }
    }

    pub fn error(&self) -> Option<String> {
        match self.twin() {
            Some(t) => t.error(),
            None => self.state().error.clone(),
        }
    }

    pub fn times(&self) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        if let Some(t) = self.twin() {
            return t.times();
        }
        let st = self.state();
        (st.started_at, st.finished_at)
    }
}
