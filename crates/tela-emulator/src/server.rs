//! The accept loop and the pipeline every request goes through: buffer the body, route
//! admin requests aside, record, apply faults, check auth, then hand over to the Tela router.
//!
//! It is hyper's HTTP/1 connection driver rather than `axum::serve` because a `drop` fault
//! must close the connection with no response at all: the service returns an error, and
//! hyper then closes the socket without writing anything.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use futures::StreamExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use crate::clock::unix_ms;
use crate::faults::FaultSpec;
use crate::log::{LogHandle, RecordedRequest, masked_headers};
use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::envelope;
use crate::{admin, dify, ids, tela};

/// Largest request body read; inline base64 files make bodies large, but not unbounded.
const MAX_BODY: usize = 256 * 1024 * 1024;

/// The service's error: hyper closes the connection without a response.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

struct App {
    state: Arc<State>,
    api: Router,
    admin: Router,
    dify: Router,
}

/// Serves until `stopped` turns true (or its sender is dropped), then closes the listener.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
) {
    let app = Arc::new(App {
        api: tela::router(state.clone()),
        admin: admin::router(state.clone()),
        dify: dify::router(state.clone()),
        state,
    });
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.wait_for(|s| *s) => break,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, app.clone(), stopped.clone()));
            }
            // E.g. out of file descriptors: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

async fn connection(stream: TcpStream, app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    // Small SSE writes (split frames) must leave as separate segments, not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |req| {
        let app = app.clone();
        async move { handle(&app, req).await }
    });
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stopped.wait_for(|s| *s) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

async fn handle(app: &App, req: Request<Incoming>) -> Result<Response<Body>, DropConnection> {
    let request_id = ids::request_id();
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    // Uploads (Dify's, and PUTs to file upload URLs) are read by their handler as they
    // arrive; every other body is buffered.
    let (body, streamed) = if dify::streams_body(&parts.method, &path)
        || tela::files::streams_body(&parts.method, &path)
    {
        (Ok(Bytes::new()), Some(body))
    } else {
        (axum::body::to_bytes(Body::new(body), MAX_BODY).await, None)
    };

    if path == "/_emulator" || path.starts_with("/_emulator/") {
        let resp = match body {
            Ok(body) => call(&app.admin, parts, body).await,
            Err(_) => unreadable_body(&parts.headers),
        };
        return Ok(with_request_id(resp, &request_id));
    }

    let handle = lock(&app.state.log).record(record(&parts, body.as_ref().ok()));
    parts.extensions.insert(LogHandle(handle));
    let fault = lock(&app.state.faults).take(parts.method.as_str(), &path);
    let mut extra_headers = HeaderMap::new();
    let mut response = None;
    if let Some(fault) = fault {
        if fault.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
        }
        if fault.drop {
            lock(&app.state.log).set_status(handle, 0);
            return Err(DropConnection);
        }
        extra_headers = fault_headers(&fault);
        response = fault
            .status
            .map(|status| fault_response(status, fault.body, dify::owns(&path)));
    }
    let mut resp = match (response, body) {
        (Some(resp), _) => {
            // Read a streamed body to its end first, as a server rejecting it after reading
            // would, so the client gets the answer rather than a reset while still sending.
            if let Some(body) = streamed {
                let mut data = Body::new(body).into_data_stream();
                while let Some(Ok(_)) = data.next().await {}
            }
            resp
        }
        (None, Err(_)) => unreadable_body(&parts.headers),
        // Dify routes check their own app keys and answer in Dify's envelope.
        (None, Ok(body)) if dify::owns(&path) => {
            let body = streamed.map_or_else(|| Body::from(body), Body::new);
            call(&app.dify, parts, body).await
        }
        (None, Ok(_)) if needs_auth(&path) && !app.state.authorized(authorization(&parts)) => {
            envelope::error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "Missing or invalid API key",
            )
        }
        (None, Ok(body)) => {
            let body = streamed.map_or_else(|| Body::from(body), Body::new);
            call(&app.api, parts, body).await
        }
    };
    for (name, value) in &extra_headers {
        resp.headers_mut().insert(name.clone(), value.clone());
    }
    lock(&app.state.log).set_status(handle, resp.status().as_u16());
    Ok(with_request_id(resp, &request_id))
}

async fn call(router: &Router, parts: Parts, body: impl Into<Body>) -> Response<Body> {
    let result: Result<_, Infallible> = router
        .clone()
        .oneshot(Request::from_parts(parts, body.into()))
        .await;
    match result {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

fn authorization(parts: &Parts) -> Option<&[u8]> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes)
}

/// API routes (`/v1`, `/v2`, `/v3`, ...) need a key; unknown top-level paths just 404.
fn needs_auth(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    first.len() > 1 && first.starts_with('v') && first[1..].bytes().all(|b| b.is_ascii_digit())
}

fn record(parts: &Parts, body: Option<&Bytes>) -> RecordedRequest {
    let bytes = body.map_or(&[][..], |b| &b[..]);
    RecordedRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: masked_headers(&parts.headers),
        body: serde_json::from_slice(bytes).unwrap_or(Value::Null),
        body_len: bytes.len(),
        status: 0,
        time_ms: unix_ms(),
    }
}

fn unreadable_body(headers: &HeaderMap) -> Response<Body> {
    let too_large = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_BODY);
    if too_large {
        envelope::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("Request body is larger than {MAX_BODY} bytes"),
        )
    } else {
        envelope::error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Could not read the request body",
        )
    }
}

/// Retry hints and custom headers of a fault; invalid names or values are skipped.
fn fault_headers(fault: &FaultSpec) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut put = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    };
    if let Some(v) = &fault.retry_after {
        put("retry-after", v);
    }
    if let Some(ms) = fault.retry_after_ms {
        put("retry-after-ms", &ms.to_string());
    }
    for (name, value) in &fault.headers {
        put(name, value);
    }
    headers
}

fn fault_response(status: u16, body: Option<Value>, dify: bool) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match body {
        None if dify => json_response(status, &dify::errors::fault(status)),
        None => envelope::error(
            status,
            envelope::default_code(status),
            format!(
                "Injected fault: {}",
                status.canonical_reason().unwrap_or("error")
            ),
        ),
        Some(Value::String(text)) => {
            let mut resp = (status, text).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            resp
        }
        Some(value) => json_response(status, &value),
    }
}

fn with_request_id(mut resp: Response<Body>, request_id: &str) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn auth_paths() {
        assert!(super::needs_auth("/v2/chat/completions"));
        assert!(super::needs_auth("/v1"));
        assert!(super::needs_auth("/v3/files/x"));
        assert!(!super::needs_auth("/"));
        assert!(!super::needs_auth("/video"));
        assert!(!super::needs_auth("/v/x"));
    }
}
