//! A refund: written with the order's counts in one transaction, once per `Idempotency-Key`,
//! then asked of Stripe (and by the refunds job again while Stripe cannot be reached).

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};
use shared::orders::refunds::RefundAsk;
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;

shared::state! {
    /// The orders, Stripe, the gate of the admins' routes and the idempotency keys (a key is required: a
    /// refund sent twice must give the money back once).
    pub struct State { orders: Orders, stripe: Stripe, gate: Gate, idempotent: Idempotent }
}

pub async fn refund(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let id = path_id(&request, "id")?;
    let refund = async |ask: RefundAsk, now| {
        let refunded = s.orders.refund(&admin, &id, ask, &s.stripe, now);
        json(StatusCode::CREATED, &refunded.await?)
    };
    s.idempotent
        .requiring_key()
        .post(request, (&admin).into(), refund)
        .await
}

#[cfg(test)]
mod tests;
