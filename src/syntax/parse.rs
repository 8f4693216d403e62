//! pest → AST, with error recovery and user-facing syntax errors.
//!
//! The driver ([`parse`]) runs in rounds: scan (lexical problems, depth limit), then pest.
//! pest stops at the first error, so each error is reported in words (see
//! [`super::errors`]), the offending region is blanked out (replaced by spaces, which
//! keeps every byte offset) or a missing `}` is supplied, and the text is parsed again.
//! The tree of the last round holds everything that was not blanked.

use super::ast;
use super::errors;
use super::scan::{self, Problem};
use crate::diag::{Diagnostic, Diagnostics, codes};
use crate::source::{FileId, Span};
use pest::Parser as _;
use pest::iterators::Pair;

// The hand-written parser for valid files; a child of this module so that it can share
// the builder's helpers without widening any visibility.
#[path = "fast.rs"]
mod fast;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/kiln.pest"]
pub(crate) struct KilnParser;

/// Files larger than this are refused (K0007) rather than parsed.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

/// Files at least this large are parsed in pieces in parallel (`fast::parse_split`):
/// below it, the pieces would cost more to schedule than they save.
const SPLIT_MIN_BYTES: usize = 64 * 1024;

/// At most this many syntax errors are reported for one file; past it, parsing stops.
pub const MAX_ERRORS: usize = 50;

/// Words that are never names.
pub const RESERVED: &[&str] = &[
    "import", "as", "template", "profile", "extends", "let", "from", "true", "false", "none",
];

/// Parses one file. Never fails and never panics: syntax errors are diagnostics, and the
/// tree holds whatever could be recovered.
pub fn parse(file: FileId, text: &str) -> (ast::File, Diagnostics) {
    parse_with(file, text, true)
}

