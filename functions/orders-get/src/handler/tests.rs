//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::{as_customer, call, with_path_parameter};

#[tokio::test]
async fn a_token_is_needed_and_an_id_that_cannot_be_one_is_a_404() {
    let sample = include_str!("../../../../events/orders-get/get.json");
    shared::testing::assert_signed_in_gate(sample, get).await;
    let bad_id = with_path_parameter(&as_customer(sample), "id", "nope");
    assert_eq!(call(&bad_id, get).await.0, 404);
}
