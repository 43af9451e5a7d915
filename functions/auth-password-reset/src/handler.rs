//! Password reset request: always 202, so the answer tells nothing about which emails have
//! accounts.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::http::{HandlerResult, empty, json_body};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetRequest {
    email: String,
}

pub async fn request_reset(accounts: &Accounts, request: Request) -> HandlerResult {
    let body: ResetRequest = json_body(&request)?;
    accounts
        .request_password_reset(&body.email, shared::clock::now())
        .await?;
    empty(StatusCode::ACCEPTED)
}
