//! Async runs (protocol.md §3.4, §4.1, §4.2): submit a run, retrieve it, list runs, wait for one.
//!
//! Waiting is an [`EventStream`] fed by a poll loop: each status change of the run is one
//! event (`{"run": {...}, "request_id": ...}`), so a face can report progress and ends up
//! with the final run, and closing the stream (Ctrl-C, task cancellation) stops the polling.
//! The polling policy lives here: intervals that grow with jitter, the deadline, and which
//! failures are worth another poll.
//!
//! Every run a face sees has snake_case keys: `GET /v1/completion-run` answers camelCase rows,
//! which are converted here so one `Run` type fits all three endpoints and webhooks.

use std::borrow::Cow;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::client::Client;
use crate::error::{Error, Result, identifiers_sent};
use crate::events::{BatchSender, EventStream};
use crate::files::FileSource;
use crate::json::kind;
use crate::retry::{Safety, transient_status};
use crate::tela::{self, COMPLETIONS_PATH, Mode};
use crate::transport::{CallOptions, Request, Response, path_segment};

pub const RUNS_LIST_PATH: &str = "/v1/completion-run";

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
/// `limit` of `GET /v1/completion-run` (protocol.md §4.2).
const LIST_LIMIT: std::ops::RangeInclusive<i64> = 1..=100;

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

fn show(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => kind(other).to_owned(),
    }
}

