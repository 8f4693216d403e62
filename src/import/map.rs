//! Mapping, kind by kind: each input object becomes fields of a kiln block (a
//! Deployment a `service` or `worker`, a StatefulSet a `stateful`, ...), a raw object,
//! a reference (Secrets), or is folded into another block (a ConfigMap read through
//! `envFrom` becomes `env`). What a block does not model is left to the patch
//! extraction ([`super::patch`]), which compares the input with what kiln generates.

use super::read::{describe, s, sanitize};
use super::write::{self, Node, string, string_list};
use super::{Item, ItemKind};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// An input object that a kiln object reproduces: the patch extraction compares them.
#[derive(Debug, Clone)]
pub struct Target {
    /// Index of the input object.
    pub input: usize,
    /// The kind kiln generates (`Deployment`).
    pub kind: String,
    /// The kiln block (`web`).
    pub block: String,
    /// The block's kind (`service`), to find its node.
    pub block_kind: String,
    /// Pointers (RFC 6901 prefixes) the mapping answered for: not patched.
    pub skip: Vec<String>,
    /// Env var names of the main container the mapping wrote as `env`.
    pub env_mapped: BTreeSet<String>,
    /// `envFrom` entries of the main container the mapping wrote (by source name).
    pub env_from_mapped: BTreeSet<String>,
    /// The same for sidecar and init containers, by the container's pointer in
    /// [`Target::reshaped`]: (env names, envFrom sources).
    pub container_env: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>,
    /// The input as kiln places it, when it differs: containers mapped to `sidecar`
    /// blocks moved to `initContainers` (kiln runs them as native sidecars). The patch
    /// extraction compares this with the generated object.
    pub reshaped: Option<Value>,
}

/// What one app becomes.
#[derive(Debug, Default)]
pub struct AppPlan {
    /// The app's name.
    pub name: String,
    /// The `app` block.
    pub node: Node,
    /// Input objects reproduced by kiln objects.
    pub targets: Vec<Target>,
    /// Raw objects: (relative file path, input index).
    pub raws: Vec<(String, usize)>,
    /// Files of `volume { files = [..] }` (a ConfigMap mounted as files): (relative
    /// path, content).
    pub files: Vec<(String, String)>,
    /// Input objects the app accounts for without a kiln object of their own (Secrets,
    /// ConfigMaps folded into `env`, the Namespace): index and why.
    pub absorbed: Vec<(usize, Absorbed)>,
}

/// How an input object without a kiln counterpart is accounted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absorbed {
    /// A Secret: referenced by name, never imported.
    Secret,
    /// A ConfigMap whose keys became `env` entries.
    EnvConfigMap,
    /// The Namespace (kiln writes its own) or the app's ServiceAccount.
    Generated,
    /// A ConfigMap mounted as files: its keys became the files of a `volume`.
    FileConfigMap,
}

/// Kinds of Kubernetes itself (anything else is a custom resource).
const BUILTIN: [&str; 22] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Service",
    "ConfigMap",
    "Secret",
    "Namespace",
    "ServiceAccount",
    "Ingress",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "PersistentVolumeClaim",
    "Role",
    "RoleBinding",
    "ClusterRole",
    "ClusterRoleBinding",
    "PriorityClass",
    "StorageClass",
    "IngressClass",
];

/// The pod spec of a workload.
fn pod_pointer(kind: &str) -> &'static str {
    match kind {
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    }
}

/// Whether kiln maps this group/kind (other versions and kinds are carried raw).
fn mappable(v: &Value) -> bool {
    matches!(
        (
            s(v, "/apiVersion").unwrap_or_default(),
            s(v, "/kind").unwrap_or_default()
        ),
        ("apps/v1", "Deployment" | "StatefulSet" | "DaemonSet")
            | ("batch/v1", "Job" | "CronJob")
            | (
                "v1",
                "Service" | "ConfigMap" | "Secret" | "Namespace" | "ServiceAccount"
            )
            | ("networking.k8s.io/v1", "Ingress")
            | ("autoscaling/v2", "HorizontalPodAutoscaler")
            | ("policy/v1", "PodDisruptionBudget")
    )
}

/// Whether the object fits its Kubernetes schema (k8s-openapi's types): only such
/// objects are mapped, since their fields become typed kiln values and checked patches.
fn schema_ok(v: &Value) -> bool {
    use k8s_openapi::api::{apps::v1 as apps, autoscaling::v2 as hpa, batch::v1 as batch};
    use k8s_openapi::api::{core::v1 as core, networking::v1 as net, policy::v1 as policy};
    fn fits<T: serde::de::DeserializeOwned>(v: &Value) -> bool {
        serde_json::from_value::<T>(v.clone()).is_ok()
    }
    match s(v, "/kind").unwrap_or_default() {
        "Deployment" => fits::<apps::Deployment>(v),
        "StatefulSet" => fits::<apps::StatefulSet>(v),
        "DaemonSet" => fits::<apps::DaemonSet>(v),
        "Job" => fits::<batch::Job>(v),
        "CronJob" => fits::<batch::CronJob>(v),
        "Service" => fits::<core::Service>(v),
        "ConfigMap" => fits::<core::ConfigMap>(v),
        "Secret" => fits::<core::Secret>(v),
        "Namespace" => fits::<core::Namespace>(v),
        "ServiceAccount" => fits::<core::ServiceAccount>(v),
        "Ingress" => fits::<net::Ingress>(v),
        "HorizontalPodAutoscaler" => fits::<hpa::HorizontalPodAutoscaler>(v),
        "PodDisruptionBudget" => fits::<policy::PodDisruptionBudget>(v),
        _ => false,
    }
}

/// A kiln number (`250m`, `1.5`, `512Mi`) when the quantity is written that way.
fn quantity(v: &Value) -> Option<String> {
    let t = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let digits_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(digits_end);
    let num_ok = !num.is_empty()
        && !num.starts_with('.')
        && !num.ends_with('.')
        && num.matches('.').count() <= 1;
    let unit_ok = ["", "m", "k", "Ki", "Mi", "Gi", "Ti", "K", "M", "G", "T"].contains(&unit);
    (num_ok && unit_ok).then_some(t)
}

/// Whether `s` is an env var name kiln accepts as a key (a C identifier).
fn c_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// A duration in seconds as kiln writes it.
fn seconds(v: &Value) -> Option<String> {
    v.as_u64().map(|n| format!("{n}s"))
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v?.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_owned))
        .collect()
}

/// The app being mapped: its objects and what is known across them.
pub struct Mapper<'a> {
    /// Every input object (cleaned).
    pub objects: &'a [Value],
    /// The indexes of this app's objects.
    pub members: &'a [usize],
    /// The app name.
    pub app: String,
    /// Report items.
    pub items: Vec<Item>,
    /// Names of ConfigMaps of the app read through `envFrom`/`configMapKeyRef`.
    folded: BTreeSet<String>,
    used_blocks: BTreeSet<String>,
    /// Members of a kind and version kiln maps that fit their schema.
    ok: BTreeSet<usize>,
    /// The ConfigMap every container of every workload reads whole through `envFrom`:
    /// its values become the app's `env` (one ConfigMap `{app}-env-{hash}`, which
    /// `kiln diff` pairs with it).
    app_env: Option<String>,
    /// The app's jobs with what their ordering annotations said, for `after`.
    jobs: Vec<(usize, JobOrder)>,
    plan: AppPlan,
}

