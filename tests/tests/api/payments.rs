//! Stripe payments: real signed webhooks from localstripe, refunds, declined cards, and Stripe
//! out of reach; emails read back from the local SES.

use std::time::Duration;

use serde_json::{Value, json};
use shared::testing::localstripe;

use crate::helpers::{
    Unpaid, admin_token, assert_problem, env, order_body, placed, poll, product, stock, unique,
    unpaid_order,
};
use crate::orders::{post, read_order, s};

use crate::webhooks::put_webhook_secret;
pub use crate::webhooks::{deliver, signature, webhook_secret};

fn now() -> i64 {
    shared::clock::now()
}

async fn wait_for_status(token: &str, id: &str, status: &str) -> Value {
    let read = async || read_order(token, id).await.json()["order"].clone();
    poll(Duration::from_secs(20), read, |order| {
        order["status"] == status
    })
    .await
}

/// Waits until the mail queue holds no job, waiting or in flight.
async fn mail_queue_drained() {
    let sqs = aws_sdk_sqs::Client::new(&crate::helpers::moto_config().await);
    let url = env("STOREFRONT_MAIL_QUEUE_URL");
    let left = async || {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        let count = |name: aws_sdk_sqs::types::QueueAttributeName| {
            let value = attributes.attributes().and_then(|a| a.get(&name).cloned());
            value.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0)
        };
        count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            + count(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
    };
    let left = poll(Duration::from_secs(20), left, |n| *n == 0).await;
    assert_eq!(left, 0, "the mail queue still holds jobs");
}

pub(crate) async fn emails(to: &str, subject: &str) -> usize {
    email_bodies(to, subject).await.len()
}

/// The bodies of the emails sent to `to` whose subject holds `subject`.
pub(crate) async fn email_bodies(to: &str, subject: &str) -> Vec<String> {
    let data = crate::helpers::Client::new(env("MOTO_URL"))
        .get("/moto-api/data.json")
        .await
        .json();
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|m| m["destinations"]["ToAddresses"][0] == to)
        .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains(subject)))
        .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(crate) async fn wait_for_emails(to: &str, subject: &str, count: usize) -> usize {
    let found = async || emails(to, subject).await;
    poll(Duration::from_secs(20), found, |n| *n >= count).await
}

async fn customer_with_email() -> (String, String) {
    let email = format!("{}@example.com", unique("payer"));
    crate::helpers::register(&email, "correct horse battery")
        .await
        .assert_status(201);
    let login = crate::helpers::login(&email, "correct horse battery").await;
    (s(&login.json()["access_token"]), email)
}

#[tokio::test]
async fn paying_at_localstripe_marks_the_order_paid_once_and_emails_once() {
    let admin = admin_token().await;
    let product = product(&admin, 10, 1250).await;
    let (customer, email) = customer_with_email().await;
    let order = placed(&customer, &[(&product, 2)]).await;
    let (id, intent) = (s(&order["id"]), s(&order["payment"]["payment_intent_id"]));
    assert_eq!(order["total_cents"], 2500);

    let status = localstripe::pay(&env("STRIPE_URL"), &intent, localstripe::CARD_OK)
        .await
        .unwrap();
    assert_eq!(status, "succeeded");
    let paid = wait_for_status(&customer, &id, "paid").await;
    assert_eq!(paid["status"], "paid", "{paid}");
    assert_eq!(paid["payment"]["status"], "succeeded");
    assert_eq!(wait_for_emails(&email, "confirmed", 1).await, 1);

    // localstripe's own event, delivered again (signed anew): no second effect.
    let events = localstripe::get(
        &env("STRIPE_URL"),
        "/v1/events?type=payment_intent.succeeded&limit=100",
    )
    .await
    .unwrap();
    let event = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["data"]["object"]["id"] == intent.as_str())
        .cloned()
        .expect("localstripe recorded the event it sent");
    let body = event.to_string();
    let secret = webhook_secret().await;
    let t = now();
    let header = format!("t={t},v1={}", signature(&secret, t, &body));
    assert_eq!(deliver(&body, Some(&header)).await.status, 200);
    let after = read_order(&customer, &id).await.json()["order"].clone();
    assert_eq!(after["updated_at"], paid["updated_at"]);

    // Shipped: the notice goes out once, with the tracking number.
    let ship = json!({"tracking_number": "1Z999AA10123456784"});
    let shipped = post(&admin, &format!("/admin/orders/{id}/ship"), Some(ship)).await;
    assert_eq!(shipped.status, 200);
    assert_eq!(
        shipped.json()["order"]["tracking_number"],
        "1Z999AA10123456784"
    );
    assert_eq!(wait_for_emails(&email, "shipped", 1).await, 1);
    let delivered = post(&admin, &format!("/admin/orders/{id}/deliver"), None).await;
    assert_eq!(delivered.json()["order"]["status"], "delivered");
    // Once the mail function has taken every job off its queue, each email was sent once.
    mail_queue_drained().await;
    assert_eq!(emails(&email, "confirmed").await, 1);
    assert_eq!(emails(&email, "shipped").await, 1);
}

