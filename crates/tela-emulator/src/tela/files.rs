//! The file endpoints (protocol.md §5) and what a canvas sees of the files it was given.
//!
//! - `POST /v3/files` (needs `x-compatibility-date`) answers an id and an upload URL served
//!   by this emulator: `PUT /uploads/{id}?token=...`, read as it streams in (counted and
//!   hashed, never buffered whole).
//! - `GET /v3/files/{id}` answers the stored file's metadata (camelCase, like `/v3/files`).
//! - `POST /v2/file` (legacy) answers `upload_url`/`download_url`; the file is then
//!   referenced by its `download_url`.
//! - In a completion, each `{"file_url"}` is resolved: `data:` URLs are decoded and checked,
//!   `vault://` ids must name an uploaded file (else 404 "Uploaded file not found"), other
//!   URLs are taken as given (the emulator fetches nothing).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Request, State as Extract};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures::StreamExt;
use serde_json::{Map, Value, json};

use super::envelope;
use super::vault::{StoredFile, text_of};
use crate::digest::{Digested, Digester};
use crate::log::LogHandle;
use crate::response::json_response;
use crate::state::{State, lock};

/// Where upload URLs point. Outside the versioned API paths, so it needs no API key: the
/// token in the URL is the credential, as with a presigned storage URL.
pub(crate) const UPLOAD_PREFIX: &str = "/uploads/";

/// An error answer (boxed: a `Response` is large to carry in every `Result`).
pub(crate) type Refusal = Box<Response>;

/// Whether the upload handler reads this request's body itself, as it arrives.
pub(crate) fn streams_body(method: &Method, path: &str) -> bool {
    method == Method::PUT && path.starts_with(UPLOAD_PREFIX)
}

/// `x-compatibility-date: YYYY-MM-DD`, required by the file endpoints.
fn compatibility_date(headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(value) = headers.get("x-compatibility-date") else {
        return Err(Box::new(envelope::error(
            StatusCode::BAD_REQUEST,
            "MISSING_COMPATIBILITY_DATE",
            "The x-compatibility-date header is required by the file endpoints (e.g. x-compatibility-date: 2025-07-23)",
        )));
    };
    let ok = value.to_str().is_ok_and(|v| {
        let b = v.as_bytes();
        b.len() == 10
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                _ => c.is_ascii_digit(),
            })
    });
    if ok {
        Ok(())
    } else {
        Err(Box::new(envelope::error(
            StatusCode::BAD_REQUEST,
            "INVALID_COMPATIBILITY_DATE",
            "x-compatibility-date must be a date like 2025-07-23",
        )))
    }
}

/// `http://<Host>`: the address the client used, so the URLs it gets back reach us too.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// `POST /v3/files {"fileName"}` -> `{"id", "uploadUrl"}`.
pub(crate) async fn create(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(resp) = compatibility_date(&headers) {
        return *resp;
    }
    let name = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("fileName")?.as_str().map(str::to_owned))
        .filter(|n| !n.trim().is_empty());
    let Some(name) = name else {
        return envelope::error(
            StatusCode::BAD_REQUEST,
            "INVALID_SCHEMA",
            "Body must be a JSON object with a non-empty string fileName",
        );
    };
    let (id, token) = lock(&state.files).create(Some(name), |_| None, None);
    let upload_url = format!("{}{UPLOAD_PREFIX}{id}?token={token}", origin(&headers));
    json_response(StatusCode::OK, &json!({"id": id, "uploadUrl": upload_url}))
}

/// `POST /v2/file` -> `{"upload_url", "download_url"}` (no body, no compatibility date).
pub(crate) async fn create_legacy(
    Extract(state): Extract<Arc<State>>,
    headers: HeaderMap,
) -> Response {
    let origin = origin(&headers);
    let (id, token) =
        lock(&state.files).create(None, |id| Some(format!("{origin}/files/{id}")), None);
    json_response(
        StatusCode::OK,
        &json!({
            "upload_url": format!("{origin}{UPLOAD_PREFIX}{id}?token={token}"),
            "download_url": format!("{origin}/files/{id}"),
        }),
    )
}

