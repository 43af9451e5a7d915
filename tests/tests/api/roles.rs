//! Roles: a demotion takes an admin's rights at once, and the last admin stays one.

use std::time::Duration;

use serde_json::json;

use crate::accounts::{PASSWORD, account, refresh, s};
use crate::catalog::product_body;
use crate::helpers::{admin_token, assert_problem, get_as, login, poll, post_as, unique};

#[tokio::test]
async fn a_demotion_ends_the_admins_tokens_and_logins_at_once() {
    let (email, pair) = account("demoted").await;
    let admin = admin_token().await;
    let path = format!("/admin/users/{}/role", s(&pair["user"]["id"]));
    let promote = post_as(&admin, &path, json!({"role": "admin"})).await;
    assert_eq!(promote.status, 200);
    // The promotion ended the old login too; a new one carries the admin role.
    assert_problem(
        &refresh(&s(&pair["refresh_token"])).await,
        401,
        "unauthorized",
    );
    // A login opens admin routes from the second after the role change (tokens are revoked by
    // the second they were issued in).
    let admin_login = async || {
        let pair = login(&email, PASSWORD).await.json();
        let status = get_as(&s(&pair["access_token"]), "/admin/orders?limit=1")
            .await
            .status;
        (pair, status)
    };
    let (as_admin, status) = poll(Duration::from_secs(5), admin_login, |l| l.1 == 200).await;
    assert_eq!(
        status, 200,
        "a new login of the promoted user opens admin routes"
    );
    let their_token = s(&as_admin["access_token"]);
    let products = post_as(
        &their_token,
        "/products",
        product_body(&unique("demo-"), "By a new admin", "demo"),
    )
    .await;
    products.assert_status(201);

    let demote = post_as(&admin, &path, json!({"role": "customer"})).await;
    assert_eq!(demote.status, 200);
    // The same token, seconds from expiring, no longer opens an admin route; the login is over.
    let after = post_as(
        &their_token,
        "/products",
        product_body(&unique("demo-"), "After demotion", "demo"),
    )
    .await;
    assert_problem(&after, 401, "unauthorized");
    assert_problem(
        &refresh(&s(&as_admin["refresh_token"])).await,
        401,
        "unauthorized",
    );
}

/// The set of admins is one item per table: this runs on a table of its own in the same
/// DynamoDB Local, so that no other test's admins count.
#[tokio::test]
async fn the_last_admin_cannot_be_demoted_even_by_two_racing_demotions() {
    use shared::accounts::{Accounts, AdminEnsured};
    use shared::auth::Role;
    let sdk = shared::aws::local_config(&crate::helpers::env("DYNAMODB_URL")).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let name = format!("last-admin-{}", unique("t"));
    let key = |n: &str, t| {
        aws_sdk_dynamodb::types::KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .unwrap()
    };
    let attribute = |n: &str| {
        aws_sdk_dynamodb::types::AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name(&name)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .key_schema(key("pk", aws_sdk_dynamodb::types::KeyType::Hash))
        .key_schema(key("sk", aws_sdk_dynamodb::types::KeyType::Range))
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .send()
        .await
        .unwrap();
    let config = shared::Config::from_lookup(|_| None).unwrap();
    let accounts = Accounts::new(shared::db::Table::new(client, &name), &config);
    let now = shared::clock::now();
    let make = |who: &str| {
        let email = format!("{who}@example.com");
        let accounts = &accounts;
        async move {
            match accounts
                .ensure_admin(&email, PASSWORD, "Admin", false, now)
                .await
                .unwrap()
            {
                AdminEnsured::Created(user) => shared::ids::Id::parse(&user.id).unwrap(),
                other => panic!("{other:?}"),
            }
        }
    };
    let first = make("first").await;
    let by = shared::auth::Principal {
        user_id: first.to_string(),
        role: Role::Admin,
        issued_at: now,
    };
    let alone = accounts.set_role(&by, &first, Role::Customer, now).await;
    assert!(
        matches!(alone, Err(shared::ApiError::Conflict { .. })),
        "{alone:?}"
    );
    let second = make("second").await;
    let (a, b) = tokio::join!(
        accounts.set_role(&by, &first, Role::Customer, now),
        accounts.set_role(&by, &second, Role::Customer, now)
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "exactly one of two racing demotions wins: {a:?} {b:?}"
    );
}

#[tokio::test]
async fn staff_ship_and_deliver_but_neither_refund_nor_cancel_nor_change_roles() {
    use crate::helpers::{customer_token, paid_order, staff_token};
    let staff = staff_token().await;
    let (unpaid, id, _) = paid_order(3, 900, 1).await;
    let seen = get_as(&staff, &format!("/orders/{id}")).await;
    assert_eq!(seen.expect(200)["order"]["status"], "paid");
    let refund = crate::refunds::refund(
        &staff,
        &id,
        json!({"amount_cents": 100, "reason": "not staff's"}),
        &unique("staff"),
    )
    .await;
    assert_problem(&refund, 403, "forbidden");
    let cancel = post_as(&staff, &format!("/orders/{id}/cancel"), json!({})).await;
    assert_problem(&cancel, 403, "forbidden");
    let other = customer_token().await;
    let me = get_as(&other, "/me").await.expect(200);
    let path = format!("/admin/users/{}/role", s(&me["user"]["id"]));
    let promote = post_as(&staff, &path, json!({"role": "admin"})).await;
    assert_problem(&promote, 403, "forbidden");

    let ship = json!({"tracking_number": "TRACK-1"});
    let shipped = post_as(&staff, &format!("/admin/orders/{id}/ship"), ship).await;
    assert_eq!(shipped.expect(200)["order"]["status"], "shipped");
    let delivered = post_as(&staff, &format!("/admin/orders/{id}/deliver"), json!({})).await;
    assert_eq!(delivered.expect(200)["order"]["status"], "delivered");
    let owner = get_as(&unpaid.customer, &format!("/orders/{id}")).await;
    assert_eq!(owner.expect(200)["order"]["status"], "delivered");
}
