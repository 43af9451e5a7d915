//! A day's report: presigned links to its CSV and JSON, working for 15 minutes.

use lambda_http::http::StatusCode;
use lambda_http::{Request, RequestExt};
use shared::http::auth::Gate;
use shared::http::{HandlerResult, json};
use shared::reports::Reports;

shared::state! {
    /// The reports bucket and the gate of the admins' routes.
    pub struct State { reports: Reports, gate: Gate }
}

pub async fn get(s: &State, request: Request) -> HandlerResult {
    let admin = s.gate.allowed(&request).await?;
    let date = request
        .path_parameters_ref()
        .and_then(|p| p.first("date"))
        .unwrap_or_default()
        .to_owned();
    json(StatusCode::OK, &s.reports.links(&admin, &date).await?)
}

#[cfg(test)]
mod tests;
