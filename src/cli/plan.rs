//! `kiln plan`, and the conversion of `--for` to the ordering stage's target.
//! What a plan is and does lives in [`crate::order::plan`]; this file only compiles,
//! prints, writes and picks the exit code.

use super::args::{ForTarget, Format, PlanArgs};
use super::output::{Printer, count};
use super::{EXIT_INPUT, EXIT_IO};
use crate::order::{Target, plan::Plan};
use std::io::Write;
use std::path::Path;

impl From<ForTarget> for Target {
    fn from(t: ForTarget) -> Target {
        match t {
            ForTarget::Kubectl => Target::Kubectl,
            ForTarget::Argocd => Target::Argocd,
            ForTarget::Helm => Target::Helm,
            ForTarget::Kapp => Target::Kapp,
        }
    }
}

/// `kiln plan FILE [-o script.sh] [--dry-run]`.
pub fn run(a: &PlanArgs, printer: Printer) -> u8 {
    let opts = super::commands::options(&a.common);
    // The plan reads the model (namespaces, `compatible`) and the bundle; both come
    // from the library.
    let (source, bundle) = match super::commands::load_and_compile(&a.file, &opts, &printer) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let Some(model) = crate::analyze(&source, &opts).model else {
        return EXIT_INPUT;
    };
    printer.diagnostics(&bundle.warnings.0, &source.map);
    let (_, warnings) = count(&bundle.warnings.0);
    if a.common.deny_warnings && warnings > 0 {
        return EXIT_INPUT;
    }
    let name = a.file.display().to_string();
    let mut plan = Plan::new(&model, bundle.objects, &name, a.keep);
    if let Some(out) = &a.output {
        plan.command = format!("kiln plan {name} -o {}", out.display());
    }
    let text = if a.dry_run {
        plan.steps()
    } else {
        plan.script()
    };
    match &a.output {
        Some(path) if !a.dry_run => {
            if let Err(e) = crate::fsio::write_file_atomic(path, text.as_bytes()) {
                printer.failure(&format!(
                    "cannot write `{}`: {e} (the previous file is unchanged)",
                    path.display()
                ));
                return EXIT_IO;
            }
            make_executable(path);
            if a.common.format == Format::Text {
                eprintln!("wrote the release plan to {}", path.display());
            }
        }
        _ => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    printer.failure(&format!("cannot write to standard output: {e}"));
                }
                return EXIT_IO;
            }
        }
    }
    0
}

/// `chmod +x`, best effort: the script also runs as `sh plan.sh`.
fn make_executable(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mut p = meta.permissions();
            p.set_mode(p.mode() | 0o111);
            let _ = std::fs::set_permissions(path, p);
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}
