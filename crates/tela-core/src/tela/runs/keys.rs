//! camelCase -> snake_case keys. `GET /v1/completion-run` answers camelCase rows (protocol.md
//! §4.2); they are converted here so one `Run` type fits all three endpoints and webhooks,
//! while the user's own data inside a run keeps its keys.

use std::borrow::Cow;

use serde_json::Value;

/// Keys whose values are the user's data (variable names, structured output, JSON schemas,
/// function arguments): their insides keep their keys as they are.
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

/// The same JSON with camelCase keys in snake_case (`outputContent` -> `output_content`),
/// except inside `OPAQUE_KEYS`. snake_case keys are unchanged, so a run that is already
/// snake_case passes through as it is; unknown keys are kept (converted the same way).
pub fn snake_keys(v: Value) -> Value {
    to_snake(v, &mut false)
}

/// [`snake_keys`] with another list of keys whose insides are kept as they are (the
/// canvas endpoints, whose `variables` are the API's own objects).
pub fn snake_keys_except(v: Value, opaque: &[&str]) -> Value {
    to_snake_with(v, &mut false, opaque)
}

/// [`snake_keys`], setting `renamed` when a key changed.
pub(super) fn to_snake(v: Value, renamed: &mut bool) -> Value {
    to_snake_with(v, renamed, OPAQUE_KEYS)
}

fn to_snake_with(v: Value, renamed: &mut bool, opaque: &[&str]) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let snake = snake_case(&k);
                    *renamed |= matches!(snake, Cow::Owned(_));
                    let k = snake.into_owned();
                    let v = if opaque.contains(&k.as_str()) {
                        v
                    } else {
                        to_snake_with(v, renamed, opaque)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| to_snake_with(v, renamed, opaque))
                .collect(),
        ),
        other => other,
    }
}

/// `promptVersionId` -> `prompt_version_id`, `rawURL` -> `raw_url`; other keys unchanged.
pub fn snake_case(key: &str) -> Cow<'_, str> {
    if !key.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(key);
    }
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::with_capacity(key.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_uppercase() {
            out.push(c);
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let boundary = match prev {
            Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
            Some(p) if p.is_ascii_uppercase() => next.is_some_and(char::is_ascii_lowercase),
            _ => false,
        };
        if boundary && !out.ends_with('_') {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snake_case_keys() {
        for (camel, snake) in [
            ("promptVersionId", "prompt_version_id"),
            ("updatedAt", "updated_at"),
            ("rawURL", "raw_url"),
            ("URLValue", "url_value"),
            ("inputTokens2", "input_tokens2"),
            ("already_snake", "already_snake"),
            ("id", "id"),
            ("Status", "status"),
        ] {
            assert_eq!(snake_case(camel), snake);
        }
    }

    #[test]
    fn camel_rows_become_snake_runs_but_user_data_is_untouched() {
        let row = json!({
            "id": "r", "status": "succeeded", "promptVersionId": "v", "someNewField": {"innerKey": 1},
            "inputContent": {"variables": {"myDoc": {"fileUrl": "x"}}, "files": [{"usedAt": "variables", "parsedContent": "a"}]},
            "outputContent": {"hasStructuredOutput": true, "content": {"fileSummary": "s"},
                              "information": {"inputTokens": 3, "outputTokens": 4}, "toolCalls": [{"name": "f", "arguments": "{\"aB\":1}"}]},
            "rawInput": {"override": {"structuredOutput": {"enabled": true, "schema": {"properties": {"fileSummary": {}}}}}},
            "rawOutput": {"anyThing": 1}
        });
        let run = snake_keys(row);
        assert_eq!(
            run,
            json!({
                "id": "r", "status": "succeeded", "prompt_version_id": "v", "some_new_field": {"inner_key": 1},
                "input_content": {"variables": {"myDoc": {"fileUrl": "x"}}, "files": [{"used_at": "variables", "parsed_content": "a"}]},
                "output_content": {"has_structured_output": true, "content": {"fileSummary": "s"},
                                   "information": {"input_tokens": 3, "output_tokens": 4}, "tool_calls": [{"name": "f", "arguments": "{\"aB\":1}"}]},
                "raw_input": {"override": {"structured_output": {"enabled": true, "schema": {"properties": {"fileSummary": {}}}}}},
                "raw_output": {"anyThing": 1}
            })
        );
    }
}
