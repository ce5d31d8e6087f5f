//! The async runs the emulator accepted, and the rules of `GET /v1/completion-run` (protocol.md
//! §4.2): filters, `updatedAt` desc then `id` desc order, camelCase rows.
//!
//! Paging is undocumented; the emulator's choice is a keyset cursor: the answer is
//! `{"data": [...], "hasMore": bool, "nextCursor": str|null}` and the next page is asked with
//! `?cursor=<nextCursor>`. The cursor encodes the last row's (updatedAt, id), so runs added
//! meanwhile never shift a page.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// One run and what it is filtered by.
pub(crate) struct RunRecord {
    /// The snake_case run object, as `GET /v2/chat/completions/{id}` answers it.
    pub run: Value,
    pub canvas_id: String,
    pub version_id: String,
    pub application_id: Option<String>,
    pub updated_ms: u64,
}

/// The list filters (protocol.md §4.2 `promptId`, `promptVersionId`, `promptApplicationId`).
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub canvas_id: Option<String>,
    pub version_id: Option<String>,
    pub application_id: Option<String>,
}

impl Filter {
    fn matches(&self, r: &RunRecord) -> bool {
        self.canvas_id.as_ref().is_none_or(|c| *c == r.canvas_id)
            && self.version_id.as_ref().is_none_or(|v| *v == r.version_id)
            && self
                .application_id
                .as_ref()
                .is_none_or(|a| Some(a) == r.application_id.as_ref())
    }
}

/// Where a page ends: the last row's sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub updated_ms: u64,
    pub id: String,
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.updated_ms, self.id))
    }

    pub(crate) fn decode(text: &str) -> Option<Cursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        let (ms, id) = raw.split_once(':')?;
        Some(Cursor {
            updated_ms: ms.parse().ok()?,
            id: id.to_owned(),
        })
    }

    fn of(r: &RunRecord, id: &str) -> Cursor {
        Cursor {
            updated_ms: r.updated_ms,
            id: id.to_owned(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Runs {
    by_id: HashMap<String, RunRecord>,
}

impl Runs {
    pub(crate) fn insert(&mut self, id: String, record: RunRecord) {
        self.by_id.insert(id, record);
    }

    pub(crate) fn get(&self, id: &str) -> Option<Value> {
        self.by_id.get(id).map(|r| r.run.clone())
    }

    /// Applies `change` to the run object and stamps `updated_at`; returns the new object.
    pub(crate) fn update(
        &mut self,
        id: &str,
        now_ms: u64,
        change: impl FnOnce(&mut Map<String, Value>),
    ) -> Option<Value> {
        let record = self.by_id.get_mut(id)?;
        let run = record.run.as_object_mut()?;
        change(run);
        run.insert("updated_at".into(), Value::String(iso8601(now_ms)));
        record.updated_ms = now_ms;
        Some(record.run.clone())
    }

    /// One page of matching runs after `after`, newest first, and the cursor of the next
    /// page when there is one.
    pub(crate) fn list(
        &self,
        filter: &Filter,
        after: Option<&Cursor>,
        limit: usize,
    ) -> (Vec<Value>, Option<Cursor>) {
        let mut rows: Vec<(&String, &RunRecord)> = self
            .by_id
            .iter()
            .filter(|(id, r)| {
                filter.matches(r)
                    && after.is_none_or(|c| (r.updated_ms, id.as_str()) < (c.updated_ms, &c.id))
            })
            .collect();
        rows.sort_by(|(a_id, a), (b_id, b)| (b.updated_ms, b_id).cmp(&(a.updated_ms, a_id)));
        let next = (rows.len() > limit).then(|| {
            let (id, r) = rows[limit - 1];
            Cursor::of(r, id)
        });
        let page = rows
            .into_iter()
            .take(limit)
            .map(|(_, r)| r.run.clone())
            .collect();
        (page, next)
    }
}

/// `2024-10-08T15:00:21.000Z` for Unix milliseconds (UTC, proleptic Gregorian).
pub(crate) fn iso8601(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms % 1000
    )
}

/// Keys whose values are the user's data (variables, structured output, schemas): their
/// insides keep their keys. The SDK's snake_case conversion skips the same keys.
const OPAQUE_KEYS: &[&str] = &[
    "variables",
    "content",
    "raw_output",
    "schema",
    "properties",
    "parameters",
    "arguments",
    "parsed_content",
    "structured_content",
    "metadata",
];

/// A run as a list row: snake_case keys in camelCase (`output_content` -> `outputContent`).
pub(crate) fn camel_keys(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if OPAQUE_KEYS.contains(&k.as_str()) {
                        v
                    } else {
                        camel_keys(v)
                    };
                    (camel_case(&k), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_keys).collect()),
        other => other,
    }
}

fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, canvas: &str, updated_ms: u64) -> (String, RunRecord) {
        (
            id.to_owned(),
            RunRecord {
                run: json!({"id": id}),
                canvas_id: canvas.to_owned(),
                version_id: format!("{canvas}-v"),
                application_id: (canvas == "c2").then(|| "app".to_owned()),
                updated_ms,
            },
        )
    }

    fn ids(rows: &[Value]) -> Vec<&str> {
        rows.iter().map(|r| r["id"].as_str().unwrap()).collect()
    }

    #[test]
    fn newest_first_paged_by_cursor_and_filtered() {
        let mut runs = Runs::default();
        for (id, r) in [
            record("a", "c1", 10),
            record("b", "c1", 30),
            record("c", "c2", 20),
            record("d", "c1", 30),
        ] {
            runs.insert(id, r);
        }
        let all = Filter::default();
        let (page, next) = runs.list(&all, None, 3);
        assert_eq!(ids(&page), ["d", "b", "c"]);
        let next = next.unwrap();
        let decoded = Cursor::decode(&next.encode()).unwrap();
        assert_eq!(decoded, next);
        let (page, after) = runs.list(&all, Some(&decoded), 3);
        assert_eq!((ids(&page), after), (vec!["a"], None));
        let (page, _) = runs.list(&all, None, 10);
        assert_eq!(ids(&page), ["d", "b", "c", "a"]);

        let c1 = Filter {
            canvas_id: Some("c1".into()),
            ..Filter::default()
        };
        assert_eq!(ids(&runs.list(&c1, None, 10).0), ["d", "b", "a"]);
        let app = Filter {
            application_id: Some("app".into()),
            ..Filter::default()
        };
        assert_eq!(ids(&runs.list(&app, None, 10).0), ["c"]);
        let version = Filter {
            version_id: Some("c2-v".into()),
            ..Filter::default()
        };
        assert_eq!(ids(&runs.list(&version, None, 10).0), ["c"]);

        // An update moves a run to the front.
        runs.update("a", 40, |r| {
            r.insert("status".into(), json!("running"));
        });
        let (page, _) = runs.list(&all, None, 1);
        assert_eq!(page[0]["status"], "running");
        assert!(page[0]["updated_at"].is_string());
    }

    #[test]
    fn bad_cursors_do_not_decode() {
        for bad in ["", "!!", "bm9jb2xvbg", &URL_SAFE_NO_PAD.encode("x:id")] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_728_399_621_042), "2024-10-08T15:00:21.042Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }

    #[test]
    fn rows_are_camel_case_except_user_data() {
        let run = json!({
            "id": "r", "prompt_version_id": "v", "updated_at": "t",
            "input_content": {"variables": {"my_doc": 1}, "files": [{"used_at": "variables"}]},
            "output_content": {"content": {"file_summary": "s"}, "information": {"input_tokens": 1}},
            "raw_output": {"a_b": 1}
        });
        assert_eq!(
            camel_keys(run),
            json!({
                "id": "r", "promptVersionId": "v", "updatedAt": "t",
                "inputContent": {"variables": {"my_doc": 1}, "files": [{"usedAt": "variables"}]},
                "outputContent": {"content": {"file_summary": "s"}, "information": {"inputTokens": 1}},
                "rawOutput": {"a_b": 1}
            })
        );
    }
}
