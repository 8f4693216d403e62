//! A linear, non-recursive scan of the source that mirrors the lexical rules of
//! `grammar/kiln.pest`. pest itself recurses and cannot recover, so this pass runs first
//! and gives the parser driver what pest cannot:
//!
//! - the nesting depth, measured with an explicit stack, so a hostile input (100 000 `[`)
//!   is refused with K0004 before pest would recurse into it;
//! - unterminated strings and block comments, found without backtracking;
//! - every comment with its span (the grammar skips comments; the formatter needs them);
//! - a flat token list (strings as one token) that error messages use as context.

/// The deepest nesting of blocks, lists, calls and interpolations accepted.
pub(crate) const MAX_DEPTH: usize = 64;

/// A token kind. Strings are one token, whatever interpolations they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// `[A-Za-z_][A-Za-z0-9_-]*`.
    Word,
    /// `digits (. digits)? unit?`.
    Number,
    /// A whole string literal, quotes included.
    Str,
    /// `{`, `[` or `(`.
    Open(u8),
    /// `}`, `]` or `)`.
    Close(u8),
    /// `..`.
    DotDot,
    /// Any other single character (`=`, `,`, `.`, `:`, or something kiln does not use).
    Punct(char),
}

/// One token of the top level (not inside a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

/// A lexical problem the scanner found; the driver reports it and blanks `blank`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Nesting deeper than [`MAX_DEPTH`]: the opener at `at` and the region to drop (from
    /// the opener to its matching closer, or to the end of the file).
    TooDeep {
        at: (usize, usize),
        blank: (usize, usize),
    },
    /// A string whose closing quote is missing; `start` is its opening quote.
    UnterminatedString { start: usize },
    /// A `/*` without `*/`.
    UnterminatedComment { start: usize },
}

/// The result of a scan.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// Top-level tokens in order.
    pub tokens: Vec<Token>,
    /// Every comment (outside strings, including inside interpolations), in order.
    pub comments: Vec<(usize, usize)>,
    /// The first lexical problem, if any (the driver fixes it and scans again).
    pub problem: Option<Problem>,
    /// Top-level strings that span several lines: the likely culprit when a quote is
    /// missing earlier in the file (the quotes then pair up wrongly).
    pub multiline_strings: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Copy)]
enum Frame {
    /// An open bracket.
    Bracket(u8),
    /// `${`.
    Interp,
    /// A string opened at this position.
    Str(usize),
}

