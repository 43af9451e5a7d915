//! A paid order leaves the warehouse: `shipped`, with its tracking number, and the notice queued.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, auth, json, json_body, path_id};
use shared::idempotency::Caller;
use shared::mail::MailQueue;
use shared::orders::model::Shipment;
use shared::orders::service::Orders;

pub async fn ship(
    orders: &Orders,
    accounts: &Accounts,
    mail: &MailQueue,
    idempotent: &Idempotent,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    let principal = auth::admin(&request, verifier, accounts).await?;
    let id = path_id(&request, "id")?;
    let caller = Caller::User(&principal.user_id);
    idempotent
        .run(request, caller, KeyRule::Honoured, |request| async move {
            let shipment: Shipment = json_body(&request, Shipment::REQUIRED)?;
            let shipped = orders
                .ship(&id, shipment, mail, shared::clock::now())
                .await?;
            json(StatusCode::OK, &shipped)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/admin-orders-ship/ship.json");

    async fn call(event: &str) -> u16 {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let (orders, idempotent) = (testing::orders().await, testing::idempotent().await);
        let mail = testing::mail_queue().await;
        testing::call(event, |r| {
            ship(&orders, &accounts, &mail, &idempotent, keys.verifier(), r)
        })
        .await
        .0
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await }).await;
    }
}
