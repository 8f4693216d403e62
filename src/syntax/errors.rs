//! Syntax errors in words a user knows. pest reports a position and the rules it tried
//! there; this module looks at the tokens around that position (from [`super::scan`])
//! and says what is wrong in the user's terms, and how the driver should recover.

use super::parse::{KilnParser, Rule};
use super::scan::{self, Scan, Tok, Token};
use crate::diag::{Diagnostic, codes};
use crate::source::{FileId, Span};
use pest::Parser as _;

/// How the driver recovers from an error before parsing again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fix {
    /// Replace `[start, end)` with spaces.
    Blank(usize, usize),
    /// Turn the whitespace byte at this offset into this closer (`}`, `]`, `)`, `,`).
    Insert(usize, u8),
    /// Append a `}` at the end of the file.
    CloseAtEnd,
    /// Give up (nothing sensible to do).
    Stop,
}

/// K0004 at an opener past the depth limit.
pub(crate) fn too_deep(file: FileId, at: (usize, usize)) -> Diagnostic {
    Diagnostic::new(
        codes::TOO_DEEP,
        file,
        Span::new(at.0, at.1),
        format!("nesting deeper than {} levels", scan::MAX_DEPTH),
    )
    .label(format!("level {} starts here", scan::MAX_DEPTH + 1))
    .note(
        "blocks, lists, calls and interpolations count as levels; the rest of this one is skipped",
    )
    .help("flatten the structure, or name inner values with `let`")
}

/// K0002 for a string that is never closed. Returns the diagnostic and the region to drop.
pub(crate) fn unterminated_string(
    file: FileId,
    text: &str,
    scanned: &Scan,
    start: usize,
) -> (Diagnostic, (usize, usize)) {
    // When a closing quote is missing, the quotes after it pair up the wrong way round and
    // the string that reaches the end of the file starts much later than the mistake. The
    // first string that runs over a line break and swallows what looks like code is the
    // likelier culprit.
    let culprit = scanned
        .multiline_strings
        .iter()
        .find(|&&(s, e)| s < start && looks_like_code(text.get(s..e).unwrap_or("")))
        .map_or(start, |&(s, _)| s);
    let line_end = text[culprit..]
        .find('\n')
        .map_or(text.len(), |p| culprit + p);
    let d = Diagnostic::new(
        codes::UNTERMINATED_STRING,
        file,
        Span::new(culprit, line_end.max(culprit + 1).min(text.len())),
        "unterminated string",
    )
    .label("this string has no closing `\"`")
    .help("add a `\"` at the end of the string");
    // Drop the whole line: what precedes the string (`image =`) is incomplete without it.
    let line_start = text[..culprit].rfind('\n').map_or(0, |p| p + 1);
    (d, (line_start, line_end))
}

/// Whether the inside of a multi-line string looks like kiln entries, i.e. the string
/// probably swallowed code because a quote is missing.
fn looks_like_code(s: &str) -> bool {
    s.lines().skip(1).any(|l| {
        let t = l.trim();
        t == "}" || t.ends_with('{') || {
            let w: String = t
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
                .collect();
            !w.is_empty() && t[w.len()..].trim_start().starts_with('=')
        }
    })
}

/// K0001 for a `/*` without `*/`.
pub(crate) fn unterminated_comment(
    file: FileId,
    start: usize,
    len: usize,
) -> (Diagnostic, (usize, usize)) {
    let d = Diagnostic::new(
        codes::SYNTAX,
        file,
        Span::new(start, (start + 2).min(len)),
        "unterminated block comment",
    )
    .label("this comment is never closed")
    .help("add `*/` where the comment ends (block comments do not nest)");
    (d, (start, len))
}

