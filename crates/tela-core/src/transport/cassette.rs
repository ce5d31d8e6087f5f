//! Record and replay for users' tests (issue 25 item 3; protocol.md §12).
//!
//! A cassette is registered for the whole process (`begin` .. `end`): every client's transport
//! consults it at its one send point (`send`), so clients made before or inside the block,
//! blocking or async, Tela or Dify, and the vault's presigned `PUT`, are all covered. Nothing
//! else changes: retries, timeouts, SSE decoding and errors run on the replayed bytes as on
//! live ones.
//!
//! The file is vcrpy's cassette layout (`interactions`: `request` {method, uri, body,
//! headers}, `response` {status, headers, body.string}; `version: 1`), written as JSON, which
//! is YAML (every YAML loader reads it). What vcrpy has no field for goes under `response.tela`:
//! `elapsed_us` (send to headers), `chunks` (`[microseconds after the headers, bytes]` per
//! body chunk as it arrived), `complete` (false when the body was not read to its end),
//! `base64` (the body, when it is not UTF-8).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};

/// Fast path: no cassette, no lock.
static ON: AtomicBool = AtomicBool::new(false);
static ACTIVE: RwLock<Option<Arc<Cassette>>> = RwLock::new(None);

/// Headers never written, whatever the user names.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "set-cookie",
];
/// Query parameters whose values are replaced (presigned URL signatures, tokens, keys).
const SECRET_PARAMS: &[&str] = &[
    "signature",
    "sig",
    "token",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "key",
    "api_key",
    "apikey",
    "access_token",
];
pub const REDACTED: &str = "REDACTED";

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Record,
    Replay,
    None,
}

/// What a request is matched on.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Method,
    Host,
    Path,
    Query,
    Body,
}

/// The cassette's settings, as the Python face sends them (JSON).
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The file, for messages.
    pub name: String,
    pub mode: Mode,
    pub block_network: bool,
    /// Recorded gaps between stream chunks are multiplied by this (0: no waiting).
    pub speed: f64,
    pub match_on: Vec<Field>,
    #[serde(default)]
    pub redact_headers: Vec<String>,
    #[serde(default)]
    pub redact_fields: Vec<String>,
}

struct Cassette {
    opts: Options,
    /// Replay: the recorded interactions, and whether each has been played.
    tape: Vec<Recorded>,
    played: Mutex<Vec<bool>>,
    /// Record: one slot per request in the order they were sent, filled when its response
    /// ends (or is dropped).
    slots: Mutex<Vec<Option<Value>>>,
}

struct Recorded {
    method: String,
    uri: Option<url::Url>,
    body: Option<String>,
    status: u16,
    headers: Vec<(String, String)>,
    body_bytes: Bytes,
    /// (microseconds after the headers, length)
    chunks: Vec<(u64, usize)>,
}

/// Starts a cassette; `tape` is the file's content (JSON) when replaying.
pub fn begin(options: &str, tape: Option<&str>) -> Result<()> {
    let opts: Options = serde_json::from_str(options)
        .map_err(|e| Error::Config(format!("invalid cassette options: {e}")))?;
    if !(opts.speed.is_finite() && opts.speed >= 0.0) {
        return Err(Error::Config(format!(
            "cassette speed={} is not a number >= 0 (1 replays the recorded timing, 0 waits not at all)",
            opts.speed
        )));
    }
    let tape = match (opts.mode, tape) {
        (Mode::Replay, Some(text)) => parse_tape(text, &opts.name)?,
        (Mode::Replay, None) => {
            return Err(Error::Cassette(format!(
                "cassette {} has nothing to replay; record it first with mode=\"record\" or \"once\"",
                opts.name
            )));
        }
        _ => Vec::new(),
    };
    let mut active = ACTIVE.write().unwrap_or_else(|e| e.into_inner());
    if let Some(other) = active.as_ref() {
        return Err(Error::Config(format!(
            "cassette {} is already in use; cassettes apply to the whole process, so they cannot nest \
             (leave the `with` block of the first one before entering {})",
            other.opts.name, opts.name
        )));
    }
    let played = Mutex::new(vec![false; tape.len()]);
    *active = Some(Arc::new(Cassette {
        opts,
        tape,
        played,
        slots: Mutex::new(Vec::new()),
    }));
    ON.store(true, Ordering::SeqCst);
    Ok(())
}

