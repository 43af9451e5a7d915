//! API3 Broken Object Property Level Authorization: no client sets a property it does not own,
//! and no response shows one it should not.
//!
//! Proved here: mass assignment of `role` (register, PATCH /me), `price_cents` and
//! `unit_price_cents` on an order line, `status`, `user_id` and `total_cents` on an order, `id`
//! and `created_at` on a product is a 400 naming each such field, and nothing is created or
//! changed; every key of the users, products and orders the API returns is a property
//! `openapi.yaml` declares (no table key, hash or internal field leaks); an order's payment
//! `client_secret` is its owner's only (an admin reading it does not get it). Elsewhere:
//! `accounts::no_response_or_log_line_carries_a_password_hash_token_key_or_email`, and stock
//! and price changes are admin-only (api05).

use http::Method;
use serde_json::{Value, json};

use crate::helpers::{
    admin_token, authorized, customer_token, error_fields, get_as, order_body, post_as, product,
    stock, unique,
};

#[tokio::test]
async fn mass_assignment_is_refused_by_name_and_changes_nothing() {
    let email = format!("{}@example.com", unique("mass"));
    let register = crate::helpers::newcomer()
        .post_json(
            "/auth/register",
            &json!({"email": email, "password": "correct horse battery", "name": "M", "role": "admin"}),
        )
        .await;
    assert_eq!(error_fields(&register.expect(400)), ["role"]);
    assert_eq!(
        crate::helpers::login(&email, "correct horse battery")
            .await
            .status,
        401
    );

    let customer = customer_token().await;
    let me = authorized(
        Method::PATCH,
        "/me",
        &customer,
        Some(json!({"role": "admin", "email": "x@y.z"})),
        &[],
    )
    .await;
    let mut fields = error_fields(&me.expect(400));
    fields.sort();
    assert_eq!(fields, ["email", "role"]);
    let now = get_as(&customer, "/me").await.expect(200);
    assert_eq!(now["user"]["role"], "customer");

    let admin = admin_token().await;
    let mug = product(&admin, 7, 1200).await;
    let mut body = order_body(&[(&mug, 1)]);
    body["status"] = "paid".into();
    body["user_id"] = "01JD5X8Y9Z0A1B2C3D4E5F6G7H".into();
    body["total_cents"] = 1.into();
    body["items"][0]["price_cents"] = 1.into();
    body["items"][0]["unit_price_cents"] = 1.into();
    let key = unique("mass");
    let order = authorized(
        Method::POST,
        "/orders",
        &customer,
        Some(body),
        &[("idempotency-key", &key)],
    )
    .await;
    let fields = error_fields(&order.expect(400));
    for field in ["status", "user_id", "total_cents", "items[0]"] {
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{field} in {fields:?}"
        );
    }
    assert_eq!(stock(&admin, &mug).await, 7);

    let sku = unique("MASS");
    let created = post_as(
        &admin,
        "/products",
        json!({"sku": sku, "name": "Mass", "price_cents": 1, "category": "mass", "stock": 1,
                    "id": "01JD5X8Y9Z0A1B2C3D4E5F6G7H", "created_at": "2000-01-01T00:00:00Z"}),
    )
    .await;
    let mut fields = error_fields(&created.expect(400));
    fields.sort();
    assert_eq!(fields, ["created_at", "id"]);
}

#[tokio::test]
async fn responses_carry_only_documented_properties() {
    let admin = admin_token().await;
    let customer = customer_token().await;
    let mug = product(&admin, 3, 500).await;
    let order = crate::helpers::placed(&customer, &[(&mug, 1)]).await;
    let order_id = order["id"].as_str().unwrap();
    let documented = super::documented_properties();
    let mut bodies = vec![json!({"order": order})];
    for (token, path) in [
        (&customer, "/me".to_owned()),
        (&customer, format!("/products/{mug}")),
        (&admin, format!("/products/{mug}")),
        (&customer, format!("/orders/{order_id}")),
        (&admin, format!("/orders/{order_id}")),
        (&customer, "/orders".to_owned()),
        (&admin, "/admin/orders?limit=5".to_owned()),
        (&admin, "/admin/stats".to_owned()),
    ] {
        bodies.push(get_as(token, &path).await.expect(200));
    }
    fn keys(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    out.push(key.clone());
                    // A map keyed by data (orders counted by status) has values, not properties.
                    if key != "orders_by_status" {
                        keys(value, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }
    let mut seen = Vec::new();
    bodies.iter().for_each(|b| keys(b, &mut seen));
    let undocumented: Vec<&String> = seen.iter().filter(|k| !documented.contains(*k)).collect();
    assert!(
        undocumented.is_empty(),
        "undocumented properties: {undocumented:?}"
    );
}

#[tokio::test]
async fn a_payments_client_secret_is_shown_to_its_owner_only() {
    let crate::helpers::Unpaid {
        admin,
        customer,
        order,
        ..
    } = crate::helpers::unpaid_order(3, 700, 1).await;
    let id = order["id"].as_str().unwrap();
    let secret = order["payment"]["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !secret.is_empty(),
        "the checkout gives its owner the secret"
    );
    let owners = get_as(&customer, &format!("/orders/{id}"))
        .await
        .expect(200);
    assert_eq!(owners["order"]["payment"]["client_secret"], secret.as_str());

    let admins = get_as(&admin, &format!("/orders/{id}")).await;
    let admins_text = String::from_utf8_lossy(&admins.body).into_owned();
    assert_eq!(admins.status, 200);
    assert!(!admins_text.contains(&secret), "{admins_text}");
}
