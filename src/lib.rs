//! ansible-inspec-rs: a compliance job executor.
//!
//! Everything outside `python/` is the pure-Rust core and builds without Python
//! (`cargo test --no-default-features`). The `python` feature adds the one binding layer.

pub mod allocator;
pub mod error;
pub mod executor;
pub mod fsread;
pub mod host;
pub mod inventory;
pub mod job;
pub mod native;
pub mod policy;
pub mod profile;
pub mod report;
pub mod runner;
pub mod store;
pub mod template;
pub mod transport;

#[cfg(feature = "python")]
mod python;

// The extension allocates many small objects (the profile parser's tokens and syntax trees);
// mimalloc is markedly faster than the system allocator for that. Only in the Python build:
// `cargo test --no-default-features` keeps the system allocator.
#[cfg(feature = "python")]
#[global_allocator]
static GLOBAL: allocator::MiMalloc = allocator::MiMalloc;

pub use error::{Error, ValidationError};
pub use executor::{Executor, ExecutorConfig};
pub use job::{Event, EventKind, HostResult, HostStatus, JobSnapshot, JobStatus};
pub use template::{Template, TemplateSpec};
