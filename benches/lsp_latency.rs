//! Editor latency of `kiln lsp` (issues 6 and 8): the time from a one-character `didChange`
//! to the `publishDiagnostics` of that version, and the time of a `textDocument/completion`,
//! on a generated document of at least 2,000 lines, and in a workspace of 20 apps (one file
//! each, the workspace folder checked as `kiln check DIR`, one of its files edited). The server is the release binary run as a
//! child process over stdio, exactly as an editor runs it, so the numbers include JSON-RPC
//! framing and the pipe round trip.
//!
//! Run: `cargo build --release && cargo bench --bench lsp_latency` (binary from `KILN`, default
//! `target/release/kiln`; `-- --apps N` sets the number of generated apps instead of "enough
//! for 2,000 lines").

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);
const URI: &str = "file:///tmp/kiln-lsp-bench/apps.kiln";
/// Files of the workspace case.
const WORKSPACE_APPS: usize = 20;
const ROUNDS: usize = 50;

/// The app block of `examples/csis/app.kiln`; `NAME` is replaced to make each copy distinct.
const APP: &str = r#"// NAME: a Rails application. A web front and a Sidekiq queue share one environment.
app NAME {
  namespace    = "NAME"
  image        = "registry.example.com/NAME:1.4.2"   // a pinned tag
  pull_secrets = ["private-reg-cred"]

  env {
    RAILS_ENV                = "production"
    RAILS_LOG_TO_STDOUT      = "enabled"
    RAILS_SERVE_STATIC_FILES = "enabled"
    REDIS_URL                = "redis://redis.${namespace}.svc.cluster.local:6379/"
    DATABASE_URL             = secret("NAME-db", "url")   // a reference, never a value
  }

  job migrate {
    command = ["rails", "db:migrate"]
    run     = before_deploy   // every release, before web and queue roll
    timeout = 10m
  }

  job seed {
    command = ["rails", "db:seed"]
    run     = on_install   // the first release only
    after   = [migrate]
  }

  service web {
    command  = ["rails", "server", "-b", "0.0.0.0", "-p", "3000"]
    port     = 3000
    replicas = 3
    health   = http("/up")
    cpu      = 250m .. 1
    memory   = 512Mi .. 1Gi
    autoscale { min = 3  max = 10  cpu = 70% }
    ingress {
      host  = "NAME.example.com"
      tls   = "NAME-tls"
      allow = ["1.1.1.0/24"]   // office range only
    }
  }

  worker queue {
    command  = ["bundle", "exec", "sidekiq"]
    replicas = 2
    memory   = 512Mi .. 1Gi
  }

  cron nightly {
    schedule = "0 3 * * *"
    command  = ["rails", "reports:nightly"]
  }
}

