//! The hand-written fast parser (`src/syntax/fast.rs`) and its parallel split give the
//! tree pest gives, node for node (spans, decoded text and comments included), on every
//! fixture, example and generated input; and `kiln::syntax::parse` gives pest's tree and
//! diagnostics whichever parser runs: big files split at top-level items, cuts next to
//! comments or inside multi-line comments and strings (bad cuts, which must fall back),
//! syntax errors in the first, a middle or the last piece.

#[path = "../benches/workload/mod.rs"]
mod workload;

use kiln::source::FileId;
use kiln::syntax::{ast, parse, testing};
use std::path::Path;

/// Every `.kiln` file of the fixtures and examples, and the committed workload.
fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = testing::corpus();
    assert!(out.len() > 20, "the corpus is missing: {}", out.len());
    let n100 = root.join("benches/workload/n100.kiln");
    out.push((
        n100.display().to_string(),
        std::fs::read_to_string(&n100).expect("the committed workload"),
    ));
    out
}

/// Diagnostics as comparable text (code, span, message, labels, help).
fn shown(d: &kiln::diag::Diagnostics) -> Vec<String> {
    d.iter().map(|d| format!("{d:?}")).collect()
}

/// What the parsers make of `text`: the properties that make the fast paths safe.
/// Returns whether the serial fast parser accepted it, and how many of the splits did.
fn agree(name: &str, text: &str, chunks: &[usize]) -> (bool, usize) {
    let (slow, sd) = testing::pest(FileId(0), text);
    let serial = testing::fast_serial(text);
    if let Some(fast) = &serial {
        assert!(
            sd.is_empty(),
            "{name}: fast path accepted, pest reports {:?}",
            shown(&sd)
        );
        assert!(fast == &slow, "{name}: serial fast parse differs from pest");
    }
    let mut split_accepted = 0;
    for &k in chunks {
        let split = testing::fast_split(text, k);
        // The split gives up exactly where the serial parser does (a bad cut is parsed
        // again, not a reason to give up).
        assert_eq!(
            split.is_some(),
            serial.is_some(),
            "{name}: split into {k} and serial disagree"
        );
        if let Some(split) = split {
            assert!(
                sd.is_empty(),
                "{name}: split into {k} accepted, pest reports {:?}",
                shown(&sd)
            );
            assert!(split == slow, "{name}: split into {k} differs from pest");
            split_accepted += 1;
        }
    }
    // The public entry point: pest's tree and diagnostics, whichever parser ran.
    let (tree, d) = parse(FileId(0), text);
    assert!(tree == slow, "{name}: `parse` differs from pest");
    assert_eq!(shown(&d), shown(&sd), "{name}: diagnostics differ");
    (serial.is_some(), split_accepted)
}

#[test]
fn corpus_agrees_serial_and_split() {
    let mut split = 0;
    for (name, text) in corpus() {
        let (_, d) = testing::pest(FileId(0), &text);
        let (accepted, s) = agree(&name, &text, &[2, 3, 4, 8, 16]);
        // Imports and templates are left to pest on purpose.
        let rare = text.contains("import") || text.contains("template");
        if d.is_empty() && !rare {
            assert!(accepted, "{name}: valid, but the fast path gave up");
        }
        split += s;
    }
    assert!(split > 50, "{split}");
}

/// A file big enough for `parse` to split it (past 64 KiB).
fn big(apps: usize) -> String {
    workload::single_file(apps)
}

#[test]
fn a_big_file_is_split_and_gives_the_same_tree() {
    let text = big(200);
    assert!(text.len() > 64 * 1024, "{}", text.len());
    let cuts = testing::split_points(&text, 8);
    assert_eq!(cuts.len(), 8, "{cuts:?}");
    for w in cuts.windows(2) {
        assert!(w[0] < w[1]);
        assert_eq!(text.as_bytes()[w[1] - 1], b'\n');
        assert!(
            text[w[1]..].starts_with("app "),
            "{}",
            &text[w[1]..w[1] + 10]
        );
    }
    let split = testing::fast_split(&text, 8).expect("the workload splits");
    let serial = testing::fast_serial(&text).expect("the workload parses");
    assert!(split == serial, "split and serial differ");
    assert_eq!(split.items.len(), 200);
    let (tree, d) = parse(FileId(0), &text);
    assert!(d.is_empty());
    assert!(tree == serial);
    // And pest, once, on the big file.
    let (slow, sd) = testing::pest(FileId(0), &text);
    assert!(sd.is_empty());
    assert!(slow == split, "pest differs from the split parse");
}

