//! Validation of real output: every `examples/*/app.kiln` is compiled with
//! [`kiln::compile`], each object of the bundle is written to its own YAML file (and the
//! whole bundle to one more file, to check the multi-document stream), and
//! `scripts/validate.sh` runs kubernetes-validate (strict, Kubernetes 1.33 and the newest),
//! checkov and yamllint on them. A second test proves, on the hand-made inputs in
//! `tests/validate_traps/`, that `validate.sh` fails where the raw tools pass broken YAML.
//!
//! The validators live in the project venv `.venv/` made by
//! `scripts/setup-validators.sh` (`.ci/run` runs it). Without it these tests fail: a
//! missing validator is never a silent pass.
//!
//! Checkov allow-list. A failed checkov check fails the test unless its ID is allowed:
//! - for every example, by `docs/output.md`: in the section whose heading contains the
//!   word "checkov", every markdown table row whose first cell is a check ID (backticks
//!   optional) allows that check, e.g.
//!   `| `CKV_K8S_43` | image digest | pin by digest with `image = "repo@sha256:…"` |`;
//!   a missing file or section allows nothing;
//! - for one example, by a comment in its `app.kiln` next to the relaxation that needs it:
//!   `// checkov-allow: CKV_K8S_23, CKV_K8S_20 (reason)` (passed to validate.sh as
//!   `--allow-checks-under DIR=IDS` for that example's output directory only).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The result of one `scripts/validate.sh` run.
struct Run {
    code: Option<i32>,
    /// stdout then stderr.
    output: String,
}

fn validate_sh(args: &[&str], venv: Option<&str>) -> Run {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("scripts/validate.sh")).args(args);
    if let Some(v) = venv {
        cmd.env("KILN_VENV", v);
    }
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => panic!("cannot run scripts/validate.sh: {e}"),
    };
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Run {
        code: out.status.code(),
        output,
    }
}

fn is_check_id(s: &str) -> bool {
    let rest = s
        .strip_prefix("CKV_")
        .or_else(|| s.strip_prefix("CKV2_"))
        .unwrap_or("");
    let mut parts = rest.splitn(2, '_');
    let framework = parts.next().unwrap_or("");
    let number = parts.next().unwrap_or("");
    !framework.is_empty()
        && framework
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

/// The check IDs allowed by `docs/output.md` (see the module comment for the format).
fn output_md_allow_list(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    // The level of the "checkov" heading we are under, if any.
    let mut in_section: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            let level = trimmed.chars().take_while(|&c| c == '#').count();
            match in_section {
                Some(l) if level > l => {}
                _ => {
                    in_section = trimmed
                        .to_ascii_lowercase()
                        .contains("checkov")
                        .then_some(level);
                }
            }
            continue;
        }
        if in_section.is_none() {
            continue;
        }
        let Some(row) = trimmed.strip_prefix('|') else {
            continue;
        };
        let first = row.split('|').next().unwrap_or("").trim().trim_matches('`');
        if is_check_id(first) {
            ids.push(first.to_string());
        }
    }
    ids
}

/// The check IDs allowed by `// checkov-allow: ID, ID (reason)` comments in an example.
fn example_allow_list(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for line in text.lines() {
        let Some((_, rest)) = line.split_once("checkov-allow:") else {
            continue;
        };
        for word in rest.split(|c: char| c == ',' || c.is_whitespace()) {
            if is_check_id(word) {
                ids.push(word.to_string());
            } else if !word.is_empty() {
                break; // the reason starts
            }
        }
    }
    ids
}

/// Whether the file declares at least one `app` block (then its bundle cannot be empty).
fn has_app(source: &kiln::Source) -> bool {
    let analysis = kiln::analyze(source, &kiln::Options::default());
    analysis
        .ast
        .items
        .iter()
        .any(|item| matches!(item, kiln::syntax::ast::Item::Block(b) if b.kind.name == "app"))
}

/// A file name for an object: apply order first, then kind and name, filesystem-safe.
fn object_file_name(index: usize, object: &kiln::lower::Object) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "{index:03}-{}-{}.yaml",
        safe(&object.kind),
        safe(&object.name)
    )
}

