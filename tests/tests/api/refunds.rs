//! Refunds an admin makes: by amount or by lines (their paid share), with or without restock,
//! never more than was paid however they race, each once per `Idempotency-Key`, and what
//! localstripe gave back always what the order says.

use std::time::Duration;

use http::Method;
use serde_json::{Value, json};
use shared::testing::localstripe;

use crate::helpers::{
    admin_token, assert_problem, authorized, customer_token, env, error_fields, futures_join_all,
    get_as, placed, poll, product, stock, unique,
};

/// `POST /admin/orders/{id}/refunds` as `token`, with the key `key`.
pub async fn refund(token: &str, id: &str, body: Value, key: &str) -> crate::helpers::Reply {
    authorized(
        Method::POST,
        &format!("/admin/orders/{id}/refunds"),
        token,
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

/// What localstripe gave back of a PaymentIntent, refund by refund.
pub async fn stripe_refunded(intent: &str) -> Vec<i64> {
    let refunds = localstripe::get(
        &env("STRIPE_URL"),
        &format!("/v1/refunds?payment_intent={intent}"),
    )
    .await
    .unwrap();
    let data = refunds["data"].as_array().cloned().unwrap_or_default();
    data.iter().filter_map(|r| r["amount"].as_i64()).collect()
}

/// A paid order of `lines` (`(product, quantity)`) by a new customer: the order as its
/// customer sees it once paid.
pub async fn paid(customer: &str, lines: &[(&str, i64)]) -> Value {
    let order = placed(customer, lines).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let intent = order["payment"]["payment_intent_id"].as_str().unwrap();
    localstripe::pay(&env("STRIPE_URL"), intent, localstripe::CARD_OK)
        .await
        .unwrap();
    let read = async || get_as(customer, &format!("/orders/{id}")).await.json()["order"].clone();
    let paid = poll(Duration::from_secs(20), read, |o| o["status"] == "paid").await;
    assert_eq!(paid["status"], "paid", "{paid}");
    paid
}

fn s(value: &Value) -> &str {
    value.as_str().unwrap()
}

#[tokio::test]
async fn two_partial_refunds_make_the_total_and_a_third_cent_is_refused() {
    let admin = admin_token().await;
    let shirt = product(&admin, 10, 2000).await;
    let mug = product(&admin, 10, 1500).await;
    let customer = customer_token().await;
    let order = paid(&customer, &[(&shirt, 3), (&mug, 1)]).await;
    let (id, intent) = (s(&order["id"]), s(&order["payment"]["payment_intent_id"]));
    let total = order["total_cents"].as_i64().unwrap();
    assert_eq!(total, 7500);

    // Two of the three shirts, back in stock.
    let lines = json!({"lines": [{"variant_id": shirt, "quantity": 2}], "restock": true,
                       "reason": "two shirts came back"});
    let first = refund(&admin, id, lines, &unique("r")).await.expect(201)["refund"].clone();
    assert_eq!(first["amount_cents"], 4000);
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(
        first["lines"],
        json!([{"variant_id": shirt, "quantity": 2}])
    );
    assert_eq!(stock(&admin, &shirt).await, 10 - 3 + 2);
    let moves = get_as(&admin, &format!("/admin/inventory/{shirt}/movements")).await;
    let newest = moves.expect(200)["items"][0].clone();
    assert_eq!(
        (newest["reason"].clone(), newest["delta"].clone()),
        (json!("return"), json!(2))
    );
    assert_eq!(newest["order_id"], *id);

    let seen = get_as(&customer, &format!("/orders/{id}"))
        .await
        .expect(200)["order"]
        .clone();
    assert_eq!(seen["refund_status"], "partial");
    assert_eq!(seen["refunded_cents"], 4000);
    assert_eq!(seen["items"][0]["refunded_quantity"], 2);
    assert_eq!(seen["refunds"][0]["id"], first["id"]);

    // The rest, by amount; then not one cent more, by amount or by the last shirt.
    let rest = json!({"amount_cents": total - 4000, "reason": "late delivery"});
    let second = refund(&admin, id, rest, &unique("r")).await.expect(201)["refund"].clone();
    assert_eq!(second["status"], "succeeded");
    let more = json!({"amount_cents": 1, "reason": "one more cent"});
    assert_problem(
        &refund(&admin, id, more, &unique("r")).await,
        409,
        "refund_exceeds_payment",
    );
    let shirt_left = json!({"lines": [{"variant_id": shirt, "quantity": 1}], "reason": "x"});
    let over = refund(&admin, id, shirt_left, &unique("r")).await;
    assert_problem(&over, 409, "refund_exceeds_payment");

    let seen = get_as(&admin, &format!("/orders/{id}")).await.expect(200)["order"].clone();
    assert_eq!(
        (
            seen["refund_status"].clone(),
            seen["refunded_cents"].clone()
        ),
        (json!("full"), json!(total))
    );
    assert_eq!(seen["refunds"].as_array().unwrap().len(), 2);
    assert_eq!(stripe_refunded(intent).await.iter().sum::<i64>(), total);
    assert_eq!(seen["status"], "paid", "a refund does not move the order");
}

#[tokio::test]
async fn refunds_racing_for_one_payment_never_give_back_more_than_it() {
    let admin = admin_token().await;
    let mug = product(&admin, 10, 1000).await;
    let customer = customer_token().await;
    let order = paid(&customer, &[(&mug, 4)]).await;
    let (id, intent) = (
        s(&order["id"]).to_owned(),
        s(&order["payment"]["payment_intent_id"]).to_owned(),
    );

    // Ten refunds of a quarter each at once, five by amount and five by a unit: four fit.
    let replies = futures_join_all((0..10).map(|i| {
        let (admin, id, mug) = (admin.clone(), id.clone(), mug.clone());
        async move {
            let body = if i % 2 == 0 {
                json!({"amount_cents": 1000, "reason": "race"})
            } else {
                json!({"lines": [{"variant_id": mug, "quantity": 1}], "reason": "race"})
            };
            refund(&admin, &id, body, &unique("race")).await
        }
    }))
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        4,
        "{statuses:?}"
    );
    for reply in replies.iter().filter(|r| r.status != 201) {
        let code = reply.json()["code"].clone();
        assert!(
            code == "refund_exceeds_payment" || code == "validation_failed",
            "{} {code}",
            reply.status
        );
    }
    let seen = get_as(&admin, &format!("/orders/{id}")).await.expect(200)["order"].clone();
    assert_eq!(seen["refunded_cents"], 4000);
    let units: i64 = seen["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["lines"][0]["quantity"].as_i64())
        .sum();
    assert!(units <= 4 && seen["items"][0]["refunded_quantity"].as_i64().unwrap_or(0) == units);
    assert_eq!(stripe_refunded(&intent).await.iter().sum::<i64>(), 4000);
}

#[tokio::test]
async fn a_refund_is_made_once_per_key_and_refused_before_payment_or_to_a_customer() {
    let admin = admin_token().await;
    let mug = product(&admin, 10, 1200).await;
    let customer = customer_token().await;
    let order = paid(&customer, &[(&mug, 2)]).await;
    let (id, intent) = (s(&order["id"]), s(&order["payment"]["payment_intent_id"]));

    let key = unique("once");
    let body = json!({"amount_cents": 500, "reason": "scratched"});
    let first = refund(&admin, id, body.clone(), &key).await.expect(201);
    let again = refund(&admin, id, body, &key).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.expect(201), first);
    assert_eq!(stripe_refunded(intent).await, vec![500]);

    let other = json!({"amount_cents": 600, "reason": "scratched"});
    assert_problem(
        &refund(&admin, id, other.clone(), &key).await,
        422,
        "idempotency_key_reused",
    );
    let keyless = authorized(
        Method::POST,
        &format!("/admin/orders/{id}/refunds"),
        &admin,
        Some(other.clone()),
        &[],
    )
    .await;
    assert_problem(&keyless, 400, "idempotency_key_required");
    assert_problem(
        &refund(&customer, id, other, &unique("r")).await,
        403,
        "forbidden",
    );

    let unpaid = placed(&customer, &[(&mug, 1)]).await;
    let early = json!({"amount_cents": 100, "reason": "early"});
    let early = refund(&admin, s(&unpaid["id"]), early, &unique("r")).await;
    assert_problem(&early, 409, "invalid_transition");
    let nobody = json!({"amount_cents": 100, "reason": "none"});
    let missing = refund(&admin, "01JAAAAAAAAAAAAAAAAAAAAAAA", nobody, &unique("r")).await;
    assert_problem(&missing, 404, "not_found");

    for (body, field) in [
        (
            json!({"amount_cents": 1, "lines": [{"variant_id": mug, "quantity": 1}], "reason": "r"}),
            "amount_cents",
        ),
        (json!({"reason": "r"}), "amount_cents"),
        (
            json!({"amount_cents": 100, "restock": true, "reason": "r"}),
            "restock",
        ),
        (
            json!({"lines": [{"variant_id": mug, "quantity": 3}], "reason": "r"}),
            "lines[0].quantity",
        ),
        (
            json!({"lines": [{"variant_id": "01JAAAAAAAAAAAAAAAAAAAAAAA", "quantity": 1}], "reason": "r"}),
            "lines[0].variant_id",
        ),
        (json!({"amount_cents": 0, "reason": "r"}), "amount_cents"),
        (json!({"amount_cents": 100}), "reason"),
        (
            json!({"amount_cents": "100", "reason": "r"}),
            "amount_cents",
        ),
    ] {
        let reply = refund(&admin, id, body.clone(), &unique("bad")).await;
        let problem = assert_problem(&reply, 400, "validation_failed");
        assert_eq!(error_fields(&problem), vec![field.to_owned()], "{body}");
    }
    assert_eq!(
        stripe_refunded(intent).await,
        vec![500],
        "no refused refund reached Stripe"
    );
    assert_eq!(stock(&admin, &mug).await, 10 - 3);
}
