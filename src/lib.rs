//! kiln: a typed app-description language compiled to complete, secure, correctly ordered
//! Kubernetes YAML bundles.
//!
//! Data flows one way: [`syntax`] (text → AST) → [`check`] (AST → typed [`check::model`])
//! → [`lower`] (model → Kubernetes objects) → [`order`] (apply order, phases) → [`emit`]
//! (deterministic YAML). The CLI, the diff and the language server all call the functions
//! in this file; none of them parses or checks on its own.

pub mod alloc;
pub mod check;
pub mod cli;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod fsio;
pub mod import;
pub mod index;
pub mod lower;
pub mod lsp;
pub mod modules;
pub mod order;
pub mod source;
pub mod syntax;

use diag::Diagnostics;
use source::{FileId, SourceFile, SourceMap};
use std::path::Path;

/// The input of one run: the files loaded so far and which one is the entry point.
#[derive(Debug, Clone)]
pub struct Source {
    /// Every loaded file (the entry, later its imports).
    pub map: SourceMap,
    /// The file compiled.
    pub entry: FileId,
}

impl Source {
    /// Source text that does not come from disk (tests, stdin, the language server).
    pub fn from_text(name: impl Into<String>, text: impl Into<String>) -> Source {
        let mut map = SourceMap::new();
        let entry = map.add(SourceFile::new(name, None, text));
        // Standard-library imports need no file system; relative ones resolve from the
        // working directory.
        modules::load(&mut map, entry, false);
        Source { map, entry }
    }

    /// Reads a file. The name shown in diagnostics is the path as given. The read is
    /// bounded by [`syntax::MAX_FILE_BYTES`]: a larger file, a device or an endless pipe
    /// is an error (`FileTooLarge`), not an unbounded allocation.
    ///
    /// A file that is not UTF-8 is loaded (a lossy copy, with [`SourceFile::not_utf8`]
    /// set): [`analyze`] then reports K0020 at the first bad byte and parses nothing.
    pub fn from_path(path: &Path) -> std::io::Result<Source> {
        let (text, not_utf8) =
            fsio::read_source_file(std::fs::File::open(path)?, syntax::MAX_FILE_BYTES)?;
        let mut map = SourceMap::new();
        let mut file = SourceFile::new(path.display().to_string(), Some(path.to_path_buf()), text);
        if not_utf8.is_some() {
            file.not_utf8 = not_utf8;
            let entry = map.add(file);
            return Ok(Source { map, entry });
        }
        let entry = map.add(file);
        // Imports are loaded now so that diagnostics in them can be shown with their
        // file; `prepare` loads more when `--allow-outside` is given.
        modules::load(&mut map, entry, false);
        Ok(Source { map, entry })
    }

    /// Every `.kiln` file under `dir` (sorted, hidden directories skipped) as one
    /// workspace: a generated entry file imports each of them, so their apps, profiles
    /// and templates form one program whose project root is `dir`.
    pub fn from_dir(dir: &Path) -> std::io::Result<Source> {
        let mut files = Vec::new();
        modules::kiln_files(dir, &mut files)?;
        let mut text = String::from("// workspace: every .kiln file of the directory\n");
        for f in &files {
            let rel = f.strip_prefix(dir).unwrap_or(f);
            let rel = rel.display().to_string().replace('\\', "/");
            text.push_str(&format!("import \"./{}\"\n", rel.replace('"', "\\\"")));
        }
        let mut map = SourceMap::new();
        let entry = map.add(SourceFile::new(
            format!("{} (workspace)", dir.display()),
            // A name no file can have: the entry is generated, its directory is the root.
            Some(dir.join("<workspace>")),
            text,
        ));
        modules::load(&mut map, entry, false);
        Ok(Source { map, entry })
    }

    /// Loads what the options need into the map before analysis: imports outside the
    /// project root (`allow_outside`) and the `--set` overrides' text, so diagnostics
    /// about them can be shown with their file.
    pub fn prepare(&mut self, options: &Options) {
        if options.allow_outside {
            modules::load(&mut self.map, self.entry, true);
        }
        if !options.sets.is_empty() {
            let (ast, _) = syntax::parse(self.entry, &self.entry_file().text);
            let _ = modules::expand(&mut self.map, self.entry, &ast, options);
        }
    }

    /// A source of one file that is not loaded from disk again (its imports are not
    /// loaded either).
    fn from_parts(file: SourceFile) -> Source {
        let mut map = SourceMap::new();
        let entry = map.add(file);
        Source { map, entry }
    }

