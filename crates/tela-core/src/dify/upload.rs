//! `files.upload` for Dify: a checked multipart `POST /files/upload`, streamed from disk for
//! paths, so a file can then be referenced by its `upload_file_id`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use reqwest::multipart::{Form, Part};

use crate::files::{FileSource, Opened, PLACEHOLDER_KEY};
use crate::transport::FormFactory;
use bytes::Bytes;
use reqwest::Method;
use serde_json::{Map, Value};

use super::*;
use crate::client::Client;
use crate::error::Result;
use crate::json::kind;
use crate::retry::Safety;
use crate::transport::{CallOptions, Request, Response};

pub const UPLOAD_PATH: &str = "/files/upload";
/// Where the bytes of an upload come from.
#[derive(Debug, Clone)]
enum Source {
    /// Streamed from disk on every attempt, never held in memory.
    Path(PathBuf),
    Bytes(Bytes),
    /// A `tela_sdk.File`, opened once (checked, sniffed); streamed on every attempt.
    File(Opened),
}

/// A checked `POST /files/upload`: everything needed to build the multipart form.
#[derive(Debug, Clone)]
pub struct Upload {
    source: Source,
    pub filename: String,
    pub mime_type: String,
    /// Text fields: `user`, then any `extra_body` keys.
    pub fields: Vec<(String, String)>,
}

/// Checks an upload: `{"path": str}`, `{"data_base64": str}` or `{"file": <File>}` (with
/// `file` the opened `tela_sdk.File`), plus `user`, and optionally `filename` (required with
/// data) and `mime_type` (else the File's, or guessed from the filename).
pub fn prepare_upload(
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    file: Option<Opened>,
) -> Result<Upload> {
    let call = "files.upload(...)";
    reject_unknown(
        &body,
        &[
            "path",
            "data_base64",
            "file",
            "filename",
            "mime_type",
            "user",
        ],
        call,
    )?;
    if let Some(opened) = file {
        if body.contains_key("path") || body.contains_key("data_base64") {
            return Err(invalid(
                "files.upload(...) takes one file: a File, a path or bytes.",
            ));
        }
        let mime = opened.mime_type.clone();
        let name = opened.name.clone();
        return finish_upload(
            &body,
            extra_body,
            Source::File(opened),
            Some(name),
            Some(mime),
        );
    }
    if body.contains_key("file") {
        return Err(invalid(
            "files.upload(...): file must be a tela_sdk.File, a path or bytes.",
        ));
    }
    let string = |k: &str| opt_str(&body, k);
    let (source, default_name) = match (string("path")?, string("data_base64")?) {
        (Some(p), None) => {
            let path = PathBuf::from(p);
            check_readable(&path)?;
            let name = path.file_name().and_then(|n| n.to_str()).map(str::to_owned);
            (Source::Path(path), name)
        }
        (None, Some(data)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| invalid(format!("data_base64 is not valid base64: {e}")))?;
            (Source::Bytes(Bytes::from(bytes)), None)
        }
        (Some(_), Some(_)) => {
            return Err(invalid(
                "files.upload(...) takes one file: a path or bytes, not both.",
            ));
        }
        (None, None) => {
            return Err(invalid(
                "files.upload(...) needs a file: a path, or bytes with filename=\"...\".",
            ));
        }
    };
    finish_upload(&body, extra_body, source, default_name, None)
}

/// The checks shared by every source: `user`, the filename, the MIME type, extra fields.
fn finish_upload(
    body: &Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    source: Source,
    default_name: Option<String>,
    default_mime: Option<String>,
) -> Result<Upload> {
    let string = |k: &str| opt_str(body, k);
    require_user(body, "files.upload(...)")?;
    let filename = match string("filename")?.map(str::to_owned).or(default_name) {
        Some(n) => n,
        None => {
            return Err(invalid(
                "uploading bytes needs filename=\"...\" (Dify takes the file type from its extension).",
            ));
        }
    };
    if filename.trim().is_empty()
        || filename.contains(['/', '\\'])
        || filename.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "filename {filename:?} is not usable: give a plain name like \"report.pdf\" (no slashes)."
        )));
    }
    let mime_type = match string("mime_type")? {
        Some(m) => {
            m.parse::<mime_guess::mime::Mime>().map_err(|_| {
                invalid(format!(
                    "mime_type {m:?} is not a MIME type; use e.g. \"image/png\", or leave it out to guess from the filename."
                ))
            })?;
            m.to_owned()
        }
        None => match default_mime {
            Some(m) => m,
            None => mime_guess::from_path(&filename)
                .first_raw()
                .unwrap_or("application/octet-stream")
                .to_owned(),
        },
    };
    let mut fields = vec![(
        "user".to_owned(),
        string("user")?.unwrap_or_default().to_owned(),
    )];
    for (k, v) in extra_body.unwrap_or_default() {
        let text = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        fields.push((k, text));
    }
    Ok(Upload {
        source,
        filename,
        mime_type,
        fields,
    })
}

/// An optional string field: absent or null is `None`; another type is an error.
fn opt_str<'a>(body: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>> {
    match body.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(invalid(format!("{k} must be a string, got {}.", kind(v)))),
    }
}

fn is_placeholder(v: Option<&Value>) -> bool {
    v.and_then(|v| v.get(PLACEHOLDER_KEY)).is_some()
}

