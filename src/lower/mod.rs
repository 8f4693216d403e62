//! Lower: typed model → Kubernetes objects (k8s-openapi types, then JSON values in a
//! stable key order), with kiln's security and operational defaults.
//!
//! One file per concern: [`meta`] (names, labels, hashes), [`env`] (ConfigMaps, envFrom,
//! secret references), [`pod`] (pod spec, containers, security context, probes,
//! volumes), [`workload`] (Deployment, StatefulSet, DaemonSet, Service), [`job`] (Job,
//! CronJob), [`scaling`] (HPA, PDB), [`network`] (NetworkPolicy, Ingress), [`patch`]
//! (the `patch` escape hatch, checked against the Kubernetes schema). Every default is
//! explained in `docs/output.md`; keep the two in step.
//!
//! Invariant: lowering never panics on a model the checker accepted. Limits only
//! lowering can see (a generated name too long, a patch path the schema does not have)
//! are K04xx diagnostics pointing at source.

mod env;
mod job;
mod json;
mod meta;
mod network;
mod patch;
mod pod;
mod scaling;
mod workload;

use crate::check::model::{App, Model, RunPhase};
use crate::diag::{Diagnostic, Diagnostics};
use crate::{BundleFiles, Options};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;
use std::collections::HashMap;

pub use job::DEFAULT_TIMEOUT_SECS as DEFAULT_JOB_TIMEOUT_SECS;
pub use meta::content_hash;
pub(crate) use patch::dns_1035_label;
pub use workload::default_replicas;

/// A supported Kubernetes minor version (1.33 through the newest k8s-openapi knows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubeVersion {
    /// Always 1.
    pub major: u32,
    /// 33..=37.
    pub minor: u32,
}

impl KubeVersion {
    /// The oldest version kiln targets.
    pub const OLDEST: KubeVersion = KubeVersion {
        major: 1,
        minor: 33,
    };
    /// The newest version kiln targets (the default).
    pub const NEWEST: KubeVersion = KubeVersion {
        major: 1,
        minor: 37,
    };
}

/// One generated Kubernetes object.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The app it belongs to.
    pub app: String,
    /// `Deployment`, `Service`, ...
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The object, keys in conventional order (apiVersion, kind, metadata, spec).
    pub value: serde_json::Value,
    /// `metadata.namespace` (empty for cluster-scoped objects such as the Namespace).
    pub namespace: String,
    /// The block it comes from (`web`, `migrate`); empty for app-level objects.
    pub block: String,
    /// For Jobs: when the job runs in a release. The ordering stage groups objects by
    /// release phase with it; `None` for everything applied with the workloads.
    pub run: Option<RunPhase>,
    /// The release phase the object is applied in (from its kind, or its job's `run`).
    pub phase: crate::order::Phase,
    /// For release jobs: the job's step in its phase window (1 first; jobs of one step
    /// are independent); 0 for every other object.
    pub step: u32,
}

impl Object {
    /// An object from its JSON value: kind, name and namespace are read from it.
    pub fn from_value(app: &str, block: &str, value: Value) -> Object {
        let field = |v: &Value, path: &[&str]| -> String {
            let mut cur = v;
            for p in path {
                match cur.get(p) {
                    Some(next) => cur = next,
                    None => return String::new(),
                }
            }
            cur.as_str().unwrap_or_default().to_owned()
        };
        let kind = field(&value, &["kind"]);
        Object {
            app: app.to_owned(),
            phase: crate::order::phase_of_kind(&kind),
            step: 0,
            kind,
            name: field(&value, &["metadata", "name"]),
            namespace: field(&value, &["metadata", "namespace"]),
            block: block.to_owned(),
            run: None,
            value,
        }
    }
}

