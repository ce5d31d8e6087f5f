//! What one call asks for (`Request`, its per-call `CallOptions`) and what it gets back
//! (`Response`, `OpenResponse` for streams).

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::HeaderMap;

use crate::Timeouts;
use crate::error::{Error, Result};
use crate::logging::Logger;
use crate::retry::Safety;

/// Per-call knobs (`extra_headers=`, `extra_query=`, `timeout=`, `max_retries=`).
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    pub extra_headers: Vec<(String, String)>,
    pub extra_query: Vec<(String, String)>,
    pub timeouts: Option<Timeouts>,
    pub max_retries: Option<u32>,
    /// Where attempt and retry lines go; `None` (the default) logs nothing.
    pub log: Option<Logger>,
    /// Told the bytes sent of each vault upload body (`files.upload`).
    pub progress: Option<crate::tela::files::OnProgress>,
    /// Where every attempt is recorded for tracing and event hooks; `None` records nothing.
    pub observe: Option<super::observe::Trace>,
    /// Counts every attempt (the usage ledger's `attempts`); set by the client per request.
    pub attempts: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl CallOptions {
    /// Builds the options of one call from what the user passed, checking each: a mistake
    /// here is an `InvalidRequest`, raised before anything is sent. This is the one place
    /// per-call options are checked; the faces only translate types.
    pub fn new(
        extra_headers: Vec<(String, String)>,
        extra_query: Vec<(String, String)>,
        base: Timeouts,
        timeout: Option<&crate::config::TimeoutSpec>,
        max_retries: Option<i64>,
    ) -> Result<Self> {
        for (k, v) in &extra_headers {
            crate::config::validate_header(k, v)?;
        }
        let timeouts = match timeout {
            Some(spec) => Some(base.apply(spec).map_err(Error::InvalidRequest)?),
            None => None,
        };
        let max_retries = max_retries
            .map(crate::config::check_max_retries)
            .transpose()
            .map_err(Error::InvalidRequest)?;
        Ok(CallOptions {
            extra_headers,
            extra_query,
            timeouts,
            max_retries,
            log: None,
            progress: None,
            observe: None,
            attempts: None,
        })
    }
}

/// What to send. The body is `Bytes` so every retry resends it without copying.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: Method,
    /// Appended to the base URL (which may itself carry a path, as Dify's `/v1` does).
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Bytes>,
    pub content_type: Option<&'static str>,
    pub headers: Vec<(String, String)>,
    pub safety: Safety,
    pub accept: &'static str,
    /// A multipart body (sent instead of `body`), built afresh for every attempt.
    pub form: Option<FormFactory>,
    /// Who the request is for, when the op that built the body read it there; else the
    /// usage ledger parses it out of `body`.
    pub whom: Option<crate::usage::Whom>,
}

/// Builds a multipart form for one attempt: a streamed file part can be sent only once, so
/// each retry reopens its source instead of buffering the file.
#[derive(Clone)]
pub struct FormFactory(
    pub std::sync::Arc<dyn Fn() -> Result<reqwest::multipart::Form> + Send + Sync>,
);

impl std::fmt::Debug for FormFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormFactory")
    }
}

impl Request {
    pub fn json(
        method: Method,
        path: impl Into<String>,
        body: Option<Bytes>,
        safety: Safety,
    ) -> Self {
        let has_body = body.is_some();
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            body,
            content_type: has_body.then_some("application/json"),
            headers: Vec::new(),
            safety,
            accept: "application/json",
            form: None,
            whom: None,
        }
    }
}

/// A complete, successful (2xx) response, with the request line that got it (so an answer
/// the SDK cannot read names the real request, ids in the path included).
#[derive(Debug)]
pub struct Response {
    pub method: String,
    /// The request's path below the base URL, without the query.
    pub path: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub request_id: Option<String>,
    pub retries: u32,
    /// The client's ledger entry for this request, until the answer is read (`usage.rs`).
    pub usage: Option<crate::usage::Pending>,
}

impl Response {
    /// The headers as `(lower-case name, value)` with a repeated name's values joined by
    /// `", "` (as HTTP allows), in first-seen order; values that are not visible ASCII are
    /// decoded lossily. What `with_raw_response` shows.
    pub fn joined_headers(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::with_capacity(self.headers.keys_len());
        for name in self.headers.keys() {
            let mut joined = String::new();
            for value in self.headers.get_all(name) {
                if !joined.is_empty() {
                    joined.push_str(", ");
                }
                joined.push_str(&String::from_utf8_lossy(value.as_bytes()));
            }
            out.push((name.as_str().to_owned(), joined));
        }
        out
    }

    /// The answer is 2xx but not what the API promises: an error naming this request.
    pub fn decode_error(&self, message: String) -> Error {
        Error::Decode {
            status: self.status,
            message,
            method: self.method.clone(),
            path: self.path.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

/// A successful response whose body has not been read yet (streams).
pub struct OpenResponse {
    pub response: reqwest::Response,
    pub request_id: Option<String>,
    pub retries: u32,
    pub url: String,
    pub method: String,
}
