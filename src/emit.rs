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

/// The decimal digits of `n`, at the end of `buf`: itoa's text, which serde_json writes
/// for every integer type (both writers use it, so YAML and the Job hash's JSON agree).
pub(crate) fn decimal_digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    while let Some(slot) = i.checked_sub(1).and_then(|j| buf.get_mut(j)) {
        // `n % 10` is below 10: the cast keeps it.
        *slot = b'0' + (n % 10) as u8;
        i -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or_default()
}

/// The first eight bytes of `w` as one little-endian word, for comparing and hashing
/// strings eight bytes at a time (the YAML writer's key cache, the Job hash JSON's
/// escape test); 0 when `w` is shorter than eight bytes (callers pass at least eight).
#[inline]
pub(crate) fn word(w: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    if let Some(head) = w.get(..8) {
        a.copy_from_slice(head);
    }
    u64::from_le_bytes(a)
}

/// Appends one YAML document (no `---`) for any JSON value.
pub(crate) fn write_value(out: &mut String, v: &Value) {
    write_document(out, v);
}

fn write_document(out: &mut String, v: &Value) {
    match v {
        Value::Object(m) if !m.is_empty() => write_map(out, m, 0, false),
        Value::Array(a) if !a.is_empty() => write_seq(out, a, 0, false),
        _ => write_scalar(out, v, 2),
    }
}

/// A line break, 128 spaces and a sequence's `- `: indentation is a slice of it (one
/// copy rather than one per space).
const NL_SPACES_DASH: &str = concat!(
    "\n",
    "                                                                ",
    "                                                                ",
    "- "
);
/// The spaces in [`NL_SPACES_DASH`].
const SPACES: usize = 128;

/// `n` spaces.
#[inline]
fn pad(out: &mut String, n: usize) {
    match NL_SPACES_DASH.get(1..=n) {
        Some(spaces) => out.push_str(spaces),
        None => pad_long(out, n),
    }
}

/// A line break and `n` spaces.
#[inline]
fn newline_pad(out: &mut String, n: usize) {
    match NL_SPACES_DASH.get(..=n) {
        Some(text) => out.push_str(text),
        None => {
            out.push('\n');
            pad_long(out, n);
        }
    }
}

/// `n` spaces and `- `.
#[inline]
fn pad_dash(out: &mut String, n: usize) {
    match SPACES
        .checked_sub(n)
        .and_then(|from| NL_SPACES_DASH.get(1 + from..))
    {
        Some(text) => out.push_str(text),
        None => {
            pad_long(out, n);
            out.push_str("- ");
        }
    }
}

/// `n` spaces, more than fit in one slice (nesting deeper than 64 levels).
#[cold]
fn pad_long(out: &mut String, mut n: usize) {
    let spaces = NL_SPACES_DASH.get(1..=SPACES).unwrap_or_default();
    while n > SPACES {
        out.push_str(spaces);
        n -= SPACES;
    }
    out.push_str(spaces.get(..n).unwrap_or_default());
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
        if inline {
            out.push_str("- ");
        } else {
            pad_dash(out, indent);
        }
        inline = false;
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
        Value::String(s) => write_string_value(out, s, indent),
        Value::Array(_) => out.push_str("[]\n"),
        Value::Object(_) => out.push_str("{}\n"),
    }
}

/// A string value and its newline: plain, a literal block (several lines), or quoted.
/// (A plain-safe string has no newline, so it is tried first: the cheaper test.)
fn write_string_value(out: &mut String, s: &str, indent: usize) {
    if plain_safe(s) {
        out.push_str(s);
    } else if s.contains('\n') && block_safe(s) {
        write_block(out, s, indent);
        return;
    } else {
        write_quoted(out, s);
    }
    out.push('\n');
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

/// A string of at most 5 bytes as one word: its bytes in ASCII lower case, its length
/// in the top byte (so `"y"` and `"y\0"` differ).
const fn reserved_key(s: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    let mut i = 0;
    while i < s.len() && i < 5 {
        w[i] = s[i].to_ascii_lowercase();
        i += 1;
    }
    w[7] = s.len() as u8;
    u64::from_le_bytes(w)
}

/// [`RESERVED`] as [`reserved_key`]s (every word is at most 5 bytes; the upper-case
/// spellings are the same keys as the lower-case ones).
const RESERVED_KEYS: [u64; 22] = {
    let mut keys = [0u64; 22];
    let mut i = 0;
    while i < RESERVED.len() {
        assert!(RESERVED[i].len() <= 5);
        keys[i] = reserved_key(RESERVED[i].as_bytes());
        i += 1;
    }
    keys
};

/// Whether `s` is one of [`RESERVED`], in any case: one word compared with 22 (no word
/// is longer than 5 bytes, so longer strings are answered by their length).
fn reserved(s: &str) -> bool {
    let bytes = s.as_bytes();
    match bytes.first() {
        Some(&b) if bytes.len() <= 5 && RESERVED_FIRST[usize::from(b)] => {
            RESERVED_KEYS.contains(&reserved_key(bytes))
        }
        _ => false,
    }
}

/// The first bytes of [`RESERVED`], in either case: most short strings are told apart
/// by their first byte.
const RESERVED_FIRST: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < RESERVED.len() {
        let b = RESERVED[i].as_bytes()[0];
        t[b.to_ascii_lowercase() as usize] = true;
        t[b.to_ascii_uppercase() as usize] = true;
        i += 1;
    }
    t
};

/// Byte classes for [`plain_safe`], OR-ed over a string in one pass: what the string
/// holds decides which rules need a closer look.
mod class {
    /// Not a letter, digit, `-`, `_`, `.` or `/` (most keys, names and label values
    /// have none).
    pub const NOT_SIMPLE: u8 = 1;
    /// Not a character of numbers, dates and times (see `plain_safe_general`).
    pub const NOT_NUMBER: u8 = 2;
    /// A control character (tab and newline included) or DEL.
    pub const CONTROL: u8 = 4;
    /// Part of a non-ASCII character.
    pub const HIGH: u8 = 8;
    /// A space.
    pub const SPACE: u8 = 16;
    /// `:` or `#` (with a space, `: ` or ` #` end a plain scalar).
    pub const COLON_HASH: u8 = 32;

    /// The class of every byte.
    pub const TABLE: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            let mut k = 0;
            if !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/')) {
                k |= NOT_SIMPLE;
            }
            if !(c.is_ascii_hexdigit()
                || matches!(
                    c,
                    b'x' | b'X'
                        | b'o'
                        | b'O'
                        | b'_'
                        | b'.'
                        | b':'
                        | b'+'
                        | b'-'
                        | b't'
                        | b'T'
                        | b'z'
                        | b'Z'
                        | b' '
                ))
            {
                k |= NOT_NUMBER;
            }
            if c < 0x20 || c == 0x7f {
                k |= CONTROL;
            }
            if c >= 0x80 {
                k |= HIGH;
            }
            if c == b' ' {
                k |= SPACE;
            }
            if c == b':' || c == b'#' {
                k |= COLON_HASH;
            }
            t[b] = k;
            b += 1;
        }
        t
    };

    /// The classes of all the bytes of `bytes`, OR-ed.
    #[inline]
    pub fn of(bytes: &[u8]) -> u8 {
        // Eight bytes a step: the loop is a table load and an OR per byte. The last
        // bytes are taken as the last eight (or four) bytes of the string, overlapping
        // bytes already seen: OR-ing a class twice changes nothing, and there is no
        // byte-by-byte tail loop.
        let t = |x: u8| TABLE[usize::from(x)];
        let eight = |w: &[u8]| match *w {
            [x0, x1, x2, x3, x4, x5, x6, x7] => {
                (t(x0) | t(x1) | t(x2) | t(x3)) | (t(x4) | t(x5) | t(x6) | t(x7))
            }
            _ => 0,
        };
        let n = bytes.len();
        if n < 8 {
            let at = |i: usize| bytes.get(i).map_or(0, |&x| t(x));
            if n < 4 {
                // First, middle and last byte: all of them.
                return at(0) | at(n / 2) | at(n.wrapping_sub(1));
            }
            // Two overlapping runs of four.
            let four = |w: Option<&[u8]>| match w {
                Some(&[x0, x1, x2, x3]) => t(x0) | t(x1) | t(x2) | t(x3),
                _ => 0,
            };
            return four(bytes.get(..4)) | four(bytes.get(n - 4..));
        }
        let mut a = 0u8;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            a |= eight(w);
        }
        if !words.remainder().is_empty() {
            a |= eight(bytes.get(n - 8..).unwrap_or_default());
        }
        a
    }
}

