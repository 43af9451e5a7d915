//! One order: its owner's, or any for an admin; anyone else is told there is none.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, json, path_id};
use shared::orders::service::Orders;

shared::state! {
    /// The orders and the gate (owners, and admins confirmed).
    pub struct State { orders: Orders, gate: Gate }
}

pub async fn get(s: &State, request: Request) -> HandlerResult {
    let caller = s.gate.confirmed(&request).await?;
    let id = path_id(&request, "id")?;
    json(StatusCode::OK, &s.orders.get(&caller, &id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_id_that_cannot_be_one_is_a_404_and_a_token_is_needed() {
        let sample = include_str!("../../../events/orders-get/get.json");
        let signed_in = shared::testing::as_role(sample, shared::auth::Role::Customer);
        let bad_id = shared::testing::with_path_parameter(&signed_in, "id", "nope");
        assert_eq!(shared::testing::call(&bad_id, get).await.0, 404);
        shared::testing::assert_signed_in_gate(sample, get).await;
    }
}
