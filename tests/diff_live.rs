//! `kiln diff --live` against a fake Kubernetes API server started by the test on
//! 127.0.0.1. It speaks the wire format kube-rs uses: discovery (`/api/v1`,
//! `/apis/GROUP/VERSION` APIResourceLists), GET by name (objects as a server returns
//! them, from the live fixtures; `Status` 404 when absent), LIST with a label selector
//! (typed lists whose items have no kind/apiVersion), 401 without the right bearer
//! token, and 403 for chosen paths. The kubeconfig is a temporary file pointing at it,
//! with a token, or with an exec credential plugin (a shell script).

mod diff_support;

use diff_support::{kiln, root};
use kiln::diff::sources::read_path;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// (group, version, plural, kind, namespaced) for every kind the server serves.
const RESOURCES: [(&str, &str, &str, &str, bool); 17] = [
    ("", "v1", "namespaces", "Namespace", false),
    ("", "v1", "services", "Service", true),
    ("", "v1", "configmaps", "ConfigMap", true),
    ("", "v1", "secrets", "Secret", true),
    ("", "v1", "serviceaccounts", "ServiceAccount", true),
    (
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
    ),
    ("apps", "v1", "deployments", "Deployment", true),
    ("apps", "v1", "statefulsets", "StatefulSet", true),
    ("apps", "v1", "daemonsets", "DaemonSet", true),
    ("batch", "v1", "jobs", "Job", true),
    ("batch", "v1", "cronjobs", "CronJob", true),
    (
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        true,
    ),
    ("networking.k8s.io", "v1", "ingresses", "Ingress", true),
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
    ),
    (
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
    ),
    ("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
    ),
];

/// What the fake server holds.
#[derive(Default)]
struct State {
    objects: Vec<Value>,
    token: String,
    /// Paths answered with 403.
    forbidden: Vec<String>,
    /// Every request line seen (for assertions on what kube asked).
    seen: Vec<String>,
    /// API groups answered with 404 (not installed).
    unserved: Vec<String>,
}

fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": reason, "code": code})
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let h = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("20");
                out.push(u8::from_str_radix(h, 16).unwrap_or(b' '));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `key in (a,b)` or `key=value`: whether `labels` match.
fn selects(selector: &str, labels: &Value) -> bool {
    let selector = selector.trim();
    if let Some((key, rest)) = selector.split_once(" in ") {
        let values: Vec<&str> = rest
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split(',')
            .map(str::trim)
            .collect();
        return labels
            .get(key.trim())
            .and_then(Value::as_str)
            .is_some_and(|v| values.contains(&v));
    }
    if let Some((key, value)) = selector.split_once('=') {
        return labels.get(key.trim()).and_then(Value::as_str) == Some(value.trim());
    }
    false
}

/// Answers one request: (status code, JSON body).
fn route(state: &mut State, method: &str, target: &str, auth: Option<&str>) -> (u16, Value) {
    state.seen.push(format!("{method} {target}"));
    if auth != Some(&format!("Bearer {}", state.token)) {
        return (401, status(401, "Unauthorized", "Unauthorized"));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if state.forbidden.iter().any(|f| f == path) {
        return (
            403,
            status(
                403,
                "Forbidden",
                &format!("{path} is forbidden: User \"dev\" cannot get this resource"),
            ),
        );
    }
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Discovery.
    let (group, version, rest) = match parts.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => {
            return (
                404,
                status(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                ),
            );
        }
    };
    let served: Vec<_> = RESOURCES
        .iter()
        .filter(|r| r.0 == group && r.1 == version && !state.unserved.iter().any(|u| u == group))
        .collect();
    if served.is_empty() {
        return (
            404,
            status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ),
        );
    }
    let gv = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    if rest.is_empty() {
        let mut resources = Vec::new();
        for (_, _, plural, kind, namespaced) in &served {
            resources.push(json!({"name": plural, "singularName": kind.to_lowercase(),
                "namespaced": namespaced, "kind": kind,
                "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]}));
            resources.push(
                json!({"name": format!("{plural}/status"), "singularName": "",
                "namespaced": namespaced, "kind": kind, "verbs": ["get", "patch", "update"]}),
            );
        }
        return (
            200,
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
        );
    }
    let (ns, plural, name) = match rest {
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        [plural] => (None, *plural, None),
        _ => return (404, status(404, "NotFound", "not found")),
    };
    let Some((_, _, _, kind, _)) = served.iter().find(|r| r.2 == plural) else {
        return (404, status(404, "NotFound", "not found"));
    };
    let matches = |o: &Value| {
        o["kind"] == *kind && o["metadata"]["namespace"].as_str().unwrap_or("") == ns.unwrap_or("")
    };
    match name {
        Some(name) => match state
            .objects
            .iter()
            .find(|o| matches(o) && o["metadata"]["name"] == name)
        {
            Some(o) => (200, o.clone()),
            None => {
                let resource = if group.is_empty() {
                    plural.to_owned()
                } else {
                    format!("{plural}.{group}")
                };
                let mut s = status(404, "NotFound", &format!("{resource} \"{name}\" not found"));
                s["details"] = json!({"name": name, "group": group, "kind": plural});
                (404, s)
            }
        },
        None => {
            let selector = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("labelSelector="))
                .map(percent_decode)
                .unwrap_or_default();
            let items: Vec<Value> = state
                .objects
                .iter()
                .filter(|o| matches(o) && selects(&selector, &o["metadata"]["labels"]))
                .map(|o| {
                    let mut o = o.clone();
                    let m = o.as_object_mut().unwrap();
                    m.remove("kind");
                    m.remove("apiVersion");
                    o
                })
                .collect();
            (
                200,
                json!({"kind": format!("{kind}List"), "apiVersion": gv,
                       "metadata": {"resourceVersion": "48213"}, "items": items}),
            )
        }
    }
}

fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or("").to_owned();
    let target = words.next().unwrap_or("").to_owned();
    let mut auth = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("authorization")
        {
            auth = Some(v.trim().to_owned());
        }
    }
    let (code, body) = route(
        &mut state.lock().unwrap(),
        &method,
        &target,
        auth.as_deref(),
    );
    let body = serde_json::to_vec(&body).unwrap();
    let reason = match code {
        200 => "OK",
        401 => "Unauthorized",
        403 => "Forbidden",
        _ => "Not Found",
    };
    let mut out = stream;
    let _ = write!(
        out,
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = out.write_all(&body);
    let _ = out.flush();
}

