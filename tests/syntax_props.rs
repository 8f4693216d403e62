//! Property tests of the syntax stage: generated valid programs (apps with fields, nested
//! blocks, lists, strings with escapes and interpolations, comments in many places) must
//! parse without diagnostics, format idempotently, keep every comment, and reparse to the
//! same tree (spans aside). Arbitrary text must never make the parser or the formatter
//! panic.

use kiln::source::{FileId, Span};
use kiln::syntax::ast::{self, Entry, Expr, ExprKind, Item};
use kiln::syntax::{fmt, parse, testing};
use proptest::prelude::*;

// ---- a generated program ----------------------------------------------------------------

/// Layout choices travel with each generated piece so the renderer is deterministic.
#[derive(Debug, Clone)]
struct Decor {
    /// A `// ...` or `/* ... */` comment on its own line before the piece.
    leading: Option<String>,
    /// A comment after the piece on its line.
    trailing: Option<String>,
    /// A blank line before the piece.
    blank: bool,
    /// Extra spaces around `=`.
    spaces: usize,
}

#[derive(Debug, Clone)]
enum GEntry {
    Field(Vec<GKey>, GValue, Decor),
    Let(String, GValue, Decor),
    Block(GBlock, Decor),
}

#[derive(Debug, Clone)]
struct GKey {
    name: String,
    quoted: bool,
}

#[derive(Debug, Clone)]
struct GBlock {
    kind: String,
    name: Option<String>,
    entries: Vec<GEntry>,
    /// Written on one line (only used when it has no comments).
    one_line: bool,
    /// A comment before the closing brace.
    end_comment: Option<String>,
}

#[derive(Debug, Clone)]
enum GValue {
    Str(Vec<GStrPart>),
    Number(String, String),
    Bool(bool),
    None,
    Ref(Vec<String>),
    /// Elements, each with an optional trailing comment; multi-line when any comment.
    List(Vec<(GValue, Option<String>)>, Option<String>),
    Call(String, Vec<GValue>, Vec<(String, GValue)>),
    Range(Box<GValue>, Box<GValue>),
}

#[derive(Debug, Clone)]
enum GStrPart {
    Text(String),
    Interp(Vec<String>),
}

const RESERVED: &[&str] = &[
    "import", "as", "template", "profile", "extends", "let", "from", "true", "false", "none",
];

fn ident() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_-]{0,7}".prop_filter("not reserved", |s| !RESERVED.contains(&s.as_str()))
}

fn comment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ a-zA-Z0-9:;,.!?'\"{}\\[\\]()=$é-]{0,20}".prop_map(|t| format!("//{t}")),
        "[ a-zA-Z0-9:;,.!?'\"{}\\[\\]()=$é-]{0,20}".prop_map(|t| format!("/*{t}*/")),
    ]
}

fn text() -> impl Strategy<Value = String> {
    // Quotes, backslashes, dollars, braces, line breaks, tabs and non-ASCII all appear.
    proptest::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z0-9 :/._-]{1,6}",
            1 => Just("\"".to_string()),
            1 => Just("\\".to_string()),
            1 => Just("$".to_string()),
            1 => Just("{".to_string()),
            1 => Just("}".to_string()),
            1 => Just("\n".to_string()),
            1 => Just("\t".to_string()),
            1 => Just("é😀".to_string()),
        ],
        0..6,
    )
    .prop_map(|v| v.concat())
}

fn leaf() -> impl Strategy<Value = GValue> {
    prop_oneof![
        proptest::collection::vec(
            prop_oneof![
                3 => text().prop_map(GStrPart::Text),
                1 => proptest::collection::vec(ident(), 1..3).prop_map(GStrPart::Interp),
            ],
            0..4
        )
        .prop_map(GValue::Str),
        (
            "[0-9]{1,6}(\\.[0-9]{1,3})?",
            prop_oneof![
                Just(""),
                Just("m"),
                Just("Mi"),
                Just("Gi"),
                Just("s"),
                Just("%")
            ]
        )
            .prop_map(|(d, u)| GValue::Number(d, u.to_string())),
        any::<bool>().prop_map(GValue::Bool),
        Just(GValue::None),
        proptest::collection::vec(ident(), 1..3).prop_map(GValue::Ref),
    ]
}

