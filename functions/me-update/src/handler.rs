//! Profile changes of the signed-in user.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::model::UserEnvelope;
use shared::accounts::service::ProfileChange;
use shared::http::auth::principal;
use shared::http::{HandlerResult, body, json};
use shared::secrets::Keys;

shared::state! {
    /// The accounts and the keys that check the caller's token.
    pub struct State { accounts: Accounts, keys: Keys }
}

pub async fn update_me(s: &State, request: Request) -> HandlerResult {
    let caller = principal(&request, s.keys.verifier())?;
    let change: ProfileChange = body(&request)?;
    let now = shared::clock::now();
    let user = s.accounts.update_me(&caller, change, now).await?;
    json(StatusCode::OK, &UserEnvelope { user })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/me-update/rename.json");

    #[tokio::test]
    async fn a_rename_reaches_the_table_and_a_role_in_the_body_is_refused() {
        // A rename reaches the table.
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(testing::call(&signed_in, update_me).await.0, 503);
        assert_eq!(testing::call(SAMPLE, update_me).await.0, 401);
        // A role in the body is refused.
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        let event = testing::with_body(&signed_in, r#"{"role": "admin", "name": ""}"#);
        let (status, body) = testing::call(&event, update_me).await;
        assert_eq!(status, 400);
        assert_eq!(testing::fields(&body), ["name", "role"]);
    }
}
