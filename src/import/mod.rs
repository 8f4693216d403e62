//! `kiln import`: Kubernetes manifests → a formatted `.kiln` file.
//!
//! The stages, one file each: [`read`] (bounded reading through the diff's reader,
//! cleaning what the API server wrote, grouping objects into apps), [`map`] (each kind
//! to kiln blocks and fields), [`patch`] (what the blocks do not reproduce, found by
//! comparing each input object with the object kiln generates, kept as `patch` lines),
//! [`write`] (kiln text, laid out by the formatter), [`roundtrip`] (the contract: the
//! compiled result differs from the input only by what kiln adds on purpose).
//!
//! The generated text is compiled in-process twice: once without patches (to learn what
//! kiln generates), once with them. A text that does not compile is never returned as
//! a result: it is an [`ImportError::Internal`] carrying the text, so the caller can
//! save it aside. Secret data never reaches the text or the report: a Secret becomes a
//! comment naming it and its keys.

pub mod map;
pub mod patch;
pub mod read;
pub mod roundtrip;
pub mod write;

use crate::diff::ObjectKey;
use serde_json::Value;
use std::fmt;
use std::path::Path;

/// What a report item says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemKind {
    /// An object became kiln blocks or fields.
    Mapped,
    /// A field kept in a `patch` block.
    Patch,
    /// A Secret turned into a reference.
    Secret,
    /// An object carried through a `raw` block (custom resources among them).
    Raw,
    /// An object kiln names differently (`{app}-{block}`, Jobs' hash suffix).
    Rename,
    /// An object or field that could not be mapped, and why.
    Unmapped,
    /// A meaning kiln keeps only approximately (a Helm `post-install` hook becomes an
    /// `on_install` job, which runs before the workloads): what differs.
    Approximated,
    /// A difference from the input the round-trip check could not classify.
    Difference,
}

impl ItemKind {
    /// `mapped`, `patch`, `secret`, `raw`, `rename`, `unmapped`, `difference`.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Mapped => "mapped",
            ItemKind::Patch => "patch",
            ItemKind::Secret => "secret",
            ItemKind::Raw => "raw",
            ItemKind::Rename => "rename",
            ItemKind::Unmapped => "unmapped",
            ItemKind::Approximated => "approximated",
            ItemKind::Difference => "difference",
        }
    }
}

/// One line of the import report (never a value: paths and names only).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Item {
    /// What happened.
    pub kind: ItemKind,
    /// `Deployment shop/web`.
    pub object: String,
    /// A dotted path inside the object (empty for the whole object).
    pub path: String,
    /// Details.
    pub message: String,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The `.kiln` text, formatted.
    pub text: String,
    /// Files the text reads (`raw` objects): path relative to the `.kiln` file, YAML.
    pub files: Vec<(String, String)>,
    /// The report, in a stable order.
    pub items: Vec<Item>,
    /// The input objects as imported (cleaned, renamed to the names kiln gives them):
    /// what the round trip compares the bundle with.
    pub expected: Vec<Value>,
    /// ConfigMaps of the input folded into `env`.
    pub folded_config_maps: Vec<ObjectKey>,
    /// The round-trip differences of the final text (every one classified, unless the
    /// import lost something: then it is also a `Difference` item).
    pub differences: Vec<roundtrip::Difference>,
    /// Apps created.
    pub apps: Vec<String>,
}

/// Why an import failed.
#[derive(Debug)]
pub enum ImportError {
    /// No Kubernetes object to import (empty input, only controller-made objects).
    Empty,
    /// The generated text does not compile: a kiln bug. The text is kept for the report.
    Internal {
        /// What failed.
        message: String,
        /// The text that failed.
        text: String,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Empty => f.write_str("the input holds no Kubernetes object to import"),
            ImportError::Internal { message, .. } => f.write_str(message),
        }
    }
}

