//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::testing::{as_customer, call, fields, with_body};

#[tokio::test]
async fn a_rename_reaches_the_table_and_a_role_in_the_body_is_refused() {
    let sample = include_str!("../../../../events/me-update/rename.json");
    shared::testing::assert_signed_in_gate(sample, update_me).await;
    let promote = r#"{"role": "admin", "name": ""}"#;
    let (status, body) = call(&with_body(&as_customer(sample), promote), update_me).await;
    assert_eq!((status, fields(&body)), (400, vec!["name", "role"]));
}
