//! The Tela completion endpoint: what a valid request is, and how it is sent.
//!
//! Validation happens here, before anything is sent, so a mistake costs no run and the
//! message can say what to pass instead.

use bytes::Bytes;
use reqwest::Method;
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::events::EventStream;
use crate::files::FileSource;
use crate::json::{At, kind, merge, to_bytes};
use crate::retry::Safety;
use crate::tela::files::build_body;
use crate::transport::{CallOptions, Request, Response};

pub mod canvases;
pub mod files;
pub mod ops;
pub mod runs;
pub mod stream;
pub mod tasks;

pub const COMPLETIONS_PATH: &str = "/v2/chat/completions";

/// How a completion request will be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `chat.completion` JSON.
    Sync,
    /// SSE chunks.
    Stream,
    /// A run object answered at once (`async: true`); also the only mode for `application_id`
    /// and the one that accepts `webhook_url`.
    Async,
}

/// Checks the body and returns the bytes to send. `body` holds the typed arguments the user
/// passed (`None`s already left out); `extra_body` is merged last, unchecked by design.
pub fn prepare_create(
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    mode: Mode,
) -> Result<Bytes> {
    to_bytes(&prepared(body, extra_body, mode)?)
}

/// [`prepare_create`]'s body before it is written out, for an op that reads it too.
fn prepared(
    mut body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    mode: Mode,
) -> Result<Map<String, Value>> {
    validate_target(&body)?;
    if mode != Mode::Async && body.contains_key("application_id") {
        return Err(Error::InvalidRequest(
            "application_id starts a Workstation task, which always runs asynchronously and never streams; \
             use completions.submit(application_id=...) instead of create()."
                .into(),
        ));
    }
    for reserved in ["stream", "async", "webhook_url"] {
        if body.contains_key(reserved) && !(mode == Mode::Async && reserved == "webhook_url") {
            return Err(Error::InvalidRequest(format!(
                "{reserved} is set by the SDK: use create(stream=True) for streaming, and completions.submit(...) for async runs and webhooks."
            )));
        }
    }
    if let Some(v) = body.get("webhook_url") {
        validate_webhook_url(v)?;
    }
    if let Some(v) = body.get("variables") {
        validate_variables(v)?;
    }
    if let Some(v) = body.get("messages") {
        validate_messages(v)?;
    }
    if let Some(v) = body.get("override") {
        validate_override(v)?;
    }
    if let Some(v) = body.get("tags") {
        let ok = v.as_array().is_some_and(|a| a.iter().all(Value::is_string));
        if !ok {
            return Err(Error::InvalidRequest(format!(
                "tags must be a list of strings, got {}.",
                kind(v)
            )));
        }
    }
    if let Some(v) = body.get("label")
        && !v.is_string()
    {
        return Err(Error::InvalidRequest(format!(
            "label must be a string, got {}.",
            kind(v)
        )));
    }
    match mode {
        Mode::Sync => {}
        Mode::Stream => {
            body.insert("stream".into(), Value::Bool(true));
        }
        Mode::Async => {
            body.insert("async".into(), Value::Bool(true));
        }
    }
    if let Some(extra) = extra_body {
        merge(&mut body, extra);
    }
    Ok(body)
}

/// Exactly one of canvas_id / version_id / application_id; environment_name only with canvas_id.
fn validate_target(body: &Map<String, Value>) -> Result<()> {
    let ids = ["canvas_id", "version_id", "application_id"];
    let given: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|k| body.contains_key(*k))
        .collect();
    for k in &given {
        match body.get(*k) {
            Some(Value::String(s)) if !s.trim().is_empty() => {}
            Some(v) => {
                return Err(Error::InvalidRequest(format!(
                    "{k} must be a non-empty string, got {}.",
                    kind(v)
                )));
            }
            None => {}
        }
    }
    match given.len() {
        1 => {}
        0 => {
            return Err(Error::InvalidRequest(
                "Say what to run: pass canvas_id=... (the version published to production, or to environment_name=...), \
                 version_id=... (one exact version), or application_id=... (a Workstation app)."
                    .into(),
            ));
        }
        _ => {
            return Err(Error::InvalidRequest(format!(
                "Pass exactly one of canvas_id, version_id or application_id; got {}.",
                given.join(" and ")
            )));
        }
    }
    if let Some(env) = body.get("environment_name") {
        if given[0] != "canvas_id" {
            return Err(Error::InvalidRequest(format!(
                "environment_name only goes with canvas_id (it picks the version published to that environment); \
                 drop it, or pass canvas_id instead of {}.",
                given[0]
            )));
        }
        let Some(name) = env.as_str() else {
            return Err(Error::InvalidRequest(format!(
                "environment_name must be a string, got {}.",
                kind(env)
            )));
        };
        if !valid_environment_name(name) {
            return Err(Error::InvalidRequest(format!(
                "environment_name {name:?} is not valid: use lowercase letters and digits in segments joined by single hyphens, \
                 at most 64 characters (e.g. \"staging\", \"eu-prod\")."
            )));
        }
    }
    Ok(())
}

