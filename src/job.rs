//! Jobs as plain data: statuses and their state machine, per-host results, events.

mod control_selection;
pub use control_selection::{BadControlEntry, ControlSelection, CONTROLS_MAX, CONTROL_ENTRY_MAX};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Pending,
    Running,
    Successful,
    Failed,
    Error,
    Timeout,
    Canceled,
}

impl JobStatus {
    pub const ALL: [JobStatus; 7] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::Successful,
        JobStatus::Failed,
        JobStatus::Error,
        JobStatus::Timeout,
        JobStatus::Canceled,
    ];

    pub fn is_terminal(self) -> bool {
        !matches!(self, JobStatus::Pending | JobStatus::Running)
    }

    /// The lifecycle: pending → running → terminal; a pending job may also end without
    /// running (canceled, or error when it cannot start). Terminal states are final.
    pub fn can_become(self, next: JobStatus) -> bool {
        use JobStatus::*;
        match self {
            Pending => matches!(next, Running | Canceled | Error),
            Running => next.is_terminal(),
            _ => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Successful => "successful",
            JobStatus::Failed => "failed",
            JobStatus::Error => "error",
            JobStatus::Timeout => "timeout",
            JobStatus::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HostStatus {
    Passed,
    Failed,
    Skipped,
    Error,
    Timeout,
    Canceled,
    Unreachable,
}

impl HostStatus {
    pub const ALL: [HostStatus; 7] = [
        HostStatus::Passed,
        HostStatus::Failed,
        HostStatus::Skipped,
        HostStatus::Error,
        HostStatus::Timeout,
        HostStatus::Canceled,
        HostStatus::Unreachable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HostStatus::Passed => "passed",
            HostStatus::Failed => "failed",
            HostStatus::Skipped => "skipped",
            HostStatus::Error => "error",
            HostStatus::Timeout => "timeout",
            HostStatus::Canceled => "canceled",
            HostStatus::Unreachable => "unreachable",
        }
    }
}

/// The outcome of checking one host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostResult {
    pub host: String,
    pub status: HostStatus,
    pub exit_code: Option<i32>,
    /// Wall time of all attempts, seconds.
    pub duration: f64,
    pub attempts: u32,
    /// The last bytes of the output (bounded; see `ExecutorConfig::output_tail_bytes`).
    pub stdout: String,
    pub stderr: String,
    pub message: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Per-control results (InSpec runs; later native evaluation), mirroring InSpec's JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controls: Vec<ControlResult>,
    /// Per-task results (Ansible runs), in play order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskResult>,
    /// The InSpec profile that produced `controls` (name, version, title…), for the reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileInfo>,
}

/// A control's outcome: `passed` when every result passed, `failed` when any failed,
/// otherwise `skipped`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlStatus {
    Passed,
    Failed,
    Skipped,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Passed => "passed",
            ControlStatus::Failed => "failed",
            ControlStatus::Skipped => "skipped",
        }
    }

    /// The status of a control from its results' statuses.
    pub fn of(results: &[ControlCheck]) -> Self {
        if results.iter().any(|r| r.status == ControlStatus::Failed) {
            ControlStatus::Failed
        } else if !results.is_empty() && results.iter().all(|r| r.status == ControlStatus::Passed) {
            ControlStatus::Passed
        } else {
            ControlStatus::Skipped
        }
    }
}

/// One `describe` result inside a control (InSpec's `results[]` entry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlCheck {
    pub status: ControlStatus,
    pub code_desc: String,
    #[serde(default)]
    pub run_time: f64,
    #[serde(default)]
    pub start_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlResult {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub desc: Option<String>,
    pub impact: f64,
    pub status: ControlStatus,
    #[serde(default)]
    pub results: Vec<ControlCheck>,
    /// The dependency profile InSpec reports the control under (`include_controls`);
    /// None: the host's profile itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl ControlResult {
    /// What InSpec's statistics count this control as: failed when any result failed,
    /// else skipped when any was skipped, else passed; None for a control without results,
    /// which InSpec's formatter leaves out (`next unless control[:results]`). The impact
    /// plays no part (only in InSpec's opt-in "enhanced outcomes").
    pub fn counted_as(&self) -> Option<ControlStatus> {
        (!self.results.is_empty()).then(|| ControlStatus::of(&self.results))
    }
}

/// InSpec's `statistics.controls`: controls counted by [`ControlResult::counted_as`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ControlCounts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl ControlCounts {
    pub fn of<'a>(controls: impl IntoIterator<Item = &'a ControlResult>) -> Self {
        let mut n = ControlCounts::default();
        for c in controls {
            match c.counted_as() {
                Some(ControlStatus::Passed) => n.passed += 1,
                Some(ControlStatus::Failed) => n.failed += 1,
                Some(ControlStatus::Skipped) => n.skipped += 1,
                None => {}
            }
        }
        n
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped
    }
}

