//! `NativeEmulator`: the in-process emulator server, configured with JSON specs.
//!
//! Reply callbacks never run on, or are started from, a tokio thread: a thread that CPython
//! did not create must not take the GIL, because one doing so as the interpreter finalizes is
//! ended by CPython inside Rust frames, which aborts the process (seen as "PyGILState_Release:
//! thread state must be current" when `threading.Thread.start` gave the GIL up and the
//! interpreter began to exit before it came back). So a server task queues the request and
//! waits without Python; a Python daemon thread (`testing/_reply.py`) takes requests with
//! `next_reply` and runs each callback on a thread of its own.

use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::{Arc, LazyLock, Mutex};

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use tela_core::runtime::PerProcess;
use tela_emulator::{CanvasSpec, DifyAppSpec, Emulator, EmulatorConfig, FaultSpec, ReplyFn};

use crate::convert::to_json;
use crate::from_json::from_json;
use crate::runtime::block_on_shared;

fn parse<T: serde::de::DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let value = to_json(obj, what)?;
    serde_json::from_value(value).map_err(|e| PyValueError::new_err(format!("invalid {what}: {e}")))
}

fn to_py<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let bytes = serde_json::to_vec(value).map_err(|e| PyValueError::new_err(e.to_string()))?;
    from_json(py, &bytes).map_err(PyValueError::new_err)
}

type Outcome = Result<serde_json::Value, String>;

/// One request waiting for its callback. A tokio thread only moves it: the callback is
/// shared through an `Arc`, and a `Py` dropped without the GIL only queues its decref.
struct Job {
    callback: Arc<Py<PyAny>>,
    request: serde_json::Value,
    tx: SyncSender<Outcome>,
}

/// This process's request queue. Per process: a forked child must not share the parent's
/// receiver, whose lock the parent's waiting dispatcher held at the fork.
struct Queue {
    tx: Sender<Job>,
    rx: Mutex<Receiver<Job>>,
}

static QUEUE: LazyLock<PerProcess<Queue>> = LazyLock::new(|| {
    PerProcess::lazy(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        Queue {
            tx,
            rx: Mutex::new(rx),
        }
    })
});

fn python_reply(callback: Py<PyAny>) -> ReplyFn {
    let callback = Arc::new(callback);
    Arc::new(move |request: serde_json::Value| {
        if crate::runtime::closing() {
            return Err("the interpreter is exiting".to_owned());
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job = Job {
            callback: callback.clone(),
            request,
            tx,
        };
        QUEUE
            .get()
            .tx
            .send(job)
            .map_err(|_| "the emulator's reply queue is closed".to_owned())?;
        // A callback that ends unanswered drops `Respond`, closing the channel.
        rx.recv()
            .unwrap_or_else(|_| Err("reply callback ended without an answer".to_owned()))
    })
}

/// Waits (without the GIL) for the next request that has a reply callback; returns
/// `(callback, request, respond)`. Called in a loop by one Python daemon thread per process.
#[pyfunction]
pub fn _next_reply(py: Python<'_>) -> PyResult<(Py<PyAny>, Bound<'_, PyAny>, Respond)> {
    let queue = QUEUE.get();
    let job = py
        .detach(|| queue.rx.lock().unwrap_or_else(|p| p.into_inner()).recv())
        .map_err(|_| PyOSError::new_err("the emulator's reply queue is closed"))?;
    let request = to_py(py, &job.request)?;
    let respond = Respond {
        tx: Mutex::new(Some(job.tx)),
    };
    Ok((job.callback.clone_ref(py), request, respond))
}

/// Hands a reply callback's outcome from its Python thread back to the waiting server task.
#[pyclass(frozen, module = "tela_sdk._native")]
pub struct Respond {
    tx: Mutex<Option<SyncSender<Outcome>>>,
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

#[pyclass(frozen, module = "tela_sdk._native")]
pub struct NativeEmulator {
    inner: Emulator,
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
