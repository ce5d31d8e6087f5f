//! A response body turned into a stream of API events by a producer task.
//!
//! The task reads the body, decodes SSE, applies the API's stream rules (Tela `[DONE]`,
//! error chunks; Dify `event` field, pings) and sends *batches* of event payloads through a
//! bounded channel: one channel hop (and one GIL crossing on the Python side) per network
//! read, not per event. Dropping the [`EventStream`] aborts the task, which drops the
//! response and closes the connection.

use std::time::Duration;

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::error::{ConnectionKind, Error, Result, TimeoutKind, classify_transport};
use crate::shape::{self, Shape};
use crate::sse::{SseDecoder, SseEvent};
use crate::tally::Tally;
use crate::transport::OpenResponse;

/// Which API's stream rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// JSON chunks; ends at `data: [DONE]` or EOF; `{"error": ...}` or `event: error` raise.
    Tela,
    /// JSON events typed by their `event` field; no `[DONE]`; `event: error` raises.
    Dify,
}

/// How one stream is decoded: the API's rules, the cap on one event, and the request path
/// that error messages name.
#[derive(Clone, Debug)]
pub struct Decoding {
    pub flavor: Flavor,
    pub max_event_bytes: usize,
    pub path: String,
}

/// The JSON payloads of the events of one network read.
pub type Batch = Vec<String>;

/// The producing side of an [`EventStream`] built with [`EventStream::from_task`].
pub type BatchSender = mpsc::Sender<Result<Batch>>;

/// Channel depth in batches: enough to absorb bursts, small enough to keep memory bounded
/// when the consumer is slow (the producer then stops reading and TCP pushes back).
const CHANNEL_BATCHES: usize = 32;

/// How many already-received bytes one batch may gather before it is handed over.
const DRAIN_BYTES: usize = 256 * 1024;

/// How many events one hand-over to the consumer may merge from queued batches.
const MAX_MERGED: usize = 4096;

pub struct EventStream {
    rx: mpsc::Receiver<Result<Batch>>,
    /// An error that arrived behind events already handed over.
    pending: Option<Result<Batch>>,
    task: tokio::task::AbortHandle,
    pub request_id: Option<String>,
    /// Which API's events these are; `None` for a caller's task (`from_task`).
    flavor: Option<Flavor>,
    /// What a Tela stream adds up to, counted as batches are handed over (so it matches
    /// what the consumer was given, not what the producer read ahead).
    tally: Option<Tally>,
}

impl EventStream {
    /// Starts the producer on the current runtime.
    pub fn spawn(
        open: OpenResponse,
        decoding: Decoding,
        idle: Option<Duration>,
        total: Option<Duration>,
    ) -> Self {
        let request_id = open.request_id.clone();
        let flavor = decoding.flavor;
        let mut stream = Self::from_task(request_id, move |tx| {
            produce(open, decoding, idle, total, tx)
        });
        stream.flavor = Some(flavor);
        if flavor == Flavor::Tela {
            stream.tally = Some(Tally::default());
        }
        stream
    }

