//! The job graph of an app: in which window of a release each job runs, in which step
//! of that window, and the rules a graph must follow to be orderable.
//!
//! Windows: `before_deploy` jobs run before the workloads roll; `after_deploy` jobs
//! after every workload rolled out; an `on_install` job runs with the `before_deploy`
//! jobs (first release only), unless it waits, directly or through other `on_install`
//! jobs, for an `after_deploy` job: then it runs after the workloads. Inside a window,
//! a job's step is one more than the largest step of the jobs it waits for in the same
//! window (a wait on an earlier window is met by the window order), so the jobs of one
//! step are independent of each other.
//!
//! The checker already rejects `after` cycles (K0203) and unknown jobs (K0202); these
//! functions stay total on such graphs (bounded loops, no recursion) but do not report
//! them again.

use super::{Phase, Target};
use crate::check::model::{App, Compatible, Job, Model, RunPhase, WorkloadKind};
use crate::diag::{Diagnostic, Diagnostics, codes};
use std::collections::HashMap;

/// Where one job runs in a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// The phase (`Deploy` for a manual job: a suspended CronJob applied with the
    /// workloads).
    pub phase: Phase,
    /// 1-based step in its window; 0 for manual jobs.
    pub step: u32,
}

/// The resolved graph: `deps[i]` are the indexes of the jobs job `i` waits for, with the
/// position in its `after` list.
struct Graph<'a> {
    jobs: &'a [Job],
    deps: Vec<Vec<(usize, usize)>>,
    post: Vec<bool>,
}

