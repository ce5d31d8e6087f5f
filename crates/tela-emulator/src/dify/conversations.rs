//! A chat app's conversations and history (protocol.md §6.8), the WebApp settings and the
//! preview of an uploaded file (protocol.md §6.9).

// A refusal is the HTTP response itself, built once per request: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State as Extract};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::apps::{Conversation, DifyApp, PREVIEW_MAX};
use super::auth::{Authed, json_user};
use super::errors::{error, invalid_param, missing_user, not_chat_app};
use super::messages::{conversation_name, is_uuid};
use crate::clock::unix_seconds;
use crate::response::json_response;
use crate::state::{State, lock};

type Params = Query<HashMap<String, String>>;

fn conversation_not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "Conversation Not Exists.",
    )
}

/// The request of a chat app's `GET` route that names its `user` in the query: Dify refuses a
/// bad key, then an app that is not a chat app, then a missing `user`, before the route
/// reads anything else.
pub(crate) struct ChatQuery {
    app: Arc<DifyApp>,
    user: String,
    q: HashMap<String, String>,
}

impl FromRequestParts<Arc<State>> for ChatQuery {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<State>,
    ) -> Result<Self, Self::Rejection> {
        let Authed(app) = Authed::from_request_parts(parts, state).await?;
        let Query(q) = Params::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !app.is_chat() {
            return Err(not_chat_app());
        }
        let user = q
            .get("user")
            .filter(|u| !u.is_empty())
            .cloned()
            .ok_or_else(missing_user)?;
        Ok(ChatQuery { app, user, q })
    }
}

/// `limit` from the query: 1..=100, default 20.
fn limit(q: &HashMap<String, String>) -> Result<usize, Response> {
    match q.get("limit") {
        None => Ok(20),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err(invalid_param(format!(
                "limit: {v} is not an integer from 1 to 100"
            ))),
        },
    }
}

fn item(id: &str, c: &Conversation) -> Value {
    json!({
        "id": id,
        "name": c.name,
        "inputs": c.inputs,
        "status": "normal",
        "introduction": "",
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    })
}

/// `GET /conversations?user=&last_id=&limit=&sort_by=`.
pub(crate) async fn list(
    Extract(state): Extract<Arc<State>>,
    ChatQuery { app, user, q }: ChatQuery,
) -> Response {
    let limit = match limit(&q) {
        Ok(n) => n,
        Err(resp) => return resp,
    };
    let sort = q.get("sort_by").map_or("-updated_at", String::as_str);
    let (field_updated, newest_first) = match sort {
        "created_at" => (false, false),
        "-created_at" => (false, true),
        "updated_at" => (true, false),
        "-updated_at" => (true, true),
        other => {
            return invalid_param(format!(
                "sort_by: {other} is not one of created_at, -created_at, updated_at, -updated_at"
            ));
        }
    };
    let dify = lock(&state.dify);
    let mut mine: Vec<(&String, &Conversation)> = dify
        .conversations
        .iter()
        .filter(|(_, c)| c.app_id == app.id && c.user == user)
        .collect();
    mine.sort_by_key(|(_, c)| {
        if field_updated {
            c.updated_seq
        } else {
            c.created_seq
        }
    });
    if newest_first {
        mine.reverse();
    }
    let start = match q.get("last_id").filter(|l| !l.is_empty()) {
        None => 0,
        Some(last) => match mine.iter().position(|(id, _)| *id == last) {
            Some(i) => i + 1,
            None => {
                return error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "Last Conversation Not Exists.",
                );
            }
        },
    };
    let page: Vec<Value> = mine
        .iter()
        .skip(start)
        .take(limit)
        .map(|(id, c)| item(id, c))
        .collect();
    let has_more = mine.len() > start + page.len();
    json_response(
        StatusCode::OK,
        &json!({"limit": limit, "has_more": has_more, "data": page}),
    )
}

/// A write to one of a chat app's conversations (`/conversations/{id}...` with a JSON body
/// naming its `user`): Dify refuses a bad key, then an app that is not a chat app, then a
/// body that is not a JSON object with a `user`.
pub(crate) struct ConversationWrite {
    app: Arc<DifyApp>,
    id: String,
    body: Map<String, Value>,
    user: String,
}

impl FromRequest<Arc<State>> for ConversationWrite {
    type Rejection = Response;

    async fn from_request(req: Request, state: &Arc<State>) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Authed(app) = Authed::from_request_parts(&mut parts, state).await?;
        let Path(id) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        if !app.is_chat() {
            return Err(not_chat_app());
        }
        let (body, user) = json_user(&bytes)?;
        Ok(ConversationWrite {
            app,
            id,
            body,
            user,
        })
    }
}

/// `POST /conversations/{id}/name`: `{name}` or `{auto_generate: true}`, and `user`.
pub(crate) async fn rename(
    Extract(state): Extract<Arc<State>>,
    ConversationWrite {
        app,
        id,
        body,
        user,
    }: ConversationWrite,
) -> Response {
    let auto = body
        .get("auto_generate")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let name = body.get("name").and_then(Value::as_str).map(str::trim);
    let mut dify = lock(&state.dify);
    let first_query = owned_conversation(&dify.conversations, &app, &id, &user)
        .map(|c| c.messages.first().cloned());
    let Some(first) = first_query else {
        return conversation_not_found();
    };
    let new_name = match (auto, name) {
        (true, _) => conversation_name(
            &first
                .and_then(|m| dify.messages.get(&m).map(|m| m.query.clone()))
                .unwrap_or_default(),
        ),
        (false, Some(n)) if !n.is_empty() => n.to_owned(),
        (false, _) => {
            return invalid_param("name: a name is required unless auto_generate is true");
        }
    };
    let seq = dify.next_seq();
    let Some(c) = dify.conversations.get_mut(&id) else {
        return conversation_not_found();
    };
    c.name = new_name;
    c.updated_at = unix_seconds();
    c.updated_seq = seq;
    json_response(StatusCode::OK, &item(&id, c))
}