pub fn valid_environment_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.split('-').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

pub(crate) fn validate_variables(v: &Value) -> Result<()> {
    let Some(vars) = v.as_object() else {
        return Err(Error::InvalidRequest(format!(
            "variables must be a dict of name -> value, got {}.",
            kind(v)
        )));
    };
    for (name, value) in vars {
        validate_variable_value(&At::Key(&At::Root("variables"), name), value, true)?;
    }
    Ok(())
}

fn validate_variable_value(at: &At<'_>, v: &Value, allow_list: bool) -> Result<()> {
    match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Ok(()),
        Value::Null => Err(Error::InvalidRequest(format!(
            "{at} is None; pass a string, number, bool, file or list, or leave the variable out."
        ))),
        Value::Object(o) => validate_file_ref(at, o),
        Value::Array(items) if allow_list => {
            for (i, item) in items.iter().enumerate() {
                validate_variable_value(&At::Index(at, i), item, false)?;
            }
            Ok(())
        }
        Value::Array(_) => Err(Error::InvalidRequest(format!(
            "{at}: lists cannot be nested; pass a flat list."
        ))),
    }
}

fn validate_file_ref(at: &dyn std::fmt::Display, o: &Map<String, Value>) -> Result<()> {
    match o.get("file_url") {
        Some(Value::String(url)) if is_file_url(url) => Ok(()),
        Some(Value::String(url)) => Err(Error::InvalidRequest(format!(
            "{at}: file_url {:?} must start with https://, http://, vault:// or data:.",
            url.chars().take(60).collect::<String>()
        ))),
        _ => Err(Error::InvalidRequest(format!(
            "{at} is a dict without a string file_url; files are passed as {{\"file_url\": ...}} (or tela_sdk.File(...))."
        ))),
    }
}