impl<'a> Mapper<'a> {
    /// A mapper for the app `app` made of `members`.
    pub fn new(objects: &'a [Value], members: &'a [usize], app: &str) -> Mapper<'a> {
        Mapper {
            objects,
            members,
            app: app.to_owned(),
            items: Vec::new(),
            folded: BTreeSet::new(),
            used_blocks: BTreeSet::new(),
            app_env: None,
            jobs: Vec::new(),
            ok: members
                .iter()
                .copied()
                .filter(|&i| mappable(&objects[i]) && schema_ok(&objects[i]))
                .collect(),
            plan: AppPlan {
                name: app.to_owned(),
                node: Node::new("app", Some(app)),
                ..AppPlan::default()
            },
        }
    }

    fn note(&mut self, kind: ItemKind, i: usize, path: &str, message: String) {
        self.items.push(Item {
            kind,
            object: describe(&self.objects[i]),
            path: path.to_owned(),
            message,
        });
    }

    fn of_kind(&self, kind: &str) -> Vec<usize> {
        self.members
            .iter()
            .copied()
            .filter(|&i| s(&self.objects[i], "/kind") == Some(kind) && self.ok.contains(&i))
            .collect()
    }

    /// A ConfigMap of the app by name.
    fn config_map(&self, name: &str) -> Option<&'a Value> {
        self.members
            .iter()
            .map(|&i| &self.objects[i])
            .find(|o| s(o, "/kind") == Some("ConfigMap") && s(o, "/metadata/name") == Some(name))
    }

    /// A block name for an object: its name without the `{app}-` prefix, unique in the
    /// app, short enough for the generated names.
    fn block_name(&mut self, v: &Value, fallback: &str) -> String {
        let name = s(v, "/metadata/name").unwrap_or(fallback);
        let prefix = format!("{}-", self.app);
        let base = match name.strip_prefix(&prefix) {
            Some(rest) if !rest.is_empty() => rest.to_owned(),
            _ if name == self.app => {
                let component = s(v, "/metadata/labels/app.kubernetes.io~1component");
                component.unwrap_or(fallback).to_owned()
            }
            _ => name.to_owned(),
        };
        // `{app}-{block}` of a CronJob or StatefulSet is at most 52 characters.
        let room = 51usize.saturating_sub(self.app.len()).max(8);
        let mut b = sanitize(&base, room);
        if !write::is_name(&b) {
            b = format!("b-{b}");
        }
        let mut unique = b.clone();
        let mut n = 2;
        while self.used_blocks.contains(&unique) {
            unique = format!("{b}-{n}");
            n += 1;
        }
        self.used_blocks.insert(unique.clone());
        unique
    }

    /// Maps every object of the app.
    pub fn run(mut self) -> (AppPlan, Vec<Item>) {
        // The app's image: the most common main-container image.
        let mut images: BTreeMap<String, usize> = BTreeMap::new();
        for &i in self.members {
            let o = &self.objects[i];
            let kind = s(o, "/kind").unwrap_or_default();
            if let Some(img) = s(o, &format!("{}/containers/0/image", pod_pointer(kind))) {
                *images.entry(img.to_owned()).or_default() += 1;
            }
        }
        let image = images
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(k, _)| k.clone());
        // The namespace: the one the objects share.
        let namespaces: BTreeSet<&str> = self
            .members
            .iter()
            .filter_map(|&i| s(&self.objects[i], "/metadata/namespace"))
            .collect();
        if namespaces.len() == 1
            && let Some(ns) = namespaces.first()
        {
            // A namespace Kubernetes would refuse is made a valid one (and reported by
            // the round trip as a difference).
            let valid = sanitize(ns, 63);
            if valid != self.app {
                self.plan.node.field("namespace", string(&valid));
            }
        }
        match &image {
            Some(img) => {
                self.plan.node.field("image", string(img));
                if mutable(img) {
                    self.plan
                        .node
                        .child("security", None)
                        .field("mutable_tag", "true".into());
                }
            }
            // No workload: kiln still needs an image for the app.
            None => self
                .plan
                .node
                .field("image", string("registry.example.com/placeholder:0.0.0")),
        }
        let app_image = image.unwrap_or_default();
        self.app_env = self.shared_env_config_map();
        if let Some(name) = self.app_env.clone()
            && let Some(cm) = self.config_map(&name)
        {
            let b = self.plan.node.child("env", None);
            for (k, v) in cm
                .get("data")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                b.field(k, string(v.as_str().unwrap_or_default()));
            }
            self.folded.insert(name);
        }
        for kind in ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"] {
            for i in self.of_kind(kind) {
                self.workload(i, &app_image);
            }
        }
        self.order_jobs();
        self.app_ingresses();
        // What no mapping claimed.
        let claimed: BTreeSet<usize> = self
            .plan
            .targets
            .iter()
            .map(|t| t.input)
            .chain(self.plan.absorbed.iter().map(|(i, _)| *i))
            .chain(self.plan.raws.iter().map(|(_, i)| *i))
            .collect();
        let members: Vec<usize> = self.members.to_vec();
        for i in members {
            if claimed.contains(&i) {
                continue;
            }
            self.leftover(i);
        }
        (self.plan, self.items)
    }

    /// An object no block claimed: a Secret becomes a comment, a folded ConfigMap is
    /// absorbed, the Namespace is kiln's, anything else is carried raw.
    fn leftover(&mut self, i: usize) {
        let o = &self.objects[i];
        let kind = s(o, "/kind").unwrap_or_default().to_owned();
        let name = s(o, "/metadata/name").unwrap_or_default().to_owned();
        let fits = self.ok.contains(&i);
        match kind.as_str() {
            // Any Secret, even one that fits no schema: its data never goes anywhere.
            "Secret" => {
                let mut keys: Vec<String> = ["data", "stringData"]
                    .iter()
                    .filter_map(|k| o.get(*k).and_then(Value::as_object))
                    .flat_map(|m| m.keys().cloned())
                    .collect();
                keys.sort();
                keys.dedup();
                self.plan.node.comments.push(format!(
                    "Secret `{name}` (keys: {}) is not imported: kiln never holds secret data. \
                     Create it outside kiln (kubectl create secret, sealed-secrets, external-secrets); \
                     the references below use its name.",
                    if keys.is_empty() { "none".to_owned() } else { keys.join(", ") }
                ));
                self.plan.absorbed.push((i, Absorbed::Secret));
                self.note(
                    ItemKind::Secret,
                    i,
                    "",
                    "not imported; referenced by name (a comment in the app says so)".into(),
                );
                return;
            }
            "ConfigMap" if self.folded.contains(&name) && !self.used_as_file(&name) => {
                self.plan.absorbed.push((i, Absorbed::EnvConfigMap));
                self.note(
                    ItemKind::Mapped,
                    i,
                    "",
                    "its keys became `env` entries (kiln writes a ConfigMap named after their hash)"
                        .into(),
                );
                return;
            }
            "Namespace" if fits => {
                self.plan.absorbed.push((i, Absorbed::Generated));
                self.note(
                    ItemKind::Mapped,
                    i,
                    "",
                    "kiln writes the Namespace itself (with Pod Security labels)".into(),
                );
                return;
            }
            "ServiceAccount"
                if fits && name == self.app && o.as_object().is_some_and(|m| m.len() <= 3) =>
            {
                self.plan.absorbed.push((i, Absorbed::Generated));
                self.note(
                    ItemKind::Mapped,
                    i,
                    "",
                    "kiln writes the app's ServiceAccount itself (no API token mounted)".into(),
                );
                return;
            }
            _ => {}
        }
        let why = if !mappable(o)
            && matches!(
                kind.as_str(),
                "Deployment"
                    | "StatefulSet"
                    | "DaemonSet"
                    | "Job"
                    | "CronJob"
                    | "Service"
                    | "Ingress"
                    | "HorizontalPodAutoscaler"
                    | "PodDisruptionBudget"
            ) {
            format!(
                "apiVersion `{}` is not one kiln maps: carried raw",
                s(o, "/apiVersion").unwrap_or_default()
            )
        } else if mappable(o) && !fits {
            "it does not fit the Kubernetes schema of its kind: carried raw".to_owned()
        } else if BUILTIN.contains(&kind.as_str()) || mappable(o) {
            "no kiln block models it here: carried raw".to_owned()
        } else {
            "a custom resource (or a kind kiln does not know): carried raw".to_owned()
        };
        self.raw(i, &why);
    }

    /// An Ingress no service claimed that routes one host's paths to services of the
    /// app becomes the app's `ingress { host routes { } }`, when kiln's Ingress
    /// reproduces it exactly: named after the app, no annotations (an app-level Ingress
    /// has no `patch`), `Prefix` paths to mapped Services by their `http` port, TLS for
    /// that host only. Otherwise it stays raw.
    fn app_ingresses(&mut self) {
        if self.plan.node.children.iter().any(|c| c.kind == "ingress") {
            return;
        }
        let claimed: BTreeSet<usize> = self.plan.targets.iter().map(|t| t.input).collect();
        for ing in self.of_kind("Ingress") {
            if claimed.contains(&ing) {
                continue;
            }
            let o = &self.objects[ing];
            let Some(routes) = self.app_routes(o) else {
                continue;
            };
            let host = s(o, "/spec/rules/0/host").unwrap_or_default().to_owned();
            let mut node = Node::new("ingress", None);
            node.field("host", string(&host));
            if let Some(t) = s(o, "/spec/tls/0/secretName") {
                node.field("tls", string(t));
            }
            if let Some(c) = s(o, "/spec/ingressClassName") {
                node.field("class", string(c));
            }
            let r = node.child("routes", None);
            for (path, block) in &routes {
                r.field(path, block.clone());
            }
            self.plan.node.block(node);
            self.plan.targets.push(Target {
                input: ing,
                kind: "Ingress".into(),
                block: String::new(),
                block_kind: "app".into(),
                skip: vec!["/metadata/namespace".into(), "/metadata/labels".into()],
                env_mapped: BTreeSet::new(),
                env_from_mapped: BTreeSet::new(),
                container_env: BTreeMap::new(),
                reshaped: None,
            });
            self.note(
                ItemKind::Mapped,
                ing,
                "",
                format!(
                    "became the app's `ingress` ({} route{})",
                    routes.len(),
                    if routes.len() == 1 { "" } else { "s" }
                ),
            );
            // kiln writes one app-level Ingress.
            return;
        }
    }

    /// The routes (path → service block) of an Ingress kiln's app-level `ingress`
    /// reproduces, if it does.
    fn app_routes(&self, o: &Value) -> Option<Vec<(String, String)>> {
        let only = |v: Option<&Value>, keys: &[&str]| {
            v.and_then(Value::as_object)
                .is_some_and(|m| m.keys().all(|k| keys.contains(&k.as_str())))
        };
        let meta_ok = only(o.get("metadata"), &["name", "namespace", "labels"])
            && s(o, "/metadata/name") == Some(self.app.as_str());
        let spec_ok = only(o.get("spec"), &["ingressClassName", "tls", "rules"]);
        let [rule] = o
            .pointer("/spec/rules")
            .and_then(Value::as_array)?
            .as_slice()
        else {
            return None;
        };
        let host = s(rule, "/host")?;
        let tls_ok = match o.pointer("/spec/tls").and_then(Value::as_array) {
            None => true,
            Some(t) => match t.as_slice() {
                [one] => {
                    only(Some(one), &["hosts", "secretName"])
                        && one.get("hosts") == Some(&serde_json::json!([host]))
                        && s(one, "/secretName").is_some()
                }
                _ => false,
            },
        };
        if !meta_ok || !spec_ok || !tls_ok || !only(Some(rule), &["host", "http"]) {
            return None;
        }
        let paths = rule.pointer("/http/paths").and_then(Value::as_array)?;
        let mut out = Vec::new();
        for p in paths {
            if !only(Some(p), &["path", "pathType", "backend"])
                || s(p, "/pathType") != Some("Prefix")
                || s(p, "/backend/service/port/name") != Some("http")
                || p.pointer("/backend/service/port/number").is_some()
            {
                return None;
            }
            let svc = s(p, "/backend/service/name")?;
            // The service block whose Service has this name.
            let block = self.plan.targets.iter().find(|t| {
                t.kind == "Service"
                    && t.block_kind == "service"
                    && s(&self.objects[t.input], "/metadata/name") == Some(svc)
            })?;
            let path = s(p, "/path").unwrap_or("/").to_owned();
            if out.iter().any(|(x, _)| *x == path) {
                return None;
            }
            out.push((path, block.block.clone()));
        }
        (!out.is_empty()).then_some(out)
    }

    /// `after` of each job, from what the ordering annotations said: among the jobs of
    /// one kiln window (`before_deploy` and `on_install` jobs share the one before the
    /// workloads; `after_deploy` jobs the one after), a Helm hook or Argo CD job waits
    /// for the jobs of the closest lower (stage, weight); a kapp job for the jobs of the
    /// change groups its change rules wait for.
    fn order_jobs(&mut self) {
        let window = |r: &str| u8::from(r == "after_deploy");
        let jobs = std::mem::take(&mut self.jobs);
        for (_, j) in &jobs {
            let mut after: BTreeSet<String> = BTreeSet::new();
            let same: Vec<&JobOrder> = jobs
                .iter()
                .map(|(_, k)| k)
                .filter(|k| k.block != j.block && window(k.run) == window(j.run))
                .collect();
            if j.after_groups.is_empty() && j.groups.is_empty() {
                let key = (j.stage, j.weight);
                let prev = same
                    .iter()
                    .filter(|k| k.groups.is_empty() && k.after_groups.is_empty())
                    .map(|k| (k.stage, k.weight))
                    .filter(|k| *k < key)
                    .max();
                if let Some(p) = prev {
                    after.extend(
                        same.iter()
                            .filter(|k| (k.stage, k.weight) == p)
                            .filter(|k| k.groups.is_empty() && k.after_groups.is_empty())
                            .map(|k| k.block.clone()),
                    );
                }
            } else {
                for g in &j.after_groups {
                    after.extend(
                        same.iter()
                            .filter(|k| k.groups.contains(g))
                            .map(|k| k.block.clone()),
                    );
                }
            }
            if !after.is_empty() {
                let list: Vec<String> = after.into_iter().collect();
                self.plan
                    .node
                    .child("job", Some(&j.block))
                    .field("after", format!("[{}]", list.join(", ")));
            }
        }
        self.jobs = jobs;
    }

    /// A ConfigMap of the app that `volume { files = [..] }` reproduces: only `data`
    /// whose keys are plain file names, no annotations, mounted by exactly one volume
    /// and read by no env. Its input index and its files (`files/APP/CM/KEY`, content),
    /// in key order.
    fn files_of(&self, name: &str) -> Option<(usize, Vec<(String, String)>)> {
        let i = self.members.iter().copied().find(|&i| {
            let o = &self.objects[i];
            s(o, "/kind") == Some("ConfigMap")
                && s(o, "/metadata/name") == Some(name)
                && self.ok.contains(&i)
        })?;
        let cm = &self.objects[i];
        let only_data = cm.as_object().is_some_and(|m| {
            m.keys()
                .all(|k| ["apiVersion", "kind", "metadata", "data"].contains(&k.as_str()))
        });
        let data = cm.get("data").and_then(Value::as_object)?;
        let plain_key = |k: &str| {
            !k.is_empty()
                && k != "."
                && k != ".."
                && k.len() <= 200
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        };
        if !only_data
            || cm.pointer("/metadata/annotations").is_some()
            || data.is_empty()
            || !data.iter().all(|(k, v)| plain_key(k) && v.is_string())
            || self.volume_uses(name) != 1
            || self.env_uses(name)
            || self.folded.contains(name)
        {
            return None;
        }
        let dir = sanitize(name, 63);
        Some((
            i,
            data.iter()
                .map(|(k, v)| {
                    (
                        format!("files/{}/{dir}/{k}", self.app),
                        v.as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
        ))
    }

    /// How many pod volumes of the app's workloads read the ConfigMap `name`.
    fn volume_uses(&self, name: &str) -> usize {
        self.members
            .iter()
            .map(|&i| {
                let o = &self.objects[i];
                let kind = s(o, "/kind").unwrap_or_default();
                o.pointer(&format!("{}/volumes", pod_pointer(kind)))
                    .and_then(Value::as_array)
                    .map_or(0, |vs| {
                        vs.iter()
                            .filter(|v| {
                                s(v, "/configMap/name") == Some(name) || projected_mentions(v, name)
                            })
                            .count()
                    })
            })
            .sum()
    }

    /// Whether a container of the app reads the ConfigMap `name` as env.
    fn env_uses(&self, name: &str) -> bool {
        self.members.iter().any(|&i| {
            let o = &self.objects[i];
            let kind = s(o, "/kind").unwrap_or_default();
            let Some(pod) = o.pointer(pod_pointer(kind)) else {
                return false;
            };
            ["containers", "initContainers"]
                .iter()
                .filter_map(|k| pod.get(*k).and_then(Value::as_array))
                .flatten()
                .any(|c| {
                    let from = c.get("envFrom").and_then(Value::as_array).is_some_and(|l| {
                        l.iter().any(|x| s(x, "/configMapRef/name") == Some(name))
                    });
                    let keys = c.get("env").and_then(Value::as_array).is_some_and(|l| {
                        l.iter()
                            .any(|x| s(x, "/valueFrom/configMapKeyRef/name") == Some(name))
                    });
                    from || keys
                })
        })
    }

    /// The foldable ConfigMap that every container (and init container) of every
    /// workload of the app reads whole through `envFrom`, if there is exactly one:
    /// kiln's app `env` gives its values to every container, as the input did.
    fn shared_env_config_map(&self) -> Option<String> {
        let workloads: Vec<usize> = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]
            .iter()
            .flat_map(|k| self.of_kind(k))
            .collect();
        let mut common: Option<BTreeSet<String>> = None;
        for &i in &workloads {
            let o = &self.objects[i];
            let pod = o.pointer(pod_pointer(s(o, "/kind").unwrap_or_default()))?;
            let containers = ["containers", "initContainers"]
                .iter()
                .filter_map(|k| pod.get(*k).and_then(Value::as_array))
                .flatten();
            for c in containers {
                let names: BTreeSet<String> = c
                    .get("envFrom")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|src| src.get("prefix").is_none() && src.get("optional").is_none())
                    .filter_map(|src| s(src, "/configMapRef/name").map(str::to_owned))
                    .collect();
                common = Some(match common {
                    None => names,
                    Some(prev) => prev.intersection(&names).cloned().collect(),
                });
            }
        }
        let common = common?;
        let mut it = common
            .into_iter()
            .filter(|n| self.config_map(n).is_some_and(foldable) && !self.used_as_file(n));
        match (it.next(), it.next()) {
            (Some(n), None) => Some(n),
            _ => None,
        }
    }

    /// Whether a ConfigMap is mounted as a volume somewhere in the app.
    fn used_as_file(&self, name: &str) -> bool {
        self.members.iter().any(|&i| {
            let o = &self.objects[i];
            let kind = s(o, "/kind").unwrap_or_default();
            o.pointer(&format!("{}/volumes", pod_pointer(kind)))
                .and_then(Value::as_array)
                .is_some_and(|vs| {
                    vs.iter().any(|v| {
                        s(v, "/configMap/name") == Some(name) || projected_mentions(v, name)
                    })
                })
        })
    }

    /// Carries an object through a `raw` block.
    fn raw(&mut self, i: usize, why: &str) {
        let o = &self.objects[i];
        let kind = s(o, "/kind").unwrap_or("object").to_ascii_lowercase();
        let name = s(o, "/metadata/name").unwrap_or("unnamed");
        let block = self.block_name(
            &serde_json::json!({"metadata": {"name": format!("{kind}-{name}")}}),
            "raw",
        );
        let file = format!("raw/{}/{block}.yaml", self.app);
        let mut node = Node::new("raw", Some(&block));
        node.field("file", format!("file({})", string(&file)));
        self.plan.node.block(node);
        self.plan.raws.push((file, i));
        self.note(ItemKind::Raw, i, "", why.to_owned());
    }

    /// The pod-spec based kinds.
    fn workload(&mut self, i: usize, app_image: &str) {
        let o = &self.objects[i];
        let kind = s(o, "/kind").unwrap_or_default().to_owned();
        let pod = pod_pointer(&kind);
        let main_ok = o.pointer(&format!("{pod}/containers/0")).is_some_and(|c| {
            c.get("image")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        });
        if !main_ok {
            self.raw(i, "it has no container with an image: carried raw");
            return;
        }
        let services = self.services_for(i);
        let port = o
            .pointer(&format!("{pod}/containers/0/ports/0/containerPort"))
            .and_then(Value::as_u64)
            .filter(|p| (1..=65535).contains(p));
        let block_kind = match kind.as_str() {
            "Deployment" if !services.is_empty() && port.is_some() => "service",
            "Deployment" => "worker",
            "StatefulSet" if port.is_some() => "stateful",
            "StatefulSet" => {
                self.raw(i, "a StatefulSet without a container port: kiln's `stateful` needs `port`; carried raw");
                return;
            }
            "DaemonSet" => "daemon",
            "Job" => "job",
            _ => "cron",
        };
        let fallback = match block_kind {
            "service" => "web",
            "stateful" => "db",
            other => other,
        };
        let name = self.block_name(o, fallback);
        let mut node = Node::new(block_kind, Some(&name));
        let mut target = Target {
            input: i,
            kind: kind.clone(),
            block: name.clone(),
            block_kind: block_kind.to_owned(),
            skip: vec![
                "/metadata/name".into(),
                "/metadata/namespace".into(),
                "/metadata/labels".into(),
                "/spec/selector".into(),
                "/spec/template/metadata/labels".into(),
                "/spec/jobTemplate/spec/template/metadata/labels".into(),
                format!("{pod}/containers/0/image"),
            ],
            env_mapped: BTreeSet::new(),
            env_from_mapped: BTreeSet::new(),
            container_env: BTreeMap::new(),
            reshaped: None,
        };
        // Ordering annotations (Helm hooks, Argo CD waves, kapp groups and rules) are
        // kiln's to write, for the deploy tool chosen with `--for`; a job's are read
        // into `run` and `after`.
        for k in o
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.keys())
        {
            if k.starts_with("helm.sh/hook")
                || k.starts_with("argocd.argoproj.io/")
                || k.starts_with("kapp.k14s.io/")
            {
                target.skip.push(format!(
                    "/metadata/annotations/{}",
                    k.replace('~', "~0").replace('/', "~1")
                ));
            }
        }
        let c = o
            .pointer(&format!("{pod}/containers/0"))
            .cloned()
            .unwrap_or(Value::Null);
        let img = s(&c, "/image").unwrap_or_default();
        if img != app_image {
            node.field("image", string(img));
            if mutable(img) {
                node.child("security", None)
                    .field("mutable_tag", "true".into());
            }
        }
        if let Some(cmd) = strings(c.get("command")) {
            node.field("command", string_list(&cmd));
        }
        if let Some(args) = strings(c.get("args")) {
            node.field("args", string_list(&args));
        }
        if let Some(p) = port {
            node.field("port", p.to_string());
        }
        self.resources(&c, &mut node);
        self.labels(o, &mut node, i);
        self.env(&c, &mut node, &mut target);
        self.health(&c, &mut node, i, block_kind);
        self.security(o, &c, pod, &mut node);
        let pod_v = o.pointer(pod).cloned().unwrap_or(Value::Null);
        if let Some(g) = pod_v.get("terminationGracePeriodSeconds").and_then(seconds) {
            node.field("grace", g);
        }
        if let Some(ns) = pod_v.get("nodeSelector").and_then(Value::as_object)
            && !ns.is_empty()
            && ns.values().all(Value::is_string)
        {
            let b = node.child("node_selector", None);
            for (k, v) in ns {
                b.field(k, string(v.as_str().unwrap_or_default()));
            }
        }
        self.volumes(o, &c, pod, &mut node, &mut target);
        self.extra_containers(o, pod, &mut node, &mut target, app_image);
        let hpa = self.hpa_for(i);
        match block_kind {
            "service" | "worker" | "stateful" => {
                if hpa.is_none() {
                    let replicas = o
                        .pointer("/spec/replicas")
                        .and_then(Value::as_u64)
                        .unwrap_or(1);
                    node.field("replicas", replicas.to_string());
                } else {
                    target.skip.push("/spec/replicas".into());
                }
                if pod_v.get("affinity").is_some() {
                    node.field("spread", "false".into());
                }
            }
            _ => {}
        }
        match block_kind {
            "job" => self.job(o, &mut node, &mut target),
            "cron" => self.cron(o, &mut node),
            _ => {}
        }
        self.plan.node.block(node);
        self.plan.targets.push(target);
        self.note(
            ItemKind::Mapped,
            i,
            "",
            format!("became `{block_kind} {name}`"),
        );
        // Companions: Services, HPA, PDB, Ingress.
        let services = if matches!(block_kind, "service" | "stateful") {
            services
        } else {
            Vec::new()
        };
        for (n, svc) in services.into_iter().enumerate() {
            self.service(svc, i, &name, block_kind, n == 0);
        }
        if let Some(h) = hpa {
            self.autoscale(h, &name, block_kind);
        }
        self.pdb_for(i, &name, block_kind);
    }

    /// Services of the app whose selector picks the workload's pods.
    fn services_for(&self, w: usize) -> Vec<usize> {
        let o = &self.objects[w];
        let pod_labels = o.pointer("/spec/template/metadata/labels");
        let sts_service = s(o, "/spec/serviceName");
        let mut out: Vec<usize> = self
            .of_kind("Service")
            .into_iter()
            .filter(|&i| {
                let svc = &self.objects[i];
                if let Some(n) = sts_service {
                    return s(svc, "/metadata/name") == Some(n);
                }
                svc.pointer("/spec/selector")
                    .and_then(Value::as_object)
                    .is_some_and(|sel| {
                        !sel.is_empty()
                            && sel
                                .iter()
                                .all(|(k, v)| pod_labels.and_then(|l| l.get(k)) == Some(v))
                    })
            })
            .collect();
        out.sort_by_key(|&i| s(&self.objects[i], "/metadata/name").map(str::to_owned));
        out
    }

    fn service(&mut self, i: usize, _w: usize, block: &str, block_kind: &str, first: bool) {
        if !first || !matches!(block_kind, "service" | "stateful") {
            self.raw(i, "a second Service of one workload: carried raw");
            return;
        }
        let svc = &self.objects[i];
        let name = s(svc, "/metadata/name").unwrap_or_default().to_owned();
        let mut target = Target {
            input: i,
            kind: "Service".into(),
            block: block.to_owned(),
            block_kind: block_kind.to_owned(),
            skip: vec![
                "/metadata/name".into(),
                "/metadata/namespace".into(),
                "/metadata/labels".into(),
                "/spec/selector".into(),
            ],
            env_mapped: BTreeSet::new(),
            env_from_mapped: BTreeSet::new(),
            container_env: BTreeMap::new(),
            reshaped: None,
        };
        let kiln_name = format!("{}-{block}", self.app);
        let node = self.plan.node.child(block_kind, Some(block));
        if name != kiln_name && crate::lower::dns_1035_label(&name) {
            node.child("patch", Some("service"))
                .path_field(&["metadata".into(), "name".into()], string(&name));
        }
        let ty = s(svc, "/spec/type");
        match ty {
            Some("NodePort") => node.field("service_type", "node_port".into()),
            Some("LoadBalancer") => node.field("service_type", "load_balancer".into()),
            _ => {}
        }
        if let Some(p) = svc.pointer("/spec/ports/0") {
            if let Some(port) = p.get("port").and_then(Value::as_u64) {
                let cport = node.entries.iter().find_map(|e| match e {
                    write::Entry::Field(k, v) if k == "port" => Some(v.clone()),
                    _ => None,
                });
                if cport.as_deref() != Some(&port.to_string()) && block_kind != "stateful" {
                    node.field("service_port", port.to_string());
                }
            }
            if let Some(np) = p.get("nodePort").and_then(Value::as_u64)
                && ty == Some("NodePort")
            {
                node.field("node_port", np.to_string());
            }
        }
        if block_kind == "stateful" {
            target.skip.push("/spec/clusterIP".into());
        }
        self.plan.targets.push(target);
        self.note(
            ItemKind::Mapped,
            i,
            "",
            format!("became the Service of `{block_kind} {block}`"),
        );
        // An Ingress routing to this Service.
        for ing in self.of_kind("Ingress") {
            let o = &self.objects[ing];
            let rules = o.pointer("/spec/rules").and_then(Value::as_array);
            let Some([rule]) = rules.map(Vec::as_slice) else {
                continue;
            };
            let paths = rule.pointer("/http/paths").and_then(Value::as_array);
            let Some([path]) = paths.map(Vec::as_slice) else {
                continue;
            };
            if s(path, "/backend/service/name") != Some(&name) {
                continue;
            }
            let Some(host) = s(rule, "/host") else {
                continue;
            };
            let host = host.to_owned();
            let p = s(path, "/path").unwrap_or("/").to_owned();
            let class = s(o, "/spec/ingressClassName").map(str::to_owned);
            let tls = o
                .pointer("/spec/tls/0/secretName")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let node = self.plan.node.child(block_kind, Some(block));
            let ingress = node.child("ingress", None);
            ingress.field("host", string(&host));
            if p != "/" {
                ingress.field("path", string(&p));
            }
            if let Some(t) = tls {
                ingress.field("tls", string(&t));
            }
            if let Some(c) = class {
                ingress.field("class", string(&c));
            }
            self.plan.targets.push(Target {
                input: ing,
                kind: "Ingress".into(),
                block: block.to_owned(),
                block_kind: block_kind.to_owned(),
                skip: vec![
                    "/metadata/name".into(),
                    "/metadata/namespace".into(),
                    "/metadata/labels".into(),
                    "/spec/rules/0/http/paths/0/backend/service/name".into(),
                ],
                env_mapped: BTreeSet::new(),
                env_from_mapped: BTreeSet::new(),
                container_env: BTreeMap::new(),
                reshaped: None,
            });
            self.note(
                ItemKind::Mapped,
                ing,
                "",
                format!("became the `ingress` of `{block}`"),
            );
            break;
        }
    }

    fn hpa_for(&self, w: usize) -> Option<usize> {
        let o = &self.objects[w];
        let name = s(o, "/metadata/name")?;
        let kind = s(o, "/kind")?;
        self.of_kind("HorizontalPodAutoscaler")
            .into_iter()
            .find(|&h| {
                let hv = &self.objects[h];
                s(hv, "/spec/scaleTargetRef/name") == Some(name)
                    && s(hv, "/spec/scaleTargetRef/kind") == Some(kind)
            })
    }

    fn autoscale(&mut self, h: usize, block: &str, block_kind: &str) {
        let hv = &self.objects[h];
        let max = hv
            .pointer("/spec/maxReplicas")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        let min = hv
            .pointer("/spec/minReplicas")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        let mut cpu = None;
        let mut mem = None;
        for m in hv
            .pointer("/spec/metrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if s(m, "/type") == Some("Resource")
                && s(m, "/resource/target/type") == Some("Utilization")
                && let Some(u) = m
                    .pointer("/resource/target/averageUtilization")
                    .and_then(Value::as_u64)
            {
                match s(m, "/resource/name") {
                    Some("cpu") => cpu = Some(u),
                    Some("memory") => mem = Some(u),
                    _ => {}
                }
            }
        }
        let node = self.plan.node.child(block_kind, Some(block));
        let a = node.child("autoscale", None);
        a.field("min", min.to_string());
        a.field("max", max.to_string());
        if let Some(c) = cpu {
            a.field("cpu", format!("{c}%"));
        }
        if let Some(m) = mem {
            a.field("memory", format!("{m}%"));
        }
        self.plan.targets.push(Target {
            input: h,
            kind: "HorizontalPodAutoscaler".into(),
            block: block.to_owned(),
            block_kind: block_kind.to_owned(),
            skip: vec![
                "/metadata/name".into(),
                "/metadata/namespace".into(),
                "/metadata/labels".into(),
                "/spec/scaleTargetRef/name".into(),
            ],
            env_mapped: BTreeSet::new(),
            env_from_mapped: BTreeSet::new(),
            container_env: BTreeMap::new(),
            reshaped: None,
        });
        self.note(
            ItemKind::Mapped,
            h,
            "",
            format!("became the `autoscale` of `{block}`"),
        );
    }

    /// A PodDisruptionBudget selecting the workload: kept as kiln's own when kiln
    /// generates one (2 replicas or more), else carried raw.
    fn pdb_for(&mut self, w: usize, block: &str, block_kind: &str) {
        let pod_labels = self.objects[w]
            .pointer("/spec/template/metadata/labels")
            .cloned();
        for p in self.of_kind("PodDisruptionBudget") {
            let pv = &self.objects[p];
            let selects = pv
                .pointer("/spec/selector/matchLabels")
                .and_then(Value::as_object)
                .is_some_and(|sel| {
                    !sel.is_empty()
                        && sel
                            .iter()
                            .all(|(k, v)| pod_labels.as_ref().and_then(|l| l.get(k)) == Some(v))
                });
            if !selects {
                continue;
            }
            let replicated = {
                let n = self.plan.node.child(block_kind, Some(block));
                let replicas = n.entries.iter().find_map(|e| match e {
                    write::Entry::Field(k, v) if k == "replicas" => v.parse::<u64>().ok(),
                    _ => None,
                });
                let min = n
                    .children
                    .iter()
                    .find(|c| c.kind == "autoscale")
                    .and_then(|a| {
                        a.entries.iter().find_map(|e| match e {
                            write::Entry::Field(k, v) if k == "min" => v.parse::<u64>().ok(),
                            _ => None,
                        })
                    });
                min.or(replicas).unwrap_or(1) >= 2 && block_kind != "daemon"
            };
            if !replicated {
                self.raw(
                    p,
                    "kiln writes a PodDisruptionBudget only for 2 replicas or more: carried raw",
                );
                continue;
            }
            if pv.pointer("/spec/minAvailable").is_some() {
                self.plan
                    .node
                    .child(block_kind, Some(block))
                    .child("patch", Some("poddisruptionbudget"))
                    .path_field(&["spec".into(), "maxUnavailable".into()], "none".into());
            }
            self.plan.targets.push(Target {
                input: p,
                kind: "PodDisruptionBudget".into(),
                block: block.to_owned(),
                block_kind: block_kind.to_owned(),
                skip: vec![
                    "/metadata/name".into(),
                    "/metadata/namespace".into(),
                    "/metadata/labels".into(),
                    "/spec/selector".into(),
                ],
                env_mapped: BTreeSet::new(),
                env_from_mapped: BTreeSet::new(),
                container_env: BTreeMap::new(),
                reshaped: None,
            });
            self.note(
                ItemKind::Mapped,
                p,
                "",
                format!("became the PodDisruptionBudget of `{block}`"),
            );
        }
    }

    fn resources(&self, c: &Value, node: &mut Node) {
        for r in ["cpu", "memory"] {
            let req = c
                .pointer(&format!("/resources/requests/{r}"))
                .and_then(quantity);
            let lim = c
                .pointer(&format!("/resources/limits/{r}"))
                .and_then(quantity);
            match (req, lim) {
                (Some(a), Some(b)) if a == b => node.field(r, a),
                (Some(a), Some(b)) => node.field(r, format!("{a} .. {b}")),
                // Kubernetes: a limit alone is also the request.
                (None, Some(b)) => node.field(r, b),
                // A request alone: kiln always sets a limit; request = limit.
                (Some(a), None) => node.field(r, a),
                (None, None) => {}
            }
        }
    }

    /// Labels other than kiln's own become the block's `labels`.
    fn labels(&self, o: &Value, node: &mut Node, _i: usize) {
        let mut extra: BTreeMap<String, String> = BTreeMap::new();
        let kind = s(o, "/kind").unwrap_or_default();
        let tmpl = match kind {
            "CronJob" => "/spec/jobTemplate/spec/template/metadata/labels",
            _ => "/spec/template/metadata/labels",
        };
        for p in ["/metadata/labels", tmpl] {
            for (k, v) in o
                .pointer(p)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if k.starts_with("app.kubernetes.io/") || k == "helm.sh/chart" {
                    continue;
                }
                if let Some(v) = v.as_str() {
                    extra.entry(k.clone()).or_insert_with(|| v.to_owned());
                }
            }
        }
        if !extra.is_empty() {
            let b = node.child("labels", None);
            for (k, v) in extra {
                b.field(&k, string(&v));
            }
        }
    }

    fn env(&mut self, c: &Value, node: &mut Node, target: &mut Target) {
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        let mut env_from: Vec<String> = Vec::new();
        for src in c
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if src.get("prefix").is_some() || src.get("optional").is_some() {
                continue;
            }
            if let Some(n) = s(src, "/secretRef/name") {
                env_from.push(format!("secret({})", string(n)));
                target.env_from_mapped.insert(format!("secret:{n}"));
            } else if let Some(n) = s(src, "/configMapRef/name") {
                if self.app_env.as_deref() == Some(n) {
                    // The app's `env` holds it.
                    target.env_from_mapped.insert(format!("configmap:{n}"));
                    continue;
                }
                match self.config_map(n) {
                    Some(cm) if foldable(cm) => {
                        for (k, v) in cm
                            .get("data")
                            .and_then(Value::as_object)
                            .into_iter()
                            .flatten()
                        {
                            env.insert(k.clone(), string(v.as_str().unwrap_or_default()));
                        }
                        self.folded.insert(n.to_owned());
                    }
                    _ => env_from.push(format!("config_map({})", string(n))),
                }
                target.env_from_mapped.insert(format!("configmap:{n}"));
            }
        }
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            let Some(name) = s(e, "/name").filter(|n| c_ident(n)) else {
                continue;
            };
            let expr = if let Some(v) = e.get("value") {
                match v.as_str() {
                    Some(t) if !t.contains("$(") => Some(string(t)),
                    _ => None,
                }
            } else if let Some(r) = e
                .pointer("/valueFrom/secretKeyRef")
                .filter(|r| r.get("optional").is_none())
            {
                match (s(r, "/name"), s(r, "/key")) {
                    (Some(n), Some(k)) => Some(format!("secret({}, {})", string(n), string(k))),
                    _ => None,
                }
            } else if let Some(r) = e
                .pointer("/valueFrom/configMapKeyRef")
                .filter(|r| r.get("optional").is_none())
            {
                match (s(r, "/name"), s(r, "/key")) {
                    (Some(n), Some(k)) => match self.config_map(n).filter(|cm| foldable(cm)) {
                        Some(cm) => match cm
                            .pointer(&format!(
                                "/data/{}",
                                k.replace('~', "~0").replace('/', "~1")
                            ))
                            .and_then(Value::as_str)
                        {
                            Some(v) => {
                                self.folded.insert(n.to_owned());
                                Some(string(v))
                            }
                            None => None,
                        },
                        None => Some(format!("config_map({}, {})", string(n), string(k))),
                    },
                    _ => None,
                }
            } else if let Some(r) = e.pointer("/valueFrom/fieldRef") {
                match (
                    s(r, "/fieldPath"),
                    r.get("apiVersion").and_then(Value::as_str),
                ) {
                    (Some(p), None | Some("v1")) => Some(format!("field({})", string(p))),
                    _ => None,
                }
            } else {
                None
            };
            if let Some(x) = expr {
                env.insert(name.to_owned(), x);
                target.env_mapped.insert(name.to_owned());
            }
        }
        if !env_from.is_empty() {
            node.field("env_from", format!("[{}]", env_from.join(", ")));
        }
        if !env.is_empty() {
            let b = node.child("env", None);
            for (k, v) in env {
                b.field(&k, v);
            }
        }
    }

    fn health(&mut self, c: &Value, node: &mut Node, _i: usize, block_kind: &str) {
        let port_name = s(c, "/ports/0/name");
        let port_num = c.pointer("/ports/0/containerPort").and_then(Value::as_u64);
        let check = |p: &Value| -> Option<String> {
            if let Some(h) = p.get("httpGet") {
                let path = s(h, "/path").unwrap_or("/");
                return match h.get("port") {
                    Some(Value::String(n))
                        if Some(n.as_str()) == port_name && port_name == Some("http") =>
                    {
                        Some(format!("http({})", string(path)))
                    }
                    Some(Value::Number(n))
                        if n.as_u64().is_some_and(|x| (1..=65535).contains(&x)) =>
                    {
                        Some(format!("http({}, port = {n})", string(path)))
                    }
                    _ => None,
                };
            }
            if let Some(t) = p.get("tcpSocket") {
                return match t.get("port") {
                    Some(Value::String(n))
                        if Some(n.as_str()) == port_name && port_name == Some("http") =>
                    {
                        Some("tcp()".into())
                    }
                    Some(Value::Number(n))
                        if n.as_u64().is_some_and(|x| (1..=65535).contains(&x)) =>
                    {
                        Some(format!("tcp({n})"))
                    }
                    _ => None,
                };
            }
            if let Some(cmd) = strings(p.pointer("/exec/command")) {
                return Some(format!("exec({})", string_list(&cmd)));
            }
            None
        };
        let _ = port_num;
        let readiness = c.get("readinessProbe").and_then(check);
        let liveness = c.get("livenessProbe").and_then(check);
        let startup = c.get("startupProbe").and_then(check);
        let Some(r) = readiness else {
            // kiln's probes start from a readiness probe; without one, the probes are
            // kept as patches.
            return;
        };
        if block_kind == "job" || block_kind == "cron" {
            return;
        }
        match (&liveness, &startup, c.get("livenessProbe").is_some()) {
            (Some(l), None, _) if *l == r => node.field("health", r),
            (l, st, has_l) => {
                let h = node.child("health", None);
                h.field("readiness", r);
                match (l, has_l) {
                    (Some(l), _) => h.field("liveness", l.clone()),
                    (None, false) => h.field("liveness", "none".into()),
                    // An unmappable liveness probe: the patch keeps it.
                    (None, true) => {}
                }
                if let Some(st) = st {
                    h.field("startup", st.clone());
                }
            }
        }
    }

    /// Containers besides the main one: the second and further become `sidecar`
    /// blocks (kiln runs them as native sidecars: init containers with `restartPolicy:
    /// Always`, started before the main container), init containers `init` blocks, so
    /// kiln's defaults apply to them. What the blocks do not model is left to the patch
    /// extraction, which compares the input reshaped as kiln places the containers.
    /// Init containers run in order: they are mapped all or none (one kiln cannot name
    /// keeps them all as they are).
    fn extra_containers(
        &mut self,
        o: &Value,
        pod: &str,
        node: &mut Node,
        target: &mut Target,
        app_image: &str,
    ) {
        let list = |k: &str| -> Vec<Value> {
            o.pointer(&format!("{pod}/{k}"))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let containers = list("containers");
        let inits = list("initContainers");
        let mut taken: BTreeSet<String> = node
            .children
            .iter()
            .filter_map(|c| c.name.clone())
            .collect();
        taken.insert(target.block.clone());
        let mut usable = |c: &Value| -> Option<String> {
            let n = s(c, "/name").filter(|n| write::is_name(n) && n.len() <= 63)?;
            let ok = s(c, "/image").is_some_and(|i| !i.is_empty())
                && c.get("restartPolicy").is_none()
                && taken.insert(n.to_owned());
            ok.then(|| n.to_owned())
        };
        let init_names: Option<Vec<String>> = inits.iter().map(&mut usable).collect();
        let Some(init_names) = init_names else {
            // An init container kiln cannot name: mapping the sidecars would start them
            // before it (they follow the init blocks). Everything stays as it is.
            return;
        };
        let sidecars: Vec<(usize, String)> = containers
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(i, c)| usable(c).map(|n| (i, n)))
            .collect();
        if init_names.is_empty() && sidecars.is_empty() {
            return;
        }
        // The input as kiln places it: init containers, then the sidecars (moved, with
        // `restartPolicy: Always`); the main container and unmapped ones stay.
        let mut new_init: Vec<Value> = inits.clone();
        let mut new_containers: Vec<Value> = Vec::new();
        for (i, c) in containers.iter().enumerate() {
            if sidecars.iter().any(|(si, _)| *si == i) {
                let mut moved = c.clone();
                if let Some(m) = moved.as_object_mut() {
                    m.insert("restartPolicy".into(), Value::String("Always".into()));
                }
                new_init.push(moved);
            } else {
                new_containers.push(c.clone());
            }
        }
        let mut reshaped = o.clone();
        if let Some(p) = reshaped.pointer_mut(pod).and_then(Value::as_object_mut) {
            p.insert("containers".into(), Value::Array(new_containers));
            p.insert("initContainers".into(), Value::Array(new_init.clone()));
        }
        let inits_mapped = !init_names.is_empty();
        for (k, c) in new_init.iter().enumerate() {
            let is_sidecar = k >= inits.len();
            if !is_sidecar && !inits_mapped {
                continue;
            }
            let Some(name) = s(c, "/name").map(str::to_owned) else {
                continue;
            };
            let kind = if is_sidecar { "sidecar" } else { "init" };
            let mut b = Node::new(kind, Some(&name));
            let img = s(c, "/image").unwrap_or_default();
            if img != app_image {
                b.field("image", string(img));
            }
            if let Some(cmd) = strings(c.get("command")) {
                b.field("command", string_list(&cmd));
            }
            if let Some(args) = strings(c.get("args")) {
                b.field("args", string_list(&args));
            }
            self.resources(c, &mut b);
            let mut t = Target {
                env_mapped: BTreeSet::new(),
                env_from_mapped: BTreeSet::new(),
                ..target.clone()
            };
            self.env(c, &mut b, &mut t);
            target.container_env.insert(
                format!("{pod}/initContainers/{k}"),
                (t.env_mapped, t.env_from_mapped),
            );
            if is_sidecar {
                // Its ports are patched, not mapped: a probe of a named port stays a
                // patch too (kiln's `http("/x")` would look for a `port`).
                let mut unported = c.clone();
                if let Some(m) = unported.as_object_mut() {
                    m.remove("ports");
                }
                self.health(&unported, &mut b, target.input, "sidecar");
            }
            self.container_security(c, &mut b);
            // Volumes of the workload this container mounts where the main container
            // does (kiln mounts a volume at its one `mount`).
            let vols: Vec<String> = c
                .get("volumeMounts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|m| {
                    let n = s(m, "/name")?;
                    let v = node.children.iter().find(|v| {
                        v.kind == "volume" && v.name.as_deref() == Some(n)
                    })?;
                    let same_path = v.entries.iter().any(|e| {
                        matches!(e, write::Entry::Field(k, x) if k == "mount" && *x == string(s(m, "/mountPath").unwrap_or_default()))
                    });
                    let ro_v = v.entries.iter().any(|e| {
                        matches!(e, write::Entry::Field(k, _) if k == "read_only")
                    });
                    let ro_m = m.get("readOnly") == Some(&Value::Bool(true));
                    (same_path && ro_v == ro_m).then(|| n.to_owned())
                })
                .collect();
            if !vols.is_empty() {
                b.field("mounts", format!("[{}]", vols.join(", ")));
            }
            node.block(b);
        }
        target.reshaped = Some(reshaped);
    }

    /// The container-level `security` fields of a sidecar or init container.
    fn container_security(&self, c: &Value, node: &mut Node) {
        let csc = c.get("securityContext");
        let get = |k: &str| csc.and_then(|x| x.get(k));
        let mut fields: Vec<(&str, String)> = Vec::new();
        if let Some(u) = get("runAsUser").and_then(Value::as_u64) {
            fields.push(("run_as_user", u.to_string()));
        }
        if let Some(g) = get("runAsGroup").and_then(Value::as_u64) {
            fields.push(("run_as_group", g.to_string()));
        }
        if get("runAsNonRoot") == Some(&Value::Bool(false)) {
            fields.push(("run_as_root", "true".into()));
        }
        if get("readOnlyRootFilesystem") == Some(&Value::Bool(false)) {
            fields.push(("writable_root", "true".into()));
        }
        if get("allowPrivilegeEscalation") == Some(&Value::Bool(true)) {
            fields.push(("privilege_escalation", "true".into()));
        }
        if get("privileged") == Some(&Value::Bool(true)) {
            fields.push(("privileged", "true".into()));
        }
        if let Some(add) = strings(csc.and_then(|x| x.pointer("/capabilities/add"))) {
            fields.push(("add_capabilities", string_list(&add)));
        }
        if fields.is_empty() {
            return;
        }
        let b = node.child("security", None);
        for (k, v) in fields {
            b.field(k, v);
        }
    }

    fn security(&self, o: &Value, c: &Value, pod: &str, node: &mut Node) {
        let psc = o.pointer(&format!("{pod}/securityContext"));
        let csc = c.get("securityContext");
        let get = |k: &str| -> Option<&Value> {
            csc.and_then(|x| x.get(k))
                .or_else(|| psc.and_then(|x| x.get(k)))
        };
        let mut fields: Vec<(&str, String)> = Vec::new();
        if let Some(u) = get("runAsUser").and_then(Value::as_u64) {
            fields.push(("run_as_user", u.to_string()));
        }
        if let Some(g) = get("runAsGroup").and_then(Value::as_u64) {
            fields.push(("run_as_group", g.to_string()));
        }
        if let Some(g) = psc.and_then(|p| p.get("fsGroup")).and_then(Value::as_u64) {
            fields.push(("fs_group", g.to_string()));
        }
        if get("runAsNonRoot") == Some(&Value::Bool(false)) {
            fields.push(("run_as_root", "true".into()));
        }
        if csc.and_then(|x| x.get("readOnlyRootFilesystem")) == Some(&Value::Bool(false)) {
            fields.push(("writable_root", "true".into()));
        }
        if csc.and_then(|x| x.get("allowPrivilegeEscalation")) == Some(&Value::Bool(true)) {
            fields.push(("privilege_escalation", "true".into()));
        }
        if csc.and_then(|x| x.get("privileged")) == Some(&Value::Bool(true)) {
            fields.push(("privileged", "true".into()));
        }
        if let Some(add) = strings(csc.and_then(|x| x.pointer("/capabilities/add"))) {
            fields.push(("add_capabilities", string_list(&add)));
        }
        if o.pointer(&format!("{pod}/automountServiceAccountToken")) == Some(&Value::Bool(true)) {
            fields.push(("service_account_token", "true".into()));
        }
        if fields.is_empty() {
            return;
        }
        let b = node.child("security", None);
        for (k, v) in fields {
            b.field(k, v);
        }
    }

    fn volumes(&mut self, o: &Value, c: &Value, pod: &str, node: &mut Node, target: &mut Target) {
        let mounts: Vec<&Value> = c
            .get("volumeMounts")
            .and_then(Value::as_array)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        let mount_of = |name: &str| -> Option<&Value> {
            let mut it = mounts.iter().filter(|m| s(m, "/name") == Some(name));
            match (it.next(), it.next()) {
                (Some(m), None) => Some(*m),
                _ => None,
            }
        };
        let simple_mount = |m: &Value| {
            m.as_object().is_some_and(|mm| {
                mm.keys()
                    .all(|k| ["name", "mountPath", "readOnly"].contains(&k.as_str()))
            })
        };
        let vols = o
            .pointer(&format!("{pod}/volumes"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (vi, v) in vols.iter().enumerate() {
            let Some(name) = s(v, "/name").filter(|n| write::is_name(n)) else {
                continue;
            };
            let Some(m) = mount_of(name).filter(|m| simple_mount(m)) else {
                continue;
            };
            let Some(path) = s(m, "/mountPath") else {
                continue;
            };
            let keys: Vec<&str> = v
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            if keys.len() != 2 {
                continue;
            }
            let source: Option<(&str, String)> = if let Some(e) =
                v.get("emptyDir").and_then(Value::as_object)
            {
                match (e.len(), e.get("sizeLimit").and_then(quantity)) {
                    (0, _) => Some(("", String::new())),
                    (1, Some(q)) => Some(("size_limit", q)),
                    _ => None,
                }
            } else if let Some(cm) = v
                .get("configMap")
                .filter(|x| x.as_object().is_some_and(|m| m.len() == 1))
            {
                match s(cm, "/name").and_then(|n| self.files_of(n)) {
                    Some((i, files)) => {
                        let list: Vec<String> = files
                            .iter()
                            .map(|(p, _)| format!("file({})", string(p)))
                            .collect();
                        self.plan.files.extend(files);
                        // kiln's ConfigMap, named after the content, replaces it.
                        target
                            .skip
                            .push(format!("{pod}/volumes/{vi}/configMap/name"));
                        self.plan.absorbed.push((i, Absorbed::FileConfigMap));
                        self.note(
                                ItemKind::Mapped,
                                i,
                                "",
                                format!("its keys became the files of `volume {name}` (kiln writes a ConfigMap named after their content)"),
                            );
                        Some(("files", format!("[{}]", list.join(", "))))
                    }
                    None => s(cm, "/name").map(|n| ("config_map", string(n))),
                }
            } else if let Some(sec) = v
                .get("secret")
                .filter(|x| x.as_object().is_some_and(|m| m.len() == 1))
            {
                s(sec, "/secretName").map(|n| ("secret", string(n)))
            } else if let Some(pvc) = v
                .get("persistentVolumeClaim")
                .filter(|x| x.as_object().is_some_and(|m| m.len() == 1))
            {
                s(pvc, "/claimName").map(|n| ("claim", string(n)))
            } else if let Some(hp) = v
                .get("hostPath")
                .filter(|x| x.as_object().is_some_and(|m| m.len() == 1))
            {
                s(hp, "/path").map(|p| ("host_path", string(p)))
            } else {
                None
            };
            let Some((field, value)) = source else {
                continue;
            };
            let b = node.child("volume", Some(name));
            b.field("mount", string(path));
            if m.get("readOnly") == Some(&Value::Bool(true)) {
                b.field("read_only", "true".into());
            }
            if !field.is_empty() {
                b.field(field, value);
            }
        }
        // StatefulSet claim templates.
        for t in o
            .pointer("/spec/volumeClaimTemplates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = s(t, "/metadata/name").filter(|n| write::is_name(n)) else {
                continue;
            };
            let Some(m) = mount_of(name).filter(|m| simple_mount(m)) else {
                continue;
            };
            let Some(size) = t
                .pointer("/spec/resources/requests/storage")
                .and_then(quantity)
            else {
                continue;
            };
            let b = node.child("volume", Some(name));
            b.field("mount", string(s(m, "/mountPath").unwrap_or("/data")));
            b.field("size", size);
            if let Some(sc) = s(t, "/spec/storageClassName") {
                b.field("storage_class", string(sc));
            }
        }
    }

    fn job(&mut self, o: &Value, node: &mut Node, target: &mut Target) {
        let spec = o.get("spec").cloned().unwrap_or(Value::Null);
        let ann = o
            .pointer("/metadata/annotations")
            .cloned()
            .unwrap_or(Value::Null);
        let a = |k: &str| ann.get(k).and_then(Value::as_str);
        let weight = |k: &str| a(k).and_then(|w| w.trim().parse::<i64>().ok()).unwrap_or(0);
        let mut order = JobOrder {
            block: target.block.clone(),
            run: "before_deploy",
            stage: 0,
            weight: 0,
            groups: Vec::new(),
            after_groups: Vec::new(),
        };
        let mut approximated: Option<String> = None;
        if let Some(h) = a("helm.sh/hook") {
            let hooks: BTreeSet<&str> = h.split(',').map(str::trim).collect();
            let has = |x: &str| hooks.contains(x);
            order.weight = weight("helm.sh/hook-weight");
            if hooks.iter().all(|h| h.starts_with("post-")) {
                order.stage = 1;
                if has("post-install") && !has("post-upgrade") {
                    // Helm: after the workloads, on the first install only. kiln has no
                    // "after the workloads, first release only": "first release only"
                    // is kept, the position is not.
                    order.run = "on_install";
                    approximated = Some("`helm.sh/hook: post-install` runs after the workloads on the first install only; kiln's closest is `run = on_install` (first release only) which runs before the workloads roll (after the `pre-install` jobs); use `run = after_deploy` to keep \"after the workloads\" (it then runs on every release)".into());
                } else {
                    order.run = "after_deploy";
                    if !has("post-install") {
                        approximated = Some("`helm.sh/hook: post-upgrade` alone skips the first install; kiln's `run = after_deploy` runs on every release, the first one too".into());
                    }
                }
            } else if has("pre-install") && !has("pre-upgrade") {
                order.run = "on_install";
            } else {
                order.run = "before_deploy";
                if has("pre-upgrade") && !has("pre-install") {
                    approximated = Some("`helm.sh/hook: pre-upgrade` alone skips the first install; kiln's `run = before_deploy` runs on every release, the first one too".into());
                } else if !hooks
                    .iter()
                    .all(|h| matches!(*h, "pre-install" | "pre-upgrade"))
                {
                    approximated = Some(format!(
                        "`helm.sh/hook: {h}` has no kiln phase: the job runs before the workloads on every release (`run = before_deploy`); `run = manual` keeps it out of releases"
                    ));
                }
            }
        } else if let Some(h) = a("argocd.argoproj.io/hook") {
            order.weight = weight("argocd.argoproj.io/sync-wave");
            match h {
                "PostSync" => {
                    order.run = "after_deploy";
                    order.stage = 2;
                }
                "Sync" => order.stage = 1,
                "PreSync" => {}
                other => {
                    approximated = Some(format!(
                        "`argocd.argoproj.io/hook: {other}` has no kiln phase: the job runs before the workloads on every release (`run = before_deploy`)"
                    ));
                }
            }
        } else if ann
            .as_object()
            .is_some_and(|m| m.keys().any(|k| k.starts_with("kapp.k14s.io/change-")))
        {
            for (k, v) in ann.as_object().into_iter().flatten() {
                let Some(v) = v.as_str() else { continue };
                if k.starts_with("kapp.k14s.io/change-group") {
                    order.groups.push(v.trim().to_owned());
                } else if k.starts_with("kapp.k14s.io/change-rule") && !k.ends_with(".delete") {
                    // `upsert after upserting GROUP`.
                    let words: Vec<&str> = v.split_whitespace().collect();
                    if let [first, "after", "upserting", group] = words.as_slice()
                        && *first == "upsert"
                    {
                        order.after_groups.push((*group).to_owned());
                    }
                }
            }
            // Waiting for a group that holds a workload: after the workloads.
            let workload_groups: BTreeSet<String> = self
                .members
                .iter()
                .map(|&m| &self.objects[m])
                .filter(|m| {
                    matches!(
                        s(m, "/kind"),
                        Some("Deployment" | "StatefulSet" | "DaemonSet")
                    )
                })
                .filter_map(|m| {
                    m.pointer("/metadata/annotations")
                        .and_then(Value::as_object)
                })
                .flat_map(|a| {
                    a.iter()
                        .filter(|(k, _)| k.starts_with("kapp.k14s.io/change-group"))
                        .filter_map(|(_, v)| v.as_str().map(|x| x.trim().to_owned()))
                })
                .collect();
            if order
                .after_groups
                .iter()
                .any(|g| workload_groups.contains(g))
            {
                order.run = "after_deploy";
                order.after_groups.retain(|g| !workload_groups.contains(g));
            }
        }
        if let Some(msg) = approximated {
            self.note(
                ItemKind::Approximated,
                target.input,
                "metadata.annotations",
                msg,
            );
        }
        if order.run != "before_deploy" {
            node.field("run", order.run.into());
        }
        self.jobs.push((target.input, order));
        // Ordering annotations are kiln's to write now.
        for k in ann.as_object().into_iter().flat_map(|m| m.keys()) {
            if k.starts_with("helm.sh/hook")
                || k.starts_with("argocd.argoproj.io/")
                || k.starts_with("kapp.k14s.io/")
            {
                target.skip.push(format!(
                    "/metadata/annotations/{}",
                    k.replace('~', "~0").replace('/', "~1")
                ));
            }
        }
        if let Some(n) = spec.get("backoffLimit").and_then(Value::as_u64) {
            node.field("retries", n.to_string());
        }
        if let Some(t) = spec.get("activeDeadlineSeconds").and_then(seconds) {
            node.field("timeout", t);
        }
        if let Some(t) = spec.get("ttlSecondsAfterFinished").and_then(seconds) {
            node.field("ttl", t);
        }
    }

    fn cron(&mut self, o: &Value, node: &mut Node) {
        let spec = o.get("spec").cloned().unwrap_or(Value::Null);
        if let Some(sch) = s(&spec, "/schedule") {
            node.field("schedule", string(sch));
        }
        if let Some(tz) = s(&spec, "/timeZone") {
            node.field("timezone", string(tz));
        }
        // Kubernetes' default is Allow; kiln's is forbid: write what the input meant.
        let conc = match s(&spec, "/concurrencyPolicy") {
            Some("Forbid") => "forbid",
            Some("Replace") => "replace",
            _ => "allow",
        };
        node.field("concurrency", conc.into());
        if let Some(d) = spec.get("startingDeadlineSeconds").and_then(seconds) {
            node.field("starting_deadline", d);
        }
        node.field(
            "keep_succeeded",
            spec.get("successfulJobsHistoryLimit")
                .and_then(Value::as_u64)
                .unwrap_or(3)
                .to_string(),
        );
        node.field(
            "keep_failed",
            spec.get("failedJobsHistoryLimit")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .to_string(),
        );
        if spec.get("suspend") == Some(&Value::Bool(true)) {
            node.field("suspend", "true".into());
        }
        let js = spec
            .pointer("/jobTemplate/spec")
            .cloned()
            .unwrap_or(Value::Null);
        if let Some(n) = js.get("backoffLimit").and_then(Value::as_u64) {
            node.field("retries", n.to_string());
        }
        if let Some(t) = js.get("activeDeadlineSeconds").and_then(seconds) {
            node.field("timeout", t);
        }
    }
}

