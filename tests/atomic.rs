//! Nothing lost: `kiln compile -o DIR` and `kiln fmt` (in place) either finish or leave
//! the previous files byte-identical, whatever stops them: invalid input, a read-only
//! directory or file, a full disk (a small tmpfs where mounts are allowed, else a file
//! size limit), or SIGKILL in the middle of the write.
//!
//! These tests run the real binary. Work directories live under Cargo's target
//! directory (a real disk, where `fsync` costs what it costs in production) rather
//! than in a tmpfs `/tmp`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const KILN: &str = env!("CARGO_BIN_EXE_kiln");

fn workdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("atomic-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
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

/// Every file under `dir` (hidden ones too), relative path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap_or(&p).to_path_buf();
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `n` small apps, each a service and a worker: six or so files per app in a bundle.
fn apps(n: usize, tag: &str) -> String {
    (0..n)
        .map(|i| {
            format!(
                "app a{i} {{\n  image = \"registry.example.com/a:{tag}\"\n  service web {{\n    port = 80\n    health = http(\"/up\")\n  }}\n  worker queue {{ command = [\"work\"] }}\n}}\n"
            )
        })
        .collect()
}

/// A valid file that `kiln fmt` changes: every line indented wrongly.
fn unformatted(n: usize) -> String {
    apps(n, "1.0").replace("\n  ", "\n      ")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether `unshare -m` (as root) or `unshare -rm` works here, for mounts private to a
/// child: the argument to pass, or None.
fn unshare_flag() -> Option<&'static str> {
    let flag = if is_root() { "-m" } else { "-rm" };
    Command::new("unshare")
        .args([flag, "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        .then_some(flag)
}

// ---- invalid input --------------------------------------------------------------------

#[test]
fn compile_with_errors_keeps_the_previous_bundle() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("app.kiln"), apps(2, "1.0")).unwrap();
    let o = kiln(&["compile", "app.kiln", "-o", "out"], d);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let before = snapshot(&d.join("out"));
    let listing = names(d);
    assert!(!before.is_empty());
    std::fs::write(
        d.join("app.kiln"),
        "app a0 {\n  image = \"x:latest\"\n  bogus = 1\n}\n",
    )
    .unwrap();
    let o = kiln(&["compile", "app.kiln", "-o", "out"], d);
    assert_eq!(code(&o), 2);
    assert_eq!(snapshot(&d.join("out")), before);
    assert_eq!(names(d), listing, "no stray files next to the bundle");
}

#[test]
fn fmt_with_errors_keeps_the_file() {
    let w = workdir();
    let d = w.path();
    let text = "app a {\n      image = \"registry.example.com/a:1.0\"\n  service web {\n";
    std::fs::write(d.join("app.kiln"), text).unwrap();
    let o = kiln(&["fmt", "app.kiln"], d);
    assert_eq!(code(&o), 2);
    assert_eq!(std::fs::read_to_string(d.join("app.kiln")).unwrap(), text);
    assert_eq!(names(d), ["app.kiln"]);
}

// ---- read-only places -----------------------------------------------------------------

/// Runs kiln with `ro` read-only: a read-only bind mount in a private mount namespace
/// when running as root (root ignores permission bits), else by permission bits.
fn kiln_with_read_only(ro: &Path, args: &[&str], cwd: &Path) -> Option<Output> {
    if !is_root() {
        let mut p = std::fs::metadata(ro).unwrap().permissions();
        p.set_readonly(true);
        std::fs::set_permissions(ro, p).unwrap();
        let o = kiln(args, cwd);
        let mut p = std::fs::metadata(ro).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        p.set_readonly(false);
        std::fs::set_permissions(ro, p).unwrap();
        return Some(o);
    }
    unshare_flag()?;
    let script =
        r#"mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" || exit 99; exec "$@""#;
    let o = Command::new("unshare")
        .arg("-m")
        .args(["sh", "-c", script])
        .arg(ro)
        .arg(KILN)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("unshare");
    if code(&o) == 99 {
        eprintln!("skipped: cannot make a read-only bind mount here");
        return None;
    }
    Some(o)
}

#[test]
fn compile_into_a_read_only_directory() {
    let w = workdir();
    let d = w.path();
    std::fs::create_dir(d.join("site")).unwrap();
    std::fs::write(d.join("app.kiln"), apps(1, "1.0")).unwrap();
    assert_eq!(
        code(&kiln(&["compile", "app.kiln", "-o", "site/out"], d)),
        0
    );
    let before = snapshot(&d.join("site"));
    std::fs::write(d.join("app.kiln"), apps(3, "2.0")).unwrap();
    let Some(o) = kiln_with_read_only(
        &d.join("site"),
        &["compile", "app.kiln", "-o", "site/out"],
        d,
    ) else {
        return;
    };
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("previous contents are unchanged"),
        "{stderr}"
    );
    assert_eq!(snapshot(&d.join("site")), before);
}

