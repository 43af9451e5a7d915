//! An admin sets a user's role (`customer` or `admin`).

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::accounts::model::UserEnvelope;
use shared::auth::Role;
use shared::auth::jwt::TokenVerifier;
use shared::http::{HandlerResult, auth, json, json_body, path_id};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRole {
    role: Role,
}

pub async fn set_role(
    accounts: &Accounts,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    let admin = auth::admin(&request, verifier, accounts).await?;
    let user_id = path_id(&request, "id")?;
    let body: SetRole = json_body(&request, &["role"])?;
    let user = accounts
        .set_role(&admin, &user_id, body.role, shared::clock::now())
        .await?;
    json(StatusCode::OK, &UserEnvelope { user })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/admin-set-role/promote.json");

    async fn call(event: &str) -> u16 {
        let sdk = testing::unreachable_sdk().await;
        let config = testing::config();
        let accounts = Accounts::new(
            shared::db::Table::from_config(&sdk, &config).unwrap(),
            &config,
        );
        let keys = testing::keys();
        let response = shared::http::respond(&config, testing::request(event), |r| {
            set_role(&accounts, keys.verifier(), r)
        })
        .await;
        testing::reply(&response).0
    }

    fn as_role(role: Role) -> String {
        let token = format!("Bearer {}", testing::token(role));
        testing::with_header(SAMPLE, "authorization", &token)
    }

    #[tokio::test]
    async fn a_customer_is_refused_before_any_read() {
        assert_eq!(call(&as_role(Role::Customer)).await, 403);
        assert_eq!(call(SAMPLE).await, 401);
    }

    #[tokio::test]
    async fn an_admin_token_is_confirmed_against_the_account() {
        assert_eq!(call(&as_role(Role::Admin)).await, 503);
    }
}
