//! Operator log lines on stderr (what a worker process did: start, claim, re-queue, lost
//! lease, store errors, stop), as text or as one JSON object per line. The format is the
//! process's (`set_format`): a log collector reads one kind of line. Callers pass ids,
//! counts and error messages only, never a store URL or credentials.

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Map, Value};

use crate::error::ValidationError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-01-02T03:04:05.000006Z ansible-inspec-rs worker=ID message`
    Text,
    /// `{"time": …, "level": …, "event": …, "worker": …, "message": …, more fields}`
    Json,
}

impl LogFormat {
    pub fn parse(s: &str) -> Result<Self, ValidationError> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(ValidationError::new(
                "log_format",
                "must be \"text\" or \"json\"",
            )),
        }
    }
}

static JSON: AtomicBool = AtomicBool::new(false);

/// Sets the format of this process's log lines.
pub fn set_format(format: LogFormat) {
    JSON.store(format == LogFormat::Json, Ordering::Relaxed);
}

pub fn format() -> LogFormat {
    if JSON.load(Ordering::Relaxed) {
        LogFormat::Json
    } else {
        LogFormat::Text
    }
}

/// How much an event matters to the operator.
fn level(event: &str) -> &'static str {
    match event {
        "store_error" => "error",
        "lease_lost" | "stale_refused" | "interrupted" => "warning",
        _ => "info",
    }
}

/// One line, without its newline, in `format`.
pub fn line(
    format: LogFormat,
    event: &str,
    worker: Option<&str>,
    message: &str,
    fields: &[(&str, Value)],
) -> String {
    let time = crate::job::timestamp(chrono::Utc::now());
    match format {
        LogFormat::Text => match worker {
            Some(w) => format!("{time} ansible-inspec-rs worker={w} {message}"),
            None => format!("{time} ansible-inspec-rs {message}"),
        },
        LogFormat::Json => {
            let mut obj = Map::new();
            obj.insert("time".into(), time.into());
            obj.insert("level".into(), level(event).into());
            obj.insert("event".into(), event.into());
            if let Some(w) = worker {
                obj.insert("worker".into(), w.into());
            }
            obj.insert("message".into(), message.into());
            for (k, v) in fields {
                obj.insert((*k).to_string(), v.clone());
            }
            Value::Object(obj).to_string()
        }
    }
}

/// Writes one line on stderr in the process's format.
pub fn log(event: &str, worker: Option<&str>, message: &str, fields: &[(&str, Value)]) {
    eprintln!("{}", line(format(), event, worker, message, fields));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_as_text_and_json() {
        let fields = [("job", Value::from("j1")), ("attempt", Value::from(2))];
        let text = line(LogFormat::Text, "claim", Some("w:1"), "claimed j1", &fields);
        assert!(
            text.ends_with(" ansible-inspec-rs worker=w:1 claimed j1"),
            "{text}"
        );
        let json = line(LogFormat::Json, "lease_lost", Some("w:1"), "lost", &fields);
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["event"], "lease_lost");
        assert_eq!(v["level"], "warning");
        assert_eq!(
            (v["worker"].as_str(), v["attempt"].as_i64()),
            (Some("w:1"), Some(2))
        );
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
        assert!(LogFormat::parse("xml").is_err());
    }
}
