//! Syntax errors in words a user knows. pest reports a position and the rules it tried
//! there; this module looks at the tokens around that position (from [`super::scan`])
//! and says what is wrong in the user's terms, and how the driver should recover.

use super::parse::Rule;
use super::scan::{self, Scan, Tok, Token};
use crate::diag::{Diagnostic, codes};
use crate::source::{FileId, Span};

/// How the driver recovers from an error before parsing again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fix {
    /// Replace `[start, end)` with spaces.
    Blank(usize, usize),
    /// Turn the whitespace byte at this offset into a `}`.
    Close(usize),
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
    (d, (culprit, line_end))
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

/// Explains the pest error at `pos` and says how to recover.
pub(crate) fn explain(
    file: FileId,
    text: &str,
    scanned: &Scan,
    pos: usize,
    positives: &[Rule],
) -> (Option<Diagnostic>, Fix) {
    let ctx = Context::new(text, &scanned.tokens, pos);
    let (msg, label, help) = generic(&ctx, positives);
    let span = ctx.cur_span();
    let mut d = Diagnostic::new(codes::SYNTAX, file, span, msg).label(label);
    if let Some(h) = help {
        d = d.help(h);
    }
    let fix = ctx.blank_line_fix();
    (Some(d), fix)
}

/// The tokens around an error position.
struct Context<'a> {
    text: &'a str,
    toks: &'a [Token],
    /// Index of the first token at or after the error (== toks.len() at the end).
    cur: usize,
}

impl<'a> Context<'a> {
    fn new(text: &'a str, toks: &'a [Token], pos: usize) -> Self {
        let cur = toks.partition_point(|t| t.start < pos);
        Context { text, toks, cur }
    }

    fn tok(&self, i: usize) -> Option<&Token> {
        self.toks.get(i)
    }

    fn slice(&self, t: &Token) -> &'a str {
        self.text.get(t.start..t.end).unwrap_or("")
    }

    /// The span of the current token, or an empty span at the end of the text.
    fn cur_span(&self) -> Span {
        match self.tok(self.cur) {
            Some(t) => Span::new(t.start, t.end),
            None => Span::new(self.text.len(), self.text.len()),
        }
    }

    fn line_start(&self, pos: usize) -> usize {
        self.text[..pos.min(self.text.len())]
            .rfind('\n')
            .map_or(0, |p| p + 1)
    }

    fn line_end(&self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        self.text[pos..]
            .find('\n')
            .map_or(self.text.len(), |p| pos + p)
    }

    /// Drops the line of the error token.
    fn blank_line_fix(&self) -> Fix {
        match self.tok(self.cur) {
            Some(t) => Fix::Blank(self.line_start(t.start), self.line_end(t.start)),
            None => Fix::CloseAtEnd,
        }
    }
}

fn describe(t: Option<&Token>, ctx: &Context<'_>) -> String {
    match t {
        None => "the end of the file".to_string(),
        Some(t) => match t.kind {
            Tok::Str => "a string".to_string(),
            Tok::Number => format!("`{}`", ctx.slice(t)),
            _ => format!("`{}`", ctx.slice(t)),
        },
    }
}

fn generic(ctx: &Context<'_>, positives: &[Rule]) -> (String, String, Option<String>) {
    let mut words: Vec<&str> = positives.iter().filter_map(|r| rule_words(*r)).collect();
    words.sort();
    words.dedup();
    let found = describe(ctx.tok(ctx.cur), ctx);
    let msg = if words.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", join_or(&words))
    };
    (msg, "unexpected here".to_string(), None)
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
