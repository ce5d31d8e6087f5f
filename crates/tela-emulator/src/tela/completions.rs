//! `POST /v2/chat/completions` (protocol.md §3.1): validate the body, resolve what to run, then
//! answer in the requested mode (synchronous JSON, SSE, or an async run: see `runs`).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::reply::{self, Reply};
use super::runs;
use super::stream::{self, ChunkMeta};
use crate::envelope::{self, json_response};
use crate::ids;
use crate::registry::{Target, valid_environment_name};
use crate::state::{State, lock};

/// What the request asks to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetRef {
    Canvas {
        id: String,
        environment: Option<String>,
    },
    Version(String),
    Application(String),
}

/// A validated completion request.
#[derive(Debug, Clone)]
pub(crate) struct CompletionRequest {
    pub target: TargetRef,
    pub variables: Map<String, Value>,
    pub messages: Vec<Value>,
    /// The `override` object, or `null`.
    pub overrides: Value,
    pub stream: bool,
    /// `async: true` or a `webhook_url`: the answer is a run object.
    pub run_async: bool,
    pub webhook_url: Option<String>,
    /// The whole body of an async request, echoed as the run's `raw_input`.
    pub raw: Option<Map<String, Value>>,
    /// The files the request carries, as resolved by `files::resolve` (what callbacks see).
    pub files: Vec<Value>,
}

/// A 400 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    code: &'static str,
    message: String,
}

impl Invalid {
    fn schema(message: impl Into<String>) -> Invalid {
        Invalid {
            code: "INVALID_SCHEMA",
            message: message.into(),
        }
    }

    fn response(&self) -> Response {
        envelope::error(StatusCode::BAD_REQUEST, self.code, &self.message)
    }
}

/// A field that must be of one JSON type when present; `null` counts as absent.
fn field<'a, T>(
    body: &'a Map<String, Value>,
    key: &str,
    kind: &str,
    get: impl Fn(&'a Value) -> Option<T>,
) -> Result<Option<T>, Invalid> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => get(value)
            .map(Some)
            .ok_or_else(|| Invalid::schema(format!("{key} must be {kind}"))),
    }
}

fn id_field(body: &Map<String, Value>, key: &str) -> Result<Option<String>, Invalid> {
    match field(body, key, "a non-empty string", Value::as_str)? {
        Some("") => Err(Invalid::schema(format!("{key} must be a non-empty string"))),
        other => Ok(other.map(str::to_owned)),
    }
}

impl CompletionRequest {
    pub(crate) fn parse(bytes: &[u8]) -> Result<CompletionRequest, Invalid> {
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(bytes) else {
            return Err(Invalid {
                code: "INVALID_REQUEST",
                message: "Request body must be a JSON object".to_owned(),
            });
        };
        let canvas = id_field(&body, "canvas_id")?;
        let version = id_field(&body, "version_id")?;
        let application = id_field(&body, "application_id")?;
        let environment = field(&body, "environment_name", "a string", Value::as_str)?;

        let target = match (canvas, version, application) {
            (Some(id), None, None) => TargetRef::Canvas {
                id,
                environment: environment.map(str::to_owned),
            },
            (None, Some(id), None) => TargetRef::Version(id),
            (None, None, Some(id)) => TargetRef::Application(id),
            _ => {
                return Err(Invalid::schema(
                    "Exactly one of canvas_id, version_id or application_id must be provided",
                ));
            }
        };
        if let Some(name) = environment {
            if !matches!(target, TargetRef::Canvas { .. }) {
                return Err(Invalid::schema(
                    "environment_name can only be used with canvas_id",
                ));
            }
            if !valid_environment_name(name) {
                return Err(Invalid::schema(
                    "environment_name must match ^[a-z0-9]+(-[a-z0-9]+)*$ and be at most 64 characters",
                ));
            }
        }

        let variables = field(&body, "variables", "an object", Value::as_object)?
            .cloned()
            .unwrap_or_default();
        let messages = field(&body, "messages", "an array", Value::as_array)?
            .cloned()
            .unwrap_or_default();
        for (i, message) in messages.iter().enumerate() {
            if message.get("role").and_then(Value::as_str).is_none() {
                return Err(Invalid::schema(format!(
                    "messages[{i}] must be an object with a string role"
                )));
            }
        }
        let overrides = field(&body, "override", "an object", Value::as_object)?
            .map_or(Value::Null, |o| Value::Object(o.clone()));
        let stream = field(&body, "stream", "a boolean", Value::as_bool)?.unwrap_or(false);
        let is_async = field(&body, "async", "a boolean", Value::as_bool)?.unwrap_or(false);
        let webhook_url =
            field(&body, "webhook_url", "a string", Value::as_str)?.map(str::to_owned);
        if stream && matches!(target, TargetRef::Application(_)) {
            return Err(Invalid::schema("stream cannot be used with application_id"));
        }
        if let Some(url) = &webhook_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(Invalid::schema("webhook_url must be an http(s) URL"));
        }
        // Applications always run asynchronously (protocol.md §3.1).
        let run_async =
            is_async || webhook_url.is_some() || matches!(target, TargetRef::Application(_));
        if stream && run_async {
            return Err(Invalid::schema(
                "stream cannot be combined with async or webhook_url",
            ));
        }
        Ok(CompletionRequest {
            target,
            variables,
            messages,
            overrides,
            stream,
            run_async,
            webhook_url,
            raw: run_async.then_some(body),
            files: Vec::new(),
        })
    }

    /// `override.model` when given, else the canvas's model.
    pub(crate) fn model(&self, target: &Target) -> String {
        self.overrides
            .get("model")
            .and_then(Value::as_str)
            .filter(|m| !m.is_empty())
            .unwrap_or(&target.canvas.model)
            .to_owned()
    }
}