fn check_readable(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| {
        invalid(format!(
            "cannot upload {}: {e}; pass the path of an existing file (or bytes with filename=...).",
            path.display()
        ))
    })?;
    if !meta.is_file() {
        return Err(invalid(format!(
            "cannot upload {}: it is not a regular file.",
            path.display()
        )));
    }
    std::fs::File::open(path)
        .map_err(|e| invalid(format!("cannot upload {}: {e}", path.display())))?;
    Ok(())
}

impl Upload {
    /// The size in bytes, as it is now.
    pub fn size(&self) -> Result<u64> {
        match &self.source {
            Source::Bytes(b) => Ok(b.len() as u64),
            Source::File(o) => Ok(o.len),
            Source::Path(p) => std::fs::metadata(p)
                .map(|m| m.len())
                .map_err(|e| invalid(format!("cannot upload {}: {e}", p.display()))),
        }
    }

    /// The multipart form of one attempt; a file is reopened and streamed from disk.
    /// Must run inside the tokio runtime (the file is read by its blocking pool).
    pub fn form(&self) -> Result<Form> {
        let part = match &self.source {
            Source::Bytes(b) => {
                Part::stream_with_length(reqwest::Body::from(b.clone()), b.len() as u64)
            }
            Source::File(o) => Part::stream_with_length(o.body(), o.len),
            Source::Path(p) => {
                let file = std::fs::File::open(p)
                    .map_err(|e| invalid(format!("cannot upload {}: {e}", p.display())))?;
                let len = file
                    .metadata()
                    .map_err(|e| invalid(format!("cannot upload {}: {e}", p.display())))?
                    .len();
                // `take` keeps the sent length equal to the declared one if the file grows.
                let reader = tokio::io::AsyncReadExt::take(tokio::fs::File::from_std(file), len);
                let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(reader));
                Part::stream_with_length(body, len)
            }
        };
        let part = part
            .file_name(self.filename.clone())
            .mime_str(&self.mime_type)
            .map_err(|e| invalid(format!("mime_type {:?}: {e}", self.mime_type)))?;
        let mut form = Form::new();
        for (k, v) in &self.fields {
            form = form.text(k.clone(), v.clone());
        }
        Ok(form.part("file", part))
    }
}

/// Uploads one file (multipart, streamed from disk for paths) and returns the upload record.
/// Every accepted upload stores a new file, so it is retried only when it cannot have
/// arrived.
pub async fn upload(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    mut files: Vec<FileSource>,
    opts: &CallOptions,
) -> Result<Response> {
    let file = match (files.pop(), files.is_empty()) {
        (None, _) => None,
        (Some(source), true) if is_placeholder(body.get("file")) => {
            if let Some(url) = source.url().filter(|u| !u.starts_with("data:")) {
                return Err(invalid(format!(
                    "files.upload(...) takes local content; pass the URL {:?} in files=[{{\"url\": ...}}] instead.",
                    url.chars().take(60).collect::<String>()
                )));
            }
            Some(source.open_async().await?)
        }
        _ => {
            return Err(invalid(
                "files.upload(...) takes one file, passed as its first argument.",
            ));
        }
    };
    let plan = Arc::new(prepare_upload(body, extra_body, file)?);
    let mut req = Request::json(Method::POST, UPLOAD_PATH, None, Safety::CreatesWork);
    req.form = Some(FormFactory(Arc::new(move || plan.form())));
    client.execute(&req, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn upload_rules() {
        let dir = std::env::temp_dir().join(format!("tela-dify-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("photo.png");
        std::fs::write(&file, b"png").unwrap();
        let up = prepare_upload(
            body(json!({"path": file.to_str().unwrap(), "user": "u"})),
            Some(body(json!({"extra": 1}))),
            None,
        )
        .unwrap();
        assert_eq!(up.filename, "photo.png");
        assert_eq!(up.mime_type, "image/png");
        assert_eq!(up.size().unwrap(), 3);
        assert_eq!(
            up.fields,
            vec![("user".into(), "u".into()), ("extra".into(), "1".into())]
        );
        let e = |v: Value| prepare_upload(body(v), None, None).unwrap_err().to_string();
        assert!(
            e(json!({"path": dir.to_str().unwrap(), "user": "u"})).contains("not a regular file")
        );
        assert!(
            e(json!({"path": dir.join("nope").to_str().unwrap(), "user": "u"}))
                .contains("cannot upload")
        );
        assert!(e(json!({"data_base64": "aGk=", "user": "u"})).contains("filename="));
        assert!(
            e(json!({"data_base64": "aGk=", "user": "u", "filename": "a/b.txt"}))
                .contains("no slashes")
        );
        assert!(e(json!({"data_base64": "aGk=", "filename": "a.txt"})).contains("needs user="));
        assert!(e(json!({"user": "u"})).contains("needs a file"));
        assert!(
            e(json!({"data_base64": "aGk=", "user": "u", "filename": "a", "mime_type": "nope"}))
                .contains("not a MIME type")
        );
        let up = prepare_upload(
            body(json!({"data_base64": "aGk=", "user": "u", "filename": "notes"})),
            None,
            None,
        )
        .unwrap();
        assert_eq!(up.mime_type, "application/octet-stream");
        assert_eq!(up.size().unwrap(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
