//! Waiting for a run (protocol.md §4.1): an [`EventStream`] fed by a poll loop.
//!
//! Each status change of the run is one event (`{"run": {...}, "request_id": ...}`), so a
//! face can report progress and ends up with the final run, and closing the stream (Ctrl-C,
//! task cancellation) stops the polling. The polling policy lives here: intervals that grow
//! with jitter, the deadline, and which failures are worth another poll.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use super::{get_run, only_keys, run_id, run_path, show};
use crate::client::Client;
use crate::error::{Error, Result, identifiers_sent};
use crate::events::{BatchSender, EventStream};
use crate::json::kind;
use crate::retry::transient_status;
use crate::transport::CallOptions;

/// How long a wait lasts when the caller names no deadline: long canvases take minutes.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(600);
/// The first pause between polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Pauses grow up to this (or up to the caller's own interval, if that is longer).
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(10);
const POLL_GROWTH: f64 = 1.5;
/// Each pause is its step times a random factor in [1 - JITTER, 1 + JITTER], so many
/// waiters started together do not poll in lockstep.
const POLL_JITTER: f64 = 0.2;
/// A poll that starts near the deadline still gets this long, so the last look at the run
/// is not cut off at once.
const MIN_POLL_BUDGET: Duration = Duration::from_secs(1);
/// The longest `poll_interval` accepted, in seconds.
const POLL_INTERVAL_LIMIT: f64 = 3600.0;

/// Statuses after which a run never changes (protocol.md §4.1: `created` -> `running` ->
/// `succeeded` | `failed`). Unknown statuses count as unfinished.
pub fn is_final(status: &str) -> bool {
    matches!(status, "succeeded" | "failed")
}

/// When to poll: `first`, then 1.5x longer each time up to `max`, each pause jittered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PollPolicy {
    pub first: Duration,
    pub max: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy::new(DEFAULT_POLL_INTERVAL)
    }
}

impl PollPolicy {
    pub fn new(first: Duration) -> Self {
        PollPolicy {
            first,
            max: first.max(MAX_POLL_INTERVAL),
        }
    }

    /// The pause after `polls_done` polls.
    pub fn delay(&self, polls_done: u32) -> Duration {
        self.delay_with(polls_done, fastrand::f64())
    }

    /// `unit` in [0, 1) picks the jitter.
    fn delay_with(&self, polls_done: u32, unit: f64) -> Duration {
        let exponent = i32::try_from(polls_done.min(64)).unwrap_or(64);
        let step =
            (self.first.as_secs_f64() * POLL_GROWTH.powi(exponent)).min(self.max.as_secs_f64());
        Duration::from_secs_f64(step * (1.0 - POLL_JITTER + 2.0 * POLL_JITTER * unit))
    }
}

/// What `runs.wait` was asked.
#[derive(Clone, Debug, PartialEq)]
pub struct WaitArgs {
    pub run_id: String,
    /// `None`: wait without limit.
    pub timeout: Option<Duration>,
    pub policy: PollPolicy,
    /// The status the caller already holds (a run in hand): it is not reported again, and
    /// the first poll waits one interval since the run was just seen.
    pub last_status: Option<String>,
}

impl WaitArgs {
    /// Reads `{"id", "timeout"?, "poll_interval"?, "last_status"?}`. A missing `timeout` is
    /// [`DEFAULT_WAIT_TIMEOUT`]; `null` means no limit.
    pub fn parse(body: &Map<String, Value>) -> Result<Self> {
        only_keys(body, &["id", "timeout", "poll_interval", "last_status"])?;
        let run_id = run_id(body)?;
        let timeout = match body.get("timeout") {
            None => Some(DEFAULT_WAIT_TIMEOUT),
            Some(Value::Null) => None,
            Some(v) => Some(seconds("timeout", v, true, None)?),
        };
        let policy = match body.get("poll_interval") {
            None | Some(Value::Null) => PollPolicy::default(),
            Some(v) => PollPolicy::new(seconds(
                "poll_interval",
                v,
                false,
                Some(POLL_INTERVAL_LIMIT),
            )?),
        };
        let last_status = match body.get("last_status") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                return Err(Error::InvalidRequest(format!(
                    "last_status must be a string, got {}.",
                    kind(v)
                )));
            }
        };
        Ok(WaitArgs {
            run_id,
            timeout,
            policy,
            last_status,
        })
    }
}

