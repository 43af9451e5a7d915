//! DynamoDB failing under the functions: stopped, stopped in the middle of a checkout, and
//! throttling. The functions reach DynamoDB Local through the runner's fault door
//! (`xtask/src/verify/faults.rs`), which these tests close, reopen and make throttle; they are quiet
//! tests because a closed door is closed for every request of the stack.

use http::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Client, admin_token, assert_problem, checkout, customer_token, document, env, get_as, placed,
    product, stock, unique,
};

/// How many times the functions try a DynamoDB call (`shared::db::MAX_ATTEMPTS`).
const MAX_ATTEMPTS: u64 = shared::db::MAX_ATTEMPTS as u64;
const CHECKOUT: &str = "OrdersCreateFunction";
/// A little more than the test stack's `SettingsCacheSeconds`.
const SETTINGS_CACHE: std::time::Duration = std::time::Duration::from_millis(1100);

fn door() -> Client {
    Client::new(env("FAULTS_URL"))
}

/// Sets the door's mode (`{"mode": ...}`, see the door's documentation).
async fn set_door(setting: Value) {
    let reply = door()
        .send(Method::PUT, "/dynamodb", &[], setting.to_string())
        .await;
    reply.assert_status(204);
}

/// What the door saw since its mode was set.
async fn door_saw() -> Vec<Value> {
    door()
        .get("/dynamodb/requests")
        .await
        .expect(200)
        .as_array()
        .unwrap()
        .clone()
}

fn operations(seen: &[Value]) -> Vec<&str> {
    seen.iter()
        .map(|s| s["operation"].as_str().unwrap())
        .collect()
}

async fn order_count(customer: &str) -> usize {
    let reply = get_as(customer, "/orders").await;
    reply.expect(200)["items"].as_array().unwrap().len()
}

/// A `503` as a client sees one: the problem, and when to come back.
fn assert_unavailable(reply: &crate::helpers::Reply) {
    assert_problem(reply, 503, "service_unavailable");
    assert_eq!(reply.header("retry-after"), Some("1"), "{reply:?}");
}

#[tokio::test]
async fn a_stopped_dynamodb_is_a_503_on_every_route_and_the_api_is_whole_again_when_it_is_back() {
    let admin = admin_token().await;
    let mug = product(&admin, 5, 900).await;
    let customer = customer_token().await;

    set_door(json!({"mode": "closed"})).await;
    // Nothing reaches DynamoDB: a connection is refused, as by a stopped process.
    let read = crate::helpers::api().get(&format!("/products/{mug}")).await;
    let login = crate::helpers::login(&env("STOREFRONT_ADMIN_EMAIL"), "any password").await;
    let bought = checkout(&customer, &[(&mug, 1)], &unique("key")).await;
    let mine = get_as(&customer, "/orders").await;
    set_door(json!({"mode": "open"})).await;
    for reply in [&read, &login, &bought, &mine] {
        assert_unavailable(reply);
        // Each is counted where the canary's alarm reads it.
        let id = reply.header("x-request-id").unwrap();
        let counted = document(|_, d| d["request_id"] == id && d["ServerErrors"] == 1).await;
        assert!(counted.is_some(), "no ServerErrors for {id}");
    }

    assert_eq!(
        stock(&admin, &mug).await,
        5,
        "the refused checkout took no stock"
    );
    assert_eq!(order_count(&customer).await, 0);
    placed(&customer, &[(&mug, 2)]).await;
    assert_eq!(stock(&admin, &mug).await, 3);
    assert_eq!(order_count(&customer).await, 1);
}

