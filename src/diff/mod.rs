//! Diff: what applying a compiled bundle would change, object by object.
//!
//! `kiln diff` compares the bundle (the desired objects, the "after" side) with what is
//! there now (the "before" side): manifests from files or stdin ([`sources`]), the live
//! cluster ([`live`]), or the same file compiled at another git revision
//! ([`sources::compile_at_revision`]). Both sides go through [`normalize`] (bookkeeping
//! dropped, server defaults projected away, quantities compared by value, keyed lists
//! aligned, secrets masked) before they are compared, so only real changes remain;
//! [`render`] prints them as text, markdown or JSON.
//!
//! Invariant: no secret value reaches a [`Report`]. Masking happens in [`normalize`],
//! before any YAML text or change path is made, so every renderer is safe by
//! construction. The rules and their reasons are in `docs/diff.md`.

pub mod hardening;
pub mod live;
pub mod normalize;
pub mod render;
pub mod sources;

use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

/// The identity of an object across the two sides: API group (not version: an object
/// read back as `autoscaling/v1` is the same object as its `autoscaling/v2` manifest),
/// kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// The API group (`apps`, empty for the core group).
    pub group: String,
    /// `Deployment`, `Service`, ...
    pub kind: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectKey {
    /// The key of a manifest (missing fields are empty strings).
    pub fn of(v: &Value) -> ObjectKey {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
        let api_version = s(v.get("apiVersion"));
        let meta = v.get("metadata");
        ObjectKey {
            group: group_of(&api_version).to_owned(),
            kind: s(v.get("kind")),
            namespace: s(meta.and_then(|m| m.get("namespace"))),
            name: s(meta.and_then(|m| m.get("name"))),
        }
    }
}

/// The group part of an `apiVersion` (`apps/v1` → `apps`, `v1` → ``).
pub fn group_of(api_version: &str) -> &str {
    match api_version.split_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// In the bundle, not on the other side: applying creates it.
    Added,
    /// On the other side, not in the bundle (only reported when the source lists such
    /// objects: files, `--base`, `--live --prune`).
    Removed,
    /// On both sides, different after normalization.
    Changed,
    /// On both sides, the same after normalization.
    Unchanged,
}

impl Status {
    /// The header sign: `+`, `-`, `~`, or a space.
    pub fn sign(self) -> char {
        match self {
            Status::Added => '+',
            Status::Removed => '-',
            Status::Changed => '~',
            Status::Unchanged => ' ',
        }
    }

    /// `added`, `removed`, `changed`, `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
        }
    }
}

/// One changed value inside an object.
#[derive(Debug, Clone, PartialEq)]
pub struct PathChange {
    /// A readable path: `spec.template.spec.containers[name=web].image`; list items
    /// matched by a key are named by it, others by index.
    pub path: String,
    /// RFC 6901 pointer into the after side (the before side for a removed value).
    pub pointer: String,
    /// The value before (None: added).
    pub before: Option<Value>,
    /// The value after (None: removed).
    pub after: Option<Value>,
}

/// One object's result.
#[derive(Debug, Clone)]
pub struct ObjectDiff {
    /// The identity.
    pub key: ObjectKey,
    /// The apiVersion shown (the bundle's when it has the object).
    pub api_version: String,
    /// Added, removed, changed or unchanged.
    pub status: Status,
    /// The normalized, masked before side as YAML (empty when added).
    pub before_yaml: String,
    /// The normalized, masked after side as YAML (empty when removed).
    pub after_yaml: String,
    /// The changed values (empty when unchanged; one root change when added or removed).
    pub changes: Vec<PathChange>,
    /// The before side's name when the object was renamed (a content-hash suffix that
    /// changed with the content: `csis-env-33c0cab5e3`).
    pub renamed_from: Option<String>,
    /// Why each change exists (parallel to `changes`), when the report was classified
    /// ([`hardening::annotate`]); empty otherwise.
    pub categories: Vec<Option<hardening::Category>>,
    /// Why an added or removed object exists, when the report was classified.
    pub category: Option<hardening::Category>,
}

