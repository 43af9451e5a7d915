//! API1 Broken Object Level Authorization: a customer reaches only their own objects.
//!
//! Proved here: another customer's order is 404 to read and to cancel (the same answer as an
//! order that does not exist, so ids cannot be probed) and stays as it was; a cursor from one
//! customer's listing never pages another's orders; an inactive product is 404 to customers and
//! to anyone signed out. Elsewhere: `orders::a_customer_sees_and_cancels_only_their_own_orders_and_cannot_ship`.

use http::Method;
use serde_json::Value;

use crate::helpers::{
    admin_token, assert_problem, authorized, customer_token, get_as, id, placed, product,
};

#[tokio::test]
async fn another_customers_order_is_404_to_read_and_to_cancel_and_stays_as_it_was() {
    let admin = admin_token().await;
    let mug = product(&admin, 5, 900).await;
    let owner = customer_token().await;
    let other = customer_token().await;
    let order = placed(&owner, &[(&mug, 1)]).await;
    let order_id = id(&order);

    for (method, path) in [
        (Method::GET, format!("/orders/{order_id}")),
        (Method::POST, format!("/orders/{order_id}/cancel")),
    ] {
        let reply = authorized(method.clone(), &path, &other, None, &[]).await;
        let theirs = assert_problem(&reply, 404, "not_found");
        let nothing = path.replace(&order_id, &super::no_such_id());
        let missing = authorized(method, &nothing, &other, None, &[]).await;
        assert_eq!(assert_problem(&missing, 404, "not_found"), theirs);
    }
    let read = get_as(&owner, &format!("/orders/{order_id}")).await;
    assert_eq!(read.expect(200)["order"]["status"], "pending_payment");
}

#[tokio::test]
async fn a_cursor_from_one_customers_listing_never_pages_another_customers_orders() {
    let admin = admin_token().await;
    let mug = product(&admin, 5, 900).await;
    let owner = customer_token().await;
    let mine = [
        placed(&owner, &[(&mug, 1)]).await,
        placed(&owner, &[(&mug, 1)]).await,
    ];
    let page = get_as(&owner, "/orders?limit=1").await;
    let cursor = page.expect(200)["next_cursor"].as_str().unwrap().to_owned();

    let other = customer_token().await;
    let reply = get_as(&other, &format!("/orders?limit=1&cursor={cursor}")).await;
    assert_problem(&reply, 400, "invalid_cursor");
    let theirs = get_as(&other, "/orders").await.expect(200);
    let ids: Vec<&Value> = theirs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["id"])
        .collect();
    assert!(mine.iter().all(|o| !ids.contains(&&o["id"])), "{ids:?}");
}

#[tokio::test]
async fn an_inactive_product_is_404_to_customers_and_to_anyone_signed_out() {
    let admin = admin_token().await;
    let retired = product(&admin, 5, 900).await;
    let path = format!("/products/{retired}");
    assert_eq!(
        authorized(Method::DELETE, &path, &admin, None, &[])
            .await
            .status,
        204
    );

    let customer = customer_token().await;
    assert_problem(&get_as(&customer, &path).await, 404, "not_found");
    assert_problem(&crate::helpers::api().get(&path).await, 404, "not_found");
    let seen = get_as(&admin, &path).await.expect(200);
    assert_eq!(seen["product"]["active"], false);
}

/// A guest's `Order-Token` opens its own order and no other: not another guest's, not a
/// customer's, and not an order that does not exist (the same 404 for all).
#[tokio::test]
async fn an_order_token_opens_its_own_order_only() {
    let admin = admin_token().await;
    let mug = product(&admin, 5, 900).await;
    let guest = |n: u32| {
        let mug = mug.clone();
        async move {
            let mut body = crate::helpers::order_body(&[(&mug, 1)]);
            body["email"] = format!(
                "{}@example.com",
                crate::helpers::unique(&format!("bola{n}"))
            )
            .into();
            let key = crate::helpers::unique("bola");
            let headers = [
                ("content-type", "application/json"),
                ("idempotency-key", key.as_str()),
            ];
            let reply = crate::helpers::api()
                .send(Method::POST, "/orders", &headers, body.to_string())
                .await;
            let order = reply.expect(201)["order"].clone();
            (
                id(&order),
                order["order_token"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (mine, my_token) = guest(1).await;
    let (theirs, _) = guest(2).await;
    let customer = customer_token().await;
    let customers = id(&placed(&customer, &[(&mug, 1)]).await);
    let open = |order: String, method: Method, suffix: &'static str| {
        let token = my_token.clone();
        async move {
            let path = format!("/orders/{order}{suffix}");
            let headers = [
                ("order-token", token.as_str()),
                ("content-type", "application/json"),
            ];
            crate::helpers::api()
                .send(method, &path, &headers, "{}")
                .await
        }
    };
    let nothing = assert_problem(
        &open(super::no_such_id(), Method::GET, "").await,
        404,
        "not_found",
    );
    for order in [theirs.clone(), customers.clone()] {
        for (method, suffix) in [(Method::GET, ""), (Method::POST, "/cancel")] {
            let reply = open(order.clone(), method, suffix).await;
            assert_eq!(assert_problem(&reply, 404, "not_found"), nothing);
        }
    }
    assert_eq!(
        open(mine, Method::GET, "").await.expect(200)["order"]["status"],
        "pending_payment"
    );
    let read = get_as(&customer, &format!("/orders/{customers}")).await;
    assert_eq!(read.expect(200)["order"]["status"], "pending_payment");
}
