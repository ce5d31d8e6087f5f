//! Dify's stream rules: what its events are, when a stream ends, and what it adds up to
//! (its `final()`). Handed to the shared stream machinery (`events.rs`) by
//! `dify::stream()` as [`RULES`].
//!
//! Each event's type is its JSON `event` field; `ping` is skipped; an `error` event fails the
//! stream; there is no `[DONE]`: the stream ends at EOF, and at `tts_message_end`, which Dify
//! always sends last; not at `message_end`, because TTS audio (`tts_message*`) and
//! Chatflow's `workflow_finished` still follow it (protocol.md §6.4, §6.2).

use base64::Engine as _;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::events::{Batch, End, StreamRules, stream_error};
use crate::shape::{Marks, Rule, Shape};
use crate::sse::SseEvent;
use crate::tally::raw::{is_object, string};
use crate::tally::{Tally, Total};

/// A Dify answer or stream event: `event`, if present, a string.
pub const EVENT: Shape = Shape::Fields(&[("event", Rule::Str)]);

/// The rules of a message stream.
pub static RULES: StreamRules = StreamRules {
    classify,
    shape: EVENT,
    tally: || Box::<Answer>::default(),
    events: "dify.event",
};

fn classify(ev: SseEvent, batch: &mut Batch) -> End {
    match ev.event.as_deref() {
        Some("ping") => return End::No,
        Some("error") => return End::Error(stream_error(&ev.data)),
        _ => {}
    }
    if ev.data.trim().is_empty() {
        return End::No; // a data-less frame carries nothing to parse
    }
    // Cheap pre-check: only events that mention these names are parsed here.
    let bytes = ev.data.as_bytes();
    let maybe_error = memchr::memmem::find(bytes, b"error").is_some();
    let maybe_last = memchr::memmem::find(bytes, b"tts_message_end").is_some();
    if maybe_error || maybe_last {
        let v: Value = serde_json::from_str(&ev.data).unwrap_or_default();
        match v.get("event").and_then(|e| e.as_str()) {
            Some("error") => return End::Error(stream_error(&ev.data)),
            Some("tts_message_end") => {
                batch.push(ev.data);
                return End::Done;
            }
            _ => {}
        }
    }
    batch.push(ev.data);
    End::No
}

/// What a Dify message stream adds up to: the answer (`message`/`agent_message` text
/// appended, `message_replace` replacing everything before), the ids, usage and citations
/// (`message_end`'s `metadata`), the files, and the text-to-speech audio.
///
/// Fields: `answer`, `events`, `ended` (a `message_end` arrived), `message_id`, `task_id`,
/// `conversation_id`, `metadata` (JSON), `files` (JSON: `message_end`'s files, else the
/// `message_file` events'), `replaced`, `audio` (bytes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Answer {
    answer: String,
    events: usize,
    ended: bool,
    replaced: bool,
    message_id: Option<String>,
    task_id: Option<String>,
    conversation_id: Option<String>,
    /// JSON of the last `message_end`'s `metadata` object.
    metadata: Option<String>,
    /// JSON of the last `message_end`'s non-empty `files` list.
    end_files: Option<String>,
    /// JSON of the list of what the `message_file` events said.
    event_files: String,
    event_file_count: usize,
    audio: Vec<u8>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(borrow, default)]
    message_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    task_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    conversation_id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    answer: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    url: Option<&'a RawValue>,
    #[serde(borrow, default)]
    belongs_to: Option<&'a RawValue>,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
    #[serde(borrow, default)]
    files: Option<&'a RawValue>,
    #[serde(borrow, default)]
    audio: Option<&'a RawValue>,
}

/// A raw field as a JSON value (`null` when missing or unreadable).
fn value(raw: Option<&RawValue>) -> Value {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or(Value::Null)
}

/// Base64 audio as Python's `base64.b64decode` reads it: characters outside the alphabet
/// are dropped first. Audio that still does not decode is skipped (and logged).
fn decode_audio(text: &str) -> Option<Vec<u8>> {
    let kept: Vec<u8> = text
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .collect();
    match base64::engine::general_purpose::STANDARD.decode(&kept) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            log::debug!("skipping tts audio that is not base64: {e}");
            None
        }
    }
}

