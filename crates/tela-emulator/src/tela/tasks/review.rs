//! `PATCH /task/{id}` (protocol.md §11.4): `name`, `tags`, `outputContent` (deep-merged into
//! the output, each changed path recorded in `metadata.editedFields`) and `status:
//! "completed"` (approve: `approvedAt`, `approvedBy`). A `running` task answers 400
//! `UPDATE_FAILED`; so does editing or approving a `failed` one (the emulator's choice).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::{API_USER, not_found, view};
use crate::clock::{iso8601, unix_ms};
use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::envelope;
use crate::tela::files::Refusal;

fn invalid(message: impl AsRef<str>) -> Refusal {
    Box::new(envelope::error(
        StatusCode::BAD_REQUEST,
        "INVALID_SCHEMA",
        message,
    ))
}

fn check(patch: &Map<String, Value>) -> Result<(), Refusal> {
    for (k, v) in patch {
        let ok = match k.as_str() {
            "name" => v.as_str().is_some_and(|s| !s.trim().is_empty()),
            "tags" => v.as_array().is_some_and(|t| t.iter().all(Value::is_string)),
            "outputContent" => v.is_object() || v.is_null(),
            "status" => {
                if v.as_str() != Some("completed") {
                    return Err(invalid("status can only be set to \"completed\" (approve)"));
                }
                true
            }
            other => {
                return Err(invalid(format!(
                    "unknown field {other:?}: a task update takes name, tags, outputContent and status"
                )));
            }
        };
        if !ok {
            return Err(invalid(format!("{k} has the wrong type")));
        }
    }
    Ok(())
}

pub(crate) async fn update(
    Extract(state): Extract<Arc<State>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(Value::Object(patch)) = serde_json::from_slice::<Value>(&body) else {
        return envelope::error(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "Request body must be a JSON object",
        );
    };
    if let Err(resp) = check(&patch) {
        return *resp;
    }
    let mut runs = lock(&state.runs);
    let Some(task) = view(&runs, &id) else {
        return not_found();
    };
    let status = task["status"].as_str().unwrap_or_default();
    if status == "running" {
        return envelope::error(
            StatusCode::BAD_REQUEST,
            "UPDATE_FAILED",
            "The task is still running; update it once it has finished",
        );
    }
    let edits_output = patch.get("outputContent").is_some_and(Value::is_object);
    if status == "failed" && (edits_output || patch.contains_key("status")) {
        return envelope::error(
            StatusCode::BAD_REQUEST,
            "UPDATE_FAILED",
            "The task failed: it has no output to edit or approve",
        );
    }
    let now = unix_ms();
    let review = runs.reviews.entry(id.clone()).or_default();
    for key in ["name", "tags"] {
        if let Some(v) = patch.get(key) {
            review.insert(key.into(), v.clone());
        }
    }
    if let Some(Value::Object(fields)) = patch.get("outputContent") {
        let mut content = task["outputContent"]["content"].clone();
        let mut edits = Vec::new();
        merge(&mut content, fields, "", &mut edits);
        let mut all = task["metadata"]["editedFields"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        all.extend(edits.into_iter().map(|(path, previous)| {
            json!({"path": path, "author": API_USER, "editedAt": iso8601(now), "previousValue": previous})
        }));
        review.insert("content".into(), content);
        review.insert("metadata".into(), json!({"editedFields": all}));
    }
    if patch.contains_key("status") {
        review.insert("approvedAt".into(), Value::String(iso8601(now)));
        review.insert("approvedBy".into(), Value::String(API_USER.into()));
    }
    runs.update(&id, now, |_| {});
    match view(&runs, &id) {
        Some(task) => json_response(StatusCode::OK, &task),
        None => not_found(),
    }
}

/// Overlays `fields` onto `dst` key by key (objects merge; arrays of the same length merge
/// item by item, others are replaced whole), recording each changed path and its old value.
fn merge(dst: &mut Value, fields: &Map<String, Value>, at: &str, edits: &mut Vec<(String, Value)>) {
    if !dst.is_object() {
        edits.push((at.to_owned(), dst.clone()));
        *dst = Value::Object(Map::new());
    }
    let Some(obj) = dst.as_object_mut() else {
        return;
    };
    for (k, v) in fields {
        let path = if at.is_empty() {
            k.clone()
        } else {
            format!("{at}.{k}")
        };
        let old = obj.entry(k.clone()).or_insert(Value::Null);
        merge_value(old, v, &path, edits);
    }
}

fn merge_value(old: &mut Value, new: &Value, path: &str, edits: &mut Vec<(String, Value)>) {
    if let (Value::Object(_), Value::Object(fields)) = (&*old, new) {
        return merge(old, fields, path, edits);
    }
    if let (Value::Array(a), Value::Array(b)) = (&mut *old, new)
        && a.len() == b.len()
    {
        for (i, (x, y)) in a.iter_mut().zip(b).enumerate() {
            merge_value(x, y, &format!("{path}.{i}"), edits);
        }
        return;
    }
    if *old != *new {
        edits.push((path.to_owned(), old.clone()));
        *old = new.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_merge_records_each_changed_path() {
        let mut content = json!({"client": "Acme Corp", "total": 5, "address": {"city": "Rio", "zip": "1"}, "lines": [1, 2]});
        let patch = json!({"client": "Acme Corporation", "total": 5, "address": {"city": "São Paulo"}, "lines": [1, 3], "new": true});
        let mut edits = Vec::new();
        merge(&mut content, patch.as_object().unwrap(), "", &mut edits);
        assert_eq!(
            content,
            json!({"client": "Acme Corporation", "total": 5, "address": {"city": "São Paulo", "zip": "1"}, "lines": [1, 3], "new": true})
        );
        let paths: Vec<&str> = edits.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["client", "address.city", "lines.1", "new"]);
        assert_eq!(edits[0].1, json!("Acme Corp"));
        let mut content = json!({"lines": [1, 2]});
        let mut edits = Vec::new();
        merge(
            &mut content,
            json!({"lines": [9]}).as_object().unwrap(),
            "",
            &mut edits,
        );
        assert_eq!((content, edits.len()), (json!({"lines": [9]}), 1));
    }
}