    /// The entry file.
    pub fn entry_file(&self) -> &SourceFile {
        self.map.get(self.entry)
    }
}

/// Compilation options shared by every command.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--profile NAME`.
    pub profile: Option<String>,
    /// `--kube-version`: the Kubernetes minor version targeted (None: the newest).
    pub kube_version: Option<lower::KubeVersion>,
    /// `--for`: the deploy tool the bundle is written for (default: plain phases for
    /// `kubectl` and `kiln plan`).
    pub target: order::Target,
    /// `--allow-outside`: imports may leave the project root.
    pub allow_outside: bool,
    /// `--set path=value` overrides (and those of `--set-from-env`), applied on top of
    /// the selected profile and checked like source.
    pub sets: Vec<String>,
    /// The process ends right after this compilation (the CLI): the syntax tree and the
    /// model are not freed node by node, which would cost a few percent of a big
    /// compile for nothing (docs/performance.md). Libraries and the language server leave
    /// it `false`.
    pub exiting: bool,
}

/// The front half of the pipeline: what `kiln check` and the language server see.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// The syntax tree (present even with syntax errors: the parser recovers).
    pub ast: syntax::ast::File,
    /// The typed model, when there were no errors.
    pub model: Option<check::model::Model>,
    /// Everything found, errors and warnings, sorted by position.
    pub diagnostics: Diagnostics,
}

/// Parses and checks the entry file of `source`.
pub fn analyze(source: &Source, options: &Options) -> Analysis {
    let file = source.entry_file();
    // Not UTF-8 (K0020): the text is a lossy copy, which must not be parsed.
    if let Some(d) = fsio::not_utf8_diagnostic(source.entry, file) {
        return Analysis {
            ast: syntax::parse(source.entry, "").0,
            model: None,
            diagnostics: Diagnostics(vec![d]),
        };
    }
    let (ast, mut diagnostics) = syntax::parse(source.entry, &file.text);
    let mut model = if diagnostics.has_errors() {
        None
    } else if modules::needed(&ast) || !options.sets.is_empty() {
        check_program(source, &ast, options, &mut diagnostics)
    } else {
        let (model, check_diags) = check::check(source, &ast, options);
        diagnostics.extend(check_diags);
        model
    };
    // The release-order rules that need the whole job graph (K05xx), so `kiln check`
    // and the language server report them too.
    if let Some(m) = &model {
        let order_diags = order::check(m);
        if order_diags.has_errors() {
            model = None;
        }
        diagnostics.extend(order_diags);
    }
    diagnostics.sort();
    Analysis {
        ast,
        model,
        diagnostics,
    }
}

/// Checks the entry with its imports, templates and `--set` overrides: the modules stage
/// joins them into one program, the checker checks it, and every location is mapped back
/// to its file.
fn check_program(
    source: &Source,
    ast: &syntax::ast::File,
    options: &Options,
    diagnostics: &mut Diagnostics,
) -> Option<check::model::Model> {
    let mut map = source.map.clone();
    let program = modules::expand(&mut map, source.entry, ast, options);
    let has_errors = program.diagnostics.has_errors();
    diagnostics.extend(program.diagnostics.0.iter().cloned());
    let entry = source.entry_file();
    let joined = Source::from_parts(SourceFile::new(
        entry.name.clone(),
        entry.path.clone(),
        program.text.clone(),
    ));
    let mut opts = options.clone();
    if program.has_set {
        opts.profile = Some(modules::SET_PROFILE.to_string());
        opts.sets = Vec::new();
    }
    let (mut model, check_diags) = check::check(&joined, &program.file, &opts);
    let translated = program.translate(check_diags);
    if translated.has_errors() || has_errors {
        model = None;
    }
    diagnostics.extend(translated);
    if let Some(m) = &mut model {
        program.translate_model(m);
    }
    model
}

/// A compiled bundle: the Kubernetes objects of every app, in apply order, and the
/// warnings the compilation produced.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The objects, in apply order.
    pub objects: Vec<lower::Object>,
    /// Warnings (a successful compile has no errors).
    pub warnings: Diagnostics,
}

impl Bundle {
    /// The whole bundle as one multi-document YAML stream, deterministic to the byte.
    pub fn to_yaml(&self) -> String {
        emit::to_yaml(&self.objects)
    }
}

