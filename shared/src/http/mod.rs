//! HTTP plumbing shared by every API function: reading requests, writing responses, and the
//! wrapper ([`run`]) that every request passes through.
//!
//! `request` reads requests (bodies, parameters, path ids), `auth` reads who makes them; this
//! module writes responses. The wrapper gives each request a span carrying its request id (API Gateway's, so the id a
//! client sees in `X-Request-Id` is the one on every log line), turns errors into problem
//! responses, adds `X-Request-Id` and the CORS headers to every response, errors included, and
//! logs one line per request.

pub mod auth;
pub mod idempotency;
mod params;
pub mod request;

use std::convert::Infallible;
use std::future::Future;
use std::time::Instant;

use http::StatusCode;
use http::header::{self, HeaderName, HeaderValue};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};
use serde::Serialize;
use tracing::Instrument as _;

use crate::config::{Config, Cors};
use crate::error::{ApiError, cause_chain};

pub use request::{
    Input, MAX_BODY_BYTES, PageRequest, body, body_bytes, header_str, json_body, path_id,
    path_value, query_param, source_ip,
};

/// What a handler returns.
pub type HandlerResult = Result<Response<Body>, ApiError>;

/// Headers a browser may read from a response.
const EXPOSED_HEADERS: &str =
    "X-Request-Id, ETag, Location, Retry-After, Allow, Idempotent-Replayed";
/// Headers a browser may send (answered to a CORS preflight).
pub const ALLOWED_REQUEST_HEADERS: &str =
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key";

/// A handler of an API function: an async function of the function's state and the request.
///
/// Implemented by every `async fn(&State, Request) -> HandlerResult`; the trait only names the
/// future's type, which borrows the state.
pub trait Handler<'s, S: 's>: Fn(&'s S, Request) -> Self::Answer {
    type Answer: Future<Output = HandlerResult> + Send + 's;
}

impl<'s, S: 's, F, Fut> Handler<'s, S> for F
where
    F: Fn(&'s S, Request) -> Fut,
    Fut: Future<Output = HandlerResult> + Send + 's,
{
    type Answer = Fut;
}

/// Runs an API function: its state, built at cold start, and its handler, through which every
/// invocation goes by way of [`respond`].
pub async fn run<S, H>(config: Config, state: S, handler: H) -> Result<(), lambda_http::Error>
where
    S: Sync,
    H: for<'s> Handler<'s, S> + Sync,
{
    let (config, state, handler) = (&config, &state, &handler);
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(respond(config, request, |request| handler(state, request)).await)
    }))
    .await
}

/// Handles one request: the handler's result, or its error as a problem, with the headers every
/// response carries.
pub async fn respond<H, Fut>(config: &Config, request: Request, handler: H) -> Response<Body>
where
    H: FnOnce(Request) -> Fut,
    Fut: Future<Output = HandlerResult>,
{
    let started = Instant::now();
    let request_id = request_id(&request);
    let origin = header_str(&request, header::ORIGIN).map(str::to_owned);
    let method = request.method().clone();
    let path = request.raw_http_path().to_owned();
    let span = tracing::info_span!("request", request_id = %request_id);
    crate::emf::set_request_id(&request_id);

    let handled = async {
        match handler(request).await {
            Ok(response) => response,
            Err(err) => {
                log_error(&err);
                problem(&err)
            }
        }
    }
    .instrument(span.clone());
    // The audit entries the request's writes append name it.
    let mut response = crate::audit::REQUEST_ID
        .scope(request_id.clone(), handled)
        .await;

    finish_headers(&mut response, &config.cors, origin.as_deref(), &request_id);
    span.in_scope(|| {
        tracing::info!(
            http.method = %method,
            http.path = %path,
            http.status = response.status().as_u16(),
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request finished"
        );
    });
    if response.status().is_server_error() {
        crate::emf::server_error();
    }
    crate::emf::flush();
    response
}

/// Logs an error once, where it is handled: a 5xx with its whole cause chain, a 4xx briefly.
fn log_error(err: &ApiError) {
    if err.status() >= 500 {
        tracing::error!(error.code = err.code().as_str(), error = %cause_chain(err), "request failed");
    } else {
        tracing::info!(error.code = err.code().as_str(), "request refused");
    }
}

/// API Gateway's request id, or a fresh one when there is none (a hand-made event).
pub fn request_id(request: &Request) -> String {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    }
    .filter(|id| !id.is_empty())
    .unwrap_or_else(|| ulid::Ulid::new().to_string())
}

fn finish_headers(
    response: &mut Response<Body>,
    cors: &Cors,
    origin: Option<&str>,
    request_id: &str,
) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    security_headers(headers);
    cors_headers(headers, cors, origin);
}

/// The headers OWASP's REST security guidance asks of every API response: JSON is never
/// sniffed as anything else, never framed, loads nothing, is reached over HTTPS only, sends no
/// referrer; and nothing is cached unless the route said how (the catalog's public pages do),
/// so a token pair is never kept by a cache (RFC 6749 §5.1).
fn security_headers(headers: &mut http::HeaderMap) {
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Adds the CORS headers of an ordinary (non-preflight) response.
pub fn cors_headers(headers: &mut http::HeaderMap, cors: &Cors, origin: Option<&str>) {
    if let Cors::Origins(_) = cors {
        headers.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(allowed) = cors.allow_origin(origin)
        && let Ok(value) = HeaderValue::from_str(allowed)
    {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> HandlerResult {
    json_bytes(
        status,
        serde_json::to_vec(value).map_err(ApiError::internal)?,
    )
}

/// A response of JSON already serialised.
fn json_bytes(status: StatusCode, body: Vec<u8>) -> HandlerResult {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Binary(body))
        .map_err(ApiError::internal)
}

/// A cacheable JSON read: `ETag` and `Cache-Control`, and `304 Not Modified` when the client's
/// `If-None-Match` already has this representation. Requests with a token are `private`: what an
/// admin sees must not land in a shared cache.
pub fn cacheable_json(request: &Request, tagged: crate::etag::Tagged) -> HandlerResult {
    let cache_control = if request.headers().contains_key(header::AUTHORIZATION) {
        "private, no-cache"
    } else {
        "public, max-age=60"
    };
    let not_modified = header_str(request, header::IF_NONE_MATCH)
        .is_some_and(|h| crate::etag::if_none_match(h, &tagged.etag));
    let mut response = if not_modified {
        empty(StatusCode::NOT_MODIFIED)?
    } else {
        json_bytes(StatusCode::OK, tagged.json)?
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    if let Ok(value) = HeaderValue::from_str(&tagged.etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

/// A JSON response with an `ETag` (a representation just written).
pub fn json_with_etag(status: StatusCode, tagged: crate::etag::Tagged) -> HandlerResult {
    let mut response = json_bytes(status, tagged.json)?;
    if let Ok(value) = HeaderValue::from_str(&tagged.etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// A response with no body.
pub fn empty(status: StatusCode) -> HandlerResult {
    Response::builder()
        .status(status)
        .body(Body::Empty)
        .map_err(ApiError::internal)
}

/// `204 No Content`.
pub fn no_content() -> HandlerResult {
    empty(StatusCode::NO_CONTENT)
}

/// The problem response of an error (RFC 9457, `application/problem+json`).
pub fn problem(err: &ApiError) -> Response<Body> {
    let body = serde_json::to_vec(&err.problem()).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Body::Binary(body));
    *response.status_mut() =
        StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    for (name, value) in err.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}
