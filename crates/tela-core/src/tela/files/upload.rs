//! Uploads to the vault (protocol.md §5.3): `POST /v3/files` creates the file and answers a
//! temporary upload URL, then the content is `PUT` there, streamed with its length.
//!
//! The two steps retry differently on purpose. The POST creates a file record, so like every
//! create it is retried only when it cannot have been created. The PUT writes the same bytes
//! to the same URL, so it is retried on any transient failure (reopening the stream each time).
//! The PUT goes to a storage host, not the API: it carries no `Authorization` and none of the
//! client's default headers, and the URL's query (its signature) never appears in errors.

use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use reqwest::Method;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use serde_json::{Value, json};
use std::io;

use crate::client::Client;
use crate::error::{Error, Result, StatusError, TimeoutKind};
use crate::files::local::Opened;
use crate::retry::{self, Failure, Safety};
use crate::transport::observe::Recorder;
use crate::transport::{
    CallOptions, Request, Response, cassette, header_string, maybe_timeout, transport_error,
    with_total,
};

/// The `x-compatibility-date` the file endpoints require; the date the docs use.
pub const COMPATIBILITY_DATE: &str = "2025-07-23";
pub const FILES_PATH: &str = "/v3/files";

/// Told `(sent, total)` bytes of an upload body as they are handed to the connection: once
/// with 0 before the first attempt, then about every 1% (at least [`PROGRESS_STEP`] bytes
/// apart, never per read chunk) and at the end (`sent == total`). `sent` never goes back: a
/// retried PUT reports again only once it passes what the failed attempt had reached. It runs
/// on the thread that drives the upload, so it must return quickly.
#[derive(Clone)]
pub struct OnProgress(pub Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for OnProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnProgress(..)")
    }
}

/// The smallest gap, in bytes, between two progress reports (besides the last one).
pub const PROGRESS_STEP: u64 = 256 * 1024;

/// The progress of one upload across its attempts: the highest count reported so far and
/// where the next report is due.
struct Reported {
    high: u64,
    next: u64,
}

/// Counts the bytes of each attempt's body and reports them throttled and monotonic.
#[derive(Clone)]
struct Counter {
    report: OnProgress,
    total: u64,
    step: u64,
    reported: Arc<std::sync::Mutex<Reported>>,
}

impl Counter {
    fn new(report: OnProgress, total: u64) -> Counter {
        (report.0)(0, total);
        let step = (total / 100).max(PROGRESS_STEP);
        Counter {
            report,
            total,
            step,
            reported: Arc::new(std::sync::Mutex::new(Reported {
                high: 0,
                next: step,
            })),
        }
    }

    /// `body` (one attempt's) with its bytes counted as the connection takes them; each
    /// chunk passes through as it is (no buffering).
    fn count<S>(&self, body: S) -> BoxStream<'static, io::Result<Bytes>>
    where
        S: Stream<Item = io::Result<Bytes>> + Send + 'static,
    {
        let counter = self.clone();
        let mut sent = 0u64;
        body.inspect(move |chunk| {
            if let Ok(bytes) = chunk {
                sent += bytes.len() as u64;
                counter.reached(sent);
            }
        })
        .boxed()
    }

    fn reached(&self, sent: u64) {
        let due = {
            let mut r = self
                .reported
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if sent <= r.high || (sent < r.next && sent < self.total) {
                return;
            }
            r.high = sent;
            while r.next <= sent {
                r.next += self.step;
            }
            sent
        };
        (self.report.0)(due, self.total);
    }
}

/// A file stored in the vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uploaded {
    pub id: String,
    /// Of the `POST /v3/files` that created it.
    pub request_id: Option<String>,
}

impl Uploaded {
    pub fn file_url(&self) -> String {
        format!("vault://{}", self.id)
    }
}

