//! Core errors -> the Python exception classes of `tela_sdk._exceptions`.
//! The classes are defined in Python (docstrings, multiple inheritance with TimeoutError /
//! ValueError); this module only picks the class and fills in the attributes. The classes
//! are looked up once per process and cached, so raising costs no import or attribute search.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tela_core::{Error, StatusError};

use crate::from_json::from_json;

const MODULE: &str = "tela_sdk._exceptions";

/// The Python exception classes, indexed by [`Class`].
static CLASSES: PyOnceLock<Vec<Py<PyAny>>> = PyOnceLock::new();

/// Declares [`Class`] (which exception class an error becomes; the discriminant indexes the
/// cache), its `ALL` in declaration order and each class's name, from one list.
macro_rules! classes {
    ($($variant:ident => $name:literal,)+) => {
        #[derive(Clone, Copy)]
        enum Class {
            $($variant,)+
        }

        impl Class {
            /// Every variant, in discriminant order.
            const ALL: &[Class] = &[$(Class::$variant,)+];

            /// The class's name in `tela_sdk._exceptions`.
            const fn name(self) -> &'static str {
                match self {
                    $(Class::$variant => $name,)+
                }
            }
        }
    };
}

classes! {
    Configuration => "ConfigurationError",
    InvalidRequest => "InvalidRequestError",
    BadRequest => "BadRequestError",
    UsageLimit => "UsageLimitError",
    Authentication => "AuthenticationError",
    PermissionDenied => "PermissionDeniedError",
    NotFound => "NotFoundError",
    Conflict => "ConflictError",
    UnprocessableEntity => "UnprocessableEntityError",
    RateLimit => "RateLimitError",
    InternalServer => "InternalServerError",
    ApiStatus => "APIStatusError",
    ApiConnection => "APIConnectionError",
    ApiTimeout => "APITimeoutError",
    Stream => "StreamError",
    ResponseValidation => "APIResponseValidationError",
    Redirect => "RedirectError",
    Tela => "TelaError",
    FileUpload => "FileUploadError",
    RunTimeout => "RunTimeoutError",
    Cassette => "CassetteError",
    NetworkBlocked => "NetworkBlockedError",
}

/// The class object for `class`, importing `tela_sdk._exceptions` on first use only.
fn class_object<'py>(py: Python<'py>, class: Class) -> PyResult<Bound<'py, PyAny>> {
    let classes = CLASSES.get_or_try_init(py, || -> PyResult<Vec<Py<PyAny>>> {
        let module = py.import(MODULE)?;
        Class::ALL
            .iter()
            .map(|class| Ok(module.getattr(class.name())?.unbind()))
            .collect()
    })?;
    Ok(classes[class as usize].bind(py).clone())
}

pub fn to_py(err: Error) -> PyErr {
    Python::attach(|py| build(py, err).unwrap_or_else(|e| e))
}

fn build(py: Python<'_>, err: Error) -> PyResult<PyErr> {
    let message = err.to_string();
    let kwargs = PyDict::new(py);
    let class = fill(py, &kwargs, err)?;
    let cls = class_object(py, class)?;
    let exc = cls.call((message,), Some(&kwargs))?;
    Ok(PyErr::from_value(exc))
}

/// Sets the attributes `err` carries and names its class. An upload failure also carries
/// the attributes of the error that caused it (status, body, connection kind...).
fn fill(py: Python<'_>, kwargs: &Bound<'_, PyDict>, err: Error) -> PyResult<Class> {
    Ok(match err {
        Error::Config(_) => Class::Configuration,
        Error::InvalidRequest(_) => Class::InvalidRequest,
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
            Class::ApiConnection
        }
        Error::Timeout { kind, after, .. } => {
            kwargs.set_item("kind", kind.name())?;
            kwargs.set_item("after", after.as_secs_f64())?;
            Class::ApiTimeout
        }
        Error::Stream {
            code, data, status, ..
        } => {
            kwargs.set_item("code", code)?;
            kwargs.set_item("status_code", status)?;
            kwargs.set_item("body", body_to_py(py, data.as_bytes()))?;
            Class::Stream
        }
        Error::Decode {
            status, request_id, ..
        } => {
            kwargs.set_item("status_code", status)?;
            kwargs.set_item("request_id", request_id)?;
            Class::ResponseValidation
        }
        Error::Redirect {
            status, location, ..
        } => {
            kwargs.set_item("status_code", status)?;
            kwargs.set_item("location", location)?;
            Class::Redirect
        }
        Error::Cancelled(_) => Class::Tela,
        Error::Upload {
            file,
            stage,
            source,
        } => {
            kwargs.set_item("file_name", file)?;
            kwargs.set_item("stage", stage)?;
            fill(py, kwargs, *source)?;
            Class::FileUpload
        }
        Error::Cassette(_) => Class::Cassette,
        Error::NetworkBlocked(_) => Class::NetworkBlocked,
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
            Class::RunTimeout
        }
    })
}

fn status_class(status: u16) -> Class {
    match status {
        400 => Class::BadRequest,
        401 => Class::Authentication,
        402 => Class::UsageLimit,
        403 => Class::PermissionDenied,
        404 => Class::NotFound,
        409 => Class::Conflict,
        422 => Class::UnprocessableEntity,
        429 => Class::RateLimit,
        s if s >= 500 => Class::InternalServer,
        _ => Class::ApiStatus,
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
