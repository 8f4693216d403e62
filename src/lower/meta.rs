//! Names, labels, annotations, content hashes, and the app-level objects that carry only
//! metadata (Namespace, ServiceAccount).

use super::Cx;
use crate::check::model::App;
use crate::diag::{Diagnostic, codes};
use indexmap::IndexMap;
use k8s_openapi::api::apps::v1 as apps;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1::{Namespace, PodTemplateSpec, ServiceAccount};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::Value;
use std::collections::BTreeMap;

/// `app.kubernetes.io/name`: the app (`csis`).
pub const NAME: &str = "app.kubernetes.io/name";
/// `app.kubernetes.io/instance`: the app's instance, one per namespace (`csis`); every
/// object of the app carries it, so `kiln diff --prune` can find what a bundle dropped.
pub const INSTANCE: &str = "app.kubernetes.io/instance";
/// `app.kubernetes.io/component`: the block within the app (`web`); absent on app-level
/// objects.
pub const COMPONENT: &str = "app.kubernetes.io/component";
/// `app.kubernetes.io/part-of`: the app.
pub const PART_OF: &str = "app.kubernetes.io/part-of";
/// `app.kubernetes.io/managed-by`: always `kiln`.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// `app.kubernetes.io/version`: the app version (or image tag).
pub const VERSION: &str = "app.kubernetes.io/version";

/// The resource names of kiln's requests and limits, in key order.
const CPU: &str = "cpu";
const MEMORY: &str = "memory";

const STANDARD: [&str; 6] = [NAME, INSTANCE, COMPONENT, PART_OF, MANAGED_BY, VERSION];

/// A 64-bit FNV-1a hash over length-prefixed parts: stable across platforms and
/// releases of kiln (a changed hash renames ConfigMaps and Jobs, so it must never
/// change by accident). Not a security hash: it only detects changes.
#[derive(Debug, Clone, Copy)]
pub struct ContentHash(u64);

impl Default for ContentHash {
    fn default() -> Self {
        ContentHash(0xcbf2_9ce4_8422_2325)
    }
}

impl ContentHash {
    /// Feeds raw bytes.
    fn bytes(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// Feeds one string, length-prefixed so `("ab", "c")` and `("a", "bc")` differ.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.str_bytes(s.as_bytes())
    }

    /// [`ContentHash::str`] on the bytes of a string (a JSON text written to a buffer).
    pub fn str_bytes(&mut self, s: &[u8]) -> &mut Self {
        self.bytes(&(s.len() as u64).to_le_bytes());
        self.bytes(s);
        self
    }

    /// The first `n` (≤ 16) lowercase hex digits (of the 16 of `{:016x}`).
    pub fn hex(&self, n: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..n.min(16))
            .map(|i| {
                let nibble = (self.0 >> (60 - 4 * i)) & 0xf;
                char::from(DIGITS.get(nibble as usize).copied().unwrap_or(b'0'))
            })
            .collect()
    }
}

/// The hash of a sequence of strings, as `n` hex digits (what ConfigMap and Job names
/// carry).
pub fn content_hash<'a>(parts: impl IntoIterator<Item = &'a str>, n: usize) -> String {
    let mut h = ContentHash::default();
    for p in parts {
        h.str(p);
    }
    h.hex(n)
}

/// The Pod Security Standards levels, least strict first (so `min` is the level a set
/// of pods needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PssLevel {
    /// Anything goes.
    Privileged,
    /// Known privilege escalations prevented.
    Baseline,
    /// Hardened (kiln's default).
    Restricted,
}

impl PssLevel {
    fn as_str(self) -> &'static str {
        match self {
            PssLevel::Privileged => "privileged",
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }
}

/// What a block contributes to the metadata of its objects.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a> {
    /// The block name; empty for app-level objects.
    pub name: &'a str,
    /// The block's extra labels.
    pub labels: &'a IndexMap<String, String>,
    /// The block's extra annotations.
    pub annotations: &'a IndexMap<String, String>,
}

