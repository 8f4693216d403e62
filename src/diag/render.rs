//! Turning diagnostics into text: rustc-style with codespan-reporting (the only user of
//! that crate), or JSON for pipelines and editors.
//!
//! What is printed stays bounded whatever the input: a line longer than [`LONG_LINE`]
//! bytes is shown as a window around the labels on it, with `…` where text was cut
//! (a diagnostic on a 10 MB line prints a few hundred bytes, not 10 MB), and every
//! message is cut at [`MAX_MESSAGE`] bytes. The `file:line:column` header and the line
//! numbers in the gutter stay those of the real file. A byte order mark at the start of
//! a file does not count as a column.

use super::{Diagnostic, Severity};
use crate::source::{FileId, SourceFile, SourceMap};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files, Location};
use codespan_reporting::term;
use std::collections::HashMap;
use std::ops::Range;

/// Lines longer than this many bytes (without their line break) are shown as a window.
/// Longer than any line written by hand (fixtures and examples stay under 160).
pub const LONG_LINE: usize = 240;
/// Bytes of a windowed line shown before the first label on it.
const BEFORE: usize = 60;
/// Bytes of a windowed line shown in all (the labels after that are cut at its end).
const WINDOW: usize = 200;
/// Marks where a windowed line was cut.
const ELLIPSIS: &str = "…";
/// Messages, labels, notes and help longer than this many bytes are cut (a message may
/// quote a name, and a name may be megabytes long).
pub const MAX_MESSAGE: usize = 1024;

