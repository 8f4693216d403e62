//! Completion: block kinds and fields valid at the cursor (from the schema, with their
//! types and documentation), snippets for common blocks, enum words, names of declared
//! things for references (`after`, `talks_to`, `routes`, `mounts`), `let` names, known
//! secret names inside strings, and profile paths.

use super::context::{self, Frame, Spot};
use super::document::{OffsetMap, Snapshot};
use super::hover::profile_target;
use super::{Completion, ItemKind};
use crate::check::schema::{self, BlockSchema, Naming, RefKind, Ty};
use crate::index::{Index, SymbolId, SymbolKind};
use crate::source::Span;
use crate::syntax::ast;

/// The completions at `offset` in the current text. The blocks around the cursor come
/// from the current tree, or, when the text being typed broke the parse, from the last
/// tree that parsed (`good`, with the map from its offsets to the current ones).
pub(crate) fn complete(
    current: &Snapshot,
    good: Option<(&Snapshot, OffsetMap)>,
    offset: u32,
    snippets: bool,
) -> Vec<Completion> {
    let text = current.text();
    let (snap, tree_offset, map) = match good {
        Some((g, m)) if !current.syntax_ok => {
            (g, m.to_old(offset).unwrap_or(m.edit_start()), Some(m))
        }
        _ => (current, offset, None),
    };
    // A tree offset in the current text (unchanged before the edited region).
    let to_new = |o: u32| map.and_then(|m| m.to_new(o)).unwrap_or(o);
    let ast = &snap.analysis.ast;
    let (all_frames, profile) = context::frames(ast, tree_offset);
    // Only the blocks whose body holds the cursor (not the header being written).
    let frames: Vec<Frame<'_>> = all_frames
        .into_iter()
        .take_while(|f| {
            f.block.body_span.start < tree_offset && tree_offset < f.block.body_span.end
        })
        .collect();
    let tree_text = snap.text();
    let from = match (profile, frames.last()) {
        (Some(p), _) => tree_text
            .get(p.span.range())
            .and_then(|t| t.find('{'))
            .map(|i| to_new(p.span.start + i as u32 + 1))
            .filter(|&s| s <= offset),
        (None, Some(f)) => Some(to_new(f.block.body_span.start + 1)),
        (None, None) => Some(to_new(
            ast.items
                .iter()
                .map(item_span)
                .filter(|s| s.end <= tree_offset)
                .map(|s| s.end)
                .max()
                .unwrap_or(0),
        )),
    };
    let from = from.map(|f| f.min(offset));
    let Some(from) = from else { return Vec::new() };
    let typing = context::typing(text, from, offset);
    let mut cx = Cx {
        snap,
        index: &snap.index,
        frames: &frames,
        replace: typing.partial,
        snippets,
        out: Vec::new(),
    };
    // The schema at the cursor: the tree's innermost block, then blocks opened in text.
    let mut sch: Option<&'static BlockSchema> = match frames.last() {
        Some(f) => f.schema,
        None if profile.is_none() => Some(&schema::FILE),
        None => None,
    };
    let tree_block = frames.last().map(|f| f.block);
    for kind in &typing.open_blocks {
        sch = sch.and_then(|s| s.child(kind)).map(|c| c.block);
    }
    let present = if typing.open_blocks.is_empty() {
        tree_block
    } else {
        None
    };
    match typing.spot {
        Spot::Nothing => {}
        Spot::Key { path } if profile.is_some() => cx.profile_keys(&path),
        Spot::Key { path } => {
            if path.is_empty() {
                if let Some(s) = sch {
                    cx.keys(s, present);
                }
                if frames.is_empty() && typing.open_blocks.is_empty() {
                    cx.top_level();
                } else {
                    cx.keyword("let", "let ${1:name} = $0", "a local binding");
                }
            }
        }
        Spot::Value {
            key,
            in_list,
            call,
            string,
        } => {
            let ty = if profile.is_some() {
                let keys: Vec<ast::Key> = key
                    .iter()
                    .map(|k| ast::Key {
                        name: k.clone(),
                        quoted: false,
                        span: Span::default(),
                    })
                    .collect();
                profile_target(&snap.index, &keys)
                    .and_then(|(s, f)| f.and_then(|f| s.field(f)))
                    .map(|f| f.ty)
            } else {
                key_type(sch, &key)
            };
            match (call, string) {
                (_, Some((_, true))) => cx.lets(tree_offset, true),
                (Some((func, arg)), None) => {
                    if func == "toleration" && arg.as_deref() == Some("effect") {
                        cx.words(schema::TAINT_EFFECTS);
                    }
                }
                (call, Some((_, false))) => {
                    let secretish = matches!(&call, Some((f, None)) if f == "secret")
                        || matches!(key.as_slice(), [k] if k == "tls" || k == "pull_secrets" || k == "secret");
                    if secretish {
                        cx.secret_names();
                    }
                }
                (None, None) => {
                    let mut t = ty;
                    if in_list {
                        t = match t {
                            Some(Ty::List(inner)) => Some(*inner),
                            _ => None,
                        };
                    }
                    if let Some(Ty::Range(inner)) = t {
                        t = Some(*inner);
                    }
                    if let Some(t) = t {
                        cx.values(t, in_list);
                    }
                    if profile.is_some() {
                        cx.keyword("none", "none", "removes the field or block");
                    } else {
                        cx.lets(tree_offset, false);
                    }
                }
            }
        }
    }
    cx.out
}

