//! Hostile input: whatever a pull request or an editor buffer holds, kiln finishes in
//! bounded time and memory, and says so with a diagnostic where a limit is hit.
//!
//! Each test measures its own time against a generous bound (tens of times what it
//! takes on a quiet machine, in a debug build) and runs the work on a separate thread,
//! so a hang fails the test at the bound instead of stalling the suite, and a slow
//! shared machine does not make it flaky. The limits are documented in
//! docs/language.md ("Limits") and docs/security.md.
//!
//! The fuzz targets' properties (fuzz/src/lib.rs) are included here and replayed over
//! the committed corpus and every regression input, so CI checks them on stable Rust
//! without libFuzzer.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod fuzz_props;

use kiln::diag::{Diagnostics, codes};
use kiln::{Options, Source};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs `work` on its own thread (with a large stack, as the CLI's main thread would
/// not have: recursion must be bounded by kiln, not by luck) and fails if it has not
/// finished within `limit`.
fn bounded<T: Send + 'static>(
    what: &str,
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    std::thread::Builder::new()
        .name(what.to_string())
        // The default test-thread stack (2 MiB), not a larger one: the CLI's main thread
        // has 8 MiB, so passing here leaves room.
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let _ = tx.send(work());
        })
        .expect("spawn");
    match rx.recv_timeout(limit) {
        Ok(v) => {
            eprintln!("{what}: {:?}", start.elapsed());
            v
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: not finished after {limit:?} (a hang or a quadratic path)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the work panicked"),
    }
}

fn analyze(text: String) -> Diagnostics {
    let source = Source::from_text("hostile.kiln", text);
    kiln::analyze(&source, &Options::default()).diagnostics
}

fn codes_of(d: &Diagnostics) -> Vec<&'static str> {
    d.iter().map(|d| d.code.as_str()).collect()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A small valid app around `body`.
fn app(body: &str) -> String {
    format!("app a {{\n  image = \"registry.example.com/a:1.0\"\n{body}}}\n")
}

// ---- nesting --------------------------------------------------------------------------

const DEEP: usize = 10_000;

fn assert_too_deep(what: &str, text: String) {
    let d = bounded(what, secs(20), move || analyze(text));
    assert!(
        codes_of(&d).contains(&codes::TOO_DEEP.as_str()),
        "{what}: expected K0004, got {:?}",
        codes_of(&d)
    );
}

#[test]
fn deep_lists() {
    assert_too_deep(
        "10,000 nested lists",
        format!("let x = {}{}\n", "[".repeat(DEEP), "]".repeat(DEEP)),
    );
}

#[test]
fn deep_blocks() {
    assert_too_deep(
        "10,000 nested blocks",
        app(&format!("{}{}\n", "b {\n".repeat(DEEP), "}\n".repeat(DEEP))),
    );
}

#[test]
fn deep_calls() {
    assert_too_deep(
        "10,000 nested calls",
        format!("let x = {}1{}\n", "f(".repeat(DEEP), ")".repeat(DEEP)),
    );
}

#[test]
fn deep_interpolations() {
    assert_too_deep(
        "10,000 nested interpolations",
        format!("let x = {}{}\n", "\"${".repeat(DEEP), "}\"".repeat(DEEP)),
    );
}

#[test]
fn deep_ranges_and_paths() {
    // Ranges do not nest in the grammar (`a .. b .. c` is an error) and dotted paths
    // are flat lists: long ones must stay linear.
    let text = format!("let x = {}\n", vec!["1"; 20_000].join(" .. "));
    let d = bounded("20,000 chained ranges", secs(20), move || analyze(text));
    assert!(d.has_errors());
    let path = vec!["a"; 50_000].join(".");
    let text = format!("let y = 1\nlet x = {path}\n");
    bounded("a 50,000-part dotted path", secs(20), move || analyze(text));
}

