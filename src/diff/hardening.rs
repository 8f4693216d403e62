//! Why a difference exists when the bundle is compared with manifests kiln did not
//! write (`kiln diff --against`, the round trip of `kiln import`): each change is put in
//! a category of what kiln adds on purpose (security and operational defaults, its
//! labels, hash-named objects, ...), or in none (a real change the reader must look at).
//!
//! The categories are what `kiln diff --summary` groups the changed paths by, so that
//! after a migration the reader sees "what the migration hardens" at a glance. Only
//! additions count as hardening: a value the before side set and the bundle changes is
//! never hidden in a category (except labels and selectors, which kiln owns, and the
//! names kiln gives). The list with its reasons is in docs/import.md.

use super::{ObjectDiff, ObjectKey, Report, Status};
use serde_json::Value;
use std::collections::BTreeMap;

/// The annotation `kiln import` writes (as a patch) on an object kiln names differently
/// from the input, so the diff can show the two as one renamed object.
pub const IMPORTED_FROM: &str = "kiln.dev/imported-from";

/// Why a difference is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Security defaults added where the input said nothing: security contexts,
    /// `automountServiceAccountToken: false`, the `/tmp` scratch volume a read-only root
    /// needs, read-only Secret/ConfigMap mounts.
    Security,
    /// CPU and memory requests and limits added where the input had none.
    Resources,
    /// Probe timings written out where the input relied on Kubernetes' defaults.
    Probes,
    /// Operational defaults added where the input said nothing (`imagePullPolicy`,
    /// `revisionHistoryLimit`, the rollout strategy, `enableServiceLinks`, spreading
    /// replicas, job deadlines and TTL, ...).
    Operational,
    /// kiln's `app.kubernetes.io/*` labels and the selectors built from them.
    Labels,
    /// Release-ordering annotations (Helm hooks, Argo CD waves, kapp rules): kiln writes
    /// its own for the deploy tool chosen with `--for`.
    Ordering,
    /// Plain env values moved into a ConfigMap named after their hash (the effective
    /// environment of every container is checked to be the same).
    EnvConfigMap,
    /// kiln's names: `{app}-{block}`, content-hash suffixes of env ConfigMaps and release
    /// Jobs, the `kiln.dev/imported-from` annotation recording the input's name, and
    /// references to renamed objects (an autoscaler's target).
    Renamed,
    /// An extra container run as a native sidecar (an init container with
    /// `restartPolicy: Always`: it starts before the main container and does not keep a
    /// Job from completing), otherwise the same but for kiln's additions.
    Sidecar,
    /// Objects kiln adds: Namespace, ServiceAccount, NetworkPolicies,
    /// PodDisruptionBudgets, its env ConfigMaps.
    AddedObject,
    /// A Secret of the input, not imported (referenced by name).
    SecretReference,
}

impl Category {
    /// Every category, in the order the summary lists them.
    pub const ALL: [Category; 11] = [
        Category::Security,
        Category::Resources,
        Category::Probes,
        Category::Operational,
        Category::Labels,
        Category::Ordering,
        Category::EnvConfigMap,
        Category::Renamed,
        Category::Sidecar,
        Category::AddedObject,
        Category::SecretReference,
    ];

    /// `security`, `resources`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Resources => "resources",
            Category::Probes => "probes",
            Category::Operational => "operational",
            Category::Labels => "labels",
            Category::Ordering => "ordering",
            Category::EnvConfigMap => "env-configmap",
            Category::Renamed => "renamed",
            Category::Sidecar => "sidecar",
            Category::AddedObject => "added-object",
            Category::SecretReference => "secret-reference",
        }
    }
}

