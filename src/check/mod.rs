//! Check: AST → typed [`model`]. The block schemas ([`schema`]) are data that the
//! checker, the docs ([`docs`]) and the language server all read.
//!
//! The checker reads the one syntax tree, never re-parsing and never cloning it:
//!
//! 1. the top level: `let` bindings, `import`/`template` (not supported yet), `app`
//!    names, and profiles ([`profiles`]): names, `extends`, the chain of selected
//!    profiles (`Options::profile` and what it extends), each profile field filed under
//!    the app its path starts with;
//! 2. then each app alone: the generic schema-driven walk ([`types`]) checks every field
//!    and block against its schema and every value against its type, into a tree of
//!    checked values; the profile fields of this app are checked against that tree and
//!    the selected ones applied; the model is built ([`build`]: references, cycles,
//!    name lengths, ports, volumes, and the warnings about relaxations and risks); the
//!    tree is dropped. Memory is that of one app per thread, time is linear in the
//!    apps. The apps are checked in parallel (rayon), each by a checker of its own
//!    that shares only the top-level scope; their models and diagnostics are merged in
//!    source order, the diagnostics through the one deduplicating `emit`, so the result
//!    does not depend on the number of threads. An interpolated `let` is evaluated once
//!    per app (`Checker::let_cache`).
//!
//! Every step reports everything it finds; an error never hides later ones.

pub mod docs;
pub mod model;
pub mod schema;
pub mod values;

mod build;
mod profiles;
pub(crate) mod secrets;
mod types;
mod yaml;

use crate::diag::{Diagnostic, Diagnostics, codes};
use crate::source::{FileId, Span};
use crate::syntax::ast;
use crate::{Options, Source};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Checks a parsed file. Returns the model when there are no errors, and every
/// diagnostic found (the checker never stops at the first).
pub fn check(
    source: &Source,
    file: &ast::File,
    options: &Options,
) -> (Option<model::Model>, Diagnostics) {
    let mut cx = Checker::new(source);
    // Plain env values that look like credentials (K0912) are read from the tree, item
    // by item in parallel, while the checker runs (which checks its apps in parallel).
    let (model, secrets) = rayon::join(
        || cx.run(file, options),
        || secrets::plain_secrets_par(source.entry, file),
    );
    let mut diags = cx.finish();
    diags.extend(secrets);
    redact_everywhere(source, &mut diags);
    diags.sort();
    if diags.has_errors() {
        (None, diags)
    } else {
        (Some(model), diags)
    }
}

/// A value hidden by K0912 stays hidden in the snippet of every other diagnostic that
/// shows its line (an unused `let` holding a password, say). A snippet shows only lines
/// from the first to the last line of its labels, so each diagnostic gets the hidden
/// ranges that touch those lines: a hidden range elsewhere could not change what it
/// shows, and with thousands of hidden values every diagnostic holding all of them
/// would be quadratic in time and memory.
fn redact_everywhere(source: &Source, diags: &mut Diagnostics) {
    let mut hidden: Vec<crate::source::Loc> = diags
        .0
        .iter()
        .flat_map(|d| d.redact.iter().copied())
        .collect();
    if hidden.is_empty() {
        return;
    }
    hidden.sort_by_key(|h| (h.file, h.span.start, h.span.end));
    hidden.dedup();
    // The longest hidden range bounds how far before a snippet one may start.
    let longest = hidden
        .iter()
        .map(|h| h.span.end.saturating_sub(h.span.start))
        .max()
        .unwrap_or(0);
    for d in &mut diags.0 {
        let labels = std::iter::once(&d.primary).chain(d.secondary.iter());
        let mut shown: Vec<(FileId, u32, u32)> = Vec::new();
        for l in labels {
            let text = source.map.get(l.loc.file).text.as_bytes();
            let lo = line_start(text, l.loc.span.start);
            let hi = line_end(text, l.loc.span.end);
            match shown.iter_mut().find(|(f, _, _)| *f == l.loc.file) {
                Some((_, a, b)) => {
                    *a = (*a).min(lo);
                    *b = (*b).max(hi);
                }
                None => shown.push((l.loc.file, lo, hi)),
            }
        }
        let own = d.redact.len();
        for (file, lo, hi) in shown {
            let from = hidden
                .partition_point(|h| (h.file, h.span.start) < (file, lo.saturating_sub(longest)));
            for h in &hidden[from..] {
                if h.file != file || h.span.start > hi {
                    break;
                }
                if h.span.end >= lo && !d.redact[..own].contains(h) {
                    d.redact.push(*h);
                }
            }
        }
    }
}

