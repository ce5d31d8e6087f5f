//! The file endpoints over real TCP: `/v3/files` (+ compatibility date), the upload URL it
//! returns, `GET /v3/files/{id}`, the legacy `/v2/file`, and files inside completions.

mod common;

use std::sync::{Arc, Mutex};

use base64::Engine;
use common::{KEY, assert_error, client, complete, send, start};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tela_emulator::{CanvasSpec, Emulator, FaultSpec};

fn hex_sha(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn create_file(emu: &Emulator, name: &str) -> (String, String) {
    let answer = send(
        client()
            .post(format!("{}/v3/files", emu.base_url()))
            .bearer_auth(KEY)
            .header("x-compatibility-date", "2025-07-23")
            .json(&json!({"fileName": name})),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    (
        answer.body["id"].as_str().unwrap().to_owned(),
        answer.body["uploadUrl"].as_str().unwrap().to_owned(),
    )
}

async fn put(url: &str, data: Vec<u8>, mime: &str) -> reqwest::Response {
    client()
        .put(url)
        .header("content-type", mime)
        .body(data)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn v3_files_needs_a_compatibility_date_a_name_and_a_key() {
    let emu = start().await;
    let url = format!("{}/v3/files", emu.base_url());
    let missing = send(
        client()
            .post(&url)
            .bearer_auth(KEY)
            .json(&json!({"fileName": "a.txt"})),
    )
    .await;
    assert_error(&missing, 400, "MISSING_COMPATIBILITY_DATE");
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap()
            .contains("x-compatibility-date")
    );
    let malformed = send(
        client()
            .post(&url)
            .bearer_auth(KEY)
            .header("x-compatibility-date", "yesterday")
            .json(&json!({"fileName": "a.txt"})),
    )
    .await;
    assert_error(&malformed, 400, "INVALID_COMPATIBILITY_DATE");
    let nameless = send(
        client()
            .post(&url)
            .bearer_auth(KEY)
            .header("x-compatibility-date", "2025-07-23")
            .json(&json!({})),
    )
    .await;
    assert_error(&nameless, 400, "INVALID_SCHEMA");
    let anonymous = send(
        client()
            .post(&url)
            .header("x-compatibility-date", "2025-07-23")
            .json(&json!({"fileName": "a.txt"})),
    )
    .await;
    assert_error(&anonymous, 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn upload_url_receives_streams_and_get_reports_them() {
    let emu = start().await;
    let (id, upload_url) = create_file(&emu, "big.bin").await;
    assert!(upload_url.starts_with(&format!("{}/uploads/{id}?token=", emu.base_url())));
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let resp = put(&upload_url, data.clone(), "application/octet-stream").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["etag"].to_str().unwrap(),
        format!("\"{}\"", hex_sha(&data))
    );
    let stored = &emu.files()[0];
    assert_eq!(
        (
            stored.uploaded,
            stored.size,
            stored.sha256.clone(),
            stored.text.clone()
        ),
        (true, Some(3_000_000), Some(hex_sha(&data)), None)
    );
    let log = emu.requests();
    let recorded = log.iter().find(|r| r.method == "PUT").unwrap();
    assert_eq!(recorded.body_len, 3_000_000);
    assert_eq!(recorded.body["file"]["sha256"], hex_sha(&data));

    let info = send(
        client()
            .get(format!("{}/v3/files/{id}", emu.base_url()))
            .bearer_auth(KEY)
            .header("x-compatibility-date", "2025-07-23"),
    )
    .await;
    assert_eq!(info.status, 200);
    assert_eq!(
        (
            &info.body["fileName"],
            &info.body["status"],
            &info.body["size"]
        ),
        (&json!("big.bin"), &json!("uploaded"), &json!(3_000_000))
    );
    let unknown = send(
        client()
            .get(format!("{}/v3/files/nope", emu.base_url()))
            .bearer_auth(KEY)
            .header("x-compatibility-date", "2025-07-23"),
    )
    .await;
    assert_error(&unknown, 404, "NOT_FOUND");
}

#[tokio::test]
async fn upload_url_checks_its_token() {
    let emu = start().await;
    let (id, upload_url) = create_file(&emu, "a.txt").await;
    let wrong = upload_url.split("?token=").next().unwrap().to_owned() + "?token=bad";
    assert_eq!(put(&wrong, b"x".to_vec(), "text/plain").await.status(), 403);
    let unknown = format!("{}/uploads/unknown?token=x", emu.base_url());
    assert_eq!(
        put(&unknown, b"x".to_vec(), "text/plain").await.status(),
        404
    );
    assert!(!emu.files()[0].uploaded, "{id}");
}

#[tokio::test]
async fn a_fault_on_the_upload_path_still_reads_the_body() {
    let emu = start().await;
    let (_, upload_url) = create_file(&emu, "a.bin").await;
    emu.add_fault(FaultSpec {
        path: Some("/uploads/".into()),
        status: Some(500),
        ..Default::default()
    });
    let resp = put(
        &upload_url,
        vec![1u8; 2_000_000],
        "application/octet-stream",
    )
    .await;
    assert_eq!(resp.status(), 500);
    assert!(!emu.files()[0].uploaded);
    let resp = put(&upload_url, vec![1u8; 10], "application/octet-stream").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(emu.files()[0].uploads, 1);
}

#[tokio::test]
async fn legacy_v2_file() {
    let emu = start().await;
    let answer = send(
        client()
            .post(format!("{}/v2/file", emu.base_url()))
            .bearer_auth(KEY),
    )
    .await;
    assert_eq!(answer.status, 200);
    let upload = answer.body["upload_url"].as_str().unwrap();
    let download = answer.body["download_url"].as_str().unwrap();
    assert_eq!(
        put(upload, b"legacy text".to_vec(), "text/plain")
            .await
            .status(),
        200
    );
    assert_eq!(emu.files()[0].file_url, download);
    assert_eq!(emu.files()[0].text.as_deref(), Some("legacy text"));
}

/// A canvas whose callback keeps the `files` it was given.
fn recording(emu: &Emulator) -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = seen.clone();
    let canvas = emu
        .add_canvas_with_callback(
            CanvasSpec {
                template: "Read {{doc}}".into(),
                ..Default::default()
            },
            Arc::new(move |input: Value| {
                keep.lock().unwrap().push(input["files"].clone());
                Ok(input["prompt"].clone())
            }),
        )
        .unwrap();
    (canvas.id, seen)
}

#[tokio::test]
async fn completions_see_their_files() {
    let emu = start().await;
    let (canvas, seen) = recording(&emu);
    let (id, upload_url) = create_file(&emu, "notes.txt").await;
    put(&upload_url, b"uploaded notes".to_vec(), "text/plain").await;
    let pdf = b"%PDF-1.4 tiny";
    let inline = format!(
        "data:application/pdf;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(pdf)
    );
    let answer = complete(
        &emu,
        json!({
            "canvas_id": canvas,
            "variables": {"doc": [
                {"file_url": format!("vault://{id}"), "options": {"range": [0, 2], "parser_type": "fast"}},
                {"file_url": inline},
                {"file_url": "https://example.com/a/report.pdf?x=1"},
            ]},
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, {"file_url": "data:,plain%20text"}]}],
        }),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.body["choices"][0]["message"]["content"],
        "Read [file: notes.txt], [file: inline data], [file: https://example.com/a/report.pdf?x=1]\n\nuser: hi\n[file: inline data]"
    );
    let files = seen.lock().unwrap()[0].clone();
    assert_eq!(files.as_array().unwrap().len(), 4);
    let vault = &files[0];
    assert_eq!(
        (
            &vault["source"],
            &vault["name"],
            &vault["text"],
            &vault["range"],
            &vault["parser_type"]
        ),
        (
            &json!("vault"),
            &json!("notes.txt"),
            &json!("uploaded notes"),
            &json!([0, 2]),
            &json!("fast")
        )
    );
    let data = &files[1];
    assert_eq!(
        (
            &data["source"],
            &data["mime_type"],
            &data["size"],
            &data["sha256"]
        ),
        (
            &json!("inline"),
            &json!("application/pdf"),
            &json!(pdf.len()),
            &json!(hex_sha(pdf))
        )
    );
    assert_eq!(
        (&files[2]["source"], &files[2]["name"]),
        (&json!("url"), &json!("report.pdf"))
    );
    assert_eq!(
        (
            &files[3]["used_at"],
            &files[3]["variable"],
            &files[3]["text"]
        ),
        (
            &json!("messages"),
            &json!("message-0"),
            &json!("plain text")
        )
    );
}

