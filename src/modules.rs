//! Modules: `import`, templates, workspaces and `--set`, resolved before the checker runs.
//!
//! The checker sees one program in one file. This stage builds it:
//!
//! 1. **Loading.** Every file the entry imports, transitively, is put in the
//!    [`SourceMap`]: the standard library from the binary (`stdlib/*.kiln`, embedded with
//!    `include_str!`), other files relative to the importing file. Files outside the
//!    project root (the entry's directory, or the directory compiled as a workspace) are
//!    not read unless allowed (`--allow-outside`). Missing files, unknown standard
//!    modules and cycles are diagnostics at the `import`.
//! 2. **One address space.** Every file's tree is shifted so its spans follow the
//!    previous file's (the entry first, at 0), and the texts are joined the same way: the
//!    checker points into one synthetic file whose text really is at those offsets, and
//!    [`Program::translate`] maps every span it reports back to the file it came from.
//! 3. **Aliases.** `import "./shared.kiln" as shared` lets the importing file write
//!    `shared.NAME` for a top-level `let` of that module.
//! 4. **Templates.** `template NAME(param: type = default, ...) KIND { ... }` is expanded
//!    where a block instantiates it (`KIND name = NAME(args) { overrides }`): the
//!    parameters become `let` bindings of the block, the template's entries come first,
//!    and the block's own entries override fields of the same name and merge into blocks
//!    of the same kind and name. The checker then checks the result like any block, so
//!    every instantiation's arguments are checked against the fields that use them; each
//!    argument is also checked against the parameter's declared type here.
//!
//! Everything here reports and goes on; nothing panics on user input.

use crate::diag::{Diagnostic, Diagnostics, codes};
use crate::source::{FileId, Loc, SourceFile, SourceMap, Span};
use crate::syntax::ast;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// The standard library: module name and source, embedded in the binary.
pub const STDLIB: &[(&str, &str)] = &[
    ("std/rails", include_str!("../stdlib/rails.kiln")),
    ("std/node", include_str!("../stdlib/node.kiln")),
    (
        "std/python-wsgi",
        include_str!("../stdlib/python-wsgi.kiln"),
    ),
    ("std/postgres", include_str!("../stdlib/postgres.kiln")),
    ("std/redis", include_str!("../stdlib/redis.kiln")),
    ("std/ingress", include_str!("../stdlib/ingress.kiln")),
    ("std/security", include_str!("../stdlib/security.kiln")),
    ("std/logging", include_str!("../stdlib/logging.kiln")),
];

/// The name shown for a standard module (`std/rails` → `std/rails.kiln`).
fn std_file_name(module: &str) -> String {
    format!("{module}.kiln")
}

/// The file name of the generated entry of a directory workspace
/// ([`crate::Source::from_dir`]): no real file can have it.
pub const WORKSPACE_ENTRY: &str = "<workspace>";

/// The most text the joined program may hold with the copies of instantiated templates;
/// past it, instantiations share their template's text.
const MAX_COPIED_TEXT: usize = 64 * 1024 * 1024;

/// The name of the synthetic file holding `--set` overrides.
pub const SET_FILE: &str = "--set";

/// The profile `--set` overrides become (it extends the `--profile` one).
pub const SET_PROFILE: &str = "__set";

/// Whether a file's tree (or text) can need this stage: imports, templates or template
/// instantiations. Files without any compile exactly as before.
pub fn needed(file: &ast::File) -> bool {
    fn block_uses(b: &ast::Block) -> bool {
        b.template.is_some()
            || b.entries.iter().any(|e| match e {
                ast::Entry::Block(c) => block_uses(c),
                _ => false,
            })
    }
    use rayon::prelude::*;
    // On the pool: walking every block of a 10,000-app file was 2-3 ms of serial time
    // between parsing and checking.
    file.items.par_iter().with_min_len(256).any(|i| match i {
        ast::Item::Import(_) | ast::Item::Template(_) => true,
        ast::Item::Block(b) => block_uses(b),
        _ => false,
    })
}

/// The project root of an entry file: its directory (absolute).
pub fn root_of(entry: &SourceFile) -> PathBuf {
    let dir = entry
        .path
        .as_ref()
        .and_then(|p| p.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    absolute(&dir)
}

fn absolute(p: &Path) -> PathBuf {
    let p = if p.as_os_str().is_empty() {
        Path::new(".")
    } else {
        p
    };
    normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()))
}

/// `a/./b/../c` → `a/c`, without touching the file system.
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Loads every file the entry imports (transitively) into `map`; files already there are
/// reused. Problems are left for [`expand`] to report.
pub fn load(map: &mut SourceMap, entry: FileId, allow_outside: bool) {
    let file = map.get(entry);
    // memchr's search is many bytes at a time: this scan of a big file is serial.
    if memchr::memmem::find(file.text.as_bytes(), b"import").is_none() {
        return;
    }
    let (ast, _) = crate::syntax::parse(entry, &file.text);
    let root = root_of(map.get(entry));
    let _ = Graph::build(map, entry, ast, &root, allow_outside);
}

/// One loaded file.
struct Module {
    file: FileId,
    ast: ast::File,
    /// Where its text starts in the joined program.
    base: u32,
    /// `as` aliases of its imports, and the module each names.
    aliases: Vec<(String, usize)>,
    /// The import in the entry through which it was first reached (for diagnostics in
    /// files the caller's source map does not hold).
    import_site: Option<Span>,
}

/// The import graph.
struct Graph {
    modules: Vec<Module>,
    /// Diagnostics with real file ids (syntax errors of modules, import problems).
    diags: Diagnostics,
}

#[derive(Clone, Copy, PartialEq)]
enum Visit {
    Open,
    Done,
}