#[test]
fn unclosed_everything() {
    // Thousands of openers and no closer: recovery supplies closers up to the depth
    // limit, never one per opener.
    for (what, open) in [("blocks", "b {\n"), ("lists", "["), ("calls", "f(")] {
        let text = format!("let x = 1\napp a {{\n{}", open.repeat(DEEP));
        let d = bounded(what, secs(20), move || analyze(text));
        assert!(d.has_errors(), "{what}");
    }
}

// ---- size -----------------------------------------------------------------------------

#[test]
fn file_of_50_mb_is_refused() {
    let line = format!("// {}\n", "x".repeat(76));
    let text = line.repeat(50 * 1024 * 1024 / line.len());
    let d = bounded("a 50 MB file", secs(20), move || analyze(text));
    assert_eq!(codes_of(&d), [codes::INPUT_TOO_LARGE.as_str()]);
}

#[test]
fn file_just_under_the_limit() {
    // 15 MiB of comments and small apps: accepted, checked in bounded time.
    let unit = app("  worker w { command = [\"run\"] }\n");
    let mut text = String::new();
    let filler = format!("// {}\n", "y".repeat(1020));
    while text.len() + unit.len() + filler.len() < 15 * 1024 * 1024 {
        text.push_str(&filler);
    }
    text.push_str(&unit);
    let d = bounded("15 MiB near the size limit", secs(60), move || {
        analyze(text)
    });
    assert!(!d.has_errors(), "{:?}", codes_of(&d));
}

#[test]
fn line_of_10_mb() {
    // One line of 10 MB that is not valid: one error, the parser does not retry per token.
    let text = format!("let x = {}\n", vec!["1"; 5 * 1024 * 1024].join(" "));
    let d = bounded("a 10 MB line", secs(60), move || analyze(text));
    assert!(d.has_errors());
    assert!(d.len() <= kiln::syntax::MAX_ERRORS);
}

#[test]
fn valid_line_of_1_mb() {
    // A valid file on one line: 50,000 env entries in one block.
    let env: Vec<String> = (0..50_000).map(|i| format!("K{i} = \"v\"")).collect();
    let text = format!(
        "app a {{ image = \"registry.example.com/a:1.0\" env {{ {} }} worker w {{ command = [\"x\"] }} }}\n",
        env.join(" ")
    );
    let d = bounded("a valid 1 MB line", secs(60), move || analyze(text));
    assert!(!d.has_errors(), "{:?}", codes_of(&d));
}

#[test]
fn string_of_10_mb() {
    let text = format!("let _x = \"{}\"\n", "a".repeat(10 * 1024 * 1024));
    let d = bounded("a 10 MB string", secs(60), move || analyze(text));
    assert!(!d.has_errors(), "{:?}", codes_of(&d));
}

#[test]
fn unterminated_string_of_10_mb() {
    let text = format!("let x = \"{}\n", "a".repeat(10 * 1024 * 1024));
    let d = bounded("an unterminated 10 MB string", secs(60), move || {
        analyze(text)
    });
    assert_eq!(codes_of(&d), [codes::UNTERMINATED_STRING.as_str()]);
}

#[test]
fn many_interpolations() {
    let text = app(&format!(
        "  env {{ BIG = \"{}\" }}\n  worker w {{ command = [\"x\"] }}\n",
        "${namespace}".repeat(100_000)
    ));
    bounded("100,000 interpolations", secs(60), move || {
        let source = Source::from_text("hostile.kiln", text);
        let bundle = kiln::compile(&source, &Options::default());
        assert!(bundle.is_ok(), "{:?}", bundle.err().map(|d| codes_of(&d)));
    });
}

