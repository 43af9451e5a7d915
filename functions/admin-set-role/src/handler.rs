//! An admin sets a user's role (`customer` or `admin`).

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::accounts::model::UserEnvelope;
use shared::auth::Role;
use shared::auth::jwt::TokenVerifier;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, auth, json, json_body, path_id};
use shared::idempotency::Caller;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRole {
    role: Role,
}

pub async fn set_role(
    accounts: &Accounts,
    verifier: &TokenVerifier,
    idempotent: &Idempotent,
    request: Request,
) -> HandlerResult {
    let admin = auth::admin(&request, verifier, accounts).await?;
    let admin = &admin;
    let user_id = path_id(&request, "id")?;
    idempotent
        .run(
            request,
            Caller::User(&admin.user_id),
            KeyRule::Honoured,
            |request| async move {
                let body: SetRole = json_body(&request, &["role"])?;
                let user = accounts
                    .set_role(admin, &user_id, body.role, shared::clock::now())
                    .await?;
                json(StatusCode::OK, &UserEnvelope { user })
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/admin-set-role/promote.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| {
            set_role(&accounts, keys.verifier(), &idempotent, r)
        })
        .await
        .0
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await }).await;
    }
}
