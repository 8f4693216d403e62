//! One function per command; each returns its exit code.

use super::args::{CheckArgs, Cli, Command, CommonArgs, CompileArgs, ExplainArgs, FmtArgs, Format};
use super::output::{Printer, count};
use super::{EXIT_CHANGES, EXIT_INPUT, EXIT_IO};
use crate::diag::{Diagnostic, codes};
use crate::{Options, Source};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> u8 {
    match cli.command {
        Command::Check(a) => check(&a, Printer::new(a.common.format, cli.color)),
        Command::Compile(a) => compile(&a, Printer::new(a.common.format, cli.color)),
        Command::Plan(a) => super::plan::run(&a, Printer::new(a.common.format, cli.color)),
        Command::Fmt(a) => fmt(&a, Printer::new(Format::Text, cli.color)),
        Command::Diff(a) => super::diff::run(&a, cli.color),
        Command::Import(a) => super::import::run(&a),
        Command::Explain(a) => explain(&a),
        Command::Init(a) => super::init::run(&a, Printer::new(Format::Text, cli.color)),
        Command::Lsp => crate::lsp::run_stdio(),
    }
}

pub(super) fn options(common: &CommonArgs) -> Options {
    let mut sets = common.set.clone();
    if let Some(prefix) = &common.set_from_env {
        let mut vars: Vec<(String, String)> = std::env::vars()
            .filter_map(|(k, v)| Some((k.strip_prefix(prefix.as_str())?.replace("__", "."), v)))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        vars.sort();
        sets.extend(vars.into_iter().map(|(k, v)| format!("{k} = {v}")));
    }
    Options {
        profile: common.profile.clone(),
        allow_outside: common.allow_outside,
        sets,
        ..Options::default()
    }
}

/// Source text from which `kiln` lets the kernel back its heap with huge pages: below
/// it, zeroing 2 MiB pages costs more than the page faults they save (about 1.5 ms more
/// at 10 apps, 5 KB; even at 300 apps, 145 KB; 15-20 % less time from 1,000 apps, 485
/// KB: docs/performance.md).
const HUGE_PAGES_FROM_BYTES: usize = 256 * 1024;

/// [`read`], then huge pages for the rest of the run if the source is large.
fn load(path: &Path, printer: &Printer) -> Option<Source> {
    // A single big file is known by its size before it is read: its text then lands in
    // huge pages too (a thousand page faults fewer for a 5 MB file).
    let big_file = std::fs::metadata(path)
        .is_ok_and(|m| m.is_file() && m.len() >= HUGE_PAGES_FROM_BYTES as u64);
    if big_file {
        crate::alloc::huge_pages(true);
    }
    let source = read(path, printer)?;
    let bytes: usize = source.map.iter().map(|(_, f)| f.text.len()).sum();
    if !big_file && bytes >= HUGE_PAGES_FROM_BYTES {
        crate::alloc::huge_pages(true);
    }
    Some(source)
}

/// Reads FILE: a file, a directory workspace, or `-` for stdin.
fn read(path: &Path, printer: &Printer) -> Option<Source> {
    if path == Path::new("-") {
        // Bounded like a file: `kiln check - < /dev/zero` must not eat the memory.
        return match crate::fsio::read_source_limited(
            std::io::stdin().lock(),
            crate::syntax::MAX_FILE_BYTES,
        ) {
            Ok((text, None)) => Some(Source::from_text("<stdin>", text)),
            // Not UTF-8: loaded without imports; analysis reports K0020 and parses nothing.
            Ok((text, not_utf8)) => {
                let mut file = crate::source::SourceFile::new("<stdin>", None, text);
                file.not_utf8 = not_utf8;
                let mut map = crate::source::SourceMap::new();
                let entry = map.add(file);
                Some(Source { map, entry })
            }
            Err(e) => {
                printer.failure(&format!("cannot read standard input: {e}"));
                None
            }
        };
    }
    // A directory is one workspace: every `.kiln` file in it.
    let loaded = if path.is_dir() {
        Source::from_dir(path)
    } else {
        Source::from_path(path)
    };
    match loaded {
        Ok(s) => Some(s),
        Err(e) => {
            printer.failure(&format!(
                "cannot read `{}`: {}",
                path.display(),
                io_reason(&e)
            ));
            None
        }
    }
}

