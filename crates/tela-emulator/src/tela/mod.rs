//! The emulated Tela API: its routes and everything only they use. Auth is checked before
//! these run (see `server`).
//!
//! - What a canvas is: `spec` (the public serde types), `registry` (canvases, versions,
//!   environments, applications), `prompt` and `reply` (what a canvas answers).
//! - `POST /v2/chat/completions`: `request` (the body, checked), `completions` (the handler),
//!   `answer` (the `chat.completion` object), `stream` (SSE).
//! - Async runs: `runs/` (their life, store, list query and camelCase rows), `webhook`;
//!   Workstation tasks (`application_id` runs and `POST /task`, their review, listing and
//!   query): `tasks/`.
//! - Canvases, versions and environments: `canvases`.
//! - Files: `files` (the endpoints and file references in a request), `vault` (the store).
//! - `envelope`: Tela's error body, also the admin API's.

mod answer;
mod canvases;
pub(crate) mod completions;
pub(crate) mod envelope;
pub(crate) mod files;
mod prompt;
pub(crate) mod registry;
mod reply;
pub(crate) mod request;
pub(crate) mod runs;
pub(crate) mod spec;
mod stream;
pub(crate) mod tasks;
pub(crate) mod vault;
mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::state::State;

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v2/chat/completions", post(completions::create))
        .route("/v2/chat/completions/{id}", get(runs::retrieve))
        .route("/v1/completion-run", get(runs::list))
        .route("/prompt", get(canvases::list))
        .route("/prompt/{id}", get(canvases::get))
        .route("/prompt/{id}/promoted-version", get(canvases::promoted))
        .route("/prompt/{id}/latest-version", get(canvases::latest))
        .route("/prompt-version/history", get(canvases::history))
        .route("/prompt-version/{id}", get(canvases::version))
        .route("/environment/version", get(canvases::environment_version))
        .route("/environment/publish-by-name", post(canvases::publish))
        .route("/task", post(tasks::create).get(tasks::list))
        .route("/task/query", post(tasks::query))
        .route("/task/{id}", get(tasks::retrieve).patch(tasks::update))
        .route("/v3/files", post(files::create))
        .route("/v3/files/{id}", get(files::retrieve))
        .route("/v2/file", post(files::create_legacy))
        .route("/uploads/{id}", put(files::receive))
        .route("/files/{id}", get(files::download))
        .fallback(envelope::not_found)
        .method_not_allowed_fallback(envelope::method_not_allowed)
        // The server already caps buffered bodies (MAX_BODY); inline files exceed axum's 2 MB.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}
