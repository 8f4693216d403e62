//! The formatter: canonical layout of a parsed file, comments kept.

use super::ast;

/// Formats a parsed file in kiln's canonical layout. Placeholder: returns the source
/// unchanged until the formatter lands.
pub fn format(_file: &ast::File, source: &str) -> String {
    source.to_string()
}
