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
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/orders-get/get.json");

    #[tokio::test]
    async fn a_token_is_needed_and_an_id_that_cannot_be_one_is_a_404() {
        assert_eq!(testing::call(SAMPLE, get).await.0, 401);
        let signed_in = testing::as_role(SAMPLE, Role::Customer);
        assert_eq!(testing::call(&signed_in, get).await.0, 503);
        let bad_id = testing::with_path_parameter(&signed_in, "id", "nope");
        assert_eq!(testing::call(&bad_id, get).await.0, 404);
    }
}