#[test]
fn interpolation_of_a_binding_chain() {
    // Each binding doubles the previous one: 2^41 bytes if expanded naively. The
    // checker stops at 1 MiB (K0007) instead of allocating it, and stops every
    // expansion still running there (else the work would double at each level).
    let mut text = String::from("let s0 = \"ab\"\n");
    for i in 1..=40 {
        text.push_str(&format!("let s{i} = \"${{s{}}}${{s{}}}\"\n", i - 1, i - 1));
    }
    text.push_str(&app(
        "  env { BIG = \"${s40}\" }\n  worker w { command = [\"x\"] }\n",
    ));
    let d = bounded("a doubling chain of 40 bindings", secs(30), move || {
        analyze(text)
    });
    assert!(
        codes_of(&d).contains(&codes::INPUT_TOO_LARGE.as_str()),
        "{:?}",
        codes_of(&d)
    );
    assert!(
        d.has_errors(),
        "an exponential string must be refused: {:?}",
        codes_of(&d)
    );
}

// ---- names and errors -----------------------------------------------------------------

fn jobs(n: usize, after: impl Fn(usize) -> String) -> String {
    let mut body = String::new();
    for i in 1..=n {
        body.push_str(&format!(
            "  job job{i:04} {{ command = [\"x\"]{} }}\n",
            after(i)
        ));
    }
    app(&body)
}

#[test]
fn did_you_mean_among_5000_names() {
    let mut text = jobs(5000, |_| String::new());
    text = text.replace(
        "}\n}\n",
        "}\n  job last { command = [\"x\"] after = [jbo0042] }\n}\n",
    );
    let d = bounded("one typo among 5,000 jobs", secs(20), move || analyze(text));
    let refs: Vec<_> = d
        .iter()
        .filter(|d| d.code == codes::UNDEFINED_REFERENCE)
        .collect();
    assert_eq!(refs.len(), 1, "{:?}", codes_of(&d));
    assert_eq!(refs[0].help.as_deref(), Some("did you mean `job0042`?"));
}

#[test]
fn a_thousand_typos_among_5000_names() {
    // 1,000 jobs refer to a misspelt neighbour among 5,000: 5 million candidate
    // comparisons (about 5 s in a debug build, a tenth of that in release). The cost
    // is typos × names: 5,000 typos take 25 times as long.
    let text = jobs(5000, |i| {
        if i <= 1000 {
            format!(" after = [jbo{i:04}]")
        } else {
            String::new()
        }
    });
    let d = bounded("1,000 typos among 5,000 jobs", secs(120), move || {
        analyze(text)
    });
    let refs: Vec<_> = d
        .iter()
        .filter(|d| d.code == codes::UNDEFINED_REFERENCE)
        .collect();
    assert_eq!(refs.len(), 1000);
    assert!(refs.iter().all(|d| {
        d.help
            .as_deref()
            .is_some_and(|h| h.starts_with("did you mean `job"))
    }));
}

#[test]
fn ten_thousand_errors() {
    // Checker errors are not capped: all 10,000 are reported (and rendered) in bounded
    // time. Syntax errors stop at `MAX_ERRORS` (next test).
    let fields: String = (0..10_000).map(|i| format!("  unknown{i} = 1\n")).collect();
    let text = app(&fields);
    bounded("10,000 unknown fields", secs(60), move || {
        let source = Source::from_text("hostile.kiln", text);
        let d = kiln::analyze(&source, &Options::default()).diagnostics;
        assert_eq!(d.len(), 10_000);
        let rendered = kiln::diag::render::to_text(&d.0, &source.map, false);
        assert!(rendered.len() < 10_000 * 1024);
    });
}

#[test]
fn syntax_errors_are_capped() {
    let text: String = (0..10_000).map(|i| format!("app a{i} {{ = }}\n")).collect();
    let d = bounded("10,000 syntax errors", secs(60), move || analyze(text));
    assert_eq!(d.len(), kiln::syntax::MAX_ERRORS, "{:?}", codes_of(&d));
}

