//! What one call's transport did, attempt by attempt, for a face's tracing and event hooks.
//!
//! A face that wants it puts a [`Trace`] in `CallOptions::observe`; the transport then
//! records every attempt (the vault's presigned `PUT` too) with wall-clock timestamps taken
//! where the bytes move, and a stream records when its first event arrived and how many it
//! delivered. The face reads the record with the result. With no `Trace` (the default)
//! nothing is recorded: one `Option` check per attempt.
//!
//! Secrets never enter a record: header values that can carry one are replaced, a URL's
//! password and the values of query parameters that can sign or authorize are masked.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// One call's record, shared by the call's futures (retries, polls, uploads, the stream).
#[derive(Clone, Debug, Default)]
pub struct Trace(Arc<Mutex<Record>>);

/// Everything recorded so far.
#[derive(Clone, Debug, Default)]
pub struct Record {
    pub attempts: Vec<AttemptRecord>,
    /// When a stream's first event was decoded.
    pub first_chunk: Option<SystemTime>,
    /// When a stream's last event was decoded.
    pub last_chunk: Option<SystemTime>,
    /// The events a stream delivered.
    pub events: u64,
}

/// One HTTP attempt.
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    /// `"http"`, or `"upload"` for the vault's presigned `PUT`.
    pub kind: &'static str,
    pub method: String,
    /// The full URL, secrets masked.
    pub url: String,
    /// The headers sent, secrets redacted.
    pub request_headers: Vec<(String, String)>,
    /// 1 for the first attempt of a request.
    pub attempt: u32,
    /// Why this attempt is a resend (what the one before it got), if it is one.
    pub retry_reason: Option<String>,
    /// How long the transport slept before this attempt (its backoff).
    pub backoff: Option<Duration>,
    pub start: SystemTime,
    pub end: SystemTime,
    pub status: Option<u16>,
    /// The response headers, secrets redacted (empty when no response came).
    pub response_headers: Vec<(String, String)>,
    /// Why the attempt failed (`HTTP 503`, `read timeout`...); `None` on success.
    pub error: Option<String>,
    pub request_id: Option<String>,
    /// The body size of an upload.
    pub bytes: Option<u64>,
}

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&self, attempt: AttemptRecord) {
        self.lock().attempts.push(attempt);
    }

    /// A stream handed over `events` more events.
    pub fn events(&self, events: usize) {
        if events == 0 {
            return;
        }
        let now = SystemTime::now();
        let mut r = self.lock();
        r.first_chunk.get_or_insert(now);
        r.last_chunk = Some(now);
        r.events += events as u64;
    }

    /// A copy of what was recorded so far.
    pub fn snapshot(&self) -> Record {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Record> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Builds the record of one attempt as it goes (started before the send).
pub(crate) struct Recorder {
    pub method: String,
    pub url: String,
    pub request_headers: Vec<(String, String)>,
    pub attempt: u32,
    pub retry_reason: Option<String>,
    pub backoff: Option<Duration>,
    pub start: SystemTime,
    pub bytes: Option<u64>,
}

impl Recorder {
    pub fn start(
        method: &str,
        url: &str,
        headers: &HeaderMap,
        attempt: u32,
        previous: &Option<(String, Duration)>,
    ) -> Self {
        Recorder {
            method: method.to_owned(),
            url: mask_url(url),
            request_headers: redact_headers(headers),
            attempt,
            retry_reason: previous.as_ref().map(|(r, _)| r.clone()),
            backoff: previous.as_ref().map(|(_, d)| *d),
            start: SystemTime::now(),
            bytes: None,
        }
    }

    pub fn finish(
        self,
        trace: &Trace,
        status: Option<u16>,
        headers: Option<&HeaderMap>,
        error: Option<String>,
    ) {
        let request_id = headers.and_then(|h| super::header_string(h, "x-request-id"));
        trace.push(AttemptRecord {
            kind: if self.bytes.is_some() {
                "upload"
            } else {
                "http"
            },
            method: self.method,
            url: self.url,
            request_headers: self.request_headers,
            attempt: self.attempt,
            retry_reason: self.retry_reason,
            backoff: self.backoff,
            start: self.start,
            end: SystemTime::now(),
            status,
            response_headers: headers.map(redact_headers).unwrap_or_default(),
            error,
            request_id,
            bytes: self.bytes,
        });
    }
}

/// Whether a header's value can carry a secret.
pub fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(
        n.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || [
        "key",
        "token",
        "secret",
        "password",
        "signature",
        "auth",
        "credential",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// Whether a query parameter's value can carry a secret (presigned URLs sign with these).
fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "sig"
        || n == "se"
        || [
            "signature",
            "key",
            "token",
            "secret",
            "password",
            "credential",
            "auth",
        ]
        .iter()
        .any(|w| n.contains(w))
}

/// The headers as `(lower-case name, value)`, every value that can carry a secret replaced.
pub fn redact_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let v = if value.is_sensitive() || is_secret_header(name.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), v)
        })
        .collect()
}

/// The URL with its user name and password masked and the values of query parameters that
/// can sign or authorize replaced.
pub fn mask_url(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return url.split(['?', '#']).next().unwrap_or(url).to_owned();
    };
    if u.password().is_some() {
        let _ = u.set_password(Some(REDACTED));
    }
    if !u.username().is_empty() {
        let _ = u.set_username(REDACTED);
    }
    super::redact::query_values(&mut u, is_secret_param, REDACTED);
    u.set_fragment(None);
    u.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn secrets_are_masked_in_urls_and_headers() {
        let u = mask_url(
            "https://user:pw@s3.example/b/k?X-Amz-Signature=abc&X-Amz-Credential=c&part=2#frag",
        );
        assert!(!u.contains("pw") && !u.contains("abc") && !u.contains("user"));
        assert!(u.contains("part=2"), "{u}");
        let mut h = HeaderMap::new();
        h.insert("authorization", HeaderValue::from_static("Bearer sk-1"));
        h.insert("x-api-key", HeaderValue::from_static("sk-2"));
        h.insert("accept", HeaderValue::from_static("text/event-stream"));
        let mut s = HeaderValue::from_static("hidden");
        s.set_sensitive(true);
        h.insert("x-custom", s);
        let shown = redact_headers(&h);
        let text = format!("{shown:?}");
        assert!(!text.contains("sk-") && !text.contains("hidden"), "{text}");
        assert!(text.contains("text/event-stream"));
    }

    #[test]
    fn stream_events_set_first_and_last_chunk() {
        let t = Trace::new();
        t.events(0);
        assert!(t.snapshot().first_chunk.is_none());
        t.events(2);
        t.events(3);
        let r = t.snapshot();
        assert_eq!(r.events, 5);
        assert!(r.first_chunk.unwrap() <= r.last_chunk.unwrap());
    }
}
