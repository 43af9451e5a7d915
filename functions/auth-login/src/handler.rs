//! Login: an email and a password for an access token and a refresh token.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::requests::Credentials;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json};
use shared::idempotency::Caller;
use shared::secrets::Keys;

shared::state! {
    /// The accounts, the keys that sign the tokens, and the idempotency keys.
    pub struct State { accounts: Accounts, keys: Keys, idempotent: Idempotent }
}

pub async fn login(s: &State, request: Request) -> HandlerResult {
    let login = async |body: Credentials, now| {
        let pair = s
            .accounts
            .login(&s.keys.issuer(), &body.email, &body.password, now)
            .await?;
        json(StatusCode::OK, &pair)
    };
    s.idempotent.post(request, Caller::Anonymous, login).await
}

#[cfg(test)]
mod tests;
