//! Open documents: their text under incremental edits, the analysis of the current
//! version (computed on demand, once per version), and the last snapshot without syntax
//! errors, which navigation falls back to while the file is broken.

use super::convert::{self, Change};
use super::imports::{self, Env, FileInfo};
use crate::index::Index;
use crate::source::{SourceFile, Span};
use crate::{Analysis, Options, Source};
use std::path::PathBuf;
use std::rc::Rc;

/// The analysis of one version of a document.
pub(crate) struct Snapshot {
    /// The document version analysed.
    pub version: i32,
    /// The text, as the library's source: the entry is the document, the map also holds
    /// the files it imports (open ones with the editor's text) and, in a workspace, the
    /// workspace's files.
    pub source: Source,
    /// Parse and check, exactly as `kiln check` (or `kiln check DIR` in a workspace):
    /// the tree is the document's, the diagnostics are those in the document.
    pub analysis: Analysis,
    /// Diagnostics of the same run in other files (imports, other workspace files).
    pub imported: Vec<crate::diag::Diagnostic>,
    /// Per file of `source.map`: its URI, canonical path, and the text version analysed.
    pub files: Vec<FileInfo>,
    /// The workspace directory, when checked as part of one.
    pub workspace: Option<PathBuf>,
    /// Definitions and references.
    pub index: Index,
    /// Whether the text parsed without errors (the tree is the whole file).
    pub syntax_ok: bool,
}

impl Snapshot {
    /// The file.
    pub fn file(&self) -> &SourceFile {
        self.source.entry_file()
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.file().text
    }
}

/// Maps offsets between an older text and the current one when they differ in one
/// region: the common prefix and suffix are the same bytes in both.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OffsetMap {
    prefix: u32,
    old_suffix_start: u32,
    new_suffix_start: u32,
}

impl OffsetMap {
    /// The map between `old` and `new`.
    pub fn new(old: &str, new: &str) -> OffsetMap {
        let (a, b) = (old.as_bytes(), new.as_bytes());
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let max_suffix = a.len().min(b.len()) - prefix;
        let suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take(max_suffix)
            .take_while(|(x, y)| x == y)
            .count();
        OffsetMap {
            prefix: prefix as u32,
            old_suffix_start: (a.len() - suffix) as u32,
            new_suffix_start: (b.len() - suffix) as u32,
        }
    }

    /// The old offset of a current one, unless it is inside the edited region.
    pub fn to_old(self, o: u32) -> Option<u32> {
        if o <= self.prefix {
            Some(o)
        } else if o >= self.new_suffix_start {
            Some(o - self.new_suffix_start + self.old_suffix_start)
        } else {
            None
        }
    }

    /// The current offset of an old one, unless it was inside the edited region.
    pub fn to_new(self, o: u32) -> Option<u32> {
        if o <= self.prefix {
            Some(o)
        } else if o >= self.old_suffix_start {
            Some(o - self.old_suffix_start + self.new_suffix_start)
        } else {
            None
        }
    }

    /// Where the edited region starts (the same offset in both texts).
    pub fn edit_start(self) -> u32 {
        self.prefix
    }

    /// The current span of an old one, when both ends are outside the edited region.
    pub fn span_to_new(self, s: Span) -> Option<Span> {
        Some(Span {
            start: self.to_new(s.start)?,
            end: self.to_new(s.end)?,
        })
    }
}

/// One open document.
pub(crate) struct Document {
    /// Its URI, as the client sent it.
    pub uri: String,
    /// Its path on disk when the URI is a `file:` URI (`file(..)` values are read relative
    /// to it, as `kiln check` does).
    path: Option<PathBuf>,
    /// Its canonical path when it exists on disk (imports of other documents match it).
    pub canon: Option<PathBuf>,
    /// The client's version of the text.
    pub version: i32,
    /// The text (shared with other documents' snapshots that import it).
    text: Rc<str>,
    /// The analysis of `version`, once computed.
    current: Option<Rc<Snapshot>>,
    /// The last snapshot whose text parsed without errors.
    good: Option<Rc<Snapshot>>,
    /// Canonical paths of the other files the last analysis read (its imports, its
    /// workspace's files): a change of one of them makes the analysis stale.
    pub deps: Vec<PathBuf>,
    /// The analysis unit of the last snapshot: the workspace directory, or the URI.
    pub unit: String,
}

impl Document {
    /// A document as opened.
    pub fn new(uri: String, version: i32, text: String) -> Document {
        let path = file_path(&uri);
        let canon = path.as_ref().and_then(|p| std::fs::canonicalize(p).ok());
        Document {
            unit: uri.clone(),
            uri,
            path,
            canon,
            version,
            text: Rc::from(text),
            current: None,
            good: None,
            deps: Vec::new(),
        }
    }

    /// Applies the changes of one `didChange`, in order. On a change whose range does not
    /// fit the text the document is left as it was and the error returned (the client and
    /// server disagree; the client's next full sync repairs it).
    pub fn apply(&mut self, version: i32, changes: Vec<Change>) -> Result<(), String> {
        let mut text = self.text.to_string();
        for c in changes {
            match c.range {
                None => text = c.text,
                Some((start, end)) => {
                    let file = SourceFile::new("", None, std::mem::take(&mut text));
                    let a = convert::offset(&file, start) as usize;
                    let b = convert::offset(&file, end) as usize;
                    let mut t = file.text;
                    if a > b || b > t.len() {
                        return Err(format!(
                            "a change from {}:{} to {}:{} does not fit the document",
                            start.line, start.character, end.line, end.character
                        ));
                    }
                    t.replace_range(a..b, &c.text);
                    text = t;
                }
            }
        }
        self.text = Rc::from(text);
        self.version = version;
        self.current = None;
        Ok(())
    }

