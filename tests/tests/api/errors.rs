//! Bad input through the whole path (runner → function → `shared::http`): the fixture's echo
//! function reads its body and cursor with the same helpers as every project function.

use crate::accounts::s;
use crate::catalog::new_category;
use crate::helpers::admin_token;
use crate::helpers::api;
use crate::helpers::post_as;
use base64::Engine;
use http::Method;
use serde_json::json;

use crate::helpers::{assert_problem, fixture};

const ORIGIN: &str = "http://localhost:5173";

#[tokio::test]
async fn malformed_json_is_a_400_problem_that_still_has_cors_and_a_request_id() {
    let reply = fixture()
        .send(
            Method::POST,
            "/echo",
            &[("content-type", "application/json"), ("origin", ORIGIN)],
            r#"{"items": [1, 2"#,
        )
        .await;
    assert_problem(&reply, 400, "malformed_json");
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(reply.header("x-request-id").is_some());
}

#[tokio::test]
async fn a_65_kib_body_is_a_413_problem() {
    let body = json!({"pad": "x".repeat(65 * 1024)});
    let reply = fixture().post_json("/echo", &body).await;
    let problem = assert_problem(&reply, 413, "payload_too_large");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("65536")
    );
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_accepted() {
    // 64 KiB exactly, JSON included.
    let pad = "x".repeat(64 * 1024 - r#"{"pad":""}"#.len());
    let reply = fixture().post_json("/echo", &json!({"pad": pad})).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json()["received"]["pad"].as_str().map(str::len),
        Some(pad.len())
    );
}

#[tokio::test]
async fn a_body_that_is_not_declared_json_is_a_415() {
    let reply = fixture()
        .send(
            Method::POST,
            "/echo",
            &[("content-type", "text/plain")],
            "{}",
        )
        .await;
    assert_problem(&reply, 415, "unsupported_media_type");
}

#[tokio::test]
async fn a_binary_body_arrives_base64_and_is_decoded() {
    // Not declared as text, so API Gateway (and the runner) pass it base64-encoded.
    let reply = fixture()
        .send(
            Method::POST,
            "/echo",
            &[("content-type", "application/vnd.api+json")],
            r#"{"a": 1}"#,
        )
        .await;
    reply.assert_status(200);
    assert_eq!(reply.json()["received"], json!({"a": 1}));
}

#[tokio::test]
async fn a_garbled_cursor_is_a_400_problem() {
    for cursor in ["garbage", "AAAA", "%00%01", "eyJhZnRlciI6MX0"] {
        let reply = fixture().get(&format!("/echo?cursor={cursor}")).await;
        assert_problem(&reply, 400, "invalid_cursor");
    }
}

#[tokio::test]
async fn a_cursor_with_one_changed_character_is_refused_and_the_real_one_works() {
    let first = fixture().get("/echo").await.json();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let next = fixture().get(&format!("/echo?cursor={cursor}")).await;
    assert_eq!(next.status, 200);
    assert_eq!(next.json()["position"], 1);

    let mut forged = cursor.into_bytes();
    forged[2] = if forged[2] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let reply = fixture().get(&format!("/echo?cursor={forged}")).await;
    assert_problem(&reply, 400, "invalid_cursor");
}

#[tokio::test]
async fn a_wrong_query_type_names_the_parameter() {
    let reply = fixture().get("/echo?sleep_ms=soon").await;
    let problem = assert_problem(&reply, 400, "validation_failed");
    assert_eq!(problem["errors"][0]["field"], "sleep_ms");
}

#[tokio::test]
async fn ids_that_cannot_exist_are_404_not_an_outage() {
    let long = "0".repeat(2100);
    let admin = admin_token().await;
    assert_problem(
        &api().get(&format!("/products/{long}")).await,
        404,
        "not_found",
    );
    let role = post_as(
        &admin,
        &format!("/admin/users/{long}/role"),
        json!({"role": "admin"}),
    )
    .await;
    assert_problem(&role, 404, "not_found");
    // A well-formed id that names nothing is an ordinary 404 too.
    assert_problem(
        &api().get("/products/01JD5X8Y9Z0A1B2C3D4E5F6G7H").await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_cursor_shows_nothing_of_the_table() {
    let token = new_category(&admin_token().await, "opaque", 2).await;
    let page = api()
        .get(&format!("/products?category={token}&limit=1"))
        .await
        .json();
    let cursor = s(&page["next_cursor"]);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&cursor)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    for secret in ["PRODUCT#", "gsi", "CATEGORY#", token.as_str()] {
        assert!(!text.contains(secret), "the cursor shows {secret}");
    }
}
