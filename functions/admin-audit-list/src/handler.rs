//! A page of the audit log, by actor, by kind of resource, or all of it.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use shared::audit::{AuditLog, Filter};
use shared::http::auth::Gate;
use shared::http::{HandlerResult, PageRequest, json, query_param};

shared::state! {
    /// The audit log, and the gate of the admins' routes.
    pub struct State { log: AuditLog, gate: Gate }
}

pub async fn list(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let page = PageRequest::from_request(&request)?;
    let filter = Filter {
        actor_id: query_param::<String>(&request, "actor_id")?,
        resource: query_param::<String>(&request, "resource")?,
    };
    let now = shared::clock::now();
    let found = s.log.list(&admin, filter, page, s.gate.keys(), now);
    json(StatusCode::OK, &found.await?)
}

#[cfg(test)]
mod tests;
