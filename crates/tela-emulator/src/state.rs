//! Everything the server shares between connections and with the [`crate::Emulator`] handle.

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::faults::Faults;
use crate::log::RequestLog;
use crate::tela::registry::Registry;
use crate::tela::runs::store::Runs;
use crate::tela::spec::WebhookDelivery;
use crate::tela::vault::Vault;

pub(crate) struct State {
    /// Accepted bearer tokens; empty accepts any non-empty token.
    pub api_keys: Vec<String>,
    /// [`crate::EmulatorConfig::allow_missing_variables`]: for every canvas.
    pub allow_missing_variables: bool,
    /// [`crate::EmulatorConfig::strict`]: only documented fields in answers.
    pub strict: bool,
    pub registry: Mutex<Registry>,
    pub faults: Mutex<Faults>,
    pub log: Mutex<RequestLog>,
    /// The emulated file vault (`/v3/files`, `/v2/file` and their uploads).
    pub files: Mutex<Vault>,
    /// Dify apps and what their calls left behind (tasks, messages, uploads).
    pub dify: Mutex<crate::dify::apps::Apps>,
    pub runs: Mutex<Runs>,
    pub deliveries: Mutex<Vec<WebhookDelivery>>,
    /// Built on the first webhook, so an emulator that sends none pays nothing for it.
    webhook_client: OnceLock<reqwest::Client>,
}

impl State {
    pub(crate) fn new(api_keys: Vec<String>, allow_missing_variables: bool, strict: bool) -> State {
        State {
            api_keys,
            allow_missing_variables,
            strict,
            registry: Mutex::default(),
            faults: Mutex::default(),
            log: Mutex::default(),
            files: Mutex::default(),
            dify: Mutex::default(),
            runs: Mutex::default(),
            deliveries: Mutex::default(),
            webhook_client: OnceLock::new(),
        }
    }

    /// The client that delivers webhooks. No proxy: receivers are usually on this machine.
    pub(crate) fn webhook_client(&self) -> &reqwest::Client {
        self.webhook_client.get_or_init(|| {
            reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap_or_default()
        })
    }

    /// Whether an `Authorization` header value carries an accepted key.
    pub(crate) fn authorized(&self, authorization: Option<&[u8]>) -> bool {
        let Some(value) = authorization.and_then(|v| std::str::from_utf8(v).ok()) else {
            return false;
        };
        let Some((scheme, token)) = value.trim().split_once(' ') else {
            return false;
        };
        let token = token.trim();
        scheme.eq_ignore_ascii_case("bearer")
            && !token.is_empty()
            && (self.api_keys.is_empty() || self.api_keys.iter().any(|k| k == token))
    }
}

/// Locks a mutex even if a panicking thread poisoned it: the data is simple enough that a
/// half-done update is harmless, and the server must keep answering.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
