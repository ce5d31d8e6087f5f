//! Hands async results to asyncio without a tokio thread ever taking the GIL.
//!
//! Measured (benchmarks/README.md, async profile): resolving each future from a tokio
//! blocking-pool thread that takes the GIL and calls `call_soon_threadsafe` costs a thread
//! wake-up and a GIL hand-off per request; at 64 in flight half the samples were threads
//! queued on the GIL. Here a finished request only pushes its result to its loop's queue and,
//! if the queue was empty, writes one byte to a socket the loop watches (`add_reader`). The
//! loop thread, which holds the GIL anyway, then resolves every queued future in one pass.
//! Loops without `add_reader` (Windows' Proactor) keep the pyo3-async-runtimes path.

use std::collections::HashMap;
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyWeakrefMethods, PyWeakrefReference};
use pyo3::{IntoPyObjectExt, intern};
use tela_core::runtime::runtime;
use tokio::task::AbortHandle;

/// Builds the Python result on the loop thread, with the GIL held.
type Finish = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// What tokio threads share with one loop's port: no Python objects, so no GIL needed.
struct Inbox {
    queue: Mutex<Vec<(u64, Finish)>>,
    /// True while a wake-up byte is in flight: one byte per batch, not per result.
    signalled: AtomicBool,
    wake: UnixStream,
}

impl Inbox {
    fn push(&self, id: u64, finish: Finish) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, finish));
        if !self.signalled.swap(true, Ordering::AcqRel) {
            // A full socket buffer means wake-ups are already pending: nothing is lost.
            let _ = (&self.wake).write(&[1]);
        }
    }
}

/// An asyncio future waiting on a request, and its cancel hook.
type Waiting = (Py<PyAny>, Py<Cancel>);

/// One per event loop: the futures it waits on, and the socket it watches.
#[pyclass(frozen, weakref)]
pub struct Port {
    inbox: Arc<Inbox>,
    watch: UnixStream,
    /// Futures by id, with the done-callback that aborts their request if they are
    /// cancelled; touched only on the loop thread.
    waiting: Mutex<HashMap<u64, Waiting>>,
    next_id: AtomicU64,
}