/// A number of seconds, more than zero (or also zero, with `zero_ok`), up to `limit` if any.
fn seconds(name: &str, v: &Value, zero_ok: bool, limit: Option<f64>) -> Result<Duration> {
    let in_range = |s: f64| (s > 0.0 || zero_ok && s == 0.0) && limit.is_none_or(|l| s <= l);
    match v.as_f64().filter(|s| s.is_finite() && in_range(*s)) {
        Some(s) => Duration::try_from_secs_f64(s)
            .map_err(|_| Error::InvalidRequest(format!("{name}={s} is too large."))),
        None => {
            let (what, none) = if zero_ok {
                ("zero or more", ", or None for no limit")
            } else {
                ("more than zero", "")
            };
            let range = limit.map(|l| format!(" up to {l}")).unwrap_or_default();
            Err(Error::InvalidRequest(format!(
                "{name} must be a number of seconds, {what}{range}{none}; got {}.",
                show(v)
            )))
        }
    }
}

/// What a wait polls: a run (`GET /v2/chat/completions/{id}`, final once `succeeded` or
/// `failed`) or another object read the same way (a Workstation task).
/// The policy (intervals, deadline, transient failures, cancellation) is the same for all.
#[derive(Clone, Copy, Debug)]
pub struct Polled {
    /// The path that reads the object with this id.
    pub path: fn(&str) -> String,
    /// Whether a status is one the object never leaves.
    pub is_final: fn(&str) -> bool,
    /// The key of the polled object in each event.
    pub key: &'static str,
}

impl Polled {
    pub const RUN: Polled = Polled {
        path: run_path,
        is_final,
        key: "run",
    };
}

/// Polls the run until it is final, as a stream of its status changes. Errors are events:
/// a non-transient failure (404, 401...) ends the stream at once; at the deadline the
/// stream ends with [`Error::RunTimeout`].
pub async fn wait(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<EventStream> {
    wait_for(client, body, opts, Polled::RUN).await
}

/// [`wait`] for a run or a task.
pub async fn wait_for(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
    polled: Polled,
) -> Result<EventStream> {
    let args = WaitArgs::parse(&body)?;
    let sent = identifiers_sent(&body);
    let client = client.clone();
    let opts = opts.clone();
    Ok(EventStream::from_task(None, move |tx| async move {
        if let Err(e) = poll_until_final(&client, &args, &opts, &tx, polled).await {
            let _ = tx.send(Err(e.naming_sent(sent))).await;
        }
    }))
}

async fn poll_until_final(
    client: &Client,
    args: &WaitArgs,
    opts: &CallOptions,
    tx: &BatchSender,
    polled: Polled,
) -> Result<()> {
    let path = (polled.path)(&args.run_id);
    let is_final = polled.is_final;
    let deadline = args.timeout.map(|t| Instant::now() + t);
    let mut status = args.last_status.clone();
    if status.as_deref().is_some_and(is_final) {
        return Ok(());
    }
    let mut polls_done = 0u32;
    if status.is_some() {
        pause(args.policy.delay(polls_done), deadline).await;
        polls_done += 1;
    }
    loop {
        let failed = match get_run(client, &path, &poll_options(client, opts, deadline)).await {
            Ok((now, resp)) => {
                if status.as_deref() != Some(now.as_str()) {
                    // The body is the checked run's JSON, so it goes into the event as it is;
                    // the status and headers are the poll's, for `with_raw_response`.
                    let headers: Map<String, Value> = resp
                        .joined_headers()
                        .into_iter()
                        .map(|(name, value)| (name, Value::String(value)))
                        .collect();
                    let event = format!(
                        r#"{{"{}":{},"request_id":{},"status":{},"headers":{}}}"#,
                        polled.key,
                        String::from_utf8_lossy(&resp.body),
                        Value::from(resp.request_id),
                        resp.status,
                        Value::Object(headers)
                    );
                    if tx.send(Ok(vec![event].into())).await.is_err() {
                        return Ok(()); // nobody is waiting any more
                    }
                }
                let done = is_final(&now);
                status = Some(now);
                if done {
                    return Ok(());
                }
                None
            }
            Err(e) if is_transient(&e) => {
                log::debug!(
                    "polling {} {} failed, will poll again: {e}",
                    polled.key,
                    args.run_id
                );
                Some(e)
            }
            Err(e) => return Err(e),
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::RunTimeout {
                what: polled.key,
                run_id: args.run_id.clone(),
                status,
                after: args.timeout.unwrap_or_default(),
                last_error: failed.map(|e| e.to_string()),
            });
        }
        pause(args.policy.delay(polls_done), deadline).await;
        polls_done = polls_done.saturating_add(1);
    }
}

/// Sleeps `d`, but not past the deadline.
async fn pause(d: Duration, deadline: Option<Instant>) {
    let until = Instant::now() + d;
    tokio::time::sleep_until(deadline.map_or(until, |dl| until.min(dl))).await;
}