/// The emulator's typo check (not a documented Tela rule): a run whose template or text reply
/// uses a variable the request did not send would answer with `{{name}}` left in, which
/// a test would likely not notice. Answered as 400 `MISSING_VARIABLES` instead, naming them;
/// a canvas's `allow_missing_variables` (or the server-wide flag) turns it off.
fn missing_variables(target: &Target, variables: &Map<String, Value>) -> Option<Invalid> {
    let reply = match &target.version.reply {
        crate::registry::Reply::Text(text) => Some(text.as_str()),
        _ => None,
    };
    let templates = std::iter::once(target.version.template.as_str()).chain(reply);
    let names = crate::template::missing(templates, variables);
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

pub(crate) fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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

/// Strict mode (protocol.md §8): keeps only what the docs show of a `chat.completion`:
/// `id`, `object`, `created` and `choices[].message.{role, content}` (protocol.md §3.2);
/// the legacy webhook body (`webhook`) is the guide's `{usage, object, choices, created}`
/// (protocol.md §3.5).
pub(crate) fn strict_completion(body: &mut Value, webhook: bool) {
    let Some(obj) = body.as_object_mut() else {
        return;
    };
    obj.remove("model");
    if webhook {
        obj.remove("id");
    } else {
        obj.remove("usage");
    }
    if let Some(Value::Array(choices)) = obj.get_mut("choices") {
        for choice in choices.iter_mut().filter_map(Value::as_object_mut) {
            choice.retain(|k, _| k == "message");
            if let Some(Value::Object(message)) = choice.get_mut("message") {
                message.retain(|k, _| k == "role" || k == "content");
            }
        }
    }
}

/// The synchronous `chat.completion` body (protocol.md §3.2), also the legacy webhook body.
pub(crate) fn completion_body(meta: ChunkMeta, reply: &Reply) -> Value {
    let prompt_tokens = reply::words(&reply.prompt);
    let completion_tokens = reply::words(&reply.content.text());
    json!({
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": reply.content.to_json(),
                "function_call": null,
                "tool_calls": [],
            },
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<CompletionRequest, Invalid> {
        CompletionRequest::parse(v.to_string().as_bytes())
    }

    #[test]
    fn identifiers() {
        assert!(parse(json!({"canvas_id": "c"})).is_ok());
        assert!(parse(json!({"version_id": "v", "canvas_id": null})).is_ok());
        for bad in [
            json!({}),
            json!({"canvas_id": "c", "version_id": "v"}),
            json!({"canvas_id": 1}),
            json!({"canvas_id": ""}),
            json!({"version_id": "v", "environment_name": "staging"}),
            json!({"canvas_id": "c", "environment_name": "Bad_Name"}),
            json!({"canvas_id": "c", "variables": []}),
            json!({"canvas_id": "c", "messages": [{"content": "no role"}]}),
            json!({"canvas_id": "c", "stream": "yes"}),
            json!({"application_id": "a", "stream": true}),
        ] {
            let err = parse(bad.clone()).expect_err(&bad.to_string());
            assert_eq!(err.code, "INVALID_SCHEMA", "{bad}");
        }
        assert_eq!(
            CompletionRequest::parse(b"[1]").unwrap_err().code,
            "INVALID_REQUEST"
        );
        assert_eq!(
            CompletionRequest::parse(b"{nope").unwrap_err().code,
            "INVALID_REQUEST"
        );
    }

    #[test]
    fn webhook_means_async() {
        let r = parse(json!({"canvas_id": "c", "webhook_url": "http://x/y"})).unwrap();
        assert!(r.run_async);
    }
}
