//! A paid order leaves the warehouse: `shipped`, with its tracking number, and the notice queued.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};
use shared::mail::MailQueue;
use shared::orders::model::Shipment;
use shared::orders::service::Orders;

shared::state! {
    /// The orders, the mail queue for the notice, the gate of the shop's routes and the idempotency keys.
    pub struct State { orders: Orders, mail: MailQueue, gate: Gate, idempotent: Idempotent }
}

pub async fn ship(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let id = path_id(&request, "id")?;
    let ship = async |shipment: Shipment, now| {
        json(
            StatusCode::OK,
            &s.orders.ship(&staff, &id, shipment, &s.mail, now).await?,
        )
    };
    s.idempotent.post(request, (&staff).into(), ship).await
}

#[cfg(test)]
mod tests;
