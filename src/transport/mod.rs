//! How facts are read from a target: the [`Transport`] trait (local system calls and
//! commands, or one multiplexed SSH connection) and [`Host`], one evaluation's view of a
//! target with a cache, a deadline and cancellation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio_util::sync::CancellationToken;

mod child;
pub mod environment;
pub mod fixture;
pub mod lifeline;
pub mod local;
pub mod openssh;
pub mod priority;
mod session;
pub mod ssh;
#[cfg(test)]
pub mod testing;

pub use local::LocalTransport;
pub use ssh::SshTransport;

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
    /// [`run`](Transport::run) with `env` added to the command's environment (a database
    /// client's password). Locally the variables reach the child directly and appear in no
    /// command line; by default (SSH, recorded states) they are shell assignments in front
    /// of the command, which the remote shell alone sees.
    fn run_with_env(
        &self,
        command: &str,
        env: &[(String, String)],
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<CommandOutput, TransportError> {
        self.run(&with_assignments(command, env), deadline, cancel)
    }
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
    /// Many facts in one round trip, answered in order; Ok(None) when the transport has no
    /// cheaper way than one operation per fact (local system calls).
    fn fetch_many(
        &self,
        facts: &[Fact],
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<FactValue>>, TransportError> {
        let _ = (facts, deadline, cancel);
        Ok(None)
    }
}

/// `K='v' … command`: `env` as shell assignments for the command (values quoted).
fn with_assignments(command: &str, env: &[(String, String)]) -> String {
    let mut line: String = env
        .iter()
        .map(|(k, v)| format!("{k}={} ", openssh::quote(v)))
        .collect();
    line.push_str(command);
    line
}

/// The transport for one host: this machine, an SSH target over the executor's shared
/// control directory ([`openssh::RuntimeDir::control_path`]), or a recorded state.
pub fn transport_for(
    target: &crate::host::Target,
    settings: &openssh::SshSettings,
    control_path: String,
    connect_timeout: u32,
) -> Box<dyn Transport> {
    match target {
        crate::host::Target::Local => Box::new(LocalTransport::new()),
        crate::host::Target::Ssh(t) => Box::new(SshTransport::new(
            settings,
            control_path,
            t,
            connect_timeout,
        )),
        crate::host::Target::Fixture(dir) => Box::new(fixture::FixtureTransport::open(dir)),
    }
}

/// A fact a profile will need, known before evaluation (a literal resource argument), so
/// that [`prefetch`] can read many in one round trip.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fact {
    /// `lstat` of a path ([`Host::stat`]).
    Stat(String),
    /// A file's content ([`Host::read_file`]).
    File(String),
    /// A command's output ([`Host::run`]): the exact text a resource will run.
    Command(String),
}

/// The answer to one [`Fact`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FactValue {
    Stat(Option<FileInfo>),
    File(Option<Vec<u8>>),
    Command(CommandOutput),
}

/// Reads `facts` not yet cached on `host` in one round trip where the transport can (SSH:
/// one request to the remote agent), seeding the caches so the resources that ask later cost nothing.
/// Locally it does nothing: each fact is a system call or a process anyway.
pub fn prefetch(host: &Host, facts: &[Fact]) -> Result<(), TransportError> {
    let mut wanted: Vec<Fact> = Vec::new();
    for f in facts {
        let cached = match f {
            Fact::Stat(p) => lock(&host.stats).contains_key(p),
            Fact::File(p) => lock(&host.files).contains_key(p),
            Fact::Command(c) => lock(&host.commands).contains_key(c),
        };
        if !cached && !wanted.contains(f) {
            wanted.push(f.clone());
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    host.check()?;
    let Some(values) = host
        .transport
        .fetch_many(&wanted, host.deadline, &host.cancel)?
    else {
        return Ok(());
    };
    for (fact, value) in wanted.iter().zip(values) {
        match (fact, value) {
            (Fact::Stat(p), FactValue::Stat(v)) => host.remember_stat(p, v),
            (Fact::File(p), FactValue::File(v)) => host.remember_file(p, v),
            (Fact::Command(c), FactValue::Command(v)) => host.remember_command(c, v),
            _ => {}
        }
    }
    Ok(())
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

    /// [`run`](Host::run) with `env` added to the command's environment; cached per command
    /// and environment.
    pub fn run_with_env(
        &self,
        command: &str,
        env: &[(String, String)],
    ) -> Result<CommandOutput, TransportError> {
        if env.is_empty() {
            return self.run(command);
        }
        let key = with_assignments(command, env);
        if let Some(hit) = lock(&self.commands).get(&key) {
            return Ok(hit.clone());
        }
        self.check()?;
        let out = self
            .transport
            .run_with_env(command, env, self.deadline, &self.cancel)?;
        lock(&self.commands).insert(key, out.clone());
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::testing::NullTransport;
    use super::*;

    #[test]
    fn prefetched_and_cached_facts_are_read_once() {
        let transport = NullTransport::default();
        let asked = transport.asked.clone();
        let host = Host::new(Box::new(transport), None, CancellationToken::new());
        assert_eq!(host.stat("/a").unwrap(), None);
        let facts = [
            Fact::Stat("/a".into()),
            Fact::File("/b".into()),
            Fact::File("/b".into()),
            Fact::Command("c".into()),
        ];
        prefetch(&host, &facts).unwrap();
        assert_eq!(
            asked.load(Ordering::SeqCst),
            3,
            "/a was cached, /b asked once"
        );
        prefetch(&host, &facts).unwrap();
        assert_eq!(host.read_file("/b").unwrap(), None);
        assert_eq!(host.run("c").unwrap(), CommandOutput::default());
        assert_eq!(asked.load(Ordering::SeqCst), 3, "all from the cache");
    }
}
