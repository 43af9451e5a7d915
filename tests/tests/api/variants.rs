//! Variants and the stock ledger, against the local stack: products in sizes, buyers of two
//! variants at once, stock counted while it sells, listings by price, and every bad request
//! named.

use std::sync::Arc;

use http::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Reply, admin_token, assert_problem, authorized, create, customer_token, error_fields, get_as,
    id, unique,
};

/// A T-shirt in sizes S, M and L (and one colour), its variants with `stock` each.
pub(crate) async fn tee(admin: &str, stock: i64) -> Value {
    let sku = unique("TEE");
    let variants: Vec<Value> = [("S", 1500), ("M", 1600), ("L", 1700)]
        .iter()
        .map(|(size, price)| {
            json!({"sku": format!("{sku}-{size}"), "options": {"Size": size, "Colour": "Navy"},
                   "price_cents": price, "stock": stock, "weight_grams": 180})
        })
        .collect();
    create(
        admin,
        json!({"name": format!("Tee {sku}"), "category": "shirts",
               "options": [{"name": "Size", "values": ["S", "M", "L", "XL"]},
                           {"name": "Colour", "values": ["Navy"]}],
               "variants": variants}),
    )
    .await
}

/// The id of the variant of `product` that has `size`.
pub(crate) fn variant(product: &Value, size: &str) -> String {
    product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["options"]["Size"] == size)
        .and_then(|v| v["id"].as_str())
        .unwrap()
        .to_owned()
}

pub(crate) fn order_of(lines: &[(&str, &str, i64)]) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .map(|(key, id, quantity)| json!({*key: id, "quantity": quantity}))
        .collect();
    json!({"items": items, "shipping_address": {"name": "Ada Lovelace", "line1": "1 Main Street",
           "city": "Berlin", "postal_code": "10115", "country": "DE"}})
}

pub(crate) async fn checkout(token: &str, body: &Value) -> Reply {
    let key = unique("key");
    authorized(
        Method::POST,
        "/orders",
        token,
        Some(body.clone()),
        &[("idempotency-key", &key)],
    )
    .await
}

/// Every movement of a variant, newest first, page by page.
pub(crate) async fn ledger(admin: &str, variant: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/admin/inventory/{variant}/movements?limit=7&cursor={c}"),
            None => format!("/admin/inventory/{variant}/movements?limit=7"),
        };
        let page = get_as(admin, &path).await.expect(200);
        all.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return all,
        }
    }
}

pub(crate) async fn product_json(token: &str, product: &str) -> Value {
    get_as(token, &format!("/products/{product}"))
        .await
        .expect(200)["product"]
        .clone()
}

