//! Deactivation of a product, by an admin.

use lambda_http::Request;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::catalog::Catalog;
use shared::http::{HandlerResult, auth, no_content, path_id};

pub async fn delete(
    catalog: &Catalog,
    accounts: &Accounts,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    auth::admin(&request, verifier, accounts).await?;
    catalog
        .deactivate(&path_id(&request, "id")?, shared::clock::now())
        .await?;
    no_content()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/products-delete/delete.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (catalog, accounts, keys) = (
            testing::catalog().await,
            testing::accounts().await,
            testing::keys(),
        );
        testing::call(event, |r| delete(&catalog, &accounts, keys.verifier(), r)).await
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await.0 }).await;
    }
}
