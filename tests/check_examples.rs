//! Every example checks without errors, and the csis example with an unpinned image fails
//! with the image code pointing at the tag.

use std::path::Path;

fn analyze(name: &str, text: &str) -> kiln::Analysis {
    let source = kiln::Source::from_text(name, text);
    kiln::analyze(&source, &kiln::Options::default())
}

#[test]
fn every_example_checks_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path().join("app.kiln");
        if !path.exists() {
            continue;
        }
        let source = kiln::Source::from_path(&path).unwrap();
        let a = kiln::analyze(&source, &kiln::Options::default());
        let errors: Vec<String> = a
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} {}", d.code, d.message))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        assert!(a.model.is_some(), "{}", path.display());
        checked += 1;
    }
    assert!(checked >= 1, "no examples found");
}

#[test]
fn csis_with_latest_fails_at_the_tag() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/csis/app.kiln");
    let text = std::fs::read_to_string(path).unwrap();
    let pinned = "\"registry.example.com/csis:1.4.2\"";
    assert!(text.contains(pinned));
    let text = text.replacen(pinned, "\"registry.example.com/csis:latest\"", 1);
    let a = analyze("csis.kiln", &text);
    assert!(a.model.is_none());
    let d = a
        .diagnostics
        .iter()
        .find(|d| d.code == kiln::diag::codes::UNPINNED_IMAGE)
        .expect("an unpinned-image diagnostic");
    assert!(d.is_error());
    let span = d.primary.loc.span;
    assert_eq!(&text[span.range()], "latest");
    assert!(d.help.as_deref().unwrap_or("").contains("migration"));
}

#[test]
fn csis_with_latest_and_mutable_tag_warns() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/csis/app.kiln");
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.replacen(
        "csis:1.4.2\"",
        "csis:latest\"\n  security { mutable_tag = true }",
        1,
    );
    let a = analyze("csis.kiln", &text);
    assert!(a.model.is_some(), "{:?}", a.diagnostics);
    assert!(
        a.diagnostics
            .iter()
            .any(|d| d.code == kiln::diag::codes::UNPINNED_IMAGE && !d.is_error())
    );
}