fn examples() -> Vec<PathBuf> {
    let dir = root().join("examples");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("app.kiln"))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Directory workspaces under `examples/` and the profiles each is validated with: every
/// directory without an `app.kiln` whose `.kiln` files declare profiles, once per profile
/// (`examples/shop/`: `staging` and `production`).
fn workspaces() -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    let Ok(rd) = std::fs::read_dir(root().join("examples")) else {
        return found;
    };
    let mut dirs: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.join("app.kiln").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        let Ok(source) = kiln::Source::from_dir(&dir) else {
            continue;
        };
        let analysis = kiln::analyze(&source, &kiln::Options::default());
        let mut profiles: Vec<String> = source
            .map
            .iter()
            .filter(|(_, f)| f.path.is_some())
            .flat_map(|(id, f)| kiln::syntax::parse(id, &f.text).0.items)
            .filter_map(|item| match item {
                kiln::syntax::ast::Item::Profile(p) => Some(p.name.name),
                _ => None,
            })
            .collect();
        profiles.sort();
        profiles.dedup();
        if analysis.model.is_some() {
            found.extend(profiles.into_iter().map(|p| (dir.clone(), p)));
        }
    }
    found
}

/// The `N object(s)` of validate.sh's summary line.
fn objects_validated(output: &str) -> Option<usize> {
    let line = output.lines().find(|l| l.starts_with("validate: "))?;
    let before = line.split(" object(s)").next()?;
    before.rsplit(' ').next()?.parse().ok()
}

