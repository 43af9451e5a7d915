//! API6 Unrestricted Access to Sensitive Business Flows: goods leave only for money received.
//!
//! Proved here: an order nobody paid for cannot be shipped or delivered (409
//! `invalid_transition`), a customer cannot pay by claiming so (a `payment_intent.succeeded`
//! the customer sends without Stripe's signature is 400), and through all of it the order stays
//! `pending_payment` with its stock held. Elsewhere (orders.rs): 200 racing checkouts never
//! oversell, one `Idempotency-Key` makes one order, an event for the wrong amount or currency
//! does not mark an order paid, unpaid orders expire and give their stock back.

use http::Method;
use serde_json::json;

use crate::helpers::{Unpaid, assert_problem, authorized, get_as, post_as, stock, unpaid_order};

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
