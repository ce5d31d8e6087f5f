//! `PATCH /task/{id}` (protocol.md §11.4): rename, retag, edit the output, approve.

use reqwest::Method;
use serde_json::{Map, Value};

use super::task_path;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::json::kind;
use crate::retry::Safety;
use crate::tela::runs::{self, check_run};
use crate::transport::{CallOptions, Request, Response};

/// The PATCH body from the face's arguments: `name`, `tags`, `output` (fields merged into the
/// output, sent as `outputContent`), `status` (only `"completed"`: approve).
pub fn patch_body(body: &Map<String, Value>) -> Result<Map<String, Value>> {
    let mut wire = Map::new();
    for (key, value) in body {
        match key.as_str() {
            "id" => {}
            "name" => match value {
                Value::String(s) if !s.trim().is_empty() => {
                    wire.insert("name".into(), value.clone());
                }
                other => {
                    return Err(Error::InvalidRequest(format!(
                        "name must be a non-empty string, got {}.",
                        kind(other)
                    )));
                }
            },
            "tags" => {
                if !value
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string))
                {
                    return Err(Error::InvalidRequest(format!(
                        "tags must be a list of strings, got {}.",
                        kind(value)
                    )));
                }
                wire.insert("tags".into(), value.clone());
            }
            "output" => {
                if !value.is_object() {
                    return Err(Error::InvalidRequest(format!(
                        "output must be a dict of the output fields to change (merged into the task's output), got {}.",
                        kind(value)
                    )));
                }
                wire.insert("outputContent".into(), value.clone());
            }
            "status" => {
                if value.as_str() != Some("completed") {
                    return Err(Error::InvalidRequest(format!(
                        "the only status a task can be set to is \"completed\" (approve()), got {value}."
                    )));
                }
                wire.insert("status".into(), value.clone());
            }
            other => {
                return Err(Error::InvalidRequest(format!(
                    "unknown argument {other:?}; tasks.update() takes name, tags and output."
                )));
            }
        }
    }
    if wire.is_empty() {
        return Err(Error::InvalidRequest(
            "nothing to update: pass name=..., tags=... or output=... (approve() approves).".into(),
        ));
    }
    Ok(wire)
}

/// Sends the PATCH and answers the task as it is now (checked and snake_cased like a run).
pub async fn update(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    let path = task_path(&runs::id_arg(&body, "task", "Task")?);
    let wire = patch_body(&body)?;
    let bytes = crate::json::to_bytes(&wire)?;
    // Setting fields is idempotent: a repeated PATCH leaves the task as one would.
    let req = Request::json(Method::PATCH, path, Some(bytes), Safety::Idempotent);
    let mut resp = client.execute(&req, opts).await?;
    check_run(&mut resp)?;
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn patch_bodies() {
        let b = patch_body(&map(
            json!({"id": "t", "name": "n", "tags": ["a"], "output": {"x": 1}}),
        ))
        .unwrap();
        assert_eq!(
            Value::Object(b),
            json!({"name": "n", "tags": ["a"], "outputContent": {"x": 1}})
        );
        let b = patch_body(&map(json!({"id": "t", "status": "completed"}))).unwrap();
        assert_eq!(Value::Object(b), json!({"status": "completed"}));
        let err = |v: Value| patch_body(&map(v)).unwrap_err().to_string();
        assert!(err(json!({"id": "t"})).contains("nothing to update"));
        assert!(err(json!({"id": "t", "status": "approved"})).contains("only status"));
        assert!(err(json!({"id": "t", "output": [1]})).contains("output must be a dict"));
        assert!(err(json!({"id": "t", "nme": "x"})).contains("unknown argument \"nme\""));
    }
}
