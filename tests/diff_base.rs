//! `kiln diff --base REV` in a git repository created by the test: two commits, the
//! second changing one field; the diff against `HEAD~1` shows that change in text,
//! markdown and JSON, from the repository root and from a subdirectory. Also: unknown
//! revision, file absent at the revision, file not compiling at the revision.

mod diff_support;

use diff_support::kiln;
use std::path::Path;
use std::process::Command;

const V1: &str = r#"app shop {
  namespace = "shop"
  image     = "registry.example.com/shop:1.0.0"

  worker queue {
    command  = ["bin/queue"]
    replicas = 2
  }
}
"#;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository with `deploy/app.kiln` at two commits (replicas 2, then 4).
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::create_dir(d.join("deploy")).unwrap();
    std::fs::write(d.join("deploy/app.kiln"), V1).unwrap();
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "first"]);
    std::fs::write(
        d.join("deploy/app.kiln"),
        V1.replace("replicas = 2", "replicas = 4"),
    )
    .unwrap();
    git(d, &["commit", "-q", "-am", "scale the queue"]);
    dir
}

#[test]
fn base_shows_the_change_of_the_last_commit_in_every_format() {
    let dir = repo();
    let d = dir.path();
    // Text, from the repository root.
    let (code, out, err) = kiln(
        &["diff", "deploy/app.kiln", "--base", "HEAD~1"],
        None,
        Some(d),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with("~ apps/v1 Deployment shop/shop-queue\n@@"),
        "{out}"
    );
    assert!(out.contains("-  replicas: 2\n+  replicas: 4\n"), "{out}");
    assert!(
        out.ends_with("1 changed, 0 added, 0 removed, 4 unchanged\n")
            || out.contains("1 changed, 0 added, 0 removed"),
        "{out}"
    );
    // Markdown, from a subdirectory, with a relative path.
    let (code, md, err) = kiln(
        &[
            "diff", "app.kiln", "--base", "HEAD~1", "--format", "markdown",
        ],
        None,
        Some(&d.join("deploy")),
    );
    assert_eq!(code, 1, "{md}{err}");
    assert!(
        md.starts_with("### kiln diff: 1 changed, 0 added, 0 removed"),
        "{md}"
    );
    assert!(
        md.contains("<details><summary><code>~ apps/v1 Deployment shop/shop-queue</code> (1 change)</summary>"),
        "{md}"
    );
    assert!(md.contains("```diff\n@@"), "{md}");
    assert!(md.contains("-  replicas: 2\n+  replicas: 4\n"), "{md}");
    // JSON.
    let (code, js, err) = kiln(
        &[
            "diff",
            "deploy/app.kiln",
            "--base",
            "HEAD~1",
            "--format",
            "json",
        ],
        None,
        Some(d),
    );
    assert_eq!(code, 1, "{js}{err}");
    let v: serde_json::Value = serde_json::from_str(&js).unwrap();
    assert_eq!(v["summary"]["changed"], 1);
    assert_eq!(v["objects"][0]["kind"], "Deployment");
    assert_eq!(
        v["objects"][0]["changes"],
        serde_json::json!([{"op": "replace", "path": "spec.replicas", "pointer": "/spec/replicas", "before": 2, "after": 4}])
    );
    // Summary.
    let (_, sum, _) = kiln(
        &["diff", "deploy/app.kiln", "--base", "HEAD~1", "--summary"],
        None,
        Some(d),
    );
    assert!(
        sum.starts_with("~ apps/v1 Deployment shop/shop-queue: spec.replicas: 2 → 4\n"),
        "{sum}"
    );
    // Against HEAD itself: nothing differs.
    let (code, out, _) = kiln(
        &["diff", "deploy/app.kiln", "--base", "HEAD"],
        None,
        Some(d),
    );
    assert_eq!(code, 0, "{out}");
    // The repository is untouched: no staged or modified files.
    let st = Command::new("git")
        .arg("-C")
        .arg(d)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert!(
        st.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&st.stdout)
    );
}

#[test]
fn base_errors_are_clear() {
    let dir = repo();
    let d = dir.path();
    let (code, _, err) = kiln(
        &["diff", "deploy/app.kiln", "--base", "no-such-branch"],
        None,
        Some(d),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown git revision `no-such-branch`"),
        "{err}"
    );
    let (code, _, err) = kiln(
        &["diff", "deploy/app.kiln", "--base", "--output=x"],
        None,
        Some(d),
    );
    assert_eq!(code, 2, "{err}");
    // Absent at the revision: everything added, with a note.
    std::fs::write(d.join("deploy/new.kiln"), V1.replace("shop", "fresh")).unwrap();
    let (code, out, err) = kiln(
        &["diff", "deploy/new.kiln", "--base", "HEAD"],
        None,
        Some(d),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with(
            "note: `deploy/new.kiln` does not exist at `HEAD`: every object is added\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("0 changed, 5 added, 0 removed, 0 unchanged")
            || out.contains(" added, 0 removed, 0 unchanged"),
        "{out}"
    );
    // Not compiling at the revision.
    std::fs::write(d.join("deploy/app.kiln"), "app broken {").unwrap();
    git(d, &["commit", "-q", "-am", "break"]);
    std::fs::write(d.join("deploy/app.kiln"), V1).unwrap();
    let (code, _, err) = kiln(
        &["diff", "deploy/app.kiln", "--base", "HEAD"],
        None,
        Some(d),
    );
    assert_eq!(code, 2);
    assert!(err.contains("HEAD:deploy/app.kiln"), "{err}");
    assert!(err.contains("does not compile at `HEAD`"), "{err}");
    // Outside any repository.
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(plain.path().join("app.kiln"), V1).unwrap();
    let (code, _, err) = kiln(
        &["diff", "app.kiln", "--base", "HEAD"],
        None,
        Some(plain.path()),
    );
    assert_eq!(code, 2);
    assert!(err.contains("is not inside a git repository"), "{err}");
}

#[test]
fn base_compiles_what_the_file_imports_at_the_revision() {
    // Only the imported template changes between the commits: the diff must see it.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    std::fs::create_dir(d.join("deploy")).unwrap();
    let lib = "template queue(replicas: int = 2) worker {\n  command  = [\"bin/queue\"]\n  replicas = replicas\n}\n";
    std::fs::write(d.join("deploy/lib.kiln"), lib).unwrap();
    std::fs::write(
        d.join("deploy/app.kiln"),
        "import \"./lib.kiln\"\n\napp shop {\n  namespace = \"shop\"\n  image     = \"registry.example.com/shop:1.0.0\"\n  worker jobs = queue() { }\n}\n",
    )
    .unwrap();
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "first"]);
    let (code, out, err) = kiln(
        &["diff", "deploy/app.kiln", "--base", "HEAD"],
        None,
        Some(d),
    );
    assert_eq!(code, 0, "{out}{err}");
    std::fs::write(d.join("deploy/lib.kiln"), lib.replace("int = 2", "int = 6")).unwrap();
    git(d, &["commit", "-q", "-am", "more queue workers by default"]);
    let (code, out, err) = kiln(
        &["diff", "deploy/app.kiln", "--base", "HEAD~1", "--summary"],
        None,
        Some(d),
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with("~ apps/v1 Deployment shop/shop-jobs: spec.replicas: 2 → 6\n"),
        "{out}"
    );
}
