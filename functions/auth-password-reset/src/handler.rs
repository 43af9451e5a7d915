//! Password reset request: always 202, in the same time, so the answer tells nothing about
//! whether the account exists; the mail function sends the email if it does.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::requests::ResetRequest;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, empty};
use shared::idempotency::Caller;
use shared::mail::MailQueue;

shared::state! {
    /// The accounts, the mail queue and the idempotency keys.
    pub struct State { accounts: Accounts, mail: MailQueue, idempotent: Idempotent }
}

pub async fn request_reset(s: &State, request: Request) -> HandlerResult {
    let rule = KeyRule::Honoured;
    let once = s.idempotent.post(
        request,
        Caller::Anonymous,
        rule,
        |body: ResetRequest| async move {
            let now = shared::clock::now();
            let queued = s.accounts.request_password_reset(&s.mail, body.email, now);
            queued.await?;
            empty(StatusCode::ACCEPTED)
        },
    );
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-password-reset/request.json");

    #[tokio::test]
    async fn a_reset_is_asked_for_an_email_and_counted_in_the_table_first() {
        // The sample is counted first and an unreachable table is a 503.
        assert_eq!(testing::call(SAMPLE, request_reset).await.0, 503);
        // Something that is not an email is a 400.
        let event = testing::with_body(SAMPLE, r#"{"email": "nope"}"#);
        assert_eq!(testing::call(&event, request_reset).await.0, 400);
    }
}
