//! `GET /task` and `POST /task/query` (protocol.md §11.2, §11.3), answered as a bare array of
//! tasks (the documented `GET /task` answer; the query's answer is undocumented and answered
//! the same way). `GET /task` pages with `limit` and `offset`.
//!
//! As emulated: list filters that take several values (`status`, `tags`, `ids`) are
//! comma-separated and match any of them; `taskName` matches a part of the name, ignoring
//! case; times compare as ISO 8601 text. Unknown query parameters are ignored.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State as Extract};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::task_view;
use crate::response::json_response;
use crate::state::{State, lock};
use crate::tela::envelope;
use crate::tela::files::Refusal;

/// `GET /task`'s page size when none is asked, and the largest.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

fn bad(code: &str, message: impl AsRef<str>) -> Response {
    envelope::error(StatusCode::BAD_REQUEST, code, message)
}

/// What a listing or a query keeps.
#[derive(Default)]
struct Filter {
    app: Option<String>,
    statuses: Vec<String>,
    tags: Vec<String>,
    ids: Vec<String>,
    approved_by: Vec<String>,
    name: Option<String>,
    version: Option<String>,
    /// (task field, since, until)
    ranges: Vec<(&'static str, Option<String>, Option<String>)>,
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

impl Filter {
    fn keeps(&self, task: &Value) -> bool {
        let any =
            |wanted: &[String], have: &str| wanted.is_empty() || wanted.iter().any(|w| w == have);
        let status = text(&task["status"]);
        let approved = !task["approvedAt"].is_null();
        let status_ok = self.statuses.is_empty()
            || self
                .statuses
                .iter()
                .any(|s| s == status || (s == "approved" && approved));
        let tags = task["tags"].as_array().cloned().unwrap_or_default();
        let tags_ok =
            self.tags.is_empty() || tags.iter().any(|t| self.tags.iter().any(|w| w == text(t)));
        let name_ok = self.name.as_ref().is_none_or(|n| {
            text(&task["name"])
                .to_lowercase()
                .contains(&n.to_lowercase())
        });
        let ranges_ok = self.ranges.iter().all(|(field, since, until)| {
            let at = task[*field].as_str();
            since
                .as_ref()
                .is_none_or(|s| at.is_some_and(|a| a >= s.as_str()))
                && until
                    .as_ref()
                    .is_none_or(|u| at.is_some_and(|a| a <= u.as_str()))
        });
        self.app
            .as_ref()
            .is_none_or(|a| text(&task["promptApplicationId"]) == a)
            && self
                .version
                .as_ref()
                .is_none_or(|v| text(&task["promptVersionId"]) == v)
            && status_ok
            && tags_ok
            && name_ok
            && ranges_ok
            && any(&self.ids, text(&task["id"]))
            && any(&self.approved_by, text(&task["approvedBy"]))
    }
}

/// Every task the filter keeps, ordered by `order_by` (`createdAt` by default) and `order`
/// (`desc` by default), then by reference and id.
fn select(state: &State, filter: &Filter, order_by: &str, desc: bool) -> Vec<Value> {
    let runs = lock(&state.runs);
    let mut tasks: Vec<Value> = runs
        .task_runs()
        .into_iter()
        .map(|(_, run)| {
            let id = text(&run["id"]);
            task_view(run, runs.reviews.get(id))
        })
        .filter(|t| filter.keeps(t))
        .collect();
    let key = |t: &Value| {
        let field = &t[order_by];
        let main = match field {
            Value::Number(n) => format!("{:020}", n.as_u64().unwrap_or_default()),
            other => text(other).to_owned(),
        };
        (
            main,
            t["reference"].as_u64().unwrap_or_default(),
            text(&t["id"]).to_owned(),
        )
    };
    tasks.sort_by_key(key);
    if desc {
        tasks.reverse();
    }
    tasks
}

fn split(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn order(value: Option<&str>) -> Result<bool, Refusal> {
    match value {
        None | Some("desc") => Ok(true),
        Some("asc") => Ok(false),
        Some(other) => Err(Box::new(bad(
            "INVALID_REQUEST",
            format!("order must be asc or desc, got {other:?}"),
        ))),
    }
}

/// `GET /task`.
pub(crate) async fn list(
    Extract(state): Extract<Arc<State>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let number = |key: &str, default: usize| match q.get(key) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| {
            Box::new(bad(
                "INVALID_REQUEST",
                format!("{key} must be a non-negative integer, got {v:?}"),
            ))
        }),
    };
    let (limit, offset) = match (number("limit", DEFAULT_LIMIT), number("offset", 0)) {
        (Ok(l), Ok(o)) if (1..=MAX_LIMIT).contains(&l) => (l, o),
        (Ok(l), Ok(_)) => {
            return bad(
                "INVALID_REQUEST",
                format!("limit must be from 1 to {MAX_LIMIT}, got {l}"),
            );
        }
        (Err(resp), _) | (_, Err(resp)) => return *resp,
    };
    let desc = match order(q.get("order").map(String::as_str)) {
        Ok(desc) => desc,
        Err(resp) => return *resp,
    };
    let get = |k: &str| q.get(k).cloned();
    let range = |field: &'static str, wire: &str| {
        (
            field,
            get(&format!("{wire}Since")),
            get(&format!("{wire}Until")),
        )
    };
    let filter = Filter {
        app: get("promptApplicationId"),
        statuses: q.get("status").map(|s| split(s)).unwrap_or_default(),
        tags: q.get("tags").map(|s| split(s)).unwrap_or_default(),
        ids: q.get("ids").map(|s| split(s)).unwrap_or_default(),
        approved_by: Vec::new(),
        name: get("taskName"),
        version: get("promptVersionId"),
        ranges: vec![
            range("createdAt", "createdAt"),
            range("approvedAt", "approvedAt"),
            range("updatedAt", "updatedAt"),
        ],
    };
    let order_by = q.get("orderBy").map_or("createdAt", String::as_str);
    let page: Vec<Value> = select(&state, &filter, order_by, desc)
        .into_iter()
        .skip(offset)
        .take(limit)
        .collect();
    json_response(StatusCode::OK, &Value::Array(page))
}

