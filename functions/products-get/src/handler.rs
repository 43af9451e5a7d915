//! One product; its `ETag` is the one `PATCH` compares `If-Match` with.

use lambda_http::Request;
use shared::catalog::Catalog;
use shared::http::auth::OptionalGate;
use shared::http::{HandlerResult, cacheable_json, path_id};

shared::state! {
    /// The catalog, and the gate that lets an admin see an inactive product.
    pub struct State { catalog: Catalog, gate: OptionalGate }
}

pub async fn get(s: &State, request: Request) -> HandlerResult {
    let id = path_id(&request, "id")?;
    let caller = s.gate.principal(&request).await?;
    let product = s.catalog.get(caller.as_ref(), &id).await?;
    cacheable_json(&request, product.tagged()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/products-get/get.json");

    #[tokio::test]
    async fn an_id_that_cannot_be_one_is_a_404_without_a_read_and_others_reach_the_table() {
        // The sample reads the product and an unreachable table is a 503.
        assert_eq!(testing::call(SAMPLE, get).await.0, 503);
        // An id that cannot be one is a 404 without a read.
        let long = "0".repeat(2100);
        for bad in ["not-an-id", long.as_str()] {
            let event = testing::with_path_parameter(SAMPLE, "id", bad);
            assert_eq!(testing::call(&event, get).await.0, 404);
        }
    }
}
