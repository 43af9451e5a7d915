//! A page of codes, with their redemptions.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::discounts::Discounts;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, PageRequest, json};

shared::state! {
    /// The discount codes and the gate of the admins' routes (whose keys sign the cursors).
    pub struct State { discounts: Discounts, gate: Gate }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let page = PageRequest::from_request(&request)?;
    let now = shared::clock::now();
    let found = s.discounts.list(&admin, page, s.gate.keys(), now).await?;
    json(StatusCode::OK, &found)
}

#[cfg(test)]
mod tests;
