//! The audit log: a staff member's or an admin's write is recorded with each changed field
//! before → after, by the request that made it; no route changes or deletes an entry.

use http::Method;
use serde_json::{Value, json};

use crate::helpers::{admin_token, api, assert_problem, authorized, get_as, product, staff_token};

/// The entry of the request `request_id` among `actor`'s newest 100 of `resource`.
async fn entry_of(admin: &str, actor: &str, resource: &str, request_id: &str) -> Value {
    let path = format!("/admin/audit?actor_id={actor}&resource={resource}&limit=100");
    let page = get_as(admin, &path).await.expect(200);
    let items = page["items"].as_array().unwrap().clone();
    for entry in &items {
        assert_eq!(entry["resource"], resource, "the filter holds");
    }
    items
        .into_iter()
        .find(|e| e["request_id"] == request_id)
        .unwrap_or_else(|| panic!("no entry of {request_id} in {page}"))
}

#[tokio::test]
async fn a_price_change_by_staff_is_recorded_with_its_value_before_and_after() {
    let admin = admin_token().await;
    let mug = product(&admin, 3, 900).await;
    let staff = staff_token().await;
    let me = get_as(&staff, "/me").await.expect(200);
    let actor = me["user"]["id"].as_str().unwrap().to_owned();
    let change = json!({"name": "Audited mug", "price_cents": 1100});
    let reply = authorized(
        Method::PATCH,
        &format!("/products/{mug}"),
        &staff,
        Some(change),
        &[],
    )
    .await;
    reply.assert_status(200);
    let request_id = reply.header("x-request-id").unwrap().to_owned();

    let entry = entry_of(&admin, &actor, "product", &request_id).await;
    assert_eq!(entry["action"], "product.update");
    assert_eq!(entry["resource_id"], mug.as_str());
    assert_eq!(entry["actor_email"], me["user"]["email"]);
    assert_eq!(
        entry["changes"][format!("variants.{mug}.price_cents")],
        json!([900, 1100])
    );
    assert_eq!(entry["changes"]["name"][1], "Audited mug");
    assert!(
        entry["changes"].get("updated_at").is_none(),
        "bookkeeping is left out"
    );

    // Only admins read it; nobody changes or deletes it.
    assert_problem(&get_as(&staff, "/admin/audit").await, 403, "forbidden");
    for method in [Method::DELETE, Method::PATCH, Method::PUT, Method::POST] {
        let reply = api().send(method.clone(), "/admin/audit", &[], "{}").await;
        assert_eq!(reply.status, 405, "{method}");
    }
    let bad = get_as(&admin, "/admin/audit?cursor=forged").await;
    assert_problem(&bad, 400, "invalid_cursor");
}
