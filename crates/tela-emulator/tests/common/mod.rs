//! Helpers shared by the integration tests: every test talks to a real emulator over TCP.
#![allow(dead_code)]

pub mod dify;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tela_emulator::{CanvasInfo, CanvasSpec, Emulator, EmulatorConfig};

pub const KEY: &str = "test-key";

pub async fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("bind 127.0.0.1:0")
}

/// A fresh client (no proxy from the environment, no shared pool between tests).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

pub fn canvas(emu: &Emulator, spec: CanvasSpec) -> CanvasInfo {
    emu.add_canvas(spec).expect("add canvas")
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// `POST /v2/chat/completions` with the default key.
pub async fn complete(emu: &Emulator, body: Value) -> Answer {
    send(
        client()
            .post(format!("{}/v2/chat/completions", emu.base_url()))
            .bearer_auth(KEY)
            .json(&body),
    )
    .await
}

pub async fn send(request: reqwest::RequestBuilder) -> Answer {
    let resp = request.send().await.expect("response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

/// Asserts a Tela error envelope with this status and code.
pub fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    assert_eq!(answer.body["name"], "Error", "{}", answer.body);
    assert_eq!(answer.body["code"], code, "{}", answer.body);
    assert_eq!(answer.body["status"], status, "{}", answer.body);
    assert!(answer.body["message"].is_string(), "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_request_id(&answer.headers);
}

pub fn assert_request_id(headers: &HeaderMap) {
    let id = headers
        .get("x-request-id")
        .expect("x-request-id")
        .to_str()
        .unwrap();
    assert!(id.starts_with("req_") && id.len() > 8, "{id}");
}

/// One parsed SSE event (or comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Comment(String),
    Message {
        event: Option<String>,
        data: Option<String>,
    },
}

impl Event {
    pub fn data(&self) -> Option<&str> {
        match self {
            Event::Message { data, .. } => data.as_deref(),
            Event::Comment(_) => None,
        }
    }

    /// The JSON of a data event that is not `[DONE]`.
    pub fn json(&self) -> Option<Value> {
        let data = self.data()?;
        if data == "[DONE]" {
            return None;
        }
        Some(serde_json::from_str(data).expect("chunk JSON"))
    }
}

/// Parses a complete SSE body (LF or CRLF), keeping comments as their own items.
pub fn parse_sse(body: &str) -> Vec<Event> {
    let body = body.replace("\r\n", "\n");
    let mut events = Vec::new();
    for block in body.split("\n\n").filter(|b| !b.is_empty()) {
        let mut event = None;
        let mut data: Option<String> = None;
        for line in block.lines() {
            if let Some(comment) = line.strip_prefix(':') {
                events.push(Event::Comment(comment.trim().to_owned()));
            } else if let Some(v) = line.strip_prefix("event: ") {
                event = Some(v.to_owned());
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = Some(match data {
                    Some(d) => format!("{d}\n{v}"),
                    None => v.to_owned(),
                });
            } else {
                panic!("unexpected SSE line {line:?}");
            }
        }
        if event.is_some() || data.is_some() {
            events.push(Event::Message { event, data });
        }
    }
    events
}

/// The JSON chunks of a stream, without comments, pings and `[DONE]`.
pub fn chunks(events: &[Event]) -> Vec<Value> {
    events.iter().filter_map(Event::json).collect()
}

/// Starts a `stream: true` request and returns the response (headers read, body not).
pub async fn start_stream(emu: &Emulator, canvas_id: &str) -> reqwest::Response {
    client()
        .post(format!("{}/v2/chat/completions", emu.base_url()))
        .bearer_auth(KEY)
        .json(&serde_json::json!({"canvas_id": canvas_id, "stream": true}))
        .send()
        .await
        .expect("stream response")
}

/// Reads a stream's body piece by piece: the pieces and whether it ended cleanly.
pub async fn read_pieces(resp: reqwest::Response) -> (Vec<bytes::Bytes>, bool) {
    use futures::StreamExt;
    let mut stream = resp.bytes_stream();
    let mut pieces = Vec::new();
    while let Some(piece) = stream.next().await {
        match piece {
            Ok(p) => pieces.push(p),
            Err(_) => return (pieces, false),
        }
    }
    (pieces, true)
}

pub fn text(pieces: &[bytes::Bytes]) -> String {
    String::from_utf8(pieces.concat()).expect("UTF-8 body")
}
