//! `kiln compile` writes the same bytes whatever the number of threads (issue 9, part 6).
//!
//! Lowering and emitting run on rayon (`src/lower/mod.rs`, `src/emit.rs`): apps are
//! lowered in runs of `ceil(apps / (threads × 4))` (at least 16) consecutive apps, and
//! objects are written in chunks of 256. Every output here is compared with the output
//! of `RAYON_NUM_THREADS=1`, byte for byte: standard output (the streaming path,
//! `lower_to_yaml`, for `--for kubectl`; `compile` then `to_yaml_parts` for the other
//! targets), the warnings on standard error, and every file of `-o DIR`.
//!
//! The generated workload has 300 apps, so each thread count cuts it differently (runs of
//! 75, 38, 25 and 16 apps for 1, 2, 3 and 8 threads, see [`runs_differ`]); its apps carry
//! warnings and `patch` blocks at intervals that do not line up with those cuts, so an
//! order of objects, of patched apps or of warnings that followed the threads would
//! show here. The 1-thread output is also checked to follow the source order.

#[path = "../benches/workload/mod.rs"]
mod workload;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const THREADS: [usize; 4] = [1, 2, 3, 8];
const TARGETS: [&str; 4] = ["kubectl", "argocd", "helm", "kapp"];
const APPS: usize = 300;

fn kiln(threads: usize, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(args)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .output()
        .expect("run kiln")
}

