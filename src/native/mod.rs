//! Native InSpec evaluation: profiles run with no Ruby, no InSpec and no agent.
//!
//! - [`value`]: the interpreter's values, shared with the resources;
//! - [`resources`]: InSpec's resources (`file`, `package`, `sshd_config`, ...) built on a
//!   transport ([`crate::transport`]: `local://` or one multiplexed SSH connection, with a
//!   per-host cache), each exposing InSpec's properties and predicates by name;
//! - [`interp`]: the interpreter of the Ruby subset and InSpec's DSL; [`evaluate`] runs a
//!   parsed profile on a [`crate::transport::Host`] and returns one `ControlResult` per control;
//! - [`matchers`] and [`cmp`]: InSpec's matchers with RSpec's descriptions and messages;
//! - [`rx`]: Ruby regexps on the `regex` crate;
//! - [`results`]: InSpec's result records and wording;
//! - [`coverage`]: which controls run natively, statically, against the resource catalogue
//!   ([`coverage`] uses the registry, [`coverage_with`] a given [`Catalogue`]).
//!
//! A construct outside the subset skips its control with a message naming it and its
//! `file:line`; coverage reports the same constructs, so the two agree.
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
pub mod value;

pub use coverage::{coverage, coverage_with, Catalogue, Coverage};
pub use interp::evaluate;

#[cfg(test)]
mod profile_tests;
