//! The SSE body of `response_mode: streaming` (protocol.md §6.4): `data: <json>\n\n`
//! frames typed by their `event` field, bare `event: ping\n\n` keep-alives on a wall-clock
//! interval, no `[DONE]`. A task writes the frames into a small channel, so pings keep
//! coming while it waits between chunks, and a stop request wakes it at once.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use futures::SinkExt;
use futures::channel::mpsc;
use serde_json::{Map, Value, json};

use super::apps::{DifyApp, Slot, Task};
use super::json_style::dump;
use super::spec::{DifyErrorSpec, JsonStyle};
use super::usage;
use crate::clock::unix_seconds;
use crate::ids;
use crate::state::{State, lock};

/// Everything a streaming answer needs.
pub(crate) struct Plan {
    pub state: Arc<State>,
    pub app: Arc<DifyApp>,
    pub task_id: String,
    pub message_id: String,
    pub conversation_id: Option<String>,
    pub created_at: u64,
    pub answer: String,
    pub prompt_tokens: usize,
    pub started: Instant,
    pub task: Arc<Task>,
    pub slot: Slot,
}

/// Pause before an abort, so hyper flushes the frames sent before it.
const ABORT_PAUSE: Duration = Duration::from_millis(5);

pub(crate) fn response(plan: Plan) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(8);
    tokio::spawn(run(plan, tx));
    let mut resp = Response::new(Body::from_stream(rx));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    resp
}

/// Whether the stream goes on.
enum Flow {
    Go,
    Stopped,
    Gone,
}

struct Writer {
    tx: mpsc::Sender<Result<Bytes, io::Error>>,
    style: JsonStyle,
    interval: Option<Duration>,
    next_ping: Option<Instant>,
    task: Arc<Task>,
    /// Fields every event starts with: `event` is inserted before them.
    head: Map<String, Value>,
}

impl Writer {
    async fn send(&mut self, frame: String) -> bool {
        self.tx.send(Ok(Bytes::from(frame))).await.is_ok()
    }

    async fn ping(&mut self) -> bool {
        self.send("event: ping\n\n".to_owned()).await
    }

    /// Sends one JSON event: `event`, the common fields, then `fields`.
    async fn event(&mut self, name: &str, common: bool, fields: Value) -> bool {
        if !self.ping_if_due().await {
            return false;
        }
        let mut m = Map::new();
        m.insert("event".into(), Value::from(name));
        if common {
            for (k, v) in &self.head {
                m.insert(k.clone(), v.clone());
            }
        }
        if let Value::Object(extra) = fields {
            m.extend(extra);
        }
        let frame = format!("data: {}\n\n", dump(self.style, &Value::Object(m)));
        self.send(frame).await
    }

    async fn ping_if_due(&mut self) -> bool {
        match (self.next_ping, self.interval) {
            (Some(at), Some(every)) if Instant::now() >= at => {
                self.next_ping = Some(at + every);
                self.ping().await
            }
            _ => true,
        }
    }

    /// Waits `d`, sending pings when due; returns early when the task is stopped.
    async fn wait(&mut self, d: Duration) -> Flow {
        let until = tokio::time::Instant::now() + d;
        loop {
            if self.task.is_stopped() {
                return Flow::Stopped;
            }
            let now = tokio::time::Instant::now();
            if now >= until {
                return Flow::Go;
            }
            let wake_at = match self.next_ping {
                Some(p) => until.min(tokio::time::Instant::from_std(p)),
                None => until,
            };
            tokio::select! {
                _ = tokio::time::sleep_until(wake_at) => {}
                _ = self.task.wake.notified() => {}
            }
            if !self.ping_if_due().await {
                return Flow::Gone;
            }
        }
    }

    async fn abort(&mut self) {
        tokio::time::sleep(ABORT_PAUSE).await;
        let err = io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "stream dropped by DifyStreamSpec.drop_after",
        );
        let _ = self.tx.send(Err(err)).await;
    }
}

/// Removes the task from the registry when the stream ends, however it ends.
struct TaskGuard {
    state: Arc<State>,
    task_id: String,
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        lock(&self.state.dify).tasks.remove(&self.task_id);
    }
}