/// Compiles `text` (with its raw `files`) as `app.kiln` in a temporary directory.
fn compile(text: &str, files: &[(String, String)]) -> Result<crate::Bundle, String> {
    let dir = crate::fsio::TempDir::new("kiln-import")
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    for (rel, yaml) in files {
        let p = dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&p, yaml).map_err(|e| e.to_string())?;
    }
    let path = dir.path().join("app.kiln");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    let source = crate::Source::from_path(&path).map_err(|e| e.to_string())?;
    crate::compile(&source, &crate::Options::default()).map_err(|diags| {
        let errors: Vec<String> = diags
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .map(|d| format!("{} {}", d.code, d.message))
            .collect();
        errors.join("; ")
    })
}

/// Parses and formats generated text; an error is a kiln bug.
fn format(text: &str) -> Result<String, String> {
    let (ast, diags) = crate::syntax::parse(crate::source::FileId(0), text);
    if diags.has_errors() {
        let msgs: Vec<String> = diags.iter().map(|d| d.message.clone()).collect();
        return Err(format!(
            "the generated text does not parse: {}",
            msgs.join("; ")
        ));
    }
    Ok(crate::syntax::fmt::format(&ast, text))
}

/// The environment variable that makes the import generate a text that does not check
/// (tests only: K0705, "nothing written, the text saved aside", has no input that
/// triggers it, since the import checks what it generates).
#[doc(hidden)]
pub const TEST_BREAK_VAR: &str = "KILN_IMPORT_TEST_BREAK";

/// The text appended when [`TEST_BREAK_VAR`] is set: an app with a field kiln does not
/// know.
fn test_break() -> Option<&'static str> {
    std::env::var_os(TEST_BREAK_VAR)
        .is_some()
        .then_some("\napp kiln-import-test-break {\n  no_such_field = 1\n}\n")
}

/// Imports the manifests at `paths` (files, directories, `-` for stdin).
pub fn import_paths(
    paths: &[&Path],
) -> Result<Result<Imported, ImportError>, crate::diff::sources::SourceError> {
    let objects = read::read_all(paths)?;
    Ok(import(&objects))
}

