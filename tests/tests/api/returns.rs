//! Returns: asked for by the customer of a delivered order, received (refunded and restocked)
//! or rejected by staff, each step mailed; no more units asked back than were bought, however
//! the requests race.

use std::time::Duration;

use http::Method;
use serde_json::{Value, json};

use crate::helpers::{
    admin_token, assert_problem, authorized, customer_token, error_fields, futures_join_all,
    get_as, poll, post_as, product, staff_token, stock, unique,
};
use crate::refunds::{paid, stripe_refunded};

/// `POST /orders/{id}/returns` as `token`.
async fn ask_return(token: &str, id: &str, body: Value) -> crate::helpers::Reply {
    authorized(
        Method::POST,
        &format!("/orders/{id}/returns"),
        token,
        Some(body),
        &[("idempotency-key", &unique("return"))],
    )
    .await
}

/// A delivered order of `quantity` units of a new product at 20.00, and who made them.
async fn delivered(quantity: i64) -> (String, String, String, Value) {
    let admin = admin_token().await;
    let shirt = product(&admin, 10, 2000).await;
    let customer = customer_token().await;
    let order = paid(&customer, &[(&shirt, quantity)]).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let staff = staff_token().await;
    let ship = json!({"tracking_number": "TRACK-RETURN"});
    post_as(&staff, &format!("/admin/orders/{id}/ship"), ship)
        .await
        .expect(200);
    let done = post_as(&staff, &format!("/admin/orders/{id}/deliver"), json!({})).await;
    let order = done.expect(200)["order"].clone();
    assert!(order["delivered_at"].is_string(), "{order}");
    (staff, customer, shirt, order)
}

/// How many emails to `customer` (a token) have `subject` in their subject, once the mail
/// queue has sent them.
async fn mailed(customer: &str, subject: &str, expected: usize) -> usize {
    let me = get_as(customer, "/me").await.expect(200);
    let email = me["user"]["email"].as_str().unwrap().to_owned();
    let count = async || crate::payments::emails(&email, subject).await;
    poll(Duration::from_secs(20), count, |n| *n >= expected).await
}

