//! `kiln lsp` with imports, driven as a child process over stdio: diagnostics of an
//! imported file on its own URI (UTF-16 positions, the same as `kiln check`), a pointer
//! on the `import`, the editor's unsaved text of an open imported file, the importer
//! re-checked when it changes, cleared when fixed, when the import goes and on close;
//! completion, hover and go to definition on import paths; a workspace folder checked as
//! `kiln check DIR`.

mod lsp_support;

use lsp_support::{Client, file_uri, from_lsp, kiln_check, labels, pos};
use serde_json::{Value, json};
use std::path::Path;

const SHARED: &str = r#"// shared: the registry and a web template
let registry = "registry.example.com"

template web(port: port = 3000) service {
  command = ["é😀"]  replicsa = 2
  port    = port
  helth   = http("/up")
}
"#;

const APP: &str = r#"import "./shared.kiln"
import "std/rails"

app shop {
  image = "${registry}/shop:1.4.2"
  service front = web(port = 8080) { }
}
"#;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// The codes of protocol diagnostics.
fn codes(diags: &Value) -> Vec<String> {
    diags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("-").to_string())
        .collect()
}

fn pointer(diags: &Value) -> Option<Value> {
    diags
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"].is_null())
        .cloned()
}

#[test]
fn import_session() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    std::fs::create_dir(dir.join("lib")).unwrap();
    write(&dir, "lib/common.kiln", "let x = 1\n");
    write(&dir, "shared.kiln", SHARED);
    write(&dir, "app.kiln", APP);
    let app_uri = file_uri(&dir.join("app.kiln"));
    let shared_uri = file_uri(&dir.join("shared.kiln"));
    let mut c = Client::start();
    let init = c.initialize(Some(&file_uri(&dir)), json!({"diagnosticsDelayMs": 10}));
    assert_eq!(
        init["capabilities"]["workspace"]["workspaceFolders"]["supported"],
        true
    );

    // Open the importer only: the imported file's errors on its own URI, as `kiln check`.
    let mut app = APP.to_string();
    c.open(&app_uri, 1, &app);
    let own = c.diagnostics(&app_uri, Some(1));
    let p = pointer(&own["diagnostics"]).unwrap_or_else(|| panic!("no pointer in {own:#}"));
    assert_eq!(p["message"], "`./shared.kiln` has 2 errors");
    assert_eq!(p["severity"], 1);
    assert_eq!(p["range"]["start"], pos(&app, "\"./shared.kiln\"", 0, 0));
    let related = p["relatedInformation"].as_array().unwrap();
    assert_eq!(related.len(), 2);
    assert!(
        related
            .iter()
            .all(|r| r["location"]["uri"] == shared_uri.as_str())
    );
    assert_eq!(
        related[0]["location"]["range"]["start"],
        pos(SHARED, "replicsa", 0, 0)
    );
    let shared = c.diagnostics(&shared_uri, None);
    assert!(shared.get("version").is_none(), "not open: no version");
    let expected: Vec<(String, String, u64, u64)> = kiln_check(&dir.join("app.kiln"))
        .into_iter()
        .filter(|d| d.0.ends_with("shared.kiln"))
        .map(|(_, code, msg, l, col)| (code, msg, l, col))
        .collect();
    assert_eq!(expected.len(), 2, "{expected:?}");
    assert_eq!(from_lsp(SHARED, &shared["diagnostics"]), expected);
    // UTF-16: `replicsa` comes after `é😀` (2 bytes + 4 bytes, 1 + 2 units).
    let first = &shared["diagnostics"][0];
    assert_eq!(first["range"]["start"], pos(SHARED, "replicsa", 0, 0));
    assert_eq!(
        first["range"]["start"]["character"], 21,
        "24 bytes, 21 UTF-16 units"
    );
    // Its label in the importer carries the importer's URI.
    let labels_of: Vec<&Value> = first["relatedInformation"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["message"] == "in this instantiation of `web`")
        .collect();
    assert_eq!(labels_of.len(), 1, "{first:#}");
    assert_eq!(labels_of[0]["location"]["uri"], app_uri.as_str());
    assert_eq!(
        labels_of[0]["location"]["range"]["start"],
        pos(&app, "web(port", 0, 0)
    );

    // Open the imported file and fix one error in the editor, unsaved: the importer is
    // checked again with the editor's text.
    c.open(&shared_uri, 1, SHARED);
    let _ = c.diagnostics(&shared_uri, Some(1));
    let fixed_one = SHARED.replace("replicsa", "replicas");
    c.change(&shared_uri, 2, &fixed_one);
    let own = c.wait("the importer checked again", |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == app_uri.as_str()
            && pointer(&v["params"]["diagnostics"])
                .is_some_and(|p| p["message"] == "`./shared.kiln` has 1 error")
    });
    assert_eq!(own["params"]["version"], 1);
    let shared = c.wait("the imported file with 1 error", |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == shared_uri.as_str()
            && v["params"]["version"] == 2
            && v["params"]["diagnostics"].as_array().unwrap().len() == 1
    });
    assert_eq!(
        shared["params"]["diagnostics"][0]["range"]["start"],
        pos(&fixed_one, "helth", 0, 0)
    );
    // The second fix clears both.
    let fixed = fixed_one.replace("helth", "health");
    c.change(&shared_uri, 3, &fixed);
    c.wait("the importer without the pointer", |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == app_uri.as_str()
            && pointer(&v["params"]["diagnostics"]).is_none()
    });
    c.wait("the imported file cleared", |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == shared_uri.as_str()
            && v["params"]["version"] == 3
            && v["params"]["diagnostics"] == json!([])
    });

    // Break it again, then remove the import: its diagnostics go with it.
    c.change(&shared_uri, 4, SHARED);
    c.wait("the errors back", |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == shared_uri.as_str()
            && v["params"]["version"] == 4
            && v["params"]["diagnostics"].as_array().unwrap().len() == 2
    });
    app = APP
        .replace("import \"./shared.kiln\"\n", "")
        .replace("${registry}", "registry.example.com")
        .replace("= web(port = 8080) { }", "{\n    port = 8080\n  }");
    c.change(&app_uri, 2, &app);
    let own = c.diagnostics(&app_uri, Some(2));
    assert!(pointer(&own["diagnostics"]).is_none(), "{own:#}");
    // Its errors go with the import; open, it is now checked alone (as `kiln check
    // shared.kiln`: what the importer used is "never used", warnings only).
    let alone = c.wait("the imported file alone with the import gone", |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == shared_uri.as_str()
            && v["params"]["version"] == 4
            && v["params"]["diagnostics"]
                .as_array()
                .unwrap()
                .iter()
                .all(|d| d["severity"] == 2)
    });
    assert!(
        !alone["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{alone:#}"
    );
    c.close(&shared_uri);

    // Completion inside an import string: standard modules with their doc, files and
    // directories next to the document (not the document itself), nothing outside the
    // project root.
    app = format!("import \"\"\n{app}");
    c.change(&app_uri, 3, &app);
    let items = c.call(
        "textDocument/completion",
        json!({"textDocument": {"uri": app_uri}, "position": {"line": 0, "character": 8}}),
    );
    let names = labels(&items);
    for want in ["std/rails", "std/postgres", "./"] {
        assert!(names.contains(&want.to_string()), "{want}: {names:?}");
    }
    let rails = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "std/rails")
        .unwrap();
    let doc = rails["documentation"]["value"].as_str().unwrap();
    assert!(doc.contains("the shape of a Rails application"), "{doc}");
    assert_eq!(rails["textEdit"]["range"]["start"]["character"], 8);
    app = app.replacen("import \"\"", "import \"./\"", 1);
    c.change(&app_uri, 4, &app);
    let items = c.call(
        "textDocument/completion",
        json!({"textDocument": {"uri": app_uri}, "position": {"line": 0, "character": 10}}),
    );
    let names = labels(&items);
    assert!(names.contains(&"./shared.kiln".to_string()), "{names:?}");
    assert!(names.contains(&"./lib/".to_string()), "{names:?}");
    assert!(!names.contains(&"./app.kiln".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("std/")), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("./../")),
        "the parent is outside the root: {names:?}"
    );
    app = app.replacen("import \"./\"", "import \"./lib/\"", 1);
    c.change(&app_uri, 5, &app);
    let items = c.call(
        "textDocument/completion",
        json!({"textDocument": {"uri": app_uri}, "position": {"line": 0, "character": 14}}),
    );
    assert_eq!(labels(&items), ["./lib/common.kiln"]);
    app = app.replacen("import \"./lib/\"", "import \"../", 1);
    c.change(&app_uri, 6, &app);
    let items = c.call(
        "textDocument/completion",
        json!({"textDocument": {"uri": app_uri}, "position": {"line": 0, "character": 11}}),
    );
    assert_eq!(labels(&items), Vec::<String>::new(), "outside the root");

    // Hover and go to definition on import paths.
    app = APP.to_string();
    c.change(&app_uri, 7, &app);
    let _ = c.diagnostics(&app_uri, Some(7));
    // The imported file is closed now: read from disk (with its two errors), no version.
    c.wait("the imported file from disk", |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == shared_uri.as_str()
            && v["params"].get("version").is_none()
            && v["params"]["diagnostics"].as_array().unwrap().len() == 2
    });
    c.stash.clear();
    let h = c.call(
        "textDocument/hover",
        json!({"textDocument": {"uri": app_uri}, "position": pos(&app, "std/rails", 0, 4)}),
    );
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("`std/rails`: standard module"), "{md}");
    assert!(md.contains("Sidekiq"), "{md}");
    let h = c.call(
        "textDocument/hover",
        json!({"textDocument": {"uri": app_uri}, "position": pos(&app, "shared.kiln", 0, 2)}),
    );
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains(&dir.join("shared.kiln").display().to_string()),
        "{md}"
    );
    assert!(md.contains("the registry and a web template"), "{md}");
    let def = c.call(
        "textDocument/definition",
        json!({"textDocument": {"uri": app_uri}, "position": pos(&app, "shared.kiln", 0, 2)}),
    );
    assert_eq!(def["uri"], shared_uri.as_str());
    let def = c.call(
        "textDocument/definition",
        json!({"textDocument": {"uri": app_uri}, "position": pos(&app, "std/rails", 0, 2)}),
    );
    assert_eq!(def, Value::Null, "standard modules live in the binary");

    // Closing the importer clears its own diagnostics and those of the file it imports.
    c.close(&app_uri);
    c.wait("the importer cleared", |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == app_uri.as_str()
            && v["params"]["diagnostics"] == json!([])
    });
    c.wait("the imported file cleared on close", |v| {
        v["method"] == "textDocument/publishDiagnostics"
            && v["params"]["uri"] == shared_uri.as_str()
            && v["params"]["diagnostics"] == json!([])
    });
    assert_eq!(c.shutdown(), 0);
}

