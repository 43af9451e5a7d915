//! API5 Broken Function Level Authorization: the admin functions are the admins' alone.
//!
//! Proved here: every admin operation (the list below, which must name every operation
//! `openapi.yaml` documents as "(admins)") is 403 `forbidden` to a signed-in customer and 401 to
//! anyone signed out, whatever the id. Elsewhere: `include_inactive=true` is 401 signed out,
//! 403 to a customer and served to an admin
//! (`catalog::walking_45_products_seven_at_a_time_returns_each_exactly_once_in_a_stable_order`,
//! `catalog::a_product_refuses_every_wrong_field_reversed_names_and_weak_etags`);
//! `accounts::a_customer_on_an_admin_route_gets_403_and_an_admin_can_promote`; a demoted admin's
//! old token stops working (accounts.rs).

use http::Method;

use crate::helpers::{
    admin_token, api, assert_problem, authorized, customer_token, get_as, product,
};

const ADMIN_OPERATIONS: &[(&str, &str)] = &[
    ("POST", "/admin/users/{id}/role"),
    ("POST", "/products"),
    ("PATCH", "/products/{id}"),
    ("DELETE", "/products/{id}"),
    ("POST", "/products/{id}/images"),
    ("GET", "/admin/orders"),
    ("POST", "/admin/orders/{id}/ship"),
    ("POST", "/admin/orders/{id}/deliver"),
    ("POST", "/admin/orders/{id}/refunds"),
    ("POST", "/products/{id}/variants"),
    ("PATCH", "/products/{id}/variants/{variant_id}"),
    ("POST", "/products/{id}/variants/{variant_id}/stock"),
    ("GET", "/admin/inventory/{variant_id}/movements"),
    ("GET", "/admin/messages"),
    ("GET", "/admin/stats"),
    ("GET", "/admin/reports/{date}"),
    ("PUT", "/admin/shipping-zones/{zone_id}"),
    ("GET", "/admin/shipping-zones"),
    ("DELETE", "/admin/shipping-zones/{zone_id}"),
    ("PUT", "/admin/tax-rates/{region}"),
    ("GET", "/admin/tax-rates"),
    ("DELETE", "/admin/tax-rates/{region}"),
    ("PUT", "/admin/settings"),
    ("POST", "/admin/discounts"),
    ("GET", "/admin/discounts"),
    ("PATCH", "/admin/discounts/{code}"),
];

#[tokio::test]
async fn the_list_names_every_documented_admin_operation() {
    for operation in super::operations() {
        let admin_only =
            operation.summary.contains("(admins)") || operation.path.starts_with("/admin/");
        let listed = ADMIN_OPERATIONS
            .iter()
            .any(|(m, p)| *m == operation.method.as_str() && *p == operation.path);
        assert_eq!(
            admin_only, listed,
            "{} {}",
            operation.method, operation.path
        );
    }
}

#[tokio::test]
async fn every_admin_operation_is_403_to_a_customer_and_401_signed_out() {
    let admin = admin_token().await;
    let existing = product(&admin, 1, 100).await;
    let customer = customer_token().await;
    for (method, path) in ADMIN_OPERATIONS {
        let method: Method = method.parse().unwrap();
        for id in [existing.clone(), super::no_such_id()] {
            let path = super::fill(path, &id);
            let body = Some(serde_json::json!({}));
            let reply = authorized(method.clone(), &path, &customer, body, &[]).await;
            assert_problem(&reply, 403, "forbidden");
            let anonymous = api()
                .send(
                    method.clone(),
                    &path,
                    &[("content-type", "application/json")],
                    "{}",
                )
                .await;
            assert_problem(&anonymous, 401, "unauthorized");
        }
    }
    let product_now = get_as(&admin, &format!("/products/{existing}")).await;
    assert_eq!(product_now.expect(200)["product"]["active"], true);
}
