//! The emulated Tela API routes. Auth is checked before these run (see `server`).
//! Async runs, files and the other endpoints slot in here as sibling modules.

mod completions;
mod reply;
mod stream;

use std::sync::Arc;

use axum::Router;
use axum::routing::post;

use crate::envelope;
use crate::state::State;

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v2/chat/completions", post(completions::create))
        .fallback(envelope::not_found)
        .method_not_allowed_fallback(envelope::method_not_allowed)
        .with_state(state)
}
