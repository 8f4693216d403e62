//! Profiles: `profile staging extends base { csis.web.replicas = 1 }`.
//!
//! Every profile is checked (its `extends`, each path against the schema and the apps'
//! checked trees, each value against the type of the field it sets), whether or not it
//! is selected, so an editor sees a typo in a profile no release uses yet. The selected
//! profile (`Options::profile`) is applied after the profiles it extends, in order, to
//! the checked trees before the model is built.

use super::schema::{self, BlockSchema, Naming, Ty};
use super::types::{CBlock, CField, Val};
use super::{Checker, SmallMap};
use crate::diag::{Diagnostic, codes};
use crate::source::Span;
use crate::syntax::ast;
use std::collections::{HashMap, HashSet};

/// One step from a block to a child on a profile path.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The child at this index.
    Existing(usize),
    /// An unnamed child that does not exist yet: created when the override is applied.
    Create(&'static BlockSchema),
}

/// What an override does at the end of its path.
#[derive(Debug)]
enum Op<'a> {
    /// Sets (or with [`Val::Unset`], clears) a field.
    Set(CField<'a>),
    /// Removes a block (`= none`).
    Remove,
}

/// A field of a profile, by the index of its profile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProfileField<'a> {
    profile: usize,
    field: &'a ast::Field,
}

/// A checked override, ready to apply.
#[derive(Debug)]
struct Override<'a> {
    steps: Vec<Step>,
    op: Op<'a>,
    /// The profile field, for diagnostics about blocks it creates.
    span: Span,
}

