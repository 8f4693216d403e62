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
//!    tree is dropped. Memory is that of one app, time is linear in the apps.
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
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Checks a parsed file. Returns the model when there are no errors, and every
/// diagnostic found (the checker never stops at the first).
pub fn check(
    source: &Source,
    file: &ast::File,
    options: &Options,
) -> (Option<model::Model>, Diagnostics) {
    let mut cx = Checker::new(source);
    let model = cx.run(file, options);
    let mut diags = cx.finish();
    // Plain env values that look like credentials (K0912): read from the tree.
    diags.extend(secrets::plain_secrets(source.entry, file));
    // A value hidden by K0912 stays hidden in the snippet of every other diagnostic
    // that shows its line (an unused `let` holding a password, say).
    let hidden: Vec<crate::source::Loc> = diags
        .0
        .iter()
        .flat_map(|d| d.redact.iter().copied())
        .collect();
    if !hidden.is_empty() {
        for d in &mut diags.0 {
            for h in &hidden {
                if !d.redact.contains(h) {
                    d.redact.push(*h);
                }
            }
        }
    }
    diags.sort();
    if diags.has_errors() {
        (None, diags)
    } else {
        (Some(model), diags)
    }
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

    /// Every name.
    pub(crate) fn keys(&self) -> Box<dyn Iterator<Item = &'a str> + '_> {
        match &self.big {
            Some(m) => Box::new(m.keys().copied()),
            None => Box::new(self.inline[..self.len].iter().flatten().map(|(n, _)| *n)),
        }
    }
}

/// Names visible in one block: its `let` bindings.
#[derive(Default)]
struct Scope<'a> {
    lets: SmallMap<'a, &'a ast::Let>,
}

/// What `${app}` and `${namespace}` mean while an app is checked.
#[derive(Debug, Clone, Default)]
struct AppCtx {
    name: String,
    namespace: String,
}

/// The state of one check run.
pub(crate) struct Checker<'a> {
    source: &'a Source,
    file: FileId,
    diags: Diagnostics,
    /// Dedup of identical diagnostics (a bad `let` used twice is reported once).
    seen: HashSet<(&'static str, Span, String)>,
    scopes: Vec<Scope<'a>>,
    /// Every `let`, for the unused-binding warning.
    all_lets: Vec<&'a ast::Let>,
    /// `let`s used, by the start of their name.
    used_lets: HashSet<u32>,
    /// `let`s being expanded (cycle detection): the start of their name, and the name.
    expanding: Vec<(u32, &'a str)>,
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

impl<'a> Checker<'a> {
    fn new(source: &'a Source) -> Self {
        Checker {
            source,
            file: source.entry,
            diags: Diagnostics::default(),
            seen: HashSet::new(),
            scopes: Vec::new(),
            all_lets: Vec::new(),
            used_lets: HashSet::new(),
            expanding: Vec::new(),
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
        let scopes = &self.scopes[..depth.min(self.scopes.len())];
        let lets = scopes.iter().flat_map(|s| s.lets.keys());
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

    /// The innermost `let` called `name` among the first `depth` scopes, with the number
    /// of scopes visible where it is defined.
    fn lookup_let(&mut self, name: &str, depth: usize) -> Option<(usize, &'a ast::Let)> {
        let depth = depth.min(self.scopes.len());
        for i in (0..depth).rev() {
            if let Some(l) = self.scopes[i].lets.get(name) {
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
        true
    }

    fn leave_let(&mut self) {
        self.expanding.pop();
    }

    /// Built-in interpolation names.
    fn builtin(&self, name: &str) -> Option<String> {
        match name {
            "app" if !self.app.name.is_empty() => Some(self.app.name.clone()),
            "namespace" if !self.app.namespace.is_empty() => Some(self.app.namespace.clone()),
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

        // Each app alone: checked against the schema (with its own `${app}` and
        // `${namespace}`), its profile overrides checked and applied, its model built;
        // then its checked tree is dropped, so memory stays that of one app.
        let mut model = model::Model {
            apps: Vec::with_capacity(unique.len()),
        };
        for b in unique {
            let namespace = self.namespace_of(b, &chain);
            self.app = AppCtx {
                name: b.name.as_ref().map(|n| n.name.clone()).unwrap_or_default(),
                namespace,
            };
            let mut tree = self.walk_block(b, &schema::APP, "file");
            if let Some(fields) = b.name.as_ref().and_then(|n| by_app.get(n.name.as_str())) {
                self.apply_profiles(&mut tree, fields, &chain_pos);
            }
            self.app = AppCtx::default();
            if let Some(a) = self.build_app(&tree) {
                model.apps.push(a);
            }
        }
        model
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
        self.app = AppCtx {
            name: app.to_string(),
            namespace: String::new(),
        };
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