/// Fills [`ObjectDiff::categories`] and [`ObjectDiff::category`] of every differing
/// object of `report`, computed from `before` and `after` as they were diffed.
/// `absorbed` lists before-side ConfigMaps known to be folded into kiln's env (the
/// import knows); others are recognized by their data reappearing in kiln's hashed
/// ConfigMaps.
pub fn annotate(report: &mut Report, before: &[Value], after: &[Value], absorbed: &[ObjectKey]) {
    // Objects shown as renamed: a reference changed from the old name to the new one
    // follows the rename.
    let renames: Vec<(String, String)> = report
        .objects
        .iter()
        .filter_map(|o| Some((o.renamed_from.clone()?, o.key.name.clone())))
        .collect();
    let follows = |b: Option<&Value>, a: Option<&Value>| match (b, a) {
        (Some(Value::String(b)), Some(Value::String(a))) => {
            renames.iter().any(|(old, new)| old == b && new == a)
        }
        _ => false,
    };
    for o in &mut report.objects {
        match o.status {
            Status::Unchanged => {}
            Status::Added => {
                let hashed_cm = o.key.kind == "ConfigMap"
                    && o.key.name.contains("-env-")
                    && super::hash_stem(&o.key.name).is_some();
                let ok = matches!(
                    o.key.kind.as_str(),
                    "Namespace" | "ServiceAccount" | "NetworkPolicy" | "PodDisruptionBudget"
                ) || hashed_cm;
                o.category = ok.then_some(Category::AddedObject);
            }
            Status::Removed => {
                o.category = if o.key.kind == "Secret" {
                    Some(Category::SecretReference)
                } else if o.key.kind == "ConfigMap"
                    && (absorbed.contains(&o.key) || folded(&o.key, before, after))
                {
                    Some(Category::EnvConfigMap)
                } else {
                    None
                };
            }
            Status::Changed => {
                let env_same = {
                    let b = find(before, &o.key, o.renamed_from.as_deref());
                    let a = after.iter().find(|v| ObjectKey::of(v) == o.key);
                    match (b, a) {
                        (Some(b), Some(a)) => effective_env(b, before) == effective_env(a, after),
                        _ => false,
                    }
                };
                // A server's dump (`kubectl get -o yaml`) holds the server's defaults:
                // kiln's default replacing one of them is an addition, as it is against
                // the manifest the dump came from.
                let manifest = find(before, &o.key, o.renamed_from.as_deref())
                    .filter(|b| super::normalize::server_shaped(b))
                    .and_then(|b| crate::import::read::clean(b).ok());
                let moved = moved_sidecars(o, env_same);
                o.categories = o
                    .changes
                    .iter()
                    .map(|c| {
                        let mut op = op_of(c.before.as_ref(), c.after.as_ref());
                        if op == "changed"
                            && manifest
                                .as_ref()
                                .is_some_and(|m| m.pointer(&c.pointer).is_none())
                        {
                            op = "added";
                        }
                        classify(&c.path, op, &o.key.kind, env_same)
                            .or_else(|| scratch(&c.path, op, c.after.as_ref()))
                            .or_else(|| ordering(&c.path, op, c.before.as_ref()))
                            .or_else(|| renamed(o, &c.path))
                            .or_else(|| {
                                // `replicas = 1` written out where Kubernetes defaults to 1.
                                (c.path == "spec.replicas"
                                    && op == "added"
                                    && c.after.as_ref().and_then(Value::as_u64) == Some(1))
                                .then_some(Category::Operational)
                            })
                            .or_else(|| moved.contains(&c.path).then_some(Category::Sidecar))
                            .or_else(|| {
                                follows(c.before.as_ref(), c.after.as_ref())
                                    .then_some(Category::Renamed)
                            })
                    })
                    .collect();
            }
        }
    }
    report.classified = true;
}

