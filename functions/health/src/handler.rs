//! The health check's reply.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;
use shared::http::{HandlerResult, json};

/// Nothing: the health check touches no AWS service.
pub type State = ();

pub async fn health(_: &State, _request: Request) -> HandlerResult {
    json(
        StatusCode::OK,
        &json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")}),
    )
}

#[cfg(test)]
mod tests;
