//! Stripe's webhook as the tests reach it: the secret the local stack made, signatures made
//! with it, and deliveries to the API (the `api` and `quiet` suites both use these).

use hmac::{Hmac, KeyInit, Mac};
use http::Method;
use serde_json::Value;
use sha2::Sha256;

use crate::helpers::{Reply, api};

/// The webhook's secret as the local stack generated it (and registered with localstripe).
/// While the rotation test runs it is the `previous` one; otherwise the `current`.
pub async fn webhook_secret() -> String {
    let (client, name) = webhook_secret_name().await;
    let text = client
        .get_secret_value()
        .secret_id(&name)
        .send()
        .await
        .unwrap()
        .secret_string()
        .unwrap()
        .to_owned();
    let value: Value = serde_json::from_str(&text).unwrap();
    let secret = value.get("previous").unwrap_or(&value["current"]);
    secret.as_str().unwrap_or_default().to_owned()
}

pub async fn put_webhook_secret(value: &Value) {
    let (client, name) = webhook_secret_name().await;
    client
        .put_secret_value()
        .secret_id(&name)
        .secret_string(value.to_string())
        .send()
        .await
        .unwrap();
}

async fn webhook_secret_name() -> (aws_sdk_secretsmanager::Client, String) {
    let sdk = crate::helpers::moto_config().await;
    let client = aws_sdk_secretsmanager::Client::new(&sdk);
    let names: Vec<String> = client
        .list_secrets()
        .send()
        .await
        .unwrap()
        .secret_list()
        .iter()
        .filter_map(|s| s.name().map(str::to_owned))
        .filter(|n| n.contains("stripe-webhook"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    (client, names[0].clone())
}

pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn deliver(body: &str, signature_header: Option<&str>) -> Reply {
    let mut headers = vec![("content-type", "application/json; charset=utf-8")];
    if let Some(header) = signature_header {
        headers.push(("stripe-signature", header));
    }
    api()
        .send(
            Method::POST,
            "/payments/stripe/webhook",
            &headers,
            body.to_owned(),
        )
        .await
}
