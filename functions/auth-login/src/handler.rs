//! Login: an email and a password for an access token and a refresh token.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::http::{HandlerResult, json_body, json_no_store};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

pub async fn login(accounts: &Accounts, request: Request) -> HandlerResult {
    let body: Credentials = json_body(&request)?;
    let pair = accounts
        .login(&body.email, &body.password, shared::clock::now())
        .await?;
    json_no_store(StatusCode::OK, &pair)
}
