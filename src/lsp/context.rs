//! Where the cursor is: the blocks around it with their schemas, and the syntax node
//! under it (for hover), or what is being typed (for completion).
//!
//! The blocks come from the syntax tree, which the parser recovers even around an
//! unfinished line. What is being typed comes from the library's token scan
//! ([`crate::syntax::scan`]) of the current block's text up to the cursor: a line being
//! typed is usually not a complete entry yet, so the tree does not have it.

use crate::check::schema::{self, BlockSchema, Ty};
use crate::source::Span;
use crate::syntax::ast;
use crate::syntax::scan::{self, Tok};

/// A block around the cursor, with its schema when the block is valid where it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame<'a> {
    pub block: &'a ast::Block,
    pub schema: Option<&'static BlockSchema>,
}

/// The syntax node under the cursor.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Node<'a> {
    /// The kind word of the innermost frame.
    BlockKind,
    /// The name of the innermost frame.
    BlockName,
    /// Key `key` of a field of the innermost frame (or of the profile).
    Key { field: &'a ast::Field, key: usize },
    /// A value (the innermost expression under the cursor) and its expected type.
    Value {
        field: Option<&'a ast::Field>,
        expr: &'a ast::Expr,
        expected: Option<Ty>,
    },
    /// The name of a `let`.
    LetName,
    /// A comment.
    Comment(&'a ast::Comment),
    /// Nothing in particular.
    Other,
}

/// The blocks around an offset, outermost first, and the node under it.
#[derive(Debug, Clone)]
pub(crate) struct Located<'a> {
    pub frames: Vec<Frame<'a>>,
    /// The profile the offset is in, if any.
    pub profile: Option<&'a ast::Profile>,
    pub node: Node<'a>,
}

/// The schema of a block of `kind` inside `parent` (the file's top level when None).
pub(crate) fn child_schema(parent: Option<&Frame<'_>>, kind: &str) -> Option<&'static BlockSchema> {
    match parent {
        None => schema::FILE.child(kind).map(|c| c.block),
        Some(p) => p.schema?.child(kind).map(|c| c.block),
    }
}

/// The expected type of a field's value in a block of schema `sch`.
pub(crate) fn field_type(sch: Option<&'static BlockSchema>, path: &[ast::Key]) -> Option<Ty> {
    let sch = sch?;
    match path {
        [k] => sch
            .field(&k.name)
            .map(|f| f.ty)
            .or(sch.free.map(|f| f.value)),
        _ => sch.free.filter(|f| f.dotted).map(|f| f.value),
    }
}

/// The frames of the blocks containing `offset` (from the kind to the closing brace).
pub(crate) fn frames(file: &ast::File, offset: u32) -> (Vec<Frame<'_>>, Option<&ast::Profile>) {
    let mut frames: Vec<Frame<'_>> = Vec::new();
    for item in &file.items {
        match item {
            ast::Item::Block(b) if b.span.contains(offset) => {
                frames.push(Frame {
                    block: b,
                    schema: child_schema(None, &b.kind.name),
                });
                break;
            }
            ast::Item::Template(t) if t.body.span.contains(offset) => {
                frames.push(Frame {
                    block: &t.body,
                    schema: schema::block(&t.body.kind.name),
                });
                break;
            }
            ast::Item::Profile(p) if p.span.contains(offset) => return (frames, Some(p)),
            _ => {}
        }
    }
    // Descend; the parser bounds nesting, and each step goes one block deeper.
    while let Some(last) = frames.last().copied() {
        let next = last.block.entries.iter().find_map(|e| match e {
            ast::Entry::Block(b) if b.span.contains(offset) => Some(b),
            _ => None,
        });
        let Some(b) = next else { break };
        frames.push(Frame {
            block: b,
            schema: child_schema(Some(&last), &b.kind.name),
        });
    }
    (frames, None)
}

/// The node under `offset`.
pub(crate) fn locate(file: &ast::File, offset: u32) -> Located<'_> {
    let (frames, profile) = frames(file, offset);
    if let Some(c) = file.comments.iter().find(|c| c.span.contains(offset)) {
        return Located {
            frames,
            profile,
            node: Node::Comment(c),
        };
    }
    let node = if let Some(p) = profile {
        p.fields
            .iter()
            .find(|f| f.span.contains(offset))
            .map(|f| field_node(f, None, offset))
            .unwrap_or(Node::Other)
    } else if let Some(last) = frames.last() {
        let b = last.block;
        if b.kind.span.contains(offset) {
            Node::BlockKind
        } else if b.name.as_ref().is_some_and(|n| n.span.contains(offset)) {
            Node::BlockName
        } else if let Some(t) = b.template.as_ref().filter(|t| t.span.contains(offset)) {
            innermost(None, t.args.iter().map(|a| &a.value), None, offset)
        } else {
            b.entries
                .iter()
                .find_map(|e| match e {
                    ast::Entry::Field(f) if f.span.contains(offset) => {
                        Some(field_node(f, last.schema, offset))
                    }
                    ast::Entry::Let(l) if l.span.contains(offset) => {
                        Some(if l.name.span.contains(offset) {
                            Node::LetName
                        } else {
                            innermost(None, std::iter::once(&l.value), None, offset)
                        })
                    }
                    _ => None,
                })
                .unwrap_or(Node::Other)
        }
    } else {
        file.items
            .iter()
            .find_map(|i| match i {
                ast::Item::Let(l) if l.span.contains(offset) => {
                    Some(if l.name.span.contains(offset) {
                        Node::LetName
                    } else {
                        innermost(None, std::iter::once(&l.value), None, offset)
                    })
                }
                _ => None,
            })
            .unwrap_or(Node::Other)
    };
    Located {
        frames,
        profile,
        node,
    }
}

