//! A self-contained HTML report for compliance readers (in the manner of Heimdall): the
//! profile and version, a compliance score per host and overall, status counts and status
//! by severity as inline SVG charts, then the failures (worst impact first, each with its
//! title, `code_desc`, expected and actual), the hosts that could not be checked, the
//! skipped controls with their reasons, the hosts, and the passed controls. Details expand
//! (`<details>`). Inline CSS and SVG only: no script, nothing fetched, so the file works
//! offline and as an e-mail attachment. Every value is escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{cases, xml_escape as e, CaseStatus};
use crate::job::{ControlStatus, HostResult, HostStatus, JobSnapshot};

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#1f2328;background:#f6f8fa}\
main{max-width:1200px;margin:0 auto;padding:1.5em}h1{margin:.2em 0}h2{margin:1.6em 0 .5em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}\
.sub{color:#59636e}.cards{display:flex;flex-wrap:wrap;gap:1em;margin:1em 0}\
.card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1em;flex:1 1 260px}\
.card h3{margin:0 0 .5em;font-size:1em;color:#59636e}.legend td{white-space:nowrap}.score{font-size:3em;font-weight:700}\
table{border-collapse:collapse;width:100%;background:#fff}td,th{border:1px solid #d0d7de;padding:.35em .6em;text-align:left;vertical-align:top}\
th{background:#eef1f4}.num{text-align:right;font-variant-numeric:tabular-nums}\
.passed{color:#1a7f37}.failed{color:#cf222e}.skipped{color:#6e7781}.error{color:#bc4c00}\
.badge{display:inline-block;border-radius:4px;padding:0 .4em;color:#fff;font-size:.85em;font-weight:600;margin-right:.4em}\
.critical{background:#8b0000}.high{background:#cf222e}.medium{background:#d4760a}.low{background:#9a6700}.none{background:#6e7781}\
details{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:.4em 0;padding:.4em .8em}\
summary{cursor:pointer;font-weight:600}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}\
pre{white-space:pre-wrap;word-break:break-word;margin:.2em 0;background:#f6f8fa;padding:.4em;border-radius:4px}\
.kv td:first-child{width:7em;color:#59636e}.hosts{color:#59636e;font-size:.9em}.bar{background:#eef1f4;width:10em;height:.8em;display:inline-block;border-radius:3px;overflow:hidden;vertical-align:middle}\
.bar span{display:block;height:100%}.note{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:.6em 1em}";

/// Status colours (charts and bars).
fn colour(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::Passed => "#2da44e",
        CaseStatus::Failed => "#cf222e",
        CaseStatus::Skipped => "#8c959f",
        CaseStatus::Error => "#e16f24",
    }
}

fn css(s: CaseStatus) -> &'static str {
    s.as_str()
}

/// Display order of statuses: passed, failed, skipped, error.
const STATUSES: [CaseStatus; 4] = [
    CaseStatus::Passed,
    CaseStatus::Failed,
    CaseStatus::Skipped,
    CaseStatus::Error,
];

/// InSpec's impact bands, as Heimdall names them.
fn severity(impact: f64) -> &'static str {
    match impact {
        i if i >= 0.9 => "critical",
        i if i >= 0.7 => "high",
        i if i >= 0.4 => "medium",
        i if i > 0.0 => "low",
        _ => "none",
    }
}

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "none"];

/// What a check that is not an InSpec control (a task, a command) weighs: medium, as in
/// the JSON report's synthetic controls.
const DEFAULT_IMPACT: f64 = 0.5;

/// One result line of a check on one host.
struct Detail {
    status: CaseStatus,
    code_desc: String,
    message: Option<String>,
}

/// One check (control, task or command) on one host.
struct Check {
    id: String,
    title: Option<String>,
    impact: f64,
    status: CaseStatus,
    details: Vec<Detail>,
}

fn control_status(s: ControlStatus) -> CaseStatus {
    match s {
        ControlStatus::Passed => CaseStatus::Passed,
        ControlStatus::Failed => CaseStatus::Failed,
        ControlStatus::Skipped => CaseStatus::Skipped,
    }
}

fn checks_of(r: &HostResult, job_name: &str) -> Vec<Check> {
    if r.controls.is_empty() {
        return cases(r, job_name)
            .into_iter()
            .map(|c| Check {
                details: vec![Detail {
                    status: c.status,
                    code_desc: c.id.clone(),
                    message: c.message.clone(),
                }],
                id: c.id,
                title: c.title,
                impact: DEFAULT_IMPACT,
                status: c.status,
            })
            .collect();
    }
    r.controls
        .iter()
        .map(|c| Check {
            id: c.id.clone(),
            title: c.title.clone(),
            impact: c.impact,
            status: control_status(c.status),
            details: c
                .results
                .iter()
                .map(|x| Detail {
                    status: control_status(x.status),
                    code_desc: x.code_desc.clone(),
                    message: x.message.clone().or_else(|| x.skip_message.clone()),
                })
                .collect(),
        })
        .collect()
}

fn unevaluated(s: HostStatus) -> bool {
    matches!(
        s,
        HostStatus::Error | HostStatus::Unreachable | HostStatus::Timeout | HostStatus::Canceled
    )
}

/// `[passed, failed, skipped, error]` counts.
type Counts = [usize; 4];

fn slot(s: CaseStatus) -> usize {
    STATUSES.iter().position(|x| *x == s).unwrap_or(3)
}

/// Compliance as Heimdall computes it: passed over passed + failed + error (skipped
/// controls are not applicable). None when nothing counted.
fn score(c: &Counts) -> Option<f64> {
    let denominator = c[0] + c[1] + c[3];
    (denominator > 0).then(|| 100.0 * c[0] as f64 / denominator as f64)
}

fn score_text(s: Option<f64>) -> String {
    s.map_or_else(|| "—".to_string(), |s| format!("{}%", s.floor()))
}

fn score_colour(s: Option<f64>) -> &'static str {
    match s {
        Some(s) if s >= 90.0 => colour(CaseStatus::Passed),
        Some(s) if s >= 60.0 => colour(CaseStatus::Error),
        Some(_) => colour(CaseStatus::Failed),
        None => colour(CaseStatus::Skipped),
    }
}

/// A donut of the status counts with the score in its middle.
fn donut(counts: &Counts, centre: &str) -> String {
    let total: usize = counts.iter().sum();
    let mut svg = String::from(
        "<svg viewBox=\"0 0 42 42\" width=\"170\" height=\"170\" role=\"img\" aria-label=\"status counts\">\
         <circle cx=\"21\" cy=\"21\" r=\"15.915\" fill=\"none\" stroke=\"#eef1f4\" stroke-width=\"6\"/>",
    );
    let mut done = 0.0;
    for (i, s) in STATUSES.iter().enumerate() {
        if total == 0 || counts[i] == 0 {
            continue;
        }
        let part = 100.0 * counts[i] as f64 / total as f64;
        let _ = write!(
            svg,
            "<circle cx=\"21\" cy=\"21\" r=\"15.915\" fill=\"none\" stroke=\"{}\" stroke-width=\"6\" \
             stroke-dasharray=\"{part:.3} {:.3}\" stroke-dashoffset=\"{:.3}\"><title>{} {}</title></circle>",
            colour(*s),
            100.0 - part,
            25.0 - done,
            counts[i],
            s.as_str()
        );
        done += part;
    }
    let _ = write!(
        svg,
        "<text x=\"21\" y=\"23.5\" text-anchor=\"middle\" font-size=\"7\" font-weight=\"700\" fill=\"#1f2328\">{}</text></svg>",
        e(centre)
    );
    svg
}

fn legend(counts: &Counts) -> String {
    let mut out = String::from("<table class=\"kv legend\">");
    for (i, s) in STATUSES.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><td><svg width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\" fill=\"{}\"/></svg> {}</td><td class=\"num\">{}</td></tr>",
            colour(*s),
            if *s == CaseStatus::Error { "not checked" } else { s.as_str() },
            counts[i]
        );
    }
    out.push_str("</table>");
    out
}

