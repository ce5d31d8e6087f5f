//! `NativeFile` (built by `tela_sdk.File`) and the swap of files in request bodies for the
//! placeholders the core resolves ([`Found`], the context of the JSON walk). Checks, sniffing and encoding are the core's; this module
//! only translates arguments and releases the GIL around file reads.

use std::mem::MaybeUninit;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use serde_json::{Map, Value};
use tela_core::files::{Description, FileSource, PLACEHOLDER_KEY, UploadMode};
use tela_core::tela::files::OnProgress;

use crate::errors::IntoPyResult;

/// A checked file: what the core sends, plus its name/type/size as known when it was built.
#[pyclass(frozen, module = "tela_sdk._native")]
pub struct NativeFile {
    source: FileSource,
    description: Description,
    /// Read from a stream by Python (kind `"stream"`, no path of its own).
    stream: bool,
}

#[pymethods]
impl NativeFile {
    /// What `tela_sdk.File` takes once Python has read any stream: a `str` is a URL or the
    /// path of an existing file, an `os.PathLike` a path, `bytes` are shared with Python (no
    /// copy) and a `bytearray` is copied (it can change). `stream=True`: the content was read
    /// from a stream, and is the bytes given or, when `source` is a path, the temporary file
    /// it was spooled to, owned from now on (removed when the last user of this file is done).
    #[new]
    #[pyo3(signature = (source, *, stream=false, name=None, mime_type=None, range=None, parser_type=None, upload=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        stream: bool,
        name: Option<String>,
        mime_type: Option<String>,
        range: Option<(i64, i64)>,
        parser_type: Option<String>,
        upload: Option<String>,
    ) -> PyResult<Self> {
        let source = if let Ok(b) = source.cast::<PyBytes>() {
            FileSource::from_bytes(Bytes::from_owner(PyBackedBytes::from(b.to_owned())))
        } else if let Ok(b) = source.cast::<PyByteArray>() {
            FileSource::from_bytes(Bytes::from_owner(PyBackedBytes::from(b.to_owned())))
        } else if stream {
            let path: PathBuf = source.extract()?;
            py.detach(|| FileSource::from_spooled(path))
        } else if let Ok(s) = source.cast::<PyString>() {
            let s = s.to_cow()?;
            py.detach(|| FileSource::from_arg(&s))
        } else {
            let path: PathBuf = source.extract()?;
            py.detach(|| FileSource::from_path(path))
        }
        .py()?;
        let upload = upload.as_deref().map(UploadMode::parse).transpose().py()?;
        let source = source
            .with_name(name)
            .and_then(|s| s.with_mime_type(mime_type))
            .and_then(|s| s.with_range(range))
            .and_then(|s| s.with_parser_type(parser_type))
            .py()?
            .with_upload(upload);
        // Reads the head of a path to sniff its type: no GIL needed.
        let description = py.detach(|| source.describe()).py()?;
        Ok(NativeFile {
            source,
            description,
            stream,
        })
    }

    /// `"url"`, `"path"`, `"bytes"` or `"stream"`.
    #[getter]
    fn kind(&self) -> &'static str {
        if self.stream {
            "stream"
        } else {
            self.description.kind
        }
    }

    /// Whether `name` was given or is the path's file name (not made up from the type).
    #[getter]
    fn named(&self) -> bool {
        self.source.named()
    }

    #[getter]
    fn name(&self) -> Option<String> {
        self.description.name.clone()
    }

    #[getter]
    fn mime_type(&self) -> Option<String> {
        self.description.mime_type.clone()
    }

    #[getter]
    fn size(&self) -> Option<u64> {
        self.description.size
    }

    #[getter]
    fn url(&self) -> Option<String> {
        self.source.url().map(str::to_owned)
    }

    #[getter]
    fn path(&self) -> Option<PathBuf> {
        match self.source.content() {
            tela_core::files::Content::Path(p) if !self.stream => Some(p.clone()),
            _ => None,
        }
    }

    #[getter]
    fn range(&self) -> Option<(u64, u64)> {
        self.source.options.range
    }

    #[getter]
    fn parser_type(&self) -> Option<String> {
        self.source.options.parser_type.clone()
    }

    #[getter]
    fn upload(&self) -> Option<&'static str> {
        self.source.upload.map(UploadMode::name)
    }

    /// The content as `data:<mime>;base64,...`, encoded by the core (GIL released) straight
    /// into the `str` returned: no bytes object, no decode, so the peak is the URL itself plus
    /// the core's read buffers.
    fn data_url<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        if let Some(url) = self.source.url().filter(|u| u.starts_with("data:")) {
            return Ok(PyString::new(py, url));
        }
        let source = self.source.clone();
        let opened = py.detach(move || source.open()).py()?;
        let len = opened.data_url_len().py()?;
        let Some((url, buf)) = fresh_ascii_str(py, len)? else {
            // Not CPython's compact ASCII layout: encode into Rust memory and copy once.
            let mut out = vec![0u8; len];
            py.detach(|| opened.write_data_url(&mut out)).py()?;
            let text = std::str::from_utf8(&out)
                .map_err(|_| PyValueError::new_err("data URL is not ASCII (a tela_sdk bug)"))?;
            return Ok(PyString::new(py, text));
        };
        py.detach(|| opened.write_data_url_uninit(buf)).py()?;
        Ok(url)
    }
}