#[test]
fn after_chain_of_10000_jobs() {
    // A valid chain: no recursion proportional to its length in cycle detection or in
    // the release ordering.
    let text = jobs(10_000, |i| {
        if i > 1 {
            format!(" after = [job{:04}]", i - 1)
        } else {
            String::new()
        }
    });
    bounded("a chain of 10,000 jobs", secs(120), move || {
        let source = Source::from_text("hostile.kiln", text);
        let bundle = kiln::compile(&source, &Options::default());
        let bundle = bundle.unwrap_or_else(|d| panic!("{:?}", codes_of(&d)));
        assert!(bundle.objects.len() > 10_000);
    });
}

#[test]
fn after_cycle_of_10000_jobs() {
    let text = jobs(10_000, |i| {
        format!(" after = [job{:04}]", if i == 1 { 10_000 } else { i - 1 })
    });
    let d = bounded("a cycle of 10,000 jobs", secs(120), move || analyze(text));
    assert!(
        codes_of(&d).contains(&codes::DEPENDENCY_CYCLE.as_str()),
        "{:?}",
        codes_of(&d)
    );
}

#[test]
fn let_chain_of_10000_bindings() {
    // Bindings refer to the previous one: resolution must not recurse per link.
    let mut text = String::from("let v0 = \"x\"\n");
    for i in 1..10_000 {
        text.push_str(&format!("let v{i} = v{}\n", i - 1));
    }
    text.push_str(&app(
        "  env { K = v9999 }\n  worker w { command = [\"x\"] }\n",
    ));
    let d = bounded("a chain of 10,000 bindings", secs(60), move || {
        analyze(text)
    });
    // Either accepted, or refused with a diagnostic: never a stack overflow.
    let _ = d;
}

#[test]
fn thousands_of_apps() {
    let text: String = (0..2000)
        .map(|i| {
            format!(
                "app a{i} {{\n  image = \"registry.example.com/a:1.0\"\n  service web {{ port = 80  health = http(\"/\") }}\n}}\n"
            )
        })
        .collect();
    bounded("2,000 apps", secs(120), move || {
        let source = Source::from_text("hostile.kiln", text);
        let bundle = kiln::compile(&source, &Options::default());
        let bundle = bundle.unwrap_or_else(|d| panic!("{:?}", codes_of(&d)));
        assert!(bundle.objects.len() >= 2000 * 5);
        assert!(!bundle.to_yaml().is_empty());
    });
}

// ---- encodings ------------------------------------------------------------------------

#[test]
fn byte_order_mark_is_accepted() {
    let text = format!("\u{feff}{}", app("  worker w { command = [\"x\"] }\n"));
    let d = analyze(text);
    assert!(!d.has_errors(), "{:?}", codes_of(&d));
}

#[test]
fn crlf_positions() {
    let text = app("  worker w {\r\n    command = [\"x\"]\r\n    bogus = 1\r\n  }\r\n")
        .replace('\n', "\r\n")
        .replace("\r\r", "\r");
    let source = Source::from_text("crlf.kiln", text);
    let d = kiln::analyze(&source, &Options::default()).diagnostics;
    let unknown = d
        .iter()
        .find(|d| d.code == codes::UNKNOWN_FIELD)
        .unwrap_or_else(|| panic!("{:?}", codes_of(&d)));
    let f = source.entry_file();
    let lc = f.line_col(unknown.primary.loc.span.start);
    // Zero-based: the fifth line, fifth column.
    assert_eq!((lc.line, lc.col), (4, 4));
    assert_eq!(f.slice(unknown.primary.loc.span), "bogus");
}

#[test]
fn control_characters_and_nul() {
    let text = app("  worker w { command = [\"a\0b\", \"\u{1b}[31m\"] }\n");
    let d = bounded("control characters", secs(10), move || analyze(text));
    let _ = d;
    let text = "app \0 { }\n\u{7f}\u{0}\u{200b}\n".to_string();
    let d = bounded("NUL bytes", secs(10), move || analyze(text));
    assert!(d.has_errors());
}

