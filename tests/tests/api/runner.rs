//! The local runner itself: warm reuse, overlapping requests, timeouts, the Invoke API,
//! template variables, S3 triggers (with retries) and schedules.

use std::time::Duration;

use http::Method;
use serde_json::Value;

use crate::helpers::{
    Client, api, env, fixture, function_logs, invoke_api, s3_keys, wait_for_recorded,
};

#[tokio::test]
async fn the_invoke_api_returns_the_functions_reply() {
    let event = include_str!("../../../events/health/get.json");
    let reply = invoke_api()
        .send(
            Method::POST,
            "/2015-03-31/functions/HealthFunction/invocations",
            &[],
            event,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-amz-function-error"), None);
    let payload = reply.json();
    assert_eq!(payload["statusCode"], 200);
    let body: Value = serde_json::from_str(payload["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
    // The request id of the sample event is the one the function answers with.
    assert_eq!(payload["headers"]["x-request-id"], "Xq3bTjHnoAMEbQ8=");
}

#[tokio::test]
async fn the_invoke_api_names_an_unknown_function_and_reports_function_errors() {
    let missing = invoke_api()
        .send(
            Method::POST,
            "/2015-03-31/functions/Nope/invocations",
            &[],
            "{}",
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("x-amzn-errortype"),
        Some("ResourceNotFoundException")
    );

    // Not an HTTP event: the runtime refuses it, as Lambda reports an unhandled error.
    let wrong = invoke_api()
        .send(
            Method::POST,
            "/2015-03-31/functions/HealthFunction/invocations",
            &[],
            r#"{"hello": "world"}"#,
        )
        .await;
    assert_eq!(wrong.status, 200);
    assert_eq!(wrong.header("x-amz-function-error"), Some("Unhandled"));
    assert!(wrong.json()["errorMessage"].is_string());
}

async fn pid(client: &Client, path: &str) -> u64 {
    let reply = client.get(path).await;
    reply.expect(200)["pid"].as_u64().unwrap()
}

#[tokio::test]
async fn a_warm_process_serves_the_next_request() {
    let client = fixture();
    let first = pid(&client, "/echo/warm-1").await;
    let second = pid(&client, "/echo/warm-2").await;
    // Other tests may start processes meanwhile; an idle one is reused, not a new one started
    // per request, so two sequential requests by one client share it unless one was busy.
    let third = pid(&client, "/echo/warm-3").await;
    assert!(
        first == second || second == third,
        "{first} {second} {third}"
    );
}

#[tokio::test]
async fn overlapping_requests_get_processes_of_their_own() {
    let (first, second) = (fixture(), fixture());
    let (a, b) = tokio::join!(
        pid(&first, "/echo?sleep_ms=700"),
        pid(&second, "/echo?sleep_ms=700")
    );
    assert_ne!(a, b, "two overlapping requests were served by one process");
}

#[tokio::test]
async fn a_function_that_overruns_its_timeout_is_a_503_and_is_replaced() {
    // The echo function's timeout is 2 s.
    let reply = fixture().get("/echo?sleep_ms=4000").await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.json()["message"], "Service Unavailable");
    let after = fixture().get("/echo").await;
    assert_eq!(after.status, 200);
}

#[tokio::test]
async fn template_variables_resolve_to_the_local_names() {
    let reply = fixture().get("/echo/abc%20def").await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["id"], "abc def");
    let bucket = env("FIXTURE_DROP_BUCKET");
    assert_eq!(body["drop_bucket"], bucket.as_str());
    assert_eq!(body["drop_bucket_arn"], format!("arn:aws:s3:::{bucket}"));
}

#[tokio::test]
async fn without_a_default_route_an_unknown_path_gets_api_gateways_own_404() {
    let reply = fixture().get("/nothing/here").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["message"], "Not Found");
}

