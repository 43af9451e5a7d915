//! Guest checkout: an order with an email and no account, opened by its `Order-Token` alone,
//! paid through localstripe, confirmed by an email that links to it; a guest's unpaid orders
//! counted by email, and joining the account of that email when it signs in.

use std::time::Duration;

use http::Method;
use serde_json::{Value, json};
use shared::testing::localstripe;

use crate::helpers::{
    Reply, admin_token, api, assert_problem, authorized, customer_token, env, error_fields, get_as,
    order_body, poll, product, stock, unique,
};

/// `POST /orders` as a guest of `email` (or with no email at all), with `key`.
async fn guest_checkout(lines: &[(&str, i64)], email: Option<&str>, key: &str) -> Reply {
    let mut body = order_body(lines);
    if let Some(email) = email {
        body["email"] = json!(email);
    }
    api()
        .send(
            Method::POST,
            "/orders",
            &[
                ("content-type", "application/json"),
                ("idempotency-key", key),
            ],
            body.to_string(),
        )
        .await
}

/// A request with the order's `Order-Token` and no bearer token.
async fn with_token(method: Method, path: &str, token: &str) -> Reply {
    api()
        .send(
            method,
            path,
            &[("order-token", token), ("content-type", "application/json")],
            "{}",
        )
        .await
}

fn text(value: &Value) -> String {
    value.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_guest_buys_reads_its_order_only_with_its_token_pays_and_gets_a_link_by_email() {
    let admin = admin_token().await;
    let mug = product(&admin, 10, 1500).await;
    let email = format!("{}@example.com", unique("guest"));

    // Without an account, the email is what the order is for.
    let nameless = guest_checkout(&[(&mug, 1)], None, &unique("nameless")).await;
    assert_eq!(error_fields(&nameless.expect(400)), ["email"]);
    let key = unique("guest");
    let placed = guest_checkout(&[(&mug, 2)], Some(&email), &key).await;
    let order = placed.expect(201)["order"].clone();
    let (id, token) = (text(&order["id"]), text(&order["order_token"]));
    assert_eq!(order["email"], email.as_str());
    assert!(order.get("user_id").is_none(), "{order}");
    assert!(order["payment"]["client_secret"].is_string());
    assert_eq!(stock(&admin, &mug).await, 8);
    // Its retry is its first answer, token and all.
    let again = guest_checkout(&[(&mug, 2)], Some(&email), &key).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.expect(201)["order"]["order_token"], token.as_str());

    // The token opens it; nothing else does.
    let path = format!("/orders/{id}");
    let read = with_token(Method::GET, &path, &token).await.expect(200)["order"].clone();
    assert_eq!(
        (read["id"].clone(), read.get("order_token")),
        (json!(id), None)
    );
    assert!(read["payment"]["client_secret"].is_string());
    assert_problem(&api().get(&path).await, 401, "unauthorized");
    let wrong = format!("{}A", &token[..token.len() - 1]);
    let wrong = if wrong == token {
        format!("{}B", &token[..token.len() - 1])
    } else {
        wrong
    };
    assert_problem(
        &with_token(Method::GET, &path, &wrong).await,
        404,
        "not_found",
    );
    let stranger = customer_token().await;
    assert_problem(&get_as(&stranger, &path).await, 404, "not_found");
    let cancel = format!("{path}/cancel");
    assert_problem(
        &with_token(Method::POST, &cancel, &wrong).await,
        404,
        "not_found",
    );

    // Paid through localstripe: confirmed, and the email links to the order with its token.
    let intent = text(&order["payment"]["payment_intent_id"]);
    let paid = localstripe::pay(&env("STRIPE_URL"), &intent, localstripe::CARD_OK).await;
    assert_eq!(paid.unwrap(), "succeeded");
    let read = async || with_token(Method::GET, &path, &token).await.json()["order"].clone();
    let order = poll(Duration::from_secs(20), read, |o| o["status"] == "paid").await;
    assert_eq!(order["status"], "paid", "{order}");
    // (The HTML part escapes the link's `&`; the text part has it as it is.)
    let link = format!("order={id}&amp;token={token}");
    let mailed = async || crate::payments::email_bodies(&email, "confirmed").await;
    let bodies = poll(Duration::from_secs(20), mailed, |b: &Vec<String>| {
        !b.is_empty()
    })
    .await;
    assert_eq!(bodies.len(), 1, "one confirmation");
    assert!(
        bodies[0].contains(&link) || bodies[0].contains(&link.replace("&amp;", "&")),
        "{}",
        bodies[0]
    );
    // A paid order is the shop's to cancel, not its guest's.
    assert_problem(
        &with_token(Method::POST, &cancel, &token).await,
        409,
        "invalid_transition",
    );
}

#[tokio::test]
async fn a_guests_unpaid_orders_are_capped_by_email_and_join_the_account_that_signs_in() {
    let admin = admin_token().await;
    let mug = product(&admin, 20, 700).await;
    let email = format!("{}@example.com", unique("returning"));
    let mut tokens = Vec::new();
    for n in 0..3 {
        let reply = guest_checkout(&[(&mug, 1)], Some(&email), &unique(&format!("cap{n}"))).await;
        let order = reply.expect(201)["order"].clone();
        tokens.push((text(&order["id"]), text(&order["order_token"])));
    }
    // A fourth unpaid order of the same email, in any case, is one too many.
    let shouted = email.to_uppercase();
    let fourth = guest_checkout(&[(&mug, 1)], Some(&shouted), &unique("cap3")).await;
    assert_problem(&fourth, 429, "rate_limited");
    // Its guest cancels one: the stock comes back and another may be placed.
    let (id, token) = &tokens[0];
    let cancelled = with_token(Method::POST, &format!("/orders/{id}/cancel"), token).await;
    assert_eq!(cancelled.expect(200)["order"]["status"], "cancelled");
    assert_eq!(stock(&admin, &mug).await, 18);

    // The account of that email, once it signs in, has the guest's orders as its own.
    crate::helpers::register(&email, "correct horse battery")
        .await
        .assert_status(201);
    let account = crate::helpers::token(&email, "correct horse battery").await;
    let mine = get_as(&account, "/orders?limit=100").await.expect(200);
    let ids: Vec<String> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| text(&o["id"]))
        .collect();
    for (id, _) in &tokens {
        assert!(ids.contains(id), "{id} not in {ids:?}");
    }
    let adopted = get_as(&account, &format!("/orders/{}", tokens[1].0))
        .await
        .expect(200);
    assert!(adopted["order"]["user_id"].is_string());
    // The guest's cap still holds its two unpaid orders: one more is the last.
    let again = guest_checkout(&[(&mug, 1)], Some(&email), &unique("cap4")).await;
    again.assert_status(201);
    // An email that is not one is 400, before anything is read.
    let bad = guest_checkout(&[(&mug, 1)], Some("not an email"), &unique("bad")).await;
    assert_eq!(error_fields(&bad.expect(400)), ["email"]);
    // A customer may not order for another email.
    let customer = customer_token().await;
    let mut body = order_body(&[(&mug, 1)]);
    body["email"] = json!(email);
    let reply = authorized(
        Method::POST,
        "/orders",
        &customer,
        Some(body),
        &[("idempotency-key", "other-email")],
    )
    .await;
    assert_eq!(error_fields(&reply.expect(400)), ["email"]);
}
