//! `--for helm`: a chart per app, jobs as hooks.
//!
//! Jobs before the workloads are `pre-install,pre-upgrade` hooks (`on_install` jobs:
//! `pre-install` only), jobs after them `post-install,post-upgrade` (or `post-install`),
//! with `helm.sh/hook-weight` from their step and
//! `helm.sh/hook-delete-policy: before-hook-creation`. Helm runs pre-install hooks
//! before it creates any resource of the chart, so the ServiceAccount, ConfigMaps,
//! Secrets and claims a pre-hook job uses are made hooks themselves, of a lower weight
//! (the "pre-install hook cannot find its ConfigMap" trap). Helm stores a release in its
//! namespace before anything else, so the Namespace is not a template: it is written
//! next to the chart (`namespace.yaml`) to apply first.
//!
//! Templates are the final YAML: no value, no function. Any `{{` in the output (a
//! value that happens to contain one) is written `{{ "{{" }}`, which Helm renders back
//! to `{{`, so `helm template` prints exactly what kiln compiled.

use super::{Phase, annotate, groups};
use crate::check::model::{Model, RunPhase};
use crate::diag::Diagnostics;
use crate::lower::Object;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

/// `helm.sh/hook`.
pub const HOOK: &str = "helm.sh/hook";
/// `helm.sh/hook-weight`.
pub const WEIGHT: &str = "helm.sh/hook-weight";
/// `helm.sh/hook-delete-policy`.
pub const DELETE_POLICY: &str = "helm.sh/hook-delete-policy";

/// What a pod template refers to by name: (kind, name) pairs.
fn references(spec: &Value) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    if let Some(sa) = s(spec.get("serviceAccountName")) {
        out.push(("ServiceAccount", sa));
    }
    for v in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(n) = s(v.pointer("/configMap/name")) {
            out.push(("ConfigMap", n));
        }
        if let Some(n) = s(v.pointer("/secret/secretName")) {
            out.push(("Secret", n));
        }
        if let Some(n) = s(v.pointer("/persistentVolumeClaim/claimName")) {
            out.push(("PersistentVolumeClaim", n));
        }
    }
    let containers = ["initContainers", "containers"]
        .into_iter()
        .filter_map(|k| spec.get(k).and_then(Value::as_array))
        .flatten();
    for c in containers {
        for f in c
            .get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(n) = s(f.pointer("/configMapRef/name")) {
                out.push(("ConfigMap", n));
            }
            if let Some(n) = s(f.pointer("/secretRef/name")) {
                out.push(("Secret", n));
            }
        }
        for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
            if let Some(n) = s(e.pointer("/valueFrom/configMapKeyRef/name")) {
                out.push(("ConfigMap", n));
            }
            if let Some(n) = s(e.pointer("/valueFrom/secretKeyRef/name")) {
                out.push(("Secret", n));
            }
        }
    }
    out
}

/// The hook events of a release job.
fn job_hook(o: &Object) -> &'static str {
    match (o.phase, o.run) {
        (Phase::PostDeploy, Some(RunPhase::OnInstall)) => "post-install",
        (Phase::PostDeploy, _) => "post-install,post-upgrade",
        (_, Some(RunPhase::OnInstall)) => "pre-install",
        _ => "pre-install,pre-upgrade",
    }
}

