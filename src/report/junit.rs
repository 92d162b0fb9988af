//! JUnit XML: a `testsuite` per host, a `testcase` per control / task / command.

use std::fmt::Write;

use super::{cases, xml_escape as e, CaseStatus};
use crate::job::JobSnapshot;

pub fn junit(job: &JobSnapshot) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors, mut skipped, mut time) = (0, 0, 0, 0, 0.0);
    for r in &job.results {
        let cs = cases(r, &job.template_name);
        let count = |s: CaseStatus| cs.iter().filter(|c| c.status == s).count();
        let (f, er, sk) = (
            count(CaseStatus::Failed),
            count(CaseStatus::Error),
            count(CaseStatus::Skipped),
        );
        tests += cs.len();
        failures += f;
        errors += er;
        skipped += sk;
        time += r.duration;
        let stamp = r
            .started_at
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
            .unwrap_or_default();
        let _ = writeln!(
            suites,
            r#"  <testsuite name="{}" tests="{}" failures="{f}" errors="{er}" skipped="{sk}" time="{:.3}" timestamp="{stamp}" hostname="{}">"#,
            e(&r.host),
            cs.len(),
            r.duration,
            e(&r.host),
        );
        let _ = writeln!(
            suites,
            r#"    <properties><property name="status" value="{}"/><property name="attempts" value="{}"/></properties>"#,
            r.status.as_str(),
            r.attempts
        );
        for c in &cs {
            let name = match &c.title {
                Some(t) => format!("{}: {t}", c.id),
                None => c.id.clone(),
            };
            let _ = write!(
                suites,
                r#"    <testcase classname="{}" name="{}" time="{:.3}""#,
                e(&r.host),
                e(&name),
                c.time
            );
            let msg = c.message.as_deref().unwrap_or("");
            let first = msg.lines().next().unwrap_or("");
            match c.status {
                CaseStatus::Passed => suites.push_str("/>\n"),
                CaseStatus::Failed => {
                    let _ = writeln!(
                        suites,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        e(first),
                        e(msg)
                    );
                }
                CaseStatus::Error => {
                    let _ = writeln!(
                        suites,
                        ">\n      <error message=\"{}\" type=\"{}\">{}</error>\n    </testcase>",
                        e(first),
                        r.status.as_str(),
                        e(msg)
                    );
                }
                CaseStatus::Skipped => {
                    let _ = writeln!(
                        suites,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        e(first)
                    );
                }
            }
        }
        suites.push_str("  </testsuite>\n");
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\">\n{suites}</testsuites>\n",
        e(&job.template_name)
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_job;
    use super::*;

    #[test]
    fn suites_per_host_escaped() {
        let x = junit(&sample_job());
        assert_eq!(x.matches("<testsuite ").count(), 4);
        assert_eq!(x.matches("<testcase ").count(), 5);
        assert!(x.contains(r#"tests="5" failures="1" errors="1""#), "{x}");
        assert!(x.contains("Root login &lt;disabled&gt; &amp; &quot;quoted&quot;"));
        assert!(x.contains("check &lt;script&gt;"));
        assert!(!x.contains('\u{1b}'));
    }
}
