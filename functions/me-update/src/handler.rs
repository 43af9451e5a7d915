//! Profile changes of the signed-in user.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::model::UserEnvelope;
use shared::accounts::service::ProfileChange;
use shared::auth::jwt::TokenVerifier;
use shared::http::{HandlerResult, auth, json, json_body};

pub async fn update_me(
    accounts: &Accounts,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    let principal = auth::principal(&request, verifier)?;
    let change: ProfileChange = json_body(&request, &[])?;
    let user = accounts
        .update_me(&principal, change, shared::clock::now())
        .await?;
    json(StatusCode::OK, &UserEnvelope { user })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/me-update/rename.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        testing::call(event, |r| update_me(&accounts, keys.verifier(), r)).await
    }

    #[tokio::test]
    async fn a_rename_reaches_the_table() {
        assert_eq!(call(&testing::as_role(SAMPLE, Role::Customer)).await.0, 503);
        assert_eq!(call(SAMPLE).await.0, 401);
    }

    #[tokio::test]
    async fn a_role_in_the_body_is_refused() {
        let event = testing::with_body(
            &testing::as_role(SAMPLE, Role::Customer),
            r#"{"role": "admin", "name": ""}"#,
        );
        let (status, body) = call(&event).await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"][0]["field"], "name");
        assert_eq!(body["errors"][1]["field"], "role");
    }
}
