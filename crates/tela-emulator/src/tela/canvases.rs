//! Canvases, versions and environments (protocol.md §9), camelCase on the wire:
//! `GET /prompt`, `GET /prompt/{id}`, `GET /prompt/{id}/promoted-version`,
//! `GET /prompt/{id}/latest-version`, `GET /prompt-version/{id}`, `GET /prompt-version/history`,
//! `GET /environment/version` and `POST /environment/publish-by-name`.
//!
//! What is served beyond the documented fields is kept small: a canvas row (`id`, `title`,
//! `projectId`, timestamps), the version object of the docs examples, and `environments` as
//! `[{"name"}]` (the real item shape is Unknown, protocol.md §9.1). Errors use Tela's envelope.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State as Extract};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::registry::{Canvas, Missing, Registry, Version, valid_environment_name};
use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::envelope;

fn not_found(missing: Missing) -> Response {
    envelope::error(StatusCode::NOT_FOUND, "NOT_FOUND", missing.message())
}

fn bad_request(message: impl AsRef<str>) -> Response {
    envelope::error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
}

/// A canvas row (`GET /prompt`, `GET /prompt/{id}`).
fn canvas_json(c: &Canvas) -> Value {
    let last = c.versions.last().map(|v| v.id.clone());
    json!({
        "id": c.id,
        "title": c.title,
        "projectId": c.project_id,
        "createdAt": c.created_at,
        "updatedAt": c.created_at,
        "deletedAt": null,
        "lastVersion": last,
    })
}

/// The version object (protocol.md §9.1) with the environments serving it.
fn version_json(registry: &Registry, canvas: &Canvas, v: &Version) -> Value {
    let structured = match &v.output_schema {
        Some(schema) => json!({"enabled": true, "schema": schema}),
        None => json!({"enabled": false, "schema": {}}),
    };
    let promoted = registry
        .environments_serving(&canvas.id, &v.id)
        .iter()
        .any(|n| n == "production");
    let environments: Vec<Value> = registry
        .environments_serving(&canvas.id, &v.id)
        .into_iter()
        .map(|name| json!({"name": name}))
        .collect();
    json!({
        "id": v.id,
        "promptId": canvas.id,
        "title": v.title,
        "content": v.template,
        "configuration": {"model": canvas.model, "type": "chat", "structuredOutput": structured},
        "variables": v.variables,
        "promoted": promoted,
        "draft": false,
        "versionIndex": v.index,
        "environments": environments,
        "createdAt": v.created_at,
        "updatedAt": v.created_at,
    })
}

/// `GET /prompt?projectId=`: every canvas, as a bare array (protocol.md §9.2).
pub(crate) async fn list(
    Extract(state): Extract<Arc<State>>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let registry = lock(&state.registry);
    let rows: Vec<Value> = registry
        .canvases(query.get("projectId").map(String::as_str))
        .iter()
        .map(|c| canvas_json(c))
        .collect();
    json_response(StatusCode::OK, &Value::Array(rows))
}

/// `GET /prompt/{id}`.
pub(crate) async fn get(Extract(state): Extract<Arc<State>>, Path(id): Path<String>) -> Response {
    match lock(&state.registry).canvas(&id) {
        Some(c) => json_response(StatusCode::OK, &canvas_json(&c)),
        None => not_found(Missing::Canvas),
    }
}

/// `GET /prompt/{id}/promoted-version`: the version `production` serves.
pub(crate) async fn promoted(
    Extract(state): Extract<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    let registry = lock(&state.registry);
    match registry.by_canvas(&id, None) {
        Ok(t) => json_response(
            StatusCode::OK,
            &version_json(&registry, &t.canvas, &t.version),
        ),
        Err(Missing::Canvas) => not_found(Missing::Canvas),
        Err(_) => envelope::error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No promoted version found for this canvas",
        ),
    }
}

