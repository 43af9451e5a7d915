//! Registration: the body's fields, validated together, become a customer account.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::http::{HandlerResult, json, json_body};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    email: String,
    password: String,
    name: String,
}

pub async fn register(accounts: &Accounts, request: Request) -> HandlerResult {
    let body: Registration = json_body(&request)?;
    let user = accounts
        .register(
            &body.email,
            &body.password,
            &body.name,
            shared::clock::now(),
        )
        .await?;
    json(
        StatusCode::CREATED,
        &shared::accounts::model::UserEnvelope { user },
    )
}
