//! SSE framing: the decoder must produce the same events however the network
//! splits the stream, for the exact frames Tela and Dify servers emit.

use tela_core::sse::{SseDecoder, SseEvent};

// Recorded Tela stream (protocol.md §3.3): JSON chunks then the `[DONE]` sentinel.
const TELA_CHUNKS: [&str; 3] = [
    r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1728399621,"model":"gpt-4o","choices":[{"delta":{"role":"assistant","content":"Hel","function_call":null},"finish_reason":null,"index":0,"logprobs":null}],"message":{"role":"assistant","content":"Hel","function_call":null,"tool_calls":[],"structured_content":null}}"#,
    r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1728399621,"model":"gpt-4o","choices":[{"delta":{"role":null,"content":"lo","function_call":null},"finish_reason":null,"index":0,"logprobs":null}],"message":{"role":"assistant","content":"Hello","function_call":null,"tool_calls":[],"structured_content":null}}"#,
    r#"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1728399621,"model":"gpt-4o","choices":[{"delta":{"role":null,"content":null,"function_call":null},"finish_reason":"stop","index":0,"logprobs":null}],"message":{"role":"assistant","content":"Hello","function_call":null,"tool_calls":[],"structured_content":{"greeting":"Hello"}}}"#,
];

// Recorded Dify stream (protocol.md §6.4): newer compact JSON with raw
// UTF-8, older spaced JSON with \u escapes, `event: ping` keep-alives, no [DONE].
const DIFY_CHUNKS: [&str; 5] = [
    r#"{"event":"message","message_id":"5ad4cb98-f0c7-4085-b384-88c403be6290","created_at":1679586595,"task_id":"900bbd43-dc0b-4383-a372-aa6e6c414227","id":"5ad4cb98-f0c7-4085-b384-88c403be6290","answer":" I","from_variable_selector":null}"#,
    r#"{"event":"message","message_id":"5ad4cb98-f0c7-4085-b384-88c403be6290","created_at":1679586595,"task_id":"900bbd43-dc0b-4383-a372-aa6e6c414227","id":"5ad4cb98-f0c7-4085-b384-88c403be6290","answer":"'m glad — ça va 😀","from_variable_selector":null}"#,
    r#"{"event": "message", "task_id": "900bbd43-dc0b-4383-a372-aa6e6c414227", "message_id": "5ad4cb98-f0c7-4085-b384-88c403be6290", "answer": " to \u00e9 help", "created_at": 1679586595}"#,
    r#"{"event":"message_end","message_id":"5ad4cb98-f0c7-4085-b384-88c403be6290","created_at":1679586595,"task_id":"900bbd43-dc0b-4383-a372-aa6e6c414227","id":"5ad4cb98-f0c7-4085-b384-88c403be6290","metadata":{"usage":{"prompt_tokens":1033,"prompt_unit_price":"0.001","prompt_price_unit":"0.001","prompt_price":"0.0010330","completion_tokens":135,"completion_unit_price":"0.002","completion_price_unit":"0.001","completion_price":"0.0002700","total_tokens":1168,"total_price":"0.0013030","currency":"USD","latency":1.381760165997548}},"files":null}"#,
    r#"{"event":"tts_message_end","message_id":"5ad4cb98-f0c7-4085-b384-88c403be6290","created_at":1679586595,"task_id":"900bbd43-dc0b-4383-a372-aa6e6c414227","audio":""}"#,
];

fn tela_stream() -> String {
    let mut s = String::new();
    for c in TELA_CHUNKS {
        s.push_str(&format!("data: {c}\n\n"));
    }
    s.push_str("data: [DONE]\n\n");
    s
}

fn tela_expected() -> Vec<SseEvent> {
    TELA_CHUNKS
        .iter()
        .copied()
        .chain(["[DONE]"])
        .map(data_event)
        .collect()
}

fn dify_stream() -> String {
    let mut s = String::from("event: ping\n\n");
    for (i, c) in DIFY_CHUNKS.iter().enumerate() {
        s.push_str(&format!("data: {c}\n\n"));
        if i % 2 == 1 {
            s.push_str("event: ping\n\n");
        }
    }
    s
}

fn dify_expected() -> Vec<SseEvent> {
    DIFY_CHUNKS.iter().copied().map(data_event).collect()
}

fn data_event(data: &str) -> SseEvent {
    SseEvent {
        data: data.to_owned(),
        ..SseEvent::default()
    }
}

