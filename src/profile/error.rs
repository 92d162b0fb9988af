//! Errors of the profile layer. Every failure names the file and, for syntax errors, the
//! 1-based line and column and what the parser expected there.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileError {
    /// The path is not an InSpec profile (no inspec.yml / no controls directory, not a directory).
    #[error("{path}: not an InSpec profile: {reason}")]
    NotAProfile { path: String, reason: String },
    /// A file could not be read.
    #[error("{path}: cannot read: {message}")]
    Io { path: String, message: String },
    /// A file is larger than the parser accepts.
    #[error("{path}: file is larger than the limit of {limit} bytes")]
    TooLarge { path: String, size: u64, limit: u64 },
    /// A syntax error (Ruby or YAML) at a position.
    #[error("{file}:{line}:{column}: {message}")]
    Parse {
        file: String,
        line: u32,
        column: u32,
        message: String,
    },
}

impl ProfileError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            ProfileError::NotAProfile { path, .. }
            | ProfileError::Io { path, .. }
            | ProfileError::TooLarge { path, .. } => path,
            ProfileError::Parse { file, .. } => file,
        }
    }

    /// `(line, column)` for syntax errors.
    pub fn position(&self) -> Option<(u32, u32)> {
        match self {
            ProfileError::Parse { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

/// A syntax error at a byte offset, before it is placed in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl SyntaxError {
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        Self {
            offset,
            message: message.into(),
        }
    }
}