/// Rejects argument names the operation does not know (a face bug, or a typo in extras).
fn only_keys(body: &Map<String, Value>, known: &[&str]) -> Result<()> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::InvalidRequest(format!(
            "unknown argument {k:?}; expected one of {}.",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

fn run_id(body: &Map<String, Value>) -> Result<String> {
    match body.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        other => Err(Error::InvalidRequest(format!(
            "a run id must be a non-empty string (the id of the Run that submit() returned), got {}.",
            other.map_or("nothing", kind)
        ))),
    }
}

/// `GET /v2/chat/completions/{id}`, the id percent-encoded as one path segment.
pub fn run_path(id: &str) -> String {
    format!("{COMPLETIONS_PATH}/{}", path_segment(id))
}

/// Starts a run without waiting for it (`async: true`, or `webhook_url`): the answer is the
/// run object, usually `status: "created"`. Takes the same inputs (and files) as `create`.
pub async fn submit(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    files: Vec<FileSource>,
    opts: &CallOptions,
) -> Result<Response> {
    let mut resp = tela::post(client, body, extra_body, files, opts, Mode::Async).await?;
    check_run(&mut resp)?;
    Ok(resp)
}

/// The run as it is now.
pub async fn retrieve(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    only_keys(&body, &["id"])?;
    let path = run_path(&run_id(&body)?);
    let (_, resp) = get_run(client, &path, opts).await?;
    Ok(resp)
}

/// One page of runs, as `{"data": [run...], "has_more", "next_cursor", ...}` with snake_case
/// runs whatever envelope the server used (see [`normalize_page`]).
pub async fn list(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    let mut req = Request::json(Method::GET, RUNS_LIST_PATH, None, Safety::Idempotent);
    req.query = list_query(&body)?;
    let mut resp = client.execute(&req, opts).await?;
    let page = decode(&resp).and_then(|v| normalize_page(v).map_err(|m| resp.decode_error(m)))?;
    resp.body = encode(&page);
    Ok(resp)
}

/// The query of `GET /v1/completion-run`: snake_case arguments to the camelCase wire names.
/// `cursor` is this SDK's name for the page token (the paging parameters are undocumented).
pub fn list_query(body: &Map<String, Value>) -> Result<Vec<(String, String)>> {
    let mut query = Vec::new();
    for (key, value) in body {
        let wire = match key.as_str() {
            "limit" => {
                let n = value.as_i64().filter(|n| LIST_LIMIT.contains(n));
                let Some(n) = n else {
                    return Err(Error::InvalidRequest(format!(
                        "limit must be an integer from 1 to 100, got {}.",
                        show(value)
                    )));
                };
                query.push(("limit".to_owned(), n.to_string()));
                continue;
            }
            "prompt_application_id" => "promptApplicationId",
            "prompt_version_id" => "promptVersionId",
            "prompt_id" => "promptId",
            "cursor" => "cursor",
            other => {
                return Err(Error::InvalidRequest(format!(
                    "unknown argument {other:?}; list() takes limit, prompt_id, prompt_version_id, \
                     prompt_application_id and cursor."
                )));
            }
        };
        match value {
            Value::String(s) if !s.trim().is_empty() => query.push((wire.to_owned(), s.clone())),
            other => {
                return Err(Error::InvalidRequest(format!(
                    "{key} must be a non-empty string, got {}.",
                    kind(other)
                )));
            }
        }
    }
    Ok(query)
}

/// Polls the run until it is final, as a stream of its status changes. Errors are events:
/// a non-transient failure (404, 401...) ends the stream at once; at the deadline the
/// stream ends with [`Error::RunTimeout`].
pub async fn wait(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<EventStream> {
    let args = WaitArgs::parse(&body)?;
    let sent = identifiers_sent(&body);
    let client = client.clone();
    let opts = opts.clone();
    Ok(EventStream::from_task(None, move |tx| async move {
        if let Err(e) = poll_until_final(&client, &args, &opts, &tx).await {
            let _ = tx.send(Err(e.naming_sent(sent))).await;
        }
    }))
}

async fn poll_until_final(
    client: &Client,
    args: &WaitArgs,
    opts: &CallOptions,
    tx: &BatchSender,
) -> Result<()> {
    let path = run_path(&args.run_id);
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
                        r#"{{"run":{},"request_id":{},"status":{},"headers":{}}}"#,
                        String::from_utf8_lossy(&resp.body),
                        Value::from(resp.request_id),
                        resp.status,
                        Value::Object(headers)
                    );
                    if tx.send(Ok(vec![event])).await.is_err() {
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
                log::debug!("polling run {} failed, will poll again: {e}", args.run_id);
                Some(e)
            }
            Err(e) => return Err(e),
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Error::RunTimeout {
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

/// `GET` a run: its status, and the answer with the run as its body (see [`check_run`]).
async fn get_run(client: &Client, path: &str, opts: &CallOptions) -> Result<(String, Response)> {
    let req = Request::json(Method::GET, path, None, Safety::Idempotent);
    let mut resp = client.execute(&req, opts).await?;
    let status = check_run(&mut resp)?;
    Ok((status, resp))
}

/// Checks that the answer is a run and returns its status. The body is re-encoded only when
/// keys had to become snake_case: runs are snake_case on the wire (protocol.md §4.1), so their
/// bytes usually go on untouched.
fn check_run(resp: &mut Response) -> Result<String> {
    let v = decode(resp)?;
    let status = match (v.get("id"), v.get("status")) {
        (Some(Value::String(_)), Some(Value::String(s))) => s.clone(),
        _ => {
            let text = v.to_string();
            return Err(resp.decode_error(format!(
                "expected a run object with a string id and status, got {}",
                text.chars().take(200).collect::<String>()
            )));
        }
    };
    let mut renamed = false;
    let run = to_snake(v, &mut renamed);
    if let Some(problem) = run_shape_problem(&run) {
        return Err(resp.decode_error(problem));
    }
    if renamed {
        resp.body = encode(&run);
    }
    Ok(status)
}

fn decode(resp: &Response) -> Result<Value> {
    serde_json::from_slice(&resp.body)
        .map_err(|e| resp.decode_error(format!("the body is not JSON ({e})")))
}

/// A normalized answer's new body (serializing a `Value` cannot fail).
fn encode(v: &Value) -> bytes::Bytes {
    bytes::Bytes::from(v.to_string())
}

/// Keys whose values are the user's data (variable names, structured output, JSON schemas,
/// function arguments): their insides keep their keys as they are.
const OPAQUE_KEYS: &[&str] = &[
    "variables",
    "content",
    "raw_output",
    "schema",
    "properties",
    "parameters",
    "arguments",
    "parsed_content",
    "structured_content",
    "metadata",
];

/// The same JSON with camelCase keys in snake_case (`outputContent` -> `output_content`),
/// except inside [`OPAQUE_KEYS`]. snake_case keys are unchanged, so a run that is already
/// snake_case passes through as it is; unknown keys are kept (converted the same way).
pub fn snake_keys(v: Value) -> Value {
    to_snake(v, &mut false)
}

/// [`snake_keys`], setting `renamed` when a key changed.
fn to_snake(v: Value, renamed: &mut bool) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let snake = snake_case(&k);
                    *renamed |= matches!(snake, Cow::Owned(_));
                    let k = snake.into_owned();
                    let v = if OPAQUE_KEYS.contains(&k.as_str()) {
                        v
                    } else {
                        to_snake(v, renamed)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| to_snake(v, renamed)).collect())
        }
        other => other,
    }
}