fn decode_chunks<'a>(chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<SseEvent> {
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    for chunk in chunks {
        dec.feed(chunk, &mut out);
    }
    dec.finish(&mut out);
    assert_eq!(dec.buffered_len(), 0);
    out
}

fn decode(input: &[u8]) -> Vec<SseEvent> {
    decode_chunks([input])
}

/// Asserts `input` decodes to `expected` in one read, split in two at every
/// byte boundary, and one byte per read.
fn assert_split_invariant(input: &[u8], expected: &[SseEvent]) {
    assert_eq!(decode(input), expected, "single read");
    for at in 0..=input.len() {
        let (a, b) = input.split_at(at);
        assert_eq!(decode_chunks([a, b]), expected, "split at byte {at}");
    }
    assert_eq!(decode_chunks(input.chunks(1)), expected, "byte by byte");
}

fn with_line_endings(input: &str, eol: &str) -> Vec<u8> {
    input.replace('\n', eol).into_bytes()
}

#[test]
fn tela_stream_is_split_invariant() {
    assert_split_invariant(tela_stream().as_bytes(), &tela_expected());
}

#[test]
fn dify_stream_is_split_invariant_and_drops_pings() {
    assert_split_invariant(dify_stream().as_bytes(), &dify_expected());
}

#[test]
fn crlf_line_endings_are_split_invariant() {
    assert_split_invariant(&with_line_endings(&tela_stream(), "\r\n"), &tela_expected());
    assert_split_invariant(&with_line_endings(&dify_stream(), "\r\n"), &dify_expected());
}

#[test]
fn cr_line_endings_are_split_invariant() {
    assert_split_invariant(&with_line_endings(&tela_stream(), "\r"), &tela_expected());
    assert_split_invariant(&with_line_endings(&dify_stream(), "\r"), &dify_expected());
}

#[test]
fn mixed_line_endings() {
    let input = b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r";
    let expected = [data_event("a\nb\nc"), data_event("d")];
    assert_split_invariant(input, &expected);
}

#[test]
fn cr_then_lf_in_separate_reads_is_one_line_ending() {
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    dec.feed(b"data: a\r", &mut out);
    dec.feed(b"\n", &mut out);
    assert!(out.is_empty(), "CR LF across reads must not dispatch early");
    dec.feed(b"data: b\r", &mut out);
    dec.feed(b"\n\r", &mut out);
    dec.feed(b"\n", &mut out);
    assert_eq!(out, [data_event("a\nb")]);
}

#[test]
fn multi_line_data_is_joined_with_newline() {
    let out = decode(b"data: first\ndata: second\ndata:\ndata: fourth\n\n");
    assert_eq!(out, [data_event("first\nsecond\n\nfourth")]);
}

#[test]
fn comments_are_ignored() {
    let out = decode(b": keep-alive\ndata: a\n:another comment\ndata: b\n\n:\n\n");
    assert_eq!(out, [data_event("a\nb")]);
}

#[test]
fn event_id_and_retry_are_parsed() {
    let out = decode(b"event: error\nid: 42\nretry: 1500\ndata: {\"x\":1}\n\n");
    assert_eq!(
        out,
        [SseEvent {
            event: Some("error".into()),
            data: "{\"x\":1}".into(),
            id: Some("42".into()),
            retry: Some(1500),
        }]
    );
}

#[test]
fn last_field_value_wins() {
    let out = decode(b"event: a\nevent: b\nid: 1\nid: 2\nretry: 1\nretry: 2\ndata\n\n");
    assert_eq!(out[0].event.as_deref(), Some("b"));
    assert_eq!(out[0].id.as_deref(), Some("2"));
    assert_eq!(out[0].retry, Some(2));
}

#[test]
fn invalid_retry_is_ignored() {
    let out = decode(b"retry: 12x\ndata: a\n\nretry: -5\nretry:\nretry: 1 \ndata: b\n\n");
    assert_eq!(out, [data_event("a"), data_event("b")]);
    let out = decode(b"retry: 7\nretry: 12x\ndata: a\n\n");
    assert_eq!(
        out[0].retry,
        Some(7),
        "an invalid retry keeps the earlier one"
    );
}

#[test]
fn id_with_nul_is_ignored() {
    let out = decode(b"id: 1\nid: a\0b\ndata: x\n\nid: c\0\ndata: y\n\n");
    assert_eq!(out[0].id.as_deref(), Some("1"));
    assert_eq!(out[1].id, None);
}

