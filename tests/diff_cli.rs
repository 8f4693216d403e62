//! `kiln diff --against`: stdin, directories, JSON, and the input errors (exit 2) and
//! I/O errors (exit 3) a user can run into.

mod diff_support;

use diff_support::{kiln, root};

fn csis() -> String {
    root().join("examples/csis/app.kiln").display().to_string()
}

fn live_fixture() -> String {
    std::fs::read_to_string(root().join("tests/fixtures/diff/live/csis.yaml")).unwrap()
}

#[test]
fn stdin_as_kubectl_get_prints_it() {
    let (code, out, err) = kiln(
        &["diff", &csis(), "--against", "-"],
        Some(&live_fixture()),
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("0 changed, 0 added, 0 removed,"), "{out}");
}

#[test]
fn directory_of_yaml_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let objects =
        kiln::diff::sources::read_path(&root().join("tests/fixtures/diff/live/csis.yaml")).unwrap();
    let (first, rest) = objects.split_at(3);
    // One YAML stream, one JSON list in a subdirectory, one stray file ignored.
    let yaml: String = first
        .iter()
        .map(|v| format!("---\n{}", kiln::emit::value_to_yaml(v)))
        .collect();
    std::fs::write(dir.path().join("a.yaml"), yaml).unwrap();
    std::fs::create_dir(dir.path().join("more")).unwrap();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": rest});
    std::fs::write(dir.path().join("more/b.json"), list.to_string()).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a manifest").unwrap();
    let (code, out, err) = kiln(
        &["diff", &csis(), "--against", dir.path().to_str().unwrap()],
        None,
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    // An extra object in the directory is removed.
    std::fs::write(
        dir.path().join("c.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n  namespace: csis\n",
    )
    .unwrap();
    let (code, out, _) = kiln(
        &[
            "diff",
            &csis(),
            "--against",
            dir.path().to_str().unwrap(),
            "--summary",
        ],
        None,
        None,
    );
    assert_eq!(code, 1);
    assert!(out.starts_with("- v1 ConfigMap csis/stray\n"), "{out}");
}

#[test]
fn input_errors_exit_2_with_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: [(&str, &str, &str); 5] = [
        (
            "dup.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
            "duplicate key `name`",
        ),
        ("bomb.yaml", &bomb(), "expands to more than"),
        (
            "deep.json",
            &format!("{}{}", "[".repeat(500), "]".repeat(500)),
            "nesting deeper than 100 levels",
        ),
        (
            "nokind.yaml",
            "apiVersion: v1\nmetadata: {name: a}\n",
            "has no `kind`",
        ),
        (
            "bad.yaml",
            "apiVersion: v1\nkind: [unclosed\n",
            "invalid YAML in document 1",
        ),
    ];
    for (name, text, message) in cases {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let (code, out, err) = kiln(
            &["diff", &csis(), "--against", p.to_str().unwrap()],
            None,
            None,
        );
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(err.contains(message), "{name}: {err}");
        assert!(
            err.contains(name),
            "{name}: the message names the file: {err}"
        );
    }
    // The source itself does not compile: its diagnostics, exit 2.
    std::fs::write(d.join("broken.kiln"), "app x {").unwrap();
    let ok = d.join("dup.yaml");
    let (code, _, err) = kiln(
        &[
            "diff",
            d.join("broken.kiln").to_str().unwrap(),
            "--against",
            ok.to_str().unwrap(),
        ],
        None,
        None,
    );
    assert_eq!(code, 2, "{err}");
    // Missing paths are I/O failures.
    let (code, _, err) = kiln(
        &["diff", &csis(), "--against", "/nonexistent/x.yaml"],
        None,
        None,
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("cannot read `/nonexistent/x.yaml`: no such file or directory"),
        "{err}"
    );
    // Usage: exactly one other side.
    let (code, _, err) = kiln(&["diff", &csis()], None, None);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = kiln(&["diff", &csis(), "--live", "--base", "HEAD"], None, None);
    assert_eq!(code, 2, "{err}");
}

/// A billion-laughs document: ten levels of ten aliases each.
fn bomb() -> String {
    let mut y = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        y.push_str(&format!(
            "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
        ));
    }
    y
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.yaml");
    let mut live = live_fixture();
    live = live.replacen("replicas: 2", "replicas: 1", 1);
    std::fs::write(&p, live).unwrap();
    let (code, out, _) = kiln(
        &["diff", &csis(), "--against", p.to_str().unwrap()],
        None,
        None,
    );
    assert_eq!(code, 1);
    assert!(!out.contains('\x1b'), "{out}");
    let (_, out, _) = kiln(
        &[
            "--color",
            "always",
            "diff",
            &csis(),
            "--against",
            p.to_str().unwrap(),
        ],
        None,
        None,
    );
    assert!(out.contains("\x1b[31m-  replicas: 1\x1b[0m"), "{out}");
    assert!(out.contains("\x1b[32m+  replicas: 2\x1b[0m"), "{out}");
}
