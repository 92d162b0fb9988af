//! The memory store: templates keyed by name (with an id index), jobs in submission order.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Fence, JobFilter, JobOrder, JobRecord, RecoveryPolicy, Store};
use crate::error::{Error, Result};
use crate::job::{Event, HostResult, JobStatus};
use crate::template::Template;

#[derive(Default)]
pub struct MemoryTemplates {
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    by_name: HashMap<String, Arc<Template>>,
    name_of: HashMap<Uuid, String>,
}

impl MemoryTemplates {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn create(&self, template: Template) -> Result<Arc<Template>> {
        let mut inner = self.write();
        if inner.by_name.contains_key(&template.name) {
            return Err(Error::TemplateExists(template.name));
        }
        let t = Arc::new(template);
        inner.name_of.insert(t.id, t.name.clone());
        inner.by_name.insert(t.name.clone(), t.clone());
        Ok(t)
    }

    /// By name, or by id when the key parses as a UUID and no template has that name.
    pub fn get(&self, key: &str) -> Result<Arc<Template>> {
        let inner = self.read();
        Self::find(&inner, key)
            .cloned()
            .ok_or_else(|| Error::TemplateNotFound(key.to_string()))
    }

    fn find<'a>(inner: &'a Inner, key: &str) -> Option<&'a Arc<Template>> {
        inner.by_name.get(key).or_else(|| {
            let id = Uuid::parse_str(key).ok()?;
            inner.by_name.get(inner.name_of.get(&id)?)
        })
    }

    /// All templates, oldest first.
    pub fn list(&self) -> Vec<Arc<Template>> {
        let mut all: Vec<_> = self.read().by_name.values().cloned().collect();
        all.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.name.cmp(&b.name))
        });
        all
    }

    /// Swaps `old` (by id) for `new`.
    pub fn replace(&self, old: &Template, new: Template) -> Result<()> {
        let mut inner = self.write();
        let current = inner
            .name_of
            .get(&old.id)
            .cloned()
            .ok_or_else(|| Error::TemplateNotFound(old.name.clone()))?;
        if new.name != current && inner.by_name.contains_key(&new.name) {
            return Err(Error::TemplateExists(new.name));
        }
        inner.by_name.remove(&current);
        let new = Arc::new(new);
        inner.name_of.insert(new.id, new.name.clone());
        inner.by_name.insert(new.name.clone(), new);
        Ok(())
    }

    pub fn delete(&self, key: &str) -> Result<Arc<Template>> {
        let mut inner = self.write();
        let t = Self::find(&inner, key)
            .cloned()
            .ok_or_else(|| Error::TemplateNotFound(key.to_string()))?;
        inner.by_name.remove(&t.name);
        inner.name_of.remove(&t.id);
        Ok(t)
    }

    pub fn len(&self) -> usize {
        self.read().by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Everything in this process's memory: for scripts and tests; nothing survives a restart.
#[derive(Default)]
pub struct MemoryStore {
    templates: MemoryTemplates,
    jobs: Mutex<Jobs>,
}

#[derive(Default)]
struct Jobs {
    next_seq: u64,
    by_seq: BTreeMap<u64, JobRecord>,
    seq_of: HashMap<Uuid, u64>,
    pending: VecDeque<u64>,
    /// Jobs whose status is pending (`pending` may still hold canceled ones).
    pending_count: usize,
    events: HashMap<Uuid, VecDeque<Event>>,
    cancel_requested: HashSet<Uuid>,
}

impl Jobs {
    fn get_mut(&mut self, id: Uuid) -> Option<&mut JobRecord> {
        let seq = self.seq_of.get(&id)?;
        self.by_seq.get_mut(seq)
    }

    /// Stores the events their fence admits, keeping at most `keep` per job; the refused.
    fn store_events(&mut self, events: &[(Event, Fence)], keep: usize) -> usize {
        let mut refused = 0;
        for (e, fence) in events {
            let Some((attempt, status)) = self.get_mut(e.job_id).map(|j| (j.attempt, j.status))
            else {
                continue; // deleted meanwhile
            };
            if !fence.admits(e, attempt, status) {
                refused += 1;
                continue;
            }
            // Events arrive from two paths (batched and direct): keep them in seq order.
            let log = self.events.entry(e.job_id).or_default();
            let at = log.partition_point(|x| x.seq < e.seq);
            if log.get(at).is_some_and(|x| x.seq == e.seq) {
                continue; // stored already
            }
            log.insert(at, e.clone());
            while log.len() > keep {
                log.pop_front();
            }
        }
        refused
    }
}

fn matches(r: &JobRecord, f: &JobFilter) -> bool {
    f.status.is_none_or(|s| r.status == s)
        && f.template.as_deref().is_none_or(|t| {
            r.template.name == t || r.template_id.is_some_and(|id| id.to_string() == t)
        })
}

impl MemoryStore {
    fn jobs(&self) -> MutexGuard<'_, Jobs> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn create_template(&self, t: &Template) -> Result<()> {
        self.templates.create(t.clone()).map(|_| ())
    }
    async fn get_template(&self, key: &str) -> Result<Arc<Template>> {
        self.templates.get(key)
    }
    async fn list_templates(&self) -> Result<Vec<Template>> {
        Ok(self
            .templates
            .list()
            .into_iter()
            .map(|t| (*t).clone())
            .collect())
    }
    async fn replace_template(&self, old: &Template, new: &Template) -> Result<()> {
        self.templates.replace(old, new.clone())
    }
    async fn delete_template(&self, key: &str) -> Result<()> {
        self.templates.delete(key).map(|_| ())
    }
    async fn insert_job(&self, job: &JobRecord, events: &[Event], queue_size: usize) -> Result<()> {
        {
            let mut jobs = self.jobs();
            if jobs.pending_count >= queue_size {
                return Err(Error::QueueFull(queue_size));
            }
            jobs.pending_count += 1;
            jobs.next_seq += 1;
            let seq = jobs.next_seq;
            jobs.seq_of.insert(job.id, seq);
            jobs.by_seq.insert(seq, job.clone());
            jobs.pending.push_back(seq);
        }
        let open: Vec<_> = events.iter().map(|e| (e.clone(), Fence::Open)).collect();
        self.append_events(&open, usize::MAX).await
    }

    async fn claim_job(&self, worker: &str) -> Result<Option<JobRecord>> {
        let mut guard = self.jobs();
        let jobs = &mut *guard;
        while let Some(seq) = jobs.pending.pop_front() {
            if let Some(r) = jobs.by_seq.get_mut(&seq) {
                if r.status == JobStatus::Pending {
                    jobs.pending_count -= 1;
                    r.status = JobStatus::Running;
                    r.attempt += 1;
                    r.worker = Some(worker.to_string());
                    r.started_at = Some(super::now());
                    r.results.clear();
                    let claimed = r.clone();
                    if claimed.attempt == 1 {
                        let at = claimed.started_at.unwrap_or_else(super::now);
                        let started = super::first_started(claimed.id, claimed.worker.clone(), at);
                        jobs.store_events(&[(started, Fence::Open)], usize::MAX);
                    }
                    return Ok(Some(claimed));
                }
            }
        }
        Ok(None)
    }

    async fn save_host_result(&self, job: Uuid, attempt: u32, result: &HostResult) -> Result<()> {
        if let Some(r) = self.jobs().get_mut(job) {
            if r.attempt == attempt {
                r.results.push(result.clone());
            }
        }
        Ok(())
    }

    async fn finish_job(&self, attempt: u32, end: &Event, _note: &str) -> Result<bool> {
        let (status, error) = super::end_of(end)?;
        let mut jobs = self.jobs();
        jobs.cancel_requested.remove(&end.job_id);
        let Some(r) = jobs.get_mut(end.job_id) else {
            return Ok(false);
        };
        if r.status != JobStatus::Running || r.attempt != attempt {
            return Ok(false);
        }
        r.status = status;
        r.error = error.map(String::from);
        r.finished_at = Some(end.time);
        jobs.store_events(&[(end.clone(), Fence::Attempt(attempt))], usize::MAX);
        Ok(true)
    }

    async fn cancel_pending(&self, job: Uuid, at: DateTime<Utc>) -> Result<bool> {
        let mut jobs = self.jobs();
        let Some(r) = jobs.get_mut(job) else {
            return Ok(false);
        };
        if r.status != JobStatus::Pending {
            return Ok(false);
        }
        r.status = JobStatus::Canceled;
        r.error = Some("canceled before it started".into());
        r.finished_at = Some(at);
        jobs.pending_count -= 1;
        Ok(true)
    }

    async fn request_cancel(&self, job: Uuid) -> Result<bool> {
        let mut jobs = self.jobs();
        let running = jobs
            .get_mut(job)
            .is_some_and(|r| r.status == JobStatus::Running);
        if running {
            jobs.cancel_requested.insert(job);
        }
        Ok(running)
    }

    async fn cancel_requests(&self, worker: &str) -> Result<Vec<Uuid>> {
        let jobs = self.jobs();
        Ok(jobs
            .cancel_requested
            .iter()
            .filter(|id| {
                jobs.seq_of
                    .get(id)
                    .and_then(|s| jobs.by_seq.get(s))
                    .is_some_and(|r| r.worker.as_deref() == Some(worker))
            })
            .copied()
            .collect())
    }

    async fn get_job(&self, id: Uuid) -> Result<Option<JobRecord>> {
        Ok(self.jobs().get_mut(id).map(|r| r.clone()))
    }

    async fn list_jobs(
        &self,
        filter: &JobFilter,
        limit: Option<usize>,
        offset: usize,
    ) -> Result<Vec<JobRecord>> {
        let jobs = self.jobs();
        let all = jobs.by_seq.values();
        let ordered: Box<dyn Iterator<Item = &JobRecord>> = match filter.order {
            JobOrder::Asc => Box::new(all),
            JobOrder::Desc => Box::new(all.rev()),
        };
        Ok(ordered
            .filter(|r| matches(r, filter))
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn count_jobs(&self, filter: &JobFilter) -> Result<usize> {
        let jobs = self.jobs();
        if filter.status.is_none() && filter.template.is_none() {
            return Ok(jobs.by_seq.len());
        }
        Ok(jobs.by_seq.values().filter(|r| matches(r, filter)).count())
    }

    async fn count_by_status(&self) -> Result<BTreeMap<JobStatus, usize>> {
        let mut counts = BTreeMap::new();
        for r in self.jobs().by_seq.values() {
            *counts.entry(r.status).or_insert(0) += 1;
        }
        Ok(counts)
    }

    async fn job_stats(&self) -> Result<super::JobStats> {
        let mut stats = super::JobStats::default();
        for r in self.jobs().by_seq.values() {
            let claimed = u64::from(r.attempt > 0);
            stats.add(
                r.status,
                1,
                u64::from(r.attempt),
                claimed,
                Some(r.created_at),
            );
        }
        Ok(stats)
    }

    async fn delete_job(&self, id: Uuid) -> Result<()> {
        let mut jobs = self.jobs();
        let Some(&seq) = jobs.seq_of.get(&id) else {
            return Err(Error::JobNotFound(id.to_string()));
        };
        if jobs
            .by_seq
            .get(&seq)
            .is_some_and(|r| !r.status.is_terminal())
        {
            return Err(Error::JobNotFinished(id.to_string()));
        }
        jobs.by_seq.remove(&seq);
        jobs.seq_of.remove(&id);
        jobs.events.remove(&id);
        Ok(())
    }

    async fn append_events(&self, events: &[(Event, Fence)], keep: usize) -> Result<()> {
        let refused = self.jobs().store_events(events, keep);
        super::stale_events_refused(refused);
        Ok(())
    }

    async fn events(&self, job: Uuid, after: u64) -> Result<Vec<Event>> {
        Ok(self
            .jobs()
            .events
            .get(&job)
            .map(|log| log.iter().filter(|e| e.seq > after).cloned().collect())
            .unwrap_or_default())
    }

    async fn last_event_seq(&self, job: Uuid) -> Result<u64> {
        Ok(self
            .jobs()
            .events
            .get(&job)
            .and_then(|l| l.back())
            .map_or(0, |e| e.seq))
    }

    async fn heartbeat(&self, _worker: &str, _lease: std::time::Duration) -> Result<()> {
        Ok(())
    }

    /// Nothing outlives the process, so nothing is ever stale.
    async fn recover(
        &self,
        _: DateTime<Utc>,
        _: RecoveryPolicy,
        _: u32,
    ) -> Result<Vec<(Uuid, JobStatus)>> {
        Ok(Vec::new())
    }

    async fn retire_worker(&self, _worker: &str) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::TemplateSpec;

    fn tpl(name: &str) -> Template {
        Template::create(TemplateSpec {
            name: Some(name.into()),
            command: Some(vec!["true".into()]),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn crud_by_name_and_id() {
        let s = MemoryTemplates::default();
        let a = s.create(tpl("a")).unwrap();
        assert!(matches!(s.create(tpl("a")), Err(Error::TemplateExists(n)) if n == "a"));
        assert_eq!(s.get("a").unwrap().id, a.id);
        assert_eq!(s.get(&a.id.to_string()).unwrap().name, "a");
        assert!(matches!(s.get("zz"), Err(Error::TemplateNotFound(_))));
        s.create(tpl("b")).unwrap();
        assert_eq!(s.list().len(), 2);
        let rename = |t: &Template, name: &str| {
            t.updated(TemplateSpec {
                name: Some(name.into()),
                ..Default::default()
            })
            .unwrap()
        };
        let renamed = rename(&a, "c");
        s.replace(&a, renamed.clone()).unwrap();
        assert_eq!((renamed.id, renamed.name.as_str()), (a.id, "c"));
        assert!(s.get("a").is_err());
        assert!(matches!(
            s.replace(&renamed, rename(&renamed, "b")),
            Err(Error::TemplateExists(_))
        ));
        s.delete(&a.id.to_string()).unwrap();
        assert_eq!(s.len(), 1);
        assert!(matches!(s.delete("c"), Err(Error::TemplateNotFound(_))));
    }
}
