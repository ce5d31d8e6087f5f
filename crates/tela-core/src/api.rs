//! The operations a face can call, by name. Each API keeps one table of its operations
//! (`tela::ops`, `dify::ops`); the client's API picks the table, so a call can only reach the
//! endpoints of the service it talks to, and the bindings stay free of per-endpoint code:
//! a new endpoint is a new table entry.

use crate::client::Client;
use crate::config::Api;
use crate::error::{Error, Result, identifiers_sent};
use crate::events::EventStream;
pub use crate::operation::{Args, CallFn, Operation, StreamFn};
use crate::shape;
use crate::transport::{CallOptions, Response};
use crate::usage;

/// The operations of one API.
pub fn table(api: Api) -> &'static [Operation] {
    match api {
        Api::Tela => crate::tela::ops::OPERATIONS,
        Api::Dify => crate::dify::ops::OPERATIONS,
    }
}

/// Every operation name, Tela's first; the faces export this list and type against it.
pub fn names() -> Vec<&'static str> {
    [Api::Tela, Api::Dify]
        .into_iter()
        .flat_map(|api| table(api).iter().map(|op| op.name))
        .collect()
}

/// Runs an operation that answers with JSON. A 404 names the identifiers it sent.
pub async fn call(client: &Client, op: &str, args: Args, opts: &CallOptions) -> Result<Response> {
    let entry = find(client, op)?;
    let run = entry.call.ok_or_else(|| wrong_shape(op, "stream"))?;
    check(entry, &args)?;
    let sent = identifiers_sent(&args.body);
    let resp = run(client, args, opts)
        .await
        .map_err(|e| e.naming_sent(sent))?;
    check_answer(entry, resp)
}

/// Runs an operation that answers with an event stream. A 404 on opening it names the
/// identifiers it sent.
pub async fn stream(
    client: &Client,
    op: &str,
    args: Args,
    opts: &CallOptions,
) -> Result<EventStream> {
    let entry = find(client, op)?;
    let run = entry.stream.ok_or_else(|| wrong_shape(op, "call"))?;
    check(entry, &args)?;
    let sent = identifiers_sent(&args.body);
    run(client, args, opts)
        .await
        .map_err(|e| e.naming_sent(sent))
}

/// The check every operation shares, before anything is sent. (The call options were
/// checked when they were built, by `CallOptions::new`.)
fn check(entry: &Operation, args: &Args) -> Result<()> {
    if args.files.is_empty() || entry.takes_files {
        return Ok(());
    }
    Err(Error::InvalidRequest(format!(
        "{} does not take tela_sdk.File values yet: upload local files first with files.upload() and pass \
         the UploadedFile it returns, or pass {{\"file_url\": ...}} for a URL.",
        entry.name
    )))
}

/// The entry of `op` in the client's table; an operation of the other API names the client
/// to use instead.
fn find(client: &Client, op: &str) -> Result<&'static Operation> {
    let api = client.config.api;
    if let Some(entry) = table(api).iter().find(|e| e.name == op) {
        return Ok(entry);
    }
    let other = match api {
        Api::Tela => Api::Dify,
        Api::Dify => Api::Tela,
    };
    if table(other).iter().any(|e| e.name == op) {
        return Err(Error::InvalidRequest(match other {
            Api::Dify => {
                format!("{op} is a Dify call; use tela_sdk.DifyClient (this client talks to Tela).")
            }
            Api::Tela => {
                format!("{op} is a Tela call; use tela_sdk.Client (this client talks to Dify).")
            }
        }));
    }
    Err(Error::InvalidRequest(format!(
        "unknown operation {op:?} (a tela_sdk bug: please report it); known operations: {}",
        names().join(", ")
    )))
}

fn wrong_shape(op: &str, use_instead: &str) -> Error {
    Error::InvalidRequest(format!(
        "operation {op:?} is only available as a {use_instead} (a tela_sdk bug: please report it)"
    ))
}

/// A 2xx answer the SDK cannot read is an error now, naming the request, not a broken result later.
/// The same pass picks what the usage ledger reads, unless the operation rewrote the body.
fn check_answer(entry: &Operation, mut resp: Response) -> Result<Response> {
    let checked = match resp.usage.take().filter(|p| p.waits_for(&resp.body)) {
        Some(pending) => shape::pick::check_picking(&resp.body, entry.answer, &usage::ANSWER)
            .map(|picked| pending.settle(&picked)),
        None => shape::check(&resp.body, entry.answer),
    };
    match checked {
        Ok(()) => Ok(resp),
        Err(message) => Err(resp.decode_error(message)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_each_entry_runs_somehow() {
        let all = names();
        let mut sorted = all.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), all.len(), "duplicate operation name");
        assert_eq!(all.len(), 36);
        for api in [Api::Tela, Api::Dify] {
            for op in table(api) {
                assert!(op.call.is_some() || op.stream.is_some(), "{}", op.name);
            }
        }
        assert!(
            table(Api::Dify)
                .iter()
                .all(|op| op.name.starts_with("dify."))
        );
        assert!(
            table(Api::Tela)
                .iter()
                .all(|op| !op.name.starts_with("dify."))
        );
    }
}
