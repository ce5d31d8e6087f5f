//! The Dify service API (completion and chat apps): what a valid request is, and how it is
//! sent.
//!
//! Dify scopes messages, files, stop and feedback by the end user's id (`user`) and answers a
//! missing one with a 400, and it takes files by reference (a `remote_url`, or the id of a
//! file uploaded first). These rules are checked here, before anything is sent, so the
//! message can say what to pass.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Map, Value, json};

use crate::client::Client;
use crate::config::Api;
use crate::error::{Error, Result};
use crate::events::{EventStream, Flavor};
use crate::files::{FileSource, Opened, PLACEHOLDER_KEY};
use crate::json::{kind, merge, to_bytes};
use crate::retry::Safety;
use crate::transport::{CallOptions, FormFactory, Request, Response, path_segment};

pub const UPLOAD_PATH: &str = "/files/upload";

/// The two message endpoints: text generator (`completion`) apps and chat apps
/// (`chat`, `agent-chat`, `advanced-chat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    Completion,
    Chat,
}

impl App {
    pub fn path(self) -> &'static str {
        match self {
            App::Completion => "/completion-messages",
            App::Chat => "/chat-messages",
        }
    }

    fn resource(self) -> &'static str {
        match self {
            App::Completion => "completion_messages",
            App::Chat => "chat_messages",
        }
    }

    /// Body keys the SDK sends for this endpoint; anything else goes through `extra_body`.
    fn fields(self) -> &'static [&'static str] {
        match self {
            App::Completion => &["inputs", "query", "user", "files"],
            App::Chat => &[
                "inputs",
                "query",
                "user",
                "files",
                "conversation_id",
                "auto_generate_name",
                "workflow_id",
            ],
        }
    }
}

/// How a message is answered. Sent explicitly: an omitted `response_mode` means blocking on
/// the server but "streaming" in some translated docs (protocol.md §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Blocking,
    Streaming,
}

impl Mode {
    fn wire(self) -> &'static str {
        match self {
            Mode::Blocking => "blocking",
            Mode::Streaming => "streaming",
        }
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest(message.into())
}

fn ensure_dify(client: &Client, what: &str) -> Result<()> {
    if client.config.api == Api::Dify {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} is a Dify call; use tela_sdk.DifyClient (this client talks to Tela)."
        )))
    }
}

/// `user` is required by every Dify call that touches messages or files.
fn require_user(body: &Map<String, Value>, call: &str) -> Result<()> {
    match body.get("user") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        Some(Value::String(_)) => Err(invalid(format!(
            "{call}: user is empty; pass your end user's id (any stable string, e.g. \"user-123\")."
        ))),
        None | Some(Value::Null) => Err(invalid(format!(
            "{call} needs user=\"...\": the id of your end user. Dify requires it and scopes \
             messages, files, stop and feedback by it, so use the same id on every call for one user."
        ))),
        Some(v) => Err(invalid(format!(
            "{call}: user must be a string, got {}.",
            kind(v)
        ))),
    }
}

fn reject_unknown(body: &Map<String, Value>, allowed: &[&str], call: &str) -> Result<()> {
    if let Some(k) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(format!(
            "{call} does not take {k:?}; send fields this SDK does not know with extra_body={{...}}."
        )));
    }
    Ok(())
}

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

/// In `inputs`, a dict is a file when it says so: `transfer_method`, `upload_file_id`,
/// `url` with `type`, or an upload record. Other dicts go as given.
fn looks_like_file(o: &Map<String, Value>) -> bool {
    o.contains_key("transfer_method")
        || o.contains_key("upload_file_id")
        || (o.contains_key("url") && o.contains_key("type"))
        || is_upload_record(o)
}

