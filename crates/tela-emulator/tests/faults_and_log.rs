//! Injected faults, the request log and the admin API, over real TCP.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tela_emulator::{CanvasInfo, CanvasSpec, FaultSpec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_fault_n_times_with_retry_hints() {
    let emu = start().await;
    let info = canvas(&emu, CanvasSpec::default());
    emu.add_fault(FaultSpec {
        path: Some("/v2/chat".into()),
        method: Some("post".into()),
        status: Some(503),
        times: 2,
        retry_after: Some("1".into()),
        retry_after_ms: Some(1500),
        headers: [("x-should-retry".to_owned(), "true".to_owned())].into(),
        ..Default::default()
    });
    let body = json!({"canvas_id": info.id});
    for _ in 0..2 {
        let a = complete(&emu, body.clone()).await;
        assert_error(&a, 503, "SERVICE_UNAVAILABLE");
        assert_eq!(a.headers["retry-after"], "1");
        assert_eq!(a.headers["retry-after-ms"], "1500");
        assert_eq!(a.headers["x-should-retry"], "true");
    }
    let a = complete(&emu, body).await;
    assert_eq!(a.status, 200);
    assert!(a.headers.get("retry-after").is_none());
    let statuses: Vec<u16> = emu.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_match_in_order_before_auth_and_by_path_and_method() {
    let emu = start().await;
    let info = canvas(&emu, CanvasSpec::default());
    emu.add_fault(FaultSpec {
        path: Some("/v3/files".into()),
        status: Some(500),
        ..Default::default()
    });
    emu.add_fault(FaultSpec {
        method: Some("GET".into()),
        status: Some(502),
        ..Default::default()
    });
    emu.add_fault(FaultSpec {
        status: Some(429),
        body: Some(json!({"error": {"message": "slow down"}})),
        ..Default::default()
    });
    emu.add_fault(FaultSpec {
        status: Some(502),
        body: Some(json!("<html>Bad gateway</html>")),
        ..Default::default()
    });
    let url = format!("{}/v2/chat/completions", emu.base_url());
    // No auth header: the fault still answers (faults come before auth).
    let a = send(client().post(&url).json(&json!({"canvas_id": info.id}))).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.body, json!({"error": {"message": "slow down"}}));
    assert_request_id(&a.headers);
    let raw = client()
        .post(&url)
        .bearer_auth(KEY)
        .json(&json!({"canvas_id": info.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 502);
    assert!(
        raw.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(raw.text().await.unwrap(), "<html>Bad gateway</html>");
    // The /v3/files and GET faults are still armed; the POST goes through.
    assert_eq!(
        complete(&emu, json!({"canvas_id": info.id})).await.status,
        200
    );
    emu.clear_faults();
    let a = send(
        client()
            .get(format!("{}/v2/x", emu.base_url()))
            .bearer_auth(KEY),
    )
    .await;
    assert_error(&a, 404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_fault_then_normal_handling() {
    let emu = start().await;
    let info = canvas(&emu, CanvasSpec::default());
    emu.add_fault(FaultSpec {
        delay_ms: 300,
        ..Default::default()
    });
    let t = Instant::now();
    let a = complete(&emu, json!({"canvas_id": info.id})).await;
    assert!(
        t.elapsed() >= Duration::from_millis(290),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(a.status, 200);
    let t = Instant::now();
    complete(&emu, json!({"canvas_id": info.id})).await;
    assert!(t.elapsed() < Duration::from_millis(250));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_fault_closes_without_a_response() {
    let emu = start().await;
    let info = canvas(&emu, CanvasSpec::default());
    emu.add_fault(FaultSpec {
        drop: true,
        delay_ms: 50,
        ..Default::default()
    });
    let c = client();
    let err = c
        .post(format!("{}/v2/chat/completions", emu.base_url()))
        .bearer_auth(KEY)
        .json(&json!({"canvas_id": info.id}))
        .send()
        .await
        .expect_err("no response");
    assert!(!err.is_status(), "{err:?}");
    let log = emu.requests();
    assert_eq!(log.len(), 1, "not retried by the client: {log:?}");
    assert_eq!(log[0].status, 0);

    // Also at the byte level: the socket closes with nothing written.
    emu.add_fault(FaultSpec {
        drop: true,
        ..Default::default()
    });
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", emu.port()))
        .await
        .unwrap();
    s.write_all(b"GET /v2/anything HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    assert!(buf.is_empty(), "{:?}", String::from_utf8_lossy(&buf));

    // And the next request is served normally.
    assert_eq!(
        complete(&emu, json!({"canvas_id": info.id})).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_log_masks_auth_and_skips_admin() {
    let emu = start().await;
    let base = emu.base_url();
    let c = client();
    // Admin traffic, none of which is recorded.
    let health = send(c.get(format!("{base}/_emulator/health"))).await;
    assert_eq!(health.body, json!({"ok": true}));
    assert_request_id(&health.headers);
    let info: CanvasInfo = c
        .post(format!("{base}/_emulator/canvases"))
        .json(&json!({"template": "Hi {{name}}"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let body = json!({"canvas_id": info.id, "variables": {"name": "Ada"}});
    let a = send(
        c.post(format!("{base}/v2/chat/completions?trace=1&x=y"))
            .bearer_auth("test-key")
            .header("X-Custom", "Value")
            .json(&body),
    )
    .await;
    assert_eq!(a.body["choices"][0]["message"]["content"], "Hi Ada");
    let unauth = send(
        c.post(format!("{base}/v2/chat/completions"))
            .bearer_auth("sk-live-secret-9876")
            .body("not json"),
    )
    .await;
    assert_eq!(unauth.status, 401);
    let _ = send(c.get(format!("{base}/_emulator/requests"))).await;

    let log = emu.requests();
    assert_eq!(log.len(), 2, "{log:#?}");
    let first = &log[0];
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/v2/chat/completions");
    assert_eq!(first.query, "trace=1&x=y");
    assert_eq!(first.headers["authorization"], "Bearer ***-key");
    assert_eq!(first.headers["x-custom"], "Value");
    assert_eq!(first.body, body);
    assert_eq!(first.body_len, body.to_string().len());
    assert_eq!(first.status, 200);
    assert!(first.time_ms > 1_600_000_000_000);
    let second = &log[1];
    assert_eq!(second.headers["authorization"], "Bearer ***9876");
    assert_eq!(second.body, serde_json::Value::Null);
    assert_eq!(second.body_len, 8);
    assert_eq!(second.status, 401);
    let dump = serde_json::to_string(&log).unwrap();
    assert!(!dump.contains("sk-live-secret"));

    // The same log over the admin API, then cleared through it.
    let over_http = send(c.get(format!("{base}/_emulator/requests"))).await;
    assert_eq!(over_http.body, serde_json::to_value(&log).unwrap());
    let cleared = send(c.delete(format!("{base}/_emulator/requests"))).await;
    assert_eq!(cleared.status, 200);
    assert!(emu.requests().is_empty());
    emu.clear_requests();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_manages_canvases_and_faults() {
    let emu = start().await;
    let base = emu.base_url();
    let c = client();
    let spec = json!({
        "id": "admin-canvas",
        "reply": {"ok": 1},
        "versions": [{"id": "admin-v2", "reply": "v2"}],
        "environments": {"beta": "admin-v2"},
        "stream": {"chunk_size": 2, "done": false}
    });
    let created = send(c.post(format!("{base}/_emulator/canvases")).json(&spec)).await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["id"], "admin-canvas");
    assert_eq!(created.body["version_ids"][1], "admin-v2");
    let dup = send(c.post(format!("{base}/_emulator/canvases")).json(&spec)).await;
    assert_error(&dup, 409, "CONFLICT");
    let bad = send(
        c.post(format!("{base}/_emulator/canvases"))
            .json(&json!({"environments": {"x": "missing"}})),
    )
    .await;
    assert_error(&bad, 400, "INVALID_SCHEMA");
    let garbage = send(c.post(format!("{base}/_emulator/canvases")).body("{")).await;
    assert_error(&garbage, 400, "INVALID_REQUEST");

    let a = complete(
        &emu,
        json!({"canvas_id": "admin-canvas", "environment_name": "beta"}),
    )
    .await;
    assert_eq!(a.body["choices"][0]["message"]["content"], "v2");

    let fault = send(
        c.post(format!("{base}/_emulator/faults"))
            .json(&json!({"status": 418, "times": 5})),
    )
    .await;
    assert_eq!(fault.status, 200);
    let bad_fault = send(
        c.post(format!("{base}/_emulator/faults"))
            .json(&json!({"status": 42})),
    )
    .await;
    assert_error(&bad_fault, 400, "INVALID_SCHEMA");
    // Admin requests are never faulted.
    assert_eq!(
        send(c.get(format!("{base}/_emulator/health"))).await.status,
        200
    );
    let teapot = complete(&emu, json!({"canvas_id": "admin-canvas"})).await;
    assert_error(&teapot, 418, "ERROR");
    send(c.delete(format!("{base}/_emulator/faults"))).await;
    assert_eq!(
        complete(&emu, json!({"canvas_id": "admin-canvas"}))
            .await
            .status,
        200
    );
    assert_error(
        &send(c.get(format!("{base}/_emulator/nope"))).await,
        404,
        "NOT_FOUND",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_the_listener() {
    let emu = start().await;
    let port = emu.port();
    assert_eq!(emu.base_url(), format!("http://127.0.0.1:{port}"));
    emu.shutdown();
    emu.shutdown();
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "listener still open after shutdown");
}
