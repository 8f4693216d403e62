//! The round-trip contract of `kiln import`: the bundle compiled from the imported file,
//! diffed against the input manifests, differs only by what kiln adds on purpose. Each
//! difference is classified into one of the categories below (docs/import.md lists them
//! with their reasons); a difference in no category is a field the import lost.

use crate::diff::{self, DiffOptions, ObjectKey, Status};
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a difference is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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
    /// Objects kiln adds: Namespace, ServiceAccount, NetworkPolicies,
    /// PodDisruptionBudgets, its env ConfigMaps.
    AddedObject,
    /// A Secret of the input, not imported (referenced by name).
    SecretReference,
}

impl Category {
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
            Category::AddedObject => "added-object",
            Category::SecretReference => "secret-reference",
        }
    }
}

/// One difference between the input and the compiled bundle.
#[derive(Debug, Clone)]
pub struct Difference {
    /// `apps/v1 Deployment shop/shop-web`.
    pub object: String,
    /// The changed path (empty for a whole object).
    pub path: String,
    /// `added`, `removed` or `changed`.
    pub op: &'static str,
    /// Why it is expected; `None`: the import lost or changed this.
    pub category: Option<Category>,
}

/// Compares the input (cleaned, with the import's renames applied) with the compiled
/// bundle and classifies every difference.
pub fn check(
    before: &[Value],
    after: &[Value],
    absorbed_config_maps: &[ObjectKey],
) -> Vec<Difference> {
    let report = diff::diff(
        before,
        after,
        &DiffOptions {
            namespace: None,
            report_removed: true,
        },
    );
    let by_key: BTreeMap<ObjectKey, &Value> =
        before.iter().map(|v| (ObjectKey::of(v), v)).collect();
    let mut out = Vec::new();
    for o in &report.objects {
        let title = o.title();
        match o.status {
            Status::Unchanged => {}
            Status::Added => {
                let hashed_cm = o.key.kind == "ConfigMap" && o.key.name.contains("-env-");
                let ok = matches!(
                    o.key.kind.as_str(),
                    "Namespace" | "ServiceAccount" | "NetworkPolicy" | "PodDisruptionBudget"
                ) || hashed_cm;
                out.push(Difference {
                    object: title,
                    path: String::new(),
                    op: "added",
                    category: ok.then_some(Category::AddedObject),
                });
            }
            Status::Removed => {
                let cat = if o.key.kind == "Secret" {
                    Some(Category::SecretReference)
                } else if o.key.kind == "ConfigMap" && absorbed_config_maps.contains(&o.key) {
                    Some(Category::EnvConfigMap)
                } else {
                    None
                };
                out.push(Difference {
                    object: title,
                    path: String::new(),
                    op: "removed",
                    category: cat,
                });
            }
            Status::Changed => {
                let env_same = {
                    let b = by_key.get(&o.key).copied().or_else(|| {
                        before.iter().find(|v| {
                            let k = ObjectKey::of(v);
                            k.kind == o.key.kind && k.name == o.key.name
                        })
                    });
                    let a = after.iter().find(|v| ObjectKey::of(v) == o.key);
                    match (b, a) {
                        (Some(b), Some(a)) => effective_env(b, before) == effective_env(a, after),
                        _ => false,
                    }
                };
                for c in &o.changes {
                    let op = match (&c.before, &c.after) {
                        (None, _) => "added",
                        (_, None) => "removed",
                        _ => "changed",
                    };
                    out.push(Difference {
                        object: title.clone(),
                        path: c.path.clone(),
                        op,
                        category: classify(&c.path, op, &o.key.kind, env_same)
                            .or_else(|| scratch(&c.path, op, c.after.as_ref()))
                            .or_else(|| ordering(&c.path, op, c.before.as_ref())),
                    });
                }
            }
        }
    }
    out
}

/// The category of one changed path.
fn classify(path: &str, op: &str, kind: &str, env_same: bool) -> Option<Category> {
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
/// a whole list (the input had no volumes or mounts).
fn scratch(path: &str, op: &str, after: Option<&Value>) -> Option<Category> {
    let field = path.rsplit('.').next().unwrap_or(path);
    // A whole `metadata` kiln adds only to carry its labels (a CronJob's job template).
    if op == "added"
        && field == "metadata"
        && after?
            .as_object()
            .is_some_and(|m| m.keys().all(|k| k == "labels"))
    {
        return Some(Category::Labels);
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
fn effective_env(obj: &Value, all: &[Value]) -> BTreeMap<String, BTreeMap<String, Value>> {
    let pod = obj
        .pointer("/spec/template/spec")
        .or_else(|| obj.pointer("/spec/jobTemplate/spec/template/spec"));
    let ns = obj.pointer("/metadata/namespace").and_then(Value::as_str);
    let mut out = BTreeMap::new();
    let Some(pod) = pod else {
        return out;
    };
    for (i, c) in pod
        .get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mut env = BTreeMap::new();
        for src in c
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = src.pointer("/configMapRef/name").and_then(Value::as_str) {
                let cm = all.iter().find(|v| {
                    v.get("kind").and_then(Value::as_str) == Some("ConfigMap")
                        && v.pointer("/metadata/name").and_then(Value::as_str) == Some(n)
                        && (ns.is_none()
                            || v.pointer("/metadata/namespace")
                                .and_then(Value::as_str)
                                .is_none_or(|x| Some(x) == ns))
                });
                match cm.and_then(|cm| cm.get("data")).and_then(Value::as_object) {
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
                    ) && let Some(val) = all
                        .iter()
                        .find(|v| {
                            v.get("kind").and_then(Value::as_str) == Some("ConfigMap")
                                && v.pointer("/metadata/name").and_then(Value::as_str) == Some(n)
                        })
                        .and_then(|cm| cm.get("data").and_then(|d| d.get(k)))
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

#[cfg(test)]
mod tests {
    use super::*;

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
