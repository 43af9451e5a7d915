//! API10 Unsafe Consumption of APIs: what Stripe sends is checked as strictly as what a client
//! sends.
//!
//! Proved here: a correctly signed event that is not what Stripe sends (not JSON, not an object,
//! `amount` as a string, no `data.object`, an order id that is not an id) is answered with a 4xx
//! or acknowledged and ignored, never a 5xx, and the order it names is unchanged; an object
//! without an id or with `metadata: null` is acknowledged (200) and ignored; a signed event for
//! an order that does not exist changes nothing. Elsewhere (orders.rs): forged, stale,
//! replayed, altered, unsigned and wrong-amount events, secret rotation, and one effect per
//! event id.

use serde_json::json;

use crate::helpers::{Unpaid, get_as, unpaid_order};
use crate::payments::{deliver, signature, webhook_secret};

#[tokio::test]
async fn a_signed_event_in_a_shape_stripe_never_sends_changes_nothing() {
    let Unpaid {
        customer, order, ..
    } = unpaid_order(2, 700, 1).await;
    let id = order["id"].as_str().unwrap();
    let intent = order["payment"]["payment_intent_id"].as_str().unwrap();
    let secret = webhook_secret().await;
    let bodies = [
        "not json at all".to_owned(),
        "[1, 2, 3]".to_owned(),
        json!({"id": "evt_x", "type": "payment_intent.succeeded"}).to_string(),
        succeeded(
            json!({"id": intent, "amount": "700", "currency": "eur", "metadata": {"order_id": id}}),
        ),
        succeeded(
            json!({"id": intent, "amount": 700, "currency": "eur", "metadata": {"order_id": "../../admin"}}),
        ),
        succeeded(
            json!({"id": intent, "amount": 700, "currency": "eur", "metadata": {"order_id": super::no_such_id()}}),
        ),
        succeeded(
            json!({"id": intent, "amount": -700, "currency": "eur", "metadata": {"order_id": id}}),
        ),
    ];
    for body in &bodies {
        let t = shared::clock::now();
        let header = format!("t={t},v1={}", signature(&secret, t, body));
        let reply = deliver(body, Some(&header)).await;
        assert!(
            (200..500).contains(&reply.status),
            "{} for {body}",
            reply.status
        );
    }
    let now = get_as(&customer, &format!("/orders/{id}"))
        .await
        .expect(200);
    assert_eq!(now["order"]["status"], "pending_payment");
}

#[tokio::test]
async fn a_signed_event_without_an_object_id_or_with_null_metadata_is_acknowledged_and_ignored() {
    let Unpaid {
        customer, order, ..
    } = unpaid_order(2, 700, 1).await;
    let id = order["id"].as_str().unwrap();
    let intent = order["payment"]["payment_intent_id"].as_str().unwrap();
    let secret = webhook_secret().await;
    // What the contract says Stripe may send that names no payment of ours: 200, nothing moves.
    let bodies = [
        succeeded(json!({"amount": 700, "currency": "eur", "metadata": {"order_id": id}})),
        succeeded(json!({"id": intent, "amount": 700, "currency": "eur", "metadata": null})),
    ];
    for body in &bodies {
        let t = shared::clock::now();
        let header = format!("t={t},v1={}", signature(&secret, t, body));
        assert_eq!(deliver(body, Some(&header)).await.status, 200, "{body}");
    }
    let now = get_as(&customer, &format!("/orders/{id}"))
        .await
        .expect(200);
    assert_eq!(now["order"]["status"], "pending_payment");
}

/// A `payment_intent.succeeded` event about `object`.
fn succeeded(object: serde_json::Value) -> String {
    json!({"id": crate::helpers::unique("evt_odd"), "object": "event",
           "type": "payment_intent.succeeded", "data": {"object": object}})
    .to_string()
}
