//! The log of received requests, with secrets masked before they are stored.

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One request the emulator received (admin requests excepted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The raw query string without `?`; empty when there is none.
    pub query: String,
    /// Lowercased names; `authorization` is masked as `Bearer ***` + the token's last 4 chars.
    pub headers: BTreeMap<String, String>,
    /// The body parsed as JSON, or `null` when empty or not JSON.
    pub body: Value,
    pub body_len: usize,
    /// The status answered; 0 when the connection was dropped without a response.
    pub status: u16,
    /// When the request arrived, in Unix milliseconds.
    pub time_ms: u64,
}

/// Which log entry a request is, passed to handlers as a request extension.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LogHandle(pub u64);

#[derive(Default)]
pub(crate) struct RequestLog {
    next: u64,
    entries: Vec<(u64, RecordedRequest)>,
}

impl RequestLog {
    /// Appends a request; the returned handle sets its status once it is known.
    pub(crate) fn record(&mut self, request: RecordedRequest) -> u64 {
        let handle = self.next;
        self.next += 1;
        self.entries.push((handle, request));
        handle
    }

    pub(crate) fn set_status(&mut self, handle: u64, status: u16) {
        // Recent entries are the likely ones; a cleared log simply loses the update.
        if let Some((_, r)) = self.entries.iter_mut().rev().find(|(h, _)| *h == handle) {
            r.status = status;
        }
    }

    /// Replaces the recorded body of a request whose handler read it itself (Dify uploads):
    /// a summary instead of the raw multipart bytes.
    pub(crate) fn set_body(&mut self, handle: LogHandle, body: serde_json::Value) {
        if let Some((_, r)) = self.entries.iter_mut().rev().find(|(h, _)| *h == handle.0) {
            if let Some(size) = body
                .pointer("/file/size")
                .and_then(serde_json::Value::as_u64)
            {
                r.body_len = usize::try_from(size).unwrap_or(usize::MAX);
            }
            r.body = body;
        }
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.entries.iter().map(|(_, r)| r.clone()).collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Headers with lowercased names (repeated ones joined by `, `) and credentials masked.
pub(crate) fn masked_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        let raw = String::from_utf8_lossy(value.as_bytes());
        let value = match name {
            "authorization" | "proxy-authorization" => mask_authorization(&raw),
            _ => raw.into_owned(),
        };
        out.entry(name.to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    out
}

/// `Bearer ***` + the token's last 4 characters; short tokens (under 8 characters) and
/// other schemes are masked entirely, so a log line never reveals a usable secret.
pub(crate) fn mask_authorization(value: &str) -> String {
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return "***".to_owned();
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return format!("{scheme} ***");
    }
    let token = token.trim();
    let chars: Vec<char> = token.chars().collect();
    if chars.len() < 8 {
        return "Bearer ***".to_owned();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("Bearer ***{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_authorization("Bearer test-key"), "Bearer ***-key");
        assert_eq!(mask_authorization("bearer sk-1234567890"), "Bearer ***7890");
        assert_eq!(mask_authorization("Bearer abc"), "Bearer ***");
        assert_eq!(mask_authorization("Basic dXNlcjpwYXNz"), "Basic ***");
        assert_eq!(mask_authorization("secret"), "***");
    }
}
