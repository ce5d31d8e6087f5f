//! What the transport tells a face's logger about each attempt and retry.
//!
//! The core decides what a line says, so every face logs the same safe thing: method and
//! path only (no query string, which can carry secrets), status or failure kind, time,
//! request id and attempt number; never the key, a header, a body, a variable or file bytes.
//! The face decides where lines go (Python: the `tela_sdk` logger) and which level it wants,
//! so a disabled logger costs one `Option` check per attempt.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;

/// How much a sink wants: `Debug` includes `Info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// One line per retry.
    Info,
    /// Also one line per attempt.
    Debug,
}

/// Receives log lines. Called on whatever thread polls the call's future (a tokio worker for
/// async calls), so an implementation that must run somewhere else buffers.
pub trait LogSink: Send + Sync {
    /// The most verbose level wanted; lines beyond it are not even formatted.
    fn level(&self) -> Level;
    fn emit(&self, level: Level, line: String);
}

/// A shared sink, carried by `CallOptions`.
#[derive(Clone)]
pub struct Logger(pub Arc<dyn LogSink>);

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Logger({:?})", self.0.level())
    }
}

impl Logger {
    pub fn enabled(&self, level: Level) -> bool {
        level <= self.0.level()
    }

    /// `POST /v2/chat/completions -> 200 in 12 ms (request_id=req_1, attempt 1)`
    pub(crate) fn attempt(
        &self,
        method: &str,
        path: &str,
        outcome: &str,
        elapsed: Duration,
        request_id: Option<&str>,
        attempt: u32,
    ) {
        if !self.enabled(Level::Debug) {
            return;
        }
        let line = format!(
            "{method} {} -> {outcome} in {} ms (request_id={}, attempt {attempt})",
            path_only(path),
            elapsed.as_millis(),
            request_id.unwrap_or("-"),
        );
        self.0.emit(Level::Debug, line);
    }

    /// `retrying POST /v2/chat/completions in 0.50 s (attempt 2 of 3): HTTP 429`
    pub(crate) fn retry(
        &self,
        method: &str,
        path: &str,
        wait: Duration,
        next_attempt: u32,
        max_attempts: u32,
        reason: &str,
    ) {
        if !self.enabled(Level::Info) {
            return;
        }
        let line = format!(
            "retrying {method} {} in {:.2} s (attempt {next_attempt} of {max_attempts}): {reason}",
            path_only(path),
            wait.as_secs_f64(),
        );
        self.0.emit(Level::Info, line);
    }
}

fn path_only(path: &str) -> &str {
    path.split(['?', '#']).next().unwrap_or(path)
}

/// A short, secret-free name for why an attempt failed (the error's own message may quote
/// the URL, which can carry credentials).
pub(crate) fn reason(err: &Error) -> String {
    match err {
        Error::Status(s) => format!("HTTP {}", s.status),
        Error::Timeout { kind, .. } => format!("{} timeout", kind.name()),
        Error::Connection { kind, .. } => format!("connection failed ({})", kind.name()),
        _ => "error".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Collect(Level, Mutex<Vec<(Level, String)>>);
    impl LogSink for Collect {
        fn level(&self) -> Level {
            self.0
        }
        fn emit(&self, level: Level, line: String) {
            self.1.lock().unwrap().push((level, line));
        }
    }

    #[test]
    fn lines_name_the_path_only_and_respect_the_level() {
        let sink = Arc::new(Collect(Level::Info, Mutex::new(Vec::new())));
        let log = Logger(sink.clone());
        log.attempt(
            "GET",
            "/v2/x?key=secret",
            "200",
            Duration::from_millis(5),
            None,
            1,
        );
        log.retry(
            "GET",
            "/v2/x?key=secret",
            Duration::from_millis(500),
            2,
            3,
            "HTTP 429",
        );
        let lines = sink.1.lock().unwrap().clone();
        assert_eq!(
            lines,
            vec![(
                Level::Info,
                "retrying GET /v2/x in 0.50 s (attempt 2 of 3): HTTP 429".to_string()
            )]
        );

        let sink = Arc::new(Collect(Level::Debug, Mutex::new(Vec::new())));
        Logger(sink.clone()).attempt(
            "POST",
            "/v2/chat/completions",
            "200",
            Duration::from_millis(12),
            Some("req_1"),
            1,
        );
        assert_eq!(
            sink.1.lock().unwrap()[0].1,
            "POST /v2/chat/completions -> 200 in 12 ms (request_id=req_1, attempt 1)"
        );
    }
}
