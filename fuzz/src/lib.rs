//! The properties kiln's fuzz targets check, one function per target.
//!
//! This file has two drivers: the libFuzzer binaries in `fuzz/fuzz_targets/` (run with
//! `cargo fuzz`, see `fuzz/README.md`), and `tests/hostile.rs`, which includes it with
//! `#[path]` and replays the seed corpus and every regression input through the same
//! functions as plain tests, on the stable toolchain, in CI. A property is written once.
//!
//! Every function takes raw bytes, returns nothing and panics when a property fails:
//! a panic is what the fuzzer reports as a crash.

use kiln::diag::Diagnostics;
use kiln::diag::render;
use kiln::source::{FileId, SourceFile, SourceMap};
use kiln::syntax;

/// Larger inputs are skipped: the fuzzer looks for logic bugs, which small inputs find
/// faster. Large inputs are `tests/hostile.rs`'s business (with time bounds).
pub const MAX_INPUT: usize = 64 * 1024;

/// The input as text, when it is UTF-8 and small enough (kiln reads only UTF-8 files).
fn text(data: &[u8]) -> Option<&str> {
    if data.len() > MAX_INPUT {
        return None;
    }
    std::str::from_utf8(data).ok()
}

/// A source map holding `text` as file 0, as the CLI builds it for a file.
fn source(text: &str) -> kiln::Source {
    let mut map = SourceMap::new();
    let entry = map.add(SourceFile::new("fuzz.kiln", None, text));
    kiln::Source { map, entry }
}

/// Every label of every diagnostic points inside the text, on character boundaries,
/// and rendering (text and JSON) works.
fn diagnostics_sound(text: &str, diags: &Diagnostics) {
    for d in diags.iter() {
        for l in std::iter::once(&d.primary).chain(&d.secondary) {
            let r = l.loc.span.range();
            assert!(
                r.start <= r.end && r.end <= text.len(),
                "{}: span {r:?} outside a text of {} bytes",
                d.code,
                text.len()
            );
            assert!(
                text.is_char_boundary(r.start) && text.is_char_boundary(r.end),
                "{}: span {r:?} splits a character",
                d.code
            );
        }
        assert!(!d.message.is_empty(), "{}: empty message", d.code);
    }
    let map = source(text).map;
    let _ = render::to_text(&diags.0, &map, false);
    let _ = render::to_text(&diags.0, &map, true);
    let _ = render::to_json_lines(&diags.0, &map);
}

/// Target `parse`: parsing any text terminates without panicking, with sound
/// diagnostics; formatting the tree (even one with errors) does not panic.
pub fn parse(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let (ast, diags) = syntax::parse(FileId(0), text);
    diagnostics_sound(text, &diags);
    let _ = syntax::fmt::format(&ast, text);
}

/// Target `check`: the parser and the checker on any text. The model exists exactly
/// when there is no error.
pub fn check(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let analysis = kiln::analyze(&source(text), &kiln::Options::default());
    diagnostics_sound(text, &analysis.diagnostics);
    assert_eq!(
        analysis.model.is_some(),
        !analysis.diagnostics.has_errors(),
        "a model must exist exactly when there is no error: {:?}",
        analysis
            .diagnostics
            .iter()
            .map(|d| d.code.as_str())
            .collect::<Vec<_>>()
    );
}

/// Target `compile`: the whole pipeline. A bundle has no error among its warnings,
/// every object has `apiVersion`, `kind` and a name, and compiling twice gives the same
/// bytes.
pub fn compile(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let src = source(text);
    let options = kiln::Options::default();
    match kiln::compile(&src, &options) {
        Ok(bundle) => {
            assert!(!bundle.warnings.has_errors(), "a bundle came with errors");
            diagnostics_sound(text, &bundle.warnings);
            for o in &bundle.objects {
                for key in ["apiVersion", "kind"] {
                    assert!(
                        o.value
                            .get(key)
                            .and_then(|v| v.as_str())
                            .is_some_and(|s| !s.is_empty()),
                        "an object without `{key}`: {}",
                        o.value
                    );
                }
                assert!(!o.name.is_empty(), "an object without a name: {}", o.value);
            }
            let yaml = bundle.to_yaml();
            let again = kiln::compile(&src, &options).map(|b| b.to_yaml());
            assert!(
                again.as_ref() == Ok(&yaml),
                "compiling twice gave different output"
            );
        }
        Err(diags) => {
            assert!(diags.has_errors(), "compile failed without an error");
            diagnostics_sound(text, &diags);
        }
    }
}