#[test]
fn more_pieces_than_items_and_tiny_files() {
    for text in [
        "",
        "\n",
        "app a {}\n",
        "app a {}\napp b {}\n",
        "// c\n",
        "app a {}\n// end",
    ] {
        for k in [1, 2, 5, 64] {
            let cuts = testing::split_points(text, k);
            assert_eq!(cuts[0], 0);
            assert!(cuts.windows(2).all(|w| w[0] < w[1]), "{text:?} {cuts:?}");
        }
        agree(text, text, &[1, 2, 5, 64]);
    }
}

/// Items with comments around every place a cut can fall: before an item, after its
/// closing brace, on the line before it, at the end of the file; block comments and
/// strings spanning lines whose lines start with a word (a cut there is a bad cut).
fn commented(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        match i % 7 {
            0 => s.push_str(&format!("// app {i}\n")),
            1 => s.push_str(&format!("/* app {i} */\n")),
            2 => s.push_str(&format!("/*\napp fake{i} {{\n  x = 1\n}}\n*/\n")),
            3 => s.push_str("\n\n"),
            4 => s.push_str("/* a */ /* b */ // c\n"),
            _ => {}
        }
        s.push_str(&format!("app a{i} {{ // open\n"));
        s.push_str(&format!("  image = \"r/a{i}:1\" // image\n"));
        if i % 5 == 0 {
            s.push_str("  notes = \"first line\napp not-an-item {\nx = 2\n}\"\n");
        }
        s.push_str("  env { A = \"${x} y\" /* in */ }\n");
        s.push_str(&format!("}} // end {i}\n"));
        if i % 3 == 0 {
            s.push_str(&format!("let v{i} = [1, 2] // list\n"));
        }
    }
    s.push_str("// the end");
    s
}

#[test]
fn cuts_next_to_comments_and_inside_them() {
    let text = commented(60);
    let (slow, sd) = testing::pest(FileId(0), &text);
    assert!(sd.is_empty(), "{:?}", shown(&sd));
    assert!(!slow.comments.is_empty());
    // Cuts that fall inside a comment (the piece before them fails and is parsed again
    // with the next one), and cuts right after a comment line.
    let mut inside = 0;
    let mut after = 0;
    for k in 2..40 {
        let cuts = testing::split_points(&text, k);
        for &c in &cuts[1..] {
            let c = c as u32;
            inside += usize::from(
                slow.comments
                    .iter()
                    .any(|m| m.span.start < c && c < m.span.end),
            );
            after += usize::from(slow.comments.iter().any(|m| m.span.end + 1 == c));
        }
        let split = testing::fast_split(&text, k).expect("valid");
        assert!(split == slow, "split into {k} differs from pest");
    }
    assert!(inside > 0 && after > 0, "{inside} {after}");
    let (accepted, _) = agree("commented", &text, &[]);
    assert!(accepted);
    // Big enough for `parse` to split it itself.
    let text = commented(700);
    assert!(text.len() > 64 * 1024);
    let (tree, d) = parse(FileId(0), &text);
    assert!(d.is_empty());
    assert!(testing::fast_serial(&text).is_some_and(|t| t == tree));
}

/// `parse` on a big file with an error: pest's diagnostics, as without the split.
fn same_as_pest(name: &str, text: &str) -> Vec<String> {
    assert!(text.len() > 64 * 1024, "{name}: too small to split");
    assert!(
        testing::fast_split(text, 8).is_none(),
        "{name}: split accepted"
    );
    assert!(
        testing::fast_serial(text).is_none(),
        "{name}: serial accepted"
    );
    let (slow, sd) = testing::pest(FileId(0), text);
    let (tree, d) = parse(FileId(0), text);
    assert!(tree == slow, "{name}: trees differ");
    assert_eq!(shown(&d), shown(&sd), "{name}");
    assert!(!d.is_empty(), "{name}: no diagnostic");
    d.iter().map(|d| d.code.as_str().to_owned()).collect()
}

