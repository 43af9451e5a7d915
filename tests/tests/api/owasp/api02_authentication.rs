//! API2 Broken Authentication: every route that needs a token refuses what is not one.
//!
//! Proved here, over every operation `openapi.yaml` marks bearer-only: no token, a token with
//! one character of its signature changed, a token whose claims were rewritten to `admin`, and a
//! refresh token presented as a bearer token are each 401 `unauthorized` with
//! `WWW-Authenticate: Bearer`, before the body or the id is looked at. Elsewhere (accounts.rs):
//! `alg: none` and other algorithms, expired and foreign-issuer tokens, refresh-token rotation
//! and reuse detection, the login lockout, the same 401 for a wrong password and an unknown email.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::helpers::{api, unique};

#[tokio::test]
async fn every_bearer_route_refuses_no_token_a_forged_one_and_a_refresh_token_with_401() {
    let email = format!("{}@example.com", unique("authn"));
    crate::helpers::register(&email, "correct horse battery")
        .await
        .assert_status(201);
    let pair = crate::helpers::login(&email, "correct horse battery")
        .await
        .expect(200);
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();

    let mut resigned = access.clone();
    let last = resigned.pop().unwrap();
    resigned.push(if last == 'A' { 'B' } else { 'A' });
    let promoted = {
        let parts: Vec<&str> = access.split('.').collect();
        let mut claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["role"] = "admin".into();
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{}.{claims}.{}", parts[0], parts[2])
    };
    let operations: Vec<_> = super::operations()
        .into_iter()
        .filter(|o| o.bearer_only)
        .collect();
    assert!(operations.len() >= 15, "{operations:?}");
    for operation in &operations {
        let path = operation.path_with(&super::no_such_id());
        for (what, authorization) in [
            ("no token", None),
            ("a re-signed token", Some(format!("Bearer {resigned}"))),
            (
                "claims rewritten to admin",
                Some(format!("Bearer {promoted}")),
            ),
            ("a refresh token", Some(format!("Bearer {refresh}"))),
            (
                "another scheme",
                Some(format!("Basic {}", URL_SAFE_NO_PAD.encode("a:b"))),
            ),
        ] {
            let mut headers = vec![
                ("content-type", "application/json"),
                ("idempotency-key", "authn"),
            ];
            if let Some(value) = &authorization {
                headers.push(("authorization", value.as_str()));
            }
            let reply = api()
                .send(operation.method.clone(), &path, &headers, "{}")
                .await;
            let label = format!("{} {} with {what}", operation.method, operation.path);
            assert_eq!(
                reply.status,
                401,
                "{label}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            assert_eq!(reply.json()["code"], "unauthorized", "{label}");
            assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{label}");
        }
    }
}