fn field_node<'a>(f: &'a ast::Field, sch: Option<&'static BlockSchema>, offset: u32) -> Node<'a> {
    if let Some(i) = f.path.iter().position(|k| k.span.contains(offset)) {
        return Node::Key { field: f, key: i };
    }
    innermost(
        Some(f),
        std::iter::once(&f.value),
        field_type(sch, &f.path),
        offset,
    )
}

/// The innermost expression under `offset` among `exprs`, with its expected type.
fn innermost<'a>(
    field: Option<&'a ast::Field>,
    exprs: impl Iterator<Item = &'a ast::Expr>,
    expected: Option<Ty>,
    offset: u32,
) -> Node<'a> {
    let Some(mut e) = exprs.into_iter().find(|e| e.span.contains(offset)) else {
        return Node::Other;
    };
    let mut ty = expected;
    // Bounded by the parser's nesting limit; each step goes one level deeper.
    loop {
        let next: Option<(&ast::Expr, Option<Ty>)> = match &e.kind {
            ast::ExprKind::List(items) => items.iter().find(|i| i.span.contains(offset)).map(|i| {
                (
                    i,
                    match ty {
                        Some(Ty::List(t)) => Some(*t),
                        _ => None,
                    },
                )
            }),
            ast::ExprKind::Range(a, b) => {
                let inner = match ty {
                    Some(Ty::Range(t)) => Some(*t),
                    other => other,
                };
                [a.as_ref(), b.as_ref()]
                    .into_iter()
                    .find(|x| x.span.contains(offset))
                    .map(|x| (x, inner))
            }
            ast::ExprKind::Call(c) => c.args.iter().find(|a| a.span.contains(offset)).map(|a| {
                let t = match (
                    c.func.name.as_str(),
                    a.name.as_ref().map(|n| n.name.as_str()),
                ) {
                    ("toleration", Some("effect")) => Some(Ty::Enum(schema::TAINT_EFFECTS)),
                    _ => None,
                };
                (&a.value, t)
            }),
            ast::ExprKind::Str(s) => s.parts.iter().find_map(|p| match p {
                ast::StrPart::Interp(x) if x.span.contains(offset) => Some((x, None)),
                _ => None,
            }),
            _ => None,
        };
        match next {
            Some((x, t)) => {
                e = x;
                ty = t;
            }
            None => break,
        }
    }
    Node::Value {
        field,
        expr: e,
        expected: ty,
    }
}

// ---- what is being typed ---------------------------------------------------------------

/// What the cursor is in, for completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Spot {
    /// Where an entry starts: `path` holds the keys typed before the partial word
    /// (`csis.web.` in a profile; a block kind when a name is being typed).
    Key { path: Vec<String> },
    /// In the value of the field `key`.
    Value {
        key: Vec<String>,
        /// Inside `[` of a list value.
        in_list: bool,
        /// Inside the parentheses of a call: its function and the named argument.
        call: Option<(String, Option<String>)>,
        /// Inside a string literal (its start); `interp` when inside `${`.
        string: Option<(u32, bool)>,
    },
    /// In a comment, or somewhere nothing can be offered.
    Nothing,
}