/// Compiles the entry file of `source` into a bundle, or returns the diagnostics
/// (errors and warnings) that prevent it.
pub fn compile(source: &Source, options: &Options) -> Result<Bundle, Diagnostics> {
    let analysis = analyze(source, options);
    let Some(model) = analysis.model else {
        return Err(analysis.diagnostics);
    };
    let mut warnings = analysis.diagnostics;
    match lower::lower(&model, options) {
        Ok((mut objects, lower_warnings)) => {
            warnings.extend(lower_warnings);
            order::sort(&mut objects);
            warnings.extend(order::retarget(&model, &mut objects, options.target));
            Ok(Bundle { objects, warnings })
        }
        Err(errors) => {
            warnings.extend(errors);
            warnings.sort();
            Err(warnings)
        }
    }
}

/// The files of a bundle directory (`kiln compile -o DIR`) for the targets written as
/// numbered phase files (every target but Helm, whose charts need the source's name:
/// [`order::helm::chart_files`]).
#[derive(Debug, Clone)]
pub struct BundleFiles {
    /// Paths relative to the directory (`{app}/NN-{phase}.yaml`) and their YAML.
    pub files: Vec<(std::path::PathBuf, String)>,
    /// How many objects the files hold.
    pub objects: usize,
    /// Warnings (a successful compile has no errors).
    pub warnings: Diagnostics,
}

impl BundleFiles {
    /// The files of sorted objects ([`order::bundle_files`]), with their warnings.
    pub fn of(objects: &[lower::Object], warnings: Diagnostics) -> BundleFiles {
        BundleFiles {
            files: order::bundle_files(objects),
            objects: objects.len(),
            warnings,
        }
    }
}

/// [`compile`] then [`order::bundle_files`]: the same paths, bytes and diagnostics. For
/// the plain target (`--for kubectl`) the files are written as the objects are
/// generated, without a JSON tree per object ([`lower::lower_to_files`]); the other
/// targets rewrite the objects first and take the general path.
pub fn compile_to_files(source: &Source, options: &Options) -> Result<BundleFiles, Diagnostics> {
    if options.target != order::Target::Kubectl {
        let bundle = compile(source, options)?;
        return Ok(BundleFiles::of(&bundle.objects, bundle.warnings));
    }
    let (model, mut warnings) = analyze_for_lowering(source, options)?;
    let lowered = lower::lower_to_files(&model, options);
    if options.exiting {
        std::mem::forget(model);
    }
    match lowered {
        Ok(mut files) => {
            warnings.extend(std::mem::take(&mut files.warnings));
            files.warnings = warnings;
            Ok(files)
        }
        Err(errors) => {
            warnings.extend(errors);
            warnings.sort();
            Err(warnings)
        }
    }
}

/// [`compile`] then [`Bundle::to_yaml`], for a caller that only wants the text (`kiln
/// compile` to standard output): the YAML stream as consecutive pieces, and the
/// warnings. The bytes and the diagnostics are those of `compile(..)?.to_yaml()`; for the
/// plain target (`--for kubectl`) each object is written as YAML as it is generated,
/// without a JSON tree per object ([`lower::lower_to_yaml`], docs/performance.md).
pub fn compile_to_yaml(
    source: &Source,
    options: &Options,
) -> Result<(Vec<String>, Diagnostics), Diagnostics> {
    if options.target != order::Target::Kubectl {
        let bundle = compile(source, options)?;
        return Ok((emit::to_yaml_parts(&bundle.objects), bundle.warnings));
    }
    let (model, mut warnings) = analyze_for_lowering(source, options)?;
    let lowered = lower::lower_to_yaml(&model, options);
    if options.exiting {
        std::mem::forget(model);
    }
    match lowered {
        Ok((parts, lower_warnings)) => {
            warnings.extend(lower_warnings);
            Ok((parts, warnings))
        }
        Err(errors) => {
            warnings.extend(errors);
            warnings.sort();
            Err(warnings)
        }
    }
}

/// [`analyze`] for the text-mode compiles: the model and the warnings, or the
/// diagnostics that stop the compile. The syntax tree is dropped here.
fn analyze_for_lowering(
    source: &Source,
    options: &Options,
) -> Result<(check::model::Model, Diagnostics), Diagnostics> {
    let analysis = analyze(source, options);
    let Some(model) = analysis.model else {
        return Err(analysis.diagnostics);
    };
    if options.exiting {
        // Lowering does not read the syntax tree. Freed on the pool as lowering starts,
        // its memory is reused by the objects and their text instead of new pages: the
        // peak memory of the process is lower by about the tree's size.
        let ast = analysis.ast;
        rayon::spawn(move || drop(ast));
    } else {
        drop(analysis.ast);
    }
    Ok((model, analysis.diagnostics))
}
