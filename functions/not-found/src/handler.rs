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
mod tests;