/// Creates the file and uploads its content. Errors are [`Error::Upload`] naming the step.
pub async fn upload(client: &Client, file: &Opened, opts: &CallOptions) -> Result<Uploaded> {
    let (id, upload_url, request_id) = create(client, &file.name, opts)
        .await
        .map_err(|e| failed(file, "POST /v3/files", e))?;
    put(client, &upload_url, file, opts)
        .await
        .map_err(|e| failed(file, "PUT to the upload URL", e))?;
    Ok(Uploaded { id, request_id })
}

fn failed(file: &Opened, stage: &'static str, e: Error) -> Error {
    match e {
        // Mistakes in the call itself are not upload failures.
        Error::InvalidRequest(_) | Error::Config(_) => e,
        other => Error::Upload {
            file: file.name.clone(),
            stage,
            source: Box::new(other),
        },
    }
}

fn json_request(method: Method, path: String, body: Option<Bytes>, safety: Safety) -> Request {
    let mut req = Request::json(method, path, body, safety);
    req.headers
        .push(("x-compatibility-date".into(), COMPATIBILITY_DATE.into()));
    req
}

/// `POST /v3/files {"fileName"}` -> `(id, uploadUrl, request id)`.
async fn create(
    client: &Client,
    name: &str,
    opts: &CallOptions,
) -> Result<(String, String, Option<String>)> {
    let body = serde_json::to_vec(&json!({ "fileName": name }))
        .map_err(|e| Error::InvalidRequest(format!("file name cannot be encoded: {e}")))?;
    let req = json_request(
        Method::POST,
        FILES_PATH.into(),
        Some(body.into()),
        Safety::CreatesWork,
    );
    let resp = client.execute(&req, opts).await?;
    let decode = |message: String| Error::Decode {
        status: resp.status,
        message,
        method: "POST".into(),
        path: FILES_PATH.into(),
        request_id: resp.request_id.clone(),
    };
    let v: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| decode(format!("the body is not JSON ({e})")))?;
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| valid_id(id))
        .ok_or_else(|| decode("no usable \"id\" in the answer".into()))?;
    let url = v
        .get("uploadUrl")
        .or_else(|| v.get("upload_url"))
        .and_then(Value::as_str)
        .ok_or_else(|| decode("no \"uploadUrl\" in the answer".into()))?;
    let url = absolute(&client.config.base_url, url)
        .ok_or_else(|| decode("\"uploadUrl\" is not an http(s) URL".into()))?;
    Ok((id.to_owned(), url, resp.request_id.clone()))
}

/// An id that can be written into a JSON string and a `vault://` URL as is.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\\' | b'/'))
}

fn absolute(base: &str, url: &str) -> Option<String> {
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            url::Url::parse(&format!("{base}/")).ok()?.join(url).ok()?
        }
        Err(_) => return None,
    };
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.to_string())
}

/// The URL without its query: what errors show of a presigned URL.
fn shown(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_owned()
}