/// Lowers a checked model. Errors are limits only lowering can see.
///
/// Apps are lowered in parallel (rayon), each into its own [`Cx`], and the results are
/// concatenated in model order: an app's objects depend only on that app (and on the
/// Pod Security level of its namespace, computed first), so the objects, their order and
/// the diagnostics are those of a sequential run (docs/performance.md).
pub fn lower(model: &Model, options: &Options) -> Result<(Vec<Object>, Diagnostics), Diagnostics> {
    use rayon::prelude::*;
    let kube = options.kube_version.unwrap_or(KubeVersion::NEWEST);
    let namespaces = Namespaces::of(model);
    let lower_one = |(app, first): (&App, &Option<meta::PssLevel>)| {
        let mut cx = Cx::new(kube, 8);
        namespaces.lower_app(&mut cx, app, *first);
        cx
    };
    let parts: Vec<Cx> = model
        .apps
        .par_iter()
        .zip(namespaces.first.par_iter())
        .with_min_len(16)
        .map(lower_one)
        .collect();
    let mut cx = Cx::new(kube, parts.iter().map(|p| p.objects.len()).sum());
    for p in parts {
        cx.objects.extend(p.objects);
        cx.diags.extend(p.diags.0);
        cx.renamed_services.extend(p.renamed_services);
    }
    let dups = check_duplicates(&[&cx.objects], model);
    cx.diags.extend(dups);
    if cx.diags.has_errors() {
        Err(cx.diags)
    } else {
        Ok((cx.objects, cx.diags))
    }
}

/// Lowers a checked model straight to the YAML stream of a plain (`--for kubectl`)
/// bundle in release order: the bytes of [`crate::emit::to_yaml`] on the objects of
/// [`lower`] sorted by [`crate::order::sort`], and the same diagnostics, without keeping
/// a JSON tree per object. What `kiln compile` writes (docs/performance.md).
///
/// Apps are lowered in parallel, in runs of consecutive apps; each object is written as
/// YAML when it is generated (an app with `patch` blocks keeps JSON values until its
/// patches are applied, then is written), and each app's documents are put in release
/// order as soon as the app is done. The release order is app-major, so the runs
/// concatenated in model order are the sorted stream. The result is pieces of the
/// stream, in order.
pub fn lower_to_yaml(
    model: &Model,
    options: &Options,
) -> Result<(Vec<String>, Diagnostics), Diagnostics> {
    let Some(lowered) = lower_text::<Stream>(model, options) else {
        let (objects, warnings) = lower_sorted(model, options)?;
        return Ok((crate::emit::to_yaml_parts(&objects), warnings));
    };
    let (runs, diags) = lowered?;
    let mut parts = Vec::with_capacity(runs.len());
    for (run, Stream { out: mut text, .. }) in runs.into_iter().enumerate() {
        if text.is_empty() {
            continue;
        }
        if parts.is_empty() && run > 0 {
            // The first run wrote nothing, so this one starts the stream: only then is a
            // `---` removed, which moves the whole piece.
            text.drain(..4);
        }
        parts.push(text);
    }
    Ok((parts, diags))
}

/// The files of a plain (`--for kubectl`) bundle directory, as [`lower_to_yaml`] is to
/// the stream: the paths and bytes of [`crate::order::bundle_files`] on the sorted
/// objects of [`lower`], with the same diagnostics, without a JSON tree per object
/// (`kiln compile -o DIR`).
pub fn lower_to_files(model: &Model, options: &Options) -> Result<BundleFiles, Diagnostics> {
    let Some(lowered) = lower_text::<Files>(model, options) else {
        let (objects, warnings) = lower_sorted(model, options)?;
        return Ok(BundleFiles::of(&objects, warnings));
    };
    let (runs, warnings) = lowered?;
    let objects = runs.iter().map(|r| r.objects).sum();
    let mut files = Vec::with_capacity(runs.iter().map(|r| r.files.len()).sum());
    for r in runs {
        files.extend(r.files);
    }
    Ok(BundleFiles {
        files,
        objects,
        warnings,
    })
}

/// The general path of [`lower_to_yaml`] and [`lower_to_files`] (when
/// [`lower_text`] declines): [`lower`], then the objects in release order.
fn lower_sorted(
    model: &Model,
    options: &Options,
) -> Result<(Vec<Object>, Diagnostics), Diagnostics> {
    let (mut objects, warnings) = lower(model, options)?;
    crate::order::sort(&mut objects);
    Ok((objects, warnings))
}

/// What text-mode lowering does with each app's documents once they are in release
/// order: one per run of consecutive apps, concatenated in model order by the caller.
trait Sink: Send {
    /// The sink of run number `run` (0 first).
    fn new(run: usize) -> Self;
    /// Takes one app's documents: `texts` holds the YAML of `objects` (index for index),
    /// `order` their release order; the run has `apps` apps in all.
    fn app(&mut self, objects: &[Object], texts: &Texts, order: &[usize], apps: usize);
}

/// The YAML stream ([`lower_to_yaml`]): documents separated by `---`.
struct Stream {
    out: String,
    /// Whether the next document needs a `---` (the stream's first has none).
    separate: bool,
}