/// `promptVersionId` -> `prompt_version_id`, `rawURL` -> `raw_url`; other keys unchanged.
pub fn snake_case(key: &str) -> Cow<'_, str> {
    if !key.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(key);
    }
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_uppercase() {
            out.push(c);
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let boundary = match prev {
            Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
            Some(p) if p.is_ascii_uppercase() => next.is_some_and(char::is_ascii_lowercase),
            _ => false,
        };
        if boundary && !out.ends_with('_') {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    Cow::Owned(out)
}

/// Envelope keys that may hold the rows; the first array found wins.
const ROW_KEYS: &[&str] = &["data", "items", "runs", "results"];

/// A list answer as `{"data": [...], "has_more": bool, "next_cursor": str|null, ...}`.
///
/// The envelope of `GET /v1/completion-run` is undocumented (protocol.md §4.2), so this accepts a
/// bare array, or an object with the rows under `data` (or `items`/`runs`/`results`) and
/// `hasMore`/`has_more` and `nextCursor`/`next_cursor`. A cursor without `hasMore` means
/// more; `next_cursor` is null whenever there is no next page, so a face pages while it is
/// set. Other envelope keys are kept, in snake_case.
/// The fields of a run that the result types read, when present and not null, must be
/// objects: `output_content` (and its `information`) and `input_content`. Anything else is
/// free. A run of another shape fails here, naming the field, instead of yielding a `Run`
/// whose `.content` breaks later. `None` when the run is readable.
pub fn run_shape_problem(run: &Value) -> Option<String> {
    let object_or_null =
        |v: Option<&Value>| matches!(v, None | Some(Value::Null | Value::Object(_)));
    let got = |v: Option<&Value>| {
        let v = v.unwrap_or(&Value::Null);
        let text = v.to_string();
        format!("{} {}", kind(v), text.chars().take(80).collect::<String>())
    };
    for field in ["output_content", "input_content"] {
        let v = run.get(field);
        if !object_or_null(v) {
            return Some(format!(
                "expected the run's {field} to be a JSON object (or null), got {}",
                got(v)
            ));
        }
    }
    let info = run.get("output_content").and_then(|o| o.get("information"));
    if !object_or_null(info) {
        return Some(format!(
            "expected the run's output_content.information to be a JSON object (or null), got {}",
            got(info)
        ));
    }
    None
}

pub fn normalize_page(v: Value) -> std::result::Result<Value, String> {
    let (rows, mut rest) = match v {
        Value::Array(rows) => (rows, Map::new()),
        Value::Object(mut o) => {
            let key = ROW_KEYS
                .iter()
                .find(|k| o.get(**k).is_some_and(Value::is_array));
            let Some(Value::Array(rows)) = key.and_then(|k| o.remove(*k)) else {
                return Err(format!(
                    "expected a list of runs (or an object with one under \"data\"), got an object with keys {:?}",
                    o.keys().collect::<Vec<_>>()
                ));
            };
            (rows, o)
        }
        other => return Err(format!("expected a list of runs, got {}", kind(&other))),
    };
    let mut take = |names: [&str; 2]| names.iter().find_map(|n| rest.remove(*n));
    let cursor = take(["nextCursor", "next_cursor"])
        .and_then(|c| c.as_str().map(str::to_owned))
        .filter(|c| !c.is_empty());
    let has_more = match take(["hasMore", "has_more"]) {
        Some(Value::Bool(b)) => b,
        _ => cursor.is_some(),
    };
    let rows: Vec<Value> = rows.into_iter().map(snake_keys).collect();
    for (i, row) in rows.iter().enumerate() {
        if let Some(problem) = run_shape_problem(row) {
            return Err(format!("run {i} of the page: {problem}"));
        }
    }
    let mut page = Map::new();
    page.insert("data".into(), Value::Array(rows));
    page.insert("has_more".into(), Value::Bool(has_more));
    page.insert(
        "next_cursor".into(),
        cursor
            .filter(|_| has_more)
            .map_or(Value::Null, Value::String),
    );
    if let Value::Object(extra) = snake_keys(Value::Object(rest)) {
        for (k, v) in extra {
            page.entry(k).or_insert(v);
        }
    }
    Ok(Value::Object(page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tela::prepare_create;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn run_shapes_the_types_read_are_checked() {
        for ok in [
            json!({"id": "r", "status": "succeeded"}),
            json!({"id": "r", "status": "succeeded", "output_content": null}),
            json!({"id": "r", "output_content": {"content": 5, "information": null}}),
            json!({"id": "r", "output_content": {"content": [1], "information": {}}, "input_content": {}}),
        ] {
            assert_eq!(run_shape_problem(&ok), None, "{ok}");
        }
        for (bad, says) in [
            (
                json!({"output_content": "text"}),
                "output_content to be a JSON object",
            ),
            (
                json!({"output_content": [1]}),
                "output_content to be a JSON object",
            ),
            (
                json!({"input_content": 5}),
                "input_content to be a JSON object",
            ),
            (
                json!({"output_content": {"information": "x"}}),
                "output_content.information to be a JSON object",
            ),
        ] {
            let problem = run_shape_problem(&bad).expect("a problem");
            assert!(problem.contains(says), "{bad}: {problem}");
        }
        let err = normalize_page(json!([{"id": "r", "outputContent": 5}])).unwrap_err();
        assert!(
            err.contains("run 0 of the page") && err.contains("output_content"),
            "{err}"
        );
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
    fn run_paths_are_one_encoded_segment() {
        assert_eq!(run_path("abc-1_2.3~"), "/v2/chat/completions/abc-1_2.3~");
        assert_eq!(run_path("a/b c?"), "/v2/chat/completions/a%2Fb%20c%3F");
        assert_eq!(run_path("é"), "/v2/chat/completions/%C3%A9");
    }

    #[test]
    fn submit_body_allows_applications_and_webhooks() {
        let body = map(
            json!({"application_id": "app", "label": "l", "webhook_url": "https://h.example/x?y=1"}),
        );
        let bytes = prepare_create(body, None, Mode::Async).unwrap();
        let sent: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            sent,
            json!({"application_id": "app", "label": "l", "webhook_url": "https://h.example/x?y=1", "async": true})
        );
        let err = |v: Value| {
            prepare_create(map(v), None, Mode::Async)
                .unwrap_err()
                .to_string()
        };
        for bad in [
            "ftp://h/x",
            "not a url",
            "http://",
            "/relative",
            "mailto:a@b.c",
        ] {
            assert!(
                err(json!({"canvas_id": "c", "webhook_url": bad})).contains("not an http(s) URL"),
                "{bad}"
            );
        }
        assert!(err(json!({"canvas_id": "c", "webhook_url": 1})).contains("must be a string"));
        assert!(err(json!({"canvas_id": "c", "stream": true})).contains("stream"));
        assert!(err(json!({"canvas_id": "c", "async": true})).contains("async"));
        assert!(
            err(json!({"application_id": "a", "environment_name": "staging"}))
                .contains("only goes with canvas_id")
        );
        // Still closed to the sync and stream modes.
        let sync = prepare_create(
            map(json!({"canvas_id": "c", "webhook_url": "https://h/x"})),
            None,
            Mode::Sync,
        );
        assert!(sync.unwrap_err().to_string().contains("submit"));
    }

    #[test]
    fn list_queries() {
        let q = list_query(&map(json!({
            "limit": 5, "prompt_id": "p", "prompt_version_id": "v",
            "prompt_application_id": "a", "cursor": "c1"
        })))
        .unwrap();
        assert_eq!(
            q,
            [
                ("limit", "5"),
                ("promptId", "p"),
                ("promptVersionId", "v"),
                ("promptApplicationId", "a"),
                ("cursor", "c1")
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let err = |v: Value| list_query(&map(v)).unwrap_err().to_string();
        for bad in [json!(0), json!(101), json!(2.5), json!("5")] {
            assert!(
                err(json!({"limit": bad})).contains("from 1 to 100"),
                "{bad}"
            );
        }
        assert!(err(json!({"prompt_id": ""})).contains("non-empty"));
        assert!(err(json!({"promptId": "x"})).contains("unknown argument"));
    }

    #[test]
    fn snake_case_keys() {
        for (camel, snake) in [
            ("promptVersionId", "prompt_version_id"),
            ("updatedAt", "updated_at"),
            ("rawURL", "raw_url"),
            ("URLValue", "url_value"),
            ("inputTokens2", "input_tokens2"),
            ("already_snake", "already_snake"),
            ("id", "id"),
            ("Status", "status"),
        ] {
            assert_eq!(snake_case(camel), snake);
        }
    }

    #[test]
    fn camel_rows_become_snake_runs_but_user_data_is_untouched() {
        let row = json!({
            "id": "r", "status": "succeeded", "promptVersionId": "v", "someNewField": {"innerKey": 1},
            "inputContent": {"variables": {"myDoc": {"fileUrl": "x"}}, "files": [{"usedAt": "variables", "parsedContent": "a"}]},
            "outputContent": {"hasStructuredOutput": true, "content": {"fileSummary": "s"},
                              "information": {"inputTokens": 3, "outputTokens": 4}, "toolCalls": [{"name": "f", "arguments": "{\"aB\":1}"}]},
            "rawInput": {"override": {"structuredOutput": {"enabled": true, "schema": {"properties": {"fileSummary": {}}}}}},
            "rawOutput": {"anyThing": 1}
        });
        let run = snake_keys(row);
        assert_eq!(
            run,
            json!({
                "id": "r", "status": "succeeded", "prompt_version_id": "v", "some_new_field": {"inner_key": 1},
                "input_content": {"variables": {"myDoc": {"fileUrl": "x"}}, "files": [{"used_at": "variables", "parsed_content": "a"}]},
                "output_content": {"has_structured_output": true, "content": {"fileSummary": "s"},
                                   "information": {"input_tokens": 3, "output_tokens": 4}, "tool_calls": [{"name": "f", "arguments": "{\"aB\":1}"}]},
                "raw_input": {"override": {"structured_output": {"enabled": true, "schema": {"properties": {"fileSummary": {}}}}}},
                "raw_output": {"anyThing": 1}
            })
        );
    }

    #[test]
    fn snake_case_runs_keep_their_bytes() {
        let answer = |body: &'static str| Response {
            method: "GET".into(),
            path: "/x".into(),
            status: 200,
            headers: reqwest::header::HeaderMap::new(),
            body: bytes::Bytes::from_static(body.as_bytes()),
            request_id: None,
            retries: 0,
        };
        let snake = r#"{"id": "r", "status": "running", "output_content": {"content": {"n": 123456789012345678901234}}}"#;
        let mut resp = answer(snake);
        assert_eq!(check_run(&mut resp).unwrap(), "running");
        assert_eq!(resp.body, snake.as_bytes());
        let mut resp = answer(r#"{"id": "r", "status": "created", "outputContent": null}"#);
        assert_eq!(check_run(&mut resp).unwrap(), "created");
        assert_eq!(
            serde_json::from_slice::<Value>(&resp.body).unwrap(),
            json!({"id": "r", "status": "created", "output_content": null})
        );
        let mut resp = answer(r#"{"id": "r"}"#);
        let err = check_run(&mut resp).unwrap_err().to_string();
        assert!(err.contains("string id and status"), "{err}");
    }

    #[test]
    fn pages_in_every_envelope() {
        let p = normalize_page(
            json!({"data": [{"id": "a", "updatedAt": "t"}], "hasMore": true, "nextCursor": "c", "totalCount": 9}),
        )
        .unwrap();
        assert_eq!(
            p,
            json!({"data": [{"id": "a", "updated_at": "t"}], "has_more": true, "next_cursor": "c", "total_count": 9})
        );
        let bare = normalize_page(json!([{"id": "a"}])).unwrap();
        assert_eq!(
            bare,
            json!({"data": [{"id": "a"}], "has_more": false, "next_cursor": null})
        );
        // A cursor alone means more; hasMore false wins over a stray cursor.
        let p = normalize_page(json!({"items": [], "next_cursor": "c"})).unwrap();
        assert_eq!(
            (p["has_more"].clone(), p["next_cursor"].clone()),
            (json!(true), json!("c"))
        );
        let p = normalize_page(json!({"runs": [], "hasMore": false, "nextCursor": "c"})).unwrap();
        assert_eq!(p["next_cursor"], Value::Null);
        let p = normalize_page(json!({"data": [], "hasMore": true})).unwrap();
        assert_eq!(
            (p["has_more"].clone(), p["next_cursor"].clone()),
            (json!(true), Value::Null)
        );
        assert!(
            normalize_page(json!({"rows": 1}))
                .unwrap_err()
                .contains("\"rows\"")
        );
        assert!(normalize_page(json!("x")).unwrap_err().contains("got str"));
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
