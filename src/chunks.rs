//! Tela stream chunks as native, read-only objects (`tela_sdk.types.CompletionChunk`,
//! `ChunkChoice`, `Delta`), built straight from the parsed event in the batch hand-over.
//!
//! Why native: a Python model per chunk cost about 3 us (the object, then a property walk
//! to `choices[0].delta.content`), against 0.07 us for the same dict lookups. Here the hot
//! fields (`id`, `text`, `finish_reason`) are read in Rust when the chunk is made, and
//! `choices` / `delta` are built once, on first access, and cached.
//!
//! They behave like the Python models (`tela_sdk._models.Model`) they replace: every JSON
//! field readable as an attribute (unknown ones too), `get()`, `[]`, `to_dict()` (a deep
//! copy of the JSON sent), `to_json()`, equality by content, a repr of the scalar fields,
//! pickling, and assignment refused.

use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use pyo3::{IntoPyObjectExt, intern};

/// Tela's stream events (`tela::stream::RULES` names them `tela.chunk`) are built as
/// `CompletionChunk`s (registered in `lib.rs`).
pub const EVENTS: (&str, crate::stream::Build) = ("tela.chunk", CompletionChunk::build);

/// The shared base: the JSON object of one chunk (or of a part of one), as jiter parsed it.
#[pyclass(frozen, subclass, module = "tela_sdk.types", name = "ChunkModel")]
pub struct ChunkModel {
    data: Py<PyDict>,
}

/// `data[name]`, or None when missing.
fn raw<'py>(data: &Bound<'py, PyDict>, name: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
    Ok(match data.get_item(name)? {
        Some(v) => v,
        None => data.py().None().into_bound(data.py()),
    })
}

/// A dict value wrapped by `wrap`, other values (None included) as they are: the Python
/// models' rule (only dicts become models; a field of the wrong JSON type stays raw).
fn wrap_dict<'py>(
    value: Bound<'py, PyAny>,
    wrap: impl FnOnce(&Bound<'py, PyDict>) -> PyResult<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match value.cast::<PyDict>() {
        Ok(d) => wrap(d),
        Err(_) => Ok(value),
    }
}

/// A copy of JSON values: new dicts and lists all the way down, scalars shared (immutable).
fn deep_copy<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let py = value.py();
    if let Ok(d) = value.cast::<PyDict>() {
        let out = PyDict::new(py);
        for (k, v) in d.iter() {
            out.set_item(k, deep_copy(&v)?)?;
        }
        return Ok(out.into_any());
    }
    if let Ok(l) = value.cast::<PyList>() {
        let items = l
            .iter()
            .map(|v| deep_copy(&v))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(PyList::new(py, items)?.into_any());
    }
    Ok(value.clone())
}

fn type_name(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(obj.get_type().name()?.to_string())
}

fn data_arg<'py>(data: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyDict>> {
    data.cast::<PyDict>().cloned().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what}() takes the JSON object (a dict), got {}",
            data.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })
}

