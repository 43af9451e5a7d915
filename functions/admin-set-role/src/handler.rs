//! An admin sets a user's role (`customer` or `admin`).

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde::Deserialize;
use shared::accounts::Accounts;
use shared::auth::Role;
use shared::http::{HandlerResult, json, json_body, path_param};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetRole {
    role: Role,
}

pub async fn set_role(accounts: &Accounts, request: Request) -> HandlerResult {
    let principal = accounts.authenticate(&request)?;
    principal.require_admin()?;
    let user_id = path_param(&request, "id")?;
    let body: SetRole = json_body(&request)?;
    let user = accounts
        .set_role(&principal, user_id, body.role, shared::clock::now())
        .await?;
    json(
        StatusCode::OK,
        &shared::accounts::model::UserEnvelope { user },
    )
}
