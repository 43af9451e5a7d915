//! Money when a call fails half-way: Stripe unreachable while a refund is owed, and DynamoDB
//! applying a transaction whose answer is lost (the SDK then sends it again). The functions
//! reach Stripe through the runner's Stripe door and DynamoDB through its DynamoDB door
//! (`xtask/src/verify/faults.rs`); both doors' modes hold for the whole stack, so these are
//! quiet tests.

use http::Method;
use serde_json::{Value, json};
use shared::testing::localstripe;

use crate::helpers::{
    Client, admin_token, authorized, checkout, customer_token, env, get_as, paid_order, placed,
    product, stock, unique,
};

fn stripe_door() -> Client {
    Client::new(env("STRIPE_FAULTS_URL"))
}

fn dynamodb_door() -> Client {
    Client::new(env("FAULTS_URL"))
}

async fn set(door: Client, path: &str, setting: Value) {
    let reply = door.send(Method::PUT, path, &[], setting.to_string()).await;
    reply.assert_status(204);
}

async fn saw(door: Client, path: &str) -> Vec<Value> {
    door.get(path).await.expect(200).as_array().unwrap().clone()
}

/// The refunds Stripe holds for a PaymentIntent (read at localstripe itself, not through the
/// door).
async fn stripe_refunds(intent: &str) -> Vec<Value> {
    let refunds = localstripe::get(
        &env("STRIPE_URL"),
        &format!("/v1/refunds?payment_intent={intent}"),
    )
    .await
    .unwrap();
    refunds["data"].as_array().cloned().unwrap_or_default()
}

/// Runs the refunds job as if scheduled for `time`.
async fn refunds_at(time: i64) -> Value {
    crate::invoke(
        "RefundsRetryFunction",
        json!({"time": shared::clock::rfc3339(time)}),
    )
    .await
}

/// `POST /orders/{id}/cancel` as `token`'s user.
async fn cancel(token: &str, id: &str) -> crate::helpers::Reply {
    authorized(
        Method::POST,
        &format!("/orders/{id}/cancel"),
        token,
        None,
        &[],
    )
    .await
}

async fn order(token: &str, id: &str) -> Value {
    get_as(token, &format!("/orders/{id}")).await.json()["order"].clone()
}

#[tokio::test]
async fn a_refund_stripe_cannot_take_stays_owed_and_the_refunds_job_makes_it_exactly_once() {
    let (unpaid, id, intent) = paid_order(6, 1500, 2).await;
    let admin = unpaid.admin.clone();

    // Stripe cannot be reached from the cancel function: the order is cancelled, its stock
    // comes back, and the refund is owed.
    set(
        stripe_door(),
        "/stripe",
        json!({"mode": "closed", "app": "OrdersCancelFunction"}),
    )
    .await;
    let cancelled = cancel(&admin, &id).await;
    let tried = saw(stripe_door(), "/stripe/requests").await;
    set(stripe_door(), "/stripe", json!({"mode": "open"})).await;
    let cancelled = cancelled.expect(200)["order"].clone();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["refund_status"], "pending");
    assert!(
        tried
            .iter()
            .any(|t| t["operation"] == "/v1/refunds" && t["door"] == "cut"),
        "the cancel asked Stripe: {tried:?}"
    );
    assert_eq!(stock(&admin, &unpaid.product).await, 6);
    assert!(stripe_refunds(&intent).await.is_empty());

    // Still down when the job runs past the first backoff (a minute): still owed.
    let now = shared::clock::now();
    set(
        stripe_door(),
        "/stripe",
        json!({"mode": "closed", "app": "RefundsRetryFunction"}),
    )
    .await;
    refunds_at(now + 61).await;
    let tried = saw(stripe_door(), "/stripe/requests").await;
    set(stripe_door(), "/stripe", json!({"mode": "open"})).await;
    assert!(
        tried.iter().any(|t| t["operation"] == "/v1/refunds"),
        "the job asked Stripe: {tried:?}"
    );
    assert_eq!(order(&admin, &id).await["refund_status"], "pending");
    assert!(stripe_refunds(&intent).await.is_empty());

    // Before the next backoff (two minutes more) it is not asked again; after it, it is made.
    refunds_at(now + 62).await;
    assert_eq!(order(&admin, &id).await["refund_status"], "pending");
    let run = refunds_at(now + 61 + 121).await;
    assert!(run["succeeded"].as_u64().unwrap() >= 1, "{run}");
    assert_eq!(order(&admin, &id).await["refund_status"], "full");
    let made = stripe_refunds(&intent).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0]["amount"], 3000);

    // Settled: later runs, and two at once, make no second refund.
    let later = now + 86_400;
    let (a, b) = tokio::join!(refunds_at(later), refunds_at(later));
    assert_eq!(stripe_refunds(&intent).await.len(), 1, "{a} {b}");
    assert_eq!(order(&admin, &id).await["refund_status"], "full");
}

