//! The defects found in review, each shown fixed from outside: a panic at the top of a range,
//! a lockout raced past, unchecked bytes published, rights that outlived a role change, reset
//! links that outlived a reset, client mistakes answered as outages, readable cursors, and
//! smaller edges.

use std::time::{Duration, Instant};

use base64::Engine as _;
use http::Method;
use serde_json::json;

use crate::accounts::{
    PASSWORD, account, futures_join_all, refresh, s, unique_email, wait_for_tokens,
};
use crate::catalog::{new_category, product_body};
use crate::helpers::{
    admin_token, api, assert_problem, authorized, create, customer_token, error_fields,
    function_logs, id, login, unique,
};
use crate::images::{download, jpeg, settled_image, upload};

#[tokio::test]
async fn a_page_of_one_hundred_is_served_filtered_or_not() {
    for path in [
        "/products?limit=100",
        "/products?category=mugs&limit=100",
        "/products?q=a&limit=100",
    ] {
        let reply = api().get(path).await;
        assert_eq!(
            reply.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }
}

#[tokio::test]
async fn forty_parallel_wrong_passwords_check_at_most_five_and_then_the_right_one_waits() {
    let (email, _) = account("burst").await;
    let attempts = (0..40).map(|_| {
        let email = email.clone();
        async move { login(&email, "not the password, guessing").await }
    });
    let replies = futures_join_all(attempts).await;
    let checked = replies.iter().filter(|r| r.status == 401).count();
    let refused = replies.iter().filter(|r| r.status == 429).count();
    assert!(checked <= 5, "{checked} guesses were checked");
    assert_eq!(checked + refused, 40, "every attempt is a 401 or a 429");
    assert_problem(&login(&email, PASSWORD).await, 429, "rate_limited");
}

#[tokio::test]
async fn only_checked_image_bytes_are_ever_served_from_the_images_bucket() {
    let admin = admin_token().await;
    let product = create(
        &admin,
        product_body(&unique("swap-"), "Swapped", "images-test"),
    )
    .await;
    let product_id = id(&product);
    let picture = jpeg(1600, 1200);
    let length = picture.len();
    let image_id = upload(&admin, &product_id, "image/jpeg", picture).await;
    // The presigned PUT stays valid: keep putting other bytes of the same length under the
    // key while the function works, and again after it finished.
    let uploads = crate::helpers::env("STOREFRONT_UPLOADS_BUCKET");
    let s3 = crate::helpers::moto_s3().await;
    let key = format!("incoming/{product_id}/{image_id}");
    let garbage = vec![b'#'; length];
    let deadline = Instant::now() + Duration::from_secs(4);
    while Instant::now() < deadline {
        let _ = s3
            .put_object()
            .bucket(&uploads)
            .key(&key)
            .body(garbage.clone().into())
            .send()
            .await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let image = settled_image(&admin, &product_id, &image_id).await;
    if image["status"] == "ready" {
        for url in [&image["url"], &image["thumbnail_url"]] {
            let served = download(url.as_str().unwrap()).await;
            assert_eq!(served.status, 200);
            assert!(
                !served.body.starts_with(b"###"),
                "unchecked bytes are published"
            );
            image::load_from_memory(&served.body).expect("what is served is an image");
        }
        let original = download(image["url"].as_str().unwrap()).await;
        let decoded = image::load_from_memory(&original.body).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (1600, 1200));
    } else {
        assert_eq!(image["status"], "rejected", "{image}");
        assert_eq!(image["url"], serde_json::Value::Null);
    }
}

#[tokio::test]
async fn a_demotion_ends_the_admins_tokens_and_logins_at_once() {
    let (email, pair) = account("demoted").await;
    let admin = admin_token().await;
    let path = format!("/admin/users/{}/role", s(&pair["user"]["id"]));
    let promote = authorized(
        Method::POST,
        &path,
        &admin,
        Some(json!({"role": "admin"})),
        &[],
    )
    .await;
    assert_eq!(promote.status, 200);
    // The promotion ended the old login too; a new one carries the admin role.
    assert_problem(
        &refresh(&s(&pair["refresh_token"])).await,
        401,
        "unauthorized",
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let as_admin = login(&email, PASSWORD).await.json();
    let their_token = s(&as_admin["access_token"]);
    let products = authorized(
        Method::POST,
        "/products",
        &their_token,
        Some(product_body(&unique("demo-"), "By a new admin", "demo")),
        &[],
    )
    .await;
    assert_eq!(
        products.status,
        201,
        "{}",
        String::from_utf8_lossy(&products.body)
    );

    let demote = authorized(
        Method::POST,
        &path,
        &admin,
        Some(json!({"role": "customer"})),
        &[],
    )
    .await;
    assert_eq!(demote.status, 200);
    // The same token, seconds from expiring, no longer opens an admin route; the login is over.
    let after = authorized(
        Method::POST,
        "/products",
        &their_token,
        Some(product_body(&unique("demo-"), "After demotion", "demo")),
        &[],
    )
    .await;
    assert_problem(&after, 401, "unauthorized");
    assert_problem(
        &refresh(&s(&as_admin["refresh_token"])).await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn a_confirmed_reset_or_a_password_change_spends_every_other_reset_link() {
    let (email, pair) = account("links").await;
    for _ in 0..2 {
        let reply = api()
            .post_json("/auth/password-reset", &json!({"email": email}))
            .await;
        assert_eq!(reply.status, 202);
    }
    let tokens = wait_for_tokens(&email, 2).await;
    assert_eq!(tokens.len(), 2, "two reset emails");
    let confirm = |token: &str, password: &str| {
        let body = json!({"token": token, "password": password});
        async move { api().post_json("/auth/password-reset/confirm", &body).await }
    };
    assert_eq!(
        confirm(&tokens[0], "the first new password").await.status,
        204
    );
    assert_problem(
        &confirm(&tokens[1], "the second new password").await,
        400,
        "validation_failed",
    );
    assert_eq!(login(&email, "the first new password").await.status, 200);

    // A link still out when the password is changed through PATCH /me is spent too.
    let reply = api()
        .post_json("/auth/password-reset", &json!({"email": email}))
        .await;
    assert_eq!(reply.status, 202);
    let tokens = wait_for_tokens(&email, 3).await;
    let fresh = login(&email, "the first new password").await.json();
    let changed = authorized(
        Method::PATCH,
        "/me",
        &s(&fresh["access_token"]),
        Some(
            json!({"password": "a third password!", "current_password": "the first new password"}),
        ),
        &[],
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_problem(
        &confirm(&tokens[2], "sneaking back in").await,
        400,
        "validation_failed",
    );
    let _ = pair;
}

#[tokio::test]
async fn a_reset_request_does_the_same_work_for_every_email_and_sends_nothing_itself() {
    let (email, _) = account("offpath").await;
    for who in [email.clone(), unique_email("ghost")] {
        let reply = api()
            .post_json("/auth/password-reset", &json!({"email": who}))
            .await;
        assert_eq!(reply.status, 202);
        assert!(reply.body.is_empty());
    }
    assert_eq!(wait_for_tokens(&email, 1).await.len(), 1);
    let logs = function_logs();
    let queued = logs
        .lines()
        .filter(|l| l.starts_with("PasswordResetFunction") && l.contains("password reset queued"))
        .count();
    assert!(queued >= 2, "both requests queue a job: {queued}");
    assert!(
        !logs
            .lines()
            .any(|l| l.starts_with("PasswordResetFunction") && l.contains("email sent")),
        "the request path sends no email"
    );
    assert!(
        logs.lines()
            .any(|l| l.starts_with("MailFunction") && l.contains("email sent"))
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
async fn ids_that_cannot_exist_are_404_not_an_outage() {
    let long = "0".repeat(2100);
    let admin = admin_token().await;
    assert_problem(
        &api().get(&format!("/products/{long}")).await,
        404,
        "not_found",
    );
    let role = authorized(
        Method::POST,
        &format!("/admin/users/{long}/role"),
        &admin,
        Some(json!({"role": "admin"})),
        &[],
    )
    .await;
    assert_problem(&role, 404, "not_found");
    // A well-formed id that names nothing is an ordinary 404 too.
    assert_problem(
        &api().get("/products/01JD5X8Y9Z0A1B2C3D4E5F6G7H").await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_cursor_shows_nothing_of_the_table() {
    let token = new_category(&admin_token().await, "opaque", 2).await;
    let page = api()
        .get(&format!("/products?category={token}&limit=1"))
        .await
        .json();
    let cursor = s(&page["next_cursor"]);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&cursor)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    for secret in ["PRODUCT#", "gsi", "CATEGORY#", token.as_str()] {
        assert!(!text.contains(secret), "the cursor shows {secret}");
    }
}

#[tokio::test]
async fn smaller_edges_answer_as_a_careful_api_does() {
    let admin = admin_token().await;
    // Every field's problem at once, the mistyped one among them.
    let reply = authorized(
        Method::POST,
        "/products",
        &admin,
        Some(json!({"sku": "EDGE-1", "stock": 1.5, "name": "", "price_cents": -1, "category": "edges"})),
        &[],
    )
    .await;
    let problem = assert_problem(&reply, 400, "validation_failed");
    assert_eq!(error_fields(&problem), ["name", "price_cents", "stock"]);
    // Names that would display reversed are refused.
    let bidi = authorized(
        Method::POST,
        "/products",
        &admin,
        Some(product_body(
            &unique("bidi-"),
            "invoice\u{202e}fdp.exe",
            "edges",
        )),
        &[],
    )
    .await;
    assert_eq!(
        error_fields(&assert_problem(&bidi, 400, "validation_failed")),
        ["name"]
    );
    // Inactive products: no token is 401, a customer 403.
    assert_problem(
        &api().get("/products?include_inactive=true").await,
        401,
        "unauthorized",
    );
    let customer = customer_token().await;
    let refused = authorized(
        Method::GET,
        "/products?include_inactive=true",
        &customer,
        None,
        &[],
    )
    .await;
    assert_problem(&refused, 403, "forbidden");
    // A weak ETag never satisfies If-Match.
    let product = create(
        &admin,
        product_body(&unique("weak-"), "Weakly tagged", "edges"),
    )
    .await;
    let path = format!("/products/{}", id(&product));
    let etag = api().get(&path).await.header("etag").unwrap().to_owned();
    let weak = authorized(
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"stock": 1})),
        &[("if-match", &format!("W/{etag}"))],
    )
    .await;
    assert_problem(&weak, 412, "precondition_failed");
    let strong = authorized(
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"stock": 1})),
        &[("if-match", &etag)],
    )
    .await;
    assert_eq!(strong.status, 200);
}