// ---- the fuzz corpus, replayed --------------------------------------------------------

/// A fuzz target: its name and its property.
type Target = (&'static str, fn(&[u8]));

/// The fuzz properties by target name.
const TARGETS: [Target; 6] = [
    ("parse", fuzz_props::parse),
    ("check", fuzz_props::check),
    ("compile", fuzz_props::compile),
    ("fmt_roundtrip", fuzz_props::fmt_roundtrip),
    ("diff_input", fuzz_props::diff_input),
    ("lsp_session", fuzz_props::lsp_session),
];

/// Runs `data` through the named properties; a failure names the file.
fn replay(path: &Path, data: &[u8], targets: &[Target]) {
    for (name, property) in targets {
        let run = std::panic::catch_unwind(|| property(data));
        if let Err(e) = run {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{} (target `{name}`): {msg}", path.display());
        }
    }
}

/// Every input of `fuzz/corpus/TARGET/` and `fuzz/regressions/TARGET/` through its own
/// target's property; every example (kiln and YAML) and diagnostic fixture through all
/// six.
#[test]
fn fuzz_corpus_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut jobs: Vec<(PathBuf, Vec<Target>)> = Vec::new();
    for (name, property) in TARGETS {
        for dir in ["fuzz/corpus", "fuzz/regressions"] {
            let mut files = Vec::new();
            collect(&root.join(dir).join(name), &mut files);
            jobs.extend(files.into_iter().map(|f| (f, vec![(name, property)])));
        }
    }
    let mut shared = Vec::new();
    for dir in ["tests/fixtures/syntax", "tests/fixtures/check", "examples"] {
        collect(&root.join(dir), &mut shared);
    }
    shared.retain(|p| p.extension().is_some_and(|e| e == "kiln" || e == "yaml"));
    assert!(shared.len() > 50, "the examples and fixtures are missing");
    jobs.extend(shared.into_iter().map(|f| (f, TARGETS.to_vec())));
    jobs.sort_by(|a, b| a.0.cmp(&b.0));
    let n = jobs.len();
    bounded("the fuzz corpus", secs(300), move || {
        for (path, targets) in &jobs {
            let data = std::fs::read(path).expect("read corpus file");
            replay(path, &data, targets);
        }
    });
    eprintln!("replayed {n} inputs");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if !p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            out.push(p);
        }
    }
}

// ---- the command line -----------------------------------------------------------------

const KILN: &str = env!("CARGO_BIN_EXE_kiln");

fn run_kiln(args: &[&str], cwd: &Path) -> std::process::Output {
    std::process::Command::new(KILN)
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run kiln")
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("hostile-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

#[test]
fn cli_refuses_a_huge_file_without_reading_it_all() {
    let w = tempdir();
    let f = w.path().join("big.kiln");
    let line = format!("// {}\n", "x".repeat(1020));
    std::fs::write(&f, line.repeat(50 * 1024)).unwrap();
    let path = f.display().to_string();
    let cwd = w.path().to_path_buf();
    let o = bounded("kiln check on 50 MB", secs(30), move || {
        run_kiln(&["check", &path], &cwd)
    });
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("16 MiB"), "{err}");
}

#[cfg(unix)]
#[test]
fn cli_refuses_an_endless_device() {
    let w = tempdir();
    let cwd = w.path().to_path_buf();
    let o = bounded("kiln check /dev/zero", secs(30), move || {
        run_kiln(&["check", "/dev/zero"], &cwd)
    });
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("limit"), "{err}");
}

#[test]
fn cli_refuses_invalid_utf8() {
    let w = tempdir();
    std::fs::write(w.path().join("bad.kiln"), b"app a {\xff\xfe}\n").unwrap();
    let o = run_kiln(&["check", "bad.kiln"], w.path());
    let err = String::from_utf8_lossy(&o.stderr);
    // A diagnostic about the input (K0020, exit 2) at the first bad byte, not a parse.
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("error[K0020]"), "{err}");
    assert!(err.contains("0xFF at byte offset 7"), "{err}");
    assert!(err.contains("bad.kiln:1:8"), "{err}");
}

