//! Imports in the editor: the files a document imports loaded with the editor's unsaved
//! texts for those that are open, workspace folders checked as `kiln check DIR` does,
//! which file an `import` names, and completion, hover and definition on import paths.
//!
//! Loading goes through [`crate::modules::load`] (the same resolution as `kiln check`):
//! the texts of open documents are put in the source map before it runs, and the modules
//! stage reuses a file already in the map when its canonical path is the one an import
//! names. Which open documents are needed is only known once imports are resolved, so
//! loading runs again with the open ones it reached until none is missing (at most once
//! per open document, usually once).

use super::convert;
use super::document::Snapshot;
use super::{Completion, Hover, ItemKind};
use crate::modules::{self, normalize};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::syntax::ast;
use serde_json::Value;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// One open document, as other documents' imports see it.
pub(crate) struct Overlay {
    pub uri: String,
    pub path: PathBuf,
    /// Its canonical path, when the file exists on disk (imports match by it).
    pub canon: Option<PathBuf>,
    pub version: i32,
    pub text: Rc<str>,
}

/// What a snapshot needs besides its own document: the other open documents and the
/// directories checked as workspaces.
#[derive(Default)]
pub(crate) struct Env {
    pub overlays: Vec<Overlay>,
    pub workspaces: Vec<PathBuf>,
}

impl Env {
    /// The deepest workspace directory holding `path`.
    fn workspace_of(&self, path: &Path) -> Option<PathBuf> {
        self.workspaces
            .iter()
            .filter(|w| path.starts_with(w))
            .max_by_key(|w| w.components().count())
            .cloned()
    }
}

/// What a diagnostic's positions were computed against: the version of an open
/// document, or a hash of a file's text read from disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Version(i32),
    Text(u64),
}

/// How a file of the snapshot is shown to the editor.
#[derive(Debug, Clone)]
pub(crate) struct FileInfo {
    /// Its URI (None: a standard module, or the generated workspace entry).
    pub uri: Option<String>,
    /// Its canonical path.
    pub canon: Option<PathBuf>,
    pub tag: Tag,
}

/// The document with everything it imports.
pub(crate) struct Loaded {
    pub map: SourceMap,
    /// The file analysed: the document, or the generated entry of its workspace.
    pub analyzed: FileId,
    /// The document.
    pub doc: FileId,
    /// The workspace directory, when the document is checked as part of one.
    pub workspace: Option<PathBuf>,
    /// Per file id.
    pub files: Vec<FileInfo>,
}

