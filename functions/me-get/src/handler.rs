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
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_a_token_of_these_keys_reads_the_user() {
        let sample = include_str!("../../../events/me-get/me.json");
        shared::testing::assert_signed_in_gate(sample, me).await;
    }
}
