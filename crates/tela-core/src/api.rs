//! The operations a face can call, by name. One entry point per shape (JSON answer or event
//! stream) keeps the bindings free of per-endpoint code: a new endpoint is a new arm here.

use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::events::EventStream;
use crate::tela;
use crate::transport::{CallOptions, Response};

/// Arguments of one call: the typed fields the user passed, and the unchecked extras.
#[derive(Debug, Default)]
pub struct Args {
    pub body: Map<String, Value>,
    pub extra_body: Option<Map<String, Value>>,
}

/// Runs an operation that answers with JSON.
pub async fn call(client: &Client, op: &str, args: Args, opts: &CallOptions) -> Result<Response> {
    opts.validate()?;
    match op {
        "completions.create" => tela::create(client, args.body, args.extra_body, opts).await,
        other => Err(unknown(other)),
    }
}

/// Runs an operation that answers with an event stream.
pub async fn stream(
    client: &Client,
    op: &str,
    args: Args,
    opts: &CallOptions,
) -> Result<EventStream> {
    opts.validate()?;
    match op {
        "completions.create" => tela::stream(client, args.body, args.extra_body, opts).await,
        other => Err(unknown(other)),
    }
}

fn unknown(op: &str) -> Error {
    Error::InvalidRequest(format!(
        "unknown operation {op:?} (a tela_sdk bug: please report it)"
    ))
}
