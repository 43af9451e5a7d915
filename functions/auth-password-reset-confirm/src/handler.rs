//! Password reset confirmation: a reset token and a new password.

use lambda_http::Request;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::http::{HandlerResult, json_body, no_content};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirm {
    token: String,
    password: String,
}

pub async fn confirm_reset(accounts: &Accounts, request: Request) -> HandlerResult {
    let body: Confirm = json_body(&request)?;
    accounts
        .confirm_password_reset(&body.token, &body.password, shared::clock::now())
        .await?;
    no_content()
}