/// Horizontal stacked bars: one per severity, split by status.
fn severity_bars(by_severity: &BTreeMap<&str, Counts>) -> String {
    let (label_w, bar_w, row_h) = (70.0, 300.0, 26.0);
    let max = by_severity
        .values()
        .map(|c| c.iter().sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let height = row_h * SEVERITIES.len() as f64 + 4.0;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"status by severity\" font-size=\"12\">",
        w = label_w + bar_w + 50.0
    );
    for (row, sev) in SEVERITIES.iter().enumerate() {
        let c = by_severity.get(sev).copied().unwrap_or_default();
        let y = row as f64 * row_h + 2.0;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" fill=\"#1f2328\">{sev}</text>",
            y + 15.0
        );
        let mut x = label_w;
        for (i, s) in STATUSES.iter().enumerate() {
            if c[i] == 0 {
                continue;
            }
            let w = bar_w * c[i] as f64 / max;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"{}\"><title>{sev}: {} {}</title></rect>",
                colour(*s),
                c[i],
                s.as_str()
            );
            x += w;
        }
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#59636e\">{}</text>",
            x + 4.0,
            y + 15.0,
            c.iter().sum::<usize>()
        );
    }
    svg.push_str("</svg>");
    svg
}

fn score_bar(s: Option<f64>) -> String {
    format!(
        "<span class=\"bar\"><span style=\"width:{:.0}%;background:{}\"></span></span> {}",
        s.unwrap_or(0.0),
        score_colour(s),
        score_text(s)
    )
}

