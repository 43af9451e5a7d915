//! Black-box tests that need the stack to themselves: they read figures of the whole shop
//! (the dashboard), which other tests running at the same time would change. `cargo xtask test`
//! runs them after the `api` tests, one at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::time::Duration;

use http::Method;
use serde_json::{Value, json};
use shared::testing::localstripe;

use helpers::{api, assert_problem, authorized, env, login};

async fn token(email: &str, password: &str) -> String {
    let reply = login(email, password).await;
    assert_eq!(reply.status, 200);
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

fn unique(tag: &str) -> String {
    format!("{tag}{}", shared::ids::Id::new().as_str().to_lowercase())
}

async fn product(admin: &str, stock: i64, price_cents: i64) -> String {
    let sku = unique("Q");
    let body = json!({"sku": sku, "name": "Dashboard mug", "description": "",
                      "price_cents": price_cents, "category": "quiet", "stock": stock});
    let reply = authorized(Method::POST, "/products", admin, Some(body), &[]).await;
    assert_eq!(reply.status, 201);
    reply.json()["product"]["id"].as_str().unwrap().to_owned()
}

async fn stats(token: &str) -> Value {
    let reply = authorized(Method::GET, "/admin/stats", token, None, &[]).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

async fn checkout(token: &str, product: &str, quantity: i64) -> Value {
    let body = json!({"items": [{"product_id": product, "quantity": quantity}],
                      "shipping_address": {"name": "Ada", "line1": "1 Main Street", "city": "Berlin",
                                           "postal_code": "10115", "country": "DE"}});
    let key = unique("k");
    let reply = authorized(
        Method::POST,
        "/orders",
        token,
        Some(body),
        &[("idempotency-key", &key)],
    )
    .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["order"].clone()
}

fn count(stats: &Value, status: &str) -> i64 {
    stats["orders_by_status"][status].as_i64().unwrap()
}

#[tokio::test]
async fn the_dashboard_counts_exactly_what_was_created() {
    let admin = token(
        &env("STOREFRONT_ADMIN_EMAIL"),
        &env("STOREFRONT_ADMIN_PASSWORD"),
    )
    .await;
    let before = stats(&admin).await;

    let low = product(&admin, 4, 250).await;
    let plenty = product(&admin, 50, 700).await;
    let email = format!("{}@example.com", unique("dash"));
    let body = json!({"email": email, "password": "correct horse battery", "name": "Dash"});
    assert_eq!(api().post_json("/auth/register", &body).await.status, 201);
    let customer = token(&email, "correct horse battery").await;
    checkout(&customer, &low, 1).await;
    let paid = checkout(&customer, &plenty, 2).await;
    let intent = paid["payment"]["payment_intent_id"].as_str().unwrap();
    localstripe::pay(&env("STRIPE_URL"), intent, localstripe::CARD_OK)
        .await
        .unwrap();
    let id = paid["id"].as_str().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let order = authorized(Method::GET, &format!("/orders/{id}"), &customer, None, &[]).await;
        if order.json()["order"]["status"] == "paid" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let after = stats(&admin).await;
    let today = |s: &Value| s["orders_today"].as_i64().unwrap();
    let revenue = |s: &Value| s["revenue_today_cents"].as_i64().unwrap();
    assert_eq!(today(&after), today(&before) + 2, "{after}");
    assert_eq!(revenue(&after), revenue(&before) + 1400, "{after}");
    assert_eq!(
        count(&after, "pending_payment"),
        count(&before, "pending_payment") + 1
    );
    assert_eq!(count(&after, "paid"), count(&before, "paid") + 1);
    assert_eq!(count(&after, "cancelled"), count(&before, "cancelled"));
    let low_stock = after["low_stock"].as_array().unwrap();
    let listed = |id: &str| low_stock.iter().find(|p| p["product_id"] == id).cloned();
    assert_eq!(listed(&low).map(|p| p["stock"].clone()), Some(json!(3)));
    assert_eq!(listed(&plenty), None);

    let refused = authorized(Method::GET, "/admin/stats", &customer, None, &[]).await;
    assert_problem(&refused, 403, "forbidden");
}