impl Sink for Stream {
    fn new(run: usize) -> Stream {
        Stream {
            out: String::new(),
            separate: run > 0,
        }
    }

    fn app(&mut self, _: &[Object], texts: &Texts, order: &[usize], apps: usize) {
        let out = &mut self.out;
        if out.capacity() == 0 {
            // The apps of a run are usually alike: the first one's size, with a margin,
            // spares growing (and copying) the run's text as it fills. The margin is
            // small (1/32): with huge pages, reserved bytes past the text can be
            // resident memory.
            let each = texts.buf.len() + 4 * texts.ranges.len();
            out.reserve(each * apps + each * apps / 32 + 64);
        }
        for &i in order {
            if self.separate {
                out.push_str("---\n");
            }
            self.separate = true;
            out.push_str(texts.get(i));
        }
    }
}

/// The bundle directory ([`lower_to_files`]): per app, one file per release group
/// (phase and job step), numbered in release order, as [`crate::order::bundle_files`]
/// names them.
struct Files {
    files: Vec<(std::path::PathBuf, String)>,
    objects: usize,
}

impl Sink for Files {
    fn new(_: usize) -> Files {
        Files {
            files: Vec::new(),
            objects: 0,
        }
    }

    fn app(&mut self, objects: &[Object], texts: &Texts, order: &[usize], _: usize) {
        // Groups in order of first appearance, as `order::groups` makes them: an app has
        // a handful, so a linear search. A first pass sizes each file, so that every
        // file's text is one allocation of its exact size (all of them are held until
        // the directory is written).
        let mut groups: Vec<((crate::order::Phase, u32), usize)> = Vec::new();
        let mut of: Vec<usize> = Vec::with_capacity(order.len());
        for &i in order {
            let key = objects.get(i).map(|o| (o.phase, o.step));
            let key = key.unwrap_or((crate::order::Phase::Deploy, 0));
            let g = match groups.iter().position(|(k, _)| *k == key) {
                Some(g) => g,
                None => {
                    groups.push((key, 0));
                    groups.len() - 1
                }
            };
            if let Some((_, size)) = groups.get_mut(g) {
                *size += texts.get(i).len() + if *size > 0 { 4 } else { 0 };
            }
            of.push(g);
        }
        let mut files: Vec<String> = groups
            .iter()
            .map(|&(_, size)| String::with_capacity(size))
            .collect();
        for (&i, &g) in order.iter().zip(&of) {
            if let Some(text) = files.get_mut(g) {
                if !text.is_empty() {
                    text.push_str("---\n");
                }
                text.push_str(texts.get(i));
            }
        }
        self.objects += order.len();
        let Some(first) = order.first().and_then(|&i| objects.get(i)) else {
            return;
        };
        let total = groups.len();
        for (n, (((phase, _), _), text)) in groups.into_iter().zip(files).enumerate() {
            let path = crate::order::group_file(&first.app, n + 1, total, phase);
            self.files.push((path, text));
        }
    }
}

