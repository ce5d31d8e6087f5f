//! Files inside a request body. The binding leaves `{"$tela_file": i}` where the user put the
//! i-th file; each becomes a file reference: URLs as given, local content inlined as a
//! `data:` URL or uploaded to the vault and referenced as `vault://<id>`.
//!
//! Order: placeholders become references (local ones as unique markers), the body is checked
//! and serialized by the endpoint, every local file is opened (so a file deleted since the
//! `File` was built fails before any request), uploads run concurrently, and only then are
//! the markers replaced, in one buffer of the exact final size: each inline file is encoded
//! straight into its place in the body, never held twice.

use std::collections::HashMap;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde_json::{Map, Value};

use super::upload::{Uploaded, upload};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::files::local::Opened;
use crate::files::source::{FileSource, UploadMode, reference};
use crate::files::{PLACEHOLDER_KEY, blocking};
use crate::transport::CallOptions;

/// Largest file `auto` inlines. Tela documents no limit, so this weighs the costs: base64
/// makes the body a third larger, an inline body is built in memory and cannot be resent
/// piecewise, and gateways commonly cap request bodies near 10 MB. Up to 4 MiB a file costs
/// one request and ~5.3 MiB of body; above it, two small extra requests buy a streamed,
/// retryable upload in constant memory.
pub const INLINE_FILE_LIMIT: u64 = 4 << 20;
/// Largest total `auto` inlines in one request; further files are uploaded even if small,
/// so ten 3 MiB files do not make a 40 MiB body.
pub const INLINE_REQUEST_LIMIT: u64 = 16 << 20;
/// Uploads in flight at once for one request: parallel enough to hide per-file latency,
/// bounded so a list of 100 files does not open 100 connections.
pub const UPLOAD_CONCURRENCY: usize = 4;

/// How a client delivers local content: part of its configuration (`upload=`).
pub use crate::config::FilePolicy;

/// What to warn about before sending: each local file that `upload="inline"` (the file's,
/// else the client's) forces into the body though it is larger than [`INLINE_FILE_LIMIT`].
/// Sizes are read only for forced-inline files, so the usual call pays nothing.
pub fn forced_inline_warnings(files: &[FileSource], policy: FilePolicy) -> Vec<String> {
    files
        .iter()
        .filter(|f| f.url().is_none())
        .filter_map(|f| {
            let by_file = f.upload.is_some();
            if f.upload.unwrap_or(policy.upload) != UploadMode::Inline {
                return None;
            }
            let d = f.describe().ok()?;
            let size = d.size.filter(|s| *s > INLINE_FILE_LIMIT)?;
            let name = d.name.map_or_else(String::new, |n| format!("{n:?} "));
            let whose = if by_file {
                "File(..., upload=\"inline\")"
            } else {
                "the client's upload=\"inline\""
            };
            Some(format!(
                "the file {name}({:.1} MiB) is sent inline because of {whose}, though it is past the \
                 {} MiB inline limit: the request body grows by a third and is built in memory, and \
                 gateways often refuse bodies near 10 MB. Pass upload=\"auto\" or \"vault\" to upload it.",
                size as f64 / f64::from(1u32 << 20),
                INLINE_FILE_LIMIT >> 20
            ))
        })
        .collect()
}

/// Marks where local file `i` goes in the serialized body: a `data:` URL (so endpoint checks
/// accept it as a file reference) with a per-request nonce (so no user text can collide).
struct Markers {
    prefix: String,
}

impl Markers {
    fn new() -> Self {
        Markers {
            prefix: format!(
                "data:application/x-tela-file;nonce={:016x},",
                fastrand::u64(..)
            ),
        }
    }

    fn marker(&self, i: usize) -> String {
        format!("{}{i}", self.prefix)
    }
}