#[cfg(unix)]
#[test]
fn cli_bounds_standard_input() {
    // 1 GiB of address space: the unbounded read fails its allocation (an abort);
    // the bounded one stops at 16 MiB with exit 3.
    let o = bounded("kiln check - < /dev/zero", secs(60), || {
        std::process::Command::new("bash")
            .args([
                "-c",
                "ulimit -v 1048576; exec \"$0\" check - < /dev/zero",
                KILN,
            ])
            .output()
            .expect("bash")
    });
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    // Not "out of memory": refused at the limit, as for a file.
    assert!(err.contains("16 MiB"), "{err}");
}

#[test]
fn cli_diagnostic_on_a_10_mb_line_is_short() {
    let w = tempdir();
    let text = format!("let x = {}\n", vec!["1"; 5 * 1024 * 1024].join(" "));
    std::fs::write(w.path().join("line.kiln"), text).unwrap();
    let cwd = w.path().to_path_buf();
    let o = bounded("kiln check on a 10 MB line", secs(60), move || {
        run_kiln(&["check", "line.kiln"], &cwd)
    });
    assert_eq!(o.status.code(), Some(2));
    assert!(
        o.stderr.len() < 64 * 1024,
        "{} bytes of diagnostics",
        o.stderr.len()
    );
    // The header keeps the real position; the snippet is a window marked with `…`.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("line.kiln:1:11"), "{err}");
    assert!(err.contains('…'), "{err}");
}

// ---- files read by `file(..)` ----------------------------------------------------------

/// A project directory with an app that reads `path` through a volume's `files`.
fn project_reading(path: &str) -> (tempfile::TempDir, Source) {
    let w = tempdir();
    let proj = w.path().join("proj");
    std::fs::create_dir(&proj).unwrap();
    std::fs::write(
        w.path().join("outside.txt"),
        "TOP SECRET outside the project\n",
    )
    .unwrap();
    std::fs::write(proj.join("inside.txt"), "fine\n").unwrap();
    let text = app(&format!(
        "  worker w {{\n    command = [\"x\"]\n    volume v {{\n      mount = \"/etc/x\"\n      files = [file(\"{path}\")]\n    }}\n  }}\n"
    ));
    let entry = proj.join("app.kiln");
    std::fs::write(&entry, &text).unwrap();
    let source = Source::from_path(&entry).unwrap();
    (w, source)
}

#[test]
fn file_inside_the_project_is_read() {
    let (_w, source) = project_reading("inside.txt");
    let bundle = kiln::compile(&source, &Options::default());
    let bundle = bundle.unwrap_or_else(|d| panic!("{:?}", codes_of(&d)));
    assert!(bundle.to_yaml().contains("fine"));
}

#[test]
fn file_outside_the_project_is_refused() {
    for path in ["../outside.txt", "/etc/hostname", "/proc/self/environ"] {
        let (_w, source) = project_reading(path);
        match kiln::compile(&source, &Options::default()) {
            Ok(b) => {
                let yaml = b.to_yaml();
                panic!("`{path}` was read into the bundle ({} bytes)", yaml.len());
            }
            Err(d) => {
                let said: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
                assert!(said.iter().any(|m| m.contains(path)), "`{path}`: {said:?}");
            }
        }
    }
    // Allowed on purpose: read.
    let (_w, source) = project_reading("../outside.txt");
    let allowed = Options {
        allow_outside: true,
        ..Options::default()
    };
    let yaml = kiln::compile(&source, &allowed)
        .unwrap_or_else(|d| panic!("{:?}", codes_of(&d)))
        .to_yaml();
    assert!(yaml.contains("TOP SECRET outside the project"));
}

