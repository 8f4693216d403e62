//! Files that change while `kiln lsp` reads them (issue 9, part 5): an imported file on
//! disk changes, disappears, becomes a directory, becomes non-UTF-8 or larger than the
//! 16 MiB limit, between requests and while they run. The server never stops, and what it
//! publishes is always one consistent state (the positions of one text of the file, the
//! pointer on the import agreeing with it); a `didChange` that arrives while diagnostics of
//! an older version are being computed gets diagnostics of its own version only.

mod lsp_support;

use lsp_support::{Client, file_uri, pos};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One error (`replicsa`, line 4).
const ONE: &str = "let registry = \"registry.example.com\"\n\ntemplate web(port: port = 3000) service {\n  command  = [\"run\"]\n  replicsa = 2\n  port     = port\n}\n";
/// Two errors (`helth` line 5, `portt` line 6): other places than ONE's.
const TWO: &str = "// two errors\nlet registry = \"registry.example.com\"\n\ntemplate web(port: port = 3000) service {\n  command = [\"run\"]\n  helth   = http(\"/up\")\n  portt   = port\n}\n";

const APP: &str = "import \"./shared.kiln\"\n\napp shop {\n  image = \"${registry}/shop:1.4.2\"\n  service front = web(port = 8080) { }\n}\n";