/// The profile a host's controls came from (the InSpec report's profile header).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub sha256: String,
    /// InSpec's profile `status` when not `loaded` (`skipped`: `supports` excludes the
    /// target's platform), with its `status_message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// Set on a dependency profile: the profile that depends on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_profile: Option<String>,
    /// The `depends` entries as InSpec reports them (name, source, `status`
    /// `loaded`/`skipped`, `status_message`/`skip_message`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends: Vec<Map<String, Value>>,
    /// The dependency profiles loaded for this host (transitively, each naming its
    /// `parent_profile`): the report's further `profiles[]` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<ProfileInfo>,
    /// inspec.yml's header fields InSpec's JSON reporter carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintainer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright_email: Option<String>,
    /// inspec.yml's `supports` entries (legacy `os-family`/`os-name` renamed to
    /// `platform-family`/`platform-name`, as InSpec's `Profile#info`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supports: Vec<Value>,
    /// The profile's inputs as InSpec reports them (`attributes`): `{name, options: {…}}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Value>,
    /// The platform of the host the profile ran on (the `os` resource's name and release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<TargetPlatform>,
}

/// A target's platform as InSpec's reports name it (`debian` / `12.11`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetPlatform {
    pub name: String,
    pub release: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Ok,
    Changed,
    Failed,
    Unreachable,
    Skipped,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Ok => "ok",
            TaskStatus::Changed => "changed",
            TaskStatus::Failed => "failed",
            TaskStatus::Unreachable => "unreachable",
            TaskStatus::Skipped => "skipped",
        }
    }
}

/// One Ansible task's outcome on one host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskResult {
    pub task: String,
    pub status: TaskStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default)]
    pub duration: f64,
}

/// `s` cut to at most `max` bytes (on a character boundary), saying so.
fn cap(s: &mut String, max: usize) {
    const CUT: &str = " … [cut]";
    if s.len() > max {
        let mut end = max.saturating_sub(CUT.len());
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str(CUT);
    }
}

impl HostResult {
    /// Every message bounded to `max` bytes before the result is stored: stdout and stderr
    /// are tails already, but a task's or a check's message is as long as a tool made it.
    pub fn bounded(mut self, max: usize) -> Self {
        // A small output tail must not make error messages unreadable.
        let max = max.max(4096);
        let opt = |o: &mut Option<String>| {
            if let Some(s) = o {
                cap(s, max);
            }
        };
        opt(&mut self.message);
        for t in &mut self.tasks {
            opt(&mut t.message);
        }
        for c in &mut self.controls {
            opt(&mut c.desc);
            for r in &mut c.results {
                cap(&mut r.code_desc, max);
                opt(&mut r.message);
                opt(&mut r.skip_message);
                opt(&mut r.exception);
            }
        }
        self
    }

    /// A host that never ran (job canceled or timed out first).
    pub fn not_run(host: &str, status: HostStatus, message: &str) -> Self {
        HostResult {
            host: host.to_string(),
            status,
            exit_code: None,
            duration: 0.0,
            attempts: 0,
            stdout: String::new(),
            stderr: String::new(),
            message: Some(message.to_string()),
            started_at: None,
            finished_at: None,
            controls: Vec::new(),
            tasks: Vec::new(),
            profile: None,
        }
    }
}

/// The job's status from its host results: failed when any host failed, error when a
/// host could not be checked, otherwise successful.
pub fn job_status_from(results: &[HostResult]) -> JobStatus {
    let any = |s: &[HostStatus]| results.iter().any(|r| s.contains(&r.status));
    if any(&[HostStatus::Failed]) {
        JobStatus::Failed
    } else if any(&[
        HostStatus::Error,
        HostStatus::Unreachable,
        HostStatus::Timeout,
        HostStatus::Canceled,
    ]) {
        JobStatus::Error
    } else {
        JobStatus::Successful
    }
}

/// A time as the store writes it (and logs print it): UTC, RFC 3339, microseconds.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A job's results are listed in the order of its hosts (not of completion), so every
/// read of one job — live, or from any store — lists them alike.
pub fn sort_in_host_order(hosts: &[String], results: &mut [HostResult]) {
    // One index per host, not a scan per comparison: a 20,000-host job took seconds to read.
    let index: std::collections::HashMap<&str, usize> = hosts
        .iter()
        .enumerate()
        .rev()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    results.sort_by_key(|r| index.get(r.host.as_str()).copied());
}