#[cfg(unix)]
#[test]
fn file_through_a_symlink_or_a_loop() {
    // A link inside the project to a file outside: refused (links are followed first).
    let (w, source) = project_reading("link.txt");
    std::os::unix::fs::symlink("../outside.txt", w.path().join("proj/link.txt")).unwrap();
    let r = kiln::compile(&source, &Options::default());
    assert!(r.is_err(), "a link out of the project was followed");
    // A link to itself: an error, not a hang.
    let (w, source) = project_reading("loop.txt");
    std::os::unix::fs::symlink("loop.txt", w.path().join("proj/loop.txt")).unwrap();
    let d = bounded("a symlink loop", secs(10), move || {
        kiln::analyze(&source, &Options::default()).diagnostics
    });
    assert!(d.has_errors());
}

#[cfg(unix)]
#[test]
fn file_naming_a_fifo_does_not_hang() {
    let (w, source) = project_reading("pipe");
    let fifo = w.path().join("proj/pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: no mkfifo");
        return;
    }
    let d = bounded("file(\"pipe\")", secs(10), move || {
        kiln::analyze(&source, &Options::default()).diagnostics
    });
    assert!(d.has_errors());
}

#[test]
fn env_over_one_mebibyte_is_refused() {
    let text = app(&format!(
        "  env {{ BIG = \"{}\" }}\n  worker w {{ command = [\"x\"] }}\n",
        "a".repeat(2 * 1024 * 1024)
    ));
    let r = bounded("a 2 MiB env value", secs(60), move || {
        kiln::compile(&Source::from_text("big.kiln", text), &Options::default()).map(|_| ())
    });
    assert!(
        r.is_err(),
        "a 2 MiB ConfigMap cannot be applied: kiln must say so"
    );
}

// ---- imports --------------------------------------------------------------------------

/// A directory of `n` app files that each import `./common.kiln`.
fn fan_out(n: usize) -> tempfile::TempDir {
    let w = tempdir();
    std::fs::write(
        w.path().join("common.kiln"),
        "let registry = \"registry.example.com/shop\"\n",
    )
    .unwrap();
    for i in 0..n {
        std::fs::write(
            w.path().join(format!("app{i:04}.kiln")),
            format!(
                "import \"./common.kiln\"\n\napp a{i} {{\n  image = \"${{registry}}/a:1\"\n  worker w {{ command = [\"x\"] }}\n}}\n"
            ),
        )
        .unwrap();
    }
    w
}

#[test]
fn a_module_imported_by_1000_files() {
    let w = fan_out(1000);
    let dir = w.path().to_path_buf();
    let d = bounded("1,000 files importing one module", secs(120), move || {
        let source = Source::from_dir(&dir).expect("workspace");
        kiln::analyze(&source, &Options::default()).diagnostics
    });
    assert!(!d.has_errors(), "{:?}", codes_of(&d));
}

/// `f0` imports `f1`, which imports `f2`, … `f{n-1}`; with `cycle`, the last imports `f0`.
fn import_chain(n: usize, cycle: bool) -> (tempfile::TempDir, PathBuf) {
    let w = tempdir();
    for i in 0..n {
        let next = if i + 1 < n {
            format!("import \"./f{}.kiln\"\n", i + 1)
        } else if cycle {
            "import \"./f0.kiln\"\n".to_string()
        } else {
            String::new()
        };
        let body = if i == 0 {
            app("  worker w { command = [\"x\"] }\n")
        } else {
            format!("let _v{i} = \"x\"\n")
        };
        std::fs::write(w.path().join(format!("f{i}.kiln")), format!("{next}{body}")).unwrap();
    }
    let entry = w.path().join("f0.kiln");
    (w, entry)
}

