//! `kiln init`: every template writes a formatted file that `kiln check` accepts with no
//! diagnostic at all; existing files are kept without `--force`; without a terminal a
//! missing value is an error naming the flag, never a wait for input.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn kiln(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        // Not a terminal: init must not ask.
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_template_checks_with_zero_diagnostics() {
    let d = tempfile::tempdir().unwrap();
    for t in ["rails", "node", "python-wsgi", "plain"] {
        let name = format!("my-{t}");
        let out = kiln(d.path(), &["init", t, "--template", t, "--name", &name]);
        assert_eq!(out.status.code(), Some(0), "{t}: {}", text(&out));
        let file = d.path().join(t).join("app.kiln");
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(written.contains(&format!("app {name} {{")), "{written}");
        // Zero diagnostics: no error, no warning, nothing on stderr.
        let check = kiln(
            d.path(),
            &["check", "--deny-warnings", &format!("{t}/app.kiln")],
        );
        assert_eq!(check.status.code(), Some(0), "{t}: {}", text(&check));
        assert!(check.stderr.is_empty(), "{t}: {}", text(&check));
        let json = kiln(
            d.path(),
            &["check", "--format", "json", &format!("{t}/app.kiln")],
        );
        assert!(json.stdout.is_empty(), "{t}: {}", text(&json));
        // Formatted: `fmt --check` has nothing to change.
        let fmt = kiln(d.path(), &["fmt", "--check", &format!("{t}/app.kiln")]);
        assert_eq!(fmt.status.code(), Some(0), "{t}: {}", text(&fmt));
        // The staging profile the scaffold ships compiles too.
        let staging = kiln(
            d.path(),
            &["compile", &format!("{t}/app.kiln"), "--profile", "staging"],
        );
        assert_eq!(staging.status.code(), Some(0), "{t}: {}", text(&staging));
    }
}

#[test]
fn an_existing_file_is_kept_without_force() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("app.kiln"), "// mine\n").unwrap();
    let out = kiln(d.path(), &["init", "--template", "plain", "--name", "demo"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--force"), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(d.path().join("app.kiln")).unwrap(),
        "// mine\n"
    );
    let out = kiln(
        d.path(),
        &["init", "--template", "plain", "--name", "demo", "--force"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let now = std::fs::read_to_string(d.path().join("app.kiln")).unwrap();
    assert!(now.contains("app demo {"), "{now}");
    // No temporary file left next to it.
    let names: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["app.kiln"]);
}

#[test]
fn without_a_terminal_missing_values_name_their_flag() {
    let d = tempfile::tempdir().unwrap();
    let out = kiln(d.path(), &["init", "--template", "rails"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("pass `--name APP`"), "{}", text(&out));
    let out = kiln(d.path(), &["init", "--name", "shop"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("`--template"), "{}", text(&out));
    assert!(!d.path().join("app.kiln").exists());
}

#[test]
fn a_file_name_and_a_bad_image() {
    let d = tempfile::tempdir().unwrap();
    let out = kiln(
        d.path(),
        &[
            "init",
            "api.kiln",
            "--template",
            "node",
            "--name",
            "api",
            "--image",
            "node:22.11.0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let written = std::fs::read_to_string(d.path().join("api.kiln")).unwrap();
    assert!(written.contains("image = \"node:22.11.0\""), "{written}");
    // An unpinned image is refused with the checker's diagnostic; nothing is written.
    let out = kiln(
        d.path(),
        &[
            "init",
            "web.kiln",
            "--template",
            "node",
            "--name",
            "web",
            "--image",
            "node:latest",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("K0307"), "{}", text(&out));
    assert!(!d.path().join("web.kiln").exists());
}

/// On a terminal, missing values are asked for with their defaults shown; an empty
/// answer takes the default. The terminal is made by util-linux `script` (skipped, with
/// a message, where it is not installed: the prompts are unit-tested in src/cli/init.rs).
#[test]
fn on_a_terminal_missing_values_are_asked_for() {
    if !Path::new("/usr/bin/script").exists() {
        eprintln!("skipped: /usr/bin/script (util-linux) is not installed");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let mut child = Command::new("/usr/bin/script")
        .args([
            "-qec",
            &format!("{} init blog/", env!("CARGO_BIN_EXE_kiln")),
            "/dev/null",
        ])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        // The name's default is the directory's; the template is typed; the image default.
        stdin.write_all(b"\npython-wsgi\n\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("app name [blog]: "), "{shown}");
    assert!(
        shown.contains("image [registry.example.com/blog:0.1.0]: "),
        "{shown}"
    );
    let written = std::fs::read_to_string(d.path().join("blog/app.kiln")).unwrap();
    assert!(written.contains("import \"std/python-wsgi\""), "{written}");
    assert!(written.contains("app blog {"), "{written}");
}
