//! Turning diagnostics into text: rustc-style with codespan-reporting (the only user of
//! that crate), or JSON for pipelines and editors.

use super::{Diagnostic, Severity};
use crate::source::{FileId, SourceMap};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;

/// codespan-reporting's view of our [`SourceMap`].
struct View<'a>(&'a SourceMap);

impl<'a> Files<'a> for View<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.0.get(id).name)
    }
    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.0.get(id).text)
    }
    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.0.get(id).line_col(byte_index as u32).line as usize)
    }
    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, FilesError> {
        let f = self.0.get(id);
        if line_index >= f.line_count() {
            return Err(FilesError::LineTooLarge {
                given: line_index,
                max: f.line_count() - 1,
            });
        }
        Ok(f.line_start(line_index as u32) as usize..f.line_start(line_index as u32 + 1) as usize)
    }
}

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<FileId> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let mut labels = vec![
        cs::Label::primary(d.primary.loc.file, d.primary.loc.span.range())
            .with_message(&d.primary.message),
    ];
    labels.extend(
        d.secondary
            .iter()
            .map(|l| cs::Label::secondary(l.loc.file, l.loc.span.range()).with_message(&l.message)),
    );
    let mut notes: Vec<String> = d.notes.clone();
    if let Some(h) = &d.help {
        notes.push(format!("help: {h}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders diagnostics as rustc-style text, with ANSI colour when `color` is set.
pub fn to_text(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let config = term::Config::default();
    let mut out = String::new();
    for d in diags {
        let hidden;
        let view = if d.redact.is_empty() {
            View(sources)
        } else {
            hidden = redacted(sources, &d.redact);
            View(&hidden)
        };
        let cd = to_codespan(d);
        if color {
            let mut buf = term::termcolor::Ansi::new(Vec::new());
            if term::emit_to_write_style(&mut buf, &config, &view, &cd).is_ok() {
                out.push_str(&String::from_utf8_lossy(&buf.into_inner()));
            }
        } else {
            // Spans come from our own parser, so rendering cannot fail; if it ever did,
            // fall back to a one-line form rather than lose the diagnostic.
            if term::emit_to_string(&mut out, &config, &view, &cd).is_err() {
                out.push_str(&format!(
                    "{}[{}]: {}\n",
                    d.severity.as_str(),
                    d.code,
                    d.message
                ));
            }
        }
    }
    out
}

/// A copy of `sources` with every redacted range shown as `*` (one per byte, line breaks
/// kept, so every offset and line stays where it was).
fn redacted(sources: &SourceMap, ranges: &[crate::source::Loc]) -> SourceMap {
    let mut out = SourceMap::new();
    for (id, f) in sources.iter() {
        let mut bytes = f.text.clone().into_bytes();
        for r in ranges.iter().filter(|r| r.file == id) {
            let end = (r.span.end as usize).min(bytes.len());
            for b in bytes.iter_mut().take(end).skip(r.span.start as usize) {
                if *b != b'\n' && *b != b'\r' {
                    *b = b'*';
                }
            }
        }
        let text = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        out.add(crate::source::SourceFile::new(
            f.name.clone(),
            f.path.clone(),
            text,
        ));
    }
    out
}

/// One diagnostic as a JSON value: code, severity, message, file, 1-based line/column
/// range of the primary label, all labels, help and notes.
pub fn to_json_value(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let label = |l: &super::Label, primary: bool| {
        let f = sources.get(l.loc.file);
        let s = f.line_col(l.loc.span.start);
        let e = f.line_col(l.loc.span.end);
        serde_json::json!({
            "file": f.name,
            "primary": primary,
            "message": l.message,
            "start": { "offset": l.loc.span.start, "line": s.line + 1, "column": s.col + 1 },
            "end": { "offset": l.loc.span.end, "line": e.line + 1, "column": e.col + 1 },
        })
    };
    let p = label(&d.primary, true);
    let mut labels = vec![p.clone()];
    labels.extend(d.secondary.iter().map(|l| label(l, false)));
    serde_json::json!({
        "code": d.code.as_str(),
        "severity": d.severity.as_str(),
        "message": d.message,
        "file": p["file"],
        "start": p["start"],
        "end": p["end"],
        "labels": labels,
        "help": d.help,
        "notes": d.notes,
    })
}

/// Renders diagnostics as JSON lines: one object per diagnostic, one per line.
pub fn to_json_lines(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&to_json_value(d, sources).to_string());
        out.push('\n');
    }
    out
}
