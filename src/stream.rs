//! A core event stream seen from Python: batches of parsed events, sync or async.
//! The Python face (`tela_sdk._streaming`) iterates the batches and wraps the events.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBool;
use tela_core::events::EventStream;
use tokio::sync::Mutex;

use crate::outcome::{JsonBatch, Outcome};
use crate::runtime::{awaitable, block_on, settle_local};

#[pyclass(frozen, module = "tela_sdk._native")]
pub struct NativeStream {
    inner: Arc<Mutex<Option<EventStream>>>,
    abort: tokio::task::AbortHandle,
    request_id: Option<String>,
}

impl NativeStream {
    pub fn new(stream: EventStream) -> Self {
        let request_id = stream.request_id.clone();
        let abort = stream.abort_handle();
        NativeStream {
            inner: Arc::new(Mutex::new(Some(stream))),
            abort,
            request_id,
        }
    }
}

impl NativeStream {
    /// What can be had without waiting: a buffered batch, or the end of an ended stream.
    /// `None` when nothing has arrived yet (or another reader holds the stream).
    fn ready(&self) -> Option<Outcome<Option<JsonBatch>>> {
        let mut guard = self.inner.try_lock().ok()?;
        let next = match guard.as_mut() {
            Some(stream) => Some(stream.try_next_batch()?),
            None => None,
        };
        Some(finish(&mut guard, next))
    }
}

/// Garbage collection of the Python object closes the connection even if an abandoned
/// `anext_batch` awaitable still holds the channel.
impl Drop for NativeStream {
    fn drop(&mut self) {
        self.abort.abort();
        settle_local();
    }
}

/// One step of the stream; the stream is dropped (connection closed) once it ends or fails.
async fn step(slot: &mut Option<EventStream>) -> Outcome<Option<JsonBatch>> {
    let next = match slot.as_mut() {
        Some(s) => s.next_batch().await,
        None => None,
    };
    finish(slot, next)
}

fn finish(
    slot: &mut Option<EventStream>,
    next: Option<tela_core::Result<Vec<String>>>,
) -> Outcome<Option<JsonBatch>> {
    match next {
        Some(Ok(batch)) => Outcome::Ok(Some(JsonBatch(batch))),
        Some(Err(e)) => {
            *slot = None;
            Outcome::Err(e)
        }
        None => {
            *slot = None;
            Outcome::Ok(None)
        }
    }
}

#[pymethods]
impl NativeStream {
    /// The next list of events, or None at the end. Blocks with the GIL released.
    fn next_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        if let Some(ready) = self.ready() {
            return ready.into_pyobject(py);
        }
        let inner = self.inner.clone();
        let outcome = block_on(py, async move { Ok(step(&mut *inner.lock().await).await) })?;
        outcome.into_pyobject(py)
    }

    /// The next list of events if one is ready now, without waiting: a list, None at the
    /// end, or False when nothing has arrived yet (then await `anext_batch`). Lets an async
    /// consumer skip the asyncio round trip whenever the producer is ahead.
    fn poll_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.ready() {
            Some(ready) => ready.into_pyobject(py),
            None => Ok(PyBool::new(py, false).to_owned().into_any()),
        }
    }

    /// Awaitable of the next list of events, or None at the end.
    fn anext_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        awaitable(py, async move { Ok(step(&mut *inner.lock().await).await) })
    }

    /// Stops reading and closes the connection. Idempotent.
    fn close(&self) {
        // Aborting the producer drops the response (closing the connection) and wakes any
        // reader blocked on the channel, which then sees the end.
        self.abort.abort();
        if let Ok(mut guard) = self.inner.try_lock() {
            *guard = None;
        }
        settle_local();
    }

    #[getter]
    fn request_id(&self) -> Option<String> {
        self.request_id.clone()
    }
}
