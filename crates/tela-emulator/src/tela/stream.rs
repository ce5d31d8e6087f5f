//! The SSE body of `stream: true` (protocol.md §3.3), produced lazily one chunk at a time so a
//! reply of any length streams in constant memory, with the misbehaviours of [`StreamSpec`].

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures::Stream;
use serde::Serialize;
use serde_json::{Value, json};

use super::reply::Content;
use super::spec::{ErrorStyle, StreamSpec};

/// Fields shared by every chunk of one stream.
pub(crate) struct ChunkMeta {
    pub id: String,
    pub created: u64,
    pub model: String,
}

pub(crate) fn response(
    spec: StreamSpec,
    meta: ChunkMeta,
    content: Content,
    strict: bool,
) -> Response {
    let mut sse = Sse::new(spec, meta, content);
    sse.strict = strict;
    let body = Body::from_stream(sse.into_stream());
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::OK;
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

#[derive(Serialize)]
struct Chunk<'a> {
    id: &'a str,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [Choice<'a>; 1],
    message: Message<'a>,
}

#[derive(Serialize)]
struct Choice<'a> {
    delta: Delta<'a>,
    finish_reason: Option<&'static str>,
    index: u32,
    logprobs: Option<()>,
}

#[derive(Serialize)]
struct Delta<'a> {
    role: Option<&'static str>,
    content: Option<&'a str>,
    function_call: Option<()>,
}

#[derive(Serialize)]
struct Message<'a> {
    role: &'static str,
    content: Option<&'a str>,
    function_call: Option<()>,
    tool_calls: [(); 0],
    structured_content: Option<&'a Value>,
}

/// One unit of output: bytes to write, a pause, or the abort of the connection.
enum Step {
    Data(Bytes),
    Pause(Duration),
    Abort,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Content,
    Final,
    Done,
    Finished,
}

/// Pause between the pieces of a split frame: long enough that the reader usually gets
/// them in separate reads.
const SPLIT_PAUSE: Duration = Duration::from_millis(1);
/// Pause before an abort, so hyper flushes the chunks sent before it.
const ABORT_PAUSE: Duration = Duration::from_millis(5);

struct Sse {
    spec: StreamSpec,
    meta: ChunkMeta,
    text: String,
    structured: Option<Value>,
    /// Byte offset in `text` of the next delta.
    pos: usize,
    /// Data chunks sent so far (what the "after N chunks" options count).
    sent: usize,
    phase: Phase,
    stalled: bool,
    /// Whether the next comment slot gets a ping (they alternate with `: keep-alive`).
    ping_next: bool,
    newline: &'static str,
    queue: VecDeque<Step>,
    /// Strict mode (protocol.md §8): chunks carry only the documented fields.
    strict: bool,
}

impl Sse {
    fn new(spec: StreamSpec, meta: ChunkMeta, content: Content) -> Sse {
        let (text, structured) = match content {
            Content::Text(text) => (text, None),
            Content::Structured(value) => (value.to_string(), Some(value)),
        };
        let newline = if spec.crlf { "\r\n" } else { "\n" };
        Sse {
            spec,
            meta,
            text,
            structured,
            pos: 0,
            sent: 0,
            phase: Phase::Start,
            stalled: false,
            ping_next: false,
            newline,
            queue: VecDeque::new(),
            strict: false,
        }
    }

