//! Argument definitions (clap derive). Help text carries an example for each command.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// kiln compiles a typed app description into complete, secure, ordered Kubernetes YAML.
#[derive(Debug, Parser)]
#[command(name = "kiln", version, about, long_about = None, propagate_version = true)]
#[command(
    after_help = "Examples:\n  kiln check app.kiln\n  kiln compile app.kiln -o out/\n  kiln fmt --check\n  kiln explain K0101"
)]
pub struct Cli {
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    pub color: Color,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Colour choice.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    /// Colour when stderr is a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Diagnostic output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum Format {
    /// rustc-style text on stderr.
    #[default]
    Text,
    /// One JSON object per diagnostic per line, on stdout.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse and type-check files; report every problem found.
    #[command(
        after_help = "Examples:\n  kiln check examples/csis/app.kiln\n  kiln check --format json app.kiln   # for pipelines and editors\n  kiln check --deny-warnings *.kiln\n\nExit status: 0 clean (warnings allowed), 2 errors."
    )]
    Check(CheckArgs),
    /// Compile a file into Kubernetes YAML (stdout, or a bundle directory with -o).
    #[command(
        after_help = "Examples:\n  kiln compile examples/csis/app.kiln              # YAML stream on stdout\n  kiln compile app.kiln -o out/                    # one directory per app, written atomically\n  kiln compile app.kiln --profile staging\n  kiln compile app.kiln --kube-version 1.33\n  kiln compile app.kiln --for helm -o charts/        # a chart per app, jobs as hooks\n\nExit status: 0 compiled, 2 input errors, 3 I/O failure."
    )]
    Compile(CompileArgs),
    /// Write the release plan: a POSIX shell script that applies each phase with kubectl
    /// and waits for every job and rollout.
    #[command(
        after_help = "Examples:\n  kiln plan examples/csis/app.kiln -o release.sh   # then: sh release.sh\n  kiln plan app.kiln --dry-run                     # the steps, in words\n  sh release.sh --dry-run                          # the same, from the script\n  kiln plan app.kiln --keep 5 > release.sh          # keep 5 releases of hashed ConfigMaps\n\nThe script stops at the first failed job or rollout (showing the pods' logs and events),\nruns on_install jobs only on the first release, and deletes old hashed ConfigMaps.\nSee docs/ordering.md.\n\nExit status: 0 written, 2 input errors, 3 I/O failure."
    )]
    Plan(PlanArgs),
    /// Format files in the canonical layout (in place, or check only).
    #[command(
        after_help = "Examples:\n  kiln fmt app.kiln\n  kiln fmt --check            # every .kiln file under the current directory\n  cat app.kiln | kiln fmt -   # stdin to stdout\n\nExit status: 0 formatted (or already formatted), 1 --check found files to reformat,\n2 a file has syntax errors (it is left untouched)."
    )]
    Fmt(FmtArgs),
    /// Show what applying the compiled file would change: against manifests, the live
    /// cluster, or the same file at another git revision.
    #[command(
        after_help = "Examples:\n  kiln diff app.kiln --base origin/main                # what this branch changes (code review)\n  kiln diff app.kiln --base HEAD~1 --format markdown   # a pull-request comment\n  kiln diff app.kiln --live                            # before a release, with your kubeconfig\n  kiln diff app.kiln --live --context prod --prune     # also list objects the app no longer has\n  kiln diff app.kiln --against out/                    # a directory of YAML or JSON manifests\n  kubectl get deploy,svc -n csis -o yaml | kiln diff app.kiln --against -\n  kiln diff app.kiln --base main --summary             # one line per object: spec.replicas: 3 → 5\n\nSecrets are masked in every format. See docs/diff.md for what is normalized and why.\n\nExit status: 0 no differences, 1 differences, 2 input errors, 3 I/O or cluster failure."
    )]
    Diff(DiffArgs),
    /// Turn Kubernetes manifests (files, directories, `-`; Helm output, kubectl dumps)
    /// into a formatted `.kiln` file; the report goes to stderr.
    #[command(
        after_help = "Examples:\n  kiln import k8s/ -o app.kiln                     # a folder of manifests\n  helm template shop ./chart | kiln import - -o app.kiln\n  kubectl get deploy,sts,svc,cm,ing -n shop -o yaml | kiln import - > app.kiln\n  kiln import k8s/ --format json -o app.kiln       # the report as JSON, for tools\n  kiln diff app.kiln --against k8s/ --summary      # then: what the migration hardens\n\nSecret data is never imported: a Secret becomes a reference. See docs/import.md.\n\nExit status: 0 imported, 2 input errors (or -o exists without --force), 3 I/O or internal failure."
    )]
    Import(ImportArgs),
    /// Explain a diagnostic code, with an example.
    #[command(
        after_help = "Examples:\n  kiln explain K0101\n  kiln explain unknown-field\n  kiln explain --list"
    )]
    Explain(ExplainArgs),
    /// Scaffold a new app: a formatted `.kiln` file that checks clean.
    #[command(
        after_help = "Examples:\n  kiln init                                        # asks for name, template and image\n  kiln init shop/ --template rails --name shop      # writes shop/app.kiln\n  kiln init api.kiln --template node --name api --image registry.example.com/api:1.0.0\n\nWithout a terminal on standard input, --name and --template are required.\nAn existing file is only replaced with --force.\n\nExit status: 0 written, 2 bad or missing values (nothing written), 3 I/O failure."
    )]
    Init(super::init::InitArgs),
    /// Run the language server (LSP 3.17 over stdio) for editors.
    #[command(
        after_help = "Editors start it themselves; see docs/editors.md for VS Code and Neovim.\n\nExit status: 0 after `shutdown` then `exit`, 1 when the client went away without them."
    )]
    Lsp,
}