/// The output directory itself read-only (a read-only mount, or permission bits): it
/// cannot be replaced; kiln says so and leaves it, and nothing next to it.
#[test]
fn compile_into_a_read_only_output_directory() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("app.kiln"), apps(1, "1.0")).unwrap();
    assert_eq!(code(&kiln(&["compile", "app.kiln", "-o", "out"], d)), 0);
    let before = snapshot(&d.join("out"));
    let listing = names(d);
    std::fs::write(d.join("app.kiln"), apps(3, "2.0")).unwrap();
    let Some(o) = kiln_with_read_only(&d.join("out"), &["compile", "app.kiln", "-o", "out"], d)
    else {
        return;
    };
    let stderr = String::from_utf8_lossy(&o.stderr);
    if code(&o) == 0 {
        // Without root, a directory's own permission bits do not stop a rename in its
        // parent: the bundle is replaced, whole.
        assert!(!is_root(), "{stderr}");
        let o = kiln(&["compile", "app.kiln", "-o", "reference"], d);
        assert_eq!(code(&o), 0);
        assert_eq!(snapshot(&d.join("out")), snapshot(&d.join("reference")));
        return;
    }
    assert_eq!(code(&o), 3, "{stderr}");
    assert!(stderr.contains("`out`"), "{stderr}");
    assert!(
        stderr.contains("previous contents are unchanged"),
        "{stderr}"
    );
    assert_eq!(snapshot(&d.join("out")), before);
    assert_eq!(names(d), listing, "no stray files next to the bundle");
}

/// Both ways of swapping the new bundle in: `renameat2(RENAME_EXCHANGE)` (Linux) and
/// the two renames used where it is unsupported (forced by the test-only variable
/// `KILN_TEST_PORTABLE_WRITES`, which also syncs file by file instead of `syncfs`).
#[test]
fn both_swaps_replace_the_bundle_whole() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("small.kiln"), apps(2, "1.0")).unwrap();
    std::fs::write(d.join("big.kiln"), apps(30, "2.0")).unwrap();
    assert_eq!(
        code(&kiln(&["compile", "big.kiln", "-o", "reference"], d)),
        0
    );
    let reference = snapshot(&d.join("reference"));
    for portable in [false, true] {
        assert_eq!(code(&kiln(&["compile", "small.kiln", "-o", "out"], d)), 0);
        let mut cmd = Command::new(KILN);
        cmd.args(["compile", "big.kiln", "-o", "out"])
            .current_dir(d)
            .stdin(Stdio::null());
        if portable {
            cmd.env("KILN_TEST_PORTABLE_WRITES", "1");
        }
        let o = cmd.output().expect("run kiln");
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(snapshot(&d.join("out")), reference, "portable: {portable}");
        assert_eq!(
            names(d),
            ["big.kiln", "out", "reference", "small.kiln"],
            "portable: {portable}: leftovers"
        );
    }
}

#[test]
fn fmt_in_a_read_only_directory() {
    let w = workdir();
    let d = w.path();
    std::fs::create_dir(d.join("src")).unwrap();
    let text = unformatted(1);
    std::fs::write(d.join("src/app.kiln"), &text).unwrap();
    let Some(o) = kiln_with_read_only(&d.join("src"), &["fmt", "src/app.kiln"], d) else {
        return;
    };
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(d.join("src/app.kiln")).unwrap(),
        text
    );
    assert_eq!(names(&d.join("src")), ["app.kiln"]);
}