/// Ends the cassette. Recording: the file's text (every finished interaction, secrets
/// removed). Replaying: `None`.
pub fn end() -> Option<String> {
    let taken = ACTIVE.write().unwrap_or_else(|e| e.into_inner()).take();
    ON.store(false, Ordering::SeqCst);
    let cassette = taken?;
    if cassette.opts.mode != Mode::Record {
        return None;
    }
    let slots = std::mem::take(&mut *cassette.slots.lock().unwrap_or_else(|e| e.into_inner()));
    let interactions: Vec<Value> = slots.into_iter().flatten().collect();
    let doc = json!({"interactions": interactions, "version": 1});
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    Some(yaml_safe(&text) + "\n")
}

fn current() -> Option<Arc<Cassette>> {
    if !ON.load(Ordering::Relaxed) {
        return None;
    }
    ACTIVE.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The transport's one send point. Without a cassette, `rb.send()`. The outer error is the
/// cassette's refusal (an unmatched request in replay, a blocked network), never retried.
pub(crate) async fn send(
    http: &reqwest::Client,
    rb: reqwest::RequestBuilder,
) -> Result<reqwest::Result<reqwest::Response>> {
    let Some(cassette) = current() else {
        return Ok(rb.send().await);
    };
    let req = match rb.build() {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let seen = Seen::of(&req, &cassette.opts);
    let opts = &cassette.opts;
    if opts.mode == Mode::Replay {
        match cassette.find(&seen) {
            Ok(i) => return Ok(Ok(play(&cassette.tape[i], req.url().clone(), opts.speed))),
            Err(message) if opts.block_network => return Err(Error::Cassette(message)),
            Err(_) => {}
        }
    }
    if opts.block_network && !is_local(req.url()) {
        return Err(Error::NetworkBlocked(format!(
            "{} {} was not sent: cassette {} blocks the network (block_network=True), and this \
             request would leave the machine. Record it with mode=\"record\" (block_network=False), \
             or point the client at the emulator.",
            seen.method,
            shown(&seen.uri),
            opts.name
        )));
    }
    let started = Instant::now();
    let slot = (opts.mode == Mode::Record).then(|| cassette.reserve());
    let resp = match http.execute(req).await {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(match slot {
        Some(slot) => tee(cassette.clone(), slot, seen, resp, started),
        None => resp,
    }))
}

fn is_local(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The URL without its query, for messages.
fn shown(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.to_string()
}

/// A request as the cassette sees it: secrets already removed.
struct Seen {
    method: String,
    uri: url::Url,
    headers: Vec<(String, String)>,
    /// `None` when the body is a stream (a multipart form, an upload's content).
    body: Option<String>,
}

impl Seen {
    fn of(req: &reqwest::Request, opts: &Options) -> Seen {
        let body = req
            .body()
            .and_then(|b| b.as_bytes())
            .map(|b| redact_text(&String::from_utf8_lossy(b), opts));
        Seen {
            method: req.method().to_string(),
            uri: redact_url(req.url(), opts),
            headers: kept_headers(req.headers(), opts),
            body,
        }
    }
}

fn secret_header(name: &str, opts: &Options) -> bool {
    SECRET_HEADERS.contains(&name)
        || opts
            .redact_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
}

fn secret_param(name: &str, opts: &Options) -> bool {
    SECRET_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
        || opts.redact_fields.iter().any(|f| f == name)
}

fn kept_headers(headers: &HeaderMap, opts: &Options) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| !secret_header(k.as_str(), opts))
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes());
            let v = if k == "location" {
                redact_url_text(&v, opts).unwrap_or_else(|| v.into_owned())
            } else {
                v.into_owned()
            };
            (k.as_str().to_owned(), v)
        })
        .collect()
}

