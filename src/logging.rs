//! Hands the core's attempt/retry lines to Python's `tela_sdk` logger.
//!
//! The logger's level is read once per call, with the GIL the call already holds; a disabled
//! logger means no sink at all, so attempts cost nothing. Python is entered only where that
//! is safe: a blocking call logs on the caller's own thread (the one driving its runtime),
//! in real time; anything else (async calls, whose futures run on tokio workers) is buffered
//! and delivered with the result, inside the exit-guarded completion hop.

use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tela_core::logging::{Level, LogSink, Logger};
use tela_core::transport::CallOptions;

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

// Python's logging.DEBUG and logging.INFO.
const DEBUG: i32 = 10;
const INFO: i32 = 20;

/// The `tela_sdk` logger, once the program has imported `logging`. Before that no handler
/// can have been set up to hear the core's DEBUG and INFO lines (logging's last-resort
/// handler shows WARNING and above), and importing it here would cost a one-call CLI
/// `re`, `threading`, `traceback` and more: several milliseconds for nothing.
fn logger(py: Python<'_>) -> Option<&Bound<'_, PyAny>> {
    if let Some(l) = LOGGER.get(py) {
        return Some(l.bind(py));
    }
    let logging = crate::runtime::already_imported(py, "logging")?;
    LOGGER
        .get_or_try_init(py, || {
            logging
                .call_method1("getLogger", ("tela_sdk",))
                .map(Bound::unbind)
        })
        .ok()
        .map(|l| l.bind(py))
}

fn enabled(logger: &Bound<'_, PyAny>, level: i32) -> bool {
    logger
        .call_method1(pyo3::intern!(logger.py(), "isEnabledFor"), (level,))
        .and_then(|v| v.is_truthy())
        .unwrap_or(false)
}

fn write(py: Python<'_>, level: Level, line: &str) {
    if crate::runtime::closing() {
        return;
    }
    if let Some(l) = logger(py) {
        let level = match level {
            Level::Debug => DEBUG,
            Level::Info => INFO,
        };
        // A failing handler is logging's business (it reports it itself); never the call's.
        let _ = l.call_method1("log", (level, line));
    }
}

/// One call's sink.
pub struct PySink {
    level: Level,
    /// The thread allowed to enter Python while the call runs (blocking calls only).
    owner: Option<ThreadId>,
    pending: Mutex<Vec<(Level, String)>>,
}

impl LogSink for PySink {
    fn level(&self) -> Level {
        self.level
    }

    fn emit(&self, level: Level, line: String) {
        if self.owner == Some(std::thread::current().id()) {
            Python::attach(|py| write(py, level, &line));
        } else if let Ok(mut p) = self.pending.lock() {
            p.push((level, line));
        }
    }
}

impl PySink {
    /// Logs what was buffered. Needs the GIL, so only from the caller or the completion hop.
    pub fn flush(&self, py: Python<'_>) {
        let lines = self
            .pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default();
        for (level, line) in lines {
            write(py, level, &line);
        }
    }
}

/// Gives `opts` a sink when the `tela_sdk` logger wants INFO or more; `blocking` calls may
/// log from this thread as they go.
pub fn attach(py: Python<'_>, opts: &mut CallOptions, blocking: bool) -> Option<Arc<PySink>> {
    let l = logger(py)?;
    if !enabled(l, INFO) {
        return None;
    }
    let level = if enabled(l, DEBUG) {
        Level::Debug
    } else {
        Level::Info
    };
    let sink = Arc::new(PySink {
        level,
        owner: blocking.then(|| std::thread::current().id()),
        pending: Mutex::new(Vec::new()),
    });
    opts.log = Some(Logger(sink.clone()));
    Some(sink)
}

pub fn flush(py: Python<'_>, sink: &Option<Arc<PySink>>) {
    if let Some(s) = sink {
        s.flush(py);
    }
}

/// An async call's result with its buffered log lines, logged when the result is converted
/// for asyncio (the guarded hop), just before the result itself.
pub struct Logged<T>(pub T, pub Option<Arc<PySink>>);

impl<'py, T: IntoPyObject<'py>> IntoPyObject<'py> for Logged<T> {
    type Target = T::Target;
    type Output = T::Output;
    type Error = T::Error;

    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        flush(py, &self.1);
        self.0.into_pyobject(py)
    }
}