/// `POST /task/query`.
pub(crate) async fn query(Extract(state): Extract<Arc<State>>, body: Bytes) -> Response {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return bad("INVALID_REQUEST", "Request body must be a JSON object");
    };
    let strings = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let filters = body
        .get("filters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let at = |k: &str| filters.get(k).and_then(Value::as_str).map(str::to_owned);
    let filter = Filter {
        app: body
            .get("promptApplicationId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        statuses: strings(filters.get("status")),
        tags: strings(filters.get("tags")),
        approved_by: strings(filters.get("approvedBy")),
        ranges: vec![("createdAt", at("createdAtSince"), at("createdAtUntil"))],
        ..Filter::default()
    };
    let output_query = match body.get("outputQuery") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(q)) => q.clone(),
        Some(_) => return bad("INVALID_SCHEMA", "outputQuery must be an object"),
    };
    let desc = match order(body.get("order").and_then(Value::as_str)) {
        Ok(desc) => desc,
        Err(resp) => return *resp,
    };
    let order_by = body
        .get("orderBy")
        .and_then(Value::as_str)
        .unwrap_or("createdAt");
    let limit = body
        .get("limit")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |n| n as usize);
    let mut out = Vec::new();
    for task in select(&state, &filter, order_by, desc) {
        match output_matches(&task["outputContent"]["content"], &output_query) {
            Ok(true) => out.push(task),
            Ok(false) => {}
            Err(message) => return bad("INVALID_SCHEMA", message),
        }
        if out.len() >= limit {
            break;
        }
    }
    json_response(StatusCode::OK, &Value::Array(out))
}

/// Whether the output satisfies every condition: a dotted path to a value, or to an object of
/// operators (`$eq`, `$ne`, `$gt`, `$gte`, `$lt`, `$lte`, `$in`, `$nin`, `$exists`).
fn output_matches(content: &Value, query: &Map<String, Value>) -> Result<bool, String> {
    for (path, condition) in query {
        let value = path
            .split('.')
            .try_fold(content, |v, k| v.get(k))
            .unwrap_or(&Value::Null);
        let ops = condition
            .as_object()
            .filter(|o| !o.is_empty() && o.keys().all(|k| k.starts_with('$')));
        let ok = match ops {
            None => value == condition,
            Some(ops) => {
                let mut all = true;
                for (op, arg) in ops {
                    all &= compare(value, op, arg)
                        .ok_or_else(|| format!("outputQuery.{path}: unknown operator {op:?}"))?;
                }
                all
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn compare(v: &Value, op: &str, arg: &Value) -> Option<bool> {
    let order = || match (v, arg) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    };
    let within = || arg.as_array().is_some_and(|a| a.contains(v));
    Some(match op {
        "$eq" => v == arg,
        "$ne" => v != arg,
        "$gt" => order().is_some_and(|o| o.is_gt()),
        "$gte" => order().is_some_and(|o| o.is_ge()),
        "$lt" => order().is_some_and(|o| o.is_lt()),
        "$lte" => order().is_some_and(|o| o.is_le()),
        "$in" => within(),
        "$nin" => !within(),
        "$exists" => arg.as_bool() == Some(!v.is_null()),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn output_queries() {
        let content = json!({"valor": 150000, "cliente": "Acme", "addr": {"city": "Rio"}});
        let q = |v: Value| output_matches(&content, v.as_object().unwrap());
        assert_eq!(
            q(json!({"valor": {"$gte": 100000, "$lte": 500000}, "cliente": "Acme"})),
            Ok(true)
        );
        assert_eq!(q(json!({"valor": {"$gt": 150000}})), Ok(false));
        assert_eq!(q(json!({"addr.city": {"$in": ["Rio", "SP"]}})), Ok(true));
        assert_eq!(q(json!({"missing": {"$exists": false}})), Ok(true));
        assert!(
            q(json!({"valor": {"$regex": "x"}}))
                .unwrap_err()
                .contains("$regex")
        );
    }
}
