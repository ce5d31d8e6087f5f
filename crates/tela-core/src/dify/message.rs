//! `completion_messages.create` / `chat_messages.create`: the checks on a message body and
//! the blocking or streaming request that sends it.

use bytes::Bytes;
use reqwest::Method;
use serde_json::{Map, Value};

use super::file_ref::{looks_like_file, resolve_files};
use super::*;
use crate::client::Client;
use crate::error::Result;
use crate::events::EventStream;
use crate::json::{kind, merge, to_bytes};
use crate::operation::Args;
use crate::retry::Safety;
use crate::transport::{CallOptions, Request, Response};

/// Checks a `create` body and returns the bytes to send. `body` holds the typed arguments the
/// user passed (`None`s already left out); `extra_body` is merged last, unchecked by design.
pub fn prepare_message(
    app: App,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    mode: Mode,
) -> Result<Bytes> {
    let call = format!("{}.create(...)", app.resource());
    if body.contains_key("response_mode") {
        return Err(invalid(
            "response_mode is set by the SDK: pass stream=True for streaming, leave it out for a blocking answer.",
        ));
    }
    reject_unknown(&body, app.fields(), &call)?;
    require_user(&body, &call)?;
    let mut out = Map::with_capacity(body.len() + 2);
    let inputs = match body.get("inputs") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => normalize_inputs(m)?,
        Some(other) => {
            return Err(invalid(format!(
                "inputs must be a dict of variable name -> value (see the app's parameters().user_input_form), got {}.",
                kind(other)
            )));
        }
    };
    out.insert("inputs".into(), Value::Object(inputs));
    match (app, body.get("query")) {
        (_, Some(Value::String(q))) if app == App::Completion || !q.trim().is_empty() => {}
        (App::Chat, None | Some(Value::Null)) => {
            return Err(invalid(
                "chat_messages.create(...) needs query=\"...\": the end user's message.",
            ));
        }
        (App::Chat, Some(Value::String(_))) => {
            return Err(invalid("query is empty; pass the end user's message."));
        }
        (App::Completion, None) => {}
        (_, Some(v)) => {
            return Err(invalid(format!("query must be a string, got {}.", kind(v))));
        }
    }
    if let Some(v) = body.get("conversation_id") {
        match v.as_str() {
            Some(id) if id.is_empty() || is_uuid(id) => {}
            Some(id) => {
                return Err(invalid(format!(
                    "conversation_id {:?} is not a conversation id (a UUID from an earlier answer's conversation_id); \
                     leave it out to start a new conversation.",
                    id.chars().take(60).collect::<String>()
                )));
            }
            None => {
                return Err(invalid(format!(
                    "conversation_id must be a string, got {}.",
                    kind(v)
                )));
            }
        }
    }
    if let Some(v) = body.get("auto_generate_name")
        && !v.is_boolean()
    {
        return Err(invalid(format!(
            "auto_generate_name must be a bool, got {}.",
            kind(v)
        )));
    }
    if let Some(v) = body.get("workflow_id")
        && v.as_str().is_none_or(|s| s.trim().is_empty())
    {
        return Err(invalid(format!(
            "workflow_id must be a non-empty string, got {}.",
            kind(v)
        )));
    }
    for (k, v) in body {
        match k.as_str() {
            "inputs" => {}
            "files" => {
                out.insert(k, normalize_files(v)?);
            }
            _ => {
                out.insert(k, v);
            }
        }
    }
    out.insert("response_mode".into(), Value::from(mode.wire()));
    if let Some(extra) = extra_body {
        merge(&mut out, extra);
    }
    to_bytes(&out)
}