/// Whether `s` can be written as a plain scalar and read back as the same string by
/// any YAML loader.
///
/// One pass classifies the bytes ([`class`]); the rules below only look again at the
/// string when its classes say a rule can apply (`tests::plain_safe_agrees_with_the_rules`
/// checks this against the rules written out one by one).
#[inline(always)]
pub fn plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let classes = class::of(bytes);
    // The common case: a letter, then only simple bytes. None of the rules below can
    // apply but the reserved words (no indicator, space, colon, control character or
    // non-ASCII byte; a letter first is neither a number nor `...`).
    if classes & class::NOT_SIMPLE == 0 && first.is_ascii_alphabetic() {
        return !reserved(s);
    }
    plain_safe_general(s, first, last, classes)
}

/// [`plain_safe`] for strings with more than letters, digits, `-`, `_`, `.` and `/`,
/// or that do not start with a letter.
fn plain_safe_general(s: &str, first: u8, last: u8, classes: u8) -> bool {
    if first == b' ' || last == b' ' || last == b':' {
        return false;
    }
    if matches!(
        first,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    ) {
        return false;
    }
    // Tabs, newlines, control characters.
    if classes & class::CONTROL != 0 {
        return false;
    }
    // `: ` and ` #` need both a space and a colon or hash somewhere.
    if classes & class::SPACE != 0
        && classes & class::COLON_HASH != 0
        && s.as_bytes()
            .windows(2)
            .any(|w| matches!(w, [b':', b' '] | [b' ', b'#']))
    {
        return false;
    }
    // Anything non-ASCII is checked by character (NEL, separators, BOM).
    if classes & class::HIGH != 0 && s.chars().any(|c| !printable(c)) {
        return false;
    }
    if reserved(s) {
        return false;
    }
    if s.starts_with("...") {
        return false;
    }
    // Whether a loader might read `s` as a number, a date or a sexagesimal: an optional
    // sign, an optional `.`, a digit, then only characters that appear in numbers, dates
    // and times (`1.0`, `0x1F`, `1e3`, `010`, `.5`, `1_000`, `12:30`, `2024-05-01`, and
    // YAML 1.1 timestamps such as `2026-01-10T09:00:00Z` or `2001-12-14 21:59:43.10 -5`).
    // A sign first is itself a number character, so the classes of the whole string
    // say whether the rest is made of them.
    classes & class::NOT_NUMBER != 0 || !number_start(s)
}

/// Whether `s` starts like a number: an optional sign, an optional `.`, a digit.
fn number_start(s: &str) -> bool {
    let rest = s.strip_prefix(['+', '-']).unwrap_or(s);
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    rest.starts_with(|c: char| c.is_ascii_digit())
}

/// A double-quoted scalar. Runs of characters that need no escape are copied whole.
fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    // The start of the run not yet copied, and the byte looked at.
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        let next = i + c.len_utf8();
        if b >= 0x80 && printable(c) {
            i = next;
            continue;
        }
        out.push_str(s.get(run..i).unwrap_or_default());
        write_escaped(out, c);
        i = next;
        run = next;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// One character inside double quotes, escaped if it must be.
fn write_escaped(out: &mut String, c: char) {
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

/// Writes `value` as one YAML document (no `---`), byte for byte what
/// [`value_to_yaml`] writes for `serde_json::to_value(value)` with the top-level keys in
/// the conventional order (`apiVersion`, `kind`, `metadata`, then the rest, as
/// `lower` arranges them), but without building the JSON tree: the typed object is
/// serialized straight to text. Forms the writer does not handle (floats, bytes, enum
/// variants with data, 128-bit integers, non-string map keys, a repeated top-level key)
/// fall back to the tree, so the text is always the tree's.
pub fn typed_to_yaml<T: serde::Serialize + ?Sized>(out: &mut String, value: &T) {
    let start = out.len();
    let mut keys = typed::KeyCache::take();
    let direct = value.serialize(typed::Ser {
        out: &mut *out,
        keys: &mut keys,
        ctx: typed::Ctx::Top,
    });
    keys.give_back();
    if direct.is_err() {
        out.truncate(start);
        match serde_json::to_value(value) {
            Ok(v) => write_document(out, &crate::lower::conventional_order(v)),
            // What serde_json cannot represent is written as the tree would be: null.
            Err(_) => out.push_str("null\n"),
        }
    }
}

/// The error of kiln's own serde `Serializer`s (the direct YAML writer here, the Job
/// hash's JSON writer in `lower::json`): a form the writer does not handle, so the
/// caller falls back to the general writer and the text cannot differ.
#[derive(Debug)]
pub struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("left to the general writer")
    }
}

impl std::error::Error for Unsupported {}

impl serde::ser::Error for Unsupported {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Unsupported
    }
}

/// The serde `Serializer` behind [`typed_to_yaml`]. It mirrors [`write_document`]: a
/// mapping or sequence is only known to be empty (`{}`, `[]` on the key's line) once it
/// ends, so the line break after its key is written when its first entry comes.
mod typed {
    use super::{newline_pad, pad, pad_dash, plain_safe, word, write_quoted, write_string_value};
    use serde::ser::{self, Serialize};
    use std::borrow::Cow;
    use std::cell::Cell;

    /// Slots of [`KeyCache`].
    const SLOTS: usize = 1024;
    /// Neighbouring slots a struct field name may be found in (see
    /// [`KeyCache::field_miss`]); divides [`SLOTS`].
    const FIELD_WAYS: usize = 4;

    /// A struct field name as written at one indentation.
    #[derive(Default)]
    struct Rendered {
        /// The name's address and length (the same address and length are the same
        /// bytes: the names are static strings).
        addr: usize,
        len: usize,
        indent: usize,
        /// A line break, `indent` spaces, the name (plain or quoted) and `:`.
        text: String,
    }

    /// Struct field names as written, by address, length and indentation: the field
    /// names of the k8s-openapi types are a few hundred static strings, written tens
    /// of thousands of times at a few indentations, so each is checked for quoting and
    /// laid out once, then copied whole.
    ///
    /// Map keys (label and annotation names, ConfigMap keys) are remembered by their
    /// text: the same few label names come back in every object.
    pub struct KeyCache {
        fields: Box<[Rendered]>,
        texts: Box<[RenderedText]>,
        /// The document's top-level entries so far: key and where its text starts (an
        /// entry ends where the next starts), for [`reorder_top`]. Kept here to reuse
        /// its allocation from document to document.
        top: Vec<(Cow<'static, str>, usize)>,
        /// String maps as last written, [`MAP_WAYS`] per length (see [`Map::memo_map`]).
        maps: Box<[Vec<MemoEntry>]>,
        /// Per length, the way of [`KeyCache::maps`] used last (the other is replaced
        /// first).
        map_last: [u8; MAP_LENGTHS],
        /// Which neighbour the next struct field name laid out displaces.
        victim: usize,
        /// Integers as written, by value ([`INT_SLOTS`] slots, see [`Ser::int`]).
        ints: Box<[RenderedInt]>,
    }

    /// Slots of [`KeyCache::ints`] (the top 6 bits of a hash pick one).
    const INT_SLOTS: usize = 64;

    /// An integer as written: `n`, its sign and whether a space leads (`flags`: 1 for
    /// `-`, 2 for the space) decide `text` (the space, the digits and the line break;
    /// empty when not yet laid out).
    #[derive(Default)]
    struct RenderedInt {
        n: u64,
        flags: u8,
        text: String,
    }

