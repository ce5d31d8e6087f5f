//! The queue of injected faults, and what a fault is.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A fault to inject into matching non-admin requests, checked in insertion order and used
/// up after `times` matches. It acts after the request is recorded and before auth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultSpec {
    /// Path prefix to match; `None` matches every non-admin path.
    pub path: Option<String>,
    /// HTTP method to match (case-insensitive); `None` matches any.
    pub method: Option<String>,
    /// Answer with this status instead of handling the request. Without it the fault only
    /// delays (and adds `headers`/retry hints to the normal response).
    pub status: Option<u16>,
    /// How many matching requests this fault affects.
    pub times: u32,
    /// `Retry-After` header value (seconds or an HTTP date).
    pub retry_after: Option<String>,
    /// `retry-after-ms` header value.
    pub retry_after_ms: Option<u64>,
    /// Response body; default: the Tela error envelope for `status`. A JSON string is sent
    /// verbatim as `text/plain`, to imitate a proxy's non-JSON error page.
    pub body: Option<Value>,
    /// Extra response headers.
    pub headers: BTreeMap<String, String>,
    /// Wait this long before acting.
    pub delay_ms: u64,
    /// Close the TCP connection without any HTTP response (after reading the request).
    pub drop: bool,
}

impl Default for FaultSpec {
    fn default() -> Self {
        FaultSpec {
            path: None,
            method: None,
            status: None,
            times: 1,
            retry_after: None,
            retry_after_ms: None,
            body: None,
            headers: BTreeMap::new(),
            delay_ms: 0,
            drop: false,
        }
    }
}

struct Armed {
    spec: FaultSpec,
    remaining: u32,
}

#[derive(Default)]
pub(crate) struct Faults {
    armed: Vec<Armed>,
}

impl Faults {
    pub(crate) fn add(&mut self, spec: FaultSpec) {
        let remaining = spec.times;
        if remaining > 0 {
            self.armed.push(Armed { spec, remaining });
        }
    }

    pub(crate) fn clear(&mut self) {
        self.armed.clear();
    }

    /// The first armed fault matching the request, used up by one.
    pub(crate) fn take(&mut self, method: &str, path: &str) -> Option<FaultSpec> {
        let index = self.armed.iter().position(|a| {
            a.spec.path.as_deref().is_none_or(|p| path.starts_with(p))
                && a.spec
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        })?;
        let armed = &mut self.armed[index];
        armed.remaining -= 1;
        if armed.remaining == 0 {
            Some(self.armed.remove(index).spec)
        } else {
            Some(armed.spec.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insertion_order_and_times() {
        let mut f = Faults::default();
        f.add(FaultSpec {
            path: Some("/v2".into()),
            method: Some("post".into()),
            status: Some(503),
            times: 2,
            ..Default::default()
        });
        f.add(FaultSpec {
            status: Some(500),
            ..Default::default()
        });
        assert_eq!(f.take("GET", "/v2/x").unwrap().status, Some(500));
        assert_eq!(f.take("POST", "/v2/x").unwrap().status, Some(503));
        assert_eq!(f.take("POST", "/v2/x").unwrap().status, Some(503));
        assert!(f.take("POST", "/v2/x").is_none());
    }
}