/// The changes that move a container from `containers` to `initContainers` with
/// `restartPolicy: Always` (kiln's native sidecars), when the container is otherwise the
/// same but for additions in kiln's categories: the removed item's path and the added
/// item's (or the whole `initContainers` list's, when every item of it is such a move).
fn moved_sidecars(o: &ObjectDiff, env_same: bool) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let name_of = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_owned);
    // Removed containers by name.
    let removed: Vec<(&str, &Value)> = o
        .changes
        .iter()
        .filter(|c| c.after.is_none() && c.path.contains(".containers[name="))
        .filter_map(|c| Some((c.path.as_str(), c.before.as_ref()?)))
        .collect();
    let same = |b: &Value, a: &Value| -> bool {
        let mut a = a.clone();
        if a.get("restartPolicy").and_then(Value::as_str) != Some("Always") {
            return false;
        }
        if let Some(m) = a.as_object_mut() {
            m.remove("restartPolicy");
        }
        let pod = |c: Value| {
            serde_json::json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "n"}, "spec": {"containers": [c]}})
        };
        let r = super::diff(&[pod(b.clone())], &[pod(a)], &super::DiffOptions::default());
        r.objects.iter().all(|x| {
            x.changes.iter().all(|c| {
                let op = op_of(c.before.as_ref(), c.after.as_ref());
                classify(&c.path, op, "Pod", env_same)
                    .or_else(|| scratch(&c.path, op, c.after.as_ref()))
                    .is_some()
            })
        })
    };
    let find_removed = |n: &str| {
        removed
            .iter()
            .find(|(p, b)| name_of(b).as_deref() == Some(n) && p.ends_with(&format!("[name={n}]")))
    };
    for c in o.changes.iter().filter(|c| c.before.is_none()) {
        let Some(after) = c.after.as_ref() else {
            continue;
        };
        if c.path.ends_with(".initContainers") {
            let items = after.as_array().map(Vec::as_slice).unwrap_or_default();
            let moves: Option<Vec<&str>> = items
                .iter()
                .map(|a| {
                    let n = name_of(a)?;
                    let (p, b) = find_removed(&n)?;
                    same(b, a).then_some(*p)
                })
                .collect();
            if let Some(ps) = moves.filter(|m| !m.is_empty()) {
                out.insert(c.path.clone());
                out.extend(ps.into_iter().map(str::to_owned));
            }
        } else if c.path.contains(".initContainers[name=")
            && let Some(n) = name_of(after)
            && let Some((p, b)) = find_removed(&n)
            && same(b, after)
        {
            out.insert(c.path.clone());
            out.insert((*p).to_owned());
        }
    }
    out
}

/// `added`, `removed` or `changed`.
pub fn op_of(before: Option<&Value>, after: Option<&Value>) -> &'static str {
    match (before, after) {
        (None, _) => "added",
        (_, None) => "removed",
        _ => "changed",
    }
}

/// The before-side object of a changed object (by its old name when it was renamed; a
/// namespace-less manifest matches by name).
fn find<'a>(before: &'a [Value], key: &ObjectKey, old: Option<&str>) -> Option<&'a Value> {
    let name = old.unwrap_or(&key.name);
    before.iter().find(|v| {
        let k = ObjectKey::of(v);
        k.group == key.group
            && k.kind == key.kind
            && k.name == name
            && (k.namespace == key.namespace || k.namespace.is_empty())
    })
}

/// A before-side ConfigMap whose every value reappears under the same key in one of
/// kiln's hashed env ConfigMaps of its namespace: its values moved into kiln's env.
fn folded(key: &ObjectKey, before: &[Value], after: &[Value]) -> bool {
    let Some(data) = find(before, key, None)
        .and_then(|b| b.get("data"))
        .and_then(Value::as_object)
    else {
        return false;
    };
    !data.is_empty()
        && data.iter().all(|(k, v)| {
            after.iter().any(|a| {
                let ak = ObjectKey::of(a);
                ak.kind == "ConfigMap"
                    && ak.name.contains("-env-")
                    && (key.namespace.is_empty() || ak.namespace == key.namespace)
                    && a.pointer("/data").and_then(|d| d.get(k)) == Some(v)
            })
        })
}

