//! A Stripe event: its signature checked over the raw body, then acted on once per event id.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::ApiError;
use shared::http::{HandlerResult, body_bytes, header_str, json};
use shared::mail::MailQueue;
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;
use shared::payments::webhook::{Event, WebhookSecrets};

shared::state! {
    /// The orders, Stripe (to refund a late payment), the mail queue for the confirmation, and
    /// the webhook's signing secrets.
    pub struct State { orders: Orders, stripe: Stripe, mail: MailQueue, secrets: WebhookSecrets }
}

pub async fn receive(s: &State, request: Request) -> HandlerResult {
    let now = shared::clock::now();
    let body = body_bytes(&request)?;
    let signature = header_str(&request, "stripe-signature");
    if let Err(refused) = s.secrets.verify(signature, body, now).await {
        tracing::warn!(reason = refused.reason(), "webhook delivery refused");
        return Err(ApiError::validation("Stripe-Signature", refused.reason()));
    }
    let event: Event =
        serde_json::from_slice(body).map_err(|err| ApiError::MalformedJson(err.to_string()))?;
    tracing::info!(event.kind = %event.kind, "webhook event");
    s.orders
        .handle_event(&event, &s.stripe, &s.mail, now)
        .await?;
    json(StatusCode::OK, &serde_json::json!({ "received": true }))
}

#[cfg(test)]
mod tests;
