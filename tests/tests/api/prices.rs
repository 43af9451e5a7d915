//! The catalog by price, and products stored before variants: a category walked page by page in
//! price order, price ranges, cursors tied to their sort; the migration that gives old
//! products their default variant.

use serde_json::json;

use crate::helpers::{admin_token, assert_problem, authorized, create, customer_token, id, unique};
use crate::variants::{assert_ledger_adds_up, checkout, ledger, order_of, product_json};
use http::Method;

#[tokio::test]
async fn a_category_walked_by_price_shows_each_product_once_in_order() {
    let admin = admin_token().await;
    let category = unique("walk").to_lowercase();
    let mut made = Vec::new();
    for i in 0..45 {
        // Prices repeat, so that ties are ordered too.
        let price = 100 + (i * 37 % 23) * 10;
        let product = create(
            &admin,
            json!({"sku": unique("WALK"), "name": format!("Walk {i}"), "category": category,
                   "price_cents": price, "stock": 1}),
        )
        .await;
        made.push((price, id(&product)));
    }
    for sort in ["price_asc", "price_desc"] {
        let mut seen: Vec<(i64, String)> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut path = format!("/products?category={category}&sort={sort}&limit=7");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let page = crate::helpers::api().get(&path).await.expect(200);
            pages += 1;
            for p in page["items"].as_array().unwrap() {
                seen.push((
                    p["price_cents"].as_i64().unwrap(),
                    p["id"].as_str().unwrap().to_owned(),
                ));
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 7, "{sort}: 45 products, 7 a page");
        let mut ids: Vec<&String> = seen.iter().map(|(_, id)| id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 45, "{sort}: each product once");
        let prices: Vec<i64> = seen.iter().map(|(p, _)| *p).collect();
        let mut ordered = prices.clone();
        ordered.sort();
        if sort == "price_desc" {
            ordered.reverse();
        }
        assert_eq!(prices, ordered, "{sort}");
    }
    // A price range, by price and newest first.
    let ranged = crate::helpers::api()
        .get(&format!(
            "/products?category={category}&sort=price_asc&min_price=150&max_price=250&limit=100"
        ))
        .await
        .expect(200);
    let expected = made.iter().filter(|(p, _)| (150..=250).contains(p)).count();
    let items = ranged["items"].as_array().unwrap();
    assert_eq!(items.len(), expected);
    assert!(
        items
            .iter()
            .all(|p| (150..=250).contains(&p["price_cents"].as_i64().unwrap()))
    );
    let newest = crate::helpers::api()
        .get(&format!(
            "/products?category={category}&sort=newest&min_price=150&max_price=250&limit=100"
        ))
        .await
        .expect(200);
    let ids: Vec<&str> = newest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let mut newest_first: Vec<&str> = made
        .iter()
        .filter(|(p, _)| (150..=250).contains(p))
        .map(|(_, id)| id.as_str())
        .collect();
    newest_first.reverse();
    assert_eq!(ids, newest_first);
    // A cursor of one sort is no other's.
    let first = crate::helpers::api()
        .get(&format!(
            "/products?category={category}&sort=price_asc&limit=7"
        ))
        .await
        .expect(200);
    let cursor = first["next_cursor"].as_str().unwrap();
    let reply = crate::helpers::api()
        .get(&format!(
            "/products?category={category}&sort=price_desc&limit=7&cursor={cursor}"
        ))
        .await;
    assert_problem(&reply, 400, "invalid_cursor");
}

#[tokio::test]
async fn a_product_stored_before_variants_is_migrated_once_and_sells() {
    let sdk = shared::aws::local_config(&crate::helpers::env("DYNAMODB_URL")).await;
    let table = shared::db::Table::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        crate::helpers::env("STOREFRONT_TABLE"),
    );
    let id = shared::ids::Id::new().to_string();
    let sku = unique("OLD");
    let now = shared::clock::now();
    shared::catalog::migrate::put_legacy(&table, &id, &sku, "Old mug", 800, 6, now)
        .await
        .unwrap();
    let first = shared::catalog::migrate::run(&table, now).await.unwrap();
    assert!(first.migrated >= 1);
    let again = shared::catalog::migrate::run(&table, now).await.unwrap();
    assert_eq!(again.migrated, 0, "a second run finds nothing to do");
    let admin = admin_token().await;
    let product = product_json(&admin, &id).await;
    assert_eq!(
        (product["sku"].as_str(), product["stock"].as_i64()),
        (Some(sku.to_uppercase().as_str()), Some(6))
    );
    assert_eq!(product["variants"][0]["id"], id.as_str());
    let buyer = customer_token().await;
    checkout(&buyer, &order_of(&[("product_id", &id, 2)]))
        .await
        .expect(201);
    let movements = ledger(&admin, &id).await;
    assert_ledger_adds_up(&movements, 4);
    // Its SKU is still its own: no other variant may take it.
    let taken = authorized(
        Method::POST,
        "/products",
        &admin,
        Some(json!({"sku": sku, "name": "Copy", "category": "mugs", "price_cents": 1, "stock": 0})),
        &[],
    )
    .await;
    assert_problem(&taken, 409, "sku_taken");
}
