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

pub mod cmp;
pub mod coverage;
pub mod interp;
pub mod matchers;
pub mod prepare;
pub mod resources;
pub mod results;
pub mod rx;
pub mod transport;
pub mod value;

pub use coverage::{coverage, coverage_with, Catalogue, Coverage};
pub use interp::evaluate;

#[cfg(test)]
mod profile_tests;