/// What completion needs: the blocks opened in the text that the tree does not have,
/// the spot, and the partial word before the cursor (what an item replaces).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Typing {
    /// Kinds of blocks opened after the innermost tree block (unclosed ones).
    pub open_blocks: Vec<String>,
    pub spot: Spot,
    pub partial: Span,
}

#[derive(Debug, Clone, Default)]
struct Entry {
    key: Vec<String>,
    in_value: bool,
    primary_done: bool,
    /// Inside a call: the named argument being written.
    arg: Option<String>,
    last_word: Option<String>,
}

#[derive(Debug, Clone)]
struct Level {
    open: u8,
    /// For `{`: the header (kind and name); for `(`: the function.
    header: Vec<String>,
    entry: Entry,
}

/// Scans `text[from..offset]` (the body of the innermost block after its `{`, or the
/// whole top level when `from` is 0 and there is no block) and says what is being typed.
pub(crate) fn typing(text: &str, from: u32, offset: u32) -> Typing {
    let from = from.min(offset) as usize;
    let offset_u = offset as usize;
    let slice = text.get(from..offset_u).unwrap_or("");
    let base = from as u32;
    let nothing = |p: Span| Typing {
        open_blocks: Vec::new(),
        spot: Spot::Nothing,
        partial: p,
    };
    let here = Span::new(offset_u, offset_u);
    let sc = scan::scan(slice);
    if sc
        .comments
        .last()
        .is_some_and(|&(s, e)| e == slice.len() && s < slice.len())
    {
        return nothing(here);
    }
    let mut string: Option<u32> = None;
    match sc.problem {
        None => {}
        Some(scan::Problem::UnterminatedString { start }) => string = Some(base + start as u32),
        Some(_) => return nothing(here),
    }
    let mut tokens = sc.tokens.as_slice();
    let mut partial = here;
    if string.is_none()
        && let Some((last, rest)) = tokens.split_last()
        && last.end == slice.len()
        && matches!(last.kind, Tok::Word | Tok::Number)
    {
        partial = Span::new(from + last.start, from + last.end);
        tokens = rest;
    }
    let mut levels: Vec<Level> = vec![Level {
        open: b'{',
        header: Vec::new(),
        entry: Entry::default(),
    }];
    let mut prev_word: Option<String> = None;
    for t in tokens {
        let tx = slice.get(t.start..t.end).unwrap_or("");
        let Some(level) = levels.last_mut() else {
            break;
        };
        let open = level.open;
        let e = &mut level.entry;
        match t.kind {
            Tok::Word | Tok::Str | Tok::Number => {
                let word = tx.trim_matches('"').to_string();
                match open {
                    b'{' => {
                        if !e.in_value {
                            e.key.push(word.clone());
                        } else if !e.primary_done {
                            e.primary_done = true;
                        } else {
                            *e = Entry {
                                key: vec![word.clone()],
                                ..Entry::default()
                            };
                        }
                    }
                    _ => e.last_word = Some(word.clone()),
                }
                prev_word = (t.kind == Tok::Word).then_some(word);
                continue;
            }
            Tok::Punct('=') => match open {
                b'{' if !e.in_value => {
                    e.in_value = true;
                    e.primary_done = false;
                }
                b'(' => e.arg = e.last_word.take(),
                _ => {}
            },
            Tok::Punct(',') => {
                e.arg = None;
                e.last_word = None;
            }
            Tok::DotDot if open == b'{' && e.in_value => e.primary_done = false,
            Tok::Open(b'{') => {
                let header = if e.in_value {
                    Vec::new()
                } else {
                    std::mem::take(&mut e.key)
                };
                *e = Entry::default();
                levels.push(Level {
                    open: b'{',
                    header,
                    entry: Entry::default(),
                });
            }
            Tok::Open(c) => {
                let header = if c == b'(' {
                    prev_word.iter().cloned().collect()
                } else {
                    Vec::new()
                };
                levels.push(Level {
                    open: c,
                    header,
                    entry: Entry::default(),
                });
            }
            Tok::Close(_) => {
                if levels.len() > 1
                    && let Some(closed) = levels.pop()
                    && let Some(parent) = levels.last_mut()
                {
                    if closed.open == b'{' {
                        parent.entry = Entry::default();
                    } else if parent.open == b'{' {
                        parent.entry.primary_done = true;
                    }
                }
            }
            _ => {}
        }
        prev_word = None;
    }
    // The blocks opened in the text (the base level is the tree's block).
    let open_blocks: Vec<String> = levels
        .iter()
        .skip(1)
        .filter(|l| l.open == b'{')
        .filter_map(|l| l.header.first().cloned())
        .collect();
    // The entry of the innermost `{` level, and the brackets opened inside it.
    let Some(block_at) = levels.iter().rposition(|l| l.open == b'{') else {
        return nothing(partial);
    };
    let entry = levels[block_at].entry.clone();
    let brackets = &levels[block_at + 1..];
    let interp = string.is_some_and(|s| {
        let inner = text.get(s as usize..offset_u).unwrap_or("");
        inner.rfind("${").is_some_and(|i| !inner[i..].contains('}'))
    });
    if interp {
        partial = word_before(text, offset);
    }
    let spot = if !entry.in_value || (entry.primary_done && brackets.is_empty() && string.is_none())
    {
        if entry.in_value {
            // A finished value and a new word: the next entry's key.
            Spot::Key { path: Vec::new() }
        } else if string.is_some() {
            // A quoted key being typed (`"app.kubernetes.io/..." = `).
            Spot::Nothing
        } else {
            Spot::Key { path: entry.key }
        }
    } else {
        let call = brackets.iter().rev().find(|l| l.open == b'(').map(|l| {
            (
                l.header.first().cloned().unwrap_or_default(),
                l.entry.arg.clone(),
            )
        });
        Spot::Value {
            key: entry.key,
            in_list: brackets.iter().any(|l| l.open == b'['),
            call,
            string: string.map(|s| (s, interp)),
        }
    };
    Typing {
        open_blocks,
        spot,
        partial,
    }
}

