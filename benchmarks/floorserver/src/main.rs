//! The floor server of `benchmarks/run.sh`: answers `POST /v2/chat/completions` from bytes
//! rendered before the run, so a benchmark measures the client, not the server. The bytes
//! are the emulator's own answers, recorded by the harness (`benchmarks/_harness.py`), so
//! both servers send the same payloads; a stream goes out one HTTP chunk per SSE event.
//!
//! floorserver [threads]            prints `listening on http://127.0.0.1:PORT`
//! POST /_floor/responses           {"canvas_id", "stream", "content_type", "body"}: stores an answer
//! GET  /_floor/stats               {"requests", "events", "cpu_seconds"} so far

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};

/// One recorded answer: a JSON body, or a stream's events, each a complete SSE frame.
struct Answer {
    content_type: String,
    parts: Arc<Vec<Bytes>>,
    events: u64,
}

#[derive(Default)]
struct State {
    answers: RwLock<HashMap<(String, bool), Answer>>,
    requests: AtomicU64,
    events: AtomicU64,
}

type Body = BoxBody<Bytes, Infallible>;

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()).boxed())
        .expect("response")
}

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Splits an SSE body after each blank line, so every event is one HTTP chunk.
fn split_events(body: &[u8]) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut start = 0;
    for end in event_ends(body) {
        parts.push(Bytes::copy_from_slice(&body[start..end]));
        start = end;
    }
    if start < body.len() {
        parts.push(Bytes::copy_from_slice(&body[start..]));
    }
    parts
}

fn event_ends(body: &[u8]) -> impl Iterator<Item = usize> + '_ {
    body.windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"\n\n")
        .map(|(i, _)| i + 2)
}

fn store(state: &State, spec: &Value) -> Result<Value, String> {
    let canvas = spec["canvas_id"]
        .as_str()
        .ok_or("canvas_id: a string")?
        .to_owned();
    let stream = spec["stream"].as_bool().unwrap_or(false);
    let body = spec["body"].as_str().ok_or("body: a string")?.as_bytes();
    let content_type = spec["content_type"]
        .as_str()
        .unwrap_or("application/json")
        .to_owned();
    let (parts, events) = if stream {
        let parts = split_events(body);
        let events = parts.iter().filter(|p| p.starts_with(b"data: {")).count() as u64;
        (parts, events)
    } else {
        (vec![Bytes::copy_from_slice(body)], 0)
    };
    let answer = Answer {
        content_type,
        parts: Arc::new(parts),
        events,
    };
    let out = json!({"canvas_id": canvas, "stream": stream, "events": events});
    state
        .answers
        .write()
        .expect("lock")
        .insert((canvas, stream), answer);
    Ok(out)
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let (head, body) = req.into_parts();
    // Read the whole request body, as a real server must.
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Ok(full(StatusCode::BAD_REQUEST, "text/plain", e.to_string())),
    };
    let path = head.uri.path();
    if path == "/_floor/stats" {
        let stats = json!({
            "requests": state.requests.load(Relaxed),
            "events": state.events.load(Relaxed),
            "cpu_seconds": cpu_seconds(),
        });
        return Ok(full(StatusCode::OK, "application/json", stats.to_string()));
    }
    let parsed: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return Ok(full(StatusCode::BAD_REQUEST, "text/plain", e.to_string())),
    };
    if path == "/_floor/responses" {
        return Ok(match store(&state, &parsed) {
            Ok(v) => full(StatusCode::OK, "application/json", v.to_string()),
            Err(e) => full(StatusCode::BAD_REQUEST, "text/plain", e),
        });
    }
    let key = (
        parsed["canvas_id"].as_str().unwrap_or_default().to_owned(),
        parsed["stream"].as_bool().unwrap_or(false),
    );
    let answers = state.answers.read().expect("lock");
    let Some(answer) = answers.get(&key) else {
        let msg = format!("no recorded answer for {key:?} at {path}");
        return Ok(full(StatusCode::NOT_FOUND, "text/plain", msg));
    };
    state.requests.fetch_add(1, Relaxed);
    state.events.fetch_add(answer.events, Relaxed);
    if !key.1 {
        return Ok(full(
            StatusCode::OK,
            &answer.content_type,
            answer.parts[0].clone(),
        ));
    }
    let parts = Arc::clone(&answer.parts);
    let frames = futures::stream::iter(
        (0..parts.len()).map(move |i| Ok::<_, Infallible>(Frame::data(parts[i].clone()))),
    );
    Ok(Response::builder()
        .header("content-type", answer.content_type.as_str())
        .header("cache-control", "no-cache")
        .body(BodyExt::boxed(StreamBody::new(frames)))
        .expect("response"))
}

fn main() {
    let threads: usize = std::env::args()
        .nth(1)
        .map(|t| t.parse().expect("threads: a number"))
        .unwrap_or(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut out = std::io::stdout();
        writeln!(out, "listening on http://{addr}").expect("stdout");
        out.flush().expect("stdout");
        let state = Arc::new(State::default());
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let service =
                    hyper::service::service_fn(move |req| handle(Arc::clone(&state), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
}
