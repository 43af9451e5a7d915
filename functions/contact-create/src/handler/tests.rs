//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::assert_body_checked;

#[tokio::test]
async fn every_bad_field_is_named_before_anything_is_counted() {
    let sample = include_str!("../../../../events/contact-create/send.json");
    let bad = format!(
        r#"{{"name": "", "email": "nope", "message": "{}"}}"#,
        "x".repeat(5001)
    );
    assert_body_checked(sample, send, &bad, &["name", "email", "message"]).await;
}
