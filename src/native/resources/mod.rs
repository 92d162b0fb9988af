//! InSpec's resources, natively. Each is created by name from evaluated arguments on a
//! [`Host`](super::transport::Host) and answers InSpec's properties and predicates by name
//! (`mode`, `exist?`, `installed?`, `stdout`); matchers such as `be_owned_by('root')` reach
//! the predicate `owned_by?` with the same arguments.

use std::sync::Arc;

use super::transport::Host;
use super::value::{Table, Value};

/// Why a resource could not answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// The property or predicate is not implemented: the control is skipped, naming it.
    #[error("`{resource}` has no property `{method}` in the native evaluator")]
    Unsupported { resource: String, method: String },
    /// The resource does not apply to this target (InSpec's `skip_resource`), e.g.
    /// `rpm` packages on Debian: the describe is skipped with this message.
    #[error("{0}")]
    Skip(String),
    /// Reading the facts failed (unreachable host, timeout, cancel, parse error).
    #[error("{0}")]
    Failed(String),
}

/// One resource instance. Facts are fetched lazily (on the first property that needs them)
/// and kept for the life of the instance.
pub trait Resource: Send + Sync {
    /// The resource's InSpec name (`file`, `kernel_parameter`).
    fn name(&self) -> &str;
    /// InSpec's `to_s`, the subject of `code_desc`: `File /etc/passwd`,
    /// `Kernel Parameter net.ipv4.ip_forward`, `Command: \`ls\``.
    fn to_s(&self) -> String;
    /// A property or predicate by its InSpec name, with evaluated arguments.
    fn call(&self, method: &str, args: &[Value]) -> Result<Value, ResourceError>;
    /// For FilterTable resources: their rows (the interpreter implements `where`, `entries`,
    /// plural accessors, `count`, `exist?` from them). None: not a table.
    fn table(&self) -> Result<Option<Arc<Table>>, ResourceError> {
        Ok(None)
    }
}

/// Creates resource `name` with evaluated arguments on `host`. None: no native resource of
/// that name (the interpreter then tries the profile's own library resources, else skips the
/// control naming the resource).
pub fn create(
    name: &str,
    args: &[Value],
    host: &Arc<Host>,
) -> Option<Result<Arc<dyn Resource>, ResourceError>> {
    let _ = (name, args, host);
    None
}

/// The names of the native resources, sorted (for static coverage).
pub fn names() -> &'static [&'static str] {
    &[]
}

/// The properties and predicates a native resource implements (for static coverage: a
/// control calling anything else is reported as blocked). None: unknown resource.
pub fn methods(name: &str) -> Option<&'static [&'static str]> {
    let _ = name;
    None
}
