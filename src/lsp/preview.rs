//! `kiln.preview`: the compiled YAML of the document, or only of the objects the block
//! under the cursor generates (the app's, for a cursor in an app but in no named block).

use super::document::Snapshot;
use crate::Options;
use crate::index::SymbolKind;

/// The YAML, or a message saying why there is none.
pub(crate) fn preview(
    snap: &Snapshot,
    options: &Options,
    offset: Option<u32>,
) -> Result<String, String> {
    let bundle = crate::compile(&snap.source, options).map_err(|diags| {
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        match errors.first() {
            Some(first) => format!(
                "the document has {} error{}; the first: {} [{}]",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                first.message,
                first.code
            ),
            None => "the document does not compile".to_string(),
        }
    })?;
    let ix = &snap.index;
    let Some(mut id) = offset.and_then(|o| ix.enclosing(o)) else {
        return Ok(bundle.to_yaml());
    };
    // A volume or container is part of its workload's objects.
    while let Some(s) = ix.get(id)
        && matches!(
            s.kind,
            SymbolKind::Volume | SymbolKind::Sidecar | SymbolKind::Init
        )
        && let Some(p) = s.parent
    {
        id = p;
    }
    let Some(sym) = ix.get(id) else {
        return Ok(bundle.to_yaml());
    };
    let app = ix
        .app_of(id)
        .and_then(|a| ix.get(a))
        .map(|a| a.name.as_str());
    let objects: Vec<_> = bundle
        .objects
        .into_iter()
        .filter(|o| match (sym.kind, app) {
            (SymbolKind::App, _) => o.app == sym.name,
            (_, Some(a)) => o.app == a && o.block == sym.name,
            _ => true,
        })
        .collect();
    if objects.is_empty() {
        return Err(format!(
            "{} `{}` generates no object of its own",
            sym.kind.keyword(),
            sym.name
        ));
    }
    Ok(crate::emit::to_yaml(&objects))
}
