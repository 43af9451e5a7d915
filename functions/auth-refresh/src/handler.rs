//! Refresh: an unused refresh token for a new pair.

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
struct Refresh {
    refresh_token: String,
}

pub async fn refresh(
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
                let body: Refresh = json_body(&request, &["refresh_token"])?;
                let pair = accounts
                    .refresh(issuer, &body.refresh_token, shared::clock::now())
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

    const SAMPLE: &str = include_str!("../../../events/auth-refresh/refresh.json");

    async fn call(event: &str) -> u16 {
        let (accounts, issuer) = (testing::accounts().await, testing::keys().issuer());
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| refresh(&accounts, &issuer, &idempotent, r))
            .await
            .0
    }

    #[tokio::test]
    async fn the_sample_looks_its_token_up_and_an_unreachable_table_is_a_503() {
        assert_eq!(call(SAMPLE).await, 503);
    }

    #[tokio::test]
    async fn a_token_of_the_wrong_type_is_a_400() {
        assert_eq!(
            call(&testing::with_body(SAMPLE, r#"{"refresh_token": 7}"#)).await,
            400
        );
    }
}
