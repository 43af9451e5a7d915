//! The signed-in user.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::http::{HandlerResult, json};

pub async fn me(accounts: &Accounts, request: Request) -> HandlerResult {
    let principal = accounts.authenticate(&request)?;
    let user = accounts.me(&principal).await?;
    json(
        StatusCode::OK,
        &shared::accounts::model::UserEnvelope { user },
    )
}
