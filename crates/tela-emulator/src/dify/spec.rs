//! The serde descriptions of an emulated Dify app and of what the emulator saw.
//!
//! Plain data, like the canvas specs, so the Python binding and the admin API pass them as
//! JSON; every field has a default, so a spec only names what it cares about.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A Dify app to register (protocol.md §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DifyAppSpec {
    /// The app id; a random UUID when absent.
    pub id: Option<String>,
    /// The app's API keys; one `app-...` key is generated when empty.
    pub api_keys: Vec<String>,
    /// `completion` (a text generator, the default), `chat`, `agent-chat` or `advanced-chat`.
    pub mode: String,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    pub author_name: String,
    /// The prompt: `{{var}}` placeholders filled from `inputs` (and `{{query}}` for chat).
    pub template: String,
    /// Absent: the answer echoes the rendered template. A string: the answer, itself
    /// rendered with the inputs.
    pub answer: Option<String>,
    /// `user_input_form` of `GET /parameters`, in Dify's shape
    /// (`[{"text-input": {"variable", "label", "required", "default", "max_length"}}, ...]`);
    /// required variables, select options, string types and lengths are enforced.
    pub user_input_form: Vec<Value>,
    pub opening_statement: String,
    pub suggested_questions: Vec<String>,
    /// Files the app "generates" (`{"type", "url", "filename"?}`): sent as `message_file`
    /// events before the text, and listed in `message_end.files`.
    pub answer_files: Vec<Value>,
    /// Citations, reported in `metadata.retriever_resources`.
    pub retriever_resources: Vec<Value>,
    /// `GET /meta` tool icons.
    pub tool_icons: Map<String, Value>,
    pub stream: DifyStreamSpec,
    /// Output moderation: after the text, a `message_replace` event replaces the whole answer
    /// (and a blocking answer carries the replacement).
    pub moderation: Option<DifyModeration>,
    /// Text-to-speech autoplay: `tts_message` events interleave with the text and a
    /// `tts_message_end` ends the stream. The audio is base64 of `audio:<text delta>`.
    pub tts: bool,
    /// Every answer fails with this error: blocking calls get it as an HTTP error, streams as
    /// an `error` event (after `stream.error_after` text chunks, default 0).
    pub error: Option<DifyErrorSpec>,
    /// At most this many answers run at once; one more gets 429 `too_many_requests`.
    pub max_concurrent: Option<usize>,
    /// `false`: every call gets 403 "The app's API service has been disabled.".
    pub api_enabled: bool,
    /// `false`: `files` sent with a message are ignored, as Dify does for apps without upload.
    pub file_upload_enabled: bool,
    /// Largest accepted upload per kind, in bytes.
    pub upload_limits: UploadLimits,
    /// Extensions (without the dot) refused by `POST /files/upload`.
    pub extension_blacklist: Vec<String>,
}

impl Default for DifyAppSpec {
    fn default() -> Self {
        DifyAppSpec {
            id: None,
            api_keys: Vec::new(),
            mode: "completion".to_owned(),
            name: "Emulated app".to_owned(),
            description: String::new(),
            tags: Vec::new(),
            author_name: "tela-emulator".to_owned(),
            template: String::new(),
            answer: None,
            user_input_form: Vec::new(),
            opening_statement: String::new(),
            suggested_questions: Vec::new(),
            answer_files: Vec::new(),
            retriever_resources: Vec::new(),
            tool_icons: Map::new(),
            stream: DifyStreamSpec::default(),
            moderation: None,
            tts: false,
            error: None,
            max_concurrent: None,
            api_enabled: true,
            file_upload_enabled: true,
            upload_limits: UploadLimits::default(),
            extension_blacklist: Vec::new(),
        }
    }
}

/// How an app's JSON events are written: servers differ by version (protocol.md §6.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonStyle {
    /// orjson (newer servers): `{"event":"message",...}`, raw UTF-8.
    #[default]
    Compact,
    /// Python `json.dumps` (older servers): `{"event": "message", ...}`, non-ASCII as `\uXXXX`.
    Spaced,
}

/// Framing and pacing of an app's streams. "After N chunks" counts text chunks sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DifyStreamSpec {
    /// Characters of answer text per `message` event; 0 sends it in one event.
    pub chunk_size: usize,
    /// Pause before the first text chunk ("thinking").
    pub start_delay_ms: u64,
    /// Pause between text chunks.
    pub delay_ms: u64,
    pub json_style: JsonStyle,
    /// `event: ping` every this many ms from the start of the stream (Dify: 10 000); 0: never.
    pub ping_interval_ms: u64,
    /// Send `event: ping` as the first frame (Chatflow apps do).
    pub ping_first: bool,
    /// Send the app's `error` (or a default `completion_request_error`) after this many
    /// text chunks, then end the stream.
    pub error_after: Option<usize>,
    /// Abort the connection after this many text chunks.
    pub drop_after: Option<usize>,
}

impl Default for DifyStreamSpec {
    fn default() -> Self {
        DifyStreamSpec {
            chunk_size: 4,
            start_delay_ms: 0,
            delay_ms: 0,
            json_style: JsonStyle::Compact,
            ping_interval_ms: 10_000,
            ping_first: false,
            error_after: None,
            drop_after: None,
        }
    }
}

/// The `message_replace` of output moderation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DifyModeration {
    pub answer: String,
    pub reason: String,
}

impl Default for DifyModeration {
    fn default() -> Self {
        DifyModeration {
            answer: "Sorry, I can't answer that.".to_owned(),
            reason: "output moderation".to_owned(),
        }
    }
}

/// An app failure, in Dify's error shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DifyErrorSpec {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl Default for DifyErrorSpec {
    fn default() -> Self {
        DifyErrorSpec {
            status: 400,
            code: "completion_request_error".to_owned(),
            message: "[openai] Rate Limit Error".to_owned(),
        }
    }
}

/// Upload size limits in bytes (Dify Cloud defaults: files 15 MB, images 10 MB, audio
/// 50 MB, video 100 MB).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadLimits {
    pub file: u64,
    pub image: u64,
    pub audio: u64,
    pub video: u64,
}

const MB: u64 = 1024 * 1024;

impl Default for UploadLimits {
    fn default() -> Self {
        UploadLimits {
            file: 15 * MB,
            image: 10 * MB,
            audio: 50 * MB,
            video: 100 * MB,
        }
    }
}

impl UploadLimits {
    /// The limit in whole MB, as `system_parameters` reports it.
    pub(crate) fn mb(bytes: u64) -> u64 {
        bytes.div_ceil(MB)
    }
}

/// What registering a Dify app produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DifyAppInfo {
    pub id: String,
    /// The first API key (the generated one when the spec named none).
    pub api_key: String,
    pub api_keys: Vec<String>,
    pub mode: String,
    pub name: String,
}

/// A file the emulator received on `POST /files/upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DifyUpload {
    pub id: String,
    pub app_id: String,
    pub user: String,
    pub name: String,
    pub size: u64,
    pub extension: String,
    pub mime_type: String,
    /// Hex SHA-256 of the bytes received.
    pub sha256: String,
    pub created_at: u64,
}

/// Feedback the emulator holds for a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DifyFeedback {
    pub message_id: String,
    pub app_id: String,
    pub user: String,
    pub rating: String,
    pub content: Option<String>,
}
