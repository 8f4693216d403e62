//! The only user of `lsp-types`: protocol parameters in, kiln's types out, and back.
//! Positions are UTF-16 (the protocol's default, and the only encoding advertised);
//! every conversion between them and byte offsets goes through [`SourceFile`].

use super::imports::FileInfo;
use super::{Action, Completion, Edit, Hover, ItemKind, Outline};
use crate::diag::{Diagnostic, Severity};
use crate::index::SymbolKind;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use lsp_types as lsp;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;

/// The command that returns the compiled YAML of a document.
pub const PREVIEW_COMMAND: &str = "kiln.preview";

/// A position as the protocol counts it (zero-based line, UTF-16 column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub character: u32,
}

/// A text change of `didChange`: a range (None: the whole document) and its new text.
#[derive(Debug, Clone)]
pub struct Change {
    pub range: Option<(Pos, Pos)>,
    pub text: String,
}

/// Decodes parameters of a known shape; the error is the message of an InvalidParams
/// response.
fn params<T: DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| format!("invalid parameters: {e}"))
}

fn pos(p: lsp::Position) -> Pos {
    Pos {
        line: p.line,
        character: p.character,
    }
}

/// The byte offset of a protocol position (clamped to the line and to the text).
pub fn offset(file: &SourceFile, p: Pos) -> u32 {
    file.offset_of_utf16(p.line, p.character)
}

fn position(file: &SourceFile, offset: u32) -> lsp::Position {
    lsp::Position {
        line: file.line_col(offset).line,
        character: file.utf16_col(offset),
    }
}

/// The protocol range of a byte span.
fn range(file: &SourceFile, span: Span) -> lsp::Range {
    lsp::Range {
        start: position(file, span.start),
        end: position(file, span.end),
    }
}

fn uri(text: &str) -> Result<lsp::Uri, String> {
    lsp::Uri::from_str(text).map_err(|e| format!("invalid URI `{text}`: {e}"))
}

// ---- initialize ------------------------------------------------------------------------

/// What the server takes from `initialize`.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Whether completion items may be snippets.
    pub snippets: bool,
    /// Whether completion documentation may be Markdown (else plain text).
    pub markdown_docs: bool,
    /// Whether hovers may be Markdown (else plain text).
    pub markdown_hover: bool,
    /// Whether the outline may be a tree (else a flat list with container names).
    pub hierarchical_symbols: bool,
    /// Whether code actions may be returned as literals (else there are none to offer:
    /// kiln's fixes are edits, not server commands).
    pub code_action_literals: bool,
    /// `initializationOptions.profile`: the profile applied to diagnostics and previews.
    pub profile: Option<String>,
    /// `initializationOptions.diagnosticsDelayMs`: the debounce of diagnostics on change.
    pub delay_ms: Option<u64>,
    /// The workspace folders (or root) of the client.
    pub folders: Vec<std::path::PathBuf>,
    /// `initializationOptions.workspaces`: `true` (every workspace folder is checked as
    /// `kiln check DIR`), or a list of such directories (relative ones to the first folder).
    pub workspaces: Option<Value>,
}

/// Reads the client's capabilities and options. Unknown or malformed parts are ignored:
/// a client's quirks must not stop the server from starting.
pub fn initialize(v: Value) -> ClientInfo {
    let snippets = v
        .pointer("/capabilities/textDocument/completion/completionItem/snippetSupport")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let markdown = |path: &str| {
        v.pointer(path)
            .and_then(Value::as_array)
            .is_some_and(|kinds| kinds.iter().any(|k| k == "markdown"))
    };
    let opts = v.get("initializationOptions");
    ClientInfo {
        snippets,
        markdown_docs: markdown(
            "/capabilities/textDocument/completion/completionItem/documentationFormat",
        ),
        markdown_hover: markdown("/capabilities/textDocument/hover/contentFormat"),
        hierarchical_symbols: v
            .pointer("/capabilities/textDocument/documentSymbol/hierarchicalDocumentSymbolSupport")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        code_action_literals: v
            .pointer("/capabilities/textDocument/codeAction/codeActionLiteralSupport")
            .is_some_and(Value::is_object),
        profile: opts
            .and_then(|o| o.get("profile"))
            .and_then(Value::as_str)
            .map(str::to_string),
        delay_ms: opts
            .and_then(|o| o.get("diagnosticsDelayMs"))
            .and_then(Value::as_u64),
        folders: workspace_folders(&v),
        workspaces: opts.and_then(|o| o.get("workspaces")).cloned(),
    }
}

