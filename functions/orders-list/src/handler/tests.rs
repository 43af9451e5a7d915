//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::{as_customer, call, with_query};

#[tokio::test]
async fn only_a_signed_in_caller_reads_and_a_garbled_cursor_is_a_400() {
    let sample = include_str!("../../../../events/orders-list/list.json");
    shared::testing::assert_signed_in_gate(sample, list).await;
    let garbled = with_query(&as_customer(sample), "limit=20&cursor=AAAA");
    let (status, problem) = call(&garbled, list).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (400, Some("invalid_cursor"))
    );
}