/// A message cut to [`MAX_MESSAGE`] bytes on a character boundary, with `…` at the cut.
fn bounded(message: &str) -> String {
    if message.len() <= MAX_MESSAGE {
        return message.to_string();
    }
    let end = floor_boundary(message, MAX_MESSAGE);
    format!("{}{ELLIPSIS}", &message[..end])
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Whether `c` attaches to the character before it (combining marks, joiners, variation
/// selectors): a window does not start on one, so a base character keeps its marks.
/// Not the full grapheme rules; enough that the common sequences are not cut apart.
fn attaches(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2
        | 0x05C4..=0x05C5 | 0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670
        | 0x06D6..=0x06DC | 0x06DF..=0x06E4 | 0x0900..=0x0903 | 0x093A..=0x094F
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200C..=0x200D | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF | 0xE0100..=0xE01EF)
}

/// Moves a window edge at byte `i` of `line` (a char boundary) back past characters that
/// attach to the one before, at most 32 of them (a run of thousands of marks is cut
/// anyway, and the cost stays bounded).
fn back_to_base(text: &str, floor: usize, mut i: usize) -> usize {
    for _ in 0..32 {
        match text[i..].chars().next() {
            Some(c) if attaches(c) && i > floor => {
                i = floor_boundary(text, i - 1);
            }
            _ => break,
        }
    }
    i
}

/// One line of an [`Excerpt`]: where it is in the excerpt's text and which bytes of the
/// real line it shows.
#[derive(Debug)]
struct Shown {
    /// Zero-based line in the real file.
    line: usize,
    /// The line in the excerpt's text (line break included).
    range: Range<usize>,
    /// Offset in the excerpt's text of the first byte shown (after a leading `…`).
    body: usize,
    /// The real bytes shown, `[start, end)`.
    real: Range<usize>,
}

/// The lines one diagnostic shows from a file that has long lines: each cut to its
/// window, only those lines, in order. Lines keep their real numbers.
#[derive(Debug)]
struct Excerpt {
    text: String,
    lines: Vec<Shown>,
}

impl Excerpt {
    /// The excerpt of `f` for labels at `ranges` (real byte ranges), or None when no
    /// line codespan would show is long (then the file is shown as it is).
    fn build(f: &SourceFile, ranges: &[Range<usize>]) -> Option<Excerpt> {
        let len = f.text.len();
        let line_of = |o: usize| f.line_col(o.min(len) as u32).line as usize;
        // The lines codespan shows, with the label ends on each (see codespan's
        // `views.rs`: start and end lines of each label; for a multi-line label the
        // three lines after its start and the one before its end).
        let mut points: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for r in ranges {
            let (s, e) = (r.start.min(len), r.end.min(len));
            let (sl, el) = (line_of(s), line_of(e));
            points.entry(sl).or_default().push(s);
            points.entry(el).or_default().push(e);
            if el > sl {
                for l in (sl + 1..el).take(3) {
                    points.entry(l).or_default();
                }
                if el - 1 > sl {
                    points.entry(el - 1).or_default();
                }
            }
        }
        // codespan fills a gap of one line with that line.
        let listed: Vec<usize> = points.keys().copied().collect();
        for w in listed.windows(2) {
            if w[1] - w[0] == 2 {
                points.entry(w[0] + 1).or_default();
            }
        }
        let content = |l: usize| {
            let start = f.line_start(l as u32) as usize;
            let next = f.line_start(l as u32 + 1) as usize;
            let bytes = f.text.as_bytes();
            let mut end = next;
            if end > start && bytes.get(end - 1) == Some(&b'\n') {
                end -= 1;
                if end > start && bytes.get(end - 1) == Some(&b'\r') {
                    end -= 1;
                }
            }
            (start, end, next)
        };
        if !points.keys().any(|&l| {
            let (s, e, _) = content(l);
            e - s > LONG_LINE
        }) {
            return None;
        }
        let mut text = String::new();
        let mut lines = Vec::with_capacity(points.len());
        for (&l, pts) in &points {
            let (ls, le, next) = content(l);
            let (ws, we) = if le - ls <= LONG_LINE {
                (ls, le)
            } else {
                let lo = pts.iter().copied().min().unwrap_or(ls).clamp(ls, le);
                let ws = floor_boundary(&f.text, lo.saturating_sub(BEFORE).max(ls));
                let ws = back_to_base(&f.text, ls, ws);
                let we = floor_boundary(&f.text, (ws + WINDOW).min(le)).max(ws);
                let we = back_to_base(&f.text, ws, we);
                (ws, we)
            };
            let start = text.len();
            if ws > ls {
                text.push_str(ELLIPSIS);
            }
            let body = text.len();
            text.push_str(&f.text[ws..we]);
            if we < le {
                text.push_str(ELLIPSIS);
            }
            text.push_str(&f.text[le..next]);
            lines.push(Shown {
                line: l,
                range: start..text.len(),
                body,
                real: ws..we,
            });
        }
        Some(Excerpt { text, lines })
    }

    /// Where a real offset appears in the excerpt (clamped to what its line shows).
    fn map(&self, f: &SourceFile, offset: usize) -> usize {
        let line = f.line_col(offset as u32).line as usize;
        match self.lines.binary_search_by_key(&line, |s| s.line) {
            Ok(i) => {
                let s = &self.lines[i];
                let o = offset.clamp(s.real.start, s.real.end);
                s.body + (o - s.real.start)
            }
            // Not a shown line (cannot happen for label ends): its nearest neighbour.
            Err(i) => self.lines.get(i).map_or(self.text.len(), |s| s.range.start),
        }
    }

    /// The shown line holding excerpt byte `i`.
    fn shown(&self, i: usize) -> Option<&Shown> {
        let k = self.lines.partition_point(|s| s.range.start <= i);
        self.lines.get(k.saturating_sub(1))
    }
}

/// The 1-based column of a real offset as the text output counts it: characters from
/// the start of the line, a leading byte order mark not counted.
fn char_column(f: &SourceFile, offset: usize) -> usize {
    let offset = floor_boundary(&f.text, offset);
    let lc = f.line_col(offset as u32);
    let start = f.line_start(lc.line) as usize;
    let mut col = f.text[start..offset].chars().count();
    if lc.line == 0 && f.text.starts_with('\u{feff}') && offset > 0 {
        col -= 1;
    }
    col + 1
}

/// The 0-based line and 1-based byte column of a real offset, as the JSON output counts
/// them: bytes from the start of the line, a leading byte order mark not counted.
fn byte_line_column(f: &SourceFile, offset: u32) -> (u32, u32) {
    let lc = f.line_col(offset);
    let bom = '\u{feff}'.len_utf8() as u32;
    let col = if lc.line == 0 && f.text.starts_with('\u{feff}') && lc.col >= bom {
        lc.col - bom
    } else {
        lc.col
    };
    (lc.line, col + 1)
}

/// codespan-reporting's view of our [`SourceMap`] for one diagnostic: files with long
/// lines on the labels are replaced by an [`Excerpt`].
struct View<'a> {
    sources: &'a SourceMap,
    excerpts: HashMap<FileId, Excerpt>,
}