impl<'a> Block<'a> {
    /// The app itself, for app-level objects.
    pub fn app(app: &'a App) -> Block<'a> {
        Block {
            name: "",
            labels: &app.labels,
            annotations: &app.annotations,
        }
    }
}

/// `{app}-{block}`, or `{app}` for app-level objects.
pub fn object_name(app: &App, block: &Block) -> String {
    if block.name.is_empty() {
        app.name.clone()
    } else {
        [app.name.as_str(), "-", block.name].concat()
    }
}

/// Whether `v` is a valid label value (≤ 63, alphanumerics and `-_.` inside).
pub fn valid_label_value(v: &str) -> bool {
    let b = v.as_bytes();
    if b.is_empty() {
        return true;
    }
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    b.len() <= 63
        && b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// The app's version label value, if there is a valid one.
pub fn version(app: &App) -> Option<&str> {
    let v = app.version.as_deref().or(app.image.tag.as_deref())?;
    valid_label_value(v).then_some(v)
}

/// A `LabelSelector` with `matchLabels` only.
pub fn label_selector(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels),
        ..Default::default()
    }
}

/// Every label of a block's objects: the standard `app.kubernetes.io/*` set, then the
/// app's and the block's own (which never replace a standard one).
pub fn labels(app: &App, block: &Block) -> BTreeMap<String, String> {
    // The standard set in key order (component < instance < managed-by < name < part-of
    // < version), which `from_iter` builds without searching the map once per key.
    let mut std = Vec::with_capacity(6);
    if !block.name.is_empty() {
        std.push((COMPONENT.to_owned(), block.name.to_owned()));
    }
    std.push((INSTANCE.to_owned(), app.name.clone()));
    std.push((MANAGED_BY.to_owned(), "kiln".to_owned()));
    std.push((NAME.to_owned(), app.name.clone()));
    std.push((PART_OF.to_owned(), app.name.clone()));
    if let Some(v) = version(app) {
        std.push((VERSION.to_owned(), v.to_owned()));
    }
    let mut m = BTreeMap::from_iter(std);
    for (k, v) in app.labels.iter().chain(block.labels.iter()) {
        if !STANDARD.contains(&k.as_str()) {
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

/// The app's and the block's annotations (the block's win).
pub fn annotations(app: &App, block: &Block) -> Option<BTreeMap<String, String>> {
    let mut m = BTreeMap::new();
    for (k, v) in app.annotations.iter().chain(block.annotations.iter()) {
        m.insert(k.clone(), v.clone());
    }
    (!m.is_empty()).then_some(m)
}

/// At most eight label entries, borrowed, in key order (the standard set of a block, its
/// selector, a Namespace's labels), gathered without allocating.
#[derive(Default)]
struct Pairs<'a> {
    items: [(&'a str, &'a str); 8],
    len: usize,
}

impl<'a> Pairs<'a> {
    fn push(&mut self, k: &'a str, v: &'a str) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = (k, v);
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[(&'a str, &'a str)] {
        self.items.get(..self.len).unwrap_or_default()
    }
}

/// The standard `app.kubernetes.io/*` labels of a block, in key order (component <
/// instance < managed-by < name < part-of < version).
fn std_pairs<'a>(app: &'a App, block: &Block<'a>, version: Option<&'a str>) -> Pairs<'a> {
    let mut p = Pairs::default();
    if !block.name.is_empty() {
        p.push(COMPONENT, block.name);
    }
    p.push(INSTANCE, &app.name);
    p.push(MANAGED_BY, "kiln");
    p.push(NAME, &app.name);
    p.push(PART_OF, &app.name);
    if let Some(v) = version {
        p.push(VERSION, v);
    }
    p
}

/// The label and annotation maps of one block, built once and copied into each of its
/// objects: a block's Deployment, pod template, Service, PodDisruptionBudget and
/// NetworkPolicy carry the same maps, and building a map (key comparisons, one
/// allocation per entry) costs more than copying one.
#[derive(Debug)]
pub struct BlockMeta {
    labels: BTreeMap<String, String>,
    annotations: Option<BTreeMap<String, String>>,
    selector: BTreeMap<String, String>,
}

