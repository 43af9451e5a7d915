//! An admin sets a user's role (`customer` or `admin`).

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::model::UserEnvelope;
use shared::accounts::requests::SetRole;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, path_id};

shared::state! {
    /// The admin gate, whose accounts are the ones changed, and the idempotency keys.
    pub struct State { gate: Gate, idempotent: Idempotent }
}

pub async fn set_role(s: &State, request: Request) -> HandlerResult {
    let admin = &s.gate.allowed(&request).await?;
    let user_id = path_id(&request, "id")?;
    let set = async |change: SetRole, now| {
        let user = s
            .gate
            .accounts()
            .set_role(admin, &user_id, change.role, now)
            .await?;
        json(StatusCode::OK, &UserEnvelope { user })
    };
    s.idempotent.post(request, admin.into(), set).await
}

#[cfg(test)]
mod tests;
