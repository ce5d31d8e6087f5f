//! The prompt a canvas is "sent": its rendered template, then the request's chat messages.

use serde_json::Value;

use crate::template::value_text;

/// The prompt a callback sees: the rendered template, then each chat message as
/// `role: content` (messages come after the prompt, protocol.md §3.1).
pub(crate) fn with_messages(rendered: &str, messages: &[Value]) -> String {
    let mut out = rendered.to_owned();
    for message in messages {
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .unwrap_or("user");
        let content = message.get("content").map(content_text).unwrap_or_default();
        out.push_str("\n\n");
        out.push_str(role);
        out.push_str(": ");
        out.push_str(&content);
    }
    out
}

/// A message's content as text: strings, file references, content parts (or lists of them).
fn content_text(content: &Value) -> String {
    match content {
        Value::Array(parts) => parts
            .iter()
            .map(content_text)
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Object(map) => {
            if let Some(text) = map.get("text").and_then(Value::as_str) {
                text.to_owned()
            } else if let Some(url) = content.pointer("/image_url/url").and_then(Value::as_str) {
                if url.starts_with("data:") {
                    "[image: inline data]".to_owned()
                } else {
                    format!("[image: {url}]")
                }
            } else {
                value_text(content)
            }
        }
        other => value_text(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_follow_the_prompt() {
        let m = [
            json!({"role": "user", "content": "Hi"}),
            json!({"role": "assistant", "content": {"type": "text", "text": "Hello"}}),
            json!({"role": "user", "content": {"file_url": "https://x/a.png"}}),
        ];
        assert_eq!(
            with_messages("P", &m),
            "P\n\nuser: Hi\n\nassistant: Hello\n\nuser: [file: https://x/a.png]"
        );
    }
}