#[test]
fn errors_in_any_piece_are_pests() {
    let base = big(150);
    // The last piece: a missing value in the last app.
    let at = base.rfind("replicas = 3").expect("a field");
    let mut t = base.clone();
    t.replace_range(at..at + "replicas = 3".len(), "replicas = ");
    same_as_pest("error in the last piece", &t);
    // The last byte: an unclosed block at the end.
    let t = format!("{base}app tail {{\n");
    same_as_pest("unclosed at the end", &t);
    // The first piece.
    let t = base.replacen("image =", "image ==", 1);
    same_as_pest("error in the first piece", &t);
    // A middle piece: nesting past the limit (the scanner's K0004).
    let mid = base.len() / 2;
    let at = mid + base[mid..].find("\napp ").expect("an app") + 1;
    let deep = format!("app deep {{ x = {}1{} }}\n", "[".repeat(70), "]".repeat(70));
    let mut t = base.clone();
    t.insert_str(at, &deep);
    let codes = same_as_pest("too deep in the middle", &t);
    assert!(codes.iter().any(|c| c == "K0004"), "{codes:?}");
    // An unterminated string and an unterminated comment in the last piece.
    let t = format!("{base}app s {{ x = \"open\n}}\n");
    same_as_pest("unterminated string", &t);
    let t = format!("{base}/* open\napp s {{ }}\n");
    same_as_pest("unterminated comment", &t);
    // A reserved word as a name in a middle piece (the builder's diagnostic).
    let mut t = base.clone();
    t.insert_str(at, "app let { }\n");
    same_as_pest("reserved word", &t);
}

#[test]
fn nesting_at_the_limit_is_the_scanners() {
    // The block's `{` counts, so 63 lists are 64 levels (accepted) and 64 are 65.
    for (lists, ok) in [(63, true), (64, false)] {
        let t = format!(
            "app a {{ x = {}1{} }}\n",
            "[".repeat(lists),
            "]".repeat(lists)
        );
        let (accepted, _) = agree(&format!("{lists} lists"), &t, &[2]);
        assert_eq!(accepted, ok, "{lists}");
    }
    for (n, ok) in [(31, true), (32, false)] {
        // Each level is `${` and `[`: 2 per level, plus the block.
        let t = format!(
            "app a {{ x = {}1{} }}\n",
            "\"${[".repeat(n),
            "]}\"".repeat(n)
        );
        let (accepted, _) = agree(&format!("{n} interpolations"), &t, &[2]);
        assert_eq!(accepted, ok, "{n}");
    }
}

#[test]
fn edits_around_the_cuts_agree() {
    // Deterministic edits at and around every cut of a file split into 4: whatever a
    // piece accepts, pest accepts with the same tree.
    const INSERT: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "\"",
        "=",
        ".",
        "..",
        ",",
        "${",
        "\\",
        "/",
        "//",
        "/*",
        "*/",
        "0",
        "a",
        "-",
        " ",
        "\n",
        "let ",
        "x = 1\n",
        "b {",
        "}\n",
        "app z { }\n",
    ];
    let text = commented(12);
    let cuts = testing::split_points(&text, 4);
    assert_eq!(cuts.len(), 4, "{cuts:?}");
    let mut accepted = 0;
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for &cut in &cuts[1..] {
        for delta in -3i64..=3 {
            let at = (cut as i64 + delta) as usize;
            if !text.is_char_boundary(at) {
                continue;
            }
            for _ in 0..4 {
                let mut t = text.clone();
                if next() % 4 == 0 {
                    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                    t.replace_range(at..end, "");
                } else {
                    t.insert_str(at, INSERT[(next() as usize) % INSERT.len()]);
                }
                let (_, s) = agree(&format!("edit at {at}"), &t, &[4]);
                accepted += s;
            }
        }
    }
    assert!(accepted > 20, "{accepted}");
}

#[test]
fn the_tree_is_the_same_node_for_node() {
    // A spot check of what `==` above covers: the split keeps absolute spans.
    let text = commented(30);
    let split = testing::fast_split(&text, 3).expect("valid");
    let (slow, _) = testing::pest(FileId(0), &text);
    assert_eq!(split.items.len(), slow.items.len());
    for (a, b) in split.items.iter().zip(&slow.items) {
        assert_eq!(a, b);
        if let ast::Item::Block(b) = a {
            assert_eq!(&text[b.span.start as usize..][..4], "app ");
        }
    }
    assert_eq!(split.comments, slow.comments);
}
