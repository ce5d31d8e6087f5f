//! What a user passed as a file, checked when it is built: a URL sent as is, a path, or bytes,
//! plus the per-file name, MIME type, options and delivery mode.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::data_url::DataUrl;
use super::local::{Local, Opened, read_exact_at};
use super::sniff::{self, HEAD_LEN, check_mime};
use crate::error::{Error, Result};

/// How local content reaches Tela.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadMode {
    /// As a `data:<mime>;base64,...` URL inside the request body.
    Inline,
    /// Uploaded through `POST /v3/files` + `PUT`, referenced as `vault://<id>`.
    Vault,
    /// Inline when small, uploaded when large (see `resolve::INLINE_FILE_LIMIT`).
    Auto,
}

impl UploadMode {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "inline" => Ok(UploadMode::Inline),
            "vault" => Ok(UploadMode::Vault),
            "auto" => Ok(UploadMode::Auto),
            other => Err(Error::InvalidRequest(format!(
                "upload={other:?} is not a delivery mode; use \"auto\" (inline small files, upload large ones), \
                 \"inline\" (data: URL in the request) or \"vault\" (upload through /v3/files)."
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            UploadMode::Inline => "inline",
            UploadMode::Vault => "vault",
            UploadMode::Auto => "auto",
        }
    }
}

/// Per-file options, sent as `"options": {"range": [first, last], "parser_type": ...}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileOptions {
    /// First and last page, 0-indexed, inclusive.
    pub range: Option<(u64, u64)>,
    pub parser_type: Option<String>,
}

impl FileOptions {
    pub fn is_empty(&self) -> bool {
        self.range.is_none() && self.parser_type.is_none()
    }

    /// The wire form, or `None` when no option was given (then `options` is left out).
    pub fn to_json(&self) -> Option<Value> {
        if self.is_empty() {
            return None;
        }
        let mut m = Map::new();
        if let Some((first, last)) = self.range {
            m.insert("range".into(), json!([first, last]));
        }
        if let Some(p) = &self.parser_type {
            m.insert("parser_type".into(), Value::String(p.clone()));
        }
        Some(Value::Object(m))
    }
}

/// Where a file's content is.
#[derive(Clone)]
pub enum Content {
    /// `https://`, `http://`, `vault://` or `data:`: sent as is.
    Url(String),
    Path(PathBuf),
    Bytes(Bytes),
}

impl fmt::Debug for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Content::Url(u) if u.starts_with("data:") => write!(f, "Url(data: {} chars)", u.len()),
            Content::Url(u) => write!(f, "Url({u:?})"),
            Content::Path(p) => write!(f, "Path({p:?})"),
            Content::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

/// One file as the user gave it. Cheap to clone (bytes are shared).
#[derive(Clone, Debug)]
pub struct FileSource {
    content: Content,
    name: Option<String>,
    mime_type: Option<String>,
    pub options: FileOptions,
    /// `None`: the client's mode.
    pub upload: Option<UploadMode>,
    /// Whether a path's file name names the content (not for temporary spool files).
    name_from_path: bool,
    /// The temporary file a stream was spooled to, removed when the last clone of this
    /// source is dropped (the `File`, and any call still sending it).
    spool: Option<Arc<Spool>>,
}

/// A temporary file this process wrote and owns: removed on drop.
#[derive(Debug)]
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        // Already gone (or the temporary directory is being cleaned): nothing to do.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What a file looks like before it is sent (for reprs and properties).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description {
    /// `"url"`, `"path"` or `"bytes"`.
    pub kind: &'static str,
    pub name: Option<String>,
    pub mime_type: Option<String>,
    /// Bytes of content, when known without fetching anything.
    pub size: Option<u64>,
}

const SCHEMES: &str = "https://, http://, vault:// or data:";

impl FileSource {
    fn new(content: Content) -> Self {
        FileSource {
            content,
            name: None,
            mime_type: None,
            options: FileOptions::default(),
            upload: None,
            name_from_path: true,
            spool: None,
        }
    }