/// [`parse`], with or without the hand-written fast path for valid files (see
/// `fast.rs`); without it is for the tests that compare the two parsers.
pub(crate) fn parse_with(file: FileId, text: &str, fast_path: bool) -> (ast::File, Diagnostics) {
    let mut diags = Diagnostics::default();
    let empty = |comments| ast::File {
        items: Vec::new(),
        comments,
        span: Span::new(0, text.len()),
    };
    if text.len() > MAX_FILE_BYTES {
        diags.push(
            Diagnostic::new(
                codes::INPUT_TOO_LARGE,
                file,
                Span::new(0, 0),
                format!(
                    "the file is {} MiB, more than the limit of {} MiB",
                    text.len() / (1024 * 1024),
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            )
            .label("the file starts here")
            .help("split the configuration into several files"),
        );
        return (empty(Vec::new()), diags);
    }

    // A file without any problem is parsed by the hand-written parser, which gives the
    // tree pest would give, tens of times faster; anything else goes to pest, which
    // explains errors and recovers (fast.rs says why both exist).
    if fast_path {
        // Big files are parsed in pieces on all cores (`fast::parse_split` gives what
        // `fast::parse` gives, a bad cut costing only a second parse of its piece).
        let parsed = if text.len() >= SPLIT_MIN_BYTES {
            // Many pieces per thread, so that the last piece leaves the other core idle
            // only briefly (with four per thread, one core waited about 5 ms at 10,000
            // apps); each piece costs only a cut point and a vector append.
            let chunks = 16 * rayon::current_num_threads().max(1);
            fast::parse_split(text, chunks)
        } else {
            fast::parse(text)
        };
        if let Some(parsed) = parsed {
            let ast = ast::File {
                items: parsed.items,
                comments: comments_of(text, &parsed.comments),
                span: Span::new(0, text.len()),
            };
            return (ast, diags);
        }
    }

    let mut work = text.as_bytes().to_vec();
    // A UTF-8 byte order mark (some Windows editors write one) is not text: the parser
    // sees spaces in its place, so every offset after it stays the same.
    if text.starts_with('\u{feff}') {
        blank_out(&mut work, 0, '\u{feff}'.len_utf8());
    }
    // Closing braces supplied at the end of the file for blocks left open.
    let mut appended = 0usize;
    // Set when the rest of the file was dropped: errors at its end are then consequences.
    let mut dropped_tail = false;
    let mut syntax_errors = 0usize;
    // Logical lines that already had an error (see `errors::explain`).
    let mut seen = Vec::new();
    // Items parsed so far, each with the byte where it ends and what the builder reported
    // about it. Parsing goes one item at a time, so an error costs a re-parse of one
    // item, not of the whole file (a fix before an item drops it, and it is parsed again).
    let mut items: Vec<(ast::Item, usize, Vec<Diagnostic>)> = Vec::new();
    let mut pos = 0usize;
    let mut current = String::new();
    // `current` and the closing braces supplied at its end: what pest parses.
    let mut full = String::new();
    let mut scanned = scan::Scan::default();
    let mut dirty = true;
    let mut rounds = 0usize;
    loop {
        if dirty {
            rounds += 1;
            if rounds > 4 * MAX_ERRORS || syntax_errors >= MAX_ERRORS {
                break;
            }
            dirty = false;
            current = String::from_utf8_lossy(&work).into_owned();
            scanned = scan::scan(&current);
            full = current.clone();
            full.push_str(&"}".repeat(appended));
            if let Some(problem) = &scanned.problem {
                let (d, blank) = match *problem {
                    Problem::TooDeep { at, blank } => {
                        // A block's header (`kind name`) goes with its body.
                        let mut start = blank.0;
                        if current.as_bytes().get(at.0) == Some(&b'{') {
                            let before = scanned.tokens.partition_point(|t| t.end <= at.0);
                            for t in scanned.tokens[..before].iter().rev() {
                                if !matches!(t.kind, scan::Tok::Word | scan::Tok::Punct('=')) {
                                    break;
                                }
                                start = t.start;
                            }
                        }
                        (errors::too_deep(file, at), (start, blank.1))
                    }
                    Problem::UnterminatedString { start } => {
                        errors::unterminated_string(file, &current, &scanned, start)
                    }
                    Problem::UnterminatedComment { start } => {
                        errors::unterminated_comment(file, start, current.len())
                    }
                };
                if blank.1 >= text.len() {
                    dropped_tail = true;
                }
                diags.push(d);
                syntax_errors += 1;
                blank_out(&mut work, blank.0, blank.1.min(text.len()));
                rewind(&mut items, &mut pos, blank.0);
                dirty = true;
                continue;
            }
        }
        // Done when no token is left.
        if scanned.tokens.partition_point(|t| t.start < pos) >= scanned.tokens.len() {
            break;
        }
        let Some(rest) = full.get(pos..) else { break };
        match KilnParser::parse(Rule::item_one, rest) {
            Ok(mut pairs) => {
                let Some(item) = pairs.next().and_then(|p| p.into_inner().next()) else {
                    break;
                };
                let end = pos + item.as_span().end();
                let mut item_diags = Diagnostics::default();
                let mut b = Builder {
                    file,
                    len: text.len(),
                    offset: pos,
                    text: &full,
                    comments: &scanned.comments,
                    diags: &mut item_diags,
                };
                if let Some(it) = b.item(item) {
                    items.push((it, end, item_diags.0));
                }
                pos = end;
            }
            Err(e) => {
                let rel = match e.location {
                    pest::error::InputLocation::Pos(p) => p,
                    pest::error::InputLocation::Span((s, _)) => s,
                };
                let at = pos + rel;
                let positives = match &e.variant {
                    pest::error::ErrorVariant::ParsingError { positives, .. } => positives.clone(),
                    pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
                };
                if at >= current.len() && (dropped_tail || appended > 0) {
                    // The end of the file was dropped with an earlier error, or braces
                    // were supplied there: what is missing is a consequence, not news.
                    break;
                }
                let (d, fix) = errors::explain(
                    file,
                    &current,
                    &scanned,
                    at.min(current.len()),
                    &positives,
                    &mut seen,
                );
                if let Some(d) = d {
                    diags.push(d);
                    syntax_errors += 1;
                }
                let changed_at = match fix {
                    errors::Fix::Blank(s, e)
                        if s < e
                            && s < text.len()
                            && work[s..e.min(text.len())]
                                .iter()
                                .any(|b| !b.is_ascii_whitespace()) =>
                    {
                        blank_out(&mut work, s, e.min(text.len()));
                        s
                    }
                    // Only where the text had an ASCII byte: a supplied `}` inside a
                    // blanked multi-byte character would be reported inside it.
                    errors::Fix::Insert(at, byte)
                        if at < text.len()
                            && work[at].is_ascii_whitespace()
                            && text.as_bytes()[at].is_ascii() =>
                    {
                        work[at] = byte;
                        at
                    }
                    errors::Fix::CloseAtEnd if appended < scan::MAX_DEPTH => {
                        appended += 1;
                        text.len()
                    }
                    _ => break,
                };
                rewind(&mut items, &mut pos, changed_at);
                dirty = true;
            }
        }
    }
    let mut out = Vec::with_capacity(items.len());
    for (item, _, d) in items {
        out.push(item);
        diags.extend(d);
    }
    let ast = ast::File {
        items: out,
        comments: comments_of(text, &scanned.comments),
        span: Span::new(0, text.len()),
    };
    on_char_boundaries(text, &mut diags);
    (ast, diags)
}

/// The parsers one at a time, for `tests/syntax_fast.rs`, which compares them node for
/// node; not an API.
#[doc(hidden)]
pub mod testing {
    use super::{ast, fast};
    use crate::diag::Diagnostics;
    use crate::source::{FileId, Span};

    fn file(text: &str, parsed: fast::Parsed) -> ast::File {
        ast::File {
            items: parsed.items,
            comments: super::comments_of(text, &parsed.comments),
            span: Span::new(0, text.len()),
        }
    }

    /// The hand-written parser on the whole file; `None` where it gives up.
    pub fn fast_serial(text: &str) -> Option<ast::File> {
        fast::parse(text).map(|p| file(text, p))
    }

    /// The hand-written parser on about `chunks` pieces in parallel; `None` where it
    /// gives up.
    pub fn fast_split(text: &str, chunks: usize) -> Option<ast::File> {
        fast::parse_split(text, chunks).map(|p| file(text, p))
    }

    /// Where [`fast_split`] cuts the file.
    pub fn split_points(text: &str, chunks: usize) -> Vec<usize> {
        fast::split_points(text, chunks)
    }

    /// The pest driver alone.
    pub fn pest(file: FileId, text: &str) -> (ast::File, Diagnostics) {
        super::parse_with(file, text, false)
    }

    /// Every `.kiln` file of the syntax and check fixtures and of the examples, as (path,
    /// text), sorted: the corpus the parser comparisons run on.
    pub fn corpus() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut out = Vec::new();
        for dir in ["tests/fixtures/syntax", "tests/fixtures/check", "examples"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&d) else {
                    continue;
                };
                for e in rd.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p.extension().is_some_and(|x| x == "kiln")
                        && let Ok(t) = std::fs::read_to_string(&p)
                    {
                        out.push((p.display().to_string(), t));
                    }
                }
            }
        }
        out.sort();
        out
    }
}

