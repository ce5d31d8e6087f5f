//! A chat app's conversations and their history (protocol.md §6.8), and a file's preview
//! (protocol.md §6.9).

use base64::Engine;
use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use serde_json::{Map, Value, json};

use super::*;
use crate::client::Client;
use crate::error::Result;
use crate::json::{kind, merge, to_bytes};
use crate::retry::Safety;
use crate::transport::{CallOptions, Request, Response};

/// The orders `GET /conversations` accepts (protocol.md §6.8).
const SORT_BY: [&str; 4] = ["created_at", "-created_at", "updated_at", "-updated_at"];

/// An optional string field, pushed to the query when set.
fn query_str(req: &mut Request, body: &Map<String, Value>, key: &str) -> Result<()> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(()),
        Some(Value::String(s)) if !s.trim().is_empty() => {
            req.query.push((key.into(), s.clone()));
            Ok(())
        }
        Some(Value::String(_)) => Err(invalid(format!(
            "{key} is empty; pass an id from the previous page, or leave it out for the first page."
        ))),
        Some(v) => Err(invalid(format!("{key} must be a string, got {}.", kind(v)))),
    }
}

/// `limit`: an int in 1..=`max` when given.
fn query_limit(req: &mut Request, body: &Map<String, Value>, max: u64) -> Result<()> {
    match body.get("limit") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (1..=max).contains(&n)) => {
            req.query.push(("limit".into(), n.to_string()));
            Ok(())
        }
        Some(v) => Err(invalid(format!(
            "limit must be an int from 1 to {max}, got {v}."
        ))),
    }
}

fn user_query(req: &mut Request, body: &Map<String, Value>, call: &str) -> Result<()> {
    require_user(body, call)?;
    if let Some(Value::String(u)) = body.get("user") {
        req.query.push(("user".into(), u.clone()));
    }
    Ok(())
}

/// Builds `GET /conversations?user=&last_id=&limit=&sort_by=`.
pub fn prepare_list_conversations(
    body: &Map<String, Value>,
    extra_body: &Option<Map<String, Value>>,
) -> Result<Request> {
    let call = "conversations.list(...)";
    no_extra(extra_body, call)?;
    reject_unknown(body, &["user", "last_id", "limit", "sort_by"], call)?;
    let mut req = Request::json(Method::GET, "/conversations", None, Safety::Idempotent);
    user_query(&mut req, body, call)?;
    query_str(&mut req, body, "last_id")?;
    query_limit(&mut req, body, 100)?;
    match body.get("sort_by") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if SORT_BY.contains(&s.as_str()) => {
            req.query.push(("sort_by".into(), s.clone()));
        }
        Some(v) => {
            return Err(invalid(format!(
                "sort_by must be one of \"created_at\", \"-created_at\", \"updated_at\", \"-updated_at\" (\"-\": newest first), got {v}."
            )));
        }
    }
    Ok(req)
}

/// Builds `POST /conversations/{conversation_id}/name` from `{conversation_id, name?,
/// auto_generate?, user}`: a name, or `auto_generate=true` (exactly one). Setting the same
/// name twice is harmless: retried like a read.
pub fn prepare_rename(
    mut body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
) -> Result<Request> {
    let call = "conversations.rename(...)";
    reject_unknown(
        &body,
        &["conversation_id", "name", "auto_generate", "user"],
        call,
    )?;
    let id = conversation_id(&body)?;
    require_user(&body, call)?;
    let auto = match body.get("auto_generate") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(invalid(format!(
                "auto_generate must be a bool, got {}.",
                kind(v)
            )));
        }
    };
    match (body.get("name"), auto) {
        (Some(Value::String(s)), false) if !s.trim().is_empty() => {}
        (None | Some(Value::Null), true) => {}
        (Some(Value::String(_)), true) => {
            return Err(invalid(
                "conversations.rename(...) takes a name or auto_generate=True, not both.",
            ));
        }
        (Some(Value::String(_)), false) => {
            return Err(invalid(
                "name is empty; pass the new name, or auto_generate=True to let the app name it.",
            ));
        }
        (None | Some(Value::Null), false) => {
            return Err(invalid(
                "conversations.rename(...) needs name=\"...\", or auto_generate=True to let the app name it.",
            ));
        }
        (Some(v), _) => {
            return Err(invalid(format!("name must be a string, got {}.", kind(v))));
        }
    }
    body.remove("conversation_id");
    if body.get("name").is_some_and(Value::is_null) {
        body.remove("name");
    }
    body.insert("auto_generate".into(), Value::Bool(auto));
    json_request(
        Method::POST,
        format!("/conversations/{id}/name"),
        body,
        extra_body,
        Safety::Idempotent,
    )
}

