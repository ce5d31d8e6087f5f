//! The app's read-only descriptions: `parameters()`, `meta()`, `info()`, `site()`.

use reqwest::Method;
use serde_json::{Map, Value};

use super::*;
use crate::client::Client;
use crate::error::Result;
use crate::json::kind;
use crate::retry::Safety;
use crate::transport::{CallOptions, Request, Response};

/// The app's read-only endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Info {
    /// `GET /parameters`: input form, features, upload limits.
    Parameters,
    /// `GET /meta`: tool icons.
    Meta,
    /// `GET /info`: name, description, tags, mode.
    Info,
    /// `GET /site`: the app's WebApp settings (title, icon, description...).
    Site,
}

impl Info {
    fn path(self) -> &'static str {
        match self {
            Info::Parameters => "/parameters",
            Info::Meta => "/meta",
            Info::Info => "/info",
            Info::Site => "/site",
        }
    }
}

/// `GET` one of the app's descriptions; an optional `user` goes in the query (older servers
/// ask for it).
pub async fn get_info(
    client: &Client,
    which: Info,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    opts: &CallOptions,
) -> Result<Response> {
    let call = format!("{}()", which.path().trim_start_matches('/'));
    no_extra(&extra_body, &call)?;
    reject_unknown(&body, &["user"], &call)?;
    let mut req = Request::json(Method::GET, which.path(), None, Safety::Idempotent);
    match body.get("user") {
        None | Some(Value::Null) => {}
        Some(Value::String(u)) => req.query.push(("user".into(), u.clone())),
        Some(v) => {
            return Err(invalid(format!("user must be a string, got {}.", kind(v))));
        }
    }
    client.execute(&req, opts).await
}
