//! Checkout, orders and Stripe payments, against the local stack with localstripe: real
//! concurrency (many clients at once), real signed webhooks, emails read back from the local SES.

use http::Method;
use serde_json::{Value, json};

use crate::accounts::futures_join_all;
use crate::helpers::{
    Reply, admin_token, assert_problem, authorized, customer_token, error_fields, get_as,
    order_body, placed, post_as, product, stock, unique,
};

pub(crate) async fn checkout(token: &str, key: &str, body: &Value) -> Reply {
    authorized(
        Method::POST,
        "/orders",
        token,
        Some(body.clone()),
        &[("idempotency-key", key)],
    )
    .await
}

pub(crate) fn s(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

pub(crate) async fn read_order(token: &str, id: &str) -> Reply {
    get_as(token, &format!("/orders/{id}")).await
}

pub(crate) async fn post(token: &str, path: &str, body: Option<Value>) -> Reply {
    authorized(Method::POST, path, token, body, &[]).await
}

#[tokio::test]
async fn twenty_requests_with_one_idempotency_key_make_one_order() {
    let admin = admin_token().await;
    let product = product(&admin, 30, 500).await;
    let customer = customer_token().await;
    let key = unique("same-key");
    let body = order_body(&[(&product, 2)]);
    let replies = futures_join_all((0..20).map(|_| {
        let (customer, key, body) = (customer.clone(), key.clone(), body.clone());
        async move { checkout(&customer, &key, &body).await }
    }))
    .await;
    let mut order_ids = std::collections::BTreeSet::new();
    let mut first = 0;
    for reply in &replies {
        match reply.status {
            201 => {
                order_ids.insert(s(&reply.json()["order"]["id"]));
                if reply.header("idempotent-replayed").is_none() {
                    first += 1;
                }
            }
            409 => {
                assert_problem(reply, 409, "idempotency_in_progress");
                assert!(reply.header("retry-after").is_some());
            }
            other => panic!("{other}: {}", String::from_utf8_lossy(&reply.body)),
        }
    }
    assert_eq!(first, 1, "one request ran");
    assert_eq!(order_ids.len(), 1, "every replay is the same order");
    assert_eq!(stock(&admin, &product).await, 28);

    let again = checkout(&customer, &key, &body).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(order_ids.first(), Some(&s(&again.json()["order"]["id"])));

    let other_body = order_body(&[(&product, 3)]);
    assert_problem(
        &checkout(&customer, &key, &other_body).await,
        422,
        "idempotency_key_reused",
    );
    // Another customer's identical key is another request.
    let other = customer_token().await;
    assert_eq!(checkout(&other, &key, &body).await.status, 201);
    assert_eq!(stock(&admin, &product).await, 26);
}

#[tokio::test]
async fn a_short_line_refuses_the_whole_order_naming_it_and_takes_no_stock() {
    let admin = admin_token().await;
    let (a, b, c) = (
        product(&admin, 5, 100).await,
        product(&admin, 5, 200).await,
        product(&admin, 1, 300).await,
    );
    let customer = customer_token().await;
    let reply = checkout(
        &customer,
        &unique("k"),
        &order_body(&[(&a, 2), (&b, 2), (&c, 2)]),
    )
    .await;
    let problem = assert_problem(&reply, 409, "out_of_stock");
    assert_eq!(error_fields(&problem), ["items[2].product_id"]);
    assert!(s(&problem["detail"]).contains(&c), "{problem}");
    for (product, left) in [(&a, 5), (&b, 5), (&c, 1)] {
        assert_eq!(stock(&admin, product).await, left);
    }
    // And what the contract asks of the body.
    let ghost = "01JD5X8Y9Z0A1B2C3D4E5F6G7H";
    let problem = assert_problem(
        &checkout(&customer, &unique("k"), &order_body(&[(&a, 1), (ghost, 1)])).await,
        422,
        "validation_failed",
    );
    assert_eq!(error_fields(&problem), ["items[1].product_id"]);
    let twice = order_body(&[(&a, 1), (&a, 1)]);
    assert_problem(
        &checkout(&customer, &unique("k"), &twice).await,
        400,
        "validation_failed",
    );
    let none = order_body(&[]);
    assert_problem(
        &checkout(&customer, &unique("k"), &none).await,
        400,
        "validation_failed",
    );
    let too_many = order_body(&[(&a, 101)]);
    assert_problem(
        &checkout(&customer, &unique("k"), &too_many).await,
        400,
        "validation_failed",
    );
    assert_eq!(stock(&admin, &a).await, 5);
    let without_key = post_as(&customer, "/orders", order_body(&[(&a, 1)])).await;
    assert_problem(&without_key, 400, "idempotency_key_required");
}

#[tokio::test]
async fn a_customer_sees_and_cancels_only_their_own_orders_and_cannot_ship() {
    let admin = admin_token().await;
    let product = product(&admin, 10, 700).await;
    let (alice, bob) = (customer_token().await, customer_token().await);
    let order = placed(&alice, &[(&product, 1)]).await;
    let id = s(&order["id"]);
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(order["total_cents"], 700);
    assert_eq!(order["items"][0]["line_total_cents"], 700);
    assert_eq!(order["payment"]["provider"], "stripe");
    assert!(s(&order["payment"]["payment_intent_id"]).starts_with("pi_"));

    assert_eq!(read_order(&alice, &id).await.status, 200);
    assert_eq!(read_order(&admin, &id).await.status, 200);
    assert_problem(&read_order(&bob, &id).await, 404, "not_found");
    assert_problem(
        &post(&bob, &format!("/orders/{id}/cancel"), None).await,
        404,
        "not_found",
    );
    let bobs = get_as(&bob, "/orders").await.json();
    assert_eq!(bobs["items"], json!([]));
    let alices = get_as(&alice, "/orders").await.json();
    assert_eq!(alices["items"][0]["id"], id.as_str());
    let ship = json!({"tracking_number": "1Z"});
    assert_problem(
        &post(&alice, &format!("/admin/orders/{id}/ship"), Some(ship)).await,
        403,
        "forbidden",
    );
    assert_problem(&get_as(&alice, "/admin/orders").await, 403, "forbidden");
    let listed = get_as(&admin, "/admin/orders?status=pending_payment&limit=100").await;
    assert_eq!(listed.status, 200);
    assert!(
        listed.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["id"] == id.as_str())
    );
    assert_problem(
        &get_as(&admin, "/admin/orders?status=lost").await,
        400,
        "validation_failed",
    );
    assert_problem(
        &get_as(&alice, "/orders?cursor=garbage").await,
        400,
        "invalid_cursor",
    );
}