/// Builds `DELETE /conversations/{conversation_id}` with the body `{"user"}`. A retry after a
/// lost answer may meet a 404 (already deleted), so it is retried only when it cannot have
/// been sent.
pub fn prepare_delete(
    mut body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
) -> Result<Request> {
    let call = "conversations.delete(...)";
    reject_unknown(&body, &["conversation_id", "user"], call)?;
    let id = conversation_id(&body)?;
    require_user(&body, call)?;
    body.remove("conversation_id");
    json_request(
        Method::DELETE,
        format!("/conversations/{id}"),
        body,
        extra_body,
        Safety::CreatesWork,
    )
}

/// A request whose JSON body is `body` with `extra_body` merged last.
fn json_request(
    method: Method,
    path: String,
    mut body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    safety: Safety,
) -> Result<Request> {
    if let Some(extra) = extra_body {
        merge(&mut body, extra);
    }
    Ok(Request::json(method, path, Some(to_bytes(&body)?), safety))
}

/// The `conversation_id` argument as one path segment.
fn conversation_id(body: &Map<String, Value>) -> Result<String> {
    segment(
        body,
        "conversation_id",
        "pass the conversation_id of a chat answer",
    )
}

/// Builds `GET /messages?conversation_id=&user=&first_id=&limit=`.
pub fn prepare_list_messages(
    body: &Map<String, Value>,
    extra_body: &Option<Map<String, Value>>,
) -> Result<Request> {
    let call = "messages.list(...)";
    no_extra(extra_body, call)?;
    reject_unknown(
        body,
        &["conversation_id", "user", "first_id", "limit"],
        call,
    )?;
    // Checked like a path segment; sent as given (the transport encodes the query).
    conversation_id(body)?;
    let mut req = Request::json(Method::GET, "/messages", None, Safety::Idempotent);
    if let Some(Value::String(c)) = body.get("conversation_id") {
        req.query.push(("conversation_id".into(), c.clone()));
    }
    user_query(&mut req, body, call)?;
    query_str(&mut req, body, "first_id")?;
    query_limit(&mut req, body, 100)?;
    Ok(req)
}

/// Builds `GET /files/{file_id}/preview[?as_attachment=true]`.
pub fn prepare_preview(
    body: &Map<String, Value>,
    extra_body: &Option<Map<String, Value>>,
) -> Result<Request> {
    let call = "files.preview(...)";
    no_extra(extra_body, call)?;
    reject_unknown(body, &["file_id", "as_attachment"], call)?;
    let id = segment(body, "file_id", "pass the id of an uploaded file")?;
    let mut req = Request::json(
        Method::GET,
        format!("/files/{id}/preview"),
        None,
        Safety::Idempotent,
    );
    req.accept = "*/*";
    match body.get("as_attachment") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => req.query.push(("as_attachment".into(), "true".into())),
        Some(v) => {
            return Err(invalid(format!(
                "as_attachment must be a bool, got {}.",
                kind(v)
            )));
        }
    }
    Ok(req)
}

/// The calls on a chat app's conversations, their history, and an uploaded file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conversations {
    /// `conversations.list`: one page of the user's conversations.
    List,
    /// `conversations.rename`.
    Rename,
    /// `conversations.delete`.
    Delete,
    /// `messages.list`: one page of a conversation's history, scrolling back in time.
    History,
    /// `files.preview`: the file's bytes.
    Preview,
}

