//! API7 Server Side Request Forgery: the API never fetches a URL a client gives it.
//!
//! Proved here: no request body in `openapi.yaml` has a URL-valued property; a URL offered where
//! an image or a product is described (`url`, `image_url`, `source_url`, pointing at the
//! instance metadata address) is 400 "is not a field"; an image arrives only as the client's own
//! PUT to a presigned URL of the shop's uploads bucket, which the API signs and never calls.
//! The image function reads only the object S3 announced, by bucket and key (catalog.rs).

use serde_json::{Value, json};

use crate::helpers::{admin_token, env, error_fields, post_as, product};

const METADATA: &str = "http://169.254.169.254/latest/meta-data/iam/security-credentials/";

#[tokio::test]
async fn no_request_body_takes_a_url() {
    let document: Value = serde_json::to_value(super::yaml("openapi.yaml")).unwrap();
    let mut offending = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
            let text = resolved(schema, &document).to_string();
            if text.contains("\"format\":\"uri\"") || text.contains("url\"") {
                offending.push(format!("{method} {path}"));
            }
        }
    }
    assert!(offending.is_empty(), "{offending:?}");
}

/// `value` with every `$ref` replaced by what it names.
fn resolved(value: &Value, document: &Value) -> Value {
    match value {
        Value::Object(map) => match map.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                resolved(document.pointer(pointer).unwrap(), document)
            }
            None => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolved(v, document)))
                    .collect(),
            ),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| resolved(v, document)).collect()),
        other => other.clone(),
    }
}

#[tokio::test]
async fn a_url_offered_for_the_server_to_fetch_is_not_a_field() {
    let admin = admin_token().await;
    let mug = product(&admin, 1, 100).await;
    for (field, path, mut body) in [
        (
            "url",
            format!("/products/{mug}/images"),
            json!({"content_type": "image/png", "content_length": 10}),
        ),
        (
            "source_url",
            format!("/products/{mug}/images"),
            json!({"content_type": "image/png", "content_length": 10}),
        ),
        (
            "image_url",
            "/products".to_owned(),
            json!({"sku": crate::helpers::unique("SSRF"), "name": "S", "price_cents": 1, "category": "s", "stock": 1}),
        ),
    ] {
        body[field] = METADATA.into();
        let reply = post_as(&admin, &path, body).await;
        assert_eq!(error_fields(&reply.expect(400)), [field]);
    }
}

#[tokio::test]
async fn an_image_upload_is_a_presigned_put_to_the_shops_own_bucket() {
    let admin = admin_token().await;
    let mug = product(&admin, 1, 100).await;
    let reply = post_as(
        &admin,
        &format!("/products/{mug}/images"),
        json!({"content_type": "image/png", "content_length": 10}),
    )
    .await
    .expect(201);
    let url = reply["upload"]["url"].as_str().unwrap();
    let moto = env("MOTO_URL");
    let bucket = env("STOREFRONT_UPLOADS_BUCKET");
    assert!(url.starts_with(&moto), "{url} is not at {moto}");
    assert!(url.contains(&bucket), "{url} is not in {bucket}");
    assert!(url.contains(&mug), "{url} is not under the product");
    assert!(url.contains("X-Amz-Signature="), "{url} is not presigned");
    assert_eq!(reply["upload"]["method"], "PUT");
}
