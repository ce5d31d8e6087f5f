//! Canvases, their versions and environments (protocol.md §9): `GET /prompt`,
//! `GET /prompt/{id}`, `GET /prompt/{id}/promoted-version`, `GET /prompt/{id}/latest-version`,
//! `GET /prompt-version/{id}`, `GET /prompt-version/history`, `GET /environment/version` and
//! `POST /environment/publish-by-name`.
//!
//! These endpoints are camelCase on the wire; every answer is checked (an object with a string
//! `id`, or a list of them) and its keys made snake_case, except inside the user's own data (a
//! structured-output JSON Schema, a workflow graph), so the faces read one naming. A list
//! answer may be a bare array or an envelope (protocol.md §9.2); it becomes
//! `{"data": [...], "has_more": bool, "next_cursor": str|null, "next_offset": int|null, ...}`.

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::json::{kind, split_rows};
use crate::retry::Safety;
use crate::transport::{CallOptions, Request, Response, path_segment};

use super::runs::keys::snake_keys_except;
use super::runs::only_keys;

pub const PROMPT_PATH: &str = "/prompt";
pub const VERSION_PATH: &str = "/prompt-version";
pub const HISTORY_PATH: &str = "/prompt-version/history";
pub const ENV_VERSION_PATH: &str = "/environment/version";
pub const PUBLISH_PATH: &str = "/environment/publish-by-name";

/// Keys whose insides are the user's data and keep their keys (protocol.md §9.1).
const OPAQUE: &[&str] = &[
    "schema",
    "properties",
    "parameters",
    "arguments",
    "graph",
    "workflow_spec",
    "metadata",
    "default_value",
];

/// `limit` of `GET /prompt-version/history` (protocol.md §9.2).
const HISTORY_LIMIT: std::ops::RangeInclusive<i64> = 1..=100;
/// The server's default page size of the history, when no `limit` is sent.
const HISTORY_DEFAULT_LIMIT: i64 = 20;

/// Envelope keys that may hold the rows; the first array found wins.
const ROW_KEYS: &[&str] = &["data", "items", "results", "prompts", "versions"];

/// A non-empty string argument `key` (`what` names it in the error).
fn id(body: &Map<String, Value>, key: &str, what: &str) -> Result<String> {
    match body.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        other => Err(Error::InvalidRequest(format!(
            "{what} must be a non-empty string, got {}.",
            other.map_or("nothing", kind)
        ))),
    }
}

/// `^[a-z0-9]+(-[a-z0-9]+)*$`, at most 64 characters (protocol.md §3.1).
pub fn check_environment_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.split('-').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    if ok {
        return Ok(());
    }
    Err(Error::InvalidRequest(format!(
        "environment name {name:?} is not valid: use lowercase letters and digits, with single hyphens \
         between them, at most 64 characters (e.g. \"staging\" or \"eu-prod-2\")."
    )))
}

fn decode(resp: &Response) -> Result<Value> {
    serde_json::from_slice(&resp.body)
        .map_err(|e| resp.decode_error(format!("the body is not JSON ({e})")))
}

/// A problem with one object of an answer (`what`: "canvas", "version"...), or None.
fn object_problem(v: &Value, what: &str) -> Option<String> {
    match v.get("id") {
        Some(Value::String(_)) if v.is_object() => None,
        _ => {
            let text = v.to_string();
            Some(format!(
                "expected a {what} object with a string id, got {}",
                text.chars().take(200).collect::<String>()
            ))
        }
    }
}

/// `GET path` answering one object, checked and snake_cased.
async fn get_object(
    client: &Client,
    path: String,
    query: Vec<(String, String)>,
    what: &str,
    opts: &CallOptions,
) -> Result<Response> {
    let mut req = Request::json(Method::GET, path, None, Safety::Idempotent);
    req.query = query;
    let resp = client.execute(&req, opts).await?;
    object_answer(resp, what)
}

fn object_answer(mut resp: Response, what: &str) -> Result<Response> {
    let v = decode(&resp)?;
    if let Some(problem) = object_problem(&v, what) {
        return Err(resp.decode_error(problem));
    }
    resp.body = bytes::Bytes::from(snake_keys_except(v, OPAQUE).to_string());
    Ok(resp)
}