/// The `initialize` result: what the server can do.
pub fn initialize_result() -> Value {
    let caps = lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                will_save: None,
                will_save_wait_until: None,
                save: None,
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![
                ".".into(),
                "=".into(),
                "[".into(),
                "{".into(),
                "\"".into(),
                " ".into(),
            ]),
            ..Default::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        execute_command_provider: Some(lsp::ExecuteCommandOptions {
            commands: vec![PREVIEW_COMMAND.into()],
            work_done_progress_options: Default::default(),
        }),
        workspace: Some(lsp::WorkspaceServerCapabilities {
            workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(lsp::OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..Default::default()
    };
    let result = lsp::InitializeResult {
        capabilities: caps,
        server_info: Some(lsp::ServerInfo {
            name: "kiln".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    serde_json::to_value(result).unwrap_or(Value::Null)
}

// ---- requests and notifications in -----------------------------------------------------

/// `textDocument/didOpen`: uri, version, text.
pub fn did_open(v: Value) -> Result<(String, i32, String), String> {
    let p: lsp::DidOpenTextDocumentParams = params(v)?;
    Ok((
        p.text_document.uri.as_str().to_string(),
        p.text_document.version,
        p.text_document.text,
    ))
}

/// `textDocument/didChange`: uri, version, changes in order.
pub fn did_change(v: Value) -> Result<(String, i32, Vec<Change>), String> {
    let p: lsp::DidChangeTextDocumentParams = params(v)?;
    let changes = p
        .content_changes
        .into_iter()
        .map(|c| Change {
            range: c.range.map(|r| (pos(r.start), pos(r.end))),
            text: c.text,
        })
        .collect();
    Ok((
        p.text_document.uri.as_str().to_string(),
        p.text_document.version,
        changes,
    ))
}

/// The document of notifications and requests that name only one (`didClose`,
/// `documentSymbol`, `formatting`).
pub fn document(v: Value) -> Result<String, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct P {
        text_document: lsp::TextDocumentIdentifier,
    }
    let p: P = params(v)?;
    Ok(p.text_document.uri.as_str().to_string())
}

/// The document and position of a positional request (hover, completion, definition,
/// prepareRename).
pub fn document_position(v: Value) -> Result<(String, Pos), String> {
    let p: lsp::TextDocumentPositionParams = params(v)?;
    Ok((p.text_document.uri.as_str().to_string(), pos(p.position)))
}

/// `textDocument/references`: document, position, whether to include the declaration.
pub fn references(v: Value) -> Result<(String, Pos, bool), String> {
    let p: lsp::ReferenceParams = params(v)?;
    Ok((
        p.text_document_position
            .text_document
            .uri
            .as_str()
            .to_string(),
        pos(p.text_document_position.position),
        p.context.include_declaration,
    ))
}

/// `textDocument/rename`: document, position, new name.
pub fn rename(v: Value) -> Result<(String, Pos, String), String> {
    let p: lsp::RenameParams = params(v)?;
    Ok((
        p.text_document_position
            .text_document
            .uri
            .as_str()
            .to_string(),
        pos(p.text_document_position.position),
        p.new_name,
    ))
}

/// `textDocument/codeAction`: document and range.
pub fn code_action(v: Value) -> Result<(String, Pos, Pos), String> {
    let p: lsp::CodeActionParams = params(v)?;
    Ok((
        p.text_document.uri.as_str().to_string(),
        pos(p.range.start),
        pos(p.range.end),
    ))
}

/// `workspace/executeCommand`: the command and its arguments.
pub fn execute_command(v: Value) -> Result<(String, Vec<Value>), String> {
    let p: lsp::ExecuteCommandParams = params(v)?;
    Ok((p.command, p.arguments))
}

/// The arguments of `kiln.preview`: a document URI, and optionally a position (only the
/// objects of the block under it are returned). Accepts `[uri]`, `[uri, position]` and
/// `[{ "textDocument": {"uri"}, "position"? }]` (what VS Code's commands pass).
pub fn preview_args(args: &[Value]) -> Result<(String, Option<Pos>), String> {
    let bad = || format!("`{PREVIEW_COMMAND}` takes a document URI and optionally a position");
    let (uri_v, pos_v) = match args {
        [Value::String(_), ..] => (args.first(), args.get(1)),
        [Value::Object(o), ..] => (
            o.get("textDocument")
                .and_then(|t| t.get("uri"))
                .or(o.get("uri")),
            o.get("position"),
        ),
        _ => return Err(bad()),
    };
    let uri_s = uri_v.and_then(Value::as_str).ok_or_else(bad)?;
    let parsed = uri(uri_s)?;
    let p = match pos_v {
        None | Some(Value::Null) => None,
        Some(v) => Some(pos(
            serde_json::from_value::<lsp::Position>(v.clone()).map_err(|_| bad())?
        )),
    };
    Ok((parsed.as_str().to_string(), p))
}

/// The id of `$/cancelRequest`.
pub fn cancel(v: Value) -> Result<lsp_server::RequestId, String> {
    let p: lsp::CancelParams = params(v)?;
    Ok(match p.id {
        lsp::NumberOrString::Number(n) => n.into(),
        lsp::NumberOrString::String(s) => s.into(),
    })
}

// ---- results out -----------------------------------------------------------------------

fn to_value<T: serde::Serialize>(t: T) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// The files of a snapshot, for locations in other files than the document.
pub struct Files<'a> {
    pub map: &'a SourceMap,
    pub files: &'a [FileInfo],
}

impl<'a> Files<'a> {
    /// A file's URI and text, when it has a URI (standard modules have none).
    pub fn get(&self, id: FileId) -> Option<(lsp::Uri, &'a SourceFile)> {
        let u = self.files.get(id.0 as usize)?.uri.as_ref()?;
        let f = self.map.iter().nth(id.0 as usize)?.1;
        Some((uri(u).ok()?, f))
    }
}

/// One kiln diagnostic as the protocol's: the same code, message and severity as
/// `kiln check`; secondary labels, the help and the notes as related information (help
/// and notes at the primary span, as rustc's do), and the primary label there too.
/// Labels in other files are kept when `files` gives their URI.
pub fn diagnostic(d: &Diagnostic, doc_uri: &lsp::Uri, file: &SourceFile) -> lsp::Diagnostic {
    diagnostic_at(
        d,
        doc_uri,
        file,
        d.primary.loc.span,
        d.message.clone(),
        None,
    )
}

/// [`diagnostic`] shown at `span` of `file` (its own place, or the place it is moved to
/// when its file cannot be shown) with `message`.
pub fn diagnostic_at(
    d: &Diagnostic,
    doc_uri: &lsp::Uri,
    file: &SourceFile,
    span: Span,
    message: String,
    files: Option<&Files<'_>>,
) -> lsp::Diagnostic {
    let primary = range(file, span);
    let at = |u: &lsp::Uri, r: lsp::Range, message: String| lsp::DiagnosticRelatedInformation {
        location: lsp::Location {
            uri: u.clone(),
            range: r,
        },
        message,
    };
    let mut related = Vec::new();
    if !d.primary.message.is_empty() {
        related.push(at(doc_uri, primary, d.primary.message.clone()));
    }
    for l in &d.secondary {
        match files.and_then(|fs| fs.get(l.loc.file)) {
            Some((u, f)) => related.push(at(&u, range(f, l.loc.span), l.message.clone())),
            // Without the other files, only labels in the diagnostic's own file.
            None if files.is_none() && l.loc.file == d.primary.loc.file => {
                related.push(at(doc_uri, range(file, l.loc.span), l.message.clone()))
            }
            None => {}
        }
    }
    if let Some(h) = &d.help {
        related.push(at(doc_uri, primary, format!("help: {h}")));
    }
    for n in &d.notes {
        related.push(at(doc_uri, primary, format!("note: {n}")));
    }
    lsp::Diagnostic {
        range: primary,
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_string())),
        code_description: None,
        source: Some("kiln".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        // An unused binding is shown faded, as editors do for dead code.
        tags: (d.code == crate::diag::codes::UNUSED_LET)
            .then(|| vec![lsp::DiagnosticTag::UNNECESSARY]),
        data: None,
    }
}

/// A diagnostic as JSON, for storing and comparing published sets.
pub fn diagnostic_value(d: lsp::Diagnostic) -> Value {
    to_value(d)
}

/// The diagnostic on an `import` that points at the problems of the files it brings in,
/// each linked as related information (`(uri, file, span, message)`).
pub fn pointer(
    file: &SourceFile,
    span: Span,
    error: bool,
    message: String,
    links: &[(lsp::Uri, &SourceFile, Span, String)],
) -> Value {
    let related: Vec<lsp::DiagnosticRelatedInformation> = links
        .iter()
        .map(|(u, f, s, m)| lsp::DiagnosticRelatedInformation {
            location: lsp::Location {
                uri: u.clone(),
                range: range(f, *s),
            },
            message: m.clone(),
        })
        .collect();
    to_value(lsp::Diagnostic {
        range: range(file, span),
        severity: Some(if error {
            lsp::DiagnosticSeverity::ERROR
        } else {
            lsp::DiagnosticSeverity::WARNING
        }),
        code: None,
        code_description: None,
        source: Some("kiln".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    })
}

/// A URI for protocol types (an error for text that is not one).
pub fn parse_uri(text: &str) -> Result<lsp::Uri, String> {
    uri(text)
}

/// `textDocument/publishDiagnostics` parameters from diagnostics already converted.
pub fn publish_values(
    doc_uri: &str,
    version: Option<i32>,
    diagnostics: Vec<Value>,
) -> Result<Value, String> {
    let u = uri(doc_uri)?;
    let mut v = serde_json::json!({"uri": u.as_str(), "diagnostics": diagnostics});
    if let Some(n) = version {
        v["version"] = n.into();
    }
    Ok(v)
}

/// The start of a file, for go to definition on an import.
pub fn file_location(target: &str) -> Result<Value, String> {
    Ok(to_value(lsp::Location {
        uri: uri(target)?,
        range: lsp::Range::default(),
    }))
}

/// The workspace folders of `initialize` (`workspaceFolders`, else `rootUri`), as paths.
pub fn workspace_folders(v: &Value) -> Vec<std::path::PathBuf> {
    let mut uris: Vec<&str> = v
        .get("workspaceFolders")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.get("uri").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    if uris.is_empty()
        && let Some(u) = v.get("rootUri").and_then(Value::as_str)
    {
        uris.push(u);
    }
    uris.into_iter()
        .filter_map(super::document::file_path)
        .collect()
}

/// `workspace/didChangeWorkspaceFolders`: (added, removed) folders.
pub fn workspace_folders_change(
    v: Value,
) -> Result<(Vec<std::path::PathBuf>, Vec<std::path::PathBuf>), String> {
    let p: lsp::DidChangeWorkspaceFoldersParams = params(v)?;
    let paths = |l: Vec<lsp::WorkspaceFolder>| {
        l.iter()
            .filter_map(|f| super::document::file_path(f.uri.as_str()))
            .collect()
    };
    Ok((paths(p.event.added), paths(p.event.removed)))
}

/// Markdown or, for a client that did not say it renders Markdown, the same text as
/// plain text (kiln's Markdown is light: backticks and code fences read fine raw).
fn markup(text: String, markdown: bool) -> lsp::MarkupContent {
    lsp::MarkupContent {
        kind: if markdown {
            lsp::MarkupKind::Markdown
        } else {
            lsp::MarkupKind::PlainText
        },
        value: text,
    }
}

/// A hover result (null when there is nothing to say).
pub fn hover(file: &SourceFile, h: Option<Hover>, markdown: bool) -> Value {
    match h {
        None => Value::Null,
        Some(h) => to_value(lsp::Hover {
            contents: lsp::HoverContents::Markup(markup(h.markdown, markdown)),
            range: Some(range(file, h.span)),
        }),
    }
}

/// A completion list.
pub fn completions(file: &SourceFile, items: Vec<Completion>, markdown: bool) -> Value {
    let items: Vec<lsp::CompletionItem> = items
        .into_iter()
        .map(|c| lsp::CompletionItem {
            label: c.label,
            kind: Some(match c.kind {
                ItemKind::Field => lsp::CompletionItemKind::FIELD,
                ItemKind::Block => lsp::CompletionItemKind::MODULE,
                ItemKind::Keyword => lsp::CompletionItemKind::KEYWORD,
                ItemKind::EnumWord => lsp::CompletionItemKind::ENUM_MEMBER,
                ItemKind::Value => lsp::CompletionItemKind::VALUE,
                ItemKind::Reference => lsp::CompletionItemKind::REFERENCE,
                ItemKind::Variable => lsp::CompletionItemKind::VARIABLE,
                ItemKind::Snippet => lsp::CompletionItemKind::SNIPPET,
            }),
            detail: c.detail,
            documentation: c.doc.map(|d| {
                if markdown {
                    lsp::Documentation::MarkupContent(markup(d, true))
                } else {
                    lsp::Documentation::String(d)
                }
            }),
            sort_text: Some(c.sort),
            insert_text_format: Some(if c.snippet {
                lsp::InsertTextFormat::SNIPPET
            } else {
                lsp::InsertTextFormat::PLAIN_TEXT
            }),
            text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
                range: range(file, c.replace),
                new_text: c.insert,
            })),
            ..Default::default()
        })
        .collect();
    to_value(lsp::CompletionResponse::List(lsp::CompletionList {
        is_incomplete: false,
        items,
    }))
}

