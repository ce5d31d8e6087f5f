//! The serde descriptions of what the emulator serves and what it saw.
//!
//! They are plain data so the Python binding and the admin API can pass them as JSON; every
//! field has a default, so a spec only names what it cares about.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The model reported when a canvas names none.
pub const DEFAULT_MODEL: &str = "gpt-4o";

/// A canvas to register. The top-level `template`/`reply` form the version promoted to
/// production; `versions` are extra versions reachable by `version_id` or an environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CanvasSpec {
    /// The canvas id; a random UUID when absent.
    pub id: Option<String>,
    /// The prompt, with `{{name}}` placeholders filled from the request's variables.
    pub template: String,
    /// Absent: the reply echoes the rendered template. A string: text content, itself
    /// rendered. Anything else (object, array, number): structured content.
    pub reply: Option<Value>,
    /// Non-promoted versions.
    pub versions: Vec<VersionSpec>,
    /// Environment name -> version id (of `versions` or the promoted one; the value
    /// `"production"` also names the promoted version, whose id is generated). The
    /// `production` environment always maps to the promoted version.
    pub environments: BTreeMap<String, String>,
    /// The model named in responses; `None` means [`DEFAULT_MODEL`].
    pub model: Option<String>,
    /// How `stream: true` responses of this canvas are framed and paced.
    pub stream: StreamSpec,
    /// A Workstation application id that runs this canvas's promoted version
    /// (`application_id` requests); `None`: the canvas is not an application.
    pub application_id: Option<String>,
    /// How async runs of this canvas progress and how their webhooks are delivered.
    pub run: RunSpec,
    /// Run even when the request lacks a variable the template (or a text reply) uses,
    /// leaving `{{name}}` in the text. Default false: such a run answers 400
    /// `MISSING_VARIABLES` naming them (an emulator check, so typos fail in tests).
    pub allow_missing_variables: bool,
    /// The canvas's title (`GET /prompt`); `None`: `"Canvas <id>"`.
    pub title: Option<String>,
    /// The project the canvas belongs to (`projectId`, the `GET /prompt?projectId=` filter).
    pub project_id: Option<String>,
    /// The promoted version's variables, as [`VariableSpec`]s; `None`: one required `text`
    /// variable per `{{name}}` of the template.
    pub variables: Option<Vec<VariableSpec>>,
    /// The promoted version's structured output (`configuration.structuredOutput.schema`,
    /// enabled); `None`: structured output off.
    pub output_schema: Option<Value>,
}

/// One variable of a canvas version, served camelCase (protocol.md §9.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VariableSpec {
    pub name: String,
    /// `"text"`, `"file"`, or any other string (served as given).
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub description: Option<String>,
    /// `processingOptions.allowMultimodal`; `None`: not sent.
    pub allow_multimodal: Option<bool>,
}

impl Default for VariableSpec {
    fn default() -> Self {
        VariableSpec {
            name: String::new(),
            kind: "text".to_owned(),
            required: true,
            description: None,
            allow_multimodal: None,
        }
    }
}

impl Default for CanvasSpec {
    fn default() -> Self {
        CanvasSpec {
            id: None,
            template: String::new(),
            reply: None,
            versions: Vec::new(),
            environments: BTreeMap::new(),
            model: Some(DEFAULT_MODEL.to_owned()),
            stream: StreamSpec::default(),
            application_id: None,
            run: RunSpec::default(),
            allow_missing_variables: false,
            title: None,
            project_id: None,
            variables: None,
            output_schema: None,
        }
    }
}

/// The body POSTed to a run's `webhook_url` (protocol.md §3.5 describes both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookPayload {
    /// The run object, snake_case, as `GET /v2/chat/completions/{id}` answers it (newer docs).
    #[default]
    Run,
    /// The legacy raw `chat.completion` with `usage` (older guide); its `id` is the run id.
    /// A failed run is still posted as the run object, since there is no completion.
    Completion,
}