impl BlockMeta {
    fn new(app: &App, block: &Block, pool: &mut MapPool) -> BlockMeta {
        let version = version(app);
        let std_labels = std_pairs(app, block, version);
        let labels = if app.labels.is_empty() && block.labels.is_empty() {
            // Only the standard set: the maps of the previous app's blocks have its keys.
            pool.take_sorted(std_labels.as_slice())
        } else {
            labels(app, block)
        };
        let mut sel = Pairs::default();
        if !block.name.is_empty() {
            sel.push(COMPONENT, block.name);
        }
        sel.push(INSTANCE, &app.name);
        sel.push(NAME, &app.name);
        BlockMeta {
            labels,
            annotations: annotations(app, block),
            selector: pool.take_sorted(sel.as_slice()),
        }
    }

    /// [`labels`] of the block.
    pub fn labels(&self, cx: &mut Cx) -> BTreeMap<String, String> {
        cx.meta.pool.copy_of(&self.labels)
    }

    /// [`annotations`] of the block.
    pub fn annotations(&self) -> Option<BTreeMap<String, String>> {
        self.annotations.clone()
    }

    /// The labels that select the block's pods: only labels that never change over the
    /// life of the block (a Deployment's selector is immutable): the app instance and the
    /// block.
    pub fn selector(&self, cx: &mut Cx) -> BTreeMap<String, String> {
        cx.meta.pool.copy_of(&self.selector)
    }

    /// Object metadata: name, the app's namespace, labels and annotations.
    pub fn object_meta(&self, cx: &mut Cx, app: &App, name: String) -> ObjectMeta {
        ObjectMeta {
            name: Some(name),
            namespace: Some(app.namespace.clone()),
            labels: Some(self.labels(cx)),
            annotations: self.annotations(),
            ..Default::default()
        }
    }
}

/// Sets every field of `out` kiln writes in object metadata: `name`, the app's
/// namespace, the block's labels and annotations (`out` may be the metadata of the
/// previous app's object of the same kind, see [`Spares`]).
pub fn fill_object_meta(m: &BlockMeta, cx: &mut Cx, app: &App, name: String, out: &mut ObjectMeta) {
    // The labels and annotations as a template's; `template_meta` names every field of
    // `ObjectMeta`, so a field added to it upstream fails the build there.
    template_meta(cx, m, out);
    out.name = Some(name);
    super::pod::set_str(&mut out.namespace, &app.namespace);
}

/// Sets every field of a pod template's metadata kiln writes: the block's labels and
/// annotations (name and namespace are left as they are: [`fill_object_meta`] sets them
/// for an object, and a template never has them).
pub fn template_meta(cx: &mut Cx, m: &BlockMeta, out: &mut ObjectMeta) {
    let ObjectMeta {
        annotations,
        creation_timestamp: _,
        deletion_grace_period_seconds: _,
        deletion_timestamp: _,
        finalizers: _,
        generate_name: _,
        generation: _,
        labels,
        managed_fields: _,
        name: _,
        namespace: _,
        owner_references: _,
        resource_version: _,
        self_link: _,
        uid: _,
    } = out;
    *labels = Some(m.labels(cx));
    *annotations = m.annotations();
}

/// Objects already written, kept for the next app's object of the same kind: they are
/// refilled in place ([`super::pod::pod`] and its callers set or clear every field kiln
/// writes), so the strings and vectors of a Deployment or Job are not allocated, moved
/// up from nested locals and freed again for every app.
#[derive(Debug, Default)]
pub struct Spares {
    /// The last Deployment written.
    pub deployment: Option<Box<apps::Deployment>>,
    /// The last Job written.
    pub job: Option<Box<batch::Job>>,
}

/// The [`BlockMeta`] of the blocks of the app being lowered, found by the identity of
/// the block (the addresses of its app, name, labels and annotations in the model, which
/// is not changed while it is lowered). A few entries per app: a linear search.
#[derive(Debug, Default)]
pub struct MetaCache {
    entries: Vec<([usize; 5], std::sync::Arc<BlockMeta>)>,
    /// Label maps of written objects, for the next objects of every app.
    pool: MapPool,
    /// `{cpu, memory}` maps of written containers' resources, for the next containers.
    quantities: Vec<BTreeMap<String, Quantity>>,
    /// Written objects, refilled for the next app's.
    pub spares: Spares,
}