    /// Lengths of string maps told apart by [`KeyCache::maps`] (longer maps share the
    /// last).
    const MAP_LENGTHS: usize = 16;
    /// Maps remembered per length: label maps and, of the same length, ConfigMap data.
    const MAP_WAYS: usize = 2;

    /// One entry of a string map as last written at its place in a
    /// [`KeyCache::maps`] slot.
    #[derive(Default)]
    struct MemoEntry {
        key: String,
        value: String,
        /// `key: value` and the value's line break as written (key and value quoted if
        /// they must be), without the indentation before it; empty when not known.
        /// Always the text of `key` and `value` or empty.
        text: String,
        /// Where the value's text starts in `text` (after `key: `).
        value_at: usize,
        /// The indentation `text` was written for when the value has a line break (a
        /// block scalar's lines carry their indentation); `None` for one-line values,
        /// whose text is the same at every indentation.
        block_indent: Option<usize>,
    }

    impl MemoEntry {
        /// Lays out `text` for the current `key` and `value`, the value's lines (if it
        /// is a block scalar) at `value_indent`.
        #[cold]
        fn render(&mut self, value_indent: usize, key_same: bool) {
            if key_same && self.value_at > 0 && self.value_at <= self.text.len() {
                // The key's text is kept (its quoting decided once).
                self.text.truncate(self.value_at);
            } else {
                self.text.clear();
                if plain_safe(&self.key) {
                    self.text.push_str(&self.key);
                } else {
                    write_quoted(&mut self.text, &self.key);
                }
                self.text.push_str(": ");
                self.value_at = self.text.len();
            }
            write_string_value(&mut self.text, &self.value, value_indent);
            self.block_indent = self.value.contains('\n').then_some(value_indent);
        }

        /// Forgets the entry (its key or value was not a string).
        fn forget(&mut self) {
            self.key.clear();
            self.value.clear();
            self.text.clear();
            self.value_at = 0;
        }
    }

    /// A map key as written at one indentation.
    #[derive(Default)]
    struct RenderedText {
        key: String,
        indent: usize,
        /// A line break, `indent` spaces, the key (plain or quoted) and `:`.
        text: String,
    }

    /// Slots of [`KeyCache`] for map keys.
    const TEXT_SLOTS: usize = 256;
    /// Longer map keys are not remembered.
    const TEXT_MAX: usize = 96;

    thread_local! {
        /// Each thread's [`KeyCache`], lent to one document at a time (taken and given
        /// back once per document rather than looked up once per key).
        static KEYS: Cell<Option<KeyCache>> = const { Cell::new(None) };
    }

    impl KeyCache {
        /// This thread's cache (a fresh one the first time, or while it is lent).
        pub fn take() -> KeyCache {
            let kept = KEYS.try_with(Cell::take).ok().flatten();
            let mut keys = kept.unwrap_or_else(|| KeyCache {
                fields: (0..SLOTS).map(|_| Rendered::default()).collect(),
                texts: (0..TEXT_SLOTS).map(|_| RenderedText::default()).collect(),
                top: Vec::with_capacity(8),
                maps: (0..MAP_LENGTHS * MAP_WAYS).map(|_| Vec::new()).collect(),
                map_last: [0; MAP_LENGTHS],
                victim: 0,
                ints: (0..INT_SLOTS).map(|_| RenderedInt::default()).collect(),
            });
            keys.top.clear();
            keys
        }

        /// Gives the cache back to the thread for its next document.
        pub fn give_back(self) {
            let _ = KEYS.try_with(|k| k.set(Some(self)));
        }

        /// [`KeyCache::rendered`] for a map key (`None`: too long to remember).
        #[inline]
        fn rendered_text(&mut self, key: &str, indent: usize) -> Option<&str> {
            if key.len() > TEXT_MAX {
                return None;
            }
            let slot = text_hash(key.as_bytes(), indent) % TEXT_SLOTS;
            let e = self.texts.get_mut(slot)?;
            if e.indent != indent
                || !same_bytes(e.key.as_bytes(), key.as_bytes())
                || e.text.is_empty()
            {
                e.key.clear();
                e.key.push_str(key);
                e.indent = indent;
                e.text.clear();
                newline_pad(&mut e.text, indent);
                if plain_safe(key) {
                    e.text.push_str(key);
                } else {
                    write_quoted(&mut e.text, key);
                }
                e.text.push(':');
            }
            Some(&e.text)
        }

        /// `"\n" + indent spaces + key + ":"`, the key quoted if it must be.
        #[inline]
        fn rendered(&mut self, key: &'static str, indent: usize) -> &str {
            let addr = key.as_ptr() as usize;
            // Fibonacci hashing: the names lie close together in memory, and the high
            // bits of the product spread them over the slots. (Adding the length to the
            // hash cost more per name than the few misses it saved: measured.)
            let h = (addr as u64 ^ ((indent as u64) << 48)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let slot = (h >> 54) as usize % SLOTS;
            let holds = |e: &Rendered| e.addr == addr && e.len == key.len() && e.indent == indent;
            if !self.fields.get(slot).is_some_and(holds) {
                self.field_miss(slot, key, indent);
            }
            self.fields.get(slot).map_or("", |e| &e.text)
        }

        /// `key` is not in its slot: it may be in one of the slot's [`FIELD_WAYS`] - 1
        /// neighbours (names that share a slot, which depends on where the linker put
        /// them, would otherwise be laid out again each time they alternate), and is
        /// moved into its slot; else it is laid out there, and the slot's previous name
        /// moves to a neighbour (each in turn), so it stays found.
        #[cold]
        fn field_miss(&mut self, slot: usize, key: &'static str, indent: usize) {
            let base = slot - slot % FIELD_WAYS;
            if base + FIELD_WAYS > self.fields.len() {
                return;
            }
            let addr = key.as_ptr() as usize;
            let holds = |e: &Rendered| e.addr == addr && e.len == key.len() && e.indent == indent;
            let found = (base..base + FIELD_WAYS)
                .find(|&j| j != slot && self.fields.get(j).is_some_and(holds));
            let other = match found {
                Some(j) => j,
                None => {
                    self.victim = (self.victim + 1) % (FIELD_WAYS - 1);
                    base + (slot - base + 1 + self.victim) % FIELD_WAYS
                }
            };
            self.fields.swap(slot, other);
            if found.is_none()
                && let Some(e) = self.fields.get_mut(slot)
            {
                render_key(e, key, indent);
            }
        }
    }

    /// A cheap hash of a map key and its indentation: its length, its first and last
    /// eight bytes (map keys are mostly label names, which differ in their length or
    /// last word). Keys that share a slot are rendered again, never confused: the slot
    /// keeps the whole key and compares it.
    #[inline]
    fn text_hash(bytes: &[u8], indent: usize) -> usize {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let n = bytes.len();
        let (a, b) = match (
            bytes.get(..8),
            n.checked_sub(8).and_then(|from| bytes.get(from..)),
        ) {
            (Some(first), Some(last)) => (word(first), word(last)),
            _ => (
                bytes
                    .iter()
                    .enumerate()
                    .fold(0, |w, (i, &b)| w | u64::from(b) << (8 * (i & 7))),
                0,
            ),
        };
        let h =
            (a ^ b.rotate_left(29) ^ ((n as u64) << 56) ^ ((indent as u64) << 40)).wrapping_mul(K);
        // The high bits are the best mixed.
        (h >> 40) as usize
    }

    /// `a == b`, a word at a time and without a call (keys are a few tens of bytes).
    #[inline]
    fn same_bytes(a: &[u8], b: &[u8]) -> bool {
        let n = a.len();
        if n != b.len() {
            return false;
        }
        if n < 8 {
            return short_word(a) == short_word(b);
        }
        let mut from = 0;
        while from + 8 <= n {
            if word(a.get(from..).unwrap_or_default()) != word(b.get(from..).unwrap_or_default()) {
                return false;
            }
            from += 8;
        }
        // The last eight bytes, overlapping the words compared.
        from == n
            || word(a.get(n - 8..).unwrap_or_default()) == word(b.get(n - 8..).unwrap_or_default())
    }

