//! Emit: deterministic YAML text and bundles on disk.
//!
//! The YAML writer is hand-written over `serde_json::Value` (kiln's objects are JSON
//! values in a fixed key order) and writes into one `String`: block style, two-space
//! indentation, sequences indented under their key, `---` between documents. A string
//! is written plain only when every YAML loader (YAML 1.1 ones such as PyYAML and
//! go-yaml v2 included) reads it back as the same string; otherwise it is double-quoted,
//! or, when it has several lines and nothing a literal block cannot hold, written as a
//! `|` block scalar.

pub use crate::fsio::write_files;
use crate::lower::Object;
use crate::order;
use serde_json::{Map, Value};
use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// The objects as one multi-document YAML stream.
///
/// Big bundles are written in parallel, in chunks of consecutive objects joined in
/// order afterwards: each document's text depends only on its object, so the bytes are
/// the same as a sequential write (docs/performance.md).
pub fn to_yaml(objects: &[Object]) -> String {
    let mut parts = to_yaml_parts(objects);
    if parts.len() == 1 {
        return parts.pop().unwrap_or_default();
    }
    let mut out = String::with_capacity(parts.iter().map(String::len).sum());
    for p in &parts {
        out.push_str(p);
    }
    out
}

/// [`to_yaml`] as consecutive pieces whose concatenation is the stream: a writer can
/// send them one after the other without holding a joined copy.
pub fn to_yaml_parts(objects: &[Object]) -> Vec<String> {
    use rayon::prelude::*;
    const CHUNK: usize = 256;
    if objects.len() <= CHUNK {
        return vec![write_documents(objects, true)];
    }
    objects
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(i, chunk)| write_documents(chunk, i == 0))
        .collect()
}

/// Consecutive documents, each preceded by `---` except the first of the stream.
fn write_documents(objects: &[Object], first_of_stream: bool) -> String {
    let mut out = String::with_capacity(objects.len() * 1536);
    for (i, o) in objects.iter().enumerate() {
        if i > 0 || !first_of_stream {
            out.push_str("---\n");
        }
        write_document(&mut out, &o.value);
    }
    out
}

/// Objects given by reference as one multi-document YAML stream.
pub fn to_yaml_refs(objects: &[&Object]) -> String {
    let mut out = String::with_capacity(objects.len() * 1536);
    for (i, o) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        write_document(&mut out, &o.value);
    }
    out
}

/// One YAML document (no `---`) for any JSON value.
pub fn value_to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_document(&mut out, value);
    out
}

fn write_document(out: &mut String, v: &Value) {
    match v {
        Value::Object(m) if !m.is_empty() => write_map(out, m, 0, false),
        Value::Array(a) if !a.is_empty() => write_seq(out, a, 0, false),
        _ => write_scalar(out, v, 2),
    }
}

fn pad(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// A mapping whose keys start at column `indent`; with `inline_first`, the first key
/// continues the current line (after `- `).
fn write_map(out: &mut String, m: &Map<String, Value>, indent: usize, inline_first: bool) {
    let mut inline = inline_first;
    for (k, v) in m {
        if !inline {
            pad(out, indent);
        }
        inline = false;
        write_key(out, k);
        out.push(':');
        match v {
            Value::Object(child) if !child.is_empty() => {
                out.push('\n');
                write_map(out, child, indent + 2, false);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(out, items, indent + 2, false);
            }
            _ => {
                out.push(' ');
                write_scalar(out, v, indent + 2);
            }
        }
    }
}

/// A sequence whose `- ` start at column `indent`.
fn write_seq(out: &mut String, a: &[Value], indent: usize, inline_first: bool) {
    let mut inline = inline_first;
    for item in a {
        if !inline {
            pad(out, indent);
        }
        inline = false;
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => write_map(out, m, indent + 2, true),
            Value::Array(items) if !items.is_empty() => write_seq(out, items, indent + 2, true),
            _ => write_scalar(out, item, indent + 2),
        }
    }
}

/// A scalar (or empty collection) and its newline; `indent` is where the lines of a
/// block scalar go.
fn write_scalar(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Null => out.push_str("null\n"),
        Value::Bool(b) => out.push_str(if *b { "true\n" } else { "false\n" }),
        Value::Number(n) => {
            let _ = writeln!(out, "{n}");
        }
        Value::String(s) => {
            if s.contains('\n') && block_safe(s) {
                write_block(out, s, indent);
            } else {
                write_string(out, s);
                out.push('\n');
            }
        }
        Value::Array(_) => out.push_str("[]\n"),
        Value::Object(_) => out.push_str("{}\n"),
    }
}