fn redact_url(url: &url::Url, opts: &Options) -> url::Url {
    let mut u = url.clone();
    let _ = u.set_password(None);
    let _ = u.set_username("");
    super::redact::query_values(&mut u, |k| secret_param(k, opts), REDACTED);
    u
}

/// A string that is an http(s) URL with secrets in it, redacted; `None` when unchanged.
fn redact_url_text(s: &str, opts: &Options) -> Option<String> {
    if !(s.starts_with("http://") || s.starts_with("https://")) {
        return None;
    }
    let u = url::Url::parse(s).ok()?;
    let r = redact_url(&u, opts);
    (r != u).then(|| r.to_string())
}

/// Redacts named fields (any depth) and secret URL parameters in a JSON value; true when
/// anything changed.
fn redact_json(v: &mut Value, opts: &Options) -> bool {
    match v {
        Value::Object(map) => {
            let mut changed = false;
            for (k, v) in map.iter_mut() {
                if opts.redact_fields.iter().any(|f| f == k) {
                    if *v != Value::String(REDACTED.into()) {
                        *v = Value::String(REDACTED.into());
                        changed = true;
                    }
                } else {
                    changed |= redact_json(v, opts);
                }
            }
            changed
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |c, v| redact_json(v, opts) | c),
        Value::String(s) => match redact_url_text(s, opts) {
            Some(r) => {
                *s = r;
                true
            }
            None => false,
        },
        _ => false,
    }
}

/// A body's text with its secrets removed: a JSON document, or each `data:` line of a
/// stream, redacted; anything else as it is.
fn redact_text(text: &str, opts: &Options) -> String {
    redact_segments(text, opts)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

/// The body cut into segments (byte range in the original, redacted text): one for a JSON
/// document, one per line otherwise (a stream's `data:` lines redacted).
fn redact_segments(text: &str, opts: &Options) -> Vec<(std::ops::Range<usize>, String)> {
    if let Ok(mut v) = serde_json::from_str::<Value>(text) {
        let out = if redact_json(&mut v, opts) {
            serde_json::to_string(&v).unwrap_or_else(|_| text.to_owned())
        } else {
            text.to_owned()
        };
        return vec![(0..text.len(), out)];
    }
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let range = at..at + line.len();
        at += line.len();
        let redacted = line.strip_prefix("data:").and_then(|rest| {
            let content = rest.trim_end_matches(['\r', '\n']);
            let end = &rest[content.len()..];
            let lead = content.len() - content.trim_start().len();
            let mut v: Value = serde_json::from_str(content.trim_start()).ok()?;
            redact_json(&mut v, opts).then(|| {
                format!(
                    "data:{}{}{end}",
                    &content[..lead],
                    serde_json::to_string(&v).unwrap_or_default()
                )
            })
        });
        out.push((range, redacted.unwrap_or_else(|| line.to_owned())));
    }
    out
}

impl Cassette {
    fn reserve(&self) -> usize {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.push(None);
        slots.len() - 1
    }

