//! Login: an email and a password for an access token and a refresh token.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenIssuer;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json, json_body};
use shared::idempotency::Caller;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

pub async fn login(
    accounts: &Accounts,
    issuer: &TokenIssuer,
    idempotent: &Idempotent,
    request: Request,
) -> HandlerResult {
    idempotent
        .run(
            request,
            Caller::Anonymous,
            KeyRule::Honoured,
            |request| async move {
                let body: Credentials = json_body(&request, &["email", "password"])?;
                let pair = accounts
                    .login(issuer, &body.email, &body.password, shared::clock::now())
                    .await?;
                json(StatusCode::OK, &pair)
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-login/login.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (accounts, issuer) = (testing::accounts().await, testing::keys().issuer());
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| login(&accounts, &issuer, &idempotent, r)).await
    }

    #[tokio::test]
    async fn the_sample_is_counted_against_the_table_first_and_an_unreachable_one_is_a_503() {
        assert_eq!(call(SAMPLE).await.0, 503);
    }

    #[tokio::test]
    async fn missing_credentials_are_named() {
        let (status, body) = call(&testing::with_body(SAMPLE, "{}")).await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"].as_array().map(Vec::len), Some(2));
    }

    #[tokio::test]
    async fn an_address_that_is_no_email_is_refused_without_a_lookup() {
        let event = testing::with_body(
            SAMPLE,
            r#"{"email": "nobody", "password": "whatever it is"}"#,
        );
        let (status, body) = call(&event).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("invalid_credentials"))
        );
    }
}
