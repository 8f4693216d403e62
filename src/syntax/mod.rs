//! Syntax: the pest grammar (`grammar/kiln.pest`) behind [`parse`], the AST ([`ast`]) and
//! the formatter ([`fmt`]). No pest type leaves this module.

pub mod ast;
mod errors;
pub mod fmt;
mod parse;
// The language server's completion reads the token stream of the text before the cursor
// (the same lexical rules, no second lexer).
pub(crate) mod scan;

pub use parse::parse;
#[doc(hidden)]
pub use parse::testing;
pub use parse::{MAX_ERRORS, MAX_FILE_BYTES, RESERVED};