/// Locations in one document (definition, references); null when empty.
pub fn locations(doc_uri: &str, file: &SourceFile, spans: &[Span]) -> Result<Value, String> {
    if spans.is_empty() {
        return Ok(Value::Null);
    }
    let u = uri(doc_uri)?;
    let locs: Vec<lsp::Location> = spans
        .iter()
        .map(|s| lsp::Location {
            uri: u.clone(),
            range: range(file, *s),
        })
        .collect();
    Ok(to_value(locs))
}

fn text_edits(file: &SourceFile, edits: &[Edit]) -> Vec<lsp::TextEdit> {
    edits
        .iter()
        .map(|e| lsp::TextEdit {
            range: range(file, e.span),
            new_text: e.text.clone(),
        })
        .collect()
}

/// Edits of a formatting request (an empty list when nothing changes).
pub fn formatting(file: &SourceFile, edits: &[Edit]) -> Value {
    to_value(text_edits(file, edits))
}

// `Uri` caches its parse internally (clippy sees interior mutability); its hash and
// equality are of the text, which never changes.
#[allow(clippy::mutable_key_type)]
fn workspace_edit(doc_uri: &lsp::Uri, file: &SourceFile, edits: &[Edit]) -> lsp::WorkspaceEdit {
    let mut changes = HashMap::new();
    changes.insert(doc_uri.clone(), text_edits(file, edits));
    lsp::WorkspaceEdit {
        changes: Some(changes),
        document_changes: None,
        change_annotations: None,
    }
}

