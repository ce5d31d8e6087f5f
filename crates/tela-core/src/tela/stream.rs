//! Tela's stream rules: what a completion stream's events are, when it ends, and what it
//! adds up to (its `final()`). Handed to the shared stream machinery (`events.rs`) by
//! `tela::stream()` as [`RULES`].
//!
//! The events are JSON chunks; the stream ends at `data: [DONE]` or EOF; a chunk with a
//! truthy `error`, or an `event: error`, fails it (protocol.md §3.3).

use crate::events::{Batch, End, StreamRules, stream_error};
use crate::shape::{Marks, Rule, Shape};
use crate::sse::SseEvent;
use crate::tally::raw::{keep, text_of};
use crate::tally::{Tally, Total};

// The slots of the fields a chunk's tally reads, marked by [`COMPLETION`].
const CONTENT: usize = 0;
const FINISH_REASON: usize = 1;
const MESSAGE: usize = 2;
const STRUCTURED: usize = 3;
const ID: usize = 4;
const USAGE: usize = 5;

const CHOICE: Rule = Rule::Object(&[
    ("message", Rule::Object(&[])),
    (
        "delta",
        Rule::Object(&[("content", Rule::Mark(CONTENT, &Rule::Any))]),
    ),
    ("finish_reason", Rule::Mark(FINISH_REASON, &Rule::Any)),
]);

/// A `chat.completion` or a completion chunk: `choices`, if present, a list of objects
/// (`message` and `delta`, if present, objects); `message`, if present, an object. The fields
/// a chunk stream's tally reads are marked (`choices[0].delta.content`,
/// `choices[0].finish_reason`, `message` and its `structured_content`, `id`, `usage`); a
/// plain check of an answer ignores the marks.
pub const COMPLETION: Shape = Shape::Fields(&[
    ("choices", Rule::ListOf(&CHOICE)),
    (
        "message",
        Rule::Mark(
            MESSAGE,
            &Rule::Object(&[("structured_content", Rule::Mark(STRUCTURED, &Rule::Any))]),
        ),
    ),
    ("id", Rule::Mark(ID, &Rule::Any)),
    ("usage", Rule::Mark(USAGE, &Rule::Any)),
]);

/// The rules of a completion stream.
pub static RULES: StreamRules = StreamRules {
    classify,
    shape: COMPLETION,
    tally: || Box::<Chunks>::default(),
    events: "tela.chunk",
};

fn classify(ev: SseEvent, batch: &mut Batch) -> End {
    if ev.data.starts_with("[DONE]") {
        return End::Done;
    }
    match ev.event.as_deref() {
        None | Some("message") | Some("chunk") => {}
        Some("error") => return End::Error(stream_error(&ev.data)),
        // Undocumented named events carry nothing a chunk consumer can use.
        Some(other) => {
            log::debug!("skipping SSE event {other:?}");
            return End::No;
        }
    }
    // Cheap pre-check: only chunks that mention "error" are parsed here.
    if memchr::memmem::find(ev.data.as_bytes(), b"\"error\"").is_some()
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&ev.data)
        && v.get("error").is_some_and(truthy)
    {
        return End::Error(stream_error(&ev.data));
    }
    batch.push(ev.data);
    End::No
}

fn truthy(v: &serde_json::Value) -> bool {
    !matches!(v, serde_json::Value::Null | serde_json::Value::Bool(false)) && v.as_str() != Some("")
}

/// What a chunk stream adds up to: the joined text deltas of the first choice, the last
/// finish reason, the last `message` (and its last `structured_content`), the last chunk
/// `id` and `usage`, and the number of chunks. Reads only the fields [`COMPLETION`] marks, where
/// the shape check found them (no second parse); raw JSON fields stay JSON text, parsed by
/// the face once, when `final()` asks.
///
/// Fields: `text`, `finish_reason`, `message` (JSON), `structured_content` (JSON), `id`,
/// `usage` (JSON), `chunks`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chunks {
    /// The text deltas (`choices[0].delta.content`) joined.
    pub text: String,
    /// The last non-empty `choices[0].finish_reason`.
    pub finish_reason: Option<String>,
    /// JSON of the last non-null `message` object.
    pub message: Option<String>,
    /// JSON of the last non-null `message.structured_content`.
    pub structured_content: Option<String>,
    /// The last string `id`.
    pub id: Option<String>,
    /// JSON of the last non-null `usage`.
    pub usage: Option<String>,
    /// Events seen, whatever their content.
    pub chunks: usize,
}

impl Tally for Chunks {
    fn add(&mut self, event: &str, marks: &Marks) {
        self.chunks += 1;
        let field = |slot: usize| marks[slot].of(event).filter(|v| *v != "null");
        if let Some(text) = field(CONTENT).and_then(text_of) {
            self.text.push_str(&text);
        }
        if let Some(reason) = field(FINISH_REASON).and_then(text_of)
            && !reason.is_empty()
        {
            self.finish_reason = Some(reason.into_owned());
        }
        if let Some(message) = field(MESSAGE).filter(|m| m.starts_with('{')) {
            keep(&mut self.message, message);
            if let Some(structured) = field(STRUCTURED) {
                keep(&mut self.structured_content, structured);
            }
        }
        if let Some(id) = field(ID).and_then(text_of) {
            keep(&mut self.id, &id);
        }
        if let Some(usage) = field(USAGE) {
            keep(&mut self.usage, usage);
        }
    }

