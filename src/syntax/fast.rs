//! The fast path of [`super::parse`]: a hand-written recursive-descent parser for files
//! without any problem, producing exactly the tree the pest grammar and its builder
//! produce (same nodes, same spans, same decoded text).
//!
//! Why: pest runs at about 7 MB/s on kiln source, which made parsing most of the time
//! of `kiln compile` on a big workspace (docs/performance.md); this parser runs at
//! several hundred MB/s. Why not replace pest: `grammar/kiln.pest` stays the documented
//! grammar and the pest driver keeps error recovery and the wording of every syntax
//! error. This parser gives up ([`None`]) at the first thing that is not plainly valid
//! — any syntax error, anything the builder would report (reserved words as names, bad
//! escapes, numbers past 64 bits, a positional argument after a named one, an
//! interpolated key), and the rare forms kept to pest (imports, templates, block
//! instantiations `kind = call(..) { }`) — and the caller then runs the pest driver.
//! So a mistake here can only cost speed, never a different diagnostic, as long as
//! what it accepts it parses as pest does: the grammar below mirrors `kiln.pest` rule
//! by rule (ordered choices included), and `tests/syntax_fast.rs` compares both parsers
//! on every fixture, example and generated input.

use super::ast;
use crate::source::Span;
use crate::syntax::scan;

/// Deeper than the scanner allows (it refuses nesting past 64 before this runs); a
/// second guard so that this parser never recurses without bound on its own.
const MAX_DEPTH: usize = 200;

/// What the fast path gives: the items and every comment's span (in source order, as the
/// scanner would list them).
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The top-level items.
    pub items: Vec<ast::Item>,
    /// Comment spans, delimiters included, line breaks not.
    pub comments: Vec<(usize, usize)>,
}

/// Parses a whole file, or returns `None` when the pest driver must do it (see the
/// module documentation).
///
/// The scanner does not run first: this parser makes the scanner's checks itself (the
/// nesting limit [`scan::MAX_DEPTH`] counted the same way, unterminated strings and
/// comments, which it cannot parse anyway) and collects the comments it skips, so a file
/// it accepts is one the scanner finds no problem in, and the comment list is the
/// scanner's (`tests/syntax_fast.rs` compares both on every input).
pub(crate) fn parse(text: &str) -> Option<Parsed> {
    parse_range(text, 0, text.len())
}

/// Parses the items of `text[start..end]` as if that slice were the whole file, keeping
/// every span an offset into `text`. `start` must be where an item begins (or 0).
fn parse_range(text: &str, start: usize, end: usize) -> Option<Parsed> {
    let text = text.get(..end)?;
    let mut p = P {
        b: text.as_bytes(),
        text,
        pos: start,
        depth: 0,
        nest: 0,
        comments: Vec::new(),
        entries: Vec::with_capacity(32),
        exprs: Vec::with_capacity(16),
        args: Vec::with_capacity(16),
    };
    // About one top-level item per 400-500 bytes in real files (485 in the benchmark
    // workload); a guess on the generous side, so that a piece of the split parse does
    // not regrow (and copy) its vector once near its end.
    let mut items = Vec::with_capacity((end - start.min(end)) / 384 + 1);
    loop {
        p.skip()?;
        if p.pos >= p.b.len() {
            return Some(Parsed {
                items,
                comments: p.comments,
            });
        }
        items.push(p.item()?);
    }
}

