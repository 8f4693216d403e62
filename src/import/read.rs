//! Reading manifests for import (through the diff's bounded reader), cleaning what the
//! API server wrote, and grouping objects into apps.

use crate::diff::normalize::{BOOKKEEPING, CONTROLLER_ANNOTATIONS, LAST_APPLIED};
use crate::diff::sources::{self, SourceError};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// Kinds a controller creates from another object: never imported.
const CONTROLLED_KINDS: [&str; 6] = [
    "Pod",
    "ReplicaSet",
    "Endpoints",
    "EndpointSlice",
    "Event",
    "ControllerRevision",
];

/// Reads every path (`-` is stdin) with the diff's bounded reader: size, nesting,
/// alias expansion and duplicate keys are checked there.
pub fn read_all(paths: &[&Path]) -> Result<Vec<Value>, SourceError> {
    let mut out = Vec::new();
    for p in paths {
        out.extend(sources::read_path(p)?);
    }
    Ok(out)
}

/// Why an object is not imported at all.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// `Pod web-5d9c`.
    pub object: String,
    /// Why.
    pub reason: String,
}

/// Cleans what the API server wrote. A server-shaped object with a last-applied
/// annotation is replaced by that configuration (what its author applied); one without
/// has the server's well-known defaults removed. Returns `None` (with a reason) for
/// objects a controller made.
pub fn clean(v: &Value) -> Result<Value, String> {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    if CONTROLLED_KINDS.contains(&kind) {
        return Err(format!(
            "a `{kind}` is made by a controller from another object"
        ));
    }
    if let Some(owners) = v
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        && let Some(o) = owners.first()
    {
        return Err(format!(
            "owned by {} `{}`",
            o.get("kind").and_then(Value::as_str).unwrap_or("an object"),
            o.get("name").and_then(Value::as_str).unwrap_or_default()
        ));
    }
    let server = v.get("metadata").is_some_and(|m| {
        ["uid", "resourceVersion", "managedFields", "generation"]
            .iter()
            .any(|k| m.get(k).is_some())
            || m.get("creationTimestamp").is_some_and(|t| !t.is_null())
    });
    let last_applied = v
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .filter(|l| l.get("kind") == v.get("kind"));
    let mut out = match (server, last_applied) {
        (true, Some(la)) => la,
        _ => v.clone(),
    };
    let Some(obj) = out.as_object_mut() else {
        return Err("not an object".to_owned());
    };
    obj.remove("status");
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        // What the diff ignores as server bookkeeping, and finalizers (a controller's,
        // not the author's, in a `kubectl get` dump).
        for k in BOOKKEEPING.iter().chain(&["finalizers"]) {
            meta.remove(*k);
        }
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            ann.retain(|k, _| !CONTROLLER_ANNOTATIONS.contains(&k.as_str()));
            if ann.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    drop_nulls(&mut out);
    if server {
        strip_server_defaults(&mut out, kind);
    }
    Ok(out)
}

/// Removes `null` values (`creationTimestamp: null`, `resources: null`): they say
/// nothing an absent field does not.
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, c| !c.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(l) => l.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Removes `key` from `m` when it has the value `default`.
fn drop_default(m: &mut Map<String, Value>, key: &str, default: Value) {
    if m.get(key) == Some(&default) {
        m.remove(key);
    }
}