    fn fill(&self, slot: usize, value: Value) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = slots.get_mut(slot) {
            *s = Some(value);
        }
    }

    /// The first unplayed recorded request that matches, marked played; else the message
    /// naming the nearest one and how it differs.
    fn find(&self, seen: &Seen) -> std::result::Result<usize, String> {
        let mut played = self.played.lock().unwrap_or_else(|e| e.into_inner());
        let mut nearest: Option<(usize, Vec<String>)> = None;
        let mut used_match = None;
        for (i, rec) in self.tape.iter().enumerate() {
            let diffs = differences(seen, rec, &self.opts.match_on);
            if diffs.is_empty() {
                if !played[i] {
                    played[i] = true;
                    return Ok(i);
                }
                used_match.get_or_insert(i);
                continue;
            }
            if nearest.as_ref().is_none_or(|(_, d)| diffs.len() < d.len()) {
                nearest = Some((i, diffs));
            }
        }
        let sent = format!("{} {}", seen.method, path_and_query(&seen.uri));
        let head = format!(
            "No recorded request in cassette {} matches {sent} (matching on {}; nothing was sent).",
            self.opts.name,
            self.opts
                .match_on
                .iter()
                .map(|f| format!("{f:?}").to_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let why = match (used_match, nearest) {
            (Some(i), _) => format!(
                " Recorded request #{} is the same, but its answer was already played (each \
                 recorded answer plays once, in order): the test sends it more often than when it was recorded.",
                i + 1
            ),
            (None, Some((i, diffs))) => {
                let rec = &self.tape[i];
                format!(
                    " The nearest recorded request is #{} ({} {}), which differs in {}.",
                    i + 1,
                    rec.method,
                    rec.uri
                        .as_ref()
                        .map(path_and_query)
                        .unwrap_or_else(|| "?".into()),
                    diffs.join("; ")
                )
            }
            (None, None) => " The cassette records no request.".to_owned(),
        };
        Err(format!(
            "{head}{why} Record the cassette again with mode=\"record\" (pytest: --tela-record-mode=record), \
             or change what the test sends."
        ))
    }
}

fn path_and_query(u: &url::Url) -> String {
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    }
}

fn differences(seen: &Seen, rec: &Recorded, on: &[Field]) -> Vec<String> {
    let mut out = Vec::new();
    let uri = rec.uri.as_ref();
    for field in on {
        match field {
            Field::Method => {
                if !seen.method.eq_ignore_ascii_case(&rec.method) {
                    out.push(format!(
                        "method: sent {}, recorded {}",
                        seen.method, rec.method
                    ));
                }
            }
            Field::Host => {
                let a = (seen.uri.host_str(), seen.uri.port_or_known_default());
                let b = uri.map(|u| (u.host_str(), u.port_or_known_default()));
                if Some(a) != b {
                    out.push(format!(
                        "host: sent {}, recorded {}",
                        seen.uri.host_str().unwrap_or(""),
                        uri.and_then(|u| u.host_str()).unwrap_or("")
                    ));
                }
            }
            Field::Path => {
                let b = uri.map(|u| u.path()).unwrap_or("");
                if seen.uri.path() != b {
                    out.push(format!("path: sent {}, recorded {b}", seen.uri.path()));
                }
            }
            Field::Query => {
                let sorted = |u: &url::Url| {
                    let mut q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
                    q.sort();
                    q
                };
                let a = sorted(&seen.uri);
                let b = uri.map(sorted).unwrap_or_default();
                if a != b {
                    out.push(format!(
                        "query: sent {:?}, recorded {:?}",
                        seen.uri.query().unwrap_or(""),
                        uri.and_then(|u| u.query()).unwrap_or("")
                    ));
                }
            }
            Field::Body => {
                if let (Some(a), Some(b)) = (&seen.body, &rec.body)
                    && let Some(d) = body_difference(a, b)
                {
                    out.push(format!("body: {d}"));
                }
            }
        }
    }
    out
}

/// How two bodies differ: JSON compared canonically (key order and spacing ignored), with
/// the first differing place named; anything else as text.
fn body_difference(sent: &str, recorded: &str) -> Option<String> {
    match (
        serde_json::from_str::<Value>(sent),
        serde_json::from_str::<Value>(recorded),
    ) {
        (Ok(a), Ok(b)) => json_difference("$", &a, &b),
        _ => (sent != recorded).then(|| {
            format!(
                "sent {:?}, recorded {:?}",
                clip(sent.to_owned()),
                clip(recorded.to_owned())
            )
        }),
    }
}

fn clip(mut s: String) -> String {
    if s.len() > 120 {
        let mut end = 117;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("...");
    }
    s
}

fn json_difference(at: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let here = format!("{at}.{k}");
                match y.get(k) {
                    None => return Some(format!("{here} is sent but was not recorded")),
                    Some(vb) => {
                        if let Some(d) = json_difference(&here, va, vb) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{at}.{k} was recorded but is not sent"))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                if let Some(d) = json_difference(&format!("{at}[{i}]"), va, vb) {
                    return Some(d);
                }
            }
            (x.len() != y.len())
                .then(|| format!("{at} has {} items sent, {} recorded", x.len(), y.len()))
        }
        _ => (a != b).then(|| {
            format!(
                "at {at}, sent {}, recorded {}",
                clip(a.to_string()),
                clip(b.to_string())
            )
        }),
    }
}