fn hash(text: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// The text of the entry `kiln check DIR` generates for a workspace (as
/// [`crate::Source::from_dir`]); None when the directory cannot be listed or does not
/// hold the document.
fn workspace_entry(dir: &Path, doc: &Path) -> Option<String> {
    let mut files = Vec::new();
    modules::kiln_files(dir, &mut files).ok()?;
    if !files.iter().any(|f| f == doc) {
        return None;
    }
    let mut text = String::from("// workspace: every .kiln file of the directory\n");
    for f in &files {
        let rel = f.strip_prefix(dir).unwrap_or(f);
        let rel = rel.display().to_string().replace('\\', "/");
        text.push_str(&format!("import \"./{}\"\n", rel.replace('"', "\\\"")));
    }
    Some(text)
}

/// Loads the document and what it imports, open documents from the editor.
pub(crate) fn load(
    name: &str,
    path: Option<&PathBuf>,
    version: i32,
    text: &str,
    env: &Env,
) -> Loaded {
    let mut workspace = path.and_then(|p| env.workspace_of(p));
    let ws_text = match (&workspace, path) {
        (Some(dir), Some(p)) => workspace_entry(dir, p),
        _ => None,
    };
    if ws_text.is_none() {
        workspace = None;
    }
    // Indices of the overlays put in the map: in a workspace, its open files at once.
    let mut used: Vec<usize> = match &workspace {
        Some(dir) => (0..env.overlays.len())
            .filter(|&i| env.overlays.get(i).is_some_and(|o| o.path.starts_with(dir)))
            .collect(),
        None => Vec::new(),
    };
    let rounds = env.overlays.len() + 1;
    let mut round = 0;
    loop {
        round += 1;
        let mut map = SourceMap::new();
        let mut versions: Vec<(FileId, i32)> = Vec::new();
        let (analyzed, doc) = match (&workspace, &ws_text) {
            (Some(dir), Some(t)) => {
                let entry = map.add(SourceFile::new(
                    format!("{} (workspace)", dir.display()),
                    Some(dir.join("<workspace>")),
                    t.clone(),
                ));
                let doc = map.add(SourceFile::new(name, path.cloned(), text));
                (entry, doc)
            }
            _ => {
                let doc = map.add(SourceFile::new(name, path.cloned(), text));
                (doc, doc)
            }
        };
        versions.push((doc, version));
        for &i in &used {
            if let Some(o) = env.overlays.get(i) {
                let id = map.add(SourceFile::new(
                    o.path.display().to_string(),
                    Some(o.path.clone()),
                    o.text.to_string(),
                ));
                versions.push((id, o.version));
            }
        }
        let needs = workspace.is_some() || text.contains("import");
        if needs {
            modules::load(&mut map, analyzed, false);
        }
        let single = map.iter().count() == 1;
        let mut files: Vec<FileInfo> = map
            .iter()
            .map(|(id, f)| {
                let canon = if single || id == analyzed && workspace.is_some() {
                    None
                } else {
                    f.path.as_ref().and_then(|p| std::fs::canonicalize(p).ok())
                };
                let tag = match versions.iter().find(|(v, _)| *v == id) {
                    Some((_, v)) => Tag::Version(*v),
                    None => Tag::Text(hash(&f.text)),
                };
                FileInfo {
                    uri: None,
                    canon,
                    tag,
                }
            })
            .collect();
        // Files read from disk that are open in the editor: load again with their texts.
        let mut more = false;
        for (id, info) in files.iter().enumerate() {
            let id = FileId(id as u32);
            if id == doc || id == analyzed || versions.iter().any(|(v, _)| *v == id) {
                continue;
            }
            let Some(c) = &info.canon else { continue };
            if let Some(i) = env
                .overlays
                .iter()
                .position(|o| o.canon.as_ref() == Some(c))
                && !used.contains(&i)
            {
                used.push(i);
                more = true;
            }
        }
        if more && round < rounds {
            continue;
        }
        for (id, info) in files.iter_mut().enumerate() {
            let Some(f) = map.iter().nth(id).map(|(_, f)| f) else {
                continue;
            };
            // The document's URI is filled by the caller; the workspace entry has none.
            info.uri = if FileId(id as u32) == doc || FileId(id as u32) == analyzed {
                None
            } else {
                match (&info.canon, &f.path) {
                    (Some(c), _) => Some(
                        env.overlays
                            .iter()
                            .find(|o| o.canon.as_ref() == Some(c))
                            .map(|o| o.uri.clone())
                            .unwrap_or_else(|| file_uri(c)),
                    ),
                    (None, Some(p)) => Some(file_uri(&normalize(p))),
                    (None, None) => None,
                }
            };
        }
        return Loaded {
            map,
            analyzed,
            doc,
            workspace,
            files,
        };
    }
}

/// A `file://` URI for an absolute path, percent-encoded as VS Code does.
pub(crate) fn file_uri(path: &Path) -> String {
    let s = path.display().to_string().replace('\\', "/");
    let mut out = String::from("file://");
    if !s.starts_with('/') {
        out.push('/');
    }
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The file an import of `from` names, among the files of the map (None: not loaded,
/// or the path is interpolated).
pub(crate) fn target(
    map: &SourceMap,
    files: &[FileInfo],
    from: FileId,
    imp: &ast::Import,
) -> Option<FileId> {
    let text = imp.path.as_plain()?;
    if text.starts_with("std/") {
        let name = format!("{text}.kiln");
        return map
            .iter()
            .find(|(_, f)| f.path.is_none() && f.name == name)
            .map(|(id, _)| id);
    }
    let full = relative_path(map, from, &text)?;
    let canon = std::fs::canonicalize(&full).ok()?;
    files
        .iter()
        .position(|f| f.canon.as_ref() == Some(&canon))
        .map(|i| FileId(i as u32))
}

/// The path a relative import of `from` names (extension added as the modules stage
/// does), not checked against the file system.
fn relative_path(map: &SourceMap, from: FileId, text: &str) -> Option<PathBuf> {
    let importer = map.iter().nth(from.0 as usize)?.1;
    let dir = importer.path.as_ref()?.parent()?;
    let mut rel = PathBuf::from(text);
    if rel.extension().is_none() {
        rel.set_extension("kiln");
    }
    Some(normalize(&dir.join(rel)))
}

/// The imports of a parsed file.
pub(crate) fn imports_of(file: &ast::File) -> impl Iterator<Item = &ast::Import> {
    file.items.iter().filter_map(|i| match i {
        ast::Item::Import(imp) => Some(imp),
        _ => None,
    })
}

/// For each import of `doc`, the files reached through it (itself first, then what it
/// imports, transitively). Files are parsed only when `deep` (a diagnostic is in a file
/// no import of the document names directly).
pub(crate) fn reached(
    map: &SourceMap,
    files: &[FileInfo],
    doc: FileId,
    doc_ast: &ast::File,
    deep: bool,
) -> Vec<(Span, Vec<FileId>)> {
    let mut out = Vec::new();
    let mut parsed: Vec<Option<Vec<FileId>>> = vec![None; files.len()];
    for imp in imports_of(doc_ast) {
        let Some(t) = target(map, files, doc, imp) else {
            continue;
        };
        let mut seen = vec![t];
        if deep {
            let mut i = 0;
            // Breadth first over the import graph; each file parsed once per call.
            while let Some(&f) = seen.get(i) {
                i += 1;
                let next = match parsed.get(f.0 as usize).cloned().flatten() {
                    Some(n) => n,
                    None => {
                        let Some((_, file)) = map.iter().nth(f.0 as usize) else {
                            continue;
                        };
                        let (ast, _) = crate::syntax::parse(f, &file.text);
                        let n: Vec<FileId> = imports_of(&ast)
                            .filter_map(|x| target(map, files, f, x))
                            .collect();
                        if let Some(slot) = parsed.get_mut(f.0 as usize) {
                            *slot = Some(n.clone());
                        }
                        n
                    }
                };
                for n in next {
                    if !seen.contains(&n) && n != doc {
                        seen.push(n);
                    }
                }
            }
        }
        out.push((imp.path.span, seen));
    }
    out
}

// ---- the standard library --------------------------------------------------------------

/// The header comment of a standard module (its leading `//` lines), and its first
/// sentence without the `std/NAME: ` prefix.
pub(crate) fn std_doc(module: &str) -> Option<(String, String)> {
    let (_, src) = modules::STDLIB.iter().find(|(n, _)| *n == module)?;
    let header: Vec<&str> = src
        .lines()
        .take_while(|l| l.trim_start().starts_with("//"))
        .map(|l| {
            let t = l.trim_start().trim_start_matches("//");
            t.strip_prefix(' ').unwrap_or(t)
        })
        .collect();
    let first = header.first().copied().unwrap_or("");
    let line = first
        .strip_prefix(&format!("{module}:"))
        .unwrap_or(first)
        .trim()
        .to_string();
    Some((line, header.join("\n")))
}

// ---- completion, hover and definition on import paths ----------------------------------

/// Where the cursor is in the string of an `import` being typed: the span of the text
/// between the opening quote and the cursor. Read from the line's text, so it works while
/// the string is unterminated (the file does not parse then).
fn import_string(text: &str, offset: u32) -> Option<Span> {
    let o = offset as usize;
    let before = text.get(..o)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = &before[line_start..];
    let rest = line.trim_start().strip_prefix("import")?;
    let quoted = rest.trim_start();
    if rest.len() == quoted.len() {
        return None; // `imports` is not `import`
    }
    let inner = quoted.strip_prefix('"')?;
    if inner.contains('"') {
        return None; // past the closing quote
    }
    Some(Span::new(o - inner.len(), o))
}

/// The project root the modules stage allows for a document: its workspace directory,
/// or its own directory.
fn root(doc_path: &Path, workspace: Option<&Path>) -> Option<PathBuf> {
    match workspace {
        Some(w) => Some(w.to_path_buf()),
        None => doc_path.parent().map(Path::to_path_buf),
    }
}

/// Completion inside `import "…"`: standard modules (with their one-line doc) and, for a
/// path starting with `./` or `../`, the `.kiln` files and directories of the directory
/// typed so far, when it lies inside the project root. One directory listing at most.
pub(crate) fn complete(
    text: &str,
    offset: u32,
    doc_path: Option<&Path>,
    workspace: Option<&Path>,
) -> Option<Vec<Completion>> {
    let replace = import_string(text, offset)?;
    let typed = text.get(replace.range()).unwrap_or("");
    let mut out = Vec::new();
    let item = |label: String, kind, detail: &str, doc: Option<String>, sort: u8| Completion {
        insert: label.clone(),
        sort: format!("{sort}{label}"),
        label,
        kind,
        detail: Some(detail.to_string()),
        doc,
        snippet: false,
        replace,
    };
    if !typed.starts_with('.') && !typed.starts_with('/') {
        for (name, _) in modules::STDLIB {
            let doc = std_doc(name).map(|(line, _)| line);
            out.push(item(
                name.to_string(),
                ItemKind::Block,
                "standard module",
                doc,
                1,
            ));
        }
    }
    if typed.is_empty() {
        out.push(item(
            "./".into(),
            ItemKind::Value,
            "a file next to this one",
            None,
            2,
        ));
    }
    let relative = typed.starts_with("./") || typed.starts_with("../");
    if let (true, Some(path)) = (relative, doc_path) {
        let dir_part = &typed[..typed.rfind('/').map_or(0, |i| i + 1)];
        let doc_dir = path.parent()?;
        let dir = normalize(&doc_dir.join(dir_part));
        let root = root(path, workspace)?;
        let canon_root = std::fs::canonicalize(&root).unwrap_or(root.clone());
        let inside = dir.starts_with(&root)
            && std::fs::canonicalize(&dir).is_ok_and(|c| c.starts_with(&canon_root));
        if inside && let Ok(rd) = std::fs::read_dir(&dir) {
            let mut names: Vec<(String, bool)> = rd
                .filter_map(Result::ok)
                .take(2000)
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_string();
                    let is_dir = e.file_type().ok()?.is_dir();
                    let keep = if is_dir {
                        !name.starts_with('.') && name != "target" && name != "node_modules"
                    } else {
                        name.ends_with(".kiln") && dir.join(&name) != *path
                    };
                    keep.then_some((name, is_dir))
                })
                .collect();
            names.sort();
            for (name, is_dir) in names {
                let label = if is_dir {
                    format!("{dir_part}{name}/")
                } else {
                    format!("{dir_part}{name}")
                };
                let (kind, detail) = if is_dir {
                    (ItemKind::Reference, "directory")
                } else {
                    (ItemKind::Reference, "kiln file")
                };
                out.push(item(label, kind, detail, None, if is_dir { 4 } else { 3 }));
            }
        }
        if dir_part.is_empty() || dir_part.ends_with("./") {
            let up = format!("{dir_part}../");
            let up_dir = normalize(&doc_dir.join(&up));
            if up_dir.starts_with(&root) {
                out.push(item(up, ItemKind::Reference, "directory", None, 5));
            }
        }
    }
    Some(out)
}

/// The import whose path string holds `offset`.
pub(crate) fn import_at(file: &ast::File, offset: u32) -> Option<&ast::Import> {
    imports_of(file)
        .find(|i| i.path.span.start < offset && offset < i.path.span.end)
        .or_else(|| imports_of(file).find(|i| i.path.span.contains(offset)))
}

/// Hover on an import path: a standard module's header comment, or the file's path.
pub(crate) fn hover(snap: &Snapshot, offset: u32) -> Option<Hover> {
    let imp = import_at(&snap.analysis.ast, offset)?;
    let text = imp.path.as_plain()?;
    let markdown = if text.starts_with("std/") {
        match std_doc(&text) {
            Some((line, header)) => {
                let rest: Vec<&str> = header.lines().skip(1).collect();
                let rest = rest.join("\n");
                let rest = rest.trim_matches('\n');
                if rest.is_empty() {
                    format!("`{text}`: standard module. {line}")
                } else {
                    format!("`{text}`: standard module. {line}\n\n```\n{rest}\n```")
                }
            }
            None => format!("`{text}`: there is no such standard module"),
        }
    } else {
        let map = &snap.source.map;
        match target(map, &snap.files, snap.source.entry, imp) {
            Some(id) => {
                let f = map.iter().nth(id.0 as usize).map(|(_, f)| f)?;
                let shown = snap
                    .files
                    .get(id.0 as usize)
                    .and_then(|i| i.canon.as_ref())
                    .map(|c| c.display().to_string())
                    .unwrap_or_else(|| f.name.clone());
                let first = f
                    .text
                    .lines()
                    .next()
                    .and_then(|l| l.trim_start().strip_prefix("//"))
                    .map(str::trim)
                    .filter(|l| !l.is_empty());
                match first {
                    Some(c) => format!("`{shown}`\n\n{c}"),
                    None => format!("`{shown}`"),
                }
            }
            None => match relative_path(map, snap.source.entry, &text) {
                Some(p) => format!("`{}`: not loaded (see the diagnostic)", p.display()),
                None => format!("`{text}`: not loaded"),
            },
        }
    };
    Some(Hover {
        markdown,
        span: imp.path.span,
    })
}

/// Go to definition on an import path: the URI of the file it names. A standard module
/// has none (it lives in the binary; its hover shows its documentation).
pub(crate) fn definition(snap: &Snapshot, offset: u32) -> Option<Option<String>> {
    let imp = import_at(&snap.analysis.ast, offset)?;
    let text = imp.path.as_plain()?;
    if text.starts_with("std/") {
        return Some(None);
    }
    let id = target(&snap.source.map, &snap.files, snap.source.entry, imp)?;
    Some(snap.files.get(id.0 as usize).and_then(|f| f.uri.clone()))
}

// ---- diagnostics by file ---------------------------------------------------------------

/// What one analysis says about one URI: the text it was computed against, and the
/// protocol diagnostics.
pub(crate) struct Contribution {
    pub uri: String,
    pub tag: Tag,
    pub diagnostics: Vec<Value>,
}

fn count(errors: usize, warnings: usize) -> String {
    let n = |k: usize, w: &str| format!("{k} {w}{}", if k == 1 { "" } else { "s" });
    match (errors, warnings) {
        (e, 0) => n(e, "error"),
        (0, w) => n(w, "warning"),
        (e, w) => format!("{} and {}", n(e, "error"), n(w, "warning")),
    }
}

/// The diagnostics of a snapshot by URI: the document's own, plus on each `import` a
/// pointer to the problems of the files it brings in; those problems on their files'
/// URIs (every file checked has an entry, empty when it has no problem); a problem in a file without URI (a standard module) moved to the document (at
/// its label there, or at the import that brings the module in). The document's URI is
/// always first, even without diagnostics.
pub(crate) fn contributions(snap: &Snapshot) -> Vec<Contribution> {
    let map = &snap.source.map;
    let doc = snap.source.entry;
    let files = convert::Files {
        map,
        files: &snap.files,
    };
    let doc_file = snap.file();
    let Some(doc_uri) = snap
        .files
        .get(doc.0 as usize)
        .and_then(|f| f.uri.as_deref())
    else {
        return Vec::new();
    };
    let Ok(doc_u) = convert::parse_uri(doc_uri) else {
        return Vec::new();
    };
    let mut own: Vec<Value> = snap
        .analysis
        .diagnostics
        .iter()
        .map(|d| {
            convert::diagnostic_value(convert::diagnostic_at(
                d,
                &doc_u,
                doc_file,
                d.primary.loc.span,
                d.message.clone(),
                Some(&files),
            ))
        })
        .collect();

    // Which files each import of the document brings in.
    let direct = reached(map, &snap.files, doc, &snap.analysis.ast, false);
    let deep = snap.imported.iter().any(|d| {
        !direct
            .iter()
            .any(|(_, fs)| fs.contains(&d.primary.loc.file))
    });
    let via = if deep {
        reached(map, &snap.files, doc, &snap.analysis.ast, true)
    } else {
        direct
    };

    // Diagnostics in other files, grouped by file (in first-seen order).
    let mut groups: Vec<(FileId, Vec<Value>, Vec<&crate::diag::Diagnostic>)> = Vec::new();
    for d in &snap.imported {
        let f = d.primary.loc.file;
        if let Some((u, file)) = files.get(f) {
            let v = convert::diagnostic_value(convert::diagnostic_at(
                d,
                &u,
                file,
                d.primary.loc.span,
                d.message.clone(),
                Some(&files),
            ));
            match groups.iter_mut().find(|(g, _, _)| *g == f) {
                Some((_, vs, ds)) => {
                    vs.push(v);
                    ds.push(d);
                }
                None => groups.push((f, vec![v], vec![d])),
            }
            continue;
        }
        // No URI: shown where the document uses it.
        let name = map
            .iter()
            .nth(f.0 as usize)
            .map(|(_, x)| x.name.clone())
            .unwrap_or_else(|| "an imported module".into());
        let message = format!("in `{name}`: {}", d.message);
        let at = d
            .secondary
            .iter()
            .find(|l| l.loc.file == doc)
            .map(|l| l.loc.span)
            .or_else(|| {
                via.iter()
                    .find(|(_, fs)| fs.contains(&f))
                    .map(|(span, _)| *span)
            });
        if let Some(span) = at {
            own.push(convert::diagnostic_value(convert::diagnostic_at(
                d,
                &doc_u,
                doc_file,
                span,
                message,
                Some(&files),
            )));
        }
    }

    // A pointer on each import whose files have problems.
    for (span, reached_files) in &via {
        let mut links: Vec<(lsp_types::Uri, &SourceFile, Span, String)> = Vec::new();
        let (mut errors, mut warnings) = (0, 0);
        let mut only_direct = true;
        for (f, _, ds) in &groups {
            if *f == doc || !reached_files.contains(f) {
                continue;
            }
            if reached_files.first() != Some(f) {
                only_direct = false;
            }
            let Some((u, file)) = files.get(*f) else {
                continue;
            };
            for d in ds {
                if d.is_error() {
                    errors += 1;
                } else {
                    warnings += 1;
                }
                if links.len() < 20 {
                    links.push((u.clone(), file, d.primary.loc.span, d.message.clone()));
                }
            }
        }
        if errors + warnings == 0 {
            continue;
        }
        let path = doc_file.text.get(span.range()).unwrap_or("").to_string();
        let message = if only_direct {
            format!("{path} has {}", count(errors, warnings))
        } else {
            format!(
                "{path} and the files it imports have {}",
                count(errors, warnings)
            )
        };
        let message = message.replace('"', "`");
        own.push(convert::pointer(
            doc_file,
            *span,
            errors > 0,
            message,
            &links,
        ));
    }

    let mut out = vec![Contribution {
        uri: doc_uri.to_string(),
        tag: Tag::Version(snap.version),
        diagnostics: own,
    }];
    // The other files this run checked, even without problems: it speaks for them (a
    // document that does not parse checks nothing and says nothing about its imports).
    if snap.syntax_ok {
        for (i, info) in snap.files.iter().enumerate() {
            let id = FileId(i as u32);
            if id == doc || groups.iter().any(|(g, _, _)| *g == id) {
                continue;
            }
            if let Some(u) = &info.uri {
                out.push(Contribution {
                    uri: u.clone(),
                    tag: info.tag,
                    diagnostics: Vec::new(),
                });
            }
        }
    }
    for (f, vs, _) in groups {
        let Some(info) = snap.files.get(f.0 as usize) else {
            continue;
        };
        let Some(u) = &info.uri else { continue };
        out.push(Contribution {
            uri: u.clone(),
            tag: info.tag,
            diagnostics: vs,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_strings_are_found_while_typed() {
        let t = "import \"./sh";
        assert_eq!(import_string(t, t.len() as u32), Some(Span::new(8, 12)));
        let t = "  import   \"";
        assert_eq!(import_string(t, t.len() as u32), Some(Span::new(12, 12)));
        // Past the closing quote, another word, or not at the start of the line.
        for t in [
            "import \"a\" ",
            "imports \"a",
            "let x = import \"a",
            "import",
        ] {
            assert_eq!(import_string(t, t.len() as u32), None, "{t}");
        }
        // A cursor inside a multi-byte character is no offset of the text.
        assert_eq!(import_string("import \"é", 9), None);
    }

    #[test]
    fn std_module_docs_and_uris() {
        let (line, header) = std_doc("std/rails").unwrap();
        assert!(
            line.starts_with("the shape of a Rails application"),
            "{line}"
        );
        assert!(header.contains("Sidekiq"));
        assert!(std_doc("std/nope").is_none());
        for (name, _) in modules::STDLIB {
            assert!(!std_doc(name).unwrap().0.is_empty(), "{name} has no header");
        }
        assert_eq!(
            file_uri(Path::new("/home/me/my app/é.kiln")),
            "file:///home/me/my%20app/%C3%A9.kiln"
        );
    }

    #[test]
    fn completion_stays_inside_the_root() {
        let tmp = std::env::temp_dir().join(format!("kiln-imports-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(tmp.join("app/lib")).unwrap();
        std::fs::write(tmp.join("app/lib/a.kiln"), "").unwrap();
        std::fs::write(tmp.join("secret.kiln"), "").unwrap();
        let doc = tmp.join("app/main.kiln");
        let labels = |text: &str, ws: Option<&Path>| -> Vec<String> {
            complete(text, text.len() as u32, Some(&doc), ws)
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.label)
                .collect()
        };
        assert_eq!(labels("import \"./lib/", None), ["./lib/a.kiln"]);
        assert!(labels("import \"../", None).is_empty());
        // In a workspace rooted higher, the parent is inside.
        let ws = labels("import \"../", Some(&tmp));
        assert!(ws.contains(&"../secret.kiln".to_string()), "{ws:?}");
        assert!(labels("import \"../../", Some(&tmp)).is_empty());
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
