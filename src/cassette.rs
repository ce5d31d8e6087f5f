//! Record and replay: the cassette switch of the core (`tela_core::transport::cassette`),
//! driven by `tela_sdk.testing.cassette`. The face reads and writes the file; the core
//! records, redacts, matches and replays.

use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// Starts a cassette for the whole process; `tape` is the file as JSON when replaying.
#[pyfunction]
#[pyo3(signature = (options, tape=None))]
pub fn _cassette_begin(options: &str, tape: Option<&str>) -> PyResult<()> {
    tela_core::transport::cassette::begin(options, tape).py()
}

/// Ends the cassette: the file's text when it recorded, else `None`.
#[pyfunction]
pub fn _cassette_end() -> Option<String> {
    tela_core::transport::cassette::end()
}
