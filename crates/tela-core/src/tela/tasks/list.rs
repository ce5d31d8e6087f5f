//! `GET /task` (one page of a listing) and `POST /task/query` (protocol.md §11.2, §11.3).
//!
//! The face's snake_case arguments are checked and renamed to the camelCase wire names here,
//! before any request. A list answer, whatever its envelope, becomes
//! `{"data": [task...], "has_more", "next_cursor", ...}`; `next_cursor` is the offset of
//! the next page (as a string) or null.

use reqwest::Method;
use serde_json::{Map, Value};

use super::rows::{has_more, rows_of, with_rows};
use super::{TASK_QUERY_PATH, TASKS_PATH};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::json::kind;
use crate::retry::Safety;
use crate::transport::{CallOptions, Request, Response};

/// The page size `list` asks for when none is given, and the largest it accepts.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 100;

/// `list`'s filters: the SDK's name, the wire's, and whether a list of strings is accepted
/// (sent comma-separated).
const FILTERS: &[(&str, &str, bool)] = &[
    ("application_id", "promptApplicationId", false),
    ("status", "status", true),
    ("tags", "tags", true),
    ("name", "taskName", false),
    ("ids", "ids", true),
    ("prompt_version_id", "promptVersionId", false),
    ("created_after", "createdAtSince", false),
    ("created_before", "createdAtUntil", false),
    ("approved_after", "approvedAtSince", false),
    ("approved_before", "approvedAtUntil", false),
    ("updated_after", "updatedAtSince", false),
    ("updated_before", "updatedAtUntil", false),
    ("order_by", "orderBy", false),
    ("order", "order", false),
];

fn names() -> String {
    let mut all: Vec<&str> = FILTERS.iter().map(|f| f.0).collect();
    all.extend(["limit", "offset"]);
    all.join(", ")
}

/// A query string's pairs.
pub type Query = Vec<(String, String)>;

/// The query of `GET /task`, and the page's offset and size.
pub fn list_query(body: &Map<String, Value>) -> Result<(Query, u64, u64)> {
    let mut query = Vec::new();
    let (mut offset, mut limit) = (0, DEFAULT_PAGE_SIZE);
    for (key, value) in body {
        match key.as_str() {
            "limit" => {
                limit = value
                    .as_u64()
                    .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                    .ok_or_else(|| {
                        Error::InvalidRequest(format!(
                            "limit (the page size) must be an integer from 1 to {MAX_PAGE_SIZE}, got {value}."
                        ))
                    })?;
                continue;
            }
            "offset" => {
                offset = value.as_u64().ok_or_else(|| {
                    Error::InvalidRequest(format!(
                        "offset must be a non-negative integer, got {value}."
                    ))
                })?;
                continue;
            }
            _ => {}
        }
        let Some(&(_, wire, lists)) = FILTERS.iter().find(|f| f.0 == key) else {
            return Err(Error::InvalidRequest(format!(
                "unknown argument {key:?}; tasks.list() takes {}.",
                names()
            )));
        };
        let text = match value {
            Value::String(s) if !s.trim().is_empty() => s.clone(),
            Value::Array(items) if lists && !items.is_empty() => {
                let strings: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
                match strings {
                    Some(s) => s.join(","),
                    None => {
                        return Err(Error::InvalidRequest(format!(
                            "{key} must be a string or a list of strings, got a list holding {}.",
                            items.iter().find(|v| !v.is_string()).map_or("?", kind)
                        )));
                    }
                }
            }
            other => {
                let want = if lists {
                    "a non-empty string or list of strings"
                } else {
                    "a non-empty string"
                };
                return Err(Error::InvalidRequest(format!(
                    "{key} must be {want}, got {}.",
                    kind(other)
                )));
            }
        };
        if key == "order" && !matches!(text.as_str(), "asc" | "desc") {
            return Err(Error::InvalidRequest(format!(
                "order must be \"asc\" or \"desc\", got {text:?}."
            )));
        }
        query.push((wire.to_owned(), text));
    }
    query.push(("limit".into(), limit.to_string()));
    query.push(("offset".into(), offset.to_string()));
    Ok((query, offset, limit))
}

/// One page of `GET /task`.
pub async fn list(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    let (query, offset, limit) = list_query(&body)?;
    let mut req = Request::json(Method::GET, TASKS_PATH, None, Safety::Idempotent);
    req.query = query;
    let mut resp = client.execute(&req, opts).await?;
    let rows = rows_of(&resp).map_err(|m| resp.decode_error(m))?;
    let more = has_more(&rows, offset, limit);
    let next = offset + rows.rows.len() as u64;
    let mut extra = rows.rest;
    extra.insert("has_more".into(), Value::Bool(more));
    extra.insert(
        "next_cursor".into(),
        if more {
            Value::String(next.to_string())
        } else {
            Value::Null
        },
    );
    resp.body = with_rows(rows.rows, extra);
    Ok(resp)
}

