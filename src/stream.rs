//! A core event stream seen from Python: batches of parsed events, sync or async.
//! The Python face (`tela_sdk._streaming`) iterates the batches and wraps the events.
//!
//! Async reads are cancel-safe: the awaitable (`wait_batch`) only waits until a batch is
//! ready and parks it here; the Python side then takes it synchronously (`poll_batch`).
//! A batch never travels through an asyncio future, so a cancelled wait loses nothing.

use std::sync::Arc;

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyTuple};
use tela_core::events::{Batch, EventStream, Flavor};
use tela_core::runtime::current_pid;
use tela_core::tally::Tally;
use tokio::sync::Mutex;

use crate::convert::from_json;
use crate::errors::invalid;
use crate::outcome::{JsonBatch, Outcome};
use crate::runtime::{awaitable, block_on, settle_local};

/// What the core's `next_batch` returns: a batch, an error, or `None` at the end.
type Next = Option<tela_core::Result<Batch>>;

#[derive(Default)]
struct State {
    /// `None` once the stream has ended, failed or been closed (connection dropped).
    stream: Option<EventStream>,
    /// A read that a `wait_batch` completed and nobody has taken yet.
    parked: Option<Next>,
    /// The totals of a Tela stream, kept when the stream itself is dropped at its end.
    tally: Option<Tally>,
}

impl State {
    /// Drops the stream (closing the connection), keeping its totals for `final()`.
    fn end(&mut self) {
        if let Some(mut stream) = self.stream.take() {
            self.tally = stream.take_tally();
        }
    }

    fn tally(&self) -> Option<&Tally> {
        match &self.stream {
            Some(stream) => stream.tally(),
            None => self.tally.as_ref(),
        }
    }
}

#[pyclass(frozen, module = "tela_sdk._native")]
pub struct NativeStream {
    inner: Arc<Mutex<State>>,
    abort: tokio::task::AbortHandle,
    request_id: Option<String>,
    /// Tela streams hand over native `CompletionChunk`s instead of dicts.
    chunks: bool,
    /// The process that opened the stream: its producer runs on that process's runtime,
    /// which a forked child does not have (a read there would wait forever).
    pid: u32,
}

impl NativeStream {
    pub fn new(stream: EventStream) -> Self {
        let request_id = stream.request_id.clone();
        let abort = stream.abort_handle();
        let chunks = stream.flavor() == Some(Flavor::Tela);
        NativeStream {
            inner: Arc::new(Mutex::new(State {
                stream: Some(stream),
                parked: None,
                tally: None,
            })),
            abort,
            request_id,
            chunks,
            pid: current_pid(),
        }
    }

    /// Whether this process opened the stream (false in a child forked after it was opened).
    fn ours(&self) -> bool {
        self.pid == current_pid()
    }

    /// A read in a forked child: a typed error at once, instead of a wait on a producer
    /// that only exists in the parent (it would ignore `stream_idle` and hang forever).
    fn check_process(&self) -> PyResult<()> {
        if self.ours() {
            return Ok(());
        }
        Err(invalid(format!(
            "this stream was opened in process {} and belongs to it: its connection is read by \
             that process's runtime, which a child made by fork() does not have (this is process {}). \
             Open a new stream in the child (clients keep working after fork), or finish reading \
             it in the parent.",
            self.pid,
            current_pid()
        )))
    }
}

impl NativeStream {
    /// What can be had without waiting: a parked or buffered batch, or the end of an ended
    /// stream. `None` when nothing has arrived yet (or a wait holds the stream right now).
    fn ready(&self) -> Option<Outcome<Option<Batch>>> {
        let mut guard = self.inner.try_lock().ok()?;
        let state = &mut *guard;
        let next = match state.parked.take() {
            Some(next) => next,
            None => match state.stream.as_mut() {
                Some(stream) => Some(stream.try_next_batch()?),
                None => None,
            },
        };
        Some(finish(state, next))
    }

    /// A read's outcome as the Python objects it hands over.
    fn to_py<'py>(
        &self,
        py: Python<'py>,
        outcome: Outcome<Option<Batch>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let chunks = self.chunks;
        match outcome {
            Outcome::Ok(batch) => Outcome::Ok(batch.map(|events| JsonBatch { events, chunks })),
            Outcome::Err(e) => Outcome::Err(e),
        }
        .into_pyobject(py)
    }
}

/// Garbage collection of the Python object closes the connection even if an abandoned
/// `wait_batch` awaitable still holds the channel.
impl Drop for NativeStream {
    fn drop(&mut self) {
        if !self.ours() {
            // A forked child: the producer and the connection are the parent's. Leave them
            // alone (aborting would schedule on the parent's runtime) and leak the state.
            std::mem::forget(self.inner.clone());
            return;
        }
        self.abort.abort();
        settle_local();
    }
}