/// Loads FILE (a file, a directory workspace, or `-` for stdin), applies the options that
/// change the source (`--allow-outside`, `--set`), and compiles it. On failure the
/// diagnostics are printed and the exit code returned.
pub(super) fn load_and_compile(
    path: &Path,
    opts: &Options,
    printer: &Printer,
) -> Result<(Source, crate::Bundle), u8> {
    load_and(path, opts, printer, crate::compile)
}

/// [`load_and_compile`] with another compile function of the library: the loaded
/// source and what `compile` made of it, or the exit code once the errors are printed.
fn load_and<T>(
    path: &Path,
    opts: &Options,
    printer: &Printer,
    compile: impl FnOnce(&Source, &Options) -> Result<T, crate::diag::Diagnostics>,
) -> Result<(Source, T), u8> {
    let Some(mut source) = load(path, printer) else {
        return Err(EXIT_IO);
    };
    source.prepare(opts);
    match compile(&source, opts) {
        Ok(done) => Ok((source, done)),
        Err(diags) => {
            printer.diagnostics(&diags.0, &source.map);
            let (e, w) = count(&diags.0);
            printer.summary(e, w);
            Err(EXIT_INPUT)
        }
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        _ => e.to_string(),
    }
}

/// Exit code for a set of diagnostics: 2 on errors (or warnings when denied), else 0.
fn diag_exit(diags: &[Diagnostic], deny_warnings: bool) -> u8 {
    let (errors, warnings) = count(diags);
    if errors > 0 || (deny_warnings && warnings > 0) {
        EXIT_INPUT
    } else {
        0
    }
}

fn check(a: &CheckArgs, printer: Printer) -> u8 {
    let opts = options(&a.common);
    let mut exit = 0;
    let (mut errors, mut warnings) = (0, 0);
    for path in &a.files {
        let Some(mut source) = load(path, &printer) else {
            exit = exit.max(EXIT_IO);
            continue;
        };
        source.prepare(&opts);
        let analysis = crate::analyze(&source, &opts);
        let diags = &analysis.diagnostics.0;
        printer.diagnostics(diags, &source.map);
        let (e, w) = count(diags);
        errors += e;
        warnings += w;
        exit = exit.max(diag_exit(diags, a.common.deny_warnings));
    }
    printer.summary(errors, warnings);
    exit
}

/// Parses `1.33` (or `v1.33`, `1.33.2`) into a supported version.
pub(super) fn kube_version(text: &str) -> Result<crate::lower::KubeVersion, String> {
    let t = text.trim_start_matches('v');
    let mut parts = t.split('.');
    let major = parts.next().and_then(|p| p.parse::<u32>().ok());
    let minor = parts.next().and_then(|p| p.parse::<u32>().ok());
    match (major, minor) {
        (Some(1), Some(minor)) if (33..=37).contains(&minor) => {
            Ok(crate::lower::KubeVersion { major: 1, minor })
        }
        (Some(_), Some(_)) => Err(format!(
            "Kubernetes {text} is not supported: kiln targets 1.33 through 1.37"
        )),
        _ => Err(format!(
            "`{text}` is not a Kubernetes version: write it as `1.33`"
        )),
    }
}

fn compile(a: &CompileArgs, printer: Printer) -> u8 {
    let mut opts = options(&a.common);
    opts.target = a.target.into();
    if let Some(v) = &a.kube_version {
        match kube_version(v) {
            Ok(v) => opts.kube_version = Some(v),
            Err(msg) => {
                printer.failure(&msg);
                return EXIT_INPUT;
            }
        }
    }
    // `kiln compile` ends after this: nothing big is freed (Options::exiting).
    opts.exiting = true;
    let Some(dir) = &a.output else {
        return compile_to_stdout(a, &opts, &printer);
    };
    compile_to_dir(a, &opts, &printer, dir)
}

