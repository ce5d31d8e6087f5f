//! The `chat.completion` object (protocol.md §3.2): the synchronous answer, and the legacy
//! webhook body of a finished run (protocol.md §3.5).

use serde_json::{Value, json};

use super::reply::{self, Reply};
use super::stream::ChunkMeta;

/// Strict mode (protocol.md §8): keeps only what the docs show of a `chat.completion`:
/// `id`, `object`, `created` and `choices[].message.{role, content}` (protocol.md §3.2);
/// the legacy webhook body (`webhook`) is the guide's `{usage, object, choices, created}`
/// (protocol.md §3.5).
pub(crate) fn strict_completion(body: &mut Value, webhook: bool) {
    let Some(obj) = body.as_object_mut() else {
        return;
    };
    obj.remove("model");
    if webhook {
        obj.remove("id");
    } else {
        obj.remove("usage");
    }
    if let Some(Value::Array(choices)) = obj.get_mut("choices") {
        for choice in choices.iter_mut().filter_map(Value::as_object_mut) {
            choice.retain(|k, _| k == "message");
            if let Some(Value::Object(message)) = choice.get_mut("message") {
                message.retain(|k, _| k == "role" || k == "content");
            }
        }
    }
}

/// The synchronous `chat.completion` body (protocol.md §3.2), also the legacy webhook body.
pub(crate) fn completion_body(meta: ChunkMeta, reply: &Reply) -> Value {
    let prompt_tokens = reply::words(&reply.prompt);
    let completion_tokens = reply::words(&reply.content.text());
    json!({
        "id": meta.id,
        "object": "chat.completion",
        "created": meta.created,
        "model": meta.model,
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": reply.content.to_json(),
                "function_call": null,
                "tool_calls": [],
            },
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    })
}
