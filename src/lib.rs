//! ansible-inspec-rs: a compliance job executor.
//!
//! Everything outside `python/` is the pure-Rust core and builds without Python
//! (`cargo test --no-default-features`). The `python` feature adds the one binding layer.

pub mod error;
pub mod executor;
pub mod fsread;
pub mod host;
pub mod inventory;
pub mod job;
pub mod native;
pub mod oplog;
pub mod policy;
pub mod profile;
pub mod report;
pub mod runner;
pub mod schema;
pub mod store;
pub mod template;
pub mod transport;

#[cfg(feature = "python")]
mod python;

pub use error::{Error, ValidationError};
pub use executor::{Executor, ExecutorConfig};
pub use job::{Event, EventKind, HostResult, HostStatus, JobSnapshot, JobStatus};
pub use template::{Template, TemplateSpec};
