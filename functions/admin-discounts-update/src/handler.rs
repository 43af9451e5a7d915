//! The fields sent, changed; the count of redemptions as orders keep it.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::discounts::Discounts;
use shared::discounts::model::{Code, DiscountPatch};
use shared::http::auth::Gate;
use shared::http::{HandlerResult, body, json, path_value};

shared::state! {
    /// The discount codes and the gate of the admins' routes.
    pub struct State { discounts: Discounts, gate: Gate }
}

pub async fn update(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let code: Code = path_value(&request, "code")?;
    let patch: DiscountPatch = body(&request)?;
    let now = shared::clock::now();
    let edited = s.discounts.update(&admin, &code, patch, now).await?;
    json(StatusCode::OK, &edited)
}

#[cfg(test)]
mod tests;