/// A `str` nothing else references yet, and its character buffer.
type FreshStr<'py> = (Bound<'py, PyString>, &'py mut [MaybeUninit<u8>]);

/// A new `str` of `len` ASCII characters that nothing else references, and its character
/// buffer, to be filled with ASCII before the `str` is shared; `None` when this interpreter
/// does not lay it out as CPython's compact ASCII string.
///
/// The stable ABI (abi3) has no `PyUnicode_New`/`PyUnicode_DATA`, so the string is made with
/// `" " * len` (CPython allocates a new compact ASCII object for any `len >= 2`) and its
/// buffer found with `PyUnicode_AsUTF8AndSize`, which for compact ASCII is the inline
/// character data itself. The check that the pointer lies just past the object header (not in
/// a separately allocated UTF-8 copy) keeps this sound on any layout: otherwise `None`.
/// Writing ASCII keeps every invariant of the object (kind, length, ASCII flag); its hash is
/// not computed yet, as nothing has seen it.
fn fresh_ascii_str(py: Python<'_>, len: usize) -> PyResult<Option<FreshStr<'_>>> {
    let size = ffi::Py_ssize_t::try_from(len)
        .map_err(|_| PyValueError::new_err("the data URL is too large for a str"))?;
    if size < 2 {
        return Ok(None); // `" " * 1` and `" " * 0` are shared singletons
    }
    let space = PyString::new(py, " ");
    // SAFETY: `PySequence_Repeat` returns a new reference or NULL with an exception set.
    let url = unsafe {
        Bound::from_owned_ptr_or_err(py, ffi::PySequence_Repeat(space.as_ptr(), size))?
            .cast_into::<PyString>()?
    };
    let mut n: ffi::Py_ssize_t = 0;
    // SAFETY: `url` is a live str; the pointer is valid while `url` is.
    let data = unsafe { ffi::PyUnicode_AsUTF8AndSize(url.as_ptr(), &mut n) };
    if data.is_null() {
        return Err(PyErr::fetch(py));
    }
    let offset = (data as usize).wrapping_sub(url.as_ptr() as usize);
    // SAFETY: `url` is a live object.
    if n != size || unsafe { ffi::Py_REFCNT(url.as_ptr()) } != 1 || !(1..=128).contains(&offset) {
        return Ok(None);
    }
    // SAFETY: the `len` bytes at `data` are the inline characters of `url` (checked above),
    // which is referenced only here; the caller writes ASCII into them before sharing `url`.
    let buf =
        unsafe { std::slice::from_raw_parts_mut(data.cast_mut().cast::<MaybeUninit<u8>>(), len) };
    Ok(Some((url, buf)))
}

/// The `progress=` callable of an upload, called as `progress(sent, total)` from the thread
/// that drives the upload (the core throttles it to about 100 calls), holding the GIL only
/// for the call. An exception it raises goes to `sys.unraisablehook` and the upload goes on:
/// a display glitch must not fail a transfer.
pub fn on_progress(callback: Option<Bound<'_, PyAny>>) -> PyResult<Option<OnProgress>> {
    let Some(callback) = callback else {
        return Ok(None);
    };
    if !callback.is_callable() {
        return Err(crate::errors::invalid(
            "progress must be a callable taking (sent_bytes, total_bytes), True or None",
        ));
    }
    let callback = callback.unbind();
    Ok(Some(OnProgress(Arc::new(move |sent, total| {
        Python::attach(|py| {
            if let Err(e) = callback.call1(py, (sent, total)) {
                e.write_unraisable(py, Some(callback.bind(py)));
            }
        });
    }))))
}

/// The context of one conversion to JSON: whether files are accepted there (in a call's
/// arguments, not in the emulator's specs), and the files met so far, each distinct
/// `NativeFile` once, in placeholder order. It holds the `NativeFile`s until the conversion
/// ends, so an object's identity names one file: a file made by `classify_file` and dropped
/// at once could otherwise hand its address to the next one.
pub struct Found<'py> {
    accepts: bool,
    files: Vec<Bound<'py, NativeFile>>,
}

