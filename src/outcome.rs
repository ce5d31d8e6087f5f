//! Results of core calls, converted to Python objects only once the GIL is held. Async
//! futures return these so no tokio worker ever touches the GIL: the loop thread converts
//! them when it resolves the future (`aio.rs`), or pyo3-async-runtimes does inside its
//! completion hop on loops without `add_reader`.

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::errors;
use crate::from_json::from_json;

/// A JSON response body plus the request id; becomes `(data, request_id)`, or
/// `(data, request_id, (status, headers))` for a raw-response call.
pub struct JsonResponse {
    pub body: Bytes,
    pub request_id: Option<String>,
    pub status: u16,
    /// The request line, so a body that is not JSON names the request that got it.
    pub method: String,
    pub path: String,
    /// The response headers (`Response::joined_headers`), kept only when the caller asked
    /// for the raw response: the ordinary path converts nothing it does not hand over.
    pub headers: Option<Vec<(String, String)>>,
}

impl JsonResponse {
    /// The response as a call hands it over; `raw` keeps the headers for `with_raw_response`.
    pub fn new(r: tela_core::transport::Response, raw: bool) -> Self {
        JsonResponse {
            headers: raw.then(|| r.joined_headers()),
            body: r.body,
            request_id: r.request_id,
            status: r.status,
            method: r.method,
            path: r.path,
        }
    }

    pub fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let data = if self.body.is_empty() {
            py.None().into_bound(py)
        } else {
            from_json(py, &self.body).map_err(|e| {
                errors::to_py(tela_core::Error::Decode {
                    status: self.status,
                    message: format!("the body is not JSON ({e})"),
                    method: self.method.clone(),
                    path: self.path.clone(),
                    request_id: self.request_id.clone(),
                })
            })?
        };
        let request_id = self.request_id.clone().into_pyobject(py)?.into_any();
        if let Some(headers) = &self.headers {
            let dict = PyDict::new(py);
            for (name, value) in headers {
                dict.set_item(name, value)?;
            }
            let status = self.status.into_pyobject(py)?.into_any();
            let meta = PyTuple::new(py, [status, dict.into_any()])?;
            return Ok(PyTuple::new(py, [data, request_id, meta.into_any()])?.into_any());
        }
        Ok(PyTuple::new(py, [data, request_id])?.into_any())
    }
}

/// A core result that raises the mapped Python exception when converted.
pub enum Outcome<T> {
    Ok(T),
    Err(tela_core::Error),
}

impl<T> From<tela_core::Result<T>> for Outcome<T> {
    fn from(r: tela_core::Result<T>) -> Self {
        match r {
            Ok(v) => Outcome::Ok(v),
            Err(e) => Outcome::Err(e),
        }
    }
}

/// A value the binding hands to Python once the GIL is held (what an `Outcome` holds).
pub trait ToPy {
    fn to_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>>;
}

impl<'py, T: ToPy> IntoPyObject<'py> for Outcome<T> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Outcome::Ok(v) => v.to_py(py),
            Outcome::Err(e) => Err(errors::to_py(e)),
        }
    }
}

impl ToPy for JsonResponse {
    fn to_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        JsonResponse::to_py(&self, py)
    }
}
