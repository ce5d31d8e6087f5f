//! A local emulator of the Tela HTTP API, for the SDK's tests, its examples and users' own
//! tests. It is a real HTTP server on 127.0.0.1: canvases are registered with a template and a
//! reply (text, structured JSON or a callback), requests are validated as Tela does, recorded,
//! and faults (statuses, delays, dropped connections, misbehaving streams) are injected on
//! demand.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use tela_emulator::{CanvasSpec, Emulator, EmulatorConfig};
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! let canvas = emu
//!     .add_canvas(CanvasSpec { template: "Hello {{name}}".into(), ..Default::default() })
//!     .expect("fresh id");
//! println!("POST {}/v2/chat/completions with canvas_id {}", emu.base_url(), canvas.id);
//! # Ok(()) }
//! ```

mod admin;
mod clock;
mod dify;
mod digest;
mod faults;
mod ids;
mod log;
mod response;
mod server;
mod state;
mod tela;
mod template;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use dify::spec::{
    DifyAppInfo, DifyAppSpec, DifyErrorSpec, DifyFeedback, DifyModeration, DifyStreamSpec,
    DifyUpload, JsonStyle, UploadLimits,
};
pub use faults::FaultSpec;
pub use log::RecordedRequest;
use state::{State, lock};
pub use tela::spec::{
    CanvasInfo, CanvasSpec, DEFAULT_MODEL, ErrorStyle, RunSpec, StreamSpec, VariableSpec,
    VersionSpec, WebhookDelivery, WebhookPayload,
};
pub use tela::vault::StoredFile;

/// Answers for a canvas registered with [`Emulator::add_canvas_with_callback`].
///
/// It runs inside `tokio::task::spawn_blocking`, so it may block (e.g. on a Python GIL).
/// Input: the reply request as JSON (`canvas_id`, `version_id`, `environment_name`,
/// `variables`, `messages`, `override`, `prompt` (rendered, messages appended), `headers`
/// (lowercased, authorization masked), `files` (every file reference resolved: `variable`,
/// `used_at`, `source`, `name`, `mime_type`, `size`, `sha256`, `range`, `parser_type`,
/// `text` of text files, `id`, `url`)). `Ok(string)` is text content, `Ok(null)` empty text,
/// any other `Ok` value structured content; `Err(message)` becomes a 500 error with code
/// `CALLBACK_ERROR`.
pub type ReplyFn =
    Arc<dyn Fn(serde_json::Value) -> Result<serde_json::Value, String> + Send + Sync>;

/// Why a canvas could not be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmulatorError {
    #[error("a canvas with id {0:?} is already registered")]
    DuplicateCanvas(String),
    #[error("a version with id {0:?} is already registered")]
    DuplicateVersion(String),
    #[error("an application with id {0:?} is already registered")]
    DuplicateApplication(String),
    #[error("invalid Dify app: {0}")]
    InvalidDifyApp(String),
    #[error("a file with id {0:?} is already in the vault")]
    DuplicateFile(String),
    #[error("invalid id {0:?}: ids must not be blank")]
    InvalidId(String),
    #[error(
        "invalid environment name {0:?}: use lowercase letters and digits in segments joined by single hyphens, at most 64 characters"
    )]
    InvalidEnvironment(String),
    #[error("environment {environment:?} names unknown version {version:?}")]
    UnknownVersion {
        environment: String,
        version: String,
    },
    #[error(
        "environment \"production\" always maps to the promoted version (the top-level template/reply)"
    )]
    ProductionRemapped,
}

/// How to start an [`Emulator`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// Accepted bearer tokens. An empty list accepts any non-empty token.
    pub api_keys: Vec<String>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Let every canvas run without a variable its template uses (see
    /// [`CanvasSpec::allow_missing_variables`]); default false.
    pub allow_missing_variables: bool,
    /// Answer with only the fields the public docs show (protocol.md §8): no `usage`,
    /// `model`, `finish_reason`, `function_call` or `tool_calls` in a synchronous completion,
    /// none of the undocumented chunk and run fields either. Default false for now; it
    /// becomes the default in the next minor version.
    pub strict: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            api_keys: vec!["test-key".to_owned()],
            port: 0,
            allow_missing_variables: false,
            strict: false,
        }
    }
}

