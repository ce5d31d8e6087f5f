//! The Dify operations against the emulator over real TCP: blocking and streaming answers
//! (pings skipped, error events raised, TTS end), stop, streamed multipart uploads (and their
//! retry), app descriptions, feedback, and errors in Dify's envelope.

use bytes::Bytes;
use serde_json::{Value, json};
use tela_core::api::{self, Args};
use tela_core::config::Api;
use tela_core::files::FileSource;
use tela_core::transport::CallOptions;
use tela_core::{Client, ClientConfig, ConfigInput, Error};
use tela_emulator::{
    DifyAppInfo, DifyAppSpec, DifyStreamSpec, Emulator, EmulatorConfig, FaultSpec,
};

async fn setup(spec: DifyAppSpec, max_retries: i64) -> (Emulator, Client, DifyAppInfo) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let app = emu.add_dify_app(spec).unwrap();
    let client = dify_client(&emu, &app.api_key, max_retries);
    (emu, client, app)
}

fn dify_client(emu: &Emulator, key: &str, max_retries: i64) -> Client {
    let input = ConfigInput {
        api_key: Some(key.into()),
        // A base that keeps its path, as self-hosted Dify's does.
        base_url: Some(format!("{}/v1/", emu.base_url())),
        max_retries: Some(max_retries),
        ..Default::default()
    };
    Client::new(ClientConfig::resolve_with(Api::Dify, input, |_| None).unwrap()).unwrap()
}

fn args(v: Value) -> Args {
    Args {
        body: v.as_object().unwrap().clone(),
        ..Default::default()
    }
}

async fn call(client: &Client, op: &str, body: Value) -> tela_core::Result<Value> {
    call_with_files(client, op, body, Vec::new()).await
}

/// A call with `tela_sdk.File` values: `{"$tela_file": i}` in `body` stands for `files[i]`.
async fn call_with_files(
    client: &Client,
    op: &str,
    body: Value,
    files: Vec<FileSource>,
) -> tela_core::Result<Value> {
    let args = Args {
        files,
        ..args(body)
    };
    let resp = api::call(client, op, args, &CallOptions::default()).await?;
    Ok(serde_json::from_slice(&resp.body).unwrap())
}