/// The name kiln gives, on an object shown as renamed: `metadata.name`, the annotation
/// recording the input's name, an autoscaler's target.
fn renamed(o: &ObjectDiff, path: &str) -> Option<Category> {
    let name_change = o.renamed_from.is_some() && path == "metadata.name";
    let annotation = path == format!("metadata.annotations[\"{IMPORTED_FROM}\"]");
    let target = path == "spec.scaleTargetRef.name";
    (name_change || annotation || target).then_some(Category::Renamed)
}

/// The category of one changed path.
pub fn classify(path: &str, op: &str, kind: &str, env_same: bool) -> Option<Category> {
    let has = |s: &str| path.contains(s);
    let last = path.rsplit('.').next().unwrap_or(path);
    if has("labels") || has("selector") || has("labelSelector") || has("podSelector") {
        return Some(Category::Labels);
    }
    if has("annotations[\"helm.sh/hook")
        || has("annotations[\"argocd.argoproj.io/")
        || has("annotations[\"kapp.k14s.io/")
    {
        return Some(Category::Ordering);
    }
    if (has(".env") || has("envFrom")) && has("containers") && env_same {
        return Some(Category::EnvConfigMap);
    }
    // The rest are additions only: a value the input set and kiln changed is a loss.
    if op != "added" {
        // Replicas left to the autoscaler.
        if path == "spec.replicas" && op == "removed" && kind != "HorizontalPodAutoscaler" {
            return Some(Category::Operational);
        }
        return None;
    }
    if has("securityContext")
        || last == "automountServiceAccountToken"
        || has("kiln-tmp")
        || has("[mountPath=/tmp]")
        || (has("volumeMounts") && last == "readOnly")
    {
        return Some(Category::Security);
    }
    if has("resources") && (has("limits") || has("requests")) || path.ends_with(".resources") {
        return Some(Category::Resources);
    }
    if (has("Probe"))
        && matches!(
            last,
            "initialDelaySeconds" | "periodSeconds" | "timeoutSeconds" | "failureThreshold"
        )
    {
        return Some(Category::Probes);
    }
    const OPERATIONAL: [&str; 22] = [
        "imagePullPolicy",
        "revisionHistoryLimit",
        "strategy",
        "enableServiceLinks",
        "terminationGracePeriodSeconds",
        "affinity",
        "serviceAccountName",
        "restartPolicy",
        "podFailurePolicy",
        "activeDeadlineSeconds",
        "ttlSecondsAfterFinished",
        "backoffLimit",
        "concurrencyPolicy",
        "startingDeadlineSeconds",
        "successfulJobsHistoryLimit",
        "failedJobsHistoryLimit",
        "unhealthyPodEvictionPolicy",
        "type",
        "protocol",
        "ingressClassName",
        "updateStrategy",
        "nodeSelector",
    ];
    if OPERATIONAL.iter().any(|f| {
        path.split('.')
            .any(|seg| seg == *f || seg.starts_with(&format!("{f}[")))
    }) || matches!(last, "maxUnavailable" | "serviceName")
        || (has("volumeClaimTemplates") && matches!(last, "apiVersion" | "kind"))
    {
        return Some(Category::Operational);
    }
    None
}

/// Ordering annotations removed as a whole `annotations` map (the input had no other).
fn ordering(path: &str, op: &str, before: Option<&Value>) -> Option<Category> {
    let only_ordering = before?.as_object()?.keys().all(|k| {
        k.starts_with("helm.sh/hook")
            || k.starts_with("argocd.argoproj.io/")
            || k.starts_with("kapp.k14s.io/")
    });
    (op == "removed" && path.ends_with("metadata.annotations") && only_ordering)
        .then_some(Category::Ordering)
}

