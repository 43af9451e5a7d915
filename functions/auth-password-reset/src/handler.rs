//! Password reset request: always 202, in the same time, so the answer tells nothing about
//! whether the account exists; the mail function sends the email if it does.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::requests::ResetRequest;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, empty};
use shared::idempotency::Caller;
use shared::mail::MailQueue;

shared::state! {
    /// The accounts, the mail queue and the idempotency keys.
    pub struct State { accounts: Accounts, mail: MailQueue, idempotent: Idempotent }
}

pub async fn request_reset(s: &State, request: Request) -> HandlerResult {
    let queue = async |body: ResetRequest, now| {
        s.accounts
            .request_password_reset(&s.mail, body.email, now)
            .await?;
        empty(StatusCode::ACCEPTED)
    };
    s.idempotent.post(request, Caller::Anonymous, queue).await
}

#[cfg(test)]
mod tests;
