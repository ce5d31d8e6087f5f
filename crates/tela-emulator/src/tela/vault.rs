//! The emulated file vault: what `/v3/files` (and the legacy `/v2/file`) created, and what
//! their upload URLs received. Content is never kept whole: only its size, its sha256 and a
//! short prefix (the text a canvas callback sees for text files), so a 1 GiB upload costs
//! the emulator a few KiB.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::clock::unix_ms;
use crate::digest::{Digested, Digester};
use crate::ids;

/// A file in the emulated vault, as [`crate::Emulator::files`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    pub id: String,
    /// The `fileName` given to `POST /v3/files` (`None` for `/v2/file`, which takes none).
    pub file_name: Option<String>,
    /// Whether content was received at the upload URL.
    pub uploaded: bool,
    /// The `Content-Type` of the upload.
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    /// Hex sha256 of the uploaded bytes.
    pub sha256: Option<String>,
    /// The content as UTF-8 text (at most 64 KiB) when it is text.
    pub text: Option<String>,
    /// How many uploads (PUTs) completed; a retried PUT counts twice.
    pub uploads: u32,
    /// `vault://<id>` for `/v3/files`; the `download_url` for `/v2/file`.
    pub file_url: String,
    pub created_ms: u64,
}

/// The content as text, when its type says text (or says nothing) and it is UTF-8. A
/// prefix cut inside a multi-byte character keeps the characters before it.
pub(crate) fn text_of(mime_type: Option<&str>, prefix: &[u8]) -> Option<String> {
    let essence = mime_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let textual = essence.is_empty()
        || essence.starts_with("text/")
        || matches!(
            essence.as_str(),
            "application/json" | "application/xml" | "application/csv"
        )
        || essence.ends_with("+json")
        || essence.ends_with("+xml");
    if !textual {
        return None;
    }
    match std::str::from_utf8(prefix) {
        Ok(s) => Some(s.to_owned()),
        Err(e) if e.error_len().is_none() => Some(
            std::str::from_utf8(&prefix[..e.valid_up_to()])
                .unwrap_or_default()
                .to_owned(),
        ),
        Err(_) => None,
    }
}

struct Entry {
    token: String,
    info: StoredFile,
    /// The uploaded bytes of a legacy `/v2/file` entry, served at its `download_url`
    /// (protocol.md §5.4); `/v3/files` content is never kept whole.
    content: Option<bytes::Bytes>,
}

/// Every file created so far, by id.
#[derive(Default)]
pub(crate) struct Vault {
    entries: HashMap<String, Entry>,
    order: Vec<String>,
}

impl Vault {
    /// Creates a file awaiting its upload; returns `(id, token)`. `download_url` makes a
    /// legacy `/v2/file` entry, referenced by that URL instead of `vault://<id>`.
    pub(crate) fn create(
        &mut self,
        file_name: Option<String>,
        download_url: impl FnOnce(&str) -> Option<String>,
        id: Option<String>,
    ) -> (String, String) {
        let id = id.unwrap_or_else(ids::uuid);
        let token = ids::uuid().replace('-', "");
        let file_url = download_url(&id).unwrap_or_else(|| format!("vault://{id}"));
        let info = StoredFile {
            id: id.clone(),
            file_name,
            uploaded: false,
            mime_type: None,
            size: None,
            sha256: None,
            text: None,
            uploads: 0,
            file_url,
            created_ms: unix_ms(),
        };
        self.entries.insert(
            id.clone(),
            Entry {
                token: token.clone(),
                info,
                content: None,
            },
        );
        self.order.push(id.clone());
        (id, token)
    }

    /// Stores a file as if it had been uploaded (for tests that reference a vault file
    /// without uploading it first). `None` when the id is taken.
    pub(crate) fn preload(
        &mut self,
        id: Option<String>,
        file_name: Option<String>,
        mime_type: Option<String>,
        content: &[u8],
    ) -> Option<StoredFile> {
        let id = id.unwrap_or_else(ids::uuid);
        if self.entries.contains_key(&id) {
            return None;
        }
        let (id, _) = self.create(file_name, |_| None, Some(id));
        let mut digest = Digester::new();
        digest.update(content);
        self.complete(&id, mime_type, digest.finish());
        self.get(&id).cloned()
    }

