//! The health check's reply.

use lambda_http::Request;
use lambda_http::http::StatusCode;
use serde_json::json;
use shared::http::{HandlerResult, json};

pub async fn health(_request: Request) -> HandlerResult {
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
        let request = lambda_http::request::from_str(event).unwrap_or_else(|e| panic!("{e}"));
        let config = shared::Config::from_lookup(|_| None).unwrap_or_else(|e| panic!("{e}"));
        let response = shared::http::respond(&config, request, health).await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value =
            serde_json::from_slice(response.body().as_ref()).unwrap_or_default();
        assert_eq!(
            body,
            json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})
        );
        assert!(response.headers().contains_key("x-request-id"));
    }
}
