//! Dify's key check (protocol.md §6.1, `wraps.py`): the app is found by its API key, and every
//! refusal is a 401 with `WWW-Authenticate: Bearer realm="api"`, or a 403 for a disabled app.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::apps::DifyApp;
use super::errors::{bad_json, error, missing_user, unauthorized};
use crate::state::{State, lock};

/// The app whose key authorized the request.
pub(crate) struct Authed(pub Arc<DifyApp>);

impl FromRequestParts<Arc<State>> for Authed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<State>,
    ) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::trim_start)
            .filter(|v| v.contains(' '));
        let Some((scheme, token)) = value.and_then(|v| v.split_once(' ')) else {
            return Err(unauthorized(
                "Authorization header must be provided and start with 'Bearer'",
            ));
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(unauthorized("Authorization scheme must be 'Bearer'"));
        }
        let Some(app) = lock(&state.dify).by_key(token.trim_start()) else {
            return Err(unauthorized("Access token is invalid"));
        };
        if !app.spec.api_enabled {
            return Err(error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "The app's API service has been disabled.",
            ));
        }
        Ok(Authed(app))
    }
}

/// A JSON object body and its `user`, which Dify reads first (in the same decorator as the
/// key), or the 400 Dify answers.
#[allow(clippy::result_large_err)] // the refusal is the response itself, built once
pub(crate) fn json_user(body: &Bytes) -> Result<(Map<String, Value>, String), Response> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else {
        return Err(bad_json());
    };
    let Some(user) = body
        .get("user")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .map(str::to_owned)
    else {
        return Err(missing_user());
    };
    Ok((body, user))
}