/// The events of a stream, and the error that ended it, if any.
async fn events(client: &Client, op: &str, body: Value) -> (Vec<Value>, Option<Error>) {
    let mut stream = api::stream(client, op, args(body), &CallOptions::default())
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(batch) = stream.next_batch().await {
        match batch {
            Ok(batch) => out.extend(batch.iter().map(|s| serde_json::from_str(s).unwrap())),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

fn names(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn blocking_and_streaming_answers() {
    let (emu, client, _) = setup(
        DifyAppSpec {
            template: "Say {{word}}".into(),
            tts: true,
            stream: DifyStreamSpec {
                chunk_size: 2,
                delay_ms: 15,
                ping_interval_ms: 10,
                ping_first: true,
                ..Default::default()
            },
            ..Default::default()
        },
        0,
    )
    .await;
    let body = json!({"inputs": {"word": "hey"}, "user": "u"});
    let out = call(&client, "dify.completion_messages.create", body.clone())
        .await
        .unwrap();
    assert_eq!(out["answer"], "Say hey");
    let sent = emu.requests().pop().unwrap();
    assert_eq!(sent.path, "/v1/completion-messages");
    assert_eq!(sent.body["response_mode"], "blocking");
    assert!(sent.headers["authorization"].starts_with("Bearer ***"));

    let (evs, err) = events(&client, "dify.completion_messages.create", body).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        emu.requests().pop().unwrap().body["response_mode"],
        "streaming"
    );
    // Pings were sent (first and on the interval) but never reach the consumer; TTS audio
    // after message_end does, and tts_message_end is the last event.
    let n = names(&evs);
    assert!(!n.contains(&"ping"));
    assert_eq!(n.iter().filter(|e| **e == "message").count(), 4);
    let end = n.iter().position(|e| *e == "message_end").unwrap();
    assert_eq!(&n[end..], ["message_end", "tts_message_end"]);
}

#[tokio::test]
async fn an_error_event_raises_a_stream_error_with_code_and_status() {
    let (_emu, client, _) = setup(
        DifyAppSpec {
            answer: Some("abcdefgh".into()),
            stream: DifyStreamSpec {
                error_after: Some(1),
                ..Default::default()
            },
            ..Default::default()
        },
        0,
    )
    .await;
    let (evs, err) = events(
        &client,
        "dify.completion_messages.create",
        json!({"user": "u"}),
    )
    .await;
    assert_eq!(names(&evs), ["message"]);
    match err {
        Some(Error::Stream {
            code,
            status,
            message,
            ..
        }) => {
            assert_eq!(code.as_deref(), Some("completion_request_error"));
            assert_eq!(status, Some(400));
            assert_eq!(message, "[openai] Rate Limit Error");
        }
        other => panic!("expected a stream error, got {other:?}"),
    }
}

#[tokio::test]
async fn http_errors_keep_difys_code() {
    let (_emu, client, _) = setup(
        DifyAppSpec {
            user_input_form: vec![json!({"text-input": {"variable": "q", "required": true}})],
            ..Default::default()
        },
        0,
    )
    .await;
    let err = call(
        &client,
        "dify.completion_messages.create",
        json!({"user": "u", "inputs": {}}),
    )
    .await
    .unwrap_err();
    match err {
        Error::Status(s) => {
            assert_eq!(s.status, 400);
            assert_eq!(s.code.as_deref(), Some("invalid_param"));
            assert_eq!(s.message, "q is required in input form");
        }
        other => panic!("{other:?}"),
    }
    // Checked before sending: no user.
    let err = call(&client, "dify.completion_messages.create", json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
}

#[tokio::test]
async fn stop_feedback_and_app_descriptions() {
    let (emu, client, app) = setup(
        DifyAppSpec {
            answer: Some("x".repeat(100)),
            stream: DifyStreamSpec {
                chunk_size: 1,
                delay_ms: 10,
                ..Default::default()
            },
            ..Default::default()
        },
        0,
    )
    .await;
    let mut stream = api::stream(
        &client,
        "dify.completion_messages.create",
        args(json!({"user": "u"})),
        &CallOptions::default(),
    )
    .await
    .unwrap();
    let first = stream.next_batch().await.unwrap().unwrap();
    let first: Value = serde_json::from_str(&first[0]).unwrap();
    let stopped = call(
        &client,
        "dify.completion_messages.stop",
        json!({"task_id": first["task_id"], "user": "u"}),
    )
    .await
    .unwrap();
    assert_eq!(stopped, json!({"result": "success"}));
    let mut rest = Vec::new();
    while let Some(batch) = stream.next_batch().await {
        rest.extend(batch.unwrap());
    }
    let last: Value = serde_json::from_str(rest.last().unwrap()).unwrap();
    assert_eq!(last["event"], "message_end");
    assert!(rest.len() < 99, "stopped early");

    let fb = call(
        &client,
        "dify.messages.feedback",
        json!({"message_id": first["message_id"], "rating": "dislike", "user": "u", "content": "meh"}),
    )
    .await
    .unwrap();
    assert_eq!(fb["result"], "success");
    assert_eq!(emu.dify_feedbacks()[0].rating, "dislike");

    let params = call(&client, "dify.parameters", json!({"user": "u"}))
        .await
        .unwrap();
    assert!(params["system_parameters"]["file_size_limit"].is_u64());
    assert_eq!(emu.requests().pop().unwrap().query, "user=u");
    assert_eq!(
        call(&client, "dify.info", json!({})).await.unwrap()["mode"],
        "completion"
    );
    assert_eq!(
        call(&client, "dify.meta", json!({})).await.unwrap(),
        json!({"tool_icons": {}})
    );
    // A Tela client cannot run Dify operations.
    let tela = Client::new(
        ClientConfig::resolve_with(
            Api::Tela,
            ConfigInput {
                api_key: Some(app.api_key.clone()),
                ..Default::default()
            },
            |_| None,
        )
        .unwrap(),
    )
    .unwrap();
    let err = call(&tela, "dify.info", json!({})).await.unwrap_err();
    assert!(err.to_string().contains("DifyClient"), "{err}");
}

#[tokio::test]
async fn uploads_stream_from_disk_and_a_retry_reopens_the_file() {
    let (emu, client, _) = setup(DifyAppSpec::default(), 1).await;
    let dir = std::env::temp_dir().join(format!("tela-dify-up-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.pdf");
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    // The first attempt is refused (429): nothing was stored, so the upload is retried, and
    // the retry must send the whole file again.
    emu.add_fault(FaultSpec {
        path: Some("/v1/files/upload".into()),
        status: Some(429),
        retry_after_ms: Some(10),
        ..Default::default()
    });
    let rec = call_with_files(
        &client,
        "dify.files.upload",
        json!({"file": {"$tela_file": 0}, "user": "u"}),
        vec![FileSource::from_path(path.clone()).unwrap()],
    )
    .await
    .unwrap();
    assert_eq!(rec["name"], "report.pdf");
    assert_eq!(rec["size"], data.len());
    assert_eq!(rec["mime_type"], "application/pdf");
    let uploads = emu.dify_uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].size, data.len() as u64);
    let attempts = emu
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/files/upload")
        .count();
    assert_eq!(attempts, 2);
    let sent = emu.requests().pop().unwrap();
    assert!(
        sent.headers["content-type"].starts_with("multipart/form-data; boundary="),
        "{:?}",
        sent.headers
    );
    // A known length, not chunked: servers behind Flask handle it best.
    assert_eq!(
        sent.headers.get("content-length").map(|_| ()),
        Some(()),
        "{:?}",
        sent.headers
    );

    // Bytes, with a name; then the upload record used as a file reference.
    let rec = call_with_files(
        &client,
        "dify.files.upload",
        json!({"file": {"$tela_file": 0}, "filename": "hi.txt", "user": "u"}),
        vec![FileSource::from_bytes(Bytes::from_static(b"hello")).unwrap()],
    )
    .await
    .unwrap();
    assert_eq!(rec["size"], 5);
    assert_eq!(emu.dify_uploads()[1].mime_type, "text/plain");
    let out = call(
        &client,
        "dify.completion_messages.create",
        json!({"user": "u", "files": [rec]}),
    )
    .await
    .unwrap();
    assert_eq!(out["event"], "message");
    let sent = emu.requests().pop().unwrap();
    assert_eq!(
        sent.body["files"],
        json!([{"type": "document", "transfer_method": "local_file", "upload_file_id": rec["id"]}])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn message_files_are_references_and_local_content_is_refused_before_sending() {
    let (emu, client, _) = setup(DifyAppSpec::default(), 0).await;
    let url = FileSource::from_url("https://example.com/a.pdf").unwrap();
    let out = call_with_files(
        &client,
        "dify.completion_messages.create",
        json!({"user": "u", "inputs": {"doc": {"$tela_file": 0}}, "files": [{"$tela_file": 0}]}),
        vec![url],
    )
    .await
    .unwrap();
    assert_eq!(out["event"], "message");
    let sent = emu.requests().pop().unwrap();
    let reference = json!({"transfer_method": "remote_url", "url": "https://example.com/a.pdf", "type": "document"});
    assert_eq!(sent.body["inputs"]["doc"], reference);
    assert_eq!(sent.body["files"], json!([reference]));
    let before = emu.requests().len();
    for local in [
        FileSource::from_bytes(Bytes::from_static(b"hello")).unwrap(),
        FileSource::from_url("data:text/plain;base64,aGk=").unwrap(),
    ] {
        let err = call_with_files(
            &client,
            "dify.chat_messages.create",
            json!({"user": "u", "query": "q", "inputs": {"docs": ["x", {"$tela_file": 0}]}}),
            vec![local],
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("inputs[\"docs\"][1]: ") && err.contains("upload a local File first"),
            "{err}"
        );
    }
    let err = call_with_files(
        &client,
        "dify.chat_messages.create",
        json!({"user": "u", "query": "q", "files": [{"$tela_file": 3}]}),
        vec![FileSource::from_url("https://x/a.png").unwrap()],
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("does not name a file"), "{err}");
    assert_eq!(emu.requests().len(), before);
}
