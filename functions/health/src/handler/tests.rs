//! The handler's tests, on the sample events in `events/`.

use super::*;

#[tokio::test]
async fn health_answers_ok_with_the_version() {
    let event = include_str!("../../../../events/health/get.json");
    let (status, body) = shared::testing::call(event, health).await;
    assert_eq!(status, 200);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(body, json!({"status": "ok", "version": version}));
}
