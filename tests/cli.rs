//! CLI snapshots: each `tests/cli/*.cmd` holds the arguments of one `kiln` run (one line,
//! shell-like words; an optional `<name>.stdin` is piped in). The run's exit code, stdout
//! and stderr are compared with `<name>.out`. Bless with `KILN_BLESS=1 cargo test --test cli`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn run_case(cmd: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let line = std::fs::read_to_string(cmd).unwrap();
    let args: Vec<&str> = line.split_whitespace().collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(&args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = std::fs::read(cmd.with_extension("stdin")).unwrap_or_default();
    child.stdin.take().unwrap().write_all(&stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    format!(
        "$ kiln {}\n# exit {}\n--- stdout\n{}--- stderr\n{}",
        line.trim(),
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn cli_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let mut cmds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "cmd"))
        .collect();
    cmds.sort();
    assert!(!cmds.is_empty());
    let bless = std::env::var_os("KILN_BLESS").is_some();
    let mut failures = Vec::new();
    for cmd in cmds {
        let actual = run_case(&cmd);
        let expected_path = cmd.with_extension("out");
        if bless {
            std::fs::write(&expected_path, &actual).unwrap();
        } else if std::fs::read_to_string(&expected_path).unwrap_or_default() != actual {
            failures.push(format!("{}:\n{actual}", cmd.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "CLI output differs (KILN_BLESS=1 to accept):\n{}",
        failures.join("\n")
    );
}

/// `fmt` rewrites a file in place, keeps comments, and a second run changes nothing.
#[test]
fn fmt_in_place_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.kiln");
    std::fs::write(
        &path,
        "// keep me\napp demo {\nimage=\"r.example.com/demo:1.0.0\" // pinned\n  service web { port = 8080\n health = http(\"/up\") }\n}\n",
    )
    .unwrap();
    let kiln = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(args)
            .output()
            .unwrap()
    };
    let p = path.to_str().unwrap();
    assert_eq!(kiln(&["fmt", "--check", p]).status.code(), Some(1));
    assert_eq!(kiln(&["fmt", p]).status.code(), Some(0));
    let once = std::fs::read_to_string(&path).unwrap();
    assert!(
        once.contains("// keep me") && once.contains("// pinned"),
        "{once}"
    );
    assert_eq!(kiln(&["fmt", "--check", p]).status.code(), Some(0));
    assert_eq!(kiln(&["fmt", p]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), once);
}

/// A file with syntax errors is left byte-identical by `fmt`.
#[test]
fn fmt_leaves_broken_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.kiln");
    let text = "app demo {\n  image \"x\"\n";
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["fmt", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}
