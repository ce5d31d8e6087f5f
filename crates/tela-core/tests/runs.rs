//! The async-run operations against the emulator over real TCP: submit, the wait stream
//! (status events, deadline, transient failures, cancellation), retrieve and list.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tela_core::api::{self, Args};
use tela_core::config::Api;
use tela_core::transport::CallOptions;
use tela_core::{Client, ClientConfig, ConfigInput, Error};
use tela_emulator::{CanvasSpec, Emulator, EmulatorConfig, FaultSpec, RunSpec};

async fn setup(run: RunSpec) -> (Emulator, Client, String) {
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let canvas = emu
        .add_canvas(CanvasSpec {
            reply: Some(json!("done")),
            run,
            ..Default::default()
        })
        .unwrap();
    let input = ConfigInput {
        api_key: Some("test-key".into()),
        base_url: Some(emu.base_url()),
        max_retries: Some(0),
        ..Default::default()
    };
    let client =
        Client::new(ClientConfig::resolve_with(Api::Tela, input, |_| None).unwrap()).unwrap();
    (emu, client, canvas.id)
}

fn quick() -> RunSpec {
    RunSpec {
        created_ms: 30,
        // Wide enough that polls (10 ms, growing 1.5x) see "running" on a loaded machine.
        running_ms: 400,
        ..Default::default()
    }
}

fn args(v: Value) -> Args {
    Args {
        body: v.as_object().unwrap().clone(),
        ..Default::default()
    }
}

async fn call(client: &Client, op: &str, body: Value) -> tela_core::Result<Value> {
    let resp = api::call(client, op, args(body), &CallOptions::default()).await?;
    Ok(serde_json::from_slice(&resp.body).unwrap())
}

/// Drains a wait stream: the events' runs, or the error that ended it.
async fn wait(client: &Client, body: Value) -> (Vec<Value>, Option<Error>) {
    let mut stream = api::stream(client, "runs.wait", args(body), &CallOptions::default())
        .await
        .unwrap();
    let mut runs = Vec::new();
    while let Some(batch) = stream.next_batch().await {
        match batch {
            Ok(events) => {
                for e in events {
                    let e: Map<String, Value> = serde_json::from_str(&e).unwrap();
                    assert!(e["request_id"].as_str().unwrap().starts_with("req_"));
                    runs.push(e["run"].clone());
                }
            }
            Err(e) => return (runs, Some(e)),
        }
    }
    (runs, None)
}

