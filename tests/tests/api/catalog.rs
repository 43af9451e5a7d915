//! The catalog: admin writes, listings walked page by page, caching headers, and the image
//! pipeline from a presigned upload to a thumbnail.

use std::collections::HashSet;

use http::Method;
use serde_json::{Value, json};

use crate::helpers::{
    admin_token, api, assert_problem, authorized, create, customer_token, error_fields, get_as, id,
    post_as, unique,
};

pub fn product_body(sku: &str, name: &str, category: &str) -> Value {
    json!({"sku": sku, "name": name, "description": "A test product.", "price_cents": 1490, "category": category, "stock": 12})
}

#[tokio::test]
async fn an_admin_creates_updates_and_deletes_and_a_customer_may_not() {
    let admin = admin_token().await;
    let customer = customer_token().await;
    let sku = unique("sku-");
    let body = product_body(&sku, "Blue mug", "mugs");

    let refused = post_as(&customer, "/products", body.clone()).await;
    assert_problem(&refused, 403, "forbidden");
    assert_problem(
        &api().post_json("/products", &body).await,
        401,
        "unauthorized",
    );

    let created = post_as(&admin, "/products", body.clone()).await;
    assert_eq!(created.status, 201);
    let etag = created.header("etag").unwrap().to_owned();
    let product = created.json()["product"].clone();
    assert_eq!(product["sku"], sku.to_uppercase());
    assert_eq!(product["currency"], "EUR");
    assert_eq!(product["active"], true);
    assert_eq!(product["images"], json!([]));
    let path = format!("/products/{}", id(&product));

    // The same SKU in another case is taken.
    let mut again = body.clone();
    again["sku"] = json!(sku.to_lowercase());
    assert_problem(&post_as(&admin, "/products", again).await, 409, "sku_taken");

    let customer_patch = authorized(
        Method::PATCH,
        &path,
        &customer,
        Some(json!({"stock": 1})),
        &[],
    )
    .await;
    assert_problem(&customer_patch, 403, "forbidden");

    // If-Match with the current ETag: applied, and a new ETag comes back.
    let patched = authorized(
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"price_cents": 990})),
        &[("if-match", &etag)],
    )
    .await;
    patched.assert_status(200);
    assert_eq!(patched.json()["product"]["price_cents"], 990);
    let new_etag = patched.header("etag").unwrap().to_owned();
    assert_ne!(new_etag, etag);
    // The old ETag no longer matches: 412, nothing changed.
    let stale = authorized(
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"price_cents": 1})),
        &[("if-match", &etag)],
    )
    .await;
    assert_problem(&stale, 412, "precondition_failed");
    // Without If-Match: applied.
    let blind = authorized(
        Method::PATCH,
        &path,
        &admin,
        Some(json!({"name": "Navy mug", "stock": 3})),
        &[],
    )
    .await;
    assert_eq!(blind.status, 200);
    let current = api().get(&path).await.json()["product"].clone();
    assert_eq!(
        (
            current["price_cents"].clone(),
            current["name"].clone(),
            current["stock"].clone()
        ),
        (json!(990), json!("Navy mug"), json!(3))
    );

    let deleted = authorized(Method::DELETE, &path, &admin, None, &[]).await;
    assert_eq!(deleted.status, 204);
    assert_problem(&api().get(&path).await, 404, "not_found");
    let as_admin = get_as(&admin, &path).await;
    assert_eq!(as_admin.status, 200);
    assert_eq!(as_admin.json()["product"]["active"], false);
    assert_problem(
        &authorized(Method::DELETE, &path, &customer, None, &[]).await,
        403,
        "forbidden",
    );
}