#[test]
fn fmt_refuses_a_read_only_file() {
    let w = workdir();
    let d = w.path();
    let text = unformatted(1);
    let f = d.join("app.kiln");
    std::fs::write(&f, &text).unwrap();
    let mut p = std::fs::metadata(&f).unwrap().permissions();
    p.set_readonly(true);
    std::fs::set_permissions(&f, p).unwrap();
    let o = kiln(&["fmt", "app.kiln"], d);
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(&f).unwrap(), text);
    assert_eq!(names(d), ["app.kiln"]);
}

#[cfg(unix)]
#[test]
fn fmt_writes_through_a_symlink() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("real.kiln"), unformatted(1)).unwrap();
    std::os::unix::fs::symlink("real.kiln", d.join("link.kiln")).unwrap();
    let o = kiln(&["fmt", "link.kiln"], d);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        std::fs::symlink_metadata(d.join("link.kiln"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let now = std::fs::read_to_string(d.join("real.kiln")).unwrap();
    assert_ne!(now, unformatted(1));
    assert!(now.starts_with("app a0 {\n  image"), "{now}");
}

// ---- disk full ------------------------------------------------------------------------

/// Disk full, for real: a 1 MiB tmpfs in a private mount namespace holds the previous
/// bundle and a `.kiln` file; a larger bundle and a larger formatted file do not fit.
/// Where mounts are not allowed the test says so and the file-size-limit test below
/// covers the same failure path.
#[test]
fn disk_full_on_a_small_tmpfs() {
    let Some(flag) = unshare_flag() else {
        eprintln!("skipped: no mount namespace here (see disk_full_by_file_size_limit)");
        return;
    };
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("small.kiln"), apps(1, "1.0")).unwrap();
    std::fs::write(d.join("big.kiln"), apps(200, "2.0")).unwrap();
    assert_eq!(code(&kiln(&["compile", "small.kiln", "-o", "prev"], d)), 0);
    // A file that fits, and whose formatted form (longer: it is indented) does not fit
    // next to it.
    std::fs::write(d.join("fmt.kiln"), apps(40, "1.0").replace("\n  ", "\n ")).unwrap();
    std::fs::create_dir(d.join("mnt")).unwrap();
    std::fs::create_dir(d.join("after")).unwrap();
    let script = r#"
        set -u
        mount -t tmpfs -o size=1m tmpfs mnt || exit 99
        cp -a prev mnt/out && cp fmt.kiln mnt/fmt.kiln || exit 98
        # Fill the file system: nothing more fits (head stops at ENOSPC).
        head -c 2000000 /dev/zero > mnt/filler 2>/dev/null
        "$0" compile big.kiln -o mnt/out > compile.out 2> compile.err; echo $? > compile.rc
        "$0" fmt mnt/fmt.kiln > fmt.out 2> fmt.err; echo $? > fmt.rc
        rm -f mnt/filler
        cp -a mnt/. after/
    "#;
    let o = Command::new("unshare")
        .args([flag, "sh", "-c", script, KILN])
        .current_dir(d)
        .stdin(Stdio::null())
        .output()
        .expect("unshare");
    match code(&o) {
        0 => {}
        99 => {
            eprintln!("skipped: cannot mount a tmpfs here");
            return;
        }
        c => panic!("setup failed ({c}): {}", String::from_utf8_lossy(&o.stderr)),
    }
    let read = |f: &str| std::fs::read_to_string(d.join(f)).unwrap_or_default();
    assert_eq!(
        read("compile.rc").trim(),
        "3",
        "compile: {}",
        read("compile.err")
    );
    // The message names the path and the cause, and says nothing was lost.
    let err = read("compile.err");
    assert!(err.contains("`mnt/out`"), "{err}");
    assert!(err.to_lowercase().contains("no space left"), "{err}");
    assert!(err.contains("previous contents are unchanged"), "{err}");
    assert_eq!(snapshot(&d.join("after/out")), snapshot(&d.join("prev")));
    assert_eq!(read("fmt.rc").trim(), "3", "fmt: {}", read("fmt.err"));
    let err = read("fmt.err");
    assert!(err.contains("`mnt/fmt.kiln`"), "{err}");
    assert!(err.to_lowercase().contains("no space left"), "{err}");
    assert!(err.contains("the file is unchanged"), "{err}");
    assert_eq!(read("after/fmt.kiln"), read("fmt.kiln"));
    assert_eq!(
        names(&d.join("after")),
        ["fmt.kiln", "out"],
        "no stray temporary files"
    );
}