#[tokio::test]
async fn rotated_forged_stale_altered_unsigned_and_wrong_amount_events() {
    let Unpaid {
        customer, order, ..
    } = unpaid_order(10, 800, 1).await;
    let (id, intent) = (s(&order["id"]), s(&order["payment"]["payment_intent_id"]));
    let event = |amount: i64, event_id: &str| {
        json!({"id": event_id, "object": "event", "type": "payment_intent.succeeded",
               "data": {"object": {"id": intent, "object": "payment_intent", "amount": amount,
                                   "currency": "eur", "status": "succeeded",
                                   "metadata": {"order_id": id}}}})
        .to_string()
    };
    let secret = webhook_secret().await;
    let t = now();

    // A rotation takes effect at once: the new secret is accepted (a delivery that matches no
    // secret makes the function read the secret again), and so is the previous one while the
    // secret lists it. Events for an order that does not exist change nothing.
    let rotated = format!("whsec_{}", unique("rotated"));
    put_webhook_secret(&json!({"current": rotated, "previous": secret})).await;
    let probe = || {
        json!({"id": unique("evt_"), "object": "event", "type": "payment_intent.payment_failed",
               "data": {"object": {"id": "pi_probe", "object": "payment_intent",
                                   "metadata": {"order_id": "01JD5X8Y9Z0A1B2C3D4E5F6G7H"}}}})
        .to_string()
    };
    // A function reads the secret again at most once a second: within that, the new one works.
    let signed_with_rotated = async || {
        let body = probe();
        let header = format!("t={t},v1={}", signature(&rotated, t, &body));
        deliver(&body, Some(&header)).await.status
    };
    let accepted = poll(Duration::from_secs(5), signed_with_rotated, |s| *s == 200).await;
    assert_eq!(accepted, 200, "the rotated secret is taken up");
    for (key, expected) in [
        (&rotated, 200),
        (&secret, 200),
        (&"whsec_other".to_owned(), 400),
    ] {
        let body = probe();
        let header = format!("t={t},v1={}", signature(key, t, &body));
        assert_eq!(
            deliver(&body, Some(&header)).await.status,
            expected,
            "{key}"
        );
    }
    put_webhook_secret(&json!({"current": secret})).await;

    let body = event(800, &unique("evt_"));
    let good = signature(&secret, t, &body);
    let cases = [
        (
            body.clone(),
            Some(format!("t={t},v1={}", signature("whsec_forged", t, &body))),
        ),
        (
            body.clone(),
            Some(format!(
                "t={},v1={}",
                t - 301,
                signature(&secret, t - 301, &body)
            )),
        ),
        (body.replace("800", "801"), Some(format!("t={t},v1={good}"))),
        (body.clone(), None),
        (body.clone(), Some("t=,v1=".to_owned())),
    ];
    for (body, header) in cases {
        let reply = deliver(&body, header.as_deref()).await;
        assert_problem(&reply, 400, "validation_failed");
    }
    // A genuine signature over the wrong amount: acknowledged, not paid, the money sent back
    // and a person told. Here Stripe refuses that refund (localstripe holds no charge for the
    // PaymentIntent): the order says so, and the refund's failure is counted for its alarm.
    let wrong = event(1, &unique("evt_"));
    let header = format!("t={t},v1={}", signature(&secret, t, &wrong));
    assert_eq!(deliver(&wrong, Some(&header)).await.status, 200);
    let after_wrong = read_order(&customer, &id).await.json()["order"].clone();
    assert_eq!(after_wrong["status"], "pending_payment");
    assert_eq!(after_wrong["refund_status"], "failed", "{after_wrong}");
    for metric in ["PaymentMismatches", "RefundsFailed"] {
        let counted = crate::helpers::document(|_, d| d["order_id"] == id && d[metric] == 1).await;
        assert!(counted.is_some(), "no {metric} for {id}");
    }

    // The genuine one pays it, and again changes nothing.
    let header = format!("t={t},v1={good}");
    assert_eq!(deliver(&body, Some(&header)).await.status, 200);
    let paid = read_order(&customer, &id).await.json()["order"].clone();
    assert_eq!(paid["status"], "paid");
    assert_eq!(deliver(&body, Some(&header)).await.status, 200);
    assert_eq!(
        read_order(&customer, &id).await.json()["order"]["updated_at"],
        paid["updated_at"]
    );
}

