//! Order: how a release applies a bundle. Objects are split into **phases**
//! ([`Phase`]): `setup` (Namespace, ServiceAccount and RBAC, ConfigMaps, claims,
//! NetworkPolicies), `install-jobs` (`on_install` jobs, first release only),
//! `pre-deploy` (`before_deploy` jobs), `deploy` (Services, workloads, autoscalers,
//! disruption budgets, Ingress, CronJobs), `post-deploy` (`after_deploy` jobs). Jobs are
//! ordered among themselves by `after` in **steps** ([`jobs`]): the jobs of one step are
//! independent and may run in parallel. Apps are released one after the other, in source
//! order.
//!
//! Inside a phase, objects are applied kind group by kind group, so that everything an
//! object refers to exists before it: the Namespace first, then who may act
//! (ServiceAccount, RBAC), what pods read (ConfigMaps, claims), the NetworkPolicies (so no
//! pod ever starts unprotected), Services, workloads, what acts on workloads (HPA, PDB),
//! Ingress, CronJobs last. Generation order is kept otherwise, so the order is stable.
//!
//! How the order reaches the deploy tool is the [`Target`]'s business: plain phases and a
//! `kiln plan` shell script ([`plan`]), Argo CD sync waves and hooks ([`argocd`]), a Helm
//! chart with hooks and weights ([`helm`]), kapp change groups ([`kapp`]).
//! `docs/ordering.md` is the user's side of this module; keep the two in step.
//!
//! Invariant: nothing here fails on a model the checker and [`check`] accepted; the
//! rules a job graph must follow are diagnostics of [`check`] (K05xx), run by
//! [`crate::analyze`] so `kiln check` and the language server report them too.

pub mod argocd;
pub mod helm;
pub mod jobs;
pub mod kapp;
pub mod plan;

use crate::check::model::{Model, RunPhase};
use crate::diag::Diagnostics;
use crate::lower::Object;
use std::collections::HashMap;
use std::path::PathBuf;

pub use jobs::check;

/// A release phase, in the order a release goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Phase {
    /// What the pods of the app need: Namespace, ServiceAccount, RBAC, ConfigMaps,
    /// Secrets, claims, NetworkPolicies.
    Setup,
    /// `on_install` jobs: the first release only. They share the pre-deploy window
    /// with `before_deploy` jobs, ordered with them by `after`.
    InstallJobs,
    /// `before_deploy` jobs: every release, before the workloads roll.
    PreDeploy,
    /// Services, workloads, autoscalers, disruption budgets, Ingress, CronJobs, custom
    /// resources.
    #[default]
    Deploy,
    /// `after_deploy` jobs (and `on_install` jobs that wait for one): after every
    /// workload rolled out.
    PostDeploy,
}

impl Phase {
    /// The name used in file names, the plan and the docs (`pre-deploy`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::InstallJobs => "install-jobs",
            Phase::PreDeploy => "pre-deploy",
            Phase::Deploy => "deploy",
            Phase::PostDeploy => "post-deploy",
        }
    }

    /// The release window: setup 0, jobs before the workloads 1 (install and pre-deploy
    /// jobs interleave by step), deploy 2, jobs after the workloads 3.
    pub fn window(self) -> u8 {
        match self {
            Phase::Setup => 0,
            Phase::InstallJobs | Phase::PreDeploy => 1,
            Phase::Deploy => 2,
            Phase::PostDeploy => 3,
        }
    }
}

/// The deploy tool a bundle is written for (`--for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// Plain manifests in phase order, and `kiln plan` for the waiting.
    #[default]
    Kubectl,
    /// Argo CD: sync waves and hooks.
    Argocd,
    /// Helm: a chart whose jobs are hooks with weights.
    Helm,
    /// kapp: change groups and change rules.
    Kapp,
}

impl Target {
    /// `kubectl`, `argocd`, `helm`, `kapp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Kubectl => "kubectl",
            Target::Argocd => "argocd",
            Target::Helm => "helm",
            Target::Kapp => "kapp",
        }
    }
}

/// The apply-order groups inside a phase, by rank: file-name stems.
const GROUPS: [&str; 12] = [
    "namespace",
    "definitions",
    "access",
    "config",
    "storage",
    "network-policies",
    "services",
    "resources",
    "workloads",
    "scaling",
    "ingress",
    "jobs",
];

