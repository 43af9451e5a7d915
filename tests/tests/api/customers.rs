//! Customers for the shop's staff: accounts found by an email's first letters (an index, in
//! the emails' order, a page at a time), each with its paid orders counted, and whose every
//! order is (`customer_email`).

use serde_json::json;

use crate::helpers::{
    admin_token, assert_problem, customer_token, get_as, placed, product, register, staff_token,
    token, unique,
};
use crate::refunds::paid;

#[tokio::test]
async fn staff_find_customers_by_their_emails_first_letters_with_what_they_bought() {
    let admin = admin_token().await;
    let mug = product(&admin, 20, 1250).await;
    // Three accounts sharing a prefix no other test uses, one of them with two paid orders.
    let prefix = unique("cust").to_lowercase();
    let mut tokens = Vec::new();
    for n in 0..3 {
        let email = format!("{prefix}-{n}@example.com");
        register(&email, "correct horse battery")
            .await
            .assert_status(201);
        tokens.push(token(&email, "correct horse battery").await);
    }
    let first = paid(&tokens[0], &[(&mug, 2)]).await;
    paid(&tokens[0], &[(&mug, 1)]).await;
    placed(&tokens[0], &[(&mug, 1)]).await;

    let staff = staff_token().await;
    let q = format!("/admin/customers?q={}&limit=2", prefix.to_uppercase());
    let page = get_as(&staff, &q).await.expect(200);
    let emails: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["email"].as_str())
        .collect();
    assert_eq!(
        emails,
        [
            format!("{prefix}-0@example.com"),
            format!("{prefix}-1@example.com")
        ]
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = get_as(&staff, &format!("{q}&cursor={cursor}"))
        .await
        .expect(200);
    assert_eq!(rest["items"][0]["email"], format!("{prefix}-2@example.com"));
    assert!(rest["next_cursor"].is_null(), "{rest}");
    let buyer = &page["items"][0];
    assert_eq!(
        (buyer["orders_count"].clone(), buyer["spent_cents"].clone()),
        (json!(2), json!(3750))
    );
    assert_eq!(page["items"][1]["orders_count"], 0);

    let other = get_as(&staff, &format!("/admin/customers?q=zz{prefix}"))
        .await
        .expect(200);
    assert_eq!(other["items"], json!([]));
    let foreign = get_as(
        &staff,
        &format!("{q}&cursor={cursor}").replace(&prefix.to_uppercase(), "a"),
    )
    .await;
    assert_problem(&foreign, 400, "invalid_cursor");

    let id = buyer["id"].as_str().unwrap();
    let page = get_as(&staff, &format!("/admin/customers/{id}"))
        .await
        .expect(200);
    assert_eq!(page["customer"]["email"], format!("{prefix}-0@example.com"));
    assert_eq!(page["orders"].as_array().unwrap().len(), 3);
    assert_eq!(page["orders"][2]["id"], first["id"], "newest first");
    assert_eq!(
        page["orders"][0]["customer_email"],
        format!("{prefix}-0@example.com")
    );
    assert!(page["orders"][0]["payment"].get("client_secret").is_none());

    let listed = get_as(&staff, "/admin/orders?status=paid&limit=100")
        .await
        .expect(200);
    let mine = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == first["id"])
        .cloned();
    assert_eq!(
        mine.unwrap()["customer_email"],
        format!("{prefix}-0@example.com")
    );
    let own = get_as(
        &tokens[0],
        &format!("/orders/{}", first["id"].as_str().unwrap()),
    )
    .await;
    assert!(
        own.expect(200)["order"].get("customer_email").is_none(),
        "the shop's field only"
    );

    let customer = customer_token().await;
    assert_problem(
        &get_as(&customer, "/admin/customers").await,
        403,
        "forbidden",
    );
    assert_problem(
        &get_as(&staff, "/admin/customers/01JAAAAAAAAAAAAAAAAAAAAAAA").await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn an_account_registered_before_the_search_is_indexed_once_by_the_migration() {
    let sdk = shared::aws::local_config(&crate::helpers::env("DYNAMODB_URL")).await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = shared::db::Table::new(client.clone(), crate::helpers::env("STOREFRONT_TABLE"));
    let email = format!("{}@example.com", unique("older").to_lowercase());
    let made = register(&email, "correct horse battery").await.expect(201);
    let id = made["user"]["id"].as_str().unwrap();
    // As an account stored before the search was: out of its index.
    client
        .update_item()
        .table_name(&table.name)
        .key("pk", shared::db::string(format!("USER#{id}")))
        .key("sk", shared::db::string("PROFILE"))
        .update_expression("REMOVE gsi1pk, gsi1sk")
        .send()
        .await
        .unwrap();
    let staff = staff_token().await;
    let search = format!("/admin/customers?q={email}");
    assert_eq!(
        get_as(&staff, &search).await.expect(200)["items"],
        json!([])
    );
    let first = shared::accounts::migrate::run(&table).await.unwrap();
    assert!(first.indexed >= 1, "{first:?}");
    let found = get_as(&staff, &search).await.expect(200);
    assert_eq!(found["items"][0]["id"], id);
    let again = shared::accounts::migrate::run(&table).await.unwrap();
    assert_eq!(again.indexed, 0, "a second run finds nothing to do");
}