/// The text-mode driver of [`lower_to_yaml`] and [`lower_to_files`]: the sinks of the
/// runs in model order, and the diagnostics (Err when there are errors). `None` when the
/// model has two apps of one name: `order::sort` groups objects by app name, so their
/// objects would interleave, and the caller takes the general path (the checker rejects
/// such a model, so this is a safety net).
#[allow(clippy::type_complexity)] // two nested results, each said in the doc
fn lower_text<S: Sink>(
    model: &Model,
    options: &Options,
) -> Option<Result<(Vec<S>, Diagnostics), Diagnostics>> {
    use rayon::prelude::*;
    let names: Vec<&str> = model.apps.iter().map(|a| a.name.as_str()).collect();
    let unique = first_occurrence(&names)
        .iter()
        .enumerate()
        .all(|(i, &f)| f == i);
    if !unique {
        return None;
    }
    let kube = options.kube_version.unwrap_or(KubeVersion::NEWEST);
    let namespaces = Namespaces::of(model);
    // Many runs per thread, so that the last run does not leave a core idle for long at
    // the end: with four per thread, one core idled for the last run (a tenth of the
    // lowering at 10,000 apps).
    let per_run = model
        .apps
        .len()
        .div_ceil(rayon::current_num_threads().max(1) * 16)
        .max(16);
    // The duplicate-object check's keys are hashed in the runs, on the pool, with one
    // collision-resistant hash (they are the user's names).
    let state = std::collections::hash_map::RandomState::new();
    let runs: Vec<(Diagnostics, S, Seen)> = model
        .apps
        .par_chunks(per_run)
        .zip(namespaces.first.par_chunks(per_run))
        .enumerate()
        .map(|(run, (apps, first))| {
            let mut sink = S::new(run);
            let mut cx = Cx::new(kube, 16);
            let mut texts = Texts::default();
            let mut seen = Seen::default();
            let mut order: Vec<usize> = Vec::new();
            for (i, (app, first)) in apps.iter().zip(first).enumerate() {
                // Patches edit JSON values: such an app is lowered to values, then written.
                let direct = !has_patches(app);
                if direct {
                    cx.text = Some(std::mem::take(&mut texts));
                }
                namespaces.lower_app(&mut cx, app, *first);
                match cx.text.take() {
                    Some(t) => texts = t,
                    None => {
                        for o in &mut cx.objects {
                            let at = texts.buf.len();
                            crate::emit::write_value(&mut texts.buf, &o.value);
                            texts.ranges.push((at, texts.buf.len()));
                            o.value = Value::Null;
                        }
                    }
                }
                let app_index = u32::try_from(run * per_run + i).unwrap_or(u32::MAX);
                seen.add(&state, app_index, &cx.objects);
                order.clear();
                order.extend(0..cx.objects.len());
                order.sort_by_key(|&i| cx.objects.get(i).map(crate::order::release_key));
                sink.app(&cx.objects, &texts, &order, apps.len());
                texts.buf.clear();
                texts.ranges.clear();
                // The app's records are refilled by the next app's objects.
                cx.recycled.extend(cx.objects.drain(..).rev());
            }
            (cx.diags, sink, seen)
        })
        .collect();
    let mut diags = Diagnostics::default();
    let mut sinks = Vec::with_capacity(runs.len());
    let mut seen = Vec::with_capacity(runs.len());
    for (d, sink, s) in runs {
        diags.extend(d.0);
        sinks.push(sink);
        seen.push(s);
    }
    diags.extend(duplicates_of_seen(&seen, model, &namespaces, kube));
    Some(if diags.has_errors() {
        Err(diags)
    } else {
        Ok((sinks, diags))
    })
}

fn has_patches(app: &App) -> bool {
    app.workloads.iter().any(|w| !w.patches.is_empty())
        || app.jobs.iter().any(|j| !j.patches.is_empty())
        || app.crons.iter().any(|c| !c.patches.is_empty())
}

/// Several apps may share a namespace: one Namespace object for all of them, at the
/// strictest Pod Security level every pod in it meets, generated with the first app of
/// the namespace.
struct Namespaces {
    /// For each app: the level of its namespace if the app is the first there (it then
    /// generates the Namespace object), else `None`.
    first: Vec<Option<meta::PssLevel>>,
}

impl Namespaces {
    fn of(model: &Model) -> Namespaces {
        use rayon::prelude::*;
        // Each app's level on the pool: this runs before any app is lowered.
        let levels: Vec<meta::PssLevel> = model
            .apps
            .par_iter()
            .with_min_len(64)
            .map(pod::pss_level)
            .collect();
        let namespaces: Vec<&str> = model.apps.iter().map(|a| a.namespace.as_str()).collect();
        let firsts = first_occurrence(&namespaces);
        let mut first: Vec<Option<meta::PssLevel>> = vec![None; model.apps.len()];
        for (&f, &l) in firsts.iter().zip(&levels) {
            if let Some(slot) = first.get_mut(f) {
                *slot = Some(slot.map_or(l, |x| x.min(l)));
            }
        }
        Namespaces { first }
    }

    /// Lowers one app (and its namespace, at `level`, if it is the first there).
    fn lower_app(&self, cx: &mut Cx, app: &App, first: Option<meta::PssLevel>) {
        cx.meta.clear();
        if let Some(level) = first {
            meta::namespace(cx, app, level);
        }
        lower_app(cx, app);
    }
}