/// The life of an async run: `created` for `created_ms`, `running` for `running_ms`, then
/// `succeeded` (or `failed` when `fail` is set). Application runs start as `running`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunSpec {
    pub created_ms: u64,
    pub running_ms: u64,
    /// End every run of this canvas as `failed`, with `fail_message` as its error.
    pub fail: bool,
    pub fail_message: String,
    pub webhook: WebhookPayload,
    /// Delivery attempts per run (at least 1); a non-2xx answer or no answer is retried.
    pub webhook_attempts: u32,
    /// Pause before the second attempt, doubling after each further failure.
    pub webhook_retry_ms: u64,
    /// How long one attempt may take.
    pub webhook_timeout_ms: u64,
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec {
            created_ms: 50,
            running_ms: 100,
            fail: false,
            fail_message: "The run failed (emulated failure)".to_owned(),
            webhook: WebhookPayload::Run,
            webhook_attempts: 3,
            webhook_retry_ms: 100,
            webhook_timeout_ms: 5000,
        }
    }
}

/// One attempt to deliver a run's webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub run_id: String,
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The receiver's status; `None` when it could not be reached or did not answer in time.
    pub status: Option<u16>,
    /// Why the attempt failed without a status.
    pub error: Option<String>,
    /// A 2xx status was received: the last attempt for this run.
    pub delivered: bool,
    /// The body sent.
    pub payload: Value,
    /// When the attempt was made, in Unix milliseconds.
    pub time_ms: u64,
}

/// One non-promoted version of a canvas; same reply rules as [`CanvasSpec`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VersionSpec {
    /// The version id; a random UUID when absent.
    pub id: Option<String>,
    pub template: String,
    pub reply: Option<Value>,
    /// As [`CanvasSpec::title`], for this version (`None`: "Version N").
    pub title: Option<String>,
    /// As [`CanvasSpec::variables`], for this version.
    pub variables: Option<Vec<VariableSpec>>,
    /// As [`CanvasSpec::output_schema`], for this version.
    pub output_schema: Option<Value>,
}

/// How a mid-stream error is framed; the SDKs recognise both (protocol.md §3.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorStyle {
    /// `data: {"error":{...}}` in an unnamed event.
    #[default]
    Data,
    /// `event: error` with `data: {"error":{...},"message":...}`.
    Event,
}

/// Framing and pacing of a canvas's SSE responses, including the misbehaviours a client must
/// survive. "After N chunks" counts data chunks already sent (content chunks, then the final
/// one), so `Some(0)` acts before the first chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StreamSpec {
    /// Characters of reply text per chunk; 0 sends the whole text in one chunk.
    pub chunk_size: usize,
    /// Pause between chunks.
    pub delay_ms: u64,
    /// Send `data: [DONE]` after the final chunk.
    pub done: bool,
    /// End lines with CRLF instead of LF.
    pub crlf: bool,
    /// Write each frame in 2-3 pieces split at odd byte offsets, pausing briefly between
    /// them, so a client sees frames (and UTF-8 sequences) cut across reads.
    pub split_frames: bool,
    /// Interleave `: keep-alive` comments and data-less `event: ping` frames.
    pub comments: bool,
    /// After this many chunks, go silent for `stall_ms` once, then continue.
    pub stall_after: Option<usize>,
    pub stall_ms: u64,
    /// After this many chunks, abort the connection (an incomplete chunked body).
    pub drop_after: Option<usize>,
    /// After this many chunks, send an error event and end the body cleanly.
    pub error_after: Option<usize>,
    pub error_style: ErrorStyle,
    /// Intermediate chunks carry the accumulated `message.content` only while it is at most
    /// this many bytes (then `null`); the final chunk always carries all of it. Without this
    /// cap a long stream would be quadratic: 100 000 chunks of a 400 000-char reply would
    /// repeat ~20 GB of accumulated text.
    pub accumulate_limit: usize,
}

impl Default for StreamSpec {
    fn default() -> Self {
        StreamSpec {
            chunk_size: 4,
            delay_ms: 0,
            done: true,
            crlf: false,
            split_frames: false,
            comments: false,
            stall_after: None,
            stall_ms: 0,
            drop_after: None,
            error_after: None,
            error_style: ErrorStyle::Data,
            accumulate_limit: 8192,
        }
    }
}

/// What registering a canvas produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CanvasInfo {
    pub id: String,
    pub production_version_id: String,
    /// Every version id of the canvas: the promoted one first, then `versions` in order.
    pub version_ids: Vec<String>,
    /// The spec's `application_id`.
    #[serde(default)]
    pub application_id: Option<String>,
}