#[test]
fn per_event_fields_do_not_leak_into_the_next_event() {
    let out = decode(b"event: a\nid: 1\nretry: 5\ndata: x\n\ndata: y\n\n");
    assert_eq!(out[1], data_event("y"));
}

#[test]
fn empty_id_and_event_values() {
    let out = decode(b"event: named\nevent:\nid:\ndata: x\n\n");
    assert_eq!(
        out[0].event, None,
        "an empty event type is the default type"
    );
    assert_eq!(out[0].id.as_deref(), Some(""));
}

#[test]
fn field_without_colon_has_empty_value() {
    // `data` alone is a data line with an empty value.
    let out = decode(b"data\n\ndata\ndata\n\n");
    assert_eq!(out, [data_event(""), data_event("\n")]);
    // `event` alone resets the type; `id` alone sets an empty id.
    let out = decode(b"event: x\nevent\nid\ndata: v\n\n");
    assert_eq!(out[0].event, None);
    assert_eq!(out[0].id.as_deref(), Some(""));
}

#[test]
fn space_after_colon_handling() {
    assert_eq!(decode(b"data:nospace\n\n"), [data_event("nospace")]);
    assert_eq!(decode(b"data:  two\n\n"), [data_event(" two")]);
    assert_eq!(decode(b"data:\tx \n\n"), [data_event("\tx ")]);
    assert_eq!(decode(b"data: a: b\n\n"), [data_event("a: b")]);
    let out = decode(b"event:  spaced\ndata: x\n\n");
    assert_eq!(out[0].event.as_deref(), Some(" spaced"));
}

#[test]
fn unknown_fields_are_ignored() {
    let out = decode(b"foo: bar\nData: no\nDATA: no\n data: no\ndata: yes\n\n");
    assert_eq!(out, [data_event("yes")]);
}

#[test]
fn empty_data_line_counts_as_data() {
    let out = decode(b"data:\n\n");
    assert_eq!(out, [data_event("")]);
}

#[test]
fn bom_at_start_is_ignored() {
    let expected = [data_event("x")];
    assert_split_invariant(b"\xEF\xBB\xBFdata: x\n\n", &expected);
    let out = decode_chunks([&b"\xEF"[..], b"\xBB", b"\xBFdata: x\n\n"]);
    assert_eq!(out, expected);
}

