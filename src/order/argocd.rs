//! `--for argocd`: sync waves and hooks.
//!
//! Every object gets `argocd.argoproj.io/sync-wave` in release order: setup, then one
//! wave per job step, then deploy, app after app. Jobs that run before the workloads
//! are `Sync` hooks in their waves, not `PreSync` hooks: Argo CD runs `PreSync` hooks
//! before it applies any manifest, so on the first sync the ServiceAccount and the
//! ConfigMaps the job reads would not exist yet (the trap Helm's pre-install hooks
//! have); in the `Sync` phase, waves order hooks and resources together and a wave
//! starts only when the previous one is healthy (a hook Job: completed). Jobs after
//! the workloads are `PostSync` hooks. Every hook has
//! `hook-delete-policy: BeforeHookCreation`.
//!
//! Argo CD has no "first sync only" hook, so an `on_install` job is guarded: its
//! command is started through `/bin/sh`, which exits 0 at once when the app's install
//! marker ConfigMap exists (mounted as an optional volume); the marker is a resource of
//! the bundle, in the wave after the last `on_install` job, so it exists from the first
//! successful install on.

use super::{Phase, annotate, marker_name};
use crate::check::model::{Model, RunPhase};
use crate::diag::{Diagnostic, Diagnostics, codes};
use crate::lower::Object;
use serde_json::{Value, json};

/// `argocd.argoproj.io/sync-wave`.
pub const WAVE: &str = "argocd.argoproj.io/sync-wave";
/// `argocd.argoproj.io/hook`.
pub const HOOK: &str = "argocd.argoproj.io/hook";
/// `argocd.argoproj.io/hook-delete-policy`.
pub const DELETE_POLICY: &str = "argocd.argoproj.io/hook-delete-policy";
/// `argocd.argoproj.io/sync-options`.
pub const SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";
/// Where the install marker is mounted in a guarded `on_install` job.
pub const MARKER_MOUNT: &str = "/var/run/kiln/install-marker";

/// Annotates a sorted bundle for Argo CD (see the module documentation).
pub fn apply(model: &Model, objects: &mut Vec<Object>, warnings: &mut Diagnostics) {
    insert_markers(objects);
    let mut wave: i64 = -1;
    let mut last: Option<(String, u8, u32, bool)> = None;
    for o in objects.iter_mut() {
        let marker = is_marker(o);
        let key = (o.app.clone(), o.phase.window(), o.step, marker);
        if last.as_ref() != Some(&key) {
            wave += 1;
            last = Some(key);
        }
        annotate(o, WAVE, &wave.to_string());
        if super::is_release_job(o) {
            let hook = if o.phase == Phase::PostDeploy {
                "PostSync"
            } else {
                "Sync"
            };
            annotate(o, HOOK, hook);
            annotate(o, DELETE_POLICY, "BeforeHookCreation");
            if o.run == Some(RunPhase::OnInstall) {
                guard(model, o, warnings);
            }
        } else if marker && o.phase == Phase::PostDeploy {
            // After PostSync hooks, only a PostSync hook can come.
            annotate(o, HOOK, "PostSync");
            annotate(o, DELETE_POLICY, "BeforeHookCreation");
        } else if o.kind == "ConfigMap" && is_hashed(&o.name) {
            // The previous release's pods read the old hashed ConfigMap until they are
            // replaced: prune it only once the sync is done.
            annotate(o, SYNC_OPTIONS, "PruneLast=true");
        }
    }
}

/// Whether `name` ends with kiln's `-{hash10}` suffix.
pub fn is_hashed(name: &str) -> bool {
    match name.rsplit_once('-') {
        Some((_, h)) => h.len() == 10 && h.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

fn is_marker(o: &Object) -> bool {
    o.kind == "ConfigMap" && o.block.is_empty() && o.name == marker_name(&o.app)
}

/// The install marker of `app`: an empty-looking ConfigMap whose existence says the
/// app's `on_install` jobs completed once.
pub fn marker(app: &str, namespace: &str, phase: Phase, step: u32) -> Object {
    let value = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "labels": {
                "app.kubernetes.io/instance": app,
                "app.kubernetes.io/managed-by": "kiln",
                "app.kubernetes.io/name": app,
                "app.kubernetes.io/part-of": app,
            },
            "name": marker_name(app),
            "namespace": namespace,
        },
        "data": {"installed": app},
    });
    let mut o = Object::from_value(app, "", value);
    o.phase = phase;
    o.step = step;
    o
}

