//! Source files and positions: every stage points at source through a [`FileId`] and a
//! byte [`Span`]; line/column (and UTF-16 for the language server) are computed here only.

use std::path::PathBuf;

/// A half-open byte range `[start, end)` into one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// As a `usize` range, for slicing source text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Whether `offset` lies inside the span (the end counts, for cursors).
    pub fn contains(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }
}

/// Identifies one file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A place in source: a file and a span in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Loc {
    /// The file.
    pub file: FileId,
    /// The bytes.
    pub span: Span,
}

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown in diagnostics (the path as the user gave it, or `<stdin>`).
    pub name: String,
    /// Where the file lives on disk, if it does (imports and `file(..)` resolve from here).
    pub path: Option<PathBuf>,
    /// The full text.
    pub text: String,
    /// Set when the file on disk is not UTF-8: `text` is then a lossy copy (every byte
    /// before the offset exact) for showing the place, and is never parsed.
    pub not_utf8: Option<NotUtf8>,
    /// Where each line starts, computed on first use: a compile that reports nothing
    /// never needs it, and building it for a 5 MB file was serial start-up time.
    line_starts: std::sync::OnceLock<Vec<u32>>,
}

/// Where a file stops being UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotUtf8 {
    /// Byte offset of the first invalid sequence (the same in the file and in the lossy
    /// text, which are equal before it).
    pub offset: u32,
    /// The invalid bytes (one to three).
    pub bytes: Vec<u8>,
}

/// A zero-based line and column; `col` counts bytes (see [`SourceFile::utf16_col`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    /// Zero-based line.
    pub line: u32,
    /// Zero-based byte column.
    pub col: u32,
}

impl SourceFile {
    /// A file from its name and text.
    pub fn new(name: impl Into<String>, path: Option<PathBuf>, text: impl Into<String>) -> Self {
        SourceFile {
            name: name.into(),
            path,
            text: text.into(),
            not_utf8: None,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// The start of every line, built the first time a position is asked for.
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            // memchr finds the line breaks many bytes at a time.
            let mut starts = Vec::with_capacity(self.text.len() / 32 + 1);
            starts.push(0u32);
            starts.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i as u32 + 1));
            starts
        })
    }

    /// Zero-based line and byte column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line = match self.line_starts().binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        LineCol {
            line: line as u32,
            col: offset - self.line_starts()[line],
        }
    }

    /// The byte offset at the start of a zero-based line (the end of text past the last).
    pub fn line_start(&self, line: u32) -> u32 {
        self.line_starts()
            .get(line as usize)
            .copied()
            .unwrap_or(self.text.len() as u32)
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// The UTF-16 column of a byte offset (what LSP positions count by default).
    pub fn utf16_col(&self, offset: u32) -> u32 {
        let lc = self.line_col(offset);
        let start = self.line_starts()[lc.line as usize] as usize;
        let end = floor_char_boundary(&self.text, offset as usize);
        self.text[start..end.max(start)]
            .chars()
            .map(|c| c.len_utf16() as u32)
            .sum()
    }

    /// The byte offset of a zero-based line and UTF-16 column (clamped to the line).
    pub fn offset_of_utf16(&self, line: u32, col16: u32) -> u32 {
        let start = self.line_start(line) as usize;
        let end = self.line_start(line + 1) as usize;
        let mut seen = 0u32;
        for (i, c) in self.text[start..end].char_indices() {
            if seen >= col16 || c == '\n' {
                return (start + i) as u32;
            }
            seen += c.len_utf16() as u32;
        }
        end as u32
    }

    /// The text of a span.
    pub fn slice(&self, span: Span) -> &str {
        let r = span.range();
        self.text.get(r).unwrap_or("")
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Every file loaded in one run: the entry file, its imports, the standard library.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// A file by id. Ids come only from [`SourceMap::add`], so this cannot miss.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_and_utf16() {
        let f = SourceFile::new("t", None, "ab\néx = 1\n");
        assert_eq!(f.line_col(0), LineCol { line: 0, col: 0 });
        assert_eq!(f.line_col(3), LineCol { line: 1, col: 0 });
        // 'é' is two bytes, one UTF-16 unit.
        assert_eq!(f.utf16_col(5), 1);
        assert_eq!(f.offset_of_utf16(1, 1), 5);
        assert_eq!(f.line_col(999).line, 2);
    }
}
