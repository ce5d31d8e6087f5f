//! `NativeTrace`: a call's transport record (`tela_core::transport::observe`) seen from
//! Python. The face makes one only when tracing or event hooks want it and passes it as the
//! `trace=` option; the core fills it as the call runs, and the face reads it with the
//! result. Timestamps are nanoseconds since the Unix epoch, taken in the core.

use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use tela_core::transport::observe::Trace;

#[pyclass(frozen, module = "tela_sdk._native")]
pub struct NativeTrace {
    pub trace: Trace,
}

fn ns(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

fn headers<'py>(py: Python<'py>, pairs: &[(String, String)]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in pairs {
        d.set_item(k, v)?;
    }
    Ok(d)
}

#[pymethods]
impl NativeTrace {
    #[new]
    fn new() -> Self {
        NativeTrace {
            trace: Trace::new(),
        }
    }

    /// The attempts recorded from index `since` on, as dicts, in the order they ended.
    #[pyo3(signature = (since = 0))]
    fn attempts<'py>(&self, py: Python<'py>, since: usize) -> PyResult<Bound<'py, PyList>> {
        let record = self.trace.snapshot();
        let out = PyList::empty(py);
        for a in record.attempts.iter().skip(since) {
            let d = PyDict::new(py);
            d.set_item("kind", a.kind)?;
            d.set_item("method", &a.method)?;
            d.set_item("url", &a.url)?;
            d.set_item("request_headers", headers(py, &a.request_headers)?)?;
            d.set_item("attempt", a.attempt)?;
            d.set_item("retry_reason", &a.retry_reason)?;
            d.set_item("backoff", a.backoff.map(|b| b.as_secs_f64()))?;
            d.set_item("start_ns", ns(a.start))?;
            d.set_item("end_ns", ns(a.end))?;
            d.set_item("status", a.status)?;
            d.set_item("response_headers", headers(py, &a.response_headers)?)?;
            d.set_item("error", &a.error)?;
            d.set_item("request_id", &a.request_id)?;
            d.set_item("bytes", a.bytes)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// When a stream's first event was decoded (ns since the epoch), or None.
    #[getter]
    fn first_chunk_ns(&self) -> Option<u128> {
        self.trace.snapshot().first_chunk.map(ns)
    }

    /// When a stream's last event was decoded (ns since the epoch), or None.
    #[getter]
    fn last_chunk_ns(&self) -> Option<u128> {
        self.trace.snapshot().last_chunk.map(ns)
    }

    /// How many events a stream has delivered.
    #[getter]
    fn events(&self) -> u64 {
        self.trace.snapshot().events
    }
}
