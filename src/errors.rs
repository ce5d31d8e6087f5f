//! Core errors -> the Python exception classes of `tela_sdk._exceptions`.
//! The classes are defined in Python (docstrings, multiple inheritance with TimeoutError /
//! ValueError); this module only picks the class and fills in the attributes.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tela_core::{Error, StatusError};

use crate::convert::from_json;

const MODULE: &str = "tela_sdk._exceptions";

pub fn to_py(err: Error) -> PyErr {
    Python::attach(|py| build(py, err).unwrap_or_else(|e| e))
}

fn build(py: Python<'_>, err: Error) -> PyResult<PyErr> {
    let message = err.to_string();
    let kwargs = PyDict::new(py);
    let class = fill(py, &kwargs, err)?;
    let cls = py.import(MODULE)?.getattr(class)?;
    let exc = cls.call((message,), Some(&kwargs))?;
    Ok(PyErr::from_value(exc))
}

/// Sets the attributes `err` carries and names its class. An upload failure also carries
/// the attributes of the error that caused it (status, body, connection kind...).
fn fill(py: Python<'_>, kwargs: &Bound<'_, PyDict>, err: Error) -> PyResult<&'static str> {
    Ok(match err {
        Error::Config(_) => "ConfigurationError",
        Error::InvalidRequest(_) => "InvalidRequestError",
        Error::Status(s) => {
            let StatusError {
                status,
                code,
                body,
                request_id,
                ..
            } = *s;
            kwargs.set_item("status_code", status)?;
            kwargs.set_item("code", code)?;
            kwargs.set_item("request_id", request_id)?;
            kwargs.set_item("body", body_to_py(py, &body))?;
            status_class(status)
        }
        Error::Connection { kind, .. } => {
            kwargs.set_item("kind", kind.name())?;
            "APIConnectionError"
        }
        Error::Timeout { kind, after, .. } => {
            kwargs.set_item("kind", kind.name())?;
            kwargs.set_item("after", after.as_secs_f64())?;
            "APITimeoutError"
        }
        Error::Stream {
            code, data, status, ..
        } => {
            kwargs.set_item("code", code)?;
            kwargs.set_item("status_code", status)?;
            kwargs.set_item("body", body_to_py(py, data.as_bytes()))?;
            "StreamError"
        }
        Error::Decode {
            status, request_id, ..
        } => {
            kwargs.set_item("status_code", status)?;
            kwargs.set_item("request_id", request_id)?;
            "APIResponseValidationError"
        }
        Error::Redirect {
            status, location, ..
        } => {
            kwargs.set_item("status_code", status)?;
            kwargs.set_item("location", location)?;
            "RedirectError"
        }
        Error::Cancelled(_) => "TelaError",
        Error::Upload {
            file,
            stage,
            source,
        } => {
            kwargs.set_item("file_name", file)?;
            kwargs.set_item("stage", stage)?;
            fill(py, kwargs, *source)?;
            "FileUploadError"
        }
        Error::RunTimeout {
            run_id,
            status,
            after,
            ..
        } => {
            kwargs.set_item("kind", "wait")?;
            kwargs.set_item("after", after.as_secs_f64())?;
            kwargs.set_item("run_id", run_id)?;
            kwargs.set_item("last_status", status)?;
            "RunTimeoutError"
        }
    })
}

fn status_class(status: u16) -> &'static str {
    match status {
        400 => "BadRequestError",
        401 => "AuthenticationError",
        403 => "PermissionDeniedError",
        404 => "NotFoundError",
        409 => "ConflictError",
        422 => "UnprocessableEntityError",
        429 => "RateLimitError",
        s if s >= 500 => "InternalServerError",
        _ => "APIStatusError",
    }
}

/// The body as Python data when it is JSON, else as text.
fn body_to_py<'py>(py: Python<'py>, body: &[u8]) -> Bound<'py, PyAny> {
    if body.is_empty() {
        return py.None().into_bound(py);
    }
    from_json(py, body).unwrap_or_else(|_| {
        pyo3::types::PyString::new(py, &String::from_utf8_lossy(body)).into_any()
    })
}

/// A call argument Python cannot send (NaN, a set, a non-str key...): `InvalidRequestError`,
/// which is also a `TypeError` for code written against earlier versions.
pub fn invalid(message: impl Into<String>) -> PyErr {
    to_py(Error::InvalidRequest(message.into()))
}

/// Extension for `Result<T, tela_core::Error>` -> `PyResult<T>`.
pub trait IntoPyResult<T> {
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}
