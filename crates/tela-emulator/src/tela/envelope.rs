//! The Tela error envelope (protocol.md §2.2): `{"name":"Error","code","message","status"}`.
//!
//! The admin API answers its own errors in this envelope too; Dify's is in `dify/errors.rs`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::response::json_response;

/// The envelope as JSON.
pub(crate) fn body(status: StatusCode, code: &str, message: &str) -> Value {
    json!({"name": "Error", "code": code, "message": message, "status": status.as_u16()})
}

/// An error response carrying the envelope.
pub(crate) fn error(status: StatusCode, code: &str, message: impl AsRef<str>) -> Response {
    json_response(status, &body(status, code, message.as_ref()))
}

/// The code an injected fault reports for a status when its spec gives no body.
pub(crate) fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "INVALID_REQUEST",
        401 => "UNAUTHORIZED",
        402 => "PAYMENT_REQUIRED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        408 => "REQUEST_TIMEOUT",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        422 => "UNPROCESSABLE_ENTITY",
        429 => "RATE_LIMITED",
        500 => "INTERNAL_SERVER_ERROR",
        502 => "BAD_GATEWAY",
        503 => "SERVICE_UNAVAILABLE",
        504 => "GATEWAY_TIMEOUT",
        _ => "ERROR",
    }
}

/// Fallback handler: unknown routes answer 404 in the envelope, not axum's empty body.
pub(crate) async fn not_found(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("Route not found: {method} {}", uri.path()),
    )
}

/// Fallback handler for a known path with the wrong method.
pub(crate) async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("Method {method} is not allowed on {}", uri.path()),
    )
}
