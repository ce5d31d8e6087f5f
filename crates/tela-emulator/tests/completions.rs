//! `POST /v2/chat/completions` over real TCP: auth, validation, lookups, replies.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use serde_json::{Value, json};
use tela_emulator::{CanvasSpec, EmulatorError, ReplyFn, VersionSpec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_is_required_and_checked() {
    let emu = start().await;
    let url = format!("{}/v2/chat/completions", emu.base_url());
    let body = json!({"canvas_id": "x"});
    let none = send(client().post(&url).json(&body)).await;
    assert_error(&none, 401, "UNAUTHORIZED");
    let wrong = send(client().post(&url).bearer_auth("nope").json(&body)).await;
    assert_error(&wrong, 401, "UNAUTHORIZED");
    let basic = send(
        client()
            .post(&url)
            .basic_auth(KEY, None::<&str>)
            .json(&body),
    )
    .await;
    assert_error(&basic, 401, "UNAUTHORIZED");
    // Right key: past auth, so the unknown canvas is what fails.
    assert_error(&complete(&emu, body).await, 404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_key_list_accepts_any_bearer_token() {
    let emu = tela_emulator::Emulator::start(tela_emulator::EmulatorConfig {
        api_keys: vec![],
        ..Default::default()
    })
    .await
    .unwrap();
    let info = canvas(&emu, CanvasSpec::default());
    let url = format!("{}/v2/chat/completions", emu.base_url());
    let ok = send(
        client()
            .post(&url)
            .bearer_auth("anything")
            .json(&json!({"canvas_id": info.id})),
    )
    .await;
    assert_eq!(ok.status, 200);
    let none = send(client().post(&url).json(&json!({"canvas_id": info.id}))).await;
    assert_error(&none, 401, "UNAUTHORIZED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_are_400() {
    let emu = start().await;
    let info = canvas(&emu, CanvasSpec::default());
    let url = format!("{}/v2/chat/completions", emu.base_url());
    for raw in ["not json", "[1,2]", "", "\"str\""] {
        let a = send(
            client()
                .post(&url)
                .bearer_auth(KEY)
                .header("content-type", "application/json")
                .body(raw),
        )
        .await;
        assert_error(&a, 400, "INVALID_REQUEST");
    }
    let id = info.id.as_str();
    let v = info.production_version_id.as_str();
    for body in [
        json!({}),
        json!({"canvas_id": id, "version_id": v}),
        json!({"canvas_id": id, "application_id": "a"}),
        json!({"version_id": v, "environment_name": "production"}),
        json!({"application_id": "a", "environment_name": "production"}),
        json!({"canvas_id": id, "environment_name": "Staging"}),
        json!({"canvas_id": id, "environment_name": "a--b"}),
        json!({"canvas_id": id, "environment_name": "a".repeat(65)}),
        json!({"canvas_id": 42}),
        json!({"canvas_id": id, "variables": "x"}),
        json!({"canvas_id": id, "messages": {"role": "user"}}),
        json!({"canvas_id": id, "override": []}),
    ] {
        let a = complete(&emu, body.clone()).await;
        assert_error(&a, 400, "INVALID_SCHEMA");
    }
    let a = complete(&emu, json!({"canvas_id": id, "version_id": v})).await;
    assert!(
        a.body["message"].as_str().unwrap().contains("Exactly one"),
        "{}",
        a.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_targets_and_routes_are_404() {
    let emu = start().await;
    let info = canvas(&emu, CanvasSpec::default());
    let cases = [
        (json!({"canvas_id": "nope"}), "Canvas not found"),
        (json!({"version_id": "nope"}), "Version not found"),
        (json!({"application_id": "nope"}), "Application not found"),
        (
            json!({"canvas_id": info.id, "environment_name": "staging"}),
            "Environment not found or has no published version",
        ),
    ];
    for (body, message) in cases {
        let a = complete(&emu, body).await;
        assert_error(&a, 404, "NOT_FOUND");
        assert_eq!(a.body["message"], message);
    }
    let base = emu.base_url();
    assert_error(
        &send(client().get(format!("{base}/nope"))).await,
        404,
        "NOT_FOUND",
    );
    let authed = send(client().get(format!("{base}/v2/nope")).bearer_auth(KEY)).await;
    assert_error(&authed, 404, "NOT_FOUND");
    let wrong_method = send(
        client()
            .get(format!("{base}/v2/chat/completions"))
            .bearer_auth(KEY),
    )
    .await;
    assert_error(&wrong_method, 405, "METHOD_NOT_ALLOWED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_completion_renders_the_template() {
    let emu = start().await;
    let info = canvas(
        &emu,
        CanvasSpec {
            template: "Summarise {{ doc }} in {{lang}} ({{n}} words) {{unknown}}".into(),
            allow_missing_variables: true,
            ..Default::default()
        },
    );
    let a = complete(
        &emu,
        json!({
            "canvas_id": info.id,
            "variables": {"doc": {"file_url": "https://x/y.pdf"}, "lang": "en", "n": 50},
            "messages": [{"role": "user", "content": "hi"}],
        }),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.headers["content-type"], "application/json");
    assert_request_id(&a.headers);
    let b = &a.body;
    assert!(b["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(b["object"], "chat.completion");
    assert!(b["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(b["model"], "gpt-4o");
    let choice = &b["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(
        choice["message"],
        json!({
            "role": "assistant",
            "content": "Summarise [file: https://x/y.pdf] in en (50 words) {{unknown}}",
            "function_call": null,
            "tool_calls": [],
        })
    );
    let usage = &b["usage"];
    assert_eq!(usage["completion_tokens"], 8);
    // The prompt also carries the message ("user: hi").
    assert_eq!(usage["prompt_tokens"], 10);
    assert_eq!(usage["total_tokens"], 18);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_variables_are_a_400_naming_them() {
    let emu = start().await;
    let info = canvas(
        &emu,
        CanvasSpec {
            template: "Summarise {{document}} in {{lang}}".into(),
            reply: Some(json!("Summary ({{tone}})")),
            ..Default::default()
        },
    );
    let typo = complete(
        &emu,
        json!({"canvas_id": info.id, "variables": {"documnet": "x", "lang": "en"}}),
    )
    .await;
    assert_error(&typo, 400, "MISSING_VARIABLES");
    let message = typo.body["message"].as_str().unwrap();
    assert!(message.contains(r#""document", "tone""#), "{message}");
    assert!(
        message.contains(r#"(sent: "documnet", "lang")"#),
        "{message}"
    );
    assert!(message.contains("allow_missing_variables"), "{message}");
    // Async runs are checked before a run is created.
    let run = complete(&emu, json!({"canvas_id": info.id, "async": true})).await;
    assert_error(&run, 400, "MISSING_VARIABLES");
    // A null value counts as sent.
    let ok = complete(
        &emu,
        json!({"canvas_id": info.id, "variables": {"document": null, "lang": "en", "tone": "dry"}}),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    // Server-wide opt-out: the placeholders stay in the text.
    let lax = tela_emulator::Emulator::start(tela_emulator::EmulatorConfig {
        allow_missing_variables: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = canvas(
        &lax,
        CanvasSpec {
            template: "Summarise {{document}}".into(),
            ..Default::default()
        },
    );
    let a = complete(&lax, json!({"canvas_id": info.id})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["choices"][0]["message"]["content"],
        "Summarise {{document}}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_structured_replies_and_model_override() {
    let emu = start().await;
    let text = canvas(
        &emu,
        CanvasSpec {
            reply: Some(json!("Hello {{name}}!")),
            model: Some("claude-x".into()),
            ..Default::default()
        },
    );
    let a = complete(
        &emu,
        json!({"canvas_id": text.id, "variables": {"name": "Ada"}}),
    )
    .await;
    assert_eq!(a.body["choices"][0]["message"]["content"], "Hello Ada!");
    assert_eq!(a.body["model"], "claude-x");
    let a = complete(
        &emu,
        json!({"canvas_id": text.id, "variables": {"name": "Ada"}, "override": {"model": "gpt-5", "type": "chat"}}),
    )
    .await;
    assert_eq!(a.body["model"], "gpt-5");

    let structured = canvas(
        &emu,
        CanvasSpec {
            id: Some("invoice".into()),
            reply: Some(json!({"total": 42, "currency": "EUR"})),
            ..Default::default()
        },
    );
    assert_eq!(structured.id, "invoice");
    let a = complete(
        &emu,
        json!({"canvas_id": "invoice", "override": {"structured_output": {"enabled": true}}}),
    )
    .await;
    assert_eq!(
        a.body["choices"][0]["message"]["content"],
        json!({"total": 42, "currency": "EUR"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_and_environments() {
    let emu = start().await;
    let info = canvas(
        &emu,
        CanvasSpec {
            id: Some("c1".into()),
            reply: Some(json!("prod")),
            versions: vec![
                VersionSpec {
                    id: Some("v-draft".into()),
                    template: "draft {{x}}".into(),
                    reply: None,
                    ..Default::default()
                },
                VersionSpec {
                    id: Some("v-old".into()),
                    reply: Some(json!({"old": true})),
                    ..Default::default()
                },
            ],
            environments: [
                ("staging".to_owned(), "v-draft".to_owned()),
                ("qa-2".to_owned(), "v-old".to_owned()),
            ]
            .into(),
            ..Default::default()
        },
    );
    assert_eq!(info.version_ids.len(), 3);
    assert_eq!(info.version_ids[0], info.production_version_id);
    assert_eq!(&info.version_ids[1..], ["v-draft", "v-old"]);

    let content = |a: Answer| a.body["choices"][0]["message"]["content"].clone();
    let vars = json!({"x": "1"});
    let run = |body: Value| complete(&emu, body);
    assert_eq!(content(run(json!({"canvas_id": "c1"})).await), "prod");
    assert_eq!(
        content(run(json!({"canvas_id": "c1", "environment_name": "production"})).await),
        "prod"
    );
    assert_eq!(
        content(
            run(json!({"canvas_id": "c1", "environment_name": "staging", "variables": vars})).await
        ),
        "draft 1"
    );
    assert_eq!(
        content(run(json!({"canvas_id": "c1", "environment_name": "qa-2"})).await),
        json!({"old": true})
    );
    assert_eq!(
        content(run(json!({"version_id": "v-draft", "variables": vars})).await),
        "draft 1"
    );
    assert_eq!(
        content(run(json!({"version_id": info.production_version_id})).await),
        "prod"
    );

    // Registration errors.
    let dup = emu.add_canvas(CanvasSpec {
        id: Some("c1".into()),
        ..Default::default()
    });
    assert!(matches!(dup, Err(EmulatorError::DuplicateCanvas(_))));
    let dup_version = emu.add_canvas(CanvasSpec {
        versions: vec![VersionSpec {
            id: Some("v-old".into()),
            ..Default::default()
        }],
        ..Default::default()
    });
    assert!(matches!(
        dup_version,
        Err(EmulatorError::DuplicateVersion(_))
    ));
    let unknown = emu.add_canvas(CanvasSpec {
        environments: [("staging".to_owned(), "nope".to_owned())].into(),
        ..Default::default()
    });
    assert!(matches!(unknown, Err(EmulatorError::UnknownVersion { .. })));
    let bad_name = emu.add_canvas(CanvasSpec {
        environments: [("Staging".to_owned(), "nope".to_owned())].into(),
        ..Default::default()
    });
    assert!(matches!(
        bad_name,
        Err(EmulatorError::InvalidEnvironment(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_replies() {
    let emu = start().await;
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let seen2 = seen.clone();
    let reply: ReplyFn = Arc::new(move |input: Value| {
        seen2.lock().unwrap().push(input.clone());
        match input["variables"]["mode"].as_str() {
            Some("text") => Ok(json!(format!("got {}", input["prompt"].as_str().unwrap()))),
            Some("object") => Ok(json!({"echo": input["variables"]})),
            Some("slow") => {
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok(json!("slow"))
            }
            Some("panic") => panic!("callback bug"),
            _ => Err("no mode".to_owned()),
        }
    });
    let info = emu
        .add_canvas_with_callback(
            CanvasSpec {
                template: "Mode {{mode}}".into(),
                reply: Some(json!("ignored")),
                ..Default::default()
            },
            reply,
        )
        .unwrap();
    let a = complete(
        &emu,
        json!({
            "canvas_id": info.id,
            "variables": {"mode": "text"},
            "messages": [{"role": "user", "content": "and more"}],
            "override": {"temperature": 0.1},
        }),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.body["choices"][0]["message"]["content"],
        "got Mode text\n\nuser: and more"
    );
    let input = seen.lock().unwrap()[0].clone();
    assert_eq!(input["canvas_id"], info.id.as_str());
    assert_eq!(input["version_id"], info.production_version_id.as_str());
    assert_eq!(input["environment_name"], "production");
    assert_eq!(input["override"], json!({"temperature": 0.1}));
    assert_eq!(input["messages"][0]["content"], "and more");
    assert_eq!(input["headers"]["authorization"], "Bearer ***-key");
    assert_eq!(input["headers"]["content-type"], "application/json");

    let a = complete(
        &emu,
        json!({"version_id": info.production_version_id, "variables": {"mode": "object"}}),
    )
    .await;
    assert_eq!(
        a.body["choices"][0]["message"]["content"],
        json!({"echo": {"mode": "object"}})
    );
    assert_eq!(seen.lock().unwrap()[1]["environment_name"], Value::Null);

    // Blocking callbacks run concurrently (spawn_blocking), not one after the other on a worker.
    let t = std::time::Instant::now();
    let body = json!({"canvas_id": info.id, "variables": {"mode": "slow"}});
    let (a, b, c) = tokio::join!(
        complete(&emu, body.clone()),
        complete(&emu, body.clone()),
        complete(&emu, body)
    );
    assert!(a.status == 200 && b.status == 200 && c.status == 200);
    // Serially this would take 900 ms.
    assert!(t.elapsed() < std::time::Duration::from_millis(800));

    let err = complete(
        &emu,
        json!({"canvas_id": info.id, "variables": {"mode": null}}),
    )
    .await;
    assert_error(&err, 500, "CALLBACK_ERROR");
    assert_eq!(err.body["message"], "no mode");
    let panicked = complete(
        &emu,
        json!({"canvas_id": info.id, "variables": {"mode": "panic"}}),
    )
    .await;
    assert_error(&panicked, 500, "CALLBACK_ERROR");
    // The server is still fine afterwards.
    let ok = complete(
        &emu,
        json!({"canvas_id": info.id, "variables": {"mode": "text"}}),
    )
    .await;
    assert_eq!(ok.status, 200);
}