/// Explains the pest error at `pos` and says how to recover. `seen` holds the logical
/// lines that already had an error this run: a second error there is a consequence of
/// the first, so it is not reported and the whole line is dropped instead.
pub(crate) fn explain(
    file: FileId,
    text: &str,
    scanned: &Scan,
    pos: usize,
    positives: &[Rule],
    seen: &mut Vec<usize>,
) -> (Option<Diagnostic>, Fix) {
    let ctx = Ctx::new(text, &scanned.tokens, &scanned.comments);
    let cur = ctx.toks.partition_point(|t| t.start < pos);

    // Structural errors first: the end of the file inside a block, a `}` too many.
    if cur >= ctx.toks.len() {
        if let Some(r) = ctx.missing_close(file) {
            return (Some(r.0), r.1);
        }
    } else if ctx.toks[cur].kind == Tok::Close(b'}') && ctx.parent[cur].is_none() {
        let (d, fix) = ctx.stray_close(file, cur);
        return (Some(d), fix);
    }

    // A line at the left margin inside a block: a `}` is missing above it (the classic
    // case is a `profile` after an app whose last `}` was forgotten).
    if let Some(ll) = ctx.line_index(cur.min(ctx.toks.len().saturating_sub(1)))
        && let Some(&(first, _)) = ctx.lines.get(ll)
        && first <= cur
        && ctx.parent[first].is_some()
        && ctx.indent(first) == 0
        && ctx.kind(first) != Some(Tok::Close(b'}'))
        && let Some(r) = ctx.missing_close(file)
    {
        return (Some(r.0), r.1);
    }

    // Find the logical line at fault: the one before the error's line when that one does
    // not parse on its own (a missing value swallows the next line's first word), else
    // the error's own line.
    let Some(ll) = ctx.line_index(cur.min(ctx.toks.len().saturating_sub(1))) else {
        return (Some(generic(file, &ctx, cur, positives)), Fix::Stop);
    };
    let mut candidates = Vec::new();
    if ll > 0 {
        candidates.push(ll - 1);
    }
    candidates.push(ll);
    for &c in &candidates {
        let (a, b) = ctx.lines[c];
        if seen.contains(&ctx.toks[a].start) {
            // Already reported: drop the whole line quietly.
            if c == ll || ctx.line_fails(c).is_some() {
                return (None, ctx.blank_line(c, true));
            }
            continue;
        }
        if let Some((lpos, lpositives)) = ctx.line_fails(c) {
            seen.push(ctx.toks[a].start);
            let lcur = a + ctx.toks[a..b].partition_point(|t| t.start < lpos);
            return ctx.explain_in_line(file, c, lcur, lpos, &lpositives);
        }
    }

    // Every line is fine alone: the error is about where things are.
    let (a, _) = ctx.lines[ll];
    seen.push(ctx.toks[a].start);
    if let Some(r) = ctx.misplaced(file, ll) {
        return r;
    }
    (
        Some(generic(file, &ctx, cur, positives)),
        ctx.blank_line(ll, true),
    )
}

/// A fallback message from the rules pest expected, in words.
fn generic(file: FileId, ctx: &Ctx<'_>, cur: usize, positives: &[Rule]) -> Diagnostic {
    let mut words: Vec<&str> = positives.iter().filter_map(|r| rule_words(*r)).collect();
    words.sort();
    words.dedup();
    let found = ctx.describe(cur);
    let msg = if words.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&words))
    };
    Diagnostic::new(codes::SYNTAX, file, ctx.span_at(cur), msg).label("unexpected here")
}

/// Tokens with their bracket structure and logical lines.
struct Ctx<'a> {
    text: &'a str,
    toks: &'a [Token],
    /// For an opener, its closer; for a closer, its opener.
    matching: Vec<Option<usize>>,
    /// The innermost open bracket around each token.
    parent: Vec<Option<usize>>,
    /// Logical lines as token ranges: a line starts at the first token of a physical
    /// line when only blocks are open (a list or call spanning lines continues it).
    lines: Vec<(usize, usize)>,
    line_starts: Vec<usize>,
    /// Comment spans, in order.
    comments: &'a [(usize, usize)],
}

impl<'a> Ctx<'a> {
    fn new(text: &'a str, toks: &'a [Token], comments: &'a [(usize, usize)]) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let n = toks.len();
        let mut matching = vec![None; n];
        let mut parent = vec![None; n];
        let mut lines = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut line_start_tok = 0;
        let mut prev_line = usize::MAX;
        for (i, t) in toks.iter().enumerate() {
            let line = line_starts.partition_point(|&s| s <= t.start);
            let first_on_line = line != prev_line;
            prev_line = line;
            let only_blocks = stack.iter().all(|&o| toks[o].kind == Tok::Open(b'{'));
            if i > 0 && first_on_line && only_blocks {
                lines.push((line_start_tok, i));
                line_start_tok = i;
            }
            parent[i] = stack.last().copied();
            match t.kind {
                Tok::Open(_) => stack.push(i),
                Tok::Close(c) => {
                    if let Some(p) = stack
                        .iter()
                        .rposition(|&o| matches!(toks[o].kind, Tok::Open(oc) if closer(oc) == c))
                    {
                        let o = stack[p];
                        matching[o] = Some(i);
                        matching[i] = Some(o);
                        stack.truncate(p);
                    }
                }
                _ => {}
            }
        }
        if n > 0 {
            lines.push((line_start_tok, n));
        }
        Ctx {
            text,
            toks,
            matching,
            parent,
            lines,
            line_starts,
            comments,
        }
    }

