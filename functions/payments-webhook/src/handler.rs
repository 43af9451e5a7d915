//! A Stripe event: its signature checked over the raw body, then acted on once per event id.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::ApiError;
use shared::http::{HandlerResult, body_bytes, header_str, json};
use shared::mail::MailQueue;
use shared::orders::service::Orders;
use shared::payments::PaymentProvider;
use shared::payments::webhook::{Event, WebhookSecrets};

pub async fn receive(
    orders: &Orders,
    payments: &impl PaymentProvider,
    mail: &MailQueue,
    secrets: &WebhookSecrets,
    request: Request,
) -> HandlerResult {
    let now = shared::clock::now();
    let body = body_bytes(&request)?;
    if let Err(refused) = secrets
        .verify(header_str(&request, "stripe-signature"), body, now)
        .await
    {
        tracing::warn!(reason = refused.reason(), "webhook delivery refused");
        return Err(ApiError::validation("Stripe-Signature", refused.reason()));
    }
    let event: Event =
        serde_json::from_slice(body).map_err(|err| ApiError::MalformedJson(err.to_string()))?;
    tracing::info!(event.kind = %event.kind, "webhook event");
    orders.handle_event(&event, payments, mail, now).await?;
    json(StatusCode::OK, &serde_json::json!({ "received": true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/payments-webhook/succeeded.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (orders, mail) = (testing::orders().await, testing::mail_queue().await);
        let (stripe, secrets) = (testing::stripe(), WebhookSecrets::fixed("whsec_unit", None));
        testing::call(event, |r| receive(&orders, &stripe, &mail, &secrets, r)).await
    }

    #[tokio::test]
    async fn the_samples_signature_is_too_old_and_nothing_is_read() {
        // The sample is signed with `whsec_unit` at a time long past: refused before any read.
        let (status, problem) = call(SAMPLE).await;
        assert_eq!(status, 400);
        assert_eq!(problem["errors"][0]["field"], "Stripe-Signature");
    }

    #[tokio::test]
    async fn a_delivery_without_a_signature_is_refused() {
        let unsigned = SAMPLE.replace("\"stripe-signature\"", "\"x-unused\"");
        assert_ne!(unsigned, SAMPLE);
        assert_eq!(call(&unsigned).await.0, 400);
    }
}
