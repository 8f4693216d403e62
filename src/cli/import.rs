//! `kiln import PATH... [-o app.kiln] [--force] [--format json]`: manifests → a `.kiln`
//! file (stdout without `-o`), the report on stderr. Everything is computed by
//! `crate::import`; this file reads, writes (atomically, never over an existing file
//! without `--force`) and picks the exit code: 0 imported, 2 input errors, 3 I/O or
//! internal failure.

use super::args::{Format, ImportArgs};
use super::{EXIT_INPUT, EXIT_IO};
use crate::diag::codes::{self, Code};
use crate::diff::sources::SourceError;
use crate::import::{self, ImportError};
use std::io::Write;
use std::path::{Path, PathBuf};

fn fail(code: Code, message: &str, format: Format) {
    match format {
        Format::Text => eprintln!("error[{code}]: {message}"),
        Format::Json => {
            let v =
                serde_json::json!({"severity": "error", "code": code.as_str(), "message": message});
            eprintln!("{v}");
        }
    }
}

/// Runs `kiln import`; returns the exit code.
pub fn run(a: &ImportArgs) -> u8 {
    let paths: Vec<&Path> = a.paths.iter().map(PathBuf::as_path).collect();
    let imported = match import::import_paths(&paths) {
        Err(SourceError::Input(e)) => {
            fail(codes::IMPORT_INPUT, &e.to_string(), a.format);
            return EXIT_INPUT;
        }
        Err(e @ SourceError::Io { .. }) => {
            fail(codes::IMPORT_INPUT, &e.to_string(), a.format);
            return EXIT_IO;
        }
        Ok(Err(ImportError::Empty)) => {
            fail(
                codes::IMPORT_EMPTY,
                &ImportError::Empty.to_string(),
                a.format,
            );
            return EXIT_INPUT;
        }
        Ok(Err(ImportError::Internal { message, text })) => {
            let saved = std::env::temp_dir()
                .join(format!("kiln-import-failed-{}.kiln", std::process::id()));
            let body = format!("// {message}\n{text}");
            let where_ = match crate::fsio::write_file_atomic(&saved, body.as_bytes()) {
                Ok(()) => format!("the text is saved to `{}`", saved.display()),
                Err(e) => format!("the text could not be saved ({e})"),
            };
            fail(
                codes::IMPORT_INTERNAL,
                &format!("{message}; nothing was written; {where_} (a kiln bug: please report it)"),
                a.format,
            );
            return EXIT_IO;
        }
        Ok(Ok(im)) => im,
    };
    match &a.output {
        None => {
            if !imported.files.is_empty() {
                fail(
                    codes::IMPORT_NEEDS_OUTPUT,
                    &format!(
                        "{} object{} carried raw need files next to the `.kiln` file: use `-o app.kiln`",
                        imported.files.len(),
                        if imported.files.len() == 1 {
                            " is"
                        } else {
                            "s are"
                        }
                    ),
                    a.format,
                );
                return EXIT_INPUT;
            }
            let mut out = std::io::stdout().lock();
            if let Err(e) = out
                .write_all(imported.text.as_bytes())
                .and_then(|()| out.flush())
            {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    fail(
                        codes::IMPORT_INTERNAL,
                        &format!("cannot write to standard output: {e}"),
                        a.format,
                    );
                }
                return EXIT_IO;
            }
        }
        Some(file) => {
            let dir = file.parent().unwrap_or(Path::new("")).to_path_buf();
            let targets: Vec<PathBuf> = imported
                .files
                .iter()
                .map(|(rel, _)| dir.join(rel))
                .chain(std::iter::once(file.clone()))
                .collect();
            if !a.force
                && let Some(existing) = targets.iter().find(|p| p.exists())
            {
                fail(
                    codes::IMPORT_OUTPUT_EXISTS,
                    &format!(
                        "`{}` exists; pass `--force` to replace it",
                        existing.display()
                    ),
                    a.format,
                );
                return EXIT_INPUT;
            }
            // Raw files first: the `.kiln` file that reads them appears last.
            for (rel, yaml) in &imported.files {
                let p = dir.join(rel);
                let written = p
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| crate::fsio::write_file_atomic(&p, yaml.as_bytes()));
                if let Err(e) = written {
                    fail(
                        codes::IMPORT_INTERNAL,
                        &format!("cannot write `{}`: {e}", p.display()),
                        a.format,
                    );
                    return EXIT_IO;
                }
            }
            let written = match file.parent().filter(|p| !p.as_os_str().is_empty()) {
                Some(parent) => std::fs::create_dir_all(parent),
                None => Ok(()),
            }
            .and_then(|()| crate::fsio::write_file_atomic(file, imported.text.as_bytes()));
            if let Err(e) = written {
                fail(
                    codes::IMPORT_INTERNAL,
                    &format!(
                        "cannot write `{}`: {e} (the file is unchanged)",
                        file.display()
                    ),
                    a.format,
                );
                return EXIT_IO;
            }
        }
    }
    let report = match a.format {
        Format::Text => import::report_text(&imported),
        Format::Json => format!("{}\n", import::report_json(&imported)),
    };
    let _ = std::io::stderr().lock().write_all(report.as_bytes());
    if let Some(file) = &a.output
        && a.format == Format::Text
    {
        eprintln!(
            "wrote {}{}; next: `kiln diff {} --against {} --summary`",
            file.display(),
            if imported.files.is_empty() {
                String::new()
            } else {
                format!(" and {} raw file(s)", imported.files.len())
            },
            file.display(),
            a.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    0
}