/// `kiln` with each thread count at once (`-o` spends most of its time waiting for the
/// disk), with the arguments `args(threads)`.
fn kiln_each<A: AsRef<str>>(
    threads: &[usize],
    args: impl Fn(usize) -> Vec<A> + Sync,
) -> Vec<Output> {
    std::thread::scope(|s| {
        let runs: Vec<_> = threads
            .iter()
            .map(|&t| {
                let args = &args;
                s.spawn(move || {
                    let a = args(t);
                    kiln(t, &a.iter().map(AsRef::as_ref).collect::<Vec<&str>>())
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

/// One input: the command-line arguments naming it (a file or a workspace, a profile).
struct Input {
    name: String,
    args: Vec<String>,
}

fn examples() -> Vec<Input> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("examples")
        .expect("examples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let app = dir.join("app.kiln");
        if app.is_file() {
            out.push(Input {
                name: app.display().to_string(),
                args: vec![app.display().to_string()],
            });
        }
    }
    // The workspace, as it is released: with each of its profiles.
    for profile in ["staging", "production"] {
        out.push(Input {
            name: format!("examples/shop --profile {profile}"),
            args: ["examples/shop", "--profile", profile]
                .map(String::from)
                .to_vec(),
        });
    }
    assert!(out.len() >= 9, "examples are missing: {}", out.len());
    out
}

/// The benchmark workload with a credential-looking env value (K0912) in every 7th app
/// and a `patch` block (lowered to JSON, then written) in every 11th.
fn workload_text() -> String {
    let mut text = String::new();
    for i in 1..=APPS {
        let mut app = workload::app(i);
        if i % 7 == 0 {
            app = app.replacen(
                "    LOG_LEVEL ",
                &format!("    API_TOKEN    = \"tok-{i:04}-not-a-real-token\"\n    LOG_LEVEL "),
                1,
            );
        }
        if i % 11 == 0 {
            app = app.replacen(
                "    memory   = 128Mi .. 256Mi\n",
                &format!(
                    "    memory   = 128Mi .. 256Mi\n    patch deployment {{ spec.minReadySeconds = {} }}\n",
                    i % 5 + 1
                ),
                1,
            );
        }
        text.push_str(&app);
        text.push('\n');
    }
    text
}

/// The runs `src/lower/mod.rs::lower_to_yaml` cuts the apps into for each thread count
/// (its formula, repeated): they must all differ, and be more than one, for the
/// comparison to mean anything.
#[test]
fn runs_differ() {
    let per_run = |threads: usize| APPS.div_ceil(threads * 4).max(16);
    let sizes: Vec<usize> = THREADS.iter().map(|&t| per_run(t)).collect();
    assert_eq!(sizes, [75, 38, 25, 16]);
    for s in &sizes {
        assert!(APPS / s >= 4, "too few runs of {s} apps");
    }
    // Objects are emitted in chunks of 256: 300 apps of 8 objects make several.
    const { assert!(APPS * 8 > 4 * 256) };
}

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Standard output and standard error of `kiln compile` to standard output for `target`
/// are those of 1 thread for each of `threads`. Returns the 1-thread output.
fn same_on_stdout(input: &Input, target: &str, threads: &[usize]) -> Output {
    let outs = kiln_each(threads, |_| {
        let mut args = vec!["compile", "--for", target];
        args.extend(input.args.iter().map(String::as_str));
        args
    });
    let base = &outs[0];
    assert!(
        base.status.success(),
        "{} --for {target}: {}",
        input.name,
        String::from_utf8_lossy(&base.stderr)
    );
    assert!(!base.stdout.is_empty());
    for (t, out) in threads.iter().zip(&outs).skip(1) {
        assert_eq!(out.status.code(), base.status.code());
        assert!(
            out.stdout == base.stdout,
            "{} --for {target}: {t} threads write other YAML than 1",
            input.name
        );
        assert!(
            out.stderr == base.stderr,
            "{} --for {target}: {t} threads print other diagnostics than 1:\n{}",
            input.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    outs.into_iter().next().unwrap()
}

/// A temporary directory in memory where there is one: `-o` ends with `syncfs`, which
/// on a disk shared with other work can take seconds and says nothing about threads.
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().unwrap()
}

/// `kiln compile -o DIR --for target` writes the files of 1 thread, byte for byte, for
/// each of `threads`.
fn same_directories(input: &Input, target: &str, threads: &[usize]) {
    let tmp = scratch();
    let dir = |t: usize| tmp.path().join(format!("{target}-{t}"));
    let outs = kiln_each(threads, |t| {
        let mut args = vec![
            "compile".to_string(),
            "--for".into(),
            target.into(),
            "-o".into(),
        ];
        args.push(dir(t).display().to_string());
        args.extend(input.args.iter().cloned());
        args
    });
    for (t, out) in threads.iter().zip(&outs) {
        assert!(
            out.status.success(),
            "{} -o --for {target} with {t} threads: {}",
            input.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let base = tree(&dir(threads[0]));
    assert!(!base.is_empty(), "{}: -o wrote nothing", input.name);
    for &t in &threads[1..] {
        let files = tree(&dir(t));
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            base.keys().collect::<Vec<_>>(),
            "{} --for {target}: {t} threads write other files than 1",
            input.name
        );
        for (path, bytes) in &files {
            assert!(
                Some(bytes) == base.get(path),
                "{} --for {target}: {path} differs with {t} threads",
                input.name
            );
        }
    }
}

#[test]
fn examples_on_stdout() {
    for input in examples() {
        for target in TARGETS {
            same_on_stdout(&input, target, &THREADS);
        }
    }
}

#[test]
fn examples_to_directories() {
    for input in examples() {
        same_directories(&input, "kubectl", &THREADS);
    }
    // The other layouts (Argo CD waves, Helm charts, kapp groups) on the workspace.
    let shop = examples().pop().unwrap();
    for target in &TARGETS[1..] {
        same_directories(&shop, target, &THREADS);
    }
}

fn workload_input(tmp: &Path) -> Input {
    let path = tmp.join("workload.kiln");
    std::fs::write(&path, workload_text()).unwrap();
    Input {
        name: format!("the workload of {APPS} apps"),
        args: vec![path.display().to_string()],
    }
}

// On the workload (a debug build takes about a second per run), `--for kubectl` runs
// with every thread count: on standard output it is the streaming path, whose runs
// depend on the thread count, and with `-o` the general path (`lower`, then
// `to_yaml_parts`). The other targets share that general path and add sequential
// steps (`order::retarget`, the layouts), so 1 and 8 threads are enough for them.

#[test]
fn workload_on_stdout() {
    let tmp = tempfile::tempdir().unwrap();
    let input = workload_input(tmp.path());
    let base = same_on_stdout(&input, "kubectl", &THREADS);
    for target in &TARGETS[1..] {
        same_on_stdout(&input, target, &[1, 8]);
    }
    let yaml = String::from_utf8(base.stdout).unwrap();
    // The reference itself is in source order (release order is app-major): the apps'
    // Namespaces come in the order of the file, and patches and warnings are there.
    let order: Vec<usize> = yaml
        .split("---\n")
        .filter(|d| d.starts_with("apiVersion: v1\nkind: Namespace\n"))
        .filter_map(|d| {
            d.lines()
                .find_map(|l| l.trim().strip_prefix("name: app-"))
                .and_then(|n| n.parse().ok())
        })
        .collect();
    assert_eq!(order, (1..=APPS).collect::<Vec<_>>());
    assert_eq!(
        yaml.matches("minReadySeconds: ").count(),
        APPS / 11,
        "every patch applied once"
    );
    let warnings = String::from_utf8_lossy(&base.stderr);
    assert_eq!(warnings.matches("K0912").count(), APPS / 7, "{warnings}");
}

#[test]
fn workload_to_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let input = workload_input(tmp.path());
    same_directories(&input, "kubectl", &THREADS);
    same_directories(&input, "helm", &[1, 8]);
}
