//! `NativeClient`: argument translation around `tela_core::Client`. No defaults or rules here:
//! the settings dict and the per-call options are read straight into the core's types
//! (`de.rs`); the Python face has checked their names, the core checks their values.

use std::sync::{Arc, RwLock};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tela_core::api::{self, Args};
use tela_core::config::{Api, Pairs, TimeoutSpec, read_named};
use tela_core::transport::CallOptions;
use tela_core::{Client, ClientConfig, ConfigInput};

use crate::convert::{to_json_args, to_json_object};
use crate::de;
use crate::errors::{IntoPyResult, invalid};
use crate::files::Found;
use crate::logging::{self, Logged};
use crate::outcome::{JsonResponse, Outcome};
use crate::runtime::{awaitable, block_on, settle_local};
use crate::stream::NativeStream;

#[pyclass(frozen, module = "tela_sdk._native")]
pub struct NativeClient {
    /// The settings (file policy included), kept for the getters (and `repr`) after `close()`.
    config: Arc<ClientConfig>,
    /// `None` once closed: this client's share of the pool is given up, so the pool (and its
    /// idle sockets) closes as soon as no copy uses it, not when the Python object is freed.
    live: RwLock<Option<Client>>,
    /// The usage ledger (shared with `with_options` copies), readable after `close()` too.
    usage: Arc<tela_core::usage::Ledger>,
}

impl NativeClient {
    fn from_client(client: Client) -> Self {
        NativeClient {
            usage: client.usage.clone(),
            config: client.config.clone(),
            live: RwLock::new(Some(client)),
        }
    }

    /// The client, or a typed error once `close()` ran (the Python face checks first).
    fn client(&self) -> PyResult<Client> {
        self.live
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| invalid("this client is closed; create a new one"))
    }

    /// Gives up this client's share of the pool and lets the blocking runtime run the
    /// connection tasks the drop woke: a closed idle connection is only closed (its socket
    /// released) when its task runs, and nothing else drives that runtime between calls.
    fn release(&self) {
        let client = self.live.write().unwrap_or_else(|p| p.into_inner()).take();
        if client.is_some() {
            drop(client);
            settle_local();
        }
    }
}

impl Drop for NativeClient {
    fn drop(&mut self) {
        self.release();
    }
}

fn api_of(name: &str) -> PyResult<Api> {
    match name {
        "tela" => Ok(Api::Tela),
        "dify" => Ok(Api::Dify),
        other => Err(invalid(format!("unknown api {other:?}"))),
    }
}

/// The settings dict of the Python face (names checked there) read as the core's input; the
/// core says which value is wrong.
fn settings(settings: &Bound<'_, PyDict>) -> PyResult<ConfigInput> {
    ConfigInput::read(de::Py(settings.as_any())).py()
}

/// A per-call option read as the core's type `T`: the core's types say what is accepted
/// (header values are str, a timeout a number or deadlines by name).
fn option_as<T: DeserializeOwned>(
    value: Option<&Bound<'_, PyAny>>,
    at: &str,
) -> PyResult<Option<T>> {
    value
        .map(|v| read_named(de::Py(v), at).map_err(invalid))
        .transpose()
}

fn optional_object<'py>(
    obj: Option<&Bound<'py, PyAny>>,
    at: &str,
    found: &mut Found<'py>,
) -> PyResult<Option<Map<String, Value>>> {
    obj.filter(|o| !o.is_none())
        .map(|o| to_json_object(o, at, found))
        .transpose()
}

impl NativeClient {
    /// Translates the body and the per-call keyword options every operation takes.
    fn args(
        &self,
        body: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Args, CallOptions)> {
        let option = |name: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
            Ok(match options {
                Some(d) => d.get_item(name)?.filter(|v| !v.is_none()),
                None => None,
            })
        };
        let mut found = Found::accepting();
        let body_py = body;
        let body = to_json_args(body, &mut found)?;
        let extra_body = optional_object(option("extra_body")?.as_ref(), "extra_body", &mut found)?;
        let args = Args {
            body,
            extra_body,
            files: found.into_sources(),
        };
        if !args.files.is_empty() && self.config.api == Api::Tela {
            let client = self.client()?;
            let warnings =
                tela_core::tela::files::forced_inline_warnings(&args.files, client.file_policy());
            if !warnings.is_empty() {
                let warn = body_py
                    .py()
                    .import("tela_sdk._base")?
                    .getattr("warn_at_user")?;
                for message in warnings {
                    warn.call1((message,))?;
                }
            }
        }
        let mut opts = CallOptions::new(
            option_as::<Pairs>(option("extra_headers")?.as_ref(), "extra_headers")?
                .unwrap_or_default()
                .0,
            option_as::<Pairs>(option("extra_query")?.as_ref(), "extra_query")?
                .unwrap_or_default()
                .0,
            self.config.timeouts,
            option_as::<TimeoutSpec>(option("timeout")?.as_ref(), "timeout")?.as_ref(),
            option_as::<i64>(option("max_retries")?.as_ref(), "max_retries")?,
        )
        .py()?;
        opts.progress = crate::files::on_progress(option("progress")?)?;
        if let Some(t) = option("trace")? {
            opts.observe = Some(t.cast::<crate::observe::NativeTrace>()?.get().trace.clone());
        }
        Ok((args, opts))
    }
}

