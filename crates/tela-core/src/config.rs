//! Client configuration: arguments first, then the environment, then defaults.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::error::{Error, Result};
use crate::files::UploadMode;

pub const DEFAULT_TELA_BASE_URL: &str = "https://api.tela.com";
pub const DEFAULT_DIFY_BASE_URL: &str = "https://api.dify.ai/v1";

/// A credential that never shows up in `Debug`/`Display`, so it cannot leak into reprs,
/// logs or error messages by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The raw value: only for the Authorization header.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// A hint safe to print: the last four characters at most, and only for long keys.
    pub fn masked(&self) -> String {
        let n = self.0.chars().count();
        if n >= 12 {
            let tail: String = self.0.chars().skip(n - 4).collect();
            format!("***{tail}")
        } else {
            "***".to_string()
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.masked())
    }
}

/// The deadlines of one call. `None` means no limit.
///
/// `connect` bounds TCP+TLS setup; `read` bounds the wait for response headers and every gap
/// between body reads of a non-streaming call; `total` bounds the whole call including
/// retries; `stream_idle` bounds the silence between stream bytes; `stream_total` bounds a
/// whole stream. Separate knobs so a long LLM stream is not killed by a request deadline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timeouts {
    pub connect: Option<Duration>,
    pub read: Option<Duration>,
    pub total: Option<Duration>,
    pub stream_idle: Option<Duration>,
    pub stream_total: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Some(Duration::from_secs(10)),
            // Canvases answer only when the whole run is done; minutes are normal.
            read: Some(Duration::from_secs(600)),
            total: None,
            // LLMs rarely stay silent for two minutes mid-stream; a dead peer should not hang forever.
            stream_idle: Some(Duration::from_secs(120)),
            stream_total: None,
        }
    }
}

/// `timeout=` as the user gave it: a number, or the named deadlines they set.
#[derive(Clone, Debug, PartialEq)]
pub enum TimeoutSpec {
    /// A single number, as httpx and openai users expect: it bounds connecting and every
    /// wait for data (response headers, body reads, stream gaps); `total` keeps its setting.
    Seconds(f64),
    /// Named deadlines; a name left out keeps its value, `None` removes the limit.
    Fields(Vec<(String, Option<f64>)>),
}

