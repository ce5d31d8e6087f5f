//! Dify's error envelope (protocol.md §6.1): `{"code", "message", "status"}`, and its fixed answers.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::response::json_response;

pub(crate) fn error(status: StatusCode, code: &str, message: impl AsRef<str>) -> Response {
    json_response(
        status,
        &json!({"code": code, "message": message.as_ref(), "status": status.as_u16()}),
    )
}

/// 401 `unauthorized`, with the `WWW-Authenticate` header Dify adds to every 401.
pub(crate) fn unauthorized(message: &str) -> Response {
    let mut resp = error(StatusCode::UNAUTHORIZED, "unauthorized", message);
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"api\""),
    );
    resp
}

pub(crate) fn invalid_param(message: impl AsRef<str>) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_param", message)
}

pub(crate) fn missing_user() -> Response {
    invalid_param("Arg user must be provided.")
}

pub(crate) fn bad_json() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "bad_request",
        "Invalid JSON payload received or JSON payload is empty.",
    )
}

pub(crate) fn app_unavailable() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "app_unavailable",
        "App unavailable, please check your app configurations.",
    )
}

pub(crate) fn not_chat_app() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "not_chat_app",
        "Please check if your app mode matches the right API route.",
    )
}

pub(crate) fn internal(message: impl AsRef<str>) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_server_error",
        message,
    )
}

/// Unknown Dify routes answer like Werkzeug's 404 through Dify's handler.
pub(crate) async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
    )
}

pub(crate) async fn method_not_allowed() -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "The method is not allowed for the requested URL.",
    )
}

/// The code an injected fault reports for a status when its spec gives no body.
pub(crate) fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "file_too_large",
        415 => "unsupported_file_type",
        429 => "too_many_requests",
        502 => "bad_gateway",
        503 => "service_unavailable",
        504 => "gateway_timeout",
        s if s >= 500 => "internal_server_error",
        _ => "error",
    }
}

/// An injected fault on a Dify path without its own body: the Dify envelope.
pub(crate) fn fault(status: StatusCode) -> Value {
    json!({
        "code": default_code(status),
        "message": format!("Injected fault: {}", status.canonical_reason().unwrap_or("error")),
        "status": status.as_u16(),
    })
}
