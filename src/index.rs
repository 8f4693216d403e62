//! The symbol index of one file: every named thing (apps, workloads, jobs, crons, raw
//! objects, volumes, sidecar and init containers, `let` bindings, profiles, templates)
//! with the span of its definition, and every place that refers to one.
//!
//! Built from the syntax tree and the block schemas, with the checker's resolution rules:
//! a bare word is a `let` when one of that name is in scope (lexically, innermost first),
//! else a reference when the field's type says so ([`schema::Ty::Ref`]); names of an
//! app's named blocks are unique across the app, volumes belong to their workload; a
//! profile path starts with an app name, then a block name. Whatever does not resolve is
//! simply absent (the checker reports it); the index never fails and never panics, so an
//! editor can use it on a file with errors.
//!
//! The language server answers go to definition, find references, rename and the outline
//! from here; the CLI may use it too. Imports and templates are later: templates are
//! indexed (a block's `= tmpl(..)` refers to one) so that the modules issue adds
//! resolution, not shape.

use crate::check::schema::{self, BlockSchema, RefKind, Ty};
use crate::source::Span;
use crate::syntax::ast;

/// Identifies a symbol of an [`Index`] (its position in [`Index::symbols`]).
pub type SymbolId = usize;

/// What kind of thing a symbol is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    /// `app NAME { }`.
    App,
    /// `service NAME { }`.
    Service,
    /// `worker NAME { }`.
    Worker,
    /// `stateful NAME { }`.
    Stateful,
    /// `daemon NAME { }`.
    Daemon,
    /// `job NAME { }`.
    Job,
    /// `cron NAME { }`.
    Cron,
    /// `raw NAME { }`.
    Raw,
    /// `volume NAME { }` inside a workload, job or cron.
    Volume,
    /// `sidecar NAME { }`.
    Sidecar,
    /// `init NAME { }`.
    Init,
    /// `let NAME = value`.
    Let,
    /// `profile NAME { }`.
    Profile,
    /// `template NAME(..) KIND { }`.
    Template,
}

impl SymbolKind {
    /// The keyword that declares it (`service`, `let`, ...).
    pub fn keyword(self) -> &'static str {
        match self {
            SymbolKind::App => "app",
            SymbolKind::Service => "service",
            SymbolKind::Worker => "worker",
            SymbolKind::Stateful => "stateful",
            SymbolKind::Daemon => "daemon",
            SymbolKind::Job => "job",
            SymbolKind::Cron => "cron",
            SymbolKind::Raw => "raw",
            SymbolKind::Volume => "volume",
            SymbolKind::Sidecar => "sidecar",
            SymbolKind::Init => "init",
            SymbolKind::Let => "let",
            SymbolKind::Profile => "profile",
            SymbolKind::Template => "template",
        }
    }

    /// The kind of a named block, by the keyword written in source.
    pub fn of_block(kind: &str) -> Option<SymbolKind> {
        Some(match kind {
            "app" => SymbolKind::App,
            "service" => SymbolKind::Service,
            "worker" => SymbolKind::Worker,
            "stateful" => SymbolKind::Stateful,
            "daemon" => SymbolKind::Daemon,
            "job" => SymbolKind::Job,
            "cron" => SymbolKind::Cron,
            "raw" => SymbolKind::Raw,
            "volume" => SymbolKind::Volume,
            "sidecar" => SymbolKind::Sidecar,
            "init" => SymbolKind::Init,
            _ => return None,
        })
    }

    /// Whether it is a long-running workload (`talks_to` may name it).
    pub fn is_workload(self) -> bool {
        matches!(
            self,
            SymbolKind::Service | SymbolKind::Worker | SymbolKind::Stateful | SymbolKind::Daemon
        )
    }

    /// Whether a reference of `kind` may name a symbol of this kind (the checker's rule).
    pub fn accepted_by(self, kind: RefKind) -> bool {
        match kind {
            RefKind::Job => self == SymbolKind::Job,
            RefKind::Workload => self.is_workload(),
            RefKind::Service => matches!(self, SymbolKind::Service | SymbolKind::Stateful),
            RefKind::Volume => self == SymbolKind::Volume,
        }
    }
}

/// One named thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    /// The name as written.
    pub name: String,
    /// What it is.
    pub kind: SymbolKind,
    /// The name in its definition.
    pub name_span: Span,
    /// The whole definition (the block, the `let`, the profile).
    pub span: Span,
    /// The symbol it is declared in (an app for its workloads, a workload for its
    /// volumes, the enclosing named block for a `let`); None at the top level.
    pub parent: Option<SymbolId>,
}