/// "expected: X / got: Y" out of an InSpec failure message, when it has that shape.
fn expected_actual(message: &str) -> Option<(String, String)> {
    let lines: Vec<&str> = message.lines().collect();
    let exp = lines
        .iter()
        .position(|l| l.trim_start().starts_with("expected"))?;
    let got = lines
        .iter()
        .skip(exp + 1)
        .position(|l| l.trim_start().starts_with("got:"))?
        + exp
        + 1;
    let after_colon = |l: &str| {
        l.split_once(':')
            .map_or(String::new(), |(_, v)| v.trim().to_string())
    };
    let mut expected = vec![after_colon(lines[exp])];
    expected.extend(lines[exp + 1..got].iter().map(|l| l.trim().to_string()));
    let mut actual = vec![after_colon(lines[got])];
    actual.extend(
        lines[got + 1..]
            .iter()
            .take_while(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_string()),
    );
    Some((expected.join("\n"), actual.join("\n")))
}

fn detail_html(out: &mut String, d: &Detail) {
    let _ = write!(
        out,
        "<table class=\"kv\"><tr><td>test</td><td><code>{}</code></td></tr>",
        e(&d.code_desc)
    );
    match d.message.as_deref().map(|m| (m, expected_actual(m))) {
        Some((_, Some((exp, got)))) => {
            let _ = write!(
                out,
                "<tr><td>expected</td><td><pre>{}</pre></td></tr><tr><td>actual</td><td><pre>{}</pre></td></tr>",
                e(&exp),
                e(&got)
            );
        }
        Some((m, None)) if !m.trim().is_empty() => {
            let _ = write!(
                out,
                "<tr><td>message</td><td><pre>{}</pre></td></tr>",
                e(m.trim())
            );
        }
        _ => {}
    }
    out.push_str("</table>");
}

/// A check across hosts.
struct Row<'a> {
    id: &'a str,
    title: Option<&'a str>,
    impact: f64,
    /// (host, the check there), in host order.
    on: Vec<(&'a str, &'a Check)>,
}

impl Row<'_> {
    fn hosts_with(&self, s: CaseStatus) -> Vec<(&str, &Check)> {
        self.on
            .iter()
            .filter(|(_, c)| c.status == s)
            .map(|(h, c)| (*h, *c))
            .collect()
    }
}

fn host_list(hosts: &[&str]) -> String {
    const SHOWN: usize = 12;
    let mut s = hosts
        .iter()
        .take(SHOWN)
        .map(|h| e(h))
        .collect::<Vec<_>>()
        .join(", ");
    if hosts.len() > SHOWN {
        let _ = write!(s, " and {} more", hosts.len() - SHOWN);
    }
    s
}

