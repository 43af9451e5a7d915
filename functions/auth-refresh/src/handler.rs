//! Refresh: an unused refresh token for a new pair.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::requests::RefreshToken;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json};
use shared::idempotency::Caller;
use shared::secrets::Keys;

shared::state! {
    /// The accounts, the keys that sign the new tokens, and the idempotency keys.
    pub struct State { accounts: Accounts, keys: Keys, idempotent: Idempotent }
}

pub async fn refresh(s: &State, request: Request) -> HandlerResult {
    let rotate = async |body: RefreshToken, now| {
        let pair = s
            .accounts
            .refresh(&s.keys.issuer(), &body.refresh_token, now)
            .await?;
        json(StatusCode::OK, &pair)
    };
    s.idempotent.post(request, Caller::Anonymous, rotate).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_token_of_the_wrong_type_is_named_and_a_good_one_is_looked_up() {
        let sample = include_str!("../../../events/auth-refresh/refresh.json");
        let number = r#"{"refresh_token": 7}"#;
        shared::testing::assert_body_checked(sample, refresh, number, &["refresh_token"]).await;
    }
}
