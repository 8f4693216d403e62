//! The server: lifecycle, main loop, dispatch.
//!
//! One thread owns the state and handles messages in order. Each turn of the loop takes
//! every message already received as one batch, so that a request the client cancelled
//! (`$/cancelRequest`) or made stale (a later `didChange` of its document in the same
//! batch) is answered with `RequestCancelled` / `ContentModified` instead of being
//! computed on a text the client no longer has. Diagnostics are published at once on
//! open, and after a pause in typing (`diagnosticsDelayMs`, default 100) on change; a
//! request in between analyses the current text on demand, once per version.
//!
//! Nothing a client sends stops the server except `exit` (or the end of its input): bad
//! parameters get an error response, and a handler that panics anyway (a bug) gets an
//! `InternalError` response and a line on stderr, the last line of defence.

use super::convert::{self, PREVIEW_COMMAND};
use super::document::{Document, Snapshot};
use super::imports::{self, Env, Tag};
use super::navigation::Views;
use super::{Edit, actions, completion, hover, navigation, preview};
use crate::Options;
use crate::source::Span;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The debounce of diagnostics after a change, unless the client says otherwise.
const DEFAULT_DELAY: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before `initialize`.
    Starting,
    /// Between `initialize` and `shutdown`.
    Running,
    /// After `shutdown`: only `exit` is expected.
    ShutDown,
}

/// Why a request failed: a JSON-RPC error code and a message for the user.
struct Failure {
    code: i32,
    message: String,
}

impl Failure {
    fn params(message: String) -> Failure {
        Failure {
            code: ErrorCode::InvalidParams as i32,
            message,
        }
    }

    fn failed(message: String) -> Failure {
        Failure {
            code: ErrorCode::RequestFailed as i32,
            message,
        }
    }
}

/// What the last analysis of one unit (a document, or a workspace directory) said about
/// each URI.
struct Unit {
    /// When it was computed (a counter): the newest wins where texts differ.
    seq: u64,
    files: HashMap<String, (Tag, Vec<Value>)>,
}

struct Server {
    conn: Connection,
    phase: Phase,
    docs: HashMap<String, Document>,
    /// Documents whose diagnostics are due, and when.
    due: HashMap<String, Instant>,
    /// The diagnostics of each analysis unit, by URI; a URI's published set is the union
    /// of the units' that were computed against the same text.
    units: HashMap<String, Unit>,
    /// The last parameters published per URI (absent: nothing shown).
    shown: HashMap<String, Value>,
    seq: u64,
    /// The client's workspace folders, and the directories checked as workspaces.
    folders: Vec<PathBuf>,
    workspaces_option: Option<Value>,
    workspaces: Vec<PathBuf>,
    /// Set while a batch is handled: messages received later must wait for the rest of
    /// it (handling them first would apply edits out of order).
    in_batch: bool,
    /// An `exit` handled while draining.
    exit_code: Option<u8>,
    options: Options,
    delay: Duration,
    snippets: bool,
    markdown_docs: bool,
    markdown_hover: bool,
    hierarchical_symbols: bool,
    code_action_literals: bool,
}

/// Serves one connection until `exit` or until the client goes away; returns the exit
/// code (0 after `shutdown` then `exit`, else 1).
pub fn serve(conn: Connection) -> u8 {
    let mut s = Server {
        conn,
        phase: Phase::Starting,
        docs: HashMap::new(),
        due: HashMap::new(),
        units: HashMap::new(),
        shown: HashMap::new(),
        seq: 0,
        folders: Vec::new(),
        workspaces_option: None,
        workspaces: Vec::new(),
        in_batch: false,
        exit_code: None,
        options: Options::default(),
        delay: DEFAULT_DELAY,
        snippets: false,
        markdown_docs: false,
        markdown_hover: false,
        hierarchical_symbols: false,
        code_action_literals: false,
    };
    s.run()
}

/// A panic's message.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// The document URI a message is about, read without decoding the whole message.
fn uri_of(params: &Value) -> Option<&str> {
    params.get("textDocument")?.get("uri")?.as_str()
}