    /// A string argument: a URL when it has a scheme, else a path that must exist.
    pub fn from_arg(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "File(\"\") is empty: pass a path, or a URL starting with {SCHEMES}."
            )));
        }
        if has_scheme(s) {
            return Self::from_url(s);
        }
        let path = Path::new(s);
        // Checked by `from_path`; the extra look happens only when that check fails.
        Self::from_path(path.to_path_buf()).map_err(|e| {
            if path.exists() {
                return e;
            }
            let shown: String = s.chars().take(80).collect();
            Error::InvalidRequest(format!(
                "File({shown:?}): this string is neither a URL ({SCHEMES}) nor an existing file. \
                 Check the path (relative paths start from {}), or pass text as a plain string variable instead of a File.",
                std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|_| "the current directory".into())
            ))
        })
    }

    /// A URL sent as is, after checking its scheme and shape.
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("data:") {
            DataUrl::parse(url)?.check()?;
        } else if url.starts_with("https://") || url.starts_with("http://") {
            let parsed = url::Url::parse(url).map_err(|e| {
                Error::InvalidRequest(format!("file URL {:?} is not valid: {e}.", short(url)))
            })?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(Error::InvalidRequest(format!(
                    "file URL {:?} has no host.",
                    short(url)
                )));
            }
        } else if let Some(id) = url.strip_prefix("vault://") {
            if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::InvalidRequest(format!(
                    "{:?} is not a vault reference: use vault://<file id> as returned by files.upload().",
                    short(url)
                )));
            }
        } else {
            let scheme = url.split(':').next().unwrap_or("");
            let hint = if scheme.eq_ignore_ascii_case("file") {
                " For a local file, pass its path instead of a file:// URL."
            } else {
                ""
            };
            return Err(Error::InvalidRequest(format!(
                "file URL {:?} has an unsupported scheme {scheme:?}: Tela accepts {SCHEMES}.{hint}",
                short(url)
            )));
        }
        Ok(Self::new(Content::Url(url.to_owned())))
    }

    /// A local file. It must exist and be a regular non-empty file; whether it can be read is
    /// found when it is first read ([`describe`](Self::describe) or [`open`](Self::open)), so
    /// building and describing a `File` opens it once.
    pub fn from_path(path: PathBuf) -> Result<Self> {
        checked_len(&path)?;
        Ok(Self::new(Content::Path(path)))
    }

    /// A temporary file holding content read from a stream: read like a path, named like
    /// bytes (its own file name means nothing to the user). The source owns the file from
    /// now on: it is removed when the last clone is dropped (also when this check fails).
    pub fn from_spooled(path: PathBuf) -> Result<Self> {
        let spool = Arc::new(Spool(path.clone()));
        let mut source = Self::from_path(path)?;
        source.name_from_path = false;
        source.spool = Some(spool);
        Ok(source)
    }

    pub fn from_bytes(data: Bytes) -> Result<Self> {
        if data.is_empty() {
            return Err(Error::InvalidRequest(
                "the file content is empty (0 bytes); Tela rejects empty files.".into(),
            ));
        }
        Ok(Self::new(Content::Bytes(data)))
    }

    pub fn with_name(mut self, name: Option<String>) -> Result<Self> {
        if let Some(n) = &name {
            if n.trim().is_empty() {
                return Err(Error::InvalidRequest(
                    "name is empty; pass a file name like \"report.pdf\", or leave it out.".into(),
                ));
            }
            if n.contains(['/', '\\']) || n.chars().any(char::is_control) {
                return Err(Error::InvalidRequest(format!(
                    "name={n:?} must be a plain file name (no path separators or control characters)."
                )));
            }
        }
        self.name = name;
        Ok(self)
    }

    pub fn with_mime_type(mut self, mime_type: Option<String>) -> Result<Self> {
        if let Some(m) = &mime_type {
            check_mime(m)?;
        }
        self.mime_type = mime_type;
        Ok(self)
    }

    /// `range=(first_page, last_page)`, 0-indexed and inclusive.
    pub fn with_range(mut self, range: Option<(i64, i64)>) -> Result<Self> {
        self.options.range = match range {
            None => None,
            Some((first, last)) if first < 0 || last < 0 => {
                return Err(Error::InvalidRequest(format!(
                    "range=({first}, {last}): pages are 0-indexed and cannot be negative."
                )));
            }
            Some((first, last)) if first > last => {
                return Err(Error::InvalidRequest(format!(
                    "range=({first}, {last}): first_page must not be after last_page (both inclusive, 0-indexed)."
                )));
            }
            Some((first, last)) => Some((first as u64, last as u64)),
        };
        Ok(self)
    }

    pub fn with_parser_type(mut self, parser_type: Option<String>) -> Result<Self> {
        if parser_type.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err(Error::InvalidRequest(
                "parser_type is empty; pass a parser name or leave it out.".into(),
            ));
        }
        self.options.parser_type = parser_type;
        Ok(self)
    }

    pub fn with_upload(mut self, upload: Option<UploadMode>) -> Self {
        self.upload = upload;
        self
    }

    pub fn content(&self) -> &Content {
        &self.content
    }

    /// Whether the name this file is sent under was given by the user or is its path's file
    /// name, rather than made up from the sniffed type (`file.pdf`).
    pub fn named(&self) -> bool {
        self.name.is_some() || (matches!(self.content, Content::Path(_)) && self.name_from_path)
    }

    /// The URL when this file is sent as is.
    pub fn url(&self) -> Option<&str> {
        match &self.content {
            Content::Url(u) => Some(u),
            _ => None,
        }
    }

    /// Name, MIME type and size as far as they are known without a request. Reads the first
    /// bytes of a path to sniff its type (blocking).
    pub fn describe(&self) -> Result<Description> {
        Ok(match &self.content {
            Content::Url(url) => {
                let data = url
                    .starts_with("data:")
                    .then(|| DataUrl::parse(url))
                    .transpose()?;
                let name = self.name.clone().or_else(|| url_file_name(url));
                let mime = self
                    .mime_type
                    .clone()
                    .or_else(|| {
                        data.as_ref()
                            .map(|d| d.mime)
                            .filter(|m| !m.is_empty())
                            .map(str::to_owned)
                    })
                    .or_else(|| {
                        name.as_deref()
                            .and_then(sniff::mime_from_name)
                            .map(str::to_owned)
                    });
                Description {
                    kind: "url",
                    name,
                    mime_type: mime,
                    size: data.map(|d| d.decoded_len()),
                }
            }
            Content::Path(_) | Content::Bytes(_) => {
                let opened = self.open()?;
                Description {
                    kind: if matches!(self.content, Content::Path(_)) && self.name_from_path {
                        "path"
                    } else {
                        "bytes"
                    },
                    name: Some(opened.name),
                    mime_type: Some(opened.mime_type),
                    size: Some(opened.len),
                }
            }
        })
    }

    /// Opens the content to send it: checks the file again (it may have changed since the
    /// `File` was built), sniffs what was not given. Blocking. A `data:` URL is decoded;
    /// `https://` and `vault://` files have no local content.
    pub fn open(&self) -> Result<Opened> {
        let (local, len, head) = match &self.content {
            Content::Path(path) => {
                let len = checked_len(path)?;
                let file = std::fs::File::open(path).map_err(|e| unreadable(path, &e))?;
                let mut head = vec![0u8; len.min(HEAD_LEN as u64) as usize];
                read_exact_at(&file, &mut head, 0).map_err(|e| unreadable(path, &e))?;
                (Local::File(std::sync::Arc::new(file)), len, head)
            }
            Content::Bytes(b) => {
                let head = b[..b.len().min(HEAD_LEN)].to_vec();
                (Local::Bytes(b.clone()), b.len() as u64, head)
            }
            Content::Url(url) if url.starts_with("data:") => {
                let data = DataUrl::parse(url)?;
                let bytes = Bytes::from(data.decode()?);
                if bytes.is_empty() {
                    return Err(Error::InvalidRequest(
                        "the data: URL holds no content; Tela rejects empty files.".into(),
                    ));
                }
                let head = bytes[..bytes.len().min(HEAD_LEN)].to_vec();
                let mime = (!data.mime.is_empty()).then(|| data.mime.to_owned());
                let len = bytes.len() as u64;
                let mut opened = self.opened(Local::Bytes(bytes), len, &head);
                if self.mime_type.is_none()
                    && let Some(m) = mime
                {
                    opened.mime_type = m;
                }
                return Ok(opened);
            }
            Content::Url(url) => {
                return Err(Error::InvalidRequest(format!(
                    "{:?} is a URL, not local content: it is sent as is and cannot be uploaded again.",
                    short(url)
                )));
            }
        };
        Ok(self.opened(local, len, &head))
    }

    /// [`open`](Self::open) on a blocking thread, off the async workers.
    pub async fn open_async(&self) -> Result<Opened> {
        let source = self.clone();
        super::blocking(move || source.open()).await
    }

    fn opened(&self, local: Local, len: u64, head: &[u8]) -> Opened {
        let path_name = match &self.content {
            Content::Path(p) if self.name_from_path => {
                p.file_name().map(|n| n.to_string_lossy().into_owned())
            }
            _ => None,
        };
        let name = self.name.clone().or(path_name);
        let mime_type = self
            .mime_type
            .clone()
            .unwrap_or_else(|| sniff::sniff_mime(name.as_deref(), head).to_owned());
        let name = name.unwrap_or_else(|| sniff::default_name(&mime_type));
        Opened::new(name, mime_type, len, local)
    }
}

