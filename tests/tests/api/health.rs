//! `GET /health`, the `$default` route (404, 405, CORS preflight), and what every response
//! carries (request id, CORS headers).

use http::Method;

use crate::helpers::{api, assert_problem, function_logs};

const ORIGIN: &str = "http://localhost:5173";

#[tokio::test]
async fn health_answers_ok_with_the_version_and_a_request_id() {
    let reply = api().get("/health").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    let id = reply.header("x-request-id").unwrap_or_default();
    assert!(id.len() >= 16, "request id `{id}`");
}

#[tokio::test]
async fn each_request_has_its_own_id_and_it_is_on_the_functions_log_lines() {
    let first = api().get("/health").await;
    let second = api().get("/health").await;
    let (a, b) = (
        first.header("x-request-id").unwrap().to_owned(),
        second.header("x-request-id").unwrap().to_owned(),
    );
    assert_ne!(a, b);
    // The function's log line for the request carries the same id.
    let logs = function_logs();
    let line = logs
        .lines()
        .find(|l| l.contains(&a) && l.contains("request finished"));
    assert!(line.is_some(), "no log line with request id {a}");
    assert!(line.unwrap_or_default().contains(r#""http.status":200"#));
}

#[tokio::test]
async fn an_unknown_route_is_a_404_problem_with_cors_headers_and_a_request_id() {
    let reply = api()
        .send(Method::GET, "/no/such/route", &[("origin", ORIGIN)], "")
        .await;
    assert_problem(&reply, 404, "not_found");
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(reply.header("x-request-id").is_some());
}

#[tokio::test]
async fn a_known_path_with_another_method_is_a_405_with_allow() {
    let reply = api().send(Method::DELETE, "/health", &[], "").await;
    assert_problem(&reply, 405, "method_not_allowed");
    assert_eq!(reply.header("allow"), Some("GET"));
}

#[tokio::test]
async fn a_cors_preflight_is_answered_without_a_token() {
    let reply = api()
        .send(
            Method::OPTIONS,
            "/health",
            &[
                ("origin", ORIGIN),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "authorization"),
            ],
            "",
        )
        .await;
    assert_eq!(reply.status, 204);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(reply.header("access-control-allow-methods"), Some("GET"));
    let allowed = reply
        .header("access-control-allow-headers")
        .unwrap_or_default();
    assert!(allowed.contains("Authorization"), "{allowed}");
}

#[tokio::test]
async fn an_origin_that_is_not_configured_gets_no_cors_grant() {
    let reply = api()
        .send(
            Method::GET,
            "/health",
            &[("origin", "https://evil.example")],
            "",
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("vary"), Some("Origin"));
}
