//! A configured client: its config plus a shared connection pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::config::{ClientConfig, ConfigInput, FilePolicy};
use crate::error::Result;
use crate::events::{self, Decoding, EventStream, StreamRules};
use crate::transport::{CallOptions, Request, Response, Transport};
use crate::usage;

#[derive(Clone)]
pub struct Client {
    pub config: Arc<ClientConfig>,
    transport: Arc<Transport>,
    /// The usage ledger, shared by every `with_options` copy (`usage.rs`).
    pub usage: Arc<crate::usage::Ledger>,
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
            usage: Arc::default(),
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
            usage: self.usage.clone(),
        })
    }

    /// True when both clients use the same connection pool.
    pub fn shares_pool_with(&self, other: &Client) -> bool {
        Arc::ptr_eq(&self.transport, &other.transport)
    }

    pub async fn execute(&self, req: &Request, opts: &CallOptions) -> Result<Response> {
        let (opts, attempts, started) = counted(opts);
        let out = self.transport.execute(&self.config, req, &opts).await;
        let mut entry = entry_for(req, &attempts);
        entry.time = started.elapsed();
        match out {
            Ok(mut resp) => {
                // Added once the answer is read: see `usage::Pending`.
                let pending = usage::Pending::new(self.usage.clone(), entry, resp.body.clone());
                resp.usage = Some(pending);
                Ok(resp)
            }
            Err(e) => {
                self.usage.add(entry);
                Err(e)
            }
        }
    }

    /// Opens a streaming request and starts decoding its events.
    pub async fn open_events(
        &self,
        req: &Request,
        opts: &CallOptions,
        rules: &'static StreamRules,
    ) -> Result<EventStream> {
        let timeouts = opts.timeouts.unwrap_or(self.config.timeouts);
        let (opts, attempts, started) = counted(opts);
        let open = match self.transport.open(&self.config, req, &opts).await {
            Ok(open) => open,
            Err(e) => {
                let mut entry = entry_for(req, &attempts);
                entry.time = started.elapsed();
                self.usage.add(entry);
                return Err(e);
            }
        };
        // Added to the ledger when dropped: with the stream, or here if it cannot start.
        let mut usage = usage::OnDrop {
            ledger: self.usage.clone(),
            entry: entry_for(req, &attempts),
            started,
            totals: None,
        };
        let open = events::expect_event_stream(open, &req.path, timeouts.read).await?;
        let decoding = Decoding {
            rules,
            max_event_bytes: self.config.max_event_bytes,
            path: req.path.clone(),
            trace: opts.observe.clone(),
        };
        let mut stream =
            EventStream::spawn(open, decoding, timeouts.stream_idle, timeouts.stream_total);
        usage.totals = stream.totals();
        stream.usage = Some(usage);
        Ok(stream)
    }
}

/// The call's options with a fresh attempt counter, the counter, and the start time.
fn counted(opts: &CallOptions) -> (CallOptions, Arc<AtomicU64>, Instant) {
    let attempts = Arc::new(AtomicU64::new(0));
    let mut opts = opts.clone();
    opts.attempts = Some(attempts.clone());
    (opts, attempts, Instant::now())
}

/// One request's ledger entry: whom it was for (its body) and how many tries it took.
fn entry_for(req: &Request, attempts: &AtomicU64) -> usage::Entry {
    let usage::Whom { canvas, app, tags } = match &req.whom {
        Some(whom) => whom.clone(),
        None => usage::whom(req.body.as_deref()),
    };
    usage::Entry {
        canvas,
        app,
        tags,
        requests: 1,
        attempts: attempts.load(Ordering::Relaxed),
        ..usage::Entry::default()
    }
}