/// Runs one of [`Conversations`]: its `prepare_*` checks the arguments and builds the
/// request. Two answers are made the JSON every face reads: `delete`'s (current servers
/// answer 204 with no body, older ones `{"result": "success"}`; both become the latter), and
/// `preview`'s raw content, handed on as `{"content": <base64>, "mime_type", "file_name"}`
/// (`file_name` from a `Content-Disposition` filename, else null).
pub async fn conversations(
    client: &Client,
    which: Conversations,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    opts: &CallOptions,
) -> Result<Response> {
    let req = match which {
        Conversations::List => prepare_list_conversations(&body, &extra_body)?,
        Conversations::Rename => prepare_rename(body, extra_body)?,
        Conversations::Delete => prepare_delete(body, extra_body)?,
        Conversations::History => prepare_list_messages(&body, &extra_body)?,
        Conversations::Preview => prepare_preview(&body, &extra_body)?,
    };
    let mut resp = client.execute(&req, opts).await?;
    match which {
        Conversations::Delete if resp.body.iter().all(u8::is_ascii_whitespace) => {
            resp.body = Bytes::from_static(br#"{"result":"success"}"#);
        }
        Conversations::Preview => resp.body = preview_body(&resp),
        _ => {}
    }
    Ok(resp)
}

fn preview_body(resp: &Response) -> Bytes {
    let header = |name| {
        resp.headers
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
    };
    let mime = header(CONTENT_TYPE).unwrap_or("application/octet-stream");
    let file_name = header(CONTENT_DISPOSITION).and_then(disposition_name);
    let content = base64::engine::general_purpose::STANDARD.encode(&resp.body);
    let value = json!({"content": content, "mime_type": mime, "file_name": file_name});
    Bytes::from(value.to_string())
}

/// The `filename` of a `Content-Disposition` value (`filename*=UTF-8''...` preferred).
fn disposition_name(value: &str) -> Option<String> {
    let mut plain = None;
    for part in value.split(';').map(str::trim) {
        if let Some(rest) = part.strip_prefix("filename*=") {
            let encoded = rest.split_once("''").map_or(rest, |(_, v)| v);
            if let Ok(name) = percent_decode(encoded) {
                return Some(name);
            }
        } else if let Some(rest) = part.strip_prefix("filename=") {
            plain = Some(rest.trim_matches('"').to_owned());
        }
    }
    plain
}

fn percent_decode(s: &str) -> std::result::Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn list_conversations_query() {
        let req = prepare_list_conversations(
            &obj(json!({"user": "u", "last_id": "c1", "limit": 5, "sort_by": "-created_at"})),
            &None,
        )
        .unwrap();
        assert_eq!(req.path, "/conversations");
        assert_eq!(
            req.query,
            [
                ("user".into(), "u".into()),
                ("last_id".into(), "c1".into()),
                ("limit".into(), "5".into()),
                ("sort_by".into(), "-created_at".into())
            ]
        );
        for bad in [
            json!({}),
            json!({"user": "u", "limit": 0}),
            json!({"user": "u", "limit": 101}),
            json!({"user": "u", "sort_by": "name"}),
            json!({"user": "u", "last_id": ""}),
            json!({"user": "u", "page": 2}),
        ] {
            assert!(prepare_list_conversations(&obj(bad), &None).is_err());
        }
    }

    #[test]
    fn rename_body() {
        let req = prepare_rename(
            obj(json!({"conversation_id": "c/1", "name": "N", "user": "u"})),
            None,
        )
        .unwrap();
        assert_eq!(
            (req.method, req.path.as_str()),
            (Method::POST, "/conversations/c%2F1/name")
        );
        let sent: Value = serde_json::from_slice(&req.body.unwrap()).unwrap();
        assert_eq!(
            sent,
            json!({"name": "N", "user": "u", "auto_generate": false})
        );
        let req = prepare_rename(
            obj(json!({"conversation_id": "c", "auto_generate": true, "user": "u"})),
            None,
        )
        .unwrap();
        let sent: Value = serde_json::from_slice(&req.body.unwrap()).unwrap();
        assert_eq!(sent, json!({"user": "u", "auto_generate": true}));
        for bad in [
            json!({"conversation_id": "c", "user": "u"}),
            json!({"conversation_id": "c", "name": "", "user": "u"}),
            json!({"conversation_id": "c", "name": "N", "auto_generate": true, "user": "u"}),
            json!({"conversation_id": "c", "name": "N"}),
            json!({"name": "N", "user": "u"}),
        ] {
            assert!(prepare_rename(obj(bad), None).is_err());
        }
    }

    #[test]
    fn delete_and_history() {
        let req = prepare_delete(obj(json!({"conversation_id": "c", "user": "u"})), None).unwrap();
        assert_eq!(
            (req.method, req.path.as_str(), req.body.as_deref()),
            (
                Method::DELETE,
                "/conversations/c",
                Some(&br#"{"user":"u"}"#[..])
            )
        );
        assert!(prepare_delete(obj(json!({"conversation_id": "c"})), None).is_err());
        let req = prepare_list_messages(
            &obj(json!({"conversation_id": "c", "user": "u", "first_id": "m", "limit": 2})),
            &None,
        )
        .unwrap();
        assert_eq!(req.query.len(), 4);
        assert!(prepare_list_messages(&obj(json!({"user": "u"})), &None).is_err());
    }

    #[test]
    fn preview_request_and_names() {
        let req =
            prepare_preview(&obj(json!({"file_id": "f", "as_attachment": true})), &None).unwrap();
        assert_eq!(
            (req.path.as_str(), req.query.len(), req.accept),
            ("/files/f/preview", 1, "*/*")
        );
        assert!(prepare_preview(&obj(json!({"file_id": ""})), &None).is_err());
        assert_eq!(
            disposition_name("attachment; filename=\"a b.pdf\"").as_deref(),
            Some("a b.pdf")
        );
        assert_eq!(
            disposition_name("attachment; filename=x; filename*=UTF-8''%C3%A9.txt").as_deref(),
            Some("é.txt")
        );
        assert_eq!(disposition_name("inline"), None);
    }
}