/// A rename's edits.
pub fn rename_result(doc_uri: &str, file: &SourceFile, edits: &[Edit]) -> Result<Value, String> {
    Ok(to_value(workspace_edit(&uri(doc_uri)?, file, edits)))
}

/// `prepareRename`: the name's range and text, or null where nothing can be renamed.
pub fn prepare_rename(file: &SourceFile, found: Option<(Span, String)>) -> Value {
    match found {
        None => Value::Null,
        Some((span, name)) => to_value(lsp::PrepareRenameResponse::RangeWithPlaceholder {
            range: range(file, span),
            placeholder: name,
        }),
    }
}

/// Code actions, each linked to the diagnostic it fixes.
pub fn code_actions(
    doc_uri: &str,
    file: &SourceFile,
    actions: Vec<Action>,
    diags: &[Diagnostic],
) -> Result<Value, String> {
    let u = uri(doc_uri)?;
    let out: Vec<lsp::CodeActionOrCommand> = actions
        .into_iter()
        .map(|a| {
            lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: a.title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: a
                    .diagnostic
                    .and_then(|i| diags.get(i))
                    .map(|d| vec![diagnostic(d, &u, file)]),
                edit: Some(workspace_edit(&u, file, &a.edits)),
                command: None,
                is_preferred: a.preferred.then_some(true),
                disabled: None,
                data: None,
            })
        })
        .collect();
    Ok(to_value(out))
}

