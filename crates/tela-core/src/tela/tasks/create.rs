//! `POST /task` (protocol.md §11.1): one task, or up to [`MAX_PER_REQUEST`] of one app.
//!
//! The arguments are the SDK's snake_case ones (`application_id`, `name`, `variables`, `tags`,
//! `webhook_url`); the wire is camelCase with the completion-style `rawInput`
//! (`{"promptApplicationId", "name", "rawInput": {"variables", "webhook_url"}, "tags"}`).
//! Files in `variables` go through the completion file pipeline (inline or vault) first.

use reqwest::Method;
use serde_json::{Map, Value};

use super::TASKS_PATH;
use super::rows::{rows_of, with_rows};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::files::FileSource;
use crate::json::{kind, merge};
use crate::retry::Safety;
use crate::tela::files::build_body;
use crate::tela::{validate_variables, validate_webhook_url};
use crate::transport::{CallOptions, Request, Response};

/// Tasks one `POST /task` may carry (protocol.md §11.1).
pub const MAX_PER_REQUEST: usize = 100;

const ITEM_KEYS: &[&str] = &["application_id", "name", "variables", "tags", "webhook_url"];

/// Creates the tasks of `body["tasks"]` (a list of argument dicts, all of one app) in one
/// request; the answer is `{"data": [task...]}` in the order sent.
pub async fn create(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    files: Vec<FileSource>,
    opts: &CallOptions,
) -> Result<Response> {
    let bytes = build_body(client, body, extra_body, files, opts, prepare).await?;
    let req = Request::json(Method::POST, TASKS_PATH, Some(bytes), Safety::CreatesWork);
    let mut resp = client.execute(&req, opts).await?;
    let rows = rows_of(&resp).map_err(|m| resp.decode_error(m))?;
    let data = rows.rows;
    resp.body = with_rows(data, Map::new());
    Ok(resp)
}

/// Checks the items and returns the bytes of `POST /task`: one object for one task, an array
/// otherwise. `extra_body` is merged into every task object.
pub fn prepare(
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
) -> Result<bytes::Bytes> {
    if let Some(k) = body.keys().find(|k| *k != "tasks") {
        return Err(Error::InvalidRequest(format!(
            "unknown argument {k:?}; expected tasks."
        )));
    }
    let items = match body.get("tasks") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) => {
            return Err(Error::InvalidRequest(
                "no tasks to create: pass at least one.".into(),
            ));
        }
        other => {
            return Err(Error::InvalidRequest(format!(
                "tasks must be a list of dicts, got {}.",
                other.map_or("nothing", kind)
            )));
        }
    };
    if items.len() > MAX_PER_REQUEST {
        return Err(Error::InvalidRequest(format!(
            "one request creates at most {MAX_PER_REQUEST} tasks, got {}; create_many() splits longer lists.",
            items.len()
        )));
    }
    let mut wire = Vec::with_capacity(items.len());
    let mut app: Option<&str> = None;
    for (i, item) in items.iter().enumerate() {
        let at = if items.len() == 1 {
            String::new()
        } else {
            format!("tasks[{i}]: ")
        };
        let Some(item) = item.as_object() else {
            return Err(Error::InvalidRequest(format!(
                "{at}a task must be a dict of create()'s arguments, got {}.",
                kind(item)
            )));
        };
        let mut task = task_object(item, &at)?;
        let this = item
            .get("application_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match app {
            Some(first) if first != this => {
                return Err(Error::InvalidRequest(format!(
                    "{at}the tasks of one request must share one application_id ({first:?} and {this:?}); \
                     create_many() groups them."
                )));
            }
            _ => app = Some(this),
        }
        if let Some(extra) = &extra_body {
            merge(&mut task, extra.clone());
        }
        wire.push(Value::Object(task));
    }
    let value = if wire.len() == 1 {
        wire.pop().unwrap_or_default()
    } else {
        Value::Array(wire)
    };
    serde_json::to_vec(&value)
        .map(bytes::Bytes::from)
        .map_err(|e| {
            Error::InvalidRequest(format!("the request body cannot be encoded as JSON: {e}"))
        })
}

