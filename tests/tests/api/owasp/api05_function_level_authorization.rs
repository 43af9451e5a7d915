//! API5 Broken Function Level Authorization: the shop's functions are the shop's alone, and
//! money, roles and settings the admins' alone.
//!
//! Proved here: `shared::routes::ROUTES` (the one table of who may call what) holds every
//! operation of `openapi.yaml`, a documented "(admins)" operation is an admin's row and a
//! "(staff and admins)" one a staff row; every
//! staff or admin operation is 403 `forbidden` to a signed-in customer and 401 to anyone signed
//! out, whatever the id; and a staff member gets 403 on every admin operation and past the gate
//! on every staff one. Elsewhere: `include_inactive=true` is 401 signed out, 403 to a customer
//! and served to an admin
//! (`catalog::walking_45_products_seven_at_a_time_returns_each_exactly_once_in_a_stable_order`,
//! `catalog::a_product_refuses_every_wrong_field_reversed_names_and_weak_etags`);
//! `accounts::a_customer_on_an_admin_route_gets_403_and_an_admin_can_promote`; a demoted admin's
//! old token stops working (roles.rs).

use http::Method;

use shared::auth::Access;
use shared::routes::ROUTES;

use crate::helpers::{
    admin_token, api, assert_problem, authorized, customer_token, get_as, product, staff_token,
};

/// The operations of the shop (staff's or admins'), from the route table.
fn shop_operations() -> Vec<(Method, &'static str, Access)> {
    ROUTES
        .iter()
        .filter(|(_, _, access)| matches!(access, Access::Staff | Access::Admin))
        .map(|(method, path, access)| (method.parse().unwrap(), *path, *access))
        .collect()
}

#[tokio::test]
async fn the_route_table_holds_every_documented_operation_and_admins_own_theirs() {
    for operation in super::operations() {
        let row = shared::routes::access(&format!("{} {}", operation.method, operation.path));
        let access = row.unwrap_or_else(|| panic!("{} {}", operation.method, operation.path));
        if operation.summary.contains("(admins)") {
            assert_eq!(
                access,
                Access::Admin,
                "{} {}",
                operation.method,
                operation.path
            );
        }
        if operation.summary.contains("(staff and admins)") {
            assert_eq!(
                access,
                Access::Staff,
                "{} {}",
                operation.method,
                operation.path
            );
        }
        if operation.path.starts_with("/admin/") {
            assert!(
                matches!(access, Access::Staff | Access::Admin),
                "{} {}",
                operation.method,
                operation.path
            );
        }
    }
}

#[tokio::test]
async fn every_shop_operation_is_403_to_a_customer_and_401_signed_out() {
    let admin = admin_token().await;
    let existing = product(&admin, 1, 100).await;
    let customer = customer_token().await;
    for (method, path, _) in shop_operations() {
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

#[tokio::test]
async fn staff_get_403_on_every_admin_operation_and_past_the_gate_on_every_staff_one() {
    let admin = admin_token().await;
    let existing = product(&admin, 1, 100).await;
    let staff = staff_token().await;
    for (method, path, access) in shop_operations() {
        let path = super::fill(path, &super::no_such_id());
        let body = Some(serde_json::json!({}));
        let reply = authorized(method.clone(), &path, &staff, body, &[]).await;
        match access {
            Access::Admin => {
                assert_problem(&reply, 403, "forbidden");
            }
            _ => assert!(
                !matches!(reply.status, 401 | 403 | 500..),
                "{method} {path}: {} {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            ),
        }
    }
    let product_now = get_as(&admin, &format!("/products/{existing}")).await;
    assert_eq!(product_now.expect(200)["product"]["active"], true);
}
