//! The key normalisation of `GET /v1/completion-run` (protocol.md §4.2): its rows are the run
//! objects with camelCase keys, except inside the user's data.

use serde_json::Value;

/// Keys whose values are the user's data (variables, structured output, schemas): their
/// insides keep their keys. The SDK's snake_case conversion skips the same keys.
const OPAQUE_KEYS: &[&str] = &[
    "variables",
    "content",
    "raw_output",
    "schema",
    "properties",
    "parameters",
    "arguments",
    "parsed_content",
    "structured_content",
    "metadata",
];

/// A run as a list row: snake_case keys in camelCase (`output_content` -> `outputContent`).
pub(crate) fn camel_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if OPAQUE_KEYS.contains(&k.as_str()) {
                        v
                    } else {
                        camel_keys(v)
                    };
                    (camel_case(&k), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_camel_case_except_user_data() {
        let run = json!({
            "id": "r", "prompt_version_id": "v", "updated_at": "t",
            "input_content": {"variables": {"my_doc": 1}, "files": [{"used_at": "variables"}]},
            "output_content": {"content": {"file_summary": "s"}, "information": {"input_tokens": 1}},
            "raw_output": {"a_b": 1}
        });
        assert_eq!(
            camel_keys(run),
            json!({
                "id": "r", "promptVersionId": "v", "updatedAt": "t",
                "inputContent": {"variables": {"my_doc": 1}, "files": [{"usedAt": "variables"}]},
                "outputContent": {"content": {"file_summary": "s"}, "information": {"inputTokens": 1}},
                "rawOutput": {"a_b": 1}
            })
        );
    }
}