fn symbol_kind(k: SymbolKind) -> lsp::SymbolKind {
    match k {
        SymbolKind::App => lsp::SymbolKind::MODULE,
        SymbolKind::Service | SymbolKind::Stateful => lsp::SymbolKind::CLASS,
        SymbolKind::Worker | SymbolKind::Daemon => lsp::SymbolKind::CLASS,
        SymbolKind::Job | SymbolKind::Cron => lsp::SymbolKind::FUNCTION,
        SymbolKind::Raw => lsp::SymbolKind::OBJECT,
        SymbolKind::Volume => lsp::SymbolKind::FIELD,
        SymbolKind::Sidecar | SymbolKind::Init => lsp::SymbolKind::STRUCT,
        SymbolKind::Let => lsp::SymbolKind::VARIABLE,
        SymbolKind::Profile => lsp::SymbolKind::NAMESPACE,
        SymbolKind::Template => lsp::SymbolKind::INTERFACE,
    }
}

/// The outline as a flat list, for clients without hierarchical symbols: each entry
/// names its container.
pub fn flat_symbols(
    doc_uri: &str,
    file: &SourceFile,
    outline: Vec<Outline>,
) -> Result<Value, String> {
    let u = uri(doc_uri)?;
    let mut out = Vec::new();
    #[allow(deprecated)] // `deprecated` is a required field of the struct, left unset.
    fn walk(
        u: &lsp::Uri,
        file: &SourceFile,
        list: Vec<Outline>,
        container: Option<&str>,
        out: &mut Vec<lsp::SymbolInformation>,
    ) {
        for o in list {
            out.push(lsp::SymbolInformation {
                name: o.name.clone(),
                kind: symbol_kind(o.kind),
                tags: None,
                deprecated: None,
                location: lsp::Location {
                    uri: u.clone(),
                    range: range(file, o.span),
                },
                container_name: container.map(str::to_string),
            });
            walk(u, file, o.children, Some(&o.name), out);
        }
    }
    walk(&u, file, outline, None, &mut out);
    Ok(to_value(lsp::DocumentSymbolResponse::Flat(out)))
}