/// Disk full, simulated without privileges: `ulimit -f` makes every write past the
/// limit fail with EFBIG (SIGXFSZ ignored, as a shell would leave it).
#[test]
fn disk_full_by_file_size_limit() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("small.kiln"), apps(1, "1.0")).unwrap();
    std::fs::write(d.join("big.kiln"), apps(100, "2.0")).unwrap();
    assert_eq!(code(&kiln(&["compile", "small.kiln", "-o", "out"], d)), 0);
    let before = snapshot(&d.join("out"));
    let listing = names(d);
    // With a limit of 1 KiB per file, the Deployments of the bundle and the formatted
    // file do not fit.
    let fmt_text = unformatted(60);
    std::fs::write(d.join("fmt.kiln"), &fmt_text).unwrap();
    let run = |args: &str| {
        Command::new("bash")
            .args([
                "-c",
                &format!("ulimit -f 1; trap '' XFSZ; exec \"$0\" {args}"),
                KILN,
            ])
            .current_dir(d)
            .stdin(Stdio::null())
            .output()
            .expect("bash")
    };
    let o = run("compile big.kiln -o out");
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(snapshot(&d.join("out")), before);
    let o = run("fmt fmt.kiln");
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(d.join("fmt.kiln")).unwrap(),
        fmt_text
    );
    let mut expected = listing;
    expected.push("fmt.kiln".into());
    expected.sort();
    assert_eq!(names(d), expected, "no stray temporary files");
}

// ---- SIGKILL --------------------------------------------------------------------------