/// The identifier characters just before `offset`.
fn word_before(text: &str, offset: u32) -> Span {
    let end = (offset as usize).min(text.len());
    let start = text
        .get(..end)
        .unwrap_or("")
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .last()
        .map(|(i, _)| i)
        .unwrap_or(end);
    Span::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text_with_cursor: &str) -> Typing {
        let offset = text_with_cursor.find('|').unwrap();
        let text = text_with_cursor.replace('|', "");
        typing(&text, 0, offset as u32)
    }

    #[test]
    fn key_and_value_positions() {
        assert_eq!(at("  repl|").spot, Spot::Key { path: vec![] });
        assert_eq!(at("  repl|").partial, Span::new(2, 6));
        assert_eq!(
            at("  port = 3  min = 3  ma|").spot,
            Spot::Key { path: vec![] }
        );
        assert_eq!(
            at("  run = before|").spot,
            Spot::Value {
                key: vec!["run".into()],
                in_list: false,
                call: None,
                string: None
            }
        );
        assert_eq!(
            at("  after = [migrate, |").spot,
            Spot::Value {
                key: vec!["after".into()],
                in_list: true,
                call: None,
                string: None
            }
        );
        assert_eq!(
            at("  tolerations = [toleration(\"k\", effect = |").spot,
            Spot::Value {
                key: vec!["tolerations".into()],
                in_list: true,
                call: Some(("toleration".into(), Some("effect".into()))),
                string: None
            }
        );
        assert_eq!(
            at("  csis.web.|").spot,
            Spot::Key {
                path: vec!["csis".into(), "web".into()]
            }
        );
        let t = at("  service web {\n    port = 3\n  }\n  autoscale {\n    m|");
        assert_eq!(t.open_blocks, vec!["autoscale".to_string()]);
        assert_eq!(t.spot, Spot::Key { path: vec![] });
        assert_eq!(at("  // a comm|").spot, Spot::Nothing);
        let s = at("  image = \"x:${ta|");
        assert!(
            matches!(
                s.spot,
                Spot::Value {
                    string: Some((10, true)),
                    ..
                }
            ),
            "{s:?}"
        );
        assert_eq!(s.partial, Span::new(15, 17));
    }
}