/// One task's wire object from its snake_case arguments, checked.
fn task_object(item: &Map<String, Value>, at: &str) -> Result<Map<String, Value>> {
    if let Some(k) = item.keys().find(|k| !ITEM_KEYS.contains(&k.as_str())) {
        return Err(Error::InvalidRequest(format!(
            "{at}unknown argument {k:?}; a task takes {}.",
            ITEM_KEYS.join(", ")
        )));
    }
    let text = |key: &str, what: &str| -> Result<String> {
        match item.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            other => Err(Error::InvalidRequest(format!(
                "{at}{key} must be a non-empty string ({what}), got {}.",
                other.map_or("nothing", kind)
            ))),
        }
    };
    let app = text(
        "application_id",
        "the Workstation app's id, promptApplicationId",
    )?;
    let name = text("name", "the task's name, shown in Workstation")?;
    let mut task = Map::new();
    task.insert("promptApplicationId".into(), Value::String(app));
    task.insert("name".into(), Value::String(name));
    let mut raw = Map::new();
    if let Some(v) = item.get("variables") {
        validate_variables(v).map_err(|e| prefixed(at, e))?;
        raw.insert("variables".into(), v.clone());
    }
    if let Some(v) = item.get("webhook_url") {
        validate_webhook_url(v).map_err(|e| prefixed(at, e))?;
        raw.insert("webhook_url".into(), v.clone());
    }
    task.insert("rawInput".into(), Value::Object(raw));
    if let Some(v) = item.get("tags") {
        if !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) {
            return Err(Error::InvalidRequest(format!(
                "{at}tags must be a list of strings, got {}.",
                kind(v)
            )));
        }
        task.insert("tags".into(), v.clone());
    }
    Ok(task)
}

fn prefixed(at: &str, e: Error) -> Error {
    match e {
        Error::InvalidRequest(m) if !at.is_empty() => Error::InvalidRequest(format!("{at}{m}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sent(v: Value) -> Result<Value> {
        let body = v.as_object().unwrap().clone();
        prepare(body, None).map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn one_task_is_an_object_several_an_array() {
        let one = sent(json!({"tasks": [{"application_id": "app", "name": "a.pdf",
            "variables": {"doc": {"file_url": "https://x/a.pdf"}}, "tags": ["t"], "webhook_url": "https://h/w"}]}))
        .unwrap();
        assert_eq!(
            one,
            json!({"promptApplicationId": "app", "name": "a.pdf",
                "rawInput": {"variables": {"doc": {"file_url": "https://x/a.pdf"}}, "webhook_url": "https://h/w"},
                "tags": ["t"]})
        );
        let two = sent(json!({"tasks": [{"application_id": "app", "name": "a"}, {"application_id": "app", "name": "b"}]}))
            .unwrap();
        assert_eq!(two.as_array().unwrap().len(), 2);
        assert_eq!(two[1]["name"], "b");
    }

    #[test]
    fn bad_tasks_are_refused_before_sending() {
        let err = |v: Value| sent(v).unwrap_err().to_string();
        assert!(
            err(json!({"tasks": [{"name": "a"}]}))
                .contains("application_id must be a non-empty string")
        );
        assert!(err(json!({"tasks": [{"application_id": "a"}]})).contains("name must be"));
        assert!(
            err(json!({"tasks": [{"application_id": "a", "name": "n", "tag": []}]}))
                .contains("unknown argument \"tag\"")
        );
        assert!(
            err(json!({"tasks": [{"application_id": "a", "name": "n"}, {"application_id": "b", "name": "n"}]}))
                .contains("tasks[1]: the tasks of one request must share one application_id")
        );
        assert!(
            err(json!({"tasks": [{"application_id": "a", "name": "n", "tags": "x"}]}))
                .contains("tags must be a list")
        );
        assert!(
            err(json!({"tasks": [{"application_id": "a", "name": "n"}, {"application_id": "a", "name": "n", "variables": {"x": null}}]}))
                .starts_with("tasks[1]: variables[\"x\"] is None")
        );
        assert!(err(json!({"tasks": []})).contains("at least one"));
        let many: Vec<Value> = (0..101)
            .map(|i| json!({"application_id": "a", "name": format!("{i}")}))
            .collect();
        assert!(err(json!({"tasks": many})).contains("at most 100"));
    }
}