/// Values of file variables (a file, or a list of files) become file references; other
/// values go as given.
fn normalize_inputs(inputs: &Map<String, Value>) -> Result<Map<String, Value>> {
    let mut out = Map::with_capacity(inputs.len());
    for (name, value) in inputs {
        let at = format!("inputs[{name:?}]");
        let value = match value {
            Value::Object(o) if looks_like_file(o) => file_ref(&at, o)?,
            Value::Array(items)
                if items
                    .iter()
                    .any(|i| i.as_object().is_some_and(looks_like_file)) =>
            {
                let mut refs = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let at = format!("{at}[{i}]");
                    match item.as_object() {
                        Some(o) => refs.push(file_ref(&at, o)?),
                        None => {
                            return Err(invalid(format!(
                                "{at} must be a file like the other items of the list, got {}.",
                                kind(item)
                            )));
                        }
                    }
                }
                Value::Array(refs)
            }
            other => other.clone(),
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

fn normalize_files(v: Value) -> Result<Value> {
    let Value::Array(items) = v else {
        return Err(invalid(format!(
            "files must be a list of files (uploaded files, or {{\"type\", \"url\"}} dicts), got {}.",
            kind(&v)
        )));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("files[{i}]");
        match item.as_object() {
            Some(o) => out.push(file_ref(&at, o)?),
            None => {
                return Err(invalid(format!(
                    "{at} must be an uploaded file (from files.upload(...)) or a dict like \
                     {{\"type\": \"image\", \"url\": \"https://...\"}}, got {}.",
                    kind(item)
                )));
            }
        }
    }
    Ok(Value::Array(out))
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The checked message POST of `create` and `stream`: it starts work, so it is retried only
/// when it cannot have arrived. `tela_sdk.File` values become references first.
fn message_request(app: App, args: Args, mode: Mode) -> Result<Request> {
    let Args {
        mut body,
        mut extra_body,
        files,
    } = args;
    resolve_files(&mut body, extra_body.as_mut(), &files)?;
    let bytes = prepare_message(app, body, extra_body, mode)?;
    Ok(Request::json(
        Method::POST,
        app.path(),
        Some(bytes),
        Safety::CreatesWork,
    ))
}

/// Sends a message and returns the blocking answer.
pub async fn create(client: &Client, app: App, args: Args, opts: &CallOptions) -> Result<Response> {
    let req = message_request(app, args, Mode::Blocking)?;
    client.execute(&req, opts).await
}

/// Sends a message with `response_mode: streaming` and returns its event stream.
pub async fn stream(
    client: &Client,
    app: App,
    args: Args,
    opts: &CallOptions,
) -> Result<EventStream> {
    let mut req = message_request(app, args, Mode::Streaming)?;
    req.accept = "text/event-stream";
    client.open_events(&req, opts, &super::stream::RULES).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn sent(app: App, v: Value, mode: Mode) -> Value {
        let bytes = prepare_message(app, body(v), None, mode).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    fn err(app: App, v: Value) -> String {
        prepare_message(app, body(v), None, Mode::Blocking)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn user_is_required_and_response_mode_is_explicit() {
        assert!(err(App::Completion, json!({"inputs": {}})).contains("needs user="));
        assert!(err(App::Completion, json!({"user": " "})).contains("user is empty"));
        assert!(err(App::Completion, json!({"user": 1})).contains("must be a string"));
        assert!(
            err(
                App::Completion,
                json!({"user": "u", "response_mode": "streaming"})
            )
            .contains("stream=True")
        );
        let out = sent(App::Completion, json!({"user": "u"}), Mode::Blocking);
        assert_eq!(
            out,
            json!({"inputs": {}, "user": "u", "response_mode": "blocking"})
        );
        let out = sent(
            App::Completion,
            json!({"inputs": {"q": "x"}, "user": "u"}),
            Mode::Streaming,
        );
        assert_eq!(out["response_mode"], "streaming");
        assert_eq!(out["inputs"], json!({"q": "x"}));
    }

    #[test]
    fn inputs_and_unknown_fields() {
        assert!(
            err(App::Completion, json!({"user": "u", "inputs": [1]}))
                .contains("inputs must be a dict")
        );
        assert!(
            err(
                App::Completion,
                json!({"user": "u", "conversation_id": "x"})
            )
            .contains("extra_body")
        );
        assert!(
            err(App::Completion, json!({"user": "u", "query": 3}))
                .contains("query must be a string")
        );
        let bytes = prepare_message(
            App::Completion,
            body(json!({"user": "u"})),
            Some(body(json!({"retriever_from": "x", "inputs": {"a": 1}}))),
            Mode::Blocking,
        )
        .unwrap();
        let out: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(out["retriever_from"], "x");
        assert_eq!(out["inputs"], json!({"a": 1}));
    }

    #[test]
    fn chat_rules() {
        assert!(err(App::Chat, json!({"user": "u"})).contains("needs query="));
        assert!(err(App::Chat, json!({"user": "u", "query": ""})).contains("query is empty"));
        assert!(
            err(
                App::Chat,
                json!({"user": "u", "query": "q", "conversation_id": "nope"})
            )
            .contains("not a conversation id")
        );
        assert!(
            err(
                App::Chat,
                json!({"user": "u", "query": "q", "auto_generate_name": "yes"})
            )
            .contains("bool")
        );
        let out = sent(
            App::Chat,
            json!({"user": "u", "query": "hi", "conversation_id": "0a1b2c3d-0000-4000-8000-00000000abcd", "auto_generate_name": false}),
            Mode::Streaming,
        );
        assert_eq!(
            out["conversation_id"],
            "0a1b2c3d-0000-4000-8000-00000000abcd"
        );
        assert_eq!(out["query"], "hi");
        assert!(
            sent(
                App::Chat,
                json!({"user": "u", "query": "hi", "conversation_id": ""}),
                Mode::Blocking
            )["conversation_id"]
                == ""
        );
    }

    #[test]
    fn file_references() {
        let files = |v: Value| {
            sent(
                App::Completion,
                json!({"user": "u", "files": v}),
                Mode::Blocking,
            )["files"]
                .clone()
        };
        assert_eq!(
            files(json!([{"url": "https://x/logo.PNG?s=1"}])),
            json!([{"url": "https://x/logo.PNG?s=1", "type": "image", "transfer_method": "remote_url"}])
        );
        assert_eq!(
            files(json!([{"upload_file_id": "f1", "type": "document"}])),
            json!([{"upload_file_id": "f1", "type": "document", "transfer_method": "local_file"}])
        );
        // An upload record becomes a local_file reference, typed by its extension.
        let record = json!({"id": "f2", "name": "a.pdf", "size": 3, "extension": "pdf", "mime_type": "application/pdf", "created_by": "u"});
        assert_eq!(
            files(json!([record])),
            json!([{"type": "document", "transfer_method": "local_file", "upload_file_id": "f2"}])
        );
        let e = |v: Value| err(App::Completion, json!({"user": "u", "files": v}));
        assert!(e(json!("x")).contains("files must be a list"));
        assert!(e(json!(["x"])).contains("files[0] must be an uploaded file"));
        assert!(e(json!([{}])).contains("needs a url"));
        assert!(e(json!([{"url": "https://x/a", "upload_file_id": "f"}])).contains("both"));
        assert!(e(json!([{"url": "https://x/noext"}])).contains("say which kind"));
        assert!(e(json!([{"url": "file:///etc/passwd", "type": "document"}])).contains("https://"));
        assert!(e(json!([{"upload_file_id": "f"}])).contains("say which kind"));
        assert!(
            e(json!([{"url": "https://x/a.png", "type": "picture"}]))
                .contains("type must be one of")
        );
        assert!(e(json!([{"transfer_method": "ftp", "url": "x"}])).contains("transfer_method"));
        assert!(
            e(json!([{"transfer_method": "local_file", "url": "https://x/a.png", "type": "image"}]))
                .contains("upload_file_id")
        );
        // File variables in inputs are normalized the same way.
        let out = sent(
            App::Completion,
            json!({"user": "u", "inputs": {"doc": record, "many": [{"url": "https://x/a.mp3", "transfer_method": "remote_url"}], "typed": {"url": "https://x/a", "type": "video"}, "link": {"url": "https://x/a.mp3"}, "text": "t", "obj": {"k": 1}}}),
            Mode::Blocking,
        );
        assert_eq!(out["inputs"]["doc"]["upload_file_id"], "f2");
        assert_eq!(out["inputs"]["many"][0]["type"], "audio");
        assert_eq!(out["inputs"]["obj"], json!({"k": 1}));
        assert_eq!(out["inputs"]["typed"]["transfer_method"], "remote_url");
        assert_eq!(out["inputs"]["link"], json!({"url": "https://x/a.mp3"}));
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("0a1b2c3d-0000-4000-8000-00000000abcd"));
        assert!(!is_uuid("0a1b2c3d-0000-4000-8000-00000000abc"));
        assert!(!is_uuid("zzzzzzzz-0000-4000-8000-00000000abcd"));
    }
}