fn value() -> impl Strategy<Value = GValue> {
    leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            (
                proptest::collection::vec(
                    (inner.clone(), proptest::option::weighted(0.2, comment())),
                    0..6
                ),
                proptest::option::weighted(0.2, comment())
            )
                .prop_map(|(v, c)| GValue::List(v, c)),
            (
                ident(),
                proptest::collection::vec(inner.clone(), 0..3),
                proptest::collection::vec((ident(), inner.clone()), 0..2)
            )
                .prop_map(|(f, p, n)| GValue::Call(f, p, n)),
            (leaf(), leaf()).prop_map(|(a, b)| GValue::Range(Box::new(a), Box::new(b))),
        ]
    })
}

fn decor() -> impl Strategy<Value = Decor> {
    (
        proptest::option::weighted(0.25, comment()),
        proptest::option::weighted(0.25, comment()),
        proptest::bool::weighted(0.2),
        0usize..3,
    )
        .prop_map(|(leading, trailing, blank, spaces)| Decor {
            leading,
            trailing,
            blank,
            spaces,
        })
}

fn key() -> impl Strategy<Value = GKey> {
    prop_oneof![
        4 => ident().prop_map(|name| GKey { name, quoted: false }),
        1 => "[a-z./-]{1,12}".prop_map(|name| GKey { name, quoted: true }),
    ]
}

fn entries() -> impl Strategy<Value = Vec<GEntry>> {
    let field = (proptest::collection::vec(key(), 1..3), value(), decor())
        .prop_map(|(k, v, d)| GEntry::Field(k, v, d))
        .boxed();
    let let_ = (ident(), value(), decor())
        .prop_map(|(n, v, d)| GEntry::Let(n, v, d))
        .boxed();
    let leaf_entries =
        proptest::collection::vec(prop_oneof![5 => field.clone(), 1 => let_.clone()], 0..5);
    leaf_entries.prop_recursive(2, 20, 5, move |inner| {
        proptest::collection::vec(
            prop_oneof![
                5 => field.clone(),
                1 => let_.clone(),
                2 => (block_of(inner), decor()).prop_map(|(b, d)| GEntry::Block(b, d)),
            ],
            0..5,
        )
    })
}

fn block_of(entries: impl Strategy<Value = Vec<GEntry>>) -> impl Strategy<Value = GBlock> {
    (
        ident(),
        proptest::option::of(ident()),
        entries,
        any::<bool>(),
        proptest::option::weighted(0.2, comment()),
    )
        .prop_map(|(kind, name, entries, one_line, end_comment)| GBlock {
            kind,
            name,
            entries,
            one_line,
            end_comment,
        })
}

#[derive(Debug, Clone)]
enum GItem {
    App(GBlock),
    Let(String, GValue),
    Profile(String, Vec<String>, Vec<(Vec<GKey>, GValue, Decor)>),
    Import(String, Option<String>),
}

fn program() -> impl Strategy<Value = (Vec<(GItem, Decor)>, Option<String>)> {
    let item = prop_oneof![
        4 => block_of(entries()).prop_map(GItem::App),
        1 => (ident(), value()).prop_map(|(n, v)| GItem::Let(n, v)),
        1 => (
            ident(),
            proptest::collection::vec(ident(), 0..3),
            proptest::collection::vec((proptest::collection::vec(key(), 1..4), value(), decor()), 0..4)
        )
            .prop_map(|(n, e, f)| GItem::Profile(n, e, f)),
        1 => ("[a-z/]{1,10}", proptest::option::of(ident())).prop_map(|(p, a)| GItem::Import(p, a)),
    ];
    (
        proptest::collection::vec((item, decor()), 0..5),
        proptest::option::weighted(0.3, comment()),
    )
}