/// A point-in-time copy of a job, for listing, JSON and Python.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobSnapshot {
    pub id: Uuid,
    pub template_id: Option<Uuid>,
    pub template_name: String,
    pub hosts: Vec<String>,
    pub extra_vars: Map<String, Value>,
    pub status: JobStatus,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub results: Vec<HostResult>,
    pub error: Option<String>,
    /// 1 for the first run; a job re-queued after its worker died runs as attempt 2…
    /// (0 while it was never claimed).
    #[serde(default)]
    pub attempt: u32,
    /// The executor that claimed the current attempt (`host:pid:tag`).
    #[serde(default)]
    pub worker: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What happened. Serialized flat with a `type` tag: `{"type": "host_output", "host": …}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    Queued,
    /// An attempt began: `attempt` 1, or 2… when the job was re-queued (its worker died);
    /// the events after it, up to the next `started`, are that attempt's.
    Started {
        // Absent in events stored before attempts were written.
        #[serde(default)]
        attempt: u32,
        /// The executor that claimed it.
        #[serde(default)]
        worker: Option<String>,
    },
    HostStarted {
        host: String,
        attempt: u32,
    },
    HostOutput {
        host: String,
        stream: Stream,
        line: String,
    },
    HostRetry {
        host: String,
        attempt: u32,
        delay: f64,
        reason: String,
    },
    HostFinished {
        host: String,
        status: HostStatus,
        exit_code: Option<i32>,
        duration: f64,
    },
    /// A subscriber fell behind and `missed` live events were dropped for it.
    Lagged {
        missed: u64,
    },
    Finished {
        status: JobStatus,
        error: Option<String>,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Queued => "queued",
            EventKind::Started { .. } => "started",
            EventKind::HostStarted { .. } => "host_started",
            EventKind::HostOutput { .. } => "host_output",
            EventKind::HostRetry { .. } => "host_retry",
            EventKind::HostFinished { .. } => "host_finished",
            EventKind::Lagged { .. } => "lagged",
            EventKind::Finished { .. } => "finished",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub job_id: Uuid,
    /// 1, 2, 3… within the job; a gap means events were dropped for this subscriber.
    pub seq: u64,
    pub time: DateTime<Utc>,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The last non-empty line of some output (an error message, usually).
pub fn last_line(s: &str) -> String {
    s.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .chars()
        .take(500)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_sort_in_host_order_with_unknown_hosts_first() {
        let hosts: Vec<String> = (0..20_000).map(|i| format!("h{i}")).collect();
        let mut results: Vec<HostResult> = hosts
            .iter()
            .rev()
            .chain(["stray".to_string()].iter())
            .map(|h| HostResult::not_run(h, HostStatus::Failed, "x"))
            .collect();
        sort_in_host_order(&hosts, &mut results);
        // A host the job does not list sorts first, as `position`'s None did.
        assert_eq!(results[0].host, "stray");
        let got: Vec<&str> = results[1..].iter().map(|r| r.host.as_str()).collect();
        let want: Vec<&str> = hosts.iter().map(String::as_str).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn stored_messages_are_bounded() {
        let mut r = HostResult::not_run("h", HostStatus::Failed, &"é".repeat(5000));
        r.tasks.push(TaskResult {
            task: "t".into(),
            status: TaskStatus::Failed,
            message: Some("x".repeat(100_000)),
            duration: 0.0,
        });
        let r = r.bounded(5000);
        assert!(r.message.as_ref().unwrap().len() <= 5000);
        assert!(r.message.unwrap().ends_with("[cut]"));
        assert!(r.tasks[0].message.as_ref().unwrap().len() <= 5000);
    }

    #[test]
    fn state_machine() {
        use JobStatus::*;
        assert!(Pending.can_become(Running));
        assert!(Pending.can_become(Canceled));
        assert!(!Pending.can_become(Successful));
        for t in [Successful, Failed, Error, Timeout, Canceled] {
            assert!(Running.can_become(t));
            assert!(t.is_terminal());
            for n in JobStatus::ALL {
                assert!(!t.can_become(n), "{t:?} -> {n:?}");
            }
        }
        assert!(!Running.can_become(Pending));
    }

    #[test]
    fn status_names_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in HostStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(JobStatus::parse("bogus"), None);
    }

    #[test]
    fn job_status_rules() {
        let r = |s| HostResult::not_run("h", s, "");
        use HostStatus as H;
        assert_eq!(job_status_from(&[]), JobStatus::Successful);
        assert_eq!(
            job_status_from(&[r(H::Passed), r(H::Skipped)]),
            JobStatus::Successful
        );
        assert_eq!(
            job_status_from(&[r(H::Passed), r(H::Error)]),
            JobStatus::Error
        );
        assert_eq!(
            job_status_from(&[r(H::Unreachable), r(H::Failed)]),
            JobStatus::Failed
        );
    }

    #[test]
    fn events_serialize_flat() {
        let e = Event {
            job_id: Uuid::nil(),
            seq: 3,
            time: Utc::now(),
            kind: EventKind::HostOutput {
                host: "h".into(),
                stream: Stream::Stdout,
                line: "x".into(),
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "host_output");
        assert_eq!(v["stream"], "stdout");
        assert_eq!(v["seq"], 3);
        assert_eq!(e.kind.name(), "host_output");
    }
}
