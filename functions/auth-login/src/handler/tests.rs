//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::{assert_body_checked, call, with_body};

#[tokio::test]
async fn missing_credentials_are_named_and_a_wrong_address_is_no_account() {
    let sample = include_str!("../../../../events/auth-login/login.json");
    assert_body_checked(sample, login, r#"{}"#, &["email", "password"]).await;
    // An address that is no email is refused as any wrong credentials are, without a lookup.
    let body = r#"{"email": "nobody", "password": "whatever it is"}"#;
    let (status, problem) = call(&with_body(sample, body), login).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (401, Some("invalid_credentials"))
    );
}