/// Options shared by commands that analyse source.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Apply the named profile (e.g. `staging`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Diagnostic format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Treat warnings as errors (exit 2).
    #[arg(long)]
    pub deny_warnings: bool,
    /// Let imports read files outside the project directory.
    #[arg(long)]
    pub allow_outside: bool,
    /// Override a field on top of the profile: `app.block.field=value` (a kiln value:
    /// strings in quotes). Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Take overrides from environment variables `PREFIX<path>`, `__` for `.`
    /// (`KILN_SET_csis__web__replicas=5`).
    #[arg(long, value_name = "PREFIX")]
    pub set_from_env: Option<String>,
}

/// `kiln check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `kiln compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The file to compile.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write the bundle to this directory (replaced atomically) instead of stdout.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Target Kubernetes version (1.33 to 1.37; default the newest).
    #[arg(long, value_name = "1.MINOR")]
    pub kube_version: Option<String>,
    /// The deploy tool the bundle is written for: plain phases (for `kiln plan`), Argo CD
    /// sync waves and hooks, a Helm chart with hooks, kapp change groups.
    #[arg(long = "for", value_enum, value_name = "TOOL", default_value_t = ForTarget::Kubectl)]
    pub target: ForTarget,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `--for`: the deploy tool.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ForTarget {
    /// Numbered phase files; `kiln plan` does the waiting.
    Kubectl,
    /// `argocd.argoproj.io/sync-wave` and hooks.
    Argocd,
    /// A chart per app (`Chart.yaml`, `templates/`), jobs as hooks.
    Helm,
    /// `kapp.k14s.io/change-group` and `change-rule`.
    Kapp,
}

/// `kiln plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The file to release (`-` for standard input).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Write the script to this file (atomically, executable) instead of stdout.
    #[arg(short, long, value_name = "SCRIPT")]
    pub output: Option<PathBuf>,
    /// Print the steps in words instead of the script; nothing is run.
    #[arg(long)]
    pub dry_run: bool,
    /// How many releases' hashed ConfigMaps to keep (the current one included).
    #[arg(long, value_name = "N", default_value_t = crate::order::plan::DEFAULT_KEEP)]
    pub keep: usize,
    /// Shared options.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `kiln fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or directories (default: every .kiln file under the current directory);
    /// `-` reads stdin and writes stdout.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Don't write; exit 1 and name the files that would change.
    #[arg(long)]
    pub check: bool,
}

/// `kiln explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A code (`K0101`) or its name (`unknown-field`).
    #[arg(value_name = "CODE", required_unless_present = "list")]
    pub code: Option<String>,
    /// List every code with its summary.
    #[arg(long)]
    pub list: bool,
}

/// `kiln diff` output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum DiffFormat {
    /// A unified diff per object, coloured on a terminal.
    #[default]
    Text,
    /// Collapsible sections per object, for a pull-request comment.
    Markdown,
    /// The changes with their paths, for programs.
    Json,
}

/// `kiln diff`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("other_side").required(true).args(["against", "live", "base"])))]
pub struct DiffArgs {
    /// The file to compile: the desired state.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Compare with manifests: a YAML or JSON file, a directory of them, or `-` (stdin).
    #[arg(long, value_name = "PATH")]
    pub against: Option<PathBuf>,
    /// Compare with the cluster of the kubeconfig (objects not there yet show as added).
    #[arg(long)]
    pub live: bool,
    /// Compare with FILE as it was at a git revision (branch, tag, commit, `HEAD~1`).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The kubeconfig context to use (default: the current context).
    #[arg(long, value_name = "NAME", requires = "live")]
    pub context: Option<String>,
    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH", requires = "live")]
    pub kubeconfig: Option<PathBuf>,
    /// The namespace of objects that name none (kiln's own objects always do).
    #[arg(short = 'n', long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Also list live objects with the app's `app.kubernetes.io/instance` label that
    /// the bundle no longer has (as removed).
    #[arg(long, requires = "live")]
    pub prune: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// One line per changed object with its changed paths, instead of YAML diffs.
    #[arg(long)]
    pub summary: bool,
    /// Lines of context around each change.
    #[arg(short = 'U', long = "unified", value_name = "N", default_value_t = 3)]
    pub unified: usize,
    /// Apply the named profile (e.g. `staging`) to both sides.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Target Kubernetes version (1.33 to 1.37; default the newest).
    #[arg(long, value_name = "1.MINOR")]
    pub kube_version: Option<String>,
}

/// `kiln import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Manifests: YAML or JSON files, directories of them, or `-` (stdin).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write the `.kiln` file here (raw objects go to `raw/` next to it) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Report format (on stderr).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
