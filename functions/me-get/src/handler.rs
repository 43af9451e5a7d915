//! The signed-in user.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::model::UserEnvelope;
use shared::auth::jwt::TokenVerifier;
use shared::http::{HandlerResult, auth, json};

pub async fn me(accounts: &Accounts, verifier: &TokenVerifier, request: Request) -> HandlerResult {
    let principal = auth::principal(&request, verifier)?;
    let user = accounts.me(&principal).await?;
    json(StatusCode::OK, &UserEnvelope { user })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/me-get/me.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        testing::call(event, |r| me(&accounts, keys.verifier(), r))
            .await
            .0
    }

    #[tokio::test]
    async fn the_samples_token_is_not_one_of_these_keys() {
        assert_eq!(call(SAMPLE).await, 401);
    }

    #[tokio::test]
    async fn a_valid_token_reads_the_user() {
        let token = format!("Bearer {}", testing::token(Role::Customer));
        assert_eq!(
            call(&testing::with_header(SAMPLE, "authorization", &token)).await,
            503
        );
    }
}