fn item_span(i: &ast::Item) -> Span {
    match i {
        ast::Item::Block(b) => b.span,
        ast::Item::Let(l) => l.span,
        ast::Item::Profile(p) => p.span,
        ast::Item::Import(x) => x.span,
        ast::Item::Template(t) => t.span,
    }
}

/// The type of the field `key` in a block of schema `sch`.
fn key_type(sch: Option<&'static BlockSchema>, key: &[String]) -> Option<Ty> {
    let sch = sch?;
    match key {
        [k] => sch.field(k).map(|f| f.ty).or(sch.free.map(|f| f.value)),
        _ => sch.free.filter(|f| f.dotted).map(|f| f.value),
    }
}

struct Cx<'a> {
    snap: &'a Snapshot,
    index: &'a Index,
    frames: &'a [Frame<'a>],
    replace: Span,
    snippets: bool,
    out: Vec<Completion>,
}

impl Cx<'_> {
    fn push(
        &mut self,
        group: u8,
        label: &str,
        kind: ItemKind,
        insert: &str,
        snippet: bool,
    ) -> &mut Completion {
        let snippet = snippet && self.snippets;
        let insert = if snippet || !insert.contains('$') {
            insert.to_string()
        } else {
            // Without snippet support: the text up to the first placeholder.
            insert.split('$').next().unwrap_or(label).to_string()
        };
        self.out.push(Completion {
            label: label.to_string(),
            kind,
            detail: None,
            doc: None,
            insert,
            snippet,
            replace: self.replace,
            sort: format!("{group}{label}"),
        });
        let n = self.out.len() - 1;
        &mut self.out[n]
    }

    fn keyword(&mut self, label: &str, insert: &str, detail: &str) {
        let has_snippet = insert.contains('$');
        self.push(5, label, ItemKind::Keyword, insert, has_snippet)
            .detail = Some(detail.into());
    }

    /// Fields not yet set and blocks that may still be added, in a block of schema `sch`
    /// (`present` is that block in the tree, to leave out what it already has).
    fn keys(&mut self, sch: &'static BlockSchema, present: Option<&ast::Block>) {
        let has_field = |name: &str| {
            present.is_some_and(|b| {
                b.entries.iter().any(|e| match e {
                    ast::Entry::Field(f) => {
                        f.path.len() == 1 && f.path.first().is_some_and(|k| k.name == name)
                    }
                    _ => false,
                })
            })
        };
        let has_block = |kind: &str| {
            present.is_some_and(|b| {
                b.entries
                    .iter()
                    .any(|e| matches!(e, ast::Entry::Block(c) if c.kind.name == kind))
            })
        };
        // A field and a block of the same name (`health = http(..)` or `health { }`)
        // exclude each other.
        for f in sch.fields() {
            if has_field(f.name) || has_block(f.name) {
                continue;
            }
            let required = sch.is_required(f);
            let insert = match f.ty {
                Ty::Str
                | Ty::Name
                | Ty::Image
                | Ty::Cidr
                | Ty::Cron
                | Ty::Host
                | Ty::Path
                | Ty::Capability => format!("{} = \"$1\"", f.name),
                Ty::List(_) => format!("{} = [$1]", f.name),
                _ => format!("{} = ", f.name),
            };
            let c = self.push(
                if required { 0 } else { 1 },
                f.name,
                ItemKind::Field,
                &insert,
                true,
            );
            c.detail = Some(if required {
                format!("{} (required)", f.ty.describe())
            } else {
                f.ty.describe()
            });
            c.doc = Some(f.hover(required));
        }
        for child in sch.children {
            let b = child.block;
            if (!child.many && has_block(b.kind)) || has_field(b.kind) {
                continue;
            }
            let insert = match b.naming {
                Naming::Named => format!("{} ${{1:name}} {{\n\t$0\n}}", b.kind),
                Naming::Target => {
                    let targets = schema::patch_targets(sch.id);
                    if targets.is_empty() {
                        format!("{} ${{1:kind}} {{\n\t$0\n}}", b.kind)
                    } else {
                        format!("{} ${{1|{}|}} {{\n\t$0\n}}", b.kind, targets.join(","))
                    }
                }
                Naming::Anonymous => format!("{} {{\n\t$0\n}}", b.kind),
            };
            let c = self.push(2, b.kind, ItemKind::Block, &insert, true);
            c.detail = Some(format!("block: {}", b.title));
            c.doc = Some(b.hover());
        }
        if sch.id == "app" {
            self.app_snippets();
        }
    }

    fn snippet(&mut self, label: &str, detail: &str, body: &str) {
        if !self.snippets {
            return;
        }
        let c = self.push(3, label, ItemKind::Snippet, body, true);
        c.detail = Some(detail.into());
        c.doc = Some(format!("```kiln\n{}\n```", body.replace('\t', "  ")));
    }

    /// Snippets for the blocks most apps have.
    fn app_snippets(&mut self) {
        self.snippet(
            "service (web)",
            "a web service with a port, a health check and an ingress",
            "service ${1:web} {\n\tcommand  = [${2:\"bin/server\"}]\n\tport     = ${3:8080}\n\thealth   = http(\"${4:/up}\")\n\tcpu      = ${5:250m} .. ${6:1}\n\tmemory   = ${7:512Mi}\n\tingress {\n\t\thost = \"${8:app.example.com}\"\n\t\ttls  = \"${9:app-tls}\"\n\t}\n}",
        );
        self.snippet(
            "worker (queue)",
            "a queue consumer",
            "worker ${1:queue} {\n\tcommand  = [${2:\"bin/worker\"}]\n\treplicas = ${3:2}\n}",
        );
        self.snippet(
            "job (migration)",
            "a job run before every release",
            "job ${1:migrate} {\n\tcommand = [${2:\"bin/migrate\"}]\n\trun     = ${3|before_deploy,on_install,after_deploy,manual|}\n\ttimeout = ${4:10m}\n}",
        );
        self.snippet(
            "cron (schedule)",
            "a scheduled task",
            "cron ${1:nightly} {\n\tschedule = \"${2:0 3 * * *}\"\n\tcommand  = [${3:\"bin/report\"}]\n}",
        );
    }

    fn top_level(&mut self) {
        self.snippet(
            "app",
            "an application",
            "app ${1:name} {\n\timage = \"${2:registry.example.com/name:1.0.0}\"\n\t$0\n}",
        );
        self.keyword("let", "let ${1:name} = $0", "a binding shared by the file");
        self.keyword(
            "profile",
            "profile ${1:staging} {\n\t$0\n}",
            "overrides chosen with `--profile`",
        );
    }

    fn words(&mut self, words: &[&str]) {
        for w in words {
            self.push(0, w, ItemKind::EnumWord, w, false);
        }
    }

    /// Values of type `ty`; `in_list` when inside a list (names already there are left out).
    fn values(&mut self, ty: Ty, in_list: bool) {
        match ty {
            Ty::Enum(words) => self.words(words),
            Ty::Bool => self.words(&["true", "false"]),
            Ty::Ref(kind) => self.references(kind, in_list),
            Ty::Probe => {
                self.call("http", "http(\"${1:/up}\")", "an HTTP GET returning 2xx or 3xx");
                self.call("tcp", "tcp(${1})", "a TCP connection (default: the first port)");
                self.call("exec", "exec([${1:\"cmd\"}])", "a command exiting 0");
            }
            Ty::EnvValue => {
                self.call("secret", "secret(\"${1:name}\", \"${2:key}\")", "a key of a Secret (never a value)");
                self.call("config_map", "config_map(\"${1:name}\", \"${2:key}\")", "a key of a ConfigMap");
                self.call("field", "field(\"${1:metadata.name}\")", "a field of the pod (downward API)");
            }
            Ty::EnvFrom => {
                self.call("secret", "secret(\"${1:name}\")", "every key of a Secret");
                self.call("config_map", "config_map(\"${1:name}\")", "every key of a ConfigMap");
            }
            Ty::Toleration => self.call(
                "toleration",
                "toleration(\"${1:key}\", value = \"${2:value}\", effect = ${3|no_schedule,prefer_no_schedule,no_execute|})",
                "tolerate a taint",
            ),
            Ty::File => self.call("file", "file(\"${1:path}\")", "a file read at compile time"),
            _ => {}
        }
    }

    fn call(&mut self, label: &str, insert: &str, detail: &str) {
        self.push(0, label, ItemKind::Value, insert, true).detail = Some(detail.into());
    }

    /// Names a reference of `kind` may take here.
    fn references(&mut self, kind: RefKind, _in_list: bool) {
        let Some(app) = self.app() else { return };
        // The block being edited is not a candidate for its own `after`/`talks_to`.
        let own = self
            .frames
            .get(1)
            .and_then(|f| f.block.name.as_ref())
            .map(|n| n.span);
        let pool: Vec<SymbolId> = if kind == RefKind::Volume {
            match self.workload() {
                Some(w) => self
                    .index
                    .children(Some(w))
                    .filter(|(_, s)| s.kind == SymbolKind::Volume)
                    .map(|(i, _)| i)
                    .collect(),
                None => Vec::new(),
            }
        } else {
            self.index
                .children(Some(app))
                .filter(|(_, s)| s.kind.accepted_by(kind) && Some(s.name_span) != own)
                .map(|(i, _)| i)
                .collect()
        };
        for id in pool {
            let Some(s) = self.index.get(id) else {
                continue;
            };
            let (name, kw) = (s.name.clone(), s.kind.keyword());
            let md = super::hover::symbol_markdown(self.snap, self.index, id, false);
            let c = self.push(0, &name, ItemKind::Reference, &name, false);
            c.detail = Some(kw.to_string());
            c.doc = Some(md);
        }
    }

    /// The app symbol around the cursor.
    fn app(&self) -> Option<SymbolId> {
        let f = self.frames.first()?;
        let n = f.block.name.as_ref()?;
        self.index
            .symbols
            .iter()
            .position(|s| s.kind == SymbolKind::App && s.name_span == n.span)
    }

    /// The innermost workload, job or cron around the cursor (volumes belong to it).
    fn workload(&self) -> Option<SymbolId> {
        self.frames.iter().rev().find_map(|f| {
            let n = f.block.name.as_ref()?;
            if f.schema.is_some_and(|s| s.child("volume").is_some()) {
                self.index
                    .symbols
                    .iter()
                    .position(|s| s.name_span == n.span)
            } else {
                None
            }
        })
    }

    /// `let` names visible at `offset`, and inside `${ }` the built-in names.
    fn lets(&mut self, offset: u32, interpolation: bool) {
        let ast = &self.snap.analysis.ast;
        let mut names: Vec<(String, String)> = Vec::new();
        let mut add = |l: &ast::Let, text: &str| {
            if !names.iter().any(|(n, _)| *n == l.name.name) && !l.span.contains(offset) {
                names.push((
                    l.name.name.clone(),
                    text.get(l.span.range()).unwrap_or("").to_string(),
                ));
            }
        };
        let text = self.snap.text();
        for f in self.frames.iter().rev() {
            for e in &f.block.entries {
                if let ast::Entry::Let(l) = e {
                    add(l, text);
                }
            }
        }
        for i in &ast.items {
            if let ast::Item::Let(l) = i {
                add(l, text);
            }
        }
        for (n, def) in names {
            let c = self.push(4, &n, ItemKind::Variable, &n, false);
            c.detail = Some("let".into());
            c.doc = Some(format!("```kiln\n{def}\n```"));
        }
        if interpolation {
            self.push(4, "app", ItemKind::Variable, "app", false).detail =
                Some("the app name".into());
            self.push(4, "namespace", ItemKind::Variable, "namespace", false)
                .detail = Some("the app's namespace".into());
        }
    }

    /// Names of Secrets the file already mentions (in `secret(..)`, `tls`, `pull_secrets`).
    fn secret_names(&mut self) {
        let mut names: Vec<String> = Vec::new();
        for item in &self.snap.analysis.ast.items {
            if let ast::Item::Block(b) = item {
                collect_secrets(b, &mut names, 0);
            }
        }
        names.sort();
        names.dedup();
        for n in names {
            self.push(0, &n, ItemKind::Value, &n, false).detail =
                Some("a Secret named in this file".into());
        }
    }

    /// Profile paths: an app, then a block of it or an app field, then fields.
    fn profile_keys(&mut self, path: &[String]) {
        let keys: Vec<ast::Key> = path
            .iter()
            .map(|k| ast::Key {
                name: k.clone(),
                quoted: false,
                span: Span::default(),
            })
            .collect();
        if keys.is_empty() {
            let apps: Vec<String> = self
                .index
                .symbols
                .iter()
                .filter(|s| s.kind == SymbolKind::App)
                .map(|s| s.name.clone())
                .collect();
            for a in apps {
                self.push(0, &a, ItemKind::Reference, &a, false).detail = Some("app".into());
            }
            return;
        }
        let Some((sch, None)) = profile_target(self.index, &keys) else {
            return;
        };
        if keys.len() == 1 {
            let app = self.index.symbols.iter().position(|s| {
                s.kind == SymbolKind::App && keys.first().is_some_and(|k| k.name == s.name)
            });
            let blocks: Vec<(String, &'static str)> = self
                .index
                .children(app)
                .filter(|(_, s)| s.kind != SymbolKind::Let)
                .map(|(_, s)| (s.name.clone(), s.kind.keyword()))
                .collect();
            for (n, kw) in blocks {
                self.push(0, &n, ItemKind::Reference, &n, false).detail = Some(kw.into());
            }
        }
        for f in sch.fields() {
            let c = self.push(1, f.name, ItemKind::Field, f.name, false);
            c.detail = Some(f.ty.describe());
            c.doc = Some(f.hover(false));
        }
        for child in sch
            .children
            .iter()
            .filter(|c| c.block.naming == Naming::Anonymous)
        {
            let c = self.push(
                2,
                child.block.kind,
                ItemKind::Block,
                child.block.kind,
                false,
            );
            c.detail = Some(format!("block: {}", child.block.title));
            c.doc = Some(child.block.hover());
        }
    }
}

