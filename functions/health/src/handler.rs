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
mod tests {
    use super::*;

    #[tokio::test]
    async fn health_answers_ok_with_the_version() {
        let event = include_str!("../../../events/health/get.json");
        let (status, body) = shared::testing::call(event, health).await;
        assert_eq!(status, 200);
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(body, json!({"status": "ok", "version": version}));
    }
}
