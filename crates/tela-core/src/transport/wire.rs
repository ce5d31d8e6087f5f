//! The request line, headers and pool construction: how a `Request` becomes bytes on the
//! wire for one configured client.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use std::time::Duration;

use super::{CallOptions, Request};
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::retry::Safety;

/// An id as exactly one URL path segment: everything but unreserved characters
/// (`A-Z a-z 0-9 - _ . ~`) is percent-encoded, so an id can never change the path.
pub(crate) fn path_segment(id: &str) -> String {
    const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(id, SEGMENT).to_string()
}

pub(crate) fn full_url(cfg: &ClientConfig, path: &str) -> String {
    let mut url = String::with_capacity(cfg.base_url.len() + path.len());
    url.push_str(&cfg.base_url);
    url.push_str(path);
    url
}

pub(crate) fn header_string(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(super) fn build_headers(
    cfg: &ClientConfig,
    req: &Request,
    opts: &CallOptions,
) -> Result<HeaderMap> {
    let mut h = HeaderMap::with_capacity(8 + cfg.default_headers.len() + opts.extra_headers.len());
    let mut auth =
        HeaderValue::from_str(&format!("Bearer {}", cfg.api_key.expose())).map_err(|_| {
            Error::Config("api_key contains characters not allowed in an HTTP header.".into())
        })?;
    auth.set_sensitive(true);
    h.insert(reqwest::header::AUTHORIZATION, auth);
    h.insert(
        reqwest::header::USER_AGENT,
        HeaderValue::from_str(&cfg.user_agent).unwrap_or(HeaderValue::from_static("tela-sdk")),
    );
    h.insert(
        reqwest::header::ACCEPT,
        HeaderValue::from_static(req.accept),
    );
    if let Some(ct) = req.content_type {
        h.insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    if req.safety == Safety::CreatesWork {
        // One key for every attempt of this call: a server that honours it deduplicates retries.
        h.insert(
            "idempotency-key",
            HeaderValue::from_str(&new_idempotency_key())
                .unwrap_or(HeaderValue::from_static("none")),
        );
    }
    let user = cfg
        .default_headers
        .iter()
        .chain(&req.headers)
        .chain(&opts.extra_headers);
    for (k, v) in user {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| {
            Error::InvalidRequest(format!("{k:?} is not a valid HTTP header name."))
        })?;
        let value = HeaderValue::from_str(v).map_err(|_| {
            Error::InvalidRequest(format!("the value of header {k:?} is not valid."))
        })?;
        h.insert(name, value);
    }
    Ok(h)
}

pub fn new_idempotency_key() -> String {
    format!(
        "tela-sdk-{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    )
}

pub(super) fn build_http(cfg: &ClientConfig) -> Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(256)
        .tcp_nodelay(true)
        .tcp_keepalive(Duration::from_secs(60))
        .redirect(crate::redirect::policy());
    if !cfg.trust_env {
        // Before `proxy` below: this drops the environment's proxies, not an explicit one.
        b = b.no_proxy();
    }
    if let Some(c) = cfg.timeouts.connect {
        b = b.connect_timeout(c);
    }
    if let Some(p) = &cfg.proxy {
        let proxy = reqwest::Proxy::all(p)
            .map_err(|e| Error::Config(format!("proxy {p:?} is not usable: {e}")))?;
        b = b.proxy(proxy);
    }
    if let Some(ca) = &cfg.ca_bundle {
        let pem = std::fs::read(ca)
            .map_err(|e| Error::Config(format!("cannot read ca_bundle {}: {e}", ca.display())))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            Error::Config(format!(
                "ca_bundle {} is not a PEM bundle: {e}",
                ca.display()
            ))
        })?;
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    b.build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}