/// A running emulator. Dropping it shuts the server down.
pub struct Emulator {
    state: Arc<State>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
}

impl Emulator {
    /// Binds 127.0.0.1:`port` and serves on the current tokio runtime (`tokio::spawn`).
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(
            config.api_keys,
            config.allow_missing_variables,
            config.strict,
        ));
        let (shutdown, stopped) = watch::channel(false);
        tokio::spawn(server::serve(listener, state.clone(), stopped));
        Ok(Emulator {
            state,
            addr,
            shutdown,
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Registers a canvas whose replies come from its spec.
    pub fn add_canvas(&self, spec: CanvasSpec) -> Result<CanvasInfo, EmulatorError> {
        lock(&self.state.registry).add(spec, None)
    }

    /// Registers a canvas whose replies (for every version) come from `reply`; the spec's
    /// `reply` fields are then ignored.
    pub fn add_canvas_with_callback(
        &self,
        spec: CanvasSpec,
        reply: ReplyFn,
    ) -> Result<CanvasInfo, EmulatorError> {
        lock(&self.state.registry).add(spec, Some(reply))
    }

    /// Registers a Dify app, served under `/v1` with its own API keys; answers come from its
    /// spec.
    pub fn add_dify_app(&self, spec: DifyAppSpec) -> Result<DifyAppInfo, EmulatorError> {
        lock(&self.state.dify).add(spec, None)
    }

    /// Registers a Dify app whose answers come from `answer` (same contract as a canvas
    /// callback; its input: `app_id`, `mode`, `inputs`, `query`, `user`, `files`,
    /// `conversation_id`, `prompt`, `headers`). A non-string result is sent as its JSON text.
    pub fn add_dify_app_with_callback(
        &self,
        spec: DifyAppSpec,
        answer: ReplyFn,
    ) -> Result<DifyAppInfo, EmulatorError> {
        lock(&self.state.dify).add(spec, Some(answer))
    }

    /// Every file uploaded to a Dify app so far, oldest first.
    pub fn dify_uploads(&self) -> Vec<DifyUpload> {
        lock(&self.state.dify).uploads.clone()
    }

    /// The feedback currently held for Dify messages.
    pub fn dify_feedbacks(&self) -> Vec<DifyFeedback> {
        lock(&self.state.dify).feedbacks()
    }

    /// Arms a fault; faults are checked in the order they were added.
    pub fn add_fault(&self, fault: FaultSpec) {
        lock(&self.state.faults).add(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// Every non-admin request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.log).all()
    }

    pub fn clear_requests(&self) {
        lock(&self.state.log).clear();
    }

    /// Puts a file in the vault as if it had been uploaded, so calls can reference
    /// `vault://<id>` without uploading first (`id`: a random UUID when `None`).
    pub fn add_file(
        &self,
        content: &[u8],
        id: Option<String>,
        name: Option<String>,
        mime_type: Option<String>,
    ) -> Result<StoredFile, EmulatorError> {
        if id
            .as_deref()
            .is_some_and(|i| i.trim().is_empty() || i.contains('/'))
        {
            return Err(EmulatorError::InvalidId(id.unwrap_or_default()));
        }
        let wanted = id.clone();
        lock(&self.state.files)
            .preload(id, name, mime_type, content)
            .ok_or_else(|| EmulatorError::DuplicateFile(wanted.unwrap_or_default()))
    }

    /// Every file created through `/v3/files` or `/v2/file`, oldest first, with what its
    /// upload URL received (size, sha256, text of text files).
    pub fn files(&self) -> Vec<StoredFile> {
        lock(&self.state.files).all()
    }

    /// Every webhook delivery attempt so far, oldest first.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.state.deliveries).clone()
    }

    pub fn clear_webhook_deliveries(&self) {
        lock(&self.state.deliveries).clear();
    }

    /// Stops accepting and closes the listener; open connections finish their current
    /// response and close. Idempotent.
    pub fn shutdown(&self) {
        self.shutdown.send_replace(true);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

// The Python binding keeps an Emulator in a pyclass shared across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
};

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .finish()
    }
}
