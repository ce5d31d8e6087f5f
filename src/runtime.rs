//! Bridges the core's per-process tokio runtime to Python: blocking calls that release the
//! GIL and stay interruptible, and asyncio awaitables that are safe at interpreter exit.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use tela_core::runtime::{local_runtime, runtime};

/// How often a blocked sync call wakes to let Ctrl-C through.
const SIGNAL_TICK: Duration = Duration::from_millis(50);

/// Runs `fut` to completion on this process's current-thread runtime, driven by this thread
/// with the GIL released (see `tela_core::runtime::local_runtime` for why). Every tick it
/// lets Ctrl-C through on the main thread: KeyboardInterrupt, and the request is dropped.
pub fn block_on<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = PyResult<T>> + Send,
    T: Send,
{
    ensure_not_on_runtime()?;
    let rt = local_runtime();
    let main = is_main_thread();
    py.detach(|| {
        rt.block_on(async move {
            let mut fut = std::pin::pin!(fut);
            loop {
                match tokio::time::timeout(SIGNAL_TICK, fut.as_mut()).await {
                    Ok(result) => return result,
                    // Signals are only delivered to the main thread; others need not take the GIL.
                    Err(_) if main => Python::attach(|py| py.check_signals())?,
                    Err(_) => {}
                }
            }
        })
    })
}

/// Runs `fut` on the multi-thread runtime, for work that must keep running after this call
/// returns (the emulator's server tasks).
pub fn block_on_shared<F, T>(py: Python<'_>, fut: F) -> PyResult<T>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: Send + 'static,
{
    ensure_not_on_runtime()?;
    let handle = runtime().spawn(fut);
    block_on(py, async move {
        handle.await.unwrap_or_else(|e| Err(join_error(e)))
    })
}

/// Lets the current-thread runtime run work that nobody would otherwise drive: after a stream
/// is closed, its aborted producer must be dropped (closing the connection) now, not at the
/// next blocking call. A few scheduler turns suffice; skipped inside a runtime.
pub fn settle_local() {
    if tokio::runtime::Handle::try_current().is_err() {
        local_runtime().block_on(async {
            for _ in 0..4 {
                tokio::task::yield_now().await;
            }
        });
    }
}

fn join_error(e: tokio::task::JoinError) -> PyErr {
    if e.is_panic() {
        PyRuntimeError::new_err("internal error in tela-sdk (a Rust panic); please report it")
    } else {
        PyRuntimeError::new_err("the request task was cancelled")
    }
}

static MODULES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// The module `name` if the program has imported it, without importing it: `import
/// tela_sdk` and a first call stay free of modules only some programs use.
pub fn already_imported<'py>(py: Python<'py>, name: &str) -> Option<Bound<'py, PyAny>> {
    let modules = MODULES
        .get_or_try_init(py, || {
            let modules = py.import("sys")?.getattr("modules")?;
            Ok::<_, PyErr>(modules.cast_into::<PyDict>()?.unbind())
        })
        .ok()?;
    modules.bind(py).get_item(name).ok()?
}

static MAIN_THREAD: std::sync::OnceLock<std::thread::ThreadId> = std::sync::OnceLock::new();

/// Called from module init, which runs on the thread that imports tela_sdk (the main thread
/// in practice); that is where Python delivers signals. Without `threading` loaded, no thread
/// was started through it, and `threading` itself takes the thread that first imports it
/// for the main one: so is this one (`import tela_sdk` does not load `threading` for this).
pub fn remember_main_thread(py: Python<'_>) -> PyResult<()> {
    let is_main = match already_imported(py, "threading") {
        Some(threading) => threading
            .call_method0("current_thread")?
            .is(&threading.call_method0("main_thread")?),
        None => true,
    };
    if is_main {
        let _ = MAIN_THREAD.set(std::thread::current().id());
    }
    Ok(())
}

fn is_main_thread() -> bool {
    // Unknown (imported off the main thread): check every tick, as before.
    MAIN_THREAD
        .get()
        .is_none_or(|id| *id == std::thread::current().id())
}

fn ensure_not_on_runtime() -> PyResult<()> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(PyRuntimeError::new_err(
            "the sync client was called from a thread of the SDK's own runtime (e.g. inside an emulator reply callback); \
             use AsyncClient there, or call from another thread",
        ));
    }
    Ok(())
}

static CLOSING: AtomicBool = AtomicBool::new(false);
static INFLIGHT: AtomicUsize = AtomicUsize::new(0);

/// True once the interpreter has begun to exit (our atexit hook ran).
pub fn closing() -> bool {
    CLOSING.load(SeqCst)
}

/// pyo3-async-runtimes' view of our runtime. Completions are handed to asyncio from
/// `spawn_blocking`; during interpreter shutdown they are skipped, because a thread entering
/// CPython while it finalizes aborts the process on CPython <= 3.13.
pub struct SdkRuntime;

pub struct SdkJoinError(tokio::task::JoinError);

impl pyo3_async_runtimes::generic::JoinError for SdkJoinError {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }
    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

pub struct SdkJoinHandle(tokio::task::JoinHandle<()>);

impl Future for SdkJoinHandle {
    type Output = Result<(), SdkJoinError>;
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map_err(SdkJoinError)
    }
}

impl pyo3_async_runtimes::generic::Runtime for SdkRuntime {
    type JoinError = SdkJoinError;
    type JoinHandle = SdkJoinHandle;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        SdkJoinHandle(runtime().spawn(fut))
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        SdkJoinHandle(runtime().spawn_blocking(move || {
            INFLIGHT.fetch_add(1, SeqCst);
            if !CLOSING.load(SeqCst) {
                f();
            }
            INFLIGHT.fetch_sub(1, SeqCst);
        }))
    }
}

tokio::task_local! {
    static TASK_LOCALS: std::cell::OnceCell<pyo3_async_runtimes::TaskLocals>;
}

impl pyo3_async_runtimes::generic::ContextExt for SdkRuntime {
    fn scope<F, R>(
        locals: pyo3_async_runtimes::TaskLocals,
        fut: F,
    ) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = std::cell::OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<pyo3_async_runtimes::TaskLocals> {
        TASK_LOCALS
            .try_with(|c| c.get().cloned())
            .unwrap_or_default()
    }
}

/// Turns a Rust future into an asyncio awaitable bound to the running loop; cancelling the
/// asyncio future drops (aborts) the Rust one.
pub fn awaitable<'py, F, T>(py: Python<'py>, fut: F) -> PyResult<Bound<'py, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    #[cfg(unix)]
    let fut = match crate::aio::start(py, fut)? {
        Ok(started) => return Ok(started),
        Err(fut) => fut,
    };
    pyo3_async_runtimes::generic::future_into_py::<SdkRuntime, _, _>(py, fut)
}

/// Registered with `atexit`: stop handing results to asyncio and let in-flight hand-offs finish.
#[pyfunction]
pub fn _shutdown(py: Python<'_>) {
    CLOSING.store(true, SeqCst);
    py.detach(|| {
        let end = Instant::now() + Duration::from_secs(2);
        while INFLIGHT.load(SeqCst) > 0 && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}