/// The defaults the API server fills in (Kubernetes 1.33 defaulting functions) for the
/// kinds import maps, so that a `kubectl get -o yaml` dump imports like the manifest it
/// came from. Only exact default values are removed.
fn strip_server_defaults(v: &mut Value, kind: &str) {
    use serde_json::json;
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    match kind {
        "Deployment" => {
            drop_default(spec, "progressDeadlineSeconds", json!(600));
            drop_default(spec, "revisionHistoryLimit", json!(10));
            drop_default(
                spec,
                "strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
        }
        "StatefulSet" => {
            drop_default(spec, "podManagementPolicy", json!("OrderedReady"));
            drop_default(spec, "revisionHistoryLimit", json!(10));
            drop_default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
            drop_default(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            if let Some(Value::Array(ts)) = spec.get_mut("volumeClaimTemplates") {
                for t in ts.iter_mut().filter_map(Value::as_object_mut) {
                    t.remove("status");
                    drop_default(t, "apiVersion", json!("v1"));
                    drop_default(t, "kind", json!("PersistentVolumeClaim"));
                    if let Some(s) = t.get_mut("spec").and_then(Value::as_object_mut) {
                        drop_default(s, "volumeMode", json!("Filesystem"));
                    }
                }
            }
        }
        "DaemonSet" => {
            drop_default(spec, "revisionHistoryLimit", json!(10));
            drop_default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
            );
        }
        "Job" => job_defaults(spec),
        "CronJob" => {
            drop_default(spec, "suspend", json!(false));
            drop_default(spec, "concurrencyPolicy", json!("Allow"));
            drop_default(spec, "successfulJobsHistoryLimit", json!(3));
            drop_default(spec, "failedJobsHistoryLimit", json!(1));
            if let Some(js) = spec
                .get_mut("jobTemplate")
                .and_then(|t| t.get_mut("spec"))
                .and_then(Value::as_object_mut)
            {
                job_defaults(js);
            }
        }
        "Service" => {
            // A headless Service's `clusterIP: None` is the author's; an address is the
            // server's.
            if spec.get("clusterIP") != Some(&json!("None")) {
                spec.remove("clusterIP");
            }
            for k in ["clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
                spec.remove(k);
            }
            drop_default(spec, "sessionAffinity", json!("None"));
            drop_default(spec, "internalTrafficPolicy", json!("Cluster"));
            if let Some(Value::Array(ports)) = spec.get_mut("ports") {
                for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                    drop_default(p, "protocol", json!("TCP"));
                }
            }
        }
        _ => {}
    }
    if let Some(pod) = spec
        .get_mut("template")
        .and_then(|t| t.get_mut("spec"))
        .and_then(Value::as_object_mut)
    {
        pod_defaults(pod);
    }
    if let Some(pod) = spec
        .get_mut("jobTemplate")
        .and_then(|t| t.pointer_mut("/spec/template/spec"))
        .and_then(Value::as_object_mut)
    {
        pod_defaults(pod);
    }
}

fn job_defaults(spec: &mut Map<String, Value>) {
    use serde_json::json;
    drop_default(spec, "completions", json!(1));
    drop_default(spec, "parallelism", json!(1));
    drop_default(spec, "completionMode", json!("NonIndexed"));
    drop_default(spec, "suspend", json!(false));
    drop_default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    drop_default(spec, "manualSelector", json!(false));
    // The controller's own selector and pod labels (`controller-uid`).
    let generated = spec
        .get("selector")
        .and_then(|s| s.get("matchLabels"))
        .and_then(Value::as_object)
        .is_some_and(|m| m.keys().any(|k| k.contains("controller-uid")));
    if generated {
        spec.remove("selector");
        if let Some(Value::Object(labels)) = spec
            .get_mut("template")
            .and_then(|t| t.pointer_mut("/metadata/labels"))
        {
            labels.retain(|k, _| {
                !k.contains("controller-uid")
                    && k != "job-name"
                    && k != "batch.kubernetes.io/job-name"
            });
        }
    }
}

fn pod_defaults(pod: &mut Map<String, Value>) {
    use serde_json::json;
    drop_default(pod, "dnsPolicy", json!("ClusterFirst"));
    drop_default(pod, "schedulerName", json!("default-scheduler"));
    drop_default(pod, "securityContext", json!({}));
    drop_default(pod, "terminationGracePeriodSeconds", json!(30));
    if pod.get("serviceAccount") == pod.get("serviceAccountName") {
        pod.remove("serviceAccount");
    }
    if pod.get("restartPolicy") == Some(&json!("Always")) {
        pod.remove("restartPolicy");
    }
    for list in ["containers", "initContainers"] {
        if let Some(Value::Array(cs)) = pod.get_mut(list) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                drop_default(c, "terminationMessagePath", json!("/dev/termination-log"));
                drop_default(c, "terminationMessagePolicy", json!("File"));
                drop_default(c, "imagePullPolicy", json!("IfNotPresent"));
                drop_default(c, "resources", json!({}));
                if let Some(Value::Array(ports)) = c.get_mut("ports") {
                    for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                        drop_default(p, "protocol", json!("TCP"));
                    }
                }
                for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
                    if let Some(p) = c.get_mut(probe).and_then(Value::as_object_mut) {
                        drop_default(p, "successThreshold", json!(1));
                        drop_default(p, "timeoutSeconds", json!(1));
                        drop_default(p, "periodSeconds", json!(10));
                        drop_default(p, "failureThreshold", json!(3));
                        if let Some(h) = p.get_mut("httpGet").and_then(Value::as_object_mut) {
                            drop_default(h, "scheme", json!("HTTP"));
                        }
                    }
                }
            }
        }
    }
    if let Some(Value::Array(vols)) = pod.get_mut("volumes") {
        for v in vols.iter_mut().filter_map(Value::as_object_mut) {
            for src in ["configMap", "secret"] {
                if let Some(s) = v.get_mut(src).and_then(Value::as_object_mut) {
                    drop_default(s, "defaultMode", json!(420));
                }
            }
        }
    }
}

