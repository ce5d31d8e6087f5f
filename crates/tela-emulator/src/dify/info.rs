//! The app's descriptions (`/parameters`, `/meta`, `/info`), stop and feedback
//! (protocol.md §6.7).

// A refusal is the HTTP response itself, built once per request: boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::apps::DifyApp;
use super::auth::{Authed, json_user};
use super::errors::{app_unavailable, error, invalid_param, not_chat_app};
use super::messages::is_uuid;
use super::spec::{DifyFeedback, UploadLimits};
use crate::response::json_response;
use crate::state::{State, lock};

fn success() -> Response {
    json_response(StatusCode::OK, &json!({"result": "success"}))
}

fn enabled(on: bool) -> Value {
    json!({"enabled": on})
}

pub(crate) async fn parameters(Authed(app): Authed) -> Response {
    let s = &app.spec;
    let l = &s.upload_limits;
    let upload = |on: bool| {
        json!({"enabled": on, "number_limits": 3, "detail": "high",
               "transfer_methods": ["remote_url", "local_file"]})
    };
    let body = json!({
        "opening_statement": s.opening_statement,
        "suggested_questions": s.suggested_questions,
        "suggested_questions_after_answer": enabled(false),
        "speech_to_text": enabled(false),
        "text_to_speech": {"enabled": s.tts, "voice": "alloy", "language": "en-US",
                           "autoPlay": if s.tts { "enabled" } else { "disabled" }},
        "retriever_resource": enabled(!s.retriever_resources.is_empty()),
        "annotation_reply": enabled(false),
        "more_like_this": enabled(false),
        "user_input_form": s.user_input_form,
        "sensitive_word_avoidance": {"enabled": s.moderation.is_some(), "type": "", "configs": []},
        "file_upload": {"image": upload(s.file_upload_enabled),
                        "document": upload(s.file_upload_enabled)},
        "system_parameters": {
            "file_size_limit": UploadLimits::mb(l.file),
            "image_file_size_limit": UploadLimits::mb(l.image),
            "audio_file_size_limit": UploadLimits::mb(l.audio),
            "video_file_size_limit": UploadLimits::mb(l.video),
            "workflow_file_upload_limit": 10,
        },
        "workflow_output_form": [],
    });
    json_response(StatusCode::OK, &body)
}

pub(crate) async fn meta(Authed(app): Authed) -> Response {
    json_response(StatusCode::OK, &json!({"tool_icons": app.spec.tool_icons}))
}

pub(crate) async fn info(Authed(app): Authed) -> Response {
    let s = &app.spec;
    json_response(
        StatusCode::OK,
        &json!({"name": s.name, "description": s.description, "tags": s.tags,
                "mode": s.mode, "author_name": s.author_name}),
    )
}

/// Stops a streaming answer of this user; like Dify, a mismatched user or an unknown task
/// still answers success and changes nothing.
async fn stop(state: &State, app: &DifyApp, task_id: &str, body: &Bytes) -> Response {
    let user = match json_user(body) {
        Ok((_, u)) => u,
        Err(resp) => return resp,
    };
    let task = lock(&state.dify).tasks.get(task_id).cloned();
    if let Some(task) = task
        && task.app_id == app.id
        && task.user == user
    {
        task.stop();
    }
    success()
}

pub(crate) async fn stop_completion(
    Extract(state): Extract<Arc<State>>,
    Authed(app): Authed,
    Path(task_id): Path<String>,
    body: Bytes,
) -> Response {
    if app.spec.mode != "completion" {
        return app_unavailable();
    }
    stop(&state, &app, &task_id, &body).await
}

pub(crate) async fn stop_chat(
    Extract(state): Extract<Arc<State>>,
    Authed(app): Authed,
    Path(task_id): Path<String>,
    body: Bytes,
) -> Response {
    if !app.is_chat() {
        return not_chat_app();
    }
    stop(&state, &app, &task_id, &body).await
}

pub(crate) async fn feedback(
    Extract(state): Extract<Arc<State>>,
    Authed(app): Authed,
    Path(message_id): Path<String>,
    body: Bytes,
) -> Response {
    if !is_uuid(&message_id) {
        return super::errors::not_found().await;
    }
    let (body, user) = match json_user(&body) {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let rating = match body.get("rating") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if r == "like" || r == "dislike" => Some(r.clone()),
        Some(other) => {
            return invalid_param(format!(
                "rating: {other} is not a valid choice; use like, dislike or null"
            ));
        }
    };
    let content = body
        .get("content")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut dify = lock(&state.dify);
    let Some(message) = dify
        .messages
        .get_mut(&message_id)
        .filter(|m| m.app_id == app.id && m.user == user)
    else {
        return error(StatusCode::NOT_FOUND, "not_found", "Message Not Exists.");
    };
    match rating {
        None if message.feedback.is_none() => {
            invalid_param("rating cannot be None when feedback not exists")
        }
        None => {
            message.feedback = None;
            success()
        }
        Some(rating) => {
            message.feedback = Some(DifyFeedback {
                message_id,
                app_id: app.id.clone(),
                user,
                rating,
                content,
            });
            success()
        }
    }
}
