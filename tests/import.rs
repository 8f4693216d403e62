//! `kiln import`: fixtures (`tests/fixtures/import/NAME/`: `input.yaml` or `input/`, the
//! expected `expected.kiln`, the expected `report.txt`, and `raw/` files when objects are
//! carried raw; `KILN_BLESS=1 cargo test --test import` rewrites them), the round-trip
//! contract checked independently of the import's own check, secret data never in any
//! output, hostile inputs, and the command line.

use kiln::diag::codes;
use kiln::import::{self, ItemKind, roundtrip};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("KILN_BLESS").is_some()
}

fn kiln() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
}

/// A scratch directory under target/, fresh for each test.
fn scratch(name: &str) -> PathBuf {
    let d = root().join("target").join("import-tests").join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn input_of(dir: &Path) -> PathBuf {
    let d = dir.join("input");
    if d.is_dir() {
        d
    } else {
        dir.join("input.yaml")
    }
}

/// Compiles the imported text (with its raw files) in a scratch directory and diffs the
/// bundle with the input as imported, with the library: every difference must be in a
/// hardening category.
fn assert_round_trip(name: &str, im: &import::Imported) {
    let dir = scratch(&format!("rt-{name}"));
    for (rel, yaml) in &im.files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, yaml).unwrap();
    }
    let file = dir.join("app.kiln");
    std::fs::write(&file, &im.text).unwrap();
    let source = kiln::Source::from_path(&file).unwrap();
    let bundle = kiln::compile(&source, &kiln::Options::default())
        .unwrap_or_else(|d| panic!("{name}: the imported file does not compile: {d:?}"));
    assert!(
        !bundle.warnings.has_errors(),
        "{name}: the imported file has errors"
    );
    // Formatted: formatting it again changes nothing.
    let (ast, _) = kiln::syntax::parse(source.entry, &im.text);
    assert_eq!(
        kiln::syntax::fmt::format(&ast, &im.text),
        im.text,
        "{name}: not formatted"
    );
    let after: Vec<_> = bundle.objects.iter().map(|o| o.value.clone()).collect();
    let diffs = roundtrip::check(&im.expected, &after, &im.folded_config_maps);
    let lost: Vec<String> = diffs
        .iter()
        .filter(|d| d.category.is_none())
        .map(|d| format!("{} {} {}", d.op, d.object, d.path))
        .collect();
    assert!(
        lost.is_empty(),
        "{name}: the round trip lost or changed input fields:\n{}",
        lost.join("\n")
    );
    // Every input object is accounted for: reproduced (under its name, or paired with
    // kiln's renamed object), a Secret reference, or kiln's own Namespace/ServiceAccount.
    let removed: Vec<String> = diffs
        .iter()
        .filter(|d| d.op == "removed" && d.path.is_empty())
        .filter(|d| !d.object.contains(" Namespace ") && !d.object.contains(" ServiceAccount "))
        .map(|d| d.object.clone())
        .collect();
    assert!(removed.is_empty(), "{name}: shown as removed: {removed:?}");
}

