//! The server over an in-memory connection, with every message queued before it starts,
//! so that they arrive as one batch: a request the client cancelled is answered with
//! `RequestCancelled`, a request made stale by a later change of its document with
//! `ContentModified`, and the others normally, in order.

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};
use std::time::Duration;

const URI: &str = "file:///tmp/kiln-memory/app.kiln";

fn req(id: i32, method: &str, params: Value) -> Message {
    Message::Request(Request::new(RequestId::from(id), method.into(), params))
}

fn note(method: &str, params: Value) -> Message {
    Message::Notification(Notification::new(method.into(), params))
}

fn hover_at(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

#[test]
fn cancelled_and_stale_requests_in_one_batch() {
    let (server, client) = Connection::memory();
    let text = "app a {\n  image = \"r/a:1.0\"\n  job m { command = [\"x\"] }\n}\n";
    for m in [
        req(1, "initialize", json!({"capabilities": {}})),
        note("initialized", json!({})),
        note(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "kiln", "version": 1, "text": text}}),
        ),
        // Cancelled before it is handled.
        req(2, "textDocument/hover", hover_at(1, 3)),
        note("$/cancelRequest", json!({"id": 2})),
        // Made stale by the change that follows it.
        req(3, "textDocument/hover", hover_at(1, 3)),
        note(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": 2},
                   "contentChanges": [{"range": {"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 5}}, "text": "b"}]}),
        ),
        // After the change: answered.
        req(4, "textDocument/hover", hover_at(1, 3)),
        req(5, "shutdown", Value::Null),
        note("exit", Value::Null),
    ] {
        client.sender.send(m).unwrap();
    }
    let handle = std::thread::spawn(move || kiln::lsp::serve(server));
    let mut responses = Vec::new();
    while let Ok(m) = client.receiver.recv_timeout(Duration::from_secs(30)) {
        if let Message::Response(r) = m {
            responses.push(r);
        }
        if responses.len() == 5 {
            break;
        }
    }
    assert_eq!(handle.join().unwrap(), 0);
    let by_id = |id: i32| {
        responses
            .iter()
            .find(|r| r.id == RequestId::from(id))
            .unwrap_or_else(|| panic!("no response {id}: {responses:?}"))
    };
    assert_eq!(
        by_id(2).response_result.as_ref().err().map(|e| e.code),
        Some(-32800)
    );
    assert_eq!(
        by_id(3).response_result.as_ref().err().map(|e| e.code),
        Some(-32801)
    );
    let ok = by_id(4)
        .response_result
        .as_ref()
        .expect("hover after the change");
    assert!(
        ok["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("`image`")
    );
    // Responses keep the order of the requests.
    let order: Vec<RequestId> = responses.iter().map(|r| r.id.clone()).collect();
    assert_eq!(order, (1..=5).map(RequestId::from).collect::<Vec<_>>());
}
