//! A cancellation: the stock comes back once, a paid order's money is refunded.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;

shared::state! {
    /// The orders, Stripe for a refund, the gate (owners, and admins confirmed) and the keys.
    pub struct State { orders: Orders, stripe: Stripe, gate: Gate, idempotent: Idempotent }
}

pub async fn cancel(s: &State, request: Request) -> HandlerResult {
    let caller = &s.gate.confirmed(&request).await?;
    let id = path_id(&request, "id")?;
    let cancel = async |now| {
        json(
            StatusCode::OK,
            &s.orders.cancel(caller, &id, &s.stripe, now).await?,
        )
    };
    s.idempotent.act(request, caller.into(), cancel).await
}

#[cfg(test)]
mod tests;
