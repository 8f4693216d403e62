//! The generic, schema-driven walk: every block of the source is checked against its
//! [`schema::BlockSchema`] (unknown and duplicate fields and blocks, names, required
//! fields) and every value against its field's [`Ty`], producing a [`CBlock`] tree of
//! checked values that `build` turns into the model. Nothing here stops at the first
//! error: a bad value becomes [`Val::Error`] and the walk goes on.

use super::model::{
    Cpu, Duration, EnvFrom, EnvValue, FileContent, Image, Memory, ProbeCheck, Toleration,
};
use super::schema::{self, BlockSchema, KeyTy, Naming, Ty};
use super::values::{self, QuantityError};
use super::{Checker, SmallMap};
use crate::diag::{Diagnostic, codes};
use crate::source::{Loc, Span};
use crate::syntax::ast;
use std::borrow::Cow;
use std::sync::Arc;

/// A value with the span it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sp<T> {
    pub v: T,
    pub span: Span,
}

/// A checked image reference.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ImageVal {
    pub image: Image,
    /// The tag's bytes in source, when they can be pointed at precisely.
    pub tag_span: Option<Span>,
}

/// A checked value of a field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    /// Strings, names, hosts, paths, CIDRs, cron schedules, capabilities.
    Str(Cow<'a, str>),
    Int(i64),
    Bool(bool),
    /// `none`.
    Unset,
    Cpu(Cpu),
    Memory(Memory),
    Duration(Duration),
    Percent(u32),
    Port(u16),
    Image(Box<ImageVal>),
    Enum(&'static str),
    List(Vec<Sp<Val<'a>>>),
    Range(Box<Sp<Val<'a>>>, Box<Sp<Val<'a>>>),
    Probe(ProbeCheck),
    /// A reference to a named block, resolved by `build`.
    Ref(String),
    Env(EnvValue),
    /// A plain env value: [`EnvValue::Plain`], still borrowed from the source when it
    /// was written as plain text (`build` makes the model's one copy).
    EnvPlain(Cow<'a, str>),
    EnvFrom(EnvFrom),
    Toleration(Toleration),
    File(FileContent),
    Json(serde_json::Value),
    /// The value was wrong; a diagnostic has been reported.
    Error,
}

/// One checked field.
#[derive(Debug, Clone)]
pub(crate) struct CField<'a> {
    /// The key (for dotted keys, the first segment).
    pub key: &'a str,
    /// The whole key path as written, from the segment that names the field.
    pub path: &'a [ast::Key],
    /// Where the key is.
    pub key_span: Span,
    /// The value.
    pub val: Val<'a>,
    /// Where the value is.
    pub span: Span,
}

/// One checked block.
#[derive(Debug, Clone)]
pub(crate) struct CBlock<'a> {
    pub schema: &'static BlockSchema,
    /// The name and its span, for named blocks.
    pub name: Option<(&'a str, Span)>,
    /// From the kind to the name (what a "this block" label underlines).
    pub header: Span,
    pub fields: Vec<CField<'a>>,
    pub children: Vec<CBlock<'a>>,
    /// Instantiates a template (not supported): required fields are not checked.
    pub templated: bool,
    /// Removed by a profile (`= none`); kept in place so that indices stay valid.
    pub removed: bool,
    /// Errors were reported inside: risk warnings about it would be noise.
    pub errors: bool,
}

impl<'a> CBlock<'a> {
    /// An empty block a profile creates by setting one of its fields.
    pub fn created(schema: &'static BlockSchema, span: Span) -> Self {
        CBlock {
            schema,
            name: None,
            header: span,
            fields: Vec::new(),
            children: Vec::new(),
            templated: false,
            removed: false,
            errors: false,
        }
    }

    /// The children not removed by a profile.
    pub fn live(&self) -> impl Iterator<Item = &CBlock<'a>> {
        self.children.iter().filter(|c| !c.removed)
    }

    /// The live children of a kind.
    pub fn kids<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = &'s CBlock<'a>> + 's {
        self.live().filter(move |c| c.schema.kind == kind)
    }

    /// A field by key.
    pub fn get(&self, key: &str) -> Option<&CField<'a>> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// A field's value, if set and not `none`.
    pub fn val(&self, key: &str) -> Option<&Val<'a>> {
        self.get(key)
            .map(|f| &f.val)
            .filter(|v| !matches!(v, Val::Unset))
    }

    /// The unnamed child of a kind.
    pub fn child(&self, kind: &str) -> Option<&CBlock<'a>> {
        self.live().find(|c| c.schema.kind == kind)
    }

    /// The name, or the empty string for an unnamed (or wrongly unnamed) block.
    pub fn name_str(&self) -> &'a str {
        self.name.map(|(n, _)| n).unwrap_or("")
    }
}

/// How a value is described in "found ..." messages.
pub(crate) fn describe(e: &ast::Expr) -> String {
    match &e.kind {
        ast::ExprKind::Str(_) => "a string".into(),
        ast::ExprKind::Number(n) if n.unit.is_empty() => format!("the number `{}`", n.digits),
        ast::ExprKind::Number(n) => format!("`{}{}`", n.digits, n.unit),
        ast::ExprKind::Bool(b) => format!("`{b}`"),
        ast::ExprKind::None => "`none`".into(),
        ast::ExprKind::Ref(p) => format!("the name `{}`", join_path(p)),
        ast::ExprKind::List(_) => "a list".into(),
        ast::ExprKind::Range(..) => "a range".into(),
        ast::ExprKind::Call(c) => format!("a call to `{}`", c.func.name),
    }
}

pub(crate) fn join_path(p: &[ast::Ident]) -> String {
    p.iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// The span of bytes `range` of a string literal's text, when the literal is plain text
/// without escapes (so bytes of the value are bytes of the source); else the literal.
pub(crate) fn sub_span(lit: &ast::StrLit, range: std::ops::Range<usize>) -> Span {
    if let [ast::StrPart::Text(t, s)] = lit.parts.as_slice()
        && t.len() == (s.end - s.start) as usize
        && range.end <= t.len()
    {
        return Span::new(s.start as usize + range.start, s.start as usize + range.end);
    }
    lit.span
}

/// A parameter of a call signature.
struct Param {
    name: &'static str,
    required: bool,
}

const fn req(name: &'static str) -> Param {
    Param {
        name,
        required: true,
    }
}

const fn opt(name: &'static str) -> Param {
    Param {
        name,
        required: false,
    }
}

/// Downward API fields `field(..)` accepts (besides labels and annotations by key).
const FIELD_REFS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];

impl<'a> Checker<'a> {
    // ---- blocks --------------------------------------------------------------------------

