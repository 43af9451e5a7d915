//! Black-box tests that need the stack to themselves: they read figures of the whole shop
//! (the dashboard), which other tests running at the same time would change, make DynamoDB
//! fail under every function (`faults`), change the shop's settings that price every checkout
//! (`pricing`), or put the stack at full contention (`rush`). `cargo xtask test` runs them
//! after the `api` tests, one at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod faults;
mod money;
mod pricing;
mod rush;

#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../api/webhooks.rs"]
#[allow(dead_code)]
mod webhooks;

use std::time::Duration;

use serde_json::{Value, json};
use shared::testing::localstripe;

use helpers::{
    Unpaid, admin_token, assert_problem, customer_token, env, get_as, placed, product, stock,
    unpaid_order,
};

async fn stats(token: &str) -> Value {
    let reply = get_as(token, "/admin/stats").await;
    reply.expect(200)
}

fn count(stats: &Value, status: &str) -> i64 {
    stats["orders_by_status"][status].as_i64().unwrap()
}

#[tokio::test]
async fn the_dashboard_counts_exactly_what_was_created() {
    let admin = admin_token().await;
    let before = stats(&admin).await;

    let low = product(&admin, 4, 250).await;
    let plenty = product(&admin, 50, 700).await;
    let customer = customer_token().await;
    placed(&customer, &[(&low, 1)]).await;
    let paid = placed(&customer, &[(&plenty, 2)]).await;
    let intent = paid["payment"]["payment_intent_id"].as_str().unwrap();
    localstripe::pay(&env("STRIPE_URL"), intent, localstripe::CARD_OK)
        .await
        .unwrap();
    let id = paid["id"].as_str().unwrap();
    wait_for(&customer, id, |o| o["status"] == "paid").await;

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

    let refused = get_as(&customer, "/admin/stats").await;
    assert_problem(&refused, 403, "forbidden");
}

/// Invokes a job through the Invoke API with `body`, as its schedule would; its answer.
async fn invoke(function: &str, body: Value) -> Value {
    let reply = helpers::invoke_api()
        .post_json(
            &format!("/2015-03-31/functions/{function}/invocations"),
            &body,
        )
        .await;
    reply.expect(200)
}

/// Runs the expiry job as if scheduled for `time`.
async fn expire_at(time: i64) -> Value {
    invoke(
        "ExpireOrdersFunction",
        json!({"time": shared::clock::rfc3339(time)}),
    )
    .await
}

async fn order(token: &str, id: &str) -> Value {
    get_as(token, &format!("/orders/{id}")).await.json()["order"].clone()
}

async fn wait_for(token: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    helpers::poll(Duration::from_secs(20), || order(token, id), done).await
}

/// The test stack's payment window is 2 seconds (`OrderPaymentTimeoutSeconds`).
const PAYMENT_WINDOW: Duration = Duration::from_secs(2);

/// A time after the payment window of every order placed until now: the expiry job, given it
/// as its scheduled time, expires them as it would once the window is over.
fn after_the_window() -> i64 {
    shared::clock::now() + i64::try_from(PAYMENT_WINDOW.as_secs()).unwrap_or(2) + 1
}

#[tokio::test]
async fn the_expiry_job_expires_the_unpaid_gives_their_stock_back_and_a_second_run_changes_nothing()
{
    let admin = admin_token().await;
    let product = product(&admin, 10, 500).await;
    let customer = customer_token().await;
    let unpaid = [
        placed(&customer, &[(&product, 2)]).await,
        placed(&customer, &[(&product, 2)]).await,
    ];
    let paid = placed(&customer, &[(&product, 2)]).await;
    let intent = paid["payment"]["payment_intent_id"].as_str().unwrap();
    localstripe::pay(&env("STRIPE_URL"), intent, localstripe::CARD_OK)
        .await
        .unwrap();
    let paid_id = paid["id"].as_str().unwrap();
    assert_eq!(
        wait_for(&customer, paid_id, |o| o["status"] == "paid").await["status"],
        "paid"
    );
    assert_eq!(stock(&admin, &product).await, 4);

    // Not yet due (the run is scheduled for a time before their window ends): nothing happens.
    let early = expire_at(shared::clock::now() - 60).await;
    assert_eq!(stock(&admin, &product).await, 4, "{early}");

    let after = after_the_window();
    let run = expire_at(after).await;
    assert!(run["expired"].as_u64().unwrap() >= 2, "{run}");
    for order_json in &unpaid {
        let current = order(&customer, order_json["id"].as_str().unwrap()).await;
        assert_eq!(current["status"], "expired");
        // Its PaymentIntent is withdrawn at Stripe: a payment started late cannot be taken.
        let intent = order_json["payment"]["payment_intent_id"].as_str().unwrap();
        let at_stripe =
            localstripe::get(&env("STRIPE_URL"), &format!("/v1/payment_intents/{intent}"))
                .await
                .unwrap();
        assert_eq!(at_stripe["status"], "canceled", "{at_stripe}");
    }
    assert_eq!(order(&customer, paid_id).await["status"], "paid");
    assert_eq!(stock(&admin, &product).await, 8);

    // Twice at once: nothing more moves.
    let (a, b) = tokio::join!(expire_at(after), expire_at(after));
    assert_eq!(
        (a["expired"].as_u64(), b["expired"].as_u64()),
        (Some(0), Some(0)),
        "{a} {b}"
    );
    assert_eq!(stock(&admin, &product).await, 8);
}