impl<'a> View<'a> {
    fn new(sources: &'a SourceMap, d: &Diagnostic) -> View<'a> {
        let mut by_file: HashMap<FileId, Vec<Range<usize>>> = HashMap::new();
        for l in std::iter::once(&d.primary).chain(&d.secondary) {
            by_file
                .entry(l.loc.file)
                .or_default()
                .push(l.loc.span.range());
        }
        let excerpts = by_file
            .into_iter()
            .filter_map(|(id, ranges)| Some((id, Excerpt::build(sources.get(id), &ranges)?)))
            .collect();
        View { sources, excerpts }
    }

    /// A real byte range as codespan must see it (in the excerpt when there is one).
    fn range(&self, file: FileId, r: Range<usize>) -> Range<usize> {
        let f = self.sources.get(file);
        let len = f.text.len();
        let (s, e) = (r.start.min(len), r.end.min(len));
        match self.excerpts.get(&file) {
            Some(x) => {
                let s2 = x.map(f, s);
                s2..x.map(f, e).max(s2)
            }
            None => s..e.max(s),
        }
    }
}

impl<'a> Files<'a> for View<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(&self.sources.get(id).name)
    }
    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(match self.excerpts.get(&id) {
            Some(x) => &x.text,
            None => &self.sources.get(id).text,
        })
    }
    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        Ok(match self.excerpts.get(&id) {
            Some(x) => x.shown(byte_index).map_or(0, |s| s.line),
            None => self.sources.get(id).line_col(byte_index as u32).line as usize,
        })
    }
    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let f = self.sources.get(id);
        if line_index >= f.line_count() {
            return Err(FilesError::LineTooLarge {
                given: line_index,
                max: f.line_count() - 1,
            });
        }
        Ok(match self.excerpts.get(&id) {
            // A line the excerpt does not hold is never shown (see `Excerpt::build`).
            Some(x) => match x.lines.binary_search_by_key(&line_index, |s| s.line) {
                Ok(i) => x.lines[i].range.clone(),
                Err(_) => 0..0,
            },
            None => {
                f.line_start(line_index as u32) as usize
                    ..f.line_start(line_index as u32 + 1) as usize
            }
        })
    }
    fn column_number(
        &'a self,
        id: FileId,
        line_index: usize,
        byte_index: usize,
    ) -> Result<usize, FilesError> {
        let f = self.sources.get(id);
        let real = match self.excerpts.get(&id) {
            Some(x) => match x.lines.binary_search_by_key(&line_index, |s| s.line) {
                Ok(i) => {
                    let s = &x.lines[i];
                    s.real.start + byte_index.saturating_sub(s.body).min(s.real.len())
                }
                Err(_) => f.line_start(line_index as u32) as usize,
            },
            None => byte_index,
        };
        Ok(char_column(f, real))
    }
    fn location(&'a self, id: FileId, byte_index: usize) -> Result<Location, FilesError> {
        let line_index = self.line_index(id, byte_index)?;
        Ok(Location {
            line_number: line_index + 1,
            column_number: self.column_number(id, line_index, byte_index)?,
        })
    }
}