impl ObjectDiff {
    /// `apps/v1 Deployment csis/csis-web` (no namespace part for cluster objects), and
    /// `(renamed from csis-env-33c0cab5e3)` after a renamed object.
    pub fn title(&self) -> String {
        let k = &self.key;
        let name = if k.namespace.is_empty() {
            k.name.clone()
        } else {
            format!("{}/{}", k.namespace, k.name)
        };
        match &self.renamed_from {
            Some(old) => format!(
                "{} {} {name} (renamed from {old})",
                self.api_version, k.kind
            ),
            None => format!("{} {} {name}", self.api_version, k.kind),
        }
    }
}

/// The counts of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Objects changed.
    pub changed: usize,
    /// Objects added.
    pub added: usize,
    /// Objects removed.
    pub removed: usize,
    /// Objects unchanged.
    pub unchanged: usize,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} changed, {} added, {} removed, {} unchanged",
            self.changed, self.added, self.removed, self.unchanged
        )
    }
}

/// The result of a diff: every object of both sides, in the bundle's apply order, then
/// the removed objects in the order the other side listed them.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One entry per object.
    pub objects: Vec<ObjectDiff>,
    /// Remarks for the reader (e.g. "`app.kiln` does not exist at `HEAD~1`").
    pub notes: Vec<String>,
    /// Whether [`hardening::annotate`] put the changes in categories (the summary then
    /// groups them).
    pub classified: bool,
}

impl Report {
    /// How many objects are in each state.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for o in &self.objects {
            match o.status {
                Status::Added => c.added += 1,
                Status::Removed => c.removed += 1,
                Status::Changed => c.changed += 1,
                Status::Unchanged => c.unchanged += 1,
            }
        }
        c
    }

    /// Whether anything differs (the exit code 1 of `kiln diff`).
    pub fn has_differences(&self) -> bool {
        self.objects.iter().any(|o| o.status != Status::Unchanged)
    }
}

/// How the two sides are compared.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// The namespace given to before-side objects that name none and match no bundle
    /// object otherwise (`--namespace`).
    pub namespace: Option<String>,
    /// Report before-side objects missing from the bundle as removed. True for files
    /// and `--base` (the other side is a whole bundle); for `--live` only the objects
    /// `--prune` listed are on the before side anyway.
    pub report_removed: bool,
}