/// `GET /files/{id}`: a legacy file's `download_url` (protocol.md §5.4), its uploaded bytes
/// with the upload's `Content-Type`; like a public storage URL it needs no key. A file never
/// uploaded (or unknown) is the 404 of a missing file.
pub(crate) async fn download(
    Extract(state): Extract<Arc<State>>,
    Path(id): Path<String>,
) -> Response {
    let Some((bytes, mime)) = lock(&state.files).download(&id) else {
        return envelope::error(StatusCode::NOT_FOUND, "NOT_FOUND", "File not found");
    };
    let mut resp = Response::new(Body::from(bytes));
    let mime = mime.unwrap_or_else(|| "application/octet-stream".to_owned());
    if let Ok(v) = HeaderValue::from_str(&mime) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

/// `GET /v3/files/{id}`.
pub(crate) async fn retrieve(
    Extract(state): Extract<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(resp) = compatibility_date(&headers) {
        return *resp;
    }
    let Some(f) = lock(&state.files).get(&id).cloned() else {
        return envelope::error(StatusCode::NOT_FOUND, "NOT_FOUND", "File not found");
    };
    json_response(
        StatusCode::OK,
        &json!({
            "id": f.id,
            "fileName": f.file_name,
            "status": if f.uploaded { "uploaded" } else { "pending" },
            "mimeType": f.mime_type,
            "size": f.size,
            "sha256": f.sha256,
            "createdAt": f.created_ms,
        }),
    )
}

/// `PUT /uploads/{id}?token=...`: the content, read as it arrives.
pub(crate) async fn receive(Extract(state): Extract<Arc<State>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let handle = parts.extensions.get::<LogHandle>().copied();
    let id = parts
        .uri
        .path()
        .strip_prefix(UPLOAD_PREFIX)
        .unwrap_or("")
        .to_owned();
    let token = parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|kv| kv.strip_prefix("token="))
        .unwrap_or("")
        .to_owned();
    let known = lock(&state.files).token_matches(&id, &token);
    let refused = match known {
        None => Some(envelope::error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No upload is pending at this URL",
        )),
        Some(false) => Some(envelope::error(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "The upload token is missing or wrong",
        )),
        Some(true) => None,
    };
    if let Some(resp) = refused {
        drain(body).await;
        return resp;
    }
    // A legacy file's bytes are kept whole, to be served at its download_url (§5.4).
    let mut kept = lock(&state.files).is_legacy(&id).then(Vec::new);
    let mut digest = Digester::new();
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                digest.update(&chunk);
                if let Some(kept) = kept.as_mut() {
                    kept.extend_from_slice(&chunk);
                }
            }
            Err(_) => {
                return envelope::error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_REQUEST",
                    "The upload body could not be read to its end",
                );
            }
        }
    }
    let content = digest.finish();
    let mime_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let summary = json!({"file": {
        "id": id,
        "size": content.size,
        "sha256": content.sha256,
        "mime_type": mime_type,
    }});
    let etag = format!("\"{}\"", content.sha256);
    {
        let mut files = lock(&state.files);
        files.complete(&id, mime_type, content);
        if let Some(kept) = kept {
            files.keep_content(&id, kept.into());
        }
    }
    if let Some(handle) = handle {
        lock(&state.log).set_body(handle, summary);
    }
    let mut resp = StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    while let Some(Ok(_)) = stream.next().await {}
}

/// The files a completion request carries, as a canvas callback sees them, in order:
/// variables (in body order; list items in order), then message contents. A `data:` URL that
/// is not valid gives a 400; a `vault://` id never uploaded gives the 404 of protocol.md §2.2
pub(crate) fn resolve(
    state: &State,
    variables: &Map<String, Value>,
    messages: &[Value],
) -> Result<Vec<Value>, Refusal> {
    let mut out = Vec::new();
    for (name, value) in variables {
        let (items, listed) = match value {
            Value::Array(items) => (items.as_slice(), true),
            other => (std::slice::from_ref(other), false),
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(file) = as_file(item) {
                let at = if listed {
                    format!("variables.{name}[{i}]")
                } else {
                    format!("variables.{name}")
                };
                out.push(describe(state, file, &at, name, "variables")?);
            }
        }
    }
    for (i, message) in messages.iter().enumerate() {
        let parts = match message.get("content") {
            Some(Value::Array(parts)) => parts.as_slice(),
            Some(other) => std::slice::from_ref(other),
            None => &[],
        };
        for part in parts {
            if let Some(file) = as_file(part) {
                let at = format!("messages[{i}].content");
                let variable = format!("message-{i}");
                out.push(describe(state, file, &at, &variable, "messages")?);
            }
        }
    }
    Ok(out)
}

