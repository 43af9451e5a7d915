//! Login: an email and a password for an access token and a refresh token.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::requests::Credentials;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json};
use shared::idempotency::Caller;
use shared::secrets::Keys;

shared::state! {
    /// The accounts, the keys that sign the tokens, and the idempotency keys.
    pub struct State { accounts: Accounts, keys: Keys, idempotent: Idempotent }
}

pub async fn login(s: &State, request: Request) -> HandlerResult {
    let rule = KeyRule::Honoured;
    let once = s.idempotent.post(
        request,
        Caller::Anonymous,
        rule,
        |body: Credentials| async move {
            let issuer = s.keys.issuer();
            let now = shared::clock::now();
            let pair = s.accounts.login(&issuer, &body.email, &body.password, now);
            json(StatusCode::OK, &pair.await?)
        },
    );
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-login/login.json");

    #[tokio::test]
    async fn a_login_is_refused_precisely_and_counted_against_the_table_first() {
        // The sample is counted against the table first and an unreachable one is a 503.
        assert_eq!(testing::call(SAMPLE, login).await.0, 503);
        // Missing credentials are named.
        let (status, body) = testing::call(&testing::with_body(SAMPLE, "{}"), login).await;
        assert_eq!(status, 400);
        assert_eq!(body["errors"].as_array().map(Vec::len), Some(2));
        // An address that is no email is refused without a lookup.
        let body = r#"{"email": "nobody", "password": "whatever it is"}"#;
        let (status, body) = testing::call(&testing::with_body(SAMPLE, body), login).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("invalid_credentials"))
        );
    }
}
