//! `--for kapp`: change groups and change rules.
//!
//! Every object of an app is in the change group of its phase
//! (`{app}.kiln.dev/setup`, `…/pre-deploy`, `…/deploy`, `…/post-deploy`); each release
//! job is also in its own group (`…/job-{name}`). Change rules encode the graph: a job
//! is upserted after the setup (and, after the workloads, after the deploy group) and
//! after each job it waits for; the deploy group after every job before the workloads.
//! kapp waits for a Job to complete and a Deployment to roll out before the changes
//! that come after it.
//!
//! An `on_install` job keeps a fixed name (`{app}-{job}`, no hash, no
//! `ttlSecondsAfterFinished`) and `kapp.k14s.io/update-strategy: skip`: kapp creates it
//! on the first deploy and never touches it again. A hashed ConfigMap is deleted only
//! after the deploy group was upserted, since the previous pods read it until then.

use super::{Phase, annotate, rename};
use crate::check::model::{Model, RunPhase};
use crate::diag::Diagnostics;
use crate::lower::Object;
use std::collections::HashMap;

/// `kapp.k14s.io/change-group`.
pub const GROUP: &str = "kapp.k14s.io/change-group";
/// `kapp.k14s.io/change-rule`.
pub const RULE: &str = "kapp.k14s.io/change-rule";
/// `kapp.k14s.io/update-strategy`.
pub const UPDATE_STRATEGY: &str = "kapp.k14s.io/update-strategy";

fn group(app: &str, what: &str) -> String {
    format!("{app}.kiln.dev/{what}")
}

/// Annotates a sorted bundle for kapp (see the module documentation).
pub fn apply(model: &Model, objects: &mut [Object], _warnings: &mut Diagnostics) {
    // Which apps have jobs before / after the workloads.
    let mut pre: HashMap<String, bool> = HashMap::new();
    for o in objects.iter() {
        if super::is_release_job(o) && o.phase.window() == 1 {
            pre.insert(o.app.clone(), true);
        }
    }
    for o in objects.iter_mut() {
        let app = o.app.clone();
        let mut rules: Vec<String> = Vec::new();
        if super::is_release_job(o) {
            let window = if o.phase == Phase::PostDeploy {
                "post-deploy"
            } else {
                "pre-deploy"
            };
            annotate(o, GROUP, &group(&app, window));
            annotate(
                o,
                &format!("{GROUP}.job"),
                &group(&app, &format!("job-{}", o.block)),
            );
            rules.push(group(&app, "setup"));
            if o.phase == Phase::PostDeploy {
                rules.push(group(&app, "deploy"));
            }
            let after = model
                .apps
                .iter()
                .find(|a| a.name == app)
                .and_then(|a| a.jobs.iter().find(|j| j.name == o.block))
                .map(|j| j.after.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>())
                .unwrap_or_default();
            for dep in after {
                rules.push(group(&app, &format!("job-{dep}")));
            }
            if o.run == Some(RunPhase::OnInstall) {
                let fixed = format!("{app}-{}", o.block);
                rename(o, &fixed);
                if let Some(spec) = o.value.get_mut("spec").and_then(|s| s.as_object_mut()) {
                    spec.shift_remove("ttlSecondsAfterFinished");
                }
                annotate(o, UPDATE_STRATEGY, "skip");
            }
        } else {
            let phase = if o.phase == Phase::Setup {
                "setup"
            } else {
                "deploy"
            };
            annotate(o, GROUP, &group(&app, phase));
            if o.phase != Phase::Setup {
                rules.push(group(&app, "setup"));
                if pre.get(&app).copied().unwrap_or(false) {
                    rules.push(group(&app, "pre-deploy"));
                }
            } else if o.kind == "ConfigMap" && super::argocd::is_hashed(&o.name) {
                annotate(
                    o,
                    &format!("{RULE}.delete"),
                    &format!("delete after upserting {}", group(&app, "deploy")),
                );
            }
        }
        for (k, target) in rules.iter().enumerate() {
            let key = if k == 0 {
                RULE.to_owned()
            } else {
                format!("{RULE}.{k}")
            };
            annotate(o, &key, &format!("upsert after upserting {target}"));
        }
    }
}