/// `kiln compile FILE -o DIR`: the bundle's files, written atomically. Numbered phase
/// files are made as the objects are lowered ([`crate::compile_to_files`]); Helm charts
/// from the compiled bundle ([`crate::order::helm::chart_files`]).
fn compile_to_dir(a: &CompileArgs, opts: &Options, printer: &Printer, dir: &Path) -> u8 {
    let chart_name = a.file.display().to_string();
    let to_files = |source: &Source, opts: &Options| {
        if opts.target != crate::order::Target::Helm {
            return crate::compile_to_files(source, opts);
        }
        let crate::Bundle { objects, warnings } = crate::compile(source, opts)?;
        let files = crate::BundleFiles {
            files: crate::order::helm::chart_files(&objects, &chart_name),
            objects: objects.len(),
            warnings,
        };
        // The process ends next: freeing the objects node by node would take a fifth
        // of the run for nothing (docs/performance.md).
        std::mem::forget(objects);
        Ok(files)
    };
    let (source, bundle) = match load_and(&a.file, opts, printer, to_files) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    printer.diagnostics(&bundle.warnings.0, &source.map);
    let exit = diag_exit(&bundle.warnings.0, a.common.deny_warnings);
    if exit != 0 {
        // Denied warnings: write nothing, as for errors.
        return exit;
    }
    // The writing threads (fsio) use a few KiB each, of stack and heap: with huge pages
    // each would touch a whole 2 MiB page (16 threads, 30 MB at 1,000 apps).
    crate::alloc::huge_pages(false);
    if let Err(e) = crate::fsio::write_files(&bundle.files, dir) {
        printer.failure(&format!(
            "cannot write the bundle to `{}`: {e} (the previous contents are unchanged)",
            dir.display()
        ));
        return EXIT_IO;
    }
    if a.common.format == Format::Text {
        eprintln!("wrote {} objects to {}", bundle.objects, dir.display());
    }
    // The process ends next: nothing big is freed piece by piece.
    std::mem::forget(bundle);
    std::mem::forget(source);
    0
}

/// `kiln compile FILE` to standard output: the YAML text only, written as it is lowered
/// ([`crate::compile_to_yaml`]), with the diagnostics of [`load_and_compile`].
fn compile_to_stdout(a: &CompileArgs, opts: &Options, printer: &Printer) -> u8 {
    let (source, (parts, warnings)) = match load_and(&a.file, opts, printer, crate::compile_to_yaml)
    {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    printer.diagnostics(&warnings.0, &source.map);
    let exit = diag_exit(&warnings.0, a.common.deny_warnings);
    if exit != 0 {
        // Denied warnings: write nothing, as for errors.
        return exit;
    }
    // Piece by piece: each ends with a newline, so the line-buffered `Stdout` hands it
    // to the file descriptor whole, without copying it.
    let mut out = std::io::stdout().lock();
    let written = parts.iter().try_for_each(|p| out.write_all(p.as_bytes()));
    if let Err(e) = written.and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is not worth a message, but is a failure.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            printer.failure(&format!("cannot write to standard output: {e}"));
        }
        return EXIT_IO;
    }
    // The process ends next: freeing the source, its syntax tree and the text piece by
    // piece would be work for nothing (docs/performance.md).
    std::mem::forget(parts);
    std::mem::forget(source);
    0
}

/// What a formatted text means, for the "formatting must not change the meaning" guard:
/// the compiled YAML when it compiles, else the list of diagnostic codes.
fn meaning(name: &str, text: &str, path: Option<&Path>) -> Result<String, Vec<&'static str>> {
    let mut source = Source::from_text(name, text);
    if let Some(p) = path {
        // `file(..)` resolves relative to the real file.
        source = Source {
            map: {
                let mut m = crate::source::SourceMap::new();
                m.add(crate::source::SourceFile::new(
                    name,
                    Some(p.to_path_buf()),
                    text,
                ));
                m
            },
            entry: crate::source::FileId(0),
        };
    }
    crate::compile(&source, &Options::default())
        .map(|b| b.to_yaml())
        .map_err(|d| d.iter().map(|d| d.code.as_str()).collect())
}

/// The formatter writes `\n` line breaks and no byte order mark; a file that had them
/// keeps them: CRLF when its first line ends with CRLF (as Prettier's `endOfLine: auto`
/// decides), a leading byte order mark when it started with one.
fn keep_line_endings(original: &str, formatted: String) -> String {
    let crlf = original
        .find('\n')
        .is_some_and(|i| original[..i].ends_with('\r'));
    let mut out = if crlf {
        formatted.replace("\r\n", "\n").replace('\n', "\r\n")
    } else {
        formatted
    };
    if original.starts_with('\u{feff}') && !out.starts_with('\u{feff}') {
        out.insert(0, '\u{feff}');
    }
    out
}