/// A file reference: an object with a `file_url`.
fn as_file(v: &Value) -> Option<&Map<String, Value>> {
    v.as_object().filter(|o| o.contains_key("file_url"))
}

fn invalid(message: String) -> Refusal {
    Box::new(envelope::error(
        StatusCode::BAD_REQUEST,
        "INVALID_SCHEMA",
        message,
    ))
}

fn describe(
    state: &State,
    file: &Map<String, Value>,
    at: &str,
    variable: &str,
    used_at: &str,
) -> Result<Value, Refusal> {
    let Some(url) = file.get("file_url").and_then(Value::as_str) else {
        return Err(invalid(format!("{at}.file_url must be a string")));
    };
    let (range, parser_type) = options(file.get("options"), at)?;
    let mut entry = json!({
        "variable": variable,
        "used_at": used_at,
        "range": range,
        "parser_type": parser_type,
        "name": null,
        "mime_type": null,
        "size": null,
        "sha256": null,
        "text": null,
        "id": null,
        "url": null,
    });
    if let Some(rest) = url.strip_prefix("data:") {
        let (mime, content) = decode_data_url(rest)
            .map_err(|why| invalid(format!("{at}.file_url is a data: URL whose content {why}")))?;
        if content.size == 0 {
            return Err(invalid(format!(
                "{at}.file_url is a data: URL with no content"
            )));
        }
        let mime = (!mime.is_empty()).then(|| mime.to_owned());
        entry["text"] = json!(text_of(mime.as_deref(), &content.prefix));
        entry["source"] = json!("inline");
        entry["mime_type"] = json!(mime);
        entry["size"] = json!(content.size);
        entry["sha256"] = json!(content.sha256);
        return Ok(entry);
    }
    entry["url"] = json!(url);
    let files = lock(&state.files);
    let stored = if let Some(id) = url.strip_prefix("vault://") {
        match files.get(id).filter(|f| f.uploaded) {
            Some(f) => Some(f),
            None => {
                return Err(Box::new(envelope::error(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    format!("Uploaded file not found: {url} ({at})"),
                )));
            }
        }
    } else if url.starts_with("https://") || url.starts_with("http://") {
        match files.by_url(url) {
            // A legacy download_url whose upload never happened names no file (§5.4).
            Some(f) if !f.uploaded => {
                return Err(Box::new(envelope::error(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    format!(
                        "Uploaded file not found: {url} ({at}); PUT the bytes to its upload_url first"
                    ),
                )));
            }
            found => found,
        }
    } else {
        return Err(invalid(format!(
            "{at}.file_url must be an https://, http://, vault:// or data: URL"
        )));
    };
    match stored {
        Some(f) => fill_stored(&mut entry, f),
        None => {
            entry["source"] = json!("url");
            entry["name"] = json!(url_name(url));
        }
    }
    Ok(entry)
}

fn fill_stored(entry: &mut Value, f: &StoredFile) {
    entry["source"] = json!("vault");
    entry["id"] = json!(f.id);
    entry["name"] = json!(f.file_name);
    entry["mime_type"] = json!(f.mime_type);
    entry["size"] = json!(f.size);
    entry["sha256"] = json!(f.sha256);
    entry["text"] = json!(f.text);
}

/// The last path segment of a URL, without its query.
fn url_name(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let after_host = path.splitn(4, '/').nth(3)?;
    let last = after_host.rsplit('/').next()?;
    (!last.is_empty()).then(|| last.to_owned())
}

