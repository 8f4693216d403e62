//! Syntax: the pest grammar (`grammar/kiln.pest`) behind [`parse`], the AST ([`ast`]) and
//! the formatter ([`fmt`]). No pest type leaves this module.

pub mod ast;
pub mod fmt;
mod parse;

pub use parse::parse;
