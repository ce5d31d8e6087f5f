//! What a Tela chunk stream adds up to (its `final()`), tallied in the core as batches are
//! handed over, so Python never walks the chunks again: the joined text deltas of the first
//! choice, the last finish reason, the last `message` (and its last `structured_content`),
//! the last chunk `id` and `usage`, and the number of chunks.
//!
//! Reads only the few fields it needs (borrowed, unparsed `RawValue`s for the rest), and is
//! lenient: a field of an unexpected JSON type is skipped, never an error.

use serde::Deserialize;
use serde_json::value::RawValue;

/// The running totals of one Tela stream. Raw JSON fields stay JSON text; the binding parses
/// them once, when `final()` asks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
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
    choices: Option<Vec<&'a RawValue>>,
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

/// The string a raw JSON value holds, if it is a string.
fn string(raw: &RawValue) -> Option<String> {
    let text = raw.get();
    if !text.starts_with('"') {
        return None;
    }
    serde_json::from_str(text).ok()
}

fn is_object(raw: &RawValue) -> bool {
    raw.get().starts_with('{')
}

impl Tally {
    /// Counts one event (the JSON text of a chunk) into the totals.
    pub fn add(&mut self, event: &str) {
        self.chunks += 1;
        let Ok(chunk) = serde_json::from_str::<Chunk<'_>>(event) else {
            return;
        };
        if let Some(first) = chunk.choices.as_deref().and_then(<[_]>::first)
            && let Ok(choice) = serde_json::from_str::<Choice<'_>>(first.get())
        {
            if let Some(delta) = choice.delta.filter(|d| is_object(d))
                && let Ok(delta) = serde_json::from_str::<Delta<'_>>(delta.get())
                && let Some(text) = delta.content.and_then(string)
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(events: &[&str]) -> Tally {
        let mut t = Tally::default();
        for e in events {
            t.add(e);
        }
        t
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
            Tally {
                chunks: 6,
                ..Tally::default()
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
