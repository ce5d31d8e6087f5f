//! The Dify service API (completion and chat apps): what a valid request is, and how it is
//! sent. One file per endpoint family; `ops.rs` is the table the client dispatches through.
//!
//! Dify scopes messages, files, stop and feedback by the end user's id (`user`) and answers a
//! missing one with a 400, and it takes files by reference (a `remote_url`, or the id of a
//! file uploaded first). These rules are checked here, before anything is sent, so the
//! message can say what to pass.

mod app;
mod conversations;
mod feedback;
mod file_ref;
mod info;
mod message;
pub mod ops;
mod stop;
pub mod stream;
mod upload;

use serde_json::{Map, Value};

pub use app::{App, Mode};
pub use conversations::{
    Conversations, conversations, prepare_delete, prepare_list_conversations,
    prepare_list_messages, prepare_preview, prepare_rename,
};
pub use feedback::{feedback, prepare_feedback};
pub use file_ref::{FILE_TYPES, file_ref, file_type_for};
pub use info::{Info, get_info};
pub use message::{create, prepare_message, stream};
pub use stop::{prepare_stop, stop};
pub use upload::{UPLOAD_PATH, Upload, prepare_upload, upload};

use crate::error::{Error, Result};
use crate::json::kind;
use crate::transport::path_segment;

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest(message.into())
}

/// `user` is required by every Dify call that touches messages or files.
fn require_user(body: &Map<String, Value>, call: &str) -> Result<()> {
    match body.get("user") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        Some(Value::String(_)) => Err(invalid(format!(
            "{call}: user is empty; pass your end user's id (any stable string, e.g. \"user-123\")."
        ))),
        None | Some(Value::Null) => Err(invalid(format!(
            "{call} needs user=\"...\": the id of your end user. Dify requires it and scopes \
             messages, files, stop and feedback by it, so use the same id on every call for one user."
        ))),
        Some(v) => Err(invalid(format!(
            "{call}: user must be a string, got {}.",
            kind(v)
        ))),
    }
}

fn reject_unknown(body: &Map<String, Value>, allowed: &[&str], call: &str) -> Result<()> {
    if let Some(k) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(invalid(format!(
            "{call} does not take {k:?}; send fields this SDK does not know with extra_body={{...}}."
        )));
    }
    Ok(())
}

/// An id as one URL path segment: required, and percent-encoded so it cannot change the path.
fn segment(body: &Map<String, Value>, key: &str, hint: &str) -> Result<String> {
    let id = match body.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::String(_)) | None | Some(Value::Null) => {
            return Err(invalid(format!("{key} is required: {hint}.")));
        }
        Some(v) => {
            return Err(invalid(format!("{key} must be a string, got {}.", kind(v))));
        }
    };
    Ok(path_segment(id))
}

fn no_extra(extra_body: &Option<Map<String, Value>>, call: &str) -> Result<()> {
    match extra_body {
        Some(m) if !m.is_empty() => Err(invalid(format!(
            "{call} sends no body; pass extra_query={{...}} instead of extra_body."
        ))),
        _ => Ok(()),
    }
}