/// The answer of `POST /files/upload` (or a dict of it), passed where a file goes.
fn is_upload_record(o: &Map<String, Value>) -> bool {
    o.get("id").is_some_and(Value::is_string)
        && (o.contains_key("mime_type") || o.contains_key("extension"))
        && !o.contains_key("transfer_method")
        && !o.contains_key("upload_file_id")
        && !o.contains_key("url")
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

pub const FILE_TYPES: [&str; 5] = ["image", "document", "audio", "video", "custom"];

/// One Dify file reference (protocol.md §6.2 `files[]`): `type`, `transfer_method`, and exactly
/// one of `url` / `upload_file_id`. Missing `transfer_method` (and `type`, where the URL or
/// the upload record tells it) are filled in; an upload record becomes a `local_file` ref.
pub fn file_ref(at: &str, o: &Map<String, Value>) -> Result<Value> {
    if is_upload_record(o) {
        let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
        let extension = o
            .get("extension")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| o.get("name").and_then(Value::as_str).and_then(extension_of));
        let ty = file_type_for(
            extension.as_deref(),
            o.get("mime_type").and_then(Value::as_str),
        );
        return Ok(json!({"type": ty, "transfer_method": "local_file", "upload_file_id": id}));
    }
    let url = o.get("url");
    let upload = o.get("upload_file_id");
    let method = match o.get("transfer_method") {
        Some(Value::String(m)) if m == "remote_url" || m == "local_file" => m.as_str(),
        Some(other) => {
            return Err(invalid(format!(
                "{at}.transfer_method must be \"remote_url\" or \"local_file\", got {other}."
            )));
        }
        None => match (url.is_some(), upload.is_some()) {
            (true, false) => "remote_url",
            (false, true) => "local_file",
            (true, true) => {
                return Err(invalid(format!(
                    "{at} has both url and upload_file_id; keep one."
                )));
            }
            (false, false) => {
                return Err(invalid(format!(
                    "{at} needs a url (a file on the web) or an upload_file_id (from files.upload(...)); \
                     you can also pass the upload result itself."
                )));
            }
        },
    };
    let inferred = if method == "remote_url" {
        let Some(Value::String(u)) = url else {
            return Err(invalid(format!(
                "{at}: a remote_url file needs \"url\": \"https://...\"."
            )));
        };
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            return Err(invalid(format!(
                "{at}: url {:?} must start with https:// or http://; upload local files with files.upload(...).",
                u.chars().take(60).collect::<String>()
            )));
        }
        if upload.is_some() {
            return Err(invalid(format!(
                "{at}: a remote_url file must not carry upload_file_id."
            )));
        }
        url_extension(u).and_then(|e| type_from_extension(&e))
    } else {
        if upload
            .and_then(Value::as_str)
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err(invalid(format!(
                "{at}: a local_file file needs \"upload_file_id\": the id returned by files.upload(...)."
            )));
        }
        if url.is_some() {
            return Err(invalid(format!(
                "{at}: a local_file file must not carry url."
            )));
        }
        None
    };
    let ty = match o.get("type") {
        Some(Value::String(t)) if FILE_TYPES.contains(&t.as_str()) => t.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "{at}.type must be one of {}, got {other}.",
                FILE_TYPES.join(", ")
            )));
        }
        None => match inferred {
            Some(t) => t.to_owned(),
            None => {
                return Err(invalid(format!(
                    "{at}: say which kind of file this is: add \"type\": one of {}.",
                    FILE_TYPES.join(", ")
                )));
            }
        },
    };
    let mut out = o.clone();
    out.insert("type".into(), Value::String(ty));
    out.insert("transfer_method".into(), Value::from(method));
    Ok(Value::Object(out))
}

/// Dify's file type for an extension (its `*_EXTENSIONS` constants), else by MIME type,
/// else `custom`.
pub fn file_type_for(extension: Option<&str>, mime: Option<&str>) -> &'static str {
    if let Some(t) = extension.and_then(type_from_extension) {
        return t;
    }
    match mime.map(|m| m.to_ascii_lowercase()) {
        Some(m) if m.starts_with("image/") => "image",
        Some(m) if m.starts_with("audio/") => "audio",
        Some(m) if m.starts_with("video/") => "video",
        Some(m)
            if m.starts_with("text/")
                || m == "application/pdf"
                || m.contains("officedocument")
                || m.contains("msword")
                || m.contains("ms-excel")
                || m.contains("ms-powerpoint") =>
        {
            "document"
        }
        _ => "custom",
    }
}

