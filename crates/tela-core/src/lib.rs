//! Pure-Rust core of tela-sdk. Everything with policy (configuration, validation, retries,
//! timeouts, SSE, endpoints) lives here so it is tested with plain `cargo test` and reusable
//! from faces other than Python. No pyo3 in this crate, by design.

pub mod api;
pub mod client;
pub mod config;
pub mod dify;
pub mod error;
pub mod events;
pub mod files;
pub mod json;
pub mod limiter;
pub mod logging;
pub mod operation;
mod redirect;
pub mod retry;
pub mod runtime;
pub mod shape;
pub mod sse;
pub mod tally;
pub mod tela;
pub mod transport;
pub mod usage;

pub use client::Client;
pub use config::{ClientConfig, ConfigInput, Secret, Timeouts};
pub use error::{ConnectionKind, Error, Result, StatusError, TimeoutKind};
