//! Native InSpec evaluation: profiles run with no Ruby, no InSpec and no agent.
//!
//! - [`value`]: the interpreter's values, shared with the resources;
//! - [`transport`]: how facts are read from a target (`local://` or one multiplexed SSH
//!   connection), with a per-host cache ([`transport::Host`]);
//! - [`resources`]: InSpec's resources (`file`, `package`, `sshd_config`, ...) built on a
//!   transport, each exposing InSpec's properties and predicates by name;
//! - the interpreter (Ruby subset), matchers, results and static coverage.
//!
//! Everything here is synchronous: one host's evaluation runs on a blocking thread, and the
//! transport bounds every remote or local command in time and honours cancellation.

pub mod resources;
pub mod transport;
pub mod value;

// ---- placeholders until the interpreter and transports land (lead's branch only) ----
pub struct LocalTransport;
impl LocalTransport {
    pub fn new() -> Self {
        LocalTransport
    }
}
pub struct SshTransport;
impl SshTransport {
    pub fn new(
        _s: &crate::runner::SshSettings,
        _c: String,
        _t: &crate::host::SshTarget,
        _ct: u32,
    ) -> Self {
        SshTransport
    }
}
impl transport::Transport for LocalTransport {
    fn run(&self, _: &str, _: Option<std::time::Instant>, _: &tokio_util::sync::CancellationToken) -> Result<transport::CommandOutput, transport::TransportError> { unimplemented!() }
    fn read_file(&self, _: &str, _: Option<std::time::Instant>, _: &tokio_util::sync::CancellationToken) -> Result<Option<Vec<u8>>, transport::TransportError> { unimplemented!() }
    fn stat(&self, _: &str, _: Option<std::time::Instant>, _: &tokio_util::sync::CancellationToken) -> Result<Option<transport::FileInfo>, transport::TransportError> { unimplemented!() }
    fn kind(&self) -> &'static str { "local" }
}
impl transport::Transport for SshTransport {
    fn run(&self, _: &str, _: Option<std::time::Instant>, _: &tokio_util::sync::CancellationToken) -> Result<transport::CommandOutput, transport::TransportError> { unimplemented!() }
    fn read_file(&self, _: &str, _: Option<std::time::Instant>, _: &tokio_util::sync::CancellationToken) -> Result<Option<Vec<u8>>, transport::TransportError> { unimplemented!() }
    fn stat(&self, _: &str, _: Option<std::time::Instant>, _: &tokio_util::sync::CancellationToken) -> Result<Option<transport::FileInfo>, transport::TransportError> { unimplemented!() }
    fn kind(&self) -> &'static str { "ssh" }
}
pub fn evaluate(_p: &crate::profile::Profile, _h: std::sync::Arc<transport::Host>, _i: &serde_json::Map<String, serde_json::Value>) -> Vec<crate::job::ControlResult> { Vec::new() }
pub fn blocked_controls(_p: &crate::profile::Profile) -> Vec<String> { Vec::new() }
pub fn prepare(_p: &crate::profile::Profile, _h: &transport::Host) -> Result<(), transport::TransportError> { Ok(()) }
