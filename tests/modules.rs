//! Modules: imports (standard library, relative, aliases, cycles, missing files, the
//! project root), workspaces, templates and `--set`, each in a temporary project.

use kiln::{Options, Source};
use std::path::Path;

const IMAGE: &str = "registry.example.com/a:1.0.0";

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(p, text).unwrap();
}

/// (codes, rendered text) of an analysis.
fn check(source: &Source, options: &Options) -> (Vec<&'static str>, String) {
    let a = kiln::analyze(source, options);
    let codes = a.diagnostics.iter().map(|d| d.code.as_str()).collect();
    let text = kiln::diag::render::to_text(&a.diagnostics.0, &source.map, false);
    (codes, text)
}

fn check_file(path: &Path, options: &Options) -> (Vec<&'static str>, String) {
    let mut source = Source::from_path(path).unwrap();
    source.prepare(options);
    check(&source, options)
}

fn yaml(path: &Path, options: &Options) -> String {
    let mut source = Source::from_path(path).unwrap();
    source.prepare(options);
    match kiln::compile(&source, options) {
        Ok(b) => b.to_yaml(),
        Err(d) => panic!(
            "does not compile:\n{}",
            kiln::diag::render::to_text(&d.0, &source.map, false)
        ),
    }
}

fn app(name: &str, body: &str) -> String {
    format!("app {name} {{\n  image = \"{IMAGE}\"\n{body}\n}}\n")
}

#[test]
fn relative_import_with_alias_and_template() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "lib/shared.kiln",
        "let mode = \"fast\"\ntemplate web(port: port = 8080, replicas: int = 2) service {\n  port = port\n  replicas = replicas\n  health = http(\"/up\")\n}\n",
    );
    write(
        d.path(),
        "app.kiln",
        &format!(
            "import \"./lib/shared.kiln\" as shared\n{}",
            app(
                "a",
                "  env { MODE = shared.mode }\n  service front = web(replicas = 3) { port = 9000 }"
            )
        ),
    );
    let out = yaml(&d.path().join("app.kiln"), &Options::default());
    assert!(out.contains("replicas: 3"), "{out}");
    assert!(out.contains("containerPort: 9000"), "{out}");
    assert!(out.contains("MODE: fast"), "{out}");
}

#[test]
fn stdlib_import_compiles() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "app.kiln",
        &format!(
            "import \"std/rails\"\n{}",
            app(
                "shop",
                "  job migrate = rails_migrate() { }\n  job seed = rails_seed() { }\n  service web = rails_web() { }\n  worker queue = sidekiq() { }"
            )
        ),
    );
    let out = yaml(&d.path().join("app.kiln"), &Options::default());
    assert!(
        out.contains("db:migrate") && out.contains("sidekiq"),
        "{out}"
    );
}

#[test]
fn unknown_stdlib_module_suggests() {
    let src = Source::from_text("t.kiln", format!("import \"std/rials\"\n{}", app("a", "")));
    let (codes, text) = check(&src, &Options::default());
    assert_eq!(codes, ["K0607"], "{text}");
    assert!(text.contains("did you mean `std/rails`?"), "{text}");
}

#[test]
fn cycle_missing_and_outside_root() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("proj");
    write(&root, "a.kiln", "import \"./b.kiln\"\n");
    write(&root, "b.kiln", "import \"./a.kiln\"\n");
    write(d.path(), "outside.kiln", "let x = \"1\"\n");
    write(
        &root,
        "app.kiln",
        &format!(
            "import \"./a.kiln\"\nimport \"./nope.kiln\"\nimport \"../outside.kiln\"\n{}",
            app("a", "")
        ),
    );
    let (codes, text) = check_file(&root.join("app.kiln"), &Options::default());
    assert!(codes.contains(&"K0606"), "{text}");
    assert!(codes.contains(&"K0608"), "{text}");
    assert!(codes.contains(&"K0609"), "{text}");
    assert!(text.contains("cycle:"), "{text}");

    // With --allow-outside the outside module is read (its unused let warns).
    let opts = Options {
        allow_outside: true,
        ..Options::default()
    };
    let (codes, text) = check_file(&root.join("app.kiln"), &opts);
    assert!(!codes.contains(&"K0609"), "{text}");
    assert!(text.contains("outside.kiln"), "{text}");
}

