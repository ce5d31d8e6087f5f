//! `NativeClient`: argument translation around `tela_core::Client`. No defaults or rules here.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};
use serde_json::{Map, Value};
use tela_core::api::{self, Args};
use tela_core::config::Api;
use tela_core::config::TimeoutSpec;
use tela_core::transport::CallOptions;
use tela_core::{Client, ClientConfig, ConfigInput};

use crate::convert::{to_json_args, to_json_object};
use crate::errors::{IntoPyResult, invalid};
use crate::files::Found;
use crate::logging::{self, Logged};
use crate::outcome::{JsonResponse, Outcome};
use crate::runtime::{awaitable, block_on, settle_local};
use crate::stream::NativeStream;

#[pyclass(frozen, module = "tela_sdk._native")]
pub struct NativeClient {
    /// The settings and file policy, kept for the getters (and `repr`) after `close()`.
    shape: Shape,
    /// `None` once closed: this client's share of the pool is given up, so the pool (and its
    /// idle sockets) closes as soon as no copy uses it, not when the Python object is freed.
    live: RwLock<Option<Client>>,
}

struct Shape {
    config: Arc<ClientConfig>,
    upload: &'static str,
}

impl NativeClient {
    fn from_client(client: Client) -> Self {
        NativeClient {
            shape: Shape {
                config: client.config.clone(),
                upload: client.file_policy().upload.name(),
            },
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

/// `timeout=` as given: a number, or a dict of the named deadlines that were set. Only the
/// Python types are checked here (the one place they are); the values are the core's.
fn timeout_spec(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<TimeoutSpec>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(None);
    };
    let is_bool = obj.cast::<PyBool>().is_ok();
    if !is_bool && (obj.cast::<PyFloat>().is_ok() || obj.cast::<PyInt>().is_ok()) {
        return Ok(Some(TimeoutSpec::Seconds(obj.extract::<f64>()?)));
    }
    let Ok(d) = obj.cast::<PyDict>() else {
        return Err(invalid(format!(
            "timeout must be a number of seconds or a tela_sdk.Timeout, got {}",
            obj.get_type().name()?
        )));
    };
    let mut fields = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        let secs: Option<f64> = if v.is_none() {
            None
        } else {
            Some(v.extract().map_err(|_| {
                invalid(format!("timeout: {k} must be a number of seconds or None"))
            })?)
        };
        fields.push((
            k.extract::<String>()
                .map_err(|_| invalid("timeout: the deadline names must be str"))?,
            secs,
        ));
    }
    Ok(Some(TimeoutSpec::Fields(fields)))
}

fn headers_from_py(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Vec<(String, String)>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let Ok(d) = obj.cast::<PyDict>() else {
        return Err(invalid(format!("{what} must be a dict of str to str")));
    };
    let mut out = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        let key: String = k
            .extract()
            .map_err(|_| invalid(format!("{what}: keys must be str")))?;
        let value = if let Ok(s) = v.cast::<PyString>() {
            s.to_str()?.to_owned()
        } else if v.cast::<PyInt>().is_ok() || v.cast::<PyFloat>().is_ok() {
            v.str()?.to_str()?.to_owned()
        } else {
            return Err(invalid(format!("{what}[{key:?}] must be a str")));
        };
        out.push((key, value));
    }
    Ok(out)
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

#[allow(clippy::too_many_arguments)]
fn config_input(
    api_key: Option<String>,
    base_url: Option<String>,
    timeout: Option<TimeoutSpec>,
    max_retries: Option<i64>,
    default_headers: Vec<(String, String)>,
    proxy: Option<String>,
    ca_bundle: Option<PathBuf>,
    max_event_bytes: Option<i64>,
    trust_env: Option<bool>,
) -> ConfigInput {
    ConfigInput {
        max_event_bytes,
        trust_env,
        api_key,
        base_url,
        timeouts: None,
        timeout,
        max_retries,
        default_headers,
        proxy,
        ca_bundle,
    }
}

/// The per-call options every operation takes, as keyword arguments.
const OPTIONS: [&str; 6] = [
    "extra_body",
    "extra_headers",
    "extra_query",
    "timeout",
    "max_retries",
    "progress",
];

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
        if let Some(d) = options {
            for key in d.keys() {
                let key: String = key
                    .extract()
                    .map_err(|_| invalid("option names must be str"))?;
                if !OPTIONS.contains(&key.as_str()) {
                    return Err(invalid(format!("unexpected keyword argument {key:?}")));
                }
            }
        }
        let mut found = Found::accepting();
        let body_py = body;
        let body = to_json_args(body, &mut found)?;
        let extra_body = optional_object(option("extra_body")?.as_ref(), "extra_body", &mut found)?;
        let args = Args {
            body,
            extra_body,
            files: found.into_sources(),
        };
        if !args.files.is_empty() && self.shape.config.api == Api::Tela {
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
        let max_retries = option("max_retries")?
            .map(|v| {
                v.extract::<i64>()
                    .map_err(|_| invalid("max_retries must be an int (0 disables retries)"))
            })
            .transpose()?;
        let mut opts = CallOptions::new(
            headers_from_py(option("extra_headers")?.as_ref(), "extra_headers")?,
            headers_from_py(option("extra_query")?.as_ref(), "extra_query")?,
            self.shape.config.timeouts,
            timeout_spec(option("timeout")?.as_ref())?.as_ref(),
            max_retries,
        )
        .py()?;
        opts.progress = crate::files::on_progress(option("progress")?)?;
        Ok((args, opts))
    }
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api, api_key=None, base_url=None, timeout=None, max_retries=None, default_headers=None, proxy=None, ca_bundle=None, upload=None, max_event_bytes=None, trust_env=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        api: &str,
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
        default_headers: Option<&Bound<'_, PyAny>>,
        proxy: Option<String>,
        ca_bundle: Option<PathBuf>,
        upload: Option<&str>,
        max_event_bytes: Option<i64>,
        trust_env: Option<bool>,
    ) -> PyResult<Self> {
        let api = api_of(api)?;
        let input = config_input(
            api_key,
            base_url,
            timeout_spec(timeout)?,
            max_retries,
            headers_from_py(default_headers, "default_headers")?,
            proxy,
            ca_bundle,
            max_event_bytes,
            trust_env,
        );
        let config = tela_core::ClientConfig::resolve(api, input).py()?;
        Ok(NativeClient::from_client(crate::files::with_upload(
            Client::new(config).py()?,
            upload,
        )?))
    }

    #[pyo3(signature = (api_key=None, base_url=None, timeout=None, max_retries=None, default_headers=None, proxy=None, ca_bundle=None, upload=None, max_event_bytes=None, trust_env=None))]
    #[allow(clippy::too_many_arguments)]
    fn with_options(
        &self,
        api_key: Option<String>,
        base_url: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
        max_retries: Option<i64>,
        default_headers: Option<&Bound<'_, PyAny>>,
        proxy: Option<String>,
        ca_bundle: Option<PathBuf>,
        upload: Option<&str>,
        max_event_bytes: Option<i64>,
        trust_env: Option<bool>,
    ) -> PyResult<Self> {
        let input = config_input(
            api_key,
            base_url,
            timeout_spec(timeout)?,
            max_retries,
            headers_from_py(default_headers, "default_headers")?,
            proxy,
            ca_bundle,
            max_event_bytes,
            trust_env,
        );
        Ok(NativeClient::from_client(crate::files::with_upload(
            self.client()?.with_options(input).py()?,
            upload,
        )?))
    }

    /// How local files are delivered by default: "auto", "inline" or "vault".
    #[getter]
    fn upload(&self) -> &'static str {
        self.shape.upload
    }

    fn shares_pool_with(&self, other: &NativeClient) -> bool {
        match (self.client(), other.client()) {
            (Ok(a), Ok(b)) => a.shares_pool_with(&b),
            _ => false,
        }
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
        self.shape.config.shown_base_url()
    }

    /// True when the key would go over plain http:// to a host that is not loopback.
    #[getter]
    fn sends_key_in_clear(&self) -> bool {
        self.shape.config.sends_key_in_clear()
    }

    #[getter]
    fn max_event_bytes(&self) -> usize {
        self.shape.config.max_event_bytes
    }

    #[getter]
    fn max_retries(&self) -> u32 {
        self.shape.config.max_retries
    }

    /// The resolved deadlines as a dict of seconds (None = no limit).
    #[getter]
    fn timeout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let t = self.shape.config.timeouts;
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
        self.shape.config.api_key.masked()
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
        let convert = if raw {
            JsonResponse::raw
        } else {
            JsonResponse::from
        };
        convert(resp?).to_py(py)
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
            let convert = if raw {
                JsonResponse::raw
            } else {
                JsonResponse::from
            };
            Ok(Logged(Outcome::from(out.map(convert)), log))
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
