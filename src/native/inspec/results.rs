//! InSpec's result records: one `ControlCheck` per example, the control's status from its
//! checks, and the fixed wording InSpec uses for skipped and broken controls.

use std::time::Instant;

use chrono::{SecondsFormat, Utc};

use crate::job::{ControlCheck, ControlResult, ControlStatus};

/// InSpec's skip message for a control whose `only_if` condition is false.
pub fn only_if_message(message: Option<&str>) -> String {
    match message {
        Some(m) if !m.is_empty() => format!("Skipped control due to only_if condition: {m}"),
        _ => "Skipped control due to only_if condition.".to_string(),
    }
}

/// The skip message of a construct the native evaluator does not implement.
pub fn unsupported_message(construct: &str, at: &str) -> String {
    format!("Not supported by the native evaluator: {construct} at {at}")
}

/// The code_desc of a control whose block raised: rule.rb describes "Control Source Code
/// Error" with `its(location) { fail e.message }`, the location being the control block's
/// `source_location` (the control file under the profile's path as given, and the line), and
/// the example's empty description leaves a space at the end.
pub fn source_code_error_desc(profile_path: &str, at: &str) -> String {
    format!("Control Source Code Error {} ", location(profile_path, at))
}

/// A place in the profile as Ruby's backtraces name it: the file under the profile's path
/// as given, and the line (`at` is `controls/x.rb:12`).
pub fn location(profile_path: &str, at: &str) -> String {
    std::path::Path::new(profile_path)
        .join(at)
        .display()
        .to_string()
}

/// When and how long one example ran.
pub struct Timer {
    started: Instant,
    start_time: String,
}

impl Timer {
    pub fn start() -> Self {
        Timer {
            started: Instant::now(),
            start_time: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, false),
        }
    }

    pub fn check(&self, status: ControlStatus, code_desc: String) -> ControlCheck {
        ControlCheck {
            status,
            code_desc,
            run_time: self.started.elapsed().as_secs_f64(),
            start_time: self.start_time.clone(),
            message: None,
            skip_message: None,
            resource: None,
            exception: None,
        }
    }
}

/// A skipped check (`only_if`, a resource that does not apply, an unsupported construct).
pub fn skipped(code_desc: &str, message: String) -> ControlCheck {
    let mut c = Timer::start().check(ControlStatus::Skipped, code_desc.to_string());
    c.skip_message = Some(message);
    c
}

/// A failed check from an error (InSpec has no `error` result status: an exception fails
/// the example and names its class).
pub fn errored(code_desc: String, message: String, exception: &str) -> ControlCheck {
    let mut c = Timer::start().check(ControlStatus::Failed, code_desc);
    c.message = Some(message);
    c.exception = Some(exception.to_string());
    c
}

/// rule.rb's "Control Source Code Error" example for an exception in a control's body:
/// `its(location) { fail e.message }`, so its exception is RuntimeError whatever was raised.
pub fn source_code_error(profile_path: &str, at: &str, message: String) -> ControlCheck {
    errored(
        source_code_error_desc(profile_path, at),
        message,
        "RuntimeError",
    )
}

/// A control's result from its checks.
pub fn control(
    id: String,
    title: Option<String>,
    desc: Option<String>,
    impact: f64,
    results: Vec<ControlCheck>,
) -> ControlResult {
    ControlResult {
        status: ControlStatus::of(&results),
        id,
        title,
        desc,
        impact,
        results,
        profile: None,
    }
}

/// A control that was not (or not completely) evaluated, with one check saying why.
pub fn not_evaluated(base: &ControlResult, check: ControlCheck) -> ControlResult {
    let mut c = control(
        base.id.clone(),
        base.title.clone(),
        base.desc.clone(),
        base.impact,
        vec![check],
    );
    c.profile = base.profile.clone();
    c
}