    /// The bytes of a string shorter than eight bytes in one word: two overlapping
    /// 4-byte halves, or the first, middle and last byte (for one to three bytes, all
    /// of them). Equal words for strings of one length mean equal strings.
    #[inline]
    fn short_word(s: &[u8]) -> u64 {
        let n = s.len();
        let half = |from: usize| match s.get(from..from + 4) {
            Some(&[a, b, c, d]) => u64::from(u32::from_le_bytes([a, b, c, d])),
            _ => 0,
        };
        if n >= 4 {
            half(0) | half(n - 4) << 32
        } else {
            let b = |i: usize| u64::from(s.get(i).copied().unwrap_or(0));
            b(0) | b(n / 2) << 8 | b(n.wrapping_sub(1)) << 16
        }
    }

    /// Fills a cache slot.
    #[cold]
    fn render_key(e: &mut Rendered, key: &'static str, indent: usize) {
        e.addr = key.as_ptr() as usize;
        e.len = key.len();
        e.indent = indent;
        e.text.clear();
        newline_pad(&mut e.text, indent);
        if plain_safe(key) {
            e.text.push_str(key);
        } else {
            write_quoted(&mut e.text, key);
        }
        e.text.push(':');
    }

    use super::Unsupported;

    type Res = Result<(), Unsupported>;

    /// Where a value is written.
    #[derive(Clone, Copy)]
    pub enum Ctx {
        /// The document itself.
        Top,
        /// After `key:`; nested lines start at the given column.
        MapValue(usize),
        /// After `- `; nested lines start at the given column.
        SeqItem(usize),
    }

    impl Ctx {
        /// The column of the lines of a block scalar or a nested collection.
        fn indent(self) -> usize {
            match self {
                Ctx::Top => 0,
                Ctx::MapValue(i) | Ctx::SeqItem(i) => i,
            }
        }
    }

    /// Serializes one value.
    pub struct Ser<'o> {
        pub out: &'o mut String,
        pub keys: &'o mut KeyCache,
        pub ctx: Ctx,
    }

    impl<'o> Ser<'o> {
        /// A scalar's text after `key:` (a space first) or `- `, and its newline.
        fn scalar(self, text: &str) -> Res {
            if let Ctx::MapValue(_) = self.ctx {
                self.out.push(' ');
            }
            self.out.push_str(text);
            self.out.push('\n');
            Ok(())
        }

        fn string(self, s: &str) -> Res {
            if let Ctx::MapValue(_) = self.ctx {
                self.out.push(' ');
            }
            // A top-level block scalar is indented by 2, as `write_document` does.
            let indent = match self.ctx {
                Ctx::Top => 2,
                c => c.indent(),
            };
            write_string_value(self.out, s, indent);
            Ok(())
        }

        /// An integer (its magnitude and sign) and its newline, without `fmt`. The
        /// same few integers (ports, user ids, probe timings) come back in every
        /// object: each is laid out once per slot of [`KeyCache::ints`] and copied.
        fn int(self, n: u64, neg: bool) -> Res {
            let space = matches!(self.ctx, Ctx::MapValue(_));
            let flags = u8::from(neg) | u8::from(space) << 1;
            let slot = ((n ^ n >> 17).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize;
            match self.keys.ints.get_mut(slot) {
                Some(e) => {
                    if e.n != n || e.flags != flags || e.text.is_empty() {
                        e.n = n;
                        e.flags = flags;
                        e.text.clear();
                        if space {
                            e.text.push(' ');
                        }
                        push_int(&mut e.text, n, neg);
                        e.text.push('\n');
                    }
                    self.out.push_str(&e.text);
                }
                None => {
                    if space {
                        self.out.push(' ');
                    }
                    push_int(self.out, n, neg);
                    self.out.push('\n');
                }
            }
            Ok(())
        }

        fn map(self) -> Map<'o> {
            let indent = self.ctx.indent();
            Map {
                start: self.out.len(),
                indent,
                out: self.out,
                keys: self.keys,
                ctx: self.ctx,
                count: 0,
                skip: match self.ctx {
                    Ctx::MapValue(_) => 0,
                    _ => 1 + indent,
                },
            }
        }

        fn seq(self) -> Seq<'o> {
            Seq {
                out: self.out,
                keys: self.keys,
                ctx: self.ctx,
                count: 0,
            }
        }
    }

    /// Appends the decimal digits of `n`, after a `-` when `neg`.
    fn push_int(out: &mut String, n: u64, neg: bool) {
        if neg {
            out.push('-');
        }
        for &d in super::decimal_digits(n, &mut [0; 20]) {
            out.push(char::from(d));
        }
    }

    impl<'o> ser::Serializer for Ser<'o> {
        type Ok = ();
        type Error = Unsupported;
        type SerializeSeq = Seq<'o>;
        type SerializeTuple = Seq<'o>;
        type SerializeTupleStruct = Seq<'o>;
        type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
        type SerializeMap = Map<'o>;
        type SerializeStruct = Map<'o>;
        type SerializeStructVariant = ser::Impossible<(), Unsupported>;

