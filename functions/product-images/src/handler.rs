//! A presigned upload for a new product image, for an admin.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::catalog::model::NewImage;
use shared::catalog::{Catalog, Uploads};
use shared::http::idempotency::{Idempotent, KeyRule};
use shared::http::{HandlerResult, auth, json, json_body, path_id};
use shared::idempotency::Caller;

pub async fn add_image(
    catalog: &Catalog,
    accounts: &Accounts,
    verifier: &TokenVerifier,
    uploads: &Uploads,
    idempotent: &Idempotent,
    request: Request,
) -> HandlerResult {
    let admin = auth::admin(&request, verifier, accounts).await?;
    let product_id = path_id(&request, "id")?;
    idempotent
        .run(
            request,
            Caller::User(&admin.user_id),
            KeyRule::Honoured,
            |request| async move {
                let image: NewImage = json_body(&request, NewImage::REQUIRED)?;
                let upload = catalog
                    .add_image(uploads, &product_id, image, shared::clock::now())
                    .await?;
                json(StatusCode::CREATED, &upload)
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/product-images/add-image.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (catalog, accounts, keys) = (
            testing::catalog().await,
            testing::accounts().await,
            testing::keys(),
        );
        let uploads =
            Uploads::from_config(&testing::unreachable_sdk().await, &testing::config()).unwrap();
        let idempotent = testing::idempotent().await;
        testing::call(event, |r| {
            add_image(
                &catalog,
                &accounts,
                keys.verifier(),
                &uploads,
                &idempotent,
                r,
            )
        })
        .await
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await.0 }).await;
    }
}
