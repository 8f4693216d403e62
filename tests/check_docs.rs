//! The generated docs match the code they are generated from, and every diagnostic code
//! is documented and exercised. `KILN_BLESS=1 cargo test --test check_docs` rewrites
//! `docs/diagnostics.md` and the generated part of `docs/language.md`.

use kiln::check::docs::{LANGUAGE_MARKER, diagnostics_markdown, reference_markdown};
use kiln::diag::codes;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bless() -> bool {
    std::env::var_os("KILN_BLESS").is_some()
}

#[test]
fn diagnostics_md_is_generated() {
    let path = root().join("docs/diagnostics.md");
    let want = diagnostics_markdown();
    if bless() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/diagnostics.md is out of date: run `KILN_BLESS=1 cargo test --test check_docs`"
    );
}

#[test]
fn language_md_reference_is_generated() {
    let path = root().join("docs/language.md");
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    let (top, below) = match have.split_once(LANGUAGE_MARKER) {
        Some((top, below)) => (top.to_string(), Some(below.to_string())),
        None => (have.clone(), None),
    };
    let want_below = format!("\n\n{}", reference_markdown());
    if bless() {
        let mut top = top;
        if below.is_none() && !top.is_empty() && !top.ends_with('\n') {
            top.push('\n');
        }
        std::fs::write(&path, format!("{top}{LANGUAGE_MARKER}{want_below}")).unwrap();
        return;
    }
    assert!(
        below.as_deref() == Some(want_below.as_str()),
        "docs/language.md (below `{LANGUAGE_MARKER}`) is out of date: run `KILN_BLESS=1 cargo test --test check_docs`"
    );
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_code_is_explained_and_covered() {
    // Fixtures run the whole pipeline, so every stage's codes can have one; codes of the
    // compilation stages (K04xx, K05xx) may instead be covered by the other test files.
    // K0007 needs a 16 MiB input, so the syntax unit tests cover it instead of a fixture.
    let mut fixtures = String::new();
    let mut others = String::new();
    let mut files = Vec::new();
    files_under(&root().join("tests"), &mut files);
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if f.extension().is_some_and(|e| e == "diag") {
            fixtures.push_str(&text);
        } else {
            others.push_str(&text);
        }
    }
    // Unit tests in the sources count too: the part of each file after `#[cfg(test)]`.
    let mut sources = Vec::new();
    files_under(&root().join("src"), &mut sources);
    for f in sources {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        if let Some((_, tests)) = text.split_once("#[cfg(test)]") {
            others.push_str(tests);
        }
    }
    let mut missing = Vec::new();
    for c in codes::ALL {
        let i = c.info();
        assert!(!i.summary.is_empty(), "{} has no summary", i.code);
        assert!(
            i.explanation.trim().len() > 40,
            "{} needs a real explanation",
            i.code
        );
        let in_fixture = fixtures.contains(&format!("[{}]", i.code));
        let compile_stage =
            i.code.starts_with("K04") || i.code.starts_with("K05") || i.code == "K0007";
        let elsewhere =
            others.contains(i.code) || others.contains(&format!("codes::{}", const_name(i.name)));
        // `--set` problems need command-line options, which fixtures do not take
        // (tests/modules.rs covers them); K0601 is no longer reported (imports and
        // templates resolve), kept because codes are never renumbered.
        // K07xx are `kiln import` failures (unreadable manifests, an existing output):
        // no `.kiln` file can trigger them; tests/import.rs covers them.
        let cli_only = i.code == "K0618" || i.code.starts_with("K07");
        // K0400 reports a serialization failure of a k8s-openapi value, which no input
        // can cause; it exists so that a kiln bug is a diagnostic, not a panic.
        let retired = i.code == "K0601" || i.code == "K0400";
        if !(in_fixture || retired || ((compile_stage || cli_only) && elsewhere)) {
            missing.push(format!("{} ({})", i.code, i.name));
        }
    }
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

/// `unknown-field` → `UNKNOWN_FIELD` (the convention of the code table).
fn const_name(name: &str) -> String {
    name.replace('-', "_").to_uppercase()
}
