//! A configured client: its config plus a shared connection pool.

use std::sync::Arc;

use crate::config::{ClientConfig, ConfigInput, FilePolicy};
use crate::error::Result;
use crate::events::{self, Decoding, EventStream, StreamRules};
use crate::transport::{CallOptions, Request, Response, Transport};

#[derive(Clone)]
pub struct Client {
    pub config: Arc<ClientConfig>,
    transport: Arc<Transport>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self> {
        let transport = Arc::new(Transport::new(&config)?);
        Ok(Client {
            config: Arc::new(config),
            transport,
        })
    }

    /// How local files are delivered unless a file says otherwise (`upload=`).
    pub fn file_policy(&self) -> FilePolicy {
        self.config.files
    }

    /// The pooled HTTP client, for requests outside the API's base URL (presigned uploads).
    pub(crate) fn http(&self) -> reqwest::Client {
        self.transport.http()
    }

    /// A client with some settings changed. It shares this client's connection pool unless
    /// the change needs a different one (proxy, CA bundle, connect timeout).
    pub fn with_options(&self, changes: ConfigInput) -> Result<Self> {
        let current = &self.config;
        let key_source = match changes.api_key {
            Some(_) => crate::config::KeySource::Argument,
            None => current.key_source,
        };
        let input = ConfigInput {
            api_key: changes
                .api_key
                .or_else(|| Some(current.api_key.expose().to_owned())),
            base_url: changes.base_url.or_else(|| Some(current.base_url.clone())),
            timeouts: changes.timeouts.or(Some(current.timeouts)),
            timeout: changes.timeout,
            max_retries: changes.max_retries.or(Some(i64::from(current.max_retries))),
            default_headers: {
                let mut h = current.default_headers.clone();
                for (k, v) in changes.default_headers {
                    h.retain(|(name, _)| !name.eq_ignore_ascii_case(&k));
                    h.push((k, v));
                }
                h
            },
            proxy: changes.proxy.or_else(|| current.proxy.clone()),
            ca_bundle: changes.ca_bundle.or_else(|| current.ca_bundle.clone()),
            max_event_bytes: changes
                .max_event_bytes
                .or(Some(current.max_event_bytes as i64)),
            trust_env: changes.trust_env.or(Some(current.trust_env)),
            upload: changes
                .upload
                .or_else(|| Some(current.files.upload.name().to_owned())),
        };
        let mut config = ClientConfig::resolve_with(current.api, input, |_| None)?;
        config.key_source = key_source;
        let transport = if config.same_pool_as(current) {
            self.transport.clone()
        } else {
            Arc::new(Transport::new(&config)?)
        };
        Ok(Client {
            config: Arc::new(config),
            transport,
        })
    }

    /// True when both clients use the same connection pool.
    pub fn shares_pool_with(&self, other: &Client) -> bool {
        Arc::ptr_eq(&self.transport, &other.transport)
    }

    pub async fn execute(&self, req: &Request, opts: &CallOptions) -> Result<Response> {
        self.transport.execute(&self.config, req, opts).await
    }

    /// Opens a streaming request and starts decoding its events.
    pub async fn open_events(
        &self,
        req: &Request,
        opts: &CallOptions,
        rules: &'static StreamRules,
    ) -> Result<EventStream> {
        let timeouts = opts.timeouts.unwrap_or(self.config.timeouts);
        let open = self.transport.open(&self.config, req, opts).await?;
        let open = events::expect_event_stream(open, &req.path, timeouts.read).await?;
        let decoding = Decoding {
            rules,
            max_event_bytes: self.config.max_event_bytes,
            path: req.path.clone(),
            trace: opts.observe.clone(),
        };
        Ok(EventStream::spawn(
            open,
            decoding,
            timeouts.stream_idle,
            timeouts.stream_total,
        ))
    }
}