"#;

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
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
    fn start(bin: &str) -> Client {
        let mut child = Command::new(bin)
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{bin} lsp`: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = channel();
        // A reader thread so that waiting has a timeout instead of hanging on a dead server.
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
        }
    }

    fn send(&mut self, v: Value) {
        let text = v.to_string();
        let frame = format!("Content-Length: {}\r\n\r\n{text}", text.len());
        self.stdin
            .write_all(frame.as_bytes())
            .expect("write to server");
        self.stdin.flush().expect("flush to server");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next message satisfying `pred`; others (log messages, older diagnostics) are dropped.
    fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => panic!("timed out waiting for {what}"),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server exited waiting for {what}")
                }
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let r = self.wait(&format!("the response to {method}"), |v| {
            v.get("id") == Some(&json!(id)) && v.get("method").is_none()
        });
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r
    }

    fn diagnostics(&mut self, uri: &str, version: i64) -> Value {
        self.wait(&format!("diagnostics of version {version}"), |v| {
            v["method"] == "textDocument/publishDiagnostics"
                && v["params"]["uri"] == uri
                && v["params"]["version"] == json!(version)
        })
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
    }
}

/// `apps` distinct copies of the app block, or enough copies for 2,000 lines when `None`.
fn document(apps: Option<usize>) -> (String, usize) {
    let mut text = String::new();
    let mut n = 0;
    while apps.map_or(text.lines().count() < 2000, |a| n < a) {
        text.push_str(&APP.replace("NAME", &format!("app{n}")));
        n += 1;
    }
    (text, n)
}

/// The (line, UTF-16 column) just after the opening quote of `"enabled"` on the
/// `RAILS_LOG_TO_STDOUT` line of app number `app`, and the column after `rep` of its web
/// `replicas` line: an edit inside a string value, and a completion at a field name.
fn positions(text: &str, app: usize) -> ((u32, u32), (u32, u32)) {
    let middle = format!("app app{app} {{");
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| *l == middle).expect("middle app");
    let find = |needle: &str| -> (u32, u32) {
        let i = (start..lines.len())
            .find(|&i| lines[i].contains(needle))
            .expect("needle in the generated app");
        let col = lines[i].find(needle).expect("needle") + needle.len();
        (i as u32, col as u32)
    };
    (find("RAILS_LOG_TO_STDOUT      = \""), find("    rep"))
}

/// Median, p90, p99, max of `samples` (sorted in place), in milliseconds.
fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "{what:<12} median {:7.2} ms   p90 {:7.2} ms   p99 {:7.2} ms   max {:7.2} ms   (n = {})",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        samples.len()
    );
}

/// Diagnostics latency over `ROUNDS` one-character edits of the open document `uri`, and
/// completion latency, on a server started with `init` as `initialize` parameters.
fn measure(
    bin: &str,
    init: Value,
    uri: &str,
    text: &str,
    (edit_line, edit_col): (u32, u32),
    (comp_line, comp_col): (u32, u32),
) -> (Vec<Duration>, Vec<Duration>, usize) {
    let mut c = Client::start(bin);
    c.request("initialize", init);
    c.notify("initialized", json!({}));
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "kiln", "version": 1, "text": text}}),
    );
    let first = c.diagnostics(uri, 1);
    let count = first["params"]["diagnostics"]
        .as_array()
        .map_or(0, Vec::len);
    println!("diagnostics on open: {count}");

    let mut diag = Vec::with_capacity(ROUNDS);
    let at = json!({"line": edit_line, "character": edit_col});
    let after = json!({"line": edit_line, "character": edit_col + 1});
    for round in 0..ROUNDS {
        let version = round as i64 + 2;
        // Alternately insert `x` inside the string and delete it again.
        let change = if round % 2 == 0 {
            json!({"range": {"start": at, "end": at}, "text": "x"})
        } else {
            json!({"range": {"start": at, "end": after}, "text": ""})
        };
        let t = Instant::now();
        c.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        );
        c.diagnostics(uri, version);
        diag.push(t.elapsed());
    }

    let mut comp = Vec::with_capacity(ROUNDS);
    let mut items = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = c.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": uri},
                   "position": {"line": comp_line, "character": comp_col}}),
        );
        comp.push(t.elapsed());
        let result = &r["result"];
        items = result
            .as_array()
            .or_else(|| result["items"].as_array())
            .map_or(0, Vec::len);
    }
    c.shutdown();
    (diag, comp, items)
}

fn init_params(root: Option<&str>, workspaces: bool) -> Value {
    json!({
        "processId": null,
        "rootUri": root,
        "capabilities": {"textDocument": {"completion": {"completionItem": {"snippetSupport": true}}}},
        "initializationOptions": {"diagnosticsDelayMs": 0, "workspaces": workspaces}
    })
}

fn main() {
    let bin = std::env::var("KILN").unwrap_or_else(|_| "target/release/kiln".to_string());
    if !std::path::Path::new(&bin).exists() {
        eprintln!(
            "lsp_latency: no kiln binary at `{bin}`; run `cargo build --release` first \
             or set KILN=/path/to/kiln"
        );
        std::process::exit(1);
    }
    let args: Vec<String> = std::env::args().collect();
    let apps = args
        .iter()
        .position(|a| a == "--apps")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok());

    // One file of 2,000 lines.
    let (text, apps) = document(apps);
    let (edit, comp_at) = positions(&text, apps / 2);
    println!(
        "document: {} lines, {} apps, {} bytes",
        text.lines().count(),
        apps,
        text.len()
    );
    let (mut diag, mut comp, items) =
        measure(&bin, init_params(None, false), URI, &text, edit, comp_at);
    report("diagnostics", &mut diag);
    report("completion", &mut comp);
    println!("completion items at {}:{}: {items}", comp_at.0, comp_at.1);

    // A workspace of 20 files, one app each, checked as `kiln check DIR`.
    let dir = std::env::temp_dir().join(format!("kiln-lsp-bench-ws-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the workspace directory");
    let mut lines = 0;
    for i in 0..WORKSPACE_APPS {
        let t = APP.replace("NAME", &format!("app{i}"));
        lines += t.lines().count();
        std::fs::write(dir.join(format!("app{i}.kiln")), t).expect("write a workspace file");
    }
    let open = WORKSPACE_APPS / 2;
    let path = dir.join(format!("app{open}.kiln"));
    let text = std::fs::read_to_string(&path).expect("read back");
    let (edit, comp_at) = positions(&text, open);
    println!("\nworkspace: {WORKSPACE_APPS} files, {lines} lines in all, `app{open}.kiln` edited");
    let root = format!("file://{}", dir.display());
    let uri = format!("file://{}", path.display());
    let (mut diag, mut comp, items) = measure(
        &bin,
        init_params(Some(&root), true),
        &uri,
        &text,
        edit,
        comp_at,
    );
    let _ = std::fs::remove_dir_all(&dir);
    report("diagnostics", &mut diag);
    report("completion", &mut comp);
    println!("completion items at {}:{}: {items}", comp_at.0, comp_at.1);
}