/// The offset of the start of the line holding byte `at`.
fn line_start(text: &[u8], at: u32) -> u32 {
    let at = (at as usize).min(text.len());
    text[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i as u32 + 1)
}

/// The offset of the end of the line holding byte `at` (its line break, or the end).
fn line_end(text: &[u8], at: u32) -> u32 {
    let at = (at as usize).min(text.len());
    text[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| at + i) as u32
}

/// A map from names to small values for the sets of names a block holds: the usual
/// handful live inline (no allocation, no hashing), past [`SmallMap::INLINE`] entries a
/// hash map takes over, so a block with thousands of keys stays linear.
pub(crate) struct SmallMap<'a, V> {
    inline: [Option<(&'a str, V)>; 8],
    len: usize,
    big: Option<HashMap<&'a str, V>>,
}

impl<V> Default for SmallMap<'_, V> {
    fn default() -> Self {
        SmallMap {
            inline: [const { None }; 8],
            len: 0,
            big: None,
        }
    }
}

impl<'a, V: Copy> SmallMap<'a, V> {
    const INLINE: usize = 8;

    /// The value of a name.
    pub(crate) fn get(&self, k: &str) -> Option<V> {
        match &self.big {
            Some(m) => m.get(k).copied(),
            None => self.inline[..self.len]
                .iter()
                .flatten()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| *v),
        }
    }

    /// Adds a name (the caller checked it is new).
    pub(crate) fn insert(&mut self, k: &'a str, v: V) {
        if let Some(m) = &mut self.big {
            m.insert(k, v);
        } else if self.len < Self::INLINE {
            self.inline[self.len] = Some((k, v));
            self.len += 1;
        } else {
            let mut m: HashMap<&'a str, V> = self.inline.iter().flatten().copied().collect();
            m.insert(k, v);
            self.big = Some(m);
        }
    }

    /// Every name and its value (in insertion order while inline, in hash order after).
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = (&'a str, V)> + '_> {
        match &self.big {
            Some(m) => Box::new(m.iter().map(|(k, v)| (*k, *v))),
            None => Box::new(self.inline[..self.len].iter().flatten().copied()),
        }
    }

    /// Every name.
    pub(crate) fn keys(&self) -> Box<dyn Iterator<Item = &'a str> + '_> {
        match &self.big {
            Some(m) => Box::new(m.keys().copied()),
            None => Box::new(self.inline[..self.len].iter().flatten().map(|(n, _)| *n)),
        }
    }
}

/// A fast hash for the checker's own integer keys (byte offsets of `let` names): the
/// multiply-rotate of rustc's FxHash. Maps keyed by names the user writes keep the
/// standard, collision-resistant hasher.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A hash set of byte offsets.
type OffsetSet = HashSet<u32, BuildHasherDefault<FxHasher>>;

/// How many apps one parallel task checks at least: one app is a few microseconds of
/// work, so tasks of a few apps keep rayon's scheduling cost small.
const APPS_PER_TASK: usize = 4;

/// The text a `let` interpolates to, once evaluated (see `Checker::let_cache`).
#[derive(Clone)]
struct CachedLet {
    /// The text, or `None` when the evaluation failed (its diagnostics already emitted).
    text: Option<Arc<str>>,
    /// How many `let`s deep the evaluation went, itself included: a use deeper in an
    /// expansion than `MAX_LET_DEPTH - height` evaluates again, to report the limit as
    /// the first evaluation would have.
    height: usize,
}

