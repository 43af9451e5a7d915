//! A new code (201), once per Idempotency-Key; a code that exists is 409.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::discounts::Discounts;
use shared::discounts::model::NewDiscount;
use shared::http::auth::Gate;
use shared::http::idempotency::Idempotent;
use shared::http::{HandlerResult, json};

shared::state! {
    /// The discount codes, the gate of the admins' routes and the idempotency keys.
    pub struct State { discounts: Discounts, gate: Gate, idempotent: Idempotent }
}

pub async fn create(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let create = async |new: NewDiscount, now| {
        let made = s.discounts.create(&admin, new, now).await?;
        json(StatusCode::CREATED, &made)
    };
    s.idempotent.post(request, (&admin).into(), create).await
}

#[cfg(test)]
mod tests;
