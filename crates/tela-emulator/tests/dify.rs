//! The emulated Dify service API on the wire: exact SSE framing, pings, stop, moderation,
//! TTS, errors, auth, uploads (multipart, limits), parameters/meta/info, feedback and chat.

mod common;

use std::time::Duration;

use common::dify::*;
use common::{client, send, start};
use reqwest::multipart::Form;
use serde_json::{Value, json};
use tela_emulator::{
    DifyAppSpec, DifyErrorSpec, DifyModeration, DifyStreamSpec, FaultSpec, JsonStyle, UploadLimits,
};

#[tokio::test]
async fn blocking_answer_has_the_documented_shape() {
    let emu = start().await;
    let a = app(
        &emu,
        DifyAppSpec {
            template: "Translate {{text}}".into(),
            ..answering("Hola {{text}}")
        },
    );
    assert!(a.api_key.starts_with("app-"));
    let r = completion(
        &emu,
        &a.api_key,
        json!({"inputs": {"text": "hi"}, "user": "u"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/json");
    let b = &r.body;
    assert_eq!(b["event"], "message");
    assert_eq!(b["mode"], "completion");
    assert_eq!(b["answer"], "Hola hi");
    assert_eq!(b["id"], b["message_id"]);
    assert!(b["task_id"].as_str().unwrap().len() == 36);
    assert!(b["created_at"].is_u64());
    let usage = &b["metadata"]["usage"];
    assert_eq!(usage["prompt_tokens"], 2);
    assert_eq!(usage["completion_tokens"], 2);
    assert_eq!(usage["total_tokens"], 4);
    assert_eq!(usage["prompt_price"], "0.0000020");
    assert_eq!(usage["completion_price"], "0.0000040");
    assert_eq!(usage["total_price"], "0.0000060");
    assert_eq!(usage["currency"], "USD");
    assert!(usage["latency"].is_f64());
    // response_mode explicitly blocking answers the same way; omitted means blocking too.
    let r = completion(
        &emu,
        &a.api_key,
        json!({"inputs": {}, "user": "u", "response_mode": "blocking"}),
    )
    .await;
    assert_eq!(r.body["event"], "message");
}

#[tokio::test]
async fn auth_failures_are_dify_401s_with_www_authenticate() {
    let emu = start().await;
    let a = app(&emu, DifyAppSpec::default());
    let path = url(&emu, "/completion-messages");
    let body = minimal();
    let cases = [
        (
            None,
            "Authorization header must be provided and start with 'Bearer'",
        ),
        (
            Some("Bearer"),
            "Authorization header must be provided and start with 'Bearer'",
        ),
        (Some("Basic abc"), "Authorization scheme must be 'Bearer'"),
        (Some("Bearer app-unknown"), "Access token is invalid"),
        // The emulator's Tela key is not a Dify app key.
        (Some("Bearer test-key"), "Access token is invalid"),
    ];
    for (header, message) in cases {
        let mut req = client().post(&path).json(&body);
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let r = send(req).await;
        assert_dify_error(&r, 401, "unauthorized");
        assert_eq!(r.body["message"], message);
        assert_eq!(r.headers["www-authenticate"], "Bearer realm=\"api\"");
    }
    // The scheme is case-insensitive, as in Dify.
    let r = send(
        client()
            .post(&path)
            .header("authorization", format!("bearer {}", a.api_key))
            .json(&body),
    )
    .await;
    assert_eq!(r.status, 200);
    let off = app(
        &emu,
        DifyAppSpec {
            api_enabled: false,
            ..Default::default()
        },
    );
    let r = completion(&emu, &off.api_key, body).await;
    assert_dify_error(&r, 403, "forbidden");
    assert_eq!(
        r.body["message"],
        "The app's API service has been disabled."
    );
    // Unknown routes and wrong methods answer in the Dify envelope, without auth.
    assert_dify_error(&get(&emu, "x", "/messages/abc").await, 404, "not_found");
    assert_dify_error(
        &get(&emu, &a.api_key, "/completion-messages").await,
        405,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn request_validation_matches_dify() {
    let emu = start().await;
    let a = app(
        &emu,
        DifyAppSpec {
            user_input_form: vec![
                json!({"text-input": {"variable": "name", "label": "Name", "required": true, "max_length": 5}}),
                json!({"select": {"variable": "tone", "label": "Tone", "required": false, "options": ["warm", "dry"], "default": "dry"}}),
                json!({"number": {"variable": "n", "label": "N", "required": false}}),
            ],
            template: "{{name}} {{tone}}".into(),
            ..Default::default()
        },
    );
    let k = &a.api_key;
    let case = |body: Value| post(&emu, k, "/completion-messages", body);
    let r = case(json!({"inputs": {"name": "x"}})).await;
    assert_dify_error(&r, 400, "invalid_param");
    assert_eq!(r.body["message"], "Arg user must be provided.");
    let r = send(
        client()
            .post(url(&emu, "/completion-messages"))
            .bearer_auth(k)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_dify_error(&r, 400, "bad_request");
    for (body, message) in [
        (json!({"user": "u"}), "inputs: Field required"),
        (
            json!({"user": "u", "inputs": {}}),
            "name is required in input form",
        ),
        (
            json!({"user": "u", "inputs": {"name": ""}}),
            "name is required in input form",
        ),
        (
            json!({"user": "u", "inputs": {"name": 3}}),
            "name in input form must be a string",
        ),
        (
            json!({"user": "u", "inputs": {"name": "toolong"}}),
            "name in input form must be less than 5 characters",
        ),
        (
            json!({"user": "u", "inputs": {"name": "a", "tone": "loud"}}),
            "tone in input form must be one of the following: [\"warm\", \"dry\"]",
        ),
        (
            json!({"user": "u", "inputs": {"name": "a", "n": "x"}}),
            "n in input form must be a valid number",
        ),
        (
            json!({"user": "u", "inputs": {"name": "a"}, "response_mode": "fast"}),
            "response_mode: Input should be 'blocking' or 'streaming'",
        ),
        (
            json!({"user": "u", "inputs": {"name": "a"}, "files": [{"type": "image", "transfer_method": "local_file", "upload_file_id": "nope"}]}),
            "Invalid upload file",
        ),
        (
            json!({"user": "u", "inputs": {"name": "a"}, "files": [{"type": "pic", "transfer_method": "remote_url", "url": "https://x/a.png"}]}),
            "Invalid file type: \"pic\"",
        ),
    ] {
        let r = case(body.clone()).await;
        assert_dify_error(&r, 400, "invalid_param");
        assert_eq!(r.body["message"], message, "{body}");
    }
    // Defaults fill optional variables.
    let r = case(json!({"user": "u", "inputs": {"name": "Ada"}})).await;
    assert_eq!(r.body["answer"], "Ada dry");
    // A chat app is not served on /completion-messages, and the reverse.
    let chat_app = app(
        &emu,
        DifyAppSpec {
            mode: "chat".into(),
            ..Default::default()
        },
    );
    let r = completion(&emu, &chat_app.api_key, minimal()).await;
    assert_dify_error(&r, 400, "app_unavailable");
    let r = chat(&emu, k, json!({"inputs": {}, "user": "u", "query": "q"})).await;
    assert_dify_error(&r, 400, "not_chat_app");
}

#[tokio::test]
async fn stream_framing_is_exact_compact_and_spaced() {
    let emu = start().await;
    let a = app(&emu, answering("Olá 🦊 mundo"));
    let (text, headers) = stream_text(&emu, &a.api_key, stream_body("u")).await;
    assert_eq!(headers["content-type"], "text/event-stream; charset=utf-8");
    assert!(!text.contains("[DONE]"));
    assert!(
        text.starts_with("data: {\"event\":\"message\",\"message_id\":"),
        "{text}"
    );
    assert!(text.contains("🦊"), "compact JSON keeps raw UTF-8");
    let f = frames(&text);
    assert_eq!(names(&f), ["message", "message", "message", "message_end"]);
    let answer: String = f[..3]
        .iter()
        .map(|e| e["answer"].as_str().unwrap())
        .collect();
    assert_eq!(answer, "Olá 🦊 mundo");
    for e in &f {
        assert_eq!(e["message_id"], f[0]["message_id"]);
        assert_eq!(e["task_id"], f[0]["task_id"]);
        assert_eq!(e["created_at"], f[0]["created_at"]);
    }
    assert_eq!(f[0]["id"], f[0]["message_id"]);
    assert_eq!(f[0]["from_variable_selector"], Value::Null);
    assert_eq!(f[3]["files"], Value::Null);
    assert_eq!(f[3]["metadata"]["usage"]["completion_tokens"], 3);

    let old = app(
        &emu,
        DifyAppSpec {
            stream: DifyStreamSpec {
                json_style: JsonStyle::Spaced,
                chunk_size: 0,
                ..Default::default()
            },
            ..answering("Olá 🦊")
        },
    );
    let (text, _) = stream_text(&emu, &old.api_key, stream_body("u")).await;
    assert!(
        text.starts_with("data: {\"event\": \"message\", \"message_id\": \""),
        "{text}"
    );
    assert!(
        text.contains(r#""answer": "Ol\u00e1 \ud83e\udd8a""#),
        "{text}"
    );
    let f = frames(&text);
    assert_eq!(names(&f), ["message", "message_end"]);
    assert_eq!(f[0]["answer"], "Olá 🦊");
    assert!(f[0].get("from_variable_selector").is_none());
}

#[tokio::test]
async fn pings_come_on_the_interval_and_first_when_asked() {
    let emu = start().await;
    let a = app(
        &emu,
        DifyAppSpec {
            stream: DifyStreamSpec {
                chunk_size: 2,
                delay_ms: 60,
                ping_interval_ms: 25,
                ping_first: true,
                ..Default::default()
            },
            ..answering("abcdef")
        },
    );
    let (text, _) = stream_text(&emu, &a.api_key, stream_body("u")).await;
    assert!(text.starts_with("event: ping\n\n"), "{text}");
    let f = frames(&text);
    let pings = names(&f).iter().filter(|n| **n == "ping").count();
    // ~120 ms of waiting at a 25 ms interval, plus the first one.
    assert!(pings >= 3, "{text}");
    let data: Vec<&str> = names(&f).into_iter().filter(|n| *n != "ping").collect();
    assert_eq!(data, ["message", "message", "message", "message_end"]);
}

#[tokio::test]
async fn error_events_moderation_tts_and_files() {
    let emu = start().await;
    let failing = app(
        &emu,
        DifyAppSpec {
            stream: DifyStreamSpec {
                error_after: Some(1),
                ..Default::default()
            },
            ..answering("abcdefgh")
        },
    );
    let (text, _) = stream_text(&emu, &failing.api_key, stream_body("u")).await;
    let f = frames(&text);
    assert_eq!(names(&f), ["message", "error"]);
    assert_eq!(f[1]["code"], "completion_request_error");
    assert_eq!(f[1]["status"], 400);
    assert!(
        f[1].get("task_id").is_none(),
        "the service API error event has no task_id"
    );
    // Blocking calls get the app's error as an HTTP error.
    let quota = app(
        &emu,
        DifyAppSpec {
            error: Some(DifyErrorSpec {
                status: 400,
                code: "provider_quota_exceeded".into(),
                message: "quota".into(),
            }),
            ..Default::default()
        },
    );
    let r = completion(&emu, &quota.api_key, minimal()).await;
    assert_dify_error(&r, 400, "provider_quota_exceeded");
    let (text, _) = stream_text(&emu, &quota.api_key, stream_body("u")).await;
    assert_eq!(names(&frames(&text)), ["error"]);

    let moderated = app(
        &emu,
        DifyAppSpec {
            moderation: Some(DifyModeration::default()),
            tts: true,
            answer_files: vec![json!({"type": "image", "url": "https://x/cat.png"})],
            ..answering("bad words")
        },
    );
    let (text, _) = stream_text(&emu, &moderated.api_key, stream_body("u")).await;
    let f = frames(&text);
    assert_eq!(
        names(&f),
        [
            "message_file",
            "message",
            "tts_message",
            "message",
            "tts_message",
            "message",
            "tts_message",
            "message_replace",
            "message_end",
            "tts_message_end"
        ]
    );
    assert_eq!(f[0]["url"], "https://x/cat.png");
    assert_eq!(f[0]["belongs_to"], "assistant");
    assert_eq!(f[2]["audio"], "YXVkaW86YmFkIA=="); // base64("audio:bad ")
    assert_eq!(f[7]["answer"], "Sorry, I can't answer that.");
    assert_eq!(f[8]["files"][0]["filename"], "cat.png");
    assert_eq!(f[8]["files"][0]["extension"], ".png");
    assert_eq!(f[8]["files"][0]["transfer_method"], "tool_file");
    assert_eq!(f[9]["audio"], "");
    let r = completion(&emu, &moderated.api_key, minimal()).await;
    assert_eq!(r.body["answer"], "Sorry, I can't answer that.");
}

#[tokio::test]
async fn a_dropped_stream_is_cut_mid_body() {
    let emu = start().await;
    let a = app(
        &emu,
        DifyAppSpec {
            stream: DifyStreamSpec {
                drop_after: Some(1),
                ..Default::default()
            },
            ..answering("abcdefgh")
        },
    );
    let resp = open(&emu, &a.api_key, "/completion-messages", &stream_body("u")).await;
    assert!(resp.text().await.is_err());
}

#[tokio::test]
async fn stop_ends_a_running_stream_with_message_end() {
    let emu = start().await;
    let a = app(
        &emu,
        DifyAppSpec {
            answer: Some("a".repeat(200)),
            stream: DifyStreamSpec {
                chunk_size: 1,
                delay_ms: 20,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let mut resp = open(
        &emu,
        &a.api_key,
        "/completion-messages",
        &stream_body("owner"),
    )
    .await;
    let first = resp.chunk().await.unwrap().unwrap();
    let first: Value =
        serde_json::from_slice(first.strip_prefix(b"data: ").unwrap().trim_ascii()).unwrap();
    let task = first["task_id"].as_str().unwrap().to_owned();
    // Another user's stop is accepted and ignored, as Dify does.
    let stop = format!("/completion-messages/{task}/stop");
    let r = post(&emu, &a.api_key, &stop, json!({"user": "intruder"})).await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (200, json!({"result": "success"}))
    );
    let r = post(&emu, &a.api_key, &stop, json!({})).await;
    assert_eq!(r.body["message"], "Arg user must be provided.");
    let r = post(&emu, &a.api_key, &stop, json!({"user": "owner"})).await;
    assert_eq!(r.body, json!({"result": "success"}));
    let mut rest = Vec::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        rest.extend_from_slice(&chunk);
    }
    let f = frames(&String::from_utf8(rest).unwrap());
    let n = f.iter().filter(|e| e["event"] == "message").count();
    assert!(n < 199, "the stream stopped early ({n} messages)");
    let end = f.last().unwrap();
    assert_eq!(end["event"], "message_end");
    assert_eq!(end["metadata"]["usage"]["completion_tokens"], 1);
    // Stop of an unknown task is a success too; a chat app's stop route refuses completion apps.
    let r = post(
        &emu,
        &a.api_key,
        "/completion-messages/nope/stop",
        json!({"user": "u"}),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = post(
        &emu,
        &a.api_key,
        "/chat-messages/nope/stop",
        json!({"user": "u"}),
    )
    .await;
    assert_dify_error(&r, 400, "not_chat_app");
}

#[tokio::test]
async fn uploads_limits_and_error_codes() {
    let emu = start().await;
    let a = app(
        &emu,
        DifyAppSpec {
            upload_limits: UploadLimits {
                file: 1000,
                image: 100,
                ..Default::default()
            },
            extension_blacklist: vec!["exe".into()],
            ..Default::default()
        },
    );
    let k = &a.api_key;
    let body = b"hello dify".to_vec();
    let form = Form::new().text("user", "u1").part(
        "file",
        file_part(body.clone(), "notes.txt", Some("text/plain")),
    );
    let r = upload(&emu, k, form).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rec = &r.body;
    assert_eq!(rec["name"], "notes.txt");
    assert_eq!(rec["size"], 10);
    assert_eq!(rec["extension"], "txt");
    assert_eq!(rec["mime_type"], "text/plain");
    for key in ["id", "created_by", "source_url", "tenant_id"] {
        assert!(rec[key].is_string(), "{key}");
    }
    for key in [
        "reference",
        "preview_url",
        "original_url",
        "user_id",
        "conversation_id",
        "file_key",
    ] {
        assert!(rec[key].is_null(), "{key}");
    }
    let stored = emu.dify_uploads();
    assert_eq!(stored[0].user, "u1");
    // sha256("hello dify")
    assert_eq!(
        stored[0].sha256,
        "51378ac6e77c3fb5c8bb70a5a13adabe311fced1b3cb90d68017040edaee84fd"
    );
    let logged = emu.requests().into_iter().last().unwrap();
    assert_eq!(logged.body["file"]["filename"], "notes.txt");
    assert_eq!(logged.body_len, 10);

    let cases: Vec<(Form, u16, &str)> = vec![
        (Form::new().text("user", "u"), 400, "no_file_uploaded"),
        (
            one_file(vec![1; 101], "big.png", Some("image/png")),
            413,
            "file_too_large",
        ),
        (
            one_file(vec![1; 1001], "big.pdf", Some("application/pdf")),
            413,
            "file_too_large",
        ),
        (
            one_file(vec![1], "raw.bin", None),
            415,
            "unsupported_file_type",
        ),
        (
            Form::new()
                .part("file", file_part(vec![1], "a.txt", Some("text/plain")))
                .part("file", file_part(vec![1], "b.txt", Some("text/plain"))),
            400,
            "too_many_files",
        ),
        (
            one_file(vec![1], "run.exe", Some("application/x-msdownload")),
            400,
            "invalid_param",
        ),
        (
            one_file(vec![1], "a/b.txt", Some("text/plain")),
            400,
            "invalid_param",
        ),
    ];
    for (form, status, code) in cases {
        let r = upload(&emu, k, form).await;
        assert_dify_error(&r, status, code);
    }
    // A body that is not multipart at all.
    let r = post(&emu, k, "/files/upload", json!({"file": "x"})).await;
    assert_dify_error(&r, 400, "no_file_uploaded");
    // No user: the shared DEFAULT-USER.
    let r = upload(&emu, k, one_file(vec![1], "a.txt", Some("text/plain"))).await;
    assert_eq!(r.status, 201);
    assert_eq!(emu.dify_uploads().last().unwrap().user, "DEFAULT-USER");
}

#[tokio::test]
async fn a_large_upload_streams_through() {
    let emu = start().await;
    let a = app(&emu, DifyAppSpec::default());
    let size = 12 * 1024 * 1024;
    let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let form = Form::new()
        .text("user", "u")
        .part("file", file_part(data, "big.pdf", Some("application/pdf")));
    let r = upload(&emu, &a.api_key, form).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["size"], size);
}

#[tokio::test]
async fn uploaded_files_are_usable_by_their_user_only() {
    let emu = start().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Value::Null));
    let sink = seen.clone();
    let a = emu
        .add_dify_app_with_callback(
            DifyAppSpec::default(),
            std::sync::Arc::new(move |req: Value| {
                *sink.lock().unwrap() = req["files"].clone();
                Ok(json!("ok"))
            }),
        )
        .unwrap();
    let form = Form::new().text("user", "alice").part(
        "file",
        file_part(b"%PDF".to_vec(), "a.pdf", Some("application/pdf")),
    );
    let id = upload(&emu, &a.api_key, form).await.body["id"].clone();
    let local =
        json!([{"type": "document", "transfer_method": "local_file", "upload_file_id": id}]);
    let r = completion(
        &emu,
        &a.api_key,
        json!({"inputs": {}, "user": "bob", "files": local}),
    )
    .await;
    assert_dify_error(&r, 400, "invalid_param");
    let r = completion(
        &emu,
        &a.api_key,
        json!({"inputs": {}, "user": "alice", "files": local}),
    )
    .await;
    assert_eq!(r.body["answer"], "ok");
    let files = seen.lock().unwrap().clone();
    assert_eq!(files[0]["filename"], "a.pdf");
    assert_eq!(files[0]["size"], 4);
}

#[tokio::test]
async fn parameters_meta_info_and_feedback() {
    let emu = start().await;
    let a = app(
        &emu,
        DifyAppSpec {
            name: "Translator".into(),
            description: "d".into(),
            tags: vec!["t".into()],
            user_input_form: vec![
                json!({"paragraph": {"variable": "query", "label": "Query", "required": true, "default": ""}}),
            ],
            opening_statement: "Hello!".into(),
            tts: true,
            tool_icons: json!({"search": "https://x/icon.png"})
                .as_object()
                .unwrap()
                .clone(),
            upload_limits: UploadLimits {
                file: 5 * 1024 * 1024 + 1,
                ..Default::default()
            },
            ..Default::default()
        },
    );
    let k = &a.api_key;
    let p = get(&emu, k, "/parameters").await.body;
    assert_eq!(p["opening_statement"], "Hello!");
    assert_eq!(p["user_input_form"][0]["paragraph"]["variable"], "query");
    assert_eq!(p["text_to_speech"]["autoPlay"], "enabled");
    assert_eq!(p["system_parameters"]["file_size_limit"], 6);
    assert_eq!(p["system_parameters"]["image_file_size_limit"], 10);
    assert_eq!(
        get(&emu, k, "/meta").await.body,
        json!({"tool_icons": {"search": "https://x/icon.png"}})
    );
    assert_eq!(
        get(&emu, k, "/info").await.body,
        json!({"name": "Translator", "description": "d", "tags": ["t"], "mode": "completion", "author_name": "tela-emulator"})
    );

    let m = completion(&emu, k, json!({"inputs": {"query": "q"}, "user": "u"})).await;
    let id = m.body["message_id"].as_str().unwrap().to_owned();
    let r = feedback(
        &emu,
        k,
        &id,
        json!({"rating": "like", "user": "u", "content": "great"}),
    )
    .await;
    assert_eq!(r.body, json!({"result": "success"}));
    let held = emu.dify_feedbacks();
    assert_eq!(
        (held[0].rating.as_str(), held[0].content.as_deref()),
        ("like", Some("great"))
    );
    let r = feedback(&emu, k, &id, json!({"rating": "love", "user": "u"})).await;
    assert_dify_error(&r, 400, "invalid_param");
    let r = feedback(
        &emu,
        k,
        &id,
        json!({"rating": "like", "user": "someone-else"}),
    )
    .await;
    assert_dify_error(&r, 404, "not_found");
    assert_eq!(r.body["message"], "Message Not Exists.");
    let r = feedback(&emu, k, &id, json!({"rating": null, "user": "u"})).await;
    assert_eq!(r.status, 200);
    assert!(emu.dify_feedbacks().is_empty());
    let r = feedback(&emu, k, &id, json!({"rating": null, "user": "u"})).await;
    assert_dify_error(&r, 400, "invalid_param");
    let r = feedback(&emu, k, &id, json!({"rating": "like"})).await;
    assert_eq!(r.body["message"], "Arg user must be provided.");
    let r = feedback(
        &emu,
        k,
        "not-a-uuid",
        json!({"rating": "like", "user": "u"}),
    )
    .await;
    assert_dify_error(&r, 404, "not_found");
    let unknown = "00000000-0000-4000-8000-000000000000";
    let r = feedback(&emu, k, unknown, json!({"rating": "like", "user": "u"})).await;
    assert_eq!(r.body["message"], "Message Not Exists.");
}

#[tokio::test]
async fn concurrency_limit_and_faults_use_the_dify_envelope() {
    let emu = start().await;
    let a = app(
        &emu,
        DifyAppSpec {
            max_concurrent: Some(1),
            stream: DifyStreamSpec {
                chunk_size: 1,
                delay_ms: 50,
                ..Default::default()
            },
            ..answering("abcdef")
        },
    );
    let running = open(&emu, &a.api_key, "/completion-messages", &stream_body("u")).await;
    let r = completion(&emu, &a.api_key, minimal()).await;
    assert_dify_error(&r, 429, "too_many_requests");
    assert!(r.body["message"].as_str().unwrap().contains("is 1."));
    drop(running.text().await);
    // The server drops its slot just after the last bytes leave, so the client may see the
    // end first: ask again until the slot is back (polled, with a generous deadline).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let r = loop {
        let r = completion(&emu, &a.api_key, minimal()).await;
        if r.status == 200 || tokio::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(r.status, 200, "the slot is given back when the stream ends");

    emu.add_fault(FaultSpec {
        path: Some("/v1/".into()),
        status: Some(503),
        ..Default::default()
    });
    let r = get(&emu, &a.api_key, "/info").await;
    assert_dify_error(&r, 503, "service_unavailable");
}

#[tokio::test]
async fn chat_apps_keep_conversations_and_stream_their_events() {
    let emu = start().await;
    let chat_app = app(
        &emu,
        DifyAppSpec {
            mode: "chat".into(),
            template: "You said {{query}}".into(),
            ..Default::default()
        },
    );
    let k = &chat_app.api_key;
    let r = chat(&emu, k, json!({"inputs": {}, "user": "u", "query": "hi"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["mode"], "chat");
    assert_eq!(r.body["answer"], "You said hi");
    let conv = r.body["conversation_id"].as_str().unwrap().to_owned();
    let r = chat(
        &emu,
        k,
        json!({"inputs": {}, "user": "u", "query": "again", "conversation_id": conv}),
    )
    .await;
    assert_eq!(r.body["conversation_id"], conv);
    let r = chat(
        &emu,
        k,
        json!({"inputs": {}, "user": "other", "query": "x", "conversation_id": conv}),
    )
    .await;
    assert_dify_error(&r, 404, "not_found");
    assert_eq!(r.body["message"], "Conversation Not Exists.");
    let r = chat(
        &emu,
        k,
        json!({"inputs": {}, "user": "u", "query": "x", "conversation_id": "nope"}),
    )
    .await;
    assert_dify_error(&r, 400, "invalid_param");
    let r = chat(&emu, k, minimal()).await;
    assert_eq!(r.body["message"], "query: Field required");

    let agent = app(
        &emu,
        DifyAppSpec {
            mode: "agent-chat".into(),
            ..answering("done")
        },
    );
    let r = chat(
        &emu,
        &agent.api_key,
        json!({"inputs": {}, "user": "u", "query": "q"}),
    )
    .await;
    assert_dify_error(&r, 400, "invalid_param");
    let streaming = json!({"inputs": {}, "user": "u", "query": "q", "response_mode": "streaming"});
    let resp = open(&emu, &agent.api_key, "/chat-messages", &streaming).await;
    let f = frames(&resp.text().await.unwrap());
    assert_eq!(names(&f), ["agent_thought", "agent_message", "message_end"]);
    assert!(f.iter().all(|e| e["conversation_id"].is_string()));

    let flow = app(
        &emu,
        DifyAppSpec {
            mode: "advanced-chat".into(),
            ..answering("ok")
        },
    );
    let resp = open(&emu, &flow.api_key, "/chat-messages", &streaming).await;
    let f = frames(&resp.text().await.unwrap());
    assert_eq!(
        names(&f),
        [
            "ping",
            "workflow_started",
            "node_started",
            "node_finished",
            "message",
            "message_end",
            "workflow_finished"
        ]
    );
    assert_eq!(f[6]["data"]["outputs"]["answer"], "ok");
}

#[tokio::test]
async fn apps_can_be_registered_over_the_admin_api() {
    let emu = start().await;
    let admin = |path: &str| format!("{}/_emulator/dify/{path}", emu.base_url());
    let r = send(
        client()
            .post(admin("apps"))
            .json(&json!({"api_keys": ["app-admin-key-1"], "answer": "hi"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["api_key"], "app-admin-key-1");
    let r = completion(&emu, "app-admin-key-1", minimal()).await;
    assert_eq!(r.body["answer"], "hi");
    let r = send(
        client()
            .post(admin("apps"))
            .json(&json!({"mode": "workflow"})),
    )
    .await;
    assert_eq!(r.status, 400);
    let form = Form::new().text("user", "u").part(
        "file",
        file_part(b"x".to_vec(), "a.txt", Some("text/plain")),
    );
    upload(&emu, "app-admin-key-1", form).await;
    let r = send(client().get(admin("uploads"))).await;
    assert_eq!(r.body[0]["name"], "a.txt");
    let r = send(client().get(admin("feedbacks"))).await;
    assert_eq!(r.body, json!([]));
    // Admin calls are not recorded.
    assert!(
        emu.requests()
            .iter()
            .all(|r| !r.path.starts_with("/_emulator"))
    );
}

#[tokio::test]
async fn conversation_routes_refuse_in_dify_order() {
    let emu = start().await;
    let writer = app(&emu, DifyAppSpec::default());
    let chat_app = app(
        &emu,
        DifyAppSpec {
            mode: "chat".into(),
            ..Default::default()
        },
    );
    let k = &chat_app.api_key;
    let conv = "00000000-0000-4000-8000-000000000000";
    let name = format!("/conversations/{conv}/name");
    let delete = |key: &str, body: &str| {
        client()
            .delete(url(&emu, &format!("/conversations/{conv}")))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body.to_owned())
    };
    // The key first, then the app's kind, then `user`, then the rest.
    for path in ["/conversations?limit=0", "/messages?limit=0"] {
        assert_dify_error(&get(&emu, "app-nope", path).await, 401, "unauthorized");
        assert_dify_error(&get(&emu, &writer.api_key, path).await, 400, "not_chat_app");
        let r = get(&emu, k, path).await;
        assert_dify_error(&r, 400, "invalid_param");
        assert_eq!(r.body["message"], "Arg user must be provided.", "{path}");
    }
    let r = get(&emu, k, "/conversations?user=u&limit=0").await;
    assert_eq!(
        r.body["message"],
        "limit: 0 is not an integer from 1 to 100"
    );
    let r = get(&emu, k, "/messages?user=u&limit=0").await;
    assert_eq!(r.body["message"], "conversation_id: Field required");
    let r = get(
        &emu,
        k,
        &format!("/messages?user=u&limit=0&conversation_id={conv}"),
    )
    .await;
    assert_eq!(
        r.body["message"],
        "limit: 0 is not an integer from 1 to 100"
    );

    assert_dify_error(
        &post(&emu, "app-nope", &name, json!({})).await,
        401,
        "unauthorized",
    );
    let r = post(&emu, &writer.api_key, &name, json!({})).await;
    assert_dify_error(&r, 400, "not_chat_app");
    let r = post(&emu, k, &name, json!({"name": "n"})).await;
    assert_eq!(r.body["message"], "Arg user must be provided.");
    let r = post(&emu, k, &name, json!({"name": "n", "user": "u"})).await;
    assert_dify_error(&r, 404, "not_found");
    assert_dify_error(&send(delete("app-nope", "{")).await, 401, "unauthorized");
    assert_dify_error(
        &send(delete(&writer.api_key, "{")).await,
        400,
        "not_chat_app",
    );
    assert_dify_error(&send(delete(k, "{")).await, 400, "bad_request");
    let r = send(delete(k, "{}")).await;
    assert_eq!(r.body["message"], "Arg user must be provided.");
    assert_dify_error(&send(delete(k, r#"{"user": "u"}"#)).await, 404, "not_found");
}
