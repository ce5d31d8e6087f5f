//! `stream: true` over real TCP: the SSE shape and every `StreamSpec` option.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use tela_emulator::{CanvasSpec, Emulator, ErrorStyle, StreamSpec};

fn streaming_canvas(emu: &Emulator, reply: Value, stream: StreamSpec) -> String {
    canvas(
        emu,
        CanvasSpec {
            reply: Some(reply),
            stream,
            ..Default::default()
        },
    )
    .id
}

/// The concatenated `delta.content` of the chunks.
fn deltas(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_shape_and_done() {
    let emu = start().await;
    let id = streaming_canvas(&emu, json!("Hello world"), StreamSpec::default());
    let resp = start_stream(&emu, &id).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    assert_request_id(resp.headers());
    let (pieces, clean) = read_pieces(resp).await;
    assert!(clean);
    let body = text(&pieces);
    assert!(!body.contains('\r'));
    let events = parse_sse(&body);
    assert_eq!(events.last().unwrap().data(), Some("[DONE]"));
    let chunks = chunks(&events);
    // "Hello world" in 4-char chunks: 3 content chunks, then the final one.
    assert_eq!(chunks.len(), 4);
    let first = &chunks[0];
    let id = first["id"].as_str().unwrap();
    assert!(id.starts_with("chatcmpl-"));
    assert_eq!(
        first,
        &json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": first["created"],
            "model": "gpt-4o",
            "choices": [{
                "delta": {"role": "assistant", "content": "Hell", "function_call": null},
                "finish_reason": null, "index": 0, "logprobs": null,
            }],
            "message": {
                "role": "assistant", "content": "Hell", "function_call": null,
                "tool_calls": [], "structured_content": null,
            },
        })
    );
    assert!(
        chunks
            .iter()
            .all(|c| c["id"] == id && c["created"] == first["created"])
    );
    assert_eq!(chunks[1]["choices"][0]["delta"]["role"], Value::Null);
    assert_eq!(chunks[1]["message"]["content"], "Hello wo");
    let last = &chunks[3];
    assert_eq!(last["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        last["choices"][0]["delta"],
        json!({"role": null, "content": null, "function_call": null})
    );
    assert_eq!(last["message"]["content"], "Hello world");
    assert_eq!(deltas(&chunks), "Hello world");
    let log = emu.requests();
    assert_eq!(log[0].status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structured_stream_ends_with_structured_content() {
    let emu = start().await;
    let object = json!({"total": 42, "items": ["a", "b"]});
    let id = streaming_canvas(&emu, object.clone(), StreamSpec::default());
    let (pieces, clean) = read_pieces(start_stream(&emu, &id).await).await;
    assert!(clean);
    let chunks = chunks(&parse_sse(&text(&pieces)));
    let streamed: Value = serde_json::from_str(&deltas(&chunks)).unwrap();
    assert_eq!(streamed, object);
    let last = chunks.last().unwrap();
    assert_eq!(last["message"]["structured_content"], object);
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["message"]["structured_content"].is_null())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn done_off_crlf_and_chunk_size() {
    let emu = start().await;
    let id = streaming_canvas(
        &emu,
        json!("héllo wörld ✓"),
        StreamSpec {
            done: false,
            crlf: true,
            chunk_size: 3,
            ..Default::default()
        },
    );
    let (pieces, clean) = read_pieces(start_stream(&emu, &id).await).await;
    assert!(clean);
    let body = text(&pieces);
    assert!(body.ends_with("\r\n\r\n"));
    assert_eq!(body.matches('\n').count(), body.matches("\r\n").count());
    let events = parse_sse(&body);
    assert!(events.iter().all(|e| e.data() != Some("[DONE]")));
    let chunks = chunks(&events);
    // 13 characters in 3-character chunks: 5 content chunks + the final one.
    assert_eq!(chunks.len(), 6);
    assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "lo ");
    assert_eq!(deltas(&chunks), "héllo wörld ✓");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_frames_cut_across_reads() {
    let emu = start().await;
    let reply = "ünïcødé text that is split";
    let plain = streaming_canvas(&emu, json!(reply), StreamSpec::default());
    let split = streaming_canvas(
        &emu,
        json!(reply),
        StreamSpec {
            split_frames: true,
            ..Default::default()
        },
    );
    let (pieces, clean) = read_pieces(start_stream(&emu, &split).await).await;
    assert!(clean);
    // Some piece ends mid-frame (and so would a naive line splitter's buffer).
    assert!(
        pieces.iter().any(|p| !p.ends_with(b"\n\n")),
        "no frame was split: {pieces:?}"
    );
    let split_chunks = chunks(&parse_sse(&text(&pieces)));
    let (plain_pieces, _) = read_pieces(start_stream(&emu, &plain).await).await;
    let plain_chunks = chunks(&parse_sse(&text(&plain_pieces)));
    assert_eq!(split_chunks.len(), plain_chunks.len());
    assert_eq!(deltas(&split_chunks), reply);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_and_pings_are_interleaved() {
    let emu = start().await;
    let id = streaming_canvas(
        &emu,
        json!("abcdefgh"),
        StreamSpec {
            comments: true,
            ..Default::default()
        },
    );
    let (pieces, clean) = read_pieces(start_stream(&emu, &id).await).await;
    assert!(clean);
    let events = parse_sse(&text(&pieces));
    assert_eq!(events[0], Event::Comment("keep-alive".into()));
    let pings = events
        .iter()
        .filter(|e| matches!(e, Event::Message { event: Some(name), data: None } if name == "ping"))
        .count();
    let comments = events
        .iter()
        .filter(|e| matches!(e, Event::Comment(_)))
        .count();
    assert!(pings >= 1 && comments >= 2, "{events:?}");
    assert_eq!(deltas(&chunks(&events)), "abcdefgh");
    assert_eq!(events.last().unwrap().data(), Some("[DONE]"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_and_stall_pace_the_stream() {
    let emu = start().await;
    let delayed = streaming_canvas(
        &emu,
        json!("abcdefgh"),
        StreamSpec {
            delay_ms: 60,
            ..Default::default()
        },
    );
    let t = Instant::now();
    let (pieces, _) = read_pieces(start_stream(&emu, &delayed).await).await;
    // 2 content chunks + the final one: two pauses between three chunks.
    assert!(
        t.elapsed() >= Duration::from_millis(115),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(chunks(&parse_sse(&text(&pieces))).len(), 3);

    let stalled = streaming_canvas(
        &emu,
        json!("abcdefghijkl"),
        StreamSpec {
            stall_after: Some(1),
            stall_ms: 400,
            ..Default::default()
        },
    );
    use futures::StreamExt;
    let resp = start_stream(&emu, &stalled).await;
    let mut body = resp.bytes_stream();
    let mut seen = String::new();
    let mut gap = Duration::ZERO;
    let mut last = Instant::now();
    while let Some(piece) = body.next().await {
        let piece = piece.unwrap();
        gap = gap.max(last.elapsed());
        last = Instant::now();
        seen.push_str(std::str::from_utf8(&piece).unwrap());
    }
    assert!(gap >= Duration::from_millis(350), "largest gap {gap:?}");
    assert_eq!(deltas(&chunks(&parse_sse(&seen))), "abcdefghijkl");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_leaves_an_incomplete_body() {
    let emu = start().await;
    let id = streaming_canvas(
        &emu,
        json!("abcdefghijklmnop"),
        StreamSpec {
            drop_after: Some(2),
            ..Default::default()
        },
    );
    let (pieces, clean) = read_pieces(start_stream(&emu, &id).await).await;
    assert!(!clean, "the client must see an error, not a clean end");
    let chunks = chunks(&parse_sse(&text(&pieces)));
    assert_eq!(deltas(&chunks), "abcdefgh");

    // At the byte level: no terminating zero-length chunk.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = json!({"canvas_id": id, "stream": true}).to_string();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", emu.port()))
        .await
        .unwrap();
    let request = format!(
        "POST /v2/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {KEY}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw).await;
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains("transfer-encoding: chunked"), "{raw}");
    assert!(!raw.ends_with("0\r\n\r\n"), "{raw}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_after_in_both_styles() {
    let emu = start().await;
    for style in [ErrorStyle::Data, ErrorStyle::Event] {
        let id = streaming_canvas(
            &emu,
            json!("abcdefghijkl"),
            StreamSpec {
                error_after: Some(1),
                error_style: style,
                ..Default::default()
            },
        );
        let (pieces, clean) = read_pieces(start_stream(&emu, &id).await).await;
        assert!(clean, "an error event ends the body cleanly");
        let events = parse_sse(&text(&pieces));
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(
            events[0].json().unwrap()["choices"][0]["delta"]["content"],
            "abcd"
        );
        let Event::Message { event, data } = &events[1] else {
            panic!("{events:?}")
        };
        let data: Value = serde_json::from_str(data.as_deref().unwrap()).unwrap();
        assert_eq!(data["error"]["message"], "Model provider failed");
        assert_eq!(data["error"]["code"], "PROVIDER_ERROR");
        match style {
            ErrorStyle::Data => assert_eq!(event, &None),
            ErrorStyle::Event => {
                assert_eq!(event.as_deref(), Some("error"));
                assert_eq!(data["message"], "Model provider failed");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_reply_streams_one_role_chunk() {
    let emu = start().await;
    let id = streaming_canvas(&emu, json!(""), StreamSpec::default());
    let (pieces, _) = read_pieces(start_stream(&emu, &id).await).await;
    let chunks = chunks(&parse_sse(&text(&pieces)));
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(chunks[1]["choices"][0]["finish_reason"], "stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_thousand_chunks_stream_fully() {
    let emu = start().await;
    let reply = "abc ".repeat(100_000);
    let id = streaming_canvas(&emu, json!(reply), StreamSpec::default());
    use futures::StreamExt;
    let resp = start_stream(&emu, &id).await;
    let mut body = resp.bytes_stream();
    // Parse incrementally, as a client would.
    let mut buf: Vec<u8> = Vec::new();
    let mut content = String::with_capacity(reply.len());
    let (mut chunks, mut done) = (0usize, false);
    let mut last_message = Value::Null;
    while let Some(piece) = body.next().await {
        buf.extend_from_slice(&piece.expect("clean body"));
        let mut start = 0;
        while let Some(end) = buf[start..].windows(2).position(|w| w == b"\n\n") {
            let frame = std::str::from_utf8(&buf[start..start + end]).unwrap();
            start += end + 2;
            let data = frame.strip_prefix("data: ").unwrap();
            if data == "[DONE]" {
                done = true;
                continue;
            }
            let chunk: Value = serde_json::from_str(data).unwrap();
            if let Some(delta) = chunk["choices"][0]["delta"]["content"].as_str() {
                content.push_str(delta);
            }
            if chunk["choices"][0]["finish_reason"] == "stop" {
                last_message = chunk["message"].clone();
            }
            chunks += 1;
        }
        buf.drain(..start);
    }
    assert!(done);
    assert_eq!(chunks, 100_001);
    assert_eq!(content, reply);
    assert_eq!(last_message["content"].as_str().unwrap().len(), reply.len());
}
