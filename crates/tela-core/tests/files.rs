//! Files through the core against the emulator over real TCP: placeholders resolved inline
//! or through the vault, the upload op, failures (typed, nothing sent) and PUT retries.

use base64::Engine;
use bytes::Bytes;
use serde_json::{Value, json};
use tela_core::api::{self, Args};
use tela_core::config::Api;
use tela_core::files::{FileSource, UploadMode};
use tela_core::transport::CallOptions;
use tela_core::{Client, ClientConfig, ConfigInput, Error};
use tela_emulator::{CanvasSpec, Emulator, EmulatorConfig, FaultSpec};

async fn setup(max_retries: i64) -> (Emulator, Client, String) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let canvas = emu
        .add_canvas(CanvasSpec {
            template: "{{doc}}".into(),
            ..Default::default()
        })
        .unwrap();
    let input = ConfigInput {
        api_key: Some("test-key".into()),
        base_url: Some(emu.base_url()),
        max_retries: Some(max_retries),
        ..Default::default()
    };
    let client =
        Client::new(ClientConfig::resolve_with(Api::Tela, input, |_| None).unwrap()).unwrap();
    (emu, client, canvas.id)
}

fn bytes(data: &'static [u8], name: &str) -> FileSource {
    FileSource::from_bytes(Bytes::from_static(data))
        .unwrap()
        .with_name(Some(name.into()))
        .unwrap()
}

fn args(body: Value, files: Vec<FileSource>) -> Args {
    Args {
        body: body.as_object().unwrap().clone(),
        files,
        ..Default::default()
    }
}

/// The body of the last completion the emulator received.
fn sent(emu: &Emulator) -> Value {
    emu.requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/v2/chat/completions")
        .expect("a completion was sent")
        .body
}

#[tokio::test]
async fn placeholders_become_inline_vault_and_url_references() {
    let (emu, client, canvas) = setup(0).await;
    let files = vec![
        bytes(b"inline me", "a.txt")
            .with_range(Some((0, 1)))
            .unwrap(),
        bytes(b"upload me", "b.txt").with_upload(Some(UploadMode::Vault)),
        FileSource::from_url("https://example.com/c.pdf").unwrap(),
    ];
    let body = json!({
        "canvas_id": canvas,
        "variables": {"doc": [{"$tela_file": 0}, {"$tela_file": 1}, {"$tela_file": 2}]},
        "messages": [{"role": "user", "content": {"$tela_file": 0}}],
    });
    let resp = api::call(
        &client,
        "completions.create",
        args(body, files),
        &CallOptions::default(),
    )
    .await
    .unwrap();
    let content: Value = serde_json::from_slice(&resp.body).unwrap();
    assert!(content["choices"][0]["message"]["content"].is_string());
    let body = sent(&emu);
    let doc = &body["variables"]["doc"];
    let b64 = base64::engine::general_purpose::STANDARD.encode("inline me");
    assert_eq!(
        doc[0],
        json!({"file_url": format!("data:text/plain;base64,{b64}"), "options": {"range": [0, 1]}})
    );
    let stored = emu.files();
    assert_eq!(stored.len(), 1);
    assert_eq!(doc[1], json!({"file_url": stored[0].file_url}));
    assert_eq!(stored[0].text.as_deref(), Some("upload me"));
    assert_eq!(doc[2], json!({"file_url": "https://example.com/c.pdf"}));
    assert_eq!(body["messages"][0]["content"], doc[0]);
}

#[tokio::test]
async fn client_policy_and_auto_threshold() {
    let (emu, client, canvas) = setup(0).await;
    let client = client
        .with_options(ConfigInput {
            upload: Some("vault".into()),
            ..Default::default()
        })
        .unwrap();
    let body = json!({"canvas_id": canvas, "variables": {"doc": {"$tela_file": 0}}});
    api::call(
        &client,
        "completions.create",
        args(body.clone(), vec![bytes(b"small", "s.txt")]),
        &CallOptions::default(),
    )
    .await
    .unwrap();
    assert!(
        sent(&emu)["variables"]["doc"]["file_url"]
            .as_str()
            .unwrap()
            .starts_with("vault://")
    );
    let auto = client
        .with_options(ConfigInput {
            upload: Some("auto".into()),
            ..Default::default()
        })
        .unwrap();
    let big = vec![7u8; (tela_core::tela::files::INLINE_FILE_LIMIT + 1) as usize];
    let src = FileSource::from_bytes(Bytes::from(big)).unwrap();
    api::call(
        &auto,
        "completions.create",
        args(body, vec![src]),
        &CallOptions::default(),
    )
    .await
    .unwrap();
    assert!(
        sent(&emu)["variables"]["doc"]["file_url"]
            .as_str()
            .unwrap()
            .starts_with("vault://")
    );
}