#[tokio::test]
async fn an_admins_partial_refund_while_stripe_is_down_is_owed_and_settles_once_it_is_back() {
    let (unpaid, id, intent) = paid_order(6, 1500, 2).await;
    let admin = unpaid.admin.clone();

    set(
        stripe_door(),
        "/stripe",
        json!({"mode": "closed", "app": "AdminOrdersRefundFunction"}),
    )
    .await;
    let body = json!({"amount_cents": 700, "reason": "late delivery"});
    let reply = authorized(
        Method::POST,
        &format!("/admin/orders/{id}/refunds"),
        &admin,
        Some(body),
        &[("idempotency-key", &unique("down"))],
    )
    .await;
    set(stripe_door(), "/stripe", json!({"mode": "open"})).await;
    let made = reply.expect(201)["refund"].clone();
    assert_eq!(
        (made["status"].clone(), made["amount_cents"].clone()),
        (json!("pending"), json!(700))
    );
    let owed = order(&admin, &id).await;
    assert_eq!(owed["refund_status"], "pending");
    assert_eq!(
        owed["refunded_cents"], 700,
        "a pending refund counts against the payment"
    );
    assert!(stripe_refunds(&intent).await.is_empty());

    // Stripe is back: the job makes it, once, and the order is partly refunded.
    let now = shared::clock::now();
    let run = refunds_at(now + 61).await;
    assert!(run["succeeded"].as_u64().unwrap() >= 1, "{run}");
    let settled = order(&admin, &id).await;
    assert_eq!(settled["refund_status"], "partial");
    assert_eq!(settled["refunds"][0]["status"], "succeeded");
    refunds_at(now + 86_400).await;
    let at_stripe: Vec<Value> = stripe_refunds(&intent).await;
    assert_eq!(at_stripe.len(), 1, "{at_stripe:?}");
    assert_eq!(at_stripe[0]["amount"], 700);
}

#[tokio::test]
async fn a_checkout_whose_transaction_answer_is_lost_is_one_order_and_one_taking_of_stock() {
    let admin = admin_token().await;
    let mug = product(&admin, 10, 700).await;
    let customer = customer_token().await;

    set(
        dynamodb_door(),
        "/dynamodb",
        json!({"mode": "lose_answer", "requests": 1, "app": "OrdersCreateFunction",
               "operation": "TransactWriteItems"}),
    )
    .await;
    let key = unique("lost");
    let reply = checkout(&customer, &[(&mug, 3)], &key).await;
    let seen = saw(dynamodb_door(), "/dynamodb/requests").await;
    set(dynamodb_door(), "/dynamodb", json!({"mode": "open"})).await;

    let doors: Vec<&str> = seen.iter().map(|s| s["door"].as_str().unwrap()).collect();
    assert_eq!(
        doors,
        ["answer_lost", "passed"],
        "applied, then sent again: {seen:?}"
    );
    assert_eq!(
        seen[0]["invocation"], seen[1]["invocation"],
        "one call, retried"
    );
    let order = reply.expect(201)["order"].clone();
    assert_eq!(order["status"], "pending_payment");
    assert_eq!(stock(&admin, &mug).await, 7, "the stock is taken once");
    let mine = get_as(&customer, "/orders").await.expect(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1, "{mine}");

    // The customer's retry of the same request is the same order.
    let again = checkout(&customer, &[(&mug, 3)], &key).await;
    assert_eq!(again.expect(201)["order"]["id"], order["id"]);
    assert_eq!(stock(&admin, &mug).await, 7);
}

