//! Deactivation of a product, by an admin.

use lambda_http::Request;
use shared::catalog::Catalog;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, no_content, path_id};

shared::state! {
    /// The catalog and the admin gate.
    pub struct State { catalog: Catalog, gate: Gate }
}

pub async fn delete(s: &State, request: Request) -> HandlerResult {
    s.gate.admin(&request).await?;
    let id = path_id(&request, "id")?;
    s.catalog.deactivate(&id, shared::clock::now()).await?;
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        let sample = include_str!("../../../events/products-delete/delete.json");
        shared::testing::assert_admin_gate(sample, delete).await;
    }
}
