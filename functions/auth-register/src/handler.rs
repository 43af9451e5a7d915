//! Registration: the body's fields, validated together, become a customer account.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::accounts::Accounts;
use shared::accounts::model::UserEnvelope;
use shared::accounts::service::Registration;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json, source_ip};
use shared::idempotency::Caller;

shared::state! {
    /// The accounts and the idempotency keys.
    pub struct State { accounts: Accounts, idempotent: Idempotent }
}

pub async fn register(s: &State, request: Request) -> HandlerResult {
    let ip = source_ip(&request);
    let register = async |body: Registration, now| {
        let user = s.accounts.register(body, &ip, now).await?;
        json(StatusCode::CREATED, &UserEnvelope { user })
    };
    s.idempotent
        .post(request, Caller::Anonymous, register)
        .await
}

#[cfg(test)]
mod tests;