/// The outline.
pub fn document_symbols(file: &SourceFile, outline: Vec<Outline>) -> Value {
    #[allow(deprecated)] // `deprecated` is a required field of the struct, left unset.
    fn one(file: &SourceFile, o: Outline) -> lsp::DocumentSymbol {
        lsp::DocumentSymbol {
            name: o.name,
            detail: (!o.detail.is_empty()).then_some(o.detail),
            kind: symbol_kind(o.kind),
            tags: None,
            deprecated: None,
            range: range(file, o.span),
            selection_range: range(file, o.name_span),
            children: if o.children.is_empty() {
                None
            } else {
                Some(o.children.into_iter().map(|c| one(file, c)).collect())
            },
        }
    }
    to_value(lsp::DocumentSymbolResponse::Nested(
        outline.into_iter().map(|o| one(file, o)).collect(),
    ))
}

/// The `window/logMessage` parameters of a log line.
pub fn log_message(text: &str, error: bool) -> Value {
    to_value(lsp::LogMessageParams {
        typ: if error {
            lsp::MessageType::ERROR
        } else {
            lsp::MessageType::LOG
        },
        message: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_positions_round_trip() {
        // `é` is two bytes and one UTF-16 unit; `😀` is four bytes and two units.
        let f = SourceFile::new("t", None, "a = \"é😀x\"\nb");
        let x = f.text.find('x').unwrap() as u32;
        let p = position(&f, x);
        assert_eq!((p.line, p.character), (0, 8));
        assert_eq!(offset(&f, pos(p)), x);
        // Past the end of a line: the end of that line.
        assert_eq!(
            offset(
                &f,
                Pos {
                    line: 0,
                    character: 99
                }
            ),
            f.text.find('\n').unwrap() as u32
        );
        assert_eq!(
            offset(
                &f,
                Pos {
                    line: 9,
                    character: 0
                }
            ),
            f.text.len() as u32
        );
    }
}
