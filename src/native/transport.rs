//! How facts are read from a target: the [`Transport`] trait (local system calls and
//! commands, or one multiplexed SSH connection) and [`Host`], one evaluation's view of a
//! target with a cache, a deadline and cancellation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

/// What a command printed and how it ended.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    /// None when killed by a signal.
    pub exit_status: Option<i32>,
}

/// `lstat` of a path, plus what `stat` (following links) says for symlinks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileInfo {
    /// `file`, `directory`, `symlink`, `pipe`, `socket`, `character_device`, `block_device`.
    pub kind: String,
    /// Permission bits and setuid/setgid/sticky (`st_mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// User and group names, when the target can resolve them.
    pub owner: Option<String>,
    pub group: Option<String>,
    pub size: u64,
    pub mtime: i64,
    /// The link's target text, for symlinks.
    pub link_path: Option<String>,
    /// The kind of what a symlink points to (None: dangling or not a symlink).
    pub target_kind: Option<String>,
}

/// Why a fact could not be read. The interpreter turns these into a describe's `error` or
/// skips the control; they are never a silent pass.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("the connection to the host failed: {0}")]
    Unreachable(String),
    #[error("canceled")]
    Canceled,
    #[error("the job's time limit was reached")]
    TimedOut,
    #[error("{0}")]
    Failed(String),
}

/// Reads facts from one target. Implementations bound every operation in time and stop
/// when canceled; nothing here interpolates data into a local shell.
pub trait Transport: Send + Sync {
    /// Runs `command` with the target's POSIX shell (`sh -c`): the text is the profile's own
    /// (InSpec's `command('...')`), arguments a resource adds are quoted by the resource.
    fn run(
        &self,
        command: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<CommandOutput, TransportError>;
    /// A whole file; Ok(None) when it does not exist or cannot be read.
    fn read_file(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<u8>>, TransportError>;
    /// `lstat` of a path; Ok(None) when it does not exist.
    fn stat(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<FileInfo>, TransportError>;
    /// `local` or `ssh` (InSpec's `backend`).
    fn kind(&self) -> &'static str;
}

/// One evaluation's view of a target: the transport, the job's deadline and cancellation,
/// and a cache so a fact is read once per host however many controls ask for it (InSpec
/// caches command results the same way).
pub struct Host {
    transport: Box<dyn Transport>,
    pub deadline: Option<Instant>,
    pub cancel: CancellationToken,
    commands: Mutex<HashMap<String, CommandOutput>>,
    files: Mutex<HashMap<String, Option<Arc<Vec<u8>>>>>,
    stats: Mutex<HashMap<String, Option<FileInfo>>>,
}

impl Host {
    pub fn new(
        transport: Box<dyn Transport>,
        deadline: Option<Instant>,
        cancel: CancellationToken,
    ) -> Self {
        Host {
            transport,
            deadline,
            cancel,
            commands: Mutex::default(),
            files: Mutex::default(),
            stats: Mutex::default(),
        }
    }

    pub fn kind(&self) -> &'static str {
        self.transport.kind()
    }

    /// Canceled or past the deadline: stop before starting more work.
    pub fn check(&self) -> Result<(), TransportError> {
        if self.cancel.is_cancelled() {
            return Err(TransportError::Canceled);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(TransportError::TimedOut);
        }
        Ok(())
    }

    pub fn run(&self, command: &str) -> Result<CommandOutput, TransportError> {
        if let Some(hit) = lock(&self.commands).get(command) {
            return Ok(hit.clone());
        }
        self.check()?;
        let out = self.transport.run(command, self.deadline, &self.cancel)?;
        lock(&self.commands).insert(command.to_string(), out.clone());
        Ok(out)
    }

    pub fn read_file(&self, path: &str) -> Result<Option<Arc<Vec<u8>>>, TransportError> {
        if let Some(hit) = lock(&self.files).get(path) {
            return Ok(hit.clone());
        }
        self.check()?;
        let data = self
            .transport
            .read_file(path, self.deadline, &self.cancel)?
            .map(Arc::new);
        lock(&self.files).insert(path.to_string(), data.clone());
        Ok(data)
    }

    pub fn stat(&self, path: &str) -> Result<Option<FileInfo>, TransportError> {
        if let Some(hit) = lock(&self.stats).get(path) {
            return Ok(hit.clone());
        }
        self.check()?;
        let info = self.transport.stat(path, self.deadline, &self.cancel)?;
        lock(&self.stats).insert(path.to_string(), info.clone());
        Ok(info)
    }

    /// Seeds the caches (a transport that fetched many facts in one round trip).
    pub fn remember_command(&self, command: &str, out: CommandOutput) {
        lock(&self.commands).insert(command.to_string(), out);
    }
    pub fn remember_file(&self, path: &str, data: Option<Vec<u8>>) {
        lock(&self.files).insert(path.to_string(), data.map(Arc::new));
    }
    pub fn remember_stat(&self, path: &str, info: Option<FileInfo>) {
        lock(&self.stats).insert(path.to_string(), info);
    }
}

/// The caches hold plain data, so a panic elsewhere cannot leave them inconsistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