fn to_codespan(d: &Diagnostic, view: &View) -> cs::Diagnostic<FileId> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let label = |l: &super::Label, primary: bool| {
        let r = view.range(l.loc.file, l.loc.span.range());
        let l2 = if primary {
            cs::Label::primary(l.loc.file, r)
        } else {
            cs::Label::secondary(l.loc.file, r)
        };
        l2.with_message(bounded(&l.message))
    };
    let mut labels = vec![label(&d.primary, true)];
    labels.extend(d.secondary.iter().map(|l| label(l, false)));
    let mut notes: Vec<String> = d.notes.iter().map(|n| bounded(n)).collect();
    if let Some(h) = &d.help {
        notes.push(format!("help: {}", bounded(h)));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(bounded(&d.message))
        .with_labels(labels)
        .with_notes(notes)
}

/// Whether `c` must not reach a terminal as it is: control characters (an escape
/// sequence in a hostile file could rewrite the terminal or a CI log), except tab and
/// line breaks, and the bidirectional overrides that make text read differently from
/// what it is ("Trojan Source").
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n' && c != '\r')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A copy of `sources` where every [`unsafe_char`] (and a carriage return that does not
/// end a line) is shown as `?`, one per byte, so that every offset stays where it was;
/// None when there is none (the common case: no copy).
fn sanitized(sources: &SourceMap) -> Option<SourceMap> {
    let bad = |t: &str| {
        t.char_indices()
            .any(|(i, c)| unsafe_char(c) || (c == '\r' && t.as_bytes().get(i + 1) != Some(&b'\n')))
    };
    if !sources.iter().any(|(_, f)| bad(&f.text)) {
        return None;
    }
    let mut out = SourceMap::new();
    for (_, f) in sources.iter() {
        let text = if bad(&f.text) {
            let mut t = String::with_capacity(f.text.len());
            for (i, c) in f.text.char_indices() {
                let lone_cr = c == '\r' && f.text.as_bytes().get(i + 1) != Some(&b'\n');
                if unsafe_char(c) || lone_cr {
                    t.extend(std::iter::repeat_n('?', c.len_utf8()));
                } else {
                    t.push(c);
                }
            }
            t
        } else {
            f.text.clone()
        };
        let mut copy = SourceFile::new(f.name.clone(), f.path.clone(), text);
        copy.not_utf8 = f.not_utf8.clone();
        out.add(copy);
    }
    Some(out)
}

