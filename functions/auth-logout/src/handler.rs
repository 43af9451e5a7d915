//! Logout: the signed-in user ends the login of one of their refresh tokens.

use lambda_http::Request;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::http::{HandlerResult, json_body, no_content};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Logout {
    refresh_token: String,
}

pub async fn logout(accounts: &Accounts, request: Request) -> HandlerResult {
    let principal = accounts.authenticate(&request)?;
    let body: Logout = json_body(&request)?;
    accounts
        .logout(&principal, &body.refresh_token, shared::clock::now())
        .await?;
    no_content()
}