    /// A stream fed by a task of the caller's (a poll loop, say) instead of a response body.
    /// Same contract: the task stops when the stream is closed or dropped, and a failed
    /// `send` tells it the consumer is gone.
    pub fn from_task<F, Fut>(request_id: Option<String>, task: F) -> Self
    where
        F: FnOnce(BatchSender) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
        let task = tokio::spawn(task(tx)).abort_handle();
        EventStream {
            rx,
            pending: None,
            task,
            request_id,
            flavor: None,
            tally: None,
        }
    }

    /// The next batch; `None` once the stream has ended cleanly (or after an error was returned).
    pub async fn next_batch(&mut self) -> Option<Result<Batch>> {
        if let Some(p) = self.pending.take() {
            return Some(p);
        }
        let first = self.rx.recv().await?;
        Some(self.merge(first))
    }

    /// A batch if one is ready now, without waiting.
    pub fn try_next_batch(&mut self) -> Option<Result<Batch>> {
        if let Some(p) = self.pending.take() {
            return Some(p);
        }
        let first = self.rx.try_recv().ok()?;
        Some(self.merge(first))
    }

    /// Joins the batches already queued behind `first`: one hand-over (one GIL crossing,
    /// one asyncio wake-up) for everything that is ready. An error queued behind the events
    /// is kept for the next call, so the events before it are still delivered.
    fn merge(&mut self, first: Result<Batch>) -> Result<Batch> {
        let mut batch = first?;
        while batch.len() < MAX_MERGED {
            match self.rx.try_recv() {
                Ok(Ok(more)) => batch.extend(more),
                Ok(Err(e)) => {
                    self.pending = Some(Err(e));
                    break;
                }
                Err(_) => break,
            }
        }
        if let Some(tally) = self.tally.as_mut() {
            for event in &batch {
                tally.add(event);
            }
        }
        Ok(batch)
    }

    /// Which API's stream rules decode this stream (`None` for a caller's task).
    pub fn flavor(&self) -> Option<Flavor> {
        self.flavor
    }

    /// The totals of a Tela stream over the events handed over so far (`None` for others).
    pub fn tally(&self) -> Option<&Tally> {
        self.tally.as_ref()
    }

    /// Takes the totals out (the stream is about to be dropped).
    pub fn take_tally(&mut self) -> Option<Tally> {
        self.tally.take()
    }

    /// A handle that stops the producer from anywhere, even while a reader awaits a batch.
    pub fn abort_handle(&self) -> tokio::task::AbortHandle {
        self.task.clone()
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A 2xx answer to a streaming request that is not an event stream (a captive portal's
/// HTML, a JSON completion, a 204) would read as an empty stream: it is an error, showing the
/// content type and the start of the body.
pub async fn expect_event_stream(
    open: OpenResponse,
    path: &str,
    read: Option<Duration>,
) -> Result<OpenResponse> {
    let content_type = open
        .response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let is_sse = content_type.as_deref().is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/event-stream"))
    });
    if is_sse {
        return Ok(open);
    }
    let status = open.response.status().as_u16();
    let OpenResponse {
        mut response,
        request_id,
        method,
        ..
    } = open;
    // The start of the body, for the message; bounded in size and by the read deadline.
    let mut start = Vec::new();
    while start.len() < 512 {
        match crate::transport::maybe_timeout(read, response.chunk()).await {
            Ok(Ok(Some(chunk))) => start.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let shown = match content_type {
        Some(ct) => format!("Content-Type {ct:?}"),
        None => "no Content-Type".to_owned(),
    };
    let body = if start.is_empty() {
        "an empty body".to_owned()
    } else {
        format!("a body starting {}", shape::preview(&start))
    };
    Err(Error::Decode {
        status,
        message: format!("expected an event stream (text/event-stream), got {shown} and {body}"),
        method,
        path: path.to_owned(),
        request_id,
    })
}

async fn produce(
    open: OpenResponse,
    decoding: Decoding,
    idle: Option<Duration>,
    total: Option<Duration>,
    tx: mpsc::Sender<Result<Batch>>,
) {
    let OpenResponse {
        mut response,
        url,
        method,
        request_id,
        ..
    } = open;
    let deadline = total.map(|t| Instant::now() + t);
    let mut decoder = SseDecoder::with_max_event_bytes(decoding.max_event_bytes);
    let call = Call {
        method: &method,
        path: &decoding.path,
        request_id: request_id.as_deref(),
    };
    let mut events: Vec<SseEvent> = Vec::new();
    loop {
        let read = response.chunk();
        let limit = next_limit(idle, deadline);
        let chunk = match limit {
            None => read.await,
            Some((at, kind)) => match tokio::time::timeout_at(at, read).await {
                Ok(r) => r,
                Err(_) => {
                    let after = match kind {
                        TimeoutKind::StreamIdle => idle.unwrap_or_default(),
                        _ => total.unwrap_or_default(),
                    };
                    let _ = tx
                        .send(Err(Error::Timeout {
                            kind,
                            after,
                            method,
                            url,
                        }))
                        .await;
                    return;
                }
            },
        };
        let eof = match chunk {
            Ok(Some(bytes)) => {
                decoder.feed(&bytes, &mut events);
                // Take whatever else has already arrived, so a consumer that lags behind gets
                // one large batch instead of many one-event ones (polling a body read that is
                // not ready loses nothing).
                let mut drained = bytes.len();
                let mut eof = false;
                while drained < DRAIN_BYTES && decoder.exceeded().is_none() {
                    match response.chunk().now_or_never() {
                        Some(Ok(Some(more))) => {
                            drained += more.len();
                            decoder.feed(&more, &mut events);
                        }
                        Some(Ok(None)) => {
                            decoder.finish(&mut events);
                            eof = true;
                            break;
                        }
                        // Errors and "not ready yet" are picked up by the next awaited read.
                        _ => break,
                    }
                }
                eof
            }
            Ok(None) => {
                decoder.finish(&mut events);
                true
            }
            Err(e) => {
                let (kind, detail) = classify_transport(&e);
                let kind = if kind == ConnectionKind::Other {
                    ConnectionKind::Incomplete
                } else {
                    kind
                };
                let detail = format!("the stream was cut before it ended: {detail}");
                let _ = tx
                    .send(Err(Error::Connection {
                        kind,
                        method,
                        url,
                        detail,
                        attempts: 1,
                    }))
                    .await;
                return;
            }
        };
        let (batch, mut end) = classify(decoding.flavor, &mut events, &call);
        if let (End::No, Some(cap)) = (&end, decoder.exceeded()) {
            end = End::Error(call.decode(format!(
                "an event grew past max_event_bytes={cap} ({}) without ending; the stream was closed. \
                 If the server really sends events this large, raise the cap with max_event_bytes=... on the client.",
                human_bytes(cap)
            )));
        }
        if !batch.is_empty() && tx.send(Ok(batch)).await.is_err() {
            return; // the consumer is gone: dropping `response` closes the connection
        }
        match end {
            End::No if !eof => {}
            End::No | End::Done => return,
            End::Error(err) => {
                let _ = tx.send(Err(err)).await;
                return;
            }
        }
    }
}

/// The earlier of the idle deadline and the total deadline.
fn next_limit(idle: Option<Duration>, deadline: Option<Instant>) -> Option<(Instant, TimeoutKind)> {
    let idle_at = idle.map(|d| (Instant::now() + d, TimeoutKind::StreamIdle));
    match (idle_at, deadline) {
        (Some(i), Some(t)) => Some(if t < i.0 {
            (t, TimeoutKind::StreamTotal)
        } else {
            i
        }),
        (Some(i), None) => Some(i),
        (None, Some(t)) => Some((t, TimeoutKind::StreamTotal)),
        (None, None) => None,
    }
}

enum End {
    No,
    Done,
    Error(Error),
}

/// The request a stream answers, for the messages of the errors found in it.
struct Call<'a> {
    method: &'a str,
    path: &'a str,
    request_id: Option<&'a str>,
}

impl Call<'_> {
    fn decode(&self, message: String) -> Error {
        Error::Decode {
            status: 200,
            message,
            method: self.method.to_owned(),
            path: self.path.to_owned(),
            request_id: self.request_id.map(str::to_owned),
        }
    }
}