/// The (line, character) of each diagnostic's start.
fn starts(diags: &Value) -> Vec<(u64, u64)> {
    diags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn expected_one() -> Vec<(u64, u64)> {
    vec![(4, 2)]
}

fn expected_two() -> Vec<(u64, u64)> {
    vec![(5, 2), (6, 2)]
}

/// The states the imported file goes through.
#[derive(Clone, Copy, Debug)]
enum State {
    One,
    Two,
    Missing,
    Directory,
    NotUtf8,
    Huge,
}

fn set(path: &Path, s: State) {
    // Whatever is there goes first (a directory cannot be overwritten by a file).
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_dir_all(path);
    match s {
        State::One => std::fs::write(path, ONE).unwrap(),
        State::Two => std::fs::write(path, TWO).unwrap(),
        State::Missing => {}
        State::Directory => std::fs::create_dir(path).unwrap(),
        State::NotUtf8 => std::fs::write(path, b"let x = \"\xff\xfe\"\n").unwrap(),
        State::Huge => {
            // 17 MiB of comment: over the 16 MiB limit.
            let mut big = Vec::with_capacity(17 << 20);
            let line = b"// padding padding padding padding padding padding padding pad\n";
            while big.len() < 17 << 20 {
                big.extend_from_slice(line);
            }
            std::fs::write(path, big).unwrap()
        }
    }
}

fn pointer(diags: &Value) -> Option<&Value> {
    diags
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"].is_null())
}

fn codes(diags: &Value) -> Vec<&str> {
    diags
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect()
}

/// A pointer's related ranges: those of one text of the file, never a mix.
fn check_pointer(p: &Value) {
    let related: Vec<(u64, u64)> = p["relatedInformation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["location"]["range"]["start"]["line"].as_u64().unwrap(),
                r["location"]["range"]["start"]["character"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    let msg = p["message"].as_str().unwrap();
    if related == expected_one() {
        assert_eq!(msg, "`./shared.kiln` has 1 error");
    } else if related == expected_two() {
        assert_eq!(msg, "`./shared.kiln` has 2 errors");
    } else {
        panic!("a pointer of no single text: {p:#}");
    }
}

/// Requests on the import line in any state: answers, never errors.
fn poke(c: &mut Client, uri: &str, text: &str) {
    for method in [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/completion",
    ] {
        let r = c.request(
            method,
            json!({"textDocument": {"uri": uri}, "position": pos(text, "shared", 0, 1)}),
        );
        assert!(r.get("error").is_none(), "{method}: {r}");
    }
}

#[test]
fn imported_file_changes_between_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    let shared = dir.join("shared.kiln");
    std::fs::write(dir.join("app.kiln"), APP).unwrap();
    let app_uri = file_uri(&dir.join("app.kiln"));
    let shared_uri = file_uri(&shared);
    let mut c = Client::start();
    c.initialize(Some(&file_uri(&dir)), json!({"diagnosticsDelayMs": 0}));
    set(&shared, State::One);
    c.open(&app_uri, 1, APP);
    let own = c.diagnostics(&app_uri, Some(1));
    check_pointer(pointer(&own["diagnostics"]).expect("a pointer"));
    let mut version = 1;
    let mut shown = true;
    let t0 = Instant::now();
    for state in [
        State::Two,
        State::Missing,
        State::One,
        State::Directory,
        State::NotUtf8,
        State::Two,
        State::Huge,
        State::Missing,
        State::One,
    ] {
        set(&shared, state);
        // A request before the next edit still answers from the last analysis.
        let text = format!("{APP}// {version}\n");
        poke(&mut c, &app_uri, APP);
        version += 1;
        c.change(&app_uri, version, &text);
        let own = c.diagnostics(&app_uri, Some(version));
        let d = &own["diagnostics"];
        match state {
            State::One | State::Two => {
                let p = pointer(d).unwrap_or_else(|| panic!("{state:?}: {own:#}"));
                check_pointer(p);
                let want = if matches!(state, State::One) { 1 } else { 2 };
                assert_eq!(
                    p["relatedInformation"].as_array().unwrap().len(),
                    want,
                    "{state:?}"
                );
                let sh = c.wait("the imported file's diagnostics", |v| {
                    v["method"] == "textDocument/publishDiagnostics"
                        && v["params"]["uri"] == shared_uri.as_str()
                        && v["params"]["diagnostics"].as_array().unwrap().len() == want
                });
                let got = starts(&sh["params"]["diagnostics"]);
                assert!(got == expected_one() || got == expected_two(), "{got:?}");
                shown = true;
            }
            _ => {
                assert!(pointer(d).is_none(), "{state:?}: {own:#}");
                // A file that is not UTF-8 is K0020 (with the bad byte); any other
                // unreadable file is K0608.
                let want = if matches!(state, State::NotUtf8) {
                    "K0020"
                } else {
                    "K0608"
                };
                assert!(codes(d).contains(&want), "{state:?}: {own:#}");
                let import = d
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["code"] == want)
                    .unwrap();
                assert_eq!(import["range"]["start"], pos(APP, "\"./shared", 0, 0));
                // Cleared once when the file stops being readable.
                if shown {
                    c.wait("the imported file cleared", |v| {
                        v["method"] == "textDocument/publishDiagnostics"
                            && v["params"]["uri"] == shared_uri.as_str()
                            && v["params"]["diagnostics"] == json!([])
                    });
                }
                shown = false;
            }
        }
        poke(&mut c, &app_uri, &text);
        c.stash.clear();
    }
    // Generous: catches a hang, not a slow machine.
    assert!(t0.elapsed() < Duration::from_secs(60));
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn imported_file_changes_while_the_server_reads_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    let shared = dir.join("shared.kiln");
    std::fs::write(dir.join("app.kiln"), APP).unwrap();
    set(&shared, State::Two);
    let app_uri = file_uri(&dir.join("app.kiln"));
    let shared_uri = file_uri(&shared);
    let mut c = Client::start();
    c.initialize(Some(&file_uri(&dir)), json!({"diagnosticsDelayMs": 0}));
    c.open(&app_uri, 1, APP);
    let _ = c.diagnostics(&app_uri, Some(1));

    // A writer flips the file through every state as fast as it can.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let shared = shared.clone();
        std::thread::spawn(move || {
            let states = [
                State::One,
                State::Missing,
                State::Two,
                State::Directory,
                State::NotUtf8,
                State::One,
                State::Two,
            ];
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                // The huge file now and then only: writing 17 MiB takes a while.
                let s = if i % 40 == 39 {
                    State::Huge
                } else {
                    states[i % states.len()]
                };
                set(&shared, s);
                i += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let mut sent = 1;
    for round in 0..40 {
        sent += 1;
        c.change(&app_uri, sent, &format!("{APP}// {round}\n"));
        if round % 3 == 0 {
            poke(&mut c, &app_uri, APP);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    set(&shared, State::Two);
    sent += 1;
    c.change(&app_uri, sent, &format!("{APP}// last\n"));
    let last = c.diagnostics(&app_uri, Some(sent));
    check_pointer(pointer(&last["diagnostics"]).expect("the final state's pointer"));
    let all = c.collect_for(Duration::from_millis(300));
    // Everything published: versions of the importer only grow; each pointer and each
    // set of the imported file's diagnostics is that of one text of the file.
    let mut last_version = 0;
    for m in all.iter().chain(std::iter::once(&json!({"params": last}))) {
        let p = &m["params"];
        if p["uri"] == app_uri.as_str() {
            let v = p["version"].as_i64().unwrap();
            assert!(v >= last_version, "version {v} after {last_version}");
            last_version = v;
            if let Some(ptr) = pointer(&p["diagnostics"]) {
                check_pointer(ptr);
            }
        } else if p["uri"] == shared_uri.as_str() {
            let got = starts(&p["diagnostics"]);
            assert!(
                got.is_empty() || got == expected_one() || got == expected_two(),
                "a mixed set: {p:#}"
            );
        }
    }
    assert_eq!(c.shutdown(), 0);
}

/// About 2,000 lines of apps (an analysis takes long enough for an edit to overtake it).
fn big_document() -> String {
    let mut s = String::new();
    for i in 0..200 {
        s.push_str(&format!(
            "app app{i} {{\n  image = \"r/app{i}:1.0.0\"\n  service web {{\n    command  = [\"run\"]\n    port     = 80\n    replicas = 2\n    health   = http(\"/up\")\n  }}\n}}\n\n"
        ));
    }
    s
}

#[test]
fn a_change_during_a_diagnostics_run_gets_only_its_own_version() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = std::fs::canonicalize(tmp.path()).unwrap();
    let uri = file_uri(&dir.join("big.kiln"));
    let text = big_document();
    assert!(text.lines().count() >= 2000);
    let mut c = Client::start();
    c.initialize(Some(&file_uri(&dir)), json!({"diagnosticsDelayMs": 0}));
    c.open(&uri, 1, &text);
    let _ = c.diagnostics(&uri, Some(1));

    // Version 2 breaks app 5; version 3, sent while 2 is being checked, breaks app 150
    // instead.
    let v2 = text.replacen("replicas = 2", "replicsa = 2", 6).replacen(
        "replicsa = 2",
        "replicas = 2",
        5,
    );
    let v3 = text.replacen("replicas = 2", "replicsa = 2", 151).replacen(
        "replicsa = 2",
        "replicas = 2",
        150,
    );
    let line = |t: &str| pos(t, "replicsa", 0, 0)["line"].as_u64().unwrap();
    assert_ne!(line(&v2), line(&v3));
    c.change(&uri, 2, &v2);
    std::thread::sleep(Duration::from_millis(2));
    c.change(&uri, 3, &v3);
    let d3 = c.diagnostics(&uri, Some(3));
    let errors: Vec<u64> = d3["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "K0101")
        .map(|d| d["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(errors, [line(&v3)], "{d3:#}");

    // A burst of edits in one write: only the last version is published.
    let mut burst = Vec::new();
    for v in 4..=10 {
        let t = if v % 2 == 0 { &v2 } else { &v3 };
        burst.extend(lsp_support::frame(&json!({
            "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {"textDocument": {"uri": uri, "version": v}, "contentChanges": [{"text": t}]}
        })));
    }
    c.send_raw(&burst);
    let d10 = c.diagnostics(&uri, Some(10));
    let errors: Vec<u64> = d10["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "K0101")
        .map(|d| d["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(errors, [line(&v2)]);
    // What may be published: any version the server has read when a run ends (the
    // reader thread can lag behind the burst on a loaded machine, so an intermediate
    // version is legitimate), but each with the diagnostics of its own text, in
    // increasing order of version.
    let all = c.collect_for(Duration::from_millis(300));
    let published: Vec<(i64, Vec<u64>)> = all
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .filter_map(|m| {
            let p = &m["params"];
            let errors = p["diagnostics"]
                .as_array()?
                .iter()
                .filter(|d| d["code"] == "K0101")
                .filter_map(|d| d["range"]["start"]["line"].as_u64())
                .collect();
            Some((p["version"].as_i64()?, errors))
        })
        .collect();
    for (version, errors) in &published {
        let expected: Vec<u64> = match version {
            1 => Vec::new(),
            v if v % 2 == 0 => vec![line(&v2)],
            _ => vec![line(&v3)],
        };
        assert_eq!(errors, &expected, "version {version}: {published:?}");
    }
    let versions: Vec<i64> = published.iter().map(|(v, _)| *v).collect();
    assert!(
        versions.windows(2).all(|w| w[0] <= w[1]),
        "versions published out of order: {versions:?}"
    );
    assert_eq!(c.shutdown(), 0);
}
