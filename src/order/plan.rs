//! `kiln plan`: the release of a compiled bundle as a POSIX shell script that drives
//! `kubectl`, step by step: apply the setup, run the jobs before the workloads and wait
//! for each, apply the workloads and wait for their rollout, run the jobs after them,
//! then delete the hashed ConfigMaps of releases older than the last N.
//!
//! The script is self-contained (the manifests are here-documents) and deterministic.
//! It stops at the first failure with a message saying what was and was not applied,
//! and, for a job, the logs and events of its pods. `on_install` jobs run only while
//! the app's install marker ConfigMap is absent; the script creates the marker once
//! they completed. With `compatible = none`, the services and workers are scaled to
//! zero before the jobs and back after the deploy. The same [`Plan`] renders the
//! human-readable steps (`kiln plan --dry-run`, or the script's own `--dry-run`).

use super::{Phase, is_release_job, marker_name};
use crate::check::model::{Compatible, Model, RunPhase};
use crate::lower::Object;
use serde_json::Value;
use std::fmt::Write as _;

/// How many releases' hashed ConfigMaps are kept by default (the current one included):
/// enough to roll back twice.
pub const DEFAULT_KEEP: usize = 3;

/// How long the plan waits for a workload to roll out.
pub const ROLLOUT_TIMEOUT: &str = "10m";

/// Seconds added to a job's own deadline before the plan gives up waiting: the Job
/// controller fails the Job at its deadline, and the plan should see that failure
/// (and show why) rather than time out first.
const WAIT_SLACK_SECS: i64 = 60;

/// One job the plan runs.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// The Job's name (with its hash).
    pub name: String,
    /// The `job` block.
    pub block: String,
    /// Index into the bundle's objects.
    pub object: usize,
    /// `on_install`: only on the first release.
    pub install_only: bool,
    /// `activeDeadlineSeconds`.
    pub timeout_secs: i64,
}

/// Jobs that run together: the same window and step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Pre-deploy (and install) or post-deploy.
    pub phase: Phase,
    /// 1-based.
    pub step: u32,
    /// The jobs, in source order.
    pub jobs: Vec<JobRun>,
}

/// A workload the plan waits for or scales.
#[derive(Debug, Clone)]
pub struct Workload {
    /// `deployment`, `statefulset`, `daemonset`.
    pub resource: String,
    /// Object name.
    pub name: String,
    /// The block, for the pod selector.
    pub block: String,
    /// Replicas to scale back to after a downtime release (Deployments only).
    pub replicas: i64,
}

/// The release of one app.
#[derive(Debug, Clone)]
pub struct AppPlan {
    /// The app.
    pub app: String,
    /// Its namespace.
    pub namespace: String,
    /// Setup objects (indexes).
    pub setup: Vec<usize>,
    /// Jobs before the workloads, by step.
    pub pre: Vec<Step>,
    /// Deploy objects.
    pub deploy: Vec<usize>,
    /// Jobs after the workloads, by step.
    pub post: Vec<Step>,
    /// Workloads whose rollout is waited for.
    pub rollouts: Vec<Workload>,
    /// `compatible = none` jobs before the workloads: their names (empty: no downtime).
    pub downtime_jobs: Vec<String>,
    /// The Deployments a downtime release scales to zero and back.
    pub stopped: Vec<Workload>,
    /// Hashed ConfigMap families: (name prefix, current name).
    pub configs: Vec<(String, String)>,
    /// Whether the app has `on_install` jobs (so a marker).
    pub has_install: bool,
}

/// A whole release.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The source file, as given on the command line.
    pub source: String,
    /// The command that regenerates the script.
    pub command: String,
    /// The objects, in release order.
    pub objects: Vec<Object>,
    /// The apps, in release order.
    pub apps: Vec<AppPlan>,
    /// Hashed ConfigMaps kept per family.
    pub keep: usize,
}

fn resource(kind: &str) -> Option<&'static str> {
    match kind {
        "Deployment" => Some("deployment"),
        "StatefulSet" => Some("statefulset"),
        "DaemonSet" => Some("daemonset"),
        _ => None,
    }
}