/// [`parse`] run on pieces of the file in parallel: the file is cut into about `chunks`
/// pieces at lines that start with a word (see [`split_points`]), each piece is parsed
/// on its own, and the items and comments are concatenated in order. `None` exactly
/// when [`parse`] gives `None`.
///
/// Why the result is [`parse`]'s: a cut is trusted only when the piece before it parsed
/// completely from a trusted cut (0 is one), which proves the cut is at the top level,
/// outside any string, comment or bracket (an unclosed one makes that piece fail); an
/// item of this grammar never reads past its end but for the next token (`..`, `.`,
/// `(`), and the next token after a cut is a word, so every item parses the same in its
/// piece as in the whole file, and span trimming only looks inside the node. When a
/// piece fails (its end cut fell inside a multi-line string or comment, or the text is
/// wrong), it is parsed again together with the next piece, and if that fails too, to
/// the end of the file: the serial parse of the rest, whose `None` is [`parse`]'s.
pub(crate) fn parse_split(text: &str, chunks: usize) -> Option<Parsed> {
    use rayon::prelude::*;
    let cuts = split_points(text, chunks);
    if cuts.len() <= 1 {
        return parse(text);
    }
    let end_of = |i: usize| cuts.get(i + 1).copied().unwrap_or(text.len());
    let mut pieces: Vec<Option<Parsed>> = (0..cuts.len())
        .into_par_iter()
        .map(|i| parse_range(text, cuts[i], end_of(i)))
        .collect();
    let mut items = Vec::with_capacity(
        pieces
            .iter()
            .map(|p| p.as_ref().map_or(0, |p| p.items.len()))
            .sum(),
    );
    let mut comments = Vec::new();
    // `cuts[i]` is trusted at the top of each turn.
    let mut i = 0;
    while let Some(slot) = pieces.get_mut(i) {
        let mut piece = match slot.take() {
            Some(p) => {
                i += 1;
                p
            }
            None => {
                let with_next = if i + 2 < cuts.len() {
                    parse_range(text, cuts[i], cuts[i + 2])
                } else {
                    None
                };
                match with_next {
                    Some(p) => {
                        i += 2;
                        p
                    }
                    None => {
                        let p = parse_range(text, cuts[i], text.len())?;
                        i = cuts.len();
                        p
                    }
                }
            }
        };
        items.append(&mut piece.items);
        comments.append(&mut piece.comments);
    }
    Some(Parsed { items, comments })
}

/// Where [`parse_split`] cuts `text` into about `chunks` pieces: 0, then for each
/// `k * len / chunks` the first line start at or after it whose line begins with a word
/// character (`[A-Za-z_]`), as a top-level item does when formatted. A cut may still
/// fall inside a multi-line string or comment; the parse then proves it wrong.
pub(crate) fn split_points(text: &str, chunks: usize) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = vec![0usize];
    if chunks <= 1 {
        return out;
    }
    for k in 1..chunks {
        let target = (b.len() / chunks)
            .saturating_mul(k)
            .max(out[out.len() - 1] + 1);
        let mut i = target;
        let found = loop {
            let Some(nl) = b
                .get(i.saturating_sub(1)..)
                .and_then(|r| r.iter().position(|&c| c == b'\n'))
            else {
                break None;
            };
            let at = i.saturating_sub(1) + nl + 1;
            match b.get(at) {
                Some(c) if c.is_ascii_alphabetic() || *c == b'_' => break Some(at),
                Some(_) => i = at + 1,
                None => break None,
            }
        };
        match found {
            Some(at) if at > out[out.len() - 1] => out.push(at),
            Some(_) => {}
            None => break,
        }
    }
    out
}

struct P<'a> {
    b: &'a [u8],
    text: &'a str,
    pos: usize,
    /// Recursion depth (the guard of [`MAX_DEPTH`]).
    depth: usize,
    /// Brackets and interpolations open, counted as the scanner counts its depth.
    nest: usize,
    /// The comments skipped so far, in order.
    comments: Vec<(usize, usize)>,
    /// Entries of the blocks being parsed, innermost last: each block's entries are
    /// moved into a vector of the exact size when it closes (no regrowth per block).
    entries: Vec<ast::Entry>,
    /// The same for the elements of lists being parsed.
    exprs: Vec<ast::Expr>,
    /// The same for the arguments of calls being parsed.
    args: Vec<ast::Arg>,
}

/// `[A-Za-z0-9_-]`, as a table: the innermost loop of the parser.
static IDENT: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        c += 1;
    }
    t
};

/// The bytes that may end a run of string text: `"`, `\` and `$` (which ends it only
/// before `{`). One lookup per byte instead of three comparisons.
static STR_STOP: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t[b'$' as usize] = true;
    t
};

fn is_ident_char(c: u8) -> bool {
    IDENT[c as usize]
}

