//! The stdio transport: LSP base-protocol framing (`Content-Length` headers) on a reader
//! and a writer thread, delivering [`lsp_server::Message`]s through an
//! [`lsp_server::Connection`].
//!
//! lsp-server's own `Connection::stdio` ends its reader thread on the first malformed
//! message, which closes the connection: one bad message from a client would stop the
//! server. This reader instead answers what it cannot read (a JSON-RPC parse error, or
//! an invalid request with the id it could find) and goes on with the next message; it
//! stops only at the end of its input or after `exit`.

use crossbeam_channel::{Receiver, Sender, unbounded};
use lsp_server::{Connection, Message};
use std::io::{self, BufRead, Read, Write};
use std::thread;

/// The largest message body accepted; a larger one is skipped and answered with an error.
const MAX_BODY: usize = 64 << 20;

/// JSON-RPC: the body is not JSON.
const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: the body is JSON but not a request, response or notification.
const INVALID_REQUEST: i64 = -32600;

/// The reader and writer threads of a transport.
pub struct IoThreads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<()>,
}

impl IoThreads {
    /// Waits for the writer to flush what the server sent. The reader is not joined: it
    /// may be blocked reading a client that keeps its end open, and the process is about
    /// to exit anyway.
    pub fn join(self) {
        let _ = self.writer.join();
        drop(self.reader);
    }
}

/// A connection over the process's stdin and stdout.
pub fn stdio() -> (Connection, IoThreads) {
    connect(
        || io::BufReader::new(io::stdin()),
        || io::BufWriter::new(io::stdout()),
    )
}

/// A connection over any byte streams (the reader and writer are made on their threads,
/// so stdin and stdout locks stay there).
pub fn connect<R, W>(
    make_reader: impl FnOnce() -> R + Send + 'static,
    make_writer: impl FnOnce() -> W + Send + 'static,
) -> (Connection, IoThreads)
where
    R: BufRead,
    W: Write,
{
    let (in_tx, in_rx) = unbounded::<Message>();
    let (out_tx, out_rx) = unbounded::<Message>();
    let (raw_tx, raw_rx) = unbounded::<String>();
    let writer = thread::Builder::new()
        .name("kiln-lsp-writer".into())
        .spawn(move || write_loop(make_writer(), out_rx, raw_rx))
        .unwrap_or_else(|e| fatal_spawn(e));
    let reader = thread::Builder::new()
        .name("kiln-lsp-reader".into())
        .spawn(move || read_loop(make_reader(), in_tx, raw_tx))
        .unwrap_or_else(|e| fatal_spawn(e));
    (
        Connection {
            sender: out_tx,
            receiver: in_rx,
        },
        IoThreads { reader, writer },
    )
}

fn fatal_spawn(e: io::Error) -> ! {
    // Without its two threads the server cannot speak at all; nothing to recover.
    eprintln!("kiln lsp: cannot start a thread: {e}");
    std::process::exit(3)
}

fn write_loop(mut out: impl Write, msgs: Receiver<Message>, raw: Receiver<String>) {
    let mut raw_open = true;
    loop {
        let result = if raw_open {
            crossbeam_channel::select! {
                recv(msgs) -> m => match m {
                    Ok(m) => m.write(&mut out),
                    // The server is done: everything it sent is written.
                    Err(_) => break,
                },
                recv(raw) -> r => match r {
                    Ok(text) => write_frame(&mut out, &text),
                    Err(_) => {
                        raw_open = false;
                        Ok(())
                    }
                },
            }
        } else {
            match msgs.recv() {
                Ok(m) => m.write(&mut out),
                Err(_) => break,
            }
        };
        if let Err(e) = result {
            eprintln!("kiln lsp: cannot write to the client: {e}");
            break;
        }
    }
    let _ = out.flush();
}