/// `GET /prompt/{id}/latest-version`: the newest version, with `previousVersionId`.
pub(crate) async fn latest(
    Extract(state): Extract<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    let registry = lock(&state.registry);
    let Some(canvas) = registry.canvas(&id) else {
        return not_found(Missing::Canvas);
    };
    let Some(last) = canvas.versions.last() else {
        return not_found(Missing::Version);
    };
    let mut body = version_json(&registry, &canvas, last);
    let previous = canvas
        .versions
        .len()
        .checked_sub(2)
        .map(|i| canvas.versions[i].id.clone());
    body["previousVersionId"] = json!(previous);
    json_response(StatusCode::OK, &body)
}

/// `GET /prompt-version/{id}`.
pub(crate) async fn version(
    Extract(state): Extract<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    let registry = lock(&state.registry);
    match registry.by_version(&id) {
        Ok(t) => json_response(
            StatusCode::OK,
            &version_json(&registry, &t.canvas, &t.version),
        ),
        Err(missing) => not_found(missing),
    }
}

/// `GET /prompt-version/history?promptId=&limit=&offset=`: newest first, without content or
/// configuration, as a bare array (protocol.md §9.2).
pub(crate) async fn history(
    Extract(state): Extract<Arc<State>>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(canvas_id) = query.get("promptId").filter(|s| !s.is_empty()) else {
        return bad_request("promptId is required");
    };
    let limit = match query.get("limit").map(|s| s.parse::<usize>()) {
        None => 20,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return bad_request("limit must be an integer from 1 to 100"),
    };
    let offset = match query.get("offset").map(|s| s.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return bad_request("offset must be a non-negative integer"),
    };
    let registry = lock(&state.registry);
    let Some(canvas) = registry.canvas(canvas_id) else {
        return not_found(Missing::Canvas);
    };
    let rows: Vec<Value> = canvas
        .versions
        .iter()
        .rev()
        .skip(offset)
        .take(limit)
        .map(|v| {
            let mut row = version_json(&registry, &canvas, v);
            if let Some(obj) = row.as_object_mut() {
                for heavy in ["content", "configuration", "variables"] {
                    obj.remove(heavy);
                }
            }
            row["originVersionId"] = Value::Null;
            row
        })
        .collect();
    json_response(StatusCode::OK, &Value::Array(rows))
}

/// `GET /environment/version?resourceType=prompt&resourceId=&envName=`: the version an
/// environment serves, in full.
pub(crate) async fn environment_version(
    Extract(state): Extract<Arc<State>>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let (Some(canvas_id), Some(env)) = (query.get("resourceId"), query.get("envName")) else {
        return bad_request("resourceId and envName are required");
    };
    if query.get("resourceType").is_some_and(|t| t != "prompt") {
        return bad_request("resourceType must be \"prompt\"");
    }
    let registry = lock(&state.registry);
    match registry.by_canvas(canvas_id, Some(env)) {
        Ok(t) => json_response(
            StatusCode::OK,
            &version_json(&registry, &t.canvas, &t.version),
        ),
        Err(missing) => not_found(missing),
    }
}

/// `POST /environment/publish-by-name`.
pub(crate) async fn publish(
    Extract(state): Extract<Arc<State>>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("The body must be a JSON object");
    };
    let text = |k: &str| req.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let (Some(canvas_id), Some(env), Some(version_id)) =
        (text("resourceId"), text("envName"), text("versionId"))
    else {
        return bad_request("resourceId, envName and versionId are required strings");
    };
    if text("resourceType").is_some_and(|t| t != "prompt") || !req.contains_key("resourceType") {
        return bad_request("resourceType must be \"prompt\"");
    }
    if !valid_environment_name(env) {
        return bad_request(
            "envName must be lowercase letters and digits with single hyphens, at most 64 characters",
        );
    }
    let auto_create = req
        .get("autoCreate")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut registry = lock(&state.registry);
    let version = match registry.publish(canvas_id, env, version_id, auto_create) {
        Ok(v) => v,
        Err(missing) => return not_found(missing),
    };
    let Some(canvas) = registry.canvas(canvas_id) else {
        return not_found(Missing::Canvas);
    };
    let body = json!({
        "environment": {"name": env, "resourceType": "prompt", "resourceId": canvas_id,
                        "currentVersionId": version.id},
        "version": version_json(&registry, &canvas, &version),
    });
    json_response(StatusCode::OK, &body)
}