/// `RESERVED` as a match (a length switch, not ten comparisons); a test keeps both equal.
fn is_reserved(w: &str) -> bool {
    matches!(
        w,
        "import"
            | "as"
            | "template"
            | "profile"
            | "extends"
            | "let"
            | "from"
            | "true"
            | "false"
            | "none"
    )
}

impl<'a> P<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.b.get(i).copied()
    }

    /// pest's implicit `(WHITESPACE | COMMENT)*`, noting each comment. `None` for an
    /// unterminated `/*` (the scanner's problem, which the pest driver reports).
    ///
    /// Runs before nearly every token: the whitespace loop is inlined, comments (rare
    /// in big files) are not.
    #[inline(always)]
    fn skip(&mut self) -> Option<()> {
        let b = self.b;
        let mut i = self.pos;
        loop {
            match b.get(i) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => i += 1,
                Some(b'/') => {
                    self.pos = i;
                    return self.skip_comments();
                }
                _ => break,
            }
        }
        self.pos = i;
        Some(())
    }

    /// [`Self::skip`] from a `/`.
    #[cold]
    #[inline(never)]
    fn skip_comments(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'/') if self.at(self.pos + 1) == Some(b'/') => {
                    let s = self.pos;
                    self.pos = match self.b[s..].iter().position(|&c| c == b'\n') {
                        Some(i) => s + i,
                        None => self.b.len(),
                    };
                    self.note_comment(s);
                }
                Some(b'/') if self.at(self.pos + 1) == Some(b'*') => {
                    let s = self.pos;
                    let from = s + 2;
                    let end = self.b.get(from..)?.windows(2).position(|w| w == b"*/")?;
                    self.pos = from + end + 2;
                    self.note_comment(s);
                }
                _ => return Some(()),
            }
        }
    }

    /// Records the comment from `start` to the current position, once: after a
    /// backtrack the same comment is skipped again, and comments are met in order.
    fn note_comment(&mut self, start: usize) {
        if self.comments.last().is_none_or(|&(cs, _)| cs < start) {
            self.comments.push((start, self.pos));
        }
    }

    /// An opening bracket or `${`: refused past the scanner's depth limit, where the
    /// pest driver reports K0004.
    fn open(&mut self) -> Option<()> {
        if self.nest >= scan::MAX_DEPTH {
            return None;
        }
        self.nest += 1;
        Some(())
    }

    fn close(&mut self) {
        self.nest = self.nest.saturating_sub(1);
    }

    /// Skips, then consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> Option<()> {
        self.skip()?;
        if self.peek() == Some(c) {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    /// After a skip: is the next byte `c`?
    fn next_is(&mut self, c: u8) -> Option<bool> {
        self.skip()?;
        Some(self.peek() == Some(c))
    }

    /// `word = @{ [A-Za-z_] [A-Za-z0-9_-]* }` at the current position (no skip).
    fn word_here(&mut self) -> Option<(usize, usize)> {
        let s = self.pos;
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {}
            _ => return None,
        }
        let mut i = s + 1;
        while i < self.b.len() && is_ident_char(self.b[i]) {
            i += 1;
        }
        self.pos = i;
        Some((s, i))
    }

    /// A word after a skip, as a name: reserved words are the builder's diagnostic.
    fn name(&mut self) -> Option<ast::Ident> {
        self.skip()?;
        let (s, e) = self.word_here()?;
        let name = &self.text[s..e];
        if is_reserved(name) {
            return None;
        }
        Some(ast::Ident {
            name: name.to_owned(),
            span: self.span(s, e),
        })
    }

    /// The builder's span: pest's span with trailing whitespace and comments removed.
    /// Nodes here end on a token already, so only string text parts are trimmed, but the
    /// same code runs for every node so that both parsers agree by construction.
    #[inline(always)]
    fn span(&self, start: usize, end: usize) -> Span {
        let b = self.b;
        let len = b.len();
        if b.get(end.wrapping_sub(1))
            .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'/')
            && end < len
        {
            return Span::new(start.min(len), end.min(len));
        }
        self.span_trimmed(start, end)
    }

    /// [`Self::span`] where the node may end in whitespace or a comment.
    #[inline(never)]
    fn span_trimmed(&self, start: usize, end: usize) -> Span {
        let b = self.b;
        let len = b.len();
        let mut end = end;
        while end > start {
            let i = self.comments.partition_point(|&(_, ce)| ce < end);
            if let Some(&(cs, _)) = self.comments.get(i)
                && cs < end
                && cs >= start
            {
                end = cs;
                continue;
            }
            if b.get(end - 1).is_some_and(|c| c.is_ascii_whitespace()) {
                end -= 1;
                continue;
            }
            break;
        }
        Span::new(start.min(len), end.min(len))
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `item = import | let_stmt | profile | template | block`; imports and templates
    /// are left to pest.
    fn item(&mut self) -> Option<ast::Item> {
        let save = self.pos;
        let (s, e) = self.word_here()?;
        match &self.text[s..e] {
            "let" => {
                self.pos = save;
                self.let_stmt().map(ast::Item::Let)
            }
            "profile" => self.profile(s).map(ast::Item::Profile),
            "import" | "template" => None,
            _ => {
                self.pos = save;
                self.block().map(ast::Item::Block)
            }
        }
    }

    /// `let_stmt = kw_let ~ word ~ eq ~ expr`, at `let`.
    fn let_stmt(&mut self) -> Option<ast::Let> {
        let (s, _) = self.word_here()?;
        let name = self.name()?;
        self.eat(b'=')?;
        let value = self.expr()?;
        let span = self.span(s, value.span.end as usize);
        Some(ast::Let { name, value, span })
    }

    /// `profile = kw_profile ~ word ~ extends? ~ lbrace ~ field* ~ rbrace`, after
    /// `profile`.
    fn profile(&mut self, start: usize) -> Option<ast::Profile> {
        let name = self.name()?;
        let mut extends = Vec::new();
        self.skip()?;
        let save = self.pos;
        if let Some((s, e)) = self.word_here() {
            if &self.text[s..e] != "extends" {
                return None;
            }
            extends.push(self.name()?);
            while self.next_is(b',')? {
                self.pos += 1;
                extends.push(self.name()?);
            }
        } else {
            self.pos = save;
        }
        self.eat(b'{')?;
        self.open()?;
        let mut fields = Vec::new();
        loop {
            if self.next_is(b'}')? {
                self.pos += 1;
                self.close();
                break;
            }
            self.entry()?;
            match self.entries.pop()? {
                ast::Entry::Field(f) => fields.push(f),
                _ => return None,
            }
        }
        Some(ast::Profile {
            name,
            extends,
            fields,
            span: self.span(start, self.pos),
        })
    }

    /// `block = !item_kw ~ word ~ block_name? ~ (eq ~ call)? ~ body`, without the
    /// instantiation form (left to pest).
    fn block(&mut self) -> Option<ast::Block> {
        self.enter()?;
        let kind = self.name()?;
        let name = if self.next_is(b'{')? {
            None
        } else {
            Some(self.name()?)
        };
        self.skip()?;
        let body_start = self.pos;
        self.eat(b'{')?;
        self.open()?;
        let mark = self.entries.len();
        loop {
            if self.next_is(b'}')? {
                self.pos += 1;
                self.close();
                break;
            }
            self.entry()?;
        }
        let entries = take_from(&mut self.entries, mark);
        self.leave();
        Some(ast::Block {
            span: self.span(kind.span.start as usize, self.pos),
            body_span: self.span(body_start, self.pos),
            kind,
            name,
            template: None,
            entries,
        })
    }

    /// `entry = let_stmt | field | block`. A field is `key ~ (dot ~ key)* ~ eq ~ expr ~
    /// !"{"`; when no `=` follows the key it is a block. The entry is pushed onto
    /// `entries` (built in place: an entry is large, and moving it out through the
    /// return value was a tenth of the parse).
    fn entry(&mut self) -> Option<()> {
        self.skip()?;
        let start = self.pos;
        // Most paths are one key (`vec![..]` allocates exactly one; a block needs none).
        let mut path = match self.peek()? {
            b'"' => {
                let s = self.string()?;
                let name = s.as_plain()?;
                vec![ast::Key {
                    name,
                    quoted: true,
                    span: s.span,
                }]
            }
            _ => {
                let (s, e) = self.word_here()?;
                let w = &self.text[s..e];
                if w == "let" {
                    self.pos = start;
                    let l = self.let_stmt()?;
                    self.entries.push(ast::Entry::Let(l));
                    return Some(());
                }
                // A word followed by neither `.` nor `=` starts a block (the `_` arm of
                // the loop below): parsed without first building the key and path the
                // block would drop. The skip is the loop's own, and skipping twice is
                // harmless (a comment is noted once).
                self.skip()?;
                if !matches!(self.peek(), Some(b'.' | b'=')) {
                    self.pos = start;
                    let b = self.block()?;
                    self.entries.push(ast::Entry::Block(b));
                    return Some(());
                }
                vec![ast::Key {
                    name: self.text[s..e].to_owned(),
                    quoted: false,
                    span: self.span(s, e),
                }]
            }
        };
        loop {
            self.skip()?;
            match self.peek() {
                Some(b'.') => {
                    if self.at(self.pos + 1) == Some(b'.') {
                        return None;
                    }
                    self.pos += 1;
                    self.skip()?;
                    if self.peek() == Some(b'"') {
                        let s = self.string()?;
                        path.push(ast::Key {
                            name: s.as_plain()?,
                            quoted: true,
                            span: s.span,
                        });
                    } else {
                        let (s, e) = self.word_here()?;
                        path.push(ast::Key {
                            name: self.text[s..e].to_owned(),
                            quoted: false,
                            span: self.span(s, e),
                        });
                    }
                }
                Some(b'=') => {
                    self.pos += 1;
                    let value = self.expr()?;
                    // `kind = template(..) { }` is a block: left to pest.
                    if self.next_is(b'{')? {
                        return None;
                    }
                    let span = self.span(start, value.span.end as usize);
                    self.entries
                        .push(ast::Entry::Field(ast::Field { path, value, span }));
                    return Some(());
                }
                _ => {
                    if path.len() != 1 || path[0].quoted {
                        return None;
                    }
                    self.pos = start;
                    let b = self.block()?;
                    self.entries.push(ast::Entry::Block(b));
                    return Some(());
                }
            }
        }
    }

    /// `expr = primary ~ (dotdot ~ primary)?`.
    fn expr(&mut self) -> Option<ast::Expr> {
        self.enter()?;
        let first = self.primary()?;
        self.skip()?;
        let e = if self.peek() == Some(b'.') && self.at(self.pos + 1) == Some(b'.') {
            self.pos += 2;
            let second = self.primary()?;
            let span = self.span(first.span.start as usize, second.span.end as usize);
            ast::Expr {
                kind: ast::ExprKind::Range(Box::new(first), Box::new(second)),
                span,
            }
        } else {
            first
        };
        self.leave();
        Some(e)
    }

    /// `primary = string | number | boolean | none | list | call | reference`.
    fn primary(&mut self) -> Option<ast::Expr> {
        self.skip()?;
        let start = self.pos;
        let kind = match self.peek()? {
            b'"' => ast::ExprKind::Str(self.string()?),
            b'0'..=b'9' => ast::ExprKind::Number(self.number()?),
            b'[' => {
                self.pos += 1;
                self.open()?;
                let mark = self.exprs.len();
                loop {
                    if self.next_is(b']')? {
                        self.pos += 1;
                        self.close();
                        break;
                    }
                    let e = self.expr()?;
                    self.exprs.push(e);
                    self.skip()?;
                    match self.peek()? {
                        b',' => self.pos += 1,
                        b']' => {}
                        _ => return None,
                    }
                }
                ast::ExprKind::List(take_from(&mut self.exprs, mark))
            }
            _ => {
                let (s, e) = self.word_here()?;
                match &self.text[s..e] {
                    "true" => ast::ExprKind::Bool(true),
                    "false" => ast::ExprKind::Bool(false),
                    "none" => ast::ExprKind::None,
                    w => {
                        if self.next_is(b'(')? {
                            if is_reserved(w) {
                                return None;
                            }
                            let func = ast::Ident {
                                name: w.to_owned(),
                                span: self.span(s, e),
                            };
                            ast::ExprKind::Call(self.call(func)?)
                        } else {
                            self.pos = s;
                            ast::ExprKind::Ref(self.reference()?)
                        }
                    }
                }
            }
        };
        Some(ast::Expr {
            kind,
            span: self.span(start, self.pos),
        })
    }

    /// `reference = word ~ (dot ~ word)*`.
    fn reference(&mut self) -> Option<Vec<ast::Ident>> {
        let mut segs = vec![self.name()?];
        loop {
            let save = self.pos;
            self.skip()?;
            if self.peek() == Some(b'.') && self.at(self.pos + 1) != Some(b'.') {
                self.pos += 1;
                segs.push(self.name()?);
            } else {
                self.pos = save;
                return Some(segs);
            }
        }
    }

    /// `call = word ~ lparen ~ (arg ~ (comma ~ arg)* ~ comma?)? ~ rparen`, at `(`.
    fn call(&mut self, func: ast::Ident) -> Option<ast::Call> {
        self.enter()?;
        self.pos += 1;
        self.open()?;
        let mark = self.args.len();
        loop {
            if self.next_is(b')')? {
                self.pos += 1;
                self.close();
                break;
            }
            let astart = self.pos;
            // `arg_name = { word ~ &("=" ~ !"=") }`.
            let mut name = None;
            if let Some((s, e)) = self.word_here() {
                self.skip()?;
                if self.peek() == Some(b'=') {
                    self.pos += 1;
                    self.skip()?;
                    if self.peek() == Some(b'=') {
                        return None;
                    }
                    let w = &self.text[s..e];
                    if is_reserved(w) {
                        return None;
                    }
                    name = Some(ast::Ident {
                        name: w.to_owned(),
                        span: self.span(s, e),
                    });
                } else {
                    self.pos = astart;
                }
            }
            if name.is_none()
                && self
                    .args
                    .get(mark..)
                    .is_some_and(|a| a.iter().any(|a| a.name.is_some()))
            {
                return None;
            }
            let value = self.expr()?;
            let span = self.span(astart, value.span.end as usize);
            self.args.push(ast::Arg { name, value, span });
            self.skip()?;
            match self.peek()? {
                b',' => self.pos += 1,
                b')' => {}
                _ => return None,
            }
        }
        self.leave();
        Some(ast::Call {
            span: self.span(func.span.start as usize, self.pos),
            func,
            args: take_from(&mut self.args, mark),
        })
    }

    /// `number = ${ digits ~ fraction? ~ unit? }`.
    fn number(&mut self) -> Option<ast::Number> {
        let b = self.b;
        let s = self.pos;
        let mut i = s;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        // Up to 19 digits always fit in 64 bits; longer ones may (leading zeros).
        if i - s > 19 && self.text[s..i].parse::<u64>().is_err() {
            return None;
        }
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        let digits_end = i;
        if b.get(i) == Some(&b'%') {
            i += 1;
        } else {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
        }
        self.pos = i;
        Some(ast::Number {
            digits: self.text[s..digits_end].to_owned(),
            unit: self.text[digits_end..i].to_owned(),
        })
    }

    /// `string = ${ "\"" ~ (text | escape | interp)* ~ "\"" }`, at the quote.
    fn string(&mut self) -> Option<ast::StrLit> {
        self.enter()?;
        let start = self.pos;
        self.pos += 1;
        // Most strings are one piece of text.
        let mut parts: Vec<ast::StrPart> = Vec::with_capacity(1);
        loop {
            let s = self.pos;
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    let decoded = self.escape()?;
                    let span = self.span(s, self.pos);
                    push_text(&mut parts, decoded.encode_utf8(&mut [0; 4]), span);
                }
                b'$' if self.at(s + 1) == Some(b'{') => {
                    self.pos += 2;
                    self.open()?;
                    let e = self.expr()?;
                    self.eat(b'}')?;
                    self.close();
                    parts.push(ast::StrPart::Interp(e));
                }
                _ => {
                    // `text`: anything but `"`, `\` and `${`.
                    let mut i = s;
                    while let Some(&c) = self.b.get(i) {
                        if STR_STOP[c as usize] && (c != b'$' || self.at(i + 1) == Some(b'{')) {
                            break;
                        }
                        i += 1;
                    }
                    self.pos = i;
                    let span = self.span(s, i);
                    push_text(&mut parts, &self.text[s..i], span);
                }
            }
        }
        self.leave();
        Some(ast::StrLit {
            parts,
            span: self.span(start, self.pos),
        })
    }

    /// One escape, decoded; `None` for any the builder would report.
    fn escape(&mut self) -> Option<char> {
        let c = self.at(self.pos + 1)?;
        let simple = match c {
            b'n' => Some('\n'),
            b't' => Some('\t'),
            b'r' => Some('\r'),
            b'\\' => Some('\\'),
            b'"' => Some('"'),
            b'$' => Some('$'),
            _ => None,
        };
        if let Some(ch) = simple {
            self.pos += 2;
            return Some(ch);
        }
        if c == b'u' && self.at(self.pos + 2) == Some(b'{') {
            let from = self.pos + 3;
            let close = self
                .b
                .get(from..)?
                .iter()
                .position(|&c| c == b'}' || c == b'"')?;
            if self.b.get(from + close) != Some(&b'}') {
                return None;
            }
            let hex = &self.text[from..from + close];
            if hex.is_empty() || hex.len() > 6 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)?;
            self.pos = from + close + 1;
            return Some(ch);
        }
        None
    }
}

