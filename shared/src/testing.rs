//! What the functions' handler tests share: a configuration, keys and AWS clients that are real
//! values but reach no service (a request a handler hands on to a service therefore ends in
//! `503`, which is what an unreachable AWS must give), and edits of the sample events in
//! `events/`, which the tests load as `sam local invoke -e` does.

use std::future::Future;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use lambda_http::Request;
use serde_json::Value;

use crate::accounts::Accounts;
use crate::auth::Role;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::db::Table;
use crate::http::HandlerResult;
use crate::secrets::Keys;

/// The configuration every handler test runs with.
pub fn config() -> Config {
    Config::from_lookup(|name| {
        let value = match name {
            "CORS_ALLOWED_ORIGINS" => "http://localhost:5173",
            "TABLE_NAME" => "storefront-test",
            "APP_SECRET_ARN" => "arn:aws:secretsmanager:us-east-1:123456789012:secret:test",
            "MAIL_QUEUE_URL" => "https://sqs.us-east-1.amazonaws.com/123456789012/mail",
            "MAIL_FROM" => "shop@example.com",
            "UPLOADS_BUCKET" => "uploads",
            "IMAGES_BUCKET" => "images",
            "REPORTS_BUCKET" => "reports",
            _ => return None,
        };
        Some(value.to_owned())
    })
    .unwrap_or_else(|e| panic!("the test configuration is valid: {e}"))
}

/// AWS clients pointed at a closed loopback port, without retries.
pub async fn unreachable_sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .build(),
        )
        .load()
        .await
}

/// The table of the test configuration, on a client that reaches no service and tries once
/// (`Table::from_config`'s retries would only slow the tests down).
pub async fn table() -> Table {
    let name = config()
        .table_name
        .unwrap_or_else(|| panic!("the test configuration names a table"));
    Table::new(
        aws_sdk_dynamodb::Client::new(&unreachable_sdk().await),
        name,
    )
}

/// Accounts on [`table`].
pub async fn accounts() -> Accounts {
    Accounts::new(table().await, &config())
}

/// Orders on [`table`].
pub async fn orders() -> crate::orders::service::Orders {
    crate::orders::service::Orders::new(table().await, &config())
}

/// The mail queue of the test configuration, on clients that reach no service.
pub async fn mail_queue() -> crate::mail::MailQueue {
    crate::mail::MailQueue::from_config(&unreachable_sdk().await, &config())
        .unwrap_or_else(|e| panic!("the test configuration names a mail queue: {e}"))
}

/// Stripe at an address where nothing listens.
pub fn stripe() -> crate::payments::stripe::Stripe {
    crate::payments::stripe::Stripe::new("http://127.0.0.1:9", "sk_test_unit".to_owned())
        .unwrap_or_else(|e| panic!("a test Stripe client: {e}"))
}

/// Idempotency keys kept in [`table`].
pub async fn idempotent() -> crate::http::idempotency::Idempotent {
    crate::http::idempotency::Idempotent::new(table().await)
}

/// The catalog on [`table`].
pub async fn catalog() -> Catalog {
    Catalog::new(table().await, &config())
        .unwrap_or_else(|e| panic!("the test configuration has the catalog's settings: {e}"))
}

/// The keys of the test configuration.
pub fn keys() -> Keys {
    Keys::parse(
        "test",
        r#"{"kid":"test","key":"handler-tests-only-key-0123456789abcdef"}"#,
        config().tokens,
    )
    .unwrap_or_else(|e| panic!("the test secret is valid: {e}"))
}

/// A valid access token of the test keys.
pub fn token(role: Role) -> String {
    keys()
        .issuer()
        .issue("01JD5X8Y9Z0A1B2C3D4E5F6G7H", role, crate::clock::now())
}

/// A sample event carrying a valid access token of `role`.
pub fn as_role(event: &str, role: Role) -> String {
    with_header(event, "authorization", &format!("Bearer {}", token(role)))
}

/// A sample event with a header set (or replaced).
pub fn with_header(event: &str, name: &str, value: &str) -> String {
    edit(event, |event| {
        event["headers"][name] = Value::from(value);
    })
}

