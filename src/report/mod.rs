//! Report writers for a finished (or running) job: InSpec's JSON reporter format (read by
//! Heimdall and other InSpec tools), JUnit XML (CI systems), and a self-contained HTML
//! summary. All work from a `JobSnapshot`; none touch Python.

mod cli;
mod html;
mod inspec_json;
mod junit;
#[cfg(test)]
mod statistics_tests;

use crate::error::ValidationError;
use crate::job::{ControlStatus, HostResult, HostStatus, JobSnapshot, TaskStatus};

pub use cli::cli;
pub use html::html;
pub use inspec_json::inspec_json;
pub use junit::junit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Junit,
    Html,
    /// InSpec's terminal report; `color`: ANSI colours.
    Cli {
        color: bool,
    },
}

impl Format {
    /// Every format (the cli one without colours), in the order they are listed.
    pub const ALL: [Format; 4] = [
        Format::Json,
        Format::Junit,
        Format::Html,
        Format::Cli { color: false },
    ];

    /// The name `parse` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Html => "html",
            Format::Cli { .. } => "cli",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
                ValidationError::new("format", format!("must be one of {}", names.join(", ")))
            })
    }

    /// The HTTP `Content-Type` of a report in this format.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Junit => "application/xml",
            Format::Html => "text/html; charset=utf-8",
            Format::Cli { .. } => "text/plain; charset=utf-8",
        }
    }
}

pub fn render(job: &JobSnapshot, format: Format) -> String {
    match format {
        Format::Json => inspec_json(job),
        Format::Junit => junit(job),
        Format::Html => html(job),
        Format::Cli { color } => cli(job, color),
    }
}

/// The outcome of one check (a control, a task, or a whole command) on one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaseStatus {
    Failed,
    Error,
    Skipped,
    Passed,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Passed => "passed",
            CaseStatus::Failed => "failed",
            CaseStatus::Skipped => "skipped",
            CaseStatus::Error => "error",
        }
    }
}

/// One check on one host, whatever ran it.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub id: String,
    pub title: Option<String>,
    pub status: CaseStatus,
    pub message: Option<String>,
    pub time: f64,
}

fn host_case_status(s: HostStatus) -> CaseStatus {
    match s {
        HostStatus::Passed => CaseStatus::Passed,
        HostStatus::Failed => CaseStatus::Failed,
        HostStatus::Skipped => CaseStatus::Skipped,
        _ => CaseStatus::Error,
    }
}

/// A host's checks: its controls (inspec), else its tasks (ansible), else one case for
/// the whole run (command). A host that could not be checked at all gets one error case
/// when it has no controls or tasks.
pub fn cases(r: &HostResult, job_name: &str) -> Vec<Case> {
    if !r.controls.is_empty() {
        return r
            .controls
            .iter()
            .map(|c| {
                let failed: Vec<&str> = c
                    .results
                    .iter()
                    .filter(|x| x.status == ControlStatus::Failed)
                    .map(|x| x.message.as_deref().unwrap_or(&x.code_desc))
                    .collect();
                let skipped = c.results.iter().find_map(|x| x.skip_message.as_deref());
                Case {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    status: match c.status {
                        ControlStatus::Passed => CaseStatus::Passed,
                        ControlStatus::Failed => CaseStatus::Failed,
                        ControlStatus::Skipped => CaseStatus::Skipped,
                    },
                    message: match c.status {
                        ControlStatus::Failed => Some(failed.join("\n")),
                        ControlStatus::Skipped => skipped.map(String::from),
                        ControlStatus::Passed => None,
                    },
                    time: c.results.iter().map(|x| x.run_time).sum(),
                }
            })
            .collect();
    }
    if !r.tasks.is_empty() {
        return r
            .tasks
            .iter()
            .map(|t| Case {
                id: t.task.clone(),
                title: None,
                status: match t.status {
                    TaskStatus::Ok | TaskStatus::Changed => CaseStatus::Passed,
                    TaskStatus::Failed => CaseStatus::Failed,
                    TaskStatus::Unreachable => CaseStatus::Error,
                    TaskStatus::Skipped => CaseStatus::Skipped,
                },
                message: t.message.clone(),
                time: t.duration,
            })
            .collect();
    }
    let message = match (&r.message, r.exit_code) {
        (Some(m), _) => Some(m.clone()),
        (None, Some(0)) => None,
        (None, Some(c)) => Some(format!(
            "exit code {c}: {}",
            crate::job::last_line(&r.stderr)
        )),
        (None, None) => None,
    };
    vec![Case {
        id: job_name.to_string(),
        title: None,
        status: host_case_status(r.status),
        message,
        time: r.duration,
    }]
}

