//! Edits of a product's variants and options: options declared on a simple product retire
//! its default variant only when it holds no stock, and a variant's edit moves the product's
//! price and frees its old SKU.

use http::Method;
use serde_json::json;

use crate::helpers::{admin_token, assert_problem, authorized, create, customer_token, id, unique};
use crate::variants::{
    assert_ledger_adds_up, checkout, ledger, order_of, product_json, tee, variant,
};

#[tokio::test]
async fn options_declared_on_a_simple_product_retire_its_default_variant_only_when_empty() {
    let admin = admin_token().await;
    let sku = unique("PLAIN");
    let product = create(
        &admin,
        json!({"sku": sku, "name": "Plain cap", "category": "caps", "price_cents": 1200, "stock": 2}),
    )
    .await;
    let pid = id(&product);
    let options = json!({"options": [{"name": "Size", "values": ["S", "M"]}]});
    let refused = authorized(
        Method::PATCH,
        &format!("/products/{pid}"),
        &admin,
        Some(options.clone()),
        &[],
    )
    .await;
    assert_problem(&refused, 409, "conflict");
    assert!(
        product_json(&admin, &pid).await["options"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let emptied = authorized(
        Method::POST,
        &format!("/products/{pid}/variants/{pid}/stock"),
        &admin,
        Some(json!({"delta": -2, "reason": "damage"})),
        &[("idempotency-key", &unique("k"))],
    )
    .await;
    assert_eq!(emptied.status, 200);
    let declared = authorized(
        Method::PATCH,
        &format!("/products/{pid}"),
        &admin,
        Some(options),
        &[],
    )
    .await
    .expect(200);
    let variants = declared["product"]["variants"].as_array().unwrap();
    assert_eq!(
        (variants.len(), variants[0]["active"].as_bool()),
        (1, Some(false))
    );
    // The public sees no retired variant; a new one is sold by its id.
    let public = crate::helpers::api()
        .get(&format!("/products/{pid}"))
        .await
        .expect(200);
    assert!(public["product"]["variants"].as_array().unwrap().is_empty());
    let medium = authorized(
        Method::POST,
        &format!("/products/{pid}/variants"),
        &admin,
        Some(json!({"sku": format!("{sku}-M"), "options": {"Size": "M"}, "price_cents": 1300, "stock": 4})),
        &[("idempotency-key", &unique("k"))],
    )
    .await
    .expect(201);
    let medium_id = medium["variant"]["id"].as_str().unwrap().to_owned();
    let buyer = customer_token().await;
    let order = checkout(&buyer, &order_of(&[("product_id", &pid, 1)]))
        .await
        .expect(201);
    assert_eq!(
        order["order"]["items"][0]["variant_id"],
        medium_id.as_str(),
        "its one variant for sale"
    );
    assert_eq!(order["order"]["total_cents"], 1300);
    // Cancelled, the unit comes back as a movement.
    let cancelled = authorized(
        Method::POST,
        &format!("/orders/{}/cancel", order["order"]["id"].as_str().unwrap()),
        &buyer,
        None,
        &[],
    )
    .await;
    assert_eq!(cancelled.status, 200);
    let movements = ledger(&admin, &medium_id).await;
    let reasons: Vec<&str> = movements
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["cancel", "sale", "count"]);
    assert_ledger_adds_up(&movements, 4);
}

#[tokio::test]
async fn a_variant_edit_moves_the_products_price_and_frees_its_old_sku() {
    let admin = admin_token().await;
    let product = tee(&admin, 3).await;
    let pid = id(&product);
    let small = variant(&product, "S");
    let old_sku = product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == small.as_str())
        .and_then(|v| v["sku"].as_str())
        .unwrap()
        .to_owned();
    let new_sku = unique("TEE-NEW");
    let edited = authorized(
        Method::PATCH,
        &format!("/products/{pid}/variants/{small}"),
        &admin,
        Some(json!({"sku": new_sku, "price_cents": 900, "weight_grams": 150})),
        &[],
    )
    .await
    .expect(200);
    let variant_now = &edited["variant"];
    assert_eq!(variant_now["sku"], new_sku.to_uppercase());
    assert_eq!(
        (
            variant_now["price_cents"].as_i64(),
            variant_now["stock"].as_i64()
        ),
        (Some(900), Some(3))
    );
    // The product's price is its lowest active variant's.
    assert_eq!(product_json(&admin, &pid).await["price_cents"], 900);
    // Retired, its price no longer counts, and the public no longer sees it.
    authorized(
        Method::PATCH,
        &format!("/products/{pid}/variants/{small}"),
        &admin,
        Some(json!({"active": false})),
        &[],
    )
    .await
    .expect(200);
    let public = crate::helpers::api()
        .get(&format!("/products/{pid}"))
        .await
        .expect(200);
    assert_eq!(public["product"]["price_cents"], 1600);
    assert_eq!(public["product"]["variants"].as_array().unwrap().len(), 2);
    // Its old SKU is free for another variant; its new one is taken.
    let reuse = authorized(
        Method::POST,
        &format!("/products/{pid}/variants"),
        &admin,
        Some(json!({"sku": old_sku, "options": {"Size": "XL", "Colour": "Navy"}, "price_cents": 1800, "stock": 0})),
        &[],
    )
    .await;
    assert_eq!(
        reuse.status,
        201,
        "{}",
        String::from_utf8_lossy(&reuse.body)
    );
    let taken = authorized(
        Method::POST,
        "/products",
        &admin,
        Some(json!({"sku": new_sku, "name": "Copy", "category": "mugs", "price_cents": 1, "stock": 0})),
        &[],
    )
    .await;
    assert_problem(&taken, 409, "sku_taken");
}
