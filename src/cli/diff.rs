//! `kiln diff`: compiles FILE (the after side), reads the before side (manifests, the
//! live cluster or FILE at a git revision), and prints what differs. Everything is
//! computed by `crate::diff`; this file chooses sources, prints and picks the exit code:
//! 0 no differences, 1 differences, 2 input errors, 3 I/O or cluster failures.

use super::args::{Color, DiffArgs, DiffFormat, Format};
use super::output::Printer;
use super::{EXIT_CHANGES, EXIT_INPUT, EXIT_IO};
use crate::Options;
use crate::diff::render::{self, RenderOptions};
use crate::diff::sources::{self, AtRevision, GitError, SourceError};
use crate::diff::{DiffOptions, live};
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// The before side and what it implies.
struct Before {
    objects: Vec<Value>,
    /// Whether before-only objects are reported as removed.
    report_removed: bool,
    notes: Vec<String>,
}

/// Runs `kiln diff`; returns the exit code.
pub fn run(a: &DiffArgs, color: Color) -> u8 {
    let printer = Printer::new(Format::Text, color);
    let mut opts = Options {
        profile: a.profile.clone(),
        ..Options::default()
    };
    if let Some(v) = &a.kube_version {
        match super::commands::kube_version(v) {
            Ok(v) => opts.kube_version = Some(v),
            Err(msg) => {
                printer.failure(&msg);
                return EXIT_INPUT;
            }
        }
    }
    let (source, bundle) = match super::commands::load_and_compile(&a.file, &opts, &printer) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    printer.diagnostics(&bundle.warnings.0, &source.map);
    let after: Vec<Value> = bundle.objects.iter().map(|o| o.value.clone()).collect();

    let before = if let Some(path) = &a.against {
        against(path, &printer)
    } else if let Some(rev) = &a.base {
        base(&a.file, rev, &opts, &printer)
    } else {
        cluster(&after, a, &printer)
    };
    let before = match before {
        Ok(b) => b,
        Err(code) => return code,
    };

    let mut report = crate::diff::diff(
        &before.objects,
        &after,
        &DiffOptions {
            namespace: a.namespace.clone(),
            report_removed: before.report_removed,
        },
    );
    report.notes.extend(before.notes);
    // Manifests kiln did not write (a migration): group the changes by what kiln adds
    // on purpose (docs/import.md).
    if a.against.is_some() {
        crate::diff::hardening::annotate(&mut report, &before.objects, &after, &[]);
    }
    let ropts = RenderOptions {
        color: a.format == DiffFormat::Text && stdout_color(color),
        context: a.unified,
        summary: a.summary,
    };
    let text = match a.format {
        DiffFormat::Text => render::text(&report, ropts),
        DiffFormat::Markdown => render::markdown(&report, ropts),
        DiffFormat::Json => render::json(&report, ropts),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            printer.failure(&format!("cannot write to standard output: {e}"));
        }
        return EXIT_IO;
    }
    if report.has_differences() {
        EXIT_CHANGES
    } else {
        0
    }
}

/// Colour on stdout: `--color`, else when stdout is a terminal and `NO_COLOR` is unset.
fn stdout_color(color: Color) -> bool {
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

/// `--against PATH|-`.
fn against(path: &Path, printer: &Printer) -> Result<Before, u8> {
    match sources::read_path(path) {
        Ok(objects) => Ok(Before {
            objects,
            report_removed: true,
            notes: Vec::new(),
        }),
        Err(e) => {
            printer.failure(&e.to_string());
            Err(match e {
                SourceError::Input(_) => EXIT_INPUT,
                SourceError::Io { .. } => EXIT_IO,
            })
        }
    }
}

/// `--base REV`.
fn base(file: &Path, rev: &str, opts: &Options, printer: &Printer) -> Result<Before, u8> {
    match sources::compile_at_revision(file, rev, opts) {
        Ok(AtRevision::Compiled(bundle)) => Ok(Before {
            objects: bundle.objects.into_iter().map(|o| o.value).collect(),
            report_removed: true,
            notes: Vec::new(),
        }),
        Ok(AtRevision::Absent { path }) => Ok(Before {
            objects: Vec::new(),
            report_removed: true,
            notes: vec![format!(
                "`{path}` does not exist at `{rev}`: every object is added"
            )],
        }),
        Ok(AtRevision::Failed(diags, source)) => {
            printer.diagnostics(&diags.0, &source.map);
            printer.failure(&format!(
                "`{}` does not compile at `{rev}`, so there is nothing to compare with (fix it there, or pick another revision)",
                file.display()
            ));
            Err(EXIT_INPUT)
        }
        Err(e) => {
            printer.failure(&e.to_string());
            Err(match e {
                GitError::Input(_) => EXIT_INPUT,
                GitError::Io(_) => EXIT_IO,
            })
        }
    }
}

/// `--live`.
fn cluster(after: &[Value], a: &DiffArgs, printer: &Printer) -> Result<Before, u8> {
    let opts = live::LiveOptions {
        kubeconfig: a.kubeconfig.clone(),
        context: a.context.clone(),
        namespace: a.namespace.clone(),
        prune: a.prune,
    };
    match live::fetch(after, &opts) {
        Ok(l) => Ok(Before {
            objects: l.objects,
            report_removed: a.prune,
            notes: l.notes,
        }),
        Err(e) => {
            printer.failure(&e.to_string());
            Err(EXIT_IO)
        }
    }
}