/// Target `fmt_roundtrip`: for any text that parses without error, the formatted text
/// parses without error to the same tree (spans aside, comments kept), formatting it
/// again changes nothing, and it means the same thing (the same YAML, or the same
/// diagnostic codes).
pub fn fmt_roundtrip(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let (ast, diags) = syntax::parse(FileId(0), text);
    if diags.has_errors() {
        return;
    }
    let once = syntax::fmt::format(&ast, text);
    let (ast2, diags2) = syntax::parse(FileId(0), &once);
    assert!(
        !diags2.has_errors(),
        "the formatted text does not parse:\n--- input\n{text}\n--- formatted\n{once}\n--- errors\n{}",
        render::to_text(&diags2.0, &source(&once).map, false)
    );
    assert_eq!(
        without_spans(&format!("{:?}", ast.items)),
        without_spans(&format!("{:?}", ast2.items)),
        "formatting changed the tree:\n--- input\n{text}\n--- formatted\n{once}"
    );
    let comments = |f: &syntax::ast::File| -> Vec<String> {
        f.comments
            .iter()
            .map(|c| c.text.trim_end().to_string())
            .collect()
    };
    assert_eq!(
        comments(&ast),
        comments(&ast2),
        "formatting lost or changed a comment:\n--- input\n{text}\n--- formatted\n{once}"
    );
    let twice = syntax::fmt::format(&ast2, &once);
    assert!(
        once == twice,
        "formatting is not idempotent:\n--- input\n{text}\n--- once\n{once}\n--- twice\n{twice}"
    );
    assert_eq!(
        meaning(text),
        meaning(&once),
        "formatting changed the meaning:\n--- input\n{text}\n--- formatted\n{once}"
    );
}

/// Target `diff_input`: the YAML/JSON reader of `kiln diff --against` on any text
/// (it has its own bounds: size, depth, alias expansion), then the diff itself. An
/// input compared with itself has no difference; every rendering works whether all
/// objects are new or all removed.
pub fn diff_input(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(objects) = kiln::diff::sources::parse_manifests(text, "fuzz.yaml") else {
        return;
    };
    let opts = kiln::diff::DiffOptions {
        report_removed: true,
        ..Default::default()
    };
    // An object listed twice is the input's mistake (the first one wins): compare the
    // input without its repeats with itself.
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<serde_json::Value> = objects
        .iter()
        .filter(|o| seen.insert(kiln::diff::ObjectKey::of(o)))
        .cloned()
        .collect();
    let same = kiln::diff::diff(&unique, &unique, &opts);
    assert!(
        !same.has_differences(),
        "an input differs from itself:\n{text}"
    );
    for report in [
        kiln::diff::diff(&[], &objects, &opts),
        kiln::diff::diff(&objects, &[], &opts),
    ] {
        for summary in [false, true] {
            let ro = kiln::diff::render::RenderOptions {
                summary,
                ..Default::default()
            };
            let _ = kiln::diff::render::text(&report, ro);
            let _ = kiln::diff::render::markdown(&report, ro);
            let _ = kiln::diff::render::json(&report, ro);
        }
    }
}

