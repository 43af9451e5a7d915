//! Logout: the signed-in user ends the login of one of their refresh tokens.

use lambda_http::Request;
use shared::accounts::Accounts;
use shared::accounts::requests::RefreshToken;
use shared::http::auth::principal;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, no_content};
use shared::secrets::Keys;

shared::state! {
    /// The accounts, the keys that check the caller's token, and the idempotency keys.
    pub struct State { accounts: Accounts, keys: Keys, idempotent: Idempotent }
}

pub async fn logout(s: &State, request: Request) -> HandlerResult {
    let user = &principal(&request, s.keys.verifier())?;
    let logout = async |body: RefreshToken, now| {
        s.accounts.logout(user, &body.refresh_token, now).await?;
        no_content()
    };
    s.idempotent.post(request, user.into(), logout).await
}

#[cfg(test)]
mod tests;