/// Tela POSTs the finished run there, so it must be an absolute http(s) URL with a host.
pub(crate) fn validate_webhook_url(v: &Value) -> Result<()> {
    let Some(text) = v.as_str() else {
        return Err(Error::InvalidRequest(format!(
            "webhook_url must be a string, got {}.",
            kind(v)
        )));
    };
    let parsed = url::Url::parse(text).ok();
    let ok = parsed
        .as_ref()
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !ok {
        return Err(Error::InvalidRequest(format!(
            "webhook_url {:?} is not an http(s) URL; pass the absolute address Tela should POST the result to \
             (e.g. \"https://example.com/tela-webhook\").",
            text.chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

fn is_file_url(url: &str) -> bool {
    ["https://", "http://", "vault://", "data:"]
        .iter()
        .any(|p| url.starts_with(p))
}

fn validate_messages(v: &Value) -> Result<()> {
    let Some(items) = v.as_array() else {
        return Err(Error::InvalidRequest(format!(
            "messages must be a list of {{\"role\", \"content\"}} dicts, got {}.",
            kind(v)
        )));
    };
    for (i, m) in items.iter().enumerate() {
        let at = format!("messages[{i}]");
        let Some(m) = m.as_object() else {
            return Err(Error::InvalidRequest(format!(
                "{at} must be a dict with role and content, got {}.",
                kind(m)
            )));
        };
        match m.get("role").and_then(Value::as_str) {
            Some("user" | "assistant" | "system" | "tool" | "function") => {}
            Some(r) => {
                return Err(Error::InvalidRequest(format!(
                    "{at}.role {r:?} is not one of user, assistant, system, tool."
                )));
            }
            None => {
                return Err(Error::InvalidRequest(format!(
                    "{at} needs a role (\"user\" or \"assistant\")."
                )));
            }
        }
        match m.get("content") {
            None => return Err(Error::InvalidRequest(format!("{at} needs a content."))),
            Some(c) => validate_content(&format!("{at}.content"), c, true)?,
        }
    }
    Ok(())
}

fn validate_content(at: &str, c: &Value, allow_list: bool) -> Result<()> {
    match c {
        Value::String(_) => Ok(()),
        Value::Array(parts) if allow_list => {
            for (i, p) in parts.iter().enumerate() {
                validate_content(&format!("{at}[{i}]"), p, false)?;
            }
            Ok(())
        }
        Value::Object(o) => {
            if o.contains_key("file_url") {
                return validate_file_ref(&at, o);
            }
            match o.get("type").and_then(Value::as_str) {
                Some("text") if o.get("text").is_some_and(Value::is_string) => Ok(()),
                Some("text") => Err(Error::InvalidRequest(format!(
                    "{at}: a text part needs \"text\": str."
                ))),
                Some("image_url") => {
                    let url = o
                        .get("image_url")
                        .and_then(|u| u.get("url"))
                        .and_then(Value::as_str);
                    match url {
                        Some(_) => Ok(()),
                        None => Err(Error::InvalidRequest(format!(
                            "{at}: an image_url part needs {{\"image_url\": {{\"url\": ...}}}}."
                        ))),
                    }
                }
                Some(t) => Err(Error::InvalidRequest(format!(
                    "{at}: unknown part type {t:?}; use \"text\" or \"image_url\", or a file."
                ))),
                None => Err(Error::InvalidRequest(format!(
                    "{at}: a content dict needs a type (\"text\", \"image_url\") or a file_url."
                ))),
            }
        }
        other => Err(Error::InvalidRequest(format!(
            "{at} must be a string, a content part or a file, got {}.",
            kind(other)
        ))),
    }
}

fn validate_override(v: &Value) -> Result<()> {
    let Some(o) = v.as_object() else {
        return Err(Error::InvalidRequest(format!(
            "override must be a dict, got {}.",
            kind(v)
        )));
    };
    if let Some(t) = o.get("type")
        && !matches!(t.as_str(), Some("chat" | "completion"))
    {
        return Err(Error::InvalidRequest(
            "override.type must be \"chat\" or \"completion\".".into(),
        ));
    }
    if let Some(m) = o.get("model")
        && !m.is_string()
    {
        return Err(Error::InvalidRequest(format!(
            "override.model must be a string, got {}.",
            kind(m)
        )));
    }
    if let Some(t) = o.get("temperature")
        && !t.is_number()
    {
        return Err(Error::InvalidRequest(format!(
            "override.temperature must be a number, got {}.",
            kind(t)
        )));
    }
    if let Some(f) = o.get("functions") {
        let Some(fs) = f.as_array() else {
            return Err(Error::InvalidRequest(format!(
                "override.functions must be a list, got {}.",
                kind(f)
            )));
        };
        for (i, func) in fs.iter().enumerate() {
            if !func.get("name").is_some_and(Value::is_string) {
                return Err(Error::InvalidRequest(format!(
                    "override.functions[{i}] needs a \"name\"."
                )));
            }
        }
    }
    if let Some(s) = o.get("structured_output")
        && !s.get("enabled").is_some_and(Value::is_boolean)
    {
        return Err(Error::InvalidRequest(
            "override.structured_output needs \"enabled\": bool (and optionally \"schema\")."
                .into(),
        ));
    }
    Ok(())
}

/// Runs a canvas and returns the `chat.completion` response.
pub async fn create(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    files: Vec<FileSource>,
    opts: &CallOptions,
) -> Result<Response> {
    post(client, body, extra_body, files, opts, Mode::Sync).await
}

/// The run-starting POST shared by `create` (sync answer) and `runs::submit` (async run):
/// checks, resolves files, and sends it under the create-retry rule.
pub(crate) async fn post(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    files: Vec<FileSource>,
    opts: &CallOptions,
    mode: Mode,
) -> Result<Response> {
    let (bytes, whom) = completion_body(client, body, extra_body, files, opts, mode).await?;
    let mut req = Request::json(
        Method::POST,
        COMPLETIONS_PATH,
        Some(bytes),
        Safety::CreatesWork,
    );
    req.whom = Some(whom);
    client.execute(&req, opts).await
}

/// A completion's body with its files in, and who it is for (read before it is written out).
async fn completion_body(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    files: Vec<FileSource>,
    opts: &CallOptions,
    mode: Mode,
) -> Result<(Bytes, crate::usage::Whom)> {
    let mut whom = crate::usage::Whom::default();
    let bytes = build_body(client, body, extra_body, files, opts, |b, e| {
        let body = prepared(b, e, mode)?;
        whom = crate::usage::Whom::of(&body);
        to_bytes(&body)
    })
    .await?;
    Ok((bytes, whom))
}

/// Runs a canvas with `stream: true` and returns its chunk stream.
pub async fn stream(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    files: Vec<FileSource>,
    opts: &CallOptions,
) -> Result<EventStream> {
    let (bytes, whom) =
        completion_body(client, body, extra_body, files, opts, Mode::Stream).await?;
    let mut req = Request::json(
        Method::POST,
        COMPLETIONS_PATH,
        Some(bytes),
        Safety::CreatesWork,
    );
    req.accept = "text/event-stream";
    req.whom = Some(whom);
    client.open_events(&req, opts, &stream::RULES).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }
    fn err(v: Value) -> String {
        prepare_create(body(v), None, Mode::Sync)
            .unwrap_err()
            .to_string()
    }

    /// The path in a variable's error is written only on failure, and says exactly where.
    #[test]
    fn a_bad_variable_is_named_by_its_path() {
        let none = err(json!({"canvas_id": "c", "variables": {"ok": "a", "x\"y": null}}));
        assert!(none.starts_with(r#"variables["x\"y"] is None"#), "{none}");
        let in_list = err(json!({"canvas_id": "c", "variables": {"x": ["a", {"url": "u"}]}}));
        assert!(
            in_list.starts_with(r#"variables["x"][1] is a dict"#),
            "{in_list}"
        );
        let nested = err(json!({"canvas_id": "c", "variables": {"x": [[1]]}}));
        assert!(
            nested.starts_with(r#"variables["x"][0]: lists"#),
            "{nested}"
        );
    }

    #[test]
    fn target_rules() {
        assert!(err(json!({})).contains("canvas_id=..."));
        assert!(
            err(json!({"canvas_id": "a", "version_id": "b"})).contains("canvas_id and version_id")
        );
        assert!(
            err(json!({"version_id": "v", "environment_name": "staging"}))
                .contains("only goes with canvas_id")
        );
        assert!(
            err(json!({"canvas_id": "c", "environment_name": "Staging"})).contains("lowercase")
        );
        assert!(err(json!({"canvas_id": ""})).contains("non-empty"));
        assert!(err(json!({"application_id": "a"})).contains("submit"));
        assert!(
            prepare_create(
                body(json!({"canvas_id": "c", "environment_name": "eu-prod-2"})),
                None,
                Mode::Sync
            )
            .is_ok()
        );
    }

    #[test]
    fn environment_names() {
        for ok in ["production", "staging", "eu-prod", "a1-b2-c3"] {
            assert!(valid_environment_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", &"a".repeat(65)] {
            assert!(!valid_environment_name(bad), "{bad}");
        }
    }

    #[test]
    fn value_rules() {
        assert!(
            err(json!({"canvas_id": "c", "variables": {"x": null}}))
                .contains("variables[\"x\"] is None")
        );
        assert!(err(json!({"canvas_id": "c", "variables": {"x": [[1]]}})).contains("nested"));
        assert!(
            err(json!({"canvas_id": "c", "variables": {"x": {"url": "u"}}})).contains("file_url")
        );
        assert!(
            err(json!({"canvas_id": "c", "variables": {"x": {"file_url": "ftp://u"}}}))
                .contains("https://")
        );
        assert!(
            err(json!({"canvas_id": "c", "messages": [{"content": "hi"}]}))
                .contains("needs a role")
        );
        assert!(err(json!({"canvas_id": "c", "messages": [{"role": "user", "content": {"type": "video"}}]})).contains("unknown part type"));
        assert!(
            err(json!({"canvas_id": "c", "override": {"type": "x"}})).contains("override.type")
        );
        assert!(err(json!({"canvas_id": "c", "tags": ["a", 1]})).contains("tags"));
        assert!(err(json!({"canvas_id": "c", "stream": true})).contains("stream=True"));
    }

    #[test]
    fn every_field_reaches_the_body_and_extra_body_wins() {
        let b = json!({
            "canvas_id": "c", "environment_name": "staging",
            "variables": {"s": "x", "n": 1, "f": 1.5, "b": true, "l": ["a", {"file_url": "https://x/y.pdf"}]},
            "messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": [{"type": "text", "text": "t"}, {"type": "image_url", "image_url": {"url": "https://i", "detail": "low"}}]}, {"role": "user", "content": {"file_url": "vault://1"}}],
            "override": {"model": "m", "temperature": 0.2, "type": "chat", "functions": [{"id": "1", "name": "f"}], "structured_output": {"enabled": true, "schema": {}}},
            "tags": ["t"], "label": "l"
        });
        let bytes = prepare_create(
            body(b.clone()),
            Some(body(json!({"x_new": 1, "override": {"model": "m2"}}))),
            Mode::Stream,
        )
        .unwrap();
        let sent: Value = serde_json::from_slice(&bytes).unwrap();
        let mut expect = b;
        expect["stream"] = json!(true);
        expect["x_new"] = json!(1);
        expect["override"]["model"] = json!("m2");
        assert_eq!(sent, expect);
    }
}
