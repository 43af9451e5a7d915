//! Changes to a product, from an admin; `If-Match` makes them conditional.

use lambda_http::Request;
use lambda_http::http::{StatusCode, header};
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::catalog::Catalog;
use shared::catalog::model::ProductFields;
use shared::http::{HandlerResult, auth, header_str, json_body, json_with_etag, path_id};

pub async fn update(
    catalog: &Catalog,
    accounts: &Accounts,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    auth::admin(&request, verifier, accounts).await?;
    let id = path_id(&request, "id")?;
    let fields: ProductFields = json_body(&request, &[])?;
    let if_match = header_str(&request, header::IF_MATCH);
    let product = catalog
        .update(&id, fields, if_match, shared::clock::now())
        .await?;
    json_with_etag(StatusCode::OK, product.tagged()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/products-update/update.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (catalog, accounts, keys) = (
            testing::catalog().await,
            testing::accounts().await,
            testing::keys(),
        );
        testing::call(event, |r| update(&catalog, &accounts, keys.verifier(), r)).await
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await.0 }).await;
    }
}