fn type_from_extension(extension: &str) -> Option<&'static str> {
    let e = extension.trim_start_matches('.').to_ascii_lowercase();
    let t = match e.as_str() {
        "jpg" | "jpeg" | "png" | "webp" | "gif" | "svg" => "image",
        "mp4" | "mov" | "mpeg" | "webm" => "video",
        "mp3" | "m4a" | "wav" | "amr" | "mpga" => "audio",
        "txt" | "markdown" | "md" | "mdx" | "pdf" | "html" | "htm" | "xlsx" | "xls" | "vtt"
        | "properties" | "doc" | "docx" | "csv" | "eml" | "msg" | "pptx" | "xml" | "epub"
        | "ppt" => "document",
        _ => return None,
    };
    Some(t)
}

fn extension_of(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_owned())
}

fn url_extension(u: &str) -> Option<String> {
    let parsed = url::Url::parse(u).ok()?;
    let last = parsed.path_segments()?.next_back()?.to_owned();
    extension_of(&last)
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An id as one URL path segment: required, and percent-encoded so it cannot change the path.
fn segment(body: &Map<String, Value>, key: &str, hint: &str) -> Result<String> {
    let id = match body.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(invalid(format!("{key} is required: {hint}.")));
        }
        Some(v) => {
            return Err(invalid(format!("{key} must be a string, got {}.", kind(v))));
        }
    };
    Ok(path_segment(id))
}

fn no_extra(extra_body: &Option<Map<String, Value>>, call: &str) -> Result<()> {
    match extra_body {
        Some(m) if !m.is_empty() => Err(invalid(format!(
            "{call} sends no body; pass extra_query={{...}} instead of extra_body."
        ))),
        _ => Ok(()),
    }
}

/// The checked message POST of `create` and `stream`: it starts work, so it is retried only
/// when it cannot have arrived.
fn message_request(
    client: &Client,
    app: App,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    mode: Mode,
) -> Result<Request> {
    ensure_dify(client, app.resource())?;
    let bytes = prepare_message(app, body, extra_body, mode)?;
    Ok(Request::json(
        Method::POST,
        app.path(),
        Some(bytes),
        Safety::CreatesWork,
    ))
}

/// Sends a message and returns the blocking answer.
pub async fn create(
    client: &Client,
    app: App,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    opts: &CallOptions,
) -> Result<Response> {
    let req = message_request(client, app, body, extra_body, Mode::Blocking)?;
    client.execute(&req, opts).await
}

/// Sends a message with `response_mode: streaming` and returns its event stream.
pub async fn stream(
    client: &Client,
    app: App,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    opts: &CallOptions,
) -> Result<EventStream> {
    let mut req = message_request(client, app, body, extra_body, Mode::Streaming)?;
    req.accept = "text/event-stream";
    client.open_events(&req, opts, Flavor::Dify).await
}

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
    ensure_dify(client, app.resource())?;
    let (path, bytes) = prepare_stop(app, body, extra_body)?;
    let req = Request::json(Method::POST, path, Some(bytes), Safety::Idempotent);
    client.execute(&req, opts).await
}

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
    ensure_dify(client, "messages.feedback")?;
    let (path, bytes) = prepare_feedback(body, extra_body)?;
    let req = Request::json(Method::POST, path, Some(bytes), Safety::Idempotent);
    client.execute(&req, opts).await
}

/// The app's read-only endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Info {
    /// `GET /parameters`: input form, features, upload limits.
    Parameters,
    /// `GET /meta`: tool icons.
    Meta,
    /// `GET /info`: name, description, tags, mode.
    Info,
}

