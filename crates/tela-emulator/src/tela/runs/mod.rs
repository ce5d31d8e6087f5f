//! Async runs (protocol.md §3.4, §4.1, §4.2). A request with `async: true`, a `webhook_url` or an
//! `application_id` is answered at once with the run object and lives on (`life`). Runs are
//! kept in `store`, read back with `GET /v2/chat/completions/{id}` and listed with
//! `GET /v1/completion-run` (its query in `query`, its camelCase rows from `camel`).

mod camel;
mod life;
mod query;
pub(crate) mod store;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State as Extract};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::envelope;
use camel::camel_keys;
pub(crate) use life::{begin, start};
use query::{Filter, ListQuery};

/// `GET /v2/chat/completions/{id}`.
pub(crate) async fn retrieve(
    Extract(state): Extract<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    match lock(&state.runs).get(&id) {
        Some(run) => json_response(StatusCode::OK, &run),
        None => envelope::error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "Completion run not found",
        ),
    }
}

/// `GET /v1/completion-run`: camelCase rows, `limit` clamped to 1..100 (default 10).
pub(crate) async fn list(
    Extract(state): Extract<Arc<State>>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let query = match ListQuery::parse(&query) {
        Ok(query) => query,
        Err(message) => {
            return envelope::error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message);
        }
    };
    if let Some(message) = missing_resource(&state, &query.filter) {
        return envelope::error(StatusCode::NOT_FOUND, "NOT_FOUND", message);
    }
    let (rows, next) = lock(&state.runs).list(&query.filter, query.cursor.as_ref(), query.limit);
    json_response(
        StatusCode::OK,
        &json!({
            "data": rows.into_iter().map(camel_keys).collect::<Vec<_>>(),
            "hasMore": next.is_some(),
            "nextCursor": next.map(|c| c.encode()),
        }),
    )
}

/// What a filter names that does not exist: its resource must (protocol.md §4.2).
fn missing_resource(state: &State, filter: &Filter) -> Option<&'static str> {
    let registry = lock(&state.registry);
    if let Some(c) = &filter.canvas_id
        && registry.by_canvas(c, None).is_err()
    {
        return Some("Canvas not found");
    }
    if let Some(v) = &filter.version_id
        && registry.by_version(v).is_err()
    {
        return Some("Version not found");
    }
    if let Some(a) = &filter.application_id
        && registry.by_application(a).is_err()
    {
        return Some("Application not found");
    }
    None
}
