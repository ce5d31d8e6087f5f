//! HTTP with retries and deadlines, on a per-process reqwest pool.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;

use crate::Timeouts;
use crate::config::ClientConfig;
use crate::error::{ConnectionKind, Error, Result, StatusError, TimeoutKind, classify_transport};
use crate::limiter::Limiter;
use crate::logging::{self};
use crate::retry::{self, Failure};
use crate::runtime::PerProcess;

pub mod cassette;
pub mod observe;
mod redact;
mod request;
mod wire;

pub use request::{CallOptions, FormFactory, OpenResponse, Request, Response};
pub use wire::new_idempotency_key;
use wire::{build_headers, build_http};
pub(crate) use wire::{full_url, header_string, path_segment};

/// The connection pool. One per client family (`with_options` shares it), one per process.
pub struct Transport {
    /// For calls on the multi-thread runtime (async calls).
    http: PerProcess<reqwest::Client>,
    /// For calls on the current-thread runtime (blocking calls); built on first use.
    local_http: PerProcess<reqwest::Client>,
    /// Shared by every call of the family: a 429 to one slows them all.
    limiter: Limiter,
    /// The environment's proxy rules as the pool read them (`None`: an explicit proxy, or
    /// `trust_env=False`), so a connection error can name the proxy it went through.
    env_proxy: Option<hyper_util::client::proxy::matcher::Matcher>,
}

impl Transport {
    pub fn new(cfg: &ClientConfig) -> Result<Self> {
        // Build once now so a bad proxy or CA bundle fails at construction, not first call.
        let first = build_http(cfg)?;
        let build = {
            let cfg = cfg.clone();
            move || build_http(&cfg).unwrap_or_else(|_| reqwest::Client::new())
        };
        Ok(Transport {
            http: PerProcess::with_value(first, build.clone()),
            local_http: PerProcess::lazy(build),
            limiter: Limiter::new(),
            env_proxy: (cfg.trust_env && cfg.proxy.is_none())
                .then(hyper_util::client::proxy::matcher::Matcher::from_env),
        })
    }

    /// The pool of the runtime the caller runs on: a connection's task lives on the runtime
    /// that opened it, so blocking and async calls each keep their own pool.
    pub(crate) fn http(&self) -> reqwest::Client {
        let pool = if crate::runtime::on_local_runtime() {
            &self.local_http
        } else {
            &self.http
        };
        (*pool.get()).clone()
    }

    /// Sends with retries and reads the whole body.
    pub async fn execute(
        &self,
        cfg: &ClientConfig,
        req: &Request,
        opts: &CallOptions,
    ) -> Result<Response> {
        let timeouts = opts.timeouts.unwrap_or(cfg.timeouts);
        let url = full_url(cfg, &req.path);
        let fut = self.attempts(cfg, req, opts, &url, timeouts, true);
        let open = with_total(timeouts.total, fut, req.method.as_str(), &url)
            .await
            .map_err(|e| self.name_proxy(e, cfg))?;
        let Attempt::Done(resp) = open else {
            unreachable!("read_body=true always yields Done")
        };
        Ok(resp)
    }

    /// Sends with retries and returns once the (2xx) headers are in; the body is the caller's.
    pub async fn open(
        &self,
        cfg: &ClientConfig,
        req: &Request,
        opts: &CallOptions,
    ) -> Result<OpenResponse> {
        let timeouts = opts.timeouts.unwrap_or(cfg.timeouts);
        let url = full_url(cfg, &req.path);
        let fut = self.attempts(cfg, req, opts, &url, timeouts, false);
        let opened = with_total(timeouts.total, fut, req.method.as_str(), &url)
            .await
            .map_err(|e| self.name_proxy(e, cfg))?;
        match opened {
            Attempt::Open(o) => Ok(o),
            Attempt::Done(_) => unreachable!("read_body=false always yields Open"),
        }
    }

