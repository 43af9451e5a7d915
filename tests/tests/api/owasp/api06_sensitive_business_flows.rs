//! API6 Unrestricted Access to Sensitive Business Flows: goods leave only for money received.
//!
//! Proved here: an order nobody paid for cannot be shipped or delivered (409
//! `invalid_transition`), a customer cannot pay by claiming so (a `payment_intent.succeeded`
//! the customer sends without Stripe's signature is 400), and through all of it the order stays
//! `pending_payment` with its stock held. Elsewhere (orders.rs): 200 racing checkouts never
//! oversell, one `Idempotency-Key` makes one order, an event for the wrong amount or currency
//! does not mark an order paid, unpaid orders expire and give their stock back.
//!
//! Hoarding: one account holds at most three unpaid orders at once, however many checkouts it
//! sends together (429 `rate_limited` with `Retry-After`, no stock taken for the refused ones),
//! and one network makes at most ten accounts an hour, so the cap cannot be multiplied by
//! registering.

use http::Method;
use serde_json::json;

use crate::accounts::futures_join_all;
use crate::helpers::{
    Unpaid, admin_token, assert_problem, authorized, checkout, customer_token, get_as, newcomer,
    post_as, product, stock, unique, unpaid_order,
};

#[tokio::test]
async fn an_unpaid_order_cannot_be_shipped_delivered_or_declared_paid() {
    let Unpaid {
        admin,
        product: mug,
        customer,
        order,
    } = unpaid_order(4, 2500, 2).await;
    let id = order["id"].as_str().unwrap();

    let ship = post_as(
        &admin,
        &format!("/admin/orders/{id}/ship"),
        json!({"tracking_number": "TRACK-1"}),
    )
    .await;
    assert_problem(&ship, 409, "invalid_transition");
    let deliver = authorized(
        Method::POST,
        &format!("/admin/orders/{id}/deliver"),
        &admin,
        None,
        &[],
    )
    .await;
    assert_problem(&deliver, 409, "invalid_transition");

    let claim = json!({"id": "evt_claim", "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"id": order["payment"]["payment_intent_id"], "object": "payment_intent",
                            "amount": 5000, "currency": "eur", "status": "succeeded",
                            "metadata": {"order_id": id}}}})
    .to_string();
    for signature in [None, Some("t=1,v1=00"), Some("")] {
        let reply = crate::payments::deliver(&claim, signature).await;
        assert_eq!(reply.status, 400, "{signature:?}");
    }

    let now = get_as(&customer, &format!("/orders/{id}"))
        .await
        .expect(200);
    assert_eq!(now["order"]["status"], "pending_payment");
    assert_eq!(stock(&admin, &mug).await, 2);
}

#[tokio::test]
async fn one_account_holds_at_most_three_unpaid_orders_however_many_it_sends_at_once() {
    let admin = admin_token().await;
    let mug = product(&admin, 100, 700).await;
    let hoarder = customer_token().await;
    let replies = futures_join_all((0..8).map(|i| {
        let hoarder = hoarder.clone();
        let mug = mug.clone();
        async move { checkout(&hoarder, &[(&mug, 10)], &unique(&format!("hoard{i}"))).await }
    }))
    .await;
    let placed: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(placed.len(), 3, "{replies:?}");
    for refused in replies.iter().filter(|r| r.status != 201) {
        assert_problem(refused, 429, "rate_limited");
        let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=1800).contains(&wait), "Retry-After: {wait}");
    }
    assert_eq!(
        stock(&admin, &mug).await,
        70,
        "only the three placed hold stock"
    );

    // Another shopper is not held up by the hoarder's cap.
    let other = customer_token().await;
    checkout(&other, &[(&mug, 1)], &unique("other"))
        .await
        .assert_status(201);

    // An order that stops waiting (here cancelled) frees its place, once.
    let first = placed[0].json()["order"]["id"].as_str().unwrap().to_owned();
    let cancel = authorized(
        Method::POST,
        &format!("/orders/{first}/cancel"),
        &hoarder,
        None,
        &[],
    )
    .await;
    cancel.assert_status(200);
    let again = checkout(&hoarder, &[(&mug, 1)], &unique("again")).await;
    again.assert_status(201);
    let more = checkout(&hoarder, &[(&mug, 1)], &unique("more")).await;
    assert_problem(&more, 429, "rate_limited");
    assert_eq!(stock(&admin, &mug).await, 100 - 30 - 1 + 10 - 1);
}

#[tokio::test]
async fn one_network_makes_at_most_ten_accounts_an_hour_and_another_network_is_not_held_up() {
    let network = std::sync::Arc::new(newcomer());
    let tag = unique("crowd");
    let replies = futures_join_all((0..14).map(|i| {
        let body = json!({"email": format!("{tag}-{i}@example.com"),
                          "password": "correct horse battery", "name": "Crowd"});
        let network = network.clone();
        async move { network.post_json("/auth/register", &body).await }
    }))
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 10, "{replies:?}");
    for refused in replies.iter().filter(|r| r.status != 201) {
        assert_problem(refused, 429, "rate_limited");
        let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=3600).contains(&wait), "Retry-After: {wait}");
    }
    // A refused registration made no account: its email is free for someone else.
    let refused = replies.iter().position(|r| r.status != 201).unwrap();
    let body = json!({"email": format!("{tag}-{refused}@example.com"),
                      "password": "correct horse battery", "name": "Crowd"});
    newcomer()
        .post_json("/auth/register", &body)
        .await
        .assert_status(201);
}
