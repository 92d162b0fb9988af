//! The terminal report of `inspec exec` (InSpec's `cli` reporter): per host a header
//! (profile, version, target), one line per control with ✔ / × / ↺ and its title, each
//! result under it (the failing `code_desc` and message, the skip reason), then the
//! "Profile Summary" and "Test Summary" lines. Playbook tasks and commands are listed the
//! same way. Plain lines only (no tables), so a pipe or an 80-column terminal shows every
//! word; colours only when asked.

use std::fmt::Write;

use super::{cases, CaseStatus};
use crate::job::{ControlResult, ControlStatus, HostResult, HostStatus, JobSnapshot};

/// InSpec's colours and indicators (its non-Windows set).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tone {
    Passed,
    Failed,
    Skipped,
    Error,
    Plain,
}

impl Tone {
    fn colour(self) -> &'static str {
        match self {
            Tone::Passed => "\x1b[38;5;41m",
            Tone::Failed => "\x1b[38;5;9m",
            Tone::Skipped => "\x1b[38;5;247m",
            Tone::Error => "\x1b[0;38;5;21m",
            Tone::Plain => "",
        }
    }

    fn indicator(self) -> &'static str {
        match self {
            Tone::Passed => "✔",
            Tone::Failed => "×",
            Tone::Skipped => "↺",
            Tone::Error => "ERR",
            Tone::Plain => "",
        }
    }

    fn of_case(s: CaseStatus) -> Self {
        match s {
            CaseStatus::Passed => Tone::Passed,
            CaseStatus::Failed => Tone::Failed,
            CaseStatus::Skipped => Tone::Skipped,
            CaseStatus::Error => Tone::Error,
        }
    }

    fn of_control(s: ControlStatus) -> Self {
        match s {
            ControlStatus::Passed => Tone::Passed,
            ControlStatus::Failed => Tone::Failed,
            ControlStatus::Skipped => Tone::Skipped,
        }
    }
}

struct Writer {
    out: String,
    color: bool,
}

impl Writer {
    fn paint(&self, tone: Tone, text: &str) -> String {
        if self.color && tone != Tone::Plain {
            format!("{}{text}\x1b[0m", tone.colour())
        } else {
            text.to_string()
        }
    }

    /// InSpec's `format_message`: indicator, two spaces, the message; every line indented.
    /// Control characters from the hosts' output (escape sequences) are not passed to the
    /// terminal.
    fn message(&mut self, tone: Tone, indent: usize, message: &str) {
        let text = format!("{}  {}", tone.indicator(), clean(message.trim_start()));
        let pad = " ".repeat(indent);
        let lines: Vec<String> = text
            .lines()
            .map(|l| format!("{pad}{l}").trim_end().to_string())
            .collect();
        let painted = self.paint(tone, &lines.join("\n"));
        self.out.push_str(&painted);
        self.out.push('\n');
    }

    fn header(&mut self, rows: &[(&str, String)]) {
        let pad = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
        for (k, v) in rows {
            let _ = writeln!(self.out, "{:<pad$} {}", format!("{k}:"), clean(v));
        }
        self.out.push('\n');
    }

    fn control(&mut self, c: &ControlResult) {
        let failed = count(c, ControlStatus::Failed);
        let skipped = count(c, ControlStatus::Skipped);
        let title = c
            .title
            .clone()
            .or_else(|| c.results.first().map(|r| r.code_desc.clone()))
            .unwrap_or_default();
        let mut head = format!("{}: {title}", c.id);
        if c.results.len() > 1 {
            if failed > 0 {
                let _ = write!(head, " ({failed} failed)");
            }
            if skipped > 0 {
                let _ = write!(head, " ({skipped} skipped)");
            }
        }
        self.message(Tone::of_control(c.status), 2, &head);
        for r in &c.results {
            let mut text = match (r.status, &r.skip_message) {
                (ControlStatus::Skipped, Some(why)) => why.clone(),
                _ => r.code_desc.clone(),
            };
            if let Some(m) = &r.message {
                text.push('\n');
                text.push_str(m);
            }
            self.message(Tone::of_control(r.status), 5, &text);
        }
    }
}

/// Text from hosts and profiles without control characters (no escape sequences reach the
/// terminal); line breaks and tabs stay.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