/// `GET /prompt/{id}`.
pub async fn get(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    only_keys(&body, &["canvas_id"])?;
    let canvas = id(&body, "canvas_id", "canvas_id")?;
    let path = format!("{PROMPT_PATH}/{}", path_segment(&canvas));
    get_object(client, path, Vec::new(), "canvas", opts).await
}

/// `GET /prompt/{id}/promoted-version` (`which` = `promoted-version`) or `latest-version`.
async fn canvas_version(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
    which: &str,
) -> Result<Response> {
    only_keys(&body, &["canvas_id"])?;
    let canvas = id(&body, "canvas_id", "canvas_id")?;
    let path = format!("{PROMPT_PATH}/{}/{which}", path_segment(&canvas));
    get_object(client, path, Vec::new(), "version", opts).await
}

/// `GET /prompt/{id}/promoted-version`: the version live in production.
pub async fn promoted_version(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    canvas_version(client, body, opts, "promoted-version").await
}

/// `GET /prompt/{id}/latest-version`: the newest version.
pub async fn latest_version(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    canvas_version(client, body, opts, "latest-version").await
}

/// `GET /prompt-version/{id}`.
pub async fn version(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    only_keys(&body, &["version_id"])?;
    let version = id(&body, "version_id", "version_id")?;
    let path = format!("{VERSION_PATH}/{}", path_segment(&version));
    get_object(client, path, Vec::new(), "version", opts).await
}

/// `GET /environment/version?resourceType=prompt&resourceId=&envName=`: the version an
/// environment serves (the query names are Assumed, protocol.md §9.3).
pub async fn environment_version(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    only_keys(&body, &["canvas_id", "environment_name"])?;
    let canvas = id(&body, "canvas_id", "canvas_id")?;
    let env = id(&body, "environment_name", "environment_name")?;
    check_environment_name(&env)?;
    let query = vec![
        ("resourceType".to_owned(), "prompt".to_owned()),
        ("resourceId".to_owned(), canvas),
        ("envName".to_owned(), env),
    ];
    get_object(client, ENV_VERSION_PATH.to_owned(), query, "version", opts).await
}

/// `GET /prompt?projectId=`: the canvases (one page, see [`normalize`]).
pub async fn list(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    only_keys(&body, &["project_id", "cursor", "offset"])?;
    let mut query = Vec::new();
    if body.contains_key("project_id") {
        query.push((
            "projectId".to_owned(),
            id(&body, "project_id", "project_id")?,
        ));
    }
    if body.contains_key("cursor") {
        query.push(("cursor".to_owned(), id(&body, "cursor", "cursor")?));
    }
    let offset = offset_arg(&body)?;
    if offset > 0 {
        query.push(("offset".to_owned(), offset.to_string()));
    }
    let mut req = Request::json(Method::GET, PROMPT_PATH, None, Safety::Idempotent);
    req.query = query;
    let mut resp = client.execute(&req, opts).await?;
    let page =
        normalize(decode(&resp)?, "canvas", offset, None).map_err(|m| resp.decode_error(m))?;
    resp.body = bytes::Bytes::from(page.to_string());
    Ok(resp)
}

/// `GET /prompt-version/history?promptId=&limit=&offset=`: one page of a canvas's versions,
/// newest first.
pub async fn history(
    client: &Client,
    body: Map<String, Value>,
    opts: &CallOptions,
) -> Result<Response> {
    only_keys(&body, &["canvas_id", "limit", "offset"])?;
    let canvas = id(&body, "canvas_id", "canvas_id")?;
    let mut query = vec![("promptId".to_owned(), canvas)];
    let limit = match body.get("limit") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().filter(|n| HISTORY_LIMIT.contains(n)) {
            Some(n) => Some(n),
            None => {
                return Err(Error::InvalidRequest(format!(
                    "limit must be an integer from 1 to 100, got {}.",
                    match v {
                        Value::Number(n) => n.to_string(),
                        other => kind(other).to_owned(),
                    }
                )));
            }
        },
    };
    if let Some(n) = limit {
        query.push(("limit".to_owned(), n.to_string()));
    }
    let offset = offset_arg(&body)?;
    if offset > 0 {
        query.push(("offset".to_owned(), offset.to_string()));
    }
    let mut req = Request::json(Method::GET, HISTORY_PATH, None, Safety::Idempotent);
    req.query = query;
    let mut resp = client.execute(&req, opts).await?;
    let full = limit.unwrap_or(HISTORY_DEFAULT_LIMIT);
    let page = normalize(decode(&resp)?, "version", offset, Some(full))
        .map_err(|m| resp.decode_error(m))?;
    resp.body = bytes::Bytes::from(page.to_string());
    Ok(resp)
}