/// Builds a request body that may hold files. `prepare` is the endpoint's own check and
/// serialization; it sees every file as a `{"file_url": ..., "options": ...}` reference.
pub async fn build_body<P>(
    client: &Client,
    mut body: Map<String, Value>,
    mut extra_body: Option<Map<String, Value>>,
    files: Vec<FileSource>,
    opts: &CallOptions,
    prepare: P,
) -> Result<Bytes>
where
    P: FnOnce(Map<String, Value>, Option<Map<String, Value>>) -> Result<Bytes>,
{
    if files.is_empty() {
        return prepare(body, extra_body);
    }
    let markers = Markers::new();
    let mut used = vec![false; files.len()];
    for v in body
        .values_mut()
        .chain(extra_body.iter_mut().flat_map(Map::values_mut))
    {
        substitute(v, &files, &markers, &mut used)?;
    }
    let skeleton = prepare(body, extra_body)?;
    let local: Vec<(usize, FileSource)> = files
        .iter()
        .enumerate()
        .filter(|(i, f)| used[*i] && f.url().is_none())
        .map(|(i, f)| (i, f.clone()))
        .collect();
    if local.is_empty() {
        return Ok(skeleton);
    }
    let opened = blocking(move || {
        local
            .into_iter()
            .map(|(i, f)| f.open().map(|o| (i, o, f.upload)))
            .collect::<Result<Vec<_>>>()
    })
    .await?;

    let policy = client.file_policy();
    let mut budget = INLINE_REQUEST_LIMIT;
    let (mut inline, mut vault) = (Vec::new(), Vec::new());
    for (i, o, mode) in opened {
        let to_inline = match mode.unwrap_or(policy.upload) {
            UploadMode::Inline => true,
            UploadMode::Vault => false,
            UploadMode::Auto => {
                let fits = o.len <= INLINE_FILE_LIMIT && o.len <= budget;
                if fits {
                    budget -= o.len;
                }
                fits
            }
        };
        if to_inline {
            inline.push((i, o));
        } else {
            vault.push((i, o));
        }
    }
    // The completion's extra headers and query are for the completion, not the file API.
    let upload_opts = CallOptions {
        extra_headers: Vec::new(),
        extra_query: Vec::new(),
        ..opts.clone()
    };
    let uploaded = upload_all(client, vault, &upload_opts).await?;

    let mut replacements: HashMap<usize, Replacement> = HashMap::new();
    for (i, o) in inline {
        replacements.insert(i, Replacement::Inline(o));
    }
    for (i, u) in uploaded {
        replacements.insert(i, Replacement::Url(u.file_url()));
    }
    let prefix = markers.prefix;
    blocking(move || splice(&skeleton, prefix.as_bytes(), &replacements)).await
}

/// Uploads files concurrently (at most [`UPLOAD_CONCURRENCY`] at once). The first failure
/// cancels the others and is returned.
pub async fn upload_all(
    client: &Client,
    files: Vec<(usize, Opened)>,
    opts: &CallOptions,
) -> Result<Vec<(usize, Uploaded)>> {
    futures::stream::iter(files)
        .map(|(i, o)| async move { upload(client, &o, opts).await.map(|u| (i, u)) })
        .buffer_unordered(UPLOAD_CONCURRENCY)
        .try_collect()
        .await
}