#[tokio::test]
async fn a_paid_order_cancelled_by_the_shop_is_refunded_and_its_stock_comes_back() {
    let (
        Unpaid {
            admin,
            product,
            customer,
            ..
        },
        id,
        intent,
    ) = crate::helpers::paid_order(4, 999, 3).await;
    assert_eq!(stock(&admin, &product).await, 1);

    // Its owner may no longer cancel it; the shop may.
    assert_problem(
        &post(&customer, &format!("/orders/{id}/cancel"), None).await,
        409,
        "invalid_transition",
    );
    let cancelled = post(&admin, &format!("/orders/{id}/cancel"), None).await;
    cancelled.assert_status(200);
    assert_eq!(cancelled.json()["order"]["status"], "cancelled");
    // localstripe settles a refund at once, as Stripe does for most cards.
    assert_eq!(cancelled.json()["order"]["refund_status"], "full");
    assert_eq!(stock(&admin, &product).await, 4);
    let refunds = localstripe::get(
        &env("STRIPE_URL"),
        &format!("/v1/refunds?payment_intent={intent}"),
    )
    .await
    .unwrap();
    let refunds = refunds["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0]["amount"], 2997);
}

#[tokio::test]
async fn a_declined_card_is_recorded_and_the_order_keeps_waiting_with_its_stock() {
    let Unpaid {
        admin,
        product,
        customer,
        order,
    } = unpaid_order(3, 650, 1).await;
    let (id, intent) = (s(&order["id"]), s(&order["payment"]["payment_intent_id"]));
    let declined = localstripe::pay(&env("STRIPE_URL"), &intent, localstripe::CARD_DECLINED).await;
    assert!(declined.as_deref() != Ok("succeeded"), "{declined:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut current = Value::Null;
    while std::time::Instant::now() < deadline {
        current = read_order(&customer, &id).await.json()["order"].clone();
        if current["payment"]["status"] == "payment_failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(current["payment"]["status"], "payment_failed", "{current}");
    assert_eq!(current["status"], "pending_payment");
    assert_eq!(
        stock(&admin, &product).await,
        2,
        "the stock stays with the order"
    );

    // (A second attempt with another card cannot be made here: localstripe refuses to confirm
    // a PaymentIntent whose first charge failed, where Stripe would take a new payment method.)
}

/// The deployed checkout cannot be pointed at a Stripe that is down without a second stack, so
/// this drives the same service over the run's DynamoDB Local with a Stripe client whose address
/// answers nothing: the checkout is a 503 and the stock is untouched.
#[tokio::test]
async fn when_stripe_cannot_be_reached_the_checkout_is_a_503_and_takes_no_stock() {
    let admin = admin_token().await;
    let product = product(&admin, 5, 300).await;
    let sdk = shared::aws::local_config(&env("DYNAMODB_URL")).await;
    let table =
        shared::db::Table::new(aws_sdk_dynamodb::Client::new(&sdk), env("STOREFRONT_TABLE"));
    let config = shared::Config::from_lookup(|_| None).unwrap();
    let orders = shared::orders::service::Orders::new(table, &config);
    let unreachable =
        shared::payments::stripe::Stripe::new("http://127.0.0.1:9", "sk_test_down".to_owned())
            .unwrap();
    // A guest's checkout: the service needs no account to read.
    let mut body = order_body(&[(&product, 2)]);
    body["email"] = serde_json::json!(format!("{}@example.com", unique("down")));
    let request = serde_json::from_value(body).unwrap();
    let err = orders
        .checkout(
            None,
            shared::ids::Id::new(),
            request,
            &unreachable,
            &[7; 32],
            now(),
        )
        .await
        .expect_err("no order without a payment");
    assert_eq!(err.status(), 503);
    let problem = serde_json::to_value(err.problem()).unwrap();
    assert!(!problem.to_string().contains("127.0.0.1"), "{problem}");
    assert_eq!(stock(&admin, &product).await, 5);
}

#[tokio::test]
async fn a_partial_refund_made_at_stripe_is_never_read_as_a_full_one() {
    let (Unpaid { customer, .. }, id, intent) = crate::helpers::paid_order(5, 1000, 2).await;

    // Someone refunds half of it in Stripe's dashboard: Stripe says `charge.refunded`.
    let secret = webhook_secret().await;
    let t = now();
    let refunded = json!({"id": unique("evt_"), "object": "event", "type": "charge.refunded",
        "data": {"object": {"id": "ch_half", "object": "charge", "payment_intent": intent,
                            "amount": 2000, "amount_refunded": 1000, "currency": "eur",
                            "refunded": false, "metadata": {"order_id": id}}}})
    .to_string();
    let header = format!("t={t},v1={}", signature(&secret, t, &refunded));
    assert_eq!(deliver(&refunded, Some(&header)).await.status, 200);
    let now_order = read_order(&customer, &id).await.json()["order"].clone();
    assert_eq!(now_order["status"], "paid");
    assert_eq!(now_order.get("refund_status"), None, "{now_order}");
}