/// A place that names a symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference {
    /// What it names.
    pub target: SymbolId,
    /// The name as written there.
    pub span: Span,
}

/// Definitions and references of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    /// Every definition, in source order of their names.
    pub symbols: Vec<Symbol>,
    /// Every resolved reference, in the order found.
    pub references: Vec<Reference>,
}

impl Index {
    /// Indexes a syntax tree (complete or recovered from errors).
    pub fn build(file: &ast::File) -> Index {
        let mut b = Builder::default();
        b.file(file);
        let mut ix = b.ix;
        ix.references.sort_by_key(|r| r.span.start);
        ix
    }

    /// The symbol named at `offset`: by its definition's name or by a reference, with the
    /// span of the name there. A cursor right after a name counts.
    pub fn at(&self, offset: u32) -> Option<(SymbolId, Span)> {
        let def = self
            .symbols
            .iter()
            .enumerate()
            .find(|(_, s)| s.name_span.contains(offset))
            .map(|(i, s)| (i, s.name_span));
        def.or_else(|| {
            self.references
                .iter()
                .find(|r| r.span.contains(offset))
                .map(|r| (r.target, r.span))
        })
    }

    /// A symbol by id.
    pub fn get(&self, id: SymbolId) -> Option<&Symbol> {
        self.symbols.get(id)
    }

    /// Every span that names `id`: its definition (when `with_definition`) and its
    /// references, sorted, without duplicates.
    pub fn occurrences(&self, id: SymbolId, with_definition: bool) -> Vec<Span> {
        let mut out: Vec<Span> = self
            .references
            .iter()
            .filter(|r| r.target == id)
            .map(|r| r.span)
            .collect();
        if with_definition && let Some(s) = self.symbols.get(id) {
            out.push(s.name_span);
        }
        out.sort();
        out.dedup();
        out
    }

    /// The symbols declared directly in `parent` (None: the top level), in source order.
    pub fn children(&self, parent: Option<SymbolId>) -> impl Iterator<Item = (SymbolId, &Symbol)> {
        self.symbols
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.parent == parent)
    }

    /// The app a symbol belongs to (itself for an app).
    pub fn app_of(&self, mut id: SymbolId) -> Option<SymbolId> {
        // Parents always come before their children, so this walk ends; the bound is a
        // second guard.
        for _ in 0..=self.symbols.len() {
            let s = self.symbols.get(id)?;
            if s.kind == SymbolKind::App {
                return Some(id);
            }
            id = s.parent?;
        }
        None
    }

    /// The innermost named block whose definition contains `offset` (for "the object
    /// under the cursor").
    pub fn enclosing(&self, offset: u32) -> Option<SymbolId> {
        self.symbols
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.kind != SymbolKind::Let && s.span.start <= offset && offset <= s.span.end
            })
            .min_by_key(|(_, s)| s.span.end - s.span.start)
            .map(|(i, _)| i)
    }
}

/// Names visible in one scope.
#[derive(Default)]
struct Scope {
    lets: Vec<(String, SymbolId)>,
}

/// What a reference of a [`RefKind`] resolves against.
#[derive(Default, Clone)]
struct AppNames {
    /// Named blocks of the app, first declaration of each name.
    blocks: Vec<(String, SymbolId)>,
    /// Volumes of the enclosing workload.
    volumes: Vec<(String, SymbolId)>,
}

#[derive(Default)]
struct Builder {
    ix: Index,
    scopes: Vec<Scope>,
    apps: Vec<(String, SymbolId, AppNames)>,
    profiles: Vec<(String, SymbolId)>,
    templates: Vec<(String, SymbolId)>,
}

/// How deep the walk follows nested blocks and values: the parser already limits
/// nesting, this keeps the walk bounded whatever tree it is handed.
const MAX_DEPTH: usize = 128;

impl Builder {
    fn define(
        &mut self,
        name: &ast::Ident,
        kind: SymbolKind,
        span: Span,
        parent: Option<SymbolId>,
    ) -> SymbolId {
        self.ix.symbols.push(Symbol {
            name: name.name.clone(),
            kind,
            name_span: name.span,
            span,
            parent,
        });
        self.ix.symbols.len() - 1
    }

    fn refer(&mut self, target: SymbolId, span: Span) {
        self.ix.references.push(Reference { target, span });
    }