static CLASSIFY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

impl<'py> Found<'py> {
    /// A call's arguments: files are accepted and collected.
    pub fn accepting() -> Self {
        Found {
            accepts: true,
            files: Vec::new(),
        }
    }

    /// Where a file is a mistake.
    pub fn refusing() -> Self {
        Found {
            accepts: false,
            files: Vec::new(),
        }
    }

    /// `{"$tela_file": i}` for `file`, the i-th distinct file of this conversion; an error
    /// naming `at` where files are not accepted.
    pub fn placeholder(
        &mut self,
        file: &Bound<'py, NativeFile>,
        at: &dyn std::fmt::Display,
    ) -> PyResult<Value> {
        if !self.accepts {
            return Err(crate::errors::invalid(format!(
                "{at}: a tela_sdk.File cannot be sent here"
            )));
        }
        let index = match self.files.iter().position(|f| f.is(file)) {
            Some(i) => i,
            None => {
                self.files.push(file.clone());
                self.files.len() - 1
            }
        };
        let mut m = Map::with_capacity(1);
        m.insert(PLACEHOLDER_KEY.into(), Value::from(index));
        Ok(Value::Object(m))
    }

    /// The native file of `obj` when files are accepted here and `obj` is one by its type
    /// (`tela_sdk._files.classify_file(obj, at)`, the one rule); `None` otherwise.
    pub fn classify(
        &self,
        obj: &Bound<'py, PyAny>,
        at: &dyn std::fmt::Display,
    ) -> PyResult<Option<Bound<'py, NativeFile>>> {
        if !self.accepts {
            return Ok(None);
        }
        let py = obj.py();
        let hook = CLASSIFY.get_or_try_init(py, || {
            py.import("tela_sdk._files")?
                .getattr("classify_file")
                .map(Bound::unbind)
        })?;
        let file = hook.bind(py).call1((obj, at.to_string()))?;
        if file.is_none() {
            return Ok(None);
        }
        Ok(Some(file.cast_into::<NativeFile>()?))
    }

    /// The files found, in placeholder order.
    pub fn into_sources(self) -> Vec<FileSource> {
        self.files.iter().map(|f| f.get().source.clone()).collect()
    }
}