    /// Checks a block against its schema. `parent_id` is the enclosing schema's id (for
    /// `patch` targets).
    pub(crate) fn walk_block(
        &mut self,
        b: &'a ast::Block,
        s: &'static BlockSchema,
        parent_id: &str,
    ) -> CBlock<'a> {
        self.push_scope(b.entries.iter().filter_map(|e| match e {
            ast::Entry::Let(l) => Some(l),
            _ => None,
        }));
        if let Some(t) = &b.template {
            self.emit(
                Diagnostic::new(
                    codes::NOT_SUPPORTED,
                    self.file,
                    t.span,
                    "templates are not supported yet",
                )
                .label("template instantiation")
                .help("write the block's fields out in full for now"),
            );
        }
        let errors_before = self.errors;
        let name = self.check_block_name(b, s, parent_id);
        let header = match &b.name {
            Some(n) => b.kind.span.to(n.span),
            None => b.kind.span,
        };
        let mut out = CBlock {
            schema: s,
            name,
            header,
            fields: Vec::with_capacity(b.entries.len()),
            children: Vec::new(),
            templated: b.template.is_some(),
            removed: false,
            errors: false,
        };
        // Free-key blocks can be large (hundreds of env vars): duplicates by hash.
        let mut seen_keys: SmallMap<'a, Span> = SmallMap::default();
        let mut seen_blocks: Vec<(&'static str, Span)> = Vec::new();
        for entry in &b.entries {
            match entry {
                ast::Entry::Let(_) => {}
                ast::Entry::Field(f) => {
                    if let Some(cf) = self.check_field(f, s, &mut seen_keys) {
                        out.fields.push(cf);
                    }
                }
                ast::Entry::Block(cb) => {
                    let Some(child) = s.child(&cb.kind.name) else {
                        self.unknown_block(cb, s);
                        continue;
                    };
                    if !child.many {
                        if let Some(&(_, first)) =
                            seen_blocks.iter().find(|(id, _)| *id == child.block.id)
                        {
                            self.emit(
                                Diagnostic::new(
                                    codes::DUPLICATE_BLOCK,
                                    self.file,
                                    cb.kind.span,
                                    format!("`{}` appears twice in `{}`", cb.kind.name, s.kind),
                                )
                                .label("second block")
                                .secondary(self.file, first, "first defined here")
                                .help(format!("merge the two `{}` blocks into one", cb.kind.name)),
                            );
                            continue;
                        }
                        seen_blocks.push((child.block.id, cb.kind.span));
                    }
                    let c = self.walk_block(cb, child.block, s.id);
                    out.children.push(c);
                }
            }
        }
        if !out.templated {
            self.check_required(&out, None);
        }
        self.pop_scope();
        out.errors = self.errors > errors_before;
        out
    }

    /// Reports required fields and blocks missing from a block. `at` overrides where
    /// (for blocks a profile created).
    pub(crate) fn check_required(&mut self, block: &CBlock<'a>, at: Option<Span>) {
        let s = block.schema;
        // Formatted only when something is missing.
        let what = || match block.name {
            Some((n, _)) => format!("`{} {n}`", s.kind),
            None => format!("`{}`", s.kind),
        };
        for f in s.fields() {
            if s.is_required(f) && block.get(f.name).is_none() {
                self.emit(
                    Diagnostic::new(
                        codes::MISSING_FIELD,
                        self.file,
                        at.unwrap_or(block.header),
                        format!("{} has no `{}`", what(), f.name),
                    )
                    .label(format!("`{}` is required", f.name))
                    .help(format!(
                        "add `{} = ...`: {}",
                        f.name,
                        f.ty.expectation()
                    )),
                );
            }
        }
        for c in s.children {
            if c.required && block.child(c.block.kind).is_none() {
                self.emit(
                    Diagnostic::new(
                        codes::MISSING_FIELD,
                        self.file,
                        at.unwrap_or(block.header),
                        format!("{} has no `{}` block", what(), c.block.kind),
                    )
                    .label(format!("`{}` is required", c.block.kind))
                    .help(match c.block.id {
                        "routes" => "add `routes { \"/\" = web }`: each path prefix and the service it goes to".to_string(),
                        _ => format!("add a `{} {{ ... }}` block", c.block.kind),
                    }),
                );
            }
        }
    }

    fn check_block_name(
        &mut self,
        b: &'a ast::Block,
        s: &'static BlockSchema,
        parent_id: &str,
    ) -> Option<(&'a str, Span)> {
        match (s.naming, &b.name) {
            (Naming::Anonymous, None) => None,
            (Naming::Anonymous, Some(n)) => {
                self.emit(
                    Diagnostic::new(
                        codes::BLOCK_NAME,
                        self.file,
                        n.span,
                        format!("`{}` blocks take no name", s.kind),
                    )
                    .label("unexpected name")
                    .help(format!("write `{} {{ ... }}`", s.kind)),
                );
                None
            }
            (Naming::Named | Naming::Target, None) => {
                let example = if s.naming == Naming::Target {
                    schema::patch_targets(parent_id)
                        .first()
                        .copied()
                        .unwrap_or("deployment")
                } else {
                    "my-name"
                };
                self.emit(
                    Diagnostic::new(
                        codes::BLOCK_NAME,
                        self.file,
                        b.kind.span,
                        format!("a `{}` block needs a name", s.kind),
                    )
                    .label("name missing")
                    .help(format!("write `{} {example} {{ ... }}`", s.kind)),
                );
                None
            }
            (Naming::Named, Some(n)) => {
                if let Err(p) = values::dns_label(&n.name) {
                    let mut d = Diagnostic::new(codes::INVALID_NAME, self.file, n.span, p.message)
                        .label("not a DNS-1123 label");
                    if let Some(h) = p.help {
                        d = d.help(h);
                    }
                    self.emit(d);
                }
                Some((n.name.as_str(), n.span))
            }
            (Naming::Target, Some(n)) => {
                let targets = schema::patch_targets(parent_id);
                if !targets.contains(&n.name.as_str()) {
                    let mut d = Diagnostic::new(
                        codes::UNKNOWN_WORD,
                        self.file,
                        n.span,
                        format!("`{}` generates no `{}` object to patch", parent_id, n.name),
                    )
                    .label("unknown patch target");
                    d = match self.suggest(&n.name, targets.iter().copied()) {
                        Some(s) => d.help(format!(
                            "did you mean `{s}`? a `{parent_id}` can patch {}",
                            values::quote_list(targets)
                        )),
                        None => d.help(format!(
                            "a `{parent_id}` can patch {}",
                            values::quote_list(targets)
                        )),
                    };
                    self.emit(d);
                }
                Some((n.name.as_str(), n.span))
            }
        }
    }