#[pymethods]
impl ChunkModel {
    /// Fields the server added later: read from the JSON, like the typed ones.
    fn __getattr__<'py>(slf: &Bound<'py, Self>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        if name.starts_with('_') {
            return Err(PyAttributeError::new_err(name.to_owned()));
        }
        let data = slf.get().data.bind(slf.py());
        match data.get_item(name)? {
            Some(v) => Ok(v),
            None => Err(PyAttributeError::new_err(format!(
                "{} has no field {}",
                type_name(slf.as_any())?,
                PyString::new(slf.py(), name).repr()?
            ))),
        }
    }

    fn __setattr__(slf: &Bound<'_, Self>, _name: &str, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(PyAttributeError::new_err(format!(
            "{} is read-only; use to_dict() for a mutable copy",
            type_name(slf.as_any())?
        )))
    }

    fn __delattr__(slf: &Bound<'_, Self>, _name: &str) -> PyResult<()> {
        Err(PyAttributeError::new_err(format!(
            "{} is read-only; use to_dict() for a mutable copy",
            type_name(slf.as_any())?
        )))
    }

    fn __getitem__<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.data.bind(py).as_any().get_item(key)
    }

    /// The raw JSON value of `key` (no conversion), like `dict.get`.
    #[pyo3(signature = (key, default = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.data.bind(py).get_item(key)? {
            Some(v) => Ok(v),
            None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
        }
    }

    /// A deep copy of the JSON object, as the server sent it.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        deep_copy(self.data.bind(py).as_any())
    }

    #[pyo3(signature = (*, indent = Some(2)), text_signature = "(self, /, *, indent=2)")]
    fn to_json<'py>(&self, py: Python<'py>, indent: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("indent", indent)?;
        kwargs.set_item("ensure_ascii", false)?;
        py.import("json")?
            .getattr("dumps")?
            .call((self.data.bind(py),), Some(&kwargs))
    }

    fn __richcmp__<'py>(
        slf: &Bound<'py, Self>,
        other: &Bound<'py, PyAny>,
        op: CompareOp,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let same = || -> PyResult<bool> {
            if !other.get_type().is(slf.get_type()) {
                return Ok(false);
            }
            let other = other.cast::<ChunkModel>()?;
            slf.get().data.bind(py).eq(other.get().data.bind(py))
        };
        match op {
            CompareOp::Eq => same()?.into_bound_py_any(py),
            CompareOp::Ne => (!same()?).into_bound_py_any(py),
            _ => Ok(py.NotImplemented().into_bound(py)),
        }
    }

    fn __hash__(slf: &Bound<'_, Self>) -> isize {
        slf.as_ptr() as isize
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let data = slf.get().data.bind(py);
        let ty = slf.get_type();
        let fields: Vec<Bound<'_, PyAny>> = match ty.getattr(intern!(py, "_repr_fields")) {
            Ok(f) if f.len().unwrap_or(0) > 0 => f.try_iter()?.collect::<PyResult<_>>()?,
            _ => data
                .iter()
                .filter(|(_, v)| !(v.is_instance_of::<PyDict>() || v.is_instance_of::<PyList>()))
                .map(|(k, _)| k)
                .collect(),
        };
        let mut parts = Vec::new();
        for name in fields {
            let Ok(key) = name.cast::<PyString>() else {
                continue;
            };
            let mut value = data.get_item(key)?;
            if ty.hasattr(key)? {
                // A field of the wrong JSON type shows raw: a repr never raises.
                if let Ok(v) = slf.getattr(key) {
                    value = Some(v);
                }
            }
            let Some(value) = value.filter(|v| !v.is_none()) else {
                continue;
            };
            let mut text = value.repr()?.to_string();
            if text.chars().count() > 80 {
                text = text.chars().take(77).collect::<String>() + "...";
            }
            parts.push(format!("{}={text}", key.to_str()?));
        }
        Ok(format!("{}({})", ty.name()?, parts.join(", ")))
    }

    fn __dir__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let names = py
            .import("builtins")?
            .getattr("object")?
            .getattr("__dir__")?
            .call1((slf,))?;
        let set = pyo3::types::PySet::new(py, names.try_iter()?.collect::<PyResult<Vec<_>>>()?)?;
        for key in slf.get().data.bind(py).keys() {
            set.add(key)?;
        }
        py.import("builtins")?.getattr("sorted")?.call1((set,))
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let args = PyTuple::new(py, [slf.get().data.clone_ref(py)])?;
        PyTuple::new(py, [slf.get_type().into_any(), args.into_any()])
    }
}

static CHUNK_MESSAGE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static FUNCTION_CALL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A Python model class of `tela_sdk.types` (`ChunkMessage`, `FunctionCall`) around `data`.
fn python_model<'py>(
    cell: &'static PyOnceLock<Py<PyType>>,
    name: &str,
    data: &Bound<'py, PyDict>,
) -> PyResult<Bound<'py, PyAny>> {
    cell.import(data.py(), "tela_sdk.types", name)?
        .call1((data,))
}

/// One streamed chunk (`chat.completion.chunk`).
#[pyclass(frozen, extends = ChunkModel, module = "tela_sdk.types", name = "CompletionChunk")]
pub struct CompletionChunk {
    id: Py<PyAny>,
    text: Py<PyAny>,
    finish_reason: Py<PyAny>,
    choices: PyOnceLock<Py<PyAny>>,
    message: PyOnceLock<Py<PyAny>>,
}

impl CompletionChunk {
    fn init(data: &Bound<'_, PyDict>) -> PyResult<PyClassInitializer<Self>> {
        let py = data.py();
        let none = || py.None();
        let (mut text, mut finish_reason) = (none(), none());
        if let Some(choices) = data.get_item(intern!(py, "choices"))?
            && let Ok(choices) = choices.cast::<PyList>()
            && let Ok(first) = choices.get_item(0)
            && let Ok(first) = first.cast::<PyDict>()
        {
            if let Some(delta) = first.get_item(intern!(py, "delta"))?
                && let Ok(delta) = delta.cast::<PyDict>()
                && let Some(content) = delta.get_item(intern!(py, "content"))?
            {
                text = content.unbind();
            }
            if let Some(reason) = first.get_item(intern!(py, "finish_reason"))? {
                finish_reason = reason.unbind();
            }
        }
        let id = match data.get_item(intern!(py, "id"))? {
            Some(v) => v.unbind(),
            None => none(),
        };
        Ok(PyClassInitializer::from(ChunkModel {
            data: data.clone().unbind(),
        })
        .add_subclass(CompletionChunk {
            id,
            text,
            finish_reason,
            choices: PyOnceLock::new(),
            message: PyOnceLock::new(),
        }))
    }

    /// The chunk of one parsed event (the batch hand-over calls this per event).
    pub fn build<'py>(event: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        match event.cast::<PyDict>() {
            Ok(d) => Ok(Bound::new(event.py(), Self::init(d)?)?.into_any()),
            // The core checked the shape; a non-object would be a parser disagreement.
            Err(_) => Ok(event),
        }
    }
}

fn data_of<'a, 'py>(base: &'a Bound<'py, ChunkModel>) -> &'a Bound<'py, PyDict> {
    base.get().data.bind(base.py())
}

