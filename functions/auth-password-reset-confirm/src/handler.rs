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
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_without_a_token_is_named_and_a_token_is_looked_up() {
        let sample = include_str!("../../../events/auth-password-reset-confirm/confirm.json");
        let no_token = r#"{"password": "a long password"}"#;
        shared::testing::assert_body_checked(sample, confirm_reset, no_token, &["token"]).await;
    }
}