/// For each key, the index of its first occurrence in `keys` (its own index if it is the
/// first). The keys are hashed on the pool with the standard, collision-resistant hash
/// (they are the user's names); only the table lookups are serial, on the hashes, and a
/// hash already taken by another key is looked up again by the key itself. At 10,000
/// apps this is the serial check for duplicate apps, namespaces and objects, which
/// hashed 100,000 keys one at a time.
fn first_occurrence<K: std::hash::Hash + Eq + Sync>(keys: &[K]) -> Vec<usize> {
    use rayon::prelude::*;
    use std::collections::hash_map::Entry;
    use std::hash::BuildHasher;
    let state = std::collections::hash_map::RandomState::new();
    let hashes: Vec<u64> = keys
        .par_iter()
        .with_min_len(1024)
        .map(|k| state.hash_one(k))
        .collect();
    // The hashes are already mixed: the table only re-mixes them, cheaply.
    let mut seen: HashMap<u64, usize, std::hash::BuildHasherDefault<crate::check::FxHasher>> =
        HashMap::with_capacity_and_hasher(keys.len(), Default::default());
    // Keys whose hash a different key already took (practically never).
    let mut collided: HashMap<&K, usize> = HashMap::new();
    let mut first = Vec::with_capacity(keys.len());
    for (i, (k, h)) in keys.iter().zip(&hashes).enumerate() {
        let f = match seen.entry(*h) {
            Entry::Vacant(slot) => *slot.insert(i),
            Entry::Occupied(taken) => {
                let at = *taken.get();
                if keys.get(at) == Some(k) {
                    at
                } else {
                    *collided.entry(k).or_insert(i)
                }
            }
        };
        first.push(f);
    }
    first
}

/// Lowering state shared by every concern.
pub(crate) struct Cx {
    /// Objects generated so far, in generation order.
    pub objects: Vec<Object>,
    /// Diagnostics found so far.
    pub diags: Diagnostics,
    /// Services renamed by a patch: (app, old name, new name).
    pub renamed_services: Vec<(String, String, String)>,
    /// The targeted Kubernetes version.
    #[allow(dead_code)]
    pub kube: KubeVersion,
    /// Text mode ([`lower_to_yaml`]): each object's YAML document is written when the
    /// object is pushed, and the object keeps a `Null` value. `None`: objects keep
    /// their JSON values (patches and the deploy targets rewrite them).
    text: Option<Texts>,
    /// The label and annotation maps of the current app's blocks, built once per block.
    meta: meta::MetaCache,
    /// Text mode: the previous app's [`Object`] records, whose strings the next objects'
    /// records are written into (an object's record is only read until its app is
    /// written, for the release order and the duplicate check's key).
    recycled: Vec<Object>,
}

/// The YAML documents of text mode: one buffer, and each object's byte range in it
/// (index for index with [`Cx::objects`]).
#[derive(Default)]
struct Texts {
    buf: String,
    ranges: Vec<(usize, usize)>,
}

impl Texts {
    /// The YAML of object `i`.
    fn get(&self, i: usize) -> &str {
        self.ranges
            .get(i)
            .and_then(|&(s, e)| self.buf.get(s..e))
            .unwrap_or_default()
    }
}

impl Cx {
    /// An empty state with room for `objects` objects.
    fn new(kube: KubeVersion, objects: usize) -> Cx {
        Cx {
            objects: Vec::with_capacity(objects),
            diags: Diagnostics::default(),
            renamed_services: Vec::new(),
            kube,
            text: None,
            meta: meta::MetaCache::default(),
            recycled: Vec::new(),
        }
    }

    /// Adds a typed object generated from `block` of `app`: serialized once to JSON, or
    /// in text mode straight to its YAML document. The object is then emptied of what
    /// can be reused: text mode moves its name and namespace into the [`Object`], and
    /// its label maps are kept for the next objects ([`meta::GiveBack`]).
    pub fn push<T>(&mut self, app: &App, block: &str, object: &mut T)
    where
        T: serde::Serialize
            + k8s_openapi::Resource
            + k8s_openapi::Metadata<Ty = ObjectMeta>
            + meta::GiveBack,
    {
        if let Some(t) = &mut self.text {
            let start = t.buf.len();
            crate::emit::typed_to_yaml(&mut t.buf, &*object);
            t.ranges.push((start, t.buf.len()));
            let meta = object.metadata();
            let mut o = self.recycled.pop().unwrap_or_else(|| Object {
                app: String::new(),
                kind: String::new(),
                name: String::new(),
                value: Value::Null,
                namespace: String::new(),
                block: String::new(),
                run: None,
                phase: crate::order::Phase::Deploy,
                step: 0,
            });
            // Every field is set: nothing of the recycled record's object stays.
            let Object {
                app: o_app,
                kind,
                name,
                value,
                namespace,
                block: o_block,
                run,
                phase,
                step,
            } = &mut o;
            pod::set_string(o_app, &app.name);
            pod::set_string(kind, T::KIND);
            pod::set_string(name, meta.name.as_deref().unwrap_or_default());
            *value = Value::Null;
            pod::set_string(namespace, meta.namespace.as_deref().unwrap_or_default());
            pod::set_string(o_block, block);
            *run = None;
            *phase = crate::order::phase_of_kind(T::KIND);
            *step = 0;
            self.objects.push(o);
            object.give_back(&mut self.meta);
            return;
        }
        let value = serde_json::to_value(&*object);
        object.give_back(&mut self.meta);
        match value {
            Ok(value) => {
                let value = conventional_order(value);
                self.objects
                    .push(Object::from_value(&app.name, block, value));
            }
            // k8s-openapi types serialize infallibly; an error here is a kiln bug, reported
            // rather than panicking.
            Err(e) => self.diags.push(Diagnostic::new(
                crate::diag::codes::INTERNAL_LOWER,
                app.loc.file,
                app.loc.span,
                format!("internal error: cannot serialize a generated object: {e}"),
            )),
        }
    }

