//! Reference documentation generated from the same data the checker uses: the block and
//! field reference (the generated part of `docs/language.md`) from [`schema`], and
//! `docs/diagnostics.md` from [`codes`]. A test compares the files with these functions,
//! so the docs cannot drift from the code.

use super::schema::{self, BlockSchema, Naming, Ty};
use crate::diag::codes;
use std::fmt::Write;

/// The marker line in `docs/language.md` below which the reference is generated.
pub const LANGUAGE_MARKER: &str = "<!-- schema reference below is generated -->";

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn ty_cell(ty: &Ty) -> String {
    format!("`{}`", cell(&ty.describe()))
}

/// Markdown anchor of a block's section.
fn anchor(b: &BlockSchema) -> String {
    format!("block-{}", b.id.replace('_', "-"))
}

/// The block and field reference: every block kind, its fields with types, defaults,
/// documentation and the Kubernetes fields they become, the types, and profile paths.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Reference\n");
    let _ = writeln!(
        out,
        "This part is generated from the schema the checker uses (`src/check/schema.rs`); \
         `KILN_BLESS=1 cargo test --test check_docs` rewrites it.\n"
    );
    let _ = writeln!(out, "### Types\n");
    let _ = writeln!(out, "| type | written as |");
    let _ = writeln!(out, "|---|---|");
    let types: &[(&str, &str)] = &[
        (
            "string",
            "`\"text ${name}\"`: `${..}` interpolates a `let` binding, `${app}` or `${namespace}`",
        ),
        ("int", "`3`: a whole number; each field gives its range"),
        ("bool", "`true`, `false`"),
        (
            "name",
            "`\"csis-db\"`: a DNS-1123 label (lowercase letters, digits, `-`; at most 63)",
        ),
        (
            "image",
            "`\"registry.example.com/csis:1.4.2\"`: pinned to a tag other than `latest`, or to a digest",
        ),
        ("port", "`3000`: 1..=65535"),
        ("cpu", "`250m` (millicores), `1`, `0.5` (cores)"),
        (
            "memory",
            "`512Mi`, `1Gi` (powers of 1024), `500M`, `1G` (powers of 1000), bytes without a unit",
        ),
        ("duration", "`30s`, `10m`, `1h`, `1d`: whole seconds"),
        ("percent", "`70%`: 1% to 1000%"),
        (
            "cidr",
            "`\"10.0.0.0/8\"`, `\"2001:db8::/32\"`: no host bits set",
        ),
        (
            "cron",
            "`\"0 3 * * *\"`: five fields, or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`",
        ),
        ("host", "`\"csis.example.com\"`, `\"*.example.com\"`"),
        ("path", "`\"/data\"`: absolute"),
        ("enum(a\\|b)", "one of the words, bare: `before_deploy`"),
        ("list(T)", "`[a, b]`"),
        (
            "range(T)",
            "`a .. b` (request .. limit), or one value for both",
        ),
        (
            "probe",
            "`http(\"/up\", port = 8080)`, `tcp(5432)`, `tcp()`, `exec([\"pg_isready\"])`",
        ),
        (
            "ref(kind)",
            "a bare name of a block of that kind in the app: `after = [migrate]`",
        ),
        (
            "env value",
            "a string (numbers and booleans become strings), `secret(\"name\", \"key\")`, `config_map(\"name\", \"key\")`, `field(\"metadata.name\")`",
        ),
        ("env source", "`secret(\"name\")`, `config_map(\"name\")`"),
        (
            "toleration",
            "`toleration(\"key\", value = \"v\", effect = no_schedule)`; effect is `no_schedule`, `prefer_no_schedule` or `no_execute`",
        ),
        (
            "file",
            "`file(\"relative/path\")`, read at compile time relative to the `.kiln` file",
        ),
        (
            "capability",
            "`\"NET_BIND_SERVICE\"`: a Linux capability, without `CAP_`",
        ),
        (
            "any",
            "a string, number, boolean, `none` or list, carried into the object as JSON",
        ),
    ];
    for (t, w) in types {
        let _ = writeln!(out, "| `{t}` | {w} |");
    }
    let _ = writeln!(
        out,
        "\nAny optional field may be set to `none`, which means \"not set\". A bare word \
         used as a value is a `let` binding if one of that name is in scope, else an enum \
         word or a reference, as the field's type says.\n"
    );
    let _ = writeln!(out, "### Blocks\n");
    for b in schema::BLOCKS {
        let _ = writeln!(out, "- [`{}`](#{})", b.title, anchor(b));
    }
    let _ = writeln!(out);
    for b in schema::BLOCKS {
        block_section(&mut out, b);
    }
    let _ = writeln!(out, "### Profile paths\n");
    let _ = writeln!(
        out,
        "`profile NAME [extends A, B] {{ path = value ... }}` overrides fields for one \
         environment, chosen with `--profile NAME`; the profiles it extends apply first, \
         in order. A path starts with an app name and then follows, one segment each, \
         the kind of an unnamed block (`autoscale`, `env`, `security`, `ingress`, ...) or \
         the name of a named block (`web`, `migrate`, a volume, a sidecar), and ends at a \
         field or a key of a free-key block:\n"
    );
    let _ = writeln!(
        out,
        "```kiln\nprofile staging {{\n  csis.web.replicas       = 1\n  csis.web.autoscale      = none        // removes the block\n  csis.env.RAILS_ENV      = \"staging\"   // a key of a free-key block\n  csis.web.ingress.host   = \"staging.csis.example.com\"\n  csis.nightly            = none        // removes a named block\n}}\n```\n"
    );
    let _ = writeln!(
        out,
        "The value is checked against the type of the field it sets. `= none` removes an \
         optional field or block; on a required one it is an error (K0604). Setting a \
         field of an unnamed block that is absent creates the block. Every profile is \
         checked on every run, selected or not.\n"
    );
    out
}

