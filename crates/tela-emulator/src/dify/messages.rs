//! `POST /completion-messages` and `POST /chat-messages` (protocol.md §6.2): validate as
//! Dify does, produce the answer, then reply blocking (JSON) or streaming (SSE).

// A refusal is the HTTP response itself, built once per request: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::apps::{Conversation, DifyApp, Message, Task};
use super::auth::{Authed, json_user};
use super::errors::{app_unavailable, error, internal, invalid_param, not_chat_app};
use super::stream::{self, Plan};
use super::usage;
use crate::clock::unix_seconds;
use crate::ids;
use crate::log::masked_headers;
use crate::response::json_response;
use crate::state::{State, lock};
use crate::template::render;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Completion,
    Chat,
}

/// A validated message request.
struct MessageRequest {
    inputs: Map<String, Value>,
    query: String,
    user: String,
    streaming: bool,
    /// The files the app will see (empty when the app has file upload off).
    files: Vec<Value>,
    /// Chat: the conversation named by the request, if any (`None` starts one).
    conversation_id: Option<String>,
}

pub(crate) async fn completion(
    Extract(state): Extract<Arc<State>>,
    Authed(app): Authed,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    create(state, app, Endpoint::Completion, headers, body).await
}

pub(crate) async fn chat(
    Extract(state): Extract<Arc<State>>,
    Authed(app): Authed,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    create(state, app, Endpoint::Chat, headers, body).await
}

async fn create(
    state: Arc<State>,
    app: Arc<DifyApp>,
    endpoint: Endpoint,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match endpoint {
        Endpoint::Completion if app.spec.mode != "completion" => return app_unavailable(),
        Endpoint::Chat if !app.is_chat() => return not_chat_app(),
        _ => {}
    }
    let (body, user) = match json_user(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let request = match parse(&state, &app, endpoint, &body, user) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    if app.spec.mode == "agent-chat" && !request.streaming {
        return invalid_param("Agent Chat App does not support blocking mode");
    }
    let conversation_id = if endpoint == Endpoint::Chat {
        match conversation(&state, &app, &request) {
            Ok(id) => Some(id),
            Err(resp) => return resp,
        }
    } else {
        None
    };
    let Some(slot) = app.slot() else {
        let max = app.spec.max_concurrent.unwrap_or_default();
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "Too many requests. Please try again later. The current maximum concurrent requests allowed for {} is {max}.",
                app.id
            ),
        );
    };
    let started = Instant::now();
    let mut vars = request.inputs.clone();
    if endpoint == Endpoint::Chat || !request.query.is_empty() {
        vars.entry("query")
            .or_insert_with(|| Value::String(request.query.clone()));
    }
    let prompt = render(&app.spec.template, &vars);
    let answer = match &app.callback {
        Some(callback) => {
            let input = json!({
                "app_id": app.id,
                "mode": app.spec.mode,
                "inputs": request.inputs,
                "query": request.query,
                "user": request.user,
                "files": request.files,
                "conversation_id": conversation_id,
                "prompt": prompt,
                "headers": masked_headers(&headers),
            });
            let callback = callback.clone();
            match tokio::task::spawn_blocking(move || callback(input)).await {
                Ok(Ok(Value::String(text))) => text,
                Ok(Ok(Value::Null)) => String::new(),
                Ok(Ok(other)) => other.to_string(),
                Ok(Err(message)) => return internal(message),
                Err(_) => return internal("The answer callback panicked"),
            }
        }
        None => match &app.spec.answer {
            Some(text) => render(text, &vars),
            None => prompt.clone(),
        },
    };
    let task_id = ids::uuid();
    let message_id = ids::uuid();
    let created_at = unix_seconds();
    {
        let mut dify = lock(&state.dify);
        let seq = dify.next_seq();
        if let Some(c) = conversation_id
            .as_ref()
            .and_then(|c| dify.conversations.get_mut(c))
        {
            c.messages.push(message_id.clone());
            c.updated_at = created_at;
            c.updated_seq = seq;
        }
        let shown = match (&app.spec.moderation, request.streaming) {
            (Some(m), false) => m.answer.clone(),
            _ => answer.clone(),
        };
        dify.messages.insert(
            message_id.clone(),
            Message {
                app_id: app.id.clone(),
                user: request.user.clone(),
                feedback: None,
                inputs: request.inputs.clone(),
                query: request.query.clone(),
                answer: shown,
                created_at,
            },
        );
    }
    let prompt_tokens = usage::words(&prompt);
    if request.streaming {
        let task = Arc::new(Task {
            app_id: app.id.clone(),
            user: request.user.clone(),
            stopped: Default::default(),
            wake: Default::default(),
        });
        lock(&state.dify)
            .tasks
            .insert(task_id.clone(), task.clone());
        return stream::response(Plan {
            state: state.clone(),
            app,
            task_id,
            message_id,
            conversation_id,
            created_at,
            answer,
            prompt_tokens,
            started,
            task,
            slot,
        });
    }
    if let Some(e) = &app.spec.error {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
        return error(status, &e.code, &e.message);
    }
    let answer = match &app.spec.moderation {
        Some(m) => m.answer.clone(),
        None => answer,
    };
    let mut out = Map::new();
    out.insert("event".into(), json!("message"));
    out.insert("task_id".into(), json!(task_id));
    out.insert("id".into(), json!(message_id));
    out.insert("message_id".into(), json!(message_id));
    if let Some(c) = &conversation_id {
        out.insert("conversation_id".into(), json!(c));
    }
    out.insert("mode".into(), json!(app.spec.mode));
    out.insert("answer".into(), json!(answer));
    out.insert(
        "metadata".into(),
        usage::metadata(&app, prompt_tokens, &answer, started),
    );
    out.insert("created_at".into(), json!(created_at));
    drop(slot);
    json_response(StatusCode::OK, &Value::Object(out))
}

