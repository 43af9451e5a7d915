//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::{as_customer, call, with_header};

#[tokio::test]
async fn a_token_is_needed_and_a_bad_key_is_named_before_any_read() {
    let sample = include_str!("../../../../events/orders-cancel/cancel.json");
    shared::testing::assert_signed_in_gate(sample, cancel).await;
    let long_key = with_header(&as_customer(sample), "idempotency-key", &"k".repeat(256));
    assert_eq!(call(&long_key, cancel).await.0, 400);
}