impl Graph {
    fn build(
        map: &mut SourceMap,
        entry: FileId,
        entry_ast: ast::File,
        root: &Path,
        allow_outside: bool,
    ) -> Graph {
        let mut g = Graph {
            modules: vec![Module {
                file: entry,
                ast: entry_ast,
                base: 0,
                aliases: Vec::new(),
                import_site: None,
            }],
            diags: Diagnostics::default(),
        };
        let mut index: HashMap<FileId, usize> = HashMap::from([(entry, 0)]);
        let mut state = vec![Visit::Open];
        let mut resolver = Resolver::new(root, allow_outside);
        // An explicit stack: a chain of thousands of imports must not overflow ours. Each
        // frame is a module, its imports (taken once: a workspace entry has thousands)
        // and the next one to follow.
        let mut stack: Vec<(usize, Vec<ast::Import>, usize)> =
            vec![(0, imports_of(&g.modules[0].ast), 0)];
        while let Some(top) = stack.last_mut() {
            let (m, i) = (top.0, top.2);
            let Some(imp) = top.1.get(i).cloned() else {
                state[m] = Visit::Done;
                stack.pop();
                continue;
            };
            top.2 += 1;
            let from = g.modules[m].file;
            let target = match resolver.resolve(map, from, &imp) {
                Ok(id) => id,
                Err(d) => {
                    g.diags.push(d);
                    continue;
                }
            };
            let site = g.modules[m].import_site.or(Some(imp.span));
            let k = match index.get(&target) {
                Some(&k) if state[k] == Visit::Open => {
                    let pos = stack.iter().position(|(x, _, _)| *x == k).unwrap_or(0);
                    let chain: Vec<String> = stack[pos..]
                        .iter()
                        .map(|(x, _, _)| map.get(g.modules[*x].file).name.clone())
                        .chain(std::iter::once(map.get(target).name.clone()))
                        .collect();
                    g.diags.push(
                        Diagnostic::new(
                            codes::IMPORT_CYCLE,
                            from,
                            imp.path.span,
                            if chain.len() <= 2 {
                                format!("`{}` imports itself", map.get(target).name)
                            } else {
                                format!("`{}` is imported in a cycle", map.get(target).name)
                            },
                        )
                        .label("this import closes a cycle")
                        .note(format!("cycle: {}", chain.join(" → ")))
                        .help("move what both files need into a third module that imports neither"),
                    );
                    continue;
                }
                Some(&k) => k,
                None => {
                    let (ast, d) = crate::syntax::parse(target, &map.get(target).text);
                    g.diags.extend(d);
                    g.modules.push(Module {
                        file: target,
                        ast,
                        base: 0,
                        aliases: Vec::new(),
                        import_site: site,
                    });
                    let k = g.modules.len() - 1;
                    index.insert(target, k);
                    state.push(Visit::Open);
                    stack.push((k, imports_of(&g.modules[k].ast), 0));
                    k
                }
            };
            if let Some(a) = &imp.alias {
                if let Some((_, other)) = g.modules[m].aliases.iter().find(|(n, _)| *n == a.name) {
                    let other = *other;
                    g.diags.push(
                        Diagnostic::new(
                            codes::DUPLICATE_MODULE_NAME,
                            from,
                            a.span,
                            format!("the alias `{}` is already used", a.name),
                        )
                        .label("used again")
                        .note(format!(
                            "`{}` already names `{}`",
                            a.name,
                            map.get(g.modules[other].file).name
                        ))
                        .help("choose another alias"),
                    );
                } else {
                    g.modules[m].aliases.push((a.name.clone(), k));
                }
            }
        }
        g
    }
}

/// The imports of a file, in order.
fn imports_of(file: &ast::File) -> Vec<ast::Import> {
    file.items
        .iter()
        .filter_map(|it| match it {
            ast::Item::Import(imp) => Some(imp.clone()),
            _ => None,
        })
        .collect()
}

/// How an import path failed to resolve to a real file.
#[derive(Clone, Copy)]
enum Unresolved {
    /// Nothing there (or anything else `canonicalize` refuses).
    Missing,
    /// The path goes through a symbolic link loop.
    Loop,
}

/// Whether `e` says a path goes through a symbolic link loop (`ELOOP`):
/// `io::ErrorKind::FilesystemLoop` cannot be named on stable Rust.
fn is_link_loop(e: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    {
        e.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(target_os = "linux"))]
    {
        format!("{:?}", e.kind()) == "FilesystemLoop"
    }
}

/// What the resolution of one import graph has learned, so that each path costs its
/// system calls once: before it, every import canonicalized the path of every file
/// loaded so far, quadratic in the number of files (4 million `readlink`s for a
/// workspace of 1,000 files).
struct Resolver<'r> {
    root: &'r Path,
    /// The root with its links resolved (an import through a link leaving it is outside).
    canon_root: PathBuf,
    allow_outside: bool,
    /// `canonicalize` of each absolute path asked for.
    canon: HashMap<PathBuf, Result<PathBuf, Unresolved>>,
    /// The first file of the map with each canonical path (the file an import reuses).
    by_canon: HashMap<PathBuf, FileId>,
    /// The first standard module of the map with each file name.
    std_files: HashMap<String, FileId>,
    /// How many files of the map (in id order) `by_canon` and `std_files` cover.
    indexed: usize,
}