/// Compares the desired objects (`after`, normally a compiled bundle) with what is there
/// now (`before`). Both are plain manifests; neither is modified.
pub fn diff(before: &[Value], after: &[Value], opts: &DiffOptions) -> Report {
    // Index the before side; the first object wins on duplicates (a file listing an
    // object twice is the user's mistake, not ours to merge).
    let mut index: HashMap<ObjectKey, usize> = HashMap::new();
    for (i, v) in before.iter().enumerate() {
        index.entry(ObjectKey::of(v)).or_insert(i);
    }
    // Namespace-less before objects (a manifest relying on `kubectl -n`) match a bundle
    // object of the same group, kind and name in any namespace.
    let mut loose: HashMap<(String, String, String), Vec<usize>> = HashMap::new();
    for (i, v) in before.iter().enumerate() {
        let k = ObjectKey::of(v);
        if k.namespace.is_empty() {
            loose.entry((k.group, k.kind, k.name)).or_default().push(i);
        }
    }
    let mut used = vec![false; before.len()];
    let mut matches: Vec<Option<usize>> = Vec::with_capacity(after.len());
    for a in after {
        let key = ObjectKey::of(a);
        let mut found = index.get(&key).copied().filter(|&i| !used[i]);
        if found.is_none() {
            let ns = opts.namespace.as_deref().unwrap_or(&key.namespace);
            if ns == key.namespace
                && let Some(list) =
                    loose.get(&(key.group.clone(), key.kind.clone(), key.name.clone()))
            {
                found = list.iter().copied().find(|&i| !used[i]);
            }
        }
        if let Some(i) = found {
            used[i] = true;
        }
        matches.push(found);
    }
    let mut renamed = vec![false; after.len()];
    if opts.report_removed {
        pair_renames(before, after, &mut used, &mut matches, &mut renamed);
        pair_imported(before, after, &mut used, &mut matches, &mut renamed);
    }
    let mut report = Report::default();
    for ((a, found), renamed) in after.iter().zip(matches).zip(renamed) {
        let key = ObjectKey::of(a);
        let mut b = found.and_then(|i| before.get(i)).cloned();
        // A namespace-less match takes the bundle's namespace: not a difference.
        if let Some(Value::Object(m)) = &mut b
            && let Some(Value::Object(meta)) = m.get_mut("metadata")
            && !meta.contains_key("namespace")
            && !key.namespace.is_empty()
        {
            meta.insert("namespace".into(), Value::from(key.namespace.clone()));
        }
        let renamed_from = if renamed {
            b.as_ref().map(|b| ObjectKey::of(b).name)
        } else {
            None
        };
        let mut o = compare(b.as_ref(), Some(a), key);
        o.renamed_from = renamed_from;
        report.objects.push(o);
    }
    if opts.report_removed {
        for (i, b) in before.iter().enumerate() {
            if used[i] {
                continue;
            }
            let key = ObjectKey::of(b);
            // kiln never holds secret data: a Secret the bundle references stays where it
            // is, it is not removed.
            if hardening::referenced_secret(&key, after) {
                let name = if key.namespace.is_empty() {
                    key.name.clone()
                } else {
                    format!("{}/{}", key.namespace, key.name)
                };
                report.notes.push(format!(
                    "Secret `{name}` is not in the bundle, which references it: kiln never holds secret data, so it stays as it is (create it outside kiln)"
                ));
                continue;
            }
            report.objects.push(compare(Some(b), None, key));
        }
    }
    report
}

/// The name without a content-hash suffix (`csis-env-33c0cab5e3` → `csis-env`): kiln
/// names ConfigMaps and release Jobs after a hash of their content, so a change renames
/// them.
pub(crate) fn hash_stem(name: &str) -> Option<&str> {
    let (stem, suffix) = name.rsplit_once('-')?;
    let hex = suffix.len() >= 8
        && suffix.len() <= 16
        && suffix
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex && !stem.is_empty()).then_some(stem)
}

/// Pairs an added object with a removed one of the same kind and namespace whose names
/// differ only by their hash suffix, when the pairing is unambiguous (one of each): the
/// reader sees what changed inside (`RAILS_ENV: production → staging`) instead of a whole
/// object removed and another added.
fn pair_renames(
    before: &[Value],
    after: &[Value],
    used: &mut [bool],
    matches: &mut [Option<usize>],
    renamed: &mut [bool],
) {
    type Stem = (String, String, String, String);
    let stem_of = |v: &Value| -> Option<Stem> {
        let k = ObjectKey::of(v);
        let stem = hash_stem(&k.name)?.to_owned();
        Some((k.group, k.kind, k.namespace, stem))
    };
    let mut added: HashMap<Stem, Vec<usize>> = HashMap::new();
    for (ai, a) in after.iter().enumerate() {
        if matches.get(ai).is_some_and(Option::is_none)
            && let Some(s) = stem_of(a)
        {
            added.entry(s).or_default().push(ai);
        }
    }
    let mut removed: HashMap<Stem, Vec<usize>> = HashMap::new();
    for (bi, b) in before.iter().enumerate() {
        if used.get(bi) == Some(&false)
            && let Some(s) = stem_of(b)
        {
            removed.entry(s).or_default().push(bi);
        }
    }
    for (stem, ais) in added {
        if let ([ai], Some([bi])) = (ais.as_slice(), removed.get(&stem).map(Vec::as_slice))
            && let (Some(m), Some(u), Some(r)) = (
                matches.get_mut(*ai),
                used.get_mut(*bi),
                renamed.get_mut(*ai),
            )
        {
            *m = Some(*bi);
            *u = true;
            *r = true;
        }
    }
}

