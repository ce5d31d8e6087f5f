//! The two JSON spellings of Dify's stream events: orjson's compact form (newer servers) and
//! Python `json.dumps` (older servers: `", "` and `": "` separators, non-ASCII as `\uXXXX`).

use serde_json::Value;

use super::spec::JsonStyle;

pub(crate) fn dump(style: JsonStyle, value: &Value) -> String {
    match style {
        JsonStyle::Compact => value.to_string(),
        JsonStyle::Spaced => {
            let mut out = String::new();
            spaced(value, &mut out);
            out
        }
    }
}

fn spaced(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => ascii_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                spaced(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                ascii_string(k, out);
                out.push_str(": ");
                spaced(v, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Python's `ensure_ascii=True` writes it.
fn ascii_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spaced_matches_python_json_dumps() {
        let v = json!({"event": "message", "answer": "é 🦊\n\"q\"", "n": [1, 2.5, null, true], "o": {}});
        // json.dumps({"event": "message", "answer": "é 🦊\n\"q\"", "n": [1, 2.5, None, True], "o": {}})
        assert_eq!(
            dump(JsonStyle::Spaced, &v),
            r#"{"event": "message", "answer": "\u00e9 \ud83e\udd8a\n\"q\"", "n": [1, 2.5, null, true], "o": {}}"#
        );
        assert_eq!(
            dump(JsonStyle::Compact, &json!({"a": "é"})),
            "{\"a\":\"é\"}"
        );
        // Both spellings parse to the same value.
        let back: Value = serde_json::from_str(&dump(JsonStyle::Spaced, &v)).unwrap();
        assert_eq!(back, v);
    }
}