impl<'r> Resolver<'r> {
    fn new(root: &'r Path, allow_outside: bool) -> Self {
        Resolver {
            root,
            canon_root: std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf()),
            allow_outside,
            canon: HashMap::new(),
            by_canon: HashMap::new(),
            std_files: HashMap::new(),
            indexed: 0,
        }
    }

    /// `canonicalize(path)`, once per path.
    fn canonical(&mut self, path: &Path) -> Result<PathBuf, Unresolved> {
        if let Some(c) = self.canon.get(path) {
            return c.clone();
        }
        let c = std::fs::canonicalize(path).map_err(|e| {
            if is_link_loop(&e) {
                Unresolved::Loop
            } else {
                Unresolved::Missing
            }
        });
        self.canon.insert(path.to_path_buf(), c.clone());
        c
    }

    /// Indexes the files added to the map since the last call, in id order (the first
    /// file with a path or name stays the one found, as a scan of the map would find it).
    fn index(&mut self, map: &SourceMap) {
        let new: Vec<(FileId, Option<PathBuf>, String)> = map
            .iter()
            .skip(self.indexed)
            .map(|(id, f)| (id, f.path.clone(), f.name.clone()))
            .collect();
        self.indexed += new.len();
        for (id, path, name) in new {
            match path {
                Some(p) => {
                    if let Ok(c) = self.canonical(&p) {
                        self.by_canon.entry(c).or_insert(id);
                    }
                }
                None => {
                    self.std_files.entry(name).or_insert(id);
                }
            }
        }
    }

    /// Finds (or reads) the file an import names.
    // Once per import: the size of the error is no cost worth boxing for.
    #[allow(clippy::result_large_err)]
    fn resolve(
        &mut self,
        map: &mut SourceMap,
        from: FileId,
        imp: &ast::Import,
    ) -> Result<FileId, Diagnostic> {
        let at = imp.path.span;
        let Some(text) = imp.path.as_plain() else {
            return Err(Diagnostic::new(
                codes::MODULE_NOT_FOUND,
                from,
                at,
                "an import path cannot use `${..}`",
            )
            .label("interpolated path")
            .help("write the path out: imports are resolved before any value is known"));
        };
        if text.starts_with("std/") || text == "std" {
            let Some((name, src)) = STDLIB.iter().find(|(n, _)| *n == text) else {
                let mut d = Diagnostic::new(
                    codes::UNKNOWN_MODULE,
                    from,
                    at,
                    format!("there is no standard module `{text}`"),
                )
                .label("unknown module");
                d = match crate::diag::suggest::did_you_mean(&text, STDLIB.iter().map(|(n, _)| *n))
                {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!(
                        "the standard library has {}",
                        STDLIB
                            .iter()
                            .map(|(n, _)| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                };
                return Err(d);
            };
            let file_name = std_file_name(name);
            self.index(map);
            if let Some(&id) = self.std_files.get(&file_name) {
                return Ok(id);
            }
            return Ok(map.add(SourceFile::new(file_name, None, *src)));
        }
        let importer = map.get(from);
        if importer.path.is_none() && importer.name.starts_with("std/") {
            return Err(Diagnostic::new(
                codes::MODULE_NOT_FOUND,
                from,
                at,
                "a standard module can only import other standard modules",
            )
            .label("relative import"));
        }
        let mut rel = PathBuf::from(&text);
        if rel.extension().is_none() {
            rel.set_extension("kiln");
        }
        // The name shown keeps the user's relative spelling; the path compared is absolute.
        let shown_dir = importer
            .path
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let shown = normalize(&shown_dir.join(&rel));
        let full = absolute(&shown);
        let canon = self.canonical(&full);
        let outside = !full.starts_with(self.root)
            || canon
                .as_ref()
                .is_ok_and(|c| !c.starts_with(&self.canon_root));
        if outside && !self.allow_outside {
            return Err(Diagnostic::new(
                codes::IMPORT_OUTSIDE_ROOT,
                from,
                at,
                format!("`{text}` is outside the project"),
            )
            .label("leaves the project directory")
            .note("imports stay inside the directory of the file compiled (or of the workspace)")
            .help(
                "move the module into the project, or pass `--allow-outside` if reading it is intended",
            ));
        }
        let canon = match canon {
            Ok(c) => c,
            Err(Unresolved::Loop) => {
                return Err(Diagnostic::new(
                    codes::MODULE_NOT_FOUND,
                    from,
                    at,
                    format!("`{text}` is a symbolic link loop"),
                )
                .label("its links never reach a file")
                .help(
                    "point the link (or a directory link on its path) at a real file, or import the file by its own path",
                ));
            }
            Err(Unresolved::Missing) => {
                return Err(Diagnostic::new(
                    codes::MODULE_NOT_FOUND,
                    from,
                    at,
                    format!("cannot find `{text}`"),
                )
                .label("no such file")
                .help("imports are relative to the importing file; check the path"));
            }
        };
        self.index(map);
        if let Some(&id) = self.by_canon.get(&canon) {
            return match not_utf8_import(map, id, from, at, &text) {
                Some(d) => Err(d),
                None => Ok(id),
            };
        }
        let read = std::fs::File::open(&full)
            .and_then(|f| crate::fsio::read_source_file(f, crate::syntax::MAX_FILE_BYTES));
        match read {
            Ok((t, not_utf8)) => {
                let mut file = SourceFile::new(shown.display().to_string(), Some(full), t);
                let bad = not_utf8.is_some();
                file.not_utf8 = not_utf8;
                // Kept in the map even when not UTF-8 (its text is then never parsed): the
                // diagnostic shows the bad byte, and later imports find it without reading.
                let id = map.add(file);
                self.by_canon.entry(canon).or_insert(id);
                if bad && let Some(d) = not_utf8_import(map, id, from, at, &text) {
                    return Err(d);
                }
                Ok(id)
            }
            Err(e) => Err(Diagnostic::new(
                codes::MODULE_NOT_FOUND,
                from,
                at,
                format!("cannot read `{text}`"),
            )
            .label(read_failure(&e))
            .help("imports name `.kiln` files relative to the importing file")),
        }
    }
}

/// K0020 at an import of a file that is not UTF-8 (None when it is): the import is the
/// primary location, the bad byte a secondary one, as `kiln check` on that file shows it.
fn not_utf8_import(
    map: &SourceMap,
    id: FileId,
    from: FileId,
    at: Span,
    text: &str,
) -> Option<Diagnostic> {
    let file = map.get(id);
    let inner = crate::fsio::not_utf8_diagnostic(id, file)?;
    let bad = inner.primary.loc.span;
    let lc = file.line_col(bad.start);
    let bytes = file
        .not_utf8
        .as_ref()
        .map(|n| {
            n.bytes
                .iter()
                .map(|b| format!("0x{b:02X}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    Some(
        Diagnostic::new(
            codes::NOT_UTF8,
            from,
            at,
            format!(
                "`{text}` is not valid UTF-8: {bytes} at byte offset {}",
                bad.start
            ),
        )
        .label("imports a file that is not UTF-8")
        .secondary(id, bad, "not UTF-8")
        .note(format!(
            "`{}` line {}, column {} (byte offset {}) holds {bytes}; kiln reads UTF-8 text only, so nothing in it was parsed",
            file.name,
            lc.line + 1,
            lc.col + 1,
            bad.start
        ))
        .help("convert the file to UTF-8 (for example `iconv -f LATIN1 -t UTF-8`), or remove the byte"),
    )
}

/// Why a module could not be read, in words (no "os error 13").
fn read_failure(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        // kiln's own message, which says the limit.
        ErrorKind::FileTooLarge => e.to_string(),
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::IsADirectory => "a directory, not a file".to_string(),
        _ if is_link_loop(e) => "a symbolic link loop".to_string(),
        _ => {
            let s = e.to_string();
            let s = match s.find(" (os error") {
                Some(i) => &s[..i],
                None => &s[..],
            };
            s.to_lowercase()
        }
    }
}

/// Where a span of the joined program comes from.
#[derive(Debug, Clone)]
struct Segment {
    base: u32,
    len: u32,
    file: FileId,
    /// Its name, for diagnostics moved to the import.
    name: String,
    /// The entry import that reached it, for files the caller's map lacks.
    import_site: Option<Span>,
    /// The offset in its file of the byte at `base`: 0 for a whole file, the template's
    /// start for the copy of a template made for one instantiation.
    offset: u32,
}

/// One template instantiation, for "instantiated here" labels.
#[derive(Debug, Clone)]
struct Use {
    template: String,
    body: Span,
    call: Span,
}

/// The program the checker sees, and how to map what it says back to real files.
#[derive(Debug)]
pub struct Program {
    /// Every item of every file, imports resolved and templates expanded.
    pub file: ast::File,
    /// The texts of every file joined at their bases (what the spans of `file` index).
    pub text: String,
    /// Diagnostics already in real coordinates.
    pub diagnostics: Diagnostics,
    /// Diagnostics in joined coordinates (translate them).
    joined_diags: Vec<Diagnostic>,
    segments: Vec<Segment>,
    uses: Vec<Use>,
    /// Spans of template parameter names (their `let`s are never "unused").
    param_names: Vec<Span>,
    /// Instantiations that failed (their blocks are checked without required fields).
    failed: Vec<(Span, Span)>,
    /// Whether the `--set` profile ([`SET_PROFILE`]) is part of the program.
    pub has_set: bool,
    /// The entry's id.
    entry: FileId,
    /// How many files the caller's map holds (later ids exist only here).
    known_files: u32,
}

/// Resolves imports, templates and `--set` overrides of the entry. `map` is a copy of
/// the caller's map that may grow; `known_files` is the caller's map size.
pub fn expand(
    map: &mut SourceMap,
    entry: FileId,
    entry_ast: &ast::File,
    options: &crate::Options,
) -> Program {
    let (allow_outside, sets) = (options.allow_outside, options.sets.as_slice());
    let known_files = map.iter().count() as u32;
    let root = root_of(map.get(entry));
    let mut g = Graph::build(map, entry, entry_ast.clone(), &root, allow_outside);
    let mut joined_diags = Vec::new();

    // `--set path=value`: one synthetic profile, parsed by the real parser.
    let mut has_set = false;
    if !sets.is_empty() {
        let mut text = match &options.profile {
            Some(p) => format!("profile {SET_PROFILE} extends {p} {{\n"),
            None => format!("profile {SET_PROFILE} {{\n"),
        };
        for s in sets {
            text.push_str(s);
            text.push('\n');
        }
        text.push_str("}\n");
        let existing = map
            .iter()
            .find(|(_, f)| f.path.is_none() && f.name == SET_FILE && f.text == text)
            .map(|(id, _)| id);
        let id = match existing {
            Some(id) => id,
            None => map.add(SourceFile::new(SET_FILE, None, text.clone())),
        };
        let (ast, d) = crate::syntax::parse(id, &text);
        let fields = match ast.items.as_slice() {
            [ast::Item::Profile(p)] => p.fields.len(),
            _ => usize::MAX,
        };
        if d.has_errors() || fields != sets.len() {
            let syntax_errors = d.has_errors();
            g.diags.extend(d);
            if !syntax_errors && fields != sets.len() {
                g.diags.push(
                    Diagnostic::new(
                        codes::BAD_SET,
                        id,
                        Span::new(0, text.len()),
                        "each `--set` must be one `path = value`",
                    )
                    .label("not one override per `--set`")
                    .help("write `--set app.block.field=value`, one value per flag (strings in quotes)"),
                );
            }
        } else {
            g.modules.push(Module {
                file: id,
                ast,
                base: 0,
                aliases: Vec::new(),
                import_site: None,
            });
            has_set = true;
        }
    }

    // Bases and the joined text.
    let mut text = String::new();
    let mut segments = Vec::with_capacity(g.modules.len());
    for (i, m) in g.modules.iter_mut().enumerate() {
        let t = &map.get(m.file).text;
        if i > 0 {
            text.push('\n');
        }
        if text.len() + t.len() >= (u32::MAX / 2) as usize {
            g.diags.push(
                Diagnostic::new(
                    codes::MODULE_NOT_FOUND,
                    entry,
                    m.import_site.unwrap_or_default(),
                    "the program is too large: its files total more than 2 GiB",
                )
                .label("imported here"),
            );
            break;
        }
        m.base = text.len() as u32;
        text.push_str(t);
        segments.push(Segment {
            base: m.base,
            len: t.len() as u32,
            file: m.file,
            name: map.get(m.file).name.clone(),
            import_site: m.import_site,
            offset: 0,
        });
        if m.base > 0 {
            shift_file(&mut m.ast, m.base);
        }
    }
    let loaded = segments.len();
    g.modules.truncate(loaded);

    // `file(..)` in an imported module names a file next to that module: its path is
    // rewritten relative to the project root, where the checker resolves it.
    for m in g.modules.iter_mut().skip(1) {
        if let Some(prefix) = map
            .get(m.file)
            .path
            .as_deref()
            .and_then(|p| file_prefix(p, &root))
        {
            rebase_files(&mut m.ast, &prefix);
        }
    }

    // Aliases: `alias.name` → `name`, when the module binds `name`.
    let lets_of: Vec<Vec<String>> = g
        .modules
        .iter()
        .map(|m| {
            m.ast
                .items
                .iter()
                .filter_map(|i| match i {
                    ast::Item::Let(l) => Some(l.name.name.clone()),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let names: Vec<String> = g
        .modules
        .iter()
        .map(|m| map.get(m.file).name.clone())
        .collect();
    for m in &mut g.modules {
        if m.aliases.is_empty() {
            continue;
        }
        let aliases = m.aliases.clone();
        for_each_expr(&mut m.ast, &mut |e| {
            let ast::ExprKind::Ref(path) = &mut e.kind else {
                return;
            };
            let Some((_, target)) = path
                .first()
                .and_then(|first| aliases.iter().find(|(a, _)| *a == first.name))
            else {
                return;
            };
            let Some(second) = path.get(1) else {
                return;
            };
            let lets = lets_of.get(*target).map(Vec::as_slice).unwrap_or(&[]);
            if lets.contains(&second.name) {
                path.remove(0);
                e.span = path.first().map(|i| i.span).unwrap_or(e.span).to(e.span);
            } else {
                let mut d = Diagnostic::new(
                    codes::UNKNOWN_MODULE_NAME,
                    FileId(0),
                    second.span,
                    format!(
                        "`{}` has no top-level `let {}`",
                        names.get(*target).map(String::as_str).unwrap_or("?"),
                        second.name
                    ),
                )
                .label("not bound in the module");
                if let Some(s) = crate::diag::suggest::did_you_mean(
                    &second.name,
                    lets.iter().map(String::as_str),
                ) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                joined_diags.push(d);
            }
        });
    }

    // Templates, by name.
    let mut templates: HashMap<String, ast::Template> = HashMap::new();
    let mut param_names = Vec::new();
    for m in &g.modules {
        for item in &m.ast.items {
            let ast::Item::Template(t) = item else {
                continue;
            };
            if let Some(first) = templates.get(&t.name.name) {
                joined_diags.push(
                    Diagnostic::new(
                        codes::DUPLICATE_MODULE_NAME,
                        FileId(0),
                        t.name.span,
                        format!("template `{}` is defined twice", t.name.name),
                    )
                    .label("defined again")
                    .secondary(FileId(0), first.name.span, "first defined here")
                    .help("rename one of the templates"),
                );
                continue;
            }
            check_template(t, &mut joined_diags);
            param_names.extend(t.params.iter().map(|p| p.name.span));
            templates.insert(t.name.name.clone(), t.clone());
        }
    }

    // The program: every file's lets, profiles and blocks, templates expanded.
    let mut ex = Expander {
        templates: &templates,
        diags: &mut joined_diags,
        uses: Vec::new(),
        stack: Vec::new(),
        failed: Vec::new(),
        referenced: std::collections::HashSet::new(),
        text: &mut text,
        segments: &mut segments,
        param_names: Vec::new(),
    };
    let mut items = Vec::new();
    for m in &mut g.modules {
        for item in std::mem::take(&mut m.ast.items) {
            match item {
                ast::Item::Import(_) | ast::Item::Template(_) => {}
                ast::Item::Block(mut b) => {
                    ex.block(&mut b);
                    items.push(ast::Item::Block(b));
                }
                other => items.push(other),
            }
        }
    }
    let Expander {
        uses,
        failed,
        referenced,
        param_names: copied_params,
        ..
    } = ex;
    param_names.extend(copied_params);
    // Unused templates of the project: those of the entry file, or of any file of a
    // workspace (the directory is the whole project, so no app uses them). A file
    // compiled alone may leave some templates of a shared module unused: other apps use
    // them. The standard library is never reported.
    let workspace = map
        .get(entry)
        .path
        .as_deref()
        .and_then(Path::file_name)
        .is_some_and(|n| n == WORKSPACE_ENTRY);
    let mut unused: Vec<&ast::Template> = templates
        .values()
        .filter(|t| !referenced.contains(&t.name.name) && !t.name.name.starts_with('_'))
        .filter(|t| {
            let seg = segments.iter().rev().find(|s| s.base <= t.name.span.start);
            seg.is_some_and(|s| {
                let f = map.get(s.file);
                f.path.is_some() && (s.file == entry || workspace)
            })
        })
        .collect();
    unused.sort_by_key(|t| t.name.span.start);
    for t in unused {
        joined_diags.push(
            Diagnostic::new(
                codes::UNUSED_TEMPLATE,
                FileId(0),
                t.name.span,
                format!("template `{}` is never used", t.name.name),
            )
            .label("never instantiated")
            .note("a template's body is checked through its instantiations: this one's is not checked at all")
            .help(format!(
                "instantiate it (`{} NAME = {}(...) {{ }}`), remove it, or name it `_{}` to keep it on purpose",
                t.body.kind.name, t.name.name, t.name.name
            )),
        );
    }
    Program {
        file: ast::File {
            items,
            comments: Vec::new(),
            span: Span::new(0, text.len()),
        },
        text,
        diagnostics: g.diags,
        joined_diags,
        segments,
        uses,
        param_names,
        failed,
        has_set,
        entry,
        known_files,
    }
}

impl Program {
    /// Maps a joined-coordinates location to a real one.
    fn real(&self, span: Span) -> (FileId, Span, Option<Span>) {
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|s| s.base <= span.start)
            .or(self.segments.first());
        match seg {
            Some(s) => {
                let start = (span.start - s.base.min(span.start)).min(s.len);
                let end = span.end.saturating_sub(s.base).clamp(start, s.len);
                let (start, end) = (start.saturating_add(s.offset), end.saturating_add(s.offset));
                (s.file, Span { start, end }, s.import_site)
            }
            None => (self.entry, span, None),
        }
    }

    /// Maps a location of the joined program to a location the caller can render: the
    /// real file, or (for a file only this run loaded) the entry's import of it.
    fn loc(&self, span: Span) -> (Loc, bool) {
        let (file, span, site) = self.real(span);
        if file.0 < self.known_files {
            (Loc { file, span }, true)
        } else {
            (
                Loc {
                    file: self.entry,
                    span: site.unwrap_or_default(),
                },
                false,
            )
        }
    }

    /// Translates diagnostics of the checker (joined coordinates) to real files, adds
    /// "instantiated here" labels to errors inside templates, and drops "unused" warnings
    /// about template parameters (an override may replace the only field using one).
    pub fn translate(&self, diags: Diagnostics) -> Diagnostics {
        let mut out = Diagnostics::default();
        for mut d in diags.0.into_iter().chain(self.joined_diags.iter().cloned()) {
            if (d.code == codes::UNUSED_LET && self.param_names.contains(&d.primary.loc.span))
                || self.failed.iter().any(|&(call, block)| {
                    let at = d.primary.loc.span;
                    (d.code == codes::NOT_SUPPORTED && at == call)
                        || (!d.is_error() && block.start <= at.start && at.end <= block.end)
                })
            {
                continue;
            }
            let span = d.primary.loc.span;
            // The instantiation whose copy of the template holds the span, then the one
            // holding that instantiation (a template used inside another), and so on.
            let mut uses: Vec<&Use> = Vec::new();
            let mut at = span;
            while uses.len() < 3 {
                let holding: Vec<&Use> = self
                    .uses
                    .iter()
                    .filter(|u| u.body.start <= at.start && at.end <= u.body.end)
                    .filter(|u| !uses.iter().any(|x| x.call == u.call))
                    .collect();
                let Some(first) = holding.first() else {
                    break;
                };
                at = first.call;
                uses.extend(holding);
            }
            let (loc, known) = self.loc(span);
            if !known {
                let (file, _, _) = self.real(span);
                let name = self
                    .segments
                    .iter()
                    .find(|s| s.file == file)
                    .map(|s| s.name.as_str())
                    .unwrap_or("an imported module");
                d.message = format!("in `{name}`: {}", d.message);
            }
            d.primary.loc = loc;
            let secondary = std::mem::take(&mut d.secondary);
            for mut l in secondary {
                let (loc, known) = self.loc(l.loc.span);
                if known {
                    l.loc = loc;
                    d.secondary.push(l);
                }
            }
            // Ranges hidden from the snippet (K0912) follow their text to its file.
            for r in std::mem::take(&mut d.redact) {
                let (loc, known) = self.loc(r.span);
                if known {
                    d.redact.push(loc);
                }
            }
            for u in uses.iter().take(3) {
                let (loc, known) = self.loc(u.call);
                if known {
                    d = d.secondary(
                        loc.file,
                        loc.span,
                        format!("in this instantiation of `{}`", u.template),
                    );
                }
            }
            // The same problem found in several instantiations (through one template
            // line) is one diagnostic naming them.
            let same = out.0.iter_mut().find(|e| {
                e.code == d.code && e.primary.loc == d.primary.loc && e.message == d.message
            });
            match same {
                Some(e) => {
                    for l in d.secondary {
                        let named = e
                            .secondary
                            .iter()
                            .filter(|x| x.message.starts_with("in this instantiation"))
                            .count();
                        if l.message.starts_with("in this instantiation")
                            && named < 3
                            && !e.secondary.contains(&l)
                        {
                            e.secondary.push(l);
                        }
                    }
                }
                None => out.push(d),
            }
        }
        out
    }

    /// Maps every location in a model to its real file.
    pub fn translate_model(&self, model: &mut crate::check::model::Model) {
        let f = |l: &mut Loc| *l = self.loc(l.span).0;
        remap_model(model, f);
    }
}

fn remap_model(model: &mut crate::check::model::Model, f: impl Fn(&mut Loc)) {
    use crate::check::model::{Container, Patch, Volume};
    fn container(c: &mut Container, f: &impl Fn(&mut Loc)) {
        f(&mut c.loc);
        if let Some(i) = &mut c.image {
            f(&mut i.loc);
        }
    }
    fn rest(vols: &mut [Volume], patches: &mut [Patch], f: &impl Fn(&mut Loc)) {
        for v in vols {
            f(&mut v.loc);
        }
        for p in patches {
            f(&mut p.loc);
            for s in &mut p.sets {
                f(&mut s.loc);
            }
        }
    }
    for app in &mut model.apps {
        f(&mut app.loc);
        f(&mut app.image.loc);
        for w in &mut app.workloads {
            f(&mut w.loc);
            container(&mut w.container, &f);
            for c in w.sidecars.iter_mut().chain(w.init.iter_mut()) {
                container(c, &f);
            }
            if let Some(i) = &mut w.ingress {
                f(&mut i.loc);
            }
            rest(&mut w.volumes, &mut w.patches, &f);
        }
        for j in &mut app.jobs {
            f(&mut j.loc);
            container(&mut j.container, &f);
            for (_, l) in &mut j.after {
                f(l);
            }
            rest(&mut j.volumes, &mut j.patches, &f);
        }
        for c in &mut app.crons {
            f(&mut c.loc);
            container(&mut c.container, &f);
            rest(&mut c.volumes, &mut c.patches, &f);
        }
        for r in &mut app.raw {
            f(&mut r.loc);
        }
    }
}

// ---- templates -----------------------------------------------------------------------

/// A parameter type, as far as its shape can be checked before the schema does the rest.
#[derive(Debug, Clone, PartialEq)]
enum PTy {
    Str,
    Int,
    Bool,
    Quantity,
    Probe,
    Ref,
    Any,
    List(Box<PTy>),
    Range(Box<PTy>),
    Enum(Vec<String>),
}

/// Parameter types a template may declare.
pub const PARAM_TYPES: &[&str] = &[
    "string",
    "name",
    "image",
    "cidr",
    "cron",
    "int",
    "port",
    "bool",
    "cpu",
    "memory",
    "duration",
    "percent",
    "probe",
    "ref",
    "any",
    "list(T)",
    "range(T)",
    "enum(a|b)",
];

fn parse_ty(t: &str) -> Option<PTy> {
    let t = t.trim();
    if let Some(inner) = t.strip_suffix(')') {
        let (head, arg) = inner.split_once('(')?;
        return match head {
            "list" => Some(PTy::List(Box::new(parse_ty(arg)?))),
            "range" => Some(PTy::Range(Box::new(parse_ty(arg)?))),
            "enum" => Some(PTy::Enum(
                arg.split('|').map(|w| w.trim().to_string()).collect(),
            )),
            _ => None,
        };
    }
    Some(match t {
        "string" | "name" | "image" | "cidr" | "cron" => PTy::Str,
        "int" | "port" => PTy::Int,
        "bool" => PTy::Bool,
        "cpu" | "memory" | "duration" | "percent" => PTy::Quantity,
        "probe" => PTy::Probe,
        "ref" => PTy::Ref,
        "any" => PTy::Any,
        _ => return None,
    })
}

/// Whether an expression can be a value of the type (a bare name may be a `let`).
fn fits(e: &ast::Expr, ty: &PTy) -> bool {
    use ast::ExprKind as K;
    match (&e.kind, ty) {
        (_, PTy::Any) | (K::None, _) => true,
        (K::Ref(p), PTy::Enum(words)) => {
            p.len() == 1 && p.first().is_some_and(|w| words.contains(&w.name))
        }
        (K::Ref(_), _) => true,
        (K::Str(_), PTy::Str) => true,
        (K::Number(n), PTy::Int) => n.unit.is_empty() && !n.digits.contains('.'),
        (K::Number(_), PTy::Quantity) => true,
        (K::Bool(_), PTy::Bool) => true,
        (K::Call(_), PTy::Probe) => true,
        (K::List(items), PTy::List(t)) => items.iter().all(|i| fits(i, t)),
        (K::Range(a, b), PTy::Range(t)) => fits(a, t) && fits(b, t),
        (_, PTy::Range(t)) => fits(e, t),
        _ => false,
    }
}

fn check_template(t: &ast::Template, diags: &mut Vec<Diagnostic>) {
    for p in &t.params {
        match parse_ty(&p.ty.name) {
            None => diags.push(
                Diagnostic::new(
                    codes::ARGUMENT_TYPE,
                    FileId(0),
                    p.ty.span,
                    format!("`{}` is not a parameter type", p.ty.name),
                )
                .label("unknown type")
                .help(format!("parameter types: {}", PARAM_TYPES.join(", "))),
            ),
            Some(ty) => {
                if let Some(d) = &p.default
                    && !fits(d, &ty)
                {
                    diags.push(
                        Diagnostic::new(
                            codes::ARGUMENT_TYPE,
                            FileId(0),
                            d.span,
                            format!(
                                "the default of `{}` is {}, not a `{}`",
                                p.name.name,
                                describe(d),
                                p.ty.name
                            ),
                        )
                        .label("wrong type")
                        .secondary(FileId(0), p.ty.span, "declared here"),
                    );
                }
            }
        }
    }
}

struct Expander<'t, 'd> {
    templates: &'t HashMap<String, ast::Template>,
    diags: &'d mut Vec<Diagnostic>,
    uses: Vec<Use>,
    /// Templates being instantiated (recursion).
    stack: Vec<String>,
    /// Instantiations that failed (already reported).
    failed: Vec<(Span, Span)>,
    /// Names of the templates some block instantiates (or tries to).
    referenced: std::collections::HashSet<String>,
    /// The joined text and its segments: each instantiation gets its own copy of the
    /// template's text (mapped back to the template's file), so a diagnostic inside a
    /// template names the one instantiation it comes from.
    text: &'d mut String,
    segments: &'d mut Vec<Segment>,
    /// Parameter names of the copies (their `let`s are never "unused").
    param_names: Vec<Span>,
}

impl Expander<'_, '_> {
    fn block(&mut self, b: &mut ast::Block) {
        let mut pushed = false;
        if let Some(call) = b.template.take() {
            pushed = self.instantiate(b, &call);
            if pushed {
                self.stack.push(call.func.name.clone());
            } else {
                // Left in place, the instantiation keeps the checker from calling the
                // template's fields missing; its "not supported" note is dropped.
                self.failed.push((call.span, b.span));
                b.template = Some(call);
            }
        }
        for e in &mut b.entries {
            if let ast::Entry::Block(c) = e {
                self.block(c);
            }
        }
        if pushed {
            self.stack.pop();
        }
    }

    /// A copy of the template whose spans point into a copy of its text appended to the
    /// joined program (mapped back to the template's file). Past [`MAX_COPIED_TEXT`] the
    /// template itself is used: diagnostics then name every instantiation.
    fn copy_of(&mut self, t: &ast::Template) -> ast::Template {
        let (start, end) = (t.span.start as usize, t.span.end as usize);
        let Some(slice) = self.text.get(start..end) else {
            return t.clone();
        };
        if self.text.len() + slice.len() + 1 > MAX_COPIED_TEXT {
            return t.clone();
        }
        let Some(seg) = self
            .segments
            .iter()
            .rev()
            .find(|s| s.base <= t.span.start)
            .cloned()
        else {
            return t.clone();
        };
        let slice = slice.to_string();
        self.text.push('\n');
        let base = self.text.len() as u32;
        self.text.push_str(&slice);
        self.segments.push(Segment {
            base,
            len: slice.len() as u32,
            file: seg.file,
            name: seg.name,
            import_site: seg.import_site,
            offset: seg.offset + (t.span.start - seg.base),
        });
        let mut c = t.clone();
        shift_template(&mut c, base - t.span.start);
        self.param_names
            .extend(c.params.iter().map(|p| p.name.span));
        c
    }

    fn err(&self, code: crate::diag::Code, span: Span, msg: String) -> Diagnostic {
        Diagnostic::new(code, FileId(0), span, msg)
    }

    /// Replaces the block's entries by the template's with the arguments bound and the
    /// block's entries as overrides. False when nothing was instantiated.
    fn instantiate(&mut self, b: &mut ast::Block, call: &ast::Call) -> bool {
        let name = &call.func.name;
        self.referenced.insert(name.clone());
        let templates = self.templates;
        let Some(t) = templates.get(name) else {
            let mut d = self
                .err(
                    codes::UNKNOWN_TEMPLATE,
                    call.func.span,
                    format!("there is no template `{name}`"),
                )
                .label("unknown template");
            d = match crate::diag::suggest::did_you_mean(
                name,
                self.templates.keys().map(String::as_str),
            ) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("define it with `template NAME(...) KIND { ... }`, or import the module that does"),
            };
            self.diags.push(d);
            return false;
        };
        if self.stack.iter().any(|s| s == name) {
            let d = self
                .err(
                    codes::TEMPLATE_RECURSION,
                    call.func.span,
                    format!("template `{name}` instantiates itself"),
                )
                .label("recursive instantiation")
                .secondary(FileId(0), t.name.span, "defined here")
                .note(format!("chain: {} → {name}", self.stack.join(" → ")))
                .help("a template cannot contain a block made from itself");
            self.diags.push(d);
            return false;
        }
        if t.body.kind.name != b.kind.name {
            let d = self
                .err(
                    codes::TEMPLATE_KIND,
                    call.func.span,
                    format!(
                        "template `{name}` makes a `{}` block, not a `{}`",
                        t.body.kind.name, b.kind.name
                    ),
                )
                .label(format!("a `{}` template", t.body.kind.name))
                .secondary(FileId(0), t.body.kind.span, "its kind")
                .help(format!(
                    "write `{} {} = {name}(...)`, or use a `{}` template",
                    t.body.kind.name,
                    b.name.as_ref().map(|n| n.name.as_str()).unwrap_or("NAME"),
                    b.kind.name
                ));
            self.diags.push(d);
            return false;
        }
        // From here on, this instantiation's own copy of the template.
        let copy = self.copy_of(t);
        let t = &copy;
        // Arguments: positional first, then by name.
        let mut bound: Vec<Option<ast::Expr>> = vec![None; t.params.len()];
        let mut ok = true;
        for (i, a) in call.args.iter().enumerate() {
            let slot = match &a.name {
                None => match t.params.get(i) {
                    Some(_) => i,
                    None => {
                        let d = self
                            .err(
                                codes::BAD_ARGUMENT,
                                a.span,
                                format!(
                                    "`{name}` takes {} parameter{}",
                                    t.params.len(),
                                    if t.params.len() == 1 { "" } else { "s" }
                                ),
                            )
                            .label("extra argument")
                            .secondary(FileId(0), t.name.span, "defined here");
                        self.diags.push(d);
                        ok = false;
                        continue;
                    }
                },
                Some(n) => match t.params.iter().position(|p| p.name.name == n.name) {
                    Some(k) => k,
                    None => {
                        let mut d = self
                            .err(
                                codes::BAD_ARGUMENT,
                                n.span,
                                format!("`{name}` has no parameter `{}`", n.name),
                            )
                            .label("unknown parameter")
                            .secondary(FileId(0), t.name.span, "defined here");
                        let params: Vec<&str> =
                            t.params.iter().map(|p| p.name.name.as_str()).collect();
                        d = match crate::diag::suggest::did_you_mean(
                            &n.name,
                            params.iter().copied(),
                        ) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.help(format!(
                                "its parameters: {}",
                                params
                                    .iter()
                                    .map(|p| format!("`{p}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        };
                        self.diags.push(d);
                        ok = false;
                        continue;
                    }
                },
            };
            if bound.get(slot).is_some_and(Option::is_some) {
                let d = self
                    .err(
                        codes::BAD_ARGUMENT,
                        a.span,
                        format!("`{}` is given twice", t.params[slot].name.name),
                    )
                    .label("given again");
                self.diags.push(d);
                ok = false;
                continue;
            }
            let p = &t.params[slot];
            if let Some(ty) = parse_ty(&p.ty.name)
                && !fits(&a.value, &ty)
            {
                let d = self
                    .err(
                        codes::ARGUMENT_TYPE,
                        a.value.span,
                        format!(
                            "`{}` expects `{}`, found {}",
                            p.name.name,
                            p.ty.name,
                            describe(&a.value)
                        ),
                    )
                    .label("wrong type")
                    .secondary(FileId(0), p.span, "parameter declared here");
                self.diags.push(d);
                ok = false;
            }
            if let Some(s) = bound.get_mut(slot) {
                *s = Some(a.value.clone());
            }
        }
        let mut lets = Vec::with_capacity(t.params.len());
        for (p, v) in t.params.iter().zip(bound) {
            match v.or_else(|| p.default.clone()) {
                Some(value) => lets.push(ast::Entry::Let(ast::Let {
                    name: p.name.clone(),
                    value,
                    span: p.span,
                })),
                None => {
                    let d = self
                        .err(
                            codes::MISSING_ARGUMENT,
                            call.span,
                            format!("`{name}` needs `{}`", p.name.name),
                        )
                        .label(format!("`{}` missing", p.name.name))
                        .secondary(FileId(0), p.span, "a parameter without a default")
                        .help(format!(
                            "add `{} = ...` to the arguments: a `{}`",
                            p.name.name, p.ty.name
                        ));
                    self.diags.push(d);
                    ok = false;
                }
            }
        }
        if !ok {
            return false;
        }
        let overrides = std::mem::take(&mut b.entries);
        let mut entries = lets;
        entries.extend(merge(t.body.entries.clone(), overrides));
        b.entries = entries;
        self.uses.push(Use {
            template: name.clone(),
            body: t.body.span,
            call: call.span,
        });
        true
    }
}

fn same_path(a: &[ast::Key], b: &[ast::Key]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.name == y.name)
}

/// The template's entries with the block's on top: a field replaces the field of the same
/// path, `KIND = none` removes the template's unnamed block of that kind, a block merges
/// into the template's block of the same kind and name.
fn merge(base: Vec<ast::Entry>, over: Vec<ast::Entry>) -> Vec<ast::Entry> {
    let mut out = base;
    for e in over {
        match e {
            ast::Entry::Field(f) => {
                if let ([k], ast::ExprKind::None) = (f.path.as_slice(), &f.value.kind)
                    && let Some(pos) = out.iter().position(|x| {
                        matches!(x, ast::Entry::Block(c) if c.kind.name == k.name && c.name.is_none())
                    })
                {
                    out.remove(pos);
                    continue;
                }
                match out
                    .iter()
                    .position(|x| matches!(x, ast::Entry::Field(g) if same_path(&g.path, &f.path)))
                {
                    Some(pos) => out[pos] = ast::Entry::Field(f),
                    None => out.push(ast::Entry::Field(f)),
                }
            }
            ast::Entry::Block(b) if b.template.is_none() => {
                let pos = out.iter().position(|x| {
                    matches!(x, ast::Entry::Block(c)
                        if c.kind.name == b.kind.name
                            && c.name.as_ref().map(|n| &n.name) == b.name.as_ref().map(|n| &n.name))
                });
                match pos {
                    Some(pos) => {
                        if let Some(ast::Entry::Block(c)) = out.get_mut(pos) {
                            let base = std::mem::take(&mut c.entries);
                            c.entries = merge(base, b.entries);
                        }
                    }
                    None => out.push(ast::Entry::Block(b)),
                }
            }
            other => out.push(other),
        }
    }
    out
}

// ---- tree walks ----------------------------------------------------------------------

fn shift(s: &mut Span, by: u32) {
    s.start = s.start.saturating_add(by);
    s.end = s.end.saturating_add(by);
}

/// Moves every span of a file by `by` bytes.
fn shift_file(f: &mut ast::File, by: u32) {
    shift(&mut f.span, by);
    for c in &mut f.comments {
        shift(&mut c.span, by);
    }
    for item in &mut f.items {
        match item {
            ast::Item::Block(b) => shift_block(b, by),
            ast::Item::Let(l) => shift_let(l, by),
            ast::Item::Profile(p) => {
                shift(&mut p.name.span, by);
                shift(&mut p.span, by);
                for e in &mut p.extends {
                    shift(&mut e.span, by);
                }
                for fl in &mut p.fields {
                    shift_field(fl, by);
                }
            }
            ast::Item::Import(i) => {
                shift_str(&mut i.path, by);
                if let Some(a) = &mut i.alias {
                    shift(&mut a.span, by);
                }
                shift(&mut i.span, by);
            }
            ast::Item::Template(t) => shift_template(t, by),
        }
    }
}

fn shift_template(t: &mut ast::Template, by: u32) {
    shift(&mut t.name.span, by);
    shift(&mut t.span, by);
    for p in &mut t.params {
        shift(&mut p.name.span, by);
        shift(&mut p.ty.span, by);
        shift(&mut p.span, by);
        if let Some(d) = &mut p.default {
            shift_expr(d, by);
        }
    }
    shift_block(&mut t.body, by);
}

fn shift_let(l: &mut ast::Let, by: u32) {
    shift(&mut l.name.span, by);
    shift(&mut l.span, by);
    shift_expr(&mut l.value, by);
}

fn shift_field(f: &mut ast::Field, by: u32) {
    for k in &mut f.path {
        shift(&mut k.span, by);
    }
    shift(&mut f.span, by);
    shift_expr(&mut f.value, by);
}

fn shift_block(b: &mut ast::Block, by: u32) {
    shift(&mut b.kind.span, by);
    if let Some(n) = &mut b.name {
        shift(&mut n.span, by);
    }
    if let Some(c) = &mut b.template {
        shift_call(c, by);
    }
    shift(&mut b.span, by);
    shift(&mut b.body_span, by);
    for e in &mut b.entries {
        match e {
            ast::Entry::Field(f) => shift_field(f, by),
            ast::Entry::Block(c) => shift_block(c, by),
            ast::Entry::Let(l) => shift_let(l, by),
        }
    }
}

fn shift_call(c: &mut ast::Call, by: u32) {
    shift(&mut c.func.span, by);
    shift(&mut c.span, by);
    for a in &mut c.args {
        if let Some(n) = &mut a.name {
            shift(&mut n.span, by);
        }
        shift(&mut a.span, by);
        shift_expr(&mut a.value, by);
    }
}

fn shift_str(s: &mut ast::StrLit, by: u32) {
    shift(&mut s.span, by);
    for p in &mut s.parts {
        match p {
            ast::StrPart::Text(_, sp) => shift(sp, by),
            ast::StrPart::Interp(e) => shift_expr(e, by),
        }
    }
}

fn shift_expr(e: &mut ast::Expr, by: u32) {
    shift(&mut e.span, by);
    match &mut e.kind {
        ast::ExprKind::Str(s) => shift_str(s, by),
        ast::ExprKind::Ref(p) => {
            for i in p {
                shift(&mut i.span, by);
            }
        }
        ast::ExprKind::List(items) => {
            for i in items {
                shift_expr(i, by);
            }
        }
        ast::ExprKind::Range(a, b) => {
            shift_expr(a, by);
            shift_expr(b, by);
        }
        ast::ExprKind::Call(c) => shift_call(c, by),
        ast::ExprKind::Number(_) | ast::ExprKind::Bool(_) | ast::ExprKind::None => {}
    }
}

/// Calls `f` on every expression of a file (outer expressions first).
fn for_each_expr(file: &mut ast::File, f: &mut impl FnMut(&mut ast::Expr)) {
    fn expr(e: &mut ast::Expr, f: &mut impl FnMut(&mut ast::Expr)) {
        f(e);
        match &mut e.kind {
            ast::ExprKind::Str(s) => {
                for p in &mut s.parts {
                    if let ast::StrPart::Interp(i) = p {
                        expr(i, f);
                    }
                }
            }
            ast::ExprKind::List(items) => items.iter_mut().for_each(|i| expr(i, f)),
            ast::ExprKind::Range(a, b) => {
                expr(a, f);
                expr(b, f);
            }
            ast::ExprKind::Call(c) => c.args.iter_mut().for_each(|a| expr(&mut a.value, f)),
            _ => {}
        }
    }
    fn block(b: &mut ast::Block, f: &mut impl FnMut(&mut ast::Expr)) {
        if let Some(c) = &mut b.template {
            c.args.iter_mut().for_each(|a| expr(&mut a.value, f));
        }
        for e in &mut b.entries {
            match e {
                ast::Entry::Field(fl) => expr(&mut fl.value, f),
                ast::Entry::Block(c) => block(c, f),
                ast::Entry::Let(l) => expr(&mut l.value, f),
            }
        }
    }
    for item in &mut file.items {
        match item {
            ast::Item::Block(b) => block(b, f),
            ast::Item::Let(l) => expr(&mut l.value, f),
            ast::Item::Profile(p) => p.fields.iter_mut().for_each(|fl| expr(&mut fl.value, f)),
            ast::Item::Template(t) => {
                for p in &mut t.params {
                    if let Some(d) = &mut p.default {
                        expr(d, f);
                    }
                }
                block(&mut t.body, f);
            }
            ast::Item::Import(_) => {}
        }
    }
}

/// What `file(..)` paths of the module at `module` need in front of them to be relative
/// to the project root: `lib/` for `ROOT/lib/shared.kiln`, nothing for a module in the
/// root, the absolute directory for a module outside it (`--allow-outside`).
fn file_prefix(module: &Path, root: &Path) -> Option<String> {
    let dir = normalize(module.parent()?);
    if dir == root {
        return None;
    }
    let shown = match dir.strip_prefix(root) {
        Ok(rel) => rel.to_path_buf(),
        Err(_) => dir,
    };
    let text = shown.to_string_lossy().replace('\\', "/");
    (!text.is_empty()).then(|| format!("{}/", text.trim_end_matches('/')))
}

/// Puts `prefix` in front of the path of every `file(..)` call of a module: a plain
/// string gets it in its text (an absolute path is left alone), an interpolated one as a
/// first piece, and a name (`file(conf)`) becomes `"PREFIX${conf}"`.
fn rebase_files(file: &mut ast::File, prefix: &str) {
    for_each_expr(file, &mut |e| {
        let ast::ExprKind::Call(c) = &mut e.kind else {
            return;
        };
        if c.func.name != "file" {
            return;
        }
        let Some(arg) = c
            .args
            .iter_mut()
            .find(|a| a.name.as_ref().is_none_or(|n| n.name == "path"))
        else {
            return;
        };
        let v = &mut arg.value;
        match &mut v.kind {
            ast::ExprKind::Str(s) => match s.parts.as_mut_slice() {
                [ast::StrPart::Text(t, _)] => {
                    if !t.starts_with('/') {
                        t.insert_str(0, prefix);
                    }
                }
                parts => {
                    let at = match parts.first() {
                        Some(ast::StrPart::Text(_, sp)) => sp.start,
                        Some(ast::StrPart::Interp(i)) => i.span.start,
                        None => s.span.start,
                    };
                    s.parts.insert(
                        0,
                        ast::StrPart::Text(prefix.to_string(), Span::new(at as usize, at as usize)),
                    );
                }
            },
            ast::ExprKind::Ref(_) => {
                let inner = v.clone();
                v.kind = ast::ExprKind::Str(ast::StrLit {
                    parts: vec![
                        ast::StrPart::Text(
                            prefix.to_string(),
                            Span::new(v.span.start as usize, v.span.start as usize),
                        ),
                        ast::StrPart::Interp(inner),
                    ],
                    span: v.span,
                });
            }
            _ => {}
        }
    });
}

/// How a value is described in "found ..." messages.
fn describe(e: &ast::Expr) -> String {
    match &e.kind {
        ast::ExprKind::Str(_) => "a string".into(),
        ast::ExprKind::Number(n) => format!("`{}{}`", n.digits, n.unit),
        ast::ExprKind::Bool(b) => format!("`{b}`"),
        ast::ExprKind::None => "`none`".into(),
        ast::ExprKind::Ref(_) => "a name".into(),
        ast::ExprKind::List(_) => "a list".into(),
        ast::ExprKind::Range(..) => "a range".into(),
        ast::ExprKind::Call(c) => format!("a call to `{}`", c.func.name),
    }
}

/// Every `.kiln` file under `dir`, skipping hidden directories, `target/` and
/// `node_modules/`, sorted (a workspace compiles the same on every machine).
pub fn kiln_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        let ft = e.file_type()?;
        if ft.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                kiln_files(&path, out)?;
            }
        } else if name.ends_with(".kiln") {
            out.push(path);
        }
    }
    Ok(())
}