    /// Adds an object given as a JSON value (raw objects, custom resources), its keys
    /// in the order given.
    pub fn push_value(&mut self, app: &str, block: &str, value: Value) {
        let mut o = Object::from_value(app, block, value);
        if let Some(t) = &mut self.text {
            let start = t.buf.len();
            t.buf.push_str(&crate::emit::value_to_yaml(&o.value));
            t.ranges.push((start, t.buf.len()));
            o.value = Value::Null;
        }
        self.objects.push(o);
    }
}

/// Top-level keys in the conventional order: apiVersion, kind, metadata, then the rest
/// (k8s-openapi writes a ConfigMap's `data` or a ServiceAccount's
/// `automountServiceAccountToken` before `metadata`, in alphabetical order).
pub(crate) fn conventional_order(value: Value) -> Value {
    let Value::Object(mut m) = value else {
        return value;
    };
    if m.keys().nth(2).is_none_or(|k| k == "metadata") {
        return Value::Object(m);
    }
    let mut out = serde_json::Map::with_capacity(m.len());
    for key in ["apiVersion", "kind", "metadata"] {
        if let Some(v) = m.shift_remove(key) {
            out.insert(key.to_owned(), v);
        }
    }
    out.extend(m);
    Value::Object(out)
}

fn lower_app(cx: &mut Cx, app: &App) {
    meta::check_metadata(cx, app);
    meta::service_account(cx, app);
    let app_env = env::app_config_map(cx, app);
    for w in &app.workloads {
        let start = cx.objects.len();
        workload::lower(cx, app, w, app_env.as_deref());
        patch::apply(cx, app, &w.name, &w.patches, start);
    }
    // Where each job runs in a release (phase and step), from the `after` graph.
    let slots = crate::order::jobs::slots(app);
    for j in &app.jobs {
        let start = cx.objects.len();
        job::lower_job(cx, app, j, app_env.as_deref(), slots.get(&j.name).copied());
        patch::apply(cx, app, &j.name, &j.patches, start);
    }
    for c in &app.crons {
        let start = cx.objects.len();
        job::lower_cron(cx, app, c, app_env.as_deref());
        patch::apply(cx, app, &c.name, &c.patches, start);
    }
    network::app_ingress(cx, app);
    network::policies(cx, app);
    for raw in &app.raw {
        let mut value = raw.object.clone();
        meta::default_namespace(&mut value, &app.namespace);
        cx.push_value(&app.name, "", value);
    }
    patch::fix_references(cx, app);
}

/// Where the block `block` of app `app` is declared (the app itself for app-level
/// objects).
pub(crate) fn block_loc(model: &Model, app: &str, block: &str) -> crate::source::Loc {
    let Some(a) = model.apps.iter().find(|a| a.name == app) else {
        return Default::default();
    };
    if block.is_empty() {
        return a.loc;
    }
    a.workloads
        .iter()
        .map(|w| (&w.name, w.loc))
        .chain(a.jobs.iter().map(|j| (&j.name, j.loc)))
        .chain(a.crons.iter().map(|c| (&c.name, c.loc)))
        .find(|(n, _)| *n == block)
        .map_or(a.loc, |(_, l)| l)
}

