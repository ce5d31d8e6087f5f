//! Helpers for the Dify tests: an app's `/v1` service API, over real TCP.

use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use tela_emulator::{DifyAppInfo, DifyAppSpec, Emulator};

use super::{Answer, client, send};

pub fn app(emu: &Emulator, spec: DifyAppSpec) -> DifyAppInfo {
    emu.add_dify_app(spec).expect("add app")
}

/// A spec that answers `text`, everything else default.
pub fn answering(text: &str) -> DifyAppSpec {
    DifyAppSpec {
        answer: Some(text.into()),
        ..Default::default()
    }
}

pub fn url(emu: &Emulator, path: &str) -> String {
    format!("{}/v1{path}", emu.base_url())
}

pub async fn post(emu: &Emulator, key: &str, path: &str, body: Value) -> Answer {
    send(client().post(url(emu, path)).bearer_auth(key).json(&body)).await
}

pub async fn get(emu: &Emulator, key: &str, path: &str) -> Answer {
    send(client().get(url(emu, path)).bearer_auth(key)).await
}

/// `POST /completion-messages`.
pub async fn completion(emu: &Emulator, key: &str, body: Value) -> Answer {
    post(emu, key, "/completion-messages", body).await
}

/// `POST /chat-messages`.
pub async fn chat(emu: &Emulator, key: &str, body: Value) -> Answer {
    post(emu, key, "/chat-messages", body).await
}

/// `POST /messages/{id}/feedbacks`.
pub async fn feedback(emu: &Emulator, key: &str, message_id: &str, body: Value) -> Answer {
    post(emu, key, &format!("/messages/{message_id}/feedbacks"), body).await
}

/// The smallest valid completion body: no inputs, user `u` (blocking).
pub fn minimal() -> Value {
    json!({"inputs": {}, "user": "u"})
}

pub fn stream_body(user: &str) -> Value {
    json!({"inputs": {}, "user": user, "response_mode": "streaming"})
}

/// Sends a POST and returns the response with its headers read and its body not.
pub async fn open(emu: &Emulator, key: &str, path: &str, body: &Value) -> reqwest::Response {
    client()
        .post(url(emu, path))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .expect("response")
}

/// The raw SSE body of a streaming completion.
pub async fn stream_text(emu: &Emulator, key: &str, body: Value) -> (String, HeaderMap) {
    let resp = open(emu, key, "/completion-messages", &body).await;
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    (resp.text().await.unwrap(), headers)
}

/// Frames of an SSE body, each checked to be `data: <json>` or `event: ping`.
pub fn frames(text: &str) -> Vec<Value> {
    assert!(text.ends_with("\n\n"), "{text:?}");
    text.strip_suffix("\n\n")
        .unwrap()
        .split("\n\n")
        .map(|frame| {
            if frame == "event: ping" {
                return json!({"event": "ping"});
            }
            let data = frame
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("bad frame {frame:?}"));
            assert!(!data.contains('\n'), "{frame:?}");
            serde_json::from_str(data).unwrap()
        })
        .collect()
}

pub fn names(frames: &[Value]) -> Vec<&str> {
    frames
        .iter()
        .map(|f| f["event"].as_str().unwrap())
        .collect()
}

/// Asserts Dify's error envelope: exactly `code`, `message`, `status`.
pub fn assert_dify_error(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status.as_u16(), status, "{}", a.body);
    assert_eq!(a.body["code"], code, "{}", a.body);
    assert_eq!(a.body["status"], status, "{}", a.body);
    assert!(a.body["message"].is_string(), "{}", a.body);
    assert_eq!(a.body.as_object().unwrap().len(), 3, "{}", a.body);
}

pub fn file_part(bytes: Vec<u8>, name: &str, mime: Option<&str>) -> Part {
    let part = Part::bytes(bytes).file_name(name.to_owned());
    match mime {
        Some(m) => part.mime_str(m).unwrap(),
        None => part,
    }
}

/// A form with one `file` part and no `user`.
pub fn one_file(bytes: Vec<u8>, name: &str, mime: Option<&str>) -> Form {
    Form::new().part("file", file_part(bytes, name, mime))
}

/// `POST /files/upload`.
pub async fn upload(emu: &Emulator, key: &str, form: Form) -> Answer {
    send(
        client()
            .post(url(emu, "/files/upload"))
            .bearer_auth(key)
            .multipart(form),
    )
    .await
}
