//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing;

const SAMPLE: &str = include_str!("../../../../events/payments-webhook/succeeded.json");

#[tokio::test]
async fn a_delivery_without_a_valid_fresh_signature_is_refused_before_any_read() {
    // The samples signature is too old and nothing is read.
    // The sample is signed with the test secret at a time long past: refused before any read.
    let (status, problem) = testing::call(SAMPLE, receive).await;
    assert_eq!(status, 400);
    assert_eq!(problem["errors"][0]["field"], "Stripe-Signature");
    // A delivery without a signature is refused.
    let unsigned = SAMPLE.replace("\"stripe-signature\"", "\"x-unused\"");
    assert_ne!(unsigned, SAMPLE);
    assert_eq!(testing::call(&unsigned, receive).await.0, 400);
}
