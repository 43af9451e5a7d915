//! Password reset confirmation: a reset token and a new password.

use lambda_http::Request;
use shared::accounts::Accounts;
use shared::accounts::requests::ResetConfirmation;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, no_content};
use shared::idempotency::Caller;

shared::state! {
    /// The accounts and the idempotency keys.
    pub struct State { accounts: Accounts, idempotent: Idempotent }
}

pub async fn confirm_reset(s: &State, request: Request) -> HandlerResult {
    let rule = KeyRule::Honoured;
    let once = s.idempotent.post(
        request,
        Caller::Anonymous,
        rule,
        |body: ResetConfirmation| {
            let now = shared::clock::now();
            async move {
                let confirm = s
                    .accounts
                    .confirm_password_reset(&body.token, &body.password, now);
                confirm.await?;
                no_content()
            }
        },
    );
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-password-reset-confirm/confirm.json");

    #[tokio::test]
    async fn a_reset_needs_its_token_which_is_looked_up_in_the_table() {
        // The sample looks its token up and an unreachable table is a 503.
        assert_eq!(testing::call(SAMPLE, confirm_reset).await.0, 503);
        // A body without a token is a 400.
        let event = testing::with_body(SAMPLE, r#"{"password": "a long password"}"#);
        assert_eq!(testing::call(&event, confirm_reset).await.0, 400);
    }
}
