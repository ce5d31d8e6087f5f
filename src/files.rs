//! `NativeFile` (built by `tela_sdk.File`) and the swap of files in request bodies for the
//! placeholders the core resolves. Checks, sniffing and encoding are the core's; this module
//! only translates arguments and releases the GIL around file reads.

use std::cell::RefCell;
use std::mem::MaybeUninit;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
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
}

#[pymethods]
impl NativeFile {
    /// What `tela_sdk.File` takes once Python has read any stream: a `str` is a URL or the
    /// path of an existing file, an `os.PathLike` a path, `bytes` are shared with Python (no
    /// copy) and a `bytearray` is copied (it can change). `spooled=True`: `source` is the path
    /// of a temporary file holding what was read from a stream (named like bytes, not by it).
    #[new]
    #[pyo3(signature = (source, *, spooled=false, name=None, mime_type=None, range=None, parser_type=None, upload=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        spooled: bool,
        name: Option<String>,
        mime_type: Option<String>,
        range: Option<(i64, i64)>,
        parser_type: Option<String>,
        upload: Option<String>,
    ) -> PyResult<Self> {
        let source = if spooled {
            let path: PathBuf = source.extract()?;
            py.detach(|| FileSource::from_spooled(path))
        } else if let Ok(b) = source.cast::<PyBytes>() {
            FileSource::from_bytes(Bytes::from_owner(PyBackedBytes::from(b.to_owned())))
        } else if let Ok(b) = source.cast::<PyByteArray>() {
            FileSource::from_bytes(Bytes::from_owner(PyBackedBytes::from(b.to_owned())))
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
        })
    }

    /// `"url"`, `"path"` or `"bytes"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.description.kind
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
            tela_core::files::Content::Path(p) => Some(p.clone()),
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

/// Files met while converting one call's arguments: each distinct `NativeFile` once.
#[derive(Default)]
struct Found {
    sources: Vec<FileSource>,
    seen: Vec<usize>,
}

thread_local! {
    /// Set while a call's arguments are converted (see [`Collecting`]). Conversion runs on one
    /// thread holding the GIL, so a thread-local is exactly its scope, and the generic JSON
    /// walk needs no extra parameter for the one kind of value that is not JSON.
    static FOUND: RefCell<Option<Found>> = const { RefCell::new(None) };
}

/// Collects the files of one conversion; dropping it (also on error) ends the collection and
/// restores any collection it interrupted (a `__tela_json__` that converts another call).
pub struct Collecting {
    /// The interrupted collection; taken back when this one ends.
    outer: Option<Option<Found>>,
}

impl Collecting {
    pub fn start() -> Self {
        let outer = FOUND.with(|f| f.borrow_mut().replace(Found::default()));
        Collecting { outer: Some(outer) }
    }

    /// The files found, in placeholder order.
    pub fn finish(mut self) -> Vec<FileSource> {
        self.end().map(|found| found.sources).unwrap_or_default()
    }

    fn end(&mut self) -> Option<Found> {
        let outer = self.outer.take()?;
        FOUND.with(|f| std::mem::replace(&mut *f.borrow_mut(), outer))
    }
}

impl Drop for Collecting {
    fn drop(&mut self) {
        self.end();
    }
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

/// Whether a call's arguments are being converted, so files are accepted here.
pub fn collecting() -> bool {
    FOUND.with(|f| f.borrow().is_some())
}

/// `{"$tela_file": i}` when `obj` is a `NativeFile` and files are being collected; an error
/// when it is a file where files are not accepted; `None` for anything else.
pub fn placeholder(obj: &Bound<'_, PyAny>, at: &str) -> PyResult<Option<Value>> {
    let Ok(file) = obj.cast::<NativeFile>() else {
        return Ok(None);
    };
    let key = file.as_ptr() as usize;
    let index = FOUND.with(|f| {
        let mut f = f.borrow_mut();
        let found = f.as_mut()?;
        Some(match found.seen.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                found.seen.push(key);
                found.sources.push(file.get().source.clone());
                found.sources.len() - 1
            }
        })
    });
    let Some(index) = index else {
        return Err(crate::errors::invalid(format!(
            "{at}: a tela_sdk.File cannot be sent here"
        )));
    };
    let mut m = Map::with_capacity(1);
    m.insert(PLACEHOLDER_KEY.into(), Value::from(index));
    Ok(Some(Value::Object(m)))
}
