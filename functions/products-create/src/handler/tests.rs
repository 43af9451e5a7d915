//! The handler's tests, on the sample events in `events/`.

use super::*;
use shared::http::Input;

#[tokio::test]
async fn only_the_roles_its_route_admits_confirmed_by_the_table_get_past_the_gate() {
    let sample = include_str!("../../../../events/products-create/create.json");
    shared::testing::assert_shop_gate(sample, create).await;
}

#[test]
fn every_field_of_a_bad_body_is_named() {
    // Checked only once the admin is confirmed; these keys reach no table, so the body is
    // checked by the parser alone here.
    let body = br#"{"stock": 1.5, "name": "", "price_cents": -1}"#;
    let parsed =
        shared::http::request::parse_document::<ProductFields>(body, ProductFields::required);
    let Err(shared::ApiError::Validation(errors)) = parsed else {
        panic!("{parsed:?}");
    };
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    // Without `variants`, the body's `sku`, `price_cents` and `stock` make its one variant.
    assert_eq!(fields, ["sku", "name", "price_cents", "category", "stock"]);
}
