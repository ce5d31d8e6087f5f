//! Workstation tasks (protocol.md §4.3, §11). A `POST /v2/chat/completions` with
//! `application_id`, or a `POST /task` (`create`), starts a task: the emulator keeps it as the
//! run it also is, under one id, so the task id is both what `GET /task/{id}` reads and the
//! task's `completionRunId`. What review does to a task (its name and tags, output edits,
//! approval: `review`) is kept beside the run, in `Runs::reviews`. `GET /task` and
//! `POST /task/query` are in `list`. The task object is camelCase at the top level; `rawInput`
//! and the user's data keep their keys (protocol.md §4.4).
//!
//! Status, as emulated: the run's `created`/`running` are the task's, `succeeded` is
//! `completed`, `failed` is `failed` (with the run's `error`, an undocumented shape). Approval
//! leaves a `completed` task `completed` and sets `approvedAt`/`approvedBy`.

mod create;
mod list;
mod review;

pub(crate) use create::create;
pub(crate) use list::{list, query};
pub(crate) use review::update;

use std::sync::Arc;

use axum::extract::{Path, State as Extract};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::envelope;
use crate::tela::runs::store::Runs;

/// Who the emulated API key is: the `createdBy`, `approvedBy` and edit `author` of tasks.
pub(crate) const API_USER: &str = "api@emulator.tela.local";

/// `GET /task/{id}`.
pub(crate) async fn retrieve(
    Extract(state): Extract<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    match view(&lock(&state.runs), &id) {
        Some(task) => json_response(StatusCode::OK, &task),
        None => not_found(),
    }
}

pub(crate) fn not_found() -> Response {
    envelope::error(StatusCode::NOT_FOUND, "NOT_FOUND", "Task not found")
}

/// The task `id` as it is now, review included.
pub(crate) fn view(runs: &Runs, id: &str) -> Option<Value> {
    let run = runs.get_task(id)?;
    Some(task_view(&run, runs.reviews.get(id)))
}

/// The task view of an application run, before any review.
pub(crate) fn task_of(run: &Value) -> Value {
    task_view(run, None)
}

/// The task view of an application run and what review did to it: `name`, `tags`,
/// `reference`, `approvedAt`, `approvedBy` and `metadata` replace the run's; `content` is
/// the edited output (the run's stays as `originalOutputContent`).
pub(crate) fn task_view(run: &Value, review: Option<&Map<String, Value>>) -> Value {
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
        "outputContent": output.clone(),
        "completionRunId": field("id"),
        "workflowRunId": null,
        "sourceType": "prompt",
        "promptVersionId": field("prompt_version_id"),
        "promptApplicationId": field("prompt_application_id"),
        "workspaceId": field("workspace_id"),
        "tags": raw_input.get("tags").filter(|t| t.is_array()).cloned().unwrap_or(json!([])),
        "originalOutputContent": output.clone(),
        "createdBy": API_USER,
        "approvedBy": null,
        "approvedAt": null,
        "metadata": {"editedFields": []},
        "createdAt": field("created_at"),
        "updatedAt": field("updated_at"),
    });
    if let Some(error) = run.get("error") {
        task["error"] = error.clone();
    }
    for (k, v) in review.into_iter().flatten() {
        if k == "content" {
            if let Some(out) = task["outputContent"].as_object_mut() {
                out.insert("content".into(), v.clone());
            }
        } else {
            task[k] = v.clone();
        }
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