// ---- rendering the generated program as (non-canonical) source --------------------------

fn esc(t: &str) -> String {
    let mut o = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => o.push_str("\\\\"),
            '"' => o.push_str("\\\""),
            '\t' => o.push_str("\\t"),
            // Raw line breaks are allowed in strings; keep some of them raw.
            '\n' => o.push('\n'),
            '$' if chars.peek() == Some(&'{') => o.push_str("\\$"),
            c => o.push(c),
        }
    }
    // A text ending in `$` followed by an interpolation is fine (`$${x}`).
    o
}

fn render_value(v: &GValue, indent: usize, out: &mut String) {
    match v {
        GValue::Str(parts) => {
            // Adjacent text parts are one text (`$` then `{` must be escaped together).
            let mut merged: Vec<GStrPart> = Vec::new();
            for p in parts {
                match (merged.last_mut(), p) {
                    (Some(GStrPart::Text(a)), GStrPart::Text(b)) => a.push_str(b),
                    _ => merged.push(p.clone()),
                }
            }
            out.push('"');
            for p in &merged {
                match p {
                    GStrPart::Text(t) => out.push_str(&esc(t)),
                    GStrPart::Interp(path) => {
                        out.push_str("${");
                        out.push_str(&path.join("."));
                        out.push('}');
                    }
                }
            }
            out.push('"');
        }
        GValue::Number(d, u) => {
            out.push_str(d);
            out.push_str(u);
        }
        GValue::Bool(b) => out.push_str(&b.to_string()),
        GValue::None => out.push_str("none"),
        GValue::Ref(p) => out.push_str(&p.join(".")),
        GValue::List(items, end) => {
            let multi = end.is_some() || items.iter().any(|(_, c)| c.is_some());
            out.push('[');
            for (i, (item, c)) in items.iter().enumerate() {
                if multi {
                    out.push('\n');
                    out.push_str(&" ".repeat(indent + 2));
                } else if i > 0 {
                    out.push(' ');
                }
                render_value(item, indent + 2, out);
                out.push(',');
                if let Some(c) = c {
                    out.push(' ');
                    out.push_str(c);
                }
            }
            if let Some(c) = end {
                out.push('\n');
                out.push_str(&" ".repeat(indent + 2));
                out.push_str(c);
            }
            if multi {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
            }
            out.push(']');
        }
        GValue::Call(f, pos, named) => {
            out.push_str(f);
            out.push('(');
            let mut first = true;
            for p in pos {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                render_value(p, indent, out);
            }
            for (n, p) in named {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                out.push_str(n);
                out.push_str(" = ");
                render_value(p, indent, out);
            }
            out.push(')');
        }
        GValue::Range(a, b) => {
            render_value(a, indent, out);
            out.push_str(" .. ");
            render_value(b, indent, out);
        }
    }
}

