//! The handler's tests, on the sample events in `events/`.

use super::*;

async fn call(event: &str) -> Response<Body> {
    let config = shared::testing::config();
    let request = shared::testing::request(event);
    shared::http::respond(&config, request, |r| fallback(&(), r)).await
}

fn body(response: &Response<Body>) -> serde_json::Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or_default()
}

#[tokio::test]
async fn an_unknown_path_is_a_404_problem() {
    let response = call(include_str!(
        "../../../../events/not-found/unknown-route.json"
    ))
    .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(body(&response)["code"], "not_found");
}

#[tokio::test]
async fn a_known_path_with_another_method_is_a_405_naming_the_allowed_ones() {
    let response = call(include_str!(
        "../../../../events/not-found/wrong-method.json"
    ))
    .await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET");
    assert_eq!(body(&response)["code"], "method_not_allowed");
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_without_auth() {
    let response = call(include_str!("../../../../events/not-found/preflight.json")).await;
    assert_eq!(response.status(), 204);
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert_eq!(headers["access-control-allow-methods"], "GET");
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .unwrap_or_default()
            .contains("Authorization")
    );
}
