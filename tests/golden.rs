//! Golden files: every `examples/*/app.kiln` compiles (default options) to exactly
//! `examples/*/app.yaml`. Regenerate with `KILN_BLESS=1 cargo test --test golden`, then
//! read the diff before committing it: a blessed mistake is a defect.

use std::path::{Path, PathBuf};

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path().join("app.kiln"))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn compile(path: &Path) -> Result<String, String> {
    let source = kiln::Source::from_path(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bundle = kiln::compile(&source, &kiln::Options::default()).map_err(|d| {
        format!(
            "{} does not compile:\n{}",
            path.display(),
            kiln::diag::render::to_text(&d.0, &source.map, false)
        )
    })?;
    Ok(bundle.to_yaml())
}

/// The first differing line, for a readable failure.
fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  expected: {e}\n  actual:   {a}", i + 1);
        }
    }
    format!(
        "lengths differ: expected {} lines, got {}",
        expected.lines().count(),
        actual.lines().count()
    )
}

#[test]
fn examples_match_their_golden_yaml() {
    let bless = std::env::var_os("KILN_BLESS").is_some();
    let examples = examples();
    assert!(!examples.is_empty(), "no examples/*/app.kiln");
    let mut failures = Vec::new();
    for path in &examples {
        let golden = path.with_file_name("app.yaml");
        let actual = match compile(path) {
            Ok(y) => y,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if bless {
            if let Err(e) = std::fs::write(&golden, &actual) {
                failures.push(format!("cannot write {}: {e}", golden.display()));
            }
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{} differs from the compiled output ({}); rerun with KILN_BLESS=1 and review \
                 the diff",
                golden.display(),
                first_difference(&expected, &actual)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn compiling_an_example_twice_gives_identical_bytes() {
    for path in examples() {
        let a = compile(&path);
        let b = compile(&path);
        assert_eq!(a, b, "{}", path.display());
    }
}
