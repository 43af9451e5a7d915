//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::assert_body_checked;

#[tokio::test]
async fn a_body_without_a_token_is_named_and_a_token_is_looked_up() {
    let sample = include_str!("../../../../events/auth-password-reset-confirm/confirm.json");
    let no_token = r#"{"password": "a long password"}"#;
    assert_body_checked(sample, confirm_reset, no_token, &["token"]).await;
}