impl<'a> Checker<'a> {
    /// Checks profile names and `extends`, and returns the selected profile with the
    /// profiles it extends, in the order they apply (bases first).
    pub(crate) fn profile_chain(
        &mut self,
        profiles: &[&'a ast::Profile],
        selected: Option<&str>,
        file_start: Span,
    ) -> Vec<&'a ast::Profile> {
        let mut by_name: HashMap<&'a str, &'a ast::Profile> = HashMap::new();
        for p in profiles {
            if let Some(first) = by_name.get(p.name.name.as_str()) {
                let first = first.name.span;
                self.emit(
                    Diagnostic::new(
                        codes::DUPLICATE_NAME,
                        self.file,
                        p.name.span,
                        format!("profile `{}` is declared twice", p.name.name),
                    )
                    .label("declared again")
                    .secondary(self.file, first, "first declared here")
                    .help("merge the two profiles, or rename one"),
                );
                continue;
            }
            by_name.insert(p.name.name.as_str(), p);
        }
        let names: Vec<&str> = profiles.iter().map(|p| p.name.name.as_str()).collect();
        for p in profiles {
            for e in &p.extends {
                if !by_name.contains_key(e.name.as_str()) {
                    let mut d = Diagnostic::new(
                        codes::UNKNOWN_PROFILE,
                        self.file,
                        e.span,
                        format!(
                            "profile `{}` extends `{}`, which does not exist",
                            p.name.name, e.name
                        ),
                    )
                    .label("unknown profile");
                    d = match self.suggest(&e.name, names.iter().copied()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(profile_list(&names)),
                    };
                    self.emit(d);
                }
            }
        }
        // Cycles in `extends`, each reported once, at the link that closes it.
        let mut reported: HashSet<u32> = HashSet::new();
        for p in profiles {
            let mut path: Vec<(&'a ast::Profile, Span)> = Vec::new();
            self.extends_cycles(p, p.name.span, &by_name, &mut path, &mut reported);
        }
        let Some(sel) = selected else {
            return Vec::new();
        };
        let Some(p) = by_name.get(sel) else {
            let mut d = Diagnostic::new(
                codes::UNKNOWN_PROFILE,
                self.file,
                file_start,
                format!("no profile `{sel}` in this file"),
            )
            .label("`--profile` names an unknown profile");
            d = match self.suggest(sel, names.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`? {}", profile_list(&names))),
                None => d.help(profile_list(&names)),
            };
            self.emit(d);
            return Vec::new();
        };
        let mut chain = Vec::new();
        let mut done: HashSet<&str> = HashSet::new();
        linearize(p, &by_name, &mut done, &mut chain, 0);
        chain
    }

    fn extends_cycles(
        &mut self,
        p: &'a ast::Profile,
        via: Span,
        by_name: &HashMap<&'a str, &'a ast::Profile>,
        path: &mut Vec<(&'a ast::Profile, Span)>,
        reported: &mut HashSet<u32>,
    ) {
        if let Some(i) = path.iter().position(|(q, _)| std::ptr::eq(*q, p)) {
            let cycle = &path[i..];
            // Reported once per cycle: by its member declared first.
            let first = cycle
                .iter()
                .map(|(q, _)| q.name.span.start)
                .min()
                .unwrap_or(0);
            if !reported.insert(first) {
                return;
            }
            let mut names: Vec<&str> = cycle.iter().map(|(q, _)| q.name.name.as_str()).collect();
            names.push(p.name.name.as_str());
            let mut d = Diagnostic::new(
                codes::PROFILE_CYCLE,
                self.file,
                via,
                format!("profile `{}` extends itself", p.name.name),
            )
            .label("closes the cycle")
            .note(format!("cycle: {}", names.join(" → ")))
            .help("remove one `extends` of the cycle");
            for (_, s) in cycle.iter().skip(1) {
                d = d.secondary(self.file, *s, "extends");
            }
            self.emit(d);
            return;
        }
        if path.len() > 64 {
            return;
        }
        path.push((p, via));
        for e in &p.extends {
            if let Some(q) = by_name.get(e.name.as_str()) {
                self.extends_cycles(q, e.span, by_name, path, reported);
            }
        }
        path.pop();
    }

    /// Checks what does not need the apps' trees (a path set twice in one profile, a path
    /// naming no app), and groups the other profile fields by the app they start with,
    /// so each app's tree is checked and built alone, then dropped.
    pub(crate) fn group_profile_fields(
        &mut self,
        profiles: &[&'a ast::Profile],
        app_names: &HashMap<&'a str, Span>,
    ) -> HashMap<&'a str, Vec<ProfileField<'a>>> {
        let mut by_app: HashMap<&'a str, Vec<ProfileField<'a>>> = HashMap::new();
        for (pi, p) in profiles.iter().enumerate() {
            // Paths compared as written (their source text): no allocation per field.
            let mut seen: SmallMap<'a, Span> = SmallMap::default();
            for f in &p.fields {
                let whole = path_span(f);
                let key = self.source_slice(whole);
                if let Some(first) = seen.get(key) {
                    self.emit(
                        Diagnostic::new(
                            codes::DUPLICATE_FIELD,
                            self.file,
                            whole,
                            format!("`{key}` is set twice in profile `{}`", p.name.name),
                        )
                        .label("set again here")
                        .secondary(self.file, first, "first set here")
                        .help("remove one of them"),
                    );
                    continue;
                }
                seen.insert(key, whole);
                let Some(first) = f.path.first() else {
                    continue;
                };
                if !app_names.contains_key(first.name.as_str()) {
                    let mut names: Vec<&str> = app_names.keys().copied().collect();
                    names.sort_unstable();
                    let mut d = Diagnostic::new(
                        codes::BAD_PROFILE_PATH,
                        self.file,
                        first.span,
                        format!("no app `{}` in this file", first.name),
                    )
                    .label("unknown app");
                    d = match self.suggest(&first.name, names.iter().copied()) {
                        Some(s) => d.help(format!(
                            "did you mean `{s}`? profile paths start with an app name"
                        )),
                        None => {
                            d.help("profile paths start with an app name: `csis.web.replicas = 1`")
                        }
                    };
                    self.emit(d);
                    continue;
                }
                if f.path.len() == 1 {
                    self.emit(
                        Diagnostic::new(
                            codes::BAD_PROFILE_PATH,
                            self.file,
                            first.span,
                            "a profile cannot replace a whole app",
                        )
                        .label("path ends at the app")
                        .help(format!(
                            "name a field: `{}.replicas`, `{}.web.replicas`",
                            first.name, first.name
                        )),
                    );
                    continue;
                }
                by_app
                    .entry(first.name.as_str())
                    .or_default()
                    .push(ProfileField {
                        profile: pi,
                        field: f,
                    });
            }
        }
        by_app
    }

    /// Checks the profile fields that start with this app against its tree, and applies
    /// those of the selected profiles (`chain_pos`: profile index → place in the chain).
    pub(crate) fn apply_profiles(
        &mut self,
        app: &mut CBlock<'a>,
        fields: &[ProfileField<'a>],
        chain_pos: &HashMap<usize, usize>,
    ) {
        let mut selected: Vec<(usize, Override<'a>)> = Vec::new();
        for pf in fields {
            let Some(o) = self.resolve_override(pf.field, app) else {
                continue;
            };
            if let Some(&pos) = chain_pos.get(&pf.profile) {
                selected.push((pos, o));
            }
        }
        // Bases first; within a profile, in source order (the sort is stable).
        selected.sort_by_key(|(pos, _)| *pos);
        let mut created: Vec<(Vec<usize>, Span)> = Vec::new();
        for (_, o) in selected {
            apply(app, o, &mut created);
        }
        for (idx, span) in created {
            if let Some(b) = block_at(app, &idx)
                && !b.removed
            {
                let b = b.clone();
                self.check_required(&b, Some(span));
            }
        }
    }

    /// Follows a profile path (starting with this app's name) through the app's tree and
    /// checks the value.
    fn resolve_override(&mut self, f: &'a ast::Field, app: &CBlock<'a>) -> Option<Override<'a>> {
        let segs = f.path.as_slice();
        let first = segs.first()?;
        self.set_app(super::AppCtx {
            name: first.name.clone(),
            namespace: match app.val("namespace") {
                Some(Val::Str(s)) => s.to_string(),
                _ => first.name.clone(),
            },
        });
        let mut steps = Vec::new();
        let mut cur: Option<&CBlock<'a>> = Some(app);
        let mut s: &'static BlockSchema = &schema::APP;
        let mut i = 1;
        while i < segs.len() {
            let seg = &segs[i];
            let last = i == segs.len() - 1;
            let here = || {
                format!(
                    "`{}`",
                    segs[..i]
                        .iter()
                        .map(|k| k.name.as_str())
                        .collect::<Vec<_>>()
                        .join(".")
                )
            };
            if let Some(free) = s.free {
                if free.dotted || last {
                    if !free.dotted {
                        self.check_key(seg, free.key);
                    }
                    let o = self.override_value(f, steps, seg, &segs[i..], free.value, false);
                    if let Some(Override {
                        op: Op::Set(field), ..
                    }) = &o
                    {
                        self.check_label_value(s.id, &field.val, field.span);
                    }
                    return o;
                }
                self.emit(
                    Diagnostic::new(
                        codes::BAD_PROFILE_PATH,
                        self.file,
                        segs[i + 1].span,
                        format!(
                            "{} is a key of `{}`; the path cannot go on",
                            seg.name, s.kind
                        ),
                    )
                    .label("unexpected")
                    .help(format!("end the path at `{}`", seg.name)),
                );
                return None;
            }
            if let Some(field) = s.field(&seg.name) {
                if !last {
                    self.emit(
                        Diagnostic::new(
                            codes::BAD_PROFILE_PATH,
                            self.file,
                            segs[i + 1].span,
                            format!("`{}` is a field; the path cannot go on after it", seg.name),
                        )
                        .label("unexpected")
                        .help(format!("end the path at `{}`", seg.name)),
                    );
                    return None;
                }
                let required = s.is_required(field);
                return self.override_value(f, steps, seg, &segs[i..], field.ty, required);
            }
            // An unnamed block by kind, or a named block by name.
            let next: Option<(Step, &'static BlockSchema, bool)> = match s.child(&seg.name) {
                Some(c) if c.block.naming == Naming::Anonymous => {
                    let existing = cur.and_then(|b| {
                        b.children
                            .iter()
                            .position(|x| x.schema.id == c.block.id && !x.removed)
                    });
                    Some((
                        existing
                            .map(Step::Existing)
                            .unwrap_or(Step::Create(c.block)),
                        c.block,
                        c.required,
                    ))
                }
                _ => cur.and_then(|b| {
                    b.children
                        .iter()
                        .position(|x| x.name.is_some_and(|(n, _)| n == seg.name) && !x.removed)
                        .map(|idx| (Step::Existing(idx), b.children[idx].schema, false))
                }),
            };
            let Some((step, child_schema, required)) = next else {
                let mut candidates: Vec<&str> = s.fields().map(|f| f.name).collect();
                candidates.extend(
                    s.children
                        .iter()
                        .filter(|c| c.block.naming == Naming::Anonymous)
                        .map(|c| c.block.kind),
                );
                if let Some(b) = cur {
                    candidates.extend(b.children.iter().filter_map(|c| c.name.map(|(n, _)| n)));
                }
                let mut d = Diagnostic::new(
                    codes::BAD_PROFILE_PATH,
                    self.file,
                    seg.span,
                    format!(
                        "{} has no field, block or named block `{}`",
                        here(),
                        seg.name
                    ),
                )
                .label("not found");
                d = match self.suggest(&seg.name, candidates.iter().copied()) {
                    Some(sg) => d.help(format!("did you mean `{sg}`?")),
                    None => d.help(format!(
                        "{} has: {}",
                        here(),
                        super::values::quote_list(&candidates)
                    )),
                };
                self.emit(d);
                return None;
            };
            cur = match step {
                Step::Existing(idx) => cur.and_then(|b| b.children.get(idx)),
                Step::Create(_) => None,
            };
            steps.push(step);
            s = child_schema;
            if last {
                // The path names a block: only `= none` removes it.
                if let ast::ExprKind::None = f.value.kind {
                    if required {
                        self.emit(
                            Diagnostic::new(
                                codes::NONE_NOT_ALLOWED,
                                self.file,
                                f.value.span,
                                format!("`{}` is required and cannot be removed", seg.name),
                            )
                            .label("required block")
                            .help("change its fields instead"),
                        );
                        return None;
                    }
                    if matches!(step, Step::Create(_)) {
                        // Removing what is not there: nothing to do, nothing wrong.
                        return None;
                    }
                    return Some(Override {
                        steps,
                        op: Op::Remove,
                        span: f.span,
                    });
                }
                let example = s.fields().next().map(|x| x.name).unwrap_or("field");
                self.emit(
                    Diagnostic::new(
                        codes::BAD_PROFILE_PATH,
                        self.file,
                        f.value.span,
                        format!(
                            "`{}` is a block: a profile sets its fields or removes it",
                            seg.name
                        ),
                    )
                    .label("a block cannot take a value")
                    .help(format!(
                        "write `{}.{example} = ...`, or `= none` to remove the block",
                        segs.iter()
                            .map(|k| k.name.as_str())
                            .collect::<Vec<_>>()
                            .join(".")
                    )),
                );
                return None;
            }
            i += 1;
        }
        None
    }

    fn override_value(
        &mut self,
        f: &'a ast::Field,
        steps: Vec<Step>,
        key: &'a ast::Key,
        path: &'a [ast::Key],
        ty: Ty,
        required: bool,
    ) -> Option<Override<'a>> {
        // Profile values see the top-level `let`s only.
        let val = self.value(&f.value, ty, &key.name, 1);
        if matches!(val, Val::Unset) && required {
            self.emit(
                Diagnostic::new(
                    codes::NONE_NOT_ALLOWED,
                    self.file,
                    f.value.span,
                    format!("`{}` is required and cannot be `none`", key.name),
                )
                .label("required field")
                .help(format!("set another value: {}", ty.expectation())),
            );
            return None;
        }
        if matches!(val, Val::Error) {
            return None;
        }
        Some(Override {
            steps,
            op: Op::Set(CField {
                key: &key.name,
                path,
                key_span: key.span,
                val,
                span: f.value.span,
            }),
            span: f.span,
        })
    }
}

fn profile_list(names: &[&str]) -> String {
    if names.is_empty() {
        "this file declares no profiles".to_string()
    } else {
        format!(
            "profiles in this file: {}",
            super::values::quote_list(names)
        )
    }
}

fn path_span(f: &ast::Field) -> Span {
    match (f.path.first(), f.path.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => f.span,
    }
}

/// Bases first, each profile once.
fn linearize<'a>(
    p: &'a ast::Profile,
    by_name: &HashMap<&'a str, &'a ast::Profile>,
    done: &mut HashSet<&'a str>,
    out: &mut Vec<&'a ast::Profile>,
    depth: usize,
) {
    if depth > 64 || !done.insert(p.name.name.as_str()) {
        return;
    }
    for e in &p.extends {
        if let Some(q) = by_name.get(e.name.as_str()) {
            linearize(q, by_name, done, out, depth + 1);
        }
    }
    out.push(p);
}

fn block_at<'b, 'a>(app: &'b CBlock<'a>, idx: &[usize]) -> Option<&'b CBlock<'a>> {
    let mut b = app;
    for &i in idx {
        b = b.children.get(i)?;
    }
    Some(b)
}

/// Applies one override to an app's tree; records the index paths of blocks it creates.
fn apply<'a>(app: &mut CBlock<'a>, o: Override<'a>, created: &mut Vec<(Vec<usize>, Span)>) {
    let mut b = app;
    let mut idx_path = Vec::new();
    for step in &o.steps {
        let idx = match *step {
            Step::Existing(i) => {
                // A block an earlier profile of the chain removed comes back as written,
                // with this override on top.
                let Some(c) = b.children.get_mut(i) else {
                    return;
                };
                c.removed = false;
                i
            }
            Step::Create(schema) => {
                match b
                    .children
                    .iter()
                    .position(|c| c.schema.id == schema.id && !c.removed)
                {
                    Some(i) => i,
                    None => {
                        b.children.push(CBlock::created(schema, o.span));
                        let mut p = idx_path.clone();
                        p.push(b.children.len() - 1);
                        created.push((p, o.span));
                        b.children.len() - 1
                    }
                }
            }
        };
        idx_path.push(idx);
        let Some(next) = b.children.get_mut(idx) else {
            return;
        };
        b = next;
    }
    match o.op {
        Op::Remove => b.removed = true,
        Op::Set(field) => {
            let same = |f: &CField<'a>| {
                f.path.len() == field.path.len()
                    && f.path.iter().zip(field.path).all(|(x, y)| x.name == y.name)
            };
            match b.fields.iter_mut().find(|f| same(f)) {
                Some(f) => *f = field,
                None => b.fields.push(field),
            }
        }
    }
}