fn parse(
    state: &State,
    app: &DifyApp,
    endpoint: Endpoint,
    body: &Map<String, Value>,
    user: String,
) -> Result<MessageRequest, Response> {
    let inputs = match body.get("inputs") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => return Err(invalid_param("inputs: Field required")),
        Some(_) => return Err(invalid_param("inputs: Input should be a valid dictionary")),
    };
    let query = match body.get("query") {
        Some(Value::String(q)) => q.clone(),
        None | Some(Value::Null) if endpoint == Endpoint::Completion => String::new(),
        None | Some(Value::Null) => return Err(invalid_param("query: Field required")),
        Some(_) => return Err(invalid_param("query: Input should be a valid string")),
    };
    let streaming = match body.get("response_mode") {
        None | Some(Value::Null) => false,
        Some(Value::String(m)) if m == "blocking" => false,
        Some(Value::String(m)) if m == "streaming" => true,
        Some(_) => {
            return Err(invalid_param(
                "response_mode: Input should be 'blocking' or 'streaming'",
            ));
        }
    };
    let inputs = validate_inputs(app, inputs)?;
    let files = match body.get("files") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => validate_files(state, app, &user, items)?,
        Some(_) => return Err(invalid_param("files: Input should be a valid list")),
    };
    let conversation_id = match body.get("conversation_id") {
        Some(Value::String(c)) if !c.is_empty() => Some(c.clone()),
        _ => None,
    };
    Ok(MessageRequest {
        inputs,
        query,
        user,
        streaming,
        files: if app.spec.file_upload_enabled {
            files
        } else {
            Vec::new()
        },
        conversation_id,
    })
}

