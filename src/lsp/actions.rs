//! Quick fixes for diagnostics with an obvious fix: the checker's "did you mean `x`?"
//! (replace the word), and an unpinned image (pin it to the tag the same repository has
//! elsewhere in the file, or accept the mutable tag explicitly with `mutable_tag = true`).

use super::context;
use super::document::Snapshot;
use super::{Action, Edit};
use crate::check::values;
use crate::diag::codes;
use crate::source::Span;
use crate::syntax::ast;

/// The quick fixes for diagnostics touching `start..end`.
pub(crate) fn actions(snap: &Snapshot, start: u32, end: u32) -> Vec<Action> {
    let mut out = Vec::new();
    for (i, d) in snap.analysis.diagnostics.iter().enumerate() {
        let span = d.primary.loc.span;
        if span.end < start || span.start > end {
            continue;
        }
        if let Some(fix) = d.help.as_deref().and_then(did_you_mean)
            && let Some(edit) = replacement(snap.text(), span, fix)
        {
            out.push(Action {
                title: format!("replace with `{fix}`"),
                edits: vec![edit],
                diagnostic: Some(i),
                preferred: true,
            });
        }
        if d.code == codes::UNPINNED_IMAGE {
            out.extend(pin_image(snap, span, i));
        }
    }
    out
}

/// The `x` of the first "did you mean `x`?" in a help line.
fn did_you_mean(help: &str) -> Option<&str> {
    let rest = &help[help.find("did you mean `")? + "did you mean `".len()..];
    let end = rest.find("`?")?;
    Some(&rest[..end])
}

/// Replacing the text of `span` with `fix`, when that is what the suggestion means: one
/// word (or literal) for another, never a whole path for one of its parts.
fn replacement(text: &str, span: Span, fix: &str) -> Option<Edit> {
    let old = text.get(span.range())?;
    let token = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace) && s.len() < 256;
    if !token(old) || !token(fix) || old == fix {
        return None;
    }
    // `csis.web.replicas` is not replaced by `csis`: paths keep their other parts.
    if old.contains('.') && !fix.contains('.') {
        return None;
    }
    // A quoted literal keeps its quotes unless the fix brings its own.
    let quoted = old.len() >= 2 && old.starts_with('"') && old.ends_with('"');
    let text = if quoted && !fix.starts_with('"') {
        format!("\"{fix}\"")
    } else {
        fix.to_string()
    };
    Some(Edit { span, text })
}