fn write_key(out: &mut String, k: &str) {
    write_string(out, k);
}

fn write_string(out: &mut String, s: &str) {
    if plain_safe(s) {
        out.push_str(s);
    } else {
        write_quoted(out, s);
    }
}

/// A literal block scalar: `|` keeps one final newline, `|-` none, `|+` all of them.
fn write_block(out: &mut String, s: &str, indent: usize) {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    out.push_str(match trailing {
        0 => "|-\n",
        1 => "|\n",
        _ => "|+\n",
    });
    for line in body.split('\n') {
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    // `|+` keeps the final newlines as empty lines; the first is the body's own.
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// Whether a multi-line string survives a literal block scalar unchanged: only
/// printable characters (no tab, no carriage return), and a first non-empty line that
/// does not start with a space (it would be taken for indentation).
fn block_safe(s: &str) -> bool {
    if s.chars().any(|c| c != '\n' && !printable(c)) || s.contains('\t') {
        return false;
    }
    let first = s.split('\n').find(|l| !l.is_empty());
    match first {
        Some(l) => !l.starts_with(' '),
        // Only newlines: a block would read back as empty.
        None => false,
    }
}

/// Printable in YAML's sense, minus what some loaders mishandle (NEL, line and
/// paragraph separators, the byte order mark).
fn printable(c: char) -> bool {
    match c {
        '\t' | '\n' => true,
        c if (c as u32) < 0x20 => false,
        '\u{7f}'..='\u{9f}' => false,
        '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => false,
        _ => true,
    }
}

/// The words YAML 1.1 or 1.2 loaders turn into booleans or null.
const RESERVED: [&str; 22] = [
    "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "=", "<<", ".inf", "-.inf",
    "+.inf", ".nan", "Y", "N", "NULL", "Null", "TRUE", "FALSE",
];

/// Whether `s` can be written as a plain scalar and read back as the same string by
/// any YAML loader.
pub fn plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if first == b' ' || last == b' ' || last == b':' {
        return false;
    }
    if b"-?:,[]{}#&*!|>'\"%@`".contains(&first) {
        return false;
    }
    // One pass over the bytes: `: `, ` #`, tabs, newlines, control characters; anything
    // non-ASCII is checked by character (NEL, separators, BOM).
    let mut prev = 0u8;
    let mut ascii = true;
    for &b in bytes {
        if b < 0x20 || b == 0x7f || (prev == b':' && b == b' ') || (prev == b' ' && b == b'#') {
            return false;
        }
        ascii &= b.is_ascii();
        prev = b;
    }
    if !ascii && s.chars().any(|c| !printable(c)) {
        return false;
    }
    if bytes.len() <= 6 && RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s)) {
        return false;
    }
    if s.starts_with("...") {
        return false;
    }
    !number_like(s)
}

/// Whether a loader might read `s` as a number, a date or a sexagesimal: an optional
/// sign, an optional `.`, a digit, then only characters that appear in numbers, dates
/// and times (`1.0`, `0x1F`, `1e3`, `010`, `.5`, `1_000`, `12:30`, `2024-05-01`, and
/// YAML 1.1 timestamps such as `2026-01-10T09:00:00Z` or `2001-12-14 21:59:43.10 -5`).
fn number_like(s: &str) -> bool {
    let rest = s.strip_prefix(['+', '-']).unwrap_or(s);
    let rest2 = rest.strip_prefix('.').unwrap_or(rest);
    if !rest2.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    rest.chars()
        .all(|c| c.is_ascii_hexdigit() || "xXoO_.:+-tTzZ ".contains(c))
}

fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if !printable(c) => {
                let n = c as u32;
                if n <= 0xffff {
                    let _ = write!(out, "\\u{n:04X}");
                } else {
                    let _ = write!(out, "\\U{n:08X}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes the bundle under `dir`: one directory per app, one file per release phase and
/// job step (`01-setup.yaml`, `02-pre-deploy.yaml`, `03-install-jobs.yaml`,
/// `04-deploy.yaml`, ...), numbered in apply order (see [`order::bundle_files`]).
///
/// Atomic: everything is written to a fresh directory next to `dir` and synced, then
/// renamed into place (the previous bundle, if any, is renamed aside first and deleted
/// last). A failure at any point leaves the previous bundle byte-identical, never half
/// a bundle.
pub fn write_bundle(objects: &[Object], dir: &Path) -> io::Result<()> {
    crate::fsio::write_files(&order::bundle_files(objects), dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parallel_emission_is_the_sequential_text() {
        // Enough objects for several chunks, with a last partial one.
        let objects: Vec<Object> = (0..1000)
            .map(|i| {
                Object::from_value(
                    &format!("a{}", i / 8),
                    "",
                    json!({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": format!("c{i}")}, "data": {"k": i}}),
                )
            })
            .collect();
        let parallel = to_yaml(&objects);
        let mut sequential = String::new();
        for (i, o) in objects.iter().enumerate() {
            if i > 0 {
                sequential.push_str("---\n");
            }
            write_document(&mut sequential, &o.value);
        }
        assert_eq!(parallel, sequential);
        assert_eq!(to_yaml(&objects[..3]), write_documents(&objects[..3], true));
        assert_eq!(to_yaml(&[]), "");
    }

    #[test]
    fn yaml_11_timestamps_are_quoted() {
        for s in [
            "2026-01-10T09:00:00Z",
            "2001-12-14 21:59:43.10 -5",
            "2026-01-10",
            "1:30",
        ] {
            assert!(!plain_safe(s), "{s} must be quoted");
        }
        for s in ["250m", "512Mi", "1 apple", "v1.2.3"] {
            assert!(plain_safe(s), "{s} can stay plain");
        }
    }

    #[test]
    fn block_style_and_quoting() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {}},
            "data": {
                "on": "yes",
                "n": "1.0",
                "cpu": "250m",
                "t": "12:30",
                "e": "",
                "h": "a: b",
                "c": "a #b",
                "s": "multi\nline\n",
                "dash": "-b",
                "ok": "registry.example.com/csis:1.4.2"
            },
            "list": [1, "x", {"a": 1, "b": [true, null]}, [], [2, 3]],
        });
        let y = value_to_yaml(&v);
        let expected = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: x
  labels: {}
data:
  \"on\": \"yes\"
  \"n\": \"1.0\"
  cpu: 250m
  t: \"12:30\"
  e: \"\"
  h: \"a: b\"
  c: \"a #b\"
  s: |
    multi
    line
  dash: \"-b\"
  ok: registry.example.com/csis:1.4.2
list:
  - 1
  - x
  - a: 1
    b:
      - true
      - null
  - []
  - - 2
    - 3
";
        assert_eq!(y, expected);
    }

    #[test]
    fn plain_rules() {
        for s in [
            "yes",
            "No",
            "ON",
            "off",
            "true",
            "null",
            "~",
            "1.0",
            "0x1F",
            "1e3",
            "010",
            ".5",
            "-",
            "?x",
            ":x",
            ",",
            "[",
            "]",
            "{",
            "}",
            "#",
            "&a",
            "*a",
            "!t",
            "|",
            ">",
            "'",
            "\"",
            "%",
            "@",
            "`",
            "a: b",
            "a #b",
            " a",
            "a ",
            "",
            "a\tb",
            "a\u{7}",
            "x:",
            "2024-05-01",
            "+1",
            "-1",
            "1_000",
            ".inf",
            "<<",
            "...",
        ] {
            assert!(!plain_safe(s), "{s:?} must be quoted");
        }
        for s in [
            "web",
            "250m",
            "512Mi",
            "1Gi",
            "a-b",
            "a:b",
            "a#b",
            "http://x/y",
            "é",
        ] {
            assert!(plain_safe(s), "{s:?} can be plain");
        }
    }

    #[test]
    fn block_scalars() {
        let cases = ["a\nb", "a\nb\n", "a\nb\n\n\n", "\n\na\n", "x\n  indented\n"];
        for s in cases {
            let y = value_to_yaml(&json!({ "k": s }));
            assert!(y.starts_with("k: |"), "{s:?} → {y}");
        }
        for s in [" lead\nx", "tab\there\n", "cr\r\n", "\n\n"] {
            let y = value_to_yaml(&json!({ "k": s }));
            assert!(y.starts_with("k: \""), "{s:?} → {y}");
        }
    }
}