        fn serialize_bool(self, v: bool) -> Res {
            self.scalar(if v { "true" } else { "false" })
        }
        fn serialize_i8(self, v: i8) -> Res {
            self.serialize_i64(i64::from(v))
        }
        fn serialize_i16(self, v: i16) -> Res {
            self.serialize_i64(i64::from(v))
        }
        fn serialize_i32(self, v: i32) -> Res {
            self.serialize_i64(i64::from(v))
        }
        fn serialize_i64(self, v: i64) -> Res {
            self.int(v.unsigned_abs(), v < 0)
        }
        fn serialize_u8(self, v: u8) -> Res {
            self.int(u64::from(v), false)
        }
        fn serialize_u16(self, v: u16) -> Res {
            self.int(u64::from(v), false)
        }
        fn serialize_u32(self, v: u32) -> Res {
            self.int(u64::from(v), false)
        }
        fn serialize_u64(self, v: u64) -> Res {
            self.int(v, false)
        }
        fn serialize_f32(self, _: f32) -> Res {
            Err(Unsupported)
        }
        fn serialize_f64(self, _: f64) -> Res {
            Err(Unsupported)
        }
        fn serialize_char(self, v: char) -> Res {
            self.string(v.encode_utf8(&mut [0; 4]))
        }
        fn serialize_str(self, v: &str) -> Res {
            self.string(v)
        }
        fn serialize_bytes(self, _: &[u8]) -> Res {
            Err(Unsupported)
        }
        fn serialize_none(self) -> Res {
            self.scalar("null")
        }
        fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Res {
            value.serialize(self)
        }
        fn serialize_unit(self) -> Res {
            self.scalar("null")
        }
        fn serialize_unit_struct(self, _: &'static str) -> Res {
            self.scalar("null")
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Res {
            self.string(variant)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            value: &T,
        ) -> Res {
            value.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Res {
            Err(Unsupported)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'o>, Unsupported> {
            Ok(self.seq())
        }
        fn serialize_tuple(self, _: usize) -> Result<Seq<'o>, Unsupported> {
            Ok(self.seq())
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Seq<'o>, Unsupported> {
            Ok(self.seq())
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Map<'o>, Unsupported> {
            Ok(self.map())
        }
        fn serialize_struct(self, name: &'static str, _: usize) -> Result<Map<'o>, Unsupported> {
            // serde_json's own special structs (arbitrary numbers, raw values).
            if name.starts_with("$serde_json") {
                return Err(Unsupported);
            }
            Ok(self.map())
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Unsupported> {
            Err(Unsupported)
        }
        fn collect_map<K, V, I>(self, iter: I) -> Res
        where
            K: Serialize,
            V: Serialize,
            I: IntoIterator<Item = (K, V)>,
        {
            // Maps under a key (labels, selectors, ConfigMap data, resource amounts)
            // are compared with the map last written of their length; elsewhere (the
            // top level keeps its entries' places) entry by entry, as serde would.
            let is_value = matches!(self.ctx, Ctx::MapValue(_));
            let mut map = self.map();
            if is_value {
                map.memo_map(iter.into_iter())?;
            } else {
                for (k, v) in iter {
                    ser::SerializeMap::serialize_entry(&mut map, &k, &v)?;
                }
            }
            map.finish()
        }
    }

    /// A mapping being written. At the top level the entries' starts are kept (in
    /// [`KeyCache`]), to put them in the conventional order at the end.
    pub struct Map<'o> {
        out: &'o mut String,
        keys: &'o mut KeyCache,
        ctx: Ctx,
        /// The column of the keys (0 at the top).
        indent: usize,
        count: usize,
        /// What to leave out of the next rendered key (line break, indentation, key,
        /// `:`): the line break is for the first entry of a mapping under a key; the
        /// indentation for all but the first entry of a sequence item.
        skip: usize,
        start: usize,
    }

    impl Map<'_> {
        /// A key given at run time (a map's).
        fn key_str(&mut self, key: &str) -> Res {
            let skip = self.skip;
            let at = match self.keys.rendered_text(key, self.indent) {
                Some(text) => {
                    let at = self.out.len();
                    self.out.push_str(text.get(skip..).unwrap_or_default());
                    self.count += 1;
                    self.skip = 1;
                    at
                }
                None => self.key_with(key, plain_safe(key)),
            };
            if let Ctx::Top = self.ctx {
                self.top_entry(Cow::Owned(key.to_owned()), at)?;
            }
            Ok(())
        }

        /// A struct field name, copied from the [`KeyCache`].
        #[inline(always)]
        fn key_static(&mut self, key: &'static str) -> Res {
            let at = self.out.len();
            let skip = self.skip;
            let text = self.keys.rendered(key, self.indent);
            self.out.push_str(text.get(skip..).unwrap_or_default());
            self.count += 1;
            self.skip = 1;
            if let Ctx::Top = self.ctx {
                self.top_entry(Cow::Borrowed(key), at)?;
            }
            Ok(())
        }

        /// Writes `key:` on its line; returns where the entry starts.
        #[inline]
        fn key_with(&mut self, key: &str, plain: bool) -> usize {
            let entry_start = self.out.len();
            if self.count > 0 {
                pad(self.out, self.indent);
            } else if let Ctx::MapValue(i) = self.ctx {
                newline_pad(self.out, i);
            }
            self.count += 1;
            self.skip = 1;
            if plain {
                self.out.push_str(key);
            } else {
                write_quoted(self.out, key);
            }
            self.out.push(':');
            entry_start
        }

        /// Remembers a top-level entry, for [`reorder_top`].
        #[cold]
        fn top_entry(&mut self, key: Cow<'static, str>, entry_start: usize) -> Res {
            if self.keys.top.iter().any(|(k, _)| *k == key) {
                // A repeated key replaces the first in a JSON object.
                return Err(Unsupported);
            }
            self.keys.top.push((key, entry_start));
            Ok(())
        }

        #[inline]
        fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
            value.serialize(Ser {
                out: &mut *self.out,
                keys: &mut *self.keys,
                ctx: Ctx::MapValue(self.indent + 2),
            })
        }

        fn finish(self) -> Res {
            if self.count == 0 {
                let text = match self.ctx {
                    Ctx::MapValue(_) => " {}\n",
                    _ => "{}\n",
                };
                self.out.push_str(text);
                return Ok(());
            }
            if let Ctx::Top = self.ctx {
                reorder_top(self.out, self.start, &self.keys.top);
            }
            Ok(())
        }
    }

    impl Map<'_> {
        /// Writes the entries of a map under a key. A map whose keys and values are
        /// strings is compared, entry by entry and as it is written, with the map last
        /// written of its length (of [`MAP_WAYS`], the one with the same first key): an
        /// entry whose key and value are the same bytes is copied from there (its
        /// quoting already decided), the others are laid out and remembered. Keys or
        /// values that are not strings are written as [`SerializeMap`] would.
        ///
        /// [`SerializeMap`]: ser::SerializeMap
        fn memo_map<K, V>(&mut self, mut iter: impl Iterator<Item = (K, V)>) -> Res
        where
            K: Serialize,
            V: Serialize,
        {
            let length = iter.size_hint().0.min(MAP_LENGTHS - 1);
            let Some((k0, v0)) = iter.next() else {
                return Ok(());
            };
            let slot = length * MAP_WAYS + self.keys.way_for(length, &k0);
            let mut memo = match self.keys.maps.get_mut(slot) {
                Some(m) => std::mem::take(m),
                None => Vec::new(),
            };
            let mut result = self.memo_entry(&mut memo, 0, &k0, &v0);
            let mut i = 1;
            while result.is_ok() {
                let Some((k, v)) = iter.next() else {
                    break;
                };
                result = self.memo_entry(&mut memo, i, &k, &v);
                i += 1;
            }
            if let Some(m) = self.keys.maps.get_mut(slot) {
                *m = memo;
            }
            result
        }

        /// Entry `i` of a map (see [`Map::memo_map`]).
        #[inline]
        fn memo_entry<K, V>(&mut self, memo: &mut Vec<MemoEntry>, i: usize, k: &K, v: &V) -> Res
        where
            K: Serialize + ?Sized,
            V: Serialize + ?Sized,
        {
            if memo.len() <= i {
                memo.push(MemoEntry::default());
            }
            let Some(e) = memo.get_mut(i) else {
                return self.plain_entry(k, v);
            };
            let (key_same, value_same) = match k.serialize(Probe {
                stored: &mut e.key,
                copy: true,
            }) {
                Ok(key_same) => match v.serialize(Probe {
                    stored: &mut e.value,
                    copy: true,
                }) {
                    Ok(value_same) => (key_same, value_same),
                    Err(_) => {
                        e.forget();
                        return self.plain_entry(k, v);
                    }
                },
                Err(_) => {
                    e.forget();
                    return self.plain_entry(k, v);
                }
            };
            let indent = self.indent;
            if !(key_same && value_same)
                || e.text.is_empty()
                || e.block_indent.is_some_and(|b| b != indent + 2)
            {
                e.render(indent + 2, key_same);
            }
            if self.count == 0 {
                newline_pad(self.out, indent);
            } else {
                pad(self.out, indent);
            }
            self.out.push_str(&e.text);
            self.count += 1;
            self.skip = 1;
            Ok(())
        }

