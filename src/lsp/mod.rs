//! The language server: `kiln lsp` speaks LSP 3.17 over stdio.
//!
//! It shares the library's analysis: every edit runs [`crate::analyze`] (the same parse
//! and check as `kiln check`) and [`crate::index::Index::build`]; hover and completion
//! read the block schemas ([`crate::check::schema`]), formatting is
//! [`crate::syntax::fmt::format`], the preview is [`crate::compile`]. Nothing here
//! parses or checks kiln on its own.
//!
//! Layout (as in rust-analyzer, only the outer layer knows the protocol):
//!
//! - [`transport`]: framing over stdio, robust to malformed messages;
//! - `server`: the lifecycle (initialize / shutdown / exit), the main loop, request
//!   dispatch, cancellation of stale requests, debounced diagnostics, and the last line
//!   of defence (a panicking handler becomes an error response and a log line);
//! - `document`: open documents, incremental edits, analysis snapshots, and the last
//!   snapshot without syntax errors (navigation keeps working while the file is broken);
//! - `hover`, `completion`, `navigation`, `actions`, `preview`: the features, on byte
//!   offsets and spans, with no protocol type;
//! - `convert`: the only user of `lsp-types`: protocol types in, protocol types out,
//!   UTF-16 positions.

mod actions;
mod completion;
mod context;
mod convert;
mod document;
mod hover;
mod imports;
mod navigation;
mod preview;
mod server;
pub mod transport;

use crate::source::Span;

pub use server::serve;

/// Runs the server over stdin/stdout until `exit` or the end of input; returns the process
/// exit code (0 after `shutdown` then `exit`, 1 otherwise, as the protocol says).
pub fn run_stdio() -> u8 {
    let (connection, threads) = transport::stdio();
    let code = serve(connection);
    threads.join();
    code
}

/// A hover: Markdown, and the span it is about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hover {
    pub markdown: String,
    pub span: Span,
}

/// What a completion item is, for the editor's icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemKind {
    Field,
    Block,
    Keyword,
    EnumWord,
    Value,
    Reference,
    Variable,
    Snippet,
}

/// One completion item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Completion {
    pub label: String,
    pub kind: ItemKind,
    /// One line (the type of a field).
    pub detail: Option<String>,
    /// Markdown documentation.
    pub doc: Option<String>,
    /// What is inserted (a snippet when `snippet`).
    pub insert: String,
    pub snippet: bool,
    /// The text the insertion replaces (the word typed so far).
    pub replace: Span,
    /// Sort key (items are also grouped: fields before blocks before the rest).
    pub sort: String,
}

/// A text edit on the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    pub span: Span,
    pub text: String,
}

/// A quick fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Action {
    pub title: String,
    pub edits: Vec<Edit>,
    /// The diagnostic it fixes (an index into the snapshot's diagnostics).
    pub diagnostic: Option<usize>,
    /// Whether the editor may apply it as the fix (a did-you-mean).
    pub preferred: bool,
}

/// One entry of the outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outline {
    pub name: String,
    pub detail: String,
    pub kind: crate::index::SymbolKind,
    pub span: Span,
    pub name_span: Span,
    pub children: Vec<Outline>,
}

#[cfg(test)]
mod tests {
    //! Every feature at every few offsets of every fixture and example, whole and cut
    //! short (as while typing): nothing panics, and every span returned lies in the text.

    use super::document::Document;
    use super::navigation::Views;
    use super::*;
    use crate::Options;

    fn kiln_files() -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("tests/fixtures"), root.join("examples")];
        while let Some(d) = dirs.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "kiln") {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    fn sweep(before: &str, text: &str, step: usize) {
        let opts = Options::default();
        let mut d = Document::new("untitled:sweep".into(), 1, before.to_string());
        let _ = d.snapshot(&opts);
        d.apply(
            2,
            vec![convert::Change {
                range: None,
                text: text.to_string(),
            }],
        )
        .unwrap();
        let snap = d.snapshot(&opts);
        let views = Views {
            current: snap.clone(),
            good: d.last_good(),
        };
        let good = views.good.as_ref().map(|(g, m)| (g.as_ref(), *m));
        let len = text.len() as u32;
        let inside = |s: crate::source::Span| s.start <= s.end && s.end <= len;
        for o in (0..=text.len()).step_by(step) {
            if !text.is_char_boundary(o) {
                continue;
            }
            let o = o as u32;
            if let Some(h) = hover::hover(&snap, o) {
                assert!(inside(h.span));
            }
            for c in completion::complete(&snap, good, o, true) {
                assert!(inside(c.replace), "{c:?} at {o}");
            }
            let path = std::path::Path::new("/nonexistent/kiln/doc.kiln");
            for c in imports::complete(text, o, Some(path), None).unwrap_or_default() {
                assert!(inside(c.replace), "{c:?} at {o}");
            }
            if let Some(h) = imports::hover(&snap, o) {
                assert!(inside(h.span));
            }
            let _ = imports::definition(&snap, o);
            assert!(views.definition(o).into_iter().all(inside));
            assert!(views.references(o, true).into_iter().all(inside));
            if let Some((s, _)) = navigation::prepare_rename(&snap, o) {
                assert!(inside(s));
                let _ = navigation::rename(&snap, o, "renamed");
            }
        }
        for a in actions::actions(&snap, 0, len) {
            assert!(a.edits.iter().all(|e| inside(e.span)));
        }
        let _ = views.outline();
    }

    #[test]
    fn no_panic_anywhere() {
        let files = kiln_files();
        assert!(files.len() > 50, "fixtures not found");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            sweep(&text, &text, 3);
            // Cut short at a few places: the tail is what is still to be typed.
            for cut in [text.len() / 3, text.len() / 2, text.len() * 4 / 5] {
                let mut c = cut;
                while !text.is_char_boundary(c) {
                    c -= 1;
                }
                sweep(&text, &text[..c], 7);
            }
        }
    }
}