impl Plan {
    /// Builds the plan of a compiled (kubectl-target) bundle, in release order.
    pub fn new(model: &Model, objects: Vec<Object>, source: &str, keep: usize) -> Plan {
        let mut apps: Vec<AppPlan> = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            if apps.last().is_none_or(|a| a.app != o.app) {
                let namespace = model
                    .apps
                    .iter()
                    .find(|a| a.name == o.app)
                    .map_or_else(|| o.namespace.clone(), |a| a.namespace.clone());
                apps.push(AppPlan {
                    app: o.app.clone(),
                    namespace,
                    setup: vec![],
                    pre: vec![],
                    deploy: vec![],
                    post: vec![],
                    rollouts: vec![],
                    downtime_jobs: vec![],
                    stopped: vec![],
                    configs: vec![],
                    has_install: false,
                });
            }
            let Some(a) = apps.last_mut() else { continue };
            if is_release_job(o) {
                let run = JobRun {
                    name: o.name.clone(),
                    block: o.block.clone(),
                    object: i,
                    install_only: o.run == Some(RunPhase::OnInstall),
                    timeout_secs: o
                        .value
                        .pointer("/spec/activeDeadlineSeconds")
                        .and_then(Value::as_i64)
                        .unwrap_or(crate::lower::DEFAULT_JOB_TIMEOUT_SECS),
                };
                a.has_install |= run.install_only;
                let steps = if o.phase == Phase::PostDeploy {
                    &mut a.post
                } else {
                    &mut a.pre
                };
                match steps.last_mut() {
                    Some(s) if s.step == o.step => s.jobs.push(run),
                    _ => steps.push(Step {
                        phase: o.phase,
                        step: o.step,
                        jobs: vec![run],
                    }),
                }
                continue;
            }
            if o.phase == Phase::Setup {
                a.setup.push(i);
                if o.kind == "ConfigMap"
                    && super::argocd::is_hashed(&o.name)
                    && let Some((prefix, _)) = o.name.rsplit_once('-')
                {
                    a.configs.push((format!("{prefix}-"), o.name.clone()));
                }
            } else {
                a.deploy.push(i);
                if let Some(r) = resource(&o.kind) {
                    a.rollouts.push(Workload {
                        resource: r.to_owned(),
                        name: o.name.clone(),
                        block: o.block.clone(),
                        replicas: o
                            .value
                            .pointer("/spec/replicas")
                            .and_then(Value::as_i64)
                            .unwrap_or(1),
                    });
                }
            }
        }
        for a in &mut apps {
            // An HPA-managed Deployment has no `replicas`: scale back to the HPA minimum.
            for w in &mut a.rollouts {
                let hpa_min = objects.iter().find_map(|o| {
                    (o.app == a.app
                        && o.kind == "HorizontalPodAutoscaler"
                        && o.value
                            .pointer("/spec/scaleTargetRef/name")
                            .and_then(Value::as_str)
                            == Some(w.name.as_str()))
                    .then(|| o.value.pointer("/spec/minReplicas").and_then(Value::as_i64))
                    .flatten()
                });
                if let Some(m) = hpa_min {
                    w.replicas = m;
                }
            }
            let Some(m) = model.apps.iter().find(|m| m.name == a.app) else {
                continue;
            };
            a.downtime_jobs = m
                .jobs
                .iter()
                .filter(|j| j.compatible == Compatible::None && j.run == RunPhase::BeforeDeploy)
                .filter(|j| {
                    a.pre
                        .iter()
                        .flat_map(|s| &s.jobs)
                        .any(|r| r.block == j.name)
                })
                .map(|j| j.name.clone())
                .collect();
            if !a.downtime_jobs.is_empty() {
                a.stopped = a
                    .rollouts
                    .iter()
                    .filter(|w| w.resource == "deployment")
                    .cloned()
                    .collect();
            }
        }
        let command = format!("kiln plan {source} -o <script>");
        Plan {
            source: source.to_owned(),
            command,
            objects,
            apps,
            keep: keep.max(1),
        }
    }

    fn names(&self, idx: &[usize]) -> String {
        let v: Vec<String> = idx
            .iter()
            .filter_map(|&i| self.objects.get(i))
            .map(|o| format!("{} {}", o.kind, o.name))
            .collect();
        v.join(", ")
    }

    /// The steps in words, numbered: what `--dry-run` prints.
    pub fn steps(&self) -> String {
        let mut out = String::new();
        let mut n = 0;
        let mut line = |out: &mut String, text: String| {
            n += 1;
            let _ = writeln!(out, "{n:>2}. {text}");
        };
        for a in &self.apps {
            let _ = writeln!(
                out,
                "release of app `{}` (namespace `{}`) from {}:",
                a.app, a.namespace, self.source
            );
            if !a.setup.is_empty() {
                line(&mut out, format!("apply setup: {}", self.names(&a.setup)));
            }
            if a.has_install {
                line(
                    &mut out,
                    format!(
                        "look for the install marker ConfigMap {}: absent means this is the first release, which runs the on_install jobs",
                        marker_name(&a.app)
                    ),
                );
            }
            if !a.stopped.is_empty() {
                let list: Vec<&str> = a.stopped.iter().map(|w| w.name.as_str()).collect();
                line(
                    &mut out,
                    format!(
                        "downtime (compatible = none on {}): scale Deployment {} to zero and wait for their pods to stop (skipped for those that do not exist yet)",
                        a.downtime_jobs.join(", "),
                        list.join(", ")
                    ),
                );
            }
            let last_install = last_install_step(&a.pre);
            for (k, s) in a.pre.iter().enumerate() {
                line(&mut out, self.step_words(s, "pre-deploy"));
                if Some(k) == last_install {
                    line(&mut out, marker_words(&a.app));
                }
            }
            if !a.deploy.is_empty() {
                line(&mut out, format!("apply deploy: {}", self.names(&a.deploy)));
            }
            if !a.stopped.is_empty() {
                let list: Vec<String> = a
                    .stopped
                    .iter()
                    .map(|w| format!("{} to {}", w.name, w.replicas))
                    .collect();
                line(&mut out, format!("scale back: {}", list.join(", ")));
            }
            if !a.rollouts.is_empty() {
                let list: Vec<String> = a
                    .rollouts
                    .iter()
                    .map(|w| format!("{}/{}", w.resource, w.name))
                    .collect();
                line(
                    &mut out,
                    format!(
                        "wait for the rollout of {} (up to {ROLLOUT_TIMEOUT} each); stop on the first that fails",
                        list.join(", ")
                    ),
                );
            }
            let last_install = last_install_step(&a.post);
            for (k, s) in a.post.iter().enumerate() {
                line(&mut out, self.step_words(s, "post-deploy"));
                if Some(k) == last_install {
                    line(&mut out, marker_words(&a.app));
                }
            }
            for (prefix, current) in &a.configs {
                line(
                    &mut out,
                    format!(
                        "clean up: keep {current} and the {} newest other ConfigMaps {prefix}<hash>, delete the older ones",
                        self.keep - 1
                    ),
                );
            }
        }
        out
    }

    fn step_words(&self, s: &Step, window: &str) -> String {
        let jobs: Vec<String> = s
            .jobs
            .iter()
            .map(|j| {
                format!(
                    "Job {}{} (timeout {}s)",
                    j.name,
                    if j.install_only {
                        ", first release only"
                    } else {
                        ""
                    },
                    j.timeout_secs
                )
            })
            .collect();
        let how = if s.jobs.len() > 1 {
            "run in parallel and wait for each of"
        } else {
            "run and wait for"
        };
        format!(
            "{window} step {}: {how} {}; on failure, show the pods' logs and events and stop",
            s.step,
            jobs.join(", ")
        )
    }
}

