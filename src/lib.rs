//! kiln: a typed app-description language compiled to complete, secure, correctly ordered
//! Kubernetes YAML bundles.
//!
//! Data flows one way: [`syntax`] (text → AST) → [`check`] (AST → typed [`check::model`])
//! → [`lower`] (model → Kubernetes objects) → [`order`] (apply order, phases) → [`emit`]
//! (deterministic YAML). The CLI, the diff and the language server all call the functions
//! in this file; none of them parses or checks on its own.

pub mod check;
pub mod cli;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod fsio;
pub mod index;
pub mod lower;
pub mod lsp;
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
        Source { map, entry }
    }

    /// Reads a file. The name shown in diagnostics is the path as given.
    pub fn from_path(path: &Path) -> std::io::Result<Source> {
        let text = std::fs::read_to_string(path)?;
        let mut map = SourceMap::new();
        let entry = map.add(SourceFile::new(
            path.display().to_string(),
            Some(path.to_path_buf()),
            text,
        ));
        Ok(Source { map, entry })
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
    let (ast, mut diagnostics) = syntax::parse(source.entry, &file.text);
    let mut model = if diagnostics.has_errors() {
        None
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