fn fmt(a: &FmtArgs, printer: Printer) -> u8 {
    if a.paths.len() == 1 && a.paths[0] == Path::new("-") {
        let Some(source) = load(Path::new("-"), &printer) else {
            return EXIT_IO;
        };
        if let Some(d) = crate::fsio::not_utf8_diagnostic(source.entry, source.entry_file()) {
            printer.diagnostics(&[d], &source.map);
            return EXIT_INPUT;
        }
        let (ast, diags) = crate::syntax::parse(source.entry, &source.entry_file().text);
        if diags.has_errors() {
            printer.diagnostics(&diags.0, &source.map);
            return EXIT_INPUT;
        }
        let text = &source.entry_file().text;
        let formatted = keep_line_endings(text, crate::syntax::fmt::format(&ast, text));
        if a.check {
            return if formatted == source.entry_file().text {
                0
            } else {
                EXIT_CHANGES
            };
        }
        print!("{formatted}");
        return 0;
    }
    let mut files = Vec::new();
    let roots = if a.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        a.paths.clone()
    };
    for root in &roots {
        if root.is_dir() {
            if let Err(e) = crate::modules::kiln_files(root, &mut files) {
                printer.failure(&format!("cannot list `{}`: {e}", root.display()));
                return EXIT_IO;
            }
        } else {
            files.push(root.clone());
        }
    }
    let mut exit = 0;
    let mut changed = 0;
    for path in &files {
        let Some(source) = load(path, &printer) else {
            exit = exit.max(EXIT_IO);
            continue;
        };
        if let Some(d) = crate::fsio::not_utf8_diagnostic(source.entry, source.entry_file()) {
            printer.diagnostics(&[d], &source.map);
            exit = exit.max(EXIT_INPUT);
            continue;
        }
        let text = &source.entry_file().text;
        let (ast, diags) = crate::syntax::parse(source.entry, text);
        if diags.has_errors() {
            printer.diagnostics(&diags.0, &source.map);
            exit = exit.max(EXIT_INPUT);
            continue;
        }
        let formatted = keep_line_endings(text, crate::syntax::fmt::format(&ast, text));
        if &formatted == text {
            continue;
        }
        changed += 1;
        if a.check {
            println!("would reformat {}", path.display());
            exit = exit.max(EXIT_CHANGES);
            continue;
        }
        let name = path.display().to_string();
        if meaning(&name, text, Some(path)) != meaning(&name, &formatted, Some(path)) {
            printer.failure(&format!(
                "refusing to format `{name}`: the formatted text would compile differently (a kiln bug; please report it with this file)"
            ));
            exit = exit.max(EXIT_IO);
            continue;
        }
        if let Err(e) = crate::fsio::write_file_atomic(path, formatted.as_bytes()) {
            printer.failure(&format!(
                "cannot write `{name}`: {e} (the file is unchanged)"
            ));
            exit = exit.max(EXIT_IO);
            continue;
        }
        println!("formatted {name}");
    }
    if a.check && changed > 0 {
        eprintln!(
            "{changed} file{} would be reformatted; run `kiln fmt` to fix",
            if changed == 1 { "" } else { "s" }
        );
    }
    exit
}

fn explain(a: &ExplainArgs) -> u8 {
    if a.list {
        for c in codes::ALL {
            let i = c.info();
            println!(
                "{}  {:<8} {:<24} {}",
                i.code,
                i.severity.as_str(),
                i.name,
                i.summary
            );
        }
        return 0;
    }
    let text = a.code.as_deref().unwrap_or_default();
    match codes::lookup(text) {
        Some(c) => {
            let i = c.info();
            println!(
                "{} ({}, {}): {}\n\n{}",
                i.code,
                i.name,
                i.severity.as_str(),
                i.summary,
                i.explanation
            );
            0
        }
        None => {
            let names = codes::ALL
                .iter()
                .flat_map(|c| [c.info().code, c.info().name]);
            let hint = crate::diag::suggest::did_you_mean(text, names)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            eprintln!(
                "error: unknown diagnostic code `{text}`{hint} (`kiln explain --list` shows them all)"
            );
            EXIT_INPUT
        }
    }
}
