//! Dify file references (`files[]`, and file variables in `inputs`): what a valid one is,
//! the `tela_sdk.File` values a message carries, and the extension/MIME tables that give a
//! file its Dify type.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::*;
use crate::error::Result;
use crate::files::{FileSource, PLACEHOLDER_KEY};

/// Puts a Dify reference where the binding left `{"$tela_file": i}` for the i-th file of the
/// call, in `body` and `extra_body`. Dify takes files by reference: a web URL
/// (`File("https://...")`) becomes `{"transfer_method": "remote_url", "url": ...}`, which
/// [`file_ref`] then types like any reference; local content (a path, bytes, a stream, a
/// `data:` URL) must be uploaded first, and saying so here names where it was.
pub(super) fn resolve_files(
    body: &mut Map<String, Value>,
    extra_body: Option<&mut Map<String, Value>>,
    files: &[FileSource],
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let mut at = String::new();
    for (prefix, map) in [("", Some(body)), ("extra_body", extra_body)] {
        let Some(map) = map else { continue };
        for (k, v) in map.iter_mut() {
            at.clear();
            if prefix.is_empty() {
                at.push_str(k);
            } else {
                let _ = write!(at, "{prefix}[{k:?}]");
            }
            substitute(v, files, &mut at)?;
        }
    }
    Ok(())
}

fn substitute(v: &mut Value, files: &[FileSource], at: &mut String) -> Result<()> {
    let len = at.len();
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key(PLACEHOLDER_KEY) => {
            let p = &m[PLACEHOLDER_KEY];
            let Some(file) = p.as_u64().and_then(|i| files.get(i as usize)) else {
                return Err(invalid(format!(
                    "{at}: {{\"{PLACEHOLDER_KEY}\": {p}}} does not name a file of this call \
                     (the key is reserved for tela_sdk.File objects)."
                )));
            };
            let Some(url) = file
                .url()
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            else {
                return Err(invalid(format!(
                    "{at}: Dify takes web URLs and uploaded files; upload a local File first with \
                     files.upload(...) and pass its result."
                )));
            };
            *v = json!({"transfer_method": "remote_url", "url": url});
        }
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                let _ = write!(at, "[{k:?}]");
                substitute(child, files, at)?;
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                let _ = write!(at, "[{i}]");
                substitute(child, files, at)?;
                at.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// In `inputs`, a dict is a file when it says so: `transfer_method`, `upload_file_id`,
/// `url` with `type`, or an upload record. Other dicts go as given.
pub(super) fn looks_like_file(o: &Map<String, Value>) -> bool {
    o.contains_key("transfer_method")
        || o.contains_key("upload_file_id")
        || (o.contains_key("url") && o.contains_key("type"))
        || is_upload_record(o)
}

/// The answer of `POST /files/upload` (or a dict of it), passed where a file goes.
fn is_upload_record(o: &Map<String, Value>) -> bool {
    o.get("id").is_some_and(Value::is_string)
        && (o.contains_key("mime_type") || o.contains_key("extension"))
        && !o.contains_key("transfer_method")
        && !o.contains_key("upload_file_id")
        && !o.contains_key("url")
}

pub const FILE_TYPES: [&str; 5] = ["image", "document", "audio", "video", "custom"];

/// One Dify file reference (protocol.md §6.2 `files[]`): `type`, `transfer_method`, and exactly
/// one of `url` / `upload_file_id`. Missing `transfer_method` (and `type`, where the URL or
/// the upload record tells it) are filled in; an upload record becomes a `local_file` ref.
pub fn file_ref(at: &str, o: &Map<String, Value>) -> Result<Value> {
    if is_upload_record(o) {
        let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
        let extension = o
            .get("extension")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| o.get("name").and_then(Value::as_str).and_then(extension_of));
        let ty = file_type_for(
            extension.as_deref(),
            o.get("mime_type").and_then(Value::as_str),
        );
        return Ok(json!({"type": ty, "transfer_method": "local_file", "upload_file_id": id}));
    }
    let url = o.get("url");
    let upload = o.get("upload_file_id");
    let method = match o.get("transfer_method") {
        Some(Value::String(m)) if m == "remote_url" || m == "local_file" => m.as_str(),
        Some(other) => {
            return Err(invalid(format!(
                "{at}.transfer_method must be \"remote_url\" or \"local_file\", got {other}."
            )));
        }
        None => match (url.is_some(), upload.is_some()) {
            (true, false) => "remote_url",
            (false, true) => "local_file",
            (true, true) => {
                return Err(invalid(format!(
                    "{at} has both url and upload_file_id; keep one."
                )));
            }
            (false, false) => {
                return Err(invalid(format!(
                    "{at} needs a url (a file on the web) or an upload_file_id (from files.upload(...)); \
                     you can also pass the upload result itself."
                )));
            }
        },
    };
    let inferred = if method == "remote_url" {
        let Some(Value::String(u)) = url else {
            return Err(invalid(format!(
                "{at}: a remote_url file needs \"url\": \"https://...\"."
            )));
        };
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            return Err(invalid(format!(
                "{at}: url {:?} must start with https:// or http://; upload local files with files.upload(...).",
                u.chars().take(60).collect::<String>()
            )));
        }
        if upload.is_some() {
            return Err(invalid(format!(
                "{at}: a remote_url file must not carry upload_file_id."
            )));
        }
        url_extension(u).and_then(|e| type_from_extension(&e))
    } else {
        if upload
            .and_then(Value::as_str)
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err(invalid(format!(
                "{at}: a local_file file needs \"upload_file_id\": the id returned by files.upload(...)."
            )));
        }
        if url.is_some() {
            return Err(invalid(format!(
                "{at}: a local_file file must not carry url."
            )));
        }
        None
    };
    let ty = match o.get("type") {
        Some(Value::String(t)) if FILE_TYPES.contains(&t.as_str()) => t.clone(),
        Some(other) => {
            return Err(invalid(format!(
                "{at}.type must be one of {}, got {other}.",
                FILE_TYPES.join(", ")
            )));
        }
        None => match inferred {
            Some(t) => t.to_owned(),
            None => {
                return Err(invalid(format!(
                    "{at}: say which kind of file this is: add \"type\": one of {}.",
                    FILE_TYPES.join(", ")
                )));
            }
        },
    };
    let mut out = o.clone();
    out.insert("type".into(), Value::String(ty));
    out.insert("transfer_method".into(), Value::from(method));
    Ok(Value::Object(out))
}

