//! `messages.feedback`: rating (or un-rating) an answer.

use bytes::Bytes;
use reqwest::Method;
use serde_json::{Map, Value};

use super::*;
use crate::client::Client;
use crate::error::Result;
use crate::json::{kind, merge, to_bytes};
use crate::retry::Safety;
use crate::transport::{CallOptions, Request, Response};

/// Builds `POST /messages/{message_id}/feedbacks` from `{message_id, rating, user, content?}`.
pub fn prepare_feedback(
    mut body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
) -> Result<(String, Bytes)> {
    let call = "messages.feedback(...)";
    reject_unknown(&body, &["message_id", "rating", "user", "content"], call)?;
    let id = segment(&body, "message_id", "pass the message_id of an answer")?;
    match body.get("rating") {
        Some(Value::Null) => {}
        Some(Value::String(r)) if r == "like" || r == "dislike" => {}
        Some(other) => {
            return Err(invalid(format!(
                "rating must be \"like\", \"dislike\" or None (to revoke), got {other}."
            )));
        }
        None => {
            return Err(invalid(
                "messages.feedback(...) needs rating=\"like\", rating=\"dislike\", or rating=None to revoke.",
            ));
        }
    }
    require_user(&body, call)?;
    if let Some(v) = body.get("content")
        && !v.is_string()
        && !v.is_null()
    {
        return Err(invalid(format!(
            "content must be a string, got {}.",
            kind(v)
        )));
    }
    body.remove("message_id");
    if let Some(extra) = extra_body {
        merge(&mut body, extra);
    }
    Ok((format!("/messages/{id}/feedbacks"), to_bytes(&body)?))
}

/// Rates an answer. Setting the same rating twice is harmless, so it is retried like a read.
pub async fn feedback(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    opts: &CallOptions,
) -> Result<Response> {
    let (path, bytes) = prepare_feedback(body, extra_body)?;
    let req = Request::json(Method::POST, path, Some(bytes), Safety::Idempotent);
    client.execute(&req, opts).await
}
