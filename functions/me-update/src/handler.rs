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

    #[tokio::test]
    async fn a_role_in_the_body_is_refused_and_a_rename_reaches_the_table() {
        let sample = include_str!("../../../events/me-update/rename.json");
        let signed_in = shared::testing::as_role(sample, shared::auth::Role::Customer);
        let promote = r#"{"role": "admin", "name": ""}"#;
        let (status, body) =
            shared::testing::call(&shared::testing::with_body(&signed_in, promote), update_me)
                .await;
        assert_eq!(
            (status, shared::testing::fields(&body)),
            (400, vec!["name", "role"])
        );
        shared::testing::assert_signed_in_gate(sample, update_me).await;
    }
}
