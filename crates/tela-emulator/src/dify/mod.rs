//! The emulated Dify service API (protocol.md §6), served under `/v1` on the emulator's port
//! so `DifyClient(base_url=emulator_url + "/v1")` works. Apps authenticate with their own
//! `app-...` keys (not the emulator's Tela keys) and errors use Dify's envelope.

pub(crate) mod admin;
pub(crate) mod apps;
mod auth;
mod conversations;
pub(crate) mod errors;
mod files;
mod info;
mod json_style;
mod messages;
pub mod spec;
mod stream;
mod usage;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{delete, get, post};

use crate::state::State;

/// The first path segments after `/v1` that belong to Dify (Tela's `/v1/completion-run`
/// stays with the Tela router).
const DIFY_ROOTS: [&str; 11] = [
    "completion-messages",
    "chat-messages",
    "files",
    "parameters",
    "meta",
    "info",
    "messages",
    "site",
    "conversations",
    "text-to-audio",
    "audio-to-text",
];

/// Whether a request path is a Dify route.
pub(crate) fn owns(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/v1/") else {
        return false;
    };
    DIFY_ROOTS.contains(&rest.split('/').next().unwrap_or(""))
}

/// Whether the handler reads the body itself, as it arrives, instead of the server
/// buffering it (uploads may be 100 MB).
pub(crate) fn streams_body(method: &Method, path: &str) -> bool {
    method == Method::POST && path == "/v1/files/upload"
}

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/v1/completion-messages", post(messages::completion))
        .route(
            "/v1/completion-messages/{task_id}/stop",
            post(info::stop_completion),
        )
        .route("/v1/chat-messages", post(messages::chat))
        .route("/v1/chat-messages/{task_id}/stop", post(info::stop_chat))
        .route(
            "/v1/files/upload",
            post(files::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/parameters", get(info::parameters))
        .route("/v1/meta", get(info::meta))
        .route("/v1/info", get(info::info))
        .route("/v1/messages/{message_id}/feedbacks", post(info::feedback))
        .route("/v1/messages", get(conversations::history))
        .route("/v1/conversations", get(conversations::list))
        .route(
            "/v1/conversations/{conversation_id}",
            delete(conversations::delete),
        )
        .route(
            "/v1/conversations/{conversation_id}/name",
            post(conversations::rename),
        )
        .route("/v1/site", get(conversations::site))
        .route("/v1/files/{file_id}/preview", get(conversations::preview))
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .with_state(state)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dify_paths() {
        assert!(super::owns("/v1/completion-messages"));
        assert!(super::owns("/v1/files/upload"));
        assert!(super::owns("/v1/messages/x/feedbacks"));
        assert!(!super::owns("/v1/completion-run"));
        assert!(!super::owns("/v2/chat/completions"));
        assert!(!super::owns("/v1"));
    }
}
