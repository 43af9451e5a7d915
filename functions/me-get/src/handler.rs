//! The signed-in user.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::model::UserEnvelope;
use shared::http::auth::principal;
use shared::http::{HandlerResult, json};
use shared::secrets::Keys;

shared::state! {
    /// The accounts and the keys that check the caller's token.
    pub struct State { accounts: Accounts, keys: Keys }
}

pub async fn me(s: &State, request: Request) -> HandlerResult {
    let caller = principal(&request, s.keys.verifier())?;
    let user = s.accounts.me(&caller).await?;
    json(StatusCode::OK, &UserEnvelope { user })
}

#[cfg(test)]
mod tests;
