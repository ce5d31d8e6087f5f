//! The operations a face can call, by name. One entry point per shape (JSON answer or event
//! stream) keeps the bindings free of per-endpoint code: a new endpoint is a new arm here.

use serde_json::{Map, Value};

use crate::client::Client;
use crate::dify::{self, App, Info};
use crate::error::{Error, Result};
use crate::events::EventStream;
use crate::files::{self, FileSource};
use crate::shape::{self, Shape};
use crate::tela::{self, runs};
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
pub async fn call(client: &Client, op: &str, args: Args, opts: &CallOptions) -> Result<Response> {
    let resp = dispatch(client, op, args, opts).await?;
    check_answer(op, resp)
}

/// A 2xx answer the SDK cannot read is an error now, naming the call, not a broken result later.
fn check_answer(op: &str, resp: Response) -> Result<Response> {
    let (method, path, expected) = answer_of(op);
    match shape::check(&resp.body, expected) {
        Ok(()) => Ok(resp),
        Err(message) => Err(Error::Decode {
            status: resp.status,
            message,
            method: method.into(),
            path: path.into(),
            request_id: resp.request_id,
        }),
    }
}

/// The request line an operation sends (for messages) and the shape its answer must have.
fn answer_of(op: &str) -> (&'static str, &'static str, Shape) {
    match op {
        "completions.create" => ("POST", tela::COMPLETIONS_PATH, Shape::Completion),
        "completions.submit" => ("POST", tela::COMPLETIONS_PATH, Shape::Object),
        "completions.retrieve" => ("GET", "/v2/chat/completions/{id}", Shape::Object),
        "completions.list" => ("GET", runs::RUNS_LIST_PATH, Shape::Object),
        "files.upload" => ("POST", "/v3/files", Shape::Object),
        "files.retrieve" => ("GET", "/v3/files/{id}", Shape::Object),
        "dify.completion_messages.create" => ("POST", "/completion-messages", Shape::Dify),
        "dify.chat_messages.create" => ("POST", "/chat-messages", Shape::Dify),
        "dify.completion_messages.stop" => {
            ("POST", "/completion-messages/{task_id}/stop", Shape::Object)
        }
        "dify.chat_messages.stop" => ("POST", "/chat-messages/{task_id}/stop", Shape::Object),
        "dify.files.upload" => ("POST", dify::UPLOAD_PATH, Shape::Object),
        "dify.messages.feedback" => ("POST", "/messages/{message_id}/feedbacks", Shape::Object),
        "dify.parameters" => ("GET", "/parameters", Shape::Object),
        "dify.meta" => ("GET", "/meta", Shape::Object),
        "dify.info" => ("GET", "/info", Shape::Object),
        _ => ("", "", Shape::Object),
    }
}

async fn dispatch(client: &Client, op: &str, args: Args, opts: &CallOptions) -> Result<Response> {
    opts.validate()?;
    check_files(
        op,
        &args,
        &[
            "completions.create",
            "completions.submit",
            "files.upload",
            "dify.files.upload",
        ],
    )?;
    match op {
        "completions.create" => {
            tela::create(client, args.body, args.extra_body, args.files, opts).await
        }
        "files.upload" => files::upload_op(client, args.files, opts).await,
        "files.retrieve" => files::retrieve_op(client, args.body, opts).await,
        "completions.submit" => {
            runs::submit(client, args.body, args.extra_body, args.files, opts).await
        }
        "completions.retrieve" => runs::retrieve(client, args.body, opts).await,
        "completions.list" => runs::list(client, args.body, opts).await,
        "dify.completion_messages.create" => {
            dify::create(client, App::Completion, args.body, args.extra_body, opts).await
        }
        "dify.completion_messages.stop" => {
            dify::stop(client, App::Completion, args.body, args.extra_body, opts).await
        }
        "dify.chat_messages.create" => {
            dify::create(client, App::Chat, args.body, args.extra_body, opts).await
        }
        "dify.chat_messages.stop" => {
            dify::stop(client, App::Chat, args.body, args.extra_body, opts).await
        }
        "dify.files.upload" => {
            dify::upload(client, args.body, args.extra_body, args.files, opts).await
        }
        "dify.messages.feedback" => dify::feedback(client, args.body, args.extra_body, opts).await,
        "dify.parameters" => {
            dify::get_info(client, Info::Parameters, args.body, args.extra_body, opts).await
        }
        "dify.meta" => dify::get_info(client, Info::Meta, args.body, args.extra_body, opts).await,
        "dify.info" => dify::get_info(client, Info::Info, args.body, args.extra_body, opts).await,
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
    check_files(op, &args, &["completions.create"])?;
    match op {
        "completions.create" => {
            tela::stream(client, args.body, args.extra_body, args.files, opts).await
        }
        "runs.wait" => runs::wait(client, args.body, opts).await,
        "dify.completion_messages.create" => {
            dify::stream(client, App::Completion, args.body, args.extra_body, opts).await
        }
        "dify.chat_messages.create" => {
            dify::stream(client, App::Chat, args.body, args.extra_body, opts).await
        }
        other => Err(unknown(other)),
    }
}

/// Files reach only the operations that deliver them; anywhere else they would be dropped.
fn check_files(op: &str, args: &Args, accepting: &[&str]) -> Result<()> {
    if args.files.is_empty() || accepting.contains(&op) {
        return Ok(());
    }
    Err(Error::InvalidRequest(format!(
        "{op} does not take tela_sdk.File values yet: upload local files first with files.upload() and pass \
         the UploadedFile it returns, or pass {{\"file_url\": ...}} for a URL."
    )))
}

fn unknown(op: &str) -> Error {
    Error::InvalidRequest(format!(
        "unknown operation {op:?} (a tela_sdk bug: please report it)"
    ))
}
