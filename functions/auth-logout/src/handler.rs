//! Logout: the signed-in user ends the login of one of their refresh tokens.

use lambda_http::Request;
use shared::accounts::Accounts;
use shared::accounts::requests::RefreshToken;
use shared::http::auth::principal;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, no_content};
use shared::secrets::Keys;

shared::state! {
    /// The accounts, the keys that check the caller's token, and the idempotency keys.
    pub struct State { accounts: Accounts, keys: Keys, idempotent: Idempotent }
}

pub async fn logout(s: &State, request: Request) -> HandlerResult {
    let user = &principal(&request, s.keys.verifier())?;
    let rule = KeyRule::Honoured;
    let once = s.idempotent.post(
        request,
        user.into(),
        rule,
        |body: RefreshToken| async move {
            let now = shared::clock::now();
            s.accounts.logout(user, &body.refresh_token, now).await?;
            no_content()
        },
    );
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-logout/logout.json");

    #[tokio::test]
    async fn only_a_token_of_these_keys_reaches_the_table() {
        // A sample signed with other keys is a 401.
        assert_eq!(testing::call(SAMPLE, logout).await.0, 401);
        // A valid token reaches the table.
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(testing::call(&signed_in, logout).await.0, 503);
    }
}