#[tokio::test]
async fn an_s3_upload_reaches_its_function_as_a_complete_s3_event() {
    let s3 = crate::helpers::moto_s3().await;
    let bucket = env("FIXTURE_DROP_BUCKET");
    for key in ["incoming/hello world.txt", "elsewhere/ignored.txt"] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(b"hello".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let events = wait_for_recorded(Duration::from_secs(15), |events| {
        s3_keys(events)
            .iter()
            .any(|k| k == "incoming/hello world.txt")
    })
    .await;
    let keys = s3_keys(&events);
    assert!(
        keys.iter().any(|k| k == "incoming/hello world.txt"),
        "{keys:?}"
    );
    // The prefix filter of the template keeps other keys away.
    assert!(!keys.iter().any(|k| k.contains("ignored")), "{keys:?}");
    let record = events
        .iter()
        .filter(|e| e["kind"] == "s3")
        .map(|e| e["event"]["Records"][0].clone())
        .find(|r| {
            r["s3"]["object"]["key"]
                .as_str()
                .is_some_and(|k| k.contains("hello"))
        })
        .unwrap();
    assert_eq!(record["eventSource"], "aws:s3");
    assert_eq!(record["s3"]["bucket"]["name"], bucket.as_str());
    assert_eq!(record["s3"]["object"]["size"], 5);
    assert!(record["s3"]["object"]["sequencer"].is_string());
    assert!(record["userIdentity"]["principalId"].is_string());
}

#[tokio::test]
async fn a_failing_s3_invocation_is_retried_twice_then_dropped() {
    let s3 = crate::helpers::moto_s3().await;
    let bucket = env("FIXTURE_DROP_BUCKET");
    s3.put_object()
        .bucket(&bucket)
        .key("incoming/fail-once-more.txt")
        .body(b"x".to_vec().into())
        .send()
        .await
        .unwrap();
    let count = |events: &[Value]| {
        s3_keys(events)
            .iter()
            .filter(|k| k.as_str() == "incoming/fail-once-more.txt")
            .count()
    };
    let events = wait_for_recorded(Duration::from_secs(20), |e| count(e) >= 3).await;
    assert_eq!(count(&events), 3);
    // The runner then drops the event (on AWS: its dead-letter destination), after which no
    // fourth attempt comes.
    let dropped = |logs: &String| {
        logs.lines().any(|l| {
            l.starts_with("runner\t")
                && l.contains("/incoming/fail-once-more.txt: RecorderFunction failed 3 times")
        })
    };
    let logs = crate::helpers::poll(Duration::from_secs(10), async || function_logs(), dropped);
    assert!(dropped(&logs.await), "the runner gives the event up");
    assert_eq!(count(&crate::helpers::recorded()), 3);
}

#[tokio::test]
async fn the_schedule_fires_on_its_cron_with_a_scheduled_event() {
    // cron(* * * * ? *): the next whole minute, at most 60 s away.
    let events = wait_for_recorded(Duration::from_secs(75), |events| {
        events.iter().any(|e| e["kind"] == "schedule")
    })
    .await;
    let scheduled = events
        .iter()
        .find(|e| e["kind"] == "schedule")
        .expect("no scheduled event within 75 s");
    let event = &scheduled["event"];
    assert_eq!(event["source"], "aws.events");
    assert_eq!(event["detail-type"], "Scheduled Event");
    let time = event["time"].as_str().unwrap();
    assert!(time.ends_with(":00Z"), "fired off the minute: {time}");
    assert!(
        event["resources"][0]
            .as_str()
            .unwrap()
            .contains("rule/fixture-RecorderFunctionEveryMinute")
    );
}

#[tokio::test]
async fn the_runner_serves_the_document_as_json_and_a_page_that_reads_it() {
    let served = api().get("/openapi.json").await;
    assert_eq!(served.header("content-type"), Some("application/json"));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
    let document: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(served.json(), document);

    let page = api().get("/docs").await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("/openapi.json"), "{html}");
    for asset in ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"] {
        let reply = api().get(asset).await;
        assert_eq!(reply.status, 200, "{asset}");
        assert!(
            reply.body.len() > 10_000,
            "{asset} is {} bytes",
            reply.body.len()
        );
    }
}
