//! A response body turned into a stream of API events by a producer task.
//!
//! The task reads the body, decodes SSE, applies the API's stream rules ([`StreamRules`],
//! handed in by the API's stream function: which events are delivered, skipped, end the
//! stream or fail it, and the shape each must have) and sends *batches* of event payloads
//! through a bounded channel: one channel hop (and one GIL crossing on the Python side) per
//! network read, not per event. The shape check also marks where the fields the tally reads
//! sit in each event, and the rules' tally adds them up as batches are handed over, so each
//! event is parsed once in the core. This
//! file knows no API. Dropping the [`EventStream`] aborts the task, which drops the response
//! and closes the connection.

use std::time::Duration;

use futures::FutureExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::error::{ConnectionKind, Error, Result, TimeoutKind, classify_transport};
use crate::shape::{self, Marks, Shape};
use crate::sse::{SseDecoder, SseEvent};
use crate::tally::{Tally, Totals};
use crate::transport::OpenResponse;

/// One API's stream rules. Each API declares its own (`RULES` in its folder's `stream.rs`)
/// and its stream function hands them in through [`Decoding`].
pub struct StreamRules {
    /// Sorts one decoded SSE event: pushes its payload onto the batch (or not), and says
    /// whether the stream goes on, is done, or failed.
    pub classify: fn(SseEvent, &mut Batch) -> End,
    /// The shape every delivered payload must have; one that differs ends the stream with
    /// a typed error after the events before it. The fields it marks are what the tally reads.
    pub shape: Shape,
    /// A fresh tally of what the stream adds up to (its `final()`).
    pub tally: fn() -> Box<dyn Tally>,
    /// What the events are (`"<api>.<type>"`), for faces that have native types for some;
    /// a face without one for this name hands over the parsed JSON.
    pub events: &'static str,
}

impl std::fmt::Debug for StreamRules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamRules")
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// How one stream is decoded: the API's rules, the cap on one event, and the request path
/// that error messages name.
#[derive(Clone, Debug)]
pub struct Decoding {
    pub rules: &'static StreamRules,
    pub max_event_bytes: usize,
    pub path: String,
    /// Told how many events each batch delivers (time to first chunk, event count).
    pub trace: Option<crate::transport::observe::Trace>,
}

/// The JSON payloads of the events of one network read.
pub type Batch = Vec<String>;

/// What a producer sends: a batch, and for each event where its shape's marked fields sit.
#[derive(Debug, Default)]
pub struct Read {
    pub(crate) events: Batch,
    pub(crate) marks: Vec<Marks>,
}

/// A batch from a caller's task: nothing marked.
impl From<Batch> for Read {
    fn from(events: Batch) -> Self {
        let marks = vec![Marks::default(); events.len()];
        Read { events, marks }
    }
}

/// The producing side of an [`EventStream`] built with [`EventStream::from_task`].
pub type BatchSender = mpsc::Sender<Result<Read>>;

/// Channel depth in batches: enough to absorb bursts, small enough to keep memory bounded
/// when the consumer is slow (the producer then stops reading and TCP pushes back). 32 held
/// 86 KiB per waiting stream, 8 holds 50-53 at 3-5% more CPU per event on one long stream;
/// 4 held 45 at 10% (benchmarks/README.md, memory and scale).
const CHANNEL_BATCHES: usize = 8;

/// How many already-received bytes one batch may gather before it is handed over.
const DRAIN_BYTES: usize = 256 * 1024;

/// How many events one hand-over to the consumer may merge from queued batches.
const MAX_MERGED: usize = 4096;