/// From the faces' form: a number, or a map of the named deadlines (`Timeout.as_dict()`).
impl<'de> Deserialize<'de> for TimeoutSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Spec;
        impl<'de> Visitor<'de> for Spec {
            type Value = TimeoutSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of seconds or a tela_sdk.Timeout")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<TimeoutSpec, E> {
                Ok(TimeoutSpec::Seconds(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<TimeoutSpec, E> {
                Ok(TimeoutSpec::Seconds(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<TimeoutSpec, E> {
                Ok(TimeoutSpec::Seconds(v as f64))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<TimeoutSpec, A::Error> {
                let mut fields = Vec::new();
                while let Some((name, secs)) = m.next_entry::<String, Option<f64>>()? {
                    fields.push((name, secs));
                }
                Ok(TimeoutSpec::Fields(fields))
            }
        }
        d.deserialize_any(Spec)
    }
}

/// Header (or query) pairs from a map of str to str, in the order given. A value of another
/// type is refused, naming the header: nothing is converted behind the user's back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pairs(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Map;
        impl<'de> Visitor<'de> for Map {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a dict of str to str")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some(name) = m.next_key::<String>()? {
                    match m.next_value::<Text>()?.0 {
                        Ok(value) => out.push((name, value)),
                        Err(got) => {
                            return Err(de::Error::custom(format!(
                                "the value of {name:?} must be a str, got {got}; pass str(value) if that is what you mean."
                            )));
                        }
                    }
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(Map)
    }
}

/// A str, or what was given instead (`int 3`, `None`, `list`), as the Python user wrote it.
struct Text(std::result::Result<String, String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        type R<E> = std::result::Result<Text, E>;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a str")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> R<E> {
                Ok(Text(Ok(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> R<E> {
                Ok(Text(Ok(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> R<E> {
                Ok(Text(Err(format!("int {v}"))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> R<E> {
                Ok(Text(Err(format!("int {v}"))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> R<E> {
                Ok(Text(Err(format!("float {v}"))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> R<E> {
                Ok(Text(Err(if v { "True" } else { "False" }.into())))
            }
            fn visit_unit<E: de::Error>(self) -> R<E> {
                Ok(Text(Err("None".into())))
            }
            fn visit_none<E: de::Error>(self) -> R<E> {
                Ok(Text(Err("None".into())))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> R<A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Text(Err("a list".into())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> R<A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Text(Err("a dict".into())))
            }
        }
        d.deserialize_any(V)
    }
}

/// What the user passed (any serde form: the binding reads Python values directly, tests
/// pass JSON) as `T`; the error text names where the wrong value is (`at`, then the path
/// inside it) and what was expected.
pub fn read_named<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    input: D,
    at: &str,
) -> std::result::Result<T, String> {
    serde_path_to_error::deserialize(input).map_err(|e| {
        let path = e.path().to_string();
        let place = match (at.is_empty(), path == ".") {
            (true, _) => path,
            (false, true) => at.to_string(),
            (false, false) => format!("{at}.{path}"),
        };
        // serde names Rust types; the user wrote Python.
        let why = e
            .inner()
            .to_string()
            .replace("expected i64", "expected an int")
            .replace("expected f64", "expected a number");
        format!("{place}: {why}")
    })
}

impl Timeouts {
    /// These deadlines with `spec` applied. The error text says what was wrong; the caller
    /// decides whether that is a configuration or a call error.
    pub fn apply(self, spec: &TimeoutSpec) -> std::result::Result<Self, String> {
        match spec {
            TimeoutSpec::Seconds(secs) => {
                let d = secs_to_duration(*secs)
                    .map_err(|why| format!("timeout={secs} is not valid: {why}"))?;
                Ok(Timeouts {
                    connect: Some(d),
                    read: Some(d),
                    stream_idle: Some(d),
                    ..self
                })
            }
            TimeoutSpec::Fields(fields) => {
                let mut t = self;
                for (name, secs) in fields {
                    let d = secs
                        .map(|s| {
                            secs_to_duration(s)
                                .map_err(|why| format!("timeout {name}={s} is not valid: {why}"))
                        })
                        .transpose()?;
                    let slot = match name.as_str() {
                        "connect" => &mut t.connect,
                        "read" => &mut t.read,
                        "total" => &mut t.total,
                        "stream_idle" => &mut t.stream_idle,
                        "stream_total" => &mut t.stream_total,
                        other => {
                            return Err(format!(
                                "unknown timeout {other:?}; use connect, read, total, stream_idle or stream_total."
                            ));
                        }
                    };
                    *slot = d;
                }
                Ok(t)
            }
        }
    }
}

fn secs_to_duration(secs: f64) -> std::result::Result<Duration, String> {
    if !secs.is_finite() || secs <= 0.0 {
        return Err("pass a positive number of seconds, or None for no limit.".into());
    }
    Duration::try_from_secs_f64(secs).map_err(|_| "that is too large.".into())
}

/// Checks a retry count from the user; the text says what is allowed.
pub fn check_max_retries(n: i64) -> std::result::Result<u32, String> {
    if (0..=i64::from(MAX_RETRIES_LIMIT)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(format!(
            "max_retries={n} is out of range; use 0 to {MAX_RETRIES_LIMIT} (0 disables retries)."
        ))
    }
}

/// Which API a client talks to: decides the environment variable names and the default base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    Tela,
    Dify,
}

impl Api {
    fn key_var(self) -> &'static str {
        match self {
            Api::Tela => "TELA_API_KEY",
            Api::Dify => "DIFY_API_KEY",
        }
    }
    fn base_var(self) -> &'static str {
        match self {
            Api::Tela => "TELA_BASE_URL",
            Api::Dify => "DIFY_BASE_URL",
        }
    }
    fn default_base(self) -> &'static str {
        match self {
            Api::Tela => DEFAULT_TELA_BASE_URL,
            Api::Dify => DEFAULT_DIFY_BASE_URL,
        }
    }
}

/// What the user passed; `None` means "not given" (fall back to env, then default).
///
/// The faces hand it over as one map of settings ([`ConfigInput::read`]): the field
/// names here are the settings' names (the faces own which names a client takes), and the
/// values are checked once, in [`ClientConfig::resolve`].
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfigInput {
    pub api_key: Option<String>,
    pub base_url: Option<String>,
    /// The deadlines to start from (defaults when `None`), before `timeout` is applied.
    #[serde(skip)]
    pub timeouts: Option<Timeouts>,
    pub timeout: Option<TimeoutSpec>,
    pub max_retries: Option<i64>,
    #[serde(deserialize_with = "pairs")]
    pub default_headers: Vec<(String, String)>,
    pub proxy: Option<String>,
    pub ca_bundle: Option<PathBuf>,
    /// How local files are delivered unless a file says otherwise: `auto` (the default),
    /// `inline` or `vault`.
    pub upload: Option<String>,
    /// The cap on one streamed event, in bytes (`None`: the default, 128 MiB).
    pub max_event_bytes: Option<i64>,
    /// Whether proxy variables (`HTTP_PROXY`...) apply (`None`: yes).
    pub trust_env: Option<bool>,
}

fn pairs<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<(String, String)>, D::Error> {
    Ok(Option::<Pairs>::deserialize(d)?.unwrap_or_default().0)
}

impl ConfigInput {
    /// The settings from a map of setting name to value (a missing or null one is not
    /// given). A value of the wrong type is a configuration error naming it.
    pub fn read<'de, D: Deserializer<'de>>(settings: D) -> Result<Self> {
        read_named(settings, "").map_err(Error::Config)
    }
}

/// How a client delivers local content unless a file says otherwise (`upload=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilePolicy {
    pub upload: UploadMode,
}

impl Default for FilePolicy {
    fn default() -> Self {
        FilePolicy {
            upload: UploadMode::Auto,
        }
    }
}

/// Where the API key came from, so a 401 can say which key to check (never the key itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// `api_key=` given to the client.
    Argument,
    /// The environment variable of that name.
    Env(&'static str),
}

impl KeySource {
    /// For error messages: "the api_key argument" / "the TELA_API_KEY environment variable".
    pub fn describe(self) -> String {
        match self {
            KeySource::Argument => "the api_key argument".into(),
            KeySource::Env(var) => format!("the {var} environment variable"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub api: Api,
    pub api_key: Secret,
    pub key_source: KeySource,
    /// Without a trailing slash, so paths can be appended (`/v1` bases of self-hosted Dify keep their path).
    pub base_url: String,
    pub timeouts: Timeouts,
    pub max_retries: u32,
    pub default_headers: Vec<(String, String)>,
    pub proxy: Option<String>,
    pub ca_bundle: Option<PathBuf>,
    pub user_agent: String,
    /// A streamed event larger than this fails the stream instead of growing memory without bound.
    pub max_event_bytes: usize,
    /// False: ignore the environment's proxy variables (the emulator's clients, on loopback).
    pub trust_env: bool,
    /// How local files are delivered unless a file says otherwise.
    pub files: FilePolicy,
}

pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Retrying more than this only hides an outage and multiplies load.
pub const MAX_RETRIES_LIMIT: u32 = 10;

impl ClientConfig {
    /// Resolves the configuration from the process environment.
    pub fn resolve(api: Api, input: ConfigInput) -> Result<Self> {
        Self::resolve_with(api, input, |k| std::env::var(k).ok())
    }

    /// Same as [`resolve`](Self::resolve) with an injectable environment, for tests.
    pub fn resolve_with(
        api: Api,
        input: ConfigInput,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let key_source = if input.api_key.is_some() {
            KeySource::Argument
        } else {
            KeySource::Env(api.key_var())
        };
        let api_key = match input.api_key {
            Some(k) => k,
            None => env(api.key_var())
                .filter(|k| !k.trim().is_empty())
                .ok_or_else(|| {
                    Error::Config(format!(
                        "No API key: pass api_key=... or set the {} environment variable.",
                        api.key_var()
                    ))
                })?,
        };
        if api_key.trim().is_empty() {
            return Err(Error::Config(format!(
                "api_key is empty: pass your key, or leave it out to read {}.",
                api.key_var()
            )));
        }
        if api_key.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::Config(
                "api_key contains whitespace or control characters; check for a stray newline when reading it."
                    .into(),
            ));
        }
        let base_url = input
            .base_url
            .or_else(|| env(api.base_var()).filter(|b| !b.trim().is_empty()))
            .unwrap_or_else(|| api.default_base().to_string());
        let base_url = normalize_base_url(&base_url, api.base_var())?;
        let max_retries = match input.max_retries {
            Some(n) => check_max_retries(n).map_err(Error::Config)?,
            None => DEFAULT_MAX_RETRIES,
        };
        let mut timeouts = input.timeouts.unwrap_or_default();
        if let Some(spec) = &input.timeout {
            timeouts = timeouts.apply(spec).map_err(Error::Config)?;
        }
        validate_timeouts(&timeouts)?;
        for (name, value) in &input.default_headers {
            validate_header(name, value)
                .map_err(|e| Error::Config(format!("default_headers: {e}")))?;
        }
        if let Some(p) = &input.proxy {
            url::Url::parse(p).map_err(|e| {
                Error::Config(format!(
                    "proxy {p:?} is not a URL ({e}); use e.g. http://host:3128 or socks5://host:1080."
                ))
            })?;
        }
        if let Some(ca) = &input.ca_bundle
            && !ca.is_file()
        {
            return Err(Error::Config(format!(
                "ca_bundle {} is not a readable file; pass the path of a PEM bundle.",
                ca.display()
            )));
        }
        let max_event_bytes = match input.max_event_bytes {
            None => crate::sse::DEFAULT_MAX_EVENT_BYTES,
            Some(n) => usize::try_from(n).ok().filter(|&n| n > 0).ok_or_else(|| {
                Error::Config(format!(
                    "max_event_bytes={n} is not valid; pass a positive number of bytes (the default is 128 MiB)."
                ))
            })?,
        };
        // A mode name the core does not know is refused as `File(upload=...)` refuses it.
        let files = match &input.upload {
            Some(mode) => FilePolicy {
                upload: UploadMode::parse(mode)?,
            },
            None => FilePolicy::default(),
        };
        Ok(ClientConfig {
            files,
            max_event_bytes,
            trust_env: input.trust_env.unwrap_or(true),
            api,
            api_key: Secret::new(api_key),
            key_source,
            base_url,
            timeouts,
            max_retries,
            default_headers: input.default_headers,
            proxy: input.proxy,
            ca_bundle: input.ca_bundle,
            user_agent: format!("tela-sdk-python/{}", env!("CARGO_PKG_VERSION")),
        })
    }

    /// True when the API key would cross the network unencrypted: plain `http://` to a host
    /// that is not loopback. The face warns; the call is not refused (proxies, test rigs).
    pub fn sends_key_in_clear(&self) -> bool {
        let Ok(url) = url::Url::parse(&self.base_url) else {
            return false;
        };
        if url.scheme() != "http" {
            return false;
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) => !ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => !ip.is_loopback(),
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d != "localhost" && !d.ends_with(".localhost")
            }
            None => false,
        }
    }

    /// `base_url` with any password masked, for reprs and messages.
    pub fn shown_base_url(&self) -> String {
        crate::error::redact_urls(&self.base_url)
    }

    /// True when two configs can share one connection pool (same TLS, proxy, connect timeout).
    pub fn same_pool_as(&self, other: &ClientConfig) -> bool {
        self.proxy == other.proxy
            && self.trust_env == other.trust_env
            && self.ca_bundle == other.ca_bundle
            && self.timeouts.connect == other.timeouts.connect
    }
}

fn normalize_base_url(raw: &str, var: &str) -> Result<String> {
    let parsed = url::Url::parse(raw.trim()).map_err(|e| {
        Error::Config(format!(
            "base_url {raw:?} is not a URL ({e}); pass e.g. https://api.tela.com (or set {var})."
        ))
    })?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(Error::Config(format!(
            "base_url {raw:?} must start with http:// or https://."
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base_url {raw:?} must not carry a query or fragment."
        )));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

pub(crate) fn validate_timeouts(t: &Timeouts) -> Result<()> {
    for (name, d) in [
        ("connect", t.connect),
        ("read", t.read),
        ("total", t.total),
        ("stream_idle", t.stream_idle),
        ("stream_total", t.stream_total),
    ] {
        if let Some(d) = d
            && d.is_zero()
        {
            return Err(Error::Config(format!(
                "timeout {name}=0 would fail every call; pass a positive number of seconds, or None for no limit."
            )));
        }
    }
    Ok(())
}

pub(crate) fn validate_header(name: &str, value: &str) -> Result<()> {
    reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::InvalidRequest(format!("{name:?} is not a valid HTTP header name.")))?;
    reqwest::header::HeaderValue::from_str(value).map_err(|_| {
        Error::InvalidRequest(format!(
            "the value of header {name:?} is not valid (control characters or non-ASCII?)."
        ))
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn missing_key_names_the_variable() {
        let err =
            ClientConfig::resolve_with(Api::Tela, ConfigInput::default(), env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("TELA_API_KEY"), "{err}");
        let err =
            ClientConfig::resolve_with(Api::Dify, ConfigInput::default(), env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("DIFY_API_KEY"), "{err}");
    }

    #[test]
    fn arguments_beat_environment_and_env_beats_defaults() {
        let env = env_of(&[
            ("TELA_API_KEY", "env-key"),
            ("TELA_BASE_URL", "http://env:1/"),
        ]);
        let cfg = ClientConfig::resolve_with(Api::Tela, ConfigInput::default(), &env).unwrap();
        assert_eq!(cfg.api_key.expose(), "env-key");
        assert_eq!(cfg.key_source, KeySource::Env("TELA_API_KEY"));
        assert_eq!(
            cfg.key_source.describe(),
            "the TELA_API_KEY environment variable"
        );
        assert_eq!(cfg.base_url, "http://env:1");
        let cfg = ClientConfig::resolve_with(
            Api::Tela,
            ConfigInput {
                api_key: Some("arg".into()),
                base_url: Some("https://h/v1/".into()),
                ..Default::default()
            },
            &env,
        )
        .unwrap();
        assert_eq!(cfg.api_key.expose(), "arg");
        assert_eq!(cfg.base_url, "https://h/v1");
        let cfg = ClientConfig::resolve_with(
            Api::Dify,
            ConfigInput {
                api_key: Some("k".into()),
                ..Default::default()
            },
            env_of(&[]),
        )
        .unwrap();
        assert_eq!(cfg.base_url, DEFAULT_DIFY_BASE_URL);
    }

    #[test]
    fn bad_inputs_are_config_errors() {
        let bad = |input: ConfigInput| {
            ClientConfig::resolve_with(Api::Tela, input, env_of(&[("TELA_API_KEY", "k")]))
                .unwrap_err()
                .to_string()
        };
        assert!(
            bad(ConfigInput {
                base_url: Some("ftp://x".into()),
                ..Default::default()
            })
            .contains("http")
        );
        assert!(
            bad(ConfigInput {
                base_url: Some("nope".into()),
                ..Default::default()
            })
            .contains("not a URL")
        );
        assert!(
            bad(ConfigInput {
                max_retries: Some(99),
                ..Default::default()
            })
            .contains("max_retries")
        );
        assert!(
            bad(ConfigInput {
                api_key: Some("k\n".into()),
                ..Default::default()
            })
            .contains("newline")
        );
        let zero = Timeouts {
            read: Some(Duration::ZERO),
            ..Default::default()
        };
        assert!(
            bad(ConfigInput {
                timeouts: Some(zero),
                ..Default::default()
            })
            .contains("read=0")
        );
    }

    #[test]
    fn scalar_and_named_timeouts() {
        let t = Timeouts::default()
            .apply(&TimeoutSpec::Seconds(5.0))
            .unwrap();
        assert_eq!(t.read, Some(Duration::from_secs(5)));
        assert_eq!(t.connect, Some(Duration::from_secs(5)));
        assert_eq!(t.total, None);
        let spec = TimeoutSpec::Fields(vec![("total".into(), Some(1.5)), ("read".into(), None)]);
        let t = Timeouts::default().apply(&spec).unwrap();
        assert_eq!((t.total, t.read), (Some(Duration::from_millis(1500)), None));
        assert!(
            Timeouts::default()
                .apply(&TimeoutSpec::Fields(vec![("bogus".into(), None)]))
                .is_err()
        );
        let err = Timeouts::default()
            .apply(&TimeoutSpec::Seconds(-1.0))
            .unwrap_err();
        assert!(
            err.starts_with("timeout=-1 is not valid") && err.contains("positive"),
            "{err}"
        );
        let err = Timeouts::default()
            .apply(&TimeoutSpec::Fields(vec![("read".into(), Some(0.0))]))
            .unwrap_err();
        assert!(err.starts_with("timeout read=0 is not valid"), "{err}");
        assert!(
            Timeouts::default()
                .apply(&TimeoutSpec::Seconds(f64::NAN))
                .is_err()
        );
    }

    #[test]
    fn client_level_mistakes_are_configuration_errors() {
        let env = env_of(&[("TELA_API_KEY", "k")]);
        let bad = |input: ConfigInput| match ClientConfig::resolve_with(Api::Tela, input, &env) {
            Err(Error::Config(m)) => m,
            other => panic!("expected a configuration error, got {other:?}"),
        };
        assert!(
            bad(ConfigInput {
                max_retries: Some(-1),
                ..Default::default()
            })
            .contains("0 to 10")
        );
        assert!(
            bad(ConfigInput {
                timeout: Some(TimeoutSpec::Seconds(0.0)),
                ..Default::default()
            })
            .contains("timeout=0")
        );
        let headers = vec![("bad header".to_string(), "v".to_string())];
        assert!(
            bad(ConfigInput {
                default_headers: headers,
                ..Default::default()
            })
            .contains("default_headers")
        );
    }

    #[test]
    fn settings_are_read_by_name_and_a_wrong_value_names_its_setting() {
        let input = ConfigInput::read(serde_json::json!({
            "api_key": "k",
            "timeout": {"read": 5, "total": null},
            "default_headers": {"X-B": "2", "X-A": "1"},
            "upload": "vault",
            "max_retries": 3,
            "trust_env": false,
        }))
        .unwrap();
        assert_eq!(
            input.timeout,
            Some(TimeoutSpec::Fields(vec![
                ("read".into(), Some(5.0)),
                ("total".into(), None)
            ]))
        );
        assert_eq!(
            input.default_headers,
            [("X-B".into(), "2".into()), ("X-A".into(), "1".into())]
        );
        let cfg = ClientConfig::resolve_with(Api::Tela, input, env_of(&[])).unwrap();
        assert_eq!(cfg.files.upload, UploadMode::Vault);
        assert_eq!((cfg.max_retries, cfg.trust_env), (3, false));
        let bad = |v: serde_json::Value| match ConfigInput::read(v) {
            Err(Error::Config(m)) => m,
            other => panic!("expected a configuration error, got {other:?}"),
        };
        let m = bad(serde_json::json!({"default_headers": {"X-A": 1}}));
        assert!(
            m.starts_with("default_headers: ") && m.contains(r#""X-A" must be a str, got int 1"#),
            "{m}"
        );
        let m = bad(serde_json::json!({"default_headers": {"X-L": ["a"]}}));
        assert!(m.contains(r#""X-L" must be a str, got a list"#), "{m}");
        let m = bad(serde_json::json!({"max_retries": "3"}));
        assert_eq!(
            m,
            r#"max_retries: invalid type: string "3", expected an int"#
        );
        let m = bad(serde_json::json!({"timeout": true}));
        assert!(
            m.starts_with("timeout: ") && m.contains("a number of seconds"),
            "{m}"
        );
    }

    #[test]
    fn secret_never_prints_in_full() {
        let s = Secret::new("sk-live-0123456789abcdef");
        let shown = format!("{s:?}");
        assert!(!shown.contains("0123456789"), "{shown}");
        assert!(shown.contains("cdef"));
        assert_eq!(Secret::new("short").masked(), "***");
    }
}