fn count(c: &ControlResult, s: ControlStatus) -> usize {
    c.results.iter().filter(|r| r.status == s).count()
}

fn unevaluated(s: HostStatus) -> bool {
    matches!(
        s,
        HostStatus::Error | HostStatus::Unreachable | HostStatus::Timeout | HostStatus::Canceled
    )
}

/// "unreachable: connection refused": the host's status, then what it says (once).
fn why_unevaluated(r: &HostResult, message: Option<&str>) -> String {
    let status = r.status.as_str();
    match message {
        Some(m) if m.starts_with(status) => m.to_string(),
        Some(m) if !m.is_empty() => format!("{status}: {m}"),
        _ => status.to_string(),
    }
}

fn host_header(job: &JobSnapshot, r: &HostResult) -> Vec<(&'static str, String)> {
    let mut rows = match &r.profile {
        Some(p) => vec![
            (
                "Profile",
                match &p.title {
                    Some(t) => format!("{t} ({})", p.name),
                    None => p.name.clone(),
                },
            ),
            (
                "Version",
                p.version
                    .clone()
                    .unwrap_or_else(|| "(not specified)".into()),
            ),
        ],
        None if !r.tasks.is_empty() => vec![("Playbook", job.template_name.clone())],
        None => vec![("Job", job.template_name.clone())],
    };
    // A profile that failed to load (reporters/cli.rb `print_profile_header`).
    if let Some(p) = r
        .profile
        .as_ref()
        .filter(|p| p.status.as_deref() == Some("failed"))
    {
        rows.push((
            "Failure Message",
            p.status_message.clone().unwrap_or_default(),
        ));
    }
    rows.push(("Target", r.host.clone()));
    if unevaluated(r.status) {
        rows.push(("Status", r.status.as_str().to_string()));
    }
    rows
}

/// Counts for the closing lines: `[passed, failed, skipped]`.
#[derive(Default)]
struct Tally {
    controls: [usize; 3],
    tasks: [usize; 3],
    tests: [usize; 3],
    any_controls: bool,
    any_tasks: bool,
}

