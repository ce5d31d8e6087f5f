//! `files.upload` for Dify: a checked multipart `POST /files/upload` of one file, so it can
//! then be referenced by its `upload_file_id`. The file is a `tela_sdk.File` like any other
//! (a path, bytes or a stream, checked when it was built), opened once by the generic file
//! pipeline and streamed as the multipart part ([`Opened::multipart_part`]) on every attempt.

use std::sync::Arc;

use reqwest::Method;
use reqwest::multipart::Form;
use serde_json::{Map, Value};

use super::*;
use crate::client::Client;
use crate::error::Result;
use crate::files::{FileSource, Opened, PLACEHOLDER_KEY};
use crate::json::kind;
use crate::retry::Safety;
use crate::transport::{CallOptions, FormFactory, Request, Response};

pub const UPLOAD_PATH: &str = "/files/upload";

/// A checked `POST /files/upload`: the opened file (under the name and MIME type it is sent
/// with) and the text fields of the form.
#[derive(Debug, Clone)]
pub struct Upload {
    file: Opened,
    /// Text fields: `user`, then any `extra_body` keys.
    pub fields: Vec<(String, String)>,
}

/// Checks an upload: `{"file": <placeholder>}` with `file` the opened `tela_sdk.File`, plus
/// `user`, and optionally `filename` and `mime_type` (else the File's; a `filename` without
/// `mime_type` sends the type its extension names).
pub fn prepare_upload(
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    mut file: Opened,
) -> Result<Upload> {
    let call = "files.upload(...)";
    reject_unknown(&body, &["file", "filename", "mime_type", "user"], call)?;
    require_user(&body, call)?;
    let string = |k: &str| opt_str(&body, k);
    let filename = string("filename")?;
    if let Some(name) = filename {
        if name.trim().is_empty()
            || name.contains(['/', '\\'])
            || name.chars().any(char::is_control)
        {
            return Err(invalid(format!(
                "filename {name:?} is not usable: give a plain name like \"report.pdf\" (no slashes)."
            )));
        }
        file.name = name.to_owned();
    }
    match string("mime_type")? {
        Some(m) => {
            m.parse::<mime_guess::mime::Mime>().map_err(|_| {
                invalid(format!(
                    "mime_type {m:?} is not a MIME type; use e.g. \"image/png\", or leave it out to guess from the filename."
                ))
            })?;
            file.mime_type = m.to_owned();
        }
        None => {
            if let Some(m) = filename.and_then(|n| mime_guess::from_path(n).first_raw()) {
                file.mime_type = m.to_owned();
            }
        }
    }
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
    Ok(Upload { file, fields })
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

impl Upload {
    /// The name the file is sent under.
    pub fn filename(&self) -> &str {
        &self.file.name
    }

    pub fn mime_type(&self) -> &str {
        &self.file.mime_type
    }

    /// The multipart form of one attempt: the file part is a new stream of the whole file.
    /// Must run inside the tokio runtime (a file is read by its blocking pool).
    pub fn form(&self) -> Result<Form> {
        let mut form = Form::new();
        for (k, v) in &self.fields {
            form = form.text(k.clone(), v.clone());
        }
        Ok(form.part("file", self.file.multipart_part()?))
    }
}

/// Uploads one file (multipart, streamed) and returns the upload record. Every accepted
/// upload stores a new file, so it is retried only when it cannot have arrived.
pub async fn upload(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    mut files: Vec<FileSource>,
    opts: &CallOptions,
) -> Result<Response> {
    let source = match (files.pop(), files.is_empty()) {
        (Some(source), true) if is_placeholder(body.get("file")) => source,
        (None, _) => {
            return Err(invalid(
                "files.upload(...) needs a file: a path, a tela_sdk.File, or bytes with filename=\"...\".",
            ));
        }
        _ => {
            return Err(invalid(
                "files.upload(...) takes one file, passed as its first argument.",
            ));
        }
    };
    if let Some(url) = source.url().filter(|u| !u.starts_with("data:")) {
        return Err(invalid(format!(
            "files.upload(...) takes local content; pass the URL {:?} in files=[{{\"url\": ...}}] instead.",
            url.chars().take(60).collect::<String>()
        )));
    }
    let plan = Arc::new(prepare_upload(
        body,
        extra_body,
        source.open_async().await?,
    )?);
    let mut req = Request::json(Method::POST, UPLOAD_PATH, None, Safety::CreatesWork);
    req.form = Some(FormFactory(Arc::new(move || plan.form())));
    client.execute(&req, opts).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn opened(data: &'static [u8], name: Option<&str>) -> Opened {
        FileSource::from_bytes(Bytes::from_static(data))
            .unwrap()
            .with_name(name.map(str::to_owned))
            .unwrap()
            .open()
            .unwrap()
    }

    #[test]
    fn upload_rules() {
        let file = || opened(b"\x89PNG\r\n\x1a\n....", Some("photo.png"));
        let up = prepare_upload(
            body(json!({"file": {"$tela_file": 0}, "user": "u"})),
            Some(body(json!({"extra": 1}))),
            file(),
        )
        .unwrap();
        assert_eq!((up.filename(), up.mime_type()), ("photo.png", "image/png"));
        assert_eq!(
            up.fields,
            vec![("user".into(), "u".into()), ("extra".into(), "1".into())]
        );
        // filename= renames the file and, without mime_type=, names its type too.
        let up = prepare_upload(
            body(json!({"user": "u", "filename": "notes.txt"})),
            None,
            file(),
        )
        .unwrap();
        assert_eq!((up.filename(), up.mime_type()), ("notes.txt", "text/plain"));
        let up = prepare_upload(
            body(json!({"user": "u", "filename": "scan", "mime_type": "image/gif"})),
            None,
            file(),
        )
        .unwrap();
        assert_eq!((up.filename(), up.mime_type()), ("scan", "image/gif"));
        // Unnamed content keeps the type sniffed from its bytes.
        let up =
            prepare_upload(body(json!({"user": "u", "filename": "blob"})), None, file()).unwrap();
        assert_eq!(up.mime_type(), "image/png");
        let e = |v: Value| {
            prepare_upload(body(v), None, file())
                .unwrap_err()
                .to_string()
        };
        assert!(e(json!({"user": "u", "filename": "a/b.txt"})).contains("no slashes"));
        assert!(e(json!({"filename": "a.txt"})).contains("needs user="));
        assert!(e(json!({"user": "u", "mime_type": "nope"})).contains("not a MIME type"));
        assert!(e(json!({"user": "u", "path": "/tmp/x"})).contains("does not take \"path\""));
        assert!(e(json!({"user": "u", "filename": 3})).contains("must be a string"));
    }
}
