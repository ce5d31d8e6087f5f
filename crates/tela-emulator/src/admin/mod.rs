//! The admin API under `/_emulator`, for driving a standalone emulator over HTTP. It needs
//! no auth, is never recorded and never faulted, so a test's own setup stays out of its
//! assertions.

pub(crate) mod answer;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use crate::EmulatorError;
use crate::faults::FaultSpec;
use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::envelope;
use crate::tela::spec::CanvasSpec;
use answer::{error, ok, parse};

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/canvases", post(add_canvas))
        .route("/_emulator/faults", post(add_fault).delete(clear_faults))
        .route("/_emulator/requests", get(requests).delete(clear_requests))
        .route("/_emulator/dify/apps", post(crate::dify::admin::add_app))
        .route("/_emulator/dify/uploads", get(crate::dify::admin::uploads))
        .route(
            "/_emulator/dify/feedbacks",
            get(crate::dify::admin::feedbacks),
        )
        .route("/_emulator/webhooks", get(webhooks).delete(clear_webhooks))
        .fallback(envelope::not_found)
        .method_not_allowed_fallback(envelope::method_not_allowed)
        .with_state(state)
}

async fn health() -> Response {
    ok()
}

async fn add_canvas(Extract(state): Extract<Arc<State>>, body: Bytes) -> Response {
    let spec: CanvasSpec = match parse(&body) {
        Ok(spec) => spec,
        Err(resp) => return *resp,
    };
    match lock(&state.registry).add(spec, None) {
        Ok(info) => json_response(StatusCode::OK, &json!(info)),
        Err(
            e @ (EmulatorError::DuplicateCanvas(_)
            | EmulatorError::DuplicateVersion(_)
            | EmulatorError::DuplicateApplication(_)),
        ) => error(StatusCode::CONFLICT, "CONFLICT", e.to_string()),
        Err(e) => error(StatusCode::BAD_REQUEST, "INVALID_SCHEMA", e.to_string()),
    }
}

async fn add_fault(Extract(state): Extract<Arc<State>>, body: Bytes) -> Response {
    let fault: FaultSpec = match parse(&body) {
        Ok(fault) => fault,
        Err(resp) => return *resp,
    };
    if let Some(status) = fault.status
        && StatusCode::from_u16(status).is_err()
    {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_SCHEMA",
            format!("status {status} is not an HTTP status code"),
        );
    }
    lock(&state.faults).add(fault);
    ok()
}

async fn clear_faults(Extract(state): Extract<Arc<State>>) -> Response {
    lock(&state.faults).clear();
    ok()
}

async fn requests(Extract(state): Extract<Arc<State>>) -> Response {
    let all = lock(&state.log).all();
    json_response(StatusCode::OK, &json!(all))
}

async fn clear_requests(Extract(state): Extract<Arc<State>>) -> Response {
    lock(&state.log).clear();
    ok()
}

async fn webhooks(Extract(state): Extract<Arc<State>>) -> Response {
    let all = lock(&state.deliveries).clone();
    json_response(StatusCode::OK, &json!(all))
}

async fn clear_webhooks(Extract(state): Extract<Arc<State>>) -> Response {
    lock(&state.deliveries).clear();
    ok()
}