impl Server {
    fn run(&mut self) -> u8 {
        loop {
            let deadline = self.due.values().min().copied();
            let first = match deadline {
                Some(d) => match self.conn.receiver.recv_deadline(d) {
                    Ok(m) => Some(m),
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => None,
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return 1,
                },
                None => match self.conn.receiver.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return 1,
                },
            };
            let mut batch: Vec<Message> = first.into_iter().collect();
            while batch.len() < 4096 {
                match self.conn.receiver.try_recv() {
                    Ok(m) => batch.push(m),
                    Err(_) => break,
                }
            }
            if let Some(code) = self.batch(batch) {
                return code;
            }
            self.publish_due();
            if let Some(code) = self.exit_code {
                return code;
            }
        }
    }

    fn send(&self, m: impl Into<Message>) {
        // The writer is gone only when the client is; the loop ends on the next receive.
        let _ = self.conn.sender.send(m.into());
    }

    fn log(&self, text: &str) {
        eprintln!("kiln lsp: {text}");
        if self.phase == Phase::Running {
            self.send(Notification::new(
                "window/logMessage".into(),
                convert::log_message(text, true),
            ));
        }
    }

    fn reply_err(&self, id: RequestId, code: i32, message: String) {
        self.send(Response::new_err(id, code, message));
    }

    /// Handles one batch; returns the exit code on `exit`.
    fn batch(&mut self, batch: Vec<Message>) -> Option<u8> {
        let outer = std::mem::replace(&mut self.in_batch, true);
        let code = self.batch_inner(batch);
        self.in_batch = outer;
        code
    }

    fn batch_inner(&mut self, batch: Vec<Message>) -> Option<u8> {
        let cancelled: HashSet<RequestId> = batch
            .iter()
            .filter_map(|m| match m {
                Message::Notification(n) if n.method == "$/cancelRequest" => {
                    convert::cancel(n.params.clone()).ok()
                }
                _ => None,
            })
            .collect();
        // For each message, the documents changed later in the batch.
        let mut changed_later: Vec<HashSet<String>> = vec![HashSet::new(); batch.len()];
        let mut acc: HashSet<String> = HashSet::new();
        for (i, m) in batch.iter().enumerate().rev() {
            changed_later[i] = acc.clone();
            if let Message::Notification(n) = m
                && n.method == "textDocument/didChange"
                && let Some(u) = uri_of(&n.params)
            {
                acc.insert(u.to_string());
            }
        }
        for (m, later) in batch.into_iter().zip(changed_later) {
            match m {
                Message::Request(r) => {
                    if cancelled.contains(&r.id) {
                        self.reply_err(
                            r.id,
                            ErrorCode::RequestCanceled as i32,
                            "cancelled by the client".into(),
                        );
                    } else if self.phase == Phase::Running
                        && r.method.starts_with("textDocument/")
                        && uri_of(&r.params).is_some_and(|u| later.contains(u))
                    {
                        self.reply_err(
                            r.id,
                            ErrorCode::ContentModified as i32,
                            "the document changed after this request".into(),
                        );
                    } else {
                        self.request(r);
                    }
                }
                Message::Notification(n) => {
                    if let Some(code) = self.notification(n) {
                        return Some(code);
                    }
                }
                // The server sends no requests, so expects no responses.
                Message::Response(_) => {}
            }
        }
        None
    }

    fn request(&mut self, r: Request) {
        match (self.phase, r.method.as_str()) {
            (Phase::Starting, "initialize") => {
                let info = convert::initialize(r.params);
                self.snippets = info.snippets;
                self.markdown_docs = info.markdown_docs;
                self.markdown_hover = info.markdown_hover;
                self.hierarchical_symbols = info.hierarchical_symbols;
                self.code_action_literals = info.code_action_literals;
                self.options.profile = info.profile;
                if let Some(ms) = info.delay_ms {
                    self.delay = Duration::from_millis(ms.min(10_000));
                }
                self.folders = info.folders;
                self.workspaces_option = info.workspaces;
                self.set_workspaces();
                self.phase = Phase::Running;
                self.send(Response::new_ok(r.id, convert::initialize_result()));
            }
            (Phase::Starting, _) => self.reply_err(
                r.id,
                ErrorCode::ServerNotInitialized as i32,
                "the server is not initialized yet".into(),
            ),
            (Phase::Running, "initialize") => self.reply_err(
                r.id,
                ErrorCode::InvalidRequest as i32,
                "the server is already initialized".into(),
            ),
            (Phase::Running, "shutdown") => {
                self.phase = Phase::ShutDown;
                self.send(Response::new_ok(r.id, Value::Null));
            }
            (Phase::Running, _) => {
                let method = r.method.clone();
                let outcome = catch_unwind(AssertUnwindSafe(|| self.handle(&method, r.params)));
                let response = match outcome {
                    Ok(Ok(v)) => Response::new_ok(r.id, v),
                    Ok(Err(f)) => {
                        if f.code == ErrorCode::InvalidParams as i32 {
                            self.log(&format!("{method}: {}", f.message));
                        }
                        Response::new_err(r.id, f.code, f.message)
                    }
                    Err(p) => {
                        let msg = panic_message(p.as_ref());
                        self.log(&format!("internal error in {method}: {msg}"));
                        Response::new_err(
                            r.id,
                            ErrorCode::InternalError as i32,
                            format!("internal error: {msg}"),
                        )
                    }
                };
                self.send(response);
            }
            (Phase::ShutDown, _) => self.reply_err(
                r.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            ),
        }
    }

    /// Handles a notification; returns the exit code on `exit`.
    fn notification(&mut self, n: Notification) -> Option<u8> {
        if n.method == "exit" {
            return Some(if self.phase == Phase::ShutDown { 0 } else { 1 });
        }
        if self.phase != Phase::Running {
            return None;
        }
        let method = n.method.clone();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.notify(&method, n.params)));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.log(&format!("{method}: {e}")),
            Err(p) => self.log(&format!(
                "internal error in {method}: {}",
                panic_message(p.as_ref())
            )),
        }
        None
    }

    fn notify(&mut self, method: &str, params: Value) -> Result<(), String> {
        match method {
            "textDocument/didOpen" => {
                let (uri, version, text) = convert::did_open(params)?;
                let doc = Document::new(uri.clone(), version, text);
                let canon = doc.canon.clone();
                self.docs.insert(uri.clone(), doc);
                self.due.remove(&uri);
                // Importers now read the editor's text instead of the disk's.
                self.touched(canon, &uri);
                self.publish(&uri);
            }
            "textDocument/didChange" => {
                let (uri, version, changes) = convert::did_change(params)?;
                let doc = self
                    .docs
                    .get_mut(&uri)
                    .ok_or_else(|| format!("`{uri}` is not open"))?;
                doc.apply(version, changes)?;
                let canon = doc.canon.clone();
                self.due.insert(uri.clone(), Instant::now() + self.delay);
                self.touched(canon, &uri);
            }
            "textDocument/didClose" => {
                let uri = convert::document(params)?;
                let Some(doc) = self.docs.remove(&uri) else {
                    return Ok(());
                };
                self.due.remove(&uri);
                let mut affected: BTreeSet<String> = BTreeSet::new();
                // Its unit goes unless another open document shares it (a workspace).
                if !self.docs.values().any(|d| d.unit == doc.unit)
                    && let Some(old) = self.units.remove(&doc.unit)
                {
                    affected.extend(old.files.into_keys());
                }
                affected.remove(&uri);
                // Clear what was shown for it (what other units say of it comes back
                // when they run again on the text from disk).
                self.republish(&uri, true);
                for u in affected {
                    self.republish(&u, false);
                }
                self.touched(doc.canon.clone(), &uri);
            }
            "workspace/didChangeWatchedFiles" => {
                // Files changed on disk (a save, a checkout): every analysis that reads
                // files may be stale. Rare enough to re-check all of them.
                let now = Instant::now() + self.delay;
                for d in self.docs.values_mut() {
                    if !d.deps.is_empty() || d.unit != d.uri {
                        d.invalidate();
                        self.due.insert(d.uri.clone(), now);
                    }
                }
            }
            "workspace/didChangeWorkspaceFolders" => {
                let (added, removed) = convert::workspace_folders_change(params)?;
                self.folders.retain(|f| !removed.contains(f));
                self.folders.extend(added);
                self.set_workspaces();
                let now = Instant::now() + self.delay;
                for d in self.docs.values_mut() {
                    d.invalidate();
                    self.due.insert(d.uri.clone(), now);
                }
            }
            // Everything else a client may notify is not needed.
            _ => {}
        }
        Ok(())
    }

    /// The directories checked as workspaces, from the option and the client's folders.
    fn set_workspaces(&mut self) {
        let base = self.folders.first().cloned();
        self.workspaces = match &self.workspaces_option {
            Some(Value::Bool(true)) => self.folders.clone(),
            Some(Value::Array(dirs)) => dirs
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|d| {
                    let p = PathBuf::from(d);
                    if p.is_absolute() {
                        Some(p)
                    } else {
                        base.as_ref().map(|b| b.join(p))
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
    }

    /// A document changed (or opened, or closed): analyses that read it are stale; the
    /// open documents that did are checked again after the usual pause.
    fn touched(&mut self, canon: Option<PathBuf>, uri: &str) {
        let Some(canon) = canon else { return };
        let at = Instant::now() + self.delay;
        for d in self.docs.values_mut() {
            if d.uri != uri && d.deps.contains(&canon) {
                d.invalidate();
                let t = self.due.entry(d.uri.clone()).or_insert(at);
                *t = (*t).max(at);
            }
        }
    }

    /// What the other open documents are for this one's imports.
    fn env(&self, except: &str) -> Env {
        Env {
            overlays: self
                .docs
                .values()
                .filter(|d| d.uri != except)
                .filter_map(Document::overlay)
                .collect(),
            workspaces: self.workspaces.clone(),
        }
    }

    fn snapshot(&mut self, uri: &str) -> Result<Rc<Snapshot>, Failure> {
        let env = self.env(uri);
        let opts = self.options.clone();
        Ok(self.doc(uri)?.snapshot_in(&opts, &env))
    }

    /// Handles the messages that arrived meanwhile (before and after a diagnostics run, so
    /// that what is published is for the latest text). True when there were some. Not
    /// while a batch is handled (the diagnostics published at `didOpen`).
    fn drain(&mut self) -> bool {
        if self.in_batch || self.exit_code.is_some() {
            return false;
        }
        let pending: Vec<Message> = self.conn.receiver.try_iter().take(4096).collect();
        if pending.is_empty() {
            return false;
        }
        if let Some(code) = self.batch(pending) {
            self.exit_code = Some(code);
        }
        true
    }

    fn publish_due(&mut self) {
        self.drain();
        let now = Instant::now();
        let mut ready: Vec<String> = self
            .due
            .iter()
            .filter(|(_, t)| **t <= now)
            .map(|(u, _)| u.clone())
            .collect();
        ready.sort();
        let mut done_units: HashSet<String> = HashSet::new();
        for uri in ready {
            if self.exit_code.is_some() {
                return;
            }
            // A change handled meanwhile may have pushed it back.
            if self.due.get(&uri).is_none_or(|t| *t > now) {
                continue;
            }
            self.due.remove(&uri);
            let unit = self.docs.get(&uri).map(|d| d.unit.clone());
            // One run of a workspace covers every open document in it.
            if let Some(u) = &unit
                && *u != uri
                && done_units.contains(u)
            {
                continue;
            }
            let outcome = catch_unwind(AssertUnwindSafe(|| self.publish(&uri)));
            if let Err(p) = outcome {
                self.log(&format!(
                    "internal error publishing diagnostics: {}",
                    panic_message(p.as_ref())
                ));
            }
            if let Some(u) = self.docs.get(&uri).map(|d| d.unit.clone()) {
                done_units.insert(u);
            }
        }
    }

    /// Analyses a document and publishes what its unit says about every URI it touches
    /// (the document, the files it imports), clearing what it no longer says.
    fn publish(&mut self, uri: &str) {
        let Ok(snap) = self.snapshot(uri) else {
            return;
        };
        // A change that arrived during the run makes it stale: publish for the latest
        // version only (it is due again).
        if self.drain() && self.docs.get(uri).is_none_or(|d| d.version != snap.version) {
            return;
        }
        let Some(unit) = self.docs.get(uri).map(|d| d.unit.clone()) else {
            return;
        };
        self.seq += 1;
        let mut files = HashMap::new();
        for c in imports::contributions(&snap) {
            files.insert(c.uri, (c.tag, c.diagnostics));
        }
        let mut affected: BTreeSet<String> = files.keys().cloned().collect();
        let old = self.units.insert(
            unit,
            Unit {
                seq: self.seq,
                files,
            },
        );
        if let Some(old) = old {
            affected.extend(old.files.into_keys());
        }
        affected.remove(uri);
        self.republish(uri, true);
        for u in affected {
            self.republish(&u, false);
        }
    }

    /// Publishes the union of what the units say about `uri`, from those computed against
    /// the newest text of it; nothing when that text is older than the open document's
    /// (a run that reads it is due). `force`: even when unchanged (a new version of the
    /// document).
    fn republish(&mut self, uri: &str, force: bool) {
        let mut found: Vec<(u64, Tag, &Vec<Value>)> = Vec::new();
        let mut own = None;
        for (key, u) in &self.units {
            if let Some((t, v)) = u.files.get(uri) {
                if key == uri {
                    own = Some((u.seq, *t, v));
                } else {
                    found.push((u.seq, *t, v));
                }
            }
        }
        // A file imported by an open document is shown as its importers see it (its own
        // run, as an entry, would call what they use "never used").
        if found.is_empty() {
            found.extend(own);
        }
        found.sort_by_key(|(seq, _, _)| std::cmp::Reverse(*seq));
        let (list, version) = match found.first() {
            None => (Vec::new(), None),
            Some(&(_, newest, _)) => {
                if let Some(d) = self.docs.get(uri)
                    && newest != Tag::Version(d.version)
                {
                    return;
                }
                let mut list: Vec<Value> = Vec::new();
                for (_, t, vs) in &found {
                    if *t != newest {
                        continue;
                    }
                    for v in vs.iter() {
                        if !list.contains(v) {
                            list.push(v.clone());
                        }
                    }
                }
                let version = match newest {
                    Tag::Version(v) => Some(v),
                    Tag::Text(_) => None,
                };
                (list, version)
            }
        };
        let empty = list.is_empty();
        let params = match convert::publish_values(uri, version, list) {
            Ok(p) => p,
            Err(e) => {
                self.log(&e);
                return;
            }
        };
        let changed = self.shown.get(uri) != Some(&params);
        // Unchanged, or empty where nothing is shown: nothing to say.
        let was_shown = self.shown.contains_key(uri);
        if force || (changed && (was_shown || !empty)) {
            self.send(Notification::new(
                "textDocument/publishDiagnostics".into(),
                params.clone(),
            ));
        }
        if empty {
            self.shown.remove(uri);
        } else {
            self.shown.insert(uri.to_string(), params);
        }
    }

    fn doc(&mut self, uri: &str) -> Result<&mut Document, Failure> {
        self.docs
            .get_mut(uri)
            .ok_or_else(|| Failure::params(format!("the document `{uri}` is not open")))
    }

    fn handle(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        let opts = self.options.clone();
        let snippets = self.snippets;
        match method {
            "textDocument/hover" => {
                let (uri, pos) = convert::document_position(params).map_err(Failure::params)?;
                let views = self.views(&uri, &opts)?;
                let snap = &views.current;
                let offset = convert::offset(snap.file(), pos);
                let mut found = hover::hover(snap, offset);
                // On an import path: the module, then what else is said there.
                if let Some(i) = imports::hover(snap, offset) {
                    found = Some(match found {
                        Some(h) => super::Hover {
                            markdown: format!("{}\n\n---\n\n{}", i.markdown, h.markdown),
                            span: i.span,
                        },
                        None => i,
                    });
                }
                // While the text does not parse, what the tree lost is in the last good one.
                if found.is_none()
                    && let Some((good, map)) = &views.good
                    && let Some(old) = map.to_old(offset)
                {
                    found = hover::hover(good, old).and_then(|h| {
                        Some(super::Hover {
                            span: map.span_to_new(h.span)?,
                            markdown: h.markdown,
                        })
                    });
                }
                Ok(convert::hover(snap.file(), found, self.markdown_hover))
            }
            "textDocument/completion" => {
                let (uri, pos) = convert::document_position(params).map_err(Failure::params)?;
                let views = self.views(&uri, &opts)?;
                let snap = &views.current;
                let offset = convert::offset(snap.file(), pos);
                let good = views.good.as_ref().map(|(g, m)| (g.as_ref(), *m));
                let doc_path = snap.file().path.as_deref();
                let items = match imports::complete(
                    snap.text(),
                    offset,
                    doc_path,
                    snap.workspace.as_deref(),
                ) {
                    Some(items) => items,
                    None => completion::complete(snap, good, offset, snippets),
                };
                Ok(convert::completions(snap.file(), items, self.markdown_docs))
            }
            "textDocument/definition" => {
                let (uri, pos) = convert::document_position(params).map_err(Failure::params)?;
                let views = self.views(&uri, &opts)?;
                let offset = convert::offset(views.current.file(), pos);
                if let Some(target) = imports::definition(&views.current, offset) {
                    return match target {
                        Some(u) => convert::file_location(&u).map_err(Failure::params),
                        None => Ok(Value::Null),
                    };
                }
                let spans = views.definition(offset);
                convert::locations(&uri, views.current.file(), &spans).map_err(Failure::params)
            }
            "textDocument/references" => {
                let (uri, pos, decl) = convert::references(params).map_err(Failure::params)?;
                let views = self.views(&uri, &opts)?;
                let offset = convert::offset(views.current.file(), pos);
                let spans = views.references(offset, decl);
                convert::locations(&uri, views.current.file(), &spans).map_err(Failure::params)
            }
            "textDocument/documentSymbol" => {
                let uri = convert::document(params).map_err(Failure::params)?;
                let hierarchical = self.hierarchical_symbols;
                let views = self.views(&uri, &opts)?;
                if hierarchical {
                    Ok(convert::document_symbols(
                        views.current.file(),
                        views.outline(),
                    ))
                } else {
                    convert::flat_symbols(&uri, views.current.file(), views.outline())
                        .map_err(Failure::params)
                }
            }
            "textDocument/prepareRename" => {
                let (uri, pos) = convert::document_position(params).map_err(Failure::params)?;
                let snap = self.snapshot(&uri)?;
                let offset = convert::offset(snap.file(), pos);
                Ok(convert::prepare_rename(
                    snap.file(),
                    navigation::prepare_rename(&snap, offset),
                ))
            }
            "textDocument/rename" => {
                let (uri, pos, name) = convert::rename(params).map_err(Failure::params)?;
                let snap = self.snapshot(&uri)?;
                let offset = convert::offset(snap.file(), pos);
                let edits = navigation::rename(&snap, offset, &name).map_err(Failure::failed)?;
                convert::rename_result(&uri, snap.file(), &edits).map_err(Failure::params)
            }
            "textDocument/formatting" => {
                let uri = convert::document(params).map_err(Failure::params)?;
                let snap = self.snapshot(&uri)?;
                if !snap.syntax_ok {
                    // As `kiln fmt`: a file with syntax errors is left as it is.
                    return Ok(convert::formatting(snap.file(), &[]));
                }
                let formatted = crate::syntax::fmt::format(&snap.analysis.ast, snap.text());
                let edits: Vec<Edit> = minimal_edit(snap.text(), &formatted).into_iter().collect();
                Ok(convert::formatting(snap.file(), &edits))
            }
            "textDocument/codeAction" => {
                let (uri, start, end) = convert::code_action(params).map_err(Failure::params)?;
                if !self.code_action_literals {
                    return Ok(Value::Array(Vec::new()));
                }
                let snap = self.snapshot(&uri)?;
                let (a, b) = (
                    convert::offset(snap.file(), start),
                    convert::offset(snap.file(), end),
                );
                let found = actions::actions(&snap, a.min(b), a.max(b));
                convert::code_actions(&uri, snap.file(), found, &snap.analysis.diagnostics.0)
                    .map_err(Failure::params)
            }
            "workspace/executeCommand" => {
                let (command, args) = convert::execute_command(params).map_err(Failure::params)?;
                if command != PREVIEW_COMMAND {
                    return Err(Failure::params(format!("unknown command `{command}`")));
                }
                let (uri, pos) = convert::preview_args(&args).map_err(Failure::params)?;
                let snap = self.snapshot(&uri)?;
                let offset = pos.map(|p| convert::offset(snap.file(), p));
                preview::preview(&snap, &opts, offset)
                    .map(Value::String)
                    .map_err(Failure::failed)
            }
            // A handler with a bug, for the test of the last line of defence.
            #[cfg(test)]
            "kiln/testPanic" => panic!("a bug in a handler"),
            _ => Err(Failure {
                code: ErrorCode::MethodNotFound as i32,
                message: format!("`{method}` is not supported"),
            }),
        }
    }

    fn views(&mut self, uri: &str, _opts: &Options) -> Result<Views, Failure> {
        let current = self.snapshot(uri)?;
        let doc = self.doc(uri)?;
        Ok(Views {
            current,
            good: doc.last_good(),
        })
    }
}

/// One edit turning `old` into `new`: the differing middle, between the common prefix and
/// suffix (so the editor keeps the cursor and folds outside it). None when equal.
fn minimal_edit(old: &str, new: &str) -> Option<Edit> {
    if old == new {
        return None;
    }
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some(Edit {
        span: Span::new(prefix, old.len() - suffix),
        text: new
            .get(prefix..new.len() - suffix)
            .unwrap_or("")
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edits() {
        let e = minimal_edit("a  = 1\nb = 2\n", "a = 1\nb = 2\n").unwrap();
        assert_eq!((e.span, e.text.as_str()), (Span::new(2, 3), ""));
        assert!(minimal_edit("x", "x").is_none());
        // Multi-byte characters are never split.
        let e = minimal_edit("é", "è").unwrap();
        assert_eq!((e.span, e.text.as_str()), (Span::new(0, 2), "è"));
    }

    #[test]
    fn a_panicking_handler_gets_an_internal_error_and_the_server_goes_on() {
        let (server, client) = Connection::memory();
        let req = |id: i32, method: &str, params: Value| {
            Message::Request(Request::new(RequestId::from(id), method.into(), params))
        };
        for m in [
            req(1, "initialize", serde_json::json!({"capabilities": {}})),
            req(2, "kiln/testPanic", Value::Null),
            req(
                3,
                "textDocument/formatting",
                serde_json::json!({"textDocument": {"uri": "file:///none.kiln"}}),
            ),
            req(4, "shutdown", Value::Null),
            Message::Notification(Notification::new("exit".into(), Value::Null)),
        ] {
            client.sender.send(m).unwrap();
        }
        assert_eq!(serve(server), 0);
        let responses: Vec<Response> = client
            .receiver
            .try_iter()
            .filter_map(|m| match m {
                Message::Response(r) => Some(r),
                _ => None,
            })
            .collect();
        assert_eq!(responses.len(), 4);
        let err = responses[1].response_result.as_ref().unwrap_err();
        assert_eq!(err.code, ErrorCode::InternalError as i32);
        assert!(
            err.message.contains("a bug in a handler"),
            "{}",
            err.message
        );
        // The next request is served as usual (here: a document that is not open).
        let err = responses[2].response_result.as_ref().unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidParams as i32);
    }
}