fn heading(row: &Row<'_>) -> String {
    format!(
        "<span class=\"badge {sev}\">{sev}</span><code>{}</code> {}",
        e(row.id),
        e(row.title.unwrap_or("")),
        sev = severity(row.impact)
    )
}

pub fn html(job: &JobSnapshot) -> String {
    let per_host: Vec<(&HostResult, Vec<Check>)> = job
        .results
        .iter()
        .map(|r| (r, checks_of(r, &job.template_name)))
        .collect();
    let n_hosts = per_host.len();

    // Checks across hosts, in first-seen order.
    let mut rows: Vec<Row<'_>> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut totals: Counts = [0; 4];
    let mut by_severity: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut host_counts: Vec<Counts> = Vec::new();
    for (r, checks) in &per_host {
        let mut counts: Counts = [0; 4];
        for c in checks {
            counts[slot(c.status)] += 1;
            by_severity.entry(severity(c.impact)).or_default()[slot(c.status)] += 1;
            let i = *index.entry(c.id.as_str()).or_insert_with(|| {
                rows.push(Row {
                    id: &c.id,
                    title: c.title.as_deref(),
                    impact: c.impact,
                    on: Vec::new(),
                });
                rows.len() - 1
            });
            rows[i].on.push((&r.host, c));
        }
        for (t, c) in totals.iter_mut().zip(counts) {
            *t += c;
        }
        host_counts.push(counts);
    }
    let overall = score(&totals);

    let profile = per_host.iter().find_map(|(r, _)| r.profile.as_ref());
    let title = profile
        .map(|p| p.title.clone().unwrap_or_else(|| p.name.clone()))
        .unwrap_or_else(|| job.template_name.clone());
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{t} — compliance report</title><style>{STYLE}</style></head><body><main>\n<h1>{t}</h1>\n<p class=\"sub\">",
        t = e(&title)
    );
    if let Some(p) = profile {
        let _ = write!(
            out,
            "profile <strong>{}</strong> version <strong>{}</strong> · ",
            e(&p.name),
            e(p.version.as_deref().unwrap_or("(not specified)"))
        );
    }
    let when = job
        .finished_at
        .or(job.started_at)
        .unwrap_or(job.created_at)
        .format("%Y-%m-%d %H:%M UTC");
    let _ = writeln!(
        out,
        "template <strong>{}</strong> · job <code>{}</code> <strong>{}</strong> · {} · {n_hosts} host{}</p>",
        e(&job.template_name),
        job.id,
        job.status.as_str(),
        when,
        if n_hosts == 1 { "" } else { "s" }
    );
    if let Some(err) = &job.error {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", e(err));
    }

    // The picture: score, status counts, status by severity, hosts.
    let hosts_compliant = per_host
        .iter()
        .filter(|(r, _)| r.status == HostStatus::Passed)
        .count();
    let hosts_unchecked = per_host
        .iter()
        .filter(|(r, _)| unevaluated(r.status))
        .count();
    let _ = writeln!(
        out,
        "<div class=\"cards\">\
         <div class=\"card\"><h3>Compliance</h3><div class=\"score\" style=\"color:{}\">{}</div>\
         <p>passed controls of all checked (passed + failed + not checked), over {n_hosts} host{}</p>\
         <p><strong>{hosts_compliant}</strong> of {n_hosts} hosts fully compliant{}</p></div>\
         <div class=\"card\"><h3>Status</h3><div style=\"display:flex;gap:1em;align-items:center\">{}{}</div></div>\
         <div class=\"card\"><h3>Status by severity</h3>{}</div></div>",
        score_colour(overall),
        score_text(overall),
        if n_hosts == 1 { "" } else { "s" },
        if hosts_unchecked > 0 {
            format!(", <strong class=\"error\">{hosts_unchecked} not checked</strong>")
        } else {
            String::new()
        },
        donut(&totals, &score_text(overall)),
        legend(&totals),
        severity_bars(&by_severity),
    );

    // Hosts that could not be checked come first: nothing is known about them.
    if hosts_unchecked > 0 {
        out.push_str("<h2 class=\"error\">Hosts not checked</h2>\n<table><tr><th>host</th><th>status</th><th>why</th></tr>\n");
        for (r, _) in per_host.iter().filter(|(r, _)| unevaluated(r.status)) {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"error\">{}</td><td>{}</td></tr>",
                e(&r.host),
                r.status.as_str(),
                e(r.message.as_deref().unwrap_or(""))
            );
        }
        out.push_str("</table>\n");
    }

    // Failures: by impact (then how many hosts), each expandable to its evidence.
    let mut failing: Vec<&Row<'_>> = rows
        .iter()
        .filter(|r| r.on.iter().any(|(_, c)| c.status == CaseStatus::Failed))
        .collect();
    failing.sort_by(|a, b| {
        b.impact.total_cmp(&a.impact).then_with(|| {
            b.hosts_with(CaseStatus::Failed)
                .len()
                .cmp(&a.hosts_with(CaseStatus::Failed).len())
        })
    });
    let _ = writeln!(
        out,
        "<h2>Failures <span class=\"sub\">({} control{})</span></h2>",
        failing.len(),
        if failing.len() == 1 { "" } else { "s" }
    );
    if failing.is_empty() {
        out.push_str("<p class=\"passed\">No control failed.</p>\n");
    }
    for (i, row) in failing.iter().enumerate() {
        let hosts = row.hosts_with(CaseStatus::Failed);
        let _ = write!(
            out,
            "<details{}><summary>{} <span class=\"failed\">failed on {} of {} host{}</span></summary>",
            if i < 10 { " open" } else { "" },
            heading(row),
            hosts.len(),
            row.on.len(),
            if row.on.len() == 1 { "" } else { "s" }
        );
        // Hosts failing the same way are shown once, with their names.
        let mut groups: Vec<(String, Vec<&str>, &Check)> = Vec::new();
        for (h, c) in &hosts {
            let key: String = c
                .details
                .iter()
                .filter(|d| d.status == CaseStatus::Failed)
                .map(|d| format!("{}\u{0}{}", d.code_desc, d.message.as_deref().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("\u{1}");
            match groups.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, names, _)) => names.push(h),
                None => groups.push((key, vec![h], c)),
            }
        }
        for (_, names, c) in &groups {
            let _ = write!(out, "<p class=\"hosts\">on {}</p>", host_list(names));
            for d in c.details.iter().filter(|d| d.status == CaseStatus::Failed) {
                detail_html(&mut out, d);
            }
        }
        out.push_str("</details>\n");
    }

    // Skipped controls with their reasons.
    let skipped: Vec<&Row<'_>> = rows
        .iter()
        .filter(|r| r.on.iter().any(|(_, c)| c.status == CaseStatus::Skipped))
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(
            out,
            "<h2>Skipped <span class=\"sub\">({})</span></h2>\n<table><tr><th>control</th><th>hosts</th><th>reason</th></tr>",
            skipped.len()
        );
        for row in &skipped {
            let hosts = row.hosts_with(CaseStatus::Skipped);
            let mut reasons: Vec<&str> = hosts
                .iter()
                .flat_map(|(_, c)| c.details.iter().filter_map(|d| d.message.as_deref()))
                .collect();
            reasons.dedup();
            reasons.sort_unstable();
            reasons.dedup();
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                heading(row),
                hosts.len(),
                if reasons.is_empty() {
                    "<span class=\"sub\">no reason given</span>".to_string()
                } else {
                    reasons
                        .iter()
                        .map(|r| e(r))
                        .collect::<Vec<_>>()
                        .join("<br>")
                }
            );
        }
        out.push_str("</table>\n");
    }

    // Hosts, least compliant first.
    let mut order: Vec<usize> = (0..n_hosts).collect();
    order.sort_by(|a, b| {
        let key = |i: usize| {
            (
                !unevaluated(per_host[i].0.status),
                score(&host_counts[i]).unwrap_or(101.0),
            )
        };
        let (ka, kb) = (key(*a), key(*b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(b))
    });
    out.push_str("<h2>Hosts</h2>\n<table><tr><th>host</th><th>status</th><th>compliance</th><th class=\"num\">passed</th><th class=\"num\">failed</th><th class=\"num\">skipped</th><th class=\"num\">not checked</th><th class=\"num\">seconds</th></tr>\n");
    for i in order {
        let (r, _) = &per_host[i];
        let c = host_counts[i];
        let status_css = match r.status {
            HostStatus::Passed => "passed",
            HostStatus::Failed => "failed",
            HostStatus::Skipped | HostStatus::Canceled => "skipped",
            _ => "error",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{status_css}\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td></tr>",
            e(&r.host),
            r.status.as_str(),
            score_bar(score(&c)),
            c[0],
            c[1],
            c[2],
            c[3],
            r.duration
        );
    }
    out.push_str("</table>\n");

    // Passed controls, folded.
    let passed: Vec<&Row<'_>> = rows
        .iter()
        .filter(|r| r.on.iter().all(|(_, c)| c.status == CaseStatus::Passed))
        .collect();
    let _ = write!(
        out,
        "<h2>Passed</h2>\n<details><summary>{} control{} passed on every host that ran {}</summary><table>",
        passed.len(),
        if passed.len() == 1 { "" } else { "s" },
        if passed.len() == 1 { "it" } else { "them" }
    );
    for row in &passed {
        let _ = write!(
            out,
            "<tr><td class=\"{}\">{}</td><td class=\"num\">{} host{}</td></tr>",
            css(CaseStatus::Passed),
            heading(row),
            row.on.len(),
            if row.on.len() == 1 { "" } else { "s" }
        );
    }
    out.push_str("</table></details>\n</main></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_job;
    use super::*;

    #[test]
    fn compliance_page() {
        let h = html(&sample_job());
        assert!(!h.contains("<script"), "no script");
        assert!(
            !h.contains("http://") && !h.contains("https://"),
            "nothing fetched"
        );
        assert!(h.contains("check &lt;script&gt;"));
        // Failures before skipped, hosts and passed; the failing control with its title,
        // severity, code_desc, expected and actual.
        let fail = h.find("<h2>Failures").unwrap();
        assert!(fail < h.find("<h2>Hosts").unwrap());
        assert!(h.contains(
            "<span class=\"badge high\">high</span><code>ssh-01</code> Root login &lt;disabled&gt;"
        ));
        assert!(h.contains("sshd_config PermitRootLogin should eq &quot;no&quot;"));
        assert!(
            h.contains("<td>expected</td><td><pre>&quot;no&quot;</pre>"),
            "{h}"
        );
        assert!(
            h.contains("<td>actual</td><td><pre>&quot;yes&quot; \u{FFFD}[0m</pre>"),
            "{h}"
        );
        // The unreachable host is listed as not checked, before the failures.
        let unchecked = h.find("Hosts not checked").unwrap();
        assert!(unchecked < fail && h.contains("unreachable: refused"));
        // 3 passed of 5 counted (2 passed controls/tasks + 1 command; 1 failed, 1 not checked).
        assert!(h.contains(">60%<"), "{h}");
        assert!(h.contains("<svg"));
    }

    #[test]
    fn expected_and_actual_from_inspec_messages() {
        let m = "\nexpected: \"no\"\n     got: \"yes\"\n\n(compared using ==)\n";
        assert_eq!(
            expected_actual(m),
            Some(("\"no\"".into(), "\"yes\"".into()))
        );
        assert_eq!(expected_actual("just text"), None);
    }

    #[test]
    fn skip_reasons_shown() {
        let mut job = sample_job();
        job.results[0].controls[1].status = ControlStatus::Skipped;
        job.results[0].controls[1].results[0].status = ControlStatus::Skipped;
        job.results[0].controls[1].results[0].skip_message =
            Some("Skipped control due to only_if".into());
        let h = html(&job);
        let skipped = &h[h.find("<h2>Skipped").unwrap()..];
        assert!(skipped.contains("ssh-02") && skipped.contains("Skipped control due to only_if"));
    }
}
