//! A transport that reads nothing, for tests of the host cache and of what reads facts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::{CommandOutput, Fact, FactValue, FileInfo, Transport, TransportError};

/// Reads nothing (every fact is absent, every command prints nothing) and counts the facts
/// asked of it; answers many in one call, as a batching transport does.
#[derive(Default)]
pub struct NullTransport {
    pub asked: Arc<AtomicUsize>,
}

impl NullTransport {
    fn ask(&self, n: usize) {
        self.asked.fetch_add(n, Ordering::SeqCst);
    }
}

impl Transport for NullTransport {
    fn run(
        &self,
        _: &str,
        _: Option<Instant>,
        _: &CancellationToken,
    ) -> Result<CommandOutput, TransportError> {
        self.ask(1);
        Ok(CommandOutput::default())
    }
    fn read_file(
        &self,
        _: &str,
        _: Option<Instant>,
        _: &CancellationToken,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        self.ask(1);
        Ok(None)
    }
    fn stat(
        &self,
        _: &str,
        _: Option<Instant>,
        _: &CancellationToken,
    ) -> Result<Option<FileInfo>, TransportError> {
        self.ask(1);
        Ok(None)
    }
    fn kind(&self) -> &'static str {
        "local"
    }
    fn fetch_many(
        &self,
        facts: &[Fact],
        _: Option<Instant>,
        _: &CancellationToken,
    ) -> Result<Option<Vec<FactValue>>, TransportError> {
        self.ask(facts.len());
        Ok(Some(
            facts
                .iter()
                .map(|f| match f {
                    Fact::Stat(_) => FactValue::Stat(None),
                    Fact::File(_) => FactValue::File(None),
                    Fact::Command(_) => FactValue::Command(CommandOutput::default()),
                })
                .collect(),
        ))
    }
}

/// Another transport, with every fact asked of it written down (`run:CMD`, `read:PATH`,
/// `stat:PATH`), so a test can bound how often a profile reaches the target.
pub struct CountingTransport {
    inner: Box<dyn Transport>,
    pub asked: Arc<std::sync::Mutex<Vec<String>>>,
}

impl CountingTransport {
    pub fn new(inner: Box<dyn Transport>) -> Self {
        CountingTransport {
            inner,
            asked: Arc::default(),
        }
    }
    fn note(&self, what: String) {
        self.asked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(what);
    }
}

impl Transport for CountingTransport {
    fn run(
        &self,
        command: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<CommandOutput, TransportError> {
        self.note(format!("run:{command}"));
        self.inner.run(command, deadline, cancel)
    }
    fn read_file(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<Vec<u8>>, TransportError> {
        self.note(format!("read:{path}"));
        self.inner.read_file(path, deadline, cancel)
    }
    fn stat(
        &self,
        path: &str,
        deadline: Option<Instant>,
        cancel: &CancellationToken,
    ) -> Result<Option<FileInfo>, TransportError> {
        self.note(format!("stat:{path}"));
        self.inner.stat(path, deadline, cancel)
    }
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
}