/// Widens every label to whole characters of `text`. Recovery works on bytes, so a label
/// could start or end inside a multi-byte character; the renderers slice the text by
/// labels, and a split character would make a wrong caret (or a panic elsewhere).
fn on_char_boundaries(text: &str, diags: &mut Diagnostics) {
    let widen = |span: &mut Span| {
        let mut start = (span.start as usize).min(text.len());
        let mut end = (span.end as usize).clamp(start, text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        while !text.is_char_boundary(end) {
            end += 1;
        }
        *span = Span::new(start, end);
    };
    for d in &mut diags.0 {
        widen(&mut d.primary.loc.span);
        for l in &mut d.secondary {
            widen(&mut l.loc.span);
        }
    }
}

/// Forgets the items that end after byte `changed` (their text changed) and moves the
/// parse position back to the end of the last item kept.
fn rewind(items: &mut Vec<(ast::Item, usize, Vec<Diagnostic>)>, pos: &mut usize, changed: usize) {
    while items.last().is_some_and(|(_, end, _)| *end > changed) {
        items.pop();
    }
    *pos = (*pos).min(items.last().map_or(0, |(_, end, _)| *end));
}

/// Replaces `[start, end)` with spaces, keeping line breaks so lines and offsets stay put.
fn blank_out(work: &mut [u8], start: usize, end: usize) {
    let end = end.min(work.len());
    for b in work.iter_mut().take(end).skip(start) {
        if *b != b'\n' {
            *b = b' ';
        }
    }
}

fn comments_of(text: &str, comments: &[(usize, usize)]) -> Vec<ast::Comment> {
    comments
        .iter()
        .filter_map(|&(s, e)| {
            let t = text.get(s..e)?;
            // A line comment's span stops before the line break; a CR before it is not text.
            let t = t.strip_suffix('\r').unwrap_or(t);
            Some(ast::Comment {
                text: t.to_string(),
                span: Span::new(s, s + t.len()),
            })
        })
        .collect()
}

/// Builds the AST from pest pairs. The grammar guarantees the shape, so a missing child
/// means a grammar/builder mismatch; the builder then skips the node instead of panicking.
struct Builder<'d> {
    file: FileId,
    /// The length of the real text (recovery may have appended closing braces).
    len: usize,
    /// The text pest parsed (positions in pairs are relative to `offset` in it).
    text: &'d str,
    /// Where the parsed slice starts in `text`.
    offset: usize,
    /// Comment spans, in order.
    comments: &'d [(usize, usize)],
    diags: &'d mut Diagnostics,
}

