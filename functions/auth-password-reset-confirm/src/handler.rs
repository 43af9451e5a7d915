//! Password reset confirmation: a reset token and a new password.

use lambda_http::Request;
use shared::accounts::Accounts;
use shared::accounts::requests::ResetConfirmation;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, no_content};
use shared::idempotency::Caller;

shared::state! {
    /// The accounts and the idempotency keys.
    pub struct State { accounts: Accounts, idempotent: Idempotent }
}

pub async fn confirm_reset(s: &State, request: Request) -> HandlerResult {
    let confirm = async |body: ResetConfirmation, now| {
        s.accounts
            .confirm_password_reset(&body.token, &body.password, now)
            .await?;
        no_content()
    };
    s.idempotent.post(request, Caller::Anonymous, confirm).await
}

#[cfg(test)]
mod tests;