/// The call options of one poll: its total time is bounded by what is left of the wait.
fn poll_options(client: &Client, opts: &CallOptions, deadline: Option<Instant>) -> CallOptions {
    let Some(deadline) = deadline else {
        return opts.clone();
    };
    let budget = deadline
        .saturating_duration_since(Instant::now())
        .max(MIN_POLL_BUDGET);
    let mut timeouts = opts.timeouts.unwrap_or(client.config.timeouts);
    timeouts.total = Some(timeouts.total.map_or(budget, |t| t.min(budget)));
    CallOptions {
        timeouts: Some(timeouts),
        ..opts.clone()
    }
}

/// Failures a later poll may not see: the transport already retried them, but a wait has
/// time to spare until its deadline.
fn is_transient(e: &Error) -> bool {
    match e {
        Error::Connection { .. } | Error::Timeout { .. } => true,
        Error::Status(s) => transient_status(s.status),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn poll_delays_grow_are_capped_and_jittered() {
        let p = PollPolicy::new(Duration::from_millis(100));
        assert_eq!(p.max, MAX_POLL_INTERVAL);
        // Mid jitter is the step itself.
        assert_eq!(p.delay_with(0, 0.5), Duration::from_millis(100));
        assert_eq!(p.delay_with(1, 0.5), Duration::from_millis(150));
        assert_eq!(p.delay_with(2, 0.5), Duration::from_millis(225));
        assert_eq!(p.delay_with(60, 0.5), MAX_POLL_INTERVAL);
        assert_eq!(p.delay_with(u32::MAX, 0.5), MAX_POLL_INTERVAL);
        // Jitter stays within +-20% of the step, and varies.
        assert_eq!(p.delay_with(0, 0.0), Duration::from_millis(80));
        assert!(p.delay_with(0, 0.999_999) < Duration::from_millis(120));
        let seen: std::collections::HashSet<_> = (0..50).map(|_| p.delay(3)).collect();
        assert!(seen.len() > 1);
        for d in seen {
            let step = 0.1 * 1.5f64.powi(3);
            assert!(d.as_secs_f64() >= step * 0.8 - 1e-9 && d.as_secs_f64() <= step * 1.2 + 1e-9);
        }
        // A caller's interval longer than the cap is the cap.
        let slow = PollPolicy::new(Duration::from_secs(30));
        assert_eq!(slow.delay_with(5, 0.5), Duration::from_secs(30));
    }

    #[test]
    fn wait_args() {
        let a = WaitArgs::parse(&map(json!({"id": "r1"}))).unwrap();
        assert_eq!(a.timeout, Some(DEFAULT_WAIT_TIMEOUT));
        assert_eq!(a.policy, PollPolicy::default());
        assert_eq!(a.last_status, None);
        let a = WaitArgs::parse(&map(
            json!({"id": "r1", "timeout": null, "poll_interval": 0.25, "last_status": "created"}),
        ))
        .unwrap();
        assert_eq!(a.timeout, None);
        assert_eq!(a.policy.first, Duration::from_millis(250));
        assert_eq!(a.last_status.as_deref(), Some("created"));
        assert_eq!(
            WaitArgs::parse(&map(json!({"id": "r", "timeout": 0})))
                .unwrap()
                .timeout,
            Some(Duration::ZERO)
        );
        let err = |v: Value| WaitArgs::parse(&map(v)).unwrap_err().to_string();
        assert!(err(json!({})).contains("run id"));
        assert!(err(json!({"id": " "})).contains("run id"));
        assert!(err(json!({"id": 3})).contains("got int"));
        assert!(err(json!({"id": "r", "timeout": -1})).contains("timeout must be"));
        assert!(err(json!({"id": "r", "timeout": "5"})).contains("got str"));
        assert!(err(json!({"id": "r", "poll_interval": 0})).contains("more than zero"));
        assert!(err(json!({"id": "r", "poll_interval": 7200})).contains("up to 3600"));
        assert!(err(json!({"id": "r", "timeout": 1e300})).contains("too large"));
        assert!(err(json!({"id": "r", "pol_interval": 1})).contains("unknown argument"));
    }

    #[test]
    fn transient_failures() {
        let status = |s: u16| {
            Error::Status(Box::new(crate::error::StatusError::from_response(
                s,
                bytes::Bytes::new(),
                None,
                "GET",
                "/x",
            )))
        };
        for s in [408, 409, 429, 500, 502, 503, 504] {
            assert!(is_transient(&status(s)), "{s}");
        }
        for s in [400, 401, 403, 404, 422] {
            assert!(!is_transient(&status(s)), "{s}");
        }
        assert!(is_transient(&Error::Timeout {
            kind: crate::TimeoutKind::Total,
            after: Duration::from_secs(1),
            method: "GET".into(),
            url: "u".into()
        }));
        assert!(!is_transient(&Error::InvalidRequest("x".into())));
    }

    #[test]
    fn final_statuses() {
        assert!(is_final("succeeded") && is_final("failed"));
        assert!(!is_final("created") && !is_final("running") && !is_final("queued"));
    }
}
