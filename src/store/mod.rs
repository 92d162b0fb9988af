//! Where templates (and, with the durable stores of a later issue, jobs) are kept.

pub mod memory;

pub use memory::MemoryTemplates;

/// The store URL forms the executor accepts today.
pub fn backend_name(url: Option<&str>) -> Result<&'static str, crate::error::ValidationError> {
    match url {
        None | Some("memory" | "memory://" | ":memory:") => Ok("memory"),
        Some(other) => Err(crate::error::ValidationError::new(
            "store",
            format!("unsupported store URL {other:?}: only memory (None or \"memory://\") is available in this build"),
        )),
    }
}