/// Scans `text`. Linear time, constant stack.
pub(crate) fn scan(text: &str) -> Scan {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Scan::default();
    let mut stack: Vec<Frame> = Vec::new();
    // Brackets and interpolations open (strings do not count towards depth).
    let mut depth = 0usize;
    // While skipping a too-deep region: the depth to come back to, and where it began.
    let mut skipping: Option<(usize, usize, usize)> = None;
    let mut i = 0usize;
    while i < n {
        let in_str = matches!(stack.last(), Some(Frame::Str(_)));
        let c = b[i];
        if in_str {
            match c {
                b'"' => {
                    if let Some(Frame::Str(start)) = stack.pop()
                        && skipping.is_none()
                        && !stack.iter().any(|f| matches!(f, Frame::Str(_)))
                    {
                        out.tokens.push(Token {
                            kind: Tok::Str,
                            start,
                            end: i + 1,
                        });
                        if text[start..i].contains('\n') {
                            out.multiline_strings.push((start, i + 1));
                        }
                    }
                    i += 1;
                }
                b'\\' => i += 2,
                b'$' if b.get(i + 1) == Some(&b'{') => {
                    open(
                        &mut stack,
                        &mut depth,
                        &mut skipping,
                        &mut out,
                        Frame::Interp,
                        i,
                        2,
                    );
                    i += 2;
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = memchr_nl(b, i);
                if skipping.is_none() {
                    out.comments.push((i, end));
                }
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => match find(b, i + 2, b"*/") {
                Some(e) => {
                    if skipping.is_none() {
                        out.comments.push((i, e + 2));
                    }
                    i = e + 2;
                }
                None => {
                    if out.problem.is_none() && skipping.is_none() {
                        out.problem = Some(Problem::UnterminatedComment { start: i });
                    }
                    i = n;
                }
            },
            b'"' => {
                stack.push(Frame::Str(i));
                i += 1;
            }
            b'{' | b'[' | b'(' => {
                if skipping.is_none() {
                    out.tokens.push(Token {
                        kind: Tok::Open(c),
                        start: i,
                        end: i + 1,
                    });
                }
                open(
                    &mut stack,
                    &mut depth,
                    &mut skipping,
                    &mut out,
                    Frame::Bracket(c),
                    i,
                    1,
                );
                i += 1;
            }
            b'}' | b']' | b')' => {
                match stack.last() {
                    Some(Frame::Interp) if c == b'}' => {
                        stack.pop();
                        depth -= 1;
                    }
                    Some(Frame::Bracket(o)) if closer(*o) == c => {
                        stack.pop();
                        depth -= 1;
                        if skipping.is_none() && !inside_string(&stack) {
                            out.tokens.push(Token {
                                kind: Tok::Close(c),
                                start: i,
                                end: i + 1,
                            });
                        }
                    }
                    _ => {
                        // A stray or mismatched closer: pest reports it; keep the token.
                        if skipping.is_none() && !inside_string(&stack) {
                            out.tokens.push(Token {
                                kind: Tok::Close(c),
                                start: i,
                                end: i + 1,
                            });
                        }
                    }
                }
                if let Some((back_to, from, at_end)) = skipping
                    && depth == back_to
                {
                    if let Some(Problem::TooDeep { blank, .. }) = &mut out.problem {
                        *blank = (from, i + 1);
                    }
                    let _ = at_end;
                    skipping = None;
                }
                i += 1;
            }
            b'.' if b.get(i + 1) == Some(&b'.') => {
                push_tok(&mut out, &stack, skipping, Tok::DotDot, i, i + 2);
                i += 2;
            }
            b'0'..=b'9' => {
                let s = i;
                while i < n && b[i].is_ascii_digit() {
                    i += 1;
                }
                if i + 1 < n && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                    i += 1;
                    while i < n && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if i < n && b[i] == b'%' {
                    i += 1;
                } else {
                    while i < n && b[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                }
                push_tok(&mut out, &stack, skipping, Tok::Number, s, i);
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let s = i;
                while i < n && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                    i += 1;
                }
                push_tok(&mut out, &stack, skipping, Tok::Word, s, i);
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('\u{fffd}');
                let len = ch.len_utf8().max(1);
                push_tok(&mut out, &stack, skipping, Tok::Punct(ch), i, i + len);
                i += len;
            }
        }
    }
    if let Some((_, from, _)) = skipping
        && let Some(Problem::TooDeep { blank, .. }) = &mut out.problem
    {
        *blank = (from, n);
    }
    if out.problem.is_none() {
        // The innermost unclosed string, if any.
        if let Some(start) = stack.iter().rev().find_map(|f| match f {
            Frame::Str(s) => Some(*s),
            _ => None,
        }) {
            out.problem = Some(Problem::UnterminatedString { start });
        }
    }
    out
}

fn inside_string(stack: &[Frame]) -> bool {
    stack.iter().any(|f| matches!(f, Frame::Str(_)))
}

fn push_tok(
    out: &mut Scan,
    stack: &[Frame],
    skipping: Option<(usize, usize, usize)>,
    kind: Tok,
    start: usize,
    end: usize,
) {
    if skipping.is_none() && !inside_string(stack) {
        out.tokens.push(Token { kind, start, end });
    }
}

/// Pushes an opener and enforces the depth limit: the first opener past the limit starts
/// a region that is skipped up to its matching closer.
fn open(
    stack: &mut Vec<Frame>,
    depth: &mut usize,
    skipping: &mut Option<(usize, usize, usize)>,
    out: &mut Scan,
    frame: Frame,
    at: usize,
    len: usize,
) {
    if *depth >= MAX_DEPTH && skipping.is_none() && out.problem.is_none() {
        *skipping = Some((*depth, at, at + len));
        out.problem = Some(Problem::TooDeep {
            at: (at, at + len),
            blank: (at, at + len),
        });
    }
    stack.push(frame);
    *depth += 1;
}

fn closer(open: u8) -> u8 {
    match open {
        b'{' => b'}',
        b'[' => b']',
        _ => b')',
    }
}

fn memchr_nl(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| from + p)
}

fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    if from > b.len() {
        return None;
    }
    b[from..]
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_comments_and_strings() {
        let s = scan("a = \"x ${ \"y\" } // no\" // c\n/* d */ [1..2]");
        assert_eq!(s.comments, vec![(23, 27), (28, 35)]);
        let kinds: Vec<Tok> = s.tokens.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Tok::Word,
                Tok::Punct('='),
                Tok::Str,
                Tok::Open(b'['),
                Tok::Number,
                Tok::DotDot,
                Tok::Number,
                Tok::Close(b']')
            ]
        );
        assert!(s.problem.is_none());
    }

    #[test]
    fn depth_limit_and_unterminated() {
        let deep = "[".repeat(100_000);
        let s = scan(&deep);
        assert_eq!(
            s.problem,
            Some(Problem::TooDeep {
                at: (64, 65),
                blank: (64, 100_000)
            })
        );
        let ok = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert!(scan(&ok).problem.is_none());
        let closed = format!("{}{} x", "[".repeat(70), "]".repeat(70));
        assert_eq!(
            scan(&closed).problem,
            Some(Problem::TooDeep {
                at: (64, 65),
                blank: (64, 76)
            })
        );
        assert_eq!(
            scan("a = \"abc").problem,
            Some(Problem::UnterminatedString { start: 4 })
        );
        assert_eq!(
            scan("/* x").problem,
            Some(Problem::UnterminatedComment { start: 0 })
        );
    }
}