/// Annotates a sorted bundle for Helm (see the module documentation).
pub fn apply(_model: &Model, objects: &mut [Object], _warnings: &mut Diagnostics) {
    // What the pre-hook jobs need, and whether an upgrade needs it too.
    let mut needed: BTreeMap<(String, &'static str, String), bool> = BTreeMap::new();
    for o in objects.iter() {
        if !super::is_release_job(o) || o.phase.window() != 1 {
            continue;
        }
        let upgrade = o.run == Some(RunPhase::BeforeDeploy);
        if let Some(spec) = o.value.pointer("/spec/template/spec") {
            for (kind, name) in references(spec) {
                let e = needed
                    .entry((o.namespace.clone(), kind, name))
                    .or_insert(false);
                *e |= upgrade;
            }
        }
    }
    for o in objects.iter_mut() {
        if super::is_release_job(o) {
            annotate(o, HOOK, job_hook(o));
            annotate(o, WEIGHT, &o.step.to_string());
            annotate(o, DELETE_POLICY, "before-hook-creation");
            continue;
        }
        if o.phase != Phase::Setup {
            continue;
        }
        let kind: &str = &o.kind;
        let key = needed
            .iter()
            .find(|((ns, k, n), _)| *ns == o.namespace && *k == kind && *n == o.name)
            .map(|(_, &upgrade)| upgrade);
        if let Some(upgrade) = key {
            let hook = if upgrade {
                "pre-install,pre-upgrade"
            } else {
                "pre-install"
            };
            annotate(o, HOOK, hook);
            annotate(o, WEIGHT, "0");
            annotate(o, DELETE_POLICY, "before-hook-creation");
        }
    }
}

/// `{{` written so that Helm renders it back to `{{`.
pub const ESCAPED_OPEN: &str = "{{ \"{{\" }}";

/// Escapes template syntax in text that must render unchanged.
pub fn escape(text: &str) -> String {
    text.replace("{{", ESCAPED_OPEN)
}

/// Whether `version` is a SemVer 2 version (what Chart.yaml's `version` must be).
pub fn is_semver(version: &str) -> bool {
    let (core, rest) = match version.find(['-', '+']) {
        Some(i) => version.split_at(i),
        None => (version, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &str| {
        !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && (p == "0" || !p.starts_with('0'))
    };
    let ident =
        |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    parts.len() == 3
        && parts.iter().all(|p| numeric(p))
        && (rest.is_empty() || rest[1..].split(['.', '+']).all(ident))
}

/// The files of one chart per app: `{app}/Chart.yaml`, `values.yaml`, `.helmignore`,
/// `namespace.yaml` (to apply before `helm install`) and `templates/NN-{phase}.yaml`.
/// The chart's `version` is the app's version label when it is SemVer (`0.1.0`
/// otherwise), its `appVersion` the version label.
pub fn chart_files(objects: &[Object], source: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut charted: HashSet<&str> = HashSet::new();
    for o in objects {
        if o.app.is_empty() || !charted.insert(o.app.as_str()) {
            continue;
        }
        let app = o.app.as_str();
        let dir = PathBuf::from(app);
        let app_version = objects.iter().filter(|x| x.app == app).find_map(|x| {
            x.value
                .pointer("/metadata/labels/app.kubernetes.io~1version")
                .and_then(Value::as_str)
        });
        let version = match app_version {
            Some(v) if is_semver(v) => v,
            _ => "0.1.0",
        };
        let mut chart = json!({
            "apiVersion": "v2",
            "name": app,
            "description": format!("{app}, compiled by kiln from {source}: the templates are plain manifests, edit the .kiln file instead"),
            "type": "application",
            "version": version,
        });
        if let (Some(v), Some(m)) = (app_version, chart.as_object_mut()) {
            m.insert("appVersion".to_owned(), json!(v));
        }
        files.push((
            dir.join("Chart.yaml"),
            escape(&crate::emit::value_to_yaml(&chart)),
        ));
        files.push((
            dir.join("values.yaml"),
            "# kiln charts take no values: the .kiln file is the source of every field.\n"
                .to_owned(),
        ));
        files.push((
            dir.join(".helmignore"),
            "# Applied before `helm install`, not a template.\nnamespace.yaml\n".to_owned(),
        ));
    }
    let namespaces: Vec<&Object> = objects.iter().filter(|o| o.kind == "Namespace").collect();
    for ns in &namespaces {
        let dir = if charted.contains(ns.app.as_str()) {
            PathBuf::from(&ns.app)
        } else {
            PathBuf::from("_")
        };
        files.push((dir.join("namespace.yaml"), crate::emit::to_yaml_refs(&[ns])));
    }
    let mut counters: BTreeMap<&str, usize> = BTreeMap::new();
    let all = groups(objects);
    let mut per_app: BTreeMap<&str, usize> = BTreeMap::new();
    for g in &all {
        *per_app.entry(g.app.as_str()).or_default() += 1;
    }
    for g in &all {
        let docs: Vec<&Object> = g
            .objects
            .iter()
            .filter_map(|&i| objects.get(i))
            .filter(|o| o.kind != "Namespace")
            .collect();
        if docs.is_empty() {
            continue;
        }
        let n = counters.entry(g.app.as_str()).or_default();
        *n += 1;
        let width = per_app
            .get(g.app.as_str())
            .map_or(2, |t| t.to_string().len().max(2));
        let app = if g.app.is_empty() { "_" } else { &g.app };
        files.push((
            PathBuf::from(app).join("templates").join(format!(
                "{:0width$}-{}.yaml",
                n,
                g.phase.as_str()
            )),
            escape(&crate::emit::to_yaml_refs(&docs)),
        ));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver() {
        for v in ["1.4.2", "0.1.0", "1.0.0-rc.1", "1.0.0+build.5", "10.20.30"] {
            assert!(is_semver(v), "{v}");
        }
        for v in [
            "1.4",
            "v1.4.2",
            "01.2.3",
            "1.2.3-",
            "latest",
            "1.2.3-a..b",
            "",
        ] {
            assert!(!is_semver(v), "{v}");
        }
    }

    #[test]
    fn escaping_renders_back() {
        let text = "a: \"{{ .Values.x }}\"\nb: {{{\n";
        let escaped = escape(text);
        assert!(!escaped.replace(ESCAPED_OPEN, "").contains("{{"));
        assert_eq!(escaped.replace(ESCAPED_OPEN, "{{"), text);
    }
}
