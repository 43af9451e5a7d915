//! Password reset confirmation: a reset token and a new password.

use lambda_http::Request;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json_body, no_content};
use shared::idempotency::Caller;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirm {
    token: String,
    password: String,
}

pub async fn confirm_reset(
    accounts: &Accounts,
    idempotent: &Idempotent,
    request: Request,
) -> HandlerResult {
    idempotent
        .run(
            request,
            Caller::Anonymous,
            KeyRule::Honoured,
            |request| async move {
                let body: Confirm = json_body(&request, &["token", "password"])?;
                accounts
                    .confirm_password_reset(&body.token, &body.password, shared::clock::now())
                    .await?;
                no_content()
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-password-reset-confirm/confirm.json");

    async fn call(event: &str) -> u16 {
        let accounts = testing::accounts().await;
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| confirm_reset(&accounts, &idempotent, r))
            .await
            .0
    }

    #[tokio::test]
    async fn the_sample_looks_its_token_up_and_an_unreachable_table_is_a_503() {
        assert_eq!(call(SAMPLE).await, 503);
    }

    #[tokio::test]
    async fn a_body_without_a_token_is_a_400() {
        assert_eq!(
            call(&testing::with_body(
                SAMPLE,
                r#"{"password": "a long password"}"#
            ))
            .await,
            400
        );
    }
}