/// A recorded answer as a live response: the body comes chunk by chunk with the recorded
/// gaps times `speed`.
fn play(rec: &Recorded, url: url::Url, speed: f64) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;
    let mut pieces = Vec::with_capacity(rec.chunks.len());
    let mut at = 0usize;
    let mut prev_us = 0u64;
    for &(us, len) in &rec.chunks {
        let end = (at + len).min(rec.body_bytes.len());
        let wait = Duration::from_micros(us.saturating_sub(prev_us)).mul_f64(speed);
        pieces.push((wait, rec.body_bytes.slice(at..end)));
        prev_us = us;
        at = end;
    }
    if at < rec.body_bytes.len() {
        pieces.push((Duration::ZERO, rec.body_bytes.slice(at..)));
    }
    let body = futures::stream::iter(pieces).then(|(wait, chunk)| async move {
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok::<Bytes, std::io::Error>(chunk)
    });
    let mut builder = http::Response::builder().status(rec.status).url(url);
    for (k, v) in &rec.headers {
        // A hand-edited body no longer has the recorded length.
        let stale_length = k.eq_ignore_ascii_case("content-length")
            && v.parse::<usize>().ok() != Some(rec.body_bytes.len());
        if !stale_length {
            builder = builder.header(k.as_str(), v.as_str());
        }
    }
    let resp = builder
        .body(reqwest::Body::wrap_stream(body))
        .unwrap_or_else(|_| {
            // A header the file spoils (hand-edited): answer without the headers.
            http::Response::builder()
                .status(rec.status)
                .body(reqwest::Body::from(rec.body_bytes.clone()))
                .expect("a status read as u16 from a recorded answer")
        });
    reqwest::Response::from(resp)
}

/// What a recording keeps of one response, written to its slot when the body ends or is
/// dropped.
struct Tape {
    cassette: Arc<Cassette>,
    slot: usize,
    seen: Option<Seen>,
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    elapsed: Duration,
    headers_at: Instant,
    body: Vec<u8>,
    chunks: Vec<(u64, usize)>,
    complete: bool,
}

impl Drop for Tape {
    fn drop(&mut self) {
        let Some(seen) = self.seen.take() else { return };
        let value = self.interaction(seen);
        self.cassette.fill(self.slot, value);
    }
}

impl Tape {
    /// The body was read to its end (the slot is filled when the tape drops, just after).
    fn finished(&mut self) {
        self.complete = true;
    }

    fn interaction(&mut self, seen: Seen) -> Value {
        let opts = &self.cassette.opts;
        let raw = std::mem::take(&mut self.body);
        let mut tela = Map::new();
        tela.insert("elapsed_us".into(), json!(self.elapsed.as_micros() as u64));
        let (string, chunks) = match String::from_utf8(raw) {
            Ok(text) => {
                let segments = redact_segments(&text, opts);
                let chunks = remap_chunks(&self.chunks, &segments);
                (segments.into_iter().map(|(_, s)| s).collect(), chunks)
            }
            Err(e) => {
                let bytes = e.into_bytes();
                tela.insert(
                    "base64".into(),
                    json!(base64::engine::general_purpose::STANDARD.encode(&bytes)),
                );
                (String::new(), self.chunks.clone())
            }
        };
        tela.insert(
            "chunks".into(),
            json!(
                chunks
                    .iter()
                    .map(|(us, len)| json!([us, len]))
                    .collect::<Vec<_>>()
            ),
        );
        tela.insert("complete".into(), json!(self.complete));
        json!({
            "request": {
                "body": seen.body,
                "headers": header_map(&seen.headers),
                "method": seen.method,
                "uri": seen.uri.to_string(),
            },
            "response": {
                "status": {"code": self.status, "message": self.reason},
                "headers": header_map(&self.headers),
                "body": {"string": string},
                "tela": tela,
            },
        })
    }
}