impl MetaCache {
    /// Forgets every block (at the start of each app: its blocks are never seen again).
    pub fn clear(&mut self) {
        // The maps of the blocks go back to the pool: the next app's blocks have the
        // same keys, and only their values are rewritten.
        for (_, m) in self.entries.drain(..) {
            if let Ok(m) = std::sync::Arc::try_unwrap(m) {
                self.pool.put(Some(m.labels));
                self.pool.put(Some(m.selector));
                self.pool.put(m.annotations);
            }
        }
    }

    /// A label map with exactly `entries` (in key order, keys unique), from the pool
    /// when it can.
    pub fn map_of(&mut self, entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        self.pool.take_sorted(entries)
    }

    /// A `{cpu: cpu, memory: memory}` map (a container's requests or limits): a kept
    /// one with its values overwritten, or a new one.
    pub fn cpu_memory(&mut self, cpu: &str, memory: &str) -> BTreeMap<String, Quantity> {
        match self.quantities.pop() {
            Some(mut m) => {
                // Only maps of exactly these keys are kept, in key order.
                for (v, from) in m.values_mut().zip([cpu, memory]) {
                    v.0.clear();
                    v.0.push_str(from);
                }
                m
            }
            None => BTreeMap::from([
                (CPU.to_owned(), Quantity(cpu.to_owned())),
                (MEMORY.to_owned(), Quantity(memory.to_owned())),
            ]),
        }
    }

    fn give_back_quantities(&mut self, map: Option<BTreeMap<String, Quantity>>) {
        if let Some(m) = map
            && self.quantities.len() < 16
            && m.keys().map(String::as_str).eq([CPU, MEMORY])
        {
            self.quantities.push(m);
        }
    }

    /// Keeps the label map of a written object for reuse.
    pub fn give_back(&mut self, map: Option<BTreeMap<String, String>>) {
        self.pool.put(map);
    }
}

/// Label maps of objects already written, reused for the next objects. Every object
/// carries a few label maps whose keys are the same from app to app (the standard
/// `app.kubernetes.io/*` set): a kept map with the keys of the wanted one only needs its
/// values overwritten, in the strings it already has, where a copy allocates every key
/// and value and dropping the written object frees them again.
#[derive(Debug, Default)]
pub struct MapPool {
    /// Kept maps by their number of entries (index 0 unused), oldest first.
    maps: [Vec<BTreeMap<String, String>>; MapPool::LONGEST + 1],
}

impl MapPool {
    /// Maps with more entries than this are not kept (labels a user added).
    const LONGEST: usize = 8;
    /// At most this many maps of one length are kept (a few objects' worth).
    const MAX: usize = 8;

    fn put(&mut self, map: Option<BTreeMap<String, String>>) {
        if let Some(m) = map
            && let Some(kept) = self.maps.get_mut(m.len())
            && !m.is_empty()
        {
            // A full list drops its oldest map: a map nothing asks for again (one with
            // other keys) must not stay and keep the others out.
            if kept.len() >= Self::MAX {
                kept.remove(0);
            }
            kept.push(m);
        }
    }

    /// A map of `entries` (in key order, keys unique): a kept map with these keys,
    /// values overwritten, or a new one.
    fn take<'e, I>(&mut self, entries: I) -> BTreeMap<String, String>
    where
        I: ExactSizeIterator<Item = (&'e str, &'e str)> + Clone,
    {
        if let Some(kept) = self.maps.get_mut(entries.len()) {
            // Most recent first. Keys are compared and values overwritten in one pass:
            // a map whose keys turn out to differ keeps some new values, which nothing
            // reads (a kept map's values are always overwritten).
            let refill = |m: &mut BTreeMap<String, String>| {
                m.iter_mut().zip(entries.clone()).all(|((k, v), (ek, ev))| {
                    k == ek && {
                        v.clear();
                        v.push_str(ev);
                        true
                    }
                })
            };
            if let Some(i) = kept.iter_mut().rposition(refill) {
                return kept.swap_remove(i);
            }
        }
        entries.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
    }