/// A sample event with another body.
pub fn with_body(event: &str, body: &str) -> String {
    edit(event, |event| {
        event["body"] = Value::from(body);
        event["isBase64Encoded"] = Value::from(false);
    })
}

/// A sample event with another path parameter.
pub fn with_path_parameter(event: &str, name: &str, value: &str) -> String {
    edit(event, |event| {
        event["pathParameters"][name] = Value::from(value);
    })
}

fn edit(event: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut value: Value =
        serde_json::from_str(event).unwrap_or_else(|e| panic!("a sample event is JSON: {e}"));
    change(&mut value);
    value.to_string()
}

/// The request of an API Gateway event.
pub fn request(event: &str) -> Request {
    lambda_http::request::from_str(event)
        .unwrap_or_else(|e| panic!("a sample event is an HTTP API event: {e}"))
}

/// A handler's status and JSON body for an event, through the wrapper every function uses.
pub async fn call<H, Fut>(event: &str, handler: H) -> (u16, Value)
where
    H: FnOnce(Request) -> Fut,
    Fut: Future<Output = HandlerResult>,
{
    reply(&crate::http::respond(&config(), request(event), handler).await)
}

/// What every admin route does before its own work: `401` for the sample's placeholder token
/// (no token of these keys), `403` for a customer's, and an admin's confirmed against the
/// account (unreachable here, so `503`). `status` answers an event with the handler's status.
pub async fn assert_admin_gate<F, Fut>(sample: &str, status: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = u16>,
{
    assert_eq!(
        status(sample.to_owned()).await,
        401,
        "the placeholder token"
    );
    assert_eq!(
        status(as_role(sample, Role::Customer)).await,
        403,
        "a customer"
    );
    assert_eq!(status(as_role(sample, Role::Admin)).await, 503, "an admin");
}

/// The status and JSON body of a response.
pub fn reply(response: &lambda_http::Response<lambda_http::Body>) -> (u16, Value) {
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

/// The local Stripe stand-in (localstripe), as the local stack and its tests use it: what the
/// shop's front end does with Stripe.js, done with the test card over Stripe's API.
pub mod localstripe {
    use bytes::Bytes;
    use http_body_util::{BodyExt as _, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use serde_json::Value;

    /// Any `sk_` key is accepted by localstripe.
    const KEY: &str = "sk_test_storefront_local";
    /// Stripe's test card that always succeeds.
    pub const CARD_OK: &str = "4242424242424242";
    /// Stripe's test card that is accepted, then declined when charged.
    pub const CARD_DECLINED: &str = "4000000000000341";

    async fn call(
        base: &str,
        method: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> Result<Value, String> {
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", base.trim_end_matches('/')))
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = client.request(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!(
                "localstripe answered {status} to {method} {path}: {value}"
            ))
        }
    }

    /// Pays the PaymentIntent `intent_id` with `card`; its status after confirming.
    pub async fn pay(base: &str, intent_id: &str, card: &str) -> Result<String, String> {
        let method = call(
            base,
            "POST",
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", card),
                ("card[exp_month]", "12"),
                ("card[exp_year]", "2034"),
                ("card[cvc]", "123"),
            ],
        )
        .await?;
        let method_id = method["id"].as_str().unwrap_or_default().to_owned();
        let path = format!("/v1/payment_intents/{intent_id}");
        // localstripe takes the payment method on an update, not on the confirm.
        call(base, "POST", &path, &[("payment_method", &method_id)]).await?;
        let confirmed = call(base, "POST", &format!("{path}/confirm"), &[]).await?;
        Ok(confirmed["status"].as_str().unwrap_or_default().to_owned())
    }

    /// `GET` of a Stripe API path (`/v1/refunds`, ...), as JSON.
    pub async fn get(base: &str, path: &str) -> Result<Value, String> {
        call(base, "GET", path, &[]).await
    }

    /// Registers the webhook endpoint `url` under `id`, signed with `secret`.
    pub async fn register_webhook(
        base: &str,
        id: &str,
        url: &str,
        secret: &str,
    ) -> Result<(), String> {
        call(
            base,
            "POST",
            &format!("/_config/webhooks/{id}"),
            &[("url", url), ("secret", secret)],
        )
        .await
        .map(|_| ())
    }
}