#[tokio::test]
async fn a_cancel_whose_transaction_answer_is_lost_cancels_once_and_refunds_once() {
    let (unpaid, id, intent) = paid_order(4, 1100, 2).await;
    let admin = unpaid.admin.clone();

    set(
        dynamodb_door(),
        "/dynamodb",
        json!({"mode": "lose_answer", "requests": 1, "app": "OrdersCancelFunction",
               "operation": "TransactWriteItems"}),
    )
    .await;
    let cancelled = cancel(&admin, &id).await;
    let seen = saw(dynamodb_door(), "/dynamodb/requests").await;
    set(dynamodb_door(), "/dynamodb", json!({"mode": "open"})).await;
    assert_eq!(seen[0]["door"], "answer_lost", "{seen:?}");

    let cancelled = cancelled.expect(200)["order"].clone();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(stock(&admin, &unpaid.product).await, 4, "given back once");
    let made = stripe_refunds(&intent).await;
    assert_eq!(made.len(), 1, "refunded once: {made:?}");
    assert_eq!(made[0]["amount"], 2200);
    assert_eq!(order(&admin, &id).await["refund_status"], "full");
    // Placing again works: the unpaid count was not disturbed by the lost answer.
    placed(&unpaid.customer, &[(&unpaid.product, 1)]).await;
}

#[tokio::test]
async fn a_payment_event_whose_handling_fails_half_way_is_handled_in_full_on_its_redelivery() {
    let unpaid = crate::helpers::unpaid_order(4, 1300, 2).await;
    let id = unpaid.order["id"].as_str().unwrap().to_owned();
    let intent = unpaid.order["payment"]["payment_intent_id"]
        .as_str()
        .unwrap();
    let event = json!({"id": unique("evt_"), "object": "event", "type": "payment_intent.succeeded",
        "data": {"object": {"id": intent, "object": "payment_intent", "amount": 2600,
                            "currency": "eur", "status": "succeeded",
                            "metadata": {"order_id": id}}}})
    .to_string();
    let secret = crate::webhooks::webhook_secret().await;
    let t = shared::clock::now();
    let header = format!(
        "t={t},v1={}",
        crate::webhooks::signature(&secret, t, &event)
    );

    // DynamoDB stops after the webhook's first call (it read the order): the event's effect
    // cannot be written, and Stripe is told to deliver it again.
    set(
        dynamodb_door(),
        "/dynamodb",
        json!({"mode": "close_after", "requests": 1, "app": "PaymentsWebhookFunction"}),
    )
    .await;
    let first = crate::webhooks::deliver(&event, Some(&header)).await;
    set(dynamodb_door(), "/dynamodb", json!({"mode": "open"})).await;
    assert_eq!(first.status, 503, "{first:?}");
    assert_eq!(
        order(&unpaid.customer, &id).await["status"],
        "pending_payment"
    );

    // Stripe's redelivery of the same event is handled in full, not taken for done.
    let again = crate::webhooks::deliver(&event, Some(&header)).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(order(&unpaid.customer, &id).await["status"], "paid");
    // And a third delivery changes nothing.
    let paid = order(&unpaid.customer, &id).await;
    assert_eq!(
        crate::webhooks::deliver(&event, Some(&header)).await.status,
        200
    );
    assert_eq!(
        order(&unpaid.customer, &id).await["updated_at"],
        paid["updated_at"]
    );
}
