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

fn fixture_workspace(name: &str) -> std::path::PathBuf {
    // Relative to the package root (where tests run), so rendered names are stable.
    Path::new("tests/fixtures/workspaces").join(name)
}

fn compile_dir(dir: &Path, options: &Options) -> Result<kiln::Bundle, String> {
    let mut src = Source::from_dir(dir).unwrap();
    src.prepare(options);
    kiln::compile(&src, options).map_err(|e| kiln::diag::render::to_text(&e.0, &src.map, false))
}

/// The data of the ConfigMap mounted by `volume NAME` of `web`.
fn volume_data(b: &kiln::Bundle, volume: &str) -> String {
    let deployment = b
        .objects
        .iter()
        .find(|o| o.kind == "Deployment")
        .expect("a Deployment");
    let vols = deployment.value["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let cm = vols
        .iter()
        .find(|v| v["name"] == volume)
        .and_then(|v| v["configMap"]["name"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no volume {volume}: {vols:?}"));
    let obj = b
        .objects
        .iter()
        .find(|o| o.kind == "ConfigMap" && o.name == cm)
        .expect("the ConfigMap");
    obj.value["data"].to_string()
}

/// `file(..)` in an imported module is relative to that module's file, in every form
/// (plain, through a `let`, interpolated); an app's own `file(..)` is relative to it.
#[test]
fn file_paths_are_relative_to_the_module_that_writes_them() {
    let b = compile_dir(&fixture_workspace("files"), &Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    for v in ["nginx", "by-name", "interpolated"] {
        let data = volume_data(&b, v);
        assert!(data.contains("# lib/conf/nginx.conf"), "{v}: {data}");
    }
    assert!(volume_data(&b, "extra").contains("# apps/extra.conf"));
    // The file names in the ConfigMaps are the files' own names.
    assert!(volume_data(&b, "nginx").contains("\"nginx.conf\""));
}

/// A missing file in a module is reported in that module, with its path from the root.
#[test]
fn a_missing_file_in_a_module_is_reported_there() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "lib/t.kiln",
        "template conf() service {\n  port = 80\n  replicas = 2\n  health = http(\"/\")\n  volume c {\n    mount = \"/c\"\n    files = [file(\"missing.conf\")]\n  }\n}\n",
    );
    write(d.path(), "missing.conf", "at the root: must not be read\n");
    write(
        d.path(),
        "app.kiln",
        &format!(
            "import \"./lib/t.kiln\"\n{}",
            app("a", "  service web = conf() { }")
        ),
    );
    let (codes, text) = check_file(&d.path().join("app.kiln"), &Options::default());
    assert_eq!(codes, ["K0312"], "{text}");
    assert!(text.contains("lib/missing.conf"), "{text}");
    assert!(text.contains("t.kiln:7:"), "{text}");
}

/// The top-level `let`s of every file of a workspace share one scope: a name bound in
/// one file is used in another without an import, and binding it twice is an error
/// that points at both files.
#[test]
fn workspace_lets_share_one_scope() {
    let b = compile_dir(&fixture_workspace("files"), &Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let yaml = b.to_yaml();
    assert!(
        yaml.contains("image: registry.example.com/shop:1.2.3"),
        "{yaml}"
    );

    let d = tempfile::tempdir().unwrap();
    write(d.path(), "a.kiln", &app("a", "  env { MODE = mode }"));
    write(d.path(), "b.kiln", "let mode = \"fast\"\n");
    write(d.path(), "c.kiln", "let mode = \"slow\"\n");
    let src = Source::from_dir(d.path()).unwrap();
    let (codes, text) = check(&src, &Options::default());
    assert_eq!(codes, ["K0201"], "{text}");
    assert!(text.contains("b.kiln") && text.contains("c.kiln"), "{text}");
}

/// K0619: an unused template of a workspace file is reported; compiled alone, an app
/// importing a shared module is not told about the module's other templates.
#[test]
fn unused_templates_of_a_workspace() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "shared.kiln",
        "template used() worker {\n  replicas = 1\n  command = [\"run\"]\n}\ntemplate spare() worker {\n  replicas = 1\n  command = [\"run\"]\n}\n",
    );
    write(
        d.path(),
        "one.kiln",
        &format!(
            "import \"./shared.kiln\"\n{}",
            app("one", "  worker w = used() { }")
        ),
    );
    let src = Source::from_dir(d.path()).unwrap();
    let (codes, text) = check(&src, &Options::default());
    assert_eq!(codes, ["K0619"], "{text}");
    assert!(
        text.contains("template `spare` is never used") && text.contains("shared.kiln:5:"),
        "{text}"
    );
    let (codes, text) = check_file(&d.path().join("one.kiln"), &Options::default());
    assert!(codes.is_empty(), "{text}");
}

/// A problem inside a template names the instantiation it comes from: an argument that
/// makes one use wrong is reported with that use only; a mistake in the template itself
/// is one diagnostic naming every use.
#[test]
fn template_diagnostics_name_their_own_instantiation() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "t.kiln",
        "template web(replicas: int = 2) service {\n  port = 8080\n  replicas = replicas\n  health = http(\"/up\")\n}\ntemplate bad() worker {\n  command = [\"run\"]\n  replicsa = 2\n}\n",
    );
    write(
        d.path(),
        "app.kiln",
        &format!(
            "import \"./t.kiln\"\n{}",
            app(
                "a",
                "  service one = web(replicas = 1) { }\n  service two = web() { }\n  worker w1 = bad() { }\n  worker w2 = bad() { }"
            )
        ),
    );
    let (codes, text) = check_file(&d.path().join("app.kiln"), &Options::default());
    assert_eq!(codes, ["K0909", "K0101"], "{text}");
    // One chunk per diagnostic: each starts with its severity.
    let mut chunks: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("warning[") || line.starts_with("error[") || chunks.is_empty() {
            chunks.push(String::new());
        }
        if let Some(c) = chunks.last_mut() {
            c.push_str(line);
            c.push('\n');
        }
    }
    let single = chunks
        .iter()
        .find(|b| b.contains("K0909"))
        .cloned()
        .unwrap_or_default();
    assert!(single.contains("t.kiln:3:14"), "{text}");
    assert!(single.contains("app.kiln:4:17"), "{text}");
    assert_eq!(
        single.matches("in this instantiation").count(),
        1,
        "only `one` has 1 replica:\n{text}"
    );
    let typo = chunks
        .iter()
        .find(|b| b.contains("replicsa"))
        .cloned()
        .unwrap_or_default();
    assert!(typo.contains("t.kiln:8:3"), "{text}");
    assert_eq!(
        typo.matches("in this instantiation of `bad`").count(),
        2,
        "{text}"
    );
}
