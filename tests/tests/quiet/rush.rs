//! The rush: two hundred checkouts of one product at once, then every order cancelled twice at
//! once. It runs here, alone, because it is the stack at full contention: every checkout of
//! the fifty units waits its turn on one variant, and the tail of that queue is what the
//! orders' contention budget is measured against; run beside the other black-box tests it
//! would measure them too.

use http::Method;
use serde_json::Value;

use crate::helpers::{
    Reply, admin_token, assert_problem, authorized, customer_token, error_fields, futures_join_all,
    order_body, product, stock, unique,
};

async fn checkout(token: &str, key: &str, body: &Value) -> Reply {
    authorized(
        Method::POST,
        "/orders",
        token,
        Some(body.clone()),
        &[("idempotency-key", key)],
    )
    .await
}

#[tokio::test]
async fn two_hundred_checkouts_against_fifty_units_make_fifty_orders_and_cancelling_gives_all_back()
{
    let admin = admin_token().await;
    let product = product(&admin, 50, 990).await;
    // Twenty customers of ten checkouts each: each may hold three unpaid orders (sixty in
    // all), so the fifty units run out before the caps do.
    let mut customers = Vec::new();
    for _ in 0..20 {
        customers.push(customer_token().await);
    }
    let replies = futures_join_all((0..200).map(|i| {
        let token = customers[i % customers.len()].clone();
        let body = order_body(&[(&product, 1)]);
        async move { checkout(&token, &format!("race-{i}-{}", unique("k")), &body).await }
    }))
    .await;
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == 201).collect();
    let short: Vec<&Reply> = replies.iter().filter(|r| r.status == 409).collect();
    let capped = replies.iter().filter(|r| r.status == 429).count();
    let others: Vec<String> = replies
        .iter()
        .filter(|r| ![201, 409, 429].contains(&r.status))
        .map(|r| format!("{} {}", r.status, String::from_utf8_lossy(&r.body)))
        .collect();
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(created.len(), 50);
    assert_eq!(short.len() + capped, 150);
    for reply in &short {
        let problem = assert_problem(reply, 409, "out_of_stock");
        assert_eq!(error_fields(&problem), ["items[0].product_id"]);
    }
    for n in 0..customers.len() {
        let placed = replies
            .iter()
            .enumerate()
            .filter(|(i, r)| i % customers.len() == n && r.status == 201)
            .count();
        assert!(placed <= 3, "customer {n} holds {placed} unpaid orders");
    }
    assert_eq!(stock(&admin, &product).await, 0);

    // Every order cancelled twice at once, by its owner: the stock comes back exactly once.
    let owners: Vec<(String, String)> = replies
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == 201)
        .map(|(i, r)| {
            (
                customers[i % customers.len()].clone(),
                r.json()["order"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let cancels = futures_join_all(owners.iter().flat_map(|(token, id)| {
        [token.clone(), token.clone()]
            .into_iter()
            .map(move |token| {
                let path = format!("/orders/{id}/cancel");
                async move { authorized(Method::POST, &path, &token, None, &[]).await }
            })
    }))
    .await;
    let ok = cancels.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 50, "each order is cancelled once");
    for reply in cancels.iter().filter(|r| r.status != 200) {
        assert_problem(reply, 409, "invalid_transition");
    }
    assert_eq!(stock(&admin, &product).await, 50);
}