/// Pairs the added and removed objects that are one object renamed, when it can tell:
/// the added object records the removed one's name in the `kiln.dev/imported-from`
/// annotation (written by `kiln import`), or its name is the removed one's plus a
/// content-hash suffix (`shop-migrate` → `shop-migrate-c8b89926`), or it is one of
/// kiln's hash-named ConfigMaps holding exactly the removed ConfigMap's data. Same group
/// and kind; same namespace, or a removed object that names none. Only unambiguous pairs
/// are joined.
fn pair_imported(
    before: &[Value],
    after: &[Value],
    used: &mut [bool],
    matches: &mut [Option<usize>],
    renamed: &mut [bool],
) {
    let compatible = |a: &ObjectKey, b: &ObjectKey| {
        a.group == b.group
            && a.kind == b.kind
            && (a.namespace == b.namespace || b.namespace.is_empty())
    };
    let mut proposals: Vec<(usize, usize)> = Vec::new();
    for (ai, a) in after.iter().enumerate() {
        if !matches.get(ai).is_some_and(Option::is_none) {
            continue;
        }
        let ak = ObjectKey::of(a);
        let recorded = a
            .pointer("/metadata/annotations")
            .and_then(|m| m.get(hardening::IMPORTED_FROM))
            .and_then(Value::as_str);
        let stem = hash_stem(&ak.name);
        let data = a
            .get("data")
            .filter(|d| d.as_object().is_some_and(|m| !m.is_empty()));
        let candidates: Vec<usize> = before
            .iter()
            .enumerate()
            .filter(|(bi, b)| {
                if used.get(*bi) != Some(&false) {
                    return false;
                }
                let bk = ObjectKey::of(b);
                if !compatible(&ak, &bk) {
                    return false;
                }
                match (recorded, stem) {
                    (Some(n), _) => bk.name == n,
                    (None, Some(s)) => {
                        bk.name == s
                            || (ak.kind == "ConfigMap" && data.is_some() && b.get("data") == data)
                    }
                    (None, None) => false,
                }
            })
            .map(|(bi, _)| bi)
            .collect();
        if let [bi] = candidates.as_slice() {
            proposals.push((ai, *bi));
        }
    }
    // A removed object proposed for two added ones is ambiguous: neither is joined.
    for &(ai, bi) in &proposals {
        if proposals.iter().filter(|(_, b)| *b == bi).count() != 1 {
            continue;
        }
        if let (Some(m), Some(u), Some(r)) =
            (matches.get_mut(ai), used.get_mut(bi), renamed.get_mut(ai))
        {
            *m = Some(bi);
            *u = true;
            *r = true;
        }
    }
}

