//! Printing: diagnostics (text on stderr, or JSON lines on stdout) and one-line failures.

use super::args::{Color, Format};
use crate::diag::{Diagnostic, Severity, render};
use crate::source::SourceMap;
use std::io::{IsTerminal, Write};

/// How diagnostics are printed in this run.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// Text or JSON.
    pub format: Format,
    /// Whether text output is coloured.
    pub color: bool,
}

impl Printer {
    /// Resolves `--color auto` against stderr.
    pub fn new(format: Format, color: Color) -> Printer {
        let color = match color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Printer { format, color }
    }

    /// Prints diagnostics in the chosen format.
    pub fn diagnostics(&self, diags: &[Diagnostic], sources: &SourceMap) {
        if diags.is_empty() {
            return;
        }
        match self.format {
            Format::Text => {
                let text = render::to_text(diags, sources, self.color);
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
            Format::Json => {
                let text = render::to_json_lines(diags, sources);
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
            }
        }
    }

    /// Prints a failure that has no source location (I/O, bad argument).
    pub fn failure(&self, message: &str) {
        match self.format {
            Format::Text => {
                let (start, end) = if self.color {
                    ("\x1b[1;31m", "\x1b[0m")
                } else {
                    ("", "")
                };
                eprintln!("{start}error{end}: {message}");
            }
            Format::Json => {
                let v =
                    serde_json::json!({ "severity": "error", "code": null, "message": message });
                println!("{v}");
            }
        }
    }

    /// Prints the closing count line (text format only).
    pub fn summary(&self, errors: usize, warnings: usize) {
        if self.format != Format::Text || errors + warnings == 0 {
            return;
        }
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let mut parts = Vec::new();
        if errors > 0 {
            parts.push(plural(errors, "error"));
        }
        if warnings > 0 {
            parts.push(plural(warnings, "warning"));
        }
        eprintln!("{}", parts.join(", "));
    }
}

/// Counts errors and warnings.
pub fn count(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, diags.len() - errors)
}