fn owned_conversation<'a>(
    conversations: &'a HashMap<String, Conversation>,
    app: &DifyApp,
    id: &str,
    user: &str,
) -> Option<&'a Conversation> {
    if !is_uuid(id) {
        return None;
    }
    conversations
        .get(id)
        .filter(|c| c.app_id == app.id && c.user == user)
}

/// `DELETE /conversations/{id}` with `{user}`: 204, no body (current servers).
pub(crate) async fn delete(
    Extract(state): Extract<Arc<State>>,
    ConversationWrite { app, id, user, .. }: ConversationWrite,
) -> Response {
    let mut dify = lock(&state.dify);
    if owned_conversation(&dify.conversations, &app, &id, &user).is_none() {
        return conversation_not_found();
    }
    if let Some(c) = dify.conversations.remove(&id) {
        for m in c.messages {
            dify.messages.remove(&m);
        }
    }
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
}

/// `GET /messages?conversation_id=&user=&first_id=&limit=`: the `limit` messages before
/// `first_id` (the latest when absent), oldest first.
pub(crate) async fn history(
    Extract(state): Extract<Arc<State>>,
    ChatQuery { app, user, q }: ChatQuery,
) -> Response {
    let Some(conversation_id) = q.get("conversation_id").filter(|c| !c.is_empty()) else {
        return invalid_param("conversation_id: Field required");
    };
    let limit = match limit(&q) {
        Ok(n) => n,
        Err(resp) => return resp,
    };
    let dify = lock(&state.dify);
    let Some(c) = owned_conversation(&dify.conversations, &app, conversation_id, &user) else {
        return conversation_not_found();
    };
    let end = match q.get("first_id").filter(|f| !f.is_empty()) {
        None => c.messages.len(),
        Some(first) => match c.messages.iter().position(|m| m == first) {
            Some(i) => i,
            None => {
                return error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "First Message Not Exists.",
                );
            }
        },
    };
    let start = end.saturating_sub(limit);
    let data: Vec<Value> = c.messages[start..end]
        .iter()
        .filter_map(|id| dify.messages.get(id).map(|m| (id, m)))
        .map(|(id, m)| {
            json!({
                "id": id,
                "conversation_id": conversation_id,
                "parent_message_id": null,
                "inputs": m.inputs,
                "query": m.query,
                "answer": m.answer,
                "message_files": [],
                "feedback": m.feedback.as_ref().map(|f| json!({"rating": f.rating})),
                "retriever_resources": app.spec.retriever_resources,
                "created_at": m.created_at,
                "status": "normal",
                "error": null,
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"limit": limit, "has_more": start > 0, "data": data}),
    )
}

/// `GET /site`: the WebApp settings, from the app's name and description.
pub(crate) async fn site(Authed(app): Authed) -> Response {
    let s = &app.spec;
    json_response(
        StatusCode::OK,
        &json!({
            "title": s.name,
            "chat_color_theme": null,
            "chat_color_theme_inverted": false,
            "icon_type": "emoji",
            "icon": "🤖",
            "icon_background": "#FFEAD5",
            "icon_url": null,
            "description": s.description,
            "copyright": null,
            "privacy_policy": null,
            "custom_disclaimer": "",
            "default_language": "en-US",
            "prompt_public": false,
            "show_workflow_steps": false,
            "use_icon_as_answer_icon": false,
        }),
    )
}

/// `GET /files/{file_id}/preview[?as_attachment=true]`: the uploaded bytes with their
/// `Content-Type`; another app's file is a 403, an unknown one a 404.
pub(crate) async fn preview(
    Extract(state): Extract<Arc<State>>,
    Authed(app): Authed,
    Path(file_id): Path<String>,
    Query(q): Params,
) -> Response {
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            "file_not_found",
            "File not found or has been deleted.",
        )
    };
    if !is_uuid(&file_id) {
        return not_found();
    }
    let attachment = match q.get("as_attachment").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return invalid_param(format!("as_attachment: {other} is not a valid boolean"));
        }
    };
    let dify = lock(&state.dify);
    let Some(upload) = dify.uploads.iter().find(|u| u.id == file_id) else {
        return not_found();
    };
    if upload.app_id != app.id {
        return error(
            StatusCode::FORBIDDEN,
            "file_access_denied",
            "File access denied or file does not belong to current application.",
        );
    }
    let Some(content) = dify.upload_content.get(&file_id).cloned() else {
        return error(
            StatusCode::NOT_FOUND,
            "file_not_found",
            format!("The emulator keeps only uploads up to {PREVIEW_MAX} bytes for preview."),
        );
    };
    let mut resp = Response::new(Body::from(content));
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&upload.mime_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    if attachment {
        let encoded: String = upload
            .name
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    resp
}