/// Names visible in one block: its `let` bindings.
#[derive(Default)]
struct Scope<'a> {
    lets: SmallMap<'a, &'a ast::Let>,
}

/// What `${app}` and `${namespace}` mean while an app is checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct AppCtx {
    pub(crate) name: String,
    pub(crate) namespace: String,
}

/// The state of one check run.
pub(crate) struct Checker<'a> {
    source: &'a Source,
    file: FileId,
    diags: Diagnostics,
    /// Dedup of identical diagnostics (a bad `let` used twice is reported once).
    seen: HashSet<(&'static str, Span, String)>,
    /// The scopes visible, outermost first. While apps are checked (each by its own
    /// checker, in parallel) the first is an empty stand-in for [`Checker::top`].
    scopes: Vec<Scope<'a>>,
    /// The top-level scope, shared by the checkers of the apps.
    top: Option<Arc<Scope<'a>>>,
    /// Every `let`, for the unused-binding warning.
    all_lets: Vec<&'a ast::Let>,
    /// `let`s used, by the start of their name.
    used_lets: OffsetSet,
    /// `let`s being expanded (cycle detection): the start of their name, and the name.
    expanding: Vec<(u32, &'a str)>,
    /// The deepest `expanding` has been since the evaluation of the innermost cached
    /// `let` began (for [`CachedLet::height`]).
    deepest: usize,
    /// Cycles (and the depth limit) reported so far: an evaluation that met one is not
    /// cached, since the cycle reported depends on where the expansion entered it.
    cycles: usize,
    /// What each interpolated `let` evaluated to (by the start of its name), so a `let`
    /// used many times, or interpolating another twice, is evaluated once. Valid for one
    /// [`AppCtx`] (`${app}` and `${namespace}` change the text): [`Checker::set_app`]
    /// empties it.
    let_cache: HashMap<u32, CachedLet, BuildHasherDefault<FxHasher>>,
    /// Errors reported so far (to tell which blocks had errors).
    errors: usize,
    app: AppCtx,
    /// `--allow-outside`: `file(..)` may read outside the project root.
    allow_outside: bool,
    /// Set once an interpolated string went past [`MAX_STRING_BYTES`]: every expansion
    /// still running stops there (bindings that interpolate each other twice would
    /// otherwise double the work at each level).
    string_too_long: bool,
}

/// The longest string interpolation may build (1 MiB, what a ConfigMap holds).
pub(crate) const MAX_STRING_BYTES: usize = 1024 * 1024;

/// The largest file `file(..)` reads: what one ConfigMap can hold (1 MiB).
const MAX_FILE_BYTES: usize = 1024 * 1024;

/// How deep `let` expansion may go before it is called a cycle anyway.
const MAX_LET_DEPTH: usize = 64;

/// What the checkers of the apps share (read only).
struct AppShared<'s, 'a> {
    source: &'a Source,
    allow_outside: bool,
    top: &'s Arc<Scope<'a>>,
    /// The selected profiles, bases first.
    chain: &'s [&'a ast::Profile],
    /// Profile fields by the app they start with.
    by_app: &'s HashMap<&'a str, Vec<profiles::ProfileField<'a>>>,
    /// Profile index → place in the chain.
    chain_pos: &'s HashMap<usize, usize>,
}

/// What checking one app found besides its model, merged back in source order. The
/// model travels in a vector of its own (see [`Checker::run`]).
struct AppOutcome<'a> {
    /// In the order emitted (deduplicated within the app only).
    diags: Vec<Diagnostic>,
    all_lets: Vec<&'a ast::Let>,
    used_lets: OffsetSet,
}