/// Renders diagnostics as rustc-style text, with ANSI colour when `color` is set.
///
/// Source lines are shown with control characters and bidirectional overrides as `?`
/// (see [`unsafe_char`]): whatever a file holds, the text printed has no escape
/// sequence but kiln's own colours.
pub fn to_text(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let config = term::Config::default();
    let mut out = String::new();
    let clean = sanitized(sources);
    let sources = clean.as_ref().unwrap_or(sources);
    for d in diags {
        let hidden;
        let sources = if d.redact.is_empty() {
            sources
        } else {
            hidden = redacted(sources, &d.redact);
            &hidden
        };
        let view = View::new(sources, d);
        let cd = to_codespan(d, &view);
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
                    bounded(&d.message)
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
/// range of the primary label, all labels, help and notes. Columns count bytes from the
/// start of the line (a leading byte order mark not counted); `offset` is the byte
/// offset in the file. Messages are cut at [`MAX_MESSAGE`] bytes, as in text.
pub fn to_json_value(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let label = |l: &super::Label, primary: bool| {
        let f = sources.get(l.loc.file);
        let (sl, sc) = byte_line_column(f, l.loc.span.start);
        let (el, ec) = byte_line_column(f, l.loc.span.end);
        serde_json::json!({
            "file": f.name,
            "primary": primary,
            "message": bounded(&l.message),
            "start": { "offset": l.loc.span.start, "line": sl + 1, "column": sc },
            "end": { "offset": l.loc.span.end, "line": el + 1, "column": ec },
        })
    };
    let p = label(&d.primary, true);
    let mut labels = vec![p.clone()];
    labels.extend(d.secondary.iter().map(|l| label(l, false)));
    serde_json::json!({
        "code": d.code.as_str(),
        "severity": d.severity.as_str(),
        "message": bounded(&d.message),
        "file": p["file"],
        "start": p["start"],
        "end": p["end"],
        "labels": labels,
        "help": d.help.as_deref().map(bounded),
        "notes": d.notes.iter().map(|n| bounded(n)).collect::<Vec<_>>(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::codes;
    use crate::source::Span;

    fn one(text: &str) -> (SourceMap, FileId) {
        let mut map = SourceMap::new();
        let id = map.add(SourceFile::new("t.kiln", None, text));
        (map, id)
    }

    fn diag(id: FileId, start: usize, end: usize) -> Diagnostic {
        Diagnostic::new(codes::SYNTAX, id, Span::new(start, end), "bad").label("here")
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let (map, id) = one("let x = 1 2\n");
        let out = to_text(&[diag(id, 10, 11)], &map, false);
        assert!(out.contains("t.kiln:1:11"), "{out}");
        assert!(out.contains("1 │ let x = 1 2\n"), "{out}");
        assert!(!out.contains(ELLIPSIS), "{out}");
    }

    #[test]
    fn a_long_line_is_a_window_with_the_real_column() {
        let text = format!(
            "let x = {} oops {}\n",
            "a".repeat(100_000),
            "b".repeat(100_000)
        );
        let at = text.find("oops").unwrap();
        let (map, id) = one(&text);
        let out = to_text(&[diag(id, at, at + 4)], &map, false);
        assert!(out.len() < 2_000, "{} bytes", out.len());
        assert!(out.contains(&format!("t.kiln:1:{}", at + 1)), "{out}");
        assert!(out.contains("…aaaa"), "{out}");
        assert!(out.contains("oops bbbb"), "{out}");
        assert!(out.contains("^^^^ here"), "{out}");
        // The caret is under `oops`: same column in the snippet line and the label line.
        let lines: Vec<&str> = out.lines().collect();
        let src = lines.iter().find(|l| l.contains("oops")).unwrap();
        let caret = lines.iter().find(|l| l.contains("^^^^")).unwrap();
        let col = |s: &str, pat: &str| s[..s.find(pat).unwrap()].chars().count();
        assert_eq!(col(src, "oops"), col(caret, "^^^^"));
    }

    #[test]
    fn a_label_spanning_megabytes_is_cut() {
        let text = format!("let x = \"{}\"\nlet y = 2\n", "s".repeat(1_000_000));
        let (map, id) = one(&text);
        let out = to_text(&[diag(id, 8, 1_000_010)], &map, false);
        assert!(out.len() < 2_000, "{} bytes", out.len());
        assert!(out.contains("t.kiln:1:9"), "{out}");
    }

    #[test]
    fn multi_line_labels_over_long_lines() {
        let long = "x".repeat(5_000);
        let text = format!("{long}\n{long}\nshort\n{long}\n{long}\n{long}\n{long}\nend\n");
        let (map, id) = one(&text);
        let start = 2_500;
        let end = text.len() - 6;
        let d = diag(id, start, end).secondary(id, Span::new(5_001 + 10, 5_001 + 12), "also");
        let out = to_text(&[d], &map, false);
        assert!(out.len() < 5_000, "{} bytes: {out}", out.len());
        assert!(out.contains("t.kiln:1:2501"), "{out}");
        // The start line, three after it, the one before the end (a one-line gap is
        // filled), the end line; not the line after it.
        for n in ["1 │", "2 │", "3 │", "4 │", "5 │", "6 │", "7 │"] {
            assert!(out.contains(n), "line {n} missing: {out}");
        }
        assert!(!out.contains("8 │"), "{out}");
    }

    #[test]
    fn windows_never_split_characters() {
        // Multi-byte characters, combining marks (U+0599 split a label once: fuzz
        // crash), joiners and CRLF, with labels starting and ending at every boundary.
        let unit = "é\u{0599}a\u{200d}👍🏽 \t\u{feff}ß";
        let line = unit.repeat(200);
        let text = format!("{line}\r\n{line}\r\n");
        let (map, id) = one(&text);
        let bounds: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .step_by(7)
            .collect();
        for &s in &bounds {
            for e in [s, s + 1, s + 40, s + 500, text.len()] {
                let e = floor_boundary(&text, e.min(text.len())).max(s);
                let out = to_text(&[diag(id, s, e)], &map, false);
                assert!(out.len() < 8_000, "{s}..{e}: {} bytes", out.len());
                let _ = to_json_lines(&[diag(id, s, e)], &map);
            }
        }
    }

    #[test]
    fn byte_order_mark_is_not_a_column() {
        for bom in ["", "\u{feff}"] {
            let text = format!("{bom}let x = 1 2\n");
            let at = text.find('2').unwrap();
            let (map, id) = one(&text);
            let out = to_text(&[diag(id, at, at + 1)], &map, false);
            assert!(out.contains("t.kiln:1:11"), "{bom:?}: {out}");
            let json = to_json_value(&diag(id, at, at + 1), &map);
            assert_eq!(json["start"]["column"], 11, "{bom:?}");
            assert_eq!(json["start"]["offset"], at, "{bom:?}");
        }
    }

    #[test]
    fn crlf_columns() {
        let text = "let a = 1\r\nlet x = 1 2\r\n";
        let at = text.find('2').unwrap();
        let (map, id) = one(text);
        let out = to_text(&[diag(id, at, at + 1)], &map, false);
        assert!(out.contains("t.kiln:2:11"), "{out}");
        let json = to_json_value(&diag(id, at, at + 1), &map);
        assert_eq!(json["start"]["line"], 2);
        assert_eq!(json["start"]["column"], 11);
        assert_eq!(json["end"]["column"], 12);
    }

    #[test]
    fn no_escape_sequence_reaches_the_terminal() {
        let text = "let x = \"\u{1b}[2J\u{1b}]0;owned\u{7}\u{9b}31m\u{202e}evil\r\" 2\r\n";
        let at = text.find(" 2").unwrap() + 1;
        let (map, id) = one(text);
        let out = to_text(&[diag(id, at, at + 1)], &map, false);
        assert!(!out.chars().any(unsafe_char), "{out:?}");
        assert!(!out.contains("\r"), "{out:?}");
        // The caret stays under the `2`.
        let lines: Vec<&str> = out.lines().collect();
        let src = lines.iter().find(|l| l.contains("let x")).unwrap();
        let caret = lines.iter().find(|l| l.contains('^')).unwrap();
        let col = |s: &str, pat: char| s[..s.rfind(pat).unwrap()].chars().count();
        assert_eq!(col(src, '2'), col(caret, '^'), "{out}");
        // Coloured output has kiln's own escapes only.
        let coloured = to_text(&[diag(id, at, at + 1)], &map, true);
        assert!(
            !coloured.contains("[2J") || coloured.contains("?[2J"),
            "{coloured:?}"
        );
    }

    #[test]
    fn messages_are_bounded() {
        let (map, id) = one("let x = 1\n");
        let huge = "n".repeat(1_000_000);
        let d = Diagnostic::new(codes::SYNTAX, id, Span::new(4, 5), format!("`{huge}`"))
            .label(huge.clone())
            .help(huge.clone())
            .note(huge.clone());
        assert!(to_text(std::slice::from_ref(&d), &map, false).len() < 8 * MAX_MESSAGE);
        assert!(to_json_lines(&[d], &map).len() < 8 * MAX_MESSAGE);
        assert_eq!(
            bounded(&"é".repeat(MAX_MESSAGE)).len(),
            MAX_MESSAGE + ELLIPSIS.len()
        );
    }
}