pub(crate) fn stock_of(product: &Value, variant: &str) -> i64 {
    product["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == variant)
        .and_then(|v| v["stock"].as_i64())
        .unwrap()
}

/// Checks a variant's ledger adds up to `stock`: newest first, its `stock_after` the stock,
/// each entry's `stock_after` the one before plus its delta, the deltas summing to the stock.
pub(crate) fn assert_ledger_adds_up(movements: &[Value], stock: i64) {
    assert_eq!(movements[0]["stock_after"], stock, "{movements:?}");
    let deltas: i64 = movements.iter().map(|m| m["delta"].as_i64().unwrap()).sum();
    assert_eq!(deltas, stock);
    for pair in movements.windows(2) {
        let (newer, older) = (&pair[0], &pair[1]);
        assert_eq!(
            newer["stock_after"].as_i64().unwrap(),
            older["stock_after"].as_i64().unwrap() + newer["delta"].as_i64().unwrap(),
            "{newer} after {older}"
        );
    }
}

/// Runs `count` futures made by `make`, at most `at_once` at a time.
pub(crate) async fn bounded<F, Fut>(count: usize, at_once: usize, make: F) -> Vec<Reply>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Reply> + Send + 'static,
{
    let gate = Arc::new(tokio::sync::Semaphore::new(at_once));
    let handles: Vec<_> = (0..count)
        .map(|i| {
            let work = make(i);
            let gate = gate.clone();
            tokio::spawn(async move {
                let _turn = gate.acquire_owned().await.unwrap();
                work.await
            })
        })
        .collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

pub(crate) async fn customers(n: usize) -> Vec<String> {
    let mut all = Vec::new();
    for _ in 0..n {
        all.push(customer_token().await);
    }
    all
}

#[tokio::test]
async fn buyers_of_two_variants_at_once_each_take_exactly_its_stock() {
    let admin = admin_token().await;
    let product = tee(&admin, 10).await;
    let (small, medium) = (variant(&product, "S"), variant(&product, "M"));
    // Sixty checkouts, sixteen at a time, half of each variant; twenty customers of three
    // (each may hold three unpaid orders).
    let buyers = customers(20).await;
    let replies = bounded(60, 16, |i| {
        let token = buyers[i % buyers.len()].clone();
        let wanted = if i % 2 == 0 { &small } else { &medium };
        let body = order_of(&[("variant_id", wanted, 1)]);
        async move { checkout(&token, &body).await }
    })
    .await;
    let others: Vec<String> = replies
        .iter()
        .filter(|r| ![201, 409].contains(&r.status))
        .map(|r| format!("{} {}", r.status, String::from_utf8_lossy(&r.body)))
        .collect();
    assert!(others.is_empty(), "{others:?}");
    for (parity, wanted) in [(0, &small), (1, &medium)] {
        let sold = replies
            .iter()
            .enumerate()
            .filter(|(i, r)| i % 2 == parity && r.status == 201)
            .count();
        assert_eq!(sold, 10, "variant {wanted}");
        for (_, reply) in replies
            .iter()
            .enumerate()
            .filter(|(i, r)| i % 2 == parity && r.status == 409)
        {
            let problem = assert_problem(reply, 409, "out_of_stock");
            assert_eq!(error_fields(&problem), ["items[0].variant_id"]);
        }
    }
    let after = product_json(&admin, &id(&product)).await;
    assert_eq!(
        (stock_of(&after, &small), stock_of(&after, &medium)),
        (0, 0)
    );
    assert_eq!(after["stock"], 10, "the third size is untouched");
    for wanted in [&small, &medium] {
        let movements = ledger(&admin, wanted).await;
        assert_eq!(movements.len(), 11, "its first stock and ten sales");
        assert_ledger_adds_up(&movements, 0);
        let sales = movements.iter().filter(|m| m["reason"] == "sale").count();
        assert_eq!(sales, 10);
        assert!(
            movements
                .iter()
                .filter(|m| m["reason"] == "sale")
                .all(|m| m["order_id"].is_string())
        );
    }
    // An order line records the variant as it was sold.
    let sold = replies.iter().find(|r| r.status == 201).unwrap().json();
    let line = &sold["order"]["items"][0];
    assert!(
        line["sku"].as_str().unwrap().ends_with("-S")
            || line["sku"].as_str().unwrap().ends_with("-M")
    );
    assert_eq!(line["options"]["Colour"], "Navy");
    assert_eq!(line["product_id"], id(&product));
}

#[tokio::test]
async fn a_stock_count_while_thirty_checkouts_land_loses_no_sale() {
    let admin = admin_token().await;
    let sku = unique("COUNT");
    let product = create(
        &admin,
        json!({"sku": sku, "name": "Counted mug", "category": "mugs", "price_cents": 900, "stock": 40}),
    )
    .await;
    let mug = id(&product);
    // A simple product's one variant has the product's id.
    assert_eq!(product["variants"][0]["id"], mug.as_str());
    assert_eq!(product["sku"], sku.to_uppercase());
    let buyers = customers(10).await;
    let count_path = format!("/products/{mug}");
    let admin_for_count = admin.clone();
    let count = tokio::spawn(async move {
        authorized(
            Method::PATCH,
            &count_path,
            &admin_for_count,
            Some(json!({"stock": 45})),
            &[],
        )
        .await
    });
    let replies = bounded(30, 30, |i| {
        let token = buyers[i % buyers.len()].clone();
        let body = order_of(&[("product_id", &mug, 1)]);
        async move { checkout(&token, &body).await }
    })
    .await;
    let count = count.await.unwrap();
    assert_eq!(
        count.status,
        200,
        "{}",
        String::from_utf8_lossy(&count.body)
    );
    let sold = replies.iter().filter(|r| r.status == 201).count() as i64;
    assert_eq!(sold, 30, "40 units, 30 wanted: every checkout is served");
    let movements = ledger(&admin, &mug).await;
    let stock = stock_of(&product_json(&admin, &mug).await, &mug);
    assert_ledger_adds_up(&movements, stock);
    // The count added what it asked above the stock it read: 45 − (40 − sales before it).
    let counted: Vec<&Value> = movements
        .iter()
        .filter(|m| m["reason"] == "count" && m != &movements.last().unwrap())
        .collect();
    assert_eq!(counted.len(), 1);
    let delta = counted[0]["delta"].as_i64().unwrap();
    assert_eq!(stock, 40 + delta - sold, "no sale lost");
    assert!((5..=35).contains(&delta), "{delta}");
    assert_eq!(
        movements.iter().filter(|m| m["reason"] == "sale").count() as i64,
        sold
    );
}

#[tokio::test]
async fn every_bad_variant_request_is_named_and_writes_nothing() {
    let admin = admin_token().await;
    let product = tee(&admin, 2).await;
    let pid = id(&product);
    let path = format!("/products/{pid}/variants");
    let post = |body: Value| {
        let (admin, path) = (admin.clone(), path.clone());
        async move { authorized(Method::POST, &path, &admin, Some(body), &[]).await }
    };
    let fresh = unique("NEW");
    for (body, status, field) in [
        (
            json!({"sku": fresh, "options": {"Size": "XL", "Fit": "Slim"}, "price_cents": 1, "stock": 0}),
            400,
            "options",
        ),
        (
            json!({"sku": fresh, "options": {"Size": "XXL", "Colour": "Navy"}, "price_cents": 1, "stock": 0}),
            400,
            "options",
        ),
        (
            json!({"sku": fresh, "options": {"Size": "XL"}, "price_cents": 1, "stock": 0}),
            400,
            "options",
        ),
        (
            json!({"sku": fresh, "options": {"Size": "XL", "Colour": "Navy"}, "price_cents": -1, "stock": 0}),
            400,
            "price_cents",
        ),
    ] {
        let reply = post(body.clone()).await;
        let problem = assert_problem(&reply, status, "validation_failed");
        assert_eq!(error_fields(&problem), [field], "{body}");
    }
    let taken = post(json!({"sku": format!("{fresh}-2"), "options": {"Size": "S", "Colour": "Navy"}, "price_cents": 1, "stock": 0})).await;
    assert_problem(&taken, 409, "conflict");
    let sku = product["variants"][0]["sku"].as_str().unwrap().to_owned();
    let reused = post(json!({"sku": sku, "options": {"Size": "XL", "Colour": "Navy"}, "price_cents": 1, "stock": 0})).await;
    assert_problem(&reused, 409, "sku_taken");
    // Nothing of the refused ones was written.
    let after = product_json(&admin, &pid).await;
    assert_eq!(after["variants"].as_array().unwrap().len(), 3);
    // A variant of another product in the path is unknown there.
    let other = tee(&admin, 1).await;
    let stranger = variant(&other, "S");
    let wrong = authorized(
        Method::PATCH,
        &format!("/products/{pid}/variants/{stranger}"),
        &admin,
        Some(json!({"price_cents": 5})),
        &[],
    )
    .await;
    assert_eq!(wrong.status, 404);
    let no_stock = authorized(
        Method::PATCH,
        &format!("/products/{pid}/variants/{}", variant(&product, "S")),
        &admin,
        Some(json!({"stock": 5})),
        &[],
    )
    .await;
    assert_eq!(
        error_fields(&assert_problem(&no_stock, 400, "validation_failed")),
        ["stock"]
    );
    // Stock moves by deltas: not 0, within range, never below 0, once per key.
    let small = variant(&product, "S");
    let adjust = |delta: Value, key: &str| {
        let (admin, pid, small, key) = (admin.clone(), pid.clone(), small.clone(), key.to_owned());
        async move {
            authorized(
                Method::POST,
                &format!("/products/{pid}/variants/{small}/stock"),
                &admin,
                Some(json!({"delta": delta, "reason": "restock"})),
                &[("idempotency-key", &key)],
            )
            .await
        }
    };
    for delta in [json!(0), json!(1_000_001), json!(-1_000_001), json!(1.5)] {
        let reply = adjust(delta.clone(), &unique("k")).await;
        assert_eq!(
            error_fields(&assert_problem(&reply, 400, "validation_failed")),
            ["delta"],
            "{delta}"
        );
    }
    let below = adjust(json!(-3), &unique("k")).await;
    assert_problem(&below, 409, "out_of_stock");
    let key = unique("k");
    let first = adjust(json!(5), &key).await.expect(200);
    assert_eq!(
        (
            first["variant"]["stock"].as_i64(),
            first["movement"]["delta"].as_i64()
        ),
        (Some(7), Some(5))
    );
    assert_eq!(first["movement"]["reason"], "restock");
    let again = adjust(json!(5), &key).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        stock_of(&product_json(&admin, &pid).await, &small),
        7,
        "the same key moves it once"
    );
    let bad_reason = authorized(
        Method::POST,
        &format!("/products/{pid}/variants/{small}/stock"),
        &admin,
        Some(json!({"delta": 1, "reason": "sale"})),
        &[("idempotency-key", &unique("k"))],
    )
    .await;
    assert_eq!(
        error_fields(&assert_problem(&bad_reason, 400, "validation_failed")),
        ["reason"]
    );
    // The ledger: its first stock, the restock; a garbage cursor is refused.
    let movements = ledger(&admin, &small).await;
    assert_eq!(movements.len(), 2);
    assert_ledger_adds_up(&movements, 7);
    assert!(
        movements[0]["actor_id"].as_str().is_some(),
        "an adjustment names its admin"
    );
    let garbage = get_as(
        &admin,
        &format!("/admin/inventory/{small}/movements?cursor=AAAA"),
    )
    .await;
    assert_problem(&garbage, 400, "invalid_cursor");
    let unknown = get_as(
        &admin,
        &format!("/admin/inventory/{}/movements", shared::ids::Id::new()),
    )
    .await;
    assert_eq!(unknown.status, 404);
    let customer = customer_token().await;
    assert_eq!(
        get_as(&customer, &format!("/admin/inventory/{small}/movements"))
            .await
            .status,
        403
    );
    // A product of several variants is bought by variant; its stock is not edited as one.
    let buyer = customer_token().await;
    let by_product = checkout(&buyer, &order_of(&[("product_id", &pid, 1)])).await;
    assert_eq!(
        error_fields(&assert_problem(&by_product, 400, "validation_failed")),
        ["items[0].product_id"]
    );
    let patch = authorized(
        Method::PATCH,
        &format!("/products/{pid}"),
        &admin,
        Some(json!({"stock": 3})),
        &[],
    )
    .await;
    assert_eq!(
        error_fields(&assert_problem(&patch, 400, "validation_failed")),
        ["stock"]
    );
    for (query, field) in [
        ("sort=cheapest", "sort"),
        ("min_price=9&max_price=8", "min_price"),
        ("q=tee&sort=price_asc", "sort"),
    ] {
        let reply = crate::helpers::api()
            .get(&format!("/products?{query}"))
            .await;
        assert_eq!(
            error_fields(&assert_problem(&reply, 400, "validation_failed")),
            [field],
            "{query}"
        );
    }
}