impl Info {
    fn path(self) -> &'static str {
        match self {
            Info::Parameters => "/parameters",
            Info::Meta => "/meta",
            Info::Info => "/info",
        }
    }
}

/// `GET` one of the app's descriptions; an optional `user` goes in the query (older servers
/// ask for it).
pub async fn get_info(
    client: &Client,
    which: Info,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    opts: &CallOptions,
) -> Result<Response> {
    let call = format!("{}()", which.path().trim_start_matches('/'));
    ensure_dify(client, &call)?;
    no_extra(&extra_body, &call)?;
    reject_unknown(&body, &["user"], &call)?;
    let mut req = Request::json(Method::GET, which.path(), None, Safety::Idempotent);
    match body.get("user") {
        None | Some(Value::Null) => {}
        Some(Value::String(u)) => req.query.push(("user".into(), u.clone())),
        Some(v) => {
            return Err(invalid(format!("user must be a string, got {}.", kind(v))));
        }
    }
    client.execute(&req, opts).await
}

/// Where the bytes of an upload come from.
#[derive(Debug, Clone)]
enum Source {
    /// Streamed from disk on every attempt, never held in memory.
    Path(PathBuf),
    Bytes(Bytes),
    /// A `tela_sdk.File`, opened once (checked, sniffed); streamed on every attempt.
    File(Opened),
}

/// A checked `POST /files/upload`: everything needed to build the multipart form.
#[derive(Debug, Clone)]
pub struct Upload {
    source: Source,
    pub filename: String,
    pub mime_type: String,
    /// Text fields: `user`, then any `extra_body` keys.
    pub fields: Vec<(String, String)>,
}

/// Checks an upload: `{"path": str}`, `{"data_base64": str}` or `{"file": <File>}` (with
/// `file` the opened `tela_sdk.File`), plus `user`, and optionally `filename` (required with
/// data) and `mime_type` (else the File's, or guessed from the filename).
pub fn prepare_upload(
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    file: Option<Opened>,
) -> Result<Upload> {
    let call = "files.upload(...)";
    reject_unknown(
        &body,
        &[
            "path",
            "data_base64",
            "file",
            "filename",
            "mime_type",
            "user",
        ],
        call,
    )?;
    if let Some(opened) = file {
        if body.contains_key("path") || body.contains_key("data_base64") {
            return Err(invalid(
                "files.upload(...) takes one file: a File, a path or bytes.",
            ));
        }
        let mime = opened.mime_type.clone();
        let name = opened.name.clone();
        return finish_upload(
            &body,
            extra_body,
            Source::File(opened),
            Some(name),
            Some(mime),
        );
    }
    if body.contains_key("file") {
        return Err(invalid(
            "files.upload(...): file must be a tela_sdk.File, a path or bytes.",
        ));
    }
    let string = |k: &str| opt_str(&body, k);
    let (source, default_name) = match (string("path")?, string("data_base64")?) {
        (Some(p), None) => {
            let path = PathBuf::from(p);
            check_readable(&path)?;
            let name = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
            (Source::Path(path), name)
        }
        (None, Some(data)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| invalid(format!("data_base64 is not valid base64: {e}")))?;
            (Source::Bytes(Bytes::from(bytes)), None)
        }
        (Some(_), Some(_)) => {
            return Err(invalid(
                "files.upload(...) takes one file: a path or bytes, not both.",
            ));
        }
        (None, None) => {
            return Err(invalid(
                "files.upload(...) needs a file: a path, or bytes with filename=\"...\".",
            ));
        }
    };
    finish_upload(&body, extra_body, source, default_name, None)
}

