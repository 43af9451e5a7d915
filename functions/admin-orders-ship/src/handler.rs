//! A paid order leaves the warehouse: `shipped`, with its tracking number, and the notice queued.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, json, path_id};
use shared::mail::MailQueue;
use shared::orders::model::Shipment;
use shared::orders::service::Orders;

shared::state! {
    /// The orders, the mail queue for the notice, the admin gate and the idempotency keys.
    pub struct State { orders: Orders, mail: MailQueue, gate: Gate, idempotent: Idempotent }
}

pub async fn ship(s: &State, request: Request) -> HandlerResult {
    let admin = &s.gate.admin(&request).await?;
    let id = path_id(&request, "id")?;
    let rule = KeyRule::Honoured;
    let once = s.idempotent.post(
        request,
        admin.into(),
        rule,
        |shipment: Shipment| async move {
            let shipped = s.orders.ship(&id, shipment, &s.mail, shared::clock::now());
            json(StatusCode::OK, &shipped.await?)
        },
    );
    once.await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        let sample = include_str!("../../../events/admin-orders-ship/ship.json");
        shared::testing::assert_admin_gate(sample, ship).await;
    }
}
