//! `{completion,chat}_messages.stop`: stopping a streaming answer by its task id.

use bytes::Bytes;
use reqwest::Method;
use serde_json::{Map, Value};

use super::*;
use crate::client::Client;
use crate::error::Result;
use crate::json::{merge, to_bytes};
use crate::retry::Safety;
use crate::transport::{CallOptions, Request, Response};

/// Builds `POST /{app}/{task_id}/stop` from `{task_id, user}`.
pub fn prepare_stop(
    app: App,
    mut body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
) -> Result<(String, Bytes)> {
    let call = format!("{}.stop(...)", app.resource());
    reject_unknown(&body, &["task_id", "user"], &call)?;
    let task = segment(
        &body,
        "task_id",
        "pass the task_id of a streaming answer (every stream event carries it)",
    )?;
    require_user(&body, &call)?;
    body.remove("task_id");
    if let Some(extra) = extra_body {
        merge(&mut body, extra);
    }
    Ok((format!("{}/{task}/stop", app.path()), to_bytes(&body)?))
}

/// Stops a streaming answer; the stream then ends with `message_end`. Repeating it is
/// harmless, so it is retried like a read.
pub async fn stop(
    client: &Client,
    app: App,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    opts: &CallOptions,
) -> Result<Response> {
    let (path, bytes) = prepare_stop(app, body, extra_body)?;
    let req = Request::json(Method::POST, path, Some(bytes), Safety::Idempotent);
    client.execute(&req, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn stop_and_feedback_paths() {
        let (path, bytes) = prepare_stop(
            App::Completion,
            body(json!({"task_id": "t 1/..", "user": "u"})),
            None,
        )
        .unwrap();
        assert_eq!(path, "/completion-messages/t%201%2F../stop");
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            json!({"user": "u"})
        );
        assert!(
            prepare_stop(App::Chat, body(json!({"user": "u"})), None)
                .unwrap_err()
                .to_string()
                .contains("task_id is required")
        );
        assert!(
            prepare_stop(App::Chat, body(json!({"task_id": "t"})), None)
                .unwrap_err()
                .to_string()
                .contains("needs user=")
        );
        let (path, bytes) = prepare_feedback(
            body(json!({"message_id": "m1", "rating": null, "user": "u"})),
            None,
        )
        .unwrap();
        assert_eq!(path, "/messages/m1/feedbacks");
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            json!({"rating": null, "user": "u"})
        );
        let fb = |v: Value| prepare_feedback(body(v), None).unwrap_err().to_string();
        assert!(fb(json!({"message_id": "m", "user": "u"})).contains("rating=None to revoke"));
        assert!(fb(json!({"message_id": "m", "user": "u", "rating": "love"})).contains("\"like\""));
        assert!(fb(json!({"message_id": "m", "rating": "like"})).contains("needs user="));
        assert!(
            fb(json!({"message_id": "m", "rating": "like", "user": "u", "content": 1}))
                .contains("content")
        );
    }
}
