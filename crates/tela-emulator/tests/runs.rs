//! Async runs over real TCP: the run lifecycle, retrieval, listing, and webhook delivery to
//! a real receiver.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use common::*;
use serde_json::{Value, json};
use tela_emulator::{CanvasSpec, Emulator, EmulatorError, RunSpec, WebhookPayload};

fn fast(run: RunSpec) -> RunSpec {
    RunSpec {
        created_ms: 30,
        running_ms: 60,
        webhook_retry_ms: 10,
        ..run
    }
}

fn async_canvas(emu: &Emulator, run: RunSpec) -> String {
    canvas(
        emu,
        CanvasSpec {
            template: "Summarize: {{document}}".into(),
            reply: Some(json!("Summary of {{document}}")),
            run: fast(run),
            ..Default::default()
        },
    )
    .id
}

async fn get_run(emu: &Emulator, id: &str) -> Answer {
    send(
        client()
            .get(format!("{}/v2/chat/completions/{id}", emu.base_url()))
            .bearer_auth(KEY),
    )
    .await
}

/// Polls until the run is final; returns it and every status seen on the way.
async fn until_final(emu: &Emulator, id: &str) -> (Value, Vec<String>) {
    let end = Instant::now() + Duration::from_secs(10);
    let mut seen: Vec<String> = Vec::new();
    loop {
        let run = get_run(emu, id).await;
        assert_eq!(run.status, 200, "{}", run.body);
        let status = run.body["status"].as_str().unwrap().to_owned();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "succeeded" || status == "failed" {
            return (run.body, seen);
        }
        assert!(Instant::now() < end, "run {id} never finished: {seen:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Polling may miss a short phase on a loaded machine, so the statuses seen must follow the
/// lifecycle in order and end in its terminal state (the POST answer pins the first state).
fn assert_progress<S: AsRef<str> + std::fmt::Debug>(seen: &[S], lifecycle: &[&str]) {
    let mut rest = lifecycle.iter();
    for status in seen {
        assert!(
            rest.any(|s| *s == status.as_ref()),
            "{seen:?} does not follow {lifecycle:?}"
        );
    }
    assert_eq!(
        seen.last().map(|s| s.as_ref()),
        lifecycle.last().copied(),
        "{seen:?}"
    );
}

async fn list(emu: &Emulator, query: &str) -> Answer {
    send(
        client()
            .get(format!("{}/v1/completion-run{query}", emu.base_url()))
            .bearer_auth(KEY),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_goes_created_running_succeeded() {
    let emu = start().await;
    let id = async_canvas(&emu, RunSpec::default());
    let answer = complete(
        &emu,
        json!({"canvas_id": id, "variables": {"document": "the doc"}, "async": true, "tags": ["t"]}),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_request_id(&answer.headers);
    let run = answer.body;
    assert_eq!(run["status"], "created");
    assert_eq!(run["output_content"], Value::Null);
    assert_eq!(run["input_content"]["variables"]["document"], "the doc");
    assert_eq!(run["raw_input"]["canvas_id"], id.as_str());
    assert_eq!(run["raw_input"]["version_id"], Value::Null);
    assert_eq!(run["raw_input"]["webhook_url"], Value::Null);
    assert_eq!(run["raw_input"]["tags"], json!(["t"]));
    assert_eq!(run["prompt_application_id"], Value::Null);
    assert!(run["created_at"].as_str().unwrap().ends_with('Z'));
    let run_id = run["id"].as_str().unwrap();

    let (done, seen) = until_final(&emu, run_id).await;
    assert_progress(&seen, &["created", "running", "succeeded"]);
    let out = &done["output_content"];
    assert_eq!(out["content"], "Summary of the doc");
    assert_eq!(out["role"], "assistant");
    assert_eq!(out["has_structured_output"], false);
    assert_eq!(out["information"]["input_tokens"], 3);
    assert_eq!(out["information"]["output_tokens"], 4);
    assert!(out["information"]["cost"].as_f64().unwrap() > 0.0);
    assert!(out["information"]["duration"].as_u64().unwrap() >= 60);
    assert!(done["updated_at"].as_str() >= done["created_at"].as_str());

    let missing = get_run(&emu, "no-such-run").await;
    assert_error(&missing, 404, "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canvas_can_be_made_to_fail() {
    let emu = start().await;
    let id = async_canvas(
        &emu,
        RunSpec {
            fail: true,
            fail_message: "model exploded".into(),
            ..Default::default()
        },
    );
    let run = complete(
        &emu,
        json!({"canvas_id": id, "variables": {"document": "d"}, "async": true}),
    )
    .await;
    assert_eq!(run.status, 200);
    let (done, seen) = until_final(&emu, run.body["id"].as_str().unwrap()).await;
    assert_progress(&seen, &["created", "running", "failed"]);
    assert_eq!(done["error"]["message"], "model exploded");
    assert_eq!(done["output_content"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_always_run_async_and_start_running() {
    let emu = start().await;
    let info = canvas(
        &emu,
        CanvasSpec {
            reply: Some(json!({"task": "done"})),
            application_id: Some("app-1".into()),
            run: fast(RunSpec::default()),
            ..Default::default()
        },
    );
    assert_eq!(info.application_id.as_deref(), Some("app-1"));
    let run = complete(&emu, json!({"application_id": "app-1", "label": "task 1"})).await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.body["status"], "running");
    // The answer is the Workstation task (protocol.md §4.3), camelCase, one id for the task
    // and the run it is.
    assert_eq!(run.body["promptApplicationId"], "app-1");
    assert_eq!(run.body["rawInput"]["label"], "task 1");
    assert_eq!(run.body["name"], "task 1");
    assert_eq!(run.body["completionRunId"], run.body["id"]);
    let (done, seen) = until_final(&emu, run.body["id"].as_str().unwrap()).await;
    assert_progress(&seen, &["running", "succeeded"]);
    assert_eq!(done["output_content"]["content"], json!({"task": "done"}));
    assert_eq!(done["output_content"]["has_structured_output"], true);

    let unknown = complete(&emu, json!({"application_id": "nope"})).await;
    assert_error(&unknown, 404, "NOT_FOUND");
    let dup = emu.add_canvas(CanvasSpec {
        application_id: Some("app-1".into()),
        ..Default::default()
    });
    assert!(matches!(dup, Err(EmulatorError::DuplicateApplication(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_requests_are_validated() {
    let emu = start().await;
    let id = async_canvas(&emu, RunSpec::default());
    for bad in [
        json!({"canvas_id": id, "webhook_url": "ftp://x/y"}),
        json!({"canvas_id": id, "webhook_url": 3}),
        json!({"canvas_id": id, "async": "yes"}),
        json!({"canvas_id": id, "async": true, "stream": true}),
    ] {
        assert_error(&complete(&emu, bad).await, 400, "INVALID_SCHEMA");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_listed_newest_first_in_camel_case_pages() {
    let emu = start().await;
    let a = async_canvas(&emu, RunSpec::default());
    let b = canvas(
        &emu,
        CanvasSpec {
            application_id: Some("app-b".into()),
            ..Default::default()
        },
    );
    let mut ids = Vec::new();
    for body in [
        json!({"canvas_id": a, "variables": {"document": "d"}, "async": true}),
        json!({"canvas_id": a, "variables": {"document": "d"}, "async": true}),
        json!({"canvas_id": b.id, "variables": {"document": "d"}, "async": true}),
        json!({"application_id": "app-b"}),
    ] {
        let run = complete(&emu, body).await;
        ids.push(run.body["id"].as_str().unwrap().to_owned());
    }
    for id in &ids {
        until_final(&emu, id).await;
    }

    let page = list(&emu, "?limit=3").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let rows = page.body["data"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(page.body["hasMore"], true);
    let row = &rows[0];
    for key in [
        "outputContent",
        "promptVersionId",
        "updatedAt",
        "inputContent",
        "rawInput",
    ] {
        assert!(row.get(key).is_some(), "{key} missing from {row}");
    }
    assert!(row.get("output_content").is_none());
    assert!(row["outputContent"]["information"]["inputTokens"].is_number());
    let updated: Vec<&str> = rows
        .iter()
        .map(|r| r["updatedAt"].as_str().unwrap())
        .collect();
    assert!(updated.windows(2).all(|w| w[0] >= w[1]), "{updated:?}");

    let cursor = page.body["nextCursor"].as_str().unwrap();
    let rest = list(&emu, &format!("?limit=3&cursor={cursor}")).await;
    assert_eq!(rest.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest.body["hasMore"], false);
    assert_eq!(rest.body["nextCursor"], Value::Null);
    let mut all: Vec<String> = rows
        .iter()
        .chain(rest.body["data"].as_array().unwrap())
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    all.sort();
    ids.sort();
    assert_eq!(all, ids);

    // limit is clamped to 1..100, defaults to 10, and must be an integer.
    assert_eq!(
        list(&emu, "?limit=0").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        list(&emu, "?limit=500").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        list(&emu, "").await.body["data"].as_array().unwrap().len(),
        4
    );
    assert_error(&list(&emu, "?limit=ten").await, 400, "INVALID_REQUEST");
    assert_error(&list(&emu, "?cursor=bogus").await, 400, "INVALID_REQUEST");

    // Filters, and 404 for a resource that does not exist.
    let count = |answer: Answer| answer.body["data"].as_array().unwrap().len();
    assert_eq!(count(list(&emu, &format!("?promptId={a}")).await), 2);
    assert_eq!(count(list(&emu, &format!("?promptId={}", b.id)).await), 2);
    assert_eq!(count(list(&emu, "?promptApplicationId=app-b").await), 1);
    let version = &b.production_version_id;
    assert_eq!(
        count(list(&emu, &format!("?promptVersionId={version}")).await),
        2
    );
    assert_error(&list(&emu, "?promptId=nope").await, 404, "NOT_FOUND");
    assert_error(
        &list(&emu, "?promptApplicationId=nope").await,
        404,
        "NOT_FOUND",
    );
    assert_error(&list(&emu, "?promptVersionId=nope").await, 404, "NOT_FOUND");
}

/// A webhook receiver on 127.0.0.1 that answers `fail_first` 500s, then 200s.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

async fn receiver(fail_first: usize) -> Receiver {
    let received: Arc<Mutex<Vec<(HeaderMap, Value)>>> = Arc::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                let mut all = store.lock().unwrap();
                all.push((
                    headers,
                    serde_json::from_slice(&body).unwrap_or(Value::Null),
                ));
                if all.len() <= fail_first {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, received }
}

/// Waits until `n` delivery attempts are recorded.
async fn deliveries(emu: &Emulator, n: usize) -> Vec<tela_emulator::WebhookDelivery> {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let all = emu.webhook_deliveries();
        if all.len() >= n {
            return all;
        }
        assert!(
            Instant::now() < end,
            "only {} deliveries: {all:?}",
            all.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_post_the_finished_run() {
    let emu = start().await;
    let hook = receiver(0).await;
    let id = async_canvas(&emu, RunSpec::default());
    let run = complete(
        &emu,
        json!({"canvas_id": id, "variables": {"document": "d"}, "webhook_url": hook.url}),
    )
    .await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.body["status"], "created");
    assert_eq!(run.body["raw_input"]["webhook_url"], hook.url.as_str());
    let run_id = run.body["id"].as_str().unwrap();
    let sent = deliveries(&emu, 1).await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].delivered);
    assert_eq!((sent[0].attempt, sent[0].status), (1, Some(200)));
    assert_eq!(sent[0].run_id, run_id);
    let received = hook.received.lock().unwrap().clone();
    let (headers, body) = &received[0];
    assert_eq!(headers["x-completion-run-id"], run_id);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body["id"], run_id);
    assert_eq!(body["status"], "succeeded");
    assert_eq!(body["output_content"]["content"], "Summary of d");
    // The delivered object is the one GET answers.
    assert_eq!(*body, get_run(&emu, run_id).await.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_retried_and_can_use_the_legacy_body() {
    let emu = start().await;
    let hook = receiver(2).await;
    let id = async_canvas(
        &emu,
        RunSpec {
            webhook: WebhookPayload::Completion,
            ..Default::default()
        },
    );
    let run = complete(
        &emu,
        json!({"canvas_id": id, "variables": {"document": "d"}, "webhook_url": hook.url}),
    )
    .await;
    let run_id = run.body["id"].as_str().unwrap();
    let sent = deliveries(&emu, 3).await;
    let outcome: Vec<(u32, Option<u16>, bool)> = sent
        .iter()
        .map(|d| (d.attempt, d.status, d.delivered))
        .collect();
    assert_eq!(
        outcome,
        [
            (1, Some(500), false),
            (2, Some(500), false),
            (3, Some(200), true)
        ]
    );
    let received = hook.received.lock().unwrap().clone();
    assert_eq!(received.len(), 3);
    let body = &received[2].1;
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["id"], run_id);
    assert_eq!(body["choices"][0]["message"]["content"], "Summary of d");
    assert_eq!(body["usage"]["total_tokens"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_webhooks_are_given_up_after_the_attempts() {
    let emu = start().await;
    // A port that was free a moment ago: nothing listens there.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    let id = async_canvas(
        &emu,
        RunSpec {
            fail: true,
            webhook_attempts: 2,
            ..Default::default()
        },
    );
    let run = complete(
        &emu,
        json!({"canvas_id": id, "variables": {"document": "d"}, "webhook_url": closed}),
    )
    .await;
    let sent = deliveries(&emu, 2).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent_after = emu.webhook_deliveries();
    assert_eq!(sent_after.len(), 2, "no third attempt: {sent_after:?}");
    for (i, d) in sent.iter().enumerate() {
        assert_eq!(d.attempt, u32::try_from(i).unwrap() + 1);
        assert_eq!(d.status, None);
        assert!(!d.delivered);
        assert!(
            d.error.as_deref().unwrap().contains("onnect"),
            "{:?}",
            d.error
        );
        // A failed run is posted as the run object.
        assert_eq!(d.payload["status"], "failed");
    }
    let (done, _) = until_final(&emu, run.body["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "failed");
    emu.clear_webhook_deliveries();
    assert!(emu.webhook_deliveries().is_empty());
}