impl<'a> Graph<'a> {
    fn new(jobs: &'a [Job]) -> Graph<'a> {
        // Most apps have a job or two: a scan beats building a hash map for each app.
        // The last job of a name wins, as it does in the map (the checker rejects
        // duplicate names anyway).
        let index: Option<HashMap<&str, usize>> = (jobs.len() > 16).then(|| {
            jobs.iter()
                .enumerate()
                .map(|(i, j)| (j.name.as_str(), i))
                .collect()
        });
        let find = |name: &str| match &index {
            Some(index) => index.get(name).copied(),
            None => jobs.iter().rposition(|j| j.name == name),
        };
        let deps: Vec<Vec<(usize, usize)>> = jobs
            .iter()
            .map(|j| {
                j.after
                    .iter()
                    .enumerate()
                    .filter_map(|(k, (name, _))| find(name.as_str()).map(|d| (d, k)))
                    .collect()
            })
            .collect();
        // An on_install job runs after the workloads when it waits (through other
        // on_install jobs) for an after_deploy job. A fixpoint, at most one pass per
        // job: no recursion on user input.
        let mut post: Vec<bool> = jobs
            .iter()
            .map(|j| j.run == RunPhase::AfterDeploy)
            .collect();
        for _ in 0..jobs.len() {
            let mut changed = false;
            for (i, j) in jobs.iter().enumerate() {
                let floats = j.run == RunPhase::OnInstall
                    && !post.get(i).copied().unwrap_or(false)
                    && deps
                        .get(i)
                        .is_some_and(|d| d.iter().any(|&(x, _)| post.get(x) == Some(&true)));
                if floats {
                    if let Some(p) = post.get_mut(i) {
                        *p = true;
                    }
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        Graph { jobs, deps, post }
    }

    fn is_post(&self, i: usize) -> bool {
        self.post.get(i).copied().unwrap_or(false)
    }

    fn run(&self, i: usize) -> Option<RunPhase> {
        self.jobs.get(i).map(|j| j.run)
    }

    fn phase(&self, i: usize) -> Phase {
        match self.run(i) {
            Some(RunPhase::Manual) | None => Phase::Deploy,
            _ if self.is_post(i) => Phase::PostDeploy,
            Some(RunPhase::OnInstall) => Phase::InstallJobs,
            Some(_) => Phase::PreDeploy,
        }
    }

    fn slots(&self) -> Vec<Slot> {
        let n = self.jobs.len();
        let window = |i: usize| self.phase(i).window();
        let mut step: Vec<u32> = (0..n)
            .map(|i| u32::from(self.run(i) != Some(RunPhase::Manual)))
            .collect();
        // Longest path from the window's sources, by relaxation: at most n passes, so
        // a cycle the checker reported cannot loop forever.
        for _ in 0..n {
            let mut changed = false;
            for i in 0..n {
                if self.run(i) == Some(RunPhase::Manual) {
                    continue;
                }
                let want = self
                    .deps
                    .get(i)
                    .into_iter()
                    .flatten()
                    .filter(|&&(d, _)| {
                        window(d) == window(i) && self.run(d) != Some(RunPhase::Manual)
                    })
                    .filter_map(|&(d, _)| step.get(d))
                    .max()
                    .map_or(1, |s| s.saturating_add(1));
                if let Some(s) = step.get_mut(i)
                    && want > *s
                {
                    *s = want;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        (0..n)
            .map(|i| Slot {
                phase: self.phase(i),
                step: step.get(i).copied().unwrap_or(0),
            })
            .collect()
    }
}

/// The slot of every job of `app`, by job name.
pub fn slots(app: &App) -> HashMap<String, Slot> {
    let g = Graph::new(&app.jobs);
    app.jobs
        .iter()
        .map(|j| j.name.clone())
        .zip(g.slots())
        .collect()
}

fn run_word(run: RunPhase) -> &'static str {
    match run {
        RunPhase::BeforeDeploy => "before_deploy",
        RunPhase::OnInstall => "on_install",
        RunPhase::AfterDeploy => "after_deploy",
        RunPhase::Manual => "manual",
    }
}

/// The services and workers of an app: the Deployments a downtime release stops.
pub fn stopped_workloads(app: &App) -> Vec<&str> {
    app.workloads
        .iter()
        .filter(|w| matches!(w.kind, WorkloadKind::Service | WorkloadKind::Worker))
        .map(|w| w.name.as_str())
        .collect()
}

/// The release-order rules that need the whole job graph (K0501–K0504): run after the
/// checker accepted the model, by [`crate::analyze`].
pub fn check(model: &Model) -> Diagnostics {
    use rayon::prelude::*;
    // Apps are independent; on the pool, in app order (the caller sorts anyway).
    let parts: Vec<Diagnostics> = model
        .apps
        .par_iter()
        .with_min_len(256)
        .fold(Diagnostics::default, |mut out, app| {
            check_app(app, &mut out);
            out
        })
        .collect();
    let mut out = Diagnostics::default();
    for part in parts {
        out.extend(part.0);
    }
    out
}

fn check_app(app: &App, out: &mut Diagnostics) {
    let g = Graph::new(&app.jobs);
    for (i, job) in app.jobs.iter().enumerate() {
        let deps = g.deps.get(i).map(Vec::as_slice).unwrap_or_default();
        for &(d, k) in deps {
            let (Some(dep), Some((_, at))) = (app.jobs.get(d), job.after.get(k)) else {
                continue;
            };
            if job.run != RunPhase::Manual && dep.run == RunPhase::Manual {
                out.push(
                    Diagnostic::new(
                        codes::AFTER_MANUAL_JOB,
                        at.file,
                        at.span,
                        format!(
                            "job `{}` waits for `{}`, which only runs by hand",
                            job.name, dep.name
                        ),
                    )
                    .label("a `manual` job never runs in a release")
                    .secondary(
                        dep.loc.file,
                        dep.loc.span,
                        format!("`{}` is `manual`", dep.name),
                    )
                    .help(format!(
                        "remove `{}` from `after`, or give `{}` a `run` phase",
                        dep.name, dep.name
                    )),
                );
            } else if job.run == RunPhase::BeforeDeploy && g.is_post(d) {
                out.push(impossible(app, &g, job, i, d, k));
            }
        }
        if job.run == RunPhase::Manual
            && let Some((_, at)) = job.after.first()
        {
            out.push(
                Diagnostic::new(
                    codes::JOB_SETTING_IGNORED,
                    at.file,
                    at.span,
                    format!("`after` has no effect on the manual job `{}`", job.name),
                )
                .label("ignored: an operator starts a manual job")
                .help("remove `after`, or give the job a `run` phase"),
            );
        }
        if job.compatible == Compatible::None {
            compatible_none(app, &g, i, job, out);
        }
    }
}

/// K0501: a `before_deploy` job waits for job `d`, which runs after the workloads.
fn impossible(app: &App, g: &Graph, job: &Job, i: usize, d: usize, k: usize) -> Diagnostic {
    let at = job.after.get(k).map(|(_, l)| *l).unwrap_or(job.loc);
    // The chain from `d` down to an after_deploy job, through on_install jobs that run
    // after the workloads because of it (breadth-first: the shortest chain).
    let chain = chain_to_after_deploy(g, d);
    let names: Vec<String> = std::iter::once(i)
        .chain(chain.iter().map(|&(x, _)| x))
        .filter_map(|x| app.jobs.get(x))
        .map(|j| format!("{} ({})", j.name, run_word(j.run)))
        .collect();
    let dep_name = app.jobs.get(d).map_or("", |j| j.name.as_str());
    let mut diag = Diagnostic::new(
        codes::JOB_ORDER_IMPOSSIBLE,
        at.file,
        at.span,
        format!(
            "job `{}` runs before the workloads roll but waits for `{dep_name}`, which runs after them",
            job.name
        ),
    )
    .label(format!("`{}` waits for `{dep_name}`", job.name));
    // Every further link of the chain, labelled where it is written.
    for pair in chain.windows(2) {
        let (Some(&(from, _)), Some(&(to, k))) = (pair.first(), pair.get(1)) else {
            continue;
        };
        let (Some(a), Some(b)) = (app.jobs.get(from), app.jobs.get(to)) else {
            continue;
        };
        if let Some((_, l)) = a.after.get(k) {
            diag = diag.secondary(
                l.file,
                l.span,
                format!("`{}` ({}) waits for `{}`", a.name, run_word(a.run), b.name),
            );
        }
    }
    if let Some(last) = chain.last().and_then(|&(x, _)| app.jobs.get(x)) {
        diag = diag.secondary(
            last.loc.file,
            last.loc.span,
            format!(
                "`{}` runs `after_deploy`, once the workloads rolled out",
                last.name
            ),
        );
    }
    diag.note(format!("chain: {}", names.join(" → ")))
        .help(format!(
            "make `{}` `after_deploy` too, or remove the `after` link; a job that must run \
             before the workloads cannot wait for one that runs after them",
            job.name
        ))
}

/// The shortest chain `d → … → an after_deploy job` through jobs that run after the
/// workloads: (job, index of the `after` entry that led to it; 0 for `d`).
fn chain_to_after_deploy(g: &Graph, d: usize) -> Vec<(usize, usize)> {
    let n = g.jobs.len();
    let mut prev: Vec<Option<(usize, usize)>> = vec![None; n];
    let mut seen = vec![false; n];
    let mut queue = std::collections::VecDeque::from([d]);
    if let Some(s) = seen.get_mut(d) {
        *s = true;
    }
    let mut end = d;
    while let Some(x) = queue.pop_front() {
        if g.run(x) == Some(RunPhase::AfterDeploy) {
            end = x;
            break;
        }
        for &(y, k) in g.deps.get(x).into_iter().flatten() {
            if g.is_post(y) && seen.get(y) == Some(&false) {
                if let Some(s) = seen.get_mut(y) {
                    *s = true;
                }
                if let Some(p) = prev.get_mut(y) {
                    *p = Some((x, k));
                }
                queue.push_back(y);
            }
        }
    }
    let mut chain = vec![];
    let mut cur = end;
    for _ in 0..n {
        match prev.get(cur).copied().flatten() {
            Some((p, k)) => {
                chain.push((cur, k));
                cur = p;
            }
            None => break,
        }
    }
    chain.push((d, 0));
    chain.reverse();
    chain
}

/// K0503 (downtime) or K0504 (no effect) for `compatible = none`.
fn compatible_none(app: &App, g: &Graph, i: usize, job: &Job, out: &mut Diagnostics) {
    let before = job.run == RunPhase::BeforeDeploy && !g.is_post(i);
    if before {
        let stopped = stopped_workloads(app);
        if stopped.is_empty() {
            return;
        }
        let list = stopped
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            Diagnostic::new(
                codes::RELEASE_DOWNTIME,
                job.loc.file,
                job.loc.span,
                format!(
                    "every release of `{}` has downtime: {list} are scaled to zero while `{}` runs",
                    app.name, job.name
                ),
            )
            .label("`compatible = none`: the old code cannot run on the new schema")
            .help(
                "write the migration so the previous release keeps working (expand, then \
                 contract in a later release) and drop `compatible = none`",
            ),
        );
    } else if job.run == RunPhase::Manual {
        // (On an after_deploy job, `compatible` is not used: the previous release's
        // pods are gone when it runs. On an on_install job, there is no previous
        // release. Neither is worth a warning.)
        out.push(
            Diagnostic::new(
                codes::JOB_SETTING_IGNORED,
                job.loc.file,
                job.loc.span,
                format!(
                    "`compatible = none` has no effect on the {} job `{}`",
                    run_word(job.run),
                    job.name
                ),
            )
            .label("only jobs that run before the workloads roll can stop them")
            .help(
                "make the job `before_deploy` for the scale-down strategy, or remove `compatible`",
            ),
        );
    }
}

/// K0505: the deploy tool cannot stop the workloads around a `compatible = none` job.
pub fn downtime_unsupported(model: &Model, target: Target, out: &mut Diagnostics) {
    for app in &model.apps {
        let g = Graph::new(&app.jobs);
        if stopped_workloads(app).is_empty() {
            continue;
        }
        for (i, job) in app.jobs.iter().enumerate() {
            if job.compatible == Compatible::None
                && job.run == RunPhase::BeforeDeploy
                && !g.is_post(i)
            {
                out.push(
                    Diagnostic::new(
                        codes::DOWNTIME_NOT_EXPRESSIBLE,
                        job.loc.file,
                        job.loc.span,
                        format!(
                            "`--for {}` cannot scale the workloads to zero around `{}`: the old pods keep running while it runs",
                            target.as_str(),
                            job.name
                        ),
                    )
                    .label("`compatible = none`")
                    .help("release with `kiln plan` (the default target), which scales the services and workers down and back up"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::model::*;
    use crate::source::{Loc, Span};

    fn loc(n: u32) -> Loc {
        Loc {
            file: Default::default(),
            span: Span {
                start: n,
                end: n + 1,
            },
        }
    }

    fn job(name: &str, run: RunPhase, after: &[&str]) -> Job {
        Job {
            name: name.into(),
            loc: loc(0),
            container: Container {
                name: name.into(),
                image: None,
                command: vec![],
                args: vec![],
                ports: vec![],
                env: Env::default(),
                cpu: None,
                memory: None,
                health: None,
                security: Security::default(),
                mounts: vec![],
                loc: loc(0),
            },
            run,
            after: after
                .iter()
                .enumerate()
                .map(|(k, a)| ((*a).to_owned(), loc(100 + k as u32)))
                .collect(),
            talks_to: vec![],
            timeout: None,
            retries: None,
            ttl: None,
            compatible: Compatible::Previous,
            volumes: vec![],
            scheduling: Scheduling::default(),
            labels: Default::default(),
            annotations: Default::default(),
            patches: vec![],
        }
    }

    fn slot_list(jobs: &[Job]) -> Vec<(Phase, u32)> {
        Graph::new(jobs)
            .slots()
            .into_iter()
            .map(|s| (s.phase, s.step))
            .collect()
    }

    #[test]
    fn steps_follow_after_within_a_window() {
        use RunPhase::*;
        let jobs = [
            job("migrate", BeforeDeploy, &[]),
            job("seed", OnInstall, &["migrate"]),
            job("index", BeforeDeploy, &[]),
            job("warm", BeforeDeploy, &["seed", "index"]),
            job("notify", AfterDeploy, &["migrate"]),
            job("report", AfterDeploy, &["notify"]),
            job("admin", OnInstall, &["notify"]),
            job("backfill", Manual, &[]),
        ];
        assert_eq!(
            slot_list(&jobs),
            [
                (Phase::PreDeploy, 1),
                (Phase::InstallJobs, 2),
                (Phase::PreDeploy, 1),
                (Phase::PreDeploy, 3),
                (Phase::PostDeploy, 1),
                (Phase::PostDeploy, 2),
                (Phase::PostDeploy, 2),
                (Phase::Deploy, 0),
            ]
        );
    }

    #[test]
    fn a_cycle_does_not_loop() {
        use RunPhase::*;
        let jobs = [
            job("a", BeforeDeploy, &["b"]),
            job("b", BeforeDeploy, &["a"]),
        ];
        let s = slot_list(&jobs);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn before_deploy_waiting_for_after_deploy_shows_the_chain() {
        use RunPhase::*;
        let app_jobs = vec![
            job("migrate", BeforeDeploy, &["seed"]),
            job("seed", OnInstall, &["notify"]),
            job("notify", AfterDeploy, &[]),
        ];
        let g = Graph::new(&app_jobs);
        let chain: Vec<usize> = chain_to_after_deploy(&g, 1).iter().map(|c| c.0).collect();
        assert_eq!(chain, [1, 2]);
    }
}