/// Imports manifests already read (each an object with `kind`).
pub fn import(objects: &[Value]) -> Result<Imported, ImportError> {
    let mut items = Vec::new();
    let mut cleaned = Vec::new();
    for o in objects {
        match read::clean(o) {
            Ok(c) => cleaned.push(c),
            Err(why) => items.push(Item {
                kind: ItemKind::Unmapped,
                object: read::describe(o),
                path: String::new(),
                message: format!("skipped: {why}"),
            }),
        }
    }
    // Keep only objects with a name.
    let mut named = Vec::new();
    for c in cleaned {
        if read::s(&c, "/metadata/name").is_some_and(|n| !n.is_empty()) {
            named.push(c);
        } else {
            items.push(Item {
                kind: ItemKind::Unmapped,
                object: read::describe(&c),
                path: String::new(),
                message: "skipped: it has no `metadata.name`".into(),
            });
        }
    }
    let objects = named;
    if objects.is_empty() {
        return Err(ImportError::Empty);
    }
    let groups = read::group(&objects);
    let mut plans = Vec::new();
    for (app, members) in &groups {
        let (plan, its) = map::Mapper::new(&objects, members, app).run();
        items.extend(its);
        plans.push(plan);
    }
    let files: Vec<(String, String)> = plans
        .iter()
        .flat_map(|p| p.raws.iter())
        .map(|(f, i)| (f.clone(), crate::emit::value_to_yaml(&objects[*i])))
        .chain(plans.iter().flat_map(|p| p.files.iter().cloned()))
        .collect();
    let header = vec![
        "Imported by `kiln import`. Review the `patch` blocks: they keep what kiln's blocks do not model."
            .to_owned(),
    ];
    let nodes: Vec<write::Node> = plans.iter().map(|p| p.node.clone()).collect();
    let first =
        format(&write::render(&header, &nodes)).map_err(|message| ImportError::Internal {
            message,
            text: write::render(&header, &nodes),
        })?;
    let bundle = compile(&first, &files).map_err(|e| ImportError::Internal {
        message: format!("the imported file does not compile: {e}"),
        text: first.clone(),
    })?;
    // Pass 2: patches from the comparison.
    let mut expected: Vec<Value> = Vec::new();
    let mut folded = Vec::new();
    for plan in &mut plans {
        for t in plan.targets.clone() {
            let Some(kobj) = bundle
                .objects
                .iter()
                .find(|o| o.app == plan.name && o.block == t.block && o.kind == t.kind)
            else {
                items.push(Item {
                    kind: ItemKind::Unmapped,
                    object: read::describe(&objects[t.input]),
                    path: String::new(),
                    message: format!("kiln generated no {} for `{}`", t.kind, t.block),
                });
                continue;
            };
            let input = t.reshaped.as_ref().unwrap_or(&objects[t.input]);
            let mut ex = patch::extract(input, &kobj.value, &t);
            // An object kiln names differently (other than by a content-hash suffix, and
            // other than a Service, which keeps its name): the annotation lets
            // `kiln diff` show the input object and kiln's as one renamed object.
            let old = read::s(&objects[t.input], "/metadata/name").unwrap_or_default();
            if t.kind != "Service"
                && kobj.name != old
                && crate::diff::hash_stem(&kobj.name) != Some(old)
            {
                ex.sets.push(patch::Set {
                    path: vec![
                        "metadata".into(),
                        "annotations".into(),
                        crate::diff::hardening::IMPORTED_FROM.into(),
                    ],
                    value: Value::String(old.to_owned()),
                });
            }
            // App-level objects (the app's `ingress`) have no `patch`: the mapping only
            // takes what kiln reproduces; anything else is reported, not written.
            if t.block_kind == "app" {
                for s in &ex.sets {
                    items.push(Item {
                        kind: ItemKind::Unmapped,
                        object: read::describe(&objects[t.input]),
                        path: s.path.join("."),
                        message: "an app-level object has no `patch`: not kept".into(),
                    });
                }
                continue;
            }
            let block = plan.node.child(&t.block_kind, Some(&t.block));
            if !ex.sets.is_empty() {
                let p = block.child("patch", Some(&t.kind.to_ascii_lowercase()));
                for s in &ex.sets {
                    if let Some(v) = write::json(&s.value) {
                        p.path_field(&s.path, v);
                    }
                    // Reported as a rename, not as a field of the input.
                    if s.path.last().map(String::as_str)
                        == Some(crate::diff::hardening::IMPORTED_FROM)
                    {
                        continue;
                    }
                    items.push(Item {
                        kind: ItemKind::Patch,
                        object: read::describe(&objects[t.input]),
                        path: s.path.join("."),
                        message: format!("kept as `patch {}`", t.kind.to_ascii_lowercase()),
                    });
                }
            }
            for u in ex.unwritable {
                items.push(Item {
                    kind: ItemKind::Unmapped,
                    object: read::describe(&objects[t.input]),
                    path: u,
                    message: "the value cannot be written in kiln (a negative number or an object in a list of values)".into(),
                });
            }
        }
        for (i, a) in &plan.absorbed {
            if matches!(
                a,
                map::Absorbed::EnvConfigMap | map::Absorbed::FileConfigMap
            ) {
                folded.push(ObjectKey::of(&objects[*i]));
            }
        }
    }
    let nodes: Vec<write::Node> = plans.iter().map(|p| p.node.clone()).collect();
    let mut rendered = write::render(&header, &nodes);
    if let Some(broken) = test_break() {
        rendered.push_str(broken);
    }
    let text = format(&rendered).map_err(|message| ImportError::Internal {
        message,
        text: rendered.clone(),
    })?;
    let bundle = compile(&text, &files).map_err(|e| ImportError::Internal {
        message: format!("the imported file does not compile: {e}"),
        text: text.clone(),
    })?;
    // The names kiln gives (reported); the round trip compares the input as it is,
    // as `kiln diff --against` does, which pairs renamed objects.
    for (idx, o) in objects.iter().enumerate() {
        let mut v = o.clone();
        let target = plans
            .iter()
            .find_map(|p| p.targets.iter().find(|t| t.input == idx).map(|t| (p, t)));
        if let Some((p, t)) = target
            && let Some(k) = bundle
                .objects
                .iter()
                .find(|k| k.app == p.name && k.block == t.block && k.kind == t.kind)
        {
            let old = read::s(o, "/metadata/name").unwrap_or_default();
            if old != k.name {
                items.push(Item {
                    kind: ItemKind::Rename,
                    object: read::describe(o),
                    path: String::new(),
                    message: if crate::diff::hash_stem(&k.name) == Some(old) {
                        format!(
                            "kiln names it `{}` (a content-hash suffix: a changed job is a new Job)",
                            k.name
                        )
                    } else {
                        format!(
                            "kiln names it `{}`; the `{}` annotation records the old name, so `kiln diff` shows one renamed object",
                            k.name,
                            crate::diff::hardening::IMPORTED_FROM
                        )
                    },
                });
            }
            // A namespace Kubernetes would refuse was made a valid one (the only
            // namespace change an import makes): compared under kiln's.
            if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut)
                && !k.namespace.is_empty()
                && m.contains_key("namespace")
            {
                m.insert("namespace".into(), Value::String(k.namespace.clone()));
            }
        }
        expected.push(v);
    }
    let after: Vec<Value> = bundle.objects.iter().map(|o| o.value.clone()).collect();
    let differences = roundtrip::check(&expected, &after, &folded);
    for d in differences.iter().filter(|d| d.category.is_none()) {
        items.push(Item {
            kind: ItemKind::Difference,
            object: d.object.clone(),
            path: d.path.clone(),
            message: format!("{}: not reproduced by the imported file", d.op),
        });
    }
    items.sort();
    items.dedup();
    Ok(Imported {
        text,
        files,
        items,
        expected,
        folded_config_maps: folded,
        differences,
        apps: plans.iter().map(|p| p.name.clone()).collect(),
    })
}