fn marker_words(app: &str) -> String {
    format!(
        "first release only: create the install marker ConfigMap {} (the on_install jobs completed)",
        marker_name(app)
    )
}

/// The index of the last step that has an `on_install` job.
fn last_install_step(steps: &[Step]) -> Option<usize> {
    steps
        .iter()
        .rposition(|s| s.jobs.iter().any(|j| j.install_only))
}

/// A here-document delimiter that no line of `text` equals.
fn delimiter(text: &str) -> String {
    let mut d = "KILN_EOF".to_owned();
    let mut n = 0;
    while text.lines().any(|l| l == d) {
        n += 1;
        d = format!("KILN_EOF_{n}");
    }
    d
}

/// `s` with control characters (newlines) replaced, for a comment line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// A shell word in single quotes.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The functions every plan script carries.
const PRELUDE: &str = r#"set -eu

KUBECTL="${KUBECTL:-kubectl}"

say() { printf 'kiln: %s\n' "$*"; }
fail() { printf 'kiln: error: %s\n' "$*" >&2; }

# Applies the manifests on standard input.
kiln_apply() {
  "$KUBECTL" apply -f -
}

# Prints the logs and events of a job's pods, for a failed or stuck job.
kiln_job_report() {
  fail "logs of job/$2 (kubectl logs --namespace $1 job/$2):"
  "$KUBECTL" logs --namespace "$1" -l "batch.kubernetes.io/job-name=$2" --all-containers=true --prefix=true --tail=200 >&2 || true
  fail "events of job/$2 and its pods:"
  "$KUBECTL" get events --namespace "$1" --field-selector "involvedObject.name=$2" >&2 || true
  for kiln_pod in $("$KUBECTL" get pods --namespace "$1" -l "batch.kubernetes.io/job-name=$2" -o name 2>/dev/null || true); do
    "$KUBECTL" get events --namespace "$1" --field-selector "involvedObject.name=${kiln_pod#pod/}" >&2 || true
  done
}