/// The real command, as docs/import.md shows it: `kiln diff app.kiln --against INPUT
/// --summary` (text and JSON) shows no removed object and no change outside kiln's
/// categories.
fn assert_cli_diff(name: &str, im: &import::Imported, input: &Path) {
    let dir = scratch(&format!("cli-{name}"));
    for (rel, yaml) in &im.files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, yaml).unwrap();
    }
    std::fs::write(dir.join("app.kiln"), &im.text).unwrap();
    let input = input.to_str().unwrap();
    let (code, out, err) = run_in(
        &dir,
        &["diff", "app.kiln", "--against", input, "--summary"],
        None,
    );
    assert_eq!(code, 1, "{name}: {err}");
    assert!(out.contains(" 0 removed,"), "{name}:\n{out}");
    assert!(!out.lines().any(|l| l.starts_with("- ")), "{name}:\n{out}");
    assert!(
        out.contains("kiln adds on purpose: ") && out.contains("; 0 other changes\n"),
        "{name}:\n{out}"
    );
    assert!(!out.contains("    other: "), "{name}:\n{out}");
    // Every added object is in a category (`+ v1 Namespace shop [added-object]`).
    assert!(
        out.lines()
            .filter(|l| l.starts_with("+ "))
            .all(|l| l.ends_with(']')),
        "{name}:\n{out}"
    );
    let (code, out, err) = run_in(
        &dir,
        &[
            "diff",
            "app.kiln",
            "--against",
            input,
            "--summary",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 1, "{name}: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["removed"], 0, "{name}");
    let (_, md, _) = run_in(
        &dir,
        &[
            "diff",
            "app.kiln",
            "--against",
            input,
            "--summary",
            "--format",
            "markdown",
        ],
        None,
    );
    assert!(md.contains("; 0 other changes"), "{name}:\n{md}");
    assert_eq!(v["categories"]["other"], 0, "{name}");
    for o in v["objects"].as_array().unwrap() {
        match o["status"].as_str().unwrap() {
            "changed" => {
                for c in o["changes"].as_array().unwrap() {
                    assert!(!c["category"].is_null(), "{name}: {o}");
                }
            }
            _ => assert!(!o["category"].is_null(), "{name}: {o}"),
        }
    }
}

fn check_fixture(dir: &Path) {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let input = input_of(dir);
    let im = import::import_paths(&[input.as_path()])
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let report = import::report_text(&im);
    let expected_kiln = dir.join("expected.kiln");
    let expected_report = dir.join("report.txt");
    if bless() {
        std::fs::write(&expected_kiln, &im.text).unwrap();
        std::fs::write(&expected_report, &report).unwrap();
        let _ = std::fs::remove_dir_all(dir.join("raw"));
        for (rel, yaml) in &im.files {
            let p = dir.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, yaml).unwrap();
        }
    }
    let want = std::fs::read_to_string(&expected_kiln)
        .unwrap_or_else(|_| panic!("{name}: no expected.kiln (bless with KILN_BLESS=1)"));
    assert_eq!(im.text, want, "{name}: the imported text changed");
    let want = std::fs::read_to_string(&expected_report).unwrap_or_default();
    assert_eq!(report, want, "{name}: the report changed");
    for (rel, yaml) in &im.files {
        let want = std::fs::read_to_string(dir.join(rel)).unwrap_or_default();
        assert_eq!(yaml, &want, "{name}: raw file {rel} changed");
    }
    assert_round_trip(&name, &im);
    assert_cli_diff(&name, &im, &input);
    // Deterministic: a second import gives the same bytes.
    let again = import::import_paths(&[input.as_path()]).unwrap().unwrap();
    assert_eq!(again.text, im.text, "{name}: not deterministic");
}

#[test]
fn fixtures() {
    let base = root().join("tests/fixtures/import");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "at least five manifest sets");
    for d in dirs {
        check_fixture(&d);
    }
}

/// The round trip catches a lost field: an input field that the import does not carry
/// (here: removed from the imported text by hand) shows as a difference outside every
/// hardening category.
#[test]
fn a_lost_field_fails_the_round_trip() {
    let input = root().join("tests/fixtures/import/plain/input.yaml");
    let im = import::import_paths(&[input.as_path()]).unwrap().unwrap();
    assert!(im.text.contains("priorityClassName"));
    let broken: String = im
        .text
        .lines()
        .filter(|l| !l.contains("priorityClassName"))
        .map(|l| format!("{l}\n"))
        .collect();
    let source = kiln::Source::from_text("broken.kiln", broken);
    let bundle = kiln::compile(&source, &kiln::Options::default()).unwrap();
    let after: Vec<_> = bundle.objects.iter().map(|o| o.value.clone()).collect();
    let diffs = roundtrip::check(&im.expected, &after, &im.folded_config_maps);
    assert!(
        diffs
            .iter()
            .any(|d| d.category.is_none() && d.path.contains("priorityClassName")),
        "{diffs:?}"
    );
}

const SECRET_VALUE: &str = "zq-SUPER-distinctive-Secret-7731";

fn secret_manifest() -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(SECRET_VALUE);
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: vault-api, namespace: vault}}\nspec:\n  selector: {{matchLabels: {{app: api}}}}\n  template:\n    metadata: {{labels: {{app: api}}}}\n    spec:\n      containers:\n      - name: api\n        image: registry.example.com/api:1.0.0\n        env:\n        - name: TOKEN\n          valueFrom: {{secretKeyRef: {{name: api-secrets, key: token}}}}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: api-secrets\n  namespace: vault\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{{\"data\":{{\"token\":\"{b64}\"}}}}'\ntype: Opaque\ndata:\n  token: {b64}\nstringData:\n  other: {SECRET_VALUE}\n"
    )
}

