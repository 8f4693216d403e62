//! One fixture per normalization rule of `kiln diff` (tests/fixtures/diff/rules/*/):
//! `before.yaml` (or `.json`) against `after.yaml`, rendered as text and compared with
//! `expected.txt`. Bless with `KILN_BLESS=1 cargo test --test diff_rules`.

mod diff_support;

use kiln::diff::render::{self, RenderOptions};
use kiln::diff::sources::read_path;
use kiln::diff::{DiffOptions, diff};
use std::path::Path;

fn run(dir: &Path) -> String {
    let before = ["before.yaml", "before.json"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.exists())
        .expect("a before file");
    let before = read_path(&before).expect("before parses");
    let after = read_path(&dir.join("after.yaml")).expect("after parses");
    let report = diff(
        &before,
        &after,
        &DiffOptions {
            report_removed: true,
            ..DiffOptions::default()
        },
    );
    render::text(&report, RenderOptions::default())
}

#[test]
fn every_rule_fixture_matches() {
    let root = diff_support::root().join("tests/fixtures/diff/rules");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "rule fixtures missing");
    let mut failures = Vec::new();
    for dir in dirs {
        let got = run(&dir);
        let expected_path = dir.join("expected.txt");
        if diff_support::blessing() {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- got\n{got}",
                dir.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The rules whose point is "no noise" must stay at no differences, whatever gets
/// blessed.
#[test]
fn noise_rules_give_no_differences() {
    let root = diff_support::root().join("tests/fixtures/diff/rules");
    for rule in [
        "bookkeeping",
        "deployment-defaults",
        "service-defaults",
        "quantities",
        "int-or-string",
        "list-order",
        "secret-string-data",
        "namespace-label",
        "json-list-input",
    ] {
        let got = run(&root.join(rule));
        assert!(
            got.starts_with("0 changed, 0 added, 0 removed,"),
            "{rule} shows noise:\n{got}"
        );
    }
}

/// The rules whose point is "still a change" must stay changed.
#[test]
fn real_changes_stay_visible() {
    let root = diff_support::root().join("tests/fixtures/diff/rules");
    let cases = [
        ("env-order-with-reference", "name: URL"),
        ("removed-via-last-applied", "-  replicas: 2"),
        ("removed-via-server-side-apply", "-  replicas: 2"),
        (
            "removed-via-server-side-apply",
            "-          imagePullPolicy: Always",
        ),
        (
            "removed-via-last-applied",
            "-          imagePullPolicy: Always",
        ),
        ("plain-manifest-not-projected", "-  type: LoadBalancer"),
        ("injected-sidecar", "-        - image: debug:1.0.0"),
        ("secret-masking", "-  password: \"*** (before)\""),
        ("secret-masking", "+  password: \"*** (after)\""),
        ("credential-env", "-  LOG_LEVEL: info"),
    ];
    for (rule, line) in cases {
        let got = run(&root.join(rule));
        assert!(got.contains(line), "{rule}: `{line}` missing from\n{got}");
    }
    let got = run(&root.join("removed-via-last-applied"));
    assert!(
        !got.contains("dnsPolicy") && !got.contains("terminationMessagePath"),
        "{got}"
    );
}