#[tokio::test]
async fn a_return_of_two_of_three_units_refunds_their_share_and_restocks_them() {
    let (staff, customer, shirt, order) = delivered(3).await;
    let id = order["id"].as_str().unwrap();
    let admin = admin_token().await;
    assert_eq!(stock(&admin, &shirt).await, 7);

    let two = json!({"lines": [{"variant_id": shirt, "quantity": 2}], "reason": "too small"});
    let asked = ask_return(&customer, id, two.clone()).await.expect(201)["return"].clone();
    assert_eq!(asked["status"], "requested");
    assert_eq!(asked["order_id"], *id);
    let rid = asked["id"].as_str().unwrap();
    assert_eq!(
        mailed(
            &customer,
            &format!("Return {rid} of order {id} requested"),
            1
        )
        .await,
        1
    );

    // Nobody else may, and no more than is left.
    let stranger = customer_token().await;
    assert_problem(
        &ask_return(&stranger, id, two.clone()).await,
        404,
        "not_found",
    );
    let problem = assert_problem(
        &ask_return(&customer, id, two).await,
        400,
        "validation_failed",
    );
    assert_eq!(error_fields(&problem), ["lines[0].quantity"]);

    let listed = get_as(&staff, "/admin/returns?status=requested&limit=100")
        .await
        .expect(200);
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&rid), "{listed}");

    let path = format!("/admin/returns/{rid}/receive");
    let received = post_as(&staff, &path, json!({"restock": true}))
        .await
        .expect(200)["return"]
        .clone();
    assert_eq!(received["status"], "received");
    assert!(received["refund_id"].is_string(), "{received}");
    assert_eq!(stock(&admin, &shirt).await, 9);
    let seen = get_as(&customer, &format!("/orders/{id}"))
        .await
        .expect(200)["order"]
        .clone();
    assert_eq!(seen["refunded_cents"], 4000);
    assert_eq!(seen["refund_status"], "partial");
    assert_eq!(
        (
            seen["items"][0]["returned_quantity"].clone(),
            seen["items"][0]["refunded_quantity"].clone()
        ),
        (json!(2), json!(2))
    );
    let intent = seen["payment"]["payment_intent_id"].as_str().unwrap();
    assert_eq!(stripe_refunded(intent).await, vec![4000]);
    assert_eq!(
        mailed(
            &customer,
            &format!("Return {rid} of order {id} received"),
            1
        )
        .await,
        1
    );
    assert_problem(
        &post_as(&staff, &path, json!({"restock": true})).await,
        409,
        "invalid_transition",
    );

    // The order's timeline tells it all, in order, each step with who made it.
    let timeline = get_as(&staff, &format!("/admin/orders/{id}/timeline"))
        .await
        .expect(200);
    let events = timeline["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    let first = ["placed", "paid", "shipped", "delivered", "return_requested"];
    let at: Vec<usize> = first
        .iter()
        .map(|k| kinds.iter().position(|x| x == k).unwrap_or(usize::MAX))
        .collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]) && at[4] != usize::MAX,
        "{kinds:?}"
    );
    for kind in [
        "refund_requested",
        "refund_succeeded",
        "return_received",
        "email_sent",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let by = |kind: &str| events.iter().find(|e| e["kind"] == kind).unwrap()["by"].clone();
    assert_eq!(by("placed")["kind"], "customer");
    assert_eq!(by("paid")["kind"], "stripe");
    assert_eq!(by("shipped")["kind"], "staff");
    assert_eq!(events[at[2]]["detail"]["tracking_number"], "TRACK-RETURN");
    assert_eq!(by("return_received")["kind"], "staff");
    let theirs = get_as(&customer, &format!("/admin/orders/{id}/timeline")).await;
    assert_problem(&theirs, 403, "forbidden");

    // The last unit: rejected, and then it may be asked back again.
    let one = json!({"lines": [{"variant_id": shirt, "quantity": 1}], "reason": "changed my mind"});
    let last = ask_return(&customer, id, one.clone()).await.expect(201)["return"].clone();
    let lid = last["id"].as_str().unwrap();
    let why = json!({"reason": "worn"});
    let rejected = post_as(&staff, &format!("/admin/returns/{lid}/reject"), why).await;
    assert_eq!(rejected.expect(200)["return"]["rejection_reason"], "worn");
    assert_eq!(
        mailed(
            &customer,
            &format!("Return {lid} of order {id} not accepted"),
            1
        )
        .await,
        1
    );
    ask_return(&customer, id, one).await.expect(201);
    assert_eq!(
        stock(&admin, &shirt).await,
        9,
        "a rejected return's unit stays out"
    );
    assert_eq!(stripe_refunded(intent).await, vec![4000]);
}

#[tokio::test]
async fn returns_racing_for_one_line_never_ask_back_more_than_was_bought() {
    let (_, customer, shirt, order) = delivered(3).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let replies = futures_join_all((0..6).map(|_| {
        let (customer, id, shirt) = (customer.clone(), id.clone(), shirt.clone());
        async move {
            let one = json!({"lines": [{"variant_id": shirt, "quantity": 1}], "reason": "race"});
            ask_return(&customer, &id, one).await
        }
    }))
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 400),
        "{statuses:?}"
    );
    let seen = get_as(&customer, &format!("/orders/{id}"))
        .await
        .expect(200)["order"]
        .clone();
    assert_eq!(seen["items"][0]["returned_quantity"], 3);
}

#[tokio::test]
async fn an_order_not_delivered_cannot_be_returned() {
    let admin = admin_token().await;
    let mug = product(&admin, 5, 900).await;
    let customer = customer_token().await;
    let order = paid(&customer, &[(&mug, 1)]).await;
    let one = json!({"lines": [{"variant_id": mug, "quantity": 1}], "reason": "early"});
    let reply = ask_return(&customer, order["id"].as_str().unwrap(), one).await;
    assert_problem(&reply, 409, "invalid_transition");
}