/// The apply-order rank of a kind (0 first). Unknown kinds (custom resources) come
/// after Services and before workloads, so a workload's companion resources (a
/// BackendConfig, a Traefik Middleware) exist when it starts.
pub fn rank(kind: &str) -> usize {
    match kind {
        "Namespace" => 0,
        "CustomResourceDefinition" | "PriorityClass" | "StorageClass" | "IngressClass" => 1,
        "ServiceAccount" | "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding" => 2,
        "ConfigMap" | "Secret" => 3,
        "PersistentVolumeClaim" | "PersistentVolume" => 4,
        "NetworkPolicy" => 5,
        "Service" => 6,
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod" => 8,
        "HorizontalPodAutoscaler" | "PodDisruptionBudget" => 9,
        "Ingress" => 10,
        "Job" | "CronJob" => 11,
        _ => 7,
    }
}

/// The file-name stem of a rank's group (`services`).
pub fn group_name(rank: usize) -> &'static str {
    GROUPS.get(rank).copied().unwrap_or("resources")
}

/// The phase of an object that is not a release job: setup for what pods read and
/// who may act, deploy for the rest (raw Jobs included: they are applied, not waited
/// for).
pub fn phase_of_kind(kind: &str) -> Phase {
    if rank(kind) <= 5 {
        Phase::Setup
    } else {
        Phase::Deploy
    }
}

/// Apps in the order their first object appears (generation order is source order).
fn app_positions(objects: &[Object]) -> HashMap<String, usize> {
    let mut apps: HashMap<String, usize> = HashMap::new();
    for o in objects {
        if !apps.contains_key(&o.app) {
            let n = apps.len();
            apps.insert(o.app.clone(), n);
        }
    }
    apps
}

/// Sorts objects into release order, stably: app by app, phase by phase, job step by
/// job step, kind group by kind group.
pub fn sort(objects: &mut [Object]) {
    let apps = app_positions(objects);
    objects.sort_by_cached_key(|o| {
        (
            apps.get(&o.app).copied().unwrap_or(usize::MAX),
            release_key(o),
        )
    });
}

/// Where an object goes among the objects of its app (the release order after the
/// app): phase window, job step, kind group. `lower::lower_to_yaml` sorts each app's
/// documents by it.
pub fn release_key(o: &Object) -> (u8, u32, usize) {
    (o.phase.window(), o.step, rank(&o.kind))
}

/// One unit of a release on disk or in a plan: consecutive objects of one app that
/// are applied together (a phase, or one job step of a phase).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The app.
    pub app: String,
    /// The phase (for a job step mixing install and pre-deploy jobs, one group each).
    pub phase: Phase,
    /// The job step (0 outside the job phases).
    pub step: u32,
    /// Indexes into the sorted objects.
    pub objects: Vec<usize>,
}

/// Splits sorted objects into release groups: one per (app, phase, step).
pub fn groups(objects: &[Object]) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    let mut index: HashMap<(&str, Phase, u32), usize> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        let k = (o.app.as_str(), o.phase, o.step);
        let g = *index.entry(k).or_insert_with(|| {
            out.push(Group {
                app: o.app.clone(),
                phase: o.phase,
                step: o.step,
                objects: Vec::new(),
            });
            out.len() - 1
        });
        if let Some(group) = out.get_mut(g) {
            group.objects.push(i);
        }
    }
    out
}

