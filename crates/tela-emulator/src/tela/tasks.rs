//! Workstation tasks (protocol.md §4.3). A `POST /v2/chat/completions` with `application_id`
//! starts a task: the emulator keeps it as the run it also is, under one id, so the task id
//! the answer carries is both what `GET /task/{id}` reads and the task's `completionRunId`.
//! The task object is camelCase at the top level; `rawInput` and the user's data keep
//! their keys (protocol.md §4.4).
//!
//! Status, as emulated: the run's `created`/`running` are the task's, `succeeded` is
//! `completed`, `failed` is `failed` (with the run's `error`, an undocumented shape).

use std::sync::Arc;

use axum::extract::{Path, State as Extract};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::envelope;

/// `GET /task/{id}`.
pub(crate) async fn retrieve(
    Extract(state): Extract<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    match lock(&state.runs).get_task(&id) {
        Some(run) => json_response(StatusCode::OK, &task_of(&run)),
        None => envelope::error(StatusCode::NOT_FOUND, "NOT_FOUND", "Task not found"),
    }
}

/// The task view of an application run.
pub(crate) fn task_of(run: &Value) -> Value {
    let field = |k: &str| run.get(k).cloned().unwrap_or(Value::Null);
    let status = match run.get("status").and_then(Value::as_str) {
        Some("succeeded") => "completed",
        Some(other) => other,
        None => "running",
    };
    let output = match run.get("output_content") {
        Some(Value::Object(o)) => json!({
            "role": o.get("role").cloned().unwrap_or(json!("assistant")),
            "content": o.get("content").cloned().unwrap_or(Value::Null),
        }),
        _ => Value::Null,
    };
    let finished = status == "completed";
    let raw_input = field("raw_input");
    let mut task = json!({
        "id": field("id"),
        "name": raw_input.get("label").cloned().unwrap_or(Value::Null),
        "status": status,
        "rawInput": raw_input,
        "inputContent": if finished { field("input_content") } else { Value::Null },
        "outputContent": output,
        "completionRunId": field("id"),
        "workflowRunId": null,
        "sourceType": "prompt",
        "promptVersionId": field("prompt_version_id"),
        "promptApplicationId": field("prompt_application_id"),
        "workspaceId": field("workspace_id"),
        "tags": [],
        "createdAt": field("created_at"),
        "updatedAt": field("updated_at"),
    });
    if let Some(error) = run.get("error") {
        task["error"] = error.clone();
    }
    task
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_view_of_a_run() {
        let run = json!({
            "id": "t1", "status": "succeeded", "raw_input": {"application_id": "app", "label": "n"},
            "input_content": {"variables": {"my_var": 1}},
            "output_content": {"role": "assistant", "content": {"a_b": 1}, "information": {}},
            "prompt_application_id": "app", "prompt_version_id": "v"
        });
        let task = task_of(&run);
        assert_eq!(task["status"], "completed");
        assert_eq!(task["name"], "n");
        assert_eq!(task["completionRunId"], "t1");
        assert_eq!(task["promptApplicationId"], "app");
        assert_eq!(task["rawInput"]["application_id"], "app");
        assert_eq!(
            task["outputContent"],
            json!({"role": "assistant", "content": {"a_b": 1}})
        );
        let running = task_of(&json!({"id": "t1", "status": "running", "output_content": null}));
        assert_eq!(
            (running["status"].clone(), running["outputContent"].clone()),
            (json!("running"), Value::Null)
        );
    }
}
