//! A core event stream seen from Python: batches of parsed events, sync or async, and the
//! totals the core keeps of them. The Python face (`tela_sdk._streaming`) iterates the
//! batches and wraps the events. Knows no API: events whose rules name a native type
//! registered in `lib.rs` (`NATIVE_EVENTS`) are built as that type, others handed over as
//! parsed JSON; the totals are whatever named fields the API's tally reports.
//!
//! Async reads are cancel-safe: the awaitable (`wait_batch`) only waits until a batch is
//! ready and parks it here; the Python side then takes it synchronously (`poll_batch`).
//! A batch never travels through an asyncio future, so a cancelled wait loses nothing.

use std::sync::Arc;

use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList};
use tela_core::events::{Batch, EventStream};
use tela_core::runtime::current_pid;
use tela_core::tally::{Total, Totals};
use tokio::sync::Mutex;

use crate::errors::{self, invalid};
use crate::from_json::from_json;
use crate::outcome::{Outcome, ToPy};
use crate::runtime::{awaitable, block_on, settle_local};

/// What the core's `next_batch` returns: a batch, an error, or `None` at the end.
type Next = Option<tela_core::Result<Batch>>;

/// Builds the native object of one parsed event (an API's stream event type).
pub type Build = for<'py> fn(Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>>;

/// The payloads of one stream hand-over; becomes a list of parsed events, each built as
/// the native type `build` makes when the stream's events have one, plain dicts otherwise.
pub struct JsonBatch {
    pub events: Vec<String>,
    pub build: Option<Build>,
}

impl JsonBatch {
    pub fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut items = Vec::with_capacity(self.events.len());
        for data in &self.events {
            // The core checked every event's shape; this only catches a parser disagreement.
            let item = from_json(py, data.as_bytes()).map_err(|e| {
                errors::to_py(tela_core::Error::Decode {
                    status: 200,
                    message: format!("an event is not JSON ({e}): {:.200}", data),
                    method: "stream".into(),
                    path: String::new(),
                    request_id: None,
                })
            })?;
            items.push(match self.build {
                Some(build) => build(item)?,
                None => item,
            });
        }
        Ok(PyList::new(py, items)?.into_any())
    }
}

impl ToPy for Option<JsonBatch> {
    fn to_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        match self {
            Some(b) => b.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl ToPy for NativeStream {
    fn to_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        Ok(Bound::new(py, self)?.into_any())
    }
}

#[derive(Default)]
struct State {
    /// `None` once the stream has ended, failed or been closed (connection dropped).
    stream: Option<EventStream>,
    /// A read that a `wait_batch` completed and nobody has taken yet.
    parked: Option<Next>,
}

impl State {
    /// Drops the stream (closing the connection); its totals live on in `NativeStream`.
    fn end(&mut self) {
        self.stream = None;
    }
}

#[pyclass(frozen, module = "tela_sdk._native")]
pub struct NativeStream {
    inner: Arc<Mutex<State>>,
    abort: tokio::task::AbortHandle,
    request_id: Option<String>,
    /// The native type the events are built as, if their rules name one; else dicts.
    build: Option<Build>,
    /// What the stream adds up to, under a lock of its own: readable while a read waits,
    /// and after the stream has ended.
    totals: Option<Totals>,
    /// The process that opened the stream: its producer runs on that process's runtime,
    /// which a forked child does not have (a read there would wait forever).
    pid: u32,
}

impl NativeStream {
    pub fn new(stream: EventStream) -> Self {
        let request_id = stream.request_id.clone();
        let abort = stream.abort_handle();
        let build = stream.events().and_then(crate::native_events);
        let totals = stream.totals();
        NativeStream {
            inner: Arc::new(Mutex::new(State {
                stream: Some(stream),
                parked: None,
            })),
            abort,
            request_id,
            build,
            totals,
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
    /// One total as a Python value. JSON the core kept but the binding's parser refuses is a
    /// typed error (a `TelaError`) naming the field, not a bare `ValueError`.
    fn total_to_py<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        total: Total<'_>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match total {
            Total::Text(text) => text.into_bound_py_any(py),
            Total::MaybeText(text) => text.into_bound_py_any(py),
            Total::Json(None) => Ok(py.None().into_bound(py)),
            Total::Json(Some(text)) => from_json(py, text.as_bytes()).map_err(|e| {
                errors::to_py(tela_core::Error::Decode {
                    status: 200,
                    message: format!(
                        "the stream's {name} is not JSON this SDK can read ({e}): {:.200}",
                        text
                    ),
                    method: "stream".into(),
                    path: String::new(),
                    request_id: self.request_id.clone(),
                })
            }),
            Total::Count(n) => n.into_bound_py_any(py),
            Total::Flag(b) => b.into_bound_py_any(py),
            Total::Bytes(bytes) => Ok(PyBytes::new(py, bytes).into_any()),
        }
    }

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
        let build = self.build;
        match outcome {
            Outcome::Ok(batch) => Outcome::Ok(batch.map(|events| JsonBatch { events, build })),
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
        let build = self.build;
        awaitable(py, async move {
            Ok(match step(&mut *inner.lock().await).await {
                Outcome::Ok(batch) => Outcome::Ok(batch.map(|events| JsonBatch { events, build })),
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

    /// What the stream added up to over the events handed over so far, tallied in the core
    /// by the API's rules: a dict of its named totals (JSON fields parsed), or with `field`
    /// that one total. Empty for a stream without totals. Never waits for a read: the
    /// totals have a lock of their own.
    #[pyo3(signature = (field = None))]
    fn tally<'py>(&self, py: Python<'py>, field: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        let out = PyDict::new(py);
        let Some(totals) = &self.totals else {
            return match field {
                Some(name) => Err(PyKeyError::new_err(name.to_owned())),
                None => Ok(out.into_any()),
            };
        };
        let tally = totals.lock();
        for (name, total) in tally.fields() {
            if field.is_some_and(|f| f != name) {
                continue;
            }
            let value = self.total_to_py(py, name, total)?;
            if field.is_some() {
                return Ok(value);
            }
            out.set_item(name, value)?;
        }
        match field {
            Some(name) => Err(PyKeyError::new_err(name.to_owned())),
            None => Ok(out.into_any()),
        }
    }

    #[getter]
    fn request_id(&self) -> Option<String> {
        self.request_id.clone()
    }
}