#[test]
fn examples_compile_to_valid_kubernetes() {
    let examples = examples();
    assert!(!examples.is_empty(), "no examples/*/app.kiln found");
    // Each example with the default options, then each workspace with each profile.
    let mut cases: Vec<(String, PathBuf, kiln::Options)> = examples
        .iter()
        .map(|p| {
            let name = p
                .parent()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, p.clone(), kiln::Options::default())
        })
        .collect();
    let workspaces = workspaces();
    assert!(
        workspaces.iter().any(|(d, _)| d.ends_with("shop")),
        "the examples/shop workspace is not validated"
    );
    for (dir, profile) in &workspaces {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let options = kiln::Options {
            profile: Some(profile.clone()),
            ..kiln::Options::default()
        };
        cases.push((format!("{name}-{profile}"), dir.clone(), options));
    }

    let global_allow = std::fs::read_to_string(root().join("docs/output.md"))
        .map(|t| output_md_allow_list(&t))
        .unwrap_or_default();

    let tmp = match tempfile::Builder::new().prefix("kiln-examples-").tempdir() {
        Ok(t) => t,
        Err(e) => panic!("cannot make a temp dir: {e}"),
    };
    let mut failures = Vec::new();
    // `--allow-checks-under DIR=IDS` for the examples that relax something on purpose.
    let mut scoped_allow = Vec::new();
    let mut objects = 0;
    let mut compiled = 0;

    for (name, path, options) in &cases {
        let name = name.clone();
        let loaded = if path.is_dir() {
            kiln::Source::from_dir(path)
        } else {
            kiln::Source::from_path(path)
        };
        let source = match loaded {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{name}: cannot read {}: {e}", path.display()));
                continue;
            }
        };
        let bundle = match kiln::compile(&source, options) {
            Ok(b) => b,
            Err(diags) => {
                let text = kiln::diag::render::to_text(&diags.0, &source.map, false);
                failures.push(format!("{name}: does not compile:\n{text}"));
                continue;
            }
        };
        if bundle.objects.is_empty() {
            if has_app(&source) {
                failures.push(format!(
                    "{name}: declares an app but compiled to no Kubernetes object"
                ));
            }
            continue;
        }

        // One file per object (validate.sh is per file), plus the whole stream in one.
        let out = tmp.path().join(&name);
        let mut written = true;
        for (i, object) in bundle.objects.iter().enumerate() {
            let yaml = kiln::emit::to_yaml(std::slice::from_ref(object));
            if yaml.trim().is_empty() {
                failures.push(format!(
                    "{name}: emit::to_yaml wrote nothing for {} {}",
                    object.kind, object.name
                ));
                written = false;
                break;
            }
            let file = out.join("objects").join(object_file_name(i, object));
            if let Err(e) = std::fs::create_dir_all(out.join("objects"))
                .and_then(|()| std::fs::write(&file, yaml))
            {
                panic!("cannot write {}: {e}", file.display());
            }
        }
        if !written {
            continue;
        }
        let stream = out.join("bundle.yaml");
        if let Err(e) = std::fs::write(&stream, bundle.to_yaml()) {
            panic!("cannot write {}: {e}", stream.display());
        }
        // A workspace's comments are in its files, not in the generated entry.
        let own = if path.is_dir() {
            let texts: Vec<&str> = source
                .map
                .iter()
                .filter(|(_, f)| f.path.is_some())
                .map(|(_, f)| f.text.as_str())
                .collect();
            example_allow_list(&texts.join("\n"))
        } else {
            example_allow_list(&source.entry_file().text)
        };
        if !own.is_empty() {
            scoped_allow.push(format!("{}={}", out.display(), own.join(",")));
        }
        objects += bundle.objects.len();
        compiled += 1;
    }

    // One validate.sh run for all examples: checkov's start-up dominates its time.
    if compiled > 0 {
        let global = global_allow.join(",");
        let root_dir = tmp.path().to_string_lossy().into_owned();
        let mut args = vec![];
        if !global.is_empty() {
            args.extend(["--allow-checks", global.as_str()]);
        }
        for scoped in &scoped_allow {
            args.extend(["--allow-checks-under", scoped.as_str()]);
        }
        args.push(root_dir.as_str());
        let run = validate_sh(&args, None);
        // The per-object files and the streams must hold the same objects.
        let expected = 2 * objects;
        if run.code != Some(0) {
            failures.push(format!(
                "scripts/validate.sh failed (exit {:?}; allowed everywhere: [{global}], \
                 per example: {scoped_allow:?}):\n{}",
                run.code, run.output
            ));
        } else if objects_validated(&run.output) != Some(expected) {
            failures.push(format!(
                "expected {expected} objects validated ({objects} per-object files + the \
                 bundle streams), validate.sh said:\n{}",
                run.output
            ));
        }
    }

    if !failures.is_empty() {
        // Keep the YAML for inspection.
        let kept = tmp.keep();
        panic!(
            "examples failed (YAML kept in {}):\n\n{}",
            kept.display(),
            failures.join("\n\n")
        );
    }
    eprintln!(
        "{compiled} of {} example(s) and workspace profile(s) compiled to {objects} objects, all valid",
        cases.len()
    );
}

fn trap(name: &str) -> String {
    root()
        .join("tests/validate_traps")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Every `FAIL` line of a run that names `file`.
fn fails_of<'a>(run: &'a Run, file: &str) -> Vec<&'a str> {
    run.output
        .lines()
        .filter(|l| l.starts_with("FAIL ") && l.contains(&format!("{file}:")))
        .collect()
}

