//! Go to definition, find references, rename and the outline, from the symbol index.
//! While the text has syntax errors, a name the current tree lost is looked up in the last
//! snapshot that parsed, through the offset map between the two texts.

use super::document::{OffsetMap, Snapshot};
use super::{Edit, Outline};
use crate::check::values::is_dns_label;
use crate::index::{Index, SymbolId, SymbolKind};
use crate::source::Span;
use std::rc::Rc;

/// The current snapshot and, when its text does not parse, the last one that did.
pub(crate) struct Views {
    pub current: Rc<Snapshot>,
    pub good: Option<(Rc<Snapshot>, OffsetMap)>,
}

/// A symbol found at the cursor, in the index it was found in.
struct Found<'a> {
    index: &'a Index,
    id: SymbolId,
    /// Set when found in the last good snapshot: maps its spans to the current text.
    map: Option<OffsetMap>,
}

impl Found<'_> {
    fn span(&self, s: Span) -> Option<Span> {
        match &self.map {
            None => Some(s),
            Some(m) => m.span_to_new(s),
        }
    }
}

impl Views {
    fn find(&self, offset: u32) -> Option<Found<'_>> {
        if let Some((id, _)) = self.current.index.at(offset) {
            return Some(Found {
                index: &self.current.index,
                id,
                map: None,
            });
        }
        let (good, map) = self.good.as_ref()?;
        let old = map.to_old(offset)?;
        let (id, _) = good.index.at(old)?;
        Some(Found {
            index: &good.index,
            id,
            map: Some(*map),
        })
    }

    /// Where the symbol at `offset` is defined.
    pub fn definition(&self, offset: u32) -> Vec<Span> {
        self.find(offset)
            .and_then(|f| f.index.get(f.id).and_then(|s| f.span(s.name_span)))
            .into_iter()
            .collect()
    }

    /// Every place that names the symbol at `offset`.
    pub fn references(&self, offset: u32, with_definition: bool) -> Vec<Span> {
        let Some(f) = self.find(offset) else {
            return Vec::new();
        };
        f.index
            .occurrences(f.id, with_definition)
            .into_iter()
            .filter_map(|s| f.span(s))
            .collect()
    }

    /// The outline: the current tree's when it parsed, else the last good one's (entries
    /// inside the edited region left out).
    pub fn outline(&self) -> Vec<Outline> {
        match &self.good {
            Some((good, map)) => outline(good, Some(map)),
            None => outline(&self.current, None),
        }
    }
}

/// The name under `offset` that can be renamed, and its text.
pub(crate) fn prepare_rename(snap: &Snapshot, offset: u32) -> Option<(Span, String)> {
    let (id, at) = snap.index.at(offset)?;
    Some((at, snap.index.get(id)?.name.clone()))
}

/// The edits renaming the symbol at `offset` to `new_name` across the file, or why not.
pub(crate) fn rename(snap: &Snapshot, offset: u32, new_name: &str) -> Result<Vec<Edit>, String> {
    if !snap.syntax_ok {
        return Err("the file has syntax errors: fix them before renaming".into());
    }
    let Some((id, _)) = snap.index.at(offset) else {
        return Err("there is no named thing here to rename".into());
    };
    let Some(sym) = snap.index.get(id) else {
        return Err("there is no named thing here to rename".into());
    };
    if sym.name == new_name {
        return Ok(Vec::new());
    }
    let is_ident = new_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !is_ident || crate::syntax::RESERVED.contains(&new_name) {
        return Err(format!("`{new_name}` is not a name kiln accepts"));
    }
    let block_like = !matches!(
        sym.kind,
        SymbolKind::Let | SymbolKind::Profile | SymbolKind::Template
    );
    if block_like && !is_dns_label(new_name) {
        return Err(format!(
            "`{new_name}` is not a valid {} name: use lowercase letters, digits and `-` (at most 63)",
            sym.kind.keyword()
        ));
    }
    // A name already used where this one lives would change what references mean.
    let clash = snap.index.symbols.iter().find(|s| {
        s.name == new_name
            && s.parent == sym.parent
            && (s.kind == SymbolKind::Let) == (sym.kind == SymbolKind::Let)
    });
    if let Some(c) = clash {
        return Err(format!(
            "`{new_name}` is already declared here (a {} on line {})",
            c.kind.keyword(),
            snap.file().line_col(c.name_span.start).line + 1
        ));
    }
    Ok(snap
        .index
        .occurrences(id, true)
        .into_iter()
        .map(|span| Edit {
            span,
            text: new_name.to_string(),
        })
        .collect())
}

fn outline(snap: &Snapshot, map: Option<&OffsetMap>) -> Vec<Outline> {
    let ix = &snap.index;
    let text = snap.text();
    let conv = |s: Span| match map {
        None => Some(s),
        Some(m) => m.span_to_new(s),
    };
    fn build(
        ix: &Index,
        text: &str,
        parent: Option<SymbolId>,
        conv: &dyn Fn(Span) -> Option<Span>,
        depth: usize,
    ) -> Vec<Outline> {
        if depth > 64 {
            return Vec::new();
        }
        ix.children(parent)
            .filter_map(|(id, s)| {
                let span = conv(s.span)?;
                let name_span = conv(s.name_span)?;
                let detail = match s.kind {
                    SymbolKind::Let => {
                        let def = text.get(s.span.range()).unwrap_or("");
                        let value = def.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
                        let mut v: String = value.chars().take(40).collect();
                        if v.len() < value.len() {
                            v.push('…');
                        }
                        v
                    }
                    k => k.keyword().to_string(),
                };
                Some(Outline {
                    name: s.name.clone(),
                    detail,
                    kind: s.kind,
                    span,
                    name_span,
                    children: build(ix, text, Some(id), conv, depth + 1),
                })
            })
            .collect()
    }
    build(ix, text, None, &conv, 0)
}