impl<'a> AppShared<'_, 'a> {
    /// Checks one app with a checker of its own.
    fn check_app(&self, b: &'a ast::Block) -> (Option<model::App>, AppOutcome<'a>) {
        let mut cx = Checker::new(self.source);
        cx.allow_outside = self.allow_outside;
        cx.top = Some(Arc::clone(self.top));
        cx.scopes.push(Scope::default());
        let namespace = cx.namespace_of(b, self.chain);
        cx.set_app(AppCtx {
            name: b.name.as_ref().map(|n| n.name.clone()).unwrap_or_default(),
            namespace,
        });
        let mut tree = cx.walk_block(b, &schema::APP, "file");
        if let Some(fields) = b
            .name
            .as_ref()
            .and_then(|n| self.by_app.get(n.name.as_str()))
        {
            cx.apply_profiles(&mut tree, fields, self.chain_pos);
        }
        cx.set_app(AppCtx::default());
        let app = cx.build_app(&tree);
        drop(tree);
        let outcome = AppOutcome {
            diags: cx.diags.0,
            all_lets: cx.all_lets,
            used_lets: cx.used_lets,
        };
        (app, outcome)
    }
}

impl<'a> Checker<'a> {
    fn new(source: &'a Source) -> Self {
        Checker {
            source,
            file: source.entry,
            diags: Diagnostics::default(),
            seen: HashSet::new(),
            scopes: Vec::new(),
            top: None,
            all_lets: Vec::new(),
            used_lets: OffsetSet::default(),
            expanding: Vec::new(),
            deepest: 0,
            cycles: 0,
            let_cache: HashMap::default(),
            errors: 0,
            app: AppCtx::default(),
            allow_outside: false,
            string_too_long: false,
        }
    }

    fn finish(mut self) -> Diagnostics {
        for l in std::mem::take(&mut self.all_lets) {
            if !self.used_lets.contains(&l.name.span.start) && !l.name.name.starts_with('_') {
                self.emit(
                    Diagnostic::new(
                        codes::UNUSED_LET,
                        self.file,
                        l.name.span,
                        format!("`{}` is never used", l.name.name),
                    )
                    .label("unused binding")
                    .help(format!(
                        "remove it, or name it `_{}` to keep it on purpose",
                        l.name.name
                    )),
                );
            }
        }
        self.diags
    }

    /// Records a diagnostic (once).
    pub(crate) fn emit(&mut self, d: Diagnostic) {
        let key = (d.code.as_str(), d.primary.loc.span, d.message.clone());
        if self.seen.insert(key) {
            if d.is_error() {
                self.errors += 1;
            }
            self.diags.push(d);
        }
    }

