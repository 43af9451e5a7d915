//! A cancellation: the stock comes back once, a paid order's money is refunded. By its owner,
//! an admin, or a guest with the order's `Order-Token`.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::{Gate, has_credentials};
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, header_str, json, path_id};
use shared::idempotency::Caller;
use shared::orders::guest::{self, TOKEN_HEADER};
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;

shared::state! {
    /// The orders, Stripe for a refund, the gate (owners, and admins confirmed) and the keys.
    pub struct State { orders: Orders, stripe: Stripe, gate: Gate, idempotent: Idempotent }
}

pub async fn cancel(s: &State, request: Request) -> HandlerResult {
    if !has_credentials(&request)
        && let Some(token) = header_str(&request, TOKEN_HEADER).map(str::to_owned)
    {
        let id = path_id(&request, "id")?;
        // A guest's keys are scoped by the token: only its holder shares them.
        let scope = guest::hash(&token);
        let cancel = async |now| {
            let cancelled = s.orders.cancel_with_token(&id, &token, &s.stripe, now);
            json(StatusCode::OK, &cancelled.await?)
        };
        return s
            .idempotent
            .act(request, Caller::Guest(&scope), cancel)
            .await;
    }
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
