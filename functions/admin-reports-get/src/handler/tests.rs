//! The handler's tests, on the sample events in `events/`.

use super::*;

#[tokio::test]
async fn only_the_roles_its_route_admits_confirmed_by_the_table_get_past_the_gate() {
    let sample = include_str!("../../../../events/admin-reports-get/get.json");
    shared::testing::assert_shop_gate(sample, get).await;
}

#[test]
fn a_date_that_is_not_one_is_refused() {
    // Decided after the admin gate, which reads the table: checked on the parser alone.
    assert!(shared::reports::parse_date("2026-13-01").is_err());
    assert!(shared::reports::parse_date("2026-12-01").is_ok());
}
