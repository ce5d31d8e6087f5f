//! The emulated Tela API routes. Auth is checked before these run (see `server`).
//! Async runs, files and the other endpoints slot in here as sibling modules.

mod completions;
pub(crate) mod files;
mod reply;
mod runs;
mod stream;
mod webhook;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::envelope;
use crate::state::State;

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v2/chat/completions", post(completions::create))
        .route("/v2/chat/completions/{id}", get(runs::retrieve))
        .route("/v1/completion-run", get(runs::list))
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