    fn into_stream(self) -> impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
        futures::stream::unfold(self, |mut sse| async move {
            loop {
                match sse.queue.pop_front() {
                    Some(Step::Data(bytes)) => return Some((Ok(bytes), sse)),
                    Some(Step::Pause(d)) => tokio::time::sleep(d).await,
                    Some(Step::Abort) => {
                        sse.queue.clear();
                        sse.phase = Phase::Finished;
                        let err = io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "stream dropped by StreamSpec.drop_after",
                        );
                        return Some((Err(err), sse));
                    }
                    None if sse.refill() => {}
                    None => return None,
                }
            }
        })
    }

    /// Queues the steps of the next chunk; false once the stream is over.
    fn refill(&mut self) -> bool {
        match self.phase {
            Phase::Finished => return false,
            Phase::Start => {
                if self.spec.comments {
                    self.push_comment();
                }
                self.phase = Phase::Content;
            }
            _ => {}
        }
        if self.spec.drop_after == Some(self.sent) {
            self.queue.push_back(Step::Pause(ABORT_PAUSE));
            self.queue.push_back(Step::Abort);
            self.phase = Phase::Finished;
            return true;
        }
        if self.spec.error_after == Some(self.sent) {
            self.push_error();
            self.phase = Phase::Finished;
            return true;
        }
        if self.spec.stall_after == Some(self.sent) && !self.stalled {
            self.stalled = true;
            self.queue
                .push_back(Step::Pause(Duration::from_millis(self.spec.stall_ms)));
        }
        if self.sent > 0 && self.spec.delay_ms > 0 && self.phase != Phase::Done {
            self.queue
                .push_back(Step::Pause(Duration::from_millis(self.spec.delay_ms)));
        }
        match self.phase {
            Phase::Content => self.push_content(),
            Phase::Final => self.push_final(),
            Phase::Done => {
                if self.spec.done {
                    self.push_frame("data: [DONE]");
                }
                self.phase = Phase::Finished;
            }
            Phase::Start | Phase::Finished => {}
        }
        true
    }

    /// End of the next delta: `chunk_size` characters on, never inside a UTF-8 sequence.
    fn next_end(&self) -> usize {
        let rest = &self.text[self.pos..];
        if self.spec.chunk_size == 0 {
            return self.text.len();
        }
        rest.char_indices()
            .nth(self.spec.chunk_size)
            .map_or(self.text.len(), |(i, _)| self.pos + i)
    }

    /// A `chat.completion.chunk` of this stream: `delta` in its one choice, and the message
    /// accumulated so far (`content`, and `structured` content on the final chunk).
    fn chunk<'a>(
        &'a self,
        delta: Delta<'a>,
        finish_reason: Option<&'static str>,
        content: Option<&'a str>,
        structured: Option<&'a Value>,
    ) -> Chunk<'a> {
        Chunk {
            id: &self.meta.id,
            object: "chat.completion.chunk",
            created: self.meta.created,
            model: &self.meta.model,
            choices: [Choice {
                delta,
                finish_reason,
                index: 0,
                logprobs: None,
            }],
            message: Message {
                role: "assistant",
                content,
                function_call: None,
                tool_calls: [],
                structured_content: structured,
            },
        }
    }

    fn push_content(&mut self) {
        let end = self.next_end();
        // A reply with no text still sends one (empty) delta carrying the role.
        let accumulated = (end <= self.spec.accumulate_limit).then(|| &self.text[..end]);
        let delta = Delta {
            role: (self.sent == 0).then_some("assistant"),
            content: Some(&self.text[self.pos..end]),
            function_call: None,
        };
        let chunk = self.chunk(delta, None, accumulated, None);
        let frame = format!("data: {}", self.encode(&chunk));
        self.push_frame(&frame);
        self.pos = end;
        self.sent += 1;
        if self.pos >= self.text.len() {
            self.phase = Phase::Final;
        }
        if self.spec.comments {
            self.push_comment();
        }
    }

    fn push_final(&mut self) {
        let delta = Delta {
            role: None,
            content: None,
            function_call: None,
        };
        let chunk = self.chunk(
            delta,
            Some("stop"),
            Some(&self.text),
            self.structured.as_ref(),
        );
        let frame = format!("data: {}", self.encode(&chunk));
        self.push_frame(&frame);
        self.sent += 1;
        self.phase = Phase::Done;
    }

    fn push_error(&mut self) {
        let error = json!({"message": "Model provider failed", "code": "PROVIDER_ERROR"});
        let frame = match self.spec.error_style {
            ErrorStyle::Data => format!("data: {}", json!({"error": error})),
            ErrorStyle::Event => format!(
                "event: error{}data: {}",
                self.newline,
                json!({"error": error, "message": "Model provider failed"})
            ),
        };
        self.push_frame(&frame);
    }

    /// Alternates `: keep-alive` comments and data-less `event: ping` frames.
    fn push_comment(&mut self) {
        let frame = if self.ping_next {
            "event: ping"
        } else {
            ": keep-alive"
        };
        self.ping_next = !self.ping_next;
        self.push_frame(frame);
    }

    /// Queues `lines` (joined by the newline already) plus the blank line ending the event,
    /// split into pieces when `split_frames` is on.
    /// A chunk's JSON text; in strict mode (protocol.md §8) only `id`, `object`, `created`,
    /// `choices[].delta.{role, content}` and `message.{role, content, structured_content}`:
    /// the Tela docs name `delta.content` and `message.structured_content`; `model`,
    /// `index`, `finish_reason`, `logprobs`, `function_call` and `tool_calls` are only in
    /// the official SDKs' types.
    fn encode(&self, chunk: &Chunk<'_>) -> String {
        if !self.strict {
            return serde_json::to_string(chunk).unwrap_or_default();
        }
        let mut value = serde_json::to_value(chunk).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.remove("model");
            if let Some(Value::Array(choices)) = obj.get_mut("choices") {
                for choice in choices.iter_mut().filter_map(Value::as_object_mut) {
                    choice.retain(|k, _| k == "delta");
                    if let Some(Value::Object(delta)) = choice.get_mut("delta") {
                        delta.remove("function_call");
                    }
                }
            }
            if let Some(Value::Object(message)) = obj.get_mut("message") {
                message.retain(|k, _| k == "role" || k == "content" || k == "structured_content");
            }
        }
        value.to_string()
    }

    fn push_frame(&mut self, lines: &str) {
        let mut frame = String::with_capacity(lines.len() + 4);
        frame.push_str(lines);
        frame.push_str(self.newline);
        frame.push_str(self.newline);
        let bytes = Bytes::from(frame);
        if !self.spec.split_frames || bytes.len() < 4 {
            self.queue.push_back(Step::Data(bytes));
            return;
        }
        for (i, piece) in split_at_odd_offsets(bytes).into_iter().enumerate() {
            if i > 0 {
                self.queue.push_back(Step::Pause(SPLIT_PAUSE));
            }
            self.queue.push_back(Step::Data(piece));
        }
    }
}

