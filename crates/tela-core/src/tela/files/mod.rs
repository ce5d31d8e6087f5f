//! Tela files: the vault (`POST /v3/files` + streamed `PUT`) and how files inside a request
//! body are delivered, inline or uploaded. The generic side (what a `File` is, how local
//! content is read) is the top-level `files` module.
//!
//! - [`upload`](mod@upload): `POST /v3/files` + streamed `PUT`.
//! - [`resolve`]: placeholders in a request body -> references, inline or uploaded.

pub mod resolve;
pub mod upload;

use reqwest::header::HeaderMap;
use serde_json::{Map, Value, json};

pub use resolve::{
    FilePolicy, INLINE_FILE_LIMIT, INLINE_REQUEST_LIMIT, UPLOAD_CONCURRENCY, build_body,
    forced_inline_warnings,
};
pub use upload::{
    COMPATIBILITY_DATE, FILES_PATH, OnProgress, PROGRESS_STEP, Uploaded, retrieve, upload,
};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::files::FileSource;
use crate::transport::{CallOptions, Response};

/// `files.upload`: uploads one file and answers its vault reference as JSON
/// (`id`, `file_url`, `name`, `mime_type`, `size`, and `options` when set). A `vault://`
/// file is already uploaded and is answered as is; a `data:` URL is decoded and uploaded.
pub async fn upload_op(
    client: &Client,
    mut files: Vec<FileSource>,
    opts: &CallOptions,
) -> Result<Response> {
    let (Some(file), true) = (files.pop(), files.is_empty()) else {
        return Err(Error::InvalidRequest(
            "files.upload() takes exactly one file.".into(),
        ));
    };
    let mut out = Map::new();
    let request_id = match file.url() {
        Some(url) if url.starts_with("vault://") => {
            out.insert("id".into(), json!(&url["vault://".len()..]));
            out.insert("file_url".into(), json!(url));
            None
        }
        Some(url) if !url.starts_with("data:") => {
            return Err(Error::InvalidRequest(format!(
                "{url:?} is a public URL: pass it in variables as is (File(url)); only local content is uploaded."
            )));
        }
        _ => {
            let opened = file.open_async().await?;
            let uploaded = upload(client, &opened, opts).await?;
            out.insert("id".into(), json!(uploaded.id));
            out.insert("file_url".into(), json!(uploaded.file_url()));
            out.insert("name".into(), json!(opened.name));
            out.insert("mime_type".into(), json!(opened.mime_type));
            out.insert("size".into(), json!(opened.len));
            uploaded.request_id
        }
    };
    if let Some(o) = file.options.to_json() {
        out.insert("options".into(), o);
    }
    let body = crate::json::to_bytes(&out)?;
    Ok(Response {
        method: "POST".into(),
        path: FILES_PATH.into(),
        status: 200,
        headers: HeaderMap::new(),
        body,
        request_id,
        retries: 0,
        usage: None,
    })
}

/// `files.retrieve`: `body = {"id": ...}`.
pub async fn retrieve_op(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    let Some(id) = body.get("id").and_then(Value::as_str) else {
        return Err(Error::InvalidRequest(
            "files.retrieve() needs the file id (a str).".into(),
        ));
    };
    retrieve(client, id, opts).await
}