/// The checks shared by every source: `user`, the filename, the MIME type, extra fields.
fn finish_upload(
    body: &Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    source: Source,
    default_name: Option<String>,
    default_mime: Option<String>,
) -> Result<Upload> {
    let string = |k: &str| opt_str(body, k);
    require_user(body, "files.upload(...)")?;
    let filename = match string("filename")?.map(str::to_owned).or(default_name) {
        Some(n) => n,
        None => {
            return Err(invalid(
                "uploading bytes needs filename=\"...\" (Dify takes the file type from its extension).",
            ));
        }
    };
    if filename.trim().is_empty()
        || filename.contains(['/', '\\'])
        || filename.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "filename {filename:?} is not usable: give a plain name like \"report.pdf\" (no slashes)."
        )));
    }
    let mime_type = match string("mime_type")? {
        Some(m) => {
            m.parse::<mime_guess::mime::Mime>().map_err(|_| {
                invalid(format!(
                    "mime_type {m:?} is not a MIME type; use e.g. \"image/png\", or leave it out to guess from the filename."
                ))
            })?;
            m.to_owned()
        }
        None => match default_mime {
            Some(m) => m,
            None => mime_guess::from_path(&filename)
                .first_raw()
                .unwrap_or("application/octet-stream")
                .to_owned(),
        },
    };
    let mut fields = vec![(
        "user".to_owned(),
        string("user")?.unwrap_or_default().to_owned(),
    )];
    for (k, v) in extra_body.unwrap_or_default() {
        let text = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        fields.push((k, text));
    }
    Ok(Upload {
        source,
        filename,
        mime_type,
        fields,
    })
}

/// An optional string field: absent or null is `None`; another type is an error.
fn opt_str<'a>(body: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>> {
    match body.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(invalid(format!("{k} must be a string, got {}.", kind(v)))),
    }
}

fn is_placeholder(v: Option<&Value>) -> bool {
    v.and_then(|v| v.get(PLACEHOLDER_KEY)).is_some()
}

fn check_readable(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| {
        invalid(format!(
            "cannot upload {}: {e}; pass the path of an existing file (or bytes with filename=...).",
            path.display()
        ))
    })?;
    if !meta.is_file() {
        return Err(invalid(format!(
            "cannot upload {}: it is not a regular file.",
            path.display()
        )));
    }
    std::fs::File::open(path)
        .map_err(|e| invalid(format!("cannot upload {}: {e}", path.display())))?;
    Ok(())
}

impl Upload {
    /// The size in bytes, as it is now.
    pub fn size(&self) -> Result<u64> {
        match &self.source {
            Source::Bytes(b) => Ok(b.len() as u64),
            Source::File(o) => Ok(o.len),
            Source::Path(p) => std::fs::metadata(p)
                .map(|m| m.len())
                .map_err(|e| invalid(format!("cannot upload {}: {e}", p.display()))),
        }
    }

    /// The multipart form of one attempt; a file is reopened and streamed from disk.
    /// Must run inside the tokio runtime (the file is read by its blocking pool).
    pub fn form(&self) -> Result<Form> {
        let part = match &self.source {
            Source::Bytes(b) => {
                Part::stream_with_length(reqwest::Body::from(b.clone()), b.len() as u64)
            }
            Source::File(o) => Part::stream_with_length(o.body(), o.len),
            Source::Path(p) => {
                let file = std::fs::File::open(p)
                    .map_err(|e| invalid(format!("cannot upload {}: {e}", p.display())))?;
                let len = file
                    .metadata()
                    .map_err(|e| invalid(format!("cannot upload {}: {e}", p.display())))?
                    .len();
                // `take` keeps the sent length equal to the declared one if the file grows.
                let reader = tokio::io::AsyncReadExt::take(tokio::fs::File::from_std(file), len);
                let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(reader));
                Part::stream_with_length(body, len)
            }
        };
        let part = part
            .file_name(self.filename.clone())
            .mime_str(&self.mime_type)
            .map_err(|e| invalid(format!("mime_type {:?}: {e}", self.mime_type)))?;
        let mut form = Form::new();
        for (k, v) in &self.fields {
            form = form.text(k.clone(), v.clone());
        }
        Ok(form.part("file", part))
    }
}

