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
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/me-get/me.json");

    #[tokio::test]
    async fn only_a_token_of_these_keys_reads_the_user() {
        // The samples token is not one of these keys.
        assert_eq!(testing::call(SAMPLE, me).await.0, 401);
        // A valid token reads the user.
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(testing::call(&signed_in, me).await.0, 503);
    }
}