/// What a job's ordering annotations say (Helm hooks, Argo CD hooks and waves, kapp
/// change groups and rules).
#[derive(Debug, Clone)]
struct JobOrder {
    block: String,
    /// The kiln phase: `before_deploy`, `on_install`, `after_deploy`.
    run: &'static str,
    /// The tool's phase: Helm pre (0) or post (1); Argo CD PreSync (0), Sync (1),
    /// PostSync (2).
    stage: i64,
    /// `helm.sh/hook-weight`, `argocd.argoproj.io/sync-wave`.
    weight: i64,
    /// kapp change groups of the job.
    groups: Vec<String>,
    /// kapp change groups the job waits for.
    after_groups: Vec<String>,
}

/// A ConfigMap whose keys can all become env entries.
fn foldable(cm: &Value) -> bool {
    let data_ok = cm.get("data").and_then(Value::as_object).is_some_and(|d| {
        d.iter()
            .all(|(k, v)| c_ident(k) && v.as_str().is_some_and(|t| !t.contains("$(")))
    });
    let others_ok = cm.as_object().is_some_and(|m| {
        m.keys()
            .all(|k| ["apiVersion", "kind", "metadata", "data"].contains(&k.as_str()))
    });
    // Annotations or labels other than the app's would be lost with the object.
    let meta_ok = cm.pointer("/metadata/annotations").is_none();
    data_ok && others_ok && meta_ok
}

fn projected_mentions(v: &Value, name: &str) -> bool {
    v.pointer("/projected/sources")
        .and_then(Value::as_array)
        .is_some_and(|ss| ss.iter().any(|x| s(x, "/configMap/name") == Some(name)))
}

/// An image kiln would refuse as unpinned (`:latest`, no tag).
fn mutable(img: &str) -> bool {
    if img.contains('@') {
        return false;
    }
    let last = img.rsplit('/').next().unwrap_or(img);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}
