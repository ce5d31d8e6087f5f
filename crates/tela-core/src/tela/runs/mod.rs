//! Async runs (protocol.md §3.4, §4.1, §4.2): submit a run, retrieve it, list runs, wait for one.
//!
//! This module owns the three requests and what they share: run paths, argument checks, and
//! checking that an answer is a run. The rest is one module per concern:
//!
//! - [`wait`](mod@wait): the poll loop and its policy (intervals, deadline, transient failures).
//! - [`query`]: the query of `GET /v1/completion-run` and its limits.
//! - [`keys`]: camelCase -> snake_case keys, so one `Run` type fits all endpoints and webhooks.
//! - [`page`]: the run shape the result types read, and list pages in every envelope.

pub mod keys;
pub mod page;
pub mod query;
pub mod wait;

use reqwest::Method;
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::files::FileSource;
use crate::json::kind;
use crate::retry::Safety;
use crate::tela::{self, COMPLETIONS_PATH, Mode};
use crate::transport::{CallOptions, Request, Response, path_segment};

use keys::to_snake;
pub use keys::{snake_case, snake_keys};
pub use page::{normalize_page, run_shape_problem};
pub use query::list_query;
pub use wait::{
    DEFAULT_POLL_INTERVAL, DEFAULT_WAIT_TIMEOUT, MAX_POLL_INTERVAL, PollPolicy, Polled, WaitArgs,
    is_final, wait, wait_for,
};

pub const RUNS_LIST_PATH: &str = "/v1/completion-run";

fn show(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => kind(other).to_owned(),
    }
}

/// Rejects argument names the operation does not know (a face bug, or a typo in extras).
pub(crate) fn only_keys(body: &Map<String, Value>, known: &[&str]) -> Result<()> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::InvalidRequest(match known {
            [one] => format!("unknown argument {k:?}; expected {one}."),
            _ => format!(
                "unknown argument {k:?}; expected one of {}.",
                known.join(", ")
            ),
        })),
        None => Ok(()),
    }
}

fn run_id(body: &Map<String, Value>) -> Result<String> {
    id_arg(body, "run", "Run")
}

/// The `id` argument of a call on a run or a task (`what`, and its face's class `class`).
pub(crate) fn id_arg(body: &Map<String, Value>, what: &str, class: &str) -> Result<String> {
    match body.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        other => Err(Error::InvalidRequest(format!(
            "a {what} id must be a non-empty string (the id of the {class} that submit() returned), got {}.",
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
/// With `application_id` the answer is a Workstation task (see [`as_task`]).
pub async fn submit(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    files: Vec<FileSource>,
    opts: &CallOptions,
) -> Result<Response> {
    let application = body.contains_key("application_id");
    let mut resp = tela::post(client, body, extra_body, files, opts, Mode::Async).await?;
    check_run(&mut resp)?;
    if application {
        as_task(&mut resp)?;
    }
    Ok(resp)
}

/// A submit answer for an application is a task (its `id` is the task id, the guide's
/// reading). An answer that is a run naming its task (`task_id`) is turned around: the task
/// id becomes `id`, the run's id `completion_run_id`, so both are kept.
fn as_task(resp: &mut Response) -> Result<()> {
    let mut v: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| resp.decode_error(format!("the body is not JSON ({e})")))?;
    let Some(obj) = v.as_object_mut() else {
        return Ok(());
    };
    let Some(Value::String(task)) = obj.get("task_id").cloned() else {
        return Ok(());
    };
    if let Some(run) = obj.insert("id".into(), Value::String(task)) {
        obj.entry("completion_run_id").or_insert(run);
    }
    resp.body = bytes::Bytes::from(v.to_string());
    Ok(())
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

/// `GET` a run: its status, and the answer with the run as its body (see [`check_run`]).
pub(crate) async fn get_run(
    client: &Client,
    path: &str,
    opts: &CallOptions,
) -> Result<(String, Response)> {
    let req = Request::json(Method::GET, path, None, Safety::Idempotent);
    let mut resp = client.execute(&req, opts).await?;
    let status = check_run(&mut resp)?;
    Ok((status, resp))
}

/// Checks that the answer is a run and returns its status. The body is re-encoded only when
/// keys had to become snake_case: runs are snake_case on the wire (protocol.md §4.1), so their
/// bytes usually go on untouched.
pub(crate) fn check_run(resp: &mut Response) -> Result<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tela::prepare_create;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
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
    fn snake_case_runs_keep_their_bytes() {
        let answer = |body: &'static str| Response {
            method: "GET".into(),
            path: "/x".into(),
            status: 200,
            headers: reqwest::header::HeaderMap::new(),
            body: bytes::Bytes::from_static(body.as_bytes()),
            request_id: None,
            retries: 0,
            usage: None,
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
}
