//! Rendering a [`Report`]: text (a unified diff per object, coloured on a terminal),
//! markdown (a collapsible section per object, for a pull-request comment), JSON (the
//! changes with their paths, for machines), and the one-line-per-object summary.
//!
//! Everything printed comes from the report, whose values are already masked.

use super::hardening::Category;
use super::{ObjectDiff, PathChange, Report, Status};
use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};
use std::fmt::Write as _;
use std::time::Duration;

/// How to render.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// ANSI colours (text only).
    pub color: bool,
    /// Lines of context around each change in unified diffs.
    pub context: usize,
    /// One line per changed object with its changed paths, instead of the YAML diffs.
    pub summary: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            context: 3,
            summary: false,
        }
    }
}

/// Beyond this, a diff gives up looking for the smallest edit script (the output is
/// still a correct diff, only longer): a pathological object must not stall a run.
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

/// The unified diff of one object's YAML, hunks only (no `---`/`+++` header).
fn unified(o: &ObjectDiff, context: usize, color: bool) -> String {
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(o.before_yaml.as_str(), o.after_yaml.as_str());
    let mut out = String::new();
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    };
    for hunk in diff.unified_diff().context_radius(context).iter_hunks() {
        let _ = writeln!(out, "{}", paint("36", &hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let (sign, code) = match change.tag() {
                ChangeTag::Delete => ('-', "31"),
                ChangeTag::Insert => ('+', "32"),
                ChangeTag::Equal => (' ', ""),
            };
            let line = change.value().trim_end_matches('\n');
            let text = format!("{sign}{line}");
            if code.is_empty() {
                let _ = writeln!(out, "{text}");
            } else {
                let _ = writeln!(out, "{}", paint(code, &text));
            }
        }
    }
    out
}

/// The body of an added or removed object: every line with its sign.
fn whole(yaml: &str, sign: char, color: bool) -> String {
    let code = if sign == '+' { "32" } else { "31" };
    let mut out = String::new();
    for line in yaml.lines() {
        if color {
            let _ = writeln!(out, "\x1b[{code}m{sign}{line}\x1b[0m");
        } else {
            let _ = writeln!(out, "{sign}{line}");
        }
    }
    out
}

/// The diff lines of one object (without its header).
fn body(o: &ObjectDiff, context: usize, color: bool) -> String {
    match o.status {
        Status::Added => whole(&o.after_yaml, '+', color),
        Status::Removed => whole(&o.before_yaml, '-', color),
        Status::Changed => unified(o, context, color),
        Status::Unchanged => String::new(),
    }
}

/// A value in a summary line: scalars as written, structures as compact JSON, cut at
/// 60 characters.
fn short(v: Option<&Value>) -> String {
    let s = match v {
        None => return "(absent)".to_owned(),
        Some(Value::String(s)) if !s.is_empty() && !s.contains(['\n', ' ']) => s.clone(),
        Some(v) => v.to_string(),
    };
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(59).collect();
        format!("{cut}…")
    } else {
        s
    }
}

/// `spec.replicas: 3 → 5`.
pub fn change_line(c: &PathChange) -> String {
    format!(
        "{}: {} → {}",
        c.path,
        short(c.before.as_ref()),
        short(c.after.as_ref())
    )
}

/// One summary line for an object (`~ apps/v1 Deployment csis/web: spec.replicas: 3 → 5`).
fn summary_line(o: &ObjectDiff) -> String {
    let head = format!("{} {}", o.status.sign(), o.title());
    match o.status {
        Status::Changed => {
            let parts: Vec<String> = o.changes.iter().map(change_line).collect();
            format!("{head}: {}", parts.join("; "))
        }
        _ => head,
    }
}

/// The changes of a classified object grouped by category (the categories in their
/// order, then the unclassified changes under `None`): additions by path only (the
/// value is kiln's default), other changes with their values.
fn grouped(o: &ObjectDiff) -> Vec<(Option<Category>, Vec<String>)> {
    let mut out: Vec<(Option<Category>, Vec<String>)> = Vec::new();
    let order = Category::ALL.iter().copied().map(Some).chain([None]);
    for cat in order {
        let items: Vec<String> = o
            .changes
            .iter()
            .zip(o.categories.iter().copied().chain(std::iter::repeat(None)))
            .filter(|(_, c)| *c == cat)
            .map(|(ch, _)| match (cat, &ch.before) {
                (Some(_), None) => ch.path.clone(),
                _ => change_line(ch),
            })
            .collect();
        if !items.is_empty() {
            out.push((cat, items));
        }
    }
    out
}

