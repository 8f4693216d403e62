//! Diagnostic fixtures: every `tests/fixtures/{syntax,check}/*.kiln` is compiled and its
//! rendered diagnostics (plain text, then exit code) compared with the `.diag` file next to
//! it. Regenerate with `KILN_BLESS=1 cargo test --test fixtures`.

use std::path::{Path, PathBuf};

fn render(path: &Path) -> String {
    // Integration tests run in the package root, so the relative path keeps the output
    // machine-independent, and `file(..)` and imports resolve from the fixture.
    let rel = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path);
    let source = kiln::Source::from_path(rel).unwrap();
    let options = kiln::Options::default();
    // The whole pipeline: when the front end is clean, lowering and ordering diagnostics
    // (K04xx, K05xx) are what a user of `kiln compile` sees next.
    let analysis = kiln::analyze(&source, &options);
    let diags = if analysis.diagnostics.has_errors() {
        analysis.diagnostics
    } else {
        match kiln::compile(&source, &options) {
            Ok(bundle) => bundle.warnings,
            Err(diags) => diags,
        }
    };
    let mut out = kiln::diag::render::to_text(&diags.0, &source.map, false);
    let errors = diags.has_errors();
    out.push_str(&format!("# exit {}\n", if errors { 2 } else { 0 }));
    out
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "kiln"));
    files.sort();
    files
}

fn run(dir: &str) {
    let bless = std::env::var_os("KILN_BLESS").is_some();
    let mut failures = Vec::new();
    for path in fixtures(dir) {
        let actual = render(&path);
        let expected_path = path.with_extension("diag");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "--- {}\n--- expected\n{expected}\n--- actual\n{actual}",
                path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ (KILN_BLESS=1 to accept):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn syntax_fixtures() {
    run("syntax");
}

#[test]
fn check_fixtures() {
    run("check");
}
