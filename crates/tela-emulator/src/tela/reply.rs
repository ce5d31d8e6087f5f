//! What a canvas answers: its static reply rendered with the variables, or its callback's.

use std::borrow::Cow;

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::prompt::with_messages;
use super::registry::{Reply as StaticReply, Target};
use super::request::CompletionRequest;
use crate::log::masked_headers;
use crate::template::render;

/// The assistant's content: text, or a structured object (or any non-string JSON).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Content {
    Text(String),
    Structured(Value),
}

impl Content {
    /// The text a client reads as it streams: structured content as its JSON text.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Content::Text(text) => Cow::Borrowed(text),
            Content::Structured(value) => Cow::Owned(value.to_string()),
        }
    }

    /// `message.content` of a synchronous completion.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Content::Text(text) => Value::String(text.clone()),
            Content::Structured(value) => value.clone(),
        }
    }
}

pub(crate) struct Reply {
    pub content: Content,
    /// The rendered template with the messages appended: what the "model" was sent.
    pub prompt: String,
}

/// Token counts are whitespace-separated words: plausible, deterministic, cheap.
pub(crate) fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// The reply, or the message of a callback's failure (a 500 `CALLBACK_ERROR`).
pub(crate) async fn produce(
    target: &Target,
    request: &CompletionRequest,
    headers: &HeaderMap,
) -> Result<Reply, String> {
    let variables = super::files::named_variables(&request.variables, &request.files);
    let rendered = render(&target.version.template, &variables);
    let prompt = with_messages(&rendered, &request.messages);
    let content = match &target.canvas.callback {
        Some(callback) => {
            let input = json!({
                "canvas_id": target.canvas.id,
                "version_id": target.version.id,
                "environment_name": target.environment_name,
                "variables": request.variables,
                "messages": request.messages,
                "override": request.overrides,
                "prompt": prompt,
                "headers": masked_headers(headers),
                "files": request.files,
            });
            let callback = callback.clone();
            match tokio::task::spawn_blocking(move || callback(input)).await {
                Ok(Ok(Value::String(text))) => Content::Text(text),
                Ok(Ok(Value::Null)) => Content::Text(String::new()),
                Ok(Ok(value)) => Content::Structured(value),
                Ok(Err(message)) => return Err(message),
                Err(_) => return Err("The reply callback panicked".to_owned()),
            }
        }
        None => match &target.version.reply {
            StaticReply::Echo => Content::Text(rendered),
            StaticReply::Text(text) => Content::Text(render(text, &variables)),
            StaticReply::Structured(value) => Content::Structured(value.clone()),
        },
    };
    Ok(Reply { content, prompt })
}