fn statuses(runs: &[Value]) -> Vec<&str> {
    runs.iter().map(|r| r["status"].as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_then_wait_reports_each_status_change() {
    let (_emu, client, canvas) = setup(quick()).await;
    let run = call(&client, "completions.submit", json!({"canvas_id": canvas}))
        .await
        .unwrap();
    assert_eq!(run["status"], "created");
    let id = run["id"].as_str().unwrap();
    let (runs, err) = wait(
        &client,
        json!({"id": id, "poll_interval": 0.01, "last_status": "created"}),
    )
    .await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(statuses(&runs), ["running", "succeeded"]);
    assert_eq!(runs[1]["output_content"]["content"], "done");
    let finished = runs[1].clone();

    // From an id alone the first status seen is reported too; a final run ends at once.
    let (runs, _) = wait(&client, json!({"id": id})).await;
    assert_eq!(statuses(&runs), ["succeeded"]);
    let (runs, err) = wait(&client, json!({"id": id, "last_status": "succeeded"})).await;
    assert!(runs.is_empty() && err.is_none());
    let fetched = call(&client, "completions.retrieve", json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(fetched, finished);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_ends_the_wait_with_the_last_status() {
    let (_emu, client, canvas) = setup(RunSpec {
        created_ms: 0,
        running_ms: 5000,
        ..Default::default()
    })
    .await;
    let run = call(&client, "completions.submit", json!({"canvas_id": canvas}))
        .await
        .unwrap();
    let started = Instant::now();
    let (runs, err) = wait(
        &client,
        json!({"id": run["id"], "timeout": 0.3, "poll_interval": 0.05}),
    )
    .await;
    let took = started.elapsed();
    // With created_ms = 0 the first poll may still catch "created"; the wait ends on "running".
    let seen = statuses(&runs);
    assert!(
        seen == ["running"] || seen == ["created", "running"],
        "{seen:?}"
    );
    match err {
        Some(Error::RunTimeout {
            what,
            run_id,
            status,
            after,
            last_error,
        }) => {
            assert_eq!(what, "run");
            assert_eq!(run_id, run["id"].as_str().unwrap());
            assert_eq!(status.as_deref(), Some("running"));
            assert_eq!(after, Duration::from_millis(300));
            assert!(last_error.is_none());
        }
        other => panic!("expected a run timeout, got {other:?}"),
    }
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_polled_through_and_others_end_the_wait() {
    let (emu, client, canvas) = setup(quick()).await;
    let run = call(&client, "completions.submit", json!({"canvas_id": canvas}))
        .await
        .unwrap();
    emu.add_fault(FaultSpec {
        path: Some("/v2/chat/completions/".into()),
        status: Some(503),
        times: 2,
        ..Default::default()
    });
    let (runs, err) = wait(&client, json!({"id": run["id"], "poll_interval": 0.01})).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(statuses(&runs).last(), Some(&"succeeded"));
    let failed_polls = emu.requests().iter().filter(|r| r.status == 503).count();
    assert_eq!(failed_polls, 2);

    let (runs, err) = wait(&client, json!({"id": "no-such-run"})).await;
    assert!(runs.is_empty());
    match err {
        Some(Error::Status(s)) => assert_eq!(s.status, 404),
        other => panic!("expected a 404, got {other:?}"),
    }

    // Failing until the deadline: the timeout names the last failure.
    emu.add_fault(FaultSpec {
        path: Some("/v2/chat/completions/".into()),
        status: Some(502),
        times: 1000,
        ..Default::default()
    });
    let (_, err) = wait(
        &client,
        json!({"id": run["id"], "timeout": 0.2, "poll_interval": 0.02}),
    )
    .await;
    let text = err.unwrap().to_string();
    assert!(
        text.contains("no poll succeeded") && text.contains("HTTP 502"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_stops_polling() {
    let (emu, client, canvas) = setup(RunSpec {
        running_ms: 10_000,
        ..Default::default()
    })
    .await;
    let run = call(&client, "completions.submit", json!({"canvas_id": canvas}))
        .await
        .unwrap();
    let mut stream = api::stream(
        &client,
        "runs.wait",
        args(json!({"id": run["id"], "poll_interval": 0.01})),
        &CallOptions::default(),
    )
    .await
    .unwrap();
    stream.next_batch().await.unwrap().unwrap();
    drop(stream);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let polls = emu.requests().len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(emu.requests().len(), polls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_pages_follow_the_cursor() {
    // Runs that stay "created": a run that changes would move in the updatedAt order.
    let (_emu, client, canvas) = setup(RunSpec {
        created_ms: 60_000,
        ..Default::default()
    })
    .await;
    for _ in 0..3 {
        call(&client, "completions.submit", json!({"canvas_id": canvas}))
            .await
            .unwrap();
    }
    let page = call(
        &client,
        "completions.list",
        json!({"limit": 2, "prompt_id": canvas}),
    )
    .await
    .unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(page["has_more"], true);
    // Rows arrive camelCase and leave snake_case.
    assert!(page["data"][0]["prompt_version_id"].is_string());
    assert!(page["data"][0].get("promptVersionId").is_none());
    let next = call(
        &client,
        "completions.list",
        json!({"limit": 2, "prompt_id": canvas, "cursor": page["next_cursor"]}),
    )
    .await
    .unwrap();
    assert_eq!(next["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        (next["has_more"].clone(), next["next_cursor"].clone()),
        (json!(false), Value::Null)
    );
}