    fn fields(&self) -> Vec<(&'static str, Total<'_>)> {
        vec![
            ("text", Total::Text(&self.text)),
            (
                "finish_reason",
                Total::MaybeText(self.finish_reason.as_deref()),
            ),
            ("message", Total::Json(self.message.as_deref())),
            (
                "structured_content",
                Total::Json(self.structured_content.as_deref()),
            ),
            ("chunks", Total::Count(self.chunks)),
            ("id", Total::MaybeText(self.id.as_deref())),
            ("usage", Total::Json(self.usage.as_deref())),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::events::classify;
    use crate::events::tests::{CALL, ev};

    /// The tally of events as a stream hands them over: each marked by the shape check
    /// (an event that fails it counts, with nothing marked).
    fn tally(events: &[&str]) -> Chunks {
        let mut t = Chunks::default();
        for e in events {
            let marks = crate::shape::check_marking(e, COMPLETION).unwrap_or_default();
            t.add(e, &marks);
        }
        t
    }

    #[test]
    fn rules() {
        let mut evs = vec![
            ev(None, r#"{"a":1}"#),
            ev(
                None,
                r#"{"choices":[],"note":"the word \"error\" in text"}"#,
            ),
            ev(None, "[DONE]"),
            ev(None, "{}"),
        ];
        let (read, end) = classify(&RULES, &mut evs, &CALL);
        assert_eq!(read.events.len(), 2);
        assert!(matches!(end, End::Done));

        let mut evs = vec![ev(
            None,
            r#"{"error":{"message":"Model provider failed","code":"P"}}"#,
        )];
        match classify(&RULES, &mut evs, &CALL).1 {
            End::Error(Error::Stream { message, code, .. }) => {
                assert_eq!(message, "Model provider failed");
                assert_eq!(code.as_deref(), Some("P"));
            }
            _ => panic!("expected a stream error"),
        }
        let mut evs = vec![ev(Some("error"), r#"{"message":"boom"}"#)];
        assert!(matches!(
            classify(&RULES, &mut evs, &CALL).1,
            End::Error(Error::Stream { .. })
        ));
        let mut evs = vec![ev(None, r#"{"error":null,"x":1}"#)];
        assert_eq!(classify(&RULES, &mut evs, &CALL).0.events.len(), 1);
        let mut evs = vec![ev(None, r#"{"choices":5}"#)];
        assert!(matches!(
            classify(&RULES, &mut evs, &CALL).1,
            End::Error(Error::Decode { .. })
        ));
    }

    #[test]
    fn a_chunk_is_held_to_the_completion_shape() {
        // The marking walk (streams) accepts exactly what the plain check (answers) accepts.
        for body in [
            r#"{}"#,
            r#"{"choices":null,"message":null,"id":5,"usage":[1]}"#,
            r#"{"choices":[{"delta":{"content":5},"finish_reason":7},{"message":{}}]}"#,
            r#"{"choices":5}"#,
            r#"{"choices":[5]}"#,
            r#"{"choices":[{},{"delta":"x"}]}"#,
            r#"{"choices":[{"message":[]}]}"#,
            r#"{"message":"text"}"#,
            r#"{"message":{"structured_content":"anything"}}"#,
            "[]",
            "null",
            "{",
        ] {
            let chunk = crate::shape::check_marking(body, COMPLETION).is_ok();
            let completion = crate::shape::check(body.as_bytes(), COMPLETION).is_ok();
            assert_eq!(chunk, completion, "{body}");
        }
    }

    #[test]
    fn joins_text_and_keeps_the_last_fields() {
        let t = tally(&[
            r#"{"id":"c1","choices":[{"delta":{"role":"assistant","content":"Hé"}}],"message":{"content":"Hé"}}"#,
            r#"{"id":"c1","choices":[{"delta":{"content":"llo \"x\""},"finish_reason":null}]}"#,
            r#"{"id":"c2","choices":[{"delta":{},"finish_reason":"stop"}],"message":{"content":"Hé","structured_content":{"a":1}},"usage":{"total_tokens":3}}"#,
        ]);
        assert_eq!(t.text, "Héllo \"x\"");
        assert_eq!(t.finish_reason.as_deref(), Some("stop"));
        assert_eq!(t.id.as_deref(), Some("c2"));
        assert_eq!(t.structured_content.as_deref(), Some(r#"{"a":1}"#));
        assert!(t.message.as_deref().unwrap().contains("structured_content"));
        assert_eq!(t.usage.as_deref(), Some(r#"{"total_tokens":3}"#));
        assert_eq!(t.chunks, 3);
        assert!(t.fields().contains(&("chunks", Total::Count(3))));
    }

    #[test]
    fn odd_chunks_count_but_add_nothing() {
        let t = tally(&[
            r#"{}"#,
            r#"{"choices":[]}"#,
            r#"{"choices":[{"delta":null,"finish_reason":""}]}"#,
            r#"{"choices":[{"delta":{"content":5}}],"id":7,"message":null,"usage":null}"#,
            r#"{"choices":[{"delta":"x"}],"extra":{"deep":[1,2]}}"#,
            "not json",
        ]);
        assert_eq!(
            t,
            Chunks {
                chunks: 6,
                ..Chunks::default()
            }
        );
    }

    #[test]
    fn only_the_first_choice_counts() {
        let t = tally(&[
            r#"{"choices":[{"delta":{"content":"a"}},{"delta":{"content":"b"},"finish_reason":"stop"}]}"#,
        ]);
        assert_eq!(t.text, "a");
        assert_eq!(t.finish_reason, None);
    }
}
