//! Registration: the body's fields, validated together, become a customer account.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::model::UserEnvelope;
use shared::accounts::service::Registration;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json, json_body};
use shared::idempotency::Caller;

pub async fn register(
    accounts: &Accounts,
    idempotent: &Idempotent,
    request: Request,
) -> HandlerResult {
    idempotent
        .run(
            request,
            Caller::Anonymous,
            KeyRule::Honoured,
            |request| async move {
                let body: Registration = json_body(&request, &["email", "password", "name"])?;
                let user = accounts.register(body, shared::clock::now()).await?;
                json(StatusCode::CREATED, &UserEnvelope { user })
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/auth-register/register.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let accounts = testing::accounts().await;
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| register(&accounts, &idempotent, r)).await
    }

    #[tokio::test]
    async fn the_sample_reaches_the_table_and_an_unreachable_table_is_a_503() {
        let (status, body) = call(SAMPLE).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (503, Some("service_unavailable"))
        );
    }

    #[tokio::test]
    async fn every_wrong_field_is_named_before_anything_is_stored() {
        let event = testing::with_body(SAMPLE, r#"{"email": 5, "name": "a\u202eb"}"#);
        let (status, body) = call(&event).await;
        assert_eq!(status, 400);
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["email", "password", "name"]);
    }
}
