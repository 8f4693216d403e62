//! Golden tests: for each example, a "live" fixture shaped as an API server returns the
//! compiled objects after `kubectl apply` (tests/fixtures/diff/live/NAME.yaml, a
//! `kind: List` as `kubectl get -o yaml` prints) diffs as no differences; changing one
//! field in the source shows exactly that change.
//!
//! The fixtures are the cluster's state: when the compiler's output changes on purpose,
//! re-bless them with `KILN_BLESS=1 cargo test --test diff_examples` and read the diff.

mod diff_support;

use kiln::diff::render::{self, RenderOptions};
use kiln::diff::sources::read_path;
use kiln::diff::{DiffOptions, Report, Status, diff};
use kiln::{Options, Source};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn examples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(diff_support::root().join("examples"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("app.kiln").exists())
        .collect();
    v.sort();
    v
}

fn compile(source: &Source) -> Vec<Value> {
    let bundle = kiln::compile(source, &Options::default()).expect("example compiles");
    bundle.objects.into_iter().map(|o| o.value).collect()
}

fn fixture(example: &Path) -> PathBuf {
    let name = example.file_name().unwrap().to_string_lossy().into_owned();
    diff_support::root().join(format!("tests/fixtures/diff/live/{name}.yaml"))
}

fn live_diff(live: &[Value], desired: &[Value]) -> Report {
    diff(
        live,
        desired,
        &DiffOptions {
            report_removed: true,
            ..DiffOptions::default()
        },
    )
}

#[test]
fn every_example_live_fixture_has_no_differences() {
    let mut failures = Vec::new();
    for ex in examples() {
        let source = Source::from_path(&ex.join("app.kiln")).unwrap();
        let desired = compile(&source);
        let path = fixture(&ex);
        if diff_support::blessing() {
            let items: Vec<Value> = desired.iter().map(diff_support::serverize).collect();
            let list = json!({"apiVersion": "v1", "kind": "List", "items": items,
                              "metadata": {"resourceVersion": ""}});
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, kiln::emit::value_to_yaml(&list)).unwrap();
        }
        // An example newer than the fixtures is checked against the emulated server
        // directly (bless to write its fixture).
        let live = if path.exists() {
            read_path(&path).expect("fixture parses")
        } else {
            desired.iter().map(diff_support::serverize).collect()
        };
        assert_eq!(live.len(), desired.len(), "{}", path.display());
        let report = live_diff(&live, &desired);
        if report.has_differences() {
            failures.push(format!(
                "{} (re-bless if the compiler output changed on purpose):\n{}",
                ex.display(),
                render::text(&report, RenderOptions::default())
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Changes one field in a source and returns the report against the live fixture.
fn changed(example: &str, from: &str, to: &str) -> Report {
    let ex = diff_support::root().join("examples").join(example);
    let text = std::fs::read_to_string(ex.join("app.kiln")).unwrap();
    assert_eq!(text.matches(from).count(), 1, "`{from}` must be unique");
    let source = Source::from_text("app.kiln", text.replace(from, to));
    let desired = compile(&source);
    let live = read_path(&fixture(&ex)).unwrap();
    live_diff(&live, &desired)
}

fn only_change(r: &Report) -> (String, String) {
    let differing: Vec<_> = r
        .objects
        .iter()
        .filter(|o| o.status != Status::Unchanged)
        .collect();
    assert_eq!(
        differing.len(),
        1,
        "{}",
        render::text(r, RenderOptions::default())
    );
    let o = differing[0];
    assert_eq!(o.status, Status::Changed);
    assert_eq!(o.changes.len(), 1, "{:?}", o.changes);
    (o.title(), render::change_line(&o.changes[0]))
}

#[test]
fn one_field_changed_in_the_source_is_the_one_change() {
    let r = changed("csis", "replicas = 2", "replicas = 5");
    assert_eq!(
        only_change(&r),
        (
            "apps/v1 Deployment csis/csis-queue".to_owned(),
            "spec.replicas: 2 → 5".to_owned()
        )
    );
    let r = changed(
        "csis",
        "schedule = \"0 3 * * *\"",
        "schedule = \"30 4 * * *\"",
    );
    assert_eq!(
        only_change(&r),
        (
            "batch/v1 CronJob csis/csis-nightly".to_owned(),
            "spec.schedule: \"0 3 * * *\" → \"30 4 * * *\"".to_owned()
        )
    );
}

#[test]
fn blessed_bundles_diff_clean_against_their_compile() {
    // `--against` a plain manifest (each example's blessed app.yaml): not projected, and
    // still no differences.
    for ex in examples() {
        let yaml = ex.join("app.yaml");
        if !yaml.exists() {
            continue;
        }
        let (code, out, err) = diff_support::kiln(
            &[
                "diff",
                ex.join("app.kiln").to_str().unwrap(),
                "--against",
                yaml.to_str().unwrap(),
            ],
            None,
            None,
        );
        assert_eq!(code, 0, "{}: {out}{err}", ex.display());
        assert!(out.starts_with("0 changed, 0 added, 0 removed"), "{out}");
    }
}
