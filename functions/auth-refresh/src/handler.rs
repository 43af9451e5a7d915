//! Refresh: an unused refresh token for a new pair.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::requests::RefreshToken;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json};
use shared::idempotency::Caller;
use shared::secrets::Keys;

shared::state! {
    /// The accounts, the keys that sign the new tokens, and the idempotency keys.
    pub struct State { accounts: Accounts, keys: Keys, idempotent: Idempotent }
}

pub async fn refresh(s: &State, request: Request) -> HandlerResult {
    let rule = KeyRule::Honoured;
    let once = s.idempotent.post(
        request,
        Caller::Anonymous,
        rule,
        |body: RefreshToken| async move {
            let issuer = s.keys.issuer();
            let now = shared::clock::now();
            let pair = s
                .accounts
                .refresh(&issuer, &body.refresh_token, now)
                .await?;
            json(StatusCode::OK, &pair)
        },
    );
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-refresh/refresh.json");

    #[tokio::test]
    async fn a_refresh_token_must_be_text_and_is_looked_up_in_the_table() {
        // The sample looks its token up and an unreachable table is a 503.
        assert_eq!(testing::call(SAMPLE, refresh).await.0, 503);
        // A token of the wrong type is a 400.
        let event = testing::with_body(SAMPLE, r#"{"refresh_token": 7}"#);
        assert_eq!(testing::call(&event, refresh).await.0, 400);
    }
}
