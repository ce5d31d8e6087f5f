//! One error type for the whole core. The binding maps each variant to one Python class;
//! the messages are written for the person reading the traceback.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

pub type Result<T> = std::result::Result<T, Error>;

/// Which deadline fired, so the message can say what to raise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutKind {
    Connect,
    Read,
    Total,
    StreamIdle,
    StreamTotal,
}

impl TimeoutKind {
    pub fn name(self) -> &'static str {
        match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Read => "read",
            TimeoutKind::Total => "total",
            TimeoutKind::StreamIdle => "stream_idle",
            TimeoutKind::StreamTotal => "stream_total",
        }
    }
    fn explain(self) -> &'static str {
        match self {
            TimeoutKind::Connect => "no connection could be opened",
            TimeoutKind::Read => "the server sent no response data",
            TimeoutKind::Total => "the call (including retries) did not finish",
            TimeoutKind::StreamIdle => "the stream sent no bytes",
            TimeoutKind::StreamTotal => "the stream did not finish",
        }
    }
}

/// The root cause of a failed connection, as far as the OS and TLS stack tell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionKind {
    Refused,
    Dns,
    Tls,
    Reset,
    /// The peer closed the connection before the response was complete.
    Incomplete,
    Other,
}

impl ConnectionKind {
    pub fn name(self) -> &'static str {
        match self {
            ConnectionKind::Refused => "refused",
            ConnectionKind::Dns => "dns",
            ConnectionKind::Tls => "tls",
            ConnectionKind::Reset => "reset",
            ConnectionKind::Incomplete => "incomplete",
            ConnectionKind::Other => "other",
        }
    }
}

/// A non-2xx HTTP answer.
#[derive(Clone, Debug)]
pub struct StatusError {
    pub status: u16,
    /// `code` from the error envelope (Tela `{"code": ...}`, Dify `{"code": ...}`).
    pub code: Option<String>,
    pub message: String,
    /// The raw response body, for users who need more than code and message.
    pub body: Bytes,
    pub request_id: Option<String>,
    pub method: String,
    pub path: String,
    /// On a 404: the identifiers the call sent (`canvas_id='c1'`), since the answer often
    /// does not say which canvas, run or file it did not find.
    pub sent: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The client cannot be built as asked (missing key, bad URL...).
    #[error("{0}")]
    Config(String),
    /// The call's arguments are wrong; raised before anything is sent.
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{}", status_message(.0))]
    Status(Box<StatusError>),
    #[error("Connection {} ({method} {}{}): {}", conn_phrase(*.kind), redact_urls(.url), attempts_note(*.attempts), redact_urls(.detail))]
    Connection {
        kind: ConnectionKind,
        method: String,
        url: String,
        detail: String,
        attempts: u32,
    },
    #[error("{} timeout after {}: {} ({method} {}). Raise it with timeout=Timeout({}=...) or pass None for no limit.", kind_title(*.kind), fmt_secs(*.after), .kind.explain(), redact_urls(.url), .kind.name())]
    Timeout {
        kind: TimeoutKind,
        after: Duration,
        method: String,
        url: String,
    },
    /// The server reported an error inside a 200 stream.
    #[error("Stream error{}: {message}", .code.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default())]
    Stream {
        message: String,
        code: Option<String>,
        /// The event's raw data.
        data: String,
        status: Option<u16>,
    },
    /// The server answered 2xx with something that is not what the API promises.
    #[error("Unexpected response from {method} {path} (HTTP {status}): {message}")]
    Decode {
        status: u16,
        message: String,
        method: String,
        path: String,
        request_id: Option<String>,
    },
    /// The server redirected to another origin; following would send the body, the headers
    /// and the idempotency key there.
    #[error("The server answered {method} {} with HTTP {status}, a redirect to another origin: {location}. \
             It was not followed, so the request body and headers were not sent there; if you trust that \
             server, point base_url at it.", redact_urls(.url))]
    Redirect {
        status: u16,
        method: String,
        url: String,
        /// The target, with any password masked.
        location: String,
    },
    /// The operation was cancelled (client closed, task cancelled).
    #[error("{0}")]
    Cancelled(String),
    /// Uploading a file failed at `stage`; the request that needed it was not sent.
    #[error("Uploading file {file:?} failed ({stage}): {source}")]
    Upload {
        file: String,
        stage: &'static str,
        source: Box<Error>,
    },
    /// A cassette refused the request: nothing recorded matches it in replay, or the file
    /// cannot be read (`transport/cassette.rs`). Never retried.
    #[error("{0}")]
    Cassette(String),
    /// A cassette with `block_network=True` stopped a request that would leave the machine.
    #[error("{0}")]
    NetworkBlocked(String),
    /// A waited-for run had not finished when the wait's deadline passed.
    #[error("{}", run_timeout_message(.what, .run_id, .status.as_deref(), *.after, .last_error.as_deref()))]
    RunTimeout {
        /// What was waited for: `"run"` or `"task"` (a Workstation task).
        what: &'static str,
        run_id: String,
        /// The last status seen; `None` when no poll succeeded.
        status: Option<String>,
        after: Duration,
        /// Why the last poll failed, when it did (transient errors are retried until the deadline).
        last_error: Option<String>,
    },
}

