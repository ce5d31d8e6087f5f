//! `NativeEmulator`: the in-process emulator server, configured with JSON specs.
//!
//! A reply callback runs on a Python daemon thread that Python starts (`start(request,
//! respond)` returns at once), never inside a Rust frame: a callback still blocked when the
//! interpreter exits is then ended by CPython like any daemon thread, where one running under
//! `Python::attach` on a tokio thread was unwound through Rust frames and crashed the process.

use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use tela_emulator::{CanvasSpec, DifyAppSpec, Emulator, EmulatorConfig, FaultSpec, ReplyFn};

use crate::convert::to_json;
use crate::from_json::from_json;
use crate::runtime::block_on_shared;

#[pyclass(frozen, module = "tela_sdk._native")]
pub struct NativeEmulator {
    inner: Emulator,
}

fn parse<T: serde::de::DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let value = to_json(obj, what)?;
    serde_json::from_value(value).map_err(|e| PyValueError::new_err(format!("invalid {what}: {e}")))
}

fn to_py<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let bytes = serde_json::to_vec(value).map_err(|e| PyValueError::new_err(e.to_string()))?;
    from_json(py, &bytes).map_err(PyValueError::new_err)
}

fn python_reply(start: Py<PyAny>) -> ReplyFn {
    Arc::new(move |request: serde_json::Value| {
        if crate::runtime::closing() {
            return Err("the interpreter is exiting".to_owned());
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        Python::attach(|py| {
            let bytes = serde_json::to_vec(&request).map_err(|e| e.to_string())?;
            let arg = from_json(py, &bytes)?;
            let respond = Respond {
                tx: Mutex::new(Some(tx)),
            };
            start
                .call1(py, (arg, respond))
                .map(drop)
                .map_err(|e| format!("reply callback could not start: {e}"))
        })?;
        // Waits without the GIL; a thread that ends unanswered drops `Respond`, closing the channel.
        rx.recv()
            .unwrap_or_else(|_| Err("reply callback ended without an answer".to_owned()))
    })
}

/// Hands a reply callback's outcome from its Python thread back to the waiting server task.
#[pyclass(frozen, module = "tela_sdk._native")]
struct Respond {
    tx: Mutex<Option<SyncSender<Result<serde_json::Value, String>>>>,
}

#[pymethods]
impl Respond {
    /// `respond(value, None)` with the callback's return value, or `respond(None, "Type: message")`.
    #[pyo3(signature = (value, error=None))]
    fn __call__(&self, value: &Bound<'_, PyAny>, error: Option<String>) {
        let outcome = match error {
            Some(e) => Err(format!("reply callback raised {e}")),
            None => to_json(value, "the reply callback's return value").map_err(|e| e.to_string()),
        };
        if let Some(tx) = self.tx.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = tx.send(outcome);
        }
    }
}

#[pymethods]
impl NativeEmulator {
    #[new]
    #[pyo3(signature = (api_keys, port=0, allow_missing_variables=false, strict=false))]
    fn new(
        py: Python<'_>,
        api_keys: Vec<String>,
        port: u16,
        allow_missing_variables: bool,
        strict: bool,
    ) -> PyResult<Self> {
        let config = EmulatorConfig {
            api_keys,
            port,
            allow_missing_variables,
            strict,
        };
        let inner = block_on_shared(py, async move {
            Emulator::start(config)
                .await
                .map_err(|e| PyOSError::new_err(format!("cannot start the emulator: {e}")))
        })?;
        Ok(NativeEmulator { inner })
    }

    #[getter]
    fn base_url(&self) -> String {
        self.inner.base_url()
    }

    #[getter]
    fn port(&self) -> u16 {
        self.inner.port()
    }

    /// Registers a canvas from a CanvasSpec dict; returns the CanvasInfo dict.
    #[pyo3(signature = (spec, reply=None))]
    fn add_canvas<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        reply: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec: CanvasSpec = parse(spec, "canvas spec")?;
        let info = match reply {
            Some(cb) => self.inner.add_canvas_with_callback(spec, python_reply(cb)),
            None => self.inner.add_canvas(spec),
        }
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
        to_py(py, &info)
    }

    /// Registers a Dify app from a DifyAppSpec dict; returns the DifyAppInfo dict.
    #[pyo3(signature = (spec, answer=None))]
    fn add_dify_app<'py>(
        &self,
        py: Python<'py>,
        spec: &Bound<'py, PyAny>,
        answer: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let spec: DifyAppSpec = parse(spec, "Dify app spec")?;
        let info = match answer {
            Some(cb) => self
                .inner
                .add_dify_app_with_callback(spec, python_reply(cb)),
            None => self.inner.add_dify_app(spec),
        }
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
        to_py(py, &info)
    }

    fn dify_uploads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.dify_uploads())
    }

    fn dify_feedbacks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.dify_feedbacks())
    }

    fn add_fault(&self, fault: &Bound<'_, PyAny>) -> PyResult<()> {
        let fault: FaultSpec = parse(fault, "fault spec")?;
        self.inner.add_fault(fault);
        Ok(())
    }

    fn clear_faults(&self) {
        self.inner.clear_faults();
    }

    fn requests<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.requests())
    }

    fn clear_requests(&self) {
        self.inner.clear_requests();
    }

    /// Puts a file in the emulated vault as if uploaded; returns its StoredFile dict.
    #[pyo3(signature = (content, *, id=None, name=None, mime_type=None))]
    fn add_file<'py>(
        &self,
        py: Python<'py>,
        content: &[u8],
        id: Option<String>,
        name: Option<String>,
        mime_type: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let stored = self
            .inner
            .add_file(content, id, name, mime_type)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        to_py(py, &stored)
    }

    /// Every file created in the emulated vault, oldest first (StoredFile dicts).
    fn files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.files())
    }

    /// Every webhook delivery attempt, oldest first (WebhookDelivery dicts).
    fn webhook_deliveries<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.inner.webhook_deliveries())
    }

    fn clear_webhook_deliveries(&self) {
        self.inner.clear_webhook_deliveries();
    }

    fn close(&self) {
        self.inner.shutdown();
    }
}