/// A workspace folder checked as `kiln check DIR` (opt-in): a template defined in a
/// sibling file, which the file alone does not see, and a duplicate app name across
/// files, which only the workspace sees.
#[test]
fn workspace_folder_matches_kiln_check_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    write(
        &dir,
        "templates.kiln",
        "template web(port: port = 3000) service {\n  command = [\"run\"]\n  port = port\n}\n",
    );
    let a = "app shop {\n  image = \"r/shop:1.0.0\"\n  service front = web(port = 8080) { }\n}\n";
    write(&dir, "a.kiln", a);
    write(
        &dir,
        "b.kiln",
        "app shop {\n  image = \"r/shop:1.0.0\"\n  worker q { command = [\"q\"] }\n}\n",
    );
    let a_uri = file_uri(&dir.join("a.kiln"));
    let b_uri = file_uri(&dir.join("b.kiln"));

    // What `kiln check DIR` says about each file.
    let check = kiln_check(&dir);
    let of = |f: &str| -> Vec<(String, String, u64, u64)> {
        check
            .iter()
            .filter(|d| d.0.ends_with(f))
            .map(|(_, code, msg, l, col)| (code.clone(), msg.clone(), *l, *col))
            .collect()
    };
    assert!(
        of("b.kiln").iter().any(|d| d.0 == "K0201"),
        "the app declared twice: {check:?}"
    );

    let mut c = Client::start();
    c.initialize(
        Some(&file_uri(&dir)),
        json!({"diagnosticsDelayMs": 10, "workspaces": true}),
    );
    c.open(&a_uri, 1, a);
    let own = c.diagnostics(&a_uri, Some(1));
    assert_eq!(from_lsp(a, &own["diagnostics"]), of("a.kiln"), "{own:#}");
    assert!(
        !codes(&own["diagnostics"]).contains(&"K0612".to_string()),
        "the template of the sibling file is known"
    );
    // The other file of the workspace, not open, gets what `kiln check DIR` says of it.
    let b = c.diagnostics(&b_uri, None);
    let b_text = std::fs::read_to_string(dir.join("b.kiln")).unwrap();
    assert_eq!(from_lsp(&b_text, &b["diagnostics"]), of("b.kiln"));
    // Opening it too: one analysis of the workspace covers both; an edit of `b` that
    // renames its app clears the duplicate in both.
    c.open(&b_uri, 1, &b_text);
    let _ = c.diagnostics(&b_uri, Some(1));
    let renamed = b_text.replace("app shop", "app queue");
    c.change(&b_uri, 2, &renamed);
    let b = c.diagnostics(&b_uri, Some(2));
    assert!(
        !codes(&b["diagnostics"]).contains(&"K0201".to_string()),
        "{b:#}"
    );
    // Without the option, the file alone: the template is unknown.
    let mut alone = Client::start();
    alone.initialize(Some(&file_uri(&dir)), json!({"diagnosticsDelayMs": 10}));
    alone.open(&a_uri, 1, a);
    let own = alone.diagnostics(&a_uri, Some(1));
    assert!(
        codes(&own["diagnostics"]).contains(&"K0612".to_string()),
        "{own:#}"
    );
    assert_eq!(alone.shutdown(), 0);
    assert_eq!(c.shutdown(), 0);
}