    async fn attempts(
        &self,
        cfg: &ClientConfig,
        req: &Request,
        opts: &CallOptions,
        url: &str,
        timeouts: Timeouts,
        read_body: bool,
    ) -> Result<Attempt> {
        let max_retries = opts.max_retries.unwrap_or(cfg.max_retries);
        let headers = build_headers(cfg, req, opts)?;
        let http = self.http();
        let log = opts.log.as_ref();
        let method = req.method.as_str();
        let mut retries = 0u32;
        let trace = opts.observe.as_ref();
        // What the attempt before got and how long was slept since (for the next record).
        let mut previous: Option<(String, Duration)> = None;
        loop {
            self.limiter.ready().await;
            if let Some(n) = &opts.attempts {
                n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let started = Instant::now();
            let logged = |outcome: &str, request_id: Option<&str>| {
                if let Some(l) = log {
                    l.attempt(
                        method,
                        &req.path,
                        outcome,
                        started.elapsed(),
                        request_id,
                        retries + 1,
                    );
                }
            };
            let mut rb = http
                .request(req.method.clone(), url)
                .headers(headers.clone());
            if !req.query.is_empty() {
                rb = rb.query(&req.query);
            }
            if !opts.extra_query.is_empty() {
                rb = rb.query(&opts.extra_query);
            }
            if retries > 0 {
                rb = rb.header("x-tela-retry-count", retries.to_string());
            }
            if let Some(body) = &req.body {
                rb = rb.body(body.clone());
            }
            if let Some(form) = &req.form {
                rb = rb.multipart((form.0)()?);
            }
            let mut recorder =
                trace.map(|_| record_start(&rb, method, url, &headers, retries + 1, &previous));
            // The one send point: a cassette (record/replay) sees every attempt here.
            let sent = match maybe_timeout(timeouts.read, cassette::send(&http, rb)).await {
                Ok(Err(refused)) => return Err(refused),
                Ok(Ok(sent)) => Ok(sent),
                Err(elapsed) => Err(elapsed),
            };
            let (err, delay) = match sent {
                Err(_) => {
                    let err = Error::Timeout {
                        kind: TimeoutKind::Read,
                        after: timeouts.read.unwrap_or_default(),
                        method: req.method.to_string(),
                        url: url.to_string(),
                    };
                    (
                        err,
                        retry::next_delay(req.safety, &Failure::MaybeSent, retries, max_retries),
                    )
                }
                Ok(Err(e)) => {
                    let (err, failure) =
                        transport_error(&e, req.method.as_str(), url, timeouts, retries + 1);
                    (
                        err,
                        retry::next_delay(req.safety, &failure, retries, max_retries),
                    )
                }
                Ok(Ok(resp)) => {
                    let status = resp.status().as_u16();
                    let request_id = header_string(resp.headers(), "x-request-id");
                    if resp.status().is_success() {
                        if !read_body {
                            logged(&status.to_string(), request_id.as_deref());
                            if let (Some(t), Some(r)) = (trace, recorder.take()) {
                                r.finish(t, Some(status), Some(resp.headers()), None);
                            }
                            return Ok(Attempt::Open(OpenResponse {
                                response: resp,
                                request_id,
                                retries,
                                url: url.to_string(),
                                method: req.method.to_string(),
                            }));
                        }
                        let headers = resp.headers().clone();
                        match read_all(resp, timeouts.read).await {
                            Ok(body) => {
                                logged(&status.to_string(), request_id.as_deref());
                                if let (Some(t), Some(r)) = (trace, recorder.take()) {
                                    r.finish(t, Some(status), Some(&headers), None);
                                }
                                return Ok(Attempt::Done(Response {
                                    method: req.method.to_string(),
                                    path: req.path.clone(),
                                    status,
                                    headers,
                                    body,
                                    request_id,
                                    retries,
                                    usage: None,
                                }));
                            }
                            Err(kind) => {
                                let err = body_error(kind, req, url, timeouts, retries + 1);
                                (
                                    err,
                                    retry::next_delay(
                                        req.safety,
                                        &Failure::MaybeSent,
                                        retries,
                                        max_retries,
                                    ),
                                )
                            }
                        }
                    } else {
                        let headers = resp.headers().clone();
                        let body = read_all(resp, timeouts.read).await.unwrap_or_default();
                        if let (Some(t), Some(r)) = (trace, recorder.take()) {
                            r.finish(
                                t,
                                Some(status),
                                Some(&headers),
                                Some(format!("HTTP {status}")),
                            );
                        }
                        let delay = retry::next_delay(
                            req.safety,
                            &Failure::Status {
                                status,
                                headers: &headers,
                            },
                            retries,
                            max_retries,
                        );
                        self.slow_down(status, &headers, delay);
                        let mut status_error = StatusError::from_response(
                            status,
                            body,
                            request_id,
                            req.method.as_str(),
                            &req.path,
                        );
                        if status == 401 {
                            status_error.message.push_str(&format!(
                                " (the API key came from {}; check that it is a valid key for this API)",
                                cfg.key_source.describe(),
                            ));
                        }
                        let err = Error::Status(Box::new(status_error));
                        (err, delay)
                    }
                }
            };
            if let (Some(t), Some(r)) = (trace, recorder) {
                r.finish(t, None, None, Some(logging::reason(&err)));
            }
            if log.is_some() {
                let (outcome, request_id) = match &err {
                    Error::Status(e) => (e.status.to_string(), e.request_id.as_deref()),
                    other => (logging::reason(other), None),
                };
                logged(&outcome, request_id);
            }
            match delay {
                Some(d) => {
                    if let Some(l) = log {
                        l.retry(
                            method,
                            &req.path,
                            d,
                            retries + 2,
                            max_retries + 1,
                            &logging::reason(&err),
                        );
                    }
                    if trace.is_some() {
                        previous = Some((logging::reason(&err), d));
                    }
                    tokio::time::sleep(d).await;
                    retries += 1;
                }
                None => return Err(err),
            }
        }
    }
}

impl Transport {
    /// "Slow down" to one call pauses every call of the family: on a 429 (for this call's
    /// retry delay, or the server's hint when it will not retry), and on a 503 that says
    /// when to come back. A 503 without a hint says nothing about rate, so it pauses nobody.
    fn slow_down(&self, status: u16, headers: &HeaderMap, delay: Option<Duration>) {
        let hint = || retry::retry_after(headers).map(|d| d.min(retry::MAX_RETRY_AFTER));
        let pause = match status {
            429 => delay.or_else(hint),
            503 => hint(),
            _ => None,
        };
        if let Some(p) = pause {
            self.limiter.pause(p);
        }
    }
}

/// Starts an attempt's record from the request as it will be sent (the query and a
/// multipart content type included), when it can be built twice; else from its parts.
fn record_start(
    rb: &reqwest::RequestBuilder,
    method: &str,
    url: &str,
    headers: &HeaderMap,
    attempt: u32,
    previous: &Option<(String, Duration)>,
) -> observe::Recorder {
    match rb.try_clone().and_then(|c| c.build().ok()) {
        Some(r) => {
            observe::Recorder::start(method, r.url().as_str(), r.headers(), attempt, previous)
        }
        None => observe::Recorder::start(method, url, headers, attempt, previous),
    }
}

enum Attempt {
    Done(Response),
    Open(OpenResponse),
}

/// Bounds a whole call (retries included) by the `total` deadline.
pub(crate) async fn with_total<T>(
    total: Option<Duration>,
    fut: impl Future<Output = Result<T>>,
    method: &str,
    url: &str,
) -> Result<T> {
    match total {
        None => fut.await,
        Some(t) => tokio::time::timeout(t, fut).await.unwrap_or_else(|_| {
            Err(Error::Timeout {
                kind: TimeoutKind::Total,
                after: t,
                method: method.to_string(),
                url: url.to_string(),
            })
        }),
    }
}

pub(crate) async fn maybe_timeout<F: Future>(
    d: Option<Duration>,
    fut: F,
) -> std::result::Result<F::Output, tokio::time::error::Elapsed> {
    match d {
        Some(d) => tokio::time::timeout(d, fut).await,
        None => Ok(fut.await),
    }
}

enum BodyFailure {
    Timeout,
    Transport(reqwest::Error),
}

/// Reads the body chunk by chunk so the read deadline bounds each gap, not the whole body.
async fn read_all(
    mut resp: reqwest::Response,
    read: Option<Duration>,
) -> std::result::Result<Bytes, BodyFailure> {
    // The declared length is taken once, before any read: once a chunk has been consumed,
    // reqwest reports the *remaining* length, so comparing it with the first chunk would
    // take a first read of exactly half the body for the whole body.
    let declared = resp.content_length();
    let mut buf = BytesMut::with_capacity(declared.unwrap_or(0).min(1 << 24) as usize);
    loop {
        match maybe_timeout(read, resp.chunk()).await {
            Err(_) => return Err(BodyFailure::Timeout),
            Ok(Err(e)) => return Err(BodyFailure::Transport(e)),
            Ok(Ok(None)) => return Ok(buf.freeze()),
            Ok(Ok(Some(chunk))) => {
                if buf.is_empty() && declared == Some(chunk.len() as u64) {
                    return Ok(chunk);
                }
                buf.extend_from_slice(&chunk);
            }
        }
    }
}

fn body_error(
    kind: BodyFailure,
    req: &Request,
    url: &str,
    timeouts: Timeouts,
    attempts: u32,
) -> Error {
    match kind {
        BodyFailure::Timeout => Error::Timeout {
            kind: TimeoutKind::Read,
            after: timeouts.read.unwrap_or_default(),
            method: req.method.to_string(),
            url: url.to_string(),
        },
        BodyFailure::Transport(e) => {
            let (kind, detail) = classify_transport(&e);
            let kind = if kind == ConnectionKind::Other {
                ConnectionKind::Incomplete
            } else {
                kind
            };
            Error::Connection {
                kind,
                method: req.method.to_string(),
                url: url.to_string(),
                detail,
                attempts,
            }
        }
    }
}

/// Names a failed send (connect timeout, read timeout, or a classified connection error)
/// and says whether the request can have reached the server.
pub(crate) fn transport_error(
    e: &reqwest::Error,
    method: &str,
    url: &str,
    timeouts: Timeouts,
    attempts: u32,
) -> (Error, Failure<'static>) {
    if let Some(err) = crate::redirect::refused(e, method, url) {
        return (err, final_failure());
    }
    let method = method.to_string();
    if e.is_connect() {
        if e.is_timeout() || is_elapsed(e) {
            let err = Error::Timeout {
                kind: TimeoutKind::Connect,
                after: timeouts.connect.unwrap_or_default(),
                method,
                url: url.to_string(),
            };
            return (err, Failure::NotConnected);
        }
        let (kind, detail) = classify_transport(e);
        return (
            Error::Connection {
                kind,
                method,
                url: url.to_string(),
                detail,
                attempts,
            },
            Failure::NotConnected,
        );
    }
    if e.is_timeout() {
        let err = Error::Timeout {
            kind: TimeoutKind::Read,
            after: timeouts.read.unwrap_or_default(),
            method,
            url: url.to_string(),
        };
        return (err, Failure::MaybeSent);
    }
    let (kind, detail) = classify_transport(e);
    (
        Error::Connection {
            kind,
            method,
            url: url.to_string(),
            detail,
            attempts,
        },
        Failure::MaybeSent,
    )
}

/// A failure no retry can fix (a refused redirect): a status that is never retried.
fn final_failure() -> Failure<'static> {
    static NO_HEADERS: std::sync::LazyLock<HeaderMap> = std::sync::LazyLock::new(HeaderMap::new);
    Failure::Status {
        status: 400,
        headers: &NO_HEADERS,
    }
}