/// No byte of a Secret's data (raw or base64) in stdout, stderr, the written file or
/// its raw files, in text or JSON.
#[test]
fn secret_data_never_leaves() {
    use base64::Engine;
    let dir = scratch("secret");
    let input = dir.join("in.yaml");
    std::fs::write(&input, secret_manifest()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(SECRET_VALUE);
    let needles = [SECRET_VALUE.to_owned(), b64.clone(), b64[..12].to_owned()];
    for format in ["text", "json"] {
        let out = dir.join(format!("app-{format}.kiln"));
        let run = kiln()
            .args(["import", "--format", format, "-o"])
            .arg(&out)
            .arg(&input)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let mut all = String::from_utf8_lossy(&run.stdout).into_owned();
        all.push_str(&String::from_utf8_lossy(&run.stderr));
        all.push_str(&std::fs::read_to_string(&out).unwrap());
        if let Ok(rd) = std::fs::read_dir(dir.join("raw")) {
            for e in rd.flatten() {
                all.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
        for n in &needles {
            assert!(!all.contains(n.as_str()), "secret bytes leaked ({format})");
        }
        assert!(all.contains("api-secrets"), "the reference stays");
    }
    // stdout mode too.
    let run = kiln().arg("import").arg(&input).output().unwrap();
    assert!(run.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    for n in &needles {
        assert!(!text.contains(n.as_str()));
    }
    assert!(text.contains("secret(\"api-secrets\", \"token\")"));
}

/// Hostile and odd inputs: an error or an import, never a panic, and whatever is
/// imported compiles.
#[test]
fn hostile_inputs() {
    let long = "x".repeat(300);
    let cases: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("not-kubernetes", "name: hello\nitems: [1, 2]\n".into()),
        ("scalar", "hello\n".into()),
        (
            "no-containers",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: empty}\nspec: {template: {spec: {containers: []}}}\n".into(),
        ),
        (
            "huge-names",
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {long}, namespace: {long}, labels: {{app.kubernetes.io/instance: {long}}}}}\nspec:\n  template:\n    spec:\n      containers: [{{name: {long}, image: \"r.example.com/{long}:1.0.0\", ports: [{{containerPort: 80}}]}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: {long}}}\nspec: {{selector: {{a: b}}, ports: [{{port: 80}}]}}\n"),
        ),
        (
            "unknown-api-version",
            "apiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: old}\nspec: {template: {spec: {containers: [{name: a, image: 'a:1'}]}}}\n---\napiVersion: example.com/v9\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n".into(),
        ),
        (
            "odd-values",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: odd}\nspec:\n  replicas: -3\n  template:\n    spec:\n      containers:\n      - name: a\n        image: latest\n        command: [1, {x: y}]\n        ports: [{containerPort: 99999}]\n        resources: {limits: {cpu: '1e3'}}\n        env: [{name: 'bad name', value: x}, {name: OK, value: \"${x} $(Y) \\\"q\\\"\"}]\n".into(),
        ),
        (
            "only-pods",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: 'a:1'}]}\n".into(),
        ),
        ("duplicate-keys", "apiVersion: v1\nkind: ConfigMap\nkind: Secret\n".into()),
    ];
    for (name, text) in cases {
        let r = kiln::diff::sources::parse_manifests(&text, name);
        let Ok(objects) = r else {
            continue;
        };
        match import::import(&objects) {
            Ok(im) => {
                assert!(
                    !im.items
                        .iter()
                        .any(|i| i.kind == ItemKind::Difference && i.message.contains("removed")),
                    "{name}: an input object was dropped: {:?}",
                    im.items
                );
                let source = kiln::Source::from_text(name, im.text.clone());
                let analysis = kiln::analyze(&source, &kiln::Options::default());
                // Raw files are not on disk here: only `file(..)` may fail.
                let errors: Vec<_> = analysis
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == kiln::diag::Severity::Error)
                    .filter(|d| !d.message.contains("raw/"))
                    .collect();
                assert!(errors.is_empty(), "{name}: {errors:?}\n{}", im.text);
            }
            Err(import::ImportError::Empty) => {}
            Err(e @ import::ImportError::Internal { .. }) => panic!("{name}: {e}"),
        }
    }
}

fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = kiln();
    cmd.current_dir(dir).args(args);
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(s) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn command_line() {
    let dir = scratch("cli");
    let plain = root().join("tests/fixtures/import/plain/input.yaml");
    let plain = plain.to_str().unwrap();
    // stdin, stdout.
    let text = std::fs::read_to_string(plain).unwrap();
    let (code, out, err) = run_in(&dir, &["import", "-"], Some(&text));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("// Imported by `kiln import`"));
    assert!(err.contains("imported 1 app (hello)"), "{err}");
    // -o, then refusal to overwrite (K0703), then --force.
    let (code, _, err) = run_in(&dir, &["import", plain, "-o", "app.kiln"], None);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("kiln diff app.kiln --against"), "{err}");
    let (code, _, err) = run_in(&dir, &["import", plain, "-o", "app.kiln"], None);
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("error[{}]", codes::IMPORT_OUTPUT_EXISTS)),
        "{err}"
    );
    let (code, _, _) = run_in(&dir, &["import", plain, "-o", "app.kiln", "--force"], None);
    assert_eq!(code, 0);
    // The written file checks, is formatted, and diffs against its input with only
    // kiln's additions (the real command, as docs/import.md shows it).
    let (code, _, err) = run_in(&dir, &["check", "app.kiln"], None);
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = run_in(&dir, &["fmt", "--check", "app.kiln"], None);
    assert_eq!(code, 0);
    let (code, out, _) = run_in(
        &dir,
        &["diff", "app.kiln", "--against", plain, "--summary"],
        None,
    );
    assert_eq!(code, 1);
    assert!(out.contains("0 removed"), "{out}");
    // JSON report.
    let (code, _, err) = run_in(&dir, &["import", plain, "--format", "json"], None);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(v["apps"][0], "hello");
    assert!(
        v["differences"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| !d["category"].is_null())
    );
    // Errors: unreadable input (K0701), nothing to import (K0702), raw objects
    // without -o (K0704).
    let (code, _, err) = run_in(&dir, &["import", "-"], Some("a: 1\na: 2\n"));
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("error[{}]", codes::IMPORT_INPUT)),
        "{err}"
    );
    let (code, _, err) = run_in(&dir, &["import", "missing.yaml"], None);
    assert_eq!(code, 3);
    assert!(err.contains("K0701"), "{err}");
    let (code, _, err) = run_in(&dir, &["import", "-"], Some(""));
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("error[{}]", codes::IMPORT_EMPTY)),
        "{err}"
    );
    let crd = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: m, namespace: x}\nspec: {endpoints: [{port: http}]}\n";
    let (code, _, err) = run_in(&dir, &["import", "-"], Some(crd));
    assert_eq!(code, 2);
    assert!(
        err.contains(&format!("error[{}]", codes::IMPORT_NEEDS_OUTPUT)),
        "{err}"
    );
    assert!(codes::IMPORT_INTERNAL.info().explanation.contains("saved"));
}

/// K0705: a generated text that does not check (forced by the test hook, since no input
/// is known to produce one) writes nothing, saves the text aside and says where.
#[test]
fn a_text_that_does_not_check_is_saved_aside() {
    let dir = scratch("k0705");
    let plain = root().join("tests/fixtures/import/plain/input.yaml");
    let out = kiln()
        .current_dir(&dir)
        .env(import::TEST_BREAK_VAR, "1")
        .args(["import", "-o", "app.kiln"])
        .arg(&plain)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("error[{}]", codes::IMPORT_INTERNAL)),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert!(!dir.join("app.kiln").exists(), "nothing written");
    let saved = err
        .split("saved to `")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .unwrap_or_else(|| panic!("no place in: {err}"));
    let text = std::fs::read_to_string(saved).unwrap();
    assert!(text.contains("app hello {"), "{text}");
    assert!(text.contains("no_such_field"), "{text}");
    let _ = std::fs::remove_file(saved);
    // The JSON form says the same.
    let out = kiln()
        .current_dir(&dir)
        .env(import::TEST_BREAK_VAR, "1")
        .args(["import", "--format", "json", "-o", "app.kiln"])
        .arg(&plain)
        .output()
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stderr).trim()).unwrap();
    assert_eq!(v["code"], codes::IMPORT_INTERNAL.as_str());
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("saved to `"), "{message}");
    if let Some(p) = message
        .split("saved to `")
        .nth(1)
        .and_then(|r| r.split('`').next())
    {
        let _ = std::fs::remove_file(p);
    }
    assert!(!dir.join("app.kiln").exists());
}

/// A sidecar whose probe names its port (ports are patched, not mapped, so the probe is
/// patched too) and a Deployment without `replicas`: imported with nothing lost.
#[test]
fn sidecar_with_a_named_port_probe() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x-web, namespace: x}\nspec:\n  selector: {matchLabels: {app: x}}\n  template:\n    metadata: {labels: {app: x}}\n    spec:\n      containers:\n        - name: web\n          image: r.example.com/x:1.0.0\n        - name: proxy\n          image: r.example.com/proxy:1.0.0\n          ports: [{name: http, containerPort: 9000}]\n          readinessProbe: {httpGet: {path: /ready, port: http}}\n          livenessProbe: {tcpSocket: {port: 9000}}\n";
    let objects = kiln::diff::sources::parse_manifests(text, "sc.yaml").unwrap();
    let im = import::import(&objects).unwrap();
    assert!(im.text.contains("sidecar proxy {"), "{}", im.text);
    let lost: Vec<_> = im
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Difference)
        .collect();
    assert!(lost.is_empty(), "{lost:?}\n{}", im.text);
    assert_round_trip("sidecar-named-port", &im);
}