/// Dify's `_validate_inputs`: required, type, options and length checks; defaults fill
/// optional variables that were left out.
fn validate_inputs(
    app: &DifyApp,
    mut inputs: Map<String, Value>,
) -> Result<Map<String, Value>, Response> {
    for item in &app.spec.user_input_form {
        let Some((kind, entry)) = item.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        let Some(var) = entry.get("variable").and_then(Value::as_str) else {
            continue;
        };
        let required = entry
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let value = inputs.get(var).cloned().unwrap_or(Value::Null);
        let empty = value.is_null() || value.as_str() == Some("");
        if empty {
            if required {
                return Err(invalid_param(format!("{var} is required in input form")));
            }
            if let Some(default) = entry.get("default")
                && !inputs.contains_key(var)
            {
                inputs.insert(var.to_owned(), default.clone());
            }
            continue;
        }
        match kind.as_str() {
            "text-input" | "paragraph" => {
                let Some(text) = value.as_str() else {
                    return Err(invalid_param(format!(
                        "{var} in input form must be a string"
                    )));
                };
                if let Some(max) = entry.get("max_length").and_then(Value::as_u64)
                    && max > 0
                    && text.chars().count() as u64 > max
                {
                    return Err(invalid_param(format!(
                        "{var} in input form must be less than {max} characters"
                    )));
                }
            }
            "select" => {
                let options: Vec<&str> = entry
                    .get("options")
                    .and_then(Value::as_array)
                    .map(|o| o.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if !value.as_str().is_some_and(|v| options.contains(&v)) {
                    return Err(invalid_param(format!(
                        "{var} in input form must be one of the following: {options:?}"
                    )));
                }
            }
            "number" => {
                let ok = value.is_number()
                    || value
                        .as_str()
                        .is_some_and(|s| s.trim().parse::<f64>().is_ok());
                if !ok {
                    return Err(invalid_param(format!(
                        "{var} in input form must be a valid number"
                    )));
                }
            }
            _ => {}
        }
    }
    Ok(inputs)
}

const FILE_TYPES: [&str; 5] = ["image", "document", "audio", "video", "custom"];

/// Checks each file reference; local files must be uploads of this app by the same user.
fn validate_files(
    state: &State,
    app: &DifyApp,
    user: &str,
    items: &[Value],
) -> Result<Vec<Value>, Response> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Some(o) = item.as_object() else {
            return Err(invalid_param("files: Input should be a valid dictionary"));
        };
        let ty = o.get("type").and_then(Value::as_str).unwrap_or_default();
        if !FILE_TYPES.contains(&ty) {
            return Err(invalid_param(format!(
                "Invalid file type: {}",
                o.get("type").unwrap_or(&Value::Null)
            )));
        }
        match o.get("transfer_method").and_then(Value::as_str) {
            Some("remote_url") => {
                let url = o.get("url").and_then(Value::as_str).unwrap_or_default();
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(invalid_param("Invalid file url"));
                }
                if o.contains_key("upload_file_id") {
                    return Err(invalid_param(
                        "upload_file_id should not be provided for remote_url transfer method",
                    ));
                }
                out.push(json!({"type": ty, "transfer_method": "remote_url", "url": url}));
            }
            Some("local_file") => {
                if o.contains_key("url") {
                    return Err(invalid_param(
                        "url should not be provided for local_file transfer method",
                    ));
                }
                let id = o
                    .get("upload_file_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let dify = lock(&state.dify);
                let Some(upload) = dify
                    .uploads
                    .iter()
                    .find(|u| u.id == id && u.app_id == app.id && u.user == user)
                else {
                    return Err(invalid_param("Invalid upload file"));
                };
                out.push(json!({
                    "type": ty,
                    "transfer_method": "local_file",
                    "upload_file_id": id,
                    "filename": upload.name,
                    "size": upload.size,
                    "mime_type": upload.mime_type,
                    "sha256": upload.sha256,
                }));
            }
            _ => return Err(invalid_param("Invalid transfer method")),
        }
    }
    Ok(out)
}

/// The conversation a chat message belongs to: the named one (which must exist and be the
/// user's), or a new one.
fn conversation(
    state: &State,
    app: &DifyApp,
    request: &MessageRequest,
) -> Result<String, Response> {
    let mut dify = lock(&state.dify);
    match &request.conversation_id {
        Some(id) => {
            if !is_uuid(id) {
                return Err(invalid_param(format!("{id} is not a valid uuid.")));
            }
            match dify.conversations.get(id) {
                Some(c) if c.app_id == app.id && c.user == request.user => Ok(id.clone()),
                _ => Err(error(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "Conversation Not Exists.",
                )),
            }
        }
        None => {
            let id = ids::uuid();
            let now = unix_seconds();
            let seq = dify.next_seq();
            dify.conversations.insert(
                id.clone(),
                Conversation {
                    app_id: app.id.clone(),
                    user: request.user.clone(),
                    name: conversation_name(&request.query),
                    inputs: request.inputs.clone(),
                    created_at: now,
                    updated_at: now,
                    created_seq: seq,
                    updated_seq: seq,
                    messages: Vec::new(),
                },
            );
            Ok(id)
        }
    }
}

/// The name the emulator gives a conversation: its first query, cut to 20 characters (Dify
/// asks the model for one; protocol.md §6.8).
pub(crate) fn conversation_name(query: &str) -> String {
    let name: String = query.trim().chars().take(20).collect();
    match name.trim_end() {
        "" => "New conversation".to_owned(),
        cut => cut.to_owned(),
    }
}

pub(crate) fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}
