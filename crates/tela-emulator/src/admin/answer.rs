//! What the admin API answers, whichever API a route drives: errors in the Tela envelope.

use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::response::json_response;
pub(crate) use crate::tela::envelope::error;

pub(crate) fn ok() -> Response {
    json_response(StatusCode::OK, &json!({"ok": true}))
}

pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("Invalid JSON body: {e}"),
        ))
    })
}
