//! `kiln lsp` driven as a child process over stdio with real JSON-RPC messages, the way an
//! editor does: a whole session (initialize, open, diagnostics, edits that introduce and
//! fix an error, hover, completion, definition, references, rename, formatting, code
//! actions, the preview command, a broken file, shutdown and exit), and a session of
//! malformed messages the server must survive.
//!
//! Positions are UTF-16: the document puts non-ASCII text (`é`, `😀`, which is two UTF-16
//! units and four bytes) before the names the requests point at.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);
const URI: &str = "file:///tmp/kiln-lsp-test/shop.kiln";

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    stash: Vec<Value>,
}

fn read_frame(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kiln lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_frame(&mut r) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            next_id: 0,
            stash: Vec::new(),
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, v: Value) {
        let text = v.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{text}", text.len()).as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message from the server that satisfies `pred` (others are stashed).
    fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.stash.iter().position(&pred) {
            return self.stash.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(v) => self.stash.push(v),
                Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for {what}"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server exited waiting for {what}")
                }
            }
        }
    }

    /// Sends a request and returns the whole response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(&format!("the response to {method}"), |v| {
            v.get("id") == Some(&json!(id)) && v.get("method").is_none()
        })
    }

    /// A request's result (panics on an error response).
    fn call(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// The next diagnostics published for `URI` at `version`.
    fn diagnostics(&mut self, version: i64) -> Vec<Value> {
        let v = self.wait(&format!("diagnostics of version {version}"), |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == URI
                && v["params"]["version"] == json!(version)
        });
        v["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn initialize(&mut self) -> Value {
        let r = self.call(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": {
                    "textDocument": {
                        "completion": {"completionItem": {"snippetSupport": true, "documentationFormat": ["markdown"]}},
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "documentSymbol": {"hierarchicalDocumentSymbolSupport": true},
                        "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {"valueSet": ["quickfix"]}}}
                    }
                },
                "initializationOptions": {"diagnosticsDelayMs": 10}
            }),
        );
        self.notify("initialized", json!({}));
        r
    }

    /// `shutdown` then `exit`; returns the exit code.
    fn shutdown(mut self) -> i32 {
        let r = self.call("shutdown", Value::Null);
        assert_eq!(r, Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The protocol position (line, UTF-16 column) of the `nth` occurrence of `needle`,
/// plus `delta` bytes.
fn pos(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let (off, _) = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` #{nth} not in the text"));
    let off = off + delta;
    let line_start = text[..off].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = text[..off].matches('\n').count();
    let character = text[line_start..off].encode_utf16().count();
    json!({"line": line, "character": character})
}

fn at(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    json!({"textDocument": {"uri": URI}, "position": pos(text, needle, nth, delta)})
}

/// Applies protocol text edits (UTF-16 ranges) to `text`, last first.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| -> usize {
        let line = p["line"].as_u64().unwrap() as usize;
        let ch = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= ch || c == '\n' {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, t) in edits {
        out.replace_range(s..e, &t);
    }
    out
}

fn labels(items: &Value) -> Vec<String> {
    let list = items.get("items").unwrap_or(items);
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

const DOC: &str = r#"// café ☕: non-ASCII before the names the requests point at
let tag = "1.4.2"

app shop {
  image = "registry.example.com/shop:${tag}"
  annotations { note = "équipe 😀 ok" }  job migrate { command = ["rails", "db:migrate"] }

  job seed {
    command = ["rails", "db:seed"]
    run     = on_install
    after   = [migrate]
  }

  service web {
    command  = ["rails", "server"]
    port     = 3000
    replicas = 3
    health   = http("/up")
    ingress {
      host = "shop.example.com"
      tls  = "shop-tls"
    }
  }

  worker queue {
    command = ["sidekiq"]
  }
}
"#;

/// `kiln check --format json` on `text`: (code, message, line, byte column) of each.
fn kiln_check(text: &str) -> Vec<(String, String, u64, u64)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.kiln");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("code").is_some())
        .map(|v| {
            (
                v["code"].as_str().unwrap().to_string(),
                v["message"].as_str().unwrap().to_string(),
                v["start"]["line"].as_u64().unwrap() - 1,
                v["start"]["column"].as_u64().unwrap() - 1,
            )
        })
        .collect()
}

/// The same tuple from protocol diagnostics (UTF-16 column converted back to bytes).
fn from_lsp(text: &str, diags: &[Value]) -> Vec<(String, String, u64, u64)> {
    diags
        .iter()
        .map(|d| {
            let line = d["range"]["start"]["line"].as_u64().unwrap();
            let ch = d["range"]["start"]["character"].as_u64().unwrap() as usize;
            let l = text.lines().nth(line as usize).unwrap_or("");
            let mut units = 0;
            let mut byte = l.len();
            for (i, c) in l.char_indices() {
                if units >= ch {
                    byte = i;
                    break;
                }
                units += c.len_utf16();
            }
            (
                d["code"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
                line,
                byte as u64,
            )
        })
        .collect()
}

#[test]
fn whole_session() {
    let mut c = Client::start();
    let init = c.initialize();
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert_eq!(
        caps["executeCommandProvider"]["commands"],
        json!(["kiln.preview"])
    );
    assert_eq!(init["serverInfo"]["name"], "kiln");

    // Open: diagnostics arrive at once, the same as `kiln check`'s.
    let mut text = DOC.to_string();
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "kiln", "version": 1, "text": text}}),
    );
    let diags = c.diagnostics(1);
    assert!(
        diags.iter().all(|d| d["severity"] == 2),
        "only warnings expected: {diags:#?}"
    );
    assert_eq!(from_lsp(&text, &diags), kiln_check(&text));

    // An incremental edit introduces an error: `replicas` → `replicsa`.
    let start = pos(&text, "replicas", 0, 0);
    let end = pos(&text, "replicas", 0, 8);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2},
               "contentChanges": [{"range": {"start": start, "end": end}, "text": "replicsa"}]}),
    );
    text = text.replacen("replicas", "replicsa", 1);
    let diags = c.diagnostics(2);
    let err = diags
        .iter()
        .find(|d| d["code"] == "K0101")
        .unwrap_or_else(|| panic!("no K0101 in {diags:#?}"));
    assert_eq!(err["severity"], 1);
    assert_eq!(err["source"], "kiln");
    assert_eq!(err["range"]["start"], pos(&text, "replicsa", 0, 0));
    let related: Vec<&str> = err["relatedInformation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert!(
        related.contains(&"help: did you mean `replicas`?"),
        "{related:?}"
    );
    assert_eq!(from_lsp(&text, &diags), kiln_check(&text));

    // Hover on the diagnostic explains its code.
    let h = c.call("textDocument/hover", at(&text, "replicsa", 0, 2));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("**K0101** `unknown-field`"), "{md}");

    // The quick fix is the did-you-mean; applying it fixes the error.
    let range = json!({"start": pos(&text, "replicsa", 0, 0), "end": pos(&text, "replicsa", 0, 8)});
    let actions = c.call(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI}, "range": range,
               "context": {"diagnostics": [err.clone()]}}),
    );
    let fix = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "replace with `replicas`")
        .unwrap_or_else(|| panic!("no fix in {actions:#}"));
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], "K0101");
    let edits = fix["edit"]["changes"][URI].as_array().unwrap().clone();
    let changes: Vec<Value> = edits
        .iter()
        .map(|e| json!({"range": e["range"], "text": e["newText"]}))
        .collect();
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": changes}),
    );
    text = apply(&text, &edits);
    assert_eq!(text, DOC);
    let diags = c.diagnostics(3);
    assert!(diags.iter().all(|d| d["code"] != "K0101"), "{diags:#?}");

    // Hover: a field (type, docs, Kubernetes fields), a block kind, a reference, an enum word.
    let h = c.call("textDocument/hover", at(&text, "replicas", 0, 3));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("`replicas`: `int`"), "{md}");
    assert!(md.contains("`Deployment.spec.replicas`"), "{md}");
    assert_eq!(h["range"]["start"], pos(&text, "replicas", 0, 0));
    let md = c.call("textDocument/hover", at(&text, "service web", 0, 1))["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("Deployment, Service"), "{md}");
    let md = c.call("textDocument/hover", at(&text, "[migrate]", 0, 3))["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("job `migrate` in app `shop`, line 6"), "{md}");
    let md = c.call("textDocument/hover", at(&text, "on_install", 0, 1))["contents"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("`on_install`: one of `before_deploy`"), "{md}");

    // Completion at three kinds of places. First a new line in `service web`.
    let edit_at = pos(&text, "    health", 0, 0);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 4},
               "contentChanges": [{"range": {"start": edit_at, "end": edit_at}, "text": "    re\n"}]}),
    );
    text = text.replacen("    health", "    re\n    health", 1);
    let items = c.call("textDocument/completion", at(&text, "    re\n", 0, 6));
    let names = labels(&items);
    for want in ["spread", "service_type", "autoscale", "sidecar", "let"] {
        assert!(
            names.contains(&want.to_string()),
            "{want} missing from {names:?}"
        );
    }
    // Fields already set are not offered again.
    assert!(!names.contains(&"port".to_string()), "{names:?}");
    let item = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "autoscale")
        .unwrap();
    assert_eq!(item["insertTextFormat"], 2, "a snippet");
    assert_eq!(
        item["textEdit"]["range"]["start"],
        pos(&text, "    re\n", 0, 4)
    );
    // Back to the document without the partial line.
    let (s, e) = (pos(&text, "    re\n", 0, 0), pos(&text, "    re\n", 0, 7));
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 5},
               "contentChanges": [{"range": {"start": s, "end": e}, "text": ""}]}),
    );
    text = DOC.to_string();
    // An enum value.
    let items = c.call("textDocument/completion", at(&text, "on_install", 0, 0));
    let names = labels(&items);
    for want in [
        "before_deploy",
        "on_install",
        "after_deploy",
        "manual",
        "tag",
    ] {
        assert!(
            names.contains(&want.to_string()),
            "{want} missing from {names:?}"
        );
    }
    assert!(!names.contains(&"replicas".to_string()), "{names:?}");
    // Names of jobs for `after` (not the job itself).
    let items = c.call("textDocument/completion", at(&text, "[migrate]", 0, 1));
    let names = labels(&items);
    assert!(names.contains(&"migrate".to_string()), "{names:?}");
    assert!(!names.contains(&"seed".to_string()), "{names:?}");
    assert!(!names.contains(&"web".to_string()), "{names:?}");

    // Go to definition from `after = [migrate]`: the name on the line with `😀`.
    let defs = c.call("textDocument/definition", at(&text, "[migrate]", 0, 2));
    assert_eq!(defs[0]["uri"], URI);
    assert_eq!(defs[0]["range"]["start"], pos(&text, "migrate {", 0, 0));
    assert_eq!(
        defs[0]["range"]["start"]["character"],
        pos(&text, "job migrate", 0, 4)["character"]
    );
    // A `${tag}` interpolation names the `let`.
    let defs = c.call("textDocument/definition", at(&text, "${tag}", 0, 3));
    assert_eq!(defs[0]["range"]["start"], pos(&text, "tag =", 0, 0));

    // References, with the declaration.
    let refs = c.call(
        "textDocument/references",
        json!({"textDocument": {"uri": URI}, "position": pos(&text, "migrate {", 0, 1),
               "context": {"includeDeclaration": true}}),
    );
    let starts: Vec<&Value> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["range"]["start"])
        .collect();
    assert_eq!(
        starts,
        vec![
            &pos(&text, "migrate {", 0, 0),
            &pos(&text, "[migrate]", 0, 1)
        ]
    );

    // Rename across the file.
    let prep = c.call("textDocument/prepareRename", at(&text, "[migrate]", 0, 1));
    assert_eq!(prep["placeholder"], "migrate");
    let edit = c.call(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": pos(&text, "[migrate]", 0, 1), "newName": "db-migrate"}),
    );
    let edits = edit["changes"][URI].as_array().unwrap();
    assert_eq!(edits.len(), 2);
    let renamed = apply(&text, edits);
    assert!(renamed.contains("job db-migrate {") && renamed.contains("after   = [db-migrate]"));
    // An invalid name is refused with a reason.
    let bad = c.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": pos(&text, "[migrate]", 0, 1), "newName": "Bad Name"}),
    );
    assert_eq!(bad["error"]["code"], -32803, "{bad}");

    // The outline: the app, its jobs, services and workers.
    let syms = c.call(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    let app = syms
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "shop")
        .unwrap();
    let kids: Vec<&str> = app["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(kids, ["migrate", "seed", "web", "queue"]);

    // Formatting gives what `kiln fmt` gives.
    let fmt = c.call(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let formatted = apply(&text, fmt.as_array().unwrap());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(formatted, String::from_utf8(out.stdout).unwrap());
    assert_ne!(
        formatted, text,
        "the document has two blocks on one line: fmt splits them"
    );

    // The preview: the whole bundle, or the objects of the block under the cursor.
    let yaml = c.call(
        "workspace/executeCommand",
        json!({"command": "kiln.preview", "arguments": [URI]}),
    );
    let yaml = yaml.as_str().unwrap();
    assert!(
        yaml.contains("kind: Deployment") && yaml.contains("name: shop-web"),
        "{yaml}"
    );
    let yaml = c.call(
        "workspace/executeCommand",
        json!({"command": "kiln.preview", "arguments": [URI, pos(&text, "db:seed", 0, 0)]}),
    );
    let yaml = yaml.as_str().unwrap();
    assert!(
        yaml.contains("kind: Job") && !yaml.contains("kind: Deployment"),
        "{yaml}"
    );

    // A syntax error: diagnostics say so, navigation keeps the last good analysis.
    let s = pos(&text, "    port     = 3000", 0, 0);
    let e = pos(&text, "    port     = 3000", 0, 19);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 6},
               "contentChanges": [{"range": {"start": s, "end": e}, "text": "    port = = ="}]}),
    );
    text = text.replacen("    port     = 3000", "    port = = =", 1);
    let diags = c.diagnostics(6);
    assert!(diags.iter().any(|d| d["code"] == "K0001"), "{diags:#?}");
    let defs = c.call("textDocument/definition", at(&text, "[migrate]", 0, 2));
    assert_eq!(defs[0]["range"]["start"], pos(&text, "migrate {", 0, 0));
    let syms = c.call(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    assert!(syms.as_array().unwrap().iter().any(|s| s["name"] == "shop"));
    let h = c.call("textDocument/hover", at(&text, "[migrate]", 0, 2));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("job `migrate`"), "{md}");
    // Completion still knows the enclosing block while the line is unfinished.
    let items = c.call("textDocument/completion", at(&text, "    port = = =", 0, 0));
    assert!(
        labels(&items).contains(&"replicas".to_string())
            || labels(&items).contains(&"spread".to_string())
    );
    let fmt = c.call(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(fmt, json!([]), "a file with syntax errors is not formatted");

    // Close clears the diagnostics.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": URI}}),
    );
    let cleared = c.wait("cleared diagnostics", |v| {
        v["method"] == "textDocument/publishDiagnostics" && v["params"]["diagnostics"] == json!([])
    });
    assert_eq!(cleared["params"]["uri"], URI);

    assert_eq!(c.shutdown(), 0);
}

#[test]
fn malformed_messages_do_not_stop_the_server() {
    let mut c = Client::start();
    // Before initialize: requests are refused, not fatal.
    let r = c.request("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], -32002);
    c.initialize();
    // A body that is not JSON: a parse error with a null id.
    c.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    let r = c.wait("a parse error", |v| v["error"]["code"] == -32700);
    assert_eq!(r["id"], Value::Null);
    // JSON that is no JSON-RPC message: an invalid request, answered with its id.
    c.send(json!({"jsonrpc": "2.0", "id": 77, "method": 5}));
    let r = c.wait("an invalid request", |v| v["id"] == 77);
    assert_eq!(r["error"]["code"], -32600);
    // A header block without a length.
    c.send_raw(b"Content-Type: nothing\r\n\r\n");
    let r = c.wait("a frame error", |v| {
        v["error"]["code"] == -32600 && v["id"].is_null()
    });
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Content-Length")
    );
    // Wrong parameters, a document never opened, an unknown method, a bad command.
    let r = c.request("textDocument/hover", json!("nonsense"));
    assert_eq!(r["error"]["code"], -32602);
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///nowhere.kiln"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(r["error"]["code"], -32602);
    let r = c.request("textDocument/frobnicate", json!({}));
    assert_eq!(r["error"]["code"], -32601);
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "kiln.preview", "arguments": [42]}),
    );
    assert_eq!(r["error"]["code"], -32602);
    // A change that does not fit the document is refused; the document stays usable.
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "kiln", "version": 1, "text": "app a {\n  image = \"r/a:1\"\n}\n"}}),
    );
    let _ = c.diagnostics(1);
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2},
               "contentChanges": [{"range": {"start": {"line": 9, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "x"}]}),
    );
    // Positions past the end are clamped, never out of bounds.
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": 99, "character": 99}}),
    );
    assert!(r.get("error").is_none(), "{r}");
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 4}}),
    );
    assert!(
        r["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("`image`"),
        "{r}"
    );
    // A preview of a document with errors fails with the reason, and the server goes on.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3},
               "contentChanges": [{"text": "app a {\n  imag = \"r/a:1\"\n}\n"}]}),
    );
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": "kiln.preview", "arguments": [URI]}),
    );
    assert_eq!(r["error"]["code"], -32803);
    assert!(
        r["error"]["message"].as_str().unwrap().contains("error"),
        "{r}"
    );
    // Initialize twice is an error; after shutdown, requests are refused.
    let r = c.request("initialize", json!({"capabilities": {}}));
    assert_eq!(r["error"]["code"], -32600);
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn exit_without_shutdown_is_code_1() {
    let mut c = Client::start();
    c.initialize();
    c.notify("exit", Value::Null);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(s) = c.child.try_wait().unwrap() {
            assert_eq!(s.code(), Some(1));
            break;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}