/// The `/tmp` scratch volume kiln adds when the root filesystem is read-only, added as
/// a whole list (the input had no volumes or mounts); a whole `metadata` added only to
/// carry labels; a whole `annotations` map added only to record the input's name.
fn scratch(path: &str, op: &str, after: Option<&Value>) -> Option<Category> {
    let field = path.rsplit('.').next().unwrap_or(path);
    if op == "added"
        && field == "metadata"
        && after?
            .as_object()
            .is_some_and(|m| m.keys().all(|k| k == "labels"))
    {
        return Some(Category::Labels);
    }
    if op == "added"
        && path == "metadata.annotations"
        && after?
            .as_object()
            .is_some_and(|m| m.keys().all(|k| k == IMPORTED_FROM))
    {
        return Some(Category::Renamed);
    }
    let items = after?.as_array()?;
    let is_tmp = |v: &Value| {
        v.get("name").and_then(Value::as_str) == Some("kiln-tmp")
            || v.get("mountPath").and_then(Value::as_str) == Some("/tmp")
    };
    (op == "added" && matches!(field, "volumes" | "volumeMounts") && items.iter().all(is_tmp))
        .then_some(Category::Security)
}

/// The environment each container of an object sees: name → where its value comes
/// from, with `envFrom` ConfigMaps expanded from `all` (later sources win, `env` wins
/// over `envFrom`), by container name.
pub fn effective_env(obj: &Value, all: &[Value]) -> BTreeMap<String, BTreeMap<String, Value>> {
    let pod = obj
        .pointer("/spec/template/spec")
        .or_else(|| obj.pointer("/spec/jobTemplate/spec/template/spec"));
    let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str);
    let mut out = BTreeMap::new();
    let Some(pod) = pod else {
        return out;
    };
    let config_map = |n: &str| {
        all.iter().find(|v| {
            v.get("kind").and_then(Value::as_str) == Some("ConfigMap")
                && v.pointer("/metadata/name").and_then(Value::as_str) == Some(n)
                && (ns.is_none()
                    || v.pointer("/metadata/namespace")
                        .and_then(Value::as_str)
                        .is_none_or(|x| Some(x) == ns))
        })
    };
    // Init containers (and native sidecars) by name, like the containers after the
    // first: a container moved between the lists keeps its environment.
    let inits = pod
        .get("initContainers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| (usize::MAX, c));
    for (i, c) in pod
        .get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .chain(inits)
    {
        let mut env = BTreeMap::new();
        for src in c
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = src.pointer("/configMapRef/name").and_then(Value::as_str) {
                match config_map(n)
                    .and_then(|cm| cm.get("data"))
                    .and_then(Value::as_object)
                {
                    Some(data) => {
                        for (k, v) in data {
                            env.insert(k.clone(), v.clone());
                        }
                    }
                    None => {
                        env.insert(format!("*configmap:{n}"), Value::Null);
                    }
                }
            } else if let Some(n) = src.pointer("/secretRef/name").and_then(Value::as_str) {
                env.insert(format!("*secret:{n}"), Value::Null);
            }
        }
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            let Some(name) = e.get("name").and_then(Value::as_str) else {
                continue;
            };
            let v = match e.get("value") {
                Some(v) => v.clone(),
                None => {
                    let r = e.get("valueFrom").cloned().unwrap_or(Value::Null);
                    // Resolve a key of a ConfigMap to its value, as envFrom does.
                    if let (Some(n), Some(k)) = (
                        r.pointer("/configMapKeyRef/name").and_then(Value::as_str),
                        r.pointer("/configMapKeyRef/key").and_then(Value::as_str),
                    ) && let Some(val) =
                        config_map(n).and_then(|cm| cm.get("data").and_then(|d| d.get(k)))
                    {
                        val.clone()
                    } else {
                        serde_json::json!({ "ref": r })
                    }
                }
            };
            env.insert(name.to_owned(), v);
        }
        let key = if i == 0 {
            "<main>".to_owned()
        } else {
            c.get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        out.insert(key, env);
    }
    out
}