#[tokio::test]
async fn every_move_the_state_machine_does_not_allow_is_an_invalid_transition() {
    let admin = admin_token().await;
    let product = product(&admin, 10, 400).await;
    let customer = customer_token().await;
    let id = s(&placed(&customer, &[(&product, 1)]).await["id"]);
    let ship = json!({"tracking_number": "1Z999"});
    assert_problem(
        &post(
            &admin,
            &format!("/admin/orders/{id}/ship"),
            Some(ship.clone()),
        )
        .await,
        409,
        "invalid_transition",
    );
    assert_problem(
        &post(&admin, &format!("/admin/orders/{id}/deliver"), None).await,
        409,
        "invalid_transition",
    );
    assert_eq!(
        post(&customer, &format!("/orders/{id}/cancel"), None)
            .await
            .status,
        200
    );
    for path in [
        format!("/orders/{id}/cancel"),
        format!("/admin/orders/{id}/deliver"),
    ] {
        assert_problem(&post(&admin, &path, None).await, 409, "invalid_transition");
    }
    assert_problem(
        &post(&admin, &format!("/admin/orders/{id}/ship"), Some(ship)).await,
        409,
        "invalid_transition",
    );
    assert_eq!(stock(&admin, &product).await, 10);
}

#[tokio::test]
async fn an_order_under_the_least_stripe_charges_is_422_and_takes_no_stock() {
    let admin = admin_token().await;
    let free = product(&admin, 10, 0).await;
    let cheap = product(&admin, 10, 49).await;
    let customer = customer_token().await;
    for (item, quantity) in [(&free, 3), (&cheap, 1)] {
        let reply = checkout(
            &customer,
            &unique("small"),
            &order_body(&[(item, quantity)]),
        )
        .await;
        let problem = assert_problem(&reply, 422, "amount_too_small");
        assert!(
            problem["detail"].as_str().unwrap().contains("50"),
            "{problem}"
        );
        assert_eq!(stock(&admin, item).await, 10);
    }
    // Together they reach the minimum: a payable order.
    let reply = checkout(
        &customer,
        &unique("enough"),
        &order_body(&[(&free, 1), (&cheap, 2)]),
    )
    .await;
    assert_eq!(reply.expect(201)["order"]["total_cents"], 98);
    assert_eq!(stock(&admin, &cheap).await, 8);
}

/// One variant on two lines is the buyer's mistake, named (the quantities belong on one line):
/// never the 500 of asking DynamoDB for one key twice.
#[tokio::test]
async fn a_variant_on_two_lines_is_400_naming_the_second_in_a_checkout_and_a_quote() {
    let admin = admin_token().await;
    let mug = crate::helpers::product(&admin, 5, 500).await;
    let customer = crate::helpers::customer_token().await;
    let items = json!([{"variant_id": mug, "quantity": 1}, {"variant_id": mug, "quantity": 2}]);
    let order = json!({"items": items, "shipping_address": {"name": "Ada Lovelace",
        "line1": "1 Main Street", "city": "Berlin", "postal_code": "10115", "country": "DE"}});
    let reply = crate::helpers::authorized(
        Method::POST,
        "/orders",
        &customer,
        Some(order),
        &[("idempotency-key", &crate::helpers::unique("twice"))],
    )
    .await;
    assert_eq!(
        crate::helpers::error_fields(&reply.expect(400)),
        ["items[1].variant_id"]
    );
    let quote = json!({"items": items, "shipping_address": {"country": "DE"}});
    let reply = crate::helpers::api()
        .post_json("/checkout/quote", &quote)
        .await;
    assert_eq!(
        crate::helpers::error_fields(&reply.expect(400)),
        ["items[1].variant_id"]
    );
    assert_eq!(crate::helpers::stock(&admin, &mug).await, 5);
}