# A job that failed in an earlier run of this release would only fail again: delete it
# so it runs anew.
kiln_reset_failed() {
  kiln_failed=$("$KUBECTL" get job "$2" --namespace "$1" --ignore-not-found -o 'jsonpath={.status.conditions[?(@.type=="Failed")].status}')
  if [ "$kiln_failed" = "True" ]; then
    say "job/$2 failed in an earlier run: deleting it to run it again"
    "$KUBECTL" delete job "$2" --namespace "$1" --wait=true
  fi
}

# Waits for job $2 in namespace $1 to complete, at most $3 seconds. `kubectl wait` stops
# at one condition only, so it is called in 10-second slices, looking for the Failed
# condition between them: a job that failed is reported at once, not at the timeout.
kiln_wait_job() {
  kiln_left=$3
  while :; do
    if "$KUBECTL" wait --namespace "$1" --for=condition=complete --timeout=10s "job/$2" >/dev/null 2>&1; then
      say "job/$2 completed"
      return 0
    fi
    kiln_failed=$("$KUBECTL" get job "$2" --namespace "$1" --ignore-not-found -o 'jsonpath={.status.conditions[?(@.type=="Failed")].status}' 2>/dev/null || true)
    if [ "$kiln_failed" = "True" ]; then
      fail "job/$2 failed"
      kiln_job_report "$1" "$2"
      return 1
    fi
    kiln_left=$((kiln_left - 10))
    if [ "$kiln_left" -le 0 ]; then
      fail "job/$2 did not complete in $3 seconds"
      kiln_job_report "$1" "$2"
      return 1
    fi
  done
}

# Scales Deployment $2 to zero if it exists, and waits for its pods (component $3) to stop.
kiln_scale_down() {
  if [ -z "$("$KUBECTL" get deployment "$2" --namespace "$1" --ignore-not-found -o name)" ]; then
    say "deployment/$2 does not exist yet: nothing to stop"
    return 0
  fi
  "$KUBECTL" scale deployment "$2" --namespace "$1" --replicas=0
  kiln_tries=0
  while [ -n "$("$KUBECTL" get pods --namespace "$1" -l "app.kubernetes.io/instance=$4,app.kubernetes.io/component=$3" -o name)" ]; do
    kiln_tries=$((kiln_tries + 1))
    if [ "$kiln_tries" -gt 150 ]; then
      fail "the pods of deployment/$2 did not stop in 5 minutes"
      return 1
    fi
    sleep 2
  done
  say "deployment/$2 stopped"
}

# Deletes the ConfigMaps of one hashed family ($2: name prefix) except the current one ($3)
# and the $4 newest others, oldest first. Selector $5 limits it to this app's ConfigMaps.
kiln_prune_configs() {
  kiln_names=$("$KUBECTL" get configmaps --namespace "$1" -l "$5" --sort-by=.metadata.creationTimestamp -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}')
  kiln_old=$(printf '%s\n' "$kiln_names" | grep -E "^$2[0-9a-f]{10}\$" | grep -v -x -e "$3" || true)
  kiln_count=$(printf '%s\n' "$kiln_old" | grep -c . || true)
  kiln_drop=$((kiln_count - $4))
  if [ "$kiln_drop" -gt 0 ]; then
    printf '%s\n' "$kiln_old" | head -n "$kiln_drop" | while read -r kiln_name; do
      "$KUBECTL" delete configmap "$kiln_name" --namespace "$1" --ignore-not-found
    done
  fi
}
"#;

