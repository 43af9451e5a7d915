//! A checkout that prices a real order: shipping zones, tax rates, the tax-inclusion setting
//! and discount codes, quoted and then ordered. The settings are the whole shop's (once a zone
//! exists, an address outside every zone cannot be ordered to), so these are quiet tests;
//! each leaves the shop as it found it: no zone, no rate, prices without tax.

use std::time::Duration;

use http::Method;
use serde_json::{Value, json};
use shared::testing::localstripe;

use crate::helpers::{
    admin_token, assert_problem, authorized, create, customer_token, env, get_as, id, post_as,
    unique,
};

/// The stack's settings cache (`SettingsCacheSeconds` = 1 in tests), and a little more.
const SETTLE: Duration = Duration::from_millis(1100);

async fn put(admin: &str, path: &str, body: Value) -> Value {
    let reply = authorized(Method::PUT, path, admin, Some(body), &[]).await;
    assert!(
        matches!(reply.status, 200 | 201),
        "{path}: {}",
        reply.json()
    );
    reply.json()
}

async fn delete(admin: &str, path: &str) {
    let reply = authorized(Method::DELETE, path, admin, None, &[]).await;
    assert!(
        matches!(reply.status, 204 | 404),
        "{path}: {}",
        reply.status
    );
}

/// The shop these tests price in: the US (ground, 5.00 plus 1.00 a started kg, free from
/// 100.00) and Germany (DHL, 4.90); 7.25 % in California, 19 % in Germany.
async fn set_up(admin: &str) {
    put(
        admin,
        "/admin/shipping-zones/us",
        json!({"name": "United States", "regions": ["US"], "methods": [
            {"id": "ground", "name": "Ground", "price_cents": 500, "per_kg_cents": 100,
             "free_over_cents": 10000},
            {"id": "overnight", "name": "Overnight", "price_cents": 2500}]}),
    )
    .await;
    put(
        admin,
        "/admin/shipping-zones/de",
        json!({"name": "Germany", "regions": ["DE"], "methods": [
            {"id": "dhl", "name": "DHL", "price_cents": 490}]}),
    )
    .await;
    put(admin, "/admin/tax-rates/US-CA", json!({"rate_bps": 725})).await;
    put(admin, "/admin/tax-rates/DE", json!({"rate_bps": 1900})).await;
    put(
        admin,
        "/admin/settings",
        json!({"prices_include_tax": false}),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
}

async fn tear_down(admin: &str) {
    delete(admin, "/admin/shipping-zones/us").await;
    delete(admin, "/admin/shipping-zones/de").await;
    delete(admin, "/admin/tax-rates/US-CA").await;
    delete(admin, "/admin/tax-rates/DE").await;
    put(
        admin,
        "/admin/settings",
        json!({"prices_include_tax": false}),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
}

/// A product of `stock` units at `price_cents`, each weighing `grams`.
async fn mug(admin: &str, stock: i64, price_cents: i64, grams: i64) -> String {
    let sku = unique("PRICED");
    id(&create(
        admin,
        json!({"sku": sku, "name": format!("Mug {sku}"), "price_cents": price_cents,
               "category": "priced", "stock": stock, "weight_grams": grams}),
    )
    .await)
}

fn address(country: &str, region: Option<&str>) -> Value {
    let mut address = json!({"name": "Ada Lovelace", "line1": "1 Main Street",
        "city": "Somewhere", "postal_code": "10115", "country": country});
    if let Some(region) = region {
        address["region"] = json!(region);
    }
    address
}

/// The money fields of a quote or an order, and its lines' shares.
fn money(priced: &Value) -> Value {
    let lines: Vec<Value> = priced["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!([l["line_total_cents"], l["discount_cents"], l["tax_cents"]]))
        .collect();
    json!({
        "subtotal": priced["subtotal_cents"], "discount": priced["discount_cents"],
        "shipping": priced["shipping_cents"], "tax": priced["tax_cents"],
        "total": priced["total_cents"], "included": priced["prices_include_tax"],
        "code": priced["discount_code"], "method": priced["shipping_method"]["id"],
        "lines": lines,
    })
}

/// Quotes `items` to `address` with `extra` fields, orders the same as a customer of its own
/// (one holds at most three unpaid orders) expecting the quote's total, and checks that the
/// quote, the order and the PaymentIntent at localstripe agree to the cent. The quote.
async fn quote_then_order(items: Value, address: Value, extra: Value) -> Value {
    let token = &customer_token().await;
    let mut asked = json!({"items": items, "shipping_address": {
        "country": address["country"], "region": address["region"]}});
    if address["region"].is_null() {
        asked["shipping_address"] = json!({"country": address["country"]});
    }
    let mut order_body = json!({"items": items, "shipping_address": address});
    for (field, value) in extra.as_object().unwrap() {
        asked[field] = value.clone();
        order_body[field] = value.clone();
    }
    let quote = post_as(token, "/checkout/quote", asked).await.expect(200)["quote"].clone();
    order_body["expected_total_cents"] = quote["total_cents"].clone();
    let key = unique("priced");
    let reply = authorized(
        Method::POST,
        "/orders",
        token,
        Some(order_body),
        &[("idempotency-key", &key)],
    )
    .await;
    let order = reply.expect(201)["order"].clone();
    assert_eq!(
        money(&order),
        money(&quote),
        "the order is priced as quoted"
    );
    let intent = localstripe::get(
        &env("STRIPE_URL"),
        &format!(
            "/v1/payment_intents/{}",
            order["payment"]["payment_intent_id"].as_str().unwrap()
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        intent["amount"], order["total_cents"],
        "Stripe is asked the total"
    );
    quote
}

#[tokio::test]
async fn a_quote_and_its_order_agree_to_the_cent_in_every_tax_mode_and_with_every_code() {
    let admin = admin_token().await;
    set_up(&admin).await;
    let customer = customer_token().await;
    let mug = mug(&admin, 500, 1999, 400).await;
    let two = json!([{"product_id": mug, "quantity": 2}]);

    // California adds its tax: 3998 + 500 + 100 (0.8 kg is one started kg); 7.25 % of 3998
    // and of 600.
    let ca = quote_then_order(two.clone(), address("US", Some("CA")), json!({})).await;
    assert_eq!(money(&ca)["lines"], json!([[3998, 0, 290]]), "{ca}");
    assert_eq!(
        (ca["shipping_cents"].as_i64(), ca["tax_cents"].as_i64()),
        (Some(600), Some(290 + 44))
    );
    assert_eq!(ca["total_cents"], 3998 + 600 + 334);
    assert_eq!(ca["shipping_methods"].as_array().map(Vec::len), Some(2));
    // New York has no rate; overnight when asked for.
    let ny = quote_then_order(
        two.clone(),
        address("US", Some("NY")),
        json!({"shipping_method_id": "overnight"}),
    )
    .await;
    assert_eq!(
        (ny["tax_cents"].as_i64(), ny["total_cents"].as_i64()),
        (Some(0), Some(3998 + 2500))
    );
    // Free shipping from 100.00: six mugs are 119.94.
    let six = json!([{"product_id": mug, "quantity": 6}]);
    let free = quote_then_order(six, address("US", Some("TX")), json!({})).await;
    assert_eq!(free["shipping_cents"], 0);
    assert_eq!(free["total_cents"], 11994);

    // Codes: 10 % (400 of 3998, rounded), 5.00 off, and 100.00 off a 39.98 order (capped: what
    // is left to pay is shipping and its tax).
    for (code, kind, value) in [
        ("TEN-PC", "percent", 10),
        ("FIVE-OFF", "fixed", 500),
        ("HUNDRED", "fixed", 10000),
    ] {
        let made = post_as(
            &admin,
            "/admin/discounts",
            json!({"code": unique(code).to_uppercase().replace('_', "-"), "kind": kind, "value": value}),
        )
        .await
        .expect(201)["discount"]
            .clone();
        let code = made["code"].as_str().unwrap().to_owned();
        let quote = quote_then_order(
            two.clone(),
            address("US", Some("CA")),
            json!({"discount_code": code.to_lowercase()}),
        )
        .await;
        let discount = match (kind, value) {
            ("percent", _) => 400,
            (_, 500) => 500,
            _ => 3998,
        };
        assert_eq!(quote["discount_cents"], discount, "{code}: {quote}");
        assert_eq!(quote["discount_code"], code.as_str());
        let line_tax = shared::pricing::tax_of(3998 - discount, 725, false);
        assert_eq!(quote["tax_cents"], line_tax + 44, "{code}");
        assert_eq!(
            quote["total_cents"],
            3998 - discount + 600 + line_tax + 44,
            "{code}"
        );
    }

    // Germany holds its tax inside the prices once the shop says so.
    put(
        &admin,
        "/admin/settings",
        json!({"prices_include_tax": true}),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    let de = quote_then_order(two.clone(), address("DE", None), json!({})).await;
    // 19 % inside 3998 (638.3) and inside 490 (78.2); the total is what the prices say.
    assert_eq!(de["prices_include_tax"], true);
    assert_eq!(
        (de["tax_cents"].as_i64(), de["total_cents"].as_i64()),
        (Some(638 + 78), Some(3998 + 490))
    );

    // A total the client did not expect is 409 with the new quote; nowhere is 422.
    let mut stale = json!({"items": two, "shipping_address": address("DE", None),
                           "expected_total_cents": 3998});
    let reply = authorized(
        Method::POST,
        "/orders",
        &customer,
        Some(stale.clone()),
        &[("idempotency-key", &unique("stale"))],
    )
    .await;
    let problem = assert_problem(&reply, 409, "price_changed");
    assert_eq!(problem["quote"]["total_cents"], 3998 + 490);
    stale["shipping_address"] = address("FR", None);
    stale
        .as_object_mut()
        .unwrap()
        .remove("expected_total_cents");
    let reply = authorized(
        Method::POST,
        "/orders",
        &customer,
        Some(stale),
        &[("idempotency-key", &unique("nowhere"))],
    )
    .await;
    assert_problem(&reply, 422, "shipping_unavailable");
    tear_down(&admin).await;
}

/// `count` customers each try `per_customer` checkouts with `code` at once; the orders made.
async fn race(
    code: &str,
    product: &str,
    count: usize,
    per_customer: usize,
) -> Vec<(String, Value)> {
    let mut customers = Vec::new();
    for _ in 0..count {
        customers.push(customer_token().await);
    }
    let mut tries = tokio::task::JoinSet::new();
    for customer in &customers {
        for _ in 0..per_customer {
            let (customer, code, product) = (customer.clone(), code.to_owned(), product.to_owned());
            tries.spawn(async move {
                let body = json!({"items": [{"product_id": product, "quantity": 1}],
                    "shipping_address": address("DE", None), "discount_code": code});
                let reply = authorized(
                    Method::POST,
                    "/orders",
                    &customer,
                    Some(body),
                    &[("idempotency-key", &unique("race"))],
                )
                .await;
                (customer, reply.status, reply.json())
            });
        }
    }
    let mut placed = Vec::new();
    while let Some(done) = tries.join_next().await {
        let (customer, status, body) = done.unwrap();
        match status {
            201 => placed.push((customer, body["order"].clone())),
            422 => assert_eq!(body["code"], "discount_invalid", "{body}"),
            other => panic!("a racing checkout got {other}: {body}"),
        }
    }
    placed
}

async fn redemptions(admin: &str, code: &str) -> i64 {
    let listed = get_as(admin, "/admin/discounts?limit=100")
        .await
        .expect(200);
    listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
        .map(|d| d["redemptions"].as_i64().unwrap())
        .unwrap()
}

#[tokio::test]
async fn a_codes_limits_hold_exactly_under_racing_checkouts_and_a_cancel_gives_one_back() {
    let admin = admin_token().await;
    let product = mug(&admin, 1000, 2500, 100).await;
    let code = unique("FIVE").to_uppercase().replace('_', "-");
    post_as(
        &admin,
        "/admin/discounts",
        json!({"code": code, "kind": "percent", "value": 20, "max_redemptions": 5}),
    )
    .await
    .expect(201);
    // 20 checkouts of 10 customers at once: exactly 5 carry the code.
    let placed = race(&code, &product, 10, 2).await;
    assert_eq!(placed.len(), 5, "{placed:?}");
    assert!(
        placed
            .iter()
            .all(|(_, o)| o["discount_code"] == code.as_str() && o["discount_cents"] == 500)
    );
    assert_eq!(redemptions(&admin, &code).await, 5);
    // Cancelling one gives its redemption back: the next customer gets it, and then nobody.
    let (owner, order) = &placed[0];
    let cancelled = post_as(
        owner,
        &format!("/orders/{}/cancel", order["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    cancelled.expect(200);
    assert_eq!(redemptions(&admin, &code).await, 4);
    assert_eq!(race(&code, &product, 2, 1).await.len(), 1);
    assert_eq!(redemptions(&admin, &code).await, 5);

    // Once per customer: three checkouts of one customer at once, one carries it.
    let once = unique("ONCE").to_uppercase().replace('_', "-");
    post_as(
        &admin,
        "/admin/discounts",
        json!({"code": once, "kind": "fixed", "value": 300, "max_per_customer": 1}),
    )
    .await
    .expect(201);
    assert_eq!(race(&once, &product, 1, 3).await.len(), 1);
    assert_eq!(redemptions(&admin, &once).await, 1);
    // A signed-in customer who has not used it is quoted it (a line by its variant: a simple
    // product's one variant has the product's id).
    let asked = json!({"items": [{"variant_id": product, "quantity": 1}],
        "shipping_address": {"country": "DE"}, "discount_code": once});
    let fresh = customer_token().await;
    let quote = post_as(&fresh, "/checkout/quote", asked.clone())
        .await
        .expect(200);
    assert_eq!(quote["quote"]["discount_cents"], 300);
    // An inactive code says so, and a quote says why before anyone orders.
    let path = format!("/admin/discounts/{once}");
    let reply = authorized(
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"active": false})),
        &[],
    )
    .await;
    assert_eq!(reply.expect(200)["discount"]["redemptions"], 1);
    let asked = json!({"items": [{"product_id": product, "quantity": 1}],
        "shipping_address": {"country": "DE"}, "discount_code": once});
    let reply = crate::helpers::api()
        .post_json("/checkout/quote", &asked)
        .await;
    let problem = assert_problem(&reply, 422, "discount_invalid");
    assert!(
        problem["detail"].as_str().unwrap().contains("not active"),
        "{problem}"
    );

    // An order that expires gives its redemption back, as a cancelled one does.
    let single = unique("ONE").to_uppercase().replace('_', "-");
    post_as(
        &admin,
        "/admin/discounts",
        json!({"code": single, "kind": "fixed", "value": 100, "max_redemptions": 1}),
    )
    .await
    .expect(201);
    let taken = race(&single, &product, 1, 1).await;
    assert_eq!(taken.len(), 1);
    assert_eq!(redemptions(&admin, &single).await, 1);
    let expired = crate::expire_at(shared::clock::now() + 3600).await;
    assert!(expired["expired"].as_u64().unwrap() >= 1, "{expired}");
    let (owner, order) = &taken[0];
    let now = get_as(owner, &format!("/orders/{}", order["id"].as_str().unwrap())).await;
    assert_eq!(now.expect(200)["order"]["status"], "expired");
    assert_eq!(redemptions(&admin, &single).await, 0);
}

#[tokio::test]
async fn settings_and_codes_refuse_what_cannot_be_and_a_region_ships_from_one_zone() {
    let admin = admin_token().await;
    tear_down(&admin).await;
    let zone = |regions: Value| {
        json!({"name": "Zone", "regions": regions,
               "methods": [{"id": "std", "name": "Standard", "price_cents": 490}]})
    };
    let put_reply = |path: String, body: Value| {
        let admin = admin.clone();
        async move { authorized(Method::PUT, &path, &admin, Some(body), &[]).await }
    };
    let made = put_reply(
        "/admin/shipping-zones/alps".into(),
        zone(json!(["AT", "CH"])),
    )
    .await;
    assert_eq!(made.expect(201)["zone"]["regions"], json!(["AT", "CH"]));
    // Another zone may not ship to Austria; the zone itself may drop it and take Liechtenstein.
    let taken = put_reply(
        "/admin/shipping-zones/dach".into(),
        zone(json!(["DE", "AT"])),
    )
    .await;
    let problem = assert_problem(&taken, 409, "conflict");
    assert!(
        problem["detail"].as_str().unwrap().contains("alps"),
        "{problem}"
    );
    let replaced = put_reply(
        "/admin/shipping-zones/alps".into(),
        zone(json!(["CH", "LI"])),
    )
    .await;
    assert_eq!(replaced.expect(200)["zone"]["regions"], json!(["CH", "LI"]));
    put_reply(
        "/admin/shipping-zones/dach".into(),
        zone(json!(["DE", "AT"])),
    )
    .await
    .expect(201);
    let listed = get_as(&admin, "/admin/shipping-zones").await.expect(200);
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["alps", "dach"]);
    // Bad regions, rates and zones are 400 naming the field; nothing is written.
    let bad = put_reply(
        "/admin/shipping-zones/bad".into(),
        zone(json!(["XX", "US-CALI"])),
    )
    .await;
    assert_eq!(
        crate::helpers::error_fields(&bad.expect(400)),
        ["regions[0]"]
    );
    let twice = json!({"name": "Twice", "regions": ["FR", "fr"], "methods": [
        {"id": "a", "name": "A", "price_cents": 1}, {"id": "a", "name": "B", "price_cents": -1}]});
    let bad = put_reply("/admin/shipping-zones/twice".into(), twice).await;
    assert_eq!(
        crate::helpers::error_fields(&bad.expect(400)),
        ["methods[1].price_cents"]
    );
    let rate = put_reply("/admin/tax-rates/XX".into(), json!({"rate_bps": 100})).await;
    assert_eq!(crate::helpers::error_fields(&rate.expect(400)), ["region"]);
    let rate = put_reply("/admin/tax-rates/FR".into(), json!({"rate_bps": 10001})).await;
    assert_eq!(
        crate::helpers::error_fields(&rate.expect(400)),
        ["rate_bps"]
    );
    let listed = get_as(&admin, "/admin/shipping-zones").await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        get_as(&admin, "/admin/tax-rates").await.expect(200)["items"],
        json!([])
    );
    for (body, field) in [
        (json!({"code": "ab", "kind": "fixed", "value": 5}), "code"),
        (
            json!({"code": "OK-CODE", "kind": "percent", "value": 101}),
            "value",
        ),
        (
            json!({"code": "OK-CODE", "kind": "fixed", "value": -5}),
            "value",
        ),
        (
            json!({"code": "OK-CODE", "kind": "fixed", "value": 5,
                "starts_at": "2027-01-02T00:00:00Z", "ends_at": "2027-01-01T00:00:00Z"}),
            "ends_at",
        ),
    ] {
        let reply = post_as(&admin, "/admin/discounts", body.clone()).await;
        assert_eq!(
            crate::helpers::error_fields(&reply.expect(400)),
            [field],
            "{body}"
        );
    }
    delete(&admin, "/admin/shipping-zones/alps").await;
    delete(&admin, "/admin/shipping-zones/dach").await;
    let gone = authorized(
        Method::DELETE,
        "/admin/shipping-zones/dach",
        &admin,
        None,
        &[],
    )
    .await;
    assert_problem(&gone, 404, "not_found");
    tokio::time::sleep(SETTLE).await;
}

#[tokio::test]
async fn zones_racing_for_one_region_leave_it_in_exactly_one() {
    let admin = admin_token().await;
    let mut racing = tokio::task::JoinSet::new();
    for n in 0..8 {
        let admin = admin.clone();
        racing.spawn(async move {
            let body = json!({"name": format!("Italy {n}"), "regions": ["IT", format!("FR-{n}")],
                "methods": [{"id": "std", "name": "Standard", "price_cents": 490}]});
            let path = format!("/admin/shipping-zones/italy-{n}");
            let reply = authorized(Method::PUT, &path, &admin, Some(body), &[]).await;
            (n, reply.status)
        });
    }
    let mut won = Vec::new();
    while let Some(done) = racing.join_next().await {
        let (n, status) = done.unwrap();
        match status {
            201 => won.push(n),
            409 => {}
            other => panic!("a racing zone got {other}"),
        }
    }
    assert_eq!(won.len(), 1, "{won:?}");
    let zones = get_as(&admin, "/admin/shipping-zones").await.expect(200);
    let holding: Vec<&Value> = zones["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|z| z["regions"].as_array().unwrap().contains(&json!("IT")))
        .collect();
    assert_eq!(holding.len(), 1);
    assert_eq!(holding[0]["id"], format!("italy-{}", won[0]));
    delete(&admin, &format!("/admin/shipping-zones/italy-{}", won[0])).await;
    tokio::time::sleep(SETTLE).await;
}