fn offset_arg(body: &Map<String, Value>) -> Result<i64> {
    match body.get("offset") {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
            Error::InvalidRequest(format!(
                "offset must be a non-negative integer, got {}.",
                kind(v)
            ))
        }),
    }
}

/// A list answer, bare array or envelope, as one page shape (protocol.md §9.2).
///
/// Whether more follows: the envelope's `hasMore`; else a `nextCursor`; else a `total` beyond
/// this page; else, for a paged endpoint (`full`: the page size asked), a full page means
/// "maybe more" (the next, possibly empty, page settles it). `next_offset` is where the next
/// page starts when there is one and no cursor.
pub fn normalize(
    v: Value,
    what: &str,
    offset: i64,
    full: Option<i64>,
) -> std::result::Result<Value, String> {
    let (rows, mut rest) = split_rows(v, ROW_KEYS, &format!("{what} objects"))?;
    for (i, row) in rows.iter().enumerate() {
        if let Some(problem) = object_problem(row, what) {
            return Err(format!("{what} {i} of the page: {problem}"));
        }
    }
    let mut take = |names: &[&str]| names.iter().find_map(|n| rest.remove(*n));
    let cursor = take(&["nextCursor", "next_cursor"])
        .and_then(|c| c.as_str().map(str::to_owned))
        .filter(|c| !c.is_empty());
    let has_more_field = take(&["hasMore", "has_more"]);
    let total = rest
        .get("total")
        .or_else(|| rest.get("totalCount"))
        .and_then(Value::as_i64);
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let has_more = match has_more_field {
        Some(Value::Bool(b)) => b,
        _ if cursor.is_some() => true,
        _ => match (total, full) {
            (Some(t), _) => offset + count < t,
            (None, Some(n)) => count > 0 && count >= n,
            (None, None) => false,
        },
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|r| snake_keys_except(r, OPAQUE))
        .collect();
    let mut page = Map::new();
    page.insert("data".into(), Value::Array(rows));
    page.insert("has_more".into(), Value::Bool(has_more));
    let next_cursor = cursor.filter(|_| has_more);
    let next_offset = (has_more && next_cursor.is_none() && count > 0).then_some(offset + count);
    page.insert(
        "next_cursor".into(),
        next_cursor.map_or(Value::Null, Value::String),
    );
    page.insert("next_offset".into(), json!(next_offset));
    if let Value::Object(extra) = snake_keys_except(Value::Object(rest), OPAQUE) {
        for (k, v) in extra {
            page.entry(k).or_insert(v);
        }
    }
    Ok(Value::Object(page))
}

/// `POST /environment/publish-by-name`: makes `version_id` the version `environment_name`
/// serves for the canvas (protocol.md §9.4).
pub async fn publish(
    client: &Client,
    body: Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
    opts: &CallOptions,
) -> Result<Response> {
    let sent = publish_body(&body, extra_body)?;
    let req = Request::json(
        Method::POST,
        PUBLISH_PATH,
        Some(bytes::Bytes::from(sent.to_string())),
        // Publishing the version an environment already serves is a no-op (protocol.md §9.4).
        Safety::Idempotent,
    );
    let mut resp = client.execute(&req, opts).await?;
    let v = decode(&resp)?;
    if !v.is_object() {
        return Err(resp.decode_error(format!("expected a JSON object, got {}", kind(&v))));
    }
    resp.body = bytes::Bytes::from(snake_keys_except(v, OPAQUE).to_string());
    Ok(resp)
}

