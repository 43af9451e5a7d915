//! The handler's tests, on the sample events in `events/`.

use super::*;

#[tokio::test]
async fn only_the_roles_its_route_admits_confirmed_by_the_table_get_past_the_gate() {
    let sample = include_str!("../../../../events/admin-orders-timeline/timeline.json");
    shared::testing::assert_shop_gate(sample, timeline).await;
}
