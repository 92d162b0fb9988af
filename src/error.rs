//! The core's error model: one enum per layer that fails on its own terms (`StoreError`,
//! `RunnerError` here; `transport::TransportError`, `profile::ProfileError` in their layers),
//! converted upward with `#[from]` into [`Error`], the one the executor's callers see. Each
//! `Error` variant maps to one Python exception class in `src/python/errors.rs` and to one
//! HTTP status in the server shim.
//!
//! The store's and runner's enums live here, beside `Error`, so that `Error` can hold them
//! without an import loop (those layers import this module).

use thiserror::Error;

use crate::profile::ProfileError;

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
    Store(#[from] StoreError),
    /// A profile handed to the core directly (`Profile.load`) cannot be read or parsed.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// The template's inventory, or a host pattern over it, cannot be used.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why the store (SQLite file, PostgreSQL server) could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// The store cannot be opened or does not answer (bad file, unreachable server, timeout).
    #[error("{0}")]
    Unavailable(String),
    /// The database refused or failed a statement.
    #[error("{0}")]
    Database(String),
    /// A stored row cannot be read back (bad JSON, timestamp, status or id).
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// The background writer (named) is gone, so nothing more can be written.
    #[error("the {0} stopped")]
    WriterStopped(&'static str),
}

/// Why an inventory (the file, its `group_vars/`/`host_vars/`, or a host pattern over it)
/// cannot be used. Each names the input field it came from ([`InventoryError::field`]);
/// none quotes what a file holds (an inventory line may carry a secret).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InventoryError {
    /// The inventory file cannot be read (missing, a directory, too large, not UTF-8).
    #[error("{path:?} {message}")]
    Unreadable { path: String, message: String },
    /// The INI or YAML is malformed (`line` when the parser knows it).
    #[error("{path}: {}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
    Syntax {
        path: String,
        line: Option<usize>,
        message: String,
    },
    /// A `group_vars/` or `host_vars/` file or folder (`path`) cannot be used.
    #[error("{path}: {message}")]
    VarsFile { path: String, message: String },
    /// A host pattern (`field`: `target` or `limit`) is malformed.
    #[error("{problem}")]
    Pattern {
        field: &'static str,
        problem: PatternProblem,
    },
}

/// What is wrong with an Ansible host pattern (`inventory::select`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatternProblem {
    #[error("empty host pattern")]
    Empty,
    /// `&` or `!` with nothing after it.
    #[error("empty term in host pattern")]
    EmptyTerm,
    /// `~regex` terms (Ansible's): the term.
    #[error("regex patterns ({0:?}) are not supported; use globs")]
    Regex(String),
}

impl InventoryError {
    /// The input field at fault: `inventory` for the files, `target`/`limit` for patterns.
    pub fn field(&self) -> &'static str {
        match self {
            InventoryError::Pattern { field, .. } => field,
            _ => "inventory",
        }
    }
}

impl From<InventoryError> for ValidationError {
    fn from(e: InventoryError) -> Self {
        ValidationError::new(e.field(), e.to_string())
    }
}

/// Why the runner cannot run a job, or one host of it. A job-level one ends the job `error`
/// with this message (the executor records it; nothing is raised); a host-level one ends
/// that host `error`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RunnerError {
    /// The template breaks the executor's policy.
    #[error(transparent)]
    Refused(#[from] ValidationError),
    /// The template's inventory cannot be read.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// A host cannot be reached as written (its rule says why).
    #[error("{}", .0.rule)]
    BadHost(ValidationError),
    /// The host resolves to a local connection, which this executor does not allow.
    #[error(
        "this host resolves to a local connection, and local connections are disabled on this \
         executor (allow_local is off)"
    )]
    LocalDisabled,
    /// A `fixture://` host given to a runner other than the native one: a recorded state
    /// answers the native evaluator's questions, it runs no program.
    #[error("fixture:// hosts (recorded host states) are checked by the native runner only")]
    FixtureNativeOnly,
    /// A program the job needs is not installed (`hint` says how to get it).
    #[error("{program} is not installed{hint}")]
    ToolMissing {
        program: &'static str,
        hint: &'static str,
    },
    /// The native runner reads local profiles only.
    #[error(
        "profile {0:?} is a Supermarket reference: the native runner reads local profiles only; \
         set runner to inspec to fetch it from the Supermarket"
    )]
    SupermarketNative(String),
    /// The profile cannot be loaded for native evaluation.
    #[error("profile: {0}")]
    Profile(#[from] ProfileError),
    /// A profile dependency is not loaded (missing from vendor/, a cycle, a version
    /// conflict), or lies outside the executor's profile roots.
    #[error("profile: dependency '{name}': {why}")]
    Dependency { name: String, why: String },
    /// A file of the run (inputs, inventory, callback plugin, report) cannot be written or read.
    #[error("cannot {action} {path}: {message}")]
    File {
        action: &'static str,
        path: String,
        message: String,
    },
    /// A program could not be started.
    #[error("cannot run {program}: {message}")]
    Spawn { program: String, message: String },
    /// A tool's output (InSpec's JSON report, the Ansible callback's results) is not usable.
    #[error("{0}")]
    BadOutput(String),
    /// The job was canceled or timed out while this ran.
    #[error("killed: the job was stopped")]
    Killed,
}

impl RunnerError {
    /// The policy's refusal of a template (a rule broken, or a path outside the roots).
    pub fn refused(e: Error) -> Self {
        match e {
            Error::Validation(v) | Error::PathNotAllowed(v) => RunnerError::Refused(v),
            other => RunnerError::Refused(ValidationError::new("template", other.to_string())),
        }
    }

    /// A file error; `action` is the verb ("write", "create", "read").
    pub fn file(action: &'static str, path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        RunnerError::File {
            action,
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}