/// Replaces every placeholder under `v`.
fn substitute(
    v: &mut Value,
    files: &[FileSource],
    markers: &Markers,
    used: &mut [bool],
) -> Result<()> {
    match v {
        Value::Object(m) => {
            if m.len() == 1
                && let Some(p) = m.get(PLACEHOLDER_KEY)
            {
                let Some(i) = p.as_u64().map(|i| i as usize).filter(|i| *i < files.len()) else {
                    return Err(Error::InvalidRequest(format!(
                        "{{\"{PLACEHOLDER_KEY}\": {p}}} does not name a file of this call \
                         (the key is reserved for tela_sdk.File objects)."
                    )));
                };
                used[i] = true;
                let file = &files[i];
                *v = match file.url() {
                    Some(url) => reference(url, &file.options),
                    None => reference(&markers.marker(i), &file.options),
                };
                return Ok(());
            }
            for (_, child) in m.iter_mut() {
                substitute(child, files, markers, used)?;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter_mut()
            .try_for_each(|child| substitute(child, files, markers, used)),
        _ => Ok(()),
    }
}

enum Replacement {
    Inline(Opened),
    Url(String),
}

impl Replacement {
    fn len(&self) -> Result<usize> {
        match self {
            Replacement::Inline(o) => o.data_url_len(),
            Replacement::Url(u) => Ok(u.len()),
        }
    }
}

/// The final body: `skeleton` with each marker replaced, built in one buffer of exact size.
fn splice(
    skeleton: &[u8],
    prefix: &[u8],
    replacements: &HashMap<usize, Replacement>,
) -> Result<Bytes> {
    let bug = || {
        Error::InvalidRequest(
            "a file marker was damaged while building the request (a tela_sdk bug: please report it)"
                .into(),
        )
    };
    let mut spots = Vec::new();
    for start in memchr::memmem::find_iter(skeleton, prefix) {
        let digits = start + prefix.len();
        let end = digits
            + skeleton[digits..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        if end == digits || skeleton.get(end) != Some(&b'"') {
            return Err(bug());
        }
        let index: usize = std::str::from_utf8(&skeleton[digits..end])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(bug)?;
        let replacement = replacements.get(&index).ok_or_else(bug)?;
        spots.push((start, end, replacement, replacement.len()?));
    }
    let mut total = skeleton.len();
    for (start, end, _, n) in &spots {
        total = (total - (end - start))
            .checked_add(*n)
            .ok_or_else(|| Error::InvalidRequest("the request body is too large".into()))?;
    }
    // Zeroed pages are mapped lazily: the buffer costs memory only as it is filled.
    let mut out = vec![0u8; total];
    let (mut from, mut at) = (0usize, 0usize);
    for (start, end, r, n) in spots {
        let piece = &skeleton[from..start];
        out[at..at + piece.len()].copy_from_slice(piece);
        at += piece.len();
        match r {
            Replacement::Inline(o) => o.write_data_url(&mut out[at..at + n])?,
            Replacement::Url(u) => out[at..at + n].copy_from_slice(u.as_bytes()),
        }
        at += n;
        from = end;
    }
    out[at..].copy_from_slice(&skeleton[from..]);
    Ok(Bytes::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_forced_inline_files_past_the_limit_are_warned_about() {
        let big =
            FileSource::from_bytes(vec![0u8; (INLINE_FILE_LIMIT + 1) as usize].into()).unwrap();
        let small = FileSource::from_bytes(vec![0u8; 10].into()).unwrap();
        let inline = FilePolicy {
            upload: UploadMode::Inline,
        };
        let auto = FilePolicy::default();
        assert!(forced_inline_warnings(std::slice::from_ref(&small), inline).is_empty());
        assert!(forced_inline_warnings(std::slice::from_ref(&big), auto).is_empty());
        let w = forced_inline_warnings(std::slice::from_ref(&big), inline);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("the client's upload=\"inline\""), "{}", w[0]);
        let forced = big.with_upload(Some(UploadMode::Inline));
        let w = forced_inline_warnings(&[forced, small], auto);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].contains("File(..., upload=\"inline\")") && w[0].contains("4 MiB"),
            "{}",
            w[0]
        );
    }
    use base64::Engine;
    use serde_json::json;

    fn src(data: &'static [u8], name: &str) -> FileSource {
        FileSource::from_bytes(Bytes::from_static(data))
            .unwrap()
            .with_name(Some(name.into()))
            .unwrap()
    }

    #[test]
    fn placeholders_become_references_and_markers() {
        let files = vec![
            FileSource::from_url("https://x/a.pdf")
                .unwrap()
                .with_range(Some((0, 1)))
                .unwrap(),
            src(b"hi", "a.txt"),
        ];
        let markers = Markers::new();
        let mut used = vec![false; 2];
        let mut v = json!({"doc": {"$tela_file": 0}, "list": [{"$tela_file": 1}, "text"], "other": {"$tela_file": 0, "x": 1}});
        substitute(&mut v, &files, &markers, &mut used).unwrap();
        assert_eq!(used, vec![true, true]);
        assert_eq!(
            v["doc"],
            json!({"file_url": "https://x/a.pdf", "options": {"range": [0, 1]}})
        );
        assert_eq!(v["list"][0], json!({"file_url": markers.marker(1)}));
        // Not a placeholder: more than one key.
        assert_eq!(v["other"], json!({"$tela_file": 0, "x": 1}));
        let mut bad = json!({"$tela_file": 7});
        assert!(
            substitute(&mut bad, &files, &markers, &mut used)
                .unwrap_err()
                .to_string()
                .contains("reserved")
        );
    }

    #[test]
    fn splice_puts_each_file_in_place() {
        let markers = Markers::new();
        let body = json!({"a": {"file_url": markers.marker(0)}, "b": [{"file_url": markers.marker(1)}, {"file_url": markers.marker(0)}], "t": "x"});
        let skeleton = serde_json::to_vec(&body).unwrap();
        let opened = src(b"hello", "h.txt").open().unwrap();
        let mut r = HashMap::new();
        r.insert(0, Replacement::Inline(opened));
        r.insert(1, Replacement::Url("vault://abc".into()));
        let out = splice(&skeleton, markers.prefix.as_bytes(), &r).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let inline = format!(
            "data:text/plain;base64,{}",
            base64::engine::general_purpose::STANDARD.encode("hello")
        );
        assert_eq!(
            v,
            json!({"a": {"file_url": inline}, "b": [{"file_url": "vault://abc"}, {"file_url": inline}], "t": "x"})
        );
    }

    #[test]
    fn splice_rejects_damaged_markers() {
        let markers = Markers::new();
        let skeleton = format!("{{\"a\":\"{}x\"}}", markers.prefix);
        assert!(
            splice(
                skeleton.as_bytes(),
                markers.prefix.as_bytes(),
                &HashMap::new()
            )
            .is_err()
        );
    }
}