/// Chunk boundaries moved onto the redacted text: a boundary inside a redacted segment goes
/// to that segment's end.
fn remap_chunks(
    chunks: &[(u64, usize)],
    segments: &[(std::ops::Range<usize>, String)],
) -> Vec<(u64, usize)> {
    let map = |offset: usize| -> usize {
        let mut out = 0;
        for (range, text) in segments {
            if offset >= range.end {
                out += text.len();
            } else {
                if text.len() == range.len() {
                    out += offset - range.start;
                } else if offset > range.start {
                    out += text.len();
                }
                return out;
            }
        }
        out
    };
    let mut old_end = 0;
    let mut new_prev = 0;
    chunks
        .iter()
        .map(|&(us, len)| {
            old_end += len;
            let new_end = map(old_end);
            let n = new_end.saturating_sub(new_prev);
            new_prev = new_end;
            (us, n)
        })
        .collect()
}

fn header_map(headers: &[(String, String)]) -> Value {
    let mut map = Map::new();
    for (k, v) in headers {
        let entry = map.entry(k.clone()).or_insert_with(|| json!([]));
        if let Value::Array(a) = entry {
            a.push(json!(v));
        }
    }
    Value::Object(map)
}

/// The response, its body read through a recorder.
fn tee(
    cassette: Arc<Cassette>,
    slot: usize,
    seen: Seen,
    resp: reqwest::Response,
    started: Instant,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt as _;
    let status = resp.status();
    let headers_map = resp.headers().clone();
    let url = resp.url().clone();
    let version = resp.version();
    let headers = kept_headers(&headers_map, &cassette.opts);
    let tape = Tape {
        cassette,
        slot,
        seen: Some(seen),
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_owned(),
        headers,
        elapsed: started.elapsed(),
        headers_at: Instant::now(),
        body: Vec::new(),
        chunks: Vec::new(),
        complete: false,
    };
    let body = futures::stream::unfold(
        (resp.bytes_stream(), tape),
        |(mut inner, mut tape)| async move {
            match inner.next().await {
                Some(Ok(chunk)) => {
                    tape.chunks
                        .push((tape.headers_at.elapsed().as_micros() as u64, chunk.len()));
                    tape.body.extend_from_slice(&chunk);
                    Some((Ok(chunk), (inner, tape)))
                }
                Some(Err(e)) => Some((Err(e), (inner, tape))),
                None => {
                    tape.finished();
                    None
                }
            }
        },
    );
    let mut builder = http::Response::builder()
        .status(status)
        .version(version)
        .url(url);
    if let Some(h) = builder.headers_mut() {
        *h = headers_map;
    }
    let resp = builder
        .body(reqwest::Body::wrap_stream(body))
        .expect("status and headers taken from a valid response");
    reqwest::Response::from(resp)
}

fn parse_tape(text: &str, name: &str) -> Result<Vec<Recorded>> {
    let bad = |why: String| {
        Error::Cassette(format!(
            "cassette {name} cannot be read: {why}. Record it again with mode=\"record\"."
        ))
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    let items = doc
        .get("interactions")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("it has no `interactions` list".into()))?;
    items
        .iter()
        .enumerate()
        .map(|(i, it)| {
            recorded(it).ok_or_else(|| {
                bad(format!(
                    "interaction #{} is not request/response as vcrpy writes them",
                    i + 1
                ))
            })
        })
        .collect()
}