/// Per category, how many changed paths and added or removed objects it explains;
/// `other`: how many it does not.
fn category_counts(report: &Report) -> (Vec<(Category, usize)>, usize) {
    let mut counts: Vec<(Category, usize)> = Category::ALL.iter().map(|c| (*c, 0)).collect();
    let mut other = 0;
    let mut bump =
        |c: Option<Category>| match c.and_then(|c| counts.iter_mut().find(|(k, _)| *k == c)) {
            Some((_, n)) => *n += 1,
            None => other += 1,
        };
    for o in &report.objects {
        match o.status {
            Status::Unchanged => {}
            Status::Changed => {
                for i in 0..o.changes.len() {
                    bump(o.categories.get(i).copied().flatten());
                }
            }
            _ => bump(o.category),
        }
    }
    counts.retain(|(_, n)| *n > 0);
    (counts, other)
}

/// The closing line of a classified summary: what kiln adds on purpose, by category.
fn categories_line(report: &Report) -> String {
    let (counts, other) = category_counts(report);
    let parts: Vec<String> = counts
        .iter()
        .map(|(c, n)| format!("{n} {}", c.as_str()))
        .collect();
    format!(
        "kiln adds on purpose: {}; {other} other change{}",
        if parts.is_empty() {
            "nothing".to_owned()
        } else {
            parts.join(", ")
        },
        if other == 1 { "" } else { "s" }
    )
}

/// A classified object in the summary: its header, then one indented line per category.
fn classified_summary(out: &mut String, o: &ObjectDiff) {
    let head = format!("{} {}", o.status.sign(), o.title());
    match o.status {
        Status::Changed => {
            let _ = writeln!(out, "{head}");
            for (cat, items) in grouped(o) {
                let name = cat.map_or("other", Category::as_str);
                let _ = writeln!(out, "    {name}: {}", items.join("; "));
            }
        }
        _ => match o.category {
            Some(c) => {
                let _ = writeln!(out, "{head} [{}]", c.as_str());
            }
            // Not something kiln adds on purpose: the plain header stands out.
            None => {
                let _ = writeln!(out, "{head}");
            }
        },
    }
}

/// The text rendering: per differing object a header and its diff, then the counts.
pub fn text(report: &Report, opts: RenderOptions) -> String {
    let mut out = String::new();
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    for o in report
        .objects
        .iter()
        .filter(|o| o.status != Status::Unchanged)
    {
        if opts.summary && report.classified {
            classified_summary(&mut out, o);
            continue;
        }
        if opts.summary {
            let _ = writeln!(out, "{}", summary_line(o));
            continue;
        }
        let head = format!("{} {}", o.status.sign(), o.title());
        if opts.color {
            let _ = writeln!(out, "\x1b[1m{head}\x1b[0m");
        } else {
            let _ = writeln!(out, "{head}");
        }
        out.push_str(&body(o, opts.context, opts.color));
        out.push('\n');
    }
    if opts.summary && report.classified {
        let _ = writeln!(out, "{}", categories_line(report));
    }
    let _ = writeln!(out, "{}", report.counts());
    out
}

/// A code fence longer than any run of backticks in `text`, so the text cannot close it.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