impl Plan {
    /// The POSIX shell script.
    pub fn script(&self) -> String {
        let mut s = String::with_capacity(self.objects.len() * 2048 + 8192);
        let _ = writeln!(s, "#!/bin/sh");
        // A file name is the user's: a newline in it must not end the comment.
        let _ = writeln!(
            s,
            "# The release plan of {}, generated by kiln {}.",
            one_line(&self.source),
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            s,
            "# Regenerate it rather than editing it: {}",
            one_line(&self.command)
        );
        s.push_str(
            "#\n# Usage: sh plan.sh [--dry-run]\n\
             #   --dry-run   print the steps, touch nothing\n\
             #   KUBECTL     the kubectl to run (default: kubectl on PATH, current context)\n\n",
        );
        let steps = self.steps();
        let d = delimiter(&steps);
        let _ = write!(
            s,
            "if [ \"${{1:-}}\" = \"--dry-run\" ]; then\n  cat <<'{d}'\n{steps}{d}\n  exit 0\nfi\n\
             if [ \"$#\" -gt 0 ]; then\n  echo \"usage: $0 [--dry-run]\" >&2\n  exit 2\nfi\n\n"
        );
        s.push_str(PRELUDE);
        for a in &self.apps {
            self.app_script(&mut s, a);
        }
        s.push_str("\nsay \"release complete\"\n");
        s
    }

    fn apply_block(&self, s: &mut String, idx: &[usize]) {
        let docs: Vec<&Object> = idx.iter().filter_map(|&i| self.objects.get(i)).collect();
        let yaml = crate::emit::to_yaml_refs(&docs);
        let d = delimiter(&yaml);
        let _ = write!(s, "kiln_apply <<'{d}'\n{yaml}{d}\n");
    }

    fn app_script(&self, s: &mut String, a: &AppPlan) {
        let ns = q(&a.namespace);
        let _ = writeln!(s, "\n# ---- app {} (namespace {}) ----", a.app, a.namespace);
        if !a.setup.is_empty() {
            let _ = writeln!(s, "\nsay \"{}: setup\"", a.app);
            self.apply_block(s, &a.setup);
        }
        if a.has_install {
            let _ = writeln!(
                s,
                "\n# The first release is the one before the install marker exists.\n\
                 if [ -z \"$(\"$KUBECTL\" get configmap {} --namespace {ns} --ignore-not-found -o name)\" ]; then\n  \
                 KILN_FIRST=1\n  say \"{}: first release: the on_install jobs will run\"\nelse\n  \
                 KILN_FIRST=0\n  say \"{}: installed already: the on_install jobs are skipped\"\nfi",
                q(&marker_name(&a.app)),
                a.app,
                a.app
            );
        }
        let restore: Vec<String> = a
            .stopped
            .iter()
            .map(|w| {
                format!(
                    "kubectl scale deployment {} --namespace {} --replicas={}",
                    w.name, a.namespace, w.replicas
                )
            })
            .collect();
        if !a.stopped.is_empty() {
            let _ = writeln!(
                s,
                "\n# compatible = none ({}): no old pod may run while the schema changes.\n\
                 say \"{}: downtime: stopping the services and workers\"",
                a.downtime_jobs.join(", "),
                a.app
            );
            for w in &a.stopped {
                let _ = writeln!(
                    s,
                    "kiln_scale_down {ns} {} {} {}",
                    q(&w.name),
                    q(&w.block),
                    q(&a.app)
                );
            }
        }
        let stop_msg = if a.stopped.is_empty() {
            format!("nothing of the deploy phase of {} was applied", a.app)
        } else {
            format!(
                "nothing of the deploy phase of {} was applied and its services and workers are scaled to zero; to bring the previous release back: {}",
                a.app,
                restore.join("; ")
            )
        };
        self.steps_script(s, a, &a.pre, &stop_msg);
        if !a.deploy.is_empty() {
            let _ = writeln!(s, "\nsay \"{}: deploy\"", a.app);
            self.apply_block(s, &a.deploy);
        }
        for w in &a.stopped {
            let _ = writeln!(
                s,
                "\"$KUBECTL\" scale deployment {} --namespace {ns} --replicas={}",
                q(&w.name),
                w.replicas
            );
        }
        for w in &a.rollouts {
            let _ = writeln!(
                s,
                "if ! \"$KUBECTL\" rollout status {}/{} --namespace {ns} --timeout={ROLLOUT_TIMEOUT}; then\n  \
                 fail \"{}/{} did not roll out; its pods and their events:\"\n  \
                 \"$KUBECTL\" get pods --namespace {ns} -l {} >&2 || true\n  \
                 \"$KUBECTL\" get events --namespace {ns} --field-selector involvedObject.name={} >&2 || true\n  \
                 fail \"the release of {} stopped; to go back: kubectl rollout undo {}/{} --namespace {}\"\n  \
                 exit 1\nfi",
                w.resource,
                w.name,
                w.resource,
                w.name,
                q(&format!(
                    "app.kubernetes.io/instance={},app.kubernetes.io/component={}",
                    a.app, w.block
                )),
                q(&w.name),
                a.app,
                w.resource,
                w.name,
                a.namespace
            );
        }
        let post_msg = format!(
            "the workloads of {} are deployed; the jobs after them did not all run",
            a.app
        );
        self.steps_script(s, a, &a.post, &post_msg);
        if !a.configs.is_empty() {
            let _ = writeln!(
                s,
                "\nsay \"{}: deleting hashed ConfigMaps older than the last {} releases\"",
                a.app, self.keep
            );
            let selector = q(&format!(
                "app.kubernetes.io/instance={},app.kubernetes.io/managed-by=kiln",
                a.app
            ));
            for (prefix, current) in &a.configs {
                let _ = writeln!(
                    s,
                    "kiln_prune_configs {ns} {} {} {} {selector}",
                    q(prefix),
                    q(current),
                    self.keep - 1
                );
            }
        }
    }