/// Two generated objects with the same kind, namespace and name would overwrite each
/// other on apply (`app a { service b-c }` and `app a-b { service c }` in one namespace).
/// `parts` are the objects in generation order, in consecutive slices (one per run of
/// apps in [`lower_to_yaml`]); the diagnostics come in the order of the later object.
fn check_duplicates(parts: &[&[Object]], model: &Model) -> Vec<Diagnostic> {
    let objects: Vec<&Object> = parts.iter().flat_map(|p| p.iter()).collect();
    let keys: Vec<(&str, &str, &str)> = objects
        .iter()
        .map(|o| (o.kind.as_str(), o.namespace.as_str(), o.name.as_str()))
        .collect();
    let dups: Vec<(usize, usize)> = first_occurrence(&keys)
        .into_iter()
        .enumerate()
        .filter(|&(i, f)| f != i)
        .map(|(i, f)| (f, i))
        .collect();
    dups.into_iter()
        .filter_map(|(first, i)| Some(duplicate(model, objects.get(first)?, objects.get(i)?)))
        .collect()
}

/// K0411 for `b`, generated after `a` with the same kind, namespace and name.
fn duplicate(model: &Model, a: &Object, b: &Object) -> Diagnostic {
    let here = block_loc(model, &b.app, &b.block);
    let there = block_loc(model, &a.app, &a.block);
    Diagnostic::new(
        crate::diag::codes::DUPLICATE_OBJECT,
        here.file,
        here.span,
        format!(
            "two generated objects are both {} `{}` in namespace `{}`",
            b.kind, b.name, b.namespace
        ),
    )
    .label(format!("generates {} `{}`", b.kind, b.name))
    .secondary(there.file, there.span, "which this block also generates")
    .help("rename one of the blocks or apps, or put the apps in different namespaces")
}

/// Buckets of [`Seen`] by the top bits of the hash: one table each, filled on the pool.
const SEEN_BUCKETS: usize = 16;

/// The duplicate-object check's record of the objects of a run of apps in
/// [`lower_to_yaml`]: the hash of each object's (kind, namespace, name) and where the
/// object is (app index in the model, index among the app's objects in generation
/// order, which is also the order of the check), in [`SEEN_BUCKETS`] buckets. No
/// strings are kept: the rare objects whose hashes meet are generated again to compare
/// their keys ([`duplicates_of_seen`]).
#[derive(Default)]
struct Seen {
    buckets: [Vec<(u64, u32, u32)>; SEEN_BUCKETS],
}

impl Seen {
    /// Records the objects of app `app`.
    fn add(
        &mut self,
        state: &std::collections::hash_map::RandomState,
        app: u32,
        objects: &[Object],
    ) {
        use std::hash::BuildHasher;
        for (i, o) in objects.iter().enumerate() {
            let h = state.hash_one((o.kind.as_str(), o.namespace.as_str(), o.name.as_str()));
            let bucket = (h >> 60) as usize % SEEN_BUCKETS;
            if let Some(b) = self.buckets.get_mut(bucket) {
                b.push((h, app, u32::try_from(i).unwrap_or(u32::MAX)));
            }
        }
    }
}