impl Tally for Answer {
    fn add(&mut self, event: &str, _marks: &Marks) {
        self.events += 1;
        let Ok(ev) = serde_json::from_str::<Event<'_>>(event) else {
            return;
        };
        if self.message_id.is_none() {
            self.message_id = ev.message_id.and_then(string);
            self.task_id = ev.task_id.and_then(string);
        }
        if self.conversation_id.is_none() {
            self.conversation_id = ev.conversation_id.and_then(string);
        }
        let answer = || ev.answer.and_then(string);
        match ev.event.and_then(string).as_deref() {
            Some("message" | "agent_message") => {
                if let Some(text) = answer() {
                    self.answer.push_str(&text);
                }
            }
            Some("message_replace") => {
                self.answer = answer().unwrap_or_default();
                self.replaced = true;
            }
            Some("message_file") => {
                let mut file = Map::new();
                file.insert("related_id".into(), value(ev.id));
                file.insert("type".into(), value(ev.kind));
                file.insert("url".into(), value(ev.url));
                file.insert("belongs_to".into(), value(ev.belongs_to));
                let file = Value::Object(file).to_string();
                self.event_files.pop(); // the closing `]`
                self.event_files
                    .push_str(if self.event_file_count == 0 { "[" } else { "," });
                self.event_files.push_str(&file);
                self.event_files.push(']');
                self.event_file_count += 1;
            }
            Some("message_end") => {
                self.ended = true;
                self.metadata = ev
                    .metadata
                    .filter(|m| is_object(m))
                    .map(|m| m.get().to_owned());
                if let Some(files) = ev.files
                    && files.get().starts_with('[')
                    && serde_json::from_str::<Vec<&RawValue>>(files.get())
                        .is_ok_and(|list| !list.is_empty())
                {
                    self.end_files = Some(files.get().to_owned());
                }
            }
            Some("tts_message" | "tts_message_end") => {
                if let Some(audio) = ev.audio.and_then(string).filter(|a| !a.is_empty())
                    && let Some(bytes) = decode_audio(&audio)
                {
                    self.audio.extend_from_slice(&bytes);
                }
            }
            _ => {}
        }
    }

    fn fields(&self) -> Vec<(&'static str, Total<'_>)> {
        let files = match (&self.end_files, self.event_file_count) {
            (Some(end), _) => end.as_str(),
            (None, 0) => "[]",
            (None, _) => self.event_files.as_str(),
        };
        vec![
            ("answer", Total::Text(&self.answer)),
            ("events", Total::Count(self.events)),
            ("ended", Total::Flag(self.ended)),
            ("message_id", Total::MaybeText(self.message_id.as_deref())),
            ("task_id", Total::MaybeText(self.task_id.as_deref())),
            (
                "conversation_id",
                Total::MaybeText(self.conversation_id.as_deref()),
            ),
            ("metadata", Total::Json(self.metadata.as_deref())),
            ("files", Total::Json(Some(files))),
            ("replaced", Total::Flag(self.replaced)),
            ("audio", Total::Bytes(&self.audio)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::events::classify;
    use crate::events::tests::{CALL, ev};

    fn tally(events: &[&str]) -> Answer {
        let mut t = Answer::default();
        for e in events {
            t.add(e, &Marks::default());
        }
        t
    }

    fn field<'a>(t: &'a Answer, name: &str) -> Total<'a> {
        t.fields()
            .into_iter()
            .find(|(n, _)| *n == name)
            .expect(name)
            .1
    }

    #[test]
    fn rules() {
        let mut evs = vec![
            ev(None, r#"{"event":"message","answer":"hi"}"#),
            ev(Some("ping"), ""),
            ev(
                None,
                r#"{"event": "error", "status": 400, "code": "completion_request_error", "message": "Rate Limit Error"}"#,
            ),
        ];
        let (read, end) = classify(&RULES, &mut evs, &CALL);
        let batch = read.events;
        assert_eq!(batch.len(), 1);
        match end {
            End::Error(Error::Stream { code, status, .. }) => {
                assert_eq!(code.as_deref(), Some("completion_request_error"));
                assert_eq!(status, Some(400));
            }
            _ => panic!("expected a stream error"),
        }
        let mut evs = vec![ev(None, r#"{"event":5}"#)];
        assert!(matches!(
            classify(&RULES, &mut evs, &CALL).1,
            End::Error(Error::Decode { .. })
        ));
    }

    #[test]
    fn stream_continues_after_message_end_and_stops_at_tts_end() {
        let mut evs = vec![
            ev(None, r#"{"event": "message_end", "id": "m"}"#),
            ev(None, ""),
            ev(None, r#"{"event":"tts_message","audio":"QQ=="}"#),
            ev(None, r#"{"event":"tts_message_end","audio":""}"#),
            ev(None, r#"{"event":"message","answer":"late"}"#),
        ];
        let (read, end) = classify(&RULES, &mut evs, &CALL);
        let batch = read.events;
        assert_eq!(batch.len(), 3);
        assert!(batch[2].contains("tts_message_end"));
        assert!(matches!(end, End::Done));
        // An answer that merely mentions "error" is text, not an error event.
        let mut evs = vec![ev(
            None,
            r#"{"event":"message","answer":"no error here, tts_message_end"}"#,
        )];
        let (read, end) = classify(&RULES, &mut evs, &CALL);
        let batch = read.events;
        assert_eq!(batch.len(), 1);
        assert!(matches!(end, End::No));
    }

    #[test]
    fn adds_up_the_answer_ids_files_usage_and_audio() {
        let t = tally(&[
            r#"{"event":"message_file","id":"f1","type":"image","url":"https://x/a.png","belongs_to":"assistant","task_id":"t0"}"#,
            r#"{"event":"message","answer":"Hé","message_id":"m1","task_id":"t1","conversation_id":"c1"}"#,
            r#"{"event":"tts_message","audio":"YXVk\naW8=","message_id":"m1"}"#,
            r#"{"event":"agent_message","answer":" there","message_id":"m2","task_id":"t2"}"#,
            r#"{"event":"message","answer":5}"#,
            r#"{"event":"message_end","metadata":{"usage":{"total_tokens":3}},"files":[]}"#,
            r#"{"event":"tts_message_end","audio":"not base64!"}"#,
        ]);
        assert_eq!(field(&t, "answer"), Total::Text("Hé there"));
        assert_eq!(field(&t, "events"), Total::Count(7));
        assert_eq!(field(&t, "ended"), Total::Flag(true));
        assert_eq!(field(&t, "replaced"), Total::Flag(false));
        // The ids of the first event that has a message id.
        assert_eq!(field(&t, "message_id"), Total::MaybeText(Some("m1")));
        assert_eq!(field(&t, "task_id"), Total::MaybeText(Some("t1")));
        assert_eq!(field(&t, "conversation_id"), Total::MaybeText(Some("c1")));
        assert_eq!(
            field(&t, "metadata"),
            Total::Json(Some(r#"{"usage":{"total_tokens":3}}"#))
        );
        // An empty files list at the end keeps the message_file events'.
        let Total::Json(Some(files)) = field(&t, "files") else {
            panic!()
        };
        let files: Value = serde_json::from_str(files).unwrap();
        assert_eq!(
            files,
            serde_json::json!([{"related_id": "f1", "type": "image", "url": "https://x/a.png", "belongs_to": "assistant"}])
        );
        assert_eq!(field(&t, "audio"), Total::Bytes(b"audio"));
    }

    #[test]
    fn replace_voids_what_came_before_and_end_files_win() {
        let t = tally(&[
            r#"{"event":"message","answer":"bad"}"#,
            r#"{"event":"message_file","id":"f1"}"#,
            r#"{"event":"message_file","id":"f2"}"#,
            r#"{"event":"message_replace","answer":"Sorry."}"#,
            r#"{"event":"message","answer":" More."}"#,
            r#"{"event":"message_end","metadata":"odd","files":[{"id":"e"}]}"#,
        ]);
        assert_eq!(field(&t, "answer"), Total::Text("Sorry. More."));
        assert_eq!(field(&t, "replaced"), Total::Flag(true));
        assert_eq!(field(&t, "metadata"), Total::Json(None));
        assert_eq!(field(&t, "files"), Total::Json(Some(r#"[{"id":"e"}]"#)));
        let t = tally(&[
            r#"{"event":"message_file","id":"f1"}"#,
            r#"{"event":"message_file","id":"f2"}"#,
        ]);
        let Total::Json(Some(files)) = field(&t, "files") else {
            panic!()
        };
        let files: Vec<Value> = serde_json::from_str(files).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[1]["related_id"], "f2");
        assert_eq!(
            field(&tally(&["nope", "{}"]), "files"),
            Total::Json(Some("[]"))
        );
        assert_eq!(field(&tally(&["nope", "{}"]), "events"), Total::Count(2));
    }
}
