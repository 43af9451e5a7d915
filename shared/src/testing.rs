//! What the functions' handler tests share (the `testing` feature, which only tests and the
//! project's tools turn on): a configuration, keys and AWS clients that are real values but
//! reach no service (a request a handler hands on to a service therefore ends in
//! `503`, which is what an unreachable AWS must give), and edits of the sample events in
//! `events/`, which the tests load as `sam local invoke -e` does.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use lambda_http::Request;
use serde_json::Value;

use crate::auth::Role;
use crate::config::Config;
use crate::db::Table;
use crate::env::{Env, FromEnv};
use crate::http::Handler;
use crate::secrets::Keys;

const APP_SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app";
const STRIPE_KEY_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stripe";
const STRIPE_WEBHOOK_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook";
/// The Stripe webhook's signing secret in the test environment.
pub const WEBHOOK_SECRET: &str = "whsec_unit";

/// The configuration every handler test runs with.
pub fn config() -> Config {
    Config::from_lookup(|name| {
        let value = match name {
            "CORS_ALLOWED_ORIGINS" => "http://localhost:5173",
            "TABLE_NAME" => "storefront-test",
            "MAIL_QUEUE_URL" => "https://sqs.us-east-1.amazonaws.com/123456789012/mail",
            "MAIL_FROM" => "shop@example.com",
            "UPLOADS_BUCKET" => "uploads",
            "IMAGES_BUCKET" => "images",
            "REPORTS_BUCKET" => "reports",
            "APP_SECRET_ARN" => APP_SECRET_ARN,
            "STRIPE_KEY_SECRET_ARN" => STRIPE_KEY_ARN,
            "STRIPE_WEBHOOK_SECRET_ARN" => STRIPE_WEBHOOK_ARN,
            "STRIPE_API_BASE" => "http://127.0.0.1:9",
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

/// The test secret of the signing keys.
const APP_SECRET: &str = r#"{"kid":"test","key":"handler-tests-only-key-0123456789abcdef"}"#;

/// The environment of every handler test: the test configuration, AWS out of reach, and the
/// secrets given.
pub async fn env() -> Env {
    let webhook = format!(r#"{{"current": "{WEBHOOK_SECRET}"}}"#);
    let given = [
        (APP_SECRET_ARN, APP_SECRET),
        (STRIPE_KEY_ARN, r#"{"secret_key": "sk_test_unit"}"#),
        (STRIPE_WEBHOOK_ARN, webhook.as_str()),
    ]
    .map(|(arn, text)| (arn.to_owned(), text.to_owned()));
    Env::offline(config(), unreachable_sdk().await, table().await, given)
}

/// A function's state, built as its `main` builds it, on the test environment.
pub async fn state<S: FromEnv>() -> S {
    S::from_env(&env().await)
        .await
        .unwrap_or_else(|e| panic!("the state builds on the test environment: {e}"))
}

/// The keys of the test configuration.
pub fn keys() -> Keys {
    Keys::parse("test", APP_SECRET, config().tokens)
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

/// A sample event carrying a valid access token of a customer.
pub fn as_customer(event: &str) -> String {
    as_role(event, Role::Customer)
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

/// A sample event with another query string (`limit=5&cursor=x`), parameters and raw string alike.
pub fn with_query(event: &str, query: &str) -> String {
    edit(event, |event| {
        let params: serde_json::Map<String, Value> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| (name.to_owned(), Value::from(value)))
            .collect();
        event["rawQueryString"] = Value::from(query);
        event["queryStringParameters"] = Value::Object(params);
    })
}

/// The fields a validation problem names, in its order.
pub fn fields(problem: &Value) -> Vec<&str> {
    let errors = problem["errors"].as_array().into_iter().flatten();
    errors.filter_map(|e| e["field"].as_str()).collect()
}

/// An event function's invocation of a sample event, due in a minute.
pub fn event<T: serde::de::DeserializeOwned>(
    sample: &str,
) -> lambda_http::lambda_runtime::LambdaEvent<T> {
    let payload = serde_json::from_str(sample)
        .unwrap_or_else(|e| panic!("a sample event is the function's event: {e}"));
    let mut context = lambda_http::lambda_runtime::Context::default();
    context.deadline = u64::try_from(crate::clock::now_ms()).unwrap_or(0) + 60_000;
    lambda_http::lambda_runtime::LambdaEvent::new(payload, context)
}

/// The request of an API Gateway event.
pub fn request(event: &str) -> Request {
    lambda_http::request::from_str(event)
        .unwrap_or_else(|e| panic!("a sample event is an HTTP API event: {e}"))
}

/// A handler's status and JSON body for an event, with its function's state built on the test
/// environment, through the wrapper every function uses.
pub async fn call<S, H>(event: &str, handler: H) -> (u16, Value)
where
    S: FromEnv + Sync + 'static,
    H: for<'s> Handler<'s, S>,
{
    let (config, state) = (config(), state::<S>().await);
    reply(&crate::http::respond(&config, request(event), |r| handler(&state, r)).await)
}

/// What every route of the shop does before its own work, as its row of `routes::ROUTES`
/// says: `401` for the sample's placeholder token (no token of these keys), `403` for a
/// customer's, and for staff's on an admin route; a token the row admits is confirmed against
/// the account (unreachable here, so `503`).
pub async fn assert_shop_gate<S, H>(sample: &str, handler: H)
where
    S: FromEnv + Sync + 'static,
    H: for<'s> Handler<'s, S>,
{
    let event: Value =
        serde_json::from_str(sample).unwrap_or_else(|e| panic!("a sample event is JSON: {e}"));
    let route = event["routeKey"].as_str().unwrap_or_default();
    let access = crate::routes::access(route)
        .unwrap_or_else(|| panic!("the sample's route {route} is in the route table"));
    let staff = if access == crate::auth::Access::Staff {
        503
    } else {
        403
    };
    let cases = [
        (sample.to_owned(), 401, "the placeholder token"),
        (as_customer(sample), 403, "a customer"),
        (as_role(sample, Role::Staff), staff, "staff"),
        (as_role(sample, Role::Admin), 503, "an admin"),
    ];
    for (event, status, who) in cases {
        assert_eq!(call(&event, &handler).await.0, status, "{who} on {route}");
    }
}

/// What every route for signed-in callers does before its own work: `401` for the sample's
/// placeholder token (no token of these keys), and a customer's token taken to the table
/// (unreachable here, so `503`).
pub async fn assert_signed_in_gate<S, H>(sample: &str, handler: H)
where
    S: FromEnv + Sync + 'static,
    H: for<'s> Handler<'s, S>,
{
    assert_eq!(call(sample, &handler).await.0, 401, "the placeholder token");
    assert_eq!(
        call(&as_customer(sample), &handler).await.0,
        503,
        "a customer"
    );
}

/// What every route with a body does: a body with wrong or missing fields is `400`, naming
/// exactly the fields `named`, in order, before anything is read; the sample's body is taken to the table
/// (unreachable here, so `503`).
pub async fn assert_body_checked<S, H>(sample: &str, handler: H, bad_body: &str, named: &[&str])
where
    S: FromEnv + Sync + 'static,
    H: for<'s> Handler<'s, S>,
{
    assert_eq!(call(sample, &handler).await.0, 503, "the sample's body");
    let (status, problem) = call(&with_body(sample, bad_body), &handler).await;
    assert_eq!(status, 400, "{bad_body}: {problem}");
    assert_eq!(fields(&problem), named, "{bad_body}");
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
