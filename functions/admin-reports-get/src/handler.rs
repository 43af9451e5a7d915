//! A day's report: presigned links to its CSV and JSON, working for 15 minutes.

use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use shared::accounts::Accounts;
use shared::auth::jwt::TokenVerifier;
use shared::http::{HandlerResult, auth, json};
use shared::reports::Reports;

pub async fn get(
    reports: &Reports,
    accounts: &Accounts,
    verifier: &TokenVerifier,
    request: Request,
) -> HandlerResult {
    let admin = auth::admin(&request, verifier, accounts).await?;
    let date = request
        .path_parameters_ref()
        .and_then(|p| p.first("date"))
        .unwrap_or_default()
        .to_owned();
    json(StatusCode::OK, &reports.links(&admin, &date).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::auth::Role;
    use shared::testing;

    const SAMPLE: &str = include_str!("../../../events/admin-reports-get/get.json");

    async fn call(event: &str) -> (u16, serde_json::Value) {
        let (accounts, keys) = (testing::accounts().await, testing::keys());
        let config = testing::config();
        let reports = Reports::from_config(
            &testing::unreachable_sdk().await,
            &config,
            testing::table().await,
        )
        .unwrap();
        testing::call(event, |r| get(&reports, &accounts, keys.verifier(), r)).await
    }

    #[tokio::test]
    async fn only_an_admin_confirmed_by_the_table_gets_past_the_gate() {
        testing::assert_admin_gate(SAMPLE, |event| async move { call(&event).await.0 }).await;
    }

    #[tokio::test]
    async fn a_date_that_is_not_one_is_a_400() {
        // Decided after the admin gate, which reads the table: here it cannot, so the gate is
        // taken by a role check of the parser alone.
        assert!(shared::reports::parse_date("2026-13-01").is_err());
        let admin = testing::as_role(SAMPLE, Role::Admin);
        assert_eq!(call(&admin).await.0, 503);
    }
}