/// The body of `POST /task/query` from `query`'s arguments.
pub fn query_body(body: &Map<String, Value>) -> Result<Map<String, Value>> {
    let mut wire = Map::new();
    for (key, value) in body {
        let (name, ok, want) = match key.as_str() {
            "application_id" => (
                "promptApplicationId",
                value.as_str().is_some_and(|s| !s.trim().is_empty()),
                "a non-empty string",
            ),
            "filters" => ("filters", value.is_object(), "a dict"),
            "output_query" => ("outputQuery", value.is_object(), "a dict"),
            "order_by" => ("orderBy", value.is_string(), "a string"),
            "order" => (
                "order",
                matches!(value.as_str(), Some("asc" | "desc")),
                "\"asc\" or \"desc\"",
            ),
            "limit" => (
                "limit",
                value.as_u64().is_some_and(|n| n >= 1),
                "a positive integer",
            ),
            other => {
                return Err(Error::InvalidRequest(format!(
                    "unknown argument {other:?}; tasks.query() takes application_id, filters, output_query, order_by, order and limit."
                )));
            }
        };
        if !ok {
            return Err(Error::InvalidRequest(format!(
                "{key} must be {want}, got {}.",
                match value {
                    Value::String(s) => format!("{s:?}"),
                    other => kind(other).to_owned(),
                }
            )));
        }
        wire.insert(name.into(), value.clone());
    }
    Ok(wire)
}

/// `POST /task/query`: the matching tasks as `{"data": [task...], ...}` (its answer's shape
/// is undocumented: an array or an envelope are read alike).
pub async fn query(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    let wire = query_body(&body)?;
    let bytes = crate::json::to_bytes(&wire)?;
    let req = Request::json(
        Method::POST,
        TASK_QUERY_PATH,
        Some(bytes),
        Safety::Idempotent,
    );
    let mut resp = client.execute(&req, opts).await?;
    let rows = rows_of(&resp).map_err(|m| resp.decode_error(m))?;
    resp.body = with_rows(rows.rows, rows.rest);
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
    fn list_arguments_become_the_wire_query() {
        let (q, offset, limit) = list_query(&map(json!({
            "application_id": "app", "status": ["completed", "failed"], "tags": "a",
            "created_after": "2026-01-01T00:00:00Z", "offset": 100, "limit": 20
        })))
        .unwrap();
        assert_eq!((offset, limit), (100, 20));
        for pair in [
            ("promptApplicationId", "app"),
            ("status", "completed,failed"),
            ("tags", "a"),
            ("createdAtSince", "2026-01-01T00:00:00Z"),
            ("limit", "20"),
            ("offset", "100"),
        ] {
            assert!(
                q.contains(&(pair.0.to_owned(), pair.1.to_owned())),
                "{pair:?} in {q:?}"
            );
        }
        let err = |v: Value| list_query(&map(v)).unwrap_err().to_string();
        assert!(err(json!({"app": "x"})).contains("takes application_id"));
        assert!(err(json!({"limit": 0})).contains("1 to 100"));
        assert!(err(json!({"offset": -1})).contains("non-negative"));
        assert!(err(json!({"application_id": ["a"]})).contains("a non-empty string, got list"));
        assert!(err(json!({"tags": [1]})).contains("list holding int"));
        assert!(err(json!({"order": "up"})).contains("\"asc\" or \"desc\""));
    }

    #[test]
    fn query_arguments_become_the_wire_body() {
        let b = query_body(&map(json!({"application_id": "app", "filters": {"status": ["completed"]},
            "output_query": {"valor": {"$gte": 1}}, "order_by": "createdAt", "order": "desc", "limit": 5})))
        .unwrap();
        assert_eq!(
            Value::Object(b),
            json!({"promptApplicationId": "app", "filters": {"status": ["completed"]},
                "outputQuery": {"valor": {"$gte": 1}}, "orderBy": "createdAt", "order": "desc", "limit": 5})
        );
        let err = |v: Value| query_body(&map(v)).unwrap_err().to_string();
        assert!(err(json!({"filters": []})).contains("filters must be a dict"));
        assert!(err(json!({"outputQuery": {}})).contains("unknown argument \"outputQuery\""));
    }
}
