//! Dify's key check (wire.md 2.0, `wraps.py`): the app is found by its API key, and every
//! refusal is a 401 with `WWW-Authenticate: Bearer realm="api"`, or a 403 for a disabled app.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::Response;

use super::apps::DifyApp;
use super::errors::{error, unauthorized};
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