/// Moves `v[mark..]` into a vector of the exact size, with one allocation and one copy
/// (`drain(mark..).collect()` copies element by element, and `split_off(0)` would hand
/// over the whole scratch buffer). `mark` is at most `v.len()`: a parse function takes it
/// before pushing and inner ones take back what they pushed.
fn take_from<T>(v: &mut Vec<T>, mark: usize) -> Vec<T> {
    if mark == 0 {
        let mut out = Vec::with_capacity(v.len());
        out.append(v);
        out
    } else {
        v.split_off(mark.min(v.len()))
    }
}

/// Adjacent text and escapes merge into one text part, as the builder does.
fn push_text(parts: &mut Vec<ast::StrPart>, t: &str, s: Span) {
    match parts.last_mut() {
        Some(ast::StrPart::Text(prev, pspan)) => {
            prev.push_str(t);
            *pspan = pspan.to(s);
        }
        _ => parts.push(ast::StrPart::Text(t.to_owned(), s)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_with;
    use crate::source::FileId;

    /// Every `.kiln` file of the fixtures and examples.
    fn corpus() -> Vec<(String, String)> {
        let out = super::super::testing::corpus();
        assert!(out.len() > 20, "the corpus is missing: {}", out.len());
        out
    }

    /// The property that makes the fast path safe: whatever it accepts, pest accepts
    /// without a diagnostic and builds the same tree (spans and comments included).
    fn agree(name: &str, text: &str) -> bool {
        let scanned = crate::syntax::scan::scan(text);
        let fast = super::parse(text);
        let accepted = fast.is_some();
        if let Some(fast) = &fast {
            // The checks the scanner made before this parser ran are made by it.
            assert_eq!(
                scanned.problem, None,
                "{name}: accepted a scanner problem\n{text}"
            );
            assert_eq!(
                fast.comments, scanned.comments,
                "{name}: comments differ\n{text}"
            );
        }
        if accepted {
            let (fast, fd) = parse_with(FileId(0), text, true);
            let (slow, sd) = parse_with(FileId(0), text, false);
            assert!(
                sd.is_empty(),
                "{name}: fast path accepted, pest reports {sd:?}\n{text}"
            );
            assert!(fd.is_empty());
            assert_eq!(fast, slow, "{name}: the two parsers disagree on\n{text}");
        }
        accepted
    }

    #[test]
    fn valid_files_take_the_fast_path_and_agree() {
        let mut fast = 0;
        for (name, text) in corpus() {
            let (_, d) = parse_with(FileId(0), &text, false);
            let accepted = agree(&name, &text);
            // Imports and templates are left to pest on purpose.
            let rare = text.contains("import") || text.contains("template");
            if d.is_empty() && !rare {
                assert!(accepted, "{name}: valid, but the fast path gave up");
            }
            fast += usize::from(accepted);
        }
        assert!(fast > 10);
    }

    #[test]
    fn mutated_files_agree() {
        // Deterministic edits (deletions, duplications, insertions of the characters
        // that matter to the grammar) around every part of every file.
        const INSERT: &[&str] = &[
            "{", "}", "[", "]", "(", ")", "\"", "=", ".", "..", ",", "$", "${", "\\", "/", "//",
            "/*", "*/", "0", "9", "a", "-", "_", " ", "\n", "%", "let ", "none", "true", ":", "é",
            "\\u{41}", "\\n", "x = 1\n", "b {", "}\n",
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut accepted = 0;
        for (name, text) in corpus() {
            let n = text.len();
            if n == 0 {
                continue;
            }
            for _ in 0..120 {
                let at = (next() as usize) % n;
                if !text.is_char_boundary(at) {
                    continue;
                }
                let mut t = text.clone();
                match next() % 3 {
                    0 => {
                        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                        t.replace_range(at..end, "");
                    }
                    1 => {
                        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                        let dup = text[at..end].to_owned();
                        t.insert_str(at, &dup);
                    }
                    _ => t.insert_str(at, INSERT[(next() as usize) % INSERT.len()]),
                }
                accepted += usize::from(agree(&name, &t));
            }
        }
        // Many edits keep a file valid (in comments, strings, names): both parsers ran.
        assert!(accepted > 600, "{accepted}");
    }

    #[test]
    fn reserved_words_are_the_list() {
        for w in crate::syntax::RESERVED {
            assert!(super::is_reserved(w), "{w}");
        }
        for w in ["app", "lets", "Import", "", "non", "truex"] {
            assert!(!super::is_reserved(w), "{w}");
        }
        assert_eq!(crate::syntax::RESERVED.len(), 10);
    }

    #[test]
    fn edge_cases_agree() {
        for t in [
            "app a { x = \"a \" }",
            "app a { x = \"  \" y = \"a\\n \" }",
            "app a { x = \"${ a /* c */ } b\" }",
            "app a { x = \"${a}${b}\" }",
            "app a { x = 1..2 y = 1.5 z = 1 .. 2 w = 10% v = 512Mi }",
            "app a { x = f(1, b = 2,) y = [1, 2,] z = [] w = f() }",
            "app a { x = f(b == 2) }",
            "app a { x = a . b y = a.b.c }",
            "app a { \"k.x\" = 1 a.\"b\" = 2 a . b = 3 }",
            "app a { let x = 1 y = x }",
            "let x = 1\napp a { }",
            "profile p extends a, b { a.b = 1 c = none }",
            "profile p { }",
            "app a { x = http (\"/\") }",
            "app a { x = \"\\u{1F600}\\$\\\"\\\\\" }",
            "app a { x = \"\\u{D800}\" }",
            "app a { x = 99999999999999999999 }",
            "app a { b c { } d { } }",
            "app a { x = true y = false z = none w = truex }",
            "app a { x = f(a = 1, 2) }",
            "app a { x = t(1) { } }",
            "app a { let = 1 }",
            "app a { profile = 1 }",
            "app a { x = 1 } // end",
            "app a { x = 1 } /* end */",
            "app a { x = \"a\" // c\n}",
            "app a { x = 1\u{c} }",
            "app a { x = \"a\u{c}\" }",
            "app a {}}",
            "app a { x = 1. }",
            "app a { x = 1...2 }",
            "app a { x = [1 2] }",
            "app a { x = \"$\" y = \"$$\" z = \"a$\" }",
        ] {
            agree(t, t);
        }
    }
}
