//! Diagnostics as data: every stage returns [`Diagnostic`]s (never panics, never prints);
//! [`render`] is the only place that turns them into text or JSON.
//!
//! Codes live in one table ([`codes`]); a diagnostic refers to its entry, so the message
//! the user sees, `kiln explain`, and `docs/diagnostics.md` come from one source.

pub mod codes;
pub mod render;
pub mod suggest;

use crate::source::{FileId, Loc, Span};
pub use codes::Code;

/// How serious a diagnostic is. Errors fail `check`/`compile` (exit 2); warnings do not
/// unless `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The input is wrong; no output is produced.
    Error,
    /// The input compiles, but a human should look (a relaxation, a risk).
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span in a file with a short message saying what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub loc: Loc,
    /// What, in a few words (may be empty).
    pub message: String,
}

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code (`K0101`), which also fixes the default severity.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// One line: lowercase, no trailing period, identifiers in backticks.
    pub message: String,
    /// The offending place.
    pub primary: Label,
    /// Other places that matter (the first definition of a duplicate, the cycle's links).
    pub secondary: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
    /// Extra facts (e.g. the whole cycle, spelled out).
    pub notes: Vec<String>,
    /// Source ranges the rendered snippet must not show (a value that looks like a
    /// credential, K0912): text rendering prints `*` in their place.
    pub redact: Vec<Loc>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity, pointing at `span` in `file`.
    pub fn new(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.info().severity,
            message: message.into(),
            primary: Label {
                loc: Loc { file, span },
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
            notes: Vec::new(),
            redact: Vec::new(),
        }
    }

    /// Sets the primary label's text.
    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary label.
    pub fn secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            loc: Loc { file, span },
            message: message.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Hides a source range from the rendered snippet (see [`Diagnostic::redact`]).
    pub fn redact(mut self, file: FileId, span: Span) -> Self {
        self.redact.push(Loc { file, span });
        self
    }

    /// Overrides the severity (e.g. a relaxed check downgraded to a warning).
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics of one run, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// Whether any is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Appends all of `other`.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// Sorts by file and position (stable, so same-place diagnostics keep their order);
    /// output order must not depend on traversal details.
    pub fn sort(&mut self) {
        self.0
            .sort_by_key(|d| (d.primary.loc.file, d.primary.loc.span.start, d.severity));
    }

    /// Iterates.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Number of diagnostics.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