fn slot(s: CaseStatus) -> usize {
    match s {
        CaseStatus::Passed => 0,
        CaseStatus::Failed | CaseStatus::Error => 1,
        CaseStatus::Skipped => 2,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl Writer {
    fn summary(&mut self, label: &str, noun: &str, [ok, bad, skip]: [usize; 3]) {
        let tone = |n: usize, t: Tone| if n > 0 { t } else { Tone::Plain };
        let line = format!(
            "{label} Summary: {}, {}, {}",
            self.paint(
                tone(ok, Tone::Passed),
                &plural(
                    ok,
                    &format!("successful {noun}"),
                    &format!("successful {noun}s")
                )
            ),
            self.paint(
                tone(bad, Tone::Failed),
                &plural(bad, &format!("{noun} failure"), &format!("{noun} failures"))
            ),
            self.paint(
                tone(skip, Tone::Skipped),
                &plural(
                    skip,
                    &format!("{noun} skipped"),
                    &format!("{noun}s skipped")
                )
            ),
        );
        self.out.push_str(&line);
        self.out.push('\n');
    }
}

/// `color`: InSpec's ANSI colours (for a terminal); off for pipes and files.
pub fn cli(job: &JobSnapshot, color: bool) -> String {
    let mut w = Writer {
        out: String::new(),
        color,
    };
    let mut t = Tally::default();
    for r in &job.results {
        w.out.push('\n');
        w.header(&host_header(job, r));
        if !r.controls.is_empty() {
            t.any_controls = true;
            for c in &r.controls {
                w.control(c);
                // InSpec's profile summary leaves out anonymous controls (`describe`
                // outside a control) and controls without results.
                let counted = c
                    .counted_as()
                    .filter(|_| !c.id.starts_with("(generated from "));
                if let Some(s) = counted {
                    t.controls[slot(match s {
                        ControlStatus::Passed => CaseStatus::Passed,
                        ControlStatus::Failed => CaseStatus::Failed,
                        ControlStatus::Skipped => CaseStatus::Skipped,
                    })] += 1;
                }
                for x in &c.results {
                    t.tests[match x.status {
                        ControlStatus::Passed => 0,
                        ControlStatus::Failed => 1,
                        ControlStatus::Skipped => 2,
                    }] += 1;
                }
            }
            if unevaluated(r.status) {
                w.message(Tone::Error, 2, &why_unevaluated(r, r.message.as_deref()));
            }
        } else {
            t.any_tasks |= !r.tasks.is_empty();
            for c in cases(r, &job.template_name) {
                let tone = Tone::of_case(c.status);
                let text = match (c.status, c.title.as_deref()) {
                    (CaseStatus::Error, _) => why_unevaluated(r, c.message.as_deref()),
                    (_, Some(title)) => format!("{}: {title}", c.id),
                    (_, None) => c.id.clone(),
                };
                let text = match (c.status, &c.message) {
                    (CaseStatus::Failed | CaseStatus::Skipped, Some(m)) => format!("{text}\n{m}"),
                    _ => text,
                };
                w.message(tone, 2, &text);
                if !r.tasks.is_empty() {
                    t.tasks[slot(c.status)] += 1;
                }
                t.tests[slot(c.status)] += 1;
            }
        }
        w.out.push('\n');
    }
    if let Some(err) = &job.error {
        let line = w.paint(Tone::Error, &format!("Job error: {}", clean(err)));
        let _ = writeln!(w.out, "{line}\n");
    }
    if t.any_controls {
        w.summary("Profile", "control", t.controls);
    }
    if t.any_tasks {
        w.summary("Task", "task", t.tasks);
    }
    let [ok, bad, skip] = t.tests;
    let line = format!(
        "Test Summary: {}, {}, {}",
        w.paint(
            if ok > 0 { Tone::Passed } else { Tone::Plain },
            &format!("{ok} successful")
        ),
        w.paint(
            if bad > 0 { Tone::Failed } else { Tone::Plain },
            &plural(bad, "failure", "failures")
        ),
        w.paint(
            if skip > 0 { Tone::Skipped } else { Tone::Plain },
            &format!("{skip} skipped")
        ),
    );
    w.out.push_str(&line);
    w.out.push('\n');
    // More than InSpec says: with several hosts, or one that could not be checked, how
    // many hosts ended how.
    if job.results.len() > 1 || job.results.iter().any(|r| unevaluated(r.status)) {
        let parts: Vec<String> = HostStatus::ALL
            .iter()
            .filter_map(|s| {
                let n = job.results.iter().filter(|r| r.status == *s).count();
                (n > 0).then(|| format!("{n} {}", s.as_str()))
            })
            .collect();
        let _ = writeln!(
            w.out,
            "Host Summary: {} ({})",
            plural(job.results.len(), "host", "hosts"),
            parts.join(", ")
        );
    }
    w.out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_job;
    use super::*;

    #[test]
    fn inspec_layout_without_colour() {
        let text = cli(&sample_job(), false);
        assert!(!text.contains('\x1b'), "{text}");
        assert!(
            text.contains("  ×  ssh-01: Root login <disabled> & \"quoted\"\n"),
            "{text}"
        );
        assert!(
            text.contains("     ×  sshd_config PermitRootLogin should eq \"no\"\n     expected: \"no\"\n      got: \"yes\" \u{FFFD}[0m\n"),
            "{text}"
        );
        assert!(text.contains("  ✔  ssh-02: ok\n"), "{text}");
        assert!(
            text.contains("Target: db01\nStatus: unreachable\n"),
            "{text}"
        );
        assert!(text.contains("  ERR  unreachable: refused\n"), "{text}");
        assert!(text.contains("  ✔  check <script>\n"), "{text}");
        assert!(text.contains(
            "Profile Summary: 1 successful control, 1 control failure, 0 controls skipped\n"
        ));
        assert!(
            text.contains("Task Summary: 1 successful task, 0 task failures, 0 tasks skipped\n")
        );
        assert!(
            text.contains("Test Summary: 3 successful, 2 failures, 0 skipped\n"),
            "{text}"
        );
        assert!(text.contains("Host Summary: 4 hosts (2 passed, 1 failed, 1 unreachable)"));
    }

    #[test]
    fn colours_when_asked() {
        let text = cli(&sample_job(), true);
        assert!(text.contains("\x1b[38;5;9m  ×  ssh-01"), "{text}");
        assert!(text.contains("\x1b[0m"));
    }
}