    fn file(&mut self, file: &ast::File) {
        // Definitions of the top level first: references may come before them.
        let mut scope = Scope::default();
        for item in &file.items {
            match item {
                ast::Item::Let(l) => {
                    let id = self.define(&l.name, SymbolKind::Let, l.span, None);
                    if !scope.lets.iter().any(|(n, _)| *n == l.name.name) {
                        scope.lets.push((l.name.name.clone(), id));
                    }
                }
                ast::Item::Profile(p) => {
                    let id = self.define(&p.name, SymbolKind::Profile, p.span, None);
                    self.profiles.push((p.name.name.clone(), id));
                }
                ast::Item::Template(t) => {
                    let id = self.define(&t.name, SymbolKind::Template, t.span, None);
                    self.templates.push((t.name.name.clone(), id));
                }
                ast::Item::Block(b) if b.kind.name == "app" => {
                    if let Some(n) = &b.name {
                        let id = self.define(n, SymbolKind::App, b.span, None);
                        let names = self.app_names(b, id);
                        // Duplicates are kept too (their own bodies resolve against
                        // their own names); lookups by name find the first.
                        self.apps.push((n.name.clone(), id, names));
                    }
                }
                ast::Item::Block(_) | ast::Item::Import(_) => {}
            }
        }
        self.scopes.push(scope);
        for item in &file.items {
            match item {
                ast::Item::Let(l) => self.expr(&l.value, None, &AppNames::default(), 0),
                ast::Item::Block(b) => {
                    let (owner, names) = match &b.name {
                        Some(n) if b.kind.name == "app" => self
                            .apps
                            .iter()
                            .find(|(_, id, _)| self.ix.symbols[*id].name_span == n.span)
                            .map(|(_, id, names)| (Some(*id), names.clone()))
                            .unwrap_or_default(),
                        _ => (None, AppNames::default()),
                    };
                    let sch = if b.kind.name == "app" {
                        Some(&schema::APP)
                    } else {
                        None
                    };
                    self.block_body(b, sch, owner, &names, 0);
                }
                ast::Item::Profile(p) => self.profile(p),
                ast::Item::Template(t) => {
                    let id = self
                        .templates
                        .iter()
                        .find(|(_, id)| self.ix.symbols[*id].name_span == t.name.span)
                        .map(|(_, id)| *id);
                    let sch = schema::block(&t.body.kind.name);
                    self.block_body(&t.body, sch, id, &AppNames::default(), 0);
                }
                ast::Item::Import(_) => {}
            }
        }
        self.scopes.pop();
    }

    /// Defines the named blocks directly inside an app (their names are unique across the
    /// app) and returns them.
    fn app_names(&mut self, app: &ast::Block, app_id: SymbolId) -> AppNames {
        let mut names = AppNames::default();
        for e in &app.entries {
            if let ast::Entry::Block(b) = e
                && let (Some(n), Some(kind)) = (&b.name, SymbolKind::of_block(&b.kind.name))
                && kind != SymbolKind::App
            {
                let id = self.define(n, kind, b.span, Some(app_id));
                if !names.blocks.iter().any(|(x, _)| *x == n.name) {
                    names.blocks.push((n.name.clone(), id));
                }
            }
        }
        names
    }

    /// The symbol already defined for a block's name (apps' children are defined ahead).
    fn defined(&self, name: &ast::Ident) -> Option<SymbolId> {
        self.ix
            .symbols
            .iter()
            .rposition(|s| s.name_span == name.span)
    }

    fn block_body(
        &mut self,
        b: &ast::Block,
        sch: Option<&'static BlockSchema>,
        owner: Option<SymbolId>,
        names: &AppNames,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(t) = &b.template {
            if let Some(&(_, id)) = self.templates.iter().find(|(n, _)| *n == t.func.name) {
                self.refer(id, t.func.span);
            }
            for a in &t.args {
                self.expr(&a.value, None, names, depth + 1);
            }
        }
        // Lets of this block, visible everywhere in it (and in its own values).
        let mut scope = Scope::default();
        for e in &b.entries {
            if let ast::Entry::Let(l) = e {
                let id = self.define(&l.name, SymbolKind::Let, l.span, owner);
                if !scope.lets.iter().any(|(n, _)| *n == l.name.name) {
                    scope.lets.push((l.name.name.clone(), id));
                }
            }
        }
        // Volumes of a workload, job or cron: `mounts` of its sidecars name them.
        let mut names = names.clone();
        if sch.is_some_and(|s| s.child("volume").is_some()) {
            names.volumes.clear();
            for e in &b.entries {
                if let ast::Entry::Block(v) = e
                    && v.kind.name == "volume"
                    && let Some(n) = &v.name
                {
                    let id = self.define(n, SymbolKind::Volume, v.span, owner);
                    if !names.volumes.iter().any(|(x, _)| *x == n.name) {
                        names.volumes.push((n.name.clone(), id));
                    }
                }
            }
        }
        self.scopes.push(scope);
        for e in &b.entries {
            match e {
                ast::Entry::Let(l) => self.expr(&l.value, None, &names, depth + 1),
                ast::Entry::Field(f) => {
                    let ty = field_type(sch, f);
                    self.expr(&f.value, ty, &names, depth + 1);
                }
                ast::Entry::Block(child) => {
                    let child_schema = sch.and_then(|s| s.child(&child.kind.name)).map(|c| c.block);
                    let kind = SymbolKind::of_block(&child.kind.name);
                    let id = match (&child.name, kind) {
                        (Some(n), Some(SymbolKind::Volume)) if child_schema.is_some() => {
                            self.defined(n)
                        }
                        (Some(n), Some(k))
                            if sch.is_some_and(|s| s.id == "app") && k != SymbolKind::App =>
                        {
                            self.defined(n)
                        }
                        (Some(n), Some(k @ (SymbolKind::Sidecar | SymbolKind::Init))) => {
                            Some(self.define(n, k, child.span, owner))
                        }
                        (Some(n), Some(SymbolKind::Volume)) => {
                            Some(self.define(n, SymbolKind::Volume, child.span, owner))
                        }
                        _ => None,
                    };
                    self.block_body(child, child_schema, id.or(owner), &names, depth + 1);
                }
            }
        }
        self.scopes.pop();
    }