/// Dify's file type for an extension (its `*_EXTENSIONS` constants), else by MIME type,
/// else `custom`.
pub fn file_type_for(extension: Option<&str>, mime: Option<&str>) -> &'static str {
    if let Some(t) = extension.and_then(type_from_extension) {
        return t;
    }
    match mime.map(|m| m.to_ascii_lowercase()) {
        Some(m) if m.starts_with("image/") => "image",
        Some(m) if m.starts_with("audio/") => "audio",
        Some(m) if m.starts_with("video/") => "video",
        Some(m)
            if m.starts_with("text/")
                || m == "application/pdf"
                || m.contains("officedocument")
                || m.contains("msword")
                || m.contains("ms-excel")
                || m.contains("ms-powerpoint") =>
        {
            "document"
        }
        _ => "custom",
    }
}

fn type_from_extension(extension: &str) -> Option<&'static str> {
    let e = extension.trim_start_matches('.').to_ascii_lowercase();
    let t = match e.as_str() {
        "jpg" | "jpeg" | "png" | "webp" | "gif" | "svg" => "image",
        "mp4" | "mov" | "mpeg" | "webm" => "video",
        "mp3" | "m4a" | "wav" | "amr" | "mpga" => "audio",
        "txt" | "markdown" | "md" | "mdx" | "pdf" | "html" | "htm" | "xlsx" | "xls" | "vtt"
        | "properties" | "doc" | "docx" | "csv" | "eml" | "msg" | "pptx" | "xml" | "epub"
        | "ppt" => "document",
        _ => return None,
    };
    Some(t)
}

fn extension_of(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_owned())
}

fn url_extension(u: &str) -> Option<String> {
    let parsed = url::Url::parse(u).ok()?;
    let last = parsed.path_segments()?.next_back()?.to_owned();
    extension_of(&last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types() {
        assert_eq!(file_type_for(Some(".JPG"), None), "image");
        assert_eq!(file_type_for(Some("bin"), Some("video/mp4")), "video");
        assert_eq!(file_type_for(None, Some("text/plain")), "document");
        assert_eq!(
            file_type_for(Some("xyz"), Some("application/x-thing")),
            "custom"
        );
        assert_eq!(file_type_for(None, None), "custom");
    }
}