/// `PUT` the content, retried on transient failures. `read` bounds silence: no chunk taken by
/// the connection, or no answer after the last one, for that long is a timeout (a plain
/// deadline on the whole send would fail every large upload on a slow link).
async fn put(client: &Client, url: &str, file: &Opened, opts: &CallOptions) -> Result<()> {
    let cfg = &client.config;
    let timeouts = opts.timeouts.unwrap_or(cfg.timeouts);
    let max_retries = opts.max_retries.unwrap_or(cfg.max_retries);
    let shown = shown(url);
    let http = client.http();
    let counter = opts.progress.clone().map(|p| Counter::new(p, file.len));
    let trace = opts.observe.as_ref();
    let attempts = async {
        let mut retries = 0u32;
        let mut previous: Option<(String, Duration)> = None;
        loop {
            let progress = Progress::new();
            let body = file.stream();
            let body = match &counter {
                Some(counter) => counter.count(body),
                None => body,
            };
            let rb = http
                .put(url)
                .header(CONTENT_TYPE, &file.mime_type)
                .header(CONTENT_LENGTH, file.len)
                .header(USER_AGENT, &cfg.user_agent)
                .body(reqwest::Body::wrap_stream(progress.track(body)));
            let mut recorder = trace.map(|_| {
                let mut h = reqwest::header::HeaderMap::new();
                for (name, value) in [
                    (CONTENT_TYPE, file.mime_type.clone()),
                    (CONTENT_LENGTH, file.len.to_string()),
                    (USER_AGENT, cfg.user_agent.clone()),
                ] {
                    if let Ok(v) = reqwest::header::HeaderValue::from_str(&value) {
                        h.insert(name, v);
                    }
                }
                let mut r = Recorder::start("PUT", url, &h, retries + 1, &previous);
                r.bytes = Some(file.len);
                r
            });
            let sent = progress
                .watch(cassette::send(&http, rb), timeouts.read)
                .await;
            let (err, failure_delay) = match sent.transpose()? {
                None => (
                    timeout(TimeoutKind::Read, timeouts.read, &shown),
                    retry::next_delay(
                        Safety::Idempotent,
                        &Failure::MaybeSent,
                        retries,
                        max_retries,
                    ),
                ),
                Some(Err(e)) => {
                    let (err, failure) = transport_error(&e, "PUT", &shown, timeouts, retries + 1);
                    let delay =
                        retry::next_delay(Safety::Idempotent, &failure, retries, max_retries);
                    (err, delay)
                }
                Some(Ok(resp)) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    // Read even after a 2xx, so the connection can be reused; `read` bounds
                    // it like every other wait.
                    let body = maybe_timeout(timeouts.read, resp.bytes())
                        .await
                        .ok()
                        .and_then(|r| r.ok())
                        .unwrap_or_default();
                    let outcome = (!(200..300).contains(&status)).then(|| format!("HTTP {status}"));
                    if let (Some(t), Some(r)) = (trace, recorder.take()) {
                        r.finish(t, Some(status), Some(&headers), outcome.clone());
                    }
                    if outcome.is_none() {
                        return Ok(());
                    }
                    let request_id = header_string(&headers, "x-request-id");
                    let delay = retry::next_delay(
                        Safety::Idempotent,
                        &Failure::Status {
                            status,
                            headers: &headers,
                        },
                        retries,
                        max_retries,
                    );
                    let err = Error::Status(Box::new(StatusError::from_response(
                        status, body, request_id, "PUT", &shown,
                    )));
                    (err, delay)
                }
            };
            if let (Some(t), Some(r)) = (trace, recorder) {
                r.finish(t, None, None, Some(crate::logging::reason(&err)));
            }
            match failure_delay {
                Some(d) => {
                    if trace.is_some() {
                        previous = Some((crate::logging::reason(&err), d));
                    }
                    log::debug!("retrying PUT {shown} in {d:?} after: {err}");
                    tokio::time::sleep(d).await;
                    retries += 1;
                }
                None => return Err(err),
            }
        }
    };
    with_total(timeouts.total, attempts, "PUT", &shown).await
}

fn timeout(kind: TimeoutKind, after: Option<Duration>, url: &str) -> Error {
    Error::Timeout {
        kind,
        after: after.unwrap_or_default(),
        method: "PUT".into(),
        url: url.to_owned(),
    }
}

