//! The life of an async run: answered at once with the run object (the task object for an
//! `application_id`), then moved `created` ->
//! `running` -> `succeeded` | `failed` on the canvas's [`RunSpec`] timing by a task, which
//! finally delivers its webhook (protocol.md §3.4, §4.1).
//!
//! Undocumented details, as emulated: a `failed` run carries
//! `"error": {"code": "RUN_FAILED", "message": ...}` and `output_content: null`; while
//! `created`/`running`, `output_content` and `raw_output` are null.
//!
//! [`RunSpec`]: crate::tela::spec::RunSpec

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::store::RunRecord;
use crate::clock::{iso8601, unix_ms, unix_seconds};
use crate::ids;
use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::answer::{completion_body, strict_completion};
use crate::tela::registry::Target;
use crate::tela::reply::{self, Content, Reply};
use crate::tela::request::{CompletionRequest, TargetRef};
use crate::tela::spec::WebhookPayload;
use crate::tela::stream::ChunkMeta;
use crate::tela::webhook;

/// Pinned by `x-compatibility-date` when the request sends one.
const DEFAULT_COMPATIBILITY_DATE: &str = "2025-07-23T00:00:00.000Z";
/// The emulated workspace every run belongs to.
const WORKSPACE_ID: &str = "00000000-0000-4000-8000-000000000001";
/// Emulated price per token, in dollars (input, output): plausible and deterministic.
const PRICE_PER_TOKEN: (f64, f64) = (2.5e-6, 1e-5);

/// Records the run, starts its life, and answers the run object.
pub(crate) fn start(
    state: Arc<State>,
    target: Target,
    request: CompletionRequest,
    headers: HeaderMap,
) -> Response {
    json_response(StatusCode::OK, &begin(state, target, request, headers))
}

/// Records the run and starts its life; returns what the request is answered with: the run
/// object, or the task object for an application (also what `POST /task` answers).
pub(crate) fn begin(
    state: Arc<State>,
    target: Target,
    mut request: CompletionRequest,
    headers: HeaderMap,
) -> Value {
    let id = ids::uuid();
    let now = unix_ms();
    let application_id = match &request.target {
        TargetRef::Application(app) => Some(app.clone()),
        _ => None,
    };
    // Applications create tasks, which start out running (protocol.md §3.4).
    let status = if application_id.is_some() {
        "running"
    } else {
        "created"
    };
    let compatibility_date = headers
        .get("x-compatibility-date")
        .and_then(|v| v.to_str().ok())
        .map_or(DEFAULT_COMPATIBILITY_DATE.to_owned(), str::to_owned);
    let run = json!({
        "id": id,
        "status": status,
        "input_content": {
            "variables": request.variables,
            "messages": request.messages,
            "files": input_files(&request),
        },
        "output_content": null,
        "raw_input": raw_input(&mut request),
        "raw_output": null,
        "compatibility_date": compatibility_date,
        "prompt_version_id": target.version.id,
        "prompt_application_id": application_id,
        "workspace_id": WORKSPACE_ID,
        "created_at": iso8601(now),
        "updated_at": iso8601(now),
        "deleted_at": null,
    });
    let record_is_task = application_id.is_some();
    let record = RunRecord {
        run: run.clone(),
        canvas_id: target.canvas.id.clone(),
        version_id: target.version.id.clone(),
        application_id,
        updated_ms: now,
    };
    lock(&state.runs).insert(id.clone(), record);
    tokio::spawn(live(state, id, target, request, headers));
    // An application answers with the task it started (protocol.md §4.3): its `id` is what
    // `GET /task/{id}` reads.
    if record_is_task {
        crate::tela::tasks::task_of(&run)
    } else {
        run
    }
}

/// `raw_input`: the request as sent, with the identifying keys always present (null when
/// absent), as the run schema shows them.
fn raw_input(request: &mut CompletionRequest) -> Value {
    let mut raw = Map::new();
    for key in ["version_id", "canvas_id", "application_id", "webhook_url"] {
        raw.insert(key.to_owned(), Value::Null);
    }
    for (k, v) in request.raw.take().unwrap_or_default() {
        raw.insert(k, v);
    }
    Value::Object(raw)
}

