//! Registration: the body's fields, validated together, become a customer account.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::model::UserEnvelope;
use shared::accounts::service::Registration;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json};
use shared::idempotency::Caller;

shared::state! {
    /// The accounts and the idempotency keys.
    pub struct State { accounts: Accounts, idempotent: Idempotent }
}

pub async fn register(s: &State, request: Request) -> HandlerResult {
    let rule = KeyRule::Honoured;
    let once = s.idempotent.post(
        request,
        Caller::Anonymous,
        rule,
        |body: Registration| async move {
            let user = s.accounts.register(body, shared::clock::now()).await?;
            json(StatusCode::CREATED, &UserEnvelope { user })
        },
    );
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-register/register.json");

    #[tokio::test]
    async fn every_wrong_field_is_named_and_a_good_body_reaches_the_table() {
        // The sample reaches the table and an unreachable table is a 503.
        let (status, body) = testing::call(SAMPLE, register).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (503, Some("service_unavailable"))
        );
        // Every wrong field is named before anything is stored.
        let event = testing::with_body(SAMPLE, r#"{"email": 5, "name": "a\u202eb"}"#);
        let (status, body) = testing::call(&event, register).await;
        assert_eq!(status, 400);
        assert_eq!(testing::fields(&body), ["email", "password", "name"]);
    }
}
