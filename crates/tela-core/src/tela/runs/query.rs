//! The query of `GET /v1/completion-run` (protocol.md §4.2): the SDK's snake_case arguments
//! checked and renamed to the camelCase wire names, before any request.

use serde_json::{Map, Value};

use super::show;
use crate::error::{Error, Result};
use crate::json::kind;

/// `limit` of `GET /v1/completion-run` (protocol.md §4.2).
const LIST_LIMIT: std::ops::RangeInclusive<i64> = 1..=100;

/// The query of `GET /v1/completion-run`: snake_case arguments to the camelCase wire names.
/// `cursor` is this SDK's name for the page token (the paging parameters are undocumented).
pub fn list_query(body: &Map<String, Value>) -> Result<Vec<(String, String)>> {
    let mut query = Vec::new();
    for (key, value) in body {
        let wire = match key.as_str() {
            "limit" => {
                let n = value.as_i64().filter(|n| LIST_LIMIT.contains(n));
                let Some(n) = n else {
                    return Err(Error::InvalidRequest(format!(
                        "limit must be an integer from 1 to 100, got {}.",
                        show(value)
                    )));
                };
                query.push(("limit".to_owned(), n.to_string()));
                continue;
            }
            "prompt_application_id" => "promptApplicationId",
            "prompt_version_id" => "promptVersionId",
            "prompt_id" => "promptId",
            "cursor" => "cursor",
            other => {
                return Err(Error::InvalidRequest(format!(
                    "unknown argument {other:?}; list() takes limit, prompt_id, prompt_version_id, \
                     prompt_application_id and cursor."
                )));
            }
        };
        match value {
            Value::String(s) if !s.trim().is_empty() => query.push((wire.to_owned(), s.clone())),
            other => {
                return Err(Error::InvalidRequest(format!(
                    "{key} must be a non-empty string, got {}.",
                    kind(other)
                )));
            }
        }
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn list_queries() {
        let q = list_query(&map(json!({
            "limit": 5, "prompt_id": "p", "prompt_version_id": "v",
            "prompt_application_id": "a", "cursor": "c1"
        })))
        .unwrap();
        assert_eq!(
            q,
            [
                ("limit", "5"),
                ("promptId", "p"),
                ("promptVersionId", "v"),
                ("promptApplicationId", "a"),
                ("cursor", "c1")
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let err = |v: Value| list_query(&map(v)).unwrap_err().to_string();
        for bad in [json!(0), json!(101), json!(2.5), json!("5")] {
            assert!(
                err(json!({"limit": bad})).contains("from 1 to 100"),
                "{bad}"
            );
        }
        assert!(err(json!({"prompt_id": ""})).contains("non-empty"));
        assert!(err(json!({"promptId": "x"})).contains("unknown argument"));
    }
}
