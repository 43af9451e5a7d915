//! A new product, from an admin.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::catalog::Catalog;
use shared::catalog::model::ProductFields;
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, auth, json_body, json_with_etag};
use shared::idempotency::Caller;

pub async fn create(
    catalog: &Catalog,
    accounts: &Accounts,
    verifier: &TokenVerifier,
    idempotent: &Idempotent,
    request: Request,
) -> HandlerResult {
    let admin = auth::admin(&request, verifier, accounts).await?;
    idempotent
        .run(
            request,
            Caller::User(&admin.user_id),
            KeyRule::Honoured,
            |request| async move {
                let fields: ProductFields = json_body(&request, ProductFields::REQUIRED)?;
                let product = catalog.create(fields, shared::clock::now()).await?;
                json_with_etag(StatusCode::CREATED, product.tagged()?)
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/products-create/create.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (catalog, accounts, keys) = (
            testing::catalog().await,
            testing::accounts().await,
            testing::keys(),
        );
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| {
            create(&catalog, &accounts, keys.verifier(), &idempotent, r)
        })
        .await
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await.0 }).await;
    }

    #[tokio::test]
    async fn every_field_of_a_bad_body_is_named() {
        // Checked only once the admin is confirmed; these keys reach no table, so the body is
        // checked by the parser alone here.
        let body = r#"{"stock": 1.5, "name": "", "price_cents": -1}"#;
        let parsed = shared::http::request::parse_json::<ProductFields>(
            body.as_bytes(),
            ProductFields::REQUIRED,
        );
        let Err(shared::ApiError::Validation(errors)) = parsed else {
            panic!("{parsed:?}");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["sku", "name", "price_cents", "category", "stock"]);
    }
}
