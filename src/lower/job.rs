//! `job` → a Job named by what it runs, in the release phase and step `order::jobs`
//! gives it (a `manual` job → a suspended CronJob); `cron` → CronJob.

use super::Cx;
use super::meta::{self, Block, ContentHash};
use super::pod::{self, PodIn};
use super::workload::{LABEL_MAX, SUFFIXED_MAX, check_name};
use crate::check::model::{App, Concurrency, Cron, Job, Patch, RunPhase, Scheduling};
use crate::order::jobs::Slot;
use k8s_openapi::api::batch::v1 as batch;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// `backoffLimit` when `retries` is not given: one retry for a transient failure.
/// Disruptions (node drain, preemption) do not count, see [`pod_failure_policy`].
pub const DEFAULT_RETRIES: i32 = 1;
/// `activeDeadlineSeconds` when `timeout` is not given: a hung job must not block a
/// release (or, for a cron with `Forbid`, every later run) forever.
pub const DEFAULT_TIMEOUT_SECS: i64 = 3600;
/// `ttlSecondsAfterFinished` when `ttl` is not given: one day to read the logs, then
/// the finished Job and its pods are deleted.
pub const DEFAULT_TTL_SECS: i32 = 86400;
/// `startingDeadlineSeconds` of a CronJob: a run that could not start within 5 minutes
/// of its time is skipped (and the controller never gives up after 100 missed runs).
pub const DEFAULT_STARTING_DEADLINE_SECS: i64 = 300;

/// The block metadata of a job.
pub fn job_block(j: &Job) -> Block<'_> {
    Block {
        name: &j.name,
        labels: &j.labels,
        annotations: &j.annotations,
    }
}

/// The block metadata of a cron.
pub fn cron_block(c: &Cron) -> Block<'_> {
    Block {
        name: &c.name,
        labels: &c.labels,
        annotations: &c.annotations,
    }
}

/// A pod evicted by a node drain or preempted is retried without counting against
/// `backoffLimit`: only the program's own failures do.
fn pod_failure_policy() -> batch::PodFailurePolicy {
    batch::PodFailurePolicy {
        rules: vec![batch::PodFailurePolicyRule {
            action: "Ignore".to_owned(),
            on_pod_conditions: Some(vec![batch::PodFailurePolicyOnPodConditionsPattern {
                type_: "DisruptionTarget".to_owned(),
                status: Some("True".to_owned()),
            }]),
            ..Default::default()
        }],
    }
}

/// `serde_json::to_string(&pod_failure_policy())`, which [`runs_hash`] feeds (pinned by
/// a test: it is part of every Job name).
const POD_FAILURE_POLICY_JSON: &str = r#"{"rules":[{"action":"Ignore","onPodConditions":[{"status":"True","type":"DisruptionTarget"}]}]}"#;

fn secs_i64(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

fn pod_in<'a>(
    app: &'a App,
    block: Block<'a>,
    main: &'a crate::check::model::Container,
    volumes: &'a [crate::check::model::Volume],
    scheduling: &'a Scheduling,
    app_cm: Option<&'a str>,
) -> PodIn<'a> {
    PodIn {
        app,
        block,
        main,
        sidecars: &[],
        init: &[],
        volumes,
        scheduling,
        grace: None,
        app_cm,
        job: true,
        spread: false,
        stateful: false,
        daemon: false,
    }
}