/// One blocking step of the stream; the stream is dropped (connection closed) once it ends or fails.
async fn step(state: &mut State) -> Outcome<Option<Batch>> {
    let next = match (state.parked.take(), state.stream.as_mut()) {
        (Some(next), _) => next,
        (None, Some(s)) => s.next_batch().await,
        (None, None) => None,
    };
    finish(state, next)
}

/// Waits until a read is ready and parks it. Cancel-safe: dropping this future at any await
/// point leaves the channel (and anything parked) as it was.
async fn park(state: &mut State) {
    if state.parked.is_some() {
        return;
    }
    if let Some(s) = state.stream.as_mut() {
        state.parked = Some(s.next_batch().await);
    }
}

fn finish(state: &mut State, next: Next) -> Outcome<Option<Batch>> {
    match next {
        Some(Ok(batch)) => Outcome::Ok(Some(batch)),
        Some(Err(e)) => {
            state.end();
            Outcome::Err(e)
        }
        None => {
            state.end();
            Outcome::Ok(None)
        }
    }
}

#[pymethods]
impl NativeStream {
    /// The next list of events, or None at the end. Blocks with the GIL released.
    fn next_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_process()?;
        if let Some(ready) = self.ready() {
            return self.to_py(py, ready);
        }
        let inner = self.inner.clone();
        let outcome = block_on(py, async move { Ok(step(&mut *inner.lock().await).await) })?;
        self.to_py(py, outcome)
    }

    /// The next list of events if one is ready now, without waiting: a list, None at the
    /// end, or False when nothing has arrived yet (then await `wait_batch` and poll again).
    /// Lets an async consumer skip the asyncio round trip whenever the producer is ahead.
    fn poll_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_process()?;
        match self.ready() {
            Some(ready) => self.to_py(py, ready),
            None => Ok(PyBool::new(py, false).to_owned().into_any()),
        }
    }

    /// Awaitable that resolves (to None) once `poll_batch` has something to return. It
    /// carries no events, so cancelling it (a `wait_for` timeout) loses none.
    fn wait_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_process()?;
        let inner = self.inner.clone();
        awaitable(py, async move {
            park(&mut *inner.lock().await).await;
            Ok(())
        })
    }

    /// Awaitable of the next list of events, or None at the end. Not cancel-safe (a batch
    /// taken by a cancelled await is lost); for callers that stop reading when cancelled.
    fn anext_batch<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_process()?;
        let inner = self.inner.clone();
        let chunks = self.chunks;
        awaitable(py, async move {
            Ok(match step(&mut *inner.lock().await).await {
                Outcome::Ok(batch) => Outcome::Ok(batch.map(|events| JsonBatch { events, chunks })),
                Outcome::Err(e) => Outcome::Err(e),
            })
        })
    }

    /// Stops reading and closes the connection. Idempotent.
    fn close(&self) {
        if !self.ours() {
            // The parent's to close; the child only stops using it.
            return;
        }
        // Aborting the producer drops the response (closing the connection) and wakes any
        // reader blocked on the channel, which then sees the end.
        self.abort.abort();
        if let Ok(mut guard) = self.inner.try_lock() {
            guard.end();
            guard.parked = None;
        }
        settle_local();
    }

    /// What a Tela stream added up to over the events handed over so far, tallied in the
    /// core: `(text, finish_reason, message, structured_content, chunks, id, usage)`, the
    /// JSON fields parsed. None for other streams, or while a wait holds the stream.
    fn tally<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let Ok(guard) = self.inner.try_lock() else {
            return Ok(None);
        };
        let Some(t) = guard.tally() else {
            return Ok(None);
        };
        let json = |field: &Option<String>| -> PyResult<Bound<'py, PyAny>> {
            match field {
                Some(text) => from_json(py, text.as_bytes()).map_err(PyValueError::new_err),
                None => Ok(py.None().into_bound(py)),
            }
        };
        let items: [Bound<'py, PyAny>; 7] = [
            t.text.as_str().into_bound_py_any(py)?,
            t.finish_reason.as_deref().into_bound_py_any(py)?,
            json(&t.message)?,
            json(&t.structured_content)?,
            t.chunks.into_bound_py_any(py)?,
            t.id.as_deref().into_bound_py_any(py)?,
            json(&t.usage)?,
        ];
        Ok(Some(PyTuple::new(py, items)?))
    }

    #[getter]
    fn request_id(&self) -> Option<String> {
        self.request_id.clone()
    }
}