#[pymethods]
impl NativeClient {
    /// `settings`: the client's settings by name (see `tela_sdk.ClientSettings`).
    #[new]
    fn new(api: &str, settings: &Bound<'_, PyDict>) -> PyResult<Self> {
        let config = ClientConfig::resolve(api_of(api)?, self::settings(settings)?).py()?;
        Ok(NativeClient::from_client(Client::new(config).py()?))
    }

    /// A copy with the settings given changed (see `tela_core::Client::with_options`).
    fn with_options(&self, settings: &Bound<'_, PyDict>) -> PyResult<Self> {
        let changes = self::settings(settings)?;
        Ok(NativeClient::from_client(
            self.client()?.with_options(changes).py()?,
        ))
    }

    /// How local files are delivered by default: "auto", "inline" or "vault".
    #[getter]
    fn upload(&self) -> &'static str {
        self.config.files.upload.name()
    }

    fn shares_pool_with(&self, other: &NativeClient) -> bool {
        match (self.client(), other.client()) {
            (Ok(a), Ok(b)) => a.shares_pool_with(&b),
            _ => false,
        }
    }

    /// The usage ledger's totals as JSON text: `{"all", "by_canvas", "by_app", "by_tag"}`.
    fn usage(&self) -> String {
        self.usage.snapshot().to_string()
    }

    /// Starts the usage ledger again (for every `with_options` copy).
    fn reset_usage(&self) {
        self.usage.reset();
    }

    /// Gives up this client's share of the pool: once no copy (`with_options`) uses it, its
    /// idle connections are closed now, not at the next call or garbage collection.
    /// Idempotent; calls after it raise.
    fn close(&self) {
        self.release();
    }

    /// With any password masked: the URL is for reading, not for sending.
    #[getter]
    fn base_url(&self) -> String {
        self.config.shown_base_url()
    }

    /// True when the key would go over plain http:// to a host that is not loopback.
    #[getter]
    fn sends_key_in_clear(&self) -> bool {
        self.config.sends_key_in_clear()
    }

    #[getter]
    fn max_event_bytes(&self) -> usize {
        self.config.max_event_bytes
    }

    #[getter]
    fn max_retries(&self) -> u32 {
        self.config.max_retries
    }

    /// The resolved deadlines as a dict of seconds (None = no limit).
    #[getter]
    fn timeout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = self.config.timeouts;
        let d = PyDict::new(py);
        for (k, v) in [
            ("connect", t.connect),
            ("read", t.read),
            ("total", t.total),
            ("stream_idle", t.stream_idle),
            ("stream_total", t.stream_total),
        ] {
            d.set_item(k, v.map(|d| d.as_secs_f64()))?;
        }
        Ok(d)
    }

    /// A hint of the key safe to print (`***abcd`).
    #[getter]
    fn api_key_hint(&self) -> String {
        self.config.api_key.masked()
    }

    /// Runs the core operation `op` and returns `(json, request_id)`, or with `raw=True`
    /// `(json, request_id, (status, headers))`; blocks with the GIL released.
    #[pyo3(signature = (op, body, *, raw = false, **options))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        op: String,
        body: &Bound<'py, PyAny>,
        raw: bool,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (args, mut opts) = self.args(body, options)?;
        let log = logging::attach(py, &mut opts, true);
        let client = self.client()?;
        let resp = block_on(py, async move {
            api::call(&client, &op, args, &opts).await.py()
        });
        logging::flush(py, &log);
        JsonResponse::new(resp?, raw).to_py(py)
    }

    /// Awaitable twin of `call`.
    #[pyo3(signature = (op, body, *, raw = false, **options))]
    fn acall<'py>(
        &self,
        py: Python<'py>,
        op: String,
        body: &Bound<'py, PyAny>,
        raw: bool,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (args, mut opts) = self.args(body, options)?;
        let log = logging::attach(py, &mut opts, false);
        let client = self.client()?;
        awaitable(py, async move {
            let out = api::call(&client, &op, args, &opts).await;
            let out = out.map(|r| JsonResponse::new(r, raw));
            Ok(Logged(Outcome::from(out), log))
        })
    }

    /// Opens the streaming core operation `op`; blocks until the response headers are in.
    #[pyo3(signature = (op, body, **options))]
    fn stream(
        &self,
        py: Python<'_>,
        op: String,
        body: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<NativeStream> {
        let (args, mut opts) = self.args(body, options)?;
        let log = logging::attach(py, &mut opts, true);
        let client = self.client()?;
        let stream = block_on(py, async move {
            api::stream(&client, &op, args, &opts).await.py()
        });
        logging::flush(py, &log);
        Ok(NativeStream::new(stream?))
    }

    /// Awaitable twin of `stream`.
    #[pyo3(signature = (op, body, **options))]
    fn astream<'py>(
        &self,
        py: Python<'py>,
        op: String,
        body: &Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (args, mut opts) = self.args(body, options)?;
        let log = logging::attach(py, &mut opts, false);
        let client = self.client()?;
        awaitable(py, async move {
            let out = api::stream(&client, &op, args, &opts).await;
            Ok(Logged(Outcome::from(out.map(NativeStream::new)), log))
        })
    }
}
