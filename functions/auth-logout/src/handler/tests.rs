//! The handler's tests, on the sample events in `events/`.

use super::*;

#[tokio::test]
async fn only_a_token_of_these_keys_reaches_the_table() {
    let sample = include_str!("../../../../events/auth-logout/logout.json");
    shared::testing::assert_signed_in_gate(sample, logout).await;
}