    fn slice(&self, i: usize) -> &'a str {
        self.toks
            .get(i)
            .and_then(|t| self.text.get(t.start..t.end))
            .unwrap_or("")
    }

    fn kind(&self, i: usize) -> Option<Tok> {
        self.toks.get(i).map(|t| t.kind)
    }

    /// The span of token `i`, or an empty span at the end of the text.
    fn span_at(&self, i: usize) -> Span {
        match self.toks.get(i) {
            Some(t) => Span::new(t.start, t.end),
            None => Span::new(self.text.len(), self.text.len()),
        }
    }

    /// An empty span right after token `i`: where something is missing.
    fn after(&self, i: usize) -> Span {
        let e = self.toks.get(i).map_or(self.text.len(), |t| t.end);
        Span::new(e, e)
    }

    fn describe(&self, i: usize) -> String {
        match self.toks.get(i) {
            None => "the end of the file".to_string(),
            Some(t) => match t.kind {
                Tok::Str => "a string".to_string(),
                _ => format!("`{}`", self.slice(i)),
            },
        }
    }

    /// Zero-based physical line of a byte offset.
    fn line_of(&self, pos: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= pos)
            .saturating_sub(1)
    }

    fn tok_line(&self, i: usize) -> usize {
        self.toks
            .get(i)
            .map_or(usize::MAX, |t| self.line_of(t.start))
    }

    fn first_on_line(&self, i: usize) -> bool {
        i == 0 || self.tok_line(i - 1) != self.tok_line(i)
    }

    /// Indentation (in bytes) of the physical line of token `i`.
    fn indent(&self, i: usize) -> usize {
        let Some(t) = self.toks.get(i) else { return 0 };
        let ls = self
            .line_starts
            .get(self.line_of(t.start))
            .copied()
            .unwrap_or(0);
        self.text[ls..t.start]
            .bytes()
            .take_while(|b| *b == b' ' || *b == b'\t')
            .count()
    }

    /// The logical line holding token `i`.
    fn line_index(&self, i: usize) -> Option<usize> {
        if self.toks.is_empty() {
            return None;
        }
        let k = self.lines.partition_point(|&(a, _)| a <= i);
        Some(k.saturating_sub(1))
    }

    /// Parses logical line `l` alone; on failure, where and what pest expected.
    fn line_fails(&self, l: usize) -> Option<(usize, Vec<Rule>)> {
        let &(a, b) = self.lines.get(l)?;
        let start = self.toks.get(a)?.start;
        let end = self.toks.get(b.checked_sub(1)?)?.end;
        // Parse the line in place (everything else blanked) so offsets stay those of the file.
        let mut buf = String::with_capacity(end);
        buf.extend(std::iter::repeat_n(' ', start));
        buf.push_str(self.text.get(start..end)?);
        match KilnParser::parse(Rule::line, &buf) {
            Ok(_) => None,
            Err(e) => {
                let pos = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((s, _)) => s,
                };
                let positives = match e.variant {
                    pest::error::ErrorVariant::ParsingError { positives, .. } => positives,
                    pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
                };
                Some((pos, positives))
            }
        }
    }

    /// `block `service web``: how to name the block opened by `{` at token `o`.
    fn block_title(&self, o: usize) -> String {
        // The words on the opener's line before it, up to `=` (a template call).
        let mut words = Vec::new();
        let mut i = o;
        while i > 0 {
            i -= 1;
            if self.tok_line(i) != self.tok_line(o) {
                break;
            }
            match self.kind(i) {
                Some(Tok::Word) => words.push(self.slice(i)),
                Some(Tok::Close(_)) | Some(Tok::Open(_)) => {
                    if let Some(m) = self.matching[i]
                        && m < i
                    {
                        i = m;
                        words.clear();
                        continue;
                    }
                    break;
                }
                _ => words.clear(),
            }
        }
        words.reverse();
        if words.is_empty() {
            "the block".to_string()
        } else if words.first() == Some(&"profile") {
            format!("profile `{}`", words[1..].join(" "))
        } else {
            format!("block `{}`", words.join(" "))
        }
    }

    /// Where to put a byte in the gap after token `i` without landing in a comment:
    /// the indentation before the next token, else a line break not ending a comment.
    fn gap_slot(&self, i: usize) -> Option<usize> {
        let from = self.toks.get(i)?.end;
        let to = self.toks.get(i + 1).map_or(self.text.len(), |t| t.start);
        let bytes = self.text.as_bytes();
        let in_comment = |p: usize| self.comment_at(p);
        let ok = |p: usize, allow_nl: bool| {
            let b = bytes[p];
            (b == b' ' || b == b'\t' || (allow_nl && b == b'\n'))
                && !in_comment(p)
                && !(b == b'\n' && p > 0 && in_comment(p - 1))
        };
        (from..to)
            .rev()
            .find(|&p| ok(p, false))
            .or_else(|| (from..to).find(|&p| ok(p, true)))
    }

    /// Whether byte `p` lies in a comment.
    fn comment_at(&self, p: usize) -> bool {
        let i = self.comments.partition_point(|&(_, e)| e <= p);
        self.comments.get(i).is_some_and(|&(s, _)| s <= p)
    }

    /// Drops logical line `l`. With `whole`, any block it opens goes too (up to its `}`),
    /// so the text stays balanced; `}`s at its start are kept (they close outer blocks).
    fn blank_line(&self, l: usize, whole: bool) -> Fix {
        let Some(&(mut a, b)) = self.lines.get(l) else {
            return Fix::Stop;
        };
        while a < b
            && self.kind(a) == Some(Tok::Close(b'}'))
            && self.matching[a].is_some_and(|o| o < a)
        {
            a += 1;
        }
        let mut end = b;
        while end > a
            && self.kind(end - 1) == Some(Tok::Close(b'}'))
            && self.matching[end - 1].is_some_and(|o| o < a)
        {
            end -= 1;
        }
        if a >= end {
            return Fix::Stop;
        }
        let mut last = end - 1;
        if whole {
            for i in a..end {
                if let Some(m) = self.matching[i]
                    && m > last
                {
                    last = m;
                }
            }
        }
        Fix::Blank(self.toks[a].start, self.toks[last].end)
    }

    /// The end of the file inside a block: which block misses its `}` (by indentation,
    /// as a reader would see it) and where.
    fn missing_close(&self, file: FileId) -> Option<(Diagnostic, Fix)> {
        let n = self.toks.len();
        let mut unclosed_last = None;
        for o in 0..n {
            if self.kind(o) != Some(Tok::Open(b'{')) {
                continue;
            }
            let c = self.matching[o];
            if c.is_none() {
                unclosed_last = Some(o);
            }
            let suspicious = match c {
                None => true,
                Some(c) => {
                    self.tok_line(c) != self.tok_line(o)
                        && self.first_on_line(c)
                        && self.indent(c) != self.indent(o)
                }
            };
            if !suspicious {
                continue;
            }
            // The first line after the opener that is indented no deeper than it: the
            // block visually ends there; if that line is not a `}`, the `}` is missing.
            let io = self.indent(o);
            let limit = c.unwrap_or(n);
            let t = (o + 1..limit).find(|&t| {
                self.first_on_line(t) && self.indent(t) <= io && self.tok_line(t) > self.tok_line(o)
            });
            let t = match t {
                Some(t) if self.kind(t) == Some(Tok::Close(b'}')) => continue,
                Some(t) => t,
                None if c.is_none() => n,
                None => continue,
            };
            let title = self.block_title(o);
            let last = t.saturating_sub(1).max(o);
            let d = Diagnostic::new(
                codes::SYNTAX,
                file,
                self.after(last),
                format!("expected `}}` to close {title}"),
            )
            .label(if t < n {
                "expected `}` after this line"
            } else {
                "the file ends here"
            })
            .secondary(file, self.span_at(o), format!("{title} opened here"))
            .help(format!("add `}}` at the end of {title}"));
            let fix = if t >= n {
                Fix::CloseAtEnd
            } else {
                self.gap_slot(last)
                    .map_or(Fix::CloseAtEnd, |p| Fix::Insert(p, b'}'))
            };
            return Some((d, fix));
        }
        let o = unclosed_last?;
        let title = self.block_title(o);
        let d = Diagnostic::new(
            codes::SYNTAX,
            file,
            self.after(n),
            format!("expected `}}` to close {title}"),
        )
        .label("the file ends here")
        .secondary(file, self.span_at(o), format!("{title} opened here"))
        .help(format!("add `}}` at the end of {title}"));
        Some((d, Fix::CloseAtEnd))
    }

    /// A `}` with no block to close: find the `}` that closed a block too early.
    fn stray_close(&self, file: FileId, stray: usize) -> (Diagnostic, Fix) {
        for c in 0..stray {
            if self.kind(c) != Some(Tok::Close(b'}')) {
                continue;
            }
            let Some(o) = self.matching[c] else { continue };
            if self.tok_line(c) != self.tok_line(o)
                && (!self.first_on_line(c) || self.indent(c) != self.indent(o))
            {
                let title = self.block_title(o);
                let d = Diagnostic::new(codes::SYNTAX, file, self.span_at(c), "unexpected `}`")
                    .label(format!("this closes {title} too early"))
                    .secondary(
                        file,
                        self.span_at(stray),
                        "so this `}` has no block to close",
                    )
                    .help("remove the extra `}`");
                return (d, Fix::Blank(self.toks[c].start, self.toks[c].end));
            }
        }
        let d = Diagnostic::new(codes::SYNTAX, file, self.span_at(stray), "unexpected `}`")
            .label("there is no open block to close")
            .help("remove it, or check the braces above");
        (d, Fix::Blank(self.toks[stray].start, self.toks[stray].end))
    }

    /// A line that is fine alone but not where it is: a field at the top level, an
    /// `import` inside a block, a nested block in a profile.
    fn misplaced(&self, file: FileId, l: usize) -> Option<(Option<Diagnostic>, Fix)> {
        let (mut a, b) = *self.lines.get(l)?;
        while a < b && self.kind(a) == Some(Tok::Close(b'}')) {
            a += 1;
        }
        if a >= b {
            return None;
        }
        let first = self.slice(a);
        let parent = self.parent[a];
        let fix = self.blank_line(l, true);
        if parent.is_none() {
            // Top level: `name = value` or `a.b = value`.
            let is_field = (a..b)
                .take_while(|&i| {
                    matches!(self.kind(i), Some(Tok::Word | Tok::Str | Tok::Punct('.')))
                })
                .last()
                .is_some_and(|i| self.kind(i + 1) == Some(Tok::Punct('=')));
            if is_field && first != "let" {
                let d = Diagnostic::new(codes::SYNTAX, file, self.span_at(a), format!("field `{first}` is outside of any block"))
                    .label("fields belong inside a block")
                    .help(format!("move it into a block, or write `let {first} = ...` to name a value at the top level"));
                return Some((Some(d), fix));
            }
            return None;
        }
        let p = parent?;
        if matches!(first, "import" | "profile" | "template")
            && self.kind(a + 1) != Some(Tok::Punct('='))
        {
            let d = Diagnostic::new(
                codes::SYNTAX,
                file,
                self.span_at(a),
                format!("`{first}` is only allowed at the top level of a file"),
            )
            .label("inside a block")
            .secondary(
                file,
                self.span_at(p),
                format!("{} opened here", self.block_title(p)),
            )
            .help(format!("move the `{first}` out of the block"));
            return Some((Some(d), fix));
        }
        if self.block_title(p).starts_with("profile") {
            let d = Diagnostic::new(
                codes::SYNTAX,
                file,
                self.span_at(a),
                "a profile holds only `path = value` overrides",
            )
            .label("not an override")
            .secondary(
                file,
                self.span_at(p),
                format!("{} opened here", self.block_title(p)),
            )
            .help("write the path to the field: `app.block.field = value`");
            return Some((Some(d), fix));
        }
        None
    }

    /// Explains an error at token `cur` found by parsing logical line `l` alone.
    fn explain_in_line(
        &self,
        file: FileId,
        l: usize,
        cur: usize,
        lpos: usize,
        positives: &[Rule],
    ) -> (Option<Diagnostic>, Fix) {
        let (mut a, b) = self.lines[l];
        while a < cur && self.kind(a) == Some(Tok::Close(b'}')) {
            a += 1;
        }
        let at_end = cur >= b;
        let prev = cur.checked_sub(1).filter(|&p| p >= a);
        let prev_kind = prev.and_then(|p| self.kind(p));
        let cur_kind = if at_end { None } else { self.kind(cur) };
        let fix_line = self.blank_line(l, true);
        let found = if at_end {
            "the end of the line".to_string()
        } else {
            self.describe(cur)
        };
        let cur_span = if at_end {
            self.after(b - 1)
        } else {
            self.span_at(cur)
        };
        let new_line = at_end || prev.is_some_and(|p| self.tok_line(p) != self.tok_line(cur));
        // The innermost list or call still open before the error.
        let open = (a..cur).rev().find(|&i| {
            matches!(self.kind(i), Some(Tok::Open(b'[' | b'(')))
                && self.matching[i].is_none_or(|m| m >= cur)
        });
        let words_before = cur - a;
        let d = |msg: String| Diagnostic::new(codes::SYNTAX, file, cur_span, msg);

        // Inside a string: the problem is in an interpolation.
        if let Some(t) = self.toks.get(cur.wrapping_sub(1))
            && t.kind == Tok::Str
            && t.start < lpos
            && lpos < t.end
        {
            let inner = &self.text[lpos..t.end];
            let len = inner
                .char_indices()
                .find(|&(i, c)| i > 0 && (c == '}' || c == '"' || c.is_whitespace()))
                .map_or(inner.len(), |(i, _)| i);
            let what = inner.get(..len).unwrap_or("").trim();
            let msg = if what.is_empty() || what == "\"" {
                "expected a value in `${...}`".to_string()
            } else {
                format!("unexpected `{what}` in `${{...}}`")
            };
            let diag =
                Diagnostic::new(codes::SYNTAX, file, Span::new(lpos, lpos + len.max(1)), msg)
                    .label("expected `}` here")
                    .help("an interpolation holds one value, usually a name: `${namespace}`");
            return (Some(diag), fix_line);
        }

        // A character kiln never uses.
        if let Some(Tok::Punct(c)) = cur_kind
            && !matches!(c, '=' | ',' | '.' | ':')
        {
            let help = match c {
                ';' => "entries are separated by line breaks; remove the `;`".to_string(),
                '#' => "comments start with `//`".to_string(),
                '-' | '+' => "numbers have no sign in kiln".to_string(),
                '\'' => "strings are written in double quotes: `\"...\"`".to_string(),
                _ => format!("remove the {}", shown(c)),
            };
            let diag = d(format!("unexpected character {}", shown(c)))
                .label("not valid here")
                .help(help);
            return (Some(diag), fix_line);
        }

        // `name value`, `name: value`: the `=` is missing.
        if words_before == 1
            && prev_kind == Some(Tok::Word)
            && !new_line
            && cur_kind != Some(Tok::Word)
        {
            let name = self.slice(a);
            let mut diag =
                d(format!("expected `=` after field name `{name}`")).label("expected `=` here");
            diag = if cur_kind == Some(Tok::Punct(':')) {
                diag.help(format!("kiln writes fields with `=`: `{name} = ...`"))
            } else {
                diag.help(format!("write `{name} = value`"))
            };
            return (Some(diag), fix_line);
        }
        if words_before == 1 && prev_kind == Some(Tok::Word) && at_end {
            let name = self.slice(a);
            let diag = Diagnostic::new(
                codes::SYNTAX,
                file,
                self.span_at(a),
                format!("`{name}` alone is neither a field nor a block"),
            )
            .label("expected `=` or `{` after this")
            .help(format!(
                "write `{name} = value` for a field, or `{name} {{ ... }}` for a block"
            ));
            return (Some(diag), fix_line);
        }
        // `kind name <junk> {`: a block header gone wrong.
        if words_before == 2
            && prev_kind == Some(Tok::Word)
            && self.kind(a) == Some(Tok::Word)
            && cur_kind != Some(Tok::Open(b'{'))
        {
            let head = format!("{} {}", self.slice(a), self.slice(a + 1));
            let mut diag = d(format!("expected `{{` after `{head}`")).label("expected `{` here");
            diag = diag.help(format!(
                "a block is written `{head} {{ ... }}`; a field `name = value`"
            ));
            // Keep the block: drop only what stands between the header and its `{`.
            let brace = (cur..b).find(|&i| self.kind(i) == Some(Tok::Open(b'{')));
            let fix = match brace {
                Some(br) if !at_end && br > cur => {
                    Fix::Blank(self.toks[cur].start, self.toks[br - 1].end)
                }
                _ => fix_line,
            };
            return (Some(diag), fix);
        }
        // `= <nothing>`: a missing value.
        if prev_kind == Some(Tok::Punct('=')) && !starts_value(cur_kind) {
            let p = prev.unwrap_or(a);
            let what = if a < p && self.kind(a) == Some(Tok::Word) && self.slice(a) != "let" {
                format!(" for `{}`", self.field_path(a, p))
            } else if self.slice(a) == "let" {
                format!(" for `{}`", self.slice(a + 1))
            } else {
                String::new()
            };
            let diag = Diagnostic::new(codes::SYNTAX, file, if new_line { self.after(p) } else { cur_span }, format!("expected a value after `=`{what}"))
                .label(if new_line { "the value is missing here".to_string() } else { format!("expected a value, found {found}") })
                .help("a value is a string `\"...\"`, a number, `true`, `false`, `none`, a list `[...]`, a call `name(...)` or a name");
            return (Some(diag), fix_line);
        }
        // Inside a list or call.
        if let Some(o) = open {
            let (closing, what, between) = if self.kind(o) == Some(Tok::Open(b'[')) {
                ("]", "the list".to_string(), "list elements")
            } else {
                (
                    ")",
                    format!("the call to `{}`", self.slice(o.saturating_sub(1))),
                    "arguments",
                )
            };
            if new_line || cur_kind == Some(Tok::Close(b'}')) {
                // The closer is missing: supply it right after the last element.
                let last = cur.saturating_sub(1);
                let diag = Diagnostic::new(
                    codes::SYNTAX,
                    file,
                    self.after(last),
                    format!("expected `{closing}` to close {what}"),
                )
                .label(format!("expected `{closing}` after this"))
                .secondary(file, self.span_at(o), format!("{what} starts here"))
                .help(format!(
                    "add `{closing}` after the last {}",
                    if closing == "]" {
                        "element"
                    } else {
                        "argument"
                    }
                ));
                let fix = match self.gap_slot(last) {
                    Some(p) if prev_kind.is_some_and(ends_value) => {
                        Fix::Insert(p, closing.as_bytes()[0])
                    }
                    _ => fix_line,
                };
                return (Some(diag), fix);
            }
            if starts_value(cur_kind) && prev_kind.is_some_and(ends_value) {
                let diag = d(format!("expected `,` between {between}"))
                    .label("expected `,` before this")
                    .help(format!("separate {between} with commas"));
                let fix = match self.gap_slot(cur - 1) {
                    Some(p) if self.tok_line(cur - 1) == self.tok_line(cur) => Fix::Insert(p, b','),
                    _ => fix_line,
                };
                return (Some(diag), fix);
            }
            let diag = d(format!(
                "expected `,` or `{closing}` in {what}, found {found}"
            ))
            .label("unexpected here")
            .secondary(file, self.span_at(o), format!("{what} starts here"));
            return (Some(diag), fix_line);
        }
        // `a.` or `a..`: a name must follow a dot.
        if prev_kind == Some(Tok::Punct('.')) {
            let diag = d(format!("expected a name after `.`, found {found}"))
                .label("expected a name here")
                .help("a path is written `a.b.c`");
            return (Some(diag), fix_line);
        }
        // A value followed by more on the same line.
        if prev_kind.is_some_and(ends_value) && !at_end && words_before > 2 && !new_line {
            let diag = d(format!("unexpected {found} after the value"))
                .label("expected the end of the entry")
                .help("write one entry per line: `name = value`");
            let fix = Fix::Blank(self.toks[cur].start, self.toks[b - 1].end);
            let fix =
                if (cur..b).any(|i| matches!(self.kind(i), Some(Tok::Open(_) | Tok::Close(_)))) {
                    fix_line
                } else {
                    fix
                };
            return (Some(diag), fix);
        }
        // `name = value junk`: pest took `junk` for the start of a block header and failed
        // later; the junk itself is the mistake.
        if let Some(eq) = (a..b).find(|&i| self.kind(i) == Some(Tok::Punct('=')))
            && (a..eq).all(|i| matches!(self.kind(i), Some(Tok::Word | Tok::Str | Tok::Punct('.'))))
            && let Some(after) = self.skip_value(eq + 1, b)
            && after < b
            && self.tok_line(after) == self.tok_line(eq)
        {
            let name = self.field_path(a, eq);
            let diag = Diagnostic::new(
                codes::SYNTAX,
                file,
                self.span_at(after),
                format!(
                    "unexpected {} after the value of `{name}`",
                    self.describe(after)
                ),
            )
            .label("expected the end of the entry")
            .help("write one entry per line: `name = value`");
            let fix =
                if (after..b).any(|i| matches!(self.kind(i), Some(Tok::Open(_) | Tok::Close(_)))) {
                    fix_line
                } else {
                    Fix::Blank(self.toks[after].start, self.toks[b - 1].end)
                };
            return (Some(diag), fix);
        }
        let mut words: Vec<&str> = positives.iter().filter_map(|r| rule_words(*r)).collect();
        words.sort();
        words.dedup();
        let msg = if words.is_empty() {
            format!("unexpected {found}")
        } else {
            format!("expected {}, found {found}", join_or(&words))
        };
        (Some(d(msg).label("unexpected here")), fix_line)
    }

    /// The token after the value starting at token `i` (a single token, a list or call
    /// through its closer, or a range `a .. b`), if it is one.
    fn skip_value(&self, i: usize, end: usize) -> Option<usize> {
        let one = |i: usize| -> Option<usize> {
            match self.kind(i)? {
                Tok::Open(b'[') => Some(self.matching[i]? + 1),
                Tok::Word if self.kind(i + 1) == Some(Tok::Open(b'(')) => {
                    Some(self.matching[i + 1]? + 1)
                }
                Tok::Word => {
                    let mut j = i + 1;
                    while self.kind(j) == Some(Tok::Punct('.'))
                        && self.kind(j + 1) == Some(Tok::Word)
                    {
                        j += 2;
                    }
                    Some(j)
                }
                Tok::Number | Tok::Str => Some(i + 1),
                _ => None,
            }
        };
        let mut j = one(i)?;
        if self.kind(j) == Some(Tok::DotDot) {
            j = one(j + 1)?;
        }
        (j <= end).then_some(j)
    }

    /// `a.b.c` from the tokens of a field path.
    fn field_path(&self, a: usize, eq: usize) -> String {
        (a..eq).map(|i| self.slice(i)).collect::<Vec<_>>().join("")
    }
}

