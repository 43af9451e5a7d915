//! Profile changes of the signed-in user.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::accounts::service::ProfileChange;
use shared::http::{HandlerResult, json, json_body};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    name: Option<String>,
    password: Option<String>,
    current_password: Option<String>,
}

pub async fn update_me(accounts: &Accounts, request: Request) -> HandlerResult {
    let principal = accounts.authenticate(&request)?;
    let body: Change = json_body(&request)?;
    let change = ProfileChange {
        name: body.name,
        password: body.password,
        current_password: body.current_password,
    };
    let user = accounts
        .update_me(&principal, change, shared::clock::now())
        .await?;
    json(
        StatusCode::OK,
        &shared::accounts::model::UserEnvelope { user },
    )
}
