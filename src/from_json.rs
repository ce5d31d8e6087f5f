//! JSON bytes to Python objects, by jiter straight from the bytes (no `serde_json::Value` in
//! between). Its own module: errors, outcomes, streams and the emulator all build Python values
//! this way, while `convert.rs` goes the other way and needs the errors.

use pyo3::prelude::*;

/// Parses JSON bytes into Python objects (dicts, lists, str, int, float, bool, None).
pub fn from_json<'py>(py: Python<'py>, data: &[u8]) -> Result<Bound<'py, PyAny>, String> {
    jiter::PythonParse {
        allow_inf_nan: false,
        cache_mode: jiter::StringCacheMode::All,
        partial_mode: jiter::PartialMode::Off,
        catch_duplicate_keys: false,
        float_mode: jiter::FloatMode::Float,
    }
    .python_parse(py, data)
    .map_err(|e| e.description(data))
}