/// The report as text lines (for stderr).
pub fn report_text(im: &Imported) -> String {
    let count = |k: ItemKind| im.items.iter().filter(|i| i.kind == k).count();
    let mut out = String::new();
    for i in &im.items {
        if i.kind == ItemKind::Mapped {
            continue;
        }
        let path = if i.path.is_empty() {
            String::new()
        } else {
            format!(" `{}`", i.path)
        };
        out.push_str(&format!(
            "{}: {}{path}: {}\n",
            i.kind.as_str(),
            i.object,
            i.message
        ));
    }
    let hardening = im
        .differences
        .iter()
        .filter(|d| d.category.is_some())
        .count();
    out.push_str(&format!(
        "imported {} app{} ({}): {} object{} mapped, {} field{} kept as patch, {} secret{} referenced, {} object{} carried raw, {} unmapped, {} difference{} kiln adds on purpose, {} not reproduced\n",
        im.apps.len(),
        plural(im.apps.len()),
        im.apps.join(", "),
        count(ItemKind::Mapped),
        plural(count(ItemKind::Mapped)),
        count(ItemKind::Patch),
        plural(count(ItemKind::Patch)),
        count(ItemKind::Secret),
        plural(count(ItemKind::Secret)),
        count(ItemKind::Raw),
        plural(count(ItemKind::Raw)),
        count(ItemKind::Unmapped),
        hardening,
        if hardening == 1 { "" } else { "s" },
        count(ItemKind::Difference),
    ));
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The report as one JSON document.
pub fn report_json(im: &Imported) -> Value {
    let items: Vec<Value> = im
        .items
        .iter()
        .map(|i| {
            serde_json::json!({
                "kind": i.kind.as_str(),
                "object": i.object,
                "path": i.path,
                "message": i.message,
            })
        })
        .collect();
    let hardening: Vec<Value> = im
        .differences
        .iter()
        .map(|d| {
            serde_json::json!({
                "object": d.object,
                "path": d.path,
                "op": d.op,
                "category": d.category.map(roundtrip::Category::as_str),
            })
        })
        .collect();
    serde_json::json!({"apps": im.apps, "items": items, "differences": hardening})
}