#[test]
fn a_chain_of_1000_imports() {
    let (_w, entry) = import_chain(1000, false);
    let d = bounded("a chain of 1,000 imports", secs(120), move || {
        let source = Source::from_path(&entry).expect("read");
        kiln::analyze(&source, &Options::default()).diagnostics
    });
    // Accepted, or refused with a diagnostic: never a stack overflow or a hang.
    eprintln!("{:?}", codes_of(&d));
}

#[test]
fn a_cycle_of_1000_imports() {
    let (_w, entry) = import_chain(1000, true);
    let d = bounded("a cycle of 1,000 imports", secs(120), move || {
        let source = Source::from_path(&entry).expect("read");
        kiln::analyze(&source, &Options::default()).diagnostics
    });
    assert!(d.has_errors(), "an import cycle must be reported");
}

// ---- YAML read by `kiln diff --against` -----------------------------------------------

/// Runs `kiln diff app.kiln --against input.yaml` on `yaml` (a small valid app on the
/// other side) within `limit`; returns the exit code and stderr.
fn diff_against(what: &str, yaml: Vec<u8>, limit: Duration) -> (i32, String) {
    let w = tempdir();
    std::fs::write(
        w.path().join("app.kiln"),
        app("  worker w { command = [\"x\"] }\n"),
    )
    .unwrap();
    let input_len = yaml.len();
    std::fs::write(w.path().join("input.yaml"), yaml).unwrap();
    let cwd = w.path().to_path_buf();
    let o = bounded(what, limit, move || {
        run_kiln(&["diff", "app.kiln", "--against", "input.yaml"], &cwd)
    });
    drop(w);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!err.contains("panicked"), "{what}: {err}");
    // Output proportional to the input at most (a removed object is printed whole).
    assert!(
        o.stdout.len() + o.stderr.len() < 1024 * 1024 + 2 * input_len,
        "{what}: {} bytes of output",
        o.stdout.len() + o.stderr.len()
    );
    (o.status.code().unwrap_or(-1), err)
}

#[test]
fn diff_against_a_billion_laughs() {
    let mut yaml = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a0: &a0 \"lol\"\n",
    );
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        yaml.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    yaml.push_str("  boom: *a9\n");
    let (code, err) = diff_against("YAML alias bomb", yaml.into_bytes(), secs(30));
    assert_eq!(code, 2, "{err}");
    // serde_yaml's own guard ("repetition limit exceeded") or kiln's expansion budget.
    assert!(err.contains("limit") || err.contains("alias"), "{err}");
}

#[test]
fn diff_against_deep_nesting() {
    let flow = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}1{}\n",
        "[".repeat(DEEP),
        "]".repeat(DEEP)
    );
    let (code, err) = diff_against("10,000 nested YAML lists", flow.into_bytes(), secs(30));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nesting"), "{err}");
    let maps = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}1{}\n",
        "{a: ".repeat(DEEP),
        "}".repeat(DEEP)
    );
    let (code, err) = diff_against("10,000 nested YAML maps", maps.into_bytes(), secs(30));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nesting"), "{err}");
}

#[test]
fn diff_against_duplicate_keys() {
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\ndata: {}\n";
    let (code, err) = diff_against("duplicate YAML keys", yaml.into(), secs(30));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("duplicate"), "{err}");
}

#[test]
fn diff_against_huge_scalars() {
    // 40 MB in one value: read (under the 64 MiB limit) and compared in bounded time;
    // 70 MB: refused at the limit without reading the rest.
    let big = |n: usize| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: a}}\ndata:\n  v: \"{}\"\n",
            "x".repeat(n)
        )
        .into_bytes()
    };
    let (code, err) = diff_against("a 40 MB YAML scalar", big(40 << 20), secs(120));
    assert!(code == 0 || code == 1, "{err}");
    let (code, err) = diff_against("a 70 MB YAML scalar", big(70 << 20), secs(60));
    assert!(code == 2 || code == 3, "{err}");
    assert!(err.contains("64 MiB"), "{err}");
}