/// `options.range` (two non-negative ints, first <= last) and `options.parser_type`.
fn options(options: Option<&Value>, at: &str) -> Result<(Value, Value), Refusal> {
    let Some(options) = options.filter(|o| !o.is_null()) else {
        return Ok((Value::Null, Value::Null));
    };
    let Some(o) = options.as_object() else {
        return Err(invalid(format!("{at}.options must be an object")));
    };
    let range = match o.get("range") {
        None | Some(Value::Null) => Value::Null,
        Some(r) => {
            let pages: Option<Vec<u64>> = r
                .as_array()
                .filter(|a| a.len() == 2)
                .and_then(|a| a.iter().map(Value::as_u64).collect());
            match pages {
                Some(p) if p[0] <= p[1] => json!(p),
                _ => {
                    return Err(invalid(format!(
                        "{at}.options.range must be [first_page, last_page] with 0 <= first_page <= last_page"
                    )));
                }
            }
        }
    };
    let parser_type = match o.get("parser_type") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) => json!(s),
        Some(_) => {
            return Err(invalid(format!(
                "{at}.options.parser_type must be a string"
            )));
        }
    };
    Ok((range, parser_type))
}

/// Decodes `<mime>[;base64],<payload>` chunk by chunk into a digest, so a large inline file
/// is never decoded whole. Returns the MIME type and the digest, or why it is invalid.
fn decode_data_url(rest: &str) -> Result<(&str, Digested), &'static str> {
    let (header, payload) = rest.split_once(',').ok_or("has no comma")?;
    let mut digest = Digester::new();
    let mime = match header.len().checked_sub(7) {
        Some(i) if header.is_char_boundary(i) && header[i..].eq_ignore_ascii_case(";base64") => {
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
            );
            const CHUNK: usize = 64 * 1024;
            let mut buf = vec![0u8; CHUNK / 4 * 3];
            for chunk in payload.as_bytes().chunks(CHUNK) {
                let n = engine
                    .decode_slice(chunk, &mut buf)
                    .map_err(|_| "is not valid base64")?;
                digest.update(&buf[..n]);
            }
            &header[..i]
        }
        _ => {
            digest.update(&percent_decode(payload).ok_or("has a malformed %-escape")?);
            header
        }
    };
    Ok((mime, digest.finish()))
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The variables as a template shows them: each uploaded file carries its `name`, so
/// `{{document}}` renders as `[file: report.pdf]` (URLs keep showing the URL itself).
pub(crate) fn named_variables<'a>(
    variables: &'a Map<String, Value>,
    files: &[Value],
) -> Cow<'a, Map<String, Value>> {
    let names: HashMap<&str, &str> = files
        .iter()
        .filter(|f| f.get("source").and_then(Value::as_str) == Some("vault"))
        .filter_map(|f| Some((f.get("url")?.as_str()?, f.get("name")?.as_str()?)))
        .collect();
    if names.is_empty() {
        return Cow::Borrowed(variables);
    }
    let name_of = |v: &Value| -> Option<Value> {
        let url = v.get("file_url")?.as_str()?;
        let name = names.get(url)?;
        let mut named = v.as_object()?.clone();
        named.insert("name".into(), json!(name));
        Some(Value::Object(named))
    };
    let mut out = variables.clone();
    for value in out.values_mut() {
        match value {
            Value::Array(items) => {
                for item in items.iter_mut() {
                    if let Some(named) = name_of(item) {
                        *item = named;
                    }
                }
            }
            other => {
                if let Some(named) = name_of(other) {
                    *other = named;
                }
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_urls_decode_in_chunks() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&data);
        let url = format!("application/pdf;base64,{encoded}");
        let (mime, d) = decode_data_url(&url).unwrap();
        let mut expect = Digester::new();
        expect.update(&data);
        assert_eq!((mime, d.size), ("application/pdf", data.len() as u64));
        assert_eq!(d.sha256, expect.finish().sha256);
        let (mime, d) = decode_data_url(",a%20b").unwrap();
        assert_eq!((mime, d.prefix), ("", b"a b".to_vec()));
        assert!(decode_data_url("text/plain;base64,a$b=").is_err());
        assert!(decode_data_url("text/plain;base64").is_err());
    }

    #[test]
    fn url_names() {
        assert_eq!(
            url_name("https://x.com/a/b/report.pdf?sig=1").as_deref(),
            Some("report.pdf")
        );
        assert_eq!(url_name("https://x.com/"), None);
        assert_eq!(url_name("https://x.com"), None);
    }
}
