//! What an operation table entry is. Kept apart from `api.rs`, which picks a table by API, so
//! each API's `ops.rs` depends on this module only and no module circle runs through the tables.

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::Result;
use crate::events::EventStream;
use crate::files::FileSource;
use crate::shape::Shape;
use crate::transport::{CallOptions, Response};

/// Arguments of one call: the typed fields the user passed, and the unchecked extras.
#[derive(Debug, Default)]
pub struct Args {
    pub body: Map<String, Value>,
    pub extra_body: Option<Map<String, Value>>,
    /// The files found in `body`/`extra_body`; placeholder `{"$tela_file": i}` stands for the i-th.
    pub files: Vec<FileSource>,
}

/// Runs an operation that answers with JSON.
pub type CallFn = for<'a> fn(&'a Client, Args, &'a CallOptions) -> BoxFuture<'a, Result<Response>>;

/// Runs an operation that answers with an event stream.
pub type StreamFn =
    for<'a> fn(&'a Client, Args, &'a CallOptions) -> BoxFuture<'a, Result<EventStream>>;

/// One entry of an API's operation table.
pub struct Operation {
    /// The name the faces pass (`tela_sdk._native.OPERATIONS` lists them all).
    pub name: &'static str,
    /// The shape a JSON answer must have (streams are checked event by event instead).
    pub answer: Shape,
    /// Whether it delivers `tela_sdk.File` values; anywhere else they would be dropped.
    pub takes_files: bool,
    pub call: Option<CallFn>,
    pub stream: Option<StreamFn>,
}