/// Normalizes one pair and computes its status and changes.
fn compare(before: Option<&Value>, after: Option<&Value>, key: ObjectKey) -> ObjectDiff {
    let (b, a) = normalize::pair(before, after);
    let api_version = a
        .as_ref()
        .or(b.as_ref())
        .and_then(|v| v.get("apiVersion"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let yaml = |v: &Option<Value>| {
        v.as_ref()
            .map(crate::emit::value_to_yaml)
            .unwrap_or_default()
    };
    let (status, changes) = match (&b, &a) {
        (Some(b), Some(a)) => {
            let mut changes = Vec::new();
            changes_between(b, a, &mut Path::default(), &mut changes);
            if changes.is_empty() && b != a {
                // Not expected (every difference has a path), but never call different
                // objects unchanged.
                changes.push(PathChange {
                    path: String::new(),
                    pointer: String::new(),
                    before: Some(b.clone()),
                    after: Some(a.clone()),
                });
            }
            let status = if changes.is_empty() {
                Status::Unchanged
            } else {
                Status::Changed
            };
            (status, changes)
        }
        (None, Some(a)) => (
            Status::Added,
            vec![PathChange {
                path: String::new(),
                pointer: String::new(),
                before: None,
                after: Some(a.clone()),
            }],
        ),
        (Some(b), None) => (
            Status::Removed,
            vec![PathChange {
                path: String::new(),
                pointer: String::new(),
                before: Some(b.clone()),
                after: None,
            }],
        ),
        (None, None) => (Status::Unchanged, Vec::new()),
    };
    ObjectDiff {
        key,
        api_version,
        status,
        before_yaml: yaml(&b),
        after_yaml: yaml(&a),
        changes,
        renamed_from: None,
        categories: Vec::new(),
        category: None,
    }
}

/// A path being walked: the readable form and the RFC 6901 pointer.
#[derive(Debug, Default, Clone)]
struct Path {
    text: String,
    pointer: String,
}

impl Path {
    fn field(&self, key: &str) -> Path {
        let text = if self.text.is_empty() {
            key.to_owned()
        } else if key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            format!("{}.{key}", self.text)
        } else {
            // `metadata.labels["app.kubernetes.io/name"]`: dots in a key stay readable.
            format!("{}[{}]", self.text, Value::from(key))
        };
        let escaped = key.replace('~', "~0").replace('/', "~1");
        Path {
            text,
            pointer: format!("{}/{escaped}", self.pointer),
        }
    }

    fn item(&self, label: &str, index: usize) -> Path {
        Path {
            text: format!("{}[{label}]", self.text),
            pointer: format!("{}/{index}", self.pointer),
        }
    }
}

/// Appends the differences between two normalized values. Lists of scalars change as a
/// whole (`command: [a, b] → [a, c]` reads better than an index); lists of objects are
/// matched by their key when they have one, by index otherwise.
fn changes_between(b: &Value, a: &Value, path: &mut Path, out: &mut Vec<PathChange>) {
    if b == a {
        return;
    }
    match (b, a) {
        (Value::Object(bm), Value::Object(am)) => {
            for (k, av) in am {
                let p = path.field(k);
                match bm.get(k) {
                    Some(bv) => changes_between(bv, av, &mut p.clone(), out),
                    None => out.push(PathChange {
                        path: p.text,
                        pointer: p.pointer,
                        before: None,
                        after: Some(av.clone()),
                    }),
                }
            }
            for (k, bv) in bm {
                if !am.contains_key(k) {
                    let p = path.field(k);
                    out.push(PathChange {
                        path: p.text,
                        pointer: p.pointer,
                        before: Some(bv.clone()),
                        after: None,
                    });
                }
            }
        }
        (Value::Array(bl), Value::Array(al))
            if !(bl.iter().all(is_scalar) && al.iter().all(is_scalar)) =>
        {
            let field = last_field(&path.pointer);
            let keyed = normalize::list_keys(&field, bl, al);
            let pairs = normalize::match_items(&field, bl, al);
            // An ordered list (init containers, env with `$(VAR)`) whose common items
            // changed order changed as a whole: the order is the change.
            if keyed.is_some() && !normalize::unordered(&field, bl, al) {
                let order: Vec<usize> = pairs
                    .iter()
                    .filter_map(|(bi, ai)| bi.and(*ai).and(*bi))
                    .collect();
                if order.windows(2).any(|w| w[0] > w[1]) {
                    out.push(PathChange {
                        path: path.text.clone(),
                        pointer: path.pointer.clone(),
                        before: Some(b.clone()),
                        after: Some(a.clone()),
                    });
                    return;
                }
            }
            for (bi, ai) in pairs {
                let label = |i: usize, list: &[Value]| match &keyed {
                    Some(_) => list
                        .get(i)
                        .and_then(|v| normalize::item_key(&field, v))
                        .map(|k| k.label())
                        .unwrap_or_else(|| i.to_string()),
                    None => i.to_string(),
                };
                match (bi, ai) {
                    (Some(bi), Some(ai)) => {
                        if let (Some(bv), Some(av)) = (bl.get(bi), al.get(ai)) {
                            let mut p = path.item(&label(ai, al), ai);
                            changes_between(bv, av, &mut p, out);
                        }
                    }
                    (None, Some(ai)) => {
                        let p = path.item(&label(ai, al), ai);
                        out.push(PathChange {
                            path: p.text,
                            pointer: p.pointer,
                            before: None,
                            after: al.get(ai).cloned(),
                        });
                    }
                    (Some(bi), None) => {
                        let p = path.item(&label(bi, bl), bi);
                        out.push(PathChange {
                            path: p.text,
                            pointer: p.pointer,
                            before: bl.get(bi).cloned(),
                            after: None,
                        });
                    }
                    (None, None) => {}
                }
            }
        }
        _ => out.push(PathChange {
            path: path.text.clone(),
            pointer: path.pointer.clone(),
            before: Some(b.clone()),
            after: Some(a.clone()),
        }),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// The last field name of a pointer (`/spec/template/spec/containers` → `containers`),
/// which decides how a list is keyed.
fn last_field(pointer: &str) -> String {
    pointer
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .replace("~1", "/")
        .replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(replicas: i64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "app"},
               "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                   {"name": "web", "image": image}, {"name": "side", "image": "s:1"}]}}}})
    }

    #[test]
    fn changed_paths_name_list_items_by_key() {
        let r = diff(
            &[deploy(3, "a:1")],
            &[deploy(5, "a:2")],
            &DiffOptions::default(),
        );
        let o = &r.objects[0];
        assert_eq!(o.status, Status::Changed);
        let paths: Vec<_> = o.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.replicas",
                "spec.template.spec.containers[name=web].image"
            ]
        );
        assert_eq!(
            o.changes[1].pointer,
            "/spec/template/spec/containers/0/image"
        );
        assert_eq!(o.title(), "apps/v1 Deployment app/web");
    }

    #[test]
    fn added_and_removed_objects() {
        let mut other = deploy(1, "a:1");
        other["metadata"]["name"] = json!("old");
        let r = diff(
            &[other],
            &[deploy(1, "a:1")],
            &DiffOptions {
                report_removed: true,
                ..DiffOptions::default()
            },
        );
        assert_eq!(
            r.counts().to_string(),
            "0 changed, 1 added, 1 removed, 0 unchanged"
        );
        assert!(r.has_differences());
    }

    #[test]
    fn hash_renames_pair_up() {
        let cm = |name: &str, v: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": name, "namespace": "a"}, "data": {"MODE": v}})
        };
        let opts = DiffOptions {
            report_removed: true,
            ..DiffOptions::default()
        };
        let r = diff(
            &[cm("env-33c0cab5e3", "x")],
            &[cm("env-5f98245cca", "y")],
            &opts,
        );
        assert_eq!(
            r.counts().to_string(),
            "1 changed, 0 added, 0 removed, 0 unchanged"
        );
        assert_eq!(
            r.objects[0].title(),
            "v1 ConfigMap a/env-5f98245cca (renamed from env-33c0cab5e3)"
        );
        let paths: Vec<_> = r.objects[0]
            .changes
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        assert_eq!(paths, ["metadata.name", "data.MODE"]);
        // Two candidates: ambiguous, left as added and removed.
        let r = diff(
            &[cm("env-33c0cab5e3", "x"), cm("env-1111111111", "z")],
            &[cm("env-5f98245cca", "y")],
            &opts,
        );
        assert_eq!(
            r.counts().to_string(),
            "0 changed, 1 added, 2 removed, 0 unchanged"
        );
        assert_eq!(hash_stem("web"), None);
        assert_eq!(hash_stem("csis-migrate-23f4c119"), Some("csis-migrate"));
    }

    #[test]
    fn namespace_less_manifest_matches_by_name() {
        let mut b = deploy(3, "a:1");
        b["metadata"].as_object_mut().unwrap().remove("namespace");
        let r = diff(&[b], &[deploy(3, "a:1")], &DiffOptions::default());
        assert_eq!(r.objects[0].status, Status::Unchanged);
    }
}
