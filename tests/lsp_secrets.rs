//! No secret value reaches the language server's messages (issue 9, part 4).
//!
//! A `kiln lsp` child process is driven the way an editor does, over a document holding
//! credentials written as plain env values (K0912: a password by its name, an AWS key id
//! and a URL with a password by their shape, in an app, in a template and in a profile
//! applied with `initializationOptions.profile`), `secret("name", "key")` references, and
//! a value being typed (an unterminated string). Every feature is asked at every value
//! and key: diagnostics, hover, completion inside the string, document symbols, code
//! actions on the K0912 ranges, references, prepareRename and rename, definition,
//! formatting, the preview. Every byte the server writes (the whole standard output,
//! headers included, and its standard error) is recorded, and no part of any secret
//! value may be in it, except in two responses that return the user's own text on
//! purpose (see [`EXEMPT`]). `kiln check`, text and `--format json`, is checked on the
//! same file.

mod lsp_support;

use lsp_support::{Client, file_uri, pos};
use serde_json::{Value, json};
use std::time::Duration;

/// The distinctive part of each secret value. A leak of any 8 consecutive bytes of one
/// (a value cut or elided in a hover, say) is a leak.
const SECRETS: [&str; 5] = [
    "hunter2-Xq9zP4mK7vRw", // by its name: DB_PASSWORD
    "AKIAQ7XJ3KZ5LMN2PQRS", // an AWS access key id
    "s3cr3t-Pw7YtBv",       // the password of a URL
    "stg-Kq8Vb3Nd6HsLp",    // a profile's value
    "tpl-Wz4Rc9Qm2Ty",      // a template's value
];

const TEXT: &str = r#"template webbase() service {
  port   = 8080
  health = http("/healthz")
  env {
    SESSION_SECRET = "tpl-Wz4Rc9Qm2Ty"
  }
}

app shop {
  image = "registry.example.com/shop:1.0.0"
  env {
    DB_PASSWORD  = "hunter2-Xq9zP4mK7vRw"
    AWS_KEY_ID     = "AKIAQ7XJ3KZ5LMN2PQRS"
    DATABASE_URL = "postgres://shop:s3cr3t-Pw7YtBv@db.example.com:5432/shop"
    API_TOKEN    = secret("shop-secrets", "api-token")
    LOG_LEVEL    = "info"
  }

  service web = webbase() {
    replicas = 2
    env {
      STRIPE_KEY = secret("stripe", "secret-key")
    }
  }
}

profile staging {
  shop.env.DB_PASSWORD = "stg-Kq8Vb3Nd6HsLp"
}
"#;

/// Responses that return the user's own text on purpose, by what they are:
/// - `textDocument/formatting`: its edits are pieces of the formatted document, which may
///   span a value (here the one edit only removes two spaces, but a value moved to
///   another line or column comes back whole);
/// - `kiln.preview`: the compiled YAML, exactly what `kiln compile` writes, where a plain
///   env value is in its ConfigMap (that is what K0912 warns about).
///
/// Everything else (diagnostics, hovers, completions, symbols, actions, locations,
/// rename edits, errors, logs) must not carry a value.
const EXEMPT: [&str; 2] = ["textDocument/formatting", "kiln.preview"];

/// The 8-byte windows of every secret.
fn windows() -> Vec<&'static str> {
    SECRETS
        .iter()
        .flat_map(|s| (0..=s.len() - 8).map(move |i| &s[i..i + 8]))
        .collect()
}

/// The secret windows found in `bytes`.
fn leaks(bytes: &[u8]) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(bytes);
    windows().into_iter().filter(|w| text.contains(w)).collect()
}

/// The bodies of the messages in a recorded standard output stream, in order.
fn bodies(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
            panic!(
                "a header without its end: {:?}",
                String::from_utf8_lossy(rest)
            );
        };
        let header = String::from_utf8_lossy(&rest[..end]);
        assert!(
            leaks(header.as_bytes()).is_empty(),
            "a header carries a secret"
        );
        let len: usize = header
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no length in {header:?}"));
        let body = &rest[end + 4..];
        assert!(body.len() >= len, "a cut message");
        out.push(&body[..len]);
        rest = &body[len..];
    }
    out
}