#[test]
fn workspace_directory() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "lib/common.kiln",
        "template small() worker {\n  replicas = 1\n  command = [\"run\"]\n}\n",
    );
    write(
        d.path(),
        "one.kiln",
        &format!(
            "import \"./lib/common.kiln\"\n{}",
            app("one", "  worker w = small() { }")
        ),
    );
    write(
        d.path(),
        "two.kiln",
        &app("two", "  worker w = small() { }"),
    );
    write(
        d.path(),
        "profiles.kiln",
        "profile staging {\n  two.w.replicas = 3\n}\n",
    );
    let src = Source::from_dir(d.path()).unwrap();
    let out = kiln::compile(&src, &Options::default())
        .map(|b| b.to_yaml())
        .unwrap_or_else(|e| panic!("{}", kiln::diag::render::to_text(&e.0, &src.map, false)));
    assert!(
        out.contains("name: one-w") && out.contains("name: two-w"),
        "{out}"
    );
    let staged = kiln::compile(
        &src,
        &Options {
            profile: Some("staging".into()),
            ..Options::default()
        },
    )
    .unwrap()
    .to_yaml();
    assert!(staged.contains("replicas: 3"), "{staged}");
}

#[test]
fn template_error_points_at_template_and_use() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "t.kiln",
        "template bad() service {\n  port = 3000\n  replicsa = 2\n}\n",
    );
    write(
        d.path(),
        "app.kiln",
        &format!(
            "import \"./t.kiln\"\n{}",
            app("a", "  service web = bad() { }")
        ),
    );
    let (codes, text) = check_file(&d.path().join("app.kiln"), &Options::default());
    assert_eq!(codes, ["K0101"], "{text}");
    assert!(text.contains("t.kiln:3:3"), "{text}");
    assert!(text.contains("in this instantiation of `bad`"), "{text}");
    assert!(text.contains("app.kiln:4:17"), "{text}");
}

#[test]
fn template_arguments_are_checked() {
    let base = "template w(replicas: int = 1, command: list(string)) worker {\n  replicas = replicas\n  command = command\n}\n";
    let cases = [
        (
            "worker x = w(command = [\"a\"], replicas = \"2\") { }",
            "K0616",
        ),
        ("worker x = w() { }", "K0615"),
        ("worker x = w(command = [\"a\"], replica = 2) { }", "K0614"),
        ("worker x = nope() { }", "K0612"),
        ("service x = w(command = [\"a\"]) { }", "K0613"),
    ];
    for (block, code) in cases {
        let src = Source::from_text("t.kiln", format!("{base}{}", app("a", block)));
        let (codes, text) = check(&src, &Options::default());
        assert_eq!(codes, [code], "{block}\n{text}");
    }
}

#[test]
fn set_overrides_are_type_checked() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "app.kiln",
        &app(
            "a",
            "  worker w {\n    replicas = 1\n    command = [\"x\"]\n  }",
        ),
    );
    let p = d.path().join("app.kiln");
    let good = Options {
        sets: vec!["a.w.replicas = 5".into()],
        ..Options::default()
    };
    assert!(yaml(&p, &good).contains("replicas: 5"));
    let bad = Options {
        sets: vec!["a.w.replicas = \"five\"".into()],
        ..Options::default()
    };
    let (codes, text) = check_file(&p, &bad);
    assert_eq!(codes, ["K0103"], "{text}");
    assert!(text.contains("--set"), "{text}");
    let broken = Options {
        sets: vec!["a.w.replicas".into()],
        ..Options::default()
    };
    let (codes, text) = check_file(&p, &broken);
    assert_eq!(codes, ["K0001"], "{text}");
    let two = Options {
        sets: vec!["a.w.replicas = 1 a.w.command = [\"y\"]".into()],
        ..Options::default()
    };
    let (codes, text) = check_file(&p, &two);
    assert_eq!(codes, ["K0618"], "{text}");
}

#[test]
fn profile_changing_replicas_changes_only_replicas() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "app.kiln",
        &format!(
            "import \"std/rails\"\n{}profile more {{\n  a.web.replicas = 5\n}}\n",
            app("a", "  service web = rails_web() { }")
        ),
    );
    let p = d.path().join("app.kiln");
    let before = yaml(&p, &Options::default());
    let after = yaml(
        &p,
        &Options {
            profile: Some("more".into()),
            ..Options::default()
        },
    );
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(before.lines().count(), after.lines().count());
    assert!(!changed.is_empty());
    for (a, b) in changed {
        assert!(
            a.contains("replicas") && b.contains("replicas"),
            "{a} → {b}"
        );
    }
}
