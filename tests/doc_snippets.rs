//! Every ```` ```kiln ```` block of `docs/modules.md` and `docs/migrating.md` is real:
//!
//! - a block whose first line is `// file: DIR/PATH.kiln` is one file of the workspace
//!   `DIR` (blocks of one `DIR` are gathered, in any section of the page); each workspace
//!   is checked as a directory (`kiln check DIR`) and compiled with each profile it
//!   declares, without an error;
//! - a block whose first line starts with `// partial` shows a piece of a file: it is
//!   only parsed, and must have no syntax error;
//! - every other block is a whole file: it must check without an error (warnings are
//!   allowed: some blocks show one on purpose), and compile.

use std::collections::BTreeMap;
use std::path::Path;

const DOCS: &[&str] = &["docs/modules.md", "docs/migrating.md"];

/// The ```kiln blocks of a markdown text, with the line each starts at.
fn kiln_blocks(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start();
        match &mut current {
            None if fence.starts_with("```kiln") => current = Some((i + 1, String::new())),
            Some(_) if fence.starts_with("```") => out.extend(current.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
            None => {}
        }
    }
    out
}

fn render(diags: &kiln::diag::Diagnostics, map: &kiln::source::SourceMap) -> String {
    kiln::diag::render::to_text(&diags.0, map, false)
}

fn check_doc(doc: &str, failures: &mut Vec<String>) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = match std::fs::read_to_string(root.join(doc)) {
        Ok(t) => t,
        Err(e) => {
            failures.push(format!("{doc}: cannot read: {e}"));
            return 0;
        }
    };
    let blocks = kiln_blocks(&text);
    let mut workspaces: BTreeMap<String, Vec<(usize, String, String)>> = BTreeMap::new();
    for (line, body) in &blocks {
        let first = body.lines().next().unwrap_or("");
        let at = format!("{doc}:{line}");
        if let Some(path) = first.strip_prefix("// file: ") {
            let path = path.trim();
            let Some((dir, rest)) = path.split_once('/') else {
                failures.push(format!("{at}: `// file: {path}` needs DIR/NAME.kiln"));
                continue;
            };
            workspaces.entry(dir.to_string()).or_default().push((
                *line,
                rest.to_string(),
                body.clone(),
            ));
            continue;
        }
        if first.starts_with("// partial") {
            let (_, diags) = kiln::syntax::parse(kiln::source::FileId(0), body);
            if diags.has_errors() {
                let source = kiln::Source::from_text(at.clone(), body.clone());
                failures.push(format!(
                    "{at}: syntax errors:\n{}",
                    render(&diags, &source.map)
                ));
            }
            continue;
        }
        let source = kiln::Source::from_text(at.clone(), body.clone());
        let analysis = kiln::analyze(&source, &kiln::Options::default());
        if analysis.diagnostics.has_errors() || analysis.model.is_none() {
            failures.push(format!(
                "{at}: does not check:\n{}",
                render(&analysis.diagnostics, &source.map)
            ));
        } else if let Err(d) = kiln::compile(&source, &kiln::Options::default()) {
            failures.push(format!(
                "{at}: does not compile:\n{}",
                render(&d, &source.map)
            ));
        }
    }
    for (name, files) in &workspaces {
        let dir = tempfile::tempdir().unwrap();
        for (line, rel, body) in files {
            let p = dir.path().join(name).join(rel);
            if p.exists() {
                failures.push(format!("{doc}:{line}: `{name}/{rel}` is given twice"));
            }
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(&p, body).unwrap();
        }
        let ws = dir.path().join(name);
        let source = kiln::Source::from_dir(&ws).unwrap();
        let analysis = kiln::analyze(&source, &kiln::Options::default());
        if analysis.diagnostics.has_errors() || analysis.model.is_none() {
            failures.push(format!(
                "{doc}: workspace `{name}` does not check:\n{}",
                render(&analysis.diagnostics, &source.map)
            ));
            continue;
        }
        let profiles: Vec<String> = analysis
            .model
            .as_ref()
            .map(|_| {
                source
                    .map
                    .iter()
                    .filter(|(_, f)| f.path.is_some())
                    .flat_map(|(id, f)| kiln::syntax::parse(id, &f.text).0.items)
                    .filter_map(|i| match i {
                        kiln::syntax::ast::Item::Profile(p) => Some(p.name.name),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        for profile in std::iter::once(None).chain(profiles.into_iter().map(Some)) {
            let options = kiln::Options {
                profile: profile.clone(),
                ..kiln::Options::default()
            };
            if let Err(d) = kiln::compile(&source, &options) {
                failures.push(format!(
                    "{doc}: workspace `{name}` with profile {profile:?} does not compile:\n{}",
                    render(&d, &source.map)
                ));
            }
        }
    }
    blocks.len()
}

#[test]
fn kiln_blocks_of_the_module_docs_check() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for doc in DOCS {
        let n = check_doc(doc, &mut failures);
        assert!(n > 0, "{doc}: no ```kiln block found");
        checked += n;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    eprintln!("{checked} kiln blocks checked");
}

#[test]
fn blocks_are_found() {
    let md = "text\n```kiln\napp a {}\n```\n```sh\nkiln\n```\n  ```kiln\n// partial\n  ```\n";
    let blocks = kiln_blocks(md);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0], (2, "app a {}\n".to_string()));
    assert_eq!(blocks[1].1, "// partial\n");
}