fn run_timeout_message(
    what: &str,
    run_id: &str,
    status: Option<&str>,
    after: Duration,
    last_error: Option<&str>,
) -> String {
    let seen = match status {
        Some(s) => format!("last status: {s}"),
        None => "no poll succeeded".to_owned(),
    };
    let failed = last_error
        .map(|e| format!("; the last poll failed: {e}"))
        .unwrap_or_default();
    let later = if what == "task" {
        "or wait() on the task again later: it goes on".to_owned()
    } else {
        format!("or check again later with completions.retrieve({run_id:?})")
    };
    let what = if what == "task" { "Task" } else { "Run" };
    format!(
        "{what} {run_id} did not finish within {} ({seen}{failed}). Wait longer with \
         wait(timeout=...) (None waits without limit), {later}.",
        fmt_secs(after)
    )
}

/// `text` with the password of every `scheme://user:password@` masked, so URLs that carry
/// credentials (base_url, proxy) can be shown in messages.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(['/', '?', '#', ' ', ')', '"', '\''])
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":***");
                    }
                    // A lone user name can be a token: mask it whole.
                    None => out.push_str("***"),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

fn conn_phrase(kind: ConnectionKind) -> &'static str {
    match kind {
        ConnectionKind::Refused => "refused: nothing is listening there",
        ConnectionKind::Dns => "failed: the host name could not be resolved",
        ConnectionKind::Tls => "failed: TLS handshake or certificate error",
        ConnectionKind::Reset => "reset by the peer",
        ConnectionKind::Incomplete => "closed before the response was complete",
        ConnectionKind::Other => "error",
    }
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!("; {attempts} attempts")
    } else {
        String::new()
    }
}

fn kind_title(kind: TimeoutKind) -> &'static str {
    match kind {
        TimeoutKind::Connect => "Connect",
        TimeoutKind::Read => "Read",
        TimeoutKind::Total => "Total",
        TimeoutKind::StreamIdle => "Stream idle",
        TimeoutKind::StreamTotal => "Stream total",
    }
}

pub(crate) fn fmt_secs(d: Duration) -> String {
    let text = format!("{:.3}", d.as_secs_f64());
    format!("{}s", text.trim_end_matches('0').trim_end_matches('.'))
}

fn status_message(e: &StatusError) -> String {
    let mut out = format!("HTTP {} from {} {}", e.status, e.method, e.path);
    if let Some(code) = &e.code {
        out.push_str(&format!(" [{code}]"));
    }
    out.push_str(": ");
    out.push_str(&e.message);
    if let Some(id) = &e.request_id {
        out.push_str(&format!(" (request id {id})"));
    }
    if let Some(sent) = &e.sent {
        out.push_str("; sent ");
        out.push_str(sent);
    }
    out
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&status_message(self))
    }
}

