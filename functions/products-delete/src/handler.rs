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
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/products-delete/delete.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let sdk = testing::unreachable_sdk().await;
        let config = testing::config();
        let table = shared::db::Table::from_config(&sdk, &config).unwrap();
        let accounts = Accounts::new(table.clone(), &config);
        let catalog = Catalog::new(table, &config).unwrap();
        let keys = testing::keys();
        let response = shared::http::respond(&config, testing::request(event), |r| {
            delete(&catalog, &accounts, keys.verifier(), r)
        })
        .await;
        testing::reply(&response)
    }

    fn as_role(event: &str, role: Role) -> String {
        let token = format!("Bearer {}", testing::token(role));
        testing::with_header(event, "authorization", &token)
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        assert_eq!(call(SAMPLE).await.0, 401);
        assert_eq!(call(&as_role(SAMPLE, Role::Customer)).await.0, 403);
        assert_eq!(call(&as_role(SAMPLE, Role::Admin)).await.0, 503);
    }
}
