//! Release ordering per deploy tool: golden outputs of `examples/csis/app.kiln` for each
//! `--for` target (and its `kiln plan` script and steps) under `tests/golden/ordering/`,
//! Job names that follow what a job runs, the Helm chart's structure, and the
//! target-specific warnings. Regenerate the goldens with
//! `KILN_BLESS=1 cargo test --test order_targets`, then read the diff: a blessed mistake
//! is a defect.
//!
//! With `KILN_HELM_PYTHON` set to a Python that has `helm-python-sdk` (Helm's own Go
//! engine as a library: `python3 -m venv /tmp/helm && /tmp/helm/bin/pip install
//! helm-python-sdk==0.2.2`), the chart is also rendered and linted by Helm itself.

use kiln::order::{Target, helm, plan::Plan};
use kiln::{Options, Source};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const CSIS: &str = "examples/csis/app.kiln";

fn source(rel: &str) -> Source {
    let path = root().join(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    Source::from_text(rel, text)
}

fn compile_text(name: &str, text: &str, target: Target) -> kiln::Bundle {
    let src = Source::from_text(name, text);
    let opts = Options {
        target,
        ..Options::default()
    };
    kiln::compile(&src, &opts).unwrap_or_else(|d| {
        panic!(
            "{name} does not compile:\n{}",
            kiln::diag::render::to_text(&d.0, &src.map, false)
        )
    })
}

fn compile(rel: &str, target: Target) -> kiln::Bundle {
    let src = source(rel);
    compile_text(rel, &src.entry_file().text, target)
}

fn helm_text(files: &[(PathBuf, String)]) -> String {
    let mut out = String::new();
    let mut sorted: Vec<&(PathBuf, String)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, text) in sorted {
        out.push_str(&format!("# ==> {} <==\n{text}", path.display()));
    }
    out
}

fn plan(rel: &str) -> Plan {
    let src = source(rel);
    let model = kiln::analyze(&src, &Options::default())
        .model
        .unwrap_or_else(|| panic!("{rel} has errors"));
    let bundle = compile(rel, Target::Kubectl);
    Plan::new(&model, bundle.objects, rel, kiln::order::plan::DEFAULT_KEEP)
}

