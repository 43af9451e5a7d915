//! A message for the shop, counted against the IP API Gateway saw.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::contact::{Contact, NewMessage};
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json, json_body, source_ip};
use shared::idempotency::Caller;

pub async fn send(contact: &Contact, idempotent: &Idempotent, request: Request) -> HandlerResult {
    idempotent
        .run(
            request,
            Caller::Anonymous,
            KeyRule::Honoured,
            |request| async move {
                let message: NewMessage = json_body(&request, NewMessage::REQUIRED)?;
                let ip = source_ip(&request);
                let received = contact.receive(&ip, message, shared::clock::now()).await?;
                json(StatusCode::ACCEPTED, &received)
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/contact-create/send.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let contact = Contact::new(testing::table().await);
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| send(&contact, &idempotent, r)).await
    }

    #[tokio::test]
    async fn the_sample_is_counted_and_kept_and_an_unreachable_table_is_a_503() {
        assert_eq!(call(SAMPLE).await.0, 503);
    }

    #[tokio::test]
    async fn every_bad_field_is_named_before_anything_is_counted() {
        let body = format!(
            r#"{{"name": "", "email": "nope", "message": "{}"}}"#,
            "x".repeat(5001)
        );
        let (status, problem) = call(&testing::with_body(SAMPLE, &body)).await;
        assert_eq!(status, 400);
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, ["name", "email", "message"]);
    }
}
