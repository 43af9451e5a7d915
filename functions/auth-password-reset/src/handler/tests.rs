//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::assert_body_checked;

#[tokio::test]
async fn something_that_is_not_an_email_is_named_and_an_email_is_counted() {
    let sample = include_str!("../../../../events/auth-password-reset/request.json");
    assert_body_checked(sample, request_reset, r#"{"email": "nope"}"#, &["email"]).await;
}
