//! Refresh: an unused refresh token for a new pair.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::http::{HandlerResult, json_body, json_no_store};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refresh {
    refresh_token: String,
}

pub async fn refresh(accounts: &Accounts, request: Request) -> HandlerResult {
    let body: Refresh = json_body(&request)?;
    let pair = accounts
        .refresh(&body.refresh_token, shared::clock::now())
        .await?;
    json_no_store(StatusCode::OK, &pair)
}