/// The files of a plain bundle: `{app}/NN-{phase}.yaml`, numbered in apply order per
/// app, one file per phase and per job step, so `kubectl apply -f` file by file in
/// name order is the release order (the waiting is `kiln plan`'s).
pub fn bundle_files(objects: &[Object]) -> Vec<(PathBuf, String)> {
    let groups = groups(objects);
    let mut per_app: HashMap<&str, usize> = HashMap::new();
    for g in &groups {
        *per_app.entry(g.app.as_str()).or_default() += 1;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut files = Vec::with_capacity(groups.len());
    for g in &groups {
        let n = seen.entry(g.app.as_str()).or_default();
        *n += 1;
        let total = per_app.get(g.app.as_str()).copied().unwrap_or(1);
        let docs: Vec<&Object> = g.objects.iter().filter_map(|&i| objects.get(i)).collect();
        files.push((
            group_file(&g.app, *n, total, g.phase),
            crate::emit::to_yaml_refs(&docs),
        ));
    }
    files
}

/// The path of an app's `n`th release group (1 first) of `total` in a bundle directory:
/// `{app}/NN-{phase}.yaml`, zero-padded to at least two digits so that name order is
/// apply order (`_` for objects of no app).
pub fn group_file(app: &str, n: usize, total: usize, phase: Phase) -> PathBuf {
    let width = total.to_string().len().max(2);
    let app = if app.is_empty() { "_" } else { app };
    PathBuf::from(app).join(format!("{:0width$}-{}.yaml", n, phase.as_str()))
}

/// Rewrites a sorted bundle for a deploy tool (annotations, hooks, names) and returns
/// the warnings about what the tool cannot express.
pub fn retarget(model: &Model, objects: &mut Vec<Object>, target: Target) -> Diagnostics {
    let mut warnings = Diagnostics::default();
    match target {
        Target::Kubectl => {}
        Target::Argocd => argocd::apply(model, objects, &mut warnings),
        Target::Helm => helm::apply(model, objects, &mut warnings),
        Target::Kapp => kapp::apply(model, objects, &mut warnings),
    }
    if target != Target::Kubectl {
        jobs::downtime_unsupported(model, target, &mut warnings);
    }
    warnings
}

/// Whether an object is a release job (run by a phase, waited for).
pub fn is_release_job(o: &Object) -> bool {
    o.kind == "Job"
        && matches!(
            o.run,
            Some(RunPhase::BeforeDeploy | RunPhase::OnInstall | RunPhase::AfterDeploy)
        )
}

/// Adds `key: value` to `metadata.annotations` (creating the map), replacing any value.
/// Keys stay in the order kiln writes metadata in: sorted, `annotations` first.
pub(crate) fn annotate(o: &mut Object, key: &str, value: &str) {
    use serde_json::{Map, Value};
    let Some(meta) = o.value.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if !meta.contains_key("annotations") {
        let rest = std::mem::take(meta);
        meta.insert("annotations".to_owned(), Value::Object(Map::new()));
        meta.extend(rest);
    }
    if let Some(m) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
        m.insert(key.to_owned(), Value::String(value.to_owned()));
        let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        m.extend(entries);
    }
}

/// Renames an object (`metadata.name` and [`Object::name`]).
pub(crate) fn rename(o: &mut Object, name: &str) {
    if let Some(meta) = o
        .value
        .get_mut("metadata")
        .and_then(serde_json::Value::as_object_mut)
    {
        meta.insert(
            "name".to_owned(),
            serde_json::Value::String(name.to_owned()),
        );
    }
    o.name = name.to_owned();
}

/// The name of an app's install marker ConfigMap: present once the app's `on_install`
/// jobs completed.
pub fn marker_name(app: &str) -> String {
    format!("{app}-kiln-installed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(kind: &str, name: &str) -> Object {
        Object::from_value(
            "a",
            "",
            json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}}),
        )
    }

    #[test]
    fn apply_order_is_by_phase_group_and_stable() {
        let mut job = obj("Job", "migrate");
        job.run = Some(RunPhase::BeforeDeploy);
        job.phase = Phase::PreDeploy;
        job.step = 1;
        let mut v = vec![
            obj("CronJob", "c"),
            obj("Deployment", "d1"),
            obj("Service", "s"),
            obj("ConfigMap", "c"),
            obj("Deployment", "d2"),
            job,
            obj("Namespace", "n"),
            obj("NetworkPolicy", "p"),
            obj("Ingress", "i"),
            obj("ServiceAccount", "sa"),
            obj("PodDisruptionBudget", "pdb"),
            obj("PersistentVolumeClaim", "pvc"),
            obj("BackendConfig", "bc"),
        ];
        sort(&mut v);
        let names: Vec<&str> = v.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "n", "sa", "c", "pvc", "p", "migrate", "s", "bc", "d1", "d2", "pdb", "i", "c"
            ]
        );
        let files = bundle_files(&v);
        let paths: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                "a/01-setup.yaml",
                "a/02-pre-deploy.yaml",
                "a/03-deploy.yaml"
            ]
        );
    }

    #[test]
    fn apps_are_released_one_after_the_other() {
        let mut v = vec![obj("Namespace", "n"), obj("Deployment", "a1")];
        let mut b = obj("ConfigMap", "b-env");
        b.app = "b".into();
        v.push(b);
        v.push(obj("ConfigMap", "a-env"));
        sort(&mut v);
        let names: Vec<&str> = v.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["n", "a-env", "a1", "b-env"]);
    }
}
