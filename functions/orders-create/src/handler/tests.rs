//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::{as_customer, call};

#[tokio::test]
async fn a_checkout_needs_a_token_and_an_idempotency_key() {
    let sample = include_str!("../../../../events/orders-create/create.json");
    shared::testing::assert_signed_in_gate(sample, create).await;
    let without_key = as_customer(sample).replace("\"idempotency-key\"", "\"x-unused\"");
    let (status, problem) = call(&without_key, create).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("idempotency_key_required"))
    );
}
