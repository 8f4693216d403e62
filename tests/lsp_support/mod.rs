//! A minimal LSP client over the stdio of a `kiln lsp` child process, for the
//! integration tests of imports and of files changing under the server.

#![allow(dead_code)] // each test file uses a part

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Client {
    pub child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Messages received while waiting for something else.
    pub stash: Vec<Value>,
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

pub fn frame(v: &Value) -> Vec<u8> {
    let text = v.to_string();
    format!("Content-Length: {}\r\n\r\n{text}", text.len()).into_bytes()
}

/// Every byte the server wrote, for tests of what must never be in them
/// ([`Client::start_recording`]).
#[derive(Clone, Default)]
pub struct Recording {
    /// The whole standard output stream: headers and bodies of every message.
    pub stdout: Arc<Mutex<Vec<u8>>>,
    /// The whole standard error stream (the server's log).
    pub stderr: Arc<Mutex<Vec<u8>>>,
}

/// A reader that keeps a copy of what passes through it.
struct Tee<R> {
    inner: R,
    copy: Arc<Mutex<Vec<u8>>>,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.lock().unwrap().extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

impl Client {
    pub fn start() -> Client {
        Client::spawn(None)
    }

    /// A server whose standard output and standard error are recorded byte for byte.
    pub fn start_recording() -> (Client, Recording) {
        let rec = Recording::default();
        (Client::spawn(Some(rec.clone())), rec)
    }

    fn spawn(rec: Option<Recording>) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if rec.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("start kiln lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let copy = match &rec {
            Some(r) => {
                let mut stderr = child.stderr.take().unwrap();
                let err = r.stderr.clone();
                std::thread::spawn(move || {
                    let mut buf = [0; 4096];
                    while let Ok(n) = stderr.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        err.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                });
                r.stdout.clone()
            }
            // Nobody reads this copy: an empty buffer that is dropped with the reader.
            None => Arc::new(Mutex::new(Vec::new())),
        };
        let keep = rec.is_some();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let stdout: Box<dyn Read + Send> = if keep {
                Box::new(Tee {
                    inner: stdout,
                    copy,
                })
            } else {
                Box::new(stdout)
            };
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

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn send(&mut self, v: Value) {
        self.send_raw(&frame(&v));
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message from the server that satisfies `pred` (others are stashed).
    pub fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.stash.iter().position(&pred) {
            return self.stash.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(v) => self.stash.push(v),
                Err(RecvTimeoutError::Timeout) => {
                    let last: Vec<String> = self
                        .stash
                        .iter()
                        .rev()
                        .take(6)
                        .map(Value::to_string)
                        .collect();
                    panic!(
                        "timed out waiting for {what}; last received:\n{}",
                        last.join("\n")
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server exited waiting for {what}")
                }
            }
        }
    }

    /// Everything received within `d` (into the stash too), in order.
    pub fn collect_for(&mut self, d: Duration) -> Vec<Value> {
        let deadline = Instant::now() + d;
        let mut out = std::mem::take(&mut self.stash);
        while let Ok(v) = self
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            out.push(v);
        }
        out
    }

    pub fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends a request and returns the whole response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id();
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(&format!("the response to {method}"), |v| {
            v.get("id") == Some(&json!(id)) && v.get("method").is_none()
        })
    }

    /// A request's result (panics on an error response).
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// The next diagnostics published for `uri` (at `version`, when given).
    pub fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Value {
        self.wait(&format!("diagnostics of {uri} version {version:?}"), |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == uri
                && version.is_none_or(|n| v["params"]["version"] == json!(n))
        })["params"]
            .clone()
    }

    pub fn initialize(&mut self, root: Option<&str>, options: Value) -> Value {
        let r = self.call(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root,
                "workspaceFolders": root.map(|r| json!([{"uri": r, "name": "root"}])),
                "capabilities": {
                    "textDocument": {
                        "completion": {"completionItem": {"snippetSupport": true, "documentationFormat": ["markdown"]}},
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "publishDiagnostics": {"relatedInformation": true, "versionSupport": true}
                    }
                },
                "initializationOptions": options
            }),
        );
        self.notify("initialized", json!({}));
        r
    }

    pub fn open(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "kiln", "version": version, "text": text}}),
        );
    }

    /// Replaces the whole text of a document.
    pub fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }

    pub fn close(&mut self, uri: &str) {
        self.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
    }

    /// `shutdown` then `exit`; returns the exit code.
    pub fn shutdown(mut self) -> i32 {
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
pub fn pos(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
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

/// A `file://` URI of an absolute path (ASCII paths, as the tests' temporary ones).
pub fn file_uri(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

/// The labels of a completion result.
pub fn labels(items: &Value) -> Vec<String> {
    let list = items.get("items").unwrap_or(items);
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["label"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `kiln check --format json` of a path: (file, code, message, line, byte column) of each,
/// zero-based.
pub fn kiln_check(path: &std::path::Path) -> Vec<(String, String, String, u64, u64)> {
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["check", "--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("code").is_some())
        .map(|v| {
            (
                v["file"].as_str().unwrap_or("").to_string(),
                v["code"].as_str().unwrap().to_string(),
                v["message"].as_str().unwrap().to_string(),
                v["start"]["line"].as_u64().unwrap() - 1,
                v["start"]["column"].as_u64().unwrap() - 1,
            )
        })
        .collect()
}

/// (code, message, line, byte column) of protocol diagnostics on `text` (UTF-16 columns
/// converted back to bytes); pointers without a code are left out.
pub fn from_lsp(text: &str, diags: &Value) -> Vec<(String, String, u64, u64)> {
    diags
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d.get("code").is_some_and(|c| !c.is_null()))
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