fn write_frame(out: &mut impl Write, text: &str) -> io::Result<()> {
    write!(out, "Content-Length: {}\r\n\r\n", text.len())?;
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// A JSON-RPC error response written by the transport itself (the server never saw the
/// message): `id` is the request's id when one could be read, else null.
fn error_frame(id: serde_json::Value, code: i64, message: &str) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    })
    .to_string()
}

fn read_loop(mut input: impl BufRead, tx: Sender<Message>, raw: Sender<String>) {
    loop {
        let body = match read_frame(&mut input) {
            Ok(Frame::Body(b)) => b,
            Ok(Frame::Eof) => return,
            Ok(Frame::Skipped(why)) => {
                eprintln!("kiln lsp: skipped a message: {why}");
                let _ = raw.send(error_frame(serde_json::Value::Null, INVALID_REQUEST, &why));
                continue;
            }
            Err(e) => {
                eprintln!("kiln lsp: cannot read from the client: {e}");
                return;
            }
        };
        let value: serde_json::Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                let why = format!("the message is not JSON: {e}");
                eprintln!("kiln lsp: {why}");
                let _ = raw.send(error_frame(serde_json::Value::Null, PARSE_ERROR, &why));
                continue;
            }
        };
        let id = value.get("id").cloned().unwrap_or(serde_json::Value::Null);
        let msg: Message = match serde_json::from_value(value) {
            Ok(m) => m,
            Err(e) => {
                let why =
                    format!("the message is not a JSON-RPC request, response or notification: {e}");
                eprintln!("kiln lsp: {why}");
                // A notification cannot be answered; anything with an id can.
                if !id.is_null() {
                    let _ = raw.send(error_frame(id, INVALID_REQUEST, &why));
                }
                continue;
            }
        };
        let is_exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
        if tx.send(msg).is_err() || is_exit {
            return;
        }
    }
}

enum Frame {
    Body(Vec<u8>),
    Eof,
    /// A frame that could not be read, already consumed; the reason.
    Skipped(String),
}

/// Reads one frame: headers up to an empty line, then `Content-Length` bytes. A header
/// block without a usable length is skipped (the next frame starts after its empty line).
fn read_frame(input: &mut impl BufRead) -> io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad: Option<String> = None;
    let mut saw_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        // A header line is short; a client that sends megabytes without a newline is
        // broken, and the limit keeps memory bounded.
        let n = input
            .by_ref()
            .take(64 * 1024)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Frame::Eof);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if !saw_header {
                // Blank lines between frames are tolerated.
                continue;
            }
            break;
        }
        saw_header = true;
        match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(v) => length = Some(v),
                    Err(_) => bad = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
            Some(_) => {}
            None => bad = Some(format!("malformed header line `{text}`")),
        }
    }
    let Some(length) = length else {
        return Ok(Frame::Skipped(
            bad.unwrap_or_else(|| "a message without Content-Length".into()),
        ));
    };
    if length > MAX_BODY {
        io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())?;
        return Ok(Frame::Skipped(format!(
            "a message of {length} bytes (the limit is {MAX_BODY})"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Frame::Body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<String> {
        let mut r = io::BufReader::new(input.as_bytes());
        let mut out = Vec::new();
        loop {
            match read_frame(&mut r) {
                Ok(Frame::Body(b)) => out.push(String::from_utf8_lossy(&b).into_owned()),
                Ok(Frame::Skipped(w)) => out.push(format!("skipped: {w}")),
                Ok(Frame::Eof) | Err(_) => return out,
            }
        }
    }

    #[test]
    fn framing_recovers_from_bad_headers() {
        let input = "Content-Length: 2\r\n\r\n{}garbage\r\n\r\nContent-Length: x\r\n\r\nContent-Length: 4\r\nContent-Type: a\r\n\r\nnull";
        assert_eq!(
            frames(input),
            vec![
                "{}",
                "skipped: malformed header line `garbage`",
                "skipped: bad Content-Length `x`",
                "null"
            ]
        );
    }
}
