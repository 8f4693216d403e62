//! The `kiln plan` script, run for real: parsed by `sh -n` (and `dash -n`, `bash -n`
//! when present) for every example, then run by `sh` against a fake `kubectl` on PATH.
//! The fake records every call, keeps the objects applied in a state directory (so the
//! install marker survives from one run to the next), and fails the jobs whose name
//! starts with `$FAKE_FAIL`. The tests assert the order of the calls, that a failed
//! migration stops the release before any workload is applied (with the job's logs and
//! events shown), that `on_install` jobs run once, the downtime strategy's scale-down
//! and scale-up, and the clean-up of old hashed ConfigMaps.

use kiln::order::Target;
use kiln::order::plan::Plan;
use kiln::{Options, Source};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn script_of(name: &str, text: &str) -> String {
    let src = if name.starts_with("examples/") {
        // From the file, so `file(..)` finds what sits next to it.
        Source::from_path(&root().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    } else {
        Source::from_text(name, text)
    };
    let opts = Options {
        target: Target::Kubectl,
        ..Options::default()
    };
    let model = kiln::analyze(&src, &opts)
        .model
        .unwrap_or_else(|| panic!("{name} has errors"));
    let bundle = kiln::compile(&src, &opts).unwrap_or_else(|_| panic!("{name} has errors"));
    Plan::new(&model, bundle.objects, name, 3).script()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(name).join("app.kiln"))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_example_plan_parses_with_sh_n() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let examples = [
        "csis",
        "dockercoins",
        "logging",
        "mastodon",
        "postgres",
        "reports",
    ];
    for name in examples {
        let path = dir.path().join(format!("{name}.sh"));
        let script = script_of(&format!("examples/{name}/app.kiln"), &example(name));
        std::fs::write(&path, &script).unwrap_or_else(|e| panic!("{e}"));
        for shell in ["sh", "dash", "bash"] {
            let Ok(out) = Command::new(shell).arg("-n").arg(&path).output() else {
                assert_ne!(shell, "sh", "no sh on this machine");
                continue;
            };
            assert!(
                out.status.success(),
                "{shell} -n rejects the plan of {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// A fake `kubectl`: POSIX sh, state in `$FAKE_STATE`.
const FAKE_KUBECTL: &str = r#"#!/bin/sh
# Records its arguments, keeps what was applied, fails jobs named $FAKE_FAIL*.
state=$FAKE_STATE
echo "$*" >> "$state/calls"
has() { grep -q -x -e "$1" "$state/objects" 2>/dev/null; }
failing() { [ -n "${FAKE_FAIL:-}" ] && case "$1" in "$FAKE_FAIL"*) true ;; *) false ;; esac; }
case "$1" in
  apply)
    awk '/^---/{kind="";m=0;next} /^kind: /{kind=$2} /^metadata:/{m=1;next} /^[^ ]/{m=0} m && /^  name: /{print kind "/" $2; m=0}' > "$state/applied"
    cat "$state/applied" >> "$state/objects"
    echo "applied $(tr '\n' ' ' < "$state/applied")" >> "$state/calls"
    ;;
  get)
    kind=$2; name=$3
    case "$kind" in
      configmap)
        if has "ConfigMap/$name"; then echo "configmap/$name"; fi ;;
      configmaps)
        # --sort-by creation: the old releases first, then what was applied.
        if [ -n "${FAKE_OLD_CONFIGMAPS:-}" ]; then printf '%s\n' $FAKE_OLD_CONFIGMAPS; fi
        sed -n 's#^ConfigMap/##p' "$state/objects" ;;
      job)
        if failing "$name" && has "Job/$name"; then echo True; fi ;;
      deployment)
        if has "Deployment/$name"; then echo "deployment.apps/$name"; fi ;;
      pods) ;;
      events) echo "LAST SEEN   TYPE      REASON   OBJECT   MESSAGE (fake events)" ;;
    esac
    ;;
  wait)
    for a in "$@"; do case "$a" in job/*) job=${a#job/} ;; esac; done
    if failing "$job" || ! has "Job/$job"; then
      echo "error: timed out waiting for the condition on jobs/$job" >&2
      exit 1
    fi
    ;;
  logs) echo "fake log line: PG::UndefinedTable" ;;
  rollout) echo "deployment successfully rolled out" ;;
  scale|delete) ;;
  *) echo "fake kubectl: unexpected $*" >&2; exit 9 ;;
esac
"#;

struct Fake {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    state: PathBuf,
}

impl Fake {
    fn new() -> Fake {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let bin = dir.path().join("bin");
        let state = dir.path().join("state");
        std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(&state).unwrap_or_else(|e| panic!("{e}"));
        let k = bin.join("kubectl");
        std::fs::write(&k, FAKE_KUBECTL).unwrap_or_else(|e| panic!("{e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o755));
        }
        Fake {
            _dir: dir,
            bin,
            state,
        }
    }

    /// Runs the script; returns (exit code, stdout, stderr, the calls of this run).
    fn run(&self, script: &str, env: &[(&str, &str)]) -> (i32, String, String, Vec<String>) {
        let path = self.state.join("plan.sh");
        std::fs::write(&path, script).unwrap_or_else(|e| panic!("{e}"));
        let _ = std::fs::remove_file(self.state.join("calls"));
        let path_var = format!(
            "{}:{}",
            self.bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("sh");
        cmd.arg(&path)
            .env("PATH", path_var)
            .env("FAKE_STATE", &self.state)
            .env_remove("KUBECTL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run sh: {e}"));
        let calls = std::fs::read_to_string(self.state.join("calls"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            calls,
        )
    }
}

/// The position of the first call containing every word of `words`.
fn at(calls: &[String], words: &[&str]) -> usize {
    calls
        .iter()
        .position(|c| words.iter().all(|w| c.contains(w)))
        .unwrap_or_else(|| panic!("no call with {words:?} in:\n{}", calls.join("\n")))
}

fn none(calls: &[String], words: &[&str]) -> bool {
    !calls.iter().any(|c| words.iter().all(|w| c.contains(w)))
}

#[test]
fn csis_releases_in_order_and_seeds_once() {
    let fake = Fake::new();
    let script = script_of("examples/csis/app.kiln", &example("csis"));
    let (code, out, err, calls) = fake.run(&script, &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let setup = at(
        &calls,
        &["applied", "Namespace/csis", "ConfigMap/csis-env-"],
    );
    let marker_check = at(&calls, &["get configmap csis-kiln-installed"]);
    let migrate = at(&calls, &["applied", "Job/csis-migrate-"]);
    let wait_migrate = at(
        &calls,
        &["wait", "--for=condition=complete", "job/csis-migrate-"],
    );
    let seed = at(&calls, &["applied", "Job/csis-seed-"]);
    let wait_seed = at(&calls, &["wait", "job/csis-seed-"]);
    let marker = at(&calls, &["applied", "ConfigMap/csis-kiln-installed"]);
    let deploy = at(
        &calls,
        &["applied", "Deployment/csis-web", "Deployment/csis-queue"],
    );
    let rollout_web = at(&calls, &["rollout status deployment/csis-web"]);
    let rollout_queue = at(&calls, &["rollout status deployment/csis-queue"]);
    let prune = at(
        &calls,
        &["get configmaps", "--sort-by=.metadata.creationTimestamp"],
    );
    let order = [
        setup,
        marker_check,
        migrate,
        wait_migrate,
        seed,
        wait_seed,
        marker,
        deploy,
        rollout_web,
        rollout_queue,
        prune,
    ];
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "calls out of order {order:?}:\n{}",
        calls.join("\n")
    );
    assert!(out.contains("first release"), "{out}");
    assert!(out.contains("release complete"), "{out}");

    // The second release: the marker exists, seed is neither applied nor waited for,
    // the marker is not written again; migrate (same name, already complete) is waited
    // for again, which returns at once.
    let (code, out, err, calls) = fake.run(&script, &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("installed already"), "{out}");
    assert!(none(&calls, &["csis-seed-"]), "{}", calls.join("\n"));
    assert!(none(&calls, &["applied", "ConfigMap/csis-kiln-installed"]));
    assert!(
        at(&calls, &["wait", "job/csis-migrate-"])
            < at(&calls, &["applied", "Deployment/csis-web"])
    );
}

#[test]
fn a_failed_migration_stops_the_release_before_any_workload() {
    let fake = Fake::new();
    let script = script_of("examples/csis/app.kiln", &example("csis"));
    let (code, out, err, calls) = fake.run(&script, &[("FAKE_FAIL", "csis-migrate-")]);
    assert_eq!(code, 1, "stdout:\n{out}\nstderr:\n{err}");
    let wait = at(&calls, &["wait", "job/csis-migrate-"]);
    let logs = at(
        &calls,
        &["logs", "batch.kubernetes.io/job-name=csis-migrate-"],
    );
    let events = at(&calls, &["get events", "involvedObject.name=csis-migrate-"]);
    assert!(wait < logs && logs < events);
    for kind in [
        "Deployment/",
        "Service/",
        "Ingress/",
        "CronJob/",
        "Job/csis-seed-",
    ] {
        assert!(
            none(&calls, &["applied", kind]),
            "{kind} applied:\n{}",
            calls.join("\n")
        );
    }
    assert!(none(&calls, &["rollout"]));
    assert!(
        none(&calls, &["ConfigMap/csis-kiln-installed"])
            || none(&calls, &["applied", "csis-kiln-installed"])
    );
    assert!(err.contains("job/csis-migrate-"), "{err}");
    assert!(err.contains("failed"), "{err}");
    assert!(err.contains("PG::UndefinedTable"), "the job's logs: {err}");
    assert!(err.contains("fake events"), "the job's events: {err}");
    assert!(
        err.contains("the release of csis stopped at job migrate: nothing of the deploy phase of csis was applied"),
        "{err}"
    );

    // Fixed and run again: the failed Job is deleted first so it runs anew; the seed
    // still runs, since the first release never completed its install jobs.
    let (code, out, err, calls) = fake.run(&script, &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(at(&calls, &["applied", "Job/csis-seed-"]) > 0);
}

const DOWNTIME: &str = r#"app shop {
  image = "registry.example.com/shop:2.3.0"
  job migrate {
    command    = ["bin/rails", "db:migrate"]
    compatible = none
  }
  service web {
    port     = 3000
    replicas = 2
    health   = http("/up")
    autoscale { min = 3  max = 6  cpu = 80% }
  }
  worker queue {
    command  = ["bin/sidekiq"]
    replicas = 2
  }
  stateful db {
    port   = 5432
    health = tcp()
    volume data { mount = "/data"  size = 1Gi }
  }
}
"#;

#[test]
fn compatible_none_scales_to_zero_migrates_and_scales_back() {
    let fake = Fake::new();
    let script = script_of("shop.kiln", DOWNTIME);
    // First release: nothing to stop yet.
    let (code, out, err, calls) = fake.run(&script, &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(none(
        &calls,
        &["scale deployment shop-web --namespace shop --replicas=0"]
    ));
    assert!(out.contains("does not exist yet"), "{out}");
    // Second release: web and queue stop before the migration, come back after the
    // deploy (web to its autoscaler's minimum); the stateful set (the database the
    // migration needs) keeps running.
    let (code, out, err, calls) = fake.run(&script, &[]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let down_web = at(&calls, &["scale deployment shop-web", "--replicas=0"]);
    let down_queue = at(&calls, &["scale deployment shop-queue", "--replicas=0"]);
    let migrate = at(&calls, &["applied", "Job/shop-migrate-"]);
    let deploy = at(&calls, &["applied", "Deployment/shop-web"]);
    let up_web = at(&calls, &["scale deployment shop-web", "--replicas=3"]);
    let up_queue = at(&calls, &["scale deployment shop-queue", "--replicas=2"]);
    let rollout = at(&calls, &["rollout status deployment/shop-web"]);
    assert!(down_web < migrate && down_queue < migrate);
    assert!(migrate < deploy && deploy < up_web && deploy < up_queue && up_web < rollout);
    assert!(none(&calls, &["scale statefulset"]));
    // A failed migration leaves them stopped and says how to bring them back.
    let (code, _, err, calls) = fake.run(&script, &[("FAKE_FAIL", "shop-migrate-")]);
    assert_eq!(code, 1);
    assert!(none(&calls, &["--replicas=3"]));
    assert!(
        err.contains("kubectl scale deployment shop-web --namespace shop --replicas=3"),
        "{err}"
    );
}

#[test]
fn old_hashed_config_maps_are_deleted_keeping_the_last_releases() {
    let fake = Fake::new();
    let script = script_of("examples/csis/app.kiln", &example("csis"));
    // Four older releases (oldest first) and a ConfigMap of another family.
    let old = "csis-env-0000000001 csis-env-0000000002 csis-env-0000000003 csis-env-0000000004 csis-other-0000000005";
    let (code, out, err, calls) = fake.run(&script, &[("FAKE_OLD_CONFIGMAPS", old)]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let deleted: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("delete configmap"))
        .collect();
    // Current + 2 newest old kept (3 releases): 0000000001 and 0000000002 go.
    assert_eq!(deleted.len(), 2, "{}", calls.join("\n"));
    assert!(deleted[0].contains("csis-env-0000000001"));
    assert!(deleted[1].contains("csis-env-0000000002"));
    assert!(
        at(&calls, &["rollout status deployment/csis-queue"]) < at(&calls, &["delete configmap"])
    );
}

#[test]
fn dry_run_prints_the_steps_and_touches_nothing() {
    let fake = Fake::new();
    let script = script_of("examples/csis/app.kiln", &example("csis"));
    let path = fake.state.join("dry.sh");
    std::fs::write(&path, &script).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new("sh")
        .arg(&path)
        .arg("--dry-run")
        .env("PATH", format!("{}:/usr/bin:/bin", fake.bin.display()))
        .env("FAKE_STATE", &fake.state)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("pre-deploy step 1: run and wait for Job csis-migrate-"),
        "{text}"
    );
    assert!(!fake.state.join("calls").exists(), "kubectl was called");
}