#[tokio::test]
async fn dynamodb_stopping_at_any_step_of_a_checkout_writes_all_of_the_order_or_none_of_it() {
    let admin = admin_token().await;
    let mug = product(&admin, 100, 1200).await;
    let customer = customer_token().await;

    // The calls a checkout makes, seen at the door. Each checkout here comes after the
    // settings cache (1 s in tests) has run out, so each reads the settings, as the first
    // checkout of a process does: the same calls every time.
    set_door(json!({"mode": "open", "app": CHECKOUT})).await;
    tokio::time::sleep(SETTINGS_CACHE).await;
    placed(&customer, &[(&mug, 1)]).await;
    let calls = door_saw().await;
    let steps = operations(&calls);
    let writes = steps
        .iter()
        .position(|op| *op == "TransactWriteItems")
        .unwrap_or_else(|| panic!("a checkout writes its order in a transaction: {steps:?}"));
    assert!(writes > 0, "{steps:?}");
    let mut left = 99;

    for cut in 0..steps.len() {
        // A customer of its own for each cut (one may hold three unpaid orders).
        let customer = customer_token().await;
        // DynamoDB stops when `cut` of the checkout's calls have been answered.
        set_door(json!({"mode": "close_after", "requests": cut, "app": CHECKOUT})).await;
        tokio::time::sleep(SETTINGS_CACHE).await;
        let key = unique("key");
        let reply = checkout(&customer, &[(&mug, 3)], &key).await;
        let seen = door_saw().await;
        set_door(json!({"mode": "open"})).await;

        assert_eq!(
            operations(&seen)[..cut],
            steps[..cut],
            "cut at {cut}: the same calls, in order"
        );
        if cut <= writes {
            // Stopped before the order was written: nothing of it is.
            assert_unavailable(&reply);
            assert_eq!(stock(&admin, &mug).await, left, "cut at {cut} ({steps:?})");
            assert_eq!(order_count(&customer).await, 0, "cut at {cut}");
            let again = checkout(&customer, &[(&mug, 3)], &key).await;
            if cut == 0 {
                // Not even the key was kept: the retry is the first request.
                again.expect(201);
                left -= 3;
                assert_eq!(order_count(&customer).await, 1, "cut at {cut}");
            } else {
                // The key could not be released while DynamoDB was down: it is held until the
                // first request's time runs out (the function's timeout), and a retry is told
                // to wait rather than run twice.
                assert_problem(&again, 409, "idempotency_in_progress");
                let wait: u64 = again.header("retry-after").unwrap().parse().unwrap();
                // (Within the checkout function's timeout, 28 s.)
                assert!((1..=28).contains(&wait), "Retry-After: {wait}");
            }
        } else {
            // Stopped after: the order is whole, and the customer has it.
            let order = reply.expect(201);
            assert_eq!(order["order"]["status"], "pending_payment");
            left -= 3;
            assert_eq!(stock(&admin, &mug).await, left, "cut at {cut}");
            assert_eq!(order_count(&customer).await, 1, "cut at {cut}");
        }
    }

    // DynamoDB is back: a checkout works as before.
    placed(&customer, &[(&mug, 4)]).await;
    assert_eq!(stock(&admin, &mug).await, left - 4);
    assert_eq!(order_count(&customer).await, 2);
}

#[tokio::test]
async fn a_throttled_checkout_is_retried_and_is_a_503_only_when_the_retries_run_out() {
    let admin = admin_token().await;
    let mug = product(&admin, 20, 800).await;
    let customer = customer_token().await;

    // Fewer throttles than attempts: the client never knows.
    let throttles = MAX_ATTEMPTS - 1;
    set_door(json!({"mode": "throttle", "requests": throttles, "app": CHECKOUT})).await;
    checkout(&customer, &[(&mug, 2)], &unique("key"))
        .await
        .expect(201);
    let seen = door_saw().await;
    let first = &seen[0]["invocation"];
    let tries: Vec<&Value> = seen.iter().filter(|s| &s["invocation"] == first).collect();
    let doors: Vec<&str> = tries.iter().map(|s| s["door"].as_str().unwrap()).collect();
    let attempts: Vec<u64> = tries
        .iter()
        .map(|s| s["attempt"].as_u64().unwrap())
        .collect();
    let mut expected = vec!["throttled"; usize::try_from(throttles).unwrap()];
    expected.push("passed");
    assert_eq!(doors, expected, "one call, retried: {seen:?}");
    assert_eq!(attempts, (1..=MAX_ATTEMPTS).collect::<Vec<_>>(), "{seen:?}");
    assert_eq!(stock(&admin, &mug).await, 18);
    assert_eq!(order_count(&customer).await, 1);

    // Throttled for longer than the retries last: 503, after every attempt, and nothing written.
    set_door(json!({"mode": "throttle", "requests": 1000, "app": CHECKOUT})).await;
    let reply = checkout(&customer, &[(&mug, 2)], &unique("key")).await;
    let seen = door_saw().await;
    set_door(json!({"mode": "open"})).await;
    assert_unavailable(&reply);
    let attempts: Vec<u64> = seen
        .iter()
        .map(|s| s["attempt"].as_u64().unwrap())
        .collect();
    assert_eq!(attempts, (1..=MAX_ATTEMPTS).collect::<Vec<_>>(), "{seen:?}");
    assert!(
        seen.iter()
            .all(|s| s["invocation"] == seen[0]["invocation"] && s["door"] == "throttled"),
        "{seen:?}"
    );
    assert_eq!(stock(&admin, &mug).await, 18);
    assert_eq!(order_count(&customer).await, 1);

    // And when it passes again, so does the checkout.
    placed(&customer, &[(&mug, 5)]).await;
    assert_eq!(stock(&admin, &mug).await, 13);
}
