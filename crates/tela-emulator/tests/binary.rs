//! The standalone `tela-emulator` binary: flags, the one stdout line, canvases from files.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{client, send};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_serves_canvases_from_files() {
    let dir = std::env::temp_dir().join(format!("tela-emulator-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("canvases.json");
    std::fs::write(
        &file,
        json!([{"id": "from-file", "reply": "Hi {{who}}"}, {"id": "second"}]).to_string(),
    )
    .unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_tela-emulator"))
        .args(["--port", "0", "--api-key", "k1", "--api-key=k2", "--canvas"])
        .arg(&file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let a = send(
        client()
            .post(format!("{base}/v2/chat/completions"))
            .bearer_auth("k2")
            .json(&json!({"canvas_id": "from-file", "variables": {"who": "file"}})),
    )
    .await;
    assert_eq!(a.body["choices"][0]["message"]["content"], "Hi file");
    let default_key = send(
        client()
            .post(format!("{base}/v2/chat/completions"))
            .bearer_auth("test-key")
            .json(&json!({"canvas_id": "second"})),
    )
    .await;
    assert_eq!(
        default_key.status, 401,
        "--api-key replaces the default key"
    );

    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn binary_rejects_bad_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_tela-emulator"))
        .args(["--port", "not-a-port"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid port"));
}

#[test]
fn binary_exits_when_stdin_closes_if_asked() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tela-emulator"))
        .arg("--exit-on-stdin-close")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"));
    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success());
}