/// Target `lsp_session`: a whole language-server session over an in-memory connection
/// with the input as the document: initialize (diagnostics without debounce), open,
/// requests at positions derived from the input (hover, completion, definition,
/// references, symbols, rename, formatting, code actions, the preview command), an
/// edit that deletes a range, requests again, shutdown, exit. The server must answer
/// and exit with 0, and never report an internal error (a handler that panicked: the
/// server catches it, so the log says so).
pub fn lsp_session(data: &[u8]) {
    use lsp_server::{Connection, Message, Notification, Request, RequestId};
    use serde_json::{Value, json};
    let Some(text) = text(data) else { return };
    const URI: &str = "file:///fuzz/app.kiln";
    let lines = text.split('\n').count() as u64;
    // Positions spread over the document (some past the end of their line, or of the
    // file: the server must cope with any position a client sends).
    let seed = text.len() as u64;
    let pos = |k: u64| {
        json!({"line": (seed.wrapping_mul(2_654_435_761).wrapping_add(k * 7919)) % (lines + 1),
               "character": (seed + k * 13) % 48})
    };
    let at = |k: u64| json!({"textDocument": {"uri": URI}, "position": pos(k)});
    let mut id = 0i32;
    let mut req = |method: &str, params: Value| {
        id += 1;
        Message::Request(Request {
            id: RequestId::from(id),
            method: method.to_string(),
            params,
        })
    };
    let note = |method: &str, params: Value| {
        Message::Notification(Notification {
            method: method.to_string(),
            params,
        })
    };
    let mut messages = vec![
        req(
            "initialize",
            json!({"capabilities": {"textDocument": {"hover": {"contentFormat": ["markdown"]}}},
                   "initializationOptions": {"diagnosticsDelayMs": 0}}),
        ),
        note("initialized", json!({})),
        note(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "kiln", "version": 1, "text": text}}),
        ),
    ];
    for round in 0..2u64 {
        let k = round * 10;
        messages.push(req("textDocument/hover", at(k)));
        messages.push(req("textDocument/completion", at(k + 1)));
        messages.push(req("textDocument/definition", at(k + 2)));
        messages.push(req(
            "textDocument/references",
            json!({"textDocument": {"uri": URI}, "position": pos(k + 3), "context": {"includeDeclaration": true}}),
        ));
        messages.push(req(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": URI}}),
        ));
        messages.push(req("textDocument/prepareRename", at(k + 4)));
        messages.push(req(
            "textDocument/rename",
            json!({"textDocument": {"uri": URI}, "position": pos(k + 5), "newName": "renamed"}),
        ));
        messages.push(req(
            "textDocument/formatting",
            json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
        ));
        messages.push(req(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": URI}, "range": {"start": pos(k + 6), "end": pos(k + 7)},
                   "context": {"diagnostics": []}}),
        ));
        messages.push(req(
            "workspace/executeCommand",
            json!({"command": "kiln.preview", "arguments": [URI, pos(k + 8)]}),
        ));
        if round == 0 {
            // Delete a range (start and end in either order), then ask again.
            messages.push(note(
                "textDocument/didChange",
                json!({"textDocument": {"uri": URI, "version": 2},
                       "contentChanges": [{"range": {"start": pos(20), "end": pos(21)}, "text": ""}]}),
            ));
        }
    }
    messages.push(req("shutdown", Value::Null));
    messages.push(note("exit", Value::Null));
    let (server, client) = Connection::memory();
    for m in messages {
        if client.sender.send(m).is_err() {
            break;
        }
    }
    let code = kiln::lsp::serve(server);
    let mut problems = Vec::new();
    while let Ok(m) = client.receiver.try_recv() {
        match m {
            Message::Notification(n) if n.method == "window/logMessage" => {
                let said = n
                    .params
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if said.contains("internal error") {
                    problems.push(said.to_string());
                }
            }
            Message::Response(r) => {
                if let Err(e) = r.response_result
                    && e.message.contains("internal error")
                {
                    problems.push(e.message);
                }
            }
            _ => {}
        }
    }
    assert!(
        problems.is_empty(),
        "the server hit internal errors: {problems:?}"
    );
    assert_eq!(code, 0, "the server did not exit cleanly after shutdown");
}

/// What a text compiles to: its YAML, or its sorted diagnostic codes.
fn meaning(text: &str) -> Result<String, Vec<&'static str>> {
    kiln::compile(&source(text), &kiln::Options::default())
        .map(|b| b.to_yaml())
        .map_err(|d| {
            let mut codes: Vec<&'static str> = d.iter().map(|d| d.code.as_str()).collect();
            codes.sort_unstable();
            codes
        })
}

/// A `{:?}` dump with every `Span { start: N, end: M }` replaced by `Span`.
pub fn without_spans(debug: &str) -> String {
    const OPEN: &str = "Span { start: ";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i]);
        out.push_str("Span");
        let after = &rest[i..];
        match after.find('}') {
            Some(j) => rest = &after[j + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}
