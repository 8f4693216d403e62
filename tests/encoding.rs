//! Encodings, line endings and links (issue 9, "paths and imports"): what kiln reads is
//! UTF-8 text, with or without a byte order mark, with LF or CRLF line breaks; anything
//! else is a diagnostic that says where, never a panic and never a parse of guessed text.
//! Symbolic-link loops in a workspace or an import are bounded and diagnosed.
//!
//! `tests/encoding/*.kiln` are fixtures like `tests/fixtures/` (rendered diagnostics in
//! the `.diag` next to each, bless with `KILN_BLESS=1`); they live apart because they
//! are not all UTF-8, and the other fixture readers read text.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const KILN: &str = env!("CARGO_BIN_EXE_kiln");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn kiln(args: &[&str], cwd: &Path) -> Output {
    Command::new(KILN)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("run kiln")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn workdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("encoding-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

/// A valid app, its text with LF line breaks.
fn app(tag: &str) -> String {
    format!(
        "app shop {{\n  image = \"registry.example.com/shop:{tag}\"\n  env {{ GREETING = \"héllo wörld\" }}\n  service web {{\n    port   = 80\n    health = http(\"/up\")\n  }}\n}}\n"
    )
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

// ---- the fixtures ---------------------------------------------------------------------

#[test]
fn encoding_fixtures() {
    let bless = std::env::var_os("KILN_BLESS").is_some();
    let mut failures = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/encoding"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "kiln"))
        .collect();
    files.sort();
    assert!(files.len() >= 3);
    for path in files {
        let rel = path.strip_prefix(root()).unwrap();
        let source = kiln::Source::from_path(rel).unwrap();
        let analysis = kiln::analyze(&source, &kiln::Options::default());
        let mut out = kiln::diag::render::to_text(&analysis.diagnostics.0, &source.map, false);
        out.push_str(&kiln::diag::render::to_json_lines(
            &analysis.diagnostics.0,
            &source.map,
        ));
        let expected_path = path.with_extension("diag");
        if bless {
            std::fs::write(&expected_path, &out).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != out {
            failures.push(format!(
                "--- {}\n--- expected\n{expected}\n--- actual\n{out}",
                rel.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- not UTF-8 ------------------------------------------------------------------------

/// The offset and byte of the first invalid sequence of `tests/encoding/not_utf8.kiln`.
fn latin1_app(dir: &Path) -> (PathBuf, Vec<u8>, usize) {
    let bytes = std::fs::read(root().join("tests/encoding/not_utf8.kiln")).unwrap();
    let at = bytes.iter().position(|&b| b == 0xE9).unwrap();
    let p = dir.join("app.kiln");
    std::fs::write(&p, &bytes).unwrap();
    (p, bytes, at)
}

#[test]
fn not_utf8_is_a_diagnostic_for_every_command() {
    let w = workdir();
    let d = w.path();
    let (_, bytes, at) = latin1_app(d);
    let offset = format!("byte offset {at}");
    for args in [
        vec!["check", "app.kiln"],
        vec!["compile", "app.kiln"],
        vec!["compile", "app.kiln", "-o", "out"],
        vec!["plan", "app.kiln"],
        vec!["fmt", "app.kiln"],
        vec!["fmt", "--check", "app.kiln"],
    ] {
        let o = kiln(&args, d);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{args:?}: {err}");
        assert!(err.contains("error[K0020]"), "{args:?}: {err}");
        assert!(err.contains(&offset), "{args:?}: {err}");
        assert!(err.contains("0xE9"), "{args:?}: {err}");
        // Line 3, column 24: the header points at the byte.
        assert!(err.contains("app.kiln:3:24"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(
            std::fs::read(d.join("app.kiln")).unwrap(),
            bytes,
            "{args:?}"
        );
        assert!(!d.join("out").exists(), "{args:?}");
    }
    let o = kiln(&["check", "--format", "json", "app.kiln"], d);
    assert_eq!(code(&o), 2);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(v["code"], "K0020");
    assert_eq!(v["start"]["offset"], at);
    assert_eq!(v["start"]["line"], 3);
    // Standard input too.
    let o = Command::new(KILN)
        .args(["check", "-"])
        .stdin(std::fs::File::open(d.join("app.kiln")).unwrap())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("<stdin>:3:24"), "{}", stderr(&o));
    let o = Command::new(KILN)
        .args(["fmt", "-"])
        .stdin(std::fs::File::open(d.join("app.kiln")).unwrap())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}

#[test]
fn not_utf8_keeps_the_previous_bundle() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("app.kiln"), app("1.0")).unwrap();
    assert_eq!(code(&kiln(&["compile", "app.kiln", "-o", "out"], d)), 0);
    let before = std::fs::read_dir(d.join("out")).unwrap().count();
    latin1_app(d);
    let o = kiln(&["compile", "app.kiln", "-o", "out"], d);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(d.join("out")).unwrap().count(), before);
}

#[test]
fn utf16_and_binary_files_are_diagnostics() {
    let w = workdir();
    let d = w.path();
    // UTF-16 with its byte order mark (what some Windows tools write), and random bytes.
    let utf16: Vec<u8> = "\u{feff}app a { }\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(d.join("utf16.kiln"), utf16).unwrap();
    let binary: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(d.join("binary.kiln"), binary).unwrap();
    for f in ["utf16.kiln", "binary.kiln"] {
        let o = kiln(&["check", f], d);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{f}: {err}");
        assert!(
            err.contains("K0020") && err.contains("byte offset"),
            "{f}: {err}"
        );
        // The snippet shows the bytes that decode, but no control character: a hostile
        // file cannot send escape sequences to the terminal.
        assert!(
            !err.contains('\u{1b}'),
            "{f}: an escape character was printed"
        );
        assert!(err.len() < 4096, "{f}: {} bytes", err.len());
    }
}

#[test]
fn importing_a_file_that_is_not_utf8() {
    let w = workdir();
    let d = w.path();
    let bytes = std::fs::read(root().join("tests/encoding/not_utf8.kiln")).unwrap();
    let at = bytes.iter().position(|&b| b == 0xE9).unwrap();
    std::fs::write(d.join("lib.kiln"), bytes).unwrap();
    std::fs::write(
        d.join("main.kiln"),
        "import \"./lib.kiln\"\n\napp other {\n  image = \"registry.example.com/o:1\"\n  worker w { command = [\"x\"] }\n}\n",
    )
    .unwrap();
    for args in [vec!["check", "main.kiln"], vec!["check", "."]] {
        let o = kiln(&args, d);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{args:?}: {err}");
        // K0020 as `kiln check lib.kiln` says it (src/modules.rs), not "cannot read":
        // at the import, with the bad byte in the imported file.
        assert!(
            err.contains(&format!(
                "error[K0020]: `./lib.kiln` is not valid UTF-8: 0xE9 at byte offset {at}"
            )),
            "{args:?}: {err}"
        );
        assert!(err.contains("import \"./lib.kiln\""), "{args:?}: {err}");
        assert!(err.contains("lib.kiln:3:24"), "{args:?}: {err}");
        assert!(err.contains("line 3, column 24"), "{args:?}: {err}");
        assert!(!err.contains("K0608"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // Imported twice (two files, or twice by one): reported at each import, read once.
    std::fs::write(
        d.join("other.kiln"),
        "import \"./lib.kiln\"\nimport \"./lib.kiln\"\n",
    )
    .unwrap();
    let o = kiln(&["check", "."], d);
    let err = stderr(&o);
    assert_eq!(err.matches("error[K0020]").count(), 4, "{err}");
}

#[test]
fn importing_a_file_that_is_too_large() {
    let w = workdir();
    let d = w.path();
    // A sparse file over the 16 MiB limit: valid UTF-8 (zeros), refused for its size.
    let f = std::fs::File::create(d.join("big.kiln")).unwrap();
    f.set_len(17 * 1024 * 1024).unwrap();
    std::fs::write(
        d.join("main.kiln"),
        format!("import \"./big.kiln\"\n{}", app("1.0")),
    )
    .unwrap();
    let o = kiln(&["check", "main.kiln"], d);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(
        err.contains("error[K0608]: cannot read `./big.kiln`"),
        "{err}"
    );
    assert!(err.contains("larger than 16 MiB"), "{err}");
    assert!(!err.contains("UTF-8"), "{err}");
}

// ---- byte order mark ------------------------------------------------------------------

#[test]
fn byte_order_mark_changes_nothing() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("plain.kiln"), app("1.0")).unwrap();
    std::fs::write(d.join("bom.kiln"), format!("\u{feff}{}", app("1.0"))).unwrap();
    let plain = kiln(&["compile", "plain.kiln"], d);
    let bom = kiln(&["compile", "bom.kiln"], d);
    assert_eq!(code(&bom), 0, "{}", stderr(&bom));
    assert_eq!(plain.stdout, bom.stdout);
    // An error on the first line: the same column with and without the mark.
    let bad = "app shop { bogus = 1\n  image = \"registry.example.com/shop:1\"\n}\n";
    std::fs::write(d.join("plain.kiln"), bad).unwrap();
    std::fs::write(d.join("bom.kiln"), format!("\u{feff}{bad}")).unwrap();
    for f in ["plain.kiln", "bom.kiln"] {
        let o = kiln(&["check", f], d);
        assert!(stderr(&o).contains(&format!("{f}:1:12")), "{}", stderr(&o));
        let o = kiln(&["check", "--format", "json", f], d);
        let v: serde_json::Value =
            serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
        assert_eq!(v["start"]["column"], 12, "{f}");
        assert_eq!(v["start"]["line"], 1, "{f}");
    }
}

#[test]
fn fmt_keeps_the_byte_order_mark() {
    let w = workdir();
    let d = w.path();
    let text = format!("\u{feff}{}", app("1.0").replace("\n  ", "\n      "));
    std::fs::write(d.join("app.kiln"), &text).unwrap();
    let o = kiln(&["fmt", "app.kiln"], d);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let now = std::fs::read_to_string(d.join("app.kiln")).unwrap();
    assert_eq!(now, format!("\u{feff}{}", app("1.0")));
    assert_eq!(code(&kiln(&["fmt", "--check", "app.kiln"], d)), 0);
}

// ---- CRLF -----------------------------------------------------------------------------

#[test]
fn crlf_compiles_like_lf() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("lf.kiln"), app("1.0")).unwrap();
    std::fs::write(d.join("crlf.kiln"), crlf(&app("1.0"))).unwrap();
    let lf = kiln(&["compile", "lf.kiln"], d);
    let cr = kiln(&["compile", "crlf.kiln"], d);
    assert_eq!(code(&cr), 0, "{}", stderr(&cr));
    assert_eq!(lf.stdout, cr.stdout);
    assert!(!stdout(&cr).contains('\r'));
}

#[test]
fn crlf_diagnostics_have_the_right_lines_and_columns() {
    // Errors on lines 3 and 6 (after CRLF breaks) and after a two-byte character: text
    // counts characters, JSON counts bytes, both from the start of the line.
    let path = "tests/encoding/crlf_errors.kiln";
    let o = kiln(&["check", path], root());
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    for at in [":3:3", ":6:5", ":6:18"] {
        assert!(err.contains(&format!("{path}{at}")), "{at}: {err}");
    }
    assert!(
        !err.contains('\r'),
        "a carriage return reached the terminal"
    );
    let o = kiln(&["check", "--format", "json", path], root());
    let found: Vec<(u64, u64, u64)> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["start"]["line"].as_u64().unwrap(),
                v["start"]["column"].as_u64().unwrap(),
                v["start"]["offset"].as_u64().unwrap(),
            )
        })
        .collect();
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let off = |s: &str| text.find(s).unwrap() as u64;
    assert_eq!(
        found,
        [
            (3, 3, off("replica")),
            (6, 5, off("bogus ")),
            (6, 20, off("bogus2"))
        ]
    );
}

#[test]
fn fmt_keeps_crlf() {
    let w = workdir();
    let d = w.path();
    let messy = crlf(&app("1.0").replace("\n  ", "\n      "));
    std::fs::write(d.join("app.kiln"), &messy).unwrap();
    let o = kiln(&["fmt", "app.kiln"], d);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let now = std::fs::read_to_string(d.join("app.kiln")).unwrap();
    assert_eq!(now, crlf(&app("1.0")));
    // Formatted CRLF text is stable: `fmt --check` does not ask to convert it.
    let o = kiln(&["fmt", "--check", "app.kiln"], d);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    // Standard input alike.
    let o = Command::new(KILN)
        .args(["fmt", "-"])
        .stdin(std::fs::File::open(d.join("app.kiln")).unwrap())
        .output()
        .unwrap();
    assert_eq!(stdout(&o), crlf(&app("1.0")));
    // A file whose first line ends with LF is written with LF (mixed endings settle on
    // the first line's).
    let mixed = format!("{}{}", app("1.0").replace("\n  ", "\n      "), "\r\n");
    std::fs::write(d.join("mixed.kiln"), &mixed).unwrap();
    assert_eq!(code(&kiln(&["fmt", "mixed.kiln"], d)), 0);
    assert!(
        !std::fs::read_to_string(d.join("mixed.kiln"))
            .unwrap()
            .contains('\r')
    );
}

// ---- symbolic links -------------------------------------------------------------------

fn within<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    let v = rx
        .recv_timeout(limit)
        .unwrap_or_else(|_| panic!("{what}: not finished after {limit:?}"));
    eprintln!("{what}: {:?}", start.elapsed());
    v
}

#[cfg(unix)]
#[test]
fn symlink_loops_in_a_workspace_are_bounded() {
    use std::os::unix::fs::symlink;
    let w = workdir();
    let ws = w.path().join("ws");
    std::fs::create_dir_all(ws.join("sub")).unwrap();
    std::fs::write(ws.join("sub/app.kiln"), app("1.0")).unwrap();
    // A directory link to an ancestor (an endless tree if followed), a link to itself,
    // and two links to each other.
    symlink("..", ws.join("sub/up")).unwrap();
    symlink("self.kiln", ws.join("self.kiln")).unwrap();
    symlink("b.kiln", ws.join("a.kiln")).unwrap();
    symlink("a.kiln", ws.join("b.kiln")).unwrap();
    let cwd = w.path().to_path_buf();
    let o = within(
        "kiln check on a looping workspace",
        Duration::from_secs(30),
        move || kiln(&["check", "ws"], &cwd),
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    for name in ["self.kiln", "a.kiln", "b.kiln"] {
        assert!(err.contains(name), "{name} not diagnosed: {err}");
    }
    assert!(!err.contains("up/"), "a directory link was followed: {err}");
    // fmt lists the same files and says it cannot read the loops.
    let cwd = w.path().to_path_buf();
    let o = within(
        "kiln fmt on a looping workspace",
        Duration::from_secs(30),
        move || kiln(&["fmt", "--check", "ws"], &cwd),
    );
    assert_ne!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("self.kiln"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn symlink_loops_in_imports_are_bounded() {
    use std::os::unix::fs::symlink;
    let w = workdir();
    let d = w.path();
    std::fs::write(
        d.join("main.kiln"),
        format!(
            "import \"./loop.kiln\"\nimport \"./alias.kiln\"\n{}",
            app("1.0")
        ),
    )
    .unwrap();
    symlink("loop.kiln", d.join("loop.kiln")).unwrap();
    // A link back to the importing file: an import cycle through a link.
    symlink("main.kiln", d.join("alias.kiln")).unwrap();
    let cwd = d.to_path_buf();
    let o = within(
        "imports through link loops",
        Duration::from_secs(30),
        move || kiln(&["check", "main.kiln"], &cwd),
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    // Said as a loop (ELOOP), not "cannot find": the file is there, its links go round.
    assert!(
        err.contains("error[K0608]: `./loop.kiln` is a symbolic link loop"),
        "{err}"
    );
    assert!(!err.contains("cannot find"), "{err}");
    assert!(err.contains("help: point the link"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // A loop in a directory of the path is the same.
    std::fs::write(
        d.join("main.kiln"),
        format!("import \"./d/x.kiln\"\n{}", app("1.0")),
    )
    .unwrap();
    symlink("d", d.join("d")).unwrap();
    let o = kiln(&["check", "main.kiln"], d);
    let err = stderr(&o);
    assert_eq!(code(&o), 2, "{err}");
    assert!(
        err.contains("`./d/x.kiln` is a symbolic link loop"),
        "{err}"
    );
}
