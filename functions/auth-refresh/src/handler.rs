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
    // A replay of a refresh never hands out a token pair again.
    s.idempotent
        .answering_once()
        .post(request, Caller::Anonymous, rotate)
        .await
}

#[cfg(test)]
mod tests;
