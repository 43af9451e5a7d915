//! Logout: the signed-in user ends the login of one of their refresh tokens.

use lambda_http::Request;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, auth, json_body, no_content};
use shared::idempotency::Caller;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Logout {
    refresh_token: String,
}

pub async fn logout(
    accounts: &Accounts,
    verifier: &TokenVerifier,
    idempotent: &Idempotent,
    request: Request,
) -> HandlerResult {
    let principal = auth::principal(&request, verifier)?;
    let principal = &principal;
    idempotent
        .run(
            request,
            Caller::User(&principal.user_id),
            KeyRule::Honoured,
            |request| async move {
                let body: Logout = json_body(&request, &["refresh_token"])?;
                accounts
                    .logout(principal, &body.refresh_token, shared::clock::now())
                    .await?;
                no_content()
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-logout/logout.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| {
            logout(&accounts, keys.verifier(), &idempotent, r)
        })
        .await
        .0
    }

    #[tokio::test]
    async fn a_sample_signed_with_other_keys_is_a_401() {
        assert_eq!(call(SAMPLE).await, 401);
    }

    #[tokio::test]
    async fn a_valid_token_reaches_the_table() {
        let token = format!("Bearer {}", testing::token(Role::Customer));
        assert_eq!(
            call(&testing::with_header(SAMPLE, "authorization", &token)).await,
            503
        );
    }
}