/// A string field of an object.
pub fn s<'v>(v: &'v Value, pointer: &str) -> Option<&'v str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// `Deployment web` or `Deployment shop/web`.
pub fn describe(v: &Value) -> String {
    let kind = s(v, "/kind").unwrap_or("object");
    let name = s(v, "/metadata/name").unwrap_or("(no name)");
    match s(v, "/metadata/namespace") {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// The labels of an object and, for workloads, of its pod template.
fn labels(v: &Value) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    for p in [
        "/metadata/labels",
        "/spec/template/metadata/labels",
        "/spec/jobTemplate/spec/template/metadata/labels",
    ] {
        if let Some(m) = v.pointer(p).and_then(Value::as_object) {
            for (k, val) in m {
                if let Some(val) = val.as_str() {
                    out.push((k.as_str(), val));
                }
            }
        }
    }
    out
}

/// What an object's labels and namespace say about its app, strongest first.
fn app_hint(v: &Value) -> Option<String> {
    let ls = labels(v);
    let label = |k: &str| {
        ls.iter()
            .find(|(lk, _)| *lk == k)
            .map(|(_, v)| v.to_string())
    };
    label("app.kubernetes.io/part-of")
        .or_else(|| label("app.kubernetes.io/instance"))
        .or_else(|| {
            s(v, "/metadata/namespace")
                .filter(|ns| *ns != "default")
                .map(str::to_owned)
        })
        .or_else(|| label("app.kubernetes.io/name"))
        .or_else(|| label("app"))
        .or_else(|| label("release"))
}

/// Makes `raw` a DNS label kiln accepts as a name, at most `max` characters
/// (lowercase, `-` for anything else, a letter first).
pub fn sanitize(raw: &str, max: usize) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.starts_with(|c: char| c.is_ascii_digit()) {
        out.remove(0);
    }
    out.truncate(max);
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "app".to_owned()
    } else {
        out
    }
}

/// Groups objects (by index) into apps: by their labels and namespace, then objects
/// without a hint (a Service, a ConfigMap) join the app of the object that refers to
/// them or that they select. Deterministic: apps sorted by name.
pub fn group(objects: &[Value]) -> BTreeMap<String, Vec<usize>> {
    let mut app_of: Vec<Option<String>> = objects.iter().map(app_hint).collect();
    // References: a Service selecting a workload's pods, a workload naming a ConfigMap
    // or Secret, an HPA/PDB/Ingress naming its target.
    for _ in 0..2 {
        for i in 0..objects.len() {
            if app_of[i].is_some() {
                continue;
            }
            let o = &objects[i];
            let found = objects.iter().enumerate().find_map(|(j, other)| {
                let a = app_of[j].as_ref()?;
                related(o, other).then(|| a.clone())
            });
            app_of[i] = found;
        }
    }
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let fallback = app_of
        .iter()
        .flatten()
        .next()
        .cloned()
        .unwrap_or_else(|| "app".to_owned());
    for (i, a) in app_of.into_iter().enumerate() {
        let name = sanitize(&a.unwrap_or_else(|| fallback.clone()), 40);
        groups.entry(name).or_default().push(i);
    }
    groups
}

/// Whether `o` (no hint of its own) belongs with `other`.
fn related(o: &Value, other: &Value) -> bool {
    let name = s(o, "/metadata/name").unwrap_or_default();
    let kind = s(o, "/kind").unwrap_or_default();
    if let Some(sel) = o.pointer("/spec/selector").and_then(Value::as_object)
        && kind == "Service"
        && !sel.is_empty()
    {
        let pod_labels = other.pointer("/spec/template/metadata/labels");
        return sel
            .iter()
            .all(|(k, v)| pod_labels.and_then(|l| l.get(k)) == Some(v));
    }
    if let Some(target) = s(o, "/spec/scaleTargetRef/name") {
        return s(other, "/metadata/name") == Some(target);
    }
    // A ConfigMap, Secret or Service named anywhere in the other object.
    !name.is_empty() && mentions(other, name, 0)
}

fn mentions(v: &Value, name: &str, depth: usize) -> bool {
    if depth > 40 {
        return false;
    }
    match v {
        Value::String(s) => s == name,
        Value::Array(l) => l.iter().any(|x| mentions(x, name, depth + 1)),
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| *k != "metadata")
            .any(|(_, x)| mentions(x, name, depth + 1)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sanitize_names() {
        assert_eq!(sanitize("My_App.v2", 40), "my-app-v2");
        assert_eq!(sanitize("--", 40), "app");
        assert_eq!(sanitize(&"x".repeat(300), 40).len(), 40);
        assert_eq!(sanitize("9lives", 40), "lives");
    }

    #[test]
    fn server_objects_use_last_applied() {
        let applied = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "uid": "1", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": applied.to_string()}},
            "data": {"k": "v", "extra": "x"}});
        assert_eq!(clean(&live).unwrap(), applied);
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        assert!(clean(&pod).is_err());
    }
}
