//! `POST /task` (protocol.md §11.1): one task object, or an array of up to 100 of one app.
//! Each runs the app's canvas like an `application_id` completion (the same checks of its
//! variables and files); the answer is the array of created tasks, `running`, in order.
//!
//! Not emulated (a 400 says so): import mode (`outputContent` given: stored `validating`
//! without a run) and agent batches (`sourceType: "agent"`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};

use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::completions::missing_variables;
use crate::tela::envelope;
use crate::tela::files::Refusal;
use crate::tela::registry::Target;
use crate::tela::request::CompletionRequest;
use crate::tela::{files, runs};

/// Tasks one request may create (protocol.md §11.1).
const MAX_TASKS: usize = 100;

fn invalid(message: impl AsRef<str>) -> Refusal {
    Box::new(envelope::error(
        StatusCode::BAD_REQUEST,
        "INVALID_SCHEMA",
        message,
    ))
}

/// One task of the body, checked.
struct Item {
    app: String,
    name: String,
    raw: Map<String, Value>,
    tags: Value,
}

fn item(i: usize, v: &Value) -> Result<Item, Refusal> {
    let at = format!("task {i}: ");
    let Some(o) = v.as_object() else {
        return Err(invalid(format!("{at}must be an object")));
    };
    if o.get("sourceType").and_then(Value::as_str) == Some("agent") {
        return Err(invalid(
            "agent batches (sourceType \"agent\") are not emulated",
        ));
    }
    if o.get("outputContent").is_some_and(|v| !v.is_null()) {
        return Err(invalid(
            "import mode (outputContent on create) is not emulated",
        ));
    }
    let text = |key: &str| match o.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(invalid(format!(
            "{at}{key} is required and must be a non-empty string"
        ))),
    };
    let app = text("promptApplicationId")?;
    let name = text("name")?;
    let raw = match o.get("rawInput") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(raw)) => raw.clone(),
        Some(_) => return Err(invalid(format!("{at}rawInput must be an object"))),
    };
    let tags = match o.get("tags") {
        None | Some(Value::Null) => json!([]),
        Some(Value::Array(t)) if t.iter().all(Value::is_string) => Value::Array(t.clone()),
        Some(_) => return Err(invalid(format!("{at}tags must be an array of strings"))),
    };
    Ok(Item {
        app,
        name,
        raw,
        tags,
    })
}

/// The run of one task: its completion request and target, checked like a completion's.
fn planned(state: &State, item: &Item) -> Result<(CompletionRequest, Target), Refusal> {
    let mut body = item.raw.clone();
    body.insert("application_id".into(), Value::String(item.app.clone()));
    for key in [
        "canvas_id",
        "version_id",
        "environment_name",
        "stream",
        "async",
    ] {
        body.remove(key);
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let mut request = CompletionRequest::parse(&bytes).map_err(|i| Box::new(i.response()))?;
    let target = lock(&state.registry)
        .by_application(&item.app)
        .map_err(|m| {
            Box::new(envelope::error(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                m.message(),
            ))
        })?;
    if !(state.allow_missing_variables || target.canvas.allow_missing_variables)
        && let Some(invalid) = missing_variables(&target, &request.variables)
    {
        return Err(Box::new(invalid.response()));
    }
    request.files = files::resolve(state, &request.variables, &request.messages)?;
    Ok((request, target))
}

pub(crate) async fn create(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let items: Vec<Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items,
        Ok(one @ Value::Object(_)) => vec![one],
        _ => {
            return envelope::error(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "Request body must be a task object or an array of task objects",
            );
        }
    };
    if items.is_empty() || items.len() > MAX_TASKS {
        return *invalid(format!(
            "between 1 and {MAX_TASKS} tasks per request, got {}",
            items.len()
        ));
    }
    let mut checked = Vec::with_capacity(items.len());
    for (i, v) in items.iter().enumerate() {
        match item(i, v) {
            Ok(item) => checked.push(item),
            Err(resp) => return *resp,
        }
    }
    if checked.iter().any(|t| t.app != checked[0].app) {
        return *invalid("all tasks of a request must have the same promptApplicationId");
    }
    // Everything is checked before anything runs: a refused request creates nothing.
    let mut plans = Vec::with_capacity(checked.len());
    for item in &checked {
        match planned(&state, item) {
            Ok(plan) => plans.push(plan),
            Err(resp) => return *resp,
        }
    }
    let mut answer = Vec::with_capacity(plans.len());
    for (item, (request, target)) in checked.into_iter().zip(plans) {
        let task = runs::begin(state.clone(), target, request, headers.clone());
        let id = task["id"].as_str().unwrap_or_default().to_owned();
        let mut runs = lock(&state.runs);
        let reference = runs
            .task_runs()
            .iter()
            .filter(|(app, _)| *app == item.app)
            .count();
        let mut review = Map::new();
        review.insert("name".into(), Value::String(item.name));
        review.insert("tags".into(), item.tags);
        review.insert("reference".into(), json!(reference));
        runs.reviews.insert(id.clone(), review);
        answer.extend(super::view(&runs, &id));
    }
    json_response(StatusCode::OK, &Value::Array(answer))
}
