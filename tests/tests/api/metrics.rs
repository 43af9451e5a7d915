//! The shop's metrics (`shared::emf`), as the functions write them to their logs in CloudWatch's
//! embedded metric format: what a dashboard of orders and revenue, and the canary's alarm, read.

use serde_json::{Value, json};
use shared::testing::localstripe;

use crate::helpers::{
    Unpaid, admin_token, checkout, customer_token, document, documents, env, get_as, product,
    unique, unpaid_order,
};

/// The metric namespace of the test stack (`Storefront/<Stage>`, the stage left at `dev`).
const NAMESPACE: &str = "Storefront/dev";

/// The function a process is of (`OrdersCreateFunction#2` → `OrdersCreateFunction`).
fn function_of(process: &str) -> &str {
    process.split('#').next().unwrap_or(process)
}

/// The document's one metric definition: its namespace, dimension set, and metric names.
fn definition(document: &Value) -> (String, Value, Vec<String>) {
    let metrics = &document["_aws"]["CloudWatchMetrics"];
    assert_eq!(metrics.as_array().map(Vec::len), Some(1), "{document}");
    let names = metrics[0]["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Name"].as_str().unwrap().to_owned())
        .collect();
    (
        metrics[0]["Namespace"].as_str().unwrap().to_owned(),
        metrics[0]["Dimensions"].clone(),
        names,
    )
}

#[tokio::test]
async fn a_checkout_and_its_payment_are_counted_with_the_order_they_were() {
    let admin = admin_token().await;
    let price = 1_234;
    let mug = product(&admin, 5, price).await;
    let customer = customer_token().await;
    let reply = checkout(&customer, &[(&mug, 2)], &unique("key")).await;
    let order = reply.expect(201)["order"].clone();
    let order_id = order["id"].as_str().unwrap().to_owned();
    let request_id = reply.header("x-request-id").unwrap().to_owned();

    let (process, placed) = document(|_, d| d["order_id"] == order_id.as_str())
        .await
        .unwrap_or_else(|| panic!("no metrics for order {order_id}"));
    assert_eq!(function_of(&process), "OrdersCreateFunction");
    assert_eq!(placed["OrdersPlaced"], 1, "{placed}");
    assert_eq!(placed["request_id"], request_id.as_str(), "{placed}");
    let (namespace, dimensions, names) = definition(&placed);
    assert_eq!(namespace, NAMESPACE);
    assert_eq!(dimensions, json!([[]]), "shop-wide totals: {placed}");
    assert_eq!(names, ["OrdersPlaced"]);
    assert_eq!(
        placed["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
        "Count"
    );

    let intent = order["payment"]["payment_intent_id"].as_str().unwrap();
    localstripe::pay(&env("STRIPE_URL"), intent, localstripe::CARD_OK)
        .await
        .unwrap();
    let (process, paid) =
        document(|_, d| d["order_id"] == order_id.as_str() && d.get("RevenueCents").is_some())
            .await
            .unwrap_or_else(|| panic!("no revenue for order {order_id}"));
    assert_eq!(function_of(&process), "PaymentsWebhookFunction");
    assert_eq!(paid["RevenueCents"], 2 * price, "{paid}");
    assert_eq!(definition(&paid).2, ["RevenueCents"]);
}

#[tokio::test]
async fn a_declined_payment_is_counted_as_a_payment_failure_of_its_order() {
    let Unpaid { order, .. } = unpaid_order(3, 450, 1).await;
    let order_id = order["id"].as_str().unwrap().to_owned();
    let intent = order["payment"]["payment_intent_id"].as_str().unwrap();
    let declined = localstripe::pay(&env("STRIPE_URL"), intent, localstripe::CARD_DECLINED).await;
    assert!(declined.as_deref() != Ok("succeeded"), "{declined:?}");

    let (process, failed) =
        document(|_, d| d["order_id"] == order_id.as_str() && d.get("PaymentFailures").is_some())
            .await
            .unwrap_or_else(|| panic!("no payment failure for order {order_id}"));
    assert_eq!(function_of(&process), "PaymentsWebhookFunction");
    assert_eq!(failed["PaymentFailures"], 1, "{failed}");
    assert!(
        documents()
            .iter()
            .all(|(_, d)| d["order_id"] != order_id.as_str() || d.get("RevenueCents").is_none()),
        "a declined payment is no revenue"
    );
}

#[tokio::test]
async fn every_function_process_counts_its_own_cold_start_once() {
    // At least one process has started by now: this test's own request starts or reuses one.
    get_as(&customer_token().await, "/me").await.expect(200);
    document(|p, _| function_of(p) == "MeFunction")
        .await
        .expect("the profile's function wrote its metrics");

    let mut cold_starts: std::collections::BTreeMap<String, (u64, Vec<Value>)> = Default::default();
    for (process, document) in documents() {
        let entry = cold_starts.entry(process.clone()).or_default();
        if let Some(count) = document["ColdStarts"].as_u64() {
            entry.0 += count;
            entry.1.push(document["Function"].clone());
            assert_eq!(definition(&document).1, json!([["Function"]]), "{document}");
        }
    }
    assert!(cold_starts.len() > 1, "{cold_starts:?}");
    for (process, (count, functions)) in cold_starts {
        assert_eq!(count, 1, "{process} started {count} times");
        assert_eq!(functions, [json!(function_of(&process))], "{process}");
    }
}