/// The answer's text chunks: `chunk_size` characters each (0: one chunk).
fn chunks(text: &str, size: usize) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    if size == 0 {
        return vec![text];
    }
    let mut out = Vec::new();
    let mut start = 0;
    for (count, (i, _)) in text.char_indices().enumerate() {
        if count > 0 && count % size == 0 {
            out.push(&text[start..i]);
            start = i;
        }
    }
    out.push(&text[start..]);
    out
}

async fn run(plan: Plan, tx: mpsc::Sender<Result<Bytes, io::Error>>) {
    let _guard = TaskGuard {
        state: plan.state.clone(),
        task_id: plan.task_id.clone(),
    };
    let _slot = &plan.slot;
    let spec = &plan.app.spec;
    let s = &spec.stream;
    let interval = (s.ping_interval_ms > 0).then(|| Duration::from_millis(s.ping_interval_ms));
    let mut head = Map::new();
    if let Some(c) = &plan.conversation_id {
        head.insert("conversation_id".into(), json!(c));
    }
    head.insert("message_id".into(), json!(plan.message_id));
    head.insert("created_at".into(), json!(plan.created_at));
    let mut w = Writer {
        tx,
        style: s.json_style,
        interval,
        next_ping: interval.map(|d| Instant::now() + d),
        task: plan.task.clone(),
        head,
    };
    let task_id = plan.task_id.as_str();
    let mode = spec.mode.as_str();
    let newer = s.json_style == JsonStyle::Compact;

    if (s.ping_first || mode == "advanced-chat") && !w.ping().await {
        return;
    }
    let mut stopped = false;
    if s.start_delay_ms > 0 {
        match w.wait(Duration::from_millis(s.start_delay_ms)).await {
            Flow::Go => {}
            Flow::Stopped => stopped = true,
            Flow::Gone => return,
        }
    }
    let workflow_run_id = ids::uuid();
    if mode == "advanced-chat" && !workflow_start(&mut w, task_id, &workflow_run_id).await {
        return;
    }
    if mode == "agent-chat"
        && !w
            .event(
                "agent_thought",
                true,
                json!({"task_id": task_id, "id": ids::uuid(), "position": 1, "thought": "",
                       "observation": "", "tool": "", "tool_input": "", "message_files": []}),
            )
            .await
    {
        return;
    }
    let mut files = Vec::new();
    for f in &spec.answer_files {
        let id = ids::uuid();
        let ty = f.get("type").and_then(Value::as_str).unwrap_or("image");
        let url = f.get("url").and_then(Value::as_str).unwrap_or_default();
        if !stopped
            && !w
                .event(
                    "message_file",
                    true,
                    json!({"task_id": task_id, "id": id, "type": ty, "belongs_to": "assistant", "url": url}),
                )
                .await
        {
            return;
        }
        files.push(file_item(&id, ty, url, f));
    }
    let parts = chunks(&plan.answer, s.chunk_size);
    let fail_after =
        (spec.error.is_some() || s.error_after.is_some()).then(|| s.error_after.unwrap_or(0));
    let text_event = if mode == "agent-chat" {
        "agent_message"
    } else {
        "message"
    };
    let mut generated = String::new();
    for (i, part) in parts.iter().enumerate() {
        if stopped || plan.task.is_stopped() {
            stopped = true;
            break;
        }
        if s.drop_after == Some(i) {
            return w.abort().await;
        }
        if fail_after == Some(i) {
            return send_error(&mut w, spec.error.clone().unwrap_or_default()).await;
        }
        if i > 0 && s.delay_ms > 0 {
            match w.wait(Duration::from_millis(s.delay_ms)).await {
                Flow::Go => {}
                Flow::Stopped => {
                    stopped = true;
                    break;
                }
                Flow::Gone => return,
            }
        }
        let mut fields = json!({"task_id": task_id, "id": plan.message_id, "answer": part});
        if newer {
            fields["from_variable_selector"] = Value::Null;
        }
        if !w.event(text_event, true, fields).await {
            return;
        }
        generated.push_str(part);
        if spec.tts && !w.event("tts_message", true, tts(task_id, part)).await {
            return;
        }
    }
    if !stopped {
        if s.drop_after.is_some_and(|n| n >= parts.len()) {
            return w.abort().await;
        }
        if fail_after.is_some_and(|n| n >= parts.len()) {
            return send_error(&mut w, spec.error.clone().unwrap_or_default()).await;
        }
        if let Some(m) = &spec.moderation {
            let fields = json!({"task_id": task_id, "answer": m.answer, "reason": m.reason});
            if !w.event("message_replace", true, fields).await {
                return;
            }
        }
    }
    let mut metadata = usage::metadata(&plan.app, plan.prompt_tokens, &generated, plan.started);
    if !newer && let Some(m) = metadata.as_object_mut() {
        m.entry("retriever_resources").or_insert(json!([]));
    }
    let mut end = json!({"task_id": task_id, "id": plan.message_id, "metadata": metadata});
    if newer {
        end["files"] = if files.is_empty() {
            Value::Null
        } else {
            Value::Array(files)
        };
    }
    if !w.event("message_end", true, end).await {
        return;
    }
    if mode == "advanced-chat"
        && !workflow_end(&mut w, task_id, &workflow_run_id, &generated, stopped).await
    {
        return;
    }
    if spec.tts {
        let _ = w
            .event(
                "tts_message_end",
                true,
                json!({"task_id": task_id, "audio": ""}),
            )
            .await;
    }
}