fn recorded(it: &Value) -> Option<Recorded> {
    let req = it.get("request")?;
    let resp = it.get("response")?;
    let tela = resp.get("tela");
    let body_bytes = match tela.and_then(|t| t.get("base64")).and_then(Value::as_str) {
        Some(b64) => Bytes::from(base64::engine::general_purpose::STANDARD.decode(b64).ok()?),
        None => {
            let body = resp.get("body")?;
            let s = match body {
                Value::String(s) => s.as_str(),
                Value::Null => "",
                b => b.get("string").and_then(Value::as_str).unwrap_or(""),
            };
            Bytes::from(s.to_owned())
        }
    };
    let chunks = tela
        .and_then(|t| t.get("chunks"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| Some((c.get(0)?.as_u64()?, c.get(1)?.as_u64()? as usize)))
                .collect()
        })
        .unwrap_or_default();
    let mut headers = Vec::new();
    if let Some(Value::Object(h)) = resp.get("headers") {
        for (k, v) in h {
            match v {
                Value::Array(vs) => headers.extend(
                    vs.iter()
                        .filter_map(Value::as_str)
                        .map(|s| (k.clone(), s.to_owned())),
                ),
                Value::String(s) => headers.push((k.clone(), s.clone())),
                _ => {}
            }
        }
    }
    let status = resp.get("status")?;
    let status = status
        .get("code")
        .and_then(Value::as_u64)
        .or_else(|| status.as_u64())?;
    Some(Recorded {
        method: req.get("method")?.as_str()?.to_owned(),
        uri: req
            .get("uri")
            .and_then(Value::as_str)
            .and_then(|u| url::Url::parse(u).ok()),
        body: req.get("body").and_then(Value::as_str).map(str::to_owned),
        status: u16::try_from(status)
            .ok()
            .filter(|s| (100..600).contains(s))?,
        headers,
        body_bytes,
        chunks,
    })
}

/// JSON text any YAML loader reads back as written: the characters YAML 1.1 does not allow
/// in a document, or reads as line breaks, escaped (they occur only inside strings).
fn yaml_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        let n = c as u32;
        let unsafe_char = (0x7f..=0x9f).contains(&n)
            || n == 0x2028
            || n == 0x2029
            || n == 0xfeff
            || n == 0xfffe
            || n == 0xffff;
        if unsafe_char {
            out.push_str(&format!("\\u{n:04x}"));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(fields: &[&str]) -> Options {
        Options {
            name: "t.yaml".into(),
            mode: Mode::Record,
            block_network: false,
            speed: 0.0,
            match_on: vec![Field::Method, Field::Path, Field::Query, Field::Body],
            redact_headers: vec![],
            redact_fields: fields.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn presigned_urls_and_named_fields_are_redacted_in_json_and_stream_lines() {
        let o = opts(&["secret"]);
        let body = r#"{"id":"f","uploadUrl":"http://h/u/1?token=abc&x=1","secret":"s"}"#;
        let out = redact_text(body, &o);
        assert!(!out.contains("abc") && !out.contains("\"s\""), "{out}");
        assert!(out.contains("x=1"), "{out}");
        let sse = "event: m\ndata: {\"secret\":\"xyz\",\"a\":1}\n\ndata: [DONE]\n\n";
        let segs = redact_segments(sse, &o);
        let text: String = segs.iter().map(|(_, s)| s.as_str()).collect();
        assert!(
            !text.contains("xyz") && text.contains("data: {\"secret\":\"REDACTED\",\"a\":1}\n")
        );
        // Boundaries: all bytes accounted for after remapping.
        let chunks = vec![(0, 10), (5, 20), (9, sse.len() - 30)];
        let total: usize = remap_chunks(&chunks, &segs).iter().map(|c| c.1).sum();
        assert_eq!(total, text.len());
    }

    #[test]
    fn json_bodies_match_canonically_and_differences_are_named() {
        assert_eq!(
            body_difference(r#"{"a":1,"b":[1,2]}"#, r#"{ "b":[1,2], "a":1 }"#),
            None
        );
        let d = body_difference(r#"{"a":{"b":"x"}}"#, r#"{"a":{"b":"y"}}"#).unwrap();
        assert_eq!(d, r#"at $.a.b, sent "x", recorded "y""#);
    }

    #[test]
    fn yaml_safe_escapes_what_yaml_would_misread() {
        assert_eq!(yaml_safe("\"a\u{2028}b\u{85}\""), "\"a\\u2028b\\u0085\"");
    }
}