fn rules_skipped(r: Rule) -> bool {
    matches!(
        r,
        Rule::eq
            | Rule::lbrace
            | Rule::rbrace
            | Rule::lparen
            | Rule::rparen
            | Rule::rbracket
            | Rule::comma
            | Rule::dot
            | Rule::dotdot
            | Rule::colon
            | Rule::kw_import
            | Rule::kw_as
            | Rule::kw_let
            | Rule::kw_profile
            | Rule::kw_extends
            | Rule::kw_template
            | Rule::EOI
    )
}

/// The meaningful children of a pair (punctuation and keywords dropped).
fn kids(p: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    p.into_inner().filter(|c| !rules_skipped(c.as_rule()))
}

impl Builder<'_> {
    /// The span of a node. pest includes the whitespace and comments skipped before an
    /// optional part that was not there (`expr = { primary ~ (".." ~ primary)? }`), so
    /// the end is moved back over them.
    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        let start = s.start() + self.offset;
        let mut end = s.end() + self.offset;
        let b = self.text.as_bytes();
        // Most nodes end on a token: no whitespace before the end and no comment there.
        if b.get(end.wrapping_sub(1))
            .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'/')
            && end < self.len
        {
            return Span::new(start.min(self.len), end.min(self.len));
        }
        while end > start {
            // Inside a comment (which may itself end in spaces): back to its start.
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
        Span::new(start.min(self.len), end.min(self.len))
    }

    fn item(&mut self, p: Pair<'_, Rule>) -> Option<ast::Item> {
        match p.as_rule() {
            Rule::import => self.import(p).map(ast::Item::Import),
            Rule::let_stmt => self.let_stmt(p).map(ast::Item::Let),
            Rule::profile => self.profile(p).map(ast::Item::Profile),
            Rule::template => self.template(p).map(ast::Item::Template),
            Rule::block => self.block(p).map(ast::Item::Block),
            _ => None,
        }
    }

    /// A name; reserved words are reported (the name is still kept in the tree).
    fn name(&mut self, p: Pair<'_, Rule>, what: &str) -> ast::Ident {
        let id = ast::Ident {
            name: p.as_str().to_string(),
            span: self.span(&p),
        };
        self.check_reserved(&id.name, id.span, what);
        id
    }

    fn check_reserved(&mut self, name: &str, span: Span, what: &str) {
        if RESERVED.contains(&name) {
            let mut d = Diagnostic::new(
                codes::RESERVED_WORD,
                self.file,
                span,
                format!("`{name}` is a reserved word and cannot be used as {what}"),
            )
            .label("reserved word");
            d = if what == "a field name" {
                d.help(format!("quote it to use it as a key: `\"{name}\"`"))
            } else {
                d.help("choose another name")
            };
            self.diags.push(d);
        }
    }

    fn import(&mut self, p: Pair<'_, Rule>) -> Option<ast::Import> {
        let span = self.span(&p);
        let mut it = kids(p);
        let path = self.string(it.next()?);
        let alias = it.next().map(|a| self.name(a, "an import alias"));
        Some(ast::Import { path, alias, span })
    }

    fn let_stmt(&mut self, p: Pair<'_, Rule>) -> Option<ast::Let> {
        let span = self.span(&p);
        let mut it = kids(p);
        let name = self.name(it.next()?, "a binding name");
        let value = self.expr(it.next()?)?;
        Some(ast::Let { name, value, span })
    }

    fn profile(&mut self, p: Pair<'_, Rule>) -> Option<ast::Profile> {
        let span = self.span(&p);
        let mut name = None;
        let mut extends = Vec::new();
        let mut fields = Vec::new();
        for c in kids(p) {
            match c.as_rule() {
                Rule::word => name = Some(self.name(c, "a profile name")),
                Rule::extends => {
                    for w in kids(c) {
                        extends.push(self.name(w, "a profile name"));
                    }
                }
                Rule::field => fields.extend(self.field(c)),
                _ => {}
            }
        }
        Some(ast::Profile {
            name: name?,
            extends,
            fields,
            span,
        })
    }

    fn template(&mut self, p: Pair<'_, Rule>) -> Option<ast::Template> {
        let span = self.span(&p);
        let mut name = None;
        let mut params = Vec::new();
        let mut body = None;
        for c in kids(p) {
            match c.as_rule() {
                Rule::word => name = Some(self.name(c, "a template name")),
                Rule::param => params.extend(self.param(c)),
                Rule::tblock => {
                    let bspan = self.span(&c);
                    let mut it = kids(c);
                    let kind = self.name(it.next()?, "a block kind");
                    let b = it.next()?;
                    let body_span = self.span(&b);
                    let entries = self.body(b);
                    body = Some(ast::Block {
                        kind,
                        name: None,
                        template: None,
                        entries,
                        span: bspan,
                        body_span,
                    });
                }
                _ => {}
            }
        }
        Some(ast::Template {
            name: name?,
            params,
            body: body?,
            span,
        })
    }

    fn param(&mut self, p: Pair<'_, Rule>) -> Option<ast::Param> {
        let span = self.span(&p);
        let mut it = kids(p);
        let name = self.name(it.next()?, "a parameter name");
        let t = it.next()?;
        let ty = ast::Ident {
            name: t.as_str().to_string(),
            span: self.span(&t),
        };
        let default = match it.next() {
            Some(e) => Some(self.expr(e)?),
            None => None,
        };
        Some(ast::Param {
            name,
            ty,
            default,
            span,
        })
    }

    fn block(&mut self, p: Pair<'_, Rule>) -> Option<ast::Block> {
        let span = self.span(&p);
        let mut kind = None;
        let mut name = None;
        let mut template = None;
        let mut entries = Vec::new();
        let mut body_span = span;
        for c in kids(p) {
            match c.as_rule() {
                Rule::word => kind = Some(self.name(c, "a block kind")),
                Rule::block_name => {
                    let w = kids(c).next()?;
                    name = Some(self.name(w, "a block name"));
                }
                Rule::call => template = self.call(c),
                Rule::body => {
                    body_span = self.span(&c);
                    entries = self.body(c);
                }
                _ => {}
            }
        }
        Some(ast::Block {
            kind: kind?,
            name,
            template,
            entries,
            span,
            body_span,
        })
    }

    fn body(&mut self, p: Pair<'_, Rule>) -> Vec<ast::Entry> {
        let mut entries = Vec::new();
        for c in kids(p) {
            let e = match c.as_rule() {
                Rule::field => self.field(c).map(ast::Entry::Field),
                Rule::block => self.block(c).map(ast::Entry::Block),
                Rule::let_stmt => self.let_stmt(c).map(ast::Entry::Let),
                _ => None,
            };
            entries.extend(e);
        }
        entries
    }

    fn field(&mut self, p: Pair<'_, Rule>) -> Option<ast::Field> {
        let span = self.span(&p);
        let mut path = Vec::new();
        let mut value = None;
        for c in kids(p) {
            match c.as_rule() {
                Rule::key => {
                    let k = c.into_inner().next()?;
                    let kspan = self.span(&k);
                    if k.as_rule() == Rule::string {
                        let s = self.string(k);
                        let name = match s.as_plain() {
                            Some(t) => t,
                            None => {
                                self.diags.push(
                                    Diagnostic::new(
                                        codes::SYNTAX,
                                        self.file,
                                        kspan,
                                        "a quoted key cannot contain `${...}`",
                                    )
                                    .label("interpolation in a key")
                                    .help("write the key as plain text"),
                                );
                                String::new()
                            }
                        };
                        path.push(ast::Key {
                            name,
                            quoted: true,
                            span: kspan,
                        });
                    } else {
                        // Reserved words are fine as keys: a key is never an expression,
                        // and patch paths need `spec.template.spec`.
                        let name = k.as_str().to_string();
                        path.push(ast::Key {
                            name,
                            quoted: false,
                            span: kspan,
                        });
                    }
                }
                Rule::expr => value = self.expr(c),
                _ => {}
            }
        }
        Some(ast::Field {
            path,
            value: value?,
            span,
        })
    }

    fn expr(&mut self, p: Pair<'_, Rule>) -> Option<ast::Expr> {
        let span = self.span(&p);
        let mut it = kids(p);
        let first = self.primary(it.next()?)?;
        match it.next() {
            None => Some(first),
            Some(second) => {
                let second = self.primary(second)?;
                Some(ast::Expr {
                    kind: ast::ExprKind::Range(Box::new(first), Box::new(second)),
                    span,
                })
            }
        }
    }

    fn primary(&mut self, p: Pair<'_, Rule>) -> Option<ast::Expr> {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::string => ast::ExprKind::Str(self.string(p)),
            Rule::number => ast::ExprKind::Number(self.number(p)),
            Rule::boolean => ast::ExprKind::Bool(p.as_str() == "true"),
            Rule::none => ast::ExprKind::None,
            Rule::list => {
                let mut items = Vec::new();
                for c in kids(p) {
                    items.extend(self.expr(c));
                }
                ast::ExprKind::List(items)
            }
            Rule::call => ast::ExprKind::Call(self.call(p)?),
            Rule::reference => {
                let mut segs = Vec::new();
                for w in kids(p) {
                    segs.push(self.name(w, "a name"));
                }
                ast::ExprKind::Ref(segs)
            }
            _ => return None,
        };
        Some(ast::Expr { kind, span })
    }

    fn number(&mut self, p: Pair<'_, Rule>) -> ast::Number {
        let span = self.span(&p);
        let mut digits = String::new();
        let mut unit = String::new();
        let mut whole_len = 0;
        for c in p.into_inner() {
            match c.as_rule() {
                Rule::digits => {
                    whole_len = c.as_str().len();
                    digits.push_str(c.as_str());
                }
                Rule::fraction => digits.push_str(c.as_str()),
                Rule::unit => unit.push_str(c.as_str()),
                _ => {}
            }
        }
        let whole = digits.get(..whole_len).unwrap_or("");
        if whole.parse::<u64>().is_err() && !whole.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    codes::NUMBER_TOO_LARGE,
                    self.file,
                    span,
                    format!("the number `{whole}` does not fit in 64 bits"),
                )
                .label("too large")
                .help(format!("numbers must be at most {}", u64::MAX)),
            );
        }
        ast::Number { digits, unit }
    }

    fn call(&mut self, p: Pair<'_, Rule>) -> Option<ast::Call> {
        let span = self.span(&p);
        let mut func = None;
        let mut args: Vec<ast::Arg> = Vec::new();
        for c in kids(p) {
            match c.as_rule() {
                Rule::word => func = Some(self.name(c, "a function name")),
                Rule::arg => {
                    let aspan = self.span(&c);
                    let mut name = None;
                    let mut value = None;
                    for a in kids(c) {
                        match a.as_rule() {
                            Rule::arg_name => {
                                let w = kids(a).next()?;
                                name = Some(self.name(w, "an argument name"));
                            }
                            Rule::expr => value = self.expr(a),
                            _ => {}
                        }
                    }
                    if name.is_none()
                        && let Some(named) = args.iter().find(|a| a.name.is_some())
                    {
                        self.diags.push(
                            Diagnostic::new(
                                codes::SYNTAX,
                                self.file,
                                aspan,
                                "a positional argument cannot follow a named argument",
                            )
                            .label("positional argument")
                            .secondary(self.file, named.span, "named argument before it")
                            .help("put positional arguments first, then `name = value` arguments"),
                        );
                    }
                    args.push(ast::Arg {
                        name,
                        value: value?,
                        span: aspan,
                    });
                }
                _ => {}
            }
        }
        Some(ast::Call {
            func: func?,
            args,
            span,
        })
    }

    fn string(&mut self, p: Pair<'_, Rule>) -> ast::StrLit {
        let span = self.span(&p);
        let mut parts: Vec<ast::StrPart> = Vec::new();
        // Adjacent text and escapes merge into one text part.
        let push_text = |parts: &mut Vec<ast::StrPart>, t: &str, s: Span| match parts.last_mut() {
            Some(ast::StrPart::Text(prev, pspan)) => {
                prev.push_str(t);
                *pspan = pspan.to(s);
            }
            _ => parts.push(ast::StrPart::Text(t.to_string(), s)),
        };
        for c in p.into_inner() {
            let cspan = self.span(&c);
            match c.as_rule() {
                Rule::text => push_text(&mut parts, c.as_str(), cspan),
                Rule::escape => {
                    let decoded = self.escape(c.as_str(), cspan);
                    push_text(&mut parts, &decoded, cspan);
                }
                Rule::interp => {
                    if let Some(e) = kids(c).next().and_then(|e| self.expr(e)) {
                        parts.push(ast::StrPart::Interp(e));
                    }
                }
                _ => {}
            }
        }
        ast::StrLit { parts, span }
    }

    /// Decodes one escape; an unknown one is reported (K0003) and kept as written.
    fn escape(&mut self, esc: &str, span: Span) -> String {
        let body = esc.get(1..).unwrap_or("");
        let simple = match body {
            "n" => Some('\n'),
            "t" => Some('\t'),
            "r" => Some('\r'),
            "\\" => Some('\\'),
            "\"" => Some('"'),
            "$" => Some('$'),
            _ => None,
        };
        if let Some(c) = simple {
            return c.to_string();
        }
        if let Some(hex) = body.strip_prefix("u{").and_then(|h| h.strip_suffix('}')) {
            let ok =
                !hex.is_empty() && hex.len() <= 6 && hex.chars().all(|c| c.is_ascii_hexdigit());
            if let Some(c) = ok
                .then(|| u32::from_str_radix(hex, 16).ok().and_then(char::from_u32))
                .flatten()
            {
                return c.to_string();
            }
            self.diags.push(
                Diagnostic::new(
                    codes::BAD_ESCAPE,
                    self.file,
                    span,
                    format!("`{esc}` is not a valid unicode escape"),
                )
                .label("not a unicode scalar value")
                .help(
                    "write 1 to 6 hexadecimal digits of a unicode scalar value, e.g. `\\u{1F600}`",
                ),
            );
            return esc.to_string();
        }
        let shown = if body.starts_with('u') {
            "\\u".to_string()
        } else {
            esc.to_string()
        };
        let mut d = Diagnostic::new(
            codes::BAD_ESCAPE,
            self.file,
            span,
            format!("unknown escape sequence `{shown}` in a string"),
        )
        .label("unknown escape");
        d = if body.starts_with('u') {
            d.help("a unicode escape is written with braces: `\\u{1F600}`")
        } else {
            d.help(
                "known escapes are `\\n` `\\t` `\\r` `\\\\` `\\\"` `\\$` `\\u{...}`; write `\\\\` for a literal backslash",
            )
        };
        self.diags.push(d);
        esc.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diags(text: &str) -> Vec<String> {
        let (_, d) = parse(FileId(0), text);
        d.iter()
            .map(|d| format!("{} {:?} {}", d.code, d.primary.loc.span, d.message))
            .collect()
    }

    #[test]
    fn parses_the_example() {
        let text = include_str!("../../examples/csis/app.kiln");
        let (f, d) = parse(FileId(0), text);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(f.items.len(), 2);
        assert_eq!(f.comments.len(), 7);
    }

    #[test]
    fn hostile_inputs_do_not_overflow() {
        // A top-level `[` is itself an error, reported besides the depth.
        let d = diags(&"[".repeat(100_000));
        assert!(d.iter().any(|d| d.starts_with("K0004")), "{d:?}");
        let blocks = format!("{}{}", "a {".repeat(10_000), "}".repeat(10_000));
        let d = diags(&blocks);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].starts_with("K0004"));
        let calls = format!("app a {{ x = {}1{} }}", "f(".repeat(5000), ")".repeat(5000));
        assert!(diags(&calls)[0].starts_with("K0004"));
        let interps = format!(
            "app a {{ x = {}{} }}",
            "\"${".repeat(3000),
            "}\"".repeat(3000)
        );
        assert!(diags(&interps)[0].starts_with("K0004"));
        // Exactly at the limit still parses.
        let ok = format!("app a {{ x = {}1{} }}", "[".repeat(63), "]".repeat(63));
        assert!(diags(&ok).is_empty(), "{:?}", diags(&ok));
    }

    #[test]
    fn too_large() {
        let big = " ".repeat(MAX_FILE_BYTES + 1);
        let d = diags(&big);
        assert!(d.len() == 1 && d[0].starts_with("K0007"), "{d:?}");
    }

    #[test]
    fn garbage_does_not_panic() {
        for t in [
            "}",
            "{",
            "]]]",
            "\"",
            "\"${",
            "app a { x = \"${ }\" }",
            "/*",
            "a.b.c",
            "..",
            "=",
            "app { = }",
            "let",
            "import",
            "template t(",
            "profile p extends",
            "app a { b = [1,, 2] }",
            "x = 1 2 3 4",
            "app a { x = \"\\u{\" }",
            "\u{FEFF}app a {}",
            "app a { é = 1 }",
            "\0\0",
            "app a {\r\n x = 1\r\n}",
        ] {
            let _ = parse(FileId(0), t);
        }
    }
}