/// The hash a Job's name carries: its pod template as kiln generated it (image,
/// command, args, env, the names of the hashed ConfigMaps it reads, volumes, resources,
/// labels), its pod failure policy and the job's `patch` blocks. Everything a Job's API
/// object cannot change after creation is in it: a release that changes any of it gets
/// a new Job (so the job runs again, and `kubectl apply` never meets an immutable field),
/// and an unchanged release gets the same name, so the finished Job is reused.
/// `backoffLimit`, `activeDeadlineSeconds` and `ttlSecondsAfterFinished` are left out:
/// they can be changed on an existing Job, and changing them should not re-run it.
fn runs_hash(template: &core::PodTemplateSpec, patches: &[Patch]) -> String {
    thread_local! {
        /// The template's JSON, reused from job to job: the hash needs the text's length
        /// before its bytes, so it cannot be fed while serde_json writes.
        static JSON: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let mut h = ContentHash::default();
    JSON.with_borrow_mut(|buf| {
        buf.clear();
        // The same text as `serde_json::to_string(template)`, written faster; what that
        // writer leaves to serde_json is written by serde_json. On an error the hash is
        // that of the empty text, as `to_string().unwrap_or_default()` gave.
        if super::json::write(buf, template).is_err() {
            buf.clear();
            if serde_json::to_writer(&mut *buf, template).is_err() {
                buf.clear();
            }
        }
        h.str_bytes(buf);
    });
    h.str(POD_FAILURE_POLICY_JSON);
    for p in patches {
        h.str("patch").str(&p.target);
        for set in &p.sets {
            h.str(&set.path.join("."))
                .str(&serde_json::to_string(&set.value).unwrap_or_default());
        }
    }
    h.hex(8)
}

/// A Job `{app}-{job}-{hash8}`, in the phase and step `slot` gives it; a `manual` job
/// becomes a suspended CronJob instead (see [`lower_manual`]).
pub fn lower_job(cx: &mut Cx, app: &App, j: &Job, app_cm: Option<&str>, slot: Option<Slot>) {
    if j.run == RunPhase::Manual {
        lower_manual(cx, app, j, app_cm);
        return;
    }
    let b = job_block(j);
    // The previous app's Job, refilled in place (`meta::Spares`).
    let mut job = cx.meta.spares.job.take().unwrap_or_default();
    let batch::Job {
        metadata,
        spec,
        status: _,
    } = &mut *job;
    let batch::JobSpec {
        active_deadline_seconds,
        backoff_limit,
        backoff_limit_per_index: _,
        completion_mode: _,
        completions: _,
        managed_by: _,
        manual_selector: _,
        max_failed_indexes: _,
        parallelism: _,
        pod_failure_policy: failure_policy,
        pod_replacement_policy: _,
        scheduling: _,
        selector: _,
        success_policy: _,
        suspend: _,
        template,
        ttl_seconds_after_finished,
    } = spec.get_or_insert_with(Default::default);
    pod::pod(
        cx,
        &pod_in(app, b, &j.container, &j.volumes, &j.scheduling, app_cm),
        template,
    );
    let hash = runs_hash(template, &j.patches);
    let name = [app.name.as_str(), "-", &j.name, "-", &hash].concat();
    // The Job controller puts the name in a label of its pods.
    if !check_name(cx, &name, LABEL_MAX, "Job", j.loc) {
        cx.meta.spares.job = Some(job);
        return;
    }
    let m = meta::of(cx, app, &b);
    meta::fill_object_meta(&m, cx, app, name, metadata);
    *backoff_limit = Some(
        j.retries
            .map_or(DEFAULT_RETRIES, |r| i32::try_from(r).unwrap_or(i32::MAX)),
    );
    *active_deadline_seconds = Some(j.timeout.map_or(DEFAULT_TIMEOUT_SECS, |d| secs_i64(d.secs)));
    *ttl_seconds_after_finished = Some(j.ttl.map_or(DEFAULT_TTL_SECS, |d| {
        i32::try_from(d.secs).unwrap_or(i32::MAX)
    }));
    // Always the same policy: kept from the previous Job when there is one.
    if failure_policy.is_none() {
        *failure_policy = Some(pod_failure_policy());
    }
    cx.push(app, &j.name, &mut *job);
    cx.meta.spares.job = Some(job);
    if let Some(o) = cx.objects.last_mut() {
        o.run = Some(j.run);
        if let Some(slot) = slot {
            o.phase = slot.phase;
            o.step = slot.step;
        }
    }
}

/// A schedule that never fires (there is no 31 February): a manual job's CronJob only
/// runs when an operator creates a Job from it, even if someone unsuspends it.
pub const NEVER: &str = "0 0 31 2 *";

/// A `manual` job: a suspended CronJob `{app}-{job}` that never fires on its own, the
/// Kubernetes idiom for a job template an operator runs on demand
/// (`kubectl create job --from=cronjob/{app}-{job} {app}-{job}-$(date +%s)`). A plain
/// Job would start the moment the bundle is applied.
fn lower_manual(cx: &mut Cx, app: &App, j: &Job, app_cm: Option<&str>) {
    let b = job_block(j);
    let name = meta::object_name(app, &b);
    // Jobs created from it are named by the operator; keep room for a suffix.
    if !check_name(cx, &name, SUFFIXED_MAX, "CronJob", j.loc) {
        return;
    }
    let mut template = core::PodTemplateSpec::default();
    pod::pod(
        cx,
        &pod_in(app, b, &j.container, &j.volumes, &j.scheduling, app_cm),
        &mut template,
    );
    let m = meta::of(cx, app, &b);
    let mut cron = batch::CronJob {
        metadata: m.object_meta(cx, app, name),
        spec: batch::CronJobSpec {
            schedule: NEVER.to_owned(),
            suspend: Some(true),
            concurrency_policy: Some("Forbid".to_owned()),
            successful_jobs_history_limit: Some(1),
            failed_jobs_history_limit: Some(1),
            job_template: batch::JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(m.labels(cx)),
                    annotations: m.annotations(),
                    ..Default::default()
                }),
                spec: Some(batch::JobSpec {
                    backoff_limit: Some(
                        j.retries
                            .map_or(DEFAULT_RETRIES, |r| i32::try_from(r).unwrap_or(i32::MAX)),
                    ),
                    active_deadline_seconds: Some(
                        j.timeout.map_or(DEFAULT_TIMEOUT_SECS, |d| secs_i64(d.secs)),
                    ),
                    ttl_seconds_after_finished: Some(j.ttl.map_or(DEFAULT_TTL_SECS, |d| {
                        i32::try_from(d.secs).unwrap_or(i32::MAX)
                    })),
                    pod_failure_policy: Some(pod_failure_policy()),
                    template,
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    };
    cx.push(app, &j.name, &mut cron);
    if let Some(o) = cx.objects.last_mut() {
        o.run = Some(RunPhase::Manual);
    }
}

/// A CronJob `{app}-{cron}`.
pub fn lower_cron(cx: &mut Cx, app: &App, c: &Cron, app_cm: Option<&str>) {
    let b = cron_block(c);
    let name = meta::object_name(app, &b);
    // The controller names each run `{name}-{minutes since epoch}` (11 more characters).
    if !check_name(cx, &name, SUFFIXED_MAX, "CronJob", c.loc) {
        return;
    }
    let mut template = core::PodTemplateSpec::default();
    pod::pod(
        cx,
        &pod_in(app, b, &c.container, &c.volumes, &c.scheduling, app_cm),
        &mut template,
    );
    let concurrency = match c.concurrency {
        Concurrency::Forbid => "Forbid",
        Concurrency::Allow => "Allow",
        Concurrency::Replace => "Replace",
    };
    let history = |n: Option<u32>, default: i32| {
        Some(n.map_or(default, |n| i32::try_from(n).unwrap_or(i32::MAX)))
    };
    let m = meta::of(cx, app, &b);
    let mut cron = batch::CronJob {
        metadata: m.object_meta(cx, app, name),
        spec: batch::CronJobSpec {
            schedule: c.schedule.clone(),
            time_zone: c.timezone.clone(),
            concurrency_policy: Some(concurrency.to_owned()),
            starting_deadline_seconds: Some(
                c.starting_deadline
                    .map_or(DEFAULT_STARTING_DEADLINE_SECS, |d| secs_i64(d.secs)),
            ),
            successful_jobs_history_limit: history(c.keep_succeeded, 3),
            failed_jobs_history_limit: history(c.keep_failed, 1),
            suspend: c.suspend.then_some(true),
            job_template: batch::JobTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(m.labels(cx)),
                    annotations: m.annotations(),
                    ..Default::default()
                }),
                spec: Some(batch::JobSpec {
                    backoff_limit: Some(
                        c.retries
                            .map_or(DEFAULT_RETRIES, |r| i32::try_from(r).unwrap_or(i32::MAX)),
                    ),
                    active_deadline_seconds: Some(
                        c.timeout.map_or(DEFAULT_TIMEOUT_SECS, |d| secs_i64(d.secs)),
                    ),
                    pod_failure_policy: Some(pod_failure_policy()),
                    template,
                    ..Default::default()
                }),
            },
        },
        ..Default::default()
    };
    cx.push(app, &c.name, &mut cron);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_failure_policy_json_is_what_serde_writes() {
        assert_eq!(
            serde_json::to_string(&pod_failure_policy()).unwrap_or_default(),
            POD_FAILURE_POLICY_JSON
        );
    }
}