fn block_section(out: &mut String, b: &BlockSchema) {
    let _ = writeln!(out, "<a id=\"{}\"></a>\n", anchor(b));
    let _ = writeln!(out, "#### `{}`\n", b.title);
    let syntax = match b.naming {
        Naming::Anonymous => format!("`{} {{ ... }}`", b.kind),
        Naming::Named => format!("`{} NAME {{ ... }}`", b.kind),
        Naming::Target => format!("`{} KIND {{ ... }}`", b.kind),
    };
    let _ = writeln!(out, "{syntax}: {}\n", b.doc);
    let _ = writeln!(out, "Becomes: {}.\n", b.k8s);
    if let Some(free) = b.free {
        let _ = writeln!(
            out,
            "Keys: {}{}; values: {}.\n",
            free.key.describe(),
            if free.dotted { " (dotted)" } else { "" },
            ty_cell(&free.value)
        );
    }
    let fields: Vec<&schema::Field> = b.fields().collect();
    if !fields.is_empty() {
        let _ = writeln!(out, "| field | type | default | becomes | what it does |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for f in &fields {
            let default = if b.is_required(f) {
                "**required**".to_string()
            } else {
                f.default.map(cell).unwrap_or_else(|| "—".to_string())
            };
            let k8s = if f.k8s.is_empty() {
                "—".to_string()
            } else {
                f.k8s
                    .iter()
                    .map(|k| format!("`{}`", cell(k)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                f.name,
                ty_cell(&f.ty),
                default,
                k8s,
                cell(f.doc)
            );
        }
        let _ = writeln!(out);
    }
    if !b.children.is_empty() {
        let kids: Vec<String> = b
            .children
            .iter()
            .map(|c| {
                let how = match (c.many, c.required) {
                    (true, _) => "any number",
                    (false, true) => "required",
                    (false, false) => "at most one",
                };
                format!("[`{}`](#{}) ({how})", c.block.kind, anchor(c.block))
            })
            .collect();
        let _ = writeln!(out, "Blocks inside: {}.\n", kids.join(", "));
    }
    if b.naming == Naming::Target {
        for parent in ["service", "worker", "stateful", "daemon", "job", "cron"] {
            let _ = writeln!(
                out,
                "- in `{parent}`: {}",
                schema::patch_targets(parent)
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = writeln!(out);
    }
}

/// `docs/diagnostics.md`: every code with its severity, summary and explanation.
pub fn diagnostics_markdown() -> String {
    // By code, whatever order they were added to the table in.
    let mut sorted: Vec<codes::Code> = codes::ALL.to_vec();
    sorted.sort_by_key(|c| c.as_str());
    let mut out = String::new();
    let _ = writeln!(out, "# Diagnostics\n");
    let _ = writeln!(
        out,
        "Every diagnostic kiln reports has a stable code. `kiln explain CODE` prints the \
         same text as this page, which is generated from `src/diag/codes.rs` \
         (`KILN_BLESS=1 cargo test --test check_docs` rewrites it).\n"
    );
    let _ = writeln!(
        out,
        "Ranges: K00xx syntax, K01xx schema and types, K02xx names and references, K03xx \
         values, K04xx compilation, K05xx release ordering, K06xx modules and profiles, \
         K09xx relaxations and risks (warnings). Errors stop compilation (exit code 2); \
         warnings do not.\n"
    );
    let _ = writeln!(out, "| code | name | severity | summary |");
    let _ = writeln!(out, "|---|---|---|---|");
    for c in &sorted {
        let i = c.info();
        let _ = writeln!(
            out,
            "| [{}](#{}) | `{}` | {} | {} |",
            i.code,
            i.code.to_lowercase(),
            i.name,
            i.severity.as_str(),
            cell(i.summary)
        );
    }
    let _ = writeln!(out);
    for c in &sorted {
        let i = c.info();
        let _ = writeln!(out, "## {}\n", i.code);
        let _ = writeln!(
            out,
            "`{}` ({}): {}.\n",
            i.name,
            i.severity.as_str(),
            i.summary
        );
        let _ = writeln!(out, "{}\n", i.explanation.trim_end());
    }
    out
}