#[tokio::test]
async fn validation_failures_list_every_field() {
    let admin = admin_token().await;
    let bad = json!({"sku": "has space", "name": "", "price_cents": -5, "category": "Not Valid", "stock": 2_000_000, "description": "d".repeat(5001)});
    let reply = post_as(&admin, "/products", bad).await;
    let problem = assert_problem(&reply, 400, "validation_failed");
    let fields = error_fields(&problem);
    assert_eq!(
        fields,
        [
            "sku",
            "name",
            "description",
            "price_cents",
            "category",
            "stock"
        ]
    );

    let missing = post_as(&admin, "/products", json!({"name": "Only a name"})).await;
    let problem = assert_problem(&missing, 400, "validation_failed");
    let fields = error_fields(&problem);
    assert_eq!(fields, ["sku", "price_cents", "category", "stock"]);

    let wrong_type = post_as(&admin, "/products", json!({"price_cents": "cheap"})).await;
    let problem = assert_problem(&wrong_type, 400, "validation_failed");
    assert!(error_fields(&problem).contains(&"price_cents".to_owned()));
}

/// Every item of a listing, page by page with `limit`, checking the page rules on the way.
async fn walk(path: &str, limit: u32) -> Vec<Value> {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            Some(c) => format!("{path}{separator}limit={limit}&cursor={c}"),
            None => format!("{path}{separator}limit={limit}"),
        };
        let reply = api().get(&url).await;
        assert_eq!(
            reply.status,
            200,
            "{url}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let page = reply.json();
        let page_items = page["items"].as_array().unwrap().clone();
        assert!(page_items.len() <= limit as usize);
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_some() {
            assert!(!page_items.is_empty(), "an empty page with a cursor");
        }
        items.extend(page_items);
        if cursor.is_none() {
            return items;
        }
    }
    panic!("the listing did not end");
}

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(id).collect()
}

#[tokio::test]
async fn walking_45_products_seven_at_a_time_returns_each_exactly_once_in_a_stable_order() {
    let admin = admin_token().await;
    let token = unique("walk");
    let categories = [
        format!("{token}-a"),
        format!("{token}-b"),
        format!("{token}-c"),
    ];
    let mut created = Vec::new();
    for i in 0..45 {
        let category = &categories[i % 3];
        // Names in mixed case, so the prefix search must ignore case.
        let name = format!(
            "{} item {i:02}",
            if i % 2 == 0 {
                token.to_uppercase()
            } else {
                token.clone()
            }
        );
        created.push(id(&create(
            &admin,
            product_body(&format!("{token}-{i}"), &name, category),
        )
        .await));
    }
    // One inactive product: hidden from the public walks.
    let hidden = create(
        &admin,
        product_body(
            &format!("{token}-hidden"),
            &format!("{token} hidden"),
            &categories[0],
        ),
    )
    .await;
    assert_eq!(
        authorized(
            Method::DELETE,
            &format!("/products/{}", id(&hidden)),
            &admin,
            None,
            &[]
        )
        .await
        .status,
        204
    );

    // The whole catalog (other tests' products too): ours each once, none twice, id order.
    let all = ids(&walk("/products", 7).await);
    let unique_ids: HashSet<&String> = all.iter().collect();
    assert_eq!(unique_ids.len(), all.len(), "a product appeared twice");
    let ours: Vec<&String> = all.iter().filter(|i| created.contains(i)).collect();
    assert_eq!(ours.len(), 45);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "the catalog is walked in id (creation) order");
    assert!(!all.contains(&id(&hidden)));

    // One category: exactly its 15, in creation order.
    let category = ids(&walk(&format!("/products?category={}", categories[1]), 7).await);
    let expected: Vec<String> = created.iter().skip(1).step_by(3).cloned().collect();
    assert_eq!(category, expected);

    // A name prefix, in another case: all 45, by name.
    let search = walk(&format!("/products?q={}", token.to_uppercase()), 7).await;
    assert_eq!(search.len(), 45);
    let names: Vec<String> = search
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted_names = names.clone();
    sorted_names.sort();
    assert_eq!(names, sorted_names);

    // Prefix and category together.
    let both = walk(
        &format!("/products?q={token}&category={}", categories[2]),
        7,
    )
    .await;
    assert_eq!(both.len(), 15);

    // Admins may ask for the inactive ones too; customers may not.
    let with_inactive = get_as(
        &admin,
        &format!(
            "/products?category={}&include_inactive=true&limit=100",
            categories[0]
        ),
    )
    .await;
    assert_eq!(with_inactive.json()["items"].as_array().unwrap().len(), 16);
    let customer = customer_token().await;
    let refused = get_as(&customer, "/products?include_inactive=true").await;
    assert_problem(&refused, 403, "forbidden");
}

