//! Task answers in every shape the server may use (protocol.md §11.2): `POST /task` answers an
//! array (one object accepted too), `GET /task` an array or an envelope with page metadata,
//! `POST /task/query` an undocumented shape. Each row must be a task (a string `id` and
//! `status`) and is made snake_case like a run.

use serde_json::{Map, Value};

use crate::json::split_rows;
use crate::tela::runs::{run_shape_problem, snake_keys};

/// Envelope keys that may hold the rows; the first array found wins.
const ROW_KEYS: &[&str] = &["data", "tasks", "items", "results", "rows"];

/// The rows of an answer, and the other keys of its envelope (snake_case).
#[derive(Debug)]
pub struct Rows {
    pub rows: Vec<Value>,
    pub rest: Map<String, Value>,
}

/// The tasks of an answer body, checked.
pub fn rows_of(resp: &crate::transport::Response) -> Result<Rows, String> {
    let v: Value =
        serde_json::from_slice(&resp.body).map_err(|e| format!("the body is not JSON ({e})"))?;
    rows_of_value(v)
}

pub fn rows_of_value(v: Value) -> Result<Rows, String> {
    let (rows, rest) = match v {
        Value::Array(rows) => (rows, Map::new()),
        Value::Object(o) if o.get("id").is_some_and(Value::is_string) => {
            (vec![Value::Object(o)], Map::new())
        }
        other => {
            let (rows, o) = split_rows(other, ROW_KEYS, "tasks")?;
            let rest = match snake_keys(Value::Object(o)) {
                Value::Object(rest) => rest,
                _ => Map::new(),
            };
            (rows, rest)
        }
    };
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let ok = matches!(
            (row.get("id"), row.get("status")),
            (Some(Value::String(_)), Some(Value::String(_)))
        );
        if !ok {
            let text = row.to_string();
            return Err(format!(
                "task {i} of the answer: expected a task object with a string id and status, got {}",
                text.chars().take(200).collect::<String>()
            ));
        }
        let row = snake_keys(row);
        if let Some(problem) = run_shape_problem(&row) {
            return Err(format!("task {i} of the answer: {problem}"));
        }
        out.push(row);
    }
    Ok(Rows { rows: out, rest })
}

/// `{"data": rows, ...extra}` as a body.
pub fn with_rows(rows: Vec<Value>, extra: Map<String, Value>) -> bytes::Bytes {
    let mut page = Map::new();
    page.insert("data".into(), Value::Array(rows));
    for (k, v) in extra {
        page.entry(k).or_insert(v);
    }
    bytes::Bytes::from(Value::Object(page).to_string())
}

/// Whether a list page that started at `offset` and asked `limit` rows has a next page, read
/// from the envelope's metadata when there is any (`has_more`; `current_page` and
/// `total_pages`; `total`/`total_count`), at the top level or under `meta`/`pagination`; a
/// bare array has more when it is full. An empty page never has more.
pub fn has_more(rows: &Rows, offset: u64, limit: u64) -> bool {
    let len = rows.rows.len() as u64;
    if len == 0 {
        return false;
    }
    let nested = ["meta", "pagination"]
        .iter()
        .filter_map(|k| rows.rest.get(*k).and_then(Value::as_object));
    let scopes: Vec<&Map<String, Value>> = std::iter::once(&rows.rest).chain(nested).collect();
    let find = |names: &[&str]| {
        scopes
            .iter()
            .find_map(|s| names.iter().find_map(|n| s.get(*n)))
    };
    let number = |names: &[&str]| find(names).and_then(Value::as_u64);
    if let Some(Value::Bool(b)) = find(&["has_more", "has_next_page", "has_next"]) {
        return *b;
    }
    if let (Some(page), Some(pages)) = (
        number(&["current_page", "page"]),
        number(&["total_pages", "page_count"]),
    ) {
        return page < pages;
    }
    if let Some(total) = number(&["total", "total_count", "total_items"]) {
        return offset + len < total;
    }
    len >= limit
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(v: Value) -> Rows {
        rows_of_value(v).unwrap()
    }

    #[test]
    fn every_shape_gives_snake_case_tasks() {
        let t = json!({"id": "t", "status": "running", "promptApplicationId": "a", "outputContent": null});
        for v in [
            json!([t.clone()]),
            t.clone(),
            json!({"data": [t.clone()], "meta": {"currentPage": 1}}),
            json!({"tasks": [t.clone()]}),
            json!({"items": [t.clone()]}),
        ] {
            let r = rows(v.clone());
            assert_eq!(r.rows.len(), 1, "{v}");
            assert_eq!(r.rows[0]["prompt_application_id"], "a");
        }
        let r = rows(json!({"data": [], "meta": {"totalPages": 2}}));
        assert_eq!(r.rest["meta"]["total_pages"], 2);
        for (bad, says) in [
            (json!({"nope": 1}), "\"nope\""),
            (json!(5), "got int"),
            (json!([{"id": "t"}]), "task 0 of the answer"),
            (
                json!([{"id": "t", "status": "x", "outputContent": 5}]),
                "output_content",
            ),
        ] {
            let err = rows_of_value(bad.clone()).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn paging_reads_the_metadata_or_a_full_page() {
        let t = json!({"id": "t", "status": "completed"});
        let page = |v: Value| rows(v);
        assert!(has_more(&page(json!([t.clone(), t.clone()])), 0, 2));
        assert!(!has_more(&page(json!([t.clone()])), 0, 2));
        assert!(!has_more(&page(json!([])), 0, 2));
        assert!(has_more(
            &page(json!({"data": [t.clone()], "meta": {"currentPage": 1, "totalPages": 3}})),
            0,
            50
        ));
        assert!(!has_more(
            &page(json!({"data": [t.clone()], "meta": {"currentPage": 3, "totalPages": 3}})),
            0,
            1
        ));
        assert!(has_more(
            &page(json!({"data": [t.clone()], "total": 5})),
            3,
            50
        ));
        assert!(!has_more(
            &page(json!({"data": [t.clone()], "totalCount": 4})),
            3,
            1
        ));
        assert!(!has_more(
            &page(json!({"data": [t.clone()], "hasMore": false})),
            0,
            1
        ));
        assert!(has_more(
            &page(json!({"tasks": [t], "pagination": {"hasMore": true}})),
            0,
            50
        ));
    }
}