#[tokio::test]
async fn upload_op_answers_the_vault_reference() {
    let (emu, client, _) = setup(0).await;
    let resp = api::call(
        &client,
        "files.upload",
        args(json!({}), vec![bytes(b"%PDF-1.4 tiny", "doc")]),
        &CallOptions::default(),
    )
    .await
    .unwrap();
    let v: Value = serde_json::from_slice(&resp.body).unwrap();
    let id = v["id"].as_str().unwrap();
    assert_eq!(v["file_url"], format!("vault://{id}"));
    assert_eq!(
        (&v["name"], &v["mime_type"], &v["size"]),
        (&json!("doc"), &json!("application/pdf"), &json!(13))
    );
    assert!(resp.request_id.is_some());
    let info = api::call(
        &client,
        "files.retrieve",
        args(json!({"id": id}), vec![]),
        &CallOptions::default(),
    )
    .await
    .unwrap();
    let info: Value = serde_json::from_slice(&info.body).unwrap();
    assert_eq!(info["status"], "uploaded");
    assert_eq!(emu.files()[0].size, Some(13));
}

#[tokio::test]
async fn upload_failures_are_typed_and_nothing_is_sent() {
    let (emu, client, canvas) = setup(0).await;
    emu.add_fault(FaultSpec {
        path: Some("/uploads/".into()),
        status: Some(500),
        times: 3,
        ..Default::default()
    });
    let body = json!({"canvas_id": canvas, "variables": {"doc": {"$tela_file": 0}}});
    let file = bytes(b"x", "x.txt").with_upload(Some(UploadMode::Vault));
    let err = api::call(
        &client,
        "completions.create",
        args(body, vec![file]),
        &CallOptions::default(),
    )
    .await
    .unwrap_err();
    match &err {
        Error::Upload {
            file,
            stage,
            source,
        } => {
            assert_eq!((file.as_str(), *stage), ("x.txt", "PUT to the upload URL"));
            assert!(matches!(**source, Error::Status(ref s) if s.status == 500));
        }
        other => panic!("expected an upload error, got {other:?}"),
    }
    assert!(!err.to_string().contains("token="), "{err}");
    assert!(
        emu.requests()
            .iter()
            .all(|r| r.path != "/v2/chat/completions")
    );
}

#[tokio::test]
async fn the_put_is_retried_the_create_is_not() {
    let (emu, client, _) = setup(2).await;
    emu.add_fault(FaultSpec {
        path: Some("/uploads/".into()),
        status: Some(503),
        times: 1,
        ..Default::default()
    });
    api::call(
        &client,
        "files.upload",
        args(json!({}), vec![bytes(b"retried", "r.txt")]),
        &CallOptions::default(),
    )
    .await
    .unwrap();
    let methods: Vec<String> = emu.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["POST", "PUT", "PUT"]);
    assert_eq!(emu.files()[0].text.as_deref(), Some("retried"));

    emu.clear_requests();
    emu.add_fault(FaultSpec {
        path: Some("/v3/files".into()),
        status: Some(500),
        times: 3,
        ..Default::default()
    });
    let err = api::call(
        &client,
        "files.upload",
        args(json!({}), vec![bytes(b"never", "n.txt")]),
        &CallOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Upload {
                stage: "POST /v3/files",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(emu.requests().len(), 1);
}

#[tokio::test]
async fn files_reach_only_operations_that_take_them() {
    let (_emu, client, _) = setup(0).await;
    let err = api::call(
        &client,
        "files.retrieve",
        args(json!({"id": "x"}), vec![bytes(b"x", "x")]),
        &CallOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("does not take"), "{err}");
}
