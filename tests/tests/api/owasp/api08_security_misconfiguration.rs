//! API8 Security Misconfiguration: safe headers, quiet errors, private buckets.
//!
//! Proved here: every response, errors and the unknown-route 404 included, carries
//! `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, a `Content-Security-Policy` that
//! loads nothing, `Strict-Transport-Security` and `Referrer-Policy: no-referrer`, and
//! `Cache-Control: no-store` unless the route is a cacheable catalogue read; an error body is a
//! problem document with no stack trace, source path, SDK or table detail; in the template,
//! every bucket blocks public access and requires TLS, and the only public grant is `s3:GetObject`
//! on the images bucket's `products/*`. Elsewhere: `errors.rs` (405 with `Allow`, 413, 415),
//! the template's TLS policies and alarms (`cargo xtask test`'s cfn-lint of the expanded template).

use http::Method;
use serde_norway::Value as Yaml;

use crate::helpers::{Reply, admin_token, api, get_as};

fn assert_safe_headers(reply: &Reply, what: &str, cacheable: bool) {
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(reply.header(name), Some(value), "{what}: {name}");
    }
    assert!(
        reply
            .header("strict-transport-security")
            .is_some_and(|v| v.starts_with("max-age=")),
        "{what}"
    );
    if !cacheable {
        assert_eq!(reply.header("cache-control"), Some("no-store"), "{what}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let admin = admin_token().await;
    let cases: Vec<(&str, Reply, bool)> = vec![
        ("health", api().get("/health").await, false),
        ("catalogue", api().get("/products").await, true),
        (
            "unknown route",
            api().get("/wp-admin/setup.php").await,
            false,
        ),
        (
            "malformed JSON",
            api().post_json_text("/auth/login", "{").await,
            false,
        ),
        ("no token", api().get("/me").await, false),
        ("admin read", get_as(&admin, "/admin/stats").await, false),
        (
            "wrong method",
            api().send(Method::PUT, "/health", &[], "").await,
            false,
        ),
    ];
    for (what, reply, cacheable) in &cases {
        assert_safe_headers(reply, what, *cacheable);
    }
}

#[tokio::test]
async fn an_error_shows_no_stack_trace_or_internal_detail() {
    let replies = [
        api().post_json_text("/auth/login", "{\"email\": [").await,
        api().post_json_text("/auth/login", "[]").await,
        api().get("/products/..%2F..%2Fetc%2Fpasswd").await,
        api().get(&format!("/products/{}", "9".repeat(300))).await,
        api().get("/products?limit=-1&cursor=%00%FF").await,
        api().send(Method::DELETE, "/auth/login", &[], "").await,
    ];
    for reply in &replies {
        let body = String::from_utf8_lossy(&reply.body);
        assert!(
            (400..500).contains(&reply.status),
            "{} {body}",
            reply.status
        );
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json"),
            "{body}"
        );
        for leak in [
            "panicked",
            "src/",
            ".rs:",
            "backtrace",
            "aws_sdk",
            "dynamodb",
            "DynamoDB",
            "ResourceNotFound",
            "stack",
        ] {
            assert!(!body.contains(leak), "{leak} in {body}");
        }
    }
}

#[tokio::test]
async fn only_product_images_are_public_and_every_bucket_requires_tls() {
    let template = super::yaml("template.yaml");
    let resources = template["Resources"].as_mapping().unwrap();
    let of_type = |kind: &str| -> Vec<(String, Yaml)> {
        resources
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .map(|(name, r)| (name.as_str().unwrap().to_owned(), r.clone()))
            .collect()
    };
    let buckets = of_type("AWS::S3::Bucket");
    assert!(buckets.len() >= 3);
    for (name, bucket) in &buckets {
        let block = &bucket["Properties"]["PublicAccessBlockConfiguration"];
        for setting in ["BlockPublicAcls", "IgnorePublicAcls"] {
            assert_eq!(block[setting].as_bool(), Some(true), "{name}.{setting}");
        }
        let restrict = block["RestrictPublicBuckets"].as_bool();
        assert_eq!(
            restrict,
            Some(name != "ImagesBucket"),
            "{name}: RestrictPublicBuckets"
        );
        assert!(
            bucket["Properties"].get("BucketEncryption").is_some(),
            "{name} is not encrypted"
        );
    }
    let policies = of_type("AWS::S3::BucketPolicy");
    for (name, _) in &buckets {
        let policy = policies
            .iter()
            .find(|(_, p)| format!("{:?}", p["Properties"]["Bucket"]).contains(name.as_str()))
            .unwrap_or_else(|| panic!("{name} has no bucket policy"));
        let statements = policy.1["Properties"]["PolicyDocument"]["Statement"]
            .as_sequence()
            .unwrap();
        let tls = statements.iter().any(|s| {
            s["Effect"].as_str() == Some("Deny")
                && format!("{:?}", s["Condition"]).contains("aws:SecureTransport")
        });
        assert!(tls, "{name} does not require TLS");
        for statement in statements
            .iter()
            .filter(|s| s["Effect"].as_str() == Some("Allow"))
        {
            let public = format!("{:?}", statement["Principal"]).contains('*');
            if public {
                assert_eq!(name, "ImagesBucket", "{name} grants the public something");
                assert_eq!(
                    format!("{:?}", statement["Action"]),
                    format!("{:?}", Yaml::from("s3:GetObject"))
                );
                assert!(
                    format!("{:?}", statement["Resource"]).contains("/products/*"),
                    "{statement:?}"
                );
            }
        }
    }
}
