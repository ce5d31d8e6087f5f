//! The Dify part of the admin API (`/_emulator/dify/...`), for a standalone emulator:
//! register apps, and read the uploads and feedback they received.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::spec::DifyAppSpec;
use crate::admin::answer::{error, parse};
use crate::response::json_response;
use crate::state::{State, lock};

/// `POST /_emulator/dify/apps` with a `DifyAppSpec`: answers the `DifyAppInfo` (with the key).
pub(crate) async fn add_app(Extract(state): Extract<Arc<State>>, body: Bytes) -> Response {
    let spec: DifyAppSpec = match parse(&body) {
        Ok(spec) => spec,
        Err(resp) => return *resp,
    };
    match lock(&state.dify).add(spec, None) {
        Ok(info) => json_response(StatusCode::OK, &json!(info)),
        Err(e) => error(StatusCode::BAD_REQUEST, "INVALID_SCHEMA", e.to_string()),
    }
}

/// `GET /_emulator/dify/uploads`.
pub(crate) async fn uploads(Extract(state): Extract<Arc<State>>) -> Response {
    json_response(StatusCode::OK, &json!(lock(&state.dify).uploads))
}

/// `GET /_emulator/dify/feedbacks`.
pub(crate) async fn feedbacks(Extract(state): Extract<Arc<State>>) -> Response {
    json_response(StatusCode::OK, &json!(lock(&state.dify).feedbacks()))
}