#[tokio::test]
async fn a_payment_racing_the_expiry_job_has_exactly_one_outcome_and_the_stock_follows_it() {
    let Unpaid {
        admin,
        product,
        customer,
        order: order_json,
    } = unpaid_order(5, 900, 3).await;
    let (id, intent) = (
        order_json["id"].as_str().unwrap().to_owned(),
        order_json["payment"]["payment_intent_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    // Its window over, it is paid just as the job runs: localstripe sends its webhook a second
    // after the payment, and the job runs meanwhile.
    let stripe = env("STRIPE_URL");
    let paid = localstripe::pay(&stripe, &intent, localstripe::CARD_OK).await;
    let run = expire_at(after_the_window()).await;
    assert_eq!(paid.unwrap(), "succeeded", "{run}");
    let settled = wait_for(&customer, &id, |o| {
        o["status"] == "paid" || (o["status"] == "expired" && o["refund_status"] == "full")
    })
    .await;
    match settled["status"].as_str() {
        Some("paid") => assert_eq!(stock(&admin, &product).await, 2),
        Some("expired") => {
            // The stock came back; the money that arrived for it goes back too.
            assert_eq!(stock(&admin, &product).await, 5);
            let refunds = localstripe::get(
                &env("STRIPE_URL"),
                &format!("/v1/refunds?payment_intent={intent}"),
            )
            .await
            .unwrap();
            assert_eq!(
                refunds["data"].as_array().map(Vec::len),
                Some(1),
                "{refunds}"
            );
        }
        other => panic!("neither paid nor expired and refunded: {other:?} {settled}"),
    }
}

/// Every order, through the admin listing, page by page.
async fn all_orders(admin: &str) -> Vec<Value> {
    let mut orders = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/admin/orders?limit=100&cursor={c}"),
            None => "/admin/orders?limit=100".to_owned(),
        };
        let page = get_as(admin, &path).await.json();
        orders.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return orders,
        }
    }
}

async fn download(url: &str) -> Vec<u8> {
    let uri: http::Uri = url.parse().unwrap();
    let base = format!(
        "{}://{}",
        uri.scheme_str().unwrap(),
        uri.authority().unwrap()
    );
    let path = uri.path_and_query().unwrap().as_str().to_owned();
    let reply = helpers::Client::new(base).get(&path).await;
    assert_eq!(reply.status, 200, "{url}");
    reply.body.to_vec()
}

async fn run_report(time: &str) -> Value {
    invoke("ReportsFunction", json!({ "time": time })).await
}