    fn let_named(&self, name: &str) -> Option<SymbolId> {
        self.scopes
            .iter()
            .rev()
            .find_map(|s| s.lets.iter().find(|(n, _)| n == name).map(|(_, id)| *id))
    }

    /// Resolves the names in a value whose expected type is `ty` (None: only lets).
    fn expr(&mut self, e: &ast::Expr, ty: Option<Ty>, names: &AppNames, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match &e.kind {
            ast::ExprKind::Ref(path) => {
                let [id] = path.as_slice() else { return };
                if let Some(l) = self.let_named(&id.name) {
                    self.refer(l, id.span);
                    return;
                }
                let Some(Ty::Ref(kind)) = ty else { return };
                let pool = if kind == RefKind::Volume {
                    &names.volumes
                } else {
                    &names.blocks
                };
                let target = pool
                    .iter()
                    .find(|(n, sid)| *n == id.name && self.ix.symbols[*sid].kind.accepted_by(kind))
                    .map(|(_, sid)| *sid);
                if let Some(t) = target {
                    self.refer(t, id.span);
                }
            }
            ast::ExprKind::Str(s) => {
                for p in &s.parts {
                    if let ast::StrPart::Interp(inner) = p {
                        self.expr(inner, None, names, depth + 1);
                    }
                }
            }
            ast::ExprKind::List(items) => {
                let inner = match ty {
                    Some(Ty::List(t)) => Some(*t),
                    _ => None,
                };
                for i in items {
                    self.expr(i, inner, names, depth + 1);
                }
            }
            ast::ExprKind::Range(a, b) => {
                let inner = match ty {
                    Some(Ty::Range(t)) => Some(*t),
                    other => other,
                };
                self.expr(a, inner, names, depth + 1);
                self.expr(b, inner, names, depth + 1);
            }
            ast::ExprKind::Call(c) => {
                for a in &c.args {
                    self.expr(&a.value, None, names, depth + 1);
                }
            }
            ast::ExprKind::Number(_) | ast::ExprKind::Bool(_) | ast::ExprKind::None => {}
        }
    }

    fn profile(&mut self, p: &ast::Profile) {
        for x in &p.extends {
            if let Some(&(_, id)) = self.profiles.iter().find(|(n, _)| *n == x.name) {
                self.refer(id, x.span);
            }
        }
        for f in &p.fields {
            let mut ty = None;
            let mut names = AppNames::default();
            if let Some(first) = f.path.first()
                && let Some((_, app_id, app_names)) =
                    self.apps.iter().find(|(n, _, _)| *n == first.name).cloned()
            {
                self.refer(app_id, first.span);
                names = app_names;
                let mut sch: Option<&'static BlockSchema> = Some(&schema::APP);
                for (i, k) in f.path.iter().enumerate().skip(1) {
                    let last = i + 1 == f.path.len();
                    if i == 1
                        && let Some(&(_, bid)) = names.blocks.iter().find(|(n, _)| *n == k.name)
                    {
                        self.refer(bid, k.span);
                        sch = schema::child("app", self.ix.symbols[bid].kind.keyword());
                        continue;
                    }
                    if last {
                        ty = sch.and_then(|s| s.field(&k.name)).map(|fl| fl.ty);
                    } else {
                        sch = sch.and_then(|s| s.child(&k.name)).map(|c| c.block);
                    }
                }
            }
            self.expr(&f.value, ty, &names, 0);
        }
    }
}

