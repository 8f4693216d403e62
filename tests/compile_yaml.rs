//! `kiln compile` to standard output takes a fast path (`kiln::compile_to_yaml`: each
//! object is written as YAML as it is lowered, no JSON tree kept) next to the general
//! one (`kiln::compile`, then `Bundle::to_yaml`) that the diff, the language server and
//! `kiln plan` use; `kiln compile -o DIR` does the same for the bundle directory's files
//! (`kiln::compile_to_files` against `order::bundle_files`). Both paths must give the
//! same bytes and the same diagnostics: on every
//! example, every check fixture (patches, raw objects, custom resources, errors found
//! while lowering), the benchmark workload, and for every deploy target.

#[path = "../benches/workload/mod.rs"]
mod workload;

use kiln::order::Target;
use kiln::{Options, Source};
use std::path::Path;

/// Compiles `source` both ways with `options` and compares text and diagnostics: the
/// stream (`kiln compile`) and the bundle directory's files (`kiln compile -o DIR`).
fn same(what: &str, source: &Source, options: &Options) {
    let general = kiln::compile(source, options);
    let stream = general.clone().map(|b| (b.to_yaml(), b.warnings));
    let fast = kiln::compile_to_yaml(source, options).map(|(parts, w)| (parts.concat(), w));
    agree(&format!("{what} (stream)"), stream, fast);
    let files = general.map(|b| {
        let files = kiln::order::bundle_files(&b.objects);
        (files, b.objects.len(), b.warnings)
    });
    let fast = kiln::compile_to_files(source, options).map(|f| (f.files, f.objects, f.warnings));
    agree(&format!("{what} (files)"), files, fast);
}

/// The general path's result and the fast path's are equal, results and errors alike.
fn agree<T: PartialEq + std::fmt::Debug>(
    what: &str,
    general: Result<T, kiln::diag::Diagnostics>,
    fast: Result<T, kiln::diag::Diagnostics>,
) {
    match (general, fast) {
        // Not `assert_eq!`: a whole bundle printed twice helps nobody.
        (Ok(a), Ok(b)) => assert!(a == b, "{what}: the fast path gives another result"),
        (Err(a), Err(b)) => assert_eq!(a, b, "{what}: other errors"),
        (a, b) => panic!(
            "{what}: one path fails and not the other: general ok = {}, fast ok = {}",
            a.is_ok(),
            b.is_ok()
        ),
    }
}

fn targets() -> [Options; 4] {
    [Target::Kubectl, Target::Argocd, Target::Helm, Target::Kapp].map(|target| Options {
        target,
        ..Options::default()
    })
}

#[test]
fn examples_compile_to_the_same_bytes() {
    let mut seen = 0;
    let mut dirs: Vec<_> = std::fs::read_dir("examples")
        .expect("examples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let app = dir.join("app.kiln");
        let source = if app.is_file() {
            Source::from_path(&app)
        } else {
            Source::from_dir(&dir)
        };
        let source = source.expect("readable example");
        for options in targets() {
            same(&dir.display().to_string(), &source, &options);
        }
        seen += 1;
    }
    assert!(seen >= 7, "only {seen} examples found");
}

#[test]
fn check_fixtures_compile_to_the_same_bytes_or_errors() {
    let dir = Path::new("tests/fixtures/check");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/fixtures/check")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "kiln"))
        .collect();
    files.sort();
    assert!(files.len() > 50, "only {} fixtures", files.len());
    for f in files {
        let source = Source::from_path(&f).expect("readable fixture");
        same(&f.display().to_string(), &source, &Options::default());
    }
}

#[test]
fn the_workload_compiles_to_the_same_bytes() {
    for n in [1, 10, 300] {
        let source = Source::from_text(format!("n{n}.kiln"), workload::single_file(n));
        for options in targets() {
            same(&format!("workload n = {n}"), &source, &options);
        }
    }
}

/// Job steps split a phase into several files (and install jobs interleave with
/// pre-deploy jobs in one step): the fast path must group and number them as the
/// general one does. No example, fixture or workload app has two job steps in one
/// phase: a fast path that ignored the step passed them all.
#[test]
fn job_steps_compile_to_the_same_files() {
    let text = r#"app shop {
  image = "registry.example.com/shop:2.3.0"
  service web {
    port   = 8080
    health = http("/healthz")
  }
  job migrate {
    command = ["bin/rails", "db:migrate"]
  }
  job seed {
    run     = on_install
    command = ["bin/rails", "db:seed"]
    after   = [migrate]
  }
  job reindex {
    command = ["bin/rails", "search:reindex"]
    after   = [migrate]
  }
  job warm {
    run     = after_deploy
    command = ["bin/rails", "cache:warm"]
  }
  job notify {
    run     = after_deploy
    command = ["bin/notify"]
    after   = [warm]
  }
}
"#;
    let source = Source::from_text("steps.kiln", text);
    for options in targets() {
        same("job steps", &source, &options);
    }
    let files = kiln::compile_to_files(&source, &Options::default()).expect("compiles");
    let paths: Vec<String> = files
        .files
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "shop/01-setup.yaml",
            "shop/02-pre-deploy.yaml",
            "shop/03-install-jobs.yaml",
            "shop/04-pre-deploy.yaml",
            "shop/05-deploy.yaml",
            "shop/06-post-deploy.yaml",
            "shop/07-post-deploy.yaml",
        ]
    );
}