#[pymethods]
impl Port {
    /// The loop's reader callback: resolves every future whose result has arrived.
    fn drain(&self, py: Python<'_>) -> PyResult<()> {
        let mut sink = [0u8; 256];
        loop {
            match (&self.watch).read(&mut sink) {
                Ok(n) if n == sink.len() => continue,
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        // Cleared before the queue is taken, so a result pushed after the take signals again.
        self.inbox.signalled.store(false, Ordering::Release);
        let done = std::mem::take(&mut *self.inbox.queue.lock().unwrap_or_else(|e| e.into_inner()));
        for (id, finish) in done {
            let fut = self
                .waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            let Some((fut, cancel)) = fut else { continue };
            let fut = fut.bind(py);
            // A future cancelled meanwhile (wait_for timeout) takes no result.
            if fut.call_method0(intern!(py, "done"))?.is_truthy()? {
                continue;
            }
            // Its cancel hook is no longer needed: left on, asyncio would schedule it once
            // more per request on the loop, only for it to find the future not cancelled.
            fut.call_method1(intern!(py, "remove_done_callback"), (cancel,))?;
            let _ = match finish(py) {
                Ok(value) => fut.call_method1(intern!(py, "set_result"), (value,)),
                Err(err) => fut.call_method1(intern!(py, "set_exception"), (err.into_value(py),)),
            };
        }
        Ok(())
    }
}

/// A future's done-callback: a cancelled asyncio future aborts its Rust request.
#[pyclass(frozen)]
struct Cancel {
    port: Py<Port>,
    id: u64,
    abort: AbortHandle,
}

#[pymethods]
impl Cancel {
    fn __call__(&self, py: Python<'_>, fut: &Bound<'_, PyAny>) -> PyResult<()> {
        if fut.call_method0(intern!(py, "cancelled"))?.is_truthy()? {
            self.abort.abort();
            let port = self.port.get();
            port.waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&self.id);
        }
        Ok(())
    }
}

/// The port of `event_loop`, made on first use; None when the loop cannot watch a socket.
fn port_of<'py>(
    py: Python<'py>,
    event_loop: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, Port>>> {
    // The last loop that asked and its port, both held weakly: most programs run one loop,
    // and the weak dictionary's `get` below is a Python-level call per request.
    static LAST: Mutex<Option<(Py<PyWeakrefReference>, Py<PyWeakrefReference>)>> = Mutex::new(None);
    if let Some((last_loop, last_port)) = &*LAST.lock().unwrap_or_else(|e| e.into_inner())
        && let (Some(last_loop), Some(last_port)) =
            (last_loop.bind(py).upgrade(), last_port.bind(py).upgrade())
        && last_loop.is(event_loop)
        && let Ok(port) = last_port.cast_into::<Port>()
    {
        return Ok(Some(port));
    }
    let remember = |port: &Bound<'py, Port>| -> PyResult<()> {
        let pair = (
            PyWeakrefReference::new(event_loop)?.unbind(),
            PyWeakrefReference::new(port.as_any())?.unbind(),
        );
        *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some(pair);
        Ok(())
    };
    // Keyed weakly: a closed, collected loop takes its port (and sockets) with it.
    static PORTS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static NO_READER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let ports = PORTS
        .get_or_try_init(py, || -> PyResult<_> {
            Ok(py
                .import("weakref")?
                .getattr("WeakKeyDictionary")?
                .call0()?
                .unbind())
        })?
        .bind(py);
    let found = ports.call_method1(intern!(py, "get"), (event_loop,))?;
    if let Ok(port) = found.cast_into::<Port>() {
        remember(&port)?;
        return Ok(Some(port));
    }
    // Remembered per loop too, so a Proactor loop is asked once, not per request.
    let none = NO_READER.get_or_init(py, || py.None()).bind(py);
    if ports
        .call_method1(intern!(py, "get"), (event_loop, false))?
        .is(none)
    {
        return Ok(None);
    }
    let (wake, watch) = UnixStream::pair()
        .and_then(|(a, b)| {
            a.set_nonblocking(true)?;
            b.set_nonblocking(true)?;
            Ok((a, b))
        })
        .map_err(|e| {
            PyRuntimeError::new_err(format!("cannot create the asyncio wake-up socket: {e}"))
        })?;
    let fd = watch.as_raw_fd();
    let port = Bound::new(
        py,
        Port {
            inbox: Arc::new(Inbox {
                queue: Mutex::new(Vec::new()),
                signalled: AtomicBool::new(false),
                wake,
            }),
            watch,
            waiting: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        },
    )?;
    match event_loop.call_method1(intern!(py, "add_reader"), (fd, port.getattr("drain")?)) {
        Ok(_) => {
            ports.set_item(event_loop, &port)?;
            remember(&port)?;
            Ok(Some(port))
        }
        Err(e) if e.is_instance_of::<PyNotImplementedError>(py) => {
            ports.set_item(event_loop, none)?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn running_loop(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    static GET: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GET.import(py, "asyncio", "get_running_loop")?.call0()
}

/// Starts `fut` on the shared runtime and returns an asyncio future of its result, or
/// gives `fut` back when the running loop cannot watch a socket.
pub fn start<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Result<Bound<'py, PyAny>, F>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = running_loop(py)?;
    let Some(port) = port_of(py, &event_loop)? else {
        return Ok(Err(fut));
    };
    let result = event_loop.call_method0(intern!(py, "create_future"))?;
    let id = port.get().next_id.fetch_add(1, Ordering::Relaxed);
    let inbox = port.get().inbox.clone();
    let task = runtime().spawn(async move {
        let out = AssertUnwindSafe(fut).catch_unwind().await;
        inbox.push(
            id,
            Box::new(move |py| match out {
                Ok(Ok(value)) => value.into_py_any(py),
                Ok(Err(err)) => Err(err),
                Err(_) => Err(PyRuntimeError::new_err(
                    "internal error in tela-sdk (a Rust panic); please report it",
                )),
            }),
        );
    });
    let cancel = Bound::new(
        py,
        Cancel {
            port: port.clone().unbind(),
            id,
            abort: task.abort_handle(),
        },
    )?;
    // Registered before the loop can run `drain`: this thread holds the GIL, and `drain`
    // runs on the loop, which is this thread.
    port.get()
        .waiting
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, (result.clone().unbind(), cancel.clone().unbind()));
    result.call_method1(intern!(py, "add_done_callback"), (cancel,))?;
    Ok(Ok(result))
}
