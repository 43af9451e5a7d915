//! A page of accounts found by an email's first letters, with what each bought.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::http::auth::Gate;
use shared::http::{HandlerResult, PageRequest, json, query_param};

shared::state! {
    /// The gate of the shop's routes, whose accounts are searched.
    pub struct State { gate: Gate }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let staff = s.gate.allowed(&request).await?;
    let page = PageRequest::from_request(&request)?;
    let q = query_param::<String>(&request, "q")?;
    let now = shared::clock::now();
    let found = s
        .gate
        .accounts()
        .customers(&staff, q.as_deref(), page, s.gate.keys(), now);
    json(StatusCode::OK, &found.await?)
}

#[cfg(test)]
mod tests;