#[test]
fn bom_is_stripped_only_once() {
    // A second BOM makes the field name "\u{FEFF}data", which is unknown.
    let out = decode(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n");
    assert_eq!(out, [data_event("y")]);
}

#[test]
fn bom_in_the_middle_is_not_stripped() {
    let out = decode(b"data: a\n\n\xEF\xBB\xBFdata: b\n\ndata: \xEF\xBB\xBFc\n\n");
    assert_eq!(out, [data_event("a"), data_event("\u{FEFF}c")]);
    // Also when the BOM opens a later read.
    let out = decode_chunks([&b"data: a\n\n"[..], b"\xEF\xBB\xBFdata: b\n\n"]);
    assert_eq!(out, [data_event("a")]);
}

#[test]
fn bom_prefix_that_is_not_a_bom_is_kept() {
    // EF BB followed by something else: the bytes are content, not dropped.
    let out = decode_chunks([&b"\xEF\xBB"[..], b"data: x\n\n", b"data: y\n\n"]);
    assert_eq!(out, [data_event("y")]);
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    dec.feed(b"\xEF", &mut out);
    dec.feed(b"abc", &mut out);
    assert_eq!(dec.buffered_len(), 4);
}

#[test]
fn final_event_without_blank_line_needs_finish() {
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    dec.feed(b"data: a\n\ndata: b\ndata: c", &mut out);
    assert_eq!(out, [data_event("a")]);
    dec.feed(b"d", &mut out);
    assert_eq!(out.len(), 1);
    dec.finish(&mut out);
    assert_eq!(out, [data_event("a"), data_event("b\ncd")]);
    assert_eq!(dec.buffered_len(), 0);

    // Terminated line but no blank line.
    assert_eq!(
        decode(b"event: e\ndata: z\n"),
        [SseEvent {
            event: Some("e".into()),
            data: "z".into(),
            ..SseEvent::default()
        }]
    );
    // Ends in CR only.
    assert_eq!(decode(b"data: z\r"), [data_event("z")]);
}

#[test]
fn finish_without_data_emits_nothing() {
    let mut out = Vec::new();
    SseDecoder::new().finish(&mut out);
    assert!(out.is_empty());
    assert!(decode(b"").is_empty());
    assert!(decode(b"event: ping").is_empty());
    assert!(decode(b": comment\nid: 3\n").is_empty());
    assert_eq!(decode(b"data: a\n\n\n\n").len(), 1);
}

#[test]
fn finish_resets_the_decoder() {
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    dec.feed(b"event: e\ndata: a", &mut out);
    dec.finish(&mut out);
    dec.feed(b"\xEF\xBB\xBFdata: b\n\n", &mut out);
    assert_eq!(out[1], data_event("b"));
}

#[test]
fn ping_without_data_is_dropped_and_does_not_leak() {
    let out = decode(b"event: ping\n\ndata: {\"event\":\"message\"}\n\n");
    assert_eq!(out, [data_event("{\"event\":\"message\"}")]);
    let out = decode(b"event: ping\nid: 9\nretry: 10\n\ndata: x\n\n");
    assert_eq!(out, [data_event("x")]);
    assert!(decode(b"event: ping\n\nevent: ping\n\n").is_empty());
}

#[test]
fn huge_single_event_in_small_reads() {
    const SIZE: usize = 16 * 1024 * 1024;
    let mut input = Vec::with_capacity(SIZE + 16);
    input.extend_from_slice(b"data: ");
    input.extend((0..SIZE).map(|i| b'a' + (i % 26) as u8));
    input.extend_from_slice(b"\n\n");

    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    let mut fed = 0;
    for chunk in input.chunks(1024) {
        dec.feed(chunk, &mut out);
        fed += chunk.len();
        if fed < input.len() {
            assert!(out.is_empty());
            assert!(dec.buffered_len() > 0);
        }
    }
    assert_eq!(out.len(), 1);
    assert_eq!(dec.buffered_len(), 0);
    assert_eq!(out[0].data.len(), SIZE);
    assert_eq!(out[0].data.as_bytes(), &input[6..6 + SIZE]);
}

#[test]
fn huge_multi_line_event_in_small_reads() {
    let line = format!("data: {}\n", "x".repeat(999));
    let input = line.repeat(16 * 1024) + "\n";
    let out = decode_chunks(input.as_bytes().chunks(1024));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].data.len(), 16 * 1024 * 1000 - 1);
}

#[test]
fn many_small_events_in_one_read() {
    const N: usize = 100_000;
    let mut input = String::new();
    for i in 0..N {
        input.push_str(&format!("id: {i}\ndata: {{\"n\":{i}}}\n\n"));
        if i % 10 == 0 {
            input.push_str("event: ping\n\n");
        }
    }
    let mut dec = SseDecoder::new();
    let mut out = Vec::new();
    dec.feed(input.as_bytes(), &mut out);
    assert_eq!(dec.buffered_len(), 0);
    assert_eq!(out.len(), N);
    for (i, ev) in out.iter().enumerate() {
        assert_eq!(ev.data, format!("{{\"n\":{i}}}"));
        assert_eq!(ev.id, Some(i.to_string()));
        assert_eq!(ev.event, None);
    }
}

#[test]
fn multibyte_char_split_across_reads() {
    let input = "data: é😀€\n\n".as_bytes();
    let expected = [data_event("é😀€")];
    assert_split_invariant(input, &expected);
    // Split inside the 4-byte emoji specifically.
    let cut = input.iter().position(|&b| b == 0xF0).unwrap() + 2;
    let out = decode_chunks([&input[..cut], &input[cut..]]);
    assert_eq!(out, expected);
    // And in event/id values too.
    let input = "event: né\nid: ü\ndata: x\n\n".as_bytes();
    let mut expected = data_event("x");
    expected.event = Some("né".into());
    expected.id = Some("ü".into());
    assert_split_invariant(input, &[expected]);
}

#[test]
fn invalid_utf8_becomes_replacement_char() {
    let out = decode(b"data: a\xFFb\xC3\ndata: \xE2\x82\n\n");
    assert_eq!(out, [data_event("a\u{FFFD}b\u{FFFD}\n\u{FFFD}")]);
    let out = decode(b"event: \xFE\ndata: x\n\n");
    assert_eq!(out[0].event.as_deref(), Some("\u{FFFD}"));
}