#[pymethods]
impl CompletionChunk {
    #[new]
    fn new(data: &Bound<'_, PyAny>) -> PyResult<PyClassInitializer<Self>> {
        Self::init(&data_arg(data, "CompletionChunk")?)
    }

    #[classattr]
    fn _repr_fields() -> (&'static str, &'static str, &'static str) {
        ("id", "text", "finish_reason")
    }

    #[getter]
    fn id<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.id.bind(py).clone()
    }

    /// The first choice's text delta, if any.
    #[getter]
    fn text<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.text.bind(py).clone()
    }

    /// The first choice's finish reason, if any.
    #[getter]
    fn finish_reason<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.finish_reason.bind(py).clone()
    }

    #[getter]
    fn object<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        raw(data_of(slf.as_super()), intern!(slf.py(), "object"))
    }

    #[getter]
    fn created<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        raw(data_of(slf.as_super()), intern!(slf.py(), "created"))
    }

    #[getter]
    fn model<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        raw(data_of(slf.as_super()), intern!(slf.py(), "model"))
    }

    /// The choices, as `ChunkChoice` objects (built on first access, then cached).
    #[getter]
    fn choices<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let cached = slf.get().choices.get_or_try_init(py, || {
            let value = raw(data_of(slf.as_super()), intern!(py, "choices"))?;
            let Ok(list) = value.cast::<PyList>() else {
                return Ok::<_, PyErr>(value.unbind());
            };
            let items = list
                .iter()
                .map(|item| {
                    wrap_dict(item, |d| {
                        Ok(Bound::new(py, ChunkChoice::init(d))?.into_any())
                    })
                })
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any().unbind())
        })?;
        Ok(cached.bind(py).clone())
    }

    /// The message accumulated so far, as the server reports it (a `ChunkMessage`).
    #[getter]
    fn message<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let cached = slf.get().message.get_or_try_init(py, || {
            let value = raw(data_of(slf.as_super()), intern!(py, "message"))?;
            Ok::<_, PyErr>(
                wrap_dict(value, |d| python_model(&CHUNK_MESSAGE, "ChunkMessage", d))?.unbind(),
            )
        })?;
        Ok(cached.bind(py).clone())
    }
}

/// One choice of a chunk: `index`, `delta`, `finish_reason`.
#[pyclass(frozen, extends = ChunkModel, module = "tela_sdk.types", name = "ChunkChoice")]
pub struct ChunkChoice {
    delta: PyOnceLock<Py<PyAny>>,
}

impl ChunkChoice {
    fn init(data: &Bound<'_, PyDict>) -> PyClassInitializer<Self> {
        PyClassInitializer::from(ChunkModel {
            data: data.clone().unbind(),
        })
        .add_subclass(ChunkChoice {
            delta: PyOnceLock::new(),
        })
    }
}

#[pymethods]
impl ChunkChoice {
    #[new]
    fn new(data: &Bound<'_, PyAny>) -> PyResult<PyClassInitializer<Self>> {
        Ok(Self::init(&data_arg(data, "ChunkChoice")?))
    }

    #[getter]
    fn index<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        raw(data_of(slf.as_super()), intern!(slf.py(), "index"))
    }

    #[getter]
    fn finish_reason<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        raw(data_of(slf.as_super()), intern!(slf.py(), "finish_reason"))
    }

    /// The text (and role) this chunk adds, as a `Delta`.
    #[getter]
    fn delta<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let cached = slf.get().delta.get_or_try_init(py, || {
            let value = raw(data_of(slf.as_super()), intern!(py, "delta"))?;
            Ok::<_, PyErr>(
                wrap_dict(value, |d| Ok(Bound::new(py, Delta::init(d))?.into_any()))?.unbind(),
            )
        })?;
        Ok(cached.bind(py).clone())
    }
}

/// What one chunk adds to the message: `role`, `content`, `function_call`.
#[pyclass(frozen, extends = ChunkModel, module = "tela_sdk.types", name = "Delta")]
pub struct Delta {}

impl Delta {
    fn init(data: &Bound<'_, PyDict>) -> PyClassInitializer<Self> {
        PyClassInitializer::from(ChunkModel {
            data: data.clone().unbind(),
        })
        .add_subclass(Delta {})
    }
}

#[pymethods]
impl Delta {
    #[new]
    fn new(data: &Bound<'_, PyAny>) -> PyResult<PyClassInitializer<Self>> {
        Ok(Self::init(&data_arg(data, "Delta")?))
    }

    #[getter]
    fn role<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        raw(data_of(slf.as_super()), intern!(slf.py(), "role"))
    }

    #[getter]
    fn content<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        raw(data_of(slf.as_super()), intern!(slf.py(), "content"))
    }

    /// A `FunctionCall` when the server sent one.
    #[getter]
    fn function_call<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let value = raw(data_of(slf.as_super()), intern!(slf.py(), "function_call"))?;
        wrap_dict(value, |d| python_model(&FUNCTION_CALL, "FunctionCall", d))
    }
}
