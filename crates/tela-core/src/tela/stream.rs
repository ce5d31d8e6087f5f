//! Tela's stream rules: what a completion stream's events are, when it ends, and what it
//! adds up to (its `final()`). Handed to the shared stream machinery (`events.rs`) by
//! `tela::stream()` as [`RULES`].
//!
//! The events are JSON chunks; the stream ends at `data: [DONE]` or EOF; a chunk with a
//! truthy `error`, or an `event: error`, fails it (protocol.md §3.3).

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::events::{Batch, End, StreamRules, stream_error};
use crate::shape::{Rule, Shape};
use crate::sse::SseEvent;
use crate::tally::raw::{First, is_object, str_of, string};
use crate::tally::{Tally, Total};

const CHOICE_FIELDS: &[(&str, Rule)] =
    &[("message", Rule::Object(&[])), ("delta", Rule::Object(&[]))];
const CHOICE: Rule = Rule::Object(CHOICE_FIELDS);

/// A `chat.completion` or a completion chunk: `choices`, if present, a list of objects;
/// `message`, if present, an object.
pub const COMPLETION: Shape = Shape::Fields(&[
    ("choices", Rule::ListOf(&CHOICE)),
    ("message", Rule::Object(&[])),
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
/// `id` and `usage`, and the number of chunks. Reads only the few fields it needs
/// (borrowed, unparsed `RawValue`s for the rest); raw JSON fields stay JSON text, parsed by
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

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow, default)]
    choices: Option<First<'a>>,
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    usage: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(borrow, default)]
    delta: Option<&'a RawValue>,
    #[serde(borrow, default)]
    finish_reason: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow, default)]
    content: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    structured_content: Option<&'a RawValue>,
}

impl Tally for Chunks {
    fn add(&mut self, event: &str) {
        self.chunks += 1;
        let Ok(chunk) = serde_json::from_str::<Chunk<'_>>(event) else {
            return;
        };
        if let Some(First(Some(first))) = chunk.choices
            && let Ok(choice) = serde_json::from_str::<Choice<'_>>(first.get())
        {
            if let Some(delta) = choice.delta.filter(|d| is_object(d))
                && let Ok(delta) = serde_json::from_str::<Delta<'_>>(delta.get())
                && let Some(text) = delta.content.and_then(str_of)
            {
                self.text.push_str(&text);
            }
            if let Some(reason) = choice.finish_reason.and_then(string)
                && !reason.is_empty()
            {
                self.finish_reason = Some(reason);
            }
        }
        if let Some(message) = chunk.message.filter(|m| is_object(m)) {
            self.message = Some(message.get().to_owned());
            if let Ok(m) = serde_json::from_str::<Message<'_>>(message.get())
                && let Some(structured) = m.structured_content
            {
                self.structured_content = Some(structured.get().to_owned());
            }
        }
        if let Some(id) = chunk.id.and_then(string) {
            self.id = Some(id);
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.get().to_owned());
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

    fn tally(events: &[&str]) -> Chunks {
        let mut t = Chunks::default();
        for e in events {
            t.add(e);
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
        let (batch, end) = classify(&RULES, &mut evs, &CALL);
        assert_eq!(batch.len(), 2);
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
        assert_eq!(classify(&RULES, &mut evs, &CALL).0.len(), 1);
        let mut evs = vec![ev(None, r#"{"choices":5}"#)];
        assert!(matches!(
            classify(&RULES, &mut evs, &CALL).1,
            End::Error(Error::Decode { .. })
        ));
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