/// Image literals of the file: the string's span and its text.
fn images(file: &ast::File) -> Vec<(Span, String)> {
    fn walk(b: &ast::Block, out: &mut Vec<(Span, String)>, depth: usize) {
        if depth > 64 {
            return;
        }
        for e in &b.entries {
            match e {
                ast::Entry::Field(f)
                    if f.path.len() == 1 && f.path.first().is_some_and(|k| k.name == "image") =>
                {
                    if let ast::ExprKind::Str(s) = &f.value.kind
                        && let Some(t) = s.as_plain()
                    {
                        out.push((s.span, t));
                    }
                }
                ast::Entry::Block(c) => walk(c, out, depth + 1),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for i in &file.items {
        if let ast::Item::Block(b) = i {
            walk(b, &mut out, 0);
        }
    }
    out
}

fn pin_image(snap: &Snapshot, span: Span, diag: usize) -> Vec<Action> {
    let ast = &snap.analysis.ast;
    let all = images(ast);
    let Some((lit, text)) = all
        .iter()
        .find(|(s, _)| s.start <= span.start && span.end <= s.end)
    else {
        return Vec::new();
    };
    let Ok(img) = values::image(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // The same repository pinned elsewhere in the file.
    let mut tags: Vec<String> = all
        .iter()
        .filter_map(|(_, t)| values::image(t).ok())
        .filter(|o| o.repository == img.repository && o.is_pinned())
        .filter_map(|o| o.tag.filter(|t| t != "latest"))
        .collect();
    tags.sort();
    tags.dedup();
    for tag in tags {
        out.push(Action {
            title: format!("pin the image tag to `{tag}` (as elsewhere in this file)"),
            edits: vec![Edit {
                span: *lit,
                text: format!("\"{}:{tag}\"", img.repository),
            }],
            diagnostic: Some(diag),
            preferred: false,
        });
    }
    // Or accept it on purpose, where the image is set: `security { mutable_tag = true }`.
    let (frames, _) = context::frames(ast, lit.start);
    if let Some(f) = frames.last()
        && f.schema.is_some_and(|s| s.child("security").is_some())
    {
        let source = snap.text();
        let edit = match f.block.entries.iter().find_map(|e| match e {
            ast::Entry::Block(b) if b.kind.name == "security" => Some(b),
            _ => None,
        }) {
            Some(sec) => {
                let at = sec.body_span.start + 1;
                let inner = indent_at(source, sec.span.start) + "  ";
                Edit {
                    span: Span::new(at as usize, at as usize),
                    text: format!("\n{inner}mutable_tag = true"),
                }
            }
            None => {
                let field_end = f
                    .block
                    .entries
                    .iter()
                    .find_map(|e| match e {
                        ast::Entry::Field(fl) if fl.value.span.contains(lit.start) => {
                            Some(fl.span.end)
                        }
                        _ => None,
                    })
                    .unwrap_or(lit.end);
                let indent = indent_at(source, lit.start);
                Edit {
                    span: Span::new(field_end as usize, field_end as usize),
                    text: format!("\n{indent}security {{ mutable_tag = true }}"),
                }
            }
        };
        out.push(Action {
            title: "keep the mutable tag on purpose (`mutable_tag = true`, a warning)".into(),
            edits: vec![edit],
            diagnostic: Some(diag),
            preferred: false,
        });
    }
    out
}

/// The indentation of the line holding `offset`.
fn indent_at(text: &str, offset: u32) -> String {
    let o = (offset as usize).min(text.len());
    let line_start = text
        .get(..o)
        .and_then(|t| t.rfind('\n'))
        .map(|i| i + 1)
        .unwrap_or(0);
    text.get(line_start..)
        .unwrap_or("")
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_read_from_help() {
        assert_eq!(did_you_mean("did you mean `replicas`?"), Some("replicas"));
        assert_eq!(
            did_you_mean("did you mean `web`? profile paths start with an app name"),
            Some("web")
        );
        assert_eq!(did_you_mean("write `x`"), None);
        let t = "a.b.c = \"x\"";
        assert_eq!(replacement(t, Span::new(0, 5), "a"), None);
        assert_eq!(
            replacement(t, Span::new(8, 11), "y"),
            Some(Edit {
                span: Span::new(8, 11),
                text: "\"y\"".into()
            })
        );
    }

    use crate::lsp::document::Document;

    fn apply(text: &str, edits: &[Edit]) -> String {
        let mut edits = edits.to_vec();
        edits.sort_by_key(|e| std::cmp::Reverse(e.span.start));
        let mut out = text.to_string();
        for e in edits {
            out.replace_range(e.span.range(), &e.text);
        }
        out
    }

    fn analyze(text: &str) -> std::rc::Rc<Snapshot> {
        Document::new("untitled:t".into(), 1, text.to_string()).snapshot(&crate::Options::default())
    }

    /// Every did-you-mean fix of every check fixture removes the diagnostic it fixes.
    #[test]
    fn did_you_mean_fixes_fix() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
        let mut fixed = 0;
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_none_or(|x| x != "kiln") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let snap = analyze(&text);
            for a in actions(&snap, 0, text.len() as u32)
                .into_iter()
                .filter(|a| a.preferred)
            {
                let d = &snap.analysis.diagnostics.0[a.diagnostic.unwrap()];
                let after = analyze(&apply(&text, &a.edits));
                let same = |x: &crate::diag::Diagnostic| x.code == d.code && x.message == d.message;
                assert!(
                    !after.analysis.diagnostics.iter().any(same),
                    "{}: `{}` did not fix {} {}",
                    p.display(),
                    a.title,
                    d.code,
                    d.message
                );
                fixed += 1;
            }
        }
        assert!(fixed >= 5, "only {fixed} fixes found");
    }

    #[test]
    fn unpinned_images() {
        let text = "app a {\n  image = \"r/shop:1.4.2\"\n  service web {\n    image = \"r/shop:latest\"\n    port = 80\n  }\n}\n";
        let snap = analyze(text);
        let found = actions(&snap, 0, text.len() as u32);
        let titles: Vec<&str> = found.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles.len(), 2, "{titles:?}");
        let pinned = apply(text, &found[0].edits);
        assert!(
            pinned.contains("image = \"r/shop:1.4.2\"\n    port"),
            "{pinned}"
        );
        assert!(
            !analyze(&pinned)
                .analysis
                .diagnostics
                .iter()
                .any(|d| d.code == codes::UNPINNED_IMAGE)
        );
        let kept = apply(text, &found[1].edits);
        let after = analyze(&kept);
        let d = after
            .analysis
            .diagnostics
            .iter()
            .find(|d| d.code == codes::UNPINNED_IMAGE)
            .expect("still reported");
        assert!(!d.is_error(), "a warning once accepted: {kept}");
    }
}
