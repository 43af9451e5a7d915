//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::assert_body_checked;

#[tokio::test]
async fn every_wrong_field_is_named_before_anything_is_stored() {
    let sample = include_str!("../../../../events/auth-register/register.json");
    let wrong = r#"{"email": 5, "name": "a\u202eb"}"#;
    assert_body_checked(sample, register, wrong, &["email", "password", "name"]).await;
}