#[tokio::test]
async fn reads_carry_etag_and_cache_control_and_if_none_match_gives_304() {
    let admin = admin_token().await;
    let product = create(
        &admin,
        product_body(&unique("etag-"), "Cached thing", "cache-test"),
    )
    .await;
    let path = format!("/products/{}", id(&product));
    let first = api().get(&path).await;
    assert_eq!(first.status, 200);
    let etag = first.header("etag").unwrap().to_owned();
    assert!(first.header("cache-control").unwrap().contains("max-age"));
    let again = api()
        .send(Method::GET, &path, &[("if-none-match", &etag)], "")
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    let other = api()
        .send(Method::GET, &path, &[("if-none-match", "\"stale\"")], "")
        .await;
    assert_eq!(other.status, 200);

    let list = api().get("/products?category=cache-test").await;
    let list_etag = list.header("etag").unwrap().to_owned();
    let list_again = api()
        .send(
            Method::GET,
            "/products?category=cache-test",
            &[("if-none-match", &list_etag)],
            "",
        )
        .await;
    assert_eq!(list_again.status, 304);
}

#[tokio::test]
async fn forged_or_misplaced_cursors_are_400_and_unknown_products_404() {
    let admin = admin_token().await;
    let token = new_category(&admin, "cur", 3).await;
    let page = api()
        .get(&format!("/products?category={token}&limit=1"))
        .await
        .json();
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    // The cursor works where it was issued...
    assert_eq!(
        api()
            .get(&format!(
                "/products?category={token}&limit=1&cursor={cursor}"
            ))
            .await
            .status,
        200
    );
    // ...and nowhere else.
    assert_problem(
        &api()
            .get(&format!("/products?limit=1&cursor={cursor}"))
            .await,
        400,
        "invalid_cursor",
    );
    let mut forged = cursor.into_bytes();
    forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_problem(
        &api()
            .get(&format!("/products?category={token}&cursor={forged}"))
            .await,
        400,
        "invalid_cursor",
    );
    assert_problem(
        &api().get("/products?cursor=not-a-cursor").await,
        400,
        "invalid_cursor",
    );
    assert_problem(
        &api().get("/products?limit=0").await,
        400,
        "validation_failed",
    );

    assert_problem(
        &api().get("/products/01NOSUCHPRODUCT0000000000").await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn an_empty_cursor_asks_for_the_first_page() {
    let reply = api().get("/products?limit=1&cursor=").await;
    reply.assert_status(200);
    assert!(reply.json()["items"].is_array());
}

/// A category of its own with `count` products, named after `tag`.
pub async fn new_category(admin: &str, tag: &str, count: usize) -> String {
    let category = unique(tag);
    for i in 0..count {
        create(
            admin,
            product_body(
                &format!("{category}-{i}"),
                &format!("{category} {i}"),
                &category,
            ),
        )
        .await;
    }
    category
}

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
async fn a_product_refuses_every_wrong_field_reversed_names_and_weak_etags() {
    let admin = admin_token().await;
    // Every field's problem at once, the mistyped one among them.
    let reply = post_as(
        &admin,
        "/products",
        json!({"sku": "EDGE-1", "stock": 1.5, "name": "", "price_cents": -1, "category": "edges"}),
    )
    .await;
    let problem = assert_problem(&reply, 400, "validation_failed");
    assert_eq!(error_fields(&problem), ["name", "price_cents", "stock"]);
    // Names that would display reversed are refused.
    let bidi = post_as(
        &admin,
        "/products",
        product_body(&unique("bidi-"), "invoice\u{202e}fdp.exe", "edges"),
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
    let refused = get_as(&customer, "/products?include_inactive=true").await;
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

/// The product as the service reads it before it writes an edit, straight from the table.
async fn read_as_an_edit_does(
    id: &str,
) -> (shared::db::Table, shared::catalog::model::ProductItem) {
    let sdk = shared::aws::local_config(&crate::helpers::env("DYNAMODB_URL")).await;
    let table = shared::db::Table::new(
        aws_sdk_dynamodb::Client::new(&sdk),
        crate::helpers::env("STOREFRONT_TABLE"),
    );
    let item = shared::catalog::repo::get(&table, id)
        .await
        .unwrap()
        .unwrap();
    (table, item)
}

/// The catalog service on the test stack's table, and an admin to act as.
fn catalog(table: shared::db::Table) -> (shared::catalog::Catalog, shared::auth::Principal) {
    let settings = shared::catalog::CatalogSettings {
        currency: "EUR".to_owned(),
        images_base_url: "http://images.invalid".to_owned(),
    };
    let admin = shared::auth::Principal {
        user_id: "test-admin".to_owned(),
        role: shared::auth::Role::Admin,
        issued_at: shared::clock::now(),
    };
    (shared::catalog::Catalog { table, settings }, admin)
}

#[tokio::test]
async fn a_stock_edit_is_a_count_of_the_difference_and_never_loses_a_sale_made_meanwhile() {
    let admin = admin_token().await;
    let mug = crate::helpers::product(&admin, 10, 900).await;
    // The edit reads the product (10 in stock); a sale of 3 lands before it writes.
    let (table, read) = read_as_an_edit_does(&mug).await;
    let (service, acting) = catalog(table);
    let customer = customer_token().await;
    crate::helpers::placed(&customer, &[(&mug, 3)]).await;
    // The edit asks for 15, i.e. 5 more than it read: the 3 sold stay sold.
    let fields =
        |value| -> shared::catalog::model::ProductFields { serde_json::from_value(value).unwrap() };
    let now = shared::clock::now();
    let edited = service
        .update_read(&acting, read, fields(json!({"stock": 15})), None, now)
        .await
        .unwrap();
    assert_eq!(edited.product.stock, 12);
    assert_eq!(crate::helpers::stock(&admin, &mug).await, 12);

    // An edit that would take the stock below 0 (it read 12 and asks for 0, while 10 more
    // were sold) is refused, and nothing of it is written.
    let (_, read) = read_as_an_edit_does(&mug).await;
    crate::helpers::placed(&customer, &[(&mug, 10)]).await;
    let asked = fields(json!({"stock": 0, "name": "Renamed"}));
    let refused = service.update_read(&acting, read, asked, None, now).await;
    assert!(
        matches!(refused, Err(shared::ApiError::OutOfStock(_))),
        "{refused:?}"
    );
    assert_eq!(crate::helpers::stock(&admin, &mug).await, 2);
    let unchanged = crate::helpers::get_as(&admin, &format!("/products/{mug}")).await;
    assert_ne!(unchanged.expect(200)["product"]["name"], "Renamed");

    // Editing any other field writes no stock.
    let (_, read) = read_as_an_edit_does(&mug).await;
    crate::helpers::placed(&customer, &[(&mug, 1)]).await;
    let asked = fields(json!({"name": "Renamed mug", "price_cents": 950}));
    let renamed = service
        .update_read(&acting, read, asked, None, now)
        .await
        .unwrap();
    assert_eq!(
        (renamed.product.name.as_str(), renamed.product.stock),
        ("Renamed mug", 1)
    );
}
