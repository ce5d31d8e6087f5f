//! Python values to JSON, for requests: a direct walk into serde_json (bodies are small; the
//! walk names the offending path in its errors). Answers go the other way in `from_json.rs`.

use std::fmt;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};
use tela_core::json::At;

use crate::errors::invalid;
use crate::files::{Found, NativeFile};

const MAX_DEPTH: usize = 64;

/// "`at`: a dict key", for a key that is not valid text.
struct KeyIn<'a>(&'a At<'a>);

impl fmt::Display for KeyIn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: a dict key", self.0)
    }
}

/// A value where files are not accepted (the emulator's specs and replies).
pub fn to_json(obj: &Bound<'_, PyAny>, at: &str) -> PyResult<Value> {
    walk(obj, &At::Root(at), 0, &mut Found::refusing())
}

/// The top-level arguments of a call (a dict of argument name -> value); error paths start
/// at the argument name the user wrote (`variables["x"]`), not at an internal "body". Files
/// met on the way are added to `found`.
pub fn to_json_args<'py>(
    obj: &Bound<'py, PyAny>,
    found: &mut Found<'py>,
) -> PyResult<Map<String, Value>> {
    let d = obj
        .cast::<PyDict>()
        .map_err(|_| invalid("the call arguments must be a dict"))?;
    let mut m = Map::with_capacity(d.len());
    for (k, v) in d.iter() {
        let key: String = k
            .extract()
            .map_err(|_| invalid("argument names must be str"))?;
        if is_id_argument(&key) && !(v.is_none() || v.is_instance_of::<PyString>()) {
            // Said here, where the Python type is known: bytes or a path would otherwise
            // become a file placeholder and the core would report "got dict".
            let name = if key == "id" { "the id" } else { &key };
            return Err(invalid(format!(
                "{name} must be a non-empty string, got {}.",
                type_name(&v)
            )));
        }
        let value = walk(&v, &At::Root(&key), 0, found)?;
        m.insert(key, value);
    }
    Ok(m)
}

/// The arguments that name something by id (`canvas_id`, `id`, `conversation_id`...): all
/// strings, in both APIs.
fn is_id_argument(key: &str) -> bool {
    key == "id" || key.ends_with("_id")
}

/// The text of a Python str; a lone surrogate (from `errors="surrogateescape"` decoding, or
/// a broken `"\ud800"` literal) cannot be UTF-8, so it is an error naming where it is.
fn text<'a>(s: &'a Bound<'_, PyString>, at: &dyn fmt::Display) -> PyResult<&'a str> {
    s.to_str().map_err(|e| {
        let py = s.py();
        let start: Option<usize> = e.value(py).getattr("start").and_then(|v| v.extract()).ok();
        let what = start
            .map(|i| format!(" at position {i}"))
            .unwrap_or_default();
        invalid(format!(
            "{at}: the string has a lone surrogate{what}, which is not valid Unicode and cannot \
             be sent as UTF-8 (it often comes from bytes decoded with errors=\"surrogateescape\"); \
             fix or drop it, e.g. text.encode(\"utf-8\", \"replace\").decode()"
        ))
    })
}

pub fn to_json_object<'py>(
    obj: &Bound<'py, PyAny>,
    at: &str,
    found: &mut Found<'py>,
) -> PyResult<Map<String, Value>> {
    match walk(obj, &At::Root(at), 0, found)? {
        Value::Object(m) => Ok(m),
        _ => Err(invalid(format!(
            "{at} must be a dict, got {}",
            type_name(obj)
        ))),
    }
}

/// `obj` as JSON. `found` is the context of the conversion: whether files are accepted, and
/// the files met so far (each becomes a placeholder the core resolves).
fn walk<'py>(
    obj: &Bound<'py, PyAny>,
    at: &At<'_>,
    depth: usize,
    found: &mut Found<'py>,
) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!(
            "{at} is nested more than {MAX_DEPTH} levels deep (a cycle?)"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(text(s, at)?.to_owned()));
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(invalid(format!(
            "{at}: the integer {obj} does not fit in 64 bits; pass it as a string"
        )));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return Number::from_f64(v).map(Value::Number).ok_or_else(|| {
            invalid(format!(
                "{at}: {v} is not valid JSON (NaN and infinity are not allowed)"
            ))
        });
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                return Err(invalid(format!(
                    "{at}: dict keys must be str, got {}",
                    type_name(&k)
                )));
            };
            let key = text(key, &KeyIn(at))?;
            m.insert(
                key.to_owned(),
                walk(&v, &At::Key(at, key), depth + 1, found)?,
            );
        }
        return Ok(Value::Object(m));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            out.push(walk(&item?, &At::Index(at, i), depth + 1, found)?);
        }
        return Ok(Value::Array(out));
    }
    // A file (the NativeFile of a tela_sdk.File): a placeholder the core resolves.
    if let Ok(file) = obj.cast::<NativeFile>() {
        return found.placeholder(file, at);
    }
    // Objects that know their wire form (tela_sdk.File, typed params).
    if let Ok(method) = obj.getattr("__tela_json__") {
        return walk(&method.call0()?, at, depth + 1, found);
    }
    // Where files are accepted, a path object, bytes or a binary file object is one, exactly
    // as `File(value)`: the rule is `tela_sdk._files.classify_file`, asked only here (for an
    // object that is not JSON), so plain values cost no Python call.
    if let Some(file) = found.classify(obj, at)? {
        return found.placeholder(&file, at);
    }
    Err(invalid(format!(
        "{at}: cannot send a {} object; pass str, int, float, bool, list, dict, or a file \
         (tela_sdk.File, a pathlib.Path, bytes, a binary file object)",
        type_name(obj)
    )))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}