fn render_keys(keys: &[GKey]) -> String {
    keys.iter()
        .map(|k| {
            if k.quoted {
                format!("\"{}\"", esc(&k.name))
            } else {
                k.name.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn has_comment(e: &GEntry) -> bool {
    let d = match e {
        GEntry::Field(_, v, d) | GEntry::Let(_, v, d) => {
            if value_has_comment(v) {
                return true;
            }
            d
        }
        GEntry::Block(b, d) => {
            if b.end_comment.is_some() || b.entries.iter().any(has_comment) {
                return true;
            }
            d
        }
    };
    d.leading.is_some() || d.trailing.is_some()
}

fn value_has_comment(v: &GValue) -> bool {
    match v {
        GValue::List(items, end) => {
            end.is_some()
                || items
                    .iter()
                    .any(|(v, c)| c.is_some() || value_has_comment(v))
        }
        GValue::Call(_, p, n) => {
            p.iter().any(value_has_comment) || n.iter().any(|(_, v)| value_has_comment(v))
        }
        GValue::Range(a, b) => value_has_comment(a) || value_has_comment(b),
        _ => false,
    }
}

fn render_entry(e: &GEntry, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let d = match e {
        GEntry::Field(_, _, d) | GEntry::Let(_, _, d) | GEntry::Block(_, d) => d,
    };
    if d.blank {
        out.push('\n');
    }
    if let Some(c) = &d.leading {
        out.push_str(&pad);
        out.push_str(c);
        out.push('\n');
    }
    out.push_str(&pad);
    let sp = " ".repeat(d.spaces);
    match e {
        GEntry::Field(keys, v, _) => {
            out.push_str(&render_keys(keys));
            out.push_str(&format!("{sp}={sp} "));
            render_value(v, indent, out);
        }
        GEntry::Let(n, v, _) => {
            out.push_str(&format!("let {n}{sp} = "));
            render_value(v, indent, out);
        }
        GEntry::Block(b, _) => render_block(b, indent, out),
    }
    if let Some(c) = &d.trailing {
        out.push_str("  ");
        out.push_str(c);
    }
    out.push('\n');
}

fn render_block(b: &GBlock, indent: usize, out: &mut String) {
    out.push_str(&b.kind);
    if let Some(n) = &b.name {
        out.push(' ');
        out.push_str(n);
    }
    let one_line = b.one_line && b.end_comment.is_none() && !b.entries.iter().any(has_comment);
    if one_line {
        out.push_str(" {");
        for e in &b.entries {
            out.push(' ');
            let mut s = String::new();
            render_entry(e, 0, &mut s);
            out.push_str(s.trim());
        }
        out.push_str(" }");
        return;
    }
    out.push_str(" {\n");
    for e in &b.entries {
        render_entry(e, indent + 2, out);
    }
    if let Some(c) = &b.end_comment {
        out.push_str(&" ".repeat(indent + 2));
        out.push_str(c);
        out.push('\n');
    }
    out.push_str(&" ".repeat(indent));
    out.push('}');
}

fn render_program(items: &[(GItem, Decor)], end: &Option<String>) -> String {
    let mut out = String::new();
    for (item, d) in items {
        if d.blank {
            out.push('\n');
        }
        if let Some(c) = &d.leading {
            out.push_str(c);
            out.push('\n');
        }
        match item {
            GItem::App(b) => {
                // A top-level block never has a name that could read as a keyword.
                let mut b = b.clone();
                b.kind = format!("app{}", b.kind);
                render_block(&b, 0, &mut out);
            }
            GItem::Let(n, v) => {
                out.push_str(&format!("let {n} = "));
                render_value(v, 0, &mut out);
            }
            GItem::Profile(n, ext, fields) => {
                out.push_str(&format!("profile {n}"));
                if !ext.is_empty() {
                    out.push_str(&format!(" extends {}", ext.join(", ")));
                }
                out.push_str(" {\n");
                for (k, v, fd) in fields {
                    render_entry(
                        &GEntry::Field(k.clone(), v.clone(), fd.clone()),
                        2,
                        &mut out,
                    );
                }
                out.push('}');
            }
            GItem::Import(p, a) => {
                out.push_str(&format!("import \"{p}\""));
                if let Some(a) = a {
                    out.push_str(&format!(" as {a}"));
                }
            }
        }
        if let Some(c) = &d.trailing {
            out.push(' ');
            out.push_str(c);
        }
        out.push('\n');
    }
    if let Some(c) = end {
        out.push_str(c);
        out.push('\n');
    }
    out
}

// ---- comparing trees without spans -------------------------------------------------------

/// Sets every span of a file to zero, so two parses of differently laid out text compare
/// equal when they mean the same thing.
fn erase(file: &mut ast::File) {
    file.span = Span::default();
    file.comments.clear();
    for item in &mut file.items {
        match item {
            Item::Block(b) => erase_block(b),
            Item::Let(l) => erase_let(l),
            Item::Profile(p) => {
                p.span = Span::default();
                erase_ident(&mut p.name);
                p.extends.iter_mut().for_each(erase_ident);
                p.fields.iter_mut().for_each(erase_field);
            }
            Item::Import(i) => {
                i.span = Span::default();
                erase_str(&mut i.path);
                if let Some(a) = &mut i.alias {
                    erase_ident(a);
                }
            }
            Item::Template(t) => {
                t.span = Span::default();
                erase_ident(&mut t.name);
                for p in &mut t.params {
                    p.span = Span::default();
                    erase_ident(&mut p.name);
                    erase_ident(&mut p.ty);
                    if let Some(d) = &mut p.default {
                        erase_expr(d);
                    }
                }
                erase_block(&mut t.body);
            }
        }
    }
}

fn erase_ident(i: &mut ast::Ident) {
    i.span = Span::default();
}

fn erase_let(l: &mut ast::Let) {
    l.span = Span::default();
    erase_ident(&mut l.name);
    erase_expr(&mut l.value);
}

fn erase_block(b: &mut ast::Block) {
    b.span = Span::default();
    b.body_span = Span::default();
    erase_ident(&mut b.kind);
    if let Some(n) = &mut b.name {
        erase_ident(n);
    }
    if let Some(c) = &mut b.template {
        erase_call(c);
    }
    for e in &mut b.entries {
        match e {
            Entry::Field(f) => erase_field(f),
            Entry::Block(b) => erase_block(b),
            Entry::Let(l) => erase_let(l),
        }
    }
}

fn erase_field(f: &mut ast::Field) {
    f.span = Span::default();
    for k in &mut f.path {
        k.span = Span::default();
    }
    erase_expr(&mut f.value);
}

fn erase_call(c: &mut ast::Call) {
    c.span = Span::default();
    erase_ident(&mut c.func);
    for a in &mut c.args {
        a.span = Span::default();
        if let Some(n) = &mut a.name {
            erase_ident(n);
        }
        erase_expr(&mut a.value);
    }
}

fn erase_str(s: &mut ast::StrLit) {
    s.span = Span::default();
    for p in &mut s.parts {
        match p {
            ast::StrPart::Text(_, sp) => *sp = Span::default(),
            ast::StrPart::Interp(e) => erase_expr(e),
        }
    }
}

fn erase_expr(e: &mut Expr) {
    e.span = Span::default();
    match &mut e.kind {
        ExprKind::Str(s) => erase_str(s),
        ExprKind::Ref(segs) => segs.iter_mut().for_each(erase_ident),
        ExprKind::List(items) => items.iter_mut().for_each(erase_expr),
        ExprKind::Range(a, b) => {
            erase_expr(a);
            erase_expr(b);
        }
        ExprKind::Call(c) => erase_call(c),
        ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::None => {}
    }
}

fn comment_texts(f: &ast::File) -> Vec<String> {
    // The formatter drops trailing whitespace, in comments too.
    let mut v: Vec<String> = f
        .comments
        .iter()
        .map(|c| c.text.trim_end().to_string())
        .collect();
    v.sort();
    v
}

fn parse_clean(text: &str) -> ast::File {
    let (f, d) = parse(FileId(0), text);
    let msgs: Vec<String> = d
        .iter()
        .map(|d| format!("{} {:?} {}", d.code, d.primary.loc.span, d.message))
        .collect();
    assert!(
        msgs.is_empty(),
        "diagnostics on valid input:\n{text}\n{msgs:#?}"
    );
    f
}

/// The serial and split fast parses of `text` are pest's tree when they accept it.
fn fast_agrees(text: &str, chunks: usize) -> Result<(), TestCaseError> {
    let (slow, d) = testing::pest(FileId(0), text);
    let serial = testing::fast_serial(text);
    let split = testing::fast_split(text, chunks);
    prop_assert_eq!(serial.is_some(), split.is_some(), "input:\n{}", text);
    for fast in [serial, split].into_iter().flatten() {
        prop_assert!(
            d.is_empty(),
            "fast path accepted, pest reports {:?}; input:\n{}",
            d,
            text
        );
        prop_assert_eq!(&fast, &slow, "input:\n{}", text);
    }
    Ok(())
}

/// Token soup: kiln's own punctuation and words in random order, to reach the error paths.
fn soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("{"),
            Just("}"),
            Just("["),
            Just("]"),
            Just("("),
            Just(")"),
            Just("\""),
            Just("${"),
            Just("="),
            Just(","),
            Just("."),
            Just(".."),
            Just("//"),
            Just("/*"),
            Just("*/"),
            Just("\n"),
            Just(" "),
            Just("app"),
            Just("x"),
            Just("let"),
            Just("profile"),
            Just("import"),
            Just("template"),
            Just("3"),
            Just("250m"),
            Just("\\"),
            Just("\\u{"),
            Just("none"),
            Just(":"),
            Just(";"),
            Just("é"),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

/// What a text means once checked: the compiled YAML, or the diagnostics' codes and
/// messages when it does not compile.
fn meaning(text: &str) -> Result<String, Vec<(String, String)>> {
    let source = kiln::Source::from_text("prop.kiln", text);
    kiln::compile(&source, &kiln::Options::default())
        .map(|b| b.to_yaml())
        .map_err(|d| {
            d.iter()
                .map(|d| (d.code.as_str().to_owned(), d.message.clone()))
                .collect()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn format_is_idempotent_and_keeps_meaning_and_comments((items, end) in program()) {
        let text = render_program(&items, &end);
        let original = parse_clean(&text);
        let once = fmt::format(&original, &text);
        let reparsed = parse_clean(&once);
        let twice = fmt::format(&reparsed, &once);
        prop_assert_eq!(&twice, &once, "not idempotent; input:\n{}", text);
        prop_assert_eq!(comment_texts(&original), comment_texts(&reparsed), "comments changed; input:\n{}\noutput:\n{}", text, once);
        let (mut a, mut b) = (original.clone(), reparsed.clone());
        erase(&mut a);
        erase(&mut b);
        prop_assert_eq!(a, b, "meaning changed; input:\n{}\noutput:\n{}", text, once);
        // The same model: both texts compile to the same bytes, or fail with the same
        // diagnostics (codes and messages; spans move when the layout changes).
        prop_assert_eq!(meaning(&text), meaning(&once), "checked meaning changed; input:\n{}\noutput:\n{}", text, once);
    }

    #[test]
    fn fast_and_split_parsers_agree_with_pest((items, end) in program(), chunks in 2usize..9) {
        // Generated programs (comments everywhere, multi-line strings) and the soup
        // below: whatever the hand-written parser accepts, whole or cut into pieces, is
        // pest's tree, and both give up on the same inputs.
        let text = render_program(&items, &end);
        fast_agrees(&text, chunks)?;
    }

    #[test]
    fn fast_and_split_parsers_agree_on_soup(s in soup(), chunks in 2usize..9) {
        fast_agrees(&s, chunks)?;
    }

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        let (f, _) = parse(FileId(0), &s);
        let _ = fmt::format(&f, &s);
    }

    #[test]
    fn parse_never_panics_on_token_soup(s in soup()) {
        let (f, d) = parse(FileId(0), &s);
        // Whatever was recovered can be formatted, and every span is inside the text.
        let _ = fmt::format(&f, &s);
        for diag in d.iter() {
            prop_assert!(diag.primary.loc.span.end as usize <= s.len());
            prop_assert!(diag.primary.loc.span.start <= diag.primary.loc.span.end);
        }
    }

    #[test]
    fn parse_never_panics_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..200)) {
        let s = String::from_utf8_lossy(&b);
        let _ = parse(FileId(0), &s);
    }
}
