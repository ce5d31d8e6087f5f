//! The async runs the emulator accepted, kept in the order `GET /v1/completion-run` lists them
//! (protocol.md §4.2): `updatedAt` desc, then `id` desc.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::query::{Cursor, Filter};
use crate::clock::iso8601;

/// One run and what it is filtered by.
pub(crate) struct RunRecord {
    /// The snake_case run object, as `GET /v2/chat/completions/{id}` answers it.
    pub run: Value,
    pub canvas_id: String,
    pub version_id: String,
    pub application_id: Option<String>,
    pub updated_ms: u64,
}

impl RunRecord {
    fn matches(&self, filter: &Filter) -> bool {
        filter
            .canvas_id
            .as_ref()
            .is_none_or(|c| *c == self.canvas_id)
            && filter
                .version_id
                .as_ref()
                .is_none_or(|v| *v == self.version_id)
            && filter
                .application_id
                .as_ref()
                .is_none_or(|a| Some(a) == self.application_id.as_ref())
    }

    /// The cursor of a page that ends with this run.
    fn cursor(&self, id: &str) -> Cursor {
        Cursor {
            updated_ms: self.updated_ms,
            id: id.to_owned(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Runs {
    by_id: HashMap<String, RunRecord>,
    /// What review did to Workstation tasks (name, tags, edits, approval), by task id; the
    /// run holds the rest (see `tela::tasks`).
    pub(crate) reviews: HashMap<String, Map<String, Value>>,
}

impl Runs {
    pub(crate) fn insert(&mut self, id: String, record: RunRecord) {
        self.by_id.insert(id, record);
    }

    pub(crate) fn get(&self, id: &str) -> Option<Value> {
        self.by_id.get(id).map(|r| r.run.clone())
    }

    /// The run of a Workstation task (an `application_id` run), by the task's id.
    pub(crate) fn get_task(&self, id: &str) -> Option<Value> {
        self.by_id
            .get(id)
            .filter(|r| r.application_id.is_some())
            .map(|r| r.run.clone())
    }

    /// The runs of every Workstation task and their app ids.
    pub(crate) fn task_runs(&self) -> Vec<(&str, &Value)> {
        self.by_id
            .values()
            .filter_map(|r| r.application_id.as_deref().map(|a| (a, &r.run)))
            .collect()
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
                r.matches(filter)
                    && after.is_none_or(|c| (r.updated_ms, id.as_str()) < (c.updated_ms, &c.id))
            })
            .collect();
        rows.sort_by(|(a_id, a), (b_id, b)| (b.updated_ms, b_id).cmp(&(a.updated_ms, a_id)));
        let next = (rows.len() > limit).then(|| {
            let (id, r) = rows[limit - 1];
            r.cursor(id)
        });
        let page = rows
            .into_iter()
            .take(limit)
            .map(|(_, r)| r.run.clone())
            .collect();
        (page, next)
    }
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
}