#[test]
fn validate_sh_closes_the_traps_of_the_validators() {
    // The unparsable file goes first: kubernetes-validate's CLI would stop there.
    let files = [
        "unparsable.yaml",
        "unknown-apiversion.yaml",
        "unknown-field.yaml",
        "checkov-skips.yaml",
        "newest-only-field.yaml",
        "removed-after-1-33.yaml",
        "duplicate-key.yaml",
        "ok-deployment.yaml",
    ];
    let paths: Vec<String> = files.iter().map(|f| trap(f)).collect();
    let mut args = vec!["--allow-checks", "CKV_K8S_43,CKV_K8S_15"];
    args.extend(paths.iter().map(String::as_str));
    let run = validate_sh(&args, None);
    assert_eq!(run.code, Some(1), "{}", run.output);

    let expect = |file: &str, needles: &[&str]| {
        let lines = fails_of(&run, file);
        assert!(
            lines.iter().any(|l| needles.iter().all(|n| l.contains(n))),
            "{file}: no FAIL line containing {needles:?}; output:\n{}",
            run.output
        );
    };
    // A file that does not parse is reported and does not stop the others.
    expect("unparsable.yaml", &["yaml: cannot parse"]);
    // An unknown apiVersion is a failure, not a warning.
    expect(
        "unknown-apiversion.yaml",
        &[
            "kubernetes-validate",
            "(Kubernetes 1.33)",
            "unknown apiVersion",
        ],
    );
    // Strict mode: unknown fields fail.
    expect(
        "unknown-field.yaml",
        &["kubernetes-validate", "'nodeportt' was unexpected"],
    );
    // checkov skipping a file is caught, by file and by the resource count.
    expect("checkov-skips.yaml", &["checkov: reads 0 of 2 document(s)"]);
    assert!(
        run.output
            .lines()
            .any(|l| l.starts_with("FAIL -: checkov: reports") && l.contains("resources")),
        "no resource count failure:\n{}",
        run.output
    );
    // Both versions are checked: the oldest ...
    expect(
        "newest-only-field.yaml",
        &["(Kubernetes 1.33)", "hostnameOverride"],
    );
    // ... and the newest (whatever it is, it is not 1.33).
    let removed = fails_of(&run, "removed-after-1-33.yaml");
    assert!(
        removed
            .iter()
            .any(|l| l.contains("unknown apiVersion") && !l.contains("(Kubernetes 1.33)")),
        "removed-after-1-33.yaml not failed against the newest version:\n{}",
        run.output
    );
    assert!(
        !removed.iter().any(|l| l.contains("(Kubernetes 1.33)")),
        "removed-after-1-33.yaml is valid in 1.33:\n{}",
        run.output
    );
    // Duplicate keys, which every loader resolves silently.
    expect("duplicate-key.yaml", &["yamllint", "duplication of key"]);
    // The control case passes with its two checks allowed.
    assert!(
        fails_of(&run, "ok-deployment.yaml").is_empty(),
        "ok-deployment.yaml should pass:\n{}",
        run.output
    );

    // Without the allow-list, a failed checkov check fails the run; with it, it passes.
    let ok = trap("ok-deployment.yaml");
    let strict = validate_sh(&[ok.as_str()], None);
    assert_eq!(strict.code, Some(1), "{}", strict.output);
    assert!(
        strict.output.contains("CKV_K8S_43"),
        "expected CKV_K8S_43 to fail:\n{}",
        strict.output
    );
    let allowed = validate_sh(
        &[
            "--allow-checks",
            "CKV_K8S_43",
            "--allow-checks",
            "CKV_K8S_15",
            ok.as_str(),
        ],
        None,
    );
    assert_eq!(allowed.code, Some(0), "{}", allowed.output);

    // A missing validator is a failure, not a skip.
    let missing = validate_sh(&[ok.as_str()], Some("/nonexistent/kiln-venv"));
    assert_eq!(missing.code, Some(2), "{}", missing.output);
    assert!(
        missing.output.contains("setup-validators.sh"),
        "{}",
        missing.output
    );
}

#[test]
fn allow_lists_are_parsed() {
    let md = "# Output\n\n| `CKV_K8S_1` | not in a checkov section |\n\n\
              ## Checkov checks that need a decision\n\n\
              | check | why |\n|---|---|\n| `CKV_K8S_43` | digest |\n| CKV2_K8S_6 | netpol |\n\
              ### Details\n| `CKV_K8S_15` | nested section still counts |\n\
              ## Next\n| `CKV_K8S_99` | after the section |\n";
    assert_eq!(
        output_md_allow_list(md),
        ["CKV_K8S_43", "CKV2_K8S_6", "CKV_K8S_15"]
    );
    let kiln = "  run_as_root = true   // checkov-allow: CKV_K8S_23, CKV_K8S_40 (fluentd reads \
                root-owned logs; CKV_K8S_1 is not listed)\n";
    assert_eq!(example_allow_list(kiln), ["CKV_K8S_23", "CKV_K8S_40"]);
    assert!(!is_check_id("CKV_K8S_"));
    assert!(!is_check_id("check"));
}
