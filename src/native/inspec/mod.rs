//! InSpec on top of the Ruby layer ([`crate::native::ruby`]) and the resources
//! ([`crate::native::resources`]): the DSL (`control`, `describe`, `its`, `expect`, [`dsl`]),
//! matchers with RSpec's descriptions and messages ([`matchers`], [`cmp`]), FilterTable
//! generics ([`table`]), InSpec's result records and wording ([`results`]), and the
//! evaluation of a whole profile ([`run`]).

pub mod cmp;
pub mod dsl;
pub mod matchers;
pub mod results;
pub mod run;
pub mod table;
