//! A message for the shop, counted against the IP API Gateway saw.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::contact::{Contact, NewMessage};
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json, source_ip};
use shared::idempotency::Caller;

shared::state! {
    /// The messages and the idempotency keys.
    pub struct State { contact: Contact, idempotent: Idempotent }
}

pub async fn send(s: &State, request: Request) -> HandlerResult {
    let ip = source_ip(&request);
    let rule = KeyRule::Honoured;
    let once = s.idempotent.post(
        request,
        Caller::Anonymous,
        rule,
        |message: NewMessage| async move {
            let received = s
                .contact
                .receive(&ip, message, shared::clock::now())
                .await?;
            json(StatusCode::ACCEPTED, &received)
        },
    );
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/contact-create/send.json");

    #[tokio::test]
    async fn every_bad_field_is_named_and_a_good_message_reaches_the_table() {
        // The sample is counted and kept and an unreachable table is a 503.
        assert_eq!(testing::call(SAMPLE, send).await.0, 503);
        // Every bad field is named before anything is counted.
        let message = "x".repeat(5001);
        let body = format!(r#"{{"name": "", "email": "nope", "message": "{message}"}}"#);
        let (status, problem) = testing::call(&testing::with_body(SAMPLE, &body), send).await;
        assert_eq!(status, 400);
        assert_eq!(testing::fields(&problem), ["name", "email", "message"]);
    }
}