/// Polls until `ready` or the child exits; returns whether `ready` was seen first.
fn wait_for(child: &mut std::process::Child, limit: Duration, ready: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ready() {
            return true;
        }
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

/// Files written so far by process `pid` into its hidden `.out.kiln-new-PID` directory
/// (counted, not read: polling must stay fast).
fn files_in_progress(parent: &Path, pid: u32) -> usize {
    fn count(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |rd| {
            rd.flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        count(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    count(&parent.join(format!(".out.kiln-new-{pid}")))
}

/// A bundle of 1,000 apps (thousands of files) is written; kiln is killed
/// once the new bundle has 1, 300 and 1,500 of its 2,000 files on disk. Each time `out` is the
/// previous bundle, byte-identical (or, if the kill came after the swap, the whole new
/// one), and nothing appears inside it.
#[test]
fn sigkill_during_compile_keeps_the_previous_bundle() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("small.kiln"), apps(2, "1.0")).unwrap();
    std::fs::write(d.join("big.kiln"), apps(1000, "2.0")).unwrap();
    assert_eq!(code(&kiln(&["compile", "small.kiln", "-o", "out"], d)), 0);
    let before = snapshot(&d.join("out"));
    let mut killed_mid_write = 0;
    for threshold in [1, 300, 1500] {
        let mut child = Command::new(KILN)
            .args(["compile", "big.kiln", "-o", "out"])
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let pid = child.id();
        let seen = wait_for(&mut child, Duration::from_secs(120), || {
            files_in_progress(d, pid) >= threshold
        });
        let _ = child.kill();
        let status = child.wait().expect("wait");
        if seen {
            killed_mid_write += 1;
        } else {
            eprintln!("threshold {threshold}: kiln finished before it was killed ({status})");
        }
        let now = snapshot(&d.join("out"));
        if !d.join("out").exists() {
            // Killed between the two renames of the portable swap (`out` →
            // `.out.kiln-old-PID`, new → `out`; on Linux the swap is one atomic
            // exchange): the previous bundle is whole under the hidden name, and the
            // next run puts it back.
            let old = names(d)
                .into_iter()
                .find(|n| n.starts_with(".out.kiln-old-"))
                .expect("`out` is gone and the previous bundle with it");
            assert_eq!(snapshot(&d.join(&old)), before, "threshold {threshold}");
            eprintln!("threshold {threshold}: killed inside the swap; previous bundle at {old}");
            return;
        }
        if now != before {
            // Killed after the new bundle was renamed into place (while the old one was
            // being deleted): then it must be the whole new bundle.
            let o = kiln(&["compile", "big.kiln", "-o", "reference"], d);
            assert_eq!(code(&o), 0);
            assert!(
                now == snapshot(&d.join("reference")),
                "threshold {threshold} ({status}): the bundle is neither the old nor the new one"
            );
            eprintln!("threshold {threshold}: killed after the swap; the new bundle is whole");
            return;
        }
        let strays: Vec<String> = names(d)
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .collect();
        eprintln!("threshold {threshold}: previous bundle intact; hidden leftovers: {strays:?}");
    }
    assert!(
        killed_mid_write > 0,
        "never caught kiln in the middle of a write"
    );
    // Leftovers of killed runs are hidden siblings, never inside the bundle; the next
    // successful run writes a complete bundle and removes them.
    let o = kiln(&["compile", "small.kiln", "-o", "out"], d);
    assert_eq!(code(&o), 0);
    assert_eq!(snapshot(&d.join("out")), before);
    assert_eq!(names(d), ["big.kiln", "out", "small.kiln"]);
}

/// `kiln fmt` on a 6 MB file, killed as soon as its temporary file appears (and at
/// other moments): the file is always the old text or the new one, whole.
#[test]
fn sigkill_during_fmt_keeps_old_or_new() {
    let w = workdir();
    let d = w.path();
    // Small to compile (fmt compiles both texts to compare their meaning), large to
    // write: 6 MB of comments.
    let old = unformatted(20) + &format!("// {}\n", "c".repeat(150)).repeat(40_000);
    let f = d.join("app.kiln");
    std::fs::write(&f, &old).unwrap();
    let new = {
        let o = Command::new(KILN)
            .args(["fmt", "-"])
            .stdin(std::fs::File::open(&f).unwrap())
            .output()
            .expect("fmt -");
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    assert_ne!(old, new);
    let mut caught = 0;
    for round in 0..3 {
        std::fs::write(&f, &old).unwrap();
        let mut child = Command::new(KILN)
            .args(["fmt", "app.kiln"])
            .current_dir(d)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let seen = wait_for(&mut child, Duration::from_secs(300), || {
            names(d)
                .iter()
                .any(|n| n.starts_with(".app.kiln.kiln-tmp-"))
        });
        let _ = child.kill();
        let _ = child.wait();
        caught += usize::from(seen);
        let now = std::fs::read_to_string(&f).unwrap();
        assert!(
            now == old || now == new,
            "round {round}: the file is neither old nor new"
        );
        eprintln!(
            "round {round}: killed {} the write; the file is {}",
            if seen { "during" } else { "after" },
            if now == old {
                "the old text"
            } else {
                "the new text"
            }
        );
    }
    assert!(caught > 0, "never caught kiln fmt in the middle of a write");
}

#[test]
fn a_successful_compile_removes_leftovers_of_killed_runs() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("small.kiln"), apps(1, "1.0")).unwrap();
    // What a run killed mid-write leaves (its process is gone).
    let stale = d.join(".out.kiln-new-4194000");
    std::fs::create_dir_all(stale.join("a0")).unwrap();
    std::fs::write(stale.join("a0/06-services.yaml"), "half").unwrap();
    assert_eq!(code(&kiln(&["compile", "small.kiln", "-o", "out"], d)), 0);
    assert_eq!(names(d), ["out", "small.kiln"]);
}

/// A run killed between the two renames of the swap leaves no `out`, and the previous
/// bundle at `.out.kiln-old-PID`: the next run puts it back before writing, so even if
/// that run fails too (here: a file size limit), `out` is the previous bundle.
#[test]
fn the_next_run_restores_a_bundle_left_aside_by_a_killed_swap() {
    let w = workdir();
    let d = w.path();
    std::fs::write(d.join("small.kiln"), apps(1, "1.0")).unwrap();
    std::fs::write(d.join("big.kiln"), apps(50, "2.0")).unwrap();
    assert_eq!(code(&kiln(&["compile", "small.kiln", "-o", "out"], d)), 0);
    let before = snapshot(&d.join("out"));
    std::fs::rename(d.join("out"), d.join(".out.kiln-old-4194001")).unwrap();
    let o = Command::new("bash")
        .args([
            "-c",
            "ulimit -f 1; trap '' XFSZ; exec \"$0\" compile big.kiln -o out",
            KILN,
        ])
        .current_dir(d)
        .stdin(Stdio::null())
        .output()
        .expect("bash");
    assert_eq!(code(&o), 3, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(snapshot(&d.join("out")), before);
    assert_eq!(names(d), ["big.kiln", "out", "small.kiln"]);
}
