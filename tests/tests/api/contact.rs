//! The contact form and its per-IP limit.

use http::Method;
use serde_json::json;

use crate::accounts::futures_join_all;
use crate::helpers::{
    admin_token, api, assert_problem, customer_token, error_fields, get_as, unique,
};

#[tokio::test]
async fn ten_messages_at_once_from_one_ip_keep_five_and_a_forged_forwarded_for_does_not_help() {
    let tag = unique("msg");
    let replies = futures_join_all((0..10).map(|i| {
        let body =
            json!({"name": "Ada", "email": "ada@example.com", "message": format!("{tag} #{i}")});
        async move { api().post_json("/contact", &body).await }
    }))
    .await;
    let kept = replies.iter().filter(|r| r.status == 202).count();
    assert_eq!(kept, 5, "exactly five within the hour");
    for reply in replies.iter().filter(|r| r.status != 202) {
        assert_problem(reply, 429, "rate_limited");
        let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=3600).contains(&retry), "{retry}");
    }
    // The limit counts the address the connection came from, not what a header claims.
    let body = json!({"name": "Ada", "email": "ada@example.com", "message": "again"}).to_string();
    let spoofed = api()
        .send(
            Method::POST,
            "/contact",
            &[
                ("content-type", "application/json"),
                ("x-forwarded-for", "198.51.100.23"),
            ],
            body,
        )
        .await;
    assert_problem(&spoofed, 429, "rate_limited");

    let admin = admin_token().await;
    let page = get_as(&admin, "/admin/messages?limit=100").await;
    assert_eq!(page.status, 200);
    let ours: Vec<String> = page.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["message"].as_str())
        .filter(|m| m.starts_with(&tag))
        .map(str::to_owned)
        .collect();
    assert_eq!(ours.len(), 5, "{ours:?}");
    let customer = customer_token().await;
    let refused = get_as(&customer, "/admin/messages").await;
    assert_problem(&refused, 403, "forbidden");
}

#[tokio::test]
async fn a_bad_message_names_every_field_and_is_not_counted() {
    let body = json!({"name": "", "email": "not-an-email", "message": "x".repeat(5001)});
    let problem = assert_problem(
        &api().post_json("/contact", &body).await,
        400,
        "validation_failed",
    );
    assert_eq!(error_fields(&problem), ["name", "email", "message"]);
}
