//! PyO3 bindings: the native module `tela_sdk._native`. Thin glue only: it translates
//! arguments, results and errors, and bridges the runtime; all policy is in `tela-core`.

#[cfg(unix)]
mod aio;
mod cassette;
mod chunks;
mod client;
mod convert;
mod de;
mod emulator;
mod errors;
mod files;
mod from_json;
mod logging;
mod observe;
mod outcome;
mod runtime;
mod stream;

use pyo3::prelude::*;

/// The native types of APIs' stream events, by the name their core stream rules give them
/// (`StreamRules::events`). An API lists its own here; events of any other name are handed
/// over as parsed JSON (and typed by the Python face).
const NATIVE_EVENTS: &[(&str, stream::Build)] = &[chunks::EVENTS];

/// The native builder of the events `name`, if one is registered.
fn native_events(name: &str) -> Option<stream::Build> {
    NATIVE_EVENTS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, build)| *build)
}

#[pymodule(gil_used = false)]
mod _native {
    #[pymodule_export]
    use super::cassette::{_cassette_begin, _cassette_end};
    #[pymodule_export]
    use super::chunks::{ChunkChoice, ChunkModel, CompletionChunk, Delta};
    #[pymodule_export]
    use super::client::NativeClient;
    #[pymodule_export]
    use super::emulator::{_next_reply, NativeEmulator};
    #[pymodule_export]
    use super::files::NativeFile;
    #[pymodule_export]
    use super::observe::NativeTrace;
    #[pymodule_export]
    use super::runtime::_shutdown;
    #[pymodule_export]
    use super::stream::NativeStream;

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        // The core's operation names: `tela_sdk._operations.Operation` types against them.
        let ops = pyo3::types::PyTuple::new(m.py(), tela_core::api::names())?;
        m.add("OPERATIONS", ops)?;
        super::runtime::remember_main_thread(m.py())?;
        // Stop handing results to asyncio before the interpreter finalizes (see runtime.rs).
        let atexit = m.py().import("atexit")?;
        atexit.call_method1("register", (m.getattr("_shutdown")?,))?;
        Ok(())
    }
}