/// Characters XML 1.0 cannot carry (most control characters) become U+FFFD; the rest
/// is escaped for text and attribute values alike.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod overlay_tests;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::job::{ControlCheck, ControlResult, JobStatus, TaskResult};
    use chrono::Utc;
    use serde_json::Map;
    use uuid::Uuid;

    pub fn sample_job() -> JobSnapshot {
        let mut a = HostResult::not_run("ssh://root@10.0.0.1", HostStatus::Failed, "");
        a.message = None;
        a.controls = vec![
            ControlResult {
                id: "ssh-01".into(),
                title: Some("Root login <disabled> & \"quoted\"".into()),
                desc: None,
                impact: 0.7,
                status: ControlStatus::Failed,
                results: vec![ControlCheck {
                    status: ControlStatus::Failed,
                    code_desc: "sshd_config PermitRootLogin should eq \"no\"".into(),
                    run_time: 0.01,
                    start_time: "2026-11-21T10:00:00+00:00".into(),
                    message: Some("expected: \"no\"\n got: \"yes\" \u{1b}[0m".into()),
                    skip_message: None,
                    resource: None,
                    exception: None,
                }],
                profile: None,
            },
            ControlResult {
                id: "ssh-02".into(),
                title: None,
                desc: None,
                impact: 0.5,
                status: ControlStatus::Passed,
                results: vec![ControlCheck {
                    status: ControlStatus::Passed,
                    code_desc: "ok".into(),
                    run_time: 0.02,
                    start_time: "2026-11-21T10:00:00+00:00".into(),
                    message: None,
                    skip_message: None,
                    resource: None,
                    exception: None,
                }],
                profile: None,
            },
        ];
        let mut b = HostResult::not_run("web01", HostStatus::Passed, "");
        b.message = None;
        b.tasks = vec![TaskResult {
            task: "check <script>".into(),
            status: TaskStatus::Ok,
            message: None,
            duration: 0.1,
        }];
        let c = HostResult::not_run("db01", HostStatus::Unreachable, "unreachable: refused");
        let mut d = HostResult::not_run("local://", HostStatus::Passed, "");
        d.message = None;
        d.exit_code = Some(0);
        JobSnapshot {
            id: Uuid::nil(),
            template_id: None,
            template_name: "baseline".into(),
            hosts: vec![
                "ssh://root@10.0.0.1".into(),
                "web01".into(),
                "db01".into(),
                "local://".into(),
            ],
            extra_vars: Map::new(),
            status: JobStatus::Failed,
            created_at: Utc::now(),
            started_at: Some(Utc::now()),
            finished_at: Some(Utc::now()),
            results: vec![a, b, c, d],
            error: None,
            attempt: 1,
            worker: None,
        }
    }

    #[test]
    fn cases_per_runner() {
        let job = sample_job();
        let c: Vec<Vec<Case>> = job.results.iter().map(|r| cases(r, "baseline")).collect();
        assert_eq!(c[0].len(), 2);
        assert_eq!(c[0][0].status, CaseStatus::Failed);
        assert!(c[0][0].message.as_deref().unwrap().contains("got"));
        assert_eq!(c[1][0].id, "check <script>");
        assert_eq!(
            (c[2][0].status, c[2][0].id.as_str()),
            (CaseStatus::Error, "baseline")
        );
        assert_eq!(c[3][0].status, CaseStatus::Passed);
    }

    #[test]
    fn xml_escaping() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1b}\n"),
            "a&lt;b&gt;&amp;&quot;c&#39;\u{FFFD}\n"
        );
        assert!(Format::parse("pdf").is_err());
    }
}