fn tts(task_id: &str, text: &str) -> Value {
    let audio = base64::engine::general_purpose::STANDARD.encode(format!("audio:{text}"));
    json!({"task_id": task_id, "audio": audio})
}

/// The error event ends the stream; Dify's service-API converter sends no `task_id` with it.
async fn send_error(w: &mut Writer, e: DifyErrorSpec) {
    let _ = w
        .event(
            "error",
            true,
            json!({"status": e.status, "code": e.code, "message": e.message}),
        )
        .await;
}

/// A `message_end.files[]` item (protocol.md §6.4).
fn file_item(id: &str, ty: &str, url: &str, spec: &Value) -> Value {
    let filename = spec
        .get("filename")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            url.rsplit('/')
                .next()
                .and_then(|s| s.split('?').next())
                .unwrap_or("file")
                .to_owned()
        });
    let extension = filename
        .rsplit_once('.')
        .map(|(_, e)| format!(".{e}"))
        .unwrap_or_default();
    json!({
        "related_id": id,
        "type": ty,
        "filename": filename,
        "extension": extension,
        "mime_type": spec.get("mime_type").cloned().unwrap_or(Value::Null),
        "size": spec.get("size").cloned().unwrap_or(json!(-1)),
        "transfer_method": "tool_file",
        "url": url,
        "upload_file_id": null,
        "remote_url": null,
    })
}

async fn workflow_start(w: &mut Writer, task_id: &str, run_id: &str) -> bool {
    let created = json!(unix_seconds());
    let node = ids::uuid();
    w.event(
        "workflow_started",
        true,
        json!({"task_id": task_id, "workflow_run_id": run_id,
               "data": {"id": run_id, "workflow_id": ids::uuid(), "created_at": created}}),
    )
    .await
        && w.event(
            "node_started",
            true,
            json!({"task_id": task_id, "workflow_run_id": run_id,
                   "data": {"id": ids::uuid(), "node_id": node, "node_type": "llm", "title": "LLM",
                            "index": 1, "created_at": created}}),
        )
        .await
        && w.event(
            "node_finished",
            true,
            json!({"task_id": task_id, "workflow_run_id": run_id,
                   "data": {"id": ids::uuid(), "node_id": node, "node_type": "llm", "title": "LLM",
                            "index": 1, "status": "succeeded", "created_at": created}}),
        )
        .await
}

async fn workflow_end(
    w: &mut Writer,
    task_id: &str,
    run_id: &str,
    answer: &str,
    stopped: bool,
) -> bool {
    let status = if stopped { "stopped" } else { "succeeded" };
    w.event(
        "workflow_finished",
        true,
        json!({"task_id": task_id, "workflow_run_id": run_id,
               "data": {"id": run_id, "status": status, "outputs": {"answer": answer},
                        "created_at": unix_seconds()}}),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_keep_characters_whole() {
        assert_eq!(chunks("héllo wörld", 4), vec!["héll", "o wö", "rld"]);
        assert_eq!(chunks("abc", 0), vec!["abc"]);
        assert!(chunks("", 3).is_empty());
    }
}