/// Escapes text for HTML (the `<summary>` line).
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The markdown rendering, for a pull-request comment: a heading with the counts, then
/// a collapsible `<details>` section per differing object with its diff in a `diff`
/// code block (or, with `summary`, a table of the changed paths).
pub fn markdown(report: &Report, opts: RenderOptions) -> String {
    let mut out = String::new();
    let counts = report.counts();
    let _ = writeln!(out, "### kiln diff: {counts}\n");
    for note in &report.notes {
        let _ = writeln!(out, "> {}\n", note.replace('\n', " "));
    }
    let differing: Vec<&ObjectDiff> = report
        .objects
        .iter()
        .filter(|o| o.status != Status::Unchanged)
        .collect();
    if differing.is_empty() {
        out.push_str("No differences.\n");
        return out;
    }
    if opts.summary {
        out.push_str("| | object | changes |\n|---|---|---|\n");
        for o in differing {
            let changes = match o.status {
                Status::Changed if report.classified => grouped(o)
                    .into_iter()
                    .map(|(cat, items)| {
                        let items: Vec<String> = items
                            .iter()
                            .map(|i| format!("`{}`", i.replace('`', "'")))
                            .collect();
                        format!(
                            "{}: {}",
                            cat.map_or("other", Category::as_str),
                            items.join(", ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("<br>"),
                Status::Changed => o
                    .changes
                    .iter()
                    .map(|c| format!("`{}`", change_line(c).replace('`', "'")))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                s if report.classified => format!(
                    "{} ({})",
                    s.as_str(),
                    o.category.map_or("other", Category::as_str)
                ),
                s => s.as_str().to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                o.status.sign(),
                o.title(),
                changes.replace('|', "\\|")
            );
        }
        if report.classified {
            let _ = writeln!(out, "\n{}", categories_line(report));
        }
        return out;
    }
    for o in differing {
        let what = match o.status {
            Status::Changed => {
                let n = o.changes.len();
                format!("{n} change{}", if n == 1 { "" } else { "s" })
            }
            s => s.as_str().to_owned(),
        };
        let diff = body(o, opts.context, false);
        let fence = fence_for(&diff);
        let _ = write!(
            out,
            "<details><summary><code>{} {}</code> ({what})</summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>\n\n",
            o.status.sign(),
            html(&o.title()),
        );
    }
    out
}

/// The JSON rendering: counts, notes, and per differing object its identity, status,
/// changes (readable path, RFC 6901 pointer, before, after) and, unless `summary`, the
/// unified diff text.
pub fn json(report: &Report, opts: RenderOptions) -> String {
    let c = report.counts();
    let objects: Vec<Value> = report
        .objects
        .iter()
        .filter(|o| o.status != Status::Unchanged)
        .map(|o| {
            let changes: Vec<Value> = if o.status == Status::Changed {
                o.changes
                    .iter()
                    .enumerate()
                    .map(|(i, ch)| {
                        let op = match (&ch.before, &ch.after) {
                            (None, _) => "add",
                            (_, None) => "remove",
                            _ => "replace",
                        };
                        let mut c = json!({"op": op, "path": ch.path, "pointer": ch.pointer,
                               "before": ch.before, "after": ch.after});
                        // Only a classified change carries a category (absent: a
                        // change kiln does not make on purpose).
                        if let Some(cat) = o.categories.get(i).copied().flatten() {
                            c["category"] = json!(cat.as_str());
                        }
                        c
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let mut v = json!({
                "status": o.status.as_str(),
                "apiVersion": o.api_version,
                "kind": o.key.kind,
                "namespace": o.key.namespace,
                "name": o.key.name,
                "renamedFrom": o.renamed_from,
                "changes": changes,
            });
            if !opts.summary {
                v["diff"] = Value::String(body(o, opts.context, false));
            }
            if let Some(cat) = o.category {
                v["category"] = json!(cat.as_str());
            }
            v
        })
        .collect();
    let mut v = json!({
        "summary": {"changed": c.changed, "added": c.added, "removed": c.removed, "unchanged": c.unchanged},
        "notes": report.notes,
        "objects": objects,
    });
    if report.classified {
        let (counts, other) = category_counts(report);
        let mut m = serde_json::Map::new();
        for (cat, n) in counts {
            m.insert(cat.as_str().to_owned(), json!(n));
        }
        m.insert("other".to_owned(), json!(other));
        v["categories"] = Value::Object(m);
    }
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffOptions, diff};

    fn report() -> Report {
        let b = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "a"}, "spec": {"replicas": 3}});
        let a = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "a"}, "spec": {"replicas": 5}});
        diff(&[b], &[a], &DiffOptions::default())
    }

    #[test]
    fn text_has_header_hunk_and_counts() {
        let t = text(&report(), RenderOptions::default());
        assert!(t.starts_with("~ apps/v1 Deployment a/web\n@@"), "{t}");
        assert!(t.contains("-  replicas: 3\n+  replicas: 5\n"), "{t}");
        assert!(
            t.ends_with("1 changed, 0 added, 0 removed, 0 unchanged\n"),
            "{t}"
        );
    }

    #[test]
    fn summary_names_paths() {
        let t = text(
            &report(),
            RenderOptions {
                summary: true,
                ..RenderOptions::default()
            },
        );
        assert_eq!(
            t,
            "~ apps/v1 Deployment a/web: spec.replicas: 3 → 5\n1 changed, 0 added, 0 removed, 0 unchanged\n"
        );
    }

    #[test]
    fn fences_outgrow_backticks() {
        assert_eq!(fence_for("a ```` b"), "`````");
        assert_eq!(fence_for("plain"), "```");
    }
}
