//! Test support for `kiln diff`: turning a manifest into the object an API server
//! returns after `kubectl apply` (defaults filled in, bookkeeping metadata, the
//! last-applied annotation, managedFields, status), following the defaulting functions
//! of Kubernetes 1.33 (`pkg/apis/*/v1/defaults.go`) for the kinds kiln writes.
//!
//! Used to write the "live" fixtures under tests/fixtures/diff/live/ (blessed with
//! KILN_BLESS=1 and read back by the tests and the fake API server); the fixtures are
//! what the tests compare, so they can be read and hand-edited like any fixture.

#![allow(dead_code)]

use serde_json::{Map, Value, json};

/// A stable fake UID for an object (a real server makes a random UUIDv4).
pub fn uid(kind: &str, ns: &str, name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.bytes().chain(ns.bytes()).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let x = format!("{h:016x}{:016x}", h.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15);
    format!(
        "{}-{}-4{}-a{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[17..20],
        &x[20..32]
    )
}

fn obj(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    v.as_object_mut().unwrap()
}

/// Sets `key` to `value` when absent.
fn default(m: &mut Map<String, Value>, key: &str, value: Value) {
    m.entry(key.to_owned()).or_insert(value);
}

/// The object a server returns for `manifest` applied with `kubectl apply`.
pub fn serverize(manifest: &Value) -> Value {
    let mut v = manifest.clone();
    let kind = v["kind"].as_str().unwrap_or_default().to_owned();
    let api_version = v["apiVersion"].as_str().unwrap_or_default().to_owned();
    let name = v["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let ns = v["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let uid = uid(&kind, &ns, &name);

    // Kind-specific defaults and status.
    let root = obj(&mut v);
    match kind.as_str() {
        "Namespace" => {
            let labels = obj(obj(root.get_mut("metadata").unwrap())
                .entry("labels")
                .or_insert(json!({})));
            labels.insert("kubernetes.io/metadata.name".into(), json!(name));
            root.insert("spec".into(), json!({"finalizers": ["kubernetes"]}));
            root.insert("status".into(), json!({"phase": "Active"}));
        }
        "Deployment" => {
            let spec = obj(root.entry("spec").or_insert(json!({})));
            // An HPA owns replicas: the live count is whatever it scaled to.
            default(spec, "replicas", json!(3));
            default(spec, "progressDeadlineSeconds", json!(600));
            default(spec, "revisionHistoryLimit", json!(10));
            default(
                spec,
                "strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
            pod_template(spec.get_mut("template"), false);
            let replicas = spec["replicas"].clone();
            root.insert(
                "status".into(),
                json!({"availableReplicas": replicas, "conditions": [
                    {"lastTransitionTime": "2026-01-10T09:01:00Z", "lastUpdateTime": "2026-01-10T09:01:00Z",
                     "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable",
                     "status": "True", "type": "Available"},
                    {"lastTransitionTime": "2026-01-10T09:00:00Z", "lastUpdateTime": "2026-01-10T09:01:00Z",
                     "message": format!("ReplicaSet \"{name}-6d4cf56db6\" has successfully progressed."),
                     "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"}],
                    "observedGeneration": 3, "readyReplicas": replicas, "replicas": replicas,
                    "updatedReplicas": replicas}),
            );
            let meta = obj(root.get_mut("metadata").unwrap());
            obj(meta.entry("annotations").or_insert(json!({})))
                .insert("deployment.kubernetes.io/revision".into(), json!("3"));
        }
        "StatefulSet" => {
            let spec = obj(root.entry("spec").or_insert(json!({})));
            default(spec, "replicas", json!(1));
            default(spec, "podManagementPolicy", json!("OrderedReady"));
            default(spec, "revisionHistoryLimit", json!(10));
            default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
            default(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            if let Some(Value::Array(claims)) = spec.get_mut("volumeClaimTemplates") {
                for c in claims {
                    let cm = obj(c);
                    default(cm, "apiVersion", json!("v1"));
                    default(cm, "kind", json!("PersistentVolumeClaim"));
                    let cs = obj(cm.entry("spec").or_insert(json!({})));
                    default(cs, "volumeMode", json!("Filesystem"));
                    cm.insert("status".into(), json!({"phase": "Pending"}));
                }
            }
            pod_template(spec.get_mut("template"), false);
            let replicas = spec["replicas"].clone();
            root.insert(
                "status".into(),
                json!({"availableReplicas": replicas, "collisionCount": 0,
                       "currentReplicas": replicas, "currentRevision": format!("{name}-7b9c8d6f5"),
                       "observedGeneration": 1, "readyReplicas": replicas, "replicas": replicas,
                       "updateRevision": format!("{name}-7b9c8d6f5"), "updatedReplicas": replicas}),
            );
        }
        "DaemonSet" => {
            let spec = obj(root.entry("spec").or_insert(json!({})));
            default(spec, "revisionHistoryLimit", json!(10));
            default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
            );
            pod_template(spec.get_mut("template"), false);
            root.insert(
                "status".into(),
                json!({"currentNumberScheduled": 3, "desiredNumberScheduled": 3,
                       "numberAvailable": 3, "numberMisscheduled": 0, "numberReady": 3,
                       "observedGeneration": 1, "updatedNumberScheduled": 3}),
            );
        }
        "Job" => {
            let spec = obj(root.entry("spec").or_insert(json!({})));
            job_spec(spec, &uid, &name);
            root.insert(
                "status".into(),
                json!({"completionTime": "2026-01-10T09:00:40Z", "conditions": [
                    {"lastProbeTime": "2026-01-10T09:00:40Z", "lastTransitionTime": "2026-01-10T09:00:40Z",
                     "message": "Reached expected number of succeeded pods", "reason": "CompletionsReached",
                     "status": "True", "type": "SuccessCriteriaMet"},
                    {"lastProbeTime": "2026-01-10T09:00:40Z", "lastTransitionTime": "2026-01-10T09:00:40Z",
                     "message": "Reached expected number of succeeded pods", "reason": "CompletionsReached",
                     "status": "True", "type": "Complete"}],
                    "ready": 0, "startTime": "2026-01-10T09:00:02Z", "succeeded": 1,
                    "terminating": 0, "uncountedTerminatedPods": {}}),
            );
        }
        "CronJob" => {
            let spec = obj(root.entry("spec").or_insert(json!({})));
            default(spec, "concurrencyPolicy", json!("Allow"));
            default(spec, "failedJobsHistoryLimit", json!(1));
            default(spec, "successfulJobsHistoryLimit", json!(3));
            default(spec, "suspend", json!(false));
            if let Some(jt) = spec.get_mut("jobTemplate") {
                let jts = obj(obj(jt).entry("spec").or_insert(json!({})));
                pod_template(jts.get_mut("template"), true);
            }
            root.insert(
                "status".into(),
                json!({"lastScheduleTime": "2026-01-11T03:00:00Z", "lastSuccessfulTime": "2026-01-11T03:00:41Z"}),
            );
        }
        "Service" => {
            let spec = obj(root.entry("spec").or_insert(json!({})));
            default(spec, "type", json!("ClusterIP"));
            let headless = spec.get("clusterIP") == Some(&json!("None"));
            if !headless {
                spec.insert("clusterIP".into(), json!("10.96.41.7"));
            }
            let ip = spec["clusterIP"].clone();
            spec.insert("clusterIPs".into(), json!([ip]));
            default(spec, "internalTrafficPolicy", json!("Cluster"));
            default(spec, "ipFamilies", json!(["IPv4"]));
            default(spec, "ipFamilyPolicy", json!("SingleStack"));
            default(spec, "sessionAffinity", json!("None"));
            if spec["type"] == "LoadBalancer" || spec["type"] == "NodePort" {
                default(spec, "externalTrafficPolicy", json!("Cluster"));
            }
            if spec["type"] == "LoadBalancer" {
                default(spec, "allocateLoadBalancerNodePorts", json!(true));
            }
            let node_ports = spec["type"] == "LoadBalancer" || spec["type"] == "NodePort";
            if let Some(Value::Array(ports)) = spec.get_mut("ports") {
                for (i, p) in ports.iter_mut().enumerate() {
                    let pm = obj(p);
                    default(pm, "protocol", json!("TCP"));
                    let port = pm["port"].clone();
                    default(pm, "targetPort", port);
                    if node_ports {
                        default(pm, "nodePort", json!(30080 + i));
                    }
                }
            }
            root.insert("status".into(), json!({"loadBalancer": {}}));
        }
        "NetworkPolicy" => {
            let spec = obj(root.entry("spec").or_insert(json!({})));
            for dir in ["ingress", "egress"] {
                if let Some(Value::Array(rules)) = spec.get_mut(dir) {
                    for r in rules {
                        if let Some(Value::Array(ports)) = obj(r).get_mut("ports") {
                            for p in ports {
                                default(obj(p), "protocol", json!("TCP"));
                            }
                        }
                    }
                }
            }
        }
        "HorizontalPodAutoscaler" => {
            let spec = obj(root.entry("spec").or_insert(json!({})));
            default(spec, "minReplicas", json!(1));
            root.insert(
                "status".into(),
                json!({"conditions": [{"lastTransitionTime": "2026-01-10T09:01:00Z",
                    "message": "recommended size matches current size", "reason": "ReadyForNewScale",
                    "status": "True", "type": "AbleToScale"}],
                    "currentMetrics": [{"resource": {"current": {"averageUtilization": 12, "averageValue": "31m"},
                    "name": "cpu"}, "type": "Resource"}], "currentReplicas": 3, "desiredReplicas": 3}),
            );
        }
        "PodDisruptionBudget" => {
            root.insert(
                "status".into(),
                json!({"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1,
                       "expectedPods": 3, "observedGeneration": 1}),
            );
        }
        "Ingress" => {
            root.insert(
                "status".into(),
                json!({"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}),
            );
        }
        "PersistentVolumeClaim" => {
            let spec = obj(root.entry("spec").or_insert(json!({})));
            default(spec, "volumeMode", json!("Filesystem"));
            default(spec, "storageClassName", json!("standard"));
            root.insert("status".into(), json!({"phase": "Bound"}));
        }
        _ => {}
    }

    // Metadata every object gets, and the last-applied annotation with the manifest.
    let has_spec = root.contains_key("spec") && kind != "Namespace";
    let meta = obj(root.entry("metadata").or_insert(json!({})));
    let mut applied = manifest.clone();
    if let Some(m) = applied.get_mut("metadata").and_then(Value::as_object_mut)
        && let Some(Value::Object(a)) = m.get_mut("annotations")
    {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
    let applied = serde_json::to_string(&applied).unwrap() + "\n";
    obj(meta.entry("annotations").or_insert(json!({}))).insert(
        "kubectl.kubernetes.io/last-applied-configuration".into(),
        json!(applied),
    );
    meta.insert("creationTimestamp".into(), json!("2026-01-10T09:00:00Z"));
    if has_spec {
        meta.insert("generation".into(), json!(3));
    }
    meta.insert("resourceVersion".into(), json!("48213"));
    meta.insert("uid".into(), json!(uid));
    meta.insert(
        "managedFields".into(),
        json!([{
            "apiVersion": api_version,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:annotations": {".": {},
                "f:kubectl.kubernetes.io/last-applied-configuration": {}}}},
            "manager": "kubectl-client-side-apply",
            "operation": "Update",
            "time": "2026-01-10T09:00:00Z"
        }]),
    );
    v
}

/// Job spec defaults (`SetDefaults_Job`) and the labels the job controller adds.
fn job_spec(spec: &mut Map<String, Value>, uid: &str, name: &str) {
    default(spec, "backoffLimit", json!(6));
    default(spec, "completionMode", json!("NonIndexed"));
    default(spec, "completions", json!(1));
    default(spec, "manualSelector", json!(false));
    default(spec, "parallelism", json!(1));
    default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    default(spec, "suspend", json!(false));
    spec.insert(
        "selector".into(),
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
    );
    if let Some(t) = spec.get_mut("template") {
        let tm = obj(obj(t).entry("metadata").or_insert(json!({})));
        let labels = obj(tm.entry("labels").or_insert(json!({})));
        for (k, val) in [
            ("batch.kubernetes.io/controller-uid", uid),
            ("batch.kubernetes.io/job-name", name),
            ("controller-uid", uid),
            ("job-name", name),
        ] {
            labels.insert(k.into(), json!(val));
        }
    }
    pod_template(spec.get_mut("template"), true);
}

/// Pod template defaults (`SetDefaults_PodSpec`, `SetDefaults_Container`, probes,
/// volumes) and `creationTimestamp: null`, as a server returns a template.
fn pod_template(template: Option<&mut Value>, job: bool) {
    let Some(t) = template else { return };
    let tm = obj(t);
    obj(tm.entry("metadata").or_insert(json!({}))).insert("creationTimestamp".into(), Value::Null);
    let spec = obj(tm.entry("spec").or_insert(json!({})));
    default(spec, "dnsPolicy", json!("ClusterFirst"));
    default(
        spec,
        "restartPolicy",
        json!(if job { "Never" } else { "Always" }),
    );
    default(spec, "schedulerName", json!("default-scheduler"));
    default(spec, "securityContext", json!({}));
    default(spec, "terminationGracePeriodSeconds", json!(30));
    default(spec, "enableServiceLinks", json!(true));
    if let Some(sa) = spec.get("serviceAccountName").cloned() {
        // The deprecated alias, still filled in by the server.
        default(spec, "serviceAccount", sa);
    }
    for list in ["containers", "initContainers"] {
        if let Some(Value::Array(cs)) = spec.get_mut(list) {
            for c in cs {
                container(obj(c));
            }
        }
    }
    if let Some(Value::Array(vols)) = spec.get_mut("volumes") {
        for vol in vols {
            let vm = obj(vol);
            for src in ["configMap", "secret"] {
                if let Some(s) = vm.get_mut(src) {
                    default(obj(s), "defaultMode", json!(420));
                }
            }
        }
    }
}

fn container(c: &mut Map<String, Value>) {
    default(c, "terminationMessagePath", json!("/dev/termination-log"));
    default(c, "terminationMessagePolicy", json!("File"));
    default(c, "resources", json!({}));
    let image = c.get("image").and_then(Value::as_str).unwrap_or_default();
    let latest = !image.contains('@')
        && (image.ends_with(":latest") || !image.rsplit('/').next().unwrap_or("").contains(':'));
    default(
        c,
        "imagePullPolicy",
        json!(if latest { "Always" } else { "IfNotPresent" }),
    );
    if let Some(Value::Array(ports)) = c.get_mut("ports") {
        for p in ports {
            default(obj(p), "protocol", json!("TCP"));
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe) {
            let pm = obj(p);
            default(pm, "failureThreshold", json!(3));
            default(pm, "periodSeconds", json!(10));
            default(pm, "successThreshold", json!(1));
            default(pm, "timeoutSeconds", json!(1));
            if let Some(h) = pm.get_mut("httpGet") {
                default(obj(h), "scheme", json!("HTTP"));
            }
        }
    }
    // The server writes quantities in canonical form.
    if let Some(r) = c.get_mut("resources") {
        for part in ["limits", "requests"] {
            if let Some(Value::Object(q)) = obj(r).get_mut(part) {
                for (_, val) in q.iter_mut() {
                    if let Some(s) = val.as_str() {
                        *val = json!(canonical_quantity(s));
                    }
                }
            }
        }
    }
}

/// A few of the server's canonical rewrites: `1000m` → `1`, `1024Mi` → `1Gi`,
/// `0.5` → `500m`.
pub fn canonical_quantity(s: &str) -> String {
    if let Some(m) = s.strip_suffix('m')
        && let Ok(n) = m.parse::<u64>()
        && n % 1000 == 0
    {
        return (n / 1000).to_string();
    }
    if let Some(m) = s.strip_suffix("Mi")
        && let Ok(n) = m.parse::<u64>()
        && n % 1024 == 0
        && n > 0
    {
        return format!("{}Gi", n / 1024);
    }
    if let Some(f) = s.strip_prefix("0.")
        && f.len() <= 3
        && f.bytes().all(|b| b.is_ascii_digit())
    {
        let millis: u64 = format!("{f:0<3}").parse().unwrap_or(0);
        return format!("{millis}m");
    }
    s.to_owned()
}

/// The kiln binary's output for a command: (exit code, stdout, stderr).
pub fn kiln(
    args: &[&str],
    stdin: Option<&str>,
    cwd: Option<&std::path::Path>,
) -> (i32, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    let mut child = cmd.spawn().expect("run kiln");
    if let Some(text) = stdin {
        let mut si = child.stdin.take().unwrap();
        si.write_all(text.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The repository root.
pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether fixtures are being blessed.
pub fn blessing() -> bool {
    std::env::var_os("KILN_BLESS").is_some()
}