fn publish_body(
    body: &Map<String, Value>,
    extra_body: Option<Map<String, Value>>,
) -> Result<Value> {
    only_keys(
        body,
        &["canvas_id", "environment_name", "version_id", "auto_create"],
    )?;
    let canvas = id(body, "canvas_id", "canvas_id")?;
    let env = id(body, "environment_name", "env_name")?;
    check_environment_name(&env)?;
    let version = id(body, "version_id", "version_id")?;
    let auto_create = match body.get("auto_create") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(Error::InvalidRequest(format!(
                "auto_create must be True or False, got {}.",
                kind(other)
            )));
        }
    };
    let mut sent = json!({
        "resourceType": "prompt",
        "resourceId": canvas,
        "envName": env,
        "versionId": version,
        "autoCreate": auto_create,
    });
    if let (Some(extra), Some(obj)) = (extra_body, sent.as_object_mut()) {
        obj.extend(extra);
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn publish_bodies_are_camel_case_and_checked() {
        let b = publish_body(
            &map(json!({"canvas_id": "c", "environment_name": "staging", "version_id": "v"})),
            None,
        )
        .unwrap();
        assert_eq!(
            b,
            json!({"resourceType": "prompt", "resourceId": "c", "envName": "staging", "versionId": "v", "autoCreate": false})
        );
        let err = |v: Value| publish_body(&map(v), None).unwrap_err().to_string();
        assert!(
            err(json!({"canvas_id": "c", "environment_name": "Prod", "version_id": "v"}))
                .contains("lowercase")
        );
        assert!(
            err(json!({"canvas_id": "c", "environment_name": "a--b", "version_id": "v"}))
                .contains("not valid")
        );
        assert!(
            err(json!({"canvas_id": "", "environment_name": "a", "version_id": "v"}))
                .contains("canvas_id")
        );
        assert!(
            err(json!({"canvas_id": "c", "environment_name": "a", "version_id": "v", "auto_create": 1}))
                .contains("auto_create")
        );
    }

    #[test]
    fn list_answers_in_every_envelope() {
        let bare = normalize(json!([{"id": "a", "projectId": "p"}]), "canvas", 0, None).unwrap();
        assert_eq!(
            bare,
            json!({"data": [{"id": "a", "project_id": "p"}], "has_more": false, "next_cursor": null, "next_offset": null})
        );
        let env = normalize(
            json!({"data": [{"id": "a"}], "hasMore": true, "nextCursor": "k", "pageSize": 1}),
            "canvas",
            0,
            None,
        )
        .unwrap();
        assert_eq!(env["next_cursor"], "k");
        assert_eq!(env["page_size"], 1);
        let total = normalize(
            json!({"items": [{"id": "a"}, {"id": "b"}], "total": 5}),
            "version",
            2,
            Some(2),
        )
        .unwrap();
        assert_eq!(
            (total["has_more"].clone(), total["next_offset"].clone()),
            (json!(true), json!(4))
        );
        let full = normalize(json!([{"id": "a"}, {"id": "b"}]), "version", 0, Some(2)).unwrap();
        assert_eq!(full["next_offset"], 2);
        let short = normalize(json!([{"id": "a"}]), "version", 0, Some(2)).unwrap();
        assert_eq!(short["has_more"], false);
        assert!(
            normalize(json!([{"title": "x"}]), "canvas", 0, None)
                .unwrap_err()
                .contains("canvas 0 of the page")
        );
        assert!(
            normalize(json!({"x": 1}), "canvas", 0, None)
                .unwrap_err()
                .contains("list of canvas objects")
        );
    }

    #[test]
    fn version_schemas_keep_their_keys() {
        let v = snake_keys_except(
            json!({"promptId": "c", "configuration": {"structuredOutput": {"enabled": true, "schema": {"properties": {"fileName": {}}}}},
                   "variables": [{"name": "myDoc", "processingOptions": {"allowMultimodal": true}}]}),
            OPAQUE,
        );
        assert_eq!(
            v,
            json!({"prompt_id": "c", "configuration": {"structured_output": {"enabled": true, "schema": {"properties": {"fileName": {}}}}},
                   "variables": [{"name": "myDoc", "processing_options": {"allow_multimodal": true}}]})
        );
    }
}