/// Uploads one file (multipart, streamed from disk for paths) and returns the upload record.
/// Every accepted upload stores a new file, so it is retried only when it cannot have
/// arrived.
pub async fn upload(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    mut files: Vec<FileSource>,
    opts: &CallOptions,
) -> Result<Response> {
    ensure_dify(client, "files.upload")?;
    let file = match (files.pop(), files.is_empty()) {
        (None, _) => None,
        (Some(source), true) if is_placeholder(body.get("file")) => {
            if let Some(url) = source.url().filter(|u| !u.starts_with("data:")) {
                return Err(invalid(format!(
                    "files.upload(...) takes local content; pass the URL {:?} in files=[{{\"url\": ...}}] instead.",
                    url.chars().take(60).collect::<String>()
                )));
            }
            Some(source.open_async().await?)
        }
        _ => {
            return Err(invalid(
                "files.upload(...) takes one file, passed as its first argument.",
            ));
        }
    };
    let plan = Arc::new(prepare_upload(body, extra_body, file)?);
    let mut req = Request::json(Method::POST, UPLOAD_PATH, None, Safety::CreatesWork);
    req.form = Some(FormFactory(Arc::new(move || plan.form())));
    client.execute(&req, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn file_types() {
        assert_eq!(file_type_for(Some(".JPG"), None), "image");
        assert_eq!(file_type_for(Some("bin"), Some("video/mp4")), "video");
        assert_eq!(file_type_for(None, Some("text/plain")), "document");
        assert_eq!(
            file_type_for(Some("xyz"), Some("application/x-thing")),
            "custom"
        );
        assert_eq!(file_type_for(None, None), "custom");
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

    #[test]
    fn upload_rules() {
        let dir = std::env::temp_dir().join(format!("tela-dify-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("photo.png");
        std::fs::write(&file, b"png").unwrap();
        let up = prepare_upload(
            body(json!({"path": file.to_str().unwrap(), "user": "u"})),
            Some(body(json!({"extra": 1}))),
            None,
        )
        .unwrap();
        assert_eq!(up.filename, "photo.png");
        assert_eq!(up.mime_type, "image/png");
        assert_eq!(up.size().unwrap(), 3);
        assert_eq!(
            up.fields,
            vec![("user".into(), "u".into()), ("extra".into(), "1".into())]
        );
        let e = |v: Value| prepare_upload(body(v), None, None).unwrap_err().to_string();
        assert!(
            e(json!({"path": dir.to_str().unwrap(), "user": "u"})).contains("not a regular file")
        );
        assert!(
            e(json!({"path": dir.join("nope").to_str().unwrap(), "user": "u"}))
                .contains("cannot upload")
        );
        assert!(e(json!({"data_base64": "aGk=", "user": "u"})).contains("filename="));
        assert!(
            e(json!({"data_base64": "aGk=", "user": "u", "filename": "a/b.txt"}))
                .contains("no slashes")
        );
        assert!(e(json!({"data_base64": "aGk=", "filename": "a.txt"})).contains("needs user="));
        assert!(e(json!({"user": "u"})).contains("needs a file"));
        assert!(
            e(json!({"data_base64": "aGk=", "user": "u", "filename": "a", "mime_type": "nope"}))
                .contains("not a MIME type")
        );
        let up = prepare_upload(
            body(json!({"data_base64": "aGk=", "user": "u", "filename": "notes"})),
            None,
            None,
        )
        .unwrap();
        assert_eq!(up.mime_type, "application/octet-stream");
        assert_eq!(up.size().unwrap(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("0a1b2c3d-0000-4000-8000-00000000abcd"));
        assert!(!is_uuid("0a1b2c3d-0000-4000-8000-00000000abc"));
        assert!(!is_uuid("zzzzzzzz-0000-4000-8000-00000000abcd"));
    }
}