/// Starts the server; returns its URL. It stops by itself after 2000 connections (no
/// test makes that many); the thread ends with the test process otherwise.
fn start(state: Arc<Mutex<State>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2000).flatten() {
            let st = state.clone();
            std::thread::spawn(move || serve(stream, st));
        }
    });
    format!("http://{addr}")
}

/// A kubeconfig with a token user and a context `fake` (current) and `other`.
fn kubeconfig(dir: &Path, server: &str, user: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {server}\n\
         contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: dev\n    namespace: default\n\
         - name: other\n  context:\n    cluster: fake\n    user: dev\n\
         current-context: fake\nusers:\n- name: dev\n  user:\n{user}"
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn token_user(token: &str) -> String {
    format!("    token: {token}\n")
}

fn csis_live() -> Vec<Value> {
    read_path(&root().join("tests/fixtures/diff/live/csis.yaml")).unwrap()
}

fn csis() -> String {
    root().join("examples/csis/app.kiln").display().to_string()
}

fn server_with(objects: Vec<Value>, token: &str) -> (Arc<Mutex<State>>, String) {
    let state = Arc::new(Mutex::new(State {
        objects,
        token: token.to_owned(),
        ..State::default()
    }));
    let url = start(state.clone());
    (state, url)
}

#[test]
fn live_cluster_matching_the_bundle_has_no_differences() {
    let live = csis_live();
    let n = live.len();
    let (state, url) = server_with(live, "t0ken");
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), &url, &token_user("t0ken"));
    let (code, out, err) = kiln(
        &[
            "diff",
            &csis(),
            "--live",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
        None,
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        format!("0 changed, 0 added, 0 removed, {n} unchanged\n")
    );
    let seen = state.lock().unwrap().seen.clone();
    assert!(seen.contains(&"GET /apis/apps/v1".to_owned()), "{seen:?}");
    assert!(
        seen.contains(&"GET /apis/apps/v1/namespaces/csis/deployments/csis-web".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"GET /api/v1/namespaces/csis".to_owned()),
        "{seen:?}"
    );
}

#[test]
fn live_changes_missing_objects_and_prune() {
    let mut live = csis_live();
    // The HPA is not there yet, the queue was scaled by hand, and two leftovers carry
    // the app's label: a Service (pruned) and a Job owned by a CronJob (not ours).
    live.retain(|o| o["kind"] != "HorizontalPodAutoscaler");
    for o in &mut live {
        if o["metadata"]["name"] == "csis-queue" && o["kind"] == "Deployment" {
            o["spec"]["replicas"] = json!(1);
        }
    }
    let labels = json!({"app.kubernetes.io/instance": "csis", "app.kubernetes.io/name": "csis"});
    live.push(json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "csis-old", "namespace": "csis", "labels": labels,
                     "uid": "u-1", "resourceVersion": "9"},
        "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "clusterIP": "10.96.0.9"}}));
    live.push(json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "csis-nightly-29000000", "namespace": "csis", "labels": labels,
                     "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "csis-nightly", "uid": "u-2"}]},
        "spec": {}}));
    let (state, url) = server_with(live, "t0ken");
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), &url, &token_user("t0ken"));
    let kc = kc.to_str().unwrap();
    let (code, out, err) = kiln(
        &["diff", &csis(), "--live", "--kubeconfig", kc, "--summary"],
        None,
        None,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("+ autoscaling/v2 HorizontalPodAutoscaler csis/csis-web\n"),
        "{out}"
    );
    assert!(
        out.contains("~ apps/v1 Deployment csis/csis-queue: spec.replicas: 1 → 2\n"),
        "{out}"
    );
    assert!(!out.contains("csis-old"), "no prune without --prune: {out}");
    let (code, out, err) = kiln(
        &[
            "diff",
            &csis(),
            "--live",
            "--kubeconfig",
            kc,
            "--prune",
            "--summary",
        ],
        None,
        None,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("- v1 Service csis/csis-old\n"), "{out}");
    assert!(
        !out.contains("csis-nightly-29000000"),
        "owned objects are not pruned: {out}"
    );
    assert!(out.contains("\n1 changed, 1 added, 1 removed, "), "{out}");
    let seen = state.lock().unwrap().seen.clone();
    assert!(
        seen.iter()
            .any(|s| s.starts_with("GET /api/v1/namespaces/csis/services?")
                && s.contains("labelSelector=")),
        "{seen:?}"
    );
}