impl StatusError {
    /// Builds the error from a non-2xx response, reading `code`/`message` from the Tela or
    /// Dify envelope (also the `{"error": {...}}` wrapper some gateways use).
    pub fn from_response(
        status: u16,
        body: Bytes,
        request_id: Option<String>,
        method: &str,
        path: &str,
    ) -> Self {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
        let envelope = parsed
            .as_ref()
            .map(|v| v.get("error").filter(|e| e.is_object()).unwrap_or(v));
        let field = |k: &str| {
            envelope
                .and_then(|e| e.get(k))
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let code = field("code");
        let message = field("message").unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&body);
            let text = text.trim();
            if text.is_empty() {
                reason_phrase(status).to_string()
            } else {
                text.chars().take(500).collect()
            }
        });
        StatusError {
            status,
            code,
            message,
            body,
            request_id,
            method: method.into(),
            path: path.into(),
            sent: None,
        }
    }
}

/// The arguments that say *what* a call is about, in the order a 404 names them.
const IDENTIFIERS: &[&str] = &[
    "canvas_id",
    "version_id",
    "application_id",
    "environment_name",
    "id",
    "run_id",
    "file_id",
    "task_id",
    "message_id",
    "conversation_id",
    "first_id",
    "last_id",
    "prompt_id",
    "prompt_version_id",
    "prompt_application_id",
    "user",
];

/// The string identifiers among a call's arguments, kept raw and written out
/// (`canvas_id='c1', environment_name='qa'`, as Python writes them) only for a 404: built
/// for every call, the text cost more than the lookup.
#[derive(Debug, Clone)]
pub struct Sent(Vec<(usize, String)>);

impl Sent {
    /// The text a 404 adds; `None` when the call sent no identifier.
    pub fn render(&self) -> Option<String> {
        let mut out = String::new();
        for (i, value) in &self.0 {
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(IDENTIFIERS[*i]);
            out.push('=');
            push_py_repr(&mut out, value);
        }
        (!out.is_empty()).then_some(out)
    }
}

/// What [`Sent`] keeps of `args`: a walk over the few arguments, not a lookup per identifier.
pub fn identifiers_sent(args: &serde_json::Map<String, serde_json::Value>) -> Sent {
    let mut found: Vec<(usize, String)> = args
        .iter()
        .filter_map(|(key, value)| match value {
            serde_json::Value::String(v) => IDENTIFIERS
                .iter()
                .position(|k| k == key)
                .map(|i| (i, v.clone())),
            _ => None,
        })
        .collect();
    found.sort_unstable_by_key(|(i, _)| *i);
    Sent(found)
}

/// `value` as Python's `repr` of a `str` writes it (quotes, and escapes of quotes and controls).
fn push_py_repr(out: &mut String, value: &str) {
    let quote = if value.contains('\'') && !value.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
}

impl Error {
    /// A 404 names what the call sent (`sent`, from [`identifiers_sent`]): "Canvas not
    /// found" then says which canvas. Any other error is returned as it is.
    pub fn naming_sent(mut self, sent: Sent) -> Self {
        if let Error::Status(s) = &mut self
            && s.status == 404
            && s.sent.is_none()
        {
            s.sent = sent.render();
        }
        self
    }
}

fn reason_phrase(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("no error message in the response")
}

