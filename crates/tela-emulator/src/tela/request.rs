//! The body of `POST /v2/chat/completions` (protocol.md §3.1), checked as Tela checks it: what
//! to run, with what, and in which mode.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::envelope;
use super::registry::{Target, valid_environment_name};

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
    pub code: &'static str,
    pub message: String,
}

impl Invalid {
    fn schema(message: impl Into<String>) -> Invalid {
        Invalid {
            code: "INVALID_SCHEMA",
            message: message.into(),
        }
    }

    pub(crate) fn response(&self) -> Response {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
