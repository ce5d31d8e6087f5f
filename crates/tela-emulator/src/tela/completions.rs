//! `POST /v2/chat/completions` (protocol.md §3.1): validate the body, resolve what to run, then
//! answer in the requested mode (synchronous JSON, SSE, or an async run: see `runs`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use super::answer::{completion_body, strict_completion};
use super::envelope;
use super::registry::{self, Target};
use super::reply;
use super::request::{CompletionRequest, Invalid, TargetRef};
use super::runs;
use super::stream::{self, ChunkMeta};
use crate::clock::unix_seconds;
use crate::ids;
use crate::response::json_response;
use crate::state::{State, lock};
use crate::template;

/// The emulator's typo check (not a documented Tela rule): a run whose template or text reply
/// uses a variable the request did not send would answer with `{{name}}` left in, which
/// a test would likely not notice. Answered as 400 `MISSING_VARIABLES` instead, naming them;
/// a canvas's `allow_missing_variables` (or the server-wide flag) turns it off.
pub(crate) fn missing_variables(
    target: &Target,
    variables: &Map<String, Value>,
) -> Option<Invalid> {
    let reply = match &target.version.reply {
        registry::Reply::Text(text) => Some(text.as_str()),
        _ => None,
    };
    let templates = std::iter::once(target.version.template.as_str()).chain(reply);
    let names = template::missing(templates, variables);
    if names.is_empty() {
        return None;
    }
    let quoted = |names: &mut dyn Iterator<Item = &String>| {
        names
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let list = quoted(&mut names.iter());
    let sent = if variables.is_empty() {
        "none".to_owned()
    } else {
        quoted(&mut variables.keys())
    };
    Some(Invalid {
        code: "MISSING_VARIABLES",
        message: format!(
            "The canvas uses variables the request did not send: {list} (sent: {sent}). Add \
             them to `variables` (check the spelling); this is the emulator's check, off with \
             allow_missing_variables"
        ),
    })
}

/// The target, or the message of the 404.
fn resolve(state: &State, target: &TargetRef) -> Result<Target, &'static str> {
    let registry = lock(&state.registry);
    let found = match target {
        TargetRef::Canvas { id, environment } => registry.by_canvas(id, environment.as_deref()),
        TargetRef::Version(id) => registry.by_version(id),
        TargetRef::Application(id) => registry.by_application(id),
    };
    found.map_err(|missing| missing.message())
}

pub(crate) async fn create(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut request = match CompletionRequest::parse(&body) {
        Ok(request) => request,
        Err(invalid) => return invalid.response(),
    };
    let target = match resolve(&state, &request.target) {
        Ok(target) => target,
        Err(message) => return envelope::error(StatusCode::NOT_FOUND, "NOT_FOUND", message),
    };
    if !(state.allow_missing_variables || target.canvas.allow_missing_variables)
        && let Some(invalid) = missing_variables(&target, &request.variables)
    {
        return invalid.response();
    }
    request.files = match super::files::resolve(&state, &request.variables, &request.messages) {
        Ok(files) => files,
        Err(resp) => return *resp,
    };
    if request.run_async {
        return runs::start(state, target, request, headers);
    }
    let reply = match reply::produce(&target, &request, &headers).await {
        Ok(reply) => reply,
        Err(message) => {
            return envelope::error(StatusCode::INTERNAL_SERVER_ERROR, "CALLBACK_ERROR", message);
        }
    };
    let meta = ChunkMeta {
        id: ids::completion_id(),
        created: unix_seconds(),
        model: request.model(&target),
    };
    if request.stream {
        stream::response(
            target.canvas.stream.clone(),
            meta,
            reply.content,
            state.strict,
        )
    } else {
        let mut body = completion_body(meta, &reply);
        if state.strict {
            strict_completion(&mut body, false);
        }
        json_response(StatusCode::OK, &body)
    }
}