/// Classifies a transport error by walking its source chain: OS error kinds first,
/// then the few causes (DNS, TLS) that only describe themselves in text.
pub fn classify_transport(err: &(dyn std::error::Error + 'static)) -> (ConnectionKind, String) {
    let mut kind = None;
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text.clone());
        }
        if kind.is_none() {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind::*;
                kind = match io.kind() {
                    ConnectionRefused => Some(ConnectionKind::Refused),
                    ConnectionReset | ConnectionAborted | BrokenPipe => Some(ConnectionKind::Reset),
                    UnexpectedEof => Some(ConnectionKind::Incomplete),
                    _ => None,
                };
            }
            let lower = text.to_ascii_lowercase();
            if kind.is_none() {
                if lower.contains("dns error") || lower.contains("failed to lookup address") {
                    kind = Some(ConnectionKind::Dns);
                } else if lower.contains("certificate")
                    || lower.contains("tls")
                    || lower.contains("handshake")
                {
                    kind = Some(ConnectionKind::Tls);
                } else if lower.contains("incomplete")
                    || lower.contains("connection closed before message completed")
                {
                    kind = Some(ConnectionKind::Incomplete);
                }
            }
        }
        cur = e.source();
    }
    // The outermost reqwest text repeats the URL; the inner causes are what a reader needs.
    let detail = if parts.len() > 1 {
        parts[1..].join(": ")
    } else {
        parts.join(": ")
    };
    (kind.unwrap_or(ConnectionKind::Other), detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_404_names_the_identifiers_sent_and_other_errors_do_not() {
        let args = serde_json::json!({
            "variables": {"id": "not-me"}, "environment_name": "qa", "canvas_id": "it's",
            "limit": 3, "user": "a\"b'c\n"
        });
        let sent = identifiers_sent(args.as_object().unwrap());
        assert_eq!(
            sent.render().as_deref(),
            Some(r#"canvas_id="it's", environment_name='qa', user='a"b\'c\n'"#)
        );
        assert_eq!(identifiers_sent(&serde_json::Map::new()).render(), None);
        let status = |code| {
            Error::Status(Box::new(StatusError::from_response(
                code,
                Bytes::from_static(br#"{"message":"Canvas not found"}"#),
                Some("req_1".into()),
                "POST",
                "/v2/chat/completions",
            )))
        };
        let text = status(404).naming_sent(sent.clone()).to_string();
        assert!(
            text.ends_with(r#"Canvas not found (request id req_1); sent canvas_id="it's", environment_name='qa', user='a"b\'c\n'"#),
            "{text}"
        );
        assert!(!status(400).naming_sent(sent).to_string().contains("sent"));
    }

    #[test]
    fn envelope_code_and_message_are_read() {
        let e = StatusError::from_response(
            404,
            Bytes::from_static(
                br#"{"name":"Error","code":"NOT_FOUND","message":"Canvas not found","status":404}"#,
            ),
            Some("req_1".into()),
            "POST",
            "/v2/chat/completions",
        );
        assert_eq!(e.code.as_deref(), Some("NOT_FOUND"));
        assert_eq!(e.message, "Canvas not found");
        let text = Error::Status(Box::new(e)).to_string();
        assert!(
            text.contains("HTTP 404") && text.contains("[NOT_FOUND]") && text.contains("req_1"),
            "{text}"
        );
    }

    #[test]
    fn wrapped_and_plain_bodies() {
        let e = StatusError::from_response(
            500,
            Bytes::from_static(br#"{"error":{"message":"boom","code":"X"}}"#),
            None,
            "GET",
            "/x",
        );
        assert_eq!((e.code.as_deref(), e.message.as_str()), (Some("X"), "boom"));
        let e = StatusError::from_response(
            502,
            Bytes::from_static(b"Bad gateway html"),
            None,
            "GET",
            "/x",
        );
        assert_eq!(e.message, "Bad gateway html");
        let e = StatusError::from_response(503, Bytes::new(), None, "GET", "/x");
        assert_eq!(e.message, "Service Unavailable");
    }

    #[test]
    fn timeout_message_names_the_deadline() {
        let e = Error::Timeout {
            kind: TimeoutKind::StreamIdle,
            after: Duration::from_millis(1500),
            method: "POST".into(),
            url: "http://h/x".into(),
        };
        let s = e.to_string();
        assert!(
            s.contains("Stream idle timeout after 1.5s") && s.contains("stream_idle="),
            "{s}"
        );
    }

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            redact_urls("POST http://user:pw@host:1/x (proxy https://a:b:c@p/)"),
            "POST http://user:***@host:1/x (proxy https://a:***@p/)"
        );
        assert_eq!(redact_urls("http://host/a@b"), "http://host/a@b");
        assert_eq!(redact_urls("http://tok@host/"), "http://***@host/");
    }

    #[test]
    fn io_kinds_are_classified() {
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert_eq!(classify_transport(&io).0, ConnectionKind::Refused);
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(classify_transport(&io).0, ConnectionKind::Reset);
    }
}
