//! The handler's tests, on the sample events in `events/`.

use super::*;

#[tokio::test]
async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
    let sample = include_str!("../../../../events/admin-orders-refund/refund.json");
    shared::testing::assert_admin_gate(sample, refund).await;
}
