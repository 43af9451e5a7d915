//! The handler's tests, on the sample events in `events/`.

use super::*;

#[tokio::test]
async fn only_a_token_of_these_keys_reads_the_user() {
    let sample = include_str!("../../../../events/me-get/me.json");
    shared::testing::assert_signed_in_gate(sample, me).await;
}
