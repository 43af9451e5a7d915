//! Password reset request: always 202, in the same time, so the answer tells nothing about
//! which emails have accounts.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::{Accounts, Email};
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, empty, json_body};
use shared::idempotency::Caller;
use shared::mail::MailQueue;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    email: Email,
}

pub async fn request_reset(
    accounts: &Accounts,
    queue: &MailQueue,
    idempotent: &Idempotent,
    request: Request,
) -> HandlerResult {
    idempotent
        .run(
            request,
            Caller::Anonymous,
            KeyRule::Honoured,
            |request| async move {
                let body: ResetRequest = json_body(&request, &["email"])?;
                accounts
                    .request_password_reset(queue, body.email, shared::clock::now())
                    .await?;
                empty(StatusCode::ACCEPTED)
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-password-reset/request.json");

    async fn call(event: &str) -> u16 {
        let accounts = testing::accounts().await;
        let queue =
            MailQueue::from_config(&testing::unreachable_sdk().await, &testing::config()).unwrap();
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| request_reset(&accounts, &queue, &idempotent, r))
            .await
            .0
    }

    #[tokio::test]
    async fn the_sample_is_counted_first_and_an_unreachable_table_is_a_503() {
        assert_eq!(call(SAMPLE).await, 503);
    }

    #[tokio::test]
    async fn something_that_is_not_an_email_is_a_400() {
        assert_eq!(
            call(&testing::with_body(SAMPLE, r#"{"email": "nope"}"#)).await,
            400
        );
    }
}
