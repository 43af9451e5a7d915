//! Preflight, 405 or 404 for a request no route takes.

use lambda_http::http::{Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use shared::ApiError;
use shared::http::{ALLOWED_REQUEST_HEADERS, HandlerResult};
use shared::routes::allowed_methods;

/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// Nothing: the fallback touches no AWS service.
pub type State = ();

pub async fn fallback(_: &State, request: Request) -> HandlerResult {
    let allowed = allowed_methods(request.raw_http_path());
    if request.method() == Method::OPTIONS {
        return preflight(&allowed);
    }
    if allowed.is_empty() {
        Err(ApiError::NotFound)
    } else {
        Err(ApiError::MethodNotAllowed { allow: allowed })
    }
}

/// The answer to a CORS preflight. Whether the origin is allowed is added by the wrapper, as on
/// every response: without `Access-Control-Allow-Origin` the browser stops there.
fn preflight(allowed: &[&str]) -> HandlerResult {
    let methods = if allowed.is_empty() {
        "GET, POST, PATCH, DELETE".to_owned()
    } else {
        allowed.join(", ")
    };
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header(header::ACCESS_CONTROL_ALLOW_METHODS, methods)
        .header(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            ALLOWED_REQUEST_HEADERS,
        )
        .header(header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE)
        .body(Body::Empty)
        .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn call(event: &str) -> Response<Body> {
        let config = shared::testing::config();
        let request = shared::testing::request(event);
        shared::http::respond(&config, request, |r| fallback(&(), r)).await
    }

    fn body(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap_or_default()
    }

    #[tokio::test]
    async fn an_unknown_path_is_a_404_problem() {
        let response = call(include_str!("../../../events/not-found/unknown-route.json")).await;
        assert_eq!(response.status(), 404);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        assert_eq!(body(&response)["code"], "not_found");
    }

    #[tokio::test]
    async fn a_known_path_with_another_method_is_a_405_naming_the_allowed_ones() {
        let response = call(include_str!("../../../events/not-found/wrong-method.json")).await;
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET");
        assert_eq!(body(&response)["code"], "method_not_allowed");
    }

    #[tokio::test]
    async fn a_preflight_from_an_allowed_origin_is_answered_without_auth() {
        let response = call(include_str!("../../../events/not-found/preflight.json")).await;
        assert_eq!(response.status(), 204);
        let headers = response.headers();
        assert_eq!(
            headers["access-control-allow-origin"],
            "http://localhost:5173"
        );
        assert_eq!(headers["access-control-allow-methods"], "GET");
        assert!(
            headers["access-control-allow-headers"]
                .to_str()
                .unwrap_or_default()
                .contains("Authorization")
        );
    }
}
