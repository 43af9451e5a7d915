//! A return rejected, with the reason the customer is mailed.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};
use shared::mail::MailQueue;
use shared::orders::returns::Rejection;
use shared::orders::service::Orders;

shared::state! {
    /// The orders, the mail queue, the gate of the shop's routes and the idempotency keys.
    pub struct State { orders: Orders, mail: MailQueue, gate: Gate, idempotent: Idempotent }
}

pub async fn reject(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let id = path_id(&request, "id")?;
    let reject = async |rejection: Rejection, now| {
        let rejected = s.orders.reject_return(&staff, &id, rejection, &s.mail, now);
        json(StatusCode::OK, &rejected.await?)
    };
    s.idempotent.post(request, (&staff).into(), reject).await
}

#[cfg(test)]
mod tests;