fn human_bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

fn classify(flavor: Flavor, events: &mut Vec<SseEvent>, call: &Call<'_>) -> (Batch, End) {
    let mut batch = Vec::with_capacity(events.len());
    let shape = match flavor {
        Flavor::Tela => Shape::Completion,
        Flavor::Dify => Shape::Dify,
    };
    for ev in events.drain(..) {
        let before = batch.len();
        let end = match flavor {
            Flavor::Tela => tela_event(ev, &mut batch),
            Flavor::Dify => dify_event(ev, &mut batch),
        };
        // An event the SDK cannot read ends the stream with a typed error, raised after the
        // good events before it were delivered.
        if batch.len() > before
            && let Err(why) = shape::check(batch[before].as_bytes(), shape)
        {
            batch.truncate(before);
            return (batch, End::Error(call.decode(format!("bad event: {why}"))));
        }
        if !matches!(end, End::No) {
            return (batch, end);
        }
    }
    (batch, End::No)
}

fn tela_event(ev: SseEvent, batch: &mut Batch) -> End {
    if ev.data.starts_with("[DONE]") {
        return End::Done;
    }
    match ev.event.as_deref() {
        None | Some("message") | Some("chunk") => {}
        Some("error") => return End::Error(stream_error(&ev.data)),
        // Undocumented named events carry nothing a chunk consumer can use.
        Some(other) => {
            log::debug!("skipping SSE event {other:?}");
            return End::No;
        }
    }
    // Cheap pre-check: only chunks that mention "error" are parsed here.
    if memchr::memmem::find(ev.data.as_bytes(), b"\"error\"").is_some()
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&ev.data)
        && v.get("error").is_some_and(truthy)
    {
        return End::Error(stream_error(&ev.data));
    }
    batch.push(ev.data);
    End::No
}

/// Dify: the type is the JSON `event` field. `error` raises. The stream ends at EOF, and at
/// `tts_message_end`, which Dify always sends last; not at `message_end`, because TTS audio
/// (`tts_message*`) and Chatflow's `workflow_finished` still follow it (protocol.md §6.4, §6.2).
fn dify_event(ev: SseEvent, batch: &mut Batch) -> End {
    match ev.event.as_deref() {
        Some("ping") => return End::No,
        Some("error") => return End::Error(stream_error(&ev.data)),
        _ => {}
    }
    if ev.data.trim().is_empty() {
        return End::No; // a data-less frame carries nothing to parse
    }
    // Cheap pre-check: only events that mention these names are parsed here.
    let bytes = ev.data.as_bytes();
    let maybe_error = memchr::memmem::find(bytes, b"error").is_some();
    let maybe_last = memchr::memmem::find(bytes, b"tts_message_end").is_some();
    if maybe_error || maybe_last {
        let v: serde_json::Value = serde_json::from_str(&ev.data).unwrap_or_default();
        match v.get("event").and_then(|e| e.as_str()) {
            Some("error") => return End::Error(stream_error(&ev.data)),
            Some("tts_message_end") => {
                batch.push(ev.data);
                return End::Done;
            }
            _ => {}
        }
    }
    batch.push(ev.data);
    End::No
}

