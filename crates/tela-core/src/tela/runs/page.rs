//! What a run must look like to be read, and list pages (protocol.md §4.2) in every envelope
//! the server may use, normalised to one snake_case shape.

use serde_json::{Map, Value};

use super::keys::snake_keys;
use crate::json::{kind, split_rows};

/// Envelope keys that may hold the rows; the first array found wins.
const ROW_KEYS: &[&str] = &["data", "items", "runs", "results"];

/// The fields of a run that the result types read, when present and not null, must be
/// objects: `output_content` (and its `information`) and `input_content`. Anything else is
/// free. A run of another shape fails here, naming the field, instead of yielding a `Run`
/// whose `.content` breaks later. `None` when the run is readable.
pub fn run_shape_problem(run: &Value) -> Option<String> {
    let object_or_null =
        |v: Option<&Value>| matches!(v, None | Some(Value::Null | Value::Object(_)));
    let got = |v: Option<&Value>| {
        let v = v.unwrap_or(&Value::Null);
        let text = v.to_string();
        format!("{} {}", kind(v), text.chars().take(80).collect::<String>())
    };
    for field in ["output_content", "input_content"] {
        let v = run.get(field);
        if !object_or_null(v) {
            return Some(format!(
                "expected the run's {field} to be a JSON object (or null), got {}",
                got(v)
            ));
        }
    }
    let info = run.get("output_content").and_then(|o| o.get("information"));
    if !object_or_null(info) {
        return Some(format!(
            "expected the run's output_content.information to be a JSON object (or null), got {}",
            got(info)
        ));
    }
    None
}

/// A list answer as `{"data": [...], "has_more": bool, "next_cursor": str|null, ...}`.
///
/// The envelope of `GET /v1/completion-run` is undocumented (protocol.md §4.2), so this accepts a
/// bare array, or an object with the rows under `data` (or `items`/`runs`/`results`) and
/// `hasMore`/`has_more` and `nextCursor`/`next_cursor`. A cursor without `hasMore` means
/// more; `next_cursor` is null whenever there is no next page, so a face pages while it is
/// set. Other envelope keys are kept, in snake_case.
pub fn normalize_page(v: Value) -> std::result::Result<Value, String> {
    let (rows, mut rest) = split_rows(v, ROW_KEYS, "runs")?;
    let mut take = |names: [&str; 2]| names.iter().find_map(|n| rest.remove(*n));
    let cursor = take(["nextCursor", "next_cursor"])
        .and_then(|c| c.as_str().map(str::to_owned))
        .filter(|c| !c.is_empty());
    let has_more = match take(["hasMore", "has_more"]) {
        Some(Value::Bool(b)) => b,
        _ => cursor.is_some(),
    };
    let rows: Vec<Value> = rows.into_iter().map(snake_keys).collect();
    for (i, row) in rows.iter().enumerate() {
        if let Some(problem) = run_shape_problem(row) {
            return Err(format!("run {i} of the page: {problem}"));
        }
    }
    let mut page = Map::new();
    page.insert("data".into(), Value::Array(rows));
    page.insert("has_more".into(), Value::Bool(has_more));
    page.insert(
        "next_cursor".into(),
        cursor
            .filter(|_| has_more)
            .map_or(Value::Null, Value::String),
    );
    if let Value::Object(extra) = snake_keys(Value::Object(rest)) {
        for (k, v) in extra {
            page.entry(k).or_insert(v);
        }
    }
    Ok(Value::Object(page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn run_shapes_the_types_read_are_checked() {
        for ok in [
            json!({"id": "r", "status": "succeeded"}),
            json!({"id": "r", "status": "succeeded", "output_content": null}),
            json!({"id": "r", "output_content": {"content": 5, "information": null}}),
            json!({"id": "r", "output_content": {"content": [1], "information": {}}, "input_content": {}}),
        ] {
            assert_eq!(run_shape_problem(&ok), None, "{ok}");
        }
        for (bad, says) in [
            (
                json!({"output_content": "text"}),
                "output_content to be a JSON object",
            ),
            (
                json!({"output_content": [1]}),
                "output_content to be a JSON object",
            ),
            (
                json!({"input_content": 5}),
                "input_content to be a JSON object",
            ),
            (
                json!({"output_content": {"information": "x"}}),
                "output_content.information to be a JSON object",
            ),
        ] {
            let problem = run_shape_problem(&bad).expect("a problem");
            assert!(problem.contains(says), "{bad}: {problem}");
        }
        let err = normalize_page(json!([{"id": "r", "outputContent": 5}])).unwrap_err();
        assert!(
            err.contains("run 0 of the page") && err.contains("output_content"),
            "{err}"
        );
    }

    #[test]
    fn pages_in_every_envelope() {
        let p = normalize_page(
            json!({"data": [{"id": "a", "updatedAt": "t"}], "hasMore": true, "nextCursor": "c", "totalCount": 9}),
        )
        .unwrap();
        assert_eq!(
            p,
            json!({"data": [{"id": "a", "updated_at": "t"}], "has_more": true, "next_cursor": "c", "total_count": 9})
        );
        let bare = normalize_page(json!([{"id": "a"}])).unwrap();
        assert_eq!(
            bare,
            json!({"data": [{"id": "a"}], "has_more": false, "next_cursor": null})
        );
        // A cursor alone means more; hasMore false wins over a stray cursor.
        let p = normalize_page(json!({"items": [], "next_cursor": "c"})).unwrap();
        assert_eq!(
            (p["has_more"].clone(), p["next_cursor"].clone()),
            (json!(true), json!("c"))
        );
        let p = normalize_page(json!({"runs": [], "hasMore": false, "nextCursor": "c"})).unwrap();
        assert_eq!(p["next_cursor"], Value::Null);
        let p = normalize_page(json!({"data": [], "hasMore": true})).unwrap();
        assert_eq!(
            (p["has_more"].clone(), p["next_cursor"].clone()),
            (json!(true), Value::Null)
        );
        assert!(
            normalize_page(json!({"rows": 1}))
                .unwrap_err()
                .contains("\"rows\"")
        );
        assert!(normalize_page(json!("x")).unwrap_err().contains("got str"));
    }
}
