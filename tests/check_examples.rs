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

/// Every fixture and example, mutated (each line deleted, truncated, numbers and names
/// replaced by hostile ones), goes through the whole front end without a panic.
#[test]
fn no_panic_on_mutated_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for dir in ["tests/fixtures/check", "tests/fixtures/syntax"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "kiln") {
                texts.push(std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    for e in std::fs::read_dir(root.join("examples")).unwrap().flatten() {
        if let Ok(t) = std::fs::read_to_string(e.path().join("app.kiln")) {
            texts.push(t);
        }
    }
    let replacements = [
        ("3000", "99999999999999999999"),
        ("= 2", "= -1"),
        ("\"", "\"${"),
        ("Mi", "Mi.5"),
        ("[", "[[[["),
        ("web", "x".repeat(300).leak()),
        ("migrate", "migrate\u{301}"),
        ("0 3 * * *", "*/99999999999 3 * * *"),
    ];
    let mut runs = 0;
    for text in &texts {
        let lines: Vec<&str> = text.lines().collect();
        for skip in 0..lines.len() {
            let mutated: String = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .map(|(_, l)| format!("{l}\n"))
                .collect();
            let _ = analyze("m.kiln", &mutated);
            runs += 1;
        }
        for cut in (0..text.len()).step_by(211) {
            if text.is_char_boundary(cut) {
                let _ = analyze("m.kiln", &text[..cut]);
                runs += 1;
            }
        }
        for (from, to) in replacements {
            let _ = analyze("m.kiln", &text.replace(from, to));
            runs += 1;
        }
    }
    assert!(runs > 100);
}

/// "Did you mean" among thousands of names stays fast.
#[test]
fn suggestions_among_thousands_of_names() {
    let mut text = String::from("app big {\n  image = \"registry.example.com/big:1.0.0\"\n");
    for i in 0..3000 {
        text.push_str(&format!(
            "  job task-{i} {{ command = [\"run\", \"{i}\"] }}\n"
        ));
    }
    text.push_str("  job last { command = [\"run\"]  after = [task-29999, tsak-12] }\n}\n");
    let start = std::time::Instant::now();
    let a = analyze("big.kiln", &text);
    let took = start.elapsed();
    let undefined: Vec<_> = a
        .diagnostics
        .iter()
        .filter(|d| d.code == kiln::diag::codes::UNDEFINED_REFERENCE)
        .collect();
    assert_eq!(undefined.len(), 2, "{:#?}", a.diagnostics);
    assert!(
        undefined
            .iter()
            .any(|d| d.help.as_deref() == Some("did you mean `task-12`?")),
        "{undefined:#?}"
    );
    assert!(took.as_millis() < 3000, "{took:?}");
}