/// [`check_duplicates`] on the records of [`lower_to_yaml`]'s runs (in model order): the
/// same diagnostics in the same order. The buckets are searched on the pool; objects
/// whose hashes meet (a duplicate, or practically never a collision) are generated again,
/// with their app, to compare their keys and write the diagnostic.
fn duplicates_of_seen(
    runs: &[Seen],
    model: &Model,
    namespaces: &Namespaces,
    kube: KubeVersion,
) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    type Fx = std::hash::BuildHasherDefault<crate::check::FxHasher>;
    // Objects whose hash an earlier object has, with that hash; in check order per bucket.
    let met: Vec<Vec<(u64, (u32, u32))>> = (0..SEEN_BUCKETS)
        .into_par_iter()
        .map(|b| {
            let len = runs
                .iter()
                .filter_map(|r| r.buckets.get(b))
                .map(Vec::len)
                .sum();
            let mut first: HashMap<u64, (u32, u32), Fx> =
                HashMap::with_capacity_and_hasher(len, Fx::default());
            let mut met = Vec::new();
            for &(h, app, i) in runs.iter().filter_map(|r| r.buckets.get(b)).flatten() {
                if let Some(&f) = first.get(&h) {
                    // The first one again for each later one: groups are deduplicated.
                    met.push((h, f));
                    met.push((h, (app, i)));
                } else {
                    first.insert(h, (app, i));
                }
            }
            met
        })
        .collect();
    if met.iter().all(Vec::is_empty) {
        return Vec::new();
    }
    // Each group of objects of one hash, in check order.
    let mut groups: HashMap<u64, Vec<(u32, u32)>> = HashMap::new();
    for (h, at) in met.into_iter().flatten() {
        groups.entry(h).or_default().push(at);
    }
    for g in groups.values_mut() {
        g.sort_unstable();
        g.dedup();
    }
    // The apps of those objects, lowered again to values (as [`lower`] does).
    let mut apps: Vec<u32> = groups.values().flatten().map(|&(a, _)| a).collect();
    apps.sort_unstable();
    apps.dedup();
    let lowered: HashMap<u32, Vec<Object>> = apps
        .par_iter()
        .filter_map(|&a| {
            let app = model.apps.get(a as usize)?;
            let first = namespaces.first.get(a as usize)?;
            let mut cx = Cx::new(kube, 8);
            namespaces.lower_app(&mut cx, app, *first);
            Some((a, cx.objects))
        })
        .collect();
    let object = |(a, i): (u32, u32)| lowered.get(&a).and_then(|o| o.get(i as usize));
    let mut dups: Vec<((u32, u32), (u32, u32))> = Vec::new();
    for g in groups.values() {
        let mut first: HashMap<(&str, &str, &str), (u32, u32)> = HashMap::new();
        for &at in g {
            let Some(o) = object(at) else { continue };
            let key = (o.kind.as_str(), o.namespace.as_str(), o.name.as_str());
            let f = *first.entry(key).or_insert(at);
            if f != at {
                dups.push((at, f));
            }
        }
    }
    dups.sort_unstable();
    dups.into_iter()
        .filter_map(|(later, first)| Some(duplicate(model, object(first)?, object(later)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::first_occurrence;

    /// [`super::lower_to_yaml`] finds duplicate objects from hashes kept in its runs
    /// (`Seen`): the same diagnostics, in the same order, as [`super::lower`]'s check on
    /// the objects, for duplicates within a run, across runs, and three of one key.
    #[test]
    fn duplicates_in_text_mode_are_those_of_the_objects() {
        let app = |name: &str, ns: &str, block: &str| {
            format!(
                "app {name} {{\n  namespace = \"{ns}\"\n  image = \"registry.example.com/a:1.0.0\"\n  worker {block} {{ command = [\"run\"] }}\n}}\n"
            )
        };
        let ns = |i: usize| {
            if i.is_multiple_of(2) {
                "shared"
            } else {
                "other"
            }
        };
        // `a{i}` + `b-c` and `a{i}-b` + `c` make one name: next to each other, far apart
        // (in other runs), in one namespace or not; `p` + `q-r-s`, `p-q` + `r-s` and
        // `p-q-r` + `s` three times.
        let mut apps = vec![app("p", "shared", "q-r-s")];
        for i in 0..400 {
            apps.push(app(&format!("a{i}"), ns(i), "b-c"));
            if matches!(i, 4 | 7 | 200) {
                apps.push(app(&format!("a{}-b", i + 1), ns(i), "c"));
            }
            if i == 150 {
                apps.push(app("p-q", "shared", "r-s"));
            }
        }
        for i in [3, 390, 6] {
            apps.push(app(&format!("a{i}-b"), ns(i), "c"));
        }
        apps.push(app("p-q-r", "shared", "s"));
        let src = apps.concat();
        let source = crate::Source::from_text("dups.kiln", src);
        let options = crate::Options::default();
        let Err(general) = crate::compile(&source, &options) else {
            panic!("duplicates are errors");
        };
        let Err(fast) = crate::compile_to_yaml(&source, &options) else {
            panic!("duplicates are errors");
        };
        let k0411 = general
            .0
            .iter()
            .filter(|d| d.code.to_string() == "K0411")
            .count();
        assert_eq!(k0411, 5, "a3, a6, a390, p-q and p-q-r generate a duplicate");
        assert_eq!(general, fast);
    }

    #[test]
    fn first_occurrence_points_at_the_first_equal_key() {
        assert_eq!(
            first_occurrence(&["a", "b", "a", "c", "b", "a"]),
            vec![0, 1, 0, 3, 1, 0]
        );
        assert_eq!(first_occurrence::<&str>(&[]), Vec::<usize>::new());
        // Many keys, to cross the parallel hashing threshold.
        let keys: Vec<String> = (0..5000).map(|i| format!("k{}", i % 1234)).collect();
        let first = first_occurrence(&keys);
        for (i, &f) in first.iter().enumerate() {
            assert_eq!(f, i % 1234);
        }
    }
}