fn golden(name: &str, actual: &str) -> Option<String> {
    let path = root().join("tests/golden/ordering").join(name);
    if std::env::var_os("KILN_BLESS").is_some() {
        let _ = std::fs::create_dir_all(path.parent().unwrap_or(root()));
        if let Err(e) = std::fs::write(&path, actual) {
            return Some(format!("cannot write {}: {e}", path.display()));
        }
        return None;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected == actual {
        return None;
    }
    let line = expected
        .lines()
        .zip(actual.lines())
        .position(|(e, a)| e != a)
        .map_or_else(
            || "the lengths differ".to_owned(),
            |i| format!("line {}", i + 1),
        );
    Some(format!(
        "{} differs from the output ({line}); rerun with KILN_BLESS=1 and review the diff",
        path.display()
    ))
}

#[test]
fn every_target_matches_its_golden_output() {
    let mut failures = Vec::new();
    for (target, name) in [
        (Target::Kubectl, "csis.kubectl.yaml"),
        (Target::Argocd, "csis.argocd.yaml"),
        (Target::Kapp, "csis.kapp.yaml"),
    ] {
        let bundle = compile(CSIS, target);
        assert!(bundle.warnings.is_empty(), "{name}: {:?}", bundle.warnings);
        failures.extend(golden(name, &bundle.to_yaml()));
    }
    let bundle = compile(CSIS, Target::Helm);
    let files = helm::chart_files(&bundle.objects, CSIS);
    failures.extend(golden("csis.helm.txt", &helm_text(&files)));
    let p = plan(CSIS);
    failures.extend(golden("csis.plan.sh", &p.script()));
    failures.extend(golden("csis.plan.txt", &p.steps()));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The kubectl stream is the default output: the examples' golden `app.yaml` files.
#[test]
fn kubectl_target_is_the_default_output() {
    let default = compile(CSIS, Target::Kubectl).to_yaml();
    let golden = std::fs::read_to_string(root().join("examples/csis/app.yaml")).unwrap_or_default();
    assert_eq!(default, golden);
}

fn job_names(text: &str, target: Target) -> Vec<String> {
    compile_text("app.kiln", text, target)
        .objects
        .iter()
        .filter(|o| o.kind == "Job")
        .map(|o| o.name.clone())
        .collect()
}

#[test]
fn same_release_same_job_names_new_image_new_names() {
    let text = source(CSIS).entry_file().text.clone();
    for target in [Target::Kubectl, Target::Argocd, Target::Helm, Target::Kapp] {
        let a = job_names(&text, target);
        assert_eq!(a.len(), 2, "{target:?}");
        assert_eq!(a, job_names(&text, target), "{target:?}: not deterministic");
        let bumped = text.replace("csis:1.4.2", "csis:1.4.3");
        assert_ne!(bumped, text);
        let b = job_names(&bumped, target);
        // migrate always gets a new name; seed too, except for kapp, where an
        // on_install job keeps a fixed name so that it is created once, never re-run.
        assert_ne!(a[0], b[0], "{target:?}");
        if target == Target::Kapp {
            assert_eq!(a[1], "csis-seed");
            assert_eq!(b[1], "csis-seed");
        } else {
            assert_ne!(a[1], b[1], "{target:?}");
        }
        // An env change is a change of what the jobs run (the ConfigMap's hash).
        let env = text.replace("\"production\"", "\"staging\"");
        assert_ne!(a[0], job_names(&env, target)[0], "{target:?}");
    }
}

const TEMPLATED: &str = r#"app tpl {
  image = "registry.example.com/tpl:2.0.1"
  env {
    GREETING = "{{ .Values.greeting }} and {{- trim }}"
  }
  job migrate {
    command = ["bin/migrate", "{{x}}"]
    timeout = 5m
  }
  service web {
    port     = 8080
    replicas = 2
    health   = http("/up")
  }
}
"#;

/// The chart: a directory per app with a valid Chart.yaml, values.yaml, the Namespace
/// beside the templates, and templates whose only template syntax is kiln's escape of
/// `{{`, which renders back to exactly the compiled objects.
#[test]
fn helm_output_is_a_chart_without_unintended_template_syntax() {
    for (name, text) in [
        ("csis", source(CSIS).entry_file().text.clone()),
        ("tpl", TEMPLATED.to_owned()),
    ] {
        let bundle = compile_text(&format!("{name}.kiln"), &text, Target::Helm);
        let files = helm::chart_files(&bundle.objects, "app.kiln");
        let get = |p: &str| {
            files
                .iter()
                .find(|(f, _)| f == Path::new(p))
                .map(|(_, t)| t.clone())
                .unwrap_or_else(|| panic!("{name}: no {p} in the chart"))
        };
        let chart: serde_yaml::Value = serde_yaml::from_str(&get(&format!("{name}/Chart.yaml")))
            .unwrap_or_else(|e| panic!("{name}: Chart.yaml: {e}"));
        assert_eq!(chart["apiVersion"].as_str(), Some("v2"));
        assert_eq!(chart["name"].as_str(), Some(name));
        assert_eq!(chart["type"].as_str(), Some("application"));
        let version = chart["version"].as_str().unwrap_or_default();
        assert!(helm::is_semver(version), "{name}: version {version:?}");
        get(&format!("{name}/values.yaml"));
        assert!(get(&format!("{name}/namespace.yaml")).contains("kind: Namespace"));
        let mut rendered = Vec::new();
        for (path, text) in &files {
            let p = path.to_string_lossy();
            assert!(
                p.starts_with(&format!("{name}/")),
                "{name}: {p} outside the chart"
            );
            if !p.contains("/templates/") {
                continue;
            }
            assert!(p.ends_with(".yaml"), "{p}");
            assert!(
                !text.replace(helm::ESCAPED_OPEN, "").contains("{{"),
                "{p}: template syntax kiln did not intend"
            );
            let plain = text.replace(helm::ESCAPED_OPEN, "{{");
            for doc in plain.split("\n---\n") {
                let v: serde_json::Value = serde_yaml::from_str(doc)
                    .unwrap_or_else(|e| panic!("{p}: not YAML once rendered: {e}"));
                assert_ne!(
                    v["kind"], "Namespace",
                    "{p}: the Namespace is not a template"
                );
                rendered.push(v);
            }
        }
        let expected: Vec<&serde_json::Value> = bundle
            .objects
            .iter()
            .filter(|o| o.kind != "Namespace")
            .map(|o| &o.value)
            .collect();
        assert_eq!(rendered.iter().collect::<Vec<_>>(), expected, "{name}");
        if name == "tpl" {
            assert!(
                files.iter().any(|(_, t)| t.contains(helm::ESCAPED_OPEN)),
                "the `{{{{` in the env value must be escaped"
            );
        }
        helm_render(name, &files, &bundle);
    }
}

/// Renders and lints the chart with Helm's own engine, when available.
fn helm_render(name: &str, files: &[(PathBuf, String)], bundle: &kiln::Bundle) {
    let Some(python) = std::env::var_os("KILN_HELM_PYTHON") else {
        eprintln!(
            "note: KILN_HELM_PYTHON is not set: the {name} chart was checked by structure, not rendered by Helm"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("charts");
    kiln::emit::write_files(files, &dir).unwrap_or_else(|e| panic!("{e}"));
    let script = r#"
import json, sys, helm_python as h
chart = sys.argv[1]
out = h.Chart.load(chart).render(name="release", namespace="ns", is_install=True)
lint = h.lint(chart, strict=False)
print(json.dumps({"render": out, "lint_errors": lint.get("errors") or []}))
"#;
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(dir.join(name))
        .output()
        .unwrap_or_else(|e| panic!("cannot run KILN_HELM_PYTHON: {e}"));
    assert!(
        out.status.success(),
        "helm render failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("helm output: {e}"));
    assert_eq!(v["lint_errors"], serde_json::json!([]), "helm lint");
    let render = v["render"].as_object().cloned().unwrap_or_default();
    let mut docs = Vec::new();
    let mut keys: Vec<&String> = render.keys().collect();
    keys.sort();
    for k in keys {
        let text = render[k].as_str().unwrap_or_default();
        for doc in text.split("\n---\n") {
            docs.push(
                serde_yaml::from_str::<serde_json::Value>(doc)
                    .unwrap_or_else(|e| panic!("{k}: {e}")),
            );
        }
    }
    let expected: Vec<serde_json::Value> = bundle
        .objects
        .iter()
        .filter(|o| o.kind != "Namespace")
        .map(|o| o.value.clone())
        .collect();
    assert_eq!(docs, expected, "Helm rendered {name} differently");
}

#[test]
fn targets_warn_about_what_they_cannot_express() {
    let text = r#"app shop {
  image = "registry.example.com/shop:2.3.0"
  job migrate {
    command    = ["bin/rails", "db:migrate"]
    compatible = none
  }
  job seed {
    run   = on_install
    after = [migrate]
  }
  worker queue {
    command = ["bin/sidekiq"]
  }
}
"#;
    let codes = |target| -> Vec<String> {
        let mut c: Vec<String> = compile_text("shop.kiln", text, target)
            .warnings
            .iter()
            .map(|d| d.code.to_string())
            .collect();
        c.sort();
        c
    };
    // K0503 (downtime) everywhere; K0505 where the tool cannot stop the workloads;
    // K0506 where an on_install job without a command cannot be guarded (Argo CD).
    assert_eq!(codes(Target::Kubectl), ["K0503"]);
    assert_eq!(codes(Target::Helm), ["K0503", "K0505"]);
    assert_eq!(codes(Target::Kapp), ["K0503", "K0505"]);
    assert_eq!(codes(Target::Argocd), ["K0503", "K0505", "K0506"]);
}