#[test]
fn exec_credential_plugin_provides_the_token() {
    let (_, url) = server_with(csis_live(), "from-exec-plugin");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("plugin.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf '%s' '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"from-exec-plugin\"}}'\n",
    )
    .unwrap();
    let user = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args:\n      - {}\n      interactiveMode: Never\n",
        script.display()
    );
    let kc = kubeconfig(dir.path(), &url, &user);
    let (code, out, err) = kiln(
        &[
            "diff",
            &csis(),
            "--live",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
        None,
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn cluster_failures_exit_3_with_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    // Unreachable: nothing listens on a port just closed.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let kc = kubeconfig(dir.path(), &url, &token_user("t"));
    let kc_s = kc.to_str().unwrap().to_owned();
    let (code, out, err) = kiln(
        &["diff", &csis(), "--live", "--kubeconfig", &kc_s],
        None,
        None,
    );
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains(&format!("cannot reach the API server at {url}")),
        "{err}"
    );

    // Forbidden: names the verb and the object.
    let (state, url) = server_with(csis_live(), "t0ken");
    state
        .lock()
        .unwrap()
        .forbidden
        .push("/apis/apps/v1/namespaces/csis/deployments/csis-web".into());
    let kc = kubeconfig(dir.path(), &url, &token_user("t0ken"));
    let (code, _, err) = kiln(
        &[
            "diff",
            &csis(),
            "--live",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
        None,
        None,
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("forbidden: cannot `get` deployments.apps `csis/csis-web`"),
        "{err}"
    );

    // Wrong token: 401 names the server.
    let kc = kubeconfig(dir.path(), &url, &token_user("wrong"));
    let (code, _, err) = kiln(
        &[
            "diff",
            &csis(),
            "--live",
            "--kubeconfig",
            kc.to_str().unwrap(),
        ],
        None,
        None,
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&format!("the API server at {url} refused the credentials")),
        "{err}"
    );

    // Unknown context: names the ones there are.
    let (code, _, err) = kiln(
        &[
            "diff",
            &csis(),
            "--live",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--context",
            "prod",
        ],
        None,
        None,
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("the kubeconfig has no context `prod` (it has `fake`, `other`)"),
        "{err}"
    );

    // Malformed kubeconfig.
    let bad = dir.path().join("bad");
    std::fs::write(&bad, "clusters: [: this is not yaml").unwrap();
    let (code, _, err) = kiln(
        &[
            "diff",
            &csis(),
            "--live",
            "--kubeconfig",
            bad.to_str().unwrap(),
        ],
        None,
        None,
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("cannot load the kubeconfig from"), "{err}");

    // Missing kubeconfig file.
    let (code, _, err) = kiln(
        &[
            "diff",
            &csis(),
            "--live",
            "--kubeconfig",
            "/nonexistent/kubeconfig",
        ],
        None,
        None,
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("/nonexistent/kubeconfig"), "{err}");
}

#[test]
fn kinds_the_cluster_does_not_serve_show_as_added_with_a_note() {
    let (state, url) = server_with(csis_live(), "t0ken");
    state
        .lock()
        .unwrap()
        .unserved
        .push("networking.k8s.io".into());
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), &url, &token_user("t0ken"));
    let (code, out, err) = kiln(
        &[
            "diff",
            &csis(),
            "--live",
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--summary",
        ],
        None,
        None,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("note: the cluster does not serve `networking.k8s.io/v1 NetworkPolicy`"),
        "{out}"
    );
    assert!(
        out.contains("+ networking.k8s.io/v1 NetworkPolicy csis/csis\n"),
        "{out}"
    );
    assert!(
        out.contains("+ networking.k8s.io/v1 Ingress csis/csis-web\n"),
        "{out}"
    );
}