/// Inserts each app's marker right after its last `on_install` job.
fn insert_markers(objects: &mut Vec<Object>) {
    let mut at: Vec<(usize, Object)> = Vec::new();
    let mut i = 0;
    while i < objects.len() {
        let Some(o) = objects.get(i) else { break };
        let app = o.app.clone();
        // The end of this app's objects.
        let end = objects[i..]
            .iter()
            .position(|x| x.app != app)
            .map_or(objects.len(), |n| i + n);
        let last = objects[i..end]
            .iter()
            .rposition(|x| super::is_release_job(x) && x.run == Some(RunPhase::OnInstall))
            .map(|n| i + n);
        if let Some(l) = last
            && let Some(job) = objects.get(l)
        {
            // After every object of the last install job's window and step.
            let (w, s) = (job.phase.window(), job.step);
            let after = objects[l..end]
                .iter()
                .position(|x| x.phase.window() != w || x.step != s)
                .map_or(end, |n| l + n);
            at.push((after, marker(&app, &job.namespace, job.phase, job.step)));
        }
        i = end;
    }
    for (pos, m) in at.into_iter().rev() {
        objects.insert(pos.min(objects.len()), m);
    }
}

/// Wraps an `on_install` job's command so it does nothing once the marker exists.
fn guard(model: &Model, o: &mut Object, warnings: &mut Diagnostics) {
    let marker = marker_name(&o.app);
    let msg = format!(
        "kiln: {} is installed already (ConfigMap {marker} exists): on_install job {} skipped",
        o.app, o.block
    );
    let script =
        format!("if [ -e {MARKER_MOUNT}/installed ]; then echo '{msg}'; exit 0; fi; exec \"$@\"");
    let Some(spec) = o.value.pointer_mut("/spec/template/spec") else {
        return;
    };
    let command = spec
        .pointer("/containers/0/command")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if command.is_empty() {
        if let Some(job) = model
            .apps
            .iter()
            .find(|a| a.name == o.app)
            .and_then(|a| a.jobs.iter().find(|j| j.name == o.block))
        {
            warnings.push(
                Diagnostic::new(
                    codes::INSTALL_JOB_UNGUARDED,
                    job.loc.file,
                    job.loc.span,
                    format!(
                        "with `--for argocd`, the on_install job `{}` runs on every sync",
                        job.name
                    ),
                )
                .label("no `command` to guard")
                .help("give the job a `command`: kiln starts it only while the install marker is absent"),
            );
        }
        return;
    }
    let mut wrapped = vec![
        json!("/bin/sh"),
        json!("-c"),
        json!(script),
        json!("kiln-on-install"),
    ];
    wrapped.extend(command);
    if let Some(c) = spec.pointer_mut("/containers/0")
        && let Some(c) = c.as_object_mut()
    {
        c.insert("command".to_owned(), Value::Array(wrapped));
        let mounts = c
            .entry("volumeMounts")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(m) = mounts.as_array_mut() {
            m.push(
                json!({"mountPath": MARKER_MOUNT, "name": "kiln-install-marker", "readOnly": true}),
            );
        }
    }
    if let Some(spec) = spec.as_object_mut() {
        let volumes = spec
            .entry("volumes")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(v) = volumes.as_array_mut() {
            v.push(json!({
                "configMap": {"name": marker, "optional": true},
                "name": "kiln-install-marker",
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        assert!(is_hashed("csis-env-33c0cab5e3"));
        assert!(!is_hashed("csis-kiln-installed"));
        assert!(!is_hashed("csis-env-33c0cab5"));
    }
}