/// When the body stream last handed a chunk to the connection.
struct Progress {
    start: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Progress {
    fn new() -> Self {
        Progress {
            start: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    fn track<S, T>(&self, s: S) -> impl Stream<Item = T> + Send + 'static
    where
        S: Stream<Item = T> + Send + 'static,
    {
        let (start, last) = (self.start, self.last_ms.clone());
        s.inspect(move |_| {
            last.store(start.elapsed().as_millis() as u64, Ordering::Relaxed);
        })
    }

    fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }

    /// `fut`'s output, or `None` once there was no progress for `limit`.
    async fn watch<F: Future>(&self, fut: F, limit: Option<Duration>) -> Option<F::Output> {
        let Some(limit) = limit else {
            return Some(fut.await);
        };
        let mut fut = pin!(fut);
        loop {
            let left = limit.saturating_sub(self.idle());
            if left.is_zero() {
                return None;
            }
            tokio::select! {
                out = &mut fut => return Some(out),
                _ = tokio::time::sleep(left) => {}
            }
        }
    }
}

/// `GET /v3/files/{id}`: the stored file's metadata, as the server answers it.
pub async fn retrieve(client: &Client, id: &str, opts: &CallOptions) -> Result<Response> {
    let id = id.strip_prefix("vault://").unwrap_or(id);
    if !valid_id(id) {
        return Err(Error::InvalidRequest(format!(
            "{id:?} is not a file id; pass the id (or vault:// URL) that files.upload() returned."
        )));
    }
    let req = json_request(
        Method::GET,
        format!("{FILES_PATH}/{id}"),
        None,
        Safety::Idempotent,
    );
    client.execute(&req, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_ids() {
        assert_eq!(
            absolute("http://h:1", "/uploads/x?token=t").as_deref(),
            Some("http://h:1/uploads/x?token=t")
        );
        assert_eq!(
            absolute("http://h:1", "https://s3.example/a?sig=1").as_deref(),
            Some("https://s3.example/a?sig=1")
        );
        assert_eq!(absolute("http://h:1", "ftp://x/y"), None);
        assert_eq!(
            shown("https://s/a/b?X-Amz-Signature=secret"),
            "https://s/a/b"
        );
        assert!(valid_id("3fa85f64-5717-4562-b3fc-2c963f66afa6"));
        for bad in ["", "a\"b", "a b", "a/b", "a\\b"] {
            assert!(!valid_id(bad), "{bad:?}");
        }
    }

    /// Every `(sent, total)` a recorder was told.
    type Seen = Arc<std::sync::Mutex<Vec<(u64, u64)>>>;

    fn recorder() -> (OnProgress, Seen) {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = seen.clone();
        let report = OnProgress(Arc::new(move |sent, total| {
            sink.lock().unwrap().push((sent, total));
        }));
        (report, seen)
    }

    async fn drain(body: BoxStream<'static, io::Result<Bytes>>, upto: usize) -> u64 {
        body.take(upto)
            .fold(0, |n, c| async move { n + c.unwrap().len() as u64 })
            .await
    }

    #[tokio::test]
    async fn progress_is_counted_throttled_and_monotonic() {
        // 64 MiB in 8 KiB chunks: 8192 chunks, reported about every 1%.
        let total = 64u64 << 20;
        let chunks = || (0..total / 8192).map(|_| Ok(Bytes::from_static(&[0u8; 8192])));
        let (report, seen) = recorder();
        let counter = Counter::new(report, total);
        // A first attempt that fails halfway, then a full one.
        let half = drain(counter.count(futures::stream::iter(chunks())), 4096).await;
        assert_eq!(half, total / 2);
        let high = seen.lock().unwrap().last().unwrap().0;
        let full = drain(counter.count(futures::stream::iter(chunks())), usize::MAX).await;
        assert_eq!(full, total);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.first(), Some(&(0, total)));
        assert_eq!(seen.last(), Some(&(total, total)));
        assert!(seen.len() <= 102, "{} reports", seen.len());
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
        assert!(seen.iter().filter(|(s, _)| *s == high).count() == 1);

        // A small body: the start and the end only.
        let (report, seen) = recorder();
        let counter = Counter::new(report, 5);
        let body = futures::stream::iter([
            Ok(Bytes::from_static(b"abc")),
            Ok(Bytes::from_static(b"de")),
        ]);
        drain(counter.count(body), usize::MAX).await;
        assert_eq!(*seen.lock().unwrap(), [(0, 5), (5, 5)]);
    }

    #[tokio::test]
    async fn watch_gives_up_only_after_silence() {
        let p = Progress::new();
        let quick = p
            .watch(
                tokio::time::sleep(Duration::from_millis(10)),
                Some(Duration::from_secs(5)),
            )
            .await;
        assert!(quick.is_some());
        let p = Progress::new();
        let slow = p
            .watch(
                tokio::time::sleep(Duration::from_secs(5)),
                Some(Duration::from_millis(50)),
            )
            .await;
        assert!(slow.is_none());
    }
}
