//! Prompt rendering: `{{ name }}` placeholders filled from the request's variables (a canvas's
//! template, a Dify app's `prompt`).
//!
//! Deliberately tiny (no logic, no escaping): enough to show in a test or a demo that the
//! variables reached the canvas. Unknown placeholders stay as written; by default a run never
//! gets that far, since [`missing`] lets the handler answer 400 `MISSING_VARIABLES` first.

use serde_json::{Map, Value};

/// The placeholder names of `template`, in order of first use, each once.
pub(crate) fn placeholders(template: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let name = after[..end].trim();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
        rest = &after[end + 2..];
    }
    names
}

/// The placeholders of `templates` that `variables` does not fill, in order, each once: a
/// typo in a variable name (or a forgotten one) that would otherwise leave `{{name}}` in the
/// prompt and the reply.
pub(crate) fn missing<'a>(
    templates: impl IntoIterator<Item = &'a str>,
    variables: &Map<String, Value>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for template in templates {
        for name in placeholders(template) {
            if !variables.contains_key(name) && !out.iter().any(|n| n == name) {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// Replaces each `{{name}}` / `{{ name }}` whose name is a known variable.
pub(crate) fn render(template: &str, variables: &Map<String, Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            rest = &rest[start..];
            break;
        };
        let name = after[..end].trim();
        match variables.get(name) {
            Some(value) => out.push_str(&value_text(value)),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// How a variable value reads in a prompt: strings as-is, file objects as `[file: ...]`
/// (inline `data:` content is not pasted), lists of files one after another, the rest as JSON.
pub(crate) fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Object(_) if file_url(value).is_some() => file_text(value),
        Value::Array(items) if !items.is_empty() && items.iter().all(|v| file_url(v).is_some()) => {
            items.iter().map(file_text).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

fn file_url(value: &Value) -> Option<&str> {
    value.get("file_url")?.as_str()
}

fn file_text(value: &Value) -> String {
    if let Some(name) = value.get("name").and_then(Value::as_str) {
        return format!("[file: {name}]");
    }
    match file_url(value) {
        Some(url) if url.starts_with("data:") => "[file: inline data]".to_owned(),
        Some(url) => format!("[file: {url}]"),
        None => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn fills_known_and_keeps_unknown() {
        let v = vars(json!({"name": "Ada", "n": 3, "ok": true, "tags": ["a", "b"]}));
        assert_eq!(
            render("Hi {{name}} {{ n }} {{ok}} {{tags}} {{missing}}", &v),
            r#"Hi Ada 3 true ["a","b"] {{missing}}"#
        );
    }

    #[test]
    fn missing_names_each_unfilled_placeholder_once() {
        let v = vars(json!({"name": "Ada", "empty": null}));
        assert_eq!(
            missing(
                ["{{name}} {{ documnet }} {{empty}} {{x}}", "{{x}} {{y}} {{"],
                &v
            ),
            ["documnet", "x", "y"]
        );
        assert!(missing(["no placeholders", "{{}}"], &v).is_empty());
    }

    #[test]
    fn files_are_summarised() {
        let v = vars(json!({
            "doc": {"file_url": "https://x/y.pdf"},
            "inline": {"file_url": "data:text/plain;base64,aGk="},
            "many": [{"file_url": "vault://1"}, {"file_url": "https://x/z.pdf"}],
        }));
        assert_eq!(
            render("{{doc}}|{{inline}}|{{many}}", &v),
            "[file: https://x/y.pdf]|[file: inline data]|[file: vault://1], [file: https://x/z.pdf]"
        );
    }

    #[test]
    fn unterminated_and_multibyte_are_safe() {
        let v = vars(json!({"é": "x"}));
        assert_eq!(render("ü {{é}} {{é", &v), "ü x {{é");
        assert_eq!(render("}} {{", &v), "}} {{");
    }
}