        /// An entry written as [`ser::SerializeMap`] writes it.
        #[cold]
        fn plain_entry<K, V>(&mut self, k: &K, v: &V) -> Res
        where
            K: Serialize + ?Sized,
            V: Serialize + ?Sized,
        {
            k.serialize(KeyText(self))?;
            self.value(v)
        }
    }

    impl KeyCache {
        /// Which of the [`MAP_WAYS`] maps of `length` entries a map whose first key is
        /// `key` is compared with: the one with the same first key, else the one not
        /// used last.
        fn way_for<K: Serialize + ?Sized>(&mut self, length: usize, key: &K) -> usize {
            let base = length * MAP_WAYS;
            let mut found = None;
            for way in 0..MAP_WAYS {
                let first = self.maps.get_mut(base + way).and_then(|m| m.first_mut());
                if let Some(e) = first {
                    let probe = Probe {
                        stored: &mut e.key,
                        copy: false,
                    };
                    if matches!(key.serialize(probe), Ok(true)) {
                        found = Some(way);
                        break;
                    }
                }
            }
            let last = self.map_last.get_mut(length);
            let way = match (found, last.as_deref()) {
                (Some(way), _) => way,
                (None, Some(&l)) => (usize::from(l) + 1) % MAP_WAYS,
                (None, None) => 0,
            };
            if let Some(l) = last {
                // `way` is below `MAP_WAYS`.
                *l = way as u8;
            }
            way
        }
    }

    /// The methods of a serializer that takes only scalars: every sequence, map and
    /// struct is [`Unsupported`] (the caller then takes the general path).
    macro_rules! no_compound_values {
        () => {
            fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_tuple_struct(
                self,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeTupleStruct, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_tuple_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeTupleVariant, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_struct(
                self,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeStruct, Unsupported> {
                Err(Unsupported)
            }
            fn serialize_struct_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeStructVariant, Unsupported> {
                Err(Unsupported)
            }
        };
    }

    /// A serializer that takes only strings (and newtypes of strings): it tells whether
    /// the string is the same bytes as `stored` and, when it is not and `copy` is set,
    /// copies it there. Anything else is [`Unsupported`], and left to the general path.
    struct Probe<'s> {
        stored: &'s mut String,
        copy: bool,
    }

    impl ser::Serializer for Probe<'_> {
        type Ok = bool;
        type Error = Unsupported;
        type SerializeSeq = ser::Impossible<bool, Unsupported>;
        type SerializeTuple = ser::Impossible<bool, Unsupported>;
        type SerializeTupleStruct = ser::Impossible<bool, Unsupported>;
        type SerializeTupleVariant = ser::Impossible<bool, Unsupported>;
        type SerializeMap = ser::Impossible<bool, Unsupported>;
        type SerializeStruct = ser::Impossible<bool, Unsupported>;
        type SerializeStructVariant = ser::Impossible<bool, Unsupported>;

        #[inline]
        fn serialize_str(self, v: &str) -> Result<bool, Unsupported> {
            if same_bytes(self.stored.as_bytes(), v.as_bytes()) {
                return Ok(true);
            }
            if self.copy {
                self.stored.clear();
                self.stored.push_str(v);
            }
            Ok(false)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            value: &T,
        ) -> Result<bool, Unsupported> {
            value.serialize(self)
        }
        fn serialize_bool(self, _: bool) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_i8(self, _: i8) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_i16(self, _: i16) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_i32(self, _: i32) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_i64(self, _: i64) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_u8(self, _: u8) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_u16(self, _: u16) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_u32(self, _: u32) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_u64(self, _: u64) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_f32(self, _: f32) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_f64(self, _: f64) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_char(self, _: char) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_bytes(self, _: &[u8]) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_none(self) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_unit(self) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_unit_struct(self, _: &'static str) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_unit_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
        ) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<bool, Unsupported> {
            Err(Unsupported)
        }
        no_compound_values!();
    }

    /// `lower::conventional_order` on text: `apiVersion`, `kind`, `metadata`, then the
    /// other entries in their order, unless the third key already is `metadata` (or there
    /// are fewer than three). `entries` are each entry's key and start; an entry ends
    /// where the next starts, the last at the end of `out`.
    fn reorder_top(out: &mut String, start: usize, entries: &[(Cow<'static, str>, usize)]) {
        if entries.get(2).is_none_or(|(k, _)| k == "metadata") {
            return;
        }
        let end = out.len();
        let ranges: Vec<(&str, usize, usize)> = entries
            .iter()
            .enumerate()
            .map(|(i, (k, s))| {
                let e = entries.get(i + 1).map_or(end, |(_, next)| *next);
                (k.as_ref(), *s, e)
            })
            .collect();
        let first = ["apiVersion", "kind", "metadata"];
        let tail = out.split_off(start);
        let text = |s: usize, e: usize| tail.get(s - start..e - start).unwrap_or_default();
        for key in first {
            if let Some((_, s, e)) = ranges.iter().find(|(k, _, _)| *k == key) {
                out.push_str(text(*s, *e));
            }
        }
        for (k, s, e) in &ranges {
            if !first.contains(k) {
                out.push_str(text(*s, *e));
            }
        }
    }

    /// A map key as JSON would have it: a string (integers, booleans and unit variants
    /// written as text), written as the next key of the map; anything else is not a
    /// JSON object key.
    struct KeyText<'m, 'o>(&'m mut Map<'o>);

    impl ser::Serializer for KeyText<'_, '_> {
        type Ok = ();
        type Error = Unsupported;
        type SerializeSeq = ser::Impossible<(), Unsupported>;
        type SerializeTuple = ser::Impossible<(), Unsupported>;
        type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
        type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
        type SerializeMap = ser::Impossible<(), Unsupported>;
        type SerializeStruct = ser::Impossible<(), Unsupported>;
        type SerializeStructVariant = ser::Impossible<(), Unsupported>;

        fn serialize_bool(self, v: bool) -> Res {
            self.0.key_str(if v { "true" } else { "false" })
        }
        fn serialize_i8(self, v: i8) -> Res {
            self.serialize_i64(i64::from(v))
        }
        fn serialize_i16(self, v: i16) -> Res {
            self.serialize_i64(i64::from(v))
        }
        fn serialize_i32(self, v: i32) -> Res {
            self.serialize_i64(i64::from(v))
        }
        fn serialize_i64(self, v: i64) -> Res {
            let mut text = String::new();
            push_int(&mut text, v.unsigned_abs(), v < 0);
            self.0.key_str(&text)
        }
        fn serialize_u8(self, v: u8) -> Res {
            self.serialize_u64(u64::from(v))
        }
        fn serialize_u16(self, v: u16) -> Res {
            self.serialize_u64(u64::from(v))
        }
        fn serialize_u32(self, v: u32) -> Res {
            self.serialize_u64(u64::from(v))
        }
        fn serialize_u64(self, v: u64) -> Res {
            let mut text = String::new();
            push_int(&mut text, v, false);
            self.0.key_str(&text)
        }
        fn serialize_f32(self, _: f32) -> Res {
            Err(Unsupported)
        }
        fn serialize_f64(self, _: f64) -> Res {
            Err(Unsupported)
        }
        fn serialize_char(self, v: char) -> Res {
            self.0.key_str(v.encode_utf8(&mut [0; 4]))
        }
        fn serialize_str(self, v: &str) -> Res {
            self.0.key_str(v)
        }
        fn serialize_bytes(self, _: &[u8]) -> Res {
            Err(Unsupported)
        }
        fn serialize_none(self) -> Res {
            Err(Unsupported)
        }
        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Res {
            Err(Unsupported)
        }
        fn serialize_unit(self) -> Res {
            Err(Unsupported)
        }
        fn serialize_unit_struct(self, _: &'static str) -> Res {
            Err(Unsupported)
        }
        fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Res {
            self.0.key_str(variant)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            value: &T,
        ) -> Res {
            value.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Res {
            Err(Unsupported)
        }
        no_compound_values!();
    }

    impl ser::SerializeMap for Map<'_> {
        type Ok = ();
        type Error = Unsupported;
        fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Res {
            key.serialize(KeyText(self))
        }
        fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
            self.value(value)
        }
        fn end(self) -> Res {
            self.finish()
        }
    }

    impl ser::SerializeStruct for Map<'_> {
        type Ok = ();
        type Error = Unsupported;
        fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res {
            self.key_static(key)?;
            self.value(value)
        }
        fn end(self) -> Res {
            self.finish()
        }
    }

    /// A sequence being written.
    pub struct Seq<'o> {
        out: &'o mut String,
        keys: &'o mut KeyCache,
        ctx: Ctx,
        count: usize,
    }

    impl Seq<'_> {
        fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
            let indent = self.ctx.indent();
            match (self.ctx, self.count) {
                (Ctx::MapValue(i), 0) => {
                    self.out.push('\n');
                    pad_dash(self.out, i);
                }
                (Ctx::SeqItem(_), 0) | (Ctx::Top, 0) => self.out.push_str("- "),
                _ => pad_dash(self.out, indent),
            }
            self.count += 1;
            value.serialize(Ser {
                out: &mut *self.out,
                keys: &mut *self.keys,
                ctx: Ctx::SeqItem(indent + 2),
            })
        }

        fn finish(self) -> Res {
            if self.count == 0 {
                let text = match self.ctx {
                    Ctx::MapValue(_) => " []\n",
                    _ => "[]\n",
                };
                self.out.push_str(text);
            }
            Ok(())
        }
    }

    impl ser::SerializeSeq for Seq<'_> {
        type Ok = ();
        type Error = Unsupported;
        fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
            self.element(value)
        }
        fn end(self) -> Res {
            self.finish()
        }
    }

    impl ser::SerializeTuple for Seq<'_> {
        type Ok = ();
        type Error = Unsupported;
        fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
            self.element(value)
        }
        fn end(self) -> Res {
            self.finish()
        }
    }

    impl ser::SerializeTupleStruct for Seq<'_> {
        type Ok = ();
        type Error = Unsupported;
        fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Res {
            self.element(value)
        }
        fn end(self) -> Res {
            self.finish()
        }
    }
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

    /// The quoting rules as they were written before the one-pass [`plain_safe`]: the
    /// oracle it must agree with.
    mod oracle {
        use super::super::printable;

        /// The words YAML 1.1 or 1.2 loaders turn into booleans or null.
        pub(super) const RESERVED: [&str; 22] = [
            "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~", "=", "<<", ".inf",
            "-.inf", "+.inf", ".nan", "Y", "N", "NULL", "Null", "TRUE", "FALSE",
        ];

        /// Whether `s` is one of [`RESERVED`], in any case.
        fn reserved(s: &str) -> bool {
            s.len() <= 6 && RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
        }

        /// Bytes that need no further thought in a plain scalar that starts with a letter:
        /// letters, digits, `-`, `_`, `.`, `/` (most keys, names and label values).
        const SIMPLE: [bool; 256] = {
            let mut t = [false; 256];
            let mut b = 0;
            while b < 256 {
                let c = b as u8;
                t[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/');
                b += 1;
            }
            t
        };

        /// Whether `s` can be written as a plain scalar and read back as the same string by
        /// any YAML loader.
        pub(super) fn plain_safe(s: &str) -> bool {
            let bytes = s.as_bytes();
            let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
                return false;
            };
            // The common case, decided in one pass: a letter, then only simple bytes. None of the
            // rules below can apply but the reserved words (no indicator, space, colon, control
            // character or non-ASCII byte; a letter first is neither a number nor `...`).
            if first.is_ascii_alphabetic() && bytes.iter().all(|&b| SIMPLE[usize::from(b)]) {
                return !reserved(s);
            }
            if first == b' ' || last == b' ' || last == b':' {
                return false;
            }
            if matches!(
                first,
                b'-' | b'?'
                    | b':'
                    | b','
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
            ) {
                return false;
            }
            // One pass over the bytes: `: `, ` #`, tabs, newlines, control characters; anything
            // non-ASCII is checked by character (NEL, separators, BOM).
            let mut prev = 0u8;
            let mut ascii = true;
            for &b in bytes {
                if b < 0x20
                    || b == 0x7f
                    || (prev == b':' && b == b' ')
                    || (prev == b' ' && b == b'#')
                {
                    return false;
                }
                ascii &= b.is_ascii();
                prev = b;
            }
            if !ascii && s.chars().any(|c| !printable(c)) {
                return false;
            }
            if reserved(s) {
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
    }

    /// Characters that exercise every quoting rule: letters of the reserved words,
    /// digits and number characters, indicators, spaces, control and non-ASCII
    /// characters (printable or not).
    const ALPHABET: [char; 44] = [
        'a',
        'y',
        'Y',
        'n',
        'N',
        'o',
        'e',
        's',
        'f',
        'l',
        'u',
        'i',
        'T',
        'Z',
        'x',
        '0',
        '1',
        '9',
        '.',
        '-',
        '+',
        '_',
        '/',
        ':',
        '#',
        ' ',
        '\t',
        '\n',
        '~',
        '=',
        '<',
        '?',
        '%',
        '"',
        '\\',
        '\0',
        '\u{7f}',
        'é',
        '\u{85}',
        '\u{2028}',
        '\u{feff}',
        '\u{1F600}',
        '[',
        '@',
    ];

    fn agrees(s: &str) {
        assert_eq!(plain_safe(s), oracle::plain_safe(s), "{s:?}");
    }

    #[test]
    fn plain_safe_agrees_with_the_rules() {
        // Every string of up to three characters of the alphabet.
        agrees("");
        for a in ALPHABET {
            agrees(&a.to_string());
            for b in ALPHABET {
                agrees(&format!("{a}{b}"));
                for c in ALPHABET {
                    agrees(&format!("{a}{b}{c}"));
                }
            }
        }
        // The reserved words in every mix of cases, and with a byte more or less.
        for word in oracle::RESERVED {
            let n = word.len();
            for mask in 0..(1u32 << n) {
                let w: String = word
                    .chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if mask & (1 << i) != 0 {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    })
                    .collect();
                agrees(&w);
                agrees(&format!("{w}\0"));
                agrees(&format!("{w}s"));
                agrees(&format!("x{w}"));
                agrees(w.get(1..).unwrap_or_default());
            }
        }
        for s in [
            "2026-01-10T09:00:00Z",
            "2001-12-14 21:59:43.10 -5",
            "registry.example.com/app-1:1.0.0",
            "app.kubernetes.io/instance",
            "a: b",
            "a #b",
            "...x",
            "-.inf",
            "+.inf",
            "+.5",
            "-.5e3",
            "+x",
            "0o17",
            "1_000.5",
            "25%",
            "/healthz",
            "0.0.0.0/0",
        ] {
            agrees(s);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 4096, .. proptest::prelude::ProptestConfig::default()
        })]

        /// Longer strings of the alphabet, and any strings at all.
        #[test]
        fn plain_safe_agrees_on_generated_strings(
            picks in proptest::collection::vec(0..ALPHABET.len(), 0..24),
            any in ".{0,24}",
            numbery in "[+-]?\\.?[0-9][0-9a-fA-FxXoO_.:+tTzZ -]{0,16}",
            simple in "[a-zA-Z][a-zA-Z0-9._/-]{0,20}",
        ) {
            let s: String = picks.iter().filter_map(|&i| ALPHABET.get(i)).collect();
            agrees(&s);
            agrees(&any);
            agrees(&numbery);
            agrees(&simple);
        }
    }

    /// Double quoting as it was written before runs were copied whole: the oracle of
    /// [`write_quoted`].
    fn quoted_char_by_char(s: &str) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            write_escaped(&mut out, c);
        }
        out.push('"');
        out
    }

    fn quotes_agree(s: &str) {
        let mut out = String::new();
        write_quoted(&mut out, s);
        assert_eq!(out, quoted_char_by_char(s), "{s:?}");
    }

    #[test]
    fn write_quoted_agrees_with_char_by_char() {
        for s in [
            "",
            "plain",
            "a\"b",
            "\\",
            "\"\"",
            "tab\there",
            "\n",
            "\r\n",
            "\0x",
            "\u{7}\u{1b}[0m",
            "\u{7f}",
            "\u{80}\u{85}\u{9f}",
            "é ü ∂ 😀",
            "a\u{2028}b\u{2029}",
            "\u{feff}bom",
            "\u{fffe}\u{ffff}",
            "x\u{10ffff}",
            "1.0.0",
            "end\\",
        ] {
            quotes_agree(s);
        }
        // Every character below 0x3000, alone and between others.
        for n in 0..0x3000u32 {
            if let Some(c) = char::from_u32(n) {
                quotes_agree(&c.to_string());
                quotes_agree(&format!("ab{c}cd{c}"));
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 2048, .. proptest::prelude::ProptestConfig::default()
        })]

        /// Any strings, and strings full of what must be escaped.
        #[test]
        fn write_quoted_agrees_on_generated_strings(
            any in "\\PC{0,24}",
            escapes in "[a\"\\\n\t\r\u{0}\u{7}\u{7f}\u{85}\u{2028}é]{0,24}",
        ) {
            quotes_agree(&any);
            quotes_agree(&escapes);
        }
    }

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
    fn typed_writing_is_the_tree_writing() {
        use std::collections::BTreeMap;
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Inner {
            name: String,
            empty_map: BTreeMap<String, String>,
            empty_list: Vec<u8>,
            nested: Vec<Vec<i64>>,
            maps: Vec<BTreeMap<String, Inner2>>,
            none: Option<String>,
        }
        #[derive(serde::Serialize)]
        struct Inner2 {
            text: String,
            flag: bool,
        }
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Top {
            api_version: &'static str,
            kind: &'static str,
            data: BTreeMap<String, String>,
            metadata: Inner,
            spec: Vec<Inner2>,
            unit: (),
            port: u16,
            neg: i32,
        }
        let strings = [
            "plain",
            "yes",
            "No",
            "",
            " lead",
            "a: b",
            "1.0",
            "12:30",
            "multi\nline\n",
            "tab\there\n",
            "\n\n",
            "x\n  y",
            "é",
            "-x",
            "a\u{7}",
            "...",
            "2024-05-01",
        ];
        let data: BTreeMap<String, String> = strings
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("k{i}-{s}"), (*s).to_owned()))
            .collect();
        let inner2 = |t: &str| Inner2 {
            text: t.to_owned(),
            flag: t.is_empty(),
        };
        let top = Top {
            api_version: "v1",
            kind: "Thing",
            data,
            metadata: Inner {
                name: "n".into(),
                empty_map: BTreeMap::new(),
                empty_list: Vec::new(),
                nested: vec![vec![1, -2], vec![], vec![3]],
                maps: vec![
                    BTreeMap::new(),
                    [("a".to_owned(), inner2("multi\nline"))].into(),
                ],
                none: None,
            },
            spec: strings.iter().map(|s| inner2(s)).collect(),
            unit: (),
            port: 8080,
            neg: -1,
        };
        let mut direct = String::new();
        typed_to_yaml(&mut direct, &top);
        let tree =
            crate::lower::conventional_order(serde_json::to_value(&top).expect("serializes"));
        assert_eq!(direct, value_to_yaml(&tree));
        assert!(direct.starts_with("apiVersion: v1\nkind: Thing\nmetadata:\n"));
        // Scalars and collections at the top, and a float (written through the tree).
        for v in [
            serde_json::json!("a\nb"),
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!([[1], {"a": []}]),
            serde_json::json!({"f": 1.5}),
        ] {
            let mut direct = String::new();
            typed_to_yaml(&mut direct, &v);
            assert_eq!(direct, value_to_yaml(&v), "{v}");
        }
    }

    #[test]
    fn remembered_integers_are_the_tree_writing() {
        // Integers that share a slot, with both signs, after a key and after `- `,
        // written twice (the second time from the slots).
        let ints: Vec<i64> = (0..200)
            .chain([8080, 10001, -1, -30, i64::MIN, i64::MAX])
            .collect();
        let v = json!({"a": ints, "b": ints.iter().map(|n| json!({"n": n})).collect::<Vec<_>>(),
            "c": u64::MAX, "d": 0, "e": -0});
        for _ in 0..2 {
            let mut direct = String::new();
            typed_to_yaml(&mut direct, &v);
            assert_eq!(direct, value_to_yaml(&v));
        }
    }

    #[test]
    fn map_keys_that_share_a_hash_are_the_tree_writing() {
        // Keys of one length with the same first and last eight bytes (the key cache
        // hashes only those): each must be written as itself, at two indentations,
        // whichever was cached before it.
        use std::collections::BTreeMap;
        let keys: Vec<String> = ["a", "b", "c", "q\"", "a b", "é"]
            .iter()
            .map(|mid| format!("app.kubernetes.io/{mid}/instance"))
            .chain(["x", "yes", "1.0", "app", "appx", "app.kube"].map(String::from))
            .collect();
        let inner: BTreeMap<String, String> = keys.iter().map(|k| (k.clone(), k.clone())).collect();
        let mut outer: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for k in &keys {
            outer.insert(k.clone(), inner.clone());
        }
        for _ in 0..2 {
            let mut direct = String::new();
            typed_to_yaml(&mut direct, &outer);
            let tree = serde_json::to_value(&outer).unwrap_or_default();
            assert_eq!(direct, value_to_yaml(&tree));
        }
    }

    #[test]
    fn remembered_maps_are_the_tree_writing() {
        // String maps of one length written again and again at several indentations,
        // with one entry changed at a time (key or value), block scalars, quoted keys
        // and values, empty strings, and maps whose values are not strings: each map
        // compared with the one remembered before must still be written as itself.
        use std::collections::BTreeMap;
        #[derive(serde::Serialize)]
        struct Doc {
            a: Vec<BTreeMap<String, String>>,
            b: BTreeMap<String, BTreeMap<String, String>>,
            f: Vec<BTreeMap<String, BTreeMap<String, String>>>,
            c: Vec<BTreeMap<String, BTreeMap<String, Vec<u8>>>>,
            d: Vec<BTreeMap<String, BTreeMap<String, Option<String>>>>,
            e: Vec<BTreeMap<String, BTreeMap<u8, String>>>,
        }
        // Each map under a key (the maps remembered are those).
        fn under<T>(m: T) -> BTreeMap<String, T> {
            BTreeMap::from([("m".to_owned(), m)])
        }
        let values = [
            "app-1", "app-2", "1.0.0", "yes", "", "a\nb\n", "a\nb", " x", "é", "a: b", "x\n\n",
        ];
        let keys = [
            "app.kubernetes.io/name",
            "app.kubernetes.io/version",
            "q\"",
            "1",
            "",
        ];
        let mut maps = Vec::new();
        for (i, v) in values.iter().enumerate() {
            for (j, k) in keys.iter().enumerate() {
                let mut m = BTreeMap::new();
                m.insert((*k).to_owned(), (*v).to_owned());
                m.insert(
                    format!("z{}", (i + j) % 2),
                    values[(i * 3 + j) % values.len()].to_owned(),
                );
                m.insert("zz".to_owned(), (*v).to_owned());
                maps.push(m);
            }
        }
        let b: BTreeMap<String, BTreeMap<String, String>> = maps
            .iter()
            .enumerate()
            .map(|(i, m)| (format!("k{i}"), m.clone()))
            .collect();
        let c = vec![
            BTreeMap::from([("x".to_owned(), vec![1u8])]),
            BTreeMap::from([("x".to_owned(), vec![])]),
            BTreeMap::new(),
        ];
        let d = vec![
            BTreeMap::from([("x".to_owned(), Some("a".to_owned()))]),
            BTreeMap::from([("x".to_owned(), None)]),
        ];
        let e = vec![
            BTreeMap::from([(1u8, "a".to_owned())]),
            BTreeMap::from([(1u8, "a".to_owned())]),
        ];
        let f = maps.iter().rev().cloned().map(under).collect();
        let c = c.into_iter().map(under).collect();
        let d = d.into_iter().map(under).collect();
        let e = e.into_iter().map(under).collect();
        let doc = Doc {
            a: maps,
            b,
            f,
            c,
            d,
            e,
        };
        for _ in 0..2 {
            let mut direct = String::new();
            typed_to_yaml(&mut direct, &doc);
            let tree = serde_json::to_value(&doc).unwrap_or_default();
            assert_eq!(direct, value_to_yaml(&tree));
        }
    }

    #[test]
    fn deep_nesting_and_repeated_keys_are_the_tree_writing() {
        // Deeper than the 128 spaces of one indentation slice, with the same keys at
        // many indentations (the key caches are by indentation) and long keys.
        let long = "k".repeat(200);
        let mut v = json!({"leaf": "x", "list": [1, {"a": "b"}], (long.as_str()): "y"});
        for i in 0..90 {
            v = if i % 3 == 0 {
                json!([v, {"name": i}])
            } else {
                json!({"name": i, "app.kubernetes.io/name": "n", "on": "yes", "child": v})
            };
        }
        for _ in 0..2 {
            let mut direct = String::new();
            typed_to_yaml(&mut direct, &v);
            assert_eq!(direct, value_to_yaml(&v));
        }
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
