//! The core's error model. Each variant maps to one Python exception class in
//! `src/python/errors.rs` and to one HTTP status in the server shim.

use thiserror::Error;

/// Input that breaks a rule. `field` names the input field, `rule` says what it must be.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {rule}")]
pub struct ValidationError {
    pub field: String,
    pub rule: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// A template path resolves outside the executor's allowed roots (`field` names it).
    #[error(transparent)]
    PathNotAllowed(ValidationError),
    #[error("Template '{0}' not found")]
    TemplateNotFound(String),
    #[error("Template '{0}' already exists")]
    TemplateExists(String),
    #[error("Job '{0}' not found")]
    JobNotFound(String),
    #[error("Job '{0}' has not finished")]
    JobNotFinished(String),
    #[error("queue is full ({0} jobs pending); retry later or raise queue_size")]
    QueueFull(usize),
    #[error("executor is closed")]
    ExecutorClosed,
    #[error("wait timed out after {0} s (the job keeps running)")]
    WaitTimeout(f64),
    #[error("store error: {0}")]
    Store(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