/// Cuts `bytes` (at least 4 long) into 2 or 3 pieces at odd offsets, deliberately ignoring
/// line and UTF-8 boundaries.
fn split_at_odd_offsets(bytes: Bytes) -> Vec<Bytes> {
    // Odd offsets in 1..len: 1, 3, 5, ...
    let odd_count = bytes.len() / 2;
    let mut cuts = vec![2 * fastrand::usize(0..odd_count) + 1];
    if fastrand::bool() {
        cuts.push(2 * fastrand::usize(0..odd_count) + 1);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut pieces = Vec::with_capacity(3);
    let mut start = 0;
    for cut in cuts {
        if cut > start && cut < bytes.len() {
            pieces.push(bytes.slice(start..cut));
            start = cut;
        }
    }
    pieces.push(bytes.slice(start..));
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_pieces_rejoin() {
        for len in 4..40 {
            let data = Bytes::from(vec![b'x'; len]);
            let pieces = split_at_odd_offsets(data.clone());
            assert!((2..=3).contains(&pieces.len()), "len {len}");
            assert_eq!(pieces.concat(), data.to_vec());
            assert!(pieces[..pieces.len() - 1].iter().all(|p| !p.is_empty()));
        }
    }

    fn drain(spec: StreamSpec, content: Content) -> Vec<String> {
        let meta = ChunkMeta {
            id: "chatcmpl-1".into(),
            created: 1,
            model: "m".into(),
        };
        let mut sse = Sse::new(spec, meta, content);
        let mut out = Vec::new();
        while sse.refill() {
            for step in sse.queue.drain(..) {
                if let Step::Data(b) = step {
                    out.push(String::from_utf8(b.to_vec()).unwrap());
                }
            }
        }
        out
    }

    #[test]
    fn multibyte_chunks_stay_whole() {
        let spec = StreamSpec {
            chunk_size: 2,
            ..Default::default()
        };
        let frames = drain(spec, Content::Text("héllo wörld".into()));
        // 6 content chunks, the final one, [DONE].
        assert_eq!(frames.len(), 8);
        assert_eq!(frames[7], "data: [DONE]\n\n");
    }

    #[test]
    fn frames_are_made_one_chunk_at_a_time() {
        let meta = ChunkMeta {
            id: "chatcmpl-1".into(),
            created: 1,
            model: "m".into(),
        };
        let mut sse = Sse::new(
            StreamSpec::default(),
            meta,
            Content::Text("x".repeat(400_000)),
        );
        assert!(sse.queue.is_empty());
        assert!(sse.refill());
        assert_eq!(sse.queue.len(), 1);
    }

    #[test]
    fn accumulation_is_capped() {
        let spec = StreamSpec {
            chunk_size: 1,
            accumulate_limit: 2,
            ..Default::default()
        };
        let frames = drain(spec, Content::Text("abcd".into()));
        let chunk = |i: usize| -> Value {
            serde_json::from_str(frames[i].trim().strip_prefix("data: ").unwrap()).unwrap()
        };
        assert_eq!(chunk(1)["message"]["content"], "ab");
        assert_eq!(chunk(2)["message"]["content"], Value::Null);
        assert_eq!(chunk(4)["message"]["content"], "abcd");
    }
}