#[tokio::test]
async fn bad_file_references_are_rejected() {
    let emu = start().await;
    let (canvas, _) = recording(&emu);
    let (pending, _) = create_file(&emu, "never-put.txt").await;
    for (file, status, code) in [
        (json!({"file_url": "vault://unknown"}), 404, "NOT_FOUND"),
        (
            json!({"file_url": format!("vault://{pending}")}),
            404,
            "NOT_FOUND",
        ),
        (
            json!({"file_url": "data:text/plain;base64,@@@"}),
            400,
            "INVALID_SCHEMA",
        ),
        (
            json!({"file_url": "data:text/plain;base64,"}),
            400,
            "INVALID_SCHEMA",
        ),
        (json!({"file_url": "ftp://x/y"}), 400, "INVALID_SCHEMA"),
        (
            json!({"file_url": "https://x/y", "options": {"range": [3, 1]}}),
            400,
            "INVALID_SCHEMA",
        ),
        (
            json!({"file_url": "https://x/y", "options": {"parser_type": 1}}),
            400,
            "INVALID_SCHEMA",
        ),
    ] {
        let answer = complete(
            &emu,
            json!({"canvas_id": canvas, "variables": {"doc": file}}),
        )
        .await;
        assert_error(&answer, status, code);
        if status == 404 {
            assert!(
                answer.body["message"]
                    .as_str()
                    .unwrap()
                    .contains("Uploaded file not found")
            );
        }
    }
}

#[tokio::test]
async fn large_inline_bodies_are_accepted() {
    let emu = start().await;
    let (canvas, seen) = recording(&emu);
    let data = vec![42u8; 6 << 20];
    let inline = format!(
        "data:application/octet-stream;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&data)
    );
    let answer = complete(
        &emu,
        json!({"canvas_id": canvas, "variables": {"doc": {"file_url": inline}}}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(seen.lock().unwrap()[0][0]["sha256"], hex_sha(&data));
}
