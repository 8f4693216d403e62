//! Hover: for a block kind or a field, its schema entry (type, default, documentation,
//! the Kubernetes fields it becomes); for a reference, the definition it names; for a
//! place with a diagnostic, or a code written in a comment, the code's explanation.

use super::Hover;
use super::context::{self, Frame, Node};
use super::document::Snapshot;
use crate::check::schema::{self, BlockSchema, Ty};
use crate::diag::codes;
use crate::index::{Index, SymbolId, SymbolKind};
use crate::source::Span;
use crate::syntax::ast;

/// The hover at `offset`, if there is anything to say.
pub(crate) fn hover(snap: &Snapshot, offset: u32) -> Option<Hover> {
    let ast = &snap.analysis.ast;
    let loc = context::locate(ast, offset);
    let mut parts: Vec<String> = Vec::new();
    let mut span: Option<Span> = None;

    // A reference, or the name in a definition.
    if let Some((id, at)) = snap.index.at(offset) {
        let is_definition = snap.index.get(id).is_some_and(|s| s.name_span == at);
        parts.push(symbol_markdown(snap, &snap.index, id, is_definition));
        span = Some(at);
    }

    match loc.node {
        Node::BlockKind => {
            if let Some(f) = loc.frames.last() {
                span = Some(f.block.kind.span);
                parts.push(match f.schema {
                    Some(s) => s.hover(),
                    None => format!("`{}`: not a block kind here", f.block.kind.name),
                });
            }
        }
        Node::Key { field, key } => {
            if let Some(k) = field.path.get(key) {
                let md = match loc.profile {
                    Some(_) => profile_key(&snap.index, &field.path, key),
                    None => field_markdown(loc.frames.last(), &field.path),
                };
                if let Some(md) = md {
                    span = Some(k.span);
                    parts.push(md);
                }
            }
        }
        Node::Value {
            field,
            expr,
            expected,
        } if span.is_none() => {
            let key_md = field.and_then(|f| match loc.profile {
                Some(_) => profile_key(&snap.index, &f.path, f.path.len().saturating_sub(1)),
                None => field_markdown(loc.frames.last(), &f.path),
            });
            let word = match &expr.kind {
                ast::ExprKind::Ref(p) if p.len() == 1 => p.first().map(|i| i.name.as_str()),
                _ => None,
            };
            match (word, expected) {
                (Some(w @ ("app" | "namespace")), None) => {
                    span = Some(expr.span);
                    parts.push(format!(
                        "`{w}`: built in, the {} (`${{{w}}}` in a string)",
                        if w == "app" {
                            "app's name"
                        } else {
                            "app's namespace"
                        }
                    ));
                }
                (Some(w), Some(Ty::Enum(words))) if words.contains(&w) => {
                    span = Some(expr.span);
                    parts.push(format!("`{w}`: one of {}", quote(words)));
                    parts.extend(key_md);
                }
                (_, Some(ty)) => {
                    span = Some(expr.span);
                    parts.push(format!("expected: {}", ty.expectation()));
                    parts.extend(key_md);
                }
                _ => {
                    if let Some(md) = key_md {
                        span = Some(expr.span);
                        parts.push(md);
                    }
                }
            }
        }
        Node::Comment(c) => {
            if let Some((code_span, md)) = code_in_comment(c, offset) {
                span = Some(code_span);
                parts.push(md);
            }
        }
        _ => {}
    }

    // The explanation of each diagnostic reported here.
    let mut seen: Vec<&str> = Vec::new();
    for d in snap.analysis.diagnostics.iter() {
        if d.primary.loc.span.contains(offset) && !seen.contains(&d.code.as_str()) {
            seen.push(d.code.as_str());
            parts.push(explanation(d.code));
            span.get_or_insert(d.primary.loc.span);
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(Hover {
        markdown: parts.join("\n\n---\n\n"),
        span: span.unwrap_or(Span::new(offset as usize, offset as usize)),
    })
}

fn quote(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("`{w}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The schema of a field in the innermost frame: its entry, or the free keys' types.
fn field_markdown(frame: Option<&Frame<'_>>, path: &[ast::Key]) -> Option<String> {
    let sch = frame?.schema?;
    if let [k] = path
        && let Some(f) = sch.field(&k.name)
    {
        return Some(f.hover(sch.is_required(f)));
    }
    let free = sch.free?;
    if path.len() > 1 && !free.dotted {
        return None;
    }
    Some(format!(
        "a key of `{}`: {}, with a value of type `{}`\n\n{}",
        sch.kind,
        free.key.describe(),
        free.value.describe(),
        sch.doc
    ))
}

/// A profile path `app.block.field`: the thing its key `upto` names.
fn profile_key(index: &Index, path: &[ast::Key], upto: usize) -> Option<String> {
    let (sch, field) = profile_target(index, path.get(..=upto)?)?;
    match field {
        Some(f) => sch.field(f).map(|fl| fl.hover(false)),
        None => Some(sch.hover()),
    }
}

/// Resolves a profile path: the schema of the block it ends in, and the field named
/// last (None when the path names a block).
pub(crate) fn profile_target<'k>(
    index: &Index,
    path: &'k [ast::Key],
) -> Option<(&'static BlockSchema, Option<&'k str>)> {
    let (first, rest) = path.split_first()?;
    let app = index
        .symbols
        .iter()
        .position(|s| s.kind == SymbolKind::App && s.name == first.name)?;
    let mut sch: &'static BlockSchema = &schema::APP;
    for (i, k) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        if i == 0
            && let Some((_, s)) = index
                .children(Some(app))
                .find(|(_, s)| s.name == k.name && s.kind != SymbolKind::Let)
        {
            sch = schema::child("app", s.kind.keyword())?;
            continue;
        }
        if last && sch.field(&k.name).is_some() {
            return Some((sch, Some(k.name.as_str())));
        }
        sch = sch.child(&k.name)?.block;
    }
    Some((sch, None))
}

/// Markdown for a symbol: its definition (for a reference) or what it becomes.
pub(crate) fn symbol_markdown(
    snap: &Snapshot,
    index: &Index,
    id: SymbolId,
    is_definition: bool,
) -> String {
    let Some(s) = index.get(id) else {
        return String::new();
    };
    let text = snap.text();
    let def = text.get(s.span.range()).unwrap_or("");
    let shown = match s.kind {
        SymbolKind::Let => truncate(def, 300),
        _ => {
            // The header, and the body elided.
            let head = def.split('{').next().unwrap_or(def).trim_end();
            format!("{head} {{ … }}")
        }
    };
    let line = snap.file().line_col(s.name_span.start).line + 1;
    let app = index
        .app_of(id)
        .filter(|a| *a != id)
        .and_then(|a| index.get(a))
        .map(|a| a.name.clone());
    let mut md = format!("```kiln\n{shown}\n```\n\n");
    md.push_str(&format!("{} `{}`", s.kind.keyword(), s.name));
    if let Some(a) = &app {
        md.push_str(&format!(" in app `{a}`"));
    }
    md.push_str(&format!(", line {line}"));
    if is_definition {
        let object = match (s.kind, &app) {
            (SymbolKind::App, _) => None,
            (k, Some(a)) if k.is_workload() || matches!(k, SymbolKind::Cron | SymbolKind::Raw) => {
                Some(format!("{a}-{}", s.name))
            }
            (SymbolKind::Job, Some(a)) => Some(format!("{a}-{}-<hash>", s.name)),
            _ => None,
        };
        if let Some(o) = object {
            md.push_str(&format!("; objects named `{o}`"));
        }
    }
    md
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} …", &s[..end])
}

/// A code's summary and explanation.
pub(crate) fn explanation(code: codes::Code) -> String {
    let i = code.info();
    format!(
        "**{}** `{}` ({}): {}\n\n{}",
        i.code,
        i.name,
        i.severity.as_str(),
        i.summary,
        i.explanation
    )
}

/// A diagnostic code (`K0101`) written in a comment under `offset`.
fn code_in_comment(c: &ast::Comment, offset: u32) -> Option<(Span, String)> {
    let rel = offset.checked_sub(c.span.start)? as usize;
    let b = c.text.as_bytes();
    // The word around the offset.
    let is_word = |x: u8| x.is_ascii_alphanumeric();
    let mut s = rel.min(b.len());
    while s > 0 && is_word(b[s - 1]) {
        s -= 1;
    }
    let mut e = rel.min(b.len());
    while e < b.len() && is_word(b[e]) {
        e += 1;
    }
    let word = c.text.get(s..e)?;
    if word.len() != 5 || !word.starts_with(['K', 'k']) {
        return None;
    }
    let code = codes::lookup(word)?;
    Some((
        Span::new(c.span.start as usize + s, c.span.start as usize + e),
        explanation(code),
    ))
}
