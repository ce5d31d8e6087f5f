//! `POST /files/upload` (protocol.md §6.6): one multipart file per request, read as it arrives
//! (hashed and counted; the bytes kept only up to 16 MiB, for the preview of protocol.md §6.9),
//! with Dify's size limits and error codes.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State as Extract};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::apps::{DifyApp, PREVIEW_MAX};
use super::auth::Authed;
use super::errors::{error, invalid_param};
use super::spec::DifyUpload;
use crate::clock::unix_seconds;
use crate::digest::{Digested, Digester};
use crate::ids;
use crate::log::LogHandle;
use crate::response::json_response;
use crate::state::{State, lock};

/// What arrived in the `file` part.
struct Received {
    filename: Option<String>,
    mime_type: Option<String>,
    size: u64,
    sha256: String,
    /// The bytes, when at most [`PREVIEW_MAX`] (for the preview).
    content: Option<Vec<u8>>,
}

fn no_file() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "no_file_uploaded",
        "Please upload your file.",
    )
}

/// The limit for a file, chosen by its extension as Dify does.
fn limit_for(app: &DifyApp, extension: &str) -> u64 {
    let l = &app.spec.upload_limits;
    match extension {
        "jpg" | "jpeg" | "png" | "webp" | "gif" | "svg" => l.image,
        "mp4" | "mov" | "mpeg" | "webm" => l.video,
        "mp3" | "m4a" | "wav" | "amr" | "mpga" => l.audio,
        _ => l.file,
    }
}

fn extension_of(filename: &str) -> String {
    filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

pub(crate) async fn upload(
    Extract(state): Extract<Arc<State>>,
    Authed(app): Authed,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let handle = parts.extensions.get::<LogHandle>().copied();
    let boundary = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    let Some(boundary) = boundary else {
        drain(body).await;
        return no_file();
    };
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut user: Option<String> = None;
    let mut file: Option<Received> = None;
    let mut files = 0usize;
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) => return no_file(),
        };
        let is_file = field.name() == Some("file") || field.file_name().is_some();
        if !is_file {
            let name = field.name().map(str::to_owned);
            let text = field.text().await.unwrap_or_default();
            if name.as_deref() == Some("user") {
                user = Some(text);
            }
            continue;
        }
        files += 1;
        let filename = field.file_name().map(str::to_owned);
        let mime_type = field.content_type().map(ToString::to_string);
        let mut digest = Digester::new();
        let mut kept = Some(Vec::new());
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    digest.update(&chunk);
                    if let Some(k) = kept.as_mut() {
                        if (k.len() + chunk.len()) as u64 > PREVIEW_MAX {
                            kept = None;
                        } else {
                            k.extend_from_slice(&chunk);
                        }
                    }
                }
                Ok(None) => break,
                Err(_) => return no_file(),
            }
        }
        if files == 1 {
            let Digested { size, sha256, .. } = digest.finish();
            file = Some(Received {
                filename,
                mime_type,
                size,
                sha256,
                content: kept,
            });
        }
    }
    let user = user
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "DEFAULT-USER".to_owned());
    let Some(file) = file else {
        return no_file();
    };
    if let Some(h) = handle {
        lock(&state.log).set_body(
            h,
            json!({"user": user, "file": {"filename": file.filename, "mime_type": file.mime_type, "size": file.size}}),
        );
    }
    let Some(mime_type) = file.mime_type.clone().filter(|m| !m.is_empty()) else {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_file_type",
            "File type not allowed.",
        );
    };
    if files > 1 {
        return error(
            StatusCode::BAD_REQUEST,
            "too_many_files",
            "Only one file is allowed.",
        );
    }
    let Some(name) = file.filename.clone().filter(|n| !n.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "filename_not_exists_error",
            "The specified filename does not exist.",
        );
    };
    if name.contains(['/', '\\']) {
        return invalid_param("Filename contains invalid characters");
    }
    let extension = extension_of(&name);
    if app
        .spec
        .extension_blacklist
        .iter()
        .any(|b| b.trim_start_matches('.').eq_ignore_ascii_case(&extension))
    {
        return invalid_param(format!("File extension '.{extension}' is not allowed"));
    }
    if file.size > limit_for(&app, &extension) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large", "");
    }
    let id = ids::uuid();
    let created_at = unix_seconds();
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let created_by = {
        let mut dify = lock(&state.dify);
        if let Some(content) = file.content {
            dify.upload_content.insert(id.clone(), content.into());
        }
        dify.uploads.push(DifyUpload {
            id: id.clone(),
            app_id: app.id.clone(),
            user: user.clone(),
            name: name.clone(),
            size: file.size,
            extension: extension.clone(),
            mime_type: mime_type.clone(),
            sha256: file.sha256,
            created_at,
        });
        dify.end_user(&user)
    };
    let nonce = ids::alphanumeric(16);
    json_response(
        StatusCode::CREATED,
        &json!({
            "id": id,
            "reference": null,
            "name": name,
            "size": file.size,
            "extension": extension,
            "mime_type": mime_type,
            "created_by": created_by,
            "created_at": created_at,
            "preview_url": null,
            "source_url": format!("http://{host}/files/{id}/file-preview?timestamp={created_at}&nonce={nonce}&sign=emulated"),
            "original_url": null,
            "user_id": null,
            "tenant_id": app.id,
            "conversation_id": null,
            "file_key": null,
        }),
    )
}

/// Reads and discards a body the handler refuses, so the client is not cut off mid-send.
async fn drain(body: Body) {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    while let Some(Ok(_)) = stream.next().await {}
}