impl Transport {
    /// The proxy a request to `url` goes through: the explicit one, or the environment's
    /// (`HTTPS_PROXY`... minus `NO_PROXY`, decided by the matcher reqwest uses).
    fn proxy_for(&self, cfg: &ClientConfig, url: &str) -> Option<String> {
        if let Some(p) = &cfg.proxy {
            return Some(p.clone());
        }
        let uri: http::Uri = url.parse().ok()?;
        let hit = self.env_proxy.as_ref()?.intercept(&uri)?;
        Some(format!(
            "{} (from the environment's proxy variables; trust_env=False ignores them)",
            hit.uri()
        ))
    }

    /// Through a proxy every connection goes to the proxy, so a failure to connect is the
    /// proxy's: the message names it (password masked), not only the target.
    fn name_proxy(&self, err: Error, cfg: &ClientConfig) -> Error {
        match err {
            Error::Connection {
                kind,
                method,
                url,
                detail,
                attempts,
            } if matches!(
                kind,
                ConnectionKind::Refused | ConnectionKind::Dns | ConnectionKind::Tls
            ) =>
            {
                let detail = match self.proxy_for(cfg, &url) {
                    Some(proxy) => {
                        format!("through proxy {proxy}, which could not be reached: {detail}")
                    }
                    None => detail,
                };
                Error::Connection {
                    kind,
                    method,
                    url,
                    detail,
                    attempts,
                }
            }
            err => err,
        }
    }
}

fn is_elapsed(e: &reqwest::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if c.to_string().contains("timed out") {
            return true;
        }
        cur = c.source();
    }
    false
}
