//! Registered Dify apps and what their calls leave behind: running tasks (for stop),
//! messages (for feedback), conversations and uploaded files.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

use super::spec::{DifyAppInfo, DifyAppSpec, DifyFeedback, DifyUpload};
use crate::{EmulatorError, ReplyFn, ids};

/// Uploads up to this size keep their bytes for `GET /files/{id}/preview` (protocol.md §6.9).
pub(crate) const PREVIEW_MAX: u64 = 16 * 1024 * 1024;

pub(crate) const MODES: [&str; 4] = ["completion", "chat", "agent-chat", "advanced-chat"];

pub(crate) struct DifyApp {
    pub id: String,
    pub spec: DifyAppSpec,
    pub callback: Option<ReplyFn>,
    /// Answers running now, for `max_concurrent`.
    pub active: AtomicUsize,
}

impl DifyApp {
    pub(crate) fn is_chat(&self) -> bool {
        self.spec.mode != "completion"
    }
}

/// Holds one slot of an app's `max_concurrent` until dropped.
pub(crate) struct Slot(Arc<DifyApp>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

impl DifyApp {
    /// A concurrency slot, or `None` when `max_concurrent` answers are already running.
    pub(crate) fn slot(self: &Arc<Self>) -> Option<Slot> {
        let before = self.active.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(self.clone());
        match self.spec.max_concurrent {
            Some(max) if before >= max => None, // dropping `slot` gives the count back
            _ => Some(slot),
        }
    }
}

/// A streaming answer that `stop` can end.
pub(crate) struct Task {
    pub app_id: String,
    pub user: String,
    pub stopped: AtomicBool,
    pub wake: Notify,
}

impl Task {
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}

pub(crate) struct Message {
    pub app_id: String,
    pub user: String,
    pub feedback: Option<DifyFeedback>,
    /// What `GET /messages` shows of it (protocol.md §6.8).
    pub inputs: serde_json::Map<String, serde_json::Value>,
    pub query: String,
    pub answer: String,
    pub created_at: u64,
}

pub(crate) struct Conversation {
    pub app_id: String,
    pub user: String,
    pub name: String,
    pub inputs: serde_json::Map<String, serde_json::Value>,
    pub created_at: u64,
    pub updated_at: u64,
    /// Orders conversations created or updated in the same second (`created_at` and
    /// `updated_at` are whole seconds).
    pub created_seq: u64,
    pub updated_seq: u64,
    /// Its messages' ids, oldest first.
    pub messages: Vec<String>,
}

#[derive(Default)]
pub(crate) struct Apps {
    apps: HashMap<String, Arc<DifyApp>>,
    /// API key -> app id.
    keys: HashMap<String, String>,
    pub tasks: HashMap<String, Arc<Task>>,
    pub messages: HashMap<String, Message>,
    pub conversations: HashMap<String, Conversation>,
    pub uploads: Vec<DifyUpload>,
    /// The bytes of uploads up to [`PREVIEW_MAX`], by file id, for `GET /files/{id}/preview`.
    pub upload_content: HashMap<String, bytes::Bytes>,
    /// A counter for [`Conversation::created_seq`] / `updated_seq`.
    pub seq: u64,
    /// End user id -> the UUID Dify would give that end user (`created_by` of uploads).
    end_users: HashMap<String, String>,
}

fn generated_key() -> String {
    format!("app-{}", ids::alphanumeric(24))
}

impl Apps {
    /// Registers an app; nothing changes when it fails.
    pub(crate) fn add(
        &mut self,
        mut spec: DifyAppSpec,
        callback: Option<ReplyFn>,
    ) -> Result<DifyAppInfo, EmulatorError> {
        let id = match spec.id.take() {
            None => ids::uuid(),
            Some(id) if id.trim().is_empty() => return Err(EmulatorError::InvalidId(id)),
            Some(id) => id,
        };
        if self.apps.contains_key(&id) {
            return Err(EmulatorError::InvalidDifyApp(format!(
                "an app with id {id:?} is already registered"
            )));
        }
        if !MODES.contains(&spec.mode.as_str()) {
            return Err(EmulatorError::InvalidDifyApp(format!(
                "mode {:?} is not one of {}",
                spec.mode,
                MODES.join(", ")
            )));
        }
        if spec.api_keys.is_empty() {
            spec.api_keys.push(generated_key());
        }
        for key in &spec.api_keys {
            if key.trim().is_empty() || key.contains(char::is_whitespace) {
                return Err(EmulatorError::InvalidDifyApp(format!(
                    "API key {key:?} must be non-empty and without spaces"
                )));
            }
            if self.keys.contains_key(key) {
                return Err(EmulatorError::InvalidDifyApp(format!(
                    "API key ...{} already belongs to another app",
                    key.chars().rev().take(4).collect::<String>()
                )));
            }
        }
        spec.id = Some(id.clone());
        let info = DifyAppInfo {
            id: id.clone(),
            api_key: spec.api_keys[0].clone(),
            api_keys: spec.api_keys.clone(),
            mode: spec.mode.clone(),
            name: spec.name.clone(),
        };
        for key in &spec.api_keys {
            self.keys.insert(key.clone(), id.clone());
        }
        self.apps.insert(
            id.clone(),
            Arc::new(DifyApp {
                id,
                spec,
                callback,
                active: AtomicUsize::new(0),
            }),
        );
        Ok(info)
    }

    pub(crate) fn by_key(&self, key: &str) -> Option<Arc<DifyApp>> {
        self.keys.get(key).and_then(|id| self.apps.get(id)).cloned()
    }

    /// The stable UUID standing for an end user id.
    pub(crate) fn end_user(&mut self, user: &str) -> String {
        self.end_users
            .entry(user.to_owned())
            .or_insert_with(ids::uuid)
            .clone()
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub(crate) fn feedbacks(&self) -> Vec<DifyFeedback> {
        let mut out: Vec<DifyFeedback> = self
            .messages
            .values()
            .filter_map(|m| m.feedback.clone())
            .collect();
        out.sort_by(|a, b| a.message_id.cmp(&b.message_id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_generated_unique_and_checked() {
        let mut apps = Apps::default();
        let a = apps.add(DifyAppSpec::default(), None).unwrap();
        assert!(a.api_key.starts_with("app-"));
        assert_eq!(apps.by_key(&a.api_key).unwrap().id, a.id);
        let dup = DifyAppSpec {
            api_keys: vec![a.api_key.clone()],
            ..Default::default()
        };
        assert!(apps.add(dup, None).is_err());
        let bad = DifyAppSpec {
            mode: "workflow".into(),
            ..Default::default()
        };
        assert!(apps.add(bad, None).is_err());
    }

    #[test]
    fn slots_are_bounded_and_returned() {
        let mut apps = Apps::default();
        let info = apps
            .add(
                DifyAppSpec {
                    max_concurrent: Some(1),
                    ..Default::default()
                },
                None,
            )
            .unwrap();
        let app = apps.by_key(&info.api_key).unwrap();
        let first = app.slot().expect("one slot");
        assert!(app.slot().is_none());
        drop(first);
        assert!(app.slot().is_some());
    }
}
