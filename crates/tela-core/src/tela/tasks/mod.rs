//! Workstation tasks (protocol.md §4.3, §11): `GET /task/{id}`, waiting for a task, and
//! `client.tasks`: [`create`](mod@create) (`POST /task`), [`list`](mod@list) (`GET /task`,
//! `POST /task/query`), [`update`](mod@update) (`PATCH /task/{id}`); [`rows`] reads task
//! answers in every envelope.
//!
//! A `submit` with `application_id` starts a task; Tela's guide polls `GET /task/{id}` with the
//! id it answered until the task is `completed` or `failed`. A task answer goes through the
//! same check as a run (a string `id` and `status`, camelCase keys made snake_case), so the
//! face reads `prompt_application_id`, `completion_run_id`, `output_content` and any other
//! field under one naming.

use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::Result;
use crate::events::EventStream;
use crate::tela::runs::wait::{Polled, wait_for};
use crate::transport::{CallOptions, Response, path_segment};

use super::runs;

pub mod create;
pub mod list;
pub mod rows;
pub mod update;

pub use create::create;
pub use list::{list, query};
pub use update::update;

pub const TASKS_PATH: &str = "/task";
pub const TASK_QUERY_PATH: &str = "/task/query";

/// How a wait reads a task.
pub const TASK: Polled = Polled {
    path: task_path,
    is_final,
    key: "task",
};

/// `GET /task/{id}`, the id percent-encoded as one path segment.
pub fn task_path(id: &str) -> String {
    format!("{TASKS_PATH}/{}", path_segment(id))
}

/// Statuses a task is still being worked in (protocol.md §4.3). Every other status (`completed`,
/// `failed`, `validating`, `approved`, or one not known yet) ends a wait: the task set is open,
/// and an unknown status that never changed would otherwise keep a wait to its deadline.
pub fn is_final(status: &str) -> bool {
    !matches!(status, "created" | "running" | "pending" | "queued")
}

/// The task as it is now (checked and snake_cased like a run).
pub async fn get(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    runs::only_keys(&body, &["id"])?;
    let path = task_path(&runs::id_arg(&body, "task", "Task")?);
    let (_, resp) = runs::get_run(client, &path, opts).await?;
    Ok(resp)
}

/// Polls `GET /task/{id}` until the task is final ([`is_final`]), with the policy of a run's
/// wait; each event is `{"task": {...}, ...}`.
pub async fn wait(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<EventStream> {
    wait_for(client, body, opts, TASK).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_paths_and_statuses() {
        assert_eq!(task_path("a/b c"), "/task/a%2Fb%20c");
        assert!(is_final("completed") && is_final("failed") && is_final("validating"));
        assert!(!is_final("running") && !is_final("created"));
    }
}