/// `{"file_url": url}` plus `options` when any were given.
pub fn reference(url: &str, options: &FileOptions) -> Value {
    let mut m = Map::new();
    m.insert("file_url".into(), Value::String(url.to_owned()));
    if let Some(o) = options.to_json() {
        m.insert("options".into(), o);
    }
    Value::Object(m)
}

/// `https://x`, `vault://x`, `data:...`, or any `scheme://`: a URL, not a path.
fn has_scheme(s: &str) -> bool {
    if s.starts_with("data:") {
        return true;
    }
    match s.find("://") {
        Some(i) if i > 0 => s[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')),
        _ => false,
    }
}

fn short(s: &str) -> String {
    if s.len() <= 80 {
        return s.to_owned();
    }
    let cut: String = s.chars().take(60).collect();
    format!("{cut}... ({} chars)", s.len())
}

/// The last path segment of an http(s) URL, when it looks like a file name.
fn url_file_name(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    let last = parsed.path_segments()?.next_back()?;
    (!last.is_empty()).then(|| last.to_owned())
}

/// The length of a regular, non-empty file, or a clear message saying why it is not one.
/// Looked up before opening: opening a FIFO would block.
fn checked_len(path: &Path) -> Result<u64> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::InvalidRequest(format!(
            "file not found: {} does not exist.",
            path.display()
        )),
        _ => unreadable(path, &e),
    })?;
    if meta.is_dir() {
        return Err(Error::InvalidRequest(format!(
            "{} is a directory, not a regular file; pass a file inside it.",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(Error::InvalidRequest(format!(
            "{} is not a regular file (a pipe, socket or device); open it and pass the file object instead.",
            path.display()
        )));
    }
    if meta.len() == 0 {
        return Err(Error::InvalidRequest(format!(
            "{} is empty (0 bytes); Tela rejects empty files.",
            path.display()
        )));
    }
    Ok(meta.len())
}

fn unreadable(path: &Path, e: &std::io::Error) -> Error {
    let why = match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    };
    Error::InvalidRequest(format!("cannot read {}: {why}.", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(r: Result<FileSource>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn strings_are_urls_or_existing_paths() {
        assert!(FileSource::from_arg("https://x.com/a.pdf").is_ok());
        assert!(FileSource::from_arg("vault://abc").is_ok());
        assert!(FileSource::from_arg("data:text/plain;base64,aGk=").is_ok());
        assert!(err(FileSource::from_arg("no such thing here.pdf")).contains("neither a URL"));
        assert!(err(FileSource::from_arg("ftp://x/y")).contains("unsupported scheme \"ftp\""));
        assert!(err(FileSource::from_arg("file:///tmp/x")).contains("pass its path"));
        assert!(err(FileSource::from_arg("vault://")).contains("vault://<file id>"));
        assert!(err(FileSource::from_arg("https://")).contains("not valid"));
        assert!(err(FileSource::from_arg("data:text/plain;base64,a$b=")).contains("base64"));
        assert!(err(FileSource::from_arg("data:text/plain;base64,")).contains("no content"));
        assert!(err(FileSource::from_arg("data:nocomma")).contains("comma"));
        assert!(err(FileSource::from_arg("")).contains("empty"));
    }

    #[test]
    fn paths_are_checked() {
        let dir = std::env::temp_dir().join(format!("tela-src-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.txt");
        std::fs::write(&empty, b"").unwrap();
        let ok = dir.join("ok.txt");
        std::fs::write(&ok, b"hello").unwrap();
        assert!(err(FileSource::from_path(dir.clone())).contains("is a directory"));
        assert!(err(FileSource::from_path(empty)).contains("is empty"));
        assert!(err(FileSource::from_path(dir.join("missing.pdf"))).contains("file not found"));
        let d = FileSource::from_path(ok).unwrap().describe().unwrap();
        assert_eq!(
            (d.kind, d.name.as_deref(), d.mime_type.as_deref(), d.size),
            ("path", Some("ok.txt"), Some("text/plain"), Some(5))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn options_and_metadata_are_checked() {
        let f = || FileSource::from_bytes(Bytes::from_static(b"x")).unwrap();
        assert!(err(f().with_range(Some((2, 1)))).contains("first_page"));
        assert!(err(f().with_range(Some((-1, 1)))).contains("negative"));
        assert!(err(f().with_parser_type(Some(" ".into()))).contains("parser_type"));
        assert!(err(f().with_name(Some("a/b.pdf".into()))).contains("plain file name"));
        assert!(err(f().with_mime_type(Some("pdf".into()))).contains("not a MIME type"));
        assert!(err(f().with_mime_type(Some("*/*".into()))).contains("concrete"));
        assert!(
            err(FileSource::from_bytes(Bytes::new())).contains("empty"),
            "empty bytes"
        );
        let o = f()
            .with_range(Some((0, 3)))
            .unwrap()
            .with_parser_type(Some("fast".into()))
            .unwrap();
        assert_eq!(
            o.options.to_json(),
            Some(json!({"range": [0, 3], "parser_type": "fast"}))
        );
        assert_eq!(f().options.to_json(), None);
    }

    #[test]
    fn unnamed_bytes_get_a_sniffed_type_and_a_name() {
        let d = FileSource::from_bytes(Bytes::from_static(b"%PDF-1.7\n..."))
            .unwrap()
            .describe()
            .unwrap();
        assert_eq!(d.name.as_deref(), Some("file.pdf"));
        assert_eq!(d.mime_type.as_deref(), Some("application/pdf"));
        let d = FileSource::from_bytes(Bytes::from_static(b"\x89PNG\r\n\x1a\n...."))
            .unwrap()
            .with_name(Some("photo".into()))
            .unwrap()
            .describe()
            .unwrap();
        assert_eq!(
            (d.name.as_deref(), d.mime_type.as_deref()),
            (Some("photo"), Some("image/png"))
        );
    }

    #[test]
    fn data_urls() {
        let d = DataUrl::parse("data:text/plain;charset=utf-8;BASE64,aGVsbG8=").unwrap();
        assert!(d.base64);
        assert_eq!(d.mime, "text/plain;charset=utf-8");
        assert_eq!(d.decoded_len(), 5);
        assert_eq!(d.decode().unwrap(), b"hello");
        let d = DataUrl::parse("data:,a%20b").unwrap();
        assert_eq!((d.decoded_len(), d.decode().unwrap()), (3, b"a b".to_vec()));
        let src = FileSource::from_url("data:application/pdf;base64,JVBERi0x").unwrap();
        let opened = src.open().unwrap();
        assert_eq!(
            (opened.mime_type.as_str(), opened.len),
            ("application/pdf", 6)
        );
        let desc = src.describe().unwrap();
        assert_eq!(desc.size, Some(6));
        assert!(
            FileSource::from_url("https://x/a.pdf")
                .unwrap()
                .open()
                .is_err()
        );
    }

    #[test]
    fn a_spooled_file_is_removed_with_its_last_user() {
        let dir = std::env::temp_dir().join(format!("tela-spool-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let spool = dir.join("tela-sdk-x.spool");
        std::fs::write(&spool, b"spooled content").unwrap();
        let source = FileSource::from_spooled(spool.clone()).unwrap();
        assert!(!source.named(), "named like bytes, not by the spool file");
        let in_flight = source.clone();
        drop(source);
        assert!(spool.exists(), "a call still sending it keeps it");
        assert_eq!(in_flight.open().unwrap().len, 15);
        drop(in_flight);
        assert!(!spool.exists());
        // Refused (empty): removed at once, as nothing will own it.
        std::fs::write(&spool, b"").unwrap();
        assert!(err(FileSource::from_spooled(spool.clone())).contains("empty"));
        assert!(!spool.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn url_names() {
        let d = FileSource::from_url("https://example.com/docs/report.pdf?x=1")
            .unwrap()
            .describe()
            .unwrap();
        assert_eq!(
            (d.name.as_deref(), d.mime_type.as_deref()),
            (Some("report.pdf"), Some("application/pdf"))
        );
    }
}