    fn steps_script(&self, s: &mut String, a: &AppPlan, steps: &[Step], stop_msg: &str) {
        let ns = q(&a.namespace);
        let last_install = last_install_step(steps);
        for (k, st) in steps.iter().enumerate() {
            let window = if st.phase == Phase::PostDeploy {
                "post-deploy"
            } else {
                "pre-deploy"
            };
            let _ = writeln!(s, "\nsay \"{}: {window} step {}\"", a.app, st.step);
            // Apply every job of the step, then wait for each: they run in parallel.
            for j in &st.jobs {
                let guard = if j.install_only {
                    "if [ \"$KILN_FIRST\" = 1 ]; then\n"
                } else {
                    ""
                };
                s.push_str(guard);
                let _ = writeln!(s, "kiln_reset_failed {ns} {}", q(&j.name));
                self.apply_block(s, &[j.object]);
                if j.install_only {
                    s.push_str("fi\n");
                }
            }
            for j in &st.jobs {
                let wait = format!(
                    "kiln_wait_job {ns} {} {} || {{ fail {}; exit 1; }}",
                    q(&j.name),
                    j.timeout_secs.saturating_add(WAIT_SLACK_SECS),
                    q(&format!(
                        "the release of {} stopped at job {}: {stop_msg}",
                        a.app, j.block
                    ))
                );
                if j.install_only {
                    let _ = writeln!(s, "if [ \"$KILN_FIRST\" = 1 ]; then\n  {wait}\nfi");
                } else {
                    let _ = writeln!(s, "{wait}");
                }
            }
            if Some(k) == last_install {
                let marker = super::argocd::marker(&a.app, &a.namespace, st.phase, st.step);
                let yaml = crate::emit::to_yaml_refs(&[&marker]);
                let d = delimiter(&yaml);
                let _ = write!(
                    s,
                    "if [ \"$KILN_FIRST\" = 1 ]; then\n  say \"{}: on_install jobs done: creating the install marker\"\n  kiln_apply <<'{d}'\n{yaml}{d}\nfi\n",
                    a.app
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_and_quotes() {
        assert_eq!(delimiter("a\nb\n"), "KILN_EOF");
        assert_eq!(delimiter("KILN_EOF\n"), "KILN_EOF_1");
        assert_eq!(q("it's"), r"'it'\''s'");
        assert_eq!(one_line("a\nrm -rf /"), "a?rm -rf /");
    }
}