    /// [`MapPool::take`] of borrowed entries.
    fn take_sorted(&mut self, entries: &[(&str, &str)]) -> BTreeMap<String, String> {
        self.take(entries.iter().copied())
    }

    /// A map equal to `master`: a kept map with the same keys, values overwritten, or
    /// a copy.
    fn copy_of(&mut self, master: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        self.take(master.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
}

/// An object that gives its label maps back to the [`MapPool`] once it is written
/// ([`Cx::push`]).
pub trait GiveBack {
    /// Moves the object's label maps to `cache`.
    fn give_back(&mut self, cache: &mut MetaCache);
}

fn give_back_selector(cache: &mut MetaCache, s: Option<&mut LabelSelector>) {
    if let Some(s) = s {
        cache.give_back(s.match_labels.take());
    }
}

fn give_back_template(cache: &mut MetaCache, t: &mut PodTemplateSpec) {
    if let Some(m) = &mut t.metadata {
        cache.give_back(m.labels.take());
    }
    if let Some(spec) = &mut t.spec {
        let init = spec.init_containers.iter_mut().flatten();
        for c in spec.containers.iter_mut().chain(init) {
            if let Some(r) = &mut c.resources {
                cache.give_back_quantities(r.requests.take());
                cache.give_back_quantities(r.limits.take());
            }
        }
    }
    let terms = t
        .spec
        .as_mut()
        .and_then(|s| s.affinity.as_mut())
        .and_then(|a| a.pod_anti_affinity.as_mut())
        .and_then(|a| {
            a.preferred_during_scheduling_ignored_during_execution
                .as_mut()
        });
    for term in terms.into_iter().flatten() {
        give_back_selector(cache, term.pod_affinity_term.label_selector.as_mut());
    }
}

/// Objects whose only label map is in their metadata.
macro_rules! give_back_metadata {
    ($($t:ty),* $(,)?) => {
        $(impl GiveBack for $t {
            fn give_back(&mut self, cache: &mut MetaCache) {
                cache.give_back(self.metadata.labels.take());
            }
        })*
    };
}

give_back_metadata!(
    Namespace,
    ServiceAccount,
    k8s_openapi::api::core::v1::PersistentVolumeClaim,
    k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
    k8s_openapi::api::networking::v1::Ingress,
);

/// A ConfigMap's data is a string map too: the next app's ConfigMap usually has the
/// same keys.
impl GiveBack for k8s_openapi::api::core::v1::ConfigMap {
    fn give_back(&mut self, cache: &mut MetaCache) {
        cache.give_back(self.metadata.labels.take());
        cache.give_back(self.data.take());
    }
}

/// Workloads: metadata, selector, pod template.
macro_rules! give_back_workload {
    ($($t:ty),* $(,)?) => {
        $(impl GiveBack for $t {
            fn give_back(&mut self, cache: &mut MetaCache) {
                cache.give_back(self.metadata.labels.take());
                give_back_selector(cache, Some(&mut self.spec.selector));
                give_back_template(cache, &mut self.spec.template);
            }
        })*
    };
}

give_back_workload!(apps::Deployment, apps::StatefulSet, apps::DaemonSet);

impl GiveBack for batch::Job {
    fn give_back(&mut self, cache: &mut MetaCache) {
        cache.give_back(self.metadata.labels.take());
        if let Some(spec) = &mut self.spec {
            give_back_template(cache, &mut spec.template);
        }
    }
}

impl GiveBack for batch::CronJob {
    fn give_back(&mut self, cache: &mut MetaCache) {
        cache.give_back(self.metadata.labels.take());
        let t = &mut self.spec.job_template;
        if let Some(m) = &mut t.metadata {
            cache.give_back(m.labels.take());
        }
        if let Some(spec) = &mut t.spec {
            give_back_template(cache, &mut spec.template);
        }
    }
}

impl GiveBack for k8s_openapi::api::core::v1::Service {
    fn give_back(&mut self, cache: &mut MetaCache) {
        cache.give_back(self.metadata.labels.take());
        cache.give_back(self.spec.as_mut().and_then(|s| s.selector.take()));
    }
}

impl GiveBack for k8s_openapi::api::policy::v1::PodDisruptionBudget {
    fn give_back(&mut self, cache: &mut MetaCache) {
        cache.give_back(self.metadata.labels.take());
        give_back_selector(cache, self.spec.as_mut().and_then(|s| s.selector.as_mut()));
    }
}

impl GiveBack for k8s_openapi::api::networking::v1::NetworkPolicy {
    fn give_back(&mut self, cache: &mut MetaCache) {
        cache.give_back(self.metadata.labels.take());
        give_back_selector(
            cache,
            self.spec.as_mut().and_then(|s| s.pod_selector.as_mut()),
        );
    }
}

/// The metadata of `block` of `app`, built on first use.
pub fn of(cx: &mut Cx, app: &App, block: &Block) -> std::sync::Arc<BlockMeta> {
    let key = [
        std::ptr::from_ref(app).addr(),
        block.name.as_ptr().addr(),
        block.name.len(),
        std::ptr::from_ref(block.labels).addr(),
        std::ptr::from_ref(block.annotations).addr(),
    ];
    if let Some((_, m)) = cx.meta.entries.iter().find(|(k, _)| *k == key) {
        return m.clone();
    }
    let m = std::sync::Arc::new(BlockMeta::new(app, block, &mut cx.meta.pool));
    cx.meta.entries.push((key, m.clone()));
    m
}

/// Object metadata: name, the app's namespace, labels and annotations.
pub fn object_meta(cx: &mut Cx, app: &App, block: &Block, name: String) -> ObjectMeta {
    of(cx, app, block).object_meta(cx, app, name)
}

/// Warnings about metadata that only show once labels are assembled: a label that
/// tries to replace a standard one, an invalid version.
pub fn check_metadata(cx: &mut Cx, app: &App) {
    let blocks = app
        .workloads
        .iter()
        .map(|w| (&w.labels, w.loc))
        .chain(app.jobs.iter().map(|j| (&j.labels, j.loc)))
        .chain(app.crons.iter().map(|c| (&c.labels, c.loc)))
        .chain(std::iter::once((&app.labels, app.loc)));
    for (labels, loc) in blocks {
        for k in labels.keys() {
            if STANDARD.contains(&k.as_str()) {
                cx.diags.push(
                    Diagnostic::new(
                        codes::LABEL_OVERRIDE,
                        loc.file,
                        loc.span,
                        format!("label `{k}` is managed by kiln: this value is ignored"),
                    )
                    .label("sets a kiln-managed label")
                    .help("use another label key, e.g. `team` or `tier`"),
                );
            }
        }
    }
    let v = app.version.as_deref().or(app.image.tag.as_deref());
    if let Some(v) = v
        && !valid_label_value(v)
    {
        let loc = if app.version.is_some() {
            app.loc
        } else {
            app.image.loc
        };
        cx.diags.push(
            Diagnostic::new(
                codes::BAD_VERSION_LABEL,
                loc.file,
                loc.span,
                format!("`{v}` is not a valid label value: `{VERSION}` is left out"),
            )
            .label("not a valid label value")
            .help("set `version` to at most 63 letters, digits, `-`, `_` or `.`"),
        );
    }
}

const PSS_AUDIT: &str = "pod-security.kubernetes.io/audit";
const PSS_ENFORCE: &str = "pod-security.kubernetes.io/enforce";
const PSS_WARN: &str = "pod-security.kubernetes.io/warn";

const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// The Namespace, labelled for Pod Security Standards: `enforce` at the strictest level
/// the app's pods meet (restricted unless relaxed in source), `audit` and `warn` always
/// at `restricted` so every relaxation stays visible.
pub fn namespace(cx: &mut Cx, app: &App, level: PssLevel) {
    if SYSTEM_NAMESPACES.contains(&app.namespace.as_str()) {
        cx.diags.push(
            Diagnostic::new(
                codes::NAMESPACE_NOT_MANAGED,
                app.loc.file,
                app.loc.span,
                format!(
                    "namespace `{}` is a system namespace: kiln does not generate or label it",
                    app.namespace
                ),
            )
            .label("deployed into a system namespace")
            .help("set `namespace` to a namespace of the app's own"),
        );
        return;
    }
    let block = Block::app(app);
    let m = of(cx, app, &block);
    let labels = if app.labels.is_empty() {
        // The standard set and the Pod Security labels, in key order (`app.…` <
        // `pod-security.…`): the previous Namespace's map has these keys.
        let mut p = std_pairs(app, &block, version(app));
        for v in p.items.iter_mut().take(p.len) {
            if v.0 == INSTANCE || v.0 == NAME {
                v.1 = &app.namespace;
            }
        }
        p.push(PSS_AUDIT, "restricted");
        p.push(PSS_ENFORCE, level.as_str());
        p.push(PSS_WARN, "restricted");
        cx.meta.pool.take_sorted(p.as_slice())
    } else {
        let mut labels = m.labels(cx);
        // The Namespace is an instance of its own: both always present in `labels`.
        for key in [INSTANCE, NAME] {
            if let Some(v) = labels.get_mut(key) {
                v.clone_from(&app.namespace);
            }
        }
        labels.insert(PSS_ENFORCE.to_owned(), level.as_str().to_owned());
        labels.insert(PSS_AUDIT.to_owned(), "restricted".to_owned());
        labels.insert(PSS_WARN.to_owned(), "restricted".to_owned());
        labels
    };
    let mut ns = Namespace {
        metadata: ObjectMeta {
            name: Some(app.namespace.clone()),
            labels: Some(labels),
            annotations: m.annotations(),
            ..Default::default()
        },
        ..Default::default()
    };
    cx.push(app, "", &mut ns);
}

/// One ServiceAccount per app, without an automatically mounted token: pods that need
/// the API opt in with `security { service_account_token = true }`.
pub fn service_account(cx: &mut Cx, app: &App) {
    let block = Block::app(app);
    let mut sa = ServiceAccount {
        metadata: object_meta(cx, app, &block, app.name.clone()),
        automount_service_account_token: Some(false),
        ..Default::default()
    };
    cx.push(app, "", &mut sa);
}

/// Kinds that are not namespaced (a raw object of these kinds gets no namespace).
const CLUSTER_SCOPED: [&str; 16] = [
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "CSIDriver",
];

/// Sets `metadata.namespace` of a raw object if it has none and its kind is namespaced.
pub fn default_namespace(value: &mut Value, namespace: &str) {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if CLUSTER_SCOPED.contains(&kind) {
        return;
    }
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut)
        && !meta.contains_key("namespace")
    {
        meta.insert("namespace".to_owned(), Value::String(namespace.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_length_prefixed() {
        // Pinned: a change here renames every ConfigMap and Job of every user.
        assert_eq!(content_hash(["a", "bc"], 16), "ba1e1f0e0704d8ea");
        assert_ne!(content_hash(["a", "bc"], 10), content_hash(["ab", "c"], 10));
        assert_eq!(content_hash(["x"], 8).len(), 8);
        let mut h = ContentHash::default();
        h.str("a").str("bc");
        assert_eq!(h.hex(16), format!("{:016x}", h.0));
        assert_eq!(h.hex(20), h.hex(16));
        assert_eq!(h.hex(3), format!("{:016x}", h.0)[..3]);
    }

    #[test]
    fn standard_keys_in_the_order_labels_lists_them() {
        // `labels`, `std_pairs` and `BlockMeta::new` push the standard keys in this order,
        // and the Namespace's Pod Security keys come after them.
        let order = [COMPONENT, INSTANCE, MANAGED_BY, NAME, PART_OF, VERSION];
        assert!(order.windows(2).all(|w| w[0] < w[1]));
        let ns = [
            INSTANCE,
            MANAGED_BY,
            NAME,
            PART_OF,
            VERSION,
            PSS_AUDIT,
            PSS_ENFORCE,
            PSS_WARN,
        ];
        assert!(ns.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn pooled_maps_are_the_maps_asked_for() {
        let fresh = |e: &[(&str, &str)]| -> BTreeMap<String, String> {
            e.iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        };
        let kept = |pool: &MapPool, n: usize| pool.maps.get(n).map_or(0, Vec::len);
        let mut pool = MapPool::default();
        let want = [(INSTANCE, "a"), (NAME, "a")];
        // Nothing kept: a new map.
        assert_eq!(pool.take_sorted(&want), fresh(&want));
        // A kept map with these keys has its values rewritten, longer or shorter.
        pool.put(Some(fresh(&[
            (INSTANCE, "a-much-longer-value"),
            (NAME, ""),
        ])));
        assert_eq!(pool.take_sorted(&want), fresh(&want));
        assert_eq!(kept(&pool, 2), 0);
        // Other keys, or more of them, are not taken; a map whose first key matched
        // stays kept.
        pool.put(Some(fresh(&[(INSTANCE, "x"), (PART_OF, "x")])));
        pool.put(Some(fresh(&[(INSTANCE, "x"), (NAME, "x"), (PART_OF, "x")])));
        assert_eq!(pool.take_sorted(&want), fresh(&want));
        assert_eq!((kept(&pool, 2), kept(&pool, 3)), (1, 1));
        // A full list drops its oldest maps, so maps nothing asks for do not keep the
        // others out.
        for _ in 0..2 * MapPool::MAX {
            pool.put(Some(fresh(&[(COMPONENT, "junk"), (PART_OF, "junk")])));
        }
        pool.put(Some(fresh(&[(INSTANCE, "b"), (NAME, "b")])));
        assert_eq!(kept(&pool, 2), MapPool::MAX);
        assert_eq!(pool.take_sorted(&want), fresh(&want));
        assert_eq!(kept(&pool, 2), MapPool::MAX - 1);
        // Maps longer than the longest kept, and empty ones, are dropped.
        let long: BTreeMap<String, String> = (0..=MapPool::LONGEST)
            .map(|i| (i.to_string(), String::new()))
            .collect();
        pool.put(Some(long));
        pool.put(Some(BTreeMap::new()));
        assert_eq!(kept(&pool, 0), 0);
        // `copy_of` gives an equal map whether it copies or reuses.
        let master = fresh(&[(INSTANCE, "m"), (NAME, "m")]);
        assert_eq!(pool.copy_of(&master), master);
        pool.put(Some(fresh(&[(INSTANCE, "zzzz"), (NAME, "q")])));
        assert_eq!(pool.copy_of(&master), master);
    }

    #[test]
    fn pooled_quantity_maps_are_the_maps_asked_for() {
        let want = |cpu: &str, mem: &str| {
            BTreeMap::from([
                ("cpu".to_owned(), Quantity(cpu.to_owned())),
                ("memory".to_owned(), Quantity(mem.to_owned())),
            ])
        };
        let mut cache = MetaCache::default();
        assert_eq!(cache.cpu_memory("100m", "1Gi"), want("100m", "1Gi"));
        cache.give_back_quantities(Some(want("a-long-quantity", "")));
        // Other keys are not kept.
        cache.give_back_quantities(Some(BTreeMap::from([(
            "cpu".to_owned(),
            Quantity("1".to_owned()),
        )])));
        assert_eq!(cache.quantities.len(), 1);
        assert_eq!(cache.cpu_memory("1", "256Mi"), want("1", "256Mi"));
        assert!(cache.quantities.is_empty());
    }

    #[test]
    fn label_values() {
        assert!(valid_label_value("1.4.2"));
        assert!(valid_label_value(""));
        assert!(!valid_label_value("-x"));
        assert!(!valid_label_value("release/1"));
        assert!(!valid_label_value(&"a".repeat(64)));
    }
}