fn starts_value(k: Option<Tok>) -> bool {
    matches!(
        k,
        Some(Tok::Word | Tok::Number | Tok::Str | Tok::Open(b'['))
    )
}

fn ends_value(k: Tok) -> bool {
    matches!(
        k,
        Tok::Word | Tok::Number | Tok::Str | Tok::Close(b']' | b')')
    )
}

fn closer(open: u8) -> u8 {
    match open {
        b'{' => b'}',
        b'[' => b']',
        _ => b')',
    }
}

/// Joins alternatives: "a", "a or b", "a, b or c".
fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A rule in words, for the fallback message.
fn rule_words(r: Rule) -> Option<&'static str> {
    Some(match r {
        Rule::eq => "`=`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::rbracket => "`]`",
        Rule::comma => "`,`",
        Rule::dot => "`.`",
        Rule::dotdot => "`..`",
        Rule::colon => "`:`",
        Rule::word | Rule::block_name | Rule::key | Rule::arg_name => "a name",
        Rule::expr | Rule::string | Rule::number | Rule::boolean | Rule::none | Rule::list => {
            "a value"
        }
        Rule::call => "a call",
        Rule::reference => "a value",
        Rule::block | Rule::field | Rule::let_stmt => "an entry",
        Rule::import
        | Rule::profile
        | Rule::template
        | Rule::kw_import
        | Rule::kw_let
        | Rule::kw_profile
        | Rule::kw_template => "an item",
        Rule::type_expr => "a type",
        Rule::EOI => "the end of the file",
        _ => return None,
    })
}

/// A character as a message shows it: `x` for a visible one, its code point for what a
/// terminal would not show plainly (control and format characters, combining marks,
/// unusual spaces), and both for other non-ASCII characters.
fn shown(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("`{c}`")
    } else if c.is_alphanumeric() {
        format!("`{c}` (U+{:04X})", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}