fn collect_secrets(b: &ast::Block, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    for e in &b.entries {
        match e {
            ast::Entry::Block(c) => collect_secrets(c, out, depth + 1),
            ast::Entry::Field(f) => {
                let key = f.path.first().map(|k| k.name.as_str()).unwrap_or("");
                collect_expr_secrets(&f.value, key, out, 0);
            }
            ast::Entry::Let(_) => {}
        }
    }
}

fn collect_expr_secrets(e: &ast::Expr, key: &str, out: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    let plain = |e: &ast::Expr| match &e.kind {
        ast::ExprKind::Str(s) => s.as_plain(),
        _ => None,
    };
    match &e.kind {
        ast::ExprKind::Call(c) if c.func.name == "secret" => {
            if let Some(n) = c.args.first().and_then(|a| plain(&a.value)) {
                out.push(n);
            }
        }
        ast::ExprKind::List(items) => {
            for i in items {
                collect_expr_secrets(i, key, out, depth + 1);
            }
        }
        ast::ExprKind::Str(_) if matches!(key, "tls" | "pull_secrets" | "secret") => {
            out.extend(plain(e));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsp::document::Document;

    /// Labels offered at `|` in `text`.
    fn labels(text: &str) -> Vec<String> {
        let offset = text.find('|').unwrap() as u32;
        let mut d = Document::new("untitled:t".into(), 1, text.replace('|', ""));
        let snap = d.snapshot(&crate::Options::default());
        complete(&snap, None, offset, true)
            .into_iter()
            .map(|c| c.label)
            .collect()
    }

    /// Labels offered at `|` in `text` after editing it from `before` (which parses).
    fn labels_after(before: &str, text: &str) -> Vec<String> {
        let offset = text.find('|').unwrap() as u32;
        let opts = crate::Options::default();
        let mut d = Document::new("untitled:t".into(), 1, before.to_string());
        let _ = d.snapshot(&opts);
        d.apply(
            2,
            vec![crate::lsp::convert::Change {
                range: None,
                text: text.replace('|', ""),
            }],
        )
        .unwrap();
        let snap = d.snapshot(&opts);
        let good = d.last_good();
        complete(
            &snap,
            good.as_ref().map(|(g, m)| (g.as_ref(), *m)),
            offset,
            true,
        )
        .into_iter()
        .map(|c| c.label)
        .collect()
    }

    #[test]
    fn fields_already_set_are_left_out_while_a_line_is_unfinished() {
        let before = "app a {\n  image = \"r/a:1\"\n  service web {\n    port = 80\n    health = http(\"/\")\n  }\n}\n";
        let l = labels_after(before, &before.replace("    health", "    re|\n    health"));
        assert!(l.contains(&"replicas".to_string()), "{l:?}");
        assert!(!l.contains(&"port".to_string()), "{l:?}");
    }

    const APP: &str = "let tag = \"1\"\napp a {\n  image = \"r/a:${tag}\"\n  job m { }\n  job n { }\n  service web {\n    port = 80\n    volume data { mount = \"/d\" }\n    sidecar s { }\n  }\n  worker w { }\n  ingress { host = \"a.example.com\" routes { } }\n}\nprofile p { }\n";

    fn at(after: &str, insert: &str) -> Vec<String> {
        let i = APP.find(after).unwrap() + after.len();
        labels_after(APP, &format!("{}{insert}{}", &APP[..i], &APP[i..]))
    }

    fn has(l: &[String], want: &[&str]) -> bool {
        want.iter().all(|w| l.iter().any(|x| x == w))
    }

    #[test]
    fn places() {
        let l = labels("|");
        assert!(has(&l, &["app", "let", "profile"]), "{l:?}");
        let l = at("job n {", " after = [|] ");
        assert!(
            has(&l, &["m"]) && !has(&l, &["n"]) && !has(&l, &["web"]),
            "{l:?}"
        );
        let l = at("job n {", " run = |");
        assert!(has(&l, &["before_deploy", "manual", "tag"]), "{l:?}");
        let l = at("port = 80", " talks_to = [|]");
        assert!(has(&l, &["w"]) && !has(&l, &["m"]), "{l:?}");
        let l = at("sidecar s {", " mounts = [|]");
        assert_eq!(l.iter().filter(|x| *x == "data").count(), 1, "{l:?}");
        let l = at("routes {", " \"/\" = |");
        assert!(has(&l, &["web"]) && !has(&l, &["w"]), "{l:?}");
        let l = at("port = 80", " health = |");
        assert!(has(&l, &["http", "tcp", "exec"]), "{l:?}");
        let l = at("port = 80", " tolerations = [toleration(\"k\", effect = |");
        assert!(has(&l, &["no_schedule"]), "{l:?}");
        let l = at("image = \"r/a:", "${t|");
        assert!(has(&l, &["tag", "app", "namespace"]), "{l:?}");
        let l = at("app a {", "\n  |");
        assert!(
            has(&l, &["namespace", "service", "job", "service (web)"]),
            "{l:?}"
        );
        // `ingress` may appear once: it is there already.
        assert!(!has(&l, &["ingress", "image"]), "{l:?}");
        let l = at("profile p {", " |");
        assert_eq!(l, vec!["a"]);
        let l = at("profile p {", " a.|");
        assert!(has(&l, &["web", "m", "namespace", "env"]), "{l:?}");
        let l = at("profile p {", " a.web.|");
        assert!(has(&l, &["replicas", "autoscale"]), "{l:?}");
        let l = at("profile p {", " a.web.replicas = |");
        assert!(has(&l, &["none"]), "{l:?}");
        assert!(at("image = ", "// a comment |").is_empty());
    }
}