    fn unknown_block(&mut self, cb: &'a ast::Block, s: &'static BlockSchema) {
        let kind = cb.kind.name.as_str();
        let place = if s.id == "file" {
            "at the top level".to_string()
        } else {
            format!("in `{}`", s.kind)
        };
        let mut d = Diagnostic::new(
            codes::UNKNOWN_BLOCK,
            self.file,
            cb.kind.span,
            format!("`{kind}` blocks are not allowed {place}"),
        );
        let kinds = s.children.iter().map(|c| c.block.kind);
        if s.field(kind).is_some() {
            d = d.label("this is a field, not a block").help(format!(
                "write `{kind} = ...`: {}",
                s.field(kind)
                    .map(|f| f.ty.expectation())
                    .unwrap_or_default()
            ));
        } else if let Some(sugg) = self.suggest(kind, kinds) {
            d = d
                .label("unknown block")
                .help(format!("did you mean `{sugg}`?"));
        } else {
            let elsewhere = schema::blocks_with_child(kind);
            d = d.label("not allowed here");
            d = if elsewhere.is_empty() {
                let allowed: Vec<&str> = s.children.iter().map(|c| c.block.kind).collect();
                if allowed.is_empty() {
                    d.help(format!("`{}` contains no blocks", s.kind))
                } else {
                    d.help(format!(
                        "blocks allowed {place}: {}",
                        values::quote_list(&allowed)
                    ))
                }
            } else {
                d.help(format!(
                    "`{kind}` blocks go in {}",
                    elsewhere
                        .iter()
                        .map(|k| if *k == "file" {
                            "the top level".to_string()
                        } else {
                            format!("`{k}`")
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            };
        }
        self.emit(d);
    }

    fn check_field(
        &mut self,
        f: &'a ast::Field,
        s: &'static BlockSchema,
        seen: &mut SmallMap<'a, Span>,
    ) -> Option<CField<'a>> {
        let key = f.path.first()?;
        let dotted_ok = s.free.is_some_and(|fk| fk.dotted);
        if f.path.len() > 1 && !dotted_ok {
            let whole = f.path[0].span.to(f.path[f.path.len() - 1].span);
            self.emit(
                Diagnostic::new(
                    codes::UNKNOWN_FIELD,
                    self.file,
                    whole,
                    format!("dotted field paths are not allowed in `{}`", s.kind),
                )
                .label("dotted path")
                .help("dotted paths are for `patch` blocks and profiles; write nested blocks here"),
            );
            return None;
        }
        let ty = if let Some(free) = s.free {
            // A dotted key (a patch path) is checked by lowering against the object.
            if !free.dotted {
                self.check_key(key, free.key);
            }
            free.value
        } else {
            match s.field(&key.name) {
                Some(field) => field.ty,
                None => {
                    self.unknown_field(key, s);
                    return None;
                }
            }
        };
        // Duplicates: the key, or the whole dotted path of a patch.
        let dup_key: &'a str = if f.path.len() > 1 {
            // A patch path is compared as written (its source text): no allocation.
            let whole = f.path[0].span.to(f.path[f.path.len() - 1].span);
            self.source_slice(whole)
        } else {
            key.name.as_str()
        };
        if let Some(first) = seen.get(dup_key) {
            self.emit(
                Diagnostic::new(
                    codes::DUPLICATE_FIELD,
                    self.file,
                    key.span,
                    format!("`{dup_key}` is set twice"),
                )
                .label("set again here")
                .secondary(self.file, first, "first set here")
                .help("remove one of them; profiles give a field another value per environment"),
            );
            return None;
        }
        seen.insert(dup_key, key.span);
        let depth = self.scopes.len();
        let val = self.value(&f.value, ty, &key.name, depth);
        if matches!(val, Val::Unset)
            && let Some(field) = s.field(&key.name)
            && s.is_required(field)
        {
            self.emit(
                Diagnostic::new(
                    codes::NONE_NOT_ALLOWED,
                    self.file,
                    f.value.span,
                    format!("`{}` is required and cannot be `none`", key.name),
                )
                .label("required field")
                .help(format!("give it a value: {}", ty.expectation())),
            );
        }
        self.check_label_value(s.id, &val, f.value.span);
        Some(CField {
            key: key.name.as_str(),
            path: &f.path,
            key_span: key.span,
            val,
            span: f.value.span,
        })
    }

    /// Values of `labels` and `node_selector` are label values.
    pub(crate) fn check_label_value(&mut self, block_id: &str, val: &Val<'_>, span: Span) {
        if let Val::Str(text) = val
            && (block_id == "labels" || block_id == "node_selector")
            && !values::label_value_ok(text)
        {
            self.emit(
                Diagnostic::new(
                    codes::INVALID_LABEL,
                    self.file,
                    span,
                    format!("`{text}` is not a valid label value"),
                )
                .label("invalid label value")
                .help("label values are up to 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit; use `annotations` for free text"),
            );
        }
    }

    /// Checks the key of a free-key block.
    pub(crate) fn check_key(&mut self, key: &'a ast::Key, ty: KeyTy) {
        let k = key.name.as_str();
        match ty {
            KeyTy::EnvName => {
                if !values::is_c_identifier(k) {
                    let fixed = values::suggest_env_name(k);
                    self.emit(
                        Diagnostic::new(
                            codes::INVALID_ENV_NAME,
                            self.file,
                            key.span,
                            format!("`{k}` is not a valid env var name"),
                        )
                        .label("not a C identifier")
                        .help(format!(
                            "env var names are letters, digits and `_`, not starting with a digit: write `{fixed}`"
                        )),
                    );
                }
            }
            KeyTy::LabelKey | KeyTy::AnnotationKey => {
                if let Err(p) = values::qualified_name(k) {
                    let mut d =
                        Diagnostic::new(codes::INVALID_LABEL, self.file, key.span, p.message)
                            .label("invalid key");
                    if let Some(h) = p.help {
                        d = d.help(h);
                    }
                    self.emit(d);
                }
            }
            KeyTy::PortName => {
                if let Err(p) = values::port_name(k) {
                    let mut d =
                        Diagnostic::new(codes::INVALID_PORT_NAME, self.file, key.span, p.message)
                            .label("invalid port name");
                    if let Some(h) = p.help {
                        d = d.help(h);
                    }
                    self.emit(d);
                }
            }
            KeyTy::UrlPath => {
                if !k.starts_with('/') {
                    self.emit(
                        Diagnostic::new(
                            codes::BAD_PATH,
                            self.file,
                            key.span,
                            format!("route path `{k}` does not start with `/`"),
                        )
                        .label("not an absolute path")
                        .help(format!("write `\"/{k}\"`")),
                    );
                }
            }
            KeyTy::ObjectPath => {}
        }
    }

    fn unknown_field(&mut self, key: &'a ast::Key, s: &'static BlockSchema) {
        let name = key.name.as_str();
        let mut d = Diagnostic::new(
            codes::UNKNOWN_FIELD,
            self.file,
            key.span,
            format!("`{}` has no field `{name}`", s.kind),
        );
        if s.child(name).is_some() {
            d = d
                .label("this is a block, not a field")
                .help(format!("write `{name} {{ ... }}`"));
        } else if s.id == "init" && name == "health" {
            d = d.label("init containers have no probes").help(
                "an init container runs to completion before the others start: Kubernetes allows it no probes; remove `health`",
            );
        } else if let Some(sugg) = self.suggest(name, s.fields().map(|f| f.name)) {
            d = d
                .label("unknown field")
                .help(format!("did you mean `{sugg}`?"));
        } else {
            let elsewhere = schema::blocks_with_field(name);
            d = d.label("unknown field");
            d = if !elsewhere.is_empty() {
                d.help(format!(
                    "`{name}` is a field of {}, not of `{}`",
                    values::quote_list(&elsewhere),
                    s.kind
                ))
            } else {
                let names: Vec<&str> = s.fields().map(|f| f.name).collect();
                d.help(format!(
                    "`{}` fields: {}",
                    s.kind,
                    values::quote_list(&names)
                ))
            };
        }
        self.emit(d);
    }

    // ---- values --------------------------------------------------------------------------

    fn mismatch(&mut self, e: &ast::Expr, ty: Ty, field: &str, help: Option<String>) -> Val<'a> {
        let mut d = Diagnostic::new(
            codes::TYPE_MISMATCH,
            self.file,
            e.span,
            format!(
                "`{field}` expects {}, found {}",
                ty.expectation(),
                describe(e)
            ),
        )
        .label(format!("expected {}", ty.describe()));
        if let Some(h) = help {
            d = d.help(h);
        }
        self.emit(d);
        Val::Error
    }

    /// Checks an expression against a type. `depth` is how many scopes are visible (a
    /// `let` value is checked in the scope it was defined in).
    pub(crate) fn value(&mut self, e: &'a ast::Expr, ty: Ty, field: &str, depth: usize) -> Val<'a> {
        // `none` is a word of some enums (`compatible = none`).
        if let (ast::ExprKind::None, Ty::Enum(words)) = (&e.kind, ty)
            && words.contains(&"none")
        {
            return Val::Enum("none");
        }
        if let ast::ExprKind::None = e.kind {
            return Val::Unset;
        }
        if let ast::ExprKind::Ref(path) = &e.kind
            && let [id] = path.as_slice()
            && let Some((d, l)) = self.lookup_let(&id.name, depth)
        {
            return self.let_value(l, d, ty, field);
        }
        match ty {
            Ty::Str => match self.text(e, field, depth) {
                Some(t) => Val::Str(t),
                None => Val::Error,
            },
            Ty::Int { min, max } => self.int(e, ty, field, min, max),
            Ty::Bool => match &e.kind {
                ast::ExprKind::Bool(b) => Val::Bool(*b),
                ast::ExprKind::Str(l)
                    if matches!(l.as_plain().as_deref(), Some("true" | "false")) =>
                {
                    let t = l.as_plain().unwrap_or_default();
                    self.mismatch(e, ty, field, Some(format!("write `{t}` without quotes")))
                }
                _ => self.mismatch(e, ty, field, None),
            },
            Ty::Name => self.name_value(e, field, depth),
            Ty::Image => self.image(e, field, depth),
            Ty::Port => self.port(e, field),
            Ty::Cpu | Ty::Memory => self.quantity(e, ty, field),
            Ty::Duration => match &e.kind {
                ast::ExprKind::Number(n) => match values::duration(&n.digits, &n.unit) {
                    Ok(d) => Val::Duration(d),
                    Err(p) => self.problem(codes::BAD_DURATION, e.span, p, "invalid duration"),
                },
                ast::ExprKind::Str(l) => {
                    let help = l.as_plain().map(|t| format!("write `{t}` without quotes"));
                    self.mismatch(e, ty, field, help)
                }
                _ => self.mismatch(e, ty, field, None),
            },
            Ty::Percent => {
                match &e.kind {
                    ast::ExprKind::Number(n) if n.unit == "%" => match n.digits.parse::<u32>() {
                        Ok(p) if (1..=1000).contains(&p) => Val::Percent(p),
                        _ => {
                            self.emit(
                                Diagnostic::new(
                                    codes::OUT_OF_RANGE,
                                    self.file,
                                    e.span,
                                    format!("`{field}` must be a whole percentage from 1% to 1000%"),
                                )
                                .label("out of range")
                                .help("utilisation targets are relative to the request: `70%` is typical"),
                            );
                            Val::Error
                        }
                    },
                    ast::ExprKind::Number(n) if n.unit.is_empty() => {
                        let help = format!("write `{}%`", n.digits);
                        self.mismatch(e, ty, field, Some(help))
                    }
                    _ => self.mismatch(e, ty, field, None),
                }
            }
            Ty::Cidr => self.validated_str(
                e,
                ty,
                field,
                depth,
                codes::BAD_CIDR,
                values::cidr,
                "invalid CIDR",
            ),
            Ty::Cron => self.validated_str(
                e,
                ty,
                field,
                depth,
                codes::BAD_CRON,
                values::cron,
                "invalid schedule",
            ),
            Ty::Host => self.validated_str(
                e,
                ty,
                field,
                depth,
                codes::INVALID_HOST,
                values::host,
                "invalid host name",
            ),
            Ty::Capability => self.validated_str(
                e,
                ty,
                field,
                depth,
                codes::UNKNOWN_CAPABILITY,
                values::capability,
                "unknown capability",
            ),
            Ty::Path => self.validated_str(
                e,
                ty,
                field,
                depth,
                codes::BAD_PATH,
                |t| {
                    if t.starts_with('/') {
                        Ok(())
                    } else {
                        Err(values::Problem {
                            message: format!("`{t}` is not an absolute path"),
                            help: Some(format!("write `\"/{t}\"`")),
                            range: None,
                        })
                    }
                },
                "not absolute",
            ),
            Ty::Enum(words) => match &e.kind {
                ast::ExprKind::Ref(p) if p.len() == 1 => {
                    let w = p[0].name.as_str();
                    match words.iter().find(|x| **x == w) {
                        Some(x) => Val::Enum(x),
                        None => {
                            let mut d = Diagnostic::new(
                                codes::UNKNOWN_WORD,
                                self.file,
                                e.span,
                                format!("`{w}` is not a valid `{field}`"),
                            )
                            .label(format!("not one of {}", values::quote_list(words)));
                            d = match self.suggest(w, words.iter().copied()) {
                                Some(s) => d.help(format!("did you mean `{s}`?")),
                                None => d.help(format!(
                                    "`{field}` is one of {}",
                                    values::quote_list(words)
                                )),
                            };
                            self.emit(d);
                            Val::Error
                        }
                    }
                }
                ast::ExprKind::Str(l) => {
                    let help = l
                        .as_plain()
                        .filter(|t| words.contains(&t.as_str()))
                        .map(|t| format!("write `{t}` without quotes"));
                    self.mismatch(e, ty, field, help)
                }
                _ => self.mismatch(e, ty, field, None),
            },
            Ty::List(inner) => match &e.kind {
                ast::ExprKind::List(items) => Val::List(
                    items
                        .iter()
                        .map(|i| Sp {
                            v: self.value(i, *inner, field, depth),
                            span: i.span,
                        })
                        .collect(),
                ),
                _ => {
                    // A reference in quotes is most likely meant bare.
                    let text = match (&e.kind, inner) {
                        (ast::ExprKind::Str(l), Ty::Ref(_)) => l.as_plain(),
                        _ => None,
                    };
                    let help = Some(format!(
                        "write a list: `[{}]`",
                        text.as_deref().unwrap_or(self.source_slice(e.span))
                    ));
                    self.mismatch(e, ty, field, help)
                }
            },
            Ty::Range(inner) => match &e.kind {
                ast::ExprKind::Range(a, b) => {
                    let va = self.value(a, *inner, field, depth);
                    let vb = self.value(b, *inner, field, depth);
                    let inverted = match (&va, &vb) {
                        (Val::Cpu(x), Val::Cpu(y)) => x.millis > y.millis,
                        (Val::Memory(x), Val::Memory(y)) => x.bytes > y.bytes,
                        (Val::Int(x), Val::Int(y)) => x > y,
                        _ => false,
                    };
                    if inverted {
                        let what = if matches!(inner, Ty::Cpu | Ty::Memory) {
                            "the request is larger than the limit"
                        } else {
                            "the start is larger than the end"
                        };
                        self.emit(
                            Diagnostic::new(
                                codes::INVERTED_RANGE,
                                self.file,
                                a.span,
                                format!(
                                    "`{field}` range `{}` is inverted: {what}",
                                    self.source_slice(e.span)
                                ),
                            )
                            .label("larger")
                            .secondary(self.file, b.span, "than this")
                            .help(format!(
                                "write `{} .. {}`",
                                self.source_slice(b.span),
                                self.source_slice(a.span)
                            )),
                        );
                        return Val::Error;
                    }
                    Val::Range(
                        Box::new(Sp {
                            v: va,
                            span: a.span,
                        }),
                        Box::new(Sp {
                            v: vb,
                            span: b.span,
                        }),
                    )
                }
                _ => {
                    let v = self.value(e, *inner, field, depth);
                    if matches!(v, Val::Unset | Val::Error) {
                        return v;
                    }
                    Val::Range(
                        Box::new(Sp {
                            v: v.clone(),
                            span: e.span,
                        }),
                        Box::new(Sp { v, span: e.span }),
                    )
                }
            },
            Ty::Probe => self.probe(e, field, depth),
            Ty::Ref(_) => match &e.kind {
                ast::ExprKind::Ref(p) if p.len() == 1 => Val::Ref(p[0].name.clone()),
                ast::ExprKind::Ref(p) => {
                    self.emit(
                        Diagnostic::new(
                            codes::UNDEFINED_NAME,
                            self.file,
                            e.span,
                            format!("`{}` is not defined", join_path(p)),
                        )
                        .label("qualified names need `import`")
                        .help("imports are not supported yet: name a block of this app"),
                    );
                    Val::Error
                }
                ast::ExprKind::Str(l) => {
                    let help = l.as_plain().map(|t| format!("write `{t}` without quotes"));
                    self.mismatch(e, ty, field, help)
                }
                _ => self.mismatch(e, ty, field, None),
            },
            Ty::EnvValue => self.env_value(e, field, depth),
            Ty::EnvFrom => self.env_from(e, field, depth),
            Ty::Toleration => self.toleration(e, field, depth),
            Ty::File => self.file_value(e, field, depth),
            Ty::Json => self
                .json(e, field, depth)
                .map(Val::Json)
                .unwrap_or(Val::Error),
        }
    }

    fn problem(
        &mut self,
        code: crate::diag::Code,
        span: Span,
        p: values::Problem,
        label: &str,
    ) -> Val<'a> {
        let mut d = Diagnostic::new(code, self.file, span, p.message).label(label);
        if let Some(h) = p.help {
            d = d.help(h);
        }
        self.emit(d);
        Val::Error
    }

    /// A string checked by `validate`; the problem's byte range is mapped into the
    /// literal when possible.
    #[allow(clippy::too_many_arguments)]
    fn validated_str(
        &mut self,
        e: &'a ast::Expr,
        ty: Ty,
        field: &str,
        depth: usize,
        code: crate::diag::Code,
        validate: impl Fn(&str) -> Result<(), values::Problem>,
        label: &str,
    ) -> Val<'a> {
        let ast::ExprKind::Str(lit) = &e.kind else {
            return self.mismatch(e, ty, field, None);
        };
        let Some(text) = self.interpolate(lit, depth) else {
            return Val::Error;
        };
        match validate(&text) {
            Ok(()) => Val::Str(text),
            Err(p) => {
                let span = match &p.range {
                    Some(r) => sub_span(lit, r.clone()),
                    None => e.span,
                };
                self.problem(code, span, p, label)
            }
        }
    }

