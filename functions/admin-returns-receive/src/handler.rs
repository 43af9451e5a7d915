//! A return received: `received` in the transaction of its refund and its restock, then the
//! refund asked of Stripe and the customer mailed.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};
use shared::mail::MailQueue;
use shared::orders::returns::Receipt;
use shared::orders::service::Orders;
use shared::payments::stripe::Stripe;

shared::state! {
    /// The orders, Stripe, the mail queue, the gate of the shop's routes and the idempotency
    /// keys.
    pub struct State {
        orders: Orders, stripe: Stripe, mail: MailQueue, gate: Gate, idempotent: Idempotent
    }
}

pub async fn receive(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let id = path_id(&request, "id")?;
    let receive = async |receipt: Receipt, now| {
        let received = s
            .orders
            .receive_return(&staff, &id, receipt, &s.stripe, &s.mail, now);
        json(StatusCode::OK, &received.await?)
    };
    s.idempotent.post(request, (&staff).into(), receive).await
}

#[cfg(test)]
mod tests;
