//! One product; its `ETag` is the one `PATCH` compares `If-Match` with.

use lambda_http::Request;
use shared::accounts::Accounts;
use shared::catalog::Catalog;
use shared::http::{HandlerResult, auth, cacheable_json, path_id};
use shared::secrets::LazyKeys;

pub async fn get(
    catalog: &Catalog,
    accounts: &Accounts,
    keys: &LazyKeys,
    request: Request,
) -> HandlerResult {
    let id = path_id(&request, "id")?;
    let principal = auth::optional_principal(&request, keys, accounts).await?;
    let product = catalog.get(principal.as_ref(), &id).await?;
    cacheable_json(&request, product.tagged()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/products-get/get.json");

    async fn call(event: &str) -> u16 {
        let (catalog, accounts) = (testing::catalog().await, testing::accounts().await);
        let keys = LazyKeys::new(&testing::unreachable_sdk().await, &testing::config()).unwrap();
        testing::call(event, |r| get(&catalog, &accounts, &keys, r))
            .await
            .0
    }

    #[tokio::test]
    async fn the_sample_reads_the_product_and_an_unreachable_table_is_a_503() {
        assert_eq!(call(SAMPLE).await, 503);
    }

    #[tokio::test]
    async fn an_id_that_cannot_be_one_is_a_404_without_a_read() {
        let long = "0".repeat(2100);
        for bad in ["not-an-id", long.as_str()] {
            assert_eq!(
                call(&testing::with_path_parameter(SAMPLE, "id", bad)).await,
                404
            );
        }
    }
}
