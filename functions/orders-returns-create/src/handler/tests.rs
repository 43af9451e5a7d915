//! The handler's tests, on the sample events in `events/`.

use super::*;

#[tokio::test]
async fn a_token_is_needed_before_any_read() {
    let sample = include_str!("../../../../events/orders-returns-create/create.json");
    shared::testing::assert_signed_in_gate(sample, create).await;
}