    /// "Did you mean": only candidates of a plausible length reach the edit distance, so
    /// thousands of candidates stay cheap.
    pub(crate) fn suggest<'c>(
        &self,
        name: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Option<&'c str> {
        let len = name.len();
        crate::diag::suggest::did_you_mean(
            name,
            candidates
                .into_iter()
                .filter(move |c| c.len().abs_diff(len) <= 2),
        )
    }

    /// The closest `let` name (or built-in name) to `name`.
    fn suggest_let(&self, name: &str, depth: usize) -> Option<&'a str> {
        let depth = depth.min(self.scopes.len());
        let lets = (0..depth).flat_map(|i| self.scope(i).lets.keys());
        let builtins = ["app", "namespace"].into_iter();
        self.suggest(name, lets.chain(builtins))
    }

    /// The source text of a span of the entry file.
    pub(crate) fn source_slice(&self, span: Span) -> &'a str {
        self.source.map.get(self.file).slice(span)
    }

    fn push_scope(&mut self, lets: impl Iterator<Item = &'a ast::Let>) {
        let mut scope = Scope::default();
        for l in lets {
            self.all_lets.push(l);
            if let Some(first) = scope.lets.get(&l.name.name) {
                let first = first.name.span;
                self.emit(
                    Diagnostic::new(
                        codes::DUPLICATE_NAME,
                        self.file,
                        l.name.span,
                        format!("`{}` is already bound in this scope", l.name.name),
                    )
                    .label("bound again")
                    .secondary(self.file, first, "first bound here")
                    .help("rename one of the bindings"),
                );
                // The duplicate is not checked further; don't also call it unused.
                self.used_lets.insert(l.name.span.start);
                continue;
            }
            scope.lets.insert(l.name.name.as_str(), l);
        }
        self.scopes.push(scope);
    }

    fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// The scope at index `i` of [`Checker::scopes`] (the shared top-level one for 0
    /// while apps are checked).
    fn scope(&self, i: usize) -> &Scope<'a> {
        match (i, &self.top) {
            (0, Some(top)) => top,
            _ => &self.scopes[i],
        }
    }

    /// The innermost `let` called `name` among the first `depth` scopes, with the number
    /// of scopes visible where it is defined.
    fn lookup_let(&mut self, name: &str, depth: usize) -> Option<(usize, &'a ast::Let)> {
        let depth = depth.min(self.scopes.len());
        for i in (0..depth).rev() {
            if let Some(l) = self.scope(i).lets.get(name) {
                self.used_lets.insert(l.name.span.start);
                return Some((i + 1, l));
            }
        }
        None
    }

    /// Starts expanding a `let`; false (and a diagnostic) if it is already being expanded.
    fn enter_let(&mut self, l: &'a ast::Let) -> bool {
        let id = l.name.span.start;
        let pos = self.expanding.iter().position(|(x, _)| *x == id);
        if pos.is_some() || self.expanding.len() >= MAX_LET_DEPTH {
            let mut chain: Vec<&str> = self.expanding[pos.unwrap_or(0)..]
                .iter()
                .map(|(_, n)| *n)
                .collect();
            chain.push(l.name.name.as_str());
            let message = if chain.len() <= 2 {
                format!("`{}` refers to itself", l.name.name)
            } else {
                format!(
                    "`{}` refers to itself through {}",
                    l.name.name,
                    values::quote_list(&chain[1..chain.len() - 1])
                )
            };
            self.cycles += 1;
            self.emit(
                Diagnostic::new(codes::LET_CYCLE, self.file, l.value.span, message)
                    .label("uses its own value")
                    .secondary(self.file, l.name.span, "bound here")
                    .note(format!("cycle: {}", chain.join(" → ")))
                    .help("replace one of the names in the cycle with a literal value"),
            );
            return false;
        }
        self.expanding.push((id, l.name.name.as_str()));
        self.deepest = self.deepest.max(self.expanding.len());
        true
    }

    fn leave_let(&mut self) {
        self.expanding.pop();
    }

    /// Sets what `${app}` and `${namespace}` mean; cached `let` texts made with other
    /// meanings are forgotten.
    pub(crate) fn set_app(&mut self, app: AppCtx) {
        if app.name != self.app.name || app.namespace != self.app.namespace {
            self.let_cache.clear();
        }
        self.app = app;
    }

    /// Built-in interpolation names.
    fn builtin(&self, name: &str) -> Option<&str> {
        match name {
            "app" if !self.app.name.is_empty() => Some(&self.app.name),
            "namespace" if !self.app.namespace.is_empty() => Some(&self.app.namespace),
            _ => None,
        }
    }

    /// Reads a file relative to the directory of the entry file (or the working
    /// directory for text without a path). The file must stay inside that directory (the
    /// project root, as for `import`; symbolic links are followed before deciding)
    /// unless `--allow-outside`, must be a regular file (not a device or a pipe, which
    /// could block or never end), and at most [`MAX_FILE_BYTES`] long: an untrusted
    /// `.kiln` in a pull request must not copy `/proc/self/environ` or `~/.ssh` into the
    /// bundle (docs/security.md).
    fn read_file(&self, rel: &str) -> Result<String, String> {
        let entry = self.source.map.get(self.file);
        let root = crate::modules::root_of(entry);
        let path = root.join(rel);
        let canonical = match std::fs::canonicalize(&path) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err("no such file".into());
            }
            Err(e) => return Err(e.to_string().to_lowercase()),
        };
        if !self.allow_outside {
            let canonical_root = std::fs::canonicalize(&root).unwrap_or(root);
            if !canonical.starts_with(&canonical_root) {
                return Err(
                    "it is outside the project (the directory of the `.kiln` file); pass \
                     `--allow-outside` if reading it is intended"
                        .into(),
                );
            }
        }
        if !std::fs::metadata(&canonical).is_ok_and(|m| m.is_file()) {
            return Err("it is not a regular file".into());
        }
        match crate::fsio::read_to_string_limited(&canonical, MAX_FILE_BYTES) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Err(format!(
                "it is larger than {} KiB, the most a ConfigMap can hold",
                MAX_FILE_BYTES / 1024
            )),
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                Err("it is not UTF-8 text".to_string())
            }
            Err(e) => Err(e.to_string().to_lowercase()),
        }
    }

    /// The whole run.
    fn run(&mut self, file: &'a ast::File, options: &Options) -> model::Model {
        self.allow_outside = options.allow_outside;
        let file_start = Span::new(0, 0);
        self.push_scope(file.items.iter().filter_map(|i| match i {
            ast::Item::Let(l) => Some(l),
            _ => None,
        }));
        let mut profiles: Vec<&'a ast::Profile> = Vec::new();
        let mut app_blocks: Vec<&'a ast::Block> = Vec::new();
        for item in &file.items {
            match item {
                ast::Item::Let(_) => {}
                ast::Item::Profile(p) => profiles.push(p),
                ast::Item::Import(i) => self.emit(
                    Diagnostic::new(
                        codes::NOT_SUPPORTED,
                        self.file,
                        i.span,
                        "`import` is not supported yet",
                    )
                    .label("import")
                    .help("write the blocks out in this file for now; `let` bindings share values"),
                ),
                ast::Item::Template(t) => self.emit(
                    Diagnostic::new(
                        codes::NOT_SUPPORTED,
                        self.file,
                        t.name.span,
                        format!(
                            "templates are not supported yet: `{}` is ignored",
                            t.name.name
                        ),
                    )
                    .label("template")
                    .help("write the blocks out in full for now; `let` bindings share values"),
                ),
                ast::Item::Block(b) => {
                    if b.kind.name == "app" {
                        app_blocks.push(b);
                    } else {
                        self.top_level_block(b);
                    }
                }
            }
        }

        let chain = self.profile_chain(&profiles, options.profile.as_deref(), file_start);

        // App names first: profile paths start with them.
        let mut app_names: HashMap<&'a str, Span> = HashMap::with_capacity(app_blocks.len());
        let mut unique: Vec<&'a ast::Block> = Vec::with_capacity(app_blocks.len());
        for b in &app_blocks {
            if let Some(n) = &b.name {
                if let Some(&first) = app_names.get(n.name.as_str()) {
                    self.emit(
                        Diagnostic::new(
                            codes::DUPLICATE_NAME,
                            self.file,
                            n.span,
                            format!("app `{}` is declared twice", n.name),
                        )
                        .label("declared again")
                        .secondary(self.file, first, "first declared here")
                        .help("rename one of the apps"),
                    );
                    continue;
                }
                app_names.insert(n.name.as_str(), n.span);
            }
            unique.push(b);
        }
        let by_app = self.group_profile_fields(&profiles, &app_names);
        // Profile index → place in the chain of selected profiles.
        let chain_pos: HashMap<usize, usize> = chain
            .iter()
            .enumerate()
            .filter_map(|(pos, c)| {
                profiles
                    .iter()
                    .position(|p| std::ptr::eq(*p, *c))
                    .map(|i| (i, pos))
            })
            .collect();

        // Each app alone, in parallel: checked against the schema (with its own `${app}`
        // and `${namespace}`), its profile overrides checked and applied, its model
        // built, by a checker of its own; then its checked tree is dropped, so memory
        // stays that of one app per thread. The results are merged in source order, each
        // diagnostic through `emit` as if one checker had checked the apps in turn, so
        // the model and the diagnostics do not depend on the number of threads.
        let top = Arc::new(std::mem::take(&mut self.scopes[0]));
        let shared = AppShared {
            source: self.source,
            allow_outside: self.allow_outside,
            top: &top,
            chain: &chain,
            by_app: &by_app,
            chain_pos: &chain_pos,
        };
        // The apps are collected apart from the rest of each outcome, so that the model's
        // vector is that same allocation, filtered in place: one app is about 800 bytes,
        // and collecting whole outcomes, then moving their apps into a second vector,
        // held two copies of every app (8 MB each at 10,000 apps) until the merge ended.
        let (apps, outcomes): (Vec<Option<model::App>>, Vec<AppOutcome<'a>>) = unique
            .par_iter()
            .with_min_len(APPS_PER_TASK)
            .map(|b| shared.check_app(b))
            .unzip();
        for o in outcomes {
            self.all_lets.extend(o.all_lets);
            self.used_lets.extend(o.used_lets);
            for d in o.diags {
                self.emit(d);
            }
        }
        // `Option<App>` and `App` have one size (a niche), so this `collect` reuses the
        // vector (std's in-place iteration) instead of allocating another. `filter_map`,
        // not `flatten`: std iterates `Flatten` in place no more (checked on 1.95).
        #[allow(clippy::filter_map_identity)]
        let apps: Vec<model::App> = apps.into_iter().filter_map(|a| a).collect();
        model::Model { apps }
    }

    fn top_level_block(&mut self, b: &'a ast::Block) {
        let kind = b.kind.name.as_str();
        let mut d = Diagnostic::new(
            codes::UNKNOWN_BLOCK,
            self.file,
            b.kind.span,
            format!("`{kind}` blocks are not allowed at the top level"),
        )
        .label("not an `app`");
        d = if self.suggest(kind, ["app"]).is_some() {
            d.help("did you mean `app`?")
        } else if schema::block(kind).is_some() {
            d.help(format!("put the `{kind}` block inside an `app {{ }}`"))
        } else {
            d.help("the top level holds `app` blocks, `let` bindings and `profile`s")
        };
        self.emit(d);
    }

    /// The namespace of an app before its body is checked (for `${namespace}`): the
    /// last override of the selected profiles, else the field, else the app name.
    fn namespace_of(&mut self, b: &'a ast::Block, chain: &[&'a ast::Profile]) -> String {
        let app = b.name.as_ref().map(|n| n.name.as_str()).unwrap_or("");
        let from_profile = chain
            .iter()
            .rev()
            .flat_map(|p| p.fields.iter().rev())
            .find(|f| matches!(f.path.as_slice(), [a, k] if a.name == app && k.name == "namespace"))
            .map(|f| &f.value);
        let from_block = b.entries.iter().find_map(|e| match e {
            ast::Entry::Field(f) if matches!(f.path.as_slice(), [k] if k.name == "namespace") => {
                Some(&f.value)
            }
            _ => None,
        });
        let Some(e) = from_profile.or(from_block) else {
            return app.to_string();
        };
        // `${app}` may be used in it; `${namespace}` of course not.
        self.set_app(AppCtx {
            name: app.to_string(),
            namespace: String::new(),
        });
        let text = match &e.kind {
            ast::ExprKind::Str(l) => self.interpolate(l, 1),
            ast::ExprKind::Ref(p) => match p.as_slice() {
                [id] => match self.lookup_let(&id.name, 1) {
                    Some((d, l)) => match &l.value.kind {
                        ast::ExprKind::Str(lit) => self.interpolate(lit, d),
                        _ => None,
                    },
                    None => None,
                },
                _ => None,
            },
            _ => None,
        };
        text.map(Cow::into_owned).unwrap_or_else(|| app.to_string())
    }
}

#[cfg(test)]
mod tests;
