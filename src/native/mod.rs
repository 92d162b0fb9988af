//! Native InSpec evaluation: profiles run with no Ruby, no InSpec and no agent. Three
//! layers, each importing only from the ones below it (`tests/layers.rs` checks):
//!
//! - [`ruby`]: the Ruby subset — values, regexps, the interpreter, Ruby's core classes and
//!   methods, and the interface of the resources a value may hold;
//! - [`resources`]: InSpec's resources (`file`, `package`, `sshd_config`, ...) built on a
//!   transport ([`crate::transport`]: `local://` or one multiplexed SSH connection, with a
//!   per-host cache), each exposing InSpec's properties and predicates by name;
//! - [`inspec`]: InSpec's DSL, matchers, `cmp`, FilterTable and result records;
//!   [`evaluate`] runs a parsed profile on a [`crate::transport::Host`] and returns one
//!   `ControlResult` per control;
//!
//! and on top, [`prepare`] (the facts a profile will read, fetched up front) and
//! [`coverage`]: which controls run natively, statically, against the resource catalogue
//! ([`coverage`] uses the registry, [`coverage_with`] a given [`Catalogue`]).
//!
//! A construct outside the subset skips its control with a message naming it and its
//! `file:line`; coverage reports the same constructs, so the two agree.
//!
//! Everything here is synchronous: one host's evaluation runs on a blocking thread, and the
//! transport bounds every remote or local command in time and honours cancellation.

pub mod coverage;
pub mod inspec;
pub mod prepare;
pub mod resources;
pub mod ruby;

pub use coverage::{coverage, coverage_with, Catalogue, Coverage};
pub use inspec::run::{evaluate, evaluate_selected, LoadFailed};

#[cfg(test)]
mod breadth_tests;
#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod fact_count_tests;
#[cfg(test)]
mod file_reader_tests;
#[cfg(test)]
mod fixture_tests;
#[cfg(test)]
mod library_class_tests;
#[cfg(test)]
pub(crate) mod overlay_tests;
#[cfg(test)]
mod profile_idiom_tests;
#[cfg(test)]
mod profile_tests;
#[cfg(test)]
mod resource_examples;
#[cfg(test)]
mod rspec_tests;
#[cfg(test)]
mod ruby_errors_tests;
#[cfg(test)]
mod ruby_procs_tests;
#[cfg(test)]
mod skip_state_tests;
#[cfg(test)]
pub mod testing;
#[cfg(test)]
mod wording_tests;