pub struct EventStream {
    rx: mpsc::Receiver<Result<Read>>,
    /// An error that arrived behind events already handed over.
    pending: Option<Error>,
    task: tokio::task::AbortHandle,
    pub request_id: Option<String>,
    /// The rules' name for the events; `None` for a caller's task (`from_task`).
    events: Option<&'static str>,
    /// What the stream adds up to, counted as batches are handed over (so it matches what
    /// the consumer was given, not what the producer read ahead); `None` for a caller's task.
    totals: Option<Totals>,
    /// Adds the stream to the client's usage ledger when it is dropped (`Client::open_events`).
    pub usage: Option<crate::usage::OnDrop>,
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
        let rules = decoding.rules;
        let mut stream = Self::from_task(request_id, move |tx| {
            produce(open, decoding, idle, total, tx)
        });
        stream.events = Some(rules.events);
        stream.totals = Some(Totals::new((rules.tally)()));
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
            events: None,
            totals: None,
            usage: None,
        }
    }

    /// The next batch; `None` once the stream has ended cleanly (or after an error was returned).
    pub async fn next_batch(&mut self) -> Option<Result<Batch>> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        let first = self.rx.recv().await?;
        Some(self.merge(first))
    }

    /// A batch if one is ready now, without waiting.
    pub fn try_next_batch(&mut self) -> Option<Result<Batch>> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        let first = self.rx.try_recv().ok()?;
        Some(self.merge(first))
    }

    /// Joins the batches already queued behind `first`: one hand-over (one GIL crossing,
    /// one asyncio wake-up) for everything that is ready. An error queued behind the events
    /// is kept for the next call, so the events before it are still delivered.
    fn merge(&mut self, first: Result<Read>) -> Result<Batch> {
        let Read {
            events: mut batch,
            mut marks,
        } = first?;
        while batch.len() < MAX_MERGED {
            match self.rx.try_recv() {
                Ok(Ok(more)) => {
                    batch.extend(more.events);
                    marks.extend(more.marks);
                }
                Ok(Err(e)) => {
                    self.pending = Some(e);
                    break;
                }
                Err(_) => break,
            }
        }
        if let Some(totals) = &self.totals {
            let mut tally = totals.lock();
            for (event, marks) in batch.iter().zip(&marks) {
                tally.add(event, marks);
            }
        }
        Ok(batch)
    }

    /// What the events are, by their rules' name (`None` for a caller's task).
    pub fn events(&self) -> Option<&'static str> {
        self.events
    }

    /// The totals over the events handed over so far, readable from anywhere at any time
    /// (they outlive the stream); `None` for a caller's task.
    pub fn totals(&self) -> Option<Totals> {
        self.totals.clone()
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
    tx: BatchSender,
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
        let (read, mut end) = classify(decoding.rules, &mut events, &call);
        if let (End::No, Some(cap)) = (&end, decoder.exceeded()) {
            end = End::Error(call.decode(format!(
                "an event grew past max_event_bytes={cap} ({}) without ending; the stream was closed. \
                 If the server really sends events this large, raise the cap with max_event_bytes=... on the client.",
                human_bytes(cap)
            )));
        }
        if let Some(t) = &decoding.trace {
            t.events(read.events.len());
        }
        if !read.events.is_empty() && tx.send(Ok(read)).await.is_err() {
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

/// What one event does to its stream.
pub enum End {
    /// It goes on.
    No,
    /// It is over (cleanly).
    Done,
    /// It failed: the error is raised after the events before it.
    Error(Error),
}

/// The request a stream answers, for the messages of the errors found in it.
pub(crate) struct Call<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) request_id: Option<&'a str>,
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

/// Sorts the decoded events by the rules, checking (and marking) each delivered one.
pub(crate) fn classify(
    rules: &StreamRules,
    events: &mut Vec<SseEvent>,
    call: &Call<'_>,
) -> (Read, End) {
    let mut read = Read {
        events: Vec::with_capacity(events.len()),
        marks: Vec::with_capacity(events.len()),
    };
    for ev in events.drain(..) {
        let before = read.events.len();
        let end = (rules.classify)(ev, &mut read.events);
        if read.events.len() > before {
            match shape::check_marking(&read.events[before], rules.shape) {
                Ok(marks) => read.marks.push(marks),
                // An event the SDK cannot read ends the stream with a typed error, raised
                // after the good events before it were delivered.
                Err(why) => {
                    read.events.truncate(before);
                    return (read, End::Error(call.decode(format!("bad event: {why}"))));
                }
            }
        }
        if !matches!(end, End::No) {
            return (read, end);
        }
    }
    (read, End::No)
}

/// The error an API's error event reports: message, code and status read from either
/// `{"error": {...}}` or a flat `{message, code, status}`.
pub fn stream_error(data: &str) -> Error {
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
pub(crate) mod tests {
    use super::*;

    pub(crate) const CALL: Call<'static> = Call {
        method: "POST",
        path: "/x",
        request_id: None,
    };

    pub(crate) fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            id: None,
            retry: None,
        }
    }

    /// Rules of no API: every event kept, `stop` ends the stream, `fail` fails it.
    struct Count(usize);
    impl Tally for Count {
        fn add(&mut self, _event: &str, _marks: &Marks) {
            self.0 += 1;
        }
        fn fields(&self) -> Vec<(&'static str, crate::tally::Total<'_>)> {
            vec![("events", crate::tally::Total::Count(self.0))]
        }
    }
    static RULES: StreamRules = StreamRules {
        classify: |ev, batch| match ev.event.as_deref() {
            Some("stop") => End::Done,
            Some("fail") => End::Error(stream_error(&ev.data)),
            _ => {
                batch.push(ev.data);
                End::No
            }
        },
        shape: Shape::Fields(&[("n", shape::Rule::Str)]),
        tally: || Box::new(Count(0)),
        events: "test.event",
    };

    #[test]
    fn the_rules_handed_in_decide() {
        let mut evs = vec![
            ev(None, r#"{"n":"1"}"#),
            ev(Some("stop"), ""),
            ev(None, "{}"),
        ];
        let (read, end) = classify(&RULES, &mut evs, &CALL);
        assert_eq!(read.events, [r#"{"n":"1"}"#]);
        assert_eq!(read.marks.len(), 1);
        assert!(matches!(end, End::Done));

        let mut evs = vec![
            ev(None, "{}"),
            ev(
                Some("fail"),
                r#"{"error":{"message":"boom","code":"c","status":429}}"#,
            ),
        ];
        match classify(&RULES, &mut evs, &CALL) {
            (
                read,
                End::Error(Error::Stream {
                    message,
                    code,
                    status,
                    ..
                }),
            ) => {
                assert_eq!(read.events.len(), 1);
                assert_eq!(message, "boom");
                assert_eq!(code.as_deref(), Some("c"));
                assert_eq!(status, Some(429));
            }
            _ => panic!("expected a stream error"),
        }
    }

    #[test]
    fn an_event_of_the_wrong_shape_fails_after_the_good_ones() {
        let mut evs = vec![
            ev(None, r#"{"n":"1"}"#),
            ev(None, r#"{"n":2}"#),
            ev(None, "{}"),
        ];
        let (read, end) = classify(&RULES, &mut evs, &CALL);
        assert_eq!(read.events.len(), 1);
        assert_eq!(read.marks.len(), 1);
        match end {
            End::Error(Error::Decode { message, path, .. }) => {
                assert!(message.contains("bad event"), "{message}");
                assert!(message.contains("n to be a string"), "{message}");
                assert_eq!(path, "/x");
            }
            _ => panic!("expected a decode error"),
        }
    }

    #[test]
    fn errors_read_nested_or_flat() {
        let Error::Stream { message, .. } = stream_error(r#"{"error":"flat text"}"#) else {
            panic!()
        };
        assert_eq!(message, "flat text");
        let Error::Stream { message, .. } = stream_error("") else {
            panic!()
        };
        assert!(message.contains("ended the stream with an error"));
    }
}