/// `input_content.files`: every `file_url` in the variables and messages.
fn input_files(request: &CompletionRequest) -> Vec<Value> {
    let mut files = Vec::new();
    for (name, value) in &request.variables {
        collect_files(value, name, "variables", &mut files);
    }
    for (i, message) in request.messages.iter().enumerate() {
        if let Some(content) = message.get("content") {
            collect_files(content, &format!("message-{i}"), "messages", &mut files);
        }
    }
    files
}

fn collect_files(value: &Value, name: &str, used_at: &str, out: &mut Vec<Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                collect_files(item, name, used_at, out);
            }
        }
        Value::Object(o) => {
            if let Some(url) = o.get("file_url").and_then(Value::as_str) {
                let image = url.starts_with("data:image/")
                    || [".png", ".jpg", ".jpeg"]
                        .iter()
                        .any(|ext| url.to_ascii_lowercase().ends_with(ext));
                out.push(json!({
                    "name": name,
                    "used_at": used_at,
                    "parsed_content": "",
                    "url": url,
                    "type": if image { "image" } else { "file" },
                }));
            }
        }
        _ => {}
    }
}

/// The run's life after the answer: statuses, the reply, then the webhook.
async fn live(
    state: Arc<State>,
    id: String,
    target: Target,
    request: CompletionRequest,
    headers: HeaderMap,
) {
    let spec = target.canvas.run.clone();
    if !matches!(request.target, TargetRef::Application(_)) {
        tokio::time::sleep(Duration::from_millis(spec.created_ms)).await;
        set(&state, &id, |run| {
            run.insert("status".into(), json!("running"));
        });
    }
    let started = Instant::now();
    let outcome = if spec.fail {
        Err(spec.fail_message.clone())
    } else {
        reply::produce(&target, &request, &headers).await
    };
    tokio::time::sleep(Duration::from_millis(spec.running_ms)).await;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let model = request.model(&target);
    let run = match &outcome {
        Ok(reply) => set(&state, &id, |run| {
            run.insert("status".into(), json!("succeeded"));
            run.insert("output_content".into(), output_content(reply, duration_ms));
            // Strict (protocol.md §8): the docs show `raw_output` as `{}` only.
            let raw = if state.strict {
                json!({})
            } else {
                json!({"model": model})
            };
            run.insert("raw_output".into(), raw);
        }),
        Err(message) => set(&state, &id, |run| {
            run.insert("status".into(), json!("failed"));
            // What a failed run says about its cause is undocumented (protocol.md §8).
            if !state.strict {
                run.insert(
                    "error".into(),
                    json!({"code": "RUN_FAILED", "message": message}),
                );
            }
        }),
    };
    let (Some(run), Some(url)) = (run, request.webhook_url.as_deref()) else {
        return;
    };
    let payload = match (&outcome, spec.webhook) {
        (Ok(reply), WebhookPayload::Completion) => {
            let meta = ChunkMeta {
                id: id.clone(),
                created: unix_seconds(),
                model,
            };
            let mut body = completion_body(meta, reply);
            if state.strict {
                strict_completion(&mut body, true);
            }
            body
        }
        _ => run,
    };
    webhook::deliver(&state, &spec, &id, url, payload).await;
}

fn set(state: &State, id: &str, change: impl FnOnce(&mut Map<String, Value>)) -> Option<Value> {
    lock(&state.runs).update(id, unix_ms(), change)
}

/// `output_content` of a finished run (protocol.md §4.1).
fn output_content(reply: &Reply, duration_ms: u64) -> Value {
    let input_tokens = reply::words(&reply.prompt);
    let output_tokens = reply::words(&reply.content.text());
    let cost = input_tokens as f64 * PRICE_PER_TOKEN.0 + output_tokens as f64 * PRICE_PER_TOKEN.1;
    // Rounded to a nano-dollar so it prints as 3.5e-05, not 3.5000000000000004e-05.
    let cost = (cost * 1e9).round() / 1e9;
    json!({
        "role": "assistant",
        "tool_calls": [],
        "information": {
            "duration": duration_ms,
            "cost": cost,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
        },
        "has_structured_output": matches!(reply.content, Content::Structured(_)),
        "content": reply.content.to_json(),
        "input_messages": reply.prompt,
    })
}
