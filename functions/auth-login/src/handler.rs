//! Login: an email and a password for an access token and a refresh token.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::requests::Credentials;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json};
use shared::idempotency::Caller;
use shared::secrets::Keys;

shared::state! {
    /// The accounts, the keys that sign the tokens, and the idempotency keys.
    pub struct State { accounts: Accounts, keys: Keys, idempotent: Idempotent }
}

pub async fn login(s: &State, request: Request) -> HandlerResult {
    let login = async |body: Credentials, now| {
        let pair = s
            .accounts
            .login(&s.keys.issuer(), &body.email, &body.password, now)
            .await?;
        json(StatusCode::OK, &pair)
    };
    s.idempotent.post(request, Caller::Anonymous, login).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_credentials_are_named_and_a_wrong_address_is_no_account() {
        let sample = include_str!("../../../events/auth-login/login.json");
        let missing = r#"{}"#;
        shared::testing::assert_body_checked(sample, login, missing, &["email", "password"]).await;
        // An address that is no email is refused as any wrong credentials are, without a lookup.
        let body = r#"{"email": "nobody", "password": "whatever it is"}"#;
        let (status, problem) =
            shared::testing::call(&shared::testing::with_body(sample, body), login).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (401, Some("invalid_credentials"))
        );
    }
}