    /// Forgets the analysis of the current version (a file it read changed).
    pub fn invalidate(&mut self) {
        self.current = None;
    }

    /// What other documents' imports see of this one.
    pub fn overlay(&self) -> Option<imports::Overlay> {
        Some(imports::Overlay {
            uri: self.uri.clone(),
            path: self.path.clone()?,
            canon: self.canon.clone(),
            version: self.version,
            text: self.text.clone(),
        })
    }

    /// The analysis of the current version, alone (no other open document), computed
    /// now if needed.
    #[cfg(test)]
    pub fn snapshot(&mut self, options: &Options) -> Rc<Snapshot> {
        self.snapshot_in(options, &Env::default())
    }

    /// The analysis of the current version, computed now if needed; imports of open
    /// documents use their text in `env`.
    pub fn snapshot_in(&mut self, options: &Options, env: &Env) -> Rc<Snapshot> {
        if let Some(s) = &self.current
            && s.version == self.version
        {
            return s.clone();
        }
        let name = self
            .path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| self.uri.clone());
        let loaded = imports::load(&name, self.path.as_ref(), self.version, &self.text, env);
        let imports::Loaded {
            map,
            analyzed,
            doc,
            workspace,
            mut files,
        } = loaded;
        let run = Source {
            map,
            entry: analyzed,
        };
        let mut analysis = crate::analyze(&run, options);
        let source = Source {
            map: run.map,
            entry: doc,
        };
        if analyzed != doc {
            // A workspace: the tree the features read is the document's own.
            analysis.ast = crate::syntax::parse(doc, &source.entry_file().text).0;
        }
        let all = std::mem::take(&mut analysis.diagnostics.0);
        let mut imported = Vec::new();
        for d in all {
            let f = d.primary.loc.file;
            if f == doc {
                analysis.diagnostics.0.push(d);
            } else if f != analyzed {
                imported.push(d);
            }
        }
        if let Some(f) = files.get_mut(doc.0 as usize) {
            f.uri = Some(self.uri.clone());
        }
        let syntax_ok = !analysis
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.code.as_str().starts_with("K00"));
        let index = Index::build(&analysis.ast);
        self.deps = files
            .iter()
            .enumerate()
            .filter(|(i, _)| *i as u32 != doc.0)
            .filter_map(|(_, f)| f.canon.clone())
            .chain(workspace.clone())
            .collect();
        self.unit = match &workspace {
            Some(w) => format!("workspace:{}", w.display()),
            None => self.uri.clone(),
        };
        let snap = Rc::new(Snapshot {
            version: self.version,
            source,
            analysis,
            imported,
            files,
            workspace,
            index,
            syntax_ok,
        });
        if syntax_ok {
            self.good = Some(snap.clone());
        }
        self.current = Some(snap.clone());
        snap
    }

    /// The last snapshot without syntax errors and the offset map from it to the current
    /// text, when the current text has syntax errors (None when the current snapshot is
    /// itself good, or nothing good was ever seen).
    pub fn last_good(&self) -> Option<(Rc<Snapshot>, OffsetMap)> {
        let current = self.current.as_ref()?;
        if current.syntax_ok {
            return None;
        }
        let good = self.good.as_ref()?;
        Some((good.clone(), OffsetMap::new(good.text(), &self.text)))
    }
}

/// The path of a `file:` URI (percent-decoded), if it is one.
pub(crate) fn file_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file:///path` or `file://localhost/path`.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = rest.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    let s = String::from_utf8(out).ok()?;
    // Windows: `/c:/dir/file` is `c:/dir/file`.
    let s = match s.as_bytes() {
        [b'/', d, b':', ..] if d.is_ascii_alphabetic() => s[1..].to_string(),
        _ => s,
    };
    Some(PathBuf::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::convert::Pos;

    #[test]
    fn incremental_edits_in_utf16() {
        let mut d = Document::new("untitled:x".into(), 1, "a = \"é😀\"\nbc\n".into());
        // Replace `😀` (UTF-16 columns 6..8) by `ok`.
        d.apply(
            2,
            vec![Change {
                range: Some((
                    Pos {
                        line: 0,
                        character: 6,
                    },
                    Pos {
                        line: 0,
                        character: 8,
                    },
                )),
                text: "ok".into(),
            }],
        )
        .unwrap();
        assert_eq!(&*d.text, "a = \"éok\"\nbc\n");
        d.apply(
            3,
            vec![
                Change {
                    range: Some((
                        Pos {
                            line: 1,
                            character: 0,
                        },
                        Pos {
                            line: 1,
                            character: 1,
                        },
                    )),
                    text: "B".into(),
                },
                Change {
                    range: None,
                    text: "new".into(),
                },
            ],
        )
        .unwrap();
        assert_eq!((&*d.text, d.version), ("new", 3));
    }

    #[test]
    fn offset_map_skips_the_edited_region() {
        let m = OffsetMap::new("abcXYZdef", "abcQdef");
        assert_eq!(m.to_old(2), Some(2));
        assert_eq!(m.to_old(4), Some(6));
        assert_eq!(m.to_new(8), Some(6));
        assert_eq!(m.to_new(4), None);
        let same = OffsetMap::new("abc", "abc");
        assert_eq!(same.to_new(3), Some(3));
    }

    #[test]
    fn file_uris() {
        assert_eq!(
            file_path("file:///home/me/my%20app/app.kiln"),
            Some(PathBuf::from("/home/me/my app/app.kiln"))
        );
        assert_eq!(file_path("untitled:Untitled-1"), None);
    }
}
