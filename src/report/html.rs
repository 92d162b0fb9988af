//! A self-contained HTML summary (inline CSS, no scripts, nothing fetched): host totals,
//! then a check × host matrix with failing checks and failing hosts first, then the
//! failure messages. Every value is escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{cases, xml_escape as e, Case, CaseStatus};
use crate::job::{HostStatus, JobSnapshot};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
th{background:#f4f4f4}.passed{background:#d8f3dc}.failed{background:#ffccd5}.error{background:#ffe5b4}\
.skipped{background:#eee;color:#666}.none{color:#aaa}pre{white-space:pre-wrap;margin:0}";

fn host_rank(s: HostStatus) -> u8 {
    match s {
        HostStatus::Failed => 0,
        HostStatus::Error | HostStatus::Unreachable | HostStatus::Timeout => 1,
        HostStatus::Canceled => 2,
        HostStatus::Skipped => 3,
        HostStatus::Passed => 4,
    }
}

fn css(s: HostStatus) -> &'static str {
    match s {
        HostStatus::Passed => "passed",
        HostStatus::Failed => "failed",
        HostStatus::Skipped | HostStatus::Canceled => "skipped",
        _ => "error",
    }
}

pub fn html(job: &JobSnapshot) -> String {
    // Hosts, failing ones first (stable: job order otherwise).
    let mut hosts: Vec<(usize, &crate::job::HostResult, Vec<Case>)> = job
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| (i, r, cases(r, &job.template_name)))
        .collect();
    hosts.sort_by_key(|(i, r, _)| (host_rank(r.status), *i));
    // Checks in first-seen order, with their worst status over all hosts.
    let mut order: Vec<String> = Vec::new();
    let mut worst: BTreeMap<String, CaseStatus> = BTreeMap::new();
    for (_, _, cs) in &hosts {
        for c in cs {
            let w = worst.entry(c.id.clone()).or_insert_with(|| {
                order.push(c.id.clone());
                c.status
            });
            *w = (*w).min(c.status);
        }
    }
    let pos = |id: &String| order.iter().position(|x| x == id).unwrap_or(0);
    let mut checks = order.clone();
    checks.sort_by_key(|id| {
        (
            worst.get(id).copied().unwrap_or(CaseStatus::Passed),
            pos(id),
        )
    });

    let mut out = String::new();
    let count = |s: HostStatus| job.results.iter().filter(|r| r.status == s).count();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{} — {}</title><style>{STYLE}</style></head><body>\n\
         <h1>{}</h1>\n<p>job <code>{}</code>: <strong class=\"{}\">{}</strong> — {} hosts: \
         {} passed, {} failed, {} unreachable, {} error/timeout, {} skipped</p>\n",
        e(&job.template_name),
        job.status.as_str(),
        e(&job.template_name),
        job.id,
        match job.status.as_str() {
            "successful" => "passed",
            "failed" => "failed",
            _ => "error",
        },
        job.status.as_str(),
        job.results.len(),
        count(HostStatus::Passed),
        count(HostStatus::Failed),
        count(HostStatus::Unreachable),
        count(HostStatus::Error) + count(HostStatus::Timeout),
        count(HostStatus::Skipped),
    );
    if let Some(err) = &job.error {
        let _ = writeln!(out, "<p class=\"error\">{}</p>", e(err));
    }
    out.push_str("<h2>Checks by host</h2>\n<table><tr><th>check</th>");
    for (_, r, _) in &hosts {
        let _ = write!(out, "<th class=\"{}\">{}</th>", css(r.status), e(&r.host));
    }
    out.push_str("</tr>\n");
    for id in &checks {
        let _ = write!(out, "<tr><td>{}</td>", e(id));
        for (_, _, cs) in &hosts {
            match cs.iter().find(|c| &c.id == id) {
                Some(c) => {
                    let _ = write!(out, "<td class=\"{0}\">{0}</td>", c.status.as_str());
                }
                None => out.push_str("<td class=\"none\">—</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n<h2>Hosts</h2>\n<table><tr><th>host</th><th>status</th><th>attempts</th><th>seconds</th><th>message</th></tr>\n");
    for (_, r, _) in &hosts {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{:.2}</td><td>{}</td></tr>",
            e(&r.host),
            css(r.status),
            r.status.as_str(),
            r.attempts,
            r.duration,
            e(r.message.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</table>\n<h2>Failures</h2>\n");
    let mut any = false;
    for (_, r, cs) in &hosts {
        for c in cs
            .iter()
            .filter(|c| matches!(c.status, CaseStatus::Failed | CaseStatus::Error))
        {
            any = true;
            let _ = writeln!(
                out,
                "<h3>{} — {}</h3><pre>{}</pre>",
                e(&r.host),
                e(&c.title
                    .clone()
                    .map_or(c.id.clone(), |t| format!("{}: {t}", c.id))),
                e(c.message.as_deref().unwrap_or(c.status.as_str()))
            );
        }
    }
    if !any {
        out.push_str("<p>none</p>\n");
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_job;
    use super::*;

    #[test]
    fn failures_first_and_escaped() {
        let h = html(&sample_job());
        assert!(!h.contains("<script>"));
        assert!(h.contains("check &lt;script&gt;"));
        // Failing host column first, failing check row first.
        let header = h.split("<tr><th>check</th>").nth(1).unwrap();
        assert!(header.find("10.0.0.1").unwrap() < header.find("db01").unwrap());
        assert!(header.find("db01").unwrap() < header.find("web01").unwrap());
        let rows = h.split("</tr>\n<tr><td>").nth(1).unwrap();
        assert!(rows.starts_with("ssh-01"), "{rows}");
        assert!(!h.contains("http"), "self-contained: nothing fetched");
    }
}