/// Whether the before-side Secret `key` is referenced by an object of `after` (by
/// `secretKeyRef`, `secretRef`, a `secret` volume or an Ingress TLS `secretName`): kiln
/// never holds secret data, so such a Secret is kept outside the bundle, not removed.
pub fn referenced_secret(key: &ObjectKey, after: &[Value]) -> bool {
    fn walk(v: &Value, name: &str, depth: usize) -> bool {
        if depth > 40 {
            return false;
        }
        match v {
            Value::Object(m) => m.iter().any(|(k, x)| {
                let direct = match k.as_str() {
                    "secretName" => x.as_str() == Some(name),
                    "secretRef" | "secretKeyRef" => {
                        x.get("name").and_then(Value::as_str) == Some(name)
                    }
                    _ => false,
                };
                direct || walk(x, name, depth + 1)
            }),
            Value::Array(items) => items.iter().any(|x| walk(x, name, depth + 1)),
            _ => false,
        }
    }
    key.kind == "Secret"
        && key.group.is_empty()
        && after.iter().any(|a| {
            let ak = ObjectKey::of(a);
            (key.namespace.is_empty() || ak.namespace == key.namespace) && walk(a, &key.name, 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffOptions, diff};
    use serde_json::json;

    /// An imported object renamed by kiln pairs with its input by the annotation or by
    /// a content-hash suffix; a Secret the bundle references is a note, not a removal.
    #[test]
    fn imported_renames_pair_and_referenced_secrets_stay() {
        let deploy = |name: &str, ann: Option<&str>| {
            let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": "shop"},
                "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "a:1",
                    "env": [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "t"}}}]}]}}}});
            if let Some(a) = ann {
                d["metadata"]["annotations"] = json!({IMPORTED_FROM: a});
            }
            d
        };
        let job = |name: &str| {
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
                   "spec": {"backoffLimit": 1}})
        };
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "creds", "namespace": "shop"}, "data": {"t": "eA=="}});
        let before = [deploy("shop", None), job("shop-migrate"), secret];
        let mut j = job("shop-migrate-c8b89926");
        j["metadata"]["namespace"] = json!("shop");
        let after = [deploy("shop-web", Some("shop")), j];
        let opts = DiffOptions {
            report_removed: true,
            ..DiffOptions::default()
        };
        let mut r = diff(&before, &after, &opts);
        annotate(&mut r, &before, &after, &[]);
        assert_eq!(
            r.counts().to_string(),
            "2 changed, 0 added, 0 removed, 0 unchanged"
        );
        assert_eq!(r.objects[0].renamed_from.as_deref(), Some("shop"));
        assert_eq!(r.objects[1].renamed_from.as_deref(), Some("shop-migrate"));
        assert!(
            r.notes.iter().any(|n| n.contains("Secret `shop/creds`")),
            "{:?}",
            r.notes
        );
        for o in &r.objects {
            assert!(
                o.categories.iter().all(|c| *c == Some(Category::Renamed)),
                "{:?}",
                o.changes
            );
        }
    }

    #[test]
    fn categories() {
        assert_eq!(
            classify(
                "spec.template.spec.securityContext",
                "added",
                "Deployment",
                false
            ),
            Some(Category::Security)
        );
        assert_eq!(
            classify(
                "spec.template.spec.containers[name=web].image",
                "changed",
                "Deployment",
                true
            ),
            None
        );
        assert_eq!(
            classify(
                "spec.template.spec.containers[name=web].resources",
                "added",
                "Deployment",
                true
            ),
            Some(Category::Resources)
        );
        // A value of the input that kiln replaced is not hardening, it is a loss.
        assert_eq!(
            classify(
                "spec.template.spec.containers[name=web].imagePullPolicy",
                "changed",
                "Deployment",
                true
            ),
            None
        );
    }
}