    fn int(&mut self, e: &'a ast::Expr, ty: Ty, field: &str, min: i64, max: i64) -> Val<'a> {
        match &e.kind {
            ast::ExprKind::Number(n) if n.unit.is_empty() && !n.digits.contains('.') => {
                match n.digits.parse::<i64>() {
                    Ok(v) if v >= min && v <= max => Val::Int(v),
                    _ => {
                        self.emit(
                            Diagnostic::new(
                                codes::OUT_OF_RANGE,
                                self.file,
                                e.span,
                                format!("`{field}` must be between {min} and {max}"),
                            )
                            .label("out of range")
                            .help(format!("use a value from {min} to {max}")),
                        );
                        Val::Error
                    }
                }
            }
            ast::ExprKind::Str(l) => {
                let help = l
                    .as_plain()
                    .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                    .map(|t| format!("write `{t}` without quotes"));
                self.mismatch(e, ty, field, help)
            }
            ast::ExprKind::Range(..) if field == "replicas" => self.mismatch(
                e,
                ty,
                field,
                Some(
                    "for a varying number of replicas, use `autoscale { min = .. max = .. }`"
                        .into(),
                ),
            ),
            _ => self.mismatch(e, ty, field, None),
        }
    }

    fn port(&mut self, e: &'a ast::Expr, field: &str) -> Val<'a> {
        match &e.kind {
            ast::ExprKind::Number(n) if n.unit.is_empty() && !n.digits.contains('.') => {
                match n.digits.parse::<u64>() {
                    Ok(p) if (1..=65535).contains(&p) => Val::Port(p as u16),
                    _ => {
                        self.emit(
                            Diagnostic::new(
                                codes::PORT_OUT_OF_RANGE,
                                self.file,
                                e.span,
                                format!("port {} is out of range", n.digits),
                            )
                            .label("not in 1..=65535")
                            .help("ports are numbers from 1 to 65535"),
                        );
                        Val::Error
                    }
                }
            }
            _ => self.mismatch(e, Ty::Port, field, None),
        }
    }

    fn quantity(&mut self, e: &'a ast::Expr, ty: Ty, field: &str) -> Val<'a> {
        let ast::ExprKind::Number(n) = &e.kind else {
            let help = match &e.kind {
                ast::ExprKind::Str(l) => {
                    l.as_plain().map(|t| format!("write `{t}` without quotes"))
                }
                _ => None,
            };
            return self.mismatch(e, ty, field, help);
        };
        let r = if ty == Ty::Cpu {
            values::cpu(&n.digits, &n.unit).map(Val::Cpu)
        } else {
            values::memory(&n.digits, &n.unit).map(Val::Memory)
        };
        match r {
            Ok(v) => v,
            Err(QuantityError::Mixup(p)) => {
                let label = if ty == Ty::Cpu {
                    "memory, not CPU"
                } else {
                    "CPU, not memory"
                };
                self.problem(codes::CPU_MEMORY_MIXUP, e.span, p, label)
            }
            Err(QuantityError::Malformed(p)) => {
                self.problem(codes::BAD_QUANTITY, e.span, p, "invalid quantity")
            }
        }
    }

    fn name_value(&mut self, e: &'a ast::Expr, field: &str, depth: usize) -> Val<'a> {
        let ast::ExprKind::Str(lit) = &e.kind else {
            let help = match &e.kind {
                ast::ExprKind::Ref(p) if p.len() == 1 => {
                    Some(format!("write the name in quotes: `\"{}\"`", p[0].name))
                }
                _ => None,
            };
            if let (Some(h), ast::ExprKind::Ref(p)) = (&help, &e.kind) {
                // A bare word that is not a `let`: most likely a name without quotes.
                self.emit(
                    Diagnostic::new(
                        codes::UNDEFINED_NAME,
                        self.file,
                        e.span,
                        format!("`{}` is not defined", join_path(p)),
                    )
                    .label("not a `let` binding")
                    .help(h.clone()),
                );
                return Val::Error;
            }
            return self.mismatch(e, Ty::Name, field, help);
        };
        let Some(text) = self.interpolate(lit, depth) else {
            return Val::Error;
        };
        match values::dns_label(&text) {
            Ok(()) => Val::Str(text),
            Err(p) => self.problem(codes::INVALID_NAME, e.span, p, "not a DNS-1123 label"),
        }
    }

    fn image(&mut self, e: &'a ast::Expr, field: &str, depth: usize) -> Val<'a> {
        let ast::ExprKind::Str(lit) = &e.kind else {
            return self.mismatch(e, Ty::Image, field, None);
        };
        let Some(text) = self.interpolate(lit, depth) else {
            return Val::Error;
        };
        match values::image(&text) {
            Ok(r) => {
                let tag_span = r
                    .tag_range
                    .clone()
                    .map(|rg| sub_span(lit, rg))
                    .filter(|s| *s != lit.span);
                Val::Image(Box::new(ImageVal {
                    image: Image {
                        reference: text.into_owned(),
                        repository: r.repository,
                        tag: r.tag,
                        digest: r.digest,
                        loc: Loc {
                            file: self.file,
                            span: e.span,
                        },
                    },
                    tag_span,
                }))
            }
            Err(p) => {
                let span = match &p.range {
                    Some(r) => sub_span(lit, r.clone()),
                    None => e.span,
                };
                self.problem(codes::BAD_IMAGE, span, p, "invalid image reference")
            }
        }
    }

    /// Reports a bare word used where text is expected and no `let` of that name exists.
    fn undefined_text_name(&mut self, path: &[ast::Ident], span: Span, depth: usize) {
        let name = join_path(path);
        let mut d = Diagnostic::new(
            codes::UNDEFINED_NAME,
            self.file,
            span,
            format!("`{name}` is not defined"),
        )
        .label("not a `let` binding");
        d = match self.suggest_let(&name, depth) {
            Some(s) => d.help(format!("did you mean `{s}`? for text, write `\"{name}\"`")),
            None => d.help(format!("for text, write it in quotes: `\"{name}\"`")),
        };
        self.emit(d);
    }

    /// A string's text with interpolations expanded, or a text form of a scalar.
    fn text(&mut self, e: &'a ast::Expr, field: &str, depth: usize) -> Option<Cow<'a, str>> {
        match &e.kind {
            ast::ExprKind::Str(lit) => self.interpolate(lit, depth),
            ast::ExprKind::Ref(p) => {
                self.undefined_text_name(p, e.span, depth);
                None
            }
            ast::ExprKind::Number(n) => {
                let t = format!("{}{}", n.digits, n.unit);
                self.mismatch(e, Ty::Str, field, Some(format!("write `\"{t}\"`")));
                None
            }
            _ => {
                self.mismatch(e, Ty::Str, field, None);
                None
            }
        }
    }

    /// Expands `${..}` in a string literal: `let` bindings (scalars) and the built-in
    /// names `app` and `namespace`.
    /// Plain text (no `${..}`, the usual case) is borrowed from the tree, not copied.
    pub(crate) fn interpolate(
        &mut self,
        lit: &'a ast::StrLit,
        depth: usize,
    ) -> Option<Cow<'a, str>> {
        match lit.parts.as_slice() {
            [] => return Some(Cow::Borrowed("")),
            [ast::StrPart::Text(t, _)] => return Some(Cow::Borrowed(t.as_str())),
            _ => {}
        }
        let mut out = String::new();
        let mut ok = true;
        for part in &lit.parts {
            if self.string_too_long {
                return None;
            }
            match part {
                ast::StrPart::Text(t, _) => out.push_str(t),
                ast::StrPart::Interp(e) => {
                    if !self.interp_into(e, depth, &mut out) {
                        ok = false;
                    }
                }
            }
            if out.len() > super::MAX_STRING_BYTES {
                self.string_too_long = true;
                self.emit(
                    Diagnostic::new(
                        codes::INPUT_TOO_LARGE,
                        self.file,
                        lit.span,
                        format!(
                            "this string is longer than {} MiB once interpolated",
                            super::MAX_STRING_BYTES / (1024 * 1024)
                        ),
                    )
                    .label("expands to more than 1 MiB")
                    .help("bindings that interpolate each other multiply the length: build the value from fewer pieces"),
                );
                return None;
            }
        }
        ok.then_some(Cow::Owned(out))
    }

    /// Appends the text of one `${..}` to `out`; false (and diagnostics) if it has none.
    fn interp_into(&mut self, e: &'a ast::Expr, depth: usize, out: &mut String) -> bool {
        use std::fmt::Write;
        match &e.kind {
            ast::ExprKind::Ref(p) if p.len() == 1 => {
                let name = p[0].name.as_str();
                if let Some((d, l)) = self.lookup_let(name, depth) {
                    return match self.let_scalar(l, d) {
                        Some(t) => {
                            out.push_str(&t);
                            true
                        }
                        None => false,
                    };
                }
                if let Some(v) = self.builtin(name) {
                    out.push_str(v);
                    return true;
                }
                let mut d = Diagnostic::new(
                    codes::UNDEFINED_NAME,
                    self.file,
                    e.span,
                    format!("`{name}` is not defined"),
                )
                .label("unknown name in interpolation");
                d = match self.suggest_let(name, depth) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("interpolation takes a `let` binding or a built-in name (`app`, `namespace`)"),
                };
                self.emit(d);
                false
            }
            ast::ExprKind::Str(l) => match self.interpolate(l, depth) {
                Some(t) => {
                    out.push_str(&t);
                    true
                }
                None => false,
            },
            ast::ExprKind::Number(n) => {
                out.push_str(&n.digits);
                out.push_str(&n.unit);
                true
            }
            ast::ExprKind::Bool(b) => {
                let _ = write!(out, "{b}");
                true
            }
            _ => {
                self.emit(
                    Diagnostic::new(
                        codes::TYPE_MISMATCH,
                        self.file,
                        e.span,
                        format!("{} cannot be interpolated into a string", describe(e)),
                    )
                    .label("not a name or a literal")
                    .help("interpolate a `let` binding holding a string or a number"),
                );
                false
            }
        }
    }

    /// A `let` value as text, for interpolation: evaluated once per app context and
    /// reused (see [`Checker::let_cache`]), so bindings that interpolate each other
    /// twice cost their length, not two to the power of their depth.
    fn let_scalar(&mut self, l: &'a ast::Let, depth: usize) -> Option<Arc<str>> {
        let id = l.name.span.start;
        let at = self.expanding.len();
        if let Some(c) = self.let_cache.get(&id)
            && at + c.height <= super::MAX_LET_DEPTH
        {
            // What evaluating it again here would do: the same text, or the same
            // diagnostics (already emitted, so deduplicated), as deep as before.
            self.deepest = self.deepest.max(at + c.height);
            return c.text.clone();
        }
        if !self.enter_let(l) {
            return None;
        }
        let outer_deepest = std::mem::replace(&mut self.deepest, self.expanding.len());
        let cycles = self.cycles;
        let r: Option<Arc<str>> = match &l.value.kind {
            ast::ExprKind::Str(lit) => self.interpolate(lit, depth).map(|t| Arc::from(t.as_ref())),
            ast::ExprKind::Number(n) => Some(Arc::from(format!("{}{}", n.digits, n.unit))),
            ast::ExprKind::Bool(b) => Some(Arc::from(b.to_string())),
            ast::ExprKind::Ref(p) if p.len() == 1 => {
                let mut out = String::new();
                self.interp_into(&l.value, depth, &mut out)
                    .then(|| Arc::from(out))
            }
            _ => {
                self.emit(
                    Diagnostic::new(
                        codes::TYPE_MISMATCH,
                        self.file,
                        l.value.span,
                        format!(
                            "`{}` is {}, which cannot be interpolated into a string",
                            l.name.name,
                            describe(&l.value)
                        ),
                    )
                    .label("not a string or a number")
                    .help("only strings, numbers and booleans can be interpolated"),
                );
                None
            }
        };
        self.leave_let();
        let height = self.deepest - at;
        self.deepest = self.deepest.max(outer_deepest);
        // A cycle reported inside depends on where the expansion entered it, and once a
        // string went past the limit every expansion stops: neither is reused.
        if self.cycles == cycles && !self.string_too_long {
            self.let_cache.insert(
                id,
                super::CachedLet {
                    text: r.clone(),
                    height,
                },
            );
        }
        r
    }

    fn let_value(&mut self, l: &'a ast::Let, depth: usize, ty: Ty, field: &str) -> Val<'a> {
        if !self.enter_let(l) {
            return Val::Error;
        }
        let v = self.value(&l.value, ty, field, depth);
        self.leave_let();
        v
    }

    // ---- calls ---------------------------------------------------------------------------

    /// Matches a call's arguments to a signature; reports every mismatch.
    fn bind(
        &mut self,
        c: &'a ast::Call,
        params: &[Param],
        sig: &str,
    ) -> Option<Vec<Option<&'a ast::Expr>>> {
        let mut out: Vec<Option<&'a ast::Expr>> = vec![None; params.len()];
        let mut ok = true;
        let mut pos = 0;
        for a in &c.args {
            match &a.name {
                None => {
                    if pos >= params.len() {
                        self.emit(
                            Diagnostic::new(
                                codes::BAD_CALL,
                                self.file,
                                a.span,
                                format!(
                                    "`{}` takes at most {} argument{}",
                                    c.func.name,
                                    params.len(),
                                    if params.len() == 1 { "" } else { "s" }
                                ),
                            )
                            .label("extra argument")
                            .help(format!("write `{sig}`")),
                        );
                        ok = false;
                        continue;
                    }
                    out[pos] = Some(&a.value);
                    pos += 1;
                }
                Some(n) => match params.iter().position(|p| p.name == n.name) {
                    Some(i) if out[i].is_none() => out[i] = Some(&a.value),
                    Some(_) => {
                        self.emit(
                            Diagnostic::new(
                                codes::BAD_CALL,
                                self.file,
                                a.span,
                                format!("argument `{}` is given twice", n.name),
                            )
                            .label("given again")
                            .help(format!("write `{sig}`")),
                        );
                        ok = false;
                    }
                    None => {
                        let mut d = Diagnostic::new(
                            codes::BAD_CALL,
                            self.file,
                            n.span,
                            format!("`{}` has no argument `{}`", c.func.name, n.name),
                        )
                        .label("unknown argument");
                        d = match self.suggest(&n.name, params.iter().map(|p| p.name)) {
                            Some(s) => d.help(format!("did you mean `{s}`? write `{sig}`")),
                            None => d.help(format!("write `{sig}`")),
                        };
                        self.emit(d);
                        ok = false;
                    }
                },
            }
        }
        for (i, p) in params.iter().enumerate() {
            if p.required && out[i].is_none() {
                self.emit(
                    Diagnostic::new(
                        codes::BAD_CALL,
                        self.file,
                        c.span,
                        format!("`{}` needs its `{}` argument", c.func.name, p.name),
                    )
                    .label(format!("`{}` missing", p.name))
                    .help(format!("write `{sig}`")),
                );
                ok = false;
            }
        }
        ok.then_some(out)
    }

    fn unknown_call(
        &mut self,
        c: &'a ast::Call,
        field: &str,
        ty: Ty,
        known: &[&'static str],
    ) -> Val<'a> {
        let mut d = Diagnostic::new(
            codes::BAD_CALL,
            self.file,
            c.func.span,
            format!("`{}` is not a function `{field}` accepts", c.func.name),
        )
        .label("unknown function");
        d = match self.suggest(&c.func.name, known.iter().copied()) {
            Some(s) => d.help(format!(
                "did you mean `{s}`? `{field}` expects {}",
                ty.expectation()
            )),
            None => d.help(format!("`{field}` expects {}", ty.expectation())),
        };
        self.emit(d);
        Val::Error
    }

    fn call_str(&mut self, e: Option<&'a ast::Expr>, field: &str, depth: usize) -> Option<String> {
        let e = e?;
        self.text(e, field, depth).map(Cow::into_owned)
    }

    /// An object name in a call (`secret("csis-db", ..)`): a DNS subdomain.
    fn call_object_name(
        &mut self,
        e: Option<&'a ast::Expr>,
        field: &str,
        depth: usize,
    ) -> Option<String> {
        let e = e?;
        let t = self.text(e, field, depth)?;
        if !values::is_dns_subdomain(&t) {
            self.emit(
                Diagnostic::new(
                    codes::INVALID_NAME,
                    self.file,
                    e.span,
                    format!("`{t}` is not a valid Kubernetes object name"),
                )
                .label("not a DNS-1123 subdomain")
                .help(format!(
                    "object names are lowercase letters, digits, `-` and `.`: `{}`",
                    values::suggest_label(&t)
                )),
            );
            return None;
        }
        Some(t.into_owned())
    }

    fn probe(&mut self, e: &'a ast::Expr, field: &str, depth: usize) -> Val<'a> {
        let ast::ExprKind::Call(c) = &e.kind else {
            let help = match &e.kind {
                ast::ExprKind::Str(l) => l
                    .as_plain()
                    .filter(|t| t.starts_with('/'))
                    .map(|t| format!("write `http(\"{t}\")`")),
                ast::ExprKind::Number(n) => Some(format!("write `tcp({})`", n.digits)),
                _ => None,
            };
            return self.mismatch(e, Ty::Probe, field, help);
        };
        match c.func.name.as_str() {
            "http" => {
                let Some(args) =
                    self.bind(c, &[req("path"), opt("port")], "http(\"/path\", port = N)")
                else {
                    return Val::Error;
                };
                let path = match args[0] {
                    Some(pe) => match self.text(pe, "path", depth) {
                        Some(p) if p.starts_with('/') => Some(p),
                        Some(p) => {
                            self.emit(
                                Diagnostic::new(
                                    codes::BAD_PATH,
                                    self.file,
                                    pe.span,
                                    format!("probe path `{p}` does not start with `/`"),
                                )
                                .label("not an absolute path")
                                .help(format!("write `\"/{p}\"`")),
                            );
                            None
                        }
                        None => None,
                    },
                    None => None,
                };
                let port = self.opt_port(args[1], depth);
                match (path, port) {
                    (Some(path), Ok(port)) => Val::Probe(ProbeCheck::Http {
                        path: path.into_owned(),
                        port,
                    }),
                    _ => Val::Error,
                }
            }
            "tcp" => {
                let Some(args) = self.bind(c, &[opt("port")], "tcp(port)") else {
                    return Val::Error;
                };
                match self.opt_port(args[0], depth) {
                    Ok(port) => Val::Probe(ProbeCheck::Tcp { port }),
                    Err(()) => Val::Error,
                }
            }
            "exec" => {
                let Some(args) = self.bind(c, &[req("command")], "exec([\"cmd\", \"arg\"])") else {
                    return Val::Error;
                };
                let Some(ce) = args[0] else { return Val::Error };
                match self.value(ce, Ty::List(&Ty::Str), "command", depth) {
                    Val::List(items) => {
                        let mut command = Vec::new();
                        for i in items {
                            match i.v {
                                Val::Str(s) => command.push(s.into_owned()),
                                _ => return Val::Error,
                            }
                        }
                        if command.is_empty() {
                            self.emit(
                                Diagnostic::new(
                                    codes::BAD_CALL,
                                    self.file,
                                    ce.span,
                                    "`exec` needs a command",
                                )
                                .label("empty list")
                                .help("write `exec([\"pg_isready\"])`"),
                            );
                            return Val::Error;
                        }
                        Val::Probe(ProbeCheck::Exec { command })
                    }
                    _ => Val::Error,
                }
            }
            _ => self.unknown_call(c, field, Ty::Probe, &["http", "tcp", "exec"]),
        }
    }

    fn opt_port(&mut self, e: Option<&'a ast::Expr>, depth: usize) -> Result<Option<u16>, ()> {
        match e {
            None => Ok(None),
            Some(pe) => match self.value(pe, Ty::Port, "port", depth) {
                Val::Port(p) => Ok(Some(p)),
                _ => Err(()),
            },
        }
    }

    fn env_value(&mut self, e: &'a ast::Expr, field: &str, depth: usize) -> Val<'a> {
        match &e.kind {
            ast::ExprKind::Str(lit) => match self.interpolate(lit, depth) {
                Some(t) => Val::EnvPlain(t),
                None => Val::Error,
            },
            ast::ExprKind::Number(n) => {
                Val::EnvPlain(Cow::Owned(format!("{}{}", n.digits, n.unit)))
            }
            ast::ExprKind::Bool(b) => {
                Val::EnvPlain(Cow::Borrowed(if *b { "true" } else { "false" }))
            }
            ast::ExprKind::Call(c) => match c.func.name.as_str() {
                "secret" | "config_map" => {
                    let sig = format!("{}(\"name\", \"key\")", c.func.name);
                    let Some(args) = self.bind(c, &[req("name"), req("key")], &sig) else {
                        return Val::Error;
                    };
                    let name = self.call_object_name(args[0], "name", depth);
                    let key = self.call_str(args[1], "key", depth);
                    match (name, key) {
                        (Some(name), Some(key)) if c.func.name == "secret" => {
                            Val::Env(EnvValue::Secret { name, key })
                        }
                        (Some(name), Some(key)) => Val::Env(EnvValue::ConfigMap { name, key }),
                        _ => Val::Error,
                    }
                }
                "field" => {
                    let Some(args) = self.bind(c, &[req("path")], "field(\"metadata.name\")")
                    else {
                        return Val::Error;
                    };
                    let Some(pe) = args[0] else { return Val::Error };
                    let Some(path) = self.text(pe, "path", depth) else {
                        return Val::Error;
                    };
                    let by_key = ["metadata.labels['", "metadata.annotations['"]
                        .iter()
                        .any(|p| path.starts_with(p) && path.ends_with("']"));
                    if !FIELD_REFS.contains(&path.as_ref()) && !by_key {
                        let mut d = Diagnostic::new(
                            codes::UNKNOWN_WORD,
                            self.file,
                            pe.span,
                            format!("`{path}` is not a field the downward API exposes"),
                        )
                        .label("unknown pod field");
                        d = match self.suggest(&path, FIELD_REFS.iter().copied()) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d.help(format!(
                                "pod fields: {}, `metadata.labels['key']`, `metadata.annotations['key']`",
                                values::quote_list(FIELD_REFS)
                            )),
                        };
                        self.emit(d);
                        return Val::Error;
                    }
                    Val::Env(EnvValue::Field(path.into_owned()))
                }
                _ => self.unknown_call(c, field, Ty::EnvValue, &["secret", "config_map", "field"]),
            },
            ast::ExprKind::Ref(p) => {
                let name = join_path(p);
                let mut d = Diagnostic::new(
                    codes::UNDEFINED_NAME,
                    self.file,
                    e.span,
                    format!("`{name}` is not defined"),
                )
                .label("not a `let` binding");
                d = match self.suggest_let(&name, depth) {
                    Some(s) => d.help(format!("did you mean `{s}`? for text, write `\"{name}\"`")),
                    None => d.help(format!("for text, write it in quotes: `\"{name}\"`")),
                };
                self.emit(d);
                Val::Error
            }
            _ => self.mismatch(e, Ty::EnvValue, field, None),
        }
    }

    fn env_from(&mut self, e: &'a ast::Expr, field: &str, depth: usize) -> Val<'a> {
        let ast::ExprKind::Call(c) = &e.kind else {
            let help = match &e.kind {
                ast::ExprKind::Str(l) => l
                    .as_plain()
                    .map(|t| format!("write `secret(\"{t}\")` or `config_map(\"{t}\")`")),
                _ => None,
            };
            return self.mismatch(e, Ty::EnvFrom, field, help);
        };
        match c.func.name.as_str() {
            "secret" | "config_map" => {
                let sig = format!("{}(\"name\")", c.func.name);
                let Some(args) = self.bind(c, &[req("name")], &sig) else {
                    return Val::Error;
                };
                match self.call_object_name(args[0], "name", depth) {
                    Some(n) if c.func.name == "secret" => Val::EnvFrom(EnvFrom::Secret(n)),
                    Some(n) => Val::EnvFrom(EnvFrom::ConfigMap(n)),
                    None => Val::Error,
                }
            }
            _ => self.unknown_call(c, field, Ty::EnvFrom, &["secret", "config_map"]),
        }
    }

    fn toleration(&mut self, e: &'a ast::Expr, field: &str, depth: usize) -> Val<'a> {
        let ast::ExprKind::Call(c) = &e.kind else {
            return self.mismatch(e, Ty::Toleration, field, None);
        };
        if c.func.name != "toleration" {
            return self.unknown_call(c, field, Ty::Toleration, &["toleration"]);
        }
        let sig = "toleration(\"key\", value = \"v\", effect = no_schedule)";
        let Some(args) = self.bind(c, &[opt("key"), opt("value"), opt("effect")], sig) else {
            return Val::Error;
        };
        let key = args[0].map(|k| self.text(k, "key", depth));
        let value = args[1].map(|v| self.text(v, "value", depth));
        let effect =
            args[2].map(|x| self.value(x, Ty::Enum(schema::TAINT_EFFECTS), "effect", depth));
        if matches!(key, Some(None)) || matches!(value, Some(None)) {
            return Val::Error;
        }
        let effect = match effect {
            None => None,
            Some(Val::Enum(w)) => Some(
                match w {
                    "no_schedule" => "NoSchedule",
                    "prefer_no_schedule" => "PreferNoSchedule",
                    _ => "NoExecute",
                }
                .to_string(),
            ),
            Some(_) => return Val::Error,
        };
        Val::Toleration(Toleration {
            key: key.flatten().map(Cow::into_owned),
            value: value.flatten().map(Cow::into_owned),
            effect,
        })
    }

    fn file_value(&mut self, e: &'a ast::Expr, field: &str, depth: usize) -> Val<'a> {
        let ast::ExprKind::Call(c) = &e.kind else {
            let help = match &e.kind {
                ast::ExprKind::Str(l) => l.as_plain().map(|t| format!("write `file(\"{t}\")`")),
                _ => None,
            };
            return self.mismatch(e, Ty::File, field, help);
        };
        if c.func.name != "file" {
            return self.unknown_call(c, field, Ty::File, &["file"]);
        }
        let Some(args) = self.bind(c, &[req("path")], "file(\"relative/path\")") else {
            return Val::Error;
        };
        let Some(pe) = args[0] else { return Val::Error };
        let Some(path) = self.text(pe, "path", depth) else {
            return Val::Error;
        };
        match self.read_file(&path) {
            Ok(content) => {
                let name = std::path::Path::new(path.as_ref())
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.to_string());
                Val::File(FileContent { name, content })
            }
            Err(why) => {
                self.emit(
                    Diagnostic::new(
                        codes::MISSING_FILE,
                        self.file,
                        pe.span,
                        format!("cannot read `{path}`: {why}"),
                    )
                    .label("file not readable")
                    .help("paths are relative to the directory of the `.kiln` file"),
                );
                Val::Error
            }
        }
    }

    fn json(&mut self, e: &'a ast::Expr, field: &str, depth: usize) -> Option<serde_json::Value> {
        use serde_json::Value as J;
        if let ast::ExprKind::Ref(p) = &e.kind
            && let [id] = p.as_slice()
            && let Some((d, l)) = self.lookup_let(&id.name, depth)
        {
            if !self.enter_let(l) {
                return None;
            }
            let r = self.json(&l.value, field, d);
            self.leave_let();
            return r;
        }
        match &e.kind {
            ast::ExprKind::Str(l) => self
                .interpolate(l, depth)
                .map(|t| J::String(t.into_owned())),
            ast::ExprKind::Number(n) if n.unit.is_empty() => {
                if let Ok(i) = n.digits.parse::<i64>() {
                    Some(J::from(i))
                } else {
                    n.digits
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(J::Number)
                }
            }
            // Quantities and durations are strings in Kubernetes objects.
            ast::ExprKind::Number(n) => Some(J::String(format!("{}{}", n.digits, n.unit))),
            ast::ExprKind::Bool(b) => Some(J::Bool(*b)),
            ast::ExprKind::None => Some(J::Null),
            ast::ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for i in items {
                    match self.json(i, field, depth) {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                ok.then_some(J::Array(out))
            }
            ast::ExprKind::Ref(p) => {
                self.undefined_text_name(p, e.span, depth);
                None
            }
            _ => {
                self.mismatch(e, Ty::Json, field, None);
                None
            }
        }
    }
}
