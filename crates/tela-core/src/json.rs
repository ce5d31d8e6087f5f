//! Small JSON helpers shared by the endpoint modules.

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Where a value sits among a call's arguments (`variables["doc"][0]`), written out only
/// for an error message (or a file's name): every call walks its arguments, few fail, and
/// formatting each key's path cost about 4% of an async call's loop-thread time.
pub enum At<'a> {
    Root(&'a str),
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Root(name) => f.write_str(name),
            At::Key(parent, key) => write!(f, "{parent}[{key:?}]"),
            At::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// Merges `extra` into `body`, `extra` winning: the escape hatch for fields this SDK does not
/// know yet. Nested objects merge key by key so `extra_body={"override": {"x": 1}}` keeps
/// the typed override fields.
pub fn merge(body: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (k, v) in extra {
        match (body.get_mut(&k), v) {
            (Some(Value::Object(dst)), Value::Object(src)) => merge(dst, src),
            (_, v) => {
                body.insert(k, v);
            }
        }
    }
}

pub fn to_bytes(v: &Map<String, Value>) -> Result<bytes::Bytes> {
    serde_json::to_vec(v).map(bytes::Bytes::from).map_err(|e| {
        Error::InvalidRequest(format!("the request body cannot be encoded as JSON: {e}"))
    })
}

/// A short name of a JSON value's type, for error messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "None",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// The rows of a list answer, which may come bare or in an envelope: a bare array, or the
/// first array under one of `row_keys`, with the envelope's other keys. `what` names the rows
/// in the error ("runs").
pub fn split_rows(
    v: Value,
    row_keys: &[&str],
    what: &str,
) -> std::result::Result<(Vec<Value>, Map<String, Value>), String> {
    match v {
        Value::Array(rows) => Ok((rows, Map::new())),
        Value::Object(mut o) => {
            let key = row_keys
                .iter()
                .find(|k| o.get(**k).is_some_and(Value::is_array));
            match key.and_then(|k| o.remove(*k)) {
                Some(Value::Array(rows)) => Ok((rows, o)),
                _ => Err(format!(
                    "expected a list of {what} (or an object with one under \"data\"), got an object with keys {:?}",
                    o.keys().collect::<Vec<_>>()
                )),
            }
        }
        other => Err(format!("expected a list of {what}, got {}", kind(&other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_is_deep_and_extra_wins() {
        let mut body = json!({"a": 1, "o": {"x": 1, "y": 2}})
            .as_object()
            .unwrap()
            .clone();
        merge(
            &mut body,
            json!({"a": 2, "o": {"y": 3}, "n": true})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert_eq!(
            Value::Object(body),
            json!({"a": 2, "o": {"x": 1, "y": 3}, "n": true})
        );
    }
}