fn truthy(v: &serde_json::Value) -> bool {
    !matches!(v, serde_json::Value::Null | serde_json::Value::Bool(false)) && v.as_str() != Some("")
}

/// Reads message, code and status from either `{"error": {...}}` or a flat `{message, code, status}`.
fn stream_error(data: &str) -> Error {
    let v: serde_json::Value = serde_json::from_str(data).unwrap_or(serde_json::Value::Null);
    let inner = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
    let s = |k: &str| {
        inner
            .get(k)
            .or_else(|| v.get(k))
            .and_then(|x| x.as_str())
            .map(str::to_owned)
    };
    let message = s("message")
        .or_else(|| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
        .unwrap_or_else(|| {
            if data.is_empty() {
                "the server ended the stream with an error".into()
            } else {
                data.to_owned()
            }
        });
    let status = inner
        .get("status")
        .or_else(|| v.get("status"))
        .and_then(|x| x.as_u64())
        .and_then(|x| u16::try_from(x).ok());
    Error::Stream {
        message,
        code: s("code"),
        data: data.to_owned(),
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALL: Call<'static> = Call {
        method: "POST",
        path: "/x",
        request_id: None,
    };

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            id: None,
            retry: None,
        }
    }

    #[test]
    fn tela_rules() {
        let mut evs = vec![
            ev(None, r#"{"a":1}"#),
            ev(
                None,
                r#"{"choices":[],"note":"the word \"error\" in text"}"#,
            ),
            ev(None, "[DONE]"),
            ev(None, "{}"),
        ];
        let (batch, end) = classify(Flavor::Tela, &mut evs, &CALL);
        assert_eq!(batch.len(), 2);
        assert!(matches!(end, End::Done));

        let mut evs = vec![ev(
            None,
            r#"{"error":{"message":"Model provider failed","code":"P"}}"#,
        )];
        match classify(Flavor::Tela, &mut evs, &CALL).1 {
            End::Error(Error::Stream { message, code, .. }) => {
                assert_eq!(message, "Model provider failed");
                assert_eq!(code.as_deref(), Some("P"));
            }
            _ => panic!("expected a stream error"),
        }
        let mut evs = vec![ev(Some("error"), r#"{"message":"boom"}"#)];
        assert!(matches!(
            classify(Flavor::Tela, &mut evs, &CALL).1,
            End::Error(Error::Stream { .. })
        ));
        let mut evs = vec![ev(None, r#"{"error":null,"x":1}"#)];
        assert_eq!(classify(Flavor::Tela, &mut evs, &CALL).0.len(), 1);
    }

    #[test]
    fn dify_rules() {
        let mut evs = vec![
            ev(None, r#"{"event":"message","answer":"hi"}"#),
            ev(Some("ping"), ""),
            ev(
                None,
                r#"{"event": "error", "status": 400, "code": "completion_request_error", "message": "Rate Limit Error"}"#,
            ),
        ];
        let (batch, end) = classify(Flavor::Dify, &mut evs, &CALL);
        assert_eq!(batch.len(), 1);
        match end {
            End::Error(Error::Stream { code, status, .. }) => {
                assert_eq!(code.as_deref(), Some("completion_request_error"));
                assert_eq!(status, Some(400));
            }
            _ => panic!("expected a stream error"),
        }
    }

    #[test]
    fn dify_stream_continues_after_message_end_and_stops_at_tts_end() {
        let mut evs = vec![
            ev(None, r#"{"event": "message_end", "id": "m"}"#),
            ev(None, ""),
            ev(None, r#"{"event":"tts_message","audio":"QQ=="}"#),
            ev(None, r#"{"event":"tts_message_end","audio":""}"#),
            ev(None, r#"{"event":"message","answer":"late"}"#),
        ];
        let (batch, end) = classify(Flavor::Dify, &mut evs, &CALL);
        assert_eq!(batch.len(), 3);
        assert!(batch[2].contains("tts_message_end"));
        assert!(matches!(end, End::Done));
        // An answer that merely mentions "error" is text, not an error event.
        let mut evs = vec![ev(
            None,
            r#"{"event":"message","answer":"no error here, tts_message_end"}"#,
        )];
        let (batch, end) = classify(Flavor::Dify, &mut evs, &CALL);
        assert_eq!(batch.len(), 1);
        assert!(matches!(end, End::No));
    }
}