#[test]
fn no_secret_value_in_any_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.kiln");
    std::fs::write(&path, TEXT).unwrap();
    let uri = file_uri(&path);
    let root = file_uri(dir.path());

    let (mut c, rec) = Client::start_recording();
    c.call(
        "initialize",
        json!({
            "processId": null,
            "rootUri": root,
            "workspaceFolders": [{"uri": root, "name": "root"}],
            "capabilities": {
                "textDocument": {
                    "completion": {"completionItem": {"snippetSupport": true, "documentationFormat": ["markdown"]}},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "documentSymbol": {"hierarchicalDocumentSymbolSupport": true},
                    "publishDiagnostics": {"relatedInformation": true, "versionSupport": true},
                    "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}}
                }
            },
            "initializationOptions": {"profile": "staging", "diagnosticsDelayMs": 10}
        }),
    );
    c.notify("initialized", json!({}));
    // Ids of the responses that may hold the user's text (see EXEMPT).
    let mut exempt: Vec<Value> = Vec::new();

    c.open(&uri, 1, TEXT);
    let diags = c.diagnostics(&uri, Some(1))["diagnostics"].clone();
    let k0912: Vec<Value> = diags
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "K0912")
        .cloned()
        .collect();
    // Name, AWS key, URL password, profile, template: each is warned about.
    assert_eq!(k0912.len(), 5, "{diags:#}");

    // Every value and key: hover, completion inside the string, references, definition,
    // prepareRename and rename.
    let spots: [(&str, usize); 16] = [
        ("hunter2", 1),
        ("DB_PASSWORD", 0),
        ("AKIAQ7", 2),
        ("AWS_KEY_ID", 0),
        ("s3cr3t", 3),
        ("DATABASE_URL", 0),
        ("stg-Kq8", 2),
        ("shop.env.DB_PASSWORD", 12),
        ("tpl-Wz4", 2),
        ("SESSION_SECRET", 0),
        ("shop-secrets", 2),
        ("api-token", 1),
        ("API_TOKEN", 0),
        ("stripe", 1),
        ("secret-key", 1),
        ("web = webbase", 7),
    ];
    for (needle, delta) in spots {
        let at = pos(TEXT, needle, 0, delta);
        let doc_pos = json!({"textDocument": {"uri": uri}, "position": at});
        c.request("textDocument/hover", doc_pos.clone());
        c.request("textDocument/completion", doc_pos.clone());
        c.request("textDocument/definition", doc_pos.clone());
        c.request(
            "textDocument/references",
            json!({"textDocument": {"uri": uri}, "position": at,
                   "context": {"includeDeclaration": true}}),
        );
        c.request("textDocument/prepareRename", doc_pos.clone());
        c.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": uri}, "position": at, "newName": "renamed"}),
        );
    }
    c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    // Code actions on each K0912 range, with its diagnostic, and on the whole file.
    for d in &k0912 {
        c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": d["range"],
                   "context": {"diagnostics": [d]}}),
        );
    }
    c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}},
               "context": {"diagnostics": diags}}),
    );

    let fmt = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    exempt.push(fmt["id"].clone());
    for args in [json!([uri]), json!([uri, pos(TEXT, "hunter2", 0, 1)])] {
        let preview = c.request(
            "workspace/executeCommand",
            json!({"command": "kiln.preview", "arguments": args}),
        );
        // A positive control: the plain values are in the ConfigMap of the preview.
        assert!(
            leaks(preview.to_string().as_bytes()).len() > 20,
            "{preview}"
        );
        exempt.push(preview["id"].clone());
    }

    // While a value is typed: its closing quote missing, then the value alone on a line.
    let typing = [
        TEXT.replace("\"hunter2-Xq9zP4mK7vRw\"", "\"hunter2-Xq9zP4mK7vRw"),
        TEXT.replace("\"AKIAQ7XJ3KZ5LMN2PQRS\"", "AKIAQ7XJ3KZ5LMN2PQRS"),
        TEXT.replace(
            "    DB_PASSWORD  = \"hunter2-Xq9zP4mK7vRw\"\n",
            "    \"hunter2-Xq9zP4mK7vRw\"\n",
        ),
    ];
    for (i, text) in typing.iter().enumerate() {
        let version = i as i64 + 2;
        c.change(&uri, version, text);
        c.diagnostics(&uri, Some(version));
        for (needle, delta) in [("hunter2", 1), ("AKIAQ7", 2)] {
            let at = pos(text, needle, 0, delta);
            let doc_pos = json!({"textDocument": {"uri": uri}, "position": at});
            c.request("textDocument/hover", doc_pos.clone());
            c.request("textDocument/completion", doc_pos);
        }
        c.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": uri}}),
        );
    }
    c.change(&uri, 9, TEXT);
    c.diagnostics(&uri, Some(9));
    c.close(&uri);
    // Whatever else the server sends (late diagnostics, logs) is recorded too.
    c.collect_for(Duration::from_millis(300));
    assert_eq!(c.shutdown(), 0);

    let stdout = rec.stdout.lock().unwrap().clone();
    // The recording holds the exempt responses, so the detector sees what it looks for.
    assert!(!leaks(&stdout).is_empty(), "nothing was recorded");
    let mut checked = 0;
    let mut bad = Vec::new();
    for body in bodies(&stdout) {
        let v: Value = serde_json::from_slice(body).expect("a JSON message");
        let is_exempt_response =
            v.get("method").is_none() && v.get("id").is_some_and(|id| exempt.contains(id));
        if is_exempt_response {
            continue;
        }
        let mut found = leaks(body);
        // The known gap (docs/security.md, "Not covered yet"): while the AWS key is
        // unquoted (version 3), or the string before it is unterminated so that it is
        // read as a name (version 2), the parser and the checker see an identifier, and
        // their messages quote identifiers ("`AKIA…` is not defined", "expected `=`
        // after field name `AKIA…`"), as `kiln check` does. Only that value, only in the
        // diagnostics of those versions; hovers and completions on them must be clean.
        let typed_as_a_name = v["method"] == "textDocument/publishDiagnostics"
            && matches!(v["params"]["version"].as_i64(), Some(2 | 3));
        if typed_as_a_name {
            found.retain(|w| !SECRETS[1].contains(w));
        }
        if !found.is_empty() {
            bad.push(format!("{found:?} in {}", String::from_utf8_lossy(body)));
        }
        checked += 1;
    }
    assert!(
        bad.is_empty(),
        "messages carry secret bytes:\n{}",
        bad.join("\n\n")
    );
    assert!(checked > 100, "only {checked} messages were checked");
    let stderr = rec.stderr.lock().unwrap().clone();
    assert!(
        leaks(&stderr).is_empty(),
        "the server's log carries a secret:\n{}",
        String::from_utf8_lossy(&stderr)
    );
    assert_eq!(EXEMPT.len(), 2);
}

/// `kiln check` on the same file, with the profile: the warnings name keys, never values,
/// in text and in JSON.
#[test]
fn kiln_check_prints_no_secret_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.kiln");
    std::fs::write(&path, TEXT).unwrap();
    for format in ["text", "json"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["check", "--profile", "staging", "--format", format])
            .arg(&path)
            .output()
            .unwrap();
        let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        let text = String::from_utf8_lossy(&all);
        assert_eq!(text.matches("K0912").count(), 5, "{format}: {text}");
        assert!(
            leaks(&all).is_empty(),
            "{format}: kiln check prints {:?}:\n{text}",
            leaks(&all)
        );
    }
}