    /// Whether `token` is the upload token of file `id`: `None` when there is no such file.
    pub(crate) fn token_matches(&self, id: &str, token: &str) -> Option<bool> {
        self.entries.get(id).map(|e| e.token == token)
    }

    pub(crate) fn complete(&mut self, id: &str, mime_type: Option<String>, content: Digested) {
        if let Some(e) = self.entries.get_mut(id) {
            e.info.text = text_of(mime_type.as_deref(), &content.prefix);
            e.info.uploaded = true;
            e.info.mime_type = mime_type;
            e.info.size = Some(content.size);
            e.info.sha256 = Some(content.sha256);
            e.info.uploads += 1;
        }
    }

    /// Whether file `id` is a legacy `/v2/file` entry (its bytes are kept for download).
    pub(crate) fn is_legacy(&self, id: &str) -> bool {
        self.get(id)
            .is_some_and(|f| !f.file_url.starts_with("vault://"))
    }

    /// Keeps the bytes a legacy entry's upload received.
    pub(crate) fn keep_content(&mut self, id: &str, content: bytes::Bytes) {
        if let Some(e) = self.entries.get_mut(id) {
            e.content = Some(content);
        }
    }

    /// A legacy file's uploaded bytes and `Content-Type`, or `None` (unknown id, or never
    /// uploaded).
    pub(crate) fn download(&self, id: &str) -> Option<(bytes::Bytes, Option<String>)> {
        let e = self.entries.get(id)?;
        Some((e.content.clone()?, e.info.mime_type.clone()))
    }

    pub(crate) fn get(&self, id: &str) -> Option<&StoredFile> {
        self.entries.get(id).map(|e| &e.info)
    }

    /// The legacy file whose download URL is `url`.
    pub(crate) fn by_url(&self, url: &str) -> Option<&StoredFile> {
        self.entries
            .values()
            .map(|e| &e.info)
            .find(|f| f.file_url == url)
    }

    pub(crate) fn all(&self) -> Vec<StoredFile> {
        self.order
            .iter()
            .filter_map(|id| self.entries.get(id))
            .map(|e| e.info.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_only_for_textual_utf8() {
        assert_eq!(
            text_of(Some("text/plain; charset=utf-8"), b"hi").as_deref(),
            Some("hi")
        );
        assert_eq!(text_of(Some("application/pdf"), b"%PDF"), None);
        assert_eq!(text_of(Some("text/plain"), b"\xff\xfe"), None);
        let cut = "aé".as_bytes();
        assert_eq!(text_of(Some("text/csv"), &cut[..2]).as_deref(), Some("a"));
    }

    #[test]
    fn store_lifecycle() {
        let mut s = Vault::default();
        let (id, token) = s.create(Some("a.txt".into()), |_| None, None);
        assert_eq!(s.token_matches(&id, &token), Some(true));
        assert_eq!(s.token_matches(&id, "nope"), Some(false));
        assert_eq!(s.token_matches("other", &token), None);
        assert!(!s.get(&id).unwrap().uploaded);
        let mut d = Digester::new();
        d.update(b"hello");
        s.complete(&id, Some("text/plain".into()), d.finish());
        let f = s.get(&id).unwrap();
        assert_eq!(
            (f.uploaded, f.size, f.text.as_deref(), f.file_url.clone()),
            (true, Some(5), Some("hello"), format!("vault://{id}"))
        );
        let (legacy, _) = s.create(None, |id| Some(format!("http://h/files/{id}")), None);
        assert_eq!(
            s.by_url(&format!("http://h/files/{legacy}")).unwrap().id,
            legacy
        );
        assert_eq!(s.all().len(), 2);
        let pre = s
            .preload(Some("fixed".into()), None, Some("text/plain".into()), b"hi")
            .unwrap();
        assert_eq!(
            (pre.file_url.as_str(), pre.text.as_deref()),
            ("vault://fixed", Some("hi"))
        );
        assert!(s.preload(Some("fixed".into()), None, None, b"x").is_none());
    }
}
