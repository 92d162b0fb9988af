//! InSpec on top of the Ruby layer ([`crate::native::ruby`]) and the resources
//! ([`crate::native::resources`]): the DSL (`control`, `describe`, `its`, `expect`, [`dsl`]),
//! matchers with RSpec's descriptions and messages ([`matchers`], [`cmp`]), FilterTable
//! generics ([`table`], with [`trace`]: how a `where` block is described), InSpec's result records and wording ([`results`]), and the
//! evaluation of a whole profile ([`run`]), and whether inspec.yml's `supports` lets a
//! profile run on the target ([`supports`]). [`embedding`] is how the interpreter reaches
//! all of it: the only door from the Ruby layer up to InSpec.

pub mod cmp;
pub mod context_names;
pub mod deprecations;
pub mod dsl;
pub mod embedding;
pub mod matchers;
pub mod overlay;
pub mod resource_classes;
pub mod results;
pub mod run;
pub mod self_returning;
pub mod supports;
pub mod table;
pub mod trace;
pub mod undefined;

pub use embedding::{Inspec, Interp};
