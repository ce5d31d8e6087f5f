//! Webhook delivery (protocol.md §3.5): a real `POST <webhook_url>` with `x-completion-run-id`
//! and `Content-Type: application/json`. Tela documents no retry policy; the emulator
//! retries a few times (the canvas's `RunSpec`) so receivers can be tested against both a
//! first-try success and a flaky start. Every attempt is recorded for tests to inspect.

use std::time::Duration;

use serde_json::Value;

use super::spec::{RunSpec, WebhookDelivery};
use crate::clock::unix_ms;
use crate::state::{State, lock};

pub(crate) async fn deliver(
    state: &State,
    spec: &RunSpec,
    run_id: &str,
    url: &str,
    payload: Value,
) {
    let body = serde_json::to_vec(&payload).unwrap_or_default();
    let attempts = spec.webhook_attempts.max(1);
    let mut pause = Duration::from_millis(spec.webhook_retry_ms);
    for attempt in 1..=attempts {
        let sent = state
            .webhook_client()
            .post(url)
            .header("x-completion-run-id", run_id)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .timeout(Duration::from_millis(spec.webhook_timeout_ms))
            .body(body.clone())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(resp) => (Some(resp.status().as_u16()), None),
            Err(e) => (None, Some(describe(&e))),
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        lock(&state.deliveries).push(WebhookDelivery {
            run_id: run_id.to_owned(),
            url: url.to_owned(),
            attempt,
            status,
            error,
            delivered,
            payload: payload.clone(),
            time_ms: unix_ms(),
        });
        if delivered || attempt == attempts {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = pause.saturating_mul(2);
    }
}

/// The error with its causes (reqwest's own text alone says little: "error sending request").
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        parts.push(c.to_string());
        cause = c.source();
    }
    parts.join(": ")
}