#[tokio::test]
async fn the_daily_report_holds_exactly_the_days_orders_and_a_rerun_writes_the_same_bytes() {
    let admin = admin_token().await;
    // A sale of its own, so that the day has one whatever ran before.
    let product = product(&admin, 20, 1234).await;
    let customer = customer_token().await;
    let sold = placed(&customer, &[(&product, 3)]).await;
    let intent = sold["payment"]["payment_intent_id"].as_str().unwrap();
    localstripe::pay(&env("STRIPE_URL"), intent, localstripe::CARD_OK)
        .await
        .unwrap();
    let sold_id = sold["id"].as_str().unwrap();
    wait_for(&customer, sold_id, |o| o["status"] == "paid").await;

    let now = shared::clock::now();
    let today = &shared::clock::rfc3339(now)[..10];
    let tomorrow_two = shared::clock::rfc3339(now - now.rem_euclid(86_400) + 86_400 + 7_200);
    let written = run_report(&tomorrow_two).await;
    assert_eq!(written["date"], today);

    // The oracle: the same figures from the public API.
    let orders: Vec<Value> = all_orders(&admin)
        .await
        .into_iter()
        .filter(|o| {
            o["created_at"]
                .as_str()
                .is_some_and(|c| c.starts_with(today))
        })
        .collect();
    // By variant: its product, SKU, name, options, units, revenue.
    type Row = (String, String, String, String, i64, i64);
    let mut products: std::collections::BTreeMap<String, Row> = Default::default();
    let mut by_status: std::collections::BTreeMap<String, (u64, i64)> = Default::default();
    let mut revenue = 0;
    for order in &orders {
        let status = order["status"].as_str().unwrap().to_owned();
        let total = order["total_cents"].as_i64().unwrap();
        let entry = by_status.entry(status.clone()).or_default();
        entry.0 += 1;
        entry.1 += total;
        if ["paid", "shipped", "delivered"].contains(&status.as_str()) {
            revenue += total;
            for line in order["items"].as_array().unwrap() {
                let options: Vec<String> = line["options"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.as_str().unwrap()))
                    .collect();
                let row = products
                    .entry(line["variant_id"].as_str().unwrap().to_owned())
                    .or_insert_with(|| {
                        (
                            line["product_id"].as_str().unwrap().to_owned(),
                            line["sku"].as_str().unwrap().to_owned(),
                            line["name"].as_str().unwrap().to_owned(),
                            options.join("; "),
                            0,
                            0,
                        )
                    });
                row.4 += line["quantity"].as_i64().unwrap();
                row.5 += line["line_total_cents"].as_i64().unwrap();
            }
        }
    }
    // A simple product's one variant has the product's id.
    assert!(products.contains_key(&product));
    let mut expected_csv =
        String::from("product_id,variant_id,sku,name,options,units,revenue_cents\n");
    for (variant, (id, sku, name, options, units, cents)) in &products {
        expected_csv.push_str(&format!(
            "{id},{variant},{sku},{name},{options},{units},{cents}\n"
        ));
    }

    let links = get_as(&admin, &format!("/admin/reports/{today}")).await;
    links.assert_status(200);
    let links = links.json();
    let csv = download(links["csv_url"].as_str().unwrap()).await;
    let json_bytes = download(links["json_url"].as_str().unwrap()).await;
    assert_eq!(String::from_utf8(csv.clone()).unwrap(), expected_csv);
    let report: Value = serde_json::from_slice(&json_bytes).unwrap();
    assert_eq!(report["orders"].as_u64(), Some(orders.len() as u64));
    assert_eq!(report["revenue_cents"].as_i64(), Some(revenue));
    for (status, (count, total)) in &by_status {
        assert_eq!(
            report["totals_by_status"][status]["orders"].as_u64(),
            Some(*count),
            "{status}"
        );
        assert_eq!(
            report["totals_by_status"][status]["total_cents"].as_i64(),
            Some(*total)
        );
    }

    // Again: the same bytes.
    run_report(&tomorrow_two).await;
    let links = get_as(&admin, &format!("/admin/reports/{today}"))
        .await
        .json();
    assert_eq!(download(links["csv_url"].as_str().unwrap()).await, csv);
    assert_eq!(
        download(links["json_url"].as_str().unwrap()).await,
        json_bytes
    );

    for (date, status) in [("2001-01-01", 404), ("2026-13-45", 400), ("yesterday", 400)] {
        let reply = get_as(&admin, &format!("/admin/reports/{date}")).await;
        assert_eq!(reply.status, status, "{date}");
    }
    let refused = get_as(&customer, &format!("/admin/reports/{today}")).await;
    assert_problem(&refused, 403, "forbidden");
}

/// An item listed as due whose own status cannot expire (here: one edited by hand to `paid`,
/// its index keys left pending) is logged and left; the run still expires the others, and every
/// later run is not stopped by it.
#[tokio::test]
async fn an_order_listed_as_due_that_cannot_expire_does_not_stop_the_expiry_job() {
    let Unpaid {
        admin,
        product,
        customer,
        order: edited,
    } = unpaid_order(10, 500, 1).await;
    let unpaid = placed(&customer, &[(&product, 1)]).await;
    let edited_id = edited["id"].as_str().unwrap();
    let sdk = shared::aws::local_config(&env("DYNAMODB_URL")).await;
    aws_sdk_dynamodb::Client::new(&sdk)
        .update_item()
        .table_name(env("STOREFRONT_TABLE"))
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(shared::orders::keys::order(edited_id)),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S(shared::orders::keys::ORDER_SK.to_owned()),
        )
        .update_expression("SET #status = :paid")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(
            ":paid",
            aws_sdk_dynamodb::types::AttributeValue::S("paid".to_owned()),
        )
        .send()
        .await
        .unwrap();

    // Run as if scheduled after both payment windows have ended (whole seconds: an order made
    // at second t is due from t + 3).
    let run = expire_at(shared::clock::now() + 5).await;
    assert!(run["skipped"].as_u64().unwrap() >= 1, "{run}");
    assert!(run["expired"].as_u64().unwrap() >= 1, "{run}");
    let unpaid_id = unpaid["id"].as_str().unwrap();
    assert_eq!(order(&customer, unpaid_id).await["status"], "expired");
    assert_eq!(order(&customer, edited_id).await["status"], "paid");
    // The edited order kept its unit; the expired one gave its unit back.
    assert_eq!(stock(&admin, &product).await, 9);
}