/// The expected type of a field's value in a block of schema `sch`.
fn field_type(sch: Option<&'static BlockSchema>, f: &ast::Field) -> Option<Ty> {
    let sch = sch?;
    match f.path.as_slice() {
        [k] => sch
            .field(&k.name)
            .map(|fl| fl.ty)
            .or(sch.free.map(|fr| fr.value)),
        _ => sch.free.filter(|fr| fr.dotted).map(|fr| fr.value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn index(text: &str) -> Index {
        let (ast, _) = crate::syntax::parse(FileId(0), text);
        Index::build(&ast)
    }

    fn span_of(text: &str, needle: &str, nth: usize) -> Span {
        let start = text
            .match_indices(needle)
            .nth(nth)
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("no {needle} #{nth}"));
        Span::new(start, start + needle.len())
    }

    const APP: &str = r#"let tag = "1.0"
app shop {
  image = "r/shop:${tag}"
  job migrate { command = ["m"] }
  job seed { after = [migrate] }
  service web {
    port = 80
    talks_to = [queue]
    volume cache { mount = "/c" }
    sidecar proxy { mounts = [cache] }
  }
  worker queue { command = ["q"] }
  ingress { host = "x.example.com" routes { "/" = web } }
}
profile base { shop.web.replicas = 1 }
profile staging extends base { shop.web.talks_to = [queue] }
"#;

    #[test]
    fn definitions_and_references() {
        let ix = index(APP);
        let names: Vec<(&str, SymbolKind)> = ix
            .symbols
            .iter()
            .map(|s| (s.name.as_str(), s.kind))
            .collect();
        assert!(names.contains(&("shop", SymbolKind::App)));
        assert!(names.contains(&("migrate", SymbolKind::Job)));
        assert!(names.contains(&("cache", SymbolKind::Volume)));
        assert!(names.contains(&("proxy", SymbolKind::Sidecar)));
        assert!(names.contains(&("tag", SymbolKind::Let)));
        assert!(names.contains(&("staging", SymbolKind::Profile)));

        let migrate = ix.at(span_of(APP, "migrate", 0).start).unwrap().0;
        assert_eq!(
            ix.occurrences(migrate, true),
            vec![span_of(APP, "migrate", 0), span_of(APP, "migrate", 1)]
        );
        let queue = ix.at(span_of(APP, "queue", 1).start + 2).unwrap().0;
        assert_eq!(ix.symbols[queue].kind, SymbolKind::Worker);
        assert_eq!(ix.occurrences(queue, false).len(), 2);
        let web = ix.at(span_of(APP, "web", 1).start).unwrap().0;
        assert_eq!(ix.symbols[web].kind, SymbolKind::Service);
        // Definition, the route, and two profile paths.
        assert_eq!(ix.occurrences(web, true).len(), 4);
        let cache = ix.at(span_of(APP, "cache", 1).start).unwrap().0;
        assert_eq!(ix.symbols[cache].kind, SymbolKind::Volume);
        let tag = ix.at(span_of(APP, "tag", 1).start).unwrap().0;
        assert_eq!(ix.symbols[tag].kind, SymbolKind::Let);
        let base = ix.at(span_of(APP, "base", 1).start).unwrap().0;
        assert_eq!(ix.symbols[base].name_span, span_of(APP, "base", 0));
        let shop = ix.at(span_of(APP, "shop", 2).start).unwrap().0;
        assert_eq!(ix.app_of(cache), Some(shop));
        assert_eq!(
            ix.symbols[ix.enclosing(span_of(APP, "/c", 0).start).unwrap()].name,
            "cache"
        );
    }

    #[test]
    fn lets_shadow_references_and_scopes_nest() {
        let text = "app a {\n  image = \"r/a:1\"\n  job m { }\n  job n {\n    let m = 1\n    after = [m]\n  }\n}\n";
        let ix = index(text);
        let (id, _) = ix.at(span_of(text, "m]", 0).start).unwrap();
        assert_eq!(ix.symbols[id].kind, SymbolKind::Let);
        // A wrong-kind reference does not resolve.
        let text = "app a {\n  image = \"r/a:1\"\n  worker w { }\n  job n { after = [w] }\n}\n";
        let ix = index(text);
        assert!(ix.at(span_of(text, "w]", 0).start).is_none());
    }

    #[test]
    fn broken_input_never_panics() {
        for text in [
            "app",
            "app a { job { after = [",
            "profile p { a.b.c.d = [x] }",
            "}}}{{{",
        ] {
            let _ = index(text);
        }
    }
}
