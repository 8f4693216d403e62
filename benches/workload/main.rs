//! Writes the benchmark workload to disk (issue 8):
//!
//! ```sh
//! cargo bench --bench workload -- --write DIR [N ...]   # default N: 10 100 1000 10000
//! cargo bench --bench workload -- --write benches/workload --single 100   # the CI copy
//! ```
//!
//! For each N: `DIR/n{N}.kiln` (all apps in one file) and, unless `--single`,
//! `DIR/ws-n{N}/app-{i}.kiln` (one file per app). Run by `cargo bench` without `--write`, it does nothing: it is a
//! tool, not a benchmark.

#[path = "mod.rs"]
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(at) = args.iter().position(|a| a == "--write") else {
        return ExitCode::SUCCESS;
    };
    let Some(dir) = args.get(at + 1).map(PathBuf::from) else {
        eprintln!("usage: cargo bench --bench workload -- --write DIR [N ...]");
        return ExitCode::from(2);
    };
    let mut sizes = Vec::new();
    for a in args.iter().skip(at + 2).filter(|a| !a.starts_with("--")) {
        match a.parse::<usize>() {
            Ok(n) if n > 0 => sizes.push(n),
            _ => {
                eprintln!("not a workload size: {a}");
                return ExitCode::from(2);
            }
        }
    }
    if sizes.is_empty() {
        sizes.extend(workload::SIZES);
    }
    let single = args.iter().any(|a| a == "--single");
    match write(&dir, &sizes, single) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write the workload under {}: {e}", dir.display());
            ExitCode::from(3)
        }
    }
}

fn write(dir: &std::path::Path, sizes: &[usize], single_only: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for &n in sizes {
        let single = dir.join(format!("n{n}.kiln"));
        let text = workload::single_file(n);
        std::fs::write(&single, &text)?;
        if single_only {
            println!("{} ({} bytes)", single.display(), text.len());
            continue;
        }
        let ws = dir.join(format!("ws-n{n}"));
        if ws.exists() {
            std::fs::remove_dir_all(&ws)?;
        }
        std::fs::create_dir_all(&ws)?;
        for (name, text) in workload::workspace(n) {
            std::fs::write(ws.join(name), text)?;
        }
        println!(
            "{} ({} bytes) and {}/ ({n} files)",
            single.display(),
            text.len(),
            ws.display()
        );
    }
    Ok(())
}
